/*
 * practice_rights.c
 *		healthhub.may_practise(): one probe of healthhub.practice_rights.
 *
 * Every prescription and review asks this, so it is a direct btree probe of
 * the derived table's primary key (practitioner, institution, act,
 * privilege) and a multirange containment test, without the SQL-function
 * executor a SQL body would go through (6.5 us there, about 1.5 here).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "registry/practice_rights.h"

static const char *const acts[] = {"physician", "pharmacist", "nurse", NULL};
static const char *const privileges[] = {"narcotic", "psychotropic_1", "antimicrobial_restricted",
	"antimicrobial_special", NULL};

/* What one call site keeps between calls (in fn_extra). */
typedef struct ProbeCache
{
	Oid			relid;
	Oid			indexid;
	FmgrInfo	contains;		/* multirange_contains_elem */
} ProbeCache;

static bool
is_one_of(text *t, const char *const *names)
{
	const char *s = VARDATA_ANY(t);
	size_t		len = VARSIZE_ANY_EXHDR(t);

	for (int i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return true;
	return false;
}

static ProbeCache *
probe_cache(FunctionCallInfo fcinfo)
{
	ProbeCache *cache = (ProbeCache *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ProbeCache));
		hh_rights_relation(&cache->relid, &cache->indexid);
		fmgr_info_cxt(F_MULTIRANGE_CONTAINS_ELEM, &cache->contains, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache;
}

/*
 * Does the row of practice_rights that the snapshot sees allow the act at
 * "at"?  One probe of the primary key (practitioner, institution, act,
 * privilege; '' for none) and a containment test.
 */
bool
hh_rights_allow(Oid relid, Oid indexid, FmgrInfo *contains, Snapshot snapshot,
				Datum practitioner, Datum institution, text *act, text *privilege,
				Datum at)
{
	Relation	rel;
	Relation	idx;
	ScanKeyData keys[4];
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		result = false;

	rel = table_open(relid, AccessShareLock);
	idx = index_open(indexid, AccessShareLock);

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, practitioner);
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_INT8EQ, institution);
	ScanKeyInit(&keys[2], 3, BTEqualStrategyNumber, F_TEXTEQ, PointerGetDatum(act));
	ScanKeyInit(&keys[3], 4, BTEqualStrategyNumber, F_TEXTEQ,
				privilege ? PointerGetDatum(privilege) : CStringGetTextDatum(""));
	keys[2].sk_collation = idx->rd_indcollation[2];
	keys[3].sk_collation = idx->rd_indcollation[3];

	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx, snapshot, 4, 0);
	index_rescan(scan, keys, 4, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		valid = slot_getattr(slot, 5, &isnull);

		if (!isnull)
			result = DatumGetBool(FunctionCall2Coll(contains, InvalidOid, valid, at));
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return result;
}

/* 22023 unless the act (and the privilege, if given) is one we know */
void
hh_check_act(text *act, text *privilege)
{
	if (!is_one_of(act, acts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown act \"%s\"", text_to_cstring(act)),
				 errdetail("The acts are physician, pharmacist and nurse.")));
	if (privilege != NULL && !is_one_of(privilege, privileges))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown privilege \"%s\"", text_to_cstring(privilege)),
				 errdetail("The privileges are narcotic, psychotropic_1, antimicrobial_restricted and antimicrobial_special.")));
}

/* The relation and index of practice_rights (42P01 if missing). */
void
hh_rights_relation(Oid *relid, Oid *indexid)
{
	Oid			nsp = get_namespace_oid("healthhub", false);

	*relid = get_relname_relid("practice_rights", nsp);
	*indexid = get_relname_relid("practice_rights_pkey", nsp);
	if (!OidIsValid(*relid) || !OidIsValid(*indexid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("healthhub.practice_rights or its primary key is missing")));
}

PG_FUNCTION_INFO_V1(hh_may_practise);
Datum
hh_may_practise(PG_FUNCTION_ARGS)
{
	ProbeCache *cache;
	text	   *act;
	text	   *privilege;

	/* a question with a missing part has the answer no, as the SQL did */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_BOOL(false);
	act = PG_GETARG_TEXT_PP(1);
	privilege = PG_ARGISNULL(4) ? NULL : PG_GETARG_TEXT_PP(4);
	hh_check_act(act, privilege);

	cache = probe_cache(fcinfo);
	PG_RETURN_BOOL(hh_rights_allow(cache->relid, cache->indexid, &cache->contains,
								   GetActiveSnapshot(), PG_GETARG_DATUM(0),
								   PG_GETARG_DATUM(2), act, privilege,
								   PG_GETARG_DATUM(3)));
}
