/*
 * fuzz_drug_code.c
 *		libFuzzer harness for national drug codes (src/rx/drug_code_parse.c).
 *
 * Text: dc_parse on the raw bytes, compared with a reference written from
 * the published layout: trim ASCII whitespace, 23 characters, X or Z, then
 * (for X) letter digit digit letter letter, a letter and three digits
 * twice, nine digits; letters of either case.  On success dc_format prints
 * the trimmed input in upper case, and the printed text re-parses to the
 * same 16 bytes.
 * Binary: any 16 bytes: dc_check must not crash; accepted bytes print a
 * code that parses back to them.
 * Order: two parsed codes compare as their printed texts do (strcmp).
 */
#include <stdlib.h>
#include <string.h>

#include "rx/drug_code_parse.h"
#include "reference.h"

static const uint8_t *g_data;
static size_t g_size;

#define CHECK(cond, ...) \
	do { if (!(cond)) { fuzz_print_bytes("input", g_data, g_size); FUZZ_CHECK(cond, __VA_ARGS__); } } while (0)

static bool
up(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
dig(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* The reference: the code's upper-case text, or false. */
static bool
ref_drug_code(const uint8_t *d, size_t n, char out[24])
{
	size_t		b = 0,
				e = n;

	while (b < e && ref_is_ascii_space(d[b]))
		b++;
	while (e > b && ref_is_ascii_space(d[e - 1]))
		e--;
	if (e - b != 23)
		return false;
	for (size_t i = 0; i < 23; i++)
	{
		uint8_t		c = d[b + i];

		out[i] = (char) (c >= 'a' && c <= 'z' ? c - 32 : c);
	}
	out[23] = '\0';
	if (out[0] != 'X' && out[0] != 'Z')
		return false;
	if (!up((uint8_t) out[1]))
		return false;
	for (int i = 2; i <= 5; i++)
		if (!(up((uint8_t) out[i]) || dig((uint8_t) out[i])))
			return false;
	if (out[0] == 'X' && !(dig((uint8_t) out[2]) && dig((uint8_t) out[3]) && up((uint8_t) out[4]) && up((uint8_t) out[5])))
		return false;
	if (!up((uint8_t) out[6]) || !up((uint8_t) out[10]))
		return false;
	for (int i = 7; i <= 9; i++)
		if (!dig((uint8_t) out[i]) || !dig((uint8_t) out[i + 4]))
			return false;
	for (int i = 14; i < 23; i++)
		if (!dig((uint8_t) out[i]))
			return false;
	return true;
}

static bool
parse_checked(const uint8_t *data, size_t size, dc_value *v, char text[24])
{
	char		ref[24];
	bool		ref_ok = ref_drug_code(data, size, ref);
	dc_status	st = dc_parse((const char *) data, size, v);
	dc_value	w;

	CHECK((st == DC_OK) == ref_ok, "parser says %d, reference says %s", (int) st, ref_ok ? "valid" : "invalid");
	if (st != DC_OK)
		return false;
	dc_format(v, text);
	CHECK(strcmp(text, ref) == 0, "printed %s, reference %s", text, ref);
	CHECK(dc_check(v) == DC_OK, "a parsed code fails dc_check");
	CHECK(dc_parse(text, DC_LEN, &w) == DC_OK && dc_compare(v, &w) == 0, "%s does not re-parse to itself", text);
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dc_value	a,
				b;
	char		ta[24],
				tb[24];
	size_t		half = size / 2;
	uint8_t    *copy = malloc(size ? size : 1);

	g_data = data;
	g_size = size;
	/* an exact-size copy: reads past the end are caught */
	memcpy(copy, data, size);
	parse_checked(copy, size, &a, ta);
	free(copy);

	if (parse_checked(data, half, &a, ta) && parse_checked(data + half, size - half, &b, tb))
	{
		int			c = dc_compare(&a, &b);
		int			s = strcmp(ta, tb);

		CHECK(c == (s > 0) - (s < 0), "compare %d, strcmp %d (%s, %s)", c, s, ta, tb);
	}

	if (size >= DC_PACKED)
	{
		dc_value	raw,
					back;
		char		text[24];

		memcpy(raw.b, data, DC_PACKED);
		if (dc_check(&raw) == DC_OK)
		{
			dc_format(&raw, text);
			CHECK(strlen(text) == DC_LEN && dc_parse(text, DC_LEN, &back) == DC_OK && dc_compare(&raw, &back) == 0,
				  "accepted bytes print %s, which does not parse back to them", text);
		}
	}
	return 0;
}
