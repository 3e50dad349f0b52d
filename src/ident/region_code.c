/*
 * region_code.c
 *		SQL type healthhub.region_code: PostgreSQL glue over region_code_parse.
 *
 * The value is the 6-digit code as an int4 Datum, so comparison, hashing,
 * sorting and SEND are int4's own functions, through C aliases.
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "ident/ident.h"
#include "ident/region_code_parse.h"

#define TYPE_NAME "region_code"

static char *
region_problem_text(region_status st, const region_error *e)
{
	switch (st)
	{
		case REGION_OK:
			break;
		case REGION_EMPTY:
			return pstrdup("The value is empty.");
		case REGION_NOT_ASCII:
			return psprintf("Character %zu (U+%04X) cannot appear in a region code.",
							e->position, e->codepoint);
		case REGION_INNER_SPACE:
			return psprintf("Character %zu is whitespace inside the code.", e->position);
		case REGION_BAD_LENGTH:
			return psprintf("A region code has 6 digits, not %zu.", e->length);
		case REGION_BAD_CHAR:
			return psprintf("Character %zu (\"%c\") is not a digit.", e->position, (char) e->codepoint);
		case REGION_BAD_PROVINCE:
			return pstrdup("The first two digits are not a province-level code.");
		case REGION_BAD_STRUCTURE:
			return pstrdup("A county part (digits 5-6) cannot follow prefecture part 00.");
	}
	return NULL;
}

PG_FUNCTION_INFO_V1(region_code_in);
Datum
region_code_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int32		code;
	region_error err;
	region_status st = region_parse(str, strlen(str), &code, &err);

	if (st != REGION_OK)
		hh_input_error(TYPE_NAME, str, region_problem_text(st, &err), NULL);
	PG_RETURN_INT32(code);
}

PG_FUNCTION_INFO_V1(region_code_out);
Datum
region_code_out(PG_FUNCTION_ARGS)
{
	char	   *out = palloc(7);

	region_format(PG_GETARG_INT32(0), out);
	PG_RETURN_CSTRING(out);
}

/* A code that did not come through the text parser is checked the same way. */
static int32
checked_code(int32 code, int sqlstate, const char *source)
{
	region_error err = {0};
	region_status st = region_check_code(code);

	if (st == REGION_BAD_LENGTH)
		err.length = (code > 0 && code < 100000) ? (size_t) snprintf(NULL, 0, "%d", code) : 0;
	if (st != REGION_OK)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("%s %d is not a valid region_code", source, code),
				 errdetail_internal("%s", region_problem_text(st, &err))));
	return code;
}

PG_FUNCTION_INFO_V1(region_code_recv);
Datum
region_code_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	PG_RETURN_INT32(checked_code(pq_getmsgint(buf, 4), ERRCODE_INVALID_BINARY_REPRESENTATION,
								 "binary value"));
}

PG_FUNCTION_INFO_V1(region_code_from_int);
Datum
region_code_from_int(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(checked_code(PG_GETARG_INT32(0), ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, "integer"));
}

PG_FUNCTION_INFO_V1(region_code_province);
Datum
region_code_province(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_INT32(0) / 10000 * 10000);
}

PG_FUNCTION_INFO_V1(region_code_nominal_level);
Datum
region_code_nominal_level(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {
		[REGION_PROVINCE] = "province",
		[REGION_PREFECTURE] = "prefecture",
		[REGION_COUNTY] = "county",
	};

	PG_RETURN_TEXT_P(cstring_to_text(names[region_nominal_level(PG_GETARG_INT32(0))]));
}

/* Comparison, hashing, sorting and binary output are int4's own. */
HH_BUILTIN_ALIAS(region_code_eq, int4eq)
HH_BUILTIN_ALIAS(region_code_ne, int4ne)
HH_BUILTIN_ALIAS(region_code_lt, int4lt)
HH_BUILTIN_ALIAS(region_code_le, int4le)
HH_BUILTIN_ALIAS(region_code_gt, int4gt)
HH_BUILTIN_ALIAS(region_code_ge, int4ge)
HH_BUILTIN_ALIAS(region_code_cmp, btint4cmp)
HH_BUILTIN_ALIAS(region_code_sortsupport, btint4sortsupport)
HH_BUILTIN_ALIAS(region_code_hash, hashint4)
HH_BUILTIN_ALIAS(region_code_hash_extended, hashint4extended)
HH_BUILTIN_ALIAS(region_code_send, int4send)
