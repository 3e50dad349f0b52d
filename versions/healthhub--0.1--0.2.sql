\echo Use "ALTER EXTENSION healthhub UPDATE" to load this file. \quit
-- Role profiles.  healthhub creates no roles: a DBA creates login roles and
-- gives each one or more profiles with healthhub.grant_profile().  A profile
-- is a set of privileges (healthhub.profile_privileges, filled by each area's
-- SQL) plus, for the profiles that act for an institution, that institution.
--
-- Which institution a connection acts for comes from healthhub.role_profiles,
-- a table the connection cannot write, keyed by current_user: never from a
-- setting, since any role can SET a custom setting.

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
    privileges  text NOT NULL
        CHECK (privileges ~ '^(SELECT|INSERT|UPDATE|DELETE|EXECUTE|USAGE)(, (SELECT|INSERT|UPDATE|DELETE|USAGE))*$'),
    PRIMARY KEY (profile, object_kind, object_name)
);

CREATE TABLE healthhub.role_profiles (
    role_name       name NOT NULL,
    profile         text NOT NULL REFERENCES healthhub.profiles,
    institution_key bigint,
    granted_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    granted_by      name NOT NULL DEFAULT SESSION_USER,
    PRIMARY KEY (role_name, profile)
);
COMMENT ON TABLE healthhub.role_profiles IS 'Which profiles each role holds, and the institution it acts for';
SELECT pg_catalog.pg_extension_config_dump('healthhub.role_profiles', '');

-- audit_append() remembers each role's institution per backend
-- (src/registry/institution_cache.c); any change here makes them forget.
CREATE FUNCTION healthhub.role_profiles_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'hh_role_profiles_changed' LANGUAGE C;
CREATE TRIGGER role_profiles_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON healthhub.role_profiles
    FOR EACH STATEMENT EXECUTE FUNCTION healthhub.role_profiles_changed();

-- A role holds its own profiles and those of the roles it is a member of
-- (a DBA may give a profile to a group and the group to its logins).  Every
-- role may read those rows, and only those.
ALTER TABLE healthhub.role_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY role_profiles_own ON healthhub.role_profiles FOR SELECT
    USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.rolname OPERATOR(pg_catalog.=) role_name
                      AND pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER')));
GRANT SELECT ON healthhub.role_profiles TO PUBLIC;
GRANT SELECT ON healthhub.profiles TO PUBLIC;

CREATE FUNCTION healthhub.effective_profiles(role_name name)
    RETURNS TABLE (profile text, institution_key bigint)
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT rp.profile, rp.institution_key
      FROM healthhub.role_profiles rp
      JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) rp.role_name
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

CREATE FUNCTION healthhub.acting_institution() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN healthhub.institution_of(CURRENT_USER);

CREATE FUNCTION healthhub.has_profile(profile text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM healthhub.effective_profiles(CURRENT_USER) ep
                    WHERE ep.profile OPERATOR(pg_catalog.=) has_profile.profile);
END;

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
                WHERE rp.role_name = rname AND rp.institution_key IS DISTINCT FROM institution
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
    INSERT INTO healthhub.role_profiles (role_name, profile, institution_key)
    VALUES (rname, profile, institution)
    ON CONFLICT ON CONSTRAINT role_profiles_pkey
    DO UPDATE SET institution_key = EXCLUDED.institution_key, granted_at = now(), granted_by = SESSION_USER;
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
    DELETE FROM healthhub.role_profiles rp WHERE rp.role_name = rname AND rp.profile = revoke_profile.profile;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role % does not hold profile "%"', role, profile
            USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM healthhub.apply_profile_privileges(rname, profile, false);
    -- what another profile of the role also grants must stay
    FOR other IN SELECT rp.profile FROM healthhub.role_profiles rp WHERE rp.role_name = rname LOOP
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

-- The policy: per profile and kind of data, how it is presented.  Shipped
-- rows are defaults; a DBA overrides one by inserting a 'local' row, which
-- wins and is what pg_dump keeps.
CREATE TABLE healthhub.masking_policy (
    profile         text NOT NULL REFERENCES healthhub.profiles,
    data_kind       text NOT NULL CHECK (data_kind IN ('resident_id', 'name', 'phone', 'address')),
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

-- The role a SECURITY DEFINER function acts for: inside one, CURRENT_USER is
-- the function's owner, while the role setting (SET ROLE, which checks
-- membership) or else the session user is the caller.
CREATE FUNCTION healthhub.calling_role() RETURNS name
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN COALESCE(NULLIF(pg_catalog.current_setting('role'), 'none'), SESSION_USER)::name;

-- The same person always gets the same 32-hex-digit pseudonym in this hub;
-- without the secret it can be neither reversed nor recomputed.  Only roles
-- whose presentation of ID numbers is 'pseudonym' or 'full' may ask.
CREATE FUNCTION healthhub.pseudonym(id healthhub.resident_id) RETURNS text
    LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller name := healthhub.calling_role();
BEGIN
    IF healthhub.presentation_for(caller, 'resident_id') NOT IN ('pseudonym', 'full') THEN
        RAISE EXCEPTION 'permission denied for pseudonyms'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role %s may not see ID numbers or their pseudonyms.', caller);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM healthhub.hub_secrets) THEN
        INSERT INTO healthhub.hub_secrets DEFAULT VALUES ON CONFLICT DO NOTHING;
    END IF;
    RETURN (SELECT healthhub.pseudonym_of(s.pseudonym_key, id) FROM healthhub.hub_secrets s);
END
$$;

-- VOLATILE: the pseudonym branch may make the hub secret on first use.
CREATE FUNCTION healthhub.present_resident_id(id healthhub.resident_id) RETURNS text
    LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
BEGIN ATOMIC
    SELECT CASE healthhub.presentation('resident_id')
        WHEN 'full' THEN id::text
        WHEN 'masked' THEN healthhub.mask(id)
        WHEN 'pseudonym' THEN healthhub.pseudonym(id)
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
    ('hub_admin', 'table', 'healthhub.hub_secrets', 'SELECT');
-- The tamper-evident audit trail (docs/security.md).
--
-- Writers only INSERT: an entry row plus its id in a small queue, in the
-- caller's transaction, so an entry becomes sealable exactly when it commits.
-- One sealer at a time (an advisory lock) takes queued ids in entry order and
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

-- Hashing and signing, in C (src/registry/audit_hash.c over src/core/digest.c).
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
    IF wait THEN
        PERFORM pg_advisory_xact_lock(1751476, 1);
    ELSIF NOT pg_try_advisory_xact_lock(1751476, 1) THEN
        RETURN 0;
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
        -- advisory lock already makes this the only sealer, and writers never
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
-- the sealer, a background worker (src/registry/audit_sealer.c), so the
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
CREATE FUNCTION healthhub.audit_seal_if_due() RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' OR NOT healthhub.audit_seal_due() THEN
        RETURN;
    END IF;
    BEGIN
        PERFORM healthhub.seal_audit(10);
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'audit sealing failed: %', SQLERRM
            USING HINT = 'Entries stay queued; run healthhub.seal_audit() to see the error.';
    END;
END
$$;
REVOKE ALL ON FUNCTION healthhub.audit_seal_if_due() FROM PUBLIC;

-- THE function other areas call to record what happened (C, see
-- src/registry/audit_append.c).  The caller is recorded as the role whose
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
COMMENT ON TABLE healthhub.institutions IS
    'Medical and related institutions, keyed by a hub-minted key (a USCC is shared by campuses and missing for village clinics)';
COMMENT ON COLUMN healthhub.institutions.level IS 'hospital level 1-3 (一级, 二级, 三级); NULL when not rated';
COMMENT ON COLUMN healthhub.institutions.grade IS '甲, 乙, 丙, or 特 (三级特等); needs a level';
COMMENT ON COLUMN healthhub.institutions.valid IS 'when the institution operates; a snapshot load ends it when absent';
COMMENT ON COLUMN healthhub.institutions.hub_id IS 'the hub the institution belongs to (plain column for publication row filters)';
SELECT pg_catalog.pg_extension_config_dump('healthhub.institutions', '');

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
    'bumped whenever the practitioner''s practice rights are recomputed; assert_may_practise locks this row';
SELECT pg_catalog.pg_extension_config_dump('healthhub.practitioners', '');

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
    grant_key       bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
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

-- Recompute the practice rights of one practitioner.  The UPDATE of the
-- practitioner row serialises recomputations of the same practitioner and
-- conflicts with the FOR SHARE lock of assert_may_practise.
CREATE FUNCTION healthhub.recompute_practice_rights(practitioner bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    UPDATE healthhub.practitioners p SET rights_version = p.rights_version + 1
     WHERE p.practitioner_key = practitioner;
    DELETE FROM healthhub.practice_rights r WHERE r.practitioner_key = practitioner;
    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM healthhub.practitioners p WHERE p.practitioner_key = practitioner) THEN
        RETURN 0;
    END IF;
    INSERT INTO healthhub.practice_rights (practitioner_key, institution_key, act, privilege, valid)
    WITH usable AS (            -- each licence: validity * active periods
        SELECT l.licence_key, l.kind,
               pg_catalog.tstzmultirange(l.validity) OPERATOR(pg_catalog.*) healthhub.licence_active_periods(l.licence_key) AS m
          FROM healthhub.licences l
         WHERE l.practitioner_key = practitioner
    ), sited AS (               -- * registration period * institution operating period
        SELECT u.kind, r.institution_key,
               u.m OPERATOR(pg_catalog.*) pg_catalog.tstzmultirange(r.period OPERATOR(pg_catalog.*) i.valid) AS m
          FROM usable u
          JOIN healthhub.registrations r ON r.licence_key = u.licence_key
          JOIN healthhub.institutions i ON i.institution_key = r.institution_key
    ), base AS (
        SELECT s.kind, s.institution_key, pg_catalog.range_agg(s.m) AS m
          FROM sited s GROUP BY s.kind, s.institution_key
    ), barred AS (              -- minus the blacklist of the practitioner and of the institution
        SELECT b.kind, b.institution_key,
               b.m OPERATOR(pg_catalog.-) COALESCE(
                   (SELECT pg_catalog.range_agg(x.period) FROM healthhub.blacklist x
                     WHERE x.practitioner_key = practitioner
                        OR x.institution_key = b.institution_key),
                   '{}'::pg_catalog.tstzmultirange) AS m
          FROM base b
    ), privs AS (               -- special antimicrobial privilege includes the restricted tier
        SELECT g.institution_key, v.privilege, pg_catalog.range_agg(g.period) AS m
          FROM healthhub.practice_privileges g
         CROSS JOIN LATERAL (VALUES (g.privilege), (CASE WHEN g.privilege = 'antimicrobial_special'
                                                    THEN 'antimicrobial_restricted' END)) v(privilege)
         WHERE g.practitioner_key = practitioner AND v.privilege IS NOT NULL
         GROUP BY g.institution_key, v.privilege
    )
    SELECT practitioner, b.institution_key, b.kind, '', b.m
      FROM barred b WHERE NOT pg_catalog.isempty(b.m)
    UNION ALL
    SELECT practitioner, b.institution_key, b.kind, p.privilege, b.m OPERATOR(pg_catalog.*) p.m
      FROM barred b JOIN privs p ON p.institution_key = b.institution_key
     WHERE NOT pg_catalog.isempty(b.m OPERATOR(pg_catalog.*) p.m);
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

-- Is the current role a superuser (pg_restore reloading dumped rows)?
CREATE FUNCTION healthhub.registry_restoring() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER);

-- A licence's status is changed through its history only.
CREATE FUNCTION healthhub.licences_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'active' AND NOT healthhub.registry_restoring() THEN
            RAISE EXCEPTION 'a new licence starts active'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Licence %s was inserted with status %s.', NEW.licence_no, NEW.status),
                      HINT = 'Insert it, then call healthhub.change_licence_status().';
        END IF;
        IF NEW.status_effective IS NULL THEN
            NEW.status_effective := lower(NEW.validity);
        END IF;
    ELSIF (NEW.status IS DISTINCT FROM OLD.status OR NEW.status_effective IS DISTINCT FROM OLD.status_effective)
          AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'the status of licence % is changed through its history', OLD.licence_no
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Call healthhub.change_licence_status(licence_no, status, reason, effective).';
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
    IF NOT healthhub.registry_restoring() THEN
        NEW.recorded_at := now();
        NEW.recorded_by := CURRENT_USER;
    END IF;
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

-- Blacklist entries and privilege grants are recorded in the trail.
CREATE FUNCTION healthhub.registry_audit_trigger() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    j jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    kind text := CASE TG_TABLE_NAME WHEN 'blacklist' THEN 'blacklist' ELSE 'privilege' END;
BEGIN
    IF TG_OP = 'INSERT' AND healthhub.registry_restoring()
       AND (j->>'recorded_at')::timestamptz IS DISTINCT FROM now() THEN
        RETURN NULL;                        -- a row reloaded by pg_restore
    END IF;
    PERFORM healthhub.audit_append(kind || '.' || lower(TG_OP), kind,
                                   COALESCE(j->>'entry_key', j->>'grant_key'), NULL,
                                   'registry maintenance', 'ok', (j->>'practitioner_key')::bigint);
    RETURN NULL;
END
$$;
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
    ELSIF NOT (healthhub.registry_restoring() AND (j->>'recorded_at')::timestamptz IS DISTINCT FROM now()) THEN
        NEW := jsonb_populate_record(NEW, jsonb_build_object('recorded_at', now(), by_column, CURRENT_USER));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER registry_stamp BEFORE INSERT OR UPDATE ON healthhub.blacklist
    FOR EACH ROW EXECUTE FUNCTION healthhub.registry_stamp();
CREATE TRIGGER registry_stamp BEFORE INSERT OR UPDATE ON healthhub.practice_privileges
    FOR EACH ROW EXECUTE FUNCTION healthhub.registry_stamp();
CREATE TRIGGER registry_audit AFTER INSERT OR UPDATE OR DELETE ON healthhub.blacklist
    FOR EACH ROW EXECUTE FUNCTION healthhub.registry_audit_trigger();
CREATE TRIGGER registry_audit AFTER INSERT OR UPDATE OR DELETE ON healthhub.practice_privileges
    FOR EACH ROW EXECUTE FUNCTION healthhub.registry_audit_trigger();

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
    caller name := healthhub.calling_role();
    own bigint := healthhub.institution_of(caller);
BEGIN
    IF own IS NOT NULL AND own <> institution
       AND NOT EXISTS (SELECT 1 FROM healthhub.effective_profiles(caller) ep WHERE ep.profile = 'hub_admin') THEN
        RAISE EXCEPTION 'role % acts for another institution', caller
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A role that acts for an institution may ask about that institution only.';
    END IF;
END
$$;

CREATE FUNCTION healthhub.why_not_practise(practitioner bigint, act text, institution bigint,
                                           "at" timestamptz DEFAULT pg_catalog.now(), privilege text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    inst healthhub.institutions%ROWTYPE;
    l record;
    st record;
    b record;
    reasons text[] := '{}';
    some_licence_ok boolean := false;
BEGIN
    IF practitioner IS NULL OR act IS NULL OR institution IS NULL OR "at" IS NULL THEN
        RAISE EXCEPTION 'practitioner, act, institution and time must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM healthhub.check_own_institution(institution);
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

    FOR l IN SELECT * FROM healthhub.licences x
              WHERE x.practitioner_key = practitioner AND x.kind = act
              ORDER BY lower(x.validity) DESC, x.licence_key LOOP
        IF NOT l.validity @> "at" THEN
            reasons := reasons || format('%s licence %s is not valid at %s (valid %s)', act, l.licence_no, "at", l.validity);
            CONTINUE;
        END IF;
        SELECT h.status, h.effective, h.reason INTO st FROM healthhub.licence_status_history h
         WHERE h.licence_key = l.licence_key AND h.effective <= "at"
         ORDER BY h.effective DESC, h.entry_key DESC LIMIT 1;
        IF FOUND AND st.status <> 'active' THEN
            reasons := reasons || format('%s licence %s is %s since %s: %s', act, l.licence_no, st.status, st.effective, st.reason);
            CONTINUE;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM healthhub.registrations r
                        WHERE r.licence_key = l.licence_key AND r.institution_key = institution
                          AND r.period @> "at") THEN
            reasons := reasons || format('%s licence %s is not registered at %s at %s', act, l.licence_no, inst.name, "at");
            CONTINUE;
        END IF;
        some_licence_ok := true;
    END LOOP;
    IF NOT FOUND AND cardinality(reasons) = 0 THEN
        RETURN format('no %s licence', act);
    END IF;
    IF NOT some_licence_ok THEN
        RETURN array_to_string(reasons, '; ');
    END IF;

    IF NOT inst.valid @> "at" THEN
        reasons := reasons || format('%s is not operating at %s', inst.name, "at");
    END IF;
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
    IF cardinality(reasons) = 0 AND privilege IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM healthhub.practice_privileges g
                        WHERE g.practitioner_key = practitioner AND g.institution_key = institution
                          AND (g.privilege = why_not_practise.privilege
                               OR (why_not_practise.privilege = 'antimicrobial_restricted'
                                   AND g.privilege = 'antimicrobial_special'))
                          AND g.period @> "at") THEN
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

-- For write paths: lock what the answer relies on, re-check, refuse with 42501.
-- The licence rows and the practitioner row are locked FOR SHARE (in that
-- order, the order a status change takes them): a concurrent status change,
-- registration, privilege or blacklist change either waits for this
-- transaction or, having committed first, is seen by the re-check, which runs
-- in a new statement and at clock time.
CREATE FUNCTION healthhub.assert_may_practise(practitioner bigint, act text, institution bigint,
                                              privilege text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    checked_at timestamptz;
    why text;
BEGIN
    IF practitioner IS NULL OR act IS NULL OR institution IS NULL THEN
        RAISE EXCEPTION 'practitioner, act and institution must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM healthhub.check_own_institution(institution);
    PERFORM 1 FROM healthhub.licences l
      WHERE l.practitioner_key = practitioner AND l.kind = act
      ORDER BY l.licence_key FOR SHARE;
    PERFORM 1 FROM healthhub.practitioners p WHERE p.practitioner_key = practitioner FOR SHARE;
    checked_at := clock_timestamp();
    IF NOT healthhub.may_practise(practitioner, act, institution, checked_at, privilege) THEN
        why := healthhub.why_not_practise(practitioner, act, institution, checked_at, privilege);
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = format('practitioner may not act as %s%s here', act,
                             CASE WHEN privilege IS NULL THEN '' ELSE ' with privilege ' || privilege END),
            DETAIL = upper(left(why, 1)) || substr(why, 2) || '.';
    END IF;
END
$$;
COMMENT ON FUNCTION healthhub.assert_may_practise(bigint, text, bigint, text) IS
    'Raise 42501 unless the practitioner may act now; locks what it relied on against a concurrent revocation';

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
    IF status IS NULL OR status NOT IN ('active', 'suspended', 'revoked') THEN
        RAISE EXCEPTION 'invalid licence status "%"', status
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A licence is active, suspended or revoked.';
    END IF;
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a licence status change needs a reason'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF effective IS NULL OR NOT isfinite(effective) THEN
        RAISE EXCEPTION 'invalid effective time %', coalesce(effective::text, 'NULL')
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

CREATE FUNCTION healthhub.blacklist_subject(kind text, subject bigint, reason text, source text, period tstzrange)
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k bigint;
BEGIN
    IF subject IS NULL OR reason IS NULL OR btrim(reason) = '' OR source IS NULL OR btrim(source) = '' THEN
        RAISE EXCEPTION 'a blacklist entry needs its subject, a reason and a source'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF period IS NULL OR isempty(period) OR lower_inf(period) THEN
        RAISE EXCEPTION 'invalid blacklist period %', coalesce(period::text, 'NULL')
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
    SELECT * INTO e FROM healthhub.blacklist b WHERE b.entry_key = entry FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'blacklist entry % does not exist', entry USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF "at" IS NULL OR NOT e.period @> "at" OR "at" = lower(e.period) THEN
        RAISE EXCEPTION 'blacklist entry % is not in force at %', entry, coalesce("at"::text, 'NULL')
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

ALTER TABLE healthhub.institutions ENABLE ROW LEVEL SECURITY;
CREATE POLICY institutions_read ON healthhub.institutions FOR SELECT
    USING (NOT (SELECT healthhub.has_profile('institution_app'))
           OR institution_key = (SELECT healthhub.acting_institution()));
CREATE POLICY institutions_admin ON healthhub.institutions FOR ALL
    USING ((SELECT healthhub.has_profile('hub_admin')))
    WITH CHECK ((SELECT healthhub.has_profile('hub_admin')));

ALTER TABLE healthhub.registrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY registrations_read ON healthhub.registrations FOR SELECT
    USING (NOT (SELECT healthhub.has_profile('institution_app'))
           OR institution_key = (SELECT healthhub.acting_institution()));
CREATE POLICY registrations_admin ON healthhub.registrations FOR ALL
    USING ((SELECT healthhub.has_profile('hub_admin')))
    WITH CHECK ((SELECT healthhub.has_profile('hub_admin')));

-- An institution grants privileges to its own practitioners.
ALTER TABLE healthhub.practice_privileges ENABLE ROW LEVEL SECURITY;
CREATE POLICY practice_privileges_read ON healthhub.practice_privileges FOR SELECT
    USING (NOT (SELECT healthhub.has_profile('institution_app'))
           OR institution_key = (SELECT healthhub.acting_institution()));
CREATE POLICY practice_privileges_own_insert ON healthhub.practice_privileges FOR INSERT
    WITH CHECK ((SELECT healthhub.has_profile('hub_admin'))
                OR institution_key = (SELECT healthhub.acting_institution()));
CREATE POLICY practice_privileges_own_update ON healthhub.practice_privileges FOR UPDATE
    USING ((SELECT healthhub.has_profile('hub_admin'))
           OR institution_key = (SELECT healthhub.acting_institution()))
    WITH CHECK ((SELECT healthhub.has_profile('hub_admin'))
                OR institution_key = (SELECT healthhub.acting_institution()));
CREATE POLICY practice_privileges_admin_delete ON healthhub.practice_privileges FOR DELETE
    USING ((SELECT healthhub.has_profile('hub_admin')));

-- Privileges per profile ------------------------------------------------------------

REVOKE ALL ON FUNCTION healthhub.recompute_practice_rights(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.recompute_practice_rights() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.practice_rights_trigger() FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.why_not_practise(bigint, text, bigint, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.assert_may_practise(bigint, text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.may_practise(bigint, text, bigint, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.change_licence_status(text, text, text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.blacklist_practitioner(bigint, text, text, tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.blacklist_institution(bigint, text, text, tstzrange) FROM PUBLIC;
REVOKE ALL ON FUNCTION healthhub.lift_blacklist(bigint, timestamptz) FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'table', t, p FROM (VALUES
    ('healthhub.institutions', 'SELECT, INSERT, UPDATE'),
    ('healthhub.insurance_designations', 'SELECT, INSERT, UPDATE, DELETE'),
    ('healthhub.consortia', 'SELECT, INSERT, UPDATE'),
    ('healthhub.consortium_members', 'SELECT, INSERT, UPDATE, DELETE'),
    ('healthhub.practitioners', 'SELECT, INSERT, UPDATE'),
    ('healthhub.licences', 'SELECT, INSERT, UPDATE'),
    ('healthhub.licence_status_history', 'SELECT, INSERT'),
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
SELECT 'institution_app', 'function', 'healthhub.mint_key()', 'EXECUTE'
UNION ALL
SELECT pr, 'sequence', 'healthhub.key_seq', 'USAGE' FROM unnest(ARRAY['hub_admin', 'institution_app']) pr
UNION ALL
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
-- changes nothing.  docs/registry.md shows a whole session.

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

CREATE TABLE healthhub.loads (
    load_id     bigint PRIMARY KEY DEFAULT healthhub.mint_key(),
    source      text NOT NULL CHECK (source ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    file_digest text NOT NULL CHECK (file_digest ~ '^([a-z0-9]+:)?[0-9a-f]{32,128}$'),
    mode        text NOT NULL CHECK (mode IN ('snapshot', 'delta')),
    loaded_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    loaded_by   name NOT NULL DEFAULT CURRENT_USER,
    outcome     jsonb NOT NULL DEFAULT '{}',
    UNIQUE (source, file_digest)
);
COMMENT ON TABLE healthhub.loads IS 'Every registry load, keyed on (source, file digest); mode snapshot or delta';
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
SELECT pg_catalog.pg_extension_config_dump('healthhub.load_errors', '');

-- Why a text does not convert to a type (NULL when it does).
CREATE FUNCTION healthhub.load_problem(value text, type text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    msg text;
    detail text;
BEGIN
    CASE type
        WHEN 'timestamptz' THEN PERFORM value::timestamptz;
        WHEN 'uscc' THEN PERFORM value::healthhub.uscc;
        WHEN 'region_code' THEN PERFORM value::healthhub.region_code;
        WHEN 'resident_id' THEN PERFORM healthhub.resident_id(value);
    END CASE;
    RETURN NULL;
EXCEPTION WHEN data_exception THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    RETURN msg || CASE WHEN detail <> '' THEN ': ' || detail ELSE '' END;
END
$$;

-- Empty the staging tables and restart their record numbers.
CREATE FUNCTION healthhub.clear_staging() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM healthhub.stage_institutions;
    DELETE FROM healthhub.stage_practitioners;
    DELETE FROM healthhub.stage_licences;
    DELETE FROM healthhub.stage_registrations;
    DELETE FROM healthhub.stage_blacklist;
    PERFORM setval(pg_get_serial_sequence('healthhub.stage_institutions', 'line_no'), 1, false);
    PERFORM setval(pg_get_serial_sequence('healthhub.stage_practitioners', 'line_no'), 1, false);
    PERFORM setval(pg_get_serial_sequence('healthhub.stage_licences', 'line_no'), 1, false);
    PERFORM setval(pg_get_serial_sequence('healthhub.stage_registrations', 'line_no'), 1, false);
    PERFORM setval(pg_get_serial_sequence('healthhub.stage_blacklist', 'line_no'), 1, false);
END
$$;
COMMENT ON FUNCTION healthhub.clear_staging() IS 'Empty the staging tables; record numbers start again at 1';

CREATE FUNCTION healthhub.load_registry(source text, file_digest text, mode text)
    RETURNS TABLE (load_id bigint, entity text, staged integer, loaded integer, ended integer,
                   rejected integer, already_loaded boolean)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lid bigint;
    digest text := lower(btrim(file_digest));
    src text := btrim(source);
    t timestamptz := now();
    r record;
    errs text[][];
    e text[];
    problem text;
    vfrom timestamptz;
    vto timestamptz;
    k bigint;
    k2 bigint;
    n_staged integer; n_loaded integer; n_ended integer; n_rejected integer;
    result jsonb := '{}';
    msg text; col text;
BEGIN
    IF src IS NULL OR src !~ '^[A-Za-z0-9_.:-]{1,64}$' THEN
        RAISE EXCEPTION 'invalid load source "%"', source
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A source is 1 to 64 letters, digits, "_", ".", ":" or "-".';
    END IF;
    IF digest IS NULL OR digest !~ '^([a-z0-9]+:)?[0-9a-f]{32,128}$' THEN
        RAISE EXCEPTION 'invalid file digest "%"', file_digest
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Give the file''s hexadecimal digest, e.g. the output of sha256sum, optionally prefixed "sha256:".';
    END IF;
    IF mode IS NULL OR mode NOT IN ('snapshot', 'delta') THEN
        RAISE EXCEPTION 'invalid load mode "%"', mode
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A load is a "snapshot" (rows of the source absent from the file are ended) or a "delta".';
    END IF;

    -- one load at a time: the staging tables are shared
    LOCK TABLE healthhub.loads IN SHARE ROW EXCLUSIVE MODE;
    SELECT l.load_id, l.outcome INTO lid, result FROM healthhub.loads l
     WHERE l.source = src AND l.file_digest = digest;
    IF FOUND THEN
        RAISE NOTICE 'file % of source % was already loaded; nothing changed', digest, src;
        PERFORM healthhub.clear_staging();
        RETURN QUERY SELECT lid, o.key, (o.value->>'staged')::int, (o.value->>'loaded')::int,
                            (o.value->>'ended')::int, (o.value->>'rejected')::int, true
                       FROM jsonb_each(result) o ORDER BY (o.value->>'order')::int;
        RETURN;
    END IF;
    INSERT INTO healthhub.loads (source, file_digest, mode) VALUES (src, digest, mode) RETURNING loads.load_id INTO lid;
    result := '{}';

    ---------------------------------------------------------------- institutions
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_institutions s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_institutions d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        IF coalesce(btrim(r.name), '') = '' THEN errs := errs || ARRAY[['name', 'is required']]; END IF;
        IF r.kind IS NULL OR btrim(r.kind) NOT IN ('hospital', 'primary_care', 'village_clinic', 'internet_hospital',
                                   'retail_pharmacy', 'lab', 'cdc', 'insurer') THEN
            errs := errs || ARRAY[['kind', 'is not one of hospital, primary_care, village_clinic, internet_hospital, retail_pharmacy, lab, cdc, insurer']];
        END IF;
        IF nullif(btrim(r.level), '') NOT IN ('1', '2', '3') THEN errs := errs || ARRAY[['level', 'is not 1, 2 or 3']]; END IF;
        IF nullif(btrim(r.grade), '') NOT IN ('甲', '乙', '丙', '特') THEN errs := errs || ARRAY[['grade', 'is not 甲, 乙, 丙 or 特']]; END IF;
        problem := healthhub.load_problem(btrim(r.region), 'region_code');
        IF r.region IS NULL OR problem IS NOT NULL THEN
            errs := errs || ARRAY[['region', coalesce(problem, 'is required')]];
        ELSIF NOT EXISTS (SELECT 1 FROM healthhub.regions g WHERE g.code OPERATOR(healthhub.=) btrim(r.region)::healthhub.region_code) THEN
            errs := errs || ARRAY[['region', 'is not in healthhub.regions']];
        END IF;
        IF nullif(btrim(r.uscc), '') IS NOT NULL THEN
            problem := healthhub.load_problem(btrim(r.uscc), 'uscc');
            IF problem IS NOT NULL THEN errs := errs || ARRAY[['uscc', problem]]; END IF;
        END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.institutions AS i (source, source_ref, name, kind, level, grade, region, uscc,
                                                         practice_licence_no, insurance_code, valid)
                VALUES (src, r.ref, btrim(r.name), btrim(r.kind), nullif(btrim(r.level), ''), nullif(btrim(r.grade), ''),
                        btrim(r.region)::healthhub.region_code, nullif(btrim(r.uscc), '')::healthhub.uscc,
                        nullif(btrim(r.practice_licence_no), ''), nullif(btrim(r.insurance_code), ''), tstzrange(vfrom, vto))
                ON CONFLICT ON CONSTRAINT institutions_source_ref DO UPDATE
                   SET name = EXCLUDED.name, kind = EXCLUDED.kind, level = EXCLUDED.level, grade = EXCLUDED.grade,
                       region = EXCLUDED.region, uscc = EXCLUDED.uscc, practice_licence_no = EXCLUDED.practice_licence_no,
                       insurance_code = EXCLUDED.insurance_code, valid = EXCLUDED.valid
                 WHERE (i.name, i.kind, i.level, i.grade, i.region::text, i.uscc::text, i.practice_licence_no,
                        i.insurance_code, i.valid)
                       IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.level, EXCLUDED.grade, EXCLUDED.region::text,
                        EXCLUDED.uscc::text, EXCLUDED.practice_licence_no, EXCLUDED.insurance_code, EXCLUDED.valid);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'institutions', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'name' THEN r.name WHEN 'kind' THEN r.kind
                              WHEN 'level' THEN r.level WHEN 'grade' THEN r.grade WHEN 'region' THEN r.region
                              WHEN 'uscc' THEN r.uscc WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END,
                    e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.institutions i SET valid = tstzrange(lower(i.valid), t)
         WHERE i.source = src AND upper_inf(i.valid) AND lower(i.valid) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_institutions s WHERE btrim(s.source_ref) = i.source_ref);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('institutions', jsonb_build_object('order', 1, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    ---------------------------------------------------------------- practitioners
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_practitioners s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_practitioners d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        IF coalesce(btrim(r.name), '') = '' THEN errs := errs || ARRAY[['name', 'is required']]; END IF;
        IF nullif(btrim(r.resident_id), '') IS NOT NULL THEN
            problem := healthhub.resident_id_problem(btrim(r.resident_id));   -- never repeats the number
            IF problem IS NOT NULL THEN errs := errs || ARRAY[['resident_id', problem]]; END IF;
        END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                INSERT INTO healthhub.practitioners AS p (source, source_ref, resident_id, name)
                VALUES (src, r.ref, healthhub.resident_id(nullif(btrim(r.resident_id), '')), btrim(r.name))
                ON CONFLICT ON CONSTRAINT practitioners_source_ref DO UPDATE
                   SET resident_id = EXCLUDED.resident_id, name = EXCLUDED.name
                 WHERE (p.resident_id::text, p.name) IS DISTINCT FROM (EXCLUDED.resident_id::text, EXCLUDED.name);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                -- identity numbers are personal data: the error keeps only the masked form
                INSERT INTO healthhub.load_errors VALUES (lid, 'practitioners', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'name' THEN NULL
                              WHEN 'resident_id' THEN left(r.resident_id, 6) || '********' END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    result := result || jsonb_build_object('practitioners', jsonb_build_object('order', 2, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', 0, 'rejected', n_rejected));

    ---------------------------------------------------------------- licences
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.licence_no) AS ref FROM healthhub.stage_licences s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        k := NULL;
        IF r.ref IS NULL OR r.ref !~ '^[0-9A-Za-z-]{4,40}$' THEN
            errs := errs || ARRAY[['licence_no', 'is not 4 to 40 letters, digits or "-"']];
        ELSIF EXISTS (SELECT 1 FROM healthhub.stage_licences d WHERE btrim(d.licence_no) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['licence_no', 'repeats an earlier record']];
        ELSIF EXISTS (SELECT 1 FROM healthhub.licences l WHERE l.licence_no = r.ref AND l.source IS DISTINCT FROM src) THEN
            errs := errs || ARRAY[['licence_no', 'belongs to another source']];
        END IF;
        SELECT p.practitioner_key INTO k FROM healthhub.practitioners p
         WHERE p.source = src AND p.source_ref = btrim(r.practitioner_ref);
        IF k IS NULL THEN errs := errs || ARRAY[['practitioner_ref', 'names no practitioner of this source']]; END IF;
        IF r.kind IS NULL OR btrim(r.kind) NOT IN ('physician', 'pharmacist', 'nurse') THEN
            errs := errs || ARRAY[['kind', 'is not physician, pharmacist or nurse']];
        END IF;
        IF nullif(btrim(r.status), '') NOT IN ('active', 'suspended', 'revoked') THEN
            errs := errs || ARRAY[['status', 'is not active, suspended or revoked']];
        END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.licences AS l (licence_no, practitioner_key, kind, scope, validity, source)
                VALUES (r.ref, k, btrim(r.kind), nullif(btrim(r.scope), ''), tstzrange(vfrom, vto), src)
                ON CONFLICT (licence_no) DO UPDATE
                   SET practitioner_key = EXCLUDED.practitioner_key, kind = EXCLUDED.kind, scope = EXCLUDED.scope,
                       validity = EXCLUDED.validity
                 WHERE (l.practitioner_key, l.kind, l.scope, l.validity)
                       IS DISTINCT FROM (EXCLUDED.practitioner_key, EXCLUDED.kind, EXCLUDED.scope, EXCLUDED.validity);
                IF coalesce(nullif(btrim(r.status), ''), 'active')
                   IS DISTINCT FROM (SELECT l.status FROM healthhub.licences l WHERE l.licence_no = r.ref) THEN
                    PERFORM healthhub.change_licence_status(r.ref, btrim(r.status), 'load ' || src || ' ' || digest, t);
                END IF;
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception OR object_not_in_prerequisite_state THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || ARRAY[[coalesce(nullif(col, ''), 'status'), msg]];
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'licences', r.line_no, e[1],
                    CASE e[1] WHEN 'licence_no' THEN r.licence_no WHEN 'practitioner_ref' THEN r.practitioner_ref
                              WHEN 'kind' THEN r.kind WHEN 'status' THEN r.status
                              WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.licences l SET validity = tstzrange(lower(l.validity), t)
         WHERE l.source = src AND upper_inf(l.validity) AND lower(l.validity) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_licences s WHERE btrim(s.licence_no) = l.licence_no);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('licences', jsonb_build_object('order', 3, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    ---------------------------------------------------------------- registrations
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_registrations s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_registrations d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        SELECT l.licence_key INTO k FROM healthhub.licences l WHERE l.licence_no = btrim(r.licence_no);
        IF NOT FOUND THEN k := NULL; errs := errs || ARRAY[['licence_no', 'names no licence']]; END IF;
        SELECT i.institution_key INTO k2 FROM healthhub.institutions i
         WHERE i.source = src AND i.source_ref = btrim(r.institution_ref);
        IF NOT FOUND THEN k2 := NULL; errs := errs || ARRAY[['institution_ref', 'names no institution of this source']]; END IF;
        IF coalesce(nullif(btrim(r.role), ''), 'primary') NOT IN ('primary', 'additional') THEN
            errs := errs || ARRAY[['role', 'is not primary or additional']];
        END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.registrations AS g (source, source_ref, licence_key, institution_key, role, period)
                VALUES (src, r.ref, k, k2, coalesce(nullif(btrim(r.role), ''), 'primary'), tstzrange(vfrom, vto))
                ON CONFLICT ON CONSTRAINT registrations_source_ref DO UPDATE
                   SET licence_key = EXCLUDED.licence_key, institution_key = EXCLUDED.institution_key,
                       role = EXCLUDED.role, period = EXCLUDED.period
                 WHERE (g.licence_key, g.institution_key, g.role, g.period)
                       IS DISTINCT FROM (EXCLUDED.licence_key, EXCLUDED.institution_key, EXCLUDED.role, EXCLUDED.period);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'registrations', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'licence_no' THEN r.licence_no
                              WHEN 'institution_ref' THEN r.institution_ref WHEN 'role' THEN r.role
                              WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.registrations g SET period = tstzrange(lower(g.period), t)
         WHERE g.source = src AND upper_inf(g.period) AND lower(g.period) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_registrations s WHERE btrim(s.source_ref) = g.source_ref);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('registrations', jsonb_build_object('order', 4, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    ---------------------------------------------------------------- blacklist
    n_staged := 0; n_loaded := 0; n_ended := 0; n_rejected := 0;
    FOR r IN SELECT s.*, btrim(s.source_ref) AS ref FROM healthhub.stage_blacklist s ORDER BY s.line_no LOOP
        n_staged := n_staged + 1;
        errs := '{}';
        k := NULL;
        IF r.ref IS NULL OR r.ref = '' THEN errs := errs || ARRAY[['source_ref', 'is required']]; END IF;
        IF EXISTS (SELECT 1 FROM healthhub.stage_blacklist d WHERE btrim(d.source_ref) = r.ref AND d.line_no < r.line_no) THEN
            errs := errs || ARRAY[['source_ref', 'repeats an earlier record']];
        END IF;
        IF btrim(r.subject_kind) = 'practitioner' THEN
            SELECT p.practitioner_key INTO k FROM healthhub.practitioners p WHERE p.source = src AND p.source_ref = btrim(r.subject_ref);
            IF k IS NULL THEN errs := errs || ARRAY[['subject_ref', 'names no practitioner of this source']]; END IF;
        ELSIF btrim(r.subject_kind) = 'institution' THEN
            SELECT i.institution_key INTO k FROM healthhub.institutions i WHERE i.source = src AND i.source_ref = btrim(r.subject_ref);
            IF k IS NULL THEN errs := errs || ARRAY[['subject_ref', 'names no institution of this source']]; END IF;
        ELSE
            errs := errs || ARRAY[['subject_kind', 'is not institution or practitioner']];
        END IF;
        IF coalesce(btrim(r.reason), '') = '' THEN errs := errs || ARRAY[['reason', 'is required']]; END IF;
        problem := healthhub.load_problem(coalesce(nullif(btrim(r.valid_from), ''), 'x'), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_from', CASE WHEN nullif(btrim(r.valid_from), '') IS NULL THEN 'is required' ELSE problem END]]; END IF;
        problem := healthhub.load_problem(nullif(btrim(r.valid_to), ''), 'timestamptz');
        IF problem IS NOT NULL THEN errs := errs || ARRAY[['valid_to', problem]]; END IF;
        IF cardinality(errs) = 0 THEN
            BEGIN
                vfrom := btrim(r.valid_from)::timestamptz;
                vto := nullif(btrim(r.valid_to), '')::timestamptz;
                INSERT INTO healthhub.blacklist AS b (source, source_ref, subject_kind, practitioner_key, institution_key, reason, period)
                VALUES (src, r.ref, btrim(r.subject_kind),
                        CASE WHEN btrim(r.subject_kind) = 'practitioner' THEN k END,
                        CASE WHEN btrim(r.subject_kind) = 'institution' THEN k END,
                        btrim(r.reason), tstzrange(vfrom, vto))
                ON CONFLICT ON CONSTRAINT blacklist_source_ref DO UPDATE
                   SET subject_kind = EXCLUDED.subject_kind, practitioner_key = EXCLUDED.practitioner_key,
                       institution_key = EXCLUDED.institution_key, reason = EXCLUDED.reason, period = EXCLUDED.period
                 WHERE (b.subject_kind, b.practitioner_key, b.institution_key, b.reason, b.period)
                       IS DISTINCT FROM (EXCLUDED.subject_kind, EXCLUDED.practitioner_key, EXCLUDED.institution_key,
                                         EXCLUDED.reason, EXCLUDED.period);
                n_loaded := n_loaded + 1;
            EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, col = CONSTRAINT_NAME;
                errs := errs || CASE WHEN msg LIKE 'range lower bound%' THEN ARRAY[['valid_to', 'is before valid_from']]
                                     ELSE ARRAY[[coalesce(nullif(col, ''), 'row'), msg]] END;
            END;
        END IF;
        IF cardinality(errs) > 0 THEN
            n_rejected := n_rejected + 1;
            FOREACH e SLICE 1 IN ARRAY errs LOOP
                INSERT INTO healthhub.load_errors VALUES (lid, 'blacklist', r.line_no, e[1],
                    CASE e[1] WHEN 'source_ref' THEN r.source_ref WHEN 'subject_kind' THEN r.subject_kind
                              WHEN 'subject_ref' THEN r.subject_ref WHEN 'reason' THEN r.reason
                              WHEN 'valid_from' THEN r.valid_from WHEN 'valid_to' THEN r.valid_to END, e[2]);
            END LOOP;
        END IF;
    END LOOP;
    IF mode = 'snapshot' AND n_staged > 0 THEN
        UPDATE healthhub.blacklist b SET period = tstzrange(lower(b.period), t)
         WHERE b.source = src AND b.source_ref IS NOT NULL AND upper_inf(b.period) AND lower(b.period) < t
           AND NOT EXISTS (SELECT 1 FROM healthhub.stage_blacklist s WHERE btrim(s.source_ref) = b.source_ref);
        GET DIAGNOSTICS n_ended = ROW_COUNT;
    END IF;
    result := result || jsonb_build_object('blacklist', jsonb_build_object('order', 5, 'staged', n_staged,
                            'loaded', n_loaded, 'ended', n_ended, 'rejected', n_rejected));

    UPDATE healthhub.loads l SET outcome = result WHERE l.load_id = lid;
    PERFORM healthhub.audit_append('registry.load.' || mode, 'load', lid::text, NULL, 'registry maintenance',
        CASE WHEN EXISTS (SELECT 1 FROM healthhub.load_errors x WHERE x.load_id = lid) THEN 'partial' ELSE 'ok' END);
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
REVOKE ALL ON FUNCTION healthhub.load_problem(text, text) FROM PUBLIC;

INSERT INTO healthhub.profile_privileges (profile, object_kind, object_name, privileges)
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE, DELETE'
  FROM unnest(ARRAY['healthhub.stage_institutions', 'healthhub.stage_practitioners', 'healthhub.stage_licences',
                    'healthhub.stage_registrations', 'healthhub.stage_blacklist']) t
UNION ALL
SELECT 'hub_admin', 'table', t, 'SELECT, INSERT, UPDATE'
  FROM unnest(ARRAY['healthhub.loads', 'healthhub.load_errors']) t
UNION ALL
SELECT 'hub_admin', 'function', f, 'EXECUTE'
  FROM unnest(ARRAY['healthhub.load_registry(text, text, text)', 'healthhub.clear_staging()',
                    'healthhub.load_problem(text, text)']) f
ON CONFLICT (profile, object_kind, object_name) DO NOTHING;
