/*
 * healthhub.c
 *		Module entry point: reserves the healthhub.* setting namespace.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	/* later areas define healthhub.* settings; no one else may */
	MarkGUCPrefixReserved("healthhub");
}
