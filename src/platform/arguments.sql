-- Every function a profile may call refuses a NULL in a required argument
-- the same way: 22004 (null_value_not_allowed), naming the argument, instead
-- of whatever the NULL would otherwise run into ("role <NULL> does not hold
-- profile", "case not found").  Callers pass the names and which are NULL.
CREATE FUNCTION healthhub.require_arguments(function_name text, argument_names text[], is_null boolean[])
    RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    FOR i IN 1 .. cardinality(argument_names) LOOP
        IF is_null[i] THEN
            RAISE EXCEPTION 'null value not allowed for argument "%" of %()', argument_names[i], function_name
                USING ERRCODE = 'null_value_not_allowed',
                      DETAIL = CASE WHEN cardinality(argument_names) = 1
                                    THEN format('Argument "%s" is null; it is required.', argument_names[i])
                                    ELSE format('Argument "%s" is null; the required arguments are %s.', argument_names[i],
                                                array_to_string(argument_names, ', ')) END;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION healthhub.require_arguments(text, text[], boolean[]) IS
    'Raise 22004 naming the first required argument that is NULL';
