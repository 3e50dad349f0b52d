-- Attacks on shared records, each refused (issue 13): an institution
-- without the person's consent reads nothing of another's documents or
-- results through any path (tables, views, functions, error messages,
-- EXPLAIN, a setting, another institution's identity); a statistician sees
-- only report views; breaking the glass without a reason is refused; an
-- institution cannot forge a consent or change another's documents.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
\set d '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
INSERT INTO institutions (uscc, name, kind, level, region, source, source_ref, valid) VALUES
    ('121200004013590816', '攻击测试甲医院', 'hospital', '3', '440303', 'attack-records', 'XA', '[2000-01-01,)'),
    ('91110000600037341L', '攻击测试乙医院', 'hospital', '3', '440304', 'attack-records', 'XB', '[2000-01-01,)');
SELECT institution_key AS inst_a FROM institutions WHERE source_ref = 'XA' \gset
SELECT institution_key AS inst_b FROM institutions WHERE source_ref = 'XB' \gset
CREATE ROLE sr_app_a; SELECT grant_profile('sr_app_a', 'institution_app', :inst_a) IS NOT NULL AS granted;
CREATE ROLE sr_app_b; SELECT grant_profile('sr_app_b', 'institution_app', :inst_b) IS NOT NULL AS granted;
CREATE ROLE sr_stat;  SELECT grant_profile('sr_stat', 'statistician') IS NOT NULL AS granted;
INSERT INTO recognition_items (region, item_code, item_kind, name, validity, mark, catalogue_version, valid)
VALUES ('440000', 'ATK', 'lab', 'attack item', '30 days', '粤HR', 'atk', '[2000-01-01,)');
INSERT INTO lab_certifications (institution_key, item_code, period, passed, evidence)
VALUES (:inst_a, 'ATK', '[2000-01-01,)', true, 'atk');

-- A's patient: a restricted document and a result; no consent to B
SET SESSION AUTHORIZATION sr_app_a;
SELECT person_key AS victim FROM link_record('XA', 'xa-1', '白居易', '1', '1966-06-06', '440303196606060011', NULL, '440303') \gset
SELECT register_document('XA', 'xa-1', ('exam_report:121200004013590816:X-1:20261101T020000Z:sha256:' || :'d')::emr_ref,
                         'https://a.example/X-1', 10, 'application/pdf', 'restricted') IS NOT NULL AS registered;
SELECT register_result('XA', 'xa-1', 'XR-1', 'ATK', now() - interval '1 day', 'secret value') IS NOT NULL AS registered;
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION sr_app_b;
-- attack: read the tables, and the history, directly
SELECT count(*) FROM emr_documents;
SELECT count(*) FROM exam_results;
SELECT count(*) FROM record_consents;
SELECT count(*) FROM encounters;
SELECT count(*) FROM break_glass_queue;
-- attack: EXPLAIN the tables (no plan, no row counts)
EXPLAIN SELECT * FROM emr_documents WHERE person_key = :victim;
-- attack: the read paths without consent: nothing, and recorded
SELECT count(*) AS documents FROM documents_for(:victim, 'treatment');
SELECT count(*) AS results FROM recognizable_results(:victim, 'ATK');
-- attack: claim to act for A with a setting
SET healthhub_acting.institution = :'inst_a';
SELECT count(*) AS documents_after_set FROM documents_for(:victim, 'treatment');
RESET healthhub_acting.institution;
-- attack: name a practitioner not registered here
SELECT count(*) FROM documents_for(:victim, 'treatment', practitioner => -1);
-- attack: break the glass without a reason
SELECT count(*) FROM documents_for(:victim, 'emergency', break_glass_reason => '');
-- attack: learn of A's documents from error messages (withdraw, supersede A's)
SELECT withdraw_document(('exam_report:121200004013590816:X-1:20261101T020000Z:sha256:' || :'d')::emr_ref, 'mine now');
SELECT withdraw_document(('exam_report:121200004013590816:X-404:20261101T020000Z:sha256:' || :'d')::emr_ref, 'probe');
SELECT supersede_document(('exam_report:121200004013590816:X-1:20261101T020000Z:sha256:' || :'d')::emr_ref,
                          ('exam_report:121200004013590816:X-1:20261101T020000Z:sha256:' || repeat('0', 64))::emr_ref,
                          'x', 1, 'text/plain');
-- attack: register a document in A's name, or for A's patient
SELECT register_document('XA', 'xa-1', ('lab_report:121200004013590816:X-2:20261101T020000Z:sha256:' || :'d')::emr_ref,
                         'x', 1, 'text/plain');
SELECT register_document('XA', 'xa-1', ('lab_report:91110000600037341L:X-2:20261101T020000Z:sha256:' || :'d')::emr_ref,
                         'x', 1, 'text/plain');
-- attack: forge the person's consent, or read what they consented to
SELECT give_consent(:victim, 'treatment', 'forged', institution => :inst_b);
SELECT consents_of(:victim);
SELECT accesses_of(:victim);
-- attack: accept A's result for the record, as if recognised
SELECT record_recognition(:victim, 'ATK', 'accepted', (SELECT 1::bigint));
RESET SESSION AUTHORIZATION;

-- a statistician sees the report view, nothing of a person
SET SESSION AUTHORIZATION sr_stat;
SELECT count(*) >= 0 AS report_readable FROM recognition_report;
SELECT count(*) FROM documents_for(:victim, 'treatment');
SELECT count(*) FROM exam_results;
SELECT count(*) FROM emr_documents;
RESET SESSION AUTHORIZATION;

-- every read attempt of B is in the trail, with the person's key
SELECT action, outcome, count(*) FROM audit_entries
 WHERE person_key = :victim AND institution_key = :inst_b GROUP BY action, outcome ORDER BY action, outcome;

-- leave the hub as it was for later tests
SELECT revoke_profile(r::regrole, p) IS NOT NULL AS revoked
  FROM (VALUES ('sr_app_a', 'institution_app'), ('sr_app_b', 'institution_app'), ('sr_stat', 'statistician')) x(r, p);
DROP ROLE sr_app_a, sr_app_b, sr_stat;
DELETE FROM exam_results;
DELETE FROM emr_documents;
DELETE FROM lab_certifications;
DELETE FROM recognition_items;
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source = 'XA');
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source = 'XA');
DELETE FROM link_decisions WHERE source = 'XA';
DELETE FROM source_records WHERE source = 'XA';
DELETE FROM institutions WHERE source = 'attack-records';
