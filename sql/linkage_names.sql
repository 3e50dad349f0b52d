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

-- sex and phone as institutions write them
SELECT s, parse_sex(s) FROM unnest(ARRAY['1', '2', 'M', 'f', 'male', 'FEMALE', '男', '女', '0', '9', '']) s;
SELECT parse_sex('x');
SELECT p, normalise_phone(p)
  FROM unnest(ARRAY['13800138000', '138-0013-8000', '+86 138 0013 8000', '(0755) 8888 6666', '１３８００１３８０００', '']) p;
SELECT normalise_phone('12345');
SELECT normalise_phone('call me');
