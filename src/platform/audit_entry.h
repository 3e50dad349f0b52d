/*
 * audit_entry.h
 *		One audit entry as the writers of the trail pass it around
 *		(audit_append.c writes it; audit_writer.c carries a read's entry to
 *		the background worker that commits it).
 */
#ifndef HH_AUDIT_ENTRY_H
#define HH_AUDIT_ENTRY_H

#include "postgres.h"

#include "utils/timestamp.h"

/* The bounds of an entry's texts, in bytes: nobody may remove an entry. */
#define AUDIT_ACTION_MAX		100
#define AUDIT_OBJECT_KIND_MAX	100
#define AUDIT_OBJECT_ID_MAX		2500	/* two records: 2 x (200 + 1 + 1000) */
#define AUDIT_PURPOSE_MAX		500
#define AUDIT_OUTCOME_MAX		500

typedef struct AuditEntry
{
	TimestampTz at;
	NameData	role_name;		/* the role the caller acts as */
	NameData	session_role;
	bool		has_institution;
	bool		has_practitioner;
	bool		has_person;
	bool		has_object_id;
	bool		has_purpose;
	int64		institution_key;
	int64		practitioner_key;
	int64		person_key;
	char		action[AUDIT_ACTION_MAX + 1];
	char		object_kind[AUDIT_OBJECT_KIND_MAX + 1];
	char		object_id[AUDIT_OBJECT_ID_MAX + 1];
	char		purpose[AUDIT_PURPOSE_MAX + 1];
	char		outcome[AUDIT_OUTCOME_MAX + 1];
} AuditEntry;

/*
 * Write the entry and its queue row in the current transaction as the
 * trail's owner "owner"; look whether sealing is due.  Returns the entry id.
 */
extern int64 write_audit_entry(const AuditEntry *entry, Oid owner);

/* The owner of healthhub.audit_entries: the role entries are written as. */
extern Oid	audit_trail_owner(void);

/*
 * A read's entry: committed by the audit writer (a background worker) before
 * this returns, so that it survives the reader's rollback.  Returns the id.
 */
extern int64 write_read_entry_durably(const AuditEntry *entry, Oid owner);

/* Reads ("read", "read.<what>") are written durably; all else in the caller's transaction. */
extern bool audit_action_is_read(const char *action);

#endif
