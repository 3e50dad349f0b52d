-- Every change to personal data, rights and settings is recorded, by one
-- mechanism each area inherits: the row trigger healthhub.audit_changes() on
-- each table that holds them, not a call each function must remember.  A
-- table without it is listed in healthhub.audit_exemptions with the reason;
-- healthhub.audit_coverage lists every table of the extension one way or the
-- other (docs/security.md is generated from it; a test fails on a table that
-- is in neither).
--
-- The trigger's arguments: the object kind, the key columns (comma-separated,
-- their values joined by '/' make the object id; '' for a single-row table),
-- the purpose and, optionally, bookkeeping columns an update of which alone
-- records nothing (comma-separated: a column recorded otherwise or derived,
-- such as a licence's status or a practitioner's rights_version).  The
-- action is '<object kind>.<insert|update|delete>';
-- a row's person_key and practitioner_key columns, where it has them, fill
-- those of the entry.  Rows a load writes (healthhub.load_in_progress(),
-- src/platform/loading.sql) are not recorded one by one: the load's own
-- entry records them.
-- (In C, src/platform/audit_changes.c: it runs for every row written.)
CREATE FUNCTION healthhub.audit_changes() RETURNS trigger
    AS 'MODULE_PATHNAME', 'hh_audit_changes' LANGUAGE C;
REVOKE ALL ON FUNCTION healthhub.audit_changes() FROM PUBLIC;

-- Tables whose changes are not recorded row by row, and why.  "functions":
-- changed only by functions of the extension that record what they do (no
-- profile may write the table; a test checks it); "staging": an institution's
-- input, recorded when a load reads it; "catalogue": shipped with the
-- extension, no profile may change it; "derived": recomputed from recorded
-- tables; "own trigger": a trigger of its own records each change in the
-- area's words; "trail": the audit trail itself.
CREATE TABLE healthhub.audit_exemptions (
    relation    text PRIMARY KEY CHECK (relation ~ '^healthhub\.[a-z0-9_]+$'),
    how         text NOT NULL CHECK (how IN ('functions', 'own trigger', 'staging', 'catalogue', 'derived', 'trail')),
    recorded_as text NOT NULL
);
GRANT SELECT ON healthhub.audit_exemptions TO PUBLIC;

CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.hub
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('hub', '', 'hub identity');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.regions', 'catalogue', 'shipped division codes');

-- Every table of the extension, and how its changes reach the trail.
CREATE VIEW healthhub.audit_coverage AS
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS relation,
       coalesce(CASE WHEN t.kind IS NOT NULL THEN 'each row' END, e.how) AS how,
       coalesce(t.kind || '.insert/update/delete', e.recorded_as) AS recorded_as
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                             AND d.objid OPERATOR(pg_catalog.=) c.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
  JOIN pg_catalog.pg_extension x ON x.oid OPERATOR(pg_catalog.=) d.refobjid
                                AND x.extname OPERATOR(pg_catalog.=) 'healthhub'
  LEFT JOIN LATERAL (
      SELECT pg_catalog.split_part(pg_catalog.encode(tg.tgargs, 'escape'), '\000', 1) AS kind
        FROM pg_catalog.pg_trigger tg
        JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) tg.tgfoid
       WHERE tg.tgrelid OPERATOR(pg_catalog.=) c.oid
         AND p.proname OPERATOR(pg_catalog.=) 'audit_changes'
         AND p.pronamespace OPERATOR(pg_catalog.=) n.oid) t ON true
  LEFT JOIN healthhub.audit_exemptions e
         ON e.relation OPERATOR(pg_catalog.=) pg_catalog.format('%I.%I', n.nspname, c.relname)
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition;
COMMENT ON VIEW healthhub.audit_coverage IS
    'Every table of healthhub and how its changes are recorded: each row (the audit_changes trigger) or the exemption''s reason; how is NULL for a table in neither (a defect)';
GRANT SELECT ON healthhub.audit_coverage TO PUBLIC;
