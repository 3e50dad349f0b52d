/*
 * resolve.c
 *		healthhub.resolve(identifier): the person an identifier finds, with
 *		one probe of a unique index of healthhub.person_identifiers.
 *
 * Every service asks this before anything else, so it is a direct index
 * probe, index-only when the heap page is all-visible (the index includes
 * person_key), without the SQL-function executor a SQL body would go
 * through.  It is a read of the person index all the same: each call leaves
 * an audit entry (who asked, and the person found, if any; the identifier
 * itself is personal data and stays out of the trail).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/visibilitymap.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "ident/resident_id_parse.h"
#include "platform/audit_append.h"

/* What one call site keeps between calls (in fn_extra). */
typedef struct ResolveCache
{
	Oid			relid;
	Oid			indexid;
	RegProcedure equal;			/* the indexed type's = */
	AttrNumber	person_attno;	/* person_key in the heap */
} ResolveCache;

static ResolveCache *
resolve_cache(FunctionCallInfo fcinfo, const char *index_name)
{
	ResolveCache *cache = (ResolveCache *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		Oid			nsp = get_namespace_oid("healthhub", false);
		Relation	index;
		Oid			op;

		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ResolveCache));
		cache->relid = get_relname_relid("person_identifiers", nsp);
		cache->indexid = get_relname_relid(index_name, nsp);
		if (!OidIsValid(cache->relid) || !OidIsValid(cache->indexid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("healthhub.person_identifiers or its index %s is missing", index_name)));
		index = index_open(cache->indexid, AccessShareLock);
		op = get_opfamily_member(index->rd_opfamily[0], index->rd_opcintype[0], index->rd_opcintype[0],
								 BTEqualStrategyNumber);
		cache->equal = get_opcode(op);
		index_close(index, AccessShareLock);
		cache->person_attno = get_attnum(cache->relid, "person_key");
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache;
}

/* The person_key the index finds for value, or false. */
static bool
probe(ResolveCache *cache, Datum value, int64 *person)
{
	Relation	heap = table_open(cache->relid, AccessShareLock);
	Relation	index = index_open(cache->indexid, AccessShareLock);
	IndexScanDesc scan;
	ScanKeyData key;
	ItemPointer tid;
	Buffer		vmbuffer = InvalidBuffer;
	TupleTableSlot *slot = NULL;
	bool		found = false;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, cache->equal, value);
	key.sk_collation = index->rd_indcollation[0];
	scan = index_beginscan(heap, index, GetActiveSnapshot(), 1, 0);
	scan->xs_want_itup = true;
	index_rescan(scan, &key, 1, NULL, 0);
	while (!found && (tid = index_getnext_tid(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d;

		if (VM_ALL_VISIBLE(heap, ItemPointerGetBlockNumber(tid), &vmbuffer))
			d = index_getattr(scan->xs_itup, 2, scan->xs_itupdesc, &isnull);	/* INCLUDE (person_key) */
		else
		{
			if (slot == NULL)
				slot = table_slot_create(heap, NULL);
			if (!index_fetch_heap(scan, slot))
				continue;		/* not visible to this snapshot */
			d = slot_getattr(slot, cache->person_attno, &isnull);
		}
		if (!isnull)
		{
			*person = DatumGetInt64(d);
			found = true;
		}
	}
	if (BufferIsValid(vmbuffer))
		ReleaseBuffer(vmbuffer);
	index_endscan(scan);
	if (slot != NULL)
		ExecDropSingleTupleTableSlot(slot);
	index_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);
	return found;
}

/* The person value finds, audited: NULL if none. */
static Datum
resolve_audited(FunctionCallInfo fcinfo, const char *index_name)
{
	int64		person;
	bool		found = probe(resolve_cache(fcinfo, index_name), PG_GETARG_DATUM(0), &person);

	audit_entry("read", "person_index", NULL, found ? &person : NULL, "identity resolution",
				found ? "found" : "not_found", NULL);
	if (found)
		PG_RETURN_INT64(person);
	PG_RETURN_NULL();
}

/* healthhub.resolve(resident_id) RETURNS bigint */
PG_FUNCTION_INFO_V1(hh_resolve_resident_id);
Datum
hh_resolve_resident_id(PG_FUNCTION_ARGS)
{
	return resolve_audited(fcinfo, "person_identifiers_resident_id");
}

/* healthhub.resolve(health_identifier) RETURNS bigint */
PG_FUNCTION_INFO_V1(hh_resolve_identifier);
Datum
hh_resolve_identifier(PG_FUNCTION_ARGS)
{
	return resolve_audited(fcinfo, "person_identifiers_identifier");
}
