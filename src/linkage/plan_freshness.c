/*
 * plan_freshness.c
 *		healthhub.replan_when_grown(): link_record's statements keep their
 *		plans for the session, and plans made while a new hub's index was
 *		nearly empty scan whole tables, a cost that rises with every record,
 *		until an ANALYZE happens to invalidate them.  Each backend remembers
 *		how large healthhub.source_records was when it last looked; when the
 *		table has doubled since, it invalidates the person index's tables, so
 *		that every session plans again on their real sizes (the planner reads
 *		a table's current size even before it has statistics).  A backend
 *		sends about twenty invalidations in its life at most, from an empty
 *		index to ten million records; a backend that starts on a large index
 *		sends none until it has doubled.
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "fmgr.h"
#include "storage/bufmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/* The tables whose statistics link_record's plans depend on. */
static const char *const person_index_tables[] = {
	"source_records", "persons", "person_identifiers", "record_block_keys", "link_decisions"
};

static BlockNumber blocks_seen = InvalidBlockNumber;

PG_FUNCTION_INFO_V1(hh_replan_when_grown);
Datum
hh_replan_when_grown(PG_FUNCTION_ARGS)
{
	Oid			nsp = get_namespace_oid("healthhub", false);
	Oid			records = get_relname_relid("source_records", nsp);
	Relation	rel;
	BlockNumber blocks;

	if (!OidIsValid(records))
		PG_RETURN_BOOL(false);
	rel = relation_open(records, AccessShareLock);
	blocks = RelationGetNumberOfBlocks(rel);
	relation_close(rel, AccessShareLock);

	/*
	 * A backend's first look only records the size: its plans are yet to be
	 * made.  (8 blocks, not 0: the first plans of a new hub are made at once
	 * on an empty table.)
	 */
	if (blocks_seen == InvalidBlockNumber || blocks < 2 * blocks_seen + 8)
	{
		if (blocks_seen == InvalidBlockNumber)
			blocks_seen = blocks;
		PG_RETURN_BOOL(false);
	}
	blocks_seen = blocks;
	for (int i = 0; i < (int) lengthof(person_index_tables); i++)
	{
		Oid			relid = get_relname_relid(person_index_tables[i], nsp);

		if (OidIsValid(relid))
			CacheInvalidateRelcacheByRelid(relid);
	}
	PG_RETURN_BOOL(true);
}
