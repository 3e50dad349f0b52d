-- Statuses and proxy holders (docs/health-codes.md, "People without a
-- phone"): a person's current status of a kind (green, yellow, red) as the
-- epidemic service sets it; and holders: a relative whose phone presents the
-- codes of elderly relatives and children bound to them, for a period, with
-- the consent of the bound person or their guardian.  A bound person's code
-- is their own code: it verifies exactly as if they showed it.

CREATE TABLE healthhub.code_statuses (
    person_key  bigint NOT NULL REFERENCES healthhub.persons,
    kind        text NOT NULL REFERENCES healthhub.health_code_kinds,
    status      text NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    set_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_key, kind)
);
COMMENT ON TABLE healthhub.code_statuses IS 'Each person''s current status of a kind of code (epidemic status: green, yellow, red)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.code_statuses', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.code_statuses
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('code_status', 'person_key,kind', 'epidemic prevention');

CREATE TABLE healthhub.code_holders (
    holder_key  bigint NOT NULL REFERENCES healthhub.persons,
    person_key  bigint NOT NULL REFERENCES healthhub.persons,
    relation    text NOT NULL CHECK (relation IN ('parent', 'child', 'grandparent', 'grandchild', 'spouse', 'sibling',
                                                  'guardian', 'other')),
    valid       tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    consent_by  text NOT NULL CHECK (consent_by IN ('bound_person', 'guardian')),
    consent_ref text NOT NULL CHECK (btrim(consent_ref) <> ''),   -- the signed consent, by reference
    bound_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    bound_by    text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (holder_key, person_key, bound_at),
    CONSTRAINT code_holders_not_self CHECK (holder_key <> person_key),
    CONSTRAINT code_holders_no_overlap EXCLUDE USING gist
        (int8range(holder_key, holder_key, '[]') WITH =, int8range(person_key, person_key, '[]') WITH =,
         valid WITH &&)
);
COMMENT ON TABLE healthhub.code_holders IS
    'Holders whose phones present the codes of the persons bound to them (relation, period, consent)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.code_holders', '');
CREATE INDEX code_holders_person ON healthhub.code_holders (person_key);
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.code_holders
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('code_holder', 'holder_key,person_key,bound_at',
                                                          'epidemic prevention');

-- (a person of the index, not merged away)
CREATE FUNCTION healthhub.require_code_person(person bigint, what text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM healthhub.persons p WHERE p.person_key = person AND p.state = 'active') THEN
        RAISE EXCEPTION 'the % is no active person of the index', what
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Person key %s.', person);
    END IF;
END
$$;

-- Set a person's current status of a kind (the epidemic service).
CREATE FUNCTION healthhub.set_code_status(person bigint, kind text, status text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.set_code_status', ARRAY['person', 'kind', 'status'],
                                        ARRAY[person IS NULL, kind IS NULL, status IS NULL]);
    PERFORM healthhub.require_code_person(person, 'person');
    k := healthhub.code_kind(kind);
    IF k.statuses IS NULL OR NOT (status = ANY (k.statuses)) THEN
        RAISE EXCEPTION 'invalid status % for kind %', quote_literal(status), kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN k.statuses IS NOT NULL
                                THEN format('The statuses are %s.', array_to_string(k.statuses, ', '))
                                ELSE 'Codes of this kind have no status.' END;
    END IF;
    INSERT INTO healthhub.code_statuses AS s (person_key, kind, status) VALUES (person, kind, status)
    ON CONFLICT ON CONSTRAINT code_statuses_pkey DO UPDATE
       SET status = EXCLUDED.status, set_at = now(), set_by = healthhub.acting_role();
END
$$;
COMMENT ON FUNCTION healthhub.set_code_status(bigint, text, text) IS 'Set a person''s current status of a kind of code';

-- Bind a person to a holder, with the consent of the person or a guardian.
CREATE FUNCTION healthhub.bind_code_holder(holder bigint, person bigint, relation text, consent_by text,
                                           consent_ref text, valid tstzrange DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.bind_code_holder',
        ARRAY['holder', 'person', 'relation', 'consent_by', 'consent_ref'],
        ARRAY[holder IS NULL, person IS NULL, relation IS NULL, consent_by IS NULL, consent_ref IS NULL]);
    PERFORM healthhub.require_code_person(holder, 'holder'), healthhub.require_code_person(person, 'bound person');
    IF holder = person THEN
        RAISE EXCEPTION 'a holder holds their own codes already' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF relation NOT IN ('parent', 'child', 'grandparent', 'grandchild', 'spouse', 'sibling', 'guardian', 'other') THEN
        RAISE EXCEPTION 'invalid relation: %', quote_literal(relation)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The relations are parent, child, grandparent, grandchild, spouse, sibling, guardian and other.';
    END IF;
    IF consent_by NOT IN ('bound_person', 'guardian') OR btrim(consent_ref) = '' THEN
        RAISE EXCEPTION 'a binding needs the consent of the bound person or their guardian'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'consent_by is bound_person or guardian; consent_ref names the signed consent.';
    END IF;
    IF EXISTS (SELECT 1 FROM healthhub.code_holders h
                WHERE h.holder_key = holder AND h.person_key = person
                  AND h.valid && coalesce(bind_code_holder.valid, tstzrange(now(), NULL))) THEN
        RAISE EXCEPTION 'the person is bound to this holder already in that period'
            USING ERRCODE = 'unique_violation', HINT = 'End the binding first: healthhub.unbind_code_holder(holder, person).';
    END IF;
    INSERT INTO healthhub.code_holders (holder_key, person_key, relation, valid, consent_by, consent_ref)
    VALUES (holder, person, relation, coalesce(valid, tstzrange(now(), NULL)), consent_by, consent_ref);
END
$$;
COMMENT ON FUNCTION healthhub.bind_code_holder(bigint, bigint, text, text, text, tstzrange) IS
    'Let a holder present a person''s codes (relation, consent of the person or guardian, period)';

CREATE FUNCTION healthhub.unbind_code_holder(holder bigint, person bigint, "at" timestamptz DEFAULT pg_catalog.now())
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.unbind_code_holder', ARRAY['holder', 'person', 'at'],
                                        ARRAY[holder IS NULL, person IS NULL, "at" IS NULL]);
    UPDATE healthhub.code_holders h SET valid = tstzrange(lower(h.valid), "at")
     WHERE h.holder_key = holder AND h.person_key = person AND h.valid @> "at" AND lower(h.valid) < "at";
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- The codes a holder's phone shows: their own and those of every person
-- bound to them now, each a code of the kind with the person's current
-- status (for the issuing service, which authenticates the holder's app).
CREATE FUNCTION healthhub.codes_held_by(holder bigint, kind text DEFAULT 'epidemic_status')
    RETURNS TABLE (person_key bigint, relation text, status text, code healthhub.health_code)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.codes_held_by', ARRAY['holder', 'kind'],
                                        ARRAY[holder IS NULL, kind IS NULL]);
    PERFORM healthhub.require_code_person(holder, 'holder');
    k := healthhub.code_kind(kind);
    PERFORM healthhub.audit_append('read.code_holders', 'person', holder::text, holder, 'epidemic prevention', 'ok');
    RETURN QUERY
    SELECT w.person_key, w.relation, s.status,
           CASE WHEN k.statuses IS NULL OR s.status IS NOT NULL
                THEN healthhub.issue_health_code(w.person_key::text, k.kind, s.status) END
      FROM (SELECT holder AS person_key, 'self'::text AS relation, 0 AS ord
            UNION ALL
            SELECT h.person_key, h.relation, 1 FROM healthhub.code_holders h
              -- (a person merged into another, or gone, shows no code)
              JOIN healthhub.persons p ON p.person_key = h.person_key AND p.state = 'active'
             WHERE h.holder_key = holder AND h.valid @> now()) w
      LEFT JOIN healthhub.code_statuses s ON s.person_key = w.person_key AND s.kind = k.kind
     ORDER BY w.ord, w.person_key;
END
$$;
COMMENT ON FUNCTION healthhub.codes_held_by(bigint, text) IS
    'The codes a holder''s phone shows: their own and those of the persons bound to them now (no code without a status)';

REVOKE ALL ON FUNCTION healthhub.set_code_status(bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.bind_code_holder(bigint, bigint, text, text, text, tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.unbind_code_holder(bigint, bigint, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.codes_held_by(bigint, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'code_issuer']) pr,
       unnest(ARRAY['healthhub.set_code_status(bigint, text, text)',
                    'healthhub.bind_code_holder(bigint, bigint, text, text, text, tstzrange)',
                    'healthhub.unbind_code_holder(bigint, bigint, timestamptz)',
                    'healthhub.codes_held_by(bigint, text)']) f;
