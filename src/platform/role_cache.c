/*
 * role_cache.c
 *		What a role holds (its profiles, the institution it acts for),
 *		remembered per backend.
 *
 * healthhub.effective_profiles() and healthhub.institution_of() are the one
 * definition (src/platform/profiles.sql).  Every step of every area asks
 * them of the acting role (require_profile(), the institution a step acts
 * for), and audit_append() on every write; each query scans the role's
 * profiles with a membership test per row, and cost more than the step or
 * the insert it guarded.  So the answers are kept per role until something
 * they depend on changes:
 *   - healthhub.role_profiles: a statement trigger sends a relcache
 *     invalidation for the table, which reaches every backend at commit (and
 *     this one at once);
 *   - role membership and superuser status: pg_auth_members and pg_authid
 *     changes arrive as syscache invalidations.
 * Any of them empties the whole cache; they are rare.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "audit_entry.h"
#include "role_cache.h"

typedef struct RoleEntry
{
	Oid			roleid;			/* hash key */
	bool		has_institution;
	int64		institution_key;
	ArrayType  *profiles;		/* text[], sorted; in role_memory */
} RoleEntry;

static HTAB *roles = NULL;
static MemoryContext role_memory = NULL;
static Oid	role_profiles_relid = InvalidOid;
static SPIPlanPtr role_plan = NULL;
static uint64 generation = 0;	/* counts what made the cache forget */

static void
forget_all(void)
{
	generation++;
	if (roles != NULL)
	{
		hash_destroy(roles);
		roles = NULL;
	}
	if (role_memory != NULL)
		MemoryContextReset(role_memory);
}

static void
syscache_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	forget_all();
}

static void
relcache_changed(Datum arg, Oid relid)
{
	/*
	 * InvalidOid means "every relation" (a cache reset); before the first
	 * query this backend does not know role_profiles' oid: any relation may
	 * be it.
	 */
	if (relid == InvalidOid || relid == role_profiles_relid || role_profiles_relid == InvalidOid)
		forget_all();
}

static void
register_callbacks_once(void)
{
	static bool registered = false;

	if (registered)
		return;
	CacheRegisterSyscacheCallback(AUTHOID, syscache_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMMEMROLE, syscache_changed, (Datum) 0);
	CacheRegisterRelcacheCallback(relcache_changed, (Datum) 0);
	role_memory = AllocSetContextCreate(CacheMemoryContext, "healthhub roles", ALLOCSET_SMALL_SIZES);
	registered = true;
}

/*
 * Ask the definitions about role "roleid" (named "rolname") into "e"; the
 * caller must have the privileges to run them.
 */
static void
ask(Oid roleid, Datum rolname, RoleEntry *e)
{
	MemoryContext caller_memory = CurrentMemoryContext;
	Oid			argtypes[1] = {NAMEOID};
	bool		isnull;
	bool		relid_isnull;
	bool		profiles_isnull;
	Datum		profiles;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (role_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare("SELECT healthhub.institution_of($1),"
									   " 'healthhub.role_profiles'::pg_catalog.regclass::pg_catalog.oid,"
									   " ARRAY(SELECT DISTINCT ep.profile FROM healthhub.effective_profiles($1) ep"
									   "       ORDER BY 1)",
									   1, argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare the role query: %s", SPI_result_code_string(SPI_result));
		role_plan = plan;
	}
	/*
	 * On the latest snapshot, not the transaction's: an invalidation taken
	 * in before this query (at any lock) would otherwise leave an answer
	 * older than the change it announced in the cache for good (a
	 * REPEATABLE READ transaction; a long statement).  A change is visible
	 * to new snapshots before its invalidation is sent.
	 */
	if (SPI_execute_snapshot(role_plan, &rolname, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "the role query did not return one row");
	e->roleid = roleid;
	e->institution_key = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	e->has_institution = !isnull;
	role_profiles_relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2,
														 &relid_isnull));
	profiles = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &profiles_isnull);
	MemoryContextSwitchTo(caller_memory);	/* (SPI_finish frees SPI's memory) */
	e->profiles = DatumGetArrayTypePCopy(profiles);
	SPI_finish();
}

/*
 * What the role the session acts as holds (GetOuterUserId(): the caller,
 * also inside SECURITY DEFINER functions), asked as the audit trail's
 * owner: the caller may not read role_profiles.  e->profiles may be the
 * cache's own: copy it to keep it (an invalidation frees it).
 */
static void
acting_role_entry(RoleEntry *e)
{
	Oid			caller = GetOuterUserId();
	RoleEntry  *entry;
	bool		found;
	uint64		asked_at;

	register_callbacks_once();
	/* a change committed elsewhere counts from the next step, not the next lock */
	AcceptInvalidationMessages();
	if (roles == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(RoleEntry);
		ctl.hcxt = role_memory;
		roles = hash_create("healthhub roles", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = (RoleEntry *) hash_search(roles, &caller, HASH_FIND, &found);
	if (found)
	{
		*e = *entry;
		return;
	}
	{
		NameData	role_name;
		Oid			save_userid;
		int			save_sec_context;

		namestrcpy(&role_name, GetUserNameFromId(caller, false));
		asked_at = generation;
		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(audit_trail_owner(),
							   save_sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
		PG_TRY();
		{
			ask(caller, NameGetDatum(&role_name), e);
		}
		PG_FINALLY();
		{
			SetUserIdAndSecContext(save_userid, save_sec_context);
		}
		PG_END_TRY();
	}
	/*
	 * An invalidation taken in during the query (planning takes locks) may
	 * announce a change the answer does not hold: use it, do not keep it.
	 */
	if (generation != asked_at)
		return;
	entry = (RoleEntry *) hash_search(roles, &caller, HASH_ENTER, NULL);
	*entry = *e;
	entry->profiles = (ArrayType *) MemoryContextAlloc(role_memory, VARSIZE(e->profiles));
	memcpy(entry->profiles, e->profiles, VARSIZE(e->profiles));
}

bool
acting_role_institution(int64 *institution_key)
{
	RoleEntry	e;

	acting_role_entry(&e);
	*institution_key = e.institution_key;
	return e.has_institution;
}

/* healthhub.acting_role_institution(): the institution, for SQL */
PG_FUNCTION_INFO_V1(hh_acting_role_institution);
Datum
hh_acting_role_institution(PG_FUNCTION_ARGS)
{
	int64		institution_key;

	if (!acting_role_institution(&institution_key))
		PG_RETURN_NULL();
	PG_RETURN_INT64(institution_key);
}

/* healthhub.acting_role_profiles(): the profiles, sorted */
PG_FUNCTION_INFO_V1(hh_acting_role_profiles);
Datum
hh_acting_role_profiles(PG_FUNCTION_ARGS)
{
	RoleEntry	e;

	acting_role_entry(&e);
	PG_RETURN_ARRAYTYPE_P(DatumGetArrayTypePCopy(PointerGetDatum(e.profiles)));
}

/*
 * Statement trigger on healthhub.role_profiles: tell every backend (at
 * commit) that the roles they remember may be stale.
 */
PG_FUNCTION_INFO_V1(hh_role_profiles_changed);
Datum
hh_role_profiles_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("healthhub.role_profiles_changed() must be called as a trigger")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
