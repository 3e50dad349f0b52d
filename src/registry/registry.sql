-- Registries: institutions, practitioners and their electronic licences,
-- registrations, privileges, the blacklist, and the one question every later
-- area asks: may practitioner P act as KIND (with privilege X) at
-- institution I at time T?  docs/registry.md describes the model.
--
-- Periods are ranges.  Overlaps that would be contradictions are refused by
-- GiST exclusion constraints; btree_gist is not a dependency, so an equality
-- on a bigint key is written as equality of the one-point range
-- int8range(key, key, '[]'), which the built-in GiST range_ops support.
--
-- The answer to "may P practise" is derived ahead of time: practice_rights
-- holds, per (practitioner, act, institution, privilege), the multirange of
-- times at which it is allowed.  Triggers on every source table recompute the
-- rows of the practitioners a change touches, so may_practise is one probe.

-- Institutions ---------------------------------------------------------------

CREATE TABLE healthhub.institutions (
    institution_key     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id              bigint NOT NULL DEFAULT healthhub.hub_id(),
    uscc                healthhub.uscc,
    practice_licence_no text UNIQUE
        CHECK (practice_licence_no ~ '^[0-9A-Za-z-]{6,40}$'),
    insurance_code      text UNIQUE
        CHECK (insurance_code ~ '^[0-9A-Za-z]{4,40}$'),
    name                text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    kind                text NOT NULL CHECK (kind IN ('hospital', 'primary_care', 'village_clinic',
                            'internet_hospital', 'retail_pharmacy', 'lab', 'cdc', 'insurer')),
    level               text CHECK (level IN ('1', '2', '3')),
    grade               text CHECK (grade IN ('甲', '乙', '丙', '特')),
    region              healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    valid               tstzrange NOT NULL DEFAULT tstzrange(pg_catalog.now(), NULL),
    source              text,
    source_ref          text,
    CONSTRAINT institutions_grade_needs_level CHECK (grade IS NULL OR level IS NOT NULL),
    CONSTRAINT institutions_special_grade_is_level_3 CHECK (grade IS DISTINCT FROM '特' OR level = '3'),
    CONSTRAINT institutions_valid_has_start CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    CONSTRAINT institutions_source_ref UNIQUE (source, source_ref),
    CONSTRAINT institutions_source_pair CHECK ((source IS NULL) = (source_ref IS NULL))
);
CREATE INDEX institutions_uscc_idx ON healthhub.institutions (uscc);
-- (records name their institution by source_ref alone: healthhub.institution_for_source())
CREATE INDEX institutions_source_ref_idx ON healthhub.institutions (source_ref);
COMMENT ON TABLE healthhub.institutions IS
    'Medical and related institutions, keyed by a hub-minted key (a USCC is shared by campuses and missing for village clinics)';
COMMENT ON COLUMN healthhub.institutions.level IS 'hospital level 1-3 (一级, 二级, 三级); NULL when not rated';
COMMENT ON COLUMN healthhub.institutions.grade IS '甲, 乙, 丙, or 特 (三级特等); needs a level';
COMMENT ON COLUMN healthhub.institutions.valid IS 'when the institution operates; a snapshot load ends it when absent';
COMMENT ON COLUMN healthhub.institutions.hub_id IS 'the hub the institution belongs to (plain column for publication row filters)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.institutions', '');
CREATE UNIQUE INDEX institutions_replica_identity ON healthhub.institutions (institution_key, hub_id);
ALTER TABLE healthhub.institutions REPLICA IDENTITY USING INDEX institutions_replica_identity;

CREATE TABLE healthhub.insurance_designations (
    designation_key bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    period          daterange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    agreement_no    text,
    CONSTRAINT insurance_designations_no_overlap EXCLUDE USING gist
        (int8range(institution_key, institution_key, '[]') WITH =, period WITH &&)
);
COMMENT ON TABLE healthhub.insurance_designations IS
    'Periods during which an institution is designated for medical insurance (no overlaps per institution)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.insurance_designations', '');

CREATE TABLE healthhub.consortia (
    consortium_key  bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    name            text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    kind            text NOT NULL CHECK (kind IN ('urban_medical_group', 'county_community',
                        'specialty_alliance', 'telemedicine_network'))
);
COMMENT ON TABLE healthhub.consortia IS 'Medical consortia (医联体): groups, county communities, alliances, networks';
SELECT pg_catalog.pg_extension_config_dump('healthhub.consortia', '');
CREATE UNIQUE INDEX consortia_replica_identity ON healthhub.consortia (consortium_key, hub_id);
ALTER TABLE healthhub.consortia REPLICA IDENTITY USING INDEX consortia_replica_identity;

CREATE TABLE healthhub.consortium_members (
    consortium_key  bigint NOT NULL REFERENCES healthhub.consortia,
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    role            text NOT NULL DEFAULT 'member' CHECK (role IN ('lead', 'member')),
    period          daterange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    CONSTRAINT consortium_members_no_overlap EXCLUDE USING gist
        (int8range(consortium_key, consortium_key, '[]') WITH =,
         int8range(institution_key, institution_key, '[]') WITH =, period WITH &&),
    CONSTRAINT consortium_members_one_lead EXCLUDE USING gist
        (int8range(consortium_key, consortium_key, '[]') WITH =, period WITH &&) WHERE (role = 'lead')
);
-- (the exclusion constraint makes (consortium, institution, period) unique;
-- the key is the table's replica identity)
ALTER TABLE healthhub.consortium_members
    ADD CONSTRAINT consortium_members_pkey PRIMARY KEY (consortium_key, institution_key, period);
CREATE INDEX consortium_members_institution_idx ON healthhub.consortium_members (institution_key);
COMMENT ON TABLE healthhub.consortium_members IS 'Which institution belongs to which consortium, when; one lead at a time';
SELECT pg_catalog.pg_extension_config_dump('healthhub.consortium_members', '');

-- Practitioners and licences -------------------------------------------------

CREATE TABLE healthhub.practitioners (
    practitioner_key bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    resident_id     healthhub.resident_id UNIQUE,
    name            text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 100),
    rights_version  bigint NOT NULL DEFAULT 0,
    source          text,
    source_ref      text,
    CONSTRAINT practitioners_source_ref UNIQUE (source, source_ref),
    CONSTRAINT practitioners_source_pair CHECK ((source IS NULL) = (source_ref IS NULL))
);
COMMENT ON TABLE healthhub.practitioners IS 'Physicians, pharmacists and nurses; resident_id and name are personal data';
COMMENT ON COLUMN healthhub.practitioners.rights_version IS
    'bumped whenever the practitioner''s practice rights are recomputed (serialises recomputations)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.practitioners', '');
CREATE UNIQUE INDEX practitioners_replica_identity ON healthhub.practitioners (practitioner_key, hub_id);
ALTER TABLE healthhub.practitioners REPLICA IDENTITY USING INDEX practitioners_replica_identity;

CREATE TABLE healthhub.licences (
    licence_key     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    licence_no      text NOT NULL UNIQUE CHECK (licence_no ~ '^[0-9A-Za-z-]{4,40}$'),
    practitioner_key bigint NOT NULL REFERENCES healthhub.practitioners,
    kind            text NOT NULL CHECK (kind IN ('physician', 'pharmacist', 'nurse')),
    scope           text,
    validity        tstzrange NOT NULL CHECK (NOT isempty(validity) AND NOT lower_inf(validity)),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'revoked')),
    status_effective timestamptz,
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    source          text
);
CREATE INDEX licences_practitioner_idx ON healthhub.licences (practitioner_key, kind);
COMMENT ON TABLE healthhub.licences IS 'Electronic practice licences (physician, pharmacist, nurse)';
COMMENT ON COLUMN healthhub.licences.status IS
    'the last status in licence_status_history, in force from status_effective; change it with healthhub.change_licence_status()';
SELECT pg_catalog.pg_extension_config_dump('healthhub.licences', '');
CREATE UNIQUE INDEX licences_replica_identity ON healthhub.licences (licence_key, hub_id);
ALTER TABLE healthhub.licences REPLICA IDENTITY USING INDEX licences_replica_identity;

CREATE TABLE healthhub.licence_status_history (
    entry_key       bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    licence_key     bigint NOT NULL REFERENCES healthhub.licences,
    status          text NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
    effective       timestamptz NOT NULL,
    reason          text NOT NULL CHECK (btrim(reason) <> ''),
    recorded_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    recorded_by     name NOT NULL DEFAULT CURRENT_USER
);
CREATE INDEX licence_status_history_licence_idx ON healthhub.licence_status_history (licence_key, effective);
COMMENT ON TABLE healthhub.licence_status_history IS
    'Append-only history of licence statuses; the status at T is the last entry effective at or before T';
SELECT pg_catalog.pg_extension_config_dump('healthhub.licence_status_history', '');

CREATE TABLE healthhub.registrations (
    registration_key bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    licence_key     bigint NOT NULL REFERENCES healthhub.licences,
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    role            text NOT NULL DEFAULT 'primary' CHECK (role IN ('primary', 'additional')),
    period          tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    source          text,
    source_ref      text,
    CONSTRAINT registrations_no_overlap EXCLUDE USING gist
        (int8range(licence_key, licence_key, '[]') WITH =,
         int8range(institution_key, institution_key, '[]') WITH =, period WITH &&),
    CONSTRAINT registrations_one_primary EXCLUDE USING gist
        (int8range(licence_key, licence_key, '[]') WITH =, period WITH &&) WHERE (role = 'primary'),
    CONSTRAINT registrations_source_ref UNIQUE (source, source_ref),
    CONSTRAINT registrations_source_pair CHECK ((source IS NULL) = (source_ref IS NULL))
);
CREATE INDEX registrations_institution_idx ON healthhub.registrations (institution_key);
COMMENT ON TABLE healthhub.registrations IS
    'Where a licence is registered for practice (one primary site at a time; multi-site practice adds ''additional'' sites)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.registrations', '');

CREATE FUNCTION healthhub.privilege_rank(privilege text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE privilege WHEN 'narcotic' THEN 1 WHEN 'psychotropic_1' THEN 2
                          WHEN 'antimicrobial_restricted' THEN 3 WHEN 'antimicrobial_special' THEN 4 END;

CREATE TABLE healthhub.practice_privileges (
    grant_key       bigint PRIMARY KEY,     -- minted by the trigger practice_privileges_key
    practitioner_key bigint NOT NULL REFERENCES healthhub.practitioners,
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    privilege       text NOT NULL CHECK (privilege IN ('narcotic', 'psychotropic_1',
                        'antimicrobial_restricted', 'antimicrobial_special')),
    period          tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    granted_by      name NOT NULL DEFAULT CURRENT_USER,
    CONSTRAINT practice_privileges_no_overlap EXCLUDE USING gist
        (int8range(practitioner_key, practitioner_key, '[]') WITH =,
         int8range(institution_key, institution_key, '[]') WITH =,
         int4range(healthhub.privilege_rank(privilege), healthhub.privilege_rank(privilege), '[]') WITH =,
         period WITH &&)
);
CREATE INDEX practice_privileges_institution_idx ON healthhub.practice_privileges (institution_key);

-- Keys of rows an institution's application inserts: the application may not
-- mint keys itself (it could burn the key space, or claim keys the sequence
-- has yet to reach), so a trigger that runs as its owner mints the key of
-- every new row and keeps it on update.  A restore keeps the dumped key.
CREATE FUNCTION healthhub.mint_row_key() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    key_column text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object(key_column, to_jsonb(OLD)->key_column));
    ELSIF NOT (healthhub.is_restoring() AND to_jsonb(NEW)->>key_column IS NOT NULL) THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object(key_column, healthhub.mint_key()));
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION healthhub.mint_row_key() FROM PUBLIC;
CREATE TRIGGER practice_privileges_key BEFORE INSERT OR UPDATE OF grant_key ON healthhub.practice_privileges
    FOR EACH ROW EXECUTE FUNCTION healthhub.mint_row_key('grant_key');
COMMENT ON TABLE healthhub.practice_privileges IS
    'Prescribing privileges an institution grants (narcotic, class I psychotropic, restricted and special antimicrobials)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.practice_privileges', '');

-- Blacklist ------------------------------------------------------------------

CREATE TABLE healthhub.blacklist (
    entry_key       bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    subject_kind    text NOT NULL CHECK (subject_kind IN ('institution', 'practitioner')),
    institution_key bigint REFERENCES healthhub.institutions,
    practitioner_key bigint REFERENCES healthhub.practitioners,
    reason          text NOT NULL CHECK (btrim(reason) <> ''),
    source          text NOT NULL CHECK (btrim(source) <> ''),
    period          tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    source_ref      text,
    recorded_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    recorded_by     name NOT NULL DEFAULT CURRENT_USER,
    CONSTRAINT blacklist_one_subject CHECK (
        (subject_kind = 'institution' AND institution_key IS NOT NULL AND practitioner_key IS NULL) OR
        (subject_kind = 'practitioner' AND practitioner_key IS NOT NULL AND institution_key IS NULL)),
    CONSTRAINT blacklist_source_ref UNIQUE (source, source_ref)
);
CREATE INDEX blacklist_practitioner_idx ON healthhub.blacklist (practitioner_key) WHERE practitioner_key IS NOT NULL;
CREATE INDEX blacklist_institution_idx ON healthhub.blacklist (institution_key) WHERE institution_key IS NOT NULL;
COMMENT ON TABLE healthhub.blacklist IS
    'Blacklisted institutions and practitioners: one violation, restricted everywhere (every institution, every act)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.blacklist', '');
CREATE UNIQUE INDEX blacklist_replica_identity ON healthhub.blacklist (entry_key, hub_id);
ALTER TABLE healthhub.blacklist REPLICA IDENTITY USING INDEX blacklist_replica_identity;

-- Derived practice rights ----------------------------------------------------

CREATE TABLE healthhub.practice_rights (
    practitioner_key bigint NOT NULL,
    institution_key bigint NOT NULL,
    act             text NOT NULL,
    privilege       text NOT NULL,
    valid           tstzmultirange NOT NULL,
    PRIMARY KEY (practitioner_key, institution_key, act, privilege)
);
COMMENT ON TABLE healthhub.practice_rights IS
    'Derived by triggers: when practitioner P may act as ACT (with PRIVILEGE, '''' for none) at an institution';
-- Not dumped: the triggers below rebuild it as pg_restore reloads the rows.

-- The periods a licence is active, from its history (a licence starts active).
CREATE FUNCTION healthhub.licence_active_periods(licence bigint) RETURNS tstzmultirange
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT COALESCE(pg_catalog.range_agg(pg_catalog.tstzrange(h.effective, h.next_effective)),
                    '{}'::pg_catalog.tstzmultirange)
      FROM (SELECT s.status, s.effective,
                   pg_catalog.lead(s.effective) OVER (ORDER BY s.effective, s.entry_key) AS next_effective
              FROM (SELECT 'active' AS status, '-infinity'::timestamptz AS effective, 0::bigint AS entry_key
                    UNION ALL
                    SELECT x.status, x.effective, x.entry_key FROM healthhub.licence_status_history x
                     WHERE x.licence_key = licence_active_periods.licence) s) h
     WHERE h.status = 'active' AND (h.next_effective IS NULL OR h.next_effective > h.effective);
END;

-- The practice-rights rule, written once.  A licence lets its holder act
-- as its kind at an institution at time T when T lies in the licence's
-- validity, in its active periods, in a registration of it there and in
-- the institution's operating period, and in no blacklist period of the
-- practitioner or of the institution; a privilege further needs a grant
-- (antimicrobial_special includes antimicrobial_restricted).
-- practice_right_terms gives these periods for each licence and each
-- institution it is registered at (one row with no institution for a
-- licence registered nowhere), practice_privilege_terms the grants.
-- recompute_practice_rights() stores their combination; why_not_practise()
-- names the term that leaves a time out.
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

-- Recompute the practice rights of one practitioner.  The UPDATE of the
-- practitioner row serialises recomputations of the same practitioner;
-- note_rights_change() makes this transaction's commit exclude the commits
-- of actions that claimed the old rights (assert_may_practise).
CREATE FUNCTION healthhub.note_rights_change(practitioner bigint) RETURNS void
    AS 'MODULE_PATHNAME', 'hh_note_rights_change' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
CREATE FUNCTION healthhub.recompute_practice_rights(practitioner bigint) RETURNS integer
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

CREATE FUNCTION healthhub.recompute_practice_rights() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p bigint;
    n bigint := 0;
BEGIN
    DELETE FROM healthhub.practice_rights r
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.practitioners x WHERE x.practitioner_key = r.practitioner_key);
    FOR p IN SELECT x.practitioner_key FROM healthhub.practitioners x ORDER BY 1 LOOP
        n := n + healthhub.recompute_practice_rights(p);
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.recompute_practice_rights() IS
    'Rebuild every practitioner''s derived practice rights (after pg_restore); returns the number of rows';


-- Triggers --------------------------------------------------------------------

-- One trigger function for every source table: find the practitioners a row
-- touches and recompute them, in key order so concurrent writers lock alike.
CREATE FUNCTION healthhub.practice_rights_trigger() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    images jsonb[] := '{}';
    j jsonb;
    keys bigint[] := '{}';
    p bigint;
BEGIN
    IF TG_OP <> 'INSERT' THEN images := images || to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN images := images || to_jsonb(NEW); END IF;
    FOREACH j IN ARRAY images LOOP
        IF TG_TABLE_NAME IN ('licences', 'practice_privileges')
           OR (TG_TABLE_NAME = 'blacklist' AND j->>'practitioner_key' IS NOT NULL) THEN
            keys := keys || (j->>'practitioner_key')::bigint;
        ELSIF TG_TABLE_NAME IN ('licence_status_history', 'registrations') THEN
            keys := keys || ARRAY(SELECT l.practitioner_key FROM healthhub.licences l
                                   WHERE l.licence_key = (j->>'licence_key')::bigint);
        ELSE    -- an institution, or an institution's blacklist entry
            keys := keys || ARRAY(SELECT l.practitioner_key
                                    FROM healthhub.registrations r
                                    JOIN healthhub.licences l ON l.licence_key = r.licence_key
                                   WHERE r.institution_key = (j->>'institution_key')::bigint);
        END IF;
    END LOOP;
    FOR p IN SELECT DISTINCT k FROM unnest(keys) k WHERE k IS NOT NULL ORDER BY 1 LOOP
        PERFORM healthhub.recompute_practice_rights(p);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER zz_practice_rights AFTER INSERT OR DELETE OR UPDATE OF practitioner_key, kind, validity
    ON healthhub.licences FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
CREATE TRIGGER zz_practice_rights AFTER INSERT OR DELETE OR UPDATE
    ON healthhub.licence_status_history FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
CREATE TRIGGER zz_practice_rights AFTER INSERT OR DELETE OR UPDATE
    ON healthhub.registrations FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
CREATE TRIGGER zz_practice_rights AFTER INSERT OR DELETE OR UPDATE
    ON healthhub.practice_privileges FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
CREATE TRIGGER zz_practice_rights AFTER INSERT OR DELETE OR UPDATE
    ON healthhub.blacklist FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
CREATE TRIGGER zz_practice_rights AFTER UPDATE OF valid
    ON healthhub.institutions FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
-- A hub that subscribes to another's registry derives the rights of the
-- rows it receives as the publisher did: these triggers fire in the apply
-- worker too (ALWAYS; an ordinary trigger does not fire for replicated
-- rows).  The others stay ordinary, so they do not fire there: the stamps
-- (registry_stamp, history_before_insert), keys (mint_row_key), guards
-- (licences_guard, history_append_only) and audit entries (audit_changes,
-- history_after_insert) were made and checked on the publisher, and the
-- rows arrive with them; the publisher's trail records the change, not the
-- subscriber's (docs/scale-out.md).
ALTER TABLE healthhub.licences ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.licence_status_history ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.registrations ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.practice_privileges ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.blacklist ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.institutions ENABLE ALWAYS TRIGGER zz_practice_rights;

-- Is a restore running in this session (healthhub.restoring, which only a
-- superuser may set: src/healthhub.c)?  Then rows pg_restore reloads keep
-- their stamps and are not audited again.  Not "is the caller a superuser":
-- a superuser's own inserts are stamped and audited like anyone's.
CREATE FUNCTION healthhub.is_restoring() RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_is_restoring' LANGUAGE C STABLE PARALLEL SAFE;

-- A licence's status is changed through its history only.
CREATE FUNCTION healthhub.licences_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    last_status text;
    last_effective timestamptz;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'active' AND NOT healthhub.is_restoring() THEN
            RAISE EXCEPTION 'a new licence starts active'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Licence %s was inserted with status %s.', NEW.licence_no, NEW.status),
                      HINT = 'Insert it, then call healthhub.change_licence_status().';
        END IF;
        IF NEW.status_effective IS NULL THEN
            NEW.status_effective := lower(NEW.validity);
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status OR NEW.status_effective IS DISTINCT FROM OLD.status_effective THEN
        -- The status is the last of its history, whoever writes it: checked
        -- against the history, not against who calls (a trigger of any
        -- depth can be anyone's).
        SELECT h.status, h.effective INTO last_status, last_effective FROM healthhub.licence_status_history h
         WHERE h.licence_key = NEW.licence_key ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
        IF (NEW.status, NEW.status_effective) IS DISTINCT FROM (last_status, last_effective) THEN
            RAISE EXCEPTION 'the status of licence % is changed through its history', OLD.licence_no
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Its history says %s.', coalesce(last_status, 'nothing: it is active')),
                      HINT = 'Call healthhub.change_licence_status(licence_no, status, reason, effective).';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER licences_guard BEFORE INSERT OR UPDATE ON healthhub.licences
    FOR EACH ROW EXECUTE FUNCTION healthhub.licences_guard();

-- The status history is append-only, and "revoked" is final.
CREATE FUNCTION healthhub.history_append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('%s of rows of healthhub.%s is not allowed.', TG_OP, TG_TABLE_NAME),
              HINT = 'Append a new status with healthhub.change_licence_status().';
END
$$;
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON healthhub.licence_status_history
    FOR EACH ROW EXECUTE FUNCTION healthhub.history_append_only();
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON healthhub.licence_status_history
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.history_append_only();

CREATE FUNCTION healthhub.history_before_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    revoked_at timestamptz;
    lic text;
BEGIN
    IF NOT healthhub.is_restoring() THEN
        NEW.recorded_at := now();
        NEW.recorded_by := healthhub.acting_role();
    END IF;
    -- one change of a licence's status at a time, whoever appends: a
    -- concurrent revocation is committed (and seen below) before this goes on
    PERFORM FROM healthhub.licences l WHERE l.licence_key = NEW.licence_key FOR UPDATE;
    SELECT min(h.effective) INTO revoked_at FROM healthhub.licence_status_history h
     WHERE h.licence_key = NEW.licence_key AND h.status = 'revoked';
    IF revoked_at <= NEW.effective THEN
        SELECT l.licence_no INTO lic FROM healthhub.licences l WHERE l.licence_key = NEW.licence_key;
        RAISE EXCEPTION 'licence % is revoked', lic
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('It was revoked with effect from %s; a revocation is final.', revoked_at),
                  HINT = 'A revoked practitioner needs a new licence.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER history_before_insert BEFORE INSERT ON healthhub.licence_status_history
    FOR EACH ROW EXECUTE FUNCTION healthhub.history_before_insert();

-- Keep licences.status on the last status (this UPDATE is what a concurrent
-- assert_may_practise conflicts with) and record the change in the trail.
CREATE FUNCTION healthhub.history_after_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lic healthhub.licences%ROWTYPE;
    last_entry record;
BEGIN
    SELECT h.status, h.effective INTO last_entry FROM healthhub.licence_status_history h
     WHERE h.licence_key = NEW.licence_key ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
    UPDATE healthhub.licences l SET status = last_entry.status, status_effective = last_entry.effective
     WHERE l.licence_key = NEW.licence_key
    RETURNING * INTO lic;
    IF NEW.recorded_at = now() THEN     -- not a row reloaded by pg_restore
        PERFORM healthhub.audit_append('licence.' || NEW.status, 'licence', lic.licence_no,
                                       NULL, 'registry maintenance', 'ok', lic.practitioner_key);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER history_after_insert AFTER INSERT ON healthhub.licence_status_history
    FOR EACH ROW EXECUTE FUNCTION healthhub.history_after_insert();

ALTER TABLE healthhub.practice_privileges
    ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT pg_catalog.now();
-- Who recorded a blacklist entry or granted a privilege, and when, is the
-- database's word, not the writer's: stamped on insert (except for rows
-- pg_restore reloads) and never changed.
CREATE FUNCTION healthhub.registry_stamp() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    by_column text := CASE TG_TABLE_NAME WHEN 'blacklist' THEN 'recorded_by' ELSE 'granted_by' END;
    j jsonb := to_jsonb(NEW);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object('recorded_at', to_jsonb(OLD)->'recorded_at',
                                                             by_column, to_jsonb(OLD)->by_column));
    ELSIF NOT (healthhub.is_restoring() AND (j->>'recorded_at')::timestamptz IS DISTINCT FROM now()) THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object('recorded_at', now(), by_column, healthhub.acting_role()));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER registry_stamp BEFORE INSERT OR UPDATE ON healthhub.blacklist
    FOR EACH ROW EXECUTE FUNCTION healthhub.registry_stamp();
CREATE TRIGGER registry_stamp BEFORE INSERT OR UPDATE ON healthhub.practice_privileges
    FOR EACH ROW EXECUTE FUNCTION healthhub.registry_stamp();

-- Every change to the registry is recorded (src/platform/audit_changes.sql);
-- a licence's status changes are recorded as licence.<status> by the history.
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.institutions
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('institution', 'institution_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.insurance_designations
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('insurance_designation', 'designation_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.consortia
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('consortium', 'consortium_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.consortium_members
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('consortium_member', 'consortium_key,institution_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.practitioners
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('practitioner', 'practitioner_key', 'registry maintenance', 'rights_version');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.licences
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('licence', 'licence_no', 'registry maintenance', 'status,status_effective');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.registrations
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('registration', 'registration_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.practice_privileges
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('privilege', 'grant_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.blacklist
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('blacklist', 'entry_key', 'registry maintenance');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.licence_status_history', 'own trigger', 'licence.<status> (history_after_insert)'),
    ('healthhub.practice_rights', 'derived', 'recomputed from licences, registrations, privileges and the blacklist');

-- The question -------------------------------------------------------------------

-- May practitioner P act as ACT (physician, pharmacist, nurse), with
-- PRIVILEGE if given, at institution I at time AT?  One index probe.
CREATE FUNCTION healthhub.may_practise(practitioner bigint, act text, institution bigint,
                                       "at" timestamptz DEFAULT pg_catalog.now(), privilege text DEFAULT NULL)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_may_practise' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.may_practise(bigint, text, bigint, timestamptz, text) IS
    'May the practitioner act as physician/pharmacist/nurse (with the privilege) at the institution at that time?';

-- Why not?  NULL when allowed; otherwise every reason found, for humans.
-- A role that acts for an institution asks about that institution only: the
-- answers name institutions, licences and reasons that row level security
-- would otherwise hide from it.
CREATE FUNCTION healthhub.check_own_institution(institution bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller name := healthhub.acting_role();
    own bigint := healthhub.acting_role_institution();
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

CREATE FUNCTION healthhub.why_not_practise(practitioner bigint, act text, institution bigint,
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
    detailed boolean := healthhub.acting_role_is_admin();
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

-- For write paths: check, refuse with 42501, and check again at commit.
-- claim_practice() reads the latest committed rights at clock time and takes
-- no lock; the transaction's commit checks the claim again, in a window no
-- user code runs in, that excludes the commit of any change of the same
-- practitioner's rights (practice_claims.c).  So a revocation never waits
-- for an open action, and an action whose transaction commits after a
-- revocation commits is refused.
CREATE FUNCTION healthhub.claim_practice(practitioner bigint, act text, institution bigint, privilege text)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_claim_practice' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION healthhub.assert_may_practise(practitioner bigint, act text, institution bigint,
                                              privilege text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    why text;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.assert_may_practise',
                                        ARRAY['practitioner', 'act', 'institution'],
                                        ARRAY[practitioner IS NULL, act IS NULL, institution IS NULL]);
    PERFORM healthhub.check_own_institution(institution);
    IF NOT healthhub.claim_practice(practitioner, act, institution, privilege) THEN
        -- (under REPEATABLE READ the snapshot may predate what refused it)
        why := healthhub.why_not_practise(practitioner, act, institution, clock_timestamp(), privilege);
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = format('practitioner may not act as %s%s here', act,
                             CASE WHEN privilege IS NULL THEN '' ELSE ' with privilege ' || privilege END),
            DETAIL = COALESCE(upper(left(why, 1)) || substr(why, 2) || '.',
                              'Its practice rights changed after this transaction''s snapshot was taken.');
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.assert_may_practise(bigint, text, bigint, text) IS
    'Raise 42501 unless the practitioner may act now; checked again when the transaction commits';

-- Status changes ----------------------------------------------------------------

CREATE FUNCTION healthhub.change_licence_status(licence_no text, status text, reason text,
                                                effective timestamptz DEFAULT pg_catalog.now())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lic healthhub.licences%ROWTYPE;
    current_status text;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.change_licence_status',
                                        ARRAY['licence_no', 'status', 'reason', 'effective'],
                                        ARRAY[licence_no IS NULL, status IS NULL, reason IS NULL, effective IS NULL]);
    IF status NOT IN ('active', 'suspended', 'revoked') THEN
        RAISE EXCEPTION 'invalid licence status "%"', status
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A licence is active, suspended or revoked.';
    END IF;
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'a licence status change needs a reason'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT isfinite(effective) THEN
        RAISE EXCEPTION 'invalid effective time %', effective
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A status change takes effect at a finite time.';
    END IF;
    SELECT * INTO lic FROM healthhub.licences l WHERE l.licence_no = change_licence_status.licence_no FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'licence "%" does not exist', licence_no
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT h.status INTO current_status FROM healthhub.licence_status_history h
     WHERE h.licence_key = lic.licence_key AND h.effective <= change_licence_status.effective
     ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
    IF COALESCE(current_status, 'active') = status
       AND NOT EXISTS (SELECT 1 FROM healthhub.licence_status_history h
                        WHERE h.licence_key = lic.licence_key AND h.effective > change_licence_status.effective) THEN
        RAISE NOTICE 'licence % is already %', licence_no, status;
        RETURN;
    END IF;
    INSERT INTO healthhub.licence_status_history (licence_key, status, effective, reason)
    VALUES (lic.licence_key, status, effective, reason);
END
$$;
COMMENT ON FUNCTION healthhub.change_licence_status(text, text, text, timestamptz) IS
    'Suspend, reinstate or revoke a licence (revocation is final); appends to the history and the audit trail';

-- The registry's personal data beyond the public register (a practitioner's
-- resident ID number; the reasons of a licence's status changes) is read
-- only through these, each leaving one read entry before it returns.
CREATE FUNCTION healthhub.practitioner_identity(practitioner bigint)
    RETURNS TABLE (practitioner_key bigint, resident_id healthhub.resident_id, name text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_arguments('healthhub.practitioner_identity', ARRAY['practitioner'],
                                        ARRAY[practitioner IS NULL]);
    PERFORM healthhub.audit_append('read', 'practitioner_identity', practitioner::text, NULL,
                                   'registry maintenance', 'ok', practitioner);
    RETURN QUERY SELECT p.practitioner_key, p.resident_id, p.name FROM healthhub.practitioners p
                  WHERE p.practitioner_key = practitioner;
END
$$;
COMMENT ON FUNCTION healthhub.practitioner_identity(bigint) IS
    'A practitioner''s resident ID number and name, for hub_admin; audited';

CREATE FUNCTION healthhub.find_practitioner(resident_id healthhub.resident_id) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_key bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.find_practitioner', ARRAY['resident_id'],
                                        ARRAY[resident_id IS NULL]);
    SELECT p.practitioner_key INTO found_key FROM healthhub.practitioners p
     WHERE p.resident_id OPERATOR(healthhub.=) find_practitioner.resident_id;
    -- the entry names the practitioner found, never the number asked for
    PERFORM healthhub.audit_append('read', 'practitioner_identity', found_key::text, NULL,
                                   'registry maintenance', CASE WHEN found_key IS NULL THEN 'not_found' ELSE 'found' END,
                                   found_key);
    RETURN found_key;
END
$$;
COMMENT ON FUNCTION healthhub.find_practitioner(healthhub.resident_id) IS
    'The practitioner holding a resident ID number, for hub_admin; audited';

CREATE FUNCTION healthhub.licence_history(licence_no text)
    RETURNS TABLE (status text, effective timestamptz, reason text, recorded_at timestamptz, recorded_by name)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lic healthhub.licences;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.licence_history', ARRAY['licence_no'],
                                        ARRAY[licence_no IS NULL]);
    SELECT * INTO lic FROM healthhub.licences l WHERE l.licence_no = licence_history.licence_no;
    PERFORM healthhub.audit_append('read', 'licence_history', licence_no, NULL, 'registry maintenance',
                                   CASE WHEN lic.licence_key IS NULL THEN 'not_found' ELSE 'found' END,
                                   lic.practitioner_key);
    RETURN QUERY SELECT h.status, h.effective, h.reason, h.recorded_at, h.recorded_by
                   FROM healthhub.licence_status_history h
                  WHERE h.licence_key = lic.licence_key ORDER BY h.effective, h.entry_key;
END
$$;
COMMENT ON FUNCTION healthhub.licence_history(text) IS
    'A licence''s status history with the reasons, for hub_admin; audited';
REVOKE ALL ON FUNCTION healthhub.practitioner_identity(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.find_practitioner(healthhub.resident_id) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.licence_history(text) FROM PUBLIC;

CREATE FUNCTION healthhub.blacklist_subject(kind text, subject bigint, reason text, source text, period tstzrange)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.blacklist_' || kind, ARRAY[kind, 'reason', 'source', 'period'],
                                        ARRAY[subject IS NULL, reason IS NULL, source IS NULL, period IS NULL]);
    IF btrim(reason) = '' OR btrim(source) = '' THEN
        RAISE EXCEPTION 'a blacklist entry needs its subject, a reason and a source'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF isempty(period) OR lower_inf(period) THEN
        RAISE EXCEPTION 'invalid blacklist period %', period
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The period must have a start; leave the end open for an indefinite listing.';
    END IF;
    IF kind = 'practitioner' AND NOT EXISTS (SELECT 1 FROM healthhub.practitioners p WHERE p.practitioner_key = subject)
       OR kind = 'institution' AND NOT EXISTS (SELECT 1 FROM healthhub.institutions i WHERE i.institution_key = subject) THEN
        RAISE EXCEPTION 'unknown % %', kind, subject
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO healthhub.blacklist (subject_kind, practitioner_key, institution_key, reason, source, period)
    VALUES (kind, CASE WHEN kind = 'practitioner' THEN subject END,
            CASE WHEN kind = 'institution' THEN subject END, reason, source, period)
    RETURNING entry_key INTO k;
    RETURN k;
END
$$;
REVOKE ALL ON FUNCTION healthhub.blacklist_subject(text, bigint, text, text, tstzrange) FROM PUBLIC;

CREATE FUNCTION healthhub.blacklist_practitioner(practitioner bigint, reason text, source text,
                                                 period tstzrange DEFAULT pg_catalog.tstzrange(pg_catalog.now(), NULL))
    RETURNS bigint LANGUAGE sql
    RETURN healthhub.blacklist_subject('practitioner', practitioner, reason, source, period);
CREATE FUNCTION healthhub.blacklist_institution(institution bigint, reason text, source text,
                                                period tstzrange DEFAULT pg_catalog.tstzrange(pg_catalog.now(), NULL))
    RETURNS bigint LANGUAGE sql
    RETURN healthhub.blacklist_subject('institution', institution, reason, source, period);
COMMENT ON FUNCTION healthhub.blacklist_practitioner(bigint, text, text, tstzrange) IS
    'Blacklist a practitioner everywhere for a period; returns the entry key';
COMMENT ON FUNCTION healthhub.blacklist_institution(bigint, text, text, tstzrange) IS
    'Blacklist an institution (and everyone acting there) for a period; returns the entry key';

CREATE FUNCTION healthhub.lift_blacklist(entry bigint, "at" timestamptz DEFAULT pg_catalog.now())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e healthhub.blacklist%ROWTYPE;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.lift_blacklist', ARRAY['entry', 'at'],
                                        ARRAY[entry IS NULL, "at" IS NULL]);
    SELECT * INTO e FROM healthhub.blacklist b WHERE b.entry_key = entry FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'blacklist entry % does not exist', entry USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT e.period @> "at" OR "at" = lower(e.period) THEN
        RAISE EXCEPTION 'blacklist entry % is not in force at %', entry, "at"
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The entry covers %s.', e.period);
    END IF;
    UPDATE healthhub.blacklist b SET period = tstzrange(lower(b.period), "at") WHERE b.entry_key = entry;
END
$$;
COMMENT ON FUNCTION healthhub.lift_blacklist(bigint, timestamptz) IS 'End a blacklist entry at a time within it';

-- Views without personal data ------------------------------------------------------

-- Names of practitioners (no resident_id).  An institution's application sees
-- the practitioners registered at its institution only.
CREATE VIEW healthhub.practitioner_directory WITH (security_barrier) AS
SELECT p.practitioner_key, p.name, p.hub_id
  FROM healthhub.practitioners p
 WHERE NOT (SELECT healthhub.has_profile('institution_app'))
    OR EXISTS (SELECT 1 FROM healthhub.registrations r
                 JOIN healthhub.licences l ON l.licence_key = r.licence_key
                WHERE l.practitioner_key = p.practitioner_key
                  AND r.institution_key = (SELECT healthhub.acting_institution()));
COMMENT ON VIEW healthhub.practitioner_directory IS 'Practitioners'' names without identity numbers';

CREATE VIEW healthhub.licence_directory WITH (security_barrier) AS
SELECT l.licence_no, l.practitioner_key, l.kind, l.scope, l.validity, l.status, l.status_effective, l.hub_id
  FROM healthhub.licences l
 WHERE NOT (SELECT healthhub.has_profile('institution_app'))
    OR EXISTS (SELECT 1 FROM healthhub.registrations r
                WHERE r.licence_key = l.licence_key
                  AND r.institution_key = (SELECT healthhub.acting_institution()));
COMMENT ON VIEW healthhub.licence_directory IS 'Licences (an institution''s application: those registered with it)';

-- For statisticians: no names, no identity or licence numbers.
CREATE VIEW healthhub.licence_facts AS
SELECT l.licence_key, l.practitioner_key, l.kind, l.scope, l.validity, l.status, l.status_effective, l.hub_id
  FROM healthhub.licences l;
COMMENT ON VIEW healthhub.licence_facts IS 'Licences without licence numbers, for statistics';

-- Row level security -----------------------------------------------------------------
-- A role holding institution_app sees its own institution's rows only; the
-- institution comes from healthhub.role_profiles (not from a setting).
-- Every policy is a plain call of healthhub.row_allowed() (profiles.sql).

ALTER TABLE healthhub.institutions ENABLE ROW LEVEL SECURITY;
CREATE POLICY institutions_read ON healthhub.institutions FOR SELECT
    USING (healthhub.row_allowed('read', institution_key));
CREATE POLICY institutions_admin ON healthhub.institutions FOR ALL
    USING (healthhub.row_allowed('admin'))
    WITH CHECK (healthhub.row_allowed('admin'));

ALTER TABLE healthhub.registrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY registrations_read ON healthhub.registrations FOR SELECT
    USING (healthhub.row_allowed('read', institution_key));
CREATE POLICY registrations_admin ON healthhub.registrations FOR ALL
    USING (healthhub.row_allowed('admin'))
    WITH CHECK (healthhub.row_allowed('admin'));

-- An institution grants privileges to its own practitioners.
ALTER TABLE healthhub.practice_privileges ENABLE ROW LEVEL SECURITY;
CREATE POLICY practice_privileges_read ON healthhub.practice_privileges FOR SELECT
    USING (healthhub.row_allowed('read', institution_key));
CREATE POLICY practice_privileges_own_insert ON healthhub.practice_privileges FOR INSERT
    WITH CHECK (healthhub.row_allowed('own', institution_key));
CREATE POLICY practice_privileges_own_update ON healthhub.practice_privileges FOR UPDATE
    USING (healthhub.row_allowed('own', institution_key))
    WITH CHECK (healthhub.row_allowed('own', institution_key));
CREATE POLICY practice_privileges_admin_delete ON healthhub.practice_privileges FOR DELETE
    USING (healthhub.row_allowed('admin'));

-- Privileges per profile ------------------------------------------------------------

REVOKE ALL ON FUNCTION healthhub.recompute_practice_rights(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.recompute_practice_rights() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.practice_rights_trigger() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.why_not_practise(bigint, text, bigint, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.assert_may_practise(bigint, text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.claim_practice(bigint, text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.note_rights_change(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.may_practise(bigint, text, bigint, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.change_licence_status(text, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.blacklist_practitioner(bigint, text, text, tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.blacklist_institution(bigint, text, text, tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.lift_blacklist(bigint, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.practice_right_terms(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.practice_privilege_terms(bigint) FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'table', t, p FROM (VALUES
    ('healthhub.institutions', 'SELECT, INSERT, UPDATE'),
    ('healthhub.insurance_designations', 'SELECT, INSERT, UPDATE, DELETE'),
    ('healthhub.consortia', 'SELECT, INSERT, UPDATE'),
    ('healthhub.consortium_members', 'SELECT, INSERT, UPDATE, DELETE'),
    -- a practitioner's resident ID number and the reasons of status changes
    -- are read through the audited practitioner_identity() and
    -- licence_history(), never directly
    ('healthhub.practitioners', 'SELECT (practitioner_key, hub_id, name, rights_version, source, source_ref), INSERT, UPDATE'),
    ('healthhub.licences', 'SELECT, INSERT, UPDATE'),
    ('healthhub.licence_status_history', 'SELECT (entry_key, licence_key, status, effective, recorded_at, recorded_by), INSERT'),
    ('healthhub.registrations', 'SELECT, INSERT, UPDATE, DELETE'),
    ('healthhub.practice_privileges', 'SELECT, INSERT, UPDATE, DELETE'),
    ('healthhub.blacklist', 'SELECT, INSERT, UPDATE'),
    ('healthhub.practice_rights', 'SELECT'),
    ('healthhub.practitioner_directory', 'SELECT'),
    ('healthhub.licence_directory', 'SELECT'),
    ('healthhub.licence_facts', 'SELECT')) v(t, p)
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE' FROM unnest(ARRAY[
    'healthhub.may_practise(bigint, text, bigint, timestamptz, text)',
    'healthhub.why_not_practise(bigint, text, bigint, timestamptz, text)',
    'healthhub.assert_may_practise(bigint, text, bigint, text)',
    'healthhub.change_licence_status(text, text, text, timestamptz)',
    'healthhub.blacklist_practitioner(bigint, text, text, tstzrange)',
    'healthhub.blacklist_institution(bigint, text, text, tstzrange)',
    'healthhub.blacklist_subject(text, bigint, text, text, tstzrange)',
    'healthhub.lift_blacklist(bigint, timestamptz)',
    'healthhub.recompute_practice_rights()',
    'healthhub.recompute_practice_rights(bigint)',
    'healthhub.practitioner_identity(bigint)',
    'healthhub.find_practitioner(healthhub.resident_id)',
    'healthhub.licence_history(text)',
    'healthhub.mint_key()']) f
UNION ALL
-- An institution's application: its own rows (RLS), grants privileges there.
SELECT 'institution_app', 'table', t, p FROM (VALUES
    ('healthhub.institutions', 'SELECT'),
    ('healthhub.registrations', 'SELECT'),
    ('healthhub.practice_privileges', 'SELECT, INSERT, UPDATE'),
    ('healthhub.practice_rights', 'SELECT'),
    ('healthhub.practitioner_directory', 'SELECT'),
    ('healthhub.licence_directory', 'SELECT')) v(t, p)
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['institution_app', 'clinician', 'pharmacist']) pr,
       unnest(ARRAY['healthhub.may_practise(bigint, text, bigint, timestamptz, text)',
                    'healthhub.why_not_practise(bigint, text, bigint, timestamptz, text)',
                    'healthhub.assert_may_practise(bigint, text, bigint, text)']) f
UNION ALL
-- (no profile uses healthhub.key_seq itself: keys are minted by mint_key(),
-- which runs as its owner, and rows the application inserts get theirs from a
-- trigger)
-- Clinicians and pharmacists read the public registry, names without ID numbers.
SELECT pr, 'table', t, 'SELECT'
  FROM unnest(ARRAY['clinician', 'pharmacist']) pr,
       unnest(ARRAY['healthhub.institutions', 'healthhub.practice_rights',
                    'healthhub.practitioner_directory', 'healthhub.licence_directory', 'healthhub.blacklist']) t
UNION ALL
-- The insurer: institutions, designations, consortia, who may practise where.
SELECT 'insurer', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.institutions', 'healthhub.insurance_designations', 'healthhub.consortia',
                    'healthhub.consortium_members', 'healthhub.practice_rights',
                    'healthhub.practitioner_directory', 'healthhub.licence_directory', 'healthhub.blacklist']) t
UNION ALL
SELECT 'insurer', 'function', 'healthhub.may_practise(bigint, text, bigint, timestamptz, text)', 'EXECUTE'
UNION ALL
-- The statistician: no names, no identity or licence numbers.
SELECT 'statistician', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.institutions', 'healthhub.insurance_designations', 'healthhub.consortia',
                    'healthhub.consortium_members', 'healthhub.practice_rights', 'healthhub.licence_facts']) t
ON CONFLICT (profile, object_kind, object_name) DO NOTHING;   -- another area may grant the same
