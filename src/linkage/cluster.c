/*
 * cluster.c
 *		healthhub.link_clusters(): group the records of a bulk link into
 *		persons, from their scored pairs.
 *
 * A union-find over the records, fed the strongest evidence first: records
 * that share an identifier are one person; then pairs by descending match
 * weight, down to the match threshold.  Two groups are never joined if that
 * would give one person two different resident ID numbers, or two persons
 * already in the index (a batch does not merge persons: a reviewer does), so
 * a chain of pairs cannot drag a twin or a parent into someone else.
 *
 * Reads pg_temp.batch_nodes (node, resident_id body or 0, existing person
 * or 0) and pg_temp.batch_edges (a, b, weight); both are made by
 * healthhub.link_batch() in the same transaction.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

typedef struct Edge
{
	int32		a;
	int32		b;
	double		weight;
} Edge;

typedef struct Groups
{
	int32	   *parent;
	int64	   *resident_id;	/* of the group's root: 0 none */
	int64	   *person;			/* existing person of the root: 0 none */
} Groups;

static int32
find_root(Groups *g, int32 x)
{
	while (g->parent[x] != x)
	{
		g->parent[x] = g->parent[g->parent[x]];	/* path halving */
		x = g->parent[x];
	}
	return x;
}

/* Join the groups of a and b unless that would join two numbers or persons. */
static bool
join(Groups *g, int32 a, int32 b)
{
	int32		ra = find_root(g, a);
	int32		rb = find_root(g, b);

	if (ra == rb)
		return true;
	if (g->resident_id[ra] != 0 && g->resident_id[rb] != 0 && g->resident_id[ra] != g->resident_id[rb])
		return false;
	if (g->person[ra] != 0 && g->person[rb] != 0 && g->person[ra] != g->person[rb])
		return false;
	if (ra > rb)
	{
		int32		t = ra;

		ra = rb;
		rb = t;
	}
	g->parent[rb] = ra;
	if (g->resident_id[ra] == 0)
		g->resident_id[ra] = g->resident_id[rb];
	if (g->person[ra] == 0)
		g->person[ra] = g->person[rb];
	return true;
}

static int
edge_cmp(const void *x, const void *y)
{
	const Edge *a = (const Edge *) x;
	const Edge *b = (const Edge *) y;

	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

/*
 * healthhub.link_clusters(match_weight double precision)
 *   RETURNS TABLE (node integer, cluster integer)
 */
PG_FUNCTION_INFO_V1(hh_link_clusters);
Datum
hh_link_clusters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double		threshold = PG_GETARG_FLOAT8(0);
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "link clusters", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	Groups		g;
	Edge	   *edges;
	int64		nedges = 0,
				cap = 1 << 20;
	int32		nnodes;
	Portal		cursor;
	bool		isnull;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();

	if (SPI_execute("SELECT coalesce(max(node), 0) FROM pg_temp.batch_nodes", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "link_clusters: could not read pg_temp.batch_nodes");
	nnodes = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	old = MemoryContextSwitchTo(work);
	g.parent = palloc_extended(sizeof(int32) * (nnodes + 1), MCXT_ALLOC_HUGE);
	g.resident_id = palloc_extended(sizeof(int64) * (nnodes + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	g.person = palloc_extended(sizeof(int64) * (nnodes + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int32 i = 0; i <= nnodes; i++)
		g.parent[i] = i;
	edges = palloc_extended(sizeof(Edge) * cap, MCXT_ALLOC_HUGE);
	MemoryContextSwitchTo(old);

	cursor = SPI_cursor_open_with_args(NULL, "SELECT node, resident_id, person_key FROM pg_temp.batch_nodes",
									   0, NULL, NULL, NULL, true, CURSOR_OPT_NO_SCROLL);
	for (;;)
	{
		SPI_cursor_fetch(cursor, true, 10000);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	t = SPI_tuptable->vals[r];
			int32		node = DatumGetInt32(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull));
			Datum		rid = SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &isnull);
			Datum		person;

			if (node < 1 || node > nnodes)
				continue;
			g.resident_id[node] = isnull ? 0 : DatumGetInt64(rid);
			person = SPI_getbinval(t, SPI_tuptable->tupdesc, 3, &isnull);
			g.person[node] = isnull ? 0 : DatumGetInt64(person);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(cursor);

	cursor = SPI_cursor_open_with_args(NULL, "SELECT a, b, weight FROM pg_temp.batch_edges",
									   0, NULL, NULL, NULL, true, CURSOR_OPT_NO_SCROLL);
	for (;;)
	{
		SPI_cursor_fetch(cursor, true, 10000);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	t = SPI_tuptable->vals[r];
			Edge		e;

			e.a = DatumGetInt32(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull));
			e.b = DatumGetInt32(SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &isnull));
			e.weight = DatumGetFloat8(SPI_getbinval(t, SPI_tuptable->tupdesc, 3, &isnull));
			if (e.weight < threshold || e.a < 1 || e.b < 1 || e.a > nnodes || e.b > nnodes)
				continue;
			if (nedges == cap)
			{
				cap *= 2;
				edges = repalloc_huge(edges, sizeof(Edge) * cap);
			}
			edges[nedges++] = e;
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(cursor);

	/* the strongest evidence first (identifier edges carry +infinity) */
	qsort(edges, nedges, sizeof(Edge), edge_cmp);
	for (int64 i = 0; i < nedges; i++)
		(void) join(&g, edges[i].a, edges[i].b);

	for (int32 node = 1; node <= nnodes; node++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int32GetDatum(node);
		values[1] = Int32GetDatum(find_root(&g, node));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	MemoryContextDelete(work);
	return (Datum) 0;
}
