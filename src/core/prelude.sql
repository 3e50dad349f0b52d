-- healthhub install script, assembled by the Makefile from src/*/*.sql.

\echo Use "CREATE EXTENSION healthhub CASCADE" to load this file. \quit

-- Identifier text arrives in Chinese (fullwidth digits, ideographic spaces,
-- names of places): only a UTF8 database keeps it intact.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' THEN
        RAISE EXCEPTION 'healthhub requires a UTF8 database'
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = pg_catalog.format('Database "%s" uses encoding %s.',
                                             pg_catalog.current_database(),
                                             pg_catalog.getdatabaseencoding()),
                  HINT = 'Create the database with ENCODING ''UTF8'' and install healthhub there.';
    END IF;
END
$$;

-- The schema is created here rather than named in healthhub.control: a schema
-- that CREATE EXTENSION makes for the control file is not a member of the
-- extension, and DROP EXTENSION would leave it behind.
CREATE SCHEMA healthhub;
COMMENT ON SCHEMA healthhub IS 'healthhub: identifier types, registries and shared-record services';
