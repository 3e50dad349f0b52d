/*
 * drug_code.c
 *		SQL type healthhub.drug_code: PostgreSQL glue over drug_code_parse.
 *		Fixed length, 16 bytes, passed by reference (as uuid).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "core/comparison_functions.h"
#include "ident/ident.h"
#include "rx/drug_code.h"

#define TYPE_NAME "drug_code"

const char *
dc_problem_text(dc_status st)
{
	switch (st)
	{
		case DC_OK:
			break;
		case DC_EMPTY:
			return "The value is empty.";
		case DC_BAD_LENGTH:
			return "A national medical insurance drug code has 23 characters.";
		case DC_BAD_CHARACTER:
			return "A drug code has letters and digits only.";
		case DC_BAD_CATEGORY:
			return "The first character is the category: X (western medicine) or Z (Chinese patent medicine).";
		case DC_BAD_CLASSIFICATION:
			return "Characters 2-6 are the classification: a letter, then (western medicines) two digits and two letters.";
		case DC_BAD_GENERIC_NAME:
			return "Characters 7-10 are the generic name: a letter and three digits.";
		case DC_BAD_DOSAGE_FORM:
			return "Characters 11-14 are the dosage form: a letter and three digits.";
		case DC_BAD_NUMBERS:
			return "Characters 15-23 (specification, packaging, manufacturer) are digits.";
	}
	return NULL;
}

#define DC_HINT "For example XA01ABD075A002010100483."

PG_FUNCTION_INFO_V1(drug_code_in);
Datum
drug_code_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	dc_value   *v = palloc(sizeof(dc_value));
	dc_status	st = dc_parse(str, strlen(str), v);

	if (st != DC_OK)
		hh_input_error(TYPE_NAME, str, dc_problem_text(st), DC_HINT);
	PG_RETURN_POINTER(v);
}

PG_FUNCTION_INFO_V1(drug_code_out);
Datum
drug_code_out(PG_FUNCTION_ARGS)
{
	char	   *out = palloc(DC_LEN + 1);

	dc_format((dc_value *) PG_GETARG_POINTER(0), out);
	PG_RETURN_CSTRING(out);
}

/* Binary form: the 23 characters. */
PG_FUNCTION_INFO_V1(drug_code_recv);
Datum
drug_code_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	dc_value   *v = palloc(sizeof(dc_value));
	dc_status	st;
	const char *chars;

	if (buf->len - buf->cursor != DC_LEN)
		hh_binary_error(TYPE_NAME, dc_problem_text(DC_BAD_LENGTH));
	chars = pq_getmsgbytes(buf, DC_LEN);
	st = dc_parse(chars, DC_LEN, v);
	if (st != DC_OK)
		hh_binary_error(TYPE_NAME, dc_problem_text(st));
	/* (no whitespace, no lower case: the binary form is exact) */
	{
		char		again[DC_LEN + 1];

		dc_format(v, again);
		if (memcmp(again, chars, DC_LEN) != 0)
			hh_binary_error(TYPE_NAME, "The binary form is the 23 characters in upper case.");
	}
	PG_RETURN_POINTER(v);
}

PG_FUNCTION_INFO_V1(drug_code_send);
Datum
drug_code_send(PG_FUNCTION_ARGS)
{
	char		chars[DC_LEN + 1];
	StringInfoData buf;

	dc_format((dc_value *) PG_GETARG_POINTER(0), chars);
	pq_begintypsend(&buf);
	pq_sendbytes(&buf, chars, DC_LEN);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static int
dc_cmp_datums(Datum a, Datum b)
{
	return dc_compare((dc_value *) DatumGetPointer(a), (dc_value *) DatumGetPointer(b));
}

HH_COMPARISON_FUNCTIONS(drug_code, dc_cmp_datums)

PG_FUNCTION_INFO_V1(drug_code_hash);
Datum
drug_code_hash(PG_FUNCTION_ARGS)
{
	return hash_any(((dc_value *) PG_GETARG_POINTER(0))->b, DC_PACKED);
}

PG_FUNCTION_INFO_V1(drug_code_hash_extended);
Datum
drug_code_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_any_extended(((dc_value *) PG_GETARG_POINTER(0))->b, DC_PACKED, PG_GETARG_INT64(1));
}

/*
 * healthhub.drug_code_parts(drug_code): the seven parts as text, category
 * first.
 */
PG_FUNCTION_INFO_V1(drug_code_parts);
Datum
drug_code_parts(PG_FUNCTION_ARGS)
{
	char		chars[DC_LEN + 1];
	TupleDesc	desc;
	Datum		values[DC_PARTS];
	bool		nulls[DC_PARTS] = {0};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "drug_code_parts must return a row");
	dc_format((dc_value *) PG_GETARG_POINTER(0), chars);
	for (int i = 0; i < DC_PARTS; i++)
		values[i] = PointerGetDatum(cstring_to_text_with_len(chars + dc_part_offset[i], dc_part_length[i]));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/*
 * The leading characters that name a generic drug (category,
 * classification, generic name: 10) or its class (category and
 * classification: 6): what duplicate therapy compares.
 */
PG_FUNCTION_INFO_V1(drug_code_generic);
Datum
drug_code_generic(PG_FUNCTION_ARGS)
{
	char		chars[DC_LEN + 1];

	dc_format((dc_value *) PG_GETARG_POINTER(0), chars);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(chars, dc_part_offset[DC_DOSAGE_FORM]));
}

PG_FUNCTION_INFO_V1(drug_code_class);
Datum
drug_code_class(PG_FUNCTION_ARGS)
{
	char		chars[DC_LEN + 1];

	dc_format((dc_value *) PG_GETARG_POINTER(0), chars);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(chars, dc_part_offset[DC_GENERIC_NAME]));
}

/* healthhub.drug_code_problem(text): why a text is not a drug code; NULL if it is. */
PG_FUNCTION_INFO_V1(drug_code_problem);
Datum
drug_code_problem(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	dc_value	v;
	dc_status	st = dc_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &v);

	if (st == DC_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(dc_problem_text(st)));
}
