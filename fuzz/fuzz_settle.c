/*
 * fuzz_settle.c
 *		libFuzzer harness for the settlement engine (src/settle/settle_engine.c).
 *
 * The bytes make a claim (1 to 64 lines), a policy (the basic fund, maybe a
 * tier 2, supplements and assistance, bands, caps, deductibles, an unfiled
 * trip's reduction, the accounts) and the person's year so far.  Every
 * settled claim must keep the four invariants of the national settlement
 * result (shared/reference/settlement.md) and these:
 *   - nothing negative; no fund pays more than its base, nor more than its
 *     cap allows for the year; the year's paid amounts never exceed a cap;
 *   - the per-fund detail adds up to fund_pay_sumamt;
 *   - the accounts pay at most their balances, and the balances move by
 *     what they paid;
 *   - settling the same claim again on the year after never pays more
 *     deductible than the first time left.
 * The decimal reader: st_parse_decimal on the raw bytes agrees with a naive
 * reference (digits, one point, at most N decimals but for trailing zeros).
 */
#include <stdlib.h>
#include <string.h>

#include "settle/settle_engine.h"
#include "reference.h"

static const uint8_t *g_data;
static size_t g_size;

#define CHECK(cond, ...) \
	do { if (!(cond)) { fuzz_print_bytes("input", g_data, g_size); FUZZ_CHECK(cond, __VA_ARGS__); } } while (0)

typedef struct reader
{
	const uint8_t *p;
	size_t		left;
} reader;

static uint64_t
take(reader *r, int bytes)
{
	uint64_t	v = 0;

	for (int i = 0; i < bytes; i++)
	{
		v = (v << 8) | (r->left > 0 ? *r->p : 0);
		if (r->left > 0)
			r->p++, r->left--;
	}
	return v;
}

/* amounts of every size: mostly small, sometimes huge, rarely negative */
static st_fen
take_amount(reader *r)
{
	uint64_t	v = take(r, 1);

	if (v == 0)
		return -(st_fen) take(r, 1);
	if (v < 8)
		return (st_fen) (take(r, 6) % (uint64_t) (ST_AMOUNT_MAX + 2));
	if (v < 128)
		return (st_fen) take(r, 1);
	return (st_fen) take(r, 3);
}

/* ratios 0 to 1, rarely beyond */
static int32_t
take_ratio(reader *r)
{
	uint64_t	v = take(r, 2);

	return v == 0xffff ? ST_RATIO_ONE + 1 : (int32_t) (v % (ST_RATIO_ONE + 1));
}

static void
take_rule(reader *r, st_fund_rule *rule, int32_t fund_type)
{
	st_fen		upto = 0;

	memset(rule, 0, sizeof(*rule));
	rule->fund_type = fund_type;
	rule->deductible = take_amount(r);
	rule->deductible_per_admission = take(r, 1) & 1;
	rule->n_bands = 1 + (int) (take(r, 1) % ST_MAX_BANDS);
	for (int i = 0; i < rule->n_bands; i++)
	{
		upto += 1 + take_amount(r);
		rule->bands[i].upto = (i == rule->n_bands - 1 && (take(r, 1) & 1)) ? -1 : upto;
		rule->bands[i].ratio = take_ratio(r);
	}
	rule->annual_cap = (take(r, 1) & 3) == 0 ? -1 : take_amount(r);
}

static bool
ref_decimal(const char *s, size_t len, int decimals, int64_t *out)
{
	size_t		point = len;
	__int128	v = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '.')
		{
			if (point != len)
				return false;
			point = i;
		}
		else if (s[i] < '0' || s[i] > '9')
			return false;
	if (point == 0 || point == len - 1 || len == 0)
		return false;
	/* digits beyond the decimals: only zeros, and they are dropped */
	for (size_t i = point + 1 + (size_t) decimals; point != len && i < len; i++)
		if (s[i] != '0')
			return false;
	if (point != len && len - point - 1 > (size_t) decimals)
		len = point + 1 + (size_t) decimals;
	if (len == point + 1)
		len = point;
	for (size_t i = 0; i < len; i++)
	{
		if (i == point)
			continue;
		v = v * 10 + (s[i] - '0');
		if (v > ST_AMOUNT_MAX)
			return false;
	}
	for (size_t k = point == len ? 0 : len - point - 1; k < (size_t) decimals; k++)
		v *= 10;
	if (v > ST_AMOUNT_MAX)
		return false;
	*out = (int64_t) v;
	return true;
}

static void
check_decimal(const uint8_t *data, size_t size)
{
	int64_t		got = -1,
				want = -1;
	int			decimals = size > 0 ? data[0] % 5 : 2;
	const char *s = (const char *) data + (size > 0);
	size_t		len = size > 0 ? size - 1 : 0;
	bool		ok = st_parse_decimal(s, len, decimals, ST_AMOUNT_MAX, &got);
	bool		ref_ok = ref_decimal(s, len, decimals, &want);

	CHECK(ok == ref_ok, "st_parse_decimal says %d, reference %d", ok, ref_ok);
	if (ok)
		CHECK(got == want, "st_parse_decimal read %lld, reference %lld", (long long) got, (long long) want);
}

static void
check_result(const st_line *lines, int n, const st_policy *p, const st_year *y, const st_result *r)
{
	const st_fund_rule *rules[ST_STAGES] = {&p->basic, &p->tier2};
	st_fen		detail = 0;
	st_fen		hosp = 0;

	for (int i = 0; i < n; i++)
		if (lines[i].hospital_bears)
			hosp += lines[i].amount;
	for (int i = 0; i < p->n_supplements; i++)
		rules[ST_STAGE_SUPPLEMENT + i] = &p->supplements[i];
	rules[ST_STAGE_ASSISTANCE] = &p->assistance;

	CHECK(r->medfee_sumamt == r->fulamt_ownpay_amt + r->overlmt_selfpay + r->preselfpay_amt + r->inscp_scp_amt,
		  "medfee_sumamt is not the sum of its parts");
	CHECK(r->fund_pay_sumamt == r->hifp_pay + r->cvlserv_pay + r->hifes_pay + r->hifmi_pay + r->hifob_pay +
		  r->maf_pay + r->oth_pay, "fund_pay_sumamt is not the sum of the funds");
	CHECK(r->psn_part_amt == r->medfee_sumamt - r->fund_pay_sumamt - r->hosp_part_amt, "psn_part_amt is off");
	CHECK(r->psn_part_amt == r->acct_pay + r->psn_cash_pay, "psn_part_amt is not acct_pay + psn_cash_pay");
	CHECK(r->hosp_part_amt == hosp, "hosp_part_amt is not the refused lines");
	CHECK(r->fulamt_ownpay_amt >= 0 && r->overlmt_selfpay >= 0 && r->preselfpay_amt >= 0 && r->inscp_scp_amt >= 0 &&
		  r->act_pay_dedc >= 0 && r->psn_part_amt >= 0 && r->acct_pay >= 0 && r->psn_cash_pay >= 0 &&
		  r->acct_mulaid_pay >= 0 && r->balc >= 0, "a negative amount");
	CHECK(r->act_pay_dedc <= r->inscp_scp_amt, "more deductible than eligible");
	CHECK(r->acct_pay - r->acct_mulaid_pay <= y->account_balance && r->acct_mulaid_pay <= y->mutual_aid_balance,
		  "the accounts pay more than their balances");
	CHECK(r->balc == y->account_balance - (r->acct_pay - r->acct_mulaid_pay) && r->after.account_balance == r->balc &&
		  r->after.mutual_aid_balance == y->mutual_aid_balance - r->acct_mulaid_pay, "the balances moved wrong");
	CHECK(p->account_pays || r->acct_pay == 0, "the account paid where it may not");

	for (int f = 0, stage = 0; stage < ST_STAGES; stage++)
	{
		const st_fund_rule *rule = rules[stage];
		const st_fund_result *fr;

		if (rule == NULL || rule->fund_type == 0)
			continue;
		CHECK(f < r->n_funds, "a fund is missing from the detail");
		fr = &r->funds[f++];
		CHECK(fr->fund_type == rule->fund_type, "the detail's funds are out of order");
		CHECK(fr->fund_payamt >= 0 && fr->fund_payamt <= fr->inscp_scp_amt, "fund %d pays more than its base",
			  rule->fund_type);
		CHECK(r->after.paid[stage] == y->paid[stage] + fr->fund_payamt, "fund %d's year moved wrong", rule->fund_type);
		if (rule->annual_cap >= 0)
			CHECK(fr->fund_payamt <= (rule->annual_cap > y->paid[stage] ? rule->annual_cap - y->paid[stage] : 0),
				  "fund %d exceeds its cap", rule->fund_type);
		detail += fr->fund_payamt;
	}
	CHECK(detail == r->fund_pay_sumamt, "the detail does not add up to fund_pay_sumamt");
	CHECK(strlen(r->trace) > 0 && strlen(r->trace) < ST_TRACE_MAX, "no trace");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reader		r = {data, size};
	st_line		lines[64];
	st_policy	p;
	st_year		y;
	st_result  *res = malloc(sizeof(st_result));
	st_result  *again = malloc(sizeof(st_result));
	int			n;
	int			bad;
	static const int32_t supplement_types[] = {320100, 370100, 340100, 999996};

	g_data = data;
	g_size = size;
	check_decimal(data, size);

	n = (int) (take(&r, 1) % 65);
	for (int i = 0; i < n; i++)
	{
		uint64_t	flags = take(&r, 1);

		lines[i].amount = take_amount(&r);
		lines[i].cap_amount = (flags & 1) ? -1 : take_amount(&r);
		lines[i].item_class = flags == 0xff ? '?' : "ABC"[(flags >> 1) % 3];
		lines[i].selfpay_first = take_ratio(&r);
		lines[i].restricted = (flags >> 4) & 1;
		lines[i].approved = (flags >> 5) & 1;
		lines[i].hospital_bears = ((flags >> 6) & 3) == 3;
	}
	memset(&p, 0, sizeof(p));
	take_rule(&r, &p.basic, (take(&r, 1) & 1) ? 310100 : 390100);
	if (take(&r, 1) & 1)
		take_rule(&r, &p.tier2, (take(&r, 1) & 1) ? 330100 : 390200);
	p.n_supplements = (int) (take(&r, 1) % (ST_MAX_SUPPLEMENTS + 1));
	for (int i = 0; i < p.n_supplements; i++)
		take_rule(&r, &p.supplements[i], supplement_types[i]);
	if (take(&r, 1) & 1)
		take_rule(&r, &p.assistance, 610100);
	p.ratio_reduction = (take(&r, 1) & 1) ? take_ratio(&r) : 0;
	p.account_pays = take(&r, 1) & 1;
	p.mutual_aid = take(&r, 1) & 1;
	memset(&y, 0, sizeof(y));
	for (int s = 0; s < ST_STAGES; s++)
	{
		y.deductible_met[s] = take_amount(&r);
		y.base_done[s] = take_amount(&r);
		y.paid[s] = take_amount(&r);
	}
	y.account_balance = take_amount(&r);
	y.mutual_aid_balance = take_amount(&r);

	if (st_settle(lines, n, &p, &y, res, &bad) == ST_OK)
	{
		check_result(lines, n, &p, &y, res);
		/* the same claim again, on the year after: the deductible is met */
		if (st_settle(lines, n, &p, &res->after, again, &bad) == ST_OK)
		{
			check_result(lines, n, &p, &res->after, again);
			if (!p.basic.deductible_per_admission)
				CHECK(res->act_pay_dedc + again->act_pay_dedc <= p.basic.deductible ||
					  again->act_pay_dedc == 0 || y.deductible_met[0] > p.basic.deductible,
					  "the deductible was paid twice");
		}
	}
	free(res);
	free(again);
	return 0;
}
