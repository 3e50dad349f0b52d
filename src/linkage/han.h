/*
 * han.h
 *		Name keys with ICU's knowledge of Han characters (han_icu.c).
 */
#ifndef HH_HAN_H
#define HH_HAN_H

#include "linkage/name_key.h"

/* Open the transliterators now (from _PG_init under shared_preload_libraries). */
extern void hh_han_warm(void);
/* NFKC, then name_key.c with ICU's readings; keys->status says if it failed. */
extern void hh_han_name_keys(const char *utf8, size_t len, hh_name_keys *keys);
/* errdetail text for a failed keys->status (palloc'd) */
extern const char *hh_name_problem(const hh_name_keys *keys);

#endif
