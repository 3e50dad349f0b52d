-- The loading framework: one way for every area to load an institution's
-- file (the registry's load_registry, the person index's link_batch, every
-- later area).  The file is COPY'd into an area's staging table (all text,
-- plus line_no), then the area's SECURITY DEFINER loader:
--
--   1. begin_load(kind, source, file_digest, mode): validates the key (clear
--      errors, 22023), and returns the new load's id, or the id of the load
--      that already read this file (already_loaded): healthhub.loads is
--      unique on (source, lowercased digest), the one definition of "this
--      file was already loaded";
--   2. begin_load_writes(load_id) (C, src/platform/load_writes.c): the rows
--      the load writes are recorded by the load's own entry, not one by one;
--   3. validates set-based, one INSERT INTO load_errors ... SELECT per rule
--      over the whole staging table (load_require, load_check_in,
--      load_check_type, load_check_pattern, load_check_duplicates, load_check_held_elsewhere,
--      load_check_reference, load_check_period): every bad row, every bad
--      column, with line, column, value and reason; no per-row loop, no
--      per-row subtransaction, nothing quadratic (hash joins and window
--      functions);
--   4. writes the good rows (load_good_rows(): no error recorded) in one
--      INSERT ... SELECT ... ON CONFLICT per entity, and for a snapshot ends
--      the source's rows absent from the file (load_end_absent);
--   5. end_load(load_id, outcome, purpose): records the outcome in loads and
--      the load's one audit entry, <kind>.load.<mode>, object id = load id.
--
-- The helpers build SQL only from the staging table (a regclass) and column
-- names the loader passes as constants, quoted with %I; values travel as
-- parameters.  They run as their caller (the loader, as the owner), and
-- PUBLIC may not execute them.

CREATE TABLE healthhub.loads (
    load_id     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    source      text NOT NULL CHECK (source ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    file_digest text NOT NULL CHECK (file_digest ~ '^([a-z0-9]+:)?[0-9a-f]{32,128}$'),
    mode        text NOT NULL CHECK (mode IN ('snapshot', 'delta')),
    loaded_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    loaded_by   name NOT NULL DEFAULT CURRENT_USER,
    outcome     jsonb NOT NULL DEFAULT '{}',
    kind        text NOT NULL CHECK (kind IN ('registry', 'person_records', 'encounters', 'results', 'drugs',
                                          'settle_catalogue', 'settle_policy')),
    UNIQUE (source, file_digest)
);
COMMENT ON TABLE healthhub.loads IS 'Every load of a file (registry, person records, encounters, results, drugs, settlement catalogues and policies), keyed on (source, file digest); mode snapshot or delta';
SELECT pg_catalog.pg_extension_config_dump('healthhub.loads', '');

CREATE TABLE healthhub.load_errors (
    load_id     bigint NOT NULL REFERENCES healthhub.loads,
    entity      text NOT NULL,
    line_no     bigint,
    column_name text,
    value       text,
    reason      text NOT NULL
);
CREATE INDEX load_errors_load_idx ON healthhub.load_errors (load_id, entity, line_no);
COMMENT ON TABLE healthhub.load_errors IS 'Every staged row a load rejected: record number, column, value, reason';
-- (append-only: a row is never updated or deleted, so the whole row serves
-- as its replica identity)
ALTER TABLE healthhub.load_errors REPLICA IDENTITY FULL;
SELECT pg_catalog.pg_extension_config_dump('healthhub.load_errors', '');
-- hub_admin can write these directly: each row is recorded (a load's own
-- rows are written under its marker, below, and recorded by its entry)
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.loads
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('load', 'load_id', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.load_errors
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('load_error', 'load_id,entity,line_no', 'registry maintenance');

-- The marker "this transaction is writing load N" (src/platform/load_writes.c).
CREATE FUNCTION healthhub.begin_load_writes(load_id bigint) RETURNS void
    AS 'MODULE_PATHNAME', 'hh_begin_load_writes' LANGUAGE C VOLATILE;
CREATE FUNCTION healthhub.end_load_writes() RETURNS void
    AS 'MODULE_PATHNAME', 'hh_end_load_writes' LANGUAGE C VOLATILE;
CREATE FUNCTION healthhub.load_in_progress() RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_load_in_progress' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION healthhub.begin_load_writes(bigint) IS
    'Until end_load_writes() or the end of the transaction, rows written are recorded by load load_id''s entry, not one by one (loaders only)';
COMMENT ON FUNCTION healthhub.load_in_progress() IS
    'The load this transaction is writing (begin_load_writes), or NULL';
REVOKE ALL ON FUNCTION healthhub.begin_load_writes(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.end_load_writes() FROM PUBLIC;

-- Why a text does not convert to a type (NULL when it does).
CREATE FUNCTION healthhub.load_problem(value text, type text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    msg text;
    detail text;
    known boolean := true;
BEGIN
    -- (a NULL value converts to NULL: no problem)
    PERFORM healthhub.require_arguments('healthhub.load_problem', ARRAY['type'], ARRAY[type IS NULL]);
    BEGIN
        CASE type
            WHEN 'timestamptz' THEN PERFORM value::timestamptz;
            WHEN 'uscc' THEN PERFORM value::healthhub.uscc;
            WHEN 'region_code' THEN PERFORM value::healthhub.region_code;
            WHEN 'resident_id' THEN PERFORM healthhub.resident_id(value);
            ELSE known := false;
        END CASE;
    EXCEPTION WHEN data_exception THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
        RETURN msg || CASE WHEN detail <> '' THEN ': ' || detail ELSE '' END;
    END;
    -- (raised outside the block: 22023 is a data_exception too)
    IF NOT known THEN
        RAISE EXCEPTION 'load_problem does not know type "%"', type
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The types are timestamptz, uscc, region_code and resident_id.';
    END IF;
    RETURN NULL;
END
$$;

-- Does a (trimmed, non-empty) text surely convert, without trying?  The
-- common forms are decided here, by C checks and patterns, so that
-- load_problem (a subtransaction per call) runs only for the rest: rows
-- that are bad, or unusual (a timestamp with a time).  Region codes are
-- decided by load_check_type against healthhub.regions.
CREATE FUNCTION healthhub.load_value_ok(value text, type text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
RETURN CASE type
    WHEN 'timestamptz' THEN
        CASE WHEN value ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
                  AND substr(value, 1, 4)::integer >= 1
             THEN substr(value, 9, 2)::integer
                  <= extract(day FROM make_date(substr(value, 1, 4)::integer, substr(value, 6, 2)::integer, 1)
                                      + interval '1 month - 1 day')
             ELSE false END
    WHEN 'uscc' THEN healthhub.is_valid_uscc(value)
    WHEN 'resident_id' THEN healthhub.is_valid_resident_id(value)
    ELSE false END;

-- Why a (trimmed, non-empty) text is not a value of the type; a resident ID
-- number's reason never repeats the number.
CREATE FUNCTION healthhub.load_value_problem(value text, type text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
RETURN CASE type
    WHEN 'resident_id' THEN healthhub.resident_id_problem(value)
    WHEN 'region_code' THEN coalesce(healthhub.load_problem(value, type), 'is not in healthhub.regions')
    ELSE healthhub.load_problem(value, type) END;

-- A load's key, as healthhub.loads keeps it: clear errors (22023) for a
-- bad source (a batch name for person records), digest, kind or mode.
-- Anyone may check a key with it (docs/linkage.md).
CREATE FUNCTION healthhub.require_load_key(source text, file_digest text, kind text DEFAULT 'person_records',
                                           mode text DEFAULT 'delta') RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    noun text := CASE kind WHEN 'person_records' THEN 'batch name' ELSE 'load source' END;
BEGIN
    IF kind IS NULL OR kind NOT IN ('registry', 'person_records', 'encounters', 'results', 'drugs', 'settle_catalogue',
                                    'settle_policy') THEN
        RAISE EXCEPTION 'invalid load kind: %', coalesce(quote_literal(kind), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The kinds are registry, person_records, encounters, results, drugs, settle_catalogue and settle_policy.';
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

-- Begin a load of one file: validate its key, and return the new load's id
-- (already_loaded false) or the id of the load that read this file before
-- (already_loaded true, with a NOTICE; the caller changes nothing).  Loads
-- with the same key wait for each other: the second sees the first's row
-- once it commits.
CREATE FUNCTION healthhub.begin_load(kind text, source text, file_digest text, mode text,
                                     OUT load_id bigint, OUT already_loaded boolean)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    src text := btrim(source);
    digest text := lower(btrim(file_digest));
    earlier_kind text;
BEGIN
    PERFORM healthhub.require_load_key(source, file_digest, kind, mode);
    INSERT INTO healthhub.loads AS l (kind, source, file_digest, mode, loaded_by)
    VALUES (kind, src, digest, mode, healthhub.acting_role())
    ON CONFLICT ON CONSTRAINT loads_source_file_digest_key DO NOTHING
    RETURNING l.load_id INTO load_id;
    already_loaded := load_id IS NULL;
    IF already_loaded THEN
        SELECT l.load_id, l.kind INTO load_id, earlier_kind FROM healthhub.loads l
         WHERE l.source = src AND l.file_digest = digest;
        IF earlier_kind <> kind THEN
            RAISE EXCEPTION 'file % of source % was loaded before as %, not %', digest, src, earlier_kind, kind
                USING ERRCODE = 'unique_violation',
                      DETAIL = format('Load %s read it.', load_id);
        END IF;
        RAISE NOTICE 'file % of source % was already loaded; nothing changed', digest, src;
    END IF;
END
$$;

-- The SQL of the value an error row keeps: the value itself, its first six
-- characters (an identity number), or nothing (a name).
CREATE FUNCTION healthhub.load_shown(col text, shown text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
RETURN CASE shown WHEN 'value' THEN format('s.%I', col)
                  WHEN 'masked' THEN format('left(s.%I, 6) || ''********''', col)
                  WHEN 'none' THEN 'NULL::text' END;

-- Rule: the columns must not be empty.
CREATE FUNCTION healthhub.load_require(load_id bigint, entity text, stage regclass, cols text[],
                                       shown text DEFAULT 'value') RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c text;
BEGIN
    FOREACH c IN ARRAY cols LOOP
        EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                        SELECT $1, $2, s.line_no, $3, %s, ''is required'' FROM %s s
                         WHERE coalesce(btrim(s.%I), '''') = ''''', healthhub.load_shown(c, shown), stage, c)
        USING load_id, entity, c;
    END LOOP;
END
$$;

-- Rule: the column is one of the allowed values (empty: allowed unless required).
CREATE FUNCTION healthhub.load_check_in(load_id bigint, entity text, stage regclass, col text, allowed text[],
                                        required boolean, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4 FROM %s s
                     WHERE CASE WHEN coalesce(btrim(s.%I), '''') = '''' THEN $5
                                ELSE btrim(s.%I) <> ALL ($6) END', col, stage, col, col)
    USING load_id, entity, col, reason, required, allowed;
END
$$;

-- Rule: the column matches a pattern; an empty value fails when the column is
-- required and passes when it is not.
CREATE FUNCTION healthhub.load_check_pattern(load_id bigint, entity text, stage regclass, col text, pattern text,
                                             reason text, required boolean DEFAULT true) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (an empty or missing value passes when the column is optional)
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4 FROM %s s
                     WHERE CASE WHEN $6 THEN coalesce(btrim(s.%I) ~ $5, false) IS NOT TRUE
                                ELSE nullif(btrim(s.%I), '''') !~ $5 END', col, stage, col, col)
    USING load_id, entity, col, reason, pattern, required;
END
$$;

-- A value (a licence number, an insurance code) that a stored row of
-- another source or source_ref holds: the unique constraint would otherwise
-- abort the load.
CREATE FUNCTION healthhub.load_check_held_elsewhere(load_id bigint, entity text, stage regclass, col text,
                                                    target regclass, target_col text, source text, reason text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4
                      FROM %s s JOIN %s t ON t.%I = btrim(s.%I)
                     WHERE (t.source, t.source_ref) IS DISTINCT FROM ($5, btrim(s.source_ref))',
                   col, stage, target, target_col, col)
    USING load_id, entity, col, reason, source;
END
$$;

-- Rule: the column converts to the type (timestamptz, uscc, region_code:
-- also in healthhub.regions, resident_id); empty is "is required" when required.
CREATE FUNCTION healthhub.load_check_type(load_id bigint, entity text, stage regclass, col text, type text,
                                          required boolean, shown text DEFAULT 'value') RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF type NOT IN ('timestamptz', 'uscc', 'region_code', 'resident_id') THEN
        RAISE EXCEPTION 'load_check_type does not know type "%"', type USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, %s, p.reason FROM %s s
                     CROSS JOIN LATERAL (SELECT nullif(btrim(s.%I), '''') AS v) t
                     CROSS JOIN LATERAL (SELECT CASE
                         WHEN t.v IS NULL THEN CASE WHEN $4 THEN ''is required'' END
                         WHEN %s THEN NULL
                         ELSE healthhub.load_value_problem(t.v, $5) END AS reason) p
                     WHERE p.reason IS NOT NULL',
                   healthhub.load_shown(col, shown), stage, col,
                   -- (region codes: one hashed look-up in the catalogue)
                   CASE WHEN type = 'region_code' THEN 't.v IN (SELECT g.code::text FROM healthhub.regions g)'
                        ELSE 'healthhub.load_value_ok(t.v, $5)' END)
    USING load_id, entity, col, required, type;
END
$$;

-- Rule: a key appears once in the file (every later line repeating a
-- non-empty key is reported).
CREATE FUNCTION healthhub.load_check_duplicates(load_id bigint, entity text, stage regclass, col text,
                                                shown text DEFAULT 'value') RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, d.line_no, $3, d.shown, ''repeats an earlier record''
                      FROM (SELECT s.line_no, %s AS shown,
                                   row_number() OVER (PARTITION BY btrim(s.%I) ORDER BY s.line_no) AS n
                              FROM %s s WHERE coalesce(btrim(s.%I), '''') <> '''') d
                     WHERE d.n > 1', healthhub.load_shown(col, shown), col, stage, col)
    USING load_id, entity, col;
END
$$;

-- Rule: the column names a row of target (target_col = the trimmed value;
-- of this source when source is given); only the rows where when_col is
-- when_value, if given.
CREATE FUNCTION healthhub.load_check_reference(load_id bigint, entity text, stage regclass, col text,
                                               target regclass, target_col text, source text, reason text,
                                               when_col text DEFAULT NULL, when_value text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4 FROM %s s
                     WHERE %s NOT EXISTS (SELECT 1 FROM %s t WHERE t.%I = btrim(s.%I)
                                                              AND ($5::text IS NULL OR t.source = $5))',
                   col, stage,
                   CASE WHEN when_col IS NOT NULL THEN format('btrim(s.%I) = $6 AND', when_col) ELSE '' END,
                   target, target_col, col)
    USING load_id, entity, col, reason, source, when_value;
END
$$;

-- Rule: the period's end (when given) is after its start.  Only rows whose
-- two columns converted (no error recorded for them) are compared.
CREATE FUNCTION healthhub.load_check_period(load_id bigint, entity text, stage regclass, from_col text,
                                            to_col text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $4, s.%I,
                           CASE WHEN btrim(s.%I)::timestamptz < btrim(s.%I)::timestamptz
                                THEN ''is before '' || $3 ELSE ''is not after '' || $3 END
                      FROM %s s
                     WHERE CASE WHEN coalesce(btrim(s.%I), '''') = '''' OR coalesce(btrim(s.%I), '''') = '''' THEN false
                                WHEN EXISTS (SELECT 1 FROM healthhub.load_errors e
                                              WHERE e.load_id = $1 AND e.entity = $2 AND e.line_no = s.line_no
                                                AND e.column_name IN ($3, $4)) THEN false
                                ELSE btrim(s.%I)::timestamptz <= btrim(s.%I)::timestamptz END',
                   to_col, to_col, from_col, stage, from_col, to_col, to_col, from_col)
    USING load_id, entity, from_col, to_col;
END
$$;

-- The staged lines of an entity the load found no problem with.
CREATE FUNCTION healthhub.load_rejected(load_id bigint, entity text) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
RETURN (SELECT count(DISTINCT e.line_no) FROM healthhub.load_errors e
         WHERE e.load_id = load_rejected.load_id AND e.entity = load_rejected.entity);

-- An entity's line of the outcome: {entity: {order, staged, loaded, ended,
-- rejected}}; loaded counts the good rows (written, or already as staged).
CREATE FUNCTION healthhub.load_outcome(load_id bigint, entity text, "order" integer, stage regclass,
                                       ended integer) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    staged integer;
    rejected integer := healthhub.load_rejected(load_id, entity);
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', stage) INTO staged;
    RETURN jsonb_build_object(entity, jsonb_build_object('order', "order", 'staged', staged,
               'loaded', staged - rejected, 'ended', ended, 'rejected', rejected));
END
$$;

-- For a snapshot: end the open rows of the source whose key is absent from
-- the file (period_col's upper bound becomes at); returns how many.
CREATE FUNCTION healthhub.load_end_absent(stage regclass, stage_col text, target regclass, target_col text,
                                          period_col text, source text, "at" timestamptz) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    EXECUTE format('UPDATE %s t SET %I = tstzrange(lower(t.%I), $2)
                     WHERE t.source = $1 AND t.%I IS NOT NULL AND upper_inf(t.%I) AND lower(t.%I) < $2
                       AND NOT EXISTS (SELECT 1 FROM %s s WHERE btrim(s.%I) = t.%I)',
                   target, period_col, period_col, target_col, period_col, period_col, stage, stage_col, target_col)
    USING source, "at";
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- End a load: rows written from here on are recorded one by one again; the
-- outcome goes into loads, and the load's one entry into the trail:
-- <kind>.load.<mode>, object id = the load id ('partial' if rows were
-- rejected).  Returns the entry's id (an area's own history of the load,
-- such as link_events, refers to it).
CREATE FUNCTION healthhub.end_load(load_id bigint, outcome jsonb, purpose text) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l healthhub.loads;
BEGIN
    PERFORM healthhub.end_load_writes();
    UPDATE healthhub.loads x SET outcome = end_load.outcome WHERE x.load_id = end_load.load_id RETURNING * INTO l;
    RETURN healthhub.audit_append(l.kind || '.load.' || l.mode, 'load', l.load_id::text, NULL, purpose,
        CASE WHEN EXISTS (SELECT 1 FROM healthhub.load_errors e WHERE e.load_id = l.load_id) THEN 'partial' ELSE 'ok' END);
END
$$;

REVOKE ALL ON FUNCTION healthhub.begin_load(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.end_load(bigint, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_require(bigint, text, regclass, text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_in(bigint, text, regclass, text, text[], boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_pattern(bigint, text, regclass, text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_held_elsewhere(bigint, text, regclass, text, regclass, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_type(bigint, text, regclass, text, text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_duplicates(bigint, text, regclass, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_reference(bigint, text, regclass, text, regclass, text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_period(bigint, text, regclass, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_end_absent(regclass, text, regclass, text, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_rejected(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_outcome(bigint, text, integer, regclass, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_problem(text, text) FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE'
  FROM unnest(ARRAY['healthhub.loads', 'healthhub.load_errors']) t
UNION ALL
SELECT 'hub_admin', 'function', 'healthhub.load_problem(text, text)', 'EXECUTE'
ON CONFLICT (profile, object_kind, object_name) DO NOTHING;
