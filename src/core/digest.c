/*
 * digest.c: SHA-256 / SM3 digests, HMAC-SHA256, random bytes and the RFC 6962
 * Merkle tree hash over OpenSSL's EVP interface.  Pure C (no postgres.h).
 */
/*
 * SHA-256 goes through the low-level SHA256_* functions, deprecated in
 * OpenSSL 3 but kept: EVP_DigestInit in 3.0 frees and reallocates the
 * provider context at every init, which doubled the cost of hashing one
 * short audit entry.  SM3 has no low-level API and uses EVP.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "core/digest.h"

#include <string.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

struct hh_digest
{
	hh_digest_alg alg;
	const EVP_MD *md;
	EVP_MD_CTX *ctx;			/* SM3 */
	SHA256_CTX	sha;			/* SHA-256 */
};

/* Fetched once per process: an implicit fetch at every init is slow. */
static const EVP_MD *
hh_md(hh_digest_alg alg)
{
	static EVP_MD *sha256;
	static EVP_MD *sm3;

	switch (alg)
	{
		case HH_DIGEST_SHA256:
			if (sha256 == NULL)
				sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
			return sha256;
		case HH_DIGEST_SM3:
			if (sm3 == NULL)
				sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
			return sm3;
	}
	return NULL;
}

int
hh_digest_from_name(const char *name, size_t len, hh_digest_alg *alg)
{
	if (len == 6 && memcmp(name, "sha256", 6) == 0)
	{
		*alg = HH_DIGEST_SHA256;
		return 0;
	}
	if (len == 3 && memcmp(name, "sm3", 3) == 0)
	{
		*alg = HH_DIGEST_SM3;
		return 0;
	}
	return -1;
}

const char *
hh_digest_name(hh_digest_alg alg)
{
	return alg == HH_DIGEST_SM3 ? "sm3" : "sha256";
}

hh_digest *
hh_digest_new(hh_digest_alg alg)
{
	hh_digest  *d;
	const EVP_MD *md = hh_md(alg);

	if (md == NULL)
		return NULL;
	d = malloc(sizeof(hh_digest));
	if (d == NULL)
		return NULL;
	d->alg = alg;
	d->md = md;
	d->ctx = EVP_MD_CTX_new();
	if (d->ctx == NULL)
	{
		free(d);
		return NULL;
	}
	return d;
}

void
hh_digest_free(hh_digest *d)
{
	if (d == NULL)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int
hh_digest_init(hh_digest *d)
{
	if (d->alg == HH_DIGEST_SHA256)
		return SHA256_Init(&d->sha) == 1 ? 0 : -1;
	return EVP_DigestInit_ex2(d->ctx, d->md, NULL) == 1 ? 0 : -1;
}

int
hh_digest_update(hh_digest *d, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (d->alg == HH_DIGEST_SHA256)
		return SHA256_Update(&d->sha, data, len) == 1 ? 0 : -1;
	return EVP_DigestUpdate(d->ctx, data, len) == 1 ? 0 : -1;
}

int
hh_digest_final(hh_digest *d, unsigned char out[HH_DIGEST_LEN])
{
	unsigned int n = 0;

	if (d->alg == HH_DIGEST_SHA256)
		return SHA256_Final(out, &d->sha) == 1 ? 0 : -1;
	if (EVP_DigestFinal_ex(d->ctx, out, &n) != 1 || n != HH_DIGEST_LEN)
		return -1;
	return 0;
}

static int
merkle_node(hh_digest *d, const unsigned char *l, const unsigned char *r, unsigned char *out)
{
	static const unsigned char node_prefix = 0x01;

	if (hh_digest_init(d) != 0 ||
		hh_digest_update(d, &node_prefix, 1) != 0 ||
		hh_digest_update(d, l, HH_DIGEST_LEN) != 0 ||
		hh_digest_update(d, r, HH_DIGEST_LEN) != 0)
		return -1;
	return hh_digest_final(d, out);
}

/*
 * Bottom-up: pair neighbours, carry an odd last node up unchanged.  This is
 * the same tree as RFC 6962's recursive split at the largest power of two
 * below n.
 */
int
hh_merkle_root(hh_digest *d, const unsigned char *leaves, size_t n,
			   unsigned char *scratch, unsigned char out[HH_DIGEST_LEN])
{
	size_t		i;

	if (n == 0)
		return hh_digest_init(d) == 0 ? hh_digest_final(d, out) : -1;
	if (n == 1)
	{
		memcpy(out, leaves, HH_DIGEST_LEN);
		return 0;
	}
	/* first level reads the leaves, later levels work in place in scratch */
	for (i = 0; i + 1 < n; i += 2)
		if (merkle_node(d, leaves + i * HH_DIGEST_LEN, leaves + (i + 1) * HH_DIGEST_LEN,
						scratch + (i / 2) * HH_DIGEST_LEN) != 0)
			return -1;
	if (n % 2)
		memcpy(scratch + (n / 2) * HH_DIGEST_LEN, leaves + (n - 1) * HH_DIGEST_LEN, HH_DIGEST_LEN);
	n = (n + 1) / 2;
	while (n > 1)
	{
		for (i = 0; i + 1 < n; i += 2)
			if (merkle_node(d, scratch + i * HH_DIGEST_LEN, scratch + (i + 1) * HH_DIGEST_LEN,
							scratch + (i / 2) * HH_DIGEST_LEN) != 0)
				return -1;
		if (n % 2)
			memmove(scratch + (n / 2) * HH_DIGEST_LEN, scratch + (n - 1) * HH_DIGEST_LEN, HH_DIGEST_LEN);
		n = (n + 1) / 2;
	}
	memcpy(out, scratch, HH_DIGEST_LEN);
	return 0;
}

int
hh_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
			   unsigned char out[HH_HMAC_LEN])
{
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), key, (int) keylen, data, len, out, &n) == NULL || n != HH_HMAC_LEN)
		return -1;
	return 0;
}

int
hh_equal_ct(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int
hh_random_bytes(unsigned char *buf, size_t len)
{
	return RAND_bytes(buf, (int) len) == 1 ? 0 : -1;
}
