/*
 * resident_id.c
 *		SQL type healthhub.resident_id: PostgreSQL glue over resident_id_parse.
 *
 * The value is the 17-digit body as an int8 Datum, so comparison, hashing,
 * sorting and SEND are int8's own functions, through C aliases.
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "ident/ident.h"
#include "ident/resident_id_parse.h"

#define TYPE_NAME "resident_id"

/*
 * What is wrong with a resident ID number, as a full sentence (errdetail
 * style), and optionally what to do about it.
 */
static char *
resident_id_problem_text(rid_status st, const rid_error *e, const char **hint)
{
	*hint = NULL;
	switch (st)
	{
		case RID_OK:
			break;
		case RID_EMPTY:
			return pstrdup("The value is empty.");
		case RID_NOT_ASCII:
			return psprintf("Character %zu (U+%04X) cannot appear in a resident ID number.",
							e->position, e->codepoint);
		case RID_INNER_SPACE:
			*hint = "Remove the spaces between the digits.";
			return psprintf("Character %zu is whitespace inside the number.", e->position);
		case RID_BAD_LENGTH:
			return psprintf("A resident ID number has 18 characters, or 15 for a legacy number, not %zu.",
							e->length);
		case RID_BAD_CHAR:
			if (e->codepoint == 'X')
				return psprintf("Character %zu is X, which may only be the last of 18 characters.",
								e->position);
			return psprintf("Character %zu (\"%c\") is not a digit.", e->position, (char) e->codepoint);
		case RID_BAD_ADDRESS:
			return psprintf("Address code \"%s\" does not begin with a province-level code.", e->address);
		case RID_BAD_DATE:
			return psprintf("Birth date \"%04d%02d%02d\" is not a calendar date.",
							e->year, e->month, e->day);
		case RID_YEAR_TOO_EARLY:
			return psprintf("Birth year %d is before %d.", e->year, RID_MIN_YEAR);
		case RID_BAD_CHECK:
			*hint = "Check the digits for a typing error.";
			return psprintf("Check character is \"%c\" but should be \"%c\".", e->found, e->expected);
		case RID_OUT_OF_RANGE:
			return pstrdup("The body of a resident ID number has exactly 17 digits.");
	}
	return NULL;
}

static int64
parse_or_raise(const char *str, size_t len)
{
	int64		body;
	rid_error	err;
	rid_status	st = rid_parse(str, len, &body, &err);

	if (st != RID_OK)
	{
		const char *hint;
		char	   *detail = resident_id_problem_text(st, &err, &hint);

		hh_input_error(TYPE_NAME, pnstrdup(str, len), detail, hint);
	}
	return body;
}

PG_FUNCTION_INFO_V1(resident_id_in);
Datum
resident_id_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);

	PG_RETURN_INT64(parse_or_raise(str, strlen(str)));
}

/* The text cast, without the detour through a C string that WITH INOUT takes. */
PG_FUNCTION_INFO_V1(resident_id_from_text);
Datum
resident_id_from_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_INT64(parse_or_raise(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

PG_FUNCTION_INFO_V1(resident_id_out);
Datum
resident_id_out(PG_FUNCTION_ARGS)
{
	char	   *out = palloc(19);

	rid_format(PG_GETARG_INT64(0), out);
	PG_RETURN_CSTRING(out);
}

/*
 * A body that did not come through the text parser (binary input, a bigint
 * cast) is checked the same way, and refused with the caller's SQLSTATE.
 */
static int64
checked_body(int64 body, int sqlstate, const char *source)
{
	rid_error	err;
	rid_status	st = rid_check_body(body, &err);
	const char *hint;

	if (st != RID_OK)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("%s " INT64_FORMAT " is not a valid resident_id body", source, body),
				 errdetail_internal("%s", resident_id_problem_text(st, &err, &hint))));
	return body;
}

PG_FUNCTION_INFO_V1(resident_id_recv);
Datum
resident_id_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	PG_RETURN_INT64(checked_body(pq_getmsgint64(buf), ERRCODE_INVALID_BINARY_REPRESENTATION,
								 "binary value"));
}

PG_FUNCTION_INFO_V1(resident_id_from_bigint);
Datum
resident_id_from_bigint(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(checked_body(PG_GETARG_INT64(0), ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, "bigint"));
}

PG_FUNCTION_INFO_V1(resident_id_birth_date);
Datum
resident_id_birth_date(PG_FUNCTION_ARGS)
{
	int			y,
				m,
				d;

	rid_birth_date(PG_GETARG_INT64(0), &y, &m, &d);
	PG_RETURN_DATEADT(date2j(y, m, d) - POSTGRES_EPOCH_JDATE);
}

PG_FUNCTION_INFO_V1(resident_id_sex);
Datum
resident_id_sex(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT16((int16) rid_sex(PG_GETARG_INT64(0)));
}

PG_FUNCTION_INFO_V1(resident_id_region);
Datum
resident_id_region(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(rid_region(PG_GETARG_INT64(0)));
}

PG_FUNCTION_INFO_V1(resident_id_issuer_kind);
Datum
resident_id_issuer_kind(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {
		[RID_CITIZEN] = "citizen",
		[RID_HONG_KONG] = "hong_kong",
		[RID_MACAU] = "macau",
		[RID_TAIWAN] = "taiwan",
		[RID_FOREIGN_PERMANENT] = "foreign_permanent",
	};

	PG_RETURN_TEXT_P(cstring_to_text(names[rid_issuer_of(PG_GETARG_INT64(0))]));
}

/*
 * Completed years at the given date.  Someone born on 29 February turns a
 * year older on 1 March in common years.
 */
PG_FUNCTION_INFO_V1(resident_id_age);
Datum
resident_id_age(PG_FUNCTION_ARGS)
{
	DateADT		at = PG_GETARG_DATEADT(1);
	int			by,
				bm,
				bd,
				y,
				m,
				d,
				age;

	if (DATE_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cannot compute an age at an infinite date")));
	rid_birth_date(PG_GETARG_INT64(0), &by, &bm, &bd);
	j2date(at + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	age = y - by;
	if (m < bm || (m == bm && d < bd))
		age--;
	if (age < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("date %04d-%02d-%02d is before the birth date %04d-%02d-%02d",
						y, m, d, by, bm, bd)));
	PG_RETURN_INT32(age);
}

/* 110105********002X: address kept, birth date hidden, sequence and check kept */
PG_FUNCTION_INFO_V1(resident_id_mask);
Datum
resident_id_mask(PG_FUNCTION_ARGS)
{
	char		s[19];

	rid_format(PG_GETARG_INT64(0), s);
	memset(s + 6, '*', 8);
	PG_RETURN_TEXT_P(cstring_to_text(s));
}

PG_FUNCTION_INFO_V1(is_valid_resident_id);
Datum
is_valid_resident_id(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int64		body;
	rid_error	err;

	PG_RETURN_BOOL(rid_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &body, &err) == RID_OK);
}

/* NULL for a valid number, else the sentence an input error would carry. */
PG_FUNCTION_INFO_V1(resident_id_problem);
Datum
resident_id_problem(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int64		body;
	rid_error	err;
	rid_status	st = rid_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &body, &err);
	const char *hint;

	if (st == RID_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(resident_id_problem_text(st, &err, &hint)));
}

/* Comparison, hashing, sorting and binary output are int8's own. */
HH_BUILTIN_ALIAS(resident_id_eq, int8eq)
HH_BUILTIN_ALIAS(resident_id_ne, int8ne)
HH_BUILTIN_ALIAS(resident_id_lt, int8lt)
HH_BUILTIN_ALIAS(resident_id_le, int8le)
HH_BUILTIN_ALIAS(resident_id_gt, int8gt)
HH_BUILTIN_ALIAS(resident_id_ge, int8ge)
HH_BUILTIN_ALIAS(resident_id_cmp, btint8cmp)
HH_BUILTIN_ALIAS(resident_id_sortsupport, btint8sortsupport)
HH_BUILTIN_ALIAS(resident_id_hash, hashint8)
HH_BUILTIN_ALIAS(resident_id_hash_extended, hashint8extended)
HH_BUILTIN_ALIAS(resident_id_send, int8send)
