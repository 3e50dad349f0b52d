/*
 * prescription.c
 *		SQL type healthhub.prescription: PostgreSQL glue over
 *		prescription_codec (binary form, rules) and prescription_json (the
 *		text form).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "core/comparison_functions.h"
#include "ident/ident.h"
#include "rx/prescription_json.h"

#define TYPE_NAME "prescription"

/* Seconds since 1970 and PostgreSQL's microseconds since 2000, both UTC. */
#define UNIX_TO_PG_SECS ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

static struct varlena *
rx_to_varlena(const rx_value *v)
{
	uint8		buf[RX_BINARY_MAX];
	size_t		len = rx_encode(v, buf);
	struct varlena *result = palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), buf, len);
	return result;
}

/* Values on disk were checked when they were made. */
static void
rx_from_datum(Datum d, rx_value *v)
{
	struct varlena *r = PG_DETOAST_DATUM_PACKED(d);

	if (!rx_decode((const uint8 *) VARDATA_ANY(r), VARSIZE_ANY_EXHDR(r), v))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("a stored prescription is damaged")));
}

#define PG_GETARG_RX(n, v) rx_from_datum(PG_GETARG_DATUM(n), (v))

/* The start of the text, for the message (the DETAIL says what is wrong). */
static char *
abbreviated(const char *s, int len)
{
	int			cut = pg_mbcliplen(s, len, 60);

	return cut < len ? psprintf("%.*s...", cut, s) : pnstrdup(s, len);
}

static struct varlena *
parse_text(const char *s, int len)
{
	rx_value	v;
	char		detail[RX_DETAIL_MAX];

	if (!rx_parse_json(s, len, GetDatabaseEncoding(), &v, detail))
		hh_input_error(TYPE_NAME, abbreviated(s, len), detail, NULL);
	return rx_to_varlena(&v);
}

PG_FUNCTION_INFO_V1(prescription_in);
Datum
prescription_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);

	PG_RETURN_POINTER(parse_text(str, strlen(str)));
}

PG_FUNCTION_INFO_V1(prescription_out);
Datum
prescription_out(PG_FUNCTION_ARGS)
{
	rx_value	v;
	char	   *out = palloc(RX_JSON_MAX + 1);

	PG_GETARG_RX(0, &v);
	rx_format_json(&v, out);
	PG_RETURN_CSTRING(out);
}

/* Binary form: the stored bytes (version first), checked again on receipt. */
PG_FUNCTION_INFO_V1(prescription_recv);
Datum
prescription_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	rx_value	v;
	char		detail[RX_DETAIL_MAX];

	if (len > RX_BINARY_MAX || !rx_decode((const uint8 *) pq_getmsgbytes(buf, len), len, &v))
		hh_binary_error(TYPE_NAME, "The bytes are not a prescription of binary version 1.");
	if (!rx_check(&v, detail))
		hh_binary_error(TYPE_NAME, detail);
	PG_RETURN_POINTER(rx_to_varlena(&v));
}

PG_FUNCTION_INFO_V1(prescription_send);
Datum
prescription_send(PG_FUNCTION_ARGS)
{
	struct varlena *r = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(r), VARSIZE_ANY_EXHDR(r));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Equal contents have equal bytes (the form is canonical); the order is
 * the bytes' (prescriptions have no natural order: it serves indexes and
 * DISTINCT).
 */
static int
rx_cmp_datums(Datum x, Datum y)
{
	struct varlena *a = PG_DETOAST_DATUM_PACKED(x);
	struct varlena *b = PG_DETOAST_DATUM_PACKED(y);
	size_t		la = VARSIZE_ANY_EXHDR(a),
				lb = VARSIZE_ANY_EXHDR(b);
	int			c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));

	if (c == 0)
		c = (la > lb) - (la < lb);
	return (c > 0) - (c < 0);
}

HH_COMPARISON_FUNCTIONS(prescription, rx_cmp_datums)

HH_PAYLOAD_HASH_FUNCTIONS(prescription)

/* ------------------------------------------------------------- accessors */

static const char *const kind_names[] = {NULL, "ordinary", "emergency", "chronic", "long_term"};

PG_FUNCTION_INFO_V1(prescription_rxno);
Datum
prescription_rxno(PG_FUNCTION_ARGS)
{
	rx_value	v;

	PG_GETARG_RX(0, &v);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(v.rxno, v.rxno_len));
}

/*
 * healthhub.prescription_header(p): the header as one row (kind by name,
 * times as timestamptz, the diagnoses as text[]).
 */
PG_FUNCTION_INFO_V1(prescription_header);
Datum
prescription_header(PG_FUNCTION_ARGS)
{
	rx_value	v;
	TupleDesc	desc;
	Datum		values[11];
	bool		nulls[11] = {0};
	Datum	   *diags;
	int			days_supply = 0;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "prescription_header must return a row");
	PG_GETARG_RX(0, &v);
	diags = palloc(sizeof(Datum) * v.n_diagnoses);
	for (int i = 0; i < v.n_diagnoses; i++)
		diags[i] = PointerGetDatum(cstring_to_text_with_len(v.diagnoses[i], v.diagnosis_len[i]));
	for (int i = 0; i < v.n_lines; i++)
		days_supply = Max(days_supply, v.lines[i].days);
	values[0] = PointerGetDatum(cstring_to_text_with_len(v.rxno, v.rxno_len));
	if (v.init_rxno_len > 0)
		values[1] = PointerGetDatum(cstring_to_text_with_len(v.init_rxno, v.init_rxno_len));
	else
		nulls[1] = true;
	values[2] = PointerGetDatum(cstring_to_text(kind_names[v.kind]));
	values[3] = BoolGetDatum(v.online);
	values[4] = BoolGetDatum(v.first_visit);
	values[5] = TimestampTzGetDatum((v.issued_at - UNIX_TO_PG_SECS) * USECS_PER_SEC);
	values[6] = Int32GetDatum(v.valid_days);
	values[7] = Int32GetDatum(v.dispenses);
	values[8] = Int32GetDatum(v.interval_days);
	values[9] = Int32GetDatum(days_supply);
	values[10] = PointerGetDatum(construct_array(diags, v.n_diagnoses, TEXTOID, -1, false, TYPALIGN_INT));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/* A numeric without trailing zeros (0.5, not 0.500). */
static Datum
trimmed(Numeric n)
{
	return DirectFunctionCall1(numeric_trim_scale, NumericGetDatum(n));
}

static Datum
amount_numeric(int64 thousandths)
{
	return trimmed(int64_div_fast_to_numeric(thousandths, 3));
}

/*
 * healthhub.prescription_lines(p): one row per drug line, in order, with
 * what the frequency means: times per every_days days (qod: 1 per 2; st:
 * once, every_days NULL; prn: both NULL).
 */
PG_FUNCTION_INFO_V1(prescription_lines);
Datum
prescription_lines(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	rx_value	v;

	InitMaterializedSRF(fcinfo, 0);
	PG_GETARG_RX(0, &v);
	for (int i = 0; i < v.n_lines; i++)
	{
		const rx_line *l = &v.lines[i];
		const rx_frequency *f = &rx_frequencies[l->frequency];
		dc_value   *code = palloc(sizeof(dc_value));
		Datum		values[11];
		bool		nulls[11] = {0};

		*code = l->drug;
		values[0] = Int32GetDatum(i + 1);
		values[1] = PointerGetDatum(code);
		values[2] = amount_numeric(l->dose);
		values[3] = PointerGetDatum(cstring_to_text_with_len(l->unit, l->unit_len));
		values[4] = PointerGetDatum(cstring_to_text(f->code));
		values[5] = Int32GetDatum(f->per);
		nulls[5] = f->per == 0;
		values[6] = Int32GetDatum(f->days);
		nulls[6] = f->days == 0;
		values[7] = Int32GetDatum(l->days);
		values[8] = amount_numeric(l->total);
		values[9] = BoolGetDatum(l->hospital_approved);
		if (l->diagnosis_len > 0)
			values[10] = PointerGetDatum(cstring_to_text_with_len(l->diagnosis, l->diagnosis_len));
		else
			nulls[10] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* healthhub.prescription_problem(text): why a text is not a prescription; NULL if it is. */
PG_FUNCTION_INFO_V1(prescription_problem);
Datum
prescription_problem(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	rx_value	v;
	char		detail[RX_DETAIL_MAX];

	if (rx_parse_json(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), GetDatabaseEncoding(), &v, detail))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(detail));
}
