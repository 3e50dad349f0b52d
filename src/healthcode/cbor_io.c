/*
 * cbor_io.c
 *		Bounded CBOR loading and map helpers over libcbor.
 */
#include "healthcode/cbor_io.h"

#include <stdlib.h>
#include <string.h>

/* A frame's count of items still expected, when the frame is indefinite. */
#define INDEFINITE SIZE_MAX

/*
 * The pre-load walk: one frame per open array, map, tag or chunked string,
 * holding how many items it still expects.
 */
typedef struct walk
{
	size_t		expect[HC_CBOR_MAX_DEPTH];
	int			depth;
	size_t		left;			/* bytes from the current header to the end */
	bool		done;			/* the top-level item is complete */
	bool		malformed;
	bool		too_deep;
} walk;

/* An item is complete: count it in its frame, closing finished frames. */
static void
item_done(walk *w)
{
	while (w->depth > 0)
	{
		size_t	   *top = &w->expect[w->depth - 1];

		if (*top == INDEFINITE || --*top > 0)
			return;
		w->depth--;				/* the frame is an item of its parent */
	}
	w->done = true;
}

static void
open_frame(walk *w, size_t items)
{
	if (w->depth == HC_CBOR_MAX_DEPTH)
		w->too_deep = true;
	else
		w->expect[w->depth++] = items;
}

/* A definite container needs a byte per item it declares (a pair is two). */
static void
open_definite(walk *w, size_t items, size_t per_item)
{
	if (items == 0)
		item_done(w);
	else if (items > w->left / per_item)
		w->malformed = true;
	else
		open_frame(w, items * per_item);
}

/*
 * libcbor's streaming decoder calls these for each head it reads; the walk
 * ignores the values and only counts items.
 */
static void
on_int8(void *ctx, uint8_t v)
{
	(void) v;
	item_done(ctx);
}

static void
on_int16(void *ctx, uint16_t v)
{
	(void) v;
	item_done(ctx);
}

static void
on_int32(void *ctx, uint32_t v)
{
	(void) v;
	item_done(ctx);
}

static void
on_int64(void *ctx, uint64_t v)
{
	(void) v;
	item_done(ctx);
}

static void
on_float(void *ctx, float v)
{
	(void) v;
	item_done(ctx);
}

static void
on_double(void *ctx, double v)
{
	(void) v;
	item_done(ctx);
}

static void
on_bool(void *ctx, bool v)
{
	(void) v;
	item_done(ctx);
}

static void
on_simple(void *ctx)
{
	item_done(ctx);
}

/* (inside a chunked string a chunk is counted by an indefinite frame) */
static void
on_string(void *ctx, cbor_data data, size_t len)
{
	(void) data;
	(void) len;
	item_done(ctx);
}

static void
on_indefinite(void *ctx)
{
	open_frame(ctx, INDEFINITE);
}

static void
on_array(void *ctx, size_t items)
{
	open_definite(ctx, items, 1);
}

static void
on_map(void *ctx, size_t pairs)
{
	open_definite(ctx, pairs, 2);
}

static void
on_tag(void *ctx, uint64_t tag)
{
	(void) tag;
	open_frame(ctx, 1);
}

static void
on_break(void *ctx)
{
	walk	   *w = ctx;

	if (w->depth == 0 || w->expect[w->depth - 1] != INDEFINITE)
	{
		w->malformed = true;
		return;
	}
	w->depth--;
	item_done(w);
}

static const struct cbor_callbacks walk_callbacks = {
	.uint8 = on_int8, .uint16 = on_int16, .uint32 = on_int32, .uint64 = on_int64,
	.negint8 = on_int8, .negint16 = on_int16, .negint32 = on_int32, .negint64 = on_int64,
	.byte_string = on_string, .byte_string_start = on_indefinite,
	.string = on_string, .string_start = on_indefinite,
	.array_start = on_array, .indef_array_start = on_indefinite,
	.map_start = on_map, .indef_map_start = on_indefinite,
	.tag = on_tag,
	.float2 = on_float, .float4 = on_float, .float8 = on_double,
	.undefined = on_simple, .null = on_simple, .boolean = on_bool,
	.indef_break = on_break,
};

/*
 * libcbor before 0.11 refuses the one-byte heads of tags 6 to 20 (0xC6 to
 * 0xD4) as unassigned, which includes COSE_Sign1's tag 18 (0xD2).  The walk
 * copies the input, writing such a tag in its two-byte form (0xD8 n), which
 * every version reads; the content of byte strings is copied unchanged, so
 * signed bytes (headers, payloads) stay exact.
 */
static bool
short_tag(uint8_t head)
{
	return head >= 0xC6 && head <= 0xD4;
}

/* Walk and copy in into copy (2 * len bytes); *copy_len is what was written. */
static hc_cbor_status
walk_input(const uint8_t *in, size_t len, uint8_t *copy, size_t *copy_len)
{
	walk		w = {.depth = 0};
	size_t		pos = 0;
	size_t		out = 0;

	while (!w.done)
	{
		struct cbor_decoder_result r;

		if (pos == len)
			return HC_CBOR_MALFORMED;
		w.left = len - pos;
		r = cbor_stream_decode(in + pos, len - pos, &walk_callbacks, &w);
		if (r.status == CBOR_DECODER_ERROR && short_tag(in[pos]))
		{
			on_tag(&w, in[pos] - 0xC0);
			copy[out++] = 0xD8;
			copy[out++] = (uint8_t) (in[pos] - 0xC0);
			pos++;
		}
		else if (r.status == CBOR_DECODER_FINISHED)
		{
			memcpy(copy + out, in + pos, r.read);
			out += r.read;
			pos += r.read;
		}
		else
			return HC_CBOR_MALFORMED;
		if (w.too_deep)
			return HC_CBOR_TOO_DEEP;
		if (w.malformed)
			return HC_CBOR_MALFORMED;
	}
	if (pos != len)
		return HC_CBOR_MALFORMED;
	*copy_len = out;
	return HC_CBOR_OK;
}

hc_cbor_status
hc_cbor_load(const uint8_t *in, size_t len, cbor_item_t **out)
{
	uint8_t    *copy;
	size_t		copy_len = 0;
	hc_cbor_status st;
	struct cbor_load_result res;
	cbor_item_t *item;

	if (len > SIZE_MAX / 2)
		return HC_CBOR_NO_MEMORY;
	copy = malloc(2 * len + 1);
	if (copy == NULL)
		return HC_CBOR_NO_MEMORY;
	st = walk_input(in, len, copy, &copy_len);
	if (st != HC_CBOR_OK)
	{
		free(copy);
		return st;
	}
	item = cbor_load(copy, copy_len, &res);
	free(copy);
	if (item == NULL)
		return res.error.code == CBOR_ERR_MEMERROR ? HC_CBOR_NO_MEMORY : HC_CBOR_MALFORMED;
	*out = item;
	return HC_CBOR_OK;
}

hc_cbor_status
hc_cbor_serialize(const cbor_item_t *item, uint8_t **out, size_t *len)
{
	unsigned char *buf = NULL;
	size_t		cap = 0;
	size_t		n = cbor_serialize_alloc(item, &buf, &cap);

	if (n == 0)
		return HC_CBOR_NO_MEMORY;
	*out = buf;
	*len = n;
	return HC_CBOR_OK;
}

bool
hc_cbor_int64(const cbor_item_t *item, int64_t *value)
{
	uint64_t	v;

	if (!cbor_is_int(item))
		return false;
	v = cbor_get_int(item);
	if (v > (uint64_t) INT64_MAX)
		return false;
	/* a negative integer n stands for -1 - n */
	*value = cbor_isa_uint(item) ? (int64_t) v : -1 - (int64_t) v;
	return true;
}

hc_cbor_status
hc_cbor_map_find(const cbor_item_t *map, int64_t label, cbor_item_t **value)
{
	struct cbor_pair *pairs = cbor_map_handle(map);
	size_t		n = cbor_map_size(map);

	*value = NULL;
	for (size_t i = 0; i < n; i++)
	{
		int64_t		key;

		if (!hc_cbor_int64(pairs[i].key, &key) || key != label)
			continue;
		if (*value != NULL)
			return HC_CBOR_MALFORMED;
		*value = pairs[i].value;
	}
	return HC_CBOR_OK;
}

/* Chunks of a byte or text string; a definite string is its own one chunk. */
static cbor_item_t **
string_chunks(const cbor_item_t *item, size_t *count)
{
	bool		bytes = cbor_isa_bytestring(item);

	if (bytes ? cbor_bytestring_is_definite(item) : cbor_string_is_definite(item))
	{
		*count = 1;
		return NULL;
	}
	*count = bytes ? cbor_bytestring_chunk_count(item) : cbor_string_chunk_count(item);
	return bytes ? cbor_bytestring_chunks_handle(item) : cbor_string_chunks_handle(item);
}

static size_t
definite_length(const cbor_item_t *s)
{
	return cbor_isa_bytestring(s) ? cbor_bytestring_length(s) : cbor_string_length(s);
}

static const uint8_t *
definite_data(const cbor_item_t *s)
{
	return cbor_isa_bytestring(s) ? cbor_bytestring_handle(s) : cbor_string_handle(s);
}

hc_cbor_status
hc_cbor_string_copy(const cbor_item_t *item, uint8_t **out, size_t *len)
{
	size_t		count;
	cbor_item_t **chunks = string_chunks(item, &count);
	size_t		total = 0;
	uint8_t    *buf;

	for (size_t i = 0; i < count; i++)
		total += definite_length(chunks ? chunks[i] : item);
	buf = malloc(total + 1);
	if (buf == NULL)
		return HC_CBOR_NO_MEMORY;
	total = 0;
	for (size_t i = 0; i < count; i++)
	{
		const cbor_item_t *s = chunks ? chunks[i] : item;
		size_t		n = definite_length(s);

		if (n > 0)
			memcpy(buf + total, definite_data(s), n);
		total += n;
	}
	buf[total] = '\0';
	*out = buf;
	*len = total;
	return HC_CBOR_OK;
}

cbor_item_t *
hc_cbor_build_uint(uint64_t value)
{
	if (value <= UINT8_MAX)
		return cbor_build_uint8((uint8_t) value);
	if (value <= UINT16_MAX)
		return cbor_build_uint16((uint16_t) value);
	if (value <= UINT32_MAX)
		return cbor_build_uint32((uint32_t) value);
	return cbor_build_uint64(value);
}

cbor_item_t *
hc_cbor_build_int(int64_t value)
{
	uint64_t	m;

	if (value >= 0)
		return hc_cbor_build_uint((uint64_t) value);
	m = (uint64_t) (-1 - value);	/* CBOR stores a negative n as -1 - n */
	if (m <= UINT8_MAX)
		return cbor_build_negint8((uint8_t) m);
	if (m <= UINT16_MAX)
		return cbor_build_negint16((uint16_t) m);
	if (m <= UINT32_MAX)
		return cbor_build_negint32((uint32_t) m);
	return cbor_build_negint64(m);
}

static void
release(cbor_item_t *item)
{
	if (item != NULL)
		cbor_decref(&item);
}

bool
hc_cbor_map_put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value)
{
	bool		ok = key != NULL && value != NULL &&
		cbor_map_add(map, (struct cbor_pair) {.key = key, .value = value});

	release(key);
	release(value);
	return ok;
}

bool
hc_cbor_array_put(cbor_item_t *array, cbor_item_t *item)
{
	bool		ok = item != NULL && cbor_array_push(array, item);

	release(item);
	return ok;
}
