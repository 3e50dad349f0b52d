-- Direct reads of personal data leave no trace (issue 10): 0.4 let
-- hub_admin SELECT persons and source_records, the auditor link_events and
-- an institution's application its own source_records rows, and nothing
-- recorded those reads.  Now no profile may SELECT a relation holding
-- personal data; a login of each profile is refused (42501) on every one,
-- and what a profile needs it reads through audited functions: each call
-- leaves exactly one 'read' entry (keys only), written before it returns.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

INSERT INTO institutions (name, kind, level, grade, region, source, source_ref, valid) VALUES
    ('直读测试医院甲', 'hospital', '3', '甲', '440303', 'direct-read-test', 'DA', '[2000-01-01,)'),
    ('直读测试医院乙', 'primary_care', NULL, NULL, '440304', 'direct-read-test', 'DB', '[2000-01-01,)');

-- person keys are shown as P1, P2, ... in the order they first appear
CREATE TEMP TABLE shown (person_key bigint PRIMARY KEY, n integer NOT NULL);
CREATE FUNCTION pg_temp.p(k bigint) RETURNS text LANGUAGE sql AS $$
    WITH ins AS (INSERT INTO shown SELECT k, (SELECT count(*) + 1 FROM shown)
                  WHERE k IS NOT NULL AND NOT EXISTS (SELECT FROM shown WHERE person_key = k) RETURNING n)
    SELECT coalesce('P' || (SELECT n FROM ins), 'P' || (SELECT n FROM shown WHERE person_key = k), 'none')
$$;
-- what a statement does for the login running it: ok, or its SQLSTATE
CREATE FUNCTION pg_temp.try(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.p(bigint), pg_temp.try(text) TO PUBLIC;
GRANT SELECT, INSERT ON shown TO PUBLIC;

-- the relations that hold personal data (names, ID numbers, birth dates,
-- phones, person keys tied to records, the link history); views included
CREATE TEMP TABLE personal (relation text PRIMARY KEY);
INSERT INTO personal VALUES
    ('healthhub.persons'), ('healthhub.person_identifiers'), ('healthhub.source_records'),
    ('healthhub.link_decisions'), ('healthhub.links'), ('healthhub.link_events'), ('healthhub.person_separations'),
    ('healthhub.review_queue'), ('healthhub.persons_with_two_numbers'), ('healthhub.stage_person_records'),
    ('healthhub.record_block_keys');
GRANT SELECT ON personal TO PUBLIC;

-- one login per profile
CREATE ROLE dr_admin LOGIN;
CREATE ROLE dr_app LOGIN;
CREATE ROLE dr_clin LOGIN;
CREATE ROLE dr_pharm LOGIN;
CREATE ROLE dr_insurer LOGIN;
CREATE ROLE dr_stat LOGIN;
CREATE ROLE dr_auditor LOGIN;
SELECT grant_profile('dr_admin', 'hub_admin');
SELECT grant_profile('dr_app', 'institution_app', institution_key) FROM institutions WHERE source_ref = 'DA';
SELECT grant_profile('dr_clin', 'clinician', institution_key) FROM institutions WHERE source_ref = 'DA';
SELECT grant_profile('dr_pharm', 'pharmacist', institution_key) FROM institutions WHERE source_ref = 'DA';
SELECT grant_profile('dr_insurer', 'insurer');
SELECT grant_profile('dr_stat', 'statistician');
SELECT grant_profile('dr_auditor', 'auditor');

-- two institutions' records of one person
SELECT now() AS t0 \gset
SELECT pg_temp.p(person_key) FROM link_record('DA', 'a-1', '张三', '1', '1980-05-06', '110105198005060010', '13811112222');
SELECT pg_temp.p(person_key) FROM link_record('DB', 'b-1', '张三', '1', '1980-05-06', '110105198005060010', '13811112222');
SELECT coalesce(max(entry_id), 0) AS mark FROM audit_entries \gset

-- every login, every personal relation: SELECT is refused with 42501 (the
-- least a SELECT needs: one readable column)
CREATE TEMP TABLE tried (login text, relation text, outcome text);
GRANT INSERT ON tried TO PUBLIC;
SET SESSION AUTHORIZATION dr_admin;
INSERT INTO tried SELECT session_user, relation, pg_temp.try(format('SELECT 1 FROM %s LIMIT 1', relation)) FROM personal;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION dr_app;
INSERT INTO tried SELECT session_user, relation, pg_temp.try(format('SELECT 1 FROM %s LIMIT 1', relation)) FROM personal;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION dr_clin;
INSERT INTO tried SELECT session_user, relation, pg_temp.try(format('SELECT 1 FROM %s LIMIT 1', relation)) FROM personal;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION dr_pharm;
INSERT INTO tried SELECT session_user, relation, pg_temp.try(format('SELECT 1 FROM %s LIMIT 1', relation)) FROM personal;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION dr_insurer;
INSERT INTO tried SELECT session_user, relation, pg_temp.try(format('SELECT 1 FROM %s LIMIT 1', relation)) FROM personal;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION dr_stat;
INSERT INTO tried SELECT session_user, relation, pg_temp.try(format('SELECT 1 FROM %s LIMIT 1', relation)) FROM personal;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION dr_auditor;
INSERT INTO tried SELECT session_user, relation, pg_temp.try(format('SELECT 1 FROM %s LIMIT 1', relation)) FROM personal;
RESET SESSION AUTHORIZATION;
SELECT login, count(*) AS relations, count(*) FILTER (WHERE outcome = '42501') AS refused_42501,
       string_agg(relation || ': ' || outcome, ', ') FILTER (WHERE outcome <> '42501') AS otherwise
  FROM tried GROUP BY login ORDER BY login;
-- the columns 0.4 granted the application one by one, and the view over
-- the same rows: refused too
SET SESSION AUTHORIZATION dr_app;
SELECT local_id FROM source_records;
SELECT source, local_id FROM links;
RESET SESSION AUTHORIZATION;
-- no grant on a personal relation is left to any role that holds a profile
SELECT r.rolname, p.relation
  FROM personal p, pg_roles r
 WHERE r.rolname LIKE 'dr\_%' AND has_any_column_privilege(r.oid, p.relation::regclass, 'SELECT')
 ORDER BY 1, 2;

-- an institution's application: its own records, without link_score
SET SESSION AUTHORIZATION dr_app;
SELECT source, local_id, name, birth_date, pg_temp.p(person_key), link_score FROM source_record('DA', 'a-1');
SELECT local_id, pg_temp.p(person_key), link_score FROM source_records_of('DA');
-- another institution's record, existing or not: one answer, and no entry
SELECT * FROM source_record('DB', 'b-1');
SELECT * FROM source_record('DB', 'no-such-record');
SELECT * FROM source_records_of('DB');
SELECT pg_temp.try('SELECT * FROM healthhub.person_details(1)') AS person_details,
       pg_temp.try('SELECT * FROM healthhub.link_history(now(), now())') AS link_history;
RESET SESSION AUTHORIZATION;

-- hub_admin: any record, the persons, their identifiers, links, the review
-- queue and the link history, each read audited
SET SESSION AUTHORIZATION dr_admin;
SELECT source, local_id, name, pg_temp.p(person_key), link_origin FROM source_record('DB', 'b-1');
SELECT local_id, pg_temp.p(person_key) FROM source_records_of('DB');
SELECT pg_temp.p(person_key), name, sex, birth_date, resident_id, state
  FROM person_details((SELECT person_key FROM shown WHERE n = 1));
SELECT source, local_id FROM person_records((SELECT person_key FROM shown WHERE n = 1));
SELECT resident_id, identifier FROM person_identifiers_of((SELECT person_key FROM shown WHERE n = 1));
SELECT source, local_id, pg_temp.p(person_key), state, origin FROM record_links('DB', 'b-1');
SELECT count(*) >= 0 AS read_the_queue FROM pending_reviews();
SELECT count(*) >= 0 AS read_the_list FROM find_persons_with_two_numbers();
SELECT action, source, local_id, pg_temp.p(person_key) FROM person_history((SELECT person_key FROM shown WHERE n = 1));
SELECT action, source, local_id FROM record_history('DA', 'a-1');
SELECT action, source, local_id FROM link_history(:'t0', 'infinity');
RESET SESSION AUTHORIZATION;

-- the auditor: the link history only
SET SESSION AUTHORIZATION dr_auditor;
SELECT action, source, local_id, pg_temp.p(person_key) FROM person_history((SELECT person_key FROM shown WHERE n = 1));
SELECT action, source, local_id FROM record_history('DB', 'b-1');
SELECT pg_temp.try('SELECT * FROM healthhub.source_record(''DA'', ''a-1'')') AS source_record,
       pg_temp.try('SELECT * FROM healthhub.person_details(1)') AS person_details;
RESET SESSION AUTHORIZATION;

-- the other profiles read none of it
CREATE TEMP TABLE calls (login text, function_name text, outcome text);
GRANT INSERT ON calls TO PUBLIC;
CREATE TEMP TABLE reads (function_name text, call text);
INSERT INTO reads VALUES
    ('source_record', 'SELECT * FROM healthhub.source_record(''DA'', ''a-1'')'),
    ('source_records_of', 'SELECT * FROM healthhub.source_records_of(''DA'')'),
    ('person_details', 'SELECT * FROM healthhub.person_details(1)'),
    ('person_records', 'SELECT * FROM healthhub.person_records(1)'),
    ('person_identifiers_of', 'SELECT * FROM healthhub.person_identifiers_of(1)'),
    ('record_links', 'SELECT * FROM healthhub.record_links(''DA'', ''a-1'')'),
    ('pending_reviews', 'SELECT * FROM healthhub.pending_reviews()'),
    ('find_persons_with_two_numbers', 'SELECT * FROM healthhub.find_persons_with_two_numbers()'),
    ('person_history', 'SELECT * FROM healthhub.person_history(1)'),
    ('record_history', 'SELECT * FROM healthhub.record_history(''DA'', ''a-1'')'),
    ('link_history', 'SELECT * FROM healthhub.link_history(now(), now())');
GRANT SELECT ON reads TO PUBLIC;
SET SESSION AUTHORIZATION dr_clin;
INSERT INTO calls SELECT session_user, function_name, pg_temp.try(call) FROM reads;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION dr_pharm;
INSERT INTO calls SELECT session_user, function_name, pg_temp.try(call) FROM reads;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION dr_insurer;
INSERT INTO calls SELECT session_user, function_name, pg_temp.try(call) FROM reads;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION dr_stat;
INSERT INTO calls SELECT session_user, function_name, pg_temp.try(call) FROM reads;
RESET SESSION AUTHORIZATION;
SELECT login, count(*) AS functions, count(*) FILTER (WHERE outcome = '42501') AS refused_42501,
       string_agg(function_name || ': ' || outcome, ', ') FILTER (WHERE outcome <> '42501') AS otherwise
  FROM calls GROUP BY login ORDER BY login;

-- bad input: a clear error, never XX000
SET SESSION AUTHORIZATION dr_admin;
SELECT * FROM source_record(NULL, 'a-1');
SELECT * FROM source_record('DA', NULL);
SELECT * FROM source_record('DA', repeat('x', 1001));
SELECT * FROM source_records_of('DA', NULL, 0);
SELECT * FROM source_records_of('DA', NULL, NULL);
SELECT * FROM person_details(NULL);
SELECT * FROM person_history(NULL);
SELECT * FROM link_history(NULL, now());
SELECT * FROM record_history('DA', NULL);
SELECT * FROM source_record('DA', 'no-such-record');
-- an unknown person: no row, and the read is recorded as not found
SELECT * FROM person_details(1);
RESET SESSION AUTHORIZATION;

-- the trail: exactly one entry per call that returned data or found
-- nothing (the application's 2 calls, hub_admin's 12, the auditor's 2),
-- none for a refused or bad call; keys only, never a number or a name
SELECT a.role_name, a.action, a.object_kind,
       -- (event ids count in the hub's block of keys, as long as person keys)
       regexp_replace(regexp_replace(regexp_replace(a.object_id, 'events [0-9]+ \.\. [0-9]+', 'events i .. j'),
                                     '[0-9]{12,}', '<person key>'), '^\[[^)]*\)', '[t0, infinity)')
         AS object_id,
       pg_temp.p(a.person_key) AS person, a.purpose,
       regexp_replace(a.outcome, '^[0-9]+ (possible matches|persons)$', 'N \1') AS outcome
  FROM audit_entries a WHERE a.entry_id > :mark ORDER BY a.entry_id;
SELECT count(*) AS read_entries,
       count(*) FILTER (WHERE object_id ~ '110105198005060010|张三' OR outcome ~ '110105198005060010|张三') AS personal_data_in_them
  FROM audit_entries WHERE entry_id > :mark;

-- leave the index as it was for later tests
SELECT revoke_profile(r::regrole, p) FROM (VALUES ('dr_admin', 'hub_admin'), ('dr_app', 'institution_app'),
       ('dr_clin', 'clinician'), ('dr_pharm', 'pharmacist'), ('dr_insurer', 'insurer'),
       ('dr_stat', 'statistician'), ('dr_auditor', 'auditor')) x(r, p);
REVOKE ALL ON shown, personal, tried, calls, reads FROM PUBLIC;
DROP ROLE dr_admin, dr_app, dr_clin, dr_pharm, dr_insurer, dr_stat, dr_auditor;
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source IN ('DA', 'DB'));
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source IN ('DA', 'DB'));
DELETE FROM link_decisions WHERE source IN ('DA', 'DB');
DELETE FROM source_records WHERE source IN ('DA', 'DB');
DELETE FROM institutions WHERE source = 'direct-read-test';
