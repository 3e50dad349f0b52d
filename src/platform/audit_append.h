/*
 * audit_append.h
 *		Appending to the audit trail from C (src/platform/audit_append.c).
 */
#ifndef HH_AUDIT_APPEND_H
#define HH_AUDIT_APPEND_H

/*
 * healthhub.audit_append() for C callers: object_id, person_key and
 * practitioner_key may be NULL.  Returns the entry id.
 */
extern int64 audit_entry(const char *action, const char *object_kind, const char *object_id,
						 const int64 *person_key, const char *purpose, const char *outcome,
						 const int64 *practitioner_key);

#endif
