/*
 * compare.h
 *		The comparators of record linkage: each compares one field of two
 *		records and answers with a level, from agreement to disagreement, that
 *		the model weighs (healthhub.linkage_weights).  Pure C: no postgres.h.
 *
 * Level 0 is always "one side is missing" (weight 0: no evidence); the others
 * are listed, strongest agreement first, by hh_comparison_levels.
 */
#ifndef HH_COMPARE_H
#define HH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum hh_comparison
{
	HH_CMP_NAME = 0,			/* hanzi exact, pinyin exact, Jaro-Winkler bands */
	HH_CMP_BIRTH_DATE,			/* exact, day/month swapped, one part off by one */
	HH_CMP_SEX,
	HH_CMP_PHONE,
	HH_CMP_REGION,				/* county, prefecture, province */
	HH_CMP_IDENTIFIER,			/* the ID number as received: equal, one or two characters apart */
	HH_NCOMPARISONS
} hh_comparison;

#define HH_MAX_LEVELS 6

extern const char *const hh_comparison_names[HH_NCOMPARISONS];
/* level names per comparison, NULL-terminated; [0] is "missing" */
extern const char *const *const hh_comparison_levels[HH_NCOMPARISONS];

/*
 * Jaro-Winkler similarity, 0..1 (prefix scale 0.1, up to 4 characters), of
 * two code point strings, or of two byte strings (ASCII pinyin).  Only the
 * first HH_JW_MAX characters count.
 */
#define HH_JW_MAX 128
extern double hh_jaro_winkler_cp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen);
extern double hh_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen);

/*
 * Name keys of one side, as name_key.c builds them; NULL hanzi if missing.
 * Two names with the same surname are told apart by their given names: over
 * the whole pinyin, a shared "zhang" makes any two given names look close.
 */
typedef struct hh_name_side
{
	const char *hanzi;
	const char *pinyin;
	const char *initials;
	const char *surname;		/* hanzi, NULL if none */
	const char *given_pinyin;	/* pinyin of the given name, NULL if no surname */
} hh_name_side;

extern int	hh_compare_name(const hh_name_side *a, const hh_name_side *b);

/* Dates as days since 2000-01-01 with their year, month and day. */
typedef struct hh_ymd
{
	bool		present;
	int			year;
	int			month;
	int			day;
	int32_t		days;			/* since 2000-01-01 */
} hh_ymd;

extern int	hh_compare_birth_date(const hh_ymd *a, const hh_ymd *b);
/* sex codes 1 and 2 (GB/T 2261.1); 0 unknown */
extern int	hh_compare_sex(int a, int b);
/* NUL-terminated digit strings or NULL */
extern int	hh_compare_phone(const char *a, const char *b);
/* 6-digit region codes as integers, 0 if missing */
extern int	hh_compare_region(int32_t a, int32_t b);
extern int	hh_compare_identifier(const char *a, const char *b);

#endif
