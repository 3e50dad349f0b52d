/*
 * name_key.h
 *		Match keys of a person's name: the name in simplified characters
 *		without spaces or dots, its pinyin, and its initials.
 *
 * Names arrive in simplified or traditional characters, with spaces typed
 * between characters, with the middle dot of minority and foreign names
 * written as · • ・ ‧ or a space, and in Latin letters.  The caller has
 * already applied NFKC (fullwidth letters, compatibility ideographs).  What
 * a Han character reads as, and its simplified form, come from a lookup
 * the caller supplies (ICU in the server, a stub in the fuzzer), asked once
 * per character and, for the surname, once for the first one or two.
 * Pure C: no postgres.h.
 */
#ifndef HH_NAME_KEY_H
#define HH_NAME_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HH_NAME_MAX_CHARS	64		/* longer input is refused */
#define HH_PINYIN_MAX		8		/* one syllable, NUL included ("zhuang") */

typedef enum hh_name_status
{
	HH_NAME_OK = 0,
	HH_NAME_EMPTY,				/* nothing left after dropping spaces and dots */
	HH_NAME_TOO_LONG,			/* more than HH_NAME_MAX_CHARS characters */
	HH_NAME_BAD_UTF8,			/* not valid UTF-8 */
	HH_NAME_BAD_CHAR			/* a character that is not part of a name */
} hh_name_status;

/*
 * The caller's knowledge of Han characters.
 *	simplify: the simplified form of cp (cp itself if it has none).
 *	reading: the toneless lowercase ASCII pinyin of cps[0..n) read as a
 *		surname (as_surname, n is 1 or 2) or as an ordinary character
 *		(n is 1), written to out (capacity HH_PINYIN_MAX * 2); returns false
 *		if it has none (a character outside the transliterator's range).
 */
typedef struct hh_han_lookup
{
	void	   *ctx;
	uint32_t	(*simplify) (void *ctx, uint32_t cp);
	bool		(*reading) (void *ctx, const uint32_t *cps, int n, bool as_surname, char *out);
} hh_han_lookup;

typedef struct hh_name_keys
{
	hh_name_status status;
	size_t		position;		/* 1-based character of the problem */
	uint32_t	codepoint;		/* the offending character */
	bool		is_han;			/* written in Han characters */
	bool		has_dot;		/* a minority or foreign name with parts */
	int			surname_chars;	/* 1 or 2 for a Han name without dots, else 0 */
	char		hanzi[HH_NAME_MAX_CHARS * 4 + 1];	/* simplified, no spaces or dots */
	char		surname[2 * 4 + 1];	/* its first surname_chars characters */
	char		pinyin[HH_NAME_MAX_CHARS * HH_PINYIN_MAX + 1];	/* syllables run together */
	size_t		given_offset;	/* where the given name starts in pinyin (0 without a surname) */
	char		initials[HH_NAME_MAX_CHARS + 1];	/* first letter of each syllable or part */
} hh_name_keys;

/* Two-character surnames; a Han name starting with one reads it as one. */
extern bool hh_is_compound_surname(uint32_t first, uint32_t second);

extern void hh_name_keys_build(const char *utf8, size_t len, const hh_han_lookup *lookup,
							   hh_name_keys *keys);

#endif
