/*
 * comparison_functions.h
 *		HH_COMPARISON_FUNCTIONS: a type's six comparison operators, its btree
 *		comparison and sort support, from one three-way comparison of two
 *		Datums (for the types whose order is not a built-in type's:
 *		builtin_alias.h covers those).
 */
#ifndef HH_COMPARISON_FUNCTIONS_H
#define HH_COMPARISON_FUNCTIONS_H

#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/sortsupport.h"

#define HH_COMPARISON_OPERATOR(name, cmp_datums, test) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	int			c = cmp_datums(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)); \
	PG_RETURN_BOOL(test); \
}

/*
 * prefix_eq ... prefix_ge, prefix_cmp and prefix_sortsupport, where
 * cmp_datums(Datum, Datum) returns <0, 0 or >0 (and frees nothing it does
 * not own: sort comparators run in long-lived contexts).
 */
#define HH_COMPARISON_FUNCTIONS(prefix, cmp_datums) \
HH_COMPARISON_OPERATOR(prefix##_eq, cmp_datums, c == 0) \
HH_COMPARISON_OPERATOR(prefix##_ne, cmp_datums, c != 0) \
HH_COMPARISON_OPERATOR(prefix##_lt, cmp_datums, c < 0) \
HH_COMPARISON_OPERATOR(prefix##_le, cmp_datums, c <= 0) \
HH_COMPARISON_OPERATOR(prefix##_gt, cmp_datums, c > 0) \
HH_COMPARISON_OPERATOR(prefix##_ge, cmp_datums, c >= 0) \
PG_FUNCTION_INFO_V1(prefix##_cmp); \
Datum \
prefix##_cmp(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_INT32(cmp_datums(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1))); \
} \
static int \
prefix##_fastcmp(Datum a, Datum b, SortSupport ssup) \
{ \
	return cmp_datums(a, b); \
} \
PG_FUNCTION_INFO_V1(prefix##_sortsupport); \
Datum \
prefix##_sortsupport(PG_FUNCTION_ARGS) \
{ \
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0); \
\
	ssup->comparator = prefix##_fastcmp; \
	PG_RETURN_VOID(); \
}

/*
 * prefix_hash and prefix_hash_extended of a varlena type whose values are
 * stored normalised: hashing the payload's bytes agrees with its equality.
 * (The payload is read in place, short header or not.)
 */
#define HH_PAYLOAD_HASH_FUNCTIONS(prefix) \
PG_FUNCTION_INFO_V1(prefix##_hash); \
Datum \
prefix##_hash(PG_FUNCTION_ARGS) \
{ \
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0)); \
\
	return hash_any((const unsigned char *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v)); \
} \
PG_FUNCTION_INFO_V1(prefix##_hash_extended); \
Datum \
prefix##_hash_extended(PG_FUNCTION_ARGS) \
{ \
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0)); \
\
	return hash_any_extended((const unsigned char *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), PG_GETARG_INT64(1)); \
}

#endif							/* HH_COMPARISON_FUNCTIONS_H */
