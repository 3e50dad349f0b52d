/*
 * compare_sql.c
 *		SQL functions over the comparators (compare.c).
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/date.h"
#include "utils/datetime.h"
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

static void
to_ymd(FunctionCallInfo fcinfo, int arg, hh_ymd *out)
{
	memset(out, 0, sizeof(*out));
	if (!PG_ARGISNULL(arg) && !DATE_NOT_FINITE(PG_GETARG_DATEADT(arg)))
	{
		out->present = true;
		out->days = PG_GETARG_DATEADT(arg);
		j2date(out->days + POSTGRES_EPOCH_JDATE, &out->year, &out->month, &out->day);
	}
}

/* healthhub.birth_date_level(a date, b date) RETURNS text */
PG_FUNCTION_INFO_V1(hh_birth_date_level);
Datum
hh_birth_date_level(PG_FUNCTION_ARGS)
{
	hh_ymd		a,
				b;

	to_ymd(fcinfo, 0, &a);
	to_ymd(fcinfo, 1, &b);
	PG_RETURN_TEXT_P(cstring_to_text(hh_comparison_levels[HH_CMP_BIRTH_DATE][hh_compare_birth_date(&a, &b)]));
}
