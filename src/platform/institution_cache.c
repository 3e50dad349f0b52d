/*
 * institution_cache.c
 *		Which institution a role acts for, remembered per backend.
 *
 * healthhub.institution_of() is the one definition (src/registry/
 * profiles.sql).  audit_append() needs its answer on every write; running the
 * query each time costs more than the insert it records, so the answer is
 * kept per role until something it depends on changes:
 *   - healthhub.role_profiles: a statement trigger sends a relcache
 *     invalidation for the table, which reaches every backend at commit (and
 *     this one at once);
 *   - role membership and superuser status: pg_auth_members and pg_authid
 *     changes arrive as syscache invalidations.
 * Any of them empties the whole cache; they are rare.
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "audit_entry.h"
#include "institution_cache.h"

typedef struct InstitutionEntry
{
	Oid			roleid;			/* hash key */
	bool		isnull;
	int64		institution_key;
} InstitutionEntry;

static HTAB *institution_by_role = NULL;
static Oid	role_profiles_relid = InvalidOid;
static SPIPlanPtr institution_plan = NULL;

static void
forget_all(void)
{
	if (institution_by_role != NULL)
	{
		hash_destroy(institution_by_role);
		institution_by_role = NULL;
	}
}

static void
syscache_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	forget_all();
}

static void
relcache_changed(Datum arg, Oid relid)
{
	/* InvalidOid means "every relation" (a cache reset) */
	if (relid == InvalidOid || relid == role_profiles_relid)
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
	registered = true;
}

/*
 * The institution of role "roleid" (named "rolname"), as
 * healthhub.institution_of() answers; the caller must have the privileges
 * to run it.  It connects to SPI only on a miss.
 */
bool
cached_institution_of(Oid roleid, Datum rolname, int64 *institution_key)
{
	InstitutionEntry *entry;
	bool		found;

	register_callbacks_once();
	if (institution_by_role == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(InstitutionEntry);
		institution_by_role = hash_create("healthhub institution by role", 64, &ctl,
										  HASH_ELEM | HASH_BLOBS);
	}
	entry = (InstitutionEntry *) hash_search(institution_by_role, &roleid, HASH_FIND, &found);
	if (!found)
	{
		Oid			argtypes[1] = {NAMEOID};
		bool		isnull;
		bool		relid_isnull;
		int64		key;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");

		if (institution_plan == NULL)
		{
			SPIPlanPtr	plan = SPI_prepare("SELECT healthhub.institution_of($1),"
										   " 'healthhub.role_profiles'::pg_catalog.regclass::pg_catalog.oid",
										   1, argtypes);

			if (plan == NULL || SPI_keepplan(plan) != 0)
				elog(ERROR, "could not prepare the institution query: %s",
					 SPI_result_code_string(SPI_result));
			institution_plan = plan;
		}
		/*
		 * On the latest snapshot, not the transaction's: an invalidation
		 * taken in before this query (at any lock) would otherwise leave an
		 * answer older than the change it announced in the cache for good
		 * (a REPEATABLE READ transaction; a long statement).  A change is
		 * visible to new snapshots before its invalidation is sent.
		 */
		if (SPI_execute_snapshot(institution_plan, &rolname, NULL, GetLatestSnapshot(), InvalidSnapshot,
								 true, false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "the institution query did not return one row");
		key = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		role_profiles_relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
															 SPI_tuptable->tupdesc, 2, &relid_isnull));
		SPI_finish();

		/* the query may have processed an invalidation that emptied the cache */
		if (institution_by_role == NULL)
		{
			*institution_key = key;
			return !isnull;
		}
		entry = (InstitutionEntry *) hash_search(institution_by_role, &roleid, HASH_ENTER, NULL);
		entry->isnull = isnull;
		entry->institution_key = isnull ? 0 : key;
	}
	*institution_key = entry->institution_key;
	return !entry->isnull;
}

/*
 * The institution of the role the session acts as (GetOuterUserId(): the
 * caller, also inside SECURITY DEFINER functions), looked up as the audit
 * trail's owner: the caller may not read role_profiles.
 */
bool
acting_role_institution(int64 *institution_key)
{
	Oid			caller = GetOuterUserId();
	NameData	role_name;
	Oid			save_userid;
	int			save_sec_context;
	bool		found;

	namestrcpy(&role_name, GetUserNameFromId(caller, false));
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(audit_trail_owner(),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		found = cached_institution_of(caller, NameGetDatum(&role_name), institution_key);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	return found;
}

/* healthhub.acting_role_institution(): the same, for SQL */
PG_FUNCTION_INFO_V1(hh_acting_role_institution);
Datum
hh_acting_role_institution(PG_FUNCTION_ARGS)
{
	int64		institution_key;

	if (!acting_role_institution(&institution_key))
		PG_RETURN_NULL();
	PG_RETURN_INT64(institution_key);
}

/*
 * Statement trigger on healthhub.role_profiles: tell every backend (at
 * commit) that the institutions they remember may be stale.
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
