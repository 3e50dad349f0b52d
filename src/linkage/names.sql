-- Names as the master person index compares them (docs/linkage.md): the
-- keys of a name (simplified characters without spaces or dots, pinyin with
-- surname readings, initials, the surname) from ICU, and the string
-- comparator the linkage model uses on pinyin.

CREATE FUNCTION healthhub.name_keys(name text, OUT hanzi text, OUT pinyin text, OUT initials text,
                                    OUT surname text, OUT given_pinyin text)
    AS 'MODULE_PATHNAME', 'hh_name_keys_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.name_keys(text) IS
    'Match keys of a name: simplified characters without spaces or dots, pinyin (surname readings), initials, surname, the given name''s pinyin';

CREATE FUNCTION healthhub.jaro_winkler(a text, b text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'hh_jaro_winkler_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION healthhub.jaro_winkler(text, text) IS
    'Jaro-Winkler similarity (0 to 1) of two strings, character by character (UTF-8 aware)';
