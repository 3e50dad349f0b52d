-- Managing links: the review queue, manual links that automation never
-- overrides, merge and unmerge ("never merge these again"), withdrawal,
-- death, survivorship rules, match_explain, and bad input.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
CREATE TEMP TABLE shown (person_key bigint PRIMARY KEY, n integer NOT NULL);
CREATE FUNCTION pg_temp.p(k bigint) RETURNS text LANGUAGE sql AS $$
    WITH ins AS (INSERT INTO shown SELECT k, (SELECT count(*) + 1 FROM shown)
                  WHERE k IS NOT NULL AND NOT EXISTS (SELECT FROM shown WHERE person_key = k) RETURNING n)
    SELECT coalesce('P' || (SELECT n FROM ins), 'P' || (SELECT n FROM shown WHERE person_key = k), 'none')
$$;
-- SQLSTATE and message of a statement that should fail, person keys masked
CREATE FUNCTION pg_temp.refused(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '[0-9]{12,}', '<person>', 'g');
END
$$;
CREATE FUNCTION pg_temp.person_of(src text, id text) RETURNS bigint LANGUAGE sql AS $$
    SELECT person_key FROM healthhub.source_records WHERE source = src AND local_id = id
$$;

-- a homophone born a day later, same county: a possible match; the record
-- gets a person of its own and waits for review
SELECT pg_temp.p(person_key), decision FROM link_record('M1', 'm-1', '陈伟', '1', '1988-03-04', NULL, NULL, '440305');
SELECT pg_temp.p(person_key), decision, explanation->>'probability' AS probability
  FROM link_record('M2', 'm-2', '陈玮', '1', '1988-03-05', NULL, NULL, '440305');
SELECT source, local_id, pg_temp.p(person_key), pg_temp.p(candidate), round(probability::numeric, 4) AS probability
  FROM review_queue WHERE source LIKE 'M%';
-- match_explain: the weights of the stored decision, summing to its score
SELECT comparison, level, round(weight::numeric, 3) AS weight, model_version
  FROM match_explain('M2', 'm-2', 'M1', 'm-1');
SELECT round(sum(weight)::numeric, 6) = round((SELECT score FROM links WHERE local_id = 'm-2' AND state = 'possible_match')::numeric, 6)
       AS weights_sum_to_the_stored_score
  FROM match_explain('M2', 'm-2', 'M1', 'm-1');

-- reviewed: not the same person; automation never links them again
SELECT pg_temp.p(review_possible_match('M2', 'm-2', pg_temp.person_of('M1', 'm-1'), false, 'different people, checked by phone'));
SELECT count(*) AS still_queued FROM review_queue WHERE source LIKE 'M%';
SELECT pg_temp.p(person_key), decision
  FROM link_record('M2', 'm-2', '陈伟', '1', '1988-03-04', NULL, NULL, '440305');
SELECT local_id, pg_temp.p(person_key), state, origin FROM links WHERE source LIKE 'M%' ORDER BY 1, 2;

-- another possible match, reviewed as the same person: merged
SELECT pg_temp.p(person_key), decision FROM link_record('M1', 'm-3', '林芳', '2', '1970-01-02', '440305197001020022', '13900000001', '440305');
SELECT pg_temp.p(person_key), decision FROM link_record('M2', 'm-4', '林 芳', '2', '1970-01-03', NULL, NULL, '440305');
SELECT pg_temp.p(review_possible_match('M2', 'm-4', pg_temp.person_of('M1', 'm-3'), true, 'same person: same mother''s name'));
SELECT local_id, pg_temp.p(person_key) FROM source_records WHERE local_id IN ('m-3', 'm-4') ORDER BY 1;

-- merge and unmerge
SELECT pg_temp.p(person_key), decision FROM link_record('M3', 'x-1', '周杰', '1', '1979-01-18', '110105197901180016', NULL, '110105');
SELECT pg_temp.p(person_key), decision FROM link_record('M3', 'x-2', '周 杰', '1', '1979-01-18', NULL, '13911112222', '110106',
       ARRAY['medical_insurance:110105:A123456']);
SELECT pg_temp.person_of('M3', 'x-1') AS zhou1, pg_temp.person_of('M3', 'x-2') AS zhou2 \gset
-- (both records scored high: one person already; make a second by hand)
SELECT pg_temp.p(link_manually('M3', 'x-2', NULL, 'registered twice at the front desk')) AS manual_person;
SELECT pg_temp.person_of('M3', 'x-2') AS zhou2 \gset
SELECT pg_temp.p(merge_persons(:zhou2, :zhou1, 'one patient, two registrations'));
SELECT pg_temp.p(person_key), state, pg_temp.p(redirected_to) FROM persons WHERE person_key IN (:zhou1, :zhou2) ORDER BY 1;
SELECT pg_temp.p(current_person(:zhou2)) AS current, pg_temp.p(resolve('medical_insurance:110105:A123456')) AS by_card;
SELECT local_id, pg_temp.p(person_key), state, origin FROM links WHERE source = 'M3' ORDER BY 1, 2, 3;
-- merging again, or into a merged person, is refused
SELECT pg_temp.refused(format('SELECT healthhub.merge_persons(%s, %s, %L)', :zhou2, :zhou1, 'again'));
SELECT pg_temp.refused(format('SELECT healthhub.link_manually(%L, %L, %s, %L)', 'M3', 'x-1', :zhou2, 'into a merged person'));
-- unmerge: the records go back, and the two are never merged again
SELECT pg_temp.p(unmerge_person(:zhou2, 'they are father and son'));
SELECT local_id, pg_temp.p(person_key) FROM source_records WHERE source = 'M3' ORDER BY 1;
SELECT pg_temp.p(resolve('medical_insurance:110105:A123456')) AS by_card, pg_temp.p(resolve('110105197901180016')) AS by_id;
SELECT pg_temp.p(person_a) IS NOT NULL AND pg_temp.p(person_b) IS NOT NULL AS separated, reason
  FROM person_separations WHERE least(:zhou1, :zhou2) = person_a;
SELECT pg_temp.refused(format('SELECT healthhub.merge_persons(%s, %s, %L)', :zhou2, :zhou1, 'try again'));
SELECT pg_temp.refused(format('SELECT healthhub.unmerge_person(%s, %L)', :zhou2, 'twice'));

-- a manual link is never overridden by automation, even after a correction
SELECT pg_temp.p(person_key), decision FROM link_record('M3', 'x-2', '周杰', '1', '1979-01-18', '110105197901180016', NULL, '110106',
       ARRAY['medical_insurance:110105:A123456']);

-- withdrawal: the record no longer speaks for its person
SELECT withdraw_record('M3', 'x-2', 'sent in error');
SELECT local_id, person_key IS NULL AS unlinked, withdrawn_at IS NOT NULL AS withdrawn FROM source_records WHERE local_id = 'x-2';
SELECT resolve('medical_insurance:110105:A123456') AS card_gone;
SELECT pg_temp.p(person_key), decision FROM link_record('M3', 'x-2', '周杰', '1', '1979-01-18', NULL, NULL, '110106');

-- death
SELECT record_death(:zhou1, '2026-01-01', 'death certificate 2026-0001');
SELECT deceased, deceased_on FROM persons WHERE person_key = :zhou1;
SELECT record_death(:zhou1, '2999-01-01', 'future');

-- survivorship: the most recent phone instead of the most frequent
SELECT pg_temp.p(person_key), decision FROM link_record('M4', 's-1', '孙丽', '2', '1991-02-03', NULL, '13700000001', '440305');
SELECT pg_temp.p(person_key), decision FROM link_record('M4', 's-2', '孙丽', '2', '1991-02-03', NULL, '13700000001', '440305');
SELECT pg_temp.p(person_key), decision FROM link_record('M4', 's-3', '孙丽', '2', '1991-02-03', NULL, '13700000002', '440305');
SELECT phone AS most_frequent FROM persons WHERE person_key = pg_temp.person_of('M4', 's-1');
INSERT INTO survivorship_rules VALUES ('phone', 'most_recent');
SELECT pg_temp.p(person_key), decision FROM link_record('M4', 's-3', '孙丽', '2', '1991-02-03', NULL, '13700000003', '440305');
SELECT phone AS most_recent FROM persons WHERE person_key = pg_temp.person_of('M4', 's-1');
DELETE FROM survivorship_rules;

-- the history of one person, with the reasons
SELECT action, local_id, old_state, new_state, origin, reason FROM link_events WHERE source = 'M3' OR person_key IN (:zhou1, :zhou2)
 ORDER BY event_id;

-- bad input
SELECT link_manually('M3', 'nope', NULL, 'x');
SELECT link_manually('M3', 'x-1', NULL, '');
SELECT merge_persons(:zhou1, :zhou1, 'self');
SELECT merge_persons(:zhou1, 1, 'nobody');
SELECT pg_temp.refused(format('SELECT healthhub.unmerge_person(%s, %L)', :zhou1, 'not merged'));
SELECT review_possible_match('M2', 'm-2', 1, true, 'nothing queued');
SELECT withdraw_record('M3', 'nope', 'x');
SELECT * FROM match_explain('M3', 'x-1', 'M3', 'nope');
