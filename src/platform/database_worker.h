/*
 * database_worker.h
 *		Starting one of healthhub's background workers in this database
 *		(database_worker.c).
 */
#ifndef HH_DATABASE_WORKER_H
#define HH_DATABASE_WORKER_H

#include "postgres.h"

/*
 * Ask the postmaster for a worker running healthhub's "function" in this
 * database as "role", named and typed "name" (what pg_stat_activity shows as
 * backend_type).  False if no worker slot is free.
 */
extern bool start_database_worker(const char *function, const char *name, Oid role);

#endif
