/*
 * healthhub.c
 *		Module entry point: reserves the healthhub.* setting namespace and,
 *		when preloaded, sets up the audit writer's shared memory and warms
 *		ICU for name keys.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "linkage/han.h"
#include "registry/audit_writer.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	/* later areas define healthhub.* settings; no one else may */
	MarkGUCPrefixReserved("healthhub");

	/*
	 * Loaded by shared_preload_libraries: open ICU's transliterators in the
	 * postmaster, so no backend pays ~150 ms for them on its first name.
	 */
	if (process_shared_preload_libraries_in_progress)
	{
		audit_writer_preload();
		hh_han_warm();
	}
}
