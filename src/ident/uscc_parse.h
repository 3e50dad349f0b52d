/*
 * uscc_parse.h
 *		GB 32100 unified social credit codes: parse, validate, print.
 *
 * 18 characters of a 31-letter alphabet need 90 bits (31^18 > 2^64), so a
 * code is held as two 45-bit halves of 5-bit character values; comparing
 * (hi, lo) orders codes as their text sorts.  Pure C: no postgres.h.
 */
#ifndef HH_USCC_PARSE_H
#define HH_USCC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct uscc_value
{
	uint64_t	hi;				/* characters 1..9 */
	uint64_t	lo;				/* characters 10..18 */
} uscc_value;

/* A code that fails a check prints with this mark, and input with the mark
 * accepts it; so a flagged code survives dump and restore. */
#define USCC_UNCHECKED_MARK '?'

typedef enum uscc_status
{
	USCC_OK = 0,
	USCC_EMPTY,
	USCC_NOT_ASCII,
	USCC_INNER_SPACE,
	USCC_BAD_LENGTH,
	USCC_BAD_CHAR,				/* not in the 31-character alphabet */
	USCC_BAD_AUTHORITY,			/* position 1 not a registration authority */
	USCC_BAD_CATEGORY,			/* position 2 not a digit 1-9 */
	USCC_BAD_REGION,			/* positions 3-8 not digits */
	USCC_BAD_ORG_CHECK,			/* embedded GB 11714 check (position 17) */
	USCC_BAD_CHECK,				/* GB 32100 check (position 18) */
	USCC_BAD_BINARY				/* a 5-bit group out of range */
} uscc_status;

typedef struct uscc_error
{
	size_t		position;
	uint32_t	codepoint;
	size_t		length;
	char		found;
	char		expected;
} uscc_error;

/*
 * Parse text.  Check failures (ORG_CHECK, CHECK) are refused unless
 * accept_unchecked is set or the text carries USCC_UNCHECKED_MARK; structural
 * errors are always refused.  *unchecked tells whether a check failed.
 */
extern uscc_status uscc_parse(const char *in, size_t len, bool accept_unchecked,
							  uscc_value *out, bool *unchecked, uscc_error *err);

/* Validate a value from binary input: every group in range, same rules. */
extern uscc_status uscc_check_value(uscc_value v, bool *unchecked, uscc_error *err);

/* 18 characters, the mark if a check fails, and NUL. */
extern void uscc_format(uscc_value v, char out[20]);

/* The 18 characters only, no mark, NUL-terminated. */
extern void uscc_chars(uscc_value v, char out[19]);

extern bool uscc_passes_checks(uscc_value v);
extern int	uscc_compare(uscc_value a, uscc_value b);
extern bool uscc_is_authority(char c);

#endif
