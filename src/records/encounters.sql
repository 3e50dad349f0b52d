-- Encounters (docs/records.md, "Encounters"): outpatient and emergency
-- visits (counted by registration) and admissions with their discharge
-- (department, bed, admission route, discharge mode, length of stay), with
-- their diagnoses (ICD-10, the first the principal one) and treating
-- practitioner: what later reports and surveillance count.  Institutions
-- send them as files, loaded through the loading framework
-- (src/platform/loading.sql): every bad row reported with its line and
-- reason, the same file twice changes nothing, a corrected row replaces its
-- earlier version, which is kept in encounter_history.

CREATE TABLE healthhub.encounters (
    person_key       bigint NOT NULL,
    encounter_key    bigint NOT NULL DEFAULT healthhub.mint_key(),
    record_id        bigint NOT NULL,    -- the institution's record of the person (source_records)
    institution_key  bigint NOT NULL REFERENCES healthhub.institutions,
    local_id         text NOT NULL CHECK (local_id ~ '^[A-Za-z0-9._/+-]{1,64}$'),
    kind             text NOT NULL CHECK (kind IN ('outpatient', 'emergency', 'inpatient')),
    department       text CHECK (length(department) <= 100),
    practitioner_key bigint REFERENCES healthhub.practitioners,
    started_at       timestamptz NOT NULL,   -- registration, or admission
    ended_at         timestamptz,            -- discharge
    admission_route  text CHECK (admission_route IN ('outpatient', 'emergency', 'referral', 'other')),
    discharge_mode   text CHECK (discharge_mode IN ('home', 'referral', 'community', 'death', 'against_advice', 'other')),
    bed              text CHECK (length(bed) <= 40),
    diagnoses        text[] NOT NULL DEFAULT '{}',   -- ICD-10 codes, the principal first
    -- (days in hospital as counted in China: discharge date minus admission
    -- date, Beijing time, at least one)
    length_of_stay   integer GENERATED ALWAYS AS (
        CASE WHEN kind = 'inpatient' AND ended_at IS NOT NULL
             THEN greatest(1, (ended_at AT TIME ZONE 'Asia/Shanghai')::date - (started_at AT TIME ZONE 'Asia/Shanghai')::date)
        END) STORED,
    version          integer NOT NULL DEFAULT 1,
    load_id          bigint REFERENCES healthhub.loads,
    PRIMARY KEY (person_key, encounter_key),
    UNIQUE (institution_key, local_id),
    CONSTRAINT encounters_period CHECK (ended_at IS NULL OR ended_at >= started_at),
    CONSTRAINT encounters_inpatient_only CHECK (kind = 'inpatient' OR (admission_route IS NULL AND discharge_mode IS NULL
                                                                          AND bed IS NULL))
);
CREATE INDEX encounters_by_time ON healthhub.encounters (institution_key, started_at);
COMMENT ON TABLE healthhub.encounters IS
    'Outpatient and emergency visits and admissions: department, practitioner, times, route, discharge, diagnoses';
SELECT pg_catalog.pg_extension_config_dump('healthhub.encounters', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.encounters
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('encounter', 'encounter_key', 'shared records');
ALTER TABLE healthhub.encounters ENABLE ROW LEVEL SECURITY;
CREATE POLICY encounters_own ON healthhub.encounters FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Earlier versions of corrected encounters.
CREATE TABLE healthhub.encounter_history (
    LIKE healthhub.encounters EXCLUDING CONSTRAINTS EXCLUDING INDEXES EXCLUDING GENERATED,
    replaced_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (person_key, encounter_key, version)
);
COMMENT ON TABLE healthhub.encounter_history IS 'Earlier versions of encounters a later load corrected';
SELECT pg_catalog.pg_extension_config_dump('healthhub.encounter_history', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.encounter_history', 'derived', 'the earlier version of an encounter, written by its correction');
ALTER TABLE healthhub.encounter_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY encounter_history_own ON healthhub.encounter_history FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

CREATE FUNCTION healthhub.encounter_versioned() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO healthhub.encounter_history SELECT OLD.*;
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION healthhub.encounter_versioned() FROM PUBLIC;
CREATE TRIGGER encounter_versioned BEFORE UPDATE ON healthhub.encounters
    FOR EACH ROW EXECUTE FUNCTION healthhub.encounter_versioned();

-- An ICD-10 code as institutions write it: a chapter letter, two digits,
-- and optionally a point and up to four characters of the subcategory or
-- the national clinical extension (J18.9, I21.001, E11.900x002).  The form
-- is checked; the code's existence in a catalogue is not (none is shipped).
CREATE FUNCTION healthhub.icd10_ok(code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN code ~ '^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4}(x[0-9]{3})?)?$';
COMMENT ON FUNCTION healthhub.icd10_ok(text) IS 'Whether a text is an ICD-10 code in form (J18.9, E11.900x002)';
GRANT EXECUTE ON FUNCTION healthhub.icd10_ok(text) TO PUBLIC;

CREATE TABLE healthhub.stage_encounters (
    line_no              bigint GENERATED BY DEFAULT AS IDENTITY,
    encounter_id         text,   -- the institution's registration or admission number
    patient_id           text,   -- its record of the patient (link_record's local_id)
    kind                 text,   -- outpatient, emergency, inpatient
    department           text,
    practitioner_licence text,   -- the treating practitioner's licence number
    started_at           text,
    ended_at             text,
    admission_route      text,
    discharge_mode       text,
    bed                  text,
    diagnoses            text    -- ICD-10 codes separated by ';', the principal first
);
COMMENT ON TABLE healthhub.stage_encounters IS 'Staging for healthhub.load_encounters(): COPY an institution''s encounters here';
ALTER TABLE healthhub.stage_encounters REPLICA IDENTITY FULL;
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.stage_encounters', 'staging', 'encounters.load.delta of the load that reads it');

-- Load the encounters staged from one institution's file: source is the
-- institution's source of person records (link_record's source), whose
-- records the patient ids name.  Returns what was staged, loaded and
-- rejected; keyed on (source, file digest).
CREATE FUNCTION healthhub.load_encounters(source text, file_digest text)
    RETURNS TABLE (load_id bigint, staged integer, loaded integer, rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    se constant regclass := 'healthhub.stage_encounters';
    b record := healthhub.begin_records_load('encounters', source, file_digest, se);
    lid bigint := b.load_id;
    src text := btrim(source);
    institution bigint := b.institution;
BEGIN
    IF b.already_loaded THEN
        RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, true FROM healthhub.records_load_outcome(lid, 'encounters') o;
        RETURN;
    END IF;

    PERFORM healthhub.load_require(lid, 'encounters', se, ARRAY['encounter_id', 'patient_id', 'kind']);
    PERFORM healthhub.load_check_duplicates(lid, 'encounters', se, 'encounter_id');
    PERFORM healthhub.load_check_pattern(lid, 'encounters', se, 'encounter_id', '^[A-Za-z0-9._/+-]{1,64}$',
                                         'is not 1 to 64 letters, digits or . _ / + -', false);
    -- (references: an empty value is "required" above, or allowed)
    PERFORM healthhub.load_check_patient(lid, 'encounters', se, src);
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, 'practitioner_licence', s.practitioner_licence, 'is no licence of the registry'
      FROM healthhub.stage_encounters s
     WHERE nullif(btrim(s.practitioner_licence), '') IS NOT NULL
       AND NOT EXISTS (SELECT FROM healthhub.licences l WHERE l.licence_no = btrim(s.practitioner_licence));
    PERFORM healthhub.load_check_in(lid, 'encounters', se, 'kind', ARRAY['outpatient', 'emergency', 'inpatient'], false,
                                    'is not outpatient, emergency or inpatient');
    PERFORM healthhub.load_check_type(lid, 'encounters', se, 'started_at', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'encounters', se, 'ended_at', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'encounters', se, 'started_at', 'ended_at');
    PERFORM healthhub.load_check_in(lid, 'encounters', se, 'admission_route',
                                    ARRAY['outpatient', 'emergency', 'referral', 'other'], false,
                                    'is not outpatient, emergency, referral or other');
    PERFORM healthhub.load_check_in(lid, 'encounters', se, 'discharge_mode',
                                    ARRAY['home', 'referral', 'community', 'death', 'against_advice', 'other'], false,
                                    'is not home, referral, community, death, against_advice or other');
    PERFORM healthhub.load_check_pattern(lid, 'encounters', se, 'department', '^.{1,100}$', 'is longer than 100 characters',
                                         false);
    PERFORM healthhub.load_check_pattern(lid, 'encounters', se, 'bed', '^.{1,40}$', 'is longer than 40 characters', false);
    -- (admission route, discharge mode and bed belong to an admission)
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, c.col, c.val, 'is for an inpatient stay only'
      FROM healthhub.stage_encounters s,
           LATERAL (VALUES ('admission_route', s.admission_route), ('discharge_mode', s.discharge_mode), ('bed', s.bed)) c(col, val)
     WHERE btrim(s.kind) IN ('outpatient', 'emergency') AND coalesce(btrim(c.val), '') <> '';
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, 'discharge_mode', s.discharge_mode, 'is required when an inpatient stay has ended'
      FROM healthhub.stage_encounters s
     WHERE btrim(s.kind) = 'inpatient' AND coalesce(btrim(s.ended_at), '') <> '' AND coalesce(btrim(s.discharge_mode), '') = '';
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, 'diagnoses', d.code, 'is not an ICD-10 code (such as J18.9 or E11.900x002)'
      FROM healthhub.stage_encounters s, unnest(string_to_array(s.diagnoses, ';')) d(code)
     WHERE NOT healthhub.icd10_ok(btrim(d.code));

    INSERT INTO healthhub.encounters AS e (person_key, record_id, institution_key, local_id, kind, department,
                                           practitioner_key, started_at, ended_at, admission_route, discharge_mode, bed,
                                           diagnoses, load_id)
    SELECT healthhub.current_person(r.person_key), r.record_id, institution, btrim(s.encounter_id), btrim(s.kind),
           nullif(btrim(s.department), ''), l.practitioner_key, btrim(s.started_at)::timestamptz,
           nullif(btrim(s.ended_at), '')::timestamptz, nullif(btrim(s.admission_route), ''),
           nullif(btrim(s.discharge_mode), ''), nullif(btrim(s.bed), ''),
           coalesce(ARRAY(SELECT btrim(d) FROM unnest(string_to_array(s.diagnoses, ';')) WITH ORDINALITY x(d, n)
                           WHERE btrim(d) <> '' ORDER BY n), '{}'), lid
      FROM healthhub.stage_encounters s
      JOIN healthhub.source_records r ON r.source = src AND r.local_id = btrim(s.patient_id) AND r.person_key IS NOT NULL
      LEFT JOIN healthhub.licences l ON l.licence_no = nullif(btrim(s.practitioner_licence), '')
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors x
                        WHERE x.load_id = lid AND x.entity = 'encounters' AND x.line_no = s.line_no)
    -- (a corrected row: the earlier version goes to encounter_history)
    ON CONFLICT (institution_key, local_id) DO UPDATE
       SET person_key = EXCLUDED.person_key, record_id = EXCLUDED.record_id, kind = EXCLUDED.kind,
           department = EXCLUDED.department, practitioner_key = EXCLUDED.practitioner_key,
           started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at, admission_route = EXCLUDED.admission_route,
           discharge_mode = EXCLUDED.discharge_mode, bed = EXCLUDED.bed, diagnoses = EXCLUDED.diagnoses,
           load_id = EXCLUDED.load_id
     WHERE (e.person_key, e.kind, e.department, e.practitioner_key, e.started_at, e.ended_at, e.admission_route,
            e.discharge_mode, e.bed, e.diagnoses)
           IS DISTINCT FROM (EXCLUDED.person_key, EXCLUDED.kind, EXCLUDED.department, EXCLUDED.practitioner_key,
                             EXCLUDED.started_at, EXCLUDED.ended_at, EXCLUDED.admission_route, EXCLUDED.discharge_mode,
                             EXCLUDED.bed, EXCLUDED.diagnoses);

    RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, false FROM healthhub.end_records_load(lid, 'encounters', se) o;
END
$$;
COMMENT ON FUNCTION healthhub.load_encounters(text, text) IS
    'Validate and load the encounters staged from one institution''s file; keyed on (source, file digest)';

REVOKE ALL ON FUNCTION healthhub.load_encounters(text, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges) VALUES
    ('hub_admin', 'table', 'healthhub.stage_encounters', 'SELECT, INSERT, UPDATE, DELETE'),
    ('hub_admin', 'function', 'healthhub.load_encounters(text, text)', 'EXECUTE');
