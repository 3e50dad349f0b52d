/*
 * role_cache.h
 *		What the acting role holds, remembered per backend (role_cache.c).
 */
#ifndef HH_ROLE_CACHE_H
#define HH_ROLE_CACHE_H

#include "postgres.h"

/* The institution the acting role acts for: false when none. */
extern bool acting_role_institution(int64 *institution_key);

#endif
