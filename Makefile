# healthhub: PGXS build.  The install script is assembled from the SQL that
# lives beside each area's C code, in the fixed order of SQL_PARTS.

EXTENSION   = healthhub
MODULE_big  = healthhub

# Releases: versions/RELEASES lists them, oldest first; the last is the one
# being built.  Everything else about versions is derived from that list.
RELEASES   := $(shell sed -e 's/\#.*//' versions/RELEASES)
EXTVERSION := $(lastword $(RELEASES))
RELEASED   := $(filter-out $(EXTVERSION),$(RELEASES))
# the steps between consecutive releases, 0.1--0.2 ... 0.5--0.6
UPGRADES   := $(join $(addsuffix --,$(RELEASED)),$(wordlist 2,$(words $(RELEASES)),$(RELEASES)))
# frozen: each released install script and each upgrade into a released version
FROZEN     := $(patsubst %,versions/$(EXTENSION)--%.sql,$(RELEASED) $(filter-out $(lastword $(UPGRADES)),$(UPGRADES)))
# hand-written: the upgrade from the last release to the one being built
DELTA      := $(patsubst %,src/upgrade/$(EXTENSION)--%.sql,$(lastword $(UPGRADES)))
# releases up to 0.5 required pgcrypto (never used; 0.6 dropped it): their
# control files say so, so an old version installs as it shipped and
# ALTER EXTENSION UPDATE removes the dependency (t/003 checks)
PGCRYPTO_RELEASES := 0.1 0.2 0.3 0.4 0.5

CORE_OBJS   = src/core/checkdigit.o src/core/textnorm.o
PLATFORM_OBJS = src/platform/pseudonym.o src/platform/audit_hash.o src/platform/audit_append.o src/platform/audit_changes.o \
                src/platform/audit_sealer.o src/platform/audit_writer.o src/platform/database_worker.o src/platform/role_cache.o \
                src/platform/row_access.o src/platform/load_writes.o src/core/digest.o
REGISTRY_OBJS = src/registry/practice_claims.o src/registry/practice_rights.o
IDENT_OBJS  = src/ident/resident_id_parse.o src/ident/uscc_parse.o \
              src/ident/region_code_parse.o src/ident/health_identifier_parse.o \
              src/ident/resident_id.o src/ident/uscc.o src/ident/region_code.o \
              src/ident/health_identifier.o src/ident/ident_error.o
LINKAGE_OBJS = src/linkage/name_key.o src/linkage/compare.o src/linkage/han_icu.o src/linkage/compare_sql.o src/linkage/record_compare.o src/linkage/resolve.o src/linkage/cluster.o src/linkage/record_fields.o src/linkage/record_fields_sql.o src/linkage/golden.o src/linkage/block_keys.o src/linkage/block_pairs.o src/linkage/plan_freshness.o
# the codec is pure C (fuzz/fuzz_health_code.c); the rest is its SQL glue
HEALTHCODE_OBJS = src/healthcode/base45.o src/healthcode/zlib_codec.o src/healthcode/cbor_io.o \
              src/healthcode/cbor_json.o src/healthcode/cose.o src/healthcode/cwt.o \
              src/healthcode/cose_crypto.o src/healthcode/health_code.o \
              src/healthcode/code_text.o src/healthcode/code_pg.o src/healthcode/health_code_type.o src/healthcode/keys_sql.o \
              src/healthcode/verify.o src/healthcode/issue.o src/healthcode/signed_document.o
RECORDS_OBJS = src/records/emr_ref_parse.o src/records/emr_ref.o
# the codecs are pure C (fuzz/fuzz_drug_code.c, fuzz/fuzz_prescription.c)
RX_OBJS     = src/rx/drug_code_parse.o src/rx/drug_code.o src/rx/prescription_codec.o src/rx/prescription_json.o \
              src/rx/prescription.o
# the engine is pure C (fuzz/fuzz_settle.c); settle_sql.c its jsonb glue
SETTLE_OBJS = src/settle/settle_engine.o src/settle/settle_sql.o
OBJS        = src/healthhub.o $(CORE_OBJS) $(IDENT_OBJS) $(PLATFORM_OBJS) $(REGISTRY_OBJS) $(LINKAGE_OBJS) \
              $(HEALTHCODE_OBJS) $(RECORDS_OBJS) $(RX_OBJS) $(SETTLE_OBJS)

# Order matters: later parts use what earlier parts create.
SQL_PARTS   = src/core/prelude.sql src/platform/shipped_rows.sql \
              src/ident/region_code.sql src/ident/region_code_ops.sql \
              src/ident/regions.sql src/ident/region_data.sql \
              src/ident/resident_id.sql src/ident/resident_id_ops.sql \
              src/ident/uscc.sql src/ident/uscc_ops.sql \
              src/ident/health_identifier.sql src/ident/health_identifier_ops.sql \
              src/platform/hub.sql src/ident/deprecated_names.sql \
              src/core/epilogue.sql
# The current release is the sources as they are (src/ is the truth: a
# function is edited where it lives); the parts are cat'ed in this order.
SQL_PARTS  += src/platform/acting_role.sql \
              src/platform/arguments.sql \
              src/platform/audit_changes.sql \
              src/platform/profiles.sql \
              src/platform/masking.sql \
              src/platform/audit.sql \
              src/platform/loading.sql \
              src/registry/registry.sql \
              src/registry/loading.sql \
              src/linkage/names.sql \
              src/linkage/persons.sql \
              src/linkage/model.sql \
              src/linkage/link.sql \
              src/linkage/manage.sql \
              src/linkage/resolve.sql \
              src/linkage/batch.sql \
              src/linkage/training.sql \
              src/linkage/reads.sql \
              src/linkage/privileges.sql
HEALTHCODE_PARTS = src/healthcode/health_code.sql src/healthcode/health_code_ops.sql \
              src/healthcode/keys.sql src/healthcode/verify.sql src/healthcode/issue.sql \
              src/healthcode/trust_list.sql src/healthcode/policy.sql src/healthcode/checking.sql \
              src/healthcode/holders.sql
SQL_PARTS  += $(HEALTHCODE_PARTS)
RECORDS_PARTS = src/records/emr_ref.sql src/records/emr_ref_ops.sql src/records/document_kinds.sql \
              src/records/documents.sql src/records/consent.sql src/records/loading.sql src/records/encounters.sql \
              src/records/recognition.sql
SQL_PARTS  += $(RECORDS_PARTS)
RX_PARTS    = src/rx/drug_code.sql src/rx/drug_code_ops.sql src/rx/prescription.sql src/rx/prescription_ops.sql \
              src/rx/catalogue.sql src/rx/policy.sql src/rx/prescriptions.sql src/rx/rules.sql src/rx/lifecycle.sql \
              src/rx/reads.sql
SQL_PARTS  += $(RX_PARTS)
SETTLE_PARTS = src/settle/engine.sql src/settle/policy.sql src/settle/loading.sql src/settle/claims.sql src/settle/insured.sql src/settle/family.sql src/settle/audit.sql src/settle/submit.sql src/settle/settle.sql src/settle/reads.sql
SQL_PARTS  += $(SETTLE_PARTS)
# Rooms new in the release being built: its upgrade script installs them
# whole after the hand-written delta (docs/development.md, "Releases").
NEW_PARTS   = $(SETTLE_PARTS)

# Released install scripts and the upgrades between them are frozen in
# versions/ (the upgrade tests start from them); the release being built adds
# one hand-written delta in src/upgrade/, which t/003 checks against a fresh
# install object by object.
AUX_CONTROL = $(patsubst %,$(EXTENSION)--%.control,$(filter $(PGCRYPTO_RELEASES),$(RELEASED)))
UPGRADE_BUILT = $(EXTENSION)--$(lastword $(UPGRADES)).sql
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql $(UPGRADE_BUILT) $(AUX_CONTROL)
DATA        = $(FROZEN)
GENERATED_SQL = src/ident/region_data.sql $(patsubst %,src/ident/%_ops.sql,resident_id region_code uscc health_identifier) \
                src/healthcode/health_code_ops.sql src/records/emr_ref_ops.sql src/rx/drug_code_ops.sql \
                src/rx/prescription_ops.sql
EXTRA_CLEAN = $(DATA_built) $(GENERATED_SQL)

# No -Werror here (a packager's newer compiler must not fail the build):
# CI adds it with `make COPT=-Werror` (.ci/run).
# (-Wno-clobbered: -Wextra's -Wclobbered flags PG_TRY's own _do_rethrow, a
# known false positive; variables set inside PG_TRY are declared volatile)
PG_CPPFLAGS = -I$(srcdir)/src -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-clobbered
SHLIB_LINK  = -lcrypto -licui18n -licuuc -lcbor -lz

REGRESS      = core_install $(filter-out core_install,$(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql))))
REGRESS_OPTS =
ISOLATION    = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=healthhub
TAP_TESTS    = 1

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
# No LLVM bitcode: a machine with only gcc must be able to build.
override with_llvm = no
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild when any header changes.
$(OBJS): $(wildcard src/*.h src/*/*.h)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@

$(UPGRADE_BUILT): $(DELTA) $(NEW_PARTS) src/platform/upgrade_end.sql
	cat $^ > $@

# The list and the files agree: every listed script exists, no frozen script
# is left unlisted, and the control file's default is the version being built.
$(foreach f,$(FROZEN) $(DELTA),$(if $(wildcard $(f)),,$(error $(f) is listed by versions/RELEASES but missing)))
$(foreach f,$(filter-out $(FROZEN),$(wildcard versions/$(EXTENSION)--*.sql)),$(error $(f) is not a release in versions/RELEASES))
$(foreach f,$(filter-out $(DELTA),$(wildcard src/upgrade/*.sql)),$(error $(f) is not the delta to $(EXTVERSION): freeze it into versions/ (make freeze)))
ifneq ($(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control),$(EXTVERSION))
$(error default_version in $(EXTENSION).control is not $(EXTVERSION), the last line of versions/RELEASES)
endif

$(AUX_CONTROL): $(EXTENSION)--%.control:
	printf "# healthhub %s as released: it required pgcrypto (unused; dropped in 0.6)\nrequires = 'pgcrypto'\n" $* > $@

# Release the version being built: freeze its install script and its
# upgrade (the delta and the new rooms) into versions/.  Then add the next
# version to versions/RELEASES, set default_version, empty NEW_PARTS, and
# start src/upgrade/healthhub--$(EXTVERSION)--<next>.sql.
freeze: $(EXTENSION)--$(EXTVERSION).sql $(UPGRADE_BUILT)
	@test ! -e versions/$< || { echo "versions/$< exists: $(EXTVERSION) is frozen already" >&2; exit 1; }
	cp $< versions/$<
	cp $(UPGRADE_BUILT) versions/$(UPGRADE_BUILT)
	git rm -q $(DELTA)
	@echo "frozen $(EXTVERSION); now add the next version to versions/RELEASES, empty NEW_PARTS and write its delta"

# Every identifier type gets the same operators and operator classes.
src/ident/%_ops.sql: src/core/comparison_ops.sql.in
	sed 's/@TYPE@/$*/g' $< > $@
src/healthcode/%_ops.sql: src/core/comparison_ops.sql.in
	sed 's/@TYPE@/$*/g' $< > $@
src/records/%_ops.sql: src/core/comparison_ops.sql.in
	sed 's/@TYPE@/$*/g' $< > $@
src/rx/%_ops.sql: src/core/comparison_ops.sql.in
	sed 's/@TYPE@/$*/g' $< > $@

src/ident/region_data.sql: data/regions.csv scripts/regions-to-sql.sh
	sh scripts/regions-to-sql.sh data/regions.csv > $@

.PHONY: demo test stop bench fuzz freeze
demo:
	@bash scripts/demo.sh
test:
	@bash scripts/test.sh
stop:
	@bash scripts/cluster.sh stop
bench:
	@bash scripts/bench.sh
fuzz:
	@bash scripts/fuzz.sh
