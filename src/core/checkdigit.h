/*
 * checkdigit.h
 *		Check-character algorithms of the Chinese identifier standards.
 *
 * Pure C: no postgres.h, so fuzz/ and bench/ can drive it directly.
 */
#ifndef HH_CHECKDIGIT_H
#define HH_CHECKDIGIT_H

#include <stdint.h>

/*
 * ISO 7064 MOD 11-2 over the 17 leading digits of a GB 11643 resident ID.
 * Returns the check value 0..10 (10 is written 'X').
 */
extern int	hh_mod11_2_value(const uint8_t digits[17]);
extern char hh_mod11_2_char(int value);

/* GB 32100 (USCC) alphabet: 31 characters, no I O S V Z. */
extern const char HH_USCC_ALPHABET[32];

/* Value 0..30 of an upper-case USCC character, or -1 if not in the alphabet. */
extern int	hh_uscc_char_value(unsigned char c);

/* GB 32100 check value 0..30 for the 17 leading character values. */
extern int	hh_uscc_check_value(const uint8_t values[17]);

/*
 * GB 11714 organisation code check character for its 8 leading characters
 * (digits and upper-case letters).  Returns '0'..'9' or 'X', or 0 when a
 * character is outside [0-9A-Z].
 */
extern char hh_orgcode_check_char(const char chars[8]);

#endif
