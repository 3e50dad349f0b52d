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


-- ==== The loading framework (issue 11): src/platform/loading.sql; load_registry and link_batch use it ====
-- healthhub.loads and load_errors move to the platform (same tables); a
-- load has a kind (registry or person_records: link_batch's rows are those
-- with a model version in their outcome; the type change rewrites the table
-- without firing its triggers).
ALTER TABLE healthhub.loads ADD COLUMN kind text NOT NULL DEFAULT 'registry'
    CHECK (kind IN ('registry', 'person_records'));
ALTER TABLE healthhub.loads ALTER COLUMN kind TYPE text
    USING CASE WHEN outcome ? 'model_version' THEN 'person_records' ELSE kind END;
ALTER TABLE healthhub.loads ALTER COLUMN kind DROP DEFAULT;
COMMENT ON TABLE healthhub.loads IS 'Every load of a file (registry, person records), keyed on (source, file digest); mode snapshot or delta';
-- the change trigger skips rows a load writes (its own entry records them)
CREATE OR REPLACE FUNCTION healthhub.audit_changes() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r jsonb;
    object_id text;
BEGIN
    IF healthhub.load_in_progress() IS NOT NULL THEN
        RETURN NULL;                        -- recorded by the load's entry
    END IF;
    r := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    IF TG_OP = 'INSERT' AND healthhub.is_restoring()
       AND (r ->> 'recorded_at')::timestamptz IS DISTINCT FROM now() THEN
        RETURN NULL;                        -- a row a restore replays changes nothing
    END IF;
    IF TG_OP = 'UPDATE' AND to_jsonb(OLD) - string_to_array(coalesce(TG_ARGV[3], ''), ',')
                          = r - string_to_array(coalesce(TG_ARGV[3], ''), ',') THEN
        RETURN NULL;                        -- only bookkeeping columns changed
    END IF;
    SELECT string_agg(r ->> c, '/' ORDER BY n) INTO object_id
      FROM unnest(string_to_array(nullif(TG_ARGV[1], ''), ',')) WITH ORDINALITY AS k(c, n);
    PERFORM healthhub.audit_append(TG_ARGV[0] || '.' || lower(TG_OP), TG_ARGV[0], object_id,
                                   (r ->> 'person_key')::bigint, TG_ARGV[2], 'ok',
                                   (r ->> 'practitioner_key')::bigint);
    RETURN NULL;
END
$$;

-- require_load_key(batch_name, file_digest) becomes the framework's, with a kind and a mode
DROP FUNCTION healthhub.require_load_key(text, text);
-- The marker "this transaction is writing load N" (src/platform/load_writes.c).
CREATE OR REPLACE FUNCTION healthhub.begin_load_writes(load_id bigint) RETURNS void
    AS 'MODULE_PATHNAME', 'hh_begin_load_writes' LANGUAGE C VOLATILE;
CREATE OR REPLACE FUNCTION healthhub.end_load_writes() RETURNS void
    AS 'MODULE_PATHNAME', 'hh_end_load_writes' LANGUAGE C VOLATILE;
CREATE OR REPLACE FUNCTION healthhub.load_in_progress() RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_load_in_progress' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION healthhub.begin_load_writes(bigint) IS
    'Until end_load_writes() or the end of the transaction, rows written are recorded by load load_id''s entry, not one by one (loaders only)';
COMMENT ON FUNCTION healthhub.load_in_progress() IS
    'The load this transaction is writing (begin_load_writes), or NULL';
REVOKE ALL ON FUNCTION healthhub.begin_load_writes(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.end_load_writes() FROM PUBLIC;


-- Does a (trimmed, non-empty) text surely convert, without trying?  The
-- common forms are decided here, by C checks and patterns, so that
-- load_problem (a subtransaction per call) runs only for the rest: rows
-- that are bad, or unusual (a timestamp with a time).  Region codes are
-- decided by load_check_type against healthhub.regions.
CREATE OR REPLACE FUNCTION healthhub.load_value_ok(value text, type text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
RETURN CASE type
    WHEN 'timestamptz' THEN
        CASE WHEN value ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
                  AND substr(value, 1, 4)::integer >= 1
             THEN substr(value, 9, 2)::integer
                  <= extract(day FROM make_date(substr(value, 1, 4)::integer, substr(value, 6, 2)::integer, 1)
                                      + interval '1 month - 1 day')
             ELSE false END
    WHEN 'uscc' THEN healthhub.is_valid_uscc(value)
    WHEN 'resident_id' THEN healthhub.is_valid_resident_id(value)
    ELSE false END;

-- Why a (trimmed, non-empty) text is not a value of the type; a resident ID
-- number's reason never repeats the number.
CREATE OR REPLACE FUNCTION healthhub.load_value_problem(value text, type text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
RETURN CASE type
    WHEN 'resident_id' THEN healthhub.resident_id_problem(value)
    WHEN 'region_code' THEN coalesce(healthhub.load_problem(value, type), 'is not in healthhub.regions')
    ELSE healthhub.load_problem(value, type) END;

-- A load's key, as healthhub.loads keeps it: clear errors (22023) for a
-- bad source (a batch name for person records), digest, kind or mode.
-- Anyone may check a key with it (docs/linkage.md).
CREATE OR REPLACE FUNCTION healthhub.require_load_key(source text, file_digest text, kind text DEFAULT 'person_records',
                                           mode text DEFAULT 'delta') RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    noun text := CASE kind WHEN 'person_records' THEN 'batch name' ELSE 'load source' END;
BEGIN
    IF kind IS NULL OR kind NOT IN ('registry', 'person_records') THEN
        RAISE EXCEPTION 'invalid load kind: %', coalesce(quote_literal(kind), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The kinds are registry and person_records.';
    END IF;
    IF source IS NULL OR btrim(source) !~ '^[A-Za-z0-9_.:-]{1,64}$' THEN
        RAISE EXCEPTION 'invalid %: %', noun, coalesce(quote_literal(source), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('A %s is 1 to 64 letters, digits, "_", ".", ":" or "-".', noun);
    END IF;
    IF file_digest IS NULL OR lower(btrim(file_digest)) !~ '^([a-z0-9]+:)?[0-9a-f]{32,128}$' THEN
        RAISE EXCEPTION 'invalid file digest: %', coalesce(quote_literal(file_digest), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A file digest is 32 to 128 hex digits, optionally after an algorithm name and a colon.',
                  HINT = 'For example ''sha256:'' || the output of sha256sum of the file.';
    END IF;
    IF mode IS NULL OR mode NOT IN ('snapshot', 'delta') THEN
        RAISE EXCEPTION 'invalid load mode: %', coalesce(quote_literal(mode), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A load is a "snapshot" (rows of the source absent from the file are ended) or a "delta".';
    END IF;
END
$$;

-- Begin a load of one file: validate its key, and return the new load's id
-- (already_loaded false) or the id of the load that read this file before
-- (already_loaded true, with a NOTICE; the caller changes nothing).  Loads
-- with the same key wait for each other: the second sees the first's row
-- once it commits.
CREATE OR REPLACE FUNCTION healthhub.begin_load(kind text, source text, file_digest text, mode text,
                                     OUT load_id bigint, OUT already_loaded boolean)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    src text := btrim(source);
    digest text := lower(btrim(file_digest));
    earlier_kind text;
BEGIN
    PERFORM healthhub.require_load_key(source, file_digest, kind, mode);
    INSERT INTO healthhub.loads AS l (kind, source, file_digest, mode, loaded_by)
    VALUES (kind, src, digest, mode, healthhub.acting_role())
    ON CONFLICT ON CONSTRAINT loads_source_file_digest_key DO NOTHING
    RETURNING l.load_id INTO load_id;
    already_loaded := load_id IS NULL;
    IF already_loaded THEN
        SELECT l.load_id, l.kind INTO load_id, earlier_kind FROM healthhub.loads l
         WHERE l.source = src AND l.file_digest = digest;
        IF earlier_kind <> kind THEN
            RAISE EXCEPTION 'file % of source % was loaded before as %, not %', digest, src, earlier_kind, kind
                USING ERRCODE = 'unique_violation',
                      DETAIL = format('Load %s read it.', load_id);
        END IF;
        RAISE NOTICE 'file % of source % was already loaded; nothing changed', digest, src;
    END IF;
END
$$;

-- The SQL of the value an error row keeps: the value itself, its first six
-- characters (an identity number), or nothing (a name).
CREATE OR REPLACE FUNCTION healthhub.load_shown(col text, shown text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
RETURN CASE shown WHEN 'value' THEN format('s.%I', col)
                  WHEN 'masked' THEN format('left(s.%I, 6) || ''********''', col)
                  WHEN 'none' THEN 'NULL::text' END;

-- Rule: the columns must not be empty.
CREATE OR REPLACE FUNCTION healthhub.load_require(load_id bigint, entity text, stage regclass, cols text[],
                                       shown text DEFAULT 'value') RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c text;
BEGIN
    FOREACH c IN ARRAY cols LOOP
        EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                        SELECT $1, $2, s.line_no, $3, %s, ''is required'' FROM %s s
                         WHERE coalesce(btrim(s.%I), '''') = ''''', healthhub.load_shown(c, shown), stage, c)
        USING load_id, entity, c;
    END LOOP;
END
$$;

-- Rule: the column is one of the allowed values (empty: allowed unless required).
CREATE OR REPLACE FUNCTION healthhub.load_check_in(load_id bigint, entity text, stage regclass, col text, allowed text[],
                                        required boolean, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4 FROM %s s
                     WHERE CASE WHEN coalesce(btrim(s.%I), '''') = '''' THEN $5
                                ELSE btrim(s.%I) <> ALL ($6) END', col, stage, col, col)
    USING load_id, entity, col, reason, required, allowed;
END
$$;

-- Rule: the column matches a pattern (empty: does not match).
CREATE OR REPLACE FUNCTION healthhub.load_check_pattern(load_id bigint, entity text, stage regclass, col text, pattern text,
                                             reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4 FROM %s s
                     WHERE coalesce(btrim(s.%I) ~ $5, false) IS NOT TRUE', col, stage, col)
    USING load_id, entity, col, reason, pattern;
END
$$;

-- Rule: the column converts to the type (timestamptz, uscc, region_code:
-- also in healthhub.regions, resident_id); empty is "is required" when required.
CREATE OR REPLACE FUNCTION healthhub.load_check_type(load_id bigint, entity text, stage regclass, col text, type text,
                                          required boolean, shown text DEFAULT 'value') RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF type NOT IN ('timestamptz', 'uscc', 'region_code', 'resident_id') THEN
        RAISE EXCEPTION 'load_check_type does not know type "%"', type USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, %s, p.reason FROM %s s
                     CROSS JOIN LATERAL (SELECT nullif(btrim(s.%I), '''') AS v) t
                     CROSS JOIN LATERAL (SELECT CASE
                         WHEN t.v IS NULL THEN CASE WHEN $4 THEN ''is required'' END
                         WHEN %s THEN NULL
                         ELSE healthhub.load_value_problem(t.v, $5) END AS reason) p
                     WHERE p.reason IS NOT NULL',
                   healthhub.load_shown(col, shown), stage, col,
                   -- (region codes: one hashed look-up in the catalogue)
                   CASE WHEN type = 'region_code' THEN 't.v IN (SELECT g.code::text FROM healthhub.regions g)'
                        ELSE 'healthhub.load_value_ok(t.v, $5)' END)
    USING load_id, entity, col, required, type;
END
$$;

-- Rule: a key appears once in the file (every later line repeating a
-- non-empty key is reported).
CREATE OR REPLACE FUNCTION healthhub.load_check_duplicates(load_id bigint, entity text, stage regclass, col text,
                                                shown text DEFAULT 'value') RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, d.line_no, $3, d.shown, ''repeats an earlier record''
                      FROM (SELECT s.line_no, %s AS shown,
                                   row_number() OVER (PARTITION BY btrim(s.%I) ORDER BY s.line_no) AS n
                              FROM %s s WHERE coalesce(btrim(s.%I), '''') <> '''') d
                     WHERE d.n > 1', healthhub.load_shown(col, shown), col, stage, col)
    USING load_id, entity, col;
END
$$;

-- Rule: the column names a row of target (target_col = the trimmed value;
-- of this source when source is given); only the rows where when_col is
-- when_value, if given.
CREATE OR REPLACE FUNCTION healthhub.load_check_reference(load_id bigint, entity text, stage regclass, col text,
                                               target regclass, target_col text, source text, reason text,
                                               when_col text DEFAULT NULL, when_value text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4 FROM %s s
                     WHERE %s NOT EXISTS (SELECT 1 FROM %s t WHERE t.%I = btrim(s.%I)
                                                              AND ($5::text IS NULL OR t.source = $5))',
                   col, stage,
                   CASE WHEN when_col IS NOT NULL THEN format('btrim(s.%I) = $6 AND', when_col) ELSE '' END,
                   target, target_col, col)
    USING load_id, entity, col, reason, source, when_value;
END
$$;

-- Rule: the period's end (when given) is after its start.  Only rows whose
-- two columns converted (no error recorded for them) are compared.
CREATE OR REPLACE FUNCTION healthhub.load_check_period(load_id bigint, entity text, stage regclass, from_col text,
                                            to_col text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $4, s.%I,
                           CASE WHEN btrim(s.%I)::timestamptz < btrim(s.%I)::timestamptz
                                THEN ''is before '' || $3 ELSE ''is not after '' || $3 END
                      FROM %s s
                     WHERE CASE WHEN coalesce(btrim(s.%I), '''') = '''' OR coalesce(btrim(s.%I), '''') = '''' THEN false
                                WHEN EXISTS (SELECT 1 FROM healthhub.load_errors e
                                              WHERE e.load_id = $1 AND e.entity = $2 AND e.line_no = s.line_no
                                                AND e.column_name IN ($3, $4)) THEN false
                                ELSE btrim(s.%I)::timestamptz <= btrim(s.%I)::timestamptz END',
                   to_col, to_col, from_col, stage, from_col, to_col, to_col, from_col)
    USING load_id, entity, from_col, to_col;
END
$$;

-- The staged lines of an entity the load found no problem with.
CREATE OR REPLACE FUNCTION healthhub.load_rejected(load_id bigint, entity text) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
RETURN (SELECT count(DISTINCT e.line_no) FROM healthhub.load_errors e
         WHERE e.load_id = load_rejected.load_id AND e.entity = load_rejected.entity);

-- An entity's line of the outcome: {entity: {order, staged, loaded, ended,
-- rejected}}; loaded counts the good rows (written, or already as staged).
CREATE OR REPLACE FUNCTION healthhub.load_outcome(load_id bigint, entity text, "order" integer, stage regclass,
                                       ended integer) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    staged integer;
    rejected integer := healthhub.load_rejected(load_id, entity);
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', stage) INTO staged;
    RETURN jsonb_build_object(entity, jsonb_build_object('order', "order", 'staged', staged,
               'loaded', staged - rejected, 'ended', ended, 'rejected', rejected));
END
$$;

-- For a snapshot: end the open rows of the source whose key is absent from
-- the file (period_col's upper bound becomes at); returns how many.
CREATE OR REPLACE FUNCTION healthhub.load_end_absent(stage regclass, stage_col text, target regclass, target_col text,
                                          period_col text, source text, "at" timestamptz) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    EXECUTE format('UPDATE %s t SET %I = tstzrange(lower(t.%I), $2)
                     WHERE t.source = $1 AND t.%I IS NOT NULL AND upper_inf(t.%I) AND lower(t.%I) < $2
                       AND NOT EXISTS (SELECT 1 FROM %s s WHERE btrim(s.%I) = t.%I)',
                   target, period_col, period_col, target_col, period_col, period_col, stage, stage_col, target_col)
    USING source, "at";
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- End a load: rows written from here on are recorded one by one again; the
-- outcome goes into loads, and the load's one entry into the trail:
-- <kind>.load.<mode>, object id = the load id ('partial' if rows were rejected).
CREATE OR REPLACE FUNCTION healthhub.end_load(load_id bigint, outcome jsonb, purpose text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l healthhub.loads;
BEGIN
    PERFORM healthhub.end_load_writes();
    UPDATE healthhub.loads x SET outcome = end_load.outcome WHERE x.load_id = end_load.load_id RETURNING * INTO l;
    PERFORM healthhub.audit_append(l.kind || '.load.' || l.mode, 'load', l.load_id::text, NULL, purpose,
        CASE WHEN EXISTS (SELECT 1 FROM healthhub.load_errors e WHERE e.load_id = l.load_id) THEN 'partial' ELSE 'ok' END);
END
$$;

REVOKE ALL ON FUNCTION healthhub.begin_load(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.end_load(bigint, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_require(bigint, text, regclass, text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_in(bigint, text, regclass, text, text[], boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_pattern(bigint, text, regclass, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_type(bigint, text, regclass, text, text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_duplicates(bigint, text, regclass, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_reference(bigint, text, regclass, text, regclass, text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_period(bigint, text, regclass, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_end_absent(regclass, text, regclass, text, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_rejected(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_outcome(bigint, text, integer, regclass, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_problem(text, text) FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE'
  FROM unnest(ARRAY['healthhub.loads', 'healthhub.load_errors']) t
UNION ALL
SELECT 'hub_admin', 'function', 'healthhub.load_problem(text, text)', 'EXECUTE'
ON CONFLICT (profile, object_kind, object_name) DO NOTHING;

-- Empty the staging tables and restart their record numbers.
CREATE OR REPLACE FUNCTION healthhub.clear_staging() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    TRUNCATE healthhub.stage_institutions, healthhub.stage_practitioners, healthhub.stage_licences,
             healthhub.stage_registrations, healthhub.stage_blacklist RESTART IDENTITY;
END
$$;
COMMENT ON FUNCTION healthhub.clear_staging() IS 'Empty the staging tables; record numbers start again at 1';

-- It runs as its owner: it reads and compares the practitioners' resident ID
-- numbers, which its caller (hub_admin) may not read directly; who loaded is
-- the acting role, in loads.loaded_by and in the trail.  The rows it writes
-- are recorded by its one entry, registry.load.<mode> (healthhub.end_load).
CREATE OR REPLACE FUNCTION healthhub.load_registry(source text, file_digest text, mode text)
    RETURNS TABLE (load_id bigint, entity text, staged integer, loaded integer, ended integer,
                   rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lid bigint;
    again boolean;
    src text := btrim(source);
    t timestamptz := now();
    snapshot boolean := mode = 'snapshot';
    result jsonb := '{}';
    si constant regclass := 'healthhub.stage_institutions';
    sp constant regclass := 'healthhub.stage_practitioners';
    sl constant regclass := 'healthhub.stage_licences';
    sr constant regclass := 'healthhub.stage_registrations';
    sb constant regclass := 'healthhub.stage_blacklist';
    r record;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.load_registry', ARRAY['source', 'file_digest', 'mode'],
                                        ARRAY[source IS NULL, file_digest IS NULL, mode IS NULL]);
    -- one registry load at a time, and nothing staged meanwhile
    LOCK TABLE healthhub.stage_institutions, healthhub.stage_practitioners, healthhub.stage_licences,
               healthhub.stage_registrations, healthhub.stage_blacklist IN SHARE ROW EXCLUSIVE MODE;
    SELECT b.load_id, b.already_loaded INTO lid, again
      FROM healthhub.begin_load('registry', source, file_digest, mode) b;
    IF again THEN
        PERFORM healthhub.clear_staging();
        RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                            (o.value->>'ended')::int, (o.value->>'rejected')::int, true
                       FROM healthhub.loads l, jsonb_each(l.outcome) o
                      WHERE l.load_id = lid ORDER BY (o.value->>'order')::int;
        RETURN;
    END IF;
    PERFORM healthhub.begin_load_writes(lid);

    ---------------------------------------------------------------- institutions
    PERFORM healthhub.load_require(lid, 'institutions', si, ARRAY['source_ref', 'name']);
    PERFORM healthhub.load_check_duplicates(lid, 'institutions', si, 'source_ref');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'kind', ARRAY['hospital', 'primary_care', 'village_clinic',
        'internet_hospital', 'retail_pharmacy', 'lab', 'cdc', 'insurer'], true,
        'is not one of hospital, primary_care, village_clinic, internet_hospital, retail_pharmacy, lab, cdc, insurer');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'level', ARRAY['1', '2', '3'], false, 'is not 1, 2 or 3');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'grade', ARRAY['甲', '乙', '丙', '特'], false,
                                    'is not 甲, 乙, 丙 or 特');
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'region', 'region_code', true);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'uscc', 'uscc', false);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'institutions', si, 'valid_from', 'valid_to');
    -- (a grade needs a level, 特 level 3: the table's own rules)
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'institutions', s.line_no, 'grade', s.grade,
           CASE WHEN nullif(btrim(s.level), '') IS NULL THEN 'needs a level' ELSE 'is only for level 3' END
      FROM healthhub.stage_institutions s
     WHERE nullif(btrim(s.grade), '') IS NOT NULL
       AND (nullif(btrim(s.level), '') IS NULL OR (btrim(s.grade) = '特' AND btrim(s.level) IS DISTINCT FROM '3'));
    INSERT INTO healthhub.institutions AS i (source, source_ref, name, kind, level, grade, region, uscc,
                                             practice_licence_no, insurance_code, valid)
    SELECT src, btrim(s.source_ref), btrim(s.name), btrim(s.kind), nullif(btrim(s.level), ''), nullif(btrim(s.grade), ''),
           btrim(s.region)::healthhub.region_code, nullif(btrim(s.uscc), '')::healthhub.uscc,
           nullif(btrim(s.practice_licence_no), ''), nullif(btrim(s.insurance_code), ''),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_institutions s
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'institutions' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT institutions_source_ref DO UPDATE
       SET name = EXCLUDED.name, kind = EXCLUDED.kind, level = EXCLUDED.level, grade = EXCLUDED.grade,
           region = EXCLUDED.region, uscc = EXCLUDED.uscc, practice_licence_no = EXCLUDED.practice_licence_no,
           insurance_code = EXCLUDED.insurance_code, valid = EXCLUDED.valid
     WHERE (i.name, i.kind, i.level, i.grade, i.region::text, i.uscc::text, i.practice_licence_no,
            i.insurance_code, i.valid)
           IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.level, EXCLUDED.grade, EXCLUDED.region::text,
            EXCLUDED.uscc::text, EXCLUDED.practice_licence_no, EXCLUDED.insurance_code, EXCLUDED.valid);
    result := result || healthhub.load_outcome(lid, 'institutions', 1, si,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_institutions)
             THEN healthhub.load_end_absent(si, 'source_ref', 'healthhub.institutions', 'source_ref', 'valid', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- practitioners
    -- (identity numbers are personal data: an error keeps only the masked
    -- form, and a name is never kept)
    PERFORM healthhub.load_require(lid, 'practitioners', sp, ARRAY['source_ref']);
    PERFORM healthhub.load_require(lid, 'practitioners', sp, ARRAY['name'], 'none');
    PERFORM healthhub.load_check_duplicates(lid, 'practitioners', sp, 'source_ref');
    PERFORM healthhub.load_check_type(lid, 'practitioners', sp, 'resident_id', 'resident_id', false, 'masked');
    PERFORM healthhub.load_check_duplicates(lid, 'practitioners', sp, 'resident_id', 'masked');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'practitioners', s.line_no, 'resident_id', left(s.resident_id, 6) || '********',
           'is another practitioner''s'
      FROM healthhub.stage_practitioners s
      JOIN healthhub.practitioners p
        ON p.resident_id OPERATOR(healthhub.=) CASE WHEN healthhub.is_valid_resident_id(btrim(s.resident_id))
                                THEN healthhub.resident_id(btrim(s.resident_id)) END
     WHERE (p.source, p.source_ref) IS DISTINCT FROM (src, btrim(s.source_ref));
    INSERT INTO healthhub.practitioners AS p (source, source_ref, resident_id, name)
    SELECT src, btrim(s.source_ref), healthhub.resident_id(nullif(btrim(s.resident_id), '')), btrim(s.name)
      FROM healthhub.stage_practitioners s
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'practitioners' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT practitioners_source_ref DO UPDATE
       SET resident_id = EXCLUDED.resident_id, name = EXCLUDED.name
     WHERE (p.resident_id::text, p.name) IS DISTINCT FROM (EXCLUDED.resident_id::text, EXCLUDED.name);
    result := result || healthhub.load_outcome(lid, 'practitioners', 2, sp, 0);

    ---------------------------------------------------------------- licences
    PERFORM healthhub.load_check_pattern(lid, 'licences', sl, 'licence_no', '^[0-9A-Za-z-]{4,40}$',
                                         'is not 4 to 40 letters, digits or "-"');
    PERFORM healthhub.load_check_duplicates(lid, 'licences', sl, 'licence_no');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'licences', s.line_no, 'licence_no', s.licence_no, 'belongs to another source'
      FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
     WHERE l.source IS DISTINCT FROM src;
    PERFORM healthhub.load_check_reference(lid, 'licences', sl, 'practitioner_ref', 'healthhub.practitioners',
                                           'source_ref', src, 'names no practitioner of this source');
    PERFORM healthhub.load_check_in(lid, 'licences', sl, 'kind', ARRAY['physician', 'pharmacist', 'nurse'], true,
                                    'is not physician, pharmacist or nurse');
    PERFORM healthhub.load_check_in(lid, 'licences', sl, 'status', ARRAY['active', 'suspended', 'revoked'], false,
                                    'is not active, suspended or revoked');
    PERFORM healthhub.load_check_type(lid, 'licences', sl, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'licences', sl, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'licences', sl, 'valid_from', 'valid_to');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'licences', s.line_no, 'status', s.status, 'the licence is revoked; a revocation is final'
      FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
     WHERE l.status = 'revoked' AND coalesce(nullif(btrim(s.status), ''), 'active') <> 'revoked';
    INSERT INTO healthhub.licences AS l (licence_no, practitioner_key, kind, scope, validity, source)
    SELECT btrim(s.licence_no), p.practitioner_key, btrim(s.kind), nullif(btrim(s.scope), ''),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz), src
      FROM healthhub.stage_licences s
      JOIN healthhub.practitioners p ON p.source = src AND p.source_ref = btrim(s.practitioner_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'licences' AND e.line_no = s.line_no)
    ON CONFLICT (licence_no) DO UPDATE
       SET practitioner_key = EXCLUDED.practitioner_key, kind = EXCLUDED.kind, scope = EXCLUDED.scope,
           validity = EXCLUDED.validity
     WHERE (l.practitioner_key, l.kind, l.scope, l.validity)
           IS DISTINCT FROM (EXCLUDED.practitioner_key, EXCLUDED.kind, EXCLUDED.scope, EXCLUDED.validity);
    -- a status goes through the licence's history: one call per licence
    -- whose status changes (not per row; no subtransaction)
    FOR r IN SELECT l.licence_no, coalesce(nullif(btrim(s.status), ''), 'active') AS status
               FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
              WHERE coalesce(nullif(btrim(s.status), ''), 'active') IS DISTINCT FROM l.status
                AND NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                                 WHERE e.load_id = lid AND e.entity = 'licences' AND e.line_no = s.line_no)
              ORDER BY s.line_no LOOP
        PERFORM healthhub.change_licence_status(r.licence_no, r.status, 'load ' || src || ' ' || lower(btrim(file_digest)), t);
    END LOOP;
    result := result || healthhub.load_outcome(lid, 'licences', 3, sl,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_licences)
             THEN healthhub.load_end_absent(sl, 'licence_no', 'healthhub.licences', 'licence_no', 'validity', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- registrations
    PERFORM healthhub.load_require(lid, 'registrations', sr, ARRAY['source_ref']);
    PERFORM healthhub.load_check_duplicates(lid, 'registrations', sr, 'source_ref');
    PERFORM healthhub.load_check_reference(lid, 'registrations', sr, 'licence_no', 'healthhub.licences',
                                           'licence_no', NULL, 'names no licence');
    PERFORM healthhub.load_check_reference(lid, 'registrations', sr, 'institution_ref', 'healthhub.institutions',
                                           'source_ref', src, 'names no institution of this source');
    PERFORM healthhub.load_check_in(lid, 'registrations', sr, 'role', ARRAY['primary', 'additional'], false,
                                    'is not primary or additional');
    PERFORM healthhub.load_check_type(lid, 'registrations', sr, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'registrations', sr, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'registrations', sr, 'valid_from', 'valid_to');
    INSERT INTO healthhub.registrations AS g (source, source_ref, licence_key, institution_key, role, period)
    SELECT src, btrim(s.source_ref), l.licence_key, i.institution_key, coalesce(nullif(btrim(s.role), ''), 'primary'),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_registrations s
      JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
      JOIN healthhub.institutions i ON i.source = src AND i.source_ref = btrim(s.institution_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'registrations' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT registrations_source_ref DO UPDATE
       SET licence_key = EXCLUDED.licence_key, institution_key = EXCLUDED.institution_key,
           role = EXCLUDED.role, period = EXCLUDED.period
     WHERE (g.licence_key, g.institution_key, g.role, g.period)
           IS DISTINCT FROM (EXCLUDED.licence_key, EXCLUDED.institution_key, EXCLUDED.role, EXCLUDED.period);
    result := result || healthhub.load_outcome(lid, 'registrations', 4, sr,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_registrations)
             THEN healthhub.load_end_absent(sr, 'source_ref', 'healthhub.registrations', 'source_ref', 'period', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- blacklist
    PERFORM healthhub.load_require(lid, 'blacklist', sb, ARRAY['source_ref', 'reason']);
    PERFORM healthhub.load_check_duplicates(lid, 'blacklist', sb, 'source_ref');
    PERFORM healthhub.load_check_in(lid, 'blacklist', sb, 'subject_kind', ARRAY['institution', 'practitioner'], true,
                                    'is not institution or practitioner');
    PERFORM healthhub.load_check_reference(lid, 'blacklist', sb, 'subject_ref', 'healthhub.practitioners', 'source_ref',
                                           src, 'names no practitioner of this source', 'subject_kind', 'practitioner');
    PERFORM healthhub.load_check_reference(lid, 'blacklist', sb, 'subject_ref', 'healthhub.institutions', 'source_ref',
                                           src, 'names no institution of this source', 'subject_kind', 'institution');
    PERFORM healthhub.load_check_type(lid, 'blacklist', sb, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'blacklist', sb, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'blacklist', sb, 'valid_from', 'valid_to');
    INSERT INTO healthhub.blacklist AS b (source, source_ref, subject_kind, practitioner_key, institution_key, reason, period)
    SELECT src, btrim(s.source_ref), btrim(s.subject_kind), p.practitioner_key, i.institution_key, btrim(s.reason),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_blacklist s
      LEFT JOIN healthhub.practitioners p
             ON btrim(s.subject_kind) = 'practitioner' AND p.source = src AND p.source_ref = btrim(s.subject_ref)
      LEFT JOIN healthhub.institutions i
             ON btrim(s.subject_kind) = 'institution' AND i.source = src AND i.source_ref = btrim(s.subject_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'blacklist' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT blacklist_source_ref DO UPDATE
       SET subject_kind = EXCLUDED.subject_kind, practitioner_key = EXCLUDED.practitioner_key,
           institution_key = EXCLUDED.institution_key, reason = EXCLUDED.reason, period = EXCLUDED.period
     WHERE (b.subject_kind, b.practitioner_key, b.institution_key, b.reason, b.period)
           IS DISTINCT FROM (EXCLUDED.subject_kind, EXCLUDED.practitioner_key, EXCLUDED.institution_key,
                             EXCLUDED.reason, EXCLUDED.period);
    result := result || healthhub.load_outcome(lid, 'blacklist', 5, sb,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_blacklist)
             THEN healthhub.load_end_absent(sb, 'source_ref', 'healthhub.blacklist', 'source_ref', 'period', src, t)
             ELSE 0 END);

    PERFORM healthhub.end_load(lid, result, 'registry maintenance');
    PERFORM healthhub.clear_staging();
    RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                        (o.value->>'ended')::int, (o.value->>'rejected')::int, false
                   FROM jsonb_each(result) o ORDER BY (o.value->>'order')::int;
END
$$;
COMMENT ON FUNCTION healthhub.load_registry(text, text, text) IS
    'Validate and load the staged registry rows of one file; keyed on (source, file digest); snapshot or delta';


CREATE OR REPLACE FUNCTION healthhub.link_batch(batch_name text, file_digest text)
    RETURNS TABLE (phase text, seconds numeric, rows bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    model integer := healthhub.linkage_model();
    m healthhub.linkage_models;
    lid bigint;
    again boolean;
    t0 timestamptz := clock_timestamp();
    t timestamptz := clock_timestamp();
    n bigint;
    match_weight double precision;
    possible_weight double precision;
    hub bigint := healthhub.hub_id();
    entry bigint;
    report jsonb := '[]';
    rec record;
    replication_role text;
    who text := healthhub.acting_role();
    last_node integer;
    first_record_id bigint;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    PERFORM healthhub.require_load_key(batch_name, file_digest, 'person_records', 'delta');
    PERFORM healthhub.require_no_work_tables('link_batch', ARRAY['batch_in', 'batch_records', 'batch_keys',
        'batch_nodes', 'batch_edges', 'batch_all', 'batch_scored', 'batch_clusters', 'batch_persons', 'batch_linked']);
    PERFORM healthhub.check_name_keys_version();
    -- The batch's work tables take hundreds of MB: kept in local buffers
    -- instead of written out and read back.  temp_buffers can only be raised
    -- before the session's first temporary table (docs/linkage.md).
    IF pg_size_bytes(current_setting('temp_buffers')) < pg_size_bytes('1GB') THEN
        BEGIN
            PERFORM set_config('temp_buffers', '1GB', false);
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE NOTICE 'link_batch: temp_buffers stays at % in this session (temporary tables were used before)',
                current_setting('temp_buffers')
                USING HINT = 'Call link_batch first in a new session, or set temp_buffers to 1GB before anything else.';
        END;
    END IF;
    IF hub IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    -- One batch at a time, and no single-record link meanwhile (link_record
    -- waits; resolve() and reads go on): what the batch decides from the
    -- index stays true until it commits.
    LOCK TABLE healthhub.source_records IN SHARE ROW EXCLUSIVE MODE;
    -- (the loading framework's key: the same file is never linked twice)
    SELECT b.load_id, b.already_loaded INTO lid, again
      FROM healthhub.begin_load('person_records', batch_name, file_digest, 'delta') b;
    IF again THEN
        DELETE FROM healthhub.stage_person_records;
        RETURN QUERY SELECT 'already linked'::text, 0::numeric, 0::bigint;
        RETURN;
    END IF;
    SELECT * INTO m FROM healthhub.linkage_models lm WHERE lm.model_version = model;
    match_weight := log(2.0, (m.match_probability / (1 - m.match_probability))::numeric)::double precision;
    possible_weight := log(2.0, (m.possible_probability / (1 - m.possible_probability))::numeric)::double precision;

    -- 1. validate and key ------------------------------------------------
    CREATE TEMP TABLE batch_in ON COMMIT DROP AS SELECT * FROM healthhub.staged_person_records();
    ANALYZE batch_in;
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'person_record', b.line_no, e.col, e.val, e.reason
      FROM batch_in b
     CROSS JOIN LATERAL (VALUES
        ('institution', b.source, CASE WHEN NOT b.institution_ok THEN 'names more than one institution (their keys or source_refs)'
                                       WHEN b.key_problem LIKE 'an institution%' THEN b.key_problem END),
        ('local_id', b.local_id, CASE WHEN b.key_problem LIKE 'a local id%' THEN b.key_problem END),
        ('name', b.name, CASE WHEN b.name IS NOT NULL AND b.hanzi IS NULL THEN healthhub.name_problem(b.name) END),
        ('sex', b.sex_text, CASE WHEN b.sex = 0 THEN 'Sex is 1 or 2, M or F, male or female, 男 or 女; 0 or 9 if not known.' END),
        ('birth_date', b.birth_text, CASE WHEN b.birth_text IS NOT NULL AND (b.birth_date IS NULL OR b.birth_date > current_date)
                                          THEN 'not a birth date between 1880-01-01 and today (YYYY-MM-DD)' END),
        ('phone', b.phone_text, CASE WHEN b.phone = '' THEN 'A phone number has 7 to 15 digits.' END),
        ('address_region', b.region_text,
         CASE WHEN b.region_text IS NOT NULL AND NOT b.region_ok THEN 'not a region code in healthhub.regions' END),
        ('other_identifiers', array_to_string(b.others, ';'),
         (SELECT string_agg(healthhub.health_identifier_problem(x), ' ') FROM unnest(b.others) x))
        ) e(col, val, reason)
     -- (only rows that may have a problem are looked at column by column)
     WHERE (b.key_problem IS NOT NULL OR NOT b.institution_ok OR (b.name IS NOT NULL AND b.hanzi IS NULL)
            OR b.sex = 0 OR (b.birth_text IS NOT NULL AND (b.birth_date IS NULL OR b.birth_date > current_date))
            OR b.phone = '' OR (b.region_text IS NOT NULL AND NOT b.region_ok) OR cardinality(b.others) > 0)
       AND e.reason IS NOT NULL;
    -- a record sent twice in one file: the last line counts
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'person_record', b.line_no, 'local_id', b.local_id, 'sent again on a later line of this batch'
      FROM batch_in b
      JOIN (SELECT b2.source, b2.local_id, max(b2.line_no) AS last_line FROM batch_in b2
             GROUP BY b2.source, b2.local_id HAVING count(*) > 1) d
        ON d.source = b.source AND d.local_id = b.local_id AND b.line_no < d.last_line;
    CREATE TEMP TABLE batch_records ON COMMIT DROP AS
    SELECT row_number() OVER (ORDER BY b.line_no)::integer AS node, b.line_no,
           b.source, b.local_id,
           b.institution_key,
           b.name, b.sex, b.birth_date, b.identifier AS identifier_text, b.phone,
           b.region_text::healthhub.region_code AS region,
           b.others::healthhub.health_identifier[] AS other_identifiers,
           rid.resident_id,
           -- a number the record contradicts (a parent's) is evidence, never a match
           healthhub.resident_id_contradicts(rid.resident_id, b.birth_date, b.sex) AS id_conflict,
           b.hanzi AS name_hanzi, b.pinyin AS name_pinyin, b.initials AS name_initials, b.surname,
           b.given_pinyin AS name_given_pinyin
      FROM batch_in b
      CROSS JOIN LATERAL (SELECT CASE WHEN healthhub.is_valid_resident_id(b.identifier)
                                      THEN healthhub.resident_id(b.identifier) END AS resident_id) rid
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors le WHERE le.load_id = lid AND le.line_no = b.line_no);

    -- records already in the index are linked one by one (corrections; no
    -- per-record locks: the batch holds the index)
    FOR rec IN SELECT r.* FROM batch_records r
                WHERE EXISTS (SELECT FROM healthhub.source_records s WHERE s.source = r.source AND s.local_id = r.local_id)
    LOOP
        PERFORM healthhub.link_prepared(healthhub.prepare_record(
                    rec.source, rec.local_id, rec.name, rec.sex::text, rec.birth_date, rec.identifier_text, rec.phone,
                    rec.region::integer::text, rec.other_identifiers::text[]));
        DELETE FROM batch_records r WHERE r.node = rec.node;
    END LOOP;
    ANALYZE batch_records;
    SELECT count(*), max(r.node) INTO n, last_node FROM batch_records r;
    report := report || jsonb_build_object('phase', 'validate and key', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: validated and keyed % records (% rejected) in % s', n,
        (SELECT count(*) FROM healthhub.load_errors le WHERE le.load_id = lid), round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 2. blocking: records sharing a key of the model's rules (and records
    --    already in the index that share one) --------------------------
    CREATE TEMP TABLE batch_keys ON COMMIT DROP AS
    SELECT h AS block_hash, r.node
      FROM batch_records r,
           unnest(healthhub.block_hashes(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region,
                                         r.phone, m.blocking_rules)) h;
    -- existing records become nodes too, after the batch's own
    CREATE TEMP TABLE batch_nodes ON COMMIT DROP AS
    SELECT r.node, CASE WHEN NOT r.id_conflict THEN r.resident_id::bigint END AS resident_id, NULL::bigint AS person_key,
           NULL::bigint AS record_id
      FROM batch_records r;
    -- (each with the number its person holds: the clustering never gives a
    -- person a second number)
    INSERT INTO batch_nodes
    SELECT last_node + row_number() OVER ()::integer,
           (SELECT min(pi.resident_id::bigint) FROM healthhub.person_identifiers pi
             WHERE pi.person_key = s.person_key AND pi.resident_id IS NOT NULL),
           s.person_key, s.record_id
      FROM (SELECT DISTINCT bk.record_id FROM healthhub.record_block_keys bk
             WHERE bk.block_hash IN (SELECT k.block_hash FROM batch_keys k)) e
      JOIN healthhub.source_records s ON s.record_id = e.record_id AND s.withdrawn_at IS NULL;
    INSERT INTO batch_keys
    SELECT bk.block_hash, n2.node FROM batch_nodes n2
      JOIN healthhub.record_block_keys bk ON bk.record_id = n2.record_id
     WHERE n2.record_id IS NOT NULL AND bk.block_hash IN (SELECT k.block_hash FROM batch_keys k);
    CREATE TEMP TABLE batch_edges ON COMMIT DROP AS
    SELECT p.a, p.b, NULL::double precision AS weight FROM healthhub.block_pairs(healthhub.batch_block_limit()) p;
    -- (every work table is analysed once made: the planner sees no
    -- statistics of temporary tables otherwise, and guesses badly at this size)
    ANALYZE batch_keys, batch_nodes, batch_edges;
    SELECT count(*) INTO n FROM batch_edges;
    report := report || jsonb_build_object('phase', 'blocking', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: % candidate pairs from blocking in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 3. scoring ----------------------------------------------------------
    CREATE TEMP TABLE batch_all ON COMMIT DROP AS
    SELECT r.node, r.source, r.local_id, r.institution_key, r.name, r.sex, r.birth_date, r.identifier_text, r.phone,
           r.region, r.other_identifiers, r.resident_id, r.id_conflict, r.name_hanzi, r.name_pinyin, r.name_initials,
           r.surname, r.name_given_pinyin
      FROM batch_records r
    UNION ALL
    SELECT n2.node, s.source, s.local_id, s.institution_key, s.name, s.sex, s.birth_date, s.identifier_text, s.phone,
           s.region, s.other_identifiers, s.resident_id, s.id_conflict, s.name_hanzi, s.name_pinyin, s.name_initials,
           s.surname, s.name_given_pinyin
      FROM batch_nodes n2 JOIN healthhub.source_records s ON s.record_id = n2.record_id;
    CREATE UNIQUE INDEX ON batch_all (node);
    ANALYZE batch_all;
    CREATE TEMP TABLE batch_scored ON COMMIT DROP AS
    SELECT e.a, e.b, healthhub.batch_match_score(x, y, model) AS weight
      FROM batch_edges e JOIN batch_all x ON x.node = e.a JOIN batch_all y ON y.node = e.b
     WHERE NOT EXISTS (SELECT FROM healthhub.link_decisions l
                        WHERE l.state = 'no_match'
                          AND ((l.source = x.source AND l.local_id = x.local_id
                                AND l.person_key = (SELECT person_key FROM batch_nodes WHERE node = y.node))
                            OR (l.source = y.source AND l.local_id = y.local_id
                                AND l.person_key = (SELECT person_key FROM batch_nodes WHERE node = x.node))));
    DROP TABLE batch_edges;
    ALTER TABLE batch_scored RENAME TO batch_edges;
    -- identifiers: records sharing a resident ID (without conflict) or
    -- another identifier are one person, whatever their scores
    -- (unless the names differ entirely: a parent's number on a child's
    -- record that gives no birth date to contradict it)
    INSERT INTO batch_edges
    SELECT g.first, x.node, 'Infinity'::double precision
      FROM batch_all x
      JOIN (SELECT resident_id, min(node) AS first FROM batch_records WHERE resident_id IS NOT NULL AND NOT id_conflict
             GROUP BY resident_id HAVING count(*) > 1) g ON g.resident_id OPERATOR(healthhub.=) x.resident_id
      JOIN batch_all f ON f.node = g.first
     WHERE x.node <> g.first AND NOT x.id_conflict AND x.node <= last_node
       AND (NOT m.names_must_agree OR (healthhub.batch_comparison_levels(x, f))[1] <> 5);
    INSERT INTO batch_edges
    SELECT g.first, xi.node, 'Infinity'::double precision
      FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) xi
      JOIN (SELECT ident, min(node) AS first FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) y
             GROUP BY ident HAVING count(*) > 1) g ON g.ident OPERATOR(healthhub.=) xi.ident
      JOIN batch_all x ON x.node = xi.node
      JOIN batch_all f ON f.node = g.first
     WHERE xi.node <> g.first
       AND (NOT m.names_must_agree OR (healthhub.batch_comparison_levels(x, f))[1] <> 5);
    -- and records whose number or identifier is already a person's join it,
    -- by the rule link_record follows (identifier_links)
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM batch_records r JOIN healthhub.person_identifiers pi
        ON pi.resident_id OPERATOR(healthhub.=) r.resident_id
     WHERE bn.node = r.node AND NOT r.id_conflict
       AND healthhub.identifier_links(r, pi.person_key, m.names_must_agree, false);
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM (SELECT r1 AS rec, r1.node, unnest(r1.other_identifiers) AS ident FROM batch_records r1) r
      JOIN healthhub.person_identifiers pi ON pi.identifier OPERATOR(healthhub.=) r.ident
     WHERE bn.node = r.node AND bn.person_key IS NULL
       AND healthhub.identifier_links(r.rec, pi.person_key, m.names_must_agree, true);
    -- a record that joins a person without a number of its own carries the
    -- person's into the clustering
    UPDATE batch_nodes bn SET resident_id = (SELECT min(pi.resident_id::bigint) FROM healthhub.person_identifiers pi
                                              WHERE pi.person_key = bn.person_key AND pi.resident_id IS NOT NULL)
     WHERE bn.person_key IS NOT NULL AND bn.resident_id IS NULL AND bn.node <= last_node;
    ANALYZE batch_edges, batch_nodes;
    SELECT count(*) INTO n FROM batch_edges;
    report := report || jsonb_build_object('phase', 'scoring', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: scored % pairs in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 4. clustering -------------------------------------------------------
    -- (each node's group with the group's person already in the index, if any)
    CREATE TEMP TABLE batch_clusters ON COMMIT DROP AS
    SELECT c.node, c.cluster, c.person_key FROM healthhub.link_clusters(match_weight) c;
    -- (new persons numbered in the order of their first record: the same
    -- file gives the same keys whatever plan the aggregate gets)
    CREATE TEMP TABLE batch_persons ON COMMIT DROP AS
    SELECT g.cluster, coalesce(g.existing, hub * 10000000000 + nextval('healthhub.key_seq')) AS person_key,
           g.existing IS NULL AS created
      FROM (SELECT c.cluster, max(c.person_key) AS existing
              FROM batch_clusters c GROUP BY c.cluster ORDER BY c.cluster) g;
    -- The records with their persons and ids, as a new table (an UPDATE
    -- would write a million rows twice).  The ids are a block of the
    -- sequence, the batch's alone while it holds the index.
    first_record_id := nextval('healthhub.record_seq');
    PERFORM setval('healthhub.record_seq', first_record_id + last_node);
    CREATE TEMP TABLE batch_linked ON COMMIT DROP AS
    SELECT r.*, p.person_key, p.created AS person_created, first_record_id + r.node AS record_id
      FROM batch_records r JOIN batch_clusters c ON c.node = r.node JOIN batch_persons p ON p.cluster = c.cluster;
    DROP TABLE batch_records;
    ALTER TABLE batch_linked RENAME TO batch_records;
    -- (without statistics the planner joined the review queue's pairs to
    -- these records and persons as if they were a few rows: a second batch
    -- into a large index multiplied them out of all proportion)
    ANALYZE batch_records, batch_clusters, batch_persons;
    SELECT count(*) INTO n FROM batch_persons WHERE created;
    report := report || jsonb_build_object('phase', 'clustering', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: % records in % new persons in % s', (SELECT count(*) FROM batch_records), n,
        round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 5. writing ----------------------------------------------------------
    entry := healthhub.audit_append('link.batch', 'load', lid::text, NULL, 'patient identity management', 'ok');
    -- Every row written below refers to rows this transaction has just
    -- written or read (persons, records, institutions): the per-row
    -- foreign-key triggers are skipped while it writes, as pg_restore
    -- --disable-triggers does, and none of these tables has another trigger.
    replication_role := current_setting('session_replication_role');
    PERFORM set_config('session_replication_role', 'replica', true);
    INSERT INTO healthhub.source_records (source, local_id, institution_key, name, sex, birth_date, identifier_text,
                                          phone, region, other_identifiers, resident_id, id_conflict, name_hanzi,
                                          name_pinyin, name_initials, surname, name_given_pinyin, person_key,
                                          link_origin, link_model, linked_by, record_id)
    SELECT r.source, r.local_id, r.institution_key, r.name, r.sex, r.birth_date, r.identifier_text, r.phone, r.region,
           r.other_identifiers, r.resident_id, r.id_conflict, r.name_hanzi, r.name_pinyin, r.name_initials, r.surname,
           r.name_given_pinyin, r.person_key, 'auto', model, who, r.record_id
      FROM batch_records r ORDER BY r.source, r.local_id;
    -- the best pair across two persons between the thresholds: the review queue
    INSERT INTO healthhub.link_decisions (source, local_id, person_key, state, origin, score, model_version, decided_by)
    SELECT DISTINCT ON (x.node) xa.source, xa.local_id, py.person_key, 'possible_match', 'auto', x.weight, model, who
      FROM (SELECT e.a AS node, e.b AS other, e.weight FROM batch_edges e
             WHERE e.weight >= possible_weight AND e.weight < match_weight
            UNION ALL
            SELECT e.b, e.a, e.weight FROM batch_edges e
             WHERE e.weight >= possible_weight AND e.weight < match_weight) x
      JOIN batch_records xa ON xa.node = x.node
      JOIN batch_clusters cy ON cy.node = x.other
      JOIN batch_persons py ON py.cluster = cy.cluster
     WHERE py.person_key <> xa.person_key
     ORDER BY x.node, x.weight DESC
    ON CONFLICT DO NOTHING;
    INSERT INTO healthhub.record_block_keys (block_hash, record_id)
    SELECT k.block_hash, first_record_id + k.node FROM batch_keys k WHERE k.node <= last_node
     ORDER BY 1, 2;
    INSERT INTO healthhub.person_identifiers (resident_id, person_key)
    SELECT DISTINCT ON (r.resident_id) r.resident_id, r.person_key FROM batch_records r
     WHERE r.resident_id IS NOT NULL AND NOT r.id_conflict
     ORDER BY r.resident_id, r.node
    ON CONFLICT DO NOTHING;
    INSERT INTO healthhub.person_identifiers (identifier, person_key)
    SELECT DISTINCT ON (i) i, r.person_key FROM batch_records r, unnest(r.other_identifiers) i
     ORDER BY i, r.node
    ON CONFLICT DO NOTHING;
    -- new persons are inserted with their golden records (after their records
    -- and identifiers: the golden record is made from them); persons that
    -- were already in the index get theirs rebuilt
    -- (the hub given, not left to its default: a function call per row)
    INSERT INTO healthhub.persons (hub_id, person_key, resident_id, name, sex, birth_date, phone, region)
    SELECT hub, g.* FROM healthhub.golden_records(ARRAY(
               SELECT p.person_key FROM batch_persons p
                WHERE p.created AND p.person_key IN (SELECT r.person_key FROM batch_records r))) g
     ORDER BY g.person_key;
    PERFORM healthhub.rebuild_golden_set(ARRAY(SELECT DISTINCT p.person_key FROM batch_persons p
                                                WHERE NOT p.created));
    INSERT INTO healthhub.link_events (entry_id, by_role, action, source, local_id, record_id, person_key, new_state,
                                       origin, model_version, reason)
    SELECT entry, who, 'link_batch', r.source, r.local_id, r.record_id, r.person_key, 'match', 'auto', model,
           CASE WHEN r.person_created THEN 'created' ELSE 'matched' END
      FROM batch_records r
     ORDER BY r.record_id;
    PERFORM set_config('session_replication_role', replication_role, true);
    -- the tables grew by a batch: plan the next link_record() on their real sizes
    ANALYZE healthhub.source_records, healthhub.record_block_keys, healthhub.link_decisions, healthhub.persons,
            healthhub.person_identifiers;
    SELECT count(*) INTO n FROM batch_records;
    report := report || jsonb_build_object('phase', 'writing', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: wrote % records in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);

    -- the rows this batch read leave the staging table (rows staged
    -- meanwhile stay for the next batch)
    DELETE FROM healthhub.stage_person_records s USING batch_in b WHERE s.ctid = b.stage_row;
    UPDATE healthhub.loads l SET outcome = jsonb_build_object(
        'records', n,
        'rejected', (SELECT count(DISTINCT le.line_no) FROM healthhub.load_errors le WHERE le.load_id = lid),
        'persons_created', (SELECT count(*) FROM batch_persons WHERE created),
        'matched_existing', (SELECT count(*) FROM batch_records r WHERE NOT r.person_created),
        'possible_matches', (SELECT count(*) FROM healthhub.link_decisions lk WHERE lk.state = 'possible_match'
                               AND (lk.source, lk.local_id) IN (SELECT br.source, br.local_id FROM batch_records br)),
        'model_version', model, 'phases', report, 'audit_entry', entry)
     WHERE l.load_id = lid;
    RETURN QUERY
    SELECT x->>'phase', round((x->>'seconds')::numeric, 2), (x->>'rows')::bigint FROM jsonb_array_elements(report) x
    UNION ALL
    SELECT 'total', round(extract(epoch FROM clock_timestamp() - t0)::numeric, 2), n;
END
$$;

-- ==== load_registry reports overlapping registrations instead of failing the load at the exclusion constraints ====
CREATE OR REPLACE FUNCTION healthhub.load_registry(source text, file_digest text, mode text)
    RETURNS TABLE (load_id bigint, entity text, staged integer, loaded integer, ended integer,
                   rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lid bigint;
    again boolean;
    src text := btrim(source);
    t timestamptz := now();
    snapshot boolean := mode = 'snapshot';
    result jsonb := '{}';
    si constant regclass := 'healthhub.stage_institutions';
    sp constant regclass := 'healthhub.stage_practitioners';
    sl constant regclass := 'healthhub.stage_licences';
    sr constant regclass := 'healthhub.stage_registrations';
    sb constant regclass := 'healthhub.stage_blacklist';
    r record;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.load_registry', ARRAY['source', 'file_digest', 'mode'],
                                        ARRAY[source IS NULL, file_digest IS NULL, mode IS NULL]);
    -- one registry load at a time, and nothing staged meanwhile
    LOCK TABLE healthhub.stage_institutions, healthhub.stage_practitioners, healthhub.stage_licences,
               healthhub.stage_registrations, healthhub.stage_blacklist IN SHARE ROW EXCLUSIVE MODE;
    SELECT b.load_id, b.already_loaded INTO lid, again
      FROM healthhub.begin_load('registry', source, file_digest, mode) b;
    IF again THEN
        PERFORM healthhub.clear_staging();
        RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                            (o.value->>'ended')::int, (o.value->>'rejected')::int, true
                       FROM healthhub.loads l, jsonb_each(l.outcome) o
                      WHERE l.load_id = lid ORDER BY (o.value->>'order')::int;
        RETURN;
    END IF;
    PERFORM healthhub.begin_load_writes(lid);

    ---------------------------------------------------------------- institutions
    PERFORM healthhub.load_require(lid, 'institutions', si, ARRAY['source_ref', 'name']);
    PERFORM healthhub.load_check_duplicates(lid, 'institutions', si, 'source_ref');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'kind', ARRAY['hospital', 'primary_care', 'village_clinic',
        'internet_hospital', 'retail_pharmacy', 'lab', 'cdc', 'insurer'], true,
        'is not one of hospital, primary_care, village_clinic, internet_hospital, retail_pharmacy, lab, cdc, insurer');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'level', ARRAY['1', '2', '3'], false, 'is not 1, 2 or 3');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'grade', ARRAY['甲', '乙', '丙', '特'], false,
                                    'is not 甲, 乙, 丙 or 特');
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'region', 'region_code', true);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'uscc', 'uscc', false);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'institutions', si, 'valid_from', 'valid_to');
    -- (a grade needs a level, 特 level 3: the table's own rules)
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'institutions', s.line_no, 'grade', s.grade,
           CASE WHEN nullif(btrim(s.level), '') IS NULL THEN 'needs a level' ELSE 'is only for level 3' END
      FROM healthhub.stage_institutions s
     WHERE nullif(btrim(s.grade), '') IS NOT NULL
       AND (nullif(btrim(s.level), '') IS NULL OR (btrim(s.grade) = '特' AND btrim(s.level) IS DISTINCT FROM '3'));
    INSERT INTO healthhub.institutions AS i (source, source_ref, name, kind, level, grade, region, uscc,
                                             practice_licence_no, insurance_code, valid)
    SELECT src, btrim(s.source_ref), btrim(s.name), btrim(s.kind), nullif(btrim(s.level), ''), nullif(btrim(s.grade), ''),
           btrim(s.region)::healthhub.region_code, nullif(btrim(s.uscc), '')::healthhub.uscc,
           nullif(btrim(s.practice_licence_no), ''), nullif(btrim(s.insurance_code), ''),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_institutions s
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'institutions' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT institutions_source_ref DO UPDATE
       SET name = EXCLUDED.name, kind = EXCLUDED.kind, level = EXCLUDED.level, grade = EXCLUDED.grade,
           region = EXCLUDED.region, uscc = EXCLUDED.uscc, practice_licence_no = EXCLUDED.practice_licence_no,
           insurance_code = EXCLUDED.insurance_code, valid = EXCLUDED.valid
     WHERE (i.name, i.kind, i.level, i.grade, i.region::text, i.uscc::text, i.practice_licence_no,
            i.insurance_code, i.valid)
           IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.level, EXCLUDED.grade, EXCLUDED.region::text,
            EXCLUDED.uscc::text, EXCLUDED.practice_licence_no, EXCLUDED.insurance_code, EXCLUDED.valid);
    result := result || healthhub.load_outcome(lid, 'institutions', 1, si,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_institutions)
             THEN healthhub.load_end_absent(si, 'source_ref', 'healthhub.institutions', 'source_ref', 'valid', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- practitioners
    -- (identity numbers are personal data: an error keeps only the masked
    -- form, and a name is never kept)
    PERFORM healthhub.load_require(lid, 'practitioners', sp, ARRAY['source_ref']);
    PERFORM healthhub.load_require(lid, 'practitioners', sp, ARRAY['name'], 'none');
    PERFORM healthhub.load_check_duplicates(lid, 'practitioners', sp, 'source_ref');
    PERFORM healthhub.load_check_type(lid, 'practitioners', sp, 'resident_id', 'resident_id', false, 'masked');
    PERFORM healthhub.load_check_duplicates(lid, 'practitioners', sp, 'resident_id', 'masked');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'practitioners', s.line_no, 'resident_id', left(s.resident_id, 6) || '********',
           'is another practitioner''s'
      FROM healthhub.stage_practitioners s
      JOIN healthhub.practitioners p
        ON p.resident_id OPERATOR(healthhub.=) CASE WHEN healthhub.is_valid_resident_id(btrim(s.resident_id))
                                THEN healthhub.resident_id(btrim(s.resident_id)) END
     WHERE (p.source, p.source_ref) IS DISTINCT FROM (src, btrim(s.source_ref));
    INSERT INTO healthhub.practitioners AS p (source, source_ref, resident_id, name)
    SELECT src, btrim(s.source_ref), healthhub.resident_id(nullif(btrim(s.resident_id), '')), btrim(s.name)
      FROM healthhub.stage_practitioners s
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'practitioners' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT practitioners_source_ref DO UPDATE
       SET resident_id = EXCLUDED.resident_id, name = EXCLUDED.name
     WHERE (p.resident_id::text, p.name) IS DISTINCT FROM (EXCLUDED.resident_id::text, EXCLUDED.name);
    result := result || healthhub.load_outcome(lid, 'practitioners', 2, sp, 0);

    ---------------------------------------------------------------- licences
    PERFORM healthhub.load_check_pattern(lid, 'licences', sl, 'licence_no', '^[0-9A-Za-z-]{4,40}$',
                                         'is not 4 to 40 letters, digits or "-"');
    PERFORM healthhub.load_check_duplicates(lid, 'licences', sl, 'licence_no');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'licences', s.line_no, 'licence_no', s.licence_no, 'belongs to another source'
      FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
     WHERE l.source IS DISTINCT FROM src;
    PERFORM healthhub.load_check_reference(lid, 'licences', sl, 'practitioner_ref', 'healthhub.practitioners',
                                           'source_ref', src, 'names no practitioner of this source');
    PERFORM healthhub.load_check_in(lid, 'licences', sl, 'kind', ARRAY['physician', 'pharmacist', 'nurse'], true,
                                    'is not physician, pharmacist or nurse');
    PERFORM healthhub.load_check_in(lid, 'licences', sl, 'status', ARRAY['active', 'suspended', 'revoked'], false,
                                    'is not active, suspended or revoked');
    PERFORM healthhub.load_check_type(lid, 'licences', sl, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'licences', sl, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'licences', sl, 'valid_from', 'valid_to');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'licences', s.line_no, 'status', s.status, 'the licence is revoked; a revocation is final'
      FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
     WHERE l.status = 'revoked' AND coalesce(nullif(btrim(s.status), ''), 'active') <> 'revoked';
    INSERT INTO healthhub.licences AS l (licence_no, practitioner_key, kind, scope, validity, source)
    SELECT btrim(s.licence_no), p.practitioner_key, btrim(s.kind), nullif(btrim(s.scope), ''),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz), src
      FROM healthhub.stage_licences s
      JOIN healthhub.practitioners p ON p.source = src AND p.source_ref = btrim(s.practitioner_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'licences' AND e.line_no = s.line_no)
    ON CONFLICT (licence_no) DO UPDATE
       SET practitioner_key = EXCLUDED.practitioner_key, kind = EXCLUDED.kind, scope = EXCLUDED.scope,
           validity = EXCLUDED.validity
     WHERE (l.practitioner_key, l.kind, l.scope, l.validity)
           IS DISTINCT FROM (EXCLUDED.practitioner_key, EXCLUDED.kind, EXCLUDED.scope, EXCLUDED.validity);
    -- a status goes through the licence's history: one call per licence
    -- whose status changes (not per row; no subtransaction)
    FOR r IN SELECT l.licence_no, coalesce(nullif(btrim(s.status), ''), 'active') AS status
               FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
              WHERE coalesce(nullif(btrim(s.status), ''), 'active') IS DISTINCT FROM l.status
                AND NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                                 WHERE e.load_id = lid AND e.entity = 'licences' AND e.line_no = s.line_no)
              ORDER BY s.line_no LOOP
        PERFORM healthhub.change_licence_status(r.licence_no, r.status, 'load ' || src || ' ' || lower(btrim(file_digest)), t);
    END LOOP;
    result := result || healthhub.load_outcome(lid, 'licences', 3, sl,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_licences)
             THEN healthhub.load_end_absent(sl, 'licence_no', 'healthhub.licences', 'licence_no', 'validity', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- registrations
    PERFORM healthhub.load_require(lid, 'registrations', sr, ARRAY['source_ref']);
    PERFORM healthhub.load_check_duplicates(lid, 'registrations', sr, 'source_ref');
    PERFORM healthhub.load_check_reference(lid, 'registrations', sr, 'licence_no', 'healthhub.licences',
                                           'licence_no', NULL, 'names no licence');
    PERFORM healthhub.load_check_reference(lid, 'registrations', sr, 'institution_ref', 'healthhub.institutions',
                                           'source_ref', src, 'names no institution of this source');
    PERFORM healthhub.load_check_in(lid, 'registrations', sr, 'role', ARRAY['primary', 'additional'], false,
                                    'is not primary or additional');
    PERFORM healthhub.load_check_type(lid, 'registrations', sr, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'registrations', sr, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'registrations', sr, 'valid_from', 'valid_to');
    -- A registration overlapping another of the licence at the same
    -- institution, or a second primary one, is reported here: the exclusion
    -- constraints would otherwise abort the whole load.  Compared with the
    -- rows before it in the file and with the stored rows it does not replace.
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    WITH c AS (
        SELECT s.line_no, btrim(s.source_ref) AS ref, s.valid_from, l.licence_key, i.institution_key,
               coalesce(nullif(btrim(s.role), ''), 'primary') AS role,
               tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz) AS period
          FROM healthhub.stage_registrations s
          JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
          JOIN healthhub.institutions i ON i.source = src AND i.source_ref = btrim(s.institution_ref)
         WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                            WHERE e.load_id = lid AND e.entity = 'registrations' AND e.line_no = s.line_no)
    ), other AS (
        SELECT c.line_no, c.licence_key, c.institution_key, c.role, c.period FROM c
        UNION ALL
        SELECT NULL, g.licence_key, g.institution_key, g.role, g.period FROM healthhub.registrations g
         WHERE g.source IS DISTINCT FROM src OR g.source_ref NOT IN (SELECT c.ref FROM c)
    )
    SELECT DISTINCT ON (c.line_no) lid, 'registrations', c.line_no, 'valid_from', c.valid_from,
           CASE WHEN o.institution_key = c.institution_key
                THEN 'overlaps another registration of the licence at the institution'
                ELSE 'overlaps another primary registration of the licence' END
      FROM c JOIN other o ON o.licence_key = c.licence_key AND o.period && c.period
                         AND (o.line_no IS NULL OR o.line_no < c.line_no)
                         AND (o.institution_key = c.institution_key OR (o.role = 'primary' AND c.role = 'primary'))
     ORDER BY c.line_no, o.line_no NULLS FIRST;
    INSERT INTO healthhub.registrations AS g (source, source_ref, licence_key, institution_key, role, period)
    SELECT src, btrim(s.source_ref), l.licence_key, i.institution_key, coalesce(nullif(btrim(s.role), ''), 'primary'),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_registrations s
      JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
      JOIN healthhub.institutions i ON i.source = src AND i.source_ref = btrim(s.institution_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'registrations' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT registrations_source_ref DO UPDATE
       SET licence_key = EXCLUDED.licence_key, institution_key = EXCLUDED.institution_key,
           role = EXCLUDED.role, period = EXCLUDED.period
     WHERE (g.licence_key, g.institution_key, g.role, g.period)
           IS DISTINCT FROM (EXCLUDED.licence_key, EXCLUDED.institution_key, EXCLUDED.role, EXCLUDED.period);
    result := result || healthhub.load_outcome(lid, 'registrations', 4, sr,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_registrations)
             THEN healthhub.load_end_absent(sr, 'source_ref', 'healthhub.registrations', 'source_ref', 'period', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- blacklist
    PERFORM healthhub.load_require(lid, 'blacklist', sb, ARRAY['source_ref', 'reason']);
    PERFORM healthhub.load_check_duplicates(lid, 'blacklist', sb, 'source_ref');
    PERFORM healthhub.load_check_in(lid, 'blacklist', sb, 'subject_kind', ARRAY['institution', 'practitioner'], true,
                                    'is not institution or practitioner');
    PERFORM healthhub.load_check_reference(lid, 'blacklist', sb, 'subject_ref', 'healthhub.practitioners', 'source_ref',
                                           src, 'names no practitioner of this source', 'subject_kind', 'practitioner');
    PERFORM healthhub.load_check_reference(lid, 'blacklist', sb, 'subject_ref', 'healthhub.institutions', 'source_ref',
                                           src, 'names no institution of this source', 'subject_kind', 'institution');
    PERFORM healthhub.load_check_type(lid, 'blacklist', sb, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'blacklist', sb, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'blacklist', sb, 'valid_from', 'valid_to');
    INSERT INTO healthhub.blacklist AS b (source, source_ref, subject_kind, practitioner_key, institution_key, reason, period)
    SELECT src, btrim(s.source_ref), btrim(s.subject_kind), p.practitioner_key, i.institution_key, btrim(s.reason),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_blacklist s
      LEFT JOIN healthhub.practitioners p
             ON btrim(s.subject_kind) = 'practitioner' AND p.source = src AND p.source_ref = btrim(s.subject_ref)
      LEFT JOIN healthhub.institutions i
             ON btrim(s.subject_kind) = 'institution' AND i.source = src AND i.source_ref = btrim(s.subject_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'blacklist' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT blacklist_source_ref DO UPDATE
       SET subject_kind = EXCLUDED.subject_kind, practitioner_key = EXCLUDED.practitioner_key,
           institution_key = EXCLUDED.institution_key, reason = EXCLUDED.reason, period = EXCLUDED.period
     WHERE (b.subject_kind, b.practitioner_key, b.institution_key, b.reason, b.period)
           IS DISTINCT FROM (EXCLUDED.subject_kind, EXCLUDED.practitioner_key, EXCLUDED.institution_key,
                             EXCLUDED.reason, EXCLUDED.period);
    result := result || healthhub.load_outcome(lid, 'blacklist', 5, sb,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_blacklist)
             THEN healthhub.load_end_absent(sb, 'source_ref', 'healthhub.blacklist', 'source_ref', 'period', src, t)
             ELSE 0 END);

    PERFORM healthhub.end_load(lid, result, 'registry maintenance');
    PERFORM healthhub.clear_staging();
    RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                        (o.value->>'ended')::int, (o.value->>'rejected')::int, false
                   FROM jsonb_each(result) o ORDER BY (o.value->>'order')::int;
END
$$;


-- ==== Loading rules: optional patterns, values held by another row ====
DROP FUNCTION healthhub.load_check_pattern(bigint, text, regclass, text, text, text);
CREATE FUNCTION healthhub.load_check_pattern(load_id bigint, entity text, stage regclass, col text, pattern text,
                                             reason text, required boolean DEFAULT true) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (an empty or missing value passes when the column is optional)
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4 FROM %s s
                     WHERE CASE WHEN $6 THEN coalesce(btrim(s.%I) ~ $5, false) IS NOT TRUE
                                ELSE nullif(btrim(s.%I), '''') !~ $5 END', col, stage, col, col)
    USING load_id, entity, col, reason, pattern, required;
END
$$;

CREATE FUNCTION healthhub.load_check_held_elsewhere(load_id bigint, entity text, stage regclass, col text,
                                                    target regclass, target_col text, source text, reason text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4
                      FROM %s s JOIN %s t ON t.%I = btrim(s.%I)
                     WHERE (t.source, t.source_ref) IS DISTINCT FROM ($5, btrim(s.source_ref))',
                   col, stage, target, target_col, col)
    USING load_id, entity, col, reason, source;
END
$$;

REVOKE ALL ON FUNCTION healthhub.load_check_pattern(bigint, text, regclass, text, text, text, boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION healthhub.load_check_held_elsewhere(bigint, text, regclass, text, regclass, text, text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION healthhub.load_registry(source text, file_digest text, mode text)
    RETURNS TABLE (load_id bigint, entity text, staged integer, loaded integer, ended integer,
                   rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lid bigint;
    again boolean;
    src text := btrim(source);
    t timestamptz := now();
    snapshot boolean := mode = 'snapshot';
    result jsonb := '{}';
    si constant regclass := 'healthhub.stage_institutions';
    sp constant regclass := 'healthhub.stage_practitioners';
    sl constant regclass := 'healthhub.stage_licences';
    sr constant regclass := 'healthhub.stage_registrations';
    sb constant regclass := 'healthhub.stage_blacklist';
    r record;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.load_registry', ARRAY['source', 'file_digest', 'mode'],
                                        ARRAY[source IS NULL, file_digest IS NULL, mode IS NULL]);
    -- one registry load at a time, and nothing staged meanwhile
    LOCK TABLE healthhub.stage_institutions, healthhub.stage_practitioners, healthhub.stage_licences,
               healthhub.stage_registrations, healthhub.stage_blacklist IN SHARE ROW EXCLUSIVE MODE;
    SELECT b.load_id, b.already_loaded INTO lid, again
      FROM healthhub.begin_load('registry', source, file_digest, mode) b;
    IF again THEN
        PERFORM healthhub.clear_staging();
        RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                            (o.value->>'ended')::int, (o.value->>'rejected')::int, true
                       FROM healthhub.loads l, jsonb_each(l.outcome) o
                      WHERE l.load_id = lid ORDER BY (o.value->>'order')::int;
        RETURN;
    END IF;
    PERFORM healthhub.begin_load_writes(lid);

    ---------------------------------------------------------------- institutions
    PERFORM healthhub.load_require(lid, 'institutions', si, ARRAY['source_ref', 'name']);
    PERFORM healthhub.load_check_duplicates(lid, 'institutions', si, 'source_ref');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'kind', ARRAY['hospital', 'primary_care', 'village_clinic',
        'internet_hospital', 'retail_pharmacy', 'lab', 'cdc', 'insurer'], true,
        'is not one of hospital, primary_care, village_clinic, internet_hospital, retail_pharmacy, lab, cdc, insurer');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'level', ARRAY['1', '2', '3'], false, 'is not 1, 2 or 3');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'grade', ARRAY['甲', '乙', '丙', '特'], false,
                                    'is not 甲, 乙, 丙 or 特');
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'region', 'region_code', true);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'uscc', 'uscc', false);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'institutions', si, 'valid_from', 'valid_to');
    PERFORM healthhub.load_check_pattern(lid, 'institutions', si, 'practice_licence_no', '^[0-9A-Za-z-]{6,40}$',
                                         'is not 6 to 40 letters, digits or "-"', false);
    PERFORM healthhub.load_check_pattern(lid, 'institutions', si, 'insurance_code', '^[0-9A-Za-z]{4,40}$',
                                         'is not 4 to 40 letters or digits', false);
    PERFORM healthhub.load_check_duplicates(lid, 'institutions', si, 'practice_licence_no');
    PERFORM healthhub.load_check_duplicates(lid, 'institutions', si, 'insurance_code');
    PERFORM healthhub.load_check_held_elsewhere(lid, 'institutions', si, 'practice_licence_no', 'healthhub.institutions',
                                                'practice_licence_no', src, 'is another institution''s');
    PERFORM healthhub.load_check_held_elsewhere(lid, 'institutions', si, 'insurance_code', 'healthhub.institutions',
                                                'insurance_code', src, 'is another institution''s');
    -- (a grade needs a level, 特 level 3: the table's own rules)
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'institutions', s.line_no, 'grade', s.grade,
           CASE WHEN nullif(btrim(s.level), '') IS NULL THEN 'needs a level' ELSE 'is only for level 3' END
      FROM healthhub.stage_institutions s
     WHERE nullif(btrim(s.grade), '') IS NOT NULL
       AND (nullif(btrim(s.level), '') IS NULL OR (btrim(s.grade) = '特' AND btrim(s.level) IS DISTINCT FROM '3'));
    INSERT INTO healthhub.institutions AS i (source, source_ref, name, kind, level, grade, region, uscc,
                                             practice_licence_no, insurance_code, valid)
    SELECT src, btrim(s.source_ref), btrim(s.name), btrim(s.kind), nullif(btrim(s.level), ''), nullif(btrim(s.grade), ''),
           btrim(s.region)::healthhub.region_code, nullif(btrim(s.uscc), '')::healthhub.uscc,
           nullif(btrim(s.practice_licence_no), ''), nullif(btrim(s.insurance_code), ''),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_institutions s
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'institutions' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT institutions_source_ref DO UPDATE
       SET name = EXCLUDED.name, kind = EXCLUDED.kind, level = EXCLUDED.level, grade = EXCLUDED.grade,
           region = EXCLUDED.region, uscc = EXCLUDED.uscc, practice_licence_no = EXCLUDED.practice_licence_no,
           insurance_code = EXCLUDED.insurance_code, valid = EXCLUDED.valid
     WHERE (i.name, i.kind, i.level, i.grade, i.region::text, i.uscc::text, i.practice_licence_no,
            i.insurance_code, i.valid)
           IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.level, EXCLUDED.grade, EXCLUDED.region::text,
            EXCLUDED.uscc::text, EXCLUDED.practice_licence_no, EXCLUDED.insurance_code, EXCLUDED.valid);
    result := result || healthhub.load_outcome(lid, 'institutions', 1, si,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_institutions)
             THEN healthhub.load_end_absent(si, 'source_ref', 'healthhub.institutions', 'source_ref', 'valid', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- practitioners
    -- (identity numbers are personal data: an error keeps only the masked
    -- form, and a name is never kept)
    PERFORM healthhub.load_require(lid, 'practitioners', sp, ARRAY['source_ref']);
    PERFORM healthhub.load_require(lid, 'practitioners', sp, ARRAY['name'], 'none');
    PERFORM healthhub.load_check_duplicates(lid, 'practitioners', sp, 'source_ref');
    PERFORM healthhub.load_check_type(lid, 'practitioners', sp, 'resident_id', 'resident_id', false, 'masked');
    PERFORM healthhub.load_check_duplicates(lid, 'practitioners', sp, 'resident_id', 'masked');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'practitioners', s.line_no, 'resident_id', left(s.resident_id, 6) || '********',
           'is another practitioner''s'
      FROM healthhub.stage_practitioners s
      JOIN healthhub.practitioners p
        ON p.resident_id OPERATOR(healthhub.=) CASE WHEN healthhub.is_valid_resident_id(btrim(s.resident_id))
                                THEN healthhub.resident_id(btrim(s.resident_id)) END
     WHERE (p.source, p.source_ref) IS DISTINCT FROM (src, btrim(s.source_ref));
    INSERT INTO healthhub.practitioners AS p (source, source_ref, resident_id, name)
    SELECT src, btrim(s.source_ref), healthhub.resident_id(nullif(btrim(s.resident_id), '')), btrim(s.name)
      FROM healthhub.stage_practitioners s
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'practitioners' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT practitioners_source_ref DO UPDATE
       SET resident_id = EXCLUDED.resident_id, name = EXCLUDED.name
     WHERE (p.resident_id::text, p.name) IS DISTINCT FROM (EXCLUDED.resident_id::text, EXCLUDED.name);
    result := result || healthhub.load_outcome(lid, 'practitioners', 2, sp, 0);

    ---------------------------------------------------------------- licences
    PERFORM healthhub.load_check_pattern(lid, 'licences', sl, 'licence_no', '^[0-9A-Za-z-]{4,40}$',
                                         'is not 4 to 40 letters, digits or "-"');
    PERFORM healthhub.load_check_duplicates(lid, 'licences', sl, 'licence_no');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'licences', s.line_no, 'licence_no', s.licence_no, 'belongs to another source'
      FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
     WHERE l.source IS DISTINCT FROM src;
    PERFORM healthhub.load_check_reference(lid, 'licences', sl, 'practitioner_ref', 'healthhub.practitioners',
                                           'source_ref', src, 'names no practitioner of this source');
    PERFORM healthhub.load_check_in(lid, 'licences', sl, 'kind', ARRAY['physician', 'pharmacist', 'nurse'], true,
                                    'is not physician, pharmacist or nurse');
    PERFORM healthhub.load_check_in(lid, 'licences', sl, 'status', ARRAY['active', 'suspended', 'revoked'], false,
                                    'is not active, suspended or revoked');
    PERFORM healthhub.load_check_type(lid, 'licences', sl, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'licences', sl, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'licences', sl, 'valid_from', 'valid_to');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'licences', s.line_no, 'status', s.status, 'the licence is revoked; a revocation is final'
      FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
     WHERE l.status = 'revoked' AND coalesce(nullif(btrim(s.status), ''), 'active') <> 'revoked';
    INSERT INTO healthhub.licences AS l (licence_no, practitioner_key, kind, scope, validity, source)
    SELECT btrim(s.licence_no), p.practitioner_key, btrim(s.kind), nullif(btrim(s.scope), ''),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz), src
      FROM healthhub.stage_licences s
      JOIN healthhub.practitioners p ON p.source = src AND p.source_ref = btrim(s.practitioner_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'licences' AND e.line_no = s.line_no)
    ON CONFLICT (licence_no) DO UPDATE
       SET practitioner_key = EXCLUDED.practitioner_key, kind = EXCLUDED.kind, scope = EXCLUDED.scope,
           validity = EXCLUDED.validity
     WHERE (l.practitioner_key, l.kind, l.scope, l.validity)
           IS DISTINCT FROM (EXCLUDED.practitioner_key, EXCLUDED.kind, EXCLUDED.scope, EXCLUDED.validity);
    -- a status goes through the licence's history: one call per licence
    -- whose status changes (not per row; no subtransaction)
    FOR r IN SELECT l.licence_no, coalesce(nullif(btrim(s.status), ''), 'active') AS status
               FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
              WHERE coalesce(nullif(btrim(s.status), ''), 'active') IS DISTINCT FROM l.status
                AND NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                                 WHERE e.load_id = lid AND e.entity = 'licences' AND e.line_no = s.line_no)
              ORDER BY s.line_no LOOP
        PERFORM healthhub.change_licence_status(r.licence_no, r.status, 'load ' || src || ' ' || lower(btrim(file_digest)), t);
    END LOOP;
    result := result || healthhub.load_outcome(lid, 'licences', 3, sl,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_licences)
             THEN healthhub.load_end_absent(sl, 'licence_no', 'healthhub.licences', 'licence_no', 'validity', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- registrations
    PERFORM healthhub.load_require(lid, 'registrations', sr, ARRAY['source_ref']);
    PERFORM healthhub.load_check_duplicates(lid, 'registrations', sr, 'source_ref');
    PERFORM healthhub.load_check_reference(lid, 'registrations', sr, 'licence_no', 'healthhub.licences',
                                           'licence_no', NULL, 'names no licence');
    PERFORM healthhub.load_check_reference(lid, 'registrations', sr, 'institution_ref', 'healthhub.institutions',
                                           'source_ref', src, 'names no institution of this source');
    PERFORM healthhub.load_check_in(lid, 'registrations', sr, 'role', ARRAY['primary', 'additional'], false,
                                    'is not primary or additional');
    PERFORM healthhub.load_check_type(lid, 'registrations', sr, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'registrations', sr, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'registrations', sr, 'valid_from', 'valid_to');
    -- A registration overlapping another of the licence at the same
    -- institution, or a second primary one, is reported here: the exclusion
    -- constraints would otherwise abort the whole load.  Compared with the
    -- rows before it in the file and with the stored rows it does not replace.
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    WITH c AS (
        SELECT s.line_no, btrim(s.source_ref) AS ref, s.valid_from, l.licence_key, i.institution_key,
               coalesce(nullif(btrim(s.role), ''), 'primary') AS role,
               tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz) AS period
          FROM healthhub.stage_registrations s
          JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
          JOIN healthhub.institutions i ON i.source = src AND i.source_ref = btrim(s.institution_ref)
         WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                            WHERE e.load_id = lid AND e.entity = 'registrations' AND e.line_no = s.line_no)
    ), other AS (
        SELECT c.line_no, c.licence_key, c.institution_key, c.role, c.period FROM c
        UNION ALL
        SELECT NULL, g.licence_key, g.institution_key, g.role, g.period FROM healthhub.registrations g
         WHERE g.source IS DISTINCT FROM src OR g.source_ref NOT IN (SELECT c.ref FROM c)
    )
    SELECT DISTINCT ON (c.line_no) lid, 'registrations', c.line_no, 'valid_from', c.valid_from,
           CASE WHEN o.institution_key = c.institution_key
                THEN 'overlaps another registration of the licence at the institution'
                ELSE 'overlaps another primary registration of the licence' END
      FROM c JOIN other o ON o.licence_key = c.licence_key AND o.period && c.period
                         AND (o.line_no IS NULL OR o.line_no < c.line_no)
                         AND (o.institution_key = c.institution_key OR (o.role = 'primary' AND c.role = 'primary'))
     ORDER BY c.line_no, o.line_no NULLS FIRST;
    INSERT INTO healthhub.registrations AS g (source, source_ref, licence_key, institution_key, role, period)
    SELECT src, btrim(s.source_ref), l.licence_key, i.institution_key, coalesce(nullif(btrim(s.role), ''), 'primary'),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_registrations s
      JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
      JOIN healthhub.institutions i ON i.source = src AND i.source_ref = btrim(s.institution_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'registrations' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT registrations_source_ref DO UPDATE
       SET licence_key = EXCLUDED.licence_key, institution_key = EXCLUDED.institution_key,
           role = EXCLUDED.role, period = EXCLUDED.period
     WHERE (g.licence_key, g.institution_key, g.role, g.period)
           IS DISTINCT FROM (EXCLUDED.licence_key, EXCLUDED.institution_key, EXCLUDED.role, EXCLUDED.period);
    result := result || healthhub.load_outcome(lid, 'registrations', 4, sr,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_registrations)
             THEN healthhub.load_end_absent(sr, 'source_ref', 'healthhub.registrations', 'source_ref', 'period', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- blacklist
    PERFORM healthhub.load_require(lid, 'blacklist', sb, ARRAY['source_ref', 'reason']);
    PERFORM healthhub.load_check_duplicates(lid, 'blacklist', sb, 'source_ref');
    PERFORM healthhub.load_check_in(lid, 'blacklist', sb, 'subject_kind', ARRAY['institution', 'practitioner'], true,
                                    'is not institution or practitioner');
    PERFORM healthhub.load_check_reference(lid, 'blacklist', sb, 'subject_ref', 'healthhub.practitioners', 'source_ref',
                                           src, 'names no practitioner of this source', 'subject_kind', 'practitioner');
    PERFORM healthhub.load_check_reference(lid, 'blacklist', sb, 'subject_ref', 'healthhub.institutions', 'source_ref',
                                           src, 'names no institution of this source', 'subject_kind', 'institution');
    PERFORM healthhub.load_check_type(lid, 'blacklist', sb, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'blacklist', sb, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'blacklist', sb, 'valid_from', 'valid_to');
    INSERT INTO healthhub.blacklist AS b (source, source_ref, subject_kind, practitioner_key, institution_key, reason, period)
    SELECT src, btrim(s.source_ref), btrim(s.subject_kind), p.practitioner_key, i.institution_key, btrim(s.reason),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_blacklist s
      LEFT JOIN healthhub.practitioners p
             ON btrim(s.subject_kind) = 'practitioner' AND p.source = src AND p.source_ref = btrim(s.subject_ref)
      LEFT JOIN healthhub.institutions i
             ON btrim(s.subject_kind) = 'institution' AND i.source = src AND i.source_ref = btrim(s.subject_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'blacklist' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT blacklist_source_ref DO UPDATE
       SET subject_kind = EXCLUDED.subject_kind, practitioner_key = EXCLUDED.practitioner_key,
           institution_key = EXCLUDED.institution_key, reason = EXCLUDED.reason, period = EXCLUDED.period
     WHERE (b.subject_kind, b.practitioner_key, b.institution_key, b.reason, b.period)
           IS DISTINCT FROM (EXCLUDED.subject_kind, EXCLUDED.practitioner_key, EXCLUDED.institution_key,
                             EXCLUDED.reason, EXCLUDED.period);
    result := result || healthhub.load_outcome(lid, 'blacklist', 5, sb,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_blacklist)
             THEN healthhub.load_end_absent(sb, 'source_ref', 'healthhub.blacklist', 'source_ref', 'period', src, t)
             ELSE 0 END);

    PERFORM healthhub.end_load(lid, result, 'registry maintenance');
    PERFORM healthhub.clear_staging();
    RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                        (o.value->>'ended')::int, (o.value->>'rejected')::int, false
                   FROM jsonb_each(result) o ORDER BY (o.value->>'order')::int;
END
$$;


-- ==== One definition of the key layout: hub_key(hub, serial) ====
CREATE FUNCTION healthhub.hub_key(hub bigint, serial bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN hub * 10000000000 + serial;

CREATE OR REPLACE FUNCTION healthhub.mint_key() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    SELECT h.hub_id INTO id FROM healthhub.hub h;
    IF id IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    RETURN healthhub.hub_key(id, nextval('healthhub.key_seq'));
END
$$;

CREATE OR REPLACE FUNCTION healthhub.place_sequences_in_hub_block(hub bigint) RETURNS void
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
    lo := healthhub.hub_key(hub, 1);
    hi := healthhub.hub_key(hub, 9999999999);
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

CREATE OR REPLACE FUNCTION healthhub.link_batch(batch_name text, file_digest text)
    RETURNS TABLE (phase text, seconds numeric, rows bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    model integer := healthhub.linkage_model();
    m healthhub.linkage_models;
    lid bigint;
    again boolean;
    t0 timestamptz := clock_timestamp();
    t timestamptz := clock_timestamp();
    n bigint;
    match_weight double precision;
    possible_weight double precision;
    hub bigint := healthhub.hub_id();
    entry bigint;
    report jsonb := '[]';
    rec record;
    replication_role text;
    who text := healthhub.acting_role();
    last_node integer;
    first_record_id bigint;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    PERFORM healthhub.require_load_key(batch_name, file_digest, 'person_records', 'delta');
    PERFORM healthhub.require_no_work_tables('link_batch', ARRAY['batch_in', 'batch_records', 'batch_keys',
        'batch_nodes', 'batch_edges', 'batch_all', 'batch_scored', 'batch_clusters', 'batch_persons', 'batch_linked']);
    PERFORM healthhub.check_name_keys_version();
    -- The batch's work tables take hundreds of MB: kept in local buffers
    -- instead of written out and read back.  temp_buffers can only be raised
    -- before the session's first temporary table (docs/linkage.md).
    IF pg_size_bytes(current_setting('temp_buffers')) < pg_size_bytes('1GB') THEN
        BEGIN
            PERFORM set_config('temp_buffers', '1GB', false);
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE NOTICE 'link_batch: temp_buffers stays at % in this session (temporary tables were used before)',
                current_setting('temp_buffers')
                USING HINT = 'Call link_batch first in a new session, or set temp_buffers to 1GB before anything else.';
        END;
    END IF;
    IF hub IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    -- One batch at a time, and no single-record link meanwhile (link_record
    -- waits; resolve() and reads go on): what the batch decides from the
    -- index stays true until it commits.
    LOCK TABLE healthhub.source_records IN SHARE ROW EXCLUSIVE MODE;
    -- (the loading framework's key: the same file is never linked twice)
    SELECT b.load_id, b.already_loaded INTO lid, again
      FROM healthhub.begin_load('person_records', batch_name, file_digest, 'delta') b;
    IF again THEN
        DELETE FROM healthhub.stage_person_records;
        RETURN QUERY SELECT 'already linked'::text, 0::numeric, 0::bigint;
        RETURN;
    END IF;
    SELECT * INTO m FROM healthhub.linkage_models lm WHERE lm.model_version = model;
    match_weight := log(2.0, (m.match_probability / (1 - m.match_probability))::numeric)::double precision;
    possible_weight := log(2.0, (m.possible_probability / (1 - m.possible_probability))::numeric)::double precision;

    -- 1. validate and key ------------------------------------------------
    CREATE TEMP TABLE batch_in ON COMMIT DROP AS SELECT * FROM healthhub.staged_person_records();
    ANALYZE batch_in;
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'person_record', b.line_no, e.col, e.val, e.reason
      FROM batch_in b
     CROSS JOIN LATERAL (VALUES
        ('institution', b.source, CASE WHEN NOT b.institution_ok THEN 'names more than one institution (their keys or source_refs)'
                                       WHEN b.key_problem LIKE 'an institution%' THEN b.key_problem END),
        ('local_id', b.local_id, CASE WHEN b.key_problem LIKE 'a local id%' THEN b.key_problem END),
        ('name', b.name, CASE WHEN b.name IS NOT NULL AND b.hanzi IS NULL THEN healthhub.name_problem(b.name) END),
        ('sex', b.sex_text, CASE WHEN b.sex = 0 THEN 'Sex is 1 or 2, M or F, male or female, 男 or 女; 0 or 9 if not known.' END),
        ('birth_date', b.birth_text, CASE WHEN b.birth_text IS NOT NULL AND (b.birth_date IS NULL OR b.birth_date > current_date)
                                          THEN 'not a birth date between 1880-01-01 and today (YYYY-MM-DD)' END),
        ('phone', b.phone_text, CASE WHEN b.phone = '' THEN 'A phone number has 7 to 15 digits.' END),
        ('address_region', b.region_text,
         CASE WHEN b.region_text IS NOT NULL AND NOT b.region_ok THEN 'not a region code in healthhub.regions' END),
        ('other_identifiers', array_to_string(b.others, ';'),
         (SELECT string_agg(healthhub.health_identifier_problem(x), ' ') FROM unnest(b.others) x))
        ) e(col, val, reason)
     -- (only rows that may have a problem are looked at column by column)
     WHERE (b.key_problem IS NOT NULL OR NOT b.institution_ok OR (b.name IS NOT NULL AND b.hanzi IS NULL)
            OR b.sex = 0 OR (b.birth_text IS NOT NULL AND (b.birth_date IS NULL OR b.birth_date > current_date))
            OR b.phone = '' OR (b.region_text IS NOT NULL AND NOT b.region_ok) OR cardinality(b.others) > 0)
       AND e.reason IS NOT NULL;
    -- a record sent twice in one file: the last line counts
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'person_record', b.line_no, 'local_id', b.local_id, 'sent again on a later line of this batch'
      FROM batch_in b
      JOIN (SELECT b2.source, b2.local_id, max(b2.line_no) AS last_line FROM batch_in b2
             GROUP BY b2.source, b2.local_id HAVING count(*) > 1) d
        ON d.source = b.source AND d.local_id = b.local_id AND b.line_no < d.last_line;
    CREATE TEMP TABLE batch_records ON COMMIT DROP AS
    SELECT row_number() OVER (ORDER BY b.line_no)::integer AS node, b.line_no,
           b.source, b.local_id,
           b.institution_key,
           b.name, b.sex, b.birth_date, b.identifier AS identifier_text, b.phone,
           b.region_text::healthhub.region_code AS region,
           b.others::healthhub.health_identifier[] AS other_identifiers,
           rid.resident_id,
           -- a number the record contradicts (a parent's) is evidence, never a match
           healthhub.resident_id_contradicts(rid.resident_id, b.birth_date, b.sex) AS id_conflict,
           b.hanzi AS name_hanzi, b.pinyin AS name_pinyin, b.initials AS name_initials, b.surname,
           b.given_pinyin AS name_given_pinyin
      FROM batch_in b
      CROSS JOIN LATERAL (SELECT CASE WHEN healthhub.is_valid_resident_id(b.identifier)
                                      THEN healthhub.resident_id(b.identifier) END AS resident_id) rid
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors le WHERE le.load_id = lid AND le.line_no = b.line_no);

    -- records already in the index are linked one by one (corrections; no
    -- per-record locks: the batch holds the index)
    FOR rec IN SELECT r.* FROM batch_records r
                WHERE EXISTS (SELECT FROM healthhub.source_records s WHERE s.source = r.source AND s.local_id = r.local_id)
    LOOP
        PERFORM healthhub.link_prepared(healthhub.prepare_record(
                    rec.source, rec.local_id, rec.name, rec.sex::text, rec.birth_date, rec.identifier_text, rec.phone,
                    rec.region::integer::text, rec.other_identifiers::text[]));
        DELETE FROM batch_records r WHERE r.node = rec.node;
    END LOOP;
    ANALYZE batch_records;
    SELECT count(*), max(r.node) INTO n, last_node FROM batch_records r;
    report := report || jsonb_build_object('phase', 'validate and key', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: validated and keyed % records (% rejected) in % s', n,
        (SELECT count(*) FROM healthhub.load_errors le WHERE le.load_id = lid), round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 2. blocking: records sharing a key of the model's rules (and records
    --    already in the index that share one) --------------------------
    CREATE TEMP TABLE batch_keys ON COMMIT DROP AS
    SELECT h AS block_hash, r.node
      FROM batch_records r,
           unnest(healthhub.block_hashes(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region,
                                         r.phone, m.blocking_rules)) h;
    -- existing records become nodes too, after the batch's own
    CREATE TEMP TABLE batch_nodes ON COMMIT DROP AS
    SELECT r.node, CASE WHEN NOT r.id_conflict THEN r.resident_id::bigint END AS resident_id, NULL::bigint AS person_key,
           NULL::bigint AS record_id
      FROM batch_records r;
    -- (each with the number its person holds: the clustering never gives a
    -- person a second number)
    INSERT INTO batch_nodes
    SELECT last_node + row_number() OVER ()::integer,
           (SELECT min(pi.resident_id::bigint) FROM healthhub.person_identifiers pi
             WHERE pi.person_key = s.person_key AND pi.resident_id IS NOT NULL),
           s.person_key, s.record_id
      FROM (SELECT DISTINCT bk.record_id FROM healthhub.record_block_keys bk
             WHERE bk.block_hash IN (SELECT k.block_hash FROM batch_keys k)) e
      JOIN healthhub.source_records s ON s.record_id = e.record_id AND s.withdrawn_at IS NULL;
    INSERT INTO batch_keys
    SELECT bk.block_hash, n2.node FROM batch_nodes n2
      JOIN healthhub.record_block_keys bk ON bk.record_id = n2.record_id
     WHERE n2.record_id IS NOT NULL AND bk.block_hash IN (SELECT k.block_hash FROM batch_keys k);
    CREATE TEMP TABLE batch_edges ON COMMIT DROP AS
    SELECT p.a, p.b, NULL::double precision AS weight FROM healthhub.block_pairs(healthhub.batch_block_limit()) p;
    -- (every work table is analysed once made: the planner sees no
    -- statistics of temporary tables otherwise, and guesses badly at this size)
    ANALYZE batch_keys, batch_nodes, batch_edges;
    SELECT count(*) INTO n FROM batch_edges;
    report := report || jsonb_build_object('phase', 'blocking', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: % candidate pairs from blocking in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 3. scoring ----------------------------------------------------------
    CREATE TEMP TABLE batch_all ON COMMIT DROP AS
    SELECT r.node, r.source, r.local_id, r.institution_key, r.name, r.sex, r.birth_date, r.identifier_text, r.phone,
           r.region, r.other_identifiers, r.resident_id, r.id_conflict, r.name_hanzi, r.name_pinyin, r.name_initials,
           r.surname, r.name_given_pinyin
      FROM batch_records r
    UNION ALL
    SELECT n2.node, s.source, s.local_id, s.institution_key, s.name, s.sex, s.birth_date, s.identifier_text, s.phone,
           s.region, s.other_identifiers, s.resident_id, s.id_conflict, s.name_hanzi, s.name_pinyin, s.name_initials,
           s.surname, s.name_given_pinyin
      FROM batch_nodes n2 JOIN healthhub.source_records s ON s.record_id = n2.record_id;
    CREATE UNIQUE INDEX ON batch_all (node);
    ANALYZE batch_all;
    CREATE TEMP TABLE batch_scored ON COMMIT DROP AS
    SELECT e.a, e.b, healthhub.batch_match_score(x, y, model) AS weight
      FROM batch_edges e JOIN batch_all x ON x.node = e.a JOIN batch_all y ON y.node = e.b
     WHERE NOT EXISTS (SELECT FROM healthhub.link_decisions l
                        WHERE l.state = 'no_match'
                          AND ((l.source = x.source AND l.local_id = x.local_id
                                AND l.person_key = (SELECT person_key FROM batch_nodes WHERE node = y.node))
                            OR (l.source = y.source AND l.local_id = y.local_id
                                AND l.person_key = (SELECT person_key FROM batch_nodes WHERE node = x.node))));
    DROP TABLE batch_edges;
    ALTER TABLE batch_scored RENAME TO batch_edges;
    -- identifiers: records sharing a resident ID (without conflict) or
    -- another identifier are one person, whatever their scores
    -- (unless the names differ entirely: a parent's number on a child's
    -- record that gives no birth date to contradict it)
    INSERT INTO batch_edges
    SELECT g.first, x.node, 'Infinity'::double precision
      FROM batch_all x
      JOIN (SELECT resident_id, min(node) AS first FROM batch_records WHERE resident_id IS NOT NULL AND NOT id_conflict
             GROUP BY resident_id HAVING count(*) > 1) g ON g.resident_id OPERATOR(healthhub.=) x.resident_id
      JOIN batch_all f ON f.node = g.first
     WHERE x.node <> g.first AND NOT x.id_conflict AND x.node <= last_node
       AND (NOT m.names_must_agree OR (healthhub.batch_comparison_levels(x, f))[1] <> 5);
    INSERT INTO batch_edges
    SELECT g.first, xi.node, 'Infinity'::double precision
      FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) xi
      JOIN (SELECT ident, min(node) AS first FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) y
             GROUP BY ident HAVING count(*) > 1) g ON g.ident OPERATOR(healthhub.=) xi.ident
      JOIN batch_all x ON x.node = xi.node
      JOIN batch_all f ON f.node = g.first
     WHERE xi.node <> g.first
       AND (NOT m.names_must_agree OR (healthhub.batch_comparison_levels(x, f))[1] <> 5);
    -- and records whose number or identifier is already a person's join it,
    -- by the rule link_record follows (identifier_links)
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM batch_records r JOIN healthhub.person_identifiers pi
        ON pi.resident_id OPERATOR(healthhub.=) r.resident_id
     WHERE bn.node = r.node AND NOT r.id_conflict
       AND healthhub.identifier_links(r, pi.person_key, m.names_must_agree, false);
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM (SELECT r1 AS rec, r1.node, unnest(r1.other_identifiers) AS ident FROM batch_records r1) r
      JOIN healthhub.person_identifiers pi ON pi.identifier OPERATOR(healthhub.=) r.ident
     WHERE bn.node = r.node AND bn.person_key IS NULL
       AND healthhub.identifier_links(r.rec, pi.person_key, m.names_must_agree, true);
    -- a record that joins a person without a number of its own carries the
    -- person's into the clustering
    UPDATE batch_nodes bn SET resident_id = (SELECT min(pi.resident_id::bigint) FROM healthhub.person_identifiers pi
                                              WHERE pi.person_key = bn.person_key AND pi.resident_id IS NOT NULL)
     WHERE bn.person_key IS NOT NULL AND bn.resident_id IS NULL AND bn.node <= last_node;
    ANALYZE batch_edges, batch_nodes;
    SELECT count(*) INTO n FROM batch_edges;
    report := report || jsonb_build_object('phase', 'scoring', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: scored % pairs in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 4. clustering -------------------------------------------------------
    -- (each node's group with the group's person already in the index, if any)
    CREATE TEMP TABLE batch_clusters ON COMMIT DROP AS
    SELECT c.node, c.cluster, c.person_key FROM healthhub.link_clusters(match_weight) c;
    -- (new persons numbered in the order of their first record: the same
    -- file gives the same keys whatever plan the aggregate gets)
    CREATE TEMP TABLE batch_persons ON COMMIT DROP AS
    SELECT g.cluster, coalesce(g.existing, healthhub.hub_key(hub, nextval('healthhub.key_seq'))) AS person_key,
           g.existing IS NULL AS created
      FROM (SELECT c.cluster, max(c.person_key) AS existing
              FROM batch_clusters c GROUP BY c.cluster ORDER BY c.cluster) g;
    -- The records with their persons and ids, as a new table (an UPDATE
    -- would write a million rows twice).  The ids are a block of the
    -- sequence, the batch's alone while it holds the index.
    first_record_id := nextval('healthhub.record_seq');
    PERFORM setval('healthhub.record_seq', first_record_id + last_node);
    CREATE TEMP TABLE batch_linked ON COMMIT DROP AS
    SELECT r.*, p.person_key, p.created AS person_created, first_record_id + r.node AS record_id
      FROM batch_records r JOIN batch_clusters c ON c.node = r.node JOIN batch_persons p ON p.cluster = c.cluster;
    DROP TABLE batch_records;
    ALTER TABLE batch_linked RENAME TO batch_records;
    -- (without statistics the planner joined the review queue's pairs to
    -- these records and persons as if they were a few rows: a second batch
    -- into a large index multiplied them out of all proportion)
    ANALYZE batch_records, batch_clusters, batch_persons;
    SELECT count(*) INTO n FROM batch_persons WHERE created;
    report := report || jsonb_build_object('phase', 'clustering', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: % records in % new persons in % s', (SELECT count(*) FROM batch_records), n,
        round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 5. writing ----------------------------------------------------------
    entry := healthhub.audit_append('link.batch', 'load', lid::text, NULL, 'patient identity management', 'ok');
    -- Every row written below refers to rows this transaction has just
    -- written or read (persons, records, institutions): the per-row
    -- foreign-key triggers are skipped while it writes, as pg_restore
    -- --disable-triggers does, and none of these tables has another trigger.
    replication_role := current_setting('session_replication_role');
    PERFORM set_config('session_replication_role', 'replica', true);
    INSERT INTO healthhub.source_records (source, local_id, institution_key, name, sex, birth_date, identifier_text,
                                          phone, region, other_identifiers, resident_id, id_conflict, name_hanzi,
                                          name_pinyin, name_initials, surname, name_given_pinyin, person_key,
                                          link_origin, link_model, linked_by, record_id)
    SELECT r.source, r.local_id, r.institution_key, r.name, r.sex, r.birth_date, r.identifier_text, r.phone, r.region,
           r.other_identifiers, r.resident_id, r.id_conflict, r.name_hanzi, r.name_pinyin, r.name_initials, r.surname,
           r.name_given_pinyin, r.person_key, 'auto', model, who, r.record_id
      FROM batch_records r ORDER BY r.source, r.local_id;
    -- the best pair across two persons between the thresholds: the review queue
    INSERT INTO healthhub.link_decisions (source, local_id, person_key, state, origin, score, model_version, decided_by)
    SELECT DISTINCT ON (x.node) xa.source, xa.local_id, py.person_key, 'possible_match', 'auto', x.weight, model, who
      FROM (SELECT e.a AS node, e.b AS other, e.weight FROM batch_edges e
             WHERE e.weight >= possible_weight AND e.weight < match_weight
            UNION ALL
            SELECT e.b, e.a, e.weight FROM batch_edges e
             WHERE e.weight >= possible_weight AND e.weight < match_weight) x
      JOIN batch_records xa ON xa.node = x.node
      JOIN batch_clusters cy ON cy.node = x.other
      JOIN batch_persons py ON py.cluster = cy.cluster
     WHERE py.person_key <> xa.person_key
     ORDER BY x.node, x.weight DESC
    ON CONFLICT DO NOTHING;
    INSERT INTO healthhub.record_block_keys (block_hash, record_id)
    SELECT k.block_hash, first_record_id + k.node FROM batch_keys k WHERE k.node <= last_node
     ORDER BY 1, 2;
    INSERT INTO healthhub.person_identifiers (resident_id, person_key)
    SELECT DISTINCT ON (r.resident_id) r.resident_id, r.person_key FROM batch_records r
     WHERE r.resident_id IS NOT NULL AND NOT r.id_conflict
     ORDER BY r.resident_id, r.node
    ON CONFLICT DO NOTHING;
    INSERT INTO healthhub.person_identifiers (identifier, person_key)
    SELECT DISTINCT ON (i) i, r.person_key FROM batch_records r, unnest(r.other_identifiers) i
     ORDER BY i, r.node
    ON CONFLICT DO NOTHING;
    -- new persons are inserted with their golden records (after their records
    -- and identifiers: the golden record is made from them); persons that
    -- were already in the index get theirs rebuilt
    -- (the hub given, not left to its default: a function call per row)
    INSERT INTO healthhub.persons (hub_id, person_key, resident_id, name, sex, birth_date, phone, region)
    SELECT hub, g.* FROM healthhub.golden_records(ARRAY(
               SELECT p.person_key FROM batch_persons p
                WHERE p.created AND p.person_key IN (SELECT r.person_key FROM batch_records r))) g
     ORDER BY g.person_key;
    PERFORM healthhub.rebuild_golden_set(ARRAY(SELECT DISTINCT p.person_key FROM batch_persons p
                                                WHERE NOT p.created));
    INSERT INTO healthhub.link_events (entry_id, by_role, action, source, local_id, record_id, person_key, new_state,
                                       origin, model_version, reason)
    SELECT entry, who, 'link_batch', r.source, r.local_id, r.record_id, r.person_key, 'match', 'auto', model,
           CASE WHEN r.person_created THEN 'created' ELSE 'matched' END
      FROM batch_records r
     ORDER BY r.record_id;
    PERFORM set_config('session_replication_role', replication_role, true);
    -- the tables grew by a batch: plan the next link_record() on their real sizes
    ANALYZE healthhub.source_records, healthhub.record_block_keys, healthhub.link_decisions, healthhub.persons,
            healthhub.person_identifiers;
    SELECT count(*) INTO n FROM batch_records;
    report := report || jsonb_build_object('phase', 'writing', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: wrote % records in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);

    -- the rows this batch read leave the staging table (rows staged
    -- meanwhile stay for the next batch)
    DELETE FROM healthhub.stage_person_records s USING batch_in b WHERE s.ctid = b.stage_row;
    UPDATE healthhub.loads l SET outcome = jsonb_build_object(
        'records', n,
        'rejected', (SELECT count(DISTINCT le.line_no) FROM healthhub.load_errors le WHERE le.load_id = lid),
        'persons_created', (SELECT count(*) FROM batch_persons WHERE created),
        'matched_existing', (SELECT count(*) FROM batch_records r WHERE NOT r.person_created),
        'possible_matches', (SELECT count(*) FROM healthhub.link_decisions lk WHERE lk.state = 'possible_match'
                               AND (lk.source, lk.local_id) IN (SELECT br.source, br.local_id FROM batch_records br)),
        'model_version', model, 'phases', report, 'audit_entry', entry)
     WHERE l.load_id = lid;
    RETURN QUERY
    SELECT x->>'phase', round((x->>'seconds')::numeric, 2), (x->>'rows')::bigint FROM jsonb_array_elements(report) x
    UNION ALL
    SELECT 'total', round(extract(epoch FROM clock_timestamp() - t0)::numeric, 2), n;
END
$$;


-- ==== One hub_admin check for the person index (maintenance and audited reads) ====
DROP FUNCTION healthhub.linkage_authorise_admin();
DROP FUNCTION healthhub.linkage_authorise_reader(text);
CREATE FUNCTION healthhub.linkage_authorise_admin(
        refusal text DEFAULT 'does not hold the hub_admin profile',
        detail text DEFAULT 'Merging, unmerging, recording deaths, training and bulk linking are for hub_admin.')
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.linkage_is_admin() THEN
        RAISE EXCEPTION 'role % %', healthhub.acting_role(), refusal
            USING ERRCODE = 'insufficient_privilege', DETAIL = detail;
    END IF;
END
$$;

REVOKE ALL ON FUNCTION healthhub.linkage_authorise_admin(text, text) FROM PUBLIC;
CREATE OR REPLACE FUNCTION healthhub.person_details(person bigint)
    RETURNS SETOF healthhub.persons
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.persons;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_details', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading persons is for hub_admin.');
    SELECT * INTO p FROM healthhub.persons x WHERE x.person_key = person;
    PERFORM healthhub.audit_append('read', 'person', person::text, p.person_key, 'patient identity management',
                                   CASE WHEN p.person_key IS NULL THEN 'not_found' ELSE 'found' END);
    IF p.person_key IS NOT NULL THEN
        RETURN NEXT p;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.person_records(person bigint)
    RETURNS SETOF healthhub.source_records
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    page healthhub.source_records[];
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_records', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading a person''s records is for hub_admin.');
    SELECT array_agg(s ORDER BY s.source, s.local_id) INTO page
      FROM healthhub.source_records s WHERE s.person_key = person;
    PERFORM healthhub.audit_append('read', 'person_records', person::text, person, 'patient identity management',
                                   coalesce(cardinality(page), 0) || ' records');
    RETURN QUERY SELECT * FROM unnest(page);
END
$$;

CREATE OR REPLACE FUNCTION healthhub.person_identifiers_of(person bigint)
    RETURNS TABLE (resident_id healthhub.resident_id, identifier healthhub.health_identifier, linked_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_ids healthhub.person_identifiers[];
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_identifiers_of', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading a person''s identifiers is for hub_admin.');
    SELECT array_agg(pi ORDER BY pi.resident_id IS NULL, pi.resident_id, pi.identifier) INTO found_ids
      FROM healthhub.person_identifiers pi WHERE pi.person_key = person;
    PERFORM healthhub.audit_append('read', 'person_identifiers', person::text, person, 'patient identity management',
                                   coalesce(cardinality(found_ids), 0) || ' identifiers');
    RETURN QUERY SELECT x.resident_id, x.identifier, x.linked_at FROM unnest(found_ids) x;
END
$$;

CREATE OR REPLACE FUNCTION healthhub.record_links(source text, local_id text)
    RETURNS SETOF healthhub.links
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_links healthhub.links[];
BEGIN
    PERFORM healthhub.require_record_key('record_links', source, local_id);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading the links of a record is for hub_admin.');
    SELECT array_agg(l ORDER BY l.state = 'match' DESC, l.decided_at, l.person_key) INTO found_links
      FROM healthhub.links l WHERE l.source = btrim(record_links.source) AND l.local_id = btrim(record_links.local_id);
    PERFORM healthhub.audit_append('read', 'person_links', btrim(source) || '/' || btrim(local_id),
                                   (SELECT x.person_key FROM unnest(found_links) x WHERE x.state = 'match'),
                                   'patient identity management', coalesce(cardinality(found_links), 0) || ' links');
    RETURN QUERY SELECT * FROM unnest(found_links);
END
$$;

CREATE OR REPLACE FUNCTION healthhub.pending_reviews(queued_after timestamptz DEFAULT NULL, max_rows integer DEFAULT 100)
    RETURNS SETOF healthhub.review_queue
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    page healthhub.review_queue[];
    n integer;
BEGIN
    PERFORM healthhub.require_page_size(max_rows);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reviewing possible matches is for hub_admin.');
    SELECT array_agg(q.r ORDER BY (q.r).queued_at, (q.r).source, (q.r).local_id, (q.r).candidate) INTO page
      FROM (SELECT rq AS r FROM healthhub.review_queue rq
             WHERE queued_after IS NULL OR rq.queued_at > queued_after
             ORDER BY rq.queued_at, rq.source, rq.local_id, rq.candidate LIMIT max_rows) q;
    n := coalesce(cardinality(page), 0);
    PERFORM healthhub.audit_append('read', 'review_queue',
                                   CASE WHEN n > 0 THEN 'queued ' || (page[1]).queued_at || ' .. ' || (page[n]).queued_at END,
                                   NULL, 'patient identity management', n || ' possible matches');
    RETURN QUERY SELECT * FROM unnest(page);
END
$$;

CREATE OR REPLACE FUNCTION healthhub.find_persons_with_two_numbers()
    RETURNS SETOF healthhub.persons_with_two_numbers
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_persons healthhub.persons_with_two_numbers[];
BEGIN
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reviewing persons with two numbers is for hub_admin.');
    SELECT array_agg(v ORDER BY v.person_key) INTO found_persons FROM healthhub.persons_with_two_numbers v;
    PERFORM healthhub.audit_append('read', 'persons_with_two_numbers', NULL, NULL, 'patient identity management',
                                   coalesce(cardinality(found_persons), 0) || ' persons');
    RETURN QUERY SELECT * FROM unnest(found_persons);
END
$$;


-- One preparation of a person record (link_record and link_batch): the
-- raising parsers give way to person_record_prepared; staged_person_records
-- returns the index's columns; link_batch is a load of the framework
-- (marker, end_load's entry person_records.load.delta), end_load returns
-- the entry's id.
DROP FUNCTION healthhub.parse_sex(text);
DROP FUNCTION healthhub.normalise_phone(text);
CREATE FUNCTION healthhub.person_record_prepared(text, text, bigint[], text, text, text, text, text, text, text[])
    RETURNS TABLE (source text, local_id text, institution_key bigint, name text, name_hanzi text, name_pinyin text,
                   name_initials text, surname text, name_given_pinyin text, sex smallint, birth_date date,
                   identifier_text text, resident_id healthhub.resident_id, id_conflict boolean, phone text,
                   region healthhub.region_code, other_identifiers healthhub.health_identifier[],
                   key_problem text, institution_problem text, name_problem text, sex_problem text,
                   birth_date_problem text, phone_problem text, region_problem text, others_problem text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT f.source, f.local_id, f.institutions[1], f.name, k.hanzi, k.pinyin, k.initials, k.surname, k.given_pinyin,
           nullif(f.sex, 0), v.birth_date, f.identifier, rid.resident_id,
           healthhub.resident_id_contradicts(rid.resident_id, v.birth_date, nullif(f.sex, 0)),
           nullif(f.phone, ''), CASE WHEN v.region_ok THEN f.region::healthhub.region_code END,
           CASE WHEN v.others_problem IS NULL THEN f.others::healthhub.health_identifier[] END,
           healthhub.record_key_problem(f.source, f.local_id),
           CASE WHEN cardinality(f.institutions) > 1 THEN 'names more than one institution (their keys or source_refs)' END,
           CASE WHEN f.name IS NOT NULL AND k.hanzi IS NULL THEN healthhub.name_problem(f.name) END,
           CASE WHEN f.sex = 0 THEN 'Sex is 1 or 2 (GB/T 2261.1), M or F, male or female, 男 or 女; 0 or 9 if not known.' END,
           CASE WHEN f.birth_text IS NOT NULL AND v.birth_date IS NULL
                THEN 'A birth date is written YYYY-MM-DD (or YYYYMMDD, YYYY/MM/DD) and lies between 1880-01-01 and today.' END,
           CASE WHEN f.phone = '' THEN 'A phone number has 7 to 15 digits, with optional spaces, hyphens, brackets and a +86 prefix.' END,
           CASE WHEN f.region IS NOT NULL AND NOT v.region_ok THEN 'A region is the 6-digit code of a county in healthhub.regions.' END,
           v.others_problem
      FROM (SELECT btrim($1) AS source, btrim($2) AS local_id, $3 AS institutions, nullif(btrim($4), '') AS name,
                   healthhub.sex_code($5) AS sex, nullif(btrim($6), '') AS birth_text, nullif(btrim($7), '') AS identifier,
                   healthhub.phone_digits($8) AS phone, nullif(btrim($9), '') AS region,
                   ARRAY(SELECT btrim(x) FROM unnest($10) x WHERE btrim(x) <> '') AS others) f
      LEFT JOIN LATERAL healthhub.name_keys_or_null(f.name) k ON true
     CROSS JOIN LATERAL (SELECT CASE WHEN healthhub.birth_date_or_null(f.birth_text) <= current_date
                                     THEN healthhub.birth_date_or_null(f.birth_text) END AS birth_date,
                                f.region IN (SELECT g.code::text FROM healthhub.regions g) AS region_ok,
                                (SELECT string_agg(healthhub.health_identifier_problem(x), ' ')
                                   FROM unnest(f.others) x) AS others_problem) v
     CROSS JOIN LATERAL (SELECT CASE WHEN healthhub.is_valid_resident_id(f.identifier)
                                     THEN healthhub.resident_id(f.identifier) END AS resident_id) rid;
END;
COMMENT ON FUNCTION healthhub.person_record_prepared(text, text, bigint[], text, text, text, text, text, text, text[]) IS
    'A person record''s fields (source, local id, institutions, name, sex, birth date, identifier, phone, region, other identifiers) as the index keeps them, and why each cannot be used';

CREATE OR REPLACE FUNCTION healthhub.prepare_record(source text, local_id text, name text, sex text, birth_date date,
                                         identifier text, phone text, region text, other_identifiers text[])
    RETURNS healthhub.source_records
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
    p record;
    bad record;
BEGIN
    IF array_position(other_identifiers, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'other_identifiers holds a NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('Element %s of the array is NULL.', array_position(other_identifiers, NULL)),
                  HINT = 'Pass only the identifiers the record has: ''{}'' for none.';
    END IF;
    SELECT * INTO p FROM healthhub.person_record_prepared(source, local_id, NULL, name, sex,
                                                          to_char(birth_date, 'YYYY-MM-DD'), identifier, phone, region,
                                                          other_identifiers);
    IF p.key_problem LIKE '%required' THEN
        RAISE EXCEPTION 'a source record needs its source and local id'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('source %L, local_id %L', source, local_id);
    ELSIF p.key_problem IS NOT NULL THEN
        RAISE EXCEPTION 'source or local id too long: %', p.key_problem
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The source has %s bytes, the local id %s.', octet_length(p.source), octet_length(p.local_id));
    END IF;
    SELECT f.noun, f.value, f.reason INTO bad
      FROM (VALUES (1, 'name', name, p.name_problem), (2, 'sex', sex, p.sex_problem),
                   (3, 'birth date', birth_date::text, p.birth_date_problem), (4, 'phone number', phone, p.phone_problem),
                   (5, 'region', region, p.region_problem),
                   (6, 'other identifiers', array_to_string(other_identifiers, ';'), p.others_problem)) f(n, noun, value, reason)
     WHERE f.reason IS NOT NULL ORDER BY f.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'invalid %: "%"', bad.noun, bad.value
            USING ERRCODE = 'invalid_parameter_value', DETAIL = bad.reason;
    END IF;
    r.source := p.source;
    r.local_id := p.local_id;
    r.institution_key := healthhub.institution_for_source(p.source);
    r.name := p.name;
    r.name_hanzi := p.name_hanzi;
    r.name_pinyin := p.name_pinyin;
    r.name_initials := p.name_initials;
    r.surname := p.surname;
    r.name_given_pinyin := p.name_given_pinyin;
    r.sex := p.sex;
    r.birth_date := p.birth_date;
    r.identifier_text := p.identifier_text;
    r.resident_id := p.resident_id;
    r.id_conflict := p.id_conflict;
    r.phone := p.phone;
    r.region := p.region;
    r.other_identifiers := p.other_identifiers;
    RETURN r;
END
$$;
COMMENT ON FUNCTION healthhub.prepare_record(text, text, text, text, date, text, text, text, text[]) IS
    'Validate a record and derive its keys (resident ID, conflict flag, name keys) without writing anything';

DROP FUNCTION healthhub.staged_person_records();
CREATE FUNCTION healthhub.staged_person_records()
    RETURNS TABLE (stage_row tid, line_no bigint, source text, local_id text, institution_key bigint, name text,
                   name_hanzi text, name_pinyin text, name_initials text, surname text, name_given_pinyin text,
                   sex smallint, birth_date date, identifier_text text, resident_id healthhub.resident_id,
                   id_conflict boolean, phone text, region healthhub.region_code,
                   other_identifiers healthhub.health_identifier[], key_problem text, institution_problem text,
                   name_problem text, sex_problem text, birth_date_problem text, phone_problem text,
                   region_problem text, others_problem text, sex_text text, birth_text text, phone_text text,
                   region_text text, others_text text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT s.ctid, s.line_no, p.source, p.local_id, p.institution_key, p.name, p.name_hanzi, p.name_pinyin,
           p.name_initials, p.surname, p.name_given_pinyin, p.sex, p.birth_date, p.identifier_text, p.resident_id,
           p.id_conflict, p.phone, p.region, p.other_identifiers, p.key_problem, p.institution_problem, p.name_problem,
           p.sex_problem, p.birth_date_problem, p.phone_problem, p.region_problem, p.others_problem,
           s.sex, s.birth_date, s.phone, s.address_region, s.other_identifiers
      FROM healthhub.stage_person_records s
      -- the institutions each source names, looked up once per source
      LEFT JOIN (SELECT d.source, healthhub.institutions_named_by(d.source) AS institutions
                   FROM (SELECT DISTINCT btrim(st.institution) AS source FROM healthhub.stage_person_records st) d
                ) src ON src.source = btrim(s.institution)
     CROSS JOIN LATERAL healthhub.person_record_prepared(
               s.institution, s.local_id, src.institutions, s.name, s.sex, s.birth_date, s.identifier, s.phone,
               s.address_region, string_to_array(s.other_identifiers, ';')) p;
END;
COMMENT ON FUNCTION healthhub.staged_person_records() IS
    'The records staged in healthhub.stage_person_records, prepared as link_record prepares one, with why each field cannot be used';

REVOKE ALL ON FUNCTION healthhub.staged_person_records() FROM PUBLIC;
DROP FUNCTION healthhub.end_load(bigint, jsonb, text);
CREATE FUNCTION healthhub.end_load(load_id bigint, outcome jsonb, purpose text) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l healthhub.loads;
BEGIN
    PERFORM healthhub.end_load_writes();
    UPDATE healthhub.loads x SET outcome = end_load.outcome WHERE x.load_id = end_load.load_id RETURNING * INTO l;
    RETURN healthhub.audit_append(l.kind || '.load.' || l.mode, 'load', l.load_id::text, NULL, purpose,
        CASE WHEN EXISTS (SELECT 1 FROM healthhub.load_errors e WHERE e.load_id = l.load_id) THEN 'partial' ELSE 'ok' END);
END
$$;

REVOKE ALL ON FUNCTION healthhub.end_load(bigint, jsonb, text) FROM PUBLIC;
CREATE OR REPLACE FUNCTION healthhub.link_batch(batch_name text, file_digest text)
    RETURNS TABLE (phase text, seconds numeric, rows bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    model integer := healthhub.linkage_model();
    m healthhub.linkage_models;
    lid bigint;
    again boolean;
    t0 timestamptz := clock_timestamp();
    t timestamptz := clock_timestamp();
    n bigint;
    match_weight double precision;
    possible_weight double precision;
    hub bigint := healthhub.hub_id();
    entry bigint;
    report jsonb := '[]';
    rec record;
    replication_role text;
    who text := healthhub.acting_role();
    last_node integer;
    first_record_id bigint;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    PERFORM healthhub.require_load_key(batch_name, file_digest, 'person_records', 'delta');
    PERFORM healthhub.require_no_work_tables('link_batch', ARRAY['batch_in', 'batch_records', 'batch_keys',
        'batch_nodes', 'batch_edges', 'batch_all', 'batch_scored', 'batch_clusters', 'batch_persons', 'batch_linked']);
    PERFORM healthhub.check_name_keys_version();
    -- The batch's work tables take hundreds of MB: kept in local buffers
    -- instead of written out and read back.  temp_buffers can only be raised
    -- before the session's first temporary table (docs/linkage.md).
    IF pg_size_bytes(current_setting('temp_buffers')) < pg_size_bytes('1GB') THEN
        BEGIN
            PERFORM set_config('temp_buffers', '1GB', false);
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE NOTICE 'link_batch: temp_buffers stays at % in this session (temporary tables were used before)',
                current_setting('temp_buffers')
                USING HINT = 'Call link_batch first in a new session, or set temp_buffers to 1GB before anything else.';
        END;
    END IF;
    IF hub IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    -- One batch at a time, and no single-record link meanwhile (link_record
    -- waits; resolve() and reads go on): what the batch decides from the
    -- index stays true until it commits.
    LOCK TABLE healthhub.source_records IN SHARE ROW EXCLUSIVE MODE;
    -- (the loading framework's key: the same file is never linked twice)
    SELECT b.load_id, b.already_loaded INTO lid, again
      FROM healthhub.begin_load('person_records', batch_name, file_digest, 'delta') b;
    IF again THEN
        DELETE FROM healthhub.stage_person_records;
        RETURN QUERY SELECT 'already linked'::text, 0::numeric, 0::bigint;
        RETURN;
    END IF;
    PERFORM healthhub.begin_load_writes(lid);
    SELECT * INTO m FROM healthhub.linkage_models lm WHERE lm.model_version = model;
    match_weight := log(2.0, (m.match_probability / (1 - m.match_probability))::numeric)::double precision;
    possible_weight := log(2.0, (m.possible_probability / (1 - m.possible_probability))::numeric)::double precision;

    -- 1. validate and key ------------------------------------------------
    CREATE TEMP TABLE batch_in ON COMMIT DROP AS SELECT * FROM healthhub.staged_person_records();
    ANALYZE batch_in;
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'person_record', b.line_no, e.col, e.val, e.reason
      FROM batch_in b
     CROSS JOIN LATERAL (VALUES
        ('institution', b.source, coalesce(b.institution_problem,
                                           CASE WHEN b.key_problem LIKE 'an institution%' THEN b.key_problem END)),
        ('local_id', b.local_id, CASE WHEN b.key_problem LIKE 'a local id%' THEN b.key_problem END),
        ('name', b.name, b.name_problem),
        ('sex', b.sex_text, b.sex_problem),
        ('birth_date', b.birth_text, b.birth_date_problem),
        ('phone', b.phone_text, b.phone_problem),
        ('address_region', b.region_text, b.region_problem),
        ('other_identifiers', b.others_text, b.others_problem)
        ) e(col, val, reason)
     -- (only rows with a problem are looked at column by column)
     WHERE coalesce(b.key_problem, b.institution_problem, b.name_problem, b.sex_problem, b.birth_date_problem,
                    b.phone_problem, b.region_problem, b.others_problem) IS NOT NULL
       AND e.reason IS NOT NULL;
    -- a record sent twice in one file: the last line counts
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'person_record', b.line_no, 'local_id', b.local_id, 'sent again on a later line of this batch'
      FROM batch_in b
      JOIN (SELECT b2.source, b2.local_id, max(b2.line_no) AS last_line FROM batch_in b2
             GROUP BY b2.source, b2.local_id HAVING count(*) > 1) d
        ON d.source = b.source AND d.local_id = b.local_id AND b.line_no < d.last_line;
    CREATE TEMP TABLE batch_records ON COMMIT DROP AS
    SELECT row_number() OVER (ORDER BY b.line_no)::integer AS node, b.line_no, b.source, b.local_id,
           b.institution_key, b.name, b.sex, b.birth_date, b.identifier_text, b.phone, b.region, b.other_identifiers,
           b.resident_id, b.id_conflict, b.name_hanzi, b.name_pinyin, b.name_initials, b.surname, b.name_given_pinyin
      FROM batch_in b
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors le WHERE le.load_id = lid AND le.line_no = b.line_no);

    -- records already in the index are linked one by one (corrections; no
    -- per-record locks: the batch holds the index)
    FOR rec IN SELECT r.* FROM batch_records r
                WHERE EXISTS (SELECT FROM healthhub.source_records s WHERE s.source = r.source AND s.local_id = r.local_id)
    LOOP
        -- (prepared already: the work table's columns are the index's)
        PERFORM healthhub.link_prepared(jsonb_populate_record(NULL::healthhub.source_records, to_jsonb(rec)));
        DELETE FROM batch_records r WHERE r.node = rec.node;
    END LOOP;
    ANALYZE batch_records;
    SELECT count(*), max(r.node) INTO n, last_node FROM batch_records r;
    report := report || jsonb_build_object('phase', 'validate and key', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: validated and keyed % records (% rejected) in % s', n,
        (SELECT count(*) FROM healthhub.load_errors le WHERE le.load_id = lid), round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 2. blocking: records sharing a key of the model's rules (and records
    --    already in the index that share one) --------------------------
    CREATE TEMP TABLE batch_keys ON COMMIT DROP AS
    SELECT h AS block_hash, r.node
      FROM batch_records r,
           unnest(healthhub.block_hashes(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region,
                                         r.phone, m.blocking_rules)) h;
    -- existing records become nodes too, after the batch's own
    CREATE TEMP TABLE batch_nodes ON COMMIT DROP AS
    SELECT r.node, CASE WHEN NOT r.id_conflict THEN r.resident_id::bigint END AS resident_id, NULL::bigint AS person_key,
           NULL::bigint AS record_id
      FROM batch_records r;
    -- (each with the number its person holds: the clustering never gives a
    -- person a second number)
    INSERT INTO batch_nodes
    SELECT last_node + row_number() OVER ()::integer,
           (SELECT min(pi.resident_id::bigint) FROM healthhub.person_identifiers pi
             WHERE pi.person_key = s.person_key AND pi.resident_id IS NOT NULL),
           s.person_key, s.record_id
      FROM (SELECT DISTINCT bk.record_id FROM healthhub.record_block_keys bk
             WHERE bk.block_hash IN (SELECT k.block_hash FROM batch_keys k)) e
      JOIN healthhub.source_records s ON s.record_id = e.record_id AND s.withdrawn_at IS NULL;
    INSERT INTO batch_keys
    SELECT bk.block_hash, n2.node FROM batch_nodes n2
      JOIN healthhub.record_block_keys bk ON bk.record_id = n2.record_id
     WHERE n2.record_id IS NOT NULL AND bk.block_hash IN (SELECT k.block_hash FROM batch_keys k);
    CREATE TEMP TABLE batch_edges ON COMMIT DROP AS
    SELECT p.a, p.b, NULL::double precision AS weight FROM healthhub.block_pairs(healthhub.batch_block_limit()) p;
    -- (every work table is analysed once made: the planner sees no
    -- statistics of temporary tables otherwise, and guesses badly at this size)
    ANALYZE batch_keys, batch_nodes, batch_edges;
    SELECT count(*) INTO n FROM batch_edges;
    report := report || jsonb_build_object('phase', 'blocking', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: % candidate pairs from blocking in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 3. scoring ----------------------------------------------------------
    CREATE TEMP TABLE batch_all ON COMMIT DROP AS
    SELECT r.node, r.source, r.local_id, r.institution_key, r.name, r.sex, r.birth_date, r.identifier_text, r.phone,
           r.region, r.other_identifiers, r.resident_id, r.id_conflict, r.name_hanzi, r.name_pinyin, r.name_initials,
           r.surname, r.name_given_pinyin
      FROM batch_records r
    UNION ALL
    SELECT n2.node, s.source, s.local_id, s.institution_key, s.name, s.sex, s.birth_date, s.identifier_text, s.phone,
           s.region, s.other_identifiers, s.resident_id, s.id_conflict, s.name_hanzi, s.name_pinyin, s.name_initials,
           s.surname, s.name_given_pinyin
      FROM batch_nodes n2 JOIN healthhub.source_records s ON s.record_id = n2.record_id;
    CREATE UNIQUE INDEX ON batch_all (node);
    ANALYZE batch_all;
    CREATE TEMP TABLE batch_scored ON COMMIT DROP AS
    SELECT e.a, e.b, healthhub.batch_match_score(x, y, model) AS weight
      FROM batch_edges e JOIN batch_all x ON x.node = e.a JOIN batch_all y ON y.node = e.b
     WHERE NOT EXISTS (SELECT FROM healthhub.link_decisions l
                        WHERE l.state = 'no_match'
                          AND ((l.source = x.source AND l.local_id = x.local_id
                                AND l.person_key = (SELECT person_key FROM batch_nodes WHERE node = y.node))
                            OR (l.source = y.source AND l.local_id = y.local_id
                                AND l.person_key = (SELECT person_key FROM batch_nodes WHERE node = x.node))));
    DROP TABLE batch_edges;
    ALTER TABLE batch_scored RENAME TO batch_edges;
    -- identifiers: records sharing a resident ID (without conflict) or
    -- another identifier are one person, whatever their scores
    -- (unless the names differ entirely: a parent's number on a child's
    -- record that gives no birth date to contradict it)
    INSERT INTO batch_edges
    SELECT g.first, x.node, 'Infinity'::double precision
      FROM batch_all x
      JOIN (SELECT resident_id, min(node) AS first FROM batch_records WHERE resident_id IS NOT NULL AND NOT id_conflict
             GROUP BY resident_id HAVING count(*) > 1) g ON g.resident_id OPERATOR(healthhub.=) x.resident_id
      JOIN batch_all f ON f.node = g.first
     WHERE x.node <> g.first AND NOT x.id_conflict AND x.node <= last_node
       AND (NOT m.names_must_agree OR (healthhub.batch_comparison_levels(x, f))[1] <> 5);
    INSERT INTO batch_edges
    SELECT g.first, xi.node, 'Infinity'::double precision
      FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) xi
      JOIN (SELECT ident, min(node) AS first FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) y
             GROUP BY ident HAVING count(*) > 1) g ON g.ident OPERATOR(healthhub.=) xi.ident
      JOIN batch_all x ON x.node = xi.node
      JOIN batch_all f ON f.node = g.first
     WHERE xi.node <> g.first
       AND (NOT m.names_must_agree OR (healthhub.batch_comparison_levels(x, f))[1] <> 5);
    -- and records whose number or identifier is already a person's join it,
    -- by the rule link_record follows (identifier_links)
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM batch_records r JOIN healthhub.person_identifiers pi
        ON pi.resident_id OPERATOR(healthhub.=) r.resident_id
     WHERE bn.node = r.node AND NOT r.id_conflict
       AND healthhub.identifier_links(r, pi.person_key, m.names_must_agree, false);
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM (SELECT r1 AS rec, r1.node, unnest(r1.other_identifiers) AS ident FROM batch_records r1) r
      JOIN healthhub.person_identifiers pi ON pi.identifier OPERATOR(healthhub.=) r.ident
     WHERE bn.node = r.node AND bn.person_key IS NULL
       AND healthhub.identifier_links(r.rec, pi.person_key, m.names_must_agree, true);
    -- a record that joins a person without a number of its own carries the
    -- person's into the clustering
    UPDATE batch_nodes bn SET resident_id = (SELECT min(pi.resident_id::bigint) FROM healthhub.person_identifiers pi
                                              WHERE pi.person_key = bn.person_key AND pi.resident_id IS NOT NULL)
     WHERE bn.person_key IS NOT NULL AND bn.resident_id IS NULL AND bn.node <= last_node;
    ANALYZE batch_edges, batch_nodes;
    SELECT count(*) INTO n FROM batch_edges;
    report := report || jsonb_build_object('phase', 'scoring', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: scored % pairs in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 4. clustering -------------------------------------------------------
    -- (each node's group with the group's person already in the index, if any)
    CREATE TEMP TABLE batch_clusters ON COMMIT DROP AS
    SELECT c.node, c.cluster, c.person_key FROM healthhub.link_clusters(match_weight) c;
    -- (new persons numbered in the order of their first record: the same
    -- file gives the same keys whatever plan the aggregate gets)
    CREATE TEMP TABLE batch_persons ON COMMIT DROP AS
    SELECT g.cluster, coalesce(g.existing, healthhub.hub_key(hub, nextval('healthhub.key_seq'))) AS person_key,
           g.existing IS NULL AS created
      FROM (SELECT c.cluster, max(c.person_key) AS existing
              FROM batch_clusters c GROUP BY c.cluster ORDER BY c.cluster) g;
    -- The records with their persons and ids, as a new table (an UPDATE
    -- would write a million rows twice).  The ids are a block of the
    -- sequence, the batch's alone while it holds the index.
    first_record_id := nextval('healthhub.record_seq');
    PERFORM setval('healthhub.record_seq', first_record_id + last_node);
    CREATE TEMP TABLE batch_linked ON COMMIT DROP AS
    SELECT r.*, p.person_key, p.created AS person_created, first_record_id + r.node AS record_id
      FROM batch_records r JOIN batch_clusters c ON c.node = r.node JOIN batch_persons p ON p.cluster = c.cluster;
    DROP TABLE batch_records;
    ALTER TABLE batch_linked RENAME TO batch_records;
    -- (without statistics the planner joined the review queue's pairs to
    -- these records and persons as if they were a few rows: a second batch
    -- into a large index multiplied them out of all proportion)
    ANALYZE batch_records, batch_clusters, batch_persons;
    SELECT count(*) INTO n FROM batch_persons WHERE created;
    report := report || jsonb_build_object('phase', 'clustering', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: % records in % new persons in % s', (SELECT count(*) FROM batch_records), n,
        round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 5. writing ----------------------------------------------------------
    -- Every row written below refers to rows this transaction has just
    -- written or read (persons, records, institutions): the per-row
    -- foreign-key triggers are skipped while it writes, as pg_restore
    -- --disable-triggers does, and none of these tables has another trigger.
    replication_role := current_setting('session_replication_role');
    PERFORM set_config('session_replication_role', 'replica', true);
    INSERT INTO healthhub.source_records (source, local_id, institution_key, name, sex, birth_date, identifier_text,
                                          phone, region, other_identifiers, resident_id, id_conflict, name_hanzi,
                                          name_pinyin, name_initials, surname, name_given_pinyin, person_key,
                                          link_origin, link_model, linked_by, record_id)
    SELECT r.source, r.local_id, r.institution_key, r.name, r.sex, r.birth_date, r.identifier_text, r.phone, r.region,
           r.other_identifiers, r.resident_id, r.id_conflict, r.name_hanzi, r.name_pinyin, r.name_initials, r.surname,
           r.name_given_pinyin, r.person_key, 'auto', model, who, r.record_id
      FROM batch_records r ORDER BY r.source, r.local_id;
    -- the best pair across two persons between the thresholds: the review queue
    INSERT INTO healthhub.link_decisions (source, local_id, person_key, state, origin, score, model_version, decided_by)
    SELECT DISTINCT ON (x.node) xa.source, xa.local_id, py.person_key, 'possible_match', 'auto', x.weight, model, who
      FROM (SELECT e.a AS node, e.b AS other, e.weight FROM batch_edges e
             WHERE e.weight >= possible_weight AND e.weight < match_weight
            UNION ALL
            SELECT e.b, e.a, e.weight FROM batch_edges e
             WHERE e.weight >= possible_weight AND e.weight < match_weight) x
      JOIN batch_records xa ON xa.node = x.node
      JOIN batch_clusters cy ON cy.node = x.other
      JOIN batch_persons py ON py.cluster = cy.cluster
     WHERE py.person_key <> xa.person_key
     ORDER BY x.node, x.weight DESC
    ON CONFLICT DO NOTHING;
    INSERT INTO healthhub.record_block_keys (block_hash, record_id)
    SELECT k.block_hash, first_record_id + k.node FROM batch_keys k WHERE k.node <= last_node
     ORDER BY 1, 2;
    INSERT INTO healthhub.person_identifiers (resident_id, person_key)
    SELECT DISTINCT ON (r.resident_id) r.resident_id, r.person_key FROM batch_records r
     WHERE r.resident_id IS NOT NULL AND NOT r.id_conflict
     ORDER BY r.resident_id, r.node
    ON CONFLICT DO NOTHING;
    INSERT INTO healthhub.person_identifiers (identifier, person_key)
    SELECT DISTINCT ON (i) i, r.person_key FROM batch_records r, unnest(r.other_identifiers) i
     ORDER BY i, r.node
    ON CONFLICT DO NOTHING;
    -- new persons are inserted with their golden records (after their records
    -- and identifiers: the golden record is made from them); persons that
    -- were already in the index get theirs rebuilt
    -- (the hub given, not left to its default: a function call per row)
    INSERT INTO healthhub.persons (hub_id, person_key, resident_id, name, sex, birth_date, phone, region)
    SELECT hub, g.* FROM healthhub.golden_records(ARRAY(
               SELECT p.person_key FROM batch_persons p
                WHERE p.created AND p.person_key IN (SELECT r.person_key FROM batch_records r))) g
     ORDER BY g.person_key;
    PERFORM healthhub.rebuild_golden_set(ARRAY(SELECT DISTINCT p.person_key FROM batch_persons p
                                                WHERE NOT p.created));
    SELECT count(*) INTO n FROM batch_records;
    report := report || jsonb_build_object('phase', 'writing', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    -- the load's one entry; each record's link event refers to it
    entry := healthhub.end_load(lid, jsonb_build_object(
        'records', n,
        'rejected', healthhub.load_rejected(lid, 'person_record'),
        'persons_created', (SELECT count(*) FROM batch_persons WHERE created),
        'matched_existing', (SELECT count(*) FROM batch_records r WHERE NOT r.person_created),
        'possible_matches', (SELECT count(*) FROM healthhub.link_decisions lk WHERE lk.state = 'possible_match'
                               AND (lk.source, lk.local_id) IN (SELECT br.source, br.local_id FROM batch_records br)),
        'model_version', model, 'phases', report), 'patient identity management');
    INSERT INTO healthhub.link_events (entry_id, by_role, action, source, local_id, record_id, person_key, new_state,
                                       origin, model_version, reason)
    SELECT entry, who, 'link_batch', r.source, r.local_id, r.record_id, r.person_key, 'match', 'auto', model,
           CASE WHEN r.person_created THEN 'created' ELSE 'matched' END
      FROM batch_records r
     ORDER BY r.record_id;
    PERFORM set_config('session_replication_role', replication_role, true);
    -- the tables grew by a batch: plan the next link_record() on their real sizes
    ANALYZE healthhub.source_records, healthhub.record_block_keys, healthhub.link_decisions, healthhub.persons,
            healthhub.person_identifiers;
    -- (the phase as returned ends here, after the events)
    report := (report - -1) || jsonb_build_object('phase', 'writing', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: wrote % records in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);

    -- the rows this batch read leave the staging table (rows staged
    -- meanwhile stay for the next batch)
    DELETE FROM healthhub.stage_person_records s USING batch_in b WHERE s.ctid = b.stage_row;
    RETURN QUERY
    SELECT x->>'phase', round((x->>'seconds')::numeric, 2), (x->>'rows')::bigint FROM jsonb_array_elements(report) x
    UNION ALL
    SELECT 'total', round(extract(epoch FROM clock_timestamp() - t0)::numeric, 2), n;
END
$$;
COMMENT ON FUNCTION healthhub.link_batch(text, text) IS
    'Link every record staged in healthhub.stage_person_records and empty it; returns the time and rows of each phase';

CREATE OR REPLACE FUNCTION healthhub.train_linkage(max_pairs integer DEFAULT 1000000, random_pairs integer DEFAULT 200000,
                                        iterations integer DEFAULT 25, blocking_rules text[] DEFAULT NULL,
                                        match_probability double precision DEFAULT NULL,
                                        possible_probability double precision DEFAULT NULL,
                                        staged boolean DEFAULT false)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    base healthhub.linkage_models;
    v integer;
    rules text[];
    prior double precision;
    n_pairs bigint;
    n_records bigint;
    it integer := 0;
    moved double precision;
    floor_p constant double precision := 1e-6;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    IF max_pairs < 1000 OR random_pairs < 1000 OR iterations < 1 THEN
        RAISE EXCEPTION 'too little to train on'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'max_pairs and random_pairs must be at least 1000, iterations at least 1.';
    END IF;
    v := healthhub.linkage_model();      -- (the neutral start is made at first use)
    SELECT * INTO base FROM healthhub.linkage_models lm WHERE lm.model_version = v;
    rules := coalesce(blocking_rules, base.blocking_rules);
    IF EXISTS (SELECT FROM unnest(rules) r WHERE r NOT IN (SELECT b.rule FROM healthhub.linkage_blocking_rules b))
       OR cardinality(rules) = 0 THEN
        RAISE EXCEPTION 'unknown blocking rule in %', rules
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The rules are listed in healthhub.linkage_blocking_rules.';
    END IF;
    PERFORM healthhub.require_no_work_tables('train_linkage', ARRAY['train_records', 'train_random', 'train_weights',
        'train_fixed', 'train_keys', 'train_patterns', 'train_m']);
    PERFORM setseed(0.4242);

    -- the records, numbered, with the fields the comparisons read
    IF staged THEN
        CREATE TEMP TABLE train_records ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY s.line_no)::integer AS node, s.name_hanzi, s.name_pinyin,
               s.name_initials, s.surname, s.name_given_pinyin, s.birth_date, s.sex, s.phone, s.region,
               s.identifier_text, s.resident_id, s.id_conflict
          FROM healthhub.staged_person_records() s
         WHERE s.key_problem IS NULL;
    ELSE
        CREATE TEMP TABLE train_records ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY s.source, s.local_id)::integer AS node, s.name_hanzi, s.name_pinyin,
               s.name_initials, s.surname, s.name_given_pinyin, s.birth_date, s.sex, s.phone, s.region,
               s.identifier_text, s.resident_id, s.id_conflict
          FROM healthhub.source_records s WHERE s.withdrawn_at IS NULL;
    END IF;
    SELECT count(*) INTO n_records FROM train_records;
    IF n_records < 100 THEN
        RAISE EXCEPTION 'too few records to train on: %', n_records
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = CASE WHEN staged THEN 'Training needs at least 100 staged records.'
                                ELSE 'Training needs at least 100 linked records.' END,
                  HINT = CASE WHEN staged THEN 'COPY an extract into healthhub.stage_person_records first.'
                              ELSE 'Stage an extract and train on it with staged => true, or link records first.' END;
    END IF;
    CREATE UNIQUE INDEX ON train_records (node);
    ANALYZE train_records;

    -- u: level frequencies among random pairs
    CREATE TEMP TABLE train_random ON COMMIT DROP AS
    SELECT healthhub.batch_comparison_levels(a, b) AS levels
      FROM (SELECT 1 + floor(random() * n_records)::integer AS x, 1 + floor(random() * n_records)::integer AS y
              FROM generate_series(1, random_pairs)) p
      JOIN train_records a ON a.node = p.x JOIN train_records b ON b.node = p.y
     WHERE p.x <> p.y;
    CREATE TEMP TABLE train_weights ON COMMIT DROP AS
    SELECT c.comparison, c.level_no, c.level, w.m,
           greatest(floor_p, least(1 - floor_p,
               (SELECT (count(*) FILTER (WHERE r.levels[c.ord] = c.level_no) + 1.0)
                       / (count(*) FILTER (WHERE r.levels[c.ord] > 0) + 2.0)
                  FROM train_random r))) AS u
      FROM (SELECT lc.*, dense_rank() OVER (ORDER BY
                     array_position(ARRAY['name', 'birth_date', 'sex', 'phone', 'region', 'identifier'], lc.comparison))
                     AS ord
              FROM healthhub.linkage_comparisons lc) c
      JOIN healthhub.linkage_weights w ON w.model_version = base.model_version
                                      AND w.comparison = c.comparison AND w.level = c.level;

    -- The pairs each blocking rule proposes (up to max_pairs in all), as
    -- patterns of levels.  EM runs per rule over the comparisons the rule
    -- does not fix (pairs that share a birth date say nothing about how
    -- often matches share one), and each m is the average of the runs that
    -- estimated it, weighted by their expected matches: Splink's way to keep
    -- blocking from confounding the estimates.
    CREATE TEMP TABLE train_fixed ON COMMIT DROP AS
    SELECT f.rule, f.comparison FROM (VALUES
        ('pinyin_birth_year', 'name'), ('pinyin_birth_year', 'birth_date'),
        ('initials_birth_date', 'name'), ('initials_birth_date', 'birth_date'),
        ('birth_date_sex_prefecture', 'birth_date'), ('birth_date_sex_prefecture', 'sex'),
        ('birth_date_sex_prefecture', 'region'),
        ('phone', 'phone'), ('hanzi', 'name')) f(rule, comparison);
    CREATE TEMP TABLE train_keys ON COMMIT DROP AS
    SELECT split_part(k, ':', 1) AS rule, healthhub.block_hash(k) AS h, r.node
      FROM train_records r,
           unnest(healthhub.block_keys(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region, r.phone)) k
     WHERE split_part(k, ':', 1) = ANY (rules);
    CREATE TEMP TABLE train_patterns ON COMMIT DROP AS
    SELECT p.rule, healthhub.batch_comparison_levels(a, b) AS levels, count(*)::double precision AS n,
           0.0::double precision AS p
      FROM (SELECT DISTINCT k1.rule, k1.node AS x, k2.node AS y
              FROM train_keys k1 JOIN train_keys k2 ON k1.rule = k2.rule AND k1.h = k2.h AND k1.node < k2.node
             LIMIT max_pairs) p
      JOIN train_records a ON a.node = p.x JOIN train_records b ON b.node = p.y
     GROUP BY p.rule, 2;
    SELECT sum(n)::bigint INTO n_pairs FROM train_patterns;
    IF n_pairs = 0 THEN
        RAISE EXCEPTION 'blocking proposes no pairs to train on'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    CREATE TEMP TABLE train_m ON COMMIT DROP AS
    SELECT r.rule, w.comparison, w.level_no,
           array_position(ARRAY['name', 'birth_date', 'sex', 'phone', 'region', 'identifier'], w.comparison) AS ord,
           w.m, w.u, base.prior AS prior, 0.0::double precision AS delta
      FROM (SELECT DISTINCT tp.rule FROM train_patterns tp) r
     CROSS JOIN train_weights w
     WHERE NOT EXISTS (SELECT FROM train_fixed f WHERE f.rule = r.rule AND f.comparison = w.comparison);

    LOOP
        it := it + 1;
        -- expectation: the chance each pattern is a match, under its rule's m
        UPDATE train_patterns tp SET p = s.posterior
          FROM (SELECT t.rule, t.levels,
                       1.0 / (1.0 + (1 - max(m.prior)) / max(m.prior)
                                    * exp(coalesce(sum(ln(m.u) - ln(m.m)) FILTER (WHERE t.levels[m.ord] = m.level_no), 0))) AS posterior
                  FROM train_patterns t JOIN train_m m ON m.rule = t.rule
                 GROUP BY t.rule, t.levels) s
         WHERE tp.rule = s.rule AND tp.levels = s.levels;
        -- maximisation: each rule's m and prior
        UPDATE train_m m SET delta = abs(m.m - nm.m), m = nm.m, prior = nm.prior
          FROM (SELECT m2.rule, m2.comparison, m2.level_no,
                       greatest(floor_p, least(1 - floor_p,
                           (coalesce(sum(t.n * t.p) FILTER (WHERE t.levels[m2.ord] = m2.level_no), 0) + 1e-9)
                           / (coalesce(sum(t.n * t.p) FILTER (WHERE t.levels[m2.ord] > 0), 0) + 1e-9))) AS m,
                       greatest(floor_p, least(1 - floor_p, sum(t.n * t.p) / sum(t.n))) AS prior
                  FROM train_m m2 JOIN train_patterns t ON t.rule = m2.rule
                 GROUP BY m2.rule, m2.comparison, m2.level_no) nm
         WHERE m.rule = nm.rule AND m.comparison = nm.comparison AND m.level_no = nm.level_no;
        SELECT max(m.delta) INTO moved FROM train_m m;
        EXIT WHEN it >= iterations OR moved < 1e-5;
    END LOOP;
    -- each m: the runs that estimated it (saw the comparison at all),
    -- weighted by their expected matches with the comparison known
    UPDATE train_weights w SET m = greatest(floor_p, least(1 - floor_p, s.m))
      FROM (SELECT m.comparison, m.level_no, sum(m.m * e.matches) / sum(e.matches) AS m
              FROM train_m m
              JOIN (SELECT t.rule, c.ord, sum(t.n * t.p) AS matches
                      FROM train_patterns t
                     CROSS JOIN generate_series(1, 6) AS c(ord)
                     WHERE t.levels[c.ord] > 0
                     GROUP BY t.rule, c.ord) e
                ON e.rule = m.rule AND e.ord = m.ord
             GROUP BY m.comparison, m.level_no) s
     WHERE w.comparison = s.comparison AND w.level_no = s.level_no;
    -- The prior: the chance that two records taken at random are one
    -- person, as the weights are (u comes from random pairs).  The matches
    -- are counted once over the distinct pairs blocking proposes, each
    -- scored under the rules' average prior, and spread over all pairs.
    SELECT sum(e.matches) / sum(e.pairs) INTO prior
      FROM (SELECT t.rule, sum(t.n * t.p) AS matches, sum(t.n) AS pairs FROM train_patterns t GROUP BY t.rule) e;
    SELECT sum(d.n / (1.0 + (1 - prior) / prior
                            * exp(coalesce((SELECT sum(ln(w.u) - ln(w.m)) FROM train_weights w
                                             WHERE d.levels[array_position(ARRAY['name', 'birth_date', 'sex', 'phone',
                                                   'region', 'identifier'], w.comparison)] = w.level_no), 0))))
      INTO prior
      FROM (SELECT t.levels, sum(t.n) AS n FROM train_patterns t GROUP BY t.levels) d;
    prior := greatest(1e-12, least(0.5, prior / (n_records * (n_records - 1) / 2.0)));

    SELECT max(lm.model_version) + 1 INTO v FROM healthhub.linkage_models lm;
    INSERT INTO healthhub.linkage_models (model_version, method, prior, match_probability, possible_probability,
                                          blocking_rules, names_must_agree, pairs, iterations)
    VALUES (v, 'em', prior, coalesce(match_probability, base.match_probability),
            coalesce(possible_probability, base.possible_probability), rules, base.names_must_agree, n_pairs, it);
    INSERT INTO healthhub.linkage_weights (model_version, comparison, level, m, u)
    SELECT v, w.comparison, w.level, w.m, w.u FROM train_weights w;
    INSERT INTO healthhub.surname_frequencies (model_version, surname, frequency)
    SELECT v, s.surname, count(*)::double precision / sum(count(*)) OVER ()
      FROM train_records s WHERE s.surname IS NOT NULL
     GROUP BY s.surname;
    IF rules IS DISTINCT FROM base.blocking_rules THEN
        PERFORM healthhub.rebuild_block_keys();
    END IF;
    PERFORM healthhub.audit_append('linkage.train', 'linkage_model', v::text, NULL, 'patient identity management', 'ok');
    RETURN v;
END
$$;
COMMENT ON FUNCTION healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision, boolean) IS
    'Estimate a new linkage model version from the records (or the staged extract): u from random pairs, m and the prior by EM';

UPDATE healthhub.audit_exemptions SET recorded_as = replace(recorded_as, 'link.batch', 'person_records.load.delta')
 WHERE recorded_as LIKE '%link.batch%';

-- One practice-rights derivation: practice_right_terms and
-- practice_privilege_terms state the rule's periods; recompute stores their
-- combination and why_not_practise names the term that leaves a time out.
CREATE FUNCTION healthhub.practice_right_terms(practitioner bigint)
    RETURNS TABLE (licence_key bigint, act text, licence_no text, validity tstzrange, active tstzmultirange,
                   institution_key bigint, registered tstzmultirange, operating tstzrange, barred tstzmultirange)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT l.licence_key, l.kind, l.licence_no, l.validity, healthhub.licence_active_periods(l.licence_key),
           r.institution_key, r.registered, i.valid,
           coalesce((SELECT range_agg(x.period) FROM healthhub.blacklist x
                      WHERE x.practitioner_key = practice_right_terms.practitioner
                         OR x.institution_key = r.institution_key), '{}'::tstzmultirange)
      FROM healthhub.licences l
      LEFT JOIN LATERAL (SELECT g.institution_key, range_agg(g.period) AS registered
                           FROM healthhub.registrations g WHERE g.licence_key = l.licence_key
                          GROUP BY g.institution_key) r ON true
      LEFT JOIN healthhub.institutions i ON i.institution_key = r.institution_key
     WHERE l.practitioner_key = practice_right_terms.practitioner;
END;
COMMENT ON FUNCTION healthhub.practice_right_terms(bigint) IS
    'The periods the practice-rights rule combines, for each licence of a practitioner and each institution it is registered at';

CREATE FUNCTION healthhub.practice_privilege_terms(practitioner bigint)
    RETURNS TABLE (institution_key bigint, privilege text, granted tstzmultirange)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT g.institution_key, v.privilege, range_agg(g.period)
      FROM healthhub.practice_privileges g
     CROSS JOIN LATERAL (VALUES (g.privilege), (CASE WHEN g.privilege = 'antimicrobial_special'
                                                THEN 'antimicrobial_restricted' END)) v(privilege)
     WHERE g.practitioner_key = practice_privilege_terms.practitioner AND v.privilege IS NOT NULL
     GROUP BY g.institution_key, v.privilege;
END;
COMMENT ON FUNCTION healthhub.practice_privilege_terms(bigint) IS
    'The periods each privilege of a practitioner is granted at each institution (the special antimicrobial grant includes the restricted tier)';

REVOKE ALL ON FUNCTION healthhub.practice_right_terms(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.practice_privilege_terms(bigint) FROM PUBLIC;
CREATE OR REPLACE FUNCTION healthhub.recompute_practice_rights(practitioner bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.recompute_practice_rights', ARRAY['practitioner'],
                                        ARRAY[practitioner IS NULL]);
    UPDATE healthhub.practitioners p SET rights_version = p.rights_version + 1
     WHERE p.practitioner_key = practitioner;
    PERFORM healthhub.note_rights_change(practitioner);
    DELETE FROM healthhub.practice_rights r WHERE r.practitioner_key = practitioner;
    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM healthhub.practitioners p WHERE p.practitioner_key = practitioner) THEN
        RETURN 0;
    END IF;
    INSERT INTO healthhub.practice_rights (practitioner_key, institution_key, act, privilege, valid)
    WITH rights AS (
        SELECT t.institution_key, t.act,
               pg_catalog.range_agg(pg_catalog.tstzmultirange(t.validity) OPERATOR(pg_catalog.*) t.active
                                    OPERATOR(pg_catalog.*) t.registered
                                    OPERATOR(pg_catalog.*) pg_catalog.tstzmultirange(t.operating)
                                    OPERATOR(pg_catalog.-) t.barred) AS m
          FROM healthhub.practice_right_terms(practitioner) t
         WHERE t.institution_key IS NOT NULL
         GROUP BY t.institution_key, t.act
    )
    SELECT practitioner, r.institution_key, r.act, '', r.m
      FROM rights r WHERE NOT pg_catalog.isempty(r.m)
    UNION ALL
    SELECT practitioner, r.institution_key, r.act, p.privilege, r.m OPERATOR(pg_catalog.*) p.granted
      FROM rights r JOIN healthhub.practice_privilege_terms(practitioner) p ON p.institution_key = r.institution_key
     WHERE NOT pg_catalog.isempty(r.m OPERATOR(pg_catalog.*) p.granted);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.recompute_practice_rights(bigint) IS
    'Rebuild the derived practice rights of one practitioner (triggers call it)';

CREATE OR REPLACE FUNCTION healthhub.why_not_practise(practitioner bigint, act text, institution bigint,
                                           "at" timestamptz DEFAULT pg_catalog.now(), privilege text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    inst healthhub.institutions%ROWTYPE;
    l record;
    here record;
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

    -- the terms of the rule (practice_right_terms), licence by licence
    FOR l IN SELECT DISTINCT ON (x.lower_validity, x.licence_key) x.*
               FROM (SELECT t.*, lower(t.validity) AS lower_validity,
                            coalesce(bool_or(t.institution_key = institution AND t.registered @> "at")
                                         OVER (PARTITION BY t.licence_key), false) AS registered_here
                       FROM healthhub.practice_right_terms(practitioner) t
                      WHERE t.act = why_not_practise.act) x
              ORDER BY x.lower_validity DESC, x.licence_key LOOP
        IF NOT l.validity @> "at" THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not valid at %s (valid %s)', act, l.licence_no, "at", l.validity)
                ELSE format('%s licence is not valid at %s', act, "at") END;
        ELSIF NOT l.active @> "at" THEN
            -- (in words: the status in force at that time)
            SELECT h.status, h.effective, h.reason INTO st FROM healthhub.licence_status_history h
             WHERE h.licence_key = l.licence_key AND h.effective <= "at"
             ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is %s since %s: %s', act, l.licence_no, st.status, st.effective, st.reason)
                ELSE format('%s licence is %s since %s', act, st.status, st.effective) END;
        ELSIF NOT l.registered_here THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not registered at %s at %s', act, l.licence_no, inst.name, "at")
                ELSE format('%s licence is not registered at %s at %s', act, inst.name, "at") END;
        ELSE
            some_licence_ok := true;
        END IF;
    END LOOP;
    IF NOT FOUND THEN
        RETURN format('no %s licence', act);
    END IF;
    IF NOT some_licence_ok THEN
        RETURN array_to_string(reasons, '; ');
    END IF;

    SELECT t.operating, t.barred INTO here FROM healthhub.practice_right_terms(practitioner) t
     WHERE t.act = why_not_practise.act AND t.institution_key = institution LIMIT 1;
    IF NOT here.operating @> "at" THEN
        reasons := reasons || format('%s is not operating at %s', inst.name, "at");
    END IF;
    IF here.barred @> "at" THEN
        -- (in words: the entries in force at that time)
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
    END IF;
    IF cardinality(reasons) = 0 AND privilege IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM healthhub.practice_privilege_terms(practitioner) g
                        WHERE g.institution_key = institution AND g.privilege = why_not_practise.privilege
                          AND g.granted @> "at") THEN
        reasons := reasons || format('privilege %s is not granted at %s at %s', privilege, inst.name, "at");
    END IF;
    IF cardinality(reasons) = 0 THEN
        RETURN 'the derived practice rights are out of date; run healthhub.recompute_practice_rights()';
    END IF;
    RETURN array_to_string(reasons, '; ');
END
$$;
COMMENT ON FUNCTION healthhub.why_not_practise(bigint, text, bigint, timestamptz, text) IS
    'Why may_practise() refuses (NULL when it allows), in words';


-- A node part for hubs of several nodes (Citus workers that mint): each
-- node mints in its tenth of the hub's block (set_hub_node, hub_node).
DROP FUNCTION healthhub.place_sequences_in_hub_block(bigint);
CREATE FUNCTION healthhub.place_sequences_in_hub_block(hub bigint, node integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    first_serial bigint := CASE WHEN node IS NULL THEN 1 ELSE node * 1000000000::bigint + 1 END;
    last_serial bigint := CASE WHEN node IS NULL THEN 9999999999 ELSE node * 1000000000::bigint + 999999999 END;
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
    FOR seq IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
                WHERE c.oid IN (to_regclass('healthhub.key_seq'), to_regclass('healthhub.record_seq'),
                                to_regclass('healthhub.person_identifier_seq'),
                                to_regclass('healthhub.link_events_event_id_seq'))
                ORDER BY c.relname LOOP
        -- (key_seq counts serials, mint_key() adds the hub; the others count keys)
        lo := CASE WHEN seq = 'healthhub.key_seq'::regclass THEN first_serial ELSE healthhub.hub_key(hub, first_serial) END;
        hi := CASE WHEN seq = 'healthhub.key_seq'::regclass THEN last_serial ELSE healthhub.hub_key(hub, last_serial) END;
        SELECT s.last_value INTO last FROM pg_catalog.pg_sequences s      -- (NULL: never called)
         WHERE format('%I.%I', s.schemaname, s.sequencename)::regclass = seq;
        EXECUTE format('ALTER SEQUENCE %s START WITH %s MINVALUE %s MAXVALUE %s NO CYCLE%s', seq, lo, lo, hi,
                       CASE WHEN last BETWEEN lo AND hi THEN '' ELSE format(' RESTART WITH %s', lo) END);
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION healthhub.place_sequences_in_hub_block(bigint, integer) FROM PUBLIC;
CREATE FUNCTION healthhub.hub_node() RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT CASE WHEN s.seqmax = 9999999999 THEN NULL ELSE ((s.seqmin - 1) / 1000000000)::integer END
              FROM pg_catalog.pg_sequence s WHERE s.seqrelid = 'healthhub.key_seq'::regclass);
COMMENT ON FUNCTION healthhub.hub_node() IS
    'This node''s part of the hub''s block of keys (0-9), NULL for a hub of one node';

CREATE FUNCTION healthhub.set_hub_node(node integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    hub bigint;
    outside text;
BEGIN
    IF node < 0 OR node > 9 THEN
        RAISE EXCEPTION 'hub node % is out of range', node
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A node number is one digit, 0 to 9; NULL for a hub of one node.';
    END IF;
    -- (as init_hub: minting waits, and nothing mints under the old range meanwhile)
    LOCK TABLE healthhub.hub IN ACCESS EXCLUSIVE MODE;
    SELECT h.hub_id INTO hub FROM healthhub.hub h;
    IF hub IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    IF node IS NOT NULL THEN
        SELECT string_agg(format('%s (at %s)', s.sequencename, s.last_value), ', ' ORDER BY s.sequencename) INTO outside
          FROM pg_catalog.pg_sequences s
         WHERE s.schemaname = 'healthhub'
           AND s.sequencename IN ('key_seq', 'record_seq', 'person_identifier_seq', 'link_events_event_id_seq')
           AND s.last_value IS NOT NULL
           AND (CASE WHEN s.sequencename = 'key_seq' THEN s.last_value ELSE s.last_value - healthhub.hub_key(hub, 0) END)
               NOT BETWEEN node * 1000000000::bigint + 1 AND node * 1000000000::bigint + 999999999;
        IF outside IS NOT NULL THEN
            RAISE EXCEPTION 'this node has minted keys outside the part of node %', node
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Sequences past the part: %s.', outside),
                      HINT = 'Give each node its number before it mints; a hub of one node may become node 0 only.';
        END IF;
    END IF;
    PERFORM healthhub.place_sequences_in_hub_block(hub, node);
END
$$;
COMMENT ON FUNCTION healthhub.set_hub_node(integer) IS
    'Make this node mint keys in its tenth of the hub''s block (0-9; NULL: a hub of one node)';

REVOKE ALL ON FUNCTION healthhub.set_hub_node(integer) FROM PUBLIC;
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
    PERFORM healthhub.place_sequences_in_hub_block(new_id, healthhub.hub_node());
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION healthhub.init_hub(healthhub.region_code, integer) IS
    'Set this hub''s identity (region code and instance 00-99); fixed once a key is minted';


-- person_record_prepared parses each field once (OFFSET 0 fences)
CREATE OR REPLACE FUNCTION healthhub.person_record_prepared(text, text, bigint[], text, text, text, text, text, text, text[])
    RETURNS TABLE (source text, local_id text, institution_key bigint, name text, name_hanzi text, name_pinyin text,
                   name_initials text, surname text, name_given_pinyin text, sex smallint, birth_date date,
                   identifier_text text, resident_id healthhub.resident_id, id_conflict boolean, phone text,
                   region healthhub.region_code, other_identifiers healthhub.health_identifier[],
                   key_problem text, institution_problem text, name_problem text, sex_problem text,
                   birth_date_problem text, phone_problem text, region_problem text, others_problem text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT f.source, f.local_id, f.institutions[1], f.name, f.hanzi, f.pinyin, f.initials, f.surname, f.given_pinyin,
           nullif(f.sex, 0), f.birth_date, f.identifier, f.resident_id,
           healthhub.resident_id_contradicts(f.resident_id, f.birth_date, nullif(f.sex, 0)),
           nullif(f.phone, ''), CASE WHEN f.region_ok THEN f.region::healthhub.region_code END,
           CASE WHEN f.others_problem IS NULL THEN f.others::healthhub.health_identifier[] END,
           healthhub.record_key_problem(f.source, f.local_id),
           CASE WHEN cardinality(f.institutions) > 1 THEN 'names more than one institution (their keys or source_refs)' END,
           CASE WHEN f.name IS NOT NULL AND f.hanzi IS NULL THEN healthhub.name_problem(f.name) END,
           CASE WHEN f.sex = 0 THEN 'Sex is 1 or 2 (GB/T 2261.1), M or F, male or female, 男 or 女; 0 or 9 if not known.' END,
           CASE WHEN f.birth_text IS NOT NULL AND f.birth_date IS NULL
                THEN 'A birth date is written YYYY-MM-DD (or YYYYMMDD, YYYY/MM/DD) and lies between 1880-01-01 and today.' END,
           CASE WHEN f.phone = '' THEN 'A phone number has 7 to 15 digits, with optional spaces, hyphens, brackets and a +86 prefix.' END,
           CASE WHEN f.region IS NOT NULL AND NOT f.region_ok THEN 'A region is the 6-digit code of a county in healthhub.regions.' END,
           f.others_problem
      -- (each field parsed once: OFFSET 0 keeps the planner from copying
      -- the parsers into every expression that reads their results)
      FROM (SELECT t.*, k.hanzi, k.pinyin, k.initials, k.surname, k.given_pinyin,
                   CASE WHEN t.parsed_birth_date <= current_date THEN t.parsed_birth_date END AS birth_date,
                   CASE WHEN healthhub.is_valid_resident_id(t.identifier) THEN healthhub.resident_id(t.identifier) END
                       AS resident_id,
                   t.region IN (SELECT g.code::text FROM healthhub.regions g) AS region_ok,
                   (SELECT string_agg(healthhub.health_identifier_problem(x), ' ') FROM unnest(t.others) x) AS others_problem
              FROM (SELECT btrim($1) AS source, btrim($2) AS local_id, $3 AS institutions, nullif(btrim($4), '') AS name,
                           healthhub.sex_code($5) AS sex, nullif(btrim($6), '') AS birth_text,
                           healthhub.birth_date_or_null($6) AS parsed_birth_date, nullif(btrim($7), '') AS identifier,
                           healthhub.phone_digits($8) AS phone, nullif(btrim($9), '') AS region,
                           ARRAY(SELECT btrim(x) FROM unnest($10) x WHERE btrim(x) <> '') AS others
                    OFFSET 0) t
              LEFT JOIN LATERAL healthhub.name_keys_or_null(t.name) k ON true
            OFFSET 0) f;
END;
COMMENT ON FUNCTION healthhub.person_record_prepared(text, text, bigint[], text, text, text, text, text, text, text[]) IS
    'A person record''s fields (source, local id, institutions, name, sex, birth date, identifier, phone, region, other identifiers) as the index keeps them, and why each cannot be used';

