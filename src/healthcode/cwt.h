/*
 * cwt.h
 *		CWT claims (RFC 8392): the payload of a health code's COSE_Sign1, a
 *		CBOR map with integer labels.
 *
 * Read: iss (1, text), sub (2, text), exp (4) and iat (6) (NumericDate:
 * an integer or a float, as some DCCs write it; a fraction of a second is
 * rounded down and reported in time_rounded),
 * hcert (-260, a map whose key 1 is the EU DCC payload) and healthhub's own
 * claim HC_CWT_HEALTHHUB, a map {1: kind text, 2: status text (optional),
 * 3: sequence number, an unsigned integer (optional; dynamic codes)}.
 * Other claims are ignored; a claim read here that occurs twice is refused.
 * Build: a healthhub code's claims from the same struct.
 *
 * Texts are UTF-8 (libcbor checks it on load; the builder takes it from the
 * caller) and must not hold NUL, so that they fit PostgreSQL's text.
 * Pure C: no postgres.h.
 */
#ifndef HC_CWT_H
#define HC_CWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#define HC_CWT_ISS		1
#define HC_CWT_SUB		2
#define HC_CWT_EXP		4
#define HC_CWT_IAT		6
#define HC_CWT_HCERT	(-260)
#define HC_CWT_HCERT_DCC 1		/* hcert's key of the EU DCC payload */

/* healthhub's claim: a private-use label (RFC 8392 section 9.1: < -65536) */
#define HC_CWT_HEALTHHUB (-70001)
#define HC_HH_KIND		1
#define HC_HH_STATUS	2
#define HC_HH_SEQ		3

/* Claims; a NULL text or a false has_ flag means absent.  Texts malloc'd. */
typedef struct hc_claims
{
	char	   *iss;
	char	   *sub;
	bool		has_exp;
	int64_t		exp;
	bool		has_iat;
	int64_t		iat;
	bool		time_rounded;	/* exp or iat had a fraction, rounded down */
	bool		has_hcert;		/* an EU DCC (hcert with key 1) */
	char		dcc_type;		/* its certificate: 'v', 't' or 'r', the one of
								 * those top-level keys it has; 0 for none or
								 * several */
	bool		has_healthhub;	/* healthhub's claim (kind is then set) */
	char	   *kind;
	char	   *status;
	bool		has_seq;
	uint64_t	seq;
} hc_claims;

typedef enum hc_cwt_status
{
	HC_CWT_OK = 0,
	HC_CWT_NOT_MAP,				/* the claims are not a map */
	HC_CWT_DUPLICATE,			/* a label twice */
	HC_CWT_BAD_CLAIM,			/* a claim of the wrong type, or text with NUL */
	HC_CWT_BAD_TIME,			/* exp or iat out of int64_t, or NaN */
	HC_CWT_BAD_HCERT,			/* hcert not a map holding a map under key 1 */
	HC_CWT_BAD_HEALTHHUB,		/* healthhub's claim malformed, or no kind */
	HC_CWT_NO_MEMORY
} hc_cwt_status;

/*
 * Read a claims map.  *dcc (if dcc is not NULL) is hcert's DCC map,
 * borrowed from claims, or NULL.  On failure *bad_label (if not NULL) is the
 * claim at fault and *out holds nothing to free.
 */
extern hc_cwt_status hc_cwt_read(const cbor_item_t *claims, hc_claims *out,
								 const cbor_item_t **dcc, int64_t *bad_label);

/*
 * The CBOR of a healthhub code's claims: iss, sub, exp, iat when present and
 * the healthhub claim (kind required; has_hcert must be false).
 */
extern hc_cwt_status hc_cwt_build(const hc_claims *claims, uint8_t **out, size_t *len);

/* Release the texts of claims and clear them. */
extern void hc_claims_free(hc_claims *claims);

#endif							/* HC_CWT_H */
