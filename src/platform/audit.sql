-- The tamper-evident audit trail (docs/security.md).
--
-- Writers only INSERT: an entry row plus its id in a small queue, in the
-- caller's transaction, so an entry becomes sealable exactly when it commits.
-- One sealer at a time (a table lock only the owner can take) takes queued ids in entry order and
-- writes a block: the entries' hashes, their RFC 6962 Merkle root and a hash
-- chaining the block to the previous one, as Certificate Transparency logs do.
-- A signed checkpoint (tree head) kept outside the database lets
-- healthhub.verify_audit() prove that the trail still extends it.

-- Configuration: one row, created by healthhub.configure_audit(); without it
-- the defaults below apply.  (No row is shipped, so pg_dump's copy of a
-- configured row never collides with one made by CREATE EXTENSION.)
CREATE TABLE healthhub.audit_settings (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    algorithm       text NOT NULL DEFAULT 'sha256' CHECK (algorithm IN ('sha256', 'sm3')),
    seal_interval   interval NOT NULL DEFAULT '1 second'
                    CHECK (seal_interval > '0'::interval AND seal_interval <= '1 day'::interval),
    block_max       integer NOT NULL DEFAULT 10000 CHECK (block_max BETWEEN 1 AND 1000000),
    changed_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    changed_by      name NOT NULL DEFAULT SESSION_USER
);
COMMENT ON TABLE healthhub.audit_settings IS
    'Audit trail settings (at most one row; defaults apply without it): hash algorithm, sealing delay, block size';
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_settings', '');

-- The entries.  No personal data: person_key is a key, never an ID number or
-- a name, so erasing a person's data never breaks the trail.
CREATE SEQUENCE healthhub.audit_entry_seq MINVALUE 1 NO CYCLE;
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_entry_seq', '');

CREATE TABLE healthhub.audit_entries (
    entry_id        bigint NOT NULL DEFAULT pg_catalog.nextval('healthhub.audit_entry_seq'),
    at              timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    role_name       name NOT NULL,
    session_role    name NOT NULL,
    institution_key bigint,
    practitioner_key bigint,
    -- not blank: audit_append() refuses those (a CHECK here would be
    -- re-read from the catalog by every append's executor start-up)
    action          text NOT NULL,
    object_kind     text NOT NULL,
    object_id       text,
    person_key      bigint,
    purpose         text,
    outcome         text NOT NULL,
    PRIMARY KEY (entry_id)
) PARTITION BY RANGE (entry_id);
COMMENT ON TABLE healthhub.audit_entries IS
    'The audit trail: who, what, when, why and the outcome; append-only, sealed into healthhub.audit_blocks';
ALTER SEQUENCE healthhub.audit_entry_seq OWNED BY healthhub.audit_entries.entry_id;
-- A person's entries, newest first: who read their records
-- (healthhub.accesses_of, src/records/consent.sql).
CREATE INDEX audit_entries_person ON healthhub.audit_entries (person_key, entry_id) WHERE person_key IS NOT NULL;

-- Entries not yet sealed.  Rows live for about one seal interval.
CREATE TABLE healthhub.audit_queue (
    entry_id        bigint PRIMARY KEY,
    queued_at       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
        autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000);
COMMENT ON TABLE healthhub.audit_queue IS 'Audit entries committed but not yet sealed into a block';
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_queue', '');

CREATE TABLE healthhub.audit_blocks (
    block_no        bigint PRIMARY KEY CHECK (block_no >= 1),
    sealed_at       timestamptz NOT NULL,
    algorithm       text NOT NULL,
    entry_count     integer NOT NULL,
    entry_ids       bigint[] NOT NULL,
    entry_hashes    bytea NOT NULL,
    merkle_root     bytea NOT NULL,
    prev_hash       bytea NOT NULL,
    block_hash      bytea NOT NULL
);
-- hashes do not compress: do not try at every block
ALTER TABLE healthhub.audit_blocks ALTER COLUMN entry_hashes SET STORAGE EXTERNAL;
COMMENT ON TABLE healthhub.audit_blocks IS
    'Sealed blocks of audit entries: entry hashes, Merkle root, and a hash chain over the blocks';
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_blocks', '');

-- Partitions archived (detached, dumped and dropped) after the retention period.
CREATE TABLE healthhub.audit_archives (
    partition_name  text NOT NULL,
    first_entry_id  bigint NOT NULL,
    end_entry_id    bigint NOT NULL,        -- exclusive
    entries         bigint NOT NULL,
    newest_entry_at timestamptz,
    last_block_no   bigint,                 -- last block listing an entry of the range
    last_block_hash bytea,
    archive_entry_id bigint NOT NULL,       -- the audit entry recording the archiving
    archived_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    archived_by     name NOT NULL DEFAULT SESSION_USER,
    PRIMARY KEY (first_entry_id),
    CHECK (end_entry_id > first_entry_id)
);
COMMENT ON TABLE healthhub.audit_archives IS
    'Entry ranges archived out of healthhub.audit_entries; verification accepts their absence';
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_archives', '');

-- The key that signs checkpoints, made at the first checkpoint (so a restore
-- brings back the dumped key rather than colliding with a new one).
CREATE TABLE healthhub.audit_signing_key (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    signing_key     bytea NOT NULL CHECK (pg_catalog.length(signing_key) >= 32),
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE healthhub.audit_signing_key IS 'HMAC key of audit checkpoints; readable by the extension owner only';
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_signing_key', '');
REVOKE ALL ON healthhub.audit_signing_key FROM PUBLIC;

-- configure_audit (and any other change of the settings) is recorded; the
-- trail's own tables are its record
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.audit_settings
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('audit_settings', '', 'audit settings');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.audit_entries', 'trail', 'the trail'),
    ('healthhub.audit_queue', 'trail', 'entries waiting to be sealed'),
    ('healthhub.audit_blocks', 'trail', 'sealed blocks'),
    ('healthhub.audit_archives', 'trail', 'archive'),
    ('healthhub.audit_signing_key', 'trail', 'checkpoint key, made at install'),
    ('healthhub.audit_exemptions', 'catalogue', 'written by each area''s install script'),
    ('healthhub.data_kinds', 'catalogue', 'written by each area''s install script');

-- Hashing and signing, in C (src/platform/audit_hash.c over src/core/digest.c).
CREATE FUNCTION healthhub.audit_entry_hash(algorithm text, entry_id bigint, at timestamptz,
        role_name name, session_role name, institution_key bigint, practitioner_key bigint,
        action text, object_kind text, object_id text, person_key bigint, purpose text, outcome text)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_audit_entry_hash' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.audit_entry_hash(text, bigint, timestamptz, name, name, bigint, bigint, text, text, text, bigint, text, text) IS
    'RFC 6962 leaf hash of one audit entry''s canonical serialisation';
CREATE FUNCTION healthhub.audit_merkle_root(algorithm text, entry_hashes bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_audit_merkle_root' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.audit_merkle_root(text, bytea) IS
    'RFC 6962 Merkle tree hash over concatenated 32-byte entry hashes';
CREATE FUNCTION healthhub.audit_block_hash(algorithm text, prev_hash bytea, block_no bigint,
        entry_count integer, merkle_root bytea, sealed_at timestamptz) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_audit_block_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.audit_block_hash(text, bytea, bigint, integer, bytea, timestamptz) IS
    'Hash of an audit block, chaining it to its predecessor';
CREATE FUNCTION healthhub.audit_hmac(key bytea, payload text) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_audit_hmac' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.audit_equal(a bytea, b bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_audit_equal' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.audit_random_key() RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_audit_random_key' LANGUAGE C VOLATILE PARALLEL SAFE;
CREATE FUNCTION healthhub.audit_verify_chain(checkpoint_block bigint, checkpoint_hash bytea,
        checkpoint_entries bigint)
    RETURNS TABLE (problem text, block_no bigint, entry_id bigint, detail text)
    AS 'MODULE_PATHNAME', 'hh_audit_verify_chain' LANGUAGE C STABLE STRICT;
REVOKE ALL ON FUNCTION healthhub.audit_hmac(bytea, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.audit_equal(bytea, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.audit_random_key() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.audit_verify_chain(bigint, bytea, bigint) FROM PUBLIC;

-- Append-only: no UPDATE, DELETE or TRUNCATE, not even by the owner.
CREATE FUNCTION healthhub.audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only'
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('%s on %I.%I is not allowed.', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
              HINT = 'Old entries leave the trail only by archiving: healthhub.archive_audit_partition().';
END
$$;

CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON healthhub.audit_entries
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_refuse_change();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON healthhub.audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.audit_refuse_change();
CREATE TRIGGER audit_blocks_append_only BEFORE UPDATE OR DELETE ON healthhub.audit_blocks
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_refuse_change();
CREATE TRIGGER audit_blocks_no_truncate BEFORE TRUNCATE ON healthhub.audit_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.audit_refuse_change();
CREATE TRIGGER audit_archives_append_only BEFORE UPDATE OR DELETE ON healthhub.audit_archives
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_refuse_change();
CREATE TRIGGER audit_archives_no_truncate BEFORE TRUNCATE ON healthhub.audit_archives
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.audit_refuse_change();

-- Partitions of 10,000,000 entry ids, created ahead of need by the sealer;
-- the DEFAULT partition is only a safety net (it should stay empty).
CREATE FUNCTION healthhub.audit_ensure_partitions() RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    chunk   constant bigint := 10000000;
    cur     bigint;
    k       bigint;
    part    text;
    made    integer := 0;
BEGIN
    SELECT s.last_value INTO cur FROM healthhub.audit_entry_seq s;
    FOR k IN (cur / chunk) .. (cur / chunk) + 1 LOOP
        part := 'audit_entries_p' || lpad(k::text, 5, '0');
        CONTINUE WHEN to_regclass('healthhub.' || part) IS NOT NULL;
        -- create, constrain, then attach: attaching takes a weaker lock on
        -- the parent than CREATE TABLE ... PARTITION OF, so writers go on.
        -- The constraint only spares ATTACH a scan; kept, every append's
        -- executor would read it back from the catalog.
        EXECUTE format('CREATE TABLE healthhub.%I (LIKE healthhub.audit_entries INCLUDING ALL)', part);
        EXECUTE format('ALTER TABLE healthhub.%I ADD CONSTRAINT %I CHECK (entry_id >= %s AND entry_id < %s)',
                       part, part || '_range', k * chunk, (k + 1) * chunk);
        EXECUTE format('ALTER TABLE healthhub.audit_entries ATTACH PARTITION healthhub.%I FOR VALUES FROM (%s) TO (%s)',
                       part, k * chunk, (k + 1) * chunk);
        EXECUTE format('ALTER TABLE healthhub.%I DROP CONSTRAINT %I', part, part || '_range');
        EXECUTE format('CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON healthhub.%I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION healthhub.audit_refuse_change()', part);
        made := made + 1;
    END LOOP;
    RETURN made;
END
$$;
REVOKE ALL ON FUNCTION healthhub.audit_ensure_partitions() FROM PUBLIC;

CREATE TABLE healthhub.audit_entries_default PARTITION OF healthhub.audit_entries DEFAULT;
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON healthhub.audit_entries_default
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.audit_refuse_change();
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_entries_default', '');
SELECT healthhub.audit_ensure_partitions();
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_entries_p00000', '');
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_entries_p00001', '');

-- Settings.
CREATE FUNCTION healthhub.configure_audit(algorithm text DEFAULT NULL, seal_interval interval DEFAULT NULL,
                                          block_max integer DEFAULT NULL)
    RETURNS healthhub.audit_settings
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result healthhub.audit_settings;
BEGIN
    IF algorithm IS NOT NULL AND algorithm NOT IN ('sha256', 'sm3') THEN
        RAISE EXCEPTION 'unknown audit hash algorithm "%"', algorithm
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The algorithms are "sha256" and "sm3" (GB/T 32905).';
    END IF;
    IF seal_interval IS NOT NULL AND (seal_interval <= '0'::interval OR seal_interval > '1 day'::interval) THEN
        RAISE EXCEPTION 'audit seal interval % is out of range', seal_interval
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Entries are sealed within the interval; it must be positive and at most one day.';
    END IF;
    IF block_max IS NOT NULL AND (block_max < 1 OR block_max > 1000000) THEN
        RAISE EXCEPTION 'audit block size % is out of range', block_max
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A block holds 1 to 1000000 entries.';
    END IF;
    INSERT INTO healthhub.audit_settings AS s (algorithm, seal_interval, block_max)
    VALUES (coalesce(configure_audit.algorithm, 'sha256'), coalesce(configure_audit.seal_interval, '1 second'),
            coalesce(configure_audit.block_max, 10000))
    ON CONFLICT (only_row) DO UPDATE
       SET algorithm = coalesce(configure_audit.algorithm, s.algorithm),
           seal_interval = coalesce(configure_audit.seal_interval, s.seal_interval),
           block_max = coalesce(configure_audit.block_max, s.block_max),
           changed_at = now(), changed_by = SESSION_USER
    RETURNING * INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION healthhub.configure_audit(text, interval, integer) IS
    'Set the audit hash algorithm (sha256 or sm3, from the next block on), sealing delay and block size';

-- Seal queued entries into blocks.  One sealer at a time; others return 0.
-- Must run in READ COMMITTED, so each statement sees the last sealed block.
CREATE FUNCTION healthhub.seal_audit(max_blocks integer DEFAULT NULL, wait boolean DEFAULT false)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    alg     text;
    bmax    integer;
    ids     bigint[];
    hashes  bytea;
    found_n bigint;
    prev    bytea;
    prev_no bigint;
    root    bytea;
    sealed  timestamptz;
    bh      bytea;
    n       integer := 0;
    taken_upto bigint := -1;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'healthhub.seal_audit() must run at isolation level READ COMMITTED'
            USING ERRCODE = 'active_sql_transaction',
                  DETAIL = format('This transaction is %s: its snapshot may predate the last sealed block.',
                                  upper(current_setting('transaction_isolation')));
    END IF;
    IF max_blocks IS NOT NULL AND max_blocks < 1 THEN
        RAISE EXCEPTION 'max_blocks must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One sealer at a time, by a lock only the trail's owner can take (any
    -- login can take any advisory lock, and so could stop sealing).
    IF wait THEN
        LOCK TABLE healthhub.audit_blocks IN SHARE UPDATE EXCLUSIVE MODE;
    ELSE
        BEGIN
            LOCK TABLE healthhub.audit_blocks IN SHARE UPDATE EXCLUSIVE MODE NOWAIT;
        EXCEPTION WHEN lock_not_available THEN
            RETURN 0;
        END;
    END IF;
    SELECT s.algorithm, s.block_max INTO alg, bmax FROM healthhub.audit_settings s;
    alg := coalesce(alg, 'sha256');
    bmax := coalesce(bmax, 10000);
    PERFORM healthhub.audit_ensure_partitions();
    SELECT b.block_no, b.block_hash INTO prev_no, prev
      FROM healthhub.audit_blocks b ORDER BY b.block_no DESC LIMIT 1;
    prev_no := coalesce(prev_no, 0);
    prev := coalesce(prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    LOOP
        EXIT WHEN max_blocks IS NOT NULL AND n >= max_blocks;
        -- Take the oldest queued ids by the index, then delete exactly those:
        -- a semi-join here could scan the whole queue once per block when a
        -- backlog of millions has no statistics yet.  No row locks: the
        -- table lock already makes this the only sealer, and writers never
        -- touch a queued row again.
        -- Start after the last id taken: the ids this call deleted are still
        -- in the index (dead only once it commits), and rescanning them for
        -- every block would make a backlog quadratic.
        SELECT array_agg(q.entry_id ORDER BY q.entry_id) INTO ids
          FROM (SELECT q2.entry_id FROM healthhub.audit_queue q2
                 WHERE q2.entry_id > taken_upto
                 ORDER BY q2.entry_id LIMIT bmax) q;
        EXIT WHEN ids IS NULL;
        taken_upto := ids[cardinality(ids)];
        -- joins with unnest(): "= ANY (ids)" on a 10,000-element array
        -- parameter is a linear search per row
        DELETE FROM healthhub.audit_queue q USING unnest(ids) AS t(id) WHERE q.entry_id = t.id;
        SELECT count(*),
               string_agg(healthhub.audit_entry_hash(alg, e.entry_id, e.at, e.role_name, e.session_role,
                              e.institution_key, e.practitioner_key, e.action, e.object_kind, e.object_id,
                              e.person_key, e.purpose, e.outcome), ''::bytea ORDER BY e.entry_id)
          INTO found_n, hashes
          FROM unnest(ids) AS t(id)
          JOIN healthhub.audit_entries e ON e.entry_id = t.id
         WHERE e.entry_id BETWEEN ids[1] AND ids[cardinality(ids)];
        IF found_n <> cardinality(ids) THEN
            RAISE EXCEPTION 'audit entries queued for sealing are missing'
                USING ERRCODE = 'data_corrupted',
                      DETAIL = format('%s entries were queued between %s and %s but %s exist.',
                                      cardinality(ids), ids[1], ids[cardinality(ids)], found_n),
                      HINT = 'Run healthhub.verify_audit() with the last checkpoint.';
        END IF;
        root := healthhub.audit_merkle_root(alg, hashes);
        sealed := clock_timestamp();
        prev_no := prev_no + 1;
        bh := healthhub.audit_block_hash(alg, prev, prev_no, cardinality(ids), root, sealed);
        INSERT INTO healthhub.audit_blocks (block_no, sealed_at, algorithm, entry_count, entry_ids,
                                            entry_hashes, merkle_root, prev_hash, block_hash)
        VALUES (prev_no, sealed, alg, cardinality(ids), ids, hashes, root, prev, bh);
        prev := bh;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.seal_audit(integer, boolean) IS
    'Seal queued audit entries into blocks (at most max_blocks); returns the number of blocks written';

-- Sealing is due when the oldest queued entry has waited seal_interval.
-- audit_append asks at most ten times a second per backend and then starts
-- the sealer, a background worker (src/platform/audit_sealer.c), so the
-- writer's own transaction does not pay for it.
CREATE FUNCTION healthhub.audit_seal_due() RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(
        (SELECT q.queued_at FROM healthhub.audit_queue q ORDER BY q.entry_id LIMIT 1)
            OPERATOR(pg_catalog.<) (pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-)
            coalesce((SELECT s.seal_interval FROM healthhub.audit_settings s), '1 second'::interval)),
        false);
END;
REVOKE ALL ON FUNCTION healthhub.audit_seal_due() FROM PUBLIC;

-- Seal if due, never failing the caller's work because sealing failed: what
-- the sealer runs, and what a writer runs itself when no worker can start.
-- (Whether it sealed anything: the sealer backs off when it did not.)
CREATE FUNCTION healthhub.audit_seal_if_due() RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' OR NOT healthhub.audit_seal_due() THEN
        RETURN false;
    END IF;
    BEGIN
        RETURN healthhub.seal_audit(10) > 0;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'audit sealing failed: %', SQLERRM
            USING HINT = 'Entries stay queued; run healthhub.seal_audit() to see the error.';
        RETURN false;
    END;
END
$$;
REVOKE ALL ON FUNCTION healthhub.audit_seal_if_due() FROM PUBLIC;

-- THE function other areas call to record what happened (C, see
-- src/platform/audit_append.c).  The caller is recorded as the role whose
-- privileges it is using and its login role; the institution is that role's,
-- from healthhub.role_profiles; the entry is queued for sealing in the same
-- transaction, so it becomes sealable exactly when it commits.
CREATE FUNCTION healthhub.audit_append(action text, object_kind text, object_id text,
                                       person_key bigint DEFAULT NULL, purpose text DEFAULT NULL,
                                       outcome text DEFAULT 'ok', practitioner_key bigint DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_audit_append' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION healthhub.audit_append(text, text, text, bigint, text, text, bigint) IS
    'Append an entry to the audit trail (who is taken from the session); returns its entry_id';
REVOKE ALL ON FUNCTION healthhub.audit_append(text, text, text, bigint, text, text, bigint) FROM PUBLIC;

-- The text a checkpoint's signature covers, from the checkpoint's own fields.
CREATE FUNCTION healthhub.audit_checkpoint_payload(checkpoint jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.concat_ws('|', 'healthhub-audit-checkpoint',
        checkpoint OPERATOR(pg_catalog.->>) 'version',
        coalesce(checkpoint OPERATOR(pg_catalog.->>) 'hub_id', ''),
        checkpoint OPERATOR(pg_catalog.->>) 'block_no',
        checkpoint OPERATOR(pg_catalog.->>) 'block_hash',
        checkpoint OPERATOR(pg_catalog.->>) 'entries',
        checkpoint OPERATOR(pg_catalog.->>) 'algorithm',
        checkpoint OPERATOR(pg_catalog.->>) 'at');

-- Seal, then sign the tree head.  The operator keeps the result outside the
-- database.
CREATE FUNCTION healthhub.audit_checkpoint() RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k       bytea;
    head    healthhub.audit_blocks;
    total   bigint;
    cp      jsonb;
BEGIN
    PERFORM healthhub.seal_audit(NULL, true);
    SELECT s.signing_key INTO k FROM healthhub.audit_signing_key s;
    IF k IS NULL THEN
        INSERT INTO healthhub.audit_signing_key (signing_key) VALUES (healthhub.audit_random_key())
        ON CONFLICT (only_row) DO NOTHING;
        SELECT s.signing_key INTO k FROM healthhub.audit_signing_key s;
    END IF;
    SELECT * INTO head FROM healthhub.audit_blocks b ORDER BY b.block_no DESC LIMIT 1;
    SELECT coalesce(sum(b.entry_count), 0) INTO total FROM healthhub.audit_blocks b;
    cp := jsonb_build_object(
        'version', 1,
        'hub_id', healthhub.hub_id(),
        'block_no', coalesce(head.block_no, 0),
        'block_hash', encode(coalesce(head.block_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea), 'hex'),
        'entries', total,
        'algorithm', coalesce(head.algorithm,
                              (SELECT s.algorithm FROM healthhub.audit_settings s), 'sha256'),
        'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));
    RETURN cp || jsonb_build_object('signature',
        encode(healthhub.audit_hmac(k, healthhub.audit_checkpoint_payload(cp)), 'hex'));
END
$$;
COMMENT ON FUNCTION healthhub.audit_checkpoint() IS
    'Seal the audit trail and return a signed checkpoint (tree head) to keep outside the database';
REVOKE ALL ON FUNCTION healthhub.audit_checkpoint() FROM PUBLIC;

-- Prove the trail still extends a checkpoint.  STABLE: one snapshot for
-- every query, so entries, queue and blocks are seen consistently.
CREATE FUNCTION healthhub.verify_audit(checkpoint jsonb)
    RETURNS TABLE (ok boolean, problem text, block_no bigint, entry_id bigint, detail text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    field   text;
    k       bytea;
    cp_no   bigint;
    cp_n    bigint;
    nblocks bigint;
    nent    bigint;
    bad     record;
    found_any boolean := false;
BEGIN
    IF checkpoint IS NULL THEN
        RAISE EXCEPTION 'checkpoint must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the JSON that healthhub.audit_checkpoint() returned.';
    END IF;
    IF jsonb_typeof(checkpoint) <> 'object' THEN
        RAISE EXCEPTION 'checkpoint must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('It is a JSON %s.', jsonb_typeof(checkpoint)),
                  HINT = 'Pass the JSON that healthhub.audit_checkpoint() returned, unchanged.';
    END IF;
    FOREACH field IN ARRAY ARRAY['version', 'hub_id', 'block_no', 'block_hash', 'entries', 'algorithm', 'at', 'signature'] LOOP
        IF NOT checkpoint ? field THEN
            RAISE EXCEPTION 'checkpoint lacks field "%"', field
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass the JSON that healthhub.audit_checkpoint() returned, unchanged.';
        END IF;
    END LOOP;
    IF checkpoint->'version' <> '1'::jsonb
       OR jsonb_typeof(checkpoint->'block_no') <> 'number' OR (checkpoint->>'block_no') !~ '^[0-9]{1,18}$'
       OR jsonb_typeof(checkpoint->'entries') <> 'number' OR (checkpoint->>'entries') !~ '^[0-9]{1,18}$'
       OR jsonb_typeof(checkpoint->'block_hash') <> 'string' OR (checkpoint->>'block_hash') !~ '^[0-9a-f]{64}$'
       OR jsonb_typeof(checkpoint->'signature') <> 'string' OR (checkpoint->>'signature') !~ '^[0-9a-f]{64}$'
       OR jsonb_typeof(checkpoint->'algorithm') <> 'string' OR (checkpoint->>'algorithm') NOT IN ('sha256', 'sm3')
       OR jsonb_typeof(checkpoint->'at') <> 'string'
       OR jsonb_typeof(checkpoint->'hub_id') NOT IN ('number', 'null') THEN
        RAISE EXCEPTION 'checkpoint is malformed'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Expected version 1, numeric block_no and entries, 64 hex digits in block_hash and signature, algorithm sha256 or sm3.',
                  HINT = 'Pass the JSON that healthhub.audit_checkpoint() returned, unchanged.';
    END IF;
    SELECT s.signing_key INTO k FROM healthhub.audit_signing_key s;
    IF k IS NULL THEN
        RAISE EXCEPTION 'this hub has no audit signing key'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'No checkpoint was ever taken here, or the key was removed.';
    END IF;
    IF NOT healthhub.audit_equal(healthhub.audit_hmac(k, healthhub.audit_checkpoint_payload(checkpoint)),
                                 decode(checkpoint->>'signature', 'hex')) THEN
        RAISE EXCEPTION 'checkpoint signature does not verify'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The checkpoint was altered, comes from another hub, or this hub''s signing key was replaced.';
    END IF;
    IF (checkpoint->>'hub_id')::bigint IS DISTINCT FROM healthhub.hub_id() THEN
        RAISE EXCEPTION 'checkpoint belongs to hub %, this is hub %',
                        coalesce(checkpoint->>'hub_id', 'NULL'), coalesce(healthhub.hub_id()::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cp_no := (checkpoint->>'block_no')::bigint;
    cp_n := (checkpoint->>'entries')::bigint;

    FOR bad IN SELECT * FROM healthhub.audit_verify_chain(cp_no, decode(checkpoint->>'block_hash', 'hex'), cp_n) LOOP
        found_any := true;
        RETURN QUERY SELECT false, bad.problem, bad.block_no, bad.entry_id, bad.detail;
    END LOOP;

    -- an archived range must have been archived through the trail itself
    FOR bad IN SELECT a.* FROM healthhub.audit_archives a
                WHERE NOT EXISTS (SELECT FROM healthhub.audit_entries e
                                   WHERE e.entry_id = a.archive_entry_id AND e.action = 'archive'
                                     AND e.object_kind = 'audit_entries'
                                     AND e.object_id = a.first_entry_id || '-' || a.end_entry_id)
                ORDER BY a.first_entry_id LIMIT 1 LOOP
        found_any := true;
        RETURN QUERY SELECT false, 'archive unrecorded'::text, bad.last_block_no, bad.first_entry_id,
            format('Entries %s to %s are recorded as archived but the trail has no entry for that archiving.',
                   bad.first_entry_id, bad.end_entry_id - 1);
    END LOOP;

    IF NOT found_any THEN
        SELECT count(*), coalesce(sum(b.entry_count), 0) INTO nblocks, nent FROM healthhub.audit_blocks b;
        RETURN QUERY SELECT true, NULL::text, nblocks, NULL::bigint,
            format('%s blocks and %s entries verified; the trail extends the checkpoint at block %s.',
                   nblocks, nent, cp_no);
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.verify_audit(jsonb) IS
    'Verify the whole audit trail against a checkpoint; one row ok = true, or the first problem found';
REVOKE ALL ON FUNCTION healthhub.verify_audit(jsonb) FROM PUBLIC;

-- Archive a partition older than the retention period: detach it and record
-- its range, so verification accepts the absence of its rows.  The operator
-- then dumps the detached table and drops it (docs/security.md).
CREATE FUNCTION healthhub.archive_audit_partition(partition regclass)
    RETURNS healthhub.audit_archives
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    retention constant interval := '6 months';  -- Cybersecurity Law art. 21
    bounds  text[];
    lo      bigint;
    hi      bigint;
    newest  timestamptz;
    cnt     bigint;
    lastb   healthhub.audit_blocks;
    rec     healthhub.audit_archives;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.archive_audit_partition', ARRAY['partition'],
                                        ARRAY[partition IS NULL]);
    SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \(''?(\d+)''?\) TO \(''?(\d+)''?\)$')
      INTO bounds
      FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
     WHERE c.oid = partition AND i.inhparent = 'healthhub.audit_entries'::regclass;
    IF bounds IS NULL THEN
        RAISE EXCEPTION '% is not a range partition of healthhub.audit_entries', partition
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The partitions are listed by: SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = ''healthhub.audit_entries''::regclass;';
    END IF;
    lo := bounds[1]::bigint;
    hi := bounds[2]::bigint;
    IF hi > (SELECT s.last_value + 1 FROM healthhub.audit_entry_seq s) THEN
        RAISE EXCEPTION 'partition % is still being filled', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('It takes entry ids %s to %s; new entries still get ids in that range.', lo, hi - 1);
    END IF;
    IF EXISTS (SELECT FROM healthhub.audit_queue q WHERE q.entry_id >= lo AND q.entry_id < hi) THEN
        RAISE EXCEPTION 'partition % holds entries not yet sealed', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run healthhub.seal_audit() first.';
    END IF;
    EXECUTE format('SELECT max(at), count(*) FROM %s', partition) INTO newest, cnt;
    IF newest > now() - retention THEN
        RAISE EXCEPTION 'partition % holds entries younger than six months', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its newest entry is from %s.', newest),
                  HINT = 'Logs are kept online at least six months (Cybersecurity Law, article 21).';
    END IF;
    SELECT * INTO lastb FROM healthhub.audit_blocks b
     WHERE b.entry_ids[1] < hi AND b.entry_ids[b.entry_count] >= lo
     ORDER BY b.block_no DESC LIMIT 1;
    -- verify_audit() accepts the absence only of entries sealed six months
    -- before the archiving: the block times are on the chain, entry times
    -- are only as honest as the clock that wrote them
    IF lastb.sealed_at > now() - retention THEN
        RAISE EXCEPTION 'partition % holds entries sealed less than six months ago', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Block %s, which lists some of them, was sealed at %s.', lastb.block_no, lastb.sealed_at),
                  HINT = 'Logs are kept online at least six months (Cybersecurity Law, article 21).';
    END IF;
    EXECUTE format('ALTER TABLE healthhub.audit_entries DETACH PARTITION %s', partition);
    -- the first partitions are made by CREATE EXTENSION: release them, so the
    -- DBA can dump and drop the detached table
    IF EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = partition
                                         AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e') THEN
        EXECUTE format('ALTER EXTENSION healthhub DROP TABLE %s', partition);
    END IF;
    INSERT INTO healthhub.audit_archives (partition_name, first_entry_id, end_entry_id, entries,
                                          newest_entry_at, last_block_no, last_block_hash, archive_entry_id)
    VALUES (partition::text, lo, hi, cnt, newest, lastb.block_no, lastb.block_hash,
            healthhub.audit_append('archive', 'audit_entries', lo || '-' || hi, NULL, 'retention'))
    RETURNING * INTO rec;
    RETURN rec;
END
$$;
COMMENT ON FUNCTION healthhub.archive_audit_partition(regclass) IS
    'Detach an audit partition older than six months and record its range for verification';
REVOKE ALL ON FUNCTION healthhub.archive_audit_partition(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.seal_audit(integer, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.configure_audit(text, interval, integer) FROM PUBLIC;
REVOKE ALL ON healthhub.audit_entries, healthhub.audit_blocks, healthhub.audit_queue,
              healthhub.audit_archives, healthhub.audit_settings FROM PUBLIC;

-- What each profile may do with the trail.
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT p.profile, 'function', 'healthhub.audit_append(text, text, text, bigint, text, text, bigint)', 'EXECUTE'
  FROM healthhub.profiles p
UNION ALL
VALUES ('auditor',   'table',    'healthhub.audit_entries',  'SELECT'),
       ('auditor',   'table',    'healthhub.audit_blocks',   'SELECT'),
       ('auditor',   'table',    'healthhub.audit_archives', 'SELECT'),
       ('auditor',   'table',    'healthhub.audit_settings', 'SELECT'),
       ('auditor',   'function', 'healthhub.verify_audit(jsonb)', 'EXECUTE'),
       ('hub_admin', 'table',    'healthhub.audit_blocks',   'SELECT'),
       ('hub_admin', 'table',    'healthhub.audit_archives', 'SELECT'),
       ('hub_admin', 'table',    'healthhub.audit_settings', 'SELECT'),
       ('hub_admin', 'function', 'healthhub.audit_checkpoint()', 'EXECUTE'),
       ('hub_admin', 'function', 'healthhub.verify_audit(jsonb)', 'EXECUTE'),
       ('hub_admin', 'function', 'healthhub.seal_audit(integer, boolean)', 'EXECUTE'),
       ('hub_admin', 'function', 'healthhub.configure_audit(text, interval, integer)', 'EXECUTE'),
       ('hub_admin', 'function', 'healthhub.archive_audit_partition(regclass)', 'EXECUTE');
