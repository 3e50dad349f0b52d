# healthhub: PGXS build.  The install script is assembled from the SQL that
# lives beside each area's C code, in the fixed order of SQL_PARTS.

EXTENSION   = healthhub
EXTVERSION  = 0.6
MODULE_big  = healthhub

CORE_OBJS   = src/core/checkdigit.o src/core/textnorm.o
REGISTRY_OBJS = src/registry/practice_claims.o src/registry/pseudonym.o src/registry/audit_hash.o src/registry/audit_append.o src/registry/audit_sealer.o src/registry/audit_writer.o src/registry/institution_cache.o src/registry/practice_rights.o src/registry/row_access.o src/core/digest.o
IDENT_OBJS  = src/ident/resident_id_parse.o src/ident/uscc_parse.o \
              src/ident/region_code_parse.o src/ident/health_identifier_parse.o \
              src/ident/resident_id.o src/ident/uscc.o src/ident/region_code.o \
              src/ident/health_identifier.o src/ident/ident_error.o
LINKAGE_OBJS = src/linkage/name_key.o src/linkage/compare.o src/linkage/han_icu.o src/linkage/compare_sql.o src/linkage/record_compare.o src/linkage/resolve.o src/linkage/cluster.o src/linkage/record_fields.o src/linkage/record_fields_sql.o src/linkage/golden.o src/linkage/block_keys.o src/linkage/block_pairs.o src/linkage/plan_freshness.o
OBJS        = src/healthhub.o $(CORE_OBJS) $(IDENT_OBJS) $(REGISTRY_OBJS) $(LINKAGE_OBJS)

# Order matters: later parts use what earlier parts create.
SQL_PARTS   = src/core/prelude.sql \
              src/ident/region_code.sql src/ident/region_code_ops.sql \
              src/ident/regions.sql src/ident/region_data.sql \
              src/ident/resident_id.sql src/ident/resident_id_ops.sql \
              src/ident/uscc.sql src/ident/uscc_ops.sql \
              src/ident/health_identifier.sql src/ident/health_identifier_ops.sql \
              src/ident/hub.sql src/ident/deprecated_names.sql \
              src/core/epilogue.sql
# The current release is the sources as they are (src/ is the truth: a
# function is edited where it lives); the parts are cat'ed in this order.
SQL_PARTS  += src/registry/arguments.sql \
              src/registry/audit_changes.sql \
              src/registry/profiles.sql \
              src/registry/masking.sql \
              src/registry/audit.sql \
              src/registry/registry.sql \
              src/registry/loading.sql \
              src/registry/acting_role.sql \
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

# Released install scripts and the upgrades between them are frozen in
# versions/ (the upgrade tests start from them); each release after 0.3 adds
# one hand-written delta in src/upgrade/, which t/003 checks against a fresh
# install object by object.
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
DATA        = $(wildcard versions/$(EXTENSION)--*.sql) $(wildcard src/upgrade/$(EXTENSION)--*--*.sql)
GENERATED_SQL = src/ident/region_data.sql $(patsubst %,src/ident/%_ops.sql,resident_id region_code uscc health_identifier)
EXTRA_CLEAN = $(DATA_built) $(GENERATED_SQL)

PG_CPPFLAGS = -I$(srcdir)/src -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK  = -lcrypto -licui18n -licuuc

REGRESS      = core_install $(filter-out core_install,$(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql))))
REGRESS_OPTS =
ISOLATION    = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=pgcrypto --load-extension=healthhub
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

# Every identifier type gets the same operators and operator classes.
src/ident/%_ops.sql: src/core/comparison_ops.sql.in
	sed 's/@TYPE@/$*/g' $< > $@

src/ident/region_data.sql: data/regions.csv scripts/regions-to-sql.sh
	sh scripts/regions-to-sql.sh data/regions.csv > $@

.PHONY: demo test stop bench fuzz
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
