/*
 * compare.c
 *		The comparators of record linkage (see compare.h).
 */
#include "linkage/compare.h"

#include <stdlib.h>
#include <string.h>

const char *const hh_comparison_names[HH_NCOMPARISONS] = {
	"name", "birth_date", "sex", "phone", "region", "identifier"
};

static const char *const name_levels[] = {"missing", "hanzi", "pinyin", "pinyin_close", "pinyin_near", "other", NULL};
static const char *const birth_levels[] = {"missing", "exact", "day_month_swapped", "one_part_off", "other", NULL};
static const char *const sex_levels[] = {"missing", "same", "other", NULL};
static const char *const phone_levels[] = {"missing", "exact", "last_8", "other", NULL};
static const char *const region_levels[] = {"missing", "county", "prefecture", "province", "other", NULL};
static const char *const identifier_levels[] = {"missing", "exact", "one_or_two_apart", "other", NULL};

const char *const *const hh_comparison_levels[HH_NCOMPARISONS] = {
	name_levels, birth_levels, sex_levels, phone_levels, region_levels, identifier_levels
};

double
hh_jaro_winkler_cp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
	unsigned char amatch[HH_JW_MAX],
				bmatch[HH_JW_MAX];
	size_t		window,
				matches = 0,
				transpositions = 0,
				prefix = 0;
	double		jaro;

	if (alen > HH_JW_MAX)
		alen = HH_JW_MAX;
	if (blen > HH_JW_MAX)
		blen = HH_JW_MAX;
	if (alen == 0 && blen == 0)
		return 1.0;
	if (alen == 0 || blen == 0)
		return 0.0;
	memset(amatch, 0, alen);
	memset(bmatch, 0, blen);
	window = (alen > blen ? alen : blen) / 2;
	window = window > 0 ? window - 1 : 0;

	for (size_t i = 0; i < alen; i++)
	{
		size_t		lo = i > window ? i - window : 0;
		size_t		hi = i + window + 1 < blen ? i + window + 1 : blen;

		for (size_t j = lo; j < hi; j++)
			if (!bmatch[j] && a[i] == b[j])
			{
				amatch[i] = bmatch[j] = 1;
				matches++;
				break;
			}
	}
	if (matches == 0)
		return 0.0;
	for (size_t i = 0, j = 0; i < alen; i++)
	{
		if (!amatch[i])
			continue;
		while (!bmatch[j])
			j++;
		if (a[i] != b[j])
			transpositions++;
		j++;
	}
	jaro = ((double) matches / alen + (double) matches / blen +
			(double) (matches - transpositions / 2) / matches) / 3.0;
	while (prefix < 4 && prefix < alen && prefix < blen && a[prefix] == b[prefix])
		prefix++;
	return jaro + prefix * 0.1 * (1.0 - jaro);
}

double
hh_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen)
{
	uint32_t	ca[HH_JW_MAX],
				cb[HH_JW_MAX];

	alen = alen > HH_JW_MAX ? HH_JW_MAX : alen;
	blen = blen > HH_JW_MAX ? HH_JW_MAX : blen;
	for (size_t i = 0; i < alen; i++)
		ca[i] = (unsigned char) a[i];
	for (size_t i = 0; i < blen; i++)
		cb[i] = (unsigned char) b[i];
	return hh_jaro_winkler_cp(ca, alen, cb, blen);
}

int
hh_compare_name(const hh_name_side *a, const hh_name_side *b)
{
	double		jw;

	if (a->hanzi == NULL || b->hanzi == NULL || !a->hanzi[0] || !b->hanzi[0])
		return 0;
	if (strcmp(a->hanzi, b->hanzi) == 0)
		return 1;
	if (strcmp(a->pinyin, b->pinyin) == 0)
		return 2;				/* a homophone, or a variant character */
	if (a->surname != NULL && b->surname != NULL && a->given_pinyin != NULL && b->given_pinyin != NULL &&
		strcmp(a->surname, b->surname) == 0)
		jw = hh_jaro_winkler(a->given_pinyin, strlen(a->given_pinyin), b->given_pinyin, strlen(b->given_pinyin));
	else
		jw = hh_jaro_winkler(a->pinyin, strlen(a->pinyin), b->pinyin, strlen(b->pinyin));
	if (jw >= 0.94)
		return 3;
	if (jw >= 0.85)
		return 4;
	return 5;
}

int
hh_compare_birth_date(const hh_ymd *a, const hh_ymd *b)
{
	int			parts_off = 0;

	if (!a->present || !b->present)
		return 0;
	if (a->days == b->days)
		return 1;
	if (a->year == b->year && a->month == b->day && a->day == b->month)
		return 2;
	/* a day apart (across a month's end too) */
	if (abs(a->days - b->days) == 1)
		return 3;
	/* or one part slipped: by one, or a year by ten (one digit mistyped) */
	parts_off = (a->year != b->year) + (a->month != b->month) + (a->day != b->day);
	if (parts_off == 1 && (abs(a->year - b->year) == 1 || abs(a->year - b->year) == 10 ||
						   abs(a->month - b->month) == 1 || abs(a->day - b->day) == 1))
		return 3;
	return 4;
}

int
hh_compare_sex(int a, int b)
{
	if (a == 0 || b == 0)
		return 0;
	return a == b ? 1 : 2;
}

int
hh_compare_phone(const char *a, const char *b)
{
	size_t		la,
				lb;

	if (a == NULL || b == NULL || !a[0] || !b[0])
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	la = strlen(a);
	lb = strlen(b);
	if (la >= 8 && lb >= 8 && memcmp(a + la - 8, b + lb - 8, 8) == 0)
		return 2;
	return 3;
}

int
hh_compare_region(int32_t a, int32_t b)
{
	if (a <= 0 || b <= 0)
		return 0;
	if (a == b)
		return 1;
	if (a / 100 == b / 100)
		return 2;
	if (a / 10000 == b / 10000)
		return 3;
	return 4;
}

int
hh_compare_identifier(const char *a, const char *b)
{
	size_t		la,
				lb,
				apart = 0;

	if (a == NULL || b == NULL || !a[0] || !b[0])
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	la = strlen(a);
	lb = strlen(b);
	if (la == lb)
	{
		for (size_t i = 0; i < la && apart <= 2; i++)
			apart += a[i] != b[i];
		if (apart <= 2)
			return 2;
	}
	return 3;
}
