-- Verifying health codes (docs/health-codes.md, "Verification"): offline,
-- against the trusted keys alone.  The C verifier (src/healthcode/verify.c)
-- decodes and checks signatures; the table work is here.

-- Revoked codes, by the first 16 bytes of SHA-256 over the code's
-- signature (as EU DCC revocation lists name a certificate), and every code
-- of a subject (a person key, a health card id, a DCC's subject) of an
-- issuer from a time on.
CREATE TABLE healthhub.revoked_codes (
    code_hash   bytea PRIMARY KEY CHECK (octet_length(code_hash) = 16),
    reason      text NOT NULL CHECK (btrim(reason) <> ''),
    revoked_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    revoked_by  text NOT NULL DEFAULT healthhub.acting_role()
);
COMMENT ON TABLE healthhub.revoked_codes IS 'Revoked health codes, by a hash of their signature';
SELECT pg_catalog.pg_extension_config_dump('healthhub.revoked_codes', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.revoked_codes
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('revoked_code', 'code_hash', 'health code revocation');

CREATE TABLE healthhub.revoked_subjects (
    issuer      text NOT NULL,
    subject     text NOT NULL,
    reason      text NOT NULL CHECK (btrim(reason) <> ''),
    revoked_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    revoked_by  text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (issuer, subject)
);
COMMENT ON TABLE healthhub.revoked_subjects IS 'Subjects every code of whom an issuer revoked, from a time on';
SELECT pg_catalog.pg_extension_config_dump('healthhub.revoked_subjects', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.revoked_subjects
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('revoked_subject', 'issuer,subject', 'health code revocation');

-- The last dynamic code accepted per subject and kind: an older one is a
-- replay.  (Written by every verification of a dynamic code.)
CREATE TABLE healthhub.dynamic_code_state (
    issuer      text NOT NULL,
    subject     text NOT NULL,
    kind        text NOT NULL,
    last_seq    bigint NOT NULL,
    last_issued timestamptz NOT NULL,
    PRIMARY KEY (issuer, subject, kind)
);
COMMENT ON TABLE healthhub.dynamic_code_state IS
    'The last dynamic health code accepted per issuer, subject and kind (replay: an older one is refused)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.dynamic_code_state', '');

-- The first 16 bytes of SHA-256 over a code's signature.
CREATE FUNCTION healthhub.code_hash(code healthhub.health_code) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_code_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_hash(healthhub.health_code) IS
    'A code''s revocation hash: the first 16 bytes of SHA-256 over its signature';

-- The trusted keys of a kid, with what the verifier needs of each in one
-- query: retired at "at"; valid when the code was signed (its iat, else
-- "at"); whether the code's kind is dynamic (only then is replay checked);
-- whether the code, or every code of its subject from that key's issuer,
-- is revoked at "at"; and where the key comes from (an EU DCC verifies with
-- a certificate only, a healthhub code with a hub's key only).
CREATE FUNCTION healthhub.code_keys_of(kid bytea, signed_at timestamptz, "at" timestamptz, kind text,
                                       code_hash bytea, subject text)
    RETURNS TABLE (issuer text, alg text, public_key bytea, retired boolean, valid_then boolean, key_usage text[],
                   dynamic boolean, revocation text, origin text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT t.issuer, t.alg, t.public_key, coalesce(t.retired_at <= code_keys_of."at", false),
           t.valid @> code_keys_of.signed_at, t.key_usage,
           coalesce((SELECT k.dynamic FROM healthhub.health_code_kinds k WHERE k.kind = code_keys_of.kind), false),
           CASE WHEN EXISTS (SELECT 1 FROM healthhub.revoked_codes r
                              WHERE r.code_hash = code_keys_of.code_hash AND r.revoked_at <= code_keys_of."at")
                THEN 'revoked code'
                WHEN EXISTS (SELECT 1 FROM healthhub.revoked_subjects r
                              WHERE r.issuer = t.issuer AND r.subject = code_keys_of.subject
                                AND r.revoked_at <= code_keys_of."at")
                THEN 'revoked subject' END,
           t.origin
      FROM healthhub.trusted_keys t
     WHERE t.kid = code_keys_of.kid
     ORDER BY t.retired_at IS NOT NULL, t.key_id;
END;

-- Whether a dynamic code is older than the last accepted for its subject
-- (the sequence number first, then the issue time); accepting it records
-- it.  (The verifier calls it for dynamic kinds only.)
CREATE FUNCTION healthhub.code_replayed(issuer text, subject text, kind text, seq bigint, issued timestamptz)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    accepted boolean;
BEGIN
    -- (a read-only transaction, or a standby, compares without recording)
    IF current_setting('transaction_read_only')::boolean THEN
        RETURN EXISTS (SELECT 1 FROM healthhub.dynamic_code_state s
                        WHERE s.issuer = code_replayed.issuer AND s.subject = code_replayed.subject
                          AND s.kind = code_replayed.kind
                          AND (code_replayed.seq, code_replayed.issued) < (s.last_seq, s.last_issued));
    END IF;
    INSERT INTO healthhub.dynamic_code_state AS s (issuer, subject, kind, last_seq, last_issued)
    VALUES (code_replayed.issuer, code_replayed.subject, code_replayed.kind, code_replayed.seq, code_replayed.issued)
    ON CONFLICT ON CONSTRAINT dynamic_code_state_pkey DO UPDATE
       SET last_seq = EXCLUDED.last_seq, last_issued = EXCLUDED.last_issued
     WHERE (EXCLUDED.last_seq, EXCLUDED.last_issued) >= (s.last_seq, s.last_issued)
    RETURNING true INTO accepted;
    RETURN accepted IS NULL;
END
$$;

-- Verify a code at a time (docs/health-codes.md): valid, or one reason of
-- bad prefix, bad encoding, bad compression, bad structure, unknown key,
-- retired key, key not valid at that time, key usage does not allow this
-- kind, bad signature, not yet valid, expired, revoked code, revoked
-- subject, replayed.  Never raises on a bad code.  By default at the clock,
-- not at the transaction's start: a verification in a transaction begun
-- before a revocation or a key retirement committed must still see it
-- (specs/healthcode_revocation.spec).
CREATE FUNCTION healthhub.verify_health_code(code text, "at" timestamptz DEFAULT pg_catalog.clock_timestamp(),
    OUT valid boolean, OUT reason text, OUT issuer text, OUT kid bytea, OUT algorithm text, OUT subject text,
    OUT kind text, OUT status text, OUT issued_at timestamptz, OUT expires_at timestamptz, OUT claims jsonb)
    AS 'MODULE_PATHNAME', 'hh_verify_health_code' LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION healthhub.verify_health_code(text, timestamptz) IS
    'Verify a health code (HH1: or an EU DCC, HC1:) at a time: valid, the reason if not, and what it says';

-- Revoke one code (by its hash), or every code of a subject.
CREATE FUNCTION healthhub.revoke_health_code(code healthhub.health_code, reason text) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h bytea := healthhub.code_hash(code);
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.revoke_health_code', ARRAY['code', 'reason'],
                                        ARRAY[code IS NULL, reason IS NULL]);
    INSERT INTO healthhub.revoked_codes (code_hash, reason) VALUES (h, reason) ON CONFLICT DO NOTHING;
    RETURN h;
END
$$;

CREATE FUNCTION healthhub.revoke_subject_codes(issuer text, subject text, reason text,
                                               "at" timestamptz DEFAULT pg_catalog.now()) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.revoke_subject_codes', ARRAY['issuer', 'subject', 'reason', 'at'],
                                        ARRAY[issuer IS NULL, subject IS NULL, reason IS NULL, "at" IS NULL]);
    INSERT INTO healthhub.revoked_subjects (issuer, subject, reason, revoked_at)
    VALUES (issuer, subject, reason, "at")
    ON CONFLICT ON CONSTRAINT revoked_subjects_pkey DO UPDATE
       SET revoked_at = least(revoked_subjects.revoked_at, EXCLUDED.revoked_at);
END
$$;

REVOKE ALL ON FUNCTION healthhub.verify_health_code(text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_health_code(healthhub.health_code, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_subject_codes(text, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.code_replayed(text, text, text, bigint, timestamptz) FROM PUBLIC;

INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.dynamic_code_state', 'derived', 'the last dynamic code accepted, written by verify_health_code');

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', 'healthhub.verify_health_code(text, timestamptz)', 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'code_issuer', 'institution_app', 'clinician', 'pharmacist']) pr
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.revoke_health_code(healthhub.health_code, text)',
                    'healthhub.revoke_subject_codes(text, text, text, timestamptz)']) f
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.revoked_codes', 'healthhub.revoked_subjects']) t;
