-- A new hub linking its first records one by one: link_record's plans,
-- kept for the session, are made while the index is nearly empty and would
-- scan whole tables ever after (until an ANALYZE happened to invalidate
-- them); replan_when_grown() invalidates them each time the index has
-- doubled, and the candidate search and the golden records read their rows
-- by index whatever the plan thinks of the tables.  Measured by the rows
-- sequential scans of the records table read: about 180,000 here (while it
-- is a few blocks), 11.5 million without the replanning, 2.1 million
-- without the index-bound reads.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
-- statistics that say "empty", as right after the first ANALYZE of a new hub
ANALYZE source_records, persons, person_identifiers, record_block_keys, link_decisions;
SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
SELECT seq_tup_read AS seq_read_before FROM pg_stat_user_tables
 WHERE relid = 'healthhub.source_records'::regclass \gset

-- 2,000 records of 1,000 people, each linked and committed on its own
DO $$
BEGIN
    FOR i IN 1..2000 LOOP
        -- (person i % 1000: a name, a sex, a birth date and a phone of its own)
        PERFORM healthhub.link_record('PF', 'pf-' || i,
                    (ARRAY['王', '李', '张', '刘', '陈'])[1 + i % 5]
                    || (ARRAY['伟', '芳', '娜', '敏', '静', '强', '磊'])[1 + (i % 1000 / 5) % 7]
                    || (ARRAY['华', '明', '红', '平', '辉', '玲', '峰', '霞'])[1 + (i % 1000 / 35) % 8],
                    (1 + i % 2)::text, date '1950-01-01' + (i % 1000) * 17, NULL,
                    '139' || lpad(((i % 1000) * 7919 % 100000000)::text, 8, '0'), '440305');
        COMMIT;
    END LOOP;
END
$$;
SELECT count(*) AS records, count(DISTINCT person_key) AS persons FROM source_records WHERE source = 'PF';
SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
SELECT seq_tup_read - :seq_read_before < 1000000 AS records_not_read_whole_on_every_link
  FROM pg_stat_user_tables WHERE relid = 'healthhub.source_records'::regclass;
-- a call that finds the index no larger says so
SELECT replan_when_grown() AS replanned;

-- leave the index as it was for later tests
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source = 'PF');
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source = 'PF');
DELETE FROM link_decisions WHERE source = 'PF';
DELETE FROM source_records WHERE source = 'PF';
