/*
 * audit_sealer.c
 *		The audit sealer: a background worker that seals queued audit entries
 *		while sealing is due, so that no writer seals in its own transaction.
 *
 * It is started on demand and needs no shared_preload_libraries: when
 * audit_append finds sealing due (the oldest queued entry has waited
 * seal_interval) it asks the postmaster for a worker in its database,
 * running as the trail's owner.  One sealer runs per database: a worker
 * that finds an older one in pg_stat_activity exits at once (not an advisory
 * lock: any login can take those, and so could keep every sealer out).  It
 * seals while sealing is due, naps a quarter of seal_interval (at most a
 * second) and exits after two seconds with nothing due, so it never keeps a
 * database from being dropped for long.  When sealing is due but seals
 * nothing (it fails, or another session seals), it backs off, doubling its
 * nap up to five seconds, and gives up after ten such rounds: the writers
 * start it again.  If no worker can start (all of
 * max_worker_processes are busy), the writer seals itself, as it always
 * could.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "audit_sealer.h"
#include "database_worker.h"

/* A writer asks for a sealer at most this often. */
#define SEALER_START_USECS (2 * 1000 * 1000)
/* The sealer exits after this long with nothing due. */
#define SEALER_IDLE_USECS (2 * 1000 * 1000)
#define SEALER_MAX_NAP_MS 1000
#define SEALER_MAX_BACKOFF_MS 5000
#define SEALER_MAX_FAILURES 10

PGDLLEXPORT void hh_audit_sealer_main(Datum main_arg);

bool
start_audit_sealer(Oid trail_owner)
{
	static TimestampTz last_start = 0;
	TimestampTz now = GetCurrentTimestamp();

	/* asked recently: it is running, or starting, or cannot start */
	if (now - last_start < SEALER_START_USECS && now >= last_start)
		return true;
	last_start = now;
	return start_database_worker("hh_audit_sealer_main", "healthhub audit sealer", trail_owner);
}

/* Run one query in its own transaction; its first column as an int8. */
static int64
run_query(const char *query)
{
	int64		result = 0;
	bool		isnull = true;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, query);
	if (SPI_execute(query, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "sealer query failed: %s", query);
	result = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return isnull ? 0 : result;
}

void
hh_audit_sealer_main(Datum main_arg)
{
	Oid			trail_owner;
	TimestampTz last_due;
	int			failures = 0;
	long		backoff_ms = 100;

	memcpy(&trail_owner, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), trail_owner, 0);

	if (run_query("SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity a, pg_catalog.pg_database d"
				  " WHERE a.backend_type OPERATOR(pg_catalog.=) 'healthhub audit sealer'"
				  " AND d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()"
				  " AND a.datid OPERATOR(pg_catalog.=) d.oid"
				  " AND a.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()"
				  " AND (a.backend_start, a.pid) OPERATOR(pg_catalog.<) (SELECT m.backend_start, m.pid"
				  " FROM pg_catalog.pg_stat_activity m WHERE m.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid())") > 0)
		proc_exit(0);			/* an older sealer runs in this database */

	last_due = GetCurrentTimestamp();
	for (;;)
	{
		int64		nap_ms;

		CHECK_FOR_INTERRUPTS();
		/* seal at most 10 blocks per transaction, then look again */
		if (run_query("SELECT healthhub.audit_seal_due()::pg_catalog.int4::pg_catalog.int8"))
		{
			if (run_query("SELECT healthhub.audit_seal_if_due()::pg_catalog.int4::pg_catalog.int8"))
			{
				failures = 0;
				backoff_ms = 100;
			}
			else
			{
				/* due, yet nothing sealed: wait longer each time, then leave */
				if (++failures >= SEALER_MAX_FAILURES)
					proc_exit(0);
				(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
								 backoff_ms, PG_WAIT_EXTENSION);
				ResetLatch(MyLatch);
				backoff_ms = Min(backoff_ms * 2, SEALER_MAX_BACKOFF_MS);
			}
			last_due = GetCurrentTimestamp();
			continue;
		}
		if (GetCurrentTimestamp() - last_due > SEALER_IDLE_USECS)
			proc_exit(0);
		nap_ms = run_query("SELECT (pg_catalog.date_part('epoch', coalesce((SELECT s.seal_interval"
						   " FROM healthhub.audit_settings s), '1 second')) OPERATOR(pg_catalog.*) 250)::pg_catalog.int8");
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(Max(nap_ms, 10), SEALER_MAX_NAP_MS), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
