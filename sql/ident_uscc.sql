-- healthhub.uscc: GB 32100 unified social credit codes.
SET search_path = healthhub, public;

-- real valid codes, including letters in the organisation code
SELECT v::uscc AS code, uscc_registration_authority(v::uscc), uscc_category(v::uscc),
       uscc_region(v::uscc), uscc_organization_code(v::uscc), passes_check(v::uscc)
  FROM (VALUES ('91110000600037341L'), ('121200004013590816'),
               ('91340600MA2PBM9HXD'), ('92340621MA2UK3PJXE')) AS t(v);

-- typed forms fold: lower case, fullwidth, surrounding ideographic spaces
SELECT v AS input, v::uscc AS code
  FROM (VALUES ('91340600ma2pbm9hxd'), ('　91110000600037341L　'), ('９１１１００００６０００３７３４１Ｌ')) AS t(v);

-- letter registration authorities are allowed per the code table
SELECT v::uscc AS code, uscc_registration_authority(v::uscc) AS authority
  FROM (VALUES ('A1110000MA0123453D'), ('G1110000MA01234537'), ('N2110000MA0123453X'),
               ('Y1110000MA0123453Q')) AS t(v);

-- every invalid class
\set VERBOSITY default
SELECT ''::uscc;
SELECT '91110000600037341'::uscc;
SELECT '91110000600037341LL'::uscc;
SELECT '91110000 600037341L'::uscc;
SELECT '9111000060003IOZSV'::uscc;
SELECT '9111000060003734_L'::uscc;
SELECT 'B1110000600037341L'::uscc;
SELECT '90110000600037341L'::uscc;
SELECT '9A110000600037341L'::uscc;
SELECT '911A0000600037341L'::uscc;
SELECT '91110000600037342L'::uscc;
SELECT '91110000600037341N'::uscc;
SELECT '91350203M0001QAY9B'::uscc;
SELECT '91110000600037341é'::uscc;

-- a real issued code that fails its own check: kept, marked, and round-trips
SELECT ingest_uscc('91350203M0001QAY9B') AS ingested,
       passes_check(ingest_uscc('91350203M0001QAY9B')) AS passes,
       '91350203M0001QAY9B?'::uscc AS marked_input,
       ingest_uscc('91350203M0001QAY9B')::text::uscc = ingest_uscc('91350203M0001QAY9B') AS round_trip;
-- ingest still refuses what is not a code at all
SELECT ingest_uscc('9111000060003IOZSV');
SELECT ingest_uscc('91110000600037341');
-- a mark on a code that passes is simply dropped
SELECT '91110000600037341L?'::uscc AS mark_dropped;

SELECT v, is_valid_uscc(v) FROM (VALUES ('91110000600037341L'), ('91110000600037341N'),
                                       ('91350203M0001QAY9B'), ('91350203M0001QAY9B?'), ('x'), ('')) AS t(v);

-- ordering follows the text; operators; hashing agrees with equality
SELECT code FROM (VALUES ('92340621MA2UK3PJXE'::uscc), ('121200004013590816'),
                         ('91340600MA2PBM9HXD'), ('91110000600037341L')) AS t(code) ORDER BY code;
SELECT '91110000600037341L'::uscc = '91110000600037341l'::uscc AS eq,
       '91110000600037341L'::uscc < '91340600MA2PBM9HXD'::uscc AS lt,
       uscc_hash('91110000600037341L') = uscc_hash('９１１１００００６０００３７３４１Ｌ') AS same_hash,
       uscc_hash_extended('91110000600037341L', 7) = uscc_hash_extended('91110000600037341l', 7) AS same_hash_ext;

-- indexes, RLS-safe operators, hash partitioning, binary COPY
CREATE TABLE orgs (code uscc PRIMARY KEY, name text);
INSERT INTO orgs VALUES ('91110000600037341L', 'a'), ('121200004013590816', 'b'),
                        ('91340600MA2PBM9HXD', 'c'), ('92340621MA2UK3PJXE', 'd'),
                        (ingest_uscc('91350203M0001QAY9B'), 'e');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM orgs WHERE code = '121200004013590816';
SELECT name FROM orgs WHERE code = '121200004013590816';
CREATE TABLE orgs_hashed AS SELECT * FROM orgs;
CREATE INDEX orgs_hashed_code ON orgs_hashed USING hash (code);
EXPLAIN (COSTS OFF) SELECT * FROM orgs_hashed WHERE code = '91340600MA2PBM9HXD';
SELECT name FROM orgs_hashed WHERE code = '91340600MA2PBM9HXD';
RESET enable_seqscan;
CREATE TABLE orgs_part (code uscc) PARTITION BY HASH (code);
CREATE TABLE orgs_part_0 PARTITION OF orgs_part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE orgs_part_1 PARTITION OF orgs_part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO orgs_part SELECT code FROM orgs;
SELECT count(*) FROM orgs_part;
\copy orgs TO 'results/orgs.bin' WITH (FORMAT binary)
CREATE TABLE orgs_copy (LIKE orgs);
\copy orgs_copy FROM 'results/orgs.bin' WITH (FORMAT binary)
SELECT c.code, c.name FROM orgs_copy c JOIN orgs o USING (code, name) ORDER BY c.code;
-- binary input is validated: 5-bit groups out of range, then structure
CREATE TABLE raw_bytes (code bytea, name text);
INSERT INTO raw_bytes VALUES ('\xffffffffffffffffffffffffffffffff', 'x');
\copy raw_bytes TO 'results/raw_uscc.bin' WITH (FORMAT binary)
\copy orgs_copy FROM 'results/raw_uscc.bin' WITH (FORMAT binary)
TRUNCATE raw_bytes;
INSERT INTO raw_bytes VALUES ('\x00000000000000000000000000000000', 'zeros');
\copy raw_bytes TO 'results/raw_uscc.bin' WITH (FORMAT binary)
\copy orgs_copy FROM 'results/raw_uscc.bin' WITH (FORMAT binary)
TRUNCATE raw_bytes;
INSERT INTO raw_bytes VALUES ('\x0000', 'short');
\copy raw_bytes TO 'results/raw_uscc.bin' WITH (FORMAT binary)
\copy orgs_copy FROM 'results/raw_uscc.bin' WITH (FORMAT binary)
SELECT count(*) FROM orgs_copy;
SELECT '91110000600037341L'::uscc::text AS to_text, '91110000600037341L'::text::uscc AS from_text;
DROP TABLE orgs, orgs_hashed, orgs_part, orgs_copy, raw_bytes;
