-- Rows an install script ships (regions, place categories, kinds of health
-- code, document kinds, ...) come back with CREATE EXTENSION, so pg_dump
-- keeps only the others (docs/development.md, rule 7).  A DBA's change to a
-- shipped row must survive a dump all the same: this trigger marks a changed
-- shipped row 'changed' (dumped), lets an inserted row whose key a shipped
-- row holds (the restore of such a change) replace that row, and refuses
-- to delete a shipped or changed row (it would come back with the next
-- restore).  TG_ARGV[0]: the key column.  (A release's upgrade script that
-- changes shipped rows disables the trigger while it does.)
CREATE FUNCTION healthhub.shipped_row_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    columns text;
    key_type_schema name;
    replaced boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.origin <> 'local' THEN
            RAISE EXCEPTION 'cannot delete % %, a row healthhub ships', TG_TABLE_NAME, quote_literal(to_jsonb(OLD)->>TG_ARGV[0])
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'CREATE EXTENSION makes the rows healthhub ships: a deleted one would come back with the next restore.',
                      HINT = 'Change the row instead: pg_dump keeps a changed row.';
        END IF;
        RETURN OLD;
    ELSIF TG_OP = 'UPDATE' THEN
        IF OLD.origin <> 'local' AND to_jsonb(NEW)->TG_ARGV[0] IS DISTINCT FROM to_jsonb(OLD)->TG_ARGV[0] THEN
            RAISE EXCEPTION 'cannot change the key of % %, a row healthhub ships', TG_TABLE_NAME,
                            quote_literal(to_jsonb(OLD)->>TG_ARGV[0])
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'The row under its old key would come back with the next restore.';
        END IF;
        NEW.origin := CASE WHEN OLD.origin = 'local' THEN 'local' ELSE 'changed' END;
        RETURN NEW;
    ELSIF NEW.origin <> 'shipped' THEN
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO columns
          FROM pg_catalog.pg_attribute a WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped;
        -- (the key's equality operator lives with its type: region_code's in healthhub)
        SELECT n.nspname INTO key_type_schema
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
          JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
         WHERE a.attrelid = TG_RELID AND a.attname = TG_ARGV[0];
        EXECUTE format('UPDATE %I.%I t SET (%s) = (SELECT ($1).*) WHERE t.%I OPERATOR(%I.=) ($1).%I AND t.origin = ''shipped'' RETURNING true',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME, columns, TG_ARGV[0], key_type_schema, TG_ARGV[0])
           INTO replaced USING NEW;
        IF replaced THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION healthhub.shipped_row_changed() FROM PUBLIC;
