/*
 * audit_append.c
 *		healthhub.audit_append(): the one function every area calls to record
 *		what happened.  It is on every write path, so it is C.
 *
 * The caller is the role the session acts as (GetOuterUserId(): the role
 * it SET ROLE to, else its login role, also inside SECURITY DEFINER
 * functions, which change only the current user) and the session user.  The
 * entry and its queue row are then written as the owner of the trail, like
 * PostgreSQL's own RI triggers do.  They are written the way logical
 * replication applies a row (ExecSimpleRelationInsert: constraints, indexes,
 * row triggers), straight into the partition the entry id falls in: planning
 * and starting an INSERT into a partitioned table cost more than the insert
 * itself, several times over.
 *
 * A change is recorded in the caller's transaction: if it rolls back, nothing
 * changed.  A read is recorded by the audit writer (audit_writer.c), which
 * commits the entry before the caller sees the data.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "partitioning/partbounds.h"
#include "partitioning/partdesc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "audit_append.h"
#include "audit_entry.h"
#include "audit_sealer.h"
#include "role_cache.h"

/* How often one backend looks at the queue to see whether sealing is due. */
#define SEAL_CHECK_USECS (100 * 1000)

/* One column of a row to write, found in the target by name. */
typedef struct ColumnValue
{
	const char *name;
	Datum		value;
	bool		isnull;
} ColumnValue;

static Oid
trail_relid(Oid nsp, const char *relname)
{
	Oid			relid = get_relname_relid(relname, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("healthhub.%s is missing", relname),
				 errhint("Reinstall the extension from a dump: the audit trail is incomplete.")));
	return relid;
}

static Oid
relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * The partition of the (range-partitioned) trail that entry_id falls in, as
 * tuple routing would find it: the range partition, else the default one.
 */
static Oid
partition_for_entry(Relation parent, int64 entry_id)
{
	PartitionKey key = RelationGetPartitionKey(parent);
	PartitionDesc desc = RelationGetPartitionDesc(parent, true);
	PartitionBoundInfo bounds = desc->boundinfo;
	Datum		value = Int64GetDatum(entry_id);
	int			index = -1;

	if (bounds != NULL && bounds->ndatums > 0)
	{
		bool		equal;
		int			offset = partition_range_datum_bsearch(key->partsupfunc, key->partcollation,
														   bounds, 1, &value, &equal);

		/* the bound at offset is <= the value: offset + 1 is its upper bound */
		index = bounds->indexes[offset + 1];
	}
	if (index < 0 && bounds != NULL)
		index = bounds->default_index;
	if (index < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("no partition of healthhub.audit_entries takes entry %lld",
						(long long) entry_id),
				 errhint("healthhub.audit_entries_default must stay attached.")));
	return desc->oids[index];
}

/*
 * Write one row into relid, filling its columns by name (those not given are
 * NULL): constraints, the partition bound, indexes and row triggers apply.
 */
static void
insert_row(Oid relid, const ColumnValue *columns, int ncolumns)
{
	Relation	rel = table_open(relid, RowExclusiveLock);
	TupleDesc	desc = RelationGetDescr(rel);
	EState	   *estate = CreateExecutorState();
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	ResultRelInfo *result = makeNode(ResultRelInfo);
	TriggerDesc *triggers = rel->trigdesc;
	bool		row_triggers = triggers != NULL &&
		(triggers->trig_insert_before_row || triggers->trig_insert_after_row);
	TupleTableSlot *slot;

	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(estate, list_make1(rte));
	InitResultRelInfo(result, rel, 1, NULL, 0);
	estate->es_output_cid = GetCurrentCommandId(true);
	ExecOpenIndices(result, false);

	slot = ExecInitExtraTupleSlot(estate, desc, &TTSOpsVirtual);
	ExecClearTuple(slot);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		slot->tts_values[i] = (Datum) 0;
		slot->tts_isnull[i] = true;
		for (int c = 0; c < ncolumns && !att->attisdropped; c++)
			if (strcmp(NameStr(att->attname), columns[c].name) == 0)
			{
				slot->tts_values[i] = columns[c].value;
				slot->tts_isnull[i] = columns[c].isnull;
				break;
			}
	}
	ExecStoreVirtualTuple(slot);

	if (row_triggers)
		AfterTriggerBeginQuery();
	ExecSimpleRelationInsert(result, estate, slot);
	if (row_triggers)
		AfterTriggerEndQuery(estate);

	ExecCloseIndices(result);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	table_close(rel, NoLock);
}

/*
 * healthhub.acting_role(): the role the session acts as, which a SECURITY
 * DEFINER function's CURRENT_USER (its owner) hides.
 */
PG_FUNCTION_INFO_V1(hh_acting_role);
Datum
hh_acting_role(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetOuterUserId(), false))));
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

/*
 * Copy text argument "arg" into "into" (max_bytes + 1 long).  An entry stays
 * for the retention period and nobody may remove it: its texts are bounded,
 * so no caller can fill the trail with megabytes.
 */
static bool
copy_text_arg(FunctionCallInfo fcinfo, int arg, const char *name, char *into, int max_bytes)
{
	text	   *value;
	int			len;

	if (PG_ARGISNULL(arg))
		return false;
	value = PG_GETARG_TEXT_PP(arg);
	len = VARSIZE_ANY_EXHDR(value);
	if (len > max_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("audit entry %s too long", name),
				 errdetail("It has %d bytes; an audit entry's %s has at most %d.", len, name, max_bytes)));
	memcpy(into, VARDATA_ANY(value), len);
	into[len] = '\0';
	return true;
}

/*
 * Actions and object kinds are vocabulary, not free text (no personal data
 * can hide in them): lowercase words of letters, digits and underscores,
 * joined by dots ("read", "document.update", "registry.load.snapshot").
 */
static void
check_vocabulary(const char *what, const char *word)
{
	bool		ok = *word != '\0';

	for (const char *c = word; ok && *c; c++)
	{
		bool		starts_word = c == word || c[-1] == '.';

		if (starts_word ? !(*c >= 'a' && *c <= 'z')
			: !((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
				(*c == '.' && c[1] != '\0')))
			ok = false;
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("audit entry %s \"%s\" is not a dotted lowercase name", what, word),
				 errdetail("An audit entry's %s is words of lowercase letters, digits and underscores, each starting with a letter, joined by dots, such as document.update.",
						   what)));
}

static int64
optional_int8(FunctionCallInfo fcinfo, int arg, bool *present)
{
	*present = !PG_ARGISNULL(arg);
	return *present ? PG_GETARG_INT64(arg) : 0;
}

Oid
audit_trail_owner(void)
{
	Oid			nsp = get_namespace_oid("healthhub", false);

	return relation_owner(trail_relid(nsp, "audit_entries"));
}

bool
audit_action_is_read(const char *action)
{
	return strcmp(action, "read") == 0 || strncmp(action, "read.", 5) == 0;
}

/*
 * Is sealing due?  Looked at no more than ten times a second per backend,
 * as the owner (the caller may not read the queue).  The sealer is a
 * background worker; if none can start, seal here (audit_seal_if_due turns
 * a failure into a warning).
 */
static void
start_sealing_if_due(Oid owner, TimestampTz now)
{
	static TimestampTz last_seal_check = 0;
	bool		isnull;

	if (now - last_seal_check < SEAL_CHECK_USECS && now >= last_seal_check)
		return;
	last_seal_check = now;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT healthhub.audit_seal_due()", true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not check whether audit sealing is due");
	if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) &&
		!start_audit_sealer(owner) &&
		SPI_execute("SELECT healthhub.audit_seal_if_due()", false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not seal the audit trail");
	SPI_finish();
}

int64
write_audit_entry(const AuditEntry *e, Oid owner)
{
	Oid			save_userid;
	int			save_sec_context;
	volatile int64 entry_id = 0;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		Oid			nsp = get_namespace_oid("healthhub", false);
		Oid			entries_relid = trail_relid(nsp, "audit_entries");
		Relation	entries;

		entry_id = nextval_internal(trail_relid(nsp, "audit_entry_seq"), false);
		entries = table_open(entries_relid, RowExclusiveLock);
		{
			ColumnValue entry[] = {
				{"entry_id", Int64GetDatum(entry_id), false},
				{"at", TimestampTzGetDatum(e->at), false},
				{"role_name", NameGetDatum(&e->role_name), false},
				{"session_role", NameGetDatum(&e->session_role), false},
				{"institution_key", Int64GetDatum(e->institution_key), !e->has_institution},
				{"practitioner_key", Int64GetDatum(e->practitioner_key), !e->has_practitioner},
				{"action", CStringGetTextDatum(e->action), false},
				{"object_kind", CStringGetTextDatum(e->object_kind), false},
				{"object_id", e->has_object_id ? CStringGetTextDatum(e->object_id) : (Datum) 0,
				!e->has_object_id},
				{"person_key", Int64GetDatum(e->person_key), !e->has_person},
				{"purpose", e->has_purpose ? CStringGetTextDatum(e->purpose) : (Datum) 0, !e->has_purpose},
				{"outcome", CStringGetTextDatum(e->outcome), false},
			};
			ColumnValue queued[] = {
				{"entry_id", Int64GetDatum(entry_id), false},
				{"queued_at", TimestampTzGetDatum(e->at), false},
			};

			insert_row(partition_for_entry(entries, entry_id), entry, lengthof(entry));
			insert_row(trail_relid(nsp, "audit_queue"), queued, lengthof(queued));
		}
		table_close(entries, NoLock);

		start_sealing_if_due(owner, e->at);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	return entry_id;
}

/*
 * The entry for a call of audit_append(): the caller as the role it acts as
 * and its session role, with the institution that role acts for (looked up
 * as the trail's owner: the caller may not read role_profiles).
 */
static void
fill_entry(FunctionCallInfo fcinfo, AuditEntry *e)
{
	memset(e, 0, sizeof(*e));
	e->at = GetCurrentTimestamp();
	namestrcpy(&e->role_name, GetUserNameFromId(GetOuterUserId(), false));
	namestrcpy(&e->session_role, GetUserNameFromId(GetSessionUserId(), false));
	copy_text_arg(fcinfo, 0, "action", e->action, AUDIT_ACTION_MAX);
	copy_text_arg(fcinfo, 1, "object_kind", e->object_kind, AUDIT_OBJECT_KIND_MAX);
	check_vocabulary("action", e->action);
	check_vocabulary("object_kind", e->object_kind);
	e->has_object_id = copy_text_arg(fcinfo, 2, "object_id", e->object_id, AUDIT_OBJECT_ID_MAX);
	e->person_key = optional_int8(fcinfo, 3, &e->has_person);
	e->has_purpose = copy_text_arg(fcinfo, 4, "purpose", e->purpose, AUDIT_PURPOSE_MAX);
	copy_text_arg(fcinfo, 5, "outcome", e->outcome, AUDIT_OUTCOME_MAX);
	e->practitioner_key = optional_int8(fcinfo, 6, &e->has_practitioner);
	e->has_institution = acting_role_institution(&e->institution_key);
}

PG_FUNCTION_INFO_V1(hh_audit_append);
Datum
hh_audit_append(PG_FUNCTION_ARGS)
{
	Oid			owner;
	AuditEntry	entry;

	if (is_blank(fcinfo, 0) || is_blank(fcinfo, 1) || PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("an audit entry needs an action, an object kind and an outcome"),
				 errdetail("action %s, object_kind %s, outcome %s", literal_or_null(fcinfo, 0),
						   literal_or_null(fcinfo, 1), literal_or_null(fcinfo, 5))));

	owner = audit_trail_owner();
	fill_entry(fcinfo, &entry);
	if (audit_action_is_read(entry.action))
		PG_RETURN_INT64(write_read_entry_durably(&entry, owner));
	PG_RETURN_INT64(write_audit_entry(&entry, owner));
}

int64
audit_entry(const char *action, const char *object_kind, const char *object_id, const int64 *person_key,
			const char *purpose, const char *outcome, const int64 *practitioner_key)
{
	LOCAL_FCINFO(fcinfo, 7);
	const char *texts[] = {action, object_kind, object_id, NULL, purpose, outcome};

	InitFunctionCallInfoData(*fcinfo, NULL, 7, InvalidOid, NULL, NULL);
	for (int i = 0; i < 7; i++)
	{
		fcinfo->args[i].isnull = true;
		fcinfo->args[i].value = (Datum) 0;
	}
	for (int i = 0; i < (int) lengthof(texts); i++)
		if (texts[i] != NULL)
		{
			fcinfo->args[i].value = CStringGetTextDatum(texts[i]);
			fcinfo->args[i].isnull = false;
		}
	if (person_key != NULL)
	{
		fcinfo->args[3].value = Int64GetDatum(*person_key);
		fcinfo->args[3].isnull = false;
	}
	if (practitioner_key != NULL)
	{
		fcinfo->args[6].value = Int64GetDatum(*practitioner_key);
		fcinfo->args[6].isnull = false;
	}
	return DatumGetInt64(hh_audit_append(fcinfo));
}
