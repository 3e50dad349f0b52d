/*
 * uscc.c
 *		SQL type healthhub.uscc: PostgreSQL glue over uscc_parse.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/sortsupport.h"

#include "core/comparison_functions.h"
#include "ident/ident.h"
#include "ident/region_code_parse.h"

/* healthhub.uscc is pass-by-reference, 16 bytes */
typedef uscc_value Uscc;

#define DatumGetUsccP(X)		((Uscc *) DatumGetPointer(X))
#define PG_GETARG_USCC_P(n)		DatumGetUsccP(PG_GETARG_DATUM(n))

#define TYPE_NAME "uscc"
#define INGEST_HINT "To keep a code as issued despite a failing check, use healthhub.ingest_uscc()."

static char *
uscc_problem_text(uscc_status st, const uscc_error *e, const char **hint)
{
	*hint = NULL;
	switch (st)
	{
		case USCC_OK:
			break;
		case USCC_EMPTY:
			return pstrdup("The value is empty.");
		case USCC_NOT_ASCII:
			return psprintf("Character %zu (U+%04X) cannot appear in a unified social credit code.",
							e->position, e->codepoint);
		case USCC_INNER_SPACE:
			*hint = "Remove the spaces between the characters.";
			return psprintf("Character %zu is whitespace inside the code.", e->position);
		case USCC_BAD_LENGTH:
			return psprintf("A unified social credit code has 18 characters, not %zu.", e->length);
		case USCC_BAD_CHAR:
			return psprintf("Character %zu (\"%c\") is not in the code alphabet 0-9 A-H J-N P-R T U W-Y.",
							e->position, (char) e->codepoint);
		case USCC_BAD_AUTHORITY:
			return psprintf("\"%c\" is not a registration authority code (1-9, A, G, J, N, Q, Y).",
							(char) e->codepoint);
		case USCC_BAD_CATEGORY:
			return psprintf("\"%c\" is not an organisation category code (1-9).",
							(char) e->codepoint);
		case USCC_BAD_REGION:
			return psprintf("Character %zu (\"%c\") is not a digit of the region code in characters 3-8.",
							e->position, (char) e->codepoint);
		case USCC_BAD_ORG_CHECK:
			*hint = INGEST_HINT;
			return psprintf("Organisation code check character 17 is \"%c\" but should be \"%c\".",
							e->found, e->expected);
		case USCC_BAD_CHECK:
			*hint = INGEST_HINT;
			return psprintf("Check character is \"%c\" but should be \"%c\".", e->found, e->expected);
		case USCC_BAD_BINARY:
			return pstrdup("A character value is outside the 31-character alphabet.");
	}
	return NULL;
}

static Datum
parse_to_datum(const char *str, size_t len, bool accept_unchecked, const char *display)
{
	Uscc	   *result = palloc(sizeof(Uscc));
	bool		unchecked;
	uscc_error	err;
	uscc_status st = uscc_parse(str, len, accept_unchecked, result, &unchecked, &err);

	if (st != USCC_OK)
	{
		const char *hint;
		char	   *detail = uscc_problem_text(st, &err, &hint);

		hh_input_error(TYPE_NAME, display, detail, hint);
	}
	return PointerGetDatum(result);
}

PG_FUNCTION_INFO_V1(uscc_in);
Datum
uscc_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);

	return parse_to_datum(str, strlen(str), false, str);
}

/* Accept a code that fails only its check characters; it prints marked. */
PG_FUNCTION_INFO_V1(ingest_uscc);
Datum
ingest_uscc(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	return parse_to_datum(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), true, text_to_cstring(t));
}

PG_FUNCTION_INFO_V1(uscc_out);
Datum
uscc_out(PG_FUNCTION_ARGS)
{
	char	   *out = palloc(20);

	uscc_format(*PG_GETARG_USCC_P(0), out);
	PG_RETURN_CSTRING(out);
}

PG_FUNCTION_INFO_V1(uscc_recv);
Datum
uscc_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	Uscc	   *result = palloc(sizeof(Uscc));
	bool		unchecked;
	uscc_error	err;
	uscc_status st;

	result->hi = (uint64) pq_getmsgint64(buf);
	result->lo = (uint64) pq_getmsgint64(buf);
	st = uscc_check_value(*result, &unchecked, &err);
	if (st != USCC_OK)
	{
		const char *hint;

		hh_binary_error(TYPE_NAME, uscc_problem_text(st, &err, &hint));
	}
	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(uscc_send);
Datum
uscc_send(PG_FUNCTION_ARGS)
{
	Uscc	   *v = PG_GETARG_USCC_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, (int64) v->hi);
	pq_sendint64(&buf, (int64) v->lo);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static int
uscc_cmp_datums(Datum a, Datum b)
{
	return uscc_compare(*DatumGetUsccP(a), *DatumGetUsccP(b));
}

HH_COMPARISON_FUNCTIONS(uscc, uscc_cmp_datums)

PG_FUNCTION_INFO_V1(uscc_hash);
Datum
uscc_hash(PG_FUNCTION_ARGS)
{
	return hash_any((const unsigned char *) PG_GETARG_USCC_P(0), sizeof(Uscc));
}

PG_FUNCTION_INFO_V1(uscc_hash_extended);
Datum
uscc_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_any_extended((const unsigned char *) PG_GETARG_USCC_P(0), sizeof(Uscc),
							 PG_GETARG_INT64(1));
}

PG_FUNCTION_INFO_V1(uscc_passes_check);
Datum
uscc_passes_check(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(uscc_passes_checks(*PG_GETARG_USCC_P(0)));
}

PG_FUNCTION_INFO_V1(is_valid_uscc);
Datum
is_valid_uscc(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	Uscc		v;
	bool		unchecked;
	uscc_error	err;

	PG_RETURN_BOOL(uscc_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), false, &v, &unchecked, &err) == USCC_OK
				   && !unchecked);
}

/* Characters from..to (1-based, inclusive) as text. */
static text *
uscc_slice(Uscc *v, int from, int to)
{
	char		s[19];

	uscc_chars(*v, s);
	return cstring_to_text_with_len(s + from - 1, to - from + 1);
}

PG_FUNCTION_INFO_V1(uscc_registration_authority);
Datum
uscc_registration_authority(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(uscc_slice(PG_GETARG_USCC_P(0), 1, 1));
}

PG_FUNCTION_INFO_V1(uscc_category);
Datum
uscc_category(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(uscc_slice(PG_GETARG_USCC_P(0), 1, 2));
}

PG_FUNCTION_INFO_V1(uscc_organization_code);
Datum
uscc_organization_code(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(uscc_slice(PG_GETARG_USCC_P(0), 9, 17));
}

/* Characters 3-8: the registering authority's region, NULL if not a code */
PG_FUNCTION_INFO_V1(uscc_region);
Datum
uscc_region(PG_FUNCTION_ARGS)
{
	char		s[19];
	int32		code;
	region_error err;

	uscc_chars(*PG_GETARG_USCC_P(0), s);
	if (region_parse(s + 2, 6, &code, &err) != REGION_OK)
		PG_RETURN_NULL();
	PG_RETURN_INT32(code);
}
