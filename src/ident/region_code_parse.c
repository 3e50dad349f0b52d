/*
 * region_code_parse.c
 *		GB/T 2260 administrative division codes.
 */
#include "ident/region_code_parse.h"

#include <string.h>

#include "core/textnorm.h"
#include "ident/resident_id_parse.h"

region_status
region_check_code(int32_t code)
{
	if (code < 100000 || code > 999999)
		return REGION_BAD_LENGTH;
	if (!hh_is_province_code(code / 10000))
		return REGION_BAD_PROVINCE;
	if ((code / 100) % 100 == 0 && code % 100 != 0)
		return REGION_BAD_STRUCTURE;
	return REGION_OK;
}

region_status
region_parse(const char *in, size_t len, int32_t *code, region_error *err)
{
	char		buf[6];
	hh_fold_result fold;
	size_t		n;
	int32_t		v = 0;

	memset(err, 0, sizeof(*err));
	n = hh_fold_ascii(in, len, buf, sizeof(buf), 0, &fold);
	err->length = fold.nchars;
	if (fold.status == HH_FOLD_NOT_ASCII || fold.status == HH_FOLD_INNER_SPACE)
	{
		err->position = fold.position;
		err->codepoint = fold.codepoint;
		return fold.status == HH_FOLD_NOT_ASCII ? REGION_NOT_ASCII : REGION_INNER_SPACE;
	}
	if (fold.nchars == 0)
		return REGION_EMPTY;
	if (fold.nchars != 6)
		return REGION_BAD_LENGTH;
	for (size_t i = 0; i < n; i++)
	{
		if (buf[i] < '0' || buf[i] > '9')
		{
			err->position = i + 1;
			err->codepoint = (unsigned char) buf[i];
			return REGION_BAD_CHAR;
		}
		v = v * 10 + (buf[i] - '0');
	}
	if (v < 100000)
		return REGION_BAD_PROVINCE;
	*code = v;
	return region_check_code(v);
}

void
region_format(int32_t code, char out[7])
{
	for (int i = 5; i >= 0; i--)
	{
		out[i] = (char) ('0' + code % 10);
		code /= 10;
	}
	out[6] = '\0';
}

region_level
region_nominal_level(int32_t code)
{
	if (code % 10000 == 0)
		return REGION_PROVINCE;
	if (code % 100 == 0)
		return REGION_PREFECTURE;
	return REGION_COUNTY;
}
