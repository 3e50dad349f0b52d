-- healthhub.emr_ref: references to EMR documents held at institutions
SET search_path = healthhub, public;
\set d '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'

-- the text form; input is normalised (hex and algorithm in any case, outer
-- blanks) and prints canonically
SELECT ('discharge_summary:121200004013590816:ZY-2026-000123:20261201T083000Z:sha256:' || :'d')::emr_ref;
SELECT ('  lab_report:91110000600037341L:LIS/2026/7:20240229T235959Z:SM3:' || upper(:'d') || E'\n')::emr_ref;
SELECT ('a:91110000600037341L:a:00010101T000000Z:sha256:' || :'d')::emr_ref AS first_second,
       ('a:91110000600037341L:a:99991231T235959Z:sha256:' || :'d')::emr_ref AS last_second;

-- every part is checked: each bad input gets its own detail (22P02)
\set VERBOSITY default
SELECT ''::emr_ref;
SELECT 'lab_report:91110000600037341L:LIS-1:20240229T235959Z:sha256'::emr_ref;
SELECT ('Lab_report:91110000600037341L:LIS-1:20240229T235959Z:sha256:' || :'d')::emr_ref;
SELECT ('lab_report:91110000600037341X:LIS-1:20240229T235959Z:sha256:' || :'d')::emr_ref;
SELECT ('lab_report:91110000600037341L?:LIS-1:20240229T235959Z:sha256:' || :'d')::emr_ref;
SELECT ('lab_report:91110000600037341L:LIS 1:20240229T235959Z:sha256:' || :'d')::emr_ref;
SELECT ('lab_report:91110000600037341L::20240229T235959Z:sha256:' || :'d')::emr_ref;
SELECT ('lab_report:91110000600037341L:' || repeat('x', 65) || ':20240229T235959Z:sha256:' || :'d')::emr_ref;
SELECT ('lab_report:91110000600037341L:LIS-1:20230229T120000Z:sha256:' || :'d')::emr_ref;
SELECT ('lab_report:91110000600037341L:LIS-1:20241231T235960Z:sha256:' || :'d')::emr_ref;
SELECT ('lab_report:91110000600037341L:LIS-1:2024-02-29T12:00:00Z:sha256:' || :'d')::emr_ref;
SELECT ('lab_report:91110000600037341L:LIS-1:00000101T000000Z:sha256:' || :'d')::emr_ref;
SELECT ('lab_report:91110000600037341L:LIS-1:20240229T235959Z:md5:' || :'d')::emr_ref;
SELECT ('lab_report:91110000600037341L:LIS-1:20240229T235959Z:sha256:' || left(:'d', 62))::emr_ref;
SELECT ('lab_report:91110000600037341L:LIS-1:20240229T235959Z:sha256:' || left(:'d', 63) || 'g')::emr_ref;
-- the same check without raising (what loads report per row)
SELECT t, emr_ref_problem(t) FROM (VALUES ('x'), ('lab_report:91110000600037341L:LIS-1:20240229T235959Z:sha256:' || :'d')) v(t);

-- built from parts; the service time kept to the whole second (floor, also before 2000)
SELECT emr_ref('discharge_summary', '121200004013590816', 'ZY-2026-000123', '2026-12-01 16:30:00.75+08',
               decode(:'d', 'hex'));
SELECT emr_ref_service_time(emr_ref('exam_report', '121200004013590816', 'PACS.1', '1999-12-31 23:59:59.5+00',
                                    decode(:'d', 'hex'), 'SM3')) AT TIME ZONE 'UTC' AS floored;
SELECT emr_ref('exam_report', '121200004013590816', 'PACS.1', 'infinity', decode(:'d', 'hex'));
SELECT emr_ref('exam_report', '121200004013590816', 'PACS.1', '10000-01-01', decode(:'d', 'hex'));
SELECT emr_ref('exam_report', '121200004013590816', 'PACS.1', now(), '\x0102');
SELECT emr_ref('exam_report', '121200004013590816', 'PACS.1', now(), decode(:'d', 'hex'), 'md5');
SELECT emr_ref('Exam', '121200004013590816', 'PACS.1', now(), decode(:'d', 'hex'));
SELECT emr_ref('exam_report', '12120000401359081X', 'PACS.1', now(), decode(:'d', 'hex'));
SELECT emr_ref('exam_report', '121200004013590816', 'PACS:1', now(), decode(:'d', 'hex'));
SELECT emr_ref('exam_report', '121200004013590816', 'PACS.1', now(), decode(:'d', 'hex'), NULL) IS NULL AS strict;

-- the parts
SELECT emr_ref_kind(r), emr_ref_institution(r), emr_ref_local_id(r), emr_ref_service_time(r) AT TIME ZONE 'Asia/Shanghai' AS beijing_time,
       emr_ref_digest_algorithm(r), encode(emr_ref_digest(r), 'hex') = :'d' AS digest
  FROM (SELECT ('discharge_summary:121200004013590816:ZY-2026-000123:20261201T083000Z:sha256:' || :'d')::emr_ref AS r) x;

-- equality, order (kind, institution, local id, time, algorithm, digest), hashing
CREATE TABLE refs (r emr_ref);
INSERT INTO refs
SELECT emr_ref(k, i, l, t, decode(repeat(h, 32), 'hex'), a)
  FROM unnest(ARRAY['lab_report', 'exam_report']) k, unnest(ARRAY['91110000600037341L', '121200004013590816']) i,
       unnest(ARRAY['B-2', 'A-10']) l, unnest(ARRAY['2026-01-01Z', '2025-06-30Z']::timestamptz[]) t,
       unnest(ARRAY['ff', '00']) h, unnest(ARRAY['sm3', 'sha256']) a;
SELECT count(*), count(DISTINCT r) FROM refs;
SELECT emr_ref_kind(r), emr_ref_institution(r), emr_ref_local_id(r), (emr_ref_service_time(r) AT TIME ZONE 'UTC')::date,
       emr_ref_digest_algorithm(r), left(encode(emr_ref_digest(r), 'hex'), 4)
  FROM refs ORDER BY r LIMIT 6;
SELECT (SELECT array_agg(r ORDER BY r) FROM refs) = (SELECT array_agg(r ORDER BY r::text COLLATE "C") FROM refs)
       AS same_as_text_order_here;
CREATE INDEX ON refs (r);
CREATE INDEX refs_hash ON refs USING hash (r);
SET enable_seqscan = off;
SELECT count(*) FROM refs WHERE r = emr_ref('lab_report', '91110000600037341L', 'A-10', '2026-01-01Z', decode(repeat('00', 32), 'hex'), 'sm3');
SELECT count(*) FROM refs WHERE r < emr_ref('exam_report', '91110000600037341L', 'A-10', '2025-01-01Z', decode(repeat('00', 32), 'hex'));
RESET enable_seqscan;
SELECT emr_ref_hash(r) = emr_ref_hash(r::text::emr_ref) AS hash_stable, emr_ref_hash_extended(r, 0) = emr_ref_hash_extended(r, 0) AS ext
  FROM refs LIMIT 1;
CREATE TABLE refs_part (r emr_ref) PARTITION BY HASH (r);
CREATE TABLE refs_part_0 PARTITION OF refs_part FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE refs_part_1 PARTITION OF refs_part FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO refs_part SELECT r FROM refs;
SELECT count(*) FROM refs_part;

-- binary form (COPY BINARY) round-trips; bad binary input is refused (22P03)
\copy refs TO 'results/refs.bin' WITH (FORMAT binary)
CREATE TABLE refs_copy (LIKE refs);
\copy refs_copy FROM 'results/refs.bin' WITH (FORMAT binary)
SELECT count(*) AS same FROM refs_copy c JOIN refs r USING (r);
CREATE TABLE raw_bytes (r bytea);
-- the first reference's bytes with the institution's check character changed
INSERT INTO raw_bytes SELECT overlay(emr_ref_send(r) PLACING 'X' FROM 1 + 1 + octet_length(emr_ref_kind(r)) + 17 FOR 1)
  FROM refs ORDER BY r LIMIT 1;
\copy raw_bytes TO 'results/raw_er.bin' WITH (FORMAT binary)
\copy refs_copy FROM 'results/raw_er.bin' WITH (FORMAT binary)
TRUNCATE raw_bytes;
-- an algorithm that does not exist
INSERT INTO raw_bytes SELECT overlay(emr_ref_send(r) PLACING '\x07' FROM octet_length(emr_ref_send(r)) - 32 FOR 1)
  FROM refs ORDER BY r LIMIT 1;
\copy raw_bytes TO 'results/raw_er.bin' WITH (FORMAT binary)
\copy refs_copy FROM 'results/raw_er.bin' WITH (FORMAT binary)
TRUNCATE raw_bytes;
-- cut short
INSERT INTO raw_bytes SELECT substr(emr_ref_send(r), 1, 30) FROM refs ORDER BY r LIMIT 1;
\copy raw_bytes TO 'results/raw_er.bin' WITH (FORMAT binary)
\copy refs_copy FROM 'results/raw_er.bin' WITH (FORMAT binary)
DROP TABLE refs, refs_copy, refs_part, raw_bytes;

-- the document kinds: WS/T 500's 53 parts shipped, a region adds its own
SELECT count(*) AS shipped, min(wst500_part), max(wst500_part), count(loinc) AS with_loinc
  FROM document_kinds WHERE origin = 'shipped';
SELECT wst500_part, kind, name_zh, loinc FROM document_kinds WHERE wst500_part IN (1, 6, 7, 53) ORDER BY 1;
INSERT INTO document_kinds (kind, name_zh, name_en) VALUES ('physical_exam_report', '健康体检报告', 'health check-up report');
INSERT INTO document_kinds (kind, name_zh, name_en) VALUES ('Bad Kind', 'x', 'x');
INSERT INTO document_kinds (kind, wst500_part, name_zh, name_en) VALUES ('part_54', 54, 'x', 'x');
DELETE FROM document_kinds WHERE kind = 'lab_report';
DELETE FROM document_kinds WHERE kind = 'physical_exam_report';

-- a FHIR R4 DocumentReference of an entry (no personal data: the caller adds the subject)
SELECT jsonb_pretty(to_fhir_document_reference(
    ('discharge_summary:121200004013590816:ZY-2026-000123:20261201T083000Z:sha256:' || :'d')::emr_ref,
    'https://emr.example/ZY-2026-000123', 20480, 'application/pdf', 'restricted'));
SELECT d->'type'->'coding' AS coding, d->>'status' AS status, d->'content'->0->'attachment' ? 'size' AS has_size,
       d->'securityLabel'->0->'coding'->0->>'code' AS label
  FROM to_fhir_document_reference(('treatment_record:121200004013590816:T-1:20261201T083000Z:sm3:' || :'d')::emr_ref,
                                   'https://pacs.example/T-1', 5000000000, 'application/dicom', 'very_restricted', 'withdrawn') d;
