/*
 * health_code.c
 *		The layers of a health code chained: decode and encode.
 */
#include "healthcode/health_code.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "healthcode/base45.h"
#include "healthcode/cbor_io.h"
#include "healthcode/cbor_json.h"
#include "healthcode/cose_crypto.h"
#include "healthcode/zlib_codec.h"

static const char prefix_hh1[HC_PREFIX_LEN] = "HH1:";
static const char prefix_hc1[HC_PREFIX_LEN] = "HC1:";

static hc_prefix
prefix_of(const char *text, size_t len)
{
	if (len < HC_PREFIX_LEN)
		return HC_PREFIX_NONE;
	if (memcmp(text, prefix_hh1, HC_PREFIX_LEN) == 0)
		return HC_PREFIX_HH1;
	if (memcmp(text, prefix_hc1, HC_PREFIX_LEN) == 0)
		return HC_PREFIX_HC1;
	return HC_PREFIX_NONE;
}

/* Base45 text -> the COSE bytes (malloc'd). */
static hc_reason
unwrap(const char *b45, size_t len, hc_decoded *out, uint8_t **cose, size_t *cose_len)
{
	uint8_t    *zipped;
	size_t		zipped_len;
	hc_b45_status bs = hc_base45_decode(b45, len, &zipped, &zipped_len, &out->position);
	hc_zlib_status zs;

	if (bs != HC_B45_OK)
	{
		out->detail = bs;
		if (bs == HC_B45_BAD_CHAR || bs == HC_B45_OVERFLOW)
			out->position += HC_PREFIX_LEN;
		return bs == HC_B45_NO_MEMORY ? HC_NO_MEMORY : HC_BAD_ENCODING;
	}
	zs = hc_inflate(zipped, zipped_len, HC_MAX_INFLATED, cose, cose_len);
	free(zipped);
	if (zs != HC_ZLIB_OK)
	{
		out->detail = zs;
		return zs == HC_ZLIB_NO_MEMORY ? HC_NO_MEMORY : HC_BAD_COMPRESSION;
	}
	return HC_OK;
}

static hc_reason
bad_structure(hc_decoded *out, hc_structure_layer layer, int detail, bool no_memory)
{
	out->layer = layer;
	out->detail = detail;
	return no_memory ? HC_NO_MEMORY : HC_BAD_STRUCTURE;
}

/* The claim a code of this prefix must carry. */
static hc_cwt_status
check_kind(const hc_decoded *out, int64_t *label)
{
	if (out->prefix == HC_PREFIX_HC1 && !out->claims.has_hcert)
	{
		*label = HC_CWT_HCERT;
		return HC_CWT_BAD_HCERT;
	}
	if (out->prefix == HC_PREFIX_HH1 && !out->claims.has_healthhub)
	{
		*label = HC_CWT_HEALTHHUB;
		return HC_CWT_BAD_HEALTHHUB;
	}
	/* (one kind of code: an EU DCC is not a healthhub code, and no key's
	 * usage is judged on two kinds at once) */
	if (out->claims.has_hcert && out->claims.has_healthhub)
	{
		*label = out->prefix == HC_PREFIX_HC1 ? HC_CWT_HEALTHHUB : HC_CWT_HCERT;
		return out->prefix == HC_PREFIX_HC1 ? HC_CWT_BAD_HEALTHHUB : HC_CWT_BAD_HCERT;
	}
	return HC_CWT_OK;
}

/* The payload's claims, and the JSON the caller shows. */
static hc_reason
read_claims(hc_decoded *out)
{
	cbor_item_t *root;
	const cbor_item_t *dcc;
	hc_cbor_status cs = hc_cbor_load(out->cose.payload, out->cose.payload_len, &root);
	hc_cwt_status ws;
	hc_json_status js;
	hc_reason	r;

	if (cs != HC_CBOR_OK)
		return bad_structure(out, HC_LAYER_CLAIMS_CBOR, cs, cs == HC_CBOR_NO_MEMORY);
	ws = hc_cwt_read(root, &out->claims, &dcc, &out->label);
	if (ws == HC_CWT_OK)
		ws = check_kind(out, &out->label);
	if (ws != HC_CWT_OK)
		r = bad_structure(out, HC_LAYER_CLAIMS, ws, ws == HC_CWT_NO_MEMORY);
	else
	{
		js = hc_cbor_to_json(out->prefix == HC_PREFIX_HC1 ? dcc : root,
							 &out->json, &out->json_len);
		r = js == HC_JSON_OK ? HC_OK : bad_structure(out, HC_LAYER_JSON, js, js == HC_JSON_NO_MEMORY);
	}
	cbor_decref(&root);
	return r;
}

static hc_reason
decode_layers(const char *text, size_t len, hc_decoded *out)
{
	uint8_t    *cose;
	size_t		cose_len;
	hc_reason	r;
	hc_cose_status st;

	if (len > HC_MAX_TEXT_LEN)
		return HC_TOO_LONG;
	out->prefix = prefix_of(text, len);
	if (out->prefix == HC_PREFIX_NONE)
		return HC_BAD_PREFIX;
	r = unwrap(text + HC_PREFIX_LEN, len - HC_PREFIX_LEN, out, &cose, &cose_len);
	if (r != HC_OK)
		return r;
	out->cose_bytes = cose;
	out->cose_len = cose_len;
	st = hc_cose_parse(cose, cose_len, &out->cose);
	if (st != HC_COSE_OK)
		return bad_structure(out, HC_LAYER_COSE, st, st == HC_COSE_NO_MEMORY);
	return read_claims(out);
}

/* The layers from COSE on; the prefix follows from the claims. */
static hc_reason
decode_cose_layers(const uint8_t *cose, size_t len, hc_decoded *out)
{
	hc_cose_status st;

	if ((out->cose_bytes = malloc(len > 0 ? len : 1)) == NULL)
		return HC_NO_MEMORY;
	memcpy(out->cose_bytes, cose, len);
	out->cose_len = len;
	st = hc_cose_parse(cose, len, &out->cose);
	if (st != HC_COSE_OK)
		return bad_structure(out, HC_LAYER_COSE, st, st == HC_COSE_NO_MEMORY);
	/* (HC1 exactly when the claims hold an EU DCC: read them as HC1 first) */
	out->prefix = HC_PREFIX_HC1;
	if (read_claims(out) == HC_OK)
		return HC_OK;
	hc_claims_free(&out->claims);
	out->prefix = HC_PREFIX_HH1;
	out->layer = 0;
	out->detail = 0;
	out->label = 0;
	return read_claims(out);
}

hc_reason
hc_decode(const char *text, size_t len, hc_decoded *out)
{
	memset(out, 0, sizeof(*out));
	out->reason = decode_layers(text, len, out);
	if (out->reason != HC_OK)
		hc_claims_free(&out->claims);	/* the COSE fields stay, if parsed */
	return out->reason;
}

hc_reason
hc_decode_cose(const uint8_t *cose, size_t len, hc_decoded *out)
{
	memset(out, 0, sizeof(*out));
	out->reason = decode_cose_layers(cose, len, out);
	if (out->reason != HC_OK)
		hc_claims_free(&out->claims);
	return out->reason;
}

void
hc_decoded_free(hc_decoded *d)
{
	free(d->cose_bytes);
	hc_cose_free(&d->cose);
	hc_claims_free(&d->claims);
	free(d->json);
	memset(d, 0, sizeof(*d));
}

static hc_encode_status
from_crypto(hc_crypto_status st)
{
	switch (st)
	{
		case HC_CRYPTO_OK:
			return HC_ENCODE_OK;
		case HC_CRYPTO_UNKNOWN_ALG:
			return HC_ENCODE_UNKNOWN_ALG;
		case HC_CRYPTO_KEY_MISMATCH:
			return HC_ENCODE_KEY_MISMATCH;
		default:
			return HC_ENCODE_FAILED;
	}
}

/* A COSE_Sign1 of any payload, signed with key under alg (malloc'd). */
hc_encode_status
hc_sign_payload(const uint8_t *payload, size_t payload_len, int64_t alg, const uint8_t *kid, size_t kid_len,
				EVP_PKEY *key, uint8_t **cose, size_t *cose_len)
{
	uint8_t    *tbs = NULL;
	size_t		tbs_len;
	hc_cose_sign1 msg;
	hc_encode_status st;

	st = hc_cose_prepare(alg, kid, kid_len, payload, payload_len, &msg, &tbs, &tbs_len) == HC_COSE_OK ?
		HC_ENCODE_OK : HC_ENCODE_FAILED;
	if (st != HC_ENCODE_OK)
		return st;
	st = from_crypto(hc_sign(alg, key, tbs, tbs_len, &msg.signature, &msg.signature_len));
	if (st == HC_ENCODE_OK && hc_cose_assemble(&msg, cose, cose_len) != HC_COSE_OK)
		st = HC_ENCODE_FAILED;
	free(tbs);
	hc_cose_free(&msg);
	return st;
}

/* The signed COSE_Sign1 of claims (malloc'd). */
static hc_encode_status
sign_claims(const hc_claims *claims, int64_t alg, const uint8_t *kid, size_t kid_len,
			EVP_PKEY *key, uint8_t **cose, size_t *cose_len)
{
	uint8_t    *payload = NULL;
	size_t		payload_len;
	hc_cwt_status cs = hc_cwt_build(claims, &payload, &payload_len);
	hc_encode_status st;

	if (cs != HC_CWT_OK)
		return cs == HC_CWT_NO_MEMORY ? HC_ENCODE_FAILED : HC_ENCODE_BAD_CLAIMS;
	st = hc_sign_payload(payload, payload_len, alg, kid, kid_len, key, cose, cose_len);
	free(payload);
	return st;
}

/* COSE bytes -> prefix + Base45(zlib(bytes)). */
hc_encode_status
hc_wrap(hc_prefix prefix, const uint8_t *cose, size_t cose_len, char **text, size_t *len)
{
	uint8_t    *zipped;
	size_t		zipped_len;
	char	   *b45 = NULL;
	size_t		b45_len;
	hc_encode_status st = HC_ENCODE_FAILED;

	if (hc_deflate(cose, cose_len, &zipped, &zipped_len) != HC_ZLIB_OK)
		return HC_ENCODE_FAILED;
	if (hc_base45_encoded_len(zipped_len) > HC_MAX_TEXT_LEN - HC_PREFIX_LEN)
		st = HC_ENCODE_TOO_LONG;
	else if (hc_base45_encode(zipped, zipped_len, &b45, &b45_len) == HC_B45_OK &&
			 (*text = malloc(HC_PREFIX_LEN + b45_len + 1)) != NULL)
	{
		memcpy(*text, prefix == HC_PREFIX_HC1 ? prefix_hc1 : prefix_hh1, HC_PREFIX_LEN);
		memcpy(*text + HC_PREFIX_LEN, b45, b45_len + 1);
		*len = HC_PREFIX_LEN + b45_len;
		st = HC_ENCODE_OK;
	}
	free(b45);
	free(zipped);
	return st;
}

hc_encode_status
hc_encode(const hc_claims *claims, int64_t alg, const uint8_t *kid, size_t kid_len,
		  EVP_PKEY *key, char **text, size_t *len)
{
	uint8_t    *cose;
	size_t		cose_len;
	hc_encode_status st = sign_claims(claims, alg, kid, kid_len, key, &cose, &cose_len);

	if (st != HC_ENCODE_OK)
		return st;
	st = hc_wrap(HC_PREFIX_HH1, cose, cose_len, text, len);
	free(cose);
	return st;
}
