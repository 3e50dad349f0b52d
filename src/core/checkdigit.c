/*
 * checkdigit.c
 *		Check-character algorithms of GB 11643, GB 32100 and GB 11714.
 */
#include "core/checkdigit.h"

/* W_i = 2^(18-i) mod 11 for positions 1..17 */
static const uint8_t mod11_2_weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};

/* Y = S mod 11 maps to the check value (12 - Y) mod 11 */
int
hh_mod11_2_value(const uint8_t digits[17])
{
	unsigned	sum = 0;

	for (int i = 0; i < 17; i++)
		sum += digits[i] * mod11_2_weights[i];
	return (12 - (int) (sum % 11)) % 11;
}

char
hh_mod11_2_char(int value)
{
	return value == 10 ? 'X' : (char) ('0' + value);
}

const char	HH_USCC_ALPHABET[32] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* 3^(i-1) mod 31 for positions 1..17 */
static const uint8_t uscc_weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

int
hh_uscc_char_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	switch (c)
	{
		case 'A': return 10;
		case 'B': return 11;
		case 'C': return 12;
		case 'D': return 13;
		case 'E': return 14;
		case 'F': return 15;
		case 'G': return 16;
		case 'H': return 17;
		case 'J': return 18;
		case 'K': return 19;
		case 'L': return 20;
		case 'M': return 21;
		case 'N': return 22;
		case 'P': return 23;
		case 'Q': return 24;
		case 'R': return 25;
		case 'T': return 26;
		case 'U': return 27;
		case 'W': return 28;
		case 'X': return 29;
		case 'Y': return 30;
		default: return -1;
	}
}

int
hh_uscc_check_value(const uint8_t values[17])
{
	unsigned	sum = 0;

	for (int i = 0; i < 17; i++)
		sum += values[i] * uscc_weights[i];
	return (31 - (int) (sum % 31)) % 31;
}

static const uint8_t orgcode_weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};

char
hh_orgcode_check_char(const char chars[8])
{
	unsigned	sum = 0;
	int			c;

	for (int i = 0; i < 8; i++)
	{
		unsigned char ch = (unsigned char) chars[i];
		int			v;

		if (ch >= '0' && ch <= '9')
			v = ch - '0';
		else if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A' + 10;
		else
			return 0;
		sum += v * orgcode_weights[i];
	}
	c = 11 - (int) (sum % 11);
	if (c == 10)
		return 'X';
	if (c == 11)
		return '0';
	return (char) ('0' + c);
}
