/*
 * keys_sql.c
 *		Keys of health codes for SQL (keys.sql): key pairs in DER, key ids,
 *		what an X.509 certificate says, and the algorithm a public key signs
 *		with.  Over cose_crypto.c; OpenSSL objects are freed before anything
 *		can raise.
 */
#include "postgres.h"

#include <openssl/evp.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "healthcode/code_keys.h"
#include "healthcode/code_pg.h"
#include "healthcode/code_text.h"
#include "healthcode/cose_crypto.h"

static void
bad_der(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s", what),
			 errdetail("The bytes are not DER that OpenSSL reads as a %s.", what)));
}

const char *
hh_key_alg_name(EVP_PKEY *key)
{
	char		group[64];

	if (EVP_PKEY_is_a(key, "ED25519"))
		return "EdDSA";
	if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS"))
		return "PS256";
	if (EVP_PKEY_is_a(key, "SM2"))
		return "SM2";
	if (EVP_PKEY_is_a(key, "EC") &&
		EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) == 1)
	{
		if (strcmp(group, "prime256v1") == 0)
			return "ES256";
		if (strcmp(group, "SM2") == 0)
			return "SM2";
	}
	return NULL;
}

/* code_key_generate(alg) -> (public_key SPKI DER, private_key PKCS#8 DER) */
PG_FUNCTION_INFO_V1(hh_code_key_generate);
Datum
hh_code_key_generate(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int64_t		alg;
	EVP_PKEY   *key = NULL;
	uint8_t    *pub = NULL,
			   *priv = NULL;
	size_t		pub_len = 0,
				priv_len = 0;
	bool		ok;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (!hc_alg_number(name, &alg))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown signature algorithm: \"%s\"", name),
				 errdetail("The algorithms are EdDSA, ES256, PS256 and SM2.")));
	ok = hc_key_generate(alg, &key) == HC_CRYPTO_OK &&
		hc_key_public_der(key, &pub, &pub_len) == HC_CRYPTO_OK &&
		hc_key_private_der(key, &priv, &priv_len) == HC_CRYPTO_OK;
	EVP_PKEY_free(key);
	if (!ok)
	{
		free(pub);
		free(priv);
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not make a %s key pair", name)));
	}
	values[0] = PointerGetDatum(hh_bytea_take(pub, pub_len));
	values[1] = PointerGetDatum(hh_bytea_take(priv, priv_len));
	PG_RETURN_DATUM(hh_result_row(fcinfo, values, nulls));
}

PG_FUNCTION_INFO_V1(hh_code_kid);
Datum
hh_code_kid(PG_FUNCTION_ARGS)
{
	bytea	   *der = PG_GETARG_BYTEA_PP(0);
	uint8_t		kid[HC_KID_LEN];

	if (hc_kid((const uint8_t *) VARDATA_ANY(der), VARSIZE_ANY_EXHDR(der), kid) != HC_CRYPTO_OK)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not compute a key id")));
	PG_RETURN_BYTEA_P(hh_bytea_copy(kid, HC_KID_LEN));
}

/* code_certificate(der) -> (public_key, not_before, not_after, key_usage) */
PG_FUNCTION_INFO_V1(hh_code_certificate);
Datum
hh_code_certificate(PG_FUNCTION_ARGS)
{
	bytea	   *der = PG_GETARG_BYTEA_PP(0);
	hc_certificate cert;
	uint8_t    *pub = NULL;
	size_t		pub_len = 0;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (hc_certificate_parse((const uint8_t *) VARDATA_ANY(der), VARSIZE_ANY_EXHDR(der), &cert) != HC_CRYPTO_OK)
		bad_der("X.509 certificate");
	if (hh_key_alg_name(cert.key) == NULL || hc_key_public_der(cert.key, &pub, &pub_len) != HC_CRYPTO_OK)
	{
		hc_certificate_free(&cert);
		free(pub);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the certificate's key is not one health codes are signed with"),
				 errdetail("The keys are Ed25519, ECDSA P-256, RSA and SM2.")));
	}
	PG_TRY();
	{
		values[1] = TimestampTzGetDatum(hh_from_unix(cert.not_before));
		values[2] = TimestampTzGetDatum(hh_from_unix(cert.not_after));
		if (cert.eku == NULL)
			nulls[3] = true;
		else
		{
			Datum	   *oids = palloc(sizeof(Datum) * Max(cert.n_eku, 1));

			for (size_t i = 0; i < cert.n_eku; i++)
				oids[i] = CStringGetTextDatum(cert.eku[i]);
			values[3] = PointerGetDatum(construct_array(oids, cert.n_eku, TEXTOID, -1, false, TYPALIGN_INT));
		}
	}
	PG_FINALLY();
	{
		hc_certificate_free(&cert);
	}
	PG_END_TRY();
	values[0] = PointerGetDatum(hh_bytea_take(pub, pub_len));
	PG_RETURN_DATUM(hh_result_row(fcinfo, values, nulls));
}

PG_FUNCTION_INFO_V1(hh_code_public_key_alg);
Datum
hh_code_public_key_alg(PG_FUNCTION_ARGS)
{
	bytea	   *der = PG_GETARG_BYTEA_PP(0);
	EVP_PKEY   *key;
	const char *alg;

	if (hc_key_from_public_der((const uint8_t *) VARDATA_ANY(der), VARSIZE_ANY_EXHDR(der), &key) != HC_CRYPTO_OK)
		bad_der("public key");
	alg = hh_key_alg_name(key);
	EVP_PKEY_free(key);
	if (alg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the public key is not one health codes are signed with"),
				 errdetail("The keys are Ed25519, ECDSA P-256, RSA and SM2.")));
	PG_RETURN_TEXT_P(cstring_to_text(alg));
}
