/*
 * han_icu.c
 *		What a Han character reads as, and its simplified form, from ICU; and
 *		the SQL functions over name_key.c.
 *
 * ICU's transliterators are opened once per backend (or in the postmaster,
 * under shared_preload_libraries, so backends inherit them).  Opening
 * Han-Latin/Names costs about 150 ms and one transliteration 20-30 us, so
 * each character is transliterated once per backend and remembered: a name
 * costs a few table look-ups after its characters have been seen.  Readings
 * are taken character by character (Han-Latin's phrase rules would read
 * 曾国藩 as "zengguo fan"), and the surname with Han-Latin/Names, which
 * reads 单 shan, 曾 zeng, 解 xie, 尉迟 yuchi.
 */
#include "postgres.h"

#include <unicode/uversion.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "linkage/han.h"
#include "linkage/name_key.h"

/* The range remembered in tables: CJK Extension A and the URO. */
#define MEMO_FIRST	0x3400
#define MEMO_LAST	0x9FFF
#define MEMO_SIZE	(MEMO_LAST - MEMO_FIRST + 1)
#define NO_READING	"\001"

static UTransliterator *to_simplified = NULL;
static UTransliterator *to_pinyin = NULL;
static UTransliterator *to_surname_pinyin = NULL;
static const UNormalizer2 *nfkc = NULL;

static uint32_t *simplified_memo = NULL;	/* 0: not yet asked */
static char (*reading_memo)[HH_PINYIN_MAX] = NULL;	/* "": not yet asked */
static char (*surname_memo)[HH_PINYIN_MAX] = NULL;

typedef struct CompoundReading
{
	uint32_t	first;
	uint32_t	second;
	char		reading[HH_PINYIN_MAX * 2];
} CompoundReading;

static CompoundReading compound_memo[64];
static int	compound_count = 0;

static UTransliterator *
open_transliterator(const char *id)
{
	UChar		uid[128];
	UErrorCode	status = U_ZERO_ERROR;
	UTransliterator *t;

	u_uastrncpy(uid, id, lengthof(uid));
	t = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, NULL, &status);
	if (U_FAILURE(status))
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not open the ICU transliterator \"%s\": %s", id, u_errorName(status)),
				 errhint("healthhub needs ICU with its transliteration data (Debian package libicu72).")));
	return t;
}

void
hh_han_warm(void)
{
	UErrorCode	status = U_ZERO_ERROR;

	if (to_surname_pinyin != NULL)
		return;
	nfkc = unorm2_getNFKCInstance(&status);
	if (U_FAILURE(status))
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not load ICU's NFKC normaliser: %s", u_errorName(status))));
	to_simplified = open_transliterator("Traditional-Simplified");
	to_pinyin = open_transliterator("Han-Latin; Latin-ASCII; Lower");
	to_surname_pinyin = open_transliterator("Han-Latin/Names; Latin-ASCII; Lower");
	simplified_memo = MemoryContextAllocZero(TopMemoryContext, sizeof(uint32_t) * MEMO_SIZE);
	reading_memo = MemoryContextAllocZero(TopMemoryContext, HH_PINYIN_MAX * MEMO_SIZE);
	surname_memo = MemoryContextAllocZero(TopMemoryContext, HH_PINYIN_MAX * MEMO_SIZE);
}

/* Transliterate the code points cps[0..n) with t into UTF-16 buf. */
static int32_t
transliterate(UTransliterator *t, const uint32_t *cps, int n, UChar *buf, int32_t cap)
{
	UErrorCode	status = U_ZERO_ERROR;
	int32_t		len = 0;
	int32_t		limit;

	for (int i = 0; i < n; i++)
		U16_APPEND_UNSAFE(buf, len, cps[i]);
	limit = len;
	utrans_transUChars(t, buf, &len, cap, 0, &limit, &status);
	return U_FAILURE(status) ? -1 : len;
}

static uint32_t
icu_simplify(void *ctx, uint32_t cp)
{
	UChar		buf[16];
	int32_t		len;
	uint32_t	result = cp;

	if (cp >= MEMO_FIRST && cp <= MEMO_LAST && simplified_memo[cp - MEMO_FIRST] != 0)
		return simplified_memo[cp - MEMO_FIRST];
	len = transliterate(to_simplified, &cp, 1, buf, lengthof(buf));
	/* one character in, one out; anything else keeps the character */
	if (len > 0)
	{
		int32_t		i = 0;
		UChar32		c;

		U16_NEXT(buf, i, len, c);
		if (i == len)
			result = (uint32_t) c;
	}
	if (cp >= MEMO_FIRST && cp <= MEMO_LAST)
		simplified_memo[cp - MEMO_FIRST] = result;
	return result;
}

/* Keep a-z and single spaces of ICU's output; false if nothing is left. */
static bool
ascii_reading(const UChar *buf, int32_t len, char *out, size_t cap)
{
	size_t		n = 0;

	for (int32_t i = 0; i < len && n + 1 < cap; i++)
	{
		UChar		c = buf[i];

		if (c >= 'a' && c <= 'z')
			out[n++] = (char) c;
		else if (c == ' ' && n > 0 && out[n - 1] != ' ')
			out[n++] = ' ';
		else if (c > 0x7F)
		{
			n = 0;				/* left untransliterated: no reading */
			break;
		}
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return n > 0;
}

static bool
read_with(UTransliterator *t, const uint32_t *cps, int n, char *out, size_t cap)
{
	UChar		buf[64];
	int32_t		len = transliterate(t, cps, n, buf, lengthof(buf));

	return len > 0 && ascii_reading(buf, len, out, cap);
}

static bool
icu_reading(void *ctx, const uint32_t *cps, int n, bool as_surname, char *out)
{
	char		(*memo)[HH_PINYIN_MAX] = as_surname ? surname_memo : reading_memo;
	uint32_t	cp = cps[0];

	if (n == 2)
	{
		bool		found;

		for (int i = 0; i < compound_count; i++)
			if (compound_memo[i].first == cps[0] && compound_memo[i].second == cps[1])
			{
				strcpy(out, compound_memo[i].reading);
				return out[0] != '\001';
			}
		found = read_with(to_surname_pinyin, cps, 2, out, HH_PINYIN_MAX * 2);
		if (compound_count < (int) lengthof(compound_memo))
		{
			compound_memo[compound_count].first = cps[0];
			compound_memo[compound_count].second = cps[1];
			strcpy(compound_memo[compound_count].reading, found ? out : NO_READING);
			compound_count++;
		}
		return found;
	}
	if (cp >= MEMO_FIRST && cp <= MEMO_LAST && memo[cp - MEMO_FIRST][0] != '\0')
	{
		strcpy(out, memo[cp - MEMO_FIRST]);
		return out[0] != '\001';
	}
	if (!read_with(as_surname ? to_surname_pinyin : to_pinyin, cps, 1, out, HH_PINYIN_MAX) ||
		strchr(out, ' ') != NULL)
	{
		if (cp >= MEMO_FIRST && cp <= MEMO_LAST)
			strcpy(memo[cp - MEMO_FIRST], NO_READING);
		return false;
	}
	if (cp >= MEMO_FIRST && cp <= MEMO_LAST)
		strcpy(memo[cp - MEMO_FIRST], out);
	return true;
}

static const hh_han_lookup icu_lookup = {NULL, icu_simplify, icu_reading};

void
hh_han_name_keys(const char *utf8, size_t len, hh_name_keys *keys)
{
	UChar		in[HH_NAME_MAX_CHARS * 2 + 8];
	UChar		normal[HH_NAME_MAX_CHARS * 4 + 8];
	char		folded[HH_NAME_MAX_CHARS * 4 * 3 + 8];
	int32_t		inlen,
				nlen,
				flen;
	UErrorCode	status = U_ZERO_ERROR;

	hh_han_warm();
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("name keys need a UTF8 database"),
				 errdetail("This database's encoding is %s.", GetDatabaseEncodingName())));
	u_strFromUTF8(in, lengthof(in), &inlen, utf8, (int32_t) len, &status);
	if (status == U_ZERO_ERROR)
		nlen = unorm2_normalize(nfkc, in, inlen, normal, lengthof(normal), &status);
	if (status != U_ZERO_ERROR)
	{
		/* it did not fit: more than HH_NAME_MAX_CHARS characters; the core says so */
		hh_name_keys_build(utf8, len, &icu_lookup, keys);
		if (keys->status == HH_NAME_OK)
			keys->status = HH_NAME_TOO_LONG;
		return;
	}
	u_strToUTF8(folded, sizeof(folded), &flen, normal, nlen, &status);
	if (U_FAILURE(status))
		elog(ERROR, "could not convert a normalised name to UTF-8: %s", u_errorName(status));
	hh_name_keys_build(folded, (size_t) flen, &icu_lookup, keys);
}

/* The reason a name has no keys, for errdetail. */
const char *
hh_name_problem(const hh_name_keys *keys)
{
	switch (keys->status)
	{
		case HH_NAME_OK:
			return NULL;
		case HH_NAME_EMPTY:
			return pstrdup("A name needs at least one letter or Han character.");
		case HH_NAME_TOO_LONG:
			return psprintf("A name has at most %d characters.", HH_NAME_MAX_CHARS);
		case HH_NAME_BAD_UTF8:
			return psprintf("Character %zu is not valid UTF-8.", keys->position);
		case HH_NAME_BAD_CHAR:
			return psprintf("Character %zu (U+%04X) is not part of a name.", keys->position,
							keys->codepoint);
	}
	return pstrdup("unknown problem");
}

/* The keys as the composite name_keys() returns, or NULL with *keys failed. */
static Datum
name_keys_datum(FunctionCallInfo fcinfo, text *name, hh_name_keys *keys, bool *isnull)
{
	TupleDesc	desc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	hh_han_name_keys(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), keys);
	*isnull = keys->status != HH_NAME_OK;
	if (*isnull)
		return (Datum) 0;
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "name_keys must return a composite type");
	values[0] = CStringGetTextDatum(keys->hanzi);
	values[1] = CStringGetTextDatum(keys->pinyin);
	values[2] = CStringGetTextDatum(keys->initials);
	values[3] = CStringGetTextDatum(keys->surname);
	nulls[3] = keys->surname_chars == 0;
	values[4] = CStringGetTextDatum(keys->pinyin + keys->given_offset);
	nulls[4] = keys->surname_chars == 0;
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
}

/*
 * healthhub.name_keys(name text, OUT hanzi text, OUT pinyin text,
 *                     OUT initials text, OUT surname text, OUT given_pinyin text)
 */
PG_FUNCTION_INFO_V1(hh_name_keys_sql);
Datum
hh_name_keys_sql(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	hh_name_keys keys;
	bool		failed;
	Datum		result = name_keys_datum(fcinfo, name, &keys, &failed);

	if (failed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid name: \"%s\"", text_to_cstring(name)),
				 errdetail("%s", hh_name_problem(&keys))));
	PG_RETURN_DATUM(result);
}

/* healthhub.name_keys_or_null(name text): the same, NULL for a bad name (bulk loading). */
PG_FUNCTION_INFO_V1(hh_name_keys_or_null);
Datum
hh_name_keys_or_null(PG_FUNCTION_ARGS)
{
	hh_name_keys keys;
	bool		failed;
	Datum		result = name_keys_datum(fcinfo, PG_GETARG_TEXT_PP(0), &keys, &failed);

	if (failed)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/* healthhub.name_problem(name text) RETURNS text: why name_keys() would refuse it, or NULL. */
PG_FUNCTION_INFO_V1(hh_name_problem_sql);
Datum
hh_name_problem_sql(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);
	hh_name_keys keys;

	hh_han_name_keys(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), &keys);
	if (keys.status == HH_NAME_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(hh_name_problem(&keys)));
}

/*
 * healthhub.icu_version() RETURNS text
 * The version of the ICU library the name keys are made with: readings and
 * simplified forms come from its data, so stored keys are true to it alone.
 */
PG_FUNCTION_INFO_V1(hh_icu_version);
Datum
hh_icu_version(PG_FUNCTION_ARGS)
{
	UVersionInfo version;
	char		text[U_MAX_VERSION_STRING_LENGTH];

	u_getVersion(version);
	u_versionToString(version, text);
	PG_RETURN_TEXT_P(cstring_to_text(text));
}
