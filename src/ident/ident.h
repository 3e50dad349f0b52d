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

#include "core/builtin_alias.h"

#endif
