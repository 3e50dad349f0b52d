/*
 * fuzz_uscc.c
 *		libFuzzer harness for GB 32100 unified social credit codes
 *		(src/ident/uscc_parse.c).
 *
 * Text: uscc_parse on the raw bytes, with accept_unchecked false and true.
 * On success the value must be in range (two 45-bit halves), pass
 * uscc_check_value with the same "unchecked" flag, print (with the '?' mark
 * exactly when a check fails), re-parse without accept_unchecked to the same
 * value and re-print the same text (canonical form is a fixed point).  For
 * pure-ASCII input, accept/reject, the 18 characters and the unchecked flag
 * must equal ref_uscc_parse's (reference.c).
 * Binary: the first 16 bytes as (hi, lo), raw and masked to 45 bits:
 * uscc_check_value must agree with the reference (every 5-bit group <= 30,
 * same structure rules), and an accepted value must round-trip through
 * text; uscc_compare must order values as their text sorts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident/uscc_parse.h"
#include "reference.h"

static const uint8_t *g_data;
static size_t g_size;

#define CHECK(cond, ...) \
	do { if (!(cond)) { fuzz_print_bytes("input", g_data, g_size); FUZZ_CHECK(cond, __VA_ARGS__); } } while (0)

static void
round_trip(uscc_value v, bool unchecked)
{
	uscc_error	err;
	bool		u2 = !unchecked;
	bool		ru = !unchecked;
	uscc_value	v2 = {0, 0};
	uscc_status st;
	char	   *s = malloc(20);
	char	   *s2 = malloc(20);
	char	   *c = malloc(19);
	size_t		len;

	CHECK((v.hi >> 45) == 0 && (v.lo >> 45) == 0, "value out of 45 bits: %llx %llx",
		  (unsigned long long) v.hi, (unsigned long long) v.lo);
	st = uscc_check_value(v, &u2, &err);
	CHECK(st == USCC_OK && u2 == unchecked, "uscc_check_value: status %d unchecked %d (parse said %d)",
		  (int) st, u2, unchecked);
	CHECK(uscc_passes_checks(v) == !unchecked, "uscc_passes_checks disagrees with unchecked=%d", unchecked);

	uscc_format(v, s);
	uscc_chars(v, c);
	len = strlen(s);
	CHECK(strlen(c) == 18 && memcmp(s, c, 18) == 0, "uscc_format \"%s\" vs uscc_chars \"%s\"", s, c);
	CHECK(len == (unchecked ? 19u : 18u) && (!unchecked || s[18] == USCC_UNCHECKED_MARK),
		  "printed \"%s\" for unchecked=%d", s, unchecked);
	CHECK(ref_uscc_structure(c, &ru) && ru == unchecked,
		  "reference structure of \"%s\": unchecked %d", c, ru);

	st = uscc_parse(s, len, false, &v2, &u2, &err);
	CHECK(st == USCC_OK && uscc_compare(v, v2) == 0 && v.hi == v2.hi && v.lo == v2.lo && u2 == unchecked,
		  "re-parse of \"%s\": status %d", s, (int) st);
	uscc_format(v2, s2);
	CHECK(strcmp(s, s2) == 0, "print not a fixed point: \"%s\" -> \"%s\"", s, s2);
	free(s);
	free(s2);
	free(c);
}

/* reference for uscc_check_value */
static bool
ref_binary(uscc_value v, bool *unchecked)
{
	char		c[18];

	if ((v.hi >> 45) || (v.lo >> 45))
		return false;
	for (int i = 0; i < 18; i++)
	{
		uint64_t	half = i < 9 ? v.hi : v.lo;
		int			shift = 5 * (8 - (i % 9));
		int			g = (int) ((half >> shift) & 31);

		if (g > 30)
			return false;
		c[i] = ref_uscc_char(g);
	}
	return ref_uscc_structure(c, unchecked);
}

static bool
binary(uscc_value v)
{
	uscc_error	err;
	bool		unchecked = false;
	bool		runchecked = false;
	uscc_status st = uscc_check_value(v, &unchecked, &err);
	bool		ref = ref_binary(v, &runchecked);

	CHECK((st == USCC_OK) == ref && (!ref || unchecked == runchecked),
		  "uscc_check_value(%llx, %llx) = %d unchecked %d; reference %s unchecked %d",
		  (unsigned long long) v.hi, (unsigned long long) v.lo, (int) st, unchecked,
		  ref ? "accepts" : "rejects", runchecked);
	if (st == USCC_OK)
		round_trip(v, unchecked);
	return st == USCC_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool		have_text = false;
	uscc_value	text_value = {0, 0};

	g_data = data;
	g_size = size;
	for (int accept = 0; accept < 2; accept++)
	{
		uscc_value	v = {0, 0};
		bool		unchecked = false;
		uscc_error	err;
		uscc_status st = uscc_parse((const char *) data, size, accept, &v, &unchecked, &err);

		CHECK(st >= USCC_OK && st <= USCC_BAD_BINARY, "status %d", (int) st);
		if (st == USCC_OK)
		{
			round_trip(v, unchecked);
			have_text = true;
			text_value = v;
		}
		if (ref_is_ascii(data, size))
		{
			char		r[18];
			char		c[19];
			bool		runchecked = false;
			bool		ref = ref_uscc_parse(data, size, accept, r, &runchecked);

			if (st == USCC_OK)
				uscc_chars(v, c);
			CHECK(ref == (st == USCC_OK) &&
				  (!ref || (memcmp(r, c, 18) == 0 && runchecked == unchecked)),
				  "uscc_parse(accept_unchecked=%d) status %d unchecked %d; reference %s unchecked %d",
				  accept, (int) st, unchecked, ref ? "accepts" : "rejects", runchecked);
		}
	}

	if (size >= 16)
	{
		uscc_value	v;
		const uint64_t mask = (UINT64_C(1) << 45) - 1;

		memcpy(&v.hi, data, 8);
		memcpy(&v.lo, data + 8, 8);
		binary(v);
		v.hi &= mask;
		v.lo &= mask;
		if (binary(v) && have_text)
		{
			char		a[19];
			char		b[19];
			int			t;

			uscc_chars(text_value, a);
			uscc_chars(v, b);
			t = strcmp(a, b);
			t = (t > 0) - (t < 0);
			CHECK(uscc_compare(text_value, v) == t, "uscc_compare(%s, %s) = %d, text order %d",
				  a, b, uscc_compare(text_value, v), t);
		}
	}
	return 0;
}
