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
 * Report invalid text for a type with SQLSTATE 22P02 and the given detail
 * and optional hint.  elevel is ERROR for input functions.
 */
extern void hh_input_error(const char *type_name, const char *input, int elevel,
						   const char *detail, const char *hint);

extern void hh_report_resident_id_error(rid_status st, const rid_error *e,
										const char *input, int elevel);

/* healthhub.uscc is pass-by-reference, 16 bytes */
typedef uscc_value Uscc;

#define DatumGetUsccP(X)		((Uscc *) DatumGetPointer(X))
#define PG_GETARG_USCC_P(n)		DatumGetUsccP(PG_GETARG_DATUM(n))

/* healthhub.health_identifier is a varlena: kind, issuer length, issuer, value */
typedef struct HealthIdentifier
{
	int32		vl_len_;
	uint8		kind;
	uint8		issuer_len;
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* issuer then value */
} HealthIdentifier;

#endif
