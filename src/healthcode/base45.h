/*
 * base45.h
 *		RFC 9285 Base45, the text layer of health codes (QR alphanumeric mode
 *		holds 45 characters, so two bytes become three characters).
 *
 * Pure C: no postgres.h.  Results are malloc'd; the caller frees them.
 */
#ifndef HC_BASE45_H
#define HC_BASE45_H

#include <stddef.h>
#include <stdint.h>

typedef enum hc_b45_status
{
	HC_B45_OK = 0,
	HC_B45_BAD_CHAR,			/* not one of the 45 characters */
	HC_B45_BAD_LENGTH,			/* length % 3 == 1: no group has one character */
	HC_B45_OVERFLOW,			/* a triplet above 65535 or a pair above 255 */
	HC_B45_NO_MEMORY
} hc_b45_status;

/* Characters that len bytes encode to. */
extern size_t hc_base45_encoded_len(size_t len);

/* Encode len bytes: *out is NUL-terminated text of *out_len characters. */
extern hc_b45_status hc_base45_encode(const uint8_t *in, size_t len,
									  char **out, size_t *out_len);

/*
 * Decode len characters into *out (*out_len bytes).  On BAD_CHAR and
 * OVERFLOW, *position (if not NULL) is the 0-based offset of the bad
 * character or of the group's first character.
 */
extern hc_b45_status hc_base45_decode(const char *in, size_t len,
									  uint8_t **out, size_t *out_len,
									  size_t *position);

#endif							/* HC_BASE45_H */
