-- The person an identifier finds (C, src/linkage/resolve.c): one probe of a
-- unique index of healthhub.person_identifiers, and an audit entry (who
-- asked; the person found, if any).  A key held by an app that was merged
-- meanwhile: healthhub.current_person(key).
CREATE FUNCTION healthhub.resolve(identifier healthhub.resident_id) RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_resolve_resident_id' LANGUAGE C VOLATILE STRICT;
CREATE FUNCTION healthhub.resolve(identifier healthhub.health_identifier) RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_resolve_identifier' LANGUAGE C VOLATILE STRICT;
-- Text as received: a resident ID number (15 or 18 digits) or kind:issuer:value.
-- A plain expression, so the planner inlines it into the calling query.
CREATE FUNCTION healthhub.resolve(identifier text) RETURNS bigint
    LANGUAGE sql VOLATILE
    RETURN CASE WHEN healthhub.is_valid_resident_id(identifier)
                THEN healthhub.resolve(healthhub.resident_id(identifier))
                ELSE healthhub.resolve(identifier::healthhub.health_identifier) END;
COMMENT ON FUNCTION healthhub.resolve(healthhub.resident_id) IS 'The person a resident ID number finds, or NULL';
COMMENT ON FUNCTION healthhub.resolve(healthhub.health_identifier) IS 'The person an identifier finds, or NULL';
COMMENT ON FUNCTION healthhub.resolve(text) IS
    'The person an identifier written as text finds (a resident ID number or kind:issuer:value), or NULL';
