-- One place decides how personal data appears to each profile.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never

-- the masks
SELECT mask_name('张三丰') AS three, mask_name('李四') AS two, mask_name('王') AS one, mask_name('') AS empty;
SELECT mask_phone('13812345678') AS mobile, mask_phone('138-1234-5678') AS dashed,
       mask_phone('0755-83001234') AS landline, mask_phone('110') AS short;
SELECT mask_address('广东省深圳市福田区华强北路1号') AS district, mask_address('新疆维吾尔自治区和静县巴音布鲁克镇') AS county,
       mask_address('somewhere far') AS other;
SELECT mask('11010519491231002X');

-- the shipped policy
SELECT profile, data_kind, presentation FROM masking_policy WHERE origin = 'shipped'
 ORDER BY profile, data_kind;

CREATE ROLE hh_stat;  SELECT grant_profile('hh_stat', 'statistician');
CREATE ROLE hh_audit; SELECT grant_profile('hh_audit', 'auditor');
CREATE ROLE hh_clin;  SELECT grant_profile('hh_clin', 'clinician', 7);
CREATE ROLE hh_none;

-- what each sees of the same person
CREATE TEMP TABLE person AS
SELECT '11010519491231002X'::resident_id AS id, '张三丰'::text AS name, '13812345678'::text AS phone,
       '广东省深圳市福田区华强北路1号'::text AS address;
GRANT SELECT ON person TO hh_stat, hh_audit, hh_clin, hh_none;
SET ROLE hh_stat;
-- a number it passes is shown as nothing: a pseudonym of a number of its
-- choosing would let it recompute pseudonyms (registry_pseudonym_enumeration)
SELECT 'statistician' AS who, present_resident_id(id) IS NULL AS id_hidden,
       present_name(name), present_phone(phone), present_address(address) FROM person;
SELECT pseudonym(id) FROM person;
-- and the secret is out of reach
SELECT * FROM hub_secrets;
RESET ROLE;
SET ROLE hh_audit;
SELECT 'auditor' AS who, present_resident_id(id), present_name(name), present_phone(phone), present_address(address) FROM person;
SELECT pseudonym(id) FROM person;
RESET ROLE;
SET ROLE hh_clin;
SELECT 'clinician' AS who, present_resident_id(id), present_name(name), present_phone(phone), present_address(address) FROM person;
RESET ROLE;
SET ROLE hh_none;
SELECT 'no profile' AS who, present_resident_id(id), present_name(name), present_phone(phone), present_address(address) FROM person;
SELECT pseudonym(id) FROM person;
RESET ROLE;

-- a local row overrides the shipped default and is what pg_dump keeps
INSERT INTO masking_policy (profile, data_kind, presentation) VALUES ('statistician', 'name', 'masked');
SET ROLE hh_stat;
SELECT present_name(name) FROM person;
RESET ROLE;
DELETE FROM masking_policy WHERE origin = 'local';
-- only ID numbers have pseudonyms
INSERT INTO masking_policy (profile, data_kind, presentation) VALUES ('auditor', 'phone', 'pseudonym');
INSERT INTO masking_policy (profile, data_kind, presentation) VALUES ('auditor', 'phone', 'blurred');

SELECT revoke_profile('hh_stat', 'statistician');
SELECT revoke_profile('hh_audit', 'auditor');
SELECT revoke_profile('hh_clin', 'clinician');
REVOKE ALL ON person FROM hh_stat, hh_audit, hh_clin, hh_none;
DROP ROLE hh_stat, hh_audit, hh_clin, hh_none;
