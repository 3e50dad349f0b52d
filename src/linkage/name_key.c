/*
 * name_key.c
 *		Match keys of a person's name (see name_key.h).
 */
#include "linkage/name_key.h"

#include <string.h>

#include "core/textnorm.h"

/* Compound surnames, simplified (欧阳 司马 上官 诸葛 ...). */
static const uint32_t compound_surnames[][2] = {
	{0x6B27, 0x9633}, {0x53F8, 0x9A6C}, {0x4E0A, 0x5B98}, {0x8BF8, 0x845B},
	{0x4E1C, 0x65B9}, {0x7687, 0x752B}, {0x5C09, 0x8FDF}, {0x516C, 0x5B59},
	{0x6155, 0x5BB9}, {0x957F, 0x5B59}, {0x5B87, 0x6587}, {0x53F8, 0x5F92},
	{0x4EE4, 0x72D0}, {0x590F, 0x4FAF}, {0x8F69, 0x8F95}, {0x7AEF, 0x6728},
	{0x4E07, 0x4FDF}, {0x5355, 0x4E8E}, {0x6FB9, 0x53F0}, {0x516C, 0x51B6},
	{0x5B97, 0x653F}, {0x6FEE, 0x9633}, {0x6DF3, 0x4E8E}, {0x592A, 0x53D4},
	{0x7533, 0x5C60}, {0x8D6B, 0x8FDE}, {0x95FB, 0x4EBA}, {0x547C, 0x5EF6},
	{0x949F, 0x79BB}, {0x5357, 0x5BAB}, {0x5B50, 0x8F66},
};

bool
hh_is_compound_surname(uint32_t first, uint32_t second)
{
	for (size_t i = 0; i < sizeof(compound_surnames) / sizeof(compound_surnames[0]); i++)
		if (compound_surnames[i][0] == first && compound_surnames[i][1] == second)
			return true;
	return false;
}

/* Whitespace, including what copy and paste brings (zero-width, BOM). */
static bool
is_name_space(uint32_t cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 || cp == 0x3000 ||
		(cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F || cp == 0x205F || cp == 0xFEFF;
}

/* The separators of a name's parts: · • ・ ‧ ･ ⋅ ∙ and the full stop. */
static bool
is_name_dot(uint32_t cp)
{
	return cp == 0x00B7 || cp == 0x2022 || cp == 0x30FB || cp == 0x2027 || cp == 0xFF65 ||
		cp == 0x22C5 || cp == 0x2219 || cp == 0x16EB || cp == '.';
}

static bool
is_han(uint32_t cp)
{
	return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
		(cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x323AF) || cp == 0x3007;
}

static bool
is_latin_letter(uint32_t cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

static size_t
encode_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

static void
fail(hh_name_keys *keys, hh_name_status status, size_t position, uint32_t cp)
{
	keys->status = status;
	keys->position = position;
	keys->codepoint = cp;
	keys->hanzi[0] = keys->surname[0] = keys->pinyin[0] = keys->initials[0] = '\0';
}

/* u<hex>: the syllable of a character without a reading (outside the BMP). */
static void
hex_syllable(uint32_t cp, char *out)
{
	size_t		m = 0;

	out[m++] = 'u';
	for (int shift = 20; shift >= 0; shift -= 4)
		if ((cp >> shift) != 0 || shift == 0)
			out[m++] = "0123456789abcdef"[(cp >> shift) & 15];
	out[m] = '\0';
}

/*
 * Append a reading: one or more syllables separated by spaces, run together
 * in the pinyin, one initial each.
 */
static void
add_reading(hh_name_keys *keys, size_t *py, size_t *ini, const char *reading)
{
	bool		start = true;

	for (const char *r = reading; *r; r++)
	{
		if (*r == ' ')
		{
			start = true;
			continue;
		}
		if (start)
			keys->initials[(*ini)++] = *r;
		keys->pinyin[(*py)++] = *r;
		start = false;
	}
}

void
hh_name_keys_build(const char *utf8, size_t len, const hh_han_lookup *lookup, hh_name_keys *keys)
{
	uint32_t	cps[HH_NAME_MAX_CHARS];
	int			ncps = 0;
	int			nhan = 0;
	size_t		pos = 0;
	size_t		nchars = 0;
	size_t		hz = 0,
				py = 0,
				ini = 0;
	bool		new_part = true;
	bool		after_space = false;

	memset(keys, 0, sizeof(*keys));

	/*
	 * Pass 1: decode; drop spaces; keep one dot between parts; simplify Han
	 * characters; fold Latin letters to lower case.  A dot stays in cps as
	 * '.' (it separates parts for the initials) but never reaches the keys.
	 */
	while (pos < len)
	{
		uint32_t	cp;
		size_t		n = hh_utf8_decode((const unsigned char *) utf8 + pos, len - pos, &cp);

		pos += n;
		nchars++;
		if (cp == 0xFFFD && n == 1)
			return fail(keys, HH_NAME_BAD_UTF8, nchars, cp);
		if (is_name_space(cp))
		{
			after_space = true;
			continue;
		}
		if (is_name_dot(cp))
		{
			after_space = false;
			keys->has_dot = true;
			if (ncps > 0 && cps[ncps - 1] != '.')
			{
				/* a dot takes a place too (found by the fuzzer) */
				if (ncps == HH_NAME_MAX_CHARS)
					return fail(keys, HH_NAME_TOO_LONG, nchars, cp);
				cps[ncps++] = '.';
			}
			continue;
		}
		if (is_han(cp))
		{
			cp = lookup->simplify(lookup->ctx, cp);
			nhan++;
		}
		else if (is_latin_letter(cp))
		{
			cp |= 0x20;
			/* a space between Latin words separates parts, as a dot does */
			if (after_space && ncps > 0 && cps[ncps - 1] >= 'a' && cps[ncps - 1] <= 'z' &&
				ncps < HH_NAME_MAX_CHARS)
				cps[ncps++] = '.';
		}
		else if (!(cp == '-' || cp == '\''))
			return fail(keys, HH_NAME_BAD_CHAR, nchars, cp);
		after_space = false;
		if (ncps == HH_NAME_MAX_CHARS)
			return fail(keys, HH_NAME_TOO_LONG, nchars, cp);
		cps[ncps++] = cp;
	}
	while (ncps > 0 && cps[ncps - 1] == '.')
		ncps--;
	keys->is_han = nhan > 0;

	/* A Han name without dots starts with its surname: one or two characters. */
	if (keys->is_han && !keys->has_dot && ncps >= 2 && is_han(cps[0]))
		keys->surname_chars = (ncps >= 3 && hh_is_compound_surname(cps[0], cps[1])) ? 2 : 1;

	/* Pass 2: the keys. */
	for (int i = 0; i < ncps; i++)
	{
		uint32_t	cp = cps[i];
		char		reading[HH_PINYIN_MAX * 2];

		if (cp == '.')
		{
			new_part = true;
			continue;
		}
		if (cp == '-' || cp == '\'')
			continue;
		hz += encode_utf8(cp, keys->hanzi + hz);
		if (is_han(cp))
		{
			bool		surname = i < keys->surname_chars;

			if (surname && i > 0)
				continue;		/* read with the first character */
			if (!lookup->reading(lookup->ctx, &cps[i], surname ? keys->surname_chars : 1, surname, reading))
			{
				hex_syllable(cp, reading);
				if (surname && keys->surname_chars == 2)
				{
					size_t		m = strlen(reading);

					reading[m] = ' ';
					hex_syllable(cps[1], reading + m + 1);
				}
			}
			add_reading(keys, &py, &ini, reading);
			if (surname)
				keys->given_offset = py;
			new_part = false;
			continue;
		}
		/* Latin letters: one part runs until the next dot */
		keys->pinyin[py++] = (char) cp;
		if (new_part)
			keys->initials[ini++] = (char) cp;
		new_part = false;
	}
	if (hz == 0)
		return fail(keys, HH_NAME_EMPTY, nchars, 0);
	keys->hanzi[hz] = keys->pinyin[py] = keys->initials[ini] = '\0';
	for (int i = 0, m = 0; i < keys->surname_chars; i++)
	{
		m += (int) encode_utf8(cps[i], keys->surname + m);
		keys->surname[m] = '\0';
	}
	keys->status = HH_NAME_OK;
}
