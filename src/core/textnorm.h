/*
 * textnorm.h
 *		Fold identifier text typed on Chinese input methods to plain ASCII.
 *
 * Identifiers arrive with fullwidth digits and letters (U+FF01..U+FF5E),
 * ideographic spaces (U+3000) and no-break spaces around them.  This folds
 * the fullwidth forms to ASCII, trims surrounding whitespace and reports
 * anything else that is not ASCII, so that each parser only sees ASCII.
 * Pure C: no postgres.h.
 */
#ifndef HH_TEXTNORM_H
#define HH_TEXTNORM_H

#include <stddef.h>
#include <stdint.h>

typedef enum hh_fold_status
{
	HH_FOLD_OK = 0,
	HH_FOLD_NOT_ASCII,			/* a character with no ASCII form */
	HH_FOLD_INNER_SPACE,		/* whitespace between non-space characters */
	HH_FOLD_TOO_LONG			/* more characters than the output holds */
} hh_fold_status;

typedef struct hh_fold_result
{
	hh_fold_status status;
	size_t		nchars;			/* characters after trimming (counted in full
								 * even when TOO_LONG) */
	size_t		position;		/* 1-based character position of the problem */
	uint32_t	codepoint;		/* the offending character, for NOT_ASCII */
} hh_fold_result;

/* Options for hh_fold_ascii */
#define HH_FOLD_DROP_INNER_SPACE	0x01	/* drop inner whitespace instead of
											 * refusing it */
#define HH_FOLD_UPPER				0x02	/* fold a-z to A-Z */

/*
 * Decode one UTF-8 character at s (len > 0 bytes available): returns its
 * length and stores the code point; malformed input decodes as one byte with
 * code point 0xFFFD (RFC 3629: no overlong forms, surrogates or truncation).
 */
extern size_t hh_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/*
 * Fold in[0..inlen) into out (capacity outcap, not NUL-terminated).
 * Returns the number of ASCII characters written; details in *res.
 */
extern size_t hh_fold_ascii(const char *in, size_t inlen, char *out, size_t outcap,
							int options, hh_fold_result *res);

#endif
