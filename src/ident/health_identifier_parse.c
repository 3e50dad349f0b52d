/*
 * health_identifier_parse.c
 *		Issuer-scoped identifiers and their per-kind rules.
 */
#include "ident/health_identifier_parse.h"

#include <string.h>

#include "core/textnorm.h"
#include "ident/region_code_parse.h"
#include "ident/resident_id_parse.h"
#include "ident/uscc_parse.h"

/* Indexed by hi_kind; the codes are stored on disk, so never renumber. */
static const hi_kind_def kinds[HI_KIND_COUNT + 1] = {
	{NULL, HI_ISSUER_NONE, NULL},
	{"medical_insurance", HI_ISSUER_REGION, "1 to 32 letters or digits"},
	{"social_security_card", HI_ISSUER_REGION, "1 to 32 letters or digits"},
	{"health_card", HI_ISSUER_REGION, "1 to 64 letters or digits"},
	{"visit_card", HI_ISSUER_INSTITUTION, "1 to 32 letters or digits"},
	{"passport", HI_ISSUER_COUNTRY, "5 to 9 letters or digits"},
	{"hk_macau_permit", HI_ISSUER_CHINA, "H or M followed by 8 or 10 digits"},
	{"taiwan_permit", HI_ISSUER_CHINA, "8 digits"},
	{"foreign_permanent_legacy", HI_ISSUER_CHINA, "3 letters followed by 12 digits"},
	{"newborn", HI_ISSUER_NONE, "the mother's resident ID number, a hyphen and the birth order 1 to 99"},
};

const hi_kind_def *
hi_kind_info(int kind)
{
	if (kind < 1 || kind > HI_KIND_COUNT)
		return NULL;
	return &kinds[kind];
}

int
hi_kind_by_name(const char *name, size_t len)
{
	char		buf[32];
	hh_fold_result fold;
	size_t		n;

	n = hh_fold_ascii(name, len, buf, sizeof(buf), 0, &fold);
	if (fold.status != HH_FOLD_OK)
		return 0;
	for (int k = 1; k <= HI_KIND_COUNT; k++)
	{
		if (strlen(kinds[k].name) == n && memcmp(kinds[k].name, buf, n) == 0)
			return k;
	}
	return 0;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static hi_status
parse_issuer(hi_issuer_rule rule, const char *in, size_t len, hi_value *out, hi_error *err)
{
	char		buf[HI_ISSUER_MAX];
	hh_fold_result fold;
	size_t		n;

	n = hh_fold_ascii(in, len, buf, sizeof(buf), HH_FOLD_UPPER, &fold);
	if (fold.status != HH_FOLD_OK)
	{
		err->position = fold.position;
		err->codepoint = fold.codepoint;
		return HI_BAD_ISSUER;
	}
	switch (rule)
	{
		case HI_ISSUER_REGION:
			{
				int32_t		code;
				region_error rerr;

				if (region_parse(buf, n, &code, &rerr) != REGION_OK)
					return HI_BAD_ISSUER;
				region_format(code, out->issuer);
				out->issuer_len = 6;
				return HI_OK;
			}
		case HI_ISSUER_INSTITUTION:
			{
				uscc_value code;
				uscc_error uerr;
				bool		unchecked;
				char		text[20];

				if (uscc_parse(buf, n, false, &code, &unchecked, &uerr) != USCC_OK)
					return HI_BAD_ISSUER;
				uscc_format(code, text);
				out->issuer_len = (uint8_t) strlen(text);
				memcpy(out->issuer, text, out->issuer_len);
				return HI_OK;
			}
		case HI_ISSUER_COUNTRY:
			if (n != 3 || !is_upper(buf[0]) || !is_upper(buf[1]) || !is_upper(buf[2]))
				return HI_BAD_ISSUER;
			memcpy(out->issuer, buf, 3);
			out->issuer_len = 3;
			return HI_OK;
		case HI_ISSUER_CHINA:
			if (n != 0 && !(n == 3 && memcmp(buf, "CHN", 3) == 0))
				return HI_BAD_ISSUER;
			memcpy(out->issuer, "CHN", 3);
			out->issuer_len = 3;
			return HI_OK;
		case HI_ISSUER_NONE:
			if (n != 0)
				return HI_BAD_ISSUER;
			out->issuer_len = 0;
			return HI_OK;
	}
	return HI_BAD_ISSUER;
}

static hi_status
parse_newborn(const char *buf, size_t n, hi_value *out, hi_error *err)
{
	const char *dash = memchr(buf, '-', n);
	size_t		idlen;
	size_t		olen;
	int64_t		body;
	rid_error	rerr;

	if (dash == NULL)
		return HI_BAD_VALUE;
	idlen = (size_t) (dash - buf);
	olen = n - idlen - 1;
	if (rid_parse(buf, idlen, &body, &rerr) != RID_OK)
		return HI_BAD_VALUE;
	if (olen < 1 || olen > 2 || !all_digits(dash + 1, olen) || dash[1] == '0')
	{
		err->position = idlen + 2;
		return HI_BAD_VALUE;
	}
	rid_format(body, out->value);
	out->value[18] = '-';
	memcpy(out->value + 19, dash + 1, olen);
	out->value_len = (uint8_t) (19 + olen);
	return HI_OK;
}

static hi_status
parse_value(hi_kind kind, const char *in, size_t len, hi_value *out, hi_error *err)
{
	char		buf[HI_VALUE_MAX];
	hh_fold_result fold;
	size_t		n;
	size_t		maxlen = 32;
	size_t		minlen = 1;

	if (kind == HI_NEWBORN)
	{
		/* the mother's number keeps its own folding; only trim here */
		n = hh_fold_ascii(in, len, buf, sizeof(buf), HH_FOLD_UPPER, &fold);
		if (fold.status != HH_FOLD_OK)
		{
			err->position = fold.position;
			err->codepoint = fold.codepoint;
			return HI_BAD_VALUE;
		}
		return parse_newborn(buf, n, out, err);
	}

	/* card numbers are typed with spaces and hyphens between groups */
	n = hh_fold_ascii(in, len, buf, sizeof(buf), HH_FOLD_UPPER | HH_FOLD_DROP_INNER_SPACE, &fold);
	if (fold.status != HH_FOLD_OK)
	{
		err->position = fold.position;
		err->codepoint = fold.codepoint;
		return HI_BAD_VALUE;
	}
	{
		size_t		w = 0;

		for (size_t i = 0; i < n; i++)
			if (buf[i] != '-')
				buf[w++] = buf[i];
		n = w;
	}
	for (size_t i = 0; i < n; i++)
	{
		if (!is_digit(buf[i]) && !is_upper(buf[i]))
		{
			err->position = i + 1;
			err->codepoint = (unsigned char) buf[i];
			return HI_BAD_VALUE;
		}
	}

	switch (kind)
	{
		case HI_HEALTH_CARD:
			maxlen = 64;
			break;
		case HI_PASSPORT:
			minlen = 5;
			maxlen = 9;
			break;
		case HI_HK_MACAU_PERMIT:
			if (!((n == 9 || n == 11) && (buf[0] == 'H' || buf[0] == 'M') && all_digits(buf + 1, n - 1)))
				return HI_BAD_VALUE;
			break;
		case HI_TAIWAN_PERMIT:
			if (!(n == 8 && all_digits(buf, n)))
				return HI_BAD_VALUE;
			break;
		case HI_FOREIGN_PERMANENT_LEGACY:
			if (!(n == 15 && is_upper(buf[0]) && is_upper(buf[1]) && is_upper(buf[2]) &&
				  all_digits(buf + 3, 12)))
				return HI_BAD_VALUE;
			break;
		default:
			break;
	}
	if (n < minlen || n > maxlen)
		return HI_BAD_VALUE;
	memcpy(out->value, buf, n);
	out->value_len = (uint8_t) n;
	return HI_OK;
}

hi_status
hi_parse_parts(const char *kind, size_t kind_len,
			   const char *issuer, size_t issuer_len,
			   const char *value, size_t value_len,
			   hi_value *out, hi_error *err)
{
	int			k;
	hi_status	st;

	memset(err, 0, sizeof(*err));
	memset(out, 0, sizeof(*out));
	k = hi_kind_by_name(kind, kind_len);
	if (k == 0)
		return HI_BAD_KIND;
	err->kind = (hi_kind) k;
	out->kind = (uint8_t) k;
	st = parse_issuer(kinds[k].issuer, issuer, issuer_len, out, err);
	if (st != HI_OK)
		return st;
	return parse_value((hi_kind) k, value, value_len, out, err);
}

hi_status
hi_parse_text(const char *in, size_t len, hi_value *out, hi_error *err)
{
	const char *c1;
	const char *c2;
	const char *end = in + len;
	bool		blank = true;

	memset(err, 0, sizeof(*err));
	for (size_t i = 0; i < len && blank; i++)
		blank = (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r');
	if (blank)
		return HI_EMPTY;
	c1 = memchr(in, ':', len);
	if (c1 == NULL)
		return HI_BAD_FORMAT;
	c2 = memchr(c1 + 1, ':', (size_t) (end - c1 - 1));
	if (c2 == NULL || memchr(c2 + 1, ':', (size_t) (end - c2 - 1)) != NULL)
		return HI_BAD_FORMAT;
	return hi_parse_parts(in, (size_t) (c1 - in), c1 + 1, (size_t) (c2 - c1 - 1),
						  c2 + 1, (size_t) (end - c2 - 1), out, err);
}

hi_status
hi_check_normalised(const hi_value *v, hi_error *err)
{
	hi_value	again;
	hi_status	st;
	const hi_kind_def *def = hi_kind_info(v->kind);

	memset(err, 0, sizeof(*err));
	if (def == NULL)
		return HI_BAD_KIND;
	if (v->issuer_len > HI_ISSUER_MAX || v->value_len > HI_VALUE_MAX)
		return HI_BAD_BINARY;
	st = hi_parse_parts(def->name, strlen(def->name), v->issuer, v->issuer_len,
						v->value, v->value_len, &again, err);
	if (st != HI_OK)
		return st;
	if (hi_compare(v, &again) != 0)
		return HI_BAD_BINARY;	/* not in normal form */
	return HI_OK;
}

size_t
hi_format(const hi_value *v, char out[HI_TEXT_MAX + 1])
{
	const hi_kind_def *def = hi_kind_info(v->kind);
	size_t		n = strlen(def->name);

	memcpy(out, def->name, n);
	out[n++] = ':';
	memcpy(out + n, v->issuer, v->issuer_len);
	n += v->issuer_len;
	out[n++] = ':';
	memcpy(out + n, v->value, v->value_len);
	n += v->value_len;
	out[n] = '\0';
	return n;
}

static int
compare_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int			c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c < 0 ? -1 : 1;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return 0;
}

int
hi_compare(const hi_value *a, const hi_value *b)
{
	int			c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	c = compare_bytes(a->issuer, a->issuer_len, b->issuer, b->issuer_len);
	if (c != 0)
		return c;
	return compare_bytes(a->value, a->value_len, b->value, b->value_len);
}
