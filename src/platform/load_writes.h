/*
 * load_writes.h
 *		The load a transaction is writing (src/platform/load_writes.c).
 */
#ifndef HH_LOAD_WRITES_H
#define HH_LOAD_WRITES_H

#include "postgres.h"

/* The load this transaction is writing (begin_load_writes), or 0. */
extern int64 load_writes_current(void);

#endif
