-- Attack (issue 10): an institution's application burns the hub's key
-- space.  0.4 gave institution_app (and hub_admin) USAGE on
-- healthhub.key_seq, 10^10 values: nextval() in a loop spends them all in
-- about 90 minutes, and then no row anywhere can be created.  Now no profile
-- uses the sequence: mint_key() runs as its owner (hub_admin may call it, for
-- the column defaults of the tables it writes), and the rows an application
-- creates get their keys from the extension's own functions and triggers.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

INSERT INTO institutions (name, kind, region, source, source_ref, valid)
VALUES ('密钥测试医院', 'hospital', '440303', 'key-test', 'KB', '[2000-01-01,)');
INSERT INTO practitioners (name) VALUES ('密钥测试医生');
SELECT institution_key AS inst FROM institutions WHERE source_ref = 'KB' \gset
SELECT practitioner_key AS prac FROM practitioners WHERE name = '密钥测试医生' \gset
CREATE ROLE hh_burn_app LOGIN;   SELECT grant_profile('hh_burn_app', 'institution_app', :inst);
CREATE ROLE hh_burn_admin LOGIN; SELECT grant_profile('hh_burn_admin', 'hub_admin');
SELECT last_value AS before FROM key_seq \gset

SET SESSION AUTHORIZATION hh_burn_app;
-- the attack, and its variants
SELECT nextval('healthhub.key_seq') FROM generate_series(1, 3);
SELECT setval('healthhub.key_seq', 9999999999);
SELECT mint_key();
-- what the application may create still gets a key minted by this hub
INSERT INTO practice_privileges (practitioner_key, institution_key, privilege, period)
VALUES (:prac, :inst, 'narcotic', '[2026-01-01,)')
RETURNING key_hub(grant_key) = hub_id() AS minted_here;
-- a key of its own choosing is not kept: it could claim keys the sequence
-- has yet to reach, and make the inserts that reach them fail
INSERT INTO practice_privileges (grant_key, practitioner_key, institution_key, privilege, period)
VALUES (hub_id() * 10000000000 + 9999999999, :prac, :inst, 'psychotropic_1', '[2026-01-01,)')
RETURNING grant_key % 10000000000 < 9999999999 AS own_key_replaced;
UPDATE practice_privileges SET grant_key = hub_id() * 10000000000 + 9999999998
 WHERE privilege = 'psychotropic_1' AND institution_key = :inst
RETURNING grant_key % 10000000000 < 9999999998 AS key_kept_on_update;
-- linking a record mints its person's key inside link_record
SELECT key_hub(person_key) = hub_id() AS person_minted_here, decision
  FROM link_record('KB', 'kb-1', '钥匙', '1', '1980-05-06');
RESET SESSION AUTHORIZATION;

SET SESSION AUTHORIZATION hh_burn_admin;
SELECT nextval('healthhub.key_seq');
-- hub_admin's rows get keys from mint_key() in their column defaults
INSERT INTO consortia (name, kind) VALUES ('密钥测试医联体', 'urban_medical_group')
RETURNING key_hub(consortium_key) = hub_id() AS minted_here;
RESET SESSION AUTHORIZATION;

-- the sequence moved only by the keys minted for real rows
SELECT last_value - :before BETWEEN 3 AND 20 AS spent_on_rows_only FROM key_seq;

SELECT revoke_profile('hh_burn_app', 'institution_app');
SELECT revoke_profile('hh_burn_admin', 'hub_admin');
DROP ROLE hh_burn_app, hh_burn_admin;
DELETE FROM person_identifiers WHERE person_key IN (SELECT person_key FROM source_records WHERE source = 'KB');
DELETE FROM record_block_keys WHERE record_id IN (SELECT record_id FROM source_records WHERE source = 'KB');
DELETE FROM link_decisions WHERE source = 'KB';
DELETE FROM source_records WHERE source = 'KB';
DELETE FROM consortia WHERE name = '密钥测试医联体';
DELETE FROM practice_privileges WHERE institution_key = :inst;
DELETE FROM practice_rights WHERE institution_key = :inst;
DELETE FROM practitioners WHERE practitioner_key = :prac;
DELETE FROM institutions WHERE institution_key = :inst;
