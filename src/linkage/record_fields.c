/*
 * record_fields.c
 *		Birth dates and phone numbers as extracts write them (record_fields.h).
 */
#include "linkage/record_fields.h"

#include "core/textnorm.h"

/* Longer text than this is not a date or a phone number of any format. */
#define FIELD_TEXT_MAX 64

static int
days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return days[month - 1];
}

/* Read 1..maxdigits digits at *p (up to end); returns how many were read. */
static int
read_number(const char **p, const char *end, int maxdigits, int *value)
{
	int			n = 0;

	*value = 0;
	while (*p < end && n < maxdigits && **p >= '0' && **p <= '9')
	{
		*value = *value * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

hh_field_status
hh_parse_birth_date(const char *s, size_t len, int *year, int *month, int *day)
{
	char		buf[FIELD_TEXT_MAX];
	hh_fold_result res;
	size_t		n = hh_fold_ascii(s, len, buf, sizeof(buf), 0, &res);
	const char *p = buf;
	const char *end = buf + n;

	if (res.nchars == 0)
		return HH_FIELD_EMPTY;
	if (res.status != HH_FOLD_OK)
		return HH_FIELD_INVALID;

	if (read_number(&p, end, 4, year) != 4)
		return HH_FIELD_INVALID;
	if (p < end && *p >= '0' && *p <= '9')
	{
		/* YYYYMMDD */
		if (n != 8 || read_number(&p, end, 2, month) != 2 || read_number(&p, end, 2, day) != 2)
			return HH_FIELD_INVALID;
	}
	else
	{
		char		sep;

		if (p == end || (*p != '-' && *p != '/' && *p != '.'))
			return HH_FIELD_INVALID;
		sep = *p++;
		if (read_number(&p, end, 2, month) == 0 || p == end || *p++ != sep ||
			read_number(&p, end, 2, day) == 0 || p != end)
			return HH_FIELD_INVALID;
	}
	if (*year < HH_BIRTH_YEAR_MIN || *month < 1 || *month > 12 || *day < 1 ||
		*day > days_in_month(*year, *month))
		return HH_FIELD_INVALID;
	return HH_FIELD_OK;
}

hh_field_status
hh_phone_digits(const char *s, size_t len, char *out)
{
	char		buf[FIELD_TEXT_MAX];
	hh_fold_result res;
	size_t		n = hh_fold_ascii(s, len, buf, sizeof(buf), HH_FOLD_DROP_INNER_SPACE, &res);
	size_t		ndigits = 0;
	size_t		i = 0;

	out[0] = '\0';
	if (res.nchars == 0)
		return HH_FIELD_EMPTY;
	if (res.status != HH_FOLD_OK)
		return HH_FIELD_INVALID;

	/* drop the brackets and hyphens of area codes, then the country code */
	for (size_t j = 0; j < n; j++)
		if (buf[j] != '(' && buf[j] != ')' && buf[j] != '-')
			buf[i++] = buf[j];
	n = i;
	i = 0;
	if (n >= 3 && buf[0] == '+' && buf[1] == '8' && buf[2] == '6')
		i = 3;
	else if (n >= 4 && buf[0] == '0' && buf[1] == '0' && buf[2] == '8' && buf[3] == '6')
		i = 4;
	if (i == n)
		return HH_FIELD_EMPTY;	/* only punctuation or a country code */

	for (; i < n; i++)
	{
		if (buf[i] < '0' || buf[i] > '9' || ndigits == HH_PHONE_MAX)
		{
			out[0] = '\0';
			return HH_FIELD_INVALID;
		}
		out[ndigits++] = buf[i];
	}
	out[ndigits] = '\0';
	if (ndigits < 7)
	{
		out[0] = '\0';
		return HH_FIELD_INVALID;
	}
	return HH_FIELD_OK;
}
