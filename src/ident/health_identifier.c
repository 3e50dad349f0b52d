/*
 * health_identifier.c
 *		SQL type healthhub.health_identifier: PostgreSQL glue over
 *		health_identifier_parse.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/sortsupport.h"
#include "utils/builtins.h"

#include "core/comparison_functions.h"
#include "ident/ident.h"

/* healthhub.health_identifier is a varlena: kind, issuer length, issuer, value */
typedef struct HealthIdentifier
{
	int32		vl_len_;
	uint8		kind;
	uint8		issuer_len;
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* issuer then value */
} HealthIdentifier;

#define TYPE_NAME "health_identifier"

#define HI_HEADER_SIZE	offsetof(HealthIdentifier, data)

/*
 * Values are short, so they are usually stored with a 1-byte header; read
 * them in place (VARDATA_ANY) rather than detoasting into a copy, which
 * would leak in sort comparators.  The payload is kind, issuer length,
 * issuer, value.
 */
#define PG_GETARG_HI_PACKED(n) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(n))

static const char *const issuer_names[] = {
	[HI_ISSUER_REGION] = "region",
	[HI_ISSUER_INSTITUTION] = "institution",
	[HI_ISSUER_COUNTRY] = "country",
	[HI_ISSUER_CHINA] = "china",
	[HI_ISSUER_NONE] = "none",
};

static const char *const issuer_rules[] = {
	[HI_ISSUER_REGION] = "a 6-digit region code",
	[HI_ISSUER_INSTITUTION] = "the institution's unified social credit code",
	[HI_ISSUER_COUNTRY] = "an ISO 3166-1 alpha-3 country code",
	[HI_ISSUER_CHINA] = "CHN or empty",
	[HI_ISSUER_NONE] = "empty",
};

static char *
hi_problem_text(hi_status st, const hi_error *e, const char **hint)
{
	const hi_kind_def *def = hi_kind_info(e->kind);

	*hint = NULL;
	switch (st)
	{
		case HI_OK:
			break;
		case HI_EMPTY:
			return pstrdup("The value is empty.");
		case HI_BAD_FORMAT:
			*hint = "For example passport:CHN:E12345678 or newborn::11010519491231002X-1.";
			return pstrdup("A health identifier is written kind:issuer:value with exactly two colons.");
		case HI_BAD_KIND:
			*hint = "The kinds are listed in healthhub.identifier_kinds.";
			return pstrdup("The kind is not one of the known identifier kinds.");
		case HI_BAD_ISSUER:
			return psprintf("The issuer of a %s identifier must be %s.",
							def->name, issuer_rules[def->issuer]);
		case HI_BAD_VALUE:
			return psprintf("The value of a %s identifier must be %s.", def->name, def->value_rule);
		case HI_BAD_BINARY:
			return pstrdup("The value is not in normal form.");
	}
	return NULL;
}

static HealthIdentifier *
hi_to_varlena(const hi_value *v)
{
	Size		size = HI_HEADER_SIZE + v->issuer_len + v->value_len;
	HealthIdentifier *result = palloc(size);

	SET_VARSIZE(result, size);
	result->kind = v->kind;
	result->issuer_len = v->issuer_len;
	memcpy(result->data, v->issuer, v->issuer_len);
	memcpy(result->data + v->issuer_len, v->value, v->value_len);
	return result;
}

static void
hi_from_varlena(const struct varlena *h, hi_value *v)
{
	const uint8 *p = (const uint8 *) VARDATA_ANY(h);
	Size		value_len = VARSIZE_ANY_EXHDR(h) - 2 - p[1];

	v->kind = p[0];
	v->issuer_len = p[1];
	v->value_len = (uint8) value_len;
	memcpy(v->issuer, p + 2, v->issuer_len);
	memcpy(v->value, p + 2 + v->issuer_len, value_len);
}

PG_FUNCTION_INFO_V1(health_identifier_in);
Datum
health_identifier_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	hi_value	v;
	hi_error	err;
	hi_status	st = hi_parse_text(str, strlen(str), &v, &err);

	if (st != HI_OK)
	{
		const char *hint;
		char	   *detail = hi_problem_text(st, &err, &hint);

		hh_input_error(TYPE_NAME, str, detail, hint);
	}
	PG_RETURN_POINTER(hi_to_varlena(&v));
}

PG_FUNCTION_INFO_V1(health_identifier_make);
Datum
health_identifier_make(PG_FUNCTION_ARGS)
{
	text	   *kind = PG_GETARG_TEXT_PP(0);
	text	   *issuer = PG_GETARG_TEXT_PP(1);
	text	   *value = PG_GETARG_TEXT_PP(2);
	hi_value	v;
	hi_error	err;
	hi_status	st;

	st = hi_parse_parts(VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind),
						VARDATA_ANY(issuer), VARSIZE_ANY_EXHDR(issuer),
						VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), &v, &err);
	if (st != HI_OK)
	{
		const char *hint;
		char	   *detail = hi_problem_text(st, &err, &hint);

		hh_input_error(TYPE_NAME, psprintf("%s:%s:%s", text_to_cstring(kind),
										   text_to_cstring(issuer), text_to_cstring(value)), detail, hint);
	}
	PG_RETURN_POINTER(hi_to_varlena(&v));
}

PG_FUNCTION_INFO_V1(health_identifier_out);
Datum
health_identifier_out(PG_FUNCTION_ARGS)
{
	hi_value	v;
	char	   *out = palloc(HI_TEXT_MAX + 1);

	hi_from_varlena(PG_GETARG_HI_PACKED(0), &v);
	hi_format(&v, out);
	PG_RETURN_CSTRING(out);
}

/* Binary form: kind (int1), issuer and value as length-prefixed text. */
PG_FUNCTION_INFO_V1(health_identifier_recv);
Datum
health_identifier_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	hi_value	v;
	hi_error	err = {0};
	int			issuer_len;
	int			value_len;
	hi_status	st = HI_OK;

	memset(&v, 0, sizeof(v));
	v.kind = (uint8) pq_getmsgbyte(buf);
	issuer_len = pq_getmsgint(buf, 1);
	if (issuer_len > HI_ISSUER_MAX)
		st = HI_BAD_BINARY;
	else
	{
		pq_copymsgbytes(buf, v.issuer, issuer_len);
		v.issuer_len = (uint8) issuer_len;
		value_len = pq_getmsgint(buf, 1);
		if (value_len > HI_VALUE_MAX)
			st = HI_BAD_BINARY;
		else
		{
			pq_copymsgbytes(buf, v.value, value_len);
			v.value_len = (uint8) value_len;
			st = hi_check_normalised(&v, &err);
		}
	}
	if (st != HI_OK)
	{
		const char *hint;

		hh_binary_error(TYPE_NAME, hi_problem_text(st, &err, &hint));
	}
	PG_RETURN_POINTER(hi_to_varlena(&v));
}

PG_FUNCTION_INFO_V1(health_identifier_send);
Datum
health_identifier_send(PG_FUNCTION_ARGS)
{
	hi_value	v;
	StringInfoData buf;

	hi_from_varlena(PG_GETARG_HI_PACKED(0), &v);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, v.kind);
	pq_sendbyte(&buf, v.issuer_len);
	pq_sendbytes(&buf, v.issuer, v.issuer_len);
	pq_sendbyte(&buf, v.value_len);
	pq_sendbytes(&buf, v.value, v.value_len);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static int
hi_cmp_datums(Datum x, Datum y)
{
	hi_value	a,
				b;

	hi_from_varlena(PG_DETOAST_DATUM_PACKED(x), &a);
	hi_from_varlena(PG_DETOAST_DATUM_PACKED(y), &b);
	return hi_compare(&a, &b);
}

HH_COMPARISON_FUNCTIONS(health_identifier, hi_cmp_datums)

/* Values are stored normalised, so hashing the payload is consistent with = */
HH_PAYLOAD_HASH_FUNCTIONS(health_identifier)

PG_FUNCTION_INFO_V1(health_identifier_kind);
Datum
health_identifier_kind(PG_FUNCTION_ARGS)
{
	hi_value	v;

	hi_from_varlena(PG_GETARG_HI_PACKED(0), &v);
	PG_RETURN_TEXT_P(cstring_to_text(hi_kind_info(v.kind)->name));
}

PG_FUNCTION_INFO_V1(health_identifier_issuer);
Datum
health_identifier_issuer(PG_FUNCTION_ARGS)
{
	hi_value	v;

	hi_from_varlena(PG_GETARG_HI_PACKED(0), &v);
	if (v.issuer_len == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(v.issuer, v.issuer_len));
}

PG_FUNCTION_INFO_V1(health_identifier_value);
Datum
health_identifier_value(PG_FUNCTION_ARGS)
{
	hi_value	v;

	hi_from_varlena(PG_GETARG_HI_PACKED(0), &v);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(v.value, v.value_len));
}

/* The kinds and their rules, from the one table the parser uses. */
PG_FUNCTION_INFO_V1(health_identifier_kinds);
Datum
health_identifier_kinds(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int k = 1; k <= HI_KIND_COUNT; k++)
	{
		const hi_kind_def *def = hi_kind_info(k);
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(def->name);
		values[1] = CStringGetTextDatum(issuer_names[def->issuer]);
		values[2] = CStringGetTextDatum(issuer_rules[def->issuer]);
		values[3] = CStringGetTextDatum(def->value_rule);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * healthhub.health_identifier_problem(text) RETURNS text: the DETAIL input
 * would raise, or NULL if the text is a valid identifier; never raises (bulk
 * loading reports bad rows instead of failing on them).
 */
PG_FUNCTION_INFO_V1(health_identifier_problem);
Datum
health_identifier_problem(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	hi_value	v;
	hi_error	err;
	hi_status	st = hi_parse_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &v, &err);
	const char *hint;

	if (st == HI_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(hi_problem_text(st, &err, &hint)));
}
