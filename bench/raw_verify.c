/*
 * raw_verify.c
 *		The baseline of bench/healthcode.sh: plain OpenSSL verification of a
 *		health code's signature with its key already loaded, on one core, and
 *		a few diagnostic loops over the project's pure-C codec.
 *
 *   raw_verify MODE SECONDS SPKI_HEX_FILE CODE_FILE [PKCS8_HEX_FILE]
 *
 * SPKI_HEX_FILE: the signer's public key (SubjectPublicKeyInfo DER, in hex,
 * as healthhub.signing_keys.public_key); CODE_FILE: the code's QR text (one
 * line); PKCS8_HEX_FILE: the private key (mode sign only).  The code is
 * decoded once with the codec (hc_decode), its Sig_structure built
 * (hc_cose_tbs), and the key's kid checked against the code's, so the
 * loops work on exactly the bytes verify_health_code checks.
 *
 * Modes (each iteration does what is listed; all check the result):
 *   verify        the baseline: EVP_MD_CTX_new, EVP_DigestVerifyInit_ex with
 *                 the algorithm's parameters (PSS padding and salt, the SM2
 *                 ID), COSE r || s to DER for ES256 and SM2, EVP_DigestVerify,
 *                 free: what any verifier does per code with the key loaded.
 *   hc_verify     the codec's hc_verify with the key loaded (adds its key
 *                 type check and error-queue clearing).
 *   parse_verify  hc_key_from_public_der (d2i_PUBKEY) + hc_verify: the key
 *                 parsed from its DER for every code.
 *   parse         hc_key_from_public_der alone.
 *   decode        hc_decode + hc_cose_tbs + frees: the codec without crypto.
 *   c_path        decode + tbs + key parse + hc_verify + SHA-256 of the
 *                 signature (the revocation hash): the C work of one
 *                 verify_health_code call, without SQL.
 *   sign          EVP_DigestSign of the same bytes with the private key
 *                 loaded (DER to r || s for ES256 and SM2).
 *
 * The loop runs a warm-up, then as many iterations as fit in SECONDS
 * (estimated from the warm-up), timed by the wall clock (CLOCK_MONOTONIC)
 * and by the CPU time the process used (CLOCK_PROCESS_CPUTIME_ID, which
 * leaves out the time other work held the CPU), and prints
 *   MODE ALG OPS_PER_WALL_SECOND OPS_PER_CPU_SECOND ITERATIONS
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "healthcode/cose.h"
#include "healthcode/cose_crypto.h"
#include "healthcode/health_code.h"

#define SM2_ID "1234567812345678"

static void
die(const char *what)
{
	fprintf(stderr, "raw_verify: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		die(path);
	buf = malloc((size_t) n + 1);
	if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n)
		die(path);
	fclose(f);
	/* one line: strip the newline psql wrote (Base45 has a space: not it) */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	*len = (size_t) n;
	return buf;
}

static uint8_t *
read_hex(const char *path, size_t *len)
{
	size_t		n;
	char	   *hex = read_file(path, &n);
	uint8_t    *bytes = malloc(n / 2 + 1);

	if (n % 2 != 0 || bytes == NULL)
		die("odd hex");
	for (size_t i = 0; i < n / 2; i++)
	{
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			die("bad hex");
		bytes[i] = (uint8_t) b;
	}
	free(hex);
	*len = n / 2;
	return bytes;
}

static double
clock_seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now(void)
{
	return clock_seconds(CLOCK_MONOTONIC);
}

/* What every mode works on. */
typedef struct Input
{
	const char *code;
	size_t		code_len;
	uint8_t    *spki;
	size_t		spki_len;
	int64_t		alg;
	EVP_PKEY   *key;			/* public, loaded once */
	EVP_PKEY   *priv;			/* private, loaded once (sign) */
	uint8_t    *tbs;
	size_t		tbs_len;
	uint8_t    *sig;			/* as the code carries it (r || s for EC) */
	size_t		sig_len;
} Input;

static const char *
digest_name(int64_t alg)
{
	return alg == HC_ALG_EDDSA ? NULL : alg == HC_ALG_SM2_SM3 ? "SM3" : "SHA256";
}

static bool
ec_like(int64_t alg)
{
	return alg == HC_ALG_ES256 || alg == HC_ALG_SM2_SM3;
}

/* The algorithm's parameters on a fresh digest-sign/verify context. */
static bool
set_params(int64_t alg, EVP_PKEY_CTX *pctx)
{
	if (alg == HC_ALG_PS256)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1 &&
			EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) == 1;
	if (alg == HC_ALG_SM2_SM3)
		return EVP_PKEY_CTX_set1_id(pctx, SM2_ID, strlen(SM2_ID)) == 1;
	return true;
}

/* The baseline: one verification with plain EVP calls, the key loaded. */
static bool
raw_verify(const Input *in)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const uint8_t *sig = in->sig;
	size_t		sig_len = in->sig_len;
	unsigned char *der = NULL;
	bool		ok;

	if (ec_like(in->alg))
	{
		/* COSE's r || s as the DER ECDSA-Sig-Value OpenSSL verifies */
		ECDSA_SIG  *s = ECDSA_SIG_new();
		BIGNUM	   *r = BN_bin2bn(in->sig, 32, NULL);
		BIGNUM	   *ss = BN_bin2bn(in->sig + 32, 32, NULL);
		int			n;

		if (s == NULL || r == NULL || ss == NULL || ECDSA_SIG_set0(s, r, ss) != 1)
			die("ECDSA_SIG");
		n = i2d_ECDSA_SIG(s, &der);
		ECDSA_SIG_free(s);
		if (n <= 0)
			die("i2d_ECDSA_SIG");
		sig = der;
		sig_len = (size_t) n;
	}
	ok = md != NULL &&
		EVP_DigestVerifyInit_ex(md, &pctx, digest_name(in->alg), NULL, NULL, in->key, NULL) == 1 &&
		set_params(in->alg, pctx) &&
		EVP_DigestVerify(md, sig, sig_len, in->tbs, in->tbs_len) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return ok;
}

static bool
raw_sign(const Input *in)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char buf[1024];
	size_t		n = sizeof(buf);
	bool		ok;

	ok = md != NULL &&
		EVP_DigestSignInit_ex(md, &pctx, digest_name(in->alg), NULL, NULL, in->priv, NULL) == 1 &&
		set_params(in->alg, pctx) &&
		EVP_DigestSign(md, buf, &n, in->tbs, in->tbs_len) == 1;
	EVP_MD_CTX_free(md);
	if (ok && ec_like(in->alg))
	{
		/* DER -> COSE's r || s */
		const unsigned char *p = buf;
		ECDSA_SIG  *s = d2i_ECDSA_SIG(NULL, &p, (long) n);
		uint8_t		raw[64];

		ok = s != NULL &&
			BN_bn2binpad(ECDSA_SIG_get0_r(s), raw, 32) == 32 &&
			BN_bn2binpad(ECDSA_SIG_get0_s(s), raw + 32, 32) == 32;
		ECDSA_SIG_free(s);
	}
	return ok;
}

static bool
one(const char *mode, const Input *in)
{
	if (strcmp(mode, "verify") == 0)
		return raw_verify(in);
	if (strcmp(mode, "sign") == 0)
		return raw_sign(in);
	if (strcmp(mode, "hc_verify") == 0)
		return hc_verify(in->alg, in->key, in->tbs, in->tbs_len, in->sig, in->sig_len) == HC_CRYPTO_OK;
	if (strcmp(mode, "parse") == 0 || strcmp(mode, "parse_verify") == 0)
	{
		EVP_PKEY   *key;
		bool		ok;

		if (hc_key_from_public_der(in->spki, in->spki_len, &key) != HC_CRYPTO_OK)
			return false;
		ok = mode[5] == '\0' ||
			hc_verify(in->alg, key, in->tbs, in->tbs_len, in->sig, in->sig_len) == HC_CRYPTO_OK;
		EVP_PKEY_free(key);
		return ok;
	}
	if (strcmp(mode, "decode") == 0 || strcmp(mode, "c_path") == 0)
	{
		hc_decoded	d;
		uint8_t    *tbs = NULL;
		size_t		tbs_len;
		bool		ok = hc_decode(in->code, in->code_len, &d) == HC_OK &&
			hc_cose_tbs(&d.cose, &tbs, &tbs_len) == HC_COSE_OK;

		if (ok && mode[0] == 'c')
		{
			EVP_PKEY   *key;
			uint8_t		hash[SHA256_DIGEST_LENGTH];

			ok = hc_key_from_public_der(in->spki, in->spki_len, &key) == HC_CRYPTO_OK;
			if (ok)
			{
				ok = hc_verify(d.cose.alg, key, tbs, tbs_len, d.cose.signature, d.cose.signature_len) == HC_CRYPTO_OK;
				EVP_PKEY_free(key);
			}
			SHA256(d.cose.signature, d.cose.signature_len, hash);
		}
		free(tbs);
		hc_decoded_free(&d);
		return ok;
	}
	die("unknown mode (verify, hc_verify, parse, parse_verify, decode, c_path, sign)");
	return false;
}

static long
loop(const char *mode, const Input *in, long n)
{
	for (long i = 0; i < n; i++)
		if (!one(mode, in))
		{
			fprintf(stderr, "raw_verify: %s failed on %s\n", mode, hc_alg_name(in->alg));
			ERR_print_errors_fp(stderr);
			exit(1);
		}
	return n;
}

int
main(int argc, char **argv)
{
	Input		in = {0};
	hc_decoded	d;
	uint8_t		kid[HC_KID_LEN];
	const char *mode;
	double		seconds,
				t0,
				cpu0,
				elapsed,
				cpu;
	long		n;

	if (argc < 5 || argc > 6)
	{
		fprintf(stderr, "usage: raw_verify MODE SECONDS SPKI_HEX_FILE CODE_FILE [PKCS8_HEX_FILE]\n");
		return 64;
	}
	mode = argv[1];
	seconds = atof(argv[2]);
	in.spki = read_hex(argv[3], &in.spki_len);
	in.code = read_file(argv[4], &in.code_len);

	/* the bytes the verifier checks, straight from the code */
	if (hc_decode(in.code, in.code_len, &d) != HC_OK)
		die("the code does not decode");
	if (!d.cose.has_alg || d.cose.kid == NULL || d.cose.kid_len != HC_KID_LEN)
		die("the code has no alg or kid");
	if (hc_kid(in.spki, in.spki_len, kid) != HC_CRYPTO_OK || memcmp(kid, d.cose.kid, HC_KID_LEN) != 0)
		die("the key is not the code's signer (kid differs)");
	in.alg = d.cose.alg;
	if (hc_cose_tbs(&d.cose, &in.tbs, &in.tbs_len) != HC_COSE_OK)
		die("hc_cose_tbs");
	in.sig = malloc(d.cose.signature_len);
	memcpy(in.sig, d.cose.signature, d.cose.signature_len);
	in.sig_len = d.cose.signature_len;
	hc_decoded_free(&d);
	if (ec_like(in.alg) && in.sig_len != 64)
		die("EC signature is not r || s of 64 bytes");
	if (hc_key_from_public_der(in.spki, in.spki_len, &in.key) != HC_CRYPTO_OK)
		die("public key");
	if (argc == 6)
	{
		size_t		len;
		uint8_t    *p8 = read_hex(argv[5], &len);

		if (hc_key_from_private_der(p8, len, &in.priv) != HC_CRYPTO_OK)
			die("private key");
		free(p8);
	}
	else if (strcmp(mode, "sign") == 0)
		die("sign needs PKCS8_HEX_FILE");

	/* warm-up (a tenth of the time, at least 20 iterations), then the run */
	t0 = now();
	n = 0;
	do
		n += loop(mode, &in, 20);
	while (now() - t0 < seconds / 10);
	n = (long) (n / (now() - t0) * seconds);
	if (n < 20)
		n = 20;
	t0 = now();
	cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
	loop(mode, &in, n);
	elapsed = now() - t0;
	cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	printf("%s %s %.1f %.1f %ld\n", mode, hc_alg_name(in.alg), n / elapsed, n / cpu, n);
	return 0;
}
