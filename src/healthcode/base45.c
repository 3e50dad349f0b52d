/*
 * base45.c
 *		RFC 9285 Base45: each two bytes n = a*256 + b are written as three
 *		characters c d e with n = c + d*45 + e*45^2; a last single byte as two.
 */
#include "healthcode/base45.h"

#include <stdlib.h>
#include <string.h>

static const char alphabet[45] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

size_t
hc_base45_encoded_len(size_t len)
{
	return len / 2 * 3 + (len % 2) * 2;
}

hc_b45_status
hc_base45_encode(const uint8_t *in, size_t len, char **out, size_t *out_len)
{
	size_t		n = hc_base45_encoded_len(len);
	char	   *text = malloc(n + 1);
	char	   *p = text;

	if (text == NULL)
		return HC_B45_NO_MEMORY;
	for (size_t i = 0; i < len; i += 2)
	{
		unsigned	v = in[i];
		int			digits = 2;

		if (i + 1 < len)
		{
			v = v * 256 + in[i + 1];
			digits = 3;
		}
		for (int d = 0; d < digits; d++)
		{
			*p++ = alphabet[v % 45];
			v /= 45;
		}
	}
	*p = '\0';
	*out = text;
	*out_len = n;
	return HC_B45_OK;
}

/* Value of one character, or -1. */
static int
char_value(char c)
{
	const char *hit = memchr(alphabet, c, sizeof(alphabet));

	return hit == NULL ? -1 : (int) (hit - alphabet);
}

hc_b45_status
hc_base45_decode(const char *in, size_t len, uint8_t **out, size_t *out_len,
				 size_t *position)
{
	size_t		n = len / 3 * 2 + (len % 3 == 2);
	uint8_t    *bytes;
	uint8_t    *p;

	if (len % 3 == 1)
		return HC_B45_BAD_LENGTH;
	/* one byte more than needed, so an empty result is not malloc(0) */
	bytes = malloc(n + 1);
	if (bytes == NULL)
		return HC_B45_NO_MEMORY;
	p = bytes;
	for (size_t i = 0; i < len; i += 3)
	{
		size_t		group = len - i < 3 ? len - i : 3;
		unsigned	v = 0;
		unsigned	weight = 1;

		for (size_t k = 0; k < group; k++)
		{
			int			c = char_value(in[i + k]);

			if (c < 0)
			{
				if (position != NULL)
					*position = i + k;
				free(bytes);
				return HC_B45_BAD_CHAR;
			}
			v += (unsigned) c * weight;
			weight *= 45;
		}
		if (v > (group == 3 ? 65535u : 255u))
		{
			if (position != NULL)
				*position = i;
			free(bytes);
			return HC_B45_OVERFLOW;
		}
		if (group == 3)
			*p++ = (uint8_t) (v >> 8);
		*p++ = (uint8_t) (v & 0xff);
	}
	*out = bytes;
	*out_len = n;
	return HC_B45_OK;
}
