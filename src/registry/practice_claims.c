/*
 * practice_claims.c
 *		An action checked by assert_may_practise() is checked again when its
 *		transaction commits, and a change of practice rights (a revocation)
 *		never waits for an open action.
 *
 * 0.4 locked the practitioner row FOR SHARE until the action's transaction
 * ended: an idle transaction then held a revocation off without limit, and
 * new share locks went ahead of the waiting revocation.  Now:
 *
 *	- claim_practice() checks the rights against the latest committed state
 *	  at clock time, takes no lock, and remembers the claim;
 *	- recompute_practice_rights() remembers that this transaction changed
 *	  the practitioner's rights (note_rights_change());
 *	- at PRE_COMMIT, after the last user code has run, the transaction takes
 *	  a heavyweight lock per practitioner bucket, in bucket order: exclusive
 *	  where it changed rights, share where it only claimed; then it checks
 *	  every claim again against the latest committed state, and an action
 *	  whose rights are gone fails (42501) and rolls back.
 *
 * The locks are held only from PRE_COMMIT until the commit is visible (locks
 * are released after ProcArrayEndTransaction), so no user code runs while
 * they are held: no login can hold them.  Two commit windows of the same
 * bucket never overlap, so either the action commits before the change
 * commits, or its check at commit sees the change.  The lock manager queues
 * requests fairly: a waiting exclusive request is not overtaken by later
 * share requests.  A transaction holding claims or changes cannot be
 * PREPAREd (it would hold the locks for as long as it stays prepared).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "registry/practice_rights.h"

/*
 * Practitioners share 256 locks: a blacklisted institution may touch
 * thousands of practitioners, and one lock each could exhaust the shared
 * lock table.  Sharing costs at most a wait of one commit.
 */
#define CLAIM_BUCKETS 256

typedef struct PracticeClaim
{
	int64		practitioner;
	int64		institution;
	char		act[16];
	char		privilege[32];	/* "" for none */
} PracticeClaim;

/* This transaction's claims and changes (TopTransactionContext). */
static List *claims = NIL;
static bool changed[CLAIM_BUCKETS];
static bool pending = false;
static bool callback_registered = false;

static int
bucket_of(int64 practitioner)
{
	return (int) (hash_bytes((const unsigned char *) &practitioner, sizeof(practitioner))
				  % CLAIM_BUCKETS);
}

static void
forget_claims(void)
{
	claims = NIL;				/* its memory goes with TopTransactionContext */
	memset(changed, 0, sizeof(changed));
	pending = false;
}

/* Take the bucket locks in order, then check every claim again. */
static void
settle_claims(void)
{
	LOCKMODE	modes[CLAIM_BUCKETS] = {0};
	Oid			nsp = get_namespace_oid("healthhub", true);
	Oid			classid = OidIsValid(nsp) ? get_relname_relid("practitioners", nsp) : InvalidOid;
	Oid			relid;
	Oid			indexid;
	FmgrInfo	contains;
	Snapshot	snapshot;
	Datum		now;
	ListCell   *lc;

	/* the extension was dropped in this transaction: no rights left to check */
	if (!OidIsValid(classid))
		return;
	foreach(lc, claims)
		modes[bucket_of(((PracticeClaim *) lfirst(lc))->practitioner)] = ShareLock;
	for (int b = 0; b < CLAIM_BUCKETS; b++)
		if (changed[b])
			modes[b] = ExclusiveLock;
	/* (an object lock whose class is a user table: no SQL can take it) */
	for (int b = 0; b < CLAIM_BUCKETS; b++)
		if (modes[b] != NoLock)
			LockDatabaseObject(classid, (Oid) b, 0, modes[b]);

	if (claims == NIL)
		return;
	hh_rights_relation(&relid, &indexid);
	fmgr_info(F_MULTIRANGE_CONTAINS_ELEM, &contains);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	now = TimestampTzGetDatum(GetCurrentTimestamp());
	foreach(lc, claims)
	{
		PracticeClaim *c = (PracticeClaim *) lfirst(lc);

		if (!hh_rights_allow(relid, indexid, &contains, snapshot,
							 Int64GetDatum(c->practitioner), Int64GetDatum(c->institution),
							 cstring_to_text(c->act),
							 c->privilege[0] ? cstring_to_text(c->privilege) : NULL, now))
		{
			UnregisterSnapshot(snapshot);
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("practitioner may no longer act as %s%s%s here",
							c->act, c->privilege[0] ? " with privilege " : "", c->privilege),
					 errdetail("The practice rights of practitioner " INT64_FORMAT " at institution " INT64_FORMAT " changed after healthhub.assert_may_practise() allowed the action and before its transaction committed; the transaction is rolled back.",
							   c->practitioner, c->institution),
					 errhint("healthhub.why_not_practise() gives the reason.")));
		}
	}
	UnregisterSnapshot(snapshot);
}

static void
claims_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			if (pending)
				settle_claims();
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (pending)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that acted under practice rights or changed them"),
						 errdetail("Its check at commit would hold locks for as long as it stayed prepared.")));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			forget_claims();
			break;
		default:
			break;
	}
}

static void
start_pending(void)
{
	if (!callback_registered)
	{
		RegisterXactCallback(claims_xact_callback, NULL);
		callback_registered = true;
	}
	pending = true;
}

/*
 * claim_practice(practitioner, act, institution, privilege) RETURNS boolean
 *
 * May the practitioner act now, by the latest committed rights?  If so, the
 * claim is checked again at commit.  Claims made in a subtransaction that
 * rolls back are kept: the commit then fails closed if the rights are gone.
 */
PG_FUNCTION_INFO_V1(hh_claim_practice);
Datum
hh_claim_practice(PG_FUNCTION_ARGS)
{
	int64		practitioner;
	int64		institution;
	text	   *act;
	text	   *privilege;
	char	   *act_s;
	char	   *privilege_s;
	Oid			relid;
	Oid			indexid;
	FmgrInfo	contains;
	Snapshot	snapshot;
	bool		allowed;
	PracticeClaim *c;
	ListCell   *lc;
	MemoryContext old;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("practitioner, act and institution must not be null")));
	practitioner = PG_GETARG_INT64(0);
	act = PG_GETARG_TEXT_PP(1);
	institution = PG_GETARG_INT64(2);
	privilege = PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3);
	hh_check_act(act, privilege);
	act_s = text_to_cstring(act);
	privilege_s = privilege ? text_to_cstring(privilege) : "";

	hh_rights_relation(&relid, &indexid);
	fmgr_info(F_MULTIRANGE_CONTAINS_ELEM, &contains);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	allowed = hh_rights_allow(relid, indexid, &contains, snapshot,
							  Int64GetDatum(practitioner), Int64GetDatum(institution),
							  act, privilege, TimestampTzGetDatum(GetCurrentTimestamp()));
	UnregisterSnapshot(snapshot);
	if (!allowed)
		PG_RETURN_BOOL(false);

	foreach(lc, claims)
	{
		c = (PracticeClaim *) lfirst(lc);
		if (c->practitioner == practitioner && c->institution == institution &&
			strcmp(c->act, act_s) == 0 && strcmp(c->privilege, privilege_s) == 0)
			PG_RETURN_BOOL(true);
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	c = palloc0(sizeof(PracticeClaim));
	c->practitioner = practitioner;
	c->institution = institution;
	strlcpy(c->act, act_s, sizeof(c->act));
	strlcpy(c->privilege, privilege_s, sizeof(c->privilege));
	claims = lappend(claims, c);
	MemoryContextSwitchTo(old);
	start_pending();
	PG_RETURN_BOOL(true);
}

/*
 * note_rights_change(practitioner): this transaction changed the
 * practitioner's rights; its commit excludes the commits of actions that
 * claimed them.
 */
PG_FUNCTION_INFO_V1(hh_note_rights_change);
Datum
hh_note_rights_change(PG_FUNCTION_ARGS)
{
	changed[bucket_of(PG_GETARG_INT64(0))] = true;
	start_pending();
	PG_RETURN_VOID();
}
