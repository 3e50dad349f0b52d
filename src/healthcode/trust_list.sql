-- Trust lists between hubs (docs/health-codes.md, "Trust lists"): a hub
-- exports its signing keys (public halves, validity, kinds, retirement) as a
-- JSON document signed with its newest signing key (a COSE_Sign1); another
-- hub imports it, verified against a key of that issuer it trusted
-- beforehand (trust_public_key, or an earlier list).  The newest list of an
-- issuer replaces its previous one: a key missing from it is no longer
-- trusted (the EU DCC rule).

CREATE FUNCTION healthhub.code_document_sign(private_key bytea, alg text, kid bytea, payload bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_code_document_sign' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION healthhub.code_document_sign(bytea, text, bytea, bytea) FROM PUBLIC;
CREATE FUNCTION healthhub.code_document_open(document bytea, OUT kid bytea, OUT alg text, OUT payload bytea)
    AS 'MODULE_PATHNAME', 'hh_code_document_open' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_document_open(bytea) IS
    'A signed document''s (COSE_Sign1) key id, algorithm and payload, without verifying it';
CREATE FUNCTION healthhub.code_document_verify(document bytea, public_key bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_code_document_verify' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_document_verify(bytea, bytea) IS
    'Whether a public key (SubjectPublicKeyInfo DER) signed a document (COSE_Sign1)';

-- This hub's keys as a signed document.  Its sequence number grows with
-- every export (microseconds since 1970), so a newer list wins.
CREATE FUNCTION healthhub.export_trust_list() RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    hub bigint := healthhub.hub_id();
    signer healthhub.signing_keys;
    seq bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    list jsonb;
BEGIN
    PERFORM healthhub.require_code_admin();
    SELECT * INTO signer FROM healthhub.signing_keys s
     WHERE s.valid @> clock_timestamp() AND (s.retired_at IS NULL OR s.retired_at > clock_timestamp())
     ORDER BY lower(s.valid) DESC, s.created_at DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this hub has no signing key valid now to sign its trust list'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A hub_admin makes one with healthhub.create_signing_key().';
    END IF;
    SELECT jsonb_build_object('issuer', hub::text, 'sequence', seq, 'signed_at', now(),
               'keys', jsonb_agg(jsonb_build_object(
                   'kid', encode(s.kid, 'hex'), 'alg', s.alg, 'public_key', encode(s.public_key, 'base64'),
                   'valid_from', lower(s.valid), 'valid_to', upper(s.valid), 'kinds', s.kinds, 'retired_at', s.retired_at,
                   'retired_reason', s.retired_reason) ORDER BY s.kid))
      INTO list FROM healthhub.signing_keys s;
    PERFORM healthhub.audit_append('trust_list.export', 'trust_list', seq::text, NULL, 'health code keys', 'ok');
    RETURN healthhub.code_document_sign(signer.private_key, signer.alg, signer.kid, convert_to(list::text, 'UTF8'));
END
$$;
COMMENT ON FUNCTION healthhub.export_trust_list() IS
    'This hub''s signing keys (public halves) as a trust list signed with its newest key, for other hubs to import';

CREATE FUNCTION healthhub.require_trust_list(ok boolean, problem text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT coalesce(ok, false) THEN
        RAISE EXCEPTION 'trust list refused' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem;
    END IF;
END
$$;

-- (Times are the clock's, not the transaction's start, as in issuing and
-- verifying: a key retired while this transaction ran is retired.)
-- Import another hub's trust list; returns how many keys of that issuer
-- are trusted after it.
CREATE FUNCTION healthhub.import_trust_list(document bytea) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
    signer healthhub.trusted_keys;
    list jsonb;
    list_issuer text;
    seq bigint;
    lid bigint;
    n integer;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.import_trust_list', ARRAY['document'], ARRAY[document IS NULL]);
    d := healthhub.code_document_open(document);
    SELECT * INTO signer FROM healthhub.trusted_keys t
     WHERE t.kid = d.kid AND t.valid @> clock_timestamp() AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp())
       AND healthhub.code_document_verify(document, t.public_key)
     ORDER BY t.key_id LIMIT 1;
    PERFORM healthhub.require_trust_list(FOUND,
        format('No key trusted now signed it (key id %s): trust the issuer''s key first (trust_public_key).',
               encode(d.kid, 'hex')));
    BEGIN
        list := convert_from(d.payload, 'UTF8')::jsonb;
    EXCEPTION WHEN data_exception THEN
        PERFORM healthhub.require_trust_list(false, 'Its payload is not a JSON document.');
    END;
    list_issuer := list->>'issuer';
    PERFORM healthhub.require_trust_list(list_issuer = signer.issuer,
        format('It lists the keys of %s but is signed by a key of %s.', coalesce(list_issuer, 'nobody'), signer.issuer));
    PERFORM healthhub.require_trust_list(list_issuer <> healthhub.hub_id()::text, 'It is this hub''s own list.');
    PERFORM healthhub.require_trust_list(jsonb_typeof(list->'keys') = 'array' AND jsonb_typeof(list->'sequence') = 'number',
        'A trust list has an issuer, a sequence number and an array of keys.');
    seq := (list->>'sequence')::bigint;
    PERFORM healthhub.require_trust_list(
        seq > coalesce((SELECT max(l.sequence) FROM healthhub.trust_lists l WHERE l.issuer = list_issuer), -1),
        format('A list of %s as new or newer was imported already (sequence %s).', list_issuer, seq));
    PERFORM healthhub.require_trust_list(
        NOT EXISTS (SELECT 1 FROM jsonb_array_elements(list->'keys') k
                     WHERE healthhub.code_kid(decode(k->>'public_key', 'base64')) <> decode(k->>'kid', 'hex')),
        'A key''s id is not the first 8 bytes of SHA-256 of its public key.');
    INSERT INTO healthhub.trust_lists (issuer, sequence, signed_at, signer_kid, document)
    VALUES (list_issuer, seq, (list->>'signed_at')::timestamptz, d.kid, document)
    RETURNING list_id INTO lid;
    INSERT INTO healthhub.trusted_keys AS t (issuer, kid, alg, public_key, valid, key_usage, origin, trust_list,
                                             retired_at, retired_reason, retired_by)
    SELECT list_issuer, decode(k->>'kid', 'hex'), k->>'alg', decode(k->>'public_key', 'base64'),
           tstzrange((k->>'valid_from')::timestamptz, (k->>'valid_to')::timestamptz),
           -- (kinds: JSON null is "every kind")
           CASE WHEN jsonb_typeof(k->'kinds') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(k->'kinds')) END,
           'trust_list', lid, (k->>'retired_at')::timestamptz, k->>'retired_reason',
           CASE WHEN k->>'retired_at' IS NOT NULL THEN 'issuer' END
      FROM jsonb_array_elements(list->'keys') k
    ON CONFLICT ON CONSTRAINT trusted_keys_issuer_kid_public_key_key DO UPDATE
       SET alg = EXCLUDED.alg, valid = EXCLUDED.valid, key_usage = EXCLUDED.key_usage, origin = 'trust_list',
           trust_list = EXCLUDED.trust_list,
           -- a retirement stands (the earlier of the two wins: no list undoes or
           -- postpones one, whoever holds the issuer's key); a key an earlier
           -- list left off is trusted again when listed again
           (retired_at, retired_reason, retired_by) =
               (SELECT r.* FROM (VALUES (t.retired_at, t.retired_reason, t.retired_by),
                                        (EXCLUDED.retired_at, EXCLUDED.retired_reason, EXCLUDED.retired_by))
                                r (retired_at, retired_reason, retired_by)
                 WHERE r.retired_by IS DISTINCT FROM 'left off'
                 ORDER BY r.retired_at NULLS LAST LIMIT 1);
    -- the DCC rule: a key left off the newest list is no longer trusted.  (A
    -- key retired here or by its issuer for later is retired now instead:
    -- its retirement stands, brought forward; only a key nobody retired is
    -- 'left off', trusted again when listed again.)
    UPDATE healthhub.trusted_keys t SET retired_at = clock_timestamp(),
           retired_reason = coalesce(t.retired_reason, format('not on trust list %s', seq)),
           retired_by = coalesce(t.retired_by, 'left off')
     WHERE t.issuer = list_issuer AND t.trust_list IS DISTINCT FROM lid AND t.origin IN ('trust_list', 'public_key')
       AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp());
    PERFORM healthhub.audit_append('trust_list.import', 'trust_list', lid::text, NULL, 'health code keys', 'ok');
    SELECT count(*) INTO n FROM healthhub.trusted_keys t
     WHERE t.issuer = list_issuer AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp());
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.import_trust_list(bytea) IS
    'Import another hub''s trust list, verified against a key of that hub trusted beforehand; it replaces the previous one';

REVOKE ALL ON FUNCTION healthhub.export_trust_list() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.import_trust_list(bytea) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.export_trust_list()', 'healthhub.import_trust_list(bytea)']) f;
