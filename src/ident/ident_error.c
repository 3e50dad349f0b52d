/*
 * ident_error.c
 *		One way to report invalid identifier text.
 */
#include "postgres.h"

#include "ident/ident.h"

void
hh_input_error(const char *type_name, const char *input, int elevel,
			   const char *detail, const char *hint)
{
	ereport(elevel,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", type_name, input),
			 errdetail_internal("%s", detail),
			 hint ? errhint("%s", hint) : 0));
}
