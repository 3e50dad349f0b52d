-- The prescription area's types: healthhub.drug_code (the national drug
-- code) and healthhub.prescription (the content, JSON text form with the
-- national field names, the structural rules checked in C).
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
SET timezone = 'Asia/Shanghai';
\set VERBOSITY default
\set SHOW_CONTEXT never

-- drug codes: parts, normalisation, order
SELECT 'XA01ABD075A002010100483'::drug_code, ' xa01abd075a002010100483 '::drug_code;
SELECT * FROM drug_code_parts('XA01ABD075A002010100483');
SELECT * FROM drug_code_parts('ZA04BAL005B001020300129');
SELECT drug_code_generic('XA10BAE001A001010100001'), drug_code_class('XA10BAE001A001010100001');
SELECT c::text FROM unnest(ARRAY['ZA04BAL005B001020300129', 'XA10BAE001A001010100001', 'XA00AAA000A000000000000',
                                 'XZ99ZZZ999Z999999999999']::drug_code[]) c ORDER BY c;
-- every class of bad code
SELECT v, drug_code_problem(v) FROM unnest(ARRAY['', '   ', 'XA01ABD075A00201010048', 'XA01ABD075A0020101004831',
    'XA01ABD075A0020101004-3', 'XA01ABD075A00201010048３', 'YA01ABD075A002010100483', '1A01ABD075A002010100483',
    'X101ABD075A002010100483', 'XAA1ABD075A002010100483', 'XA01A1D075A002010100483', 'XA01AB1075A002010100483',
    'XA01ABDA75A002010100483', 'XA01ABD0751002010100483', 'XA01ABD075AA02010100483', 'XA01ABD075A0020101004A3',
    'XA01ABD075A002A10100483']) v;
SELECT 'YA01ABD075A002010100483'::drug_code;
SELECT ''::drug_code;
-- binary form: the 23 characters (binary COPY round trip, and bytes that are no code)
SELECT drug_code_send('XA01ABD075A002010100483'), convert_from(drug_code_send('XA01ABD075A002010100483'), 'UTF8');
-- (the file lives in the cluster's data directory: the server writes it as whoever runs it)
SELECT current_setting('data_directory') || '/healthhub_rx_types.bin' AS binfile \gset
CREATE TEMP TABLE code_bin (c drug_code);
COPY (SELECT 'XA01ABD075A002010100483'::drug_code) TO :'binfile' (FORMAT binary);
COPY code_bin FROM :'binfile' (FORMAT binary);
SELECT c FROM code_bin;
COPY (SELECT convert_to(v, 'UTF8') FROM unnest(ARRAY['xa01abd075a002010100483']) v) TO :'binfile' (FORMAT binary);
COPY code_bin FROM :'binfile' (FORMAT binary);
COPY (SELECT convert_to('XA01ABD075A00201010048', 'UTF8')) TO :'binfile' (FORMAT binary);
COPY code_bin FROM :'binfile' (FORMAT binary);
-- btree and hash classes
CREATE TEMP TABLE codes (c drug_code);
INSERT INTO codes SELECT ('XA10BAE' || lpad(g::text, 3, '0') || 'A001010100001')::drug_code FROM generate_series(1, 500) g;
CREATE INDEX ON codes (c);
CREATE INDEX codes_hash ON codes USING hash (c);
ANALYZE codes;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM codes WHERE c OPERATOR(healthhub.=) 'XA10BAE250A001010100001';
SELECT count(*) FROM codes WHERE c OPERATOR(healthhub.=) 'XA10BAE250A001010100001';
SELECT count(*) FROM codes WHERE c OPERATOR(healthhub.<) 'XA10BAE250A001010100001';
RESET enable_seqscan;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM codes a JOIN codes b USING (c);
SELECT count(*) FROM codes a JOIN codes b USING (c);
RESET enable_mergejoin;
RESET enable_nestloop;
SELECT count(DISTINCT c) FROM codes;

-- a prescription: the canonical text, the header and the lines
CREATE TEMP TABLE rx (n integer, p prescription);
INSERT INTO rx VALUES (1, '{"hosp_rxno": "RX-2026-0001", "rx_type_code": "3", "prsc_time": "2026-12-01 09:30:00",
    "valid_days": 3, "biz_type_code": "02", "fstdiag_flag": "0",
    "diseinfo": [{"diag_code": "E11.900"}, {"diag_code": "I10"}],
    "rxdrugdetail": [
      {"med_list_codg": "XA10BAE001A001010100001", "sin_doscnt": 0.5, "sin_dosunt": "g", "used_frqu_codg": "TID",
       "medc_days": 7, "drug_totlnt": 10.5, "dise_codg": "E11.900"},
      {"med_list_codg": "XC08CAA002A001010100009", "sin_doscnt": "5", "sin_dosunt": "mg", "used_frqu_codg": "qd",
       "medc_days": "7", "drug_totlnt": "35", "hosp_appr_flag": 1},
      {"med_list_codg": "xb01acA001A001010100010", "sin_doscnt": 100, "sin_dosunt": "mg", "used_frqu_codg": "qod",
       "medc_days": 7, "drug_totlnt": 350},
      {"med_list_codg": "XN02BEP001A001010100011", "sin_doscnt": 0.5, "sin_dosunt": "片", "used_frqu_codg": "prn",
       "medc_days": 3, "drug_totlnt": 6},
      {"med_list_codg": "XA02BCO001A001010100012", "sin_doscnt": 20, "sin_dosunt": "mg", "used_frqu_codg": "st",
       "medc_days": 1, "drug_totlnt": 20}]}');
INSERT INTO rx VALUES (2, '{"hosp_rxno": "LT_7", "init_rxno": "LT_6", "rx_type_code": 4, "long_rx_flag": "1",
    "prsc_time": "2026-12-01 23:59:59", "valid_days": 84, "biz_type_code": "01", "fstdiag_flag": 0, "rept_flag": "1",
    "max_rept_cnt": 3, "min_inrv_days": 28, "diseinfo": [{"diag_code": "I10"}],
    "rxdrugdetail": [{"med_list_codg": "XC08CAA002A001010100009", "sin_doscnt": 5, "sin_dosunt": "mg",
                      "used_frqu_codg": "biw", "medc_days": 28, "drug_totlnt": 40, "dise_codg": null}]}');
SELECT n, p FROM rx ORDER BY n;
SELECT n, (prescription_header(p)).* FROM rx ORDER BY n;
SELECT n, l.* FROM rx, prescription_lines(p) l ORDER BY n, l.line_no;
SELECT n, prescription_rxno(p), octet_length(prescription_send(p)) AS binary_bytes, pg_column_size(p) AS stored_bytes,
       length(p::text) AS text_bytes FROM rx ORDER BY n;
-- binary form: the stored bytes, checked again on receipt
CREATE TEMP TABLE rx_bin (p prescription);
COPY (SELECT p FROM rx ORDER BY n) TO :'binfile' (FORMAT binary);
COPY rx_bin FROM :'binfile' (FORMAT binary);
SELECT count(*) AS same_after_binary_copy FROM rx_bin b JOIN rx USING (p);
COPY (SELECT '\x01'::bytea) TO :'binfile' (FORMAT binary);
COPY rx_bin FROM :'binfile' (FORMAT binary);
-- (the bytes of prescription 2 with its total changed from 40 to 41: well formed, but the rule does not hold)
COPY (SELECT overlay(prescription_send(p) placing int8send(41000) from 58 for 8) FROM rx WHERE n = 2)
  TO :'binfile' (FORMAT binary);
COPY rx_bin FROM :'binfile' (FORMAT binary);
-- the text form is canonical: it reads back to the same value, and jsonb takes it
SELECT n, p::text::prescription OPERATOR(healthhub.=) p AS same, (p::jsonb)->>'rx_type_code' AS kind FROM rx ORDER BY n;
SELECT count(DISTINCT p) AS distinct_values, count(*) FROM (SELECT p FROM rx UNION ALL SELECT p FROM rx) x;

-- every class of bad input: the rule and where
CREATE FUNCTION pg_temp.with(field text, value jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT jsonb_set('{"hosp_rxno": "RX-1", "rx_type_code": "1", "prsc_time": "2026-12-01 09:30:00", "valid_days": 1,
                       "biz_type_code": "01", "fstdiag_flag": "1", "diseinfo": [{"diag_code": "J20.9"}],
                       "rxdrugdetail": [{"med_list_codg": "XJ01CAA001A001010100007", "sin_doscnt": 0.5, "sin_dosunt": "g",
                                         "used_frqu_codg": "tid", "medc_days": 5, "drug_totlnt": 7.5}]}'::jsonb,
                     string_to_array(field, '.'), value)::text
$$;
SELECT prescription_problem(pg_temp.with('hosp_rxno', '"RX-1"')) IS NULL AS the_base_is_good;
SELECT f, v, prescription_problem(pg_temp.with(f, v::jsonb)) FROM (VALUES
    ('hosp_rxno', '""'), ('hosp_rxno', '"RX 1"'), ('hosp_rxno', '"RX-1234567890123456789012345678901234567890"'),
    ('hosp_rxno', '1'), ('init_rxno', '"RX-1"'), ('rx_type_code', '"5"'), ('rx_type_code', '"ordinary"'),
    ('long_rx_flag', '"1"'), ('long_rx_flag', '"2"'), ('prsc_time', '"2026-02-30 09:30:00"'),
    ('prsc_time', '"2026-12-01T09:30:00"'), ('prsc_time', '"2026-12-01 24:00:00"'), ('valid_days', '0'),
    ('valid_days', '367'), ('valid_days', '1.5'), ('valid_days', '-1'), ('biz_type_code', '"03"'), ('biz_type_code', '2'),
    ('fstdiag_flag', '"yes"'), ('rept_flag', '"1"'), ('max_rept_cnt', '2'), ('max_rept_cnt', '0'), ('max_rept_cnt', '100'),
    ('min_inrv_days', '7'), ('diseinfo', '[]'), ('diseinfo', '{"diag_code": "J20.9"}'), ('diseinfo', '["J20.9"]'),
    ('diseinfo', '[{"diag_code": "J20.9"}, {"diag_code": "J20.9"}]'), ('diseinfo', '[{"diag_code": "flu"}]'),
    ('diseinfo', '[{"diag_code": "J20.9", "diag_name": "急性支气管炎"}]'), ('diseinfo', '[{}]'),
    ('rxdrugdetail', '[]'), ('rxdrugdetail.0.med_list_codg', '"XJ01CAA001A00101010000"'),
    ('rxdrugdetail.0.sin_doscnt', '0'), ('rxdrugdetail.0.sin_doscnt', '-0.5'), ('rxdrugdetail.0.sin_doscnt', '0.0005'),
    ('rxdrugdetail.0.sin_doscnt', '5e-1'), ('rxdrugdetail.0.sin_doscnt', '1000001'), ('rxdrugdetail.0.sin_doscnt', '"½"'),
    ('rxdrugdetail.0.sin_dosunt', '""'), ('rxdrugdetail.0.sin_dosunt', '"m g"'),
    ('rxdrugdetail.0.sin_dosunt', '"毫克毫克毫克毫克毫克毫克毫克"'), ('rxdrugdetail.0.used_frqu_codg', '"thrice"'),
    ('rxdrugdetail.0.medc_days', '0'), ('rxdrugdetail.0.drug_totlnt', '7.4'), ('rxdrugdetail.0.drug_totlnt', '8.5'),
    ('rxdrugdetail.0.drug_totlnt', '8.499'), ('rxdrugdetail.0.used_frqu_codg', '"st"'),
    ('rxdrugdetail.0.hosp_appr_flag', '"Y"'), ('rxdrugdetail.0.dise_codg', '"I10"'),
    ('rxdrugdetail.0.med_list_codg', '{"code": "XJ01CAA001A001010100007"}'), ('rxdrugdetail.0.price', '1'),
    ('rxdrugdetail.0', '"XJ01CAA001A001010100007"'), ('patient_name', '"施耐庵"')) x(f, v)
ORDER BY f, v;
-- five drugs at most; one line per drug
SELECT prescription_problem(pg_temp.with('rxdrugdetail', (SELECT jsonb_agg(jsonb_build_object(
           'med_list_codg', 'XJ01CAA00' || g || 'A001010100007', 'sin_doscnt', 1, 'sin_dosunt', 'g', 'used_frqu_codg', 'qd',
           'medc_days', 1, 'drug_totlnt', 1)) FROM generate_series(1, 6) g))) AS six_drugs;
SELECT prescription_problem(pg_temp.with('rxdrugdetail', (SELECT jsonb_agg(jsonb_build_object(
           'med_list_codg', 'XJ01CAA001A001010100007', 'sin_doscnt', 1, 'sin_dosunt', 'g', 'used_frqu_codg', 'qd',
           'medc_days', 1, 'drug_totlnt', 1)) FROM generate_series(1, 2) g))) AS same_drug_twice;
-- not JSON, not an object, a field twice, a field missing
SELECT v, prescription_problem(v) FROM unnest(ARRAY['', 'rx', '[]', '"RX-1"', 'null', '{"hosp_rxno": "A", "hosp_rxno": "B"}',
    '{"hosp_rxno": "A"}', '{"hosp_rxno": "A", "rx_type_code": 1, "prsc_time": "2026-12-01 09:30:00", "valid_days": 1, '
    || '"biz_type_code": "01", "fstdiag_flag": 0, "diseinfo": [{"diag_code": "J20.9"}]}']) v;
SELECT prescription_problem(repeat(' ', 5000)) AS too_long;
SELECT prescription_problem(replace(pg_temp.with('valid_days', '1'), '"sin_doscnt": 0.5', '"sin_doscnt": 5e-1')) AS exponent;
-- the error a user sees
SELECT pg_temp.with('valid_days', '0')::prescription;
SELECT '{"hosp_rxno": '::prescription;
