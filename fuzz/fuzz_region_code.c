/*
 * fuzz_region_code.c
 *		libFuzzer harness for GB/T 2260 region codes
 *		(src/ident/region_code_parse.c).
 *
 * Text: region_parse on the raw bytes.  On success the code must pass
 * region_check_code, print as 6 digits, re-parse to the same code and
 * re-print the same text; region_nominal_level must match the digits.  For
 * pure-ASCII input, accept/reject and the code must equal ref_region_parse's
 * (reference.c: 6 ASCII digits after trimming, province-level digits 1-2,
 * no county part under prefecture part 00).
 * Binary: the first 4 bytes as an int32 (raw, and folded into 100000..999999):
 * region_check_code must agree with ref_region_code_ok; accepted codes must
 * round-trip through text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident/region_code_parse.h"
#include "reference.h"

static const uint8_t *g_data;
static size_t g_size;

#define CHECK(cond, ...) \
	do { if (!(cond)) { fuzz_print_bytes("input", g_data, g_size); FUZZ_CHECK(cond, __VA_ARGS__); } } while (0)

static void
round_trip(int32_t code)
{
	region_error err;
	region_status st;
	int32_t		code2 = -1;
	char	   *s = malloc(7);
	char	   *s2 = malloc(7);
	region_level want;

	st = region_check_code(code);
	CHECK(st == REGION_OK, "region_check_code(%d) = %d", (int) code, (int) st);
	region_format(code, s);
	CHECK(strlen(s) == 6, "region_format length %zu", strlen(s));
	st = region_parse(s, 6, &code2, &err);
	CHECK(st == REGION_OK && code2 == code, "re-parse of \"%s\": status %d code %d", s, (int) st, (int) code2);
	region_format(code2, s2);
	CHECK(strcmp(s, s2) == 0, "print not a fixed point: \"%s\" -> \"%s\"", s, s2);
	want = memcmp(s + 2, "0000", 4) == 0 ? REGION_PROVINCE :
		memcmp(s + 4, "00", 2) == 0 ? REGION_PREFECTURE : REGION_COUNTY;
	CHECK(region_nominal_level(code) == want, "region_nominal_level(%s) = %d", s,
		  (int) region_nominal_level(code));
	free(s);
	free(s2);
}

static void
binary(int32_t code)
{
	region_status st = region_check_code(code);
	bool		ref = ref_region_code_ok(code);

	CHECK((st == REGION_OK) == ref, "region_check_code(%d) = %d, reference %s",
		  (int) code, (int) st, ref ? "accepts" : "rejects");
	if (st == REGION_OK)
		round_trip(code);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t		code = -1;
	region_error err;
	region_status st;

	g_data = data;
	g_size = size;
	st = region_parse((const char *) data, size, &code, &err);
	CHECK(st >= REGION_OK && st <= REGION_BAD_STRUCTURE, "status %d", (int) st);
	if (st == REGION_OK)
		round_trip(code);
	if (ref_is_ascii(data, size))
	{
		int32_t		rcode = -1;
		bool		ref = ref_region_parse(data, size, &rcode);

		CHECK(ref == (st == REGION_OK) && (!ref || rcode == code),
			  "region_parse status %d code %d; reference %s code %d",
			  (int) st, (int) (st == REGION_OK ? code : -1), ref ? "accepts" : "rejects",
			  (int) (ref ? rcode : -1));
	}
	if (size >= 4)
	{
		uint32_t	raw;

		memcpy(&raw, data, 4);
		binary((int32_t) raw);
		binary((int32_t) (100000 + raw % 900000));
	}
	return 0;
}
