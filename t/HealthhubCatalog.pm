# The catalog comparison of the upgrade tests (t/003, and t/010 that shows
# it catches a broken upgrade script): a catalog extract of a database's
# healthhub, and the lines in which two extracts differ.
#
# The extract covers every member of the extension (pg_depend deptype 'e')
# and what hangs off them: function definitions and attributes, aggregates,
# columns, constraints, indexes, triggers, policies, rules, view definitions,
# sequences, types, operators, operator classes and families with their
# operators and support functions, casts, comments, ACLs and initial
# privileges, the extensions it requires, the config-dump registrations,
# objects in the schema that are not members, and the rows of every member
# table (the install ships rows into regions, profiles, profile_privileges
# and masking_policy).  No OIDs are compared.  Differing lines are reported
# "-" for the first extract (a fresh install), "+" for the second (an
# upgraded one), each with the object it belongs to.
#
#   my $fresh = HealthhubCatalog::extract($node, 'db1');
#   my ($objects, $lines) = HealthhubCatalog::compare($fresh, HealthhubCatalog::extract($node, 'db2'));
#   diag(HealthhubCatalog::report($objects, $lines, 'fresh 0.6', '0.5 updated to 0.6')) if @$lines;
package HealthhubCatalog;
use strict;
use warnings;
use PostgreSQL::Test::Utils;

# One row per line: object, position, text.  The object is what
# pg_describe_object calls a member; what hangs off a table (constraints,
# indexes, triggers, policies, rules) is filed under the table.  Position 0 is
# an unordered property; 1.. numbers the lines of a function or view
# definition.  Columns are listed by name, and their order once more.
my $catalog_sql = <<'SQL';
WITH ext AS (
    SELECT * FROM pg_extension WHERE extname = 'healthhub'
),
m AS (                  -- the members of the extension
    SELECT d.classid, d.objid, pg_describe_object(d.classid, d.objid, 0) AS k
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid
       AND d.deptype = 'e'
),
mrel AS (
    SELECT c.*, c.oid AS reloid, m.k FROM m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
),
-- objects that hang off a member table, filed under that table
hang AS (
    SELECT 'pg_constraint'::regclass AS classid, co.oid AS objid, r.k,
           'constraint ' || co.conname AS label
      FROM mrel r JOIN pg_constraint co ON co.conrelid = r.reloid
    UNION ALL
    SELECT 'pg_class'::regclass, i.indexrelid, r.k, 'index ' || i.indexrelid::regclass::text
      FROM mrel r JOIN pg_index i ON i.indrelid = r.reloid
    UNION ALL
    SELECT 'pg_trigger'::regclass, t.oid, r.k, 'trigger ' || t.tgname
      FROM mrel r JOIN pg_trigger t ON t.tgrelid = r.reloid AND NOT t.tgisinternal
    UNION ALL
    SELECT 'pg_policy'::regclass, p.oid, r.k, 'policy ' || p.polname
      FROM mrel r JOIN pg_policy p ON p.polrelid = r.reloid
    UNION ALL
    SELECT 'pg_rewrite'::regclass, w.oid, r.k, 'rule ' || w.rulename
      FROM mrel r JOIN pg_rewrite w ON w.ev_class = r.reloid AND w.rulename <> '_RETURN'
    UNION ALL
    SELECT 'pg_statistic_ext'::regclass, s.oid, r.k, 'statistics ' || s.stxname
      FROM mrel r JOIN pg_statistic_ext s ON s.stxrelid = r.reloid
    UNION ALL                                   -- domain constraints
    SELECT 'pg_constraint'::regclass, co.oid, m.k, 'constraint ' || co.conname
      FROM m JOIN pg_constraint co ON m.classid = 'pg_type'::regclass AND co.contypid = m.objid
),
objs AS (
    SELECT classid, objid, k, '' AS label FROM m
    UNION ALL
    SELECT classid, objid, k, label || ' ' FROM hang
),
lines (k, seq, txt) AS (
    -- the extension itself; its config-dump registrations by name
    SELECT 'extension healthhub', 0,
           format('version %s, schema %s, relocatable %s', extversion, extnamespace::regnamespace, extrelocatable)
      FROM ext
    UNION ALL
    SELECT 'extension healthhub', 0, 'requires extension ' || e2.extname
      FROM ext JOIN pg_depend d ON d.classid = 'pg_extension'::regclass AND d.objid = ext.oid
                               AND d.refclassid = 'pg_extension'::regclass
      JOIN pg_extension e2 ON e2.oid = d.refobjid
    UNION ALL
    SELECT 'extension healthhub', 0,
           format('config dump %s filter %L', c.cfg::regclass, c.cond)
      FROM ext, unnest(ext.extconfig, ext.extcondition) AS c(cfg, cond)
    UNION ALL
    -- membership
    SELECT k, 0, 'member' FROM m
    UNION ALL
    -- comments, initial privileges (what pg_dump compares ACLs against), security labels
    SELECT o.k, 0, o.label || CASE WHEN d.objsubid > 0
                                   THEN 'column ' || quote_ident(a.attname) || ' ' ELSE '' END
                   || 'comment: ' || d.description
      FROM objs o JOIN pg_description d ON d.classoid = o.classid AND d.objoid = o.objid
      LEFT JOIN pg_attribute a ON d.classoid = 'pg_class'::regclass AND a.attrelid = d.objoid AND a.attnum = d.objsubid
    UNION ALL
    SELECT o.k, 0, o.label || CASE WHEN ip.objsubid > 0
                                   THEN 'column ' || quote_ident(a.attname) || ' ' ELSE '' END
                   || format('initial privileges (%s): %s', ip.privtype,
                             (SELECT string_agg(x::text, ' ' ORDER BY x::text) FROM unnest(ip.initprivs) x))
      FROM objs o JOIN pg_init_privs ip ON ip.classoid = o.classid AND ip.objoid = o.objid
      LEFT JOIN pg_attribute a ON ip.classoid = 'pg_class'::regclass AND a.attrelid = ip.objoid AND a.attnum = ip.objsubid
    UNION ALL
    SELECT o.k, 0, o.label || format('security label (%s, column %s): %s', s.provider, s.objsubid, s.label)
      FROM objs o JOIN pg_seclabel s ON s.classoid = o.classid AND s.objoid = o.objid
    UNION ALL
    -- functions, procedures, aggregates
    SELECT m.k, 0,
           format('%s in %s returning %s%s; volatility %s, strict %s, leakproof %s, parallel %s, security definer %s, cost %s, rows %s, support %s',
                  CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure'
                                 WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function' END,
                  l.lanname, pg_get_function_result(p.oid), CASE WHEN p.proretset THEN ' (set)' ELSE '' END,
                  p.provolatile, p.proisstrict, p.proleakproof, p.proparallel, p.prosecdef,
                  p.procost, p.prorows, p.prosupport)
      FROM m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
      JOIN pg_language l ON l.oid = p.prolang
    UNION ALL
    SELECT m.k, 0, 'config: ' || coalesce(array_to_string(p.proconfig, ' '), '-')
      FROM m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
    UNION ALL
    SELECT m.k, 0, 'owner ' || p.proowner::regrole || ', acl: '
                   || (SELECT string_agg(x::text, ' ' ORDER BY x::text)
                         FROM unnest(coalesce(p.proacl, acldefault('f', p.proowner))) x)
      FROM m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
    UNION ALL
    SELECT m.k, def.n, '| ' || def.line
      FROM m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid AND p.prokind <> 'a'
      CROSS JOIN LATERAL regexp_split_to_table(pg_get_functiondef(p.oid), E'\n') WITH ORDINALITY AS def(line, n)
    UNION ALL
    SELECT m.k, 0,
           format('aggregate (%s): kind %s, direct args %s, sfunc %s, stype %s, sspace %s, finalfunc %s (extra %s, modify %s), combinefunc %s, serialfunc %s, deserialfunc %s, initcond %L, msfunc %s, minvfunc %s, mstype %s, msspace %s, mfinalfunc %s (extra %s, modify %s), minitcond %L, sortop %s',
                  pg_get_function_arguments(a.aggfnoid), a.aggkind, a.aggnumdirectargs,
                  a.aggtransfn, format_type(a.aggtranstype, NULL), a.aggtransspace,
                  a.aggfinalfn, a.aggfinalextra, a.aggfinalmodify, a.aggcombinefn,
                  a.aggserialfn, a.aggdeserialfn, a.agginitval,
                  a.aggmtransfn, a.aggminvtransfn, format_type(nullif(a.aggmtranstype, 0), NULL), a.aggmtransspace,
                  a.aggmfinalfn, a.aggmfinalextra, a.aggmfinalmodify, a.aggminitval,
                  nullif(a.aggsortop, 0)::regoperator)
      FROM m JOIN pg_aggregate a ON m.classid = 'pg_proc'::regclass AND a.aggfnoid = m.objid
    UNION ALL
    -- tables, views, sequences, ...
    SELECT r.k, 0,
           format('relation kind %s, persistence %s, access method %s, row security %s, forced %s, replica identity %s, options %s, owner %s',
                  r.relkind, r.relpersistence, (SELECT amname FROM pg_am WHERE oid = r.relam),
                  r.relrowsecurity, r.relforcerowsecurity, r.relreplident,
                  (SELECT string_agg(x, ' ' ORDER BY x) FROM unnest(r.reloptions) x), r.relowner::regrole)
      FROM mrel r
    UNION ALL
    SELECT r.k, 0, 'acl: ' || (SELECT string_agg(x::text, ' ' ORDER BY x::text)
                                 FROM unnest(coalesce(r.relacl, acldefault(CASE r.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", r.relowner))) x)
      FROM mrel r
    UNION ALL
    SELECT r.k, 0, 'partitioned by ' || pg_get_partkeydef(r.reloid) FROM mrel r WHERE r.relkind = 'p'
    UNION ALL
    SELECT r.k, 0, 'partition bound ' || pg_get_expr(r.relpartbound, r.reloid) FROM mrel r WHERE r.relispartition
    UNION ALL
    SELECT r.k, 0, 'inherits from ' || i.inhparent::regclass || ' (' || i.inhseqno || ')'
      FROM mrel r JOIN pg_inherits i ON i.inhrelid = r.reloid
    UNION ALL
    SELECT r.k, 0,
           'column ' || quote_ident(a.attname) || ': ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
           || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
           || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
           || CASE WHEN a.attgenerated <> '' THEN ' generated ' || a.attgenerated::text ELSE '' END
           || CASE WHEN a.attcollation <> ty.typcollation
                   THEN ' collation ' || coalesce((SELECT quote_ident(n.nspname) || '.' || quote_ident(cl.collname)
                                                     FROM pg_collation cl JOIN pg_namespace n ON n.oid = cl.collnamespace
                                                    WHERE cl.oid = a.attcollation), '-') ELSE '' END
           || CASE WHEN a.attstorage <> ty.typstorage THEN ' storage ' || a.attstorage::text ELSE '' END
           || CASE WHEN a.attstattarget <> -1 THEN ' statistics ' || a.attstattarget ELSE '' END
           -- (this server stamps each column with a pg_attver=N option that
           -- differs between databases; it is not the extension's)
           || coalesce(' options ' || (SELECT string_agg(x, ' ' ORDER BY x) FROM unnest(a.attoptions) x
                                        WHERE x !~ '^pg_attver='), '')
           || coalesce(' acl ' || (SELECT string_agg(x::text, ' ' ORDER BY x::text) FROM unnest(a.attacl) x), '')
      FROM mrel r JOIN pg_attribute a ON a.attrelid = r.reloid AND a.attnum > 0 AND NOT a.attisdropped
                                      AND r.relkind <> 'S'
      JOIN pg_type ty ON ty.oid = a.atttypid
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    UNION ALL
    SELECT r.k, 0, 'columns in order: '
                   || (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                         FROM pg_attribute a WHERE a.attrelid = r.reloid AND a.attnum > 0 AND NOT a.attisdropped)
      FROM mrel r WHERE r.relkind <> 'S'
    UNION ALL
    SELECT r.k, def.n, '| ' || def.line
      FROM mrel r CROSS JOIN LATERAL regexp_split_to_table(pg_get_viewdef(r.reloid, true), E'\n') WITH ORDINALITY AS def(line, n)
     WHERE r.relkind IN ('v', 'm')
    UNION ALL
    SELECT r.k, 0, format('sequence %s start %s min %s max %s increment %s cycle %s cache %s; last value %s',
                          format_type(s.seqtypid, NULL), s.seqstart, s.seqmin, s.seqmax, s.seqincrement, s.seqcycle,
                          s.seqcache, coalesce(ps.last_value::text, 'none'))
      FROM mrel r JOIN pg_sequence s ON s.seqrelid = r.reloid
      JOIN pg_sequences ps ON format('%I.%I', ps.schemaname, ps.sequencename)::regclass = r.reloid
    UNION ALL
    SELECT r.k, 0, format('owned by %s.%s', d.refobjid::regclass, quote_ident(a.attname))
      FROM mrel r JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = r.reloid
                                  AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
      JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
     WHERE r.relkind = 'S'
    UNION ALL
    SELECT h.k, 0, h.label || ': ' || pg_get_constraintdef(co.oid)
                   || CASE WHEN co.condeferrable THEN ' DEFERRABLE' ELSE '' END
                   || CASE WHEN co.condeferred THEN ' INITIALLY DEFERRED' ELSE '' END
                   || format(' (local %s, inherited %s, no inherit %s)', co.conislocal, co.coninhcount, co.connoinherit)
      FROM hang h JOIN pg_constraint co ON h.classid = 'pg_constraint'::regclass AND co.oid = h.objid
    UNION ALL
    SELECT h.k, 0, h.label || ': ' || pg_get_indexdef(i.indexrelid)
                   || format(' (clustered %s, replica identity %s, valid %s)', i.indisclustered, i.indisreplident, i.indisvalid)
      FROM hang h JOIN pg_index i ON h.classid = 'pg_class'::regclass AND i.indexrelid = h.objid
    UNION ALL
    SELECT h.k, 0, h.label || ': ' || pg_get_triggerdef(t.oid) || ' (enabled ' || t.tgenabled::text || ')'
      FROM hang h JOIN pg_trigger t ON h.classid = 'pg_trigger'::regclass AND t.oid = h.objid
    UNION ALL
    SELECT h.k, 0, h.label || format(': %s for %s to %s using (%s) with check (%s)', pp.permissive, pp.cmd,
                                     (SELECT string_agg(x, ', ' ORDER BY x) FROM unnest(pp.roles) x), pp.qual, pp.with_check)
      FROM hang h JOIN pg_policy p ON h.classid = 'pg_policy'::regclass AND p.oid = h.objid
      JOIN pg_class pc ON pc.oid = p.polrelid
      JOIN pg_namespace pn ON pn.oid = pc.relnamespace
      JOIN pg_policies pp ON pp.schemaname = pn.nspname AND pp.tablename = pc.relname AND pp.policyname = p.polname
    UNION ALL
    SELECT h.k, 0, h.label || ': ' || pg_get_ruledef(h.objid)
      FROM hang h WHERE h.classid = 'pg_rewrite'::regclass
    UNION ALL
    SELECT h.k, 0, h.label || ': ' || pg_get_statisticsobjdef(h.objid)
      FROM hang h WHERE h.classid = 'pg_statistic_ext'::regclass
    UNION ALL
    -- types
    SELECT m.k, 0,
           format('type kind %s, length %s, by value %s, align %s, storage %s, category %s, preferred %s, delimiter %s, input %s, output %s, receive %s, send %s, typmod in %s, typmod out %s, analyze %s, subscript %s, element %s, array %s, default %L, collation %s, owner %s',
                  t.typtype, t.typlen, t.typbyval, t.typalign, t.typstorage, t.typcategory, t.typispreferred,
                  t.typdelim, t.typinput::regprocedure, t.typoutput::regprocedure, nullif(t.typreceive, 0)::regprocedure,
                  nullif(t.typsend, 0)::regprocedure, nullif(t.typmodin, 0)::regprocedure, nullif(t.typmodout, 0)::regprocedure,
                  nullif(t.typanalyze, 0)::regprocedure, nullif(t.typsubscript, 0)::regprocedure,
                  nullif(t.typelem, 0)::regtype, nullif(t.typarray, 0)::regtype, t.typdefault,
                  nullif(t.typcollation, 0), t.typowner::regrole)
      FROM m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
    UNION ALL
    SELECT m.k, 0, 'acl: ' || (SELECT string_agg(x::text, ' ' ORDER BY x::text)
                                 FROM unnest(coalesce(t.typacl, acldefault('T', t.typowner))) x)
      FROM m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
    UNION ALL
    SELECT m.k, 0, 'enum labels: ' || (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                                         FROM pg_enum e WHERE e.enumtypid = t.oid)
      FROM m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid AND t.typtype = 'e'
    UNION ALL
    SELECT m.k, 0, format('domain over %s, not null %s', format_type(t.typbasetype, t.typtypmod), t.typnotnull)
      FROM m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid AND t.typtype = 'd'
    UNION ALL
    SELECT m.k, 0, format('range of %s, opclass %s, collation %s, canonical %s, subdiff %s, multirange %s',
                          format_type(rg.rngsubtype, NULL), (SELECT opcname FROM pg_opclass WHERE oid = rg.rngsubopc),
                          nullif(rg.rngcollation, 0), nullif(rg.rngcanonical, 0)::regprocedure,
                          nullif(rg.rngsubdiff, 0)::regprocedure, format_type(rg.rngmultitypid, NULL))
      FROM m JOIN pg_range rg ON m.classid = 'pg_type'::regclass AND rg.rngtypid = m.objid
    UNION ALL
    SELECT m.k, 0, format('attribute %s: %s', quote_ident(a.attname), format_type(a.atttypid, a.atttypmod))
      FROM m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid AND t.typtype = 'c'
      JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT m.k, 0, 'attributes in order: ' || (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                                                 FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
      FROM m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid AND t.typtype = 'c'
    UNION ALL
    -- operators, operator classes and families with their members, casts
    SELECT m.k, 0,
           format('operator kind %s, left %s, right %s, result %s, function %s, commutator %s, negator %s, restrict %s, join %s, merges %s, hashes %s, owner %s',
                  o.oprkind, nullif(o.oprleft, 0)::regtype, nullif(o.oprright, 0)::regtype, o.oprresult::regtype,
                  o.oprcode::regprocedure, nullif(o.oprcom, 0)::regoperator, nullif(o.oprnegate, 0)::regoperator,
                  nullif(o.oprrest, 0)::regprocedure, nullif(o.oprjoin, 0)::regprocedure, o.oprcanmerge, o.oprcanhash,
                  o.oprowner::regrole)
      FROM m JOIN pg_operator o ON m.classid = 'pg_operator'::regclass AND o.oid = m.objid
    UNION ALL
    SELECT m.k, 0, format('operator class for %s, default %s, %s, key type %s, owner %s',
                          format_type(c.opcintype, NULL), c.opcdefault,
                          pg_describe_object('pg_opfamily'::regclass, c.opcfamily, 0),
                          nullif(c.opckeytype, 0)::regtype, c.opcowner::regrole)
      FROM m JOIN pg_opclass c ON m.classid = 'pg_opclass'::regclass AND c.oid = m.objid
    UNION ALL
    SELECT m.k, 0, 'operator family owner ' || f.opfowner::regrole
      FROM m JOIN pg_opfamily f ON m.classid = 'pg_opfamily'::regclass AND f.oid = m.objid
    UNION ALL
    SELECT m.k, 0, format('operator %s (%s, %s): %s, purpose %s, sort family %s',
                          ao.amopstrategy, format_type(ao.amoplefttype, NULL), format_type(ao.amoprighttype, NULL),
                          ao.amopopr::regoperator, ao.amoppurpose,
                          CASE WHEN ao.amopsortfamily <> 0 THEN pg_describe_object('pg_opfamily'::regclass, ao.amopsortfamily, 0) END)
      FROM m JOIN pg_amop ao ON m.classid = 'pg_opfamily'::regclass AND ao.amopfamily = m.objid
    UNION ALL
    SELECT m.k, 0, format('function %s (%s, %s): %s',
                          ap.amprocnum, format_type(ap.amproclefttype, NULL), format_type(ap.amprocrighttype, NULL),
                          ap.amproc::regprocedure)
      FROM m JOIN pg_amproc ap ON m.classid = 'pg_opfamily'::regclass AND ap.amprocfamily = m.objid
    UNION ALL
    SELECT m.k, 0, format('cast function %s, context %s, method %s',
                          nullif(c.castfunc, 0)::regprocedure, c.castcontext, c.castmethod)
      FROM m JOIN pg_cast c ON m.classid = 'pg_cast'::regclass AND c.oid = m.objid
    UNION ALL
    -- the schema, and whatever else lives in it without being a member
    SELECT m.k, 0, 'owner ' || n.nspowner::regrole || ', acl: '
                   || (SELECT string_agg(x::text, ' ' ORDER BY x::text)
                         FROM unnest(coalesce(n.nspacl, acldefault('n', n.nspowner))) x)
      FROM m JOIN pg_namespace n ON m.classid = 'pg_namespace'::regclass AND n.oid = m.objid
    UNION ALL
    SELECT m.k, 0, format('event trigger on %s, function %s, enabled %s, tags %s',
                          e.evtevent, e.evtfoid::regprocedure, e.evtenabled, e.evttags)
      FROM m JOIN pg_event_trigger e ON m.classid = 'pg_event_trigger'::regclass AND e.oid = m.objid
    UNION ALL
    SELECT 'extension healthhub', 0, 'not a member: ' || pg_describe_object(x.classid, x.objid, 0)
      FROM (SELECT 'pg_class'::regclass AS classid, c.oid AS objid, c.relnamespace AS nsp FROM pg_class c
             WHERE c.relkind NOT IN ('i', 'I', 't')
            UNION ALL SELECT 'pg_proc'::regclass, oid, pronamespace FROM pg_proc
            UNION ALL SELECT 'pg_type'::regclass, oid, typnamespace FROM pg_type
            UNION ALL SELECT 'pg_operator'::regclass, oid, oprnamespace FROM pg_operator) x
     WHERE x.nsp IN (SELECT objid FROM m WHERE classid = 'pg_namespace'::regclass)
       AND NOT EXISTS (SELECT FROM m WHERE m.classid = x.classid AND m.objid = x.objid)
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = x.classid AND d.objid = x.objid AND d.deptype = 'i')
       AND NOT EXISTS (SELECT FROM pg_class c WHERE x.classid = 'pg_type'::regclass AND c.reltype = x.objid AND c.relkind <> 'c')
)
SELECT k || chr(31) || seq || chr(31) || replace(replace(txt, current_database(), '<database>'), E'\n', '\n')
  FROM lines
SQL

# The rows of every member table, as jsonb without its nulls (key order does
# not depend on the column order, and a column added empty is reported once,
# as a column, not once a row); partitioned tables hold none of their own.
my $tables_sql = <<'SQL';
SELECT format('SELECT %L || chr(31) || 0 || chr(31) || %L || jsonb_strip_nulls(to_jsonb(t))::text FROM ONLY %s t',
              pg_describe_object('pg_class'::regclass, c.oid, 0), 'row ', c.oid::regclass)
  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
 WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
   AND d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'healthhub')
   AND c.relkind IN ('r', 'm')
 ORDER BY 1
SQL

# Sorted [object, position, text] of a database.
sub extract
{
    my ($node, $db) = @_;
    my @rows = split /\n/, $node->safe_psql($db, $catalog_sql);
    my $union = join "\nUNION ALL\n", split /\n/, $node->safe_psql($db, $tables_sql);
    if ($union ne '')
    {
        my $current = $node->safe_psql($db, 'SELECT current_database()');
        push @rows, map { s/\Q$current\E/<database>/gr } split /\n/, $node->safe_psql($db, $union);
    }
    return [
        sort { $a->[0] cmp $b->[0] || $a->[1] <=> $b->[1] || $a->[2] cmp $b->[2] }
        map { [ split /\x1f/, $_, 3 ] } @rows
    ];
}

# The sorted lines as one text: object, unit separator, line.
sub as_text { return join '', map { "$_->[0]\x1f$_->[2]\n" } @{ $_[0] } }

# The lines that differ, object by object: a longest common subsequence for
# an object's lines (a definition keeps its order), or, for a very long list
# (the rows of regions), what one side has more of than the other.
sub line_diff
{
    my ($x, $y) = @_;
    my ($lo, $hx, $hy) = (0, $#$x, $#$y);
    $lo++ while $lo <= $hx && $lo <= $hy && $x->[$lo] eq $y->[$lo];
    $hx--, $hy-- while $hx >= $lo && $hy >= $lo && $x->[$hx] eq $y->[$hy];
    my @a = @$x[ $lo .. $hx ];
    my @b = @$y[ $lo .. $hy ];
    my @out;
    if (@a * @b > 250_000)
    {
        my %n;
        $n{$_}++ for @a;
        $n{$_}-- for @b;
        push @out, map { [ '-', $_ ] } grep { $n{$_}-- > 0 } @a;
        %n = ();
        $n{$_}++ for @b;
        $n{$_}-- for @a;
        push @out, map { [ '+', $_ ] } grep { $n{$_}-- > 0 } @b;
        return @out;
    }
    my @l = map { [ (0) x (@b + 1) ] } 0 .. @a;
    for my $i (reverse 0 .. $#a)
    {
        for my $j (reverse 0 .. $#b)
        {
            $l[$i][$j] = $a[$i] eq $b[$j] ? $l[ $i + 1 ][ $j + 1 ] + 1
              : $l[ $i + 1 ][$j] >= $l[$i][ $j + 1 ] ? $l[ $i + 1 ][$j]
              :                                        $l[$i][ $j + 1 ];
        }
    }
    my ($i, $j) = (0, 0);
    while ($i < @a || $j < @b)
    {
        if ($i < @a && $j < @b && $a[$i] eq $b[$j]) { $i++; $j++; }
        elsif ($j >= @b || ($i < @a && $l[ $i + 1 ][$j] >= $l[$i][ $j + 1 ]))
        {
            push @out, [ '-', $a[ $i++ ] ];
        }
        else { push @out, [ '+', $b[ $j++ ] ]; }
    }
    return @out;
}

# "- object: line" (fresh) and "+ object: line" (upgraded).
sub differences
{
    my ($fresh, $upgraded) = @_;
    my (%f, %u);
    push @{ $f{ $_->[0] } }, $_->[2] for @$fresh;
    push @{ $u{ $_->[0] } }, $_->[2] for @$upgraded;
    my (@lines, @objects);
    for my $k (sort keys %{ { %f, %u } })
    {
        my @d = line_diff($f{$k} // [], $u{$k} // []);
        next unless @d;
        my $minus = grep { $_->[0] eq '-' } @d;
        push @objects, "  $k: "
          . (!$u{$k} ? 'missing after the update'
            : !$f{$k} ? 'not in a fresh install'
            :           sprintf('%d line(s) fresh, %d upgraded', $minus, @d - $minus));
        push @lines, map { "$_->[0] $k: $_->[1]" } @d;
    }
    return (\@objects, \@lines);
}

# At most $max of a list, and how many more there were.
sub head
{
    my ($max, @l) = @_;
    return @l <= $max ? @l : (@l[ 0 .. $max - 1 ], '... and ' . (@l - $max) . ' more');
}

sub schema_of
{
    my ($node, $db) = @_;
    my $out = $node->basedir . "/$db.sql";
    system('pg_dump', '--schema-only', '--no-owner', '-f', $out, '-d', $node->connstr($db)) == 0
        or die "pg_dump $db failed";
    # pg_dump 15.14+ brackets a dump with \restrict/\unrestrict and a random key
    return join '', grep { !/^\\(un)?restrict / } split /^/m, slurp_file($out);
}

# The objects and lines in which two extracts differ (empty lists: none).
sub compare
{
    my ($fresh, $upgraded) = @_;
    my $same = as_text($upgraded) eq as_text($fresh);
    return ([], []) if $same;
    my ($objects, $lines) = differences($fresh, $upgraded);
    # (the texts differ but no line does: cannot happen, but must not pass)
    $lines = ['(the extracts differ, but no line of them does)'] unless @$lines;
    return ($objects, $lines);
}

# What compare found, as the text a failing test prints.
sub report
{
    my ($objects, $lines, $fresh_label, $upgraded_label) = @_;
    return join "\n",
        scalar(@$objects) . " object(s) differ between $fresh_label and $upgraded_label:",
        head(60, @$objects),
        "--- $fresh_label",
        "+++ $upgraded_label",
        head(200, @$lines);
}

1;
