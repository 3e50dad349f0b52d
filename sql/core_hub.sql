-- The hub's identity and globally unique keys.
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never

-- no identity yet: minting refuses
SELECT hub_id();
SELECT mint_key();

-- bad parameters
SELECT init_hub('110000', 100);
SELECT init_hub('110000', -1);
SELECT init_hub('110103', 1);
SELECT init_hub('130171', 1);
SELECT init_hub('830000', 1);
SELECT init_hub('110199', 1);

-- set, repeat (a no-op), change before any key exists
SELECT init_hub('110000', 1);
SELECT init_hub('110000', 1);
SELECT init_hub('440300', 2);
SELECT region, region_name(region), instance, hub_id FROM hub;

-- keys embed the hub id
SELECT key_hub(mint_key()) AS hub_of_key;
SELECT mint_key() - mint_key() AS consecutive;

-- after the first key, the identity is fixed
SELECT init_hub('110000', 1);
SELECT init_hub('440300', 2) AS same_again_is_fine;
SELECT hub_id FROM hub;

-- only one row, ever (terse: the failing row carries a timestamp)
\set VERBOSITY terse
INSERT INTO hub (only_row, region, instance, hub_id) VALUES (false, '110000', 1, 11000001);
INSERT INTO hub (region, instance, hub_id) VALUES ('110000', 1, 11000001);
\set VERBOSITY default
\set SHOW_CONTEXT never

-- minting and changing the identity are for the owner until profiles grant them
CREATE ROLE hh_app;
SET ROLE hh_app;
SELECT count(*) FROM hub;
SELECT mint_key();
SELECT init_hub('110000', 3);
RESET ROLE;
DROP ROLE hh_app;
