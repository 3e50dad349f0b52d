/*
 * reference.c
 *		Naive reference implementations for the fuzz harnesses.
 *
 * Deliberately written from the rules, not from src/: weights are recomputed
 * from their definitions, alphabets are searched as strings, and text is
 * handled as "trim, then look at each position".
 */
#include "reference.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list		ap;

	fprintf(stderr, "\n==FUZZ ASSERTION FAILED== %s:%d: %s\n  ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	abort();
}

void
fuzz_print_bytes(const char *label, const uint8_t *data, size_t len)
{
	fprintf(stderr, "  %s (%zu bytes): \"", label, len);
	for (size_t i = 0; i < len; i++)
	{
		if (data[i] >= 0x20 && data[i] < 0x7F && data[i] != '"' && data[i] != '\\')
			fputc(data[i], stderr);
		else
			fprintf(stderr, "\\x%02X", data[i]);
	}
	fprintf(stderr, "\"\n");
}

bool
ref_is_ascii(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (data[i] >= 0x80)
			return false;
	return true;
}

bool
ref_is_ascii_space(uint8_t c)
{
	return strchr(" \t\n\v\f\r", c) != NULL && c != '\0';
}

bool
ref_trim(const uint8_t *in, size_t len, char *out, size_t outcap, size_t *outlen)
{
	size_t		b = 0;
	size_t		e = len;

	while (b < e && ref_is_ascii_space(in[b]))
		b++;
	while (e > b && ref_is_ascii_space(in[e - 1]))
		e--;
	*outlen = e - b;
	if (e - b > outcap)
		return false;
	for (size_t i = b; i < e; i++)
	{
		if (ref_is_ascii_space(in[i]))
			return false;
		out[i - b] = (char) in[i];
	}
	return true;
}

static bool
is_leap(int y)
{
	if (y % 400 == 0)
		return true;
	if (y % 100 == 0)
		return false;
	return y % 4 == 0;
}

bool
ref_calendar_date(int year, int month, int day)
{
	int			last;

	switch (month)
	{
		case 2:
			last = is_leap(year) ? 29 : 28;
			break;
		case 4:
		case 6:
		case 9:
		case 11:
			last = 30;
			break;
		case 1:
		case 3:
		case 5:
		case 7:
		case 8:
		case 10:
		case 12:
			last = 31;
			break;
		default:
			return false;
	}
	return day >= 1 && day <= last;
}

bool
ref_province(int code)
{
	static const char *const list =
		"11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
		"50 51 52 53 54 61 62 63 64 65 71 81 82 83";
	char		two[3];

	if (code < 10 || code > 99)
		return false;
	two[0] = (char) ('0' + code / 10);
	two[1] = (char) ('0' + code % 10);
	two[2] = '\0';
	for (size_t i = 0; i + 1 < strlen(list); i += 3)
		if (list[i] == two[0] && list[i + 1] == two[1])
			return true;
	return false;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
num(const char *s, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* ---------------------------------------------------------------- GB 11643 */

char
ref_rid_check_char(const char digits[17])
{
	static const char map[] = "10X98765432";	/* Y = S mod 11 -> check */
	int			sum = 0;

	for (int i = 0; i < 17; i++)
	{
		/* W_i = 2^(18-i) mod 11 for 1-based position i = idx + 1 */
		int			w = 1;

		for (int k = 0; k < 17 - i; k++)
			w = (w * 2) % 11;
		sum += (digits[i] - '0') * w;
	}
	return map[sum % 11];
}

static bool
rid_digits_ok(const char d[17])
{
	bool		address_ok;
	int			year = num(d + 6, 4);

	if (d[0] == '9')
	{
		/* foreign permanent resident card: digits 2-3 a mainland province */
		address_ok = ref_province(num(d + 1, 2)) && d[1] != '7' && d[1] != '8';
	}
	else if (num(d, 2) == 83)
		address_ok = memcmp(d, "830000", 6) == 0;
	else
		address_ok = ref_province(num(d, 2));
	if (!address_ok)
		return false;
	if (!ref_calendar_date(year, num(d + 10, 2), num(d + 12, 2)))
		return false;
	return year >= 1800;
}

bool
ref_rid_parse(const uint8_t *in, size_t len, int64_t *body)
{
	char		t[18];
	char		d[17];
	size_t		n;
	char		last = 0;

	if (!ref_trim(in, len, t, sizeof(t), &n))
		return false;
	if (n == 18)
	{
		for (int i = 0; i < 17; i++)
			if (!is_digit(t[i]))
				return false;
		memcpy(d, t, 17);
		last = t[17] == 'x' ? 'X' : t[17];
		if (!is_digit(last) && last != 'X')
			return false;
	}
	else if (n == 15)
	{
		int			seq;

		for (int i = 0; i < 15; i++)
			if (!is_digit(t[i]))
				return false;
		seq = num(t + 12, 3);
		memcpy(d, t, 6);
		memcpy(d + 6, (seq >= 996 && seq <= 999) ? "18" : "19", 2);
		memcpy(d + 8, t + 6, 9);
	}
	else
		return false;

	if (!rid_digits_ok(d))
		return false;
	if (n == 18 && ref_rid_check_char(d) != last)
		return false;
	*body = 0;
	for (int i = 0; i < 17; i++)
		*body = *body * 10 + (d[i] - '0');
	return true;
}

bool
ref_rid_body_ok(int64_t body)
{
	char		d[32];

	if (body < INT64_C(10000000000000000) || body > INT64_C(99999999999999999))
		return false;
	snprintf(d, sizeof(d), "%017lld", (long long) body);
	return rid_digits_ok(d);
}

/* ---------------------------------------------------------------- GB 32100 */

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

int
ref_uscc_value(char c)
{
	for (int i = 0; uscc_alphabet[i] != '\0'; i++)
		if (uscc_alphabet[i] == c)
			return i;
	return -1;
}

char
ref_uscc_char(int v)
{
	return uscc_alphabet[v];
}

bool
ref_uscc_structure(const char c[18], bool *unchecked)
{
	static const int org_weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
	int			sum;
	int			w;
	int			oc;
	char		org_check;
	char		check;

	if (c[0] == '\0' || strchr("123456789AGJNQY", c[0]) == NULL)
		return false;
	if (c[1] < '1' || c[1] > '9')
		return false;
	for (int i = 2; i < 8; i++)
		if (!is_digit(c[i]))
			return false;

	/* GB 11714: digits 0-9, letters A=10 .. Z=35 */
	sum = 0;
	for (int i = 0; i < 8; i++)
	{
		char		ch = c[8 + i];
		int			v = is_digit(ch) ? ch - '0' : ch - 'A' + 10;

		sum += v * org_weights[i];
	}
	oc = 11 - sum % 11;
	org_check = oc == 10 ? 'X' : oc == 11 ? '0' : (char) ('0' + oc);

	/* GB 32100: weights 3^(i-1) mod 31 */
	sum = 0;
	w = 1;
	for (int i = 0; i < 17; i++)
	{
		sum += ref_uscc_value(c[i]) * w;
		w = (w * 3) % 31;
	}
	check = uscc_alphabet[(31 - sum % 31) % 31];

	*unchecked = (c[16] != org_check) || (c[17] != check);
	return true;
}

bool
ref_uscc_parse(const uint8_t *in, size_t len, bool accept_unchecked,
			   char out18[18], bool *unchecked)
{
	char		t[19];
	size_t		n;

	if (!ref_trim(in, len, t, sizeof(t), &n))
		return false;
	if (n == 19 && t[18] == '?')
	{
		accept_unchecked = true;
		n = 18;
	}
	if (n != 18)
		return false;
	for (int i = 0; i < 18; i++)
	{
		char		ch = t[i];

		if (ch >= 'a' && ch <= 'z')
			ch = (char) (ch - 'a' + 'A');
		if (ref_uscc_value(ch) < 0)
			return false;
		out18[i] = ch;
	}
	if (!ref_uscc_structure(out18, unchecked))
		return false;
	return !*unchecked || accept_unchecked;
}

/* ---------------------------------------------------------------- GB/T 2260 */

bool
ref_region_code_ok(int32_t code)
{
	char		d[16];

	if (code < 100000 || code > 999999)
		return false;
	snprintf(d, sizeof(d), "%06d", (int) code);
	if (!ref_province(num(d, 2)))
		return false;
	/* no county part under prefecture part 00 */
	if (d[2] == '0' && d[3] == '0' && !(d[4] == '0' && d[5] == '0'))
		return false;
	return true;
}

bool
ref_region_parse(const uint8_t *in, size_t len, int32_t *code)
{
	char		t[6];
	size_t		n;

	if (!ref_trim(in, len, t, sizeof(t), &n) || n != 6)
		return false;
	for (int i = 0; i < 6; i++)
		if (!is_digit(t[i]))
			return false;
	*code = num(t, 6);
	return ref_region_code_ok(*code);
}

/* ---------------------------------------------------------------- UTF-8 fold */

/* Decode one character; a malformed one is 1 byte, U+FFFD. */
static size_t
ref_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
	uint8_t		c = s[0];
	size_t		n;
	uint32_t	v;

	*cp = 0xFFFD;
	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0)
	{
		n = 2;
		v = c & 0x1F;
	}
	else if ((c & 0xF0) == 0xE0)
	{
		n = 3;
		v = c & 0x0F;
	}
	else if ((c & 0xF8) == 0xF0)
	{
		n = 4;
		v = c & 0x07;
	}
	else
		return 1;
	if (n > len)
		return 1;
	for (size_t i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 1;
		v = (v << 6) | (s[i] & 0x3F);
	}
	{
		static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};

		if (v < min_for_len[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			return 1;
	}
	*cp = v;
	return n;
}

static bool
ref_fold_space(uint32_t cp)
{
	return cp == 0x3000 || cp == 0xA0 || (cp < 0x80 && ref_is_ascii_space((uint8_t) cp));
}

size_t
ref_fold(const uint8_t *in, size_t len, char *out, size_t outcap,
		 int options, ref_fold_result *res)
{
	uint32_t	stackbuf[256];
	uint32_t   *cps = len <= 256 ? stackbuf : malloc(len * sizeof(uint32_t));
	size_t		ncp = 0;
	size_t		first;
	size_t		last;
	size_t		nout = 0;
	size_t		k = 0;			/* 1-based index among non-space characters */

	memset(res, 0, sizeof(*res));
	for (size_t pos = 0; pos < len;)
	{
		uint32_t	cp;

		pos += ref_decode(in + pos, len - pos, &cp);
		cps[ncp++] = cp;
	}

	/* trim */
	first = 0;
	while (first < ncp && ref_fold_space(cps[first]))
		first++;
	last = ncp;
	while (last > first && ref_fold_space(cps[last - 1]))
		last--;

	for (size_t i = first; i < last; i++)
	{
		uint32_t	cp = cps[i];

		if (ref_fold_space(cp))
		{
			/* a run of inner whitespace: report at the first one */
			if (!(options & 0x01) && res->status == 0 &&
				(i == first || !ref_fold_space(cps[i - 1])))
			{
				res->status = 2;	/* HH_FOLD_INNER_SPACE */
				res->position = k + 1;
				res->codepoint = ' ';
			}
			continue;
		}
		k++;
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp = cp - 0xFF01 + '!';
		if (!(cp >= 0x20 && cp <= 0x7E))
		{
			if (res->status == 0)
			{
				res->status = 1;	/* HH_FOLD_NOT_ASCII */
				res->position = k;
				res->codepoint = cp;
			}
			continue;
		}
		if ((options & 0x02) && cp >= 'a' && cp <= 'z')
			cp = cp - 'a' + 'A';
		if (nout == outcap)
		{
			if (res->status == 0)
			{
				res->status = 3;	/* HH_FOLD_TOO_LONG */
				res->position = k;
			}
			continue;
		}
		out[nout++] = (char) cp;
	}
	res->nchars = k;
	if (cps != stackbuf)
		free(cps);
	return nout;
}
