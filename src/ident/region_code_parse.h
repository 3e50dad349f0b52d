/*
 * region_code_parse.h
 *		GB/T 2260 administrative division codes: parse, print, digit rules.
 *
 * The digits only suggest a level (xx0000 province, xxxx00 prefecture); the
 * true level and parent come from the shipped table, because the digits lie
 * (429004, 441900, 5001xx).  Pure C: no postgres.h.
 */
#ifndef HH_REGION_CODE_PARSE_H
#define HH_REGION_CODE_PARSE_H

#include <stddef.h>
#include <stdint.h>

typedef enum region_status
{
	REGION_OK = 0,
	REGION_EMPTY,
	REGION_NOT_ASCII,
	REGION_INNER_SPACE,
	REGION_BAD_LENGTH,
	REGION_BAD_CHAR,
	REGION_BAD_PROVINCE,		/* digits 1-2 not a province-level code */
	REGION_BAD_STRUCTURE		/* a county part under prefecture part 00 */
} region_status;

typedef struct region_error
{
	size_t		position;
	uint32_t	codepoint;
	size_t		length;
} region_error;

typedef enum region_level
{
	REGION_PROVINCE = 1,
	REGION_PREFECTURE = 2,
	REGION_COUNTY = 3
} region_level;

extern region_status region_parse(const char *in, size_t len, int32_t *code, region_error *err);
extern region_status region_check_code(int32_t code);
extern void region_format(int32_t code, char out[7]);
extern region_level region_nominal_level(int32_t code);

#endif
