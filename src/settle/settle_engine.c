/*
 * settle_engine.c
 *		The split of a medical bill (settle_engine.h; the order of the
 *		stages: docs/settlement.md, "How a bill is split").
 *
 *		1. Each line: out of the catalogue (C class), restricted without
 *		   approval, or refused by the audit (the hospital's): fully
 *		   self-paid; above the price cap: self-paid; B class: the
 *		   self-pay-first ratio of the rest; what is left is eligible.
 *		2. The basic fund: its deductible (for the year, or the admission),
 *		   then its bands over the year's base, minus an unfiled trip's
 *		   points, under its annual cap.
 *		3. Tier 2 (critical illness / large expenses), then each
 *		   supplement, then medical assistance: each on the policy-range
 *		   self-pay the stages before left, with its own deductible, bands
 *		   and cap.
 *		4. The person's part: the personal account, the family's mutual-aid
 *		   account, cash.
 */
#include "settle/settle_engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct trace_buf
{
	char	   *buf;
	size_t		used;
} trace_buf;

static void trace(trace_buf *t, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
trace(trace_buf *t, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (t->used >= ST_TRACE_MAX - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, ST_TRACE_MAX - t->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used = (t->used + (size_t) n < ST_TRACE_MAX - 1) ? t->used + (size_t) n : ST_TRACE_MAX - 1;
}

static st_fen
min_fen(st_fen a, st_fen b)
{
	return a < b ? a : b;
}

/* amount x ratio, rounded half away from zero (amounts are not negative) */
static st_fen
times_ratio(__int128 sum_of_products)
{
	return (st_fen) ((sum_of_products + ST_RATIO_ONE / 2) / ST_RATIO_ONE);
}

char *
st_format_fen(st_fen fen, char *buf)
{
	uint64_t	v = fen < 0 ? (uint64_t) (-(fen + 1)) + 1 : (uint64_t) fen;

	snprintf(buf, 24, "%s%llu.%02llu", fen < 0 ? "-" : "", (unsigned long long) (v / 100),
			 (unsigned long long) (v % 100));
	return buf;
}

bool
st_parse_decimal(const char *s, size_t len, int decimals, int64_t max, int64_t *out)
{
	int64_t		v = 0;
	int			kept = 0;		/* decimals read into v */
	int			after_point = -1;	/* digits after the point, -1 before it */
	bool		digits = false;

	for (size_t i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c == '.' && after_point < 0 && digits)
			after_point = 0;
		else if (c >= '0' && c <= '9')
		{
			if (after_point >= 0)
				after_point++;
			/* (zeros beyond the decimals change nothing: 12.5000 is 12.50) */
			if (after_point > decimals)
			{
				if (c != '0')
					return false;
				continue;
			}
			if (v > (max - (c - '0')) / 10)
				return false;
			v = v * 10 + (c - '0');
			digits = true;
			if (after_point > 0)
				kept++;
		}
		else
			return false;
	}
	if (!digits || after_point == 0)
		return false;
	for (; kept < decimals; kept++)
	{
		if (v > max / 10)
			return false;
		v *= 10;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* "0.8500" for 8500 (ratios are 0 to 10000) */
static char *
format_ratio(int32_t ratio, char *buf)
{
	unsigned	r = (unsigned) ratio % 100000;

	snprintf(buf, 24, "%u.%04u", r / ST_RATIO_ONE, r % ST_RATIO_ONE);
	return buf;
}

static bool
ratio_ok(int32_t ratio)
{
	return ratio >= 0 && ratio <= ST_RATIO_ONE;
}

static bool
amount_ok(st_fen amount)
{
	return amount >= 0 && amount <= ST_AMOUNT_MAX;
}

st_status
st_split_line(const st_line *line, st_line_split *out)
{
	st_fen		within_cap;

	memset(out, 0, sizeof(*out));
	if (!amount_ok(line->amount) || line->cap_amount > ST_AMOUNT_MAX)
		return ST_BAD_AMOUNT;
	if (line->item_class != ST_CLASS_A && line->item_class != ST_CLASS_B && line->item_class != ST_CLASS_C)
		return ST_BAD_CLASS;
	if (!ratio_ok(line->selfpay_first))
		return ST_BAD_RATIO;
	if (line->item_class == ST_CLASS_C || line->hospital_bears || (line->restricted && !line->approved))
	{
		out->fulamt_ownpay = line->amount;
		return ST_OK;
	}
	within_cap = line->cap_amount < 0 ? line->amount : min_fen(line->amount, line->cap_amount);
	out->overlmt_selfpay = line->amount - within_cap;
	if (line->item_class == ST_CLASS_B)
		out->preselfpay = times_ratio((__int128) within_cap * line->selfpay_first);
	out->inscp_scp = within_cap - out->preselfpay;
	return ST_OK;
}

static st_status
check_rule(const st_fund_rule *rule)
{
	st_fen		lower = 0;

	if (rule->fund_type == 0)
		return ST_OK;
	if (!amount_ok(rule->deductible) || rule->annual_cap > ST_AMOUNT_MAX)
		return ST_BAD_AMOUNT;
	if (rule->n_bands < 1 || rule->n_bands > ST_MAX_BANDS)
		return ST_BAD_BANDS;
	for (int i = 0; i < rule->n_bands; i++)
	{
		const st_band *b = &rule->bands[i];

		if (!ratio_ok(b->ratio))
			return ST_BAD_RATIO;
		/* each band ends above the one before; only the last may be open */
		if (b->upto < 0 ? i != rule->n_bands - 1 : (b->upto <= lower && i > 0) || b->upto > ST_AMOUNT_MAX)
			return ST_BAD_BANDS;
		lower = b->upto;
	}
	return ST_OK;
}

static st_status
check_input(const st_line *lines, int n, const st_policy *policy, const st_year *year, int *bad_line)
{
	st_status	st;
	st_fen		total = 0;

	if (n < 1)
		return ST_NO_LINES;
	if (n > ST_MAX_LINES)
		return ST_TOO_MANY_LINES;
	for (int i = 0; i < n; i++)
	{
		st_line_split split;

		if ((st = st_split_line(&lines[i], &split)) != ST_OK)
		{
			if (bad_line)
				*bad_line = i + 1;
			return st;
		}
		total += lines[i].amount;
		if (total > ST_AMOUNT_MAX)
		{
			if (bad_line)
				*bad_line = i + 1;
			return ST_BAD_AMOUNT;
		}
	}
	if (policy->n_supplements < 0 || policy->n_supplements > ST_MAX_SUPPLEMENTS)
		return ST_BAD_BANDS;
	if (policy->basic.fund_type == 0)
		return ST_NO_BASIC_FUND;
	if ((st = check_rule(&policy->basic)) != ST_OK || (st = check_rule(&policy->tier2)) != ST_OK ||
		(st = check_rule(&policy->assistance)) != ST_OK)
		return st;
	for (int i = 0; i < policy->n_supplements; i++)
		if ((st = check_rule(&policy->supplements[i])) != ST_OK)
			return st;
	if (!ratio_ok(policy->ratio_reduction))
		return ST_BAD_RATIO;
	for (int s = 0; s < ST_STAGES; s++)
		if (!amount_ok(year->deductible_met[s]) || !amount_ok(year->base_done[s]) || !amount_ok(year->paid[s]))
			return ST_BAD_YEAR;
	if (!amount_ok(year->account_balance) || !amount_ok(year->mutual_aid_balance))
		return ST_BAD_YEAR;
	return ST_OK;
}

/*
 * One fund stage on "base": its deductible, its bands from where the year
 * stands, its cap.  Records the result, moves the year, writes the trace;
 * returns what it pays.
 */
static st_fen
pay_stage(const st_fund_rule *rule, int stage, st_fen base, int32_t reduction, const st_year *year,
		  st_year *after, st_result *out, st_fen *deducted, int32_t *last_ratio, trace_buf *t)
{
	char		a[24],
				b[24],
				c[24];
	st_fen		met = rule->deductible_per_admission ? 0 : year->deductible_met[stage];
	st_fen		ded = min_fen(base, rule->deductible > met ? rule->deductible - met : 0);
	st_fen		from = year->base_done[stage];
	st_fen		to = from + (base - ded);
	st_fen		lower = 0;
	__int128	products = 0;
	st_fen		raw;
	st_fen		room;
	st_fen		pay;
	st_fund_result *fr = &out->funds[out->n_funds++];

	trace(t, "\n%d: base %s", rule->fund_type, st_format_fen(base, a));
	if (rule->deductible > 0)
	{
		if (rule->deductible_per_admission)
			trace(t, "; deductible %s this admission", st_format_fen(rule->deductible, b));
		else
			trace(t, "; deductible %s a year, %s met before", st_format_fen(rule->deductible, b),
				  st_format_fen(met, c));
		trace(t, ": %s now", st_format_fen(ded, a));
	}
	trace(t, ";");
	for (int i = 0; i < rule->n_bands; i++)
	{
		const st_band *band = &rule->bands[i];
		st_fen		upper = band->upto < 0 ? INT64_MAX : band->upto;
		st_fen		seg_from = from > lower ? from : lower;
		st_fen		seg_to = to < upper ? to : upper;
		int32_t		ratio = band->ratio > reduction ? band->ratio - reduction : 0;

		if (seg_to > seg_from)
		{
			products += (__int128) (seg_to - seg_from) * ratio;
			*last_ratio = ratio;
			trace(t, " %s x %s", st_format_fen(seg_to - seg_from, a), format_ratio(ratio, b));
			if (band->upto >= 0)
				trace(t, " (to %s of the year)", st_format_fen(band->upto, c));
		}
		lower = upper;
	}
	raw = times_ratio(products);
	room = rule->annual_cap < 0 ? -1 : (rule->annual_cap > year->paid[stage] ? rule->annual_cap - year->paid[stage] : 0);
	pay = room < 0 ? raw : min_fen(raw, room);
	trace(t, " = %s", st_format_fen(raw, a));
	if (room >= 0)
		trace(t, "; limit %s", st_format_fen(room, b));
	trace(t, ": pays %s", st_format_fen(pay, c));

	after->deductible_met[stage] = year->deductible_met[stage] + ded;
	after->base_done[stage] = to;
	after->paid[stage] = year->paid[stage] + pay;
	fr->fund_type = rule->fund_type;
	fr->inscp_scp_amt = base;
	fr->crt_payb_lmt_amt = room < 0 ? raw : room;
	fr->fund_payamt = pay;
	if (deducted)
		*deducted = ded;
	return pay;
}

/* Which result field a fund's payment goes to. */
static st_fen *
field_of(st_result *out, int stage, int32_t fund_type)
{
	if (stage == ST_STAGE_BASIC)
		return &out->hifp_pay;
	switch (fund_type)
	{
		case 390200:
			return &out->hifmi_pay;
		case 330100:
			return &out->hifob_pay;
		case 320100:
			return &out->cvlserv_pay;
		case 370100:
			return &out->hifes_pay;
		case 610100:
			return &out->maf_pay;
		default:
			return &out->oth_pay;
	}
}

st_status
st_settle(const st_line *lines, int n, const st_policy *policy, const st_year *year, st_result *out, int *bad_line)
{
	trace_buf	t;
	char		a[24],
				b[24],
				c[24],
				d[24],
				e[24];
	st_status	st;
	st_fen		left;			/* the policy-range self-pay not yet paid by a fund */
	st_fen		own;
	int32_t		unused_ratio;

	if (bad_line)
		*bad_line = 0;
	memset(out, 0, sizeof(*out));
	if ((st = check_input(lines, n, policy, year, bad_line)) != ST_OK)
		return st;
	t.buf = out->trace;
	t.used = 0;
	out->after = *year;

	for (int i = 0; i < n; i++)
	{
		st_line_split s;

		st_split_line(&lines[i], &s);
		out->medfee_sumamt += lines[i].amount;
		out->fulamt_ownpay_amt += s.fulamt_ownpay;
		out->overlmt_selfpay += s.overlmt_selfpay;
		out->preselfpay_amt += s.preselfpay;
		out->inscp_scp_amt += s.inscp_scp;
		if (lines[i].hospital_bears)
			out->hosp_part_amt += lines[i].amount;
	}
	trace(&t, "medfee_sumamt %s = fulamt_ownpay_amt %s + overlmt_selfpay %s + preselfpay_amt %s + inscp_scp_amt %s",
		  st_format_fen(out->medfee_sumamt, a), st_format_fen(out->fulamt_ownpay_amt, b),
		  st_format_fen(out->overlmt_selfpay, c), st_format_fen(out->preselfpay_amt, d),
		  st_format_fen(out->inscp_scp_amt, e));
	if (policy->ratio_reduction > 0)
		trace(&t, "\nan unfiled trip: every ratio of the basic fund %s lower", format_ratio(policy->ratio_reduction, a));

	out->hifp_pay = pay_stage(&policy->basic, ST_STAGE_BASIC, out->inscp_scp_amt, policy->ratio_reduction, year,
							  &out->after, out, &out->act_pay_dedc, &out->pool_prop_selfpay, &t);
	left = out->inscp_scp_amt - out->hifp_pay;
	if (policy->tier2.fund_type != 0)
	{
		st_fen		pay = pay_stage(&policy->tier2, ST_STAGE_TIER2, left, 0, year, &out->after, out, NULL,
									&unused_ratio, &t);

		*field_of(out, ST_STAGE_TIER2, policy->tier2.fund_type) += pay;
		left -= pay;
	}
	for (int i = 0; i < policy->n_supplements; i++)
	{
		st_fen		pay = pay_stage(&policy->supplements[i], ST_STAGE_SUPPLEMENT + i, left, 0, year, &out->after,
									out, NULL, &unused_ratio, &t);

		*field_of(out, ST_STAGE_SUPPLEMENT + i, policy->supplements[i].fund_type) += pay;
		left -= pay;
	}
	if (policy->assistance.fund_type != 0)
	{
		st_fen		pay = pay_stage(&policy->assistance, ST_STAGE_ASSISTANCE, left, 0, year, &out->after, out,
									NULL, &unused_ratio, &t);

		*field_of(out, ST_STAGE_ASSISTANCE, policy->assistance.fund_type) += pay;
		left -= pay;
	}

	out->fund_pay_sumamt = out->hifp_pay + out->cvlserv_pay + out->hifes_pay + out->hifmi_pay + out->hifob_pay +
		out->maf_pay + out->oth_pay;
	out->psn_part_amt = out->medfee_sumamt - out->fund_pay_sumamt - out->hosp_part_amt;
	own = policy->account_pays ? min_fen(year->account_balance, out->psn_part_amt) : 0;
	out->acct_mulaid_pay = policy->account_pays && policy->mutual_aid ?
		min_fen(year->mutual_aid_balance, out->psn_part_amt - own) : 0;
	out->acct_pay = own + out->acct_mulaid_pay;
	out->psn_cash_pay = out->psn_part_amt - out->acct_pay;
	out->balc = year->account_balance - own;
	out->after.account_balance = out->balc;
	out->after.mutual_aid_balance = year->mutual_aid_balance - out->acct_mulaid_pay;

	trace(&t, "\nfund_pay_sumamt %s", st_format_fen(out->fund_pay_sumamt, a));
	if (out->hosp_part_amt > 0)
		trace(&t, "; hosp_part_amt %s (refused by the audit)", st_format_fen(out->hosp_part_amt, b));
	trace(&t, "; psn_part_amt %s = acct_pay %s", st_format_fen(out->psn_part_amt, a), st_format_fen(out->acct_pay, b));
	if (out->acct_mulaid_pay > 0)
		trace(&t, " (of which the family's %s)", st_format_fen(out->acct_mulaid_pay, c));
	trace(&t, " + psn_cash_pay %s; balc %s", st_format_fen(out->psn_cash_pay, d), st_format_fen(out->balc, e));
	return ST_OK;
}

const char *
st_status_text(st_status status)
{
	switch (status)
	{
		case ST_OK:
			return "The claim settles.";
		case ST_NO_LINES:
			return "A claim has at least one line.";
		case ST_TOO_MANY_LINES:
			return "A claim has at most 1000 lines.";
		case ST_BAD_AMOUNT:
			return "Amounts are 0 to 1,000,000,000,000.00 yuan, the claim's total too.";
		case ST_BAD_CLASS:
			return "An item's class is A, B or C.";
		case ST_BAD_RATIO:
			return "A ratio is 0 to 1.";
		case ST_BAD_BANDS:
			return "A fund has 1 to 8 bands, each ending above the one before; only the last may be open.";
		case ST_NO_BASIC_FUND:
			return "The policy names the basic pooled fund.";
		case ST_BAD_YEAR:
			return "The year's accumulators and the balances are 0 to 1,000,000,000,000.00 yuan.";
	}
	return "The claim does not settle.";
}
