/*
 * resident_id_parse.c
 *		GB 11643-1999 resident identity numbers and their 15-digit
 *		GB 11643-1989 predecessors.
 */
#include "ident/resident_id_parse.h"

#include <string.h>

#include "core/checkdigit.h"
#include "core/textnorm.h"

bool
hh_is_calendar_date(int year, int month, int day)
{
	static const uint8_t mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			limit;

	if (month < 1 || month > 12 || day < 1)
		return false;
	limit = mdays[month - 1];
	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		limit = 29;
	return day <= limit;
}

/* GB/T 2260 province-level codes, plus 83 (Taiwan residents' permits only) */
bool
hh_is_province_code(int code)
{
	return (code >= 11 && code <= 15) || (code >= 21 && code <= 23) ||
		(code >= 31 && code <= 37) || (code >= 41 && code <= 46) ||
		(code >= 50 && code <= 54) || (code >= 61 && code <= 65) ||
		code == 71 || code == 81 || code == 82 || code == 83;
}

static void
body_digits(int64_t body, uint8_t d[17])
{
	for (int i = 16; i >= 0; i--)
	{
		d[i] = (uint8_t) (body % 10);
		body /= 10;
	}
}

/* Structure checks shared by text and binary input: address, date. */
static rid_status
check_digits(const uint8_t d[17], rid_error *err)
{
	int			province = d[0] * 10 + d[1];
	int			year = d[6] * 1000 + d[7] * 100 + d[8] * 10 + d[9];
	int			month = d[10] * 10 + d[11];
	int			day = d[12] * 10 + d[13];
	bool		address_ok;

	if (d[0] == 9)				/* 2023 foreign permanent resident card */
		address_ok = hh_is_province_code(d[1] * 10 + d[2]) && d[1] != 7 && d[1] != 8;
	else if (province == 83)	/* Taiwan residents' permit: 830000 only */
		address_ok = d[2] == 0 && d[3] == 0 && d[4] == 0 && d[5] == 0;
	else
		address_ok = hh_is_province_code(province);
	if (!address_ok)
	{
		for (int i = 0; i < 6; i++)
			err->address[i] = (char) ('0' + d[i]);
		err->address[6] = '\0';
		return RID_BAD_ADDRESS;
	}
	err->year = year;
	err->month = month;
	err->day = day;
	if (!hh_is_calendar_date(year, month, day))
		return RID_BAD_DATE;
	if (year < RID_MIN_YEAR)
		return RID_YEAR_TOO_EARLY;
	return RID_OK;
}

/*
 * The common case, and the one COPY sees millions of times: exactly 18 plain
 * ASCII characters.  Decode it without the general folding step; anything
 * else (padding, fullwidth forms, 15 digits, errors) takes the general path,
 * which also words the error.
 */
static bool
decode_plain18(const char *in, size_t len, uint8_t d[17], char *last)
{
	if (len != 18)
		return false;
	for (int i = 0; i < 17; i++)
	{
		unsigned	c = (unsigned char) in[i] - '0';

		if (c > 9)
			return false;
		d[i] = (uint8_t) c;
	}
	*last = in[17] == 'x' ? 'X' : in[17];
	return (*last >= '0' && *last <= '9') || *last == 'X';
}

/*
 * The general path: fold to ASCII, then check length and characters.
 * Fills d[] (a 15-digit number gets its century) and *last (0 for 15 digits).
 */
static rid_status
decode_folded(const char *in, size_t len, uint8_t d[17], char *last, rid_error *err)
{
	char		buf[18];
	hh_fold_result fold;
	size_t		n;

	n = hh_fold_ascii(in, len, buf, sizeof(buf), HH_FOLD_UPPER, &fold);
	err->length = fold.nchars;
	if (fold.status == HH_FOLD_NOT_ASCII || fold.status == HH_FOLD_INNER_SPACE)
	{
		err->position = fold.position;
		err->codepoint = fold.codepoint;
		return fold.status == HH_FOLD_NOT_ASCII ? RID_NOT_ASCII : RID_INNER_SPACE;
	}
	if (fold.nchars == 0)
		return RID_EMPTY;
	if (fold.nchars != 18 && fold.nchars != 15)
		return RID_BAD_LENGTH;

	/* every character but an 18-digit number's last must be a digit */
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) buf[i];

		if (c >= '0' && c <= '9')
			continue;
		if (c == 'X' && i == 17)
			continue;
		err->position = i + 1;
		err->codepoint = c;
		return RID_BAD_CHAR;
	}

	if (n == 15)
	{
		/* GB 11643-1989: insert the century; sequence 996-999 meant 100+ */
		int			seq = (buf[12] - '0') * 100 + (buf[13] - '0') * 10 + (buf[14] - '0');
		const char *century = seq >= 996 ? "18" : "19";

		for (int i = 0; i < 6; i++)
			d[i] = (uint8_t) (buf[i] - '0');
		d[6] = (uint8_t) (century[0] - '0');
		d[7] = (uint8_t) (century[1] - '0');
		for (int i = 6; i < 15; i++)
			d[i + 2] = (uint8_t) (buf[i] - '0');
		*last = 0;
	}
	else
	{
		for (int i = 0; i < 17; i++)
			d[i] = (uint8_t) (buf[i] - '0');
		*last = buf[17];
	}
	return RID_OK;
}

rid_status
rid_parse(const char *in, size_t len, int64_t *body, rid_error *err)
{
	uint8_t		d[17];
	char		last;
	int64_t		v = 0;
	rid_status	st;
	char		expected;

	memset(err, 0, sizeof(*err));
	if (decode_plain18(in, len, d, &last))
		err->length = 18;
	else if ((st = decode_folded(in, len, d, &last, err)) != RID_OK)
		return st;

	st = check_digits(d, err);
	if (st != RID_OK)
		return st;

	expected = hh_mod11_2_char(hh_mod11_2_value(d));
	if (last != 0 && last != expected)
	{
		err->found = last;
		err->expected = expected;
		return RID_BAD_CHECK;
	}

	for (int i = 0; i < 17; i++)
		v = v * 10 + d[i];
	*body = v;
	return RID_OK;
}

rid_status
rid_check_body(int64_t body, rid_error *err)
{
	uint8_t		d[17];

	memset(err, 0, sizeof(*err));
	if (body < RID_BODY_MIN || body > RID_BODY_MAX)
		return RID_OUT_OF_RANGE;
	body_digits(body, d);
	return check_digits(d, err);
}

char
rid_check_char(int64_t body)
{
	uint8_t		d[17];

	body_digits(body, d);
	return hh_mod11_2_char(hh_mod11_2_value(d));
}

void
rid_format(int64_t body, char out[19])
{
	uint8_t		d[17];

	body_digits(body, d);
	for (int i = 0; i < 17; i++)
		out[i] = (char) ('0' + d[i]);
	out[17] = hh_mod11_2_char(hh_mod11_2_value(d));
	out[18] = '\0';
}

rid_issuer
rid_issuer_of(int64_t body)
{
	int			lead = (int) (body / INT64_C(1000000000000000));	/* first two digits */

	if (lead >= 90)
		return RID_FOREIGN_PERMANENT;
	if (lead == 81)
		return RID_HONG_KONG;
	if (lead == 82)
		return RID_MACAU;
	if (lead == 83)
		return RID_TAIWAN;
	return RID_CITIZEN;
}

void
rid_birth_date(int64_t body, int *year, int *month, int *day)
{
	int64_t		ymd = (body / 1000) % 100000000;

	*year = (int) (ymd / 10000);
	*month = (int) (ymd / 100 % 100);
	*day = (int) (ymd % 100);
}

int
rid_sex(int64_t body)
{
	return (body % 2) ? 1 : 2;
}

int32_t
rid_region(int64_t body)
{
	int32_t		address = (int32_t) (body / INT64_C(100000000000));

	if (address >= 900000)
		return (address / 1000 % 100) * 10000;
	return address;
}
