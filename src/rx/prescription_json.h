/*
 * prescription_json.h
 *		Read the JSON text form of a prescription (the national circulation
 *		field names) into an rx_value, with PostgreSQL's own JSON parser
 *		(common/jsonapi.h).  Built into the server and, with FRONTEND, into
 *		the fuzz harness.
 */
#ifndef HH_PRESCRIPTION_JSON_H
#define HH_PRESCRIPTION_JSON_H

#include "rx/prescription_codec.h"

/*
 * Parse and check (rx_check).  On failure returns false with a sentence in
 * detail.
 */
extern bool rx_parse_json(const char *json, size_t len, int encoding, rx_value *out, char detail[RX_DETAIL_MAX]);

#endif
