/*
 * health_code_type.c
 *		SQL type healthhub.health_code and decode_health_code(): PostgreSQL
 *		glue over the codec (health_code.c).  The binary form is the
 *		COSE_Sign1 bytes (a varlena, as bytea's), the text form the QR string.
 *
 * The codec allocates with malloc; every result is copied into palloc'd
 * memory and released (PG_FINALLY) before anything can raise.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "core/builtin_alias.h"
#include "healthcode/code_pg.h"
#include "healthcode/code_text.h"
#include "healthcode/cose_crypto.h"
#include "healthcode/health_code.h"

/* Decode, keep the COSE bytes or the reason, release the codec's memory. */
static bytea *
decode_or_detail(hc_decoded *d, char **detail)
{
	bytea	   *volatile result = NULL;

	PG_TRY();
	{
		if (d->reason == HC_OK)
			result = hh_bytea_copy(d->cose_bytes, d->cose_len);
		else
			*detail = hh_code_detail(d);
	}
	PG_FINALLY();
	{
		hc_decoded_free(d);
	}
	PG_END_TRY();
	return result;
}

static void
refuse(const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid health code%s", what),
			 errdetail("%s", detail)));
}

PG_FUNCTION_INFO_V1(hh_health_code_in);
Datum
hh_health_code_in(PG_FUNCTION_ARGS)
{
	const char *text = PG_GETARG_CSTRING(0);
	hc_decoded	d;
	char	   *detail = NULL;
	bytea	   *result;

	hc_decode(text, strlen(text), &d);
	result = decode_or_detail(&d, &detail);
	if (result == NULL)
		refuse("", detail);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(hh_health_code_recv);
Datum
hh_health_code_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	const char *bytes = pq_getmsgbytes(buf, len);
	hc_decoded	d;
	char	   *detail = NULL;
	bytea	   *result;

	/* (no larger than a QR code's text can carry) */
	if (len > HC_MAX_INFLATED)
		refuse(" (binary)", psprintf("A health code has at most %d bytes.", HC_MAX_INFLATED));
	hc_decode_cose((const uint8_t *) bytes, len, &d);
	result = decode_or_detail(&d, &detail);
	if (result == NULL)
		refuse(" (binary)", detail);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(hh_health_code_send);
Datum
hh_health_code_send(PG_FUNCTION_ARGS)
{
	bytea	   *code = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_BYTEA_P(hh_bytea_copy((const uint8_t *) VARDATA_ANY(code), VARSIZE_ANY_EXHDR(code)));
}

/* The QR text of a stored code: its prefix follows from its claims. */
PG_FUNCTION_INFO_V1(hh_health_code_out);
Datum
hh_health_code_out(PG_FUNCTION_ARGS)
{
	bytea	   *code = PG_GETARG_BYTEA_PP(0);
	hc_decoded	d;
	char	   *qr = NULL;
	size_t		len;
	char	   *volatile result = NULL;
	hc_encode_status st = HC_ENCODE_FAILED;

	hc_decode_cose((const uint8_t *) VARDATA_ANY(code), VARSIZE_ANY_EXHDR(code), &d);
	if (d.reason == HC_OK)
		st = hc_wrap(d.prefix, d.cose_bytes, d.cose_len, &qr, &len);
	hc_decoded_free(&d);
	if (st == HC_ENCODE_OK)
	{
		PG_TRY();
		{
			result = pnstrdup(qr, len);
		}
		PG_FINALLY();
		{
			free(qr);
		}
		PG_END_TRY();
	}
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored health code cannot be written as text")));
	PG_RETURN_CSTRING(result);
}

static void
append_hex(StringInfo buf, const uint8_t *bytes, size_t len)
{
	appendStringInfoChar(buf, '"');
	for (size_t i = 0; i < len; i++)
		appendStringInfo(buf, "%02x", bytes[i]);
	appendStringInfoChar(buf, '"');
}

static void
append_key(StringInfo buf, const char *key)
{
	if (buf->data[buf->len - 1] != '{')
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
}

static void
append_text(StringInfo buf, const char *key, const char *value)
{
	append_key(buf, key);
	if (value)
		escape_json(buf, value);
	else
		appendStringInfoString(buf, "null");
}

static void
append_cose(StringInfo buf, const hc_cose_sign1 *c)
{
	const char *alg = c->has_alg ? hc_alg_name(c->alg) : NULL;

	append_key(buf, "cose");
	appendStringInfo(buf, "{\"tagged\":%s", c->tagged ? "true" : "false");
	append_key(buf, "alg");
	if (c->has_alg)
		appendStringInfo(buf, INT64_FORMAT, c->alg);
	else
		appendStringInfoString(buf, "null");
	append_text(buf, "algorithm", alg);
	append_key(buf, "kid");
	if (c->kid)
		append_hex(buf, c->kid, c->kid_len);
	else
		appendStringInfoString(buf, "null");
	append_text(buf, "kid_header", c->kid ? (c->kid_protected ? "protected" : "unprotected") : NULL);
	appendStringInfo(buf, ",\"payload_bytes\":%zu,\"signature_bytes\":%zu}", c->payload_len, c->signature_len);
}

static void
append_time(StringInfo buf, const char *key, bool has, int64 t)
{
	append_key(buf, key);
	if (has)
		appendStringInfo(buf, INT64_FORMAT, t);
	else
		appendStringInfoString(buf, "null");
}

static void
append_claims(StringInfo buf, const hc_decoded *d)
{
	const hc_claims *c = &d->claims;

	append_key(buf, "claims");
	appendStringInfoChar(buf, '{');
	append_text(buf, "iss", c->iss);
	append_text(buf, "sub", c->sub);
	append_time(buf, "iat", c->has_iat, c->iat);
	append_time(buf, "exp", c->has_exp, c->exp);
	append_text(buf, "kind", c->has_hcert ? "eu_dcc" : c->kind);
	append_text(buf, "status", c->status);
	append_key(buf, "seq");
	if (c->has_seq)
		appendStringInfo(buf, UINT64_FORMAT, c->seq);
	else
		appendStringInfoString(buf, "null");
	appendStringInfoChar(buf, '}');
	append_key(buf, "payload");
	appendBinaryStringInfo(buf, d->json, d->json_len);
}

/* The layers as a JSON text; the code's own JSON is embedded as it is. */
static void
describe(StringInfo buf, const hc_decoded *d)
{
	bool		cose_read = d->reason == HC_OK ||
		(d->reason == HC_BAD_STRUCTURE && d->layer != HC_LAYER_COSE);

	appendStringInfoChar(buf, '{');
	append_text(buf, "prefix", d->prefix == HC_PREFIX_HH1 ? "HH1" : d->prefix == HC_PREFIX_HC1 ? "HC1" : NULL);
	append_text(buf, "failed", hh_code_reason_name(d->reason));
	append_text(buf, "detail", hh_code_detail(d));
	if (d->cose_bytes)
		appendStringInfo(buf, ",\"cose_bytes\":%zu", d->cose_len);
	if (cose_read)
		append_cose(buf, &d->cose);
	if (d->reason == HC_OK)
		append_claims(buf, d);
	appendStringInfoChar(buf, '}');
}

PG_FUNCTION_INFO_V1(hh_decode_health_code);
Datum
hh_decode_health_code(PG_FUNCTION_ARGS)
{
	text	   *code = PG_GETARG_TEXT_PP(0);
	hc_decoded	d;
	StringInfoData buf;

	initStringInfo(&buf);
	hc_decode(VARDATA_ANY(code), VARSIZE_ANY_EXHDR(code), &d);
	PG_TRY();
	{
		describe(&buf, &d);
	}
	PG_FINALLY();
	{
		hc_decoded_free(&d);
	}
	PG_END_TRY();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* Comparison: the COSE bytes, as bytea compares them (builtin_alias.h). */
HH_BUILTIN_ALIAS(hh_health_code_eq, byteaeq)
HH_BUILTIN_ALIAS(hh_health_code_ne, byteane)
HH_BUILTIN_ALIAS(hh_health_code_lt, bytealt)
HH_BUILTIN_ALIAS(hh_health_code_le, byteale)
HH_BUILTIN_ALIAS(hh_health_code_gt, byteagt)
HH_BUILTIN_ALIAS(hh_health_code_ge, byteage)
HH_BUILTIN_ALIAS(hh_health_code_cmp, byteacmp)
HH_BUILTIN_ALIAS(hh_health_code_sortsupport, bytea_sortsupport)
HH_BUILTIN_ALIAS(hh_health_code_hash, hashvarlena)
HH_BUILTIN_ALIAS(hh_health_code_hash_extended, hashvarlenaextended)
