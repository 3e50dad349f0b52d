-- Every change to personal data, rights and settings is recorded, by one
-- mechanism every area inherits (the audit_changes trigger), and the list of
-- what is recorded is the catalog's: healthhub.audit_coverage.  Attack on
-- 0.4: hub_admin changed practitioners, licences, registrations and the
-- audit settings, and a superuser granted and revoked profiles, without an
-- entry.  Also: role_profiles is keyed by role OID, so a new role that
-- reuses a dropped login's name inherits nothing.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

-- every table of the extension, and how its changes reach the trail
-- (docs/security.md, "What is recorded", is this list)
SELECT relation, how, recorded_as FROM audit_coverage ORDER BY relation;
-- none is in neither list
SELECT relation AS unrecorded FROM audit_coverage WHERE how IS NULL;
-- no exemption lists a table that does not exist
SELECT e.relation AS stale_exemption FROM audit_exemptions e
 WHERE NOT EXISTS (SELECT 1 FROM audit_coverage c WHERE c.relation = e.relation);
-- a table whose changes are left to the extension's functions (or that is a
-- catalogue, derived, or the trail) cannot be written by any profile or PUBLIC
-- (a staging table is input; a table with its own trigger records each row)
SELECT pp.profile, pp.object_name, pp.privileges
  FROM profile_privileges pp JOIN audit_exemptions e ON e.relation = pp.object_name
 WHERE e.how NOT IN ('staging', 'own trigger') AND pp.privileges ~ '(INSERT|UPDATE|DELETE)';
SELECT c.relation, a.privilege_type
  FROM audit_coverage c
  JOIN pg_class k ON k.oid = c.relation::regclass
  CROSS JOIN LATERAL aclexplode(k.relacl) a
 WHERE c.how NOT IN ('each row', 'staging', 'own trigger') AND a.grantee = 0
   AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE');

-- hub_admin's changes
INSERT INTO institutions (name, kind, level, grade, region, valid)
VALUES ('Audited changes hospital', 'hospital', '3', '甲', '440304', '[2020-01-01,)');
SELECT institution_key AS inst FROM institutions WHERE name = 'Audited changes hospital' \gset
CREATE ROLE ac_admin;
SELECT grant_profile('ac_admin', 'hub_admin');
SELECT configure_audit(seal_interval => '1 second') IS NOT NULL AS settings_known;
SELECT coalesce(max(entry_id), 0) AS before FROM audit_entries \gset
SET SESSION AUTHORIZATION ac_admin;
INSERT INTO healthhub.practitioners (resident_id, name) VALUES ('110101199003070038', '李时珍');
SELECT healthhub.find_practitioner('110101199003070038') AS pr \gset
UPDATE healthhub.practitioners SET name = '李东璧' WHERE practitioner_key = :pr;
INSERT INTO healthhub.licences (licence_no, practitioner_key, kind, validity)
VALUES ('AC-0001', :pr, 'physician', '[2020-01-01,)');
INSERT INTO healthhub.registrations (licence_key, institution_key, period)
SELECT licence_key, :inst, '[2020-01-01,)' FROM healthhub.licences WHERE licence_no = 'AC-0001';
DELETE FROM healthhub.registrations WHERE institution_key = :inst;
SELECT healthhub.configure_audit(seal_interval => '3 seconds') IS NOT NULL AS configured;
SELECT healthhub.configure_audit(seal_interval => '1 second') IS NOT NULL AS configured;
RESET SESSION AUTHORIZATION;
-- a superuser's grant and revoke
CREATE ROLE ac_clin;
SELECT grant_profile('ac_clin', 'clinician', :inst);
SELECT revoke_profile('ac_clin', 'clinician');
SELECT role_name, action, object_kind,
       CASE WHEN object_kind IN ('practitioner', 'registration', 'practitioner_identity') THEN '(key)' ELSE object_id END AS object_id,
       practitioner_key = :pr AS names_practitioner, purpose
  FROM audit_entries WHERE entry_id > :before ORDER BY entry_id;

-- a dropped login's name reused by a new role: the new role inherits nothing
CREATE ROLE ac_reused;
SELECT grant_profile('ac_reused', 'clinician', :inst);
SELECT profile, institution_key = :inst AS old_institution FROM effective_profiles('ac_reused');
DROP OWNED BY ac_reused;
DROP ROLE ac_reused;
CREATE ROLE ac_reused;
SELECT count(*) AS profiles_in_force FROM effective_profiles('ac_reused');
SELECT institution_of('ac_reused') AS institution;
SET SESSION AUTHORIZATION ac_reused;
SELECT count(*) AS rows_it_sees FROM healthhub.role_profiles;
SELECT has_profile('clinician') AS is_clinician;
RESET SESSION AUTHORIZATION;
-- the old row stays, in force for nobody; granting the new role anew works
SELECT count(*) AS stale_rows FROM role_profiles WHERE role_name = 'ac_reused';
INSERT INTO institutions (name, kind, level, grade, region, valid)
VALUES ('Audited changes clinic', 'primary_care', NULL, NULL, '440305', '[2020-01-01,)');
SELECT grant_profile('ac_reused', 'clinician', institution_key) FROM institutions
 WHERE name = 'Audited changes clinic';
SELECT institution_of('ac_reused') = institution_key AS new_institution FROM institutions
 WHERE name = 'Audited changes clinic';
-- renaming a role ends its profiles until they are granted again
ALTER ROLE ac_reused RENAME TO ac_renamed;
SELECT count(*) AS profiles_after_rename FROM effective_profiles('ac_renamed');

DROP OWNED BY ac_admin, ac_clin, ac_renamed;
DROP ROLE ac_admin, ac_clin, ac_renamed;

-- the trigger reads only what it can name faithfully: a table whose key is a
-- float, or whose person_key is text, is a definition error (0A000), not a
-- silent entry without them; integer keys of any width are read
CREATE TEMP TABLE ac_float_key (k float8, person_key bigint);
CREATE TRIGGER audit_changes AFTER INSERT ON ac_float_key
    FOR EACH ROW EXECUTE FUNCTION audit_changes('ac_test', 'k', 'test');
INSERT INTO ac_float_key VALUES (1.5, 1);
CREATE TEMP TABLE ac_text_person (k integer, person_key text);
CREATE TRIGGER audit_changes AFTER INSERT ON ac_text_person
    FOR EACH ROW EXECUTE FUNCTION audit_changes('ac_test', 'k', 'test');
INSERT INTO ac_text_person VALUES (1, '42');
CREATE TEMP TABLE ac_int_person (k integer, k2 text, person_key integer, practitioner_key smallint);
CREATE TRIGGER audit_changes AFTER INSERT ON ac_int_person
    FOR EACH ROW EXECUTE FUNCTION audit_changes('ac_test', 'k,missing,k2', 'test');
INSERT INTO ac_int_person VALUES (7, NULL, 42, 3), (8, 'b', NULL, NULL);
SELECT action, object_id, person_key, practitioner_key FROM audit_entries WHERE object_kind = 'ac_test' ORDER BY entry_id;
