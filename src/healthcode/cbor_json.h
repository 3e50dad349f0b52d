/*
 * cbor_json.h
 *		Any CBOR item as JSON text (RFC 8259), so that the SQL layer can hand
 *		a certificate's content to json/jsonb.
 *
 * Mapping: maps whose keys are text or integers -> objects (integer keys
 * written as decimal strings); arrays -> arrays; byte strings -> base64url
 * strings without padding; tags -> their content; integers exactly, over the
 * whole CBOR range; floats in the shortest text that reads back as the same
 * value (integral values up to 2^53 without exponent), NaN and infinities
 * -> null; true, false, null; undefined and other simple values -> null.
 * Text strings are assumed valid UTF-8 (libcbor checks it on load; builders
 * take UTF-8 from the caller) and are escaped as RFC 8259 requires.
 * Duplicate keys are written as they come.
 *
 * Pure C: no postgres.h.  The result is malloc'd; the caller frees it.
 */
#ifndef HC_CBOR_JSON_H
#define HC_CBOR_JSON_H

#include <stddef.h>

#include <cbor.h>

typedef enum hc_json_status
{
	HC_JSON_OK = 0,
	HC_JSON_BAD_KEY,			/* a map key that is neither text nor integer */
	HC_JSON_TOO_DEEP,			/* nested deeper than HC_CBOR_MAX_DEPTH */
	HC_JSON_NUL_TEXT,			/* a text string holds U+0000 */
	HC_JSON_NO_MEMORY
} hc_json_status;

/* *out is NUL-terminated, *len bytes long (JSON text holds no NUL). */
extern hc_json_status hc_cbor_to_json(const cbor_item_t *item, char **out, size_t *len);

#endif							/* HC_CBOR_JSON_H */
