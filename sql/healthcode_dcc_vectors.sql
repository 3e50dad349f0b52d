-- The public EU DCC test vectors (data/dcc-testdata: 153 vectors of
-- eu-digital-green-certificates/dgc-testdata, Apache-2.0) through the
-- documented functions: each vector alone, its certificate trusted with
-- trust_certificate(), its PREFIX verified with verify_health_code() at its
-- VALIDATIONCLOCK, and every EXPECTED* verdict it states compared with
-- what the verifier said.  The verifier stops at the first failing step, in
-- this order: prefix, Base45, zlib, structure, key, signature, key state
-- and usage, times; a step after the first failure is not reached.
SET search_path = healthhub, public;
\set VERBOSITY terse
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

CREATE TEMP TABLE dcc (vector text PRIMARY KEY, prefix text, certificate text, clock timestamptz,
                       unprefix boolean, b45decode boolean, compression boolean, decode boolean, verify boolean,
                       expirationcheck boolean, keyusage boolean, validjson boolean, json text, cbor text);
\getenv abs_srcdir PG_ABS_SRCDIR
\set vectors :abs_srcdir '/data/dcc-testdata/vectors.csv'
COPY dcc FROM :'vectors' WITH (FORMAT csv, HEADER);
SELECT count(*) AS vectors, count(certificate) AS with_certificate FROM dcc;

CREATE TEMP TABLE verdicts AS
SELECT d.vector, NULL::text AS trust_error, v.* FROM dcc d, verify_health_code('') v WHERE false;
DO $$
DECLARE
    d record;
    err text;
BEGIN
    FOR d IN SELECT * FROM dcc ORDER BY vector LOOP
        err := NULL;
        BEGIN
            IF d.certificate IS NOT NULL THEN
                PERFORM healthhub.trust_certificate('dcc-vector', decode(d.certificate, 'base64'));
            END IF;
        EXCEPTION WHEN invalid_parameter_value THEN
            err := SQLERRM;
        END;
        INSERT INTO verdicts
        SELECT d.vector, err, v.* FROM healthhub.verify_health_code(coalesce(d.prefix, ''), coalesce(d.clock, now())) v;
        DELETE FROM healthhub.trusted_keys WHERE issuer = 'dcc-vector';
    END LOOP;
END
$$;

-- per step: the vectors that state a verdict, and whether the verifier agrees
CREATE TEMP VIEW steps AS
SELECT d.vector, r.reason, s.step, s.expected, s.got
  FROM dcc d JOIN verdicts r USING (vector)
 CROSS JOIN LATERAL (SELECT array_position(ARRAY['bad prefix', 'bad encoding', 'bad compression', 'bad structure',
                                                 'unknown key', 'bad signature', 'retired key',
                                                 'key not valid at that time', 'key usage does not allow this kind',
                                                 'not yet valid', 'expired'], r.reason) AS n) p
 CROSS JOIN LATERAL (VALUES
    (1, 'unprefix', d.unprefix, CASE WHEN coalesce(p.n, 99) >= 1 THEN p.n IS DISTINCT FROM 1 END),
    (2, 'b45decode', d.b45decode, CASE WHEN coalesce(p.n, 99) >= 2 THEN p.n IS DISTINCT FROM 2 END),
    (3, 'compression', d.compression, CASE WHEN coalesce(p.n, 99) >= 3 THEN p.n IS DISTINCT FROM 3 END),
    (4, 'decode', d.decode, CASE WHEN coalesce(p.n, 99) >= 4 THEN p.n IS DISTINCT FROM 4 END),
    (5, 'verify', d.verify, CASE WHEN coalesce(p.n, 99) >= 5 THEN coalesce(p.n NOT IN (5, 6), true) END),
    (6, 'keyusage', d.keyusage, CASE WHEN coalesce(p.n, 99) >= 9 THEN p.n IS DISTINCT FROM 9 END),
    (7, 'expirationcheck', d.expirationcheck, CASE WHEN coalesce(p.n, 99) >= 11 THEN p.n IS NULL END),
    (8, 'validjson', d.validjson, CASE WHEN r.claims IS NOT NULL AND d.json IS NOT NULL THEN r.claims = d.json::jsonb END)
 ) s(ord, step, expected, got)
 WHERE s.expected IS NOT NULL;

SELECT step, count(*) AS stated, count(*) FILTER (WHERE got = expected) AS agree,
       count(*) FILTER (WHERE got IS NULL) AS not_reached, count(*) FILTER (WHERE got <> expected) AS disagree
  FROM steps GROUP BY step ORDER BY min(vector) IS NULL, step;

-- Every disagreement is a vector that contradicts the specification
-- (EU eHealth Network, "Technical Specifications for EU Digital COVID
-- Certificates", Volume 1: ES256 is ECDSA on P-256, PS256 RSA-PSS):
CREATE TEMP TABLE contradictions (vector text, step text, why text);
INSERT INTO contradictions VALUES
    ('ES/401.json', 'verify', 'signed "ES256" with a P-384 key; ES256 is ECDSA on P-256 (trust_certificate refuses the key)'),
    ('ES/402.json', 'verify', 'signed "ES256" with a P-384 key; ES256 is ECDSA on P-256 (trust_certificate refuses the key)'),
    ('ES/403.json', 'verify', 'signed "ES256" with a P-384 key; ES256 is ECDSA on P-256 (trust_certificate refuses the key)'),
    ('FR/test_pcr_ok.json', 'validjson', 'its JSON is not its CBOR: sc and dr are two hours earlier in the JSON');
SELECT s.vector, s.step, s.expected, s.got, s.reason, c.why
  FROM steps s LEFT JOIN contradictions c USING (vector, step)
 WHERE s.got <> s.expected OR (s.got IS NULL AND s.expected)
 ORDER BY s.vector, s.step;
-- (a contradiction listed here that the verifier no longer meets)
SELECT c.* FROM contradictions c
 WHERE NOT EXISTS (SELECT 1 FROM steps s WHERE s.vector = c.vector AND s.step = c.step AND s.got IS DISTINCT FROM s.expected);

-- the reasons given, and that a DCC verifies as its own kind
SELECT reason, count(*) FROM verdicts GROUP BY reason ORDER BY count(*) DESC, reason;
SELECT DISTINCT kind, algorithm FROM verdicts WHERE valid ORDER BY 1, 2;
-- the claims of a valid DCC are its JSON
SELECT r.vector, r.claims->'nam' AS name, r.issuer, r.issued_at, r.expires_at
  FROM verdicts r WHERE r.vector = 'AT/1.json';
