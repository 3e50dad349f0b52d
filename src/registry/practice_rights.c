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
		Oid			nsp = get_namespace_oid("healthhub", false);

		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ProbeCache));
		cache->relid = get_relname_relid("practice_rights", nsp);
		cache->indexid = get_relname_relid("practice_rights_pkey", nsp);
		if (!OidIsValid(cache->relid) || !OidIsValid(cache->indexid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("healthhub.practice_rights or its primary key is missing")));
		fmgr_info_cxt(F_MULTIRANGE_CONTAINS_ELEM, &cache->contains, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache;
}

PG_FUNCTION_INFO_V1(hh_may_practise);
Datum
hh_may_practise(PG_FUNCTION_ARGS)
{
	ProbeCache *cache;
	text	   *act;
	text	   *privilege;
	Relation	rel;
	Relation	idx;
	ScanKeyData keys[4];
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		result = false;

	/* a question with a missing part has the answer no, as the SQL did */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_BOOL(false);
	act = PG_GETARG_TEXT_PP(1);
	privilege = PG_ARGISNULL(4) ? NULL : PG_GETARG_TEXT_PP(4);
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

	cache = probe_cache(fcinfo);
	rel = table_open(cache->relid, AccessShareLock);
	idx = index_open(cache->indexid, AccessShareLock);

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, PG_GETARG_DATUM(0));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_INT8EQ, PG_GETARG_DATUM(2));
	ScanKeyInit(&keys[2], 3, BTEqualStrategyNumber, F_TEXTEQ, PointerGetDatum(act));
	ScanKeyInit(&keys[3], 4, BTEqualStrategyNumber, F_TEXTEQ,
				privilege ? PointerGetDatum(privilege) : CStringGetTextDatum(""));
	keys[2].sk_collation = idx->rd_indcollation[2];
	keys[3].sk_collation = idx->rd_indcollation[3];

	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx, GetActiveSnapshot(), 4, 0);
	index_rescan(scan, keys, 4, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		valid = slot_getattr(slot, 5, &isnull);

		if (!isnull)
			result = DatumGetBool(FunctionCall2Coll(&cache->contains, InvalidOid,
													valid, PG_GETARG_DATUM(3)));
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	PG_RETURN_BOOL(result);
}
