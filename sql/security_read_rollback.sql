-- Attack: read personal data, then roll back to take the trace with it.
-- A read's entry is committed by the audit writer before the data is
-- returned, so neither a ROLLBACK nor a rolled-back subtransaction undoes
-- it; an entry for a change stays in the changer's transaction (a rollback
-- undoes the change and its entry alike).
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
INSERT INTO institutions (name, kind, level, grade, region, source, source_ref)
VALUES ('Rollback test hospital', 'hospital', '3', '甲', '440304', 'rollback-test', 'RB');
SELECT institution_key AS inst FROM institutions WHERE name = 'Rollback test hospital' \gset
CREATE ROLE rb_clin;
SELECT grant_profile('rb_clin', 'clinician', :inst);
SELECT decision FROM link_record('RB', 'R1', '王秀英', '2', '1956-03-12', '110102195603120041');
SELECT max(entry_id) AS before FROM audit_entries \gset

-- resolve(), then ROLLBACK
SET SESSION AUTHORIZATION rb_clin;
BEGIN;
SELECT resolve('110102195603120041') IS NOT NULL AS found;
ROLLBACK;
-- resolve() inside a subtransaction that is rolled back
BEGIN;
SAVEPOINT s;
SELECT healthhub.resolve('110102195603120041') IS NOT NULL AS found_again;
ROLLBACK TO SAVEPOINT s;
COMMIT;
-- a read in a READ ONLY transaction is recorded too
BEGIN READ ONLY;
SELECT healthhub.resolve('110102195603120041') IS NOT NULL AS found_read_only;
ROLLBACK;
-- an application's own read entry, then an error aborts the transaction
BEGIN;
SELECT healthhub.audit_append('read', 'document', 'emr:rollback-test', NULL, 'treatment') IS NOT NULL AS read_recorded;
SELECT 1 / 0;
ROLLBACK;
-- an entry for a change goes with the change
BEGIN;
SELECT healthhub.audit_append('document.update', 'document', 'emr:rollback-test', NULL, 'treatment') IS NOT NULL AS change_recorded;
ROLLBACK;
RESET SESSION AUTHORIZATION;

SELECT role_name, session_role, institution_key = :inst AS own_institution, action, object_kind,
       object_id, person_key IS NOT NULL AS has_person, purpose, outcome
  FROM audit_entries WHERE entry_id > :before ORDER BY entry_id;

-- the writer is a background worker of this database, running as the trail's owner
SELECT backend_type, usename = (SELECT tableowner FROM pg_tables
                                 WHERE schemaname = 'healthhub' AND tablename = 'audit_entries') AS as_owner
  FROM pg_stat_activity WHERE backend_type = 'healthhub audit writer' AND datname = current_database();
-- text bounds hold before anything is handed to the writer
SELECT audit_append('read', repeat('k', 101), 'x');
DROP OWNED BY rb_clin;
DROP ROLE rb_clin;
