/*
 * fuzz_health_code.c
 *		libFuzzer harness for the health code codec (src/healthcode/).
 *
 * Decoding: hc_decode on the raw bytes as QR text, and on the bytes
 * wrapped as a code ("HC1:"/"HH1:" + Base45(zlib(bytes))) so that
 * arbitrary bytes reach the COSE and CWT parsers; hc_cbor_load on the raw
 * bytes, then hc_cwt_read and hc_cbor_to_json on what loads.  Each must
 * return a defined status without a crash, a leak (leak checking is on for
 * this harness) or UB; the JSON produced must be valid JSON (a small
 * checker below); a decoded code must be consistent (its prefix's claim
 * present, its COSE fields re-assembling to the same fields).
 * Properties: Base45 encode -> decode is the identity, and a decode that
 * succeeds re-encodes to the same text; inflate(deflate(x)) == x, and
 * inflating to one byte less than x is TOO_LARGE; COSE
 * parse(assemble(prepare(alg, kid, payload) + signature)) gives the same
 * fields and the same to-be-signed bytes; claims built from the input,
 * then loaded and read, are the same claims.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "healthcode/base45.h"
#include "healthcode/cbor_io.h"
#include "healthcode/cbor_json.h"
#include "healthcode/cose.h"
#include "healthcode/cwt.h"
#include "healthcode/health_code.h"
#include "healthcode/zlib_codec.h"
#include "reference.h"

static const uint8_t *g_data;
static size_t g_size;

#define CHECK(cond, ...) \
	do { if (!(cond)) { fuzz_print_bytes("input", g_data, g_size); FUZZ_CHECK(cond, __VA_ARGS__); } } while (0)

static bool
same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool
same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* ---- a JSON syntax checker (RFC 8259), for what hc_cbor_to_json writes ---- */

static bool json_value(const char **p, int depth);

static bool
json_string(const char **p)
{
	const char *s = *p;

	if (*s++ != '"')
		return false;
	while (*s != '"')
	{
		if ((unsigned char) *s < 0x20)
			return false;		/* controls must be escaped (and NUL ends it) */
		if (*s++ != '\\')
			continue;
		if (*s == 'u')
		{
			for (int i = 1; i <= 4; i++)
				if (strchr("0123456789abcdefABCDEF", s[i]) == NULL || s[i] == '\0')
					return false;
			s += 5;
		}
		else if (*s != '\0' && strchr("\"\\/bfnrt", *s) != NULL)
			s++;
		else
			return false;
	}
	*p = s + 1;
	return true;
}

static bool
json_digits(const char **p)
{
	const char *s = *p;

	while (**p >= '0' && **p <= '9')
		(*p)++;
	return *p > s;
}

static bool
json_number(const char **p)
{
	if (**p == '-')
		(*p)++;
	if (**p == '0')
		(*p)++;
	else if (!json_digits(p))
		return false;
	if (**p == '.' && (++*p, !json_digits(p)))
		return false;
	if (**p == 'e' || **p == 'E')
	{
		(*p)++;
		if (**p == '+' || **p == '-')
			(*p)++;
		return json_digits(p);
	}
	return true;
}

/* [v, ...] or {"k": v, ...} */
static bool
json_container(const char **p, char close, int depth)
{
	bool		object = close == '}';

	(*p)++;
	if (**p == close)
	{
		(*p)++;
		return true;
	}
	for (;;)
	{
		if (object && !(json_string(p) && *(*p)++ == ':'))
			return false;
		if (!json_value(p, depth + 1))
			return false;
		if (**p == close)
		{
			(*p)++;
			return true;
		}
		if (*(*p)++ != ',')
			return false;
	}
}

static bool
json_word(const char **p, const char *w)
{
	size_t		n = strlen(w);

	if (strncmp(*p, w, n) != 0)
		return false;
	*p += n;
	return true;
}

static bool
json_value(const char **p, int depth)
{
	if (depth > HC_CBOR_MAX_DEPTH + 1)
		return false;
	switch (**p)
	{
		case '"':
			return json_string(p);
		case '[':
			return json_container(p, ']', depth);
		case '{':
			return json_container(p, '}', depth);
		case 't':
			return json_word(p, "true");
		case 'f':
			return json_word(p, "false");
		case 'n':
			return json_word(p, "null");
		default:
			return json_number(p);
	}
}

static void
check_json(const char *json, size_t len)
{
	const char *p = json;

	CHECK(json != NULL && strlen(json) == len, "JSON length %zu, strlen %zu", len, json ? strlen(json) : 0);
	CHECK(json_value(&p, 0) && *p == '\0', "not JSON at offset %zu: %s", (size_t) (p - json), json);
}

/* ---- decoding ---- */

/*
 * A parsed message's fields survive hc_cose_assemble (tagged, its own
 * unprotected header empty: only a protected kid stays).
 */
static void
check_reassembles(const hc_cose_sign1 *m)
{
	uint8_t    *bytes;
	size_t		len;
	hc_cose_sign1 again;

	CHECK(hc_cose_assemble(m, &bytes, &len) == HC_COSE_OK, "assemble of a parsed message");
	CHECK(hc_cose_parse(bytes, len, &again) == HC_COSE_OK, "parse of a re-assembled message");
	/* (assembling keeps the protected header, not the unprotected one) */
	CHECK(again.tagged && again.has_alg == m->alg_protected && (!m->alg_protected || again.alg == m->alg) &&
		  same_bytes(again.protected_bytes, again.protected_len, m->protected_bytes, m->protected_len) &&
		  same_bytes(again.payload, again.payload_len, m->payload, m->payload_len) &&
		  same_bytes(again.signature, again.signature_len, m->signature, m->signature_len),
		  "re-assembled message differs");
	if (m->kid_protected)
		CHECK(again.kid_protected && same_bytes(again.kid, again.kid_len, m->kid, m->kid_len),
			  "protected kid lost");
	hc_cose_free(&again);
	free(bytes);
}

/* What a decode said: its reason, and the layer and detail of a failure. */
typedef struct outcome
{
	hc_reason	reason;
	hc_structure_layer layer;
	int			detail;
} outcome;

static outcome
check_decode(const char *text, size_t len)
{
	hc_decoded d;
	hc_reason	r = hc_decode(text, len, &d);
	outcome		o;

	CHECK(r >= HC_OK && r <= HC_NO_MEMORY && r == d.reason, "hc_decode reason %d", (int) r);
	if (r == HC_BAD_ENCODING && (d.detail == HC_B45_BAD_CHAR || d.detail == HC_B45_OVERFLOW))
		CHECK(d.position >= HC_PREFIX_LEN && d.position < len, "position %zu of %zu", d.position, len);
	if (r == HC_OK)
	{
		check_json(d.json, d.json_len);
		CHECK(d.prefix == HC_PREFIX_HC1 ? d.claims.has_hcert : (d.claims.has_healthhub && d.claims.kind != NULL),
			  "prefix %d without its claim", (int) d.prefix);
		check_reassembles(&d.cose);
	}
	o.reason = r;
	o.layer = d.layer;
	o.detail = d.detail;
	hc_decoded_free(&d);
	return o;
}

/*
 * The bytes as a code's COSE layer: the chain must fail at the COSE layer
 * exactly when, and as, hc_cose_parse does.
 */
static void
check_wrapped(const uint8_t *data, size_t size)
{
	uint8_t    *zipped;
	size_t		zipped_len;
	char	   *b45;
	size_t		b45_len;
	char	   *text;
	hc_cose_sign1 direct;
	hc_cose_status cs = hc_cose_parse(data, size, &direct);
	outcome		o;

	hc_cose_free(&direct);
	CHECK(hc_deflate(data, size, &zipped, &zipped_len) == HC_ZLIB_OK, "deflate");
	CHECK(hc_base45_encode(zipped, zipped_len, &b45, &b45_len) == HC_B45_OK, "base45 encode");
	text = malloc(HC_PREFIX_LEN + b45_len);
	memcpy(text, size > 0 && data[0] % 2 ? "HH1:" : "HC1:", HC_PREFIX_LEN);
	memcpy(text + HC_PREFIX_LEN, b45, b45_len);
	o = check_decode(text, HC_PREFIX_LEN + b45_len);
	if (HC_PREFIX_LEN + b45_len <= HC_MAX_TEXT_LEN && size <= HC_MAX_INFLATED)
		CHECK(cs == HC_COSE_OK ?
			  o.reason != HC_BAD_STRUCTURE || o.layer != HC_LAYER_COSE :
			  o.reason == HC_BAD_STRUCTURE && o.layer == HC_LAYER_COSE && o.detail == (int) cs,
			  "chain reason %d layer %d detail %d, hc_cose_parse %d",
			  (int) o.reason, (int) o.layer, o.detail, (int) cs);
	free(text);
	free(b45);
	free(zipped);
}

static void
check_cbor(const uint8_t *data, size_t size)
{
	cbor_item_t *item;
	hc_cbor_status st = hc_cbor_load(data, size, &item);
	hc_claims	claims;
	const cbor_item_t *dcc;
	int64_t		label;
	hc_cwt_status ws;
	char	   *json;
	size_t		json_len;
	hc_json_status js;

	CHECK(st >= HC_CBOR_OK && st <= HC_CBOR_NO_MEMORY, "hc_cbor_load status %d", (int) st);
	if (st != HC_CBOR_OK)
		return;
	ws = hc_cwt_read(item, &claims, &dcc, &label);
	CHECK(ws >= HC_CWT_OK && ws <= HC_CWT_NO_MEMORY, "hc_cwt_read status %d", (int) ws);
	CHECK(ws != HC_CWT_OK || claims.has_hcert == (dcc != NULL), "dcc %p, has_hcert %d",
		  (const void *) dcc, claims.has_hcert);
	hc_claims_free(&claims);
	js = hc_cbor_to_json(item, &json, &json_len);
	CHECK(js >= HC_JSON_OK && js <= HC_JSON_NO_MEMORY, "hc_cbor_to_json status %d", (int) js);
	if (js == HC_JSON_OK)
	{
		check_json(json, json_len);
		free(json);
	}
	cbor_decref(&item);
}

/* ---- properties ---- */

static void
check_base45(const uint8_t *data, size_t size)
{
	char	   *text;
	size_t		text_len;
	uint8_t    *bytes;
	size_t		n;
	size_t		pos;

	CHECK(hc_base45_encode(data, size, &text, &text_len) == HC_B45_OK &&
		  text_len == hc_base45_encoded_len(size) && strlen(text) == text_len, "base45 encode");
	CHECK(hc_base45_decode(text, text_len, &bytes, &n, NULL) == HC_B45_OK &&
		  same_bytes(bytes, n, data, size), "base45 round trip: %s", text);
	free(text);
	free(bytes);

	/* the input as text: a successful decode is the one reading of it */
	if (hc_base45_decode((const char *) data, size, &bytes, &n, &pos) != HC_B45_OK)
		return;
	CHECK(hc_base45_encode(bytes, n, &text, &text_len) == HC_B45_OK &&
		  same_bytes((const uint8_t *) text, text_len, data, size), "decoded text re-encodes differently");
	free(text);
	free(bytes);
}

static void
check_zlib(const uint8_t *data, size_t size)
{
	uint8_t    *zipped;
	size_t		zipped_len;
	uint8_t    *plain;
	size_t		n;
	hc_zlib_status st;

	CHECK(hc_deflate(data, size, &zipped, &zipped_len) == HC_ZLIB_OK, "deflate");
	CHECK(hc_inflate(zipped, zipped_len, size, &plain, &n) == HC_ZLIB_OK &&
		  same_bytes(plain, n, data, size), "inflate(deflate(x)) != x");
	free(plain);
	if (size > 0)
		CHECK(hc_inflate(zipped, zipped_len, size - 1, &plain, &n) == HC_ZLIB_TOO_LARGE,
			  "inflate to less than the data is not TOO_LARGE");
	free(zipped);

	/* the input as a zlib stream, under a small limit */
	st = hc_inflate(data, size, 1024, &plain, &n);
	CHECK(st >= HC_ZLIB_OK && st <= HC_ZLIB_NO_MEMORY, "inflate status %d", (int) st);
	if (st == HC_ZLIB_OK)
	{
		CHECK(n <= 1024, "inflated %zu bytes over the limit", n);
		free(plain);
	}
}

/* A cursor that hands out pieces of the input. */
typedef struct cursor
{
	const uint8_t *p;
	size_t		n;
} cursor;

static uint64_t
take_u64(cursor *c)
{
	uint64_t	v = 0;

	for (int i = 0; i < 8 && c->n > 0; i++, c->p++, c->n--)
		v = v << 8 | *c->p;
	return v;
}

/* A piece whose length is the next byte (bounded by what is left). */
static const uint8_t *
take_piece(cursor *c, size_t *len)
{
	const uint8_t *piece;

	*len = c->n > 0 ? *c->p : 0;
	if (c->n > 0)
	{
		c->p++;
		c->n--;
	}
	if (*len > c->n)
		*len = c->n;
	piece = c->p;
	c->p += *len;
	c->n -= *len;
	return piece;
}

/* A text piece: ASCII without NUL (builders take UTF-8 text without NUL). */
static char *
take_text(cursor *c)
{
	size_t		len;
	const uint8_t *piece = take_piece(c, &len);
	char	   *s = malloc(len + 1);

	for (size_t i = 0; i < len; i++)
		s[i] = (char) (piece[i] % 127 + 1);
	s[len] = '\0';
	return s;
}

static void
check_cose_build(const uint8_t *data, size_t size)
{
	cursor		c = {data, size};
	int64_t		alg = (int64_t) take_u64(&c);
	size_t		kid_len;
	const uint8_t *kid = take_piece(&c, &kid_len);
	size_t		sig_len;
	const uint8_t *sig = take_piece(&c, &sig_len);
	hc_cose_sign1 msg;
	hc_cose_sign1 parsed;
	uint8_t    *tbs;
	size_t		tbs_len;
	uint8_t    *tbs2;
	size_t		tbs2_len;
	uint8_t    *bytes;
	size_t		len;

	CHECK(hc_cose_prepare(alg, kid, kid_len, c.p, c.n, &msg, &tbs, &tbs_len) == HC_COSE_OK, "prepare");
	msg.signature = malloc(sig_len + 1);
	memcpy(msg.signature, sig, sig_len);
	msg.signature_len = sig_len;
	CHECK(hc_cose_assemble(&msg, &bytes, &len) == HC_COSE_OK, "assemble");
	CHECK(hc_cose_parse(bytes, len, &parsed) == HC_COSE_OK, "parse(assemble(x)) failed");
	CHECK(parsed.tagged && parsed.has_alg && parsed.alg == alg &&
		  same_bytes(parsed.kid, parsed.kid_len, kid, kid_len) &&
		  (kid_len == 0 || parsed.kid_protected) &&
		  same_bytes(parsed.protected_bytes, parsed.protected_len, msg.protected_bytes, msg.protected_len) &&
		  same_bytes(parsed.payload, parsed.payload_len, c.p, c.n) &&
		  same_bytes(parsed.signature, parsed.signature_len, sig, sig_len),
		  "parse(assemble(x)) differs (alg %lld)", (long long) alg);
	CHECK(hc_cose_tbs(&parsed, &tbs2, &tbs2_len) == HC_COSE_OK && same_bytes(tbs, tbs_len, tbs2, tbs2_len),
		  "to-be-signed bytes differ");
	hc_cose_free(&parsed);
	hc_cose_free(&msg);
	free(bytes);
	free(tbs);
	free(tbs2);
}

static void
claims_from(cursor *c, hc_claims *cl)
{
	uint64_t	flags = take_u64(c);

	memset(cl, 0, sizeof(*cl));
	cl->has_exp = flags & 1;
	cl->has_iat = flags & 2;
	cl->has_seq = flags & 4;
	/* (times the reader accepts: the years 1 to 9999, as Unix seconds) */
	cl->exp = -62135596800LL + (int64_t) (take_u64(c) % 315537897600ULL);
	cl->iat = -62135596800LL + (int64_t) (take_u64(c) % 315537897600ULL);
	cl->seq = take_u64(c);
	cl->kind = take_text(c);
	cl->iss = flags & 8 ? take_text(c) : NULL;
	cl->sub = flags & 16 ? take_text(c) : NULL;
	cl->status = flags & 32 ? take_text(c) : NULL;
}

static void
check_claims_build(const uint8_t *data, size_t size)
{
	cursor		c = {data, size};
	hc_claims	in;
	hc_claims	out;
	uint8_t    *bytes;
	size_t		len;
	cbor_item_t *item;
	const cbor_item_t *dcc;
	char	   *json;
	size_t		json_len;

	claims_from(&c, &in);
	CHECK(hc_cwt_build(&in, &bytes, &len) == HC_CWT_OK, "hc_cwt_build");
	CHECK(hc_cbor_load(bytes, len, &item) == HC_CBOR_OK, "built claims do not load");
	CHECK(hc_cwt_read(item, &out, &dcc, NULL) == HC_CWT_OK, "built claims do not read");
	CHECK(out.has_healthhub && !out.has_hcert && dcc == NULL && !out.time_rounded &&
		  same_text(in.iss, out.iss) && same_text(in.sub, out.sub) &&
		  same_text(in.kind, out.kind) && same_text(in.status, out.status) &&
		  in.has_exp == out.has_exp && (!in.has_exp || in.exp == out.exp) &&
		  in.has_iat == out.has_iat && (!in.has_iat || in.iat == out.iat) &&
		  in.has_seq == out.has_seq && (!in.has_seq || in.seq == out.seq),
		  "claims read back differ");
	CHECK(hc_cbor_to_json(item, &json, &json_len) == HC_JSON_OK, "JSON of built claims");
	check_json(json, json_len);
	free(json);
	cbor_decref(&item);
	hc_claims_free(&out);
	hc_claims_free(&in);
	free(bytes);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_data = data;
	g_size = size;

	check_decode((const char *) data, size);
	check_wrapped(data, size);
	check_cbor(data, size);
	check_base45(data, size);
	check_zlib(data, size);
	check_cose_build(data, size);
	check_claims_build(data, size);
	return 0;
}
