/*
 * compare_sql.c
 *		SQL functions over the comparators (compare.c).
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "linkage/compare.h"

/* The first HH_JW_MAX characters of t as code points; returns how many. */
static size_t
code_points(text *t, uint32_t *out)
{
	const unsigned char *s = (const unsigned char *) VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	size_t		n = 0;

	while (len > 0 && n < HH_JW_MAX)
	{
		int			l = pg_mblen((const char *) s);

		out[n++] = GetDatabaseEncoding() == PG_UTF8 ? utf8_to_unicode(s) : *s;
		s += l;
		len -= l;
	}
	return n;
}

PG_FUNCTION_INFO_V1(hh_jaro_winkler_sql);
Datum
hh_jaro_winkler_sql(PG_FUNCTION_ARGS)
{
	uint32_t	a[HH_JW_MAX],
				b[HH_JW_MAX];
	size_t		alen = code_points(PG_GETARG_TEXT_PP(0), a);
	size_t		blen = code_points(PG_GETARG_TEXT_PP(1), b);

	PG_RETURN_FLOAT8(hh_jaro_winkler_cp(a, alen, b, blen));
}
