/*
 * cose.c
 *		COSE_Sign1 parse and build over libcbor.
 */
#include "healthcode/cose.h"

#include <stdlib.h>
#include <string.h>

#include "healthcode/cbor_io.h"

/* cbor_build_bytestring copies from its pointer even for no bytes */
static const uint8_t no_bytes[1];

static hc_cose_status
from_cbor(hc_cbor_status st, hc_cose_status malformed)
{
	switch (st)
	{
		case HC_CBOR_OK:
			return HC_COSE_OK;
		case HC_CBOR_NO_MEMORY:
			return HC_COSE_NO_MEMORY;
		case HC_CBOR_TOO_DEEP:
			return HC_COSE_TOO_DEEP;
		default:
			return malformed;
	}
}

/* A byte string item's content into a fresh buffer; wrong if it is none. */
static hc_cose_status
copy_bstr(const cbor_item_t *item, hc_cose_status wrong, uint8_t **out, size_t *len)
{
	if (!cbor_isa_bytestring(item))
		return wrong;
	return from_cbor(hc_cbor_string_copy(item, out, len), wrong);
}

/*
 * The content of a tag, borrowed from it: cbor_tag_item returns a new
 * reference, given back at once since the tag keeps the item alive.
 */
static cbor_item_t *
tag_content(const cbor_item_t *tag)
{
	cbor_item_t *content = cbor_tag_item(tag);
	cbor_item_t *extra = content;

	cbor_decref(&extra);
	return content;
}

/*
 * alg and kid: the protected header's, else the unprotected one's (RFC 9052
 * allows either; the EU DCC tests have codes with both in the unprotected
 * header).  An unprotected alg is not signed, but it only chooses how the
 * signature is checked: the trusted key decides what verifies.
 */
static hc_cose_status
read_header(const cbor_item_t *map, bool is_protected, hc_cose_sign1 *msg)
{
	cbor_item_t *alg;
	cbor_item_t *kid;

	if (hc_cbor_map_find(map, HC_COSE_LABEL_ALG, &alg) != HC_CBOR_OK ||
		hc_cbor_map_find(map, HC_COSE_LABEL_KID, &kid) != HC_CBOR_OK)
		return HC_COSE_BAD_HEADER;
	if (kid != NULL && !cbor_isa_bytestring(kid))
		return HC_COSE_BAD_HEADER;
	if (alg != NULL && !msg->has_alg)
	{
		if (!hc_cbor_int64(alg, &msg->alg))
			return HC_COSE_BAD_HEADER;
		msg->has_alg = true;
		msg->alg_protected = is_protected;
	}
	if (kid != NULL && msg->kid == NULL)
	{
		msg->kid_protected = is_protected;
		return copy_bstr(kid, HC_COSE_BAD_HEADER, &msg->kid, &msg->kid_len);
	}
	return HC_COSE_OK;
}

/* The protected header: its exact bytes, and an empty string or a map. */
static hc_cose_status
read_protected(const cbor_item_t *item, hc_cose_sign1 *msg)
{
	cbor_item_t *map;
	hc_cose_status st = copy_bstr(item, HC_COSE_BAD_PROTECTED,
								  &msg->protected_bytes, &msg->protected_len);

	if (st != HC_COSE_OK || msg->protected_len == 0)
		return st;
	st = from_cbor(hc_cbor_load(msg->protected_bytes, msg->protected_len, &map),
				   HC_COSE_BAD_PROTECTED);
	if (st != HC_COSE_OK)
		return st;
	st = cbor_isa_map(map) ? read_header(map, true, msg) : HC_COSE_BAD_PROTECTED;
	cbor_decref(&map);
	return st;
}

/* The four elements, the protected header first so that its kid wins. */
static hc_cose_status
read_sign1(cbor_item_t **parts, hc_cose_sign1 *msg)
{
	hc_cose_status st = read_protected(parts[0], msg);

	if (st == HC_COSE_OK)
		st = cbor_isa_map(parts[1]) ? read_header(parts[1], false, msg)
			: HC_COSE_BAD_UNPROTECTED;
	if (st == HC_COSE_OK)
		st = copy_bstr(parts[2], HC_COSE_BAD_PAYLOAD, &msg->payload, &msg->payload_len);
	if (st == HC_COSE_OK)
		st = copy_bstr(parts[3], HC_COSE_BAD_SIGNATURE, &msg->signature, &msg->signature_len);
	return st;
}

hc_cose_status
hc_cose_parse(const uint8_t *in, size_t len, hc_cose_sign1 *out)
{
	cbor_item_t *root;
	const cbor_item_t *item;
	hc_cose_status st;

	memset(out, 0, sizeof(*out));
	st = from_cbor(hc_cbor_load(in, len, &root), HC_COSE_NOT_CBOR);
	if (st != HC_COSE_OK)
		return st;
	item = root;
	if (cbor_isa_tag(item) && cbor_tag_value(item) == HC_COSE_TAG_CWT)
		item = tag_content(item);
	if (cbor_isa_tag(item) && cbor_tag_value(item) == HC_COSE_TAG_SIGN1)
	{
		out->tagged = true;
		item = tag_content(item);
	}
	/* a CWT tag must wrap a COSE tag (RFC 8392 section 6) */
	if (!cbor_isa_array(item) || cbor_array_size(item) != 4 ||
		(item != root && !out->tagged))
		st = HC_COSE_NOT_SIGN1;
	else
		st = read_sign1(cbor_array_handle(item), out);
	cbor_decref(&root);
	if (st != HC_COSE_OK)
		hc_cose_free(out);
	return st;
}

void
hc_cose_free(hc_cose_sign1 *msg)
{
	free(msg->protected_bytes);
	free(msg->kid);
	free(msg->payload);
	free(msg->signature);
	memset(msg, 0, sizeof(*msg));
}

static cbor_item_t *
build_bstr(const uint8_t *bytes, size_t len)
{
	return cbor_build_bytestring(len > 0 ? bytes : no_bytes, len);
}

/* Serialise an item built here, and release it. */
static hc_cose_status
serialize_built(cbor_item_t *item, bool complete, uint8_t **out, size_t *len)
{
	hc_cose_status st = HC_COSE_NO_MEMORY;

	if (item != NULL && complete)
		st = from_cbor(hc_cbor_serialize(item, out, len), HC_COSE_NO_MEMORY);
	if (item != NULL)
		cbor_decref(&item);
	return st;
}

hc_cose_status
hc_cose_tbs(const hc_cose_sign1 *msg, uint8_t **tbs, size_t *tbs_len)
{
	cbor_item_t *sig = cbor_new_definite_array(4);
	bool		ok = sig != NULL &&
		hc_cbor_array_put(sig, cbor_build_string("Signature1")) &&
		hc_cbor_array_put(sig, build_bstr(msg->protected_bytes, msg->protected_len)) &&
		hc_cbor_array_put(sig, build_bstr(NULL, 0)) &&
		hc_cbor_array_put(sig, build_bstr(msg->payload, msg->payload_len));

	return serialize_built(sig, ok, tbs, tbs_len);
}

static hc_cose_status
build_protected(int64_t alg, const uint8_t *kid, size_t kid_len, hc_cose_sign1 *msg)
{
	cbor_item_t *map = cbor_new_definite_map(kid_len > 0 ? 2 : 1);
	bool		ok = map != NULL &&
		hc_cbor_map_put(map, hc_cbor_build_int(HC_COSE_LABEL_ALG), hc_cbor_build_int(alg)) &&
		(kid_len == 0 ||
		 hc_cbor_map_put(map, hc_cbor_build_int(HC_COSE_LABEL_KID), build_bstr(kid, kid_len)));

	return serialize_built(map, ok, &msg->protected_bytes, &msg->protected_len);
}

/* A malloc'd copy of len bytes (one more, so that no length is malloc(0)). */
static uint8_t *
copy_bytes(const uint8_t *bytes, size_t len)
{
	uint8_t    *copy = malloc(len + 1);

	if (copy != NULL && len > 0)
		memcpy(copy, bytes, len);
	return copy;
}

hc_cose_status
hc_cose_prepare(int64_t alg, const uint8_t *kid, size_t kid_len,
				const uint8_t *payload, size_t payload_len,
				hc_cose_sign1 *msg, uint8_t **tbs, size_t *tbs_len)
{
	hc_cose_status st;

	memset(msg, 0, sizeof(*msg));
	msg->has_alg = true;
	msg->alg = alg;
	msg->alg_protected = true;
	msg->tagged = true;
	msg->kid_protected = kid_len > 0;
	msg->kid_len = kid_len;
	msg->payload_len = payload_len;
	if (kid_len > 0 && (msg->kid = copy_bytes(kid, kid_len)) == NULL)
		st = HC_COSE_NO_MEMORY;
	else if ((msg->payload = copy_bytes(payload, payload_len)) == NULL)
		st = HC_COSE_NO_MEMORY;
	else
		st = build_protected(alg, kid, kid_len, msg);
	if (st == HC_COSE_OK)
		st = hc_cose_tbs(msg, tbs, tbs_len);
	if (st != HC_COSE_OK)
		hc_cose_free(msg);
	return st;
}

hc_cose_status
hc_cose_assemble(const hc_cose_sign1 *msg, uint8_t **out, size_t *out_len)
{
	cbor_item_t *parts = cbor_new_definite_array(4);
	cbor_item_t *tag = cbor_new_tag(HC_COSE_TAG_SIGN1);
	bool		ok = parts != NULL && tag != NULL &&
		hc_cbor_array_put(parts, build_bstr(msg->protected_bytes, msg->protected_len)) &&
		hc_cbor_array_put(parts, cbor_new_definite_map(0)) &&
		hc_cbor_array_put(parts, build_bstr(msg->payload, msg->payload_len)) &&
		hc_cbor_array_put(parts, build_bstr(msg->signature, msg->signature_len));

	if (ok)
		cbor_tag_set_item(tag, parts);	/* takes its own reference */
	if (parts != NULL)
		cbor_decref(&parts);
	return serialize_built(tag, ok, out, out_len);
}
