/*
 * verify.c
 *		healthhub.verify_health_code(code text, at timestamptz): decode, find
 *		the signer among the trusted keys of the code's kid (kids may
 *		collide: every key of the kid is tried), check the signature, the
 *		key's state and usage, the code's times, revocations and, for
 *		dynamic kinds, replay.  Never raises on a bad code: the answer is
 *		valid = false and one reason of a fixed set (docs/health-codes.md).
 *
 * The table work (keys, revocations, the last accepted dynamic code) is
 * SQL in verify.sql, called through SPI with plans kept per backend.  Keys
 * and revocations are read on the latest snapshot, not the transaction's:
 * a REPEATABLE READ transaction whose snapshot predates a revocation or a
 * retirement must not accept the code once it committed (as
 * assert_may_practise reads practice rights; specs/healthcode_revocation.spec).
 */
#include "postgres.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "healthcode/code_keys.h"
#include "healthcode/code_pg.h"
#include "healthcode/code_text.h"
#include "healthcode/cose_crypto.h"
#include "healthcode/health_code.h"

/* The answer, in the order of verify_health_code's columns. */
enum
{
	V_VALID, V_REASON, V_ISSUER, V_KID, V_ALGORITHM, V_SUBJECT, V_KIND, V_STATUS,
	V_ISSUED, V_EXPIRES, V_CLAIMS, V_NCOLS
};

typedef struct Verdict
{
	Datum		values[V_NCOLS];
	bool		nulls[V_NCOLS];
	bool		dynamic;		/* the code's kind is refreshed: check replay */
	const char *revocation;		/* the signer's issuer revoked it, or NULL */
} Verdict;

static void
set(Verdict *v, int col, Datum value)
{
	v->values[col] = value;
	v->nulls[col] = false;
}

static void
set_text(Verdict *v, int col, const char *s)
{
	if (s)
		set(v, col, CStringGetTextDatum(s));
}

/* The plans of verify.sql's queries, prepared once per backend. */
static SPIPlanPtr keys_plan;
static SPIPlanPtr replay_plan;

static SPIPlanPtr
keep(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	return plan;
}

static void
prepare_plans(void)
{
	Oid			key_args[6] = {BYTEAOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, BYTEAOID, TEXTOID};
	Oid			replay_args[5] = {TEXTOID, TEXTOID, TEXTOID, INT8OID, TIMESTAMPTZOID};

	if (keys_plan == NULL)
		keys_plan = keep("SELECT * FROM healthhub.code_keys_of($1, $2, $3, $4, $5, $6)", 6, key_args);
	if (replay_plan == NULL)
		replay_plan = keep("SELECT healthhub.code_replayed($1, $2, $3, $4, $5)", 5, replay_args);
}

/*
 * Public keys parsed once per backend: reading a P-256 or SM2 key from its
 * DER checks the point, which costs a good part of a verification.  A key
 * is its DER bytes, so an entry never goes stale; the cache is emptied
 * when full.
 */
#define KEY_CACHE_SIZE 64

typedef struct CachedKey
{
	bytea	   *der;
	EVP_PKEY   *key;
} CachedKey;

static CachedKey key_cache[KEY_CACHE_SIZE];
static int	key_cache_used;

static EVP_PKEY *
public_key(bytea *der)
{
	size_t		len = VARSIZE_ANY_EXHDR(der);
	EVP_PKEY   *key;

	for (int i = 0; i < key_cache_used; i++)
		if (VARSIZE_ANY_EXHDR(key_cache[i].der) == len &&
			memcmp(VARDATA_ANY(key_cache[i].der), VARDATA_ANY(der), len) == 0)
			return key_cache[i].key;
	if (hc_key_from_public_der((const uint8_t *) VARDATA_ANY(der), len, &key) != HC_CRYPTO_OK)
		return NULL;
	if (key_cache_used == KEY_CACHE_SIZE)
	{
		for (int i = 0; i < key_cache_used; i++)
		{
			EVP_PKEY_free(key_cache[i].key);
			pfree(key_cache[i].der);
		}
		key_cache_used = 0;
	}
	key_cache[key_cache_used].der = hh_bytea_copy_in(TopMemoryContext, der);
	key_cache[key_cache_used].key = key;
	key_cache_used++;
	return key;
}

/* The EKU OID of an EU DCC's certificate type (v, t or r), or NULL. */
static const char *
dcc_type_oid(char type)
{
	switch (type)
	{
		case 'v':
			return HC_EKU_DCC_VACCINATION;
		case 't':
			return HC_EKU_DCC_TEST;
		case 'r':
			return HC_EKU_DCC_RECOVERY;
	}
	return NULL;
}

/*
 * Whether a key's usage allows the code: for a certificate, its extended
 * key usage names the DCC types it signs (old and new OIDs) or none of
 * them (any type); for a hub key, the kinds it signs.  NULL: anything.
 */
static bool
usage_allows(Datum usage, bool usage_null, const hc_decoded *d)
{
	ArrayType  *arr;
	Datum	   *items;
	bool	   *item_nulls;
	int			n;
	bool		names_dcc_type = false;
	const char *want;

	if (usage_null)
		return true;
	arr = DatumGetArrayTypeP(usage);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &items, &item_nulls, &n);
	want = d->claims.has_hcert ? dcc_type_oid(d->claims.dcc_type) : d->claims.kind;
	for (int i = 0; i < n; i++)
	{
		char	   *u;

		if (item_nulls[i])
			continue;
		u = TextDatumGetCString(items[i]);

		if (d->claims.has_hcert)
		{
			/* (the old OIDs have an extra ".0" after 1.3.6.1.4.1) */
			bool		is_dcc = strncmp(u, "1.3.6.1.4.1.1847.2021.1.", 24) == 0 ||
				strncmp(u, "1.3.6.1.4.1.0.1847.2021.1.", 26) == 0;

			names_dcc_type |= is_dcc;
			/* (the same type: the same last arc) */
			if (is_dcc && want && strcmp(strrchr(u, '.'), strrchr(want, '.')) == 0)
				return true;
		}
		else if (want && strcmp(u, want) == 0)
			return true;
	}
	return d->claims.has_hcert && !names_dcc_type;
}

/* A code's revocation hash: the first 16 bytes of SHA-256 of its signature. */
static void
signature_hash(const hc_decoded *d, uint8_t out[16])
{
	uint8_t		full[SHA256_DIGEST_LENGTH];
	/*
	 * For ECDSA (ES256, SM2) over r only, as EU DCC revocation lists hash
	 * it: (r, s) and (r, n - s) both verify, so a hash over s could be
	 * dodged by whoever holds the code.
	 */
	bool		ecdsa = d->cose.alg == HC_ALG_ES256 || d->cose.alg == HC_ALG_SM2_SM3;
	size_t		len = ecdsa ? d->cose.signature_len / 2 : d->cose.signature_len;

	SHA256(d->cose.signature, len, full);
	memcpy(out, full, 16);
}

/* Try every trusted key of the kid; the reason, or NULL when one verifies. */
static const char *
check_signature(const hc_decoded *d, TimestampTz at, Verdict *v)
{
	uint8_t    *tbs = NULL;
	size_t		tbs_len;
	bytea	   *tbs_bytes;
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	uint8_t		hash[16];
	const char *reason = "unknown key";
	TimestampTz signed_at = d->claims.has_iat ? hh_from_unix(d->claims.iat) : at;

	if (d->cose.kid == NULL || !d->cose.has_alg)
		return "unknown key";
	if (hc_cose_tbs(&d->cose, &tbs, &tbs_len) != HC_COSE_OK)
		return "bad structure";
	/* (held in palloc'd memory from here: nothing leaks if a query raises) */
	tbs_bytes = hh_bytea_take(tbs, tbs_len);
	tbs = (uint8_t *) VARDATA(tbs_bytes);
	args[0] = PointerGetDatum(hh_bytea_copy(d->cose.kid, d->cose.kid_len));
	args[1] = TimestampTzGetDatum(signed_at);
	args[2] = TimestampTzGetDatum(at);
	args[3] = d->claims.kind ? CStringGetTextDatum(d->claims.kind) : (Datum) 0;
	nulls[3] = d->claims.kind ? ' ' : 'n';
	signature_hash(d, hash);
	args[4] = PointerGetDatum(hh_bytea_copy(hash, sizeof(hash)));
	args[5] = d->claims.sub ? CStringGetTextDatum(d->claims.sub) : (Datum) 0;
	nulls[5] = d->claims.sub ? ' ' : 'n';
	if (SPI_execute_snapshot(keys_plan, args, nulls, GetLatestSnapshot(), InvalidSnapshot, true, false, 0) !=
		SPI_OK_SELECT)
		elog(ERROR, "could not read the trusted keys");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		EVP_PKEY   *key = public_key(DatumGetByteaPP(SPI_getbinval(row, desc, 3, &isnull)));
		hc_crypto_status st;
		Datum		usage;
		bool		usage_null;

		bool		from_certificate = strcmp(SPI_getvalue(row, desc, 9), "certificate") == 0;

		if (key == NULL || from_certificate != d->claims.has_hcert)
			continue;
		st = hc_verify(d->cose.alg, key, tbs, tbs_len, d->cose.signature, d->cose.signature_len);
		if (st != HC_CRYPTO_OK)
		{
			reason = "bad signature";
			continue;
		}
		/*
		 * A healthhub code names its hub (iss): a key of another issuer that
		 * happens to verify it is not its signer.
		 */
		if (!d->claims.has_hcert && d->claims.iss &&
			strcmp(d->claims.iss, SPI_getvalue(row, desc, 1)) != 0)
		{
			reason = "unknown key";
			continue;
		}
		/* the signer: its state decides */
		set_text(v, V_ISSUER, SPI_getvalue(row, desc, 1));
		v->dynamic = DatumGetBool(SPI_getbinval(row, desc, 7, &isnull));
		v->revocation = SPI_getvalue(row, desc, 8);
		usage = SPI_getbinval(row, desc, 6, &usage_null);
		if (DatumGetBool(SPI_getbinval(row, desc, 4, &isnull)))
			reason = "retired key";
		else if (!DatumGetBool(SPI_getbinval(row, desc, 5, &isnull)))
			reason = "key not valid at that time";
		else if (!usage_allows(usage, usage_null, d))
			reason = "key usage does not allow this kind";
		else
			reason = NULL;
		break;
	}
	return reason;
}


/* Revocations and replay: the reason, or NULL. */
static const char *
check_state(const hc_decoded *d, TimestampTz at, const char *issuer, const Verdict *v)
{
	Datum		args[5];
	bool		isnull;

	if (v->revocation)
		return v->revocation;
	if (!v->dynamic || d->claims.has_hcert || d->claims.sub == NULL || issuer == NULL)
		return NULL;
	/* dynamic kinds: older than the last code accepted for the subject */
	args[0] = CStringGetTextDatum(issuer);
	args[1] = CStringGetTextDatum(d->claims.sub);
	args[2] = CStringGetTextDatum(d->claims.kind);
	args[3] = Int64GetDatum(d->claims.has_seq ? (int64) d->claims.seq : 0);
	args[4] = TimestampTzGetDatum(d->claims.has_iat ? hh_from_unix(d->claims.iat) : at);
	if (SPI_execute_plan(replay_plan, args, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not check the code against the last accepted");
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) ?
		"replayed" : NULL;
}

/* Everything after decoding; the reason, or NULL for a valid code. */
static const char *
judge(const hc_decoded *d, TimestampTz at, Verdict *v)
{
	const char *reason = check_signature(d, at, v);
	const char *issuer = v->nulls[V_ISSUER] ? NULL : TextDatumGetCString(v->values[V_ISSUER]);

	if (reason)
		return reason;
	if (d->claims.has_iat && hh_from_unix(d->claims.iat) > at)
		return "not yet valid";
	/* (the DCC rule: refused after its expiry; valid in its last second) */
	if (d->claims.has_exp && hh_from_unix(d->claims.exp) < at)
		return "expired";
	return check_state(d, at, issuer, v);
}

static void
describe(const hc_decoded *d, Verdict *v)
{
	const hc_claims *c = &d->claims;
	const char *alg = d->cose.has_alg ? hc_alg_name(d->cose.alg) : NULL;

	if (d->cose.kid)
		set(v, V_KID, PointerGetDatum(hh_bytea_copy(d->cose.kid, d->cose.kid_len)));
	set_text(v, V_ALGORITHM, alg);
	if (d->reason != HC_OK)
		return;
	if (v->nulls[V_ISSUER])
		set_text(v, V_ISSUER, c->iss);
	set_text(v, V_SUBJECT, c->sub);
	set_text(v, V_KIND, c->has_hcert ? "eu_dcc" : c->kind);
	set_text(v, V_STATUS, c->status);
	if (c->has_iat)
		set(v, V_ISSUED, TimestampTzGetDatum(hh_from_unix(c->iat)));
	if (c->has_exp)
		set(v, V_EXPIRES, TimestampTzGetDatum(hh_from_unix(c->exp)));
	set(v, V_CLAIMS, DirectFunctionCall1(jsonb_in, CStringGetDatum(pnstrdup(d->json, d->json_len))));
}

PG_FUNCTION_INFO_V1(hh_verify_health_code);
Datum
hh_verify_health_code(PG_FUNCTION_ARGS)
{
	text	   *code = PG_GETARG_TEXT_PP(0);
	TimestampTz at = PG_GETARG_TIMESTAMPTZ(1);
	hc_decoded	d;
	Verdict		v;
	const char *reason;
	MemoryContext outer = CurrentMemoryContext;

	for (int i = 0; i < V_NCOLS; i++)
		v.nulls[i] = true;
	v.dynamic = false;
	v.revocation = NULL;
	hc_decode(VARDATA_ANY(code), VARSIZE_ANY_EXHDR(code), &d);
	PG_TRY();
	{
		reason = hh_code_reason_name(d.reason);
		if (d.reason == HC_OK)
		{
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			prepare_plans();
			reason = judge(&d, at, &v);
			/* (copied out of SPI's memory before it goes) */
			reason = reason ? MemoryContextStrdup(outer, reason) : NULL;
			if (!v.nulls[V_ISSUER])
				v.values[V_ISSUER] = SPI_datumTransfer(v.values[V_ISSUER], false, -1);
			SPI_finish();
		}
		describe(&d, &v);
		set(&v, V_VALID, BoolGetDatum(reason == NULL));
		set_text(&v, V_REASON, reason);
	}
	PG_FINALLY();
	{
		hc_decoded_free(&d);
	}
	PG_END_TRY();
	PG_RETURN_DATUM(hh_result_row(fcinfo, v.values, v.nulls));
}

/* code_hash(health_code): the revocation hash of a stored code. */
PG_FUNCTION_INFO_V1(hh_code_hash);
Datum
hh_code_hash(PG_FUNCTION_ARGS)
{
	bytea	   *code = PG_GETARG_BYTEA_PP(0);
	hc_decoded	d;
	uint8_t		hash[16];
	bool		ok;

	hc_decode_cose((const uint8_t *) VARDATA_ANY(code), VARSIZE_ANY_EXHDR(code), &d);
	ok = d.reason == HC_OK;
	if (ok)
		signature_hash(&d, hash);
	hc_decoded_free(&d);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored health code cannot be decoded")));
	PG_RETURN_BYTEA_P(hh_bytea_copy(hash, sizeof(hash)));
}
