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

