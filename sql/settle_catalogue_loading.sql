-- A region's item catalogue loaded through the validated staging: every
-- class of bad line reported and nothing loaded; a good file a new version
-- that ends the one before; the same file again a no-op; a version starting
-- before one in force refused; only the hub's administrators load.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

-- every class of bad line: nothing of the file is loaded
INSERT INTO stage_settle_items (med_list_codg, name, chrgitm_lv, selfpay_prop, pric_uplmt_amt, lmt_used_flag, lmt_sex,
                                lmt_age_min, lmt_age_max, max_cnt_a_day, for_diagnoses) VALUES
    ('001101000010000', '住院诊查费', '01', NULL, NULL, '0', NULL, NULL, NULL, '1', NULL),
    ('bad code!', '坏编码', '01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (NULL, '无编码', '01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ('001101000010000', '重复', '01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ('250101015', '血常规', '04', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ('XA10BAE001A001010100001', '二甲双胍', '02', '1.5', '-2', 'yes', '3', 'ten', '200', 'x', 'e11'),
    ('270800004', '特需病房', '03', '0.1', NULL, NULL, NULL, '60', '18', NULL, NULL),
    ('311201001', '', '01', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT catalogue_key IS NULL AS nothing, staged, loaded, rejected FROM load_settle_catalogue('nhsa-gd', 'sha256:' || repeat('1', 64), '440000', '2026-01-01', 'Guangdong 2026');
SELECT line_no, column_name, value, reason FROM load_errors
 WHERE load_id = (SELECT max(load_id) FROM loads WHERE kind = 'settle_catalogue') ORDER BY line_no, column_name;
SELECT count(*) AS catalogues FROM settle_catalogues;

-- a good file: the 2026 catalogue
INSERT INTO stage_settle_items (med_list_codg, name, chrgitm_lv, selfpay_prop, pric_uplmt_amt, lmt_used_flag, lmt_sex,
                                lmt_age_min, lmt_age_max, max_cnt_a_day, for_diagnoses) VALUES
    ('001101000010000', '住院诊查费', '01', NULL, NULL, '0', NULL, NULL, NULL, '1', NULL),
    ('XA10BAE001A001010100001', '二甲双胍', '02', '0.1', '2.00', '0', NULL, NULL, NULL, '6', 'E11'),
    ('250310003', '孕酮测定', '01', '', '', '', '2', '12', '60', '', ''),
    ('270800004', '特需病房', '03', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT catalogue_key AS gd2026, staged, loaded, rejected FROM load_settle_catalogue('nhsa-gd', 'sha256:' || repeat('2', 64), '440000', '2026-01-01', 'Guangdong 2026') \gset
SELECT :gd2026 IS NOT NULL AS loaded;
SELECT med_list_codg, name, chrgitm_lv, selfpay_prop, pric_uplmt_amt, lmt_used_flag, lmt_sex, lmt_age, max_cnt_a_day, for_diagnoses
  FROM settle_items WHERE catalogue_key = :gd2026 ORDER BY med_list_codg;
-- the load is one entry of the trail; its rows are not recorded one by one
SELECT action, outcome FROM audit_entries
 WHERE object_kind = 'load' AND object_id IN (SELECT load_id::text FROM loads WHERE kind = 'settle_catalogue') AND action LIKE '%.load.%'
 ORDER BY entry_id;
-- the same file again: nothing changes
INSERT INTO stage_settle_items (med_list_codg, name, chrgitm_lv) VALUES ('X', 'x', '01');
SELECT catalogue_key = :gd2026 AS same_catalogue, already_loaded
  FROM load_settle_catalogue('nhsa-gd', 'SHA256:' || repeat('2', 64), '440000', '2026-01-01', 'Guangdong 2026');
SELECT count(*) AS staged_left FROM stage_settle_items;

-- 2027's version ends 2026's at its start; one starting before 2027's is refused
INSERT INTO stage_settle_items (med_list_codg, name, chrgitm_lv) VALUES ('001101000010000', '住院诊查费', '01');
SELECT catalogue_key AS gd2027 FROM load_settle_catalogue('nhsa-gd', 'sha256:' || repeat('3', 64), '440000', '2027-01-01', 'Guangdong 2027') \gset
SELECT catalogue_key = :gd2026 AS v2026, valid FROM settle_catalogues WHERE mdtrtarea_admvs::text = '440000' ORDER BY valid;
INSERT INTO stage_settle_items (med_list_codg, name, chrgitm_lv) VALUES ('001101000010000', '住院诊查费', '01');
SELECT * FROM load_settle_catalogue('nhsa-gd', 'sha256:' || repeat('4', 64), '440000', '2026-06-01', 'Guangdong mid-2026');
SELECT count(*) AS catalogues_of_440000 FROM settle_catalogues WHERE mdtrtarea_admvs::text = '440000';

-- bad calls, and who may
SELECT * FROM load_settle_catalogue('nhsa-gd', 'sha256:' || repeat('5', 64), '440000', '2028-01-01', ' ');
SELECT * FROM load_settle_catalogue('nhsa-gd', 'sha256:' || repeat('5', 64), NULL, '2028-01-01', 'x');
SELECT * FROM load_settle_catalogue('nhsa gd', 'sha256:' || repeat('5', 64), '440000', '2028-01-01', 'x');
CREATE ROLE sc_app;
INSERT INTO institutions (name, kind, level, region, source, source_ref, valid)
VALUES ('目录装载测试医院', 'hospital', '3', '440303', 'sc-test', 'SCT', '[2000-01-01,)');
SELECT grant_profile('sc_app', 'institution_app', institution_key) FROM institutions WHERE source_ref = 'SCT' \g /dev/null
SET ROLE sc_app;
SELECT * FROM load_settle_catalogue('nhsa-gd', 'sha256:' || repeat('6', 64), '440000', '2028-01-01', 'x');
SELECT count(*) > 0 AS reads_catalogues FROM settle_items;
RESET ROLE;
SELECT revoke_profile('sc_app', 'institution_app') \g /dev/null
DROP ROLE sc_app;

-- leave the hub as it was for later tests
TRUNCATE stage_settle_items;
DELETE FROM settle_catalogues;
DELETE FROM load_errors WHERE load_id IN (SELECT load_id FROM loads WHERE kind = 'settle_catalogue');
DELETE FROM loads WHERE kind = 'settle_catalogue';
DELETE FROM institutions WHERE source = 'sc-test';
