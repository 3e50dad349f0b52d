/*
 * reference.h
 *		Straightforward reference implementations the fuzz harnesses compare
 *		the parsers in src/ against.
 *
 * Written from the published rules (see /work/shared/reference/identifiers.md
 * and the comments in the parser headers), not from the parser code: no
 * lookup tables are shared with src/, weights are recomputed, and the
 * structure is deliberately naive (trim, check length, check each position).
 * Only pure-ASCII inputs are compared for the identifier parsers; the
 * UTF-8 folding reference (ref_fold) covers arbitrary bytes.
 */
#ifndef HH_FUZZ_REFERENCE_H
#define HH_FUZZ_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Abort with a message; libFuzzer reports it as a crash with the input. */
#define FUZZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) { \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
		} \
	} while (0)

extern void fuzz_fail(const char *file, int line, const char *cond,
					  const char *fmt, ...)
			__attribute__((noreturn, format(printf, 4, 5)));

/* Print bytes as a C string literal (for failure messages). */
extern void fuzz_print_bytes(const char *label, const uint8_t *data, size_t len);

extern bool ref_is_ascii(const uint8_t *data, size_t len);

/* ASCII whitespace: space, \t \n \v \f \r */
extern bool ref_is_ascii_space(uint8_t c);

/*
 * Trim ASCII whitespace on both sides and copy the rest into out (at most
 * outcap bytes).  Returns false if what is left contains whitespace or does
 * not fit.  *outlen is the trimmed length.
 */
extern bool ref_trim(const uint8_t *in, size_t len, char *out, size_t outcap, size_t *outlen);

/* Naive calendar check: Gregorian leap years, any year. */
extern bool ref_calendar_date(int year, int month, int day);

/*
 * Province-level codes accepted by the hub: GB/T 2260 (11-15, 21-23, 31-37,
 * 41-46, 50-54, 61-65, 71 Taiwan, 81 Hong Kong, 82 Macau) plus 83 (Taiwan
 * residents' residence permits), as resident_id_parse.h documents.
 */
extern bool ref_province(int code);

/* GB 11643 resident ID from ASCII text: true and *body (17 digits) if valid. */
extern bool ref_rid_parse(const uint8_t *in, size_t len, int64_t *body);

/* Same rules for a 17-digit body from binary input. */
extern bool ref_rid_body_ok(int64_t body);

/* MOD 11-2 check character of a 17-digit body. */
extern char ref_rid_check_char(const char digits[17]);

/*
 * GB 32100 USCC from ASCII text.  On success out18 holds the 18 upper-case
 * characters and *unchecked whether a check failed.
 */
extern bool ref_uscc_parse(const uint8_t *in, size_t len, bool accept_unchecked,
						   char out18[18], bool *unchecked);

/* Structure of 18 alphabet characters (upper case); sets *unchecked. */
extern bool ref_uscc_structure(const char c[18], bool *unchecked);

extern int	ref_uscc_value(char c);		/* 0..30 or -1 */
extern char ref_uscc_char(int v);		/* alphabet character of 0..30 */

/* GB/T 2260 6-digit code from ASCII text. */
extern bool ref_region_parse(const uint8_t *in, size_t len, int32_t *code);
extern bool ref_region_code_ok(int32_t code);

/*
 * Reference for hh_fold_ascii: strict UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF); a byte that does not start a
 * well-formed sequence counts as one character U+FFFD.  Returns the number of
 * bytes written; fields as in hh_fold_result.
 */
typedef struct ref_fold_result
{
	int			status;			/* same numbering as hh_fold_status */
	size_t		nchars;
	size_t		position;
	uint32_t	codepoint;
} ref_fold_result;

extern size_t ref_fold(const uint8_t *in, size_t len, char *out, size_t outcap,
					   int options, ref_fold_result *res);

#endif
