/*
 * zlib_codec.h
 *		The compression layer of health codes: zlib (RFC 1950) streams.
 *
 * Inflate stops at a caller's output limit, so a small code that inflates
 * to gigabytes (a zip bomb) fails after limit bytes of work.  Pure C: no
 * postgres.h.  Results are malloc'd; the caller frees them.
 */
#ifndef HC_ZLIB_CODEC_H
#define HC_ZLIB_CODEC_H

#include <stddef.h>
#include <stdint.h>

typedef enum hc_zlib_status
{
	HC_ZLIB_OK = 0,
	HC_ZLIB_BAD_DATA,			/* not a zlib stream, or a bad checksum */
	HC_ZLIB_TRUNCATED,			/* the stream stops before its end */
	HC_ZLIB_TRAILING,			/* bytes after the end of the stream */
	HC_ZLIB_TOO_LARGE,			/* inflates to more than the limit */
	HC_ZLIB_NO_MEMORY
} hc_zlib_status;

/* Compress len bytes at the best compression level. */
extern hc_zlib_status hc_deflate(const uint8_t *in, size_t len,
								 uint8_t **out, size_t *out_len);

/* Decompress one whole zlib stream of at most limit bytes of output. */
extern hc_zlib_status hc_inflate(const uint8_t *in, size_t len, size_t limit,
								 uint8_t **out, size_t *out_len);

#endif							/* HC_ZLIB_CODEC_H */
