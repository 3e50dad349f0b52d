/*
 * settle_sql.c
 *		healthhub.settlement_split(lines, policy, year): the engine
 *		(settle_engine.c) on a claim, a policy and a year given as jsonb,
 *		its result as jsonb with the national field names of transaction
 *		2207 (docs/settlement.md, "The engine as a function").
 *
 *		Every input is checked before the engine runs: unknown keys,
 *		negative or malformed amounts, ratios beyond 1, class codes; each
 *		refusal is 22023 naming the line or the part of the policy.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "settle/settle_engine.h"

#define MONEY_DECIMALS	2
#define RATIO_DECIMALS	4
#define COUNT_DECIMALS	4

static void
refuse(const char *where, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid settlement input: %s", where),
			 errdetail("%s", detail)));
}

static void
require_object(JsonbContainer *c, const char *where)
{
	if (c == NULL || !JsonContainerIsObject(c))
		refuse(where, "It is a JSON object.");
}

/* Refuse keys of the object that are not among "allowed" (NULL-terminated). */
static void
refuse_unknown_keys(JsonbContainer *c, const char *const *allowed, const char *where)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
			depth++;
		else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
			depth--;
		else if (tok == WJB_KEY && depth == 1)
		{
			bool		known = false;

			for (const char *const *a = allowed; *a != NULL && !known; a++)
				known = strlen(*a) == (size_t) v.val.string.len && memcmp(*a, v.val.string.val, v.val.string.len) == 0;
			if (!known)
				refuse(where, psprintf("\"%.*s\" is not one of its keys.", Min(v.val.string.len, 40), v.val.string.val));
		}
	}
}

static bool
get_key(JsonbContainer *c, const char *key, JsonbValue *out)
{
	return getKeyJsonValueFromContainer(c, key, strlen(key), out) != NULL && out->type != jbvNull;
}

/* A decimal given as a JSON number or string, as an integer of "decimals" decimals. */
static int64
decimal_value(JsonbValue *v, int decimals, int64 max, const char *where, const char *what)
{
	const char *text;
	size_t		len;
	int64		out;

	if (v->type == jbvNumeric)
		text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	else if (v->type == jbvString)
		text = pnstrdup(v->val.string.val, v->val.string.len);
	else
		refuse(where, psprintf("%s is a number.", what));
	len = strlen(text);
	if (len > 0 && text[0] == '-')
		refuse(where, psprintf("%s is negative: %.30s.", what, text));
	if (!st_parse_decimal(text, len, decimals, max, &out))
		refuse(where, psprintf("%s is not a number of at most %d decimals up to %s: %.30s.", what, decimals,
							   decimals == MONEY_DECIMALS ? "1000000000000.00" : "1", text));
	return out;
}

static st_fen
money(JsonbContainer *c, const char *key, bool required, st_fen absent, const char *where)
{
	JsonbValue	v;

	if (!get_key(c, key, &v))
	{
		if (required)
			refuse(where, psprintf("%s is required.", key));
		return absent;
	}
	return decimal_value(&v, MONEY_DECIMALS, ST_AMOUNT_MAX, where, key);
}

static int32
ratio(JsonbContainer *c, const char *key, bool required, const char *where)
{
	JsonbValue	v;

	if (!get_key(c, key, &v))
	{
		if (required)
			refuse(where, psprintf("%s is required.", key));
		return 0;
	}
	return (int32) decimal_value(&v, RATIO_DECIMALS, ST_RATIO_ONE, where, key);
}

/* A flag: "0" or "1" (also 0, 1, true, false); absent is false. */
static bool
flag(JsonbContainer *c, const char *key, const char *where)
{
	JsonbValue	v;

	if (!get_key(c, key, &v))
		return false;
	if (v.type == jbvBool)
		return v.val.boolean;
	if (v.type == jbvString && v.val.string.len == 1 && (v.val.string.val[0] == '0' || v.val.string.val[0] == '1'))
		return v.val.string.val[0] == '1';
	if (v.type == jbvNumeric)
	{
		char	   *t = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));

		if (strcmp(t, "0") == 0 || strcmp(t, "1") == 0)
			return t[0] == '1';
	}
	refuse(where, psprintf("%s is \"0\" or \"1\".", key));
	return false;
}

static int32
fund_type(JsonbContainer *c, const char *where)
{
	JsonbValue	v;
	int64		code;

	if (!get_key(c, "fund_pay_type", &v))
		refuse(where, "fund_pay_type is required.");
	code = decimal_value(&v, 0, 999999, where, "fund_pay_type");
	if (code < 100000)
		refuse(where, "fund_pay_type is a six-digit fund code (310100, 390200, 610100 ...).");
	return (int32) code;
}

static void
read_line(JsonbContainer *c, int line_no, st_line *line)
{
	static const char *const keys[] = {"det_item_fee_sumamt", "cnt", "pric_uplmt_amt", "chrgitm_lv", "selfpay_prop",
	"lmt_used_flag", "hosp_appr_flag", "hosp_bear_flag", "feedetl_sn", "med_list_codg", NULL};
	char	   *where = psprintf("line %d", line_no);
	JsonbValue	v;
	int64		count;
	st_fen		unit_cap;

	require_object(c, where);
	refuse_unknown_keys(c, keys, where);
	line->amount = money(c, "det_item_fee_sumamt", true, 0, where);
	count = get_key(c, "cnt", &v) ? decimal_value(&v, COUNT_DECIMALS, ST_AMOUNT_MAX, where, "cnt") : 10000;
	unit_cap = money(c, "pric_uplmt_amt", false, -1, where);
	/* the cap on the line: the unit cap times the count, rounded to the fen */
	line->cap_amount = unit_cap < 0 ? -1 : (st_fen) (((__int128) unit_cap * count + 5000) / 10000);
	if (line->cap_amount > ST_AMOUNT_MAX)
		line->cap_amount = -1;
	if (!get_key(c, "chrgitm_lv", &v) || v.type != jbvString || v.val.string.len != 2 ||
		v.val.string.val[0] != '0' || v.val.string.val[1] < '1' || v.val.string.val[1] > '3')
		refuse(where, "chrgitm_lv is \"01\" (class A), \"02\" (class B) or \"03\" (class C).");
	line->item_class = "ABC"[v.val.string.val[1] - '1'];
	line->selfpay_first = ratio(c, "selfpay_prop", false, where);
	line->restricted = flag(c, "lmt_used_flag", where);
	line->approved = false;
	if (get_key(c, "hosp_appr_flag", &v))
	{
		if (v.type != jbvString || v.val.string.len != 1 || v.val.string.val[0] < '0' || v.val.string.val[0] > '2')
			refuse(where, "hosp_appr_flag is \"0\", \"1\" (approved) or \"2\".");
		line->approved = v.val.string.val[0] == '1';
	}
	line->hospital_bears = flag(c, "hosp_bear_flag", where);
}

static void
read_rule(JsonbContainer *c, st_fund_rule *rule, const char *where)
{
	static const char *const keys[] = {"fund_pay_type", "dedc_std", "dedc_per_admission", "bands", "annual_cap", NULL};
	JsonbValue	v;

	require_object(c, where);
	refuse_unknown_keys(c, keys, where);
	memset(rule, 0, sizeof(*rule));
	rule->fund_type = fund_type(c, where);
	rule->deductible = money(c, "dedc_std", false, 0, where);
	rule->deductible_per_admission = flag(c, "dedc_per_admission", where);
	rule->annual_cap = money(c, "annual_cap", false, -1, where);
	if (!get_key(c, "bands", &v) || v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		refuse(where, "bands is a list of {\"upto\": amount of the year, \"ratio\": 0 to 1}; the last without upto.");
	rule->n_bands = JsonContainerSize(v.val.binary.data);
	if (rule->n_bands < 1 || rule->n_bands > ST_MAX_BANDS)
		refuse(where, psprintf("A fund has 1 to %d bands.", ST_MAX_BANDS));
	for (int i = 0; i < rule->n_bands; i++)
	{
		static const char *const band_keys[] = {"upto", "ratio", NULL};
		JsonbValue *b = getIthJsonbValueFromContainer(v.val.binary.data, i);
		char	   *band_where = psprintf("%s, band %d", where, i + 1);

		if (b->type != jbvBinary)
			refuse(band_where, "A band is a JSON object.");
		require_object(b->val.binary.data, band_where);
		refuse_unknown_keys(b->val.binary.data, band_keys, band_where);
		rule->bands[i].upto = money(b->val.binary.data, "upto", false, -1, band_where);
		rule->bands[i].ratio = ratio(b->val.binary.data, "ratio", true, band_where);
		if (rule->bands[i].upto < 0 && i < rule->n_bands - 1)
			refuse(band_where, "Only the last band is open (has no upto).");
		if (i > 0 && rule->bands[i].upto >= 0 && rule->bands[i].upto <= rule->bands[i - 1].upto)
			refuse(band_where, "A band ends above the one before.");
	}
}

static void
read_policy(JsonbContainer *c, st_policy *p)
{
	static const char *const keys[] = {"basic", "tier2", "supplements", "assistance", "ratio_reduction",
	"account_pays", "mutual_aid", NULL};
	JsonbValue	v;

	require_object(c, "policy");
	refuse_unknown_keys(c, keys, "policy");
	memset(p, 0, sizeof(*p));
	if (!get_key(c, "basic", &v) || v.type != jbvBinary)
		refuse("policy", "basic (the pooled fund) is required.");
	read_rule(v.val.binary.data, &p->basic, "policy basic");
	if (get_key(c, "tier2", &v))
		read_rule(v.type == jbvBinary ? v.val.binary.data : NULL, &p->tier2, "policy tier2");
	if (get_key(c, "supplements", &v))
	{
		if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data) ||
			JsonContainerSize(v.val.binary.data) > ST_MAX_SUPPLEMENTS)
			refuse("policy", psprintf("supplements is a list of at most %d funds.", ST_MAX_SUPPLEMENTS));
		p->n_supplements = JsonContainerSize(v.val.binary.data);
		for (int i = 0; i < p->n_supplements; i++)
		{
			JsonbValue *s = getIthJsonbValueFromContainer(v.val.binary.data, i);

			read_rule(s->type == jbvBinary ? s->val.binary.data : NULL, &p->supplements[i],
					  psprintf("policy supplement %d", i + 1));
		}
	}
	if (get_key(c, "assistance", &v))
		read_rule(v.type == jbvBinary ? v.val.binary.data : NULL, &p->assistance, "policy assistance");
	p->ratio_reduction = ratio(c, "ratio_reduction", false, "policy");
	p->account_pays = flag(c, "account_pays", "policy");
	p->mutual_aid = flag(c, "mutual_aid", "policy");
}

/* The rule of a stage of the policy, or NULL when the policy has none there. */
static const st_fund_rule *
stage_rule(const st_policy *p, int stage)
{
	const st_fund_rule *rule = stage == ST_STAGE_BASIC ? &p->basic :
		stage == ST_STAGE_TIER2 ? &p->tier2 :
		stage == ST_STAGE_ASSISTANCE ? &p->assistance :
		stage - ST_STAGE_SUPPLEMENT < p->n_supplements ? &p->supplements[stage - ST_STAGE_SUPPLEMENT] : NULL;

	return rule != NULL && rule->fund_type != 0 ? rule : NULL;
}

/* The stage of the policy that a fund code names, or -1. */
static int
stage_of(const st_policy *p, int32 fund)
{
	for (int stage = 0; stage < ST_STAGES; stage++)
		if (stage_rule(p, stage) != NULL && stage_rule(p, stage)->fund_type == fund)
			return stage;
	return -1;
}

static void
read_year(JsonbContainer *c, const st_policy *p, st_year *y)
{
	static const char *const keys[] = {"funds", "account_balance", "mutual_aid_balance", NULL};
	static const char *const fund_keys[] = {"deductible_met", "base_done", "paid", NULL};
	JsonbValue	v;

	require_object(c, "year");
	refuse_unknown_keys(c, keys, "year");
	memset(y, 0, sizeof(*y));
	y->account_balance = money(c, "account_balance", false, 0, "year");
	y->mutual_aid_balance = money(c, "mutual_aid_balance", false, 0, "year");
	if (!get_key(c, "funds", &v))
		return;
	if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
		refuse("year", "funds is an object keyed by fund_pay_type.");
	for (int s = 0; s < ST_STAGES; s++)
	{
		const st_fund_rule *rule = stage_rule(p, s);
		JsonbValue	f;
		char	   *where;

		if (rule == NULL || !get_key(v.val.binary.data, psprintf("%d", rule->fund_type), &f))
			continue;
		where = psprintf("year, fund %d", rule->fund_type);
		if (f.type != jbvBinary)
			refuse(where, "A fund's year is a JSON object.");
		require_object(f.val.binary.data, where);
		refuse_unknown_keys(f.val.binary.data, fund_keys, where);
		y->deductible_met[s] = money(f.val.binary.data, "deductible_met", false, 0, where);
		y->base_done[s] = money(f.val.binary.data, "base_done", false, 0, where);
		y->paid[s] = money(f.val.binary.data, "paid", false, 0, where);
	}
	/* a fund of the year that the policy does not name is a mistake, not nothing */
	{
		JsonbIterator *it = JsonbIteratorInit(v.val.binary.data);
		JsonbValue	k;
		JsonbIteratorToken tok;
		int			depth = 0;

		while ((tok = JsonbIteratorNext(&it, &k, false)) != WJB_DONE)
		{
			if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
				depth++;
			else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
				depth--;
			else if (tok == WJB_KEY && depth == 1)
			{
				char	   *name = pnstrdup(k.val.string.val, k.val.string.len);

				if (stage_of(p, (int32) strtol(name, NULL, 10)) < 0)
					refuse("year", psprintf("Fund %.20s is not a fund of the policy.", name));
			}
		}
	}
}

static void
append_money(StringInfo s, const char *key, st_fen fen, bool comma)
{
	char		buf[24];

	appendStringInfo(s, "%s\"%s\": %s", comma ? ", " : "", key, st_format_fen(fen, buf));
}

static void
append_year(StringInfo s, const st_policy *p, const st_year *y)
{
	char		buf[24];
	bool		first = true;

	appendStringInfoString(s, "{\"funds\": {");
	for (int stage = 0; stage < ST_STAGES; stage++)
	{
		const st_fund_rule *rule = stage_rule(p, stage);

		if (rule == NULL)
			continue;
		appendStringInfo(s, "%s\"%d\": {", first ? "" : ", ", rule->fund_type);
		append_money(s, "deductible_met", y->deductible_met[stage], false);
		append_money(s, "base_done", y->base_done[stage], true);
		append_money(s, "paid", y->paid[stage], true);
		appendStringInfoChar(s, '}');
		first = false;
	}
	appendStringInfo(s, "}, \"account_balance\": %s", st_format_fen(y->account_balance, buf));
	appendStringInfo(s, ", \"mutual_aid_balance\": %s}", st_format_fen(y->mutual_aid_balance, buf));
}

PG_FUNCTION_INFO_V1(hh_settlement_split);
Datum
hh_settlement_split(PG_FUNCTION_ARGS)
{
	static const char *const arg_names[] = {"lines", "policy", "year"};
	Jsonb	   *lines_arg;
	JsonbContainer *lc;
	st_line    *lines;
	int			n;
	st_policy	policy;
	st_year		year;
	st_result  *r;
	st_status	st;
	int			bad_line;
	StringInfoData s;

	for (int i = 0; i < 3; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("null value not allowed for argument \"%s\" of healthhub.settlement_split()", arg_names[i]),
					 errdetail("The lines, the policy and the year (an empty object for a new year) are required.")));
	lines_arg = PG_GETARG_JSONB_P(0);
	lc = &lines_arg->root;
	if (!JsonContainerIsArray(lc) || JsonContainerIsScalar(lc))
		refuse("lines", "The lines are a JSON list of objects.");
	n = JsonContainerSize(lc);
	if (n < 1 || n > ST_MAX_LINES)
		refuse("lines", st_status_text(n < 1 ? ST_NO_LINES : ST_TOO_MANY_LINES));
	lines = palloc0(sizeof(st_line) * n);
	for (int i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(lc, i);

		read_line(v->type == jbvBinary ? v->val.binary.data : NULL, i + 1, &lines[i]);
	}
	read_policy(&PG_GETARG_JSONB_P(1)->root, &policy);
	read_year(&PG_GETARG_JSONB_P(2)->root, &policy, &year);

	r = palloc(sizeof(st_result));
	st = st_settle(lines, n, &policy, &year, r, &bad_line);
	if (st != ST_OK)
		refuse(bad_line > 0 ? psprintf("line %d", bad_line) : "policy", st_status_text(st));

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	append_money(&s, "medfee_sumamt", r->medfee_sumamt, false);
	append_money(&s, "fulamt_ownpay_amt", r->fulamt_ownpay_amt, true);
	append_money(&s, "overlmt_selfpay", r->overlmt_selfpay, true);
	append_money(&s, "preselfpay_amt", r->preselfpay_amt, true);
	append_money(&s, "inscp_scp_amt", r->inscp_scp_amt, true);
	append_money(&s, "act_pay_dedc", r->act_pay_dedc, true);
	append_money(&s, "hifp_pay", r->hifp_pay, true);
	appendStringInfo(&s, ", \"pool_prop_selfpay\": %d.%04d", r->pool_prop_selfpay / ST_RATIO_ONE,
					 r->pool_prop_selfpay % ST_RATIO_ONE);
	append_money(&s, "cvlserv_pay", r->cvlserv_pay, true);
	append_money(&s, "hifes_pay", r->hifes_pay, true);
	append_money(&s, "hifmi_pay", r->hifmi_pay, true);
	append_money(&s, "hifob_pay", r->hifob_pay, true);
	append_money(&s, "maf_pay", r->maf_pay, true);
	append_money(&s, "oth_pay", r->oth_pay, true);
	append_money(&s, "fund_pay_sumamt", r->fund_pay_sumamt, true);
	append_money(&s, "psn_part_amt", r->psn_part_amt, true);
	append_money(&s, "acct_pay", r->acct_pay, true);
	append_money(&s, "acct_mulaid_pay", r->acct_mulaid_pay, true);
	append_money(&s, "psn_cash_pay", r->psn_cash_pay, true);
	append_money(&s, "hosp_part_amt", r->hosp_part_amt, true);
	append_money(&s, "balc", r->balc, true);
	appendStringInfoString(&s, ", \"setldetail\": [");
	for (int i = 0; i < r->n_funds; i++)
	{
		appendStringInfo(&s, "%s{\"fund_pay_type\": \"%d\"", i > 0 ? ", " : "", r->funds[i].fund_type);
		append_money(&s, "inscp_scp_amt", r->funds[i].inscp_scp_amt, true);
		append_money(&s, "crt_payb_lmt_amt", r->funds[i].crt_payb_lmt_amt, true);
		append_money(&s, "fund_payamt", r->funds[i].fund_payamt, true);
		appendStringInfoChar(&s, '}');
	}
	appendStringInfoString(&s, "], \"setl_proc_info\": ");
	escape_json(&s, r->trace);
	appendStringInfoString(&s, ", \"year_after\": ");
	append_year(&s, &policy, &r->after);
	appendStringInfoChar(&s, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}
