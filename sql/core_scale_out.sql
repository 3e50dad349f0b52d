-- Ready to scale out (docs/scale-out.md): every table can be published,
-- every policy is a plain call of the one predicate, keys made by
-- sequences count in the hub's block, and the rights triggers fire on a
-- subscriber.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT coalesce(hub_id(), init_hub('440300', 1)) IS NOT NULL AS hub_ready;

CREATE TEMP VIEW ext_tables AS
SELECT c.oid, c.oid::regclass AS t, c.relreplident
  FROM pg_depend d JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'healthhub')
   AND c.relkind IN ('r', 'p');

-- tables without a usable replica identity (a published UPDATE or DELETE
-- would fail on them): none
SELECT t FROM ext_tables e
 WHERE e.relreplident = 'n'
    OR (e.relreplident = 'd' AND NOT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = e.oid AND i.indisprimary))
    OR (e.relreplident = 'i' AND NOT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = e.oid AND i.indisreplident));

-- the explicit ones: an index with hub_id in it where a publication filters
-- on hub_id, the whole row for work space and the append-only error list
SELECT e.t, e.relreplident,
       (SELECT string_agg(a.attname, ', ' ORDER BY k.n)
          FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, n)
          JOIN pg_attribute a ON a.attnum = k.attnum
         WHERE i.indrelid = e.oid AND i.indisreplident AND a.attrelid = e.oid) AS identity
  FROM ext_tables e WHERE e.relreplident <> 'd' ORDER BY e.t::text;

-- every table with a hub_id column has it in its replica identity (but the
-- hub's own identity, which no publication carries: each node has its own)
SELECT e.t FROM ext_tables e JOIN pg_attribute a ON a.attrelid = e.oid AND a.attname = 'hub_id'
 WHERE e.t <> 'hub'::regclass AND NOT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = e.oid AND i.indisreplident
                                            AND a.attnum = ANY (i.indkey::int2[]));

-- every policy is a plain call of healthhub.row_allowed(), no subquery
-- (Citus refuses subqueries in policies)
SELECT p.polrelid::regclass AS t, p.polname, p.polcmd,
       pg_get_expr(p.polqual, p.polrelid) AS using_expr, pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
  FROM pg_policy p JOIN ext_tables e ON e.oid = p.polrelid
 ORDER BY e.t::text, p.polname;
SELECT p.polname FROM pg_policy p JOIN ext_tables e ON e.oid = p.polrelid,
       LATERAL (VALUES (p.polqual), (p.polwithcheck)) x(expr)
 WHERE x.expr IS NOT NULL
   AND (x.expr::text NOT LIKE format('{FUNCEXPR :funcid %s %%', 'healthhub.row_allowed(text, bigint, regrole, name)'::regprocedure::oid)
        OR x.expr::text LIKE '%{SUBLINK%');

-- the predicate refuses what it does not know
SELECT row_allowed('update', 1);
SELECT row_allowed(NULL, 1);
-- a superuser holds no profile: read yes, own and admin no
SELECT row_allowed('read', 1) AS r, row_allowed('own', 1) AS o, row_allowed('admin') AS a,
       row_allowed('holder', NULL, 'pg_monitor', 'pg_monitor') AS holder,
       row_allowed('holder', NULL, 'pg_monitor', 'renamed') AS renamed;

-- sequences that number rows without mint_key() count in the hub's block
-- of keys, as minted keys do
SELECT s.seqrelid::regclass AS seq, s.seqmin = hub_id() * 10000000000 + 1 AS from_hub_block,
       s.seqmax = hub_id() * 10000000000 + 9999999999 AS to_its_end
  FROM pg_sequence s
 WHERE s.seqrelid IN ('record_seq'::regclass, 'person_identifier_seq'::regclass,
                      'link_events_event_id_seq'::regclass)
 ORDER BY s.seqrelid::regclass::text;
SELECT place_sequences_in_hub_block(0, NULL);

-- a hub of several nodes: each node mints in its tenth of the block (the
-- node part, digit 10 of the serial).  This database minted keys of node
-- 0's part as a hub of one node: it may become node 0, no other node.
SELECT hub_node();
SELECT set_hub_node(3);
SELECT set_hub_node(10);
SELECT set_hub_node(0);
SELECT hub_node();
SELECT s.seqrelid::regclass AS seq, s.seqmin - CASE WHEN s.seqrelid = 'key_seq'::regclass THEN 0 ELSE hub_id() * 10000000000 END AS first_serial,
       s.seqmax - CASE WHEN s.seqrelid = 'key_seq'::regclass THEN 0 ELSE hub_id() * 10000000000 END AS last_serial
  FROM pg_sequence s
 WHERE s.seqrelid IN ('key_seq'::regclass, 'record_seq'::regclass, 'person_identifier_seq'::regclass,
                      'link_events_event_id_seq'::regclass)
 ORDER BY s.seqrelid::regclass::text;
SELECT (mint_key() - hub_id() * 10000000000) / 1000000000 AS node_part;
-- init_hub keeps the node (the identity stays: keys exist)
SELECT init_hub(region, instance) = hub_id() AS same_hub FROM hub;
SELECT hub_node();
-- back to a hub of one node, whose block holds every part
SELECT set_hub_node(NULL);
SELECT hub_node(), (SELECT s.seqmax FROM pg_sequence s WHERE s.seqrelid = 'key_seq'::regclass) AS key_seq_max;
-- only the owner places nodes
CREATE ROLE hh_node_app;
SET ROLE hh_node_app;
SELECT set_hub_node(1);
RESET ROLE;
DROP ROLE hh_node_app;

-- triggers that fire on a subscriber for replicated rows (ALWAYS): the
-- derivation of practice rights, and nothing else
SELECT e.t, tg.tgname, tg.tgenabled
  FROM pg_trigger tg JOIN ext_tables e ON e.oid = tg.tgrelid
 WHERE NOT tg.tgisinternal AND tg.tgenabled <> 'O'
 ORDER BY e.t::text, tg.tgname;
