/*
 * cwt.c
 *		CWT claims: read from a CBOR map, built for healthhub codes.
 */
#include "healthcode/cwt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "healthcode/cbor_io.h"

/* A text claim, copied; wrong when it is not text or holds a NUL. */
static hc_cwt_status
read_text(const cbor_item_t *item, hc_cwt_status wrong, char **out)
{
	uint8_t    *s;
	size_t		n;

	if (!cbor_isa_string(item))
		return wrong;
	if (hc_cbor_string_copy(item, &s, &n) != HC_CBOR_OK)
		return HC_CWT_NO_MEMORY;
	if (memchr(s, '\0', n) != NULL)
	{
		free(s);
		return wrong;
	}
	*out = (char *) s;
	return HC_CWT_OK;
}

/*
 * A NumericDate: seconds since 1970, an integer or a float (RFC 8392
 * section 2 allows fractions; Spanish DCCs write doubles such as
 * 1620468042.68).  A fraction is rounded down to whole seconds and noted
 * in *rounded.
 */
/*
 * A time of a claim, in Unix seconds from the years 1 to 9999 (what a
 * verifier can compare and print; anything else is a forgery or a slip).
 */
#define HC_TIME_MIN (-62135596800LL)
#define HC_TIME_MAX 253402300799LL

static hc_cwt_status
read_time(const cbor_item_t *item, int64_t *out, bool *rounded)
{
	double		d;

	if (hc_cbor_int64(item, out))
		return *out >= HC_TIME_MIN && *out <= HC_TIME_MAX ? HC_CWT_OK : HC_CWT_BAD_TIME;
	if (cbor_is_int(item))
		return HC_CWT_BAD_TIME;
	if (!cbor_isa_float_ctrl(item) || cbor_float_get_width(item) == CBOR_FLOAT_0)
		return HC_CWT_BAD_CLAIM;
	d = cbor_float_get_float(item);
	/* (NaN fails both comparisons, infinities one) */
	if (!(d >= (double) HC_TIME_MIN && d < (double) HC_TIME_MAX + 1))
		return HC_CWT_BAD_TIME;
	if (d != floor(d))
		*rounded = true;
	*out = (int64_t) floor(d);
	return HC_CWT_OK;
}

/* The one of the top-level keys v, t, r (vaccination, test, recovery) an EU
 * DCC's certificate has; 0 for none or several. */
static char
dcc_type_of(const cbor_item_t *payload)
{
	struct cbor_pair *pairs = cbor_map_handle(payload);
	char		type = 0;

	for (size_t i = 0; i < cbor_map_size(payload); i++)
	{
		const cbor_item_t *key = pairs[i].key;
		unsigned char c;

		if (!cbor_isa_string(key) || !cbor_string_is_definite(key) || cbor_string_length(key) != 1)
			continue;
		c = cbor_string_handle(key)[0];
		if (c != 'v' && c != 't' && c != 'r')
			continue;
		if (type != 0)
			return 0;
		type = (char) c;
	}
	return type;
}

static hc_cwt_status
read_hcert(const cbor_item_t *hcert, hc_claims *out, const cbor_item_t **dcc)
{
	cbor_item_t *payload;

	if (!cbor_isa_map(hcert) ||
		hc_cbor_map_find(hcert, HC_CWT_HCERT_DCC, &payload) != HC_CBOR_OK ||
		payload == NULL || !cbor_isa_map(payload))
		return HC_CWT_BAD_HCERT;
	out->has_hcert = true;
	out->dcc_type = dcc_type_of(payload);
	if (dcc != NULL)
		*dcc = payload;
	return HC_CWT_OK;
}

static hc_cwt_status
read_healthhub(const cbor_item_t *claim, hc_claims *out)
{
	cbor_item_t *kind;
	cbor_item_t *status;
	cbor_item_t *seq;
	hc_cwt_status st;

	if (!cbor_isa_map(claim) ||
		hc_cbor_map_find(claim, HC_HH_KIND, &kind) != HC_CBOR_OK ||
		hc_cbor_map_find(claim, HC_HH_STATUS, &status) != HC_CBOR_OK ||
		hc_cbor_map_find(claim, HC_HH_SEQ, &seq) != HC_CBOR_OK ||
		kind == NULL || (seq != NULL && !cbor_isa_uint(seq)))
		return HC_CWT_BAD_HEALTHHUB;
	out->has_healthhub = true;
	out->has_seq = seq != NULL;
	if (seq != NULL)
		out->seq = cbor_get_int(seq);
	st = read_text(kind, HC_CWT_BAD_HEALTHHUB, &out->kind);
	if (st == HC_CWT_OK && status != NULL)
		st = read_text(status, HC_CWT_BAD_HEALTHHUB, &out->status);
	return st;
}

static hc_cwt_status
read_claim(int64_t label, const cbor_item_t *value, hc_claims *out,
		   const cbor_item_t **dcc)
{
	switch (label)
	{
		case HC_CWT_ISS:
			return read_text(value, HC_CWT_BAD_CLAIM, &out->iss);
		case HC_CWT_SUB:
			return read_text(value, HC_CWT_BAD_CLAIM, &out->sub);
		case HC_CWT_EXP:
			out->has_exp = true;
			return read_time(value, &out->exp, &out->time_rounded);
		case HC_CWT_IAT:
			out->has_iat = true;
			return read_time(value, &out->iat, &out->time_rounded);
		case HC_CWT_HCERT:
			return read_hcert(value, out, dcc);
		default:
			return read_healthhub(value, out);
	}
}

static const int64_t known_labels[] = {
	HC_CWT_ISS, HC_CWT_SUB, HC_CWT_EXP, HC_CWT_IAT, HC_CWT_HCERT, HC_CWT_HEALTHHUB
};

hc_cwt_status
hc_cwt_read(const cbor_item_t *claims, hc_claims *out, const cbor_item_t **dcc,
			int64_t *bad_label)
{
	hc_cwt_status st = HC_CWT_OK;

	memset(out, 0, sizeof(*out));
	if (dcc != NULL)
		*dcc = NULL;
	if (!cbor_isa_map(claims))
		return HC_CWT_NOT_MAP;
	for (size_t i = 0; i < sizeof(known_labels) / sizeof(known_labels[0]); i++)
	{
		cbor_item_t *value;

		if (hc_cbor_map_find(claims, known_labels[i], &value) != HC_CBOR_OK)
			st = HC_CWT_DUPLICATE;
		else if (value != NULL)
			st = read_claim(known_labels[i], value, out, dcc);
		if (st != HC_CWT_OK)
		{
			if (bad_label != NULL)
				*bad_label = known_labels[i];
			hc_claims_free(out);
			if (dcc != NULL)
				*dcc = NULL;
			return st;
		}
	}
	return HC_CWT_OK;
}

void
hc_claims_free(hc_claims *claims)
{
	free(claims->iss);
	free(claims->sub);
	free(claims->kind);
	free(claims->status);
	memset(claims, 0, sizeof(*claims));
}

static cbor_item_t *
build_healthhub(const hc_claims *c)
{
	cbor_item_t *map = cbor_new_definite_map(1 + (c->status != NULL) + c->has_seq);
	bool		ok = map != NULL &&
		hc_cbor_map_put(map, hc_cbor_build_int(HC_HH_KIND), cbor_build_string(c->kind)) &&
		(c->status == NULL ||
		 hc_cbor_map_put(map, hc_cbor_build_int(HC_HH_STATUS), cbor_build_string(c->status))) &&
		(!c->has_seq ||
		 hc_cbor_map_put(map, hc_cbor_build_int(HC_HH_SEQ), hc_cbor_build_uint(c->seq)));

	if (!ok && map != NULL)
		cbor_decref(&map);
	return map;
}

/* Optional entries go in only when present: `absent || put` in a chain. */
hc_cwt_status
hc_cwt_build(const hc_claims *c, uint8_t **out, size_t *len)
{
	cbor_item_t *map;
	bool		ok;
	hc_cwt_status st = HC_CWT_NO_MEMORY;

	if (c->kind == NULL || c->has_hcert)
		return HC_CWT_BAD_HEALTHHUB;
	/* (what the reader would refuse is not written) */
	if ((c->has_exp && (c->exp < HC_TIME_MIN || c->exp > HC_TIME_MAX)) ||
		(c->has_iat && (c->iat < HC_TIME_MIN || c->iat > HC_TIME_MAX)))
		return HC_CWT_BAD_TIME;
	map = cbor_new_definite_map(1 + (c->iss != NULL) + (c->sub != NULL) +
								c->has_exp + c->has_iat);
	ok = map != NULL &&
		(c->iss == NULL ||
		 hc_cbor_map_put(map, hc_cbor_build_int(HC_CWT_ISS), cbor_build_string(c->iss))) &&
		(c->sub == NULL ||
		 hc_cbor_map_put(map, hc_cbor_build_int(HC_CWT_SUB), cbor_build_string(c->sub))) &&
		(!c->has_exp ||
		 hc_cbor_map_put(map, hc_cbor_build_int(HC_CWT_EXP), hc_cbor_build_int(c->exp))) &&
		(!c->has_iat ||
		 hc_cbor_map_put(map, hc_cbor_build_int(HC_CWT_IAT), hc_cbor_build_int(c->iat))) &&
		hc_cbor_map_put(map, hc_cbor_build_int(HC_CWT_HEALTHHUB), build_healthhub(c));
	if (ok && hc_cbor_serialize(map, out, len) == HC_CBOR_OK)
		st = HC_CWT_OK;
	if (map != NULL)
		cbor_decref(&map);
	return st;
}
