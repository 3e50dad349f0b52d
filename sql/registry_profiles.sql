-- Role profiles: granted by the DBA, recorded in a table the role cannot
-- write, never widened by a setting.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT profile, needs_institution FROM profiles ORDER BY profile;

CREATE ROLE hh_stat;
CREATE ROLE hh_app_a;
CREATE ROLE hh_super SUPERUSER;

-- bad parameters
SELECT grant_profile('hh_stat', 'poet');
SELECT grant_profile('hh_app_a', 'institution_app');
SELECT grant_profile('hh_stat', 'statistician', 42);
SELECT grant_profile('hh_super', 'statistician');
SELECT grant_profile('hh_nobody', 'statistician');
SELECT revoke_profile('hh_stat', 'auditor');

-- grant, regrant (idempotent), and what the role sees of itself
SELECT grant_profile('hh_stat', 'statistician');
SELECT grant_profile('hh_stat', 'statistician');
SELECT grant_profile('hh_app_a', 'institution_app', 1001);
SELECT grant_profile('hh_app_a', 'clinician', 1002);
SELECT role_name, profile, institution_key FROM role_profiles ORDER BY 1, 2;

SET ROLE hh_app_a;
SELECT acting_institution(), has_profile('institution_app') AS app, has_profile('hub_admin') AS admin;
-- a role sees only its own profile rows
SELECT role_name, profile FROM role_profiles ORDER BY 1, 2;
-- and cannot write them
INSERT INTO role_profiles (role_name, profile, institution_key) VALUES ('hh_app_a', 'hub_admin', NULL);
UPDATE role_profiles SET institution_key = 1002;
-- a custom setting does not widen anything
SET healthhub.institution = '1002';
SET app.institution_key = '1002';
SELECT acting_institution();
-- nor can it grant itself a profile
SELECT grant_profile('hh_app_a', 'hub_admin');
RESET ROLE;

-- revoking keeps what another profile of the role still grants
SELECT revoke_profile('hh_stat', 'statistician');
SELECT count(*) AS left_for_stat FROM role_profiles WHERE role_name = 'hh_stat';
SELECT revoke_profile('hh_app_a', 'institution_app');
SELECT revoke_profile('hh_app_a', 'clinician');

-- role names that need quoting work too
CREATE ROLE "Hh App-Q";
SELECT grant_profile('"Hh App-Q"', 'auditor');
SELECT role_name, profile FROM role_profiles WHERE role_name = 'Hh App-Q';
SELECT revoke_profile('"Hh App-Q"', 'auditor');
DROP ROLE "Hh App-Q";

DROP ROLE hh_stat, hh_app_a, hh_super;
