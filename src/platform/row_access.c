/*
 * row_access.c
 *		healthhub.row_allowed(): the one predicate every row level security
 *		policy of the extension calls (src/platform/profiles.sql).
 *
 * Each policy is a plain call, healthhub.row_allowed('read', institution_key)
 * and the like, with no subquery in it: Citus refuses subqueries in the
 * policies of distributed and reference tables, and one function keeps the
 * rule in one place (it was written out in seven policies, in two variants).
 *
 * What the caller holds (hub_admin? institution_app? which institution?) is
 * asked once per query, not once per row: the answer is kept in the call
 * site's fn_extra, which lives as long as the query's executor state, for
 * the role that asked (the policies' old "(SELECT has_profile(...))" init
 * plans ran once per query too).  It is asked through the SQL definitions,
 * healthhub.has_profile() and healthhub.acting_institution(), with the
 * caller's snapshot and privileges, so nothing here redefines them.
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

typedef struct CallerProfiles
{
	Oid			userid;			/* the role the answers are for */
	bool		hub_admin;
	bool		institution_app;
	bool		has_institution;
	int64		institution;
} CallerProfiles;

typedef enum RowAccess
{
	ACCESS_READ,				/* not an institution's application, or its own institution */
	ACCESS_OWN,					/* hub_admin, or the caller's own institution */
	ACCESS_ADMIN,				/* hub_admin */
	ACCESS_HOLDER				/* a row about a role the caller is a member of */
} RowAccess;

static SPIPlanPtr profiles_plan = NULL;

static void
ask_profiles(CallerProfiles *p)
{
	bool		isnull;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (profiles_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare("SELECT healthhub.has_profile('hub_admin'),"
									   " healthhub.has_profile('institution_app'),"
									   " healthhub.acting_institution()", 0, NULL);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare the profile query: %s", SPI_result_code_string(SPI_result));
		profiles_plan = plan;
	}
	if (SPI_execute_plan(profiles_plan, NULL, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "the profile query did not return one row");
	p->hub_admin = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	p->hub_admin = p->hub_admin && !isnull;
	p->institution_app = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	p->institution_app = p->institution_app && !isnull;
	p->institution = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	p->has_institution = !isnull;
	SPI_finish();
}

static RowAccess
parse_access(text *access)
{
	char	   *s = VARDATA_ANY(access);
	int			len = VARSIZE_ANY_EXHDR(access);

#define IS(word) (len == (int) strlen(word) && memcmp(s, word, len) == 0)
	if (IS("read"))
		return ACCESS_READ;
	if (IS("own"))
		return ACCESS_OWN;
	if (IS("admin"))
		return ACCESS_ADMIN;
	if (IS("holder"))
		return ACCESS_HOLDER;
#undef IS
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid row access \"%s\"", text_to_cstring(access)),
			 errdetail("The access is read, own, admin or holder.")));
	return ACCESS_READ;			/* keep the compiler quiet */
}

/*
 * Is the caller a member of role "holder", whose name is still
 * "holder_name"?  (As pg_has_role(CURRENT_USER, holder, 'MEMBER') with the
 * name checked against pg_authid: a dropped role's OID reused by another
 * role does not inherit its rows.)
 */
static bool
holds_role(Oid holder, Name holder_name)
{
	HeapTuple	tuple;
	bool		same_name;

	tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(holder));
	if (!HeapTupleIsValid(tuple))
		return false;
	same_name = strncmp(NameStr(((Form_pg_authid) GETSTRUCT(tuple))->rolname),
						NameStr(*holder_name), NAMEDATALEN) == 0;
	ReleaseSysCache(tuple);
	return same_name && is_member_of_role(GetUserId(), holder);
}

PG_FUNCTION_INFO_V1(hh_row_allowed);
Datum
hh_row_allowed(PG_FUNCTION_ARGS)
{
	RowAccess	access;
	CallerProfiles *p;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("null value not allowed for argument \"access\" of healthhub.row_allowed()"),
				 errdetail("Argument \"access\" is null; it is required.")));
	access = parse_access(PG_GETARG_TEXT_PP(0));

	if (access == ACCESS_HOLDER)
		PG_RETURN_BOOL(!PG_ARGISNULL(2) && !PG_ARGISNULL(3) &&
					   holds_role(PG_GETARG_OID(2), PG_GETARG_NAME(3)));

	p = (CallerProfiles *) fcinfo->flinfo->fn_extra;
	if (p == NULL || p->userid != GetUserId())
	{
		CallerProfiles answer;

		ask_profiles(&answer);
		answer.userid = GetUserId();
		if (p == NULL)
			p = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(CallerProfiles));
		*p = answer;
		fcinfo->flinfo->fn_extra = p;
	}

	switch (access)
	{
		case ACCESS_READ:
			if (!p->institution_app)
				PG_RETURN_BOOL(true);
			break;
		case ACCESS_OWN:
			if (p->hub_admin)
				PG_RETURN_BOOL(true);
			break;
		case ACCESS_ADMIN:
			PG_RETURN_BOOL(p->hub_admin);
		case ACCESS_HOLDER:
			break;
	}
	/* the caller's own institution's rows */
	PG_RETURN_BOOL(!PG_ARGISNULL(1) && p->has_institution && PG_GETARG_INT64(1) == p->institution);
}
