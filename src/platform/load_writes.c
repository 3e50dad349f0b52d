/*
 * load_writes.c
 *		The marker "this transaction is writing load N" (src/platform/loading.sql).
 *
 * A load records itself once (registry.load.<mode>, object id = the load id,
 * the file digest in its healthhub.loads row); the rows it writes are not
 * recorded again one by one: the audit_changes trigger asks
 * load_writes_current() and skips them.
 *
 * The marker cannot be forged: it is not a setting (any role can SET a
 * custom GUC) but a backend-local static, set only by
 * healthhub.begin_load_writes(load_id), whose EXECUTE is revoked from PUBLIC
 * (only the SECURITY DEFINER loaders, running as the extension's owner, call
 * it), and cleared by healthhub.end_load_writes(), by the end of the
 * transaction (commit or abort) and by the abort of the subtransaction that
 * set it (a loader that fails inside the caller's savepoint leaves no marker
 * behind for the caller's own writes).
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"

#include "load_writes.h"

static int64 load_writes_id = 0;			/* 0: no load is writing */
static SubTransactionId load_writes_subid = InvalidSubTransactionId;
static bool callbacks_registered = false;

static void
load_writes_clear(void)
{
	load_writes_id = 0;
	load_writes_subid = InvalidSubTransactionId;
}

static void
load_writes_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			load_writes_clear();
			break;
		default:
			break;
	}
}

static void
load_writes_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
							 SubTransactionId parentSubid, void *arg)
{
	if (load_writes_id == 0 || mySubid != load_writes_subid)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		load_writes_clear();
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		load_writes_subid = parentSubid;	/* now the parent's */
}

PG_FUNCTION_INFO_V1(hh_begin_load_writes);
Datum
hh_begin_load_writes(PG_FUNCTION_ARGS)
{
	int64		load_id;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("healthhub.begin_load_writes: load_id must not be NULL")));
	load_id = PG_GETARG_INT64(0);
	if (load_id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("healthhub.begin_load_writes: invalid load id 0")));
	if (load_writes_id != 0 && load_writes_id != load_id)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("load %lld is already writing in this transaction", (long long) load_writes_id),
				 errdetail("One load writes at a time; load %lld cannot begin.", (long long) load_id)));
	if (!callbacks_registered)
	{
		RegisterXactCallback(load_writes_xact_callback, NULL);
		RegisterSubXactCallback(load_writes_subxact_callback, NULL);
		callbacks_registered = true;
	}
	/* (begun again by the same load in a savepoint: the outer level keeps it) */
	if (load_writes_id == 0)
		load_writes_subid = GetCurrentSubTransactionId();
	load_writes_id = load_id;
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(hh_end_load_writes);
Datum
hh_end_load_writes(PG_FUNCTION_ARGS)
{
	load_writes_clear();
	PG_RETURN_VOID();
}

/* The load this transaction is writing, or 0. */
int64
load_writes_current(void)
{
	return IsTransactionState() ? load_writes_id : 0;
}

/* The same for SQL, NULL for none. */
PG_FUNCTION_INFO_V1(hh_load_in_progress);
Datum
hh_load_in_progress(PG_FUNCTION_ARGS)
{
	int64		load_id = load_writes_current();

	if (load_id == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(load_id);
}
