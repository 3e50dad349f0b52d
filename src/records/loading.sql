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
