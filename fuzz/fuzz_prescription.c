/*
 * fuzz_prescription.c
 *		libFuzzer harness for prescriptions (src/rx/prescription_codec.c and
 *		src/rx/prescription_json.c, over PostgreSQL's JSON parser from
 *		libpgcommon).
 *
 * Text: rx_parse_json on the raw bytes.  On success:
 *   - rx_check accepts the value;
 *   - the binary form decodes to a value that encodes to the same bytes;
 *   - the JSON text re-parses to the same binary form, and re-prints the same
 *     text (the canonical form is a fixed point);
 *   - the printed text obeys the rules, checked by a reference that reads it
 *     naively: 1 to 5 drug lines, 1 to 10 diagnoses, and for each line of a
 *     fixed frequency a total of at least dose x frequency x days and less
 *     than one unit more (recomputed in whole thousandths from the printed
 *     decimals and the published frequency table).
 * Binary: any bytes as the stored form: rx_decode must not crash; a decoded
 * value rx_check accepts prints a text that parses back to those bytes.
 */
#include "postgres_fe.h"

#include <stdlib.h>
#include <string.h>

#include "mb/pg_wchar.h"
#include "rx/prescription_json.h"
#include "reference.h"

static const uint8_t *g_data;
static size_t g_size;

#define CHECK(cond, ...) \
	do { if (!(cond)) { fuzz_print_bytes("input", g_data, g_size); FUZZ_CHECK(cond, __VA_ARGS__); } } while (0)

/* The value of "key": after it in s (from p), as a number in thousandths. */
static const char *
field(const char *from, const char *end, const char *key)
{
	size_t		k = strlen(key);

	for (const char *p = from; p + k < end; p++)
		if (p[0] == '"' && memcmp(p + 1, key, k) == 0 && p[1 + k] == '"')
			return p + k + 4;	/* past "key": and the space */
	return NULL;
}

static long long
thousandths(const char *p)
{
	long long	v = 0;
	int			dec = -1;

	if (*p == '"')
		p++;
	for (; (*p >= '0' && *p <= '9') || *p == '.'; p++)
	{
		if (*p == '.')
		{
			dec = 0;
			continue;
		}
		if (dec >= 0)
			dec++;
		v = v * 10 + (*p - '0');
	}
	for (int i = dec < 0 ? 0 : dec; i < 3; i++)
		v *= 10;
	return v;
}

/* per, days of a frequency code as printed (the published table) */
static bool
frequency(const char *p, int *per, int *every)
{
	static const struct { const char *c; int per, every; } t[] = {
		{"\"qd\"", 1, 1}, {"\"bid\"", 2, 1}, {"\"tid\"", 3, 1}, {"\"qid\"", 4, 1}, {"\"q4h\"", 6, 1},
		{"\"q6h\"", 4, 1}, {"\"q8h\"", 3, 1}, {"\"q12h\"", 2, 1}, {"\"qn\"", 1, 1}, {"\"qod\"", 1, 2},
		{"\"qw\"", 1, 7}, {"\"biw\"", 2, 7}, {"\"tiw\"", 3, 7}, {"\"st\"", 1, 0}, {"\"prn\"", 0, 0}};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strncmp(p, t[i].c, strlen(t[i].c)) == 0)
		{
			*per = t[i].per;
			*every = t[i].every;
			return true;
		}
	return false;
}

static void
check_printed(const char *text)
{
	const char *end = text + strlen(text);
	const char *lines = field(text, end, "rxdrugdetail");
	const char *p;
	int			n = 0,
				diagnoses = 0;

	CHECK(lines != NULL, "no rxdrugdetail in %s", text);
	for (p = text; (p = field(p, lines, "diag_code")) != NULL;)
		diagnoses++;
	CHECK(diagnoses >= 1 && diagnoses <= 10, "%d diagnoses in %s", diagnoses, text);
	for (p = lines; (p = field(p, end, "med_list_codg")) != NULL; n++)
	{
		const char *next = field(p, end, "med_list_codg");
		const char *stop = next ? next : end;
		const char *dose = field(p, stop, "sin_doscnt");
		const char *freq = field(p, stop, "used_frqu_codg");
		const char *days = field(p, stop, "medc_days");
		const char *total = field(p, stop, "drug_totlnt");
		int			per,
					every;

		CHECK(dose && freq && days && total && frequency(freq, &per, &every), "line %d of %s", n + 1, text);
		if (per > 0)
		{
			long long	d = thousandths(dose);
			long long	t = thousandths(total);
			long long	k = atoll(days);
			long long	need = every == 0 ? d : (d * per * k + every - 1) / every;

			CHECK(every != 0 || k == 1, "st over %lld days in %s", k, text);
			CHECK(t >= need && t < need + 1000, "line %d: total %lld, needed %lld in %s", n + 1, t, need, text);
		}
	}
	CHECK(n >= 1 && n <= 5, "%d lines in %s", n, text);
}

/* Binary form, text, binary again: the same bytes and the same text. */
static void
round_trip(const rx_value *v, const uint8_t *bytes, size_t len)
{
	static char text[RX_JSON_MAX + 1];
	static char again_text[RX_JSON_MAX + 1];
	uint8_t		again[RX_BINARY_MAX];
	char		detail[RX_DETAIL_MAX];
	rx_value	w;
	size_t		tlen = rx_format_json(v, text);

	CHECK(tlen == strlen(text) && tlen <= RX_JSON_MAX, "printed length %zu", tlen);
	CHECK(rx_parse_json(text, tlen, PG_UTF8, &w, detail), "printed %s does not parse: %s", text, detail);
	CHECK(rx_encode(&w, again) == len && memcmp(again, bytes, len) == 0, "%s re-parses to other bytes", text);
	CHECK(rx_format_json(&w, again_text) == tlen && strcmp(text, again_text) == 0, "%s re-prints as %s", text, again_text);
	check_printed(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rx_value	v,
				d;
	uint8_t		bytes[RX_BINARY_MAX];
	char		detail[RX_DETAIL_MAX];
	char	   *copy = malloc(size ? size : 1);

	g_data = data;
	g_size = size;
	memcpy(copy, data, size);
	if (rx_parse_json(copy, size, PG_UTF8, &v, detail))
	{
		size_t		len = rx_encode(&v, bytes);

		CHECK(len <= RX_BINARY_MAX, "binary length %zu", len);
		CHECK(rx_check(&v, detail), "a parsed value fails rx_check: %s", detail);
		CHECK(rx_decode(bytes, len, &d), "its binary form does not decode");
		round_trip(&d, bytes, len);
	}
	else
		CHECK(strlen(detail) > 0 && strlen(detail) < RX_DETAIL_MAX, "a refusal without a reason");
	free(copy);

	/* any bytes as the stored form */
	if (size <= RX_BINARY_MAX && rx_decode(data, size, &d) && rx_check(&d, detail))
		round_trip(&d, data, size);
	return 0;
}
