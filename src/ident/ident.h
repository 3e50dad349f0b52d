/*
 * ident.h
 *		What the identifier area exports to the rest of healthhub.
 */
#ifndef HH_IDENT_H
#define HH_IDENT_H

#include "postgres.h"

#include "ident/health_identifier_parse.h"
#include "ident/resident_id_parse.h"
#include "ident/uscc_parse.h"

/*
 * Report invalid text for a type (SQLSTATE 22P02) or an invalid binary value
 * (22P03), with a detail sentence and an optional hint.
 */
extern void hh_input_error(const char *type_name, const char *input,
						   const char *detail, const char *hint) pg_attribute_noreturn();
extern void hh_binary_error(const char *type_name, const char *detail) pg_attribute_noreturn();

/*
 * A C alias of a built-in function.  resident_id and region_code are int8 and
 * int4 Datums, so their operators and support functions are int8's and int4's.
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

#endif
