/*
 * code_text.h
 *		A health code's decoding in words (code_text.c).  PostgreSQL side:
 *		results are palloc'd.
 */
#ifndef HH_CODE_TEXT_H
#define HH_CODE_TEXT_H

#include "healthcode/base45.h"
#include "healthcode/cbor_io.h"
#include "healthcode/health_code.h"
#include "healthcode/zlib_codec.h"

/* verify_health_code()'s reason for a code that does not decode */
extern const char *hh_code_reason_name(hc_reason reason);
/* the failing layer's detail, or NULL when the code decoded */
extern char *hh_code_detail(const hc_decoded *d);

#endif							/* HH_CODE_TEXT_H */
