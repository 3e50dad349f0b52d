-- healthhub 0.4 -> 0.5: governance that holds (issue 10; docs/security.md).
-- Hand-written: t/003 checks that an upgraded database equals a fresh 0.5,
-- object by object.
\echo Use "ALTER EXTENSION healthhub UPDATE TO '0.5'" to load this file. \quit

-- The licence status guard checks the status against the history, not the
-- trigger depth (code review S6).
CREATE OR REPLACE FUNCTION healthhub.licences_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    last_status text;
    last_effective timestamptz;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'active' AND NOT healthhub.registry_restoring() THEN
            RAISE EXCEPTION 'a new licence starts active'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Licence %s was inserted with status %s.', NEW.licence_no, NEW.status),
                      HINT = 'Insert it, then call healthhub.change_licence_status().';
        END IF;
        IF NEW.status_effective IS NULL THEN
            NEW.status_effective := lower(NEW.validity);
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status OR NEW.status_effective IS DISTINCT FROM OLD.status_effective THEN
        -- The status is the last of its history, whoever writes it: checked
        -- against the history, not against who calls (a trigger of any
        -- depth can be anyone's).
        SELECT h.status, h.effective INTO last_status, last_effective FROM healthhub.licence_status_history h
         WHERE h.licence_key = NEW.licence_key ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
        IF (NEW.status, NEW.status_effective) IS DISTINCT FROM (last_status, last_effective) THEN
            RAISE EXCEPTION 'the status of licence % is changed through its history', OLD.licence_no
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Its history says %s.', coalesce(last_status, 'nothing: it is active')),
                      HINT = 'Call healthhub.change_licence_status(licence_no, status, reason, effective).';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
