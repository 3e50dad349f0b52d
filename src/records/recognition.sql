-- Exam and lab result mutual recognition (检查检验结果互认; docs/records.md,
-- "Result recognition"), after the national measures of 2022 (国卫医发
-- 〔2022〕6号): a result of an item of a region's catalogue, from a lab that
-- passed external quality assessment for it when the result was produced,
-- within the item's validity window, spares the patient the same test at
-- another institution of the region, as the levels allow (same level each
-- other, lower accepts upper, upper accepts lower only within a city).  A
-- re-test stays allowed, with a reason.  Catalogues, windows and reasons are
-- rows: each region sets its own.

-- A region's catalogue of recognised items, by version: a province's items
-- are recognised province-wide, a city's within the city.
CREATE TABLE healthhub.recognition_items (
    item_key     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    region       healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    item_code    text NOT NULL CHECK (item_code ~ '^[A-Za-z0-9._-]{1,40}$'),
    item_kind    text NOT NULL CHECK (item_kind IN ('exam', 'lab')),
    name         text NOT NULL CHECK (btrim(name) <> ''),
    validity     interval NOT NULL CHECK (validity > interval '0'),
    mark         text NOT NULL CHECK (mark ~ 'HR$'),
    cost         numeric(12, 2) CHECK (cost >= 0),   -- what a re-test costs (avoided cost)
    catalogue_version text NOT NULL CHECK (btrim(catalogue_version) <> ''),
    valid        tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    UNIQUE (region, item_code, catalogue_version)
);
COMMENT ON TABLE healthhub.recognition_items IS
    'Catalogues of mutually recognised exam and lab items per region and version: validity window, mark, cost';
SELECT pg_catalog.pg_extension_config_dump('healthhub.recognition_items', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.recognition_items
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('recognition_item', 'item_key', 'result recognition policy');
GRANT SELECT ON healthhub.recognition_items TO PUBLIC;

-- A lab's external quality assessment (室间质评) passed for an item, over a
-- period: only its results of that period are recognised.
CREATE TABLE healthhub.lab_certifications (
    certification_key bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    institution_key   bigint NOT NULL REFERENCES healthhub.institutions,
    item_code         text NOT NULL CHECK (item_code ~ '^[A-Za-z0-9._-]{1,40}$'),
    period            tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    passed            boolean NOT NULL,
    evidence          text NOT NULL CHECK (btrim(evidence) <> '')
);
CREATE INDEX lab_certifications_lookup ON healthhub.lab_certifications (institution_key, item_code);
COMMENT ON TABLE healthhub.lab_certifications IS
    'External quality assessment results of labs per item and period: only passed periods are recognised';
SELECT pg_catalog.pg_extension_config_dump('healthhub.lab_certifications', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.lab_certifications
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('lab_certification', 'certification_key', 'result recognition policy');
GRANT SELECT ON healthhub.lab_certifications TO PUBLIC;

-- Why a re-test is ordered despite a recognisable result: the national
-- measures' reasons and the patient's own request.
CREATE TABLE healthhub.retest_reasons (
    reason      text PRIMARY KEY CHECK (reason ~ '^[a-z][a-z0-9_]{0,39}$'),
    description text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.retest_reasons IS 'Reasons for a re-test despite a recognisable result';
SELECT pg_catalog.pg_extension_config_dump('healthhub.retest_reasons', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.retest_reasons VALUES
    ('condition_changed', 'the condition changed, or the result does not fit the clinical picture (病情变化或结果与临床不符)', 'shipped'),
    ('fast_changing', 'the item changes fast over time (检查检验项目变化快)', 'shipped'),
    ('major_significance', 'a test of major significance before surgery, transfusion or similar (重大意义的检查检验)', 'shipped'),
    ('emergency', 'an emergency (急诊、急救)', 'shipped'),
    ('forensic', 'forensic or disability appraisal (司法、伤残鉴定)', 'shipped'),
    ('other_recorded', 'another case the physician records (医师记录的其他情形)', 'shipped'),
    ('patient_request', 'the patient asks for it (患者要求)', 'shipped');
GRANT SELECT ON healthhub.retest_reasons TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.retest_reasons
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('reason');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.retest_reasons
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('retest_reason', 'reason', 'result recognition policy');

-- Results of exam and lab items, per person of the person index.
CREATE TABLE healthhub.exam_results (
    person_key      bigint NOT NULL,
    result_key      bigint NOT NULL DEFAULT healthhub.mint_key(),
    record_id       bigint NOT NULL,    -- the institution's record of the person (as emr_documents)
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    item_code       text NOT NULL CHECK (item_code ~ '^[A-Za-z0-9._-]{1,40}$'),
    produced_at     timestamptz NOT NULL,
    value           text NOT NULL CHECK (length(value) <= 200),
    unit            text CHECK (length(unit) <= 40),
    reference_range text CHECK (length(reference_range) <= 100),
    report_ref      healthhub.emr_ref,      -- the report document, when indexed
    local_id        text NOT NULL CHECK (local_id ~ '^[A-Za-z0-9._/+-]{1,64}$'),
    registered_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (person_key, result_key),
    UNIQUE (institution_key, local_id)
);
CREATE INDEX exam_results_by_item ON healthhub.exam_results (record_id, item_code, produced_at);
COMMENT ON TABLE healthhub.exam_results IS 'Exam and lab results per person: item, institution, time, value, unit, reference range';
SELECT pg_catalog.pg_extension_config_dump('healthhub.exam_results', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.exam_results
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('exam_result', 'result_key', 'shared records');
ALTER TABLE healthhub.exam_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY exam_results_own ON healthhub.exam_results FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Decisions: a prior result accepted, or a re-test ordered with a reason.
CREATE TABLE healthhub.recognition_decisions (
    person_key      bigint NOT NULL,
    decision_key    bigint NOT NULL DEFAULT healthhub.mint_key(),
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,  -- the deciding institution
    practitioner_key bigint REFERENCES healthhub.practitioners,
    encounter_key   bigint,             -- the deciding institution's encounter of the person, when named
    item_code       text NOT NULL,
    result_key      bigint,             -- the prior result accepted, or set aside
    decision        text NOT NULL CHECK (decision IN ('accepted', 'retest')),
    reason          text REFERENCES healthhub.retest_reasons,
    note            text CHECK (length(note) <= 500),
    decided_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (person_key, decision_key),
    CONSTRAINT recognition_decisions_reason CHECK ((decision = 'retest') = (reason IS NOT NULL)),
    CONSTRAINT recognition_decisions_accepted_result CHECK (decision <> 'accepted' OR result_key IS NOT NULL)
);
COMMENT ON TABLE healthhub.recognition_decisions IS
    'Prior results accepted instead of a re-test, and re-tests ordered with their reason';
SELECT pg_catalog.pg_extension_config_dump('healthhub.recognition_decisions', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.recognition_decisions
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('recognition_decision', 'decision_key', 'shared records');
ALTER TABLE healthhub.recognition_decisions ENABLE ROW LEVEL SECURITY;
CREATE POLICY recognition_decisions_own ON healthhub.recognition_decisions FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- The city (prefecture-level division) a region lies in; a province-level
-- region is its own.
CREATE FUNCTION healthhub.region_city(region healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT
    RETURN CASE healthhub.region_code_level(region)
               WHEN 'county' THEN healthhub.region_code_parent(region)
               ELSE region END;

-- A result of the acting institution's own, for a person its own record
-- (source, local_id) is linked to.
CREATE FUNCTION healthhub.register_result(source text, local_id text, result_id text, item_code text,
                                          produced_at timestamptz, value text, unit text DEFAULT NULL,
                                          reference_range text DEFAULT NULL, report_ref healthhub.emr_ref DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.acting_role_institution();
    person bigint;
    record bigint;
    result bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['institution_app', 'clinician'], 'register results');
    PERFORM healthhub.require_arguments('healthhub.register_result',
        ARRAY['source', 'local_id', 'result_id', 'item_code', 'produced_at', 'value'],
        ARRAY[source IS NULL, local_id IS NULL, result_id IS NULL, item_code IS NULL, produced_at IS NULL, value IS NULL]);
    SELECT healthhub.current_person(s.person_key), s.record_id INTO person, record FROM healthhub.source_records s
     WHERE s.source = register_result.source AND s.local_id = register_result.local_id
       AND s.institution_key = institution;
    IF person IS NULL THEN
        RAISE EXCEPTION 'no record % of source % linked to a person at this institution', local_id, source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A result is registered against the institution''s own record of the person, linked by link_record.';
    END IF;
    INSERT INTO healthhub.exam_results (person_key, record_id, institution_key, item_code, produced_at, value, unit,
                                        reference_range, report_ref, local_id)
    VALUES (person, record, institution, item_code, produced_at, value, unit, reference_range, report_ref, result_id)
    RETURNING result_key INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION healthhub.register_result(text, text, text, text, timestamptz, text, text, text, healthhub.emr_ref) IS
    'Register an exam or lab result of the institution, for the person its own record is linked to';

CREATE TABLE healthhub.stage_results (
    line_no         bigint GENERATED BY DEFAULT AS IDENTITY,
    result_id       text,   -- the institution's id of the result
    patient_id      text,   -- its record of the patient (link_record's local_id)
    item_code       text,
    produced_at     text,
    value           text,
    unit            text,
    reference_range text,
    report_ref      text    -- the report document's emr_ref, when indexed
);
COMMENT ON TABLE healthhub.stage_results IS 'Staging for healthhub.load_results(): COPY an institution''s results here';
ALTER TABLE healthhub.stage_results REPLICA IDENTITY FULL;
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.stage_results', 'staging', 'results.load.delta of the load that reads it');

-- Load the results staged from one institution's file (as
-- load_encounters): every bad row reported, the same file twice changes
-- nothing, a corrected result replaces the earlier one.
CREATE FUNCTION healthhub.load_results(source text, file_digest text)
    RETURNS TABLE (load_id bigint, staged integer, loaded integer, rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    st constant regclass := 'healthhub.stage_results';
    b record := healthhub.begin_records_load('results', source, file_digest, st);
    lid bigint := b.load_id;
    src text := btrim(source);
BEGIN
    IF b.already_loaded THEN
        RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, true FROM healthhub.records_load_outcome(lid, 'results') o;
        RETURN;
    END IF;
    PERFORM healthhub.load_require(lid, 'results', st, ARRAY['result_id', 'patient_id', 'item_code', 'value']);
    PERFORM healthhub.load_check_duplicates(lid, 'results', st, 'result_id');
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'result_id', '^[A-Za-z0-9._/+-]{1,64}$',
                                         'is not 1 to 64 letters, digits or . _ / + -', false);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'item_code', '^[A-Za-z0-9._-]{1,40}$',
                                         'is not 1 to 40 letters, digits or . _ -', false);
    PERFORM healthhub.load_check_patient(lid, 'results', st, src);
    PERFORM healthhub.load_check_type(lid, 'results', st, 'produced_at', 'timestamptz', true);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'value', '^.{1,200}$', 'is longer than 200 characters', false);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'unit', '^.{1,40}$', 'is longer than 40 characters', false);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'reference_range', '^.{1,100}$',
                                         'is longer than 100 characters', false);
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'results', s.line_no, 'report_ref', s.report_ref, healthhub.emr_ref_problem(s.report_ref)
      FROM healthhub.stage_results s
     WHERE nullif(btrim(s.report_ref), '') IS NOT NULL AND healthhub.emr_ref_problem(s.report_ref) IS NOT NULL;

    INSERT INTO healthhub.exam_results AS x (person_key, record_id, institution_key, item_code, produced_at, value, unit,
                                             reference_range, report_ref, local_id)
    SELECT healthhub.current_person(r.person_key), r.record_id, b.institution, btrim(s.item_code),
           btrim(s.produced_at)::timestamptz, btrim(s.value), nullif(btrim(s.unit), ''),
           nullif(btrim(s.reference_range), ''), nullif(btrim(s.report_ref), '')::healthhub.emr_ref, btrim(s.result_id)
      FROM healthhub.stage_results s
      JOIN healthhub.source_records r ON r.source = src AND r.local_id = btrim(s.patient_id) AND r.person_key IS NOT NULL
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'results' AND e.line_no = s.line_no)
    ON CONFLICT (institution_key, local_id) DO UPDATE
       SET person_key = EXCLUDED.person_key, record_id = EXCLUDED.record_id, item_code = EXCLUDED.item_code,
           produced_at = EXCLUDED.produced_at, value = EXCLUDED.value, unit = EXCLUDED.unit,
           reference_range = EXCLUDED.reference_range, report_ref = EXCLUDED.report_ref
     WHERE (x.person_key, x.item_code, x.produced_at, x.value, x.unit, x.reference_range, x.report_ref::text)
           IS DISTINCT FROM (EXCLUDED.person_key, EXCLUDED.item_code, EXCLUDED.produced_at, EXCLUDED.value,
                             EXCLUDED.unit, EXCLUDED.reference_range, EXCLUDED.report_ref::text);
    RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, false FROM healthhub.end_records_load(lid, 'results', st) o;
END
$$;
COMMENT ON FUNCTION healthhub.load_results(text, text) IS
    'Validate and load the exam and lab results staged from one institution''s file; keyed on (source, file digest)';
REVOKE ALL ON FUNCTION healthhub.load_results(text, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges) VALUES
    ('hub_admin', 'table', 'healthhub.stage_results', 'SELECT, INSERT, UPDATE, DELETE'),
    ('hub_admin', 'function', 'healthhub.load_results(text, text)', 'EXECUTE');

-- The prior results of an item the acting institution should accept
-- instead of re-testing, at a time: of a catalogue in force then whose
-- region holds both institutions; within the item's window; from a lab
-- that passed quality assessment for the item when it produced the result;
-- at a level the rule allows (same level; a lower institution accepts an
-- upper one's; an upper one a lower one's only within a city).  Another
-- institution's results need a consent in force for treatment, as
-- documents do; the read is recorded.  Newest first, with the mark.
CREATE FUNCTION healthhub.recognizable_results(person bigint, item text, "at" timestamptz DEFAULT pg_catalog.now(),
                                               practitioner bigint DEFAULT NULL)
    RETURNS TABLE (result_key bigint, item_code text, institution_key bigint, produced_at timestamptz, value text,
                   unit text, reference_range text, report_ref healthhub.emr_ref, mark text, valid_until timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.require_reader(practitioner);
    subject bigint;
    here healthhub.institutions;
    oldest timestamptz;
    producer bigint;
    entry record;
    certified tstzmultirange;
    -- what each producing institution's results are recognised under
    producers bigint[] := '{}';
    marks text[] := '{}';
    validities interval[] := '{}';
    certifications tstzmultirange[] := '{}';
BEGIN
    PERFORM healthhub.require_arguments('healthhub.recognizable_results', ARRAY['person', 'item', 'at'],
                                        ARRAY[person IS NULL, item IS NULL, "at" IS NULL]);
    subject := healthhub.record_person(person);
    SELECT * INTO here FROM healthhub.institutions i WHERE i.institution_key = reader;
    PERFORM healthhub.audit_append('read.exam_results', 'person', subject::text, subject, 'result recognition', 'ok',
                                   practitioner);
    -- No result older than the longest window of the item can be in force.
    SELECT "at" - max(c.validity) INTO oldest
      FROM healthhub.recognition_items c WHERE c.item_code = item AND c.valid @> "at";
    IF oldest IS NULL THEN
        RETURN;
    END IF;
    -- The rules that depend on the producing institution only (scope,
    -- level, certification) are decided once per institution, not per
    -- result.
    FOR producer IN
        SELECT DISTINCT r.institution_key FROM healthhub.exam_results r
         WHERE r.record_id IN (SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = subject)
           AND r.item_code = item AND r.produced_at BETWEEN oldest AND "at"
    LOOP
        -- (a producer under a city's catalogue and its province's: the city's entry)
        SELECT c.mark, c.validity INTO entry
          FROM healthhub.institutions p
          JOIN healthhub.recognition_items c ON c.item_code = item AND c.valid @> "at"
          JOIN healthhub.regions cr ON cr.code OPERATOR(healthhub.=) c.region
         WHERE p.institution_key = producer
           AND healthhub.region_code_contains(c.region, p.region) AND healthhub.region_code_contains(c.region, here.region)
           AND (coalesce(here.level, '1') <= coalesce(p.level, '1')
                OR healthhub.region_city(here.region) OPERATOR(healthhub.=) healthhub.region_city(p.region))
         ORDER BY cr.level = 'province'
         LIMIT 1;
        CONTINUE WHEN NOT FOUND;
        SELECT range_agg(q.period) INTO certified FROM healthhub.lab_certifications q
         WHERE q.institution_key = producer AND q.item_code = item AND q.passed;
        CONTINUE WHEN certified IS NULL;
        producers := producers || producer;
        marks := marks || entry.mark;
        validities := validities || entry.validity;
        certifications := certifications || certified;
    END LOOP;
    RETURN QUERY
    -- (the consent read in the same statement, under the same snapshot, as
    -- the results: documents_for)
    WITH k AS MATERIALIZED (SELECT healthhub.consent_allows(subject, 'treatment', reader, practitioner) AS consented)
    SELECT r.result_key, r.item_code, r.institution_key, r.produced_at, r.value, r.unit, r.reference_range,
           r.report_ref, e.mark, r.produced_at + e.validity
      FROM healthhub.exam_results r
      JOIN unnest(producers, marks, validities, certifications) e(institution_key, mark, validity, certified)
        ON e.institution_key = r.institution_key
     CROSS JOIN k
     WHERE (r.institution_key = reader OR k.consented)
       AND r.record_id IN (SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = subject)
       AND r.item_code = item AND r.produced_at BETWEEN oldest AND "at"
       AND r.produced_at + e.validity >= "at"
       AND e.certified @> r.produced_at   -- (the certification in force when it was produced)
     ORDER BY r.produced_at DESC, r.result_key;
END
$$;
COMMENT ON FUNCTION healthhub.recognizable_results(bigint, text, timestamptz, bigint) IS
    'Prior results of an item the acting institution should accept instead of re-testing (scope, level, window, certification); recorded';

-- Record the decision: a result accepted (it must be recognisable now), or
-- a re-test ordered with a reason.
CREATE FUNCTION healthhub.record_recognition(person bigint, item text, decision text, result bigint DEFAULT NULL,
                                             reason text DEFAULT NULL, note text DEFAULT NULL,
                                             practitioner bigint DEFAULT NULL, encounter text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.require_reader(practitioner);
    subject bigint;
    visit bigint;
    made bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.record_recognition', ARRAY['person', 'item', 'decision'],
                                        ARRAY[person IS NULL, item IS NULL, decision IS NULL]);
    subject := healthhub.record_person(person);
    IF encounter IS NOT NULL THEN
        SELECT e.encounter_key INTO visit FROM healthhub.encounters e
          JOIN healthhub.source_records s ON s.record_id = e.record_id
         WHERE e.institution_key = reader AND e.local_id = encounter AND s.person_key = subject;
        IF visit IS NULL THEN
            RAISE EXCEPTION 'no encounter % of this person at this institution', quote_literal(encounter)
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'A decision is recorded against the deciding institution''s encounter (its encounter id).';
        END IF;
    END IF;
    IF decision NOT IN ('accepted', 'retest') THEN
        RAISE EXCEPTION 'invalid decision %', decision
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A decision is accepted or retest.';
    ELSIF decision = 'retest' AND (reason IS NULL OR NOT EXISTS (SELECT FROM healthhub.retest_reasons t WHERE t.reason = record_recognition.reason)) THEN
        RAISE EXCEPTION 'a re-test needs one of the reasons'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The reasons are listed in healthhub.retest_reasons.';
    ELSIF decision = 'accepted' AND (reason IS NOT NULL OR result IS NULL OR NOT EXISTS (
              SELECT FROM healthhub.recognizable_results(subject, item, now(), practitioner) x WHERE x.result_key = result)) THEN
        RAISE EXCEPTION 'only a recognisable result is accepted'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Name a result recognizable_results() returns now, and no re-test reason.';
    END IF;
    INSERT INTO healthhub.recognition_decisions (person_key, institution_key, practitioner_key, encounter_key, item_code,
                                                 result_key, decision, reason, note)
    VALUES (subject, reader, practitioner, visit, item, result, decision, reason, note)
    RETURNING decision_key INTO made;
    RETURN made;
END
$$;
COMMENT ON FUNCTION healthhub.record_recognition(bigint, text, text, bigint, text, text, bigint, text) IS
    'Record a result accepted instead of a re-test, or a re-test ordered with its reason (against an encounter)';

-- Recognition by institution and month: decisions, results accepted,
-- re-tests, the rate, and the re-tests (and their cost) avoided.  No person
-- data: for statisticians.
CREATE VIEW healthhub.recognition_report AS
SELECT d.institution_key, i.name AS institution, date_trunc('month', d.decided_at) AS month,
       count(*) AS decisions,
       count(*) FILTER (WHERE d.decision = 'accepted') AS accepted,
       count(*) FILTER (WHERE d.decision = 'retest') AS retests,
       round(count(*) FILTER (WHERE d.decision = 'accepted')::numeric / count(*), 4) AS recognition_rate,
       coalesce(sum(c.cost) FILTER (WHERE d.decision = 'accepted'), 0) AS avoided_cost
  FROM healthhub.recognition_decisions d
  JOIN healthhub.institutions i ON i.institution_key = d.institution_key
  LEFT JOIN LATERAL (SELECT min(ri.cost) AS cost FROM healthhub.recognition_items ri
                      WHERE ri.item_code = d.item_code AND ri.valid @> d.decided_at) c ON true
 GROUP BY d.institution_key, i.name, date_trunc('month', d.decided_at);
COMMENT ON VIEW healthhub.recognition_report IS
    'Result recognition by institution and month: accepted, re-tests, rate, avoided re-tests and cost';

REVOKE ALL ON FUNCTION healthhub.region_city(healthhub.region_code) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.register_result(text, text, text, text, timestamptz, text, text, text, healthhub.emr_ref) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.recognizable_results(bigint, text, timestamptz, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.record_recognition(bigint, text, text, bigint, text, text, bigint, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app', 'clinician']) pr,
       unnest(ARRAY['healthhub.register_result(text, text, text, text, timestamptz, text, text, text, healthhub.emr_ref)',
                    'healthhub.recognizable_results(bigint, text, timestamptz, bigint)',
                    'healthhub.record_recognition(bigint, text, text, bigint, text, text, bigint, text)']) f
UNION ALL
SELECT pr, 'table', 'healthhub.recognition_report', 'SELECT'
  FROM unnest(ARRAY['hub_admin', 'statistician', 'auditor']) pr
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE, DELETE'
  FROM unnest(ARRAY['healthhub.recognition_items', 'healthhub.lab_certifications', 'healthhub.retest_reasons']) t;
