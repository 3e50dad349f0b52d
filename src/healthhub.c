/*
 * healthhub.c
 *		Module entry point: reserves the healthhub.* setting namespace,
 *		defines healthhub.restoring and, when preloaded, sets up the audit
 *		writer's shared memory and warms ICU for name keys.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "healthhub.h"
#include "linkage/han.h"
#include "platform/audit_writer.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * healthhub.restoring: a restore is running in this session.  Rows that
 * pg_restore reloads keep the stamps they were dumped with (who recorded
 * them, when) and are not audited a second time.  Only a superuser may set
 * it (PGC_SUSET), for the restore's own sessions (PGOPTIONS, docs/install.md);
 * 0.4 took any superuser session for a restore.
 */
bool		healthhub_restoring = false;

void
_PG_init(void)
{
	DefineCustomBoolVariable("healthhub.restoring",
							 "Whether this session is restoring a dump of healthhub.",
							 "Reloaded rows keep their recorded stamps and are not audited again. Set it for pg_restore only.",
							 &healthhub_restoring,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

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

/*
 * is_restoring() RETURNS boolean
 *
 * Is healthhub.restoring on?  C, not current_setting(): calling it loads this
 * library, so the setting is the real superuser-only one, and a value a
 * non-superuser gave the placeholder before the library was loaded has been
 * refused (with a WARNING) by then.
 */
PG_FUNCTION_INFO_V1(hh_is_restoring);
Datum
hh_is_restoring(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(healthhub_restoring);
}
