/*
 * settle_engine.h
 *		The split of a medical bill between the funds and the person
 *		(docs/settlement.md): the national settlement result of transaction
 *		2207 (2206 when nothing is written), computed in integer fen.
 *
 *		The engine knows no region, year or scheme: the caller passes the
 *		policy in force for the insured person (their region's rules, the
 *		catalogue of the place of treatment already applied to each line as
 *		class, cap and ratio) and the person's year so far; the engine
 *		returns the split, the per-fund detail, the year after, and a
 *		readable trace (setl_proc_info).  Pure C: no postgres.h.
 *
 *		Rounding: amounts are whole fen; a ratio is in ten-thousandths
 *		(pool_prop_selfpay is numeric(5,4)).  Each product of an amount
 *		and a ratio is rounded once, half away from zero, to the fen: a
 *		line's B-class self-pay-first part, and each fund's payment (the
 *		sum of its bands' segments times their ratios, rounded at the end).
 */
#ifndef HH_SETTLE_ENGINE_H
#define HH_SETTLE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ST_MAX_LINES		1000		/* lines of one claim */
#define ST_MAX_BANDS		8			/* ratio bands of one fund */
#define ST_MAX_SUPPLEMENTS	4			/* funds between tier 2 and assistance */
#define ST_MAX_FUNDS		(3 + ST_MAX_SUPPLEMENTS)
#define ST_RATIO_ONE		10000		/* a ratio of 1, in ten-thousandths */
#define ST_AMOUNT_MAX		INT64_C(100000000000000)	/* 10^12 yuan: numeric(16,2) */
#define ST_TRACE_MAX		4096

typedef int64_t st_fen;

typedef enum st_class
{
	ST_CLASS_A = 'A',			/* fully eligible */
	ST_CLASS_B = 'B',			/* eligible after the self-pay-first ratio */
	ST_CLASS_C = 'C'			/* out of the catalogue: fully self-paid */
} st_class;

/* One line of the bill, as the catalogue of the place of treatment sees it. */
typedef struct st_line
{
	st_fen		amount;			/* det_item_fee_sumamt: what is billed */
	st_fen		cap_amount;		/* the price cap x quantity; < 0: no cap */
	char		item_class;		/* st_class */
	int32_t		selfpay_first;	/* B class: the self-pay-first ratio */
	bool		restricted;		/* restricted use ... */
	bool		approved;		/* ... and the hospital approved it (hosp_appr_flag 1) */
	bool		hospital_bears;	/* refused by the smart audit: the hospital's cost */
} st_line;

/* What a line became: the four parts of medfee_sumamt. */
typedef struct st_line_split
{
	st_fen		fulamt_ownpay;
	st_fen		overlmt_selfpay;
	st_fen		preselfpay;
	st_fen		inscp_scp;
} st_line_split;

/*
 * A fund's ratio bands: the fund pays "ratio" of the part of its base
 * (accumulated over the year) up to "upto"; the last band has no upper end
 * (upto < 0).
 */
typedef struct st_band
{
	st_fen		upto;
	int32_t		ratio;
} st_band;

typedef struct st_fund_rule
{
	int32_t		fund_type;		/* 310100, 390200, 610100 ... (0: none) */
	st_fen		deductible;		/* over the year (or per admission: see below) */
	bool		deductible_per_admission;
	int			n_bands;
	st_band		bands[ST_MAX_BANDS];
	st_fen		annual_cap;		/* < 0: none */
} st_fund_rule;

/*
 * The policy of the insured region for this visit.  basic: the pooled fund
 * (its base is the eligible amount); tier2: critical illness (residents) or
 * the large-expense subsidy (employees), whose base is the policy-range
 * self-pay the basic fund left; supplements (civil servants, enterprise)
 * and assistance pay a ratio of what is left after them, each under its
 * cap.  ratio_reduction: the points an unfiled trip loses on every band of
 * the basic fund.
 */
typedef struct st_policy
{
	st_fund_rule basic;
	st_fund_rule tier2;
	int			n_supplements;
	st_fund_rule supplements[ST_MAX_SUPPLEMENTS];
	st_fund_rule assistance;
	int32_t		ratio_reduction;
	bool		account_pays;	/* the personal account may pay the person's part */
	bool		mutual_aid;		/* ... and then the family's mutual-aid account */
} st_policy;

/* The person's year so far, per fund stage; and the accounts. */
typedef struct st_year
{
	st_fen		deductible_met[2 + ST_MAX_SUPPLEMENTS + 1];	/* basic, tier2, supplements, assistance */
	st_fen		base_done[2 + ST_MAX_SUPPLEMENTS + 1];		/* the base above the deductible, so far */
	st_fen		paid[2 + ST_MAX_SUPPLEMENTS + 1];			/* what each fund paid, so far */
	st_fen		account_balance;
	st_fen		mutual_aid_balance;
} st_year;

#define ST_STAGE_BASIC		0
#define ST_STAGE_TIER2		1
#define ST_STAGE_SUPPLEMENT	2		/* + index */
#define ST_STAGE_ASSISTANCE	(2 + ST_MAX_SUPPLEMENTS)
#define ST_STAGES			(3 + ST_MAX_SUPPLEMENTS)

typedef struct st_fund_result
{
	int32_t		fund_type;		/* fund_pay_type */
	st_fen		inscp_scp_amt;	/* the base it paid on */
	st_fen		crt_payb_lmt_amt;	/* what it could still pay this year before */
	st_fen		fund_payamt;
} st_fund_result;

typedef struct st_result
{
	st_fen		medfee_sumamt;
	st_fen		fulamt_ownpay_amt;
	st_fen		overlmt_selfpay;
	st_fen		preselfpay_amt;
	st_fen		inscp_scp_amt;
	st_fen		act_pay_dedc;
	st_fen		hifp_pay;
	int32_t		pool_prop_selfpay;	/* the basic fund's last ratio applied */
	st_fen		cvlserv_pay;
	st_fen		hifes_pay;
	st_fen		hifmi_pay;
	st_fen		hifob_pay;
	st_fen		maf_pay;
	st_fen		oth_pay;
	st_fen		fund_pay_sumamt;
	st_fen		psn_part_amt;
	st_fen		acct_pay;
	st_fen		acct_mulaid_pay;	/* the part of acct_pay from the family's account */
	st_fen		psn_cash_pay;
	st_fen		hosp_part_amt;
	st_fen		balc;
	int			n_funds;
	st_fund_result funds[ST_MAX_FUNDS];
	st_year		after;
	char		trace[ST_TRACE_MAX];	/* setl_proc_info */
} st_result;

typedef enum st_status
{
	ST_OK = 0,
	ST_NO_LINES,
	ST_TOO_MANY_LINES,
	ST_BAD_AMOUNT,				/* negative or above ST_AMOUNT_MAX */
	ST_BAD_CLASS,
	ST_BAD_RATIO,				/* outside 0 .. 1 */
	ST_BAD_BANDS,				/* not increasing, or too many */
	ST_NO_BASIC_FUND,
	ST_BAD_YEAR					/* negative accumulators or balances */
} st_status;

/* The split of one line (no policy needed). */
extern st_status st_split_line(const st_line *line, st_line_split *out);

/*
 * The settlement of a claim of n lines for a person whose year so far is
 * "year", under "policy".  On ST_OK "out" holds the result (out->after: the
 * year with this settlement); on an error "bad_line" (when not NULL) names
 * the 1-based line at fault, or 0.
 */
extern st_status st_settle(const st_line *lines, int n, const st_policy *policy, const st_year *year,
						   st_result *out, int *bad_line);

/* A sentence for a status (for errdetail). */
extern const char *st_status_text(st_status status);

/* "1234.56" for 123456 fen; "-0.01" for -1.  buf: at least 24 bytes. */
extern char *st_format_fen(st_fen fen, char *buf);

/*
 * A decimal text of at most "decimals" decimals ("12.5", "0.0800"; no sign,
 * no exponent; zeros beyond them are allowed: "12.5000") as an integer of
 * that many decimals (1250 for "12.5" with 2): false when it is not one, or
 * above "max".
 */
extern bool st_parse_decimal(const char *s, size_t len, int decimals, int64_t max, int64_t *out);

#endif
