-- Linking one record at a time: the deterministic tier (resident ID, 15-digit
-- numbers upgraded, other identifiers, a parent's number on a child's record),
-- the probabilistic tier with its explanation, idempotent upserts and
-- corrections, resolve(), the constraints, who may link, and bad input.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
SELECT coalesce(max(entry_id), 0) AS trail_start FROM audit_entries \gset

INSERT INTO institutions (name, kind, level, grade, region, source, source_ref, valid) VALUES
    ('链接测试医院甲', 'hospital', '3', '甲', '440303', 'link-test', 'LA', '[2000-01-01,)'),
    ('链接测试医院乙', 'hospital', '2', '甲', '440304', 'link-test', 'LB', '[2000-01-01,)');
-- keys of persons are minted per hub: show them relative to the first
CREATE TEMP TABLE shown (person_key bigint PRIMARY KEY, n integer NOT NULL);
CREATE FUNCTION pg_temp.p(k bigint) RETURNS text LANGUAGE sql AS $$
    WITH ins AS (INSERT INTO shown SELECT k, (SELECT count(*) + 1 FROM shown)
                  WHERE k IS NOT NULL AND NOT EXISTS (SELECT FROM shown WHERE person_key = k) RETURNING n)
    SELECT coalesce('P' || (SELECT n FROM ins), 'P' || (SELECT n FROM shown WHERE person_key = k), 'none')
$$;

-- a first record makes a person; the same record again changes nothing
SELECT pg_temp.p(person_key), decision, explanation FROM link_record('LA', 'a-001', '张三', '1', '1980-05-06',
       '110105198005060010', '13800138000', '110105');
SELECT pg_temp.p(person_key), decision, explanation FROM link_record('LA', 'a-001', '张三', '1', '1980-05-06',
       '110105198005060010', '13800138000', '110105');
-- the 15-digit form of the same number: the deterministic tier
SELECT pg_temp.p(person_key), decision, explanation->>'tier' AS tier
  FROM link_record('LB', 'b-100', '张叁', NULL, NULL, '110105800506001', NULL, NULL);
-- no number, traditional characters, spaces, a formatted phone: the probabilistic tier
SELECT pg_temp.p(person_key), decision, jsonb_pretty(explanation #- '{compared_with,person_key}')
  FROM link_record('LB', 'b-101', '張 三', 'M', '1980-05-06', NULL, '138-0013-8000', '110105');
-- a child's record under the parent's number: the number contradicts the
-- record's birth date and sex, so it is conflicting evidence, never a match
SELECT pg_temp.p(person_key), decision, explanation->>'tier' AS tier
  FROM link_record('LA', 'a-002', '张小宝', '2', '2015-03-03', '110105198005060010', NULL, '110105');
SELECT local_id, resident_id, id_conflict, birth_date, sex FROM source_records WHERE local_id = 'a-002';
-- another identifier finds its person
SELECT pg_temp.p(person_key), decision FROM link_record('LA', 'a-003', '李四', '2', '1990-01-01', NULL, NULL, '440303',
       ARRAY['passport:CHN:E12345678']);
SELECT pg_temp.p(person_key), decision, explanation->>'tier' AS tier
  FROM link_record('LB', 'b-102', 'Li Si', NULL, NULL, NULL, NULL, NULL, ARRAY['passport:CHN:E12345678']);
-- someone else: a new person
SELECT pg_temp.p(person_key), decision FROM link_record('LB', 'b-103', '王五', '1', '1975-12-01', NULL, NULL, '440304');
-- a correction links the record again: a record alone keeps its person; a
-- number that is someone else's does not move a record whose name differs
-- entirely (a number alone does not outweigh another name)
SELECT pg_temp.p(person_key), decision FROM link_record('LB', 'b-103', '王五', '1', '1975-12-02', NULL, NULL, '440304');
SELECT pg_temp.p(person_key), decision, explanation->>'tier' AS tier
  FROM link_record('LB', 'b-102', 'Li Si', NULL, NULL, '110105198005060010', NULL, NULL);

-- the golden records and identifiers
SELECT pg_temp.p(person_key), state, resident_id, name, sex, birth_date, phone, region FROM persons
 WHERE person_key IN (SELECT person_key FROM shown) ORDER BY pg_temp.p(person_key);
SELECT pg_temp.p(person_key), resident_id, identifier FROM person_identifiers
 WHERE person_key IN (SELECT person_key FROM shown) ORDER BY 1, 2, 3;
SELECT source, local_id, pg_temp.p(person_key), state, origin, model_version FROM links
 WHERE source IN ('LA', 'LB') ORDER BY 1, 2, 4;

-- resolve: typed, as text, 15 digits, another identifier, unknown, garbage
SELECT pg_temp.p(resolve('110105198005060010'::resident_id)) AS typed,
       pg_temp.p(resolve('110105198005060010')) AS text_18,
       pg_temp.p(resolve('110105800506001')) AS text_15,
       pg_temp.p(resolve('passport:CHN:E12345678')) AS passport,
       resolve('11010519491231002X') AS unknown;
SELECT resolve('not an identifier');

-- the history, in the audit trail too (no personal data there)
SELECT e.action, e.source, e.local_id, pg_temp.p(e.person_key), e.old_state, e.new_state, e.origin, e.reason,
       a.action AS audit_action, a.object_kind, a.object_id, a.person_key = e.person_key AS audit_person
  FROM link_events e JOIN audit_entries a USING (entry_id)
 WHERE e.source IN ('LA', 'LB') ORDER BY e.event_id;

-- the constraints: one active match per record (it is the record's person_key:
-- link_decisions takes no second one), one person per number
\set VERBOSITY terse
INSERT INTO link_decisions (source, local_id, person_key, state, origin)
SELECT 'LA', 'a-001', person_key, 'match', 'manual' FROM persons WHERE person_key <> (SELECT person_key FROM source_records WHERE local_id = 'a-001') LIMIT 1;
\set VERBOSITY default
INSERT INTO person_identifiers (resident_id, person_key)
SELECT '110105198005060010', person_key FROM source_records WHERE local_id = 'b-103';
INSERT INTO person_identifiers (resident_id, identifier, person_key, linked_at, identifier_key)
VALUES ('11010519491231002X', 'passport:CHN:E1234567', 0, '2020-01-01', 1);

-- one record's history, oldest first, found by its record_id; the read is audited
SELECT h.action, h.local_id, pg_temp.p(h.person_key), h.old_state, h.new_state, h.reason,
       h.record_id = (SELECT record_id FROM source_records WHERE source = 'LB' AND local_id = 'b-102') AS same_record
  FROM record_history('LB', 'b-102') h;
SELECT count(*) AS history_reads FROM audit_entries
 WHERE action = 'read' AND object_kind = 'person_link_history' AND object_id = 'LB/b-102';
SELECT count(*) AS no_history FROM record_history('LB', 'no-such-record');

-- bad input: the right SQLSTATE and a detail, nothing written
SELECT count(*) AS records_before FROM source_records \gset
SELECT * FROM link_record('', 'x', '张三');
SELECT * FROM link_record('LA', NULL, '张三');
SELECT * FROM link_record('LA', 'x', '张3');
SELECT * FROM link_record('LA', 'x', '张三', 'x');
SELECT * FROM link_record('LA', 'x', '张三', '1', '2999-01-01');
SELECT * FROM link_record('LA', 'x', '张三', '1', '1980-01-01', NULL, '12');
SELECT * FROM link_record('LA', 'x', '张三', '1', '1980-01-01', NULL, NULL, '999999');
SELECT * FROM link_record('LA', 'x', '张三', '1', '1980-01-01', NULL, NULL, NULL, ARRAY['passport:XX:1']);
SELECT count(*) = :records_before AS nothing_written FROM source_records;

-- who may link: an institution's application its own records only; others not at all
CREATE ROLE link_app_a;
CREATE ROLE link_stat;
SELECT grant_profile('link_app_a', 'institution_app', institution_key) FROM institutions WHERE source_ref = 'LA';
SELECT grant_profile('link_stat', 'statistician');
SET ROLE link_app_a;
SELECT decision FROM link_record('LA', 'a-004', '赵六', '1', '1985-07-07');
SELECT * FROM link_record('LB', 'b-200', '赵六', '1', '1985-07-07');
SELECT local_id FROM source_records_of('LA');
SELECT count(*) FROM source_records;
SELECT count(*) FROM persons;
RESET ROLE;
SET ROLE link_stat;
SELECT * FROM link_record('LA', 'a-005', '赵六', '1', '1985-07-07');
SELECT resolve('110105198005060010');
SELECT * FROM record_history('LB', 'b-102');
RESET ROLE;
SELECT audit_action.role_name FROM audit_entries audit_action
 WHERE entry_id > :trail_start AND object_id = 'LA/a-004';
SELECT revoke_profile('link_app_a', 'institution_app');
SELECT revoke_profile('link_stat', 'statistician');
DROP ROLE link_app_a, link_stat;

-- leave the registry as it was for later tests
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source IN ('LA', 'LB'));
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source IN ('LA', 'LB'));
DELETE FROM link_decisions WHERE source IN ('LA', 'LB');
DELETE FROM source_records WHERE source IN ('LA', 'LB');
DELETE FROM institutions WHERE source = 'link-test';
