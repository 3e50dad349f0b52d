/*
 * audit_writer.c
 *		Read entries that the reader's rollback cannot undo.
 *
 * PostgreSQL has no autonomous transactions: an entry written in the reader's
 * transaction vanishes when the reader rolls back, after it saw the data.  So
 * a read's entry is handed to the audit writer, a background worker that
 * commits it in a transaction of its own, and the reader waits until that
 * commit is done (synchronous_commit = on) before it returns the data.  The
 * entry is then as durable as any commit: a rollback, an error or a crash of
 * the reader after that point leaves it in place.
 *
 * Each backend has one slot in shared memory (a reader waits for its entry,
 * so it never has two).  The writer of a database takes every pending slot of
 * that database at once, writes them in one transaction and wakes their
 * readers: concurrent readers share one commit and one WAL flush.  One writer
 * runs per database; a reader starts it when there is none and it exits after
 * two idle seconds (it must not keep DROP DATABASE waiting).  The slots and
 * the table of writers need shared memory: healthhub must be in
 * shared_preload_libraries, or reads are refused (fail closed).
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "audit_entry.h"
#include "audit_writer.h"
#include "database_worker.h"

#define WRITER_IDLE_USECS (2 * 1000 * 1000)
/* A reader looks this often whether its database still has a writer. */
#define READER_CHECK_MS 100
/* ... and asks for a new one no more often than this. */
#define WRITER_START_USECS (500 * 1000)
/* ... and gives up after this many (every writer place taken, say). */
#define WRITER_MAX_STARTS 20
#define MAX_WRITERS 32

typedef enum SlotState
{
	SLOT_FREE = 0,
	SLOT_PENDING,				/* filled by its reader, waiting for a writer */
	SLOT_TAKEN,					/* a writer is writing it */
	SLOT_DONE,					/* committed: entry_id is its id */
	SLOT_FAILED					/* not written: error is why */
} SlotState;

typedef struct ReadSlot
{
	SlotState	state;
	Oid			database;
	Oid			owner;			/* the trail's owner, the writer's role */
	int			reader_procno;	/* whose latch to set */
	int64		entry_id;
	int			sqlerrcode;
	char		error[256];
	AuditEntry	entry;
} ReadSlot;

typedef struct WriterInfo
{
	Oid			database;		/* InvalidOid: free */
	int			procno;
} WriterInfo;

typedef struct WriterShared
{
	LWLock	   *lock;			/* guards everything below */
	WriterInfo	writers[MAX_WRITERS];
	int			nslots;
	ReadSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} WriterShared;

static WriterShared *shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

PGDLLEXPORT void hh_audit_writer_main(Datum main_arg);

static Size
shared_size(void)
{
	return add_size(offsetof(WriterShared, slots), mul_size(MaxBackends, sizeof(ReadSlot)));
}

static void
request_shared(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(shared_size());
	RequestNamedLWLockTranche("healthhub audit writer", 1);
}

static void
attach_shared(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("healthhub audit writer", shared_size(), &found);
	if (!found)
	{
		memset(shared, 0, shared_size());
		shared->lock = &(GetNamedLWLockTranche("healthhub audit writer"))->lock;
		shared->nslots = MaxBackends;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
audit_writer_preload(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = request_shared;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = attach_shared;
}

/* The writer of the database, or NULL; the lock is held. */
static WriterInfo *
writer_of(Oid database)
{
	for (int i = 0; i < MAX_WRITERS; i++)
		if (shared->writers[i].database == database)
			return &shared->writers[i];
	return NULL;
}

static void
set_latch_of(int procno)
{
	SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}

static void
start_writer(Oid owner)
{
	if (!start_database_worker("hh_audit_writer_main", "healthhub audit writer", owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the healthhub audit writer"),
				 errdetail("A read is returned only after its audit entry is committed; no background worker is free to commit it."),
				 errhint("Raise max_worker_processes.")));
}

/* The writer did not come (every writer place is taken): free the slot, refuse the read. */
static void
no_writer(ReadSlot *slot)
{
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (slot->state == SLOT_PENDING)
		slot->state = SLOT_FREE;
	LWLockRelease(shared->lock);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
			 errmsg("no healthhub audit writer runs for this database"),
			 errdetail("A read is returned only after its audit entry is committed; %d writers were asked for and none started.",
					   WRITER_MAX_STARTS),
			 errhint("Audit writers serve at most %d databases at once.", MAX_WRITERS)));
}

/* Start a writer for the reader of "slot"; if none can start, free the slot. */
static void
start_writer_for(ReadSlot *slot, Oid owner)
{
	PG_TRY();
	{
		start_writer(owner);
	}
	PG_CATCH();
	{
		/* the entry must not be written after the reader was refused */
		LWLockAcquire(shared->lock, LW_EXCLUSIVE);
		if (slot->state == SLOT_PENDING)
			slot->state = SLOT_FREE;
		LWLockRelease(shared->lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * Put the entry in this backend's slot, as soon as no writer is writing what
 * the slot held.  What a slot may still hold: the entry of an earlier read
 * of this backend that was cancelled while it waited, or of a backend that
 * had this slot before and is gone.  Neither returned data, so a pending one
 * is dropped (else a slot of a dropped database or of a writer that could not
 * start would wait forever); one a writer has taken is waited for.
 */
static ReadSlot *
claim_own_slot(const AuditEntry *entry, Oid owner)
{
	ReadSlot   *slot = &shared->slots[MyBackendId - 1];

	for (;;)
	{
		LWLockAcquire(shared->lock, LW_EXCLUSIVE);
		if (slot->state != SLOT_TAKEN)
		{
			slot->entry = *entry;
			slot->database = MyDatabaseId;
			slot->owner = owner;
			slot->reader_procno = MyProc->pgprocno;
			slot->state = SLOT_PENDING;
			LWLockRelease(shared->lock);
			return slot;
		}
		LWLockRelease(shared->lock);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, READER_CHECK_MS,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

int64
write_read_entry_durably(const AuditEntry *entry, Oid owner)
{
	ReadSlot   *slot;
	TimestampTz last_start = 0;
	int			starts = 0;

	if (shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("healthhub cannot record reads: it is not in shared_preload_libraries"),
				 errdetail("A read's audit entry is committed by a background worker before the data is returned, which needs shared memory."),
				 errhint("Add healthhub to shared_preload_libraries and restart the server.")));
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("healthhub cannot record reads on a standby"),
				 errdetail("Every read of personal data needs an audit entry, and a standby cannot write one.")));

	slot = claim_own_slot(entry, owner);

	for (;;)
	{
		WriterInfo *writer;
		int			writer_procno = -1;
		SlotState	state;

		LWLockAcquire(shared->lock, LW_EXCLUSIVE);
		state = slot->state;
		if (state == SLOT_DONE || state == SLOT_FAILED)
		{
			int64		entry_id = slot->entry_id;
			int			sqlerrcode = slot->sqlerrcode;
			char		error[sizeof(slot->error)];

			strlcpy(error, slot->error, sizeof(error));
			slot->state = SLOT_FREE;
			LWLockRelease(shared->lock);
			if (state == SLOT_FAILED)
				ereport(ERROR,
						(errcode(sqlerrcode),
						 errmsg("could not record the read in the audit trail"),
						 errdetail("The audit writer failed: %s", error)));
			return entry_id;
		}
		writer = writer_of(MyDatabaseId);
		if (writer != NULL)
			writer_procno = writer->procno;
		LWLockRelease(shared->lock);

		if (writer_procno >= 0)
			set_latch_of(writer_procno);
		else if (GetCurrentTimestamp() - last_start >= WRITER_START_USECS)
		{
			if (++starts > WRITER_MAX_STARTS)
				no_writer(slot);
			last_start = GetCurrentTimestamp();
			start_writer_for(slot, owner);
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, READER_CHECK_MS,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* The writer's side. */

static WriterInfo *my_registration = NULL;

static void
deregister_writer(int code, Datum arg)
{
	if (shared == NULL || my_registration == NULL)
		return;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	my_registration->database = InvalidOid;
	/* entries taken but not written go back to the queue */
	for (int i = 0; i < shared->nslots; i++)
		if (shared->slots[i].state == SLOT_TAKEN && shared->slots[i].database == MyDatabaseId)
			shared->slots[i].state = SLOT_PENDING;
	LWLockRelease(shared->lock);
	my_registration = NULL;
}

/* Become the database's writer; false if it has one. */
static bool
register_writer(void)
{
	bool		registered = false;

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (writer_of(MyDatabaseId) == NULL)
	{
		WriterInfo *free_info = writer_of(InvalidOid);

		if (free_info != NULL)
		{
			free_info->database = MyDatabaseId;
			free_info->procno = MyProc->pgprocno;
			my_registration = free_info;
			registered = true;
		}
	}
	LWLockRelease(shared->lock);
	return registered;
}

/*
 * Take the database's pending slots (their indexes into "taken"); with none
 * and idle_too_long, stop being the writer under the same lock, so that a
 * reader either sees this writer and is served, or sees none and starts one.
 */
static int
take_pending(int *taken, bool idle_too_long, bool *stopped)
{
	int			ntaken = 0;

	*stopped = false;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < shared->nslots; i++)
		if (shared->slots[i].state == SLOT_PENDING && shared->slots[i].database == MyDatabaseId)
		{
			shared->slots[i].state = SLOT_TAKEN;
			taken[ntaken++] = i;
		}
	if (ntaken == 0 && idle_too_long)
	{
		my_registration->database = InvalidOid;
		my_registration = NULL;
		*stopped = true;
	}
	LWLockRelease(shared->lock);
	return ntaken;
}

static void
finish_slots(const int *taken, int ntaken, const int64 *entry_ids, ErrorData *error)
{
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < ntaken; i++)
	{
		ReadSlot   *slot = &shared->slots[taken[i]];

		if (error != NULL)
		{
			slot->state = SLOT_FAILED;
			slot->sqlerrcode = error->sqlerrcode;
			strlcpy(slot->error, error->message ? error->message : "unknown error", sizeof(slot->error));
		}
		else
		{
			slot->state = SLOT_DONE;
			slot->entry_id = entry_ids[i];
		}
		set_latch_of(slot->reader_procno);
	}
	LWLockRelease(shared->lock);
}

/*
 * Write the entries of the given slots in one transaction.  On an error the
 * transaction is rolled back and the error is returned (NULL: committed).
 */
static ErrorData *
write_entries(const int *taken, int ntaken, int64 *entry_ids)
{
	MemoryContext caller_context = CurrentMemoryContext;
	ErrorData  *volatile error = NULL;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "writing read entries");
		for (int i = 0; i < ntaken; i++)
		{
			ReadSlot   *slot = &shared->slots[taken[i]];

			/* a taken slot is the writer's alone until it is finished */
			entry_ids[i] = write_audit_entry(&slot->entry, slot->owner);
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller_context);
		error = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return error;
}

void
hh_audit_writer_main(Datum main_arg)
{
	Oid			owner;
	TimestampTz last_work;
	int		   *taken;
	int64	   *entry_ids;

	memcpy(&owner, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	if (shared == NULL)
		proc_exit(0);
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg), owner, 0);
	/* a reader returns its data only after this commit: it must be durable */
	SetConfigOption("synchronous_commit", "on", PGC_USERSET, PGC_S_OVERRIDE);
	/* a reader holding a lock on the trail (DDL) must not hang itself forever */
	SetConfigOption("lock_timeout", "5s", PGC_USERSET, PGC_S_OVERRIDE);

	before_shmem_exit(deregister_writer, (Datum) 0);
	if (!register_writer())
		proc_exit(0);

	taken = MemoryContextAlloc(TopMemoryContext, sizeof(int) * shared->nslots);
	entry_ids = MemoryContextAlloc(TopMemoryContext, sizeof(int64) * shared->nslots);
	last_work = GetCurrentTimestamp();
	for (;;)
	{
		bool		stopped;
		int			ntaken;

		CHECK_FOR_INTERRUPTS();
		ntaken = take_pending(taken, GetCurrentTimestamp() - last_work > WRITER_IDLE_USECS, &stopped);
		if (stopped)
			proc_exit(0);
		if (ntaken > 0)
		{
			ErrorData  *error = write_entries(taken, ntaken, entry_ids);

			/* one bad entry must not fail the others: write them one by one */
			if (error != NULL && ntaken > 1)
				for (int i = 0; i < ntaken; i++)
				{
					ErrorData  *one_error = write_entries(&taken[i], 1, &entry_ids[i]);

					finish_slots(&taken[i], 1, &entry_ids[i], one_error);
				}
			else
				finish_slots(taken, ntaken, entry_ids, error);
			last_work = GetCurrentTimestamp();
			continue;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 500, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
