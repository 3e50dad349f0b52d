/*
 * cose_crypto.c
 *		COSE signatures over OpenSSL 3 EVP.
 */
#include "healthcode/cose_crypto.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/*
 * GM/T 0009-2012's default distinguishing identifier: OpenSSL 3.0 does not
 * apply it unless told, and signatures with and without it differ.
 */
#define SM2_ID "1234567812345678"
/* P-256 and SM2: r and s are 32 bytes each in COSE's r || s */
#define EC_HALF 32
#define PSS_SALT_LEN 32
#define RSA_BITS 3072

/*
 * Public functions that call libcrypto return through here: its errors are
 * reported by status, and must not linger for the next user of the queue
 * (the server's own SSL code, pgcrypto).
 */
static hc_crypto_status
done(hc_crypto_status st)
{
	ERR_clear_error();
	return st;
}

static bool
known_alg(int64_t alg)
{
	return alg == HC_ALG_EDDSA || alg == HC_ALG_ES256 ||
		alg == HC_ALG_PS256 || alg == HC_ALG_SM2_SM3;
}

/* The hash, NULL for Ed25519 (which hashes inside the signature). */
static const char *
digest_name(int64_t alg)
{
	switch (alg)
	{
		case HC_ALG_ES256:
		case HC_ALG_PS256:
			return "SHA256";
		case HC_ALG_SM2_SM3:
			return "SM3";
		default:
			return NULL;
	}
}

/* COSE writes ECDSA-like signatures as r || s, OpenSSL as DER. */
static bool
raw_signature(int64_t alg)
{
	return alg == HC_ALG_ES256 || alg == HC_ALG_SM2_SM3;
}

static bool
key_fits(int64_t alg, EVP_PKEY *key)
{
	char		group[32];

	switch (alg)
	{
		case HC_ALG_EDDSA:
			return EVP_PKEY_is_a(key, "ED25519");
		case HC_ALG_ES256:
			return EVP_PKEY_is_a(key, "EC") &&
				EVP_PKEY_get_group_name(key, group, sizeof(group), NULL) == 1 &&
				strcmp(group, "prime256v1") == 0;
		case HC_ALG_PS256:
			return EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS");
		default:
			return EVP_PKEY_is_a(key, "SM2");
	}
}

/* A digest-sign or digest-verify context for alg, its parameters set. */
static EVP_MD_CTX *
start(int64_t alg, EVP_PKEY *key, bool signing)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;	/* belongs to md */
	bool		ok;

	if (md == NULL)
		return NULL;
	ok = (signing ? EVP_DigestSignInit_ex(md, &pctx, digest_name(alg), NULL, NULL, key, NULL)
		  : EVP_DigestVerifyInit_ex(md, &pctx, digest_name(alg), NULL, NULL, key, NULL)) == 1;
	if (ok && alg == HC_ALG_PS256)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PSS_SALT_LEN) == 1 &&
			EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) == 1;
	if (ok && alg == HC_ALG_SM2_SM3)
		ok = EVP_PKEY_CTX_set1_id(pctx, SM2_ID, strlen(SM2_ID)) == 1;
	if (!ok)
	{
		EVP_MD_CTX_free(md);
		return NULL;
	}
	return md;
}

/* DER ECDSA-Sig-Value -> r || s (malloc'd, 2 * EC_HALF bytes). */
static uint8_t *
der_to_raw(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	ECDSA_SIG  *sig = d2i_ECDSA_SIG(NULL, &p, (long) len);
	uint8_t    *raw = sig != NULL ? malloc(2 * EC_HALF) : NULL;

	if (raw != NULL &&
		(BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, EC_HALF) != EC_HALF ||
		 BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + EC_HALF, EC_HALF) != EC_HALF))
	{
		free(raw);
		raw = NULL;
	}
	ECDSA_SIG_free(sig);
	return raw;
}

/* r || s -> DER (OPENSSL_malloc'd); *der NULL when libcrypto fails. */
static void
raw_to_der(const uint8_t *raw, unsigned char **der, int *der_len)
{
	BIGNUM	   *r = BN_bin2bn(raw, EC_HALF, NULL);
	BIGNUM	   *s = BN_bin2bn(raw + EC_HALF, EC_HALF, NULL);
	ECDSA_SIG  *sig = ECDSA_SIG_new();

	*der = NULL;
	if (r == NULL || s == NULL || sig == NULL || ECDSA_SIG_set0(sig, r, s) != 1)
	{
		BN_free(r);
		BN_free(s);
	}
	else
		*der_len = i2d_ECDSA_SIG(sig, der);
	ECDSA_SIG_free(sig);
}

/* Sign with md; *sig is malloc'd (converted to r || s where COSE wants it). */
static hc_crypto_status
sign_with(EVP_MD_CTX *md, int64_t alg, EVP_PKEY *key, const uint8_t *tbs, size_t tbs_len,
		  uint8_t **sig, size_t *sig_len)
{
	size_t		n = (size_t) EVP_PKEY_get_size(key);
	uint8_t    *buf = malloc(n);

	if (buf == NULL || EVP_DigestSign(md, buf, &n, tbs, tbs_len) != 1)
	{
		free(buf);
		return HC_CRYPTO_FAILED;
	}
	if (raw_signature(alg))
	{
		uint8_t    *raw = der_to_raw(buf, n);

		free(buf);
		if (raw == NULL)
			return HC_CRYPTO_FAILED;
		buf = raw;
		n = 2 * EC_HALF;
	}
	*sig = buf;
	*sig_len = n;
	return HC_CRYPTO_OK;
}

hc_crypto_status
hc_sign(int64_t alg, EVP_PKEY *key, const uint8_t *tbs, size_t tbs_len,
		uint8_t **sig, size_t *sig_len)
{
	EVP_MD_CTX *md;
	hc_crypto_status st;

	if (!known_alg(alg))
		return HC_CRYPTO_UNKNOWN_ALG;
	if (!key_fits(alg, key))
		return done(HC_CRYPTO_KEY_MISMATCH);
	md = start(alg, key, true);
	if (md == NULL)
		return done(HC_CRYPTO_FAILED);
	st = sign_with(md, alg, key, tbs, tbs_len, sig, sig_len);
	EVP_MD_CTX_free(md);
	return done(st);
}

hc_crypto_status
hc_verify(int64_t alg, EVP_PKEY *key, const uint8_t *tbs, size_t tbs_len,
		  const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *md;
	unsigned char *der = NULL;
	int			der_len = 0;
	hc_crypto_status st;

	if (!known_alg(alg))
		return HC_CRYPTO_UNKNOWN_ALG;
	if (!key_fits(alg, key))
		return done(HC_CRYPTO_KEY_MISMATCH);
	if (raw_signature(alg))
	{
		if (sig_len != 2 * EC_HALF)
			return done(HC_CRYPTO_BAD_SIGNATURE);
		raw_to_der(sig, &der, &der_len);
		if (der == NULL)
			return done(HC_CRYPTO_FAILED);
		sig = der;
		sig_len = (size_t) der_len;
	}
	md = start(alg, key, false);
	if (md == NULL)
		st = HC_CRYPTO_FAILED;
	else
		st = EVP_DigestVerify(md, sig, sig_len, tbs, tbs_len) == 1 ?
			HC_CRYPTO_OK : HC_CRYPTO_BAD_SIGNATURE;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return done(st);
}

hc_crypto_status
hc_key_generate(int64_t alg, EVP_PKEY **key)
{
	EVP_PKEY   *k;

	switch (alg)
	{
		case HC_ALG_EDDSA:
			k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
			break;
		case HC_ALG_ES256:
			k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
			break;
		case HC_ALG_PS256:
			k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) RSA_BITS);
			break;
		case HC_ALG_SM2_SM3:
			k = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
			break;
		default:
			return HC_CRYPTO_UNKNOWN_ALG;
	}
	if (k == NULL)
		return done(HC_CRYPTO_FAILED);
	*key = k;
	return HC_CRYPTO_OK;
}

/* An i2d_* result (OPENSSL_malloc'd, or n < 0) as a malloc'd buffer. */
static hc_crypto_status
take_der(unsigned char *ossl, int n, uint8_t **der, size_t *len)
{
	uint8_t    *copy = n > 0 ? malloc((size_t) n) : NULL;

	if (copy != NULL)
		memcpy(copy, ossl, (size_t) n);
	OPENSSL_free(ossl);
	if (copy == NULL)
		return done(HC_CRYPTO_FAILED);
	*der = copy;
	*len = (size_t) n;
	return done(HC_CRYPTO_OK);
}

hc_crypto_status
hc_key_public_der(EVP_PKEY *key, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	int			n = i2d_PUBKEY(key, &buf);

	return take_der(buf, n, der, len);
}

hc_crypto_status
hc_key_private_der(EVP_PKEY *key, uint8_t **der, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);
	unsigned char *buf = NULL;
	int			n = p8 != NULL ? i2d_PKCS8_PRIV_KEY_INFO(p8, &buf) : -1;

	PKCS8_PRIV_KEY_INFO_free(p8);
	return take_der(buf, n, der, len);
}

/* d2i_* functions read a long and leave trailing bytes: both refused. */
static bool
der_fits(size_t len)
{
	return len > 0 && len <= LONG_MAX;
}

hc_crypto_status
hc_key_from_public_der(const uint8_t *der, size_t len, EVP_PKEY **key)
{
	const unsigned char *p = der;
	EVP_PKEY   *k = der_fits(len) ? d2i_PUBKEY(NULL, &p, (long) len) : NULL;

	if (k == NULL || p != der + len)
	{
		EVP_PKEY_free(k);
		return done(HC_CRYPTO_BAD_INPUT);
	}
	*key = k;
	return done(HC_CRYPTO_OK);
}

hc_crypto_status
hc_key_from_private_der(const uint8_t *der, size_t len, EVP_PKEY **key)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = der_fits(len) ? d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long) len) : NULL;
	EVP_PKEY   *k = p8 != NULL && p == der + len ? EVP_PKCS82PKEY(p8) : NULL;

	PKCS8_PRIV_KEY_INFO_free(p8);
	if (k == NULL)
		return done(HC_CRYPTO_BAD_INPUT);
	*key = k;
	return done(HC_CRYPTO_OK);
}

hc_crypto_status
hc_kid(const uint8_t *bytes, size_t len, uint8_t kid[HC_KID_LEN])
{
	unsigned char hash[EVP_MAX_MD_SIZE];

	if (EVP_Digest(bytes, len, hash, NULL, EVP_sha256(), NULL) != 1)
		return done(HC_CRYPTO_FAILED);
	memcpy(kid, hash, HC_KID_LEN);
	return HC_CRYPTO_OK;
}

/* An ASN.1 time as seconds since 1970 (ASN1_TIME_diff counts days + secs). */
static bool
unix_seconds(const ASN1_TIME *t, int64_t *out)
{
	ASN1_TIME  *epoch = ASN1_TIME_set(NULL, 0);
	int			days;
	int			secs;
	bool		ok = epoch != NULL && ASN1_TIME_diff(&days, &secs, epoch, t) == 1;

	ASN1_TIME_free(epoch);
	if (ok)
		*out = (int64_t) days * 86400 + secs;
	return ok;
}

/* The extended key usage OIDs; none when the extension is absent. */
static hc_crypto_status
read_eku(X509 *x, hc_certificate *cert)
{
	int			crit;
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	int			n;
	hc_crypto_status st = HC_CRYPTO_OK;

	if (eku == NULL)			/* crit: -1 absent, -2 twice, else undecodable */
		return crit == -1 ? HC_CRYPTO_OK : HC_CRYPTO_BAD_INPUT;
	n = sk_ASN1_OBJECT_num(eku);
	cert->eku = calloc(n > 0 ? (size_t) n : 1, sizeof(char *));
	if (cert->eku == NULL)
		st = HC_CRYPTO_FAILED;
	for (int i = 0; i < n && st == HC_CRYPTO_OK; i++)
	{
		const ASN1_OBJECT *oid = sk_ASN1_OBJECT_value(eku, i);
		int			len = OBJ_obj2txt(NULL, 0, oid, 1);
		char	   *text = len > 0 ? malloc((size_t) len + 1) : NULL;

		if (text == NULL)
			st = len > 0 ? HC_CRYPTO_FAILED : HC_CRYPTO_BAD_INPUT;
		else
		{
			OBJ_obj2txt(text, len + 1, oid, 1);
			cert->eku[cert->n_eku++] = text;
		}
	}
	EXTENDED_KEY_USAGE_free(eku);
	return st;
}

static hc_crypto_status
read_certificate(X509 *x, hc_certificate *cert)
{
	cert->key = X509_get_pubkey(x);
	if (cert->key == NULL ||
		!unix_seconds(X509_get0_notBefore(x), &cert->not_before) ||
		!unix_seconds(X509_get0_notAfter(x), &cert->not_after))
		return HC_CRYPTO_BAD_INPUT;
	return read_eku(x, cert);
}

hc_crypto_status
hc_certificate_parse(const uint8_t *der, size_t len, hc_certificate *cert)
{
	const unsigned char *p = der;
	X509	   *x = der_fits(len) ? d2i_X509(NULL, &p, (long) len) : NULL;
	hc_crypto_status st = HC_CRYPTO_BAD_INPUT;

	memset(cert, 0, sizeof(*cert));
	if (x != NULL && p == der + len)
		st = read_certificate(x, cert);
	X509_free(x);
	if (st != HC_CRYPTO_OK)
		hc_certificate_free(cert);
	return done(st);
}

void
hc_certificate_free(hc_certificate *cert)
{
	EVP_PKEY_free(cert->key);
	for (size_t i = 0; i < cert->n_eku; i++)
		free(cert->eku[i]);
	free(cert->eku);
	memset(cert, 0, sizeof(*cert));
}

static const int64_t known_algs[] = {HC_ALG_EDDSA, HC_ALG_ES256, HC_ALG_PS256, HC_ALG_SM2_SM3};

const char *
hc_alg_name(int64_t alg)
{
	switch (alg)
	{
		case HC_ALG_EDDSA:
			return "EdDSA";
		case HC_ALG_ES256:
			return "ES256";
		case HC_ALG_PS256:
			return "PS256";
		case HC_ALG_SM2_SM3:
			return "SM2";
	}
	return NULL;
}

bool
hc_alg_number(const char *name, int64_t *alg)
{
	for (size_t i = 0; i < sizeof(known_algs) / sizeof(known_algs[0]); i++)
		if (strcmp(name, hc_alg_name(known_algs[i])) == 0)
		{
			*alg = known_algs[i];
			return true;
		}
	return false;
}
