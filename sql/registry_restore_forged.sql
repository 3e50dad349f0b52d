-- Attack (issue 10, code review S7): "restore mode" meant "the current user
-- is a superuser", so any superuser session that inserted a blacklist entry
-- or a privilege grant with a back-dated recorded_at (or a licence that
-- starts revoked) was neither stamped nor audited.  Now restore mode is the
-- setting healthhub.restoring, which only a superuser may set, for the
-- sessions of a restore (docs/install.md).
SET search_path = healthhub, public;
SET timezone = 'Asia/Shanghai';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
SELECT coalesce(max(entry_id), 0) AS trail_start FROM audit_entries \gset

INSERT INTO institutions (name, kind, region, source, source_ref, valid)
VALUES ('恢复测试医院', 'hospital', '440303', 'restore-test', 'RT', '[2000-01-01,)');
INSERT INTO practitioners (name) VALUES ('恢复测试医生');
SELECT institution_key AS inst FROM institutions WHERE source_ref = 'RT' \gset
SELECT practitioner_key AS prac FROM practitioners WHERE name = '恢复测试医生' \gset

-- the attack: a superuser session, not a restore
SHOW healthhub.restoring;
INSERT INTO blacklist (subject_kind, practitioner_key, reason, source, period, recorded_at, recorded_by)
VALUES ('practitioner', :prac, '伪造', '伪造', '[2020-01-01,2020-02-01)', '2001-01-01', 'nobody');
INSERT INTO practice_privileges (practitioner_key, institution_key, privilege, period, recorded_at, granted_by)
VALUES (:prac, :inst, 'narcotic', '[2020-01-01,)', '2001-01-01', 'nobody');
INSERT INTO licences (licence_no, practitioner_key, kind, validity, status)
VALUES ('RT-0001', :prac, 'physician', '[2020-01-01,)', 'revoked');
-- stamped by the database and audited, like anyone's
SELECT recorded_by = current_user AS stamped_by_db, recorded_at > now() - interval '1 hour' AS stamped_recently FROM blacklist WHERE practitioner_key = :prac;
SELECT granted_by = current_user AS stamped_by_db, recorded_at > now() - interval '1 hour' AS stamped_recently FROM practice_privileges WHERE practitioner_key = :prac;
SELECT action, object_kind FROM audit_entries WHERE entry_id > :trail_start ORDER BY entry_id;

-- a role that is not a superuser cannot claim to be a restore
CREATE ROLE hh_restore_admin; SELECT grant_profile('hh_restore_admin', 'hub_admin');
SET SESSION AUTHORIZATION hh_restore_admin;
SET healthhub.restoring = on;
SELECT set_config('healthhub.restoring', 'on', false);
RESET SESSION AUTHORIZATION;

-- a restore (what pg_restore does with PGOPTIONS='-c healthhub.restoring=on'):
-- reloaded rows keep their stamps and are not audited again
SELECT max(entry_id) AS trail_mark FROM audit_entries \gset
SET healthhub.restoring = on;
SELECT is_restoring();
INSERT INTO blacklist (subject_kind, practitioner_key, reason, source, period, recorded_at, recorded_by)
VALUES ('practitioner', :prac, '重载', '重载', '[2021-01-01,2021-02-01)', '2021-01-01', 'dumped_by');
INSERT INTO licences (licence_no, practitioner_key, kind, validity, status)
VALUES ('RT-0002', :prac, 'physician', '[2020-01-01,)', 'suspended');
SELECT recorded_by, recorded_at FROM blacklist WHERE practitioner_key = :prac AND reason = '重载';
SELECT count(*) AS audited_again FROM audit_entries WHERE entry_id > :trail_mark;
RESET healthhub.restoring;
SELECT is_restoring();

SELECT revoke_profile('hh_restore_admin', 'hub_admin');
DROP ROLE hh_restore_admin;
SET session_replication_role = replica;
DELETE FROM blacklist WHERE practitioner_key = :prac;
DELETE FROM practice_privileges WHERE practitioner_key = :prac;
DELETE FROM licences WHERE practitioner_key = :prac;
DELETE FROM practice_rights WHERE practitioner_key = :prac;
DELETE FROM practitioners WHERE practitioner_key = :prac;
DELETE FROM institutions WHERE institution_key = :inst;
RESET session_replication_role;
