/*
 * block_pairs.c
 *		healthhub.block_pairs(max_block): the candidate pairs of a bulk link,
 *		every two records that share a blocking key, each pair once.
 *
 * Reads pg_temp.batch_keys (block_hash, node), made by healthhub.link_batch()
 * in the same transaction.  Sorting the keys and walking each block in
 * memory avoids the self-join of millions of keys and the DISTINCT over the
 * pairs it produces (records sharing two keys meet twice) that SQL needs.
 * Blocks of one record or of more than max_block records give no pairs (a
 * key shared by so many records says little).  The column types are checked
 * (a datum is read as the type link_batch gives it), since anyone allowed
 * to call this could have made the table.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "linkage/work_table.h"

typedef struct BlockKey
{
	int64		hash;
	int32		node;
} BlockKey;

static int
key_cmp(const void *x, const void *y)
{
	const BlockKey *a = (const BlockKey *) x;
	const BlockKey *b = (const BlockKey *) y;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	return (a->node > b->node) - (a->node < b->node);
}

static int
pair_cmp(const void *x, const void *y)
{
	uint64		a = *(const uint64 *) x;
	uint64		b = *(const uint64 *) y;

	return (a > b) - (a < b);
}

/* Append to a growing huge array, doubling it when full. */
#define APPEND(arr, n, cap, value) \
	do { \
		if ((n) == (cap)) \
		{ \
			(cap) *= 2; \
			(arr) = repalloc_huge((arr), sizeof(*(arr)) * (cap)); \
		} \
		(arr)[(n)++] = (value); \
	} while (0)

/* healthhub.block_pairs(max_block integer) RETURNS TABLE (a integer, b integer) */
PG_FUNCTION_INFO_V1(hh_block_pairs);
Datum
hh_block_pairs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32		max_block = PG_GETARG_INT32(0);
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "block pairs", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	BlockKey   *keys;
	uint64	   *pairs;
	int64		nkeys = 0,
				keycap = 1 << 20,
				npairs = 0,
				paircap = 1 << 20;
	Portal		cursor;
	bool		isnull;

	InitMaterializedSRF(fcinfo, 0);
	old = MemoryContextSwitchTo(work);
	keys = palloc_extended(sizeof(BlockKey) * keycap, MCXT_ALLOC_HUGE);
	pairs = palloc_extended(sizeof(uint64) * paircap, MCXT_ALLOC_HUGE);
	MemoryContextSwitchTo(old);

	SPI_connect();
	cursor = SPI_cursor_open_with_args(NULL, "SELECT block_hash, node FROM pg_temp.batch_keys",
									   0, NULL, NULL, NULL, true, CURSOR_OPT_NO_SCROLL);
	check_work_column(cursor->tupDesc, 1, "batch_keys", "block_hash", INT8OID);
	check_work_column(cursor->tupDesc, 2, "batch_keys", "node", INT4OID);
	for (;;)
	{
		SPI_cursor_fetch(cursor, true, 10000);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	t = SPI_tuptable->vals[r];
			BlockKey	k;

			k.hash = DatumGetInt64(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &isnull));
			if (isnull)
				continue;
			k.node = DatumGetInt32(SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &isnull));
			if (isnull || k.node < 1)
				continue;
			APPEND(keys, nkeys, keycap, k);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(cursor);
	SPI_finish();

	qsort(keys, nkeys, sizeof(BlockKey), key_cmp);
	for (int64 start = 0, end; start < nkeys; start = end)
	{
		int64		size;

		for (end = start + 1; end < nkeys && keys[end].hash == keys[start].hash; end++)
			;
		size = end - start;
		if (size < 2 || size > max_block)
			continue;
		for (int64 i = start; i < end; i++)
			for (int64 j = i + 1; j < end; j++)
				if (keys[i].node != keys[j].node)
					APPEND(pairs, npairs, paircap, ((uint64) keys[i].node << 32) | (uint32) keys[j].node);
		CHECK_FOR_INTERRUPTS();
	}

	qsort(pairs, npairs, sizeof(uint64), pair_cmp);
	for (int64 i = 0; i < npairs; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if (i > 0 && pairs[i] == pairs[i - 1])
			continue;
		values[0] = Int32GetDatum((int32) (pairs[i] >> 32));
		values[1] = Int32GetDatum((int32) (pairs[i] & 0xFFFFFFFF));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(work);
	return (Datum) 0;
}
