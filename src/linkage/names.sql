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

-- The name keys depend on the ICU library's data: the version they were made
-- with is kept, and healthhub.rebuild_name_keys() makes them anew after an
-- ICU upgrade (docs/install.md, "Upgrading ICU").
CREATE FUNCTION healthhub.icu_version() RETURNS text
    AS 'MODULE_PATHNAME', 'hh_icu_version' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.icu_version() IS 'The version of the ICU library this server makes name keys with';

CREATE TABLE healthhub.name_keys_made_with (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    icu_version     text NOT NULL,
    made_at         timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE healthhub.name_keys_made_with IS
    'The ICU version the stored name keys were made with (one row, written at first use and by rebuild_name_keys())';
SELECT pg_catalog.pg_extension_config_dump('healthhub.name_keys_made_with', '');

-- A warning when this server's ICU is not the one the stored keys were made
-- with (names of new records would not meet those of old ones); the first
-- call records the version.
CREATE FUNCTION healthhub.check_name_keys_version() RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    made_with text := (SELECT n.icu_version FROM healthhub.name_keys_made_with n);
BEGIN
    IF made_with IS NULL THEN
        INSERT INTO healthhub.name_keys_made_with (icu_version) VALUES (healthhub.icu_version())
        ON CONFLICT DO NOTHING;
    ELSIF made_with <> healthhub.icu_version() THEN
        RAISE WARNING 'the stored name keys were made with ICU %, this server runs ICU %', made_with,
                      healthhub.icu_version()
            USING DETAIL = 'Names linked now are keyed differently and may not find their persons.',
                  HINT = 'A hub_admin runs SELECT healthhub.rebuild_name_keys() once.';
    END IF;
END
$$;
