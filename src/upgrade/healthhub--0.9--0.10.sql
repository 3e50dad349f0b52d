-- healthhub 0.9 -> 0.10 (the release being built: docs/development.md,
-- "Releases").  Every change to the SQL of src/ since 0.9 is written here
-- too, by hand; t/003 compares the result with a fresh install.  The new
-- room (src/settle/) is appended whole by the Makefile (NEW_PARTS).
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.10'" to load this file. \quit

-- Loads of settlement catalogues and policies (src/platform/loading.sql).
ALTER TABLE healthhub.loads DROP CONSTRAINT loads_kind_check,
    ADD CONSTRAINT loads_kind_check CHECK (kind IN ('registry', 'person_records', 'encounters', 'results', 'drugs',
                                                    'settle_catalogue', 'settle_policy'));
COMMENT ON TABLE healthhub.loads IS 'Every load of a file (registry, person records, encounters, results, drugs, settlement catalogues and policies), keyed on (source, file digest); mode snapshot or delta';
CREATE OR REPLACE FUNCTION healthhub.require_load_key(source text, file_digest text, kind text DEFAULT 'person_records',
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

-- A dispense settled through the hub's settle() is marked by it, and
-- unmarked by its reversal (src/rx/prescriptions.sql, src/rx/lifecycle.sql).
ALTER TABLE healthhub.prescription_events DROP CONSTRAINT prescription_events_action_check,
    ADD CONSTRAINT prescription_events_action_check CHECK (action IN ('issue', 'sign', 'approve', 'reject', 'circulate',
                                                                      'dispense', 'settle', 'unsettle', 'revoke', 'expire'));
CREATE FUNCTION healthhub.rx_dispense_settlement(dispense bigint, settlement_ref text, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d healthhub.dispenses;
    p healthhub.prescriptions;
BEGIN
    SELECT * INTO d FROM healthhub.dispenses x WHERE x.dispense_key = dispense;
    IF NOT FOUND THEN
        PERFORM healthhub.rx_refuse('no such dispense: ' || dispense, 'No dispense has this key.');
    END IF;
    p := healthhub.rx_locked(d.prescription_key, NULL, 'any');
    SELECT * INTO d FROM healthhub.dispenses x WHERE x.person_key = d.person_key AND x.dispense_key = dispense;
    IF settlement_ref IS NOT NULL AND d.settled_at IS NOT NULL THEN
        RAISE EXCEPTION 'dispense % was settled at %', dispense, d.settled_at
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = format('Settlement %s.', d.settlement_ref);
    END IF;
    UPDATE healthhub.dispenses x
       SET settled_at = CASE WHEN rx_dispense_settlement.settlement_ref IS NOT NULL THEN clock_timestamp() END,
           settlement_ref = rx_dispense_settlement.settlement_ref
     WHERE x.person_key = d.person_key AND x.dispense_key = d.dispense_key;
    UPDATE healthhub.prescriptions x
       SET state = CASE WHEN settlement_ref IS NULL THEN 'dispensed' ELSE 'settled' END
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key
       AND x.state = CASE WHEN settlement_ref IS NULL THEN 'settled' ELSE 'dispensed' END
       AND (settlement_ref IS NULL OR NOT EXISTS (SELECT FROM healthhub.dispenses y
                                                   WHERE y.person_key = p.person_key
                                                     AND y.prescription_key = p.prescription_key
                                                     AND y.settled_at IS NULL));
    PERFORM healthhub.rx_event(p, CASE WHEN settlement_ref IS NULL THEN 'unsettle' ELSE 'settle' END, NULL, NULL,
                               format('dispense %s: %s', d.dispense_no,
                                      coalesce(settlement_ref, d.settlement_ref || ' reversed: ' || reason)));
END
$$;
REVOKE ALL ON FUNCTION healthhub.rx_dispense_settlement(bigint, text, text) FROM PUBLIC;
CREATE OR REPLACE FUNCTION healthhub.settle_dispense(dispense bigint, settlement_ref text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.rx_acting_institution(ARRAY['insurer'], 'settle dispenses');
    PERFORM healthhub.require_arguments('healthhub.settle_dispense', ARRAY['dispense', 'settlement_ref'],
                                        ARRAY[dispense IS NULL, settlement_ref IS NULL]);
    IF btrim(settlement_ref) = '' OR length(settlement_ref) > 100 THEN
        PERFORM healthhub.rx_refuse('a settlement reference is 1 to 100 characters', 'The fund''s settlement id (setl_id).');
    END IF;
    PERFORM healthhub.rx_dispense_settlement(dispense, settlement_ref, NULL);
END
$$;

-- After an upgrade, the roles holding profiles get the rights their profiles gained (src/platform/profiles.sql).
CREATE FUNCTION healthhub.refresh_profile_privileges() RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rp record;
    applied integer := 0;
BEGIN
    FOR rp IN SELECT r.role_name, r.profile FROM healthhub.role_profiles r ORDER BY r.role_name, r.profile LOOP
        PERFORM healthhub.apply_profile_privileges(rp.role_name, rp.profile, true);
        applied := applied + 1;
    END LOOP;
    RETURN applied;
END
$$;
REVOKE ALL ON FUNCTION healthhub.refresh_profile_privileges() FROM PUBLIC;
COMMENT ON FUNCTION healthhub.refresh_profile_privileges() IS
    'After ALTER EXTENSION healthhub UPDATE: the roles holding profiles get the rights their profiles gained';
