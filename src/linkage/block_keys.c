/*
 * block_keys.c
 *		The blocking keys of a record, one per rule that applies
 *		("rule:value"), and their 64-bit hashes as record_block_keys stores
 *		them (healthhub.block_hash: hashtextextended(key, 0)).
 *
 * One builder for both forms: link_record and link_batch need only the
 * hashes of the model's rules, and making the strings in SQL to hash them
 * cost a batch of a million records several seconds.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"

/* The rules, in healthhub.linkage_blocking_rules order. */
typedef enum BlockRule
{
	RULE_PINYIN_BIRTH_YEAR,
	RULE_INITIALS_BIRTH_DATE,
	RULE_BIRTH_DATE_SEX_PREFECTURE,
	RULE_PHONE,
	RULE_HANZI,
	NRULES
} BlockRule;

static const char *const rule_names[NRULES] = {
	"pinyin_birth_year", "initials_birth_date", "birth_date_sex_prefecture", "phone", "hanzi"
};

/* The fields the keys are made of (NULL or absent when missing; zeroed first). */
typedef struct BlockFields
{
	text	   *pinyin;
	text	   *initials;
	text	   *hanzi;
	bool		has_birth;
	int			year,
				month,
				day;
	int			sex;			/* 0: missing */
	int			region;			/* 0: missing */
	text	   *phone;
} BlockFields;

static text *
text_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : PG_GETARG_TEXT_PP(n);
}

/* Arguments: name_pinyin, name_initials, name_hanzi, birth_date, sex, region, phone. */
static void
read_fields(FunctionCallInfo fcinfo, BlockFields *f)
{
	f->pinyin = text_arg(fcinfo, 0);
	f->initials = text_arg(fcinfo, 1);
	f->hanzi = text_arg(fcinfo, 2);
	f->has_birth = !PG_ARGISNULL(3) && !DATE_NOT_FINITE(PG_GETARG_DATEADT(3));
	if (f->has_birth)
		j2date(PG_GETARG_DATEADT(3) + POSTGRES_EPOCH_JDATE, &f->year, &f->month, &f->day);
	f->sex = PG_ARGISNULL(4) ? 0 : PG_GETARG_INT16(4);
	f->region = PG_ARGISNULL(5) ? 0 : PG_GETARG_INT32(5);
	f->phone = text_arg(fcinfo, 6);
}

static void
append_text(StringInfo buf, text *t)
{
	appendBinaryStringInfo(buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* The birth date as yyyymmdd: only for a record that has one (has_birth). */
static int
ymd(const BlockFields *f)
{
	return f->year * 10000 + f->month * 100 + f->day;
}

/* The key of one rule into buf; false if a field it needs is missing. */
static bool
make_key(const BlockFields *f, BlockRule rule, StringInfo buf)
{
	resetStringInfo(buf);
	appendStringInfoString(buf, rule_names[rule]);
	appendStringInfoChar(buf, ':');
	switch (rule)
	{
		case RULE_PINYIN_BIRTH_YEAR:
			if (f->pinyin == NULL || !f->has_birth)
				return false;
			append_text(buf, f->pinyin);
			appendStringInfo(buf, ":%d", f->year);
			return true;
		case RULE_INITIALS_BIRTH_DATE:
			if (f->initials == NULL || !f->has_birth)
				return false;
			append_text(buf, f->initials);
			appendStringInfo(buf, ":%d", ymd(f));
			return true;
		case RULE_BIRTH_DATE_SEX_PREFECTURE:
			if (!f->has_birth || f->sex == 0 || f->region == 0)
				return false;
			appendStringInfo(buf, "%d:%d:%d", ymd(f), f->sex, f->region / 100);
			return true;
		case RULE_PHONE:
			{
				const char *p;
				char		digits[8];
				int			n = 0;

				if (f->phone == NULL)
					return false;

				/*
				 * The last 8 digits.  A stored phone is digits only
				 * (phone_digits); of any other text the digits alone are
				 * taken, so a key never ends in part of a character.
				 */
				p = VARDATA_ANY(f->phone);
				for (int i = VARSIZE_ANY_EXHDR(f->phone) - 1; i >= 0 && n < 8; i--)
					if (p[i] >= '0' && p[i] <= '9')
						digits[8 - ++n] = p[i];
				if (n == 0)
					return false;
				appendBinaryStringInfo(buf, digits + 8 - n, n);
				return true;
			}
		case RULE_HANZI:
			if (f->hanzi == NULL)
				return false;
			append_text(buf, f->hanzi);
			return true;
		case NRULES:
			break;
	}
	return false;
}

/* Which rules a text[] names (NULL: all of them). */
static void
wanted_rules(FunctionCallInfo fcinfo, int n, bool *wanted)
{
	Datum	   *names;
	bool	   *nulls;
	int			count;

	if (PG_ARGISNULL(n))
	{
		for (int r = 0; r < NRULES; r++)
			wanted[r] = true;
		return;
	}
	memset(wanted, 0, NRULES * sizeof(bool));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(n), TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls, &count);
	for (int i = 0; i < count; i++)
		for (int r = 0; r < NRULES && !nulls[i]; r++)
			if (strcmp(TextDatumGetCString(names[i]), rule_names[r]) == 0)
				wanted[r] = true;
}

/*
 * healthhub.block_keys(name_pinyin, name_initials, name_hanzi, birth_date,
 *                      sex, region, phone) RETURNS text[]
 */
PG_FUNCTION_INFO_V1(hh_block_keys);
Datum
hh_block_keys(PG_FUNCTION_ARGS)
{
	BlockFields f = {0};
	StringInfoData buf;
	Datum		keys[NRULES];
	int			n = 0;

	read_fields(fcinfo, &f);
	initStringInfo(&buf);
	for (int r = 0; r < NRULES; r++)
		if (make_key(&f, r, &buf))
			keys[n++] = PointerGetDatum(cstring_to_text_with_len(buf.data, buf.len));
	PG_RETURN_ARRAYTYPE_P(construct_array(keys, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * healthhub.block_hashes(name_pinyin, name_initials, name_hanzi, birth_date,
 *                        sex, region, phone, rules text[]) RETURNS bigint[]:
 * the distinct hashes of the keys of the given rules (NULL: all rules).
 */
PG_FUNCTION_INFO_V1(hh_block_hashes);
Datum
hh_block_hashes(PG_FUNCTION_ARGS)
{
	BlockFields f = {0};
	StringInfoData buf;
	bool		wanted[NRULES];
	Datum		hashes[NRULES];
	int			n = 0;

	read_fields(fcinfo, &f);
	wanted_rules(fcinfo, 7, wanted);
	initStringInfo(&buf);
	for (int r = 0; r < NRULES; r++)
	{
		Datum		h;
		bool		seen = false;

		if (!wanted[r] || !make_key(&f, r, &buf))
			continue;
		/* as hashtextextended(key, 0) under a deterministic collation */
		h = hash_any_extended((unsigned char *) buf.data, buf.len, 0);
		for (int i = 0; i < n && !seen; i++)
			seen = DatumGetInt64(hashes[i]) == DatumGetInt64(h);
		if (!seen)
			hashes[n++] = h;
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(hashes, n, INT8OID, sizeof(int64), true, TYPALIGN_DOUBLE));
}
