-- The role a session acts as: the role it SET ROLE to, else its login role.
-- Inside a SECURITY DEFINER function CURRENT_USER is the function's owner;
-- this is still the caller (audit_append records the same role).
CREATE FUNCTION healthhub.acting_role() RETURNS name
    AS 'MODULE_PATHNAME', 'hh_acting_role' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.acting_role() IS
    'The role the session acts as (SET ROLE, else login), also inside SECURITY DEFINER functions';
