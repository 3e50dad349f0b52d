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
 * Before any pair, the nodes of each person already in the index (its
 * records, and the batch's records an identifier gave it) are made one
 * group, earliest node first: a record whose number the person's group does
 * not hold leaves the person and stands alone, so two groups never end in
 * one person with two numbers.  Each node's group comes back with the
 * group's person (NULL: a new person).
 *
 * Reads pg_temp.batch_nodes (node, resident_id body or 0, existing person
 * or 0) and pg_temp.batch_edges (a, b, weight); both are made by
 * healthhub.link_batch() in the same transaction.  Their column types are
 * checked (a datum is read as the type link_batch gives it) and the nodes
 * bounded, since anyone allowed to call this could have made the tables.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "linkage/work_table.h"

/*
 * At most this many nodes: the arrays over them must fit an allocation, and
 * node + 1 an int32.
 */
#define MAX_NODES ((int32) Min(MaxAllocHugeSize / sizeof(int64) / 4, (Size) PG_INT32_MAX - 2))

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

/* (declared in linkage/work_table.h) */
void
check_work_column(TupleDesc desc, int col, const char *table, const char *column, Oid expected)
{
	Oid			actual = SPI_gettypeid(desc, col);

	if (actual != expected)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of pg_temp.%s is of type %s, not %s",
						column, table, format_type_be(actual), format_type_be(expected)),
				 errhint("healthhub.link_batch() makes this table.")));
}

/* Nodes in person order, earliest node first. */
static const int64 *node_person;

static int
person_cmp(const void *x, const void *y)
{
	int32		a = *(const int32 *) x;
	int32		b = *(const int32 *) y;

	if (node_person[a] != node_person[b])
		return node_person[a] < node_person[b] ? -1 : 1;
	return (a > b) - (a < b);
}

/* Make the nodes of each existing person one group (see the header). */
static void
join_persons(Groups *g, int32 nnodes)
{
	int32	   *order = palloc_extended(sizeof(int32) * (nnodes + 1), MCXT_ALLOC_HUGE);
	int32		n = 0;

	for (int32 node = 1; node <= nnodes; node++)
		if (g->person[node] != 0)
			order[n++] = node;
	node_person = g->person;
	qsort(order, n, sizeof(int32), person_cmp);
	for (int32 i = 1, first = 0; i < n; i++)
	{
		if (g->person[order[i]] != g->person[order[first]])
		{
			first = i;
			continue;
		}
		if (!join(g, order[first], order[i]))
			g->person[order[i]] = 0;	/* another number: not this person */
	}
	pfree(order);
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
 *   RETURNS TABLE (node integer, cluster integer, person_key bigint)
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
	Datum		max_node;
	Portal		cursor;
	bool		isnull;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();

	cursor = SPI_cursor_open_with_args(NULL, "SELECT node, resident_id, person_key FROM pg_temp.batch_nodes",
									   0, NULL, NULL, NULL, true, CURSOR_OPT_NO_SCROLL);
	check_work_column(cursor->tupDesc, 1, "batch_nodes", "node", INT4OID);
	check_work_column(cursor->tupDesc, 2, "batch_nodes", "resident_id", INT8OID);
	check_work_column(cursor->tupDesc, 3, "batch_nodes", "person_key", INT8OID);

	if (SPI_execute("SELECT max(node) FROM pg_temp.batch_nodes", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "link_clusters: could not read pg_temp.batch_nodes");
	max_node = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	nnodes = isnull ? 0 : DatumGetInt32(max_node);
	if (nnodes < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the nodes of pg_temp.batch_nodes are numbered from 1"),
				 errdetail("The greatest node is %d.", nnodes)));
	if (nnodes > MAX_NODES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("pg_temp.batch_nodes has too many nodes"),
				 errdetail("The greatest node is %d; link_clusters handles at most %d.", nnodes, MAX_NODES)));

	old = MemoryContextSwitchTo(work);
	g.parent = palloc_extended(sizeof(int32) * (nnodes + 1), MCXT_ALLOC_HUGE);
	g.resident_id = palloc_extended(sizeof(int64) * (nnodes + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	g.person = palloc_extended(sizeof(int64) * (nnodes + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int32 i = 0; i <= nnodes; i++)
		g.parent[i] = i;
	edges = palloc_extended(sizeof(Edge) * cap, MCXT_ALLOC_HUGE);
	MemoryContextSwitchTo(old);

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
	check_work_column(cursor->tupDesc, 1, "batch_edges", "a", INT4OID);
	check_work_column(cursor->tupDesc, 2, "batch_edges", "b", INT4OID);
	check_work_column(cursor->tupDesc, 3, "batch_edges", "weight", FLOAT8OID);
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
			/* (no weight, or NaN, is no evidence; a NULL node reads as 0) */
			if (isnull || isnan(e.weight) ||
				e.weight < threshold || e.a < 1 || e.b < 1 || e.a > nnodes || e.b > nnodes)
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

	join_persons(&g, nnodes);
	/* the strongest evidence first (identifier edges carry +infinity) */
	qsort(edges, nedges, sizeof(Edge), edge_cmp);
	for (int64 i = 0; i < nedges; i++)
		(void) join(&g, edges[i].a, edges[i].b);

	for (int32 node = 1; node <= nnodes; node++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		int32		root = find_root(&g, node);

		values[0] = Int32GetDatum(node);
		values[1] = Int32GetDatum(root);
		values[2] = Int64GetDatum(g.person[root]);
		nulls[2] = g.person[root] == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	MemoryContextDelete(work);
	return (Datum) 0;
}
