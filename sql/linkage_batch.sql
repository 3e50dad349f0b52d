-- Bulk linking from the staging table: every bad row reported with its line,
-- column and reason, the good ones linked; the same file again changes
-- nothing; records already in the index are corrected one by one; then a
-- model trained on what was linked.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
-- (the progress NOTICEs carry times; the phases come back as rows too)
SET client_min_messages = warning;
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
-- "BA" is an institution of the registry (its source_ref); the others are codes only
INSERT INTO institutions (name, kind, level, grade, region, source, source_ref, valid)
VALUES ('批量测试医院', 'hospital', '3', '甲', '440303', 'batch-test', 'BA', '[2000-01-01,)');

INSERT INTO stage_person_records (institution, local_id, name, sex, birth_date, identifier, phone, address_region, other_identifiers)
VALUES
    -- one person, three records: a number, its 15-digit form, traditional characters and a phone
    ('BA', 'a-1', '张三', '1', '1980-05-06', '110105198005060010', '13800138000', '110105', ''),
    ('BB', 'b-1', '張 三', 'M', '1980/05/06', '110105800506001', NULL, '110105', NULL),
    ('BC', 'c-1', '张三', '男', '19800506', NULL, '138-0013-8000', '110105', NULL),
    -- a twin: same surname, birth date, phone and address, another given name
    ('BC', 'c-2', '张敏', '男', '19800506', NULL, '138-0013-8000', '110105', NULL),
    -- a child under the parent's number
    ('BA', 'a-2', '张小宝', '2', '2015-03-03', '110105198005060010', NULL, '110105', NULL),
    -- another person, found by the insurance card
    ('BA', 'a-3', '李四', 'F', '1990-01-01', NULL, NULL, '440303', 'medical_insurance:440303:A1234567'),
    ('BB', 'b-3', 'Li Si', '', '', NULL, NULL, NULL, 'medical_insurance:440303:A1234567'),
    -- bad rows: each reported, none linked
    ('BA', '', '王五', '1', '1975-12-01', NULL, NULL, NULL, NULL),
    ('BA', 'a-5', '王5', '1', '1975-12-01', NULL, NULL, NULL, NULL),
    ('BA', 'a-6', '王五', 'x', '1975-02-30', NULL, '123', '999999', 'passport:XX:1;visit_card:nope'),
    ('BA', 'a-7', '王五', '1', '2999-01-01', NULL, NULL, NULL, NULL),
    -- a record sent twice: the later line counts
    ('BB', 'b-9', '赵六', '1', '1985-07-07', NULL, NULL, NULL, NULL),
    ('BB', 'b-9', '赵六', '1', '1985-07-08', NULL, NULL, NULL, NULL);

SELECT phase, rows FROM link_batch('batch-test', 'sha256:' || repeat('ab', 32));
SELECT l.line_no, l.column_name, l.value, l.reason
  FROM load_errors l JOIN loads d USING (load_id) WHERE d.source = 'batch-test' ORDER BY 1, 2;
SELECT outcome - 'phases' - 'audit_entry' AS outcome FROM loads WHERE source = 'batch-test';

-- who is who
SELECT s.source, s.local_id, dense_rank() OVER (ORDER BY s.person_key) AS person, s.id_conflict, s.birth_date,
       s.institution_key IS NOT NULL AS in_registry
  FROM source_records s WHERE s.source LIKE 'B_' ORDER BY 3, 1, 2;
SELECT p.name, p.resident_id, p.sex, p.birth_date, p.phone, p.region
  FROM persons p WHERE p.person_key IN (SELECT person_key FROM source_records WHERE source LIKE 'B_')
 ORDER BY p.name;
SELECT count(*) AS link_events, count(DISTINCT entry_id) AS audit_entries,
       count(*) FILTER (WHERE e.record_id = s.record_id AND e.person_key = s.person_key) AS of_their_records
  FROM link_events e JOIN source_records s USING (source, local_id) WHERE e.source LIKE 'B_' AND e.action = 'link_batch';
-- every record's blocking keys of the model, under its own id, and no other
SELECT count(*) FILTER (WHERE coalesce(k.keys, '{}') IS DISTINCT FROM
                              ARRAY(SELECT h FROM unnest(block_hashes(s, (SELECT blocking_rules FROM linkage_models
                                                                          WHERE model_version = linkage_model()))) h
                                    ORDER BY h)) AS records_with_wrong_keys,
       count(DISTINCT s.record_id) = count(*) AS ids_distinct
  FROM source_records s
  LEFT JOIN LATERAL (SELECT array_agg(bk.block_hash ORDER BY bk.block_hash) AS keys FROM record_block_keys bk
                      WHERE bk.record_id = s.record_id) k ON true
 WHERE s.source LIKE 'B_';

-- the same file again: nothing
SELECT phase, rows FROM link_batch('batch-test', 'sha256:' || repeat('ab', 32));
-- another file with a correction of a record already linked
TRUNCATE stage_person_records;
INSERT INTO stage_person_records (institution, local_id, name, sex, birth_date, identifier, phone, address_region)
VALUES ('BB', 'b-9', '赵六', '1', '1985-07-07', '110105198507070011', NULL, NULL);
SELECT phase, rows FROM link_batch('batch-test', 'sha256:' || repeat('cd', 32));
SELECT local_id, identifier_text FROM source_records WHERE source = 'BB' AND local_id = 'b-9';

-- training needs records; a model once made never changes
SELECT train_linkage(max_pairs => 10);
SELECT train_linkage(blocking_rules => ARRAY['no_such_rule']);
SELECT train_linkage();
UPDATE linkage_weights SET m = 0.5 WHERE model_version = 1;
DELETE FROM linkage_models;

-- bulk linking and training are for hub_admin
CREATE ROLE batch_app;
SELECT grant_profile('batch_app', 'institution_app', institution_key) FROM institutions WHERE source_ref = 'BA';
SET ROLE batch_app;
SELECT * FROM link_batch('x', 'sha256:' || repeat('ef', 32));
SELECT train_linkage();
RESET ROLE;
SELECT revoke_profile('batch_app', 'institution_app');
DROP ROLE batch_app;

-- leave the index as it was for later tests
TRUNCATE stage_person_records;
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source LIKE 'B_');
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source LIKE 'B_');
DELETE FROM link_decisions WHERE source LIKE 'B_';
DELETE FROM source_records WHERE source LIKE 'B_';
DELETE FROM institutions WHERE source = 'batch-test';
