/*
 * health_code.h
 *		Health codes as QR text, the EU Digital COVID Certificate's wire
 *		format: prefix + Base45(zlib(COSE_Sign1(CWT claims))).
 *
 * Prefixes: "HH1:" healthhub's own codes, "HC1:" EU DCCs.  hc_decode runs
 * the layers (base45.h, zlib_codec.h, cose.h, cwt.h) and says which one
 * failed; checking the signature (cose_crypto.h's hc_verify over
 * hc_cose_tbs) and the times against a clock is the caller's part.
 * hc_encode makes a healthhub code.
 *
 * Work is bounded: text longer than HC_MAX_TEXT_LEN is refused before any
 * decoding, inflating stops after HC_MAX_INFLATED bytes, and CBOR nesting
 * is limited (cbor_io.h).
 *
 * Pure C: no postgres.h.  The result's buffers are malloc'd; release them
 * with hc_decoded_free.
 */
#ifndef HC_HEALTH_CODE_H
#define HC_HEALTH_CODE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "healthcode/cose.h"
#include "healthcode/cwt.h"

#define HC_MAX_TEXT_LEN		8192
#define HC_MAX_INFLATED		65536

#define HC_PREFIX_LEN 4

typedef enum hc_prefix
{
	HC_PREFIX_NONE = 0,			/* not (yet) known */
	HC_PREFIX_HH1,				/* "HH1:" healthhub */
	HC_PREFIX_HC1				/* "HC1:" EU DCC */
} hc_prefix;

typedef enum hc_reason
{
	HC_OK = 0,
	HC_TOO_LONG,				/* more than HC_MAX_TEXT_LEN bytes */
	HC_BAD_PREFIX,				/* neither "HH1:" nor "HC1:" */
	HC_BAD_ENCODING,			/* Base45; detail: hc_b45_status */
	HC_BAD_COMPRESSION,			/* zlib; detail: hc_zlib_status */
	HC_BAD_STRUCTURE,			/* COSE, CBOR or CWT; detail below */
	HC_NO_MEMORY
} hc_reason;

/* For HC_BAD_STRUCTURE, which layer the detail status belongs to. */
typedef enum hc_structure_layer
{
	HC_LAYER_COSE = 0,			/* detail: hc_cose_status */
	HC_LAYER_CLAIMS_CBOR,		/* detail: hc_cbor_status of the payload */
	HC_LAYER_CLAIMS,			/* detail: hc_cwt_status; label: the claim */
	HC_LAYER_JSON				/* detail: hc_json_status */
} hc_structure_layer;

typedef struct hc_decoded
{
	hc_reason	reason;
	hc_prefix	prefix;
	int			detail;			/* the failing layer's own status */
	hc_structure_layer layer;	/* for HC_BAD_STRUCTURE */
	size_t		position;		/* HC_BAD_ENCODING: offset in the text */
	int64_t		label;			/* HC_LAYER_CLAIMS: the claim at fault */
	uint8_t    *cose_bytes;		/* the COSE_Sign1 bytes, once inflated */
	size_t		cose_len;
	hc_cose_sign1 cose;			/* from HC_BAD_STRUCTURE of the claims on */
	hc_claims	claims;			/* when HC_OK */
	char	   *json;			/* when HC_OK: the DCC payload (hcert[1])
								 * of an HC1 code, all claims of an HH1 code */
	size_t		json_len;
} hc_decoded;

/*
 * Decode len bytes of text.  Returns out->reason; an HC1 code without an
 * EU DCC (hcert) and an HH1 code without healthhub's claim are
 * HC_BAD_STRUCTURE (HC_LAYER_CLAIMS, HC_CWT_BAD_HCERT / BAD_HEALTHHUB).
 */
extern hc_reason hc_decode(const char *text, size_t len, hc_decoded *out);

/*
 * The same from the COSE bytes (a stored code's binary form): the prefix
 * is HC1 when the claims hold an EU DCC, HH1 otherwise.
 */
extern hc_reason hc_decode_cose(const uint8_t *cose, size_t len, hc_decoded *out);
extern void hc_decoded_free(hc_decoded *d);

typedef enum hc_encode_status
{
	HC_ENCODE_OK = 0,
	HC_ENCODE_BAD_CLAIMS,		/* no kind, or hcert set */
	HC_ENCODE_UNKNOWN_ALG,
	HC_ENCODE_KEY_MISMATCH,		/* the key's type does not fit the alg */
	HC_ENCODE_TOO_LONG,			/* the text would exceed HC_MAX_TEXT_LEN */
	HC_ENCODE_FAILED			/* out of memory, or libcrypto failed */
} hc_encode_status;

/*
 * An "HH1:" code of claims, signed with key under alg and carrying kid in
 * its protected header.  *text is NUL-terminated, *len bytes.
 */
/*
 * A COSE_Sign1 of any payload (a trust list), signed with key under alg and
 * carrying kid in its protected header; *cose is malloc'd.
 */
extern hc_encode_status hc_sign_payload(const uint8_t *payload, size_t payload_len, int64_t alg,
										const uint8_t *kid, size_t kid_len, EVP_PKEY *key,
										uint8_t **cose, size_t *cose_len);

/* The QR text of COSE bytes under a prefix (HH1 or HC1). */
extern hc_encode_status hc_wrap(hc_prefix prefix, const uint8_t *cose, size_t cose_len,
								char **text, size_t *len);

extern hc_encode_status hc_encode(const hc_claims *claims, int64_t alg,
								  const uint8_t *kid, size_t kid_len, EVP_PKEY *key,
								  char **text, size_t *len);

#endif							/* HC_HEALTH_CODE_H */
