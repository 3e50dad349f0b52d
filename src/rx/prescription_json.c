/*
 * prescription_json.c
 *		The JSON text form of a prescription, read with PostgreSQL's JSON
 *		parser (semantic actions over its tokens: no document tree).
 *
 *		{"hosp_rxno": "RX-1", "rx_type_code": "3", "prsc_time": "2026-12-01 09:30:00",
 *		 "valid_days": 3, "biz_type_code": "02", "fstdiag_flag": "0",
 *		 "diseinfo": [{"diag_code": "E11.900"}],
 *		 "rxdrugdetail": [{"med_list_codg": "XA10BAE...", "sin_doscnt": 0.5, "sin_dosunt": "g",
 *		                   "used_frqu_codg": "tid", "medc_days": 7, "drug_totlnt": 10.5}]}
 *
 *		Unknown fields are refused (the form is the record, nothing rides
 *		along); a field given twice is refused; null is absent.
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include <stdio.h>

#include "common/jsonapi.h"

#include "rx/prescription_json.h"

typedef enum rx_place
{
	AT_TOP,
	AT_DIAGNOSIS,
	AT_LINE
} rx_place;

/* The fields, each with the place it belongs to and how it is read. */
typedef enum field_id
{
	F_HOSP_RXNO, F_INIT_RXNO, F_RX_TYPE_CODE, F_LONG_RX_FLAG, F_PRSC_TIME, F_VALID_DAYS,
	F_BIZ_TYPE_CODE, F_FSTDIAG_FLAG, F_REPT_FLAG, F_MAX_REPT_CNT, F_MIN_INRV_DAYS,
	F_DISEINFO, F_RXDRUGDETAIL,
	F_DIAG_CODE,
	F_MED_LIST_CODG, F_SIN_DOSCNT, F_SIN_DOSUNT, F_USED_FRQU_CODG, F_MEDC_DAYS, F_DRUG_TOTLNT,
	F_HOSP_APPR_FLAG, F_DISE_CODG,
	F_COUNT
} field_id;

static const struct
{
	const char *name;
	rx_place	place;
	bool		required;
} fields[F_COUNT] = {
	[F_HOSP_RXNO] = {"hosp_rxno", AT_TOP, true},
	[F_INIT_RXNO] = {"init_rxno", AT_TOP, false},
	[F_RX_TYPE_CODE] = {"rx_type_code", AT_TOP, true},
	[F_LONG_RX_FLAG] = {"long_rx_flag", AT_TOP, false},
	[F_PRSC_TIME] = {"prsc_time", AT_TOP, true},
	[F_VALID_DAYS] = {"valid_days", AT_TOP, true},
	[F_BIZ_TYPE_CODE] = {"biz_type_code", AT_TOP, true},
	[F_FSTDIAG_FLAG] = {"fstdiag_flag", AT_TOP, true},
	[F_REPT_FLAG] = {"rept_flag", AT_TOP, false},
	[F_MAX_REPT_CNT] = {"max_rept_cnt", AT_TOP, false},
	[F_MIN_INRV_DAYS] = {"min_inrv_days", AT_TOP, false},
	[F_DISEINFO] = {"diseinfo", AT_TOP, true},
	[F_RXDRUGDETAIL] = {"rxdrugdetail", AT_TOP, true},
	[F_DIAG_CODE] = {"diag_code", AT_DIAGNOSIS, true},
	[F_MED_LIST_CODG] = {"med_list_codg", AT_LINE, true},
	[F_SIN_DOSCNT] = {"sin_doscnt", AT_LINE, true},
	[F_SIN_DOSUNT] = {"sin_dosunt", AT_LINE, true},
	[F_USED_FRQU_CODG] = {"used_frqu_codg", AT_LINE, true},
	[F_MEDC_DAYS] = {"medc_days", AT_LINE, true},
	[F_DRUG_TOTLNT] = {"drug_totlnt", AT_LINE, true},
	[F_HOSP_APPR_FLAG] = {"hosp_appr_flag", AT_LINE, false},
	[F_DISE_CODG] = {"dise_codg", AT_LINE, false},
};

typedef struct rx_reader
{
	rx_value   *v;
	char	   *detail;
	bool		failed;
	int			depth;			/* objects and arrays open */
	rx_place	place;
	int			field;			/* the field whose value comes next, or -1 */
	uint32_t	seen[2];		/* fields given: in the prescription, in the current item */
	int			element;		/* 0-based index in the current array */
	int			long_flag;		/* -1 absent */
	int			repeat_flag;
} rx_reader;

#define SEEN(r) ((r)->seen[(r)->place != AT_TOP])

#define FAIL(r, ...) \
	do { if (!(r)->failed) { (r)->failed = true; snprintf((r)->detail, RX_DETAIL_MAX, __VA_ARGS__); } } while (0)

static const char *
where(rx_reader *r, char *buf)
{
	if (r->place == AT_LINE)
		snprintf(buf, 32, "drug %d: ", r->element + 1);
	else if (r->place == AT_DIAGNOSIS)
		snprintf(buf, 32, "diagnosis %d: ", r->element + 1);
	else
		buf[0] = '\0';
	return buf;
}

/* The required fields of the object being closed. */
static void
check_required(rx_reader *r)
{
	char		w[32];

	for (int f = 0; f < F_COUNT; f++)
		if (fields[f].place == r->place && fields[f].required && !(SEEN(r) & (UINT32_C(1) << f)))
		{
			FAIL(r, "%s%s is missing.", where(r, w), fields[f].name);
			return;
		}
}

/* A value that is an object or a list where a field takes a single value. */
static void
misplaced(rx_reader *r, const char *what)
{
	char		w[32];

	if (r->depth == 1)
		FAIL(r, "A prescription is a JSON object.");
	else if (r->field == F_DISEINFO || r->field == F_RXDRUGDETAIL)
		FAIL(r, "%s is a list of objects.", fields[r->field].name);
	else if (r->field >= 0)
		FAIL(r, "%s%s is a single value, not %s.", where(r, w), fields[r->field].name, what);
	else
		FAIL(r, "%sa list of %s holds objects.", where(r, w), r->place == AT_LINE ? "drugs" : "diagnoses");
}

static void
on_object_start(void *state)
{
	rx_reader  *r = state;

	if (r->failed)
		return;
	r->depth++;
	if (r->depth == 1)
		r->place = AT_TOP;
	else if (r->depth == 3 && r->field < 0 && (r->place == AT_DIAGNOSIS || r->place == AT_LINE))
	{
		int			max = r->place == AT_LINE ? RX_MAX_LINES : RX_MAX_DIAGNOSES;

		if (r->element >= max)
			FAIL(r, "A prescription has at most %d %s.", max, r->place == AT_LINE ? "drugs" : "diagnoses");
		SEEN(r) = 0;
	}
	else
		misplaced(r, "an object");
	r->field = -1;
}

static void
on_object_end(void *state)
{
	rx_reader  *r = state;

	if (r->failed)
		return;
	check_required(r);
	r->depth--;
	if (r->depth == 2)
	{
		if (r->place == AT_LINE)
			r->v->n_lines = (uint8_t) (r->element + 1);
		else
			r->v->n_diagnoses = (uint8_t) (r->element + 1);
	}
}

static void
on_array_start(void *state)
{
	rx_reader  *r = state;

	if (r->failed)
		return;
	r->depth++;
	if (r->depth == 2 && (r->field == F_DISEINFO || r->field == F_RXDRUGDETAIL))
	{
		r->place = r->field == F_DISEINFO ? AT_DIAGNOSIS : AT_LINE;
		r->element = -1;
	}
	else
		misplaced(r, "a list");
	r->field = -1;
}

static void
on_array_end(void *state)
{
	rx_reader  *r = state;

	if (r->failed)
		return;
	r->depth--;
	r->place = AT_TOP;
}

static void
on_array_element_start(void *state, bool isnull)
{
	rx_reader  *r = state;

	if (r->failed)
		return;
	if (r->depth == 2)
		r->element++;
}

static void
on_field_start(void *state, char *fname, bool isnull)
{
	rx_reader  *r = state;
	char		w[32];
	int			f;

	if (r->failed)
	{
		pfree(fname);
		return;
	}
	for (f = 0; f < F_COUNT; f++)
		if (fields[f].place == r->place && fields[f].name[0] == fname[0] && strcmp(fields[f].name, fname) == 0)
			break;
	if (f == F_COUNT)
		FAIL(r, "%s\"%.40s\" is not a field of %s.", where(r, w), fname,
			 r->place == AT_TOP ? "a prescription" : r->place == AT_LINE ? "a drug line" : "a diagnosis");
	else if (SEEN(r) & (UINT32_C(1) << f))
		FAIL(r, "%s%s is given twice.", where(r, w), fields[f].name);
	else if (isnull)
		f = -1;					/* null: absent (a required field stays missing) */
	else
		SEEN(r) |= UINT32_C(1) << f;
	r->field = f;
	pfree(fname);
}

/* An unsigned integer from a number or a string of digits. */
static bool
read_count(const char *s, JsonTokenType type, int max, int *out)
{
	long		v = 0;

	if ((type != JSON_TOKEN_NUMBER && type != JSON_TOKEN_STRING) || *s == '\0')
		return false;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
		if (v > max)
			return false;
	}
	*out = (int) v;
	return true;
}

static bool
read_flag(const char *s, JsonTokenType type, int *out)
{
	return read_count(s, type, 1, out);
}

static void
copy_text(char *dst, uint8_t *dst_len, const char *s)
{
	size_t		len = strlen(s);

	memcpy(dst, s, len);
	*dst_len = (uint8_t) len;
}

static void
on_scalar(void *state, char *token, JsonTokenType type)
{
	rx_reader  *r = state;
	rx_value   *v = r->v;
	rx_line    *l = r->place == AT_LINE && r->element >= 0 ? &v->lines[r->element] : NULL;
	bool		is_string = type == JSON_TOKEN_STRING;
	size_t		len = strlen(token);
	int			n;
	char		w[32];

	if (r->failed)
	{
		pfree(token);
		return;
	}
	if (r->field < 0)
	{
		if (r->depth == 0)
			FAIL(r, "A prescription is a JSON object.");
		else if (r->depth == 2)
			misplaced(r, "");
		/* (else the value of a null field) */
		pfree(token);
		return;
	}
	where(r, w);
	switch ((field_id) r->field)
	{
		case F_HOSP_RXNO:
			if (!is_string || !rx_rxno_ok(token, len))
				FAIL(r, "hosp_rxno is 1 to %d letters, digits, - and _.", RX_RXNO_MAX);
			else
				copy_text(v->rxno, &v->rxno_len, token);
			break;
		case F_INIT_RXNO:
			if (!is_string || !rx_rxno_ok(token, len))
				FAIL(r, "init_rxno is 1 to %d letters, digits, - and _.", RX_RXNO_MAX);
			else
				copy_text(v->init_rxno, &v->init_rxno_len, token);
			break;
		case F_RX_TYPE_CODE:
			if (!read_count(token, type, 9, &n) || n < RX_ORDINARY || n > RX_LONG_TERM)
				FAIL(r, "rx_type_code is 1 (ordinary), 2 (emergency), 3 (chronic) or 4 (long-term).");
			else
				v->kind = (uint8_t) n;
			break;
		case F_LONG_RX_FLAG:
			if (!read_flag(token, type, &r->long_flag))
				FAIL(r, "long_rx_flag is 0 or 1.");
			break;
		case F_PRSC_TIME:
			if (!is_string || !rx_parse_time(token, len, &v->issued_at))
				FAIL(r, "prsc_time is a Beijing time written YYYY-MM-DD HH:MM:SS.");
			break;
		case F_VALID_DAYS:
			if (!read_count(token, type, RX_DAYS_MAX, &n) || n < 1)
				FAIL(r, "valid_days is a whole number of days, 1 to %d.", RX_DAYS_MAX);
			else
				v->valid_days = (uint16_t) n;
			break;
		case F_BIZ_TYPE_CODE:
			if (is_string && strcmp(token, "01") == 0)
				v->online = false;
			else if (is_string && strcmp(token, "02") == 0)
				v->online = true;
			else
				FAIL(r, "biz_type_code is \"01\" (in person) or \"02\" (internet hospital).");
			break;
		case F_FSTDIAG_FLAG:
			if (!read_flag(token, type, &n))
				FAIL(r, "fstdiag_flag is 0 (follow-up) or 1 (first visit).");
			else
				v->first_visit = n == 1;
			break;
		case F_REPT_FLAG:
			if (!read_flag(token, type, &r->repeat_flag))
				FAIL(r, "rept_flag is 0 or 1.");
			break;
		case F_MAX_REPT_CNT:
			if (!read_count(token, type, 99, &n) || n < 1)
				FAIL(r, "max_rept_cnt is the number of dispenses, 1 to 99.");
			else
				v->dispenses = (uint16_t) n;
			break;
		case F_MIN_INRV_DAYS:
			if (!read_count(token, type, RX_DAYS_MAX, &n))
				FAIL(r, "min_inrv_days is a whole number of days, 0 to %d.", RX_DAYS_MAX);
			else
				v->interval_days = (uint16_t) n;
			break;
		case F_DISEINFO:
		case F_RXDRUGDETAIL:
			FAIL(r, "%s is a list of objects.", fields[r->field].name);
			break;
		case F_DIAG_CODE:
			if (!is_string || !rx_icd10_ok(token, len))
				FAIL(r, "%sdiag_code is an ICD-10 code (J18.9, E11.900x002).", w);
			else
				copy_text(v->diagnoses[r->element], &v->diagnosis_len[r->element], token);
			break;
		case F_MED_LIST_CODG:
			{
				dc_status	st = is_string ? dc_parse(token, len, &l->drug) : DC_BAD_CHARACTER;

				if (st != DC_OK || len != DC_LEN)
					FAIL(r, "%smed_list_codg is a 23-character national drug code.", w);
				break;
			}
		case F_SIN_DOSCNT:
			if ((type != JSON_TOKEN_NUMBER && !is_string) || !rx_parse_amount(token, len, &l->dose))
				FAIL(r, "%ssin_doscnt is more than 0 and at most 1000000, with at most 3 decimals.", w);
			break;
		case F_SIN_DOSUNT:
			if (!is_string || !rx_unit_ok(token, len))
				FAIL(r, "%ssin_dosunt is 1 to %d bytes of text without spaces or quotes.", w, RX_UNIT_MAX);
			else
				copy_text(l->unit, &l->unit_len, token);
			break;
		case F_USED_FRQU_CODG:
			if (!is_string || (n = rx_frequency_by_code(token, len)) < 0)
				FAIL(r, "%sused_frqu_codg is one of qd, bid, tid, qid, q4h, q6h, q8h, q12h, qn, qod, qw, biw, tiw, st, prn.", w);
			else
				l->frequency = (uint8_t) n;
			break;
		case F_MEDC_DAYS:
			if (!read_count(token, type, RX_DAYS_MAX, &n) || n < 1)
				FAIL(r, "%smedc_days is a whole number of days, 1 to %d.", w, RX_DAYS_MAX);
			else
				l->days = (uint16_t) n;
			break;
		case F_DRUG_TOTLNT:
			if ((type != JSON_TOKEN_NUMBER && !is_string) || !rx_parse_amount(token, len, &l->total))
				FAIL(r, "%sdrug_totlnt is more than 0 and at most 1000000, with at most 3 decimals.", w);
			break;
		case F_HOSP_APPR_FLAG:
			if (!read_flag(token, type, &n))
				FAIL(r, "%shosp_appr_flag is 0 or 1.", w);
			else
				l->hospital_approved = n == 1;
			break;
		case F_DISE_CODG:
			if (!is_string || !rx_icd10_ok(token, len))
				FAIL(r, "%sdise_codg is an ICD-10 code (J18.9, E11.900x002).", w);
			else
				copy_text(l->diagnosis, &l->diagnosis_len, token);
			break;
		case F_COUNT:
			break;
	}
	r->field = -1;
	pfree(token);
}

bool
rx_parse_json(const char *json, size_t len, int encoding, rx_value *out, char detail[RX_DETAIL_MAX])
{
	rx_reader	r;
	JsonSemAction sem;
	JsonLexContext *lex;
	JsonParseErrorType err;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.v = out;
	r.detail = detail;
	r.field = -1;
	r.long_flag = -1;
	r.repeat_flag = -1;
	out->dispenses = 1;
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &r;
	sem.object_start = on_object_start;
	sem.object_end = on_object_end;
	sem.array_start = on_array_start;
	sem.array_end = on_array_end;
	sem.array_element_start = on_array_element_start;
	sem.object_field_start = on_field_start;
	sem.scalar = on_scalar;
	if (len > RX_JSON_MAX)
	{
		snprintf(detail, RX_DETAIL_MAX, "A prescription's text is at most %d bytes.", RX_JSON_MAX);
		return false;
	}
	lex = makeJsonLexContextCstringLen((char *) json, (int) len, encoding, true);
	err = pg_parse_json(lex, &sem);
	if (err != JSON_SUCCESS && !r.failed)
	{
		r.failed = true;
		/* (libpgcommon's frontend build, for the fuzz harness, lacks json_errdetail) */
#ifdef FRONTEND
		snprintf(detail, RX_DETAIL_MAX, "The text is not JSON (error %d).", (int) err);
#else
		snprintf(detail, RX_DETAIL_MAX, "%s", json_errdetail(err, lex));
#endif
	}
	/* (PostgreSQL 15 has no freeJsonLexContext; a frontend has no memory context to reset) */
	if (lex->strval)
	{
		pfree(lex->strval->data);
		pfree(lex->strval);
	}
	pfree(lex);
	if (r.failed)
		return false;
	if (r.long_flag >= 0 && (r.long_flag == 1) != (out->kind == RX_LONG_TERM))
	{
		snprintf(detail, RX_DETAIL_MAX, "long_rx_flag is 1 exactly when rx_type_code is 4 (long-term).");
		return false;
	}
	if (r.repeat_flag >= 0 && (r.repeat_flag == 1) != (out->dispenses > 1))
	{
		snprintf(detail, RX_DETAIL_MAX, "rept_flag is 1 exactly when max_rept_cnt is more than 1.");
		return false;
	}
	return rx_check(out, detail);
}
