/*
 * code_text.c
 *		What a health code's decoding said, in words: the fixed reason names
 *		verify_health_code() returns, and the detail of the layer that
 *		failed.  Shared by the type, the decoder and the verifier.
 */
#include "postgres.h"

#include "healthcode/cbor_json.h"
#include "healthcode/code_text.h"

const char *
hh_code_reason_name(hc_reason reason)
{
	switch (reason)
	{
		case HC_OK:
			return NULL;
		case HC_BAD_PREFIX:
			return "bad prefix";
		case HC_TOO_LONG:
		case HC_BAD_ENCODING:
			return "bad encoding";
		case HC_BAD_COMPRESSION:
			return "bad compression";
		case HC_BAD_STRUCTURE:
		case HC_NO_MEMORY:
			break;
	}
	return "bad structure";
}

static const char *
cose_detail(int st)
{
	switch ((hc_cose_status) st)
	{
		case HC_COSE_NOT_CBOR:
			return "The COSE message is not one well-formed CBOR item.";
		case HC_COSE_TOO_DEEP:
			return "The COSE message is nested too deep.";
		case HC_COSE_NOT_SIGN1:
			return "The COSE message is not a COSE_Sign1 (an array of four, tag 18 or none).";
		case HC_COSE_BAD_PROTECTED:
			return "The protected header is not a byte string holding a map.";
		case HC_COSE_BAD_UNPROTECTED:
			return "The unprotected header is not a map.";
		case HC_COSE_BAD_HEADER:
			return "A header has an alg that is not an integer, a kid that is not a byte string, or a label twice.";
		case HC_COSE_BAD_PAYLOAD:
			return "The payload is not a byte string.";
		case HC_COSE_BAD_SIGNATURE:
			return "The signature is not a byte string.";
		case HC_COSE_OK:
		case HC_COSE_NO_MEMORY:
			break;
	}
	return "The COSE message could not be read.";
}

static char *
claims_detail(const hc_decoded *d)
{
	switch ((hc_cwt_status) d->detail)
	{
		case HC_CWT_NOT_MAP:
			return pstrdup("The claims are not a CBOR map.");
		case HC_CWT_DUPLICATE:
			return psprintf("Claim %lld appears twice.", (long long) d->label);
		case HC_CWT_BAD_CLAIM:
			return psprintf("Claim %lld has the wrong type.", (long long) d->label);
		case HC_CWT_BAD_TIME:
			return psprintf("Claim %lld is not a time in range.", (long long) d->label);
		case HC_CWT_BAD_HCERT:
			return pstrdup("An HC1 code carries an EU DCC: the claim -260 must be a map holding the certificate under 1.");
		case HC_CWT_BAD_HEALTHHUB:
			return pstrdup("An HH1 code carries healthhub's claim -70001: a map with at least the kind under 1.");
		case HC_CWT_OK:
		case HC_CWT_NO_MEMORY:
			break;
	}
	return pstrdup("The claims could not be read.");
}

char *
hh_code_detail(const hc_decoded *d)
{
	switch (d->reason)
	{
		case HC_OK:
			return NULL;
		case HC_TOO_LONG:
			return psprintf("A health code has at most %d characters.", HC_MAX_TEXT_LEN);
		case HC_BAD_PREFIX:
			return pstrdup("A health code starts with HH1: (healthhub) or HC1: (EU DCC).");
		case HC_BAD_ENCODING:
			switch ((hc_b45_status) d->detail)
			{
				case HC_B45_BAD_CHAR:
					return psprintf("Character %zu is not one of Base45's 45 characters.", d->position + 1);
				case HC_B45_BAD_LENGTH:
					return pstrdup("The Base45 text has a length that no bytes encode to.");
				case HC_B45_OVERFLOW:
					return psprintf("The Base45 group at character %zu is out of range.", d->position + 1);
				default:
					return pstrdup("The Base45 text could not be decoded.");
			}
		case HC_BAD_COMPRESSION:
			switch ((hc_zlib_status) d->detail)
			{
				case HC_ZLIB_BAD_DATA:
					return pstrdup("The bytes are not a zlib stream, or its checksum is wrong.");
				case HC_ZLIB_TRUNCATED:
					return pstrdup("The zlib stream stops before its end.");
				case HC_ZLIB_TRAILING:
					return pstrdup("There are bytes after the end of the zlib stream.");
				case HC_ZLIB_TOO_LARGE:
					return psprintf("The zlib stream inflates to more than %d bytes.", HC_MAX_INFLATED);
				default:
					return pstrdup("The zlib stream could not be inflated.");
			}
		case HC_BAD_STRUCTURE:
			switch (d->layer)
			{
				case HC_LAYER_COSE:
					return pstrdup(cose_detail(d->detail));
				case HC_LAYER_CLAIMS_CBOR:
					return pstrdup(d->detail == HC_CBOR_TOO_DEEP ? "The claims are nested too deep."
								   : "The payload is not one well-formed CBOR item.");
				case HC_LAYER_CLAIMS:
					return claims_detail(d);
				case HC_LAYER_JSON:
					return pstrdup(d->detail == HC_JSON_NUL_TEXT ? "A text of the claims holds the character U+0000." :
								   "The claims hold a map key that is neither text nor an integer, or nest too deep.");
			}
			break;
		case HC_NO_MEMORY:
			return pstrdup("Out of memory while decoding.");
	}
	return pstrdup("The code could not be decoded.");
}
