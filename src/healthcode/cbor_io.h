/*
 * cbor_io.h
 *		What the COSE and CWT layers need from libcbor, made safe for
 *		untrusted input: a bounded load, and small helpers to read and build
 *		maps with integer labels.
 *
 * libcbor 0.8 (Debian 12) allocates a definite array or map for its
 * declared size before reading its items, and frees and appends nested
 * items recursively; a few header bytes could ask for gigabytes or nest
 * deep enough to exhaust the stack.  hc_cbor_load walks the input with
 * libcbor's own streaming decoder first and refuses declared sizes the
 * input cannot hold and nesting deeper than HC_CBOR_MAX_DEPTH.
 *
 * Pure C: no postgres.h.
 */
#ifndef HC_CBOR_IO_H
#define HC_CBOR_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

/* Arrays, maps, tags and chunked strings open at once; also the JSON limit. */
#define HC_CBOR_MAX_DEPTH 64

typedef enum hc_cbor_status
{
	HC_CBOR_OK = 0,
	HC_CBOR_MALFORMED,			/* not one well-formed CBOR item */
	HC_CBOR_TOO_DEEP,			/* nested deeper than HC_CBOR_MAX_DEPTH */
	HC_CBOR_NO_MEMORY
} hc_cbor_status;

/*
 * Load exactly one item from len bytes (trailing bytes are MALFORMED).
 * The caller releases *out with cbor_decref.
 */
extern hc_cbor_status hc_cbor_load(const uint8_t *in, size_t len, cbor_item_t **out);

/* Serialise an item into a malloc'd buffer. */
extern hc_cbor_status hc_cbor_serialize(const cbor_item_t *item, uint8_t **out, size_t *len);

/*
 * The value under an integer label of a map, or NULL when absent;
 * MALFORMED when the label occurs twice (COSE and CWT labels are unique,
 * and two readers must not see different values).
 */
extern hc_cbor_status hc_cbor_map_find(const cbor_item_t *map, int64_t label,
									   cbor_item_t **value);

/* The value of an integer item, when it fits int64_t. */
extern bool hc_cbor_int64(const cbor_item_t *item, int64_t *value);

/*
 * The content of a byte or text string (definite or chunked), copied into
 * a malloc'd buffer with a NUL after it.
 */
extern hc_cbor_status hc_cbor_string_copy(const cbor_item_t *item, uint8_t **out, size_t *len);

/*
 * Integer items in their shortest encoding (libcbor writes an item in the
 * width it was built with); NULL when out of memory.
 */
extern cbor_item_t *hc_cbor_build_uint(uint64_t value);
extern cbor_item_t *hc_cbor_build_int(int64_t value);

/*
 * Add key: value to a definite map, taking over the caller's references to
 * both (released even on failure; NULL arguments are a failed build).
 * False when out of memory.
 */
extern bool hc_cbor_map_put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value);

/* The same for appending to a definite array. */
extern bool hc_cbor_array_put(cbor_item_t *array, cbor_item_t *item);

#endif							/* HC_CBOR_IO_H */
