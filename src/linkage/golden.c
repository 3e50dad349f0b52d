/*
 * golden.c
 *		healthhub.golden_value(key, value, at, most_recent): the aggregate
 *		that picks one field of a person's golden record from its records.
 *
 * Values are grouped by key (a name by its simplified characters, so that
 * 张三 and 張 三 count as one).  The winning group is the most frequent
 * (ties: the most recently seen, then the smallest key), or with
 * most_recent the most recently seen (ties: the most frequent, then the
 * smallest key); it shows its most recent value (ties: the smallest).  One
 * pass over the rows instead of grouping, sorting and ranking them in SQL:
 * link_batch rebuilds hundreds of thousands of golden records at once.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

typedef struct GoldenGroup
{
	text	   *key;
	text	   *value;			/* the most recent value of the group */
	int64		count;
	TimestampTz last;
} GoldenGroup;

typedef struct GoldenState
{
	bool		most_recent;
	int			ngroups;
	int			capacity;
	GoldenGroup *groups;
} GoldenState;

static int
text_cmp(text *a, text *b)
{
	int			alen = VARSIZE_ANY_EXHDR(a);
	int			blen = VARSIZE_ANY_EXHDR(b);
	int			c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(alen, blen));

	return c != 0 ? c : (alen > blen) - (alen < blen);
}

/* Does group a win over group b under the rule? */
static bool
group_wins(const GoldenState *state, const GoldenGroup *a, const GoldenGroup *b)
{
	if (state->most_recent && a->last != b->last)
		return a->last > b->last;
	if (a->count != b->count)
		return a->count > b->count;
	if (a->last != b->last)
		return a->last > b->last;
	return text_cmp(a->key, b->key) < 0;
}

PG_FUNCTION_INFO_V1(hh_golden_value_step);
Datum
hh_golden_value_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	GoldenState *state = PG_ARGISNULL(0) ? NULL : (GoldenState *) PG_GETARG_POINTER(0);
	MemoryContext old;
	text	   *key;
	text	   *value;
	TimestampTz at;
	GoldenGroup *g = NULL;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "golden_value called in a non-aggregate context");
	old = MemoryContextSwitchTo(aggcontext);
	if (state == NULL)
	{
		state = palloc0(sizeof(GoldenState));
		state->most_recent = !PG_ARGISNULL(4) && PG_GETARG_BOOL(4);
	}
	/* a record without this field says nothing about it */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		MemoryContextSwitchTo(old);
		PG_RETURN_POINTER(state);
	}
	key = PG_GETARG_TEXT_PP(1);
	value = PG_GETARG_TEXT_PP(2);
	at = PG_ARGISNULL(3) ? DT_NOBEGIN : PG_GETARG_TIMESTAMPTZ(3);

	/* a person has few distinct values per field: a linear search */
	for (int i = 0; i < state->ngroups; i++)
		if (text_cmp(state->groups[i].key, key) == 0)
		{
			g = &state->groups[i];
			break;
		}
	if (g == NULL)
	{
		if (state->ngroups == state->capacity)
		{
			state->capacity = state->capacity ? state->capacity * 2 : 4;
			state->groups = state->groups
				? repalloc(state->groups, state->capacity * sizeof(GoldenGroup))
				: palloc(state->capacity * sizeof(GoldenGroup));
		}
		g = &state->groups[state->ngroups++];
		g->key = (text *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(1));
		g->value = (text *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(2));
		g->count = 1;
		g->last = at;
	}
	else
	{
		int			cmp = text_cmp(value, g->value);

		g->count++;
		/* the group shows its latest value (ties: the smallest) */
		if (at > g->last || (at == g->last && cmp < 0))
		{
			if (cmp != 0)
				g->value = (text *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(2));
			g->last = at;
		}
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(hh_golden_value_final);
Datum
hh_golden_value_final(PG_FUNCTION_ARGS)
{
	GoldenState *state = PG_ARGISNULL(0) ? NULL : (GoldenState *) PG_GETARG_POINTER(0);
	GoldenGroup *best = NULL;

	if (state == NULL || state->ngroups == 0)
		PG_RETURN_NULL();
	for (int i = 0; i < state->ngroups; i++)
		if (best == NULL || group_wins(state, &state->groups[i], best))
			best = &state->groups[i];
	PG_RETURN_TEXT_P(best->value);
}
