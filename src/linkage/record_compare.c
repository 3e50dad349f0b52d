/*
 * record_compare.c
 *		Comparing two source records and weighing the comparison with a
 *		linkage model: healthhub.match_score() (the hot path of linking) and
 *		healthhub.match_weights() (the explanation).
 *
 * A model version never changes once made (a trigger refuses it), so each
 * backend loads a version's weights and surname frequencies once and keeps
 * them, as long as the version's linkage_models row is the same row: a
 * model made in a transaction that rolled back leaves its number free for
 * the next one.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "parser/parse_coerce.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "access/htup_details.h"

#include "core/textnorm.h"
#include "ident/resident_id_parse.h"
#include "linkage/compare.h"

/* |surname adjustment| is capped: one rare surname is not an identity */
#define SURNAME_ADJUSTMENT_CAP 4.0

typedef struct SurnameEntry
{
	char		surname[32];	/* hash key */
	double		frequency;
} SurnameEntry;

typedef struct LinkageModel
{
	int32		version;
	TransactionId xmin;			/* of its linkage_models row */
	/* the command that last found that row still there */
	LocalTransactionId checked_lxid;
	SubTransactionId checked_subxid;
	CommandId	checked_cid;
	double		prior_weight;	/* log2(prior / (1 - prior)) */
	bool		names_must_agree;	/* names that differ entirely never link */
	double		match_weight;	/* log-odds of match_probability */
	double		possible_weight;	/* log-odds of possible_probability */
	double		weight[HH_NCOMPARISONS][HH_MAX_LEVELS];
	double		mean_surname_frequency;	/* sum of squares: chance two share one */
	double		rarest_frequency;
	HTAB	   *surnames;
} LinkageModel;

#define MAX_MODELS 16
static LinkageModel *models[MAX_MODELS];
static int	nmodels = 0;

static int
level_index(int comparison, const char *level)
{
	const char *const *levels = hh_comparison_levels[comparison];

	for (int i = 1; levels[i] != NULL; i++)
		if (strcmp(levels[i], level) == 0)
			return i;
	return -1;
}

static int
comparison_index(const char *name)
{
	for (int i = 0; i < HH_NCOMPARISONS; i++)
		if (strcmp(hh_comparison_names[i], name) == 0)
			return i;
	return -1;
}

static void
free_model(LinkageModel *model)
{
	hash_destroy(model->surnames);
	pfree(model);
}

/* Has the cached model been checked against linkage_models in this command? */
static bool
model_checked(const LinkageModel *model)
{
	return model->checked_lxid == MyProc->lxid &&
		model->checked_subxid == GetCurrentSubTransactionId() &&
		model->checked_cid == GetCurrentCommandId(false);
}

static void
mark_checked(LinkageModel *model)
{
	model->checked_lxid = MyProc->lxid;
	model->checked_subxid = GetCurrentSubTransactionId();
	model->checked_cid = GetCurrentCommandId(false);
}

/*
 * A version's model, from the cache if its linkage_models row is the one
 * cached.  The row is looked up again once per command (what a command sees
 * cannot change under it): a version made in a transaction or savepoint that
 * rolled back is gone, and its number is given to the next model made.
 */
static LinkageModel *
load_model(int32 version)
{
	static SPIPlanPtr model_plan = NULL;
	LinkageModel *model;
	LinkageModel *cached = NULL;
	int			slot = -1;
	Datum		arg = Int32GetDatum(version);
	Oid			argtype = INT4OID;
	TransactionId xmin;
	HASHCTL		ctl;
	bool		isnull;

	for (int i = 0; i < nmodels; i++)
		if (models[i]->version == version)
		{
			slot = i;
			cached = models[i];
			break;
		}
	if (cached != NULL && model_checked(cached))
		return cached;

	SPI_connect();
	if (model_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare("SELECT xmin, prior, names_must_agree, possible_probability, match_probability"
									   " FROM healthhub.linkage_models"
									   " WHERE model_version = $1",
									   1, &argtype);

		if (plan == NULL)
			elog(ERROR, "could not prepare the query of healthhub.linkage_models: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		model_plan = plan;
	}
	if (SPI_execute_plan(model_plan, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read healthhub.linkage_models");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("linkage model %d does not exist", version),
				 errhint("SELECT healthhub.linkage_model() gives the version in force.")));
	xmin = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (cached != NULL && TransactionIdEquals(cached->xmin, xmin))
	{
		SPI_finish();
		mark_checked(cached);
		return cached;
	}

	model = MemoryContextAllocZero(TopMemoryContext, sizeof(LinkageModel));
	model->version = version;
	model->xmin = xmin;
	{
		double		prior = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));

		double		possible = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
		double		match = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull));

		model->prior_weight = log2(prior / (1.0 - prior));
		model->names_must_agree = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
		model->possible_weight = log2(possible / (1.0 - possible));
		model->match_weight = log2(match / (1.0 - match));
	}
	if (SPI_execute_with_args("SELECT comparison, level, m, u FROM healthhub.linkage_weights WHERE model_version = $1",
							  1, &argtype, &arg, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read healthhub.linkage_weights");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	t = SPI_tuptable->vals[r];
		TupleDesc	d = SPI_tuptable->tupdesc;
		int			c = comparison_index(TextDatumGetCString(SPI_getbinval(t, d, 1, &isnull)));
		int			l = c < 0 ? -1 : level_index(c, TextDatumGetCString(SPI_getbinval(t, d, 2, &isnull)));
		double		m = DatumGetFloat8(SPI_getbinval(t, d, 3, &isnull));
		double		u = DatumGetFloat8(SPI_getbinval(t, d, 4, &isnull));

		if (l > 0)
			model->weight[c][l] = log2(m / u);
	}

	ctl.keysize = sizeof(((SurnameEntry *) 0)->surname);
	ctl.entrysize = sizeof(SurnameEntry);
	ctl.hcxt = TopMemoryContext;
	model->surnames = hash_create("healthhub surname frequencies", 1024, &ctl,
								  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	model->rarest_frequency = 1.0;
	if (SPI_execute_with_args("SELECT surname, frequency FROM healthhub.surname_frequencies WHERE model_version = $1",
							  1, &argtype, &arg, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read healthhub.surname_frequencies");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		char	   *surname = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
		double		f = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull));
		SurnameEntry *e;

		if (strlen(surname) >= sizeof(e->surname))
			continue;
		e = hash_search(model->surnames, surname, HASH_ENTER, NULL);
		e->frequency = f;
		model->mean_surname_frequency += f * f;
		if (f < model->rarest_frequency)
			model->rarest_frequency = f;
	}
	SPI_finish();
	mark_checked(model);

	if (cached != NULL)
	{
		/* the row cached was rolled back and the version made again */
		free_model(cached);
		models[slot] = model;
		return model;
	}
	if (nmodels == MAX_MODELS)
	{
		free_model(models[0]);
		memmove(models, models + 1, sizeof(models[0]) * (MAX_MODELS - 1));
		nmodels--;
	}
	models[nmodels++] = model;
	return model;
}


/* The fields of a source record the comparators use. */
typedef struct RecordSide
{
	hh_name_side name;
	char	   *surname;
	hh_ymd		birth;
	int			sex;
	char	   *phone;
	int32		region;
	char	   *identifier;		/* resident ID, else the text as received, folded */
	bool		number_valid;	/* identifier is a valid resident ID that is the record's own */
} RecordSide;

/*
 * The columns the comparators read, found by name in whatever row type the
 * caller passes (source_records, or a work table with the same columns), once
 * per call site and row type.
 */
enum
{
	F_NAME_HANZI, F_NAME_PINYIN, F_NAME_INITIALS, F_SURNAME, F_BIRTH_DATE, F_SEX, F_PHONE, F_REGION,
	F_ID_CONFLICT, F_RESIDENT_ID, F_IDENTIFIER_TEXT, F_GIVEN_PINYIN, NFIELDS
};
static const char *const field_names[NFIELDS] = {
	"name_hanzi", "name_pinyin", "name_initials", "surname", "birth_date", "sex", "phone", "region",
	"id_conflict", "resident_id", "identifier_text", "name_given_pinyin"
};

typedef struct RowShape
{
	Oid			typid;
	int32		typmod;
	TupleDesc	desc;
	int			attno[NFIELDS];	/* 0-based; -1 if the row has no such column */
	Datum	   *values;			/* room to deform a row, desc->natts long */
	bool	   *nulls;
} RowShape;

typedef struct CallCache
{
	RowShape	shape[2];		/* one per row argument */
	/*
	 * healthhub's types, looked up once per call site (not once per backend:
	 * the extension may be dropped and made again)
	 */
	Oid			region_code;
	Oid			resident_id;
} CallCache;

static Oid
healthhub_type(const char *name)
{
	Oid			nsp = get_namespace_oid("healthhub", false);
	Oid			typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum(name),
										ObjectIdGetDatum(nsp));

	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type healthhub.%s does not exist", name)));
	return typid;
}

/* The type a column's datum is read as. */
static Oid
field_type(CallCache *cache, int f)
{
	switch (f)
	{
		case F_BIRTH_DATE:
			return DATEOID;
		case F_SEX:
			return INT2OID;
		case F_ID_CONFLICT:
			return BOOLOID;
		case F_REGION:
			if (!OidIsValid(cache->region_code))
				cache->region_code = healthhub_type("region_code");
			return cache->region_code;
		case F_RESIDENT_ID:
			if (!OidIsValid(cache->resident_id))
				cache->resident_id = healthhub_type("resident_id");
			return cache->resident_id;
		default:
			return TEXTOID;
	}
}

static const RowShape *
row_shape(FunctionCallInfo fcinfo, int arg, HeapTupleHeader row)
{
	CallCache  *cache = (CallCache *) fcinfo->flinfo->fn_extra;
	RowShape   *shape;
	Oid			typid = HeapTupleHeaderGetTypeId(row);
	int32		typmod = HeapTupleHeaderGetTypMod(row);

	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CallCache));
	shape = &cache->shape[arg];
	if (shape->desc == NULL || shape->typid != typid || shape->typmod != typmod)
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(typid, typmod);
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (shape->desc != NULL)
		{
			FreeTupleDesc(shape->desc);
			pfree(shape->values);
			pfree(shape->nulls);
		}
		shape->desc = CreateTupleDescCopy(desc);
		shape->values = palloc(sizeof(Datum) * Max(desc->natts, 1));
		shape->nulls = palloc(sizeof(bool) * Max(desc->natts, 1));
		MemoryContextSwitchTo(old);
		ReleaseTupleDesc(desc);
		shape->typid = InvalidOid;	/* until the columns pass */
		for (int f = 0; f < NFIELDS; f++)
		{
			shape->attno[f] = -1;
			for (int i = 0; i < shape->desc->natts; i++)
				if (!TupleDescAttr(shape->desc, i)->attisdropped &&
					strcmp(NameStr(TupleDescAttr(shape->desc, i)->attname), field_names[f]) == 0)
					shape->attno[f] = i;
		}

		/*
		 * A column is read as its type's datum (text, date, ...), so a column
		 * of another type would be read from the wrong bits: refuse it.
		 */
		for (int f = 0; f < NFIELDS; f++)
		{
			Oid			actual,
						expected;

			if (shape->attno[f] < 0)
				continue;
			actual = TupleDescAttr(shape->desc, shape->attno[f])->atttypid;
			expected = field_type(cache, f);
			if (!IsBinaryCoercible(actual, expected))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" of a record to compare has the wrong type", field_names[f]),
						 errdetail("Column \"%s\" is of type %s; the comparators read it as %s.",
								   field_names[f], format_type_be(actual), format_type_be(expected))));
		}
		shape->typid = typid;
		shape->typmod = typmod;
	}
	return shape;
}

static void
read_side(FunctionCallInfo fcinfo, int arg, RecordSide *side)
{
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(arg);
	const RowShape *shape = row_shape(fcinfo, arg, row);
	HeapTupleData tuple;
	Datum		v[NFIELDS];
	bool		n[NFIELDS];

	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	tuple.t_data = row;
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	heap_deform_tuple(&tuple, shape->desc, shape->values, shape->nulls);
	for (int f = 0; f < NFIELDS; f++)
	{
		n[f] = shape->attno[f] < 0 || shape->nulls[shape->attno[f]];
		v[f] = n[f] ? (Datum) 0 : shape->values[shape->attno[f]];
	}

	memset(side, 0, sizeof(*side));
#define TEXT_FIELD(f) (n[f] ? NULL : TextDatumGetCString(v[f]))
	side->name.hanzi = TEXT_FIELD(F_NAME_HANZI);
	side->name.pinyin = TEXT_FIELD(F_NAME_PINYIN);
	side->name.initials = TEXT_FIELD(F_NAME_INITIALS);
	if (side->name.pinyin == NULL)
		side->name.hanzi = NULL;
	side->surname = TEXT_FIELD(F_SURNAME);
	side->name.surname = side->surname;
	side->name.given_pinyin = TEXT_FIELD(F_GIVEN_PINYIN);
	if (!n[F_BIRTH_DATE] && !DATE_NOT_FINITE(DatumGetDateADT(v[F_BIRTH_DATE])))
	{
		DateADT		date = DatumGetDateADT(v[F_BIRTH_DATE]);

		side->birth.present = true;
		side->birth.days = date;
		j2date(date + POSTGRES_EPOCH_JDATE, &side->birth.year, &side->birth.month, &side->birth.day);
	}
	side->sex = n[F_SEX] ? 0 : DatumGetInt16(v[F_SEX]);
	side->phone = TEXT_FIELD(F_PHONE);
	side->region = n[F_REGION] ? 0 : DatumGetInt32(v[F_REGION]);

	/* an identifier contradicting the record (a parent's number) is no evidence */
	if (n[F_ID_CONFLICT] || !DatumGetBool(v[F_ID_CONFLICT]))
	{
		if (!n[F_RESIDENT_ID])
		{
			side->identifier = palloc(19);
			rid_format(DatumGetInt64(v[F_RESIDENT_ID]), side->identifier);
			side->number_valid = true;
		}
		else if (!n[F_IDENTIFIER_TEXT])
		{
			char	   *raw = TextDatumGetCString(v[F_IDENTIFIER_TEXT]);
			hh_fold_result res;
			char	   *folded = palloc(strlen(raw) + 1);
			size_t		len = hh_fold_ascii(raw, strlen(raw), folded, strlen(raw),
										   HH_FOLD_DROP_INNER_SPACE | HH_FOLD_UPPER, &res);

			folded[len] = '\0';
			side->identifier = res.status == HH_FOLD_OK ? folded : raw;
		}
	}
#undef TEXT_FIELD
}

static void
compare_sides(const RecordSide *a, const RecordSide *b, int levels[HH_NCOMPARISONS])
{
	levels[HH_CMP_NAME] = hh_compare_name(&a->name, &b->name);
	levels[HH_CMP_BIRTH_DATE] = hh_compare_birth_date(&a->birth, &b->birth);
	levels[HH_CMP_SEX] = hh_compare_sex(a->sex, b->sex);
	levels[HH_CMP_PHONE] = hh_compare_phone(a->phone, b->phone);
	levels[HH_CMP_REGION] = hh_compare_region(a->region, b->region);
	/*
	 * Two valid numbers that differ are two people, however close: a single
	 * mistyped digit always fails the check character.
	 */
	if (a->number_valid && b->number_valid && strcmp(a->identifier, b->identifier) != 0)
		levels[HH_CMP_IDENTIFIER] = 3;
	else
		levels[HH_CMP_IDENTIFIER] = hh_compare_identifier(a->identifier, b->identifier);
}

/*
 * The number b's person holds stands for b when b gives none of its own: a
 * record is never linked to a person that holds another number than its own.
 */
static void
stand_for_person(RecordSide *b, FunctionCallInfo fcinfo, int arg)
{
	if (b->number_valid || PG_NARGS() <= arg || PG_ARGISNULL(arg))
		return;
	b->identifier = palloc(19);
	rid_format(PG_GETARG_INT64(arg), b->identifier);
	b->number_valid = true;
}

/* The surname adjustment of a name agreement: log2(mean frequency / frequency). */
static double
surname_adjustment(const LinkageModel *model, const RecordSide *a, const RecordSide *b, int name_level)
{
	SurnameEntry *e;
	double		f,
				adj;

	if ((name_level != 1 && name_level != 2) || a->surname == NULL || b->surname == NULL ||
		strcmp(a->surname, b->surname) != 0 || model->mean_surname_frequency <= 0 ||
		strlen(a->surname) >= sizeof(e->surname))
		return 0.0;
	e = hash_search(model->surnames, a->surname, HASH_FIND, NULL);
	f = e != NULL ? e->frequency : model->rarest_frequency;
	adj = log2(model->mean_surname_frequency / f);
	return Max(-SURNAME_ADJUSTMENT_CAP, Min(SURNAME_ADJUSTMENT_CAP, adj));
}

/*
 * What a model holds back of a pair whatever its weights say.  Names that
 * differ entirely (both known, level "other"), when the model says names
 * must agree: twins share a surname, a birth date, a phone and an address,
 * and only the given name (and the number, when they have one) tells them
 * apart.  And two different valid resident ID numbers: two people, unless
 * name, birth date and sex all agree, when a reviewer decides (a record may
 * carry a wrong but valid number).  Each holds the total just under the
 * weight it must not reach.
 */
typedef enum
{
	HOLD_NAMES_DIFFER, HOLD_NUMBERS_DIFFER, NHOLDS
} HoldBack;
static const char *const hold_names[NHOLDS] = {"names_differ", "numbers_differ"};

static double
score_pair(const LinkageModel *model, const RecordSide *a, const RecordSide *b, const int levels[HH_NCOMPARISONS],
		   double held[NHOLDS])
{
	double		total = model->prior_weight + surname_adjustment(model, a, b, levels[HH_CMP_NAME]);
	double		ceiling;

	for (int c = 0; c < HH_NCOMPARISONS; c++)
		total += model->weight[c][levels[c]];
	memset(held, 0, sizeof(double) * NHOLDS);

	if (model->names_must_agree && levels[HH_CMP_NAME] == 5 && total >= model->possible_weight)
	{
		held[HOLD_NAMES_DIFFER] = model->possible_weight - 0.001 - total;
		total += held[HOLD_NAMES_DIFFER];
	}
	if (a->number_valid && b->number_valid && strcmp(a->identifier, b->identifier) != 0)
	{
		bool		all_else_agrees = (levels[HH_CMP_NAME] == 1 || levels[HH_CMP_NAME] == 2) &&
			levels[HH_CMP_BIRTH_DATE] == 1 && levels[HH_CMP_SEX] != 2;

		ceiling = (all_else_agrees ? model->match_weight : model->possible_weight) - 0.001;
		if (total >= ceiling)
		{
			held[HOLD_NUMBERS_DIFFER] = ceiling - total;
			total = ceiling;
		}
	}
	return total;
}

/*
 * healthhub.match_score(a source_records, b source_records, model integer
 *                       [, b_person_number resident_id])
 * The match weight of the pair: the prior's log odds plus every level's
 * log2(m/u), plus the surname adjustment, less what the model holds back.
 * b_person_number, the number b's person holds, stands for b's own when b
 * gives none.
 */
PG_FUNCTION_INFO_V1(hh_match_score);
Datum
hh_match_score(PG_FUNCTION_ARGS)
{
	LinkageModel *model;
	RecordSide	a,
				b;
	int			levels[HH_NCOMPARISONS];
	double		held[NHOLDS];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	model = load_model(PG_GETARG_INT32(2));
	read_side(fcinfo, 0, &a);
	read_side(fcinfo, 1, &b);
	stand_for_person(&b, fcinfo, 3);
	compare_sides(&a, &b, levels);
	PG_RETURN_FLOAT8(score_pair(model, &a, &b, levels, held));
}

/*
 * healthhub.comparison_levels(a source_records, b source_records) RETURNS smallint[]
 * The level of each comparison, in linkage_comparisons order (0: missing).
 */
PG_FUNCTION_INFO_V1(hh_comparison_levels_sql);
Datum
hh_comparison_levels_sql(PG_FUNCTION_ARGS)
{
	RecordSide	a,
				b;
	int			levels[HH_NCOMPARISONS];
	Datum		elems[HH_NCOMPARISONS];

	read_side(fcinfo, 0, &a);
	read_side(fcinfo, 1, &b);
	compare_sides(&a, &b, levels);
	for (int c = 0; c < HH_NCOMPARISONS; c++)
		elems[c] = Int16GetDatum((int16) levels[c]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, HH_NCOMPARISONS, INT2OID, 2, true, TYPALIGN_SHORT));
}

/*
 * healthhub.match_weights(a source_records, b source_records, model integer
 *                         [, b_person_number resident_id])
 *   RETURNS TABLE (comparison text, level text, weight double precision)
 * The explanation: one row per comparison, then the surname adjustment, the
 * prior and what the model held back, if anything; the weights sum to
 * match_score().
 */
PG_FUNCTION_INFO_V1(hh_match_weights);
Datum
hh_match_weights(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LinkageModel *model;
	RecordSide	a,
				b;
	int			levels[HH_NCOMPARISONS];
	double		held[NHOLDS];
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return (Datum) 0;
	model = load_model(PG_GETARG_INT32(2));
	read_side(fcinfo, 0, &a);
	read_side(fcinfo, 1, &b);
	stand_for_person(&b, fcinfo, 3);
	compare_sides(&a, &b, levels);
	(void) score_pair(model, &a, &b, levels, held);
	for (int c = 0; c < HH_NCOMPARISONS; c++)
	{
		values[0] = CStringGetTextDatum(hh_comparison_names[c]);
		values[1] = CStringGetTextDatum(hh_comparison_levels[c][levels[c]]);
		values[2] = Float8GetDatum(model->weight[c][levels[c]]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	values[0] = CStringGetTextDatum("surname_frequency");
	values[1] = a.surname != NULL ? CStringGetTextDatum(a.surname) : (Datum) 0;
	nulls[1] = a.surname == NULL;
	values[2] = Float8GetDatum(surname_adjustment(model, &a, &b, levels[HH_CMP_NAME]));
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	nulls[1] = true;
	values[0] = CStringGetTextDatum("prior");
	values[2] = Float8GetDatum(model->prior_weight);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	for (int h = 0; h < NHOLDS; h++)
	{
		if (held[h] == 0.0)
			continue;
		values[0] = CStringGetTextDatum(hold_names[h]);
		values[2] = Float8GetDatum(held[h]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
