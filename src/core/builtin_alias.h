/*
 * builtin_alias.h
 *		HH_BUILTIN_ALIAS: a type's operators and support functions as thin C
 *		aliases of a built-in type's own (docs/development.md).
 */
#ifndef HH_BUILTIN_ALIAS_H
#define HH_BUILTIN_ALIAS_H

#include "fmgr.h"

/*
 * A C alias of a built-in function.  resident_id and region_code are int8 and
 * int4 Datums, health_code a bytea, so their operators and support functions
 * are int8's, int4's and bytea's.
 * Declaring them LANGUAGE internal would work, but fmgr finds an internal
 * function that is not itself built in by a linear search of the built-in
 * names at every call set-up (each index scan key), while a C function is
 * cached by OID.
 */
#define HH_BUILTIN_ALIAS(name, builtin) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	return builtin(fcinfo); \
}

#endif							/* HH_BUILTIN_ALIAS_H */
