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

