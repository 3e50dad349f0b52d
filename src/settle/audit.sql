-- The smart audit before payment (interface 3101; docs/settlement.md,
-- "Smart audit"): rules as rows (id, kind, severity, scene, enabled,
-- parameters), each kind a query over the claim's lines, the catalogue,
-- the person index and the person's other claims at any institution.
-- Results are kept per claim line with the reason.  At settle(), a line a
-- 'deny' rule fires on is the hospital's to bear (hosp_part_amt); a 'warn'
-- is recorded and paid.

CREATE TABLE healthhub.settle_audit_rules (
    rule_id  text PRIMARY KEY CHECK (rule_id ~ '^[A-Za-z0-9_.-]{1,40}$'),
    kind     text NOT NULL CHECK (kind IN ('quantity_over_days', 'sex_restricted', 'age_restricted', 'duplicate_billing',
                                           'restricted_without_approval', 'diagnosis_mismatch',
                                           'prescription_not_reviewed')),
    severity text NOT NULL CHECK (severity IN ('deny', 'warn')),
    scene    text NOT NULL DEFAULT 'both' CHECK (scene IN ('pre_settle', 'settle', 'both')),
    enabled  boolean NOT NULL DEFAULT true,
    params   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
    basis    text NOT NULL CHECK (btrim(basis) <> '' AND length(basis) <= 500),
    CONSTRAINT settle_audit_rules_window CHECK (kind <> 'duplicate_billing'
                                                OR coalesce(params->>'window_days', '') ~ '^[0-9]{1,3}$')
);
COMMENT ON TABLE healthhub.settle_audit_rules IS
    'The smart audit''s rules: id, kind, severity (deny: the hospital bears the line; warn), scene, enabled, parameters';
SELECT pg_catalog.pg_extension_config_dump('healthhub.settle_audit_rules', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.settle_audit_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('settle_audit_rule', 'rule_id', 'settlement policy');
GRANT SELECT ON healthhub.settle_audit_rules TO PUBLIC;

CREATE TABLE healthhub.claim_audit_results (
    person_key bigint NOT NULL,
    claim_key  bigint NOT NULL,
    line_no    integer NOT NULL,
    rule_id    text NOT NULL,
    scene      text NOT NULL CHECK (scene IN ('pre_settle', 'settle')),
    severity   text NOT NULL,
    reason     text NOT NULL,
    "at"       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    PRIMARY KEY (person_key, claim_key, scene, line_no, rule_id),
    FOREIGN KEY (person_key, claim_key) REFERENCES healthhub.claims ON DELETE CASCADE
);
COMMENT ON TABLE healthhub.claim_audit_results IS 'What the smart audit found on each claim line: rule, scene, severity, reason';
SELECT pg_catalog.pg_extension_config_dump('healthhub.claim_audit_results', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.claim_audit_results', 'functions', 'settlement.insert of the settlement (or read.settlement of the pre-settlement) they come with');

-- The rules of a scene that fire on a claim: (line, rule, severity, reason).
-- (PL/pgSQL: its plan is kept for the session; it runs at every settlement)
CREATE FUNCTION healthhub.settle_audit(c healthhub.claims, catalogue bigint, scene text)
    RETURNS TABLE (line_no integer, rule_id text, severity text, reason text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM healthhub.settle_audit_rules r
                    WHERE r.enabled AND (r.scene = 'both' OR r.scene = settle_audit.scene)) THEN
        RETURN;     -- (no rule: not a line read)
    END IF;
    RETURN QUERY
    WITH lines AS (
        SELECT l.line_no, l.med_list_codg, l.cnt, l.hosp_appr_flag, i.name, i.lmt_used_flag, i.lmt_sex, i.lmt_age,
               i.max_cnt_a_day, i.for_diagnoses
          FROM healthhub.claim_lines l
          JOIN healthhub.settle_items i ON i.catalogue_key = settle_audit.catalogue AND i.med_list_codg = l.med_list_codg
         WHERE l.person_key = c.person_key AND l.claim_key = c.claim_key),
    person AS MATERIALIZED (     -- (once, not per line and rule)
        SELECT p.sex, date_part('year', age((c.begntime AT TIME ZONE 'Asia/Shanghai')::date, p.birth_date))::integer AS age
          FROM healthhub.persons p WHERE p.person_key = c.person_key),
    rules AS (
        SELECT r.* FROM healthhub.settle_audit_rules r
         WHERE r.enabled AND (r.scene = 'both' OR r.scene = settle_audit.scene)),
    -- the items of the person's settled claims of the widest window, read once
    prior AS MATERIALIZED (
        SELECT ol.med_list_codg, o.institution_key, o.begntime
          FROM healthhub.claims o
          JOIN healthhub.claim_lines ol ON ol.person_key = o.person_key AND ol.claim_key = o.claim_key
         WHERE o.person_key = c.person_key AND o.claim_key <> c.claim_key AND o.begntime <= c.begntime
           AND o.begntime > c.begntime - make_interval(days => (
                   SELECT coalesce(max((r.params->>'window_days')::integer), 0) FROM rules r
                    WHERE r.kind = 'duplicate_billing'))
           AND EXISTS (SELECT FROM healthhub.settlements s
                        WHERE s.person_key = o.person_key AND s.claim_key = o.claim_key AND s.reversed_at IS NULL))
    SELECT l.line_no, r.rule_id, r.severity,
           CASE r.kind
               WHEN 'quantity_over_days' THEN format('%s: %s billed, at most %s a day for %s days', l.name, l.cnt,
                                                     l.max_cnt_a_day, c.days)
               WHEN 'sex_restricted' THEN format('%s is for %s patients', l.name,
                                                 CASE l.lmt_sex WHEN 1 THEN 'male' ELSE 'female' END)
               WHEN 'age_restricted' THEN format('%s is for ages %s', l.name, l.lmt_age)
               WHEN 'restricted_without_approval' THEN format('%s is restricted in use and not approved (hosp_appr_flag %s)',
                                                              l.name, l.hosp_appr_flag)
               WHEN 'diagnosis_mismatch' THEN format('%s is for %s; the claim''s diagnoses are %s', l.name,
                                                     array_to_string(l.for_diagnoses, ', '),
                                                     coalesce(nullif(array_to_string(c.diagnoses, ', '), ''), 'none'))
               WHEN 'duplicate_billing' THEN format('%s was billed for the patient within %s days before, at %s', l.name,
                                                    r.params->>'window_days',
                                                    CASE WHEN d.institution_key = c.institution_key THEN 'this institution'
                                                         ELSE 'another institution' END)
               WHEN 'prescription_not_reviewed' THEN 'the prescription was dispensed without a pharmacist''s review'
           END
      FROM lines l
     CROSS JOIN rules r
      LEFT JOIN person p ON true
      LEFT JOIN LATERAL (
          SELECT o.institution_key FROM prior o
           WHERE r.kind = 'duplicate_billing' AND o.med_list_codg = l.med_list_codg
             AND o.begntime > c.begntime - make_interval(days => (r.params->>'window_days')::integer)
           LIMIT 1) d ON true
     WHERE CASE r.kind
               WHEN 'quantity_over_days' THEN l.max_cnt_a_day IS NOT NULL AND l.cnt > l.max_cnt_a_day * c.days
               WHEN 'sex_restricted' THEN l.lmt_sex IS NOT NULL AND p.sex IS DISTINCT FROM l.lmt_sex
               WHEN 'age_restricted' THEN l.lmt_age IS NOT NULL AND NOT coalesce(l.lmt_age @> p.age, false)
               WHEN 'restricted_without_approval' THEN l.lmt_used_flag AND l.hosp_appr_flag <> '1'
               WHEN 'diagnosis_mismatch' THEN l.for_diagnoses IS NOT NULL
                                              AND NOT EXISTS (SELECT FROM unnest(c.diagnoses) x
                                                               WHERE left(x, 3) = ANY (l.for_diagnoses))
               WHEN 'duplicate_billing' THEN d.institution_key IS NOT NULL
               WHEN 'prescription_not_reviewed' THEN c.dispense_key IS NOT NULL AND EXISTS (
                   SELECT FROM healthhub.dispenses ds JOIN healthhub.prescriptions rx
                        ON rx.person_key = ds.person_key AND rx.prescription_key = ds.prescription_key
                    WHERE ds.dispense_key = c.dispense_key AND rx.reviewed_at IS NULL)
           END
     ORDER BY l.line_no, r.rule_id;
END
$$;

REVOKE ALL ON FUNCTION healthhub.settle_audit(healthhub.claims, bigint, text) FROM PUBLIC;

-- The rules are policy rows: hub_admin changes them (every change in the
-- trail, settle_audit_rule.*).
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
VALUES ('hub_admin', 'table', 'healthhub.settle_audit_rules', 'SELECT, INSERT, UPDATE, DELETE');
