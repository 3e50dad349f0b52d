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

-- ---------------------------------------------------------------------------
-- 0.6, issue 11, "ready to scale out" (docs/scale-out.md): one predicate
-- for every row level security policy, a replica identity for every table,
-- keys made by sequences in the hub's block, rights derived on subscribers.
-- ---------------------------------------------------------------------------

-- One predicate, a plain call in every policy (no subquery: Citus).
-- The one predicate of every row level security policy (docs/security.md,
-- docs/scale-out.md): each policy is a plain call of it, with no subquery
-- (Citus refuses subqueries in policies).  access is
--   'read'   the caller does not act as an institution's application
--            (institution_app), or the row is of the institution it acts for;
--   'own'    the caller holds hub_admin, or the row is of its institution;
--   'admin'  the caller holds hub_admin;
--   'holder' the row is about role holder (still named holder_name), and
--            the caller is a member of it.
-- What the caller holds is asked once per query (has_profile() and
-- acting_institution(), as the caller), not once per row
-- (src/registry/row_access.c).
CREATE FUNCTION healthhub.row_allowed(access text, institution bigint DEFAULT NULL,
                                      holder regrole DEFAULT NULL, holder_name name DEFAULT NULL)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_row_allowed' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.row_allowed(text, bigint, regrole, name) IS
    'The predicate of every row level security policy: read, own, admin or holder access to a row';

ALTER POLICY role_profiles_own ON healthhub.role_profiles
    USING (healthhub.row_allowed('holder', NULL, role, role_name));
ALTER POLICY institutions_read ON healthhub.institutions
    USING (healthhub.row_allowed('read', institution_key));
ALTER POLICY institutions_admin ON healthhub.institutions
    USING (healthhub.row_allowed('admin'))
    WITH CHECK (healthhub.row_allowed('admin'));
ALTER POLICY registrations_read ON healthhub.registrations
    USING (healthhub.row_allowed('read', institution_key));
ALTER POLICY registrations_admin ON healthhub.registrations
    USING (healthhub.row_allowed('admin'))
    WITH CHECK (healthhub.row_allowed('admin'));
ALTER POLICY practice_privileges_read ON healthhub.practice_privileges
    USING (healthhub.row_allowed('read', institution_key));
ALTER POLICY practice_privileges_own_insert ON healthhub.practice_privileges
    WITH CHECK (healthhub.row_allowed('own', institution_key));
ALTER POLICY practice_privileges_own_update ON healthhub.practice_privileges
    USING (healthhub.row_allowed('own', institution_key))
    WITH CHECK (healthhub.row_allowed('own', institution_key));
ALTER POLICY practice_privileges_admin_delete ON healthhub.practice_privileges
    USING (healthhub.row_allowed('admin'));
ALTER POLICY source_records_read ON healthhub.source_records
    USING (healthhub.row_allowed('own', institution_key));

-- Record ids, person identifier keys and link event ids count in the hub's
-- block of keys; init_hub() places them there.
-- The sequences that number rows without mint_key() (record ids, person
-- identifier keys, link event ids) count inside this hub's block of keys,
-- hub_id * 10^10 + 1 .. hub_id * 10^10 + 9999999999, as minted keys do:
-- rows published to another hub never collide with that hub's own
-- (docs/scale-out.md).  init_hub() calls it; a sequence already counting
-- in the block keeps its place.  (The numbers are computed, not read from
-- input: format() only spells them.)
CREATE FUNCTION healthhub.place_sequences_in_hub_block(hub bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lo bigint;
    hi bigint;
    seq regclass;
    last bigint;
BEGIN
    IF hub IS NULL OR hub < 1 OR hub > 99999999 THEN
        RAISE EXCEPTION 'hub id % is out of range', hub
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A hub id is a region code and a two-digit instance, 8 digits.';
    END IF;
    lo := hub * 10000000000 + 1;
    hi := hub * 10000000000 + 9999999999;
    FOR seq IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
                WHERE c.oid IN (to_regclass('healthhub.record_seq'), to_regclass('healthhub.person_identifier_seq'),
                                to_regclass('healthhub.link_events_event_id_seq'))
                ORDER BY c.relname LOOP
        SELECT s.last_value INTO last FROM pg_catalog.pg_sequences s      -- (NULL: never called)
         WHERE format('%I.%I', s.schemaname, s.sequencename)::regclass = seq;
        EXECUTE format('ALTER SEQUENCE %s START WITH %s MINVALUE %s MAXVALUE %s NO CYCLE%s', seq, lo, lo, hi,
                       CASE WHEN last BETWEEN lo AND hi THEN '' ELSE format(' RESTART WITH %s', lo) END);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION healthhub.place_sequences_in_hub_block(bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION healthhub.init_hub(region healthhub.region_code, instance integer)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id  bigint;
    old     healthhub.hub%ROWTYPE;
    minted  boolean;
BEGIN
    IF instance < 0 OR instance > 99 THEN
        RAISE EXCEPTION 'hub instance number % is out of range', instance
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The instance number has two digits, 00 to 99.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM healthhub.regions r
                    WHERE r.code OPERATOR(healthhub.=) region
                      AND r.kind = 'division' AND r.valid_to IS NULL) THEN
        RAISE EXCEPTION 'region % is not a current division', region
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A hub is identified by a division code in force, from healthhub.regions.';
    END IF;
    new_id := region::integer::bigint * 100 + instance;

    -- Minting reads this table: an ACCESS EXCLUSIVE lock waits for every
    -- transaction that may have minted under the old identity, and makes
    -- every later mint wait for the new one (specs/hub_identity.spec).
    LOCK TABLE healthhub.hub IN ACCESS EXCLUSIVE MODE;
    SELECT * INTO old FROM healthhub.hub;
    IF FOUND THEN
        IF old.hub_id = new_id THEN
            RETURN new_id;
        END IF;
        SELECT s.is_called INTO minted FROM healthhub.key_seq s;
        IF minted THEN
            RAISE EXCEPTION 'hub identity cannot change after keys were minted'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('This hub is %s and has minted keys that embed it.', old.hub_id),
                      HINT = 'A hub''s identity is fixed once keys exist; set up a new hub instead.';
        END IF;
        UPDATE healthhub.hub h
           SET region = init_hub.region, instance = init_hub.instance, hub_id = new_id,
               initialised_at = now(), initialised_by = CURRENT_USER;
        RAISE NOTICE 'hub identity changed from % to %', old.hub_id, new_id;
    ELSE
        INSERT INTO healthhub.hub (region, instance, hub_id)
        VALUES (init_hub.region, init_hub.instance, new_id);
    END IF;
    PERFORM healthhub.place_sequences_in_hub_block(new_id);
    RETURN new_id;
END
$$;

-- person_identifiers gets a key (its replica identity).  An initialised hub
-- places its sequences first: existing rows get keys of its block, and new
-- record ids and link event ids follow in it (the old ones, below 10^10,
-- never meet them).
CREATE SEQUENCE healthhub.person_identifier_seq;
SELECT pg_catalog.pg_extension_config_dump('healthhub.person_identifier_seq', '');
DO $$
BEGIN
    IF EXISTS (SELECT FROM healthhub.hub) THEN
        PERFORM healthhub.place_sequences_in_hub_block((SELECT h.hub_id FROM healthhub.hub h));
    END IF;
END
$$;
ALTER TABLE healthhub.person_identifiers
    ADD COLUMN identifier_key bigint NOT NULL DEFAULT pg_catalog.nextval('healthhub.person_identifier_seq');
ALTER TABLE healthhub.person_identifiers ADD CONSTRAINT person_identifiers_pkey PRIMARY KEY (identifier_key);
ALTER SEQUENCE healthhub.person_identifier_seq OWNED BY healthhub.person_identifiers.identifier_key;

-- Replica identities: hub_id in it where a publication filters on it; a key
-- for consortium_members; the whole row for work space and load_errors.
CREATE UNIQUE INDEX institutions_replica_identity ON healthhub.institutions (institution_key, hub_id);
ALTER TABLE healthhub.institutions REPLICA IDENTITY USING INDEX institutions_replica_identity;
CREATE UNIQUE INDEX consortia_replica_identity ON healthhub.consortia (consortium_key, hub_id);
ALTER TABLE healthhub.consortia REPLICA IDENTITY USING INDEX consortia_replica_identity;
CREATE UNIQUE INDEX practitioners_replica_identity ON healthhub.practitioners (practitioner_key, hub_id);
ALTER TABLE healthhub.practitioners REPLICA IDENTITY USING INDEX practitioners_replica_identity;
CREATE UNIQUE INDEX licences_replica_identity ON healthhub.licences (licence_key, hub_id);
ALTER TABLE healthhub.licences REPLICA IDENTITY USING INDEX licences_replica_identity;
CREATE UNIQUE INDEX blacklist_replica_identity ON healthhub.blacklist (entry_key, hub_id);
ALTER TABLE healthhub.blacklist REPLICA IDENTITY USING INDEX blacklist_replica_identity;
CREATE UNIQUE INDEX persons_replica_identity ON healthhub.persons (person_key, hub_id);
ALTER TABLE healthhub.persons REPLICA IDENTITY USING INDEX persons_replica_identity;
ALTER TABLE healthhub.consortium_members
    ADD CONSTRAINT consortium_members_pkey PRIMARY KEY (consortium_key, institution_key, period);
ALTER TABLE healthhub.stage_institutions REPLICA IDENTITY FULL;
ALTER TABLE healthhub.stage_practitioners REPLICA IDENTITY FULL;
ALTER TABLE healthhub.stage_licences REPLICA IDENTITY FULL;
ALTER TABLE healthhub.stage_registrations REPLICA IDENTITY FULL;
ALTER TABLE healthhub.stage_blacklist REPLICA IDENTITY FULL;
ALTER TABLE healthhub.load_errors REPLICA IDENTITY FULL;
ALTER TABLE healthhub.stage_person_records REPLICA IDENTITY FULL;

-- A subscriber derives practice rights from the rows it receives.
ALTER TABLE healthhub.licences ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.licence_status_history ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.registrations ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.practice_privileges ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.blacklist ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.institutions ENABLE ALWAYS TRIGGER zz_practice_rights;

-- ==== One function says who is calling: calling_role() is a deprecated alias of acting_role() ====
CREATE OR REPLACE FUNCTION healthhub.calling_role() RETURNS name
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN healthhub.acting_role();

COMMENT ON FUNCTION healthhub.calling_role() IS 'deprecated: use healthhub.acting_role(); removed in 0.7';

CREATE OR REPLACE FUNCTION healthhub.person_pseudonym(person bigint) RETURNS text
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller name := healthhub.acting_role();
    p record;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_pseudonym', ARRAY['person'], ARRAY[person IS NULL]);
    IF healthhub.presentation_for(caller, 'resident_id') NOT IN ('pseudonym', 'full') THEN
        RAISE EXCEPTION 'permission denied for pseudonyms'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role %s may not see ID numbers or their pseudonyms.', caller);
    END IF;
    SELECT x.resident_id, x.redirected_to INTO p FROM healthhub.persons x WHERE x.person_key = person;
    FOR hop IN 1 .. 100 LOOP                 -- a merged person: its survivor
        EXIT WHEN p.redirected_to IS NULL;
        SELECT x.resident_id, x.redirected_to INTO p FROM healthhub.persons x WHERE x.person_key = p.redirected_to;
    END LOOP;
    IF p.resident_id IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN healthhub.pseudonym(p.resident_id);
END
$$;

CREATE OR REPLACE FUNCTION healthhub.check_own_institution(institution bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller name := healthhub.acting_role();
    own bigint := healthhub.institution_of(caller);
BEGIN
    PERFORM healthhub.require_arguments('healthhub.check_own_institution', ARRAY['institution'],
                                        ARRAY[institution IS NULL]);
    -- (fails closed: a role in two institutions' groups acts for neither,
    -- and may ask about none; roles of no institution, an insurer, any)
    IF own IS DISTINCT FROM institution
       AND EXISTS (SELECT 1 FROM healthhub.effective_profiles(caller) ep WHERE ep.institution_key IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM healthhub.effective_profiles(caller) ep WHERE ep.profile = 'hub_admin') THEN
        RAISE EXCEPTION 'role % acts for another institution', caller
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = CASE WHEN own IS NULL
                                THEN 'It holds profiles of several institutions, so it acts for none.'
                                ELSE 'A role that acts for an institution may ask about that institution only.' END;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.why_not_practise(practitioner bigint, act text, institution bigint,
                                           "at" timestamptz DEFAULT pg_catalog.now(), privilege text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    inst healthhub.institutions%ROWTYPE;
    l record;
    st record;
    b record;
    reasons text[] := '{}';
    some_licence_ok boolean := false;
    -- Licence numbers and the reasons of suspensions are the licensing
    -- authority's, not every institution's: hub_admin reads them, others
    -- read what stands in the way.
    detailed boolean := (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.acting_role())
                        OR EXISTS (SELECT 1 FROM healthhub.effective_profiles(healthhub.acting_role()) ep
                                    WHERE ep.profile = 'hub_admin');
BEGIN
    PERFORM healthhub.require_arguments('healthhub.why_not_practise',
                                        ARRAY['practitioner', 'act', 'institution', 'at'],
                                        ARRAY[practitioner IS NULL, act IS NULL, institution IS NULL, "at" IS NULL]);
    PERFORM healthhub.check_own_institution(institution);
    -- the detailed answer holds the reasons of suspensions: a read
    IF detailed THEN
        PERFORM healthhub.audit_append('read', 'practice_reasons', practitioner::text, NULL,
                                       'registry maintenance', 'ok', practitioner);
    END IF;
    IF healthhub.may_practise(practitioner, act, institution, "at", privilege) THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM healthhub.practitioners p WHERE p.practitioner_key = practitioner) THEN
        RETURN 'unknown practitioner';
    END IF;
    SELECT * INTO inst FROM healthhub.institutions i WHERE i.institution_key = institution;
    IF NOT FOUND THEN
        RETURN 'unknown institution';
    END IF;

    FOR l IN SELECT * FROM healthhub.licences x
              WHERE x.practitioner_key = practitioner AND x.kind = act
              ORDER BY lower(x.validity) DESC, x.licence_key LOOP
        IF NOT l.validity @> "at" THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not valid at %s (valid %s)', act, l.licence_no, "at", l.validity)
                ELSE format('%s licence is not valid at %s', act, "at") END;
            CONTINUE;
        END IF;
        SELECT h.status, h.effective, h.reason INTO st FROM healthhub.licence_status_history h
         WHERE h.licence_key = l.licence_key AND h.effective <= "at"
         ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
        IF FOUND AND st.status <> 'active' THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is %s since %s: %s', act, l.licence_no, st.status, st.effective, st.reason)
                ELSE format('%s licence is %s since %s', act, st.status, st.effective) END;
            CONTINUE;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM healthhub.registrations r
                        WHERE r.licence_key = l.licence_key AND r.institution_key = institution
                          AND r.period @> "at") THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not registered at %s at %s', act, l.licence_no, inst.name, "at")
                ELSE format('%s licence is not registered at %s at %s', act, inst.name, "at") END;
            CONTINUE;
        END IF;
        some_licence_ok := true;
    END LOOP;
    IF NOT FOUND AND cardinality(reasons) = 0 THEN
        RETURN format('no %s licence', act);
    END IF;
    IF NOT some_licence_ok THEN
        RETURN array_to_string(reasons, '; ');
    END IF;

    IF NOT inst.valid @> "at" THEN
        reasons := reasons || format('%s is not operating at %s', inst.name, "at");
    END IF;
    FOR b IN SELECT x.subject_kind, x.reason, x.source, x.period FROM healthhub.blacklist x
              WHERE (x.practitioner_key = practitioner OR x.institution_key = institution)
                AND x.period @> "at"
              ORDER BY x.subject_kind DESC, lower(x.period), x.entry_key LOOP
        reasons := reasons || format('%s blacklisted %s (%s: %s)',
                                     CASE b.subject_kind WHEN 'practitioner' THEN 'practitioner' ELSE 'institution ' || inst.name END,
                                     CASE WHEN upper_inf(b.period) THEN 'since ' || lower(b.period)
                                          ELSE 'during ' || b.period::text END,
                                     b.source, b.reason);
    END LOOP;
    IF cardinality(reasons) = 0 AND privilege IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM healthhub.practice_privileges g
                        WHERE g.practitioner_key = practitioner AND g.institution_key = institution
                          AND (g.privilege = why_not_practise.privilege
                               OR (why_not_practise.privilege = 'antimicrobial_restricted'
                                   AND g.privilege = 'antimicrobial_special'))
                          AND g.period @> "at") THEN
        reasons := reasons || format('privilege %s is not granted at %s at %s', privilege, inst.name, "at");
    END IF;
    IF cardinality(reasons) = 0 THEN
        RETURN 'the derived practice rights are out of date; run healthhub.recompute_practice_rights()';
    END IF;
    RETURN array_to_string(reasons, '; ');
END
$$;

