-- Keys (docs/health-codes.md, "Keys and the trust list").  This hub signs
-- with its own keys (healthhub.signing_keys: made in the database, the
-- private half readable by hub_admin only); codes are verified against the
-- trusted keys (healthhub.trusted_keys): this hub's own public keys, other
-- hubs' keys from their trust lists, and certificates of other issuers
-- (EU DCC document signers).  A key id (kid) is 8 bytes: the first 8 of
-- SHA-256 over the certificate's DER, or over the public key's
-- SubjectPublicKeyInfo DER for a bare key.  Kids may collide: verification
-- tries every key of a kid.

-- The signature algorithms, with their COSE numbers (SM2 has none: a
-- private-use number, documented).
CREATE TABLE healthhub.code_algorithms (
    alg         text PRIMARY KEY,
    cose_alg    integer NOT NULL UNIQUE,
    description text NOT NULL
);
INSERT INTO healthhub.code_algorithms VALUES
    ('EdDSA', -8, 'Ed25519 (RFC 8032): the default for new hub keys'),
    ('ES256', -7, 'ECDSA on P-256 with SHA-256: every EU DCC verifier supports it'),
    ('PS256', -37, 'RSASSA-PSS with SHA-256, MGF1 SHA-256, 32-byte salt: every EU DCC verifier supports it'),
    ('SM2', -65537, 'SM2 with SM3 (GB/T 32918, GB/T 32905), signer ID 1234567812345678; a private-use COSE number');
COMMENT ON TABLE healthhub.code_algorithms IS 'Signature algorithms of health codes and their COSE numbers';
GRANT SELECT ON healthhub.code_algorithms TO PUBLIC;

-- Key pairs in DER, and what a certificate says (src/healthcode/keys_sql.c).
CREATE FUNCTION healthhub.code_key_generate(alg text, OUT public_key bytea, OUT private_key bytea)
    AS 'MODULE_PATHNAME', 'hh_code_key_generate' LANGUAGE C VOLATILE STRICT;
CREATE FUNCTION healthhub.code_kid(der bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_code_kid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_kid(bytea) IS
    'The key id of a certificate or public key: the first 8 bytes of SHA-256 over its DER';
CREATE FUNCTION healthhub.code_certificate(certificate bytea, OUT public_key bytea, OUT not_before timestamptz,
                                           OUT not_after timestamptz, OUT key_usage text[])
    AS 'MODULE_PATHNAME', 'hh_code_certificate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_certificate(bytea) IS
    'An X.509 certificate''s public key (SubjectPublicKeyInfo DER), validity and extended key usage OIDs (NULL: none)';
CREATE FUNCTION healthhub.code_public_key_alg(public_key bytea) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_code_public_key_alg' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_public_key_alg(bytea) IS
    'The algorithm a public key (SubjectPublicKeyInfo DER) signs with: EdDSA, ES256, PS256 or SM2';
REVOKE ALL ON FUNCTION healthhub.code_key_generate(text) FROM PUBLIC;

-- This hub's signing keys.  valid: when it signs (and when its codes
-- verify); retired: no longer trusted from then on.  The private key never
-- leaves the database except in a dump (docs/health-codes.md, "Private keys").
CREATE TABLE healthhub.signing_keys (
    kid         bytea PRIMARY KEY CHECK (octet_length(kid) = 8),
    alg         text NOT NULL REFERENCES healthhub.code_algorithms,
    public_key  bytea NOT NULL,
    private_key bytea NOT NULL,
    kinds       text[],             -- the kinds it may sign; NULL: every kind
    valid       tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    retired_at  timestamptz,
    retired_reason text,
    -- (the clock, not the transaction's start: the newest key signs)
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    created_by  text NOT NULL DEFAULT healthhub.acting_role(),
    CONSTRAINT signing_keys_retired_reason CHECK ((retired_at IS NULL) = (retired_reason IS NULL))
);
COMMENT ON TABLE healthhub.signing_keys IS
    'This hub''s health-code signing keys (private keys: hub_admin only), with validity and retirement';
SELECT pg_catalog.pg_extension_config_dump('healthhub.signing_keys', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.signing_keys
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('signing_key', 'kid', 'health code keys');

-- Imported trust lists of other hubs (trust_list_import): the newest of an
-- issuer replaces its previous one.
CREATE TABLE healthhub.trust_lists (
    list_id     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    issuer      text NOT NULL,
    sequence    bigint NOT NULL,         -- the list's number at its issuer: a newer list has a larger one
    signed_at   timestamptz NOT NULL,
    signer_kid  bytea NOT NULL,
    document    bytea NOT NULL,          -- as received (COSE_Sign1)
    imported_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    imported_by text NOT NULL DEFAULT healthhub.acting_role(),
    UNIQUE (issuer, sequence)
);
COMMENT ON TABLE healthhub.trust_lists IS 'Trust lists imported from other hubs (signed documents as received)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.trust_lists', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.trust_lists
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('trust_list', 'list_id', 'health code keys');

-- The keys codes are verified against.  issuer: the "iss" of the codes it
-- signs (a hub id; for a DCC certificate, the country or the name given).
-- key_usage: for a certificate its extended key usage OIDs, for a hub key
-- the kinds it signs; NULL: anything.
CREATE TABLE healthhub.trusted_keys (
    key_id      bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    issuer      text NOT NULL CHECK (btrim(issuer) <> '' AND length(issuer) <= 200),
    kid         bytea NOT NULL CHECK (octet_length(kid) = 8),
    alg         text NOT NULL REFERENCES healthhub.code_algorithms,
    public_key  bytea NOT NULL,
    certificate bytea,
    valid       tstzrange NOT NULL CHECK (NOT isempty(valid)),
    key_usage   text[],
    origin      text NOT NULL CHECK (origin IN ('own', 'certificate', 'public_key', 'trust_list')),
    trust_list  bigint REFERENCES healthhub.trust_lists,
    retired_at  timestamptz,            -- no longer trusted from then on (retired, revoked, or left off a newer list)
    retired_reason text,
    -- who retired it: 'here' (retire_key at this hub) and 'issuer' (its
    -- trust list said so) stand, a later list can only make them earlier;
    -- 'left off' (missing from a newer list) ends when a list has it again
    retired_by  text CHECK (retired_by IN ('here', 'issuer', 'left off')),
    added_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    added_by    text NOT NULL DEFAULT healthhub.acting_role(),
    CONSTRAINT trusted_keys_retired_reason CHECK ((retired_at IS NULL) = (retired_reason IS NULL)
                                                  AND (retired_at IS NULL) = (retired_by IS NULL)),
    CONSTRAINT trusted_keys_list CHECK ((origin = 'trust_list') = (trust_list IS NOT NULL)),
    UNIQUE (issuer, kid, public_key)
);
CREATE INDEX trusted_keys_kid ON healthhub.trusted_keys (kid);
COMMENT ON TABLE healthhub.trusted_keys IS
    'Keys health codes are verified against: own, certificates, bare public keys, other hubs'' trust lists';
SELECT pg_catalog.pg_extension_config_dump('healthhub.trusted_keys', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.trusted_keys
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('trusted_key', 'key_id', 'health code keys');

-- A new signing key of this hub, trusted at once (origin 'own').  The
-- default algorithm is Ed25519.
CREATE FUNCTION healthhub.create_signing_key(alg text DEFAULT 'EdDSA', kinds text[] DEFAULT NULL,
                                             valid tstzrange DEFAULT NULL) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k record;
    new_kid bytea;
    hub bigint := healthhub.hub_id();
    -- (codes carry whole seconds: a key valid from the current second)
    period tstzrange := coalesce(valid, tstzrange(date_trunc('second', now()), NULL));
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.create_signing_key', ARRAY['alg'], ARRAY[alg IS NULL]);
    IF hub IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM healthhub.code_algorithms a WHERE a.alg = create_signing_key.alg) THEN
        RAISE EXCEPTION 'unknown signature algorithm: %', quote_literal(alg)
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The algorithms are EdDSA, ES256, PS256 and SM2.';
    END IF;
    PERFORM healthhub.require_code_kinds(kinds);
    IF isempty(period) OR lower_inf(period) THEN
        RAISE EXCEPTION 'invalid key validity: %', period
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A key is valid from a start time, open-ended or up to an end.';
    END IF;
    k := healthhub.code_key_generate(alg);
    new_kid := healthhub.code_kid(k.public_key);
    INSERT INTO healthhub.signing_keys (kid, alg, public_key, private_key, kinds, valid)
    VALUES (new_kid, alg, k.public_key, k.private_key, kinds, period);
    INSERT INTO healthhub.trusted_keys (issuer, kid, alg, public_key, valid, key_usage, origin)
    VALUES (hub::text, new_kid, alg, k.public_key, period, kinds, 'own');
    RETURN new_kid;
END
$$;
COMMENT ON FUNCTION healthhub.create_signing_key(text, text[], tstzrange) IS
    'Make a signing key of this hub (EdDSA by default), trusted at once; returns its kid';

-- The private half of a signing key (PKCS#8 DER), for hub_admin's backup
-- outside the database; each export is in the trail.
CREATE FUNCTION healthhub.export_signing_key(kid bytea) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    der bytea;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.export_signing_key', ARRAY['kid'], ARRAY[kid IS NULL]);
    SELECT s.private_key INTO der FROM healthhub.signing_keys s WHERE s.kid = export_signing_key.kid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no signing key %', encode(kid, 'hex') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (a read.* action: committed before the key is returned, whatever the
    -- caller's transaction does next)
    PERFORM healthhub.audit_append('read.signing_key', 'signing_key', encode(kid, 'hex'), NULL,
                                   'health code keys', 'ok');
    RETURN der;
END
$$;
COMMENT ON FUNCTION healthhub.export_signing_key(bytea) IS
    'The private half of this hub''s signing key (PKCS#8 DER), for a backup (hub_admin; recorded)';

-- Stop signing with a key from a time on; its codes verify until then
-- ("rotation": make the new key first).
CREATE FUNCTION healthhub.end_signing_key(kid bytea, "at" timestamptz DEFAULT pg_catalog.now()) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.end_signing_key', ARRAY['kid', 'at'], ARRAY[kid IS NULL, "at" IS NULL]);
    UPDATE healthhub.signing_keys s SET valid = tstzrange(lower(s.valid), greatest(lower(s.valid), "at"))
     WHERE s.kid = end_signing_key.kid AND s.valid @> "at";
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no signing key % valid at %', encode(kid, 'hex'), "at"
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (and this hub trusts it no longer for codes signed from then on)
    UPDATE healthhub.trusted_keys t SET valid = tstzrange(lower(t.valid), greatest(lower(t.valid), "at"))
     WHERE t.kid = end_signing_key.kid AND t.origin = 'own' AND t.valid @> "at";
END
$$;

-- Retire a key: from "at" on, no code signed with it verifies (a stolen
-- key: revoke).  For this hub's keys, and for any trusted key by its id.
CREATE FUNCTION healthhub.retire_key(kid bytea, reason text, "at" timestamptz DEFAULT pg_catalog.now(),
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

-- Trust another issuer's key: an X.509 certificate (DER), its kid the first
-- 8 bytes of SHA-256 of the DER, its validity and extended key usage
-- kept; or a bare public key (SubjectPublicKeyInfo DER) with a validity.
CREATE FUNCTION healthhub.trust_certificate(issuer text, certificate bytea) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
    new_kid bytea;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.trust_certificate', ARRAY['issuer', 'certificate'],
                                        ARRAY[issuer IS NULL, certificate IS NULL]);
    c := healthhub.code_certificate(certificate);
    new_kid := healthhub.code_kid(certificate);
    INSERT INTO healthhub.trusted_keys (issuer, kid, alg, public_key, certificate, valid, key_usage, origin)
    VALUES (btrim(issuer), new_kid, healthhub.code_public_key_alg(c.public_key), c.public_key, certificate,
            tstzrange(c.not_before, c.not_after, '[]'), c.key_usage, 'certificate')
    ON CONFLICT ON CONSTRAINT trusted_keys_issuer_kid_public_key_key DO NOTHING;
    RETURN new_kid;
END
$$;
COMMENT ON FUNCTION healthhub.trust_certificate(text, bytea) IS
    'Trust an issuer''s X.509 signer certificate (DER): key, validity, extended key usage; returns its kid';

CREATE FUNCTION healthhub.trust_public_key(issuer text, public_key bytea, valid tstzrange,
                                           kinds text[] DEFAULT NULL) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_kid bytea := healthhub.code_kid(public_key);
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.trust_public_key', ARRAY['issuer', 'public_key', 'valid'],
                                        ARRAY[issuer IS NULL, public_key IS NULL, valid IS NULL]);
    PERFORM healthhub.require_code_kinds(kinds);
    INSERT INTO healthhub.trusted_keys (issuer, kid, alg, public_key, valid, key_usage, origin)
    VALUES (btrim(issuer), new_kid, healthhub.code_public_key_alg(public_key), public_key, valid, kinds, 'public_key')
    ON CONFLICT ON CONSTRAINT trusted_keys_issuer_kid_public_key_key DO NOTHING;
    RETURN new_kid;
END
$$;
COMMENT ON FUNCTION healthhub.trust_public_key(text, bytea, tstzrange, text[]) IS
    'Trust another hub''s bare public key (SubjectPublicKeyInfo DER) for a period (and kinds); returns its kid';

-- Keys are hub_admin's.
CREATE FUNCTION healthhub.require_code_admin() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.acting_role_is_admin() THEN
        RAISE EXCEPTION 'role % may not manage health code keys', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Health code keys are hub_admin''s.';
    END IF;
END
$$;

-- The acting role may act for codes: the issuing service or hub_admin.
CREATE FUNCTION healthhub.require_code_service() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (healthhub.acting_role_is_admin() OR 'code_issuer' = ANY (healthhub.acting_role_profiles())) THEN
        RAISE EXCEPTION 'role % may not act for health codes', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Codes are the code_issuer service''s and hub_admin''s.';
    END IF;
END
$$;

-- A kind of code, or 22023 for one that is not in health_code_kinds.
CREATE FUNCTION healthhub.code_kind(kind text) RETURNS healthhub.health_code_kinds
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
BEGIN
    SELECT * INTO k FROM healthhub.health_code_kinds c WHERE c.kind = code_kind.kind;
    IF NOT FOUND THEN
        PERFORM healthhub.require_code_kinds(ARRAY[kind]);
    END IF;
    RETURN k;
END
$$;

CREATE FUNCTION healthhub.require_code_kinds(kinds text[]) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    unknown text := (SELECT string_agg(coalesce(k, 'NULL'), ', ') FROM unnest(kinds) k
                      WHERE k IS NULL OR k NOT IN (SELECT c.kind FROM healthhub.health_code_kinds c));
BEGIN
    IF unknown IS NOT NULL OR cardinality(kinds) = 0 THEN
        RAISE EXCEPTION 'unknown kind of health code: %', coalesce(unknown, 'none given')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The kinds are listed in healthhub.health_code_kinds.';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION healthhub.create_signing_key(text, text[], tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.end_signing_key(bytea, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.export_signing_key(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.retire_key(bytea, text, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.trust_certificate(text, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.trust_public_key(text, bytea, tstzrange, text[]) FROM PUBLIC;

-- (the catalogue of algorithms is shipped; the keys are recorded row by row)
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.code_algorithms', 'catalogue', 'shipped signature algorithms');

-- hub_admin manages the keys; the private halves it reads in dumps only
-- (no profile selects signing_keys.private_key)
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.create_signing_key(text, text[], tstzrange)',
                    'healthhub.end_signing_key(bytea, timestamptz)',
                    'healthhub.export_signing_key(bytea)',
                    'healthhub.retire_key(bytea, text, timestamptz, text)',
                    'healthhub.trust_certificate(text, bytea)',
                    'healthhub.trust_public_key(text, bytea, tstzrange, text[])']) f
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.trusted_keys', 'healthhub.trust_lists']) t
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.signing_keys', 'SELECT (kid, alg, public_key, kinds, valid, retired_at, retired_reason, created_at, created_by)';
