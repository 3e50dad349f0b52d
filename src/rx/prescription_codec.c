/*
 * prescription_codec.c
 *		Electronic prescriptions: structural rules, binary form, JSON text.
 */
#include "rx/prescription_codec.h"

#include <stdio.h>
#include <string.h>

#include "records/emr_ref_parse.h"

/*
 * used_frqu_codg: the usual Latin abbreviations of hospital systems, with
 * how many administrations they mean per how many days.  "prn" (as needed)
 * has no fixed count; "st" (at once) is one administration.
 */
const rx_frequency rx_frequencies[] = {
	{"qd", 1, 1}, {"bid", 2, 1}, {"tid", 3, 1}, {"qid", 4, 1},
	{"q4h", 6, 1}, {"q6h", 4, 1}, {"q8h", 3, 1}, {"q12h", 2, 1},
	{"qn", 1, 1}, {"qod", 1, 2}, {"qw", 1, 7}, {"biw", 2, 7}, {"tiw", 3, 7},
	{"st", 1, 0}, {"prn", 0, 0}
};
const int	rx_frequency_count = sizeof(rx_frequencies) / sizeof(rx_frequencies[0]);

#define BEIJING_OFFSET (8 * 3600)

int
rx_frequency_by_code(const char *s, size_t len)
{
	for (int i = 0; i < rx_frequency_count; i++)
	{
		const char *c = rx_frequencies[i].code;

		if (strlen(c) == len)
		{
			size_t		k;

			for (k = 0; k < len; k++)
				if ((s[k] >= 'A' && s[k] <= 'Z' ? s[k] - 'A' + 'a' : s[k]) != c[k])
					break;
			if (k == len)
				return i;
		}
	}
	return -1;
}

bool
rx_rxno_ok(const char *s, size_t len)
{
	if (len < 1 || len > RX_RXNO_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
			  s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/* Any UTF-8 text but quotes, backslashes and control characters (片, mg, 粒). */
bool
rx_unit_ok(const char *s, size_t len)
{
	size_t		i = 0;

	if (len < 1 || len > RX_UNIT_MAX)
		return false;
	while (i < len)
	{
		unsigned char c = (unsigned char) s[i];
		int			n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;

		if (n == 0 || i + n > len || (n == 1 && (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == ' ')))
			return false;
		for (int k = 1; k < n; k++)
			if (((unsigned char) s[i + k] & 0xc0) != 0x80)
				return false;
		/* (shortest forms only, no surrogates, nothing above U+10FFFF) */
		if ((n == 2 && c < 0xc2) ||
			(n == 3 && ((c == 0xe0 && (unsigned char) s[i + 1] < 0xa0) || (c == 0xed && (unsigned char) s[i + 1] >= 0xa0))) ||
			(n == 4 && ((c == 0xf0 && (unsigned char) s[i + 1] < 0x90) || c > 0xf4 || (c == 0xf4 && (unsigned char) s[i + 1] >= 0x90))))
			return false;
		i += n;
	}
	return true;
}

/* ICD-10 in form, as healthhub.icd10_ok: J18.9, E11.900x002. */
bool
rx_icd10_ok(const char *s, size_t len)
{
	size_t		i = 3,
				k;

	if (len < 3 || len > RX_DIAG_MAX || !(s[0] >= 'A' && s[0] <= 'Z') ||
		!(s[1] >= '0' && s[1] <= '9') || !(s[2] >= '0' && s[2] <= '9'))
		return false;
	if (len == 3)
		return true;
	if (s[i++] != '.')
		return false;
	for (k = 0; i < len && k < 4 && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')); i++, k++)
		;
	if (k == 0)
		return false;
	if (i == len)
		return true;
	if (s[i++] != 'x' || len - i != 3)
		return false;
	for (; i < len; i++)
		if (!(s[i] >= '0' && s[i] <= '9'))
			return false;
	return true;
}

static int
num(const char *s, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool
rx_parse_time(const char *s, size_t len, int64_t *out)
{
	int64_t		t;

	if (len != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
		return false;
	if (!er_civil_to_time(num(s, 4), num(s + 5, 2), num(s + 8, 2), num(s + 11, 2), num(s + 14, 2), num(s + 17, 2), &t))
		return false;
	t -= BEIJING_OFFSET;
	/* (a time printable in Beijing time as four-digit years) */
	if (t < ER_TIME_MIN || t > ER_TIME_MAX - BEIJING_OFFSET)
		return false;
	*out = t;
	return true;
}

void
rx_format_time(int64_t t, char out[20])
{
	int			y,
				mo,
				d,
				h,
				mi,
				s;

	er_time_to_civil(t + BEIJING_OFFSET, &y, &mo, &d, &h, &mi, &s);
	snprintf(out, 20, "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, s);
}

bool
rx_parse_amount(const char *s, size_t len, int64_t *out)
{
	int64_t		v = 0;
	size_t		i = 0;
	int			decimals = -1;

	if (len == 0 || len > 20)
		return false;
	for (; i < len; i++)
	{
		if (s[i] == '.' && decimals < 0 && i > 0)
		{
			decimals = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || decimals == 3)
			return false;
		v = v * 10 + (s[i] - '0');
		if (v > RX_AMOUNT_MAX * 1000)
			return false;
		if (decimals >= 0)
			decimals++;
	}
	if (decimals == 0)			/* "5." */
		return false;
	for (int k = decimals < 0 ? 0 : decimals; k < 3; k++)
		v *= 10;
	if (v <= 0 || v > RX_AMOUNT_MAX)
		return false;
	*out = v;
	return true;
}

size_t
rx_format_amount(int64_t v, char *out)
{
	int			n = sprintf(out, "%lld", (long long) (v / 1000));
	int64_t		frac = v % 1000;

	if (frac != 0)
	{
		n += sprintf(out + n, ".%03lld", (long long) frac);
		while (out[n - 1] == '0')
			out[--n] = '\0';
	}
	return (size_t) n;
}

int64_t
rx_line_needed(const rx_line *l)
{
	const rx_frequency *f = &rx_frequencies[l->frequency];
	int64_t		n;

	if (f->per == 0)
		return -1;
	if (f->days == 0)			/* at once */
		return l->dose;
	/* dose x per x days / every, rounded up to a thousandth */
	n = l->dose * f->per * l->days;
	return (n + f->days - 1) / f->days;
}

#define FAIL(...) do { snprintf(detail, RX_DETAIL_MAX, __VA_ARGS__); return false; } while (0)

bool
rx_check(const rx_value *v, char detail[RX_DETAIL_MAX])
{
	if (!rx_rxno_ok(v->rxno, v->rxno_len))
		FAIL("hosp_rxno is 1 to %d letters, digits, - and _.", RX_RXNO_MAX);
	if (v->init_rxno_len > 0 && !rx_rxno_ok(v->init_rxno, v->init_rxno_len))
		FAIL("init_rxno is 1 to %d letters, digits, - and _.", RX_RXNO_MAX);
	if (v->init_rxno_len == v->rxno_len && v->rxno_len > 0 && memcmp(v->init_rxno, v->rxno, v->rxno_len) == 0)
		FAIL("init_rxno names the original of a renewal, not the prescription itself.");
	if (v->kind < RX_ORDINARY || v->kind > RX_LONG_TERM)
		FAIL("rx_type_code is 1 (ordinary), 2 (emergency), 3 (chronic) or 4 (long-term).");
	if (v->issued_at < ER_TIME_MIN || v->issued_at > ER_TIME_MAX - BEIJING_OFFSET)
		FAIL("prsc_time is not a time of years 1 to 9999.");
	if (v->valid_days < 1 || v->valid_days > RX_DAYS_MAX)
		FAIL("valid_days is 1 to %d.", RX_DAYS_MAX);
	if (v->dispenses < 1 || v->dispenses > 99)
		FAIL("max_rept_cnt is 1 to 99 dispenses.");
	if ((v->dispenses > 1) != (v->interval_days > 0))
		FAIL("A prescription dispensed more than once (max_rept_cnt > 1) has a minimum interval (min_inrv_days > 0), and only such a one.");
	if (v->interval_days > RX_DAYS_MAX)
		FAIL("min_inrv_days is at most %d.", RX_DAYS_MAX);
	if (v->n_diagnoses < 1 || v->n_diagnoses > RX_MAX_DIAGNOSES)
		FAIL("A prescription has 1 to %d diagnoses (diseinfo).", RX_MAX_DIAGNOSES);
	for (int i = 0; i < v->n_diagnoses; i++)
	{
		if (!rx_icd10_ok(v->diagnoses[i], v->diagnosis_len[i]))
			FAIL("diagnosis %d: diag_code is an ICD-10 code (J18.9, E11.900x002).", i + 1);
		for (int k = 0; k < i; k++)
			if (v->diagnosis_len[k] == v->diagnosis_len[i] &&
				memcmp(v->diagnoses[k], v->diagnoses[i], v->diagnosis_len[i]) == 0)
				FAIL("diagnosis %d repeats diagnosis %d.", i + 1, k + 1);
	}
	if (v->n_lines < 1 || v->n_lines > RX_MAX_LINES)
		FAIL("A prescription has 1 to %d drugs (rxdrugdetail).", RX_MAX_LINES);
	for (int i = 0; i < v->n_lines; i++)
	{
		const rx_line *l = &v->lines[i];
		int64_t		needed;
		bool		known = false;

		if (dc_check(&l->drug) != DC_OK)
			FAIL("drug %d: med_list_codg is not a drug code.", i + 1);
		for (int k = 0; k < i; k++)
			if (dc_compare(&v->lines[k].drug, &l->drug) == 0)
				FAIL("drug %d repeats drug %d: one line per drug.", i + 1, k + 1);
		if (l->dose <= 0 || l->dose > RX_AMOUNT_MAX)
			FAIL("drug %d: sin_doscnt is more than 0 and at most 1000000.", i + 1);
		if (!rx_unit_ok(l->unit, l->unit_len))
			FAIL("drug %d: sin_dosunt is 1 to %d bytes of text without spaces or quotes.", i + 1, RX_UNIT_MAX);
		if (l->frequency >= rx_frequency_count)
			FAIL("drug %d: used_frqu_codg is not a known frequency.", i + 1);
		if (l->days < 1 || l->days > RX_DAYS_MAX)
			FAIL("drug %d: medc_days is 1 to %d.", i + 1, RX_DAYS_MAX);
		if (l->total <= 0 || l->total > RX_AMOUNT_MAX)
			FAIL("drug %d: drug_totlnt is more than 0 and at most 1000000.", i + 1);
		needed = rx_line_needed(l);
		if (rx_frequencies[l->frequency].per > 0 && rx_frequencies[l->frequency].days == 0 && l->days != 1)
			FAIL("drug %d: used_frqu_codg st is one administration: medc_days is 1.", i + 1);
		/* the total covers the days, rounded up to at most one whole unit */
		if (needed >= 0 && (l->total < needed || l->total >= needed + 1000))
		{
			char		t[24],
						d[24],
						n[24];

			rx_format_amount(l->total, t);
			rx_format_amount(l->dose, d);
			rx_format_amount(needed, n);
			FAIL("drug %d: drug_totlnt %s is not sin_doscnt x used_frqu_codg x medc_days (%s x %s x %d = %s), rounded up to a whole unit at most.",
				 i + 1, t, d, rx_frequencies[l->frequency].code, (int) l->days, n);
		}
		if (l->diagnosis_len > 0)
		{
			for (int k = 0; k < v->n_diagnoses && !known; k++)
				known = v->diagnosis_len[k] == l->diagnosis_len &&
					memcmp(v->diagnoses[k], l->diagnosis, l->diagnosis_len) == 0;
			if (!known)
				FAIL("drug %d: dise_codg is not one of the prescription's diagnoses.", i + 1);
		}
	}
	return true;
}

/* ---------------------------------------------------------------- binary */

static uint8_t *
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) (v >> 8);
	p[1] = (uint8_t) v;
	return p + 2;
}

static uint8_t *
put_i64(uint8_t *p, int64_t v)
{
	uint64_t	u = (uint64_t) v;

	for (int i = 7; i >= 0; i--, u >>= 8)
		p[i] = (uint8_t) u;
	return p + 8;
}

static uint8_t *
put_str(uint8_t *p, const char *s, uint8_t len)
{
	*p++ = len;
	memcpy(p, s, len);
	return p + len;
}

size_t
rx_encode(const rx_value *v, uint8_t *out)
{
	uint8_t    *p = out;

	*p++ = RX_BINARY_VERSION;
	*p++ = v->kind;
	*p++ = (uint8_t) ((v->online ? 1 : 0) | (v->first_visit ? 2 : 0));
	*p++ = v->n_diagnoses;
	*p++ = v->n_lines;
	p = put_u16(p, v->valid_days);
	p = put_u16(p, v->dispenses);
	p = put_u16(p, v->interval_days);
	p = put_i64(p, v->issued_at);
	p = put_str(p, v->rxno, v->rxno_len);
	p = put_str(p, v->init_rxno, v->init_rxno_len);
	for (int i = 0; i < v->n_diagnoses; i++)
		p = put_str(p, v->diagnoses[i], v->diagnosis_len[i]);
	for (int i = 0; i < v->n_lines; i++)
	{
		const rx_line *l = &v->lines[i];

		memcpy(p, l->drug.b, DC_PACKED);
		p += DC_PACKED;
		p = put_i64(p, l->dose);
		p = put_i64(p, l->total);
		p = put_u16(p, l->days);
		*p++ = l->frequency;
		*p++ = l->hospital_approved ? 1 : 0;
		p = put_str(p, l->unit, l->unit_len);
		p = put_str(p, l->diagnosis, l->diagnosis_len);
	}
	return (size_t) (p - out);
}

typedef struct reader
{
	const uint8_t *p;
	const uint8_t *end;
	bool		ok;
} reader;

static const uint8_t *
take(reader *r, size_t n)
{
	const uint8_t *p = r->p;

	if (!r->ok || (size_t) (r->end - r->p) < n)
	{
		r->ok = false;
		return NULL;
	}
	r->p += n;
	return p;
}

static uint8_t
get_u8(reader *r)
{
	const uint8_t *p = take(r, 1);

	return p ? p[0] : 0;
}

static uint16_t
get_u16(reader *r)
{
	const uint8_t *p = take(r, 2);

	return p ? (uint16_t) ((p[0] << 8) | p[1]) : 0;
}

static int64_t
get_i64(reader *r)
{
	const uint8_t *p = take(r, 8);
	uint64_t	u = 0;

	if (p)
		for (int i = 0; i < 8; i++)
			u = (u << 8) | p[i];
	return (int64_t) u;
}

static uint8_t
get_str(reader *r, char *dst, size_t max)
{
	uint8_t		len = get_u8(r);
	const uint8_t *p;

	if (len > max)
	{
		r->ok = false;
		return 0;
	}
	p = take(r, len);
	if (p)
		memcpy(dst, p, len);
	return p ? len : 0;
}

bool
rx_decode(const uint8_t *in, size_t len, rx_value *v)
{
	reader		r = {in, in + len, true};
	uint8_t		flags;

	memset(v, 0, sizeof(*v));
	if (get_u8(&r) != RX_BINARY_VERSION)
		return false;
	v->kind = get_u8(&r);
	flags = get_u8(&r);
	v->online = (flags & 1) != 0;
	v->first_visit = (flags & 2) != 0;
	v->n_diagnoses = get_u8(&r);
	v->n_lines = get_u8(&r);
	if (flags > 3 || v->n_diagnoses > RX_MAX_DIAGNOSES || v->n_lines > RX_MAX_LINES)
		return false;
	v->valid_days = get_u16(&r);
	v->dispenses = get_u16(&r);
	v->interval_days = get_u16(&r);
	v->issued_at = get_i64(&r);
	v->rxno_len = get_str(&r, v->rxno, RX_RXNO_MAX);
	v->init_rxno_len = get_str(&r, v->init_rxno, RX_RXNO_MAX);
	for (int i = 0; i < v->n_diagnoses; i++)
		v->diagnosis_len[i] = get_str(&r, v->diagnoses[i], RX_DIAG_MAX);
	for (int i = 0; i < v->n_lines; i++)
	{
		rx_line    *l = &v->lines[i];
		const uint8_t *p = take(&r, DC_PACKED);
		uint8_t		approved;

		if (p)
			memcpy(l->drug.b, p, DC_PACKED);
		l->dose = get_i64(&r);
		l->total = get_i64(&r);
		l->days = get_u16(&r);
		l->frequency = get_u8(&r);
		approved = get_u8(&r);
		if (approved > 1)
			return false;
		l->hospital_approved = approved == 1;
		l->unit_len = get_str(&r, l->unit, RX_UNIT_MAX);
		l->diagnosis_len = get_str(&r, l->diagnosis, RX_DIAG_MAX);
	}
	return r.ok && r.p == r.end;
}

/* ------------------------------------------------------------------ JSON */

static size_t
put_json_string(char *out, const char *key, const char *s, size_t len, bool first)
{
	return (size_t) sprintf(out, "%s\"%s\": \"%.*s\"", first ? "" : ", ", key, (int) len, s);
}

size_t
rx_format_json(const rx_value *v, char *out)
{
	char	   *p = out;
	char		when[20];
	char		amount[24];

	p += sprintf(p, "{");
	p += put_json_string(p, "hosp_rxno", v->rxno, v->rxno_len, true);
	if (v->init_rxno_len > 0)
		p += put_json_string(p, "init_rxno", v->init_rxno, v->init_rxno_len, false);
	p += sprintf(p, ", \"rx_type_code\": \"%d\", \"long_rx_flag\": \"%d\"", v->kind, v->kind == RX_LONG_TERM);
	rx_format_time(v->issued_at, when);
	p += sprintf(p, ", \"prsc_time\": \"%s\", \"valid_days\": %d", when, v->valid_days);
	p += sprintf(p, ", \"biz_type_code\": \"%s\", \"fstdiag_flag\": \"%d\"", v->online ? "02" : "01", v->first_visit);
	p += sprintf(p, ", \"rept_flag\": \"%d\", \"max_rept_cnt\": %d, \"min_inrv_days\": %d",
				 v->dispenses > 1, v->dispenses, v->interval_days);
	p += sprintf(p, ", \"diseinfo\": [");
	for (int i = 0; i < v->n_diagnoses; i++)
		p += sprintf(p, "%s{\"diag_code\": \"%.*s\"}", i ? ", " : "", (int) v->diagnosis_len[i], v->diagnoses[i]);
	p += sprintf(p, "], \"rxdrugdetail\": [");
	for (int i = 0; i < v->n_lines; i++)
	{
		const rx_line *l = &v->lines[i];
		char		code[DC_LEN + 1];

		dc_format(&l->drug, code);
		p += sprintf(p, "%s{\"med_list_codg\": \"%s\"", i ? ", " : "", code);
		rx_format_amount(l->dose, amount);
		p += sprintf(p, ", \"sin_doscnt\": %s", amount);
		p += put_json_string(p, "sin_dosunt", l->unit, l->unit_len, false);
		p += sprintf(p, ", \"used_frqu_codg\": \"%s\", \"medc_days\": %d", rx_frequencies[l->frequency].code, l->days);
		rx_format_amount(l->total, amount);
		p += sprintf(p, ", \"drug_totlnt\": %s, \"hosp_appr_flag\": \"%d\"", amount, l->hospital_approved);
		if (l->diagnosis_len > 0)
			p += put_json_string(p, "dise_codg", l->diagnosis, l->diagnosis_len, false);
		p += sprintf(p, "}");
	}
	p += sprintf(p, "]}");
	return (size_t) (p - out);
}
