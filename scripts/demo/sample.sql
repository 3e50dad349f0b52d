-- A generated sample: identifiers arriving at the hub from five institutions,
-- typed the way real systems type them.  Deterministic (setseed), SQL only.
-- :arrivals sets the size (default below).
\if :{?arrivals}
\else
\set arrivals 200000
\endif

CREATE SCHEMA demo;
SELECT setseed(0.2026) \g /dev/null

CREATE TABLE demo.institutions (code text PRIMARY KEY, name text, uscc_as_sent text);
INSERT INTO demo.institutions VALUES
    ('SZ-PH',  'City people''s hospital',          '121200004013590816'),
    ('SZ-CH',  'Children''s hospital',              '91110000600037341L'),
    ('FT-CHC', 'Community health centre',          '91340600MA2PBM9HXD'),
    ('YL-PH',  'Retail pharmacy',                  '91350203M0001QAY9B'),
    ('INS-SZ', 'Medical insurance bureau',         '92340621MA2UK3PJXE');

-- The people: bodies drawn from real county codes and plausible birth dates.
CREATE TABLE demo.people AS
WITH counties AS (
    SELECT array_agg(code::integer ORDER BY code) AS codes FROM healthhub.regions
     WHERE level = 'county' AND kind = 'division' AND valid_to IS NULL)
SELECT n AS person,
       healthhub.resident_id(
           codes[1 + (n::bigint * 7919) % cardinality(codes)]::bigint * 100000000000
         + (to_char(date '1930-01-01' + ((n::bigint * 104729) % 32000)::int, 'YYYYMMDD')::bigint * 1000)
         + (n * 31) % 1000) AS id
  FROM counties, generate_series(1, (:arrivals / 3)::int) AS n;

-- What arrives: each person one to five times, from different institutions,
-- in whatever form the sending system produced, with realistic damage.
CREATE TABLE demo.arrivals (seq bigserial PRIMARY KEY, institution text, raw text);
INSERT INTO demo.arrivals (institution, raw)
SELECT (ARRAY['SZ-PH','SZ-CH','FT-CHC','YL-PH','INS-SZ'])[1 + floor(random() * 5)::int],
       CASE
         WHEN r < 0.70 THEN t.id::text                                        -- canonical
         WHEN r < 0.75 THEN lower(t.id::text)                                 -- lower-case x
         WHEN r < 0.80 THEN translate(t.id::text, '0123456789X', '０１２３４５６７８９Ｘ') -- fullwidth IME
         WHEN r < 0.84 THEN E'\u3000' || t.id::text || ' '                    -- padded
         WHEN r < 0.88 AND healthhub.resident_id_birth_date(t.id) < date '2000-01-01'
                            AND substr(t.id::text, 15, 3) < '996'
              THEN substr(t.id::text, 1, 6) || substr(t.id::text, 9, 9)     -- legacy 15 digits
         WHEN r < 0.92 THEN overlay(t.id::text placing                        -- one digit mistyped
                             ((substr(t.id::text, 10, 1)::int + 1) % 10)::text from 10 for 1)
         WHEN r < 0.94 THEN substr(t.id::text, 1, 17)                         -- last char lost
         WHEN r < 0.95 THEN substr(t.id::text, 1, 10) || ' ' || substr(t.id::text, 11)  -- inner space
         WHEN r < 0.96 THEN overlay(t.id::text placing '0231' from 11 for 4)  -- 31 February
         WHEN r < 0.97 THEN replace(t.id::text, 'X', '') || 'Y'              -- wrong check letter
         ELSE t.id::text
       END
  FROM demo.people t,
       LATERAL generate_series(1, 1 + (t.person % 5)) AS copy,
       LATERAL (SELECT random() + 0 * copy AS r) AS roll
 LIMIT :arrivals;
ANALYZE demo.arrivals;
