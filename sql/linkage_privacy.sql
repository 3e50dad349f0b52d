-- What each profile may do with the linkage functions granted to it, and
-- that none of them learns anything of another institution's records: an
-- application's explanation names no other institution's record and gives
-- no score against it; match_explain needs both records to be the caller's;
-- "no such record" and "not yours" are one answer; an application ties its
-- records to its own patients or its review candidate only; resolve() is
-- audited; current_person() works for every profile it is granted to.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
SELECT coalesce(max(entry_id), 0) AS trail_start FROM audit_entries \gset

INSERT INTO institutions (name, kind, level, grade, region, source, source_ref, valid) VALUES
    ('隐私测试精神专科医院', 'hospital', '3', '甲', '440303', 'privacy-test', 'PA', '[2000-01-01,)'),
    ('隐私测试社区医院', 'primary_care', NULL, NULL, '440304', 'privacy-test', 'PB', '[2000-01-01,)');
CREATE TEMP TABLE shown (person_key bigint PRIMARY KEY, n integer NOT NULL);
CREATE FUNCTION pg_temp.p(k bigint) RETURNS text LANGUAGE sql AS $$
    WITH ins AS (INSERT INTO shown SELECT k, (SELECT count(*) + 1 FROM shown)
                  WHERE k IS NOT NULL AND NOT EXISTS (SELECT FROM shown WHERE person_key = k) RETURNING n)
    SELECT coalesce('P' || (SELECT n FROM ins), 'P' || (SELECT n FROM shown WHERE person_key = k), 'none')
$$;
GRANT EXECUTE ON FUNCTION pg_temp.p(bigint) TO PUBLIC;
GRANT SELECT, INSERT ON shown TO PUBLIC;

CREATE ROLE priv_app_a;
CREATE ROLE priv_app_b;
CREATE ROLE priv_clin;
CREATE ROLE priv_pharm;
CREATE ROLE priv_insurer;
CREATE ROLE priv_stat;
CREATE ROLE priv_auditor;
SELECT grant_profile('priv_app_a', 'institution_app', institution_key) FROM institutions WHERE source_ref = 'PA';
SELECT grant_profile('priv_app_b', 'institution_app', institution_key) FROM institutions WHERE source_ref = 'PB';
SELECT grant_profile('priv_clin', 'clinician', institution_key) FROM institutions WHERE source_ref = 'PB';
SELECT grant_profile('priv_pharm', 'pharmacist', institution_key) FROM institutions WHERE source_ref = 'PB';
SELECT grant_profile('priv_insurer', 'insurer');
SELECT grant_profile('priv_stat', 'statistician');
SELECT grant_profile('priv_auditor', 'auditor');

-- the psychiatric hospital's patient
SET ROLE priv_app_a;
SELECT pg_temp.p(person_key), decision FROM link_record('PA', 'pa-1', '孟浩然', '1', '1970-02-02', NULL, '13811112222',
       '440303', ARRAY['medical_insurance:440303:B0000001']);
RESET ROLE;

-- the community hospital links the same person: it learns the person and
-- the decision, not which institution's record it was compared with nor how
-- the comparison scored
SET ROLE priv_app_b;
-- (a probe rolled back afterwards is told no more)
BEGIN;
SELECT decision, explanation FROM link_record('PB', 'pb-2', '孟浩然', '1', '1970-02-02', NULL, '13811112222');
ROLLBACK;
SELECT pg_temp.p(person_key), decision, explanation FROM link_record('PB', 'pb-1', '孟浩然', '1', '1970-02-02', NULL,
       '13811112222', '440304');
-- its own records, without the score against the other institution's
-- (read through the audited source_records_of; no direct SELECT)
SELECT local_id, pg_temp.p(person_key), link_score FROM source_records_of('PB');
SELECT link_score FROM source_records;
-- how a decision was made is never told to an application, not even when
-- the best candidate is its own record (the explanation's shape would
-- otherwise say whether it was); its own two records it may compare; with
-- another institution's it may not, whether that record exists or not: one answer
SELECT pg_temp.p(person_key), decision, explanation
  FROM link_record('PB', 'pb-3', '孟浩燃', '1', '1970-02-02');
SELECT comparison, level FROM match_explain('PB', 'pb-1', 'PB', 'pb-3') WHERE comparison IN ('name', 'birth_date');
SELECT * FROM match_explain('PB', 'pb-1', 'PA', 'pa-1');
SELECT * FROM match_explain('PB', 'pb-1', 'PA', 'no-such-record');
SELECT * FROM match_explain('PA', 'pa-1', 'PB', 'pb-1');
SELECT withdraw_record('PA', 'pa-1', 'probe');
SELECT withdraw_record('PA', 'no-such-record', 'probe');
SELECT link_manually('PA', 'pa-1', NULL, 'probe');
SELECT unlink_manually('PA', 'no-such-record', 1, 'probe');
SELECT withdraw_record('PB', 'no-such-record', 'typo');
RESET ROLE;

-- tying records to persons: a new person of its own, or its own patients;
-- another institution's patient only through its review candidate (hub_admin
-- decides the rest)
SELECT pg_temp.p(person_key) AS pa_patient FROM source_records WHERE local_id = 'pa-1';
SET ROLE priv_app_a;
SELECT pg_temp.p(person_key), decision FROM link_record('PA', 'pa-2', '李白', '1', '1971-03-03');
RESET ROLE;
SET ROLE priv_app_b;
SELECT pg_temp.p(person_key), decision FROM link_record('PB', 'pb-4', '杜甫', '1', '1972-04-04');
SELECT pg_temp.p(link_manually('PB', 'pb-4', (SELECT person_key FROM shown WHERE n = 1), 'same man, says the patient'));
SELECT pg_temp.p(link_manually('PB', 'pb-4', (SELECT person_key FROM shown WHERE n = 2), 'its own patient after all'));
SELECT link_manually('PB', 'pb-4', 42, 'probe');
SELECT pg_temp.p(link_manually('PB', 'pb-4', NULL, 'a person of its own'));
RESET ROLE;

-- resolve(): for the profiles that serve patients, each call audited (who,
-- the person found; never the number); not for statisticians or auditors
SET ROLE priv_clin;
SELECT pg_temp.p(resolve('medical_insurance:440303:B0000001')) AS clinician_finds,
       resolve('11010519491231002X') AS unknown;
SELECT pg_temp.p(current_person((SELECT person_key FROM shown WHERE n = 1))) AS clinician_current;
RESET ROLE;
SET ROLE priv_pharm;
SELECT pg_temp.p(resolve('medical_insurance:440303:B0000001')) AS pharmacist_finds,
       pg_temp.p(current_person((SELECT person_key FROM shown WHERE n = 1))) AS pharmacist_current;
RESET ROLE;
SET ROLE priv_insurer;
SELECT pg_temp.p(resolve('medical_insurance:440303:B0000001')) AS insurer_finds,
       pg_temp.p(current_person((SELECT person_key FROM shown WHERE n = 1))) AS insurer_current;
RESET ROLE;
SET ROLE priv_app_b;
SELECT pg_temp.p(current_person((SELECT person_key FROM shown WHERE n = 1))) AS app_current;
RESET ROLE;
SET ROLE priv_stat;
SELECT resolve('medical_insurance:440303:B0000001');
SELECT current_person(1);
SELECT * FROM match_explain('PB', 'pb-1', 'PB', 'pb-3');
RESET ROLE;
SET ROLE priv_auditor;
SELECT resolve('medical_insurance:440303:B0000001');
SELECT count(*) > 0 AS auditor_reads_link_history FROM link_history('-infinity', 'infinity');
SELECT count(*) FROM link_events;
RESET ROLE;
SELECT a.role_name, a.action, a.object_kind, a.object_id, pg_temp.p(a.person_key), a.outcome
  FROM audit_entries a
 WHERE a.entry_id > :trail_start AND a.object_kind IN ('person_index', 'person_link_comparison')
 ORDER BY a.entry_id;

-- hub_admin (a login with the profile, not a superuser) sees what it
-- compared with, compares any two records and ties records to any person
CREATE ROLE priv_admin;
SELECT grant_profile('priv_admin', 'hub_admin');
SET ROLE priv_admin;
SELECT pg_temp.p(person_key), decision, explanation->'compared_with'->>'source' AS compared_with,
       explanation ? 'weights' AS weights
  FROM link_record('PB', 'pb-5', '孟浩然', '1', '1970-02-02', NULL, '13811112222', '440303');
SELECT comparison, level FROM match_explain('PB', 'pb-5', 'PA', 'pa-1') WHERE comparison IN ('name', 'phone');
SELECT * FROM match_explain('PB', 'pb-5', 'PA', 'no-such-record');
SELECT pg_temp.p(link_manually('PB', 'pb-4', (SELECT person_key FROM shown WHERE n = 3), 'reviewed: the same man'));
SELECT pg_temp.p(resolve('medical_insurance:440303:B0000001')) AS admin_finds;
SELECT local_id, link_score IS NOT NULL AS sees_scores FROM source_record('PB', 'pb-5');
RESET ROLE;

SELECT revoke_profile(r::regrole, p) FROM (VALUES ('priv_app_a', 'institution_app'), ('priv_app_b', 'institution_app'),
       ('priv_clin', 'clinician'), ('priv_pharm', 'pharmacist'), ('priv_insurer', 'insurer'),
       ('priv_stat', 'statistician'), ('priv_auditor', 'auditor'), ('priv_admin', 'hub_admin')) x(r, p);
REVOKE ALL ON shown FROM PUBLIC;
DROP ROLE priv_app_a, priv_app_b, priv_clin, priv_pharm, priv_insurer, priv_stat, priv_auditor, priv_admin;

-- leave the index as it was for later tests
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source IN ('PA', 'PB'));
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source IN ('PA', 'PB'));
DELETE FROM link_decisions WHERE source IN ('PA', 'PB');
DELETE FROM source_records WHERE source IN ('PA', 'PB');
DELETE FROM institutions WHERE source = 'privacy-test';
