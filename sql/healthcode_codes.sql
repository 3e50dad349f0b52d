-- Health codes: the type, keys, issuing, verifying with every reason,
-- revocation, replay, trust lists.  Keys are random, so kids and codes
-- are not printed; what they do is.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

-- no key yet: nothing to sign with
SELECT issue_health_code('1001', 'health_card');

-- keys: Ed25519 by default, the other three on request; each is trusted at once
SELECT create_signing_key() IS NOT NULL AS eddsa;
SELECT alg, octet_length(kid) AS kid_bytes, kinds, upper_inf(valid) AS open_ended FROM signing_keys ORDER BY created_at;
SELECT t.origin, t.alg, t.issuer = hub_id()::text AS own_issuer, t.kid = s.kid AS same_kid
  FROM trusted_keys t JOIN signing_keys s ON s.public_key = t.public_key;
SELECT create_signing_key('RSA');
SELECT create_signing_key('EdDSA', ARRAY['no_such_kind']);
SELECT create_signing_key('EdDSA', NULL, tstzrange(NULL, '2026-01-01 00:00:00+00'));
SELECT code_kid(public_key) = kid AS kid_is_its_hash, code_public_key_alg(public_key) FROM signing_keys;
-- the private half, for a backup outside the database (recorded)
SELECT code_document_verify(code_document_sign(export_signing_key(kid), alg, kid, '\x01'), public_key) AS backup_signs
  FROM signing_keys;
SELECT export_signing_key('\x0102030405060708');

-- a code of every algorithm, issued with the newest key and verified now
CREATE TEMP TABLE by_alg AS SELECT NULL::text AS alg, v.* FROM verify_health_code('') v WHERE false;
DO $$
DECLARE
    a text;
BEGIN
    FOREACH a IN ARRAY ARRAY['ES256', 'PS256', 'SM2', 'EdDSA'] LOOP
        PERFORM healthhub.create_signing_key(a);
        INSERT INTO by_alg
        SELECT a, v.* FROM healthhub.verify_health_code(healthhub.issue_health_code('1001', 'health_card')::text) v;
    END LOOP;
END
$$;
SELECT alg, valid, reason, algorithm, subject, kind FROM by_alg;

SELECT c::text LIKE 'HH1:%' AS hh1, v.valid, coalesce(v.reason, 'none') AS reason, v.issuer, v.algorithm, v.subject,
       v.kind, v.issued_at, v.expires_at
  FROM issue_health_code('440300010000000123', 'health_card') c, verify_health_code(c::text) v \gset code_
SELECT :'code_hh1' AS hh1, :'code_valid' AS valid, :'code_reason' AS reason, :'code_issuer' = hub_id()::text AS own_issuer,
       :'code_algorithm' AS algorithm, :'code_subject' AS subject, :'code_kind' AS kind,
       :'code_expires_at'::timestamptz - :'code_issued_at'::timestamptz AS lifetime;
SELECT healthhub.issue_health_code('440300010000000123', 'health_card') AS card \gset
SELECT healthhub.issue_health_code('440300010000000123', 'epidemic_status', 'green') AS green \gset

-- the type: text in and out, binary out and in, comparison, the hash
SELECT :'card'::health_code::text = :'card' AS text_round_trip,
       health_code_recv_check.ok AS binary_round_trip,
       :'card'::health_code = :'card'::health_code AS equal,
       :'card'::health_code <> :'green'::health_code AS different,
       octet_length(code_hash(:'card')) AS hash_bytes
  FROM (SELECT (:'card'::health_code)::bytea IS NOT NULL AS ok) health_code_recv_check;
SELECT count(DISTINCT c) FROM (VALUES (:'card'::health_code), (:'card'::health_code), (:'green'::health_code)) v(c);
SELECT 'HH1:not a code'::health_code;
SELECT 'HX1:ABC'::health_code;

-- what each layer holds, for support staff (never raises)
SELECT d->>'prefix' AS prefix, d->>'failed' AS failed, d->'cose'->>'algorithm' AS alg,
       d->'cose'->>'kid_header' AS kid_header, d->'claims'->>'kind' AS kind, d->'claims'->>'status' AS status,
       (d->'claims'->>'seq')::bigint > 0 AS numbered,
       (d->'payload'->'-70001') - '3'::text AS healthhub_claim_but_its_number
  FROM decode_health_code(:'green') d;
SELECT d->>'failed' AS failed, d->>'detail' AS detail
  FROM (VALUES (''), ('HC1'), ('XYZ:ABC'), ('HH1:A'), ('HH1:GGW'), ('HH1:::'), ('HH1:0123456789'),
               ('HH1:' || repeat('A', 9000))) v(t), decode_health_code(v.t) d;

-- every reason of a code that does not decode
SELECT t AS code, (verify_health_code(t)).reason
  FROM unnest(ARRAY['', 'HX1:ABC', 'HH1:ab', 'HH1:0123456789', 'HC1:6BF+70', 'HH1:6BF+70',
                    -- zlib of "hello"; a COSE_Sign1 whose claims are not a map
                    'HH1:6BFKVPV0QSIP600GP5L0', 'HH1:6BFOXN*TS0BI/$DEL40VG1K0000BG2/L0']) t;
SELECT d->>'detail' FROM unnest(ARRAY['HH1:6BFKVPV0QSIP600GP5L0', 'HH1:6BFOXN*TS0BI/$DEL40VG1K0000BG2/L0']) t,
       decode_health_code(t) d;

-- a character changed anywhere after the prefix, and a code cut short: never
-- valid, never an error.  (Unless the change falls in the padding bits that
-- end the deflate stream, which inflating ignores: then the text is another
-- encoding of the very same signed COSE message, and verifies as it does.)
SELECT count(*) = length(:'card') - 4 AS every_position,
       count(*) FILTER (WHERE CASE WHEN v.valid THEN x.t::health_code::bytea <> :'card'::health_code::bytea
                                   ELSE false END) AS still_valid,
       count(*) - count(v.reason) - count(*) FILTER (WHERE v.valid) AS without_a_reason
  FROM generate_series(5, length(:'card')) i,
       LATERAL (SELECT overlay(:'card' PLACING CASE WHEN substr(:'card', i, 1) = 'A' THEN 'B' ELSE 'A' END FROM i FOR 1) AS t) x,
       verify_health_code(x.t) v;
SELECT count(*) = length(:'card') - 4 AS every_length, count(*) FILTER (WHERE v.valid) AS still_valid
  FROM generate_series(4, length(:'card') - 1) i, verify_health_code(left(:'card', i)) v;

-- times: not yet valid, expired (valid in its last second)
-- (the card's own expiry: it was issued after the first code, perhaps in a later second)
SELECT expires_at AS card_expires_at FROM verify_health_code(:'card') \gset
SELECT (verify_health_code(:'card', now() - interval '1 hour')).reason AS an_hour_before,
       (verify_health_code(:'card', :'card_expires_at'::timestamptz)).valid AS at_expiry,
       (verify_health_code(:'card', :'card_expires_at'::timestamptz + interval '1 second')).reason AS after_expiry;

-- statuses follow the kind
SELECT issue_health_code('1001', 'epidemic_status');
SELECT issue_health_code('1001', 'epidemic_status', 'purple');
SELECT issue_health_code('1001', 'health_card', 'green');
SELECT issue_health_code('1001', 'no_such_kind');
SELECT issue_health_code(' ', 'health_card');
SELECT issue_health_code(NULL, 'health_card');

-- dynamic codes: an older one than the last accepted is a replay
SELECT (verify_health_code(:'green')).valid AS first_seen,
       (verify_health_code(:'green')).valid AS same_again;
SELECT issue_health_code('440300010000000123', 'epidemic_status', 'yellow') AS yellow \gset
SELECT (verify_health_code(:'yellow')).valid AS newer, (verify_health_code(:'green')).reason AS older_again;
-- (the numbers are the hub's: the milliseconds of the issue, or one more than the last)
SELECT last_seq = (decode_health_code(:'yellow')->'claims'->>'seq')::bigint AS yellow_last_accepted,
       (decode_health_code(:'yellow')->'claims'->>'seq')::bigint > (decode_health_code(:'green')->'claims'->>'seq')::bigint
       AS numbered_in_order
  FROM dynamic_code_state WHERE subject = '440300010000000123';
SELECT subject, kind, last_seq = (decode_health_code(:'yellow')->'claims'->>'seq')::bigint AS yellow_last_issued
  FROM code_sequences WHERE subject = '440300010000000123';
-- in a read-only transaction the check compares without recording
BEGIN READ ONLY;
SELECT (verify_health_code(:'yellow')).valid AS read_only_newest, (verify_health_code(:'green')).reason AS read_only_older;
COMMIT;

-- revocation of one code, and of every code of a subject
SELECT encode(revoke_health_code(:'card', 'card reported lost'), 'hex') = encode(code_hash(:'card'), 'hex') AS revoked;
SELECT (verify_health_code(:'card')).reason;
SELECT revoke_health_code(:'card', NULL);
SELECT issue_health_code('440300010000000999', 'health_card') AS other \gset
SELECT revoke_subject_codes(hub_id()::text, '440300010000000999', 'deceased');
SELECT (verify_health_code(:'other')).reason;

-- keys: a code of a key retired is refused from then on; an unknown key
SELECT issue_health_code('440300010000000555', 'health_card') AS before_retirement \gset
SELECT retire_key(kid, 'key compromised', now() + interval '1 hour') AS retired
  FROM signing_keys WHERE kid = (verify_health_code(:'before_retirement')).kid;
SELECT (verify_health_code(:'before_retirement')).valid AS until_then,
       (verify_health_code(:'before_retirement', now() + interval '2 hours')).reason AS from_then;
SELECT retire_key(kid, 'key compromised') AS retired_now
  FROM signing_keys WHERE kid = (verify_health_code(:'before_retirement')).kid;
SELECT (verify_health_code(:'before_retirement')).reason;
SELECT retire_key('\x0102030405060708', 'no such key');
SELECT retire_key(kid, ' ') FROM signing_keys LIMIT 1;
-- the retired key signs no more: the next newest does
SELECT (verify_health_code(issue_health_code('440300010000000555', 'health_card')::text)).valid AS new_key_signs;
-- a code whose key is not trusted here
DELETE FROM trusted_keys WHERE kid = (verify_health_code(:'yellow')).kid;
SELECT (verify_health_code(:'yellow')).reason;

-- key usage: a key for health cards only does not sign epidemic status codes
SELECT retire_key(kid, 'test of kinds') FROM signing_keys WHERE retired_at IS NULL;
SELECT create_signing_key('EdDSA', ARRAY['health_card']) IS NOT NULL AS card_key;
SELECT issue_health_code('1001', 'epidemic_status', 'green');
SELECT (verify_health_code(issue_health_code('1001', 'health_card')::text)).valid AS card_signed;
-- (a key trusted for health cards only, and a code of another kind under its kid)
UPDATE trusted_keys SET key_usage = ARRAY['epidemic_status'] WHERE retired_at IS NULL AND origin = 'own';
SELECT (verify_health_code(issue_health_code('1001', 'health_card')::text)).reason;
UPDATE trusted_keys SET key_usage = ARRAY['health_card'] WHERE retired_at IS NULL AND origin = 'own';
-- a key not valid when the code was signed
UPDATE trusted_keys SET valid = tstzrange(now() + interval '1 day', NULL) WHERE retired_at IS NULL AND origin = 'own';
SELECT (verify_health_code(issue_health_code('1001', 'health_card')::text)).reason;
UPDATE trusted_keys SET valid = tstzrange(now() - interval '1 day', NULL) WHERE retired_at IS NULL AND origin = 'own';

-- a signature that does not match: a key of the same kid that did not sign it
SELECT issue_health_code('1001', 'health_card') AS signed \gset
UPDATE trusted_keys t SET public_key = (code_key_generate('EdDSA')).public_key
 WHERE t.kid = (verify_health_code(:'signed')).kid;
SELECT (verify_health_code(:'signed')).reason;
UPDATE trusted_keys t SET public_key = s.public_key FROM signing_keys s WHERE s.kid = t.kid AND t.origin = 'own';

-- trust lists: another hub's list, verified against its key trusted beforehand
CREATE TEMP TABLE other_hub AS SELECT * FROM code_key_generate('EdDSA');
CREATE TEMP TABLE other_hub_key2 AS SELECT * FROM code_key_generate('ES256');
CREATE FUNCTION pg_temp.other_list(seq bigint, with_second boolean, first_retired timestamptz DEFAULT NULL,
                                   with_first boolean DEFAULT true)
    RETURNS bytea LANGUAGE sql AS $$
    SELECT healthhub.code_document_sign(o.private_key, 'EdDSA', healthhub.code_kid(o.public_key),
               convert_to(jsonb_build_object('issuer', '11000001', 'sequence', seq, 'signed_at', now(),
                   'keys', CASE WHEN with_first THEN jsonb_build_array(
                       jsonb_build_object('kid', encode(healthhub.code_kid(o.public_key), 'hex'), 'alg', 'EdDSA',
                                          'public_key', encode(o.public_key, 'base64'), 'valid_from', now() - interval '1 day',
                                          'valid_to', NULL, 'kinds', NULL, 'retired_at', first_retired,
                                          'retired_reason', CASE WHEN first_retired IS NOT NULL THEN 'planned rotation' END))
                           ELSE '[]' END
                   || CASE WHEN with_second THEN jsonb_build_array(
                       jsonb_build_object('kid', encode(healthhub.code_kid(k2.public_key), 'hex'), 'alg', 'ES256',
                                          'public_key', encode(k2.public_key, 'base64'), 'valid_from', now() - interval '1 day',
                                          'valid_to', NULL, 'kinds', jsonb_build_array('health_card'),
                                          'retired_at', NULL, 'retired_reason', NULL)) ELSE '[]' END)::text, 'UTF8'))
      FROM other_hub o, other_hub_key2 k2
$$;
\set VERBOSITY terse
-- (its DETAIL names the random key id)
SELECT import_trust_list(pg_temp.other_list(1, true));
\set VERBOSITY default
SELECT trust_public_key('11000001', public_key, tstzrange(now() - interval '1 day', NULL)) IS NOT NULL AS bootstrapped
  FROM other_hub;
SELECT import_trust_list(pg_temp.other_list(1, true)) AS keys_trusted;
SELECT origin, alg, key_usage, retired_at IS NULL AS trusted FROM trusted_keys WHERE issuer = '11000001' ORDER BY alg;
SELECT import_trust_list(pg_temp.other_list(1, true));
-- the newest list replaces the last: the key left off is no longer trusted
SELECT import_trust_list(pg_temp.other_list(2, false)) AS keys_trusted;
SELECT alg, retired_at IS NULL AS trusted, retired_reason FROM trusted_keys WHERE issuer = '11000001' ORDER BY alg;
SELECT issuer, sequence FROM trust_lists ORDER BY sequence;
-- a code of hub 11000001's key that names this hub as its issuer: not its signer
SELECT (verify_health_code(code_sign(o.private_key, 'EdDSA', code_kid(o.public_key), hub_id()::text, '1001',
                                     date_trunc('second', now()), now() + interval '1 day', 'health_card', NULL, NULL))).reason
  FROM other_hub o;
SELECT (verify_health_code(code_sign(o.private_key, 'EdDSA', code_kid(o.public_key), '11000001', '1001',
                                     date_trunc('second', now()), now() + interval '1 day', 'health_card', NULL, NULL))).valid
       AS its_own_issuer
  FROM other_hub o;
-- a key an earlier list left off is trusted again when a newer list has it;
-- a key retired here stays retired whatever the issuer's lists say
SELECT import_trust_list(pg_temp.other_list(3, true)) AS keys_trusted;
SELECT retire_key(code_kid(public_key), 'suspected stolen', now(), '11000001') FROM other_hub_key2;
SELECT import_trust_list(pg_temp.other_list(4, true)) AS keys_trusted;
SELECT alg, retired_at IS NULL AS trusted, retired_reason, retired_by FROM trusted_keys
 WHERE issuer = '11000001' ORDER BY alg;
-- an issuer's retirement stands too: a later list may bring it forward,
-- never undo or postpone it (whoever holds the issuer's key)
CREATE FUNCTION pg_temp.first_key_retirement() RETURNS TABLE (days_from_now numeric, retired_reason text, retired_by text)
    LANGUAGE sql AS $$
    SELECT round(extract(epoch FROM t.retired_at - now()) / 86400), t.retired_reason, t.retired_by
      FROM healthhub.trusted_keys t WHERE t.issuer = '11000001' AND t.alg = 'EdDSA'
$$;
SELECT import_trust_list(pg_temp.other_list(5, true, now() + interval '2 days')) AS keys_trusted;
SELECT * FROM pg_temp.first_key_retirement();
SELECT import_trust_list(pg_temp.other_list(6, true)) AS undone;
SELECT * FROM pg_temp.first_key_retirement();
SELECT import_trust_list(pg_temp.other_list(7, true, now() + interval '3 days')) AS postponed;
SELECT * FROM pg_temp.first_key_retirement();
SELECT import_trust_list(pg_temp.other_list(8, true, now() + interval '1 day')) AS brought_forward;
SELECT * FROM pg_temp.first_key_retirement();
-- left off a later list, a key retired for later is retired now, and stays
-- retired by its issuer (not merely 'left off', which a list undoes)
SELECT import_trust_list(pg_temp.other_list(9, false, with_first => false)) AS left_off;
SELECT * FROM pg_temp.first_key_retirement();
SELECT import_trust_list('\x00');
SELECT import_trust_list(export_trust_list());
-- this hub's own list verifies with its own key
SELECT (code_document_open(l)).alg, t.origin
  FROM export_trust_list() l JOIN trusted_keys t ON t.kid = (code_document_open(l)).kid;
SELECT jsonb_array_length(convert_from((code_document_open(export_trust_list())).payload, 'UTF8')::jsonb->'keys')
       = (SELECT count(*) FROM signing_keys) AS lists_every_key;

-- ECDSA signatures are malleable: (r, s) and (r, n - s) both verify.  A
-- revoked ES256 code with s replaced stays revoked (the hash is over r).
SELECT create_signing_key('ES256') IS NOT NULL AS es256_key;
SELECT issue_health_code('1001', 'health_card') AS ecdsa \gset
SELECT revoke_health_code(:'ecdsa', 'lost') IS NOT NULL AS revoked;
CREATE CAST (bytea AS healthhub.health_code) WITHOUT FUNCTION;   -- (this test only)
CREATE FUNCTION pg_temp.big(b bytea) RETURNS numeric LANGUAGE sql
    RETURN (SELECT sum(get_byte(b, i)::numeric * 256::numeric ^ (length(b) - 1 - i)) FROM generate_series(0, length(b) - 1) i);
CREATE FUNCTION pg_temp.bytes(x numeric, n integer) RETURNS bytea LANGUAGE sql
    RETURN decode((SELECT string_agg(lpad(to_hex((trunc(x / 256::numeric ^ (n - 1 - i)) % 256)::integer), 2, '0'), '' ORDER BY i)
                     FROM generate_series(0, n - 1) i), 'hex');
SELECT (verify_health_code(flipped::health_code::text)).reason AS flipped_s, flipped <> c AS other_bytes
  FROM (SELECT c, overlay(c PLACING pg_temp.bytes(pg_temp.big('\xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')
                                                  - pg_temp.big(substr(c, length(c) - 31)), 32)
                          FROM length(c) - 31) AS flipped
          FROM (SELECT :'ecdsa'::health_code::bytea AS c) x) y;
-- (the flip is real: a code not revoked, flipped the same way, is valid)
SELECT (verify_health_code(overlay(c PLACING pg_temp.bytes(
            pg_temp.big('\xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')
            - pg_temp.big(substr(c, length(c) - 31)), 32) FROM length(c) - 31)::health_code::text)).valid AS flipped_valid
  FROM (SELECT issue_health_code('1002', 'health_card')::bytea AS c) x;
DROP CAST (bytea AS healthhub.health_code);

-- the trail: issues and key exports (read.* entries: committed before the
-- code or key is returned), revocations, key changes, trust lists; never a code
SELECT action, object_kind, count(*) FROM audit_entries
 WHERE action LIKE 'read.health_code.%' OR action LIKE 'trust_list.%'
    OR object_kind IN ('signing_key', 'trusted_key', 'revoked_code', 'revoked_subject')
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS entries_holding_a_code FROM audit_entries WHERE object_id LIKE 'HH1:%' OR object_id LIKE 'HC1:%';

-- who may: only hub_admin manages keys; code_issuer issues; others verify
CREATE ROLE hh_issuer;
CREATE ROLE hh_clinic;
SELECT grant_profile('hh_issuer', 'code_issuer');
SET ROLE hh_issuer;
SELECT (verify_health_code(issue_health_code('1001', 'health_card')::text)).valid AS issuer_issues;
SELECT create_signing_key();
SELECT private_key FROM signing_keys;
RESET ROLE;
SET ROLE hh_clinic;
SELECT issue_health_code('1001', 'health_card');
SELECT verify_health_code(:'card');
RESET ROLE;
SELECT revoke_profile('hh_issuer', 'code_issuer');
DROP ROLE hh_issuer;
DROP ROLE hh_clinic;
