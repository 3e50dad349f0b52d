/*
 * cbor_json.c
 *		CBOR items as JSON text.
 */
#include "healthcode/cbor_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "healthcode/cbor_io.h"

/* A growing output buffer; after a failed allocation it only records that. */
typedef struct json_out
{
	char	   *buf;
	size_t		len;
	size_t		cap;
	bool		no_memory;
	bool		nul_text;		/* a text string holds U+0000 (JSON has it, jsonb not) */
} json_out;

static void
put(json_out *o, const char *s, size_t n)
{
	if (o->no_memory)
		return;
	if (o->cap - o->len <= n)
	{
		size_t		cap = o->cap * 2 > o->len + n + 1 ? o->cap * 2 : o->len + n + 1;
		char	   *bigger = realloc(o->buf, cap);

		if (bigger == NULL)
		{
			o->no_memory = true;
			return;
		}
		o->buf = bigger;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
put_str(json_out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A JSON string of UTF-8 text: quote, backslash and controls escaped. */
static void
put_escaped(json_out *o, const uint8_t *s, size_t n)
{
	size_t		run = 0;		/* start of the bytes copied as they are */

	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++)
	{
		char		esc[8];

		if (s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
			continue;
		put(o, (const char *) s + run, i - run);
		run = i + 1;
		switch (s[i])
		{
			case '"':
				put_str(o, "\\\"");
				break;
			case '\\':
				put_str(o, "\\\\");
				break;
			case '\n':
				put_str(o, "\\n");
				break;
			case '\r':
				put_str(o, "\\r");
				break;
			case '\t':
				put_str(o, "\\t");
				break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
				put_str(o, esc);
		}
	}
	put(o, (const char *) s + run, n - run);
	put(o, "\"", 1);
}

/*
 * base64url without padding (RFC 4648 section 5), from libcrypto's base64:
 * the two alphabets differ only in '+' '/' and the padding.
 */
static void
put_base64url(json_out *o, const uint8_t *s, size_t n)
{
	char	   *b64;
	size_t		len;

	if (o->no_memory)
		return;
	if (n > (size_t) INT32_MAX / 4 * 3 || (b64 = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
	{
		o->no_memory = true;
		return;
	}
	len = (size_t) EVP_EncodeBlock((unsigned char *) b64, s, (int) n);
	while (len > 0 && b64[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	put(o, "\"", 1);
	put(o, b64, len);
	put(o, "\"", 1);
	free(b64);
}

static void
put_string_item(json_out *o, const cbor_item_t *item)
{
	uint8_t    *s;
	size_t		n;

	if (hc_cbor_string_copy(item, &s, &n) != HC_CBOR_OK)
	{
		o->no_memory = true;
		return;
	}
	if (cbor_isa_bytestring(item))
		put_base64url(o, s, n);
	else
	{
		o->nul_text |= memchr(s, 0, n) != NULL;
		put_escaped(o, s, n);
	}
	free(s);
}

/* An integer item in decimal; CBOR's negative range goes one below -2^64 + 1. */
static void
put_int(json_out *o, const cbor_item_t *item)
{
	char		num[24];
	uint64_t	v = cbor_get_int(item);

	if (cbor_isa_uint(item))
		snprintf(num, sizeof(num), "%" PRIu64, v);
	else if (v == UINT64_MAX)
		snprintf(num, sizeof(num), "-18446744073709551616");
	else
		snprintf(num, sizeof(num), "-%" PRIu64, v + 1);
	put_str(o, num);
}

/*
 * The shortest %g text that reads back as the same value (at the item's own
 * precision, so a single float 0.1f prints as 0.1).  Integral values that a
 * double holds exactly are printed as integers, as JSON writers do.
 */
static void
put_float(json_out *o, const cbor_item_t *item)
{
	double		d = cbor_float_get_float(item);
	bool		single = cbor_float_get_width(item) != CBOR_FLOAT_64;
	char		num[40];

	if (!isfinite(d))
	{
		put_str(o, "null");
		return;
	}
	if (d == floor(d) && fabs(d) <= 9007199254740992.0)
		snprintf(num, sizeof(num), "%.0f", d);
	else
	{
		for (int prec = 1; prec <= 17; prec++)
		{
			snprintf(num, sizeof(num), "%.*g", prec, d);
			if (single ? strtof(num, NULL) == (float) d : strtod(num, NULL) == d)
				break;
		}
	}
	put_str(o, num);
}

static void
put_ctrl(json_out *o, const cbor_item_t *item)
{
	if (cbor_float_get_width(item) != CBOR_FLOAT_0)
		put_float(o, item);
	else if (cbor_is_bool(item))
		put_str(o, cbor_get_bool(item) ? "true" : "false");
	else
		put_str(o, "null");		/* null, undefined, simple values */
}

static hc_json_status put_item(json_out *o, const cbor_item_t *item, int depth);

static hc_json_status
put_key(json_out *o, const cbor_item_t *key)
{
	char		num[24];
	int64_t		v;

	if (cbor_isa_string(key))
		put_string_item(o, key);
	else if (hc_cbor_int64(key, &v))
	{
		snprintf(num, sizeof(num), "\"%" PRId64 "\"", v);
		put_str(o, num);
	}
	else if (cbor_is_int(key))
	{
		/* beyond int64_t: the digits of the integer, quoted */
		put(o, "\"", 1);
		put_int(o, key);
		put(o, "\"", 1);
	}
	else
		return HC_JSON_BAD_KEY;
	return HC_JSON_OK;
}

static hc_json_status
put_map(json_out *o, const cbor_item_t *map, int depth)
{
	struct cbor_pair *pairs = cbor_map_handle(map);
	size_t		n = cbor_map_size(map);
	hc_json_status st = HC_JSON_OK;

	put(o, "{", 1);
	for (size_t i = 0; i < n && st == HC_JSON_OK; i++)
	{
		if (i > 0)
			put(o, ",", 1);
		st = put_key(o, pairs[i].key);
		put(o, ":", 1);
		if (st == HC_JSON_OK)
			st = put_item(o, pairs[i].value, depth);
	}
	put(o, "}", 1);
	return st;
}

static hc_json_status
put_array(json_out *o, const cbor_item_t *array, int depth)
{
	cbor_item_t **items = cbor_array_handle(array);
	size_t		n = cbor_array_size(array);
	hc_json_status st = HC_JSON_OK;

	put(o, "[", 1);
	for (size_t i = 0; i < n && st == HC_JSON_OK; i++)
	{
		if (i > 0)
			put(o, ",", 1);
		st = put_item(o, items[i], depth);
	}
	put(o, "]", 1);
	return st;
}

static hc_json_status
put_tagged(json_out *o, const cbor_item_t *tag, int depth)
{
	cbor_item_t *content = cbor_tag_item(tag);	/* a new reference */
	hc_json_status st = put_item(o, content, depth);

	cbor_decref(&content);
	return st;
}

/* depth: containers and tags around item; more than the limit is refused. */
static hc_json_status
put_item(json_out *o, const cbor_item_t *item, int depth)
{
	switch (cbor_typeof(item))
	{
		case CBOR_TYPE_UINT:
		case CBOR_TYPE_NEGINT:
			put_int(o, item);
			return HC_JSON_OK;
		case CBOR_TYPE_BYTESTRING:
		case CBOR_TYPE_STRING:
			put_string_item(o, item);
			return HC_JSON_OK;
		case CBOR_TYPE_FLOAT_CTRL:
			put_ctrl(o, item);
			return HC_JSON_OK;
		default:
			break;
	}
	if (depth == HC_CBOR_MAX_DEPTH)
		return HC_JSON_TOO_DEEP;
	if (cbor_isa_map(item))
		return put_map(o, item, depth + 1);
	if (cbor_isa_array(item))
		return put_array(o, item, depth + 1);
	return put_tagged(o, item, depth + 1);
}

hc_json_status
hc_cbor_to_json(const cbor_item_t *item, char **out, size_t *len)
{
	json_out	o = {NULL, 0, 0, false, false};
	hc_json_status st = put_item(&o, item, 0);

	if (st == HC_JSON_OK && o.no_memory)
		st = HC_JSON_NO_MEMORY;
	if (st == HC_JSON_OK && o.nul_text)
		st = HC_JSON_NUL_TEXT;
	if (st != HC_JSON_OK)
	{
		free(o.buf);
		return st;
	}
	*out = o.buf;
	*len = o.len;
	return HC_JSON_OK;
}
