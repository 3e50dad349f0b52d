/*
 * fuzz_health_identifier.c
 *		libFuzzer harness for kind:issuer:value identifiers
 *		(src/ident/health_identifier_parse.c).
 *
 * Text: hi_parse_text on the raw bytes.  On success:
 *   - hi_check_normalised accepts the value;
 *   - hi_format prints it, the text re-parses to an equal value (hi_compare
 *     and byte for byte) and re-prints the same text (fixed point);
 *   - the parts obey their kind's published rule (reference table below):
 *     region issuer = 6 digits accepted by ref_region_code_ok, institution
 *     issuer = a USCC accepted by ref_uscc_parse (with '?' iff a check
 *     fails), country = 3 capitals, China = "CHN", none = empty; values are
 *     [0-9A-Z] of the kind's length/shape, newborn = a canonical resident ID
 *     accepted by ref_rid_parse, '-', birth order 1..99.
 * Binary: the input laid out as a hi_value (kind, lengths, bytes):
 * hi_check_normalised must not crash, and a value it accepts must obey the
 * same rules and round-trip through text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident/health_identifier_parse.h"
#include "reference.h"

static const uint8_t *g_data;
static size_t g_size;

#define CHECK(cond, ...) \
	do { if (!(cond)) { fuzz_print_bytes("input", g_data, g_size); FUZZ_CHECK(cond, __VA_ARGS__); } } while (0)

enum issuer { REGION, INSTITUTION, COUNTRY, CHINA, NONE };

static const struct
{
	const char *name;
	enum issuer issuer;
	int			minlen;
	int			maxlen;
}			kinds[] = {
	[HI_MEDICAL_INSURANCE] = {"medical_insurance", REGION, 1, 32},
	[HI_SOCIAL_SECURITY_CARD] = {"social_security_card", REGION, 1, 32},
	[HI_HEALTH_CARD] = {"health_card", REGION, 1, 64},
	[HI_VISIT_CARD] = {"visit_card", INSTITUTION, 1, 32},
	[HI_PASSPORT] = {"passport", COUNTRY, 5, 9},
	[HI_HK_MACAU_PERMIT] = {"hk_macau_permit", CHINA, 9, 11},
	[HI_TAIWAN_PERMIT] = {"taiwan_permit", CHINA, 8, 8},
	[HI_FOREIGN_PERMANENT_LEGACY] = {"foreign_permanent_legacy", CHINA, 15, 15},
	[HI_NEWBORN] = {"newborn", NONE, 20, 21},
};

static bool
digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool
capitals(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return true;
}

static void
check_rules(const hi_value *v, const char *text)
{
	int			k = v->kind;
	const char *is = v->issuer;
	int			il = v->issuer_len;
	const char *val = v->value;
	int			vl = v->value_len;

	CHECK(k >= 1 && k <= HI_KIND_COUNT, "kind %d", k);
	CHECK(hi_kind_info(k) != NULL && strcmp(hi_kind_info(k)->name, kinds[k].name) == 0,
		  "kind %d name %s", k, hi_kind_info(k) ? hi_kind_info(k)->name : "(null)");
	CHECK(il <= HI_ISSUER_MAX && vl <= HI_VALUE_MAX, "lengths %d %d", il, vl);

	switch (kinds[k].issuer)
	{
		case REGION:
			CHECK(il == 6 && digits(is, 6) && ref_region_code_ok(atoi((char[]) {is[0], is[1], is[2], is[3], is[4], is[5], 0})),
				  "region issuer in %s", text);
			break;
		case INSTITUTION:
			{
				char		r[18];
				bool		unchecked = false;

				CHECK((il == 18 || il == 19) &&
					  ref_uscc_parse((const uint8_t *) is, (size_t) il, false, r, &unchecked) &&
					  memcmp(r, is, 18) == 0 && unchecked == (il == 19),
					  "institution issuer in %s", text);
			}
			break;
		case COUNTRY:
			CHECK(il == 3 && capitals(is, 3), "country issuer in %s", text);
			break;
		case CHINA:
			CHECK(il == 3 && memcmp(is, "CHN", 3) == 0, "China issuer in %s", text);
			break;
		case NONE:
			CHECK(il == 0, "issuer must be empty in %s", text);
			break;
	}

	CHECK(vl >= kinds[k].minlen && vl <= kinds[k].maxlen, "value length %d in %s", vl, text);
	if (k == HI_NEWBORN)
	{
		int64_t		body;

		CHECK(val[18] == '-' && ref_rid_parse((const uint8_t *) val, 18, &body) &&
			  digits(val + 19, vl - 19) && val[19] != '0', "newborn value in %s", text);
		{
			/* the mother's number is in canonical (18-character, upper) form */
			CHECK(val[17] != 'x', "lower-case x in %s", text);
		}
		return;
	}
	for (int i = 0; i < vl; i++)
		CHECK(digits(val + i, 1) || capitals(val + i, 1), "value character in %s", text);
	switch (k)
	{
		case HI_HK_MACAU_PERMIT:
			CHECK((vl == 9 || vl == 11) && (val[0] == 'H' || val[0] == 'M') && digits(val + 1, vl - 1),
				  "HK/Macau permit value in %s", text);
			break;
		case HI_TAIWAN_PERMIT:
			CHECK(digits(val, vl), "Taiwan permit value in %s", text);
			break;
		case HI_FOREIGN_PERMANENT_LEGACY:
			CHECK(capitals(val, 3) && digits(val + 3, 12), "legacy foreign permanent value in %s", text);
			break;
		default:
			break;
	}
}

static void
round_trip(const hi_value *v)
{
	hi_error	err;
	hi_value	v2;
	hi_status	st;
	char	   *s = malloc(HI_TEXT_MAX + 1);
	char	   *s2 = malloc(HI_TEXT_MAX + 1);
	size_t		n;
	size_t		n2;

	st = hi_check_normalised(v, &err);
	n = hi_format(v, s);
	CHECK(n == strlen(s) && n <= HI_TEXT_MAX, "hi_format length %zu", n);
	CHECK(st == HI_OK, "hi_check_normalised rejects parsed value \"%s\": %d", s, (int) st);
	check_rules(v, s);

	memset(&v2, 0x5A, sizeof(v2));
	st = hi_parse_text(s, n, &v2, &err);
	CHECK(st == HI_OK && hi_compare(v, &v2) == 0 && v2.kind == v->kind &&
		  v2.issuer_len == v->issuer_len && v2.value_len == v->value_len &&
		  memcmp(v2.issuer, v->issuer, v->issuer_len) == 0 &&
		  memcmp(v2.value, v->value, v->value_len) == 0,
		  "re-parse of \"%s\": status %d", s, (int) st);
	n2 = hi_format(&v2, s2);
	CHECK(n2 == n && memcmp(s, s2, n + 1) == 0, "print not a fixed point: \"%s\" -> \"%s\"", s, s2);
	free(s);
	free(s2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hi_value	v;
	hi_error	err;
	hi_status	st;

	g_data = data;
	g_size = size;
	memset(&v, 0xA5, sizeof(v));
	st = hi_parse_text((const char *) data, size, &v, &err);
	CHECK(st >= HI_OK && st <= HI_BAD_BINARY, "status %d", (int) st);
	if (st == HI_OK)
		round_trip(&v);

	/* binary: kind, issuer_len, value_len, then issuer bytes, value bytes */
	if (size >= 3)
	{
		hi_value	b;
		size_t		p = 3;

		memset(&b, 0, sizeof(b));
		b.kind = (uint8_t) (data[0] % (HI_KIND_COUNT + 2));
		b.issuer_len = (uint8_t) (data[1] % (HI_ISSUER_MAX + 2));
		b.value_len = (uint8_t) (data[2] % (HI_VALUE_MAX + 2));
		for (size_t i = 0; i < HI_ISSUER_MAX && i < b.issuer_len && p < size; i++)
			b.issuer[i] = (char) data[p++];
		for (size_t i = 0; i < HI_VALUE_MAX && i < b.value_len && p < size; i++)
			b.value[i] = (char) data[p++];
		st = hi_check_normalised(&b, &err);
		CHECK(st >= HI_OK && st <= HI_BAD_BINARY, "status %d", (int) st);
		if (st == HI_OK)
			round_trip(&b);
	}
	return 0;
}
