/*
 * institution_cache.h
 *		The institution a role acts for, remembered per backend
 *		(institution_cache.c).
 */
#ifndef HH_INSTITUTION_CACHE_H
#define HH_INSTITUTION_CACHE_H

#include "postgres.h"

extern bool cached_institution_of(Oid roleid, Datum rolname, int64 *institution_key);
extern bool acting_role_institution(int64 *institution_key);

#endif
