/*
 * signed_document.c
 *		COSE_Sign1 documents that are not codes (a hub's trust list): sign a
 *		payload with a key of this hub, read a document's kid, algorithm and
 *		payload, and check its signature against a public key.  Over
 *		health_code.c's hc_sign_payload and cose.c.
 */
#include "postgres.h"

#include <openssl/evp.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "healthcode/code_pg.h"
#include "healthcode/code_text.h"
#include "healthcode/cose_crypto.h"
#include "healthcode/health_code.h"

static void
bad_document(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid signed document"),
			 errdetail("The bytes are not a COSE_Sign1 message with an algorithm and a key id.")));
}

/* code_document_sign(private_key, alg, kid, payload) -> COSE_Sign1 bytes */
PG_FUNCTION_INFO_V1(hh_code_document_sign);
Datum
hh_code_document_sign(PG_FUNCTION_ARGS)
{
	bytea	   *priv = PG_GETARG_BYTEA_PP(0);
	char	   *alg_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bytea	   *kid = PG_GETARG_BYTEA_PP(2);
	bytea	   *payload = PG_GETARG_BYTEA_PP(3);
	int64_t		alg;
	EVP_PKEY   *key;
	uint8_t    *cose = NULL;
	size_t		cose_len;
	hc_encode_status st;
	bytea	   *result = NULL;

	if (!hc_alg_number(alg_name, &alg))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown signature algorithm")));
	if (hc_key_from_private_der((const uint8_t *) VARDATA_ANY(priv), VARSIZE_ANY_EXHDR(priv), &key) != HC_CRYPTO_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the signing key's private half cannot be read")));
	st = hc_sign_payload((const uint8_t *) VARDATA_ANY(payload), VARSIZE_ANY_EXHDR(payload), alg,
						 (const uint8_t *) VARDATA_ANY(kid), VARSIZE_ANY_EXHDR(kid), key, &cose, &cose_len);
	EVP_PKEY_free(key);
	if (st == HC_ENCODE_OK)
		result = hh_bytea_take(cose, cose_len);
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not sign the document")));
	PG_RETURN_BYTEA_P(result);
}

/* code_document_open(document) -> (kid, alg, payload), not verified */
PG_FUNCTION_INFO_V1(hh_code_document_open);
Datum
hh_code_document_open(PG_FUNCTION_ARGS)
{
	bytea	   *doc = PG_GETARG_BYTEA_PP(0);
	hc_cose_sign1 msg;
	const char *alg = NULL;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	bool		ok;

	ok = hc_cose_parse((const uint8_t *) VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc), &msg) == HC_COSE_OK;
	if (ok)
	{
		alg = msg.has_alg ? hc_alg_name(msg.alg) : NULL;
		ok = alg != NULL && msg.kid != NULL && msg.payload != NULL;
	}
	if (ok)
	{
		PG_TRY();
		{
			values[0] = PointerGetDatum(hh_bytea_copy(msg.kid, msg.kid_len));
			values[1] = CStringGetTextDatum(alg);
			values[2] = PointerGetDatum(hh_bytea_copy(msg.payload, msg.payload_len));
		}
		PG_FINALLY();
		{
			hc_cose_free(&msg);
		}
		PG_END_TRY();
	}
	else
	{
		hc_cose_free(&msg);
		bad_document();
	}
	PG_RETURN_DATUM(hh_result_row(fcinfo, values, nulls));
}

/* code_document_verify(document, public_key) -> whether the key signed it */
PG_FUNCTION_INFO_V1(hh_code_document_verify);
Datum
hh_code_document_verify(PG_FUNCTION_ARGS)
{
	bytea	   *doc = PG_GETARG_BYTEA_PP(0);
	bytea	   *pub = PG_GETARG_BYTEA_PP(1);
	hc_cose_sign1 msg;
	EVP_PKEY   *key = NULL;
	uint8_t    *tbs = NULL;
	size_t		tbs_len;
	bool		ok;

	ok = hc_cose_parse((const uint8_t *) VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc), &msg) == HC_COSE_OK &&
		msg.has_alg && msg.payload != NULL &&
		hc_key_from_public_der((const uint8_t *) VARDATA_ANY(pub), VARSIZE_ANY_EXHDR(pub), &key) == HC_CRYPTO_OK &&
		hc_cose_tbs(&msg, &tbs, &tbs_len) == HC_COSE_OK &&
		hc_verify(msg.alg, key, tbs, tbs_len, msg.signature, msg.signature_len) == HC_CRYPTO_OK;
	free(tbs);
	EVP_PKEY_free(key);
	hc_cose_free(&msg);
	PG_RETURN_BOOL(ok);
}
