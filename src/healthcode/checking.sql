-- Checking codes at a place (docs/health-codes.md, "Checking at a
-- place"): a verifier is a role bound to one place.  It learns whether a
-- code is valid, its kind and status and a masked name, never the person
-- key or other personal data; every check writes the trail with minimal
-- data (verifier, place, result, the subject's person key), never the code.
-- People without a phone: their code is presented by a bound holder
-- (holders.sql), or their ID card is read (check_id_card).

INSERT INTO healthhub.profiles VALUES
    ('verifier', false, 'a checking place''s scanner: verifies codes at its one place (healthhub.bind_verifier)');

CREATE TABLE healthhub.verifier_places (
    role        regrole PRIMARY KEY,
    place_key   bigint NOT NULL REFERENCES healthhub.check_places,
    bound_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    bound_by    text NOT NULL DEFAULT healthhub.acting_role()
);
COMMENT ON TABLE healthhub.verifier_places IS 'The place each verifier role checks codes at';
SELECT pg_catalog.pg_extension_config_dump('healthhub.verifier_places', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.verifier_places
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('verifier_place', 'role', 'health code policy');

-- Make a role the verifier of a place (the profile and the binding).
CREATE FUNCTION healthhub.bind_verifier(role regrole, place bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.bind_verifier', ARRAY['role', 'place'], ARRAY[role IS NULL, place IS NULL]);
    IF NOT EXISTS (SELECT 1 FROM healthhub.check_places p WHERE p.place_key = place) THEN
        RAISE EXCEPTION 'unknown place %', place USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM healthhub.grant_profile(role, 'verifier');
    INSERT INTO healthhub.verifier_places AS v (role, place_key) VALUES (role, place)
    ON CONFLICT ON CONSTRAINT verifier_places_pkey DO UPDATE SET place_key = EXCLUDED.place_key, bound_at = now();
END
$$;
COMMENT ON FUNCTION healthhub.bind_verifier(regrole, bigint) IS 'Make a role the verifier (scanner) of one place';

-- The place the acting role checks at; 42501 for a role that is no verifier.
CREATE FUNCTION healthhub.verifier_place() RETURNS healthhub.check_places
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.check_places;
BEGIN
    SELECT c.* INTO p FROM healthhub.verifier_places v JOIN healthhub.check_places c ON c.place_key = v.place_key
     WHERE v.role = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.acting_role())
       AND 'verifier' = ANY (healthhub.acting_role_profiles());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % checks codes at no place', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', HINT = 'A hub_admin binds it to its place: healthhub.bind_verifier(role, place).';
    END IF;
    RETURN p;
END
$$;

-- What a place learns of a subject: a masked name, when the subject is a
-- person of the index.
CREATE FUNCTION healthhub.subject_masked_name(subject text) RETURNS text
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT healthhub.mask_name(p.name) FROM healthhub.persons p
     WHERE p.person_key = healthhub.subject_person(subject_masked_name.subject) AND p.state = 'active';
END;

-- The check's one trail entry: verifier (the acting role), place, result,
-- the subject's person key.
CREATE FUNCTION healthhub.record_code_check(place bigint, subject text, outcome text) RETURNS void
    LANGUAGE sql VOLATILE
BEGIN ATOMIC
    -- (a read.* action: committed before the answer is returned)
    SELECT healthhub.audit_append('read.health_code.check', 'check_place', place::text,
                                  healthhub.subject_person(subject),
                                  'epidemic prevention', outcome);
END;

-- Check a code at the verifier's place: valid, the reason if not, kind,
-- status, a masked name, and whether the place must check now.
CREATE FUNCTION healthhub.check_health_code(code text, OUT valid boolean, OUT reason text, OUT kind text,
                                            OUT status text, OUT masked_name text, OUT must_check boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.check_places := healthhub.verifier_place();
    v record;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.check_health_code', ARRAY['code'], ARRAY[code IS NULL]);
    v := healthhub.verify_health_code(code);
    valid := v.valid;
    reason := v.reason;
    kind := v.kind;
    status := CASE WHEN v.valid THEN v.status END;
    masked_name := CASE WHEN v.valid AND v.issuer = healthhub.hub_id()::text
                        THEN healthhub.subject_masked_name(v.subject) END;
    must_check := healthhub.must_check(p.category, p.region);
    PERFORM healthhub.record_code_check(p.place_key,
                                        CASE WHEN v.valid AND v.issuer = healthhub.hub_id()::text THEN v.subject END,
                                        coalesce(v.reason, 'valid'));
END
$$;
COMMENT ON FUNCTION healthhub.check_health_code(text) IS
    'Check a code at the verifier''s place: validity, kind, status, a masked name; recorded, never the code';

-- The same for a person without a code: their ID card's number, through the
-- person index, gives their current status of a kind (holders.sql).
CREATE FUNCTION healthhub.check_id_card(id healthhub.resident_id, kind text DEFAULT 'epidemic_status',
                                        OUT known boolean, OUT status text, OUT masked_name text,
                                        OUT must_check boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.check_places := healthhub.verifier_place();
    person bigint;
    revoked boolean;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.check_id_card', ARRAY['id', 'kind'], ARRAY[id IS NULL, kind IS NULL]);
    person := healthhub.resolve(id);
    -- (a subject whose codes this hub revoked has no status to show either)
    revoked := EXISTS (SELECT 1 FROM healthhub.revoked_subjects r
                        WHERE r.issuer = healthhub.hub_id()::text AND r.subject = person::text
                          AND r.revoked_at <= clock_timestamp());
    SELECT s.status INTO status FROM healthhub.code_statuses s
     WHERE s.person_key = person AND s.kind = check_id_card.kind AND NOT revoked;
    known := person IS NOT NULL;
    masked_name := healthhub.subject_masked_name(person::text);
    must_check := healthhub.must_check(p.category, p.region);
    PERFORM healthhub.record_code_check(p.place_key, person::text,
                                        CASE WHEN person IS NULL THEN 'id card: not found'
                                             WHEN revoked THEN 'id card: revoked subject'
                                             ELSE 'id card: ' || coalesce(status, 'no status') END);
END
$$;
COMMENT ON FUNCTION healthhub.check_id_card(healthhub.resident_id, text) IS
    'At the verifier''s place, a person''s current status read from their ID card number through the person index';

REVOKE ALL ON FUNCTION healthhub.bind_verifier(regrole, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.check_health_code(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.check_id_card(healthhub.resident_id, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.record_code_check(bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.subject_masked_name(text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'verifier', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.check_health_code(text)', 'healthhub.check_id_card(healthhub.resident_id, text)']) f
UNION ALL
SELECT 'hub_admin', 'function', 'healthhub.bind_verifier(regrole, bigint)', 'EXECUTE'
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.verifier_places', 'SELECT';
