-- healthhub 0.4 -> 0.5: governance that holds (issue 10; docs/security.md).
-- Hand-written: t/003 checks that an upgraded database equals a fresh 0.5,
-- object by object.
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.5'" to load this file. \quit

-- The licence status guard checks the status against the history, not the
-- trigger depth (code review S6).
CREATE OR REPLACE FUNCTION healthhub.licences_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    last_status text;
    last_effective timestamptz;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'active' AND NOT healthhub.registry_restoring() THEN
            RAISE EXCEPTION 'a new licence starts active'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Licence %s was inserted with status %s.', NEW.licence_no, NEW.status),
                      HINT = 'Insert it, then call healthhub.change_licence_status().';
        END IF;
        IF NEW.status_effective IS NULL THEN
            NEW.status_effective := lower(NEW.validity);
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status OR NEW.status_effective IS DISTINCT FROM OLD.status_effective THEN
        -- The status is the last of its history, whoever writes it: checked
        -- against the history, not against who calls (a trigger of any
        -- depth can be anyone's).
        SELECT h.status, h.effective INTO last_status, last_effective FROM healthhub.licence_status_history h
         WHERE h.licence_key = NEW.licence_key ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
        IF (NEW.status, NEW.status_effective) IS DISTINCT FROM (last_status, last_effective) THEN
            RAISE EXCEPTION 'the status of licence % is changed through its history', OLD.licence_no
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Its history says %s.', coalesce(last_status, 'nothing: it is active')),
                      HINT = 'Call healthhub.change_licence_status(licence_no, status, reason, effective).';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

-- No login can stall sealing (code review C1; issue 10): one sealer at a time
-- by a lock on audit_blocks only the owner can take; audit_seal_if_due says
-- whether it sealed anything, and the sealer backs off when it did not.
CREATE OR REPLACE FUNCTION healthhub.seal_audit(max_blocks integer DEFAULT NULL, wait boolean DEFAULT false)
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
DROP FUNCTION healthhub.audit_seal_if_due();
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

-- No login can stop a patient's records being linked (issue 10): link_record
-- locks rows of link_locks, which only the owner may lock, instead of
-- advisory locks; the first model is made under a table lock.
CREATE TABLE healthhub.link_locks (
    bucket          integer PRIMARY KEY CHECK (bucket BETWEEN 0 AND 65535)
);
INSERT INTO healthhub.link_locks SELECT g FROM pg_catalog.generate_series(0, 65535) g;
COMMENT ON TABLE healthhub.link_locks IS
    'Rows link_record locks for the keys of the record it links (a lock only the owner can take)';
CREATE OR REPLACE FUNCTION healthhub.link_record(source text, local_id text, name text DEFAULT NULL, sex text DEFAULT NULL,
                                      birth_date date DEFAULT NULL, identifier text DEFAULT NULL,
                                      phone text DEFAULT NULL, region text DEFAULT NULL,
                                      other_identifiers text[] DEFAULT '{}',
                                      OUT person_key bigint, OUT decision text, OUT explanation jsonb)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
BEGIN
    PERFORM healthhub.linkage_authorise(source);
    PERFORM healthhub.check_name_keys_version(), healthhub.replan_when_grown();
    r := healthhub.prepare_record(source, local_id, name, sex, birth_date, identifier, phone, region,
                                  other_identifiers);
    -- A bulk link running now holds the records in SHARE ROW EXCLUSIVE mode:
    -- wait for it before reading the index, not only before writing.
    LOCK TABLE healthhub.source_records IN ROW EXCLUSIVE MODE;

    -- Whoever links a record sharing a key or number with this one waits for
    -- this transaction, and then sees its person: two records of one new
    -- person linked at once make one person.  The keys lock rows of
    -- link_locks, which only the extension's owner may lock (an advisory
    -- lock any login could take, and hold to stop a patient's records being
    -- linked).  (In bucket order: no deadlocks.)
    PERFORM 1 FROM healthhub.link_locks l
     WHERE l.bucket = ANY (ARRAY(SELECT DISTINCT hashtext(k) & 65535
                                   FROM unnest(healthhub.block_keys(r)
                                               || ('record:' || r.source || '/' || r.local_id)
                                               || ('resident_id:' || r.resident_id::text)) k
                                  WHERE k IS NOT NULL))
     ORDER BY l.bucket
       FOR UPDATE;
    SELECT * INTO person_key, decision, explanation FROM healthhub.link_prepared(r);
END
$$;
CREATE OR REPLACE FUNCTION healthhub.linkage_model() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v integer;
BEGIN
    SELECT max(model_version) INTO v FROM healthhub.linkage_models;
    IF v IS NOT NULL THEN
        RETURN v;
    END IF;
    -- (a lock only the owner can take: any login could hold an advisory one)
    LOCK TABLE healthhub.linkage_models IN SHARE ROW EXCLUSIVE MODE;
    SELECT max(model_version) INTO v FROM healthhub.linkage_models;
    IF v IS NULL THEN
        v := 1;
        INSERT INTO healthhub.linkage_models (model_version, method, prior, match_probability, possible_probability,
                                              blocking_rules)
        VALUES (v, 'neutral', 0.000001, 0.99, 0.2,
                ARRAY(SELECT b.rule FROM healthhub.linkage_blocking_rules b WHERE b.by_default ORDER BY b.rule));
        INSERT INTO healthhub.linkage_weights (model_version, comparison, level, m, u)
        SELECT v, w.comparison, w.level, w.m, w.u FROM healthhub.linkage_neutral_weights() w;
    END IF;
    RETURN v;
END
$$;
