-- healthhub install script, assembled by the Makefile from src/*/*.sql.

\echo Use "CREATE EXTENSION healthhub CASCADE" to load this file. \quit

-- Identifier text arrives in Chinese (fullwidth digits, ideographic spaces,
-- names of places): only a UTF8 database keeps it intact.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' THEN
        RAISE EXCEPTION 'healthhub requires a UTF8 database'
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = pg_catalog.format('Database "%s" uses encoding %s.',
                                             pg_catalog.current_database(),
                                             pg_catalog.getdatabaseencoding()),
                  HINT = 'Create the database with ENCODING ''UTF8'' and install healthhub there.';
    END IF;
END
$$;

-- The schema is created here rather than named in healthhub.control: a schema
-- that CREATE EXTENSION makes for the control file is not a member of the
-- extension, and DROP EXTENSION would leave it behind.
CREATE SCHEMA healthhub;
COMMENT ON SCHEMA healthhub IS 'healthhub: identifier types, registries and shared-record services';
-- Rows an install script ships (regions, place categories, kinds of health
-- code, document kinds, ...) come back with CREATE EXTENSION, so pg_dump
-- keeps only the others (docs/development.md, rule 7).  A DBA's change to a
-- shipped row must survive a dump all the same: this trigger marks a changed
-- shipped row 'changed' (dumped), lets an inserted row whose key a shipped
-- row holds (the restore of such a change) replace that row, and refuses
-- to delete a shipped or changed row (it would come back with the next
-- restore).  TG_ARGV[0]: the key column.  (A release's upgrade script that
-- changes shipped rows disables the trigger while it does.)
CREATE FUNCTION healthhub.shipped_row_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    columns text;
    key_type_schema name;
    replaced boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.origin <> 'local' THEN
            RAISE EXCEPTION 'cannot delete % %, a row healthhub ships', TG_TABLE_NAME, quote_literal(to_jsonb(OLD)->>TG_ARGV[0])
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'CREATE EXTENSION makes the rows healthhub ships: a deleted one would come back with the next restore.',
                      HINT = 'Change the row instead: pg_dump keeps a changed row.';
        END IF;
        RETURN OLD;
    ELSIF TG_OP = 'UPDATE' THEN
        IF OLD.origin <> 'local' AND to_jsonb(NEW)->TG_ARGV[0] IS DISTINCT FROM to_jsonb(OLD)->TG_ARGV[0] THEN
            RAISE EXCEPTION 'cannot change the key of % %, a row healthhub ships', TG_TABLE_NAME,
                            quote_literal(to_jsonb(OLD)->>TG_ARGV[0])
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'The row under its old key would come back with the next restore.';
        END IF;
        NEW.origin := CASE WHEN OLD.origin = 'local' THEN 'local' ELSE 'changed' END;
        RETURN NEW;
    ELSIF NEW.origin <> 'shipped' THEN
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO columns
          FROM pg_catalog.pg_attribute a WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped;
        -- (the key's equality operator lives with its type: region_code's in healthhub)
        SELECT n.nspname INTO key_type_schema
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
          JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
         WHERE a.attrelid = TG_RELID AND a.attname = TG_ARGV[0];
        EXECUTE format('UPDATE %I.%I t SET (%s) = (SELECT ($1).*) WHERE t.%I OPERATOR(%I.=) ($1).%I AND t.origin = ''shipped'' RETURNING true',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME, columns, TG_ARGV[0], key_type_schema, TG_ARGV[0])
           INTO replaced USING NEW;
        IF replaced THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION healthhub.shipped_row_changed() FROM PUBLIC;
-- healthhub.region_code: GB/T 2260 administrative division codes.
-- Held as int4, so the operators are int4's own functions (C aliases).

CREATE TYPE healthhub.region_code;

CREATE FUNCTION healthhub.region_code_in(cstring) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_out(healthhub.region_code) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_recv(internal) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_send(healthhub.region_code) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.region_code (
    INPUT = healthhub.region_code_in,
    OUTPUT = healthhub.region_code_out,
    RECEIVE = healthhub.region_code_recv,
    SEND = healthhub.region_code_send,
    INTERNALLENGTH = 4,
    PASSEDBYVALUE,
    ALIGNMENT = int4,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.region_code IS 'GB/T 2260 administrative division code (6 digits)';

CREATE FUNCTION healthhub.region_code_eq(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_ne(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_lt(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_le(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_gt(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_ge(healthhub.region_code, healthhub.region_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_cmp(healthhub.region_code, healthhub.region_code) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_hash(healthhub.region_code) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.region_code_hash_extended(healthhub.region_code, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: region_code_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE FUNCTION healthhub.region_code(integer) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME', 'region_code_from_int' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (integer AS healthhub.region_code) WITH FUNCTION healthhub.region_code(integer);
CREATE CAST (healthhub.region_code AS integer) WITHOUT FUNCTION;
CREATE CAST (text AS healthhub.region_code) WITH INOUT;
CREATE CAST (healthhub.region_code AS text) WITH INOUT;

-- What the digits say: immutable.
CREATE FUNCTION healthhub.region_code_province(healthhub.region_code) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME', 'region_code_province' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.region_code_nominal_level(healthhub.region_code) RETURNS text
    AS 'MODULE_PATHNAME', 'region_code_nominal_level' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Comparison operators and the default btree and hash operator classes of
-- healthhub.region_code.  Template: the Makefile writes <area>/region_code_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (region_code_eq ... region_code_hash_extended, region_code_sortsupport) are declared in
-- the type's own file, <area>/region_code.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.region_code_ops
    DEFAULT FOR TYPE healthhub.region_code USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.region_code_cmp(healthhub.region_code, healthhub.region_code),
        FUNCTION 2 healthhub.region_code_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.region_code_hash_ops
    DEFAULT FOR TYPE healthhub.region_code USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.region_code_hash(healthhub.region_code),
        FUNCTION 2 healthhub.region_code_hash_extended(healthhub.region_code, bigint);
-- healthhub.regions: the shipped division table and what it knows that
-- the digits do not (true level, parent, name, successors).

-- Function bodies name healthhub's operators explicitly: the install script
-- runs with the target schema (not healthhub) on its search_path.

-- What is true: the shipped division table.  The digits lie (429004 is a
-- county-level city directly under Hubei; 441900 has no counties).
CREATE TABLE healthhub.regions (
    code        healthhub.region_code PRIMARY KEY,
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('province', 'prefecture', 'county')),
    parent      healthhub.region_code,
    kind        text NOT NULL CHECK (kind IN ('division', 'placeholder', 'statistical_zone', 'permit')),
    valid_from  smallint,
    valid_to    smallint CHECK (valid_to >= valid_from),
    successor   healthhub.region_code,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local')),
    CONSTRAINT regions_only_provinces_lack_parents CHECK ((level = 'province') = (parent IS NULL))
);
COMMENT ON TABLE healthhub.regions IS 'Administrative divisions (GB/T 2260 codes, NBS statistical list mid-2023) with true level and parent';
CREATE INDEX regions_parent_idx ON healthhub.regions (parent);
-- Shipped rows come back with CREATE EXTENSION; only local rows are dumped.
SELECT pg_catalog.pg_extension_config_dump('healthhub.regions', 'WHERE origin <> ''shipped''');
-- (a shipped row a DBA changes becomes local: src/platform/shipped_rows.sql)
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.regions
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('code');

CREATE FUNCTION healthhub.region_code_name(healthhub.region_code) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT r.name FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) $1);
CREATE FUNCTION healthhub.region_code_level(healthhub.region_code) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT r.level FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) $1);
CREATE FUNCTION healthhub.region_code_parent(healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT r.parent FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) $1);

-- Follow successors from an abolished code to the division in force now.
CREATE FUNCTION healthhub.region_code_current(healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    WITH RECURSIVE chain(code, successor, depth) AS (
        SELECT r.code, r.successor, 0 FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) $1
        UNION ALL
        SELECT r.code, r.successor, c.depth + 1
          FROM chain c JOIN healthhub.regions r ON r.code OPERATOR(healthhub.=) c.successor
         WHERE c.depth < 16
    )
    SELECT c.code FROM chain c WHERE c.successor IS NULL ORDER BY c.depth LIMIT 1;
END;

-- Does outer_region contain inner_region (or equal it)?  Walks the table's
-- parents; a code missing from the table falls back to its digits.
-- (PL/pgSQL: its one lookup is planned once per session, where a SQL body
-- with a recursive query was planned on every call.)
CREATE FUNCTION healthhub.region_code_contains(outer_region healthhub.region_code, inner_region healthhub.region_code)
    RETURNS boolean LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    up healthhub.region_code;
BEGIN
    SELECT r.parent INTO up FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) inner_region;
    IF NOT FOUND THEN
        RETURN outer_region OPERATOR(healthhub.=) inner_region
            OR outer_region OPERATOR(healthhub.=) healthhub.region_code_province(inner_region)
            OR (healthhub.region_code_nominal_level(outer_region) = 'prefecture'
                AND outer_region::integer = inner_region::integer / 100 * 100);
    END IF;
    IF outer_region OPERATOR(healthhub.=) inner_region THEN
        RETURN true;
    END IF;
    FOR depth IN 1..4 LOOP              -- (county, city, province: never deeper)
        EXIT WHEN up IS NULL;
        IF up OPERATOR(healthhub.=) outer_region THEN
            RETURN true;
        END IF;
        up := (SELECT r.parent FROM healthhub.regions r WHERE r.code OPERATOR(healthhub.=) up);
    END LOOP;
    RETURN false;
END
$$;

CREATE FUNCTION healthhub.region_code_contained_by(inner_region healthhub.region_code, outer_region healthhub.region_code)
    RETURNS boolean LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_contains(outer_region, inner_region);

CREATE OPERATOR healthhub.@> (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_contains, COMMUTATOR = OPERATOR(healthhub.<@));
CREATE OPERATOR healthhub.<@ (
    LEFTARG = healthhub.region_code, RIGHTARG = healthhub.region_code,
    FUNCTION = healthhub.region_code_contained_by, COMMUTATOR = OPERATOR(healthhub.@>));
-- generated from data/regions.csv by scripts/regions-to-sql.sh; do not edit
INSERT INTO healthhub.regions (code, name, level, parent, kind, valid_from, valid_to, successor, origin) VALUES
('110000','北京市','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('110100','市辖区','prefecture','110000','placeholder',NULL,NULL,NULL,'shipped'),
('110101','东城区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110102','西城区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110103','崇文区','county','110000','division',NULL,2010,'110101','shipped'),
('110104','宣武区','county','110000','division',NULL,2010,'110102','shipped'),
('110105','朝阳区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110106','丰台区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110107','石景山区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110108','海淀区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110109','门头沟区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110111','房山区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110112','通州区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110113','顺义区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110114','昌平区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110115','大兴区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110116','怀柔区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110117','平谷区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110118','密云区','county','110000','division',NULL,NULL,NULL,'shipped'),
('110119','延庆区','county','110000','division',NULL,NULL,NULL,'shipped'),
('120000','天津市','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('120100','市辖区','prefecture','120000','placeholder',NULL,NULL,NULL,'shipped'),
('120101','和平区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120102','河东区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120103','河西区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120104','南开区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120105','河北区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120106','红桥区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120107','塘沽区','county','120000','division',NULL,2009,'120116','shipped'),
('120108','汉沽区','county','120000','division',NULL,2009,'120116','shipped'),
('120109','大港区','county','120000','division',NULL,2009,'120116','shipped'),
('120110','东丽区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120111','西青区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120112','津南区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120113','北辰区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120114','武清区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120115','宝坻区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120116','滨海新区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120117','宁河区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120118','静海区','county','120000','division',NULL,NULL,NULL,'shipped'),
('120119','蓟州区','county','120000','division',NULL,NULL,NULL,'shipped'),
('130000','河北省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('130100','石家庄市','prefecture','130000','division',NULL,NULL,NULL,'shipped'),
('130102','长安区','county','130100','division',NULL,NULL,NULL,'shipped'),
('130104','桥西区','county','130100','division',NULL,NULL,NULL,'shipped'),
('130105','新华区','county','130100','division',NULL,NULL,NULL,'shipped'),
('130107','井陉矿区','county','130100','division',NULL,NULL,NULL,'shipped'),
('130108','裕华区','county','130100','division',NULL,NULL,NULL,'shipped'),
('130109','藁城区','county','130100','division',NULL,NULL,NULL,'shipped'),
('130110','鹿泉区','county','130100','division',NULL,NULL,NULL,'shipped'),
('130111','栾城区','county','130100','division',NULL,NULL,NULL,'shipped'),
('130121','井陉县','county','130100','division',NULL,NULL,NULL,'shipped'),
('130123','正定县','county','130100','division',NULL,NULL,NULL,'shipped'),
('130125','行唐县','county','130100','division',NULL,NULL,NULL,'shipped'),
('130126','灵寿县','county','130100','division',NULL,NULL,NULL,'shipped'),
('130127','高邑县','county','130100','division',NULL,NULL,NULL,'shipped'),
('130128','深泽县','county','130100','division',NULL,NULL,NULL,'shipped'),
('130129','赞皇县','county','130100','division',NULL,NULL,NULL,'shipped'),
('130130','无极县','county','130100','division',NULL,NULL,NULL,'shipped'),
('130131','平山县','county','130100','division',NULL,NULL,NULL,'shipped'),
('130132','元氏县','county','130100','division',NULL,NULL,NULL,'shipped'),
('130133','赵县','county','130100','division',NULL,NULL,NULL,'shipped'),
('130171','石家庄高新技术产业开发区','county','130100','statistical_zone',NULL,NULL,NULL,'shipped'),
('130172','石家庄循环化工园区','county','130100','statistical_zone',NULL,NULL,NULL,'shipped'),
('130181','辛集市','county','130100','division',NULL,NULL,NULL,'shipped'),
('130183','晋州市','county','130100','division',NULL,NULL,NULL,'shipped'),
('130184','新乐市','county','130100','division',NULL,NULL,NULL,'shipped'),
('130200','唐山市','prefecture','130000','division',NULL,NULL,NULL,'shipped'),
('130202','路南区','county','130200','division',NULL,NULL,NULL,'shipped'),
('130203','路北区','county','130200','division',NULL,NULL,NULL,'shipped'),
('130204','古冶区','county','130200','division',NULL,NULL,NULL,'shipped'),
('130205','开平区','county','130200','division',NULL,NULL,NULL,'shipped'),
('130207','丰南区','county','130200','division',NULL,NULL,NULL,'shipped'),
('130208','丰润区','county','130200','division',NULL,NULL,NULL,'shipped'),
('130209','曹妃甸区','county','130200','division',NULL,NULL,NULL,'shipped'),
('130224','滦南县','county','130200','division',NULL,NULL,NULL,'shipped'),
('130225','乐亭县','county','130200','division',NULL,NULL,NULL,'shipped'),
('130227','迁西县','county','130200','division',NULL,NULL,NULL,'shipped'),
('130229','玉田县','county','130200','division',NULL,NULL,NULL,'shipped'),
('130271','河北唐山芦台经济开发区','county','130200','statistical_zone',NULL,NULL,NULL,'shipped'),
('130272','唐山市汉沽管理区','county','130200','statistical_zone',NULL,NULL,NULL,'shipped'),
('130273','唐山高新技术产业开发区','county','130200','statistical_zone',NULL,NULL,NULL,'shipped'),
('130274','河北唐山海港经济开发区','county','130200','statistical_zone',NULL,NULL,NULL,'shipped'),
('130281','遵化市','county','130200','division',NULL,NULL,NULL,'shipped'),
('130283','迁安市','county','130200','division',NULL,NULL,NULL,'shipped'),
('130284','滦州市','county','130200','division',NULL,NULL,NULL,'shipped'),
('130300','秦皇岛市','prefecture','130000','division',NULL,NULL,NULL,'shipped'),
('130302','海港区','county','130300','division',NULL,NULL,NULL,'shipped'),
('130303','山海关区','county','130300','division',NULL,NULL,NULL,'shipped'),
('130304','北戴河区','county','130300','division',NULL,NULL,NULL,'shipped'),
('130306','抚宁区','county','130300','division',NULL,NULL,NULL,'shipped'),
('130321','青龙满族自治县','county','130300','division',NULL,NULL,NULL,'shipped'),
('130322','昌黎县','county','130300','division',NULL,NULL,NULL,'shipped'),
('130324','卢龙县','county','130300','division',NULL,NULL,NULL,'shipped'),
('130371','秦皇岛市经济技术开发区','county','130300','statistical_zone',NULL,NULL,NULL,'shipped'),
('130372','北戴河新区','county','130300','statistical_zone',NULL,NULL,NULL,'shipped'),
('130400','邯郸市','prefecture','130000','division',NULL,NULL,NULL,'shipped'),
('130402','邯山区','county','130400','division',NULL,NULL,NULL,'shipped'),
('130403','丛台区','county','130400','division',NULL,NULL,NULL,'shipped'),
('130404','复兴区','county','130400','division',NULL,NULL,NULL,'shipped'),
('130406','峰峰矿区','county','130400','division',NULL,NULL,NULL,'shipped'),
('130407','肥乡区','county','130400','division',NULL,NULL,NULL,'shipped'),
('130408','永年区','county','130400','division',NULL,NULL,NULL,'shipped'),
('130423','临漳县','county','130400','division',NULL,NULL,NULL,'shipped'),
('130424','成安县','county','130400','division',NULL,NULL,NULL,'shipped'),
('130425','大名县','county','130400','division',NULL,NULL,NULL,'shipped'),
('130426','涉县','county','130400','division',NULL,NULL,NULL,'shipped'),
('130427','磁县','county','130400','division',NULL,NULL,NULL,'shipped'),
('130430','邱县','county','130400','division',NULL,NULL,NULL,'shipped'),
('130431','鸡泽县','county','130400','division',NULL,NULL,NULL,'shipped'),
('130432','广平县','county','130400','division',NULL,NULL,NULL,'shipped'),
('130433','馆陶县','county','130400','division',NULL,NULL,NULL,'shipped'),
('130434','魏县','county','130400','division',NULL,NULL,NULL,'shipped'),
('130435','曲周县','county','130400','division',NULL,NULL,NULL,'shipped'),
('130471','邯郸经济技术开发区','county','130400','statistical_zone',NULL,NULL,NULL,'shipped'),
('130473','邯郸冀南新区','county','130400','statistical_zone',NULL,NULL,NULL,'shipped'),
('130481','武安市','county','130400','division',NULL,NULL,NULL,'shipped'),
('130500','邢台市','prefecture','130000','division',NULL,NULL,NULL,'shipped'),
('130502','襄都区','county','130500','division',NULL,NULL,NULL,'shipped'),
('130503','信都区','county','130500','division',NULL,NULL,NULL,'shipped'),
('130505','任泽区','county','130500','division',NULL,NULL,NULL,'shipped'),
('130506','南和区','county','130500','division',NULL,NULL,NULL,'shipped'),
('130522','临城县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130523','内丘县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130524','柏乡县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130525','隆尧县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130528','宁晋县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130529','巨鹿县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130530','新河县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130531','广宗县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130532','平乡县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130533','威县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130534','清河县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130535','临西县','county','130500','division',NULL,NULL,NULL,'shipped'),
('130571','河北邢台经济开发区','county','130500','statistical_zone',NULL,NULL,NULL,'shipped'),
('130581','南宫市','county','130500','division',NULL,NULL,NULL,'shipped'),
('130582','沙河市','county','130500','division',NULL,NULL,NULL,'shipped'),
('130600','保定市','prefecture','130000','division',NULL,NULL,NULL,'shipped'),
('130602','竞秀区','county','130600','division',NULL,NULL,NULL,'shipped'),
('130606','莲池区','county','130600','division',NULL,NULL,NULL,'shipped'),
('130607','满城区','county','130600','division',NULL,NULL,NULL,'shipped'),
('130608','清苑区','county','130600','division',NULL,NULL,NULL,'shipped'),
('130609','徐水区','county','130600','division',NULL,NULL,NULL,'shipped'),
('130623','涞水县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130624','阜平县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130626','定兴县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130627','唐县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130628','高阳县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130629','容城县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130630','涞源县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130631','望都县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130632','安新县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130633','易县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130634','曲阳县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130635','蠡县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130636','顺平县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130637','博野县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130638','雄县','county','130600','division',NULL,NULL,NULL,'shipped'),
('130671','保定高新技术产业开发区','county','130600','statistical_zone',NULL,NULL,NULL,'shipped'),
('130672','保定白沟新城','county','130600','statistical_zone',NULL,NULL,NULL,'shipped'),
('130681','涿州市','county','130600','division',NULL,NULL,NULL,'shipped'),
('130682','定州市','county','130600','division',NULL,NULL,NULL,'shipped'),
('130683','安国市','county','130600','division',NULL,NULL,NULL,'shipped'),
('130684','高碑店市','county','130600','division',NULL,NULL,NULL,'shipped'),
('130700','张家口市','prefecture','130000','division',NULL,NULL,NULL,'shipped'),
('130702','桥东区','county','130700','division',NULL,NULL,NULL,'shipped'),
('130703','桥西区','county','130700','division',NULL,NULL,NULL,'shipped'),
('130705','宣化区','county','130700','division',NULL,NULL,NULL,'shipped'),
('130706','下花园区','county','130700','division',NULL,NULL,NULL,'shipped'),
('130708','万全区','county','130700','division',NULL,NULL,NULL,'shipped'),
('130709','崇礼区','county','130700','division',NULL,NULL,NULL,'shipped'),
('130722','张北县','county','130700','division',NULL,NULL,NULL,'shipped'),
('130723','康保县','county','130700','division',NULL,NULL,NULL,'shipped'),
('130724','沽源县','county','130700','division',NULL,NULL,NULL,'shipped'),
('130725','尚义县','county','130700','division',NULL,NULL,NULL,'shipped'),
('130726','蔚县','county','130700','division',NULL,NULL,NULL,'shipped'),
('130727','阳原县','county','130700','division',NULL,NULL,NULL,'shipped'),
('130728','怀安县','county','130700','division',NULL,NULL,NULL,'shipped'),
('130730','怀来县','county','130700','division',NULL,NULL,NULL,'shipped'),
('130731','涿鹿县','county','130700','division',NULL,NULL,NULL,'shipped'),
('130732','赤城县','county','130700','division',NULL,NULL,NULL,'shipped'),
('130771','张家口经济开发区','county','130700','statistical_zone',NULL,NULL,NULL,'shipped'),
('130772','张家口市察北管理区','county','130700','statistical_zone',NULL,NULL,NULL,'shipped'),
('130773','张家口市塞北管理区','county','130700','statistical_zone',NULL,NULL,NULL,'shipped'),
('130800','承德市','prefecture','130000','division',NULL,NULL,NULL,'shipped'),
('130802','双桥区','county','130800','division',NULL,NULL,NULL,'shipped'),
('130803','双滦区','county','130800','division',NULL,NULL,NULL,'shipped'),
('130804','鹰手营子矿区','county','130800','division',NULL,NULL,NULL,'shipped'),
('130821','承德县','county','130800','division',NULL,NULL,NULL,'shipped'),
('130822','兴隆县','county','130800','division',NULL,NULL,NULL,'shipped'),
('130824','滦平县','county','130800','division',NULL,NULL,NULL,'shipped'),
('130825','隆化县','county','130800','division',NULL,NULL,NULL,'shipped'),
('130826','丰宁满族自治县','county','130800','division',NULL,NULL,NULL,'shipped'),
('130827','宽城满族自治县','county','130800','division',NULL,NULL,NULL,'shipped'),
('130828','围场满族蒙古族自治县','county','130800','division',NULL,NULL,NULL,'shipped'),
('130871','承德高新技术产业开发区','county','130800','statistical_zone',NULL,NULL,NULL,'shipped'),
('130881','平泉市','county','130800','division',NULL,NULL,NULL,'shipped'),
('130900','沧州市','prefecture','130000','division',NULL,NULL,NULL,'shipped'),
('130902','新华区','county','130900','division',NULL,NULL,NULL,'shipped'),
('130903','运河区','county','130900','division',NULL,NULL,NULL,'shipped'),
('130921','沧县','county','130900','division',NULL,NULL,NULL,'shipped'),
('130922','青县','county','130900','division',NULL,NULL,NULL,'shipped'),
('130923','东光县','county','130900','division',NULL,NULL,NULL,'shipped'),
('130924','海兴县','county','130900','division',NULL,NULL,NULL,'shipped'),
('130925','盐山县','county','130900','division',NULL,NULL,NULL,'shipped'),
('130926','肃宁县','county','130900','division',NULL,NULL,NULL,'shipped'),
('130927','南皮县','county','130900','division',NULL,NULL,NULL,'shipped'),
('130928','吴桥县','county','130900','division',NULL,NULL,NULL,'shipped'),
('130929','献县','county','130900','division',NULL,NULL,NULL,'shipped'),
('130930','孟村回族自治县','county','130900','division',NULL,NULL,NULL,'shipped'),
('130971','河北沧州经济开发区','county','130900','statistical_zone',NULL,NULL,NULL,'shipped'),
('130972','沧州高新技术产业开发区','county','130900','statistical_zone',NULL,NULL,NULL,'shipped'),
('130973','沧州渤海新区','county','130900','statistical_zone',NULL,NULL,NULL,'shipped'),
('130981','泊头市','county','130900','division',NULL,NULL,NULL,'shipped'),
('130982','任丘市','county','130900','division',NULL,NULL,NULL,'shipped'),
('130983','黄骅市','county','130900','division',NULL,NULL,NULL,'shipped'),
('130984','河间市','county','130900','division',NULL,NULL,NULL,'shipped'),
('131000','廊坊市','prefecture','130000','division',NULL,NULL,NULL,'shipped'),
('131002','安次区','county','131000','division',NULL,NULL,NULL,'shipped'),
('131003','广阳区','county','131000','division',NULL,NULL,NULL,'shipped'),
('131022','固安县','county','131000','division',NULL,NULL,NULL,'shipped'),
('131023','永清县','county','131000','division',NULL,NULL,NULL,'shipped'),
('131024','香河县','county','131000','division',NULL,NULL,NULL,'shipped'),
('131025','大城县','county','131000','division',NULL,NULL,NULL,'shipped'),
('131026','文安县','county','131000','division',NULL,NULL,NULL,'shipped'),
('131028','大厂回族自治县','county','131000','division',NULL,NULL,NULL,'shipped'),
('131071','廊坊经济技术开发区','county','131000','statistical_zone',NULL,NULL,NULL,'shipped'),
('131081','霸州市','county','131000','division',NULL,NULL,NULL,'shipped'),
('131082','三河市','county','131000','division',NULL,NULL,NULL,'shipped'),
('131100','衡水市','prefecture','130000','division',NULL,NULL,NULL,'shipped'),
('131102','桃城区','county','131100','division',NULL,NULL,NULL,'shipped'),
('131103','冀州区','county','131100','division',NULL,NULL,NULL,'shipped'),
('131121','枣强县','county','131100','division',NULL,NULL,NULL,'shipped'),
('131122','武邑县','county','131100','division',NULL,NULL,NULL,'shipped'),
('131123','武强县','county','131100','division',NULL,NULL,NULL,'shipped'),
('131124','饶阳县','county','131100','division',NULL,NULL,NULL,'shipped'),
('131125','安平县','county','131100','division',NULL,NULL,NULL,'shipped'),
('131126','故城县','county','131100','division',NULL,NULL,NULL,'shipped'),
('131127','景县','county','131100','division',NULL,NULL,NULL,'shipped'),
('131128','阜城县','county','131100','division',NULL,NULL,NULL,'shipped'),
('131171','河北衡水高新技术产业开发区','county','131100','statistical_zone',NULL,NULL,NULL,'shipped'),
('131172','衡水滨湖新区','county','131100','statistical_zone',NULL,NULL,NULL,'shipped'),
('131182','深州市','county','131100','division',NULL,NULL,NULL,'shipped'),
('140000','山西省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('140100','太原市','prefecture','140000','division',NULL,NULL,NULL,'shipped'),
('140105','小店区','county','140100','division',NULL,NULL,NULL,'shipped'),
('140106','迎泽区','county','140100','division',NULL,NULL,NULL,'shipped'),
('140107','杏花岭区','county','140100','division',NULL,NULL,NULL,'shipped'),
('140108','尖草坪区','county','140100','division',NULL,NULL,NULL,'shipped'),
('140109','万柏林区','county','140100','division',NULL,NULL,NULL,'shipped'),
('140110','晋源区','county','140100','division',NULL,NULL,NULL,'shipped'),
('140121','清徐县','county','140100','division',NULL,NULL,NULL,'shipped'),
('140122','阳曲县','county','140100','division',NULL,NULL,NULL,'shipped'),
('140123','娄烦县','county','140100','division',NULL,NULL,NULL,'shipped'),
('140171','山西转型综合改革示范区','county','140100','statistical_zone',NULL,NULL,NULL,'shipped'),
('140181','古交市','county','140100','division',NULL,NULL,NULL,'shipped'),
('140200','大同市','prefecture','140000','division',NULL,NULL,NULL,'shipped'),
('140212','新荣区','county','140200','division',NULL,NULL,NULL,'shipped'),
('140213','平城区','county','140200','division',NULL,NULL,NULL,'shipped'),
('140214','云冈区','county','140200','division',NULL,NULL,NULL,'shipped'),
('140215','云州区','county','140200','division',NULL,NULL,NULL,'shipped'),
('140221','阳高县','county','140200','division',NULL,NULL,NULL,'shipped'),
('140222','天镇县','county','140200','division',NULL,NULL,NULL,'shipped'),
('140223','广灵县','county','140200','division',NULL,NULL,NULL,'shipped'),
('140224','灵丘县','county','140200','division',NULL,NULL,NULL,'shipped'),
('140225','浑源县','county','140200','division',NULL,NULL,NULL,'shipped'),
('140226','左云县','county','140200','division',NULL,NULL,NULL,'shipped'),
('140271','山西大同经济开发区','county','140200','statistical_zone',NULL,NULL,NULL,'shipped'),
('140300','阳泉市','prefecture','140000','division',NULL,NULL,NULL,'shipped'),
('140302','城区','county','140300','division',NULL,NULL,NULL,'shipped'),
('140303','矿区','county','140300','division',NULL,NULL,NULL,'shipped'),
('140311','郊区','county','140300','division',NULL,NULL,NULL,'shipped'),
('140321','平定县','county','140300','division',NULL,NULL,NULL,'shipped'),
('140322','盂县','county','140300','division',NULL,NULL,NULL,'shipped'),
('140400','长治市','prefecture','140000','division',NULL,NULL,NULL,'shipped'),
('140403','潞州区','county','140400','division',NULL,NULL,NULL,'shipped'),
('140404','上党区','county','140400','division',NULL,NULL,NULL,'shipped'),
('140405','屯留区','county','140400','division',NULL,NULL,NULL,'shipped'),
('140406','潞城区','county','140400','division',NULL,NULL,NULL,'shipped'),
('140423','襄垣县','county','140400','division',NULL,NULL,NULL,'shipped'),
('140425','平顺县','county','140400','division',NULL,NULL,NULL,'shipped'),
('140426','黎城县','county','140400','division',NULL,NULL,NULL,'shipped'),
('140427','壶关县','county','140400','division',NULL,NULL,NULL,'shipped'),
('140428','长子县','county','140400','division',NULL,NULL,NULL,'shipped'),
('140429','武乡县','county','140400','division',NULL,NULL,NULL,'shipped'),
('140430','沁县','county','140400','division',NULL,NULL,NULL,'shipped'),
('140431','沁源县','county','140400','division',NULL,NULL,NULL,'shipped'),
('140500','晋城市','prefecture','140000','division',NULL,NULL,NULL,'shipped'),
('140502','城区','county','140500','division',NULL,NULL,NULL,'shipped'),
('140521','沁水县','county','140500','division',NULL,NULL,NULL,'shipped'),
('140522','阳城县','county','140500','division',NULL,NULL,NULL,'shipped'),
('140524','陵川县','county','140500','division',NULL,NULL,NULL,'shipped'),
('140525','泽州县','county','140500','division',NULL,NULL,NULL,'shipped'),
('140581','高平市','county','140500','division',NULL,NULL,NULL,'shipped'),
('140600','朔州市','prefecture','140000','division',NULL,NULL,NULL,'shipped'),
('140602','朔城区','county','140600','division',NULL,NULL,NULL,'shipped'),
('140603','平鲁区','county','140600','division',NULL,NULL,NULL,'shipped'),
('140621','山阴县','county','140600','division',NULL,NULL,NULL,'shipped'),
('140622','应县','county','140600','division',NULL,NULL,NULL,'shipped'),
('140623','右玉县','county','140600','division',NULL,NULL,NULL,'shipped'),
('140671','山西朔州经济开发区','county','140600','statistical_zone',NULL,NULL,NULL,'shipped'),
('140681','怀仁市','county','140600','division',NULL,NULL,NULL,'shipped'),
('140700','晋中市','prefecture','140000','division',NULL,NULL,NULL,'shipped'),
('140702','榆次区','county','140700','division',NULL,NULL,NULL,'shipped'),
('140703','太谷区','county','140700','division',NULL,NULL,NULL,'shipped'),
('140721','榆社县','county','140700','division',NULL,NULL,NULL,'shipped'),
('140722','左权县','county','140700','division',NULL,NULL,NULL,'shipped'),
('140723','和顺县','county','140700','division',NULL,NULL,NULL,'shipped'),
('140724','昔阳县','county','140700','division',NULL,NULL,NULL,'shipped'),
('140725','寿阳县','county','140700','division',NULL,NULL,NULL,'shipped'),
('140727','祁县','county','140700','division',NULL,NULL,NULL,'shipped'),
('140728','平遥县','county','140700','division',NULL,NULL,NULL,'shipped'),
('140729','灵石县','county','140700','division',NULL,NULL,NULL,'shipped'),
('140781','介休市','county','140700','division',NULL,NULL,NULL,'shipped'),
('140800','运城市','prefecture','140000','division',NULL,NULL,NULL,'shipped'),
('140802','盐湖区','county','140800','division',NULL,NULL,NULL,'shipped'),
('140821','临猗县','county','140800','division',NULL,NULL,NULL,'shipped'),
('140822','万荣县','county','140800','division',NULL,NULL,NULL,'shipped'),
('140823','闻喜县','county','140800','division',NULL,NULL,NULL,'shipped'),
('140824','稷山县','county','140800','division',NULL,NULL,NULL,'shipped'),
('140825','新绛县','county','140800','division',NULL,NULL,NULL,'shipped'),
('140826','绛县','county','140800','division',NULL,NULL,NULL,'shipped'),
('140827','垣曲县','county','140800','division',NULL,NULL,NULL,'shipped'),
('140828','夏县','county','140800','division',NULL,NULL,NULL,'shipped'),
('140829','平陆县','county','140800','division',NULL,NULL,NULL,'shipped'),
('140830','芮城县','county','140800','division',NULL,NULL,NULL,'shipped'),
('140881','永济市','county','140800','division',NULL,NULL,NULL,'shipped'),
('140882','河津市','county','140800','division',NULL,NULL,NULL,'shipped'),
('140900','忻州市','prefecture','140000','division',NULL,NULL,NULL,'shipped'),
('140902','忻府区','county','140900','division',NULL,NULL,NULL,'shipped'),
('140921','定襄县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140922','五台县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140923','代县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140924','繁峙县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140925','宁武县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140926','静乐县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140927','神池县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140928','五寨县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140929','岢岚县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140930','河曲县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140931','保德县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140932','偏关县','county','140900','division',NULL,NULL,NULL,'shipped'),
('140971','五台山风景名胜区','county','140900','statistical_zone',NULL,NULL,NULL,'shipped'),
('140981','原平市','county','140900','division',NULL,NULL,NULL,'shipped'),
('141000','临汾市','prefecture','140000','division',NULL,NULL,NULL,'shipped'),
('141002','尧都区','county','141000','division',NULL,NULL,NULL,'shipped'),
('141021','曲沃县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141022','翼城县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141023','襄汾县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141024','洪洞县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141025','古县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141026','安泽县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141027','浮山县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141028','吉县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141029','乡宁县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141030','大宁县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141031','隰县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141032','永和县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141033','蒲县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141034','汾西县','county','141000','division',NULL,NULL,NULL,'shipped'),
('141081','侯马市','county','141000','division',NULL,NULL,NULL,'shipped'),
('141082','霍州市','county','141000','division',NULL,NULL,NULL,'shipped'),
('141100','吕梁市','prefecture','140000','division',NULL,NULL,NULL,'shipped'),
('141102','离石区','county','141100','division',NULL,NULL,NULL,'shipped'),
('141121','文水县','county','141100','division',NULL,NULL,NULL,'shipped'),
('141122','交城县','county','141100','division',NULL,NULL,NULL,'shipped'),
('141123','兴县','county','141100','division',NULL,NULL,NULL,'shipped'),
('141124','临县','county','141100','division',NULL,NULL,NULL,'shipped'),
('141125','柳林县','county','141100','division',NULL,NULL,NULL,'shipped'),
('141126','石楼县','county','141100','division',NULL,NULL,NULL,'shipped'),
('141127','岚县','county','141100','division',NULL,NULL,NULL,'shipped'),
('141128','方山县','county','141100','division',NULL,NULL,NULL,'shipped'),
('141129','中阳县','county','141100','division',NULL,NULL,NULL,'shipped'),
('141130','交口县','county','141100','division',NULL,NULL,NULL,'shipped'),
('141181','孝义市','county','141100','division',NULL,NULL,NULL,'shipped'),
('141182','汾阳市','county','141100','division',NULL,NULL,NULL,'shipped'),
('150000','内蒙古自治区','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('150100','呼和浩特市','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('150102','新城区','county','150100','division',NULL,NULL,NULL,'shipped'),
('150103','回民区','county','150100','division',NULL,NULL,NULL,'shipped'),
('150104','玉泉区','county','150100','division',NULL,NULL,NULL,'shipped'),
('150105','赛罕区','county','150100','division',NULL,NULL,NULL,'shipped'),
('150121','土默特左旗','county','150100','division',NULL,NULL,NULL,'shipped'),
('150122','托克托县','county','150100','division',NULL,NULL,NULL,'shipped'),
('150123','和林格尔县','county','150100','division',NULL,NULL,NULL,'shipped'),
('150124','清水河县','county','150100','division',NULL,NULL,NULL,'shipped'),
('150125','武川县','county','150100','division',NULL,NULL,NULL,'shipped'),
('150172','呼和浩特经济技术开发区','county','150100','statistical_zone',NULL,NULL,NULL,'shipped'),
('150200','包头市','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('150202','东河区','county','150200','division',NULL,NULL,NULL,'shipped'),
('150203','昆都仑区','county','150200','division',NULL,NULL,NULL,'shipped'),
('150204','青山区','county','150200','division',NULL,NULL,NULL,'shipped'),
('150205','石拐区','county','150200','division',NULL,NULL,NULL,'shipped'),
('150206','白云鄂博矿区','county','150200','division',NULL,NULL,NULL,'shipped'),
('150207','九原区','county','150200','division',NULL,NULL,NULL,'shipped'),
('150221','土默特右旗','county','150200','division',NULL,NULL,NULL,'shipped'),
('150222','固阳县','county','150200','division',NULL,NULL,NULL,'shipped'),
('150223','达尔罕茂明安联合旗','county','150200','division',NULL,NULL,NULL,'shipped'),
('150271','包头稀土高新技术产业开发区','county','150200','statistical_zone',NULL,NULL,NULL,'shipped'),
('150300','乌海市','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('150302','海勃湾区','county','150300','division',NULL,NULL,NULL,'shipped'),
('150303','海南区','county','150300','division',NULL,NULL,NULL,'shipped'),
('150304','乌达区','county','150300','division',NULL,NULL,NULL,'shipped'),
('150400','赤峰市','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('150402','红山区','county','150400','division',NULL,NULL,NULL,'shipped'),
('150403','元宝山区','county','150400','division',NULL,NULL,NULL,'shipped'),
('150404','松山区','county','150400','division',NULL,NULL,NULL,'shipped'),
('150421','阿鲁科尔沁旗','county','150400','division',NULL,NULL,NULL,'shipped'),
('150422','巴林左旗','county','150400','division',NULL,NULL,NULL,'shipped'),
('150423','巴林右旗','county','150400','division',NULL,NULL,NULL,'shipped'),
('150424','林西县','county','150400','division',NULL,NULL,NULL,'shipped'),
('150425','克什克腾旗','county','150400','division',NULL,NULL,NULL,'shipped'),
('150426','翁牛特旗','county','150400','division',NULL,NULL,NULL,'shipped'),
('150428','喀喇沁旗','county','150400','division',NULL,NULL,NULL,'shipped'),
('150429','宁城县','county','150400','division',NULL,NULL,NULL,'shipped'),
('150430','敖汉旗','county','150400','division',NULL,NULL,NULL,'shipped'),
('150500','通辽市','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('150502','科尔沁区','county','150500','division',NULL,NULL,NULL,'shipped'),
('150521','科尔沁左翼中旗','county','150500','division',NULL,NULL,NULL,'shipped'),
('150522','科尔沁左翼后旗','county','150500','division',NULL,NULL,NULL,'shipped'),
('150523','开鲁县','county','150500','division',NULL,NULL,NULL,'shipped'),
('150524','库伦旗','county','150500','division',NULL,NULL,NULL,'shipped'),
('150525','奈曼旗','county','150500','division',NULL,NULL,NULL,'shipped'),
('150526','扎鲁特旗','county','150500','division',NULL,NULL,NULL,'shipped'),
('150571','通辽经济技术开发区','county','150500','statistical_zone',NULL,NULL,NULL,'shipped'),
('150581','霍林郭勒市','county','150500','division',NULL,NULL,NULL,'shipped'),
('150600','鄂尔多斯市','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('150602','东胜区','county','150600','division',NULL,NULL,NULL,'shipped'),
('150603','康巴什区','county','150600','division',NULL,NULL,NULL,'shipped'),
('150621','达拉特旗','county','150600','division',NULL,NULL,NULL,'shipped'),
('150622','准格尔旗','county','150600','division',NULL,NULL,NULL,'shipped'),
('150623','鄂托克前旗','county','150600','division',NULL,NULL,NULL,'shipped'),
('150624','鄂托克旗','county','150600','division',NULL,NULL,NULL,'shipped'),
('150625','杭锦旗','county','150600','division',NULL,NULL,NULL,'shipped'),
('150626','乌审旗','county','150600','division',NULL,NULL,NULL,'shipped'),
('150627','伊金霍洛旗','county','150600','division',NULL,NULL,NULL,'shipped'),
('150700','呼伦贝尔市','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('150702','海拉尔区','county','150700','division',NULL,NULL,NULL,'shipped'),
('150703','扎赉诺尔区','county','150700','division',NULL,NULL,NULL,'shipped'),
('150721','阿荣旗','county','150700','division',NULL,NULL,NULL,'shipped'),
('150722','莫力达瓦达斡尔族自治旗','county','150700','division',NULL,NULL,NULL,'shipped'),
('150723','鄂伦春自治旗','county','150700','division',NULL,NULL,NULL,'shipped'),
('150724','鄂温克族自治旗','county','150700','division',NULL,NULL,NULL,'shipped'),
('150725','陈巴尔虎旗','county','150700','division',NULL,NULL,NULL,'shipped'),
('150726','新巴尔虎左旗','county','150700','division',NULL,NULL,NULL,'shipped'),
('150727','新巴尔虎右旗','county','150700','division',NULL,NULL,NULL,'shipped'),
('150781','满洲里市','county','150700','division',NULL,NULL,NULL,'shipped'),
('150782','牙克石市','county','150700','division',NULL,NULL,NULL,'shipped'),
('150783','扎兰屯市','county','150700','division',NULL,NULL,NULL,'shipped'),
('150784','额尔古纳市','county','150700','division',NULL,NULL,NULL,'shipped'),
('150785','根河市','county','150700','division',NULL,NULL,NULL,'shipped'),
('150800','巴彦淖尔市','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('150802','临河区','county','150800','division',NULL,NULL,NULL,'shipped'),
('150821','五原县','county','150800','division',NULL,NULL,NULL,'shipped'),
('150822','磴口县','county','150800','division',NULL,NULL,NULL,'shipped'),
('150823','乌拉特前旗','county','150800','division',NULL,NULL,NULL,'shipped'),
('150824','乌拉特中旗','county','150800','division',NULL,NULL,NULL,'shipped'),
('150825','乌拉特后旗','county','150800','division',NULL,NULL,NULL,'shipped'),
('150826','杭锦后旗','county','150800','division',NULL,NULL,NULL,'shipped'),
('150900','乌兰察布市','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('150902','集宁区','county','150900','division',NULL,NULL,NULL,'shipped'),
('150921','卓资县','county','150900','division',NULL,NULL,NULL,'shipped'),
('150922','化德县','county','150900','division',NULL,NULL,NULL,'shipped'),
('150923','商都县','county','150900','division',NULL,NULL,NULL,'shipped'),
('150924','兴和县','county','150900','division',NULL,NULL,NULL,'shipped'),
('150925','凉城县','county','150900','division',NULL,NULL,NULL,'shipped'),
('150926','察哈尔右翼前旗','county','150900','division',NULL,NULL,NULL,'shipped'),
('150927','察哈尔右翼中旗','county','150900','division',NULL,NULL,NULL,'shipped'),
('150928','察哈尔右翼后旗','county','150900','division',NULL,NULL,NULL,'shipped'),
('150929','四子王旗','county','150900','division',NULL,NULL,NULL,'shipped'),
('150981','丰镇市','county','150900','division',NULL,NULL,NULL,'shipped'),
('152200','兴安盟','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('152201','乌兰浩特市','county','152200','division',NULL,NULL,NULL,'shipped'),
('152202','阿尔山市','county','152200','division',NULL,NULL,NULL,'shipped'),
('152221','科尔沁右翼前旗','county','152200','division',NULL,NULL,NULL,'shipped'),
('152222','科尔沁右翼中旗','county','152200','division',NULL,NULL,NULL,'shipped'),
('152223','扎赉特旗','county','152200','division',NULL,NULL,NULL,'shipped'),
('152224','突泉县','county','152200','division',NULL,NULL,NULL,'shipped'),
('152500','锡林郭勒盟','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('152501','二连浩特市','county','152500','division',NULL,NULL,NULL,'shipped'),
('152502','锡林浩特市','county','152500','division',NULL,NULL,NULL,'shipped'),
('152522','阿巴嘎旗','county','152500','division',NULL,NULL,NULL,'shipped'),
('152523','苏尼特左旗','county','152500','division',NULL,NULL,NULL,'shipped'),
('152524','苏尼特右旗','county','152500','division',NULL,NULL,NULL,'shipped'),
('152525','东乌珠穆沁旗','county','152500','division',NULL,NULL,NULL,'shipped'),
('152526','西乌珠穆沁旗','county','152500','division',NULL,NULL,NULL,'shipped'),
('152527','太仆寺旗','county','152500','division',NULL,NULL,NULL,'shipped'),
('152528','镶黄旗','county','152500','division',NULL,NULL,NULL,'shipped'),
('152529','正镶白旗','county','152500','division',NULL,NULL,NULL,'shipped'),
('152530','正蓝旗','county','152500','division',NULL,NULL,NULL,'shipped'),
('152531','多伦县','county','152500','division',NULL,NULL,NULL,'shipped'),
('152571','乌拉盖管理区管委会','county','152500','statistical_zone',NULL,NULL,NULL,'shipped'),
('152900','阿拉善盟','prefecture','150000','division',NULL,NULL,NULL,'shipped'),
('152921','阿拉善左旗','county','152900','division',NULL,NULL,NULL,'shipped'),
('152922','阿拉善右旗','county','152900','division',NULL,NULL,NULL,'shipped'),
('152923','额济纳旗','county','152900','division',NULL,NULL,NULL,'shipped'),
('152971','内蒙古阿拉善高新技术产业开发区','county','152900','statistical_zone',NULL,NULL,NULL,'shipped'),
('210000','辽宁省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('210100','沈阳市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('210102','和平区','county','210100','division',NULL,NULL,NULL,'shipped'),
('210103','沈河区','county','210100','division',NULL,NULL,NULL,'shipped'),
('210104','大东区','county','210100','division',NULL,NULL,NULL,'shipped'),
('210105','皇姑区','county','210100','division',NULL,NULL,NULL,'shipped'),
('210106','铁西区','county','210100','division',NULL,NULL,NULL,'shipped'),
('210111','苏家屯区','county','210100','division',NULL,NULL,NULL,'shipped'),
('210112','浑南区','county','210100','division',NULL,NULL,NULL,'shipped'),
('210113','沈北新区','county','210100','division',NULL,NULL,NULL,'shipped'),
('210114','于洪区','county','210100','division',NULL,NULL,NULL,'shipped'),
('210115','辽中区','county','210100','division',NULL,NULL,NULL,'shipped'),
('210123','康平县','county','210100','division',NULL,NULL,NULL,'shipped'),
('210124','法库县','county','210100','division',NULL,NULL,NULL,'shipped'),
('210181','新民市','county','210100','division',NULL,NULL,NULL,'shipped'),
('210200','大连市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('210202','中山区','county','210200','division',NULL,NULL,NULL,'shipped'),
('210203','西岗区','county','210200','division',NULL,NULL,NULL,'shipped'),
('210204','沙河口区','county','210200','division',NULL,NULL,NULL,'shipped'),
('210211','甘井子区','county','210200','division',NULL,NULL,NULL,'shipped'),
('210212','旅顺口区','county','210200','division',NULL,NULL,NULL,'shipped'),
('210213','金州区','county','210200','division',NULL,NULL,NULL,'shipped'),
('210214','普兰店区','county','210200','division',NULL,NULL,NULL,'shipped'),
('210224','长海县','county','210200','division',NULL,NULL,NULL,'shipped'),
('210281','瓦房店市','county','210200','division',NULL,NULL,NULL,'shipped'),
('210283','庄河市','county','210200','division',NULL,NULL,NULL,'shipped'),
('210300','鞍山市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('210302','铁东区','county','210300','division',NULL,NULL,NULL,'shipped'),
('210303','铁西区','county','210300','division',NULL,NULL,NULL,'shipped'),
('210304','立山区','county','210300','division',NULL,NULL,NULL,'shipped'),
('210311','千山区','county','210300','division',NULL,NULL,NULL,'shipped'),
('210321','台安县','county','210300','division',NULL,NULL,NULL,'shipped'),
('210323','岫岩满族自治县','county','210300','division',NULL,NULL,NULL,'shipped'),
('210381','海城市','county','210300','division',NULL,NULL,NULL,'shipped'),
('210400','抚顺市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('210402','新抚区','county','210400','division',NULL,NULL,NULL,'shipped'),
('210403','东洲区','county','210400','division',NULL,NULL,NULL,'shipped'),
('210404','望花区','county','210400','division',NULL,NULL,NULL,'shipped'),
('210411','顺城区','county','210400','division',NULL,NULL,NULL,'shipped'),
('210421','抚顺县','county','210400','division',NULL,NULL,NULL,'shipped'),
('210422','新宾满族自治县','county','210400','division',NULL,NULL,NULL,'shipped'),
('210423','清原满族自治县','county','210400','division',NULL,NULL,NULL,'shipped'),
('210500','本溪市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('210502','平山区','county','210500','division',NULL,NULL,NULL,'shipped'),
('210503','溪湖区','county','210500','division',NULL,NULL,NULL,'shipped'),
('210504','明山区','county','210500','division',NULL,NULL,NULL,'shipped'),
('210505','南芬区','county','210500','division',NULL,NULL,NULL,'shipped'),
('210521','本溪满族自治县','county','210500','division',NULL,NULL,NULL,'shipped'),
('210522','桓仁满族自治县','county','210500','division',NULL,NULL,NULL,'shipped'),
('210600','丹东市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('210602','元宝区','county','210600','division',NULL,NULL,NULL,'shipped'),
('210603','振兴区','county','210600','division',NULL,NULL,NULL,'shipped'),
('210604','振安区','county','210600','division',NULL,NULL,NULL,'shipped'),
('210624','宽甸满族自治县','county','210600','division',NULL,NULL,NULL,'shipped'),
('210681','东港市','county','210600','division',NULL,NULL,NULL,'shipped'),
('210682','凤城市','county','210600','division',NULL,NULL,NULL,'shipped'),
('210700','锦州市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('210702','古塔区','county','210700','division',NULL,NULL,NULL,'shipped'),
('210703','凌河区','county','210700','division',NULL,NULL,NULL,'shipped'),
('210711','太和区','county','210700','division',NULL,NULL,NULL,'shipped'),
('210726','黑山县','county','210700','division',NULL,NULL,NULL,'shipped'),
('210727','义县','county','210700','division',NULL,NULL,NULL,'shipped'),
('210781','凌海市','county','210700','division',NULL,NULL,NULL,'shipped'),
('210782','北镇市','county','210700','division',NULL,NULL,NULL,'shipped'),
('210800','营口市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('210802','站前区','county','210800','division',NULL,NULL,NULL,'shipped'),
('210803','西市区','county','210800','division',NULL,NULL,NULL,'shipped'),
('210804','鲅鱼圈区','county','210800','division',NULL,NULL,NULL,'shipped'),
('210811','老边区','county','210800','division',NULL,NULL,NULL,'shipped'),
('210881','盖州市','county','210800','division',NULL,NULL,NULL,'shipped'),
('210882','大石桥市','county','210800','division',NULL,NULL,NULL,'shipped'),
('210900','阜新市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('210902','海州区','county','210900','division',NULL,NULL,NULL,'shipped'),
('210903','新邱区','county','210900','division',NULL,NULL,NULL,'shipped'),
('210904','太平区','county','210900','division',NULL,NULL,NULL,'shipped'),
('210905','清河门区','county','210900','division',NULL,NULL,NULL,'shipped'),
('210911','细河区','county','210900','division',NULL,NULL,NULL,'shipped'),
('210921','阜新蒙古族自治县','county','210900','division',NULL,NULL,NULL,'shipped'),
('210922','彰武县','county','210900','division',NULL,NULL,NULL,'shipped'),
('211000','辽阳市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('211002','白塔区','county','211000','division',NULL,NULL,NULL,'shipped'),
('211003','文圣区','county','211000','division',NULL,NULL,NULL,'shipped'),
('211004','宏伟区','county','211000','division',NULL,NULL,NULL,'shipped'),
('211005','弓长岭区','county','211000','division',NULL,NULL,NULL,'shipped'),
('211011','太子河区','county','211000','division',NULL,NULL,NULL,'shipped'),
('211021','辽阳县','county','211000','division',NULL,NULL,NULL,'shipped'),
('211081','灯塔市','county','211000','division',NULL,NULL,NULL,'shipped'),
('211100','盘锦市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('211102','双台子区','county','211100','division',NULL,NULL,NULL,'shipped'),
('211103','兴隆台区','county','211100','division',NULL,NULL,NULL,'shipped'),
('211104','大洼区','county','211100','division',NULL,NULL,NULL,'shipped'),
('211122','盘山县','county','211100','division',NULL,NULL,NULL,'shipped'),
('211200','铁岭市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('211202','银州区','county','211200','division',NULL,NULL,NULL,'shipped'),
('211204','清河区','county','211200','division',NULL,NULL,NULL,'shipped'),
('211221','铁岭县','county','211200','division',NULL,NULL,NULL,'shipped'),
('211223','西丰县','county','211200','division',NULL,NULL,NULL,'shipped'),
('211224','昌图县','county','211200','division',NULL,NULL,NULL,'shipped'),
('211281','调兵山市','county','211200','division',NULL,NULL,NULL,'shipped'),
('211282','开原市','county','211200','division',NULL,NULL,NULL,'shipped'),
('211300','朝阳市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('211302','双塔区','county','211300','division',NULL,NULL,NULL,'shipped'),
('211303','龙城区','county','211300','division',NULL,NULL,NULL,'shipped'),
('211321','朝阳县','county','211300','division',NULL,NULL,NULL,'shipped'),
('211322','建平县','county','211300','division',NULL,NULL,NULL,'shipped'),
('211324','喀喇沁左翼蒙古族自治县','county','211300','division',NULL,NULL,NULL,'shipped'),
('211381','北票市','county','211300','division',NULL,NULL,NULL,'shipped'),
('211382','凌源市','county','211300','division',NULL,NULL,NULL,'shipped'),
('211400','葫芦岛市','prefecture','210000','division',NULL,NULL,NULL,'shipped'),
('211402','连山区','county','211400','division',NULL,NULL,NULL,'shipped'),
('211403','龙港区','county','211400','division',NULL,NULL,NULL,'shipped'),
('211404','南票区','county','211400','division',NULL,NULL,NULL,'shipped'),
('211421','绥中县','county','211400','division',NULL,NULL,NULL,'shipped'),
('211422','建昌县','county','211400','division',NULL,NULL,NULL,'shipped'),
('211481','兴城市','county','211400','division',NULL,NULL,NULL,'shipped'),
('220000','吉林省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('220100','长春市','prefecture','220000','division',NULL,NULL,NULL,'shipped'),
('220102','南关区','county','220100','division',NULL,NULL,NULL,'shipped'),
('220103','宽城区','county','220100','division',NULL,NULL,NULL,'shipped'),
('220104','朝阳区','county','220100','division',NULL,NULL,NULL,'shipped'),
('220105','二道区','county','220100','division',NULL,NULL,NULL,'shipped'),
('220106','绿园区','county','220100','division',NULL,NULL,NULL,'shipped'),
('220112','双阳区','county','220100','division',NULL,NULL,NULL,'shipped'),
('220113','九台区','county','220100','division',NULL,NULL,NULL,'shipped'),
('220122','农安县','county','220100','division',NULL,NULL,NULL,'shipped'),
('220171','长春经济技术开发区','county','220100','statistical_zone',NULL,NULL,NULL,'shipped'),
('220172','长春净月高新技术产业开发区','county','220100','statistical_zone',NULL,NULL,NULL,'shipped'),
('220173','长春高新技术产业开发区','county','220100','statistical_zone',NULL,NULL,NULL,'shipped'),
('220174','长春汽车经济技术开发区','county','220100','statistical_zone',NULL,NULL,NULL,'shipped'),
('220182','榆树市','county','220100','division',NULL,NULL,NULL,'shipped'),
('220183','德惠市','county','220100','division',NULL,NULL,NULL,'shipped'),
('220184','公主岭市','county','220100','division',NULL,NULL,NULL,'shipped'),
('220200','吉林市','prefecture','220000','division',NULL,NULL,NULL,'shipped'),
('220202','昌邑区','county','220200','division',NULL,NULL,NULL,'shipped'),
('220203','龙潭区','county','220200','division',NULL,NULL,NULL,'shipped'),
('220204','船营区','county','220200','division',NULL,NULL,NULL,'shipped'),
('220211','丰满区','county','220200','division',NULL,NULL,NULL,'shipped'),
('220221','永吉县','county','220200','division',NULL,NULL,NULL,'shipped'),
('220271','吉林经济开发区','county','220200','statistical_zone',NULL,NULL,NULL,'shipped'),
('220272','吉林高新技术产业开发区','county','220200','statistical_zone',NULL,NULL,NULL,'shipped'),
('220273','吉林中国新加坡食品区','county','220200','statistical_zone',NULL,NULL,NULL,'shipped'),
('220281','蛟河市','county','220200','division',NULL,NULL,NULL,'shipped'),
('220282','桦甸市','county','220200','division',NULL,NULL,NULL,'shipped'),
('220283','舒兰市','county','220200','division',NULL,NULL,NULL,'shipped'),
('220284','磐石市','county','220200','division',NULL,NULL,NULL,'shipped'),
('220300','四平市','prefecture','220000','division',NULL,NULL,NULL,'shipped'),
('220302','铁西区','county','220300','division',NULL,NULL,NULL,'shipped'),
('220303','铁东区','county','220300','division',NULL,NULL,NULL,'shipped'),
('220322','梨树县','county','220300','division',NULL,NULL,NULL,'shipped'),
('220323','伊通满族自治县','county','220300','division',NULL,NULL,NULL,'shipped'),
('220382','双辽市','county','220300','division',NULL,NULL,NULL,'shipped'),
('220400','辽源市','prefecture','220000','division',NULL,NULL,NULL,'shipped'),
('220402','龙山区','county','220400','division',NULL,NULL,NULL,'shipped'),
('220403','西安区','county','220400','division',NULL,NULL,NULL,'shipped'),
('220421','东丰县','county','220400','division',NULL,NULL,NULL,'shipped'),
('220422','东辽县','county','220400','division',NULL,NULL,NULL,'shipped'),
('220500','通化市','prefecture','220000','division',NULL,NULL,NULL,'shipped'),
('220502','东昌区','county','220500','division',NULL,NULL,NULL,'shipped'),
('220503','二道江区','county','220500','division',NULL,NULL,NULL,'shipped'),
('220521','通化县','county','220500','division',NULL,NULL,NULL,'shipped'),
('220523','辉南县','county','220500','division',NULL,NULL,NULL,'shipped'),
('220524','柳河县','county','220500','division',NULL,NULL,NULL,'shipped'),
('220581','梅河口市','county','220500','division',NULL,NULL,NULL,'shipped'),
('220582','集安市','county','220500','division',NULL,NULL,NULL,'shipped'),
('220600','白山市','prefecture','220000','division',NULL,NULL,NULL,'shipped'),
('220602','浑江区','county','220600','division',NULL,NULL,NULL,'shipped'),
('220605','江源区','county','220600','division',NULL,NULL,NULL,'shipped'),
('220621','抚松县','county','220600','division',NULL,NULL,NULL,'shipped'),
('220622','靖宇县','county','220600','division',NULL,NULL,NULL,'shipped'),
('220623','长白朝鲜族自治县','county','220600','division',NULL,NULL,NULL,'shipped'),
('220681','临江市','county','220600','division',NULL,NULL,NULL,'shipped'),
('220700','松原市','prefecture','220000','division',NULL,NULL,NULL,'shipped'),
('220702','宁江区','county','220700','division',NULL,NULL,NULL,'shipped'),
('220721','前郭尔罗斯蒙古族自治县','county','220700','division',NULL,NULL,NULL,'shipped'),
('220722','长岭县','county','220700','division',NULL,NULL,NULL,'shipped'),
('220723','乾安县','county','220700','division',NULL,NULL,NULL,'shipped'),
('220771','吉林松原经济开发区','county','220700','statistical_zone',NULL,NULL,NULL,'shipped'),
('220781','扶余市','county','220700','division',NULL,NULL,NULL,'shipped'),
('220800','白城市','prefecture','220000','division',NULL,NULL,NULL,'shipped'),
('220802','洮北区','county','220800','division',NULL,NULL,NULL,'shipped'),
('220821','镇赉县','county','220800','division',NULL,NULL,NULL,'shipped'),
('220822','通榆县','county','220800','division',NULL,NULL,NULL,'shipped'),
('220871','吉林白城经济开发区','county','220800','statistical_zone',NULL,NULL,NULL,'shipped'),
('220881','洮南市','county','220800','division',NULL,NULL,NULL,'shipped'),
('220882','大安市','county','220800','division',NULL,NULL,NULL,'shipped'),
('222400','延边朝鲜族自治州','prefecture','220000','division',NULL,NULL,NULL,'shipped'),
('222401','延吉市','county','222400','division',NULL,NULL,NULL,'shipped'),
('222402','图们市','county','222400','division',NULL,NULL,NULL,'shipped'),
('222403','敦化市','county','222400','division',NULL,NULL,NULL,'shipped'),
('222404','珲春市','county','222400','division',NULL,NULL,NULL,'shipped'),
('222405','龙井市','county','222400','division',NULL,NULL,NULL,'shipped'),
('222406','和龙市','county','222400','division',NULL,NULL,NULL,'shipped'),
('222424','汪清县','county','222400','division',NULL,NULL,NULL,'shipped'),
('222426','安图县','county','222400','division',NULL,NULL,NULL,'shipped'),
('230000','黑龙江省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('230100','哈尔滨市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('230102','道里区','county','230100','division',NULL,NULL,NULL,'shipped'),
('230103','南岗区','county','230100','division',NULL,NULL,NULL,'shipped'),
('230104','道外区','county','230100','division',NULL,NULL,NULL,'shipped'),
('230108','平房区','county','230100','division',NULL,NULL,NULL,'shipped'),
('230109','松北区','county','230100','division',NULL,NULL,NULL,'shipped'),
('230110','香坊区','county','230100','division',NULL,NULL,NULL,'shipped'),
('230111','呼兰区','county','230100','division',NULL,NULL,NULL,'shipped'),
('230112','阿城区','county','230100','division',NULL,NULL,NULL,'shipped'),
('230113','双城区','county','230100','division',NULL,NULL,NULL,'shipped'),
('230123','依兰县','county','230100','division',NULL,NULL,NULL,'shipped'),
('230124','方正县','county','230100','division',NULL,NULL,NULL,'shipped'),
('230125','宾县','county','230100','division',NULL,NULL,NULL,'shipped'),
('230126','巴彦县','county','230100','division',NULL,NULL,NULL,'shipped'),
('230127','木兰县','county','230100','division',NULL,NULL,NULL,'shipped'),
('230128','通河县','county','230100','division',NULL,NULL,NULL,'shipped'),
('230129','延寿县','county','230100','division',NULL,NULL,NULL,'shipped'),
('230183','尚志市','county','230100','division',NULL,NULL,NULL,'shipped'),
('230184','五常市','county','230100','division',NULL,NULL,NULL,'shipped'),
('230200','齐齐哈尔市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('230202','龙沙区','county','230200','division',NULL,NULL,NULL,'shipped'),
('230203','建华区','county','230200','division',NULL,NULL,NULL,'shipped'),
('230204','铁锋区','county','230200','division',NULL,NULL,NULL,'shipped'),
('230205','昂昂溪区','county','230200','division',NULL,NULL,NULL,'shipped'),
('230206','富拉尔基区','county','230200','division',NULL,NULL,NULL,'shipped'),
('230207','碾子山区','county','230200','division',NULL,NULL,NULL,'shipped'),
('230208','梅里斯达斡尔族区','county','230200','division',NULL,NULL,NULL,'shipped'),
('230221','龙江县','county','230200','division',NULL,NULL,NULL,'shipped'),
('230223','依安县','county','230200','division',NULL,NULL,NULL,'shipped'),
('230224','泰来县','county','230200','division',NULL,NULL,NULL,'shipped'),
('230225','甘南县','county','230200','division',NULL,NULL,NULL,'shipped'),
('230227','富裕县','county','230200','division',NULL,NULL,NULL,'shipped'),
('230229','克山县','county','230200','division',NULL,NULL,NULL,'shipped'),
('230230','克东县','county','230200','division',NULL,NULL,NULL,'shipped'),
('230231','拜泉县','county','230200','division',NULL,NULL,NULL,'shipped'),
('230281','讷河市','county','230200','division',NULL,NULL,NULL,'shipped'),
('230300','鸡西市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('230302','鸡冠区','county','230300','division',NULL,NULL,NULL,'shipped'),
('230303','恒山区','county','230300','division',NULL,NULL,NULL,'shipped'),
('230304','滴道区','county','230300','division',NULL,NULL,NULL,'shipped'),
('230305','梨树区','county','230300','division',NULL,NULL,NULL,'shipped'),
('230306','城子河区','county','230300','division',NULL,NULL,NULL,'shipped'),
('230307','麻山区','county','230300','division',NULL,NULL,NULL,'shipped'),
('230321','鸡东县','county','230300','division',NULL,NULL,NULL,'shipped'),
('230381','虎林市','county','230300','division',NULL,NULL,NULL,'shipped'),
('230382','密山市','county','230300','division',NULL,NULL,NULL,'shipped'),
('230400','鹤岗市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('230402','向阳区','county','230400','division',NULL,NULL,NULL,'shipped'),
('230403','工农区','county','230400','division',NULL,NULL,NULL,'shipped'),
('230404','南山区','county','230400','division',NULL,NULL,NULL,'shipped'),
('230405','兴安区','county','230400','division',NULL,NULL,NULL,'shipped'),
('230406','东山区','county','230400','division',NULL,NULL,NULL,'shipped'),
('230407','兴山区','county','230400','division',NULL,NULL,NULL,'shipped'),
('230421','萝北县','county','230400','division',NULL,NULL,NULL,'shipped'),
('230422','绥滨县','county','230400','division',NULL,NULL,NULL,'shipped'),
('230500','双鸭山市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('230502','尖山区','county','230500','division',NULL,NULL,NULL,'shipped'),
('230503','岭东区','county','230500','division',NULL,NULL,NULL,'shipped'),
('230505','四方台区','county','230500','division',NULL,NULL,NULL,'shipped'),
('230506','宝山区','county','230500','division',NULL,NULL,NULL,'shipped'),
('230521','集贤县','county','230500','division',NULL,NULL,NULL,'shipped'),
('230522','友谊县','county','230500','division',NULL,NULL,NULL,'shipped'),
('230523','宝清县','county','230500','division',NULL,NULL,NULL,'shipped'),
('230524','饶河县','county','230500','division',NULL,NULL,NULL,'shipped'),
('230600','大庆市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('230602','萨尔图区','county','230600','division',NULL,NULL,NULL,'shipped'),
('230603','龙凤区','county','230600','division',NULL,NULL,NULL,'shipped'),
('230604','让胡路区','county','230600','division',NULL,NULL,NULL,'shipped'),
('230605','红岗区','county','230600','division',NULL,NULL,NULL,'shipped'),
('230606','大同区','county','230600','division',NULL,NULL,NULL,'shipped'),
('230621','肇州县','county','230600','division',NULL,NULL,NULL,'shipped'),
('230622','肇源县','county','230600','division',NULL,NULL,NULL,'shipped'),
('230623','林甸县','county','230600','division',NULL,NULL,NULL,'shipped'),
('230624','杜尔伯特蒙古族自治县','county','230600','division',NULL,NULL,NULL,'shipped'),
('230671','大庆高新技术产业开发区','county','230600','statistical_zone',NULL,NULL,NULL,'shipped'),
('230700','伊春市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('230717','伊美区','county','230700','division',NULL,NULL,NULL,'shipped'),
('230718','乌翠区','county','230700','division',NULL,NULL,NULL,'shipped'),
('230719','友好区','county','230700','division',NULL,NULL,NULL,'shipped'),
('230722','嘉荫县','county','230700','division',NULL,NULL,NULL,'shipped'),
('230723','汤旺县','county','230700','division',NULL,NULL,NULL,'shipped'),
('230724','丰林县','county','230700','division',NULL,NULL,NULL,'shipped'),
('230725','大箐山县','county','230700','division',NULL,NULL,NULL,'shipped'),
('230726','南岔县','county','230700','division',NULL,NULL,NULL,'shipped'),
('230751','金林区','county','230700','division',NULL,NULL,NULL,'shipped'),
('230781','铁力市','county','230700','division',NULL,NULL,NULL,'shipped'),
('230800','佳木斯市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('230803','向阳区','county','230800','division',NULL,NULL,NULL,'shipped'),
('230804','前进区','county','230800','division',NULL,NULL,NULL,'shipped'),
('230805','东风区','county','230800','division',NULL,NULL,NULL,'shipped'),
('230811','郊区','county','230800','division',NULL,NULL,NULL,'shipped'),
('230822','桦南县','county','230800','division',NULL,NULL,NULL,'shipped'),
('230826','桦川县','county','230800','division',NULL,NULL,NULL,'shipped'),
('230828','汤原县','county','230800','division',NULL,NULL,NULL,'shipped'),
('230881','同江市','county','230800','division',NULL,NULL,NULL,'shipped'),
('230882','富锦市','county','230800','division',NULL,NULL,NULL,'shipped'),
('230883','抚远市','county','230800','division',NULL,NULL,NULL,'shipped'),
('230900','七台河市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('230902','新兴区','county','230900','division',NULL,NULL,NULL,'shipped'),
('230903','桃山区','county','230900','division',NULL,NULL,NULL,'shipped'),
('230904','茄子河区','county','230900','division',NULL,NULL,NULL,'shipped'),
('230921','勃利县','county','230900','division',NULL,NULL,NULL,'shipped'),
('231000','牡丹江市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('231002','东安区','county','231000','division',NULL,NULL,NULL,'shipped'),
('231003','阳明区','county','231000','division',NULL,NULL,NULL,'shipped'),
('231004','爱民区','county','231000','division',NULL,NULL,NULL,'shipped'),
('231005','西安区','county','231000','division',NULL,NULL,NULL,'shipped'),
('231025','林口县','county','231000','division',NULL,NULL,NULL,'shipped'),
('231081','绥芬河市','county','231000','division',NULL,NULL,NULL,'shipped'),
('231083','海林市','county','231000','division',NULL,NULL,NULL,'shipped'),
('231084','宁安市','county','231000','division',NULL,NULL,NULL,'shipped'),
('231085','穆棱市','county','231000','division',NULL,NULL,NULL,'shipped'),
('231086','东宁市','county','231000','division',NULL,NULL,NULL,'shipped'),
('231100','黑河市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('231102','爱辉区','county','231100','division',NULL,NULL,NULL,'shipped'),
('231123','逊克县','county','231100','division',NULL,NULL,NULL,'shipped'),
('231124','孙吴县','county','231100','division',NULL,NULL,NULL,'shipped'),
('231181','北安市','county','231100','division',NULL,NULL,NULL,'shipped'),
('231182','五大连池市','county','231100','division',NULL,NULL,NULL,'shipped'),
('231183','嫩江市','county','231100','division',NULL,NULL,NULL,'shipped'),
('231200','绥化市','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('231202','北林区','county','231200','division',NULL,NULL,NULL,'shipped'),
('231221','望奎县','county','231200','division',NULL,NULL,NULL,'shipped'),
('231222','兰西县','county','231200','division',NULL,NULL,NULL,'shipped'),
('231223','青冈县','county','231200','division',NULL,NULL,NULL,'shipped'),
('231224','庆安县','county','231200','division',NULL,NULL,NULL,'shipped'),
('231225','明水县','county','231200','division',NULL,NULL,NULL,'shipped'),
('231226','绥棱县','county','231200','division',NULL,NULL,NULL,'shipped'),
('231281','安达市','county','231200','division',NULL,NULL,NULL,'shipped'),
('231282','肇东市','county','231200','division',NULL,NULL,NULL,'shipped'),
('231283','海伦市','county','231200','division',NULL,NULL,NULL,'shipped'),
('232700','大兴安岭地区','prefecture','230000','division',NULL,NULL,NULL,'shipped'),
('232701','漠河市','county','232700','division',NULL,NULL,NULL,'shipped'),
('232721','呼玛县','county','232700','division',NULL,NULL,NULL,'shipped'),
('232722','塔河县','county','232700','division',NULL,NULL,NULL,'shipped'),
('232761','加格达奇区','county','232700','division',NULL,NULL,NULL,'shipped'),
('232762','松岭区','county','232700','division',NULL,NULL,NULL,'shipped'),
('232763','新林区','county','232700','division',NULL,NULL,NULL,'shipped'),
('232764','呼中区','county','232700','division',NULL,NULL,NULL,'shipped'),
('310000','上海市','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('310100','市辖区','prefecture','310000','placeholder',NULL,NULL,NULL,'shipped'),
('310101','黄浦区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310102','南市区','county','310000','division',NULL,2000,'310101','shipped'),
('310103','卢湾区','county','310000','division',NULL,2011,'310101','shipped'),
('310104','徐汇区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310105','长宁区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310106','静安区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310107','普陀区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310108','闸北区','county','310000','division',NULL,2015,'310106','shipped'),
('310109','虹口区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310110','杨浦区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310112','闵行区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310113','宝山区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310114','嘉定区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310115','浦东新区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310116','金山区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310117','松江区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310118','青浦区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310119','南汇区','county','310000','division',NULL,2009,'310115','shipped'),
('310120','奉贤区','county','310000','division',NULL,NULL,NULL,'shipped'),
('310151','崇明区','county','310000','division',NULL,NULL,NULL,'shipped'),
('320000','江苏省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('320100','南京市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('320102','玄武区','county','320100','division',NULL,NULL,NULL,'shipped'),
('320103','白下区','county','320100','division',NULL,2013,'320104','shipped'),
('320104','秦淮区','county','320100','division',NULL,NULL,NULL,'shipped'),
('320105','建邺区','county','320100','division',NULL,NULL,NULL,'shipped'),
('320106','鼓楼区','county','320100','division',NULL,NULL,NULL,'shipped'),
('320107','下关区','county','320100','division',NULL,2013,'320106','shipped'),
('320111','浦口区','county','320100','division',NULL,NULL,NULL,'shipped'),
('320113','栖霞区','county','320100','division',NULL,NULL,NULL,'shipped'),
('320114','雨花台区','county','320100','division',NULL,NULL,NULL,'shipped'),
('320115','江宁区','county','320100','division',NULL,NULL,NULL,'shipped'),
('320116','六合区','county','320100','division',NULL,NULL,NULL,'shipped'),
('320117','溧水区','county','320100','division',NULL,NULL,NULL,'shipped'),
('320118','高淳区','county','320100','division',NULL,NULL,NULL,'shipped'),
('320200','无锡市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('320202','崇安区','county','320200','division',NULL,2015,'320213','shipped'),
('320203','南长区','county','320200','division',NULL,2015,'320213','shipped'),
('320204','北塘区','county','320200','division',NULL,2015,'320213','shipped'),
('320205','锡山区','county','320200','division',NULL,NULL,NULL,'shipped'),
('320206','惠山区','county','320200','division',NULL,NULL,NULL,'shipped'),
('320211','滨湖区','county','320200','division',NULL,NULL,NULL,'shipped'),
('320213','梁溪区','county','320200','division',NULL,NULL,NULL,'shipped'),
('320214','新吴区','county','320200','division',NULL,NULL,NULL,'shipped'),
('320281','江阴市','county','320200','division',NULL,NULL,NULL,'shipped'),
('320282','宜兴市','county','320200','division',NULL,NULL,NULL,'shipped'),
('320300','徐州市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('320302','鼓楼区','county','320300','division',NULL,NULL,NULL,'shipped'),
('320303','云龙区','county','320300','division',NULL,NULL,NULL,'shipped'),
('320305','贾汪区','county','320300','division',NULL,NULL,NULL,'shipped'),
('320311','泉山区','county','320300','division',NULL,NULL,NULL,'shipped'),
('320312','铜山区','county','320300','division',NULL,NULL,NULL,'shipped'),
('320321','丰县','county','320300','division',NULL,NULL,NULL,'shipped'),
('320322','沛县','county','320300','division',NULL,NULL,NULL,'shipped'),
('320324','睢宁县','county','320300','division',NULL,NULL,NULL,'shipped'),
('320371','徐州经济技术开发区','county','320300','statistical_zone',NULL,NULL,NULL,'shipped'),
('320381','新沂市','county','320300','division',NULL,NULL,NULL,'shipped'),
('320382','邳州市','county','320300','division',NULL,NULL,NULL,'shipped'),
('320400','常州市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('320402','天宁区','county','320400','division',NULL,NULL,NULL,'shipped'),
('320404','钟楼区','county','320400','division',NULL,NULL,NULL,'shipped'),
('320411','新北区','county','320400','division',NULL,NULL,NULL,'shipped'),
('320412','武进区','county','320400','division',NULL,NULL,NULL,'shipped'),
('320413','金坛区','county','320400','division',NULL,NULL,NULL,'shipped'),
('320481','溧阳市','county','320400','division',NULL,NULL,NULL,'shipped'),
('320500','苏州市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('320502','沧浪区','county','320500','division',NULL,2012,'320508','shipped'),
('320503','平江区','county','320500','division',NULL,2012,'320508','shipped'),
('320504','金阊区','county','320500','division',NULL,2012,'320508','shipped'),
('320505','虎丘区','county','320500','division',NULL,NULL,NULL,'shipped'),
('320506','吴中区','county','320500','division',NULL,NULL,NULL,'shipped'),
('320507','相城区','county','320500','division',NULL,NULL,NULL,'shipped'),
('320508','姑苏区','county','320500','division',NULL,NULL,NULL,'shipped'),
('320509','吴江区','county','320500','division',NULL,NULL,NULL,'shipped'),
('320576','苏州工业园区','county','320500','statistical_zone',NULL,NULL,NULL,'shipped'),
('320581','常熟市','county','320500','division',NULL,NULL,NULL,'shipped'),
('320582','张家港市','county','320500','division',NULL,NULL,NULL,'shipped'),
('320583','昆山市','county','320500','division',NULL,NULL,NULL,'shipped'),
('320585','太仓市','county','320500','division',NULL,NULL,NULL,'shipped'),
('320600','南通市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('320612','通州区','county','320600','division',NULL,NULL,NULL,'shipped'),
('320613','崇川区','county','320600','division',NULL,NULL,NULL,'shipped'),
('320614','海门区','county','320600','division',NULL,NULL,NULL,'shipped'),
('320623','如东县','county','320600','division',NULL,NULL,NULL,'shipped'),
('320671','南通经济技术开发区','county','320600','statistical_zone',NULL,NULL,NULL,'shipped'),
('320681','启东市','county','320600','division',NULL,NULL,NULL,'shipped'),
('320682','如皋市','county','320600','division',NULL,NULL,NULL,'shipped'),
('320685','海安市','county','320600','division',NULL,NULL,NULL,'shipped'),
('320700','连云港市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('320703','连云区','county','320700','division',NULL,NULL,NULL,'shipped'),
('320706','海州区','county','320700','division',NULL,NULL,NULL,'shipped'),
('320707','赣榆区','county','320700','division',NULL,NULL,NULL,'shipped'),
('320722','东海县','county','320700','division',NULL,NULL,NULL,'shipped'),
('320723','灌云县','county','320700','division',NULL,NULL,NULL,'shipped'),
('320724','灌南县','county','320700','division',NULL,NULL,NULL,'shipped'),
('320771','连云港经济技术开发区','county','320700','statistical_zone',NULL,NULL,NULL,'shipped'),
('320800','淮安市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('320803','淮安区','county','320800','division',NULL,NULL,NULL,'shipped'),
('320804','淮阴区','county','320800','division',NULL,NULL,NULL,'shipped'),
('320812','清江浦区','county','320800','division',NULL,NULL,NULL,'shipped'),
('320813','洪泽区','county','320800','division',NULL,NULL,NULL,'shipped'),
('320826','涟水县','county','320800','division',NULL,NULL,NULL,'shipped'),
('320830','盱眙县','county','320800','division',NULL,NULL,NULL,'shipped'),
('320831','金湖县','county','320800','division',NULL,NULL,NULL,'shipped'),
('320871','淮安经济技术开发区','county','320800','statistical_zone',NULL,NULL,NULL,'shipped'),
('320900','盐城市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('320902','亭湖区','county','320900','division',NULL,NULL,NULL,'shipped'),
('320903','盐都区','county','320900','division',NULL,NULL,NULL,'shipped'),
('320904','大丰区','county','320900','division',NULL,NULL,NULL,'shipped'),
('320921','响水县','county','320900','division',NULL,NULL,NULL,'shipped'),
('320922','滨海县','county','320900','division',NULL,NULL,NULL,'shipped'),
('320923','阜宁县','county','320900','division',NULL,NULL,NULL,'shipped'),
('320924','射阳县','county','320900','division',NULL,NULL,NULL,'shipped'),
('320925','建湖县','county','320900','division',NULL,NULL,NULL,'shipped'),
('320971','盐城经济技术开发区','county','320900','statistical_zone',NULL,NULL,NULL,'shipped'),
('320981','东台市','county','320900','division',NULL,NULL,NULL,'shipped'),
('321000','扬州市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('321002','广陵区','county','321000','division',NULL,NULL,NULL,'shipped'),
('321003','邗江区','county','321000','division',NULL,NULL,NULL,'shipped'),
('321012','江都区','county','321000','division',NULL,NULL,NULL,'shipped'),
('321023','宝应县','county','321000','division',NULL,NULL,NULL,'shipped'),
('321071','扬州经济技术开发区','county','321000','statistical_zone',NULL,NULL,NULL,'shipped'),
('321081','仪征市','county','321000','division',NULL,NULL,NULL,'shipped'),
('321084','高邮市','county','321000','division',NULL,NULL,NULL,'shipped'),
('321100','镇江市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('321102','京口区','county','321100','division',NULL,NULL,NULL,'shipped'),
('321111','润州区','county','321100','division',NULL,NULL,NULL,'shipped'),
('321112','丹徒区','county','321100','division',NULL,NULL,NULL,'shipped'),
('321171','镇江新区','county','321100','statistical_zone',NULL,NULL,NULL,'shipped'),
('321181','丹阳市','county','321100','division',NULL,NULL,NULL,'shipped'),
('321182','扬中市','county','321100','division',NULL,NULL,NULL,'shipped'),
('321183','句容市','county','321100','division',NULL,NULL,NULL,'shipped'),
('321200','泰州市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('321202','海陵区','county','321200','division',NULL,NULL,NULL,'shipped'),
('321203','高港区','county','321200','division',NULL,NULL,NULL,'shipped'),
('321204','姜堰区','county','321200','division',NULL,NULL,NULL,'shipped'),
('321281','兴化市','county','321200','division',NULL,NULL,NULL,'shipped'),
('321282','靖江市','county','321200','division',NULL,NULL,NULL,'shipped'),
('321283','泰兴市','county','321200','division',NULL,NULL,NULL,'shipped'),
('321300','宿迁市','prefecture','320000','division',NULL,NULL,NULL,'shipped'),
('321302','宿城区','county','321300','division',NULL,NULL,NULL,'shipped'),
('321311','宿豫区','county','321300','division',NULL,NULL,NULL,'shipped'),
('321322','沭阳县','county','321300','division',NULL,NULL,NULL,'shipped'),
('321323','泗阳县','county','321300','division',NULL,NULL,NULL,'shipped'),
('321324','泗洪县','county','321300','division',NULL,NULL,NULL,'shipped'),
('321371','宿迁经济技术开发区','county','321300','statistical_zone',NULL,NULL,NULL,'shipped'),
('330000','浙江省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('330100','杭州市','prefecture','330000','division',NULL,NULL,NULL,'shipped'),
('330102','上城区','county','330100','division',NULL,NULL,NULL,'shipped'),
('330103','下城区','county','330100','division',NULL,2021,'330105','shipped'),
('330105','拱墅区','county','330100','division',NULL,NULL,NULL,'shipped'),
('330106','西湖区','county','330100','division',NULL,NULL,NULL,'shipped'),
('330108','滨江区','county','330100','division',NULL,NULL,NULL,'shipped'),
('330109','萧山区','county','330100','division',NULL,NULL,NULL,'shipped'),
('330110','余杭区','county','330100','division',NULL,NULL,NULL,'shipped'),
('330111','富阳区','county','330100','division',NULL,NULL,NULL,'shipped'),
('330112','临安区','county','330100','division',NULL,NULL,NULL,'shipped'),
('330113','临平区','county','330100','division',NULL,NULL,NULL,'shipped'),
('330114','钱塘区','county','330100','division',NULL,NULL,NULL,'shipped'),
('330122','桐庐县','county','330100','division',NULL,NULL,NULL,'shipped'),
('330127','淳安县','county','330100','division',NULL,NULL,NULL,'shipped'),
('330182','建德市','county','330100','division',NULL,NULL,NULL,'shipped'),
('330200','宁波市','prefecture','330000','division',NULL,NULL,NULL,'shipped'),
('330203','海曙区','county','330200','division',NULL,NULL,NULL,'shipped'),
('330205','江北区','county','330200','division',NULL,NULL,NULL,'shipped'),
('330206','北仑区','county','330200','division',NULL,NULL,NULL,'shipped'),
('330211','镇海区','county','330200','division',NULL,NULL,NULL,'shipped'),
('330212','鄞州区','county','330200','division',NULL,NULL,NULL,'shipped'),
('330213','奉化区','county','330200','division',NULL,NULL,NULL,'shipped'),
('330225','象山县','county','330200','division',NULL,NULL,NULL,'shipped'),
('330226','宁海县','county','330200','division',NULL,NULL,NULL,'shipped'),
('330281','余姚市','county','330200','division',NULL,NULL,NULL,'shipped'),
('330282','慈溪市','county','330200','division',NULL,NULL,NULL,'shipped'),
('330300','温州市','prefecture','330000','division',NULL,NULL,NULL,'shipped'),
('330302','鹿城区','county','330300','division',NULL,NULL,NULL,'shipped'),
('330303','龙湾区','county','330300','division',NULL,NULL,NULL,'shipped'),
('330304','瓯海区','county','330300','division',NULL,NULL,NULL,'shipped'),
('330305','洞头区','county','330300','division',NULL,NULL,NULL,'shipped'),
('330324','永嘉县','county','330300','division',NULL,NULL,NULL,'shipped'),
('330326','平阳县','county','330300','division',NULL,NULL,NULL,'shipped'),
('330327','苍南县','county','330300','division',NULL,NULL,NULL,'shipped'),
('330328','文成县','county','330300','division',NULL,NULL,NULL,'shipped'),
('330329','泰顺县','county','330300','division',NULL,NULL,NULL,'shipped'),
('330381','瑞安市','county','330300','division',NULL,NULL,NULL,'shipped'),
('330382','乐清市','county','330300','division',NULL,NULL,NULL,'shipped'),
('330383','龙港市','county','330300','division',NULL,NULL,NULL,'shipped'),
('330400','嘉兴市','prefecture','330000','division',NULL,NULL,NULL,'shipped'),
('330402','南湖区','county','330400','division',NULL,NULL,NULL,'shipped'),
('330411','秀洲区','county','330400','division',NULL,NULL,NULL,'shipped'),
('330421','嘉善县','county','330400','division',NULL,NULL,NULL,'shipped'),
('330424','海盐县','county','330400','division',NULL,NULL,NULL,'shipped'),
('330481','海宁市','county','330400','division',NULL,NULL,NULL,'shipped'),
('330482','平湖市','county','330400','division',NULL,NULL,NULL,'shipped'),
('330483','桐乡市','county','330400','division',NULL,NULL,NULL,'shipped'),
('330500','湖州市','prefecture','330000','division',NULL,NULL,NULL,'shipped'),
('330502','吴兴区','county','330500','division',NULL,NULL,NULL,'shipped'),
('330503','南浔区','county','330500','division',NULL,NULL,NULL,'shipped'),
('330521','德清县','county','330500','division',NULL,NULL,NULL,'shipped'),
('330522','长兴县','county','330500','division',NULL,NULL,NULL,'shipped'),
('330523','安吉县','county','330500','division',NULL,NULL,NULL,'shipped'),
('330600','绍兴市','prefecture','330000','division',NULL,NULL,NULL,'shipped'),
('330602','越城区','county','330600','division',NULL,NULL,NULL,'shipped'),
('330603','柯桥区','county','330600','division',NULL,NULL,NULL,'shipped'),
('330604','上虞区','county','330600','division',NULL,NULL,NULL,'shipped'),
('330624','新昌县','county','330600','division',NULL,NULL,NULL,'shipped'),
('330681','诸暨市','county','330600','division',NULL,NULL,NULL,'shipped'),
('330683','嵊州市','county','330600','division',NULL,NULL,NULL,'shipped'),
('330700','金华市','prefecture','330000','division',NULL,NULL,NULL,'shipped'),
('330702','婺城区','county','330700','division',NULL,NULL,NULL,'shipped'),
('330703','金东区','county','330700','division',NULL,NULL,NULL,'shipped'),
('330723','武义县','county','330700','division',NULL,NULL,NULL,'shipped'),
('330726','浦江县','county','330700','division',NULL,NULL,NULL,'shipped'),
('330727','磐安县','county','330700','division',NULL,NULL,NULL,'shipped'),
('330781','兰溪市','county','330700','division',NULL,NULL,NULL,'shipped'),
('330782','义乌市','county','330700','division',NULL,NULL,NULL,'shipped'),
('330783','东阳市','county','330700','division',NULL,NULL,NULL,'shipped'),
('330784','永康市','county','330700','division',NULL,NULL,NULL,'shipped'),
('330800','衢州市','prefecture','330000','division',NULL,NULL,NULL,'shipped'),
('330802','柯城区','county','330800','division',NULL,NULL,NULL,'shipped'),
('330803','衢江区','county','330800','division',NULL,NULL,NULL,'shipped'),
('330822','常山县','county','330800','division',NULL,NULL,NULL,'shipped'),
('330824','开化县','county','330800','division',NULL,NULL,NULL,'shipped'),
('330825','龙游县','county','330800','division',NULL,NULL,NULL,'shipped'),
('330881','江山市','county','330800','division',NULL,NULL,NULL,'shipped'),
('330900','舟山市','prefecture','330000','division',NULL,NULL,NULL,'shipped'),
('330902','定海区','county','330900','division',NULL,NULL,NULL,'shipped'),
('330903','普陀区','county','330900','division',NULL,NULL,NULL,'shipped'),
('330921','岱山县','county','330900','division',NULL,NULL,NULL,'shipped'),
('330922','嵊泗县','county','330900','division',NULL,NULL,NULL,'shipped'),
('331000','台州市','prefecture','330000','division',NULL,NULL,NULL,'shipped'),
('331002','椒江区','county','331000','division',NULL,NULL,NULL,'shipped'),
('331003','黄岩区','county','331000','division',NULL,NULL,NULL,'shipped'),
('331004','路桥区','county','331000','division',NULL,NULL,NULL,'shipped'),
('331022','三门县','county','331000','division',NULL,NULL,NULL,'shipped'),
('331023','天台县','county','331000','division',NULL,NULL,NULL,'shipped'),
('331024','仙居县','county','331000','division',NULL,NULL,NULL,'shipped'),
('331081','温岭市','county','331000','division',NULL,NULL,NULL,'shipped'),
('331082','临海市','county','331000','division',NULL,NULL,NULL,'shipped'),
('331083','玉环市','county','331000','division',NULL,NULL,NULL,'shipped'),
('331100','丽水市','prefecture','330000','division',NULL,NULL,NULL,'shipped'),
('331102','莲都区','county','331100','division',NULL,NULL,NULL,'shipped'),
('331121','青田县','county','331100','division',NULL,NULL,NULL,'shipped'),
('331122','缙云县','county','331100','division',NULL,NULL,NULL,'shipped'),
('331123','遂昌县','county','331100','division',NULL,NULL,NULL,'shipped'),
('331124','松阳县','county','331100','division',NULL,NULL,NULL,'shipped'),
('331125','云和县','county','331100','division',NULL,NULL,NULL,'shipped'),
('331126','庆元县','county','331100','division',NULL,NULL,NULL,'shipped'),
('331127','景宁畲族自治县','county','331100','division',NULL,NULL,NULL,'shipped'),
('331181','龙泉市','county','331100','division',NULL,NULL,NULL,'shipped'),
('340000','安徽省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('340100','合肥市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('340102','瑶海区','county','340100','division',NULL,NULL,NULL,'shipped'),
('340103','庐阳区','county','340100','division',NULL,NULL,NULL,'shipped'),
('340104','蜀山区','county','340100','division',NULL,NULL,NULL,'shipped'),
('340111','包河区','county','340100','division',NULL,NULL,NULL,'shipped'),
('340121','长丰县','county','340100','division',NULL,NULL,NULL,'shipped'),
('340122','肥东县','county','340100','division',NULL,NULL,NULL,'shipped'),
('340123','肥西县','county','340100','division',NULL,NULL,NULL,'shipped'),
('340124','庐江县','county','340100','division',NULL,NULL,NULL,'shipped'),
('340176','合肥高新技术产业开发区','county','340100','statistical_zone',NULL,NULL,NULL,'shipped'),
('340177','合肥经济技术开发区','county','340100','statistical_zone',NULL,NULL,NULL,'shipped'),
('340178','合肥新站高新技术产业开发区','county','340100','statistical_zone',NULL,NULL,NULL,'shipped'),
('340181','巢湖市','county','340100','division',NULL,NULL,NULL,'shipped'),
('340200','芜湖市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('340202','镜湖区','county','340200','division',NULL,NULL,NULL,'shipped'),
('340207','鸠江区','county','340200','division',NULL,NULL,NULL,'shipped'),
('340209','弋江区','county','340200','division',NULL,NULL,NULL,'shipped'),
('340210','湾沚区','county','340200','division',NULL,NULL,NULL,'shipped'),
('340212','繁昌区','county','340200','division',NULL,NULL,NULL,'shipped'),
('340223','南陵县','county','340200','division',NULL,NULL,NULL,'shipped'),
('340271','芜湖经济技术开发区','county','340200','statistical_zone',NULL,NULL,NULL,'shipped'),
('340272','安徽芜湖三山经济开发区','county','340200','statistical_zone',NULL,NULL,NULL,'shipped'),
('340281','无为市','county','340200','division',NULL,NULL,NULL,'shipped'),
('340300','蚌埠市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('340302','龙子湖区','county','340300','division',NULL,NULL,NULL,'shipped'),
('340303','蚌山区','county','340300','division',NULL,NULL,NULL,'shipped'),
('340304','禹会区','county','340300','division',NULL,NULL,NULL,'shipped'),
('340311','淮上区','county','340300','division',NULL,NULL,NULL,'shipped'),
('340321','怀远县','county','340300','division',NULL,NULL,NULL,'shipped'),
('340322','五河县','county','340300','division',NULL,NULL,NULL,'shipped'),
('340323','固镇县','county','340300','division',NULL,NULL,NULL,'shipped'),
('340371','蚌埠市高新技术开发区','county','340300','statistical_zone',NULL,NULL,NULL,'shipped'),
('340372','蚌埠市经济开发区','county','340300','statistical_zone',NULL,NULL,NULL,'shipped'),
('340400','淮南市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('340402','大通区','county','340400','division',NULL,NULL,NULL,'shipped'),
('340403','田家庵区','county','340400','division',NULL,NULL,NULL,'shipped'),
('340404','谢家集区','county','340400','division',NULL,NULL,NULL,'shipped'),
('340405','八公山区','county','340400','division',NULL,NULL,NULL,'shipped'),
('340406','潘集区','county','340400','division',NULL,NULL,NULL,'shipped'),
('340421','凤台县','county','340400','division',NULL,NULL,NULL,'shipped'),
('340422','寿县','county','340400','division',NULL,NULL,NULL,'shipped'),
('340500','马鞍山市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('340503','花山区','county','340500','division',NULL,NULL,NULL,'shipped'),
('340504','雨山区','county','340500','division',NULL,NULL,NULL,'shipped'),
('340506','博望区','county','340500','division',NULL,NULL,NULL,'shipped'),
('340521','当涂县','county','340500','division',NULL,NULL,NULL,'shipped'),
('340522','含山县','county','340500','division',NULL,NULL,NULL,'shipped'),
('340523','和县','county','340500','division',NULL,NULL,NULL,'shipped'),
('340600','淮北市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('340602','杜集区','county','340600','division',NULL,NULL,NULL,'shipped'),
('340603','相山区','county','340600','division',NULL,NULL,NULL,'shipped'),
('340604','烈山区','county','340600','division',NULL,NULL,NULL,'shipped'),
('340621','濉溪县','county','340600','division',NULL,NULL,NULL,'shipped'),
('340700','铜陵市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('340705','铜官区','county','340700','division',NULL,NULL,NULL,'shipped'),
('340706','义安区','county','340700','division',NULL,NULL,NULL,'shipped'),
('340711','郊区','county','340700','division',NULL,NULL,NULL,'shipped'),
('340722','枞阳县','county','340700','division',NULL,NULL,NULL,'shipped'),
('340800','安庆市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('340802','迎江区','county','340800','division',NULL,NULL,NULL,'shipped'),
('340803','大观区','county','340800','division',NULL,NULL,NULL,'shipped'),
('340811','宜秀区','county','340800','division',NULL,NULL,NULL,'shipped'),
('340822','怀宁县','county','340800','division',NULL,NULL,NULL,'shipped'),
('340825','太湖县','county','340800','division',NULL,NULL,NULL,'shipped'),
('340826','宿松县','county','340800','division',NULL,NULL,NULL,'shipped'),
('340827','望江县','county','340800','division',NULL,NULL,NULL,'shipped'),
('340828','岳西县','county','340800','division',NULL,NULL,NULL,'shipped'),
('340871','安徽安庆经济开发区','county','340800','statistical_zone',NULL,NULL,NULL,'shipped'),
('340881','桐城市','county','340800','division',NULL,NULL,NULL,'shipped'),
('340882','潜山市','county','340800','division',NULL,NULL,NULL,'shipped'),
('341000','黄山市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('341002','屯溪区','county','341000','division',NULL,NULL,NULL,'shipped'),
('341003','黄山区','county','341000','division',NULL,NULL,NULL,'shipped'),
('341004','徽州区','county','341000','division',NULL,NULL,NULL,'shipped'),
('341021','歙县','county','341000','division',NULL,NULL,NULL,'shipped'),
('341022','休宁县','county','341000','division',NULL,NULL,NULL,'shipped'),
('341023','黟县','county','341000','division',NULL,NULL,NULL,'shipped'),
('341024','祁门县','county','341000','division',NULL,NULL,NULL,'shipped'),
('341100','滁州市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('341102','琅琊区','county','341100','division',NULL,NULL,NULL,'shipped'),
('341103','南谯区','county','341100','division',NULL,NULL,NULL,'shipped'),
('341122','来安县','county','341100','division',NULL,NULL,NULL,'shipped'),
('341124','全椒县','county','341100','division',NULL,NULL,NULL,'shipped'),
('341125','定远县','county','341100','division',NULL,NULL,NULL,'shipped'),
('341126','凤阳县','county','341100','division',NULL,NULL,NULL,'shipped'),
('341171','中新苏滁高新技术产业开发区','county','341100','statistical_zone',NULL,NULL,NULL,'shipped'),
('341172','滁州经济技术开发区','county','341100','statistical_zone',NULL,NULL,NULL,'shipped'),
('341181','天长市','county','341100','division',NULL,NULL,NULL,'shipped'),
('341182','明光市','county','341100','division',NULL,NULL,NULL,'shipped'),
('341200','阜阳市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('341202','颍州区','county','341200','division',NULL,NULL,NULL,'shipped'),
('341203','颍东区','county','341200','division',NULL,NULL,NULL,'shipped'),
('341204','颍泉区','county','341200','division',NULL,NULL,NULL,'shipped'),
('341221','临泉县','county','341200','division',NULL,NULL,NULL,'shipped'),
('341222','太和县','county','341200','division',NULL,NULL,NULL,'shipped'),
('341225','阜南县','county','341200','division',NULL,NULL,NULL,'shipped'),
('341226','颍上县','county','341200','division',NULL,NULL,NULL,'shipped'),
('341271','阜阳合肥现代产业园区','county','341200','statistical_zone',NULL,NULL,NULL,'shipped'),
('341272','阜阳经济技术开发区','county','341200','statistical_zone',NULL,NULL,NULL,'shipped'),
('341282','界首市','county','341200','division',NULL,NULL,NULL,'shipped'),
('341300','宿州市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('341302','埇桥区','county','341300','division',NULL,NULL,NULL,'shipped'),
('341321','砀山县','county','341300','division',NULL,NULL,NULL,'shipped'),
('341322','萧县','county','341300','division',NULL,NULL,NULL,'shipped'),
('341323','灵璧县','county','341300','division',NULL,NULL,NULL,'shipped'),
('341324','泗县','county','341300','division',NULL,NULL,NULL,'shipped'),
('341371','宿州马鞍山现代产业园区','county','341300','statistical_zone',NULL,NULL,NULL,'shipped'),
('341372','宿州经济技术开发区','county','341300','statistical_zone',NULL,NULL,NULL,'shipped'),
('341500','六安市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('341502','金安区','county','341500','division',NULL,NULL,NULL,'shipped'),
('341503','裕安区','county','341500','division',NULL,NULL,NULL,'shipped'),
('341504','叶集区','county','341500','division',NULL,NULL,NULL,'shipped'),
('341522','霍邱县','county','341500','division',NULL,NULL,NULL,'shipped'),
('341523','舒城县','county','341500','division',NULL,NULL,NULL,'shipped'),
('341524','金寨县','county','341500','division',NULL,NULL,NULL,'shipped'),
('341525','霍山县','county','341500','division',NULL,NULL,NULL,'shipped'),
('341600','亳州市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('341602','谯城区','county','341600','division',NULL,NULL,NULL,'shipped'),
('341621','涡阳县','county','341600','division',NULL,NULL,NULL,'shipped'),
('341622','蒙城县','county','341600','division',NULL,NULL,NULL,'shipped'),
('341623','利辛县','county','341600','division',NULL,NULL,NULL,'shipped'),
('341700','池州市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('341702','贵池区','county','341700','division',NULL,NULL,NULL,'shipped'),
('341721','东至县','county','341700','division',NULL,NULL,NULL,'shipped'),
('341722','石台县','county','341700','division',NULL,NULL,NULL,'shipped'),
('341723','青阳县','county','341700','division',NULL,NULL,NULL,'shipped'),
('341800','宣城市','prefecture','340000','division',NULL,NULL,NULL,'shipped'),
('341802','宣州区','county','341800','division',NULL,NULL,NULL,'shipped'),
('341821','郎溪县','county','341800','division',NULL,NULL,NULL,'shipped'),
('341823','泾县','county','341800','division',NULL,NULL,NULL,'shipped'),
('341824','绩溪县','county','341800','division',NULL,NULL,NULL,'shipped'),
('341825','旌德县','county','341800','division',NULL,NULL,NULL,'shipped'),
('341871','宣城市经济开发区','county','341800','statistical_zone',NULL,NULL,NULL,'shipped'),
('341881','宁国市','county','341800','division',NULL,NULL,NULL,'shipped'),
('341882','广德市','county','341800','division',NULL,NULL,NULL,'shipped'),
('350000','福建省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('350100','福州市','prefecture','350000','division',NULL,NULL,NULL,'shipped'),
('350102','鼓楼区','county','350100','division',NULL,NULL,NULL,'shipped'),
('350103','台江区','county','350100','division',NULL,NULL,NULL,'shipped'),
('350104','仓山区','county','350100','division',NULL,NULL,NULL,'shipped'),
('350105','马尾区','county','350100','division',NULL,NULL,NULL,'shipped'),
('350111','晋安区','county','350100','division',NULL,NULL,NULL,'shipped'),
('350112','长乐区','county','350100','division',NULL,NULL,NULL,'shipped'),
('350121','闽侯县','county','350100','division',NULL,NULL,NULL,'shipped'),
('350122','连江县','county','350100','division',NULL,NULL,NULL,'shipped'),
('350123','罗源县','county','350100','division',NULL,NULL,NULL,'shipped'),
('350124','闽清县','county','350100','division',NULL,NULL,NULL,'shipped'),
('350125','永泰县','county','350100','division',NULL,NULL,NULL,'shipped'),
('350128','平潭县','county','350100','division',NULL,NULL,NULL,'shipped'),
('350181','福清市','county','350100','division',NULL,NULL,NULL,'shipped'),
('350200','厦门市','prefecture','350000','division',NULL,NULL,NULL,'shipped'),
('350202','鼓浪屿区','county','350200','division',NULL,2003,'350203','shipped'),
('350203','思明区','county','350200','division',NULL,NULL,NULL,'shipped'),
('350204','开元区','county','350200','division',NULL,2003,'350203','shipped'),
('350205','海沧区','county','350200','division',NULL,NULL,NULL,'shipped'),
('350206','湖里区','county','350200','division',NULL,NULL,NULL,'shipped'),
('350211','集美区','county','350200','division',NULL,NULL,NULL,'shipped'),
('350212','同安区','county','350200','division',NULL,NULL,NULL,'shipped'),
('350213','翔安区','county','350200','division',NULL,NULL,NULL,'shipped'),
('350300','莆田市','prefecture','350000','division',NULL,NULL,NULL,'shipped'),
('350302','城厢区','county','350300','division',NULL,NULL,NULL,'shipped'),
('350303','涵江区','county','350300','division',NULL,NULL,NULL,'shipped'),
('350304','荔城区','county','350300','division',NULL,NULL,NULL,'shipped'),
('350305','秀屿区','county','350300','division',NULL,NULL,NULL,'shipped'),
('350322','仙游县','county','350300','division',NULL,NULL,NULL,'shipped'),
('350400','三明市','prefecture','350000','division',NULL,NULL,NULL,'shipped'),
('350404','三元区','county','350400','division',NULL,NULL,NULL,'shipped'),
('350405','沙县区','county','350400','division',NULL,NULL,NULL,'shipped'),
('350421','明溪县','county','350400','division',NULL,NULL,NULL,'shipped'),
('350423','清流县','county','350400','division',NULL,NULL,NULL,'shipped'),
('350424','宁化县','county','350400','division',NULL,NULL,NULL,'shipped'),
('350425','大田县','county','350400','division',NULL,NULL,NULL,'shipped'),
('350426','尤溪县','county','350400','division',NULL,NULL,NULL,'shipped'),
('350428','将乐县','county','350400','division',NULL,NULL,NULL,'shipped'),
('350429','泰宁县','county','350400','division',NULL,NULL,NULL,'shipped'),
('350430','建宁县','county','350400','division',NULL,NULL,NULL,'shipped'),
('350481','永安市','county','350400','division',NULL,NULL,NULL,'shipped'),
('350500','泉州市','prefecture','350000','division',NULL,NULL,NULL,'shipped'),
('350502','鲤城区','county','350500','division',NULL,NULL,NULL,'shipped'),
('350503','丰泽区','county','350500','division',NULL,NULL,NULL,'shipped'),
('350504','洛江区','county','350500','division',NULL,NULL,NULL,'shipped'),
('350505','泉港区','county','350500','division',NULL,NULL,NULL,'shipped'),
('350521','惠安县','county','350500','division',NULL,NULL,NULL,'shipped'),
('350524','安溪县','county','350500','division',NULL,NULL,NULL,'shipped'),
('350525','永春县','county','350500','division',NULL,NULL,NULL,'shipped'),
('350526','德化县','county','350500','division',NULL,NULL,NULL,'shipped'),
('350527','金门县','county','350500','division',NULL,NULL,NULL,'shipped'),
('350581','石狮市','county','350500','division',NULL,NULL,NULL,'shipped'),
('350582','晋江市','county','350500','division',NULL,NULL,NULL,'shipped'),
('350583','南安市','county','350500','division',NULL,NULL,NULL,'shipped'),
('350600','漳州市','prefecture','350000','division',NULL,NULL,NULL,'shipped'),
('350602','芗城区','county','350600','division',NULL,NULL,NULL,'shipped'),
('350603','龙文区','county','350600','division',NULL,NULL,NULL,'shipped'),
('350604','龙海区','county','350600','division',NULL,NULL,NULL,'shipped'),
('350605','长泰区','county','350600','division',NULL,NULL,NULL,'shipped'),
('350622','云霄县','county','350600','division',NULL,NULL,NULL,'shipped'),
('350623','漳浦县','county','350600','division',NULL,NULL,NULL,'shipped'),
('350624','诏安县','county','350600','division',NULL,NULL,NULL,'shipped'),
('350626','东山县','county','350600','division',NULL,NULL,NULL,'shipped'),
('350627','南靖县','county','350600','division',NULL,NULL,NULL,'shipped'),
('350628','平和县','county','350600','division',NULL,NULL,NULL,'shipped'),
('350629','华安县','county','350600','division',NULL,NULL,NULL,'shipped'),
('350700','南平市','prefecture','350000','division',NULL,NULL,NULL,'shipped'),
('350702','延平区','county','350700','division',NULL,NULL,NULL,'shipped'),
('350703','建阳区','county','350700','division',NULL,NULL,NULL,'shipped'),
('350721','顺昌县','county','350700','division',NULL,NULL,NULL,'shipped'),
('350722','浦城县','county','350700','division',NULL,NULL,NULL,'shipped'),
('350723','光泽县','county','350700','division',NULL,NULL,NULL,'shipped'),
('350724','松溪县','county','350700','division',NULL,NULL,NULL,'shipped'),
('350725','政和县','county','350700','division',NULL,NULL,NULL,'shipped'),
('350781','邵武市','county','350700','division',NULL,NULL,NULL,'shipped'),
('350782','武夷山市','county','350700','division',NULL,NULL,NULL,'shipped'),
('350783','建瓯市','county','350700','division',NULL,NULL,NULL,'shipped'),
('350800','龙岩市','prefecture','350000','division',NULL,NULL,NULL,'shipped'),
('350802','新罗区','county','350800','division',NULL,NULL,NULL,'shipped'),
('350803','永定区','county','350800','division',NULL,NULL,NULL,'shipped'),
('350821','长汀县','county','350800','division',NULL,NULL,NULL,'shipped'),
('350823','上杭县','county','350800','division',NULL,NULL,NULL,'shipped'),
('350824','武平县','county','350800','division',NULL,NULL,NULL,'shipped'),
('350825','连城县','county','350800','division',NULL,NULL,NULL,'shipped'),
('350881','漳平市','county','350800','division',NULL,NULL,NULL,'shipped'),
('350900','宁德市','prefecture','350000','division',NULL,NULL,NULL,'shipped'),
('350902','蕉城区','county','350900','division',NULL,NULL,NULL,'shipped'),
('350921','霞浦县','county','350900','division',NULL,NULL,NULL,'shipped'),
('350922','古田县','county','350900','division',NULL,NULL,NULL,'shipped'),
('350923','屏南县','county','350900','division',NULL,NULL,NULL,'shipped'),
('350924','寿宁县','county','350900','division',NULL,NULL,NULL,'shipped'),
('350925','周宁县','county','350900','division',NULL,NULL,NULL,'shipped'),
('350926','柘荣县','county','350900','division',NULL,NULL,NULL,'shipped'),
('350981','福安市','county','350900','division',NULL,NULL,NULL,'shipped'),
('350982','福鼎市','county','350900','division',NULL,NULL,NULL,'shipped'),
('360000','江西省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('360100','南昌市','prefecture','360000','division',NULL,NULL,NULL,'shipped'),
('360102','东湖区','county','360100','division',NULL,NULL,NULL,'shipped'),
('360103','西湖区','county','360100','division',NULL,NULL,NULL,'shipped'),
('360104','青云谱区','county','360100','division',NULL,NULL,NULL,'shipped'),
('360111','青山湖区','county','360100','division',NULL,NULL,NULL,'shipped'),
('360112','新建区','county','360100','division',NULL,NULL,NULL,'shipped'),
('360113','红谷滩区','county','360100','division',NULL,NULL,NULL,'shipped'),
('360121','南昌县','county','360100','division',NULL,NULL,NULL,'shipped'),
('360123','安义县','county','360100','division',NULL,NULL,NULL,'shipped'),
('360124','进贤县','county','360100','division',NULL,NULL,NULL,'shipped'),
('360200','景德镇市','prefecture','360000','division',NULL,NULL,NULL,'shipped'),
('360202','昌江区','county','360200','division',NULL,NULL,NULL,'shipped'),
('360203','珠山区','county','360200','division',NULL,NULL,NULL,'shipped'),
('360222','浮梁县','county','360200','division',NULL,NULL,NULL,'shipped'),
('360281','乐平市','county','360200','division',NULL,NULL,NULL,'shipped'),
('360300','萍乡市','prefecture','360000','division',NULL,NULL,NULL,'shipped'),
('360302','安源区','county','360300','division',NULL,NULL,NULL,'shipped'),
('360313','湘东区','county','360300','division',NULL,NULL,NULL,'shipped'),
('360321','莲花县','county','360300','division',NULL,NULL,NULL,'shipped'),
('360322','上栗县','county','360300','division',NULL,NULL,NULL,'shipped'),
('360323','芦溪县','county','360300','division',NULL,NULL,NULL,'shipped'),
('360400','九江市','prefecture','360000','division',NULL,NULL,NULL,'shipped'),
('360402','濂溪区','county','360400','division',NULL,NULL,NULL,'shipped'),
('360403','浔阳区','county','360400','division',NULL,NULL,NULL,'shipped'),
('360404','柴桑区','county','360400','division',NULL,NULL,NULL,'shipped'),
('360423','武宁县','county','360400','division',NULL,NULL,NULL,'shipped'),
('360424','修水县','county','360400','division',NULL,NULL,NULL,'shipped'),
('360425','永修县','county','360400','division',NULL,NULL,NULL,'shipped'),
('360426','德安县','county','360400','division',NULL,NULL,NULL,'shipped'),
('360428','都昌县','county','360400','division',NULL,NULL,NULL,'shipped'),
('360429','湖口县','county','360400','division',NULL,NULL,NULL,'shipped'),
('360430','彭泽县','county','360400','division',NULL,NULL,NULL,'shipped'),
('360481','瑞昌市','county','360400','division',NULL,NULL,NULL,'shipped'),
('360482','共青城市','county','360400','division',NULL,NULL,NULL,'shipped'),
('360483','庐山市','county','360400','division',NULL,NULL,NULL,'shipped'),
('360500','新余市','prefecture','360000','division',NULL,NULL,NULL,'shipped'),
('360502','渝水区','county','360500','division',NULL,NULL,NULL,'shipped'),
('360521','分宜县','county','360500','division',NULL,NULL,NULL,'shipped'),
('360600','鹰潭市','prefecture','360000','division',NULL,NULL,NULL,'shipped'),
('360602','月湖区','county','360600','division',NULL,NULL,NULL,'shipped'),
('360603','余江区','county','360600','division',NULL,NULL,NULL,'shipped'),
('360681','贵溪市','county','360600','division',NULL,NULL,NULL,'shipped'),
('360700','赣州市','prefecture','360000','division',NULL,NULL,NULL,'shipped'),
('360702','章贡区','county','360700','division',NULL,NULL,NULL,'shipped'),
('360703','南康区','county','360700','division',NULL,NULL,NULL,'shipped'),
('360704','赣县区','county','360700','division',NULL,NULL,NULL,'shipped'),
('360722','信丰县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360723','大余县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360724','上犹县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360725','崇义县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360726','安远县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360728','定南县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360729','全南县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360730','宁都县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360731','于都县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360732','兴国县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360733','会昌县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360734','寻乌县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360735','石城县','county','360700','division',NULL,NULL,NULL,'shipped'),
('360781','瑞金市','county','360700','division',NULL,NULL,NULL,'shipped'),
('360783','龙南市','county','360700','division',NULL,NULL,NULL,'shipped'),
('360800','吉安市','prefecture','360000','division',NULL,NULL,NULL,'shipped'),
('360802','吉州区','county','360800','division',NULL,NULL,NULL,'shipped'),
('360803','青原区','county','360800','division',NULL,NULL,NULL,'shipped'),
('360821','吉安县','county','360800','division',NULL,NULL,NULL,'shipped'),
('360822','吉水县','county','360800','division',NULL,NULL,NULL,'shipped'),
('360823','峡江县','county','360800','division',NULL,NULL,NULL,'shipped'),
('360824','新干县','county','360800','division',NULL,NULL,NULL,'shipped'),
('360825','永丰县','county','360800','division',NULL,NULL,NULL,'shipped'),
('360826','泰和县','county','360800','division',NULL,NULL,NULL,'shipped'),
('360827','遂川县','county','360800','division',NULL,NULL,NULL,'shipped'),
('360828','万安县','county','360800','division',NULL,NULL,NULL,'shipped'),
('360829','安福县','county','360800','division',NULL,NULL,NULL,'shipped'),
('360830','永新县','county','360800','division',NULL,NULL,NULL,'shipped'),
('360881','井冈山市','county','360800','division',NULL,NULL,NULL,'shipped'),
('360900','宜春市','prefecture','360000','division',NULL,NULL,NULL,'shipped'),
('360902','袁州区','county','360900','division',NULL,NULL,NULL,'shipped'),
('360921','奉新县','county','360900','division',NULL,NULL,NULL,'shipped'),
('360922','万载县','county','360900','division',NULL,NULL,NULL,'shipped'),
('360923','上高县','county','360900','division',NULL,NULL,NULL,'shipped'),
('360924','宜丰县','county','360900','division',NULL,NULL,NULL,'shipped'),
('360925','靖安县','county','360900','division',NULL,NULL,NULL,'shipped'),
('360926','铜鼓县','county','360900','division',NULL,NULL,NULL,'shipped'),
('360981','丰城市','county','360900','division',NULL,NULL,NULL,'shipped'),
('360982','樟树市','county','360900','division',NULL,NULL,NULL,'shipped'),
('360983','高安市','county','360900','division',NULL,NULL,NULL,'shipped'),
('361000','抚州市','prefecture','360000','division',NULL,NULL,NULL,'shipped'),
('361002','临川区','county','361000','division',NULL,NULL,NULL,'shipped'),
('361003','东乡区','county','361000','division',NULL,NULL,NULL,'shipped'),
('361021','南城县','county','361000','division',NULL,NULL,NULL,'shipped'),
('361022','黎川县','county','361000','division',NULL,NULL,NULL,'shipped'),
('361023','南丰县','county','361000','division',NULL,NULL,NULL,'shipped'),
('361024','崇仁县','county','361000','division',NULL,NULL,NULL,'shipped'),
('361025','乐安县','county','361000','division',NULL,NULL,NULL,'shipped'),
('361026','宜黄县','county','361000','division',NULL,NULL,NULL,'shipped'),
('361027','金溪县','county','361000','division',NULL,NULL,NULL,'shipped'),
('361028','资溪县','county','361000','division',NULL,NULL,NULL,'shipped'),
('361030','广昌县','county','361000','division',NULL,NULL,NULL,'shipped'),
('361100','上饶市','prefecture','360000','division',NULL,NULL,NULL,'shipped'),
('361102','信州区','county','361100','division',NULL,NULL,NULL,'shipped'),
('361103','广丰区','county','361100','division',NULL,NULL,NULL,'shipped'),
('361104','广信区','county','361100','division',NULL,NULL,NULL,'shipped'),
('361123','玉山县','county','361100','division',NULL,NULL,NULL,'shipped'),
('361124','铅山县','county','361100','division',NULL,NULL,NULL,'shipped'),
('361125','横峰县','county','361100','division',NULL,NULL,NULL,'shipped'),
('361126','弋阳县','county','361100','division',NULL,NULL,NULL,'shipped'),
('361127','余干县','county','361100','division',NULL,NULL,NULL,'shipped'),
('361128','鄱阳县','county','361100','division',NULL,NULL,NULL,'shipped'),
('361129','万年县','county','361100','division',NULL,NULL,NULL,'shipped'),
('361130','婺源县','county','361100','division',NULL,NULL,NULL,'shipped'),
('361181','德兴市','county','361100','division',NULL,NULL,NULL,'shipped'),
('370000','山东省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('370100','济南市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('370102','历下区','county','370100','division',NULL,NULL,NULL,'shipped'),
('370103','市中区','county','370100','division',NULL,NULL,NULL,'shipped'),
('370104','槐荫区','county','370100','division',NULL,NULL,NULL,'shipped'),
('370105','天桥区','county','370100','division',NULL,NULL,NULL,'shipped'),
('370112','历城区','county','370100','division',NULL,NULL,NULL,'shipped'),
('370113','长清区','county','370100','division',NULL,NULL,NULL,'shipped'),
('370114','章丘区','county','370100','division',NULL,NULL,NULL,'shipped'),
('370115','济阳区','county','370100','division',NULL,NULL,NULL,'shipped'),
('370116','莱芜区','county','370100','division',NULL,NULL,NULL,'shipped'),
('370117','钢城区','county','370100','division',NULL,NULL,NULL,'shipped'),
('370124','平阴县','county','370100','division',NULL,NULL,NULL,'shipped'),
('370126','商河县','county','370100','division',NULL,NULL,NULL,'shipped'),
('370176','济南高新技术产业开发区','county','370100','statistical_zone',NULL,NULL,NULL,'shipped'),
('370200','青岛市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('370202','市南区','county','370200','division',NULL,NULL,NULL,'shipped'),
('370203','市北区','county','370200','division',NULL,NULL,NULL,'shipped'),
('370211','黄岛区','county','370200','division',NULL,NULL,NULL,'shipped'),
('370212','崂山区','county','370200','division',NULL,NULL,NULL,'shipped'),
('370213','李沧区','county','370200','division',NULL,NULL,NULL,'shipped'),
('370214','城阳区','county','370200','division',NULL,NULL,NULL,'shipped'),
('370215','即墨区','county','370200','division',NULL,NULL,NULL,'shipped'),
('370281','胶州市','county','370200','division',NULL,NULL,NULL,'shipped'),
('370283','平度市','county','370200','division',NULL,NULL,NULL,'shipped'),
('370285','莱西市','county','370200','division',NULL,NULL,NULL,'shipped'),
('370300','淄博市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('370302','淄川区','county','370300','division',NULL,NULL,NULL,'shipped'),
('370303','张店区','county','370300','division',NULL,NULL,NULL,'shipped'),
('370304','博山区','county','370300','division',NULL,NULL,NULL,'shipped'),
('370305','临淄区','county','370300','division',NULL,NULL,NULL,'shipped'),
('370306','周村区','county','370300','division',NULL,NULL,NULL,'shipped'),
('370321','桓台县','county','370300','division',NULL,NULL,NULL,'shipped'),
('370322','高青县','county','370300','division',NULL,NULL,NULL,'shipped'),
('370323','沂源县','county','370300','division',NULL,NULL,NULL,'shipped'),
('370400','枣庄市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('370402','市中区','county','370400','division',NULL,NULL,NULL,'shipped'),
('370403','薛城区','county','370400','division',NULL,NULL,NULL,'shipped'),
('370404','峄城区','county','370400','division',NULL,NULL,NULL,'shipped'),
('370405','台儿庄区','county','370400','division',NULL,NULL,NULL,'shipped'),
('370406','山亭区','county','370400','division',NULL,NULL,NULL,'shipped'),
('370481','滕州市','county','370400','division',NULL,NULL,NULL,'shipped'),
('370500','东营市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('370502','东营区','county','370500','division',NULL,NULL,NULL,'shipped'),
('370503','河口区','county','370500','division',NULL,NULL,NULL,'shipped'),
('370505','垦利区','county','370500','division',NULL,NULL,NULL,'shipped'),
('370522','利津县','county','370500','division',NULL,NULL,NULL,'shipped'),
('370523','广饶县','county','370500','division',NULL,NULL,NULL,'shipped'),
('370571','东营经济技术开发区','county','370500','statistical_zone',NULL,NULL,NULL,'shipped'),
('370572','东营港经济开发区','county','370500','statistical_zone',NULL,NULL,NULL,'shipped'),
('370600','烟台市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('370602','芝罘区','county','370600','division',NULL,NULL,NULL,'shipped'),
('370611','福山区','county','370600','division',NULL,NULL,NULL,'shipped'),
('370612','牟平区','county','370600','division',NULL,NULL,NULL,'shipped'),
('370613','莱山区','county','370600','division',NULL,NULL,NULL,'shipped'),
('370614','蓬莱区','county','370600','division',NULL,NULL,NULL,'shipped'),
('370671','烟台高新技术产业开发区','county','370600','statistical_zone',NULL,NULL,NULL,'shipped'),
('370676','烟台经济技术开发区','county','370600','statistical_zone',NULL,NULL,NULL,'shipped'),
('370681','龙口市','county','370600','division',NULL,NULL,NULL,'shipped'),
('370682','莱阳市','county','370600','division',NULL,NULL,NULL,'shipped'),
('370683','莱州市','county','370600','division',NULL,NULL,NULL,'shipped'),
('370685','招远市','county','370600','division',NULL,NULL,NULL,'shipped'),
('370686','栖霞市','county','370600','division',NULL,NULL,NULL,'shipped'),
('370687','海阳市','county','370600','division',NULL,NULL,NULL,'shipped'),
('370700','潍坊市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('370702','潍城区','county','370700','division',NULL,NULL,NULL,'shipped'),
('370703','寒亭区','county','370700','division',NULL,NULL,NULL,'shipped'),
('370704','坊子区','county','370700','division',NULL,NULL,NULL,'shipped'),
('370705','奎文区','county','370700','division',NULL,NULL,NULL,'shipped'),
('370724','临朐县','county','370700','division',NULL,NULL,NULL,'shipped'),
('370725','昌乐县','county','370700','division',NULL,NULL,NULL,'shipped'),
('370772','潍坊滨海经济技术开发区','county','370700','statistical_zone',NULL,NULL,NULL,'shipped'),
('370781','青州市','county','370700','division',NULL,NULL,NULL,'shipped'),
('370782','诸城市','county','370700','division',NULL,NULL,NULL,'shipped'),
('370783','寿光市','county','370700','division',NULL,NULL,NULL,'shipped'),
('370784','安丘市','county','370700','division',NULL,NULL,NULL,'shipped'),
('370785','高密市','county','370700','division',NULL,NULL,NULL,'shipped'),
('370786','昌邑市','county','370700','division',NULL,NULL,NULL,'shipped'),
('370800','济宁市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('370811','任城区','county','370800','division',NULL,NULL,NULL,'shipped'),
('370812','兖州区','county','370800','division',NULL,NULL,NULL,'shipped'),
('370826','微山县','county','370800','division',NULL,NULL,NULL,'shipped'),
('370827','鱼台县','county','370800','division',NULL,NULL,NULL,'shipped'),
('370828','金乡县','county','370800','division',NULL,NULL,NULL,'shipped'),
('370829','嘉祥县','county','370800','division',NULL,NULL,NULL,'shipped'),
('370830','汶上县','county','370800','division',NULL,NULL,NULL,'shipped'),
('370831','泗水县','county','370800','division',NULL,NULL,NULL,'shipped'),
('370832','梁山县','county','370800','division',NULL,NULL,NULL,'shipped'),
('370871','济宁高新技术产业开发区','county','370800','statistical_zone',NULL,NULL,NULL,'shipped'),
('370881','曲阜市','county','370800','division',NULL,NULL,NULL,'shipped'),
('370883','邹城市','county','370800','division',NULL,NULL,NULL,'shipped'),
('370900','泰安市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('370902','泰山区','county','370900','division',NULL,NULL,NULL,'shipped'),
('370911','岱岳区','county','370900','division',NULL,NULL,NULL,'shipped'),
('370921','宁阳县','county','370900','division',NULL,NULL,NULL,'shipped'),
('370923','东平县','county','370900','division',NULL,NULL,NULL,'shipped'),
('370982','新泰市','county','370900','division',NULL,NULL,NULL,'shipped'),
('370983','肥城市','county','370900','division',NULL,NULL,NULL,'shipped'),
('371000','威海市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('371002','环翠区','county','371000','division',NULL,NULL,NULL,'shipped'),
('371003','文登区','county','371000','division',NULL,NULL,NULL,'shipped'),
('371071','威海火炬高技术产业开发区','county','371000','statistical_zone',NULL,NULL,NULL,'shipped'),
('371072','威海经济技术开发区','county','371000','statistical_zone',NULL,NULL,NULL,'shipped'),
('371073','威海临港经济技术开发区','county','371000','statistical_zone',NULL,NULL,NULL,'shipped'),
('371082','荣成市','county','371000','division',NULL,NULL,NULL,'shipped'),
('371083','乳山市','county','371000','division',NULL,NULL,NULL,'shipped'),
('371100','日照市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('371102','东港区','county','371100','division',NULL,NULL,NULL,'shipped'),
('371103','岚山区','county','371100','division',NULL,NULL,NULL,'shipped'),
('371121','五莲县','county','371100','division',NULL,NULL,NULL,'shipped'),
('371122','莒县','county','371100','division',NULL,NULL,NULL,'shipped'),
('371171','日照经济技术开发区','county','371100','statistical_zone',NULL,NULL,NULL,'shipped'),
('371300','临沂市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('371302','兰山区','county','371300','division',NULL,NULL,NULL,'shipped'),
('371311','罗庄区','county','371300','division',NULL,NULL,NULL,'shipped'),
('371312','河东区','county','371300','division',NULL,NULL,NULL,'shipped'),
('371321','沂南县','county','371300','division',NULL,NULL,NULL,'shipped'),
('371322','郯城县','county','371300','division',NULL,NULL,NULL,'shipped'),
('371323','沂水县','county','371300','division',NULL,NULL,NULL,'shipped'),
('371324','兰陵县','county','371300','division',NULL,NULL,NULL,'shipped'),
('371325','费县','county','371300','division',NULL,NULL,NULL,'shipped'),
('371326','平邑县','county','371300','division',NULL,NULL,NULL,'shipped'),
('371327','莒南县','county','371300','division',NULL,NULL,NULL,'shipped'),
('371328','蒙阴县','county','371300','division',NULL,NULL,NULL,'shipped'),
('371329','临沭县','county','371300','division',NULL,NULL,NULL,'shipped'),
('371371','临沂高新技术产业开发区','county','371300','statistical_zone',NULL,NULL,NULL,'shipped'),
('371400','德州市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('371402','德城区','county','371400','division',NULL,NULL,NULL,'shipped'),
('371403','陵城区','county','371400','division',NULL,NULL,NULL,'shipped'),
('371422','宁津县','county','371400','division',NULL,NULL,NULL,'shipped'),
('371423','庆云县','county','371400','division',NULL,NULL,NULL,'shipped'),
('371424','临邑县','county','371400','division',NULL,NULL,NULL,'shipped'),
('371425','齐河县','county','371400','division',NULL,NULL,NULL,'shipped'),
('371426','平原县','county','371400','division',NULL,NULL,NULL,'shipped'),
('371427','夏津县','county','371400','division',NULL,NULL,NULL,'shipped'),
('371428','武城县','county','371400','division',NULL,NULL,NULL,'shipped'),
('371471','德州天衢新区','county','371400','statistical_zone',NULL,NULL,NULL,'shipped'),
('371481','乐陵市','county','371400','division',NULL,NULL,NULL,'shipped'),
('371482','禹城市','county','371400','division',NULL,NULL,NULL,'shipped'),
('371500','聊城市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('371502','东昌府区','county','371500','division',NULL,NULL,NULL,'shipped'),
('371503','茌平区','county','371500','division',NULL,NULL,NULL,'shipped'),
('371521','阳谷县','county','371500','division',NULL,NULL,NULL,'shipped'),
('371522','莘县','county','371500','division',NULL,NULL,NULL,'shipped'),
('371524','东阿县','county','371500','division',NULL,NULL,NULL,'shipped'),
('371525','冠县','county','371500','division',NULL,NULL,NULL,'shipped'),
('371526','高唐县','county','371500','division',NULL,NULL,NULL,'shipped'),
('371581','临清市','county','371500','division',NULL,NULL,NULL,'shipped'),
('371600','滨州市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('371602','滨城区','county','371600','division',NULL,NULL,NULL,'shipped'),
('371603','沾化区','county','371600','division',NULL,NULL,NULL,'shipped'),
('371621','惠民县','county','371600','division',NULL,NULL,NULL,'shipped'),
('371622','阳信县','county','371600','division',NULL,NULL,NULL,'shipped'),
('371623','无棣县','county','371600','division',NULL,NULL,NULL,'shipped'),
('371625','博兴县','county','371600','division',NULL,NULL,NULL,'shipped'),
('371681','邹平市','county','371600','division',NULL,NULL,NULL,'shipped'),
('371700','菏泽市','prefecture','370000','division',NULL,NULL,NULL,'shipped'),
('371702','牡丹区','county','371700','division',NULL,NULL,NULL,'shipped'),
('371703','定陶区','county','371700','division',NULL,NULL,NULL,'shipped'),
('371721','曹县','county','371700','division',NULL,NULL,NULL,'shipped'),
('371722','单县','county','371700','division',NULL,NULL,NULL,'shipped'),
('371723','成武县','county','371700','division',NULL,NULL,NULL,'shipped'),
('371724','巨野县','county','371700','division',NULL,NULL,NULL,'shipped'),
('371725','郓城县','county','371700','division',NULL,NULL,NULL,'shipped'),
('371726','鄄城县','county','371700','division',NULL,NULL,NULL,'shipped'),
('371728','东明县','county','371700','division',NULL,NULL,NULL,'shipped'),
('371771','菏泽经济技术开发区','county','371700','statistical_zone',NULL,NULL,NULL,'shipped'),
('371772','菏泽高新技术开发区','county','371700','statistical_zone',NULL,NULL,NULL,'shipped'),
('410000','河南省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('410100','郑州市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('410102','中原区','county','410100','division',NULL,NULL,NULL,'shipped'),
('410103','二七区','county','410100','division',NULL,NULL,NULL,'shipped'),
('410104','管城回族区','county','410100','division',NULL,NULL,NULL,'shipped'),
('410105','金水区','county','410100','division',NULL,NULL,NULL,'shipped'),
('410106','上街区','county','410100','division',NULL,NULL,NULL,'shipped'),
('410108','惠济区','county','410100','division',NULL,NULL,NULL,'shipped'),
('410122','中牟县','county','410100','division',NULL,NULL,NULL,'shipped'),
('410171','郑州经济技术开发区','county','410100','statistical_zone',NULL,NULL,NULL,'shipped'),
('410172','郑州高新技术产业开发区','county','410100','statistical_zone',NULL,NULL,NULL,'shipped'),
('410173','郑州航空港经济综合实验区','county','410100','statistical_zone',NULL,NULL,NULL,'shipped'),
('410181','巩义市','county','410100','division',NULL,NULL,NULL,'shipped'),
('410182','荥阳市','county','410100','division',NULL,NULL,NULL,'shipped'),
('410183','新密市','county','410100','division',NULL,NULL,NULL,'shipped'),
('410184','新郑市','county','410100','division',NULL,NULL,NULL,'shipped'),
('410185','登封市','county','410100','division',NULL,NULL,NULL,'shipped'),
('410200','开封市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('410202','龙亭区','county','410200','division',NULL,NULL,NULL,'shipped'),
('410203','顺河回族区','county','410200','division',NULL,NULL,NULL,'shipped'),
('410204','鼓楼区','county','410200','division',NULL,NULL,NULL,'shipped'),
('410205','禹王台区','county','410200','division',NULL,NULL,NULL,'shipped'),
('410212','祥符区','county','410200','division',NULL,NULL,NULL,'shipped'),
('410221','杞县','county','410200','division',NULL,NULL,NULL,'shipped'),
('410222','通许县','county','410200','division',NULL,NULL,NULL,'shipped'),
('410223','尉氏县','county','410200','division',NULL,NULL,NULL,'shipped'),
('410225','兰考县','county','410200','division',NULL,NULL,NULL,'shipped'),
('410300','洛阳市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('410302','老城区','county','410300','division',NULL,NULL,NULL,'shipped'),
('410303','西工区','county','410300','division',NULL,NULL,NULL,'shipped'),
('410304','瀍河回族区','county','410300','division',NULL,NULL,NULL,'shipped'),
('410305','涧西区','county','410300','division',NULL,NULL,NULL,'shipped'),
('410307','偃师区','county','410300','division',NULL,NULL,NULL,'shipped'),
('410308','孟津区','county','410300','division',NULL,NULL,NULL,'shipped'),
('410311','洛龙区','county','410300','division',NULL,NULL,NULL,'shipped'),
('410323','新安县','county','410300','division',NULL,NULL,NULL,'shipped'),
('410324','栾川县','county','410300','division',NULL,NULL,NULL,'shipped'),
('410325','嵩县','county','410300','division',NULL,NULL,NULL,'shipped'),
('410326','汝阳县','county','410300','division',NULL,NULL,NULL,'shipped'),
('410327','宜阳县','county','410300','division',NULL,NULL,NULL,'shipped'),
('410328','洛宁县','county','410300','division',NULL,NULL,NULL,'shipped'),
('410329','伊川县','county','410300','division',NULL,NULL,NULL,'shipped'),
('410371','洛阳高新技术产业开发区','county','410300','statistical_zone',NULL,NULL,NULL,'shipped'),
('410400','平顶山市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('410402','新华区','county','410400','division',NULL,NULL,NULL,'shipped'),
('410403','卫东区','county','410400','division',NULL,NULL,NULL,'shipped'),
('410404','石龙区','county','410400','division',NULL,NULL,NULL,'shipped'),
('410411','湛河区','county','410400','division',NULL,NULL,NULL,'shipped'),
('410421','宝丰县','county','410400','division',NULL,NULL,NULL,'shipped'),
('410422','叶县','county','410400','division',NULL,NULL,NULL,'shipped'),
('410423','鲁山县','county','410400','division',NULL,NULL,NULL,'shipped'),
('410425','郏县','county','410400','division',NULL,NULL,NULL,'shipped'),
('410471','平顶山高新技术产业开发区','county','410400','statistical_zone',NULL,NULL,NULL,'shipped'),
('410472','平顶山市城乡一体化示范区','county','410400','statistical_zone',NULL,NULL,NULL,'shipped'),
('410481','舞钢市','county','410400','division',NULL,NULL,NULL,'shipped'),
('410482','汝州市','county','410400','division',NULL,NULL,NULL,'shipped'),
('410500','安阳市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('410502','文峰区','county','410500','division',NULL,NULL,NULL,'shipped'),
('410503','北关区','county','410500','division',NULL,NULL,NULL,'shipped'),
('410505','殷都区','county','410500','division',NULL,NULL,NULL,'shipped'),
('410506','龙安区','county','410500','division',NULL,NULL,NULL,'shipped'),
('410522','安阳县','county','410500','division',NULL,NULL,NULL,'shipped'),
('410523','汤阴县','county','410500','division',NULL,NULL,NULL,'shipped'),
('410526','滑县','county','410500','division',NULL,NULL,NULL,'shipped'),
('410527','内黄县','county','410500','division',NULL,NULL,NULL,'shipped'),
('410571','安阳高新技术产业开发区','county','410500','statistical_zone',NULL,NULL,NULL,'shipped'),
('410581','林州市','county','410500','division',NULL,NULL,NULL,'shipped'),
('410600','鹤壁市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('410602','鹤山区','county','410600','division',NULL,NULL,NULL,'shipped'),
('410603','山城区','county','410600','division',NULL,NULL,NULL,'shipped'),
('410611','淇滨区','county','410600','division',NULL,NULL,NULL,'shipped'),
('410621','浚县','county','410600','division',NULL,NULL,NULL,'shipped'),
('410622','淇县','county','410600','division',NULL,NULL,NULL,'shipped'),
('410671','鹤壁经济技术开发区','county','410600','statistical_zone',NULL,NULL,NULL,'shipped'),
('410700','新乡市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('410702','红旗区','county','410700','division',NULL,NULL,NULL,'shipped'),
('410703','卫滨区','county','410700','division',NULL,NULL,NULL,'shipped'),
('410704','凤泉区','county','410700','division',NULL,NULL,NULL,'shipped'),
('410711','牧野区','county','410700','division',NULL,NULL,NULL,'shipped'),
('410721','新乡县','county','410700','division',NULL,NULL,NULL,'shipped'),
('410724','获嘉县','county','410700','division',NULL,NULL,NULL,'shipped'),
('410725','原阳县','county','410700','division',NULL,NULL,NULL,'shipped'),
('410726','延津县','county','410700','division',NULL,NULL,NULL,'shipped'),
('410727','封丘县','county','410700','division',NULL,NULL,NULL,'shipped'),
('410771','新乡高新技术产业开发区','county','410700','statistical_zone',NULL,NULL,NULL,'shipped'),
('410772','新乡经济技术开发区','county','410700','statistical_zone',NULL,NULL,NULL,'shipped'),
('410773','新乡市平原城乡一体化示范区','county','410700','statistical_zone',NULL,NULL,NULL,'shipped'),
('410781','卫辉市','county','410700','division',NULL,NULL,NULL,'shipped'),
('410782','辉县市','county','410700','division',NULL,NULL,NULL,'shipped'),
('410783','长垣市','county','410700','division',NULL,NULL,NULL,'shipped'),
('410800','焦作市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('410802','解放区','county','410800','division',NULL,NULL,NULL,'shipped'),
('410803','中站区','county','410800','division',NULL,NULL,NULL,'shipped'),
('410804','马村区','county','410800','division',NULL,NULL,NULL,'shipped'),
('410811','山阳区','county','410800','division',NULL,NULL,NULL,'shipped'),
('410821','修武县','county','410800','division',NULL,NULL,NULL,'shipped'),
('410822','博爱县','county','410800','division',NULL,NULL,NULL,'shipped'),
('410823','武陟县','county','410800','division',NULL,NULL,NULL,'shipped'),
('410825','温县','county','410800','division',NULL,NULL,NULL,'shipped'),
('410871','焦作城乡一体化示范区','county','410800','statistical_zone',NULL,NULL,NULL,'shipped'),
('410882','沁阳市','county','410800','division',NULL,NULL,NULL,'shipped'),
('410883','孟州市','county','410800','division',NULL,NULL,NULL,'shipped'),
('410900','濮阳市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('410902','华龙区','county','410900','division',NULL,NULL,NULL,'shipped'),
('410922','清丰县','county','410900','division',NULL,NULL,NULL,'shipped'),
('410923','南乐县','county','410900','division',NULL,NULL,NULL,'shipped'),
('410926','范县','county','410900','division',NULL,NULL,NULL,'shipped'),
('410927','台前县','county','410900','division',NULL,NULL,NULL,'shipped'),
('410928','濮阳县','county','410900','division',NULL,NULL,NULL,'shipped'),
('410971','河南濮阳工业园区','county','410900','statistical_zone',NULL,NULL,NULL,'shipped'),
('410972','濮阳经济技术开发区','county','410900','statistical_zone',NULL,NULL,NULL,'shipped'),
('411000','许昌市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('411002','魏都区','county','411000','division',NULL,NULL,NULL,'shipped'),
('411003','建安区','county','411000','division',NULL,NULL,NULL,'shipped'),
('411024','鄢陵县','county','411000','division',NULL,NULL,NULL,'shipped'),
('411025','襄城县','county','411000','division',NULL,NULL,NULL,'shipped'),
('411071','许昌经济技术开发区','county','411000','statistical_zone',NULL,NULL,NULL,'shipped'),
('411081','禹州市','county','411000','division',NULL,NULL,NULL,'shipped'),
('411082','长葛市','county','411000','division',NULL,NULL,NULL,'shipped'),
('411100','漯河市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('411102','源汇区','county','411100','division',NULL,NULL,NULL,'shipped'),
('411103','郾城区','county','411100','division',NULL,NULL,NULL,'shipped'),
('411104','召陵区','county','411100','division',NULL,NULL,NULL,'shipped'),
('411121','舞阳县','county','411100','division',NULL,NULL,NULL,'shipped'),
('411122','临颍县','county','411100','division',NULL,NULL,NULL,'shipped'),
('411171','漯河经济技术开发区','county','411100','statistical_zone',NULL,NULL,NULL,'shipped'),
('411200','三门峡市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('411202','湖滨区','county','411200','division',NULL,NULL,NULL,'shipped'),
('411203','陕州区','county','411200','division',NULL,NULL,NULL,'shipped'),
('411221','渑池县','county','411200','division',NULL,NULL,NULL,'shipped'),
('411224','卢氏县','county','411200','division',NULL,NULL,NULL,'shipped'),
('411271','河南三门峡经济开发区','county','411200','statistical_zone',NULL,NULL,NULL,'shipped'),
('411281','义马市','county','411200','division',NULL,NULL,NULL,'shipped'),
('411282','灵宝市','county','411200','division',NULL,NULL,NULL,'shipped'),
('411300','南阳市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('411302','宛城区','county','411300','division',NULL,NULL,NULL,'shipped'),
('411303','卧龙区','county','411300','division',NULL,NULL,NULL,'shipped'),
('411321','南召县','county','411300','division',NULL,NULL,NULL,'shipped'),
('411322','方城县','county','411300','division',NULL,NULL,NULL,'shipped'),
('411323','西峡县','county','411300','division',NULL,NULL,NULL,'shipped'),
('411324','镇平县','county','411300','division',NULL,NULL,NULL,'shipped'),
('411325','内乡县','county','411300','division',NULL,NULL,NULL,'shipped'),
('411326','淅川县','county','411300','division',NULL,NULL,NULL,'shipped'),
('411327','社旗县','county','411300','division',NULL,NULL,NULL,'shipped'),
('411328','唐河县','county','411300','division',NULL,NULL,NULL,'shipped'),
('411329','新野县','county','411300','division',NULL,NULL,NULL,'shipped'),
('411330','桐柏县','county','411300','division',NULL,NULL,NULL,'shipped'),
('411371','南阳高新技术产业开发区','county','411300','statistical_zone',NULL,NULL,NULL,'shipped'),
('411372','南阳市城乡一体化示范区','county','411300','statistical_zone',NULL,NULL,NULL,'shipped'),
('411381','邓州市','county','411300','division',NULL,NULL,NULL,'shipped'),
('411400','商丘市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('411402','梁园区','county','411400','division',NULL,NULL,NULL,'shipped'),
('411403','睢阳区','county','411400','division',NULL,NULL,NULL,'shipped'),
('411421','民权县','county','411400','division',NULL,NULL,NULL,'shipped'),
('411422','睢县','county','411400','division',NULL,NULL,NULL,'shipped'),
('411423','宁陵县','county','411400','division',NULL,NULL,NULL,'shipped'),
('411424','柘城县','county','411400','division',NULL,NULL,NULL,'shipped'),
('411425','虞城县','county','411400','division',NULL,NULL,NULL,'shipped'),
('411426','夏邑县','county','411400','division',NULL,NULL,NULL,'shipped'),
('411471','豫东综合物流产业聚集区','county','411400','statistical_zone',NULL,NULL,NULL,'shipped'),
('411472','河南商丘经济开发区','county','411400','statistical_zone',NULL,NULL,NULL,'shipped'),
('411481','永城市','county','411400','division',NULL,NULL,NULL,'shipped'),
('411500','信阳市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('411502','浉河区','county','411500','division',NULL,NULL,NULL,'shipped'),
('411503','平桥区','county','411500','division',NULL,NULL,NULL,'shipped'),
('411521','罗山县','county','411500','division',NULL,NULL,NULL,'shipped'),
('411522','光山县','county','411500','division',NULL,NULL,NULL,'shipped'),
('411523','新县','county','411500','division',NULL,NULL,NULL,'shipped'),
('411524','商城县','county','411500','division',NULL,NULL,NULL,'shipped'),
('411525','固始县','county','411500','division',NULL,NULL,NULL,'shipped'),
('411526','潢川县','county','411500','division',NULL,NULL,NULL,'shipped'),
('411527','淮滨县','county','411500','division',NULL,NULL,NULL,'shipped'),
('411528','息县','county','411500','division',NULL,NULL,NULL,'shipped'),
('411571','信阳高新技术产业开发区','county','411500','statistical_zone',NULL,NULL,NULL,'shipped'),
('411600','周口市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('411602','川汇区','county','411600','division',NULL,NULL,NULL,'shipped'),
('411603','淮阳区','county','411600','division',NULL,NULL,NULL,'shipped'),
('411621','扶沟县','county','411600','division',NULL,NULL,NULL,'shipped'),
('411622','西华县','county','411600','division',NULL,NULL,NULL,'shipped'),
('411623','商水县','county','411600','division',NULL,NULL,NULL,'shipped'),
('411624','沈丘县','county','411600','division',NULL,NULL,NULL,'shipped'),
('411625','郸城县','county','411600','division',NULL,NULL,NULL,'shipped'),
('411627','太康县','county','411600','division',NULL,NULL,NULL,'shipped'),
('411628','鹿邑县','county','411600','division',NULL,NULL,NULL,'shipped'),
('411671','周口临港开发区','county','411600','statistical_zone',NULL,NULL,NULL,'shipped'),
('411681','项城市','county','411600','division',NULL,NULL,NULL,'shipped'),
('411700','驻马店市','prefecture','410000','division',NULL,NULL,NULL,'shipped'),
('411702','驿城区','county','411700','division',NULL,NULL,NULL,'shipped'),
('411721','西平县','county','411700','division',NULL,NULL,NULL,'shipped'),
('411722','上蔡县','county','411700','division',NULL,NULL,NULL,'shipped'),
('411723','平舆县','county','411700','division',NULL,NULL,NULL,'shipped'),
('411724','正阳县','county','411700','division',NULL,NULL,NULL,'shipped'),
('411725','确山县','county','411700','division',NULL,NULL,NULL,'shipped'),
('411726','泌阳县','county','411700','division',NULL,NULL,NULL,'shipped'),
('411727','汝南县','county','411700','division',NULL,NULL,NULL,'shipped'),
('411728','遂平县','county','411700','division',NULL,NULL,NULL,'shipped'),
('411729','新蔡县','county','411700','division',NULL,NULL,NULL,'shipped'),
('411771','河南驻马店经济开发区','county','411700','statistical_zone',NULL,NULL,NULL,'shipped'),
('419000','省直辖县级行政区划','prefecture','410000','placeholder',NULL,NULL,NULL,'shipped'),
('419001','济源市','county','410000','division',NULL,NULL,NULL,'shipped'),
('420000','湖北省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('420100','武汉市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('420102','江岸区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420103','江汉区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420104','硚口区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420105','汉阳区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420106','武昌区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420107','青山区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420111','洪山区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420112','东西湖区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420113','汉南区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420114','蔡甸区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420115','江夏区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420116','黄陂区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420117','新洲区','county','420100','division',NULL,NULL,NULL,'shipped'),
('420200','黄石市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('420202','黄石港区','county','420200','division',NULL,NULL,NULL,'shipped'),
('420203','西塞山区','county','420200','division',NULL,NULL,NULL,'shipped'),
('420204','下陆区','county','420200','division',NULL,NULL,NULL,'shipped'),
('420205','铁山区','county','420200','division',NULL,NULL,NULL,'shipped'),
('420222','阳新县','county','420200','division',NULL,NULL,NULL,'shipped'),
('420281','大冶市','county','420200','division',NULL,NULL,NULL,'shipped'),
('420300','十堰市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('420302','茅箭区','county','420300','division',NULL,NULL,NULL,'shipped'),
('420303','张湾区','county','420300','division',NULL,NULL,NULL,'shipped'),
('420304','郧阳区','county','420300','division',NULL,NULL,NULL,'shipped'),
('420322','郧西县','county','420300','division',NULL,NULL,NULL,'shipped'),
('420323','竹山县','county','420300','division',NULL,NULL,NULL,'shipped'),
('420324','竹溪县','county','420300','division',NULL,NULL,NULL,'shipped'),
('420325','房县','county','420300','division',NULL,NULL,NULL,'shipped'),
('420381','丹江口市','county','420300','division',NULL,NULL,NULL,'shipped'),
('420500','宜昌市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('420502','西陵区','county','420500','division',NULL,NULL,NULL,'shipped'),
('420503','伍家岗区','county','420500','division',NULL,NULL,NULL,'shipped'),
('420504','点军区','county','420500','division',NULL,NULL,NULL,'shipped'),
('420505','猇亭区','county','420500','division',NULL,NULL,NULL,'shipped'),
('420506','夷陵区','county','420500','division',NULL,NULL,NULL,'shipped'),
('420525','远安县','county','420500','division',NULL,NULL,NULL,'shipped'),
('420526','兴山县','county','420500','division',NULL,NULL,NULL,'shipped'),
('420527','秭归县','county','420500','division',NULL,NULL,NULL,'shipped'),
('420528','长阳土家族自治县','county','420500','division',NULL,NULL,NULL,'shipped'),
('420529','五峰土家族自治县','county','420500','division',NULL,NULL,NULL,'shipped'),
('420581','宜都市','county','420500','division',NULL,NULL,NULL,'shipped'),
('420582','当阳市','county','420500','division',NULL,NULL,NULL,'shipped'),
('420583','枝江市','county','420500','division',NULL,NULL,NULL,'shipped'),
('420600','襄阳市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('420602','襄城区','county','420600','division',NULL,NULL,NULL,'shipped'),
('420606','樊城区','county','420600','division',NULL,NULL,NULL,'shipped'),
('420607','襄州区','county','420600','division',NULL,NULL,NULL,'shipped'),
('420624','南漳县','county','420600','division',NULL,NULL,NULL,'shipped'),
('420625','谷城县','county','420600','division',NULL,NULL,NULL,'shipped'),
('420626','保康县','county','420600','division',NULL,NULL,NULL,'shipped'),
('420682','老河口市','county','420600','division',NULL,NULL,NULL,'shipped'),
('420683','枣阳市','county','420600','division',NULL,NULL,NULL,'shipped'),
('420684','宜城市','county','420600','division',NULL,NULL,NULL,'shipped'),
('420700','鄂州市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('420702','梁子湖区','county','420700','division',NULL,NULL,NULL,'shipped'),
('420703','华容区','county','420700','division',NULL,NULL,NULL,'shipped'),
('420704','鄂城区','county','420700','division',NULL,NULL,NULL,'shipped'),
('420800','荆门市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('420802','东宝区','county','420800','division',NULL,NULL,NULL,'shipped'),
('420804','掇刀区','county','420800','division',NULL,NULL,NULL,'shipped'),
('420822','沙洋县','county','420800','division',NULL,NULL,NULL,'shipped'),
('420881','钟祥市','county','420800','division',NULL,NULL,NULL,'shipped'),
('420882','京山市','county','420800','division',NULL,NULL,NULL,'shipped'),
('420900','孝感市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('420902','孝南区','county','420900','division',NULL,NULL,NULL,'shipped'),
('420921','孝昌县','county','420900','division',NULL,NULL,NULL,'shipped'),
('420922','大悟县','county','420900','division',NULL,NULL,NULL,'shipped'),
('420923','云梦县','county','420900','division',NULL,NULL,NULL,'shipped'),
('420981','应城市','county','420900','division',NULL,NULL,NULL,'shipped'),
('420982','安陆市','county','420900','division',NULL,NULL,NULL,'shipped'),
('420984','汉川市','county','420900','division',NULL,NULL,NULL,'shipped'),
('421000','荆州市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('421002','沙市区','county','421000','division',NULL,NULL,NULL,'shipped'),
('421003','荆州区','county','421000','division',NULL,NULL,NULL,'shipped'),
('421022','公安县','county','421000','division',NULL,NULL,NULL,'shipped'),
('421024','江陵县','county','421000','division',NULL,NULL,NULL,'shipped'),
('421071','荆州经济技术开发区','county','421000','statistical_zone',NULL,NULL,NULL,'shipped'),
('421081','石首市','county','421000','division',NULL,NULL,NULL,'shipped'),
('421083','洪湖市','county','421000','division',NULL,NULL,NULL,'shipped'),
('421087','松滋市','county','421000','division',NULL,NULL,NULL,'shipped'),
('421088','监利市','county','421000','division',NULL,NULL,NULL,'shipped'),
('421100','黄冈市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('421102','黄州区','county','421100','division',NULL,NULL,NULL,'shipped'),
('421121','团风县','county','421100','division',NULL,NULL,NULL,'shipped'),
('421122','红安县','county','421100','division',NULL,NULL,NULL,'shipped'),
('421123','罗田县','county','421100','division',NULL,NULL,NULL,'shipped'),
('421124','英山县','county','421100','division',NULL,NULL,NULL,'shipped'),
('421125','浠水县','county','421100','division',NULL,NULL,NULL,'shipped'),
('421126','蕲春县','county','421100','division',NULL,NULL,NULL,'shipped'),
('421127','黄梅县','county','421100','division',NULL,NULL,NULL,'shipped'),
('421171','龙感湖管理区','county','421100','statistical_zone',NULL,NULL,NULL,'shipped'),
('421181','麻城市','county','421100','division',NULL,NULL,NULL,'shipped'),
('421182','武穴市','county','421100','division',NULL,NULL,NULL,'shipped'),
('421200','咸宁市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('421202','咸安区','county','421200','division',NULL,NULL,NULL,'shipped'),
('421221','嘉鱼县','county','421200','division',NULL,NULL,NULL,'shipped'),
('421222','通城县','county','421200','division',NULL,NULL,NULL,'shipped'),
('421223','崇阳县','county','421200','division',NULL,NULL,NULL,'shipped'),
('421224','通山县','county','421200','division',NULL,NULL,NULL,'shipped'),
('421281','赤壁市','county','421200','division',NULL,NULL,NULL,'shipped'),
('421300','随州市','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('421303','曾都区','county','421300','division',NULL,NULL,NULL,'shipped'),
('421321','随县','county','421300','division',NULL,NULL,NULL,'shipped'),
('421381','广水市','county','421300','division',NULL,NULL,NULL,'shipped'),
('422800','恩施土家族苗族自治州','prefecture','420000','division',NULL,NULL,NULL,'shipped'),
('422801','恩施市','county','422800','division',NULL,NULL,NULL,'shipped'),
('422802','利川市','county','422800','division',NULL,NULL,NULL,'shipped'),
('422822','建始县','county','422800','division',NULL,NULL,NULL,'shipped'),
('422823','巴东县','county','422800','division',NULL,NULL,NULL,'shipped'),
('422825','宣恩县','county','422800','division',NULL,NULL,NULL,'shipped'),
('422826','咸丰县','county','422800','division',NULL,NULL,NULL,'shipped'),
('422827','来凤县','county','422800','division',NULL,NULL,NULL,'shipped'),
('422828','鹤峰县','county','422800','division',NULL,NULL,NULL,'shipped'),
('429000','省直辖县级行政区划','prefecture','420000','placeholder',NULL,NULL,NULL,'shipped'),
('429004','仙桃市','county','420000','division',NULL,NULL,NULL,'shipped'),
('429005','潜江市','county','420000','division',NULL,NULL,NULL,'shipped'),
('429006','天门市','county','420000','division',NULL,NULL,NULL,'shipped'),
('429021','神农架林区','county','420000','division',NULL,NULL,NULL,'shipped'),
('430000','湖南省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('430100','长沙市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('430102','芙蓉区','county','430100','division',NULL,NULL,NULL,'shipped'),
('430103','天心区','county','430100','division',NULL,NULL,NULL,'shipped'),
('430104','岳麓区','county','430100','division',NULL,NULL,NULL,'shipped'),
('430105','开福区','county','430100','division',NULL,NULL,NULL,'shipped'),
('430111','雨花区','county','430100','division',NULL,NULL,NULL,'shipped'),
('430112','望城区','county','430100','division',NULL,NULL,NULL,'shipped'),
('430121','长沙县','county','430100','division',NULL,NULL,NULL,'shipped'),
('430181','浏阳市','county','430100','division',NULL,NULL,NULL,'shipped'),
('430182','宁乡市','county','430100','division',NULL,NULL,NULL,'shipped'),
('430200','株洲市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('430202','荷塘区','county','430200','division',NULL,NULL,NULL,'shipped'),
('430203','芦淞区','county','430200','division',NULL,NULL,NULL,'shipped'),
('430204','石峰区','county','430200','division',NULL,NULL,NULL,'shipped'),
('430211','天元区','county','430200','division',NULL,NULL,NULL,'shipped'),
('430212','渌口区','county','430200','division',NULL,NULL,NULL,'shipped'),
('430223','攸县','county','430200','division',NULL,NULL,NULL,'shipped'),
('430224','茶陵县','county','430200','division',NULL,NULL,NULL,'shipped'),
('430225','炎陵县','county','430200','division',NULL,NULL,NULL,'shipped'),
('430281','醴陵市','county','430200','division',NULL,NULL,NULL,'shipped'),
('430300','湘潭市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('430302','雨湖区','county','430300','division',NULL,NULL,NULL,'shipped'),
('430304','岳塘区','county','430300','division',NULL,NULL,NULL,'shipped'),
('430321','湘潭县','county','430300','division',NULL,NULL,NULL,'shipped'),
('430371','湖南湘潭高新技术产业园区','county','430300','statistical_zone',NULL,NULL,NULL,'shipped'),
('430372','湘潭昭山示范区','county','430300','statistical_zone',NULL,NULL,NULL,'shipped'),
('430373','湘潭九华示范区','county','430300','statistical_zone',NULL,NULL,NULL,'shipped'),
('430381','湘乡市','county','430300','division',NULL,NULL,NULL,'shipped'),
('430382','韶山市','county','430300','division',NULL,NULL,NULL,'shipped'),
('430400','衡阳市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('430405','珠晖区','county','430400','division',NULL,NULL,NULL,'shipped'),
('430406','雁峰区','county','430400','division',NULL,NULL,NULL,'shipped'),
('430407','石鼓区','county','430400','division',NULL,NULL,NULL,'shipped'),
('430408','蒸湘区','county','430400','division',NULL,NULL,NULL,'shipped'),
('430412','南岳区','county','430400','division',NULL,NULL,NULL,'shipped'),
('430421','衡阳县','county','430400','division',NULL,NULL,NULL,'shipped'),
('430422','衡南县','county','430400','division',NULL,NULL,NULL,'shipped'),
('430423','衡山县','county','430400','division',NULL,NULL,NULL,'shipped'),
('430424','衡东县','county','430400','division',NULL,NULL,NULL,'shipped'),
('430426','祁东县','county','430400','division',NULL,NULL,NULL,'shipped'),
('430473','湖南衡阳松木经济开发区','county','430400','statistical_zone',NULL,NULL,NULL,'shipped'),
('430476','湖南衡阳高新技术产业园区','county','430400','statistical_zone',NULL,NULL,NULL,'shipped'),
('430481','耒阳市','county','430400','division',NULL,NULL,NULL,'shipped'),
('430482','常宁市','county','430400','division',NULL,NULL,NULL,'shipped'),
('430500','邵阳市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('430502','双清区','county','430500','division',NULL,NULL,NULL,'shipped'),
('430503','大祥区','county','430500','division',NULL,NULL,NULL,'shipped'),
('430511','北塔区','county','430500','division',NULL,NULL,NULL,'shipped'),
('430522','新邵县','county','430500','division',NULL,NULL,NULL,'shipped'),
('430523','邵阳县','county','430500','division',NULL,NULL,NULL,'shipped'),
('430524','隆回县','county','430500','division',NULL,NULL,NULL,'shipped'),
('430525','洞口县','county','430500','division',NULL,NULL,NULL,'shipped'),
('430527','绥宁县','county','430500','division',NULL,NULL,NULL,'shipped'),
('430528','新宁县','county','430500','division',NULL,NULL,NULL,'shipped'),
('430529','城步苗族自治县','county','430500','division',NULL,NULL,NULL,'shipped'),
('430581','武冈市','county','430500','division',NULL,NULL,NULL,'shipped'),
('430582','邵东市','county','430500','division',NULL,NULL,NULL,'shipped'),
('430600','岳阳市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('430602','岳阳楼区','county','430600','division',NULL,NULL,NULL,'shipped'),
('430603','云溪区','county','430600','division',NULL,NULL,NULL,'shipped'),
('430611','君山区','county','430600','division',NULL,NULL,NULL,'shipped'),
('430621','岳阳县','county','430600','division',NULL,NULL,NULL,'shipped'),
('430623','华容县','county','430600','division',NULL,NULL,NULL,'shipped'),
('430624','湘阴县','county','430600','division',NULL,NULL,NULL,'shipped'),
('430626','平江县','county','430600','division',NULL,NULL,NULL,'shipped'),
('430671','岳阳市屈原管理区','county','430600','statistical_zone',NULL,NULL,NULL,'shipped'),
('430681','汨罗市','county','430600','division',NULL,NULL,NULL,'shipped'),
('430682','临湘市','county','430600','division',NULL,NULL,NULL,'shipped'),
('430700','常德市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('430702','武陵区','county','430700','division',NULL,NULL,NULL,'shipped'),
('430703','鼎城区','county','430700','division',NULL,NULL,NULL,'shipped'),
('430721','安乡县','county','430700','division',NULL,NULL,NULL,'shipped'),
('430722','汉寿县','county','430700','division',NULL,NULL,NULL,'shipped'),
('430723','澧县','county','430700','division',NULL,NULL,NULL,'shipped'),
('430724','临澧县','county','430700','division',NULL,NULL,NULL,'shipped'),
('430725','桃源县','county','430700','division',NULL,NULL,NULL,'shipped'),
('430726','石门县','county','430700','division',NULL,NULL,NULL,'shipped'),
('430771','常德市西洞庭管理区','county','430700','statistical_zone',NULL,NULL,NULL,'shipped'),
('430781','津市市','county','430700','division',NULL,NULL,NULL,'shipped'),
('430800','张家界市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('430802','永定区','county','430800','division',NULL,NULL,NULL,'shipped'),
('430811','武陵源区','county','430800','division',NULL,NULL,NULL,'shipped'),
('430821','慈利县','county','430800','division',NULL,NULL,NULL,'shipped'),
('430822','桑植县','county','430800','division',NULL,NULL,NULL,'shipped'),
('430900','益阳市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('430902','资阳区','county','430900','division',NULL,NULL,NULL,'shipped'),
('430903','赫山区','county','430900','division',NULL,NULL,NULL,'shipped'),
('430921','南县','county','430900','division',NULL,NULL,NULL,'shipped'),
('430922','桃江县','county','430900','division',NULL,NULL,NULL,'shipped'),
('430923','安化县','county','430900','division',NULL,NULL,NULL,'shipped'),
('430971','益阳市大通湖管理区','county','430900','statistical_zone',NULL,NULL,NULL,'shipped'),
('430972','湖南益阳高新技术产业园区','county','430900','statistical_zone',NULL,NULL,NULL,'shipped'),
('430981','沅江市','county','430900','division',NULL,NULL,NULL,'shipped'),
('431000','郴州市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('431002','北湖区','county','431000','division',NULL,NULL,NULL,'shipped'),
('431003','苏仙区','county','431000','division',NULL,NULL,NULL,'shipped'),
('431021','桂阳县','county','431000','division',NULL,NULL,NULL,'shipped'),
('431022','宜章县','county','431000','division',NULL,NULL,NULL,'shipped'),
('431023','永兴县','county','431000','division',NULL,NULL,NULL,'shipped'),
('431024','嘉禾县','county','431000','division',NULL,NULL,NULL,'shipped'),
('431025','临武县','county','431000','division',NULL,NULL,NULL,'shipped'),
('431026','汝城县','county','431000','division',NULL,NULL,NULL,'shipped'),
('431027','桂东县','county','431000','division',NULL,NULL,NULL,'shipped'),
('431028','安仁县','county','431000','division',NULL,NULL,NULL,'shipped'),
('431081','资兴市','county','431000','division',NULL,NULL,NULL,'shipped'),
('431100','永州市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('431102','零陵区','county','431100','division',NULL,NULL,NULL,'shipped'),
('431103','冷水滩区','county','431100','division',NULL,NULL,NULL,'shipped'),
('431122','东安县','county','431100','division',NULL,NULL,NULL,'shipped'),
('431123','双牌县','county','431100','division',NULL,NULL,NULL,'shipped'),
('431124','道县','county','431100','division',NULL,NULL,NULL,'shipped'),
('431125','江永县','county','431100','division',NULL,NULL,NULL,'shipped'),
('431126','宁远县','county','431100','division',NULL,NULL,NULL,'shipped'),
('431127','蓝山县','county','431100','division',NULL,NULL,NULL,'shipped'),
('431128','新田县','county','431100','division',NULL,NULL,NULL,'shipped'),
('431129','江华瑶族自治县','county','431100','division',NULL,NULL,NULL,'shipped'),
('431171','永州经济技术开发区','county','431100','statistical_zone',NULL,NULL,NULL,'shipped'),
('431173','永州市回龙圩管理区','county','431100','statistical_zone',NULL,NULL,NULL,'shipped'),
('431181','祁阳市','county','431100','division',NULL,NULL,NULL,'shipped'),
('431200','怀化市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('431202','鹤城区','county','431200','division',NULL,NULL,NULL,'shipped'),
('431221','中方县','county','431200','division',NULL,NULL,NULL,'shipped'),
('431222','沅陵县','county','431200','division',NULL,NULL,NULL,'shipped'),
('431223','辰溪县','county','431200','division',NULL,NULL,NULL,'shipped'),
('431224','溆浦县','county','431200','division',NULL,NULL,NULL,'shipped'),
('431225','会同县','county','431200','division',NULL,NULL,NULL,'shipped'),
('431226','麻阳苗族自治县','county','431200','division',NULL,NULL,NULL,'shipped'),
('431227','新晃侗族自治县','county','431200','division',NULL,NULL,NULL,'shipped'),
('431228','芷江侗族自治县','county','431200','division',NULL,NULL,NULL,'shipped'),
('431229','靖州苗族侗族自治县','county','431200','division',NULL,NULL,NULL,'shipped'),
('431230','通道侗族自治县','county','431200','division',NULL,NULL,NULL,'shipped'),
('431271','怀化市洪江管理区','county','431200','statistical_zone',NULL,NULL,NULL,'shipped'),
('431281','洪江市','county','431200','division',NULL,NULL,NULL,'shipped'),
('431300','娄底市','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('431302','娄星区','county','431300','division',NULL,NULL,NULL,'shipped'),
('431321','双峰县','county','431300','division',NULL,NULL,NULL,'shipped'),
('431322','新化县','county','431300','division',NULL,NULL,NULL,'shipped'),
('431381','冷水江市','county','431300','division',NULL,NULL,NULL,'shipped'),
('431382','涟源市','county','431300','division',NULL,NULL,NULL,'shipped'),
('433100','湘西土家族苗族自治州','prefecture','430000','division',NULL,NULL,NULL,'shipped'),
('433101','吉首市','county','433100','division',NULL,NULL,NULL,'shipped'),
('433122','泸溪县','county','433100','division',NULL,NULL,NULL,'shipped'),
('433123','凤凰县','county','433100','division',NULL,NULL,NULL,'shipped'),
('433124','花垣县','county','433100','division',NULL,NULL,NULL,'shipped'),
('433125','保靖县','county','433100','division',NULL,NULL,NULL,'shipped'),
('433126','古丈县','county','433100','division',NULL,NULL,NULL,'shipped'),
('433127','永顺县','county','433100','division',NULL,NULL,NULL,'shipped'),
('433130','龙山县','county','433100','division',NULL,NULL,NULL,'shipped'),
('440000','广东省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('440100','广州市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('440102','东山区','county','440100','division',NULL,2005,'440104','shipped'),
('440103','荔湾区','county','440100','division',NULL,NULL,NULL,'shipped'),
('440104','越秀区','county','440100','division',NULL,NULL,NULL,'shipped'),
('440105','海珠区','county','440100','division',NULL,NULL,NULL,'shipped'),
('440106','天河区','county','440100','division',NULL,NULL,NULL,'shipped'),
('440107','芳村区','county','440100','division',NULL,2005,'440103','shipped'),
('440111','白云区','county','440100','division',NULL,NULL,NULL,'shipped'),
('440112','黄埔区','county','440100','division',NULL,NULL,NULL,'shipped'),
('440113','番禺区','county','440100','division',NULL,NULL,NULL,'shipped'),
('440114','花都区','county','440100','division',NULL,NULL,NULL,'shipped'),
('440115','南沙区','county','440100','division',NULL,NULL,NULL,'shipped'),
('440117','从化区','county','440100','division',NULL,NULL,NULL,'shipped'),
('440118','增城区','county','440100','division',NULL,NULL,NULL,'shipped'),
('440200','韶关市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('440203','武江区','county','440200','division',NULL,NULL,NULL,'shipped'),
('440204','浈江区','county','440200','division',NULL,NULL,NULL,'shipped'),
('440205','曲江区','county','440200','division',NULL,NULL,NULL,'shipped'),
('440222','始兴县','county','440200','division',NULL,NULL,NULL,'shipped'),
('440224','仁化县','county','440200','division',NULL,NULL,NULL,'shipped'),
('440229','翁源县','county','440200','division',NULL,NULL,NULL,'shipped'),
('440232','乳源瑶族自治县','county','440200','division',NULL,NULL,NULL,'shipped'),
('440233','新丰县','county','440200','division',NULL,NULL,NULL,'shipped'),
('440281','乐昌市','county','440200','division',NULL,NULL,NULL,'shipped'),
('440282','南雄市','county','440200','division',NULL,NULL,NULL,'shipped'),
('440300','深圳市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('440303','罗湖区','county','440300','division',NULL,NULL,NULL,'shipped'),
('440304','福田区','county','440300','division',NULL,NULL,NULL,'shipped'),
('440305','南山区','county','440300','division',NULL,NULL,NULL,'shipped'),
('440306','宝安区','county','440300','division',NULL,NULL,NULL,'shipped'),
('440307','龙岗区','county','440300','division',NULL,NULL,NULL,'shipped'),
('440308','盐田区','county','440300','division',NULL,NULL,NULL,'shipped'),
('440309','龙华区','county','440300','division',NULL,NULL,NULL,'shipped'),
('440310','坪山区','county','440300','division',NULL,NULL,NULL,'shipped'),
('440311','光明区','county','440300','division',NULL,NULL,NULL,'shipped'),
('440400','珠海市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('440402','香洲区','county','440400','division',NULL,NULL,NULL,'shipped'),
('440403','斗门区','county','440400','division',NULL,NULL,NULL,'shipped'),
('440404','金湾区','county','440400','division',NULL,NULL,NULL,'shipped'),
('440500','汕头市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('440507','龙湖区','county','440500','division',NULL,NULL,NULL,'shipped'),
('440511','金平区','county','440500','division',NULL,NULL,NULL,'shipped'),
('440512','濠江区','county','440500','division',NULL,NULL,NULL,'shipped'),
('440513','潮阳区','county','440500','division',NULL,NULL,NULL,'shipped'),
('440514','潮南区','county','440500','division',NULL,NULL,NULL,'shipped'),
('440515','澄海区','county','440500','division',NULL,NULL,NULL,'shipped'),
('440523','南澳县','county','440500','division',NULL,NULL,NULL,'shipped'),
('440600','佛山市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('440604','禅城区','county','440600','division',NULL,NULL,NULL,'shipped'),
('440605','南海区','county','440600','division',NULL,NULL,NULL,'shipped'),
('440606','顺德区','county','440600','division',NULL,NULL,NULL,'shipped'),
('440607','三水区','county','440600','division',NULL,NULL,NULL,'shipped'),
('440608','高明区','county','440600','division',NULL,NULL,NULL,'shipped'),
('440700','江门市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('440703','蓬江区','county','440700','division',NULL,NULL,NULL,'shipped'),
('440704','江海区','county','440700','division',NULL,NULL,NULL,'shipped'),
('440705','新会区','county','440700','division',NULL,NULL,NULL,'shipped'),
('440781','台山市','county','440700','division',NULL,NULL,NULL,'shipped'),
('440783','开平市','county','440700','division',NULL,NULL,NULL,'shipped'),
('440784','鹤山市','county','440700','division',NULL,NULL,NULL,'shipped'),
('440785','恩平市','county','440700','division',NULL,NULL,NULL,'shipped'),
('440800','湛江市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('440802','赤坎区','county','440800','division',NULL,NULL,NULL,'shipped'),
('440803','霞山区','county','440800','division',NULL,NULL,NULL,'shipped'),
('440804','坡头区','county','440800','division',NULL,NULL,NULL,'shipped'),
('440811','麻章区','county','440800','division',NULL,NULL,NULL,'shipped'),
('440823','遂溪县','county','440800','division',NULL,NULL,NULL,'shipped'),
('440825','徐闻县','county','440800','division',NULL,NULL,NULL,'shipped'),
('440881','廉江市','county','440800','division',NULL,NULL,NULL,'shipped'),
('440882','雷州市','county','440800','division',NULL,NULL,NULL,'shipped'),
('440883','吴川市','county','440800','division',NULL,NULL,NULL,'shipped'),
('440900','茂名市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('440902','茂南区','county','440900','division',NULL,NULL,NULL,'shipped'),
('440904','电白区','county','440900','division',NULL,NULL,NULL,'shipped'),
('440981','高州市','county','440900','division',NULL,NULL,NULL,'shipped'),
('440982','化州市','county','440900','division',NULL,NULL,NULL,'shipped'),
('440983','信宜市','county','440900','division',NULL,NULL,NULL,'shipped'),
('441200','肇庆市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('441202','端州区','county','441200','division',NULL,NULL,NULL,'shipped'),
('441203','鼎湖区','county','441200','division',NULL,NULL,NULL,'shipped'),
('441204','高要区','county','441200','division',NULL,NULL,NULL,'shipped'),
('441223','广宁县','county','441200','division',NULL,NULL,NULL,'shipped'),
('441224','怀集县','county','441200','division',NULL,NULL,NULL,'shipped'),
('441225','封开县','county','441200','division',NULL,NULL,NULL,'shipped'),
('441226','德庆县','county','441200','division',NULL,NULL,NULL,'shipped'),
('441284','四会市','county','441200','division',NULL,NULL,NULL,'shipped'),
('441300','惠州市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('441302','惠城区','county','441300','division',NULL,NULL,NULL,'shipped'),
('441303','惠阳区','county','441300','division',NULL,NULL,NULL,'shipped'),
('441322','博罗县','county','441300','division',NULL,NULL,NULL,'shipped'),
('441323','惠东县','county','441300','division',NULL,NULL,NULL,'shipped'),
('441324','龙门县','county','441300','division',NULL,NULL,NULL,'shipped'),
('441400','梅州市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('441402','梅江区','county','441400','division',NULL,NULL,NULL,'shipped'),
('441403','梅县区','county','441400','division',NULL,NULL,NULL,'shipped'),
('441422','大埔县','county','441400','division',NULL,NULL,NULL,'shipped'),
('441423','丰顺县','county','441400','division',NULL,NULL,NULL,'shipped'),
('441424','五华县','county','441400','division',NULL,NULL,NULL,'shipped'),
('441426','平远县','county','441400','division',NULL,NULL,NULL,'shipped'),
('441427','蕉岭县','county','441400','division',NULL,NULL,NULL,'shipped'),
('441481','兴宁市','county','441400','division',NULL,NULL,NULL,'shipped'),
('441500','汕尾市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('441502','城区','county','441500','division',NULL,NULL,NULL,'shipped'),
('441521','海丰县','county','441500','division',NULL,NULL,NULL,'shipped'),
('441523','陆河县','county','441500','division',NULL,NULL,NULL,'shipped'),
('441581','陆丰市','county','441500','division',NULL,NULL,NULL,'shipped'),
('441600','河源市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('441602','源城区','county','441600','division',NULL,NULL,NULL,'shipped'),
('441621','紫金县','county','441600','division',NULL,NULL,NULL,'shipped'),
('441622','龙川县','county','441600','division',NULL,NULL,NULL,'shipped'),
('441623','连平县','county','441600','division',NULL,NULL,NULL,'shipped'),
('441624','和平县','county','441600','division',NULL,NULL,NULL,'shipped'),
('441625','东源县','county','441600','division',NULL,NULL,NULL,'shipped'),
('441700','阳江市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('441702','江城区','county','441700','division',NULL,NULL,NULL,'shipped'),
('441704','阳东区','county','441700','division',NULL,NULL,NULL,'shipped'),
('441721','阳西县','county','441700','division',NULL,NULL,NULL,'shipped'),
('441781','阳春市','county','441700','division',NULL,NULL,NULL,'shipped'),
('441800','清远市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('441802','清城区','county','441800','division',NULL,NULL,NULL,'shipped'),
('441803','清新区','county','441800','division',NULL,NULL,NULL,'shipped'),
('441821','佛冈县','county','441800','division',NULL,NULL,NULL,'shipped'),
('441823','阳山县','county','441800','division',NULL,NULL,NULL,'shipped'),
('441825','连山壮族瑶族自治县','county','441800','division',NULL,NULL,NULL,'shipped'),
('441826','连南瑶族自治县','county','441800','division',NULL,NULL,NULL,'shipped'),
('441881','英德市','county','441800','division',NULL,NULL,NULL,'shipped'),
('441882','连州市','county','441800','division',NULL,NULL,NULL,'shipped'),
('441900','东莞市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('442000','中山市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('445100','潮州市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('445102','湘桥区','county','445100','division',NULL,NULL,NULL,'shipped'),
('445103','潮安区','county','445100','division',NULL,NULL,NULL,'shipped'),
('445122','饶平县','county','445100','division',NULL,NULL,NULL,'shipped'),
('445200','揭阳市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('445202','榕城区','county','445200','division',NULL,NULL,NULL,'shipped'),
('445203','揭东区','county','445200','division',NULL,NULL,NULL,'shipped'),
('445222','揭西县','county','445200','division',NULL,NULL,NULL,'shipped'),
('445224','惠来县','county','445200','division',NULL,NULL,NULL,'shipped'),
('445281','普宁市','county','445200','division',NULL,NULL,NULL,'shipped'),
('445300','云浮市','prefecture','440000','division',NULL,NULL,NULL,'shipped'),
('445302','云城区','county','445300','division',NULL,NULL,NULL,'shipped'),
('445303','云安区','county','445300','division',NULL,NULL,NULL,'shipped'),
('445321','新兴县','county','445300','division',NULL,NULL,NULL,'shipped'),
('445322','郁南县','county','445300','division',NULL,NULL,NULL,'shipped'),
('445381','罗定市','county','445300','division',NULL,NULL,NULL,'shipped'),
('450000','广西壮族自治区','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('450100','南宁市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('450102','兴宁区','county','450100','division',NULL,NULL,NULL,'shipped'),
('450103','青秀区','county','450100','division',NULL,NULL,NULL,'shipped'),
('450105','江南区','county','450100','division',NULL,NULL,NULL,'shipped'),
('450107','西乡塘区','county','450100','division',NULL,NULL,NULL,'shipped'),
('450108','良庆区','county','450100','division',NULL,NULL,NULL,'shipped'),
('450109','邕宁区','county','450100','division',NULL,NULL,NULL,'shipped'),
('450110','武鸣区','county','450100','division',NULL,NULL,NULL,'shipped'),
('450123','隆安县','county','450100','division',NULL,NULL,NULL,'shipped'),
('450124','马山县','county','450100','division',NULL,NULL,NULL,'shipped'),
('450125','上林县','county','450100','division',NULL,NULL,NULL,'shipped'),
('450126','宾阳县','county','450100','division',NULL,NULL,NULL,'shipped'),
('450181','横州市','county','450100','division',NULL,NULL,NULL,'shipped'),
('450200','柳州市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('450202','城中区','county','450200','division',NULL,NULL,NULL,'shipped'),
('450203','鱼峰区','county','450200','division',NULL,NULL,NULL,'shipped'),
('450204','柳南区','county','450200','division',NULL,NULL,NULL,'shipped'),
('450205','柳北区','county','450200','division',NULL,NULL,NULL,'shipped'),
('450206','柳江区','county','450200','division',NULL,NULL,NULL,'shipped'),
('450222','柳城县','county','450200','division',NULL,NULL,NULL,'shipped'),
('450223','鹿寨县','county','450200','division',NULL,NULL,NULL,'shipped'),
('450224','融安县','county','450200','division',NULL,NULL,NULL,'shipped'),
('450225','融水苗族自治县','county','450200','division',NULL,NULL,NULL,'shipped'),
('450226','三江侗族自治县','county','450200','division',NULL,NULL,NULL,'shipped'),
('450300','桂林市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('450302','秀峰区','county','450300','division',NULL,NULL,NULL,'shipped'),
('450303','叠彩区','county','450300','division',NULL,NULL,NULL,'shipped'),
('450304','象山区','county','450300','division',NULL,NULL,NULL,'shipped'),
('450305','七星区','county','450300','division',NULL,NULL,NULL,'shipped'),
('450311','雁山区','county','450300','division',NULL,NULL,NULL,'shipped'),
('450312','临桂区','county','450300','division',NULL,NULL,NULL,'shipped'),
('450321','阳朔县','county','450300','division',NULL,NULL,NULL,'shipped'),
('450323','灵川县','county','450300','division',NULL,NULL,NULL,'shipped'),
('450324','全州县','county','450300','division',NULL,NULL,NULL,'shipped'),
('450325','兴安县','county','450300','division',NULL,NULL,NULL,'shipped'),
('450326','永福县','county','450300','division',NULL,NULL,NULL,'shipped'),
('450327','灌阳县','county','450300','division',NULL,NULL,NULL,'shipped'),
('450328','龙胜各族自治县','county','450300','division',NULL,NULL,NULL,'shipped'),
('450329','资源县','county','450300','division',NULL,NULL,NULL,'shipped'),
('450330','平乐县','county','450300','division',NULL,NULL,NULL,'shipped'),
('450332','恭城瑶族自治县','county','450300','division',NULL,NULL,NULL,'shipped'),
('450381','荔浦市','county','450300','division',NULL,NULL,NULL,'shipped'),
('450400','梧州市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('450403','万秀区','county','450400','division',NULL,NULL,NULL,'shipped'),
('450405','长洲区','county','450400','division',NULL,NULL,NULL,'shipped'),
('450406','龙圩区','county','450400','division',NULL,NULL,NULL,'shipped'),
('450421','苍梧县','county','450400','division',NULL,NULL,NULL,'shipped'),
('450422','藤县','county','450400','division',NULL,NULL,NULL,'shipped'),
('450423','蒙山县','county','450400','division',NULL,NULL,NULL,'shipped'),
('450481','岑溪市','county','450400','division',NULL,NULL,NULL,'shipped'),
('450500','北海市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('450502','海城区','county','450500','division',NULL,NULL,NULL,'shipped'),
('450503','银海区','county','450500','division',NULL,NULL,NULL,'shipped'),
('450512','铁山港区','county','450500','division',NULL,NULL,NULL,'shipped'),
('450521','合浦县','county','450500','division',NULL,NULL,NULL,'shipped'),
('450600','防城港市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('450602','港口区','county','450600','division',NULL,NULL,NULL,'shipped'),
('450603','防城区','county','450600','division',NULL,NULL,NULL,'shipped'),
('450621','上思县','county','450600','division',NULL,NULL,NULL,'shipped'),
('450681','东兴市','county','450600','division',NULL,NULL,NULL,'shipped'),
('450700','钦州市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('450702','钦南区','county','450700','division',NULL,NULL,NULL,'shipped'),
('450703','钦北区','county','450700','division',NULL,NULL,NULL,'shipped'),
('450721','灵山县','county','450700','division',NULL,NULL,NULL,'shipped'),
('450722','浦北县','county','450700','division',NULL,NULL,NULL,'shipped'),
('450800','贵港市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('450802','港北区','county','450800','division',NULL,NULL,NULL,'shipped'),
('450803','港南区','county','450800','division',NULL,NULL,NULL,'shipped'),
('450804','覃塘区','county','450800','division',NULL,NULL,NULL,'shipped'),
('450821','平南县','county','450800','division',NULL,NULL,NULL,'shipped'),
('450881','桂平市','county','450800','division',NULL,NULL,NULL,'shipped'),
('450900','玉林市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('450902','玉州区','county','450900','division',NULL,NULL,NULL,'shipped'),
('450903','福绵区','county','450900','division',NULL,NULL,NULL,'shipped'),
('450921','容县','county','450900','division',NULL,NULL,NULL,'shipped'),
('450922','陆川县','county','450900','division',NULL,NULL,NULL,'shipped'),
('450923','博白县','county','450900','division',NULL,NULL,NULL,'shipped'),
('450924','兴业县','county','450900','division',NULL,NULL,NULL,'shipped'),
('450981','北流市','county','450900','division',NULL,NULL,NULL,'shipped'),
('451000','百色市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('451002','右江区','county','451000','division',NULL,NULL,NULL,'shipped'),
('451003','田阳区','county','451000','division',NULL,NULL,NULL,'shipped'),
('451022','田东县','county','451000','division',NULL,NULL,NULL,'shipped'),
('451024','德保县','county','451000','division',NULL,NULL,NULL,'shipped'),
('451026','那坡县','county','451000','division',NULL,NULL,NULL,'shipped'),
('451027','凌云县','county','451000','division',NULL,NULL,NULL,'shipped'),
('451028','乐业县','county','451000','division',NULL,NULL,NULL,'shipped'),
('451029','田林县','county','451000','division',NULL,NULL,NULL,'shipped'),
('451030','西林县','county','451000','division',NULL,NULL,NULL,'shipped'),
('451031','隆林各族自治县','county','451000','division',NULL,NULL,NULL,'shipped'),
('451081','靖西市','county','451000','division',NULL,NULL,NULL,'shipped'),
('451082','平果市','county','451000','division',NULL,NULL,NULL,'shipped'),
('451100','贺州市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('451102','八步区','county','451100','division',NULL,NULL,NULL,'shipped'),
('451103','平桂区','county','451100','division',NULL,NULL,NULL,'shipped'),
('451121','昭平县','county','451100','division',NULL,NULL,NULL,'shipped'),
('451122','钟山县','county','451100','division',NULL,NULL,NULL,'shipped'),
('451123','富川瑶族自治县','county','451100','division',NULL,NULL,NULL,'shipped'),
('451200','河池市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('451202','金城江区','county','451200','division',NULL,NULL,NULL,'shipped'),
('451203','宜州区','county','451200','division',NULL,NULL,NULL,'shipped'),
('451221','南丹县','county','451200','division',NULL,NULL,NULL,'shipped'),
('451222','天峨县','county','451200','division',NULL,NULL,NULL,'shipped'),
('451223','凤山县','county','451200','division',NULL,NULL,NULL,'shipped'),
('451224','东兰县','county','451200','division',NULL,NULL,NULL,'shipped'),
('451225','罗城仫佬族自治县','county','451200','division',NULL,NULL,NULL,'shipped'),
('451226','环江毛南族自治县','county','451200','division',NULL,NULL,NULL,'shipped'),
('451227','巴马瑶族自治县','county','451200','division',NULL,NULL,NULL,'shipped'),
('451228','都安瑶族自治县','county','451200','division',NULL,NULL,NULL,'shipped'),
('451229','大化瑶族自治县','county','451200','division',NULL,NULL,NULL,'shipped'),
('451300','来宾市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('451302','兴宾区','county','451300','division',NULL,NULL,NULL,'shipped'),
('451321','忻城县','county','451300','division',NULL,NULL,NULL,'shipped'),
('451322','象州县','county','451300','division',NULL,NULL,NULL,'shipped'),
('451323','武宣县','county','451300','division',NULL,NULL,NULL,'shipped'),
('451324','金秀瑶族自治县','county','451300','division',NULL,NULL,NULL,'shipped'),
('451381','合山市','county','451300','division',NULL,NULL,NULL,'shipped'),
('451400','崇左市','prefecture','450000','division',NULL,NULL,NULL,'shipped'),
('451402','江州区','county','451400','division',NULL,NULL,NULL,'shipped'),
('451421','扶绥县','county','451400','division',NULL,NULL,NULL,'shipped'),
('451422','宁明县','county','451400','division',NULL,NULL,NULL,'shipped'),
('451423','龙州县','county','451400','division',NULL,NULL,NULL,'shipped'),
('451424','大新县','county','451400','division',NULL,NULL,NULL,'shipped'),
('451425','天等县','county','451400','division',NULL,NULL,NULL,'shipped'),
('451481','凭祥市','county','451400','division',NULL,NULL,NULL,'shipped'),
('460000','海南省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('460100','海口市','prefecture','460000','division',NULL,NULL,NULL,'shipped'),
('460105','秀英区','county','460100','division',NULL,NULL,NULL,'shipped'),
('460106','龙华区','county','460100','division',NULL,NULL,NULL,'shipped'),
('460107','琼山区','county','460100','division',NULL,NULL,NULL,'shipped'),
('460108','美兰区','county','460100','division',NULL,NULL,NULL,'shipped'),
('460200','三亚市','prefecture','460000','division',NULL,NULL,NULL,'shipped'),
('460202','海棠区','county','460200','division',NULL,NULL,NULL,'shipped'),
('460203','吉阳区','county','460200','division',NULL,NULL,NULL,'shipped'),
('460204','天涯区','county','460200','division',NULL,NULL,NULL,'shipped'),
('460205','崖州区','county','460200','division',NULL,NULL,NULL,'shipped'),
('460300','三沙市','prefecture','460000','division',NULL,NULL,NULL,'shipped'),
('460321','西沙群岛','county','460300','division',NULL,NULL,NULL,'shipped'),
('460322','南沙群岛','county','460300','division',NULL,NULL,NULL,'shipped'),
('460323','中沙群岛的岛礁及其海域','county','460300','division',NULL,NULL,NULL,'shipped'),
('460400','儋州市','prefecture','460000','division',NULL,NULL,NULL,'shipped'),
('469000','省直辖县级行政区划','prefecture','460000','placeholder',NULL,NULL,NULL,'shipped'),
('469001','五指山市','county','460000','division',NULL,NULL,NULL,'shipped'),
('469002','琼海市','county','460000','division',NULL,NULL,NULL,'shipped'),
('469005','文昌市','county','460000','division',NULL,NULL,NULL,'shipped'),
('469006','万宁市','county','460000','division',NULL,NULL,NULL,'shipped'),
('469007','东方市','county','460000','division',NULL,NULL,NULL,'shipped'),
('469021','定安县','county','460000','division',NULL,NULL,NULL,'shipped'),
('469022','屯昌县','county','460000','division',NULL,NULL,NULL,'shipped'),
('469023','澄迈县','county','460000','division',NULL,NULL,NULL,'shipped'),
('469024','临高县','county','460000','division',NULL,NULL,NULL,'shipped'),
('469025','白沙黎族自治县','county','460000','division',NULL,NULL,NULL,'shipped'),
('469026','昌江黎族自治县','county','460000','division',NULL,NULL,NULL,'shipped'),
('469027','乐东黎族自治县','county','460000','division',NULL,NULL,NULL,'shipped'),
('469028','陵水黎族自治县','county','460000','division',NULL,NULL,NULL,'shipped'),
('469029','保亭黎族苗族自治县','county','460000','division',NULL,NULL,NULL,'shipped'),
('469030','琼中黎族苗族自治县','county','460000','division',NULL,NULL,NULL,'shipped'),
('500000','重庆市','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('500100','市辖区','prefecture','500000','placeholder',NULL,NULL,NULL,'shipped'),
('500101','万州区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500102','涪陵区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500103','渝中区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500104','大渡口区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500105','江北区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500106','沙坪坝区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500107','九龙坡区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500108','南岸区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500109','北碚区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500110','綦江区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500111','大足区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500112','渝北区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500113','巴南区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500114','黔江区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500115','长寿区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500116','江津区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500117','合川区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500118','永川区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500119','南川区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500120','璧山区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500151','铜梁区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500152','潼南区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500153','荣昌区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500154','开州区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500155','梁平区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500156','武隆区','county','500000','division',NULL,NULL,NULL,'shipped'),
('500200','县','prefecture','500000','placeholder',NULL,NULL,NULL,'shipped'),
('500229','城口县','county','500000','division',NULL,NULL,NULL,'shipped'),
('500230','丰都县','county','500000','division',NULL,NULL,NULL,'shipped'),
('500231','垫江县','county','500000','division',NULL,NULL,NULL,'shipped'),
('500233','忠县','county','500000','division',NULL,NULL,NULL,'shipped'),
('500235','云阳县','county','500000','division',NULL,NULL,NULL,'shipped'),
('500236','奉节县','county','500000','division',NULL,NULL,NULL,'shipped'),
('500237','巫山县','county','500000','division',NULL,NULL,NULL,'shipped'),
('500238','巫溪县','county','500000','division',NULL,NULL,NULL,'shipped'),
('500240','石柱土家族自治县','county','500000','division',NULL,NULL,NULL,'shipped'),
('500241','秀山土家族苗族自治县','county','500000','division',NULL,NULL,NULL,'shipped'),
('500242','酉阳土家族苗族自治县','county','500000','division',NULL,NULL,NULL,'shipped'),
('500243','彭水苗族土家族自治县','county','500000','division',NULL,NULL,NULL,'shipped'),
('510000','四川省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('510100','成都市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('510104','锦江区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510105','青羊区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510106','金牛区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510107','武侯区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510108','成华区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510112','龙泉驿区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510113','青白江区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510114','新都区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510115','温江区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510116','双流区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510117','郫都区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510118','新津区','county','510100','division',NULL,NULL,NULL,'shipped'),
('510121','金堂县','county','510100','division',NULL,NULL,NULL,'shipped'),
('510129','大邑县','county','510100','division',NULL,NULL,NULL,'shipped'),
('510131','蒲江县','county','510100','division',NULL,NULL,NULL,'shipped'),
('510181','都江堰市','county','510100','division',NULL,NULL,NULL,'shipped'),
('510182','彭州市','county','510100','division',NULL,NULL,NULL,'shipped'),
('510183','邛崃市','county','510100','division',NULL,NULL,NULL,'shipped'),
('510184','崇州市','county','510100','division',NULL,NULL,NULL,'shipped'),
('510185','简阳市','county','510100','division',NULL,NULL,NULL,'shipped'),
('510300','自贡市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('510302','自流井区','county','510300','division',NULL,NULL,NULL,'shipped'),
('510303','贡井区','county','510300','division',NULL,NULL,NULL,'shipped'),
('510304','大安区','county','510300','division',NULL,NULL,NULL,'shipped'),
('510311','沿滩区','county','510300','division',NULL,NULL,NULL,'shipped'),
('510321','荣县','county','510300','division',NULL,NULL,NULL,'shipped'),
('510322','富顺县','county','510300','division',NULL,NULL,NULL,'shipped'),
('510400','攀枝花市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('510402','东区','county','510400','division',NULL,NULL,NULL,'shipped'),
('510403','西区','county','510400','division',NULL,NULL,NULL,'shipped'),
('510411','仁和区','county','510400','division',NULL,NULL,NULL,'shipped'),
('510421','米易县','county','510400','division',NULL,NULL,NULL,'shipped'),
('510422','盐边县','county','510400','division',NULL,NULL,NULL,'shipped'),
('510500','泸州市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('510502','江阳区','county','510500','division',NULL,NULL,NULL,'shipped'),
('510503','纳溪区','county','510500','division',NULL,NULL,NULL,'shipped'),
('510504','龙马潭区','county','510500','division',NULL,NULL,NULL,'shipped'),
('510521','泸县','county','510500','division',NULL,NULL,NULL,'shipped'),
('510522','合江县','county','510500','division',NULL,NULL,NULL,'shipped'),
('510524','叙永县','county','510500','division',NULL,NULL,NULL,'shipped'),
('510525','古蔺县','county','510500','division',NULL,NULL,NULL,'shipped'),
('510600','德阳市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('510603','旌阳区','county','510600','division',NULL,NULL,NULL,'shipped'),
('510604','罗江区','county','510600','division',NULL,NULL,NULL,'shipped'),
('510623','中江县','county','510600','division',NULL,NULL,NULL,'shipped'),
('510681','广汉市','county','510600','division',NULL,NULL,NULL,'shipped'),
('510682','什邡市','county','510600','division',NULL,NULL,NULL,'shipped'),
('510683','绵竹市','county','510600','division',NULL,NULL,NULL,'shipped'),
('510700','绵阳市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('510703','涪城区','county','510700','division',NULL,NULL,NULL,'shipped'),
('510704','游仙区','county','510700','division',NULL,NULL,NULL,'shipped'),
('510705','安州区','county','510700','division',NULL,NULL,NULL,'shipped'),
('510722','三台县','county','510700','division',NULL,NULL,NULL,'shipped'),
('510723','盐亭县','county','510700','division',NULL,NULL,NULL,'shipped'),
('510725','梓潼县','county','510700','division',NULL,NULL,NULL,'shipped'),
('510726','北川羌族自治县','county','510700','division',NULL,NULL,NULL,'shipped'),
('510727','平武县','county','510700','division',NULL,NULL,NULL,'shipped'),
('510781','江油市','county','510700','division',NULL,NULL,NULL,'shipped'),
('510800','广元市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('510802','利州区','county','510800','division',NULL,NULL,NULL,'shipped'),
('510811','昭化区','county','510800','division',NULL,NULL,NULL,'shipped'),
('510812','朝天区','county','510800','division',NULL,NULL,NULL,'shipped'),
('510821','旺苍县','county','510800','division',NULL,NULL,NULL,'shipped'),
('510822','青川县','county','510800','division',NULL,NULL,NULL,'shipped'),
('510823','剑阁县','county','510800','division',NULL,NULL,NULL,'shipped'),
('510824','苍溪县','county','510800','division',NULL,NULL,NULL,'shipped'),
('510900','遂宁市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('510903','船山区','county','510900','division',NULL,NULL,NULL,'shipped'),
('510904','安居区','county','510900','division',NULL,NULL,NULL,'shipped'),
('510921','蓬溪县','county','510900','division',NULL,NULL,NULL,'shipped'),
('510923','大英县','county','510900','division',NULL,NULL,NULL,'shipped'),
('510981','射洪市','county','510900','division',NULL,NULL,NULL,'shipped'),
('511000','内江市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('511002','市中区','county','511000','division',NULL,NULL,NULL,'shipped'),
('511011','东兴区','county','511000','division',NULL,NULL,NULL,'shipped'),
('511024','威远县','county','511000','division',NULL,NULL,NULL,'shipped'),
('511025','资中县','county','511000','division',NULL,NULL,NULL,'shipped'),
('511083','隆昌市','county','511000','division',NULL,NULL,NULL,'shipped'),
('511100','乐山市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('511102','市中区','county','511100','division',NULL,NULL,NULL,'shipped'),
('511111','沙湾区','county','511100','division',NULL,NULL,NULL,'shipped'),
('511112','五通桥区','county','511100','division',NULL,NULL,NULL,'shipped'),
('511113','金口河区','county','511100','division',NULL,NULL,NULL,'shipped'),
('511123','犍为县','county','511100','division',NULL,NULL,NULL,'shipped'),
('511124','井研县','county','511100','division',NULL,NULL,NULL,'shipped'),
('511126','夹江县','county','511100','division',NULL,NULL,NULL,'shipped'),
('511129','沐川县','county','511100','division',NULL,NULL,NULL,'shipped'),
('511132','峨边彝族自治县','county','511100','division',NULL,NULL,NULL,'shipped'),
('511133','马边彝族自治县','county','511100','division',NULL,NULL,NULL,'shipped'),
('511181','峨眉山市','county','511100','division',NULL,NULL,NULL,'shipped'),
('511300','南充市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('511302','顺庆区','county','511300','division',NULL,NULL,NULL,'shipped'),
('511303','高坪区','county','511300','division',NULL,NULL,NULL,'shipped'),
('511304','嘉陵区','county','511300','division',NULL,NULL,NULL,'shipped'),
('511321','南部县','county','511300','division',NULL,NULL,NULL,'shipped'),
('511322','营山县','county','511300','division',NULL,NULL,NULL,'shipped'),
('511323','蓬安县','county','511300','division',NULL,NULL,NULL,'shipped'),
('511324','仪陇县','county','511300','division',NULL,NULL,NULL,'shipped'),
('511325','西充县','county','511300','division',NULL,NULL,NULL,'shipped'),
('511381','阆中市','county','511300','division',NULL,NULL,NULL,'shipped'),
('511400','眉山市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('511402','东坡区','county','511400','division',NULL,NULL,NULL,'shipped'),
('511403','彭山区','county','511400','division',NULL,NULL,NULL,'shipped'),
('511421','仁寿县','county','511400','division',NULL,NULL,NULL,'shipped'),
('511423','洪雅县','county','511400','division',NULL,NULL,NULL,'shipped'),
('511424','丹棱县','county','511400','division',NULL,NULL,NULL,'shipped'),
('511425','青神县','county','511400','division',NULL,NULL,NULL,'shipped'),
('511500','宜宾市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('511502','翠屏区','county','511500','division',NULL,NULL,NULL,'shipped'),
('511503','南溪区','county','511500','division',NULL,NULL,NULL,'shipped'),
('511504','叙州区','county','511500','division',NULL,NULL,NULL,'shipped'),
('511523','江安县','county','511500','division',NULL,NULL,NULL,'shipped'),
('511524','长宁县','county','511500','division',NULL,NULL,NULL,'shipped'),
('511525','高县','county','511500','division',NULL,NULL,NULL,'shipped'),
('511526','珙县','county','511500','division',NULL,NULL,NULL,'shipped'),
('511527','筠连县','county','511500','division',NULL,NULL,NULL,'shipped'),
('511528','兴文县','county','511500','division',NULL,NULL,NULL,'shipped'),
('511529','屏山县','county','511500','division',NULL,NULL,NULL,'shipped'),
('511600','广安市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('511602','广安区','county','511600','division',NULL,NULL,NULL,'shipped'),
('511603','前锋区','county','511600','division',NULL,NULL,NULL,'shipped'),
('511621','岳池县','county','511600','division',NULL,NULL,NULL,'shipped'),
('511622','武胜县','county','511600','division',NULL,NULL,NULL,'shipped'),
('511623','邻水县','county','511600','division',NULL,NULL,NULL,'shipped'),
('511681','华蓥市','county','511600','division',NULL,NULL,NULL,'shipped'),
('511700','达州市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('511702','通川区','county','511700','division',NULL,NULL,NULL,'shipped'),
('511703','达川区','county','511700','division',NULL,NULL,NULL,'shipped'),
('511722','宣汉县','county','511700','division',NULL,NULL,NULL,'shipped'),
('511723','开江县','county','511700','division',NULL,NULL,NULL,'shipped'),
('511724','大竹县','county','511700','division',NULL,NULL,NULL,'shipped'),
('511725','渠县','county','511700','division',NULL,NULL,NULL,'shipped'),
('511781','万源市','county','511700','division',NULL,NULL,NULL,'shipped'),
('511800','雅安市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('511802','雨城区','county','511800','division',NULL,NULL,NULL,'shipped'),
('511803','名山区','county','511800','division',NULL,NULL,NULL,'shipped'),
('511822','荥经县','county','511800','division',NULL,NULL,NULL,'shipped'),
('511823','汉源县','county','511800','division',NULL,NULL,NULL,'shipped'),
('511824','石棉县','county','511800','division',NULL,NULL,NULL,'shipped'),
('511825','天全县','county','511800','division',NULL,NULL,NULL,'shipped'),
('511826','芦山县','county','511800','division',NULL,NULL,NULL,'shipped'),
('511827','宝兴县','county','511800','division',NULL,NULL,NULL,'shipped'),
('511900','巴中市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('511902','巴州区','county','511900','division',NULL,NULL,NULL,'shipped'),
('511903','恩阳区','county','511900','division',NULL,NULL,NULL,'shipped'),
('511921','通江县','county','511900','division',NULL,NULL,NULL,'shipped'),
('511922','南江县','county','511900','division',NULL,NULL,NULL,'shipped'),
('511923','平昌县','county','511900','division',NULL,NULL,NULL,'shipped'),
('512000','资阳市','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('512002','雁江区','county','512000','division',NULL,NULL,NULL,'shipped'),
('512021','安岳县','county','512000','division',NULL,NULL,NULL,'shipped'),
('512022','乐至县','county','512000','division',NULL,NULL,NULL,'shipped'),
('513200','阿坝藏族羌族自治州','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('513201','马尔康市','county','513200','division',NULL,NULL,NULL,'shipped'),
('513221','汶川县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513222','理县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513223','茂县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513224','松潘县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513225','九寨沟县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513226','金川县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513227','小金县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513228','黑水县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513230','壤塘县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513231','阿坝县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513232','若尔盖县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513233','红原县','county','513200','division',NULL,NULL,NULL,'shipped'),
('513300','甘孜藏族自治州','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('513301','康定市','county','513300','division',NULL,NULL,NULL,'shipped'),
('513322','泸定县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513323','丹巴县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513324','九龙县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513325','雅江县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513326','道孚县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513327','炉霍县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513328','甘孜县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513329','新龙县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513330','德格县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513331','白玉县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513332','石渠县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513333','色达县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513334','理塘县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513335','巴塘县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513336','乡城县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513337','稻城县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513338','得荣县','county','513300','division',NULL,NULL,NULL,'shipped'),
('513400','凉山彝族自治州','prefecture','510000','division',NULL,NULL,NULL,'shipped'),
('513401','西昌市','county','513400','division',NULL,NULL,NULL,'shipped'),
('513402','会理市','county','513400','division',NULL,NULL,NULL,'shipped'),
('513422','木里藏族自治县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513423','盐源县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513424','德昌县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513426','会东县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513427','宁南县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513428','普格县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513429','布拖县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513430','金阳县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513431','昭觉县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513432','喜德县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513433','冕宁县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513434','越西县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513435','甘洛县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513436','美姑县','county','513400','division',NULL,NULL,NULL,'shipped'),
('513437','雷波县','county','513400','division',NULL,NULL,NULL,'shipped'),
('520000','贵州省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('520100','贵阳市','prefecture','520000','division',NULL,NULL,NULL,'shipped'),
('520102','南明区','county','520100','division',NULL,NULL,NULL,'shipped'),
('520103','云岩区','county','520100','division',NULL,NULL,NULL,'shipped'),
('520111','花溪区','county','520100','division',NULL,NULL,NULL,'shipped'),
('520112','乌当区','county','520100','division',NULL,NULL,NULL,'shipped'),
('520113','白云区','county','520100','division',NULL,NULL,NULL,'shipped'),
('520115','观山湖区','county','520100','division',NULL,NULL,NULL,'shipped'),
('520121','开阳县','county','520100','division',NULL,NULL,NULL,'shipped'),
('520122','息烽县','county','520100','division',NULL,NULL,NULL,'shipped'),
('520123','修文县','county','520100','division',NULL,NULL,NULL,'shipped'),
('520181','清镇市','county','520100','division',NULL,NULL,NULL,'shipped'),
('520200','六盘水市','prefecture','520000','division',NULL,NULL,NULL,'shipped'),
('520201','钟山区','county','520200','division',NULL,NULL,NULL,'shipped'),
('520203','六枝特区','county','520200','division',NULL,NULL,NULL,'shipped'),
('520204','水城区','county','520200','division',NULL,NULL,NULL,'shipped'),
('520281','盘州市','county','520200','division',NULL,NULL,NULL,'shipped'),
('520300','遵义市','prefecture','520000','division',NULL,NULL,NULL,'shipped'),
('520302','红花岗区','county','520300','division',NULL,NULL,NULL,'shipped'),
('520303','汇川区','county','520300','division',NULL,NULL,NULL,'shipped'),
('520304','播州区','county','520300','division',NULL,NULL,NULL,'shipped'),
('520322','桐梓县','county','520300','division',NULL,NULL,NULL,'shipped'),
('520323','绥阳县','county','520300','division',NULL,NULL,NULL,'shipped'),
('520324','正安县','county','520300','division',NULL,NULL,NULL,'shipped'),
('520325','道真仡佬族苗族自治县','county','520300','division',NULL,NULL,NULL,'shipped'),
('520326','务川仡佬族苗族自治县','county','520300','division',NULL,NULL,NULL,'shipped'),
('520327','凤冈县','county','520300','division',NULL,NULL,NULL,'shipped'),
('520328','湄潭县','county','520300','division',NULL,NULL,NULL,'shipped'),
('520329','余庆县','county','520300','division',NULL,NULL,NULL,'shipped'),
('520330','习水县','county','520300','division',NULL,NULL,NULL,'shipped'),
('520381','赤水市','county','520300','division',NULL,NULL,NULL,'shipped'),
('520382','仁怀市','county','520300','division',NULL,NULL,NULL,'shipped'),
('520400','安顺市','prefecture','520000','division',NULL,NULL,NULL,'shipped'),
('520402','西秀区','county','520400','division',NULL,NULL,NULL,'shipped'),
('520403','平坝区','county','520400','division',NULL,NULL,NULL,'shipped'),
('520422','普定县','county','520400','division',NULL,NULL,NULL,'shipped'),
('520423','镇宁布依族苗族自治县','county','520400','division',NULL,NULL,NULL,'shipped'),
('520424','关岭布依族苗族自治县','county','520400','division',NULL,NULL,NULL,'shipped'),
('520425','紫云苗族布依族自治县','county','520400','division',NULL,NULL,NULL,'shipped'),
('520500','毕节市','prefecture','520000','division',NULL,NULL,NULL,'shipped'),
('520502','七星关区','county','520500','division',NULL,NULL,NULL,'shipped'),
('520521','大方县','county','520500','division',NULL,NULL,NULL,'shipped'),
('520523','金沙县','county','520500','division',NULL,NULL,NULL,'shipped'),
('520524','织金县','county','520500','division',NULL,NULL,NULL,'shipped'),
('520525','纳雍县','county','520500','division',NULL,NULL,NULL,'shipped'),
('520526','威宁彝族回族苗族自治县','county','520500','division',NULL,NULL,NULL,'shipped'),
('520527','赫章县','county','520500','division',NULL,NULL,NULL,'shipped'),
('520581','黔西市','county','520500','division',NULL,NULL,NULL,'shipped'),
('520600','铜仁市','prefecture','520000','division',NULL,NULL,NULL,'shipped'),
('520602','碧江区','county','520600','division',NULL,NULL,NULL,'shipped'),
('520603','万山区','county','520600','division',NULL,NULL,NULL,'shipped'),
('520621','江口县','county','520600','division',NULL,NULL,NULL,'shipped'),
('520622','玉屏侗族自治县','county','520600','division',NULL,NULL,NULL,'shipped'),
('520623','石阡县','county','520600','division',NULL,NULL,NULL,'shipped'),
('520624','思南县','county','520600','division',NULL,NULL,NULL,'shipped'),
('520625','印江土家族苗族自治县','county','520600','division',NULL,NULL,NULL,'shipped'),
('520626','德江县','county','520600','division',NULL,NULL,NULL,'shipped'),
('520627','沿河土家族自治县','county','520600','division',NULL,NULL,NULL,'shipped'),
('520628','松桃苗族自治县','county','520600','division',NULL,NULL,NULL,'shipped'),
('522300','黔西南布依族苗族自治州','prefecture','520000','division',NULL,NULL,NULL,'shipped'),
('522301','兴义市','county','522300','division',NULL,NULL,NULL,'shipped'),
('522302','兴仁市','county','522300','division',NULL,NULL,NULL,'shipped'),
('522323','普安县','county','522300','division',NULL,NULL,NULL,'shipped'),
('522324','晴隆县','county','522300','division',NULL,NULL,NULL,'shipped'),
('522325','贞丰县','county','522300','division',NULL,NULL,NULL,'shipped'),
('522326','望谟县','county','522300','division',NULL,NULL,NULL,'shipped'),
('522327','册亨县','county','522300','division',NULL,NULL,NULL,'shipped'),
('522328','安龙县','county','522300','division',NULL,NULL,NULL,'shipped'),
('522600','黔东南苗族侗族自治州','prefecture','520000','division',NULL,NULL,NULL,'shipped'),
('522601','凯里市','county','522600','division',NULL,NULL,NULL,'shipped'),
('522622','黄平县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522623','施秉县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522624','三穗县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522625','镇远县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522626','岑巩县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522627','天柱县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522628','锦屏县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522629','剑河县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522630','台江县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522631','黎平县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522632','榕江县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522633','从江县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522634','雷山县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522635','麻江县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522636','丹寨县','county','522600','division',NULL,NULL,NULL,'shipped'),
('522700','黔南布依族苗族自治州','prefecture','520000','division',NULL,NULL,NULL,'shipped'),
('522701','都匀市','county','522700','division',NULL,NULL,NULL,'shipped'),
('522702','福泉市','county','522700','division',NULL,NULL,NULL,'shipped'),
('522722','荔波县','county','522700','division',NULL,NULL,NULL,'shipped'),
('522723','贵定县','county','522700','division',NULL,NULL,NULL,'shipped'),
('522725','瓮安县','county','522700','division',NULL,NULL,NULL,'shipped'),
('522726','独山县','county','522700','division',NULL,NULL,NULL,'shipped'),
('522727','平塘县','county','522700','division',NULL,NULL,NULL,'shipped'),
('522728','罗甸县','county','522700','division',NULL,NULL,NULL,'shipped'),
('522729','长顺县','county','522700','division',NULL,NULL,NULL,'shipped'),
('522730','龙里县','county','522700','division',NULL,NULL,NULL,'shipped'),
('522731','惠水县','county','522700','division',NULL,NULL,NULL,'shipped'),
('522732','三都水族自治县','county','522700','division',NULL,NULL,NULL,'shipped'),
('530000','云南省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('530100','昆明市','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('530102','五华区','county','530100','division',NULL,NULL,NULL,'shipped'),
('530103','盘龙区','county','530100','division',NULL,NULL,NULL,'shipped'),
('530111','官渡区','county','530100','division',NULL,NULL,NULL,'shipped'),
('530112','西山区','county','530100','division',NULL,NULL,NULL,'shipped'),
('530113','东川区','county','530100','division',NULL,NULL,NULL,'shipped'),
('530114','呈贡区','county','530100','division',NULL,NULL,NULL,'shipped'),
('530115','晋宁区','county','530100','division',NULL,NULL,NULL,'shipped'),
('530124','富民县','county','530100','division',NULL,NULL,NULL,'shipped'),
('530125','宜良县','county','530100','division',NULL,NULL,NULL,'shipped'),
('530126','石林彝族自治县','county','530100','division',NULL,NULL,NULL,'shipped'),
('530127','嵩明县','county','530100','division',NULL,NULL,NULL,'shipped'),
('530128','禄劝彝族苗族自治县','county','530100','division',NULL,NULL,NULL,'shipped'),
('530129','寻甸回族彝族自治县','county','530100','division',NULL,NULL,NULL,'shipped'),
('530181','安宁市','county','530100','division',NULL,NULL,NULL,'shipped'),
('530300','曲靖市','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('530302','麒麟区','county','530300','division',NULL,NULL,NULL,'shipped'),
('530303','沾益区','county','530300','division',NULL,NULL,NULL,'shipped'),
('530304','马龙区','county','530300','division',NULL,NULL,NULL,'shipped'),
('530322','陆良县','county','530300','division',NULL,NULL,NULL,'shipped'),
('530323','师宗县','county','530300','division',NULL,NULL,NULL,'shipped'),
('530324','罗平县','county','530300','division',NULL,NULL,NULL,'shipped'),
('530325','富源县','county','530300','division',NULL,NULL,NULL,'shipped'),
('530326','会泽县','county','530300','division',NULL,NULL,NULL,'shipped'),
('530381','宣威市','county','530300','division',NULL,NULL,NULL,'shipped'),
('530400','玉溪市','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('530402','红塔区','county','530400','division',NULL,NULL,NULL,'shipped'),
('530403','江川区','county','530400','division',NULL,NULL,NULL,'shipped'),
('530423','通海县','county','530400','division',NULL,NULL,NULL,'shipped'),
('530424','华宁县','county','530400','division',NULL,NULL,NULL,'shipped'),
('530425','易门县','county','530400','division',NULL,NULL,NULL,'shipped'),
('530426','峨山彝族自治县','county','530400','division',NULL,NULL,NULL,'shipped'),
('530427','新平彝族傣族自治县','county','530400','division',NULL,NULL,NULL,'shipped'),
('530428','元江哈尼族彝族傣族自治县','county','530400','division',NULL,NULL,NULL,'shipped'),
('530481','澄江市','county','530400','division',NULL,NULL,NULL,'shipped'),
('530500','保山市','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('530502','隆阳区','county','530500','division',NULL,NULL,NULL,'shipped'),
('530521','施甸县','county','530500','division',NULL,NULL,NULL,'shipped'),
('530523','龙陵县','county','530500','division',NULL,NULL,NULL,'shipped'),
('530524','昌宁县','county','530500','division',NULL,NULL,NULL,'shipped'),
('530581','腾冲市','county','530500','division',NULL,NULL,NULL,'shipped'),
('530600','昭通市','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('530602','昭阳区','county','530600','division',NULL,NULL,NULL,'shipped'),
('530621','鲁甸县','county','530600','division',NULL,NULL,NULL,'shipped'),
('530622','巧家县','county','530600','division',NULL,NULL,NULL,'shipped'),
('530623','盐津县','county','530600','division',NULL,NULL,NULL,'shipped'),
('530624','大关县','county','530600','division',NULL,NULL,NULL,'shipped'),
('530625','永善县','county','530600','division',NULL,NULL,NULL,'shipped'),
('530626','绥江县','county','530600','division',NULL,NULL,NULL,'shipped'),
('530627','镇雄县','county','530600','division',NULL,NULL,NULL,'shipped'),
('530628','彝良县','county','530600','division',NULL,NULL,NULL,'shipped'),
('530629','威信县','county','530600','division',NULL,NULL,NULL,'shipped'),
('530681','水富市','county','530600','division',NULL,NULL,NULL,'shipped'),
('530700','丽江市','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('530702','古城区','county','530700','division',NULL,NULL,NULL,'shipped'),
('530721','玉龙纳西族自治县','county','530700','division',NULL,NULL,NULL,'shipped'),
('530722','永胜县','county','530700','division',NULL,NULL,NULL,'shipped'),
('530723','华坪县','county','530700','division',NULL,NULL,NULL,'shipped'),
('530724','宁蒗彝族自治县','county','530700','division',NULL,NULL,NULL,'shipped'),
('530800','普洱市','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('530802','思茅区','county','530800','division',NULL,NULL,NULL,'shipped'),
('530821','宁洱哈尼族彝族自治县','county','530800','division',NULL,NULL,NULL,'shipped'),
('530822','墨江哈尼族自治县','county','530800','division',NULL,NULL,NULL,'shipped'),
('530823','景东彝族自治县','county','530800','division',NULL,NULL,NULL,'shipped'),
('530824','景谷傣族彝族自治县','county','530800','division',NULL,NULL,NULL,'shipped'),
('530825','镇沅彝族哈尼族拉祜族自治县','county','530800','division',NULL,NULL,NULL,'shipped'),
('530826','江城哈尼族彝族自治县','county','530800','division',NULL,NULL,NULL,'shipped'),
('530827','孟连傣族拉祜族佤族自治县','county','530800','division',NULL,NULL,NULL,'shipped'),
('530828','澜沧拉祜族自治县','county','530800','division',NULL,NULL,NULL,'shipped'),
('530829','西盟佤族自治县','county','530800','division',NULL,NULL,NULL,'shipped'),
('530900','临沧市','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('530902','临翔区','county','530900','division',NULL,NULL,NULL,'shipped'),
('530921','凤庆县','county','530900','division',NULL,NULL,NULL,'shipped'),
('530922','云县','county','530900','division',NULL,NULL,NULL,'shipped'),
('530923','永德县','county','530900','division',NULL,NULL,NULL,'shipped'),
('530924','镇康县','county','530900','division',NULL,NULL,NULL,'shipped'),
('530925','双江拉祜族佤族布朗族傣族自治县','county','530900','division',NULL,NULL,NULL,'shipped'),
('530926','耿马傣族佤族自治县','county','530900','division',NULL,NULL,NULL,'shipped'),
('530927','沧源佤族自治县','county','530900','division',NULL,NULL,NULL,'shipped'),
('532300','楚雄彝族自治州','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('532301','楚雄市','county','532300','division',NULL,NULL,NULL,'shipped'),
('532302','禄丰市','county','532300','division',NULL,NULL,NULL,'shipped'),
('532322','双柏县','county','532300','division',NULL,NULL,NULL,'shipped'),
('532323','牟定县','county','532300','division',NULL,NULL,NULL,'shipped'),
('532324','南华县','county','532300','division',NULL,NULL,NULL,'shipped'),
('532325','姚安县','county','532300','division',NULL,NULL,NULL,'shipped'),
('532326','大姚县','county','532300','division',NULL,NULL,NULL,'shipped'),
('532327','永仁县','county','532300','division',NULL,NULL,NULL,'shipped'),
('532328','元谋县','county','532300','division',NULL,NULL,NULL,'shipped'),
('532329','武定县','county','532300','division',NULL,NULL,NULL,'shipped'),
('532500','红河哈尼族彝族自治州','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('532501','个旧市','county','532500','division',NULL,NULL,NULL,'shipped'),
('532502','开远市','county','532500','division',NULL,NULL,NULL,'shipped'),
('532503','蒙自市','county','532500','division',NULL,NULL,NULL,'shipped'),
('532504','弥勒市','county','532500','division',NULL,NULL,NULL,'shipped'),
('532523','屏边苗族自治县','county','532500','division',NULL,NULL,NULL,'shipped'),
('532524','建水县','county','532500','division',NULL,NULL,NULL,'shipped'),
('532525','石屏县','county','532500','division',NULL,NULL,NULL,'shipped'),
('532527','泸西县','county','532500','division',NULL,NULL,NULL,'shipped'),
('532528','元阳县','county','532500','division',NULL,NULL,NULL,'shipped'),
('532529','红河县','county','532500','division',NULL,NULL,NULL,'shipped'),
('532530','金平苗族瑶族傣族自治县','county','532500','division',NULL,NULL,NULL,'shipped'),
('532531','绿春县','county','532500','division',NULL,NULL,NULL,'shipped'),
('532532','河口瑶族自治县','county','532500','division',NULL,NULL,NULL,'shipped'),
('532600','文山壮族苗族自治州','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('532601','文山市','county','532600','division',NULL,NULL,NULL,'shipped'),
('532622','砚山县','county','532600','division',NULL,NULL,NULL,'shipped'),
('532623','西畴县','county','532600','division',NULL,NULL,NULL,'shipped'),
('532624','麻栗坡县','county','532600','division',NULL,NULL,NULL,'shipped'),
('532625','马关县','county','532600','division',NULL,NULL,NULL,'shipped'),
('532626','丘北县','county','532600','division',NULL,NULL,NULL,'shipped'),
('532627','广南县','county','532600','division',NULL,NULL,NULL,'shipped'),
('532628','富宁县','county','532600','division',NULL,NULL,NULL,'shipped'),
('532800','西双版纳傣族自治州','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('532801','景洪市','county','532800','division',NULL,NULL,NULL,'shipped'),
('532822','勐海县','county','532800','division',NULL,NULL,NULL,'shipped'),
('532823','勐腊县','county','532800','division',NULL,NULL,NULL,'shipped'),
('532900','大理白族自治州','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('532901','大理市','county','532900','division',NULL,NULL,NULL,'shipped'),
('532922','漾濞彝族自治县','county','532900','division',NULL,NULL,NULL,'shipped'),
('532923','祥云县','county','532900','division',NULL,NULL,NULL,'shipped'),
('532924','宾川县','county','532900','division',NULL,NULL,NULL,'shipped'),
('532925','弥渡县','county','532900','division',NULL,NULL,NULL,'shipped'),
('532926','南涧彝族自治县','county','532900','division',NULL,NULL,NULL,'shipped'),
('532927','巍山彝族回族自治县','county','532900','division',NULL,NULL,NULL,'shipped'),
('532928','永平县','county','532900','division',NULL,NULL,NULL,'shipped'),
('532929','云龙县','county','532900','division',NULL,NULL,NULL,'shipped'),
('532930','洱源县','county','532900','division',NULL,NULL,NULL,'shipped'),
('532931','剑川县','county','532900','division',NULL,NULL,NULL,'shipped'),
('532932','鹤庆县','county','532900','division',NULL,NULL,NULL,'shipped'),
('533100','德宏傣族景颇族自治州','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('533102','瑞丽市','county','533100','division',NULL,NULL,NULL,'shipped'),
('533103','芒市','county','533100','division',NULL,NULL,NULL,'shipped'),
('533122','梁河县','county','533100','division',NULL,NULL,NULL,'shipped'),
('533123','盈江县','county','533100','division',NULL,NULL,NULL,'shipped'),
('533124','陇川县','county','533100','division',NULL,NULL,NULL,'shipped'),
('533300','怒江傈僳族自治州','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('533301','泸水市','county','533300','division',NULL,NULL,NULL,'shipped'),
('533323','福贡县','county','533300','division',NULL,NULL,NULL,'shipped'),
('533324','贡山独龙族怒族自治县','county','533300','division',NULL,NULL,NULL,'shipped'),
('533325','兰坪白族普米族自治县','county','533300','division',NULL,NULL,NULL,'shipped'),
('533400','迪庆藏族自治州','prefecture','530000','division',NULL,NULL,NULL,'shipped'),
('533401','香格里拉市','county','533400','division',NULL,NULL,NULL,'shipped'),
('533422','德钦县','county','533400','division',NULL,NULL,NULL,'shipped'),
('533423','维西傈僳族自治县','county','533400','division',NULL,NULL,NULL,'shipped'),
('540000','西藏自治区','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('540100','拉萨市','prefecture','540000','division',NULL,NULL,NULL,'shipped'),
('540102','城关区','county','540100','division',NULL,NULL,NULL,'shipped'),
('540103','堆龙德庆区','county','540100','division',NULL,NULL,NULL,'shipped'),
('540104','达孜区','county','540100','division',NULL,NULL,NULL,'shipped'),
('540121','林周县','county','540100','division',NULL,NULL,NULL,'shipped'),
('540122','当雄县','county','540100','division',NULL,NULL,NULL,'shipped'),
('540123','尼木县','county','540100','division',NULL,NULL,NULL,'shipped'),
('540124','曲水县','county','540100','division',NULL,NULL,NULL,'shipped'),
('540127','墨竹工卡县','county','540100','division',NULL,NULL,NULL,'shipped'),
('540171','格尔木藏青工业园区','county','540100','statistical_zone',NULL,NULL,NULL,'shipped'),
('540172','拉萨经济技术开发区','county','540100','statistical_zone',NULL,NULL,NULL,'shipped'),
('540173','西藏文化旅游创意园区','county','540100','statistical_zone',NULL,NULL,NULL,'shipped'),
('540174','达孜工业园区','county','540100','statistical_zone',NULL,NULL,NULL,'shipped'),
('540200','日喀则市','prefecture','540000','division',NULL,NULL,NULL,'shipped'),
('540202','桑珠孜区','county','540200','division',NULL,NULL,NULL,'shipped'),
('540221','南木林县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540222','江孜县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540223','定日县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540224','萨迦县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540225','拉孜县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540226','昂仁县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540227','谢通门县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540228','白朗县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540229','仁布县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540230','康马县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540231','定结县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540232','仲巴县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540233','亚东县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540234','吉隆县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540235','聂拉木县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540236','萨嘎县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540237','岗巴县','county','540200','division',NULL,NULL,NULL,'shipped'),
('540300','昌都市','prefecture','540000','division',NULL,NULL,NULL,'shipped'),
('540302','卡若区','county','540300','division',NULL,NULL,NULL,'shipped'),
('540321','江达县','county','540300','division',NULL,NULL,NULL,'shipped'),
('540322','贡觉县','county','540300','division',NULL,NULL,NULL,'shipped'),
('540323','类乌齐县','county','540300','division',NULL,NULL,NULL,'shipped'),
('540324','丁青县','county','540300','division',NULL,NULL,NULL,'shipped'),
('540325','察雅县','county','540300','division',NULL,NULL,NULL,'shipped'),
('540326','八宿县','county','540300','division',NULL,NULL,NULL,'shipped'),
('540327','左贡县','county','540300','division',NULL,NULL,NULL,'shipped'),
('540328','芒康县','county','540300','division',NULL,NULL,NULL,'shipped'),
('540329','洛隆县','county','540300','division',NULL,NULL,NULL,'shipped'),
('540330','边坝县','county','540300','division',NULL,NULL,NULL,'shipped'),
('540400','林芝市','prefecture','540000','division',NULL,NULL,NULL,'shipped'),
('540402','巴宜区','county','540400','division',NULL,NULL,NULL,'shipped'),
('540421','工布江达县','county','540400','division',NULL,NULL,NULL,'shipped'),
('540423','墨脱县','county','540400','division',NULL,NULL,NULL,'shipped'),
('540424','波密县','county','540400','division',NULL,NULL,NULL,'shipped'),
('540425','察隅县','county','540400','division',NULL,NULL,NULL,'shipped'),
('540426','朗县','county','540400','division',NULL,NULL,NULL,'shipped'),
('540481','米林市','county','540400','division',NULL,NULL,NULL,'shipped'),
('540500','山南市','prefecture','540000','division',NULL,NULL,NULL,'shipped'),
('540502','乃东区','county','540500','division',NULL,NULL,NULL,'shipped'),
('540521','扎囊县','county','540500','division',NULL,NULL,NULL,'shipped'),
('540522','贡嘎县','county','540500','division',NULL,NULL,NULL,'shipped'),
('540523','桑日县','county','540500','division',NULL,NULL,NULL,'shipped'),
('540524','琼结县','county','540500','division',NULL,NULL,NULL,'shipped'),
('540525','曲松县','county','540500','division',NULL,NULL,NULL,'shipped'),
('540526','措美县','county','540500','division',NULL,NULL,NULL,'shipped'),
('540527','洛扎县','county','540500','division',NULL,NULL,NULL,'shipped'),
('540528','加查县','county','540500','division',NULL,NULL,NULL,'shipped'),
('540529','隆子县','county','540500','division',NULL,NULL,NULL,'shipped'),
('540531','浪卡子县','county','540500','division',NULL,NULL,NULL,'shipped'),
('540581','错那市','county','540500','division',NULL,NULL,NULL,'shipped'),
('540600','那曲市','prefecture','540000','division',NULL,NULL,NULL,'shipped'),
('540602','色尼区','county','540600','division',NULL,NULL,NULL,'shipped'),
('540621','嘉黎县','county','540600','division',NULL,NULL,NULL,'shipped'),
('540622','比如县','county','540600','division',NULL,NULL,NULL,'shipped'),
('540623','聂荣县','county','540600','division',NULL,NULL,NULL,'shipped'),
('540624','安多县','county','540600','division',NULL,NULL,NULL,'shipped'),
('540625','申扎县','county','540600','division',NULL,NULL,NULL,'shipped'),
('540626','索县','county','540600','division',NULL,NULL,NULL,'shipped'),
('540627','班戈县','county','540600','division',NULL,NULL,NULL,'shipped'),
('540628','巴青县','county','540600','division',NULL,NULL,NULL,'shipped'),
('540629','尼玛县','county','540600','division',NULL,NULL,NULL,'shipped'),
('540630','双湖县','county','540600','division',NULL,NULL,NULL,'shipped'),
('542500','阿里地区','prefecture','540000','division',NULL,NULL,NULL,'shipped'),
('542521','普兰县','county','542500','division',NULL,NULL,NULL,'shipped'),
('542522','札达县','county','542500','division',NULL,NULL,NULL,'shipped'),
('542523','噶尔县','county','542500','division',NULL,NULL,NULL,'shipped'),
('542524','日土县','county','542500','division',NULL,NULL,NULL,'shipped'),
('542525','革吉县','county','542500','division',NULL,NULL,NULL,'shipped'),
('542526','改则县','county','542500','division',NULL,NULL,NULL,'shipped'),
('542527','措勤县','county','542500','division',NULL,NULL,NULL,'shipped'),
('610000','陕西省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('610100','西安市','prefecture','610000','division',NULL,NULL,NULL,'shipped'),
('610102','新城区','county','610100','division',NULL,NULL,NULL,'shipped'),
('610103','碑林区','county','610100','division',NULL,NULL,NULL,'shipped'),
('610104','莲湖区','county','610100','division',NULL,NULL,NULL,'shipped'),
('610111','灞桥区','county','610100','division',NULL,NULL,NULL,'shipped'),
('610112','未央区','county','610100','division',NULL,NULL,NULL,'shipped'),
('610113','雁塔区','county','610100','division',NULL,NULL,NULL,'shipped'),
('610114','阎良区','county','610100','division',NULL,NULL,NULL,'shipped'),
('610115','临潼区','county','610100','division',NULL,NULL,NULL,'shipped'),
('610116','长安区','county','610100','division',NULL,NULL,NULL,'shipped'),
('610117','高陵区','county','610100','division',NULL,NULL,NULL,'shipped'),
('610118','鄠邑区','county','610100','division',NULL,NULL,NULL,'shipped'),
('610122','蓝田县','county','610100','division',NULL,NULL,NULL,'shipped'),
('610124','周至县','county','610100','division',NULL,NULL,NULL,'shipped'),
('610200','铜川市','prefecture','610000','division',NULL,NULL,NULL,'shipped'),
('610202','王益区','county','610200','division',NULL,NULL,NULL,'shipped'),
('610203','印台区','county','610200','division',NULL,NULL,NULL,'shipped'),
('610204','耀州区','county','610200','division',NULL,NULL,NULL,'shipped'),
('610222','宜君县','county','610200','division',NULL,NULL,NULL,'shipped'),
('610300','宝鸡市','prefecture','610000','division',NULL,NULL,NULL,'shipped'),
('610302','渭滨区','county','610300','division',NULL,NULL,NULL,'shipped'),
('610303','金台区','county','610300','division',NULL,NULL,NULL,'shipped'),
('610304','陈仓区','county','610300','division',NULL,NULL,NULL,'shipped'),
('610305','凤翔区','county','610300','division',NULL,NULL,NULL,'shipped'),
('610323','岐山县','county','610300','division',NULL,NULL,NULL,'shipped'),
('610324','扶风县','county','610300','division',NULL,NULL,NULL,'shipped'),
('610326','眉县','county','610300','division',NULL,NULL,NULL,'shipped'),
('610327','陇县','county','610300','division',NULL,NULL,NULL,'shipped'),
('610328','千阳县','county','610300','division',NULL,NULL,NULL,'shipped'),
('610329','麟游县','county','610300','division',NULL,NULL,NULL,'shipped'),
('610330','凤县','county','610300','division',NULL,NULL,NULL,'shipped'),
('610331','太白县','county','610300','division',NULL,NULL,NULL,'shipped'),
('610400','咸阳市','prefecture','610000','division',NULL,NULL,NULL,'shipped'),
('610402','秦都区','county','610400','division',NULL,NULL,NULL,'shipped'),
('610403','杨陵区','county','610400','division',NULL,NULL,NULL,'shipped'),
('610404','渭城区','county','610400','division',NULL,NULL,NULL,'shipped'),
('610422','三原县','county','610400','division',NULL,NULL,NULL,'shipped'),
('610423','泾阳县','county','610400','division',NULL,NULL,NULL,'shipped'),
('610424','乾县','county','610400','division',NULL,NULL,NULL,'shipped'),
('610425','礼泉县','county','610400','division',NULL,NULL,NULL,'shipped'),
('610426','永寿县','county','610400','division',NULL,NULL,NULL,'shipped'),
('610428','长武县','county','610400','division',NULL,NULL,NULL,'shipped'),
('610429','旬邑县','county','610400','division',NULL,NULL,NULL,'shipped'),
('610430','淳化县','county','610400','division',NULL,NULL,NULL,'shipped'),
('610431','武功县','county','610400','division',NULL,NULL,NULL,'shipped'),
('610481','兴平市','county','610400','division',NULL,NULL,NULL,'shipped'),
('610482','彬州市','county','610400','division',NULL,NULL,NULL,'shipped'),
('610500','渭南市','prefecture','610000','division',NULL,NULL,NULL,'shipped'),
('610502','临渭区','county','610500','division',NULL,NULL,NULL,'shipped'),
('610503','华州区','county','610500','division',NULL,NULL,NULL,'shipped'),
('610522','潼关县','county','610500','division',NULL,NULL,NULL,'shipped'),
('610523','大荔县','county','610500','division',NULL,NULL,NULL,'shipped'),
('610524','合阳县','county','610500','division',NULL,NULL,NULL,'shipped'),
('610525','澄城县','county','610500','division',NULL,NULL,NULL,'shipped'),
('610526','蒲城县','county','610500','division',NULL,NULL,NULL,'shipped'),
('610527','白水县','county','610500','division',NULL,NULL,NULL,'shipped'),
('610528','富平县','county','610500','division',NULL,NULL,NULL,'shipped'),
('610581','韩城市','county','610500','division',NULL,NULL,NULL,'shipped'),
('610582','华阴市','county','610500','division',NULL,NULL,NULL,'shipped'),
('610600','延安市','prefecture','610000','division',NULL,NULL,NULL,'shipped'),
('610602','宝塔区','county','610600','division',NULL,NULL,NULL,'shipped'),
('610603','安塞区','county','610600','division',NULL,NULL,NULL,'shipped'),
('610621','延长县','county','610600','division',NULL,NULL,NULL,'shipped'),
('610622','延川县','county','610600','division',NULL,NULL,NULL,'shipped'),
('610625','志丹县','county','610600','division',NULL,NULL,NULL,'shipped'),
('610626','吴起县','county','610600','division',NULL,NULL,NULL,'shipped'),
('610627','甘泉县','county','610600','division',NULL,NULL,NULL,'shipped'),
('610628','富县','county','610600','division',NULL,NULL,NULL,'shipped'),
('610629','洛川县','county','610600','division',NULL,NULL,NULL,'shipped'),
('610630','宜川县','county','610600','division',NULL,NULL,NULL,'shipped'),
('610631','黄龙县','county','610600','division',NULL,NULL,NULL,'shipped'),
('610632','黄陵县','county','610600','division',NULL,NULL,NULL,'shipped'),
('610681','子长市','county','610600','division',NULL,NULL,NULL,'shipped'),
('610700','汉中市','prefecture','610000','division',NULL,NULL,NULL,'shipped'),
('610702','汉台区','county','610700','division',NULL,NULL,NULL,'shipped'),
('610703','南郑区','county','610700','division',NULL,NULL,NULL,'shipped'),
('610722','城固县','county','610700','division',NULL,NULL,NULL,'shipped'),
('610723','洋县','county','610700','division',NULL,NULL,NULL,'shipped'),
('610724','西乡县','county','610700','division',NULL,NULL,NULL,'shipped'),
('610725','勉县','county','610700','division',NULL,NULL,NULL,'shipped'),
('610726','宁强县','county','610700','division',NULL,NULL,NULL,'shipped'),
('610727','略阳县','county','610700','division',NULL,NULL,NULL,'shipped'),
('610728','镇巴县','county','610700','division',NULL,NULL,NULL,'shipped'),
('610729','留坝县','county','610700','division',NULL,NULL,NULL,'shipped'),
('610730','佛坪县','county','610700','division',NULL,NULL,NULL,'shipped'),
('610800','榆林市','prefecture','610000','division',NULL,NULL,NULL,'shipped'),
('610802','榆阳区','county','610800','division',NULL,NULL,NULL,'shipped'),
('610803','横山区','county','610800','division',NULL,NULL,NULL,'shipped'),
('610822','府谷县','county','610800','division',NULL,NULL,NULL,'shipped'),
('610824','靖边县','county','610800','division',NULL,NULL,NULL,'shipped'),
('610825','定边县','county','610800','division',NULL,NULL,NULL,'shipped'),
('610826','绥德县','county','610800','division',NULL,NULL,NULL,'shipped'),
('610827','米脂县','county','610800','division',NULL,NULL,NULL,'shipped'),
('610828','佳县','county','610800','division',NULL,NULL,NULL,'shipped'),
('610829','吴堡县','county','610800','division',NULL,NULL,NULL,'shipped'),
('610830','清涧县','county','610800','division',NULL,NULL,NULL,'shipped'),
('610831','子洲县','county','610800','division',NULL,NULL,NULL,'shipped'),
('610881','神木市','county','610800','division',NULL,NULL,NULL,'shipped'),
('610900','安康市','prefecture','610000','division',NULL,NULL,NULL,'shipped'),
('610902','汉滨区','county','610900','division',NULL,NULL,NULL,'shipped'),
('610921','汉阴县','county','610900','division',NULL,NULL,NULL,'shipped'),
('610922','石泉县','county','610900','division',NULL,NULL,NULL,'shipped'),
('610923','宁陕县','county','610900','division',NULL,NULL,NULL,'shipped'),
('610924','紫阳县','county','610900','division',NULL,NULL,NULL,'shipped'),
('610925','岚皋县','county','610900','division',NULL,NULL,NULL,'shipped'),
('610926','平利县','county','610900','division',NULL,NULL,NULL,'shipped'),
('610927','镇坪县','county','610900','division',NULL,NULL,NULL,'shipped'),
('610929','白河县','county','610900','division',NULL,NULL,NULL,'shipped'),
('610981','旬阳市','county','610900','division',NULL,NULL,NULL,'shipped'),
('611000','商洛市','prefecture','610000','division',NULL,NULL,NULL,'shipped'),
('611002','商州区','county','611000','division',NULL,NULL,NULL,'shipped'),
('611021','洛南县','county','611000','division',NULL,NULL,NULL,'shipped'),
('611022','丹凤县','county','611000','division',NULL,NULL,NULL,'shipped'),
('611023','商南县','county','611000','division',NULL,NULL,NULL,'shipped'),
('611024','山阳县','county','611000','division',NULL,NULL,NULL,'shipped'),
('611025','镇安县','county','611000','division',NULL,NULL,NULL,'shipped'),
('611026','柞水县','county','611000','division',NULL,NULL,NULL,'shipped'),
('620000','甘肃省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('620100','兰州市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('620102','城关区','county','620100','division',NULL,NULL,NULL,'shipped'),
('620103','七里河区','county','620100','division',NULL,NULL,NULL,'shipped'),
('620104','西固区','county','620100','division',NULL,NULL,NULL,'shipped'),
('620105','安宁区','county','620100','division',NULL,NULL,NULL,'shipped'),
('620111','红古区','county','620100','division',NULL,NULL,NULL,'shipped'),
('620121','永登县','county','620100','division',NULL,NULL,NULL,'shipped'),
('620122','皋兰县','county','620100','division',NULL,NULL,NULL,'shipped'),
('620123','榆中县','county','620100','division',NULL,NULL,NULL,'shipped'),
('620171','兰州新区','county','620100','statistical_zone',NULL,NULL,NULL,'shipped'),
('620200','嘉峪关市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('620201','市辖区','county','620200','placeholder',NULL,NULL,NULL,'shipped'),
('620300','金昌市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('620302','金川区','county','620300','division',NULL,NULL,NULL,'shipped'),
('620321','永昌县','county','620300','division',NULL,NULL,NULL,'shipped'),
('620400','白银市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('620402','白银区','county','620400','division',NULL,NULL,NULL,'shipped'),
('620403','平川区','county','620400','division',NULL,NULL,NULL,'shipped'),
('620421','靖远县','county','620400','division',NULL,NULL,NULL,'shipped'),
('620422','会宁县','county','620400','division',NULL,NULL,NULL,'shipped'),
('620423','景泰县','county','620400','division',NULL,NULL,NULL,'shipped'),
('620500','天水市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('620502','秦州区','county','620500','division',NULL,NULL,NULL,'shipped'),
('620503','麦积区','county','620500','division',NULL,NULL,NULL,'shipped'),
('620521','清水县','county','620500','division',NULL,NULL,NULL,'shipped'),
('620522','秦安县','county','620500','division',NULL,NULL,NULL,'shipped'),
('620523','甘谷县','county','620500','division',NULL,NULL,NULL,'shipped'),
('620524','武山县','county','620500','division',NULL,NULL,NULL,'shipped'),
('620525','张家川回族自治县','county','620500','division',NULL,NULL,NULL,'shipped'),
('620600','武威市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('620602','凉州区','county','620600','division',NULL,NULL,NULL,'shipped'),
('620621','民勤县','county','620600','division',NULL,NULL,NULL,'shipped'),
('620622','古浪县','county','620600','division',NULL,NULL,NULL,'shipped'),
('620623','天祝藏族自治县','county','620600','division',NULL,NULL,NULL,'shipped'),
('620700','张掖市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('620702','甘州区','county','620700','division',NULL,NULL,NULL,'shipped'),
('620721','肃南裕固族自治县','county','620700','division',NULL,NULL,NULL,'shipped'),
('620722','民乐县','county','620700','division',NULL,NULL,NULL,'shipped'),
('620723','临泽县','county','620700','division',NULL,NULL,NULL,'shipped'),
('620724','高台县','county','620700','division',NULL,NULL,NULL,'shipped'),
('620725','山丹县','county','620700','division',NULL,NULL,NULL,'shipped'),
('620800','平凉市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('620802','崆峒区','county','620800','division',NULL,NULL,NULL,'shipped'),
('620821','泾川县','county','620800','division',NULL,NULL,NULL,'shipped'),
('620822','灵台县','county','620800','division',NULL,NULL,NULL,'shipped'),
('620823','崇信县','county','620800','division',NULL,NULL,NULL,'shipped'),
('620825','庄浪县','county','620800','division',NULL,NULL,NULL,'shipped'),
('620826','静宁县','county','620800','division',NULL,NULL,NULL,'shipped'),
('620881','华亭市','county','620800','division',NULL,NULL,NULL,'shipped'),
('620900','酒泉市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('620902','肃州区','county','620900','division',NULL,NULL,NULL,'shipped'),
('620921','金塔县','county','620900','division',NULL,NULL,NULL,'shipped'),
('620922','瓜州县','county','620900','division',NULL,NULL,NULL,'shipped'),
('620923','肃北蒙古族自治县','county','620900','division',NULL,NULL,NULL,'shipped'),
('620924','阿克塞哈萨克族自治县','county','620900','division',NULL,NULL,NULL,'shipped'),
('620981','玉门市','county','620900','division',NULL,NULL,NULL,'shipped'),
('620982','敦煌市','county','620900','division',NULL,NULL,NULL,'shipped'),
('621000','庆阳市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('621002','西峰区','county','621000','division',NULL,NULL,NULL,'shipped'),
('621021','庆城县','county','621000','division',NULL,NULL,NULL,'shipped'),
('621022','环县','county','621000','division',NULL,NULL,NULL,'shipped'),
('621023','华池县','county','621000','division',NULL,NULL,NULL,'shipped'),
('621024','合水县','county','621000','division',NULL,NULL,NULL,'shipped'),
('621025','正宁县','county','621000','division',NULL,NULL,NULL,'shipped'),
('621026','宁县','county','621000','division',NULL,NULL,NULL,'shipped'),
('621027','镇原县','county','621000','division',NULL,NULL,NULL,'shipped'),
('621100','定西市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('621102','安定区','county','621100','division',NULL,NULL,NULL,'shipped'),
('621121','通渭县','county','621100','division',NULL,NULL,NULL,'shipped'),
('621122','陇西县','county','621100','division',NULL,NULL,NULL,'shipped'),
('621123','渭源县','county','621100','division',NULL,NULL,NULL,'shipped'),
('621124','临洮县','county','621100','division',NULL,NULL,NULL,'shipped'),
('621125','漳县','county','621100','division',NULL,NULL,NULL,'shipped'),
('621126','岷县','county','621100','division',NULL,NULL,NULL,'shipped'),
('621200','陇南市','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('621202','武都区','county','621200','division',NULL,NULL,NULL,'shipped'),
('621221','成县','county','621200','division',NULL,NULL,NULL,'shipped'),
('621222','文县','county','621200','division',NULL,NULL,NULL,'shipped'),
('621223','宕昌县','county','621200','division',NULL,NULL,NULL,'shipped'),
('621224','康县','county','621200','division',NULL,NULL,NULL,'shipped'),
('621225','西和县','county','621200','division',NULL,NULL,NULL,'shipped'),
('621226','礼县','county','621200','division',NULL,NULL,NULL,'shipped'),
('621227','徽县','county','621200','division',NULL,NULL,NULL,'shipped'),
('621228','两当县','county','621200','division',NULL,NULL,NULL,'shipped'),
('622900','临夏回族自治州','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('622901','临夏市','county','622900','division',NULL,NULL,NULL,'shipped'),
('622921','临夏县','county','622900','division',NULL,NULL,NULL,'shipped'),
('622922','康乐县','county','622900','division',NULL,NULL,NULL,'shipped'),
('622923','永靖县','county','622900','division',NULL,NULL,NULL,'shipped'),
('622924','广河县','county','622900','division',NULL,NULL,NULL,'shipped'),
('622925','和政县','county','622900','division',NULL,NULL,NULL,'shipped'),
('622926','东乡族自治县','county','622900','division',NULL,NULL,NULL,'shipped'),
('622927','积石山保安族东乡族撒拉族自治县','county','622900','division',NULL,NULL,NULL,'shipped'),
('623000','甘南藏族自治州','prefecture','620000','division',NULL,NULL,NULL,'shipped'),
('623001','合作市','county','623000','division',NULL,NULL,NULL,'shipped'),
('623021','临潭县','county','623000','division',NULL,NULL,NULL,'shipped'),
('623022','卓尼县','county','623000','division',NULL,NULL,NULL,'shipped'),
('623023','舟曲县','county','623000','division',NULL,NULL,NULL,'shipped'),
('623024','迭部县','county','623000','division',NULL,NULL,NULL,'shipped'),
('623025','玛曲县','county','623000','division',NULL,NULL,NULL,'shipped'),
('623026','碌曲县','county','623000','division',NULL,NULL,NULL,'shipped'),
('623027','夏河县','county','623000','division',NULL,NULL,NULL,'shipped'),
('630000','青海省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('630100','西宁市','prefecture','630000','division',NULL,NULL,NULL,'shipped'),
('630102','城东区','county','630100','division',NULL,NULL,NULL,'shipped'),
('630103','城中区','county','630100','division',NULL,NULL,NULL,'shipped'),
('630104','城西区','county','630100','division',NULL,NULL,NULL,'shipped'),
('630105','城北区','county','630100','division',NULL,NULL,NULL,'shipped'),
('630106','湟中区','county','630100','division',NULL,NULL,NULL,'shipped'),
('630121','大通回族土族自治县','county','630100','division',NULL,NULL,NULL,'shipped'),
('630123','湟源县','county','630100','division',NULL,NULL,NULL,'shipped'),
('630200','海东市','prefecture','630000','division',NULL,NULL,NULL,'shipped'),
('630202','乐都区','county','630200','division',NULL,NULL,NULL,'shipped'),
('630203','平安区','county','630200','division',NULL,NULL,NULL,'shipped'),
('630222','民和回族土族自治县','county','630200','division',NULL,NULL,NULL,'shipped'),
('630223','互助土族自治县','county','630200','division',NULL,NULL,NULL,'shipped'),
('630224','化隆回族自治县','county','630200','division',NULL,NULL,NULL,'shipped'),
('630225','循化撒拉族自治县','county','630200','division',NULL,NULL,NULL,'shipped'),
('632200','海北藏族自治州','prefecture','630000','division',NULL,NULL,NULL,'shipped'),
('632221','门源回族自治县','county','632200','division',NULL,NULL,NULL,'shipped'),
('632222','祁连县','county','632200','division',NULL,NULL,NULL,'shipped'),
('632223','海晏县','county','632200','division',NULL,NULL,NULL,'shipped'),
('632224','刚察县','county','632200','division',NULL,NULL,NULL,'shipped'),
('632300','黄南藏族自治州','prefecture','630000','division',NULL,NULL,NULL,'shipped'),
('632301','同仁市','county','632300','division',NULL,NULL,NULL,'shipped'),
('632322','尖扎县','county','632300','division',NULL,NULL,NULL,'shipped'),
('632323','泽库县','county','632300','division',NULL,NULL,NULL,'shipped'),
('632324','河南蒙古族自治县','county','632300','division',NULL,NULL,NULL,'shipped'),
('632500','海南藏族自治州','prefecture','630000','division',NULL,NULL,NULL,'shipped'),
('632521','共和县','county','632500','division',NULL,NULL,NULL,'shipped'),
('632522','同德县','county','632500','division',NULL,NULL,NULL,'shipped'),
('632523','贵德县','county','632500','division',NULL,NULL,NULL,'shipped'),
('632524','兴海县','county','632500','division',NULL,NULL,NULL,'shipped'),
('632525','贵南县','county','632500','division',NULL,NULL,NULL,'shipped'),
('632600','果洛藏族自治州','prefecture','630000','division',NULL,NULL,NULL,'shipped'),
('632621','玛沁县','county','632600','division',NULL,NULL,NULL,'shipped'),
('632622','班玛县','county','632600','division',NULL,NULL,NULL,'shipped'),
('632623','甘德县','county','632600','division',NULL,NULL,NULL,'shipped'),
('632624','达日县','county','632600','division',NULL,NULL,NULL,'shipped'),
('632625','久治县','county','632600','division',NULL,NULL,NULL,'shipped'),
('632626','玛多县','county','632600','division',NULL,NULL,NULL,'shipped'),
('632700','玉树藏族自治州','prefecture','630000','division',NULL,NULL,NULL,'shipped'),
('632701','玉树市','county','632700','division',NULL,NULL,NULL,'shipped'),
('632722','杂多县','county','632700','division',NULL,NULL,NULL,'shipped'),
('632723','称多县','county','632700','division',NULL,NULL,NULL,'shipped'),
('632724','治多县','county','632700','division',NULL,NULL,NULL,'shipped'),
('632725','囊谦县','county','632700','division',NULL,NULL,NULL,'shipped'),
('632726','曲麻莱县','county','632700','division',NULL,NULL,NULL,'shipped'),
('632800','海西蒙古族藏族自治州','prefecture','630000','division',NULL,NULL,NULL,'shipped'),
('632801','格尔木市','county','632800','division',NULL,NULL,NULL,'shipped'),
('632802','德令哈市','county','632800','division',NULL,NULL,NULL,'shipped'),
('632803','茫崖市','county','632800','division',NULL,NULL,NULL,'shipped'),
('632821','乌兰县','county','632800','division',NULL,NULL,NULL,'shipped'),
('632822','都兰县','county','632800','division',NULL,NULL,NULL,'shipped'),
('632823','天峻县','county','632800','division',NULL,NULL,NULL,'shipped'),
('632857','大柴旦行政委员会','county','632800','division',NULL,NULL,NULL,'shipped'),
('640000','宁夏回族自治区','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('640100','银川市','prefecture','640000','division',NULL,NULL,NULL,'shipped'),
('640104','兴庆区','county','640100','division',NULL,NULL,NULL,'shipped'),
('640105','西夏区','county','640100','division',NULL,NULL,NULL,'shipped'),
('640106','金凤区','county','640100','division',NULL,NULL,NULL,'shipped'),
('640121','永宁县','county','640100','division',NULL,NULL,NULL,'shipped'),
('640122','贺兰县','county','640100','division',NULL,NULL,NULL,'shipped'),
('640181','灵武市','county','640100','division',NULL,NULL,NULL,'shipped'),
('640200','石嘴山市','prefecture','640000','division',NULL,NULL,NULL,'shipped'),
('640202','大武口区','county','640200','division',NULL,NULL,NULL,'shipped'),
('640205','惠农区','county','640200','division',NULL,NULL,NULL,'shipped'),
('640221','平罗县','county','640200','division',NULL,NULL,NULL,'shipped'),
('640300','吴忠市','prefecture','640000','division',NULL,NULL,NULL,'shipped'),
('640302','利通区','county','640300','division',NULL,NULL,NULL,'shipped'),
('640303','红寺堡区','county','640300','division',NULL,NULL,NULL,'shipped'),
('640323','盐池县','county','640300','division',NULL,NULL,NULL,'shipped'),
('640324','同心县','county','640300','division',NULL,NULL,NULL,'shipped'),
('640381','青铜峡市','county','640300','division',NULL,NULL,NULL,'shipped'),
('640400','固原市','prefecture','640000','division',NULL,NULL,NULL,'shipped'),
('640402','原州区','county','640400','division',NULL,NULL,NULL,'shipped'),
('640422','西吉县','county','640400','division',NULL,NULL,NULL,'shipped'),
('640423','隆德县','county','640400','division',NULL,NULL,NULL,'shipped'),
('640424','泾源县','county','640400','division',NULL,NULL,NULL,'shipped'),
('640425','彭阳县','county','640400','division',NULL,NULL,NULL,'shipped'),
('640500','中卫市','prefecture','640000','division',NULL,NULL,NULL,'shipped'),
('640502','沙坡头区','county','640500','division',NULL,NULL,NULL,'shipped'),
('640521','中宁县','county','640500','division',NULL,NULL,NULL,'shipped'),
('640522','海原县','county','640500','division',NULL,NULL,NULL,'shipped'),
('650000','新疆维吾尔自治区','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('650100','乌鲁木齐市','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('650102','天山区','county','650100','division',NULL,NULL,NULL,'shipped'),
('650103','沙依巴克区','county','650100','division',NULL,NULL,NULL,'shipped'),
('650104','新市区','county','650100','division',NULL,NULL,NULL,'shipped'),
('650105','水磨沟区','county','650100','division',NULL,NULL,NULL,'shipped'),
('650106','头屯河区','county','650100','division',NULL,NULL,NULL,'shipped'),
('650107','达坂城区','county','650100','division',NULL,NULL,NULL,'shipped'),
('650109','米东区','county','650100','division',NULL,NULL,NULL,'shipped'),
('650121','乌鲁木齐县','county','650100','division',NULL,NULL,NULL,'shipped'),
('650200','克拉玛依市','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('650202','独山子区','county','650200','division',NULL,NULL,NULL,'shipped'),
('650203','克拉玛依区','county','650200','division',NULL,NULL,NULL,'shipped'),
('650204','白碱滩区','county','650200','division',NULL,NULL,NULL,'shipped'),
('650205','乌尔禾区','county','650200','division',NULL,NULL,NULL,'shipped'),
('650400','吐鲁番市','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('650402','高昌区','county','650400','division',NULL,NULL,NULL,'shipped'),
('650421','鄯善县','county','650400','division',NULL,NULL,NULL,'shipped'),
('650422','托克逊县','county','650400','division',NULL,NULL,NULL,'shipped'),
('650500','哈密市','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('650502','伊州区','county','650500','division',NULL,NULL,NULL,'shipped'),
('650521','巴里坤哈萨克自治县','county','650500','division',NULL,NULL,NULL,'shipped'),
('650522','伊吾县','county','650500','division',NULL,NULL,NULL,'shipped'),
('652300','昌吉回族自治州','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('652301','昌吉市','county','652300','division',NULL,NULL,NULL,'shipped'),
('652302','阜康市','county','652300','division',NULL,NULL,NULL,'shipped'),
('652323','呼图壁县','county','652300','division',NULL,NULL,NULL,'shipped'),
('652324','玛纳斯县','county','652300','division',NULL,NULL,NULL,'shipped'),
('652325','奇台县','county','652300','division',NULL,NULL,NULL,'shipped'),
('652327','吉木萨尔县','county','652300','division',NULL,NULL,NULL,'shipped'),
('652328','木垒哈萨克自治县','county','652300','division',NULL,NULL,NULL,'shipped'),
('652700','博尔塔拉蒙古自治州','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('652701','博乐市','county','652700','division',NULL,NULL,NULL,'shipped'),
('652702','阿拉山口市','county','652700','division',NULL,NULL,NULL,'shipped'),
('652722','精河县','county','652700','division',NULL,NULL,NULL,'shipped'),
('652723','温泉县','county','652700','division',NULL,NULL,NULL,'shipped'),
('652800','巴音郭楞蒙古自治州','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('652801','库尔勒市','county','652800','division',NULL,NULL,NULL,'shipped'),
('652822','轮台县','county','652800','division',NULL,NULL,NULL,'shipped'),
('652823','尉犁县','county','652800','division',NULL,NULL,NULL,'shipped'),
('652824','若羌县','county','652800','division',NULL,NULL,NULL,'shipped'),
('652825','且末县','county','652800','division',NULL,NULL,NULL,'shipped'),
('652826','焉耆回族自治县','county','652800','division',NULL,NULL,NULL,'shipped'),
('652827','和静县','county','652800','division',NULL,NULL,NULL,'shipped'),
('652828','和硕县','county','652800','division',NULL,NULL,NULL,'shipped'),
('652829','博湖县','county','652800','division',NULL,NULL,NULL,'shipped'),
('652900','阿克苏地区','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('652901','阿克苏市','county','652900','division',NULL,NULL,NULL,'shipped'),
('652902','库车市','county','652900','division',NULL,NULL,NULL,'shipped'),
('652922','温宿县','county','652900','division',NULL,NULL,NULL,'shipped'),
('652924','沙雅县','county','652900','division',NULL,NULL,NULL,'shipped'),
('652925','新和县','county','652900','division',NULL,NULL,NULL,'shipped'),
('652926','拜城县','county','652900','division',NULL,NULL,NULL,'shipped'),
('652927','乌什县','county','652900','division',NULL,NULL,NULL,'shipped'),
('652928','阿瓦提县','county','652900','division',NULL,NULL,NULL,'shipped'),
('652929','柯坪县','county','652900','division',NULL,NULL,NULL,'shipped'),
('653000','克孜勒苏柯尔克孜自治州','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('653001','阿图什市','county','653000','division',NULL,NULL,NULL,'shipped'),
('653022','阿克陶县','county','653000','division',NULL,NULL,NULL,'shipped'),
('653023','阿合奇县','county','653000','division',NULL,NULL,NULL,'shipped'),
('653024','乌恰县','county','653000','division',NULL,NULL,NULL,'shipped'),
('653100','喀什地区','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('653101','喀什市','county','653100','division',NULL,NULL,NULL,'shipped'),
('653121','疏附县','county','653100','division',NULL,NULL,NULL,'shipped'),
('653122','疏勒县','county','653100','division',NULL,NULL,NULL,'shipped'),
('653123','英吉沙县','county','653100','division',NULL,NULL,NULL,'shipped'),
('653124','泽普县','county','653100','division',NULL,NULL,NULL,'shipped'),
('653125','莎车县','county','653100','division',NULL,NULL,NULL,'shipped'),
('653126','叶城县','county','653100','division',NULL,NULL,NULL,'shipped'),
('653127','麦盖提县','county','653100','division',NULL,NULL,NULL,'shipped'),
('653128','岳普湖县','county','653100','division',NULL,NULL,NULL,'shipped'),
('653129','伽师县','county','653100','division',NULL,NULL,NULL,'shipped'),
('653130','巴楚县','county','653100','division',NULL,NULL,NULL,'shipped'),
('653131','塔什库尔干塔吉克自治县','county','653100','division',NULL,NULL,NULL,'shipped'),
('653200','和田地区','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('653201','和田市','county','653200','division',NULL,NULL,NULL,'shipped'),
('653221','和田县','county','653200','division',NULL,NULL,NULL,'shipped'),
('653222','墨玉县','county','653200','division',NULL,NULL,NULL,'shipped'),
('653223','皮山县','county','653200','division',NULL,NULL,NULL,'shipped'),
('653224','洛浦县','county','653200','division',NULL,NULL,NULL,'shipped'),
('653225','策勒县','county','653200','division',NULL,NULL,NULL,'shipped'),
('653226','于田县','county','653200','division',NULL,NULL,NULL,'shipped'),
('653227','民丰县','county','653200','division',NULL,NULL,NULL,'shipped'),
('654000','伊犁哈萨克自治州','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('654002','伊宁市','county','654000','division',NULL,NULL,NULL,'shipped'),
('654003','奎屯市','county','654000','division',NULL,NULL,NULL,'shipped'),
('654004','霍尔果斯市','county','654000','division',NULL,NULL,NULL,'shipped'),
('654021','伊宁县','county','654000','division',NULL,NULL,NULL,'shipped'),
('654022','察布查尔锡伯自治县','county','654000','division',NULL,NULL,NULL,'shipped'),
('654023','霍城县','county','654000','division',NULL,NULL,NULL,'shipped'),
('654024','巩留县','county','654000','division',NULL,NULL,NULL,'shipped'),
('654025','新源县','county','654000','division',NULL,NULL,NULL,'shipped'),
('654026','昭苏县','county','654000','division',NULL,NULL,NULL,'shipped'),
('654027','特克斯县','county','654000','division',NULL,NULL,NULL,'shipped'),
('654028','尼勒克县','county','654000','division',NULL,NULL,NULL,'shipped'),
('654200','塔城地区','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('654201','塔城市','county','654200','division',NULL,NULL,NULL,'shipped'),
('654202','乌苏市','county','654200','division',NULL,NULL,NULL,'shipped'),
('654203','沙湾市','county','654200','division',NULL,NULL,NULL,'shipped'),
('654221','额敏县','county','654200','division',NULL,NULL,NULL,'shipped'),
('654224','托里县','county','654200','division',NULL,NULL,NULL,'shipped'),
('654225','裕民县','county','654200','division',NULL,NULL,NULL,'shipped'),
('654226','和布克赛尔蒙古自治县','county','654200','division',NULL,NULL,NULL,'shipped'),
('654300','阿勒泰地区','prefecture','650000','division',NULL,NULL,NULL,'shipped'),
('654301','阿勒泰市','county','654300','division',NULL,NULL,NULL,'shipped'),
('654321','布尔津县','county','654300','division',NULL,NULL,NULL,'shipped'),
('654322','富蕴县','county','654300','division',NULL,NULL,NULL,'shipped'),
('654323','福海县','county','654300','division',NULL,NULL,NULL,'shipped'),
('654324','哈巴河县','county','654300','division',NULL,NULL,NULL,'shipped'),
('654325','青河县','county','654300','division',NULL,NULL,NULL,'shipped'),
('654326','吉木乃县','county','654300','division',NULL,NULL,NULL,'shipped'),
('659000','自治区直辖县级行政区划','prefecture','650000','placeholder',NULL,NULL,NULL,'shipped'),
('659001','石河子市','county','650000','division',NULL,NULL,NULL,'shipped'),
('659002','阿拉尔市','county','650000','division',NULL,NULL,NULL,'shipped'),
('659003','图木舒克市','county','650000','division',NULL,NULL,NULL,'shipped'),
('659004','五家渠市','county','650000','division',NULL,NULL,NULL,'shipped'),
('659005','北屯市','county','650000','division',NULL,NULL,NULL,'shipped'),
('659006','铁门关市','county','650000','division',NULL,NULL,NULL,'shipped'),
('659007','双河市','county','650000','division',NULL,NULL,NULL,'shipped'),
('659008','可克达拉市','county','650000','division',NULL,NULL,NULL,'shipped'),
('659009','昆玉市','county','650000','division',NULL,NULL,NULL,'shipped'),
('659010','胡杨河市','county','650000','division',NULL,NULL,NULL,'shipped'),
('659011','新星市','county','650000','division',NULL,NULL,NULL,'shipped'),
('659012','白杨市','county','650000','division',NULL,NULL,NULL,'shipped'),
('710000','台湾省','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('810000','香港特别行政区','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('820000','澳门特别行政区','province',NULL,'division',NULL,NULL,NULL,'shipped'),
('830000','台湾居民居住证','province',NULL,'permit',NULL,NULL,NULL,'shipped');
-- healthhub.resident_id: GB 11643 resident identity numbers, including the
-- HK/Macau/Taiwan residence permits and the 2023 foreign permanent resident
-- card.  Held as the 17-digit body in an int8, so the operators, hashing and
-- sort support are int8's own functions (C aliases, see ident.h).

CREATE TYPE healthhub.resident_id;

CREATE FUNCTION healthhub.resident_id_in(cstring) RETURNS healthhub.resident_id
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_out(healthhub.resident_id) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_recv(internal) RETURNS healthhub.resident_id
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_send(healthhub.resident_id) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.resident_id (
    INPUT = healthhub.resident_id_in,
    OUTPUT = healthhub.resident_id_out,
    RECEIVE = healthhub.resident_id_recv,
    SEND = healthhub.resident_id_send,
    INTERNALLENGTH = 8,
    PASSEDBYVALUE,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.resident_id IS 'GB 11643 resident identity number (18 characters, check character verified)';

CREATE FUNCTION healthhub.resident_id_eq(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_ne(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_lt(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_le(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_gt(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_ge(healthhub.resident_id, healthhub.resident_id) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_cmp(healthhub.resident_id, healthhub.resident_id) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_hash(healthhub.resident_id) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.resident_id_hash_extended(healthhub.resident_id, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: resident_id_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

-- bigint holds the 17-digit body: the check character (X included) is implied
-- by the body, so nothing is lost and the order is the same.
CREATE FUNCTION healthhub.resident_id(bigint) RETURNS healthhub.resident_id
    AS 'MODULE_PATHNAME', 'resident_id_from_bigint' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (bigint AS healthhub.resident_id) WITH FUNCTION healthhub.resident_id(bigint);
CREATE CAST (healthhub.resident_id AS bigint) WITHOUT FUNCTION;
CREATE FUNCTION healthhub.resident_id(text) RETURNS healthhub.resident_id
    AS 'MODULE_PATHNAME', 'resident_id_from_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (text AS healthhub.resident_id) WITH FUNCTION healthhub.resident_id(text);
CREATE CAST (healthhub.resident_id AS text) WITH INOUT;

CREATE FUNCTION healthhub.resident_id_birth_date(healthhub.resident_id) RETURNS date
    AS 'MODULE_PATHNAME', 'resident_id_birth_date' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_sex(healthhub.resident_id) RETURNS smallint
    AS 'MODULE_PATHNAME', 'resident_id_sex' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.resident_id_sex(healthhub.resident_id) IS 'GB/T 2261.1 sex code: 1 male, 2 female';
CREATE FUNCTION healthhub.resident_id_region(healthhub.resident_id) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME', 'resident_id_region' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_issuer_kind(healthhub.resident_id) RETURNS text
    AS 'MODULE_PATHNAME', 'resident_id_issuer_kind' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_age(healthhub.resident_id, date) RETURNS integer
    AS 'MODULE_PATHNAME', 'resident_id_age' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.resident_id_mask(healthhub.resident_id) RETURNS text
    AS 'MODULE_PATHNAME', 'resident_id_mask' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.is_valid_resident_id(text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'is_valid_resident_id' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- What an immutable input cannot know: today's date.
CREATE FUNCTION healthhub.is_plausible(healthhub.resident_id) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_birth_date($1) <= CURRENT_DATE;
-- Why a text is not a valid number (NULL when it is): for data-quality
-- reports over staged rows, without raising.
CREATE FUNCTION healthhub.resident_id_problem(text) RETURNS text
    AS 'MODULE_PATHNAME', 'resident_id_problem' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- Comparison operators and the default btree and hash operator classes of
-- healthhub.resident_id.  Template: the Makefile writes <area>/resident_id_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (resident_id_eq ... resident_id_hash_extended, resident_id_sortsupport) are declared in
-- the type's own file, <area>/resident_id.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.resident_id, RIGHTARG = healthhub.resident_id,
    FUNCTION = healthhub.resident_id_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.resident_id, RIGHTARG = healthhub.resident_id,
    FUNCTION = healthhub.resident_id_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.resident_id, RIGHTARG = healthhub.resident_id,
    FUNCTION = healthhub.resident_id_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.resident_id, RIGHTARG = healthhub.resident_id,
    FUNCTION = healthhub.resident_id_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.resident_id, RIGHTARG = healthhub.resident_id,
    FUNCTION = healthhub.resident_id_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.resident_id, RIGHTARG = healthhub.resident_id,
    FUNCTION = healthhub.resident_id_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.resident_id_ops
    DEFAULT FOR TYPE healthhub.resident_id USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.resident_id_cmp(healthhub.resident_id, healthhub.resident_id),
        FUNCTION 2 healthhub.resident_id_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.resident_id_hash_ops
    DEFAULT FOR TYPE healthhub.resident_id USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.resident_id_hash(healthhub.resident_id),
        FUNCTION 2 healthhub.resident_id_hash_extended(healthhub.resident_id, bigint);
-- healthhub.uscc: GB 32100 unified social credit codes, both check
-- characters verified.  16 bytes: 18 characters of 5 bits each.

CREATE TYPE healthhub.uscc;

CREATE FUNCTION healthhub.uscc_in(cstring) RETURNS healthhub.uscc
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_out(healthhub.uscc) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_recv(internal) RETURNS healthhub.uscc
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_send(healthhub.uscc) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.uscc (
    INPUT = healthhub.uscc_in,
    OUTPUT = healthhub.uscc_out,
    RECEIVE = healthhub.uscc_recv,
    SEND = healthhub.uscc_send,
    INTERNALLENGTH = 16,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.uscc IS 'GB 32100 unified social credit code (18 characters, both checks verified)';

CREATE FUNCTION healthhub.uscc_eq(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_ne(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_lt(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_le(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_gt(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_ge(healthhub.uscc, healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_cmp(healthhub.uscc, healthhub.uscc) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_hash(healthhub.uscc) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.uscc_hash_extended(healthhub.uscc, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: uscc_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.uscc) WITH INOUT;
CREATE CAST (healthhub.uscc AS text) WITH INOUT;

-- Real issued codes that fail their own check exist: keep them, marked '?'.
CREATE FUNCTION healthhub.ingest_uscc(text) RETURNS healthhub.uscc
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.passes_check(healthhub.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'uscc_passes_check' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.is_valid_uscc(text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_registration_authority(healthhub.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_registration_authority' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_category(healthhub.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_category' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_organization_code(healthhub.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'uscc_organization_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.uscc_region(healthhub.uscc) RETURNS healthhub.region_code
    AS 'MODULE_PATHNAME', 'uscc_region' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- Comparison operators and the default btree and hash operator classes of
-- healthhub.uscc.  Template: the Makefile writes <area>/uscc_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (uscc_eq ... uscc_hash_extended, uscc_sortsupport) are declared in
-- the type's own file, <area>/uscc.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.uscc, RIGHTARG = healthhub.uscc,
    FUNCTION = healthhub.uscc_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.uscc, RIGHTARG = healthhub.uscc,
    FUNCTION = healthhub.uscc_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.uscc, RIGHTARG = healthhub.uscc,
    FUNCTION = healthhub.uscc_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.uscc, RIGHTARG = healthhub.uscc,
    FUNCTION = healthhub.uscc_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.uscc, RIGHTARG = healthhub.uscc,
    FUNCTION = healthhub.uscc_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.uscc, RIGHTARG = healthhub.uscc,
    FUNCTION = healthhub.uscc_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.uscc_ops
    DEFAULT FOR TYPE healthhub.uscc USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.uscc_cmp(healthhub.uscc, healthhub.uscc),
        FUNCTION 2 healthhub.uscc_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.uscc_hash_ops
    DEFAULT FOR TYPE healthhub.uscc USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.uscc_hash(healthhub.uscc),
        FUNCTION 2 healthhub.uscc_hash_extended(healthhub.uscc, bigint);
-- healthhub.health_identifier: issuer-scoped numbers as (kind, issuer, value),
-- written kind:issuer:value.  Values are stored normalised, so equality and
-- hashing work on the bytes.

CREATE TYPE healthhub.health_identifier;

CREATE FUNCTION healthhub.health_identifier_in(cstring) RETURNS healthhub.health_identifier
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_out(healthhub.health_identifier) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_recv(internal) RETURNS healthhub.health_identifier
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_send(healthhub.health_identifier) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.health_identifier (
    INPUT = healthhub.health_identifier_in,
    OUTPUT = healthhub.health_identifier_out,
    RECEIVE = healthhub.health_identifier_recv,
    SEND = healthhub.health_identifier_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.health_identifier IS 'Issuer-scoped identifier: kind:issuer:value';

CREATE FUNCTION healthhub.health_identifier_eq(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_ne(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_lt(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_le(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_gt(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_ge(healthhub.health_identifier, healthhub.health_identifier) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_cmp(healthhub.health_identifier, healthhub.health_identifier) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_hash(healthhub.health_identifier) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_identifier_hash_extended(healthhub.health_identifier, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: health_identifier_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.health_identifier) WITH INOUT;
CREATE CAST (healthhub.health_identifier AS text) WITH INOUT;

CREATE FUNCTION healthhub.health_identifier(kind text, issuer text, value text)
    RETURNS healthhub.health_identifier
    AS 'MODULE_PATHNAME', 'health_identifier_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_kind(healthhub.health_identifier) RETURNS text
    AS 'MODULE_PATHNAME', 'health_identifier_kind' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_identifier_issuer(healthhub.health_identifier) RETURNS text
    AS 'MODULE_PATHNAME', 'health_identifier_issuer' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.value(healthhub.health_identifier) RETURNS text
    AS 'MODULE_PATHNAME', 'health_identifier_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION healthhub.identifier_kinds(OUT kind text, OUT issuer text, OUT issuer_rule text, OUT value_rule text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'health_identifier_kinds' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE VIEW healthhub.identifier_kinds AS SELECT * FROM healthhub.identifier_kinds();
-- Comparison operators and the default btree and hash operator classes of
-- healthhub.health_identifier.  Template: the Makefile writes <area>/health_identifier_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (health_identifier_eq ... health_identifier_hash_extended, health_identifier_sortsupport) are declared in
-- the type's own file, <area>/health_identifier.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.health_identifier, RIGHTARG = healthhub.health_identifier,
    FUNCTION = healthhub.health_identifier_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.health_identifier, RIGHTARG = healthhub.health_identifier,
    FUNCTION = healthhub.health_identifier_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.health_identifier, RIGHTARG = healthhub.health_identifier,
    FUNCTION = healthhub.health_identifier_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.health_identifier, RIGHTARG = healthhub.health_identifier,
    FUNCTION = healthhub.health_identifier_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.health_identifier, RIGHTARG = healthhub.health_identifier,
    FUNCTION = healthhub.health_identifier_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.health_identifier, RIGHTARG = healthhub.health_identifier,
    FUNCTION = healthhub.health_identifier_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.health_identifier_ops
    DEFAULT FOR TYPE healthhub.health_identifier USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.health_identifier_cmp(healthhub.health_identifier, healthhub.health_identifier),
        FUNCTION 2 healthhub.health_identifier_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.health_identifier_hash_ops
    DEFAULT FOR TYPE healthhub.health_identifier USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.health_identifier_hash(healthhub.health_identifier),
        FUNCTION 2 healthhub.health_identifier_hash_extended(healthhub.health_identifier, bigint);
-- The hub's identity: region code plus a two-digit instance number.  Keys
-- minted here embed it, so person keys, document ids and code issuers stay
-- unique when hubs federate.

CREATE TABLE healthhub.hub (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    region          healthhub.region_code NOT NULL,
    instance        smallint NOT NULL CHECK (instance BETWEEN 0 AND 99),
    hub_id          bigint NOT NULL,
    initialised_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    initialised_by  name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE healthhub.hub IS 'This hub''s identity (one row), set by healthhub.init_hub()';
SELECT pg_catalog.pg_extension_config_dump('healthhub.hub', '');

-- The per-hub part of every minted key: up to 10^10 keys per hub.
CREATE SEQUENCE healthhub.key_seq MINVALUE 1 MAXVALUE 9999999999 NO CYCLE;
SELECT pg_catalog.pg_extension_config_dump('healthhub.key_seq', '');

-- The sequences that number rows without mint_key() (record ids, person
-- identifier keys, link event ids) count inside this hub's block of keys,
-- hub_id * 10^10 + 1 .. hub_id * 10^10 + 9999999999, as minted keys do:
-- rows published to another hub never collide with that hub's own
-- (docs/scale-out.md).  A hub of several nodes (Citus workers that mint)
-- gives each node a tenth of the block, its node part: serials
-- node * 10^9 + 1 .. node * 10^9 + 999999999, for key_seq and for each of
-- those sequences; node NULL is a hub of one node, the whole block.
-- init_hub() and set_hub_node() call it; a sequence already counting in its
-- range keeps its place.  (The numbers are computed, not read from input:
-- format() only spells them.)
CREATE FUNCTION healthhub.place_sequences_in_hub_block(hub bigint, node integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    first_serial bigint := CASE WHEN node IS NULL THEN 1 ELSE node * 1000000000::bigint + 1 END;
    last_serial bigint := CASE WHEN node IS NULL THEN 9999999999 ELSE node * 1000000000::bigint + 999999999 END;
    lo bigint;
    hi bigint;
    seq regclass;
    last bigint;
BEGIN
    IF hub IS NULL OR hub < 1 OR hub > 99999999 THEN
        RAISE EXCEPTION 'hub id % is out of range', hub
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A hub id is a region code and a two-digit instance, 8 digits.';
    END IF;
    FOR seq IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
                WHERE c.oid IN (to_regclass('healthhub.key_seq'), to_regclass('healthhub.record_seq'),
                                to_regclass('healthhub.person_identifier_seq'),
                                to_regclass('healthhub.link_events_event_id_seq'))
                ORDER BY c.relname LOOP
        -- (key_seq counts serials, mint_key() adds the hub; the others count keys)
        lo := CASE WHEN seq = 'healthhub.key_seq'::regclass THEN first_serial ELSE healthhub.hub_key(hub, first_serial) END;
        hi := CASE WHEN seq = 'healthhub.key_seq'::regclass THEN last_serial ELSE healthhub.hub_key(hub, last_serial) END;
        SELECT s.last_value INTO last FROM pg_catalog.pg_sequences s      -- (NULL: never called)
         WHERE format('%I.%I', s.schemaname, s.sequencename)::regclass = seq;
        EXECUTE format('ALTER SEQUENCE %s START WITH %s MINVALUE %s MAXVALUE %s NO CYCLE%s', seq, lo, lo, hi,
                       CASE WHEN last BETWEEN lo AND hi THEN '' ELSE format(' RESTART WITH %s', lo) END);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION healthhub.place_sequences_in_hub_block(bigint, integer) FROM PUBLIC;

-- This node's part of the hub's block (0-9), NULL for a hub of one node:
-- read from key_seq's range, which set_hub_node() narrows.  Every node of
-- a Citus hub has its own sequences, so this is each node's own.
CREATE FUNCTION healthhub.hub_node() RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT CASE WHEN s.seqmax = 9999999999 THEN NULL ELSE ((s.seqmin - 1) / 1000000000)::integer END
              FROM pg_catalog.pg_sequence s WHERE s.seqrelid = 'healthhub.key_seq'::regclass);
COMMENT ON FUNCTION healthhub.hub_node() IS
    'This node''s part of the hub''s block of keys (0-9), NULL for a hub of one node';

-- Make this node mint in its tenth of the hub's block (docs/scale-out.md,
-- "Citus inside one hub"): run once on every node that mints, with a
-- distinct node number, before it mints.  Keys this node minted already
-- must lie in the new part (a hub of one node that minted fewer than 10^9
-- keys of each kind may become node 0); NULL makes it a hub of one node
-- again, whose block holds every part.
CREATE FUNCTION healthhub.set_hub_node(node integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    hub bigint;
    outside text;
BEGIN
    IF node < 0 OR node > 9 THEN
        RAISE EXCEPTION 'hub node % is out of range', node
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A node number is one digit, 0 to 9; NULL for a hub of one node.';
    END IF;
    -- (as init_hub: minting waits, and nothing mints under the old range meanwhile)
    LOCK TABLE healthhub.hub IN ACCESS EXCLUSIVE MODE;
    SELECT h.hub_id INTO hub FROM healthhub.hub h;
    IF hub IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    IF node IS NOT NULL THEN
        SELECT string_agg(format('%s (at %s)', s.sequencename, s.last_value), ', ' ORDER BY s.sequencename) INTO outside
          FROM pg_catalog.pg_sequences s
         WHERE s.schemaname = 'healthhub'
           AND s.sequencename IN ('key_seq', 'record_seq', 'person_identifier_seq', 'link_events_event_id_seq')
           AND s.last_value IS NOT NULL
           AND (CASE WHEN s.sequencename = 'key_seq' THEN s.last_value ELSE s.last_value - healthhub.hub_key(hub, 0) END)
               NOT BETWEEN node * 1000000000::bigint + 1 AND node * 1000000000::bigint + 999999999;
        IF outside IS NOT NULL THEN
            RAISE EXCEPTION 'this node has minted keys outside the part of node %', node
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Sequences past the part: %s.', outside),
                      HINT = 'Give each node its number before it mints; a hub of one node may become node 0 only.';
        END IF;
    END IF;
    PERFORM healthhub.place_sequences_in_hub_block(hub, node);
END
$$;
COMMENT ON FUNCTION healthhub.set_hub_node(integer) IS
    'Make this node mint keys in its tenth of the hub''s block (0-9; NULL: a hub of one node)';
REVOKE ALL ON FUNCTION healthhub.set_hub_node(integer) FROM PUBLIC;


CREATE FUNCTION healthhub.init_hub(region healthhub.region_code, instance integer)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id  bigint;
    old     healthhub.hub%ROWTYPE;
    minted  boolean;
BEGIN
    IF instance < 0 OR instance > 99 THEN
        RAISE EXCEPTION 'hub instance number % is out of range', instance
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The instance number has two digits, 00 to 99.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM healthhub.regions r
                    WHERE r.code OPERATOR(healthhub.=) region
                      AND r.kind = 'division' AND r.valid_to IS NULL) THEN
        RAISE EXCEPTION 'region % is not a current division', region
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A hub is identified by a division code in force, from healthhub.regions.';
    END IF;
    new_id := region::integer::bigint * 100 + instance;

    -- Minting reads this table: an ACCESS EXCLUSIVE lock waits for every
    -- transaction that may have minted under the old identity, and makes
    -- every later mint wait for the new one (specs/hub_identity.spec).
    LOCK TABLE healthhub.hub IN ACCESS EXCLUSIVE MODE;
    SELECT * INTO old FROM healthhub.hub;
    IF FOUND THEN
        IF old.hub_id = new_id THEN
            RETURN new_id;
        END IF;
        SELECT s.is_called INTO minted FROM healthhub.key_seq s;
        IF minted THEN
            RAISE EXCEPTION 'hub identity cannot change after keys were minted'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('This hub is %s and has minted keys that embed it.', old.hub_id),
                      HINT = 'A hub''s identity is fixed once keys exist; set up a new hub instead.';
        END IF;
        UPDATE healthhub.hub h
           SET region = init_hub.region, instance = init_hub.instance, hub_id = new_id,
               initialised_at = now(), initialised_by = CURRENT_USER;
        RAISE NOTICE 'hub identity changed from % to %', old.hub_id, new_id;
    ELSE
        INSERT INTO healthhub.hub (region, instance, hub_id)
        VALUES (init_hub.region, init_hub.instance, new_id);
    END IF;
    PERFORM healthhub.place_sequences_in_hub_block(new_id, healthhub.hub_node());
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION healthhub.init_hub(healthhub.region_code, integer) IS
    'Set this hub''s identity (region code and instance 00-99); fixed once a key is minted';

CREATE FUNCTION healthhub.hub_id() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT h.hub_id FROM healthhub.hub h);

-- The layout of every key: hub id (8 digits) then a 10-digit serial, the
-- one definition (mint_key, link_batch, the hub's block of sequences;
-- docs/scale-out.md has the budget).
CREATE FUNCTION healthhub.hub_key(hub bigint, serial bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN hub * 10000000000 + serial;
CREATE FUNCTION healthhub.key_hub(key bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN key / 10000000000;

-- A globally unique bigint from the hub's key sequence.  It runs as its owner, so no profile needs the sequence itself (a role with
-- USAGE on key_seq could burn the hub's 10^10 keys in about 90 minutes);
-- rows that a profile inserts get keys from a column default (hub_admin may
-- execute this) or from healthhub.mint_row_key(), a trigger.
CREATE FUNCTION healthhub.mint_key() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    SELECT h.hub_id INTO id FROM healthhub.hub h;
    IF id IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    RETURN healthhub.hub_key(id, nextval('healthhub.key_seq'));
END
$$;

-- The names of 0.5 and before, kept for one release (removed in 0.7): an
-- accessor of one of healthhub's types is now named <type>_<attribute>
-- (docs/development.md, "Naming"), so that the areas sharing the schema do
-- not compete for kind(), level(), region() or contains().  Each old name
-- calls the new one.

CREATE FUNCTION healthhub.birth_date(healthhub.resident_id) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_birth_date($1);
COMMENT ON FUNCTION healthhub.birth_date(healthhub.resident_id) IS 'deprecated: use healthhub.resident_id_birth_date(); removed in 0.7';

CREATE FUNCTION healthhub.sex(healthhub.resident_id) RETURNS smallint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_sex($1);
COMMENT ON FUNCTION healthhub.sex(healthhub.resident_id) IS 'deprecated: use healthhub.resident_id_sex(); removed in 0.7';

CREATE FUNCTION healthhub.region(healthhub.resident_id) RETURNS healthhub.region_code
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_region($1);
COMMENT ON FUNCTION healthhub.region(healthhub.resident_id) IS 'deprecated: use healthhub.resident_id_region(); removed in 0.7';

CREATE FUNCTION healthhub.issuer_kind(healthhub.resident_id) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_issuer_kind($1);
COMMENT ON FUNCTION healthhub.issuer_kind(healthhub.resident_id) IS 'deprecated: use healthhub.resident_id_issuer_kind(); removed in 0.7';

CREATE FUNCTION healthhub.age(healthhub.resident_id, date) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_age($1, $2);
COMMENT ON FUNCTION healthhub.age(healthhub.resident_id, date) IS 'deprecated: use healthhub.resident_id_age(); removed in 0.7';

CREATE FUNCTION healthhub.mask(healthhub.resident_id) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.resident_id_mask($1);
COMMENT ON FUNCTION healthhub.mask(healthhub.resident_id) IS 'deprecated: use healthhub.resident_id_mask(); removed in 0.7';

CREATE FUNCTION healthhub.registration_authority(healthhub.uscc) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.uscc_registration_authority($1);
COMMENT ON FUNCTION healthhub.registration_authority(healthhub.uscc) IS 'deprecated: use healthhub.uscc_registration_authority(); removed in 0.7';

CREATE FUNCTION healthhub.category(healthhub.uscc) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.uscc_category($1);
COMMENT ON FUNCTION healthhub.category(healthhub.uscc) IS 'deprecated: use healthhub.uscc_category(); removed in 0.7';

CREATE FUNCTION healthhub.organization_code(healthhub.uscc) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.uscc_organization_code($1);
COMMENT ON FUNCTION healthhub.organization_code(healthhub.uscc) IS 'deprecated: use healthhub.uscc_organization_code(); removed in 0.7';

CREATE FUNCTION healthhub.region(healthhub.uscc) RETURNS healthhub.region_code
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.uscc_region($1);
COMMENT ON FUNCTION healthhub.region(healthhub.uscc) IS 'deprecated: use healthhub.uscc_region(); removed in 0.7';

CREATE FUNCTION healthhub.province(healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_province($1);
COMMENT ON FUNCTION healthhub.province(healthhub.region_code) IS 'deprecated: use healthhub.region_code_province(); removed in 0.7';

CREATE FUNCTION healthhub.nominal_level(healthhub.region_code) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_nominal_level($1);
COMMENT ON FUNCTION healthhub.nominal_level(healthhub.region_code) IS 'deprecated: use healthhub.region_code_nominal_level(); removed in 0.7';

CREATE FUNCTION healthhub.region_name(healthhub.region_code) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_name($1);
COMMENT ON FUNCTION healthhub.region_name(healthhub.region_code) IS 'deprecated: use healthhub.region_code_name(); removed in 0.7';

CREATE FUNCTION healthhub.level(healthhub.region_code) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_level($1);
COMMENT ON FUNCTION healthhub.level(healthhub.region_code) IS 'deprecated: use healthhub.region_code_level(); removed in 0.7';

CREATE FUNCTION healthhub.parent(healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_parent($1);
COMMENT ON FUNCTION healthhub.parent(healthhub.region_code) IS 'deprecated: use healthhub.region_code_parent(); removed in 0.7';

CREATE FUNCTION healthhub.current_region(healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_current($1);
COMMENT ON FUNCTION healthhub.current_region(healthhub.region_code) IS 'deprecated: use healthhub.region_code_current(); removed in 0.7';

CREATE FUNCTION healthhub.contains(healthhub.region_code, healthhub.region_code) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_contains($1, $2);
COMMENT ON FUNCTION healthhub.contains(healthhub.region_code, healthhub.region_code) IS 'deprecated: use healthhub.region_code_contains(); removed in 0.7';

CREATE FUNCTION healthhub.contained_by(healthhub.region_code, healthhub.region_code) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.region_code_contained_by($1, $2);
COMMENT ON FUNCTION healthhub.contained_by(healthhub.region_code, healthhub.region_code) IS 'deprecated: use healthhub.region_code_contained_by(); removed in 0.7';

CREATE FUNCTION healthhub.kind(healthhub.health_identifier) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.health_identifier_kind($1);
COMMENT ON FUNCTION healthhub.kind(healthhub.health_identifier) IS 'deprecated: use healthhub.health_identifier_kind(); removed in 0.7';

CREATE FUNCTION healthhub.issuer(healthhub.health_identifier) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN healthhub.health_identifier_issuer($1);
COMMENT ON FUNCTION healthhub.issuer(healthhub.health_identifier) IS 'deprecated: use healthhub.health_identifier_issuer(); removed in 0.7';
-- Privileges: types and pure functions are for everyone; the hub's identity
-- and key minting are for the owner until role profiles grant them.
GRANT USAGE ON SCHEMA healthhub TO PUBLIC;
GRANT SELECT ON healthhub.regions, healthhub.hub, healthhub.identifier_kinds TO PUBLIC;
REVOKE ALL ON FUNCTION healthhub.init_hub(healthhub.region_code, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.mint_key() FROM PUBLIC;
-- The role a session acts as: the role it SET ROLE to, else its login role.
-- Inside a SECURITY DEFINER function CURRENT_USER is the function's owner;
-- this is still the caller (audit_append records the same role).
CREATE FUNCTION healthhub.acting_role() RETURNS name
    AS 'MODULE_PATHNAME', 'hh_acting_role' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.acting_role() IS
    'The role the session acts as (SET ROLE, else login), also inside SECURITY DEFINER functions';
-- Every function a profile may call refuses a NULL in a required argument
-- the same way: 22004 (null_value_not_allowed), naming the argument, instead
-- of whatever the NULL would otherwise run into ("role <NULL> does not hold
-- profile", "case not found").  Callers pass the names and which are NULL.
CREATE FUNCTION healthhub.require_arguments(function_name text, argument_names text[], is_null boolean[])
    RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    FOR i IN 1 .. cardinality(argument_names) LOOP
        IF is_null[i] THEN
            RAISE EXCEPTION 'null value not allowed for argument "%" of %()', argument_names[i], function_name
                USING ERRCODE = 'null_value_not_allowed',
                      DETAIL = CASE WHEN cardinality(argument_names) = 1
                                    THEN format('Argument "%s" is null; it is required.', argument_names[i])
                                    ELSE format('Argument "%s" is null; the required arguments are %s.', argument_names[i],
                                                array_to_string(argument_names, ', ')) END;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION healthhub.require_arguments(text, text[], boolean[]) IS
    'Raise 22004 naming the first required argument that is NULL';
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
-- Role profiles.  healthhub creates no roles: a DBA creates login roles and
-- gives each one or more profiles with healthhub.grant_profile().  A profile
-- is a set of privileges (healthhub.profile_privileges, filled by each area's
-- SQL) plus, for the profiles that act for an institution, that institution.
--
-- Which institution a connection acts for comes from healthhub.role_profiles,
-- a table the connection cannot write, keyed by current_user: never from a
-- setting, since any role can SET a custom setting.
--
-- A row names its role by OID (a regrole, which pg_dump writes as the name
-- and a restore reads back as the restored role's OID) and by the name it had
-- when the profile was granted; it is in force only while both still match.
-- A dropped login's rows so give nothing to a new role of the same name (new
-- OID), nor to a role that a restore happened to give the old OID (other
-- name); renaming a role ends its profiles until they are granted again.

CREATE TABLE healthhub.profiles (
    profile         text PRIMARY KEY,
    needs_institution boolean NOT NULL,
    description     text NOT NULL
);
INSERT INTO healthhub.profiles VALUES
    ('hub_admin',       false, 'runs the hub: registries, profiles, secrets, checkpoints'),
    ('institution_app', true,  'an institution''s application: rows of its own institution only (RLS)'),
    ('clinician',       true,  'a physician or nurse acting at an institution'),
    ('pharmacist',      true,  'a pharmacist reviewing and dispensing at an institution or pharmacy'),
    ('insurer',         false, 'a medical insurance fund: settlement data'),
    ('statistician',    false, 'aggregates, masked data and pseudonyms only'),
    ('auditor',         false, 'the audit trail, read-only');

-- What each profile may do.  Objects are named by text (a table's qualified
-- name, a function's signature) so the rows survive dump and restore.
CREATE TABLE healthhub.profile_privileges (
    profile     text NOT NULL REFERENCES healthhub.profiles,
    object_kind text NOT NULL CHECK (object_kind IN ('table', 'function', 'sequence')),
    object_name text NOT NULL,
    -- (SELECT may name its columns: "SELECT (a, b)")
    privileges  text NOT NULL
        CHECK (privileges ~ '^(SELECT( \([a-z_]+(, [a-z_]+)*\))?|INSERT|UPDATE|DELETE|EXECUTE|USAGE)(, (SELECT|INSERT|UPDATE|DELETE|USAGE))*$'),
    PRIMARY KEY (profile, object_kind, object_name)
);

CREATE TABLE healthhub.role_profiles (
    role_name       name NOT NULL,
    profile         text NOT NULL REFERENCES healthhub.profiles,
    institution_key bigint,
    granted_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    granted_by      name NOT NULL DEFAULT SESSION_USER,
    role            regrole NOT NULL,
    PRIMARY KEY (role, profile)
);
COMMENT ON TABLE healthhub.role_profiles IS 'Which profiles each role holds, and the institution it acts for';
SELECT pg_catalog.pg_extension_config_dump('healthhub.role_profiles', '');

-- Each backend remembers what each role holds (src/platform/role_cache.c);
-- any change here makes them forget.
CREATE FUNCTION healthhub.role_profiles_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'hh_role_profiles_changed' LANGUAGE C;
CREATE TRIGGER role_profiles_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON healthhub.role_profiles
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.role_profiles_changed();
-- grant_profile and revoke_profile (and any other change) are recorded
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.role_profiles
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('profile', 'role_name,profile', 'access control');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.profiles', 'catalogue', 'shipped profiles'),
    ('healthhub.profile_privileges', 'catalogue', 'written by each area''s install script');

-- The one predicate of every row level security policy (docs/security.md,
-- docs/scale-out.md): each policy is a plain call of it, with no subquery
-- (Citus refuses subqueries in policies).  access is
--   'read'   the caller does not act as an institution's application
--            (institution_app), or the row is of the institution it acts for;
--   'own'    the caller holds hub_admin, or the row is of its institution;
--   'admin'  the caller holds hub_admin;
--   'holder' the row is about role holder (still named holder_name), and
--            the caller is a member of it.
-- What the caller holds is asked once per query (has_profile() and
-- acting_institution(), as the caller), not once per row
-- (src/platform/row_access.c).
CREATE FUNCTION healthhub.row_allowed(access text, institution bigint DEFAULT NULL,
                                      holder regrole DEFAULT NULL, holder_name name DEFAULT NULL)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_row_allowed' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.row_allowed(text, bigint, regrole, name) IS
    'The predicate of every row level security policy: read, own, admin or holder access to a row';

-- A role holds its own profiles and those of the roles it is a member of
-- (a DBA may give a profile to a group and the group to its logins).  Every
-- role may read those rows, and only those.
ALTER TABLE healthhub.role_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY role_profiles_own ON healthhub.role_profiles FOR SELECT
    USING (healthhub.row_allowed('holder', NULL, role, role_name));
GRANT SELECT ON healthhub.role_profiles TO PUBLIC;
GRANT SELECT ON healthhub.profiles TO PUBLIC;

CREATE FUNCTION healthhub.effective_profiles(role_name name)
    RETURNS TABLE (profile text, institution_key bigint)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT rp.profile, rp.institution_key
      FROM healthhub.role_profiles rp
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) rp.role::pg_catalog.oid
                                 AND r.rolname OPERATOR(pg_catalog.=) rp.role_name
     WHERE pg_catalog.pg_has_role(effective_profiles.role_name, r.oid, 'MEMBER')
       -- a superuser is a "member" of every role; it holds no profile
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles s
                        WHERE s.rolname OPERATOR(pg_catalog.=) effective_profiles.role_name AND s.rolsuper);
END;

-- The institution a role acts for: NULL if none, and NULL (so row level
-- security shows nothing) if its profiles name more than one.
CREATE FUNCTION healthhub.institution_of(role_name name) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN pg_catalog.count(DISTINCT ep.institution_key) OPERATOR(pg_catalog.=) 1
                THEN pg_catalog.min(ep.institution_key) END
      FROM healthhub.effective_profiles(institution_of.role_name) ep
     WHERE ep.institution_key IS NOT NULL;
END;

-- The same for the acting role (healthhub.acting_role(): the caller, also
-- inside SECURITY DEFINER functions), and the profiles it holds, remembered
-- per backend (src/platform/role_cache.c): every step of every area asks,
-- and the queries cost more than most steps.
CREATE FUNCTION healthhub.acting_role_institution() RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_acting_role_institution' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION healthhub.acting_role_institution() IS
    'The institution the acting role acts for: institution_of(acting_role()), remembered per backend';
CREATE FUNCTION healthhub.acting_role_profiles() RETURNS text[]
    AS 'MODULE_PATHNAME', 'hh_acting_role_profiles' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION healthhub.acting_role_profiles() IS
    'The profiles the acting role holds (effective_profiles(acting_role())), sorted, remembered per backend';

CREATE FUNCTION healthhub.acting_institution() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN healthhub.institution_of(CURRENT_USER);

CREATE FUNCTION healthhub.has_profile(profile text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM healthhub.effective_profiles(CURRENT_USER) ep
                    WHERE ep.profile OPERATOR(pg_catalog.=) has_profile.profile);
END;

-- Whether the acting role runs the hub: a superuser, or a holder of
-- hub_admin (the one test every area's admin-only paths use).  PL/pgSQL:
-- its plan is kept for the session (a SQL function with these subqueries
-- is planned anew on every call).
CREATE FUNCTION healthhub.acting_role_is_admin() RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN 'hub_admin' = ANY (healthhub.acting_role_profiles())
           OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.acting_role());
END
$$;
COMMENT ON FUNCTION healthhub.acting_role_is_admin() IS
    'Whether the acting role is a superuser or holds hub_admin';
REVOKE ALL ON FUNCTION healthhub.acting_role_is_admin() FROM PUBLIC;

-- 42501 unless the acting role runs the hub or holds one of the profiles
-- ("what" completes "role ... may not ..."): the check at the top of each
-- SECURITY DEFINER function of an area.
CREATE FUNCTION healthhub.require_profile(profiles text[], what text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (the profiles first: most callers hold one)
    IF NOT healthhub.acting_role_profiles() && profiles AND NOT healthhub.acting_role_is_admin() THEN
        RAISE EXCEPTION 'role % may not %', healthhub.acting_role(), what
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = CASE WHEN cardinality(profiles) = 0 THEN 'That is for hub_admin.'
                                ELSE format('That is for the profiles %s and hub_admin.', array_to_string(profiles, ', ')) END;
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.require_profile(text[], text) IS
    'Raise 42501 unless the acting role runs the hub or holds one of the profiles';
REVOKE ALL ON FUNCTION healthhub.require_profile(text[], text) FROM PUBLIC;

-- Grant (or re-grant) the privileges of every profile a role holds.
CREATE FUNCTION healthhub.apply_profile_privileges(role_name name, profile text, grant_them boolean)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT pp.object_kind, pp.object_name, pp.privileges
               FROM healthhub.profile_privileges pp
              WHERE pp.profile = apply_profile_privileges.profile
              ORDER BY pp.object_kind, pp.object_name
    LOOP
        -- object names come from the extension's own table, the role is quoted
        EXECUTE format(CASE WHEN grant_them THEN 'GRANT %s ON %s %s TO %I' ELSE 'REVOKE %s ON %s %s FROM %I' END,
                       p.privileges, upper(p.object_kind), p.object_name, role_name);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION healthhub.apply_profile_privileges(name, text, boolean) FROM PUBLIC;

CREATE FUNCTION healthhub.grant_profile(role regrole, profile text, institution bigint DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    def healthhub.profiles%ROWTYPE;
    rname name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = role);
BEGIN
    PERFORM healthhub.require_arguments('healthhub.grant_profile', ARRAY['role', 'profile'],
                                        ARRAY[role IS NULL, profile IS NULL]);
    SELECT * INTO def FROM healthhub.profiles p WHERE p.profile = grant_profile.profile;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown profile "%"', profile
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The profiles are listed in healthhub.profiles.';
    END IF;
    IF def.needs_institution AND institution IS NULL THEN
        RAISE EXCEPTION 'profile "%" acts for an institution', profile
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the institution key: healthhub.grant_profile(role, profile, institution).';
    END IF;
    IF NOT def.needs_institution AND institution IS NOT NULL THEN
        RAISE EXCEPTION 'profile "%" does not act for an institution', profile
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM healthhub.role_profiles rp
                WHERE rp.role = grant_profile.role AND rp.role_name = rname AND rp.institution_key IS DISTINCT FROM institution
                  AND rp.institution_key IS NOT NULL AND institution IS NOT NULL) THEN
        RAISE EXCEPTION 'role % already acts for another institution', role
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A role acts for one institution; create one role per institution.';
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE oid = role) THEN
        RAISE EXCEPTION 'role % is a superuser', role
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Superusers bypass row level security; profiles are for ordinary roles.';
    END IF;
    -- (a row of the role's earlier name is replaced: it was not in force)
    INSERT INTO healthhub.role_profiles (role, role_name, profile, institution_key)
    VALUES (role, rname, profile, institution)
    ON CONFLICT ON CONSTRAINT role_profiles_pkey
    DO UPDATE SET institution_key = EXCLUDED.institution_key, role_name = EXCLUDED.role_name,
                  granted_at = now(), granted_by = SESSION_USER;
    PERFORM healthhub.apply_profile_privileges(rname, profile, true);
END
$$;

CREATE FUNCTION healthhub.revoke_profile(role regrole, profile text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rname name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = role);
    other text;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.revoke_profile', ARRAY['role', 'profile'],
                                        ARRAY[role IS NULL, profile IS NULL]);
    DELETE FROM healthhub.role_profiles rp WHERE rp.role = revoke_profile.role AND rp.profile = revoke_profile.profile;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % does not hold profile "%"', role, profile
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM healthhub.apply_profile_privileges(rname, profile, false);
    -- what another profile of the role also grants must stay
    FOR other IN SELECT rp.profile FROM healthhub.role_profiles rp
                  WHERE rp.role = revoke_profile.role AND rp.role_name = rname LOOP
        PERFORM healthhub.apply_profile_privileges(rname, other, true);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION healthhub.grant_profile(regrole, text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_profile(regrole, text) FROM PUBLIC;
-- Masking and pseudonyms: one place decides how personal data (ID numbers,
-- names, phones, addresses) appears to each profile.  Areas never format
-- personal data themselves: they call healthhub.present_*().

-- The hub secret that keys pseudonyms.  Readable by hub_admin only; dumped,
-- so pseudonyms stay the same after a restore.  It is made at first use, not
-- at install: a row made by CREATE EXTENSION would collide with the dumped
-- one when a dump is restored.
CREATE FUNCTION healthhub.new_secret() RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_new_secret' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
CREATE TABLE healthhub.hub_secrets (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    pseudonym_key   bytea NOT NULL DEFAULT healthhub.new_secret()
                    CHECK (pg_catalog.length(pseudonym_key) >= 32),
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);
SELECT pg_catalog.pg_extension_config_dump('healthhub.hub_secrets', '');
REVOKE ALL ON healthhub.hub_secrets FROM PUBLIC;

CREATE FUNCTION healthhub.pseudonym_of(key bytea, id healthhub.resident_id) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_pseudonym_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Masks: what is left of a value when its holder may not see all of it.
CREATE FUNCTION healthhub.mask_name(name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.left(name, 1) OPERATOR(pg_catalog.||)
           pg_catalog.repeat('*', GREATEST(pg_catalog.char_length(name) OPERATOR(pg_catalog.-) 1, 1));

-- 13812345678 -> 138****5678; other numbers keep their last four digits.
CREATE FUNCTION healthhub.mask_phone(phone text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE
        WHEN d ~ '^1[0-9]{10}$' THEN pg_catalog.left(d, 3) || '****' || pg_catalog.right(d, 4)
        WHEN pg_catalog.length(d) > 4 THEN pg_catalog.repeat('*', pg_catalog.length(d) - 4) || pg_catalog.right(d, 4)
        ELSE pg_catalog.repeat('*', pg_catalog.length(d))
    END
    FROM (SELECT pg_catalog.regexp_replace(phone, '[^0-9]', '', 'g') AS d) s;
END;

-- Keep the address down to its district or county, hide the rest.
CREATE FUNCTION healthhub.mask_address(address text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN COALESCE(pg_catalog.substring(address, '^.{1,15}[区县旗]'),
                               pg_catalog.left(address, 6)) OPERATOR(pg_catalog.||) '****';

-- The kinds of personal data the policy speaks of: a vocabulary, not a CHECK
-- list, so that a later area adds its kinds (a diagnosis, a prescription) with
-- rows of its own install script.
CREATE TABLE healthhub.data_kinds (
    data_kind   text PRIMARY KEY CHECK (data_kind ~ '^[a-z][a-z0-9_]*$'),
    description text NOT NULL
);
INSERT INTO healthhub.data_kinds VALUES
    ('resident_id', 'resident ID numbers (the only kind shown as a pseudonym)'),
    ('name', 'names of persons'),
    ('phone', 'phone numbers'),
    ('address', 'addresses');
GRANT SELECT ON healthhub.data_kinds TO PUBLIC;

-- The policy: per profile and kind of data, how it is presented.  Shipped
-- rows are defaults; a DBA overrides one by inserting a 'local' row, which
-- wins and is what pg_dump keeps.
CREATE TABLE healthhub.masking_policy (
    profile         text NOT NULL REFERENCES healthhub.profiles,
    data_kind       text NOT NULL REFERENCES healthhub.data_kinds,
    presentation    text NOT NULL CHECK (presentation IN ('full', 'masked', 'pseudonym', 'hidden')),
    origin          text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'local')),
    CONSTRAINT only_id_numbers_have_pseudonyms CHECK (presentation <> 'pseudonym' OR data_kind = 'resident_id'),
    PRIMARY KEY (profile, data_kind, origin)
);
SELECT pg_catalog.pg_extension_config_dump('healthhub.masking_policy', 'WHERE origin = ''local''');
INSERT INTO healthhub.masking_policy (profile, data_kind, presentation, origin)
SELECT p, k, v, 'shipped'
  FROM (VALUES
    ('hub_admin',       'full',      'full',   'full',   'full'),
    ('institution_app', 'full',      'full',   'full',   'full'),
    ('clinician',       'full',      'full',   'full',   'full'),
    ('pharmacist',      'masked',    'full',   'full',   'full'),
    ('insurer',         'full',      'full',   'masked', 'masked'),
    ('statistician',    'pseudonym', 'hidden', 'hidden', 'masked'),
    ('auditor',         'masked',    'masked', 'masked', 'masked')
  ) AS d(p, rid, nm, ph, ad),
  LATERAL (VALUES ('resident_id', rid), ('name', nm), ('phone', ph), ('address', ad)) AS x(k, v);
GRANT SELECT ON healthhub.masking_policy TO PUBLIC;
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.masking_policy
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('masking_policy', 'profile,data_kind,origin', 'masking');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.hub_secrets
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('hub_secret', '', 'pseudonymisation');

-- How a role sees a kind of data: the most revealing presentation among its
-- profiles (a local row beats the shipped one); 'masked' for a role with no
-- profile; 'full' for superusers.
CREATE FUNCTION healthhub.presentation_for(role_name name, data_kind text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE
        WHEN (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) role_name)
            THEN 'full'
        ELSE COALESCE((
            SELECT eff.presentation
              FROM healthhub.effective_profiles(presentation_for.role_name) rp
              CROSS JOIN LATERAL (
                    SELECT mp.presentation FROM healthhub.masking_policy mp
                     WHERE mp.profile OPERATOR(pg_catalog.=) rp.profile
                       AND mp.data_kind OPERATOR(pg_catalog.=) presentation_for.data_kind
                     ORDER BY mp.origin OPERATOR(pg_catalog.=) 'local' DESC LIMIT 1) eff
             ORDER BY pg_catalog.array_position(ARRAY['hidden', 'pseudonym', 'masked', 'full'], eff.presentation) DESC
             LIMIT 1), 'masked')
    END;
END;

CREATE FUNCTION healthhub.presentation(data_kind text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN healthhub.presentation_for(CURRENT_USER, data_kind);

-- One function says who is calling: healthhub.acting_role() (acting_role.sql).
CREATE FUNCTION healthhub.calling_role() RETURNS name
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN healthhub.acting_role();
COMMENT ON FUNCTION healthhub.calling_role() IS 'deprecated: use healthhub.acting_role(); removed in 0.7';

-- The same person always gets the same 32-hex-digit pseudonym in this hub;
-- without the secret it can be neither reversed nor recomputed.  But a role
-- that could ask for the pseudonym of any number it types could recompute
-- it: birth year and region leave about 10^5 candidate numbers, found in
-- seconds (issue 10; 0.4 let a statistician call this).  So no profile may
-- execute this: pseudonyms appear only in what the hub computes from the
-- numbers it holds (person_pseudonym(), and the views of later areas).
CREATE FUNCTION healthhub.pseudonym(id healthhub.resident_id) RETURNS text
    LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM healthhub.hub_secrets) THEN
        INSERT INTO healthhub.hub_secrets DEFAULT VALUES ON CONFLICT DO NOTHING;
    END IF;
    RETURN (SELECT healthhub.pseudonym_of(s.pseudonym_key, id) FROM healthhub.hub_secrets s);
END
$$;
REVOKE ALL ON FUNCTION healthhub.pseudonym(healthhub.resident_id) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.pseudonym_of(bytea, healthhub.resident_id) FROM PUBLIC;

-- The pseudonym of a person of the master person index (the survivor's, for
-- a merged person): computed from the number the hub holds, never from one
-- the caller gives.  NULL for a person without a resident ID number or an
-- unknown key; 42501 for roles that may see neither numbers nor pseudonyms.
CREATE FUNCTION healthhub.person_pseudonym(person bigint) RETURNS text
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller name := healthhub.acting_role();
    p record;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_pseudonym', ARRAY['person'], ARRAY[person IS NULL]);
    IF healthhub.presentation_for(caller, 'resident_id') NOT IN ('pseudonym', 'full') THEN
        RAISE EXCEPTION 'permission denied for pseudonyms'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role %s may not see ID numbers or their pseudonyms.', caller);
    END IF;
    SELECT x.resident_id, x.redirected_to INTO p FROM healthhub.persons x WHERE x.person_key = person;
    FOR hop IN 1 .. 100 LOOP                 -- a merged person: its survivor
        EXIT WHEN p.redirected_to IS NULL;
        SELECT x.resident_id, x.redirected_to INTO p FROM healthhub.persons x WHERE x.person_key = p.redirected_to;
    END LOOP;
    IF p.resident_id IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN healthhub.pseudonym(p.resident_id);
END
$$;
REVOKE ALL ON FUNCTION healthhub.person_pseudonym(bigint) FROM PUBLIC;
COMMENT ON FUNCTION healthhub.person_pseudonym(bigint) IS
    'The keyed pseudonym of a person''s resident ID number (for roles shown pseudonyms or full numbers)';

-- A number the caller passes is shown in full or masked; a role shown
-- pseudonyms gets NULL here (a pseudonym of a number it chose would let it
-- recompute pseudonyms): it reads person_pseudonym(person_key) instead.
CREATE FUNCTION healthhub.present_resident_id(id healthhub.resident_id) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE healthhub.presentation('resident_id')
        WHEN 'full' THEN id::text
        WHEN 'masked' THEN healthhub.resident_id_mask(id)
    END;
END;
CREATE FUNCTION healthhub.present_name(name text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE healthhub.presentation('name')
        WHEN 'full' THEN name WHEN 'masked' THEN healthhub.mask_name(name) END;
END;
CREATE FUNCTION healthhub.present_phone(phone text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE healthhub.presentation('phone')
        WHEN 'full' THEN phone WHEN 'masked' THEN healthhub.mask_phone(phone) END;
END;
CREATE FUNCTION healthhub.present_address(address text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE healthhub.presentation('address')
        WHEN 'full' THEN address WHEN 'masked' THEN healthhub.mask_address(address) END;
END;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges) VALUES
    ('hub_admin', 'table', 'healthhub.hub_secrets', 'SELECT'),
    ('hub_admin', 'function', 'healthhub.person_pseudonym(bigint)', 'EXECUTE'),
    ('statistician', 'function', 'healthhub.person_pseudonym(bigint)', 'EXECUTE');
-- The tamper-evident audit trail (docs/security.md).
--
-- Writers only INSERT: an entry row plus its id in a small queue, in the
-- caller's transaction, so an entry becomes sealable exactly when it commits.
-- One sealer at a time (a table lock only the owner can take) takes queued ids in entry order and
-- writes a block: the entries' hashes, their RFC 6962 Merkle root and a hash
-- chaining the block to the previous one, as Certificate Transparency logs do.
-- A signed checkpoint (tree head) kept outside the database lets
-- healthhub.verify_audit() prove that the trail still extends it.

-- Configuration: one row, created by healthhub.configure_audit(); without it
-- the defaults below apply.  (No row is shipped, so pg_dump's copy of a
-- configured row never collides with one made by CREATE EXTENSION.)
CREATE TABLE healthhub.audit_settings (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    algorithm       text NOT NULL DEFAULT 'sha256' CHECK (algorithm IN ('sha256', 'sm3')),
    seal_interval   interval NOT NULL DEFAULT '1 second'
                    CHECK (seal_interval > '0'::interval AND seal_interval <= '1 day'::interval),
    block_max       integer NOT NULL DEFAULT 10000 CHECK (block_max BETWEEN 1 AND 1000000),
    changed_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    changed_by      name NOT NULL DEFAULT SESSION_USER
);
COMMENT ON TABLE healthhub.audit_settings IS
    'Audit trail settings (at most one row; defaults apply without it): hash algorithm, sealing delay, block size';
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_settings', '');

-- The entries.  No personal data: person_key is a key, never an ID number or
-- a name, so erasing a person's data never breaks the trail.
CREATE SEQUENCE healthhub.audit_entry_seq MINVALUE 1 NO CYCLE;
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_entry_seq', '');

CREATE TABLE healthhub.audit_entries (
    entry_id        bigint NOT NULL DEFAULT pg_catalog.nextval('healthhub.audit_entry_seq'),
    at              timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    role_name       name NOT NULL,
    session_role    name NOT NULL,
    institution_key bigint,
    practitioner_key bigint,
    -- not blank: audit_append() refuses those (a CHECK here would be
    -- re-read from the catalog by every append's executor start-up)
    action          text NOT NULL,
    object_kind     text NOT NULL,
    object_id       text,
    person_key      bigint,
    purpose         text,
    outcome         text NOT NULL,
    PRIMARY KEY (entry_id)
) PARTITION BY RANGE (entry_id);
COMMENT ON TABLE healthhub.audit_entries IS
    'The audit trail: who, what, when, why and the outcome; append-only, sealed into healthhub.audit_blocks';
ALTER SEQUENCE healthhub.audit_entry_seq OWNED BY healthhub.audit_entries.entry_id;
-- A person's entries, newest first: who read their records
-- (healthhub.accesses_of, src/records/consent.sql).
CREATE INDEX audit_entries_person ON healthhub.audit_entries (person_key, entry_id) WHERE person_key IS NOT NULL;

-- Entries not yet sealed.  Rows live for about one seal interval.
CREATE TABLE healthhub.audit_queue (
    entry_id        bigint PRIMARY KEY,
    queued_at       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
        autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000);
COMMENT ON TABLE healthhub.audit_queue IS 'Audit entries committed but not yet sealed into a block';
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_queue', '');

CREATE TABLE healthhub.audit_blocks (
    block_no        bigint PRIMARY KEY CHECK (block_no >= 1),
    sealed_at       timestamptz NOT NULL,
    algorithm       text NOT NULL,
    entry_count     integer NOT NULL,
    entry_ids       bigint[] NOT NULL,
    entry_hashes    bytea NOT NULL,
    merkle_root     bytea NOT NULL,
    prev_hash       bytea NOT NULL,
    block_hash      bytea NOT NULL
);
-- hashes do not compress: do not try at every block
ALTER TABLE healthhub.audit_blocks ALTER COLUMN entry_hashes SET STORAGE EXTERNAL;
COMMENT ON TABLE healthhub.audit_blocks IS
    'Sealed blocks of audit entries: entry hashes, Merkle root, and a hash chain over the blocks';
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_blocks', '');

-- Partitions archived (detached, dumped and dropped) after the retention period.
CREATE TABLE healthhub.audit_archives (
    partition_name  text NOT NULL,
    first_entry_id  bigint NOT NULL,
    end_entry_id    bigint NOT NULL,        -- exclusive
    entries         bigint NOT NULL,
    newest_entry_at timestamptz,
    last_block_no   bigint,                 -- last block listing an entry of the range
    last_block_hash bytea,
    archive_entry_id bigint NOT NULL,       -- the audit entry recording the archiving
    archived_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    archived_by     name NOT NULL DEFAULT SESSION_USER,
    PRIMARY KEY (first_entry_id),
    CHECK (end_entry_id > first_entry_id)
);
COMMENT ON TABLE healthhub.audit_archives IS
    'Entry ranges archived out of healthhub.audit_entries; verification accepts their absence';
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_archives', '');

-- The key that signs checkpoints, made at the first checkpoint (so a restore
-- brings back the dumped key rather than colliding with a new one).
CREATE TABLE healthhub.audit_signing_key (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    signing_key     bytea NOT NULL CHECK (pg_catalog.length(signing_key) >= 32),
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE healthhub.audit_signing_key IS 'HMAC key of audit checkpoints; readable by the extension owner only';
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_signing_key', '');
REVOKE ALL ON healthhub.audit_signing_key FROM PUBLIC;

-- configure_audit (and any other change of the settings) is recorded; the
-- trail's own tables are its record
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.audit_settings
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('audit_settings', '', 'audit settings');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.audit_entries', 'trail', 'the trail'),
    ('healthhub.audit_queue', 'trail', 'entries waiting to be sealed'),
    ('healthhub.audit_blocks', 'trail', 'sealed blocks'),
    ('healthhub.audit_archives', 'trail', 'archive'),
    ('healthhub.audit_signing_key', 'trail', 'checkpoint key, made at install'),
    ('healthhub.audit_exemptions', 'catalogue', 'written by each area''s install script'),
    ('healthhub.data_kinds', 'catalogue', 'written by each area''s install script');

-- Hashing and signing, in C (src/platform/audit_hash.c over src/core/digest.c).
CREATE FUNCTION healthhub.audit_entry_hash(algorithm text, entry_id bigint, at timestamptz,
        role_name name, session_role name, institution_key bigint, practitioner_key bigint,
        action text, object_kind text, object_id text, person_key bigint, purpose text, outcome text)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_audit_entry_hash' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.audit_entry_hash(text, bigint, timestamptz, name, name, bigint, bigint, text, text, text, bigint, text, text) IS
    'RFC 6962 leaf hash of one audit entry''s canonical serialisation';
CREATE FUNCTION healthhub.audit_merkle_root(algorithm text, entry_hashes bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_audit_merkle_root' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.audit_merkle_root(text, bytea) IS
    'RFC 6962 Merkle tree hash over concatenated 32-byte entry hashes';
CREATE FUNCTION healthhub.audit_block_hash(algorithm text, prev_hash bytea, block_no bigint,
        entry_count integer, merkle_root bytea, sealed_at timestamptz) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_audit_block_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.audit_block_hash(text, bytea, bigint, integer, bytea, timestamptz) IS
    'Hash of an audit block, chaining it to its predecessor';
CREATE FUNCTION healthhub.audit_hmac(key bytea, payload text) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_audit_hmac' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.audit_equal(a bytea, b bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_audit_equal' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.audit_random_key() RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_audit_random_key' LANGUAGE C VOLATILE PARALLEL SAFE;
CREATE FUNCTION healthhub.audit_verify_chain(checkpoint_block bigint, checkpoint_hash bytea,
        checkpoint_entries bigint)
    RETURNS TABLE (problem text, block_no bigint, entry_id bigint, detail text)
    AS 'MODULE_PATHNAME', 'hh_audit_verify_chain' LANGUAGE C STABLE STRICT;
REVOKE ALL ON FUNCTION healthhub.audit_hmac(bytea, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.audit_equal(bytea, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.audit_random_key() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.audit_verify_chain(bigint, bytea, bigint) FROM PUBLIC;

-- Append-only: no UPDATE, DELETE or TRUNCATE, not even by the owner.
CREATE FUNCTION healthhub.audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only'
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('%s on %I.%I is not allowed.', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
              HINT = 'Old entries leave the trail only by archiving: healthhub.archive_audit_partition().';
END
$$;

CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON healthhub.audit_entries
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_refuse_change();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON healthhub.audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.audit_refuse_change();
CREATE TRIGGER audit_blocks_append_only BEFORE UPDATE OR DELETE ON healthhub.audit_blocks
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_refuse_change();
CREATE TRIGGER audit_blocks_no_truncate BEFORE TRUNCATE ON healthhub.audit_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.audit_refuse_change();
CREATE TRIGGER audit_archives_append_only BEFORE UPDATE OR DELETE ON healthhub.audit_archives
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_refuse_change();
CREATE TRIGGER audit_archives_no_truncate BEFORE TRUNCATE ON healthhub.audit_archives
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.audit_refuse_change();

-- Partitions of 10,000,000 entry ids, created ahead of need by the sealer;
-- the DEFAULT partition is only a safety net (it should stay empty).
CREATE FUNCTION healthhub.audit_ensure_partitions() RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    chunk   constant bigint := 10000000;
    cur     bigint;
    k       bigint;
    part    text;
    made    integer := 0;
BEGIN
    SELECT s.last_value INTO cur FROM healthhub.audit_entry_seq s;
    FOR k IN (cur / chunk) .. (cur / chunk) + 1 LOOP
        part := 'audit_entries_p' || lpad(k::text, 5, '0');
        CONTINUE WHEN to_regclass('healthhub.' || part) IS NOT NULL;
        -- create, constrain, then attach: attaching takes a weaker lock on
        -- the parent than CREATE TABLE ... PARTITION OF, so writers go on.
        -- The constraint only spares ATTACH a scan; kept, every append's
        -- executor would read it back from the catalog.
        EXECUTE format('CREATE TABLE healthhub.%I (LIKE healthhub.audit_entries INCLUDING ALL)', part);
        EXECUTE format('ALTER TABLE healthhub.%I ADD CONSTRAINT %I CHECK (entry_id >= %s AND entry_id < %s)',
                       part, part || '_range', k * chunk, (k + 1) * chunk);
        EXECUTE format('ALTER TABLE healthhub.audit_entries ATTACH PARTITION healthhub.%I FOR VALUES FROM (%s) TO (%s)',
                       part, k * chunk, (k + 1) * chunk);
        EXECUTE format('ALTER TABLE healthhub.%I DROP CONSTRAINT %I', part, part || '_range');
        EXECUTE format('CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON healthhub.%I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION healthhub.audit_refuse_change()', part);
        made := made + 1;
    END LOOP;
    RETURN made;
END
$$;
REVOKE ALL ON FUNCTION healthhub.audit_ensure_partitions() FROM PUBLIC;

CREATE TABLE healthhub.audit_entries_default PARTITION OF healthhub.audit_entries DEFAULT;
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON healthhub.audit_entries_default
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.audit_refuse_change();
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_entries_default', '');
SELECT healthhub.audit_ensure_partitions();
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_entries_p00000', '');
SELECT pg_catalog.pg_extension_config_dump('healthhub.audit_entries_p00001', '');

-- Settings.
CREATE FUNCTION healthhub.configure_audit(algorithm text DEFAULT NULL, seal_interval interval DEFAULT NULL,
                                          block_max integer DEFAULT NULL)
    RETURNS healthhub.audit_settings
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result healthhub.audit_settings;
BEGIN
    IF algorithm IS NOT NULL AND algorithm NOT IN ('sha256', 'sm3') THEN
        RAISE EXCEPTION 'unknown audit hash algorithm "%"', algorithm
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The algorithms are "sha256" and "sm3" (GB/T 32905).';
    END IF;
    IF seal_interval IS NOT NULL AND (seal_interval <= '0'::interval OR seal_interval > '1 day'::interval) THEN
        RAISE EXCEPTION 'audit seal interval % is out of range', seal_interval
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Entries are sealed within the interval; it must be positive and at most one day.';
    END IF;
    IF block_max IS NOT NULL AND (block_max < 1 OR block_max > 1000000) THEN
        RAISE EXCEPTION 'audit block size % is out of range', block_max
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A block holds 1 to 1000000 entries.';
    END IF;
    INSERT INTO healthhub.audit_settings AS s (algorithm, seal_interval, block_max)
    VALUES (coalesce(configure_audit.algorithm, 'sha256'), coalesce(configure_audit.seal_interval, '1 second'),
            coalesce(configure_audit.block_max, 10000))
    ON CONFLICT (only_row) DO UPDATE
       SET algorithm = coalesce(configure_audit.algorithm, s.algorithm),
           seal_interval = coalesce(configure_audit.seal_interval, s.seal_interval),
           block_max = coalesce(configure_audit.block_max, s.block_max),
           changed_at = now(), changed_by = SESSION_USER
    RETURNING * INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION healthhub.configure_audit(text, interval, integer) IS
    'Set the audit hash algorithm (sha256 or sm3, from the next block on), sealing delay and block size';

-- Seal queued entries into blocks.  One sealer at a time; others return 0.
-- Must run in READ COMMITTED, so each statement sees the last sealed block.
CREATE FUNCTION healthhub.seal_audit(max_blocks integer DEFAULT NULL, wait boolean DEFAULT false)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    alg     text;
    bmax    integer;
    ids     bigint[];
    hashes  bytea;
    found_n bigint;
    prev    bytea;
    prev_no bigint;
    root    bytea;
    sealed  timestamptz;
    bh      bytea;
    n       integer := 0;
    taken_upto bigint := -1;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'healthhub.seal_audit() must run at isolation level READ COMMITTED'
            USING ERRCODE = 'active_sql_transaction',
                  DETAIL = format('This transaction is %s: its snapshot may predate the last sealed block.',
                                  upper(current_setting('transaction_isolation')));
    END IF;
    IF max_blocks IS NOT NULL AND max_blocks < 1 THEN
        RAISE EXCEPTION 'max_blocks must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One sealer at a time, by a lock only the trail's owner can take (any
    -- login can take any advisory lock, and so could stop sealing).
    IF wait THEN
        LOCK TABLE healthhub.audit_blocks IN SHARE UPDATE EXCLUSIVE MODE;
    ELSE
        BEGIN
            LOCK TABLE healthhub.audit_blocks IN SHARE UPDATE EXCLUSIVE MODE NOWAIT;
        EXCEPTION WHEN lock_not_available THEN
            RETURN 0;
        END;
    END IF;
    SELECT s.algorithm, s.block_max INTO alg, bmax FROM healthhub.audit_settings s;
    alg := coalesce(alg, 'sha256');
    bmax := coalesce(bmax, 10000);
    PERFORM healthhub.audit_ensure_partitions();
    SELECT b.block_no, b.block_hash INTO prev_no, prev
      FROM healthhub.audit_blocks b ORDER BY b.block_no DESC LIMIT 1;
    prev_no := coalesce(prev_no, 0);
    prev := coalesce(prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    LOOP
        EXIT WHEN max_blocks IS NOT NULL AND n >= max_blocks;
        -- Take the oldest queued ids by the index, then delete exactly those:
        -- a semi-join here could scan the whole queue once per block when a
        -- backlog of millions has no statistics yet.  No row locks: the
        -- table lock already makes this the only sealer, and writers never
        -- touch a queued row again.
        -- Start after the last id taken: the ids this call deleted are still
        -- in the index (dead only once it commits), and rescanning them for
        -- every block would make a backlog quadratic.
        SELECT array_agg(q.entry_id ORDER BY q.entry_id) INTO ids
          FROM (SELECT q2.entry_id FROM healthhub.audit_queue q2
                 WHERE q2.entry_id > taken_upto
                 ORDER BY q2.entry_id LIMIT bmax) q;
        EXIT WHEN ids IS NULL;
        taken_upto := ids[cardinality(ids)];
        -- joins with unnest(): "= ANY (ids)" on a 10,000-element array
        -- parameter is a linear search per row
        DELETE FROM healthhub.audit_queue q USING unnest(ids) AS t(id) WHERE q.entry_id = t.id;
        SELECT count(*),
               string_agg(healthhub.audit_entry_hash(alg, e.entry_id, e.at, e.role_name, e.session_role,
                              e.institution_key, e.practitioner_key, e.action, e.object_kind, e.object_id,
                              e.person_key, e.purpose, e.outcome), ''::bytea ORDER BY e.entry_id)
          INTO found_n, hashes
          FROM unnest(ids) AS t(id)
          JOIN healthhub.audit_entries e ON e.entry_id = t.id
         WHERE e.entry_id BETWEEN ids[1] AND ids[cardinality(ids)];
        IF found_n <> cardinality(ids) THEN
            RAISE EXCEPTION 'audit entries queued for sealing are missing'
                USING ERRCODE = 'data_corrupted',
                      DETAIL = format('%s entries were queued between %s and %s but %s exist.',
                                      cardinality(ids), ids[1], ids[cardinality(ids)], found_n),
                      HINT = 'Run healthhub.verify_audit() with the last checkpoint.';
        END IF;
        root := healthhub.audit_merkle_root(alg, hashes);
        sealed := clock_timestamp();
        prev_no := prev_no + 1;
        bh := healthhub.audit_block_hash(alg, prev, prev_no, cardinality(ids), root, sealed);
        INSERT INTO healthhub.audit_blocks (block_no, sealed_at, algorithm, entry_count, entry_ids,
                                            entry_hashes, merkle_root, prev_hash, block_hash)
        VALUES (prev_no, sealed, alg, cardinality(ids), ids, hashes, root, prev, bh);
        prev := bh;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.seal_audit(integer, boolean) IS
    'Seal queued audit entries into blocks (at most max_blocks); returns the number of blocks written';

-- Sealing is due when the oldest queued entry has waited seal_interval.
-- audit_append asks at most ten times a second per backend and then starts
-- the sealer, a background worker (src/platform/audit_sealer.c), so the
-- writer's own transaction does not pay for it.
CREATE FUNCTION healthhub.audit_seal_due() RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(
        (SELECT q.queued_at FROM healthhub.audit_queue q ORDER BY q.entry_id LIMIT 1)
            OPERATOR(pg_catalog.<) (pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-)
            coalesce((SELECT s.seal_interval FROM healthhub.audit_settings s), '1 second'::interval)),
        false);
END;
REVOKE ALL ON FUNCTION healthhub.audit_seal_due() FROM PUBLIC;

-- Seal if due, never failing the caller's work because sealing failed: what
-- the sealer runs, and what a writer runs itself when no worker can start.
-- (Whether it sealed anything: the sealer backs off when it did not.)
CREATE FUNCTION healthhub.audit_seal_if_due() RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' OR NOT healthhub.audit_seal_due() THEN
        RETURN false;
    END IF;
    BEGIN
        RETURN healthhub.seal_audit(10) > 0;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'audit sealing failed: %', SQLERRM
            USING HINT = 'Entries stay queued; run healthhub.seal_audit() to see the error.';
        RETURN false;
    END;
END
$$;
REVOKE ALL ON FUNCTION healthhub.audit_seal_if_due() FROM PUBLIC;

-- THE function other areas call to record what happened (C, see
-- src/platform/audit_append.c).  The caller is recorded as the role whose
-- privileges it is using and its login role; the institution is that role's,
-- from healthhub.role_profiles; the entry is queued for sealing in the same
-- transaction, so it becomes sealable exactly when it commits.
CREATE FUNCTION healthhub.audit_append(action text, object_kind text, object_id text,
                                       person_key bigint DEFAULT NULL, purpose text DEFAULT NULL,
                                       outcome text DEFAULT 'ok', practitioner_key bigint DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_audit_append' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION healthhub.audit_append(text, text, text, bigint, text, text, bigint) IS
    'Append an entry to the audit trail (who is taken from the session); returns its entry_id';
REVOKE ALL ON FUNCTION healthhub.audit_append(text, text, text, bigint, text, text, bigint) FROM PUBLIC;

-- The text a checkpoint's signature covers, from the checkpoint's own fields.
CREATE FUNCTION healthhub.audit_checkpoint_payload(checkpoint jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.concat_ws('|', 'healthhub-audit-checkpoint',
        checkpoint OPERATOR(pg_catalog.->>) 'version',
        coalesce(checkpoint OPERATOR(pg_catalog.->>) 'hub_id', ''),
        checkpoint OPERATOR(pg_catalog.->>) 'block_no',
        checkpoint OPERATOR(pg_catalog.->>) 'block_hash',
        checkpoint OPERATOR(pg_catalog.->>) 'entries',
        checkpoint OPERATOR(pg_catalog.->>) 'algorithm',
        checkpoint OPERATOR(pg_catalog.->>) 'at');

-- Seal, then sign the tree head.  The operator keeps the result outside the
-- database.
CREATE FUNCTION healthhub.audit_checkpoint() RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k       bytea;
    head    healthhub.audit_blocks;
    total   bigint;
    cp      jsonb;
BEGIN
    PERFORM healthhub.seal_audit(NULL, true);
    SELECT s.signing_key INTO k FROM healthhub.audit_signing_key s;
    IF k IS NULL THEN
        INSERT INTO healthhub.audit_signing_key (signing_key) VALUES (healthhub.audit_random_key())
        ON CONFLICT (only_row) DO NOTHING;
        SELECT s.signing_key INTO k FROM healthhub.audit_signing_key s;
    END IF;
    SELECT * INTO head FROM healthhub.audit_blocks b ORDER BY b.block_no DESC LIMIT 1;
    SELECT coalesce(sum(b.entry_count), 0) INTO total FROM healthhub.audit_blocks b;
    cp := jsonb_build_object(
        'version', 1,
        'hub_id', healthhub.hub_id(),
        'block_no', coalesce(head.block_no, 0),
        'block_hash', encode(coalesce(head.block_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea), 'hex'),
        'entries', total,
        'algorithm', coalesce(head.algorithm,
                              (SELECT s.algorithm FROM healthhub.audit_settings s), 'sha256'),
        'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));
    RETURN cp || jsonb_build_object('signature',
        encode(healthhub.audit_hmac(k, healthhub.audit_checkpoint_payload(cp)), 'hex'));
END
$$;
COMMENT ON FUNCTION healthhub.audit_checkpoint() IS
    'Seal the audit trail and return a signed checkpoint (tree head) to keep outside the database';
REVOKE ALL ON FUNCTION healthhub.audit_checkpoint() FROM PUBLIC;

-- Prove the trail still extends a checkpoint.  STABLE: one snapshot for
-- every query, so entries, queue and blocks are seen consistently.
CREATE FUNCTION healthhub.verify_audit(checkpoint jsonb)
    RETURNS TABLE (ok boolean, problem text, block_no bigint, entry_id bigint, detail text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    field   text;
    k       bytea;
    cp_no   bigint;
    cp_n    bigint;
    nblocks bigint;
    nent    bigint;
    bad     record;
    found_any boolean := false;
BEGIN
    IF checkpoint IS NULL THEN
        RAISE EXCEPTION 'checkpoint must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the JSON that healthhub.audit_checkpoint() returned.';
    END IF;
    IF jsonb_typeof(checkpoint) <> 'object' THEN
        RAISE EXCEPTION 'checkpoint must be a JSON object'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('It is a JSON %s.', jsonb_typeof(checkpoint)),
                  HINT = 'Pass the JSON that healthhub.audit_checkpoint() returned, unchanged.';
    END IF;
    FOREACH field IN ARRAY ARRAY['version', 'hub_id', 'block_no', 'block_hash', 'entries', 'algorithm', 'at', 'signature'] LOOP
        IF NOT checkpoint ? field THEN
            RAISE EXCEPTION 'checkpoint lacks field "%"', field
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass the JSON that healthhub.audit_checkpoint() returned, unchanged.';
        END IF;
    END LOOP;
    IF checkpoint->'version' <> '1'::jsonb
       OR jsonb_typeof(checkpoint->'block_no') <> 'number' OR (checkpoint->>'block_no') !~ '^[0-9]{1,18}$'
       OR jsonb_typeof(checkpoint->'entries') <> 'number' OR (checkpoint->>'entries') !~ '^[0-9]{1,18}$'
       OR jsonb_typeof(checkpoint->'block_hash') <> 'string' OR (checkpoint->>'block_hash') !~ '^[0-9a-f]{64}$'
       OR jsonb_typeof(checkpoint->'signature') <> 'string' OR (checkpoint->>'signature') !~ '^[0-9a-f]{64}$'
       OR jsonb_typeof(checkpoint->'algorithm') <> 'string' OR (checkpoint->>'algorithm') NOT IN ('sha256', 'sm3')
       OR jsonb_typeof(checkpoint->'at') <> 'string'
       OR jsonb_typeof(checkpoint->'hub_id') NOT IN ('number', 'null') THEN
        RAISE EXCEPTION 'checkpoint is malformed'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Expected version 1, numeric block_no and entries, 64 hex digits in block_hash and signature, algorithm sha256 or sm3.',
                  HINT = 'Pass the JSON that healthhub.audit_checkpoint() returned, unchanged.';
    END IF;
    SELECT s.signing_key INTO k FROM healthhub.audit_signing_key s;
    IF k IS NULL THEN
        RAISE EXCEPTION 'this hub has no audit signing key'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'No checkpoint was ever taken here, or the key was removed.';
    END IF;
    IF NOT healthhub.audit_equal(healthhub.audit_hmac(k, healthhub.audit_checkpoint_payload(checkpoint)),
                                 decode(checkpoint->>'signature', 'hex')) THEN
        RAISE EXCEPTION 'checkpoint signature does not verify'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The checkpoint was altered, comes from another hub, or this hub''s signing key was replaced.';
    END IF;
    IF (checkpoint->>'hub_id')::bigint IS DISTINCT FROM healthhub.hub_id() THEN
        RAISE EXCEPTION 'checkpoint belongs to hub %, this is hub %',
                        coalesce(checkpoint->>'hub_id', 'NULL'), coalesce(healthhub.hub_id()::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cp_no := (checkpoint->>'block_no')::bigint;
    cp_n := (checkpoint->>'entries')::bigint;

    FOR bad IN SELECT * FROM healthhub.audit_verify_chain(cp_no, decode(checkpoint->>'block_hash', 'hex'), cp_n) LOOP
        found_any := true;
        RETURN QUERY SELECT false, bad.problem, bad.block_no, bad.entry_id, bad.detail;
    END LOOP;

    -- an archived range must have been archived through the trail itself
    FOR bad IN SELECT a.* FROM healthhub.audit_archives a
                WHERE NOT EXISTS (SELECT FROM healthhub.audit_entries e
                                   WHERE e.entry_id = a.archive_entry_id AND e.action = 'archive'
                                     AND e.object_kind = 'audit_entries'
                                     AND e.object_id = a.first_entry_id || '-' || a.end_entry_id)
                ORDER BY a.first_entry_id LIMIT 1 LOOP
        found_any := true;
        RETURN QUERY SELECT false, 'archive unrecorded'::text, bad.last_block_no, bad.first_entry_id,
            format('Entries %s to %s are recorded as archived but the trail has no entry for that archiving.',
                   bad.first_entry_id, bad.end_entry_id - 1);
    END LOOP;

    IF NOT found_any THEN
        SELECT count(*), coalesce(sum(b.entry_count), 0) INTO nblocks, nent FROM healthhub.audit_blocks b;
        RETURN QUERY SELECT true, NULL::text, nblocks, NULL::bigint,
            format('%s blocks and %s entries verified; the trail extends the checkpoint at block %s.',
                   nblocks, nent, cp_no);
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.verify_audit(jsonb) IS
    'Verify the whole audit trail against a checkpoint; one row ok = true, or the first problem found';
REVOKE ALL ON FUNCTION healthhub.verify_audit(jsonb) FROM PUBLIC;

-- Archive a partition older than the retention period: detach it and record
-- its range, so verification accepts the absence of its rows.  The operator
-- then dumps the detached table and drops it (docs/security.md).
CREATE FUNCTION healthhub.archive_audit_partition(partition regclass)
    RETURNS healthhub.audit_archives
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    retention constant interval := '6 months';  -- Cybersecurity Law art. 21
    bounds  text[];
    lo      bigint;
    hi      bigint;
    newest  timestamptz;
    cnt     bigint;
    lastb   healthhub.audit_blocks;
    rec     healthhub.audit_archives;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.archive_audit_partition', ARRAY['partition'],
                                        ARRAY[partition IS NULL]);
    SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \(''?(\d+)''?\) TO \(''?(\d+)''?\)$')
      INTO bounds
      FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
     WHERE c.oid = partition AND i.inhparent = 'healthhub.audit_entries'::regclass;
    IF bounds IS NULL THEN
        RAISE EXCEPTION '% is not a range partition of healthhub.audit_entries', partition
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The partitions are listed by: SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = ''healthhub.audit_entries''::regclass;';
    END IF;
    lo := bounds[1]::bigint;
    hi := bounds[2]::bigint;
    IF hi > (SELECT s.last_value + 1 FROM healthhub.audit_entry_seq s) THEN
        RAISE EXCEPTION 'partition % is still being filled', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('It takes entry ids %s to %s; new entries still get ids in that range.', lo, hi - 1);
    END IF;
    IF EXISTS (SELECT FROM healthhub.audit_queue q WHERE q.entry_id >= lo AND q.entry_id < hi) THEN
        RAISE EXCEPTION 'partition % holds entries not yet sealed', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run healthhub.seal_audit() first.';
    END IF;
    EXECUTE format('SELECT max(at), count(*) FROM %s', partition) INTO newest, cnt;
    IF newest > now() - retention THEN
        RAISE EXCEPTION 'partition % holds entries younger than six months', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its newest entry is from %s.', newest),
                  HINT = 'Logs are kept online at least six months (Cybersecurity Law, article 21).';
    END IF;
    SELECT * INTO lastb FROM healthhub.audit_blocks b
     WHERE b.entry_ids[1] < hi AND b.entry_ids[b.entry_count] >= lo
     ORDER BY b.block_no DESC LIMIT 1;
    -- verify_audit() accepts the absence only of entries sealed six months
    -- before the archiving: the block times are on the chain, entry times
    -- are only as honest as the clock that wrote them
    IF lastb.sealed_at > now() - retention THEN
        RAISE EXCEPTION 'partition % holds entries sealed less than six months ago', partition
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Block %s, which lists some of them, was sealed at %s.', lastb.block_no, lastb.sealed_at),
                  HINT = 'Logs are kept online at least six months (Cybersecurity Law, article 21).';
    END IF;
    EXECUTE format('ALTER TABLE healthhub.audit_entries DETACH PARTITION %s', partition);
    -- the first partitions are made by CREATE EXTENSION: release them, so the
    -- DBA can dump and drop the detached table
    IF EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = partition
                                         AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e') THEN
        EXECUTE format('ALTER EXTENSION healthhub DROP TABLE %s', partition);
    END IF;
    INSERT INTO healthhub.audit_archives (partition_name, first_entry_id, end_entry_id, entries,
                                          newest_entry_at, last_block_no, last_block_hash, archive_entry_id)
    VALUES (partition::text, lo, hi, cnt, newest, lastb.block_no, lastb.block_hash,
            healthhub.audit_append('archive', 'audit_entries', lo || '-' || hi, NULL, 'retention'))
    RETURNING * INTO rec;
    RETURN rec;
END
$$;
COMMENT ON FUNCTION healthhub.archive_audit_partition(regclass) IS
    'Detach an audit partition older than six months and record its range for verification';
REVOKE ALL ON FUNCTION healthhub.archive_audit_partition(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.seal_audit(integer, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.configure_audit(text, interval, integer) FROM PUBLIC;
REVOKE ALL ON healthhub.audit_entries, healthhub.audit_blocks, healthhub.audit_queue,
              healthhub.audit_archives, healthhub.audit_settings FROM PUBLIC;

-- What each profile may do with the trail.
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT p.profile, 'function', 'healthhub.audit_append(text, text, text, bigint, text, text, bigint)', 'EXECUTE'
  FROM healthhub.profiles p
UNION ALL
VALUES ('auditor',   'table',    'healthhub.audit_entries',  'SELECT'),
       ('auditor',   'table',    'healthhub.audit_blocks',   'SELECT'),
       ('auditor',   'table',    'healthhub.audit_archives', 'SELECT'),
       ('auditor',   'table',    'healthhub.audit_settings', 'SELECT'),
       ('auditor',   'function', 'healthhub.verify_audit(jsonb)', 'EXECUTE'),
       ('hub_admin', 'table',    'healthhub.audit_blocks',   'SELECT'),
       ('hub_admin', 'table',    'healthhub.audit_archives', 'SELECT'),
       ('hub_admin', 'table',    'healthhub.audit_settings', 'SELECT'),
       ('hub_admin', 'function', 'healthhub.audit_checkpoint()', 'EXECUTE'),
       ('hub_admin', 'function', 'healthhub.verify_audit(jsonb)', 'EXECUTE'),
       ('hub_admin', 'function', 'healthhub.seal_audit(integer, boolean)', 'EXECUTE'),
       ('hub_admin', 'function', 'healthhub.configure_audit(text, interval, integer)', 'EXECUTE'),
       ('hub_admin', 'function', 'healthhub.archive_audit_partition(regclass)', 'EXECUTE');
-- The loading framework: one way for every area to load an institution's
-- file (the registry's load_registry, the person index's link_batch, every
-- later area).  The file is COPY'd into an area's staging table (all text,
-- plus line_no), then the area's SECURITY DEFINER loader:
--
--   1. begin_load(kind, source, file_digest, mode): validates the key (clear
--      errors, 22023), and returns the new load's id, or the id of the load
--      that already read this file (already_loaded): healthhub.loads is
--      unique on (source, lowercased digest), the one definition of "this
--      file was already loaded";
--   2. begin_load_writes(load_id) (C, src/platform/load_writes.c): the rows
--      the load writes are recorded by the load's own entry, not one by one;
--   3. validates set-based, one INSERT INTO load_errors ... SELECT per rule
--      over the whole staging table (load_require, load_check_in,
--      load_check_type, load_check_pattern, load_check_duplicates, load_check_held_elsewhere,
--      load_check_reference, load_check_period): every bad row, every bad
--      column, with line, column, value and reason; no per-row loop, no
--      per-row subtransaction, nothing quadratic (hash joins and window
--      functions);
--   4. writes the good rows (load_good_rows(): no error recorded) in one
--      INSERT ... SELECT ... ON CONFLICT per entity, and for a snapshot ends
--      the source's rows absent from the file (load_end_absent);
--   5. end_load(load_id, outcome, purpose): records the outcome in loads and
--      the load's one audit entry, <kind>.load.<mode>, object id = load id.
--
-- The helpers build SQL only from the staging table (a regclass) and column
-- names the loader passes as constants, quoted with %I; values travel as
-- parameters.  They run as their caller (the loader, as the owner), and
-- PUBLIC may not execute them.

CREATE TABLE healthhub.loads (
    load_id     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    source      text NOT NULL CHECK (source ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    file_digest text NOT NULL CHECK (file_digest ~ '^([a-z0-9]+:)?[0-9a-f]{32,128}$'),
    mode        text NOT NULL CHECK (mode IN ('snapshot', 'delta')),
    loaded_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    loaded_by   name NOT NULL DEFAULT CURRENT_USER,
    outcome     jsonb NOT NULL DEFAULT '{}',
    kind        text NOT NULL CHECK (kind IN ('registry', 'person_records', 'encounters', 'results', 'drugs')),
    UNIQUE (source, file_digest)
);
COMMENT ON TABLE healthhub.loads IS 'Every load of a file (registry, person records, encounters, results, drugs), keyed on (source, file digest); mode snapshot or delta';
SELECT pg_catalog.pg_extension_config_dump('healthhub.loads', '');

CREATE TABLE healthhub.load_errors (
    load_id     bigint NOT NULL REFERENCES healthhub.loads,
    entity      text NOT NULL,
    line_no     bigint,
    column_name text,
    value       text,
    reason      text NOT NULL
);
CREATE INDEX load_errors_load_idx ON healthhub.load_errors (load_id, entity, line_no);
COMMENT ON TABLE healthhub.load_errors IS 'Every staged row a load rejected: record number, column, value, reason';
-- (append-only: a row is never updated or deleted, so the whole row serves
-- as its replica identity)
ALTER TABLE healthhub.load_errors REPLICA IDENTITY FULL;
SELECT pg_catalog.pg_extension_config_dump('healthhub.load_errors', '');
-- hub_admin can write these directly: each row is recorded (a load's own
-- rows are written under its marker, below, and recorded by its entry)
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.loads
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('load', 'load_id', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.load_errors
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('load_error', 'load_id,entity,line_no', 'registry maintenance');

-- The marker "this transaction is writing load N" (src/platform/load_writes.c).
CREATE FUNCTION healthhub.begin_load_writes(load_id bigint) RETURNS void
    AS 'MODULE_PATHNAME', 'hh_begin_load_writes' LANGUAGE C VOLATILE;
CREATE FUNCTION healthhub.end_load_writes() RETURNS void
    AS 'MODULE_PATHNAME', 'hh_end_load_writes' LANGUAGE C VOLATILE;
CREATE FUNCTION healthhub.load_in_progress() RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_load_in_progress' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION healthhub.begin_load_writes(bigint) IS
    'Until end_load_writes() or the end of the transaction, rows written are recorded by load load_id''s entry, not one by one (loaders only)';
COMMENT ON FUNCTION healthhub.load_in_progress() IS
    'The load this transaction is writing (begin_load_writes), or NULL';
REVOKE ALL ON FUNCTION healthhub.begin_load_writes(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.end_load_writes() FROM PUBLIC;

-- Why a text does not convert to a type (NULL when it does).
CREATE FUNCTION healthhub.load_problem(value text, type text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    msg text;
    detail text;
    known boolean := true;
BEGIN
    -- (a NULL value converts to NULL: no problem)
    PERFORM healthhub.require_arguments('healthhub.load_problem', ARRAY['type'], ARRAY[type IS NULL]);
    BEGIN
        CASE type
            WHEN 'timestamptz' THEN PERFORM value::timestamptz;
            WHEN 'uscc' THEN PERFORM value::healthhub.uscc;
            WHEN 'region_code' THEN PERFORM value::healthhub.region_code;
            WHEN 'resident_id' THEN PERFORM healthhub.resident_id(value);
            ELSE known := false;
        END CASE;
    EXCEPTION WHEN data_exception THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
        RETURN msg || CASE WHEN detail <> '' THEN ': ' || detail ELSE '' END;
    END;
    -- (raised outside the block: 22023 is a data_exception too)
    IF NOT known THEN
        RAISE EXCEPTION 'load_problem does not know type "%"', type
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The types are timestamptz, uscc, region_code and resident_id.';
    END IF;
    RETURN NULL;
END
$$;

-- Does a (trimmed, non-empty) text surely convert, without trying?  The
-- common forms are decided here, by C checks and patterns, so that
-- load_problem (a subtransaction per call) runs only for the rest: rows
-- that are bad, or unusual (a timestamp with a time).  Region codes are
-- decided by load_check_type against healthhub.regions.
CREATE FUNCTION healthhub.load_value_ok(value text, type text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
RETURN CASE type
    WHEN 'timestamptz' THEN
        CASE WHEN value ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
                  AND substr(value, 1, 4)::integer >= 1
             THEN substr(value, 9, 2)::integer
                  <= extract(day FROM make_date(substr(value, 1, 4)::integer, substr(value, 6, 2)::integer, 1)
                                      + interval '1 month - 1 day')
             ELSE false END
    WHEN 'uscc' THEN healthhub.is_valid_uscc(value)
    WHEN 'resident_id' THEN healthhub.is_valid_resident_id(value)
    ELSE false END;

-- Why a (trimmed, non-empty) text is not a value of the type; a resident ID
-- number's reason never repeats the number.
CREATE FUNCTION healthhub.load_value_problem(value text, type text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
RETURN CASE type
    WHEN 'resident_id' THEN healthhub.resident_id_problem(value)
    WHEN 'region_code' THEN coalesce(healthhub.load_problem(value, type), 'is not in healthhub.regions')
    ELSE healthhub.load_problem(value, type) END;

-- A load's key, as healthhub.loads keeps it: clear errors (22023) for a
-- bad source (a batch name for person records), digest, kind or mode.
-- Anyone may check a key with it (docs/linkage.md).
CREATE FUNCTION healthhub.require_load_key(source text, file_digest text, kind text DEFAULT 'person_records',
                                           mode text DEFAULT 'delta') RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    noun text := CASE kind WHEN 'person_records' THEN 'batch name' ELSE 'load source' END;
BEGIN
    IF kind IS NULL OR kind NOT IN ('registry', 'person_records', 'encounters', 'results', 'drugs') THEN
        RAISE EXCEPTION 'invalid load kind: %', coalesce(quote_literal(kind), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The kinds are registry, person_records, encounters, results and drugs.';
    END IF;
    IF source IS NULL OR btrim(source) !~ '^[A-Za-z0-9_.:-]{1,64}$' THEN
        RAISE EXCEPTION 'invalid %: %', noun, coalesce(quote_literal(source), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('A %s is 1 to 64 letters, digits, "_", ".", ":" or "-".', noun);
    END IF;
    IF file_digest IS NULL OR lower(btrim(file_digest)) !~ '^([a-z0-9]+:)?[0-9a-f]{32,128}$' THEN
        RAISE EXCEPTION 'invalid file digest: %', coalesce(quote_literal(file_digest), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A file digest is 32 to 128 hex digits, optionally after an algorithm name and a colon.',
                  HINT = 'For example ''sha256:'' || the output of sha256sum of the file.';
    END IF;
    IF mode IS NULL OR mode NOT IN ('snapshot', 'delta') THEN
        RAISE EXCEPTION 'invalid load mode: %', coalesce(quote_literal(mode), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A load is a "snapshot" (rows of the source absent from the file are ended) or a "delta".';
    END IF;
END
$$;

-- Begin a load of one file: validate its key, and return the new load's id
-- (already_loaded false) or the id of the load that read this file before
-- (already_loaded true, with a NOTICE; the caller changes nothing).  Loads
-- with the same key wait for each other: the second sees the first's row
-- once it commits.
CREATE FUNCTION healthhub.begin_load(kind text, source text, file_digest text, mode text,
                                     OUT load_id bigint, OUT already_loaded boolean)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    src text := btrim(source);
    digest text := lower(btrim(file_digest));
    earlier_kind text;
BEGIN
    PERFORM healthhub.require_load_key(source, file_digest, kind, mode);
    INSERT INTO healthhub.loads AS l (kind, source, file_digest, mode, loaded_by)
    VALUES (kind, src, digest, mode, healthhub.acting_role())
    ON CONFLICT ON CONSTRAINT loads_source_file_digest_key DO NOTHING
    RETURNING l.load_id INTO load_id;
    already_loaded := load_id IS NULL;
    IF already_loaded THEN
        SELECT l.load_id, l.kind INTO load_id, earlier_kind FROM healthhub.loads l
         WHERE l.source = src AND l.file_digest = digest;
        IF earlier_kind <> kind THEN
            RAISE EXCEPTION 'file % of source % was loaded before as %, not %', digest, src, earlier_kind, kind
                USING ERRCODE = 'unique_violation',
                      DETAIL = format('Load %s read it.', load_id);
        END IF;
        RAISE NOTICE 'file % of source % was already loaded; nothing changed', digest, src;
    END IF;
END
$$;

-- The SQL of the value an error row keeps: the value itself, its first six
-- characters (an identity number), or nothing (a name).
CREATE FUNCTION healthhub.load_shown(col text, shown text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
RETURN CASE shown WHEN 'value' THEN format('s.%I', col)
                  WHEN 'masked' THEN format('left(s.%I, 6) || ''********''', col)
                  WHEN 'none' THEN 'NULL::text' END;

-- Rule: the columns must not be empty.
CREATE FUNCTION healthhub.load_require(load_id bigint, entity text, stage regclass, cols text[],
                                       shown text DEFAULT 'value') RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c text;
BEGIN
    FOREACH c IN ARRAY cols LOOP
        EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                        SELECT $1, $2, s.line_no, $3, %s, ''is required'' FROM %s s
                         WHERE coalesce(btrim(s.%I), '''') = ''''', healthhub.load_shown(c, shown), stage, c)
        USING load_id, entity, c;
    END LOOP;
END
$$;

-- Rule: the column is one of the allowed values (empty: allowed unless required).
CREATE FUNCTION healthhub.load_check_in(load_id bigint, entity text, stage regclass, col text, allowed text[],
                                        required boolean, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4 FROM %s s
                     WHERE CASE WHEN coalesce(btrim(s.%I), '''') = '''' THEN $5
                                ELSE btrim(s.%I) <> ALL ($6) END', col, stage, col, col)
    USING load_id, entity, col, reason, required, allowed;
END
$$;

-- Rule: the column matches a pattern; an empty value fails when the column is
-- required and passes when it is not.
CREATE FUNCTION healthhub.load_check_pattern(load_id bigint, entity text, stage regclass, col text, pattern text,
                                             reason text, required boolean DEFAULT true) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (an empty or missing value passes when the column is optional)
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4 FROM %s s
                     WHERE CASE WHEN $6 THEN coalesce(btrim(s.%I) ~ $5, false) IS NOT TRUE
                                ELSE nullif(btrim(s.%I), '''') !~ $5 END', col, stage, col, col)
    USING load_id, entity, col, reason, pattern, required;
END
$$;

-- A value (a licence number, an insurance code) that a stored row of
-- another source or source_ref holds: the unique constraint would otherwise
-- abort the load.
CREATE FUNCTION healthhub.load_check_held_elsewhere(load_id bigint, entity text, stage regclass, col text,
                                                    target regclass, target_col text, source text, reason text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4
                      FROM %s s JOIN %s t ON t.%I = btrim(s.%I)
                     WHERE (t.source, t.source_ref) IS DISTINCT FROM ($5, btrim(s.source_ref))',
                   col, stage, target, target_col, col)
    USING load_id, entity, col, reason, source;
END
$$;

-- Rule: the column converts to the type (timestamptz, uscc, region_code:
-- also in healthhub.regions, resident_id); empty is "is required" when required.
CREATE FUNCTION healthhub.load_check_type(load_id bigint, entity text, stage regclass, col text, type text,
                                          required boolean, shown text DEFAULT 'value') RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF type NOT IN ('timestamptz', 'uscc', 'region_code', 'resident_id') THEN
        RAISE EXCEPTION 'load_check_type does not know type "%"', type USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, %s, p.reason FROM %s s
                     CROSS JOIN LATERAL (SELECT nullif(btrim(s.%I), '''') AS v) t
                     CROSS JOIN LATERAL (SELECT CASE
                         WHEN t.v IS NULL THEN CASE WHEN $4 THEN ''is required'' END
                         WHEN %s THEN NULL
                         ELSE healthhub.load_value_problem(t.v, $5) END AS reason) p
                     WHERE p.reason IS NOT NULL',
                   healthhub.load_shown(col, shown), stage, col,
                   -- (region codes: one hashed look-up in the catalogue)
                   CASE WHEN type = 'region_code' THEN 't.v IN (SELECT g.code::text FROM healthhub.regions g)'
                        ELSE 'healthhub.load_value_ok(t.v, $5)' END)
    USING load_id, entity, col, required, type;
END
$$;

-- Rule: a key appears once in the file (every later line repeating a
-- non-empty key is reported).
CREATE FUNCTION healthhub.load_check_duplicates(load_id bigint, entity text, stage regclass, col text,
                                                shown text DEFAULT 'value') RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, d.line_no, $3, d.shown, ''repeats an earlier record''
                      FROM (SELECT s.line_no, %s AS shown,
                                   row_number() OVER (PARTITION BY btrim(s.%I) ORDER BY s.line_no) AS n
                              FROM %s s WHERE coalesce(btrim(s.%I), '''') <> '''') d
                     WHERE d.n > 1', healthhub.load_shown(col, shown), col, stage, col)
    USING load_id, entity, col;
END
$$;

-- Rule: the column names a row of target (target_col = the trimmed value;
-- of this source when source is given); only the rows where when_col is
-- when_value, if given.
CREATE FUNCTION healthhub.load_check_reference(load_id bigint, entity text, stage regclass, col text,
                                               target regclass, target_col text, source text, reason text,
                                               when_col text DEFAULT NULL, when_value text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $3, s.%I, $4 FROM %s s
                     WHERE %s NOT EXISTS (SELECT 1 FROM %s t WHERE t.%I = btrim(s.%I)
                                                              AND ($5::text IS NULL OR t.source = $5))',
                   col, stage,
                   CASE WHEN when_col IS NOT NULL THEN format('btrim(s.%I) = $6 AND', when_col) ELSE '' END,
                   target, target_col, col)
    USING load_id, entity, col, reason, source, when_value;
END
$$;

-- Rule: the period's end (when given) is after its start.  Only rows whose
-- two columns converted (no error recorded for them) are compared.
CREATE FUNCTION healthhub.load_check_period(load_id bigint, entity text, stage regclass, from_col text,
                                            to_col text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, $4, s.%I,
                           CASE WHEN btrim(s.%I)::timestamptz < btrim(s.%I)::timestamptz
                                THEN ''is before '' || $3 ELSE ''is not after '' || $3 END
                      FROM %s s
                     WHERE CASE WHEN coalesce(btrim(s.%I), '''') = '''' OR coalesce(btrim(s.%I), '''') = '''' THEN false
                                WHEN EXISTS (SELECT 1 FROM healthhub.load_errors e
                                              WHERE e.load_id = $1 AND e.entity = $2 AND e.line_no = s.line_no
                                                AND e.column_name IN ($3, $4)) THEN false
                                ELSE btrim(s.%I)::timestamptz <= btrim(s.%I)::timestamptz END',
                   to_col, to_col, from_col, stage, from_col, to_col, to_col, from_col)
    USING load_id, entity, from_col, to_col;
END
$$;

-- The staged lines of an entity the load found no problem with.
CREATE FUNCTION healthhub.load_rejected(load_id bigint, entity text) RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
RETURN (SELECT count(DISTINCT e.line_no) FROM healthhub.load_errors e
         WHERE e.load_id = load_rejected.load_id AND e.entity = load_rejected.entity);

-- An entity's line of the outcome: {entity: {order, staged, loaded, ended,
-- rejected}}; loaded counts the good rows (written, or already as staged).
CREATE FUNCTION healthhub.load_outcome(load_id bigint, entity text, "order" integer, stage regclass,
                                       ended integer) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    staged integer;
    rejected integer := healthhub.load_rejected(load_id, entity);
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', stage) INTO staged;
    RETURN jsonb_build_object(entity, jsonb_build_object('order', "order", 'staged', staged,
               'loaded', staged - rejected, 'ended', ended, 'rejected', rejected));
END
$$;

-- For a snapshot: end the open rows of the source whose key is absent from
-- the file (period_col's upper bound becomes at); returns how many.
CREATE FUNCTION healthhub.load_end_absent(stage regclass, stage_col text, target regclass, target_col text,
                                          period_col text, source text, "at" timestamptz) RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    EXECUTE format('UPDATE %s t SET %I = tstzrange(lower(t.%I), $2)
                     WHERE t.source = $1 AND t.%I IS NOT NULL AND upper_inf(t.%I) AND lower(t.%I) < $2
                       AND NOT EXISTS (SELECT 1 FROM %s s WHERE btrim(s.%I) = t.%I)',
                   target, period_col, period_col, target_col, period_col, period_col, stage, stage_col, target_col)
    USING source, "at";
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- End a load: rows written from here on are recorded one by one again; the
-- outcome goes into loads, and the load's one entry into the trail:
-- <kind>.load.<mode>, object id = the load id ('partial' if rows were
-- rejected).  Returns the entry's id (an area's own history of the load,
-- such as link_events, refers to it).
CREATE FUNCTION healthhub.end_load(load_id bigint, outcome jsonb, purpose text) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l healthhub.loads;
BEGIN
    PERFORM healthhub.end_load_writes();
    UPDATE healthhub.loads x SET outcome = end_load.outcome WHERE x.load_id = end_load.load_id RETURNING * INTO l;
    RETURN healthhub.audit_append(l.kind || '.load.' || l.mode, 'load', l.load_id::text, NULL, purpose,
        CASE WHEN EXISTS (SELECT 1 FROM healthhub.load_errors e WHERE e.load_id = l.load_id) THEN 'partial' ELSE 'ok' END);
END
$$;

REVOKE ALL ON FUNCTION healthhub.begin_load(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.end_load(bigint, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_require(bigint, text, regclass, text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_in(bigint, text, regclass, text, text[], boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_pattern(bigint, text, regclass, text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_held_elsewhere(bigint, text, regclass, text, regclass, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_type(bigint, text, regclass, text, text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_duplicates(bigint, text, regclass, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_reference(bigint, text, regclass, text, regclass, text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_period(bigint, text, regclass, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_end_absent(regclass, text, regclass, text, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_rejected(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_outcome(bigint, text, integer, regclass, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_problem(text, text) FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE'
  FROM unnest(ARRAY['healthhub.loads', 'healthhub.load_errors']) t
UNION ALL
SELECT 'hub_admin', 'function', 'healthhub.load_problem(text, text)', 'EXECUTE'
ON CONFLICT (profile, object_kind, object_name) DO NOTHING;
-- Registries: institutions, practitioners and their electronic licences,
-- registrations, privileges, the blacklist, and the one question every later
-- area asks: may practitioner P act as KIND (with privilege X) at
-- institution I at time T?  docs/registry.md describes the model.
--
-- Periods are ranges.  Overlaps that would be contradictions are refused by
-- GiST exclusion constraints; btree_gist is not a dependency, so an equality
-- on a bigint key is written as equality of the one-point range
-- int8range(key, key, '[]'), which the built-in GiST range_ops support.
--
-- The answer to "may P practise" is derived ahead of time: practice_rights
-- holds, per (practitioner, act, institution, privilege), the multirange of
-- times at which it is allowed.  Triggers on every source table recompute the
-- rows of the practitioners a change touches, so may_practise is one probe.

-- Institutions ---------------------------------------------------------------

CREATE TABLE healthhub.institutions (
    institution_key     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id              bigint NOT NULL DEFAULT healthhub.hub_id(),
    uscc                healthhub.uscc,
    practice_licence_no text UNIQUE
        CHECK (practice_licence_no ~ '^[0-9A-Za-z-]{6,40}$'),
    insurance_code      text UNIQUE
        CHECK (insurance_code ~ '^[0-9A-Za-z]{4,40}$'),
    name                text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    kind                text NOT NULL CHECK (kind IN ('hospital', 'primary_care', 'village_clinic',
                            'internet_hospital', 'retail_pharmacy', 'lab', 'cdc', 'insurer')),
    level               text CHECK (level IN ('1', '2', '3')),
    grade               text CHECK (grade IN ('甲', '乙', '丙', '特')),
    region              healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    valid               tstzrange NOT NULL DEFAULT tstzrange(pg_catalog.now(), NULL),
    source              text,
    source_ref          text,
    CONSTRAINT institutions_grade_needs_level CHECK (grade IS NULL OR level IS NOT NULL),
    CONSTRAINT institutions_special_grade_is_level_3 CHECK (grade IS DISTINCT FROM '特' OR level = '3'),
    CONSTRAINT institutions_valid_has_start CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    CONSTRAINT institutions_source_ref UNIQUE (source, source_ref),
    CONSTRAINT institutions_source_pair CHECK ((source IS NULL) = (source_ref IS NULL))
);
CREATE INDEX institutions_uscc_idx ON healthhub.institutions (uscc);
-- (records name their institution by source_ref alone: healthhub.institution_for_source())
CREATE INDEX institutions_source_ref_idx ON healthhub.institutions (source_ref);
COMMENT ON TABLE healthhub.institutions IS
    'Medical and related institutions, keyed by a hub-minted key (a USCC is shared by campuses and missing for village clinics)';
COMMENT ON COLUMN healthhub.institutions.level IS 'hospital level 1-3 (一级, 二级, 三级); NULL when not rated';
COMMENT ON COLUMN healthhub.institutions.grade IS '甲, 乙, 丙, or 特 (三级特等); needs a level';
COMMENT ON COLUMN healthhub.institutions.valid IS 'when the institution operates; a snapshot load ends it when absent';
COMMENT ON COLUMN healthhub.institutions.hub_id IS 'the hub the institution belongs to (plain column for publication row filters)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.institutions', '');
CREATE UNIQUE INDEX institutions_replica_identity ON healthhub.institutions (institution_key, hub_id);
ALTER TABLE healthhub.institutions REPLICA IDENTITY USING INDEX institutions_replica_identity;

CREATE TABLE healthhub.insurance_designations (
    designation_key bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    period          daterange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    agreement_no    text,
    CONSTRAINT insurance_designations_no_overlap EXCLUDE USING gist
        (int8range(institution_key, institution_key, '[]') WITH =, period WITH &&)
);
COMMENT ON TABLE healthhub.insurance_designations IS
    'Periods during which an institution is designated for medical insurance (no overlaps per institution)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.insurance_designations', '');

CREATE TABLE healthhub.consortia (
    consortium_key  bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    name            text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    kind            text NOT NULL CHECK (kind IN ('urban_medical_group', 'county_community',
                        'specialty_alliance', 'telemedicine_network'))
);
COMMENT ON TABLE healthhub.consortia IS 'Medical consortia (医联体): groups, county communities, alliances, networks';
SELECT pg_catalog.pg_extension_config_dump('healthhub.consortia', '');
CREATE UNIQUE INDEX consortia_replica_identity ON healthhub.consortia (consortium_key, hub_id);
ALTER TABLE healthhub.consortia REPLICA IDENTITY USING INDEX consortia_replica_identity;

CREATE TABLE healthhub.consortium_members (
    consortium_key  bigint NOT NULL REFERENCES healthhub.consortia,
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    role            text NOT NULL DEFAULT 'member' CHECK (role IN ('lead', 'member')),
    period          daterange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    CONSTRAINT consortium_members_no_overlap EXCLUDE USING gist
        (int8range(consortium_key, consortium_key, '[]') WITH =,
         int8range(institution_key, institution_key, '[]') WITH =, period WITH &&),
    CONSTRAINT consortium_members_one_lead EXCLUDE USING gist
        (int8range(consortium_key, consortium_key, '[]') WITH =, period WITH &&) WHERE (role = 'lead')
);
-- (the exclusion constraint makes (consortium, institution, period) unique;
-- the key is the table's replica identity)
ALTER TABLE healthhub.consortium_members
    ADD CONSTRAINT consortium_members_pkey PRIMARY KEY (consortium_key, institution_key, period);
CREATE INDEX consortium_members_institution_idx ON healthhub.consortium_members (institution_key);
COMMENT ON TABLE healthhub.consortium_members IS 'Which institution belongs to which consortium, when; one lead at a time';
SELECT pg_catalog.pg_extension_config_dump('healthhub.consortium_members', '');

-- Practitioners and licences -------------------------------------------------

CREATE TABLE healthhub.practitioners (
    practitioner_key bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    resident_id     healthhub.resident_id UNIQUE,
    name            text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 100),
    rights_version  bigint NOT NULL DEFAULT 0,
    source          text,
    source_ref      text,
    CONSTRAINT practitioners_source_ref UNIQUE (source, source_ref),
    CONSTRAINT practitioners_source_pair CHECK ((source IS NULL) = (source_ref IS NULL))
);
COMMENT ON TABLE healthhub.practitioners IS 'Physicians, pharmacists and nurses; resident_id and name are personal data';
COMMENT ON COLUMN healthhub.practitioners.rights_version IS
    'bumped whenever the practitioner''s practice rights are recomputed (serialises recomputations)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.practitioners', '');
CREATE UNIQUE INDEX practitioners_replica_identity ON healthhub.practitioners (practitioner_key, hub_id);
ALTER TABLE healthhub.practitioners REPLICA IDENTITY USING INDEX practitioners_replica_identity;

CREATE TABLE healthhub.licences (
    licence_key     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    licence_no      text NOT NULL UNIQUE CHECK (licence_no ~ '^[0-9A-Za-z-]{4,40}$'),
    practitioner_key bigint NOT NULL REFERENCES healthhub.practitioners,
    kind            text NOT NULL CHECK (kind IN ('physician', 'pharmacist', 'nurse')),
    scope           text,
    validity        tstzrange NOT NULL CHECK (NOT isempty(validity) AND NOT lower_inf(validity)),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'revoked')),
    status_effective timestamptz,
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    source          text
);
CREATE INDEX licences_practitioner_idx ON healthhub.licences (practitioner_key, kind);
COMMENT ON TABLE healthhub.licences IS 'Electronic practice licences (physician, pharmacist, nurse)';
COMMENT ON COLUMN healthhub.licences.status IS
    'the last status in licence_status_history, in force from status_effective; change it with healthhub.change_licence_status()';
SELECT pg_catalog.pg_extension_config_dump('healthhub.licences', '');
CREATE UNIQUE INDEX licences_replica_identity ON healthhub.licences (licence_key, hub_id);
ALTER TABLE healthhub.licences REPLICA IDENTITY USING INDEX licences_replica_identity;

CREATE TABLE healthhub.licence_status_history (
    entry_key       bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    licence_key     bigint NOT NULL REFERENCES healthhub.licences,
    status          text NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
    effective       timestamptz NOT NULL,
    reason          text NOT NULL CHECK (btrim(reason) <> ''),
    recorded_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    recorded_by     name NOT NULL DEFAULT CURRENT_USER
);
CREATE INDEX licence_status_history_licence_idx ON healthhub.licence_status_history (licence_key, effective);
COMMENT ON TABLE healthhub.licence_status_history IS
    'Append-only history of licence statuses; the status at T is the last entry effective at or before T';
SELECT pg_catalog.pg_extension_config_dump('healthhub.licence_status_history', '');

CREATE TABLE healthhub.registrations (
    registration_key bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    licence_key     bigint NOT NULL REFERENCES healthhub.licences,
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    role            text NOT NULL DEFAULT 'primary' CHECK (role IN ('primary', 'additional')),
    period          tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    source          text,
    source_ref      text,
    CONSTRAINT registrations_no_overlap EXCLUDE USING gist
        (int8range(licence_key, licence_key, '[]') WITH =,
         int8range(institution_key, institution_key, '[]') WITH =, period WITH &&),
    CONSTRAINT registrations_one_primary EXCLUDE USING gist
        (int8range(licence_key, licence_key, '[]') WITH =, period WITH &&) WHERE (role = 'primary'),
    CONSTRAINT registrations_source_ref UNIQUE (source, source_ref),
    CONSTRAINT registrations_source_pair CHECK ((source IS NULL) = (source_ref IS NULL))
);
CREATE INDEX registrations_institution_idx ON healthhub.registrations (institution_key);
COMMENT ON TABLE healthhub.registrations IS
    'Where a licence is registered for practice (one primary site at a time; multi-site practice adds ''additional'' sites)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.registrations', '');

CREATE FUNCTION healthhub.privilege_rank(privilege text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE privilege WHEN 'narcotic' THEN 1 WHEN 'psychotropic_1' THEN 2
                          WHEN 'antimicrobial_restricted' THEN 3 WHEN 'antimicrobial_special' THEN 4 END;

CREATE TABLE healthhub.practice_privileges (
    grant_key       bigint PRIMARY KEY,     -- minted by the trigger practice_privileges_key
    practitioner_key bigint NOT NULL REFERENCES healthhub.practitioners,
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    privilege       text NOT NULL CHECK (privilege IN ('narcotic', 'psychotropic_1',
                        'antimicrobial_restricted', 'antimicrobial_special')),
    period          tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    granted_by      name NOT NULL DEFAULT CURRENT_USER,
    CONSTRAINT practice_privileges_no_overlap EXCLUDE USING gist
        (int8range(practitioner_key, practitioner_key, '[]') WITH =,
         int8range(institution_key, institution_key, '[]') WITH =,
         int4range(healthhub.privilege_rank(privilege), healthhub.privilege_rank(privilege), '[]') WITH =,
         period WITH &&)
);
CREATE INDEX practice_privileges_institution_idx ON healthhub.practice_privileges (institution_key);

-- Keys of rows an institution's application inserts: the application may not
-- mint keys itself (it could burn the key space, or claim keys the sequence
-- has yet to reach), so a trigger that runs as its owner mints the key of
-- every new row and keeps it on update.  A restore keeps the dumped key.
CREATE FUNCTION healthhub.mint_row_key() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    key_column text := TG_ARGV[0];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object(key_column, to_jsonb(OLD)->key_column));
    ELSIF NOT (healthhub.is_restoring() AND to_jsonb(NEW)->>key_column IS NOT NULL) THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object(key_column, healthhub.mint_key()));
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION healthhub.mint_row_key() FROM PUBLIC;
CREATE TRIGGER practice_privileges_key BEFORE INSERT OR UPDATE OF grant_key ON healthhub.practice_privileges
    FOR EACH ROW EXECUTE FUNCTION healthhub.mint_row_key('grant_key');
COMMENT ON TABLE healthhub.practice_privileges IS
    'Prescribing privileges an institution grants (narcotic, class I psychotropic, restricted and special antimicrobials)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.practice_privileges', '');

-- Blacklist ------------------------------------------------------------------

CREATE TABLE healthhub.blacklist (
    entry_key       bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    subject_kind    text NOT NULL CHECK (subject_kind IN ('institution', 'practitioner')),
    institution_key bigint REFERENCES healthhub.institutions,
    practitioner_key bigint REFERENCES healthhub.practitioners,
    reason          text NOT NULL CHECK (btrim(reason) <> ''),
    source          text NOT NULL CHECK (btrim(source) <> ''),
    period          tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    source_ref      text,
    recorded_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    recorded_by     name NOT NULL DEFAULT CURRENT_USER,
    CONSTRAINT blacklist_one_subject CHECK (
        (subject_kind = 'institution' AND institution_key IS NOT NULL AND practitioner_key IS NULL) OR
        (subject_kind = 'practitioner' AND practitioner_key IS NOT NULL AND institution_key IS NULL)),
    CONSTRAINT blacklist_source_ref UNIQUE (source, source_ref)
);
CREATE INDEX blacklist_practitioner_idx ON healthhub.blacklist (practitioner_key) WHERE practitioner_key IS NOT NULL;
CREATE INDEX blacklist_institution_idx ON healthhub.blacklist (institution_key) WHERE institution_key IS NOT NULL;
COMMENT ON TABLE healthhub.blacklist IS
    'Blacklisted institutions and practitioners: one violation, restricted everywhere (every institution, every act)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.blacklist', '');
CREATE UNIQUE INDEX blacklist_replica_identity ON healthhub.blacklist (entry_key, hub_id);
ALTER TABLE healthhub.blacklist REPLICA IDENTITY USING INDEX blacklist_replica_identity;

-- Derived practice rights ----------------------------------------------------

CREATE TABLE healthhub.practice_rights (
    practitioner_key bigint NOT NULL,
    institution_key bigint NOT NULL,
    act             text NOT NULL,
    privilege       text NOT NULL,
    valid           tstzmultirange NOT NULL,
    PRIMARY KEY (practitioner_key, institution_key, act, privilege)
);
COMMENT ON TABLE healthhub.practice_rights IS
    'Derived by triggers: when practitioner P may act as ACT (with PRIVILEGE, '''' for none) at an institution';
-- Not dumped: the triggers below rebuild it as pg_restore reloads the rows.

-- The periods a licence is active, from its history (a licence starts active).
CREATE FUNCTION healthhub.licence_active_periods(licence bigint) RETURNS tstzmultirange
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT COALESCE(pg_catalog.range_agg(pg_catalog.tstzrange(h.effective, h.next_effective)),
                    '{}'::pg_catalog.tstzmultirange)
      FROM (SELECT s.status, s.effective,
                   pg_catalog.lead(s.effective) OVER (ORDER BY s.effective, s.entry_key) AS next_effective
              FROM (SELECT 'active' AS status, '-infinity'::timestamptz AS effective, 0::bigint AS entry_key
                    UNION ALL
                    SELECT x.status, x.effective, x.entry_key FROM healthhub.licence_status_history x
                     WHERE x.licence_key = licence_active_periods.licence) s) h
     WHERE h.status = 'active' AND (h.next_effective IS NULL OR h.next_effective > h.effective);
END;

-- The practice-rights rule, written once.  A licence lets its holder act
-- as its kind at an institution at time T when T lies in the licence's
-- validity, in its active periods, in a registration of it there and in
-- the institution's operating period, and in no blacklist period of the
-- practitioner or of the institution; a privilege further needs a grant
-- (antimicrobial_special includes antimicrobial_restricted).
-- practice_right_terms gives these periods for each licence and each
-- institution it is registered at (one row with no institution for a
-- licence registered nowhere), practice_privilege_terms the grants.
-- recompute_practice_rights() stores their combination; why_not_practise()
-- names the term that leaves a time out.
CREATE FUNCTION healthhub.practice_right_terms(practitioner bigint)
    RETURNS TABLE (licence_key bigint, act text, licence_no text, validity tstzrange, active tstzmultirange,
                   institution_key bigint, registered tstzmultirange, operating tstzrange, barred tstzmultirange)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT l.licence_key, l.kind, l.licence_no, l.validity, healthhub.licence_active_periods(l.licence_key),
           r.institution_key, r.registered, i.valid,
           coalesce((SELECT range_agg(x.period) FROM healthhub.blacklist x
                      WHERE x.practitioner_key = practice_right_terms.practitioner
                         OR x.institution_key = r.institution_key), '{}'::tstzmultirange)
      FROM healthhub.licences l
      LEFT JOIN LATERAL (SELECT g.institution_key, range_agg(g.period) AS registered
                           FROM healthhub.registrations g WHERE g.licence_key = l.licence_key
                          GROUP BY g.institution_key) r ON true
      LEFT JOIN healthhub.institutions i ON i.institution_key = r.institution_key
     WHERE l.practitioner_key = practice_right_terms.practitioner;
END;
COMMENT ON FUNCTION healthhub.practice_right_terms(bigint) IS
    'The periods the practice-rights rule combines, for each licence of a practitioner and each institution it is registered at';

CREATE FUNCTION healthhub.practice_privilege_terms(practitioner bigint)
    RETURNS TABLE (institution_key bigint, privilege text, granted tstzmultirange)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT g.institution_key, v.privilege, range_agg(g.period)
      FROM healthhub.practice_privileges g
     CROSS JOIN LATERAL (VALUES (g.privilege), (CASE WHEN g.privilege = 'antimicrobial_special'
                                                THEN 'antimicrobial_restricted' END)) v(privilege)
     WHERE g.practitioner_key = practice_privilege_terms.practitioner AND v.privilege IS NOT NULL
     GROUP BY g.institution_key, v.privilege;
END;
COMMENT ON FUNCTION healthhub.practice_privilege_terms(bigint) IS
    'The periods each privilege of a practitioner is granted at each institution (the special antimicrobial grant includes the restricted tier)';

-- Recompute the practice rights of one practitioner.  The UPDATE of the
-- practitioner row serialises recomputations of the same practitioner;
-- note_rights_change() makes this transaction's commit exclude the commits
-- of actions that claimed the old rights (assert_may_practise).
CREATE FUNCTION healthhub.note_rights_change(practitioner bigint) RETURNS void
    AS 'MODULE_PATHNAME', 'hh_note_rights_change' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
CREATE FUNCTION healthhub.recompute_practice_rights(practitioner bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.recompute_practice_rights', ARRAY['practitioner'],
                                        ARRAY[practitioner IS NULL]);
    UPDATE healthhub.practitioners p SET rights_version = p.rights_version + 1
     WHERE p.practitioner_key = practitioner;
    PERFORM healthhub.note_rights_change(practitioner);
    DELETE FROM healthhub.practice_rights r WHERE r.practitioner_key = practitioner;
    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM healthhub.practitioners p WHERE p.practitioner_key = practitioner) THEN
        RETURN 0;
    END IF;
    INSERT INTO healthhub.practice_rights (practitioner_key, institution_key, act, privilege, valid)
    WITH rights AS (
        SELECT t.institution_key, t.act,
               pg_catalog.range_agg(pg_catalog.tstzmultirange(t.validity) OPERATOR(pg_catalog.*) t.active
                                    OPERATOR(pg_catalog.*) t.registered
                                    OPERATOR(pg_catalog.*) pg_catalog.tstzmultirange(t.operating)
                                    OPERATOR(pg_catalog.-) t.barred) AS m
          FROM healthhub.practice_right_terms(practitioner) t
         WHERE t.institution_key IS NOT NULL
         GROUP BY t.institution_key, t.act
    )
    SELECT practitioner, r.institution_key, r.act, '', r.m
      FROM rights r WHERE NOT pg_catalog.isempty(r.m)
    UNION ALL
    SELECT practitioner, r.institution_key, r.act, p.privilege, r.m OPERATOR(pg_catalog.*) p.granted
      FROM rights r JOIN healthhub.practice_privilege_terms(practitioner) p ON p.institution_key = r.institution_key
     WHERE NOT pg_catalog.isempty(r.m OPERATOR(pg_catalog.*) p.granted);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.recompute_practice_rights(bigint) IS
    'Rebuild the derived practice rights of one practitioner (triggers call it)';

CREATE FUNCTION healthhub.recompute_practice_rights() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p bigint;
    n bigint := 0;
BEGIN
    DELETE FROM healthhub.practice_rights r
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.practitioners x WHERE x.practitioner_key = r.practitioner_key);
    FOR p IN SELECT x.practitioner_key FROM healthhub.practitioners x ORDER BY 1 LOOP
        n := n + healthhub.recompute_practice_rights(p);
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.recompute_practice_rights() IS
    'Rebuild every practitioner''s derived practice rights (after pg_restore); returns the number of rows';


-- Triggers --------------------------------------------------------------------

-- One trigger function for every source table: find the practitioners a row
-- touches and recompute them, in key order so concurrent writers lock alike.
CREATE FUNCTION healthhub.practice_rights_trigger() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    images jsonb[] := '{}';
    j jsonb;
    keys bigint[] := '{}';
    p bigint;
BEGIN
    IF TG_OP <> 'INSERT' THEN images := images || to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN images := images || to_jsonb(NEW); END IF;
    FOREACH j IN ARRAY images LOOP
        IF TG_TABLE_NAME IN ('licences', 'practice_privileges')
           OR (TG_TABLE_NAME = 'blacklist' AND j->>'practitioner_key' IS NOT NULL) THEN
            keys := keys || (j->>'practitioner_key')::bigint;
        ELSIF TG_TABLE_NAME IN ('licence_status_history', 'registrations') THEN
            keys := keys || ARRAY(SELECT l.practitioner_key FROM healthhub.licences l
                                   WHERE l.licence_key = (j->>'licence_key')::bigint);
        ELSE    -- an institution, or an institution's blacklist entry
            keys := keys || ARRAY(SELECT l.practitioner_key
                                    FROM healthhub.registrations r
                                    JOIN healthhub.licences l ON l.licence_key = r.licence_key
                                   WHERE r.institution_key = (j->>'institution_key')::bigint);
        END IF;
    END LOOP;
    FOR p IN SELECT DISTINCT k FROM unnest(keys) k WHERE k IS NOT NULL ORDER BY 1 LOOP
        PERFORM healthhub.recompute_practice_rights(p);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER zz_practice_rights AFTER INSERT OR DELETE OR UPDATE OF practitioner_key, kind, validity
    ON healthhub.licences FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
CREATE TRIGGER zz_practice_rights AFTER INSERT OR DELETE OR UPDATE
    ON healthhub.licence_status_history FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
CREATE TRIGGER zz_practice_rights AFTER INSERT OR DELETE OR UPDATE
    ON healthhub.registrations FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
CREATE TRIGGER zz_practice_rights AFTER INSERT OR DELETE OR UPDATE
    ON healthhub.practice_privileges FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
CREATE TRIGGER zz_practice_rights AFTER INSERT OR DELETE OR UPDATE
    ON healthhub.blacklist FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
CREATE TRIGGER zz_practice_rights AFTER UPDATE OF valid
    ON healthhub.institutions FOR EACH ROW EXECUTE FUNCTION healthhub.practice_rights_trigger();
-- A hub that subscribes to another's registry derives the rights of the
-- rows it receives as the publisher did: these triggers fire in the apply
-- worker too (ALWAYS; an ordinary trigger does not fire for replicated
-- rows).  The others stay ordinary, so they do not fire there: the stamps
-- (registry_stamp, history_before_insert), keys (mint_row_key), guards
-- (licences_guard, history_append_only) and audit entries (audit_changes,
-- history_after_insert) were made and checked on the publisher, and the
-- rows arrive with them; the publisher's trail records the change, not the
-- subscriber's (docs/scale-out.md).
ALTER TABLE healthhub.licences ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.licence_status_history ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.registrations ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.practice_privileges ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.blacklist ENABLE ALWAYS TRIGGER zz_practice_rights;
ALTER TABLE healthhub.institutions ENABLE ALWAYS TRIGGER zz_practice_rights;

-- Is a restore running in this session (healthhub.restoring, which only a
-- superuser may set: src/healthhub.c)?  Then rows pg_restore reloads keep
-- their stamps and are not audited again.  Not "is the caller a superuser":
-- a superuser's own inserts are stamped and audited like anyone's.
CREATE FUNCTION healthhub.is_restoring() RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_is_restoring' LANGUAGE C STABLE PARALLEL SAFE;

-- A licence's status is changed through its history only.
CREATE FUNCTION healthhub.licences_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    last_status text;
    last_effective timestamptz;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'active' AND NOT healthhub.is_restoring() THEN
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
CREATE TRIGGER licences_guard BEFORE INSERT OR UPDATE ON healthhub.licences
    FOR EACH ROW EXECUTE FUNCTION healthhub.licences_guard();

-- The status history is append-only, and "revoked" is final.
CREATE FUNCTION healthhub.history_append_only() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('%s of rows of healthhub.%s is not allowed.', TG_OP, TG_TABLE_NAME),
              HINT = 'Append a new status with healthhub.change_licence_status().';
END
$$;
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON healthhub.licence_status_history
    FOR EACH ROW EXECUTE FUNCTION healthhub.history_append_only();
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON healthhub.licence_status_history
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.history_append_only();

CREATE FUNCTION healthhub.history_before_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    revoked_at timestamptz;
    lic text;
BEGIN
    IF NOT healthhub.is_restoring() THEN
        NEW.recorded_at := now();
        NEW.recorded_by := healthhub.acting_role();
    END IF;
    -- one change of a licence's status at a time, whoever appends: a
    -- concurrent revocation is committed (and seen below) before this goes on
    PERFORM FROM healthhub.licences l WHERE l.licence_key = NEW.licence_key FOR UPDATE;
    SELECT min(h.effective) INTO revoked_at FROM healthhub.licence_status_history h
     WHERE h.licence_key = NEW.licence_key AND h.status = 'revoked';
    IF revoked_at <= NEW.effective THEN
        SELECT l.licence_no INTO lic FROM healthhub.licences l WHERE l.licence_key = NEW.licence_key;
        RAISE EXCEPTION 'licence % is revoked', lic
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('It was revoked with effect from %s; a revocation is final.', revoked_at),
                  HINT = 'A revoked practitioner needs a new licence.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER history_before_insert BEFORE INSERT ON healthhub.licence_status_history
    FOR EACH ROW EXECUTE FUNCTION healthhub.history_before_insert();

-- Keep licences.status on the last status (this UPDATE is what a concurrent
-- assert_may_practise conflicts with) and record the change in the trail.
CREATE FUNCTION healthhub.history_after_insert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lic healthhub.licences%ROWTYPE;
    last_entry record;
BEGIN
    SELECT h.status, h.effective INTO last_entry FROM healthhub.licence_status_history h
     WHERE h.licence_key = NEW.licence_key ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
    UPDATE healthhub.licences l SET status = last_entry.status, status_effective = last_entry.effective
     WHERE l.licence_key = NEW.licence_key
    RETURNING * INTO lic;
    IF NEW.recorded_at = now() THEN     -- not a row reloaded by pg_restore
        PERFORM healthhub.audit_append('licence.' || NEW.status, 'licence', lic.licence_no,
                                       NULL, 'registry maintenance', 'ok', lic.practitioner_key);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER history_after_insert AFTER INSERT ON healthhub.licence_status_history
    FOR EACH ROW EXECUTE FUNCTION healthhub.history_after_insert();

ALTER TABLE healthhub.practice_privileges
    ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT pg_catalog.now();
-- Who recorded a blacklist entry or granted a privilege, and when, is the
-- database's word, not the writer's: stamped on insert (except for rows
-- pg_restore reloads) and never changed.
CREATE FUNCTION healthhub.registry_stamp() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    by_column text := CASE TG_TABLE_NAME WHEN 'blacklist' THEN 'recorded_by' ELSE 'granted_by' END;
    j jsonb := to_jsonb(NEW);
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object('recorded_at', to_jsonb(OLD)->'recorded_at',
                                                             by_column, to_jsonb(OLD)->by_column));
    ELSIF NOT (healthhub.is_restoring() AND (j->>'recorded_at')::timestamptz IS DISTINCT FROM now()) THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object('recorded_at', now(), by_column, healthhub.acting_role()));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER registry_stamp BEFORE INSERT OR UPDATE ON healthhub.blacklist
    FOR EACH ROW EXECUTE FUNCTION healthhub.registry_stamp();
CREATE TRIGGER registry_stamp BEFORE INSERT OR UPDATE ON healthhub.practice_privileges
    FOR EACH ROW EXECUTE FUNCTION healthhub.registry_stamp();

-- Every change to the registry is recorded (src/platform/audit_changes.sql);
-- a licence's status changes are recorded as licence.<status> by the history.
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.institutions
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('institution', 'institution_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.insurance_designations
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('insurance_designation', 'designation_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.consortia
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('consortium', 'consortium_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.consortium_members
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('consortium_member', 'consortium_key,institution_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.practitioners
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('practitioner', 'practitioner_key', 'registry maintenance', 'rights_version');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.licences
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('licence', 'licence_no', 'registry maintenance', 'status,status_effective');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.registrations
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('registration', 'registration_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.practice_privileges
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('privilege', 'grant_key', 'registry maintenance');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.blacklist
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('blacklist', 'entry_key', 'registry maintenance');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.licence_status_history', 'own trigger', 'licence.<status> (history_after_insert)'),
    ('healthhub.practice_rights', 'derived', 'recomputed from licences, registrations, privileges and the blacklist');

-- The question -------------------------------------------------------------------

-- May practitioner P act as ACT (physician, pharmacist, nurse), with
-- PRIVILEGE if given, at institution I at time AT?  One index probe.
CREATE FUNCTION healthhub.may_practise(practitioner bigint, act text, institution bigint,
                                       "at" timestamptz DEFAULT pg_catalog.now(), privilege text DEFAULT NULL)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_may_practise' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.may_practise(bigint, text, bigint, timestamptz, text) IS
    'May the practitioner act as physician/pharmacist/nurse (with the privilege) at the institution at that time?';

-- Why not?  NULL when allowed; otherwise every reason found, for humans.
-- A role that acts for an institution asks about that institution only: the
-- answers name institutions, licences and reasons that row level security
-- would otherwise hide from it.
CREATE FUNCTION healthhub.check_own_institution(institution bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller name := healthhub.acting_role();
    own bigint := healthhub.acting_role_institution();
BEGIN
    PERFORM healthhub.require_arguments('healthhub.check_own_institution', ARRAY['institution'],
                                        ARRAY[institution IS NULL]);
    -- (fails closed: a role in two institutions' groups acts for neither,
    -- and may ask about none; roles of no institution, an insurer, any)
    IF own IS DISTINCT FROM institution
       AND EXISTS (SELECT 1 FROM healthhub.effective_profiles(caller) ep WHERE ep.institution_key IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM healthhub.effective_profiles(caller) ep WHERE ep.profile = 'hub_admin') THEN
        RAISE EXCEPTION 'role % acts for another institution', caller
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = CASE WHEN own IS NULL
                                THEN 'It holds profiles of several institutions, so it acts for none.'
                                ELSE 'A role that acts for an institution may ask about that institution only.' END;
    END IF;
END
$$;

CREATE FUNCTION healthhub.why_not_practise(practitioner bigint, act text, institution bigint,
                                           "at" timestamptz DEFAULT pg_catalog.now(), privilege text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    inst healthhub.institutions%ROWTYPE;
    l record;
    here record;
    st record;
    b record;
    reasons text[] := '{}';
    some_licence_ok boolean := false;
    -- Licence numbers and the reasons of suspensions are the licensing
    -- authority's, not every institution's: hub_admin reads them, others
    -- read what stands in the way.
    detailed boolean := healthhub.acting_role_is_admin();
BEGIN
    PERFORM healthhub.require_arguments('healthhub.why_not_practise',
                                        ARRAY['practitioner', 'act', 'institution', 'at'],
                                        ARRAY[practitioner IS NULL, act IS NULL, institution IS NULL, "at" IS NULL]);
    PERFORM healthhub.check_own_institution(institution);
    -- the detailed answer holds the reasons of suspensions: a read
    IF detailed THEN
        PERFORM healthhub.audit_append('read', 'practice_reasons', practitioner::text, NULL,
                                       'registry maintenance', 'ok', practitioner);
    END IF;
    IF healthhub.may_practise(practitioner, act, institution, "at", privilege) THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM healthhub.practitioners p WHERE p.practitioner_key = practitioner) THEN
        RETURN 'unknown practitioner';
    END IF;
    SELECT * INTO inst FROM healthhub.institutions i WHERE i.institution_key = institution;
    IF NOT FOUND THEN
        RETURN 'unknown institution';
    END IF;

    -- the terms of the rule (practice_right_terms), licence by licence
    FOR l IN SELECT DISTINCT ON (x.lower_validity, x.licence_key) x.*
               FROM (SELECT t.*, lower(t.validity) AS lower_validity,
                            coalesce(bool_or(t.institution_key = institution AND t.registered @> "at")
                                         OVER (PARTITION BY t.licence_key), false) AS registered_here
                       FROM healthhub.practice_right_terms(practitioner) t
                      WHERE t.act = why_not_practise.act) x
              ORDER BY x.lower_validity DESC, x.licence_key LOOP
        IF NOT l.validity @> "at" THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not valid at %s (valid %s)', act, l.licence_no, "at", l.validity)
                ELSE format('%s licence is not valid at %s', act, "at") END;
        ELSIF NOT l.active @> "at" THEN
            -- (in words: the status in force at that time)
            SELECT h.status, h.effective, h.reason INTO st FROM healthhub.licence_status_history h
             WHERE h.licence_key = l.licence_key AND h.effective <= "at"
             ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is %s since %s: %s', act, l.licence_no, st.status, st.effective, st.reason)
                ELSE format('%s licence is %s since %s', act, st.status, st.effective) END;
        ELSIF NOT l.registered_here THEN
            reasons := reasons || CASE WHEN detailed
                THEN format('%s licence %s is not registered at %s at %s', act, l.licence_no, inst.name, "at")
                ELSE format('%s licence is not registered at %s at %s', act, inst.name, "at") END;
        ELSE
            some_licence_ok := true;
        END IF;
    END LOOP;
    IF NOT FOUND THEN
        RETURN format('no %s licence', act);
    END IF;
    IF NOT some_licence_ok THEN
        RETURN array_to_string(reasons, '; ');
    END IF;

    SELECT t.operating, t.barred INTO here FROM healthhub.practice_right_terms(practitioner) t
     WHERE t.act = why_not_practise.act AND t.institution_key = institution LIMIT 1;
    IF NOT here.operating @> "at" THEN
        reasons := reasons || format('%s is not operating at %s', inst.name, "at");
    END IF;
    IF here.barred @> "at" THEN
        -- (in words: the entries in force at that time)
        FOR b IN SELECT x.subject_kind, x.reason, x.source, x.period FROM healthhub.blacklist x
                  WHERE (x.practitioner_key = practitioner OR x.institution_key = institution)
                    AND x.period @> "at"
                  ORDER BY x.subject_kind DESC, lower(x.period), x.entry_key LOOP
            reasons := reasons || format('%s blacklisted %s (%s: %s)',
                                         CASE b.subject_kind WHEN 'practitioner' THEN 'practitioner' ELSE 'institution ' || inst.name END,
                                         CASE WHEN upper_inf(b.period) THEN 'since ' || lower(b.period)
                                              ELSE 'during ' || b.period::text END,
                                         b.source, b.reason);
        END LOOP;
    END IF;
    IF cardinality(reasons) = 0 AND privilege IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM healthhub.practice_privilege_terms(practitioner) g
                        WHERE g.institution_key = institution AND g.privilege = why_not_practise.privilege
                          AND g.granted @> "at") THEN
        reasons := reasons || format('privilege %s is not granted at %s at %s', privilege, inst.name, "at");
    END IF;
    IF cardinality(reasons) = 0 THEN
        RETURN 'the derived practice rights are out of date; run healthhub.recompute_practice_rights()';
    END IF;
    RETURN array_to_string(reasons, '; ');
END
$$;
COMMENT ON FUNCTION healthhub.why_not_practise(bigint, text, bigint, timestamptz, text) IS
    'Why may_practise() refuses (NULL when it allows), in words';

-- For write paths: check, refuse with 42501, and check again at commit.
-- claim_practice() reads the latest committed rights at clock time and takes
-- no lock; the transaction's commit checks the claim again, in a window no
-- user code runs in, that excludes the commit of any change of the same
-- practitioner's rights (practice_claims.c).  So a revocation never waits
-- for an open action, and an action whose transaction commits after a
-- revocation commits is refused.
CREATE FUNCTION healthhub.claim_practice(practitioner bigint, act text, institution bigint, privilege text)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_claim_practice' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION healthhub.assert_may_practise(practitioner bigint, act text, institution bigint,
                                              privilege text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    why text;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.assert_may_practise',
                                        ARRAY['practitioner', 'act', 'institution'],
                                        ARRAY[practitioner IS NULL, act IS NULL, institution IS NULL]);
    PERFORM healthhub.check_own_institution(institution);
    IF NOT healthhub.claim_practice(practitioner, act, institution, privilege) THEN
        -- (under REPEATABLE READ the snapshot may predate what refused it)
        why := healthhub.why_not_practise(practitioner, act, institution, clock_timestamp(), privilege);
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = format('practitioner may not act as %s%s here', act,
                             CASE WHEN privilege IS NULL THEN '' ELSE ' with privilege ' || privilege END),
            DETAIL = COALESCE(upper(left(why, 1)) || substr(why, 2) || '.',
                              'Its practice rights changed after this transaction''s snapshot was taken.');
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.assert_may_practise(bigint, text, bigint, text) IS
    'Raise 42501 unless the practitioner may act now; checked again when the transaction commits';

-- Status changes ----------------------------------------------------------------

CREATE FUNCTION healthhub.change_licence_status(licence_no text, status text, reason text,
                                                effective timestamptz DEFAULT pg_catalog.now())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lic healthhub.licences%ROWTYPE;
    current_status text;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.change_licence_status',
                                        ARRAY['licence_no', 'status', 'reason', 'effective'],
                                        ARRAY[licence_no IS NULL, status IS NULL, reason IS NULL, effective IS NULL]);
    IF status NOT IN ('active', 'suspended', 'revoked') THEN
        RAISE EXCEPTION 'invalid licence status "%"', status
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A licence is active, suspended or revoked.';
    END IF;
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'a licence status change needs a reason'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT isfinite(effective) THEN
        RAISE EXCEPTION 'invalid effective time %', effective
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A status change takes effect at a finite time.';
    END IF;
    SELECT * INTO lic FROM healthhub.licences l WHERE l.licence_no = change_licence_status.licence_no FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'licence "%" does not exist', licence_no
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT h.status INTO current_status FROM healthhub.licence_status_history h
     WHERE h.licence_key = lic.licence_key AND h.effective <= change_licence_status.effective
     ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
    IF COALESCE(current_status, 'active') = status
       AND NOT EXISTS (SELECT 1 FROM healthhub.licence_status_history h
                        WHERE h.licence_key = lic.licence_key AND h.effective > change_licence_status.effective) THEN
        RAISE NOTICE 'licence % is already %', licence_no, status;
        RETURN;
    END IF;
    INSERT INTO healthhub.licence_status_history (licence_key, status, effective, reason)
    VALUES (lic.licence_key, status, effective, reason);
END
$$;
COMMENT ON FUNCTION healthhub.change_licence_status(text, text, text, timestamptz) IS
    'Suspend, reinstate or revoke a licence (revocation is final); appends to the history and the audit trail';

-- The registry's personal data beyond the public register (a practitioner's
-- resident ID number; the reasons of a licence's status changes) is read
-- only through these, each leaving one read entry before it returns.
CREATE FUNCTION healthhub.practitioner_identity(practitioner bigint)
    RETURNS TABLE (practitioner_key bigint, resident_id healthhub.resident_id, name text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_arguments('healthhub.practitioner_identity', ARRAY['practitioner'],
                                        ARRAY[practitioner IS NULL]);
    PERFORM healthhub.audit_append('read', 'practitioner_identity', practitioner::text, NULL,
                                   'registry maintenance', 'ok', practitioner);
    RETURN QUERY SELECT p.practitioner_key, p.resident_id, p.name FROM healthhub.practitioners p
                  WHERE p.practitioner_key = practitioner;
END
$$;
COMMENT ON FUNCTION healthhub.practitioner_identity(bigint) IS
    'A practitioner''s resident ID number and name, for hub_admin; audited';

CREATE FUNCTION healthhub.find_practitioner(resident_id healthhub.resident_id) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_key bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.find_practitioner', ARRAY['resident_id'],
                                        ARRAY[resident_id IS NULL]);
    SELECT p.practitioner_key INTO found_key FROM healthhub.practitioners p
     WHERE p.resident_id OPERATOR(healthhub.=) find_practitioner.resident_id;
    -- the entry names the practitioner found, never the number asked for
    PERFORM healthhub.audit_append('read', 'practitioner_identity', found_key::text, NULL,
                                   'registry maintenance', CASE WHEN found_key IS NULL THEN 'not_found' ELSE 'found' END,
                                   found_key);
    RETURN found_key;
END
$$;
COMMENT ON FUNCTION healthhub.find_practitioner(healthhub.resident_id) IS
    'The practitioner holding a resident ID number, for hub_admin; audited';

CREATE FUNCTION healthhub.licence_history(licence_no text)
    RETURNS TABLE (status text, effective timestamptz, reason text, recorded_at timestamptz, recorded_by name)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lic healthhub.licences;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.licence_history', ARRAY['licence_no'],
                                        ARRAY[licence_no IS NULL]);
    SELECT * INTO lic FROM healthhub.licences l WHERE l.licence_no = licence_history.licence_no;
    PERFORM healthhub.audit_append('read', 'licence_history', licence_no, NULL, 'registry maintenance',
                                   CASE WHEN lic.licence_key IS NULL THEN 'not_found' ELSE 'found' END,
                                   lic.practitioner_key);
    RETURN QUERY SELECT h.status, h.effective, h.reason, h.recorded_at, h.recorded_by
                   FROM healthhub.licence_status_history h
                  WHERE h.licence_key = lic.licence_key ORDER BY h.effective, h.entry_key;
END
$$;
COMMENT ON FUNCTION healthhub.licence_history(text) IS
    'A licence''s status history with the reasons, for hub_admin; audited';
REVOKE ALL ON FUNCTION healthhub.practitioner_identity(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.find_practitioner(healthhub.resident_id) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.licence_history(text) FROM PUBLIC;

CREATE FUNCTION healthhub.blacklist_subject(kind text, subject bigint, reason text, source text, period tstzrange)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.blacklist_' || kind, ARRAY[kind, 'reason', 'source', 'period'],
                                        ARRAY[subject IS NULL, reason IS NULL, source IS NULL, period IS NULL]);
    IF btrim(reason) = '' OR btrim(source) = '' THEN
        RAISE EXCEPTION 'a blacklist entry needs its subject, a reason and a source'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF isempty(period) OR lower_inf(period) THEN
        RAISE EXCEPTION 'invalid blacklist period %', period
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The period must have a start; leave the end open for an indefinite listing.';
    END IF;
    IF kind = 'practitioner' AND NOT EXISTS (SELECT 1 FROM healthhub.practitioners p WHERE p.practitioner_key = subject)
       OR kind = 'institution' AND NOT EXISTS (SELECT 1 FROM healthhub.institutions i WHERE i.institution_key = subject) THEN
        RAISE EXCEPTION 'unknown % %', kind, subject
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO healthhub.blacklist (subject_kind, practitioner_key, institution_key, reason, source, period)
    VALUES (kind, CASE WHEN kind = 'practitioner' THEN subject END,
            CASE WHEN kind = 'institution' THEN subject END, reason, source, period)
    RETURNING entry_key INTO k;
    RETURN k;
END
$$;
REVOKE ALL ON FUNCTION healthhub.blacklist_subject(text, bigint, text, text, tstzrange) FROM PUBLIC;

CREATE FUNCTION healthhub.blacklist_practitioner(practitioner bigint, reason text, source text,
                                                 period tstzrange DEFAULT pg_catalog.tstzrange(pg_catalog.now(), NULL))
    RETURNS bigint LANGUAGE sql
    RETURN healthhub.blacklist_subject('practitioner', practitioner, reason, source, period);
CREATE FUNCTION healthhub.blacklist_institution(institution bigint, reason text, source text,
                                                period tstzrange DEFAULT pg_catalog.tstzrange(pg_catalog.now(), NULL))
    RETURNS bigint LANGUAGE sql
    RETURN healthhub.blacklist_subject('institution', institution, reason, source, period);
COMMENT ON FUNCTION healthhub.blacklist_practitioner(bigint, text, text, tstzrange) IS
    'Blacklist a practitioner everywhere for a period; returns the entry key';
COMMENT ON FUNCTION healthhub.blacklist_institution(bigint, text, text, tstzrange) IS
    'Blacklist an institution (and everyone acting there) for a period; returns the entry key';

CREATE FUNCTION healthhub.lift_blacklist(entry bigint, "at" timestamptz DEFAULT pg_catalog.now())
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e healthhub.blacklist%ROWTYPE;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.lift_blacklist', ARRAY['entry', 'at'],
                                        ARRAY[entry IS NULL, "at" IS NULL]);
    SELECT * INTO e FROM healthhub.blacklist b WHERE b.entry_key = entry FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'blacklist entry % does not exist', entry USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT e.period @> "at" OR "at" = lower(e.period) THEN
        RAISE EXCEPTION 'blacklist entry % is not in force at %', entry, "at"
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The entry covers %s.', e.period);
    END IF;
    UPDATE healthhub.blacklist b SET period = tstzrange(lower(b.period), "at") WHERE b.entry_key = entry;
END
$$;
COMMENT ON FUNCTION healthhub.lift_blacklist(bigint, timestamptz) IS 'End a blacklist entry at a time within it';

-- Views without personal data ------------------------------------------------------

-- Names of practitioners (no resident_id).  An institution's application sees
-- the practitioners registered at its institution only.
CREATE VIEW healthhub.practitioner_directory WITH (security_barrier) AS
SELECT p.practitioner_key, p.name, p.hub_id
  FROM healthhub.practitioners p
 WHERE NOT (SELECT healthhub.has_profile('institution_app'))
    OR EXISTS (SELECT 1 FROM healthhub.registrations r
                 JOIN healthhub.licences l ON l.licence_key = r.licence_key
                WHERE l.practitioner_key = p.practitioner_key
                  AND r.institution_key = (SELECT healthhub.acting_institution()));
COMMENT ON VIEW healthhub.practitioner_directory IS 'Practitioners'' names without identity numbers';

CREATE VIEW healthhub.licence_directory WITH (security_barrier) AS
SELECT l.licence_no, l.practitioner_key, l.kind, l.scope, l.validity, l.status, l.status_effective, l.hub_id
  FROM healthhub.licences l
 WHERE NOT (SELECT healthhub.has_profile('institution_app'))
    OR EXISTS (SELECT 1 FROM healthhub.registrations r
                WHERE r.licence_key = l.licence_key
                  AND r.institution_key = (SELECT healthhub.acting_institution()));
COMMENT ON VIEW healthhub.licence_directory IS 'Licences (an institution''s application: those registered with it)';

-- For statisticians: no names, no identity or licence numbers.
CREATE VIEW healthhub.licence_facts AS
SELECT l.licence_key, l.practitioner_key, l.kind, l.scope, l.validity, l.status, l.status_effective, l.hub_id
  FROM healthhub.licences l;
COMMENT ON VIEW healthhub.licence_facts IS 'Licences without licence numbers, for statistics';

-- Row level security -----------------------------------------------------------------
-- A role holding institution_app sees its own institution's rows only; the
-- institution comes from healthhub.role_profiles (not from a setting).
-- Every policy is a plain call of healthhub.row_allowed() (profiles.sql).

ALTER TABLE healthhub.institutions ENABLE ROW LEVEL SECURITY;
CREATE POLICY institutions_read ON healthhub.institutions FOR SELECT
    USING (healthhub.row_allowed('read', institution_key));
CREATE POLICY institutions_admin ON healthhub.institutions FOR ALL
    USING (healthhub.row_allowed('admin'))
    WITH CHECK (healthhub.row_allowed('admin'));

ALTER TABLE healthhub.registrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY registrations_read ON healthhub.registrations FOR SELECT
    USING (healthhub.row_allowed('read', institution_key));
CREATE POLICY registrations_admin ON healthhub.registrations FOR ALL
    USING (healthhub.row_allowed('admin'))
    WITH CHECK (healthhub.row_allowed('admin'));

-- An institution grants privileges to its own practitioners.
ALTER TABLE healthhub.practice_privileges ENABLE ROW LEVEL SECURITY;
CREATE POLICY practice_privileges_read ON healthhub.practice_privileges FOR SELECT
    USING (healthhub.row_allowed('read', institution_key));
CREATE POLICY practice_privileges_own_insert ON healthhub.practice_privileges FOR INSERT
    WITH CHECK (healthhub.row_allowed('own', institution_key));
CREATE POLICY practice_privileges_own_update ON healthhub.practice_privileges FOR UPDATE
    USING (healthhub.row_allowed('own', institution_key))
    WITH CHECK (healthhub.row_allowed('own', institution_key));
CREATE POLICY practice_privileges_admin_delete ON healthhub.practice_privileges FOR DELETE
    USING (healthhub.row_allowed('admin'));

-- Privileges per profile ------------------------------------------------------------

REVOKE ALL ON FUNCTION healthhub.recompute_practice_rights(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.recompute_practice_rights() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.practice_rights_trigger() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.why_not_practise(bigint, text, bigint, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.assert_may_practise(bigint, text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.claim_practice(bigint, text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.note_rights_change(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.may_practise(bigint, text, bigint, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.change_licence_status(text, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.blacklist_practitioner(bigint, text, text, tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.blacklist_institution(bigint, text, text, tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.lift_blacklist(bigint, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.practice_right_terms(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.practice_privilege_terms(bigint) FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'table', t, p FROM (VALUES
    ('healthhub.institutions', 'SELECT, INSERT, UPDATE'),
    ('healthhub.insurance_designations', 'SELECT, INSERT, UPDATE, DELETE'),
    ('healthhub.consortia', 'SELECT, INSERT, UPDATE'),
    ('healthhub.consortium_members', 'SELECT, INSERT, UPDATE, DELETE'),
    -- a practitioner's resident ID number and the reasons of status changes
    -- are read through the audited practitioner_identity() and
    -- licence_history(), never directly
    ('healthhub.practitioners', 'SELECT (practitioner_key, hub_id, name, rights_version, source, source_ref), INSERT, UPDATE'),
    ('healthhub.licences', 'SELECT, INSERT, UPDATE'),
    ('healthhub.licence_status_history', 'SELECT (entry_key, licence_key, status, effective, recorded_at, recorded_by), INSERT'),
    ('healthhub.registrations', 'SELECT, INSERT, UPDATE, DELETE'),
    ('healthhub.practice_privileges', 'SELECT, INSERT, UPDATE, DELETE'),
    ('healthhub.blacklist', 'SELECT, INSERT, UPDATE'),
    ('healthhub.practice_rights', 'SELECT'),
    ('healthhub.practitioner_directory', 'SELECT'),
    ('healthhub.licence_directory', 'SELECT'),
    ('healthhub.licence_facts', 'SELECT')) v(t, p)
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE' FROM unnest(ARRAY[
    'healthhub.may_practise(bigint, text, bigint, timestamptz, text)',
    'healthhub.why_not_practise(bigint, text, bigint, timestamptz, text)',
    'healthhub.assert_may_practise(bigint, text, bigint, text)',
    'healthhub.change_licence_status(text, text, text, timestamptz)',
    'healthhub.blacklist_practitioner(bigint, text, text, tstzrange)',
    'healthhub.blacklist_institution(bigint, text, text, tstzrange)',
    'healthhub.blacklist_subject(text, bigint, text, text, tstzrange)',
    'healthhub.lift_blacklist(bigint, timestamptz)',
    'healthhub.recompute_practice_rights()',
    'healthhub.recompute_practice_rights(bigint)',
    'healthhub.practitioner_identity(bigint)',
    'healthhub.find_practitioner(healthhub.resident_id)',
    'healthhub.licence_history(text)',
    'healthhub.mint_key()']) f
UNION ALL
-- An institution's application: its own rows (RLS), grants privileges there.
SELECT 'institution_app', 'table', t, p FROM (VALUES
    ('healthhub.institutions', 'SELECT'),
    ('healthhub.registrations', 'SELECT'),
    ('healthhub.practice_privileges', 'SELECT, INSERT, UPDATE'),
    ('healthhub.practice_rights', 'SELECT'),
    ('healthhub.practitioner_directory', 'SELECT'),
    ('healthhub.licence_directory', 'SELECT')) v(t, p)
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['institution_app', 'clinician', 'pharmacist']) pr,
       unnest(ARRAY['healthhub.may_practise(bigint, text, bigint, timestamptz, text)',
                    'healthhub.why_not_practise(bigint, text, bigint, timestamptz, text)',
                    'healthhub.assert_may_practise(bigint, text, bigint, text)']) f
UNION ALL
-- (no profile uses healthhub.key_seq itself: keys are minted by mint_key(),
-- which runs as its owner, and rows the application inserts get theirs from a
-- trigger)
-- Clinicians and pharmacists read the public registry, names without ID numbers.
SELECT pr, 'table', t, 'SELECT'
  FROM unnest(ARRAY['clinician', 'pharmacist']) pr,
       unnest(ARRAY['healthhub.institutions', 'healthhub.practice_rights',
                    'healthhub.practitioner_directory', 'healthhub.licence_directory', 'healthhub.blacklist']) t
UNION ALL
-- The insurer: institutions, designations, consortia, who may practise where.
SELECT 'insurer', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.institutions', 'healthhub.insurance_designations', 'healthhub.consortia',
                    'healthhub.consortium_members', 'healthhub.practice_rights',
                    'healthhub.practitioner_directory', 'healthhub.licence_directory', 'healthhub.blacklist']) t
UNION ALL
SELECT 'insurer', 'function', 'healthhub.may_practise(bigint, text, bigint, timestamptz, text)', 'EXECUTE'
UNION ALL
-- The statistician: no names, no identity or licence numbers.
SELECT 'statistician', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.institutions', 'healthhub.insurance_designations', 'healthhub.consortia',
                    'healthhub.consortium_members', 'healthhub.practice_rights', 'healthhub.licence_facts']) t
ON CONFLICT (profile, object_kind, object_name) DO NOTHING;   -- another area may grant the same
-- Loading registries from files.  COPY the file into a staging table (all
-- text, plus the record number), then call healthhub.load_registry(source,
-- file_digest, mode): every staged row is validated, every bad one reported
-- in healthhub.load_errors (record, column, reason) and the good ones loaded.
-- A load is keyed on (source, file digest): loading the same file again
-- changes nothing.  docs/registry.md shows a whole session.  The work is
-- the loading framework's (src/platform/loading.sql): each rule below is
-- one set-based statement over a whole staging table.

CREATE TABLE healthhub.stage_institutions (
    line_no bigint GENERATED BY DEFAULT AS IDENTITY,
    source_ref text, name text, kind text, level text, grade text, region text,
    uscc text, practice_licence_no text, insurance_code text, valid_from text, valid_to text
);
CREATE TABLE healthhub.stage_practitioners (
    line_no bigint GENERATED BY DEFAULT AS IDENTITY,
    source_ref text, resident_id text, name text
);
CREATE TABLE healthhub.stage_licences (
    line_no bigint GENERATED BY DEFAULT AS IDENTITY,
    licence_no text, practitioner_ref text, kind text, scope text, valid_from text, valid_to text, status text
);
CREATE TABLE healthhub.stage_registrations (
    line_no bigint GENERATED BY DEFAULT AS IDENTITY,
    source_ref text, licence_no text, institution_ref text, role text, valid_from text, valid_to text
);
CREATE TABLE healthhub.stage_blacklist (
    line_no bigint GENERATED BY DEFAULT AS IDENTITY,
    source_ref text, subject_kind text, subject_ref text, reason text, valid_from text, valid_to text
);
COMMENT ON TABLE healthhub.stage_institutions IS 'Staging for healthhub.load_registry(): COPY institutions here';
COMMENT ON TABLE healthhub.stage_practitioners IS 'Staging for healthhub.load_registry(): COPY practitioners here';
COMMENT ON TABLE healthhub.stage_licences IS 'Staging for healthhub.load_registry(): COPY licences here';
COMMENT ON TABLE healthhub.stage_registrations IS 'Staging for healthhub.load_registry(): COPY registrations here';
COMMENT ON TABLE healthhub.stage_blacklist IS 'Staging for healthhub.load_registry(): COPY blacklist entries here';
-- Staging tables are work space, emptied by each load and never published:
-- their replica identity is the whole row, said explicitly (every table of
-- the extension has a primary key or an explicit replica identity).
ALTER TABLE healthhub.stage_institutions REPLICA IDENTITY FULL;
ALTER TABLE healthhub.stage_practitioners REPLICA IDENTITY FULL;
ALTER TABLE healthhub.stage_licences REPLICA IDENTITY FULL;
ALTER TABLE healthhub.stage_registrations REPLICA IDENTITY FULL;
ALTER TABLE healthhub.stage_blacklist REPLICA IDENTITY FULL;

INSERT INTO healthhub.audit_exemptions
SELECT 'healthhub.' || t, 'staging', 'registry.load.<mode> of the load that reads it'
  FROM unnest(ARRAY['stage_institutions', 'stage_practitioners', 'stage_licences', 'stage_registrations',
                    'stage_blacklist']) t
;

-- Empty the staging tables and restart their record numbers.
CREATE FUNCTION healthhub.clear_staging() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    TRUNCATE healthhub.stage_institutions, healthhub.stage_practitioners, healthhub.stage_licences,
             healthhub.stage_registrations, healthhub.stage_blacklist RESTART IDENTITY;
END
$$;
COMMENT ON FUNCTION healthhub.clear_staging() IS 'Empty the staging tables; record numbers start again at 1';

-- It runs as its owner: it reads and compares the practitioners' resident ID
-- numbers, which its caller (hub_admin) may not read directly; who loaded is
-- the acting role, in loads.loaded_by and in the trail.  The rows it writes
-- are recorded by its one entry, registry.load.<mode> (healthhub.end_load).
CREATE FUNCTION healthhub.load_registry(source text, file_digest text, mode text)
    RETURNS TABLE (load_id bigint, entity text, staged integer, loaded integer, ended integer,
                   rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lid bigint;
    again boolean;
    src text := btrim(source);
    t timestamptz := now();
    snapshot boolean := mode = 'snapshot';
    result jsonb := '{}';
    si constant regclass := 'healthhub.stage_institutions';
    sp constant regclass := 'healthhub.stage_practitioners';
    sl constant regclass := 'healthhub.stage_licences';
    sr constant regclass := 'healthhub.stage_registrations';
    sb constant regclass := 'healthhub.stage_blacklist';
    r record;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.load_registry', ARRAY['source', 'file_digest', 'mode'],
                                        ARRAY[source IS NULL, file_digest IS NULL, mode IS NULL]);
    -- one registry load at a time, and nothing staged meanwhile
    LOCK TABLE healthhub.stage_institutions, healthhub.stage_practitioners, healthhub.stage_licences,
               healthhub.stage_registrations, healthhub.stage_blacklist IN SHARE ROW EXCLUSIVE MODE;
    SELECT b.load_id, b.already_loaded INTO lid, again
      FROM healthhub.begin_load('registry', source, file_digest, mode) b;
    IF again THEN
        PERFORM healthhub.clear_staging();
        RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                            (o.value->>'ended')::int, (o.value->>'rejected')::int, true
                       FROM healthhub.loads l, jsonb_each(l.outcome) o
                      WHERE l.load_id = lid ORDER BY (o.value->>'order')::int;
        RETURN;
    END IF;
    PERFORM healthhub.begin_load_writes(lid);

    ---------------------------------------------------------------- institutions
    PERFORM healthhub.load_require(lid, 'institutions', si, ARRAY['source_ref', 'name']);
    PERFORM healthhub.load_check_duplicates(lid, 'institutions', si, 'source_ref');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'kind', ARRAY['hospital', 'primary_care', 'village_clinic',
        'internet_hospital', 'retail_pharmacy', 'lab', 'cdc', 'insurer'], true,
        'is not one of hospital, primary_care, village_clinic, internet_hospital, retail_pharmacy, lab, cdc, insurer');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'level', ARRAY['1', '2', '3'], false, 'is not 1, 2 or 3');
    PERFORM healthhub.load_check_in(lid, 'institutions', si, 'grade', ARRAY['甲', '乙', '丙', '特'], false,
                                    'is not 甲, 乙, 丙 or 特');
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'region', 'region_code', true);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'uscc', 'uscc', false);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'institutions', si, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'institutions', si, 'valid_from', 'valid_to');
    PERFORM healthhub.load_check_pattern(lid, 'institutions', si, 'practice_licence_no', '^[0-9A-Za-z-]{6,40}$',
                                         'is not 6 to 40 letters, digits or "-"', false);
    PERFORM healthhub.load_check_pattern(lid, 'institutions', si, 'insurance_code', '^[0-9A-Za-z]{4,40}$',
                                         'is not 4 to 40 letters or digits', false);
    PERFORM healthhub.load_check_duplicates(lid, 'institutions', si, 'practice_licence_no');
    PERFORM healthhub.load_check_duplicates(lid, 'institutions', si, 'insurance_code');
    PERFORM healthhub.load_check_held_elsewhere(lid, 'institutions', si, 'practice_licence_no', 'healthhub.institutions',
                                                'practice_licence_no', src, 'is another institution''s');
    PERFORM healthhub.load_check_held_elsewhere(lid, 'institutions', si, 'insurance_code', 'healthhub.institutions',
                                                'insurance_code', src, 'is another institution''s');
    -- (a grade needs a level, 特 level 3: the table's own rules)
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'institutions', s.line_no, 'grade', s.grade,
           CASE WHEN nullif(btrim(s.level), '') IS NULL THEN 'needs a level' ELSE 'is only for level 3' END
      FROM healthhub.stage_institutions s
     WHERE nullif(btrim(s.grade), '') IS NOT NULL
       AND (nullif(btrim(s.level), '') IS NULL OR (btrim(s.grade) = '特' AND btrim(s.level) IS DISTINCT FROM '3'));
    INSERT INTO healthhub.institutions AS i (source, source_ref, name, kind, level, grade, region, uscc,
                                             practice_licence_no, insurance_code, valid)
    SELECT src, btrim(s.source_ref), btrim(s.name), btrim(s.kind), nullif(btrim(s.level), ''), nullif(btrim(s.grade), ''),
           btrim(s.region)::healthhub.region_code, nullif(btrim(s.uscc), '')::healthhub.uscc,
           nullif(btrim(s.practice_licence_no), ''), nullif(btrim(s.insurance_code), ''),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_institutions s
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'institutions' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT institutions_source_ref DO UPDATE
       SET name = EXCLUDED.name, kind = EXCLUDED.kind, level = EXCLUDED.level, grade = EXCLUDED.grade,
           region = EXCLUDED.region, uscc = EXCLUDED.uscc, practice_licence_no = EXCLUDED.practice_licence_no,
           insurance_code = EXCLUDED.insurance_code, valid = EXCLUDED.valid
     WHERE (i.name, i.kind, i.level, i.grade, i.region::text, i.uscc::text, i.practice_licence_no,
            i.insurance_code, i.valid)
           IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.level, EXCLUDED.grade, EXCLUDED.region::text,
            EXCLUDED.uscc::text, EXCLUDED.practice_licence_no, EXCLUDED.insurance_code, EXCLUDED.valid);
    result := result || healthhub.load_outcome(lid, 'institutions', 1, si,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_institutions)
             THEN healthhub.load_end_absent(si, 'source_ref', 'healthhub.institutions', 'source_ref', 'valid', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- practitioners
    -- (identity numbers are personal data: an error keeps only the masked
    -- form, and a name is never kept)
    PERFORM healthhub.load_require(lid, 'practitioners', sp, ARRAY['source_ref']);
    PERFORM healthhub.load_require(lid, 'practitioners', sp, ARRAY['name'], 'none');
    PERFORM healthhub.load_check_duplicates(lid, 'practitioners', sp, 'source_ref');
    PERFORM healthhub.load_check_type(lid, 'practitioners', sp, 'resident_id', 'resident_id', false, 'masked');
    PERFORM healthhub.load_check_duplicates(lid, 'practitioners', sp, 'resident_id', 'masked');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'practitioners', s.line_no, 'resident_id', left(s.resident_id, 6) || '********',
           'is another practitioner''s'
      FROM healthhub.stage_practitioners s
      JOIN healthhub.practitioners p
        ON p.resident_id OPERATOR(healthhub.=) CASE WHEN healthhub.is_valid_resident_id(btrim(s.resident_id))
                                THEN healthhub.resident_id(btrim(s.resident_id)) END
     WHERE (p.source, p.source_ref) IS DISTINCT FROM (src, btrim(s.source_ref));
    INSERT INTO healthhub.practitioners AS p (source, source_ref, resident_id, name)
    SELECT src, btrim(s.source_ref), healthhub.resident_id(nullif(btrim(s.resident_id), '')), btrim(s.name)
      FROM healthhub.stage_practitioners s
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'practitioners' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT practitioners_source_ref DO UPDATE
       SET resident_id = EXCLUDED.resident_id, name = EXCLUDED.name
     WHERE (p.resident_id::text, p.name) IS DISTINCT FROM (EXCLUDED.resident_id::text, EXCLUDED.name);
    result := result || healthhub.load_outcome(lid, 'practitioners', 2, sp, 0);

    ---------------------------------------------------------------- licences
    PERFORM healthhub.load_check_pattern(lid, 'licences', sl, 'licence_no', '^[0-9A-Za-z-]{4,40}$',
                                         'is not 4 to 40 letters, digits or "-"');
    PERFORM healthhub.load_check_duplicates(lid, 'licences', sl, 'licence_no');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'licences', s.line_no, 'licence_no', s.licence_no, 'belongs to another source'
      FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
     WHERE l.source IS DISTINCT FROM src;
    PERFORM healthhub.load_check_reference(lid, 'licences', sl, 'practitioner_ref', 'healthhub.practitioners',
                                           'source_ref', src, 'names no practitioner of this source');
    PERFORM healthhub.load_check_in(lid, 'licences', sl, 'kind', ARRAY['physician', 'pharmacist', 'nurse'], true,
                                    'is not physician, pharmacist or nurse');
    PERFORM healthhub.load_check_in(lid, 'licences', sl, 'status', ARRAY['active', 'suspended', 'revoked'], false,
                                    'is not active, suspended or revoked');
    PERFORM healthhub.load_check_type(lid, 'licences', sl, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'licences', sl, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'licences', sl, 'valid_from', 'valid_to');
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'licences', s.line_no, 'status', s.status, 'the licence is revoked; a revocation is final'
      FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
     WHERE l.status = 'revoked' AND coalesce(nullif(btrim(s.status), ''), 'active') <> 'revoked';
    INSERT INTO healthhub.licences AS l (licence_no, practitioner_key, kind, scope, validity, source)
    SELECT btrim(s.licence_no), p.practitioner_key, btrim(s.kind), nullif(btrim(s.scope), ''),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz), src
      FROM healthhub.stage_licences s
      JOIN healthhub.practitioners p ON p.source = src AND p.source_ref = btrim(s.practitioner_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'licences' AND e.line_no = s.line_no)
    ON CONFLICT (licence_no) DO UPDATE
       SET practitioner_key = EXCLUDED.practitioner_key, kind = EXCLUDED.kind, scope = EXCLUDED.scope,
           validity = EXCLUDED.validity
     WHERE (l.practitioner_key, l.kind, l.scope, l.validity)
           IS DISTINCT FROM (EXCLUDED.practitioner_key, EXCLUDED.kind, EXCLUDED.scope, EXCLUDED.validity);
    -- a status goes through the licence's history: one call per licence
    -- whose status changes (not per row; no subtransaction)
    FOR r IN SELECT l.licence_no, coalesce(nullif(btrim(s.status), ''), 'active') AS status
               FROM healthhub.stage_licences s JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
              WHERE coalesce(nullif(btrim(s.status), ''), 'active') IS DISTINCT FROM l.status
                AND NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                                 WHERE e.load_id = lid AND e.entity = 'licences' AND e.line_no = s.line_no)
              ORDER BY s.line_no LOOP
        PERFORM healthhub.change_licence_status(r.licence_no, r.status, 'load ' || src || ' ' || lower(btrim(file_digest)), t);
    END LOOP;
    result := result || healthhub.load_outcome(lid, 'licences', 3, sl,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_licences)
             THEN healthhub.load_end_absent(sl, 'licence_no', 'healthhub.licences', 'licence_no', 'validity', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- registrations
    PERFORM healthhub.load_require(lid, 'registrations', sr, ARRAY['source_ref']);
    PERFORM healthhub.load_check_duplicates(lid, 'registrations', sr, 'source_ref');
    PERFORM healthhub.load_check_reference(lid, 'registrations', sr, 'licence_no', 'healthhub.licences',
                                           'licence_no', NULL, 'names no licence');
    PERFORM healthhub.load_check_reference(lid, 'registrations', sr, 'institution_ref', 'healthhub.institutions',
                                           'source_ref', src, 'names no institution of this source');
    PERFORM healthhub.load_check_in(lid, 'registrations', sr, 'role', ARRAY['primary', 'additional'], false,
                                    'is not primary or additional');
    PERFORM healthhub.load_check_type(lid, 'registrations', sr, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'registrations', sr, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'registrations', sr, 'valid_from', 'valid_to');
    -- A registration overlapping another of the licence at the same
    -- institution, or a second primary one, is reported here: the exclusion
    -- constraints would otherwise abort the whole load.  Compared with the
    -- rows before it in the file and with the stored rows it does not replace.
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    WITH c AS (
        SELECT s.line_no, btrim(s.source_ref) AS ref, s.valid_from, l.licence_key, i.institution_key,
               coalesce(nullif(btrim(s.role), ''), 'primary') AS role,
               tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz) AS period
          FROM healthhub.stage_registrations s
          JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
          JOIN healthhub.institutions i ON i.source = src AND i.source_ref = btrim(s.institution_ref)
         WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                            WHERE e.load_id = lid AND e.entity = 'registrations' AND e.line_no = s.line_no)
    ), other AS (
        SELECT c.line_no, c.licence_key, c.institution_key, c.role, c.period FROM c
        UNION ALL
        SELECT NULL, g.licence_key, g.institution_key, g.role, g.period FROM healthhub.registrations g
         WHERE g.source IS DISTINCT FROM src OR g.source_ref NOT IN (SELECT c.ref FROM c)
    )
    SELECT DISTINCT ON (c.line_no) lid, 'registrations', c.line_no, 'valid_from', c.valid_from,
           CASE WHEN o.institution_key = c.institution_key
                THEN 'overlaps another registration of the licence at the institution'
                ELSE 'overlaps another primary registration of the licence' END
      FROM c JOIN other o ON o.licence_key = c.licence_key AND o.period && c.period
                         AND (o.line_no IS NULL OR o.line_no < c.line_no)
                         AND (o.institution_key = c.institution_key OR (o.role = 'primary' AND c.role = 'primary'))
     ORDER BY c.line_no, o.line_no NULLS FIRST;
    INSERT INTO healthhub.registrations AS g (source, source_ref, licence_key, institution_key, role, period)
    SELECT src, btrim(s.source_ref), l.licence_key, i.institution_key, coalesce(nullif(btrim(s.role), ''), 'primary'),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_registrations s
      JOIN healthhub.licences l ON l.licence_no = btrim(s.licence_no)
      JOIN healthhub.institutions i ON i.source = src AND i.source_ref = btrim(s.institution_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'registrations' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT registrations_source_ref DO UPDATE
       SET licence_key = EXCLUDED.licence_key, institution_key = EXCLUDED.institution_key,
           role = EXCLUDED.role, period = EXCLUDED.period
     WHERE (g.licence_key, g.institution_key, g.role, g.period)
           IS DISTINCT FROM (EXCLUDED.licence_key, EXCLUDED.institution_key, EXCLUDED.role, EXCLUDED.period);
    result := result || healthhub.load_outcome(lid, 'registrations', 4, sr,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_registrations)
             THEN healthhub.load_end_absent(sr, 'source_ref', 'healthhub.registrations', 'source_ref', 'period', src, t)
             ELSE 0 END);

    ---------------------------------------------------------------- blacklist
    PERFORM healthhub.load_require(lid, 'blacklist', sb, ARRAY['source_ref', 'reason']);
    PERFORM healthhub.load_check_duplicates(lid, 'blacklist', sb, 'source_ref');
    PERFORM healthhub.load_check_in(lid, 'blacklist', sb, 'subject_kind', ARRAY['institution', 'practitioner'], true,
                                    'is not institution or practitioner');
    PERFORM healthhub.load_check_reference(lid, 'blacklist', sb, 'subject_ref', 'healthhub.practitioners', 'source_ref',
                                           src, 'names no practitioner of this source', 'subject_kind', 'practitioner');
    PERFORM healthhub.load_check_reference(lid, 'blacklist', sb, 'subject_ref', 'healthhub.institutions', 'source_ref',
                                           src, 'names no institution of this source', 'subject_kind', 'institution');
    PERFORM healthhub.load_check_type(lid, 'blacklist', sb, 'valid_from', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'blacklist', sb, 'valid_to', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'blacklist', sb, 'valid_from', 'valid_to');
    INSERT INTO healthhub.blacklist AS b (source, source_ref, subject_kind, practitioner_key, institution_key, reason, period)
    SELECT src, btrim(s.source_ref), btrim(s.subject_kind), p.practitioner_key, i.institution_key, btrim(s.reason),
           tstzrange(btrim(s.valid_from)::timestamptz, nullif(btrim(s.valid_to), '')::timestamptz)
      FROM healthhub.stage_blacklist s
      LEFT JOIN healthhub.practitioners p
             ON btrim(s.subject_kind) = 'practitioner' AND p.source = src AND p.source_ref = btrim(s.subject_ref)
      LEFT JOIN healthhub.institutions i
             ON btrim(s.subject_kind) = 'institution' AND i.source = src AND i.source_ref = btrim(s.subject_ref)
     WHERE NOT EXISTS (SELECT 1 FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'blacklist' AND e.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT blacklist_source_ref DO UPDATE
       SET subject_kind = EXCLUDED.subject_kind, practitioner_key = EXCLUDED.practitioner_key,
           institution_key = EXCLUDED.institution_key, reason = EXCLUDED.reason, period = EXCLUDED.period
     WHERE (b.subject_kind, b.practitioner_key, b.institution_key, b.reason, b.period)
           IS DISTINCT FROM (EXCLUDED.subject_kind, EXCLUDED.practitioner_key, EXCLUDED.institution_key,
                             EXCLUDED.reason, EXCLUDED.period);
    result := result || healthhub.load_outcome(lid, 'blacklist', 5, sb,
        CASE WHEN snapshot AND EXISTS (SELECT 1 FROM healthhub.stage_blacklist)
             THEN healthhub.load_end_absent(sb, 'source_ref', 'healthhub.blacklist', 'source_ref', 'period', src, t)
             ELSE 0 END);

    PERFORM healthhub.end_load(lid, result, 'registry maintenance');
    PERFORM healthhub.clear_staging();
    RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                        (o.value->>'ended')::int, (o.value->>'rejected')::int, false
                   FROM jsonb_each(result) o ORDER BY (o.value->>'order')::int;
END
$$;
COMMENT ON FUNCTION healthhub.load_registry(text, text, text) IS
    'Validate and load the staged registry rows of one file; keyed on (source, file digest); snapshot or delta';

REVOKE ALL ON FUNCTION healthhub.load_registry(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.clear_staging() FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE, DELETE'
  FROM unnest(ARRAY['healthhub.stage_institutions', 'healthhub.stage_licences',
                    'healthhub.stage_registrations', 'healthhub.stage_blacklist']) t
UNION ALL
-- staged practitioners carry resident ID numbers: written, never read back
SELECT 'hub_admin', 'table', 'healthhub.stage_practitioners', 'INSERT, DELETE'
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.load_registry(text, text, text)', 'healthhub.clear_staging()']) f
ON CONFLICT (profile, object_kind, object_name) DO NOTHING;
-- Names as the master person index compares them (docs/linkage.md): the
-- keys of a name (simplified characters without spaces or dots, pinyin with
-- surname readings, initials, the surname) from ICU, and the string
-- comparator the linkage model uses on pinyin.

CREATE FUNCTION healthhub.name_keys(name text, OUT hanzi text, OUT pinyin text, OUT initials text,
                                    OUT surname text, OUT given_pinyin text)
    AS 'MODULE_PATHNAME', 'hh_name_keys_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.name_keys(text) IS
    'Match keys of a name: simplified characters without spaces or dots, pinyin (surname readings), initials, surname, the given name''s pinyin';

CREATE FUNCTION healthhub.jaro_winkler(a text, b text) RETURNS double precision
    AS 'MODULE_PATHNAME', 'hh_jaro_winkler_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION healthhub.jaro_winkler(text, text) IS
    'Jaro-Winkler similarity (0 to 1) of two strings, character by character (UTF-8 aware)';

-- The name keys depend on the ICU library's data: the version they were made
-- with is kept, and healthhub.rebuild_name_keys() makes them anew after an
-- ICU upgrade (docs/install.md, "Upgrading ICU").
CREATE FUNCTION healthhub.icu_version() RETURNS text
    AS 'MODULE_PATHNAME', 'hh_icu_version' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.icu_version() IS 'The version of the ICU library this server makes name keys with';

CREATE TABLE healthhub.name_keys_made_with (
    only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    icu_version     text NOT NULL,
    made_at         timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE healthhub.name_keys_made_with IS
    'The ICU version the stored name keys were made with (one row, written at first use and by rebuild_name_keys())';
SELECT pg_catalog.pg_extension_config_dump('healthhub.name_keys_made_with', '');

-- A warning when this server's ICU is not the one the stored keys were made
-- with (names of new records would not meet those of old ones); the first
-- call records the version.
CREATE FUNCTION healthhub.check_name_keys_version() RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    made_with text := (SELECT n.icu_version FROM healthhub.name_keys_made_with n);
BEGIN
    IF made_with IS NULL THEN
        INSERT INTO healthhub.name_keys_made_with (icu_version) VALUES (healthhub.icu_version())
        ON CONFLICT DO NOTHING;
    ELSIF made_with <> healthhub.icu_version() THEN
        RAISE WARNING 'the stored name keys were made with ICU %, this server runs ICU %', made_with,
                      healthhub.icu_version()
            USING DETAIL = 'Names linked now are keyed differently and may not find their persons.',
                  HINT = 'A hub_admin runs SELECT healthhub.rebuild_name_keys() once.';
    END IF;
END
$$;
-- The master person index (docs/linkage.md): persons, the identifiers that
-- find them, the source records institutions send, and the links between
-- records and persons.

CREATE TABLE healthhub.persons (
    person_key      bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    state           text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'redirected')),
    redirected_to   bigint REFERENCES healthhub.persons,
    -- the golden record: the best value of each field over the person's
    -- records (healthhub.survivorship_rules), rebuilt after every change
    resident_id     healthhub.resident_id,
    name            text,
    sex             smallint CHECK (sex IN (1, 2)),
    birth_date      date,
    phone           text,
    region          healthhub.region_code,
    deceased        boolean NOT NULL DEFAULT false,
    deceased_on     date,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT persons_redirect CHECK ((state = 'redirected') = (redirected_to IS NOT NULL)),
    CONSTRAINT persons_deceased_on CHECK (deceased OR deceased_on IS NULL)
);
COMMENT ON TABLE healthhub.persons IS
    'Persons of the master person index: key, golden record, deceased flag; a merged person redirects to the survivor';
SELECT pg_catalog.pg_extension_config_dump('healthhub.persons', '');
-- (a publication filters persons on hub_id: its replica identity has it)
CREATE UNIQUE INDEX persons_replica_identity ON healthhub.persons (person_key, hub_id);
-- (the persons merged into one: what was given for them counts for it)
CREATE INDEX persons_redirected ON healthhub.persons (redirected_to) WHERE redirected_to IS NOT NULL;
ALTER TABLE healthhub.persons REPLICA IDENTITY USING INDEX persons_replica_identity;

-- Every identifier finds at most one person; the resident ID number is the
-- main index (one person per number).  Rows point at active persons only:
-- a merge moves them to the survivor.  identifier_key names a row (its
-- primary key, so the table can be published: a DELETE from a published
-- table without a replica identity fails); it counts in the hub's block of
-- keys (healthhub.place_sequences_in_hub_block()).
CREATE SEQUENCE healthhub.person_identifier_seq;
SELECT pg_catalog.pg_extension_config_dump('healthhub.person_identifier_seq', '');
CREATE TABLE healthhub.person_identifiers (
    resident_id     healthhub.resident_id,
    identifier      healthhub.health_identifier,
    person_key      bigint NOT NULL REFERENCES healthhub.persons,
    linked_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    identifier_key  bigint NOT NULL DEFAULT pg_catalog.nextval('healthhub.person_identifier_seq'),
    CONSTRAINT person_identifiers_one_kind CHECK (pg_catalog.num_nonnulls(resident_id, identifier) = 1),
    CONSTRAINT person_identifiers_pkey PRIMARY KEY (identifier_key)
);
ALTER SEQUENCE healthhub.person_identifier_seq OWNED BY healthhub.person_identifiers.identifier_key;
CREATE UNIQUE INDEX person_identifiers_resident_id ON healthhub.person_identifiers (resident_id)
    INCLUDE (person_key) WHERE resident_id IS NOT NULL;
CREATE UNIQUE INDEX person_identifiers_identifier ON healthhub.person_identifiers (identifier)
    INCLUDE (person_key) WHERE identifier IS NOT NULL;
CREATE INDEX person_identifiers_person ON healthhub.person_identifiers (person_key);
COMMENT ON TABLE healthhub.person_identifiers IS
    'Identifiers of persons: each finds at most one person; the resident ID number is the main index';
SELECT pg_catalog.pg_extension_config_dump('healthhub.person_identifiers', '');

-- What institutions send, keyed by (source, local id): upserted, corrected,
-- withdrawn.  "source" is the institution's code as it sends it; it is the
-- registry's institution when one has that key or source_ref.
CREATE SEQUENCE healthhub.record_seq;
SELECT pg_catalog.pg_extension_config_dump('healthhub.record_seq', '');
CREATE TABLE healthhub.source_records (
    source          text NOT NULL CHECK (source OPERATOR(pg_catalog.<>) ''),
    local_id        text NOT NULL CHECK (local_id OPERATOR(pg_catalog.<>) ''),
    -- a compact handle on the record for the tables that index it by the
    -- million (record_block_keys): 8 bytes instead of two strings
    record_id       bigint NOT NULL DEFAULT pg_catalog.nextval('healthhub.record_seq') UNIQUE,
    institution_key bigint REFERENCES healthhub.institutions,
    -- as received (validated)
    name            text,
    sex             smallint CHECK (sex IN (1, 2)),
    birth_date      date,
    identifier_text text,
    phone           text,
    region          healthhub.region_code,
    other_identifiers healthhub.health_identifier[] NOT NULL DEFAULT '{}',
    -- derived by the linker
    resident_id     healthhub.resident_id,      -- identifier_text, 15 digits upgraded to 18
    id_conflict     boolean NOT NULL DEFAULT false,  -- its birth date or sex contradicts the record
    name_hanzi      text,
    name_pinyin     text,
    name_initials   text,
    surname         text,
    name_given_pinyin text,
    -- the current link: the person the record is (its match; the other
    -- decisions about it are in link_decisions), how and by whom it was made
    person_key      bigint REFERENCES healthhub.persons,
    link_origin     text NOT NULL DEFAULT 'auto' CHECK (link_origin IN ('auto', 'manual')),
    link_score      double precision,
    link_model      integer,
    linked_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- (roles as text, not name: 64 bytes a row is felt in a million-row load)
    linked_by       text NOT NULL DEFAULT healthhub.acting_role(),
    received_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    withdrawn_at    timestamptz,
    PRIMARY KEY (source, local_id),
    CONSTRAINT source_records_linked CHECK ((withdrawn_at IS NULL) = (person_key IS NOT NULL))
);
CREATE INDEX source_records_person ON healthhub.source_records (person_key);
CREATE INDEX source_records_institution ON healthhub.source_records (institution_key);
COMMENT ON TABLE healthhub.source_records IS
    'Records institutions send to the index, keyed by (source, local_id), with their match keys and current person';
SELECT pg_catalog.pg_extension_config_dump('healthhub.source_records', '');

-- Links between records and persons, with their history in link_events.
-- match: the record is this person (one per record: source_records.person_key
-- and its link_ columns, so no second copy of a million rows in a bulk
-- load); possible_match: it may be (the review queue); no_match: it is not
-- (a manual decision that automation never overrides); redirected: it was,
-- until the person was merged into another.  link_decisions holds all but
-- the matches; the view healthhub.links shows all four.
CREATE TABLE healthhub.link_decisions (
    source          text NOT NULL,
    local_id        text NOT NULL,
    person_key      bigint NOT NULL REFERENCES healthhub.persons,
    state           text NOT NULL CHECK (state IN ('possible_match', 'no_match', 'redirected')),
    origin          text NOT NULL CHECK (origin IN ('auto', 'manual')),
    score           double precision,
    model_version   integer,
    decided_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    decided_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (source, local_id, person_key),
    FOREIGN KEY (source, local_id) REFERENCES healthhub.source_records
);
CREATE INDEX link_decisions_person ON healthhub.link_decisions (person_key);
CREATE INDEX link_decisions_review_queue ON healthhub.link_decisions (decided_at) WHERE state = 'possible_match';
COMMENT ON TABLE healthhub.link_decisions IS
    'Record-person decisions other than the match: possible_match (review queue), no_match (never), redirected (merged)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.link_decisions', '');

-- (security_invoker: whoever reads it sees the records row security lets
-- them see)
CREATE VIEW healthhub.links WITH (security_invoker = true) AS
SELECT s.source, s.local_id, s.person_key, 'match'::text AS state, s.link_origin AS origin, s.link_score AS score,
       s.link_model AS model_version, s.linked_at AS decided_at, s.linked_by AS decided_by
  FROM healthhub.source_records s
 WHERE s.person_key IS NOT NULL
UNION ALL
SELECT d.source, d.local_id, d.person_key, d.state, d.origin, d.score, d.model_version, d.decided_at, d.decided_by
  FROM healthhub.link_decisions d;
COMMENT ON VIEW healthhub.links IS
    'Record-person links: match (one per record), possible_match (review queue), no_match (never), redirected (merged)';

-- Two persons a reviewer has said are different people: never merged again.
CREATE TABLE healthhub.person_separations (
    person_a        bigint NOT NULL REFERENCES healthhub.persons,
    person_b        bigint NOT NULL REFERENCES healthhub.persons,
    reason          text NOT NULL,
    decided_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    decided_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_a, person_b),
    CONSTRAINT person_separations_ordered CHECK (person_a < person_b)
);
COMMENT ON TABLE healthhub.person_separations IS 'Pairs of persons never to be merged again';
SELECT pg_catalog.pg_extension_config_dump('healthhub.person_separations', '');

-- Every decision, automatic or manual, with the model version and the
-- per-comparison weights that made it; entry_id is its audit trail entry.
CREATE TABLE healthhub.link_events (
    event_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id        bigint NOT NULL,
    at              timestamptz NOT NULL DEFAULT pg_catalog.now(),
    by_role         text NOT NULL DEFAULT healthhub.acting_role(),
    action          text NOT NULL,
    source          text,
    local_id        text,
    record_id       bigint,         -- source_records.record_id (healthhub.record_history())
    person_key      bigint,
    other_person    bigint,
    old_state       text,
    new_state       text,
    origin          text,
    score           double precision,
    model_version   integer,
    weights         jsonb,
    reason          text
);
-- (by record_id, not by (source, local_id): a bulk link adds a million
-- entries, and an index of two strings costs several times more to fill)
CREATE INDEX link_events_record ON healthhub.link_events (record_id);
CREATE INDEX link_events_person ON healthhub.link_events (person_key);
COMMENT ON TABLE healthhub.link_events IS
    'Link history: who, when, why, old and new state, weights and model version; each event is also an audit entry';
SELECT pg_catalog.pg_extension_config_dump('healthhub.link_events', '');
-- (its identity sequence too, or a restored hub would number events from 1 again)
SELECT pg_catalog.pg_extension_config_dump('healthhub.link_events_event_id_seq', '');
-- The linkage model (Fellegi-Sunter): for each comparison and level, m (how
-- often true matches agree at that level) and u (how often non-matches do);
-- a level weighs log2(m/u).  Models are versioned and never change once
-- made: every stored decision names the version that made it, so
-- match_explain() can show the weights that made it.  Version 1 is the
-- neutral start (made at first use); healthhub.train_linkage() estimates the
-- next from the data by EM.

CREATE TABLE healthhub.linkage_models (
    model_version   integer PRIMARY KEY CHECK (model_version >= 1),
    method          text NOT NULL CHECK (method IN ('neutral', 'em')),
    -- P(match) of two records taken at random (the weights' u are too)
    prior           double precision NOT NULL CHECK (prior > 0 AND prior < 1),
    -- a pair at or above match_probability is linked; between the two it is
    -- linked to a new person and queued for review as a possible match
    match_probability    double precision NOT NULL CHECK (match_probability > 0 AND match_probability < 1),
    possible_probability double precision NOT NULL CHECK (possible_probability > 0),
    -- the blocking rules whose keys find candidates (linkage_blocking_rules)
    blocking_rules  text[] NOT NULL,
    -- a pair whose names differ entirely (both known) is held just under
    -- the possible-match threshold, whatever else agrees: twins
    names_must_agree boolean NOT NULL DEFAULT true,
    pairs           bigint,
    iterations      integer,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by      name NOT NULL DEFAULT CURRENT_USER,
    CONSTRAINT linkage_models_thresholds CHECK (possible_probability < match_probability)
);
COMMENT ON TABLE healthhub.linkage_models IS
    'Versions of the linkage model: prior, thresholds, how it was made; never changed once made';
SELECT pg_catalog.pg_extension_config_dump('healthhub.linkage_models', '');

CREATE TABLE healthhub.linkage_weights (
    model_version   integer NOT NULL REFERENCES healthhub.linkage_models,
    comparison      text NOT NULL,
    level           text NOT NULL,
    m               double precision NOT NULL CHECK (m > 0 AND m < 1),
    u               double precision NOT NULL CHECK (u > 0 AND u < 1),
    PRIMARY KEY (model_version, comparison, level)
);
COMMENT ON TABLE healthhub.linkage_weights IS 'm and u of each comparison level, per model version';
SELECT pg_catalog.pg_extension_config_dump('healthhub.linkage_weights', '');

-- How common each surname is: agreeing on 王 says less than agreeing on 尉迟.
CREATE TABLE healthhub.surname_frequencies (
    model_version   integer NOT NULL REFERENCES healthhub.linkage_models,
    surname         text NOT NULL,
    frequency       double precision NOT NULL CHECK (frequency > 0 AND frequency <= 1),
    PRIMARY KEY (model_version, surname)
);
COMMENT ON TABLE healthhub.surname_frequencies IS 'Surname frequencies among the records a model was trained on';
SELECT pg_catalog.pg_extension_config_dump('healthhub.surname_frequencies', '');

CREATE FUNCTION healthhub.linkage_model_frozen() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'linkage models are never changed once made'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = format('%s on healthhub.%s is not allowed.', TG_OP, TG_TABLE_NAME),
              HINT = 'Decisions name the model version that made them; train a new version instead.';
END
$$;
CREATE TRIGGER linkage_models_frozen BEFORE UPDATE OR DELETE ON healthhub.linkage_models
    FOR EACH ROW EXECUTE FUNCTION healthhub.linkage_model_frozen();
CREATE TRIGGER linkage_weights_frozen BEFORE UPDATE OR DELETE ON healthhub.linkage_weights
    FOR EACH ROW EXECUTE FUNCTION healthhub.linkage_model_frozen();
CREATE TRIGGER surname_frequencies_frozen BEFORE UPDATE OR DELETE ON healthhub.surname_frequencies
    FOR EACH ROW EXECUTE FUNCTION healthhub.linkage_model_frozen();

-- The comparisons and their levels, strongest agreement first (the C
-- comparators return the level's position; "missing" weighs nothing).
CREATE VIEW healthhub.linkage_comparisons AS
SELECT c.comparison, c.level_no, c.level
  FROM (VALUES
    ('name', 1, 'hanzi'), ('name', 2, 'pinyin'), ('name', 3, 'pinyin_close'), ('name', 4, 'pinyin_near'),
    ('name', 5, 'other'),
    ('birth_date', 1, 'exact'), ('birth_date', 2, 'day_month_swapped'), ('birth_date', 3, 'one_part_off'),
    ('birth_date', 4, 'other'),
    ('sex', 1, 'same'), ('sex', 2, 'other'),
    ('phone', 1, 'exact'), ('phone', 2, 'last_8'), ('phone', 3, 'other'),
    ('region', 1, 'county'), ('region', 2, 'prefecture'), ('region', 3, 'province'), ('region', 4, 'other'),
    ('identifier', 1, 'exact'), ('identifier', 2, 'one_or_two_apart'), ('identifier', 3, 'other')
  ) c(comparison, level_no, level);
COMMENT ON VIEW healthhub.linkage_comparisons IS 'The comparisons of the linkage model and their levels';

-- Blocking: only records that share a key with the incoming one are
-- compared.  Every record has a key for each rule (record_block_keys); a
-- model version says which rules find its candidates.
CREATE VIEW healthhub.linkage_blocking_rules AS
SELECT r.rule, r.key_form, r.by_default
  FROM (VALUES
    ('pinyin_birth_year', 'pinyin of the name, birth year', true),
    ('initials_birth_date', 'initials of the name, birth date', true),
    ('birth_date_sex_prefecture', 'birth date, sex, prefecture of the address', true),
    ('phone', 'last 8 digits of the phone number', true),
    ('hanzi', 'the name in simplified characters (large blocks for common names)', false)
  ) r(rule, key_form, by_default);
COMMENT ON VIEW healthhub.linkage_blocking_rules IS 'The blocking rules a linkage model may use';

-- The neutral start: agreement likely for matches (m), rare by chance (u,
-- roughly what two people taken at random share: one birth date in 20,000,
-- one name in 10,000).  Training replaces it.
CREATE FUNCTION healthhub.linkage_neutral_weights()
    RETURNS TABLE (comparison text, level text, m double precision, u double precision)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT v.comparison, v.level, v.m, v.u FROM (VALUES
        ('name', 'hanzi', 0.80, 0.0001), ('name', 'pinyin', 0.08, 0.0001),
        ('name', 'pinyin_close', 0.05, 0.001), ('name', 'pinyin_near', 0.03, 0.01),
        ('name', 'other', 0.04, 0.9888),
        ('birth_date', 'exact', 0.90, 0.00005), ('birth_date', 'day_month_swapped', 0.02, 0.00005),
        ('birth_date', 'one_part_off', 0.04, 0.0005), ('birth_date', 'other', 0.04, 0.9994),
        ('sex', 'same', 0.98, 0.5), ('sex', 'other', 0.02, 0.5),
        ('phone', 'exact', 0.70, 0.00001), ('phone', 'last_8', 0.05, 0.00001), ('phone', 'other', 0.25, 0.99998),
        ('region', 'county', 0.70, 0.02), ('region', 'prefecture', 0.15, 0.08),
        ('region', 'province', 0.10, 0.10), ('region', 'other', 0.05, 0.80),
        ('identifier', 'exact', 0.90, 0.000001), ('identifier', 'one_or_two_apart', 0.07, 0.00001),
        ('identifier', 'other', 0.03, 0.999989)) v(comparison, level, m, u);
END;

-- The model in force: the newest version, made neutral at first use.
CREATE FUNCTION healthhub.linkage_model() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v integer;
BEGIN
    SELECT max(model_version) INTO v FROM healthhub.linkage_models;
    IF v IS NOT NULL THEN
        RETURN v;
    END IF;
    -- (a lock only the owner can take: any login could hold an advisory one)
    LOCK TABLE healthhub.linkage_models IN SHARE ROW EXCLUSIVE MODE;
    SELECT max(model_version) INTO v FROM healthhub.linkage_models;
    IF v IS NULL THEN
        v := 1;
        INSERT INTO healthhub.linkage_models (model_version, method, prior, match_probability, possible_probability,
                                              blocking_rules)
        VALUES (v, 'neutral', 0.000001, 0.99, 0.2,
                ARRAY(SELECT b.rule FROM healthhub.linkage_blocking_rules b WHERE b.by_default ORDER BY b.rule));
        INSERT INTO healthhub.linkage_weights (model_version, comparison, level, m, u)
        SELECT v, w.comparison, w.level, w.m, w.u FROM healthhub.linkage_neutral_weights() w;
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION healthhub.linkage_model() IS
    'The linkage model version in force (the newest; the neutral start is made at first use)';
-- Linking one record at a time (docs/linkage.md): validate and key the
-- record, try the deterministic tier (identifiers), then the probabilistic
-- one (blocking, Fellegi-Sunter scores), decide, write the link, its history
-- and its audit entry, and rebuild the person's golden record.

-- Every record has a key for each blocking rule ("rule:value"), stored as
-- its 64-bit hash: an index of 8-byte keys is several times smaller and
-- faster to fill than one of the strings, and a collision only adds a
-- candidate that scoring then rejects.  Only the rules of the model in
-- force are kept (healthhub.rebuild_block_keys() after changing them).
-- Derived from source_records, without a foreign key: link_record and
-- link_batch keep it in step, and a record's keys are found by computing
-- them again.
CREATE TABLE healthhub.record_block_keys (
    block_hash      bigint NOT NULL,
    record_id       bigint NOT NULL,     -- source_records.record_id
    PRIMARY KEY (block_hash, record_id)
);
COMMENT ON TABLE healthhub.record_block_keys IS 'Hashed blocking keys of the source records (one per rule)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.record_block_keys', '');

CREATE FUNCTION healthhub.block_hash(block_key text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.hashtextextended(block_key, 0);

-- (The helpers below that link_record runs on every call are PL/pgSQL, not
-- SQL-standard bodies: PL/pgSQL keeps its plans for the session, a SQL
-- function is planned again on every call.  other_number_held and
-- identifier_links are SQL with string bodies: they take a source_records
-- row or a batch's work row alike (anyelement), and the planner inlines them.)

-- Comparators and scores, in C (src/linkage/record_compare.c).
CREATE FUNCTION healthhub.comparison_levels(a healthhub.source_records, b healthhub.source_records)
    RETURNS smallint[]
    AS 'MODULE_PATHNAME', 'hh_comparison_levels_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.comparison_levels(healthhub.source_records, healthhub.source_records) IS
    'The level of each comparison of two records (0 missing, 1 strongest agreement), in linkage_comparisons order';
-- (b_person_number: the resident ID number b's person holds, which stands
-- for b's own when b gives none: a record is scored against the person.)
CREATE FUNCTION healthhub.match_score(a healthhub.source_records, b healthhub.source_records, model integer,
                                      b_person_number healthhub.resident_id DEFAULT NULL)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'hh_match_score' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.match_score(healthhub.source_records, healthhub.source_records, integer,
                                          healthhub.resident_id) IS
    'Match weight of two records under a model: prior log-odds plus each comparison''s log2(m/u), less what the model holds back';
CREATE FUNCTION healthhub.match_weights(a healthhub.source_records, b healthhub.source_records, model integer,
                                        b_person_number healthhub.resident_id DEFAULT NULL)
    RETURNS TABLE (comparison text, level text, weight double precision)
    AS 'MODULE_PATHNAME', 'hh_match_weights' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.match_weights(healthhub.source_records, healthhub.source_records, integer,
                                            healthhub.resident_id) IS
    'The weights that sum to match_score: one per comparison, the surname adjustment, the prior, what was held back';

CREATE FUNCTION healthhub.birth_date_level(a date, b date) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_birth_date_level' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.birth_date_level(date, date) IS
    'How two birth dates agree: exact, day_month_swapped, one_part_off, other (missing if either is NULL)';

CREATE FUNCTION healthhub.match_probability(weight double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN 1.0 / (1.0 + pg_catalog.power(2.0::double precision, -weight));

-- yyyymmdd of a date, independent of DateStyle.
CREATE FUNCTION healthhub.ymd(d date) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (pg_catalog.date_part('year', d) * 10000 + pg_catalog.date_part('month', d) * 100
            + pg_catalog.date_part('day', d))::integer;

-- A record's blocking keys and their hashes (src/linkage/block_keys.c).
CREATE FUNCTION healthhub.block_keys(name_pinyin text, name_initials text, name_hanzi text, birth_date date,
                                     sex smallint, region healthhub.region_code, phone text) RETURNS text[]
    AS 'MODULE_PATHNAME', 'hh_block_keys' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION healthhub.block_keys(r healthhub.source_records) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN healthhub.block_keys(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region, r.phone);
COMMENT ON FUNCTION healthhub.block_keys(healthhub.source_records) IS
    'A record''s blocking keys, one per rule that applies ("rule:value")';
CREATE FUNCTION healthhub.block_hashes(name_pinyin text, name_initials text, name_hanzi text, birth_date date,
                                       sex smallint, region healthhub.region_code, phone text, rules text[])
    RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'hh_block_hashes' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION healthhub.block_hashes(r healthhub.source_records, rules text[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN healthhub.block_hashes(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region,
                                  r.phone, rules);
COMMENT ON FUNCTION healthhub.block_hashes(healthhub.source_records, text[]) IS
    'The distinct block_hash() of a record''s keys of the given rules (NULL: every rule)';

-- Remove a record's keys (found by computing them again from the stored row).
CREATE FUNCTION healthhub.forget_block_keys(r healthhub.source_records) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM healthhub.record_block_keys bk
     WHERE bk.block_hash = ANY (healthhub.block_hashes(r, NULL)) AND bk.record_id = r.record_id;
END
$$;

-- Sex codes without raising: 1, 2, NULL for "not known", 0 for not a code.
CREATE FUNCTION healthhub.sex_code(t text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE pg_catalog.lower(pg_catalog.btrim(t))
               WHEN '1' THEN 1 WHEN 'm' THEN 1 WHEN 'male' THEN 1 WHEN '男' THEN 1
               WHEN '2' THEN 2 WHEN 'f' THEN 2 WHEN 'female' THEN 2 WHEN '女' THEN 2
               WHEN '0' THEN NULL WHEN '9' THEN NULL WHEN '' THEN NULL WHEN 'unknown' THEN NULL WHEN '未知' THEN NULL
               ELSE CASE WHEN t IS NULL THEN NULL ELSE 0 END END::smallint;

-- A phone's digits without raising: NULL if empty, '' if not a number
-- (src/linkage/record_fields.c).
CREATE FUNCTION healthhub.phone_digits(t text) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_phone_digits_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.phone_digits(text) IS
    'A phone number''s digits (+86 or 0086 removed), NULL if empty, an empty string if not 7 to 15 digits';

-- Why an identifier's text does not parse, or NULL (never raises).
CREATE FUNCTION healthhub.health_identifier_problem(text) RETURNS text
    AS 'MODULE_PATHNAME', 'health_identifier_problem' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.health_identifier_problem(text) IS
    'The DETAIL health_identifier input would raise for this text, or NULL if it is valid';
CREATE FUNCTION healthhub.name_keys_or_null(name text, OUT hanzi text, OUT pinyin text, OUT initials text,
                                            OUT surname text, OUT given_pinyin text)
    AS 'MODULE_PATHNAME', 'hh_name_keys_or_null' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.name_keys_or_null(text) IS 'name_keys(), or NULL for a name it would refuse';
CREATE FUNCTION healthhub.name_problem(name text) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_name_problem_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.name_problem(text) IS 'Why name_keys() would refuse a name, or NULL';

-- A birth date as extracts write it, or NULL if it is not one (never
-- raises; src/linkage/record_fields.c).
CREATE FUNCTION healthhub.birth_date_or_null(t text) RETURNS date
    AS 'MODULE_PATHNAME', 'hh_birth_date_or_null' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.birth_date_or_null(text) IS
    'A birth date written YYYYMMDD or YYYY-M-D (- / or .), from 1880 on, or NULL if the text is not one';

-- A resident ID number whose birth date contradicts the record's is someone
-- else's (a parent's on a child's record): evidence, never a match.  A sex
-- that contradicts it says the same, unless the birth dates agree exactly:
-- then the sex is a slip of the record's, not of the number.
CREATE FUNCTION healthhub.resident_id_contradicts(id healthhub.resident_id, birth_date date, sex smallint)
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN id IS NULL THEN false
                WHEN birth_date IS NULL THEN coalesce(sex <> healthhub.resident_id_sex(id), false)
                WHEN healthhub.birth_date_level(birth_date, healthhub.resident_id_birth_date(id)) = 'exact' THEN false
                WHEN healthhub.birth_date_level(birth_date, healthhub.resident_id_birth_date(id)) = 'other' THEN true
                ELSE coalesce(sex <> healthhub.resident_id_sex(id), false) END;
COMMENT ON FUNCTION healthhub.resident_id_contradicts(healthhub.resident_id, date, smallint) IS
    'Whether a record''s birth date (or, without one, its sex) contradicts the resident ID number it carries';

-- The longest source and local id a record may have: they are the key of
-- its row, and a btree entry holds at most about 2700 bytes.
CREATE FUNCTION healthhub.record_key_problem(source text, local_id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN coalesce(btrim(source), '') = '' THEN 'an institution is required'
                WHEN coalesce(btrim(local_id), '') = '' THEN 'a local id is required'
                WHEN pg_catalog.octet_length(btrim(source)) > 200 THEN 'an institution code has at most 200 bytes'
                WHEN pg_catalog.octet_length(btrim(local_id)) > 1000 THEN 'a local id has at most 1000 bytes' END;
COMMENT ON FUNCTION healthhub.record_key_problem(text, text) IS
    'Why a source and local id cannot key a record (missing, or too long), or NULL';

-- The one preparation of a person record, for link_record (which raises
-- the first problem, prepare_record) and link_batch (which reports every
-- one, staged_person_records): the fields as the index keeps them, and for
-- each field why it cannot be used (NULL: no problem; the field is then
-- NULL too).  The source's institutions are looked up by the caller
-- (institutions_named_by: link_batch once per source).  The arguments are
-- the texts as received, by position; the first subquery names them.
-- Blank other identifiers are dropped.
-- (A plain SQL body, which the planner inlines into its caller.)
CREATE FUNCTION healthhub.person_record_prepared(text, text, bigint[], text, text, text, text, text, text, text[])
    RETURNS TABLE (source text, local_id text, institution_key bigint, name text, name_hanzi text, name_pinyin text,
                   name_initials text, surname text, name_given_pinyin text, sex smallint, birth_date date,
                   identifier_text text, resident_id healthhub.resident_id, id_conflict boolean, phone text,
                   region healthhub.region_code, other_identifiers healthhub.health_identifier[],
                   key_problem text, institution_problem text, name_problem text, sex_problem text,
                   birth_date_problem text, phone_problem text, region_problem text, others_problem text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT f.source, f.local_id, f.institutions[1], f.name, f.hanzi, f.pinyin, f.initials, f.surname, f.given_pinyin,
           nullif(f.sex, 0), f.birth_date, f.identifier, f.resident_id,
           healthhub.resident_id_contradicts(f.resident_id, f.birth_date, nullif(f.sex, 0)),
           nullif(f.phone, ''), CASE WHEN f.region_ok THEN f.region::healthhub.region_code END,
           CASE WHEN f.others_problem IS NULL THEN f.others::healthhub.health_identifier[] END,
           healthhub.record_key_problem(f.source, f.local_id),
           CASE WHEN cardinality(f.institutions) > 1 THEN 'names more than one institution (their keys or source_refs)' END,
           CASE WHEN f.name IS NOT NULL AND f.hanzi IS NULL THEN healthhub.name_problem(f.name) END,
           CASE WHEN f.sex = 0 THEN 'Sex is 1 or 2 (GB/T 2261.1), M or F, male or female, 男 or 女; 0 or 9 if not known.' END,
           CASE WHEN f.birth_text IS NOT NULL AND f.birth_date IS NULL
                THEN 'A birth date is written YYYY-MM-DD (or YYYYMMDD, YYYY/MM/DD) and lies between 1880-01-01 and today.' END,
           CASE WHEN f.phone = '' THEN 'A phone number has 7 to 15 digits, with optional spaces, hyphens, brackets and a +86 prefix.' END,
           CASE WHEN f.region IS NOT NULL AND NOT f.region_ok THEN 'A region is the 6-digit code of a county in healthhub.regions.' END,
           f.others_problem
      -- (each field parsed once: OFFSET 0 keeps the planner from copying
      -- the parsers into every expression that reads their results)
      FROM (SELECT t.*, k.hanzi, k.pinyin, k.initials, k.surname, k.given_pinyin,
                   CASE WHEN t.parsed_birth_date <= current_date THEN t.parsed_birth_date END AS birth_date,
                   CASE WHEN healthhub.is_valid_resident_id(t.identifier) THEN healthhub.resident_id(t.identifier) END
                       AS resident_id,
                   t.region IN (SELECT g.code::text FROM healthhub.regions g) AS region_ok,
                   (SELECT string_agg(healthhub.health_identifier_problem(x), ' ') FROM unnest(t.others) x) AS others_problem
              FROM (SELECT btrim($1) AS source, btrim($2) AS local_id, $3 AS institutions, nullif(btrim($4), '') AS name,
                           healthhub.sex_code($5) AS sex, nullif(btrim($6), '') AS birth_text,
                           healthhub.birth_date_or_null($6) AS parsed_birth_date, nullif(btrim($7), '') AS identifier,
                           healthhub.phone_digits($8) AS phone, nullif(btrim($9), '') AS region,
                           ARRAY(SELECT btrim(x) FROM unnest($10) x WHERE btrim(x) <> '') AS others
                    OFFSET 0) t
              LEFT JOIN LATERAL healthhub.name_keys_or_null(t.name) k ON true
            OFFSET 0) f;
END;
COMMENT ON FUNCTION healthhub.person_record_prepared(text, text, bigint[], text, text, text, text, text, text, text[]) IS
    'A person record''s fields (source, local id, institutions, name, sex, birth date, identifier, phone, region, other identifiers) as the index keeps them, and why each cannot be used';

-- Validate and key one record (link_record), without writing anything:
-- the first problem raises.
CREATE FUNCTION healthhub.prepare_record(source text, local_id text, name text, sex text, birth_date date,
                                         identifier text, phone text, region text, other_identifiers text[])
    RETURNS healthhub.source_records
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
    p record;
    bad record;
BEGIN
    IF array_position(other_identifiers, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'other_identifiers holds a NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('Element %s of the array is NULL.', array_position(other_identifiers, NULL)),
                  HINT = 'Pass only the identifiers the record has: ''{}'' for none.';
    END IF;
    SELECT * INTO p FROM healthhub.person_record_prepared(source, local_id, NULL, name, sex,
                                                          to_char(birth_date, 'YYYY-MM-DD'), identifier, phone, region,
                                                          other_identifiers);
    IF p.key_problem LIKE '%required' THEN
        RAISE EXCEPTION 'a source record needs its source and local id'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('source %L, local_id %L', source, local_id);
    ELSIF p.key_problem IS NOT NULL THEN
        RAISE EXCEPTION 'source or local id too long: %', p.key_problem
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The source has %s bytes, the local id %s.', octet_length(p.source), octet_length(p.local_id));
    END IF;
    SELECT f.noun, f.value, f.reason INTO bad
      FROM (VALUES (1, 'name', name, p.name_problem), (2, 'sex', sex, p.sex_problem),
                   (3, 'birth date', birth_date::text, p.birth_date_problem), (4, 'phone number', phone, p.phone_problem),
                   (5, 'region', region, p.region_problem),
                   (6, 'other identifiers', array_to_string(other_identifiers, ';'), p.others_problem)) f(n, noun, value, reason)
     WHERE f.reason IS NOT NULL ORDER BY f.n LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'invalid %: "%"', bad.noun, bad.value
            USING ERRCODE = 'invalid_parameter_value', DETAIL = bad.reason;
    END IF;
    r.source := p.source;
    r.local_id := p.local_id;
    r.institution_key := healthhub.institution_for_source(p.source);
    r.name := p.name;
    r.name_hanzi := p.name_hanzi;
    r.name_pinyin := p.name_pinyin;
    r.name_initials := p.name_initials;
    r.surname := p.surname;
    r.name_given_pinyin := p.name_given_pinyin;
    r.sex := p.sex;
    r.birth_date := p.birth_date;
    r.identifier_text := p.identifier_text;
    r.resident_id := p.resident_id;
    r.id_conflict := p.id_conflict;
    r.phone := p.phone;
    r.region := p.region;
    r.other_identifiers := p.other_identifiers;
    RETURN r;
END
$$;
COMMENT ON FUNCTION healthhub.prepare_record(text, text, text, text, date, text, text, text, text[]) IS
    'Validate a record and derive its keys (resident ID, conflict flag, name keys) without writing anything';

-- The institution a source names: the registry's institution whose
-- source_ref or key it is, NULL if none.  A source_ref two registry feeds
-- both use names no institution for sure: refused, never guessed.
-- Every institution a source names (its key or source_ref), without judging:
-- institution_for_source() refuses several, link_batch reports them.
CREATE FUNCTION healthhub.institutions_named_by(source text) RETURNS bigint[]
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT array_agg(DISTINCT i.institution_key) FROM healthhub.institutions i
     WHERE i.source_ref = btrim(institutions_named_by.source)
        OR i.institution_key = CASE WHEN btrim(institutions_named_by.source) ~ '^[0-9]{1,18}$'
                                    THEN btrim(institutions_named_by.source)::bigint END;
END;

CREATE FUNCTION healthhub.institution_for_source(source text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found bigint[] := healthhub.institutions_named_by(source);
BEGIN
    IF cardinality(found) > 1 THEN
        RAISE EXCEPTION 'source "%" names more than one institution', source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Institutions %s all have it as their key or source_ref.', array_to_string(found, ', ')),
                  HINT = 'Send records under the institution''s key, or give the institutions distinct source_refs.';
    END IF;
    RETURN found[1];
END
$$;
COMMENT ON FUNCTION healthhub.institution_for_source(text) IS
    'The institution a record source names (its key or source_ref), NULL if none; raises if several';

-- Who may act on the records of a source: hub_admin any; an institution's
-- application only its own institution's.  Decided from the source alone,
-- before any record is looked up, so the answer says nothing about which
-- records another institution has.  Returns the source's institution.
CREATE FUNCTION healthhub.linkage_authorise(source text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN healthhub.linkage_authorise_institution(source, healthhub.institution_for_source(source));
END
$$;

-- The same, for a source whose institution the caller has looked up already.
CREATE FUNCTION healthhub.linkage_authorise_institution(source text, institution bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.acting_role_is_admin()
       AND (institution IS NULL OR institution IS DISTINCT FROM healthhub.acting_role_institution()) THEN
        RAISE EXCEPTION 'role % may not act on records of source %', healthhub.acting_role(), source
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'An institution''s application acts on the records of its own institution only.',
                  HINT = 'The source must be the institution''s key or source_ref in healthhub.institutions.';
    END IF;
    RETURN institution;
END
$$;

-- A record of a source the caller may act on (locked with for_update);
-- "no record" alike for one that does not exist and one filed under
-- another institution.
CREATE FUNCTION healthhub.authorised_record(source text, local_id text, linked_only boolean, for_update boolean)
    RETURNS healthhub.source_records
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.linkage_authorise(source);
    r healthhub.source_records;
BEGIN
    IF for_update THEN
        SELECT * INTO r FROM healthhub.source_records s
         WHERE s.source = btrim(authorised_record.source) AND s.local_id = btrim(authorised_record.local_id)
           FOR UPDATE;
    ELSE
        SELECT * INTO r FROM healthhub.source_records s
         WHERE s.source = btrim(authorised_record.source) AND s.local_id = btrim(authorised_record.local_id);
    END IF;
    IF r.source IS NULL OR (linked_only AND r.withdrawn_at IS NOT NULL)
       OR NOT (healthhub.acting_role_is_admin() OR r.institution_key IS NOT DISTINCT FROM institution) THEN
        RAISE EXCEPTION 'no % record %/%', CASE WHEN linked_only THEN 'linked' ELSE 'such' END, source, local_id
            USING ERRCODE = 'no_data_found', HINT = 'Link it with healthhub.link_record() first.';
    END IF;
    RETURN r;
END
$$;

-- Whether the caller may tie its record r to person: hub_admin any person;
-- an institution's application its record's own person, the candidate the
-- review queue offers it, or a person holding a record of its institution.
CREATE FUNCTION healthhub.linkage_authorise_person(r healthhub.source_records, person bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF person IS NULL OR healthhub.acting_role_is_admin() OR person = r.person_key
       OR EXISTS (SELECT FROM healthhub.link_decisions l
                   WHERE l.source = r.source AND l.local_id = r.local_id AND l.person_key = person
                     AND l.state = 'possible_match')
       OR EXISTS (SELECT FROM healthhub.source_records s
                   WHERE s.person_key = person AND s.institution_key = r.institution_key) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'role % may not tie a record to person %', healthhub.acting_role(), person
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = 'An institution''s application ties its records to its own patients or to the candidate the review queue offers.',
              HINT = 'A hub_admin reviewer decides links to other persons.';
END
$$;

-- Record a link decision: a row in link_events and an audit trail entry.
CREATE FUNCTION healthhub.log_link_event(action text, source text, local_id text, person bigint, other bigint,
                                         old_state text, new_state text, origin text, score double precision,
                                         model integer, weights jsonb, reason text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO healthhub.link_events (entry_id, action, source, local_id, record_id, person_key, other_person,
                                       old_state, new_state, origin, score, model_version, weights, reason)
    VALUES (healthhub.audit_append('link.' || action, 'person_link',
                                   coalesce(source || '/' || local_id, other::text), person,
                                   'patient identity management', 'ok'),
            action, source, local_id,
            (SELECT s.record_id FROM healthhub.source_records s
              WHERE s.source = log_link_event.source AND s.local_id = log_link_event.local_id),
            person, other, old_state, new_state, origin, score, model, weights, reason);
END
$$;

-- A resident ID number person holds other than the record's own, if any:
-- a record is never linked to a person that holds another valid number
-- (two valid numbers are two people; a mistyped digit fails the check
-- character).  r is a source_records row or a batch's work row like it.
CREATE FUNCTION healthhub.other_number_held(r anyelement, person bigint) RETURNS healthhub.resident_id
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pi.resident_id FROM healthhub.person_identifiers pi
     WHERE pi.person_key = $2 AND pi.resident_id IS NOT NULL
       AND NOT ($1.resident_id IS NOT NULL AND NOT $1.id_conflict
                AND pi.resident_id OPERATOR(healthhub.=) $1.resident_id)
       -- (a number the person holds only through this very record, which
       -- is being corrected, is not another's)
       AND EXISTS (SELECT FROM healthhub.source_records s
                    WHERE s.person_key = $2 AND s.resident_id OPERATOR(healthhub.=) pi.resident_id
                      AND NOT s.id_conflict AND s.withdrawn_at IS NULL
                      AND NOT (s.source = $1.source AND s.local_id = $1.local_id))
     LIMIT 1
$$;

-- Whether an identifier may link record r to person by itself: no reviewer
-- said they differ, the person holds no other resident ID number than the
-- record's, and, when the model says names must agree, one of the person's
-- records has a name that is not entirely different (a parent's number on a
-- child's record without a birth date to contradict it; an insurance number
-- sent with someone else's name).  One rule for link_record and link_batch.
-- (name_required: for identifiers other than the resident ID number, which
-- families and fraud share, a name that agrees must be there, not merely
-- no name that differs.)
CREATE FUNCTION healthhub.identifier_links(r anyelement, person bigint, names_must_agree boolean,
                                           name_required boolean) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT NOT EXISTS (SELECT FROM healthhub.link_decisions l
                        WHERE l.source = $1.source AND l.local_id = $1.local_id AND l.person_key = $2
                          AND l.state = 'no_match')
       AND ($1.resident_id IS NULL OR $1.id_conflict OR healthhub.other_number_held($1, $2) IS NULL)
       AND (NOT $3
            OR EXISTS (SELECT FROM healthhub.source_records s
                        WHERE s.person_key = $2 AND s.withdrawn_at IS NULL
                          AND (healthhub.batch_comparison_levels($1, s))[1]
                              BETWEEN CASE WHEN $4 THEN 1 ELSE 0 END AND 4))
$$;

-- The decision for a prepared record; reads only.  Deterministic tier: the
-- resident ID number (unless it contradicts the record), then the other
-- identifiers.  Probabilistic tier: the best-scoring record among those that
-- share a blocking key of the model, scored against its person (the number
-- its person holds stands for its own).  A manual no_match is never crossed.
CREATE FUNCTION healthhub.find_match(r healthhub.source_records, model integer,
                                     OUT person_key bigint, OUT decision text, OUT tier text,
                                     OUT score double precision, OUT probability double precision,
                                     OUT matched_source text, OUT matched_local_id text,
                                     OUT matched_number healthhub.resident_id, OUT candidates integer)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    m healthhub.linkage_models;
    keys bigint[];
    best record;
BEGIN
    candidates := 0;
    SELECT * INTO m FROM healthhub.linkage_models lm WHERE lm.model_version = model;
    IF r.resident_id IS NOT NULL AND NOT r.id_conflict THEN
        SELECT pi.person_key INTO person_key FROM healthhub.person_identifiers pi
         WHERE pi.resident_id OPERATOR(healthhub.=) r.resident_id
           AND healthhub.identifier_links(r, pi.person_key, m.names_must_agree, false);
        IF person_key IS NOT NULL THEN
            decision := 'matched';
            tier := 'resident_id';
            RETURN;
        END IF;
    END IF;
    IF cardinality(r.other_identifiers) > 0 THEN
        SELECT pi.person_key INTO person_key FROM healthhub.person_identifiers pi
         WHERE pi.identifier OPERATOR(healthhub.=) ANY (r.other_identifiers)
           AND healthhub.identifier_links(r, pi.person_key, m.names_must_agree, true)
         ORDER BY pi.person_key LIMIT 1;
        IF person_key IS NOT NULL THEN
            decision := 'matched';
            tier := 'identifier';
            RETURN;
        END IF;
    END IF;

    keys := healthhub.block_hashes(r, m.blocking_rules);
    SELECT count(*) OVER () AS n, c.person_key, c.source, c.local_id, c.held,
           healthhub.match_score(r, c.rec, model, c.held) AS w
      INTO best
      FROM (SELECT s.person_key, s.source, s.local_id, s.record_id, s.rec,
                   CASE WHEN r.resident_id IS NOT NULL AND NOT r.id_conflict
                        THEN healthhub.other_number_held(r, s.person_key) END AS held
              FROM (SELECT DISTINCT bk.record_id FROM healthhub.record_block_keys bk WHERE bk.block_hash = ANY (keys)) b
              -- (each candidate by its id: a plan kept from when the index
              -- was young, or made on statistics of an empty table, would
              -- hash the whole records table for a few dozen of them)
              CROSS JOIN LATERAL (SELECT s1 AS rec, s1.person_key, s1.source, s1.local_id, s1.record_id, s1.withdrawn_at
                                    FROM healthhub.source_records s1 WHERE s1.record_id = b.record_id OFFSET 0) s
             WHERE s.withdrawn_at IS NULL AND NOT (s.source = r.source AND s.local_id = r.local_id)
               AND NOT EXISTS (SELECT FROM healthhub.link_decisions l
                                WHERE l.source = r.source AND l.local_id = r.local_id
                                  AND l.person_key = s.person_key AND l.state = 'no_match')) c
     ORDER BY w DESC, c.person_key, c.record_id LIMIT 1;
    IF best.person_key IS NULL THEN
        decision := 'created';
        tier := 'none';
        RETURN;
    END IF;
    candidates := best.n;
    score := best.w;
    probability := healthhub.match_probability(best.w);
    matched_source := best.source;
    matched_local_id := best.local_id;
    matched_number := best.held;
    tier := 'probabilistic';
    IF probability >= m.match_probability THEN
        person_key := best.person_key;
        decision := 'matched';
    ELSIF probability >= m.possible_probability THEN
        person_key := best.person_key;     -- the candidate for review
        decision := 'possible_match';
    ELSE
        decision := 'created';
    END IF;
END
$$;

-- The person's identifiers are those of its records (a conflicting resident
-- ID excepted); one already held by another person stays there.
CREATE FUNCTION healthhub.sync_person_identifiers(person bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM healthhub.person_identifiers pi
     WHERE pi.person_key = sync_person_identifiers.person
       AND NOT EXISTS (SELECT FROM healthhub.source_records s
                        WHERE s.person_key = sync_person_identifiers.person
                          AND ((s.resident_id OPERATOR(healthhub.=) pi.resident_id AND NOT s.id_conflict)
                               OR pi.identifier OPERATOR(healthhub.=) ANY (s.other_identifiers)));
    -- one number a person: a person that holds none takes its earliest
    -- record's (a record tied to it by hand with another keeps that to itself)
    INSERT INTO healthhub.person_identifiers (resident_id, person_key)
    SELECT s.resident_id, s.person_key FROM healthhub.source_records s
     WHERE s.person_key = sync_person_identifiers.person AND s.resident_id IS NOT NULL AND NOT s.id_conflict
       AND NOT EXISTS (SELECT FROM healthhub.person_identifiers pi
                        WHERE pi.person_key = sync_person_identifiers.person AND pi.resident_id IS NOT NULL)
     ORDER BY s.received_at, s.record_id LIMIT 1
    ON CONFLICT (resident_id) WHERE resident_id IS NOT NULL DO NOTHING;
    INSERT INTO healthhub.person_identifiers (identifier, person_key)
    SELECT DISTINCT i, s.person_key FROM healthhub.source_records s, unnest(s.other_identifiers) i
     WHERE s.person_key = sync_person_identifiers.person
    ON CONFLICT (identifier) WHERE identifier IS NOT NULL DO NOTHING;
END
$$;

-- How each golden field is chosen from a person's records: most_frequent
-- (ties: the most recent) unless a row here says most_recent.
CREATE TABLE healthhub.survivorship_rules (
    field           text PRIMARY KEY CHECK (field IN ('resident_id', 'name', 'sex', 'birth_date', 'phone', 'region')),
    rule            text NOT NULL CHECK (rule IN ('most_frequent', 'most_recent'))
);
COMMENT ON TABLE healthhub.survivorship_rules IS
    'How each golden-record field is chosen: most_frequent (the default, ties to the most recent) or most_recent';
SELECT pg_catalog.pg_extension_config_dump('healthhub.survivorship_rules', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.survivorship_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('survivorship_rule', 'field', 'patient identity management');

-- One field of a golden record from a person's records (src/linkage/golden.c):
-- values grouped by key, the most frequent group (ties: the most recent)
-- or with most_recent the most recent one; it shows its latest value.
CREATE FUNCTION healthhub.golden_value_step(internal, key text, value text, at timestamptz, most_recent boolean)
    RETURNS internal AS 'MODULE_PATHNAME', 'hh_golden_value_step' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION healthhub.golden_value_final(internal) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_golden_value_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE healthhub.golden_value(key text, value text, at timestamptz, most_recent boolean) (
    SFUNC = healthhub.golden_value_step, STYPE = internal, FINALFUNC = healthhub.golden_value_final);
COMMENT ON AGGREGATE healthhub.golden_value(text, text, timestamptz, boolean) IS
    'The golden value of a field: the most frequent key (ties: most recent), or the most recent with most_recent';

-- The golden record of each person: the best value of each field over its
-- records.  (Planned for the persons at hand: link_batch asks for hundreds of
-- thousands at once; rebuild_golden_set, which link_record calls for one or
-- two, asks for a generic plan.)
CREATE FUNCTION healthhub.golden_records(persons bigint[])
    RETURNS TABLE (person_key bigint, resident_id healthhub.resident_id, name text, sex smallint, birth_date date,
                   phone text, region healthhub.region_code)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH rules AS (
        SELECT coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'resident_id'), false) AS resident_id,
               coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'name'), false) AS name,
               coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'sex'), false) AS sex,
               coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'birth_date'), false) AS birth_date,
               coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'phone'), false) AS phone,
               coalesce(bool_or(sr.rule = 'most_recent') FILTER (WHERE sr.field = 'region'), false) AS region
          FROM healthhub.survivorship_rules sr),
    golden AS (
        SELECT p.k AS person_key,
               -- (only a number the person holds: one refused for a different
               -- name stays with the person the index gives it to)
               healthhub.golden_value(pi.resident_id::text, pi.resident_id::text, s.updated_at, ru.resident_id) AS resident_id,
               -- names counted by their simplified characters
               healthhub.golden_value(s.name_hanzi, s.name, s.updated_at, ru.name) AS name,
               healthhub.golden_value(s.sex::text, s.sex::text, s.updated_at, ru.sex) AS sex,
               healthhub.golden_value(healthhub.ymd(s.birth_date)::text, healthhub.ymd(s.birth_date)::text,
                                      s.updated_at, ru.birth_date) AS birth_date,
               healthhub.golden_value(s.phone, s.phone, s.updated_at, ru.phone) AS phone,
               healthhub.golden_value(s.region::integer::text, s.region::integer::text, s.updated_at, ru.region) AS region
          FROM rules ru
         CROSS JOIN unnest(golden_records.persons) AS p(k)
          -- (each person's records by the index, whatever the plan thinks of
          -- the table's size: a plan cached while a new hub's index was
          -- nearly empty hashed the whole table on every later call)
          LEFT JOIN LATERAL (SELECT s1.* FROM healthhub.source_records s1 WHERE s1.person_key = p.k OFFSET 0) s ON true
          LEFT JOIN healthhub.person_identifiers pi
            ON pi.resident_id OPERATOR(healthhub.=) s.resident_id AND pi.person_key = s.person_key AND NOT s.id_conflict
         GROUP BY p.k)
    SELECT g.person_key, g.resident_id::healthhub.resident_id, g.name, g.sex::smallint,
           pg_catalog.to_date(g.birth_date, 'YYYYMMDD'), g.phone, g.region::integer::healthhub.region_code
      FROM golden g;
END
$$;
COMMENT ON FUNCTION healthhub.golden_records(bigint[]) IS
    'The golden record of each person, from its records by the survivorship rules';

-- (A generic plan, also for golden_records inside: planning afresh for each
-- link_record call cost more than running the statement.)
CREATE FUNCTION healthhub.rebuild_golden_set(persons bigint[]) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    UPDATE healthhub.persons p
       SET resident_id = g.resident_id, name = g.name, sex = g.sex, birth_date = g.birth_date, phone = g.phone,
           region = g.region, updated_at = pg_catalog.now()
      FROM healthhub.golden_records(rebuild_golden_set.persons) g
     -- (the persons named, by their key: with a generic plan the planner
     -- would otherwise hash the whole table for one or two of them)
     WHERE p.person_key = g.person_key AND p.person_key = ANY (rebuild_golden_set.persons);
END
$$;
COMMENT ON FUNCTION healthhub.rebuild_golden_set(bigint[]) IS
    'Rebuild the golden records of persons from their records by the survivorship rules';

CREATE FUNCTION healthhub.rebuild_golden(person bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.rebuild_golden_set(ARRAY[rebuild_golden.person]);
END
$$;
COMMENT ON FUNCTION healthhub.rebuild_golden(bigint) IS
    'Rebuild a person''s golden record from its records by the survivorship rules';

-- The explanation of a pair under a model: the weights, their sum, the
-- probability.
CREATE FUNCTION healthhub.explain_pair(a healthhub.source_records, b healthhub.source_records, model integer,
                                      b_person_number healthhub.resident_id DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT jsonb_build_object(
               'model_version', model,
               'weights', jsonb_agg(jsonb_build_object('comparison', w.comparison, 'level', w.level,
                                                       'weight', round(w.weight::numeric, 3)) ORDER BY w.ord),
               'score', round(sum(w.weight)::numeric, 3),
               'probability', round(healthhub.match_probability(sum(w.weight))::numeric, 6))
      FROM healthhub.match_weights(a, b, model, b_person_number) WITH ORDINALITY w(comparison, level, weight, ord);
END;

-- Whether this backend found the person index twice as large as when it
-- last looked, and so invalidated the plans kept for its tables
-- (src/linkage/plan_freshness.c; link_record calls it).
CREATE FUNCTION healthhub.replan_when_grown() RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_replan_when_grown' LANGUAGE C VOLATILE;

-- What link_record locks while it decides: 65,536 buckets of the keys and
-- numbers of records (a collision only makes two unrelated records wait for
-- each other).  Nobody is granted any right on it.
CREATE TABLE healthhub.link_locks (
    bucket          integer PRIMARY KEY CHECK (bucket BETWEEN 0 AND 65535)
);
INSERT INTO healthhub.link_locks SELECT g FROM pg_catalog.generate_series(0, 65535) g;
COMMENT ON TABLE healthhub.link_locks IS
    'Rows link_record locks for the keys of the record it links (a lock only the owner can take)';

-- Link one record, inside the caller's transaction: returns the person, the
-- decision (matched, created, possible_match, unchanged, kept_manual) and
-- the explanation.  Sending the same record again changes nothing; a
-- corrected record is linked again, unless a person decided its link.
CREATE FUNCTION healthhub.link_record(source text, local_id text, name text DEFAULT NULL, sex text DEFAULT NULL,
                                      birth_date date DEFAULT NULL, identifier text DEFAULT NULL,
                                      phone text DEFAULT NULL, region text DEFAULT NULL,
                                      other_identifiers text[] DEFAULT '{}',
                                      OUT person_key bigint, OUT decision text, OUT explanation jsonb)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
BEGIN
    PERFORM healthhub.check_name_keys_version(), healthhub.replan_when_grown();
    -- (validated and keyed first: that looks up no record, and gives the
    -- source's institution the check needs)
    r := healthhub.prepare_record(source, local_id, name, sex, birth_date, identifier, phone, region,
                                  other_identifiers);
    PERFORM healthhub.linkage_authorise_institution(source, r.institution_key);
    -- A bulk link running now holds the records in SHARE ROW EXCLUSIVE mode:
    -- wait for it before reading the index, not only before writing.
    LOCK TABLE healthhub.source_records IN ROW EXCLUSIVE MODE;

    -- Whoever links a record sharing a key or number with this one waits for
    -- this transaction, and then sees its person: two records of one new
    -- person linked at once make one person.  The keys lock rows of
    -- link_locks, which only the extension's owner may lock (an advisory
    -- lock any login could take, and hold to stop a patient's records being
    -- linked).  (In bucket order: no deadlocks.)
    PERFORM 1 FROM healthhub.link_locks l
     WHERE l.bucket = ANY (ARRAY(SELECT DISTINCT hashtext(k) & 65535
                                   FROM unnest(healthhub.block_keys(r)
                                               || ('record:' || r.source || '/' || r.local_id)
                                               || ('resident_id:' || r.resident_id::text)) k
                                  WHERE k IS NOT NULL))
     ORDER BY l.bucket
       FOR UPDATE;
    SELECT * INTO person_key, decision, explanation FROM healthhub.link_prepared(r);
END
$$;
COMMENT ON FUNCTION healthhub.link_record(text, text, text, text, date, text, text, text, text[]) IS
    'Link one record to a person in the caller''s transaction: returns the person, the decision and the explanation';

-- link_record's work once the record is prepared and nothing can link a
-- record of the same person meanwhile (link_record's locks, or link_batch's
-- lock on the whole index).
CREATE FUNCTION healthhub.link_prepared(r healthhub.source_records,
                                        OUT person_key bigint, OUT decision text, OUT explanation jsonb)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old healthhub.source_records;
    matched healthhub.source_records;
    f record;
    full_explanation jsonb;
    model integer := healthhub.linkage_model();
BEGIN
    SELECT * INTO old FROM healthhub.source_records s
     WHERE s.source = r.source AND s.local_id = r.local_id FOR UPDATE;
    IF old.source IS NOT NULL AND old.withdrawn_at IS NULL
       AND (old.name, old.sex, old.birth_date, old.identifier_text, old.phone, old.region::integer,
            old.other_identifiers::text[])
           IS NOT DISTINCT FROM (r.name, r.sex, r.birth_date, r.identifier_text, r.phone, r.region::integer,
                                 r.other_identifiers::text[]) THEN
        person_key := old.person_key;
        decision := 'unchanged';
        explanation := jsonb_build_object('decision', decision);
        RETURN;
    END IF;

    IF old.withdrawn_at IS NULL AND old.link_origin = 'manual' THEN
        SELECT * INTO f FROM healthhub.find_match(r, model) WHERE false;   -- no automatic decision
        person_key := old.person_key;
        decision := 'kept_manual';
        explanation := jsonb_build_object('decision', decision, 'decided_by', old.linked_by,
                                          'decided_at', old.linked_at);
        r.link_origin := 'manual';
        r.link_score := old.link_score;
        r.link_model := old.link_model;
        r.linked_at := old.linked_at;
        r.linked_by := old.linked_by;
    ELSE
        f := healthhub.find_match(r, model);
        -- Two records with different numbers may find one person at once by
        -- keys they do not share (link_record's bucket locks order only
        -- records that share one): the person is locked, and once whoever
        -- held it has committed, the decision is made again if the person
        -- now holds another number.
        FOR attempt IN 1..4 LOOP
            EXIT WHEN f.decision <> 'matched' OR r.resident_id IS NULL OR r.id_conflict;
            PERFORM 1 FROM healthhub.persons p WHERE p.person_key = f.person_key FOR UPDATE;
            EXIT WHEN healthhub.other_number_held(r, f.person_key) IS NULL;
            IF attempt = 4 THEN         -- (persons keep changing under it: a person of its own)
                f.decision := 'created';
                f.person_key := NULL;
            ELSE
                f := healthhub.find_match(r, model);
            END IF;
        END LOOP;
        decision := f.decision;
        IF f.decision = 'matched' THEN
            person_key := f.person_key;
        ELSIF old.person_key IS NOT NULL AND NOT EXISTS (
                SELECT FROM healthhub.source_records s WHERE s.person_key = old.person_key
                   AND NOT (s.source = r.source AND s.local_id = r.local_id)) THEN
            person_key := old.person_key;      -- a corrected record alone keeps its person
        ELSE
            INSERT INTO healthhub.persons DEFAULT VALUES RETURNING persons.person_key INTO person_key;
        END IF;
        explanation := jsonb_build_object('decision', f.decision, 'tier', f.tier, 'model_version', model);
        full_explanation := explanation || jsonb_build_object('candidates', f.candidates);
        IF f.matched_source IS NOT NULL THEN
            SELECT * INTO matched FROM healthhub.source_records s
             WHERE s.source = f.matched_source AND s.local_id = f.matched_local_id;
            full_explanation := full_explanation || jsonb_build_object(
                'compared_with', jsonb_build_object('source', f.matched_source, 'local_id', f.matched_local_id,
                                                    'person_key', matched.person_key))
                || healthhub.explain_pair(r, matched, model, f.matched_number);
        END IF;
        -- How the decision was made (the tier, what the record was compared
        -- with, the score) is told to hub_admin only: even its shape would
        -- tell an application whether another institution's record shares
        -- a key with one it crafted (docs/linkage.md, "What a caller learns").
        IF healthhub.acting_role_is_admin() THEN
            explanation := full_explanation;
        ELSE
            explanation := explanation - 'tier';
        END IF;
        r.link_origin := 'auto';
        r.link_score := f.score;
        r.link_model := model;
        r.linked_at := now();
        r.linked_by := healthhub.acting_role();
    END IF;

    r.person_key := person_key;
    r.record_id := coalesce(old.record_id, nextval('healthhub.record_seq'));
    r.received_at := coalesce(old.received_at, now());
    r.updated_at := now();
    r.withdrawn_at := NULL;
    INSERT INTO healthhub.source_records AS s SELECT r.*
    ON CONFLICT ON CONSTRAINT source_records_pkey DO UPDATE
       SET institution_key = EXCLUDED.institution_key, name = EXCLUDED.name, sex = EXCLUDED.sex,
           birth_date = EXCLUDED.birth_date, identifier_text = EXCLUDED.identifier_text, phone = EXCLUDED.phone,
           region = EXCLUDED.region, other_identifiers = EXCLUDED.other_identifiers,
           resident_id = EXCLUDED.resident_id, id_conflict = EXCLUDED.id_conflict,
           name_hanzi = EXCLUDED.name_hanzi, name_pinyin = EXCLUDED.name_pinyin,
           name_initials = EXCLUDED.name_initials, surname = EXCLUDED.surname,
           name_given_pinyin = EXCLUDED.name_given_pinyin,
           person_key = EXCLUDED.person_key, link_origin = EXCLUDED.link_origin, link_score = EXCLUDED.link_score,
           link_model = EXCLUDED.link_model, linked_at = EXCLUDED.linked_at, linked_by = EXCLUDED.linked_by,
           updated_at = EXCLUDED.updated_at, withdrawn_at = NULL;

    IF r.link_origin = 'auto' THEN
        -- the record's previous automatic possible match gives way (link_events keeps it)
        DELETE FROM healthhub.link_decisions l WHERE l.source = r.source AND l.local_id = r.local_id
           AND l.state = 'possible_match' AND l.origin = 'auto';
        IF f.decision = 'possible_match' THEN
            INSERT INTO healthhub.link_decisions (source, local_id, person_key, state, origin, score, model_version)
            VALUES (r.source, r.local_id, f.person_key, 'possible_match', 'auto', f.score, model)
            ON CONFLICT ON CONSTRAINT link_decisions_pkey DO NOTHING;
        END IF;
    END IF;

    PERFORM healthhub.forget_block_keys(old);
    INSERT INTO healthhub.record_block_keys (block_hash, record_id)
    SELECT h, r.record_id
      FROM unnest(healthhub.block_hashes(r, (SELECT lm.blocking_rules FROM healthhub.linkage_models lm
                                             WHERE lm.model_version = model))) h;

    PERFORM healthhub.sync_person_identifiers(person_key);
    PERFORM healthhub.rebuild_golden(person_key);
    IF old.person_key IS NOT NULL AND old.person_key <> person_key THEN
        PERFORM healthhub.sync_person_identifiers(old.person_key);
        PERFORM healthhub.rebuild_golden(old.person_key);
    END IF;
    PERFORM healthhub.log_link_event(
        CASE WHEN old.source IS NULL THEN 'link' ELSE 'relink' END, r.source, r.local_id, person_key,
        CASE WHEN f.decision = 'possible_match' THEN f.person_key ELSE old.person_key END,
        CASE WHEN old.source IS NULL THEN NULL WHEN old.withdrawn_at IS NOT NULL THEN 'withdrawn' ELSE 'match' END,
        CASE WHEN f.decision = 'possible_match' THEN 'possible_match' ELSE 'match' END,
        r.link_origin,
        f.score, model, full_explanation->'weights', decision);
END
$$;
-- Managing links by hand (docs/linkage.md): review the possible matches,
-- link a record to a person, merge two persons and undo it (with "never
-- merge these again"), withdraw a record, record a death.  Every change is
-- a manual decision that automation never overrides, goes to link_events
-- and the audit trail, and rebuilds the golden records it touches.

-- Lock persons in key order, so a merge racing an unmerge cannot deadlock;
-- a person redirected meanwhile is refused.
CREATE FUNCTION healthhub.lock_persons(persons bigint[]) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.persons;
    k bigint;
BEGIN
    FOREACH k IN ARRAY ARRAY(SELECT DISTINCT x FROM unnest(persons) x ORDER BY x) LOOP
        SELECT * INTO p FROM healthhub.persons WHERE person_key = k FOR UPDATE;
        IF p.person_key IS NULL THEN
            RAISE EXCEPTION 'person % does not exist', k USING ERRCODE = 'no_data_found';
        END IF;
    END LOOP;
END
$$;

CREATE FUNCTION healthhub.require_active(person bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    target bigint;
BEGIN
    SELECT p.redirected_to INTO target FROM healthhub.persons p WHERE p.person_key = person;
    IF target IS NOT NULL THEN
        RAISE EXCEPTION 'person % was merged into person %', person, target
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Act on the surviving person, or unmerge first.';
    END IF;
END
$$;

-- A record's match made by hand: automation never moves it afterwards.
CREATE FUNCTION healthhub.set_manual_match(source text, local_id text, person bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE healthhub.source_records s
       SET person_key = person, link_origin = 'manual', link_score = NULL, link_model = NULL,
           linked_at = now(), linked_by = healthhub.acting_role(), updated_at = now()
     WHERE s.source = set_manual_match.source AND s.local_id = set_manual_match.local_id;
END
$$;

-- Link a record to a person by hand (or, with person NULL, to a new person
-- of its own).  Automation never moves it afterwards.
CREATE FUNCTION healthhub.link_manually(source text, local_id text, person bigint, reason text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
    target bigint := person;
BEGIN
    PERFORM healthhub.require_reason(reason);
    r := healthhub.authorised_record(source, local_id, true, true);
    PERFORM healthhub.linkage_authorise_person(r, target);
    IF target IS NULL THEN
        INSERT INTO healthhub.persons DEFAULT VALUES RETURNING persons.person_key INTO target;
    END IF;
    PERFORM healthhub.lock_persons(ARRAY[r.person_key, target]);
    PERFORM healthhub.require_active(target);
    DELETE FROM healthhub.link_decisions l WHERE l.source = r.source AND l.local_id = r.local_id
       AND l.person_key = target;
    PERFORM healthhub.set_manual_match(r.source, r.local_id, target);
    PERFORM healthhub.sync_person_identifiers(target), healthhub.rebuild_golden(target);
    IF r.person_key <> target THEN
        PERFORM healthhub.sync_person_identifiers(r.person_key), healthhub.rebuild_golden(r.person_key);
    END IF;
    PERFORM healthhub.log_link_event('link_manually', r.source, r.local_id, target, r.person_key, 'match', 'match',
                                     'manual', NULL, NULL, NULL, reason);
    RETURN target;
END
$$;

-- Say a record is not a person: never linked to it automatically again.
CREATE FUNCTION healthhub.unlink_manually(source text, local_id text, person bigint, reason text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
    was text;
    target bigint;
BEGIN
    PERFORM healthhub.require_reason(reason);
    IF person IS NULL THEN
        RAISE EXCEPTION 'unlink_manually needs the person the record is not'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    r := healthhub.authorised_record(source, local_id, false, true);
    PERFORM healthhub.linkage_authorise_person(r, person);
    SELECT l.state INTO was FROM healthhub.links l
     WHERE l.source = r.source AND l.local_id = r.local_id AND l.person_key = person;
    INSERT INTO healthhub.link_decisions (source, local_id, person_key, state, origin)
    VALUES (r.source, r.local_id, person, 'no_match', 'manual')
    ON CONFLICT ON CONSTRAINT link_decisions_pkey DO UPDATE
       SET state = 'no_match', origin = 'manual', score = NULL, model_version = NULL,
           decided_at = now(), decided_by = healthhub.acting_role();
    target := r.person_key;
    IF r.person_key = person THEN
        -- it was this person's: it becomes a person of its own
        INSERT INTO healthhub.persons DEFAULT VALUES RETURNING persons.person_key INTO target;
        PERFORM healthhub.set_manual_match(r.source, r.local_id, target);
        PERFORM healthhub.sync_person_identifiers(person), healthhub.rebuild_golden(person);
        PERFORM healthhub.sync_person_identifiers(target), healthhub.rebuild_golden(target);
    END IF;
    PERFORM healthhub.log_link_event('unlink_manually', r.source, r.local_id, person, target, was, 'no_match',
                                     'manual', NULL, NULL, NULL, reason);
    RETURN target;
END
$$;

CREATE FUNCTION healthhub.require_reason(reason text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a manual link decision needs a reason'
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = 'The reason is kept in the link history and the audit trail.';
    END IF;
END
$$;

CREATE FUNCTION healthhub.require_person(person bigint) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF person IS NULL THEN
        RAISE EXCEPTION 'a person key is required' USING ERRCODE = 'null_value_not_allowed';
    END IF;
END
$$;

-- The review queue: records linked to a new person that may be an existing
-- one, best candidates first.
CREATE VIEW healthhub.review_queue AS
SELECT l.source, l.local_id, s.person_key, l.person_key AS candidate, l.score,
       healthhub.match_probability(l.score) AS probability, l.model_version, l.decided_at AS queued_at
  FROM healthhub.link_decisions l
  JOIN healthhub.source_records s ON s.source = l.source AND s.local_id = l.local_id
 WHERE l.state = 'possible_match';
COMMENT ON VIEW healthhub.review_queue IS
    'Possible matches awaiting review: the record, the person it was given, the candidate and the score';

-- Persons whose automatically linked records carry two or more different
-- valid resident ID numbers of their own: never made by 0.4, but an index
-- linked by 0.3 holds them (twins made one person).  For a reviewer: the
-- records of the other number are unlinked (unlink_manually: never linked
-- back) and merged into one person of their own (merge_persons).
CREATE VIEW healthhub.persons_with_two_numbers AS
SELECT s.person_key, array_agg(DISTINCT s.resident_id::text ORDER BY s.resident_id::text) AS numbers,
       count(*) AS records
  FROM healthhub.source_records s
 WHERE s.resident_id IS NOT NULL AND NOT s.id_conflict AND s.withdrawn_at IS NULL AND s.link_origin = 'auto'
 GROUP BY s.person_key
HAVING count(DISTINCT s.resident_id::text) > 1;
COMMENT ON VIEW healthhub.persons_with_two_numbers IS
    'Persons whose automatically linked records carry several valid resident ID numbers (made by 0.3): for review';

-- Decide a possible match: same person (the record's person is merged into
-- the candidate) or not (never linked to the candidate again).
CREATE FUNCTION healthhub.review_possible_match(source text, local_id text, candidate bigint, same_person boolean,
                                                reason text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q healthhub.review_queue;
BEGIN
    PERFORM healthhub.require_reason(reason);
    SELECT * INTO q FROM healthhub.review_queue rq
     WHERE rq.source = review_possible_match.source AND rq.local_id = review_possible_match.local_id
       AND rq.candidate = review_possible_match.candidate;
    IF q.source IS NULL THEN
        RAISE EXCEPTION 'no possible match of %/% with person % awaits review', source, local_id, candidate
            USING ERRCODE = 'no_data_found', HINT = 'SELECT * FROM healthhub.review_queue lists them.';
    END IF;
    IF same_person THEN
        RETURN healthhub.merge_persons(q.person_key, candidate, reason);
    END IF;
    PERFORM healthhub.unlink_manually(source, local_id, candidate, reason);
    RETURN q.person_key;
END
$$;

-- Merge person "from" into person "into": its records, identifiers and
-- possible matches move; "from" redirects to "into".  Refused for persons
-- a reviewer separated.
CREATE FUNCTION healthhub.merge_persons(from_person bigint, into_person bigint, reason text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    moved integer;
BEGIN
    PERFORM healthhub.require_reason(reason);
    PERFORM healthhub.linkage_authorise_admin();
    PERFORM healthhub.require_person(from_person), healthhub.require_person(into_person);
    IF from_person = into_person THEN
        RAISE EXCEPTION 'a person cannot be merged into itself' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM healthhub.lock_persons(ARRAY[from_person, into_person]);
    PERFORM healthhub.require_active(from_person);
    PERFORM healthhub.require_active(into_person);
    IF EXISTS (SELECT FROM healthhub.person_separations ps
                WHERE ps.person_a = least(from_person, into_person)
                  AND ps.person_b = greatest(from_person, into_person)) THEN
        RAISE EXCEPTION 'persons % and % are never to be merged', from_person, into_person
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A reviewer separated them (healthhub.person_separations).';
    END IF;
    -- the matches with "from" are kept as redirected: unmerge finds them there
    INSERT INTO healthhub.link_decisions (source, local_id, person_key, state, origin, score, model_version)
    SELECT s.source, s.local_id, from_person, 'redirected', s.link_origin, s.link_score, s.link_model
      FROM healthhub.source_records s WHERE s.person_key = from_person
    ON CONFLICT ON CONSTRAINT link_decisions_pkey DO UPDATE
       SET state = 'redirected', origin = EXCLUDED.origin, score = EXCLUDED.score,
           model_version = EXCLUDED.model_version, decided_at = now(), decided_by = healthhub.acting_role();
    DELETE FROM healthhub.link_decisions l
     WHERE l.state = 'possible_match'
       AND ((l.person_key = into_person AND EXISTS (SELECT FROM healthhub.source_records s
                WHERE s.source = l.source AND s.local_id = l.local_id AND s.person_key = from_person))
         OR (l.person_key = from_person AND EXISTS (SELECT FROM healthhub.source_records s
                WHERE s.source = l.source AND s.local_id = l.local_id AND s.person_key = into_person)));
    UPDATE healthhub.source_records s
       SET person_key = into_person, link_origin = 'manual', link_score = NULL, link_model = NULL,
           linked_at = now(), linked_by = healthhub.acting_role(), updated_at = now()
     WHERE s.person_key = from_person;
    GET DIAGNOSTICS moved = ROW_COUNT;
    DELETE FROM healthhub.person_identifiers pi WHERE pi.person_key = from_person;
    UPDATE healthhub.persons p SET state = 'redirected', redirected_to = into_person, updated_at = now()
     WHERE p.person_key = from_person;
    -- anything that redirected to "from" now redirects to "into"
    UPDATE healthhub.persons p SET redirected_to = into_person WHERE p.redirected_to = from_person;
    PERFORM healthhub.sync_person_identifiers(into_person), healthhub.rebuild_golden(into_person);
    PERFORM healthhub.log_link_event('merge', NULL, NULL, into_person, from_person, 'match', 'redirected',
                                     'manual', NULL, NULL, jsonb_build_object('records_moved', moved), reason);
    RETURN into_person;
END
$$;

-- Undo a merge: the records that were "from"'s go back to it, and the two
-- are never merged again.
CREATE FUNCTION healthhub.unmerge_person(from_person bigint, reason text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    into_person bigint;
    moved integer;
BEGIN
    PERFORM healthhub.require_reason(reason);
    PERFORM healthhub.linkage_authorise_admin();
    PERFORM healthhub.require_person(from_person);
    SELECT p.redirected_to INTO into_person FROM healthhub.persons p WHERE p.person_key = from_person;
    IF into_person IS NULL THEN
        RAISE EXCEPTION 'person % is not merged into another', from_person
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM healthhub.lock_persons(ARRAY[from_person, into_person]);
    -- re-read under the locks: a concurrent unmerge may have won
    SELECT p.redirected_to INTO into_person FROM healthhub.persons p WHERE p.person_key = from_person;
    IF into_person IS NULL THEN
        RAISE EXCEPTION 'person % is not merged into another', from_person
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- the records that were "from"'s and are still with "into" go back
    UPDATE healthhub.source_records s
       SET person_key = from_person, link_origin = 'manual', link_score = NULL, link_model = NULL,
           linked_at = now(), linked_by = healthhub.acting_role(), updated_at = now()
      FROM healthhub.link_decisions l
     WHERE l.source = s.source AND l.local_id = s.local_id AND l.person_key = from_person
       AND l.state = 'redirected' AND s.person_key = into_person;
    GET DIAGNOSTICS moved = ROW_COUNT;
    DELETE FROM healthhub.link_decisions l WHERE l.person_key = from_person AND l.state = 'redirected';
    UPDATE healthhub.persons p SET state = 'active', redirected_to = NULL, updated_at = now()
     WHERE p.person_key = from_person;
    INSERT INTO healthhub.person_separations (person_a, person_b, reason)
    VALUES (least(from_person, into_person), greatest(from_person, into_person), reason)
    ON CONFLICT DO NOTHING;
    PERFORM healthhub.sync_person_identifiers(into_person), healthhub.rebuild_golden(into_person);
    PERFORM healthhub.sync_person_identifiers(from_person), healthhub.rebuild_golden(from_person);
    PERFORM healthhub.log_link_event('unmerge', NULL, NULL, from_person, into_person, 'redirected', 'match',
                                     'manual', NULL, NULL, jsonb_build_object('records_moved', moved), reason);
    RETURN from_person;
END
$$;

-- hub_admin (and superusers) only: the person index's maintenance (the
-- defaults) and its audited reads (which name what they refuse).
CREATE FUNCTION healthhub.linkage_authorise_admin(
        refusal text DEFAULT 'does not hold the hub_admin profile',
        detail text DEFAULT 'Merging, unmerging, recording deaths, training and bulk linking are for hub_admin.')
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.acting_role_is_admin() THEN
        RAISE EXCEPTION 'role % %', healthhub.acting_role(), refusal
            USING ERRCODE = 'insufficient_privilege', DETAIL = detail;
    END IF;
END
$$;

-- Withdraw a record: it no longer speaks for its person.
CREATE FUNCTION healthhub.withdraw_record(source text, local_id text, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
BEGIN
    PERFORM healthhub.require_reason(reason);
    r := healthhub.authorised_record(source, local_id, true, true);
    DELETE FROM healthhub.link_decisions l WHERE l.source = r.source AND l.local_id = r.local_id
       AND l.state = 'possible_match';
    PERFORM healthhub.forget_block_keys(r);
    UPDATE healthhub.source_records s SET person_key = NULL, withdrawn_at = now(), updated_at = now()
     WHERE s.source = r.source AND s.local_id = r.local_id;
    PERFORM healthhub.sync_person_identifiers(r.person_key), healthhub.rebuild_golden(r.person_key);
    PERFORM healthhub.log_link_event('withdraw', r.source, r.local_id, r.person_key, NULL, 'match', NULL,
                                     'manual', NULL, NULL, NULL, reason);
END
$$;

CREATE FUNCTION healthhub.record_death(person bigint, died_on date, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_reason(reason);
    PERFORM healthhub.linkage_authorise_admin();
    PERFORM healthhub.require_person(person);
    PERFORM healthhub.lock_persons(ARRAY[person]);
    PERFORM healthhub.require_active(person);
    IF died_on > current_date THEN
        RAISE EXCEPTION 'a death date cannot be in the future' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE healthhub.persons p SET deceased = true, deceased_on = died_on, updated_at = now()
     WHERE p.person_key = person;
    PERFORM healthhub.log_link_event('death', NULL, NULL, person, NULL, NULL, NULL, 'manual', NULL, NULL, NULL,
                                     reason);
END
$$;

-- A record's link history, oldest first, for whoever may read link_events.
CREATE FUNCTION healthhub.record_history(source text, local_id text) RETURNS SETOF healthhub.link_events
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (by profile: no profile may SELECT link_events itself)
    PERFORM healthhub.require_record_key('record_history', source, local_id);
    PERFORM healthhub.linkage_authorise_history();
    PERFORM healthhub.audit_append('read', 'person_link_history', btrim(source) || '/' || btrim(local_id), NULL,
                                   'patient identity management', 'ok');
    RETURN QUERY
    SELECT e.* FROM healthhub.link_events e
     WHERE e.record_id = (SELECT s.record_id FROM healthhub.source_records s
                           WHERE s.source = btrim(record_history.source) AND s.local_id = btrim(record_history.local_id))
     ORDER BY e.event_id;
END
$$;
COMMENT ON FUNCTION healthhub.record_history(text, text) IS
    'The link history of one record (link_events), oldest first';

-- The person a key stands for now: itself, or the survivor it was merged
-- into.  (Runs as its owner: the profiles it is granted to need not read
-- healthhub.persons; a key says nothing personal.)
-- (PL/pgSQL: a SQL function with a recursive query, never inlined, is
-- planned anew on every call; this plan is kept for the session)
CREATE FUNCTION healthhub.current_person(person bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (WITH RECURSIVE chain(k, next, depth) AS (
                SELECT p.person_key, p.redirected_to, 0 FROM healthhub.persons p WHERE p.person_key = current_person.person
                UNION ALL
                SELECT p.person_key, p.redirected_to, c.depth + 1 FROM chain c
                  JOIN healthhub.persons p ON p.person_key = c.next WHERE c.depth < 100)
            SELECT c.k FROM chain c WHERE c.next IS NULL);
END
$$;
COMMENT ON FUNCTION healthhub.current_person(bigint) IS
    'The person a key stands for now: itself, or the person it was merged into; NULL for an unknown key';

-- match_explain(a, b): the weights that sum to the score of two records,
-- under the model version that made a's stored decision (or the model
-- given).  Both records must be the caller's to see; the read is audited.
CREATE FUNCTION healthhub.match_explain(a_source text, a_local_id text, b_source text, b_local_id text,
                                        model integer DEFAULT NULL)
    RETURNS TABLE (comparison text, level text, weight double precision, model_version integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a healthhub.source_records := healthhub.authorised_record(a_source, a_local_id, false, false);
    b healthhub.source_records := healthhub.authorised_record(b_source, b_local_id, false, false);
    v integer := model;
BEGIN
    IF v IS NULL THEN
        SELECT l.model_version INTO v FROM healthhub.links l
         WHERE l.source = a.source AND l.local_id = a.local_id AND l.model_version IS NOT NULL
         ORDER BY l.state = 'match' DESC, l.decided_at DESC LIMIT 1;
        v := coalesce(v, healthhub.linkage_model());
    END IF;
    PERFORM healthhub.audit_append('read', 'person_link_comparison',
                                   a.source || '/' || a.local_id || ' ' || b.source || '/' || b.local_id,
                                   a.person_key, 'patient identity management', 'ok');
    -- (b stands for its person, as when a was linked: the number b's person
    -- holds counts for b when b gives none)
    RETURN QUERY SELECT w.comparison, w.level, w.weight, v
                   FROM healthhub.match_weights(a, b, v,
                            CASE WHEN a.resident_id IS NOT NULL AND NOT a.id_conflict
                                 THEN healthhub.other_number_held(a, b.person_key) END) w;
END
$$;
COMMENT ON FUNCTION healthhub.match_explain(text, text, text, text, integer) IS
    'The per-comparison weights that sum to the score of two records, under the model of the stored decision';
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
-- Linking records in bulk (docs/linkage.md): COPY an extract into
-- healthhub.stage_person_records, then healthhub.link_batch(batch_name,
-- file_digest).  Set-based phases, each reported as it ends (NOTICE) and in
-- the summary: validate and key, deterministic groups, blocking, scoring,
-- clustering, writing.  Every bad row is reported in healthhub.load_errors
-- with its line, column and reason; the good ones are linked.  A batch is
-- keyed on (batch name, file digest) in healthhub.loads: the same file again
-- changes nothing.  The batch consumes what it read of the staging table:
-- when it commits, those rows are gone (reported in load_errors if they
-- were bad); rows staged while it ran stay for the next batch.

CREATE TABLE healthhub.stage_person_records (
    line_no         bigint GENERATED BY DEFAULT AS IDENTITY,
    institution     text,       -- the institution's key or source_ref, or its own code
    local_id        text,       -- the record's id at that institution
    name            text,
    sex             text,       -- 1/2, M/F, male/female, 男/女; 0, 9 or empty: not known
    birth_date      text,       -- YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD
    identifier      text,       -- the ID number as received (15 or 18 characters, any width)
    phone           text,
    address_region  text,       -- the 6-digit county code of the address
    other_identifiers text      -- kind:issuer:value, several separated by ';'
);
COMMENT ON TABLE healthhub.stage_person_records IS
    'Staging for healthhub.link_batch(): COPY an institution''s person extract here (all text)';
-- (work space, never published: the whole row is its replica identity)
ALTER TABLE healthhub.stage_person_records REPLICA IDENTITY FULL;

-- The staged rows, prepared as link_record prepares one record
-- (person_record_prepared) but not judged: what link_batch() validates and
-- links, and what train_linkage(staged => true) learns from; with the
-- texts as staged, which the errors show.  (A plain SQL body, which the
-- planner inlines into its caller.)
CREATE FUNCTION healthhub.staged_person_records()
    RETURNS TABLE (stage_row tid, line_no bigint, source text, local_id text, institution_key bigint, name text,
                   name_hanzi text, name_pinyin text, name_initials text, surname text, name_given_pinyin text,
                   sex smallint, birth_date date, identifier_text text, resident_id healthhub.resident_id,
                   id_conflict boolean, phone text, region healthhub.region_code,
                   other_identifiers healthhub.health_identifier[], key_problem text, institution_problem text,
                   name_problem text, sex_problem text, birth_date_problem text, phone_problem text,
                   region_problem text, others_problem text, sex_text text, birth_text text, phone_text text,
                   region_text text, others_text text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT s.ctid, s.line_no, p.source, p.local_id, p.institution_key, p.name, p.name_hanzi, p.name_pinyin,
           p.name_initials, p.surname, p.name_given_pinyin, p.sex, p.birth_date, p.identifier_text, p.resident_id,
           p.id_conflict, p.phone, p.region, p.other_identifiers, p.key_problem, p.institution_problem, p.name_problem,
           p.sex_problem, p.birth_date_problem, p.phone_problem, p.region_problem, p.others_problem,
           s.sex, s.birth_date, s.phone, s.address_region, s.other_identifiers
      FROM healthhub.stage_person_records s
      -- the institutions each source names, looked up once per source
      LEFT JOIN (SELECT d.source, healthhub.institutions_named_by(d.source) AS institutions
                   FROM (SELECT DISTINCT btrim(st.institution) AS source FROM healthhub.stage_person_records st) d
                ) src ON src.source = btrim(s.institution)
     CROSS JOIN LATERAL healthhub.person_record_prepared(
               s.institution, s.local_id, src.institutions, s.name, s.sex, s.birth_date, s.identifier, s.phone,
               s.address_region, string_to_array(s.other_identifiers, ';')) p;
END;
COMMENT ON FUNCTION healthhub.staged_person_records() IS
    'The records staged in healthhub.stage_person_records, prepared as link_record prepares one, with why each field cannot be used';

-- match_score over rows of the batch's work table (same columns as
-- source_records; the C function reads them by name).
CREATE FUNCTION healthhub.batch_match_score(a record, b record, model integer) RETURNS double precision
    AS 'MODULE_PATHNAME', 'hh_match_score' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.batch_comparison_levels(a record, b record) RETURNS smallint[]
    AS 'MODULE_PATHNAME', 'hh_comparison_levels_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.block_pairs(max_block integer) RETURNS TABLE (a integer, b integer)
    AS 'MODULE_PATHNAME', 'hh_block_pairs' LANGUAGE C VOLATILE STRICT;
CREATE FUNCTION healthhub.link_clusters(match_weight double precision)
    RETURNS TABLE (node integer, cluster integer, person_key bigint)
    AS 'MODULE_PATHNAME', 'hh_link_clusters' LANGUAGE C VOLATILE STRICT;

-- The work tables of a bulk function are the transaction's (ON COMMIT DROP):
-- a second call in one transaction is refused with a clear error rather
-- than a clash of table names (and tables the caller made are never used).
CREATE FUNCTION healthhub.require_no_work_tables(caller text, tables text[]) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM unnest(tables) t WHERE to_regclass('pg_temp.' || t) IS NOT NULL) THEN
        RAISE EXCEPTION '% runs once per transaction', caller
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its work tables (%s) exist in this session already.', array_to_string(tables, ', ')),
                  HINT = 'Commit or roll back first, or drop those temporary tables.';
    END IF;
END
$$;

-- Blocks larger than this are not compared within (a key shared by so many
-- records says little; their pairs are counted as lost to blocking).
CREATE FUNCTION healthhub.batch_block_limit() RETURNS integer
    LANGUAGE sql IMMUTABLE RETURN 50;

CREATE FUNCTION healthhub.link_batch(batch_name text, file_digest text)
    RETURNS TABLE (phase text, seconds numeric, rows bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    model integer := healthhub.linkage_model();
    m healthhub.linkage_models;
    lid bigint;
    again boolean;
    t0 timestamptz := clock_timestamp();
    t timestamptz := clock_timestamp();
    n bigint;
    match_weight double precision;
    possible_weight double precision;
    hub bigint := healthhub.hub_id();
    entry bigint;
    report jsonb := '[]';
    rec record;
    replication_role text;
    who text := healthhub.acting_role();
    last_node integer;
    first_record_id bigint;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    PERFORM healthhub.require_load_key(batch_name, file_digest, 'person_records', 'delta');
    PERFORM healthhub.require_no_work_tables('link_batch', ARRAY['batch_in', 'batch_records', 'batch_keys',
        'batch_nodes', 'batch_edges', 'batch_all', 'batch_scored', 'batch_clusters', 'batch_persons', 'batch_linked']);
    PERFORM healthhub.check_name_keys_version();
    -- The batch's work tables take hundreds of MB: kept in local buffers
    -- instead of written out and read back.  temp_buffers can only be raised
    -- before the session's first temporary table (docs/linkage.md).
    IF pg_size_bytes(current_setting('temp_buffers')) < pg_size_bytes('1GB') THEN
        BEGIN
            PERFORM set_config('temp_buffers', '1GB', false);
        EXCEPTION WHEN invalid_parameter_value THEN
            RAISE NOTICE 'link_batch: temp_buffers stays at % in this session (temporary tables were used before)',
                current_setting('temp_buffers')
                USING HINT = 'Call link_batch first in a new session, or set temp_buffers to 1GB before anything else.';
        END;
    END IF;
    IF hub IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    -- One batch at a time, and no single-record link meanwhile (link_record
    -- waits; resolve() and reads go on): what the batch decides from the
    -- index stays true until it commits.
    LOCK TABLE healthhub.source_records IN SHARE ROW EXCLUSIVE MODE;
    -- (the loading framework's key: the same file is never linked twice)
    SELECT b.load_id, b.already_loaded INTO lid, again
      FROM healthhub.begin_load('person_records', batch_name, file_digest, 'delta') b;
    IF again THEN
        DELETE FROM healthhub.stage_person_records;
        RETURN QUERY SELECT 'already linked'::text, 0::numeric, 0::bigint;
        RETURN;
    END IF;
    PERFORM healthhub.begin_load_writes(lid);
    SELECT * INTO m FROM healthhub.linkage_models lm WHERE lm.model_version = model;
    match_weight := log(2.0, (m.match_probability / (1 - m.match_probability))::numeric)::double precision;
    possible_weight := log(2.0, (m.possible_probability / (1 - m.possible_probability))::numeric)::double precision;

    -- 1. validate and key ------------------------------------------------
    CREATE TEMP TABLE batch_in ON COMMIT DROP AS SELECT * FROM healthhub.staged_person_records();
    ANALYZE batch_in;
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'person_record', b.line_no, e.col, e.val, e.reason
      FROM batch_in b
     CROSS JOIN LATERAL (VALUES
        ('institution', b.source, coalesce(b.institution_problem,
                                           CASE WHEN b.key_problem LIKE 'an institution%' THEN b.key_problem END)),
        ('local_id', b.local_id, CASE WHEN b.key_problem LIKE 'a local id%' THEN b.key_problem END),
        ('name', b.name, b.name_problem),
        ('sex', b.sex_text, b.sex_problem),
        ('birth_date', b.birth_text, b.birth_date_problem),
        ('phone', b.phone_text, b.phone_problem),
        ('address_region', b.region_text, b.region_problem),
        ('other_identifiers', b.others_text, b.others_problem)
        ) e(col, val, reason)
     -- (only rows with a problem are looked at column by column)
     WHERE coalesce(b.key_problem, b.institution_problem, b.name_problem, b.sex_problem, b.birth_date_problem,
                    b.phone_problem, b.region_problem, b.others_problem) IS NOT NULL
       AND e.reason IS NOT NULL;
    -- a record sent twice in one file: the last line counts
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'person_record', b.line_no, 'local_id', b.local_id, 'sent again on a later line of this batch'
      FROM batch_in b
      JOIN (SELECT b2.source, b2.local_id, max(b2.line_no) AS last_line FROM batch_in b2
             GROUP BY b2.source, b2.local_id HAVING count(*) > 1) d
        ON d.source = b.source AND d.local_id = b.local_id AND b.line_no < d.last_line;
    CREATE TEMP TABLE batch_records ON COMMIT DROP AS
    SELECT row_number() OVER (ORDER BY b.line_no)::integer AS node, b.line_no, b.source, b.local_id,
           b.institution_key, b.name, b.sex, b.birth_date, b.identifier_text, b.phone, b.region, b.other_identifiers,
           b.resident_id, b.id_conflict, b.name_hanzi, b.name_pinyin, b.name_initials, b.surname, b.name_given_pinyin
      FROM batch_in b
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors le WHERE le.load_id = lid AND le.line_no = b.line_no);

    -- records already in the index are linked one by one (corrections; no
    -- per-record locks: the batch holds the index)
    FOR rec IN SELECT r.* FROM batch_records r
                WHERE EXISTS (SELECT FROM healthhub.source_records s WHERE s.source = r.source AND s.local_id = r.local_id)
    LOOP
        -- (prepared already: the work table's columns are the index's)
        PERFORM healthhub.link_prepared(jsonb_populate_record(NULL::healthhub.source_records, to_jsonb(rec)));
        DELETE FROM batch_records r WHERE r.node = rec.node;
    END LOOP;
    ANALYZE batch_records;
    SELECT count(*), max(r.node) INTO n, last_node FROM batch_records r;
    report := report || jsonb_build_object('phase', 'validate and key', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: validated and keyed % records (% rejected) in % s', n,
        (SELECT count(*) FROM healthhub.load_errors le WHERE le.load_id = lid), round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 2. blocking: records sharing a key of the model's rules (and records
    --    already in the index that share one) --------------------------
    CREATE TEMP TABLE batch_keys ON COMMIT DROP AS
    SELECT h AS block_hash, r.node
      FROM batch_records r,
           unnest(healthhub.block_hashes(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region,
                                         r.phone, m.blocking_rules)) h;
    -- existing records become nodes too, after the batch's own
    CREATE TEMP TABLE batch_nodes ON COMMIT DROP AS
    SELECT r.node, CASE WHEN NOT r.id_conflict THEN r.resident_id::bigint END AS resident_id, NULL::bigint AS person_key,
           NULL::bigint AS record_id
      FROM batch_records r;
    -- (each with the number its person holds: the clustering never gives a
    -- person a second number)
    INSERT INTO batch_nodes
    SELECT last_node + row_number() OVER ()::integer,
           (SELECT min(pi.resident_id::bigint) FROM healthhub.person_identifiers pi
             WHERE pi.person_key = s.person_key AND pi.resident_id IS NOT NULL),
           s.person_key, s.record_id
      FROM (SELECT DISTINCT bk.record_id FROM healthhub.record_block_keys bk
             WHERE bk.block_hash IN (SELECT k.block_hash FROM batch_keys k)) e
      JOIN healthhub.source_records s ON s.record_id = e.record_id AND s.withdrawn_at IS NULL;
    INSERT INTO batch_keys
    SELECT bk.block_hash, n2.node FROM batch_nodes n2
      JOIN healthhub.record_block_keys bk ON bk.record_id = n2.record_id
     WHERE n2.record_id IS NOT NULL AND bk.block_hash IN (SELECT k.block_hash FROM batch_keys k);
    CREATE TEMP TABLE batch_edges ON COMMIT DROP AS
    SELECT p.a, p.b, NULL::double precision AS weight FROM healthhub.block_pairs(healthhub.batch_block_limit()) p;
    -- (every work table is analysed once made: the planner sees no
    -- statistics of temporary tables otherwise, and guesses badly at this size)
    ANALYZE batch_keys, batch_nodes, batch_edges;
    SELECT count(*) INTO n FROM batch_edges;
    report := report || jsonb_build_object('phase', 'blocking', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: % candidate pairs from blocking in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 3. scoring ----------------------------------------------------------
    CREATE TEMP TABLE batch_all ON COMMIT DROP AS
    SELECT r.node, r.source, r.local_id, r.institution_key, r.name, r.sex, r.birth_date, r.identifier_text, r.phone,
           r.region, r.other_identifiers, r.resident_id, r.id_conflict, r.name_hanzi, r.name_pinyin, r.name_initials,
           r.surname, r.name_given_pinyin
      FROM batch_records r
    UNION ALL
    SELECT n2.node, s.source, s.local_id, s.institution_key, s.name, s.sex, s.birth_date, s.identifier_text, s.phone,
           s.region, s.other_identifiers, s.resident_id, s.id_conflict, s.name_hanzi, s.name_pinyin, s.name_initials,
           s.surname, s.name_given_pinyin
      FROM batch_nodes n2 JOIN healthhub.source_records s ON s.record_id = n2.record_id;
    CREATE UNIQUE INDEX ON batch_all (node);
    ANALYZE batch_all;
    CREATE TEMP TABLE batch_scored ON COMMIT DROP AS
    SELECT e.a, e.b, healthhub.batch_match_score(x, y, model) AS weight
      FROM batch_edges e JOIN batch_all x ON x.node = e.a JOIN batch_all y ON y.node = e.b
     WHERE NOT EXISTS (SELECT FROM healthhub.link_decisions l
                        WHERE l.state = 'no_match'
                          AND ((l.source = x.source AND l.local_id = x.local_id
                                AND l.person_key = (SELECT person_key FROM batch_nodes WHERE node = y.node))
                            OR (l.source = y.source AND l.local_id = y.local_id
                                AND l.person_key = (SELECT person_key FROM batch_nodes WHERE node = x.node))));
    DROP TABLE batch_edges;
    ALTER TABLE batch_scored RENAME TO batch_edges;
    -- identifiers: records sharing a resident ID (without conflict) or
    -- another identifier are one person, whatever their scores
    -- (unless the names differ entirely: a parent's number on a child's
    -- record that gives no birth date to contradict it)
    INSERT INTO batch_edges
    SELECT g.first, x.node, 'Infinity'::double precision
      FROM batch_all x
      JOIN (SELECT resident_id, min(node) AS first FROM batch_records WHERE resident_id IS NOT NULL AND NOT id_conflict
             GROUP BY resident_id HAVING count(*) > 1) g ON g.resident_id OPERATOR(healthhub.=) x.resident_id
      JOIN batch_all f ON f.node = g.first
     WHERE x.node <> g.first AND NOT x.id_conflict AND x.node <= last_node
       AND (NOT m.names_must_agree OR (healthhub.batch_comparison_levels(x, f))[1] <> 5);
    INSERT INTO batch_edges
    SELECT g.first, xi.node, 'Infinity'::double precision
      FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) xi
      JOIN (SELECT ident, min(node) AS first FROM (SELECT node, unnest(other_identifiers) AS ident FROM batch_records) y
             GROUP BY ident HAVING count(*) > 1) g ON g.ident OPERATOR(healthhub.=) xi.ident
      JOIN batch_all x ON x.node = xi.node
      JOIN batch_all f ON f.node = g.first
     WHERE xi.node <> g.first
       AND (NOT m.names_must_agree OR (healthhub.batch_comparison_levels(x, f))[1] <> 5);
    -- and records whose number or identifier is already a person's join it,
    -- by the rule link_record follows (identifier_links)
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM batch_records r JOIN healthhub.person_identifiers pi
        ON pi.resident_id OPERATOR(healthhub.=) r.resident_id
     WHERE bn.node = r.node AND NOT r.id_conflict
       AND healthhub.identifier_links(r, pi.person_key, m.names_must_agree, false);
    UPDATE batch_nodes bn SET person_key = pi.person_key
      FROM (SELECT r1 AS rec, r1.node, unnest(r1.other_identifiers) AS ident FROM batch_records r1) r
      JOIN healthhub.person_identifiers pi ON pi.identifier OPERATOR(healthhub.=) r.ident
     WHERE bn.node = r.node AND bn.person_key IS NULL
       AND healthhub.identifier_links(r.rec, pi.person_key, m.names_must_agree, true);
    -- a record that joins a person without a number of its own carries the
    -- person's into the clustering
    UPDATE batch_nodes bn SET resident_id = (SELECT min(pi.resident_id::bigint) FROM healthhub.person_identifiers pi
                                              WHERE pi.person_key = bn.person_key AND pi.resident_id IS NOT NULL)
     WHERE bn.person_key IS NOT NULL AND bn.resident_id IS NULL AND bn.node <= last_node;
    ANALYZE batch_edges, batch_nodes;
    SELECT count(*) INTO n FROM batch_edges;
    report := report || jsonb_build_object('phase', 'scoring', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: scored % pairs in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 4. clustering -------------------------------------------------------
    -- (each node's group with the group's person already in the index, if any)
    CREATE TEMP TABLE batch_clusters ON COMMIT DROP AS
    SELECT c.node, c.cluster, c.person_key FROM healthhub.link_clusters(match_weight) c;
    -- (new persons numbered in the order of their first record: the same
    -- file gives the same keys whatever plan the aggregate gets)
    CREATE TEMP TABLE batch_persons ON COMMIT DROP AS
    SELECT g.cluster, coalesce(g.existing, healthhub.hub_key(hub, nextval('healthhub.key_seq'))) AS person_key,
           g.existing IS NULL AS created
      FROM (SELECT c.cluster, max(c.person_key) AS existing
              FROM batch_clusters c GROUP BY c.cluster ORDER BY c.cluster) g;
    -- The records with their persons and ids, as a new table (an UPDATE
    -- would write a million rows twice).  The ids are a block of the
    -- sequence, the batch's alone while it holds the index.
    first_record_id := nextval('healthhub.record_seq');
    PERFORM setval('healthhub.record_seq', first_record_id + last_node);
    CREATE TEMP TABLE batch_linked ON COMMIT DROP AS
    SELECT r.*, p.person_key, p.created AS person_created, first_record_id + r.node AS record_id
      FROM batch_records r JOIN batch_clusters c ON c.node = r.node JOIN batch_persons p ON p.cluster = c.cluster;
    DROP TABLE batch_records;
    ALTER TABLE batch_linked RENAME TO batch_records;
    -- (without statistics the planner joined the review queue's pairs to
    -- these records and persons as if they were a few rows: a second batch
    -- into a large index multiplied them out of all proportion)
    ANALYZE batch_records, batch_clusters, batch_persons;
    SELECT count(*) INTO n FROM batch_persons WHERE created;
    report := report || jsonb_build_object('phase', 'clustering', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: % records in % new persons in % s', (SELECT count(*) FROM batch_records), n,
        round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);
    t := clock_timestamp();

    -- 5. writing ----------------------------------------------------------
    -- Every row written below refers to rows this transaction has just
    -- written or read (persons, records, institutions): the per-row
    -- foreign-key triggers are skipped while it writes, as pg_restore
    -- --disable-triggers does, and none of these tables has another trigger.
    replication_role := current_setting('session_replication_role');
    PERFORM set_config('session_replication_role', 'replica', true);
    INSERT INTO healthhub.source_records (source, local_id, institution_key, name, sex, birth_date, identifier_text,
                                          phone, region, other_identifiers, resident_id, id_conflict, name_hanzi,
                                          name_pinyin, name_initials, surname, name_given_pinyin, person_key,
                                          link_origin, link_model, linked_by, record_id)
    SELECT r.source, r.local_id, r.institution_key, r.name, r.sex, r.birth_date, r.identifier_text, r.phone, r.region,
           r.other_identifiers, r.resident_id, r.id_conflict, r.name_hanzi, r.name_pinyin, r.name_initials, r.surname,
           r.name_given_pinyin, r.person_key, 'auto', model, who, r.record_id
      FROM batch_records r ORDER BY r.source, r.local_id;
    -- the best pair across two persons between the thresholds: the review queue
    INSERT INTO healthhub.link_decisions (source, local_id, person_key, state, origin, score, model_version, decided_by)
    SELECT DISTINCT ON (x.node) xa.source, xa.local_id, py.person_key, 'possible_match', 'auto', x.weight, model, who
      FROM (SELECT e.a AS node, e.b AS other, e.weight FROM batch_edges e
             WHERE e.weight >= possible_weight AND e.weight < match_weight
            UNION ALL
            SELECT e.b, e.a, e.weight FROM batch_edges e
             WHERE e.weight >= possible_weight AND e.weight < match_weight) x
      JOIN batch_records xa ON xa.node = x.node
      JOIN batch_clusters cy ON cy.node = x.other
      JOIN batch_persons py ON py.cluster = cy.cluster
     WHERE py.person_key <> xa.person_key
     ORDER BY x.node, x.weight DESC
    ON CONFLICT DO NOTHING;
    INSERT INTO healthhub.record_block_keys (block_hash, record_id)
    SELECT k.block_hash, first_record_id + k.node FROM batch_keys k WHERE k.node <= last_node
     ORDER BY 1, 2;
    INSERT INTO healthhub.person_identifiers (resident_id, person_key)
    SELECT DISTINCT ON (r.resident_id) r.resident_id, r.person_key FROM batch_records r
     WHERE r.resident_id IS NOT NULL AND NOT r.id_conflict
     ORDER BY r.resident_id, r.node
    ON CONFLICT DO NOTHING;
    INSERT INTO healthhub.person_identifiers (identifier, person_key)
    SELECT DISTINCT ON (i) i, r.person_key FROM batch_records r, unnest(r.other_identifiers) i
     ORDER BY i, r.node
    ON CONFLICT DO NOTHING;
    -- new persons are inserted with their golden records (after their records
    -- and identifiers: the golden record is made from them); persons that
    -- were already in the index get theirs rebuilt
    -- (the hub given, not left to its default: a function call per row)
    INSERT INTO healthhub.persons (hub_id, person_key, resident_id, name, sex, birth_date, phone, region)
    SELECT hub, g.* FROM healthhub.golden_records(ARRAY(
               SELECT p.person_key FROM batch_persons p
                WHERE p.created AND p.person_key IN (SELECT r.person_key FROM batch_records r))) g
     ORDER BY g.person_key;
    PERFORM healthhub.rebuild_golden_set(ARRAY(SELECT DISTINCT p.person_key FROM batch_persons p
                                                WHERE NOT p.created));
    SELECT count(*) INTO n FROM batch_records;
    report := report || jsonb_build_object('phase', 'writing', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    -- the load's one entry; each record's link event refers to it
    entry := healthhub.end_load(lid, jsonb_build_object(
        'records', n,
        'rejected', healthhub.load_rejected(lid, 'person_record'),
        'persons_created', (SELECT count(*) FROM batch_persons WHERE created),
        'matched_existing', (SELECT count(*) FROM batch_records r WHERE NOT r.person_created),
        'possible_matches', (SELECT count(*) FROM healthhub.link_decisions lk WHERE lk.state = 'possible_match'
                               AND (lk.source, lk.local_id) IN (SELECT br.source, br.local_id FROM batch_records br)),
        'model_version', model, 'phases', report), 'patient identity management');
    INSERT INTO healthhub.link_events (entry_id, by_role, action, source, local_id, record_id, person_key, new_state,
                                       origin, model_version, reason)
    SELECT entry, who, 'link_batch', r.source, r.local_id, r.record_id, r.person_key, 'match', 'auto', model,
           CASE WHEN r.person_created THEN 'created' ELSE 'matched' END
      FROM batch_records r
     ORDER BY r.record_id;
    PERFORM set_config('session_replication_role', replication_role, true);
    -- the tables grew by a batch: plan the next link_record() on their real sizes
    ANALYZE healthhub.source_records, healthhub.record_block_keys, healthhub.link_decisions, healthhub.persons,
            healthhub.person_identifiers;
    -- (the phase as returned ends here, after the events)
    report := (report - -1) || jsonb_build_object('phase', 'writing', 'seconds', extract(epoch FROM clock_timestamp() - t), 'rows', n);
    RAISE NOTICE 'link_batch: wrote % records in % s', n, round(extract(epoch FROM clock_timestamp() - t)::numeric, 1);

    -- the rows this batch read leave the staging table (rows staged
    -- meanwhile stay for the next batch)
    DELETE FROM healthhub.stage_person_records s USING batch_in b WHERE s.ctid = b.stage_row;
    RETURN QUERY
    SELECT x->>'phase', round((x->>'seconds')::numeric, 2), (x->>'rows')::bigint FROM jsonb_array_elements(report) x
    UNION ALL
    SELECT 'total', round(extract(epoch FROM clock_timestamp() - t0)::numeric, 2), n;
END
$$;
COMMENT ON FUNCTION healthhub.link_batch(text, text) IS
    'Link every record staged in healthhub.stage_person_records and empty it; returns the time and rows of each phase';
-- Training the linkage model from the data (docs/linkage.md), as Splink
-- does: u, the chance two different people agree at a level, from random
-- pairs of records; m, the chance the same person's records do, and the
-- prior, by expectation-maximisation over the pairs blocking proposes,
-- starting from the model in force (the neutral start the first time).
-- The result is a new model version; nothing already decided changes.
-- It learns from the records in the index, or (staged) from an extract
-- staged for link_batch() before it is linked: train on the extract, then
-- link it whole with the model it taught.

CREATE FUNCTION healthhub.train_linkage(max_pairs integer DEFAULT 1000000, random_pairs integer DEFAULT 200000,
                                        iterations integer DEFAULT 25, blocking_rules text[] DEFAULT NULL,
                                        match_probability double precision DEFAULT NULL,
                                        possible_probability double precision DEFAULT NULL,
                                        staged boolean DEFAULT false)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    base healthhub.linkage_models;
    v integer;
    rules text[];
    prior double precision;
    n_pairs bigint;
    n_records bigint;
    it integer := 0;
    moved double precision;
    floor_p constant double precision := 1e-6;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    IF max_pairs < 1000 OR random_pairs < 1000 OR iterations < 1 THEN
        RAISE EXCEPTION 'too little to train on'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'max_pairs and random_pairs must be at least 1000, iterations at least 1.';
    END IF;
    v := healthhub.linkage_model();      -- (the neutral start is made at first use)
    SELECT * INTO base FROM healthhub.linkage_models lm WHERE lm.model_version = v;
    rules := coalesce(blocking_rules, base.blocking_rules);
    IF EXISTS (SELECT FROM unnest(rules) r WHERE r NOT IN (SELECT b.rule FROM healthhub.linkage_blocking_rules b))
       OR cardinality(rules) = 0 THEN
        RAISE EXCEPTION 'unknown blocking rule in %', rules
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The rules are listed in healthhub.linkage_blocking_rules.';
    END IF;
    PERFORM healthhub.require_no_work_tables('train_linkage', ARRAY['train_records', 'train_random', 'train_weights',
        'train_fixed', 'train_keys', 'train_patterns', 'train_m']);
    PERFORM setseed(0.4242);

    -- the records, numbered, with the fields the comparisons read
    IF staged THEN
        CREATE TEMP TABLE train_records ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY s.line_no)::integer AS node, s.name_hanzi, s.name_pinyin,
               s.name_initials, s.surname, s.name_given_pinyin, s.birth_date, s.sex, s.phone, s.region,
               s.identifier_text, s.resident_id, s.id_conflict
          FROM healthhub.staged_person_records() s
         WHERE s.key_problem IS NULL;
    ELSE
        CREATE TEMP TABLE train_records ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY s.source, s.local_id)::integer AS node, s.name_hanzi, s.name_pinyin,
               s.name_initials, s.surname, s.name_given_pinyin, s.birth_date, s.sex, s.phone, s.region,
               s.identifier_text, s.resident_id, s.id_conflict
          FROM healthhub.source_records s WHERE s.withdrawn_at IS NULL;
    END IF;
    SELECT count(*) INTO n_records FROM train_records;
    IF n_records < 100 THEN
        RAISE EXCEPTION 'too few records to train on: %', n_records
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = CASE WHEN staged THEN 'Training needs at least 100 staged records.'
                                ELSE 'Training needs at least 100 linked records.' END,
                  HINT = CASE WHEN staged THEN 'COPY an extract into healthhub.stage_person_records first.'
                              ELSE 'Stage an extract and train on it with staged => true, or link records first.' END;
    END IF;
    CREATE UNIQUE INDEX ON train_records (node);
    ANALYZE train_records;

    -- u: level frequencies among random pairs
    CREATE TEMP TABLE train_random ON COMMIT DROP AS
    SELECT healthhub.batch_comparison_levels(a, b) AS levels
      FROM (SELECT 1 + floor(random() * n_records)::integer AS x, 1 + floor(random() * n_records)::integer AS y
              FROM generate_series(1, random_pairs)) p
      JOIN train_records a ON a.node = p.x JOIN train_records b ON b.node = p.y
     WHERE p.x <> p.y;
    CREATE TEMP TABLE train_weights ON COMMIT DROP AS
    SELECT c.comparison, c.level_no, c.level, w.m,
           greatest(floor_p, least(1 - floor_p,
               (SELECT (count(*) FILTER (WHERE r.levels[c.ord] = c.level_no) + 1.0)
                       / (count(*) FILTER (WHERE r.levels[c.ord] > 0) + 2.0)
                  FROM train_random r))) AS u
      FROM (SELECT lc.*, dense_rank() OVER (ORDER BY
                     array_position(ARRAY['name', 'birth_date', 'sex', 'phone', 'region', 'identifier'], lc.comparison))
                     AS ord
              FROM healthhub.linkage_comparisons lc) c
      JOIN healthhub.linkage_weights w ON w.model_version = base.model_version
                                      AND w.comparison = c.comparison AND w.level = c.level;

    -- The pairs each blocking rule proposes (up to max_pairs in all), as
    -- patterns of levels.  EM runs per rule over the comparisons the rule
    -- does not fix (pairs that share a birth date say nothing about how
    -- often matches share one), and each m is the average of the runs that
    -- estimated it, weighted by their expected matches: Splink's way to keep
    -- blocking from confounding the estimates.
    CREATE TEMP TABLE train_fixed ON COMMIT DROP AS
    SELECT f.rule, f.comparison FROM (VALUES
        ('pinyin_birth_year', 'name'), ('pinyin_birth_year', 'birth_date'),
        ('initials_birth_date', 'name'), ('initials_birth_date', 'birth_date'),
        ('birth_date_sex_prefecture', 'birth_date'), ('birth_date_sex_prefecture', 'sex'),
        ('birth_date_sex_prefecture', 'region'),
        ('phone', 'phone'), ('hanzi', 'name')) f(rule, comparison);
    CREATE TEMP TABLE train_keys ON COMMIT DROP AS
    SELECT split_part(k, ':', 1) AS rule, healthhub.block_hash(k) AS h, r.node
      FROM train_records r,
           unnest(healthhub.block_keys(r.name_pinyin, r.name_initials, r.name_hanzi, r.birth_date, r.sex, r.region, r.phone)) k
     WHERE split_part(k, ':', 1) = ANY (rules);
    CREATE TEMP TABLE train_patterns ON COMMIT DROP AS
    SELECT p.rule, healthhub.batch_comparison_levels(a, b) AS levels, count(*)::double precision AS n,
           0.0::double precision AS p
      FROM (SELECT DISTINCT k1.rule, k1.node AS x, k2.node AS y
              FROM train_keys k1 JOIN train_keys k2 ON k1.rule = k2.rule AND k1.h = k2.h AND k1.node < k2.node
             LIMIT max_pairs) p
      JOIN train_records a ON a.node = p.x JOIN train_records b ON b.node = p.y
     GROUP BY p.rule, 2;
    SELECT sum(n)::bigint INTO n_pairs FROM train_patterns;
    IF n_pairs = 0 THEN
        RAISE EXCEPTION 'blocking proposes no pairs to train on'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    CREATE TEMP TABLE train_m ON COMMIT DROP AS
    SELECT r.rule, w.comparison, w.level_no,
           array_position(ARRAY['name', 'birth_date', 'sex', 'phone', 'region', 'identifier'], w.comparison) AS ord,
           w.m, w.u, base.prior AS prior, 0.0::double precision AS delta
      FROM (SELECT DISTINCT tp.rule FROM train_patterns tp) r
     CROSS JOIN train_weights w
     WHERE NOT EXISTS (SELECT FROM train_fixed f WHERE f.rule = r.rule AND f.comparison = w.comparison);

    LOOP
        it := it + 1;
        -- expectation: the chance each pattern is a match, under its rule's m
        UPDATE train_patterns tp SET p = s.posterior
          FROM (SELECT t.rule, t.levels,
                       1.0 / (1.0 + (1 - max(m.prior)) / max(m.prior)
                                    * exp(coalesce(sum(ln(m.u) - ln(m.m)) FILTER (WHERE t.levels[m.ord] = m.level_no), 0))) AS posterior
                  FROM train_patterns t JOIN train_m m ON m.rule = t.rule
                 GROUP BY t.rule, t.levels) s
         WHERE tp.rule = s.rule AND tp.levels = s.levels;
        -- maximisation: each rule's m and prior
        UPDATE train_m m SET delta = abs(m.m - nm.m), m = nm.m, prior = nm.prior
          FROM (SELECT m2.rule, m2.comparison, m2.level_no,
                       greatest(floor_p, least(1 - floor_p,
                           (coalesce(sum(t.n * t.p) FILTER (WHERE t.levels[m2.ord] = m2.level_no), 0) + 1e-9)
                           / (coalesce(sum(t.n * t.p) FILTER (WHERE t.levels[m2.ord] > 0), 0) + 1e-9))) AS m,
                       greatest(floor_p, least(1 - floor_p, sum(t.n * t.p) / sum(t.n))) AS prior
                  FROM train_m m2 JOIN train_patterns t ON t.rule = m2.rule
                 GROUP BY m2.rule, m2.comparison, m2.level_no) nm
         WHERE m.rule = nm.rule AND m.comparison = nm.comparison AND m.level_no = nm.level_no;
        SELECT max(m.delta) INTO moved FROM train_m m;
        EXIT WHEN it >= iterations OR moved < 1e-5;
    END LOOP;
    -- each m: the runs that estimated it (saw the comparison at all),
    -- weighted by their expected matches with the comparison known
    UPDATE train_weights w SET m = greatest(floor_p, least(1 - floor_p, s.m))
      FROM (SELECT m.comparison, m.level_no, sum(m.m * e.matches) / sum(e.matches) AS m
              FROM train_m m
              JOIN (SELECT t.rule, c.ord, sum(t.n * t.p) AS matches
                      FROM train_patterns t
                     CROSS JOIN generate_series(1, 6) AS c(ord)
                     WHERE t.levels[c.ord] > 0
                     GROUP BY t.rule, c.ord) e
                ON e.rule = m.rule AND e.ord = m.ord
             GROUP BY m.comparison, m.level_no) s
     WHERE w.comparison = s.comparison AND w.level_no = s.level_no;
    -- The prior: the chance that two records taken at random are one
    -- person, as the weights are (u comes from random pairs).  The matches
    -- are counted once over the distinct pairs blocking proposes, each
    -- scored under the rules' average prior, and spread over all pairs.
    SELECT sum(e.matches) / sum(e.pairs) INTO prior
      FROM (SELECT t.rule, sum(t.n * t.p) AS matches, sum(t.n) AS pairs FROM train_patterns t GROUP BY t.rule) e;
    SELECT sum(d.n / (1.0 + (1 - prior) / prior
                            * exp(coalesce((SELECT sum(ln(w.u) - ln(w.m)) FROM train_weights w
                                             WHERE d.levels[array_position(ARRAY['name', 'birth_date', 'sex', 'phone',
                                                   'region', 'identifier'], w.comparison)] = w.level_no), 0))))
      INTO prior
      FROM (SELECT t.levels, sum(t.n) AS n FROM train_patterns t GROUP BY t.levels) d;
    prior := greatest(1e-12, least(0.5, prior / (n_records * (n_records - 1) / 2.0)));

    SELECT max(lm.model_version) + 1 INTO v FROM healthhub.linkage_models lm;
    INSERT INTO healthhub.linkage_models (model_version, method, prior, match_probability, possible_probability,
                                          blocking_rules, names_must_agree, pairs, iterations)
    VALUES (v, 'em', prior, coalesce(match_probability, base.match_probability),
            coalesce(possible_probability, base.possible_probability), rules, base.names_must_agree, n_pairs, it);
    INSERT INTO healthhub.linkage_weights (model_version, comparison, level, m, u)
    SELECT v, w.comparison, w.level, w.m, w.u FROM train_weights w;
    INSERT INTO healthhub.surname_frequencies (model_version, surname, frequency)
    SELECT v, s.surname, count(*)::double precision / sum(count(*)) OVER ()
      FROM train_records s WHERE s.surname IS NOT NULL
     GROUP BY s.surname;
    IF rules IS DISTINCT FROM base.blocking_rules THEN
        PERFORM healthhub.rebuild_block_keys();
    END IF;
    PERFORM healthhub.audit_append('linkage.train', 'linkage_model', v::text, NULL, 'patient identity management', 'ok');
    RETURN v;
END
$$;
COMMENT ON FUNCTION healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision, boolean) IS
    'Estimate a new linkage model version from the records (or the staged extract): u from random pairs, m and the prior by EM';

-- Recompute every record's blocking keys for the rules of the model in force.
CREATE FUNCTION healthhub.rebuild_block_keys() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rules text[];
    n bigint;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    SELECT lm.blocking_rules INTO rules FROM healthhub.linkage_models lm
     WHERE lm.model_version = healthhub.linkage_model();
    TRUNCATE healthhub.record_block_keys;
    INSERT INTO healthhub.record_block_keys (block_hash, record_id)
    SELECT h, s.record_id
      FROM healthhub.source_records s, unnest(healthhub.block_hashes(s, rules)) h
     WHERE s.withdrawn_at IS NULL
     ORDER BY 1, 2;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.rebuild_block_keys() IS
    'Recompute the blocking keys of every record for the rules of the linkage model in force';

-- Make every record's name keys anew with this server's ICU, and then the
-- blocking keys (after an ICU upgrade: docs/install.md).  Records keep their
-- persons; returns how many records' keys changed.
CREATE FUNCTION healthhub.rebuild_name_keys() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM healthhub.linkage_authorise_admin();
    LOCK TABLE healthhub.source_records IN SHARE ROW EXCLUSIVE MODE;
    UPDATE healthhub.source_records s
       SET name_hanzi = k.hanzi, name_pinyin = k.pinyin, name_initials = k.initials, surname = k.surname,
           name_given_pinyin = k.given_pinyin
      FROM healthhub.source_records s2
     CROSS JOIN LATERAL healthhub.name_keys_or_null(s2.name) k
     WHERE s2.record_id = s.record_id AND s2.name IS NOT NULL
       AND (s.name_hanzi, s.name_pinyin, s.name_initials, s.surname, s.name_given_pinyin)
           IS DISTINCT FROM (k.hanzi, k.pinyin, k.initials, k.surname, k.given_pinyin);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM healthhub.rebuild_block_keys();
    INSERT INTO healthhub.name_keys_made_with (icu_version) VALUES (healthhub.icu_version())
    ON CONFLICT (only_row) DO UPDATE SET icu_version = EXCLUDED.icu_version, made_at = now();
    PERFORM healthhub.audit_append('linkage.rebuild_name_keys', 'person_index', healthhub.icu_version(), NULL,
                                   'patient identity management', n || ' records rekeyed');
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.rebuild_name_keys() IS
    'Make every record''s name and blocking keys anew with this server''s ICU (after an ICU upgrade)';
-- Audited reads of the person index (issue 10; docs/linkage.md, "Reading
-- the index").  No profile reads persons, person_identifiers,
-- source_records, link_decisions, links, link_events, person_separations,
-- review_queue or persons_with_two_numbers directly: a plain SELECT leaves
-- no trace.  These functions are what a profile reads instead.  Each runs
-- as its owner, checks the caller (healthhub.acting_role()) itself, and
-- writes one audit entry (action 'read', keys only, never a number or a
-- name) describing what it read BEFORE it returns any row.

-- Whether the acting role may read the link history: hub_admin, auditors
-- and superusers.
CREATE FUNCTION healthhub.linkage_may_read_history() RETURNS boolean
    LANGUAGE sql STABLE
    RETURN healthhub.acting_role_is_admin()
           OR 'auditor' OPERATOR(pg_catalog.=) ANY (healthhub.acting_role_profiles());

CREATE FUNCTION healthhub.linkage_authorise_history() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.linkage_may_read_history() THEN
        RAISE EXCEPTION 'role % may not read the link history', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The link history is for hub_admin and auditor profiles.';
    END IF;
END
$$;

-- A page of at most max_rows rows: 1 to 10,000.
CREATE FUNCTION healthhub.require_page_size(max_rows integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF max_rows IS NULL THEN
        RAISE EXCEPTION 'max_rows is NULL' USING ERRCODE = 'null_value_not_allowed',
            DETAIL = 'A read returns at most max_rows rows: 1 to 10000.';
    ELSIF max_rows NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'invalid max_rows %', max_rows USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'A read returns at most max_rows rows: 1 to 10000.',
            HINT = 'Read further pages with the last key of the page before.';
    END IF;
END
$$;

-- The source and local id a read names: present, and short enough to key a
-- record (so "source/local_id" always fits an audit entry's object id).
CREATE FUNCTION healthhub.require_record_key(function_name text, source text, local_id text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problem text := healthhub.record_key_problem(source, local_id);
BEGIN
    PERFORM healthhub.require_arguments('healthhub.' || function_name, ARRAY['source', 'local_id'],
                                        ARRAY[source IS NULL, local_id IS NULL]);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid record key: %', problem
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The source has %s bytes, the local id %s.', octet_length(source), octet_length(local_id));
    END IF;
END
$$;

-- One source record, as received and linked.  hub_admin any; an
-- institution's application its own institution's records only (42501 for
-- another institution's source, whether the record exists or not), and
-- without link_score (the score its record had against another
-- institution's record: NULL).
CREATE FUNCTION healthhub.source_record(source text, local_id text)
    RETURNS SETOF healthhub.source_records
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r healthhub.source_records;
BEGIN
    PERFORM healthhub.require_record_key('source_record', source, local_id);
    r := healthhub.authorised_record(source, local_id, false, false);
    IF NOT healthhub.acting_role_is_admin() THEN
        r.link_score := NULL;
    END IF;
    PERFORM healthhub.audit_append('read', 'source_record', r.source || '/' || r.local_id, r.person_key,
                                   'patient identity management', 'ok');
    RETURN NEXT r;
END
$$;
COMMENT ON FUNCTION healthhub.source_record(text, text) IS
    'One source record (an institution''s application: its own, without link_score); the read is audited';

-- The records of one source, a page at a time in local id order: those
-- after after_local_id, at most max_rows.  Who may: as source_record.  The
-- entry names the source and the first and last local id read.
CREATE FUNCTION healthhub.source_records_of(source text, after_local_id text DEFAULT NULL, max_rows integer DEFAULT 1000)
    RETURNS SETOF healthhub.source_records
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint;
    admin boolean := healthhub.acting_role_is_admin();
    page healthhub.source_records[];
    n integer;
BEGIN
    PERFORM healthhub.require_record_key('source_records_of', source, coalesce(after_local_id, '-')),
            healthhub.require_page_size(max_rows);
    institution := healthhub.linkage_authorise(source);
    -- (an application is not told the score against another institution's record)
    SELECT array_agg(CASE WHEN admin THEN s.r ELSE jsonb_populate_record(s.r, '{"link_score": null}') END
                     ORDER BY (s.r).local_id) INTO page
      FROM (SELECT x AS r FROM healthhub.source_records x
             WHERE x.source = btrim(source_records_of.source)
               AND (after_local_id IS NULL OR x.local_id > btrim(after_local_id))
               AND (admin OR x.institution_key = institution)
             ORDER BY x.local_id LIMIT max_rows) s;
    n := coalesce(cardinality(page), 0);
    PERFORM healthhub.audit_append('read', 'source_records',
                                   btrim(source) || CASE WHEN n = 0 THEN '' ELSE
                                       '/' || (page[1]).local_id || ' .. ' || (page[n]).local_id END,
                                   NULL, 'patient identity management', n || ' records');
    -- (unnest returns the page in its order)
    RETURN QUERY SELECT * FROM unnest(page);
END
$$;
COMMENT ON FUNCTION healthhub.source_records_of(text, text, integer) IS
    'A page of one source''s records in local id order (an institution''s application: its own); the read is audited';

-- A person's golden record (hub_admin).  No row for an unknown key.
CREATE FUNCTION healthhub.person_details(person bigint)
    RETURNS SETOF healthhub.persons
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.persons;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_details', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading persons is for hub_admin.');
    SELECT * INTO p FROM healthhub.persons x WHERE x.person_key = person;
    PERFORM healthhub.audit_append('read', 'person', person::text, p.person_key, 'patient identity management',
                                   CASE WHEN p.person_key IS NULL THEN 'not_found' ELSE 'found' END);
    IF p.person_key IS NOT NULL THEN
        RETURN NEXT p;
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.person_details(bigint) IS 'A person''s golden record (hub_admin); the read is audited';

-- The records linked to a person now, and the person's identifiers
-- (hub_admin).
CREATE FUNCTION healthhub.person_records(person bigint)
    RETURNS SETOF healthhub.source_records
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    page healthhub.source_records[];
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_records', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading a person''s records is for hub_admin.');
    SELECT array_agg(s ORDER BY s.source, s.local_id) INTO page
      FROM healthhub.source_records s WHERE s.person_key = person;
    PERFORM healthhub.audit_append('read', 'person_records', person::text, person, 'patient identity management',
                                   coalesce(cardinality(page), 0) || ' records');
    RETURN QUERY SELECT * FROM unnest(page);
END
$$;
COMMENT ON FUNCTION healthhub.person_records(bigint) IS
    'The source records linked to a person (hub_admin); the read is audited';

CREATE FUNCTION healthhub.person_identifiers_of(person bigint)
    RETURNS TABLE (resident_id healthhub.resident_id, identifier healthhub.health_identifier, linked_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_ids healthhub.person_identifiers[];
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_identifiers_of', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading a person''s identifiers is for hub_admin.');
    SELECT array_agg(pi ORDER BY pi.resident_id IS NULL, pi.resident_id, pi.identifier) INTO found_ids
      FROM healthhub.person_identifiers pi WHERE pi.person_key = person;
    PERFORM healthhub.audit_append('read', 'person_identifiers', person::text, person, 'patient identity management',
                                   coalesce(cardinality(found_ids), 0) || ' identifiers');
    RETURN QUERY SELECT x.resident_id, x.identifier, x.linked_at FROM unnest(found_ids) x;
END
$$;
COMMENT ON FUNCTION healthhub.person_identifiers_of(bigint) IS
    'The identifiers that find a person (hub_admin); the read is audited';

-- Every decision about one record now: its match and the other decisions
-- (the rows of healthhub.links; hub_admin).
CREATE FUNCTION healthhub.record_links(source text, local_id text)
    RETURNS SETOF healthhub.links
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_links healthhub.links[];
BEGIN
    PERFORM healthhub.require_record_key('record_links', source, local_id);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reading the links of a record is for hub_admin.');
    SELECT array_agg(l ORDER BY l.state = 'match' DESC, l.decided_at, l.person_key) INTO found_links
      FROM healthhub.links l WHERE l.source = btrim(record_links.source) AND l.local_id = btrim(record_links.local_id);
    PERFORM healthhub.audit_append('read', 'person_links', btrim(source) || '/' || btrim(local_id),
                                   (SELECT x.person_key FROM unnest(found_links) x WHERE x.state = 'match'),
                                   'patient identity management', coalesce(cardinality(found_links), 0) || ' links');
    RETURN QUERY SELECT * FROM unnest(found_links);
END
$$;
COMMENT ON FUNCTION healthhub.record_links(text, text) IS
    'The match and the other decisions of one record (hub_admin); the read is audited';

-- The review queue, oldest first, a page at a time (hub_admin).  The entry
-- names the span of queue times read.
CREATE FUNCTION healthhub.pending_reviews(queued_after timestamptz DEFAULT NULL, max_rows integer DEFAULT 100)
    RETURNS SETOF healthhub.review_queue
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    page healthhub.review_queue[];
    n integer;
BEGIN
    PERFORM healthhub.require_page_size(max_rows);
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reviewing possible matches is for hub_admin.');
    SELECT array_agg(q.r ORDER BY (q.r).queued_at, (q.r).source, (q.r).local_id, (q.r).candidate) INTO page
      FROM (SELECT rq AS r FROM healthhub.review_queue rq
             WHERE queued_after IS NULL OR rq.queued_at > queued_after
             ORDER BY rq.queued_at, rq.source, rq.local_id, rq.candidate LIMIT max_rows) q;
    n := coalesce(cardinality(page), 0);
    PERFORM healthhub.audit_append('read', 'review_queue',
                                   CASE WHEN n > 0 THEN 'queued ' || (page[1]).queued_at || ' .. ' || (page[n]).queued_at END,
                                   NULL, 'patient identity management', n || ' possible matches');
    RETURN QUERY SELECT * FROM unnest(page);
END
$$;
COMMENT ON FUNCTION healthhub.pending_reviews(timestamptz, integer) IS
    'Possible matches awaiting review, oldest first, a page at a time (hub_admin); the read is audited';

-- Persons whose automatically linked records carry several valid numbers
-- (healthhub.persons_with_two_numbers; hub_admin).
CREATE FUNCTION healthhub.find_persons_with_two_numbers()
    RETURNS SETOF healthhub.persons_with_two_numbers
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_persons healthhub.persons_with_two_numbers[];
BEGIN
    PERFORM healthhub.linkage_authorise_admin('may not read the person index', 'Reviewing persons with two numbers is for hub_admin.');
    SELECT array_agg(v ORDER BY v.person_key) INTO found_persons FROM healthhub.persons_with_two_numbers v;
    PERFORM healthhub.audit_append('read', 'persons_with_two_numbers', NULL, NULL, 'patient identity management',
                                   coalesce(cardinality(found_persons), 0) || ' persons');
    RETURN QUERY SELECT * FROM unnest(found_persons);
END
$$;
COMMENT ON FUNCTION healthhub.find_persons_with_two_numbers() IS
    'Persons whose automatically linked records carry several valid resident ID numbers (hub_admin); the read is audited';

-- The link history of one person (link_events naming it, as the person or
-- the other person of a merge), oldest first (hub_admin, auditor).
CREATE FUNCTION healthhub.person_history(person bigint)
    RETURNS SETOF healthhub.link_events
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    events healthhub.link_events[];
BEGIN
    PERFORM healthhub.require_arguments('healthhub.person_history', ARRAY['person'], ARRAY[person IS NULL]);
    PERFORM healthhub.linkage_authorise_history();
    SELECT array_agg(e ORDER BY e.event_id) INTO events
      FROM healthhub.link_events e WHERE e.person_key = person OR e.other_person = person;
    PERFORM healthhub.audit_append('read', 'person_link_history', 'person ' || person, person,
                                   'patient identity management', coalesce(cardinality(events), 0) || ' events');
    RETURN QUERY SELECT * FROM unnest(events);
END
$$;
COMMENT ON FUNCTION healthhub.person_history(bigint) IS
    'The link history of one person, oldest first (hub_admin, auditor); the read is audited';

-- The link history of a period, a page at a time in event order (hub_admin,
-- auditor): events at or after from_at and before to_at, after after_event.
CREATE FUNCTION healthhub.link_history(from_at timestamptz, to_at timestamptz, after_event bigint DEFAULT NULL,
                                       max_rows integer DEFAULT 1000)
    RETURNS SETOF healthhub.link_events
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    events healthhub.link_events[];
    n integer;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.link_history', ARRAY['from_at', 'to_at'],
                                        ARRAY[from_at IS NULL, to_at IS NULL]),
            healthhub.require_page_size(max_rows);
    PERFORM healthhub.linkage_authorise_history();
    SELECT array_agg(x.r ORDER BY (x.r).event_id) INTO events
      FROM (SELECT e AS r FROM healthhub.link_events e
             WHERE e.at >= from_at AND e.at < to_at AND (after_event IS NULL OR e.event_id > after_event)
             ORDER BY e.event_id LIMIT max_rows) x;
    n := coalesce(cardinality(events), 0);
    PERFORM healthhub.audit_append('read', 'person_link_history',
                                   format('[%s, %s) events %s', from_at, to_at,
                                          CASE WHEN n = 0 THEN 'none' ELSE (events[1]).event_id || ' .. ' || (events[n]).event_id END),
                                   NULL, 'patient identity management', n || ' events');
    RETURN QUERY SELECT * FROM unnest(events);
END
$$;
COMMENT ON FUNCTION healthhub.link_history(timestamptz, timestamptz, bigint, integer) IS
    'The link history of a period, a page at a time (hub_admin, auditor); the read is audited';
-- Who may do what in the master person index (docs/security.md).  Linking
-- functions run as their owner and check the caller themselves: hub_admin
-- anything, an institution's application its own records only.

ALTER TABLE healthhub.source_records ENABLE ROW LEVEL SECURITY;
CREATE POLICY source_records_read ON healthhub.source_records FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'healthhub.linkage_model()', 'healthhub.prepare_record(text, text, text, text, date, text, text, text, text[])',
        'healthhub.linkage_authorise(text)', 'healthhub.linkage_authorise_admin(text, text)',
        'healthhub.authorised_record(text, text, boolean, boolean)',
        'healthhub.linkage_authorise_person(healthhub.source_records, bigint)', 'healthhub.institution_for_source(text)',
        'healthhub.institutions_named_by(text)', 'healthhub.linkage_authorise_institution(text, bigint)',
        'healthhub.other_number_held(anyelement, bigint)', 'healthhub.identifier_links(anyelement, bigint, boolean, boolean)',
        'healthhub.log_link_event(text, text, text, bigint, bigint, text, text, text, double precision, integer, jsonb, text)',
        'healthhub.find_match(healthhub.source_records, integer)', 'healthhub.sync_person_identifiers(bigint)',
        'healthhub.lock_persons(bigint[])', 'healthhub.require_active(bigint)', 'healthhub.set_manual_match(text, text, bigint)',
        'healthhub.link_record(text, text, text, text, date, text, text, text, text[])',
        'healthhub.link_prepared(healthhub.source_records)', 'healthhub.link_manually(text, text, bigint, text)', 'healthhub.unlink_manually(text, text, bigint, text)',
        'healthhub.review_possible_match(text, text, bigint, boolean, text)',
        'healthhub.merge_persons(bigint, bigint, text)', 'healthhub.unmerge_person(bigint, text)',
        'healthhub.withdraw_record(text, text, text)', 'healthhub.record_death(bigint, date, text)',
        'healthhub.match_explain(text, text, text, text, integer)', 'healthhub.record_history(text, text)',
        'healthhub.resolve(healthhub.resident_id)', 'healthhub.resolve(healthhub.health_identifier)',
        'healthhub.resolve(text)', 'healthhub.current_person(bigint)', 'healthhub.link_batch(text, text)',
        'healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision, boolean)',
        'healthhub.rebuild_block_keys()', 'healthhub.rebuild_name_keys()', 'healthhub.check_name_keys_version()',
        'healthhub.staged_person_records()', 'healthhub.require_no_work_tables(text, text[])',
        'healthhub.replan_when_grown()', 'healthhub.link_clusters(double precision)', 'healthhub.block_pairs(integer)',
        'healthhub.batch_match_score(record, record, integer)', 'healthhub.batch_comparison_levels(record, record)', 'healthhub.forget_block_keys(healthhub.source_records)',
        'healthhub.rebuild_golden(bigint)', 'healthhub.rebuild_golden_set(bigint[])',
        'healthhub.golden_records(bigint[])',
        -- the audited reads (reads.sql)
        'healthhub.linkage_may_read_history()',
        'healthhub.linkage_authorise_history()',
        'healthhub.require_page_size(integer)', 'healthhub.require_record_key(text, text, text)',
        'healthhub.source_record(text, text)',
        'healthhub.source_records_of(text, text, integer)', 'healthhub.person_details(bigint)',
        'healthhub.person_records(bigint)', 'healthhub.person_identifiers_of(bigint)',
        'healthhub.record_links(text, text)', 'healthhub.pending_reviews(timestamptz, integer)',
        'healthhub.find_persons_with_two_numbers()', 'healthhub.person_history(bigint)',
        'healthhub.link_history(timestamptz, timestamptz, bigint, integer)']
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app', 'clinician', 'pharmacist', 'insurer']) pr,
       unnest(ARRAY['healthhub.resolve(healthhub.resident_id)', 'healthhub.resolve(healthhub.health_identifier)',
                    'healthhub.resolve(text)', 'healthhub.current_person(bigint)']) f
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app']) pr,
       unnest(ARRAY['healthhub.link_record(text, text, text, text, date, text, text, text, text[])',
                    'healthhub.link_manually(text, text, bigint, text)',
                    'healthhub.unlink_manually(text, text, bigint, text)',
                    'healthhub.withdraw_record(text, text, text)',
                    'healthhub.match_explain(text, text, text, text, integer)']) f
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.review_possible_match(text, text, bigint, boolean, text)',
                    'healthhub.merge_persons(bigint, bigint, text)', 'healthhub.unmerge_person(bigint, text)',
                    'healthhub.record_death(bigint, date, text)', 'healthhub.linkage_model()',
                    'healthhub.link_batch(text, text)',
                    'healthhub.train_linkage(integer, integer, integer, text[], double precision, double precision, boolean)',
                    'healthhub.rebuild_block_keys()', 'healthhub.rebuild_name_keys()']) f
UNION ALL
-- Tables of the model and of the name keys: no personal data.  The person
-- index itself (persons, person_identifiers, source_records, link_decisions,
-- links, link_events, person_separations, review_queue,
-- persons_with_two_numbers, the staged extract) no profile reads directly: a
-- plain SELECT leaves no trace.  The audited functions of reads.sql read it.
SELECT 'hub_admin', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.linkage_models', 'healthhub.linkage_weights', 'healthhub.surname_frequencies',
                    'healthhub.name_keys_made_with']) t
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.survivorship_rules', 'SELECT, INSERT, UPDATE, DELETE'
UNION ALL
-- hub_admin stages an extract (COPY) and may empty the staging table; it
-- does not read it back (link_batch does)
SELECT 'hub_admin', 'table', 'healthhub.stage_person_records', 'INSERT, DELETE'
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.person_details(bigint)', 'healthhub.person_records(bigint)',
                    'healthhub.person_identifiers_of(bigint)', 'healthhub.record_links(text, text)',
                    'healthhub.pending_reviews(timestamptz, integer)',
                    'healthhub.find_persons_with_two_numbers()']) f
UNION ALL
-- an application reads its own records (source_record, source_records_of:
-- its own institution's, without the score its link decision had against
-- another institution's record)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app']) pr,
       unnest(ARRAY['healthhub.source_record(text, text)', 'healthhub.source_records_of(text, text, integer)']) f
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'auditor']) pr,
       unnest(ARRAY['healthhub.record_history(text, text)', 'healthhub.person_history(bigint)',
                    'healthhub.link_history(timestamptz, timestamptz, bigint, integer)']) f;

-- The person index changes only through its functions, each recorded
-- (link.<action>, person_records.load.delta, linkage.train, linkage.rebuild_name_keys;
-- docs/linkage.md); survivorship_rules has the audit_changes trigger.
INSERT INTO healthhub.audit_exemptions
SELECT 'healthhub.' || t, 'functions', 'link.<action> and person_records.load.delta'
  FROM unnest(ARRAY['persons', 'person_identifiers', 'source_records', 'link_decisions', 'person_separations',
                    'link_events', 'record_block_keys', 'link_locks']) t
UNION ALL
SELECT 'healthhub.stage_person_records', 'staging', 'person_records.load.delta of the batch that reads it'
UNION ALL
SELECT 'healthhub.' || t, 'functions', 'linkage.train'
  FROM unnest(ARRAY['linkage_models', 'linkage_weights', 'surname_frequencies']) t
UNION ALL
SELECT 'healthhub.name_keys_made_with', 'functions', 'linkage.rebuild_name_keys';

-- Roles that already hold a profile (an upgrade) get what it now includes.
SELECT healthhub.apply_profile_privileges(rp.role_name, rp.profile, true)
  FROM healthhub.role_profiles rp
  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) rp.role::pg_catalog.oid
                             AND r.rolname OPERATOR(pg_catalog.=) rp.role_name;
-- Health codes (docs/health-codes.md): the EU Digital COVID Certificate's
-- wire format, prefix + Base45(zlib(COSE_Sign1(CWT claims))), for this
-- hub's own codes ("HH1:") and for EU DCCs ("HC1:").  The codec is pure C
-- (src/healthcode/base45.c ... health_code.c, fuzzed); this file is its SQL
-- face: the type, the kinds of code, and the decoder for support staff.

-- The issuing service's profile (issue.sql says what it may do).
INSERT INTO healthhub.profiles VALUES
    ('code_issuer', false, 'the health code service: issues codes signed with the hub''s keys');

-- healthhub.health_code: an issued code.  Binary form (storage, SEND/RECV):
-- the COSE_Sign1 bytes; text form: the QR string.  Input checks the layers
-- and the structure, not the signature (verify_health_code does).
CREATE TYPE healthhub.health_code;

CREATE FUNCTION healthhub.health_code_in(cstring) RETURNS healthhub.health_code
    AS 'MODULE_PATHNAME', 'hh_health_code_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_out(healthhub.health_code) RETURNS cstring
    AS 'MODULE_PATHNAME', 'hh_health_code_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_recv(internal) RETURNS healthhub.health_code
    AS 'MODULE_PATHNAME', 'hh_health_code_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_send(healthhub.health_code) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_health_code_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.health_code (
    INPUT = healthhub.health_code_in,
    OUTPUT = healthhub.health_code_out,
    RECEIVE = healthhub.health_code_recv,
    SEND = healthhub.health_code_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = extended
);
COMMENT ON TYPE healthhub.health_code IS
    'A signed health code: COSE_Sign1 bytes, written as its QR text (HH1: healthhub, HC1: EU DCC)';

-- Comparison: the COSE bytes, as bytea compares them (the representation is
-- bytea's: a varlena of bytes); thin C aliases of bytea's functions.
CREATE FUNCTION healthhub.health_code_eq(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_ne(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_lt(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_le(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_gt(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_ge(healthhub.health_code, healthhub.health_code) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_health_code_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_cmp(healthhub.health_code, healthhub.health_code) RETURNS integer
    AS 'MODULE_PATHNAME', 'hh_health_code_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'hh_health_code_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.health_code_hash(healthhub.health_code) RETURNS integer
    AS 'MODULE_PATHNAME', 'hh_health_code_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.health_code_hash_extended(healthhub.health_code, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'hh_health_code_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: health_code_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.health_code) WITH INOUT;
CREATE CAST (healthhub.health_code AS text) WITH INOUT;
-- (the binary form: the COSE bytes)
CREATE CAST (healthhub.health_code AS bytea) WITHOUT FUNCTION;

-- The kinds of code this hub issues, as rows a DBA may add to.
CREATE TABLE healthhub.health_code_kinds (
    kind        text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
    statuses    text[] CHECK (cardinality(statuses) > 0),  -- NULL: the kind has no status
    lifetime    interval NOT NULL CHECK (lifetime > interval '0'),
    dynamic     boolean NOT NULL,   -- refreshed by the app: an older code than the last accepted is a replay
    description text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.health_code_kinds IS
    'Kinds of health code: their statuses (NULL: none), lifetime, and whether they are dynamic (replay refused)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.health_code_kinds', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.health_code_kinds VALUES
    ('health_card', NULL, '5 years', false, 'the resident electronic health card (居民电子健康卡): one card in every hospital',
     'shipped'),
    ('epidemic_status', '{green,yellow,red}', '10 minutes', true,
     'the epidemic status code (健康码): green, yellow or red, refreshed by the app', 'shipped');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.health_code_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('kind');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.health_code_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('health_code_kind', 'kind', 'health code policy');

-- The person key a code's subject is, when the code is this hub's and its
-- subject a person of this hub's index (a subject of another issuer is
-- not a key here).
CREATE FUNCTION healthhub.subject_person(subject text, issuer text DEFAULT NULL) RETURNS bigint
    LANGUAGE sql STABLE
    RETURN CASE WHEN subject ~ '^[0-9]{1,18}$' AND coalesce(issuer, healthhub.hub_id()::text) = healthhub.hub_id()::text
                     AND healthhub.key_hub(subject::bigint) = healthhub.hub_id()
                THEN subject::bigint END;
REVOKE ALL ON FUNCTION healthhub.subject_person(text, text) FROM PUBLIC;

-- What a code's layers hold, without verifying anything: for support staff.
-- Never raises on a bad code: the first layer that fails is named.
CREATE FUNCTION healthhub.decode_health_code(code text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'hh_decode_health_code' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.decode_health_code(text) IS
    'The layers of a health code (prefix, Base45, zlib, COSE headers, claims), without verifying; names the layer that fails';
-- (its claims name the subject: for support staff, not for every scanner)
REVOKE ALL ON FUNCTION healthhub.decode_health_code(text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', 'healthhub.decode_health_code(text)', 'EXECUTE' FROM unnest(ARRAY['hub_admin', 'code_issuer']) pr;
-- Comparison operators and the default btree and hash operator classes of
-- healthhub.health_code.  Template: the Makefile writes <area>/health_code_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (health_code_eq ... health_code_hash_extended, health_code_sortsupport) are declared in
-- the type's own file, <area>/health_code.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.health_code, RIGHTARG = healthhub.health_code,
    FUNCTION = healthhub.health_code_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.health_code_ops
    DEFAULT FOR TYPE healthhub.health_code USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.health_code_cmp(healthhub.health_code, healthhub.health_code),
        FUNCTION 2 healthhub.health_code_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.health_code_hash_ops
    DEFAULT FOR TYPE healthhub.health_code USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.health_code_hash(healthhub.health_code),
        FUNCTION 2 healthhub.health_code_hash_extended(healthhub.health_code, bigint);
-- Keys (docs/health-codes.md, "Keys and the trust list").  This hub signs
-- with its own keys (healthhub.signing_keys: made in the database, the
-- private half readable by hub_admin only); codes are verified against the
-- trusted keys (healthhub.trusted_keys): this hub's own public keys, other
-- hubs' keys from their trust lists, and certificates of other issuers
-- (EU DCC document signers).  A key id (kid) is 8 bytes: the first 8 of
-- SHA-256 over the certificate's DER, or over the public key's
-- SubjectPublicKeyInfo DER for a bare key.  Kids may collide: verification
-- tries every key of a kid.

-- The signature algorithms, with their COSE numbers (SM2 has none: a
-- private-use number, documented).
CREATE TABLE healthhub.code_algorithms (
    alg         text PRIMARY KEY,
    cose_alg    integer NOT NULL UNIQUE,
    description text NOT NULL
);
INSERT INTO healthhub.code_algorithms VALUES
    ('EdDSA', -8, 'Ed25519 (RFC 8032): the default for new hub keys'),
    ('ES256', -7, 'ECDSA on P-256 with SHA-256: every EU DCC verifier supports it'),
    ('PS256', -37, 'RSASSA-PSS with SHA-256, MGF1 SHA-256, 32-byte salt: every EU DCC verifier supports it'),
    ('SM2', -65537, 'SM2 with SM3 (GB/T 32918, GB/T 32905), signer ID 1234567812345678; a private-use COSE number');
COMMENT ON TABLE healthhub.code_algorithms IS 'Signature algorithms of health codes and their COSE numbers';
GRANT SELECT ON healthhub.code_algorithms TO PUBLIC;

-- Key pairs in DER, and what a certificate says (src/healthcode/keys_sql.c).
CREATE FUNCTION healthhub.code_key_generate(alg text, OUT public_key bytea, OUT private_key bytea)
    AS 'MODULE_PATHNAME', 'hh_code_key_generate' LANGUAGE C VOLATILE STRICT;
CREATE FUNCTION healthhub.code_kid(der bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_code_kid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_kid(bytea) IS
    'The key id of a certificate or public key: the first 8 bytes of SHA-256 over its DER';
CREATE FUNCTION healthhub.code_certificate(certificate bytea, OUT public_key bytea, OUT not_before timestamptz,
                                           OUT not_after timestamptz, OUT key_usage text[])
    AS 'MODULE_PATHNAME', 'hh_code_certificate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_certificate(bytea) IS
    'An X.509 certificate''s public key (SubjectPublicKeyInfo DER), validity and extended key usage OIDs (NULL: none)';
CREATE FUNCTION healthhub.code_public_key_alg(public_key bytea) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_code_public_key_alg' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_public_key_alg(bytea) IS
    'The algorithm a public key (SubjectPublicKeyInfo DER) signs with: EdDSA, ES256, PS256 or SM2';
REVOKE ALL ON FUNCTION healthhub.code_key_generate(text) FROM PUBLIC;

-- This hub's signing keys.  valid: when it signs (and when its codes
-- verify); retired: no longer trusted from then on.  The private key never
-- leaves the database except in a dump (docs/health-codes.md, "Private keys").
CREATE TABLE healthhub.signing_keys (
    kid         bytea PRIMARY KEY CHECK (octet_length(kid) = 8),
    alg         text NOT NULL REFERENCES healthhub.code_algorithms,
    public_key  bytea NOT NULL,
    private_key bytea NOT NULL,
    kinds       text[],             -- the kinds it may sign; NULL: every kind
    valid       tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    retired_at  timestamptz,
    retired_reason text,
    -- (the clock, not the transaction's start: the newest key signs)
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    created_by  text NOT NULL DEFAULT healthhub.acting_role(),
    CONSTRAINT signing_keys_retired_reason CHECK ((retired_at IS NULL) = (retired_reason IS NULL))
);
COMMENT ON TABLE healthhub.signing_keys IS
    'This hub''s health-code signing keys (private keys: hub_admin only), with validity and retirement';
SELECT pg_catalog.pg_extension_config_dump('healthhub.signing_keys', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.signing_keys
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('signing_key', 'kid', 'health code keys');

-- Imported trust lists of other hubs (trust_list_import): the newest of an
-- issuer replaces its previous one.
CREATE TABLE healthhub.trust_lists (
    list_id     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    issuer      text NOT NULL,
    sequence    bigint NOT NULL,         -- the list's number at its issuer: a newer list has a larger one
    signed_at   timestamptz NOT NULL,
    signer_kid  bytea NOT NULL,
    document    bytea NOT NULL,          -- as received (COSE_Sign1)
    imported_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    imported_by text NOT NULL DEFAULT healthhub.acting_role(),
    UNIQUE (issuer, sequence)
);
COMMENT ON TABLE healthhub.trust_lists IS 'Trust lists imported from other hubs (signed documents as received)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.trust_lists', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.trust_lists
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('trust_list', 'list_id', 'health code keys');

-- The keys codes are verified against.  issuer: the "iss" of the codes it
-- signs (a hub id; for a DCC certificate, the country or the name given).
-- key_usage: for a certificate its extended key usage OIDs, for a hub key
-- the kinds it signs; NULL: anything.
CREATE TABLE healthhub.trusted_keys (
    key_id      bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    issuer      text NOT NULL CHECK (btrim(issuer) <> '' AND length(issuer) <= 200),
    kid         bytea NOT NULL CHECK (octet_length(kid) = 8),
    alg         text NOT NULL REFERENCES healthhub.code_algorithms,
    public_key  bytea NOT NULL,
    certificate bytea,
    valid       tstzrange NOT NULL CHECK (NOT isempty(valid)),
    key_usage   text[],
    origin      text NOT NULL CHECK (origin IN ('own', 'certificate', 'public_key', 'trust_list')),
    trust_list  bigint REFERENCES healthhub.trust_lists,
    retired_at  timestamptz,            -- no longer trusted from then on (retired, revoked, or left off a newer list)
    retired_reason text,
    -- who retired it: 'here' (retire_key at this hub) and 'issuer' (its
    -- trust list said so) stand, a later list can only make them earlier;
    -- 'left off' (missing from a newer list) ends when a list has it again
    retired_by  text CHECK (retired_by IN ('here', 'issuer', 'left off')),
    added_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    added_by    text NOT NULL DEFAULT healthhub.acting_role(),
    CONSTRAINT trusted_keys_retired_reason CHECK ((retired_at IS NULL) = (retired_reason IS NULL)
                                                  AND (retired_at IS NULL) = (retired_by IS NULL)),
    CONSTRAINT trusted_keys_list CHECK ((origin = 'trust_list') = (trust_list IS NOT NULL)),
    UNIQUE (issuer, kid, public_key)
);
CREATE INDEX trusted_keys_kid ON healthhub.trusted_keys (kid);
COMMENT ON TABLE healthhub.trusted_keys IS
    'Keys health codes are verified against: own, certificates, bare public keys, other hubs'' trust lists';
SELECT pg_catalog.pg_extension_config_dump('healthhub.trusted_keys', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.trusted_keys
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('trusted_key', 'key_id', 'health code keys');

-- A new signing key of this hub, trusted at once (origin 'own').  The
-- default algorithm is Ed25519.
CREATE FUNCTION healthhub.create_signing_key(alg text DEFAULT 'EdDSA', kinds text[] DEFAULT NULL,
                                             valid tstzrange DEFAULT NULL) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k record;
    new_kid bytea;
    hub bigint := healthhub.hub_id();
    -- (codes carry whole seconds: a key valid from the current second)
    period tstzrange := coalesce(valid, tstzrange(date_trunc('second', now()), NULL));
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.create_signing_key', ARRAY['alg'], ARRAY[alg IS NULL]);
    IF hub IS NULL THEN
        RAISE EXCEPTION 'this hub has no identity yet'
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Call healthhub.init_hub(region, instance) first.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM healthhub.code_algorithms a WHERE a.alg = create_signing_key.alg) THEN
        RAISE EXCEPTION 'unknown signature algorithm: %', quote_literal(alg)
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The algorithms are EdDSA, ES256, PS256 and SM2.';
    END IF;
    PERFORM healthhub.require_code_kinds(kinds);
    IF isempty(period) OR lower_inf(period) THEN
        RAISE EXCEPTION 'invalid key validity: %', period
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A key is valid from a start time, open-ended or up to an end.';
    END IF;
    k := healthhub.code_key_generate(alg);
    new_kid := healthhub.code_kid(k.public_key);
    INSERT INTO healthhub.signing_keys (kid, alg, public_key, private_key, kinds, valid)
    VALUES (new_kid, alg, k.public_key, k.private_key, kinds, period);
    INSERT INTO healthhub.trusted_keys (issuer, kid, alg, public_key, valid, key_usage, origin)
    VALUES (hub::text, new_kid, alg, k.public_key, period, kinds, 'own');
    RETURN new_kid;
END
$$;
COMMENT ON FUNCTION healthhub.create_signing_key(text, text[], tstzrange) IS
    'Make a signing key of this hub (EdDSA by default), trusted at once; returns its kid';

-- The private half of a signing key (PKCS#8 DER), for hub_admin's backup
-- outside the database; each export is in the trail.
CREATE FUNCTION healthhub.export_signing_key(kid bytea) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    der bytea;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.export_signing_key', ARRAY['kid'], ARRAY[kid IS NULL]);
    SELECT s.private_key INTO der FROM healthhub.signing_keys s WHERE s.kid = export_signing_key.kid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no signing key %', encode(kid, 'hex') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (a read.* action: committed before the key is returned, whatever the
    -- caller's transaction does next)
    PERFORM healthhub.audit_append('read.signing_key', 'signing_key', encode(kid, 'hex'), NULL,
                                   'health code keys', 'ok');
    RETURN der;
END
$$;
COMMENT ON FUNCTION healthhub.export_signing_key(bytea) IS
    'The private half of this hub''s signing key (PKCS#8 DER), for a backup (hub_admin; recorded)';

-- Stop signing with a key from a time on; its codes verify until then
-- ("rotation": make the new key first).
CREATE FUNCTION healthhub.end_signing_key(kid bytea, "at" timestamptz DEFAULT pg_catalog.now()) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.end_signing_key', ARRAY['kid', 'at'], ARRAY[kid IS NULL, "at" IS NULL]);
    UPDATE healthhub.signing_keys s SET valid = tstzrange(lower(s.valid), greatest(lower(s.valid), "at"))
     WHERE s.kid = end_signing_key.kid AND s.valid @> "at";
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no signing key % valid at %', encode(kid, 'hex'), "at"
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (and this hub trusts it no longer for codes signed from then on)
    UPDATE healthhub.trusted_keys t SET valid = tstzrange(lower(t.valid), greatest(lower(t.valid), "at"))
     WHERE t.kid = end_signing_key.kid AND t.origin = 'own' AND t.valid @> "at";
END
$$;

-- Retire a key: from "at" on, no code signed with it verifies (a stolen
-- key: revoke).  For this hub's keys, and for any trusted key by its id.
CREATE FUNCTION healthhub.retire_key(kid bytea, reason text, "at" timestamptz DEFAULT pg_catalog.now(),
                                    issuer text DEFAULT NULL) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.retire_key', ARRAY['kid', 'reason', 'at'],
                                        ARRAY[kid IS NULL, reason IS NULL, "at" IS NULL]);
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'retiring a key needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (a key retired later may be retired earlier, never later)
    UPDATE healthhub.signing_keys s SET retired_at = "at", retired_reason = reason
     WHERE s.kid = retire_key.kid AND (s.retired_at IS NULL OR s.retired_at > "at")
       AND (retire_key.issuer IS NULL OR retire_key.issuer = healthhub.hub_id()::text);
    -- (a key a trust list left off is retired here for good, from the
    -- earlier of the two times: no list brings it back)
    UPDATE healthhub.trusted_keys t SET retired_at = least(t.retired_at, "at"), retired_reason = reason, retired_by = 'here'
     WHERE t.kid = retire_key.kid AND (t.retired_at IS NULL OR t.retired_at > "at" OR t.retired_by = 'left off')
       AND (retire_key.issuer IS NULL OR t.issuer = retire_key.issuer);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RAISE EXCEPTION 'no trusted key % to retire', encode(kid, 'hex')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'No key of that kid is trusted and not retired by then' ||
                           CASE WHEN issuer IS NOT NULL THEN format(' for issuer %s.', issuer) ELSE '.' END;
    END IF;
    RETURN n;
END
$$;

-- Trust another issuer's key: an X.509 certificate (DER), its kid the first
-- 8 bytes of SHA-256 of the DER, its validity and extended key usage
-- kept; or a bare public key (SubjectPublicKeyInfo DER) with a validity.
CREATE FUNCTION healthhub.trust_certificate(issuer text, certificate bytea) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
    new_kid bytea;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.trust_certificate', ARRAY['issuer', 'certificate'],
                                        ARRAY[issuer IS NULL, certificate IS NULL]);
    c := healthhub.code_certificate(certificate);
    new_kid := healthhub.code_kid(certificate);
    INSERT INTO healthhub.trusted_keys (issuer, kid, alg, public_key, certificate, valid, key_usage, origin)
    VALUES (btrim(issuer), new_kid, healthhub.code_public_key_alg(c.public_key), c.public_key, certificate,
            tstzrange(c.not_before, c.not_after, '[]'), c.key_usage, 'certificate')
    ON CONFLICT ON CONSTRAINT trusted_keys_issuer_kid_public_key_key DO NOTHING;
    RETURN new_kid;
END
$$;
COMMENT ON FUNCTION healthhub.trust_certificate(text, bytea) IS
    'Trust an issuer''s X.509 signer certificate (DER): key, validity, extended key usage; returns its kid';

CREATE FUNCTION healthhub.trust_public_key(issuer text, public_key bytea, valid tstzrange,
                                           kinds text[] DEFAULT NULL) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_kid bytea := healthhub.code_kid(public_key);
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.trust_public_key', ARRAY['issuer', 'public_key', 'valid'],
                                        ARRAY[issuer IS NULL, public_key IS NULL, valid IS NULL]);
    PERFORM healthhub.require_code_kinds(kinds);
    INSERT INTO healthhub.trusted_keys (issuer, kid, alg, public_key, valid, key_usage, origin)
    VALUES (btrim(issuer), new_kid, healthhub.code_public_key_alg(public_key), public_key, valid, kinds, 'public_key')
    ON CONFLICT ON CONSTRAINT trusted_keys_issuer_kid_public_key_key DO NOTHING;
    RETURN new_kid;
END
$$;
COMMENT ON FUNCTION healthhub.trust_public_key(text, bytea, tstzrange, text[]) IS
    'Trust another hub''s bare public key (SubjectPublicKeyInfo DER) for a period (and kinds); returns its kid';

-- Keys are hub_admin's.
CREATE FUNCTION healthhub.require_code_admin() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT healthhub.acting_role_is_admin() THEN
        RAISE EXCEPTION 'role % may not manage health code keys', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Health code keys are hub_admin''s.';
    END IF;
END
$$;

-- The acting role may act for codes: the issuing service or hub_admin.
CREATE FUNCTION healthhub.require_code_service() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (healthhub.acting_role_is_admin() OR 'code_issuer' = ANY (healthhub.acting_role_profiles())) THEN
        RAISE EXCEPTION 'role % may not act for health codes', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Codes are the code_issuer service''s and hub_admin''s.';
    END IF;
END
$$;

-- A kind of code, or 22023 for one that is not in health_code_kinds.
CREATE FUNCTION healthhub.code_kind(kind text) RETURNS healthhub.health_code_kinds
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
BEGIN
    SELECT * INTO k FROM healthhub.health_code_kinds c WHERE c.kind = code_kind.kind;
    IF NOT FOUND THEN
        PERFORM healthhub.require_code_kinds(ARRAY[kind]);
    END IF;
    RETURN k;
END
$$;

CREATE FUNCTION healthhub.require_code_kinds(kinds text[]) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    unknown text := (SELECT string_agg(coalesce(k, 'NULL'), ', ') FROM unnest(kinds) k
                      WHERE k IS NULL OR k NOT IN (SELECT c.kind FROM healthhub.health_code_kinds c));
BEGIN
    IF unknown IS NOT NULL OR cardinality(kinds) = 0 THEN
        RAISE EXCEPTION 'unknown kind of health code: %', coalesce(unknown, 'none given')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The kinds are listed in healthhub.health_code_kinds.';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION healthhub.create_signing_key(text, text[], tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.end_signing_key(bytea, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.export_signing_key(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.retire_key(bytea, text, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.trust_certificate(text, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.trust_public_key(text, bytea, tstzrange, text[]) FROM PUBLIC;

-- (the catalogue of algorithms is shipped; the keys are recorded row by row)
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.code_algorithms', 'catalogue', 'shipped signature algorithms');

-- hub_admin manages the keys; the private halves it reads in dumps only
-- (no profile selects signing_keys.private_key)
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.create_signing_key(text, text[], tstzrange)',
                    'healthhub.end_signing_key(bytea, timestamptz)',
                    'healthhub.export_signing_key(bytea)',
                    'healthhub.retire_key(bytea, text, timestamptz, text)',
                    'healthhub.trust_certificate(text, bytea)',
                    'healthhub.trust_public_key(text, bytea, tstzrange, text[])']) f
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.trusted_keys', 'healthhub.trust_lists']) t
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.signing_keys', 'SELECT (kid, alg, public_key, kinds, valid, retired_at, retired_reason, created_at, created_by)';
-- Verifying health codes (docs/health-codes.md, "Verification"): offline,
-- against the trusted keys alone.  The C verifier (src/healthcode/verify.c)
-- decodes and checks signatures; the table work is here.

-- Revoked codes, by the first 16 bytes of SHA-256 over the code's
-- signature (as EU DCC revocation lists name a certificate), and every code
-- of a subject (a person key, a health card id, a DCC's subject) of an
-- issuer from a time on.
CREATE TABLE healthhub.revoked_codes (
    code_hash   bytea PRIMARY KEY CHECK (octet_length(code_hash) = 16),
    reason      text NOT NULL CHECK (btrim(reason) <> ''),
    revoked_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    revoked_by  text NOT NULL DEFAULT healthhub.acting_role()
);
COMMENT ON TABLE healthhub.revoked_codes IS 'Revoked health codes, by a hash of their signature';
SELECT pg_catalog.pg_extension_config_dump('healthhub.revoked_codes', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.revoked_codes
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('revoked_code', 'code_hash', 'health code revocation');

CREATE TABLE healthhub.revoked_subjects (
    issuer      text NOT NULL,
    subject     text NOT NULL,
    reason      text NOT NULL CHECK (btrim(reason) <> ''),
    revoked_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    revoked_by  text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (issuer, subject)
);
COMMENT ON TABLE healthhub.revoked_subjects IS 'Subjects every code of whom an issuer revoked, from a time on';
SELECT pg_catalog.pg_extension_config_dump('healthhub.revoked_subjects', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.revoked_subjects
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('revoked_subject', 'issuer,subject', 'health code revocation');

-- The last dynamic code accepted per subject and kind: an older one is a
-- replay.  (Written by every verification of a dynamic code.)
CREATE TABLE healthhub.dynamic_code_state (
    issuer      text NOT NULL,
    subject     text NOT NULL,
    kind        text NOT NULL,
    last_seq    bigint NOT NULL,
    last_issued timestamptz NOT NULL,
    PRIMARY KEY (issuer, subject, kind)
);
COMMENT ON TABLE healthhub.dynamic_code_state IS
    'The last dynamic health code accepted per issuer, subject and kind (replay: an older one is refused)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.dynamic_code_state', '');

-- The first 16 bytes of SHA-256 over a code's signature.
CREATE FUNCTION healthhub.code_hash(code healthhub.health_code) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_code_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_hash(healthhub.health_code) IS
    'A code''s revocation hash: the first 16 bytes of SHA-256 over its signature';

-- The trusted keys of a kid, with what the verifier needs of each in one
-- query: retired at "at"; valid when the code was signed (its iat, else
-- "at"); whether the code's kind is dynamic (only then is replay checked);
-- whether the code, or every code of its subject from that key's issuer,
-- is revoked at "at"; and where the key comes from (an EU DCC verifies with
-- a certificate only, a healthhub code with a hub's key only).
CREATE FUNCTION healthhub.code_keys_of(kid bytea, signed_at timestamptz, "at" timestamptz, kind text,
                                       code_hash bytea, subject text)
    RETURNS TABLE (issuer text, alg text, public_key bytea, retired boolean, valid_then boolean, key_usage text[],
                   dynamic boolean, revocation text, origin text)
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT t.issuer, t.alg, t.public_key, coalesce(t.retired_at <= code_keys_of."at", false),
           t.valid @> code_keys_of.signed_at, t.key_usage,
           coalesce((SELECT k.dynamic FROM healthhub.health_code_kinds k WHERE k.kind = code_keys_of.kind), false),
           CASE WHEN EXISTS (SELECT 1 FROM healthhub.revoked_codes r
                              WHERE r.code_hash = code_keys_of.code_hash AND r.revoked_at <= code_keys_of."at")
                THEN 'revoked code'
                WHEN EXISTS (SELECT 1 FROM healthhub.revoked_subjects r
                              WHERE r.issuer = t.issuer AND r.subject = code_keys_of.subject
                                AND r.revoked_at <= code_keys_of."at")
                THEN 'revoked subject' END,
           t.origin
      FROM healthhub.trusted_keys t
     WHERE t.kid = code_keys_of.kid
     ORDER BY t.retired_at IS NOT NULL, t.key_id;
END;

-- Whether a dynamic code is older than the last accepted for its subject
-- (the sequence number first, then the issue time); accepting it records
-- it.  (The verifier calls it for dynamic kinds only.)
CREATE FUNCTION healthhub.code_replayed(issuer text, subject text, kind text, seq bigint, issued timestamptz)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    accepted boolean;
BEGIN
    -- (a read-only transaction, or a standby, compares without recording)
    IF current_setting('transaction_read_only')::boolean THEN
        RETURN EXISTS (SELECT 1 FROM healthhub.dynamic_code_state s
                        WHERE s.issuer = code_replayed.issuer AND s.subject = code_replayed.subject
                          AND s.kind = code_replayed.kind
                          AND (code_replayed.seq, code_replayed.issued) < (s.last_seq, s.last_issued));
    END IF;
    INSERT INTO healthhub.dynamic_code_state AS s (issuer, subject, kind, last_seq, last_issued)
    VALUES (code_replayed.issuer, code_replayed.subject, code_replayed.kind, code_replayed.seq, code_replayed.issued)
    ON CONFLICT ON CONSTRAINT dynamic_code_state_pkey DO UPDATE
       SET last_seq = EXCLUDED.last_seq, last_issued = EXCLUDED.last_issued
     WHERE (EXCLUDED.last_seq, EXCLUDED.last_issued) >= (s.last_seq, s.last_issued)
    RETURNING true INTO accepted;
    RETURN accepted IS NULL;
END
$$;

-- Verify a code at a time (docs/health-codes.md): valid, or one reason of
-- bad prefix, bad encoding, bad compression, bad structure, unknown key,
-- retired key, key not valid at that time, key usage does not allow this
-- kind, bad signature, not yet valid, expired, revoked code, revoked
-- subject, replayed.  Never raises on a bad code.  By default at the clock,
-- not at the transaction's start: a verification in a transaction begun
-- before a revocation or a key retirement committed must still see it
-- (specs/healthcode_revocation.spec).
CREATE FUNCTION healthhub.verify_health_code(code text, "at" timestamptz DEFAULT pg_catalog.clock_timestamp(),
    OUT valid boolean, OUT reason text, OUT issuer text, OUT kid bytea, OUT algorithm text, OUT subject text,
    OUT kind text, OUT status text, OUT issued_at timestamptz, OUT expires_at timestamptz, OUT claims jsonb)
    AS 'MODULE_PATHNAME', 'hh_verify_health_code' LANGUAGE C VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION healthhub.verify_health_code(text, timestamptz) IS
    'Verify a health code (HH1: or an EU DCC, HC1:) at a time: valid, the reason if not, and what it says';

-- Revoke one code (by its hash), or every code of a subject.
CREATE FUNCTION healthhub.revoke_health_code(code healthhub.health_code, reason text) RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h bytea := healthhub.code_hash(code);
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.revoke_health_code', ARRAY['code', 'reason'],
                                        ARRAY[code IS NULL, reason IS NULL]);
    INSERT INTO healthhub.revoked_codes (code_hash, reason) VALUES (h, reason) ON CONFLICT DO NOTHING;
    RETURN h;
END
$$;

CREATE FUNCTION healthhub.revoke_subject_codes(issuer text, subject text, reason text,
                                               "at" timestamptz DEFAULT pg_catalog.now()) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.revoke_subject_codes', ARRAY['issuer', 'subject', 'reason', 'at'],
                                        ARRAY[issuer IS NULL, subject IS NULL, reason IS NULL, "at" IS NULL]);
    INSERT INTO healthhub.revoked_subjects (issuer, subject, reason, revoked_at)
    VALUES (issuer, subject, reason, "at")
    ON CONFLICT ON CONSTRAINT revoked_subjects_pkey DO UPDATE
       SET revoked_at = least(revoked_subjects.revoked_at, EXCLUDED.revoked_at);
END
$$;

REVOKE ALL ON FUNCTION healthhub.verify_health_code(text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_health_code(healthhub.health_code, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_subject_codes(text, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.code_replayed(text, text, text, bigint, timestamptz) FROM PUBLIC;

INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.dynamic_code_state', 'derived', 'the last dynamic code accepted, written by verify_health_code');

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', 'healthhub.verify_health_code(text, timestamptz)', 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'code_issuer', 'institution_app', 'clinician', 'pharmacist']) pr
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.revoke_health_code(healthhub.health_code, text)',
                    'healthhub.revoke_subject_codes(text, text, text, timestamptz)']) f
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT'
  FROM unnest(ARRAY['healthhub.revoked_codes', 'healthhub.revoked_subjects']) t;
-- Issuing health codes (docs/health-codes.md, "Issuing"): the issuing
-- service (profile code_issuer) or hub_admin asks for a code of a kind for
-- a subject; the hub signs it with its newest signing key valid now for
-- that kind.  Issuing writes the trail (health_code.issue, the code's
-- revocation hash as object id, the subject's person key): never the code.

-- The hub numbers each subject's dynamic codes: every app that shows them
-- (the person's own phone, a proxy holder's) gets a newer one than the
-- last, so a verifier's replay check holds across devices, and no caller
-- can issue a number so high that the subject's later codes are replays.
-- A number is the milliseconds since 1970 of its issue, or one more than
-- the last when that is later: a hub restored from an older dump, or to an
-- earlier point in time, still numbers its next codes above the ones it
-- issued before.
CREATE TABLE healthhub.code_sequences (
    subject     text NOT NULL,
    kind        text NOT NULL REFERENCES healthhub.health_code_kinds,
    person_key  bigint,     -- the subject's person key, when it is one of this hub's
    last_seq    bigint NOT NULL CHECK (last_seq > 0),
    PRIMARY KEY (subject, kind)
);
COMMENT ON TABLE healthhub.code_sequences IS
    'The sequence number of the last dynamic health code this hub issued per subject and kind';
-- (a restored hub must not number codes from 1 again: they would be replays)
SELECT pg_catalog.pg_extension_config_dump('healthhub.code_sequences', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.code_sequences', 'derived', 'the last sequence number issued, written by issue_health_code');

CREATE FUNCTION healthhub.code_sign(private_key bytea, alg text, kid bytea, iss text, sub text, iat timestamptz,
                                    exp timestamptz, kind text, status text, seq bigint) RETURNS text
    AS 'MODULE_PATHNAME', 'hh_code_sign' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION healthhub.code_sign(bytea, text, bytea, text, text, timestamptz, timestamptz, text, text, bigint)
    FROM PUBLIC;

CREATE FUNCTION healthhub.issue_health_code(subject text, kind text, status text DEFAULT NULL)
    RETURNS healthhub.health_code
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
    key healthhub.signing_keys;
    code healthhub.health_code;
    seq bigint;
    -- (the clock, not the transaction's start; a code's times are whole seconds)
    issued timestamptz := date_trunc('second', clock_timestamp());
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.issue_health_code', ARRAY['subject', 'kind'],
                                        ARRAY[subject IS NULL, kind IS NULL]);
    IF btrim(subject) = '' OR length(subject) > 100 THEN
        RAISE EXCEPTION 'invalid subject: %', quote_literal(subject)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A subject is a person key or a health card id, 1 to 100 characters.';
    END IF;
    k := healthhub.code_kind(kind);
    IF (k.statuses IS NULL) <> (status IS NULL) OR NOT (status IS NULL OR status = ANY (k.statuses)) THEN
        RAISE EXCEPTION 'invalid status % for a code of kind %', coalesce(quote_literal(status), 'NULL'), kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN k.statuses IS NULL THEN 'A code of this kind has no status.'
                                ELSE format('The statuses are %s.', array_to_string(k.statuses, ', ')) END;
    END IF;
    -- the newest key valid now for the kind; a retirement waits for this
    -- transaction (and an issue after it sees the key retired).  Retired by
    -- the clock, not by this transaction's start: a retirement that began
    -- after this transaction did has a retired_at later than now(), and its
    -- key signed codes refused as soon as they were issued
    -- (specs/healthcode_key_retirement.spec).
    SELECT * INTO key FROM healthhub.signing_keys s
     WHERE s.valid @> issued AND (s.retired_at IS NULL OR s.retired_at > clock_timestamp())
       AND (s.kinds IS NULL OR issue_health_code.kind = ANY (s.kinds))
     ORDER BY lower(s.valid) DESC, s.created_at DESC
     LIMIT 1
       FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this hub has no signing key for codes of kind %', kind
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A hub_admin makes one with healthhub.create_signing_key().';
    END IF;
    IF k.dynamic THEN
        INSERT INTO healthhub.code_sequences AS s (subject, kind, person_key, last_seq)
        VALUES (btrim(subject), k.kind, healthhub.subject_person(btrim(subject)),
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
        ON CONFLICT ON CONSTRAINT code_sequences_pkey
           DO UPDATE SET last_seq = greatest(s.last_seq + 1, EXCLUDED.last_seq)
        RETURNING s.last_seq INTO seq;
    END IF;
    code := healthhub.code_sign(key.private_key, key.alg, key.kid, healthhub.hub_id()::text, btrim(subject), issued,
                                issued + k.lifetime, kind, status, seq)::healthhub.health_code;
    -- (a read.* action: committed before the code is returned, so no code
    -- leaves untraced, whatever the caller's transaction does next)
    PERFORM healthhub.audit_append('read.health_code.issue', 'health_code', encode(healthhub.code_hash(code), 'hex'),
                                   healthhub.subject_person(btrim(subject)),
                                   'health code issuance', 'ok');
    RETURN code;
END
$$;
COMMENT ON FUNCTION healthhub.issue_health_code(text, text, text) IS
    'Issue a signed health code of a kind (with its status; dynamic codes numbered by the hub) for a subject';
REVOKE ALL ON FUNCTION healthhub.issue_health_code(text, text, text) FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'code_issuer', 'function', 'healthhub.issue_health_code(text, text, text)', 'EXECUTE'
UNION ALL
SELECT 'hub_admin', 'function', 'healthhub.issue_health_code(text, text, text)', 'EXECUTE';
-- Trust lists between hubs (docs/health-codes.md, "Trust lists"): a hub
-- exports its signing keys (public halves, validity, kinds, retirement) as a
-- JSON document signed with its newest signing key (a COSE_Sign1); another
-- hub imports it, verified against a key of that issuer it trusted
-- beforehand (trust_public_key, or an earlier list).  The newest list of an
-- issuer replaces its previous one: a key missing from it is no longer
-- trusted (the EU DCC rule).

CREATE FUNCTION healthhub.code_document_sign(private_key bytea, alg text, kid bytea, payload bytea) RETURNS bytea
    AS 'MODULE_PATHNAME', 'hh_code_document_sign' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION healthhub.code_document_sign(bytea, text, bytea, bytea) FROM PUBLIC;
CREATE FUNCTION healthhub.code_document_open(document bytea, OUT kid bytea, OUT alg text, OUT payload bytea)
    AS 'MODULE_PATHNAME', 'hh_code_document_open' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_document_open(bytea) IS
    'A signed document''s (COSE_Sign1) key id, algorithm and payload, without verifying it';
CREATE FUNCTION healthhub.code_document_verify(document bytea, public_key bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'hh_code_document_verify' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.code_document_verify(bytea, bytea) IS
    'Whether a public key (SubjectPublicKeyInfo DER) signed a document (COSE_Sign1)';

-- This hub's keys as a signed document.  Its sequence number grows with
-- every export (microseconds since 1970), so a newer list wins.
CREATE FUNCTION healthhub.export_trust_list() RETURNS bytea
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    hub bigint := healthhub.hub_id();
    signer healthhub.signing_keys;
    seq bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    list jsonb;
BEGIN
    PERFORM healthhub.require_code_admin();
    SELECT * INTO signer FROM healthhub.signing_keys s
     WHERE s.valid @> clock_timestamp() AND (s.retired_at IS NULL OR s.retired_at > clock_timestamp())
     ORDER BY lower(s.valid) DESC, s.created_at DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this hub has no signing key valid now to sign its trust list'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A hub_admin makes one with healthhub.create_signing_key().';
    END IF;
    SELECT jsonb_build_object('issuer', hub::text, 'sequence', seq, 'signed_at', now(),
               'keys', jsonb_agg(jsonb_build_object(
                   'kid', encode(s.kid, 'hex'), 'alg', s.alg, 'public_key', encode(s.public_key, 'base64'),
                   'valid_from', lower(s.valid), 'valid_to', upper(s.valid), 'kinds', s.kinds, 'retired_at', s.retired_at,
                   'retired_reason', s.retired_reason) ORDER BY s.kid))
      INTO list FROM healthhub.signing_keys s;
    PERFORM healthhub.audit_append('trust_list.export', 'trust_list', seq::text, NULL, 'health code keys', 'ok');
    RETURN healthhub.code_document_sign(signer.private_key, signer.alg, signer.kid, convert_to(list::text, 'UTF8'));
END
$$;
COMMENT ON FUNCTION healthhub.export_trust_list() IS
    'This hub''s signing keys (public halves) as a trust list signed with its newest key, for other hubs to import';

CREATE FUNCTION healthhub.require_trust_list(ok boolean, problem text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT coalesce(ok, false) THEN
        RAISE EXCEPTION 'trust list refused' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem;
    END IF;
END
$$;

-- (Times are the clock's, not the transaction's start, as in issuing and
-- verifying: a key retired while this transaction ran is retired.)
-- Import another hub's trust list; returns how many keys of that issuer
-- are trusted after it.
CREATE FUNCTION healthhub.import_trust_list(document bytea) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d record;
    signer healthhub.trusted_keys;
    list jsonb;
    list_issuer text;
    seq bigint;
    lid bigint;
    n integer;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.import_trust_list', ARRAY['document'], ARRAY[document IS NULL]);
    d := healthhub.code_document_open(document);
    SELECT * INTO signer FROM healthhub.trusted_keys t
     WHERE t.kid = d.kid AND t.valid @> clock_timestamp() AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp())
       AND healthhub.code_document_verify(document, t.public_key)
     ORDER BY t.key_id LIMIT 1;
    PERFORM healthhub.require_trust_list(FOUND,
        format('No key trusted now signed it (key id %s): trust the issuer''s key first (trust_public_key).',
               encode(d.kid, 'hex')));
    BEGIN
        list := convert_from(d.payload, 'UTF8')::jsonb;
    EXCEPTION WHEN data_exception THEN
        PERFORM healthhub.require_trust_list(false, 'Its payload is not a JSON document.');
    END;
    list_issuer := list->>'issuer';
    PERFORM healthhub.require_trust_list(list_issuer = signer.issuer,
        format('It lists the keys of %s but is signed by a key of %s.', coalesce(list_issuer, 'nobody'), signer.issuer));
    PERFORM healthhub.require_trust_list(list_issuer <> healthhub.hub_id()::text, 'It is this hub''s own list.');
    PERFORM healthhub.require_trust_list(jsonb_typeof(list->'keys') = 'array' AND jsonb_typeof(list->'sequence') = 'number',
        'A trust list has an issuer, a sequence number and an array of keys.');
    seq := (list->>'sequence')::bigint;
    PERFORM healthhub.require_trust_list(
        seq > coalesce((SELECT max(l.sequence) FROM healthhub.trust_lists l WHERE l.issuer = list_issuer), -1),
        format('A list of %s as new or newer was imported already (sequence %s).', list_issuer, seq));
    PERFORM healthhub.require_trust_list(
        NOT EXISTS (SELECT 1 FROM jsonb_array_elements(list->'keys') k
                     WHERE healthhub.code_kid(decode(k->>'public_key', 'base64')) <> decode(k->>'kid', 'hex')),
        'A key''s id is not the first 8 bytes of SHA-256 of its public key.');
    INSERT INTO healthhub.trust_lists (issuer, sequence, signed_at, signer_kid, document)
    VALUES (list_issuer, seq, (list->>'signed_at')::timestamptz, d.kid, document)
    RETURNING list_id INTO lid;
    INSERT INTO healthhub.trusted_keys AS t (issuer, kid, alg, public_key, valid, key_usage, origin, trust_list,
                                             retired_at, retired_reason, retired_by)
    SELECT list_issuer, decode(k->>'kid', 'hex'), k->>'alg', decode(k->>'public_key', 'base64'),
           tstzrange((k->>'valid_from')::timestamptz, (k->>'valid_to')::timestamptz),
           -- (kinds: JSON null is "every kind")
           CASE WHEN jsonb_typeof(k->'kinds') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(k->'kinds')) END,
           'trust_list', lid, (k->>'retired_at')::timestamptz, k->>'retired_reason',
           CASE WHEN k->>'retired_at' IS NOT NULL THEN 'issuer' END
      FROM jsonb_array_elements(list->'keys') k
    ON CONFLICT ON CONSTRAINT trusted_keys_issuer_kid_public_key_key DO UPDATE
       SET alg = EXCLUDED.alg, valid = EXCLUDED.valid, key_usage = EXCLUDED.key_usage, origin = 'trust_list',
           trust_list = EXCLUDED.trust_list,
           -- a retirement stands (the earlier of the two wins: no list undoes or
           -- postpones one, whoever holds the issuer's key); a key an earlier
           -- list left off is trusted again when listed again
           (retired_at, retired_reason, retired_by) =
               (SELECT r.* FROM (VALUES (t.retired_at, t.retired_reason, t.retired_by),
                                        (EXCLUDED.retired_at, EXCLUDED.retired_reason, EXCLUDED.retired_by))
                                r (retired_at, retired_reason, retired_by)
                 WHERE r.retired_by IS DISTINCT FROM 'left off'
                 ORDER BY r.retired_at NULLS LAST LIMIT 1);
    -- the DCC rule: a key left off the newest list is no longer trusted.  (A
    -- key retired here or by its issuer for later is retired now instead:
    -- its retirement stands, brought forward; only a key nobody retired is
    -- 'left off', trusted again when listed again.)
    UPDATE healthhub.trusted_keys t SET retired_at = clock_timestamp(),
           retired_reason = coalesce(t.retired_reason, format('not on trust list %s', seq)),
           retired_by = coalesce(t.retired_by, 'left off')
     WHERE t.issuer = list_issuer AND t.trust_list IS DISTINCT FROM lid AND t.origin IN ('trust_list', 'public_key')
       AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp());
    PERFORM healthhub.audit_append('trust_list.import', 'trust_list', lid::text, NULL, 'health code keys', 'ok');
    SELECT count(*) INTO n FROM healthhub.trusted_keys t
     WHERE t.issuer = list_issuer AND (t.retired_at IS NULL OR t.retired_at > clock_timestamp());
    RETURN n;
END
$$;
COMMENT ON FUNCTION healthhub.import_trust_list(bytea) IS
    'Import another hub''s trust list, verified against a key of that hub trusted beforehand; it replaces the previous one';

REVOKE ALL ON FUNCTION healthhub.export_trust_list() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.import_trust_list(bytea) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.export_trust_list()', 'healthhub.import_trust_list(bytea)']) f;
-- The checking policy as data (docs/health-codes.md, "Where codes are
-- checked"): risk levels of regions over time, categories of places with
-- the levels at which they must check, and the places themselves.  "In
-- low-risk areas codes are generally not checked, except at special
-- places" (the national rules of December 2022 kept checks at elderly
-- care, welfare homes, medical institutions, child care and schools;
-- localities may add government bodies and large enterprises): shipped as
-- rows a region changes, not as constants.

-- A region's risk level over a period; a region without one has its
-- parent's (a county its prefecture's, a prefecture its province's), and
-- low when none is set.
CREATE TABLE healthhub.region_risk_levels (
    risk_key    bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    region      healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    level       text NOT NULL CHECK (level IN ('low', 'medium', 'high')),
    period      tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    reason      text,
    set_by      text NOT NULL DEFAULT healthhub.acting_role(),
    CONSTRAINT region_risk_levels_no_overlap EXCLUDE USING gist
        (int4range(region::integer, region::integer, '[]') WITH =, period WITH &&)
);
COMMENT ON TABLE healthhub.region_risk_levels IS 'Risk levels of regions over time (low, medium, high); unset: the parent''s, else low';
SELECT pg_catalog.pg_extension_config_dump('healthhub.region_risk_levels', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.region_risk_levels
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('region_risk_level', 'risk_key', 'health code policy');

CREATE TABLE healthhub.place_categories (
    category      text PRIMARY KEY CHECK (category ~ '^[a-z][a-z0-9_]{0,39}$'),
    must_check_at text[] NOT NULL CHECK (must_check_at <@ ARRAY['low', 'medium', 'high']),
    description   text NOT NULL,
    origin        text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.place_categories IS 'Kinds of place, and the risk levels at which they must check codes';
SELECT pg_catalog.pg_extension_config_dump('healthhub.place_categories', 'WHERE origin <> ''shipped''');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.place_categories
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('category');
INSERT INTO healthhub.place_categories VALUES
    ('elderly_care', '{low,medium,high}', 'elderly care homes (养老机构)', 'shipped'),
    ('welfare_home', '{low,medium,high}', 'welfare homes (福利院)', 'shipped'),
    ('medical_institution', '{low,medium,high}', 'medical institutions (医疗机构)', 'shipped'),
    ('child_care', '{low,medium,high}', 'child care (托幼机构)', 'shipped'),
    ('school', '{low,medium,high}', 'primary and secondary schools (中小学)', 'shipped'),
    ('government_body', '{medium,high}', 'important government bodies: checking at low risk is a local decision', 'shipped'),
    ('large_enterprise', '{medium,high}', 'large enterprises: checking at low risk is a local decision', 'shipped'),
    ('public_place', '{medium,high}', 'other public places: not checked at low risk', 'shipped');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.place_categories
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('place_category', 'category', 'health code policy');

-- The places that check codes (a hospital's entrance, a school, a station).
CREATE TABLE healthhub.check_places (
    place_key       bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    hub_id          bigint NOT NULL DEFAULT healthhub.hub_id(),
    name            text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    category        text NOT NULL REFERENCES healthhub.place_categories,
    region          healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    institution_key bigint REFERENCES healthhub.institutions
);
COMMENT ON TABLE healthhub.check_places IS 'Places where codes are checked, with their category and region';
SELECT pg_catalog.pg_extension_config_dump('healthhub.check_places', '');
CREATE UNIQUE INDEX check_places_replica_identity ON healthhub.check_places (place_key, hub_id);
ALTER TABLE healthhub.check_places REPLICA IDENTITY USING INDEX check_places_replica_identity;
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.check_places
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('check_place', 'place_key', 'health code policy');

-- A region's risk level at a time: its own, else its nearest ancestor's,
-- else low.
CREATE FUNCTION healthhub.region_risk_level(region healthhub.region_code, "at" timestamptz DEFAULT pg_catalog.now())
    RETURNS text
    LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH RECURSIVE up(code, depth) AS (
        SELECT region_risk_level.region, 0
        UNION ALL
        SELECT healthhub.region_code_parent(u.code), u.depth + 1 FROM up u
         WHERE healthhub.region_code_parent(u.code) IS NOT NULL AND u.depth < 3
    )
    SELECT coalesce((SELECT r.level FROM up u
                       JOIN healthhub.region_risk_levels r ON r.region OPERATOR(healthhub.=) u.code
                                                          AND r.period @> region_risk_level."at"
                      ORDER BY u.depth LIMIT 1), 'low');
END;
COMMENT ON FUNCTION healthhub.region_risk_level(healthhub.region_code, timestamptz) IS
    'A region''s risk level at a time: its own, else its nearest ancestor''s, else low';

-- Whether a place of a category in a region must check codes at a time.
CREATE FUNCTION healthhub.must_check(place_category text, region healthhub.region_code,
                                     "at" timestamptz DEFAULT pg_catalog.now()) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    levels text[];
BEGIN
    PERFORM healthhub.require_arguments('healthhub.must_check', ARRAY['place_category', 'region', 'at'],
                                        ARRAY[place_category IS NULL, region IS NULL, "at" IS NULL]);
    SELECT c.must_check_at INTO levels FROM healthhub.place_categories c WHERE c.category = place_category;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown place category: %', quote_literal(place_category)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The categories are listed in healthhub.place_categories.';
    END IF;
    RETURN healthhub.region_risk_level(region, "at") = ANY (levels);
END
$$;
COMMENT ON FUNCTION healthhub.must_check(text, healthhub.region_code, timestamptz) IS
    'Whether places of a category in a region must check health codes at a time (by the region''s risk level)';

-- Set a region's risk level from a time on (ending the one in force).
CREATE FUNCTION healthhub.set_region_risk(region healthhub.region_code, level text, reason text,
                                          "from" timestamptz DEFAULT pg_catalog.now()) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k bigint;
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.set_region_risk', ARRAY['region', 'level', 'reason', 'from'],
                                        ARRAY[region IS NULL, level IS NULL, reason IS NULL, "from" IS NULL]);
    IF level NOT IN ('low', 'medium', 'high') THEN
        RAISE EXCEPTION 'invalid risk level: %', quote_literal(level)
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The levels are low, medium and high.';
    END IF;
    UPDATE healthhub.region_risk_levels r SET period = tstzrange(lower(r.period), "from")
     WHERE r.region OPERATOR(healthhub.=) set_region_risk.region AND r.period @> "from" AND lower(r.period) < "from";
    DELETE FROM healthhub.region_risk_levels r
     WHERE r.region OPERATOR(healthhub.=) set_region_risk.region AND lower(r.period) >= "from";
    INSERT INTO healthhub.region_risk_levels (region, level, period, reason)
    VALUES (region, level, tstzrange("from", NULL), reason)
    RETURNING risk_key INTO k;
    RETURN k;
END
$$;
COMMENT ON FUNCTION healthhub.set_region_risk(healthhub.region_code, text, text, timestamptz) IS
    'Set a region''s risk level (low, medium, high) from a time on';

REVOKE ALL ON FUNCTION healthhub.set_region_risk(healthhub.region_code, text, text, timestamptz) FROM PUBLIC;
GRANT SELECT ON healthhub.region_risk_levels, healthhub.place_categories TO PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'function', 'healthhub.set_region_risk(healthhub.region_code, text, text, timestamptz)', 'EXECUTE'
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.check_places', 'SELECT, INSERT, UPDATE, DELETE'
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.place_categories', 'SELECT, INSERT, UPDATE, DELETE';
-- Checking codes at a place (docs/health-codes.md, "Checking at a
-- place"): a verifier is a role bound to one place.  It learns whether a
-- code is valid, its kind and status and a masked name, never the person
-- key or other personal data; every check writes the trail with minimal
-- data (verifier, place, result, the subject's person key), never the code.
-- People without a phone: their code is presented by a bound holder
-- (holders.sql), or their ID card is read (check_id_card).

INSERT INTO healthhub.profiles VALUES
    ('verifier', false, 'a checking place''s scanner: verifies codes at its one place (healthhub.bind_verifier)');

CREATE TABLE healthhub.verifier_places (
    role        regrole PRIMARY KEY,
    place_key   bigint NOT NULL REFERENCES healthhub.check_places,
    bound_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    bound_by    text NOT NULL DEFAULT healthhub.acting_role()
);
COMMENT ON TABLE healthhub.verifier_places IS 'The place each verifier role checks codes at';
SELECT pg_catalog.pg_extension_config_dump('healthhub.verifier_places', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.verifier_places
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('verifier_place', 'role', 'health code policy');

-- Make a role the verifier of a place (the profile and the binding).
CREATE FUNCTION healthhub.bind_verifier(role regrole, place bigint) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_admin();
    PERFORM healthhub.require_arguments('healthhub.bind_verifier', ARRAY['role', 'place'], ARRAY[role IS NULL, place IS NULL]);
    IF NOT EXISTS (SELECT 1 FROM healthhub.check_places p WHERE p.place_key = place) THEN
        RAISE EXCEPTION 'unknown place %', place USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM healthhub.grant_profile(role, 'verifier');
    INSERT INTO healthhub.verifier_places AS v (role, place_key) VALUES (role, place)
    ON CONFLICT ON CONSTRAINT verifier_places_pkey DO UPDATE SET place_key = EXCLUDED.place_key, bound_at = now();
END
$$;
COMMENT ON FUNCTION healthhub.bind_verifier(regrole, bigint) IS 'Make a role the verifier (scanner) of one place';

-- The place the acting role checks at; 42501 for a role that is no verifier.
CREATE FUNCTION healthhub.verifier_place() RETURNS healthhub.check_places
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.check_places;
BEGIN
    SELECT c.* INTO p FROM healthhub.verifier_places v JOIN healthhub.check_places c ON c.place_key = v.place_key
     WHERE v.role = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = healthhub.acting_role())
       AND 'verifier' = ANY (healthhub.acting_role_profiles());
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % checks codes at no place', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', HINT = 'A hub_admin binds it to its place: healthhub.bind_verifier(role, place).';
    END IF;
    RETURN p;
END
$$;

-- What a place learns of a subject: a masked name, when the subject is a
-- person of the index.
CREATE FUNCTION healthhub.subject_masked_name(subject text) RETURNS text
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT healthhub.mask_name(p.name) FROM healthhub.persons p
     WHERE p.person_key = healthhub.subject_person(subject_masked_name.subject) AND p.state = 'active';
END;

-- The check's one trail entry: verifier (the acting role), place, result,
-- the subject's person key.
CREATE FUNCTION healthhub.record_code_check(place bigint, subject text, outcome text) RETURNS void
    LANGUAGE sql VOLATILE
BEGIN ATOMIC
    -- (a read.* action: committed before the answer is returned)
    SELECT healthhub.audit_append('read.health_code.check', 'check_place', place::text,
                                  healthhub.subject_person(subject),
                                  'epidemic prevention', outcome);
END;

-- Check a code at the verifier's place: valid, the reason if not, kind,
-- status, a masked name, and whether the place must check now.
CREATE FUNCTION healthhub.check_health_code(code text, OUT valid boolean, OUT reason text, OUT kind text,
                                            OUT status text, OUT masked_name text, OUT must_check boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.check_places := healthhub.verifier_place();
    v record;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.check_health_code', ARRAY['code'], ARRAY[code IS NULL]);
    v := healthhub.verify_health_code(code);
    valid := v.valid;
    reason := v.reason;
    kind := v.kind;
    status := CASE WHEN v.valid THEN v.status END;
    masked_name := CASE WHEN v.valid AND v.issuer = healthhub.hub_id()::text
                        THEN healthhub.subject_masked_name(v.subject) END;
    must_check := healthhub.must_check(p.category, p.region);
    PERFORM healthhub.record_code_check(p.place_key,
                                        CASE WHEN v.valid AND v.issuer = healthhub.hub_id()::text THEN v.subject END,
                                        coalesce(v.reason, 'valid'));
END
$$;
COMMENT ON FUNCTION healthhub.check_health_code(text) IS
    'Check a code at the verifier''s place: validity, kind, status, a masked name; recorded, never the code';

-- The same for a person without a code: their ID card's number, through the
-- person index, gives their current status of a kind (holders.sql).
CREATE FUNCTION healthhub.check_id_card(id healthhub.resident_id, kind text DEFAULT 'epidemic_status',
                                        OUT known boolean, OUT status text, OUT masked_name text,
                                        OUT must_check boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.check_places := healthhub.verifier_place();
    person bigint;
    revoked boolean;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.check_id_card', ARRAY['id', 'kind'], ARRAY[id IS NULL, kind IS NULL]);
    person := healthhub.resolve(id);
    -- (a subject whose codes this hub revoked has no status to show either)
    revoked := EXISTS (SELECT 1 FROM healthhub.revoked_subjects r
                        WHERE r.issuer = healthhub.hub_id()::text AND r.subject = person::text
                          AND r.revoked_at <= clock_timestamp());
    SELECT s.status INTO status FROM healthhub.code_statuses s
     WHERE s.person_key = person AND s.kind = check_id_card.kind AND NOT revoked;
    known := person IS NOT NULL;
    masked_name := healthhub.subject_masked_name(person::text);
    must_check := healthhub.must_check(p.category, p.region);
    PERFORM healthhub.record_code_check(p.place_key, person::text,
                                        CASE WHEN person IS NULL THEN 'id card: not found'
                                             WHEN revoked THEN 'id card: revoked subject'
                                             ELSE 'id card: ' || coalesce(status, 'no status') END);
END
$$;
COMMENT ON FUNCTION healthhub.check_id_card(healthhub.resident_id, text) IS
    'At the verifier''s place, a person''s current status read from their ID card number through the person index';

REVOKE ALL ON FUNCTION healthhub.bind_verifier(regrole, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.check_health_code(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.check_id_card(healthhub.resident_id, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.record_code_check(bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.subject_masked_name(text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'verifier', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.check_health_code(text)', 'healthhub.check_id_card(healthhub.resident_id, text)']) f
UNION ALL
SELECT 'hub_admin', 'function', 'healthhub.bind_verifier(regrole, bigint)', 'EXECUTE'
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.verifier_places', 'SELECT';
-- Statuses and proxy holders (docs/health-codes.md, "People without a
-- phone"): a person's current status of a kind (green, yellow, red) as the
-- epidemic service sets it; and holders: a relative whose phone presents the
-- codes of elderly relatives and children bound to them, for a period, with
-- the consent of the bound person or their guardian.  A bound person's code
-- is their own code: it verifies exactly as if they showed it.

CREATE TABLE healthhub.code_statuses (
    person_key  bigint NOT NULL REFERENCES healthhub.persons,
    kind        text NOT NULL REFERENCES healthhub.health_code_kinds,
    status      text NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    set_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_key, kind)
);
COMMENT ON TABLE healthhub.code_statuses IS 'Each person''s current status of a kind of code (epidemic status: green, yellow, red)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.code_statuses', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.code_statuses
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('code_status', 'person_key,kind', 'epidemic prevention');

CREATE TABLE healthhub.code_holders (
    holder_key  bigint NOT NULL REFERENCES healthhub.persons,
    person_key  bigint NOT NULL REFERENCES healthhub.persons,
    relation    text NOT NULL CHECK (relation IN ('parent', 'child', 'grandparent', 'grandchild', 'spouse', 'sibling',
                                                  'guardian', 'other')),
    valid       tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    consent_by  text NOT NULL CHECK (consent_by IN ('bound_person', 'guardian')),
    consent_ref text NOT NULL CHECK (btrim(consent_ref) <> ''),   -- the signed consent, by reference
    bound_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    bound_by    text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (holder_key, person_key, bound_at),
    CONSTRAINT code_holders_not_self CHECK (holder_key <> person_key),
    CONSTRAINT code_holders_no_overlap EXCLUDE USING gist
        (int8range(holder_key, holder_key, '[]') WITH =, int8range(person_key, person_key, '[]') WITH =,
         valid WITH &&)
);
COMMENT ON TABLE healthhub.code_holders IS
    'Holders whose phones present the codes of the persons bound to them (relation, period, consent)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.code_holders', '');
CREATE INDEX code_holders_person ON healthhub.code_holders (person_key);
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.code_holders
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('code_holder', 'holder_key,person_key,bound_at',
                                                          'epidemic prevention');

-- (a person of the index, not merged away)
CREATE FUNCTION healthhub.require_code_person(person bigint, what text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM healthhub.persons p WHERE p.person_key = person AND p.state = 'active') THEN
        RAISE EXCEPTION 'the % is no active person of the index', what
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Person key %s.', person);
    END IF;
END
$$;

-- Set a person's current status of a kind (the epidemic service).
CREATE FUNCTION healthhub.set_code_status(person bigint, kind text, status text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.set_code_status', ARRAY['person', 'kind', 'status'],
                                        ARRAY[person IS NULL, kind IS NULL, status IS NULL]);
    PERFORM healthhub.require_code_person(person, 'person');
    k := healthhub.code_kind(kind);
    IF k.statuses IS NULL OR NOT (status = ANY (k.statuses)) THEN
        RAISE EXCEPTION 'invalid status % for kind %', quote_literal(status), kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN k.statuses IS NOT NULL
                                THEN format('The statuses are %s.', array_to_string(k.statuses, ', '))
                                ELSE 'Codes of this kind have no status.' END;
    END IF;
    INSERT INTO healthhub.code_statuses AS s (person_key, kind, status) VALUES (person, kind, status)
    ON CONFLICT ON CONSTRAINT code_statuses_pkey DO UPDATE
       SET status = EXCLUDED.status, set_at = now(), set_by = healthhub.acting_role();
END
$$;
COMMENT ON FUNCTION healthhub.set_code_status(bigint, text, text) IS 'Set a person''s current status of a kind of code';

-- Bind a person to a holder, with the consent of the person or a guardian.
CREATE FUNCTION healthhub.bind_code_holder(holder bigint, person bigint, relation text, consent_by text,
                                           consent_ref text, valid tstzrange DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.bind_code_holder',
        ARRAY['holder', 'person', 'relation', 'consent_by', 'consent_ref'],
        ARRAY[holder IS NULL, person IS NULL, relation IS NULL, consent_by IS NULL, consent_ref IS NULL]);
    PERFORM healthhub.require_code_person(holder, 'holder'), healthhub.require_code_person(person, 'bound person');
    IF holder = person THEN
        RAISE EXCEPTION 'a holder holds their own codes already' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF relation NOT IN ('parent', 'child', 'grandparent', 'grandchild', 'spouse', 'sibling', 'guardian', 'other') THEN
        RAISE EXCEPTION 'invalid relation: %', quote_literal(relation)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The relations are parent, child, grandparent, grandchild, spouse, sibling, guardian and other.';
    END IF;
    IF consent_by NOT IN ('bound_person', 'guardian') OR btrim(consent_ref) = '' THEN
        RAISE EXCEPTION 'a binding needs the consent of the bound person or their guardian'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'consent_by is bound_person or guardian; consent_ref names the signed consent.';
    END IF;
    IF EXISTS (SELECT 1 FROM healthhub.code_holders h
                WHERE h.holder_key = holder AND h.person_key = person
                  AND h.valid && coalesce(bind_code_holder.valid, tstzrange(now(), NULL))) THEN
        RAISE EXCEPTION 'the person is bound to this holder already in that period'
            USING ERRCODE = 'unique_violation', HINT = 'End the binding first: healthhub.unbind_code_holder(holder, person).';
    END IF;
    INSERT INTO healthhub.code_holders (holder_key, person_key, relation, valid, consent_by, consent_ref)
    VALUES (holder, person, relation, coalesce(valid, tstzrange(now(), NULL)), consent_by, consent_ref);
END
$$;
COMMENT ON FUNCTION healthhub.bind_code_holder(bigint, bigint, text, text, text, tstzrange) IS
    'Let a holder present a person''s codes (relation, consent of the person or guardian, period)';

CREATE FUNCTION healthhub.unbind_code_holder(holder bigint, person bigint, "at" timestamptz DEFAULT pg_catalog.now())
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.unbind_code_holder', ARRAY['holder', 'person', 'at'],
                                        ARRAY[holder IS NULL, person IS NULL, "at" IS NULL]);
    UPDATE healthhub.code_holders h SET valid = tstzrange(lower(h.valid), "at")
     WHERE h.holder_key = holder AND h.person_key = person AND h.valid @> "at" AND lower(h.valid) < "at";
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- The codes a holder's phone shows: their own and those of every person
-- bound to them now, each a code of the kind with the person's current
-- status (for the issuing service, which authenticates the holder's app).
CREATE FUNCTION healthhub.codes_held_by(holder bigint, kind text DEFAULT 'epidemic_status')
    RETURNS TABLE (person_key bigint, relation text, status text, code healthhub.health_code)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k healthhub.health_code_kinds;
BEGIN
    PERFORM healthhub.require_code_service();
    PERFORM healthhub.require_arguments('healthhub.codes_held_by', ARRAY['holder', 'kind'],
                                        ARRAY[holder IS NULL, kind IS NULL]);
    PERFORM healthhub.require_code_person(holder, 'holder');
    k := healthhub.code_kind(kind);
    PERFORM healthhub.audit_append('read.code_holders', 'person', holder::text, holder, 'epidemic prevention', 'ok');
    RETURN QUERY
    SELECT w.person_key, w.relation, s.status,
           CASE WHEN k.statuses IS NULL OR s.status IS NOT NULL
                THEN healthhub.issue_health_code(w.person_key::text, k.kind, s.status) END
      FROM (SELECT holder AS person_key, 'self'::text AS relation, 0 AS ord
            UNION ALL
            SELECT h.person_key, h.relation, 1 FROM healthhub.code_holders h
              -- (a person merged into another, or gone, shows no code)
              JOIN healthhub.persons p ON p.person_key = h.person_key AND p.state = 'active'
             WHERE h.holder_key = holder AND h.valid @> now()) w
      LEFT JOIN healthhub.code_statuses s ON s.person_key = w.person_key AND s.kind = k.kind
     ORDER BY w.ord, w.person_key;
END
$$;
COMMENT ON FUNCTION healthhub.codes_held_by(bigint, text) IS
    'The codes a holder''s phone shows: their own and those of the persons bound to them now (no code without a status)';

REVOKE ALL ON FUNCTION healthhub.set_code_status(bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.bind_code_holder(bigint, bigint, text, text, text, tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.unbind_code_holder(bigint, bigint, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.codes_held_by(bigint, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'code_issuer']) pr,
       unnest(ARRAY['healthhub.set_code_status(bigint, text, text)',
                    'healthhub.bind_code_holder(bigint, bigint, text, text, text, tstzrange)',
                    'healthhub.unbind_code_holder(bigint, bigint, timestamptz)',
                    'healthhub.codes_held_by(bigint, text)']) f;
-- healthhub.emr_ref (docs/records.md): a compact reference to one EMR
-- document held at an institution (IHE XDS's document entry reduced to what
-- names the document): kind, producing institution (USCC), local document
-- id, service time (UTC, whole seconds) and content digest (SHA-256, or SM3).
-- Text form kind:institution:local_id:YYYYMMDDTHHMMSSZ:algorithm:hex; every
-- part is stored normalised, so equality and hashing work on the bytes.

CREATE TYPE healthhub.emr_ref;

CREATE FUNCTION healthhub.emr_ref_in(cstring) RETURNS healthhub.emr_ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_out(healthhub.emr_ref) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_recv(internal) RETURNS healthhub.emr_ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_send(healthhub.emr_ref) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.emr_ref (
    INPUT = healthhub.emr_ref_in,
    OUTPUT = healthhub.emr_ref_out,
    RECEIVE = healthhub.emr_ref_recv,
    SEND = healthhub.emr_ref_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.emr_ref IS
    'A reference to an EMR document at an institution: kind:institution:local_id:time:algorithm:digest';

CREATE FUNCTION healthhub.emr_ref_eq(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_ne(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_lt(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_le(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_gt(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_ge(healthhub.emr_ref, healthhub.emr_ref) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_cmp(healthhub.emr_ref, healthhub.emr_ref) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.emr_ref_hash(healthhub.emr_ref) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.emr_ref_hash_extended(healthhub.emr_ref, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: emr_ref_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.emr_ref) WITH INOUT;
CREATE CAST (healthhub.emr_ref AS text) WITH INOUT;

CREATE FUNCTION healthhub.emr_ref(kind text, institution text, local_id text, service_time timestamptz,
                                  digest bytea, digest_algorithm text DEFAULT 'sha256')
    RETURNS healthhub.emr_ref
    AS 'MODULE_PATHNAME', 'emr_ref_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref(text, text, text, timestamptz, bytea, text) IS
    'An EMR document reference from its parts (the service time kept to the whole second)';
CREATE FUNCTION healthhub.emr_ref_kind(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_kind(healthhub.emr_ref) IS 'The document kind of a reference';
CREATE FUNCTION healthhub.emr_ref_institution(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_institution(healthhub.emr_ref) IS
    'The unified social credit code of the institution that holds the document';
CREATE FUNCTION healthhub.emr_ref_local_id(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_local_id(healthhub.emr_ref) IS 'The document''s id at its institution';
CREATE FUNCTION healthhub.emr_ref_service_time(healthhub.emr_ref) RETURNS timestamptz
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_service_time(healthhub.emr_ref) IS 'When the service the document records took place';
CREATE FUNCTION healthhub.emr_ref_digest(healthhub.emr_ref) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_digest(healthhub.emr_ref) IS 'The digest of the document''s content (32 bytes)';
CREATE FUNCTION healthhub.emr_ref_digest_algorithm(healthhub.emr_ref) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_digest_algorithm(healthhub.emr_ref) IS 'sha256 or sm3';
CREATE FUNCTION healthhub.emr_ref_problem(text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.emr_ref_problem(text) IS
    'Why a text is not an EMR document reference (NULL when it is one); never raises';
-- Comparison operators and the default btree and hash operator classes of
-- healthhub.emr_ref.  Template: the Makefile writes <area>/emr_ref_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (emr_ref_eq ... emr_ref_hash_extended, emr_ref_sortsupport) are declared in
-- the type's own file, <area>/emr_ref.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.emr_ref, RIGHTARG = healthhub.emr_ref,
    FUNCTION = healthhub.emr_ref_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.emr_ref_ops
    DEFAULT FOR TYPE healthhub.emr_ref USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.emr_ref_cmp(healthhub.emr_ref, healthhub.emr_ref),
        FUNCTION 2 healthhub.emr_ref_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.emr_ref_hash_ops
    DEFAULT FOR TYPE healthhub.emr_ref USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.emr_ref_hash(healthhub.emr_ref),
        FUNCTION 2 healthhub.emr_ref_hash_extended(healthhub.emr_ref, bigint);
-- The kinds of shared EMR document (docs/records.md): the 53 parts of
-- WS/T 500-2016 (电子病历共享文档规范) shipped as rows, with a LOINC document
-- code where one is the FHIR DocumentReference.type; a region adds its own.
-- (Parts 1-11, 13, 23, 36, 50 and 53 were checked against the standard's
-- published foreword; the rest follow its table of contents as recalled.
-- Rows, not constants: a DBA corrects one, and the change survives a dump.)
CREATE TABLE healthhub.document_kinds (
    kind        text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
    wst500_part smallint UNIQUE CHECK (wst500_part BETWEEN 1 AND 53),
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    loinc       text CHECK (loinc ~ '^[0-9]{1,7}-[0-9]$'),
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.document_kinds IS
    'Kinds of shared EMR document: the WS/T 500 parts, and kinds a region adds';
SELECT pg_catalog.pg_extension_config_dump('healthhub.document_kinds', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.document_kinds (wst500_part, kind, name_zh, name_en, loinc, origin)
SELECT p, k, zh, en, l, 'shipped' FROM (VALUES
    (1, 'medical_record_summary', '病历概要', 'medical record summary', '60591-5'),
    (2, 'outpatient_record', '门(急)诊病历', 'outpatient and emergency record', '34108-1'),
    (3, 'emergency_observation_record', '急诊留观病历', 'emergency observation record', NULL),
    (4, 'western_medicine_prescription', '西药处方', 'western medicine prescription', '57833-6'),
    (5, 'chinese_medicine_prescription', '中药处方', 'traditional Chinese medicine prescription', '57833-6'),
    (6, 'exam_report', '检查报告', 'examination report', '18748-4'),
    (7, 'lab_report', '检验报告', 'laboratory report', '11502-2'),
    (8, 'treatment_record', '治疗记录', 'treatment record', NULL),
    (9, 'surgery_record', '一般手术记录', 'general surgery record', '11504-8'),
    (10, 'preanesthesia_visit', '麻醉术前访视记录', 'pre-anaesthesia visit record', NULL),
    (11, 'anesthesia_record', '麻醉记录', 'anaesthesia record', NULL),
    (12, 'postanesthesia_visit', '麻醉术后访视记录', 'post-anaesthesia visit record', NULL),
    (13, 'transfusion_record', '输血记录', 'transfusion record', NULL),
    (14, 'labor_record', '待产记录', 'labour record', NULL),
    (15, 'vaginal_delivery_record', '阴道分娩记录', 'vaginal delivery record', NULL),
    (16, 'cesarean_record', '剖宫产记录', 'caesarean section record', NULL),
    (17, 'nursing_record', '一般护理记录', 'general nursing record', NULL),
    (18, 'critical_nursing_record', '病重(病危)护理记录', 'critical care nursing record', NULL),
    (19, 'surgical_nursing_record', '手术护理记录', 'surgical nursing record', NULL),
    (20, 'vital_signs_record', '生命体征测量记录', 'vital signs record', NULL),
    (21, 'intake_output_record', '出入量记录', 'intake and output record', NULL),
    (22, 'high_value_consumables_record', '高值耗材使用记录', 'high-value consumables record', NULL),
    (23, 'admission_assessment', '入院评估', 'admission assessment', NULL),
    (24, 'nursing_plan', '护理计划', 'nursing plan', NULL),
    (25, 'discharge_assessment', '出院评估与指导', 'discharge assessment and guidance', NULL),
    (26, 'surgery_consent', '手术知情同意书', 'surgery informed consent', NULL),
    (27, 'anesthesia_consent', '麻醉知情同意书', 'anaesthesia informed consent', NULL),
    (28, 'transfusion_consent', '输血治疗同意书', 'transfusion consent', NULL),
    (29, 'special_procedure_consent', '特殊检查及特殊治疗同意书', 'special examination and treatment consent', NULL),
    (30, 'critical_condition_notice', '病危(重)通知书', 'critical condition notice', NULL),
    (31, 'other_consent', '其他知情告知同意书', 'other informed consent', NULL),
    (32, 'inpatient_front_page', '住院病案首页', 'inpatient medical record front page', NULL),
    (33, 'tcm_inpatient_front_page', '中医住院病案首页', 'TCM inpatient medical record front page', NULL),
    (34, 'admission_record', '入院记录', 'admission record', '34117-2'),
    (35, 'admission_discharge_24h', '24小时内入出院记录', 'admission and discharge within 24 hours', NULL),
    (36, 'admission_death_24h', '24小时内入院死亡记录', 'admission and death within 24 hours', NULL),
    (37, 'first_progress_note', '住院病程记录 首次病程记录', 'first progress note', '11506-3'),
    (38, 'daily_progress_note', '住院病程记录 日常病程记录', 'daily progress note', '11506-3'),
    (39, 'senior_rounds_note', '住院病程记录 上级医师查房记录', 'senior physician rounds note', NULL),
    (40, 'difficult_case_discussion', '住院病程记录 疑难病例讨论记录', 'difficult case discussion', NULL),
    (41, 'handover_note', '住院病程记录 交接班记录', 'handover note', NULL),
    (42, 'transfer_note', '住院病程记录 转科记录', 'transfer note', NULL),
    (43, 'stage_summary', '住院病程记录 阶段小结', 'stage summary', NULL),
    (44, 'rescue_record', '住院病程记录 抢救记录', 'rescue record', NULL),
    (45, 'consultation_note', '住院病程记录 会诊记录', 'consultation note', '11488-4'),
    (46, 'preoperative_summary', '住院病程记录 术前小结', 'pre-operative summary', NULL),
    (47, 'preoperative_discussion', '住院病程记录 术前讨论', 'pre-operative discussion', NULL),
    (48, 'first_postoperative_note', '住院病程记录 术后首次病程记录', 'first post-operative note', NULL),
    (49, 'discharge_record', '住院病程记录 出院记录', 'discharge record', NULL),
    (50, 'death_record', '住院病程记录 死亡记录', 'death record', NULL),
    (51, 'death_case_discussion', '住院病程记录 死亡病例讨论记录', 'death case discussion', NULL),
    (52, 'inpatient_orders', '住院医嘱', 'inpatient orders', NULL),
    (53, 'discharge_summary', '出院小结', 'discharge summary', '18842-5')
) AS d(p, k, zh, en, l);
GRANT SELECT ON healthhub.document_kinds TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.document_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('kind');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.document_kinds
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('document_kind', 'kind', 'records policy');
-- The EMR document index (docs/records.md, "The document index"): IHE
-- XDS's registry in SQL.  The documents stay at the institutions; the
-- index holds, per person of the person index, a reference to each
-- (healthhub.emr_ref) with where it is stored, its size, media type and
-- confidentiality, and its versions (register, supersede, withdraw).
-- Nobody reads the index directly: documents_for() (consent.sql) is the one
-- read path, and it writes the trail.

-- Why an institution reads a person's documents; consents name one.
CREATE TABLE healthhub.record_purposes (
    purpose     text PRIMARY KEY CHECK (purpose ~ '^[a-z][a-z0-9_]{0,39}$'),
    description text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.record_purposes IS 'Purposes for which institutions read shared records';
SELECT pg_catalog.pg_extension_config_dump('healthhub.record_purposes', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.record_purposes VALUES
    ('treatment', 'diagnosis and treatment of the person (诊疗)', 'shipped'),
    ('referral', 'a referral or consultation between institutions (转诊会诊)', 'shipped'),
    ('emergency', 'emergency care (急救)', 'shipped');
GRANT SELECT ON healthhub.record_purposes TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.record_purposes
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('purpose');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.record_purposes
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('record_purpose', 'purpose', 'records policy');

CREATE TABLE healthhub.emr_documents (
    person_key      bigint NOT NULL,    -- the person when registered (the distribution key)
    document_key    bigint NOT NULL DEFAULT healthhub.mint_key(),
    -- the holder's record of the person it was registered against: reads
    -- find the document through it, so it follows the record's person
    -- through merges, unmerges and relinks
    record_id       bigint NOT NULL,
    ref             healthhub.emr_ref NOT NULL,
    kind            text NOT NULL GENERATED ALWAYS AS (healthhub.emr_ref_kind(ref)) STORED
                        REFERENCES healthhub.document_kinds,
    service_time    timestamptz NOT NULL GENERATED ALWAYS AS (healthhub.emr_ref_service_time(ref)) STORED,
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    confidentiality text NOT NULL CHECK (confidentiality IN ('normal', 'restricted', 'very_restricted')),
    location        text NOT NULL CHECK (btrim(location) <> '' AND length(location) <= 2000),
    size_bytes      bigint NOT NULL CHECK (size_bytes >= 0),
    media_type      text NOT NULL CHECK (media_type ~ '^[a-z]+/[a-z0-9][a-z0-9.+-]{0,99}$'),
    state           text NOT NULL DEFAULT 'current' CHECK (state IN ('current', 'superseded', 'withdrawn')),
    replaces        bigint,     -- the document this version corrects
    state_reason    text CHECK (length(state_reason) <= 500),
    registered_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    registered_by   text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_key, document_key),
    CONSTRAINT emr_documents_withdrawn_reason CHECK ((state = 'withdrawn') = (state_reason IS NOT NULL))
);
COMMENT ON TABLE healthhub.emr_documents IS
    'The EMR document index: a reference to each shared document, by person, with its versions';
-- (a document is one person's, found by its reference; a person's are
-- found by time)
CREATE UNIQUE INDEX emr_documents_by_ref ON healthhub.emr_documents (ref);
CREATE INDEX emr_documents_by_person ON healthhub.emr_documents (person_key, service_time);
-- (reads find a person's documents through the records now linked to them,
-- so documents follow their record through merges, unmerges and relinks)
CREATE INDEX emr_documents_by_record ON healthhub.emr_documents (record_id, service_time);
SELECT pg_catalog.pg_extension_config_dump('healthhub.emr_documents', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.emr_documents
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('emr_document', 'document_key', 'shared records');
-- (no profile reads it: documents_for() does, and writes the trail; the
-- policy keeps a role that is granted SELECT by mistake to its own rows)
ALTER TABLE healthhub.emr_documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY emr_documents_own ON healthhub.emr_documents FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- The registry's institution whose unified social credit code a reference
-- names, valid now; 22023 when none is.
CREATE FUNCTION healthhub.document_institution(ref healthhub.emr_ref) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found bigint;
BEGIN
    SELECT i.institution_key INTO found FROM healthhub.institutions i
     WHERE i.uscc::text = healthhub.emr_ref_institution(ref) AND i.valid @> now()
     ORDER BY i.institution_key LIMIT 1;
    IF found IS NULL THEN
        RAISE EXCEPTION 'no institution of the registry has the unified social credit code %',
                        healthhub.emr_ref_institution(ref)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A document is registered by the institution that holds it.';
    END IF;
    RETURN found;
END
$$;

-- The acting role registers, supersedes and withdraws its own institution's
-- documents only (hub_admin any).
CREATE FUNCTION healthhub.require_document_holder(institution bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_profile(ARRAY['institution_app', 'clinician'], 'register documents');
    IF NOT healthhub.acting_role_is_admin() AND institution IS DISTINCT FROM healthhub.acting_role_institution() THEN
        RAISE EXCEPTION 'role % may not register or change documents another institution holds', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'An institution registers, supersedes and withdraws its own documents.';
    END IF;
END
$$;

-- What the index says of a document besides its reference, or 22023.
CREATE FUNCTION healthhub.require_document_fields(location text, size_bytes bigint, media_type text,
                                                  confidentiality text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problem text := CASE
        WHEN btrim(location) = '' OR length(location) > 2000 THEN 'The location is 1 to 2000 characters.'
        WHEN size_bytes < 0 THEN 'The size is a number of bytes, 0 or more.'
        WHEN media_type !~ '^[a-z]+/[a-z0-9][a-z0-9.+-]{0,99}$' THEN 'The media type is a lower-case type/subtype.'
        WHEN confidentiality NOT IN ('normal', 'restricted', 'very_restricted')
            THEN 'The confidentiality is normal, restricted or very_restricted.' END;
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid document entry' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem;
    END IF;
END
$$;

-- Register a document of a person: the person is the one the institution's
-- own record (source, local_id) is linked to in the person index.
CREATE FUNCTION healthhub.register_document(source text, local_id text, ref healthhub.emr_ref, location text,
                                            size_bytes bigint, media_type text, confidentiality text DEFAULT 'normal')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint;
    person bigint;
    record bigint;
    document bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.register_document',
        ARRAY['source', 'local_id', 'ref', 'location', 'size_bytes', 'media_type', 'confidentiality'],
        ARRAY[source IS NULL, local_id IS NULL, ref IS NULL, location IS NULL, size_bytes IS NULL,
              media_type IS NULL, confidentiality IS NULL]);
    PERFORM healthhub.require_document_fields(location, size_bytes, media_type, confidentiality);
    institution := healthhub.document_institution(ref);
    PERFORM healthhub.require_document_holder(institution);
    SELECT healthhub.current_person(s.person_key), s.record_id INTO person, record FROM healthhub.source_records s
     WHERE s.source = register_document.source AND s.local_id = register_document.local_id
       AND s.institution_key = institution;
    IF person IS NULL THEN
        RAISE EXCEPTION 'no record % of source % linked to a person at this institution', local_id, source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A document is registered against the institution''s own record of the person, linked by link_record.';
    END IF;
    INSERT INTO healthhub.emr_documents (person_key, record_id, ref, institution_key, confidentiality, location,
                                         size_bytes, media_type)
    VALUES (person, record, ref, institution, confidentiality, location, size_bytes, media_type)
    RETURNING document_key INTO document;
    RETURN document;
END
$$;
COMMENT ON FUNCTION healthhub.register_document(text, text, healthhub.emr_ref, text, bigint, text, text) IS
    'Register a document in the index, for the person the institution''s own record is linked to';

-- The current document a reference names, locked, for a change by its holder.
CREATE FUNCTION healthhub.current_document(ref healthhub.emr_ref) RETURNS healthhub.emr_documents
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d healthhub.emr_documents;
BEGIN
    PERFORM healthhub.require_document_holder(healthhub.document_institution(ref));
    SELECT * INTO d FROM healthhub.emr_documents e WHERE e.ref OPERATOR(healthhub.=) current_document.ref FOR UPDATE;
    IF NOT FOUND OR d.state <> 'current' THEN
        RAISE EXCEPTION 'no current document %', ref::text
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN FOUND THEN format('It was %s.', d.state) ELSE 'It is not in the index.' END;
    END IF;
    RETURN d;
END
$$;

-- A corrected version: the old one is superseded (documents_for no longer
-- shows it), the new one has the same person, kind and confidentiality.
CREATE FUNCTION healthhub.supersede_document(old_ref healthhub.emr_ref, new_ref healthhub.emr_ref, location text,
                                             size_bytes bigint, media_type text)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old healthhub.emr_documents;
    document bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.supersede_document',
        ARRAY['old_ref', 'new_ref', 'location', 'size_bytes', 'media_type'],
        ARRAY[old_ref IS NULL, new_ref IS NULL, location IS NULL, size_bytes IS NULL, media_type IS NULL]);
    old := healthhub.current_document(old_ref);
    PERFORM healthhub.require_document_fields(location, size_bytes, media_type, old.confidentiality);
    IF healthhub.emr_ref_kind(new_ref) <> old.kind
       OR healthhub.emr_ref_institution(new_ref) <> healthhub.emr_ref_institution(old_ref) THEN
        RAISE EXCEPTION 'a new version is a document of the same kind and institution'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The old version is a %s of %s.', old.kind, healthhub.emr_ref_institution(old_ref));
    END IF;
    UPDATE healthhub.emr_documents e SET state = 'superseded'
     WHERE e.person_key = old.person_key AND e.document_key = old.document_key;
    INSERT INTO healthhub.emr_documents (person_key, record_id, ref, institution_key, confidentiality, location,
                                         size_bytes, media_type, replaces)
    VALUES (old.person_key, old.record_id, new_ref, old.institution_key, old.confidentiality, location, size_bytes,
            media_type, old.document_key)
    RETURNING document_key INTO document;
    RETURN document;
END
$$;
COMMENT ON FUNCTION healthhub.supersede_document(healthhub.emr_ref, healthhub.emr_ref, text, bigint, text) IS
    'Replace a document by its corrected version (same person, kind and institution)';

CREATE FUNCTION healthhub.withdraw_document(ref healthhub.emr_ref, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d healthhub.emr_documents;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.withdraw_document', ARRAY['ref', 'reason'],
                                        ARRAY[ref IS NULL, reason IS NULL]);
    IF btrim(reason) = '' THEN
        RAISE EXCEPTION 'withdrawing a document needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    d := healthhub.current_document(ref);
    UPDATE healthhub.emr_documents e SET state = 'withdrawn', state_reason = reason
     WHERE e.person_key = d.person_key AND e.document_key = d.document_key;
END
$$;
COMMENT ON FUNCTION healthhub.withdraw_document(healthhub.emr_ref, text) IS
    'Withdraw a document from sharing (registered in error, or retracted), with the reason';

REVOKE ALL ON FUNCTION healthhub.document_institution(healthhub.emr_ref) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_document_fields(text, bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_document_holder(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.current_document(healthhub.emr_ref) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.register_document(text, text, healthhub.emr_ref, text, bigint, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.supersede_document(healthhub.emr_ref, healthhub.emr_ref, text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.withdraw_document(healthhub.emr_ref, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app', 'clinician']) pr,
       unnest(ARRAY['healthhub.register_document(text, text, healthhub.emr_ref, text, bigint, text, text)',
                    'healthhub.supersede_document(healthhub.emr_ref, healthhub.emr_ref, text, bigint, text)',
                    'healthhub.withdraw_document(healthhub.emr_ref, text)']) f;

-- A FHIR R4 DocumentReference of an index entry (what documents_for
-- returns): the reference as masterIdentifier, the institution's id of the
-- document, the LOINC type where the kind has one and the WS/T 500 part,
-- the holder as custodian, the confidentiality as security label, the
-- attachment (where, what, how large) and the service time as the
-- context's period.  No person data: the caller adds the subject it knows.
CREATE FUNCTION healthhub.to_fhir_document_reference(ref healthhub.emr_ref, location text, size_bytes bigint,
                                                     media_type text, confidentiality text DEFAULT 'normal',
                                                     state text DEFAULT 'current')
    RETURNS jsonb
    LANGUAGE sql STABLE STRICT
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'resourceType', 'DocumentReference',
        'masterIdentifier', jsonb_build_object('system', 'urn:healthhub:emr-ref', 'value', ref::text),
        'identifier', jsonb_build_array(jsonb_build_object(
            'system', 'urn:healthhub:uscc:' || healthhub.emr_ref_institution(ref),
            'value', healthhub.emr_ref_local_id(ref))),
        -- (FHIR's document reference status: entered-in-error for a withdrawn entry)
        'status', CASE state WHEN 'withdrawn' THEN 'entered-in-error' ELSE state END,
        'type', jsonb_build_object('coding',
            (SELECT jsonb_agg(c) FROM (
                SELECT jsonb_build_object('system', 'http://loinc.org', 'code', k.loinc) AS c WHERE k.loinc IS NOT NULL
                UNION ALL
                SELECT jsonb_build_object('system', 'urn:healthhub:document-kind', 'code', k.kind,
                                          'display', k.name_zh)) cs),
            'text', k.name_en),
        'custodian', jsonb_build_object('identifier', jsonb_build_object(
            'system', 'urn:healthhub:uscc', 'value', healthhub.emr_ref_institution(ref))),
        'securityLabel', jsonb_build_array(jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
            'system', 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
            'code', CASE confidentiality WHEN 'normal' THEN 'N' WHEN 'restricted' THEN 'R' ELSE 'V' END)))),
        'content', jsonb_build_array(jsonb_build_object('attachment', jsonb_build_object(
            'contentType', media_type, 'url', location,
            -- (an unsignedInt in R4: larger documents go without a size)
            'size', CASE WHEN size_bytes <= 4294967295 THEN size_bytes END))),
        'context', jsonb_build_object('period', jsonb_build_object(
            'start', to_char(healthhub.emr_ref_service_time(ref) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            'end', to_char(healthhub.emr_ref_service_time(ref) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))))
      FROM (SELECT healthhub.emr_ref_kind(ref) AS kind) r
      LEFT JOIN healthhub.document_kinds k ON k.kind = r.kind;
END;
COMMENT ON FUNCTION healthhub.to_fhir_document_reference(healthhub.emr_ref, text, bigint, text, text, text) IS
    'A FHIR R4 DocumentReference (jsonb) of a document index entry, without the subject';
GRANT EXECUTE ON FUNCTION healthhub.to_fhir_document_reference(healthhub.emr_ref, text, bigint, text, text, text) TO PUBLIC;
-- Consent and access (docs/records.md, "Consent", "Reading documents",
-- "Who read my records"): a resident authorises one institution, every
-- institution or a named practitioner to read their documents for a
-- purpose and a period, and may revoke it; a guardian acts for a child.
-- documents_for() is the one read path of the index: it returns what the
-- caller's institution holds itself and what a consent in force lets it
-- see, or, breaking the glass with a reason, everything (flagged, and
-- queued for review); each call is one entry of the trail, committed even
-- if the caller rolls back.  accesses_of() shows a person those entries.

-- The resident-facing service (the app that acts for a person).
INSERT INTO healthhub.profiles VALUES
    ('resident_service', false,
     'the resident-facing app: records the consents a resident gives and shows them who read their records');

CREATE TABLE healthhub.record_consents (
    person_key       bigint NOT NULL,
    consent_key      bigint NOT NULL DEFAULT healthhub.mint_key(),
    -- whom: one institution, a practitioner (at any institution, or at one),
    -- or every institution (both NULL)
    institution_key  bigint REFERENCES healthhub.institutions,
    practitioner_key bigint REFERENCES healthhub.practitioners,
    purpose          text NOT NULL REFERENCES healthhub.record_purposes,
    valid            tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    guardian_key     bigint,     -- the guardian who consented for a minor; NULL: the person
    evidence         text NOT NULL CHECK (btrim(evidence) <> '' AND length(evidence) <= 500),
    revoked_at       timestamptz,
    revoked_reason   text CHECK (length(revoked_reason) <= 500),
    recorded_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    recorded_by      text NOT NULL DEFAULT healthhub.acting_role(),
    PRIMARY KEY (person_key, consent_key),
    CONSTRAINT record_consents_revocation CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
COMMENT ON TABLE healthhub.record_consents IS
    'Consents of persons (or their guardians) to institutions or practitioners reading their records';
SELECT pg_catalog.pg_extension_config_dump('healthhub.record_consents', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.record_consents
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('record_consent', 'consent_key', 'shared records consent');
ALTER TABLE healthhub.record_consents ENABLE ROW LEVEL SECURITY;
CREATE POLICY record_consents_admin ON healthhub.record_consents FOR SELECT
    USING (healthhub.row_allowed('admin'));

-- The surviving person a key stands for; 22023 for a key the index does
-- not have.
CREATE FUNCTION healthhub.record_person(person bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current bigint := healthhub.current_person(person);
BEGIN
    IF current IS NULL THEN
        RAISE EXCEPTION 'no person % in the person index', person USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN current;
END
$$;

-- A purpose of healthhub.record_purposes, or 22023.
CREATE FUNCTION healthhub.require_record_purpose(purpose text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM healthhub.record_purposes p WHERE p.purpose = require_record_purpose.purpose) THEN
        RAISE EXCEPTION 'unknown purpose %', purpose
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The purposes are listed in healthhub.record_purposes.';
    END IF;
END
$$;

-- A person and every person merged into them (directly or through a chain
-- of merges): what was given for a merged person counts for the survivor,
-- and returns to them with an unmerge (nothing is re-keyed).
-- (PL/pgSQL, here and below: its plans are kept for the session; a SQL
-- function with these subqueries is planned on every call)
CREATE FUNCTION healthhub.merged_person_keys(person bigint) RETURNS TABLE (person_key bigint)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH RECURSIVE merged(k, depth) AS (
        SELECT merged_person_keys.person, 0
        UNION ALL
        SELECT p.person_key, m.depth + 1 FROM merged m JOIN healthhub.persons p ON p.redirected_to = m.k
         WHERE m.depth < 100)
    SELECT m.k FROM merged m;
END
$$;

-- A consent, given by the person or, for a minor, a guardian.
CREATE FUNCTION healthhub.give_consent(person bigint, purpose text, evidence text,
                                       institution bigint DEFAULT NULL, practitioner bigint DEFAULT NULL,
                                       valid tstzrange DEFAULT NULL, guardian bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
    born date;
    consent bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service'], 'record consents');
    PERFORM healthhub.require_arguments('healthhub.give_consent', ARRAY['person', 'purpose', 'evidence'],
                                        ARRAY[person IS NULL, purpose IS NULL, evidence IS NULL]);
    PERFORM healthhub.require_record_purpose(purpose);
    IF btrim(evidence) = '' OR length(evidence) > 500 THEN
        RAISE EXCEPTION 'a consent names its evidence'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The evidence (the signed form, the app''s record of the consent) is 1 to 500 characters.';
    END IF;
    subject := healthhub.record_person(person);
    valid := coalesce(valid, tstzrange(now(), now() + interval '1 year'));
    IF isempty(valid) OR lower_inf(valid) THEN
        RAISE EXCEPTION 'invalid consent period %', valid
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A consent has a start and is not empty.';
    END IF;
    IF guardian IS NOT NULL THEN
        IF healthhub.record_person(guardian) = subject THEN
            RAISE EXCEPTION 'a guardian consents for another person' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT p.birth_date INTO born FROM healthhub.persons p WHERE p.person_key = subject;
        IF born IS NULL OR born + interval '18 years' <= lower(valid) THEN
            RAISE EXCEPTION 'a guardian consents for a minor only'
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = CASE WHEN born IS NULL THEN 'The person''s birth date is not known.'
                                    ELSE 'The person is 18 or older when the consent begins.' END;
        END IF;
        -- (a guardian's consent ends when the child comes of age)
        valid := valid * tstzrange(NULL, (born + interval '18 years')::timestamptz);
    END IF;
    INSERT INTO healthhub.record_consents (person_key, institution_key, practitioner_key, purpose, valid, guardian_key,
                                           evidence)
    VALUES (subject, institution, practitioner, purpose, valid, healthhub.current_person(guardian), evidence)
    RETURNING consent_key INTO consent;
    RETURN consent;
END
$$;
COMMENT ON FUNCTION healthhub.give_consent(bigint, text, text, bigint, bigint, tstzrange, bigint) IS
    'Record a consent: who may read the person''s documents (an institution, a practitioner or all), why, and when';

CREATE FUNCTION healthhub.revoke_consent(person bigint, consent bigint, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service'], 'record consents');
    PERFORM healthhub.require_arguments('healthhub.revoke_consent', ARRAY['person', 'consent', 'reason'],
                                        ARRAY[person IS NULL, consent IS NULL, reason IS NULL]);
    UPDATE healthhub.record_consents c SET revoked_at = clock_timestamp(), revoked_reason = reason
     WHERE c.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(healthhub.record_person(person)) m)
       AND c.consent_key = consent AND c.revoked_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such consent in force'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Consent %s of person %s.', consent, person);
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.revoke_consent(bigint, bigint, text) IS
    'Revoke a consent from now on, with the reason';

-- The consents of a person, for their app.
CREATE FUNCTION healthhub.consents_of(person bigint)
    RETURNS SETOF healthhub.record_consents
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service', 'auditor'], 'read consents');
    PERFORM healthhub.require_arguments('healthhub.consents_of', ARRAY['person'], ARRAY[person IS NULL]);
    subject := healthhub.record_person(person);
    PERFORM healthhub.audit_append('read.record_consents', 'person', subject::text, subject, 'shared records consent');
    RETURN QUERY SELECT * FROM healthhub.record_consents c
                  WHERE c.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(subject) m)
                  ORDER BY c.recorded_at, c.consent_key;
END
$$;
COMMENT ON FUNCTION healthhub.consents_of(bigint) IS 'The consents a person gave, in force or not (recorded)';

-- Break-glass reads awaiting review: the trail's entries themselves (a
-- rollback cannot remove one), with the review once made.
CREATE TABLE healthhub.break_glass_reviews (
    entry_id     bigint PRIMARY KEY,
    person_key   bigint NOT NULL,
    verdict      text NOT NULL CHECK (verdict IN ('justified', 'unjustified')),
    note         text NOT NULL CHECK (btrim(note) <> '' AND length(note) <= 500),
    reviewed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    reviewed_by  text NOT NULL DEFAULT healthhub.acting_role()
);
COMMENT ON TABLE healthhub.break_glass_reviews IS 'Reviews of break-glass reads of shared records';
SELECT pg_catalog.pg_extension_config_dump('healthhub.break_glass_reviews', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.break_glass_reviews
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('break_glass_review', 'entry_id', 'shared records review');

-- Whether a consent in force now lets an institution (and the practitioner
-- acting there, if named) read a person's records for a purpose: one to the
-- institution, one to every institution, or one to the practitioner (at any
-- institution, or at this one).
CREATE FUNCTION healthhub.consent_allows(person bigint, purpose text, reader bigint, practitioner bigint)
    RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN EXISTS (
        SELECT FROM healthhub.record_consents c
         WHERE c.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(consent_allows.person) m)
           AND c.purpose = consent_allows.purpose
           AND c.valid @> clock_timestamp() AND (c.revoked_at IS NULL OR c.revoked_at > clock_timestamp())
           AND ((c.institution_key = reader AND c.practitioner_key IS NULL)
                OR (c.institution_key IS NULL AND c.practitioner_key IS NULL)
                OR (c.practitioner_key = consent_allows.practitioner
                    AND (c.institution_key IS NULL OR c.institution_key = reader))));
END
$$;

-- The acting role's institution, and the practitioner acting there if
-- named (registered there now); 42501 for a role that acts for none.
CREATE FUNCTION healthhub.require_reader(practitioner bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.acting_role_institution();
BEGIN
    PERFORM healthhub.require_profile(ARRAY['institution_app', 'clinician'], 'read shared records');
    IF reader IS NULL THEN
        RAISE EXCEPTION 'role % acts for no institution', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Shared records are read by an institution, for a patient.';
    END IF;
    IF practitioner IS NOT NULL AND NOT EXISTS (
        SELECT FROM healthhub.registrations r JOIN healthhub.licences l ON l.licence_key = r.licence_key
         WHERE l.practitioner_key = practitioner AND r.institution_key = reader AND r.period @> now()) THEN
        RAISE EXCEPTION 'practitioner % is not registered at this institution now', practitioner
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN reader;
END
$$;

-- Every document of a person the acting institution may read now for a
-- purpose: its own; another's under a consent in force for the purpose to
-- it, to every institution or to the practitioner acting (registered
-- there now), except very restricted ones; with a break-glass reason, every
-- current document.  Of the current versions only.
CREATE FUNCTION healthhub.documents_for(person bigint, purpose text, practitioner bigint DEFAULT NULL,
                                        kinds text[] DEFAULT NULL, period tstzrange DEFAULT NULL,
                                        break_glass_reason text DEFAULT NULL)
    RETURNS TABLE (document_key bigint, ref healthhub.emr_ref, kind text, service_time timestamptz,
                   institution_key bigint, confidentiality text, location text, size_bytes bigint, media_type text,
                   access text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.require_reader(practitioner);
    subject bigint;
    glass boolean := break_glass_reason IS NOT NULL;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.documents_for', ARRAY['person', 'purpose'],
                                        ARRAY[person IS NULL, purpose IS NULL]);
    PERFORM healthhub.require_record_purpose(purpose);
    IF glass AND (btrim(break_glass_reason) = '' OR length(break_glass_reason) > 400) THEN
        RAISE EXCEPTION 'breaking the glass needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A read without consent states why, in 1 to 400 characters; it is reviewed.';
    END IF;
    subject := healthhub.record_person(person);
    -- (before any row is returned; a read.* entry is committed whatever the
    -- caller's transaction does)
    PERFORM healthhub.audit_append('read.emr_documents', 'person', subject::text, subject,
                                   CASE WHEN glass THEN left(purpose || '; break glass: ' || break_glass_reason, 500)
                                        ELSE purpose END,
                                   CASE WHEN glass THEN 'break_glass' ELSE 'ok' END, practitioner);
    RETURN QUERY
    -- (the consent read in the same statement, under the same snapshot, as
    -- the documents; MATERIALIZED: once per call, not once per document)
    WITH k AS MATERIALIZED (SELECT healthhub.consent_allows(subject, purpose, reader, practitioner) AS consented)
    SELECT d.document_key, d.ref, d.kind, d.service_time, d.institution_key, d.confidentiality, d.location,
           d.size_bytes, d.media_type, a.access
      FROM healthhub.emr_documents d
     CROSS JOIN k
     CROSS JOIN LATERAL (
         SELECT CASE WHEN d.institution_key = reader THEN 'own'
                     WHEN k.consented AND d.confidentiality <> 'very_restricted' THEN 'consent'
                     WHEN glass THEN 'break_glass' END AS access) a
     WHERE d.record_id IN (SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = subject)
       AND d.state = 'current' AND a.access IS NOT NULL
       AND (kinds IS NULL OR d.kind = ANY (kinds))
       AND (period IS NULL OR period @> d.service_time)
     ORDER BY d.service_time DESC, d.document_key;
END
$$;
COMMENT ON FUNCTION healthhub.documents_for(bigint, text, bigint, text[], tstzrange, text) IS
    'The documents of a person the acting institution may read for a purpose (own, consented, or break-glass); recorded';

-- Who read a person's records, when and why: the trail's entries of reads
-- of that person's documents and consents, newest first.
CREATE FUNCTION healthhub.accesses_of(person bigint, max_rows integer DEFAULT 100)
    RETURNS TABLE ("at" timestamptz, institution_key bigint, institution text, practitioner_key bigint,
                   what text, purpose text, outcome text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['resident_service', 'auditor'], 'read who read a person''s records');
    PERFORM healthhub.require_arguments('healthhub.accesses_of', ARRAY['person', 'max_rows'],
                                        ARRAY[person IS NULL, max_rows IS NULL]);
    PERFORM healthhub.require_page_size(max_rows);
    subject := healthhub.record_person(person);
    PERFORM healthhub.audit_append('read.record_accesses', 'person', subject::text, subject, 'right to know');
    RETURN QUERY
    SELECT e."at", e.institution_key, i.name, e.practitioner_key, e.action, e.purpose, e.outcome
      FROM healthhub.audit_entries e
      LEFT JOIN healthhub.institutions i ON i.institution_key = e.institution_key
     WHERE e.person_key IN (SELECT m.person_key FROM healthhub.merged_person_keys(subject) m)
       AND e.action IN ('read.emr_documents', 'read.record_consents')
     ORDER BY e.entry_id DESC
     LIMIT max_rows;
END
$$;
COMMENT ON FUNCTION healthhub.accesses_of(bigint, integer) IS
    'Who read a person''s shared records, when and why (for the person''s app and auditors); recorded';

-- The break-glass reads not yet reviewed, oldest first.
CREATE VIEW healthhub.break_glass_queue AS
SELECT e.entry_id, e."at", e.person_key, e.institution_key, e.practitioner_key, e.role_name, e.purpose
  FROM healthhub.audit_entries e
 WHERE e.action = 'read.emr_documents' AND e.outcome = 'break_glass'
   AND NOT EXISTS (SELECT FROM healthhub.break_glass_reviews r WHERE r.entry_id = e.entry_id);
COMMENT ON VIEW healthhub.break_glass_queue IS 'Break-glass reads of shared records awaiting review';

CREATE FUNCTION healthhub.review_break_glass(entry bigint, verdict text, note text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    subject bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['auditor'], 'review break-glass reads');
    PERFORM healthhub.require_arguments('healthhub.review_break_glass', ARRAY['entry', 'verdict', 'note'],
                                        ARRAY[entry IS NULL, verdict IS NULL, note IS NULL]);
    SELECT q.person_key INTO subject FROM healthhub.break_glass_queue q WHERE q.entry_id = entry;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no break-glass read awaiting review'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Audit entry %s.', entry);
    END IF;
    INSERT INTO healthhub.break_glass_reviews (entry_id, person_key, verdict, note) VALUES (entry, subject, verdict, note);
END
$$;
COMMENT ON FUNCTION healthhub.review_break_glass(bigint, text, text) IS
    'Review a break-glass read: justified or unjustified, with a note';

REVOKE ALL ON FUNCTION healthhub.record_person(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.merged_person_keys(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_record_purpose(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.consent_allows(bigint, text, bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.require_reader(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.give_consent(bigint, text, text, bigint, bigint, tstzrange, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_consent(bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.consents_of(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.documents_for(bigint, text, bigint, text[], tstzrange, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.accesses_of(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.review_break_glass(bigint, text, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', 'healthhub.documents_for(bigint, text, bigint, text[], tstzrange, text)', 'EXECUTE'
  FROM unnest(ARRAY['institution_app', 'clinician']) pr
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'resident_service']) pr,
       unnest(ARRAY['healthhub.give_consent(bigint, text, text, bigint, bigint, tstzrange, bigint)',
                    'healthhub.revoke_consent(bigint, bigint, text)']) f
UNION ALL
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'resident_service', 'auditor']) pr,
       unnest(ARRAY['healthhub.consents_of(bigint)', 'healthhub.accesses_of(bigint, integer)']) f
UNION ALL
SELECT pr, 'function', 'healthhub.review_break_glass(bigint, text, text)', 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'auditor']) pr
UNION ALL
SELECT pr, 'table', 'healthhub.break_glass_queue', 'SELECT'
  FROM unnest(ARRAY['hub_admin', 'auditor']) pr;
-- Loading an institution's file of shared records (encounters, results):
-- the loading framework's steps (src/platform/loading.sql) around each
-- loader's own rules and write.  The file's source is the institution's
-- source of person records (link_record's source); its patients are that
-- source's records.

-- Begin: hub_admin only; the source's institution; the staging table
-- locked for the transaction (one load of a kind at a time, nothing staged
-- meanwhile); the load begun, or found already loaded (then the staging
-- table is emptied and nothing else happens).
CREATE FUNCTION healthhub.begin_records_load(kind text, source text, file_digest text, stage regclass,
                                             OUT load_id bigint, OUT already_loaded boolean, OUT institution bigint)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM healthhub.require_profile(ARRAY[]::text[], 'load ' || kind);
    PERFORM healthhub.require_arguments('healthhub.load_' || kind, ARRAY['source', 'file_digest'],
                                        ARRAY[source IS NULL, file_digest IS NULL]);
    institution := healthhub.institution_for_source(btrim(source));
    IF institution IS NULL THEN
        RAISE EXCEPTION 'no institution sends records as source %', quote_literal(btrim(source))
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The source is the institution''s source of person records (link_record''s source).';
    END IF;
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', stage);
    SELECT b.load_id, b.already_loaded INTO load_id, already_loaded
      FROM healthhub.begin_load(kind, btrim(source), file_digest, 'delta') b;
    IF already_loaded THEN
        EXECUTE format('TRUNCATE %s RESTART IDENTITY', stage);
    ELSE
        PERFORM healthhub.begin_load_writes(load_id);
    END IF;
END
$$;

-- Rule: the patient is a record of the source linked to a person.
CREATE FUNCTION healthhub.load_check_patient(load_id bigint, entity text, stage regclass, source text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
                    SELECT $1, $2, s.line_no, ''patient_id'', s.patient_id, ''is no record of this source in the person index''
                      FROM %s s
                     WHERE nullif(btrim(s.patient_id), '''') IS NOT NULL
                       AND NOT EXISTS (SELECT FROM healthhub.source_records r
                                        WHERE r.source = $3 AND r.local_id = btrim(s.patient_id) AND r.person_key IS NOT NULL)',
                   stage)
    USING load_id, entity, btrim(source);
END
$$;

-- End: the outcome of the one entity, the load's trail entry, the staging
-- table emptied; what the loader returns.
CREATE FUNCTION healthhub.end_records_load(load_id bigint, entity text, stage regclass,
                                           OUT staged integer, OUT loaded integer, OUT rejected integer)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result jsonb := healthhub.load_outcome(load_id, entity, 1, stage, 0);
BEGIN
    PERFORM healthhub.end_load(load_id, result, 'shared records');
    EXECUTE format('TRUNCATE %s RESTART IDENTITY', stage);
    staged := (result->entity->>'staged')::int;
    loaded := (result->entity->>'loaded')::int;
    rejected := (result->entity->>'rejected')::int;
END
$$;

-- What an earlier load of the same file reported.
CREATE FUNCTION healthhub.records_load_outcome(load_id bigint, entity text,
                                               OUT staged integer, OUT loaded integer, OUT rejected integer)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT (l.outcome->entity->>'staged')::int, (l.outcome->entity->>'loaded')::int, (l.outcome->entity->>'rejected')::int
      FROM healthhub.loads l WHERE l.load_id = records_load_outcome.load_id;
END;

REVOKE ALL ON FUNCTION healthhub.begin_records_load(text, text, text, regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.load_check_patient(bigint, text, regclass, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.end_records_load(bigint, text, regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.records_load_outcome(bigint, text) FROM PUBLIC;
-- Encounters (docs/records.md, "Encounters"): outpatient and emergency
-- visits (counted by registration) and admissions with their discharge
-- (department, bed, admission route, discharge mode, length of stay), with
-- their diagnoses (ICD-10, the first the principal one) and treating
-- practitioner: what later reports and surveillance count.  Institutions
-- send them as files, loaded through the loading framework
-- (src/platform/loading.sql): every bad row reported with its line and
-- reason, the same file twice changes nothing, a corrected row replaces its
-- earlier version, which is kept in encounter_history.

CREATE TABLE healthhub.encounters (
    person_key       bigint NOT NULL,
    encounter_key    bigint NOT NULL DEFAULT healthhub.mint_key(),
    record_id        bigint NOT NULL,    -- the institution's record of the person (source_records)
    institution_key  bigint NOT NULL REFERENCES healthhub.institutions,
    local_id         text NOT NULL CHECK (local_id ~ '^[A-Za-z0-9._/+-]{1,64}$'),
    kind             text NOT NULL CHECK (kind IN ('outpatient', 'emergency', 'inpatient')),
    department       text CHECK (length(department) <= 100),
    practitioner_key bigint REFERENCES healthhub.practitioners,
    started_at       timestamptz NOT NULL,   -- registration, or admission
    ended_at         timestamptz,            -- discharge
    admission_route  text CHECK (admission_route IN ('outpatient', 'emergency', 'referral', 'other')),
    discharge_mode   text CHECK (discharge_mode IN ('home', 'referral', 'community', 'death', 'against_advice', 'other')),
    bed              text CHECK (length(bed) <= 40),
    diagnoses        text[] NOT NULL DEFAULT '{}',   -- ICD-10 codes, the principal first
    -- (days in hospital as counted in China: discharge date minus admission
    -- date, Beijing time, at least one)
    length_of_stay   integer GENERATED ALWAYS AS (
        CASE WHEN kind = 'inpatient' AND ended_at IS NOT NULL
             THEN greatest(1, (ended_at AT TIME ZONE 'Asia/Shanghai')::date - (started_at AT TIME ZONE 'Asia/Shanghai')::date)
        END) STORED,
    version          integer NOT NULL DEFAULT 1,
    load_id          bigint REFERENCES healthhub.loads,
    PRIMARY KEY (person_key, encounter_key),
    UNIQUE (institution_key, local_id),
    CONSTRAINT encounters_period CHECK (ended_at IS NULL OR ended_at >= started_at),
    CONSTRAINT encounters_inpatient_only CHECK (kind = 'inpatient' OR (admission_route IS NULL AND discharge_mode IS NULL
                                                                          AND bed IS NULL))
);
CREATE INDEX encounters_by_time ON healthhub.encounters (institution_key, started_at);
COMMENT ON TABLE healthhub.encounters IS
    'Outpatient and emergency visits and admissions: department, practitioner, times, route, discharge, diagnoses';
SELECT pg_catalog.pg_extension_config_dump('healthhub.encounters', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.encounters
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('encounter', 'encounter_key', 'shared records');
ALTER TABLE healthhub.encounters ENABLE ROW LEVEL SECURITY;
CREATE POLICY encounters_own ON healthhub.encounters FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Earlier versions of corrected encounters.
CREATE TABLE healthhub.encounter_history (
    LIKE healthhub.encounters EXCLUDING CONSTRAINTS EXCLUDING INDEXES EXCLUDING GENERATED,
    replaced_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (person_key, encounter_key, version)
);
COMMENT ON TABLE healthhub.encounter_history IS 'Earlier versions of encounters a later load corrected';
SELECT pg_catalog.pg_extension_config_dump('healthhub.encounter_history', '');
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.encounter_history', 'derived', 'the earlier version of an encounter, written by its correction');
ALTER TABLE healthhub.encounter_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY encounter_history_own ON healthhub.encounter_history FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

CREATE FUNCTION healthhub.encounter_versioned() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO healthhub.encounter_history SELECT OLD.*;
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION healthhub.encounter_versioned() FROM PUBLIC;
CREATE TRIGGER encounter_versioned BEFORE UPDATE ON healthhub.encounters
    FOR EACH ROW EXECUTE FUNCTION healthhub.encounter_versioned();

-- An ICD-10 code as institutions write it: a chapter letter, two digits,
-- and optionally a point and up to four characters of the subcategory or
-- the national clinical extension (J18.9, I21.001, E11.900x002).  The form
-- is checked; the code's existence in a catalogue is not (none is shipped).
CREATE FUNCTION healthhub.icd10_ok(code text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN code ~ '^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4}(x[0-9]{3})?)?$';
COMMENT ON FUNCTION healthhub.icd10_ok(text) IS 'Whether a text is an ICD-10 code in form (J18.9, E11.900x002)';
GRANT EXECUTE ON FUNCTION healthhub.icd10_ok(text) TO PUBLIC;

CREATE TABLE healthhub.stage_encounters (
    line_no              bigint GENERATED BY DEFAULT AS IDENTITY,
    encounter_id         text,   -- the institution's registration or admission number
    patient_id           text,   -- its record of the patient (link_record's local_id)
    kind                 text,   -- outpatient, emergency, inpatient
    department           text,
    practitioner_licence text,   -- the treating practitioner's licence number
    started_at           text,
    ended_at             text,
    admission_route      text,
    discharge_mode       text,
    bed                  text,
    diagnoses            text    -- ICD-10 codes separated by ';', the principal first
);
COMMENT ON TABLE healthhub.stage_encounters IS 'Staging for healthhub.load_encounters(): COPY an institution''s encounters here';
ALTER TABLE healthhub.stage_encounters REPLICA IDENTITY FULL;
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.stage_encounters', 'staging', 'encounters.load.delta of the load that reads it');

-- Load the encounters staged from one institution's file: source is the
-- institution's source of person records (link_record's source), whose
-- records the patient ids name.  Returns what was staged, loaded and
-- rejected; keyed on (source, file digest).
CREATE FUNCTION healthhub.load_encounters(source text, file_digest text)
    RETURNS TABLE (load_id bigint, staged integer, loaded integer, rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    se constant regclass := 'healthhub.stage_encounters';
    b record := healthhub.begin_records_load('encounters', source, file_digest, se);
    lid bigint := b.load_id;
    src text := btrim(source);
    institution bigint := b.institution;
BEGIN
    IF b.already_loaded THEN
        RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, true FROM healthhub.records_load_outcome(lid, 'encounters') o;
        RETURN;
    END IF;

    PERFORM healthhub.load_require(lid, 'encounters', se, ARRAY['encounter_id', 'patient_id', 'kind']);
    PERFORM healthhub.load_check_duplicates(lid, 'encounters', se, 'encounter_id');
    PERFORM healthhub.load_check_pattern(lid, 'encounters', se, 'encounter_id', '^[A-Za-z0-9._/+-]{1,64}$',
                                         'is not 1 to 64 letters, digits or . _ / + -', false);
    -- (references: an empty value is "required" above, or allowed)
    PERFORM healthhub.load_check_patient(lid, 'encounters', se, src);
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, 'practitioner_licence', s.practitioner_licence, 'is no licence of the registry'
      FROM healthhub.stage_encounters s
     WHERE nullif(btrim(s.practitioner_licence), '') IS NOT NULL
       AND NOT EXISTS (SELECT FROM healthhub.licences l WHERE l.licence_no = btrim(s.practitioner_licence));
    PERFORM healthhub.load_check_in(lid, 'encounters', se, 'kind', ARRAY['outpatient', 'emergency', 'inpatient'], false,
                                    'is not outpatient, emergency or inpatient');
    PERFORM healthhub.load_check_type(lid, 'encounters', se, 'started_at', 'timestamptz', true);
    PERFORM healthhub.load_check_type(lid, 'encounters', se, 'ended_at', 'timestamptz', false);
    PERFORM healthhub.load_check_period(lid, 'encounters', se, 'started_at', 'ended_at');
    PERFORM healthhub.load_check_in(lid, 'encounters', se, 'admission_route',
                                    ARRAY['outpatient', 'emergency', 'referral', 'other'], false,
                                    'is not outpatient, emergency, referral or other');
    PERFORM healthhub.load_check_in(lid, 'encounters', se, 'discharge_mode',
                                    ARRAY['home', 'referral', 'community', 'death', 'against_advice', 'other'], false,
                                    'is not home, referral, community, death, against_advice or other');
    PERFORM healthhub.load_check_pattern(lid, 'encounters', se, 'department', '^.{1,100}$', 'is longer than 100 characters',
                                         false);
    PERFORM healthhub.load_check_pattern(lid, 'encounters', se, 'bed', '^.{1,40}$', 'is longer than 40 characters', false);
    -- (admission route, discharge mode and bed belong to an admission)
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, c.col, c.val, 'is for an inpatient stay only'
      FROM healthhub.stage_encounters s,
           LATERAL (VALUES ('admission_route', s.admission_route), ('discharge_mode', s.discharge_mode), ('bed', s.bed)) c(col, val)
     WHERE btrim(s.kind) IN ('outpatient', 'emergency') AND coalesce(btrim(c.val), '') <> '';
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, 'discharge_mode', s.discharge_mode, 'is required when an inpatient stay has ended'
      FROM healthhub.stage_encounters s
     WHERE btrim(s.kind) = 'inpatient' AND coalesce(btrim(s.ended_at), '') <> '' AND coalesce(btrim(s.discharge_mode), '') = '';
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'encounters', s.line_no, 'diagnoses', d.code, 'is not an ICD-10 code (such as J18.9 or E11.900x002)'
      FROM healthhub.stage_encounters s, unnest(string_to_array(s.diagnoses, ';')) d(code)
     WHERE NOT healthhub.icd10_ok(btrim(d.code));

    INSERT INTO healthhub.encounters AS e (person_key, record_id, institution_key, local_id, kind, department,
                                           practitioner_key, started_at, ended_at, admission_route, discharge_mode, bed,
                                           diagnoses, load_id)
    SELECT healthhub.current_person(r.person_key), r.record_id, institution, btrim(s.encounter_id), btrim(s.kind),
           nullif(btrim(s.department), ''), l.practitioner_key, btrim(s.started_at)::timestamptz,
           nullif(btrim(s.ended_at), '')::timestamptz, nullif(btrim(s.admission_route), ''),
           nullif(btrim(s.discharge_mode), ''), nullif(btrim(s.bed), ''),
           coalesce(ARRAY(SELECT btrim(d) FROM unnest(string_to_array(s.diagnoses, ';')) WITH ORDINALITY x(d, n)
                           WHERE btrim(d) <> '' ORDER BY n), '{}'), lid
      FROM healthhub.stage_encounters s
      JOIN healthhub.source_records r ON r.source = src AND r.local_id = btrim(s.patient_id) AND r.person_key IS NOT NULL
      LEFT JOIN healthhub.licences l ON l.licence_no = nullif(btrim(s.practitioner_licence), '')
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors x
                        WHERE x.load_id = lid AND x.entity = 'encounters' AND x.line_no = s.line_no)
    -- (a corrected row: the earlier version goes to encounter_history)
    ON CONFLICT (institution_key, local_id) DO UPDATE
       SET person_key = EXCLUDED.person_key, record_id = EXCLUDED.record_id, kind = EXCLUDED.kind,
           department = EXCLUDED.department, practitioner_key = EXCLUDED.practitioner_key,
           started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at, admission_route = EXCLUDED.admission_route,
           discharge_mode = EXCLUDED.discharge_mode, bed = EXCLUDED.bed, diagnoses = EXCLUDED.diagnoses,
           load_id = EXCLUDED.load_id
     WHERE (e.person_key, e.kind, e.department, e.practitioner_key, e.started_at, e.ended_at, e.admission_route,
            e.discharge_mode, e.bed, e.diagnoses)
           IS DISTINCT FROM (EXCLUDED.person_key, EXCLUDED.kind, EXCLUDED.department, EXCLUDED.practitioner_key,
                             EXCLUDED.started_at, EXCLUDED.ended_at, EXCLUDED.admission_route, EXCLUDED.discharge_mode,
                             EXCLUDED.bed, EXCLUDED.diagnoses);

    RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, false FROM healthhub.end_records_load(lid, 'encounters', se) o;
END
$$;
COMMENT ON FUNCTION healthhub.load_encounters(text, text) IS
    'Validate and load the encounters staged from one institution''s file; keyed on (source, file digest)';

REVOKE ALL ON FUNCTION healthhub.load_encounters(text, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges) VALUES
    ('hub_admin', 'table', 'healthhub.stage_encounters', 'SELECT, INSERT, UPDATE, DELETE'),
    ('hub_admin', 'function', 'healthhub.load_encounters(text, text)', 'EXECUTE');
-- Exam and lab result mutual recognition (检查检验结果互认; docs/records.md,
-- "Result recognition"), after the national measures of 2022 (国卫医发
-- 〔2022〕6号): a result of an item of a region's catalogue, from a lab that
-- passed external quality assessment for it when the result was produced,
-- within the item's validity window, spares the patient the same test at
-- another institution of the region, as the levels allow (same level each
-- other, lower accepts upper, upper accepts lower only within a city).  A
-- re-test stays allowed, with a reason.  Catalogues, windows and reasons are
-- rows: each region sets its own.

-- A region's catalogue of recognised items, by version: a province's items
-- are recognised province-wide, a city's within the city.
CREATE TABLE healthhub.recognition_items (
    item_key     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    region       healthhub.region_code NOT NULL REFERENCES healthhub.regions (code),
    item_code    text NOT NULL CHECK (item_code ~ '^[A-Za-z0-9._-]{1,40}$'),
    item_kind    text NOT NULL CHECK (item_kind IN ('exam', 'lab')),
    name         text NOT NULL CHECK (btrim(name) <> ''),
    validity     interval NOT NULL CHECK (validity > interval '0'),
    mark         text NOT NULL CHECK (mark ~ 'HR$'),
    cost         numeric(12, 2) CHECK (cost >= 0),   -- what a re-test costs (avoided cost)
    catalogue_version text NOT NULL CHECK (btrim(catalogue_version) <> ''),
    valid        tstzrange NOT NULL CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    UNIQUE (region, item_code, catalogue_version)
);
COMMENT ON TABLE healthhub.recognition_items IS
    'Catalogues of mutually recognised exam and lab items per region and version: validity window, mark, cost';
SELECT pg_catalog.pg_extension_config_dump('healthhub.recognition_items', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.recognition_items
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('recognition_item', 'item_key', 'result recognition policy');
GRANT SELECT ON healthhub.recognition_items TO PUBLIC;

-- A lab's external quality assessment (室间质评) passed for an item, over a
-- period: only its results of that period are recognised.
CREATE TABLE healthhub.lab_certifications (
    certification_key bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    institution_key   bigint NOT NULL REFERENCES healthhub.institutions,
    item_code         text NOT NULL CHECK (item_code ~ '^[A-Za-z0-9._-]{1,40}$'),
    period            tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    passed            boolean NOT NULL,
    evidence          text NOT NULL CHECK (btrim(evidence) <> '')
);
CREATE INDEX lab_certifications_lookup ON healthhub.lab_certifications (institution_key, item_code);
COMMENT ON TABLE healthhub.lab_certifications IS
    'External quality assessment results of labs per item and period: only passed periods are recognised';
SELECT pg_catalog.pg_extension_config_dump('healthhub.lab_certifications', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.lab_certifications
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('lab_certification', 'certification_key', 'result recognition policy');
GRANT SELECT ON healthhub.lab_certifications TO PUBLIC;

-- Why a re-test is ordered despite a recognisable result: the national
-- measures' reasons and the patient's own request.
CREATE TABLE healthhub.retest_reasons (
    reason      text PRIMARY KEY CHECK (reason ~ '^[a-z][a-z0-9_]{0,39}$'),
    description text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.retest_reasons IS 'Reasons for a re-test despite a recognisable result';
SELECT pg_catalog.pg_extension_config_dump('healthhub.retest_reasons', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.retest_reasons VALUES
    ('condition_changed', 'the condition changed, or the result does not fit the clinical picture (病情变化或结果与临床不符)', 'shipped'),
    ('fast_changing', 'the item changes fast over time (检查检验项目变化快)', 'shipped'),
    ('major_significance', 'a test of major significance before surgery, transfusion or similar (重大意义的检查检验)', 'shipped'),
    ('emergency', 'an emergency (急诊、急救)', 'shipped'),
    ('forensic', 'forensic or disability appraisal (司法、伤残鉴定)', 'shipped'),
    ('other_recorded', 'another case the physician records (医师记录的其他情形)', 'shipped'),
    ('patient_request', 'the patient asks for it (患者要求)', 'shipped');
GRANT SELECT ON healthhub.retest_reasons TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.retest_reasons
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('reason');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.retest_reasons
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('retest_reason', 'reason', 'result recognition policy');

-- Results of exam and lab items, per person of the person index.
CREATE TABLE healthhub.exam_results (
    person_key      bigint NOT NULL,
    result_key      bigint NOT NULL DEFAULT healthhub.mint_key(),
    record_id       bigint NOT NULL,    -- the institution's record of the person (as emr_documents)
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    item_code       text NOT NULL CHECK (item_code ~ '^[A-Za-z0-9._-]{1,40}$'),
    produced_at     timestamptz NOT NULL,
    value           text NOT NULL CHECK (length(value) <= 200),
    unit            text CHECK (length(unit) <= 40),
    reference_range text CHECK (length(reference_range) <= 100),
    report_ref      healthhub.emr_ref,      -- the report document, when indexed
    local_id        text NOT NULL CHECK (local_id ~ '^[A-Za-z0-9._/+-]{1,64}$'),
    registered_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (person_key, result_key),
    UNIQUE (institution_key, local_id)
);
CREATE INDEX exam_results_by_item ON healthhub.exam_results (record_id, item_code, produced_at);
COMMENT ON TABLE healthhub.exam_results IS 'Exam and lab results per person: item, institution, time, value, unit, reference range';
SELECT pg_catalog.pg_extension_config_dump('healthhub.exam_results', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.exam_results
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('exam_result', 'result_key', 'shared records');
ALTER TABLE healthhub.exam_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY exam_results_own ON healthhub.exam_results FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Decisions: a prior result accepted, or a re-test ordered with a reason.
CREATE TABLE healthhub.recognition_decisions (
    person_key      bigint NOT NULL,
    decision_key    bigint NOT NULL DEFAULT healthhub.mint_key(),
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,  -- the deciding institution
    practitioner_key bigint REFERENCES healthhub.practitioners,
    encounter_key   bigint,             -- the deciding institution's encounter of the person, when named
    item_code       text NOT NULL,
    result_key      bigint,             -- the prior result accepted, or set aside
    decision        text NOT NULL CHECK (decision IN ('accepted', 'retest')),
    reason          text REFERENCES healthhub.retest_reasons,
    note            text CHECK (length(note) <= 500),
    decided_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (person_key, decision_key),
    CONSTRAINT recognition_decisions_reason CHECK ((decision = 'retest') = (reason IS NOT NULL)),
    CONSTRAINT recognition_decisions_accepted_result CHECK (decision <> 'accepted' OR result_key IS NOT NULL)
);
COMMENT ON TABLE healthhub.recognition_decisions IS
    'Prior results accepted instead of a re-test, and re-tests ordered with their reason';
SELECT pg_catalog.pg_extension_config_dump('healthhub.recognition_decisions', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.recognition_decisions
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('recognition_decision', 'decision_key', 'shared records');
ALTER TABLE healthhub.recognition_decisions ENABLE ROW LEVEL SECURITY;
CREATE POLICY recognition_decisions_own ON healthhub.recognition_decisions FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- The city (prefecture-level division) a region lies in; a province-level
-- region is its own.
CREATE FUNCTION healthhub.region_city(region healthhub.region_code) RETURNS healthhub.region_code
    LANGUAGE sql STABLE STRICT
    RETURN CASE healthhub.region_code_level(region)
               WHEN 'county' THEN healthhub.region_code_parent(region)
               ELSE region END;

-- A result of the acting institution's own, for a person its own record
-- (source, local_id) is linked to.
CREATE FUNCTION healthhub.register_result(source text, local_id text, result_id text, item_code text,
                                          produced_at timestamptz, value text, unit text DEFAULT NULL,
                                          reference_range text DEFAULT NULL, report_ref healthhub.emr_ref DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.acting_role_institution();
    person bigint;
    record bigint;
    result bigint;
BEGIN
    PERFORM healthhub.require_profile(ARRAY['institution_app', 'clinician'], 'register results');
    PERFORM healthhub.require_arguments('healthhub.register_result',
        ARRAY['source', 'local_id', 'result_id', 'item_code', 'produced_at', 'value'],
        ARRAY[source IS NULL, local_id IS NULL, result_id IS NULL, item_code IS NULL, produced_at IS NULL, value IS NULL]);
    SELECT healthhub.current_person(s.person_key), s.record_id INTO person, record FROM healthhub.source_records s
     WHERE s.source = register_result.source AND s.local_id = register_result.local_id
       AND s.institution_key = institution;
    IF person IS NULL THEN
        RAISE EXCEPTION 'no record % of source % linked to a person at this institution', local_id, source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A result is registered against the institution''s own record of the person, linked by link_record.';
    END IF;
    INSERT INTO healthhub.exam_results (person_key, record_id, institution_key, item_code, produced_at, value, unit,
                                        reference_range, report_ref, local_id)
    VALUES (person, record, institution, item_code, produced_at, value, unit, reference_range, report_ref, result_id)
    RETURNING result_key INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION healthhub.register_result(text, text, text, text, timestamptz, text, text, text, healthhub.emr_ref) IS
    'Register an exam or lab result of the institution, for the person its own record is linked to';

CREATE TABLE healthhub.stage_results (
    line_no         bigint GENERATED BY DEFAULT AS IDENTITY,
    result_id       text,   -- the institution's id of the result
    patient_id      text,   -- its record of the patient (link_record's local_id)
    item_code       text,
    produced_at     text,
    value           text,
    unit            text,
    reference_range text,
    report_ref      text    -- the report document's emr_ref, when indexed
);
COMMENT ON TABLE healthhub.stage_results IS 'Staging for healthhub.load_results(): COPY an institution''s results here';
ALTER TABLE healthhub.stage_results REPLICA IDENTITY FULL;
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.stage_results', 'staging', 'results.load.delta of the load that reads it');

-- Load the results staged from one institution's file (as
-- load_encounters): every bad row reported, the same file twice changes
-- nothing, a corrected result replaces the earlier one.
CREATE FUNCTION healthhub.load_results(source text, file_digest text)
    RETURNS TABLE (load_id bigint, staged integer, loaded integer, rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    st constant regclass := 'healthhub.stage_results';
    b record := healthhub.begin_records_load('results', source, file_digest, st);
    lid bigint := b.load_id;
    src text := btrim(source);
BEGIN
    IF b.already_loaded THEN
        RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, true FROM healthhub.records_load_outcome(lid, 'results') o;
        RETURN;
    END IF;
    PERFORM healthhub.load_require(lid, 'results', st, ARRAY['result_id', 'patient_id', 'item_code', 'value']);
    PERFORM healthhub.load_check_duplicates(lid, 'results', st, 'result_id');
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'result_id', '^[A-Za-z0-9._/+-]{1,64}$',
                                         'is not 1 to 64 letters, digits or . _ / + -', false);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'item_code', '^[A-Za-z0-9._-]{1,40}$',
                                         'is not 1 to 40 letters, digits or . _ -', false);
    PERFORM healthhub.load_check_patient(lid, 'results', st, src);
    PERFORM healthhub.load_check_type(lid, 'results', st, 'produced_at', 'timestamptz', true);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'value', '^.{1,200}$', 'is longer than 200 characters', false);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'unit', '^.{1,40}$', 'is longer than 40 characters', false);
    PERFORM healthhub.load_check_pattern(lid, 'results', st, 'reference_range', '^.{1,100}$',
                                         'is longer than 100 characters', false);
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'results', s.line_no, 'report_ref', s.report_ref, healthhub.emr_ref_problem(s.report_ref)
      FROM healthhub.stage_results s
     WHERE nullif(btrim(s.report_ref), '') IS NOT NULL AND healthhub.emr_ref_problem(s.report_ref) IS NOT NULL;

    INSERT INTO healthhub.exam_results AS x (person_key, record_id, institution_key, item_code, produced_at, value, unit,
                                             reference_range, report_ref, local_id)
    SELECT healthhub.current_person(r.person_key), r.record_id, b.institution, btrim(s.item_code),
           btrim(s.produced_at)::timestamptz, btrim(s.value), nullif(btrim(s.unit), ''),
           nullif(btrim(s.reference_range), ''), nullif(btrim(s.report_ref), '')::healthhub.emr_ref, btrim(s.result_id)
      FROM healthhub.stage_results s
      JOIN healthhub.source_records r ON r.source = src AND r.local_id = btrim(s.patient_id) AND r.person_key IS NOT NULL
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors e
                        WHERE e.load_id = lid AND e.entity = 'results' AND e.line_no = s.line_no)
    ON CONFLICT (institution_key, local_id) DO UPDATE
       SET person_key = EXCLUDED.person_key, record_id = EXCLUDED.record_id, item_code = EXCLUDED.item_code,
           produced_at = EXCLUDED.produced_at, value = EXCLUDED.value, unit = EXCLUDED.unit,
           reference_range = EXCLUDED.reference_range, report_ref = EXCLUDED.report_ref
     WHERE (x.person_key, x.item_code, x.produced_at, x.value, x.unit, x.reference_range, x.report_ref::text)
           IS DISTINCT FROM (EXCLUDED.person_key, EXCLUDED.item_code, EXCLUDED.produced_at, EXCLUDED.value,
                             EXCLUDED.unit, EXCLUDED.reference_range, EXCLUDED.report_ref::text);
    RETURN QUERY SELECT lid, o.staged, o.loaded, o.rejected, false FROM healthhub.end_records_load(lid, 'results', st) o;
END
$$;
COMMENT ON FUNCTION healthhub.load_results(text, text) IS
    'Validate and load the exam and lab results staged from one institution''s file; keyed on (source, file digest)';
REVOKE ALL ON FUNCTION healthhub.load_results(text, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges) VALUES
    ('hub_admin', 'table', 'healthhub.stage_results', 'SELECT, INSERT, UPDATE, DELETE'),
    ('hub_admin', 'function', 'healthhub.load_results(text, text)', 'EXECUTE');

-- The prior results of an item the acting institution should accept
-- instead of re-testing, at a time: of a catalogue in force then whose
-- region holds both institutions; within the item's window; from a lab
-- that passed quality assessment for the item when it produced the result;
-- at a level the rule allows (same level; a lower institution accepts an
-- upper one's; an upper one a lower one's only within a city).  Another
-- institution's results need a consent in force for treatment, as
-- documents do; the read is recorded.  Newest first, with the mark.
CREATE FUNCTION healthhub.recognizable_results(person bigint, item text, "at" timestamptz DEFAULT pg_catalog.now(),
                                               practitioner bigint DEFAULT NULL)
    RETURNS TABLE (result_key bigint, item_code text, institution_key bigint, produced_at timestamptz, value text,
                   unit text, reference_range text, report_ref healthhub.emr_ref, mark text, valid_until timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.require_reader(practitioner);
    subject bigint;
    here healthhub.institutions;
    oldest timestamptz;
    producer bigint;
    entry record;
    certified tstzmultirange;
    -- what each producing institution's results are recognised under
    producers bigint[] := '{}';
    marks text[] := '{}';
    validities interval[] := '{}';
    certifications tstzmultirange[] := '{}';
BEGIN
    PERFORM healthhub.require_arguments('healthhub.recognizable_results', ARRAY['person', 'item', 'at'],
                                        ARRAY[person IS NULL, item IS NULL, "at" IS NULL]);
    subject := healthhub.record_person(person);
    SELECT * INTO here FROM healthhub.institutions i WHERE i.institution_key = reader;
    PERFORM healthhub.audit_append('read.exam_results', 'person', subject::text, subject, 'result recognition', 'ok',
                                   practitioner);
    -- No result older than the longest window of the item can be in force.
    SELECT "at" - max(c.validity) INTO oldest
      FROM healthhub.recognition_items c WHERE c.item_code = item AND c.valid @> "at";
    IF oldest IS NULL THEN
        RETURN;
    END IF;
    -- The rules that depend on the producing institution only (scope,
    -- level, certification) are decided once per institution, not per
    -- result.
    FOR producer IN
        SELECT DISTINCT r.institution_key FROM healthhub.exam_results r
         WHERE r.record_id IN (SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = subject)
           AND r.item_code = item AND r.produced_at BETWEEN oldest AND "at"
    LOOP
        -- (a producer under a city's catalogue and its province's: the city's entry)
        SELECT c.mark, c.validity INTO entry
          FROM healthhub.institutions p
          JOIN healthhub.recognition_items c ON c.item_code = item AND c.valid @> "at"
          JOIN healthhub.regions cr ON cr.code OPERATOR(healthhub.=) c.region
         WHERE p.institution_key = producer
           AND healthhub.region_code_contains(c.region, p.region) AND healthhub.region_code_contains(c.region, here.region)
           AND (coalesce(here.level, '1') <= coalesce(p.level, '1')
                OR healthhub.region_city(here.region) OPERATOR(healthhub.=) healthhub.region_city(p.region))
         ORDER BY cr.level = 'province'
         LIMIT 1;
        CONTINUE WHEN NOT FOUND;
        SELECT range_agg(q.period) INTO certified FROM healthhub.lab_certifications q
         WHERE q.institution_key = producer AND q.item_code = item AND q.passed;
        CONTINUE WHEN certified IS NULL;
        producers := producers || producer;
        marks := marks || entry.mark;
        validities := validities || entry.validity;
        certifications := certifications || certified;
    END LOOP;
    RETURN QUERY
    -- (the consent read in the same statement, under the same snapshot, as
    -- the results: documents_for)
    WITH k AS MATERIALIZED (SELECT healthhub.consent_allows(subject, 'treatment', reader, practitioner) AS consented)
    SELECT r.result_key, r.item_code, r.institution_key, r.produced_at, r.value, r.unit, r.reference_range,
           r.report_ref, e.mark, r.produced_at + e.validity
      FROM healthhub.exam_results r
      JOIN unnest(producers, marks, validities, certifications) e(institution_key, mark, validity, certified)
        ON e.institution_key = r.institution_key
     CROSS JOIN k
     WHERE (r.institution_key = reader OR k.consented)
       AND r.record_id IN (SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = subject)
       AND r.item_code = item AND r.produced_at BETWEEN oldest AND "at"
       AND r.produced_at + e.validity >= "at"
       AND e.certified @> r.produced_at   -- (the certification in force when it was produced)
     ORDER BY r.produced_at DESC, r.result_key;
END
$$;
COMMENT ON FUNCTION healthhub.recognizable_results(bigint, text, timestamptz, bigint) IS
    'Prior results of an item the acting institution should accept instead of re-testing (scope, level, window, certification); recorded';

-- Record the decision: a result accepted (it must be recognisable now), or
-- a re-test ordered with a reason.
CREATE FUNCTION healthhub.record_recognition(person bigint, item text, decision text, result bigint DEFAULT NULL,
                                             reason text DEFAULT NULL, note text DEFAULT NULL,
                                             practitioner bigint DEFAULT NULL, encounter text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := healthhub.require_reader(practitioner);
    subject bigint;
    visit bigint;
    made bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.record_recognition', ARRAY['person', 'item', 'decision'],
                                        ARRAY[person IS NULL, item IS NULL, decision IS NULL]);
    subject := healthhub.record_person(person);
    IF encounter IS NOT NULL THEN
        SELECT e.encounter_key INTO visit FROM healthhub.encounters e
          JOIN healthhub.source_records s ON s.record_id = e.record_id
         WHERE e.institution_key = reader AND e.local_id = encounter AND s.person_key = subject;
        IF visit IS NULL THEN
            RAISE EXCEPTION 'no encounter % of this person at this institution', quote_literal(encounter)
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'A decision is recorded against the deciding institution''s encounter (its encounter id).';
        END IF;
    END IF;
    IF decision NOT IN ('accepted', 'retest') THEN
        RAISE EXCEPTION 'invalid decision %', decision
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A decision is accepted or retest.';
    ELSIF decision = 'retest' AND (reason IS NULL OR NOT EXISTS (SELECT FROM healthhub.retest_reasons t WHERE t.reason = record_recognition.reason)) THEN
        RAISE EXCEPTION 'a re-test needs one of the reasons'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The reasons are listed in healthhub.retest_reasons.';
    ELSIF decision = 'accepted' AND (reason IS NOT NULL OR result IS NULL OR NOT EXISTS (
              SELECT FROM healthhub.recognizable_results(subject, item, now(), practitioner) x WHERE x.result_key = result)) THEN
        RAISE EXCEPTION 'only a recognisable result is accepted'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Name a result recognizable_results() returns now, and no re-test reason.';
    END IF;
    INSERT INTO healthhub.recognition_decisions (person_key, institution_key, practitioner_key, encounter_key, item_code,
                                                 result_key, decision, reason, note)
    VALUES (subject, reader, practitioner, visit, item, result, decision, reason, note)
    RETURNING decision_key INTO made;
    RETURN made;
END
$$;
COMMENT ON FUNCTION healthhub.record_recognition(bigint, text, text, bigint, text, text, bigint, text) IS
    'Record a result accepted instead of a re-test, or a re-test ordered with its reason (against an encounter)';

-- Recognition by institution and month: decisions, results accepted,
-- re-tests, the rate, and the re-tests (and their cost) avoided.  No person
-- data: for statisticians.
CREATE VIEW healthhub.recognition_report AS
SELECT d.institution_key, i.name AS institution, date_trunc('month', d.decided_at) AS month,
       count(*) AS decisions,
       count(*) FILTER (WHERE d.decision = 'accepted') AS accepted,
       count(*) FILTER (WHERE d.decision = 'retest') AS retests,
       round(count(*) FILTER (WHERE d.decision = 'accepted')::numeric / count(*), 4) AS recognition_rate,
       coalesce(sum(c.cost) FILTER (WHERE d.decision = 'accepted'), 0) AS avoided_cost
  FROM healthhub.recognition_decisions d
  JOIN healthhub.institutions i ON i.institution_key = d.institution_key
  LEFT JOIN LATERAL (SELECT min(ri.cost) AS cost FROM healthhub.recognition_items ri
                      WHERE ri.item_code = d.item_code AND ri.valid @> d.decided_at) c ON true
 GROUP BY d.institution_key, i.name, date_trunc('month', d.decided_at);
COMMENT ON VIEW healthhub.recognition_report IS
    'Result recognition by institution and month: accepted, re-tests, rate, avoided re-tests and cost';

REVOKE ALL ON FUNCTION healthhub.region_city(healthhub.region_code) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.register_result(text, text, text, text, timestamptz, text, text, text, healthhub.emr_ref) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.recognizable_results(bigint, text, timestamptz, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.record_recognition(bigint, text, text, bigint, text, text, bigint, text) FROM PUBLIC;
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['hub_admin', 'institution_app', 'clinician']) pr,
       unnest(ARRAY['healthhub.register_result(text, text, text, text, timestamptz, text, text, text, healthhub.emr_ref)',
                    'healthhub.recognizable_results(bigint, text, timestamptz, bigint)',
                    'healthhub.record_recognition(bigint, text, text, bigint, text, text, bigint, text)']) f
UNION ALL
SELECT pr, 'table', 'healthhub.recognition_report', 'SELECT'
  FROM unnest(ARRAY['hub_admin', 'statistician', 'auditor']) pr
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE, DELETE'
  FROM unnest(ARRAY['healthhub.recognition_items', 'healthhub.lab_certifications', 'healthhub.retest_reasons']) t;
-- healthhub.drug_code (docs/prescriptions.md): the 23-character national
-- medical insurance drug code, validated and stored in 16 bytes whose order
-- is the order of the text; its parts by drug_code_parts().

CREATE TYPE healthhub.drug_code;

CREATE FUNCTION healthhub.drug_code_in(cstring) RETURNS healthhub.drug_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_out(healthhub.drug_code) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_recv(internal) RETURNS healthhub.drug_code
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_send(healthhub.drug_code) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.drug_code (
    INPUT = healthhub.drug_code_in,
    OUTPUT = healthhub.drug_code_out,
    RECEIVE = healthhub.drug_code_recv,
    SEND = healthhub.drug_code_send,
    INTERNALLENGTH = 16,
    ALIGNMENT = char,
    STORAGE = plain
);
COMMENT ON TYPE healthhub.drug_code IS
    'National medical insurance drug code: category, classification, generic name, dosage form, specification, packaging, manufacturer';

CREATE FUNCTION healthhub.drug_code_eq(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_ne(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_lt(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_le(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_gt(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_ge(healthhub.drug_code, healthhub.drug_code) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_cmp(healthhub.drug_code, healthhub.drug_code) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.drug_code_hash(healthhub.drug_code) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.drug_code_hash_extended(healthhub.drug_code, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: drug_code_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.drug_code) WITH INOUT;
CREATE CAST (healthhub.drug_code AS text) WITH INOUT;

CREATE FUNCTION healthhub.drug_code_parts(code healthhub.drug_code, OUT category text, OUT classification text,
                                          OUT generic_name text, OUT dosage_form text, OUT specification text,
                                          OUT packaging text, OUT manufacturer text)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_parts(healthhub.drug_code) IS
    'The seven parts of a drug code, as written in it';
CREATE FUNCTION healthhub.drug_code_generic(healthhub.drug_code) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_generic(healthhub.drug_code) IS
    'The first 10 characters (category, classification, generic name): one generic drug in any form or package';
CREATE FUNCTION healthhub.drug_code_class(healthhub.drug_code) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_class(healthhub.drug_code) IS
    'The first 6 characters (category and classification): the drug''s therapeutic class';
CREATE FUNCTION healthhub.drug_code_problem(text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.drug_code_problem(text) IS
    'Why a text is not a drug code (NULL when it is one); never raises';
-- Comparison operators and the default btree and hash operator classes of
-- healthhub.drug_code.  Template: the Makefile writes <area>/drug_code_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (drug_code_eq ... drug_code_hash_extended, drug_code_sortsupport) are declared in
-- the type's own file, <area>/drug_code.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.drug_code, RIGHTARG = healthhub.drug_code,
    FUNCTION = healthhub.drug_code_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.drug_code_ops
    DEFAULT FOR TYPE healthhub.drug_code USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.drug_code_cmp(healthhub.drug_code, healthhub.drug_code),
        FUNCTION 2 healthhub.drug_code_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.drug_code_hash_ops
    DEFAULT FOR TYPE healthhub.drug_code USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.drug_code_hash(healthhub.drug_code),
        FUNCTION 2 healthhub.drug_code_hash_extended(healthhub.drug_code, bigint);
-- healthhub.prescription (docs/prescriptions.md): the content of an
-- electronic prescription, stored in a compact canonical binary form; its
-- text form is JSON with the national circulation field names.  The
-- structural rules are checked on input (in C); the rules that need data
-- are policy rows (src/rx/policy.sql).

CREATE TYPE healthhub.prescription;

CREATE FUNCTION healthhub.prescription_in(cstring) RETURNS healthhub.prescription
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_out(healthhub.prescription) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_recv(internal) RETURNS healthhub.prescription
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_send(healthhub.prescription) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE healthhub.prescription (
    INPUT = healthhub.prescription_in,
    OUTPUT = healthhub.prescription_out,
    RECEIVE = healthhub.prescription_recv,
    SEND = healthhub.prescription_send,
    INTERNALLENGTH = VARIABLE,
    STORAGE = extended
);
COMMENT ON TYPE healthhub.prescription IS
    'An electronic prescription''s content: header, diagnoses and 1 to 5 drug lines (JSON text, national field names)';

CREATE FUNCTION healthhub.prescription_eq(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_ne(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_lt(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_le(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_gt(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_ge(healthhub.prescription, healthhub.prescription) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_cmp(healthhub.prescription, healthhub.prescription) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION healthhub.prescription_hash(healthhub.prescription) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION healthhub.prescription_hash_extended(healthhub.prescription, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- Operators and operator classes: prescription_ops.sql, generated from
-- src/core/comparison_ops.sql.in.

CREATE CAST (text AS healthhub.prescription) WITH INOUT;
CREATE CAST (healthhub.prescription AS text) WITH INOUT;
CREATE CAST (jsonb AS healthhub.prescription) WITH INOUT;
CREATE CAST (healthhub.prescription AS jsonb) WITH INOUT;

CREATE FUNCTION healthhub.prescription_rxno(healthhub.prescription) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.prescription_rxno(healthhub.prescription) IS
    'The hospital''s prescription number (hosp_rxno)';
CREATE FUNCTION healthhub.prescription_header(p healthhub.prescription, OUT rxno text, OUT original_rxno text,
                                              OUT kind text, OUT online boolean, OUT first_visit boolean,
                                              OUT issued_at timestamptz, OUT valid_days integer,
                                              OUT dispenses integer, OUT interval_days integer,
                                              OUT days_supply integer, OUT diagnoses text[])
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.prescription_header(healthhub.prescription) IS
    'The header: number, original (renewals), kind, online, first visit, time of issue, validity, dispenses allowed, their interval, the longest days'' supply, diagnoses';
CREATE FUNCTION healthhub.prescription_lines(p healthhub.prescription)
    RETURNS TABLE (line_no integer, drug healthhub.drug_code, dose numeric, dose_unit text, frequency text,
                   times integer, every_days integer, days integer, total numeric, hospital_approved boolean,
                   diagnosis text)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 5;
COMMENT ON FUNCTION healthhub.prescription_lines(healthhub.prescription) IS
    'The drug lines in order: drug code, single dose and unit, frequency (times per every_days days), days, total, hospital approval, diagnosis';
CREATE FUNCTION healthhub.prescription_problem(text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION healthhub.prescription_problem(text) IS
    'Why a text is not a prescription (NULL when it is one); never raises';
-- Comparison operators and the default btree and hash operator classes of
-- healthhub.prescription.  Template: the Makefile writes <area>/prescription_ops.sql
-- from this file for each of healthhub's types (the identifier types,
-- health_code), so they cannot drift apart.  The support functions
-- (prescription_eq ... prescription_hash_extended, prescription_sortsupport) are declared in
-- the type's own file, <area>/prescription.sql.

CREATE OPERATOR healthhub.= (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_eq, COMMUTATOR = OPERATOR(healthhub.=),
    NEGATOR = OPERATOR(healthhub.<>), RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR healthhub.<> (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_ne, COMMUTATOR = OPERATOR(healthhub.<>),
    NEGATOR = OPERATOR(healthhub.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR healthhub.< (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_lt, COMMUTATOR = OPERATOR(healthhub.>),
    NEGATOR = OPERATOR(healthhub.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR healthhub.<= (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_le, COMMUTATOR = OPERATOR(healthhub.>=),
    NEGATOR = OPERATOR(healthhub.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR healthhub.> (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_gt, COMMUTATOR = OPERATOR(healthhub.<),
    NEGATOR = OPERATOR(healthhub.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR healthhub.>= (
    LEFTARG = healthhub.prescription, RIGHTARG = healthhub.prescription,
    FUNCTION = healthhub.prescription_ge, COMMUTATOR = OPERATOR(healthhub.<=),
    NEGATOR = OPERATOR(healthhub.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS healthhub.prescription_ops
    DEFAULT FOR TYPE healthhub.prescription USING btree AS
        OPERATOR 1 healthhub.<,
        OPERATOR 2 healthhub.<=,
        OPERATOR 3 healthhub.=,
        OPERATOR 4 healthhub.>=,
        OPERATOR 5 healthhub.>,
        FUNCTION 1 healthhub.prescription_cmp(healthhub.prescription, healthhub.prescription),
        FUNCTION 2 healthhub.prescription_sortsupport(internal),
        FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS healthhub.prescription_hash_ops
    DEFAULT FOR TYPE healthhub.prescription USING hash AS
        OPERATOR 1 healthhub.=,
        FUNCTION 1 healthhub.prescription_hash(healthhub.prescription),
        FUNCTION 2 healthhub.prescription_hash_extended(healthhub.prescription, bigint);
-- The drug catalogue (docs/prescriptions.md, "The catalogue"): one row per
-- national drug code, with what the rules need (the controlled class, the
-- antimicrobial grade, special storage) and the price cap.  The insurance
-- authority's file is loaded through the loading framework like the
-- registry's; a catalogue is shared by every hub of a region (reference
-- table on Citus).

CREATE TABLE healthhub.drugs (
    drug_code        healthhub.drug_code PRIMARY KEY,
    generic_name     text NOT NULL CHECK (btrim(generic_name) <> '' AND length(generic_name) <= 200),
    national_class   text CHECK (length(national_class) <= 40),       -- ATC or the national class
    controlled_class text CHECK (controlled_class IN ('narcotic', 'psychotropic_1', 'psychotropic_2', 'toxic',
                                                      'radioactive', 'precursor')),
    antimicrobial    text CHECK (antimicrobial IN ('unrestricted', 'restricted', 'special')),
    dosage_form      text NOT NULL CHECK (btrim(dosage_form) <> '' AND length(dosage_form) <= 100),
    strength         text CHECK (length(strength) <= 100),
    controlled_release boolean NOT NULL DEFAULT false,
    special_storage  boolean NOT NULL DEFAULT false,                   -- cold chain and the like
    price_cap        numeric(12, 2) CHECK (price_cap >= 0),
    source           text NOT NULL,
    load_id          bigint REFERENCES healthhub.loads
);
COMMENT ON TABLE healthhub.drugs IS
    'The drug catalogue: generic name, class, controlled class, antimicrobial grade, form, strength, price cap';
SELECT pg_catalog.pg_extension_config_dump('healthhub.drugs', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.drugs
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('drug', 'drug_code', 'drug catalogue');
GRANT SELECT ON healthhub.drugs TO PUBLIC;

-- Designated retail pharmacies (医保定点), over periods: where a prescription
-- circulated to "any designated pharmacy" may be dispensed.
CREATE TABLE healthhub.designated_pharmacies (
    designation_key bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    institution_key bigint NOT NULL REFERENCES healthhub.institutions,
    period          tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
    evidence        text NOT NULL CHECK (btrim(evidence) <> ''),
    CONSTRAINT designated_pharmacies_no_overlap EXCLUDE USING gist
        (int8range(institution_key, institution_key, '[]') WITH =, period WITH &&)
);
COMMENT ON TABLE healthhub.designated_pharmacies IS
    'Retail pharmacies designated by the insurance fund, with the period of the designation';
SELECT pg_catalog.pg_extension_config_dump('healthhub.designated_pharmacies', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.designated_pharmacies
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('designated_pharmacy', 'designation_key', 'drug catalogue');
GRANT SELECT ON healthhub.designated_pharmacies TO PUBLIC;

CREATE TABLE healthhub.stage_drugs (
    line_no            bigint GENERATED BY DEFAULT AS IDENTITY,
    drug_code          text,
    generic_name       text,
    national_class     text,
    controlled_class   text,
    antimicrobial      text,
    dosage_form        text,
    strength           text,
    controlled_release text,
    special_storage    text,
    price_cap          text
);
COMMENT ON TABLE healthhub.stage_drugs IS 'Staging for healthhub.load_drugs(): COPY the drug catalogue file here';
ALTER TABLE healthhub.stage_drugs REPLICA IDENTITY FULL;
INSERT INTO healthhub.audit_exemptions VALUES
    ('healthhub.stage_drugs', 'staging', 'drugs.load.delta of the load that reads it');

-- Load a catalogue file (a delta: its rows are added or replace the rows of
-- the same codes).  hub_admin only.
CREATE FUNCTION healthhub.load_drugs(source text, file_digest text)
    RETURNS TABLE (load_id bigint, staged integer, loaded integer, rejected integer, already_loaded boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sd constant regclass := 'healthhub.stage_drugs';
    lid bigint;
    done boolean;
    result jsonb;
BEGIN
    PERFORM healthhub.require_profile(ARRAY[]::text[], 'load the drug catalogue');
    PERFORM healthhub.require_arguments('healthhub.load_drugs', ARRAY['source', 'file_digest'],
                                        ARRAY[source IS NULL, file_digest IS NULL]);
    LOCK TABLE healthhub.stage_drugs IN SHARE ROW EXCLUSIVE MODE;
    SELECT b.load_id, b.already_loaded INTO lid, done FROM healthhub.begin_load('drugs', source, file_digest, 'delta') b;
    IF done THEN
        TRUNCATE healthhub.stage_drugs RESTART IDENTITY;
        RETURN QUERY SELECT lid, (l.outcome->'drugs'->>'staged')::int, (l.outcome->'drugs'->>'loaded')::int,
                            (l.outcome->'drugs'->>'rejected')::int, true
                       FROM healthhub.loads l WHERE l.load_id = lid;
        RETURN;
    END IF;
    PERFORM healthhub.begin_load_writes(lid);

    PERFORM healthhub.load_require(lid, 'drugs', sd, ARRAY['drug_code', 'generic_name', 'dosage_form']);
    INSERT INTO healthhub.load_errors (load_id, entity, line_no, column_name, value, reason)
    SELECT lid, 'drugs', s.line_no, 'drug_code', s.drug_code, rtrim(lower(left(p.problem, 1)) || substr(p.problem, 2), '.')
      FROM healthhub.stage_drugs s
     CROSS JOIN LATERAL (SELECT healthhub.drug_code_problem(s.drug_code) AS problem) p
     WHERE nullif(btrim(s.drug_code), '') IS NOT NULL AND p.problem IS NOT NULL;
    PERFORM healthhub.load_check_duplicates(lid, 'drugs', sd, 'drug_code');
    PERFORM healthhub.load_check_in(lid, 'drugs', sd, 'controlled_class',
                                    ARRAY['narcotic', 'psychotropic_1', 'psychotropic_2', 'toxic', 'radioactive', 'precursor'],
                                    false, 'is not narcotic, psychotropic_1, psychotropic_2, toxic, radioactive or precursor');
    PERFORM healthhub.load_check_in(lid, 'drugs', sd, 'antimicrobial', ARRAY['unrestricted', 'restricted', 'special'],
                                    false, 'is not unrestricted, restricted or special');
    PERFORM healthhub.load_check_in(lid, 'drugs', sd, c, ARRAY['true', 'false'], false, 'is not true or false')
       FROM unnest(ARRAY['controlled_release', 'special_storage']) c;
    PERFORM healthhub.load_check_pattern(lid, 'drugs', sd, 'price_cap', '^[0-9]{1,10}([.][0-9]{1,2})?$',
                                         'is not an amount of yuan (up to 10 digits, up to 2 decimals)', false);
    PERFORM healthhub.load_check_pattern(lid, 'drugs', sd, c, '^.{1,' || n || '}$', 'is longer than ' || n || ' characters', false)
       FROM (VALUES ('generic_name', 200), ('national_class', 40), ('dosage_form', 100), ('strength', 100)) x(c, n);

    INSERT INTO healthhub.drugs AS d (drug_code, generic_name, national_class, controlled_class, antimicrobial,
                                      dosage_form, strength, controlled_release, special_storage, price_cap, source,
                                      load_id)
    SELECT btrim(s.drug_code)::healthhub.drug_code, btrim(s.generic_name), nullif(btrim(s.national_class), ''),
           nullif(btrim(s.controlled_class), ''), nullif(btrim(s.antimicrobial), ''), btrim(s.dosage_form),
           nullif(btrim(s.strength), ''), coalesce(nullif(btrim(s.controlled_release), '')::boolean, false),
           coalesce(nullif(btrim(s.special_storage), '')::boolean, false), nullif(btrim(s.price_cap), '')::numeric(12, 2),
           btrim(source), lid
      FROM healthhub.stage_drugs s
     WHERE NOT EXISTS (SELECT FROM healthhub.load_errors x WHERE x.load_id = lid AND x.entity = 'drugs' AND x.line_no = s.line_no)
    ON CONFLICT ON CONSTRAINT drugs_pkey DO UPDATE
       SET generic_name = EXCLUDED.generic_name, national_class = EXCLUDED.national_class,
           controlled_class = EXCLUDED.controlled_class, antimicrobial = EXCLUDED.antimicrobial,
           dosage_form = EXCLUDED.dosage_form, strength = EXCLUDED.strength,
           controlled_release = EXCLUDED.controlled_release, special_storage = EXCLUDED.special_storage,
           price_cap = EXCLUDED.price_cap, source = EXCLUDED.source, load_id = EXCLUDED.load_id
     WHERE (d.generic_name, d.national_class, d.controlled_class, d.antimicrobial, d.dosage_form, d.strength,
            d.controlled_release, d.special_storage, d.price_cap, d.source)
           IS DISTINCT FROM (EXCLUDED.generic_name, EXCLUDED.national_class, EXCLUDED.controlled_class,
                             EXCLUDED.antimicrobial, EXCLUDED.dosage_form, EXCLUDED.strength,
                             EXCLUDED.controlled_release, EXCLUDED.special_storage, EXCLUDED.price_cap, EXCLUDED.source);

    result := healthhub.load_outcome(lid, 'drugs', 1, sd, 0);
    PERFORM healthhub.end_load(lid, result, 'drug catalogue');
    TRUNCATE healthhub.stage_drugs RESTART IDENTITY;
    RETURN QUERY SELECT lid, (result->'drugs'->>'staged')::int, (result->'drugs'->>'loaded')::int,
                        (result->'drugs'->>'rejected')::int, false;
END
$$;
COMMENT ON FUNCTION healthhub.load_drugs(text, text) IS
    'Load the drug catalogue file staged in stage_drugs: every bad row reported, the good rows added or replaced';
REVOKE ALL ON FUNCTION healthhub.load_drugs(text, text) FROM PUBLIC;
-- The prescription rules that need data, as policy rows the region can
-- change (../shared/reference/prescriptions.md).  Shipped rows come with the
-- extension; a changed one becomes 'changed' and survives dump and restore
-- (src/platform/shipped_rows.sql).  Rows marked (unverified) come from
-- domain knowledge, not from a retrieved official text.

-- Per kind of prescription: the longest supply and validity.
CREATE TABLE healthhub.rx_kind_rules (
    kind            text PRIMARY KEY CHECK (kind IN ('ordinary', 'emergency', 'chronic', 'long_term')),
    max_days_supply integer NOT NULL CHECK (max_days_supply BETWEEN 1 AND 366),
    max_valid_days  integer NOT NULL CHECK (max_valid_days BETWEEN 1 AND 366),
    basis           text NOT NULL,
    origin          text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.rx_kind_rules IS 'Per kind of prescription: the longest days'' supply and validity';
SELECT pg_catalog.pg_extension_config_dump('healthhub.rx_kind_rules', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.rx_kind_rules VALUES
    ('ordinary', 7, 3, '《处方管理办法》: at most 7 days; valid on the day of issue, extended by the prescriber to at most 3 days', 'shipped'),
    ('emergency', 3, 3, '《处方管理办法》: emergency prescriptions at most 3 days', 'shipped'),
    ('chronic', 30, 3, 'chronic diseases may be extended with the reason noted; 30 days (unverified)', 'shipped'),
    ('long_term', 84, 84, '长期处方管理规范(试行): generally at most 4 weeks, up to 12 weeks', 'shipped');

-- Controlled classes: their own limits, and the prescribing privilege of
-- the registry (practice_privileges) they need, if any.
CREATE TABLE healthhub.rx_controlled_rules (
    controlled_class text PRIMARY KEY CHECK (controlled_class IN ('narcotic', 'psychotropic_1', 'psychotropic_2',
                                                                  'toxic', 'radioactive', 'precursor')),
    max_days_supply  integer NOT NULL CHECK (max_days_supply BETWEEN 1 AND 366),
    max_days_controlled_release integer CHECK (max_days_controlled_release BETWEEN 1 AND 366),
    privilege        text CHECK (privilege IN ('narcotic', 'psychotropic_1')),
    basis            text NOT NULL,
    origin           text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local'))
);
COMMENT ON TABLE healthhub.rx_controlled_rules IS
    'Per controlled class: the longest supply (and for controlled-release forms), and the privilege it needs';
SELECT pg_catalog.pg_extension_config_dump('healthhub.rx_controlled_rules', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.rx_controlled_rules VALUES
    ('narcotic', 3, 7, 'narcotic', '《处方管理办法》: outpatients, 3 days; controlled-release 7 days (an injection one dose: not modelled)', 'shipped'),
    ('psychotropic_1', 3, 7, 'psychotropic_1', '《处方管理办法》: as narcotics', 'shipped'),
    ('psychotropic_2', 7, NULL, NULL, '《处方管理办法》: at most 7 days', 'shipped'),
    ('toxic', 2, NULL, NULL, 'medical toxic drugs: two days'' maximum dose (unverified)', 'shipped'),
    ('radioactive', 1, NULL, NULL, 'radioactive drugs: one day (unverified)', 'shipped'),
    ('precursor', 7, NULL, NULL, 'precursor chemicals: 7 days (unverified)', 'shipped');

-- The other rules: online prescribing and long-term prescriptions.
CREATE TABLE healthhub.rx_rules (
    rule        text PRIMARY KEY CHECK (rule IN ('online_first_visit_allowed', 'online_controlled_allowed',
                                                 'online_guardian_under_years', 'online_diagnosis_within_days',
                                                 'long_term_assessment_above_days', 'long_term_in_person_first',
                                                 'long_term_antimicrobial_exceptions')),
    value       text NOT NULL,
    basis       text NOT NULL,
    origin      text NOT NULL DEFAULT 'local' CHECK (origin IN ('shipped', 'changed', 'local')),
    CONSTRAINT rx_rules_value CHECK (CASE WHEN rule IN ('online_first_visit_allowed', 'online_controlled_allowed',
                                                        'long_term_in_person_first')
                                          THEN value IN ('true', 'false')
                                          WHEN rule = 'long_term_antimicrobial_exceptions'
                                          THEN value ~ '^([A-Z][0-9]{2}( [A-Z][0-9]{2})*)?$'
                                          ELSE value ~ '^[0-9]{1,4}$' END)
);
COMMENT ON TABLE healthhub.rx_rules IS 'Rules of online and long-term prescribing, as values the region can change';
SELECT pg_catalog.pg_extension_config_dump('healthhub.rx_rules', 'WHERE origin <> ''shipped''');
INSERT INTO healthhub.rx_rules VALUES
    ('online_first_visit_allowed', 'false', '互联网诊疗管理办法(试行): no internet diagnosis or prescription for a first visit', 'shipped'),
    ('online_controlled_allowed', 'false', '互联网诊疗监管细则(试行): narcotic, psychotropic and other specially controlled drugs are never prescribed online', 'shipped'),
    ('online_guardian_under_years', '6', '互联网诊疗监管细则(试行): a child 0-6 is seen online with a guardian', 'shipped'),
    ('online_diagnosis_within_days', '365', 'how long ago the in-person diagnosis of the condition may be (unverified)', 'shipped'),
    ('long_term_assessment_above_days', '28', '长期处方管理规范(试行): above 4 weeks the physician assesses and records it', 'shipped'),
    ('long_term_in_person_first', 'true', 'the first long-term prescription follows an in-person visit (unverified)', 'shipped'),
    ('long_term_antimicrobial_exceptions', 'A15 A16 A17 A18 A19',
     '长期处方管理规范(试行): no antimicrobials, tuberculosis excepted (chronic infections: add their categories)', 'shipped');

GRANT SELECT ON healthhub.rx_kind_rules, healthhub.rx_controlled_rules, healthhub.rx_rules TO PUBLIC;
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.rx_kind_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('kind');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.rx_controlled_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('controlled_class');
CREATE TRIGGER shipped_row_changed BEFORE INSERT OR UPDATE OR DELETE ON healthhub.rx_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.shipped_row_changed('rule');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.rx_kind_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('rx_kind_rule', 'kind', 'prescription policy');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.rx_controlled_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('rx_controlled_rule', 'controlled_class', 'prescription policy');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.rx_rules
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('rx_rule', 'rule', 'prescription policy');

-- A rule's value.
CREATE FUNCTION healthhub.rx_rule(name text) RETURNS text
    LANGUAGE sql STABLE STRICT
    RETURN (SELECT r.value FROM healthhub.rx_rules r WHERE r.rule = name);
REVOKE ALL ON FUNCTION healthhub.rx_rule(text) FROM PUBLIC;
-- Prescriptions, their lifecycle events and their dispenses
-- (docs/prescriptions.md).  A prescription belongs to a person of the
-- person index, through the issuing institution's record of the patient
-- (record_id, as shared records); person_key is the person when it was
-- issued (the distribution key on Citus).  No profile reads these tables:
-- the functions of src/rx/reads.sql read them and leave a trail entry.

CREATE TABLE healthhub.prescriptions (
    person_key       bigint NOT NULL,
    prescription_key bigint NOT NULL DEFAULT healthhub.mint_key(),
    record_id        bigint NOT NULL,       -- the issuing institution's record of the patient
    institution_key  bigint NOT NULL REFERENCES healthhub.institutions,
    rxno             text NOT NULL,         -- hosp_rxno of the content
    prescriber_key   bigint NOT NULL REFERENCES healthhub.practitioners,
    encounter_key    bigint,                -- the visit it was written in, if known
    guardian_key     bigint,                -- who acted for a child online
    assessment       text CHECK (length(assessment) <= 1000),  -- long-term above 4 weeks
    content          healthhub.prescription NOT NULL,
    state            text NOT NULL DEFAULT 'issued'
                     CHECK (state IN ('issued', 'signed', 'approved', 'rejected', 'circulated', 'dispensed',
                                      'settled', 'revoked', 'expired')),
    issued_at        timestamptz NOT NULL,
    valid_until      timestamptz NOT NULL,
    signature        text CHECK (length(signature) <= 4000),   -- dr_sign_info
    pharmacist_key   bigint REFERENCES healthhub.practitioners,  -- the reviewing pharmacist
    reviewed_at      timestamptz,
    circulated_at    timestamptz,
    pharmacy_key     bigint REFERENCES healthhub.institutions,   -- circulated to; NULL: any designated pharmacy
    dispenses_done   integer NOT NULL DEFAULT 0 CHECK (dispenses_done >= 0),
    warnings         text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (person_key, prescription_key),
    UNIQUE (institution_key, rxno),
    CONSTRAINT prescriptions_circulated CHECK (circulated_at IS NOT NULL OR pharmacy_key IS NULL)
);
CREATE UNIQUE INDEX prescriptions_by_key ON healthhub.prescriptions (prescription_key);
CREATE INDEX prescriptions_by_record ON healthhub.prescriptions (record_id, issued_at);
CREATE INDEX prescriptions_circulated ON healthhub.prescriptions (pharmacy_key) WHERE state = 'circulated';
COMMENT ON TABLE healthhub.prescriptions IS
    'Electronic prescriptions: content, state (issued ... settled, revoked, expired), prescriber, reviewer, where circulated';
SELECT pg_catalog.pg_extension_config_dump('healthhub.prescriptions', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.prescriptions
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('prescription', 'prescription_key', 'prescriptions');
ALTER TABLE healthhub.prescriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY prescriptions_own ON healthhub.prescriptions FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Every step of every prescription, in order: who did what, where, why.
CREATE TABLE healthhub.prescription_events (
    person_key       bigint NOT NULL,
    prescription_key bigint NOT NULL,
    event_no         integer NOT NULL,
    action           text NOT NULL CHECK (action IN ('issue', 'sign', 'approve', 'reject', 'circulate', 'dispense',
                                                     'settle', 'revoke', 'expire')),
    "at"             timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    institution_key  bigint REFERENCES healthhub.institutions,
    practitioner_key bigint REFERENCES healthhub.practitioners,
    acting_role      name NOT NULL,
    reason           text CHECK (length(reason) <= 500),
    PRIMARY KEY (person_key, prescription_key, event_no),
    FOREIGN KEY (person_key, prescription_key) REFERENCES healthhub.prescriptions
);
COMMENT ON TABLE healthhub.prescription_events IS 'The steps of each prescription: action, time, institution, practitioner, role, reason';
SELECT pg_catalog.pg_extension_config_dump('healthhub.prescription_events', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.prescription_events
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('prescription_event', 'prescription_key', 'prescriptions');
ALTER TABLE healthhub.prescription_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY prescription_events_own ON healthhub.prescription_events FOR SELECT
    USING (healthhub.row_allowed('own', institution_key));

-- Dispenses: (prescription, dispense number) is unique, so no prescription
-- is ever dispensed more often than it allows, whatever races.
CREATE TABLE healthhub.dispenses (
    person_key       bigint NOT NULL,
    dispense_key     bigint NOT NULL DEFAULT healthhub.mint_key(),
    prescription_key bigint NOT NULL,
    dispense_no      integer NOT NULL CHECK (dispense_no >= 1),
    pharmacy_key     bigint NOT NULL REFERENCES healthhub.institutions,
    pharmacist_key   bigint NOT NULL REFERENCES healthhub.practitioners,
    dispensed_at     timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    settled_at       timestamptz,
    settlement_ref   text CHECK (length(settlement_ref) <= 100),
    PRIMARY KEY (person_key, dispense_key),
    UNIQUE (prescription_key, dispense_no),
    FOREIGN KEY (person_key, prescription_key) REFERENCES healthhub.prescriptions,
    CONSTRAINT dispenses_settlement CHECK ((settled_at IS NULL) = (settlement_ref IS NULL))
);
CREATE UNIQUE INDEX dispenses_by_key ON healthhub.dispenses (dispense_key);
COMMENT ON TABLE healthhub.dispenses IS 'Each dispense of a prescription: number, pharmacy, pharmacist, time, settlement';
SELECT pg_catalog.pg_extension_config_dump('healthhub.dispenses', '');
CREATE TRIGGER audit_changes AFTER INSERT OR UPDATE OR DELETE ON healthhub.dispenses
    FOR EACH ROW EXECUTE FUNCTION healthhub.audit_changes('dispense', 'dispense_key', 'prescriptions');
ALTER TABLE healthhub.dispenses ENABLE ROW LEVEL SECURITY;
CREATE POLICY dispenses_own ON healthhub.dispenses FOR SELECT
    USING (healthhub.row_allowed('own', pharmacy_key));
-- The rules of a prescription that need data: the catalogue, the policy
-- rows (src/rx/policy.sql), the prescriber's licence and privileges, the
-- person index (age, earlier in-person diagnoses, other prescriptions).
-- Each refusal is 22023 with a DETAIL naming the line and the rule
-- (42501 when a licence or privilege is missing).

-- A refusal (22023).
CREATE FUNCTION healthhub.rx_refuse(message text, detail text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '%', message USING ERRCODE = 'invalid_parameter_value', DETAIL = detail;
END
$$;

-- The records of a person in the person index (merged persons included):
-- what "the person's, at any institution" reads.
-- (called in FROM, neither STRICT nor with a SET clause: the planner
-- inlines it; a NULL person has no records all the same)
CREATE FUNCTION healthhub.person_record_ids(person bigint) RETURNS SETOF bigint
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT s.record_id FROM healthhub.source_records s WHERE s.person_key = person;
END;

CREATE FUNCTION healthhub.rx_check_rules(content healthhub.prescription, subject bigint, institution bigint,
                                         prescriber bigint, guardian bigint, assessment text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h record := healthhub.prescription_header(content);
    -- (conditions are compared by ICD-10 category: E11.900 and E11.9 are one)
    categories text[] := ARRAY(SELECT DISTINCT left(x, 3) FROM unnest(h.diagnoses) x);
    k healthhub.rx_kind_rules;
    c healthhub.rx_controlled_rules;
    d healthhub.drugs;
    l record;
    born date;
    longest integer;
BEGIN
    SELECT * INTO k FROM healthhub.rx_kind_rules r WHERE r.kind = h.kind;
    IF NOT FOUND THEN
        PERFORM healthhub.rx_refuse(format('no rule for %s prescriptions', h.kind),
                                    'healthhub.rx_kind_rules has no row for this kind.');
    END IF;
    IF h.valid_days > k.max_valid_days THEN
        PERFORM healthhub.rx_refuse('the prescription is valid too long',
            format('valid_days is %s; %s prescriptions are valid at most %s days.', h.valid_days, h.kind, k.max_valid_days));
    END IF;
    FOR l IN SELECT * FROM healthhub.prescription_lines(content) LOOP
        SELECT * INTO d FROM healthhub.drugs x WHERE x.drug_code OPERATOR(healthhub.=) l.drug;
        IF NOT FOUND THEN
            PERFORM healthhub.rx_refuse('a drug is not in the catalogue',
                                        format('Drug %s (%s) is not in healthhub.drugs.', l.line_no, l.drug));
        END IF;
        IF l.days > k.max_days_supply THEN
            PERFORM healthhub.rx_refuse('a drug is supplied for too many days',
                format('Drug %s (%s): %s days; %s prescriptions supply at most %s days.', l.line_no, d.generic_name,
                       l.days, h.kind, k.max_days_supply));
        END IF;
        IF d.controlled_class IS NOT NULL THEN
            IF h.online AND healthhub.rx_rule('online_controlled_allowed') = 'false' THEN
                PERFORM healthhub.rx_refuse('a controlled drug is never prescribed online',
                    format('Drug %s (%s) is %s.', l.line_no, d.generic_name, d.controlled_class));
            END IF;
            IF h.kind = 'long_term' THEN
                PERFORM healthhub.rx_refuse('a long-term prescription has no controlled drugs',
                    format('Drug %s (%s) is %s.', l.line_no, d.generic_name, d.controlled_class));
            END IF;
            SELECT * INTO c FROM healthhub.rx_controlled_rules r WHERE r.controlled_class = d.controlled_class;
            longest := CASE WHEN d.controlled_release THEN coalesce(c.max_days_controlled_release, c.max_days_supply)
                            ELSE c.max_days_supply END;
            IF l.days > longest THEN
                PERFORM healthhub.rx_refuse('a controlled drug is supplied for too many days',
                    format('Drug %s (%s, %s%s): %s days; at most %s.', l.line_no, d.generic_name, d.controlled_class,
                           CASE WHEN d.controlled_release THEN ', controlled release' ELSE '' END, l.days, longest));
            END IF;
            IF c.privilege IS NOT NULL THEN
                PERFORM healthhub.assert_may_practise(prescriber, 'physician', institution, c.privilege);
            END IF;
        END IF;
        IF d.antimicrobial IN ('restricted', 'special') THEN
            PERFORM healthhub.assert_may_practise(prescriber, 'physician', institution, 'antimicrobial_' || d.antimicrobial);
        END IF;
        IF h.kind = 'long_term' AND d.special_storage THEN
            PERFORM healthhub.rx_refuse('a long-term prescription has no drugs that need special storage',
                                        format('Drug %s (%s).', l.line_no, d.generic_name));
        END IF;
        IF h.kind = 'long_term' AND d.antimicrobial IS NOT NULL
           AND NOT categories && string_to_array(healthhub.rx_rule('long_term_antimicrobial_exceptions'), ' ') THEN
            PERFORM healthhub.rx_refuse('a long-term prescription has no antimicrobials',
                format('Drug %s (%s); only for the diagnoses %s.', l.line_no, d.generic_name,
                       healthhub.rx_rule('long_term_antimicrobial_exceptions')));
        END IF;
    END LOOP;
    IF h.kind = 'long_term' AND h.days_supply > healthhub.rx_rule('long_term_assessment_above_days')::integer
       AND nullif(btrim(assessment), '') IS NULL THEN
        PERFORM healthhub.rx_refuse('a long-term prescription of more than '
                                    || healthhub.rx_rule('long_term_assessment_above_days') || ' days needs an assessment',
            'The physician''s assessment (and the patient''s signature) is recorded with it: the assessment argument.');
    END IF;
    IF guardian IS NOT NULL AND healthhub.record_person(guardian) = subject THEN
        PERFORM healthhub.rx_refuse('a guardian acts for another person', 'The guardian is the patient.');
    END IF;
    IF h.online THEN
        IF h.first_visit AND healthhub.rx_rule('online_first_visit_allowed') = 'false' THEN
            PERFORM healthhub.rx_refuse('a first visit is never prescribed for online',
                                        'Online prescriptions are for follow-up visits (fstdiag_flag 0).');
        END IF;
        -- the condition was diagnosed in person before (any institution)
        IF NOT EXISTS (
            SELECT FROM healthhub.encounters e JOIN healthhub.institutions i ON i.institution_key = e.institution_key
             WHERE e.record_id IN (SELECT r FROM healthhub.person_record_ids(subject) r)
               AND i.kind <> 'internet_hospital'
               AND e.started_at <= h.issued_at
               AND e.started_at > h.issued_at - make_interval(days => healthhub.rx_rule('online_diagnosis_within_days')::integer)
               AND EXISTS (SELECT FROM unnest(e.diagnoses) x WHERE left(x, 3) = ANY (categories))) THEN
            PERFORM healthhub.rx_refuse('an online follow-up needs an earlier in-person diagnosis of the condition',
                format('No in-person visit of the patient in the %s days before, at any institution, diagnosed %s.',
                       healthhub.rx_rule('online_diagnosis_within_days'), array_to_string(categories, ', ')));
        END IF;
        SELECT p.birth_date INTO born FROM healthhub.persons p WHERE p.person_key = subject;
        IF guardian IS NULL AND born IS NOT NULL
           AND h.issued_at < (born + make_interval(years => healthhub.rx_rule('online_guardian_under_years')::integer))::timestamptz THEN
            PERFORM healthhub.rx_refuse('a young child is prescribed for online only with a guardian',
                format('The patient is under %s; name the guardian (a person of the person index).',
                       healthhub.rx_rule('online_guardian_under_years')));
        END IF;
        IF h.kind = 'long_term' AND healthhub.rx_rule('long_term_in_person_first') = 'true' AND NOT EXISTS (
            SELECT FROM healthhub.prescriptions p
             WHERE p.record_id IN (SELECT r FROM healthhub.person_record_ids(subject) r)
               AND p.state NOT IN ('issued', 'signed', 'rejected', 'revoked')
               AND (healthhub.prescription_header(p.content)).kind = 'long_term'
               AND NOT (healthhub.prescription_header(p.content)).online
               AND EXISTS (SELECT FROM unnest((healthhub.prescription_header(p.content)).diagnoses) x
                            WHERE left(x, 3) = ANY (categories))) THEN
            PERFORM healthhub.rx_refuse('the first long-term prescription of a condition is written in person',
                                        'No earlier in-person long-term prescription of the patient for the condition.');
        END IF;
    END IF;
END
$$;

-- Duplicate therapy: the lines of a prescription whose generic drug (or
-- therapeutic class) the person already takes, by a prescription of any
-- institution whose supply overlaps.  Warnings, in words; the other
-- institution is not named.  (PL/pgSQL: its plan is kept for the session.)
CREATE FUNCTION healthhub.rx_duplicate_therapy(subject bigint, content healthhub.prescription, own bigint,
                                               institution bigint)
    RETURNS text[]
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(DISTINCT format('drug %s (%s): %s %s, %s to %s, %s', mine.line_no, mine.drug,
                                                      CASE WHEN healthhub.drug_code_generic(o.drug) = healthhub.drug_code_generic(mine.drug)
                                                           THEN 'same generic drug as' ELSE 'same class as' END,
                                                      o.drug,
                                                      to_char(p.issued_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),
                                                      to_char((p.issued_at + make_interval(days => o.days)) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),
                                                      CASE WHEN p.institution_key = institution THEN 'here' ELSE 'at another institution' END)), '{}')
              FROM healthhub.prescription_lines(content) mine
              CROSS JOIN healthhub.prescription_header(content) h
              JOIN healthhub.prescriptions p
                ON p.record_id IN (SELECT r FROM healthhub.person_record_ids(subject) r)
               AND p.prescription_key IS DISTINCT FROM own
               AND p.state NOT IN ('rejected', 'revoked', 'expired')
              CROSS JOIN LATERAL healthhub.prescription_lines(p.content) o
             WHERE healthhub.drug_code_class(o.drug) = healthhub.drug_code_class(mine.drug)
               AND tstzrange(p.issued_at, p.issued_at + make_interval(days => o.days))
                   && tstzrange(h.issued_at, h.issued_at + make_interval(days => mine.days)));
END
$$;

REVOKE ALL ON FUNCTION healthhub.rx_refuse(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.person_record_ids(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_check_rules(healthhub.prescription, bigint, bigint, bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_duplicate_therapy(bigint, healthhub.prescription, bigint, bigint) FROM PUBLIC;
-- The lifecycle of a prescription (docs/prescriptions.md, "Lifecycle"):
--
--   issue -> sign -> review (approve | reject) -> circulate -> dispense
--   (once, or up to its dispenses with the minimum interval) -> settle;
--   revoke before it is used up; expire when its validity ends.
--
-- Each step locks the prescription's row, so steps on one prescription run
-- one after the other: the second of two dispenses at once waits, then
-- finds the first's result (specs/rx_races.spec).  A step out of order is
-- 55000; a step by the wrong profile 42501; by an institution that may not
-- see the prescription, 22023 "no such prescription" (the same as for a
-- key that does not exist: nothing about other institutions'
-- prescriptions is revealed).  Every step is an event
-- (prescription_events) and, through the tables' triggers, in the trail.

-- The institution the acting role works for, or 42501.
CREATE FUNCTION healthhub.rx_acting_institution(profiles text[], what text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.acting_role_institution();
BEGIN
    PERFORM healthhub.require_profile(profiles, what);
    IF institution IS NULL AND NOT healthhub.acting_role_is_admin() AND NOT 'insurer' = ANY (profiles) THEN
        RAISE EXCEPTION 'role % acts for no institution', healthhub.acting_role()
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'Prescriptions are handled by an institution''s roles.';
    END IF;
    RETURN institution;
END
$$;

-- Is the institution a designated pharmacy now?
CREATE FUNCTION healthhub.is_designated_pharmacy(institution bigint) RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (SELECT FROM healthhub.designated_pharmacies d
                    WHERE d.institution_key = institution AND d.period @> pg_catalog.clock_timestamp());
END;

-- May the institution act on the prescription from this side?  'issuer':
-- the issuing institution; 'pharmacy': the pharmacy it was circulated to,
-- or (circulated to any) a designated pharmacy; 'any': an insurer or the
-- hub (institution NULL).
CREATE FUNCTION healthhub.rx_side_allows(p healthhub.prescriptions, institution bigint, side text) RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT CASE side
               WHEN 'issuer' THEN p.institution_key = institution
               WHEN 'pharmacy' THEN p.circulated_at IS NOT NULL
                                    AND (p.pharmacy_key = institution
                                         OR (p.pharmacy_key IS NULL AND healthhub.is_designated_pharmacy(institution)))
               WHEN 'any' THEN institution IS NULL
           END IS TRUE;
END;

-- The prescription, locked (FOR UPDATE), if the institution may act on it
-- from this side; else 22023.
CREATE FUNCTION healthhub.rx_locked(prescription bigint, institution bigint, side text)
    RETURNS healthhub.prescriptions
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.prescriptions;
BEGIN
    SELECT * INTO p FROM healthhub.prescriptions x WHERE x.prescription_key = prescription FOR UPDATE;
    IF NOT FOUND OR NOT healthhub.rx_side_allows(p, institution, side) THEN
        RAISE EXCEPTION 'no such prescription: %', prescription
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE side WHEN 'issuer' THEN 'No prescription of this key was issued here.'
                                     WHEN 'pharmacy' THEN 'No prescription of this key was circulated to this pharmacy.'
                                     ELSE 'No prescription has this key.' END;
    END IF;
    RETURN p;
END
$$;

-- 55000 unless the prescription is in one of the states.
CREATE FUNCTION healthhub.rx_require_state(p healthhub.prescriptions, states text[], step text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT p.state = ANY (states) THEN
        RAISE EXCEPTION 'prescription % is %: it cannot be %', p.prescription_key, p.state, step
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Only a prescription that is %s can be %s.', array_to_string(states, ' or '), step);
    END IF;
END
$$;

-- Record a step (the row is locked: event numbers do not race).
CREATE FUNCTION healthhub.rx_event(p healthhub.prescriptions, action text, institution bigint, practitioner bigint,
                                   reason text DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO healthhub.prescription_events (person_key, prescription_key, event_no, action, institution_key,
                                               practitioner_key, acting_role, reason)
    SELECT p.person_key, p.prescription_key, coalesce(max(e.event_no), 0) + 1, rx_event.action, rx_event.institution,
           rx_event.practitioner, healthhub.acting_role(), rx_event.reason
      FROM healthhub.prescription_events e
     WHERE e.person_key = p.person_key AND e.prescription_key = p.prescription_key;
END
$$;

-- A reason: 1 to 500 characters, or 22023.
CREATE FUNCTION healthhub.rx_require_reason(reason text, step text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF reason IS NULL OR btrim(reason) = '' OR length(reason) > 500 THEN
        RAISE EXCEPTION '% needs a reason', step
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The reason is 1 to 500 characters.';
    END IF;
END
$$;

-- Issue: the institution's record of the patient (source, local_id, as
-- link_record named it), the content, the prescriber (licensed here now,
-- with the privileges its drugs need), the visit, a guardian (a child
-- online), the assessment (long-term above 4 weeks).  Returns the key and
-- the duplicate-therapy warnings.
CREATE FUNCTION healthhub.issue_prescription(source text, local_id text, content healthhub.prescription,
                                             prescriber bigint, encounter bigint DEFAULT NULL,
                                             guardian bigint DEFAULT NULL, assessment text DEFAULT NULL)
    RETURNS TABLE (prescription_key bigint, warnings text[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['clinician', 'institution_app'], 'issue prescriptions');
    h record;
    subject bigint;
    record bigint;
    p healthhub.prescriptions;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.issue_prescription',
                                        ARRAY['source', 'local_id', 'content', 'prescriber'],
                                        ARRAY[source IS NULL, local_id IS NULL, content IS NULL, prescriber IS NULL]);
    h := healthhub.prescription_header(content);
    SELECT healthhub.current_person(s.person_key), s.record_id INTO subject, record FROM healthhub.source_records s
     WHERE s.source = issue_prescription.source AND s.local_id = issue_prescription.local_id
       AND s.institution_key = institution;
    IF subject IS NULL THEN
        RAISE EXCEPTION 'no record % of source % linked to a person at this institution', local_id, source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A prescription is issued for the institution''s own record of the patient, linked by link_record.';
    END IF;
    IF encounter IS NOT NULL AND NOT EXISTS (
        SELECT FROM healthhub.encounters e
         WHERE e.encounter_key = encounter AND e.institution_key = institution AND e.record_id = record) THEN
        PERFORM healthhub.rx_refuse('no such visit of the patient here', format('Encounter %s.', encounter));
    END IF;
    IF h.issued_at > clock_timestamp() + interval '5 minutes'
       OR h.issued_at + make_interval(days => h.valid_days) < clock_timestamp() THEN
        PERFORM healthhub.rx_refuse('the prescription is not valid now',
            format('prsc_time %s with valid_days %s: a prescription is issued when it is written, and is valid now.',
                   to_char(h.issued_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), h.valid_days));
    END IF;
    PERFORM healthhub.assert_may_practise(prescriber, 'physician', institution);
    PERFORM healthhub.rx_check_rules(content, subject, institution, prescriber, guardian, assessment);
    INSERT INTO healthhub.prescriptions AS x (person_key, record_id, institution_key, rxno, prescriber_key,
                                              encounter_key, guardian_key, assessment, content, issued_at,
                                              valid_until, warnings)
    VALUES (subject, record, institution, h.rxno, prescriber, encounter, healthhub.current_person(guardian),
            nullif(btrim(assessment), ''), content, h.issued_at, h.issued_at + make_interval(days => h.valid_days),
            healthhub.rx_duplicate_therapy(subject, content, NULL, institution))
    RETURNING x.* INTO p;
    PERFORM healthhub.rx_event(p, 'issue', institution, prescriber);
    RETURN QUERY SELECT p.prescription_key, p.warnings;
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'prescription number % was issued here before', h.rxno
        USING ERRCODE = 'unique_violation', DETAIL = 'hosp_rxno is unique per institution.';
END
$$;

-- Sign: the prescriber's electronic signature (dr_sign_info), by the
-- prescriber, still licensed here.
CREATE FUNCTION healthhub.sign_prescription(prescription bigint, signature text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['clinician', 'institution_app'], 'sign prescriptions');
    p healthhub.prescriptions := healthhub.rx_locked(prescription, institution, 'issuer');
BEGIN
    PERFORM healthhub.rx_require_state(p, ARRAY['issued'], 'signed');
    IF signature IS NULL OR btrim(signature) = '' OR length(signature) > 4000 THEN
        PERFORM healthhub.rx_refuse('a signature is 1 to 4000 characters', 'dr_sign_info, as the signing service returned it.');
    END IF;
    PERFORM healthhub.assert_may_practise(p.prescriber_key, 'physician', institution);
    UPDATE healthhub.prescriptions x SET state = 'signed', signature = sign_prescription.signature
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key;
    PERFORM healthhub.rx_event(p, 'sign', institution, p.prescriber_key);
END
$$;

-- Review by a pharmacist of the issuing institution: approve, or reject
-- with a reason.  Returns the duplicate-therapy warnings as of now.
CREATE FUNCTION healthhub.review_prescription(prescription bigint, pharmacist bigint, approve boolean,
                                              reason text DEFAULT NULL)
    RETURNS text[]
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['pharmacist', 'institution_app'], 'review prescriptions');
    p healthhub.prescriptions := healthhub.rx_locked(prescription, institution, 'issuer');
BEGIN
    PERFORM healthhub.require_arguments('healthhub.review_prescription', ARRAY['pharmacist', 'approve'],
                                        ARRAY[pharmacist IS NULL, approve IS NULL]);
    PERFORM healthhub.rx_require_state(p, ARRAY['signed'], CASE WHEN approve THEN 'approved' ELSE 'rejected' END);
    IF NOT approve THEN
        PERFORM healthhub.rx_require_reason(reason, 'a rejection');
    END IF;
    PERFORM healthhub.assert_may_practise(pharmacist, 'pharmacist', institution);
    UPDATE healthhub.prescriptions x
       SET state = CASE WHEN approve THEN 'approved' ELSE 'rejected' END, pharmacist_key = pharmacist,
           reviewed_at = clock_timestamp(),
           warnings = healthhub.rx_duplicate_therapy(p.person_key, p.content, p.prescription_key, institution)
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key
    RETURNING x.* INTO p;
    PERFORM healthhub.rx_event(p, CASE WHEN approve THEN 'approve' ELSE 'reject' END, institution, pharmacist, reason);
    RETURN p.warnings;
END
$$;

-- Circulate an approved prescription: to a named pharmacy (a designated
-- pharmacy, or the issuing institution's own), or to any designated one.
CREATE FUNCTION healthhub.circulate_prescription(prescription bigint, pharmacy bigint DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['clinician', 'pharmacist', 'institution_app'],
                                                          'circulate prescriptions');
    p healthhub.prescriptions := healthhub.rx_locked(prescription, institution, 'issuer');
BEGIN
    PERFORM healthhub.rx_require_state(p, ARRAY['approved'], 'circulated');
    IF pharmacy IS NOT NULL AND pharmacy <> institution AND NOT healthhub.is_designated_pharmacy(pharmacy) THEN
        PERFORM healthhub.rx_refuse('not a designated pharmacy',
            format('Institution %s is not designated now; circulate to a designated pharmacy, to this institution, or to any (NULL).',
                   pharmacy));
    END IF;
    UPDATE healthhub.prescriptions x SET state = 'circulated', circulated_at = clock_timestamp(),
                                         pharmacy_key = circulate_prescription.pharmacy
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key;
    PERFORM healthhub.rx_event(p, 'circulate', institution, NULL,
                               CASE WHEN pharmacy IS NULL THEN 'any designated pharmacy' ELSE 'pharmacy ' || pharmacy END);
END
$$;

-- Dispense at a pharmacy: within the validity, at most as often as the
-- prescription allows, each repeat after the minimum interval; the
-- pharmacist licensed at the pharmacy.  Returns the dispense's key.
CREATE FUNCTION healthhub.dispense_prescription(prescription bigint, pharmacist bigint) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['pharmacist', 'institution_app'], 'dispense prescriptions');
    p healthhub.prescriptions := healthhub.rx_locked(prescription, institution, 'pharmacy');
    h record := healthhub.prescription_header(p.content);
    last_at timestamptz;
    dispense bigint;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.dispense_prescription', ARRAY['pharmacist'], ARRAY[pharmacist IS NULL]);
    PERFORM healthhub.rx_require_state(p, ARRAY['circulated'], 'dispensed');
    IF clock_timestamp() >= p.valid_until THEN
        RAISE EXCEPTION 'prescription % expired at %', p.prescription_key, p.valid_until
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = 'A prescription is dispensed within its validity.';
    END IF;
    SELECT max(d.dispensed_at) INTO last_at FROM healthhub.dispenses d
     WHERE d.person_key = p.person_key AND d.prescription_key = p.prescription_key;
    IF last_at IS NOT NULL AND clock_timestamp() < last_at + make_interval(days => h.interval_days) THEN
        RAISE EXCEPTION 'prescription % was dispensed at %: the next dispense is due at %', p.prescription_key, last_at,
                        last_at + make_interval(days => h.interval_days)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its dispenses are at least %s days apart (min_inrv_days).', h.interval_days);
    END IF;
    PERFORM healthhub.assert_may_practise(pharmacist, 'pharmacist', institution);
    INSERT INTO healthhub.dispenses (person_key, prescription_key, dispense_no, pharmacy_key, pharmacist_key)
    VALUES (p.person_key, p.prescription_key, p.dispenses_done + 1, institution, pharmacist)
    RETURNING dispense_key INTO dispense;
    UPDATE healthhub.prescriptions x
       SET dispenses_done = x.dispenses_done + 1,
           state = CASE WHEN x.dispenses_done + 1 >= h.dispenses THEN 'dispensed' ELSE 'circulated' END
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key;
    PERFORM healthhub.rx_event(p, 'dispense', institution, pharmacist,
                               format('dispense %s of %s', p.dispenses_done + 1, h.dispenses));
    RETURN dispense;
END
$$;

-- Settle a dispense (the settlement's reference, from the insurance
-- fund); a prescription whose dispenses are all done and settled is
-- settled.  The insurer or the hub.
CREATE FUNCTION healthhub.settle_dispense(dispense bigint, settlement_ref text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['insurer'], 'settle dispenses');
    d healthhub.dispenses;
    p healthhub.prescriptions;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.settle_dispense', ARRAY['dispense', 'settlement_ref'],
                                        ARRAY[dispense IS NULL, settlement_ref IS NULL]);
    SELECT * INTO d FROM healthhub.dispenses x WHERE x.dispense_key = dispense;
    IF NOT FOUND THEN
        PERFORM healthhub.rx_refuse('no such dispense: ' || dispense, 'No dispense has this key.');
    END IF;
    p := healthhub.rx_locked(d.prescription_key, NULL, 'any');
    IF d.settled_at IS NOT NULL THEN
        RAISE EXCEPTION 'dispense % was settled at %', dispense, d.settled_at
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = format('Settlement %s.', d.settlement_ref);
    END IF;
    IF btrim(settlement_ref) = '' OR length(settlement_ref) > 100 THEN
        PERFORM healthhub.rx_refuse('a settlement reference is 1 to 100 characters', 'The fund''s settlement id (setl_id).');
    END IF;
    UPDATE healthhub.dispenses x SET settled_at = clock_timestamp(), settlement_ref = settle_dispense.settlement_ref
     WHERE x.person_key = d.person_key AND x.dispense_key = d.dispense_key;
    UPDATE healthhub.prescriptions x SET state = 'settled'
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key AND x.state = 'dispensed'
       AND NOT EXISTS (SELECT FROM healthhub.dispenses y
                        WHERE y.person_key = p.person_key AND y.prescription_key = p.prescription_key
                          AND y.settled_at IS NULL);
    PERFORM healthhub.rx_event(p, 'settle', NULL, NULL, 'dispense ' || d.dispense_no || ': ' || settlement_ref);
END
$$;

-- Revoke, by the issuing institution, with a reason: no further dispense.
CREATE FUNCTION healthhub.revoke_prescription(prescription bigint, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['clinician', 'institution_app'], 'revoke prescriptions');
    p healthhub.prescriptions := healthhub.rx_locked(prescription, institution, 'issuer');
BEGIN
    PERFORM healthhub.rx_require_state(p, ARRAY['issued', 'signed', 'approved', 'circulated'], 'revoked');
    PERFORM healthhub.rx_require_reason(reason, 'a revocation');
    UPDATE healthhub.prescriptions x SET state = 'revoked'
     WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key;
    PERFORM healthhub.rx_event(p, 'revoke', institution, NULL, reason);
END
$$;

-- Expire every approved or circulated prescription past its validity;
-- returns how many.  The hub (a scheduled job).
CREATE FUNCTION healthhub.expire_prescriptions() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p healthhub.prescriptions;
    n integer := 0;
BEGIN
    PERFORM healthhub.require_profile(ARRAY[]::text[], 'expire prescriptions');
    FOR p IN SELECT * FROM healthhub.prescriptions x
              WHERE x.state IN ('issued', 'signed', 'approved', 'circulated') AND x.valid_until <= clock_timestamp()
              FOR UPDATE SKIP LOCKED
    LOOP
        UPDATE healthhub.prescriptions x SET state = 'expired'
         WHERE x.person_key = p.person_key AND x.prescription_key = p.prescription_key;
        PERFORM healthhub.rx_event(p, 'expire', NULL, NULL);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

REVOKE ALL ON FUNCTION healthhub.rx_acting_institution(text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.is_designated_pharmacy(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_side_allows(healthhub.prescriptions, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_locked(bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_require_state(healthhub.prescriptions, text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_event(healthhub.prescriptions, text, bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.rx_require_reason(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.issue_prescription(text, text, healthhub.prescription, bigint, bigint, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.sign_prescription(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.review_prescription(bigint, bigint, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.circulate_prescription(bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.dispense_prescription(bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.settle_dispense(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.revoke_prescription(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.expire_prescriptions() FROM PUBLIC;
-- Reading prescriptions (docs/prescriptions.md, "Who sees what"): the
-- issuing institution its own; a pharmacy those circulated to it (or to
-- any designated pharmacy, while undispensed) and those it dispensed; the
-- insurer those dispensed.  Every read of a prescription is a read.*
-- entry of the trail, committed before the rows return.  FHIR R4: the
-- content as MedicationRequests, a dispense as MedicationDispenses.

-- FHIR's time: UTC, to the second.
CREATE FUNCTION healthhub.fhir_instant(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

-- A duration in days, as FHIR writes one (UCUM).
CREATE FUNCTION healthhub.fhir_days(n integer) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN jsonb_build_object('value', n, 'unit', 'days', 'system', 'http://unitsofmeasure.org', 'code', 'd');

-- The content as a FHIR R4 Bundle (collection) of MedicationRequests, one
-- per drug line (FHIR orders one medication per request), grouped by the
-- prescription number.  subject, requester and performer are FHIR
-- references ('Patient/...', 'Practitioner/...', 'Organization/...');
-- status is MedicationRequest's ('active', 'completed', 'cancelled', ...).
CREATE FUNCTION healthhub.to_fhir(p healthhub.prescription, subject text, status text DEFAULT 'active',
                                  requester text DEFAULT NULL, performer text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object(
        'resourceType', 'Bundle',
        'type', 'collection',
        'identifier', jsonb_build_object('system', 'urn:healthhub:hosp-rxno', 'value', h.rxno),
        'entry', jsonb_agg(jsonb_build_object('resource', jsonb_strip_nulls(jsonb_build_object(
            'resourceType', 'MedicationRequest',
            'identifier', jsonb_build_array(jsonb_build_object('system', 'urn:healthhub:hosp-rxno',
                                                               'value', h.rxno || '/' || l.line_no)),
            'groupIdentifier', jsonb_build_object('system', 'urn:healthhub:hosp-rxno', 'value', h.rxno),
            'status', status,
            'intent', 'order',
            'category', jsonb_build_array(jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                'system', 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', 'code', 'outpatient')))),
            'medicationCodeableConcept', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                'system', 'urn:healthhub:nhsa-drug-code', 'code', l.drug::text))),
            'subject', jsonb_build_object('reference', subject),
            'authoredOn', healthhub.fhir_instant(h.issued_at),
            'requester', CASE WHEN requester IS NOT NULL THEN jsonb_build_object('reference', requester) END,
            'reasonCode', (SELECT jsonb_agg(jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                                'system', 'http://hl7.org/fhir/sid/icd-10', 'code', d))) ORDER BY n)
                             FROM unnest(CASE WHEN l.diagnosis IS NULL THEN h.diagnoses ELSE ARRAY[l.diagnosis] END)
                                  WITH ORDINALITY x(d, n)),
            'courseOfTherapyType', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                'system', 'http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy',
                'code', CASE WHEN h.kind IN ('chronic', 'long_term') THEN 'continuous' ELSE 'acute' END))),
            'dosageInstruction', jsonb_build_array(jsonb_build_object(
                'text', l.dose || ' ' || l.dose_unit || ' ' || l.frequency,
                'timing', jsonb_build_object('code', jsonb_build_object('text', l.frequency),
                                             'repeat', CASE WHEN l.every_days IS NOT NULL
                                                            THEN jsonb_build_object('frequency', l.times, 'period', l.every_days,
                                                                                    'periodUnit', 'd')
                                                            WHEN l.times IS NOT NULL THEN jsonb_build_object('count', 1) END),
                'asNeededBoolean', CASE WHEN l.times IS NULL THEN true END,
                'doseAndRate', jsonb_build_array(jsonb_build_object('doseQuantity',
                    jsonb_build_object('value', l.dose, 'unit', l.dose_unit))))),
            'dispenseRequest', jsonb_build_object(
                'validityPeriod', jsonb_build_object(
                    'start', healthhub.fhir_instant(h.issued_at),
                    'end', healthhub.fhir_instant(h.issued_at + make_interval(days => h.valid_days))),
                'numberOfRepeatsAllowed', h.dispenses - 1,
                'dispenseInterval', CASE WHEN h.dispenses > 1 THEN healthhub.fhir_days(h.interval_days) END,
                'quantity', jsonb_build_object('value', l.total, 'unit', l.dose_unit),
                'expectedSupplyDuration', healthhub.fhir_days(l.days),
                'performer', CASE WHEN performer IS NOT NULL THEN jsonb_build_object('reference', performer) END)
        ))) ORDER BY l.line_no))
      FROM healthhub.prescription_header(p) h
      CROSS JOIN healthhub.prescription_lines(p) l
     GROUP BY h.rxno, h.issued_at;
END;
COMMENT ON FUNCTION healthhub.to_fhir(healthhub.prescription, text, text, text, text) IS
    'A prescription as a FHIR R4 Bundle of MedicationRequests (one per drug line) with their dispenseRequest';
GRANT EXECUTE ON FUNCTION healthhub.to_fhir(healthhub.prescription, text, text, text, text) TO PUBLIC;

-- MedicationRequest.status of a prescription's state.
CREATE FUNCTION healthhub.rx_fhir_status(state text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE state WHEN 'issued' THEN 'draft' WHEN 'signed' THEN 'draft' WHEN 'approved' THEN 'active'
                      WHEN 'circulated' THEN 'active' WHEN 'dispensed' THEN 'completed' WHEN 'settled' THEN 'completed'
                      WHEN 'rejected' THEN 'cancelled' WHEN 'revoked' THEN 'cancelled' WHEN 'expired' THEN 'stopped' END;

-- May the institution (or, NULL, an insurer) read the prescription?
CREATE FUNCTION healthhub.rx_may_read(p healthhub.prescriptions, institution bigint) RETURNS boolean
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT CASE
        WHEN institution IS NULL THEN p.state IN ('dispensed', 'settled') OR p.dispenses_done > 0
        ELSE p.institution_key = institution
             OR EXISTS (SELECT FROM healthhub.dispenses d
                         WHERE d.person_key = p.person_key AND d.prescription_key = p.prescription_key
                           AND d.pharmacy_key = institution)
             OR (p.state = 'circulated' AND healthhub.rx_side_allows(p, institution, 'pharmacy'))
    END;
END;

-- One prescription, for those who may read it: the issuing institution
-- reads everything; others what dispensing and paying need (no warnings,
-- assessment or guardian).  One read.prescriptions entry, 'refused' for
-- a key that may not be read here.
CREATE FUNCTION healthhub.prescription_of(prescription bigint)
    RETURNS TABLE (prescription_key bigint, rxno text, state text, content healthhub.prescription,
                   institution_key bigint, issued_at timestamptz, valid_until timestamptz, pharmacy_key bigint,
                   dispenses_done integer, warnings text[], assessment text, fhir jsonb)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['clinician', 'pharmacist', 'institution_app', 'insurer'],
                                                          'read prescriptions');
    p healthhub.prescriptions;
    own boolean;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.prescription_of', ARRAY['prescription'], ARRAY[prescription IS NULL]);
    SELECT * INTO p FROM healthhub.prescriptions x WHERE x.prescription_key = prescription;
    IF NOT FOUND OR NOT healthhub.rx_may_read(p, institution) THEN
        -- (a refused read is in the trail too: a read entry outlives the error)
        PERFORM healthhub.audit_append('read.prescriptions', 'prescription', prescription::text, p.person_key,
                                       'prescriptions', 'refused');
        RAISE EXCEPTION 'no such prescription: %', prescription
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'No prescription of this key may be read here.';
    END IF;
    own := p.institution_key = institution;
    PERFORM healthhub.audit_append('read.prescriptions', 'prescription', p.prescription_key::text, p.person_key,
                                   'prescriptions', 'ok');
    RETURN QUERY SELECT p.prescription_key, p.rxno, p.state, p.content, p.institution_key, p.issued_at, p.valid_until,
                        p.pharmacy_key, p.dispenses_done, CASE WHEN own THEN p.warnings END,
                        CASE WHEN own THEN p.assessment END,
                        healthhub.to_fhir(p.content, 'Patient/' || p.person_key, healthhub.rx_fhir_status(p.state),
                                          'Practitioner/' || p.prescriber_key,
                                          CASE WHEN p.pharmacy_key IS NOT NULL THEN 'Organization/' || p.pharmacy_key END);
END
$$;

-- What a pharmacy may dispense now: the prescriptions circulated to it or
-- to any designated pharmacy, undispensed and valid (no patient, no
-- content: those come with prescription_of, when the patient is there).
CREATE FUNCTION healthhub.prescriptions_to_dispense()
    RETURNS TABLE (prescription_key bigint, rxno text, institution_key bigint, circulated_at timestamptz,
                   valid_until timestamptz, dispenses_done integer, named boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['pharmacist', 'institution_app'], 'dispense prescriptions');
    designated boolean := healthhub.is_designated_pharmacy(institution);
BEGIN
    RETURN QUERY
    SELECT p.prescription_key, p.rxno, p.institution_key, p.circulated_at, p.valid_until, p.dispenses_done,
           p.pharmacy_key IS NOT NULL
      FROM healthhub.prescriptions p
     WHERE p.state = 'circulated' AND p.valid_until > clock_timestamp()
       AND (p.pharmacy_key = institution OR (p.pharmacy_key IS NULL AND designated))
     ORDER BY p.circulated_at, p.prescription_key;
END
$$;

-- A dispense of a prescription as a FHIR R4 Bundle (collection) of
-- MedicationDispenses, one per drug line: dispense_id names the dispense;
-- subject, performer (the pharmacist) and location (the pharmacy) are FHIR
-- references.
CREATE FUNCTION healthhub.to_fhir_dispense(p healthhub.prescription, dispense_id text, subject text, performer text,
                                           location text, handed_over timestamptz)
    RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object(
        'resourceType', 'Bundle', 'type', 'collection',
        'identifier', jsonb_build_object('system', 'urn:healthhub:dispense', 'value', dispense_id),
        'entry', jsonb_agg(jsonb_build_object('resource', jsonb_build_object(
            'resourceType', 'MedicationDispense',
            'identifier', jsonb_build_array(jsonb_build_object('system', 'urn:healthhub:dispense',
                                                               'value', dispense_id || '/' || l.line_no)),
            'status', 'completed',
            'medicationCodeableConcept', jsonb_build_object('coding', jsonb_build_array(jsonb_build_object(
                'system', 'urn:healthhub:nhsa-drug-code', 'code', l.drug::text))),
            'subject', jsonb_build_object('reference', subject),
            'performer', jsonb_build_array(jsonb_build_object('actor', jsonb_build_object('reference', performer))),
            'location', jsonb_build_object('reference', location),
            'authorizingPrescription', jsonb_build_array(jsonb_build_object('identifier', jsonb_build_object(
                'system', 'urn:healthhub:hosp-rxno', 'value', h.rxno || '/' || l.line_no))),
            'quantity', jsonb_build_object('value', l.total, 'unit', l.dose_unit),
            'daysSupply', healthhub.fhir_days(l.days),
            'whenHandedOver', healthhub.fhir_instant(handed_over))) ORDER BY l.line_no))
      FROM healthhub.prescription_header(p) h
      CROSS JOIN healthhub.prescription_lines(p) l
     GROUP BY h.rxno;
END;
COMMENT ON FUNCTION healthhub.to_fhir_dispense(healthhub.prescription, text, text, text, text, timestamptz) IS
    'A dispense of a prescription as a FHIR R4 Bundle of MedicationDispenses (one per drug line)';
GRANT EXECUTE ON FUNCTION healthhub.to_fhir_dispense(healthhub.prescription, text, text, text, text, timestamptz) TO PUBLIC;

-- A dispense as FHIR, for the pharmacy that dispensed it, the issuing
-- institution and the insurer.  One read.prescriptions entry (as for
-- prescription_of).
CREATE FUNCTION healthhub.dispense_to_fhir(dispense bigint) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    institution bigint := healthhub.rx_acting_institution(ARRAY['pharmacist', 'institution_app', 'clinician', 'insurer'],
                                                          'read dispenses');
    d healthhub.dispenses;
    p healthhub.prescriptions;
BEGIN
    PERFORM healthhub.require_arguments('healthhub.dispense_to_fhir', ARRAY['dispense'], ARRAY[dispense IS NULL]);
    SELECT * INTO d FROM healthhub.dispenses x WHERE x.dispense_key = dispense;
    SELECT * INTO p FROM healthhub.prescriptions x WHERE x.person_key = d.person_key AND x.prescription_key = d.prescription_key;
    IF d.dispense_key IS NULL OR NOT (institution IS NULL OR d.pharmacy_key = institution OR p.institution_key = institution) THEN
        PERFORM healthhub.audit_append('read.prescriptions', 'dispense', dispense::text, d.person_key, 'prescriptions',
                                       'refused');
        RAISE EXCEPTION 'no such dispense: %', dispense
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'No dispense of this key may be read here.';
    END IF;
    PERFORM healthhub.audit_append('read.prescriptions', 'dispense', d.dispense_key::text, d.person_key, 'prescriptions', 'ok');
    RETURN healthhub.to_fhir_dispense(p.content, d.dispense_key::text, 'Patient/' || d.person_key,
                                      'Practitioner/' || d.pharmacist_key, 'Location/' || d.pharmacy_key, d.dispensed_at);
END
$$;

-- For statisticians: prescriptions by issuing institution, month (Beijing
-- time), kind, online or not, and state.  No person data.
CREATE VIEW healthhub.prescription_report AS
SELECT p.institution_key, i.name AS institution,
       date_trunc('month', p.issued_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
       h.kind, h.online, p.state, count(*) AS prescriptions, sum(p.dispenses_done) AS dispenses
  FROM healthhub.prescriptions p
  JOIN healthhub.institutions i ON i.institution_key = p.institution_key
 CROSS JOIN LATERAL healthhub.prescription_header(p.content) h
 GROUP BY p.institution_key, i.name, 3, h.kind, h.online, p.state;
COMMENT ON VIEW healthhub.prescription_report IS
    'Prescriptions by institution, month, kind, online or in person, and state: counts and dispenses';

REVOKE ALL ON FUNCTION healthhub.rx_may_read(healthhub.prescriptions, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.prescription_of(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.prescriptions_to_dispense() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.dispense_to_fhir(bigint) FROM PUBLIC;

-- What each profile may do (src/platform/profiles.sql).
INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT pr, 'function', f, 'EXECUTE'
  FROM (VALUES
    ('clinician', 'healthhub.issue_prescription(text, text, healthhub.prescription, bigint, bigint, bigint, text)'),
    ('clinician', 'healthhub.sign_prescription(bigint, text)'),
    ('clinician', 'healthhub.circulate_prescription(bigint, bigint)'),
    ('clinician', 'healthhub.revoke_prescription(bigint, text)'),
    ('clinician', 'healthhub.prescription_of(bigint)'),
    ('clinician', 'healthhub.dispense_to_fhir(bigint)'),
    ('pharmacist', 'healthhub.review_prescription(bigint, bigint, boolean, text)'),
    ('pharmacist', 'healthhub.circulate_prescription(bigint, bigint)'),
    ('pharmacist', 'healthhub.dispense_prescription(bigint, bigint)'),
    ('pharmacist', 'healthhub.prescriptions_to_dispense()'),
    ('pharmacist', 'healthhub.prescription_of(bigint)'),
    ('pharmacist', 'healthhub.dispense_to_fhir(bigint)'),
    ('insurer', 'healthhub.settle_dispense(bigint, text)'),
    ('insurer', 'healthhub.prescription_of(bigint)'),
    ('insurer', 'healthhub.dispense_to_fhir(bigint)'),
    ('hub_admin', 'healthhub.load_drugs(text, text)'),
    ('hub_admin', 'healthhub.expire_prescriptions()'),
    ('hub_admin', 'healthhub.settle_dispense(bigint, text)')) v(pr, f)
UNION ALL
SELECT 'institution_app', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.issue_prescription(text, text, healthhub.prescription, bigint, bigint, bigint, text)',
                    'healthhub.sign_prescription(bigint, text)', 'healthhub.review_prescription(bigint, bigint, boolean, text)',
                    'healthhub.circulate_prescription(bigint, bigint)', 'healthhub.dispense_prescription(bigint, bigint)',
                    'healthhub.revoke_prescription(bigint, text)', 'healthhub.prescription_of(bigint)',
                    'healthhub.prescriptions_to_dispense()', 'healthhub.dispense_to_fhir(bigint)']) f
UNION ALL
SELECT pr, 'table', 'healthhub.prescription_report', 'SELECT'
  FROM unnest(ARRAY['hub_admin', 'statistician', 'auditor']) pr
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE, DELETE'
  FROM unnest(ARRAY['healthhub.drugs', 'healthhub.designated_pharmacies', 'healthhub.rx_kind_rules',
                    'healthhub.rx_controlled_rules', 'healthhub.rx_rules']) t
UNION ALL
SELECT 'hub_admin', 'table', 'healthhub.stage_drugs', 'SELECT, INSERT, DELETE';
