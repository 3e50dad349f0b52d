/*
 * issue.c
 *		healthhub.code_sign(): the QR text of a healthhub code ("HH1:"),
 *		signed with a private key of this hub (issue.sql chooses the key and
 *		the claims).  Over health_code.c's hc_encode.
 */
#include "postgres.h"

#include <openssl/evp.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "healthcode/code_pg.h"
#include "healthcode/code_text.h"
#include "healthcode/cose_crypto.h"
#include "healthcode/health_code.h"

static char *
arg_text(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/*
 * code_sign(private_key, alg, kid, iss, sub, iat, exp, kind, status, seq):
 * the first eight are required, status and seq may be NULL.
 */
PG_FUNCTION_INFO_V1(hh_code_sign);
Datum
hh_code_sign(PG_FUNCTION_ARGS)
{
	bytea	   *priv;
	bytea	   *kid;
	int64_t		alg;
	hc_claims	claims;
	EVP_PKEY   *key;
	char	   *qr = NULL;
	size_t		len;
	hc_encode_status st;
	text	   *volatile result = NULL;

	for (int i = 0; i < 8; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("healthhub.code_sign: argument %d must not be NULL", i + 1)));
	priv = PG_GETARG_BYTEA_PP(0);
	if (!hc_alg_number(text_to_cstring(PG_GETARG_TEXT_PP(1)), &alg))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown signature algorithm")));
	kid = PG_GETARG_BYTEA_PP(2);
	memset(&claims, 0, sizeof(claims));
	claims.iss = arg_text(fcinfo, 3);
	claims.sub = arg_text(fcinfo, 4);
	claims.has_iat = true;
	claims.iat = hh_to_unix(PG_GETARG_TIMESTAMPTZ(5));
	claims.has_exp = true;
	claims.exp = hh_to_unix(PG_GETARG_TIMESTAMPTZ(6));
	claims.has_healthhub = true;
	claims.kind = arg_text(fcinfo, 7);
	claims.status = arg_text(fcinfo, 8);
	claims.has_seq = !PG_ARGISNULL(9);
	if (claims.has_seq)
	{
		if (PG_GETARG_INT64(9) < 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("a sequence number is not negative")));
		claims.seq = (uint64) PG_GETARG_INT64(9);
	}

	if (hc_key_from_private_der((const uint8_t *) VARDATA_ANY(priv), VARSIZE_ANY_EXHDR(priv), &key) != HC_CRYPTO_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the signing key's private half cannot be read")));
	st = hc_encode(&claims, alg, (const uint8_t *) VARDATA_ANY(kid), VARSIZE_ANY_EXHDR(kid), key, &qr, &len);
	EVP_PKEY_free(key);
	if (st == HC_ENCODE_OK)
	{
		PG_TRY();
		{
			result = cstring_to_text_with_len(qr, len);
		}
		PG_FINALLY();
		{
			free(qr);
		}
		PG_END_TRY();
	}
	if (result == NULL)
		ereport(ERROR,
				(errcode(st == HC_ENCODE_TOO_LONG ? ERRCODE_PROGRAM_LIMIT_EXCEEDED : ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not sign the health code"),
				 errdetail(st == HC_ENCODE_TOO_LONG ? "The code would be longer than a QR code holds." :
						   st == HC_ENCODE_KEY_MISMATCH ? "The key does not fit its algorithm." :
						   "The signature could not be made.")));
	PG_RETURN_TEXT_P(result);
}
