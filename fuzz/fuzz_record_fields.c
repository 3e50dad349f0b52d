/*
 * fuzz_record_fields.c
 *		libFuzzer harness for hh_parse_birth_date and hh_phone_digits
 *		(src/linkage/record_fields.c).
 *
 * Both must take any bytes without a crash or an overrun (the input and the
 * phone output are heap buffers of exactly their size) and return a defined
 * status.  A birth date they accept exists, is not before 1880, and reads
 * back the same from its YYYY-MM-DD and YYYYMMDD forms; a phone number they
 * accept is 7 to 15 ASCII digits that read back as themselves (unless they
 * start with a country code again); on anything else the output is empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkage/record_fields.h"
#include "reference.h"

static int
days_in(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : d[m - 1];
}

static void
check_birth_date(const uint8_t *data, size_t size)
{
	int			y = -1,
				m = -1,
				d = -1,
				y2,
				m2,
				d2;
	char		text[32];
	hh_field_status st = hh_parse_birth_date((const char *) data, size, &y, &m, &d);

	FUZZ_CHECK(st == HH_FIELD_EMPTY || st == HH_FIELD_OK || st == HH_FIELD_INVALID, "birth date status %d", (int) st);
	if (st != HH_FIELD_OK)
		return;
	FUZZ_CHECK(y >= HH_BIRTH_YEAR_MIN && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in(y, m),
			   "accepted %d-%d-%d", y, m, d);
	snprintf(text, sizeof(text), "%04d-%02d-%02d", y, m, d);
	FUZZ_CHECK(hh_parse_birth_date(text, strlen(text), &y2, &m2, &d2) == HH_FIELD_OK && y2 == y && m2 == m && d2 == d,
			   "%s does not read back", text);
	snprintf(text, sizeof(text), "%04d%02d%02d", y, m, d);
	FUZZ_CHECK(hh_parse_birth_date(text, strlen(text), &y2, &m2, &d2) == HH_FIELD_OK && y2 == y && m2 == m && d2 == d,
			   "%s does not read back", text);
}

static void
check_phone(const uint8_t *data, size_t size)
{
	char	   *out = malloc(HH_PHONE_MAX + 1);
	char		again[HH_PHONE_MAX + 1];
	hh_field_status st = hh_phone_digits((const char *) data, size, out);
	size_t		n;

	FUZZ_CHECK(st == HH_FIELD_EMPTY || st == HH_FIELD_OK || st == HH_FIELD_INVALID, "phone status %d", (int) st);
	n = strnlen(out, HH_PHONE_MAX + 1);
	FUZZ_CHECK(n <= HH_PHONE_MAX, "phone output not terminated");
	if (st != HH_FIELD_OK)
		FUZZ_CHECK(n == 0, "rejected phone left output '%s'", out);
	else
	{
		FUZZ_CHECK(n >= 7, "accepted phone '%s' is short", out);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(out[i] >= '0' && out[i] <= '9', "accepted phone '%s' is not digits", out);
		if (strncmp(out, "0086", 4) != 0)
			FUZZ_CHECK(hh_phone_digits(out, n, again) == HH_FIELD_OK && strcmp(again, out) == 0,
					   "phone '%s' does not read back", out);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t    *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	check_birth_date(copy, size);
	check_phone(copy, size);
	free(copy);
	return 0;
}
