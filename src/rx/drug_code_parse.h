/*
 * drug_code_parse.h
 *		The national medical insurance drug code (医保药品分类与代码): 23
 *		characters, e.g. XA01ABD075A002010100483:
 *
 *		  X      category: X western medicine, Z Chinese patent medicine
 *		  A01AB  classification (for X, the ATC level-4 class)
 *		  D075   generic name
 *		  A002   dosage form
 *		  01     specification
 *		  01     packaging
 *		  00483  manufacturer
 *
 * (The layout is inferred from published codes: docs/prescriptions.md.)
 * Stored as 16 bytes: the 23 characters as one base-36 number, big-endian,
 * so that byte order is the order of the text.  Pure C: no postgres.h.
 */
#ifndef HH_DRUG_CODE_PARSE_H
#define HH_DRUG_CODE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DC_LEN		23
#define DC_PACKED	16

typedef struct dc_value
{
	uint8_t		b[DC_PACKED];
} dc_value;

typedef enum dc_status
{
	DC_OK = 0,
	DC_EMPTY,
	DC_BAD_LENGTH,
	DC_BAD_CHARACTER,			/* not a letter or a digit */
	DC_BAD_CATEGORY,			/* not X or Z */
	DC_BAD_CLASSIFICATION,
	DC_BAD_GENERIC_NAME,
	DC_BAD_DOSAGE_FORM,
	DC_BAD_NUMBERS				/* specification, packaging, manufacturer: digits */
} dc_status;

/* The parts, as offsets and lengths into the 23 characters. */
typedef enum dc_part
{
	DC_CATEGORY = 0,
	DC_CLASSIFICATION,
	DC_GENERIC_NAME,
	DC_DOSAGE_FORM,
	DC_SPECIFICATION,
	DC_PACKAGING,
	DC_MANUFACTURER,
	DC_PARTS
} dc_part;

extern const uint8_t dc_part_offset[DC_PARTS];
extern const uint8_t dc_part_length[DC_PARTS];

/* Parse (surrounding ASCII whitespace ignored, letters of either case). */
extern dc_status dc_parse(const char *in, size_t len, dc_value *out);

/* The 23 characters, upper case, plus NUL. */
extern void dc_format(const dc_value *v, char out[DC_LEN + 1]);

/* Whether 16 bytes (binary input) are a code dc_parse would accept. */
extern dc_status dc_check(const dc_value *v);

extern int	dc_compare(const dc_value *a, const dc_value *b);

#endif
