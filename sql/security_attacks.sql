-- Attacks, each refused with the right SQLSTATE (in the style of
-- postgresql_anonymizer's tests): institution A reading B's rows, SET
-- widening access, a masked role reading raw rows, search_path hijack of a
-- SECURITY DEFINER function, and rewriting the audit trail.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
-- Each attacker connects as its own role: SET SESSION AUTHORIZATION makes it
-- the session user, so what SET ROLE allows is what that login would have.
SELECT is_valid_resident_id('x') AS library_loaded;
SELECT CASE WHEN hub_id() IS NULL THEN init_hub('440300', 1) END IS NULL AS hub_ready;

INSERT INTO institutions (name, kind, level, grade, region)
VALUES ('Attack test hospital A', 'hospital', '3', '甲', '440304'),
       ('Attack test hospital B', 'hospital', '2', '甲', '440305');
SELECT institution_key AS inst_a FROM institutions WHERE name = 'Attack test hospital A' \gset
SELECT institution_key AS inst_b FROM institutions WHERE name = 'Attack test hospital B' \gset
INSERT INTO practitioners (resident_id, name) VALUES ('440524188001010014', '张三丰');
CREATE ROLE atk_app_a;   SELECT grant_profile('atk_app_a', 'institution_app', :inst_a);
CREATE ROLE atk_app_b;   SELECT grant_profile('atk_app_b', 'institution_app', :inst_b);
CREATE ROLE atk_stat;    SELECT grant_profile('atk_stat', 'statistician');
CREATE ROLE atk_auditor; SELECT grant_profile('atk_auditor', 'auditor');
CREATE ROLE atk_nobody;
SELECT audit_append('attack.setup', 'test', 'security_attacks') IS NOT NULL AS appended;

-- attack: institution A reads institution B's rows
SET SESSION AUTHORIZATION atk_app_a;
SELECT name FROM institutions WHERE name LIKE 'Attack test%' ORDER BY name;
SELECT count(*) AS rows_of_b FROM institutions WHERE institution_key = :inst_b;
RESET SESSION AUTHORIZATION;

-- attack: a setting widens the institution (any role can SET a custom setting)
SET SESSION AUTHORIZATION atk_app_a;
SET healthhub.acting_institution = :'inst_b';
SET app.institution_key = :'inst_b';
SELECT acting_institution() = :inst_a AS still_a;
SELECT name FROM institutions WHERE name LIKE 'Attack test%' ORDER BY name;
-- nor may it become B's role
SET ROLE atk_app_b;
RESET SESSION AUTHORIZATION;

-- attack: a login inherits institution_app from a group role; it still sees
-- only the group's institution, and a login in two institutions' groups sees
-- nothing (its institution is ambiguous, so row level security fails closed)
CREATE ROLE atk_group_a;  SELECT grant_profile('atk_group_a', 'institution_app', :inst_a);
CREATE ROLE atk_group_b;  SELECT grant_profile('atk_group_b', 'institution_app', :inst_b);
CREATE ROLE atk_login_a IN ROLE atk_group_a;
CREATE ROLE atk_login_ab IN ROLE atk_group_a, atk_group_b;
SET SESSION AUTHORIZATION atk_login_a;
SELECT acting_institution() = :inst_a AS acts_for_a, has_profile('institution_app') AS inherited;
SELECT name FROM institutions WHERE name LIKE 'Attack test%' ORDER BY name;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION atk_login_ab;
SELECT acting_institution() IS NULL AS ambiguous;
SELECT count(*) AS rows_seen FROM institutions WHERE name LIKE 'Attack test%';
-- nor does it get answers about any institution (0.4 answered: its checks
-- took "no institution" for "any institution")
SELECT why_not_practise(1, 'physician', :inst_b);
RESET SESSION AUTHORIZATION;

-- attack: institution A asks the practice questions about institution B
SET SESSION AUTHORIZATION atk_app_a;
SELECT why_not_practise(1, 'physician', :inst_b);
SELECT assert_may_practise(1, 'physician', :inst_b);
SELECT why_not_practise(1, 'physician', :inst_a) AS own_institution_is_fine;
RESET SESSION AUTHORIZATION;

-- attack: institution A grants a privilege and forges who granted it, and when
SELECT practitioner_key AS prac FROM practitioners WHERE name = '张三丰' \gset
SET SESSION AUTHORIZATION atk_app_a;
INSERT INTO practice_privileges (practitioner_key, institution_key, privilege, period, granted_by, recorded_at)
VALUES (:prac, :inst_a, 'narcotic', tstzrange('2026-01-01', NULL), 'atk_app_b', '2001-01-01');
UPDATE practice_privileges SET granted_by = 'atk_app_b', recorded_at = '2001-01-01'
 WHERE institution_key = :inst_a;
RESET SESSION AUTHORIZATION;
SELECT granted_by, recorded_at > now() - interval '1 hour' AS stamped_recently FROM practice_privileges WHERE institution_key = :inst_a;

-- attack: a masked role reads raw personal data
SET SESSION AUTHORIZATION atk_stat;
SELECT resident_id, name FROM practitioners;
SELECT * FROM hub_secrets;
-- a statistician sees no number, and no pseudonym of a number it typed
-- (it could enumerate the ID space against its pseudonyms)
SELECT present_resident_id('11010519491231002X') IS NULL AS no_pseudonym_of_input,
       present_name('张三丰') IS NULL AS name_hidden;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION atk_nobody;
SELECT pseudonym('11010519491231002X');
RESET SESSION AUTHORIZATION;

-- attack: search_path hijack of a SECURITY DEFINER function.  The
-- statistician plants look-alikes of what person_pseudonym() uses, in its
-- own schema and in pg_temp, and puts them first on its search_path; the
-- pseudonym it gets is still the hub's.
INSERT INTO institutions (name, kind, level, grade, region, source, source_ref, valid)
VALUES ('Attack test hospital C', 'hospital', '3', '甲', '440304', 'attack-test', 'ATK', '[2000-01-01,)');
SELECT person_key AS atk_person FROM link_record('ATK', 'a-1', '王秀英', '2', '1949-12-31', '11010519491231002X') \gset
SET SESSION AUTHORIZATION atk_stat;
SELECT person_pseudonym(:atk_person) AS true_pseudonym \gset
RESET SESSION AUTHORIZATION;
CREATE SCHEMA atk AUTHORIZATION atk_stat;
SET SESSION AUTHORIZATION atk_stat;
CREATE FUNCTION atk.presentation_for(role_name name, data_kind text) RETURNS text
    LANGUAGE sql AS $$ SELECT 'full'::text $$;
CREATE FUNCTION atk.calling_role() RETURNS name LANGUAGE sql AS $$ SELECT 'postgres'::name $$;
CREATE FUNCTION atk.hmac(bytea, bytea, text) RETURNS bytea LANGUAGE sql AS $$ SELECT '\x00'::bytea $$;
CREATE TEMP TABLE hub_secrets (only_row boolean, pseudonym_key bytea);
INSERT INTO hub_secrets VALUES (true, '\x00');
CREATE TEMP TABLE role_profiles (role_name name, profile text, institution_key bigint);
INSERT INTO role_profiles VALUES ('atk_stat', 'hub_admin', NULL);
SET search_path = atk, pg_temp, healthhub, public;
SELECT healthhub.person_pseudonym(:atk_person) = :'true_pseudonym' AS same_pseudonym,
       :'true_pseudonym' ~ '^[0-9a-f]{32}$' AS is_a_pseudonym;
SELECT healthhub.present_resident_id('11010519491231002X') IS NULL AS still_nothing;
DISCARD TEMP;
RESET SESSION AUTHORIZATION;
SET search_path = healthhub, public;
DROP SCHEMA atk CASCADE;

-- attack: rewrite the trail (as an auditor, as an app, and as the owner)
SET SESSION AUTHORIZATION atk_auditor;
SELECT count(*) > 0 AS auditor_reads_the_trail FROM audit_entries;
UPDATE audit_entries SET outcome = 'denied';
DELETE FROM audit_entries;
TRUNCATE audit_entries;
DELETE FROM audit_blocks;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION atk_app_a;
UPDATE audit_entries SET outcome = 'denied';
RESET SESSION AUTHORIZATION;
UPDATE audit_entries SET outcome = 'denied' WHERE action = 'attack.setup';
DELETE FROM audit_entries WHERE action = 'attack.setup';
TRUNCATE audit_entries;
SELECT count(*) AS setup_entry_intact FROM audit_entries WHERE action = 'attack.setup' AND outcome = 'ok';

SELECT revoke_profile('atk_app_a', 'institution_app');
SELECT revoke_profile('atk_app_b', 'institution_app');
SELECT revoke_profile('atk_stat', 'statistician');
SELECT revoke_profile('atk_auditor', 'auditor');
SELECT revoke_profile('atk_group_a', 'institution_app');
SELECT revoke_profile('atk_group_b', 'institution_app');
DROP ROLE atk_app_a, atk_app_b, atk_stat, atk_auditor, atk_nobody, atk_login_a, atk_login_ab,
          atk_group_a, atk_group_b;
