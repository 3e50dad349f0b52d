/*
 * cose_crypto.h
 *		Signatures of health codes by COSE algorithm, through OpenSSL 3
 *		libcrypto (EVP_PKEY): sign, verify, make and (de)serialise keys, key
 *		ids, and the facts of an X.509 signer certificate.
 *
 * Algorithms (RFC 9053 numbers, plus one private-use number):
 *   EdDSA  -8      Ed25519
 *   ES256  -7      ECDSA P-256 with SHA-256; signature r || s, 64 bytes
 *   PS256  -37     RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt 32 bytes
 *   SM2    -65537  SM2 with SM3 (GB/T 32918, GM/T 0009 default ID
 *                  "1234567812345678"); signature r || s, 64 bytes
 *
 * Pure C: no postgres.h.  Byte results are malloc'd (caller frees);
 * EVP_PKEY results are released with EVP_PKEY_free.  Each call leaves
 * libcrypto's error queue empty.
 */
#ifndef HC_COSE_CRYPTO_H
#define HC_COSE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#define HC_ALG_ES256	(-7)
#define HC_ALG_EDDSA	(-8)
#define HC_ALG_PS256	(-37)
/* the COSE Algorithms registry leaves numbers below -65536 to private use */
#define HC_ALG_SM2_SM3	(-65537)

#define HC_KID_LEN 8

/* The algorithms' names, EdDSA, ES256, PS256 and SM2 (NULL, false: another) */
extern const char *hc_alg_name(int64_t alg);
extern bool hc_alg_number(const char *name, int64_t *alg);

typedef enum hc_crypto_status
{
	HC_CRYPTO_OK = 0,
	HC_CRYPTO_BAD_SIGNATURE,	/* verify: the signature does not match */
	HC_CRYPTO_KEY_MISMATCH,		/* the key's type does not fit the alg */
	HC_CRYPTO_UNKNOWN_ALG,		/* none of the four algorithms */
	HC_CRYPTO_BAD_INPUT,		/* DER that does not parse */
	HC_CRYPTO_FAILED			/* libcrypto failed (out of memory) */
} hc_crypto_status;

/* Sign the to-be-signed bytes (cose.h's hc_cose_tbs) with a private key. */
extern hc_crypto_status hc_sign(int64_t alg, EVP_PKEY *key,
								const uint8_t *tbs, size_t tbs_len,
								uint8_t **sig, size_t *sig_len);

/* OK, BAD_SIGNATURE, KEY_MISMATCH, UNKNOWN_ALG (or FAILED). */
extern hc_crypto_status hc_verify(int64_t alg, EVP_PKEY *key,
								  const uint8_t *tbs, size_t tbs_len,
								  const uint8_t *sig, size_t sig_len);

/* A new key pair for alg (RSA keys for PS256 have 3072 bits). */
extern hc_crypto_status hc_key_generate(int64_t alg, EVP_PKEY **key);

/* Public key as SubjectPublicKeyInfo DER, private key as PKCS#8 DER. */
extern hc_crypto_status hc_key_public_der(EVP_PKEY *key, uint8_t **der, size_t *len);
extern hc_crypto_status hc_key_private_der(EVP_PKEY *key, uint8_t **der, size_t *len);
extern hc_crypto_status hc_key_from_public_der(const uint8_t *der, size_t len, EVP_PKEY **key);
extern hc_crypto_status hc_key_from_private_der(const uint8_t *der, size_t len, EVP_PKEY **key);

/*
 * Key id: the first HC_KID_LEN bytes of SHA-256 over bytes (a DER
 * certificate as EU DCC does, or a bare key's SubjectPublicKeyInfo DER).
 */
extern hc_crypto_status hc_kid(const uint8_t *bytes, size_t len, uint8_t kid[HC_KID_LEN]);

/* What a verifier needs from a signer's X.509 certificate. */
typedef struct hc_certificate
{
	EVP_PKEY   *key;
	int64_t		not_before;		/* Unix seconds */
	int64_t		not_after;
	char	  **eku;			/* extended key usage OIDs, dotted; NULL
								 * when the certificate has none */
	size_t		n_eku;
} hc_certificate;

/*
 * EU DCC key usage OIDs: which certificate types a signer may issue (none
 * of them: any type).  The hcert specification first wrote them with an
 * extra ".0" after the enterprise arc; signer certificates (and the test
 * vectors' ones) still carry that form, so both are listed.
 */
#define HC_EKU_DCC_TEST			"1.3.6.1.4.1.1847.2021.1.1"
#define HC_EKU_DCC_VACCINATION	"1.3.6.1.4.1.1847.2021.1.2"
#define HC_EKU_DCC_RECOVERY		"1.3.6.1.4.1.1847.2021.1.3"
#define HC_EKU_DCC_TEST_OLD			"1.3.6.1.4.1.0.1847.2021.1.1"
#define HC_EKU_DCC_VACCINATION_OLD	"1.3.6.1.4.1.0.1847.2021.1.2"
#define HC_EKU_DCC_RECOVERY_OLD		"1.3.6.1.4.1.0.1847.2021.1.3"

/* Parse a DER certificate; on failure *cert holds nothing to free. */
extern hc_crypto_status hc_certificate_parse(const uint8_t *der, size_t len, hc_certificate *cert);
extern void hc_certificate_free(hc_certificate *cert);

#endif							/* HC_COSE_CRYPTO_H */
