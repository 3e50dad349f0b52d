-- healthhub.health_identifier: issuer-scoped numbers as kind:issuer:value.
SET search_path = healthhub, public;

SELECT * FROM identifier_kinds;

-- every kind, normalised
SELECT v AS input, v::health_identifier AS normalised
  FROM (VALUES ('medical_insurance:110105:ab 1234-5678'),
               ('social_security_card:440300:A12345678'),
               ('health_card:330100:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF'),
               ('visit_card:121200004013590816:000 123 45'),
               ('visit_card:91350203M0001QAY9B?:778899'),
               ('passport:usa:123456789'),
               ('passport:CHN:E12345678'),
               ('hk_macau_permit::H12345678'),
               ('hk_macau_permit:CHN:M1234567890'),
               ('taiwan_permit::12345678'),
               ('foreign_permanent_legacy::usa110180010100'),
               ('newborn::11010519491231002x-1'),
               ('newborn::110105491231002-2'),
               ('  passport:ＣＨＮ:Ｅ１２３４５６７８  ')) AS t(v);

-- the constructor and accessors
SELECT h, health_identifier_kind(h), health_identifier_issuer(h), value(h)
  FROM (VALUES (health_identifier('passport', 'deu', 'C01X00T47')),
               (health_identifier('newborn', '', '11010519491231002X-12')),
               (health_identifier('visit_card', '121200004013590816', '42'))) AS t(h);

-- every invalid class
\set VERBOSITY default
SELECT ''::health_identifier;
SELECT 'passport'::health_identifier;
SELECT 'passport:CHN'::health_identifier;
SELECT 'passport:CHN:E1234:5678'::health_identifier;
SELECT 'driving_licence:CHN:123'::health_identifier;
SELECT 'medical_insurance:11010:A1'::health_identifier;
SELECT 'medical_insurance:110105:'::health_identifier;
SELECT 'medical_insurance:110105:A_1'::health_identifier;
SELECT 'medical_insurance:110105:123456789012345678901234567890123'::health_identifier;
SELECT 'visit_card:91110000600037341N:1'::health_identifier;
SELECT 'visit_card:110105:1'::health_identifier;
SELECT 'passport:CN:E12345678'::health_identifier;
SELECT 'passport:CHN:E123'::health_identifier;
SELECT 'passport:CHN:E1234567890'::health_identifier;
SELECT 'hk_macau_permit:USA:H12345678'::health_identifier;
SELECT 'hk_macau_permit::X12345678'::health_identifier;
SELECT 'hk_macau_permit::H123456789'::health_identifier;
SELECT 'taiwan_permit::1234567'::health_identifier;
SELECT 'foreign_permanent_legacy::US1110180010100'::health_identifier;
SELECT 'newborn:110105:11010519491231002X-1'::health_identifier;
SELECT 'newborn::11010519491231002X'::health_identifier;
SELECT 'newborn::110105194912310021-1'::health_identifier;
SELECT 'newborn::11010519491231002X-0'::health_identifier;
SELECT 'newborn::11010519491231002X-100'::health_identifier;
SELECT 'passport:CHN:E12345678é'::health_identifier;
SELECT health_identifier('passport', 'CHN', '');
SELECT health_identifier('nothing', 'CHN', 'E12345678');

-- equality and hashing see normalised values
SELECT 'passport:usa:123456789'::health_identifier = 'passport:USA:123456789'::health_identifier AS eq,
       'visit_card:121200004013590816:000 123 45'::health_identifier = health_identifier('visit_card', '121200004013590816', '00012345') AS eq_parts,
       'passport:USA:123456789'::health_identifier = 'passport:DEU:123456789'::health_identifier AS other_issuer,
       health_identifier_hash('passport:usa:123456789') = health_identifier_hash('passport:USA:123456789') AS same_hash,
       health_identifier_hash_extended('newborn::110105491231002-1', 3)
         = health_identifier_hash_extended('newborn::11010519491231002X-1', 3) AS same_hash_ext;

-- one person may hold many identifiers; each is unique per (kind, issuer, value)
CREATE TABLE patient_idents (person int, ident health_identifier UNIQUE);
INSERT INTO patient_idents VALUES
    (1, 'medical_insurance:110105:AB12345678'), (1, 'passport:CHN:E12345678'),
    (2, 'newborn::11010519491231002X-1'), (3, 'visit_card:121200004013590816:00012345');
INSERT INTO patient_idents VALUES (9, 'passport:chn:e12345678');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT person FROM patient_idents WHERE ident = 'passport:CHN:E12345678';
SELECT person FROM patient_idents WHERE ident = 'passport:chn:E 1234 5678';
CREATE TABLE hashed_identifiers AS SELECT * FROM patient_idents;
CREATE INDEX hashed_identifiers_ident ON hashed_identifiers USING hash (ident);
EXPLAIN (COSTS OFF) SELECT person FROM hashed_identifiers WHERE ident = 'passport:CHN:E12345678';
SELECT person FROM hashed_identifiers WHERE ident = 'passport:CHN:E12345678';
RESET enable_seqscan;
-- ordered by kind (in identifier_kinds order), then issuer, then value
SELECT ident FROM patient_idents ORDER BY ident;

CREATE TABLE ids_part (ident health_identifier) PARTITION BY HASH (ident);
CREATE TABLE ids_part_0 PARTITION OF ids_part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE ids_part_1 PARTITION OF ids_part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO ids_part SELECT ident FROM patient_idents;
SELECT count(*) FROM ids_part;

\copy patient_idents TO 'results/patient_idents.bin' WITH (FORMAT binary)
CREATE TABLE patient_idents_copy (LIKE patient_idents);
\copy patient_idents_copy FROM 'results/patient_idents.bin' WITH (FORMAT binary)
SELECT count(*) AS same FROM patient_idents_copy c JOIN patient_idents p USING (person, ident);
-- binary input must be in normal form: a lower-case issuer, an unknown kind, a bad value
CREATE TABLE raw_bytes (person int, ident bytea);
INSERT INTO raw_bytes VALUES (1, '\x050363686e09453132333435363738');
\copy raw_bytes TO 'results/raw_hi.bin' WITH (FORMAT binary)
\copy patient_idents_copy FROM 'results/raw_hi.bin' WITH (FORMAT binary)
TRUNCATE raw_bytes;
INSERT INTO raw_bytes VALUES (1, '\x6303434e4809453132333435363738');
\copy raw_bytes TO 'results/raw_hi.bin' WITH (FORMAT binary)
\copy patient_idents_copy FROM 'results/raw_hi.bin' WITH (FORMAT binary)
TRUNCATE raw_bytes;
INSERT INTO raw_bytes VALUES (1, '\x0503434e4803453132'::bytea);
\copy raw_bytes TO 'results/raw_hi.bin' WITH (FORMAT binary)
\copy patient_idents_copy FROM 'results/raw_hi.bin' WITH (FORMAT binary)
TRUNCATE raw_bytes;
INSERT INTO raw_bytes VALUES (1, '\x0503434e48'::bytea);
\copy raw_bytes TO 'results/raw_hi.bin' WITH (FORMAT binary)
\copy patient_idents_copy FROM 'results/raw_hi.bin' WITH (FORMAT binary)
SELECT 'passport:CHN:E12345678'::health_identifier::text AS to_text;
DROP TABLE patient_idents, patient_idents_copy, hashed_identifiers, ids_part, raw_bytes;
