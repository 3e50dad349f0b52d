-- healthhub.resident_id: GB 11643 resident identity numbers.
SET search_path = healthhub, public;

-- the standard's own examples, permits, the 2023 foreign permanent card
SELECT v::resident_id AS canonical
  FROM (VALUES ('11010519491231002X'), ('440524188001010014'),
               ('810000199408230021'), ('830000199201300022'),
               ('911840198001010013')) AS t(v);

-- forms typed on Chinese input methods fold to the canonical form
SELECT v AS input, v::resident_id AS canonical
  FROM (VALUES ('11010519491231002x'),
               ('  11010519491231002X	'),
               (E'\u300011010519491231002X\u3000'),
               ('１１０１０５１９４９１２３１００２Ｘ'),
               ('１１０１０５１９４９１２３１００２ｘ'),
               (E'\u00a011010519491231002X')) AS t(v);

-- legacy 15-digit numbers upgrade to 18 (996-999: the born-in-the-1800s convention)
SELECT v AS legacy, v::resident_id AS upgraded
  FROM (VALUES ('110105491231002'), ('610104620927690'), ('110105050101996')) AS t(v);

-- every invalid class, with its detail
\set VERBOSITY default
SELECT ''::resident_id;
SELECT '   '::resident_id;
SELECT '11010519491231002'::resident_id;
SELECT '11010519491231002X1'::resident_id;
SELECT '1101051949123100'::resident_id;
SELECT '1101051949123 1002X'::resident_id;
SELECT '11010519491231002Y'::resident_id;
SELECT '1101051949123100X2'::resident_id;
SELECT '11010519491231002-'::resident_id;
SELECT '11010519491231002é'::resident_id;
SELECT '11010519491231002X'::resident_id = '110105194912310021'::resident_id;
SELECT '000000194912310020'::resident_id;
SELECT '990000194912310021'::resident_id;
SELECT '830100199201300022'::resident_id;
SELECT '11010519490229002X'::resident_id;
SELECT '110105194913310020'::resident_id;
SELECT '110105194912000021'::resident_id;
SELECT '110105179912310025'::resident_id;
SELECT '11010549123100X'::resident_id;
SELECT '110105491331002'::resident_id;
SELECT '110105194912310021'::resident_id;
SELECT '440524188001010015'::resident_id;

-- the never-raising predicate and the problem report
SELECT v, is_valid_resident_id(v) AS valid, resident_id_problem(v) AS problem
  FROM (VALUES ('11010519491231002X'), ('110105194912310021'), ('11010519490230002X'),
               ('abc'), (''), ('11010519491231002X '), ('110105491231002')) AS t(v);
SELECT is_valid_resident_id(NULL) IS NULL AS null_in_null_out;

-- accessors
SELECT id, resident_id_birth_date(id), resident_id_sex(id), resident_id_region(id), resident_id_issuer_kind(id), resident_id_mask(id),
       resident_id_age(id, date '2026-11-23') AS age_2026
  FROM (VALUES ('11010519491231002X'::resident_id), ('440524188001010014'),
               ('810000199408230021'), ('820000200001010016'), ('830000199201300022'),
               ('911840198001010013'), ('610104196209276908')) AS t(id);

-- age on and around a 29 February birthday (turns older on 1 March in common years)
SELECT d, resident_id_age('110105200002290013', d) AS age
  FROM (VALUES (date '2001-02-28'), (date '2001-03-01'), (date '2004-02-29'), (date '2000-02-29')) AS t(d);
SELECT resident_id_age('110105200002290013', date '1999-12-31');
SELECT resident_id_age('110105200002290013', date 'infinity');

-- a birth date in the future is structurally valid but not plausible
SELECT is_plausible('11010519491231002X') AS past, is_plausible('110105209901010012') AS future;

-- operators and ordering
SELECT '11010519491231002X'::resident_id = '110105491231002'::resident_id AS legacy_equals_upgraded,
       '11010519491231002X'::resident_id < '440524188001010014'::resident_id AS lt,
       '11010519491231002X'::resident_id <> '440524188001010014'::resident_id AS ne,
       '11010519491231002X'::resident_id >= '11010519491231002X'::resident_id AS ge;
SELECT id FROM (VALUES ('911840198001010013'::resident_id), ('11010519491231002X'),
                       ('440524188001010014'), ('110105194912310011')) AS t(id) ORDER BY id;

-- casts: text both ways, bigint holds the 17-digit body (the check is implied)
SELECT '11010519491231002X'::resident_id::text AS to_text,
       '11010519491231002X'::resident_id::bigint AS to_bigint,
       11010519491231002::bigint::resident_id AS from_bigint;
SELECT v::resident_id FROM (VALUES (' 110105491231002 '::text)) t(v);
SELECT v::resident_id FROM (VALUES ('110105491231002X'::text)) t(v);
SELECT 110105194912310021::bigint::resident_id;
SELECT 11010519491301002::bigint::resident_id;
SELECT (-1)::bigint::resident_id;
SELECT 12345::resident_id;
-- no implicit casts: a text column cannot silently compare with a resident_id
SELECT '11010519491231002X'::resident_id = '11010519491231002X'::text;

-- hashing agrees with equality (legacy and upgraded forms hash alike)
SELECT resident_id_hash('110105491231002') = resident_id_hash('11010519491231002X') AS same_hash,
       resident_id_hash_extended('110105491231002', 42) = resident_id_hash_extended('11010519491231002X', 42) AS same_hash_ext;
