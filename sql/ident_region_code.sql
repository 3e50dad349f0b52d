-- healthhub.region_code and the shipped division table.
SET search_path = healthhub, public;

SELECT v::region_code AS code, region_code_province(v::region_code), region_code_nominal_level(v::region_code)
  FROM (VALUES ('110000'), ('110100'), ('110101'), ('429004'), ('441900'), ('500151'), (' ４２９００４ ')) AS t(v);

\set VERBOSITY default
SELECT ''::region_code;
SELECT '11010'::region_code;
SELECT '1101011'::region_code;
SELECT '11010a'::region_code;
SELECT '110 101'::region_code;
SELECT '000000'::region_code;
SELECT '990000'::region_code;
SELECT '110001'::region_code;
SELECT '11010é'::region_code;
SELECT 12345::region_code;
SELECT 110001::region_code;
SELECT 110101::region_code AS from_int, '110101'::region_code::integer AS to_int;

-- the true level and parent come from the table, because the digits lie
SELECT code, region_code_name(code), region_code_level(code), region_code_nominal_level(code), region_code_parent(code)
  FROM (VALUES ('110000'::region_code), ('110101'), ('429004'), ('441900'), ('500151'),
               ('500229'), ('810000'), ('830000'), ('130171'), ('110100')) AS t(code);
SELECT region_code_name('110199') IS NULL AS unknown_has_no_name;

-- containment walks true parents; unknown codes fall back to digits
SELECT a, b, region_code_contains(a, b)
  FROM (VALUES ('420000'::region_code, '429004'::region_code), ('429000', '429004'),
               ('440000', '441900'), ('500000', '500151'), ('500100', '500151'),
               ('110000', '110103'), ('110000', '120101'), ('110101', '110101'),
               ('110100', '110199'), ('110000', '110199'), ('120000', '110199')) AS t(a, b);
SELECT '420000'::region_code @> '429004'::region_code AS contains_op,
       '429004'::region_code <@ '420000'::region_code AS contained_op;

-- abolished codes still appear in ID numbers: follow successors
SELECT code, region_code_name(code), region_code_current(code)
  FROM (VALUES ('110103'::region_code), ('110104'), ('310108'), ('110101')) AS t(code);
SELECT region_code_name(region('110103196501010010'::resident_id)) AS registered_in,
       region_code_name(region_code_current(region('110103196501010010'::resident_id))) AS now_in;

-- the table: every current province, prefecture and county-level division
SELECT level, kind, count(*) FROM regions
 WHERE valid_to IS NULL GROUP BY level, kind ORDER BY level, kind;
SELECT count(*) >= 2800 AS enough_counties FROM regions WHERE level = 'county' AND kind = 'division' AND valid_to IS NULL;
-- no division lists a placeholder as its parent
SELECT count(*) AS children_of_placeholders
  FROM regions c JOIN regions p ON p.code = c.parent
 WHERE p.kind = 'placeholder' AND c.kind = 'division';

-- local rows can be added (and are the ones pg_dump keeps)
INSERT INTO regions (code, name, level, parent, kind) VALUES ('110199', '测试区', 'county', '110000', 'division');
SELECT region_code_name('110199'), origin FROM regions WHERE code = '110199';
INSERT INTO regions (code, name, level, parent, kind) VALUES ('110198', '无上级', 'county', NULL, 'division');
DELETE FROM regions WHERE code = '110199';
-- a shipped row a DBA changes becomes 'changed' (pg_dump keeps it); a row
-- inserted over a shipped one (what a restore does) replaces it; a shipped
-- or changed row cannot be deleted or change its code (CREATE EXTENSION
-- would bring the old one back)
UPDATE regions SET name = name || '(改)' WHERE code = '110105';
SELECT code, name, origin FROM regions WHERE code = '110105';
INSERT INTO regions (code, name, level, parent, kind, origin) VALUES ('110101', '东城区(本地)', 'county', '110000', 'division', 'local');
SELECT code, name, origin FROM regions WHERE code = '110101';
DELETE FROM regions WHERE code = '110102';
DELETE FROM regions WHERE code = '110105';
UPDATE regions SET code = '110198' WHERE code = '110105';
UPDATE regions SET name = '朝阳区' WHERE code = '110105';
UPDATE regions SET name = '东城区' WHERE code = '110101';
SELECT count(*) AS one_row_each FROM regions WHERE code IN ('110101', '110105') GROUP BY code;

-- operators, ordering, hashing
SELECT '110101'::region_code < '110102'::region_code AS lt,
       region_code_hash('110101') = region_code_hash(' 110101') AS same_hash;
SELECT code FROM (VALUES ('500151'::region_code), ('110101'), ('429004')) AS t(code) ORDER BY code;
CREATE TABLE places (code region_code) PARTITION BY HASH (code);
CREATE TABLE places_0 PARTITION OF places FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE places_1 PARTITION OF places FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO places SELECT code FROM regions;
SELECT count(*) = (SELECT count(*) FROM regions) AS all_routed FROM places;
\copy (SELECT code FROM regions ORDER BY code LIMIT 50) TO 'results/regions.bin' WITH (FORMAT binary)
CREATE TABLE places_copy (code region_code);
\copy places_copy FROM 'results/regions.bin' WITH (FORMAT binary)
SELECT count(*) FROM places_copy;
CREATE TABLE bad_places (code integer);
INSERT INTO bad_places VALUES (990000);
\copy bad_places TO 'results/bad_regions.bin' WITH (FORMAT binary)
\copy places_copy FROM 'results/bad_regions.bin' WITH (FORMAT binary)
EXPLAIN (COSTS OFF) SELECT * FROM regions WHERE code = '429004';
DROP TABLE places, places_copy, bad_places;
