/*
 * ident_error.c
 *		One way to report invalid identifier text.
 */
#include "postgres.h"

#include "ident/ident.h"

void
hh_input_error(const char *type_name, const char *input,
			   const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", type_name, input),
			 errdetail_internal("%s", detail),
			 hint ? errhint("%s", hint) : 0));
}

void
hh_binary_error(const char *type_name, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary value for type %s", type_name),
			 errdetail_internal("%s", detail)));
}
