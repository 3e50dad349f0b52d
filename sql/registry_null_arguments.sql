-- Every function of the registry that a profile may call refuses a NULL in a
-- required argument with 22004 (null_value_not_allowed), naming the
-- argument; 0.4 said "licence "<NULL>" does not exist", "invalid load source
-- "<NULL>"", recomputed nothing and returned 0, or raised "case not found"
-- (load_problem).  Arguments that may be NULL: may_practise's (a question
-- with a missing part has the answer no), load_problem's value (NULL
-- converts), the present_* and mask_* values (nothing to show).
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.outcome(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; det text;
BEGIN
    EXECUTE call;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RETURN st || ': ' || msg || coalesce(E'\n       ' || nullif(det, ''), '');
END
$$;
SELECT call, pg_temp.outcome('SELECT ' || call) AS outcome FROM (VALUES
    ('why_not_practise(NULL, ''physician'', 1)'),
    ('why_not_practise(1, NULL, 1)'),
    ('why_not_practise(1, ''physician'', NULL)'),
    ('why_not_practise(1, ''physician'', 1, NULL)'),
    ('assert_may_practise(NULL, ''physician'', 1)'),
    ('assert_may_practise(1, NULL, 1)'),
    ('assert_may_practise(1, ''physician'', NULL)'),
    ('change_licence_status(NULL, ''revoked'', ''r'')'),
    ('change_licence_status(''X-0001'', NULL, ''r'')'),
    ('change_licence_status(''X-0001'', ''revoked'', NULL)'),
    ('change_licence_status(''X-0001'', ''revoked'', ''r'', NULL)'),
    ('blacklist_practitioner(NULL, ''r'', ''s'')'),
    ('blacklist_practitioner(1, NULL, ''s'')'),
    ('blacklist_practitioner(1, ''r'', NULL)'),
    ('blacklist_practitioner(1, ''r'', ''s'', NULL)'),
    ('blacklist_institution(NULL, ''r'', ''s'')'),
    ('blacklist_institution(1, ''r'', ''s'', NULL)'),
    ('lift_blacklist(NULL)'),
    ('lift_blacklist(1, NULL)'),
    ('recompute_practice_rights(NULL)'),
    ('check_own_institution(NULL)'),
    ('load_registry(NULL, ''0123456789abcdef0123456789abcdef'', ''delta'')'),
    ('load_registry(''nhc'', NULL, ''delta'')'),
    ('load_registry(''nhc'', ''0123456789abcdef0123456789abcdef'', NULL)'),
    ('load_problem(''x'', NULL)'),
    ('load_problem(''x'', ''text'')'),
    ('person_pseudonym(NULL)'),
    ('grant_profile(NULL, ''auditor'')'),
    ('grant_profile(''pg_monitor'', NULL)'),
    ('revoke_profile(NULL, ''auditor'')'),
    ('archive_audit_partition(NULL)'),
    ('audit_append(NULL, ''document'', ''d-1'')'),
    ('verify_audit(NULL)')) c(call);
-- and the arguments that may be NULL
SELECT may_practise(NULL, 'physician', 1) AS no, load_problem(NULL, 'uscc') IS NULL AS converts,
       present_name(NULL) IS NULL AS nothing_to_show;
