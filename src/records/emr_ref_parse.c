/*
 * emr_ref_parse.c
 *		The text form of EMR document references (emr_ref_parse.h).
 */
#include <string.h>

#include "records/emr_ref_parse.h"

#define SECS_PER_DAY 86400

static const char *const alg_names[] = {[ER_SHA256] = "sha256", [ER_SM3] = "sm3"};

const char *
er_alg_name(int alg)
{
	return alg == ER_SHA256 || alg == ER_SM3 ? alg_names[alg] : NULL;
}

/* (in any case, as the digest's hex digits) */
int
er_alg_by_name(const char *s, size_t len)
{
	for (int alg = ER_SHA256; alg <= ER_SM3; alg++)
	{
		const char *name = alg_names[alg];
		size_t		i;

		if (strlen(name) != len)
			continue;
		for (i = 0; i < len && (s[i] == name[i] || (s[i] >= 'A' && s[i] <= 'Z' && s[i] - 'A' + 'a' == name[i])); i++)
			;
		if (i == len)
			return alg;
	}
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static bool
leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool
er_civil_to_time(int year, int month, int day, int hour, int minute, int second, int64_t *out)
{
	static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
		day > month_days[month - 1] + (month == 2 && leap_year(year)) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
		return false;
	*out = days_from_civil(year, month, day) * SECS_PER_DAY + hour * 3600 + minute * 60 + second;
	return true;
}

void
er_time_to_civil(int64_t t, int *year, int *month, int *day, int *hour, int *minute, int *second)
{
	int64_t		days = t / SECS_PER_DAY;
	int64_t		secs = t % SECS_PER_DAY;
	int64_t		era;
	int64_t		doe;
	int64_t		yoe;
	int64_t		doy;
	int64_t		mp;

	if (secs < 0)
	{
		secs += SECS_PER_DAY;
		days--;
	}
	/* H. Hinnant's civil_from_days */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
	*month = (int) (mp < 10 ? mp + 3 : mp - 9);
	*year = (int) (yoe + era * 400 + (*month <= 2));
	*hour = (int) (secs / 3600);
	*minute = (int) (secs / 60 % 60);
	*second = (int) (secs % 60);
}

bool
er_kind_ok(const char *s, size_t len)
{
	if (len < 1 || len > ER_KIND_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Letters, digits and . _ - / + : what hospitals' document numbers use,
 * without the separator or anything that needs quoting. */
bool
er_local_id_ok(const char *s, size_t len)
{
	if (len < 1 || len > ER_LOCAL_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '_' || c == '-' || c == '/' || c == '+'))
			return false;
	}
	return true;
}

static bool
digits(const char *s, size_t n, int *out)
{
	int			v = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* YYYYMMDDTHHMMSSZ */
static bool
parse_time(const char *s, size_t len, int64_t *out)
{
	int			y,
				mo,
				d,
				h,
				mi,
				se;

	return len == 16 && s[8] == 'T' && s[15] == 'Z' &&
		digits(s, 4, &y) && digits(s + 4, 2, &mo) && digits(s + 6, 2, &d) &&
		digits(s + 9, 2, &h) && digits(s + 11, 2, &mi) && digits(s + 13, 2, &se) &&
		er_civil_to_time(y, mo, d, h, mi, se, out);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

er_status
er_parse(const char *in, size_t len, er_value *out)
{
	const char *part[6];
	size_t		part_len[6];
	size_t		n = 0;
	const char *start;
	bool		unchecked;
	uscc_error	uerr;
	int			alg;

	while (len > 0 && ascii_space(in[0]))
	{
		in++;
		len--;
	}
	while (len > 0 && ascii_space(in[len - 1]))
		len--;
	if (len == 0)
		return ER_EMPTY;

	start = in;
	for (size_t i = 0; i <= len; i++)
	{
		if (i == len || in[i] == ':')
		{
			if (n == 6)
				return ER_BAD_FORMAT;
			part[n] = start;
			part_len[n] = (size_t) (in + i - start);
			n++;
			start = in + i + 1;
		}
	}
	if (n != 6)
		return ER_BAD_FORMAT;

	memset(out, 0, sizeof(*out));
	if (!er_kind_ok(part[0], part_len[0]))
		return ER_BAD_KIND;
	memcpy(out->kind, part[0], part_len[0]);
	out->kind_len = (uint8_t) part_len[0];

	/* exactly the 18 characters, every check passed */
	if (part_len[1] != 18 ||
		uscc_parse(part[1], part_len[1], false, &out->institution, &unchecked, &uerr) != USCC_OK || unchecked)
		return ER_BAD_INSTITUTION;

	if (!er_local_id_ok(part[2], part_len[2]))
		return ER_BAD_LOCAL_ID;
	memcpy(out->local_id, part[2], part_len[2]);
	out->local_id_len = (uint8_t) part_len[2];

	if (!parse_time(part[3], part_len[3], &out->service_time))
		return ER_BAD_TIME;

	alg = er_alg_by_name(part[4], part_len[4]);
	if (alg == 0)
		return ER_BAD_ALGORITHM;
	out->digest_alg = (uint8_t) alg;

	if (part_len[5] != 2 * ER_DIGEST_LEN)
		return ER_BAD_DIGEST;
	for (size_t i = 0; i < ER_DIGEST_LEN; i++)
	{
		int			hi = hex_value(part[5][2 * i]);
		int			lo = hex_value(part[5][2 * i + 1]);

		if (hi < 0 || lo < 0)
			return ER_BAD_DIGEST;
		out->digest[i] = (uint8_t) (hi << 4 | lo);
	}
	return ER_OK;
}

er_status
er_check(const er_value *v)
{
	bool		unchecked;
	uscc_error	uerr;

	if (!er_kind_ok(v->kind, v->kind_len))
		return ER_BAD_KIND;
	if (uscc_check_value(v->institution, &unchecked, &uerr) != USCC_OK || unchecked)
		return ER_BAD_INSTITUTION;
	if (!er_local_id_ok(v->local_id, v->local_id_len))
		return ER_BAD_LOCAL_ID;
	if (v->service_time < ER_TIME_MIN || v->service_time > ER_TIME_MAX)
		return ER_BAD_TIME;
	if (er_alg_name(v->digest_alg) == NULL)
		return ER_BAD_ALGORITHM;
	return ER_OK;
}

static char *
put(char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	return p + len;
}

static char *
put_digits(char *p, int v, int width)
{
	for (int i = width - 1; i >= 0; i--, v /= 10)
		p[i] = (char) ('0' + v % 10);
	return p + width;
}

size_t
er_format(const er_value *v, char out[ER_TEXT_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	char		inst[19];
	char	   *p = out;
	const char *alg = er_alg_name(v->digest_alg);
	int			y,
				mo,
				d,
				h,
				mi,
				s;

	uscc_chars(v->institution, inst);
	er_time_to_civil(v->service_time, &y, &mo, &d, &h, &mi, &s);
	p = put(p, v->kind, v->kind_len);
	*p++ = ':';
	p = put(p, inst, 18);
	*p++ = ':';
	p = put(p, v->local_id, v->local_id_len);
	*p++ = ':';
	p = put_digits(p, y, 4);
	p = put_digits(p, mo, 2);
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, h, 2);
	p = put_digits(p, mi, 2);
	p = put_digits(p, s, 2);
	*p++ = 'Z';
	*p++ = ':';
	p = put(p, alg, strlen(alg));
	*p++ = ':';
	for (size_t i = 0; i < ER_DIGEST_LEN; i++)
	{
		*p++ = hex[v->digest[i] >> 4];
		*p++ = hex[v->digest[i] & 15];
	}
	*p = '\0';
	return (size_t) (p - out);
}

static int
compare_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int			c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c < 0 ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

int
er_compare(const er_value *a, const er_value *b)
{
	int			c;

	if ((c = compare_bytes(a->kind, a->kind_len, b->kind, b->kind_len)) != 0)
		return c;
	if ((c = uscc_compare(a->institution, b->institution)) != 0)
		return c;
	if ((c = compare_bytes(a->local_id, a->local_id_len, b->local_id, b->local_id_len)) != 0)
		return c;
	if (a->service_time != b->service_time)
		return a->service_time < b->service_time ? -1 : 1;
	if (a->digest_alg != b->digest_alg)
		return a->digest_alg < b->digest_alg ? -1 : 1;
	return compare_bytes((const char *) a->digest, ER_DIGEST_LEN, (const char *) b->digest, ER_DIGEST_LEN);
}
