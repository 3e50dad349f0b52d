/*
 * record_fields_sql.c
 *		SQL functions over the record field parsers (record_fields.c).
 */
#include "postgres.h"

#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "linkage/record_fields.h"

/* healthhub.birth_date_or_null(text) RETURNS date: NULL if empty or not a date */
PG_FUNCTION_INFO_V1(hh_birth_date_or_null);
Datum
hh_birth_date_or_null(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int			year,
				month,
				day;

	if (hh_parse_birth_date(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &year, &month, &day) != HH_FIELD_OK)
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(date2j(year, month, day) - POSTGRES_EPOCH_JDATE);
}

/* healthhub.phone_digits(text) RETURNS text: NULL if empty, '' if not a number */
PG_FUNCTION_INFO_V1(hh_phone_digits_sql);
Datum
hh_phone_digits_sql(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char		digits[HH_PHONE_MAX + 1];

	switch (hh_phone_digits(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), digits))
	{
		case HH_FIELD_EMPTY:
			PG_RETURN_NULL();
		case HH_FIELD_INVALID:
			PG_RETURN_TEXT_P(cstring_to_text(""));
		case HH_FIELD_OK:
			break;
	}
	PG_RETURN_TEXT_P(cstring_to_text(digits));
}
