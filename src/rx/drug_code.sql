-- healthhub.drug_code (docs/prescriptions.md): the 23-character national
-- medical insurance drug code, validated and stored in 16 bytes whose order
-- is the order of the text; its parts by drug_code_parts().

CREATE TYPE healthhub.drug_code;

CREATE FUNCTION healthhub.drug_code_in(cstring) RETURNS healthhub.drug_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_out(healthhub.drug_code) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_recv(internal) RETURNS healthhub.drug_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_send(healthhub.drug_code) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.drug_code (
    INPUT = healthhub.drug_code_in,
    OUTPUT = healthhub.drug_code_out,
    RECEIVE = healthhub.drug_code_recv,
    SEND = healthhub.drug_code_send,
    INTERNALLENGTH = 16,
    ALIGNMENT = char,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.drug_code IS
    'National medical insurance drug code: category, classification, generic name, dosage form, specification, packaging, manufacturer';

CREATE FUNCTION healthhub.drug_code_eq(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_ne(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_lt(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_le(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_gt(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_ge(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_cmp(healthhub.drug_code, healthhub.drug_code) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_hash(healthhub.drug_code) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_hash_extended(healthhub.drug_code, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: drug_code_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.drug_code) WITH INOUT;
CREATE CAST (healthhub.drug_code AS text) WITH INOUT;

CREATE FUNCTION healthhub.drug_code_parts(code healthhub.drug_code, OUT category text, OUT classification text,
                                          OUT generic_name text, OUT dosage_form text, OUT specification text,
                                          OUT packaging text, OUT manufacturer text)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_parts(healthhub.drug_code) IS
    'The seven parts of a drug code, as written in it';
CREATE FUNCTION healthhub.drug_code_generic(healthhub.drug_code) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_generic(healthhub.drug_code) IS
    'The first 10 characters (category, classification, generic name): one generic drug in any form or package';
CREATE FUNCTION healthhub.drug_code_class(healthhub.drug_code) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_class(healthhub.drug_code) IS
    'The first 6 characters (category and classification): the drug''s therapeutic class';
CREATE FUNCTION healthhub.drug_code_problem(text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_problem(text) IS
    'Why a text is not a drug code (NULL when it is one); never raises';
