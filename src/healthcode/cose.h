/*
 * cose.h
 *		COSE_Sign1 (RFC 9052, section 4.2): the signed envelope of a health
 *		code, parsed from and assembled into CBOR with libcbor.
 *
 *   COSE_Sign1 = [protected: bstr .cbor header_map / bstr .size 0,
 *                 unprotected: header_map, payload: bstr, signature: bstr]
 *
 * Parsing accepts the message tagged (tag 18), untagged, and tagged inside
 * a CWT tag (61, RFC 8392 section 6), as EU DCCs come.  From the headers it
 * reads alg (label 1, an integer, protected header only) and kid (label 4,
 * a byte string, protected header first, else the unprotected one).  The
 * signature is checked elsewhere (cose_crypto.h) over hc_cose_tbs().
 *
 * Pure C: no postgres.h.  Every pointer in hc_cose_sign1 is malloc'd and
 * released by hc_cose_free.
 */
#ifndef HC_COSE_H
#define HC_COSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HC_COSE_TAG_SIGN1	18
#define HC_COSE_TAG_CWT		61
#define HC_COSE_LABEL_ALG	1
#define HC_COSE_LABEL_KID	4

typedef struct hc_cose_sign1
{
	uint8_t    *protected_bytes;	/* the protected header bstr's content,
									 * byte for byte as received */
	size_t		protected_len;
	bool		has_alg;
	int64_t		alg;
	bool		alg_protected;	/* the alg came from the protected header */
	uint8_t    *kid;			/* NULL when neither header has one */
	size_t		kid_len;
	bool		kid_protected;	/* the kid came from the protected header */
	uint8_t    *payload;
	size_t		payload_len;
	uint8_t    *signature;
	size_t		signature_len;
	bool		tagged;			/* tag 18 was present */
} hc_cose_sign1;

typedef enum hc_cose_status
{
	HC_COSE_OK = 0,
	HC_COSE_NOT_CBOR,			/* not one well-formed CBOR item */
	HC_COSE_TOO_DEEP,			/* CBOR nested too deep (cbor_io.h) */
	HC_COSE_NOT_SIGN1,			/* not an array of four, or another tag */
	HC_COSE_BAD_PROTECTED,		/* protected header not a bstr holding a map */
	HC_COSE_BAD_UNPROTECTED,	/* unprotected header not a map */
	HC_COSE_BAD_HEADER,			/* alg not an integer, kid not a bstr, or a
								 * label twice */
	HC_COSE_BAD_PAYLOAD,		/* payload not a bstr (nil: detached) */
	HC_COSE_BAD_SIGNATURE,		/* signature not a bstr */
	HC_COSE_NO_MEMORY
} hc_cose_status;

/* Parse len bytes; on failure *out holds nothing to free. */
extern hc_cose_status hc_cose_parse(const uint8_t *in, size_t len, hc_cose_sign1 *out);

/* Release the buffers of a message (parsed or prepared) and clear it. */
extern void hc_cose_free(hc_cose_sign1 *msg);

/*
 * The bytes signed (Sig_structure, RFC 9052 section 4.4):
 * ["Signature1", protected header bytes, external_aad h'', payload].
 */
extern hc_cose_status hc_cose_tbs(const hc_cose_sign1 *msg, uint8_t **tbs, size_t *tbs_len);

/*
 * Start a message: a protected header {1: alg, 4: kid} (kid omitted when
 * kid_len is 0), a copy of the payload, and the bytes to sign.  The caller
 * signs them, stores the malloc'd signature in msg->signature and
 * msg->signature_len, and calls hc_cose_assemble.
 */
extern hc_cose_status hc_cose_prepare(int64_t alg, const uint8_t *kid, size_t kid_len,
									  const uint8_t *payload, size_t payload_len,
									  hc_cose_sign1 *msg, uint8_t **tbs, size_t *tbs_len);

/* The tagged COSE_Sign1 of a message, with an empty unprotected header. */
extern hc_cose_status hc_cose_assemble(const hc_cose_sign1 *msg, uint8_t **out, size_t *out_len);

#endif							/* HC_COSE_H */
