/*
 * work_table.h
 *		The work tables link_batch() makes and its C helpers read
 *		(cluster.c, block_pairs.c).
 */
#ifndef HH_WORK_TABLE_H
#define HH_WORK_TABLE_H

#include "access/tupdesc.h"

/*
 * Refuse a work table column that is not of the type it is read as
 * (anyone allowed to call the helpers could have made the table).
 */
extern void check_work_column(TupleDesc desc, int col, const char *table, const char *column, Oid expected);

#endif
