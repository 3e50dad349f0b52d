/*
 * audit_writer.h
 *		The audit writer: read entries committed before the data is returned
 *		(audit_writer.c).
 */
#ifndef HH_AUDIT_WRITER_H
#define HH_AUDIT_WRITER_H

/* From _PG_init when preloaded: reserve the writer's shared memory. */
extern void audit_writer_preload(void);

#endif
