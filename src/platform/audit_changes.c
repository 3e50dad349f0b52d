/*
 * audit_changes.c
 *		The audit_changes trigger: each row written to a table of healthhub
 *		becomes an entry of the trail (src/platform/audit_changes.sql).
 *
 * It runs for every row every area writes; in PL/pgSQL (to_jsonb of the row,
 * twice for an update) it cost twice the entry it writes.
 *
 * Arguments: the object kind; the key columns, comma-separated (the object
 * id is their values joined by '/', NULLs left out, each as the row's JSON
 * would show it); the purpose; optionally the bookkeeping columns (an update
 * that changes only those is not recorded).  The row's person_key and
 * practitioner_key columns, where it has them, name the person and the
 * practitioner of the entry.
 *
 * Not recorded: the rows a load writes (its own entry records them,
 * src/platform/load_writes.c), and in a restore (healthhub.restoring) the
 * rows it replays: all but a row stamped with this transaction's start,
 * which is a change the restore makes (src/platform/shipped_rows.sql).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "healthhub.h"
#include "platform/audit_append.h"
#include "platform/load_writes.h"

/* Is "name" one of the comma-separated "list"? */
static bool
listed(const char *list, const char *name)
{
	size_t		len = strlen(name);

	for (const char *p = list;; p++)
	{
		const char *end = strchrnul(p, ',');

		if ((size_t) (end - p) == len && strncmp(p, name, len) == 0)
			return true;
		if (*end == '\0')
			return false;
		p = end;
	}
}

/* Column "name" of the row, or false when the row has no such column or it is NULL. */
static bool
column_value(HeapTuple tuple, TupleDesc desc, const char *name, Datum *value, Oid *type)
{
	int			attnum = SPI_fnumber(desc, name);
	bool		isnull;

	if (attnum <= 0)
		return false;
	*value = heap_getattr(tuple, attnum, desc, &isnull);
	*type = TupleDescAttr(desc, attnum - 1)->atttypid;
	return !isnull;
}

/* The table's column is not of a type this trigger reads: its definition is wrong. */
static void
unreadable_column(Relation rel, const char *name, Oid type)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("healthhub.audit_changes() cannot read column \"%s\" of type %s of table %s",
					name, format_type_be(type), RelationGetRelationName(rel)),
			 errdetail("person_key and practitioner_key are integers, recorded_at a timestamptz, key columns scalars other than floats and JSON.")));
}

/* An integer column (person_key, practitioner_key): NULL when absent or NULL. */
static const int64 *
key_column(Relation rel, HeapTuple tuple, const char *name, int64 *key)
{
	Datum		value;
	Oid			type;

	if (!column_value(tuple, RelationGetDescr(rel), name, &value, &type))
		return NULL;
	switch (getBaseType(type))
	{
		case INT8OID:
			*key = DatumGetInt64(value);
			break;
		case INT4OID:
			*key = DatumGetInt32(value);
			break;
		case INT2OID:
			*key = DatumGetInt16(value);
			break;
		default:
			unreadable_column(rel, name, type);
	}
	return key;
}

/*
 * A key value as the row's JSON shows it (to_jsonb(row) ->> column), for
 * scalars: floats, JSON, arrays and composites render differently there.
 */
static void
append_as_json_text(StringInfo into, Relation rel, const char *name, Datum value, Oid type)
{
	Oid			base = getBaseType(type);
	char		buf[MAXDATELEN + 1];
	Oid			output;
	bool		varlena;

	if (base == FLOAT4OID || base == FLOAT8OID || base == JSONOID || base == JSONBOID ||
		type_is_array(base) || type_is_rowtype(base))
		unreadable_column(rel, name, type);
	switch (base)
	{
		case BOOLOID:
			appendStringInfoString(into, DatumGetBool(value) ? "true" : "false");
			break;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			appendStringInfoString(into, JsonEncodeDateTime(buf, value, base, NULL));
			break;
		default:
			getTypeOutputInfo(type, &output, &varlena);
			appendStringInfoString(into, OidOutputFunctionCall(output, value));
	}
}

/* The object id: the key columns' values joined by '/', or NULL for none. */
static char *
object_id(Relation rel, HeapTuple tuple, const char *keys)
{
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData id;
	char	   *copy = pstrdup(keys);
	char	   *save = NULL;
	bool		any = false;

	initStringInfo(&id);
	for (char *column = strtok_r(copy, ",", &save); column != NULL; column = strtok_r(NULL, ",", &save))
	{
		Datum		value;
		Oid			type;

		if (!column_value(tuple, desc, column, &value, &type))
			continue;
		if (any)
			appendStringInfoChar(&id, '/');
		append_as_json_text(&id, rel, column, value, type);
		any = true;
	}
	return any ? id.data : NULL;
}

/* Did the update change any column but the bookkeeping ones? */
static bool
changed_beyond(HeapTuple old, HeapTuple new, TupleDesc desc, const char *bookkeeping)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		old_null;
		bool		new_null;
		Datum		old_value;
		Datum		new_value;

		if (att->attisdropped || listed(bookkeeping, NameStr(att->attname)))
			continue;
		old_value = heap_getattr(old, i + 1, desc, &old_null);
		new_value = heap_getattr(new, i + 1, desc, &new_null);
		if (old_null != new_null ||
			(!old_null && !datum_image_eq(old_value, new_value, att->attbyval, att->attlen)))
			return true;
	}
	return false;
}

/* In a restore: is the row one the dump holds (not stamped by this transaction)? */
static bool
replayed_by_restore(Relation rel, HeapTuple tuple)
{
	Datum		recorded_at;
	Oid			type;

	if (!column_value(tuple, RelationGetDescr(rel), "recorded_at", &recorded_at, &type))
		return true;
	if (getBaseType(type) != TIMESTAMPTZOID)
		unreadable_column(rel, "recorded_at", type);
	return DatumGetTimestampTz(recorded_at) != GetCurrentTransactionStartTimestamp();
}

PG_FUNCTION_INFO_V1(hh_audit_changes);
Datum
hh_audit_changes(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	TupleDesc	desc;
	HeapTuple	row;
	const char *op;
	int64		person;
	int64		practitioner;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || trigdata->tg_trigger->tgnargs < 3)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("healthhub.audit_changes() must be an AFTER ... FOR EACH ROW trigger"),
				 errdetail("Its arguments are the object kind, the key columns, the purpose and optionally the bookkeeping columns.")));
	if (load_writes_current() != 0)
		return PointerGetDatum(NULL);

	trigger = trigdata->tg_trigger;
	desc = RelationGetDescr(trigdata->tg_relation);
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		op = "insert", row = trigdata->tg_trigtuple;
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		op = "update", row = trigdata->tg_newtuple;
	else
		op = "delete", row = trigdata->tg_trigtuple;

	if (healthhub_restoring && strcmp(op, "delete") != 0 && replayed_by_restore(trigdata->tg_relation, row))
		return PointerGetDatum(NULL);
	if (strcmp(op, "update") == 0 &&
		!changed_beyond(trigdata->tg_trigtuple, row, desc, trigger->tgnargs > 3 ? trigger->tgargs[3] : ""))
		return PointerGetDatum(NULL);

	audit_entry(psprintf("%s.%s", trigger->tgargs[0], op), trigger->tgargs[0],
				object_id(trigdata->tg_relation, row, trigger->tgargs[1]),
				key_column(trigdata->tg_relation, row, "person_key", &person), trigger->tgargs[2], "ok",
				key_column(trigdata->tg_relation, row, "practitioner_key", &practitioner));
	return PointerGetDatum(NULL);
}
