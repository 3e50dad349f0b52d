/*
 * audit_hash.c: the PostgreSQL side of the tamper-evident audit trail.
 *
 * An entry's hash is the RFC 6962 leaf hash of a canonical, length-prefixed
 * serialisation of all its fields; a block is the Merkle root over its
 * entries' hashes, chained to the previous block.  The hashing itself is in
 * src/core/digest.c (pure C over OpenSSL); this file serialises rows, keeps
 * per-backend digest contexts, signs checkpoints and walks the whole trail
 * for healthhub.verify_audit().
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/digest.h"

/* Canonical entry serialisation, format version 1. */
#define AUDIT_NFIELDS	12
static const unsigned char entry_magic[5] = {0x00, 'H', 'H', 'A', '1'};	/* leaf prefix + tag */
static const unsigned char block_magic[5] = {0x02, 'H', 'H', 'B', '1'};

/* column kinds, in table order */
typedef enum
{
	F_INT8, F_TSTZ, F_NAME, F_TEXT
} field_kind;
static const field_kind entry_fields[AUDIT_NFIELDS] = {
	F_INT8,						/* entry_id */
	F_TSTZ,						/* at */
	F_NAME,						/* role_name */
	F_NAME,						/* session_role */
	F_INT8,						/* institution_key */
	F_INT8,						/* practitioner_key */
	F_TEXT,						/* action */
	F_TEXT,						/* object_kind */
	F_TEXT,						/* object_id */
	F_INT8,						/* person_key */
	F_TEXT,						/* purpose */
	F_TEXT						/* outcome */
};

#define ENTRY_COLUMNS "entry_id, at, role_name, session_role, institution_key, practitioner_key, " \
	"action, object_kind, object_id, person_key, purpose, outcome"

static hh_digest *digests[2];

static hh_digest *
get_digest(hh_digest_alg alg)
{
	if (digests[alg] == NULL)
	{
		digests[alg] = hh_digest_new(alg);
		if (digests[alg] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not set up the %s digest", hh_digest_name(alg)),
					 errdetail("OpenSSL's libcrypto does not provide it.")));
	}
	return digests[alg];
}

static void
crypto_failed(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("OpenSSL failed to compute %s", what)));
}

static hh_digest_alg
alg_from_text(text *t)
{
	hh_digest_alg alg;

	if (hh_digest_from_name(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &alg) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown audit hash algorithm \"%s\"", text_to_cstring(t)),
				 errhint("The algorithms are \"sha256\" and \"sm3\".")));
	return alg;
}

static inline void
put_be64(unsigned char *p, uint64 v)
{
	int			i;

	for (i = 7; i >= 0; i--)
	{
		p[i] = (unsigned char) (v & 0xff);
		v >>= 8;
	}
}

/* 0x00 for NULL, else 0x01, a 4-byte big-endian length and the bytes. */
static void
add_field(hh_digest *d, const void *data, size_t len, bool isnull)
{
	unsigned char hdr[5];

	if (isnull)
	{
		hdr[0] = 0;
		if (hh_digest_update(d, hdr, 1) != 0)
			crypto_failed("an audit hash");
		return;
	}
	hdr[0] = 1;
	hdr[1] = (unsigned char) (len >> 24);
	hdr[2] = (unsigned char) (len >> 16);
	hdr[3] = (unsigned char) (len >> 8);
	hdr[4] = (unsigned char) len;
	if (hh_digest_update(d, hdr, 5) != 0 || hh_digest_update(d, data, len) != 0)
		crypto_failed("an audit hash");
}

static void
add_int8(hh_digest *d, int64 v, bool isnull)
{
	unsigned char b[8];

	put_be64(b, (uint64) v);
	add_field(d, b, 8, isnull);
}

/*
 * An entry is serialised into one buffer and hashed with a single update:
 * the same bytes as add_field() would feed, far fewer calls into libcrypto.
 */
static unsigned char *ser_buf;
static size_t ser_cap;

static inline unsigned char *
ser_reserve(size_t *used, size_t more)
{
	if (*used + more > ser_cap)
	{
		size_t		cap = Max(ser_cap * 2, *used + more + 256);

		ser_buf = ser_buf ? repalloc(ser_buf, cap) : MemoryContextAlloc(TopMemoryContext, cap);
		ser_cap = cap;
	}
	return ser_buf + *used;
}

static inline void
ser_field(size_t *used, const void *data, size_t len, bool isnull)
{
	unsigned char *p = ser_reserve(used, 5 + len);

	if (isnull)
	{
		p[0] = 0;
		*used += 1;
		return;
	}
	p[0] = 1;
	p[1] = (unsigned char) (len >> 24);
	p[2] = (unsigned char) (len >> 16);
	p[3] = (unsigned char) (len >> 8);
	p[4] = (unsigned char) len;
	if (len > 0)
		memcpy(p + 5, data, len);
	*used += 5 + len;
}

/* The leaf hash of one entry given its twelve columns in table order. */
static void
entry_hash(hh_digest *d, Datum *values, bool *nulls, unsigned char out[HH_DIGEST_LEN])
{
	size_t		used = 0;
	int			i;

	memcpy(ser_reserve(&used, sizeof(entry_magic)), entry_magic, sizeof(entry_magic));
	used += sizeof(entry_magic);
	for (i = 0; i < AUDIT_NFIELDS; i++)
	{
		if (nulls[i])
		{
			ser_field(&used, NULL, 0, true);
			continue;
		}
		switch (entry_fields[i])
		{
			case F_INT8:
			case F_TSTZ:
				{
					unsigned char b[8];

					put_be64(b, (uint64) DatumGetInt64(values[i]));
					ser_field(&used, b, 8, false);
					break;
				}
			case F_NAME:
				{
					const char *s = NameStr(*DatumGetName(values[i]));

					ser_field(&used, s, strnlen(s, NAMEDATALEN), false);
					break;
				}
			case F_TEXT:
				{
					struct varlena *v = (struct varlena *) DatumGetPointer(values[i]);
					struct varlena *dv = pg_detoast_datum_packed(v);

					ser_field(&used, VARDATA_ANY(dv), VARSIZE_ANY_EXHDR(dv), false);
					if (dv != v)
						pfree(dv);
					break;
				}
		}
	}
	if (hh_digest_init(d) != 0 || hh_digest_update(d, ser_buf, used) != 0 ||
		hh_digest_final(d, out) != 0)
		crypto_failed("an audit entry hash");
}

static bytea *
make_bytea(const unsigned char *p, size_t len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), p, len);
	return b;
}

/*
 * audit_entry_hash(algorithm, entry_id, at, role_name, session_role,
 *                  institution_key, practitioner_key, action, object_kind,
 *                  object_id, person_key, purpose, outcome) -> bytea
 */
PG_FUNCTION_INFO_V1(hh_audit_entry_hash);
Datum
hh_audit_entry_hash(PG_FUNCTION_ARGS)
{
	Datum		values[AUDIT_NFIELDS];
	bool		nulls[AUDIT_NFIELDS];
	unsigned char h[HH_DIGEST_LEN];
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("audit hash algorithm must not be null")));
	for (i = 0; i < AUDIT_NFIELDS; i++)
	{
		nulls[i] = PG_ARGISNULL(i + 1);
		values[i] = nulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i + 1);
	}
	entry_hash(get_digest(alg_from_text(PG_GETARG_TEXT_PP(0))), values, nulls, h);
	PG_RETURN_BYTEA_P(make_bytea(h, HH_DIGEST_LEN));
}

static void
check_hashes(bytea *hashes)
{
	if (VARSIZE_ANY_EXHDR(hashes) % HH_DIGEST_LEN != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("entry hashes must be a multiple of %d bytes long", HH_DIGEST_LEN),
				 errdetail("The value is %zu bytes long.", (size_t) VARSIZE_ANY_EXHDR(hashes))));
}

static void
merkle_root(hh_digest *d, const unsigned char *leaves, size_t n, unsigned char out[HH_DIGEST_LEN])
{
	unsigned char *scratch = palloc(Max(n, 1) * HH_DIGEST_LEN);

	if (hh_merkle_root(d, leaves, n, scratch, out) != 0)
		crypto_failed("a Merkle root");
	pfree(scratch);
}

/* audit_merkle_root(algorithm text, entry_hashes bytea) -> bytea */
PG_FUNCTION_INFO_V1(hh_audit_merkle_root);
Datum
hh_audit_merkle_root(PG_FUNCTION_ARGS)
{
	hh_digest_alg alg = alg_from_text(PG_GETARG_TEXT_PP(0));
	bytea	   *hashes = PG_GETARG_BYTEA_PP(1);
	unsigned char root[HH_DIGEST_LEN];

	check_hashes(hashes);
	merkle_root(get_digest(alg), (unsigned char *) VARDATA_ANY(hashes),
				VARSIZE_ANY_EXHDR(hashes) / HH_DIGEST_LEN, root);
	PG_RETURN_BYTEA_P(make_bytea(root, HH_DIGEST_LEN));
}

/* H(0x02 'HHB1' || prev_hash || block_no || count || root || sealed_at || algorithm) */
static void
block_hash(hh_digest_alg alg, const unsigned char *prev, size_t prevlen, int64 block_no,
		   int64 count, const unsigned char *root, size_t rootlen, TimestampTz sealed_at,
		   unsigned char out[HH_DIGEST_LEN])
{
	hh_digest  *d = get_digest(alg);
	const char *name = hh_digest_name(alg);

	if (hh_digest_init(d) != 0 || hh_digest_update(d, block_magic, sizeof(block_magic)) != 0)
		crypto_failed("a block hash");
	add_field(d, prev, prevlen, false);
	add_int8(d, block_no, false);
	add_int8(d, count, false);
	add_field(d, root, rootlen, false);
	add_int8(d, sealed_at, false);
	add_field(d, name, strlen(name), false);
	if (hh_digest_final(d, out) != 0)
		crypto_failed("a block hash");
}

/*
 * audit_block_hash(algorithm text, prev_hash bytea, block_no bigint,
 *                  entry_count integer, merkle_root bytea, sealed_at timestamptz) -> bytea
 */
PG_FUNCTION_INFO_V1(hh_audit_block_hash);
Datum
hh_audit_block_hash(PG_FUNCTION_ARGS)
{
	hh_digest_alg alg = alg_from_text(PG_GETARG_TEXT_PP(0));
	bytea	   *prev = PG_GETARG_BYTEA_PP(1);
	bytea	   *root = PG_GETARG_BYTEA_PP(4);
	unsigned char h[HH_DIGEST_LEN];

	block_hash(alg, (unsigned char *) VARDATA_ANY(prev), VARSIZE_ANY_EXHDR(prev),
			   PG_GETARG_INT64(2), PG_GETARG_INT32(3),
			   (unsigned char *) VARDATA_ANY(root), VARSIZE_ANY_EXHDR(root),
			   PG_GETARG_TIMESTAMPTZ(5), h);
	PG_RETURN_BYTEA_P(make_bytea(h, HH_DIGEST_LEN));
}

/* audit_hmac(key bytea, payload text) -> bytea: HMAC-SHA256 */
PG_FUNCTION_INFO_V1(hh_audit_hmac);
Datum
hh_audit_hmac(PG_FUNCTION_ARGS)
{
	bytea	   *key = PG_GETARG_BYTEA_PP(0);
	text	   *payload = PG_GETARG_TEXT_PP(1);
	unsigned char mac[HH_HMAC_LEN];

	if (VARSIZE_ANY_EXHDR(key) < 16)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("audit signing key is too short"),
				 errdetail("The key has %zu bytes; at least 16 are required.",
						   (size_t) VARSIZE_ANY_EXHDR(key))));
	if (hh_hmac_sha256(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key),
					   VARDATA_ANY(payload), VARSIZE_ANY_EXHDR(payload), mac) != 0)
		crypto_failed("an HMAC");
	PG_RETURN_BYTEA_P(make_bytea(mac, HH_HMAC_LEN));
}

/* audit_equal(a bytea, b bytea) -> boolean, in constant time for equal lengths */
PG_FUNCTION_INFO_V1(hh_audit_equal);
Datum
hh_audit_equal(PG_FUNCTION_ARGS)
{
	bytea	   *a = PG_GETARG_BYTEA_PP(0);
	bytea	   *b = PG_GETARG_BYTEA_PP(1);

	if (VARSIZE_ANY_EXHDR(a) != VARSIZE_ANY_EXHDR(b))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(hh_equal_ct(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)));
}

/* audit_random_key() -> bytea: 32 random bytes from OpenSSL */
PG_FUNCTION_INFO_V1(hh_audit_random_key);
Datum
hh_audit_random_key(PG_FUNCTION_ARGS)
{
	unsigned char k[32];

	if (hh_random_bytes(k, sizeof(k)) != 0)
		crypto_failed("random bytes");
	PG_RETURN_BYTEA_P(make_bytea(k, sizeof(k)));
}

/* ---------------------------------------------------------------------
 * Verification of the whole trail.
 * ---------------------------------------------------------------------
 */

typedef struct
{
	int64		from;			/* inclusive */
	int64		to;				/* exclusive */
	bool		proven;			/* the archiving is itself on the trail */
	TimestampTz sealed_by;		/* its entries must have been sealed by then */
} id_range;

typedef struct
{
	Tuplestorestate *ts;
	TupleDesc	desc;
	int			nrows;
} verify_out;

static void
report(verify_out *out, const char *problem, int64 block_no, int64 entry_id, const char *detail)
{
	Datum		v[4];
	bool		n[4] = {false, false, false, false};

	v[0] = CStringGetTextDatum(problem);
	v[1] = Int64GetDatum(block_no);
	n[1] = block_no < 0;
	v[2] = Int64GetDatum(entry_id);
	n[2] = entry_id < 0;
	v[3] = CStringGetTextDatum(detail);
	tuplestore_putvalues(out->ts, out->desc, v, n);
	out->nrows++;
}

/* The archived range holding id, or NULL. */
static const id_range *
archived(const id_range *ranges, int nranges, int64 id)
{
	int			i;

	for (i = 0; i < nranges; i++)
		if (id >= ranges[i].from && id < ranges[i].to)
			return &ranges[i];
	return NULL;
}

static char *
hex(const unsigned char *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char	   *s = palloc(len * 2 + 1);
	size_t		i;

	for (i = 0; i < len; i++)
	{
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * len] = '\0';
	return s;
}

static int64
spi_int8(const char *sql)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute(sql, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "audit verification query failed: %s", sql);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/* consecutive listed ids further apart than this are fetched by separate range scans */
#define RUN_GAP 256

/*
 * The entry scan hands its rows straight to this receiver (no copies): each
 * listed row is hashed and compared where it stands.
 */
typedef struct
{
	DestReceiver pub;
	hh_digest  *d;
	int64		lo;				/* first id of the run */
	size_t		span;			/* ids lo .. lo + span - 1 */
	int		   *pos;			/* id - lo -> index in the block's list, or -1 */
	const unsigned char *hashes;	/* the block's entry hashes */
	char	   *state;			/* per listed entry: 0 unseen, 1 ok, 2 altered */
	unsigned char (*seen_hash)[HH_DIGEST_LEN];	/* hash of an altered row */
} entry_receiver;

static bool
entry_receive(TupleTableSlot *slot, DestReceiver *self)
{
	entry_receiver *er = (entry_receiver *) self;
	int64		rid;
	int			i;
	unsigned char h[HH_DIGEST_LEN];

	slot_getallattrs(slot);
	if (slot->tts_isnull[0])
		return true;
	rid = DatumGetInt64(slot->tts_values[0]);
	if (rid < er->lo || (uint64) (rid - er->lo) >= er->span)
		return true;
	i = er->pos[rid - er->lo];
	if (i < 0)
		return true;			/* another block's entry, or one no block lists */
	entry_hash(er->d, slot->tts_values, slot->tts_isnull, h);
	if (memcmp(h, er->hashes + (size_t) i * HH_DIGEST_LEN, HH_DIGEST_LEN) == 0)
		er->state[i] = 1;
	else
	{
		er->state[i] = 2;
		memcpy(er->seen_hash[i], h, HH_DIGEST_LEN);
	}
	return true;
}

static void
entry_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
entry_noop(DestReceiver *self)
{
}

/*
 * Check one block's entries against the rows.  Returns false after reporting
 * the first entry (in id order) removed or altered.  *matched counts rows
 * found and verified.
 */
static bool
verify_block_entries(verify_out *out, SPIPlanPtr plan, hh_digest *d, int64 block_no,
					 TimestampTz sealed_at, const int64 *ids, const unsigned char *hashes, int n,
					 const id_range *archives, int narchives, int64 *matched)
{
	entry_receiver er;
	ParamListInfo params = makeParamList(2);
	SPIExecuteOptions opts;
	int			start = 0;
	int			i;

	memset(&er, 0, sizeof(er));
	er.pub.receiveSlot = entry_receive;
	er.pub.rStartup = entry_startup;
	er.pub.rShutdown = entry_noop;
	er.pub.rDestroy = entry_noop;
	er.pub.mydest = DestTuplestore;	/* any but DestNone, which SPI treats as "no result" */
	er.d = d;
	er.hashes = hashes;
	er.state = palloc0(Max(n, 1));
	er.seen_hash = palloc(sizeof(*er.seen_hash) * Max(n, 1));

	params->numParams = 2;
	for (i = 0; i < 2; i++)
	{
		params->params[i].isnull = false;
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = INT8OID;
	}
	memset(&opts, 0, sizeof(opts));
	opts.params = params;
	opts.read_only = true;
	opts.dest = (DestReceiver *) &er;

	while (start < n)
	{
		int			end = start;	/* run is ids[start..end] */

		while (end + 1 < n && ids[end + 1] - ids[end] <= RUN_GAP)
			end++;
		er.lo = ids[start];
		er.span = (size_t) (ids[end] - er.lo) + 1;
		er.pos = palloc(sizeof(int) * er.span);
		memset(er.pos, 0xff, sizeof(int) * er.span);	/* -1 */
		for (i = start; i <= end; i++)
			er.pos[ids[i] - er.lo] = i;
		params->params[0].value = Int64GetDatum(ids[start]);
		params->params[1].value = Int64GetDatum(ids[end]);
		if (SPI_execute_plan_extended(plan, &opts) != SPI_OK_SELECT)
			elog(ERROR, "audit verification could not read entries");
		pfree(er.pos);
		start = end + 1;
	}

	for (i = 0; i < n; i++)
	{
		if (er.state[i] == 1)
		{
			(*matched)++;
			continue;
		}
		if (er.state[i] == 0)
		{
			const id_range *archive = archived(archives, narchives, ids[i]);

			if (archive != NULL && archive->proven && sealed_at <= archive->sealed_by)
				continue;
			report(out, "entry removed", block_no, ids[i],
				   archive == NULL ?
				   psprintf("Block %lld lists entry %lld, which is no longer in healthhub.audit_entries.",
							(long long) block_no, (long long) ids[i]) :
				   !archive->proven ?
				   psprintf("Block %lld lists entry %lld, which is gone; healthhub.audit_archives says entries %lld to %lld were archived, but no archive entry on the trail made by healthhub.archive_audit_partition() says so.",
							(long long) block_no, (long long) ids[i], (long long) archive->from,
							(long long) archive->to - 1) :
				   psprintf("Block %lld lists entry %lld, which is gone; it was sealed at %s, less than six months before the archiving of entries %lld to %lld was recorded.",
							(long long) block_no, (long long) ids[i], timestamptz_to_str(sealed_at),
							(long long) archive->from, (long long) archive->to - 1));
			return false;
		}
		report(out, "entry altered", block_no, ids[i],
			   psprintf("Entry %lld hashes to %s but block %lld sealed it as %s.",
						(long long) ids[i], hex(er.seen_hash[i], HH_DIGEST_LEN), (long long) block_no,
						hex(hashes + (size_t) i * HH_DIGEST_LEN, HH_DIGEST_LEN)));
		return false;
	}
	return true;
}

/*
 * audit_verify_chain(checkpoint_block bigint, checkpoint_hash bytea,
 *                    checkpoint_entries bigint)
 *   RETURNS TABLE(problem text, block_no bigint, entry_id bigint, detail text)
 *
 * No rows when the trail verifies.  Must run inside one snapshot (the SQL
 * caller is STABLE), so queue, entries and blocks are seen consistently.
 */
PG_FUNCTION_INFO_V1(hh_audit_verify_chain);
Datum
hh_audit_verify_chain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		cp_block = PG_GETARG_INT64(0);
	bytea	   *cp_hash = PG_GETARG_BYTEA_PP(1);
	int64		cp_entries = PG_GETARG_INT64(2);
	verify_out	out;
	id_range   *archives = NULL;
	int			narchives = 0;
	SPIPlanPtr	plan;
	Portal		blocks;
	MemoryContext blockcxt;
	unsigned char prev[HH_DIGEST_LEN];
	size_t		prevlen = HH_DIGEST_LEN;
	int64		expect_no = 1;
	int64		sealed_total = 0;
	int64		matched = 0;
	bool		ok = true;
	Oid			argtypes[2] = {INT8OID, INT8OID};

	InitMaterializedSRF(fcinfo, 0);
	out.ts = rsinfo->setResult;
	out.desc = rsinfo->setDesc;
	out.nrows = 0;

	memset(prev, 0, sizeof(prev));	/* the genesis block's predecessor */

	SPI_connect();

	/*
	 * Archived entry ranges: their rows are gone on purpose, if the archiving
	 * is proven by the trail itself.  An archive row counts only with its
	 * archive entry (as archive_audit_partition() writes it) and only for a
	 * whole partition; its entries must have been sealed six months before
	 * that entry was made (and, if it is sealed, before its block), so a
	 * forged row with a forged entry cannot hide recent removals.
	 */
	if (SPI_execute("SELECT a.first_entry_id, a.end_entry_id,"
					"       (SELECT LEAST(e.at, (SELECT pg_catalog.min(b.sealed_at)"
					"                                         FROM healthhub.audit_blocks b"
					"                                        WHERE e.entry_id = ANY (b.entry_ids)))"
					"               - '6 months'::pg_catalog.interval"
					"          FROM healthhub.audit_entries e"
					"         WHERE e.entry_id = a.archive_entry_id AND e.action = 'archive'"
					"           AND e.object_kind = 'audit_entries' AND e.purpose = 'retention'"
					"           AND e.object_id = a.first_entry_id || '-' || a.end_entry_id"
					"           AND a.first_entry_id % 10000000 = 0"
					"           AND a.end_entry_id = a.first_entry_id + 10000000)"
					"  FROM healthhub.audit_archives a ORDER BY 1",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "audit verification could not read healthhub.audit_archives");
	if (SPI_processed > 0)
	{
		uint64		i;

		archives = palloc(sizeof(id_range) * SPI_processed);
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;

			archives[i].from = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			archives[i].to = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
			archives[i].sealed_by = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[i],
																	  SPI_tuptable->tupdesc, 3, &isnull));
			archives[i].proven = !isnull;
		}
		narchives = (int) SPI_processed;
	}

	plan = SPI_prepare("SELECT " ENTRY_COLUMNS " FROM healthhub.audit_entries"
					   " WHERE entry_id BETWEEN $1 AND $2", 2, argtypes);
	if (plan == NULL)
		elog(ERROR, "audit verification could not prepare its entry scan");

	blocks = SPI_cursor_open_with_args(NULL,
									   "SELECT block_no, sealed_at, algorithm, entry_ids, entry_hashes,"
									   " merkle_root, prev_hash, block_hash, entry_count"
									   " FROM healthhub.audit_blocks ORDER BY block_no",
									   0, NULL, NULL, NULL, true, 0);
	blockcxt = AllocSetContextCreate(CurrentMemoryContext, "audit verify block", ALLOCSET_DEFAULT_SIZES);

	while (ok)
	{
		SPITupleTable *bt;
		uint64		nb,
					b;

		SPI_cursor_fetch(blocks, true, 4);
		bt = SPI_tuptable;
		nb = SPI_processed;
		if (nb == 0)
			break;
		for (b = 0; b < nb && ok; b++)
		{
			MemoryContext old = MemoryContextSwitchTo(blockcxt);
			Datum		v[9];
			bool		isnull[9];
			int64		block_no;
			text	   *algname;
			hh_digest_alg alg;
			ArrayType  *idarr;
			bytea	   *hashes,
					   *root,
					   *bprev,
					   *bhash;
			int			n;
			const int64 *ids;
			unsigned char h[HH_DIGEST_LEN];
			int			i;

			CHECK_FOR_INTERRUPTS();
			heap_deform_tuple(bt->vals[b], bt->tupdesc, v, isnull);
			block_no = DatumGetInt64(v[0]);
			if (block_no != expect_no)
			{
				report(&out, "block removed", expect_no, -1,
					   psprintf("Blocks %lld to %lld are missing from healthhub.audit_blocks.",
								(long long) expect_no, (long long) block_no - 1));
				ok = false;
				break;
			}
			for (i = 1; i < 9; i++)
				if (isnull[i])
					break;
			if (i < 9)
			{
				report(&out, "block altered", block_no, -1,
					   psprintf("Block %lld has a null %s.", (long long) block_no,
								NameStr(TupleDescAttr(bt->tupdesc, i)->attname)));
				ok = false;
				break;
			}
			algname = DatumGetTextPP(v[2]);
			if (hh_digest_from_name(VARDATA_ANY(algname), VARSIZE_ANY_EXHDR(algname), &alg) != 0)
			{
				report(&out, "block altered", block_no, -1,
					   psprintf("Block %lld names an unknown algorithm \"%s\".", (long long) block_no,
								text_to_cstring(algname)));
				ok = false;
				break;
			}
			idarr = DatumGetArrayTypeP(v[3]);
			hashes = DatumGetByteaPP(v[4]);
			root = DatumGetByteaPP(v[5]);
			bprev = DatumGetByteaPP(v[6]);
			bhash = DatumGetByteaPP(v[7]);
			n = (ARR_NDIM(idarr) == 1) ? ARR_DIMS(idarr)[0] : 0;
			if (ARR_NDIM(idarr) > 1 || ARR_HASNULL(idarr) || ARR_ELEMTYPE(idarr) != INT8OID ||
				VARSIZE_ANY_EXHDR(hashes) != (size_t) n * HH_DIGEST_LEN ||
				DatumGetInt32(v[8]) != n)
			{
				report(&out, "block altered", block_no, -1,
					   psprintf("Block %lld's entry list, entry hashes and entry count disagree.",
								(long long) block_no));
				ok = false;
				break;
			}
			ids = (const int64 *) ((const char *) idarr + ARR_OVERHEAD_NONULLS(1));	/* no nulls: checked */
			for (i = 1; i < n; i++)
				if (ids[i] <= ids[i - 1])
					break;
			if (i < n)
			{
				report(&out, "block altered", block_no, ids[i],
					   psprintf("Block %lld's entry list is not strictly ascending at entry %lld.",
								(long long) block_no, (long long) ids[i]));
				ok = false;
				break;
			}
			if (VARSIZE_ANY_EXHDR(bprev) != prevlen ||
				memcmp(VARDATA_ANY(bprev), prev, prevlen) != 0)
			{
				report(&out, "chain broken", block_no, -1,
					   psprintf("Block %lld does not link to block %lld: its prev_hash is %s, block %lld's hash is %s.",
								(long long) block_no, (long long) block_no - 1,
								hex((unsigned char *) VARDATA_ANY(bprev), VARSIZE_ANY_EXHDR(bprev)),
								(long long) block_no - 1, hex(prev, prevlen)));
				ok = false;
				break;
			}
			merkle_root(get_digest(alg), (unsigned char *) VARDATA_ANY(hashes), n, h);
			if (VARSIZE_ANY_EXHDR(root) != HH_DIGEST_LEN ||
				memcmp(VARDATA_ANY(root), h, HH_DIGEST_LEN) != 0)
			{
				report(&out, "block altered", block_no, -1,
					   psprintf("Block %lld's Merkle root does not match its entry hashes.",
								(long long) block_no));
				ok = false;
				break;
			}
			block_hash(alg, prev, prevlen, block_no, n, h, HH_DIGEST_LEN,
					   DatumGetTimestampTz(v[1]), h);
			if (VARSIZE_ANY_EXHDR(bhash) != HH_DIGEST_LEN ||
				memcmp(VARDATA_ANY(bhash), h, HH_DIGEST_LEN) != 0)
			{
				report(&out, "block altered", block_no, -1,
					   psprintf("Block %lld's hash does not match its contents.", (long long) block_no));
				ok = false;
				break;
			}
			sealed_total += n;
			if (block_no == cp_block)
			{
				if (VARSIZE_ANY_EXHDR(cp_hash) != HH_DIGEST_LEN ||
					memcmp(VARDATA_ANY(cp_hash), h, HH_DIGEST_LEN) != 0 ||
					sealed_total != cp_entries)
				{
					report(&out, "checkpoint mismatch", block_no, -1,
						   psprintf("Block %lld now has hash %s and %lld entries up to it; the checkpoint recorded %s and %lld. The trail up to this block was rewritten after the checkpoint.",
									(long long) block_no, hex(h, HH_DIGEST_LEN), (long long) sealed_total,
									hex((unsigned char *) VARDATA_ANY(cp_hash), VARSIZE_ANY_EXHDR(cp_hash)),
									(long long) cp_entries));
					ok = false;
					break;
				}
			}
			if (!verify_block_entries(&out, plan, get_digest(alg), block_no, DatumGetTimestampTz(v[1]), ids,
									  (unsigned char *) VARDATA_ANY(hashes), n,
									  archives, narchives, &matched))
			{
				ok = false;
				break;
			}
			memcpy(prev, h, HH_DIGEST_LEN);
			prevlen = HH_DIGEST_LEN;
			expect_no = block_no + 1;
			MemoryContextSwitchTo(old);
			MemoryContextReset(blockcxt);
		}
		SPI_freetuptable(bt);
	}
	SPI_cursor_close(blocks);

	if (ok && expect_no <= cp_block)
	{
		report(&out, "block removed", expect_no, -1,
			   psprintf("The trail ends at block %lld but the checkpoint was taken at block %lld.",
						(long long) expect_no - 1, (long long) cp_block));
		ok = false;
	}

	/*
	 * Every row must be either listed by a block (and was checked above) or
	 * still queued.  Count first; look for the culprit only on a mismatch.
	 */
	if (ok)
	{
		int64		rows = spi_int8("SELECT count(*) FROM healthhub.audit_entries");
		/* the queue is short: probe the index for each queued id */
		int64		queued = spi_int8("SELECT count(*) FROM healthhub.audit_entries e"
									  " WHERE e.entry_id = ANY (ARRAY(SELECT q.entry_id FROM healthhub.audit_queue q))");
		int64		queue_len = spi_int8("SELECT count(*) FROM healthhub.audit_queue");

		if (queued != queue_len)
		{
			int64		id = spi_int8("SELECT min(q.entry_id) FROM healthhub.audit_queue q"
									  " WHERE NOT EXISTS (SELECT FROM healthhub.audit_entries e"
									  " WHERE e.entry_id = q.entry_id)");

			report(&out, "entry removed", -1, id,
				   psprintf("Entry %lld is queued for sealing but no longer in healthhub.audit_entries.",
							(long long) id));
		}
		else if (rows - queued != matched)
		{
			if (SPI_execute("SELECT e.entry_id FROM healthhub.audit_entries e"
							" WHERE NOT EXISTS (SELECT FROM healthhub.audit_queue q WHERE q.entry_id = e.entry_id)"
							" EXCEPT SELECT unnest(b.entry_ids) FROM healthhub.audit_blocks b"
							" ORDER BY 1 LIMIT 1", true, 0) == SPI_OK_SELECT && SPI_processed == 1)
			{
				bool		isnull;
				int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
				int64		after = spi_int8(psprintf("SELECT max(b.block_no) FROM healthhub.audit_blocks b"
													  " WHERE b.entry_ids[1] < %lld", (long long) id));

				report(&out, "entry inserted", after > 0 ? after : -1, id,
					   psprintf("Entry %lld is in healthhub.audit_entries but no block lists it and it is not queued for sealing.",
								(long long) id));
			}
			else if (SPI_execute("SELECT id, count(*) FROM (SELECT unnest(b.entry_ids) AS id FROM healthhub.audit_blocks b) s"
								 " GROUP BY id HAVING count(*) > 1 ORDER BY id LIMIT 1", true, 0) == SPI_OK_SELECT
					 && SPI_processed == 1)
			{
				bool		isnull;
				int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

				report(&out, "entry sealed twice", -1, id,
					   psprintf("Entry %lld is listed by more than one block.", (long long) id));
			}
			else
				report(&out, "entry inserted", -1, -1,
					   psprintf("healthhub.audit_entries holds %lld rows outside the queue but the blocks account for %lld.",
								(long long) (rows - queued), (long long) matched));
		}
	}

	SPI_finish();
	PG_RETURN_NULL();
}
