-- The prescription rules that need data, as policy rows the region can
-- change (../shared/reference/prescriptions.md).  Shipped rows come with the
-- extension; a changed one becomes 'changed' and survives dump and restore
-- (src/platform/shipped_rows.sql).  Rows marked (unverified) come from
-- domain knowledge, not from a retrieved official text.

-- Per kind of prescription: the longest supply and validity.
CREATE TABLE healthhub.rx_kind_rules (
    kind            text PRIMARY KEY CHECK (kind IN ('ordinary', 'emergency', 'chronic', 'long_term')),
    max_days_supply integer NOT NULL CHECK (max_days_supply BETWEEN 1 AND 366),
    max_valid_days  integer NOT NULL CHECK (max_valid_days BETWEEN 1 AND 366),
    basis           text NOT NULL,
    origin          text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.rx_kind_rules IS 'Per kind of prescription: the longest days'' supply and validity';
SELECT pg_catalog.pg_extension_config_dump('healthhub.rx_kind_rules', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.rx_kind_rules VALUES
    ('ordinary', 7, 3, '《处方管理办法》: at most 7 days; valid on the day of issue, extended by the prescriber to at most 3 days', 'shipped'),
    ('emergency', 3, 3, '《处方管理办法》: emergency prescriptions at most 3 days', 'shipped'),
    ('chronic', 30, 3, 'chronic diseases may be extended with the reason noted; 30 days (unverified)', 'shipped'),
    ('long_term', 84, 84, '长期处方管理规范(试行): generally at most 4 weeks, up to 12 weeks', 'shipped');

-- Controlled classes: their own limits, and the prescribing privilege of
-- the registry (practice_privileges) they need, if any.
CREATE TABLE healthhub.rx_controlled_rules (
    controlled_class text PRIMARY KEY CHECK (controlled_class IN ('narcotic', 'psychotropic_1', 'psychotropic_2',
                                                                  'toxic', 'radioactive', 'precursor')),
    max_days_supply  integer NOT NULL CHECK (max_days_supply BETWEEN 1 AND 366),
    max_days_controlled_release integer CHECK (max_days_controlled_release BETWEEN 1 AND 366),
    privilege        text CHECK (privilege IN ('narcotic', 'psychotropic_1')),
    basis            text NOT NULL,
    origin           text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.rx_controlled_rules IS
    'Per controlled class: the longest supply (and for controlled-release forms), and the privilege it needs';
SELECT pg_catalog.pg_extension_config_dump('healthhub.rx_controlled_rules', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.rx_controlled_rules VALUES
    ('narcotic', 3, 7, 'narcotic', '《处方管理办法》: outpatients, 3 days; controlled-release 7 days (an injection one dose: not modelled)', 'shipped'),
    ('psychotropic_1', 3, 7, 'psychotropic_1', '《处方管理办法》: as narcotics', 'shipped'),
    ('psychotropic_2', 7, NULL, NULL, '《处方管理办法》: at most 7 days', 'shipped'),
    ('toxic', 2, NULL, NULL, 'medical toxic drugs: two days'' maximum dose (unverified)', 'shipped'),
    ('radioactive', 1, NULL, NULL, 'radioactive drugs: one day (unverified)', 'shipped'),
    ('precursor', 7, NULL, NULL, 'precursor chemicals: 7 days (unverified)', 'shipped');

-- The other rules: online prescribing and long-term prescriptions.
CREATE TABLE healthhub.rx_rules (
    rule        text PRIMARY KEY CHECK (rule IN ('online_first_visit_allowed', 'online_controlled_allowed',
                                                 'online_guardian_under_years', 'online_diagnosis_within_days',
                                                 'long_term_assessment_above_days', 'long_term_in_person_first',
                                                 'long_term_antimicrobial_exceptions')),
    value       text NOT NULL,
    basis       text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local')),
    CONSTRAINT rx_rules_value CHECK (CASE WHEN rule IN ('online_first_visit_allowed', 'online_controlled_allowed',
                                                        'long_term_in_person_first')
                                          THEN value IN ('true', 'false')
                                          WHEN rule = 'long_term_antimicrobial_exceptions'
                                          THEN value ~ '^([A-Z][0-9]{2}( [A-Z][0-9]{2})*)?$'
                                          ELSE value ~ '^[0-9]{1,4}$' END)
);
COMMENT ON TABLE healthhub.rx_rules IS 'Rules of online and long-term prescribing, as values the region can change';
SELECT pg_catalog.pg_extension_config_dump('healthhub.rx_rules', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.rx_rules VALUES
    ('online_first_visit_allowed', 'false', '互联网诊疗管理办法(试行): no internet diagnosis or prescription for a first visit', 'shipped'),
    ('online_controlled_allowed', 'false', '互联网诊疗监管细则(试行): narcotic, psychotropic and other specially controlled drugs are never prescribed online', 'shipped'),
    ('online_guardian_under_years', '6', '互联网诊疗监管细则(试行): a child 0-6 is seen online with a guardian', 'shipped'),
    ('online_diagnosis_within_days', '365', 'how long ago the in-person diagnosis of the condition may be (unverified)', 'shipped'),
    ('long_term_assessment_above_days', '28', '长期处方管理规范(试行): above 4 weeks the physician assesses and records it', 'shipped'),
    ('long_term_in_person_first', 'true', 'the first long-term prescription follows an in-person visit (unverified)', 'shipped'),
    ('long_term_antimicrobial_exceptions', 'A15 A16 A17 A18 A19',
     '长期处方管理规范(试行): no antimicrobials, tuberculosis excepted (chronic infections: add their categories)', 'shipped');

GRANT SELECT ON healthhub.rx_kind_rules, healthhub.rx_controlled_rules, healthhub.rx_rules TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.rx_kind_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('kind');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.rx_controlled_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('controlled_class');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.rx_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('rule');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.rx_kind_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('rx_kind_rule', 'kind', 'prescription policy');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.rx_controlled_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('rx_controlled_rule', 'controlled_class', 'prescription policy');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.rx_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('rx_rule', 'rule', 'prescription policy');

-- A rule's value.
CREATE FUNCTION healthhub.rx_rule(name text) RETURNS text
    LANGUAGE sql STABLE STRICT
    RETURN (SELECT r.value FROM healthhub.rx_rules r WHERE r.rule = name);
REVOKE ALL ON FUNCTION healthhub.rx_rule(text) FROM PUBLIC;
