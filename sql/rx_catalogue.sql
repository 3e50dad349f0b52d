-- The drug catalogue, loaded through the validated staging: every class of
-- bad row reported (and the good rows loaded), the same file again a no-op,
-- a corrected file replacing rows, the load one entry of the trail, and
-- only the hub's administrators may load.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

INSERT INTO stage_drugs (drug_code, generic_name, national_class, controlled_class, antimicrobial, dosage_form, strength,
                         controlled_release, special_storage, price_cap) VALUES
    ('XA10BAE001A001010100001', '二甲双胍', 'A10BA', NULL, NULL, '片剂', '0.5g', NULL, NULL, '12.50'),
    (' xn02aam001a003010100006 ', '吗啡', 'N02AA', 'narcotic', NULL, '缓释片', '30mg', 'true', 'false', '60'),
    ('XJ01CAA001A001010100007', '阿莫西林', 'J01CA', NULL, 'unrestricted', '胶囊', NULL, '', '', NULL),
    ('XA10ABI001B001010100008', '胰岛素', 'A10AB', NULL, NULL, '注射剂', NULL, 'false', 'true', ' 80.00 '),
    -- every class of bad row
    ('XA10BAE001A00101010000', '短码', NULL, NULL, NULL, '片剂', NULL, NULL, NULL, NULL),
    ('YA10BAE001A001010100002', '错类', NULL, NULL, NULL, '片剂', NULL, NULL, NULL, NULL),
    (NULL, '无码', NULL, NULL, NULL, '片剂', NULL, NULL, NULL, NULL),
    ('XA10BAE001A001010100003', '', NULL, NULL, NULL, '', NULL, NULL, NULL, NULL),
    ('XA10BAE001A001010100001', '二甲双胍重复', NULL, NULL, NULL, '片剂', NULL, NULL, NULL, NULL),
    ('XN05BAD001A001010100010', '地西泮', 'N05BA', 'psychotropic_3', NULL, '片剂', NULL, NULL, NULL, NULL),
    ('XJ01DDC001B001010100011', '头孢曲松', 'J01DD', NULL, 'reserved', '注射剂', NULL, NULL, NULL, NULL),
    ('XA10BAE001A001010100012', '二甲双胍', NULL, NULL, NULL, '片剂', NULL, 'yes', 'no', NULL),
    ('XA10BAE001A001010100013', '二甲双胍', NULL, NULL, NULL, '片剂', NULL, NULL, NULL, '-1'),
    ('XA10BAE001A001010100014', '二甲双胍', NULL, NULL, NULL, '片剂', NULL, NULL, NULL, '12.345'),
    ('XA10BAE001A001010100015', '二甲双胍', NULL, NULL, NULL, '片剂', NULL, NULL, NULL, 'twelve'),
    ('XA10BAE001A001010100016', '二甲双胍', NULL, NULL, NULL, '片剂', NULL, NULL, NULL, '12345678901'),
    ('XA10BAE001A001010100017', repeat('名', 201), repeat('C', 41), NULL, NULL, repeat('剂', 101), repeat('g', 101),
     NULL, NULL, NULL);
SELECT coalesce(max(entry_id), 0) AS entries_before FROM audit_entries \gset
SELECT staged, loaded, rejected, already_loaded FROM load_drugs('nhsa-test', 'sha256:' || repeat('1', 64));
SELECT line_no, column_name, left(value, 30) AS value, reason FROM load_errors
 WHERE load_id = (SELECT max(load_id) FROM loads WHERE kind = 'drugs') ORDER BY line_no, column_name;
SELECT drug_code, generic_name, national_class, controlled_class, antimicrobial, dosage_form, strength,
       controlled_release, special_storage, price_cap, source
  FROM drugs WHERE source = 'nhsa-test' ORDER BY drug_code;
-- the load is one entry of the trail; its rows are not recorded one by one
SELECT action, outcome FROM audit_entries
 WHERE object_kind = 'load' AND object_id IN (SELECT load_id::text FROM loads WHERE kind = 'drugs') ORDER BY entry_id;
SELECT count(*) AS drug_entries FROM audit_entries WHERE object_kind = 'drug' AND entry_id > :entries_before;
SELECT count(*) AS staged_left FROM stage_drugs;

-- the same file again: nothing changes
INSERT INTO stage_drugs (drug_code, generic_name, dosage_form) VALUES ('XC08CAA002A001010100009', '氨氯地平', '片剂');
SELECT staged, loaded, rejected, already_loaded FROM load_drugs('nhsa-test', 'SHA256:' || repeat('1', 64));
SELECT count(*) AS staged_left, (SELECT count(*) FROM drugs WHERE generic_name = '氨氯地平') AS not_loaded FROM stage_drugs;

-- a corrected file: a changed row replaces the stored one, an unchanged row is left alone
INSERT INTO stage_drugs (drug_code, generic_name, national_class, dosage_form, strength, price_cap) VALUES
    ('XA10BAE001A001010100001', '二甲双胍', 'A10BA', '片剂', '0.5g', '11.80'),
    ('XJ01CAA001A001010100007', '阿莫西林', 'J01CA', '胶囊', NULL, NULL);
UPDATE stage_drugs SET antimicrobial = 'unrestricted' WHERE drug_code = 'XJ01CAA001A001010100007';
SELECT staged, loaded, rejected, already_loaded FROM load_drugs('nhsa-test', 'sha256:' || repeat('2', 64));
SELECT drug_code, price_cap, load_id = (SELECT max(load_id) FROM loads WHERE kind = 'drugs') AS by_the_second_load
  FROM drugs WHERE drug_code IN ('XA10BAE001A001010100001', 'XJ01CAA001A001010100007') ORDER BY drug_code;

-- bad calls
SELECT * FROM load_drugs('nhsa test', 'sha256:' || repeat('3', 64));
SELECT * FROM load_drugs('nhsa-test', 'not a digest');
SELECT * FROM load_drugs(NULL, 'sha256:' || repeat('3', 64));
-- an institution's application may read the catalogue, not load it
INSERT INTO institutions (name, kind, level, region, source, source_ref, valid)
VALUES ('目录测试医院', 'hospital', '3', '440303', 'rx-cat', 'CAT', '[2000-01-01,)');
CREATE ROLE rx_cat_app;
SELECT grant_profile('rx_cat_app', 'institution_app', (SELECT institution_key FROM institutions WHERE source_ref = 'CAT'));
SET ROLE rx_cat_app;
SELECT count(*) > 0 AS reads_the_catalogue FROM drugs;
SELECT * FROM load_drugs('nhsa-test', 'sha256:' || repeat('4', 64));
INSERT INTO drugs (drug_code, generic_name, dosage_form, source) VALUES ('XC08CAA002A001010100009', '氨氯地平', '片剂', 'x');
RESET ROLE;
SELECT revoke_profile('rx_cat_app', 'institution_app');
DROP ROLE rx_cat_app;

-- leave the hub as it was for later tests
DELETE FROM drugs WHERE source = 'nhsa-test';
DELETE FROM load_errors WHERE load_id IN (SELECT load_id FROM loads WHERE kind = 'drugs');
DELETE FROM loads WHERE kind = 'drugs';
DELETE FROM institutions WHERE source_ref = 'CAT';
