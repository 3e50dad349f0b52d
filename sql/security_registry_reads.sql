-- Attack on 0.4: hub_admin read practitioners' resident ID numbers and the
-- reasons of licence suspensions with a plain SELECT, leaving no trace.  They
-- are read through audited functions now; the public register (names,
-- licences) stays readable.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
INSERT INTO practitioners (resident_id, name) VALUES ('440304197508170023', '孙思邈');
SELECT practitioner_key AS pr FROM practitioners WHERE resident_id = '440304197508170023' \gset
INSERT INTO licences (licence_no, practitioner_key, kind, validity) VALUES ('RR-0001', :pr, 'physician', '[2020-01-01,)');
SELECT change_licence_status('RR-0001', 'suspended', '医疗事故调查中', '2024-01-01');
CREATE ROLE rr_admin LOGIN;
CREATE ROLE rr_stat LOGIN;
CREATE ROLE rr_auditor LOGIN;
SELECT grant_profile('rr_admin', 'hub_admin'), grant_profile('rr_stat', 'statistician'),
       grant_profile('rr_auditor', 'auditor');
SELECT max(entry_id) AS mark FROM audit_entries \gset

SET SESSION AUTHORIZATION rr_admin;
-- refused: the number, the reasons, the staged numbers
SELECT resident_id FROM practitioners WHERE practitioner_key = :pr;
SELECT * FROM practitioners WHERE practitioner_key = :pr;
SELECT reason FROM licence_status_history;
SELECT * FROM stage_practitioners;
-- allowed: the rest of the register, and the audited reads
SELECT name FROM practitioners WHERE practitioner_key = :pr;
SELECT h.status, h.effective::date FROM licence_status_history h JOIN licences l USING (licence_key)
 WHERE l.licence_no = 'RR-0001';
SELECT practitioner_key = :pr AS same, resident_id, name FROM practitioner_identity(:pr);
SELECT find_practitioner('440304197508170023') = :pr AS found, find_practitioner('620102198801010058') AS unknown;
SELECT status, effective::date, reason FROM licence_history('RR-0001');
SELECT count(*) AS no_such_licence FROM licence_history('RR-9999');
SELECT * FROM practitioner_identity(NULL);
RESET SESSION AUTHORIZATION;
-- the other profiles may not call them
SET SESSION AUTHORIZATION rr_stat;
SELECT * FROM practitioner_identity(:pr);
SELECT find_practitioner('440304197508170023');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION rr_auditor;
SELECT * FROM licence_history('RR-0001');
RESET SESSION AUTHORIZATION;

-- one entry per audited read, keys only
SELECT role_name, action, object_kind, object_id = :'pr' AS object_is_the_practitioner,
       CASE WHEN object_kind = 'licence_history' THEN object_id END AS licence,
       practitioner_key = :pr AS names_practitioner, outcome
  FROM audit_entries WHERE entry_id > :mark ORDER BY entry_id;
SELECT count(*) FILTER (WHERE object_id ~ '440304197508170023|孙思邈|医疗事故' OR outcome ~ '440304197508170023|孙思邈')
         AS personal_data_in_entries
  FROM audit_entries WHERE entry_id > :mark;

DROP OWNED BY rr_admin, rr_stat, rr_auditor;
DROP ROLE rr_admin, rr_stat, rr_auditor;
