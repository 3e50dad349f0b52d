/*
 * record_compare.c
 *		Comparing two source records and weighing the comparison with a
 *		linkage model: healthhub.match_score() (the hot path of linking) and
 *		healthhub.match_weights() (the explanation).
 *
 * A model version never changes once made (a trigger refuses it), so each
 * backend loads a version's weights and surname frequencies once and keeps
 * them.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
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
	double		prior_weight;	/* log2(prior / (1 - prior)) */
	bool		names_must_agree;	/* names that differ entirely never link */
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

static LinkageModel *
load_model(int32 version)
{
	LinkageModel *model;
	Datum		arg = Int32GetDatum(version);
	Oid			argtype = INT4OID;
	HASHCTL		ctl;
	bool		isnull;

	for (int i = 0; i < nmodels; i++)
		if (models[i]->version == version)
			return models[i];

	SPI_connect();
	if (SPI_execute_with_args("SELECT prior, names_must_agree, possible_probability FROM healthhub.linkage_models"
							  " WHERE model_version = $1",
							  1, &argtype, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read healthhub.linkage_models");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("linkage model %d does not exist", version),
				 errhint("SELECT healthhub.linkage_model() gives the version in force.")));

	model = MemoryContextAllocZero(TopMemoryContext, sizeof(LinkageModel));
	model->version = version;
	{
		double		prior = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

		double		possible;

		model->prior_weight = log2(prior / (1.0 - prior));
		model->names_must_agree = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		possible = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
		model->possible_weight = log2(possible / (1.0 - possible));
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

	if (nmodels == MAX_MODELS)
	{
		hash_destroy(models[0]->surnames);
		pfree(models[0]);
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
} RowShape;

typedef struct CallCache
{
	RowShape	shape[2];		/* one per row argument */
} CallCache;

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
			FreeTupleDesc(shape->desc);
		shape->desc = CreateTupleDescCopy(desc);
		MemoryContextSwitchTo(old);
		ReleaseTupleDesc(desc);
		for (int f = 0; f < NFIELDS; f++)
		{
			shape->attno[f] = -1;
			for (int i = 0; i < shape->desc->natts; i++)
				if (!TupleDescAttr(shape->desc, i)->attisdropped &&
					strcmp(NameStr(TupleDescAttr(shape->desc, i)->attname), field_names[f]) == 0)
					shape->attno[f] = i;
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
	Datum		values[MaxTupleAttributeNumber > 64 ? 64 : MaxTupleAttributeNumber];
	bool		nulls[lengthof(values)];
	Datum		v[NFIELDS];
	bool		n[NFIELDS];

	if (shape->desc->natts > (int) lengthof(values))
		elog(ERROR, "a record to compare has more than %d columns", (int) lengthof(values));
	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	tuple.t_data = row;
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	heap_deform_tuple(&tuple, shape->desc, values, nulls);
	for (int f = 0; f < NFIELDS; f++)
	{
		n[f] = shape->attno[f] < 0 || nulls[shape->attno[f]];
		v[f] = n[f] ? (Datum) 0 : values[shape->attno[f]];
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
	levels[HH_CMP_IDENTIFIER] = hh_compare_identifier(a->identifier, b->identifier);
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
 * The weights of a pair, without the veto: prior, levels, surname.  Names
 * that differ entirely (both known, level "other") are, when the model says
 * names must agree, brought down to just under the possible-match weight:
 * twins share a surname, a birth date, a phone and an address, and only the
 * given name (and the number, when they have one) tells them apart.
 */
static double
names_differ_adjustment(const LinkageModel *model, const int levels[HH_NCOMPARISONS], double total)
{
	if (model->names_must_agree && levels[HH_CMP_NAME] == 5 && total >= model->possible_weight)
		return model->possible_weight - 0.001 - total;
	return 0.0;
}

/*
 * healthhub.match_score(a source_records, b source_records, model integer)
 * The match weight of the pair: the prior's log odds plus every level's
 * log2(m/u), plus the surname adjustment.
 */
PG_FUNCTION_INFO_V1(hh_match_score);
Datum
hh_match_score(PG_FUNCTION_ARGS)
{
	LinkageModel *model = load_model(PG_GETARG_INT32(2));
	RecordSide	a,
				b;
	int			levels[HH_NCOMPARISONS];
	double		total = model->prior_weight;

	read_side(fcinfo, 0, &a);
	read_side(fcinfo, 1, &b);
	compare_sides(&a, &b, levels);
	for (int c = 0; c < HH_NCOMPARISONS; c++)
		total += model->weight[c][levels[c]];
	total += surname_adjustment(model, &a, &b, levels[HH_CMP_NAME]);
	total += names_differ_adjustment(model, levels, total);
	PG_RETURN_FLOAT8(total);
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
 * healthhub.match_weights(a source_records, b source_records, model integer)
 *   RETURNS TABLE (comparison text, level text, weight double precision)
 * The explanation: one row per comparison, then the surname adjustment, the
 * prior and, if names that differ entirely were held back, that; the
 * weights sum to match_score().
 */
PG_FUNCTION_INFO_V1(hh_match_weights);
Datum
hh_match_weights(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LinkageModel *model = load_model(PG_GETARG_INT32(2));
	RecordSide	a,
				b;
	int			levels[HH_NCOMPARISONS];
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	double		total;

	InitMaterializedSRF(fcinfo, 0);
	read_side(fcinfo, 0, &a);
	read_side(fcinfo, 1, &b);
	compare_sides(&a, &b, levels);
	total = model->prior_weight + surname_adjustment(model, &a, &b, levels[HH_CMP_NAME]);
	for (int c = 0; c < HH_NCOMPARISONS; c++)
		total += model->weight[c][levels[c]];
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
	if (names_differ_adjustment(model, levels, total) != 0.0)
	{
		values[0] = CStringGetTextDatum("names_differ");
		values[2] = Float8GetDatum(names_differ_adjustment(model, levels, total));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
