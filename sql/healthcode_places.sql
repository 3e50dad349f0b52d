-- Where and how codes are checked: the policy as data (risk levels over
-- time, place categories, must_check), verifiers bound to a place and what
-- they learn, the ID-card path, and proxy holders.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;
SELECT create_signing_key() IS NOT NULL AS key_ready;

-- risk levels: a region's own, else its ancestor's, else low
SELECT region_risk_level('440305') AS unset;
SELECT set_region_risk('440300', 'medium', 'cluster in Shenzhen', '2026-01-01') IS NOT NULL AS prefecture_set;
SELECT set_region_risk('440305', 'high', 'outbreak in Nanshan', '2026-02-01') IS NOT NULL AS county_set;
SELECT r AS region, region_risk_level(r, '2026-01-15') AS jan15, region_risk_level(r, '2026-02-15') AS feb15
  FROM unnest(ARRAY['440305', '440304', '440300', '440000', '110105']::region_code[]) r;
-- a new level ends the one in force
SELECT set_region_risk('440305', 'low', 'lifted', '2026-03-01') IS NOT NULL AS lifted;
SELECT level, lower(period) AS from_, upper(period) AS to_ FROM region_risk_levels
 WHERE region = '440305' ORDER BY lower(period);
SELECT set_region_risk('440305', 'severe', 'x');
SELECT set_region_risk('999999', 'low', 'x');

-- must the place check? by category and the region's level at the time
SELECT c AS category, must_check(c, '440305', '2026-01-15') AS medium, must_check(c, '440305', '2026-02-15') AS high,
       must_check(c, '440305', '2026-03-15') AS low
  FROM unnest(ARRAY['school', 'medical_institution', 'elderly_care', 'public_place', 'large_enterprise']) c;
SELECT must_check('stadium', '440305');
SELECT must_check(NULL, '440305');
-- a region adds its own category
INSERT INTO place_categories (category, must_check_at, description) VALUES ('stadium', '{low,medium,high}', 'stadiums');
SELECT must_check('stadium', '440305', '2026-03-15');

-- persons of the index, a status each, and a place with its verifier
-- (persons made directly, not linked: the linkage tests count the index's records)
INSERT INTO persons (name, sex, birth_date) VALUES ('张三', 1, '1950-03-14') RETURNING person_key AS zhang \gset
INSERT INTO persons (name, sex, birth_date) VALUES ('李小红', 2, '2019-06-01') RETURNING person_key AS li \gset
INSERT INTO persons (name, sex, birth_date) VALUES ('王五', 1, '1985-07-07') RETURNING person_key AS wang \gset
INSERT INTO person_identifiers (resident_id, person_key) VALUES ('440305195003140010', :zhang);
SELECT set_code_status(:zhang, 'epidemic_status', 'green'), set_code_status(:li, 'epidemic_status', 'yellow');
SELECT set_code_status(:wang, 'epidemic_status', 'blue');
SELECT set_code_status(:wang, 'health_card', 'green');
SELECT set_code_status(1, 'epidemic_status', 'green');
INSERT INTO check_places (name, category, region) VALUES ('南山医院门诊', 'medical_institution', '440305')
RETURNING place_key AS clinic \gset
CREATE ROLE hh_scanner;
SELECT bind_verifier('hh_scanner', :clinic);
SELECT bind_verifier('hh_scanner', -1);

-- a code checked at the place: validity, kind, status, a masked name; no person key
SELECT issue_health_code(:zhang::text, 'epidemic_status', 'green') AS zhang_code \gset
SET ROLE hh_scanner;
SELECT * FROM check_health_code(:'zhang_code');
SELECT * FROM check_health_code('HH1:6BF+70');
SELECT * FROM check_id_card('440305195003140010');
SELECT * FROM check_id_card('11010519491231002X');
RESET ROLE;
SELECT revoke_subject_codes(hub_id()::text, :'zhang', 'moved abroad');
SET ROLE hh_scanner;
SELECT * FROM check_id_card('440305195003140010');
RESET ROLE;
DELETE FROM revoked_subjects WHERE subject = :'zhang'::text;
SET ROLE hh_scanner;
-- nothing else: not the verifier of the code's keys, not the person index
SELECT * FROM verify_health_code(:'zhang_code');
SELECT count(*) FROM persons;
RESET ROLE;
-- each check is one entry (read.*: committed before the answer is returned):
-- place, result, the subject's person key; never the code
SELECT action, object_kind, object_id = :'clinic' AS at_the_place, person_key = :zhang AS subject, outcome
  FROM audit_entries WHERE action = 'read.health_code.check' ORDER BY entry_id;
-- a role that is no verifier checks nowhere
CREATE ROLE hh_nobody;
SET ROLE hh_nobody;
SELECT * FROM check_health_code(:'zhang_code');
RESET ROLE;

-- proxy holders: Wang's phone shows his codes and those bound to him
SELECT bind_code_holder(:wang, :zhang, 'parent', 'bound_person', 'consent form 2026-001');
SELECT bind_code_holder(:wang, :li, 'child', 'guardian', 'consent form 2026-002');
SELECT bind_code_holder(:wang, :li, 'child', 'guardian', 'again');
SELECT bind_code_holder(:wang, :wang, 'other', 'bound_person', 'self');
SELECT bind_code_holder(:wang, :li, 'cousin', 'guardian', 'x');
SELECT bind_code_holder(:wang, :li, 'child', 'nobody', 'x');
SELECT person_key = :wang AS holder, relation, status, code IS NOT NULL AS has_code,
       (verify_health_code(code::text)).subject = person_key::text AS their_own_code
  FROM codes_held_by(:wang, 'epidemic_status');
-- a bound person's code checks exactly as their own
SELECT code AS li_code FROM codes_held_by(:wang, 'epidemic_status') WHERE person_key = :li \gset
SET ROLE hh_scanner;
SELECT valid, kind, status, masked_name FROM check_health_code(:'li_code');
RESET ROLE;
-- the hub numbers each person's dynamic codes, whichever phone asks: Li's
-- own app's code, issued after the holder's, is newer; the holder's older
-- one is a replay once the newer was checked
SELECT issue_health_code(:li::text, 'epidemic_status', 'green') AS li_own_code \gset
SELECT (decode_health_code(:'li_code')->'claims'->>'seq')::bigint < (decode_health_code(:'li_own_code')->'claims'->>'seq')::bigint
       AS numbered_in_order;
SELECT subject = :'li' AS subject, kind, person_key = :li AS person_key FROM code_sequences WHERE subject = :'li';
SET ROLE hh_scanner;
SELECT valid FROM check_health_code(:'li_own_code');
SELECT valid, reason FROM check_health_code(:'li_code');
RESET ROLE;
SELECT unbind_code_holder(:wang, :li);
SELECT relation, code IS NOT NULL AS has_code FROM codes_held_by(:wang, 'health_card');

-- who may: holders and statuses are the issuing service's
SET ROLE hh_scanner;
SELECT codes_held_by(:wang);
SELECT set_code_status(:wang, 'epidemic_status', 'red');
RESET ROLE;
SELECT revoke_profile('hh_scanner', 'verifier');
DROP ROLE hh_scanner;
DROP ROLE hh_nobody;
