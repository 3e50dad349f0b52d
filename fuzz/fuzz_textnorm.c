/*
 * fuzz_textnorm.c
 *		libFuzzer harness for hh_fold_ascii (src/core/textnorm.c).
 *
 * For every option combination, with a large output capacity and with one
 * of several small ones chosen by the input length (each a heap buffer of
 * exactly that size, so ASan sees any overrun), the result must
 * equal ref_fold's: the folded bytes, status, nchars, position and code
 * point.  ref_fold decodes strict UTF-8 (RFC 3629), so malformed sequences
 * (overlong forms, surrogates, > U+10FFFF) must be reported, never folded.
 * Also: the output is printable ASCII with
 * no whitespace, upper case under HH_FOLD_UPPER, and folding is idempotent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/textnorm.h"
#include "reference.h"

static const size_t caps[] = {0, 1, 6, 18, 19, 32, 64, 200};
#define NCAPS (sizeof(caps) / sizeof(caps[0]))

/* one heap buffer of exactly each capacity, so ASan sees any overrun */
static char *outbuf[NCAPS];

static void
one(const uint8_t *data, size_t size, int options, size_t ci)
{
	size_t		cap = caps[ci];
	char	   *out = outbuf[ci];
	char		rout[256];
	hh_fold_result res;
	ref_fold_result rres;
	size_t		n;
	size_t		rn;

	memset(&res, 0xAB, sizeof(res));
	n = hh_fold_ascii((const char *) data, size, out, cap, options, &res);
	rn = ref_fold(data, size, rout, cap, options, &rres);

	if (n != rn || (int) res.status != rres.status || res.nchars != rres.nchars ||
		res.position != rres.position || res.codepoint != rres.codepoint ||
		memcmp(out, rout, n) != 0)
	{
		fuzz_print_bytes("input", data, size);
		fprintf(stderr, "  options=%d outcap=%zu\n", options, cap);
		fuzz_print_bytes("hh_fold_ascii out", (const uint8_t *) out, n);
		fuzz_print_bytes("reference out   ", (const uint8_t *) rout, rn);
		FUZZ_CHECK(0, "hh_fold_ascii: status=%d nchars=%zu position=%zu codepoint=U+%04X; "
				   "reference: status=%d nchars=%zu position=%zu codepoint=U+%04X",
				   (int) res.status, res.nchars, res.position, (unsigned) res.codepoint,
				   rres.status, rres.nchars, rres.position, (unsigned) rres.codepoint);
	}

	FUZZ_CHECK(n <= cap, "wrote %zu > cap %zu", n, cap);
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) out[i];

		FUZZ_CHECK(c > 0x20 && c < 0x7F, "output byte 0x%02X not printable ASCII", c);
		if (options & HH_FOLD_UPPER)
			FUZZ_CHECK(!(c >= 'a' && c <= 'z'), "lower case '%c' under HH_FOLD_UPPER", c);
	}

	/* idempotent: folding the output again gives the output, status OK */
	if (res.status == HH_FOLD_OK)
	{
		char		again[256];
		hh_fold_result res2;
		size_t		n2 = hh_fold_ascii(out, n, again, n, options, &res2);

		FUZZ_CHECK(res2.status == HH_FOLD_OK && n2 == n && memcmp(again, out, n) == 0 &&
				   res2.nchars == n, "fold not idempotent (status %d, %zu -> %zu)",
				   (int) res2.status, n, n2);
		FUZZ_CHECK(res.nchars == n, "status OK but nchars %zu != written %zu", res.nchars, n);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready)
	{
		/* malloc(0) under ASan is a unique pointer with no usable bytes */
		for (size_t i = 0; i < NCAPS; i++)
			outbuf[i] = malloc(caps[i]);
		ready = true;
	}
	/* every option set, with room to spare and with one capacity picked by
	 * the input's length (so the fuzzer explores all of them) */
	for (int options = 0; options < 4; options++)
	{
		one(data, size, options, NCAPS - 1);
		one(data, size, options, (size + (size_t) options) % (NCAPS - 1));
	}
	return 0;
}
