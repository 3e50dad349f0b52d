/*
 * fuzz_emr_ref.c
 *		libFuzzer harness for EMR document references
 *		(src/records/emr_ref_parse.c).
 *
 * Text: er_parse on the raw bytes.  On success:
 *   - er_check accepts the value;
 *   - er_format prints it; the text re-parses to an equal value and
 *     re-prints the same text (the canonical form is a fixed point);
 *   - the parts obey the published form: six colon-separated parts, kind
 *     [a-z][a-z0-9_]{0,39}, an 18-character USCC accepted by ref_uscc_parse
 *     with every check passed, local id [A-Za-z0-9._/+-]{1,64}, the time
 *     YYYYMMDDTHHMMSSZ a real date and time (ref_calendar_date, hours < 24,
 *     no leap second) whose seconds since 1970 equal glibc's timegm, sha256
 *     or sm3, 64 hex digits (printed in lower case).
 * Binary: the input laid out as an er_value: er_check must not crash, and a
 * value it accepts round-trips through its text.
 * Order: the first and second halves of a parsed pair compare antisymmetrically.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "records/emr_ref_parse.h"
#include "reference.h"

static const uint8_t *g_data;
static size_t g_size;

#define CHECK(cond, ...) \
	do { if (!(cond)) { fuzz_print_bytes("input", g_data, g_size); FUZZ_CHECK(cond, __VA_ARGS__); } } while (0)

static int
num(const char *s, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* The printed text, checked part by part against the published form. */
static void
check_printed(const char *text, size_t len, const er_value *v)
{
	const char *p[6];
	size_t		plen[6];
	size_t		n = 0;
	const char *start = text;
	struct tm	tm;

	for (size_t i = 0; i <= len; i++)
		if (i == len || text[i] == ':')
		{
			CHECK(n < 6, "more than six parts in \"%s\"", text);
			p[n] = start;
			plen[n++] = (size_t) (text + i - start);
			start = text + i + 1;
		}
	CHECK(n == 6, "%zu parts in \"%s\"", n, text);

	CHECK(plen[0] >= 1 && plen[0] <= 40 && p[0][0] >= 'a' && p[0][0] <= 'z', "kind of \"%s\"", text);
	for (size_t i = 0; i < plen[0]; i++)
		CHECK((p[0][i] >= 'a' && p[0][i] <= 'z') || (p[0][i] >= '0' && p[0][i] <= '9') || p[0][i] == '_',
			  "kind character in \"%s\"", text);

	{
		char		chars[18];
		bool		unchecked = true;

		CHECK(plen[1] == 18 && ref_uscc_parse((const uint8_t *) p[1], plen[1], false, chars, &unchecked) &&
			  !unchecked && memcmp(chars, p[1], 18) == 0, "institution of \"%s\"", text);
	}

	CHECK(plen[2] >= 1 && plen[2] <= 64, "local id length in \"%s\"", text);
	for (size_t i = 0; i < plen[2]; i++)
		CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+-", p[2][i]) != NULL,
			  "local id character in \"%s\"", text);

	CHECK(plen[3] == 16 && p[3][8] == 'T' && p[3][15] == 'Z', "time form in \"%s\"", text);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = num(p[3], 4) - 1900;
	tm.tm_mon = num(p[3] + 4, 2) - 1;
	tm.tm_mday = num(p[3] + 6, 2);
	tm.tm_hour = num(p[3] + 9, 2);
	tm.tm_min = num(p[3] + 11, 2);
	tm.tm_sec = num(p[3] + 13, 2);
	CHECK(num(p[3], 4) >= 1 && ref_calendar_date(num(p[3], 4), tm.tm_mon + 1, tm.tm_mday) &&
		  tm.tm_hour < 24 && tm.tm_min < 60 && tm.tm_sec < 60, "time of \"%s\"", text);
	CHECK((int64_t) timegm(&tm) == v->service_time, "time of \"%s\" is %lld s, timegm says %lld", text,
		  (long long) v->service_time, (long long) timegm(&tm));

	CHECK((plen[4] == 6 && memcmp(p[4], "sha256", 6) == 0) || (plen[4] == 3 && memcmp(p[4], "sm3", 3) == 0),
		  "algorithm of \"%s\"", text);
	CHECK(plen[5] == 64, "digest length in \"%s\"", text);
	for (size_t i = 0; i < 64; i++)
		CHECK(strchr("0123456789abcdef", p[5][i]) != NULL, "digest character in \"%s\"", text);
}

static void
round_trip(const er_value *v)
{
	char		text[ER_TEXT_MAX + 1];
	char		again[ER_TEXT_MAX + 1];
	size_t		len = er_format(v, text);
	er_value	w;
	er_status	st;

	CHECK(len == strlen(text) && len <= ER_TEXT_MAX, "printed length %zu", len);
	st = er_parse(text, len, &w);
	CHECK(st == ER_OK, "printed \"%s\" does not parse (%d)", text, (int) st);
	CHECK(er_compare(v, &w) == 0 && er_compare(&w, v) == 0, "\"%s\" re-parses to another value", text);
	CHECK(er_format(&w, again) == len && strcmp(text, again) == 0, "\"%s\" re-prints as \"%s\"", text, again);
	check_printed(text, len, v);
}

static bool
parse_part(const uint8_t *data, size_t size, er_value *v)
{
	er_status	st = er_parse((const char *) data, size, v);

	CHECK(st >= ER_OK && st <= ER_BAD_DIGEST, "status %d", (int) st);
	if (st != ER_OK)
		return false;
	CHECK(er_check(v) == ER_OK, "a parsed value fails er_check");
	round_trip(v);
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	er_value	a;
	er_value	b;
	er_value	raw;
	size_t		half = size / 2;
	uint8_t    *copy = malloc(size ? size : 1);

	g_data = data;
	g_size = size;
	/* an exact-size copy: reads past the end are caught */
	memcpy(copy, data, size);
	parse_part(copy, size, &a);
	free(copy);

	/* two halves: the order is antisymmetric and agrees with equality */
	if (parse_part(data, half, &a) && parse_part(data + half, size - half, &b))
	{
		int			ab = er_compare(&a, &b);
		int			ba = er_compare(&b, &a);

		CHECK(ab == -ba && ab >= -1 && ab <= 1, "compare %d / %d", ab, ba);
	}

	/* binary: any bytes as an er_value; lengths bounded as the glue bounds them */
	if (size >= sizeof(raw))
	{
		memcpy(&raw, data, sizeof(raw));
		if (raw.kind_len <= ER_KIND_MAX && raw.local_id_len <= ER_LOCAL_ID_MAX && er_check(&raw) == ER_OK)
			round_trip(&raw);
	}
	return 0;
}
