-- healthhub 0.5 -> 0.6: structure for the next areas (issue 11;
-- docs/development.md).  Hand-written: t/003 checks that an upgraded
-- database equals a fresh 0.6, object by object.
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.6'" to load this file. \quit

-- ==== Naming: accessors of the types are <type>_<attribute>; the old names are deprecated aliases ====
ALTER FUNCTION healthhub.birth_date(healthhub.resident_id) RENAME TO resident_id_birth_date;
ALTER FUNCTION healthhub.sex(healthhub.resident_id) RENAME TO resident_id_sex;
ALTER FUNCTION healthhub.region(healthhub.resident_id) RENAME TO resident_id_region;
ALTER FUNCTION healthhub.issuer_kind(healthhub.resident_id) RENAME TO resident_id_issuer_kind;
ALTER FUNCTION healthhub.age(healthhub.resident_id, date) RENAME TO resident_id_age;
ALTER FUNCTION healthhub.mask(healthhub.resident_id) RENAME TO resident_id_mask;
ALTER FUNCTION healthhub.registration_authority(healthhub.uscc) RENAME TO uscc_registration_authority;
ALTER FUNCTION healthhub.category(healthhub.uscc) RENAME TO uscc_category;
ALTER FUNCTION healthhub.organization_code(healthhub.uscc) RENAME TO uscc_organization_code;
ALTER FUNCTION healthhub.region(healthhub.uscc) RENAME TO uscc_region;
ALTER FUNCTION healthhub.province(healthhub.region_code) RENAME TO region_code_province;
ALTER FUNCTION healthhub.nominal_level(healthhub.region_code) RENAME TO region_code_nominal_level;
ALTER FUNCTION healthhub.region_name(healthhub.region_code) RENAME TO region_code_name;
ALTER FUNCTION healthhub.level(healthhub.region_code) RENAME TO region_code_level;
ALTER FUNCTION healthhub.parent(healthhub.region_code) RENAME TO region_code_parent;
ALTER FUNCTION healthhub.current_region(healthhub.region_code) RENAME TO region_code_current;
ALTER FUNCTION healthhub.contains(healthhub.region_code, healthhub.region_code) RENAME TO region_code_contains;
ALTER FUNCTION healthhub.contained_by(healthhub.region_code, healthhub.region_code) RENAME TO region_code_contained_by;
ALTER FUNCTION healthhub.kind(healthhub.health_identifier) RENAME TO health_identifier_kind;
ALTER FUNCTION healthhub.issuer(healthhub.health_identifier) RENAME TO health_identifier_issuer;
-- The names of 0.5 and before, kept for one release (removed in 0.7): an
-- accessor of one of healthhub's types is now named <type>_<attribute>
-- (docs/development.md, "Naming"), so that the areas sharing the schema do
-- not compete for kind(), level(), region() or contains().  Each old name
-- calls the new one.

CREATE FUNCTION healthhub.birth_date(healthhub.resident_id) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_birth_date($1);
COMMENT ON FUNCTION healthhub.birth_date(healthhub.resident_id) IS 'deprecated: use healthhub.resident_id_birth_date(); removed in 0.7';

CREATE FUNCTION healthhub.sex(healthhub.resident_id) RETURNS smallint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_sex($1);
COMMENT ON FUNCTION healthhub.sex(healthhub.resident_id) IS 'deprecated: use healthhub.resident_id_sex(); removed in 0.7';

CREATE FUNCTION healthhub.region(healthhub.resident_id) RETURNS healthhub.region_code
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_region($1);
COMMENT ON FUNCTION healthhub.region(healthhub.resident_id) IS 'deprecated: use healthhub.resident_id_region(); removed in 0.7';

CREATE FUNCTION healthhub.issuer_kind(healthhub.resident_id) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_issuer_kind($1);
COMMENT ON FUNCTION healthhub.issuer_kind(healthhub.resident_id) IS 'deprecated: use healthhub.resident_id_issuer_kind(); removed in 0.7';

CREATE FUNCTION healthhub.age(healthhub.resident_id, date) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_age($1, $2);
COMMENT ON FUNCTION healthhub.age(healthhub.resident_id, date) IS 'deprecated: use healthhub.resident_id_age(); removed in 0.7';

CREATE FUNCTION healthhub.mask(healthhub.resident_id) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_mask($1);
COMMENT ON FUNCTION healthhub.mask(healthhub.resident_id) IS 'deprecated: use healthhub.resident_id_mask(); removed in 0.7';

CREATE FUNCTION healthhub.registration_authority(healthhub.uscc) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.uscc_registration_authority($1);
COMMENT ON FUNCTION healthhub.registration_authority(healthhub.uscc) IS 'deprecated: use healthhub.uscc_registration_authority(); removed in 0.7';

CREATE FUNCTION healthhub.category(healthhub.uscc) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.uscc_category($1);
COMMENT ON FUNCTION healthhub.category(healthhub.uscc) IS 'deprecated: use healthhub.uscc_category(); removed in 0.7';

CREATE FUNCTION healthhub.organization_code(healthhub.uscc) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.uscc_organization_code($1);
COMMENT ON FUNCTION healthhub.organization_code(healthhub.uscc) IS 'deprecated: use healthhub.uscc_organization_code(); removed in 0.7';

CREATE FUNCTION healthhub.region(healthhub.uscc) RETURNS healthhub.region_code
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.uscc_region($1);
COMMENT ON FUNCTION healthhub.region(healthhub.uscc) IS 'deprecated: use healthhub.uscc_region(); removed in 0.7';

CREATE FUNCTION healthhub.province(healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_province($1);
COMMENT ON FUNCTION healthhub.province(healthhub.region_code) IS 'deprecated: use healthhub.region_code_province(); removed in 0.7';

CREATE FUNCTION healthhub.nominal_level(healthhub.region_code) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_nominal_level($1);
COMMENT ON FUNCTION healthhub.nominal_level(healthhub.region_code) IS 'deprecated: use healthhub.region_code_nominal_level(); removed in 0.7';

CREATE FUNCTION healthhub.region_name(healthhub.region_code) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_name($1);
COMMENT ON FUNCTION healthhub.region_name(healthhub.region_code) IS 'deprecated: use healthhub.region_code_name(); removed in 0.7';

CREATE FUNCTION healthhub.level(healthhub.region_code) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_level($1);
COMMENT ON FUNCTION healthhub.level(healthhub.region_code) IS 'deprecated: use healthhub.region_code_level(); removed in 0.7';

CREATE FUNCTION healthhub.parent(healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_parent($1);
COMMENT ON FUNCTION healthhub.parent(healthhub.region_code) IS 'deprecated: use healthhub.region_code_parent(); removed in 0.7';

CREATE FUNCTION healthhub.current_region(healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_current($1);
COMMENT ON FUNCTION healthhub.current_region(healthhub.region_code) IS 'deprecated: use healthhub.region_code_current(); removed in 0.7';

CREATE FUNCTION healthhub.contains(healthhub.region_code, healthhub.region_code) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_contains($1, $2);
COMMENT ON FUNCTION healthhub.contains(healthhub.region_code, healthhub.region_code) IS 'deprecated: use healthhub.region_code_contains(); removed in 0.7';

CREATE FUNCTION healthhub.contained_by(healthhub.region_code, healthhub.region_code) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_contained_by($1, $2);
COMMENT ON FUNCTION healthhub.contained_by(healthhub.region_code, healthhub.region_code) IS 'deprecated: use healthhub.region_code_contained_by(); removed in 0.7';

CREATE FUNCTION healthhub.kind(healthhub.health_identifier) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.health_identifier_kind($1);
COMMENT ON FUNCTION healthhub.kind(healthhub.health_identifier) IS 'deprecated: use healthhub.health_identifier_kind(); removed in 0.7';

CREATE FUNCTION healthhub.issuer(healthhub.health_identifier) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.health_identifier_issuer($1);
COMMENT ON FUNCTION healthhub.issuer(healthhub.health_identifier) IS 'deprecated: use healthhub.health_identifier_issuer(); removed in 0.7';

-- ==== Vocabularies as tables: the kinds of personal data of the masking policy ====
CREATE TABLE healthhub.data_kinds (
    data_kind   text PRIMARY KEY CHECK (data_kind ~ '^[a-z][a-z0-9_]*$'),
    description text NOT NULL
);
INSERT INTO healthhub.data_kinds VALUES
    ('resident_id', 'resident ID numbers (the only kind shown as a pseudonym)'),
    ('name', 'names of persons'),
    ('phone', 'phone numbers'),
    ('address', 'addresses');
GRANT SELECT ON healthhub.data_kinds TO PUBLIC;
ALTER TABLE healthhub.masking_policy DROP CONSTRAINT masking_policy_data_kind_check;
ALTER TABLE healthhub.masking_policy ADD FOREIGN KEY (data_kind) REFERENCES healthhub.data_kinds;
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.data_kinds', 'catalogue', 'written by each area''s install script');
