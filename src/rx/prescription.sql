-- healthhub.prescription (docs/prescriptions.md): the content of an
-- electronic prescription, stored in a compact canonical binary form; its
-- text form is JSON with the national circulation field names.  The
-- structural rules are checked on input (in C); the rules that need data
-- are policy rows (src/rx/policy.sql).

CREATE TYPE healthhub.prescription;

CREATE FUNCTION healthhub.prescription_in(cstring) RETURNS healthhub.prescription
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_out(healthhub.prescription) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_recv(internal) RETURNS healthhub.prescription
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_send(healthhub.prescription) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.prescription (
    INPUT = healthhub.prescription_in,
    OUTPUT = healthhub.prescription_out,
    RECEIVE = healthhub.prescription_recv,
    SEND = healthhub.prescription_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = extended
);
COMMENT ON TYPE healthhub.prescription IS
    'An electronic prescription''s content: header, diagnoses and 1 to 5 drug lines (JSON text, national field names)';

CREATE FUNCTION healthhub.prescription_eq(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_ne(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_lt(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_le(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_gt(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_ge(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_cmp(healthhub.prescription, healthhub.prescription) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_hash(healthhub.prescription) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_hash_extended(healthhub.prescription, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: prescription_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.prescription) WITH INOUT;
CREATE CAST (healthhub.prescription AS text) WITH INOUT;
CREATE CAST (jsonb AS healthhub.prescription) WITH INOUT;
CREATE CAST (healthhub.prescription AS jsonb) WITH INOUT;

CREATE FUNCTION healthhub.prescription_rxno(healthhub.prescription) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.prescription_rxno(healthhub.prescription) IS
    'The hospital''s prescription number (hosp_rxno)';
CREATE FUNCTION healthhub.prescription_header(p healthhub.prescription, OUT rxno text, OUT original_rxno text,
                                              OUT kind text, OUT online boolean, OUT first_visit boolean,
                                              OUT issued_at timestamptz, OUT valid_days integer,
                                              OUT dispenses integer, OUT interval_days integer,
                                              OUT days_supply integer, OUT diagnoses text[])
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.prescription_header(healthhub.prescription) IS
    'The header: number, original (renewals), kind, online, first visit, time of issue, validity, dispenses allowed, their interval, the longest days'' supply, diagnoses';
CREATE FUNCTION healthhub.prescription_lines(p healthhub.prescription)
    RETURNS TABLE (line_no integer, drug healthhub.drug_code, dose numeric, dose_unit text, frequency text,
                   times integer, every_days integer, days integer, total numeric, hospital_approved boolean,
                   diagnosis text)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;
COMMENT ON FUNCTION healthhub.prescription_lines(healthhub.prescription) IS
    'The drug lines in order: drug code, single dose and unit, frequency (times per every_days days), days, total, hospital approval, diagnosis';
CREATE FUNCTION healthhub.prescription_problem(text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.prescription_problem(text) IS
    'Why a text is not a prescription (NULL when it is one); never raises';
