/*
 * fuzz_resident_id.c
 *		libFuzzer harness for GB 11643 resident IDs (src/ident/resident_id_parse.c).
 *
 * Text: rid_parse on the raw bytes.  On success the body must pass
 * rid_check_body, print as 18 characters whose check character is the MOD
 * 11-2 of the body, re-parse to the same body and re-print the same text
 * (the canonical form is a fixed point); the accessors must agree with the
 * printed digits.  For pure-ASCII input, accept/reject and the body must
 * equal ref_rid_parse's (reference.c).
 * Binary: the first 8 bytes as an int64 body (raw, and folded into the
 * 17-digit range): rid_check_body must agree with ref_rid_body_ok, and an
 * accepted body must round-trip through text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident/resident_id_parse.h"
#include "reference.h"

static void
round_trip(int64_t body, const uint8_t *data, size_t size)
{
	rid_error	err;
	char	   *s = malloc(19);
	char	   *s2 = malloc(19);
	int64_t		body2 = -1;
	int64_t		rbody = -1;
	rid_status	st;
	int			y, m, d;

	st = rid_check_body(body, &err);
	if (st != RID_OK)
		fuzz_print_bytes("input", data, size);
	FUZZ_CHECK(st == RID_OK, "parsed body %lld fails rid_check_body: %d", (long long) body, (int) st);

	rid_format(body, s);
	FUZZ_CHECK(strlen(s) == 18, "rid_format length %zu", strlen(s));
	FUZZ_CHECK(s[17] == rid_check_char(body), "rid_format/rid_check_char disagree");
	FUZZ_CHECK(s[17] == ref_rid_check_char(s), "check char %c, reference %c for %s",
			   s[17], ref_rid_check_char(s), s);

	st = rid_parse(s, 18, &body2, &err);
	FUZZ_CHECK(st == RID_OK && body2 == body, "re-parse of \"%s\": status %d body %lld (was %lld)",
			   s, (int) st, (long long) body2, (long long) body);
	rid_format(body2, s2);
	FUZZ_CHECK(memcmp(s, s2, 19) == 0, "print not a fixed point: \"%s\" -> \"%s\"", s, s2);
	FUZZ_CHECK(ref_rid_parse((const uint8_t *) s, 18, &rbody) && rbody == body,
			   "reference rejects printed form \"%s\"", s);

	/* accessors agree with the printed digits */
	rid_birth_date(body, &y, &m, &d);
	FUZZ_CHECK(y == atoi((char[]) {s[6], s[7], s[8], s[9], 0}) &&
			   m == (s[10] - '0') * 10 + (s[11] - '0') &&
			   d == (s[12] - '0') * 10 + (s[13] - '0'), "rid_birth_date %d-%d-%d for %s", y, m, d, s);
	FUZZ_CHECK(rid_sex(body) == (((s[16] - '0') % 2) ? 1 : 2), "rid_sex for %s", s);
	{
		int			lead = (s[0] - '0') * 10 + (s[1] - '0');
		rid_issuer	want = s[0] == '9' ? RID_FOREIGN_PERMANENT :
			lead == 81 ? RID_HONG_KONG : lead == 82 ? RID_MACAU :
			lead == 83 ? RID_TAIWAN : RID_CITIZEN;
		int32_t		region = s[0] == '9' ? ((s[1] - '0') * 10 + (s[2] - '0')) * 10000 :
			atoi((char[]) {s[0], s[1], s[2], s[3], s[4], s[5], 0});

		FUZZ_CHECK(rid_issuer_of(body) == want, "rid_issuer_of %d for %s", (int) rid_issuer_of(body), s);
		FUZZ_CHECK(rid_region(body) == region, "rid_region %d for %s", (int) rid_region(body), s);
	}
	free(s);
	free(s2);
}

static void
binary(int64_t body, const uint8_t *data, size_t size)
{
	rid_error	err;
	rid_status	st = rid_check_body(body, &err);
	bool		ref = ref_rid_body_ok(body);

	if ((st == RID_OK) != ref)
	{
		fuzz_print_bytes("input", data, size);
		FUZZ_CHECK(0, "rid_check_body(%lld) = %d, reference %s", (long long) body, (int) st,
				   ref ? "accepts" : "rejects");
	}
	if (st == RID_OK)
		round_trip(body, data, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t		body = -1;
	rid_error	err;
	rid_status	st;

	st = rid_parse((const char *) data, size, &body, &err);
	FUZZ_CHECK(st >= RID_OK && st <= RID_OUT_OF_RANGE, "status %d", (int) st);
	if (st == RID_OK)
		round_trip(body, data, size);

	if (ref_is_ascii(data, size))
	{
		int64_t		rbody = -1;
		bool		ref = ref_rid_parse(data, size, &rbody);

		if (ref != (st == RID_OK) || (ref && rbody != body))
		{
			fuzz_print_bytes("input", data, size);
			FUZZ_CHECK(0, "rid_parse status %d body %lld; reference %s body %lld",
					   (int) st, (long long) (st == RID_OK ? body : -1),
					   ref ? "accepts" : "rejects", (long long) (ref ? rbody : -1));
		}
	}

	if (size >= 8)
	{
		uint64_t	raw;

		memcpy(&raw, data, 8);
		binary((int64_t) raw, data, size);
		binary(RID_BODY_MIN + (int64_t) (raw % (uint64_t) (RID_BODY_MAX - RID_BODY_MIN + 1)), data, size);
	}
	return 0;
}
