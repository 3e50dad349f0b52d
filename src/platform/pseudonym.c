/*
 * pseudonym.c
 *		Keyed pseudonyms of resident IDs (HMAC-SHA256 through OpenSSL) and the
 *		random secret that keys them.
 *
 * A statistician must be able to count distinct persons and join reports
 * without seeing an ID number; a keyed hash gives the same pseudonym for the
 * same person everywhere in this hub and cannot be reversed or recomputed
 * without the hub's secret.
 */
#include "postgres.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fmgr.h"
#include "utils/builtins.h"

#include "ident/ident.h"

#define SECRET_BYTES 32
#define PSEUDONYM_BYTES 16		/* 128 bits: no collisions among 10^9 persons */

PG_FUNCTION_INFO_V1(hh_new_secret);
Datum
hh_new_secret(PG_FUNCTION_ARGS)
{
	bytea	   *result = palloc(VARHDRSZ + SECRET_BYTES);

	SET_VARSIZE(result, VARHDRSZ + SECRET_BYTES);
	if (!pg_strong_random(VARDATA(result), SECRET_BYTES))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random secret")));
	PG_RETURN_BYTEA_P(result);
}

/* pseudonym_of(key bytea, id resident_id): hex of HMAC-SHA256(key, id text) */
PG_FUNCTION_INFO_V1(hh_pseudonym_of);
Datum
hh_pseudonym_of(PG_FUNCTION_ARGS)
{
	bytea	   *key = PG_GETARG_BYTEA_PP(0);
	int64		body = PG_GETARG_INT64(1);
	char		id[19];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char	   *hex;

	if (VARSIZE_ANY_EXHDR(key) < SECRET_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pseudonym key is too short"),
				 errdetail("The key has %d bytes; at least %d are required.",
						   (int) VARSIZE_ANY_EXHDR(key), SECRET_BYTES)));
	rid_format(body, id);
	if (HMAC(EVP_sha256(), VARDATA_ANY(key), (int) VARSIZE_ANY_EXHDR(key),
			 (const unsigned char *) id, 18, mac, &maclen) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute HMAC-SHA256")));
	hex = palloc(PSEUDONYM_BYTES * 2 + 1);
	hex_encode((const char *) mac, PSEUDONYM_BYTES, hex);
	hex[PSEUDONYM_BYTES * 2] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}
