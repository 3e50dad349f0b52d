-- Installing, the shape of what is installed, and dropping without a trace.
SET client_min_messages = warning;
CREATE EXTENSION healthhub;
RESET client_min_messages;

-- it requires no other extension (0.5 and earlier required pgcrypto, unused)
SELECT extname, extversion, extrelocatable, n.nspname AS schema,
       (SELECT count(*) FROM pg_depend d
         WHERE d.classid = 'pg_extension'::regclass AND d.objid = e.oid
           AND d.refclassid = 'pg_extension'::regclass) AS requires
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'healthhub';
SELECT count(*) AS pgcrypto FROM pg_extension WHERE extname = 'pgcrypto';

-- every type has binary I/O, and every comparison/hash function is leakproof
SELECT t.typname, t.typlen, t.typbyval, t.typreceive <> 0 AS has_recv, t.typsend <> 0 AS has_send
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'healthhub' AND t.typtype = 'b' AND t.typcategory <> 'A' ORDER BY t.typname;

SELECT p.proname
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'healthhub'
   AND p.proname ~ '^(resident_id|uscc|region_code|health_identifier|health_code)_(eq|ne|lt|le|gt|ge|cmp|hash|hash_extended)$'
   AND NOT p.proleakproof
 ORDER BY 1;

-- each type has a default btree and a default hash operator class
SELECT t.typname, am.amname, opc.opcdefault
  FROM pg_opclass opc
  JOIN pg_am am ON am.oid = opc.opcmethod
  JOIN pg_type t ON t.oid = opc.opcintype
  JOIN pg_namespace n ON n.oid = opc.opcnamespace
 WHERE n.nspname = 'healthhub' ORDER BY 1, 2;

-- configuration and data tables are dumped by pg_dump
SELECT c.relname, cfg.condition
  FROM pg_extension e,
       unnest(e.extconfig, e.extcondition) AS cfg(oid, condition)
  JOIN pg_class c ON c.oid = cfg.oid
 WHERE e.extname = 'healthhub' ORDER BY 1;

-- every SECURITY DEFINER and PL/pgSQL function pins its search_path
SELECT count(*) AS unpinned
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
 WHERE n.nspname = 'healthhub' AND (p.prosecdef OR l.lanname = 'plpgsql')
   AND NOT coalesce(p.proconfig @> '{"search_path=pg_catalog, pg_temp"}', false);
-- the functions that run with their owner's rights: the surface to review
SELECT p.oid::regprocedure AS security_definer
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'healthhub' AND p.prosecdef ORDER BY p.oid::regprocedure::text;

-- DROP EXTENSION leaves nothing of its own behind
DROP EXTENSION healthhub;
SELECT count(*) AS schemas FROM pg_namespace WHERE nspname = 'healthhub';
SELECT count(*) AS types FROM pg_type WHERE typname IN ('resident_id', 'uscc', 'region_code', 'health_identifier');
SELECT count(*) AS functions FROM pg_proc WHERE proname IN ('resident_id_in', 'init_hub', 'mint_key', 'is_valid_uscc');
SELECT count(*) AS opclasses FROM pg_opclass WHERE opcname LIKE 'resident_id%' OR opcname LIKE 'uscc%';

-- and it comes back cleanly
CREATE EXTENSION healthhub;
SELECT count(*) AS shipped_regions FROM healthhub.regions WHERE origin = 'shipped';
