/*
 * digest.h: SHA-256 and SM3 digests, HMAC-SHA256, random bytes and the
 * RFC 6962 Merkle tree hash, as a thin wrapper over OpenSSL's libcrypto.
 *
 * Pure C: no postgres.h, so benchmarks and fuzzers can call it directly.
 * Every function returns 0 on success and -1 when libcrypto fails (the
 * caller words the error).
 */
#ifndef HH_DIGEST_H
#define HH_DIGEST_H

#include <stddef.h>
#include <stdint.h>

typedef enum hh_digest_alg
{
	HH_DIGEST_SHA256 = 0,
	HH_DIGEST_SM3 = 1
} hh_digest_alg;

/* Both algorithms produce 32 bytes. */
#define HH_DIGEST_LEN 32

/* "sha256" / "sm3" <-> enum; returns -1 for an unknown name. */
int			hh_digest_from_name(const char *name, size_t len, hh_digest_alg *alg);
const char *hh_digest_name(hh_digest_alg alg);

/* An incremental digest; reusable (init, update..., final, init, ...). */
typedef struct hh_digest hh_digest;

hh_digest  *hh_digest_new(hh_digest_alg alg);
void		hh_digest_free(hh_digest *d);
int			hh_digest_init(hh_digest *d);
int			hh_digest_update(hh_digest *d, const void *data, size_t len);
int			hh_digest_final(hh_digest *d, unsigned char out[HH_DIGEST_LEN]);

/*
 * RFC 6962 Merkle tree hash over n leaf hashes (each HH_DIGEST_LEN bytes,
 * contiguous): node = H(0x01 || left || right); the tree of n leaves splits
 * at the largest power of two below n.  The root of one leaf is the leaf;
 * the root of none is H() (the empty string).  scratch must hold n hashes.
 */
int			hh_merkle_root(hh_digest *d, const unsigned char *leaves, size_t n,
						   unsigned char *scratch, unsigned char out[HH_DIGEST_LEN]);

/* HMAC-SHA256. */
#define HH_HMAC_LEN 32
int			hh_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
						   unsigned char out[HH_HMAC_LEN]);

/* Constant-time comparison: 1 when equal. */
int			hh_equal_ct(const void *a, const void *b, size_t len);

/* Cryptographically strong random bytes. */
int			hh_random_bytes(unsigned char *buf, size_t len);

#endif							/* HH_DIGEST_H */
