/*
 * audit_append.c
 *		healthhub.audit_append(): the one function every area calls to record
 *		what happened.  It is on every write path, so it is C.
 *
 * The caller is GetUserId() (this is not a SECURITY DEFINER function, so
 * that is the role whose privileges the caller is using) and the session
 * user.  The entry and its queue row are then inserted as the owner of the
 * trail, like PostgreSQL's own RI triggers do, with one saved plan whose
 * names and operators are all schema-qualified, so nothing on the caller's
 * search_path can stand in for them.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

/* How often one backend looks at the queue to see whether sealing is due. */
#define SEAL_CHECK_USECS (100 * 1000)

static const char *const append_query =
"WITH e AS ("
"  INSERT INTO healthhub.audit_entries (role_name, session_role, institution_key, practitioner_key,"
"                                       action, object_kind, object_id, person_key, purpose, outcome)"
"  SELECT $1, $2,"
/* healthhub.institution_of($1), written out so it is planned once with this
 * statement instead of running two SQL functions per entry: keep in step. */
"         (SELECT CASE WHEN pg_catalog.count(DISTINCT rp.institution_key) OPERATOR(pg_catalog.=) 1"
"                      THEN pg_catalog.min(rp.institution_key) END"
"            FROM healthhub.role_profiles rp"
"            JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) rp.role_name"
"           WHERE rp.institution_key IS NOT NULL"
"             AND pg_catalog.pg_has_role($1, r.oid, 'MEMBER')"
"             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles s"
"                              WHERE s.rolname OPERATOR(pg_catalog.=) $1 AND s.rolsuper)),"
"         $3, $4, $5, $6, $7, $8, $9"
"  RETURNING entry_id)"
" INSERT INTO healthhub.audit_queue (entry_id) SELECT e.entry_id FROM e RETURNING entry_id";

static SPIPlanPtr append_plan = NULL;

static Oid
trail_owner(void)
{
	Oid			nsp = get_namespace_oid("healthhub", false);
	Oid			relid = get_relname_relid("audit_entries", nsp);
	HeapTuple	tuple;
	Oid			owner;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("healthhub.audit_entries is missing")));
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

static bool
is_blank(FunctionCallInfo fcinfo, int arg)
{
	return PG_ARGISNULL(arg) || VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(arg)) == 0;
}

static const char *
literal_or_null(FunctionCallInfo fcinfo, int arg)
{
	return PG_ARGISNULL(arg) ? "NULL" : quote_literal_cstr(text_to_cstring(PG_GETARG_TEXT_PP(arg)));
}

PG_FUNCTION_INFO_V1(hh_audit_append);
Datum
hh_audit_append(PG_FUNCTION_ARGS)
{
	static TimestampTz last_seal_check = 0;
	Oid			caller = GetUserId();
	Oid			save_userid;
	int			save_sec_context;
	Datum		values[9];
	char		nulls[9];
	volatile int64 entry_id = 0;
	bool		isnull;
	TimestampTz now;

	if (is_blank(fcinfo, 0) || is_blank(fcinfo, 1) || PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("an audit entry needs an action, an object kind and an outcome"),
				 errdetail("action %s, object_kind %s, outcome %s", literal_or_null(fcinfo, 0),
						   literal_or_null(fcinfo, 1), literal_or_null(fcinfo, 5))));

	values[0] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(caller, false)));
	values[1] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetSessionUserId(), false)));
	nulls[0] = nulls[1] = ' ';
	/* practitioner_key, action, object_kind, object_id, person_key, purpose, outcome */
	values[2] = PG_GETARG_DATUM(6);
	nulls[2] = PG_ARGISNULL(6) ? 'n' : ' ';
	for (int i = 0; i < 6; i++)
	{
		values[3 + i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[3 + i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}

	now = GetCurrentTimestamp();
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(trail_owner(),
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (append_plan == NULL)
		{
			Oid			argtypes[9] = {NAMEOID, NAMEOID, INT8OID, TEXTOID, TEXTOID, TEXTOID,
			INT8OID, TEXTOID, TEXTOID};
			SPIPlanPtr	plan = SPI_prepare(append_query, 9, argtypes);

			if (plan == NULL || SPI_keepplan(plan) != 0)
				elog(ERROR, "could not prepare the audit append plan: %s",
					 SPI_result_code_string(SPI_result));
			append_plan = plan;
		}
		if (SPI_execute_plan(append_plan, values, nulls, false, 1) != SPI_OK_INSERT_RETURNING ||
			SPI_processed != 1)
			elog(ERROR, "audit append did not insert one entry");
		entry_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											   &isnull));

		/*
		 * Seal when due, looked at no more than ten times a second per
		 * backend, as the owner (the caller may not run the sealer); the
		 * function turns a sealing failure into a warning.
		 */
		if (now - last_seal_check >= SEAL_CHECK_USECS || now < last_seal_check)
		{
			last_seal_check = now;
			if (SPI_execute("SELECT healthhub.audit_seal_if_due()", false, 1) != SPI_OK_SELECT)
				elog(ERROR, "could not check whether audit sealing is due");
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();

	PG_RETURN_INT64(entry_id);
}
