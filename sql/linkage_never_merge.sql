-- The person index never merges two people: two different valid resident ID
-- numbers are two people on every path (link_record, link_batch, a batch
-- after another), a person never holds two numbers, and a candidate whose
-- numbers differ is a non-match, or a review item when name, birth date and
-- sex all agree.  Also: a mistyped sex does not discard an exactly matching
-- number, and an identifier does not link a record with someone else's name.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

INSERT INTO institutions (name, kind, level, grade, region, source, source_ref, valid) VALUES
    ('双胞胎测试医院甲', 'hospital', '3', '甲', '440305', 'twin-test', 'NA', '[2000-01-01,)'),
    ('双胞胎测试医院乙', 'hospital', '2', '甲', '440305', 'twin-test', 'NB', '[2000-01-01,)');
CREATE TEMP TABLE shown (person_key bigint PRIMARY KEY, n integer NOT NULL);
CREATE FUNCTION pg_temp.p(k bigint) RETURNS text LANGUAGE sql AS $$
    WITH ins AS (INSERT INTO shown SELECT k, (SELECT count(*) + 1 FROM shown)
                  WHERE k IS NOT NULL AND NOT EXISTS (SELECT FROM shown WHERE person_key = k) RETURNING n)
    SELECT coalesce('P' || (SELECT n FROM ins), 'P' || (SELECT n FROM shown WHERE person_key = k), 'none')
$$;

-- Twins: same surname, birth date, sex, phone and address; given names one
-- character apart; numbers two characters apart (sequence and check), both valid.
SELECT pg_temp.p(person_key), decision FROM link_record('NA', 'a-1', '刘一鸣', '1', '1992-03-14',
       '440305199203140013', '13912345678', '440305', ARRAY['medical_insurance:440305:A0000001']);
SELECT pg_temp.p(person_key), decision, explanation->>'tier' AS tier FROM link_record('NA', 'a-2', '刘一鸣', '1',
       '1992-03-14', NULL, '13912345678', '440305');
-- the twin with the number: a new person (the pair is held under the
-- possible-match weight: numbers differ and the names are not the same)
SELECT pg_temp.p(person_key), decision, explanation->>'tier' AS tier,
       (SELECT jsonb_agg(w) FROM jsonb_array_elements(explanation->'weights') w
         WHERE w->>'comparison' IN ('identifier', 'numbers_differ', 'names_differ')) AS held
  FROM link_record('NB', 'b-1', '刘一航', '1', '1992-03-14', '44030519920314003X', '13912345678', '440305');
-- the same twin without a number still finds the twin's own person
SELECT pg_temp.p(person_key), decision FROM link_record('NB', 'b-2', '刘一航', '1', '1992-03-14', NULL,
       '13912345678', '440305');
-- without a number, scored against A's record a-2 (which has none): A's
-- number stands for it, so B never joins A
SELECT level, round(weight::numeric, 3) AS weight
  FROM match_weights((SELECT s FROM source_records s WHERE local_id = 'b-1'),
                     (SELECT s FROM source_records s WHERE local_id = 'a-2'), linkage_model(),
                     (SELECT resident_id FROM persons WHERE person_key = (SELECT person_key FROM source_records
                                                                           WHERE local_id = 'a-2'))) w
 WHERE comparison IN ('identifier', 'numbers_differ');
-- everything agrees but the number, which is valid and different: a review
-- item, never an automatic match
SELECT pg_temp.p(person_key), decision FROM link_record('NB', 'b-3', '刘一鸣', '1', '1992-03-14',
       '440305199203140056', '13912345678', '440305');
SELECT comparison, level, round(weight::numeric, 3) AS weight
  FROM match_weights((SELECT s FROM source_records s WHERE local_id = 'b-3'),
                     (SELECT s FROM source_records s WHERE local_id = 'a-1'), linkage_model()) w
 WHERE comparison IN ('name', 'identifier', 'numbers_differ');
-- twins whose given names sound alike (晓明, 晓鸣): the names agree, so the
-- pair is a review item too, never a match
SELECT pg_temp.p(person_key), decision FROM link_record('NA', 'h-1', '李晓明', '1', '1995-05-05',
       '110105199505050016', '13500000005', '110105');
SELECT pg_temp.p(person_key), decision FROM link_record('NB', 'h-2', '李晓鸣', '1', '1995-05-05',
       '110105199505050032', '13500000005', '110105');
SELECT r.local_id, pg_temp.p(r.person_key) AS person, pg_temp.p(r.candidate) AS candidate
  FROM review_queue r WHERE r.source IN ('NA', 'NB') ORDER BY 1;
-- a mistyped sex with an exactly matching number and birth date: the number
-- still links (a slip of the record's, not someone else's number)
SELECT pg_temp.p(person_key), decision, explanation->>'tier' AS tier FROM link_record('NA', 'a-3', '刘一鸣', '2',
       '1992-03-14', '440305199203140013');
SELECT local_id, id_conflict FROM source_records WHERE local_id = 'a-3';
-- without a birth date the sex is all there is: a parent's number stays conflicting evidence
SELECT resident_id_contradicts('440305199203140013', NULL, 2::smallint) AS no_birth_other_sex,
       resident_id_contradicts('440305199203140013', '1992-03-14', 2::smallint) AS birth_agrees_sex_slipped,
       resident_id_contradicts('440305199203140013', '2015-01-01', 1::smallint) AS child_birth_date;
-- an insurance number sent with someone else's name does not link by itself
SELECT pg_temp.p(person_key), decision, explanation->>'tier' AS tier FROM link_record('NB', 'b-4', '王大锤', '1',
       NULL, NULL, NULL, NULL, ARRAY['medical_insurance:440305:A0000001']);

-- (the batches' progress notices carry timings)
SET client_min_messages = warning;
-- Bulk: twins C and D arrive in two batches; D's batch must not join C,
-- whose person holds another number (and C's record without a number
-- carries its person's number into the clustering).
INSERT INTO stage_person_records (institution, local_id, name, sex, birth_date, identifier, phone, address_region)
VALUES ('NA', 'c-1', '周小红', '2', '2010-06-01', '440305201006010025', '13700000001', '440305'),
       ('NA', 'c-2', '周小红', '2', '2010-06-01', NULL, '13700000001', '440305');
SELECT phase, rows FROM link_batch('twins-1', 'sha256:' || repeat('a1', 32)) WHERE phase = 'writing';
SELECT count(*) AS still_staged FROM stage_person_records;
INSERT INTO stage_person_records (institution, local_id, name, sex, birth_date, identifier, phone, address_region)
VALUES ('NB', 'd-1', '周小虹', '2', '2010-06-01', '440305201006010041', '13700000001', '440305'),
       ('NB', 'd-2', '周小虹', '2', '2010-06-01', NULL, '13700000001', '440305');
SELECT phase, rows FROM link_batch('twins-2', 'sha256:' || repeat('a2', 32)) WHERE phase = 'writing';
SELECT local_id, pg_temp.p(person_key) FROM source_records WHERE local_id IN ('c-1', 'c-2', 'd-1', 'd-2') ORDER BY 1;
-- one batch with both twins gives the same
INSERT INTO stage_person_records (institution, local_id, name, sex, birth_date, identifier, phone, address_region)
VALUES ('NA', 'e-1', '孙晓东', '1', '1988-08-08', '440305198808080012', '13600000009', '440305'),
       ('NB', 'e-2', '孙晓冬', '1', '1988-08-08', '440305198808080039', '13600000009', '440305'),
       ('NB', 'e-3', '孙晓东', '1', '1988-08-08', NULL, '13600000009', '440305');
SELECT phase, rows FROM link_batch('twins-3', 'sha256:' || repeat('a3', 32)) WHERE phase = 'writing';
SELECT local_id, pg_temp.p(person_key) FROM source_records WHERE local_id LIKE 'e-_' ORDER BY 1;

-- A person in the index with a card but no number; one batch brings the
-- person's record with a number and the twin's with another, both carrying
-- the family's card (and a third of the twin's that only scores against the
-- person's record): the person takes one number, the twin stays apart.
SELECT pg_temp.p(person_key), decision FROM link_record('NA', 'k-0', '吴思远', '1', '2001-09-09', NULL, '13400000004',
       '440305', ARRAY['medical_insurance:440305:F0000009']);
INSERT INTO stage_person_records (institution, local_id, name, sex, birth_date, identifier, phone, address_region,
                                  other_identifiers)
VALUES ('NB', 'k-1', '吴思远', '1', '2001-09-09', '440305200109090019', '13400000004', '440305',
        'medical_insurance:440305:F0000009'),
       ('NB', 'k-2', '吴思源', '1', '2001-09-09', '440305200109090035', '13400000004', '440305',
        'medical_insurance:440305:F0000009'),
       ('NB', 'k-3', '吴思源', '1', '2001-09-09', '440305200109090035', '13400000004', '440305', NULL);
SELECT phase, rows FROM link_batch('twins-k', 'sha256:' || repeat('a7', 32)) WHERE phase = 'writing';
SELECT local_id, pg_temp.p(person_key), resident_id FROM source_records WHERE source IN ('NA', 'NB') AND local_id LIKE 'k-_' ORDER BY 1;

-- A record tied to a person by hand, re-sent with another valid number: the
-- link stays (a person decided it) but the person does not take the second
-- number.
SELECT pg_temp.p(person_key), decision FROM link_record('NA', 'm-1', '郑伯克', '1', '1975-07-07', '110105197507070011');
SELECT pg_temp.p(person_key), decision FROM link_record('NB', 'm-2', '郑伯克', '1', '1975-07-07');
SELECT pg_temp.p(link_manually('NB', 'm-2', (SELECT person_key FROM source_records WHERE source = 'NA' AND local_id = 'm-1'),
                               'the same man, says his file'));
SELECT pg_temp.p(person_key), decision FROM link_record('NB', 'm-2', '郑伯克', '1', '1975-07-07', '110105197507070038');
SELECT pg_temp.p(person_key), resident_id FROM person_identifiers
 WHERE person_key = (SELECT person_key FROM source_records WHERE source = 'NA' AND local_id = 'm-1') AND resident_id IS NOT NULL;
-- A record corrected from one valid number to another, the only record that
-- gave its person a number: it stays with its person, which now holds the
-- corrected number.
SELECT pg_temp.p(person_key), decision FROM link_record('NA', 'q-1', '冯子材', '1', '1968-04-04', '110105196804040017',
       '13300000003');
SELECT pg_temp.p(person_key), decision FROM link_record('NB', 'q-2', '冯子材', '1', '1968-04-04', NULL, '13300000003');
SELECT pg_temp.p(person_key), decision FROM link_record('NA', 'q-1', '冯子材', '1', '1968-04-04', '110105196804040033',
       '13300000003');
SELECT local_id, pg_temp.p(person_key) FROM source_records WHERE source IN ('NA', 'NB') AND local_id IN ('q-1', 'q-2') ORDER BY 1;
SELECT pg_temp.p(person_key), resident_id FROM person_identifiers
 WHERE person_key = (SELECT person_key FROM source_records WHERE source = 'NA' AND local_id = 'q-1') AND resident_id IS NOT NULL;
-- A card without a name does not find the card's holder by itself (an
-- application could otherwise tie its records to anyone whose card it has)
SELECT pg_temp.p(person_key), decision FROM link_record('NB', 'n-1', NULL, NULL, NULL, NULL, NULL, NULL,
       ARRAY['medical_insurance:440305:A0000001']);

-- The invariant, on every path: no person holds two numbers, and no
-- person's automatically linked records carry two different numbers of
-- their own.
SELECT count(*) AS persons_with_two_numbers FROM (
    SELECT person_key FROM person_identifiers WHERE resident_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) x;
-- (the view a reviewer reads after an upgrade from 0.3; a link made by
-- hand is a person's decision and not listed: m-2 above)
SELECT count(*) AS persons_with_records_of_two_numbers FROM persons_with_two_numbers;

-- Bad input to the linking functions: a clear error, nothing written.
SELECT * FROM link_record('NA', repeat('x', 1001), '刘一鸣');
SELECT * FROM link_record('NA', 'a-9', '刘一鸣', other_identifiers => ARRAY[NULL]);
SELECT * FROM link_record('NA', 'a-9', '刘一鸣', other_identifiers => ARRAY['passport:CHN:E1', NULL]);
SELECT * FROM link_batch('twins-4', 'deadbeef');
SELECT * FROM link_batch('twins 4', 'sha256:' || repeat('a4', 32));
SELECT * FROM link_batch(NULL, 'sha256:' || repeat('a4', 32));
-- one bad row is reported, the others are linked
INSERT INTO stage_person_records (institution, local_id, name, sex, birth_date)
VALUES ('NA', 'f-1', '钱七', '1', '1970-01-01'),
       ('NA', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 200) g), '钱八', '1', '1971-01-01');
SELECT phase, rows FROM link_batch('twins-5', 'sha256:' || repeat('a5', 32)) WHERE phase IN ('validate and key', 'writing');
SELECT l.line_no IS NOT NULL AS has_line, l.column_name, length(l.value) AS value_length, l.reason
  FROM load_errors l JOIN loads d USING (load_id) WHERE d.source = 'twins-5';
-- a source two registry feeds both use names no institution for sure
INSERT INTO institutions (name, kind, region, source, source_ref, valid) VALUES
    ('重名医院一', 'hospital', '440305', 'feed-one', 'DUP', '[2000-01-01,)'),
    ('重名医院二', 'hospital', '440305', 'feed-two', 'DUP', '[2000-01-01,)');
\set VERBOSITY terse
SELECT * FROM link_record('DUP', 'x-1', '赵九');
\set VERBOSITY default
INSERT INTO stage_person_records (institution, local_id, name) VALUES ('DUP', 'x-1', '赵九'), ('NA', 'g-1', '吴十');
SELECT phase, rows FROM link_batch('twins-6', 'sha256:' || repeat('a6', 32)) WHERE phase = 'writing';
SELECT l.column_name, l.value, l.reason FROM load_errors l JOIN loads d USING (load_id) WHERE d.source = 'twins-6';

RESET client_min_messages;
-- leave the index as it was for later tests
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source IN ('NA', 'NB'));
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source IN ('NA', 'NB'));
DELETE FROM link_decisions WHERE source IN ('NA', 'NB');
DELETE FROM source_records WHERE source IN ('NA', 'NB');
DELETE FROM institutions WHERE source IN ('twin-test', 'feed-one', 'feed-two');
