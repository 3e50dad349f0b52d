/*
 * fuzz_name_key.c
 *		libFuzzer harness for the name keys and the comparators
 *		(src/linkage/name_key.c, src/linkage/compare.c).
 *
 * The Han lookup is a stub (a Han character "reads" as a syllable made from
 * its code point, and simplifies to itself or, for a few, to another), so
 * the harness checks the core, not ICU.  For any input: no overrun, a
 * status, and on success keys that are NUL-terminated and within their
 * buffers, pinyin and initials of a-z only, one initial per syllable at
 * most, a hanzi key without spaces or dots, and the same keys when the
 * input is built again from the hanzi key (idempotence for names without
 * dots).  The comparators: Jaro-Winkler in [0, 1], symmetric, 1 on equal
 * strings; every level within its comparison's levels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkage/compare.h"
#include "linkage/name_key.h"
#include "reference.h"

static uint32_t
stub_simplify(void *ctx, uint32_t cp)
{
	return (cp == 0x5F35) ? 0x5F20 : cp;	/* 張 -> 张 */
}

static bool
stub_reading(void *ctx, const uint32_t *cps, int n, bool as_surname, char *out)
{
	size_t		m = 0;

	if (cps[0] > 0xFFFF)
		return false;			/* outside the BMP: no reading */
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			out[m++] = ' ';
		out[m++] = as_surname ? 's' : 'a' + (char) (cps[i] % 26);
		out[m++] = 'a' + (char) ((cps[i] >> 5) % 26);
	}
	out[m] = '\0';
	return true;
}

static const hh_han_lookup stub = {NULL, stub_simplify, stub_reading};

static void
check_ascii_lower(const char *s, const char *what)
{
	for (const char *p = s; *p; p++)
		FUZZ_CHECK((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'), "%s has byte 0x%02x", what,
				   (unsigned char) *p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hh_name_keys keys,
				again;
	char	   *copy = malloc(size ? size : 1);	/* exact size: ASan sees overreads */

	memcpy(copy, data, size);
	hh_name_keys_build(copy, size, &stub, &keys);
	FUZZ_CHECK(keys.status >= HH_NAME_OK && keys.status <= HH_NAME_BAD_CHAR, "status %d", (int) keys.status);
	if (keys.status == HH_NAME_OK)
	{
		FUZZ_CHECK(strlen(keys.hanzi) < sizeof(keys.hanzi), "hanzi overflow");
		FUZZ_CHECK(strlen(keys.pinyin) < sizeof(keys.pinyin), "pinyin overflow");
		FUZZ_CHECK(strlen(keys.initials) < sizeof(keys.initials), "initials overflow");
		FUZZ_CHECK(keys.hanzi[0] != '\0', "empty hanzi key for an OK name");
		FUZZ_CHECK(strpbrk(keys.hanzi, " .") == NULL, "hanzi key keeps a space or dot");
		check_ascii_lower(keys.pinyin, "pinyin");
		check_ascii_lower(keys.initials, "initials");
		FUZZ_CHECK(strlen(keys.initials) <= strlen(keys.pinyin), "more initials than pinyin");
		FUZZ_CHECK(keys.surname_chars >= 0 && keys.surname_chars <= 2, "surname_chars %d", keys.surname_chars);
		if (!keys.has_dot)
		{
			hh_name_keys_build(keys.hanzi, strlen(keys.hanzi), &stub, &again);
			FUZZ_CHECK(again.status == HH_NAME_OK && strcmp(again.hanzi, keys.hanzi) == 0,
					   "hanzi key does not rebuild to itself");
		}
		{
			hh_name_side a = {keys.hanzi, keys.pinyin, keys.initials};
			int			level = hh_compare_name(&a, &a);

			FUZZ_CHECK(level == 1, "a name compared with itself is level %d", level);
		}
	}
	else
		FUZZ_CHECK(keys.hanzi[0] == '\0' && keys.pinyin[0] == '\0', "keys left on failure");

	/* comparators on the two halves of the input */
	{
		size_t		half = size / 2;
		double		ab = hh_jaro_winkler(copy, half, copy + half, size - half);
		double		ba = hh_jaro_winkler(copy + half, size - half, copy, half);
		double		aa = hh_jaro_winkler(copy, half, copy, half);
		hh_ymd		x = {size > 0, 1900 + (size > 0 ? data[0] : 0), 1 + (size > 1 ? data[1] % 12 : 0),
			1 + (size > 2 ? data[2] % 28 : 0), size > 3 ? (int32_t) data[3] * 37 : 0};
		hh_ymd		y = {size > 4, 1900 + (size > 4 ? data[4] : 0), 1 + (size > 5 ? data[5] % 12 : 0),
			1 + (size > 6 ? data[6] % 28 : 0), size > 7 ? (int32_t) data[7] * 37 : 0};
		int			level;

		FUZZ_CHECK(ab >= 0.0 && ab <= 1.0 + 1e-12, "jaro_winkler out of range: %f", ab);
		FUZZ_CHECK(ab == ba, "jaro_winkler not symmetric: %f vs %f", ab, ba);
		FUZZ_CHECK(aa == 1.0, "jaro_winkler of a string with itself: %f", aa);
		level = hh_compare_birth_date(&x, &y);
		FUZZ_CHECK(level >= 0 && level <= 4, "birth date level %d", level);
		level = hh_compare_region(size > 1 ? data[0] * 1000 + data[1] : 0, size > 3 ? data[2] * 1000 + data[3] : 0);
		FUZZ_CHECK(level >= 0 && level <= 4, "region level %d", level);
	}
	free(copy);
	return 0;
}
