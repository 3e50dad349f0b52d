-- docs/security.md, "What is recorded": every table of the extension and
-- how its changes reach the audit trail (healthhub.audit_coverage).
-- scripts/gen-docs.sh writes it; t/009 checks it.
SELECT line FROM (
    SELECT 0 AS part, '' AS relation, '| table | how | recorded as |' AS line
    UNION ALL
    SELECT 1, '', '|---|---|---|'
    UNION ALL
    SELECT 2, relation, format('| `%s` | %s | %s |', relation, coalesce(how, 'NOT RECORDED'),
                               replace(coalesce(recorded_as, ''), '|', '\|'))
      FROM healthhub.audit_coverage
) t
ORDER BY part, relation;
