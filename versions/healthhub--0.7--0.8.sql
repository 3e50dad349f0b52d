-- healthhub 0.7 -> 0.8 (the release being built: docs/development.md,
-- "Releases").  Every change to the SQL of src/ since 0.7 is written here
-- too, by hand; t/003 compares the result with a fresh install.  The new
-- room (src/records/) is appended whole by the Makefile (NEW_PARTS).
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.8'" to load this file. \quit

-- One profile check for every area's functions (src/platform/profiles.sql).
CREATE FUNCTION healthhub.require_profile(profiles text[], what text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (the profiles first: most callers hold one)
    IF NOT EXISTS (SELECT FROM healthhub.effective_profiles(healthhub.acting_role()) ep
                    WHERE ep.profile = ANY (profiles))
       AND NOT healthhub.acting_role_is_admin() THEN
        RAISE EXCEPTION 'role % may not %', healthhub.acting_role(), what
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = CASE WHEN cardinality(profiles) = 0 THEN 'That is for hub_admin.'
                                ELSE format('That is for the profiles %s and hub_admin.', array_to_string(profiles, ', ')) END;
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.require_profile(text[], text) IS
    'Raise 42501 unless the acting role runs the hub or holds one of the profiles';

REVOKE ALL ON FUNCTION healthhub.require_profile(text[], text) FROM PUBLIC;

-- A person's audit entries, for healthhub.accesses_of (src/platform/audit.sql).
CREATE INDEX audit_entries_person ON healthhub.audit_entries (person_key, entry_id) WHERE person_key IS NOT NULL;

-- Health codes (review of 0.7): a dynamic code's number is the milliseconds
-- of its issue or one more than the last, so a restored hub never numbers
-- below what it issued; deleting a kind does not reset the numbering.
ALTER TABLE healthhub.code_sequences DROP CONSTRAINT code_sequences_kind_fkey,
    ADD CONSTRAINT code_sequences_kind_fkey FOREIGN KEY (kind) REFERENCES healthhub.health_code_kinds;
COMMENT ON TABLE healthhub.code_sequences IS
    'The sequence number of the last dynamic health code this hub issued per subject and kind';
CREATE OR REPLACE FUNCTION healthhub.issue_health_code(subject text, kind text, status text DEFAULT NULL)
    RETURNS healthhub.health_code
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
    key healthhub.signing_keys;
    code healthhub.health_code;
    seq bigint;
    -- (the clock, not the transaction's start; a code's times are whole seconds)
    issued timestamptz := date_trunc('second', clock_timestamp());
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.issue_health_code', ARRAY['subject', 'kind'],
                                        ARRAY[subject IS NULL, kind IS NULL]);
    IF btrim(subject) = '' OR length(subject) > 100 THEN
        RAISE EXCEPTION 'invalid subject: %', quote_literal(subject)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A subject is a person key or a health card id, 1 to 100 characters.';
    END IF;
    k := healthhub.code_kind(kind);
    IF (k.statuses IS NULL) <> (status IS NULL) OR NOT (status IS NULL OR status = ANY (k.statuses)) THEN
        RAISE EXCEPTION 'invalid status % for a code of kind %', coalesce(quote_literal(status), 'NULL'), kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN k.statuses IS NULL THEN 'A code of this kind has no status.'
                                ELSE format('The statuses are %s.', array_to_string(k.statuses, ', ')) END;
    END IF;
    -- the newest key valid now for the kind; a retirement waits for this
    -- transaction (and an issue after it sees the key retired).  Retired by
    -- the clock, not by this transaction's start: a retirement that began
    -- after this transaction did has a retired_at later than now(), and its
    -- key signed codes refused as soon as they were issued
    -- (specs/healthcode_key_retirement.spec).
    SELECT * INTO key FROM healthhub.signing_keys s
     WHERE s.valid @> issued AND (s.retired_at IS NULL OR s.retired_at > clock_timestamp())
       AND (s.kinds IS NULL OR issue_health_code.kind = ANY (s.kinds))
     ORDER BY lower(s.valid) DESC, s.created_at DESC
     LIMIT 1
       FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this hub has no signing key for codes of kind %', kind
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A hub_admin makes one with healthhub.create_signing_key().';
    END IF;
    IF k.dynamic THEN
        INSERT INTO healthhub.code_sequences AS s (subject, kind, person_key, last_seq)
        VALUES (btrim(subject), k.kind, healthhub.subject_person(btrim(subject)),
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
        ON CONFLICT ON CONSTRAINT code_sequences_pkey
           DO UPDATE SET last_seq = greatest(s.last_seq + 1, EXCLUDED.last_seq)
        RETURNING s.last_seq INTO seq;
    END IF;
    code := healthhub.code_sign(key.private_key, key.alg, key.kid, healthhub.hub_id()::text, btrim(subject), issued,
                                issued + k.lifetime, kind, status, seq)::healthhub.health_code;
    -- (a read.* action: committed before the code is returned, so no code
    -- leaves untraced, whatever the caller's transaction does next)
    PERFORM healthhub.audit_append('read.health_code.issue', 'health_code', encode(healthhub.code_hash(code), 'hex'),
                                   healthhub.subject_person(btrim(subject)),
                                   'health code issuance', 'ok');
    RETURN code;
END
$$;
COMMENT ON FUNCTION healthhub.issue_health_code(text, text, text) IS
    'Issue a signed health code of a kind (with its status; dynamic codes numbered by the hub) for a subject';


-- Trust lists (review of 0.7): a key retired here or by its issuer and then
-- left off a list is retired now and for good; retire_key takes over a key
-- a list left off.
CREATE OR REPLACE FUNCTION healthhub.import_trust_list(document bytea) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
    signer healthhub.trusted_keys;
    list jsonb;
    list_issuer text;
    seq bigint;
    lid bigint;
    n integer;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.import_trust_list', ARRAY['document'], ARRAY[document IS NULL]);
    d := healthhub.code_document_open(document);
    SELECT * INTO signer FROM healthhub.trusted_keys t
     WHERE t.kid = d.kid AND t.valid @> clock_timestamp() AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp())
       AND healthhub.code_document_verify(document, t.public_key)
     ORDER BY t.key_id LIMIT 1;
    PERFORM healthhub.require_trust_list(FOUND,
        format('No key trusted now signed it (key id %s): trust the issuer''s key first (trust_public_key).',
               encode(d.kid, 'hex')));
    BEGIN
        list := convert_from(d.payload, 'UTF8')::jsonb;
    EXCEPTION WHEN data_exception THEN
        PERFORM healthhub.require_trust_list(false, 'Its payload is not a JSON document.');
    END;
    list_issuer := list->>'issuer';
    PERFORM healthhub.require_trust_list(list_issuer = signer.issuer,
        format('It lists the keys of %s but is signed by a key of %s.', coalesce(list_issuer, 'nobody'), signer.issuer));
    PERFORM healthhub.require_trust_list(list_issuer <> healthhub.hub_id()::text, 'It is this hub''s own list.');
    PERFORM healthhub.require_trust_list(jsonb_typeof(list->'keys') = 'array' AND jsonb_typeof(list->'sequence') = 'number',
        'A trust list has an issuer, a sequence number and an array of keys.');
    seq := (list->>'sequence')::bigint;
    PERFORM healthhub.require_trust_list(
        seq > coalesce((SELECT max(l.sequence) FROM healthhub.trust_lists l WHERE l.issuer = list_issuer), -1),
        format('A list of %s as new or newer was imported already (sequence %s).', list_issuer, seq));
    PERFORM healthhub.require_trust_list(
        NOT EXISTS (SELECT 1 FROM jsonb_array_elements(list->'keys') k
                     WHERE healthhub.code_kid(decode(k->>'public_key', 'base64')) <> decode(k->>'kid', 'hex')),
        'A key''s id is not the first 8 bytes of SHA-256 of its public key.');
    INSERT INTO healthhub.trust_lists (issuer, sequence, signed_at, signer_kid, document)
    VALUES (list_issuer, seq, (list->>'signed_at')::timestamptz, d.kid, document)
    RETURNING list_id INTO lid;
    INSERT INTO healthhub.trusted_keys AS t (issuer, kid, alg, public_key, valid, key_usage, origin, trust_list,
                                             retired_at, retired_reason, retired_by)
    SELECT list_issuer, decode(k->>'kid', 'hex'), k->>'alg', decode(k->>'public_key', 'base64'),
           tstzrange((k->>'valid_from')::timestamptz, (k->>'valid_to')::timestamptz),
           -- (kinds: JSON null is "every kind")
           CASE WHEN jsonb_typeof(k->'kinds') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(k->'kinds')) END,
           'trust_list', lid, (k->>'retired_at')::timestamptz, k->>'retired_reason',
           CASE WHEN k->>'retired_at' IS NOT NULL THEN 'issuer' END
      FROM jsonb_array_elements(list->'keys') k
    ON CONFLICT ON CONSTRAINT trusted_keys_issuer_kid_public_key_key DO UPDATE
       SET alg = EXCLUDED.alg, valid = EXCLUDED.valid, key_usage = EXCLUDED.key_usage, origin = 'trust_list',
           trust_list = EXCLUDED.trust_list,
           -- a retirement stands (the earlier of the two wins: no list undoes or
           -- postpones one, whoever holds the issuer's key); a key an earlier
           -- list left off is trusted again when listed again
           (retired_at, retired_reason, retired_by) =
               (SELECT r.* FROM (VALUES (t.retired_at, t.retired_reason, t.retired_by),
                                        (EXCLUDED.retired_at, EXCLUDED.retired_reason, EXCLUDED.retired_by))
                                r (retired_at, retired_reason, retired_by)
                 WHERE r.retired_by IS DISTINCT FROM 'left off'
                 ORDER BY r.retired_at NULLS LAST LIMIT 1);
    -- the DCC rule: a key left off the newest list is no longer trusted.  (A
    -- key retired here or by its issuer for later is retired now instead:
    -- its retirement stands, brought forward; only a key nobody retired is
    -- 'left off', trusted again when listed again.)
    UPDATE healthhub.trusted_keys t SET retired_at = clock_timestamp(),
           retired_reason = coalesce(t.retired_reason, format('not on trust list %s', seq)),
           retired_by = coalesce(t.retired_by, 'left off')
     WHERE t.issuer = list_issuer AND t.trust_list IS DISTINCT FROM lid AND t.origin IN ('trust_list', 'public_key')
       AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp());
    PERFORM healthhub.audit_append('trust_list.import', 'trust_list', lid::text, NULL, 'health code keys', 'ok');
    SELECT count(*) INTO n FROM healthhub.trusted_keys t
     WHERE t.issuer = list_issuer AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp());
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.import_trust_list(bytea) IS
    'Import another hub''s trust list, verified against a key of that hub trusted beforehand; it replaces the previous one';

CREATE OR REPLACE FUNCTION healthhub.retire_key(kid bytea, reason text, "at" timestamptz DEFAULT pg_catalog.now(),
                                    issuer text DEFAULT NULL) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.retire_key', ARRAY['kid', 'reason', 'at'],
                                        ARRAY[kid IS NULL, reason IS NULL, "at" IS NULL]);
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'retiring a key needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (a key retired later may be retired earlier, never later)
    UPDATE healthhub.signing_keys s SET retired_at = "at", retired_reason = reason
     WHERE s.kid = retire_key.kid AND (s.retired_at IS NULL OR s.retired_at > "at")
       AND (retire_key.issuer IS NULL OR retire_key.issuer = healthhub.hub_id()::text);
    -- (a key a trust list left off is retired here for good, from the
    -- earlier of the two times: no list brings it back)
    UPDATE healthhub.trusted_keys t SET retired_at = least(t.retired_at, "at"), retired_reason = reason, retired_by = 'here'
     WHERE t.kid = retire_key.kid AND (t.retired_at IS NULL OR t.retired_at > "at" OR t.retired_by = 'left off')
       AND (retire_key.issuer IS NULL OR t.issuer = retire_key.issuer);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RAISE EXCEPTION 'no trusted key % to retire', encode(kid, 'hex')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'No key of that kid is trusted and not retired by then' ||
                           CASE WHEN issuer IS NOT NULL THEN format(' for issuer %s.', issuer) ELSE '.' END;
    END IF;
    RETURN n;
END
$$;


-- Shipped rows (review of 0.7): a changed shipped row is 'changed' (was
-- 'local'), dumped with the local ones; neither a shipped nor a changed row
-- may be deleted or change its key (the old row would come back with the
-- next restore).
CREATE OR REPLACE FUNCTION healthhub.shipped_row_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    columns text;
    key_type_schema name;
    replaced boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.origin <> 'local' THEN
            RAISE EXCEPTION 'cannot delete % %, a row healthhub ships', TG_TABLE_NAME, quote_literal(to_jsonb(OLD)->>TG_ARGV[0])
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'CREATE EXTENSION makes the rows healthhub ships: a deleted one would come back with the next restore.',
                      HINT = 'Change the row instead: pg_dump keeps a changed row.';
        END IF;
        RETURN OLD;
    ELSIF TG_OP = 'UPDATE' THEN
        IF OLD.origin <> 'local' AND to_jsonb(NEW)->TG_ARGV[0] IS DISTINCT FROM to_jsonb(OLD)->TG_ARGV[0] THEN
            RAISE EXCEPTION 'cannot change the key of % %, a row healthhub ships', TG_TABLE_NAME,
                            quote_literal(to_jsonb(OLD)->>TG_ARGV[0])
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'The row under its old key would come back with the next restore.';
        END IF;
        NEW.origin := CASE WHEN OLD.origin = 'local' THEN 'local' ELSE 'changed' END;
        RETURN NEW;
    ELSIF NEW.origin <> 'shipped' THEN
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO columns
          FROM pg_catalog.pg_attribute a WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped;
        -- (the key's equality operator lives with its type: region_code's in healthhub)
        SELECT n.nspname INTO key_type_schema
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
          JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
         WHERE a.attrelid = TG_RELID AND a.attname = TG_ARGV[0];
        EXECUTE format('UPDATE %I.%I t SET (%s) = (SELECT ($1).*) WHERE t.%I OPERATOR(%I.=) ($1).%I AND t.origin = ''shipped'' RETURNING true',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME, columns, TG_ARGV[0], key_type_schema, TG_ARGV[0])
           INTO replaced USING NEW;
        IF replaced THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN NEW;
END
$$;

ALTER TABLE healthhub.regions DROP CONSTRAINT regions_origin_check,
    ADD CONSTRAINT regions_origin_check CHECK (origin IN ('shipped', 'changed', 'local'));
ALTER TABLE healthhub.place_categories DROP CONSTRAINT place_categories_origin_check,
    ADD CONSTRAINT place_categories_origin_check CHECK (origin IN ('shipped', 'changed', 'local'));
ALTER TABLE healthhub.health_code_kinds DROP CONSTRAINT health_code_kinds_origin_check,
    ADD CONSTRAINT health_code_kinds_origin_check CHECK (origin IN ('shipped', 'changed', 'local'));
SELECT pg_catalog.pg_extension_config_dump('healthhub.regions', 'WHERE origin <> ''shipped''');
SELECT pg_catalog.pg_extension_config_dump('healthhub.place_categories', 'WHERE origin <> ''shipped''');
SELECT pg_catalog.pg_extension_config_dump('healthhub.health_code_kinds', 'WHERE origin <> ''shipped''');

-- Loads of encounters and results (src/records/).
ALTER TABLE healthhub.loads DROP CONSTRAINT loads_kind_check,
    ADD CONSTRAINT loads_kind_check CHECK (kind IN ('registry', 'person_records', 'encounters', 'results'));
COMMENT ON TABLE healthhub.loads IS 'Every load of a file (registry, person records, encounters, results), keyed on (source, file digest); mode snapshot or delta';
CREATE OR REPLACE FUNCTION healthhub.require_load_key(source text, file_digest text, kind text DEFAULT 'person_records',
                                           mode text DEFAULT 'delta') RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    noun text := CASE kind WHEN 'person_records' THEN 'batch name' ELSE 'load source' END;
BEGIN
    IF kind IS NULL OR kind NOT IN ('registry', 'person_records', 'encounters', 'results') THEN
        RAISE EXCEPTION 'invalid load kind: %', coalesce(quote_literal(kind), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The kinds are registry, person_records, encounters and results.';
    END IF;
    IF source IS NULL OR btrim(source) !~ '^[A-Za-z0-9_.:-]{1,64}$' THEN
        RAISE EXCEPTION 'invalid %: %', noun, coalesce(quote_literal(source), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('A %s is 1 to 64 letters, digits, "_", ".", ":" or "-".', noun);
    END IF;
    IF file_digest IS NULL OR lower(btrim(file_digest)) !~ '^([a-z0-9]+:)?[0-9a-f]{32,128}$' THEN
        RAISE EXCEPTION 'invalid file digest: %', coalesce(quote_literal(file_digest), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A file digest is 32 to 128 hex digits, optionally after an algorithm name and a colon.',
                  HINT = 'For example ''sha256:'' || the output of sha256sum of the file.';
    END IF;
    IF mode IS NULL OR mode NOT IN ('snapshot', 'delta') THEN
        RAISE EXCEPTION 'invalid load mode: %', coalesce(quote_literal(mode), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A load is a "snapshot" (rows of the source absent from the file are ended) or a "delta".';
    END IF;
END
$$;


-- The persons merged into one, found by index (shared records' consents).
CREATE INDEX persons_redirected ON healthhub.persons (redirected_to) WHERE redirected_to IS NOT NULL;

-- Read paths (issue 13's benchmark): region_code_contains in PL/pgSQL, so
-- its lookup is planned once per session (src/ident/regions.sql).
CREATE OR REPLACE FUNCTION healthhub.region_code_contains(outer_region healthhub.region_code, inner_region healthhub.region_code)
    RETURNS boolean LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    up healthhub.region_code;
BEGIN
    SELECT r.parent INTO up FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) inner_region;
    IF NOT FOUND THEN
        RETURN outer_region OPERATOR(healthhub.=) inner_region
            OR outer_region OPERATOR(healthhub.=) healthhub.region_code_province(inner_region)
            OR (healthhub.region_code_nominal_level(outer_region) = 'prefecture'
                AND outer_region::integer = inner_region::integer / 100 * 100);
    END IF;
    IF outer_region OPERATOR(healthhub.=) inner_region THEN
        RETURN true;
    END IF;
    FOR depth IN 1..4 LOOP              -- (county, city, province: never deeper)
        EXIT WHEN up IS NULL;
        IF up OPERATOR(healthhub.=) outer_region THEN
            RETURN true;
        END IF;
        up := (SELECT r.parent FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) up);
    END LOOP;
    RETURN false;
END
$$;

-- healthhub.emr_ref (docs/records.md): a compact reference to one EMR
-- document held at an institution (IHE XDS's document entry reduced to what
-- names the document): kind, producing institution (USCC), local document
-- id, service time (UTC, whole seconds) and content digest (SHA-256, or SM3).
-- Text form kind:institution:local_id:YYYYMMDDTHHMMSSZ:algorithm:hex; every
-- part is stored normalised, so equality and hashing work on the bytes.

CREATE TYPE healthhub.emr_ref;

CREATE FUNCTION healthhub.emr_ref_in(cstring) RETURNS healthhub.emr_ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_out(healthhub.emr_ref) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_recv(internal) RETURNS healthhub.emr_ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_send(healthhub.emr_ref) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.emr_ref (
    INPUT = healthhub.emr_ref_in,
    OUTPUT = healthhub.emr_ref_out,
    RECEIVE = healthhub.emr_ref_recv,
    SEND = healthhub.emr_ref_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.emr_ref IS
    'A reference to an EMR document at an institution: kind:institution:local_id:time:algorithm:digest';

CREATE FUNCTION healthhub.emr_ref_eq(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_ne(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_lt(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_le(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_gt(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_ge(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_cmp(healthhub.emr_ref, healthhub.emr_ref) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_hash(healthhub.emr_ref) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_hash_extended(healthhub.emr_ref, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: emr_ref_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.emr_ref) WITH INOUT;
CREATE CAST (healthhub.emr_ref AS text) WITH INOUT;

CREATE FUNCTION healthhub.emr_ref(kind text, institution text, local_id text, service_time timestamptz,
                                  digest bytea, digest_algorithm text DEFAULT 'sha256')
    RETURNS healthhub.emr_ref
    AS 'MODULE_PATHNAME', 'emr_ref_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref(text, text, text, timestamptz, bytea, text) IS
    'An EMR document reference from its parts (the service time kept to the whole second)';
CREATE FUNCTION healthhub.emr_ref_kind(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_kind(healthhub.emr_ref) IS 'The document kind of a reference';
CREATE FUNCTION healthhub.emr_ref_institution(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_institution(healthhub.emr_ref) IS
    'The unified social credit code of the institution that holds the document';
CREATE FUNCTION healthhub.emr_ref_local_id(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_local_id(healthhub.emr_ref) IS 'The document''s id at its institution';
CREATE FUNCTION healthhub.emr_ref_service_time(healthhub.emr_ref) RETURNS timestamptz
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_service_time(healthhub.emr_ref) IS 'When the service the document records took place';
CREATE FUNCTION healthhub.emr_ref_digest(healthhub.emr_ref) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_digest(healthhub.emr_ref) IS 'The digest of the document''s content (32 bytes)';
CREATE FUNCTION healthhub.emr_ref_digest_algorithm(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_digest_algorithm(healthhub.emr_ref) IS 'sha256 or sm3';
CREATE FUNCTION healthhub.emr_ref_problem(text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_problem(text) IS
    'Why a text is not an EMR document reference (NULL when it is one); never raises';
-- Comparison operators and the default btree and hash operator classes of
-- healthhub.emr_ref.  Template: the Makefile writes <area>/emr_ref_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (emr_ref_eq ... emr_ref_hash_extended, emr_ref_sortsupport) are declared in
-- the type's own file, <area>/emr_ref.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.emr_ref_ops
    DEFAULT FOR TYPE healthhub.emr_ref USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.emr_ref_cmp(healthhub.emr_ref, healthhub.emr_ref),
        FUNCTION 2 healthhub.emr_ref_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.emr_ref_hash_ops
    DEFAULT FOR TYPE healthhub.emr_ref USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.emr_ref_hash(healthhub.emr_ref),
        FUNCTION 2 healthhub.emr_ref_hash_extended(healthhub.emr_ref, bigint);
-- The kinds of shared EMR document (docs/records.md): the 53 parts of
-- WS/T 500-2016 (电子病历共享文档规范) shipped as rows, with a LOINC document
-- code where one is the FHIR DocumentReference.type; a region adds its own.
-- (Parts 1-11, 13, 23, 36, 50 and 53 were checked against the standard's
-- published foreword; the rest follow its table of contents as recalled.
-- Rows, not constants: a DBA corrects one, and the change survives a dump.)
CREATE TABLE healthhub.document_kinds (
    kind        text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
    wst500_part smallint UNIQUE CHECK (wst500_part BETWEEN 1 AND 53),
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    loinc       text CHECK (loinc ~ '^[0-9]{1,7}-[0-9]$'),
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.document_kinds IS
    'Kinds of shared EMR document: the WS/T 500 parts, and kinds a region adds';
SELECT pg_catalog.pg_extension_config_dump('healthhub.document_kinds', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.document_kinds (wst500_part, kind, name_zh, name_en, loinc, origin)
SELECT p, k, zh, en, l, 'shipped' FROM (VALUES
    (1, 'medical_record_summary', '病历概要', 'medical record summary', '60591-5'),
    (2, 'outpatient_record', '门(急)诊病历', 'outpatient and emergency record', '34108-1'),
    (3, 'emergency_observation_record', '急诊留观病历', 'emergency observation record', NULL),
    (4, 'western_medicine_prescription', '西药处方', 'western medicine prescription', '57833-6'),
    (5, 'chinese_medicine_prescription', '中药处方', 'traditional Chinese medicine prescription', '57833-6'),
    (6, 'exam_report', '检查报告', 'examination report', '18748-4'),
    (7, 'lab_report', '检验报告', 'laboratory report', '11502-2'),
    (8, 'treatment_record', '治疗记录', 'treatment record', NULL),
    (9, 'surgery_record', '一般手术记录', 'general surgery record', '11504-8'),
    (10, 'preanesthesia_visit', '麻醉术前访视记录', 'pre-anaesthesia visit record', NULL),
    (11, 'anesthesia_record', '麻醉记录', 'anaesthesia record', NULL),
    (12, 'postanesthesia_visit', '麻醉术后访视记录', 'post-anaesthesia visit record', NULL),
    (13, 'transfusion_record', '输血记录', 'transfusion record', NULL),
    (14, 'labor_record', '待产记录', 'labour record', NULL),
    (15, 'vaginal_delivery_record', '阴道分娩记录', 'vaginal delivery record', NULL),
    (16, 'cesarean_record', '剖宫产记录', 'caesarean section record', NULL),
    (17, 'nursing_record', '一般护理记录', 'general nursing record', NULL),
    (18, 'critical_nursing_record', '病重(病危)护理记录', 'critical care nursing record', NULL),
    (19, 'surgical_nursing_record', '手术护理记录', 'surgical nursing record', NULL),
    (20, 'vital_signs_record', '生命体征测量记录', 'vital signs record', NULL),
    (21, 'intake_output_record', '出入量记录', 'intake and output record', NULL),
    (22, 'high_value_consumables_record', '高值耗材使用记录', 'high-value consumables record', NULL),
    (23, 'admission_assessment', '入院评估', 'admission assessment', NULL),
    (24, 'nursing_plan', '护理计划', 'nursing plan', NULL),
    (25, 'discharge_assessment', '出院评估与指导', 'discharge assessment and guidance', NULL),
    (26, 'surgery_consent', '手术知情同意书', 'surgery informed consent', NULL),
    (27, 'anesthesia_consent', '麻醉知情同意书', 'anaesthesia informed consent', NULL),
    (28, 'transfusion_consent', '输血治疗同意书', 'transfusion consent', NULL),
    (29, 'special_procedure_consent', '特殊检查及特殊治疗同意书', 'special examination and treatment consent', NULL),
    (30, 'critical_condition_notice', '病危(重)通知书', 'critical condition notice', NULL),
    (31, 'other_consent', '其他知情告知同意书', 'other informed consent', NULL),
    (32, 'inpatient_front_page', '住院病案首页', 'inpatient medical record front page', NULL),
    (33, 'tcm_inpatient_front_page', '中医住院病案首页', 'TCM inpatient medical record front page', NULL),
    (34, 'admission_record', '入院记录', 'admission record', '34117-2'),
    (35, 'admission_discharge_24h', '24小时内入出院记录', 'admission and discharge within 24 hours', NULL),
    (36, 'admission_death_24h', '24小时内入院死亡记录', 'admission and death within 24 hours', NULL),
    (37, 'first_progress_note', '住院病程记录 首次病程记录', 'first progress note', '11506-3'),
    (38, 'daily_progress_note', '住院病程记录 日常病程记录', 'daily progress note', '11506-3'),
    (39, 'senior_rounds_note', '住院病程记录 上级医师查房记录', 'senior physician rounds note', NULL),
    (40, 'difficult_case_discussion', '住院病程记录 疑难病例讨论记录', 'difficult case discussion', NULL),
    (41, 'handover_note', '住院病程记录 交接班记录', 'handover note', NULL),
    (42, 'transfer_note', '住院病程记录 转科记录', 'transfer note', NULL),
    (43, 'stage_summary', '住院病程记录 阶段小结', 'stage summary', NULL),
    (44, 'rescue_record', '住院病程记录 抢救记录', 'rescue record', NULL),
    (45, 'consultation_note', '住院病程记录 会诊记录', 'consultation note', '11488-4'),
    (46, 'preoperative_summary', '住院病程记录 术前小结', 'pre-operative summary', NULL),
    (47, 'preoperative_discussion', '住院病程记录 术前讨论', 'pre-operative discussion', NULL),
    (48, 'first_postoperative_note', '住院病程记录 术后首次病程记录', 'first post-operative note', NULL),
    (49, 'discharge_record', '住院病程记录 出院记录', 'discharge record', NULL),
    (50, 'death_record', '住院病程记录 死亡记录', 'death record', NULL),
    (51, 'death_case_discussion', '住院病程记录 死亡病例讨论记录', 'death case discussion', NULL),
    (52, 'inpatient_orders', '住院医嘱', 'inpatient orders', NULL),
    (53, 'discharge_summary', '出院小结', 'discharge summary', '18842-5')
) AS d(p, k, zh, en, l);
GRANT SELECT ON healthhub.document_kinds TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.document_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('kind');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.document_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('document_kind', 'kind', 'records policy');
-- The EMR document index (docs/records.md, "The document index"): IHE
-- XDS's registry in SQL.  The documents stay at the institutions; the
-- index holds, per person of the person index, a reference to each
-- (healthhub.emr_ref) with where it is stored, its size, media type and
-- confidentiality, and its versions (register, supersede, withdraw).
-- Nobody reads the index directly: documents_for() (consent.sql) is the one
-- read path, and it writes the trail.

-- Why an institution reads a person's documents; consents name one.
CREATE TABLE healthhub.record_purposes (
    purpose     text PRIMARY KEY CHECK (purpose ~ '^[a-z][a-z0-9_]{0,39}$'),
    description text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.record_purposes IS 'Purposes for which institutions read shared records';
SELECT pg_catalog.pg_extension_config_dump('healthhub.record_purposes', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.record_purposes VALUES
    ('treatment', 'diagnosis and treatment of the person (诊疗)', 'shipped'),
    ('referral', 'a referral or consultation between institutions (转诊会诊)', 'shipped'),
    ('emergency', 'emergency care (急救)', 'shipped');
GRANT SELECT ON healthhub.record_purposes TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.record_purposes
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('purpose');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.record_purposes
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('record_purpose', 'purpose', 'records policy');

CREATE TABLE healthhub.emr_documents (
    person_key      bigint NOT NULL,    -- the person when registered (the distribution key)
    document_key    bigint NOT NULL DEFAULT healthhub.mint_key(),
    -- the holder's record of the person it was registered against: reads
    -- find the document through it, so it follows the record's person
    -- through merges, unmerges and relinks
    record_id       bigint NOT NULL,
    ref             healthhub.emr_ref NOT NULL,
    kind            text NOT NULL GENERATED ALWAYS AS (healthhub.emr_ref_kind(ref)) STORED
                        REFERENCES healthhub.document_kinds,
    service_time    timestamptz NOT NULL GENERATED ALWAYS AS (healthhub.emr_ref_service_time(ref)) STORED,
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    confidentiality text NOT NULL CHECK (confidentiality IN ('normal', 'restricted', 'very_restricted')),
    location        text NOT NULL CHECK (btrim(location) <> '' AND length(location) <= 2000),
    size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
    media_type      text NOT NULL CHECK (media_type ~ '^[a-z]+/[a-z0-9][a-z0-9.+-]{0,99}$'),
    state           text NOT NULL DEFAULT 'current' CHECK (state IN ('current', 'superseded', 'withdrawn')),
    replaces        bigint,     -- the document this version corrects
    state_reason    text CHECK (length(state_reason) <= 500),
    registered_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    registered_by   text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_key, document_key),
    CONSTRAINT emr_documents_withdrawn_reason CHECK ((state = 'withdrawn') = (state_reason IS NOT NULL))
);
COMMENT ON TABLE healthhub.emr_documents IS
    'The EMR document index: a reference to each shared document, by person, with its versions';
-- (a document is one person's, found by its reference; a person's are
-- found by time)
CREATE UNIQUE INDEX emr_documents_by_ref ON healthhub.emr_documents (ref);
CREATE INDEX emr_documents_by_person ON healthhub.emr_documents (person_key, service_time);
-- (reads find a person's documents through the records now linked to them,
-- so documents follow their record through merges, unmerges and relinks)
CREATE INDEX emr_documents_by_record ON healthhub.emr_documents (record_id, service_time);
SELECT pg_catalog.pg_extension_config_dump('healthhub.emr_documents', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.emr_documents
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('emr_document', 'document_key', 'shared records');
-- (no profile reads it: documents_for() does, and writes the trail; the
-- policy keeps a role that is granted SELECT by mistake to its own rows)
ALTER TABLE healthhub.emr_documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY emr_documents_own ON healthhub.emr_documents FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- The registry's institution whose unified social credit code a reference
-- names, valid now; 22023 when none is.
CREATE FUNCTION healthhub.document_institution(ref healthhub.emr_ref) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found bigint;
BEGIN
    SELECT i.institution_key INTO found FROM healthhub.institutions i
     WHERE i.uscc::text = healthhub.emr_ref_institution(ref) AND i.valid @> now()
     ORDER BY i.institution_key LIMIT 1;
    IF found IS NULL THEN
        RAISE EXCEPTION 'no institution of the registry has the unified social credit code %',
                        healthhub.emr_ref_institution(ref)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A document is registered by the institution that holds it.';
    END IF;
    RETURN found;
END
$$;

-- The acting role registers, supersedes and withdraws its own institution's
-- documents only (hub_admin any).
CREATE FUNCTION healthhub.require_document_holder(institution bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_profile(ARRAY['institution_app', 'clinician'], 'register documents');
    IF NOT healthhub.acting_role_is_admin() AND institution IS DISTINCT FROM healthhub.institution_of(healthhub.acting_role()) THEN
        RAISE EXCEPTION 'role % may not register or change documents another institution holds', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'An institution registers, supersedes and withdraws its own documents.';
    END IF;
END
$$;

-- What the index says of a document besides its reference, or 22023.
CREATE FUNCTION healthhub.require_document_fields(location text, size_bytes bigint, media_type text,
                                                  confidentiality text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problem text := CASE
        WHEN btrim(location) = '' OR length(location) > 2000 THEN 'The location is 1 to 2000 characters.'
        WHEN size_bytes < 0 THEN 'The size is a number of bytes, 0 or more.'
        WHEN media_type !~ '^[a-z]+/[a-z0-9][a-z0-9.+-]{0,99}$' THEN 'The media type is a lower-case type/subtype.'
        WHEN confidentiality NOT IN ('normal', 'restricted', 'very_restricted')
            THEN 'The confidentiality is normal, restricted or very_restricted.' END;
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid document entry' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem;
    END IF;
END
$$;

-- Register a document of a person: the person is the one the institution's
-- own record (source, local_id) is linked to in the person index.
CREATE FUNCTION healthhub.register_document(source text, local_id text, ref healthhub.emr_ref, location text,
                                            size_bytes bigint, media_type text, confidentiality text DEFAULT 'normal')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint;
    person bigint;
    record bigint;
    document bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.register_document',
        ARRAY['source', 'local_id', 'ref', 'location', 'size_bytes', 'media_type', 'confidentiality'],
        ARRAY[source IS NULL, local_id IS NULL, ref IS NULL, location IS NULL, size_bytes IS NULL,
              media_type IS NULL, confidentiality IS NULL]);
    PERFORM healthhub.require_document_fields(location, size_bytes, media_type, confidentiality);
    institution := healthhub.document_institution(ref);
    PERFORM healthhub.require_document_holder(institution);
    SELECT healthhub.current_person(s.person_key), s.record_id INTO person, record FROM healthhub.source_records s
     WHERE s.source = register_document.source AND s.local_id = register_document.local_id
       AND s.institution_key = institution;
    IF person IS NULL THEN
        RAISE EXCEPTION 'no record % of source % linked to a person at this institution', local_id, source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A document is registered against the institution''s own record of the person, linked by link_record.';
    END IF;
    INSERT INTO healthhub.emr_documents (person_key, record_id, ref, institution_key, confidentiality, location,
                                         size_bytes, media_type)
    VALUES (person, record, ref, institution, confidentiality, location, size_bytes, media_type)
    RETURNING document_key INTO document;
    RETURN document;
END
$$;
COMMENT ON FUNCTION healthhub.register_document(text, text, healthhub.emr_ref, text, bigint, text, text) IS
    'Register a document in the index, for the person the institution''s own record is linked to';

-- The current document a reference names, locked, for a change by its holder.
CREATE FUNCTION healthhub.current_document(ref healthhub.emr_ref) RETURNS healthhub.emr_documents
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d healthhub.emr_documents;
BEGIN
    PERFORM healthhub.require_document_holder(healthhub.document_institution(ref));
    SELECT * INTO d FROM healthhub.emr_documents e WHERE e.ref OPERATOR(healthhub.=) current_document.ref FOR UPDATE;
    IF NOT FOUND OR d.state <> 'current' THEN
        RAISE EXCEPTION 'no current document %', ref::text
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN FOUND THEN format('It was %s.', d.state) ELSE 'It is not in the index.' END;
    END IF;
    RETURN d;
END
$$;

-- A corrected version: the old one is superseded (documents_for no longer
-- shows it), the new one has the same person, kind and confidentiality.
CREATE FUNCTION healthhub.supersede_document(old_ref healthhub.emr_ref, new_ref healthhub.emr_ref, location text,
                                             size_bytes bigint, media_type text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old healthhub.emr_documents;
    document bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.supersede_document',
        ARRAY['old_ref', 'new_ref', 'location', 'size_bytes', 'media_type'],
        ARRAY[old_ref IS NULL, new_ref IS NULL, location IS NULL, size_bytes IS NULL, media_type IS NULL]);
    old := healthhub.current_document(old_ref);
    PERFORM healthhub.require_document_fields(location, size_bytes, media_type, old.confidentiality);
    IF healthhub.emr_ref_kind(new_ref) <> old.kind
       OR healthhub.emr_ref_institution(new_ref) <> healthhub.emr_ref_institution(old_ref) THEN
        RAISE EXCEPTION 'a new version is a document of the same kind and institution'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The old version is a %s of %s.', old.kind, healthhub.emr_ref_institution(old_ref));
    END IF;
    UPDATE healthhub.emr_documents e SET state = 'superseded'
     WHERE e.person_key = old.person_key AND e.document_key = old.document_key;
    INSERT INTO healthhub.emr_documents (person_key, record_id, ref, institution_key, confidentiality, location,
                                         size_bytes, media_type, replaces)
    VALUES (old.person_key, old.record_id, new_ref, old.institution_key, old.confidentiality, location, size_bytes,
            media_type, old.document_key)
    RETURNING document_key INTO document;
    RETURN document;
END
$$;
COMMENT ON FUNCTION healthhub.supersede_document(healthhub.emr_ref, healthhub.emr_ref, text, bigint, text) IS
    'Replace a document by its corrected version (same person, kind and institution)';

CREATE FUNCTION healthhub.withdraw_document(ref healthhub.emr_ref, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d healthhub.emr_documents;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.withdraw_document', ARRAY['ref', 'reason'],
                                        ARRAY[ref IS NULL, reason IS NULL]);
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'withdrawing a document needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    d := healthhub.current_document(ref);
    UPDATE healthhub.emr_documents e SET state = 'withdrawn', state_reason = reason
     WHERE e.person_key = d.person_key AND e.document_key = d.document_key;
END
$$;
COMMENT ON FUNCTION healthhub.withdraw_document(healthhub.emr_ref, text) IS
    'Withdraw a document from sharing (registered in error, or retracted), with the reason';

REVOKE ALL ON FUNCTION healthhub.document_institution(healthhub.emr_ref) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_document_fields(text, bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_document_holder(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.current_document(healthhub.emr_ref) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.register_document(text, text, healthhub.emr_ref, text, bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.supersede_document(healthhub.emr_ref, healthhub.emr_ref, text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.withdraw_document(healthhub.emr_ref, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app', 'clinician']) pr,
       unnest(ARRAY['healthhub.register_document(text, text, healthhub.emr_ref, text, bigint, text, text)',
                    'healthhub.supersede_document(healthhub.emr_ref, healthhub.emr_ref, text, bigint, text)',
                    'healthhub.withdraw_document(healthhub.emr_ref, text)']) f;

-- A FHIR R4 DocumentReference of an index entry (what documents_for
-- returns): the reference as masterIdentifier, the institution's id of the
-- document, the LOINC type where the kind has one and the WS/T 500 part,
-- the holder as custodian, the confidentiality as security label, the
-- attachment (where, what, how large) and the service time as the
-- context's period.  No person data: the caller adds the subject it knows.
CREATE FUNCTION healthhub.to_fhir_document_reference(ref healthhub.emr_ref, location text, size_bytes bigint,
                                                     media_type text, confidentiality text DEFAULT 'normal',
                                                     state text DEFAULT 'current')
    RETURNS jsonb
    LANGUAGE sql STABLE STRICT
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'resourceType', 'DocumentReference',
        'masterIdentifier', jsonb_build_object('system', 'urn:healthhub:emr-ref', 'value', ref::text),
        'identifier', jsonb_build_array(jsonb_build_object(
            'system', 'urn:healthhub:uscc:' || healthhub.emr_ref_institution(ref),
            'value', healthhub.emr_ref_local_id(ref))),
        -- (FHIR's document reference status: entered-in-error for a withdrawn entry)
        'status', CASE state WHEN 'withdrawn' THEN 'entered-in-error' ELSE state END,
        'type', jsonb_build_object('coding',
            (SELECT jsonb_agg(c) FROM (
                SELECT jsonb_build_object('system', 'http://loinc.org', 'code', k.loinc) AS c WHERE k.loinc IS NOT NULL
                UNION ALL
                SELECT jsonb_build_object('system', 'urn:healthhub:document-kind', 'code', k.kind,
                                          'display', k.name_zh)) cs),
            'text', k.name_en),
        'custodian', jsonb_build_object('identifier', jsonb_build_object(
            'system', 'urn:healthhub:uscc', 'value', healthhub.emr_ref_institution(ref))),
        'securityLabel', jsonb_build_array(jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
            'system', 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
            'code', CASE confidentiality WHEN 'normal' THEN 'N' WHEN 'restricted' THEN 'R' ELSE 'V' END)))),
        'content', jsonb_build_array(jsonb_build_object('attachment', jsonb_build_object(
            'contentType', media_type, 'url', location,
            -- (an unsignedInt in R4: larger documents go without a size)
            'size', CASE WHEN size_bytes <= 4294967295 THEN size_bytes END))),
        'context', jsonb_build_object('period', jsonb_build_object(
            'start', to_char(healthhub.emr_ref_service_time(ref) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            'end', to_char(healthhub.emr_ref_service_time(ref) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))))
      FROM (SELECT healthhub.emr_ref_kind(ref) AS kind) r
      LEFT JOIN healthhub.document_kinds k ON k.kind = r.kind;
END;
COMMENT ON FUNCTION healthhub.to_fhir_document_reference(healthhub.emr_ref, text, bigint, text, text, text) IS
    'A FHIR R4 DocumentReference (jsonb) of a document index entry, without the subject';
GRANT EXECUTE ON FUNCTION healthhub.to_fhir_document_reference(healthhub.emr_ref, text, bigint, text, text, text) TO PUBLIC;
-- Consent and access (docs/records.md, "Consent", "Reading documents",
-- "Who read my records"): a resident authorises one institution, every
-- institution or a named practitioner to read their documents for a
-- purpose and a period, and may revoke it; a guardian acts for a child.
-- documents_for() is the one read path of the index: it returns what the
-- caller's institution holds itself and what a consent in force lets it
-- see, or, breaking the glass with a reason, everything (flagged, and
-- queued for review); each call is one entry of the trail, committed even
-- if the caller rolls back.  accesses_of() shows a person those entries.

-- The resident-facing service (the app that acts for a person).
INSERT INTO healthhub.profiles VALUES
    ('resident_service', false,
     'the resident-facing app: records the consents a resident gives and shows them who read their records');

CREATE TABLE healthhub.record_consents (
    person_key       bigint NOT NULL,
    consent_key      bigint NOT NULL DEFAULT healthhub.mint_key(),
    -- whom: one institution, a practitioner (at any institution, or at one),
    -- or every institution (both NULL)
    institution_key  bigint REFERENCES healthhub.institutions,
    practitioner_key bigint REFERENCES healthhub.practitioners,
    purpose          text NOT NULL REFERENCES healthhub.record_purposes,
    valid            tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    guardian_key     bigint,     -- the guardian who consented for a minor; NULL: the person
    evidence         text NOT NULL CHECK (btrim(evidence) <> '' AND length(evidence) <= 500),
    revoked_at       timestamptz,
    revoked_reason   text CHECK (length(revoked_reason) <= 500),
    recorded_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    recorded_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_key, consent_key),
    CONSTRAINT record_consents_revocation CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
COMMENT ON TABLE healthhub.record_consents IS
    'Consents of persons (or their guardians) to institutions or practitioners reading their records';
SELECT pg_catalog.pg_extension_config_dump('healthhub.record_consents', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.record_consents
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('record_consent', 'consent_key', 'shared records consent');
ALTER TABLE healthhub.record_consents ENABLE ROW LEVEL SECURITY;
CREATE POLICY record_consents_admin ON healthhub.record_consents FOR SELECT
    USING (healthhub.row_allowed('admin'));

-- The surviving person a key stands for; 22023 for a key the index does
-- not have.
CREATE FUNCTION healthhub.record_person(person bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current bigint := healthhub.current_person(person);
BEGIN
    IF current IS NULL THEN
        RAISE EXCEPTION 'no person % in the person index', person USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN current;
END
$$;

-- A purpose of healthhub.record_purposes, or 22023.
CREATE FUNCTION healthhub.require_record_purpose(purpose text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM healthhub.record_purposes p WHERE p.purpose = require_record_purpose.purpose) THEN
        RAISE EXCEPTION 'unknown purpose %', purpose
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The purposes are listed in healthhub.record_purposes.';
    END IF;
END
$$;

-- A person and every person merged into them (directly or through a chain
-- of merges): what was given for a merged person counts for the survivor,
-- and returns to them with an unmerge (nothing is re-keyed).
-- (PL/pgSQL, here and below: its plans are kept for the session; a SQL
-- function with these subqueries is planned on every call)
CREATE FUNCTION healthhub.merged_person_keys(person bigint) RETURNS TABLE (person_key bigint)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH RECURSIVE merged(k, depth) AS (
        SELECT merged_person_keys.person, 0
        UNION ALL
        SELECT p.person_key, m.depth + 1 FROM merged m JOIN healthhub.persons p ON p.redirected_to = m.k
         WHERE m.depth < 100)
    SELECT m.k FROM merged m;
END
$$;

-- A consent, given by the person or, for a minor, a guardian.
CREATE FUNCTION healthhub.give_consent(person bigint, purpose text, evidence text,
                                       institution bigint DEFAULT NULL, practitioner bigint DEFAULT NULL,
                                       valid tstzrange DEFAULT NULL, guardian bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
    born date;
    consent bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service'], 'record consents');
    PERFORM healthhub.require_arguments('healthhub.give_consent', ARRAY['person', 'purpose', 'evidence'],
                                        ARRAY[person IS NULL, purpose IS NULL, evidence IS NULL]);
    PERFORM healthhub.require_record_purpose(purpose);
    IF btrim(evidence) = '' OR length(evidence) > 500 THEN
        RAISE EXCEPTION 'a consent names its evidence'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The evidence (the signed form, the app''s record of the consent) is 1 to 500 characters.';
    END IF;
    subject := healthhub.record_person(person);
    valid := coalesce(valid, tstzrange(now(), now() + interval '1 year'));
    IF isempty(valid) OR lower_inf(valid) THEN
        RAISE EXCEPTION 'invalid consent period %', valid
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A consent has a start and is not empty.';
    END IF;
    IF guardian IS NOT NULL THEN
        IF healthhub.record_person(guardian) = subject THEN
            RAISE EXCEPTION 'a guardian consents for another person' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT p.birth_date INTO born FROM healthhub.persons p WHERE p.person_key = subject;
        IF born IS NULL OR born + interval '18 years' <= lower(valid) THEN
            RAISE EXCEPTION 'a guardian consents for a minor only'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = CASE WHEN born IS NULL THEN 'The person''s birth date is not known.'
                                    ELSE 'The person is 18 or older when the consent begins.' END;
        END IF;
        -- (a guardian's consent ends when the child comes of age)
        valid := valid * tstzrange(NULL, (born + interval '18 years')::timestamptz);
    END IF;
    INSERT INTO healthhub.record_consents (person_key, institution_key, practitioner_key, purpose, valid, guardian_key,
                                           evidence)
    VALUES (subject, institution, practitioner, purpose, valid, healthhub.current_person(guardian), evidence)
    RETURNING consent_key INTO consent;
    RETURN consent;
END
$$;
COMMENT ON FUNCTION healthhub.give_consent(bigint, text, text, bigint, bigint, tstzrange, bigint) IS
    'Record a consent: who may read the person''s documents (an institution, a practitioner or all), why, and when';

CREATE FUNCTION healthhub.revoke_consent(person bigint, consent bigint, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service'], 'record consents');
    PERFORM healthhub.require_arguments('healthhub.revoke_consent', ARRAY['person', 'consent', 'reason'],
                                        ARRAY[person IS NULL, consent IS NULL, reason IS NULL]);
    UPDATE healthhub.record_consents c SET revoked_at = clock_timestamp(), revoked_reason = reason
     WHERE c.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(healthhub.record_person(person)) m)
       AND c.consent_key = consent AND c.revoked_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such consent in force'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Consent %s of person %s.', consent, person);
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.revoke_consent(bigint, bigint, text) IS
    'Revoke a consent from now on, with the reason';

-- The consents of a person, for their app.
CREATE FUNCTION healthhub.consents_of(person bigint)
    RETURNS SETOF healthhub.record_consents
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service', 'auditor'], 'read consents');
    PERFORM healthhub.require_arguments('healthhub.consents_of', ARRAY['person'], ARRAY[person IS NULL]);
    subject := healthhub.record_person(person);
    PERFORM healthhub.audit_append('read.record_consents', 'person', subject::text, subject, 'shared records consent');
    RETURN QUERY SELECT * FROM healthhub.record_consents c
                  WHERE c.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(subject) m)
                  ORDER BY c.recorded_at, c.consent_key;
END
$$;
COMMENT ON FUNCTION healthhub.consents_of(bigint) IS 'The consents a person gave, in force or not (recorded)';

-- Break-glass reads awaiting review: the trail's entries themselves (a
-- rollback cannot remove one), with the review once made.
CREATE TABLE healthhub.break_glass_reviews (
    entry_id     bigint PRIMARY KEY,
    person_key   bigint NOT NULL,
    verdict      text NOT NULL CHECK (verdict IN ('justified', 'unjustified')),
    note         text NOT NULL CHECK (btrim(note) <> '' AND length(note) <= 500),
    reviewed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    reviewed_by  text NOT NULL DEFAULT healthhub.acting_role()
);
COMMENT ON TABLE healthhub.break_glass_reviews IS 'Reviews of break-glass reads of shared records';
SELECT pg_catalog.pg_extension_config_dump('healthhub.break_glass_reviews', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.break_glass_reviews
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('break_glass_review', 'entry_id', 'shared records review');

-- Whether a consent in force now lets an institution (and the practitioner
-- acting there, if named) read a person's records for a purpose: one to the
-- institution, one to every institution, or one to the practitioner (at any
-- institution, or at this one).
CREATE FUNCTION healthhub.consent_allows(person bigint, purpose text, reader bigint, practitioner bigint)
    RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN EXISTS (
        SELECT FROM healthhub.record_consents c
         WHERE c.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(consent_allows.person) m)
           AND c.purpose = consent_allows.purpose
           AND c.valid @> clock_timestamp() AND (c.revoked_at IS NULL OR c.revoked_at > clock_timestamp())
           AND ((c.institution_key = reader AND c.practitioner_key IS NULL)
                OR (c.institution_key IS NULL AND c.practitioner_key IS NULL)
                OR (c.practitioner_key = consent_allows.practitioner
                    AND (c.institution_key IS NULL OR c.institution_key = reader))));
END
$$;

-- The acting role's institution, and the practitioner acting there if
-- named (registered there now); 42501 for a role that acts for none.
CREATE FUNCTION healthhub.require_reader(practitioner bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.institution_of(healthhub.acting_role());
BEGIN
    PERFORM healthhub.require_profile(ARRAY['institution_app', 'clinician'], 'read shared records');
    IF reader IS NULL THEN
        RAISE EXCEPTION 'role % acts for no institution', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Shared records are read by an institution, for a patient.';
    END IF;
    IF practitioner IS NOT NULL AND NOT EXISTS (
        SELECT FROM healthhub.registrations r JOIN healthhub.licences l ON l.licence_key = r.licence_key
         WHERE l.practitioner_key = practitioner AND r.institution_key = reader AND r.period @> now()) THEN
        RAISE EXCEPTION 'practitioner % is not registered at this institution now', practitioner
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN reader;
END
$$;

-- Every document of a person the acting institution may read now for a
-- purpose: its own; another's under a consent in force for the purpose to
-- it, to every institution or to the practitioner acting (registered
-- there now), except very restricted ones; with a break-glass reason, every
-- current document.  Of the current versions only.
CREATE FUNCTION healthhub.documents_for(person bigint, purpose text, practitioner bigint DEFAULT NULL,
                                        kinds text[] DEFAULT NULL, period tstzrange DEFAULT NULL,
                                        break_glass_reason text DEFAULT NULL)
    RETURNS TABLE (document_key bigint, ref healthhub.emr_ref, kind text, service_time timestamptz,
                   institution_key bigint, confidentiality text, location text, size_bytes bigint, media_type text,
                   access text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.require_reader(practitioner);
    subject bigint;
    glass boolean := break_glass_reason IS NOT NULL;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.documents_for', ARRAY['person', 'purpose'],
                                        ARRAY[person IS NULL, purpose IS NULL]);
    PERFORM healthhub.require_record_purpose(purpose);
    IF glass AND (btrim(break_glass_reason) = '' OR length(break_glass_reason) > 400) THEN
        RAISE EXCEPTION 'breaking the glass needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A read without consent states why, in 1 to 400 characters; it is reviewed.';
    END IF;
    subject := healthhub.record_person(person);
    -- (before any row is returned; a read.* entry is committed whatever the
    -- caller's transaction does)
    PERFORM healthhub.audit_append('read.emr_documents', 'person', subject::text, subject,
                                   CASE WHEN glass THEN left(purpose || '; break glass: ' || break_glass_reason, 500)
                                        ELSE purpose END,
                                   CASE WHEN glass THEN 'break_glass' ELSE 'ok' END, practitioner);
    RETURN QUERY
    -- (the consent read in the same statement, under the same snapshot, as
    -- the documents; MATERIALIZED: once per call, not once per document)
    WITH k AS MATERIALIZED (SELECT healthhub.consent_allows(subject, purpose, reader, practitioner) AS consented)
    SELECT d.document_key, d.ref, d.kind, d.service_time, d.institution_key, d.confidentiality, d.location,
           d.size_bytes, d.media_type, a.access
      FROM healthhub.emr_documents d
     CROSS JOIN k
     CROSS JOIN LATERAL (
         SELECT CASE WHEN d.institution_key = reader THEN 'own'
                     WHEN k.consented AND d.confidentiality <> 'very_restricted' THEN 'consent'
                     WHEN glass THEN 'break_glass' END AS access) a
     WHERE d.record_id IN (SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = subject)
       AND d.state = 'current' AND a.access IS NOT NULL
       AND (kinds IS NULL OR d.kind = ANY (kinds))
       AND (period IS NULL OR period @> d.service_time)
     ORDER BY d.service_time DESC, d.document_key;
END
$$;
COMMENT ON FUNCTION healthhub.documents_for(bigint, text, bigint, text[], tstzrange, text) IS
    'The documents of a person the acting institution may read for a purpose (own, consented, or break-glass); recorded';

-- Who read a person's records, when and why: the trail's entries of reads
-- of that person's documents and consents, newest first.
CREATE FUNCTION healthhub.accesses_of(person bigint, max_rows integer DEFAULT 100)
    RETURNS TABLE ("at" timestamptz, institution_key bigint, institution text, practitioner_key bigint,
                   what text, purpose text, outcome text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service', 'auditor'], 'read who read a person''s records');
    PERFORM healthhub.require_arguments('healthhub.accesses_of', ARRAY['person', 'max_rows'],
                                        ARRAY[person IS NULL, max_rows IS NULL]);
    PERFORM healthhub.require_page_size(max_rows);
    subject := healthhub.record_person(person);
    PERFORM healthhub.audit_append('read.record_accesses', 'person', subject::text, subject, 'right to know');
    RETURN QUERY
    SELECT e."at", e.institution_key, i.name, e.practitioner_key, e.action, e.purpose, e.outcome
      FROM healthhub.audit_entries e
      LEFT JOIN healthhub.institutions i ON i.institution_key = e.institution_key
     WHERE e.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(subject) m)
       AND e.action IN ('read.emr_documents', 'read.record_consents')
     ORDER BY e.entry_id DESC
     LIMIT max_rows;
END
$$;
COMMENT ON FUNCTION healthhub.accesses_of(bigint, integer) IS
    'Who read a person''s shared records, when and why (for the person''s app and auditors); recorded';

-- The break-glass reads not yet reviewed, oldest first.
CREATE VIEW healthhub.break_glass_queue AS
SELECT e.entry_id, e."at", e.person_key, e.institution_key, e.practitioner_key, e.role_name, e.purpose
  FROM healthhub.audit_entries e
 WHERE e.action = 'read.emr_documents' AND e.outcome = 'break_glass'
   AND NOT EXISTS (SELECT FROM healthhub.break_glass_reviews r WHERE r.entry_id = e.entry_id);
COMMENT ON VIEW healthhub.break_glass_queue IS 'Break-glass reads of shared records awaiting review';

CREATE FUNCTION healthhub.review_break_glass(entry bigint, verdict text, note text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['auditor'], 'review break-glass reads');
    PERFORM healthhub.require_arguments('healthhub.review_break_glass', ARRAY['entry', 'verdict', 'note'],
                                        ARRAY[entry IS NULL, verdict IS NULL, note IS NULL]);
    SELECT q.person_key INTO subject FROM healthhub.break_glass_queue q WHERE q.entry_id = entry;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no break-glass read awaiting review'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Audit entry %s.', entry);
    END IF;
    INSERT INTO healthhub.break_glass_reviews (entry_id, person_key, verdict, note) VALUES (entry, subject, verdict, note);
END
$$;
COMMENT ON FUNCTION healthhub.review_break_glass(bigint, text, text) IS
    'Review a break-glass read: justified or unjustified, with a note';

REVOKE ALL ON FUNCTION healthhub.record_person(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.merged_person_keys(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_record_purpose(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.consent_allows(bigint, text, bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_reader(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.give_consent(bigint, text, text, bigint, bigint, tstzrange, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_consent(bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.consents_of(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.documents_for(bigint, text, bigint, text[], tstzrange, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.accesses_of(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.review_break_glass(bigint, text, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', 'healthhub.documents_for(bigint, text, bigint, text[], tstzrange, text)', 'EXECUTE'
  FROM unnest(ARRAY['institution_app', 'clinician']) pr
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'resident_service']) pr,
       unnest(ARRAY['healthhub.give_consent(bigint, text, text, bigint, bigint, tstzrange, bigint)',
                    'healthhub.revoke_consent(bigint, bigint, text)']) f
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'resident_service', 'auditor']) pr,
       unnest(ARRAY['healthhub.consents_of(bigint)', 'healthhub.accesses_of(bigint, integer)']) f
UNION ALL
SELECT pr, 'function', 'healthhub.review_break_glass(bigint, text, text)', 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'auditor']) pr
UNION ALL
SELECT pr, 'table', 'healthhub.break_glass_queue', 'SELECT'
  FROM unnest(ARRAY['hub_admin', 'auditor']) pr;
-- Loading an institution's file of shared records (encounters, results):
-- the loading framework's steps (src/platform/loading.sql) around each
-- loader's own rules and write.  The file's source is the institution's
-- source of person records (link_record's source); its patients are that
-- source's records.

-- Begin: hub_admin only; the source's institution; the staging table
-- locked for the transaction (one load of a kind at a time, nothing staged
-- meanwhile); the load begun, or found already loaded (then the staging
-- table is emptied and nothing else happens).
CREATE FUNCTION healthhub.begin_records_load(kind text, source text, file_digest text, stage regclass,
                                             OUT load_id bigint, OUT already_loaded boolean, OUT institution bigint)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_profile(ARRAY[]::text[], 'load ' || kind);
    PERFORM healthhub.require_arguments('healthhub.load_' || kind, ARRAY['source', 'file_digest'],
                                        ARRAY[source IS NULL, file_digest IS NULL]);
    institution := healthhub.institution_for_source(btrim(source));
    IF institution IS NULL THEN
        RAISE EXCEPTION 'no institution sends records as source %', quote_literal(btrim(source))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The source is the institution''s source of person records (link_record''s source).';
    END IF;
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', stage);
    SELECT b.load_id, b.already_loaded INTO load_id, already_loaded
      FROM healthhub.begin_load(kind, btrim(source), file_digest, 'delta') b;
    IF already_loaded THEN
        EXECUTE format('TRUNCATE %s RESTART IDENTITY', stage);
    ELSE
        PERFORM healthhub.begin_load_writes(load_id);
    END IF;
END
$$;

-- Rule: the patient is a record of the source linked to a person.
CREATE FUNCTION healthhub.load_check_patient(load_id bigint, entity text, stage regclass, source text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, ''patient_id'', s.patient_id, ''is no record of this source in the person index''
                      FROM %s s
                     WHERE nullif(btrim(s.patient_id), '''') IS NOT NULL
                       AND NOT EXISTS (SELECT FROM healthhub.source_records r
                                        WHERE r.source = $3 AND r.local_id = btrim(s.patient_id) AND r.person_key IS NOT NULL)',
                   stage)
    USING load_id, entity, btrim(source);
END
$$;

-- End: the outcome of the one entity, the load's trail entry, the staging
-- table emptied; what the loader returns.
CREATE FUNCTION healthhub.end_records_load(load_id bigint, entity text, stage regclass,
                                           OUT staged integer, OUT loaded integer, OUT rejected integer)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result jsonb := healthhub.load_outcome(load_id, entity, 1, stage, 0);
BEGIN
    PERFORM healthhub.end_load(load_id, result, 'shared records');
    EXECUTE format('TRUNCATE %s RESTART IDENTITY', stage);
    staged := (result->entity->>'staged')::int;
    loaded := (result->entity->>'loaded')::int;
    rejected := (result->entity->>'rejected')::int;
END
$$;

-- What an earlier load of the same file reported.
CREATE FUNCTION healthhub.records_load_outcome(load_id bigint, entity text,
                                               OUT staged integer, OUT loaded integer, OUT rejected integer)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT (l.outcome->entity->>'staged')::int, (l.outcome->entity->>'loaded')::int, (l.outcome->entity->>'rejected')::int
      FROM healthhub.loads l WHERE l.load_id = records_load_outcome.load_id;
END;

REVOKE ALL ON FUNCTION healthhub.begin_records_load(text, text, text, regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_patient(bigint, text, regclass, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.end_records_load(bigint, text, regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.records_load_outcome(bigint, text) FROM PUBLIC;
-- Encounters (docs/records.md, "Encounters"): outpatient and emergency
-- visits (counted by registration) and admissions with their discharge
-- (department, bed, admission route, discharge mode, length of stay), with
-- their diagnoses (ICD-10, the first the principal one) and treating
-- practitioner: what later reports and surveillance count.  Institutions
-- send them as files, loaded through the loading framework
-- (src/platform/loading.sql): every bad row reported with its line and
-- reason, the same file twice changes nothing, a corrected row replaces its
-- earlier version, which is kept in encounter_history.

CREATE TABLE healthhub.encounters (
    person_key       bigint NOT NULL,
    encounter_key    bigint NOT NULL DEFAULT healthhub.mint_key(),
    record_id        bigint NOT NULL,    -- the institution's record of the person (source_records)
    institution_key  bigint NOT NULL REFERENCES healthhub.institutions,
    local_id         text NOT NULL CHECK (local_id ~ '^[A-Za-z0-9._/+-]{1,64}$'),
    kind             text NOT NULL CHECK (kind IN ('outpatient', 'emergency', 'inpatient')),
    department       text CHECK (length(department) <= 100),
    practitioner_key bigint REFERENCES healthhub.practitioners,
    started_at       timestamptz NOT NULL,   -- registration, or admission
    ended_at         timestamptz,            -- discharge
    admission_route  text CHECK (admission_route IN ('outpatient', 'emergency', 'referral', 'other')),
    discharge_mode   text CHECK (discharge_mode IN ('home', 'referral', 'community', 'death', 'against_advice', 'other')),
    bed              text CHECK (length(bed) <= 40),
    diagnoses        text[] NOT NULL DEFAULT '{}',   -- ICD-10 codes, the principal first
    -- (days in hospital as counted in China: discharge date minus admission
    -- date, Beijing time, at least one)
    length_of_stay   integer GENERATED ALWAYS AS (
        CASE WHEN kind = 'inpatient' AND ended_at IS NOT NULL
             THEN greatest(1, (ended_at AT TIME ZONE 'Asia/Shanghai')::date - (started_at AT TIME ZONE 'Asia/Shanghai')::date)
        END) STORED,
    version          integer NOT NULL DEFAULT 1,
    load_id          bigint REFERENCES healthhub.loads,
    PRIMARY KEY (person_key, encounter_key),
    UNIQUE (institution_key, local_id),
    CONSTRAINT encounters_period CHECK (ended_at IS NULL OR ended_at >= started_at),
    CONSTRAINT encounters_inpatient_only CHECK (kind = 'inpatient' OR (admission_route IS NULL AND discharge_mode IS NULL
                                                                          AND bed IS NULL))
);
CREATE INDEX encounters_by_time ON healthhub.encounters (institution_key, started_at);
COMMENT ON TABLE healthhub.encounters IS
    'Outpatient and emergency visits and admissions: department, practitioner, times, route, discharge, diagnoses';
SELECT pg_catalog.pg_extension_config_dump('healthhub.encounters', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.encounters
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('encounter', 'encounter_key', 'shared records');
ALTER TABLE healthhub.encounters ENABLE ROW LEVEL SECURITY;
CREATE POLICY encounters_own ON healthhub.encounters FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Earlier versions of corrected encounters.
CREATE TABLE healthhub.encounter_history (
    LIKE healthhub.encounters EXCLUDING CONSTRAINTS EXCLUDING INDEXES EXCLUDING GENERATED,
    replaced_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (person_key, encounter_key, version)
);
COMMENT ON TABLE healthhub.encounter_history IS 'Earlier versions of encounters a later load corrected';
SELECT pg_catalog.pg_extension_config_dump('healthhub.encounter_history', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.encounter_history', 'derived', 'the earlier version of an encounter, written by its correction');
ALTER TABLE healthhub.encounter_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY encounter_history_own ON healthhub.encounter_history FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

CREATE FUNCTION healthhub.encounter_versioned() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO healthhub.encounter_history SELECT OLD.*;
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION healthhub.encounter_versioned() FROM PUBLIC;
CREATE TRIGGER encounter_versioned BEFORE UPDATE ON healthhub.encounters
    FOR EACH ROW EXECUTE FUNCTION healthhub.encounter_versioned();

-- An ICD-10 code as institutions write it: a chapter letter, two digits,
-- and optionally a point and up to four characters of the subcategory or
-- the national clinical extension (J18.9, I21.001, E11.900x002).  The form
-- is checked; the code's existence in a catalogue is not (none is shipped).
CREATE FUNCTION healthhub.icd10_ok(code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN code ~ '^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4}(x[0-9]{3})?)?$';
COMMENT ON FUNCTION healthhub.icd10_ok(text) IS 'Whether a text is an ICD-10 code in form (J18.9, E11.900x002)';
GRANT EXECUTE ON FUNCTION healthhub.icd10_ok(text) TO PUBLIC;

CREATE TABLE healthhub.stage_encounters (
    line_no              bigint GENERATED BY DEFAULT AS IDENTITY,
    encounter_id         text,   -- the institution's registration or admission number
    patient_id           text,   -- its record of the patient (link_record's local_id)
    kind                 text,   -- outpatient, emergency, inpatient
    department           text,
    practitioner_licence text,   -- the treating practitioner's licence number
    started_at           text,
    ended_at             text,
    admission_route      text,
    discharge_mode       text,
    bed                  text,
    diagnoses            text    -- ICD-10 codes separated by ';', the principal first
);
COMMENT ON TABLE healthhub.stage_encounters IS 'Staging for healthhub.load_encounters(): COPY an institution''s encounters here';
ALTER TABLE healthhub.stage_encounters REPLICA IDENTITY FULL;
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.stage_encounters', 'staging', 'encounters.load.delta of the load that reads it');

-- Load the encounters staged from one institution's file: source is the
-- institution's source of person records (link_record's source), whose
-- records the patient ids name.  Returns what was staged, loaded and
-- rejected; keyed on (source, file digest).
CREATE FUNCTION healthhub.load_encounters(source text, file_digest text)
    RETURNS TABLE (load_id bigint, staged integer, loaded integer, rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    se constant regclass := 'healthhub.stage_encounters';
    b record := healthhub.begin_records_load('encounters', source, file_digest, se);
    lid bigint := b.load_id;
    src text := btrim(source);
    institution bigint := b.institution;
BEGIN
    IF b.already_loaded THEN
        RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, true FROM healthhub.records_load_outcome(lid, 'encounters') o;
        RETURN;
    END IF;

    PERFORM healthhub.load_require(lid, 'encounters', se, ARRAY['encounter_id', 'patient_id', 'kind']);
    PERFORM healthhub.load_check_duplicates(lid, 'encounters', se, 'encounter_id');
    PERFORM healthhub.load_check_pattern(lid, 'encounters', se, 'encounter_id', '^[A-Za-z0-9._/+-]{1,64}$',
                                         'is not 1 to 64 letters, digits or . _ / + -', false);
    -- (references: an empty value is "required" above, or allowed)
    PERFORM healthhub.load_check_patient(lid, 'encounters', se, src);
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, 'practitioner_licence', s.practitioner_licence, 'is no licence of the registry'
      FROM healthhub.stage_encounters s
     WHERE nullif(btrim(s.practitioner_licence), '') IS NOT NULL
       AND NOT EXISTS (SELECT FROM healthhub.licences l WHERE l.licence_no = btrim(s.practitioner_licence));
    PERFORM healthhub.load_check_in(lid, 'encounters', se, 'kind', ARRAY['outpatient', 'emergency', 'inpatient'], false,
                                    'is not outpatient, emergency or inpatient');
    PERFORM healthhub.load_check_type(lid, 'encounters', se, 'started_at', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'encounters', se, 'ended_at', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'encounters', se, 'started_at', 'ended_at');
    PERFORM healthhub.load_check_in(lid, 'encounters', se, 'admission_route',
                                    ARRAY['outpatient', 'emergency', 'referral', 'other'], false,
                                    'is not outpatient, emergency, referral or other');
    PERFORM healthhub.load_check_in(lid, 'encounters', se, 'discharge_mode',
                                    ARRAY['home', 'referral', 'community', 'death', 'against_advice', 'other'], false,
                                    'is not home, referral, community, death, against_advice or other');
    PERFORM healthhub.load_check_pattern(lid, 'encounters', se, 'department', '^.{1,100}$', 'is longer than 100 characters',
                                         false);
    PERFORM healthhub.load_check_pattern(lid, 'encounters', se, 'bed', '^.{1,40}$', 'is longer than 40 characters', false);
    -- (admission route, discharge mode and bed belong to an admission)
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, c.col, c.val, 'is for an inpatient stay only'
      FROM healthhub.stage_encounters s,
           LATERAL (VALUES ('admission_route', s.admission_route), ('discharge_mode', s.discharge_mode), ('bed', s.bed)) c(col, val)
     WHERE btrim(s.kind) IN ('outpatient', 'emergency') AND coalesce(btrim(c.val), '') <> '';
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, 'discharge_mode', s.discharge_mode, 'is required when an inpatient stay has ended'
      FROM healthhub.stage_encounters s
     WHERE btrim(s.kind) = 'inpatient' AND coalesce(btrim(s.ended_at), '') <> '' AND coalesce(btrim(s.discharge_mode), '') = '';
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, 'diagnoses', d.code, 'is not an ICD-10 code (such as J18.9 or E11.900x002)'
      FROM healthhub.stage_encounters s, unnest(string_to_array(s.diagnoses, ';')) d(code)
     WHERE NOT healthhub.icd10_ok(btrim(d.code));

    INSERT INTO healthhub.encounters AS e (person_key, record_id, institution_key, local_id, kind, department,
                                           practitioner_key, started_at, ended_at, admission_route, discharge_mode, bed,
                                           diagnoses, load_id)
    SELECT healthhub.current_person(r.person_key), r.record_id, institution, btrim(s.encounter_id), btrim(s.kind),
           nullif(btrim(s.department), ''), l.practitioner_key, btrim(s.started_at)::timestamptz,
           nullif(btrim(s.ended_at), '')::timestamptz, nullif(btrim(s.admission_route), ''),
           nullif(btrim(s.discharge_mode), ''), nullif(btrim(s.bed), ''),
           coalesce(ARRAY(SELECT btrim(d) FROM unnest(string_to_array(s.diagnoses, ';')) WITH ORDINALITY x(d, n)
                           WHERE btrim(d) <> '' ORDER BY n), '{}'), lid
      FROM healthhub.stage_encounters s
      JOIN healthhub.source_records r ON r.source = src AND r.local_id = btrim(s.patient_id) AND r.person_key IS NOT NULL
      LEFT JOIN healthhub.licences l ON l.licence_no = nullif(btrim(s.practitioner_licence), '')
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors x
                        WHERE x.load_id = lid AND x.entity = 'encounters' AND x.line_no = s.line_no)
    -- (a corrected row: the earlier version goes to encounter_history)
    ON CONFLICT (institution_key, local_id) DO UPDATE
       SET person_key = EXCLUDED.person_key, record_id = EXCLUDED.record_id, kind = EXCLUDED.kind,
           department = EXCLUDED.department, practitioner_key = EXCLUDED.practitioner_key,
           started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at, admission_route = EXCLUDED.admission_route,
           discharge_mode = EXCLUDED.discharge_mode, bed = EXCLUDED.bed, diagnoses = EXCLUDED.diagnoses,
           load_id = EXCLUDED.load_id
     WHERE (e.person_key, e.kind, e.department, e.practitioner_key, e.started_at, e.ended_at, e.admission_route,
            e.discharge_mode, e.bed, e.diagnoses)
           IS DISTINCT FROM (EXCLUDED.person_key, EXCLUDED.kind, EXCLUDED.department, EXCLUDED.practitioner_key,
                             EXCLUDED.started_at, EXCLUDED.ended_at, EXCLUDED.admission_route, EXCLUDED.discharge_mode,
                             EXCLUDED.bed, EXCLUDED.diagnoses);

    RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, false FROM healthhub.end_records_load(lid, 'encounters', se) o;
END
$$;
COMMENT ON FUNCTION healthhub.load_encounters(text, text) IS
    'Validate and load the encounters staged from one institution''s file; keyed on (source, file digest)';

REVOKE ALL ON FUNCTION healthhub.load_encounters(text, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges) VALUES
    ('hub_admin', 'table', 'healthhub.stage_encounters', 'SELECT, INSERT, UPDATE, DELETE'),
    ('hub_admin', 'function', 'healthhub.load_encounters(text, text)', 'EXECUTE');
-- Exam and lab result mutual recognition (检查检验结果互认; docs/records.md,
-- "Result recognition"), after the national measures of 2022 (国卫医发
-- 〔2022〕6号): a result of an item of a region's catalogue, from a lab that
-- passed external quality assessment for it when the result was produced,
-- within the item's validity window, spares the patient the same test at
-- another institution of the region, as the levels allow (same level each
-- other, lower accepts upper, upper accepts lower only within a city).  A
-- re-test stays allowed, with a reason.  Catalogues, windows and reasons are
-- rows: each region sets its own.

-- A region's catalogue of recognised items, by version: a province's items
-- are recognised province-wide, a city's within the city.
CREATE TABLE healthhub.recognition_items (
    item_key     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    region       healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    item_code    text NOT NULL CHECK (item_code ~ '^[A-Za-z0-9._-]{1,40}$'),
    item_kind    text NOT NULL CHECK (item_kind IN ('exam', 'lab')),
    name         text NOT NULL CHECK (btrim(name) <> ''),
    validity     interval NOT NULL CHECK (validity > interval '0'),
    mark         text NOT NULL CHECK (mark ~ 'HR$'),
    cost         numeric(12, 2) CHECK (cost >= 0),   -- what a re-test costs (avoided cost)
    catalogue_version text NOT NULL CHECK (btrim(catalogue_version) <> ''),
    valid        tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    UNIQUE (region, item_code, catalogue_version)
);
COMMENT ON TABLE healthhub.recognition_items IS
    'Catalogues of mutually recognised exam and lab items per region and version: validity window, mark, cost';
SELECT pg_catalog.pg_extension_config_dump('healthhub.recognition_items', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.recognition_items
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('recognition_item', 'item_key', 'result recognition policy');
GRANT SELECT ON healthhub.recognition_items TO PUBLIC;

-- A lab's external quality assessment (室间质评) passed for an item, over a
-- period: only its results of that period are recognised.
CREATE TABLE healthhub.lab_certifications (
    certification_key bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    institution_key   bigint NOT NULL REFERENCES healthhub.institutions,
    item_code         text NOT NULL CHECK (item_code ~ '^[A-Za-z0-9._-]{1,40}$'),
    period            tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    passed            boolean NOT NULL,
    evidence          text NOT NULL CHECK (btrim(evidence) <> '')
);
CREATE INDEX lab_certifications_lookup ON healthhub.lab_certifications (institution_key, item_code);
COMMENT ON TABLE healthhub.lab_certifications IS
    'External quality assessment results of labs per item and period: only passed periods are recognised';
SELECT pg_catalog.pg_extension_config_dump('healthhub.lab_certifications', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.lab_certifications
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('lab_certification', 'certification_key', 'result recognition policy');
GRANT SELECT ON healthhub.lab_certifications TO PUBLIC;

-- Why a re-test is ordered despite a recognisable result: the national
-- measures' reasons and the patient's own request.
CREATE TABLE healthhub.retest_reasons (
    reason      text PRIMARY KEY CHECK (reason ~ '^[a-z][a-z0-9_]{0,39}$'),
    description text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.retest_reasons IS 'Reasons for a re-test despite a recognisable result';
SELECT pg_catalog.pg_extension_config_dump('healthhub.retest_reasons', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.retest_reasons VALUES
    ('condition_changed', 'the condition changed, or the result does not fit the clinical picture (病情变化或结果与临床不符)', 'shipped'),
    ('fast_changing', 'the item changes fast over time (检查检验项目变化快)', 'shipped'),
    ('major_significance', 'a test of major significance before surgery, transfusion or similar (重大意义的检查检验)', 'shipped'),
    ('emergency', 'an emergency (急诊、急救)', 'shipped'),
    ('forensic', 'forensic or disability appraisal (司法、伤残鉴定)', 'shipped'),
    ('other_recorded', 'another case the physician records (医师记录的其他情形)', 'shipped'),
    ('patient_request', 'the patient asks for it (患者要求)', 'shipped');
GRANT SELECT ON healthhub.retest_reasons TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.retest_reasons
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('reason');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.retest_reasons
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('retest_reason', 'reason', 'result recognition policy');

-- Results of exam and lab items, per person of the person index.
CREATE TABLE healthhub.exam_results (
    person_key      bigint NOT NULL,
    result_key      bigint NOT NULL DEFAULT healthhub.mint_key(),
    record_id       bigint NOT NULL,    -- the institution's record of the person (as emr_documents)
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    item_code       text NOT NULL CHECK (item_code ~ '^[A-Za-z0-9._-]{1,40}$'),
    produced_at     timestamptz NOT NULL,
    value           text NOT NULL CHECK (length(value) <= 200),
    unit            text CHECK (length(unit) <= 40),
    reference_range text CHECK (length(reference_range) <= 100),
    report_ref      healthhub.emr_ref,      -- the report document, when indexed
    local_id        text NOT NULL CHECK (local_id ~ '^[A-Za-z0-9._/+-]{1,64}$'),
    registered_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (person_key, result_key),
    UNIQUE (institution_key, local_id)
);
CREATE INDEX exam_results_by_item ON healthhub.exam_results (record_id, item_code, produced_at);
COMMENT ON TABLE healthhub.exam_results IS 'Exam and lab results per person: item, institution, time, value, unit, reference range';
SELECT pg_catalog.pg_extension_config_dump('healthhub.exam_results', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.exam_results
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('exam_result', 'result_key', 'shared records');
ALTER TABLE healthhub.exam_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY exam_results_own ON healthhub.exam_results FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Decisions: a prior result accepted, or a re-test ordered with a reason.
CREATE TABLE healthhub.recognition_decisions (
    person_key      bigint NOT NULL,
    decision_key    bigint NOT NULL DEFAULT healthhub.mint_key(),
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,  -- the deciding institution
    practitioner_key bigint REFERENCES healthhub.practitioners,
    encounter_key   bigint,             -- the deciding institution's encounter of the person, when named
    item_code       text NOT NULL,
    result_key      bigint,             -- the prior result accepted, or set aside
    decision        text NOT NULL CHECK (decision IN ('accepted', 'retest')),
    reason          text REFERENCES healthhub.retest_reasons,
    note            text CHECK (length(note) <= 500),
    decided_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (person_key, decision_key),
    CONSTRAINT recognition_decisions_reason CHECK ((decision = 'retest') = (reason IS NOT NULL)),
    CONSTRAINT recognition_decisions_accepted_result CHECK (decision <> 'accepted' OR result_key IS NOT NULL)
);
COMMENT ON TABLE healthhub.recognition_decisions IS
    'Prior results accepted instead of a re-test, and re-tests ordered with their reason';
SELECT pg_catalog.pg_extension_config_dump('healthhub.recognition_decisions', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.recognition_decisions
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('recognition_decision', 'decision_key', 'shared records');
ALTER TABLE healthhub.recognition_decisions ENABLE ROW LEVEL SECURITY;
CREATE POLICY recognition_decisions_own ON healthhub.recognition_decisions FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- The city (prefecture-level division) a region lies in; a province-level
-- region is its own.
CREATE FUNCTION healthhub.region_city(region healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT
    RETURN CASE healthhub.region_code_level(region)
               WHEN 'county' THEN healthhub.region_code_parent(region)
               ELSE region END;

-- A result of the acting institution's own, for a person its own record
-- (source, local_id) is linked to.
CREATE FUNCTION healthhub.register_result(source text, local_id text, result_id text, item_code text,
                                          produced_at timestamptz, value text, unit text DEFAULT NULL,
                                          reference_range text DEFAULT NULL, report_ref healthhub.emr_ref DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.institution_of(healthhub.acting_role());
    person bigint;
    record bigint;
    result bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['institution_app', 'clinician'], 'register results');
    PERFORM healthhub.require_arguments('healthhub.register_result',
        ARRAY['source', 'local_id', 'result_id', 'item_code', 'produced_at', 'value'],
        ARRAY[source IS NULL, local_id IS NULL, result_id IS NULL, item_code IS NULL, produced_at IS NULL, value IS NULL]);
    SELECT healthhub.current_person(s.person_key), s.record_id INTO person, record FROM healthhub.source_records s
     WHERE s.source = register_result.source AND s.local_id = register_result.local_id
       AND s.institution_key = institution;
    IF person IS NULL THEN
        RAISE EXCEPTION 'no record % of source % linked to a person at this institution', local_id, source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A result is registered against the institution''s own record of the person, linked by link_record.';
    END IF;
    INSERT INTO healthhub.exam_results (person_key, record_id, institution_key, item_code, produced_at, value, unit,
                                        reference_range, report_ref, local_id)
    VALUES (person, record, institution, item_code, produced_at, value, unit, reference_range, report_ref, result_id)
    RETURNING result_key INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION healthhub.register_result(text, text, text, text, timestamptz, text, text, text, healthhub.emr_ref) IS
    'Register an exam or lab result of the institution, for the person its own record is linked to';

CREATE TABLE healthhub.stage_results (
    line_no         bigint GENERATED BY DEFAULT AS IDENTITY,
    result_id       text,   -- the institution's id of the result
    patient_id      text,   -- its record of the patient (link_record's local_id)
    item_code       text,
    produced_at     text,
    value           text,
    unit            text,
    reference_range text,
    report_ref      text    -- the report document's emr_ref, when indexed
);
COMMENT ON TABLE healthhub.stage_results IS 'Staging for healthhub.load_results(): COPY an institution''s results here';
ALTER TABLE healthhub.stage_results REPLICA IDENTITY FULL;
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.stage_results', 'staging', 'results.load.delta of the load that reads it');

-- Load the results staged from one institution's file (as
-- load_encounters): every bad row reported, the same file twice changes
-- nothing, a corrected result replaces the earlier one.
CREATE FUNCTION healthhub.load_results(source text, file_digest text)
    RETURNS TABLE (load_id bigint, staged integer, loaded integer, rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    st constant regclass := 'healthhub.stage_results';
    b record := healthhub.begin_records_load('results', source, file_digest, st);
    lid bigint := b.load_id;
    src text := btrim(source);
BEGIN
    IF b.already_loaded THEN
        RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, true FROM healthhub.records_load_outcome(lid, 'results') o;
        RETURN;
    END IF;
    PERFORM healthhub.load_require(lid, 'results', st, ARRAY['result_id', 'patient_id', 'item_code', 'value']);
    PERFORM healthhub.load_check_duplicates(lid, 'results', st, 'result_id');
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'result_id', '^[A-Za-z0-9._/+-]{1,64}$',
                                         'is not 1 to 64 letters, digits or . _ / + -', false);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'item_code', '^[A-Za-z0-9._-]{1,40}$',
                                         'is not 1 to 40 letters, digits or . _ -', false);
    PERFORM healthhub.load_check_patient(lid, 'results', st, src);
    PERFORM healthhub.load_check_type(lid, 'results', st, 'produced_at', 'timestamptz', true);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'value', '^.{1,200}$', 'is longer than 200 characters', false);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'unit', '^.{1,40}$', 'is longer than 40 characters', false);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'reference_range', '^.{1,100}$',
                                         'is longer than 100 characters', false);
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'results', s.line_no, 'report_ref', s.report_ref, healthhub.emr_ref_problem(s.report_ref)
      FROM healthhub.stage_results s
     WHERE nullif(btrim(s.report_ref), '') IS NOT NULL AND healthhub.emr_ref_problem(s.report_ref) IS NOT NULL;

    INSERT INTO healthhub.exam_results AS x (person_key, record_id, institution_key, item_code, produced_at, value, unit,
                                             reference_range, report_ref, local_id)
    SELECT healthhub.current_person(r.person_key), r.record_id, b.institution, btrim(s.item_code),
           btrim(s.produced_at)::timestamptz, btrim(s.value), nullif(btrim(s.unit), ''),
           nullif(btrim(s.reference_range), ''), nullif(btrim(s.report_ref), '')::healthhub.emr_ref, btrim(s.result_id)
      FROM healthhub.stage_results s
      JOIN healthhub.source_records r ON r.source = src AND r.local_id = btrim(s.patient_id) AND r.person_key IS NOT NULL
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'results' AND e.line_no = s.line_no)
    ON CONFLICT (institution_key, local_id) DO UPDATE
       SET person_key = EXCLUDED.person_key, record_id = EXCLUDED.record_id, item_code = EXCLUDED.item_code,
           produced_at = EXCLUDED.produced_at, value = EXCLUDED.value, unit = EXCLUDED.unit,
           reference_range = EXCLUDED.reference_range, report_ref = EXCLUDED.report_ref
     WHERE (x.person_key, x.item_code, x.produced_at, x.value, x.unit, x.reference_range, x.report_ref::text)
           IS DISTINCT FROM (EXCLUDED.person_key, EXCLUDED.item_code, EXCLUDED.produced_at, EXCLUDED.value,
                             EXCLUDED.unit, EXCLUDED.reference_range, EXCLUDED.report_ref::text);
    RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, false FROM healthhub.end_records_load(lid, 'results', st) o;
END
$$;
COMMENT ON FUNCTION healthhub.load_results(text, text) IS
    'Validate and load the exam and lab results staged from one institution''s file; keyed on (source, file digest)';
REVOKE ALL ON FUNCTION healthhub.load_results(text, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges) VALUES
    ('hub_admin', 'table', 'healthhub.stage_results', 'SELECT, INSERT, UPDATE, DELETE'),
    ('hub_admin', 'function', 'healthhub.load_results(text, text)', 'EXECUTE');

-- The prior results of an item the acting institution should accept
-- instead of re-testing, at a time: of a catalogue in force then whose
-- region holds both institutions; within the item's window; from a lab
-- that passed quality assessment for the item when it produced the result;
-- at a level the rule allows (same level; a lower institution accepts an
-- upper one's; an upper one a lower one's only within a city).  Another
-- institution's results need a consent in force for treatment, as
-- documents do; the read is recorded.  Newest first, with the mark.
CREATE FUNCTION healthhub.recognizable_results(person bigint, item text, "at" timestamptz DEFAULT pg_catalog.now(),
                                               practitioner bigint DEFAULT NULL)
    RETURNS TABLE (result_key bigint, item_code text, institution_key bigint, produced_at timestamptz, value text,
                   unit text, reference_range text, report_ref healthhub.emr_ref, mark text, valid_until timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.require_reader(practitioner);
    subject bigint;
    here healthhub.institutions;
    oldest timestamptz;
    producer bigint;
    entry record;
    certified tstzmultirange;
    -- what each producing institution's results are recognised under
    producers bigint[] := '{}';
    marks text[] := '{}';
    validities interval[] := '{}';
    certifications tstzmultirange[] := '{}';
BEGIN
    PERFORM healthhub.require_arguments('healthhub.recognizable_results', ARRAY['person', 'item', 'at'],
                                        ARRAY[person IS NULL, item IS NULL, "at" IS NULL]);
    subject := healthhub.record_person(person);
    SELECT * INTO here FROM healthhub.institutions i WHERE i.institution_key = reader;
    PERFORM healthhub.audit_append('read.exam_results', 'person', subject::text, subject, 'result recognition', 'ok',
                                   practitioner);
    -- No result older than the longest window of the item can be in force.
    SELECT "at" - max(c.validity) INTO oldest
      FROM healthhub.recognition_items c WHERE c.item_code = item AND c.valid @> "at";
    IF oldest IS NULL THEN
        RETURN;
    END IF;
    -- The rules that depend on the producing institution only (scope,
    -- level, certification) are decided once per institution, not per
    -- result.
    FOR producer IN
        SELECT DISTINCT r.institution_key FROM healthhub.exam_results r
         WHERE r.record_id IN (SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = subject)
           AND r.item_code = item AND r.produced_at BETWEEN oldest AND "at"
    LOOP
        -- (a producer under a city's catalogue and its province's: the city's entry)
        SELECT c.mark, c.validity INTO entry
          FROM healthhub.institutions p
          JOIN healthhub.recognition_items c ON c.item_code = item AND c.valid @> "at"
          JOIN healthhub.regions cr ON cr.code OPERATOR(healthhub.=) c.region
         WHERE p.institution_key = producer
           AND healthhub.region_code_contains(c.region, p.region) AND healthhub.region_code_contains(c.region, here.region)
           AND (coalesce(here.level, '1') <= coalesce(p.level, '1')
                OR healthhub.region_city(here.region) OPERATOR(healthhub.=) healthhub.region_city(p.region))
         ORDER BY cr.level = 'province'
         LIMIT 1;
        CONTINUE WHEN NOT FOUND;
        SELECT range_agg(q.period) INTO certified FROM healthhub.lab_certifications q
         WHERE q.institution_key = producer AND q.item_code = item AND q.passed;
        CONTINUE WHEN certified IS NULL;
        producers := producers || producer;
        marks := marks || entry.mark;
        validities := validities || entry.validity;
        certifications := certifications || certified;
    END LOOP;
    RETURN QUERY
    -- (the consent read in the same statement, under the same snapshot, as
    -- the results: documents_for)
    WITH k AS MATERIALIZED (SELECT healthhub.consent_allows(subject, 'treatment', reader, practitioner) AS consented)
    SELECT r.result_key, r.item_code, r.institution_key, r.produced_at, r.value, r.unit, r.reference_range,
           r.report_ref, e.mark, r.produced_at + e.validity
      FROM healthhub.exam_results r
      JOIN unnest(producers, marks, validities, certifications) e(institution_key, mark, validity, certified)
        ON e.institution_key = r.institution_key
     CROSS JOIN k
     WHERE (r.institution_key = reader OR k.consented)
       AND r.record_id IN (SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = subject)
       AND r.item_code = item AND r.produced_at BETWEEN oldest AND "at"
       AND r.produced_at + e.validity >= "at"
       AND e.certified @> r.produced_at   -- (the certification in force when it was produced)
     ORDER BY r.produced_at DESC, r.result_key;
END
$$;
COMMENT ON FUNCTION healthhub.recognizable_results(bigint, text, timestamptz, bigint) IS
    'Prior results of an item the acting institution should accept instead of re-testing (scope, level, window, certification); recorded';

-- Record the decision: a result accepted (it must be recognisable now), or
-- a re-test ordered with a reason.
CREATE FUNCTION healthhub.record_recognition(person bigint, item text, decision text, result bigint DEFAULT NULL,
                                             reason text DEFAULT NULL, note text DEFAULT NULL,
                                             practitioner bigint DEFAULT NULL, encounter text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.require_reader(practitioner);
    subject bigint;
    visit bigint;
    made bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.record_recognition', ARRAY['person', 'item', 'decision'],
                                        ARRAY[person IS NULL, item IS NULL, decision IS NULL]);
    subject := healthhub.record_person(person);
    IF encounter IS NOT NULL THEN
        SELECT e.encounter_key INTO visit FROM healthhub.encounters e
          JOIN healthhub.source_records s ON s.record_id = e.record_id
         WHERE e.institution_key = reader AND e.local_id = encounter AND s.person_key = subject;
        IF visit IS NULL THEN
            RAISE EXCEPTION 'no encounter % of this person at this institution', quote_literal(encounter)
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'A decision is recorded against the deciding institution''s encounter (its encounter id).';
        END IF;
    END IF;
    IF decision NOT IN ('accepted', 'retest') THEN
        RAISE EXCEPTION 'invalid decision %', decision
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A decision is accepted or retest.';
    ELSIF decision = 'retest' AND (reason IS NULL OR NOT EXISTS (SELECT FROM healthhub.retest_reasons t WHERE t.reason = record_recognition.reason)) THEN
        RAISE EXCEPTION 'a re-test needs one of the reasons'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The reasons are listed in healthhub.retest_reasons.';
    ELSIF decision = 'accepted' AND (reason IS NOT NULL OR result IS NULL OR NOT EXISTS (
              SELECT FROM healthhub.recognizable_results(subject, item, now(), practitioner) x WHERE x.result_key = result)) THEN
        RAISE EXCEPTION 'only a recognisable result is accepted'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Name a result recognizable_results() returns now, and no re-test reason.';
    END IF;
    INSERT INTO healthhub.recognition_decisions (person_key, institution_key, practitioner_key, encounter_key, item_code,
                                                 result_key, decision, reason, note)
    VALUES (subject, reader, practitioner, visit, item, result, decision, reason, note)
    RETURNING decision_key INTO made;
    RETURN made;
END
$$;
COMMENT ON FUNCTION healthhub.record_recognition(bigint, text, text, bigint, text, text, bigint, text) IS
    'Record a result accepted instead of a re-test, or a re-test ordered with its reason (against an encounter)';

-- Recognition by institution and month: decisions, results accepted,
-- re-tests, the rate, and the re-tests (and their cost) avoided.  No person
-- data: for statisticians.
CREATE VIEW healthhub.recognition_report AS
SELECT d.institution_key, i.name AS institution, date_trunc('month', d.decided_at) AS month,
       count(*) AS decisions,
       count(*) FILTER (WHERE d.decision = 'accepted') AS accepted,
       count(*) FILTER (WHERE d.decision = 'retest') AS retests,
       round(count(*) FILTER (WHERE d.decision = 'accepted')::numeric / count(*), 4) AS recognition_rate,
       coalesce(sum(c.cost) FILTER (WHERE d.decision = 'accepted'), 0) AS avoided_cost
  FROM healthhub.recognition_decisions d
  JOIN healthhub.institutions i ON i.institution_key = d.institution_key
  LEFT JOIN LATERAL (SELECT min(ri.cost) AS cost FROM healthhub.recognition_items ri
                      WHERE ri.item_code = d.item_code AND ri.valid @> d.decided_at) c ON true
 GROUP BY d.institution_key, i.name, date_trunc('month', d.decided_at);
COMMENT ON VIEW healthhub.recognition_report IS
    'Result recognition by institution and month: accepted, re-tests, rate, avoided re-tests and cost';

REVOKE ALL ON FUNCTION healthhub.region_city(healthhub.region_code) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.register_result(text, text, text, text, timestamptz, text, text, text, healthhub.emr_ref) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.recognizable_results(bigint, text, timestamptz, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.record_recognition(bigint, text, text, bigint, text, text, bigint, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app', 'clinician']) pr,
       unnest(ARRAY['healthhub.register_result(text, text, text, text, timestamptz, text, text, text, healthhub.emr_ref)',
                    'healthhub.recognizable_results(bigint, text, timestamptz, bigint)',
                    'healthhub.record_recognition(bigint, text, text, bigint, text, text, bigint, text)']) f
UNION ALL
SELECT pr, 'table', 'healthhub.recognition_report', 'SELECT'
  FROM unnest(ARRAY['hub_admin', 'statistician', 'auditor']) pr
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE, DELETE'
  FROM unnest(ARRAY['healthhub.recognition_items', 'healthhub.lab_certifications', 'healthhub.retest_reasons']) t;
