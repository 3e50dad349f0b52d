/*
 * emr_ref.c
 *		SQL type healthhub.emr_ref: PostgreSQL glue over emr_ref_parse.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/comparison_functions.h"
#include "ident/ident.h"
#include "records/emr_ref_parse.h"

#define TYPE_NAME "emr_ref"

/*
 * Stored as a varlena of packed bytes, fixed part first: kind length,
 * local id length, digest algorithm, the institution's two halves, the
 * service time, the digest, then the kind and the local id.  Every part is
 * normalised, so the bytes are canonical: equality and hashing work on
 * them.  (Read with memcpy: a short header leaves the payload unaligned.)
 */
#define ER_FIXED	(3 + 8 + 8 + 8 + ER_DIGEST_LEN)

#define PG_GETARG_ER_PACKED(n) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(n))

static struct varlena *
er_to_varlena(const er_value *v)
{
	Size		size = VARHDRSZ + ER_FIXED + v->kind_len + v->local_id_len;
	struct varlena *result = palloc(size);
	char	   *p = VARDATA(result);

	SET_VARSIZE(result, size);
	*p++ = (char) v->kind_len;
	*p++ = (char) v->local_id_len;
	*p++ = (char) v->digest_alg;
	memcpy(p, &v->institution.hi, 8);
	memcpy(p + 8, &v->institution.lo, 8);
	memcpy(p + 16, &v->service_time, 8);
	memcpy(p + 24, v->digest, ER_DIGEST_LEN);
	p += 24 + ER_DIGEST_LEN;
	memcpy(p, v->kind, v->kind_len);
	memcpy(p + v->kind_len, v->local_id, v->local_id_len);
	return result;
}

static void
er_from_varlena(const struct varlena *r, er_value *v)
{
	const char *p = VARDATA_ANY(r);

	v->kind_len = (uint8) p[0];
	v->local_id_len = (uint8) p[1];
	v->digest_alg = (uint8) p[2];
	memcpy(&v->institution.hi, p + 3, 8);
	memcpy(&v->institution.lo, p + 11, 8);
	memcpy(&v->service_time, p + 19, 8);
	memcpy(v->digest, p + 27, ER_DIGEST_LEN);
	memcpy(v->kind, p + ER_FIXED, v->kind_len);
	memcpy(v->local_id, p + ER_FIXED + v->kind_len, v->local_id_len);
}

static const char *
er_problem_text(er_status st)
{
	switch (st)
	{
		case ER_OK:
			break;
		case ER_EMPTY:
			return "The value is empty.";
		case ER_BAD_FORMAT:
			return "An EMR document reference is written kind:institution:local_id:time:algorithm:digest, six parts.";
		case ER_BAD_KIND:
			return "The document kind is 1 to 40 lower-case letters, digits and underscores, starting with a letter.";
		case ER_BAD_INSTITUTION:
			return "The institution is its 18-character unified social credit code, every check passed.";
		case ER_BAD_LOCAL_ID:
			return "The local document id is 1 to 64 letters, digits and . _ - / +.";
		case ER_BAD_TIME:
			return "The service time is a UTC time written YYYYMMDDTHHMMSSZ, years 1 to 9999.";
		case ER_BAD_ALGORITHM:
			return "The digest algorithm is sha256 or sm3.";
		case ER_BAD_DIGEST:
			return "The digest is 64 hexadecimal digits (32 bytes).";
	}
	return NULL;
}

#define ER_HINT "For example discharge_summary:121200004013590816:ZY-2026-000123:20261201T083000Z:sha256:9f86d081..."

PG_FUNCTION_INFO_V1(emr_ref_in);
Datum
emr_ref_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	er_value	v;
	er_status	st = er_parse(str, strlen(str), &v);

	if (st != ER_OK)
		hh_input_error(TYPE_NAME, str, er_problem_text(st), ER_HINT);
	PG_RETURN_POINTER(er_to_varlena(&v));
}

PG_FUNCTION_INFO_V1(emr_ref_out);
Datum
emr_ref_out(PG_FUNCTION_ARGS)
{
	er_value	v;
	char	   *out = palloc(ER_TEXT_MAX + 1);

	er_from_varlena(PG_GETARG_ER_PACKED(0), &v);
	er_format(&v, out);
	PG_RETURN_CSTRING(out);
}

/*
 * Binary form: the kind (length-prefixed), the institution's 18
 * characters, the local id (length-prefixed), the service time (int8,
 * seconds since 1970 UTC), the algorithm (int1) and the 32 digest bytes.
 */
PG_FUNCTION_INFO_V1(emr_ref_recv);
Datum
emr_ref_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	er_value	v;
	int			len;
	const char *inst;
	bool		unchecked;
	uscc_error	uerr;
	er_status	st = ER_OK;

	memset(&v, 0, sizeof(v));
	len = pq_getmsgbyte(buf);
	if (len > ER_KIND_MAX)
		st = ER_BAD_KIND;
	else
	{
		pq_copymsgbytes(buf, v.kind, len);
		v.kind_len = (uint8) len;
		inst = pq_getmsgbytes(buf, 18);
		if (uscc_parse(inst, 18, false, &v.institution, &unchecked, &uerr) != USCC_OK || unchecked)
			st = ER_BAD_INSTITUTION;
		len = pq_getmsgbyte(buf);
		if (st == ER_OK && len > ER_LOCAL_ID_MAX)
			st = ER_BAD_LOCAL_ID;
		else if (st == ER_OK)
		{
			pq_copymsgbytes(buf, v.local_id, len);
			v.local_id_len = (uint8) len;
			v.service_time = pq_getmsgint64(buf);
			v.digest_alg = (uint8) pq_getmsgbyte(buf);
			pq_copymsgbytes(buf, (char *) v.digest, ER_DIGEST_LEN);
			st = er_check(&v);
		}
	}
	if (st != ER_OK)
		hh_binary_error(TYPE_NAME, er_problem_text(st));
	PG_RETURN_POINTER(er_to_varlena(&v));
}

PG_FUNCTION_INFO_V1(emr_ref_send);
Datum
emr_ref_send(PG_FUNCTION_ARGS)
{
	er_value	v;
	char		inst[19];
	StringInfoData buf;

	er_from_varlena(PG_GETARG_ER_PACKED(0), &v);
	uscc_chars(v.institution, inst);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, v.kind_len);
	pq_sendbytes(&buf, v.kind, v.kind_len);
	pq_sendbytes(&buf, inst, 18);
	pq_sendbyte(&buf, v.local_id_len);
	pq_sendbytes(&buf, v.local_id, v.local_id_len);
	pq_sendint64(&buf, v.service_time);
	pq_sendbyte(&buf, v.digest_alg);
	pq_sendbytes(&buf, (const char *) v.digest, ER_DIGEST_LEN);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static int
er_cmp_datums(Datum x, Datum y)
{
	er_value	a,
				b;

	er_from_varlena(PG_DETOAST_DATUM_PACKED(x), &a);
	er_from_varlena(PG_DETOAST_DATUM_PACKED(y), &b);
	return er_compare(&a, &b);
}

HH_COMPARISON_FUNCTIONS(emr_ref, er_cmp_datums)

HH_PAYLOAD_HASH_FUNCTIONS(emr_ref)

/* Seconds since 1970 and PostgreSQL's microseconds since 2000, both UTC. */
#define UNIX_TO_PG_SECS ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

/*
 * healthhub.emr_ref(kind, institution, local_id, service_time, digest,
 * digest_algorithm): the service time is kept to the whole second (earlier
 * fractions are dropped, as date_trunc('second') does).
 */
PG_FUNCTION_INFO_V1(emr_ref_make);
Datum
emr_ref_make(PG_FUNCTION_ARGS)
{
	text	   *kind = PG_GETARG_TEXT_PP(0);
	text	   *institution = PG_GETARG_TEXT_PP(1);
	text	   *local_id = PG_GETARG_TEXT_PP(2);
	TimestampTz at = PG_GETARG_TIMESTAMPTZ(3);
	bytea	   *digest = PG_GETARG_BYTEA_PP(4);
	text	   *alg = PG_GETARG_TEXT_PP(5);
	er_value	v;
	bool		unchecked;
	uscc_error	uerr;
	er_status	st = ER_OK;
	int64		secs;

	memset(&v, 0, sizeof(v));
	if (!er_kind_ok(VARDATA_ANY(kind), VARSIZE_ANY_EXHDR(kind)))
		st = ER_BAD_KIND;
	else if (uscc_parse(VARDATA_ANY(institution), VARSIZE_ANY_EXHDR(institution), false, &v.institution,
						&unchecked, &uerr) != USCC_OK || unchecked)
		st = ER_BAD_INSTITUTION;
	else if (!er_local_id_ok(VARDATA_ANY(local_id), VARSIZE_ANY_EXHDR(local_id)))
		st = ER_BAD_LOCAL_ID;
	else if (TIMESTAMP_NOT_FINITE(at))
		st = ER_BAD_TIME;
	else if ((v.digest_alg = (uint8) er_alg_by_name(VARDATA_ANY(alg), VARSIZE_ANY_EXHDR(alg))) == 0)
		st = ER_BAD_ALGORITHM;
	else if (VARSIZE_ANY_EXHDR(digest) != ER_DIGEST_LEN)
		st = ER_BAD_DIGEST;
	if (st == ER_OK)
	{
		/* (floor division: a time before 2000 has a negative count) */
		secs = at / USECS_PER_SEC - (at % USECS_PER_SEC < 0);
		v.service_time = secs + UNIX_TO_PG_SECS;
		v.kind_len = (uint8) VARSIZE_ANY_EXHDR(kind);
		memcpy(v.kind, VARDATA_ANY(kind), v.kind_len);
		v.local_id_len = (uint8) VARSIZE_ANY_EXHDR(local_id);
		memcpy(v.local_id, VARDATA_ANY(local_id), v.local_id_len);
		memcpy(v.digest, VARDATA_ANY(digest), ER_DIGEST_LEN);
		st = er_check(&v);
	}
	if (st != ER_OK)
		hh_input_error(TYPE_NAME,
					   psprintf("%s:%s:%s", text_to_cstring(kind), text_to_cstring(institution),
								text_to_cstring(local_id)),
					   er_problem_text(st), NULL);
	PG_RETURN_POINTER(er_to_varlena(&v));
}

PG_FUNCTION_INFO_V1(emr_ref_kind);
Datum
emr_ref_kind(PG_FUNCTION_ARGS)
{
	er_value	v;

	er_from_varlena(PG_GETARG_ER_PACKED(0), &v);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(v.kind, v.kind_len));
}

PG_FUNCTION_INFO_V1(emr_ref_institution);
Datum
emr_ref_institution(PG_FUNCTION_ARGS)
{
	er_value	v;
	char		inst[19];

	er_from_varlena(PG_GETARG_ER_PACKED(0), &v);
	uscc_chars(v.institution, inst);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(inst, 18));
}

PG_FUNCTION_INFO_V1(emr_ref_local_id);
Datum
emr_ref_local_id(PG_FUNCTION_ARGS)
{
	er_value	v;

	er_from_varlena(PG_GETARG_ER_PACKED(0), &v);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(v.local_id, v.local_id_len));
}

PG_FUNCTION_INFO_V1(emr_ref_service_time);
Datum
emr_ref_service_time(PG_FUNCTION_ARGS)
{
	er_value	v;

	er_from_varlena(PG_GETARG_ER_PACKED(0), &v);
	PG_RETURN_TIMESTAMPTZ((v.service_time - UNIX_TO_PG_SECS) * USECS_PER_SEC);
}

PG_FUNCTION_INFO_V1(emr_ref_digest);
Datum
emr_ref_digest(PG_FUNCTION_ARGS)
{
	er_value	v;
	bytea	   *result = palloc(VARHDRSZ + ER_DIGEST_LEN);

	er_from_varlena(PG_GETARG_ER_PACKED(0), &v);
	SET_VARSIZE(result, VARHDRSZ + ER_DIGEST_LEN);
	memcpy(VARDATA(result), v.digest, ER_DIGEST_LEN);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(emr_ref_digest_algorithm);
Datum
emr_ref_digest_algorithm(PG_FUNCTION_ARGS)
{
	er_value	v;

	er_from_varlena(PG_GETARG_ER_PACKED(0), &v);
	PG_RETURN_TEXT_P(cstring_to_text(er_alg_name(v.digest_alg)));
}

/*
 * healthhub.emr_ref_problem(text) RETURNS text: the DETAIL input would
 * raise, or NULL for a valid reference; never raises (loads report bad rows).
 */
PG_FUNCTION_INFO_V1(emr_ref_problem);
Datum
emr_ref_problem(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	er_value	v;
	er_status	st = er_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &v);

	if (st == ER_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(er_problem_text(st)));
}
