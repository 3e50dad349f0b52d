-- resident_id in tables: btree and hash indexes, RLS, partitioning, binary COPY.
SET search_path = healthhub, public;

CREATE TABLE patients (id resident_id PRIMARY KEY, institution text NOT NULL);
INSERT INTO patients
SELECT resident_id(11010519490101000 + i * 10), CASE WHEN i % 2 = 0 THEN 'A' ELSE 'B' END
  FROM generate_series(1, 2000) AS i;
ANALYZE patients;
SELECT count(*) FROM patients;

-- btree index used for equality and ranges
EXPLAIN (COSTS OFF) SELECT * FROM patients WHERE id = '110105194901010208';
EXPLAIN (COSTS OFF) SELECT * FROM patients WHERE id BETWEEN '110105194901010208' AND '110105194901010400';
SELECT id, institution FROM patients WHERE id = resident_id(11010519490101010);

-- duplicates are refused whatever form they arrive in
INSERT INTO patients VALUES ('110105194901010208', 'A');

-- hash index
CREATE INDEX patients_hash ON patients USING hash (id);
SET enable_indexscan = off;
SET enable_bitmapscan = on;
EXPLAIN (COSTS OFF) SELECT * FROM patients WHERE id = '110105194901010208';
RESET enable_indexscan;
RESET enable_bitmapscan;
DROP INDEX patients_hash;

-- under row level security the index still works: the operators are leakproof
CREATE ROLE hh_rls_reader;
GRANT USAGE ON SCHEMA healthhub TO hh_rls_reader;
GRANT SELECT ON patients TO hh_rls_reader;
ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_a ON patients FOR SELECT TO hh_rls_reader USING (institution = 'A');
SET ROLE hh_rls_reader;
EXPLAIN (COSTS OFF) SELECT * FROM patients WHERE id = '110105194901010208';
SELECT count(*) FROM patients;
SELECT * FROM patients WHERE id = resident_id(11010519490101010);
SELECT * FROM patients WHERE id = resident_id(11010519490101020);
RESET ROLE;
DROP POLICY only_a ON patients;
ALTER TABLE patients DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON patients FROM hh_rls_reader;
REVOKE USAGE ON SCHEMA healthhub FROM hh_rls_reader;
DROP ROLE hh_rls_reader;

-- hash partitioning on the type (uses hash support function 2)
CREATE TABLE visits (id resident_id NOT NULL, n int) PARTITION BY HASH (id);
CREATE TABLE visits_0 PARTITION OF visits FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE visits_1 PARTITION OF visits FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE visits_2 PARTITION OF visits FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE visits_3 PARTITION OF visits FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO visits SELECT id, 1 FROM patients;
SELECT count(*) = 2000 AS all_routed, count(DISTINCT tableoid) = 4 AS spread FROM visits;
EXPLAIN (COSTS OFF) SELECT * FROM visits WHERE id = '110105194901010208';
-- the same value always lands in the same partition, whatever its input form
SELECT tableoid::regclass FROM visits WHERE id = '110105194901010208';
DROP TABLE visits;

-- binary COPY round trip (RECEIVE/SEND)
\copy patients TO 'results/patients.bin' WITH (FORMAT binary)
CREATE TABLE patients_copy (LIKE patients);
\copy patients_copy FROM 'results/patients.bin' WITH (FORMAT binary)
SELECT count(*) AS copied, count(*) FILTER (WHERE p.id IS NULL) AS missing
  FROM patients_copy c LEFT JOIN patients p USING (id, institution);

-- binary input is validated like text: a bigint that is not a valid body is refused
CREATE TABLE raw_numbers (id bigint, institution text);
INSERT INTO raw_numbers VALUES (11010519491301002, 'A');
\copy raw_numbers TO 'results/raw_numbers.bin' WITH (FORMAT binary)
\copy patients_copy FROM 'results/raw_numbers.bin' WITH (FORMAT binary)
SELECT count(*) FROM patients_copy;

-- merge join and hash join both work on the type
SET enable_hashjoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM patients p JOIN patients_copy c USING (id);
SELECT count(*) FROM patients p JOIN patients_copy c USING (id);
RESET enable_hashjoin;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM patients p JOIN patients_copy c USING (id);
SELECT count(*) FROM patients p JOIN patients_copy c USING (id);
RESET enable_mergejoin;
RESET enable_nestloop;

DROP TABLE patients, patients_copy, raw_numbers;
