/*
 * region_code.c
 *		SQL type healthhub.region_code: PostgreSQL glue over region_code_parse.
 *
 * The value is the 6-digit code as an int4 Datum, so comparison, hashing,
 * sorting and SEND reuse int4's internal functions (see region_code.sql).
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "ident/ident.h"
#include "ident/region_code_parse.h"

#define TYPE_NAME "region_code"

static void
report_region_error(region_status st, const region_error *e, const char *input)
{
	switch (st)
	{
		case REGION_OK:
			return;
		case REGION_EMPTY:
			hh_input_error(TYPE_NAME, input, ERROR, "The value is empty.", NULL);
			break;
		case REGION_NOT_ASCII:
			hh_input_error(TYPE_NAME, input, ERROR,
						   psprintf("Character %zu (U+%04X) cannot appear in a region code.",
									e->position, e->codepoint), NULL);
			break;
		case REGION_INNER_SPACE:
			hh_input_error(TYPE_NAME, input, ERROR,
						   psprintf("Character %zu is whitespace inside the code.", e->position), NULL);
			break;
		case REGION_BAD_LENGTH:
			hh_input_error(TYPE_NAME, input, ERROR,
						   psprintf("A region code has 6 digits, not %zu.", e->length), NULL);
			break;
		case REGION_BAD_CHAR:
			hh_input_error(TYPE_NAME, input, ERROR,
						   psprintf("Character %zu (\"%c\") is not a digit.",
									e->position, (char) e->codepoint), NULL);
			break;
		case REGION_BAD_PROVINCE:
			hh_input_error(TYPE_NAME, input, ERROR,
						   "The first two digits are not a province-level code.", NULL);
			break;
		case REGION_BAD_STRUCTURE:
			hh_input_error(TYPE_NAME, input, ERROR,
						   "A county part (digits 5-6) cannot follow prefecture part 00.", NULL);
			break;
	}
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
		report_region_error(st, &err, str);
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

static int32
checked_code(int32 code, const char *what)
{
	region_error err = {0};
	region_status st = region_check_code(code);

	if (st == REGION_BAD_LENGTH)
		err.length = (code >= 0 && code < 100000) ? 5 : 0;
	if (st != REGION_OK)
		report_region_error(st, &err, psprintf("%s %d", what, code));
	return code;
}

PG_FUNCTION_INFO_V1(region_code_recv);
Datum
region_code_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	PG_RETURN_INT32(checked_code(pq_getmsgint(buf, 4), "binary value"));
}

PG_FUNCTION_INFO_V1(region_code_from_int);
Datum
region_code_from_int(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(checked_code(PG_GETARG_INT32(0), "integer"));
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
