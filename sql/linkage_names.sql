-- Name keys (ICU: NFKC, traditional to simplified, pinyin with surname
-- readings), the comparators, and every class of bad input.
SET search_path = healthhub, public;
SET datestyle = 'ISO, YMD';
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT n AS name, k.*
  FROM unnest(ARRAY[
    '张三',                -- plain
    '張學友',              -- traditional characters
    '张 学 友',            -- spaces typed between characters
    '张　学友',            -- an ideographic space
    '单雄信',              -- 单 as a surname reads shan, not dan
    '曾国藩',              -- read character by character, not as a phrase
    '解缙', '仇英', '区寄', '查良镛',
    '尉迟恭',              -- a compound surname
    '欧阳修', '司马 光',
    '买买提·艾力',         -- a minority name: no surname reading
    '买买提•艾力', '买买提・艾力', '买买提‧艾力',
    '阿卜杜拉·买买提·吐尔逊',
    'ＪＯＨＮ　ＳＭＩＴＨ', -- fullwidth Latin (NFKC)
    'John Smith', 'Mary-Jane O''Neil',
    '王𠮷',                -- a character outside the BMP keeps a placeholder syllable
    '李〇',                -- the ideographic zero
    '豐', '丰'
  ]) n, LATERAL name_keys(n) k;

-- a homophone differs in characters but not in pinyin
SELECT (name_keys('张伟')).pinyin = (name_keys('张玮')).pinyin AS homophones_share_pinyin,
       (name_keys('张伟')).hanzi <> (name_keys('张玮')).hanzi AS but_not_characters;

-- bad names: SQLSTATE 22P02 with the reason
SELECT name_keys('');
SELECT name_keys('   ');
SELECT name_keys('··');
SELECT name_keys('张3');
SELECT name_keys('张三!');
SELECT name_keys(repeat('张', 65));
SELECT name_keys(NULL) IS NULL AS null_in_null_out;

-- Jaro-Winkler, by characters
SELECT a, b, round(jaro_winkler(a, b)::numeric, 4) AS jw
  FROM (VALUES ('MARTHA', 'MARHTA'), ('DWAYNE', 'DUANE'), ('DIXON', 'DICKSONX'), ('zhangsan', 'zhangshan'),
               ('张三', '张三'), ('张伟', '张小伟'), ('', ''), ('abc', ''), ('abc', 'xyz')) v(a, b);

-- the birth-date comparator's levels
SELECT a, b, birth_date_level(a, b)
  FROM (VALUES ('1980-05-06'::date, '1980-05-06'::date), ('1980-05-06', '1980-06-05'),
               ('1980-05-06', '1980-05-07'), ('1980-05-31', '1980-06-01'), ('1980-05-06', '1981-05-06'),
               ('1980-05-06', '1990-05-06'), ('1980-05-06', '2005-05-06'), ('1980-05-06', '1980-05-16'),
               ('1980-05-06', '1980-07-09'), ('1980-05-06', NULL), (NULL, NULL)) v(a, b);

-- a record's fields as institutions write them, through the one
-- preparation link_record and link_batch share: the value the index keeps,
-- or why the field cannot be used
SELECT s, p.sex, p.sex_problem
  FROM unnest(ARRAY['1', '2', 'M', 'f', 'male', 'FEMALE', '男', '女', '0', '9', '', 'x']) s,
       person_record_prepared('NA', 'r-1', NULL, NULL, s, NULL, NULL, NULL, NULL, NULL) p;
SELECT ph, p.phone, p.phone_problem
  FROM unnest(ARRAY['13800138000', '138-0013-8000', '+86 138 0013 8000', '(0755) 8888 6666', '１３８００１３８０００', '',
                    '12345', 'call me']) ph,
       person_record_prepared('NA', 'r-1', NULL, NULL, NULL, NULL, NULL, ph, NULL, NULL) p;
SELECT b, p.birth_date, p.birth_date_problem
  FROM unnest(ARRAY['1990-01-05', '19900105', '1990/1/5', ' ', '1879-12-31', '2999-01-01', 'yesterday']) b,
       person_record_prepared('NA', 'r-1', NULL, NULL, NULL, b, NULL, NULL, NULL, NULL) p;
SELECT rg, p.region, p.region_problem
  FROM unnest(ARRAY['440305', '440399', '44030', '']) rg,
       person_record_prepared('NA', 'r-1', NULL, NULL, NULL, NULL, NULL, NULL, rg, NULL) p;
SELECT p.other_identifiers, p.others_problem
  FROM (VALUES (ARRAY['passport:CHN:E12345678']), (ARRAY['passport:CHN:E12345678', 'nonsense']), ('{}')) v(o),
       person_record_prepared('NA', 'r-1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, o) p;
SELECT p.name, p.name_pinyin, p.name_problem, p.identifier_text, p.resident_id, p.id_conflict
  FROM (VALUES ('张三', '440305199203140013', '1992-03-14'), ('张3', NULL, NULL),
               ('李四', '440305199203140013', '2015-01-01'), ('王五', '4403051992031400', NULL)) v(n, i, b),
       person_record_prepared('NA', 'r-1', NULL, n, NULL, b, i, NULL, NULL, NULL) p;
SELECT src, left(loc, 8) AS loc, p.institution_key, p.key_problem, p.institution_problem
  FROM (VALUES (' NA ', ' r-1 ', ARRAY[7]::bigint[]), ('', 'r-1', NULL), ('NA', NULL, NULL),
               ('NA', repeat('x', 1001), NULL), ('DUP', 'r-1', ARRAY[7, 8]::bigint[])) v(src, loc, inst),
       person_record_prepared(src, loc, inst, NULL, NULL, NULL, NULL, NULL, NULL, NULL) p;

-- phone digits and birth dates as extracts write them (never raise: NULL
-- for nothing, '' or NULL for what is not a value of the kind)
SELECT p, quote_nullable(phone_digits(p)) AS digits
  FROM unnest(ARRAY['0086 138 0013 8000', '＋８６（０７５５）８８８８６６６６', '+86', '()', '   ', '　',
                    '123456', '1234567', '123456789012345', '1234567890123456', '138 0013 8000x', '+1 555 0100',
                    '138.0013.8000', repeat('1', 70)]) p;
SELECT quote_nullable(t) AS t, birth_date_or_null(t)
  FROM unnest(ARRAY['1990-01-05', '19900105', '1990/1/5', '1990.12.31', ' １９９０－０１－０５ ', '2000-02-29',
                    '1900-02-29', '1990-02-30', '1990-13-01', '1990-00-10', '1990-01-00', '1879-12-31',
                    '1880-01-01', '1990-01/05', '1990--01-05', '1990-001-05', '199001050', '90-01-05',
                    '1990 01 05', '19900105 ', '1990-1-5x', '', 'yesterday']) t;

-- blocking keys, one per rule that applies, and the hashes link_record and
-- link_batch store (the same as block_hash() of each key)
SELECT block_keys('zhangsan', 'zs', '张三', '1990-01-05', 1::smallint, '440305', '13800138000');
SELECT block_keys(NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT block_keys('lisi', 'ls', '李四', NULL, 2::smallint, '440305', '2345678');
SELECT h.h = ARRAY(SELECT block_hash(k)
                     FROM unnest(block_keys('zhangsan', 'zs', '张三', '1990-01-05', 1::smallint, '440305', '13800138000')) k
                    WHERE split_part(k, ':', 1) = ANY (ARRAY['phone', 'pinyin_birth_year'])) AS same_as_block_hash
  FROM (SELECT block_hashes('zhangsan', 'zs', '张三', '1990-01-05', 1::smallint, '440305', '13800138000',
                            ARRAY['pinyin_birth_year', 'phone']) AS h) h;
SELECT cardinality(block_hashes('zhangsan', 'zs', '张三', '1990-01-05', 1::smallint, '440305', '13800138000', NULL)) AS every_rule,
       cardinality(block_hashes('zhangsan', 'zs', '张三', '1990-01-05', 1::smallint, '440305', '13800138000',
                                ARRAY['hanzi', 'no_such_rule', NULL])) AS one_rule,
       cardinality(block_hashes('zhangsan', 'zs', '张三', '1990-01-05', 1::smallint, '440305', '13800138000',
                                ARRAY[]::text[])) AS no_rule;

-- the golden value of a field: the most frequent key (ties: the most
-- recent), showing its latest spelling; or the most recent
SELECT golden_value(k, v, at, false) AS most_frequent, golden_value(k, v, at, true) AS most_recent
  FROM (VALUES ('张三', '張 三', '2026-01-01'::timestamptz), ('张三', '张三', '2026-01-02'),
               ('李四', '李四', '2026-01-03'), (NULL, NULL, '2026-01-04')) v(k, v, at);
SELECT golden_value(k, v, at, false) AS tie_to_recent
  FROM (VALUES ('a', 'a', '2026-01-01'::timestamptz), ('b', 'b', '2026-01-02')) v(k, v, at);
SELECT golden_value(k, v, at, false) AS tie_to_smallest
  FROM (VALUES ('b', 'b', '2026-01-01'::timestamptz), ('a', 'a', '2026-01-01')) v(k, v, at);
SELECT golden_value(k, v, at, false) IS NULL AS nothing_known
  FROM (VALUES (NULL::text, NULL::text, '2026-01-01'::timestamptz)) v(k, v, at);
