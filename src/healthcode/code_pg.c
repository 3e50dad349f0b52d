/*
 * code_pg.c
 *		Shared PostgreSQL helpers of the health code glue.
 */
#include "postgres.h"

#include <stdlib.h>

#include "access/htup_details.h"
#include "funcapi.h"

#include "healthcode/code_pg.h"

bytea *
hh_bytea_copy(const uint8 *bytes, size_t len)
{
	bytea	   *result = palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), bytes, len);
	return result;
}

bytea *
hh_bytea_copy_in(MemoryContext context, const bytea *value)
{
	MemoryContext old = MemoryContextSwitchTo(context);
	bytea	   *result = hh_bytea_copy((const uint8 *) VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));

	MemoryContextSwitchTo(old);
	return result;
}

bytea *
hh_bytea_take(uint8 *bytes, size_t len)
{
	bytea	   *volatile result = NULL;

	PG_TRY();
	{
		result = hh_bytea_copy(bytes, len);
	}
	PG_FINALLY();
	{
		free(bytes);
	}
	PG_END_TRY();
	return result;
}

TimestampTz
hh_from_unix(int64 seconds)
{
	return (TimestampTz) (seconds - (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY) * USECS_PER_SEC;
}

int64
hh_to_unix(TimestampTz t)
{
	return t / USECS_PER_SEC + (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

Datum
hh_result_row(FunctionCallInfo fcinfo, Datum *values, bool *nulls)
{
	TupleDesc	desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "function returning a record called in a context that cannot accept one");
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
}
