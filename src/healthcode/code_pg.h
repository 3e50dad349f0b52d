/*
 * code_pg.h
 *		The health code glue's shared PostgreSQL helpers (code_pg.c): the
 *		codec's malloc'd bytes as bytea, Unix seconds as timestamptz, and a
 *		function's one result row.
 */
#ifndef HH_CODE_PG_H
#define HH_CODE_PG_H

#include "fmgr.h"
#include "utils/timestamp.h"

extern bytea *hh_bytea_copy(const uint8 *bytes, size_t len);
/* a copy of a bytea in a memory context (for what outlives the call) */
extern bytea *hh_bytea_copy_in(MemoryContext context, const bytea *value);
/* a copy of malloc'd bytes, which are freed whatever happens */
extern bytea *hh_bytea_take(uint8 *bytes, size_t len);
extern TimestampTz hh_from_unix(int64 seconds);
extern int64 hh_to_unix(TimestampTz t);
/* the function's result row (its OUT parameters) from values and nulls */
extern Datum hh_result_row(FunctionCallInfo fcinfo, Datum *values, bool *nulls);

#endif							/* HH_CODE_PG_H */
