/*
 * settle_engine.c
 *		bench/settle.sh's engine figure: claims of 20 lines split by the
 *		settlement engine (src/settle/settle_engine.c) on one core, per
 *		CPU second, beside a baseline from the same run: the same claims'
 *		lines only classified and totalled (st_split_line per line), the
 *		least any split of a bill does.
 *
 *   settle_engine MODE SECONDS       MODE: settle | lines
 *
 * 4096 distinct claims are generated first (a fixed seed): lines of every
 * class, a third under a price cap, restricted items, an employee policy
 * of two bands, a large-expense fund and assistance, years part used.  The
 * loop runs them round robin until SECONDS of CPU time have passed, checks
 * each result, and prints "claims_per_cpu_second".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "settle/settle_engine.h"

#define CLAIMS	4096
#define LINES	20

static uint64_t seed = 20261203;

static uint64_t
next(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static st_line lines[CLAIMS][LINES];
	static st_year years[CLAIMS];
	st_policy	policy;
	st_result  *r = malloc(sizeof(st_result));
	double		seconds;
	double		start;
	long		done = 0;
	int64_t		check = 0;
	bool		settle;

	if (argc != 3 || (strcmp(argv[1], "settle") != 0 && strcmp(argv[1], "lines") != 0))
	{
		fprintf(stderr, "usage: settle_engine settle|lines SECONDS\n");
		return 2;
	}
	settle = strcmp(argv[1], "settle") == 0;
	seconds = atof(argv[2]);

	memset(&policy, 0, sizeof(policy));
	policy.basic = (st_fund_rule) {310100, 80000, false, 2, {{5000000, 8500}, {-1, 9000}}, 50000000};
	policy.tier2 = (st_fund_rule) {330100, 0, false, 1, {{-1, 5000}}, -1};
	policy.assistance = (st_fund_rule) {610100, 0, false, 1, {{-1, 7000}}, 1000000};
	policy.account_pays = true;
	for (int c = 0; c < CLAIMS; c++)
	{
		for (int i = 0; i < LINES; i++)
		{
			st_line    *l = &lines[c][i];

			l->amount = (st_fen) (next() % 500000);
			l->cap_amount = next() % 3 == 0 ? l->amount - (st_fen) (next() % 1000) : -1;
			if (l->cap_amount < -1)
				l->cap_amount = 0;
			l->item_class = "AABBC"[next() % 5];
			l->selfpay_first = (int32_t) (next() % 2001);
			l->restricted = next() % 10 == 0;
			l->approved = next() % 2 == 0;
			l->hospital_bears = false;
		}
		memset(&years[c], 0, sizeof(st_year));
		years[c].deductible_met[ST_STAGE_BASIC] = (st_fen) (next() % 100000);
		years[c].paid[ST_STAGE_BASIC] = (st_fen) (next() % 40000000);
		years[c].account_balance = (st_fen) (next() % 300000);
	}

	start = cpu_seconds();
	while (cpu_seconds() - start < seconds)
	{
		for (int k = 0; k < 1000; k++, done++)
		{
			int			c = (int) (done % CLAIMS);

			if (settle)
			{
				int			bad;

				if (st_settle(lines[c], LINES, &policy, &years[c], r, &bad) != ST_OK ||
					r->psn_part_amt != r->acct_pay + r->psn_cash_pay)
				{
					fprintf(stderr, "claim %d did not settle\n", c);
					return 1;
				}
				check += r->fund_pay_sumamt;
			}
			else
			{
				st_line_split s;

				for (int i = 0; i < LINES; i++)
				{
					if (st_split_line(&lines[c][i], &s) != ST_OK)
						return 1;
					check += s.inscp_scp;
				}
			}
		}
	}
	printf("%.0f\n", done / (cpu_seconds() - start));
	fprintf(stderr, "(checksum %lld)\n", (long long) check);
	free(r);
	return 0;
}
