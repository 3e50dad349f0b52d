-- Masking and pseudonyms: one place decides how personal data (ID numbers,
-- names, phones, addresses) appears to each profile.  Areas never format
-- personal data themselves: they call healthhub.present_*().

-- The hub secret that keys pseudonyms.  Readable by hub_admin only; dumped,
-- so pseudonyms stay the same after a restore.  It is made at first use, not
-- at install: a row made by CREATE EXTENSION would collide with the dumped
-- one when a dump is restored.
CREATE FUNCTION healthhub.new_secret() RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_new_secret' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
CREATE TABLE healthhub.hub_secrets (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    pseudonym_key   bytea NOT NULL DEFAULT healthhub.new_secret()
                    CHECK (pg_catalog.length(pseudonym_key) >= 32),
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);
SELECT pg_catalog.pg_extension_config_dump('healthhub.hub_secrets', '');
REVOKE ALL ON healthhub.hub_secrets FROM PUBLIC;

CREATE FUNCTION healthhub.pseudonym_of(key bytea, id healthhub.resident_id) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_pseudonym_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Masks: what is left of a value when its holder may not see all of it.
CREATE FUNCTION healthhub.mask_name(name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.left(name, 1) OPERATOR(pg_catalog.||)
           pg_catalog.repeat('*', GREATEST(pg_catalog.char_length(name) OPERATOR(pg_catalog.-) 1, 1));

-- 13812345678 -> 138****5678; other numbers keep their last four digits.
CREATE FUNCTION healthhub.mask_phone(phone text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE
        WHEN d ~ '^1[0-9]{10}$' THEN pg_catalog.left(d, 3) || '****' || pg_catalog.right(d, 4)
        WHEN pg_catalog.length(d) > 4 THEN pg_catalog.repeat('*', pg_catalog.length(d) - 4) || pg_catalog.right(d, 4)
        ELSE pg_catalog.repeat('*', pg_catalog.length(d))
    END
    FROM (SELECT pg_catalog.regexp_replace(phone, '[^0-9]', '', 'g') AS d) s;
END;

-- Keep the address down to its district or county, hide the rest.
CREATE FUNCTION healthhub.mask_address(address text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN COALESCE(pg_catalog.substring(address, '^.{1,15}[区县旗]'),
                               pg_catalog.left(address, 6)) OPERATOR(pg_catalog.||) '****';

-- The kinds of personal data the policy speaks of: a vocabulary, not a CHECK
-- list, so that a later area adds its kinds (a diagnosis, a prescription) with
-- rows of its own install script.
CREATE TABLE healthhub.data_kinds (
    data_kind   text PRIMARY KEY CHECK (data_kind ~ '^[a-z][a-z0-9_]*$'),
    description text NOT NULL
);
INSERT INTO healthhub.data_kinds VALUES
    ('resident_id', 'resident ID numbers (the only kind shown as a pseudonym)'),
    ('name', 'names of persons'),
    ('phone', 'phone numbers'),
    ('address', 'addresses');
GRANT SELECT ON healthhub.data_kinds TO PUBLIC;

-- The policy: per profile and kind of data, how it is presented.  Shipped
-- rows are defaults; a DBA overrides one by inserting a 'local' row, which
-- wins and is what pg_dump keeps.
CREATE TABLE healthhub.masking_policy (
    profile         text NOT NULL REFERENCES healthhub.profiles,
    data_kind       text NOT NULL REFERENCES healthhub.data_kinds,
    presentation    text NOT NULL CHECK (presentation IN ('full', 'masked', 'pseudonym', 'hidden')),
    origin          text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'local')),
    CONSTRAINT only_id_numbers_have_pseudonyms CHECK (presentation <> 'pseudonym' OR data_kind = 'resident_id'),
    PRIMARY KEY (profile, data_kind, origin)
);
SELECT pg_catalog.pg_extension_config_dump('healthhub.masking_policy', 'WHERE origin = ''local''');
INSERT INTO healthhub.masking_policy (profile, data_kind, presentation, origin)
SELECT p, k, v, 'shipped'
  FROM (VALUES
    ('hub_admin',       'full',      'full',   'full',   'full'),
    ('institution_app', 'full',      'full',   'full',   'full'),
    ('clinician',       'full',      'full',   'full',   'full'),
    ('pharmacist',      'masked',    'full',   'full',   'full'),
    ('insurer',         'full',      'full',   'masked', 'masked'),
    ('statistician',    'pseudonym', 'hidden', 'hidden', 'masked'),
    ('auditor',         'masked',    'masked', 'masked', 'masked')
  ) AS d(p, rid, nm, ph, ad),
  LATERAL (VALUES ('resident_id', rid), ('name', nm), ('phone', ph), ('address', ad)) AS x(k, v);
GRANT SELECT ON healthhub.masking_policy TO PUBLIC;
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.masking_policy
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('masking_policy', 'profile,data_kind,origin', 'masking');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.hub_secrets
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('hub_secret', '', 'pseudonymisation');

-- How a role sees a kind of data: the most revealing presentation among its
-- profiles (a local row beats the shipped one); 'masked' for a role with no
-- profile; 'full' for superusers.
CREATE FUNCTION healthhub.presentation_for(role_name name, data_kind text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE
        WHEN (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) role_name)
            THEN 'full'
        ELSE COALESCE((
            SELECT eff.presentation
              FROM healthhub.effective_profiles(presentation_for.role_name) rp
              CROSS JOIN LATERAL (
                    SELECT mp.presentation FROM healthhub.masking_policy mp
                     WHERE mp.profile OPERATOR(pg_catalog.=) rp.profile
                       AND mp.data_kind OPERATOR(pg_catalog.=) presentation_for.data_kind
                     ORDER BY mp.origin OPERATOR(pg_catalog.=) 'local' DESC LIMIT 1) eff
             ORDER BY pg_catalog.array_position(ARRAY['hidden', 'pseudonym', 'masked', 'full'], eff.presentation) DESC
             LIMIT 1), 'masked')
    END;
END;

CREATE FUNCTION healthhub.presentation(data_kind text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.presentation_for(CURRENT_USER, data_kind);

-- One function says who is calling: healthhub.acting_role() (acting_role.sql).
CREATE FUNCTION healthhub.calling_role() RETURNS name
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN healthhub.acting_role();
COMMENT ON FUNCTION healthhub.calling_role() IS 'deprecated: use healthhub.acting_role(); removed in 0.7';

-- The same person always gets the same 32-hex-digit pseudonym in this hub;
-- without the secret it can be neither reversed nor recomputed.  But a role
-- that could ask for the pseudonym of any number it types could recompute
-- it: birth year and region leave about 10^5 candidate numbers, found in
-- seconds (issue 10; 0.4 let a statistician call this).  So no profile may
-- execute this: pseudonyms appear only in what the hub computes from the
-- numbers it holds (person_pseudonym(), and the views of later areas).
CREATE FUNCTION healthhub.pseudonym(id healthhub.resident_id) RETURNS text
    LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM healthhub.hub_secrets) THEN
        INSERT INTO healthhub.hub_secrets DEFAULT VALUES ON CONFLICT DO NOTHING;
    END IF;
    RETURN (SELECT healthhub.pseudonym_of(s.pseudonym_key, id) FROM healthhub.hub_secrets s);
END
$$;
REVOKE ALL ON FUNCTION healthhub.pseudonym(healthhub.resident_id) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.pseudonym_of(bytea, healthhub.resident_id) FROM PUBLIC;

-- The pseudonym of a person of the master person index (the survivor's, for
-- a merged person): computed from the number the hub holds, never from one
-- the caller gives.  NULL for a person without a resident ID number or an
-- unknown key; 42501 for roles that may see neither numbers nor pseudonyms.
CREATE FUNCTION healthhub.person_pseudonym(person bigint) RETURNS text
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller name := healthhub.acting_role();
    p record;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_pseudonym', ARRAY['person'], ARRAY[person IS NULL]);
    IF healthhub.presentation_for(caller, 'resident_id') NOT IN ('pseudonym', 'full') THEN
        RAISE EXCEPTION 'permission denied for pseudonyms'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role %s may not see ID numbers or their pseudonyms.', caller);
    END IF;
    SELECT x.resident_id, x.redirected_to INTO p FROM healthhub.persons x WHERE x.person_key = person;
    FOR hop IN 1 .. 100 LOOP                 -- a merged person: its survivor
        EXIT WHEN p.redirected_to IS NULL;
        SELECT x.resident_id, x.redirected_to INTO p FROM healthhub.persons x WHERE x.person_key = p.redirected_to;
    END LOOP;
    IF p.resident_id IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN healthhub.pseudonym(p.resident_id);
END
$$;
REVOKE ALL ON FUNCTION healthhub.person_pseudonym(bigint) FROM PUBLIC;
COMMENT ON FUNCTION healthhub.person_pseudonym(bigint) IS
    'The keyed pseudonym of a person''s resident ID number (for roles shown pseudonyms or full numbers)';

-- A number the caller passes is shown in full or masked; a role shown
-- pseudonyms gets NULL here (a pseudonym of a number it chose would let it
-- recompute pseudonyms): it reads person_pseudonym(person_key) instead.
CREATE FUNCTION healthhub.present_resident_id(id healthhub.resident_id) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE healthhub.presentation('resident_id')
        WHEN 'full' THEN id::text
        WHEN 'masked' THEN healthhub.resident_id_mask(id)
    END;
END;
CREATE FUNCTION healthhub.present_name(name text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE healthhub.presentation('name')
        WHEN 'full' THEN name WHEN 'masked' THEN healthhub.mask_name(name) END;
END;
CREATE FUNCTION healthhub.present_phone(phone text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE healthhub.presentation('phone')
        WHEN 'full' THEN phone WHEN 'masked' THEN healthhub.mask_phone(phone) END;
END;
CREATE FUNCTION healthhub.present_address(address text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE healthhub.presentation('address')
        WHEN 'full' THEN address WHEN 'masked' THEN healthhub.mask_address(address) END;
END;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges) VALUES
    ('hub_admin', 'table', 'healthhub.hub_secrets', 'SELECT'),
    ('hub_admin', 'function', 'healthhub.person_pseudonym(bigint)', 'EXECUTE'),
    ('statistician', 'function', 'healthhub.person_pseudonym(bigint)', 'EXECUTE');
