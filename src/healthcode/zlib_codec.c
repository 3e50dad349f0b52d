/*
 * zlib_codec.c
 *		zlib streams with a bounded inflate.
 */
#include "healthcode/zlib_codec.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

/* next_in is then a pointer to const, as our input is */
#define ZLIB_CONST
#include <zlib.h>

/* zlib counts in uInt: anything longer is refused rather than split. */
#define HC_ZLIB_MAX ((size_t) UINT_MAX)

hc_zlib_status
hc_deflate(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	uLongf		n;
	uint8_t    *buf;

	if (len > HC_ZLIB_MAX)
		return HC_ZLIB_TOO_LARGE;
	n = compressBound((uLong) len);
	buf = malloc(n);
	if (buf == NULL)
		return HC_ZLIB_NO_MEMORY;
	if (compress2(buf, &n, in, (uLong) len, Z_BEST_COMPRESSION) != Z_OK)
	{
		/* with a compressBound buffer only memory can fail */
		free(buf);
		return HC_ZLIB_NO_MEMORY;
	}
	*out = buf;
	*out_len = n;
	return HC_ZLIB_OK;
}

/* Double the output buffer, to at most max bytes; false when out of memory. */
static bool
grow_output(z_stream *zs, uint8_t **buf, size_t *cap, size_t max)
{
	size_t		grown = *cap * 2 > max ? max : *cap * 2;
	uint8_t    *bigger = realloc(*buf, grown);

	if (bigger == NULL)
		return false;
	zs->next_out = bigger + *cap;
	zs->avail_out = (uInt) (grown - *cap);
	*buf = bigger;
	*cap = grown;
	return true;
}

/*
 * The output buffer grows by doubling up to limit + 1 bytes: filling that
 * last byte proves the stream is longer than the limit, without inflating
 * any further.
 */
hc_zlib_status
hc_inflate(const uint8_t *in, size_t len, size_t limit, uint8_t **out, size_t *out_len)
{
	z_stream	zs = {0};
	size_t		cap = 256;
	uint8_t    *buf;
	int			rc;

	if (len > HC_ZLIB_MAX || limit >= HC_ZLIB_MAX)
		return HC_ZLIB_TOO_LARGE;
	if (cap > limit + 1)
		cap = limit + 1;
	buf = malloc(cap);
	if (buf == NULL)
		return HC_ZLIB_NO_MEMORY;
	if (inflateInit(&zs) != Z_OK)
	{
		free(buf);
		return HC_ZLIB_NO_MEMORY;
	}
	zs.next_in = in;
	zs.avail_in = (uInt) len;
	zs.next_out = buf;
	zs.avail_out = (uInt) cap;
	for (;;)
	{
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc != Z_OK || zs.avail_out > 0 || cap == limit + 1)
			break;
		if (!grow_output(&zs, &buf, &cap, limit + 1))
		{
			rc = Z_MEM_ERROR;
			break;
		}
	}
	inflateEnd(&zs);

	if (zs.total_out <= limit && rc == Z_STREAM_END && zs.avail_in == 0)
	{
		*out = buf;
		*out_len = zs.total_out;
		return HC_ZLIB_OK;
	}
	free(buf);
	if (zs.total_out > limit)
		return HC_ZLIB_TOO_LARGE;
	if (rc == Z_STREAM_END)
		return HC_ZLIB_TRAILING;
	if (rc == Z_MEM_ERROR)
		return HC_ZLIB_NO_MEMORY;
	if (rc == Z_OK || rc == Z_BUF_ERROR)
		return HC_ZLIB_TRUNCATED;
	return HC_ZLIB_BAD_DATA;
}
