-- The accessor names of 0.5 and before are deprecated aliases for one
-- release: each gives what its <type>_<attribute> successor gives, and says
-- so in its comment.
SET search_path = healthhub, public;
SELECT p.oid::regprocedure AS deprecated, d.description
  FROM pg_proc p JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass
 WHERE p.pronamespace = 'healthhub'::regnamespace AND d.description LIKE 'deprecated:%'
 ORDER BY p.oid::regprocedure::text;
WITH r(id) AS (VALUES ('11010519491231002X'::resident_id), ('810000199408230021'))
SELECT bool_and(birth_date(id) = resident_id_birth_date(id) AND sex(id) = resident_id_sex(id)
                AND region(id) = resident_id_region(id) AND issuer_kind(id) = resident_id_issuer_kind(id)
                AND age(id, '2026-01-01') = resident_id_age(id, '2026-01-01') AND mask(id) = resident_id_mask(id))
         AS resident_id_same FROM r;
WITH u(c) AS (VALUES ('91110000600037341L'::uscc))
SELECT bool_and(registration_authority(c) = uscc_registration_authority(c) AND category(c) = uscc_category(c)
                AND region(c) = uscc_region(c) AND organization_code(c) = uscc_organization_code(c))
         AS uscc_same FROM u;
WITH g(c) AS (VALUES ('110105'::region_code), ('440304'))
SELECT bool_and(region_name(c) = region_code_name(c) AND level(c) = region_code_level(c)
                AND parent(c) = region_code_parent(c) AND current_region(c) = region_code_current(c)
                AND province(c) = region_code_province(c) AND nominal_level(c) = region_code_nominal_level(c)
                AND contains(province(c), c) = region_code_contains(province(c), c)
                AND contained_by(c, province(c)) = region_code_contained_by(c, province(c)))
         AS region_code_same FROM g;
SELECT kind(h) = health_identifier_kind(h) AND issuer(h) = health_identifier_issuer(h) AS health_identifier_same
  FROM (VALUES ('passport:CHN:E12345678'::health_identifier)) v(h);
