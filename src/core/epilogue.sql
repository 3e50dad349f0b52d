-- Privileges: types and pure functions are for everyone; the hub's identity
-- and key minting are for the owner until role profiles grant them.
GRANT USAGE ON SCHEMA healthhub TO PUBLIC;
GRANT SELECT ON healthhub.regions, healthhub.hub, healthhub.identifier_kinds TO PUBLIC;
REVOKE ALL ON FUNCTION healthhub.init_hub(healthhub.region_code, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.mint_key() FROM PUBLIC;
