/*
 * drug_code_parse.c
 *		The national medical insurance drug code: parse, check, print.
 */
#include "rx/drug_code_parse.h"

#include <string.h>

const uint8_t dc_part_offset[DC_PARTS] = {0, 1, 6, 10, 14, 16, 18};
const uint8_t dc_part_length[DC_PARTS] = {1, 5, 4, 4, 2, 2, 5};

static int
digit36(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	return -1;
}

static bool
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
all_digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/*
 * The rules of the parts, on the upper-cased characters.  Western
 * medicines are classified by ATC level 4 (letter, two digits, two
 * letters); the Chinese patent medicine classes are letters and digits.
 * The generic name and the dosage form are a letter and three digits.
 */
static dc_status
check_chars(const char *c)
{
	if (c[0] != 'X' && c[0] != 'Z')
		return DC_BAD_CATEGORY;
	if (!is_upper(c[1]))
		return DC_BAD_CLASSIFICATION;
	if (c[0] == 'X' && !(is_digit(c[2]) && is_digit(c[3]) && is_upper(c[4]) && is_upper(c[5])))
		return DC_BAD_CLASSIFICATION;
	if (!is_upper(c[6]) || !all_digits(c + 7, 3))
		return DC_BAD_GENERIC_NAME;
	if (!is_upper(c[10]) || !all_digits(c + 11, 3))
		return DC_BAD_DOSAGE_FORM;
	if (!all_digits(c + 14, 9))
		return DC_BAD_NUMBERS;
	return DC_OK;
}

/* 23 base-36 digits in 128 bits: 36^23 < 2^120. */
static void
pack(const char *c, dc_value *out)
{
	unsigned __int128 n = 0;

	for (int i = 0; i < DC_LEN; i++)
		n = n * 36 + (unsigned) digit36(c[i]);
	for (int i = DC_PACKED - 1; i >= 0; i--)
	{
		out->b[i] = (uint8_t) (n & 0xff);
		n >>= 8;
	}
}

/*
 * false when the number is 36^23 or more (not 23 characters).  One 128-bit
 * division splits it at 36^12; the digits come from the two halves in
 * 64-bit arithmetic (a 128-bit division per digit cost more than parsing
 * the prescription the code is in).
 */
static bool
unpack(const dc_value *v, char out[DC_LEN + 1])
{
	const uint64_t pow36_12 = UINT64_C(4738381338321616896);
	const uint64_t pow36_11 = UINT64_C(131621703842267136);
	unsigned __int128 n = 0;
	uint64_t	high;
	uint64_t	low;

	for (int i = 0; i < DC_PACKED; i++)
		n = (n << 8) | v->b[i];
	if (n >= (unsigned __int128) pow36_12 * pow36_11)
		return false;
	high = (uint64_t) (n / pow36_12);
	low = (uint64_t) (n % pow36_12);
	for (int i = DC_LEN - 1; i >= 11; i--, low /= 36)
		out[i] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[low % 36];
	for (int i = 10; i >= 0; i--, high /= 36)
		out[i] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[high % 36];
	out[DC_LEN] = '\0';
	return true;
}

/* space, \t \n \v \f \r */
static bool
is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

dc_status
dc_parse(const char *in, size_t len, dc_value *out)
{
	char		c[DC_LEN];

	while (len > 0 && is_space(*in))
		in++, len--;
	while (len > 0 && is_space(in[len - 1]))
		len--;
	if (len == 0)
		return DC_EMPTY;
	if (len != DC_LEN)
		return DC_BAD_LENGTH;
	for (int i = 0; i < DC_LEN; i++)
	{
		if (digit36(in[i]) < 0)
			return DC_BAD_CHARACTER;
		c[i] = (in[i] >= 'a' && in[i] <= 'z') ? (char) (in[i] - 'a' + 'A') : in[i];
	}
	{
		dc_status	st = check_chars(c);

		if (st != DC_OK)
			return st;
	}
	pack(c, out);
	return DC_OK;
}

void
dc_format(const dc_value *v, char out[DC_LEN + 1])
{
	unpack(v, out);
}

dc_status
dc_check(const dc_value *v)
{
	char		c[DC_LEN + 1];

	if (!unpack(v, c))
		return DC_BAD_LENGTH;
	return check_chars(c);
}

int
dc_compare(const dc_value *a, const dc_value *b)
{
	int			c = memcmp(a->b, b->b, DC_PACKED);

	return (c > 0) - (c < 0);
}
