-- The tamper-evident audit trail: appending, sealing, checkpoints,
-- verification, and refusals (attacks named after what they try).
SET search_path = healthhub, public;
\set VERBOSITY default
\set SHOW_CONTEXT never

-- SQLSTATE and message of a statement that should fail
CREATE FUNCTION pg_temp.refused(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

CREATE ROLE audit_clin;
CREATE ROLE audit_aud;
CREATE ROLE audit_admin;
SELECT grant_profile('audit_clin', 'clinician', 7001);
SELECT grant_profile('audit_aud', 'auditor');
SELECT grant_profile('audit_admin', 'hub_admin');

-- every profile may append; the auditor reads and verifies; hub_admin checkpoints
SELECT profile, object_kind, object_name, privileges FROM profile_privileges
 WHERE object_name LIKE 'healthhub.audit%' OR object_name LIKE '%_audit%' ORDER BY 1, 2, 3;

SELECT coalesce(max(entry_id), 0) AS base FROM audit_entries \gset
SELECT seal_audit() >= 0 AS sealed_what_was_queued;
-- a long interval: nothing is sealed behind the test's back; blocks of 3
SELECT algorithm, seal_interval, block_max FROM configure_audit('sha256', '1 hour', 3);

-- append: who is taken from the session, not from the caller's word
SELECT audit_append('read', 'document', 'doc-1', 1001, 'treatment') - :base AS first;
SET ROLE audit_clin;
SELECT audit_append('prescribe', 'prescription', 'rx-9', 1002, 'treatment', 'ok', 5001) - :base AS second;
SELECT audit_append('read', 'document', 'doc-2', NULL, NULL, 'denied') - :base AS third;
-- SET cannot change the recorded institution
SET healthhub_acting.institution = '9999';
SELECT audit_append('read', 'document', 'doc-3') - :base AS fourth;
-- the seal check (at most ten times a second per backend) runs for an
-- ordinary role too: it runs as the trail's owner
SELECT pg_sleep(0.15) IS NOT NULL AS waited;
SELECT audit_append('read', 'document', 'doc-3b') - :base AS fourth_b;
-- an entry cannot be made enormous (nobody may remove it for the retention
-- period; 0.4 took 18 MB from an application)
SELECT audit_append('read', 'document', repeat('x', 2501));
SELECT audit_append('read', 'document', 'doc-4', NULL, NULL, repeat('x', 501));
SELECT audit_append(repeat('r', 101), 'document', 'doc-4');
-- a clinician cannot read or change the trail
SELECT pg_temp.refused('SELECT count(*) FROM healthhub.audit_entries');
SELECT pg_temp.refused('UPDATE healthhub.audit_entries SET outcome = ''ok''');
SELECT pg_temp.refused('DELETE FROM healthhub.audit_entries');
SELECT pg_temp.refused('TRUNCATE healthhub.audit_entries');
SELECT pg_temp.refused('UPDATE healthhub.audit_blocks SET algorithm = ''sm3''');
SELECT pg_temp.refused('INSERT INTO healthhub.audit_entries (role_name, session_role, action, object_kind, outcome) VALUES (''x'', ''x'', ''x'', ''x'', ''ok'')');
SELECT pg_temp.refused('SELECT healthhub.seal_audit()');
SELECT pg_temp.refused('SELECT healthhub.audit_checkpoint()');
SELECT pg_temp.refused('SELECT healthhub.verify_audit(''{}'')');
SELECT pg_temp.refused('SELECT * FROM healthhub.audit_signing_key');
RESET ROLE;

SELECT entry_id - :base AS n, CASE WHEN role_name = session_user THEN '(login role)' ELSE role_name END AS role_name,
       session_role = session_user AS session_is_login, institution_key, practitioner_key,
       action, object_kind, object_id, person_key, purpose, outcome,
       at > now() - interval '10 minutes' AND at <= clock_timestamp() AS at_is_recent
  FROM audit_entries WHERE entry_id > :base ORDER BY entry_id;
SELECT count(*) AS queued FROM audit_queue WHERE entry_id > :base;

-- bad appends
SELECT audit_append(NULL, 'document', 'doc-1');
SELECT audit_append('read', '', 'doc-1');
-- actions and object kinds are vocabulary: no free text, no personal data
SELECT audit_append('Read', 'document', 'doc-1');
SELECT audit_append('read', 'document of 张三', 'doc-1');
SELECT audit_append('read.', 'document', 'doc-1');
SELECT audit_append('document..update', 'document', 'doc-1');
SELECT audit_append('2read', 'document', 'doc-1');
SELECT pg_temp.refused('SELECT healthhub.audit_append(''read'', ''document'', ''d'', NULL, NULL, NULL)');

-- sealing: blocks of at most 3, in entry order, chained
SELECT seal_audit() AS blocks_written;
SELECT seal_audit() AS nothing_left;
SELECT count(*) AS still_queued FROM audit_queue WHERE entry_id > :base;
SELECT (SELECT array_agg(x - :base) FROM unnest(entry_ids) x) AS entries, entry_count, algorithm,
       length(entry_hashes) AS hash_bytes, length(merkle_root) AS root_bytes,
       prev_hash = lag(block_hash) OVER (ORDER BY block_no) AS linked
  FROM audit_blocks WHERE entry_ids[1] > :base ORDER BY block_no;
-- the stored hashes are what the C functions compute
SELECT bool_and(merkle_root = audit_merkle_root(algorithm, entry_hashes)) AS roots_match,
       bool_and(block_hash = audit_block_hash(algorithm, prev_hash, block_no, entry_count, merkle_root, sealed_at)) AS hashes_match
  FROM audit_blocks;
SELECT substring(b.entry_hashes FROM 1 FOR 32) =
       audit_entry_hash('sha256', e.entry_id, e.at, e.role_name, e.session_role, e.institution_key,
                        e.practitioner_key, e.action, e.object_kind, e.object_id, e.person_key, e.purpose, e.outcome)
       AS first_leaf_matches
  FROM audit_blocks b JOIN audit_entries e ON e.entry_id = b.entry_ids[1]
 WHERE e.entry_id = :base + 1;
-- RFC 6962 test vectors: the empty tree and a two-leaf tree
SELECT encode(audit_merkle_root('sha256', ''), 'hex') AS empty_sha256;
SELECT audit_merkle_root('sha256', decode(repeat('11', 32) || repeat('22', 32), 'hex')) =
       sha256('\x01'::bytea || decode(repeat('11', 32) || repeat('22', 32), 'hex')) AS two_leaves;
SELECT audit_merkle_root('sha256', '\x0102');
SELECT audit_merkle_root('md5', '');

-- SM3 (GB/T 32905): chosen per hub, recorded per block
SELECT algorithm FROM configure_audit('sm3');
SELECT encode(audit_merkle_root('sm3', ''), 'hex') AS empty_sm3;
SELECT audit_append('read', 'document', 'doc-4') - :base AS fifth;
SELECT seal_audit() AS blocks_written;
SELECT block_no = (SELECT max(block_no) FROM audit_blocks) AS last, algorithm,
       (SELECT array_agg(x - :base) FROM unnest(entry_ids) x) AS entries
  FROM audit_blocks WHERE entry_ids[1] > :base ORDER BY block_no;

-- bad settings
SELECT configure_audit('md5');
SELECT configure_audit(NULL, '0 seconds');
SELECT configure_audit(NULL, NULL, 0);
SELECT pg_temp.refused($$INSERT INTO healthhub.audit_settings (only_row, algorithm) VALUES (true, 'sha1') ON CONFLICT (only_row) DO UPDATE SET algorithm = 'sha1'$$);

-- sealing needs READ COMMITTED
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT seal_audit();
ROLLBACK;
SELECT seal_audit(0);

-- checkpoint (hub_admin) and verification (auditor)
SET ROLE audit_admin;
SELECT audit_checkpoint() AS cp \gset
RESET ROLE;
SELECT array_agg(k ORDER BY k) AS checkpoint_fields FROM jsonb_object_keys(:'cp') k;
SELECT (:'cp'::jsonb->>'block_no')::bigint = (SELECT max(block_no) FROM audit_blocks) AS head_is_last_block,
       (:'cp'::jsonb->>'entries')::bigint = (SELECT sum(entry_count) FROM audit_blocks) AS counts_all,
       :'cp'::jsonb->>'algorithm' AS algorithm,
       length(:'cp'::jsonb->>'signature') AS signature_hex_digits;
SET ROLE audit_aud;
SELECT ok, problem, block_no = (SELECT max(block_no) FROM audit_blocks) AS at_last_block, entry_id
  FROM verify_audit(:'cp');
SELECT count(*) > 0 AS auditor_reads_the_trail FROM audit_entries;
SELECT pg_temp.refused('UPDATE healthhub.audit_entries SET outcome = ''ok''');
SELECT pg_temp.refused('DELETE FROM healthhub.audit_blocks');
SELECT pg_temp.refused('SELECT healthhub.audit_checkpoint()');
RESET ROLE;
-- entries appended after the checkpoint still verify against it
SELECT audit_append('read', 'document', 'doc-5') - :base AS sixth;
SELECT ok, problem FROM verify_audit(:'cp');
SELECT seal_audit() AS blocks_written;
SELECT ok, problem FROM verify_audit(:'cp');

-- malformed and forged checkpoints
SELECT * FROM verify_audit(NULL);
SELECT * FROM verify_audit('[1, 2]');
SELECT * FROM verify_audit(:'cp'::jsonb - 'signature');
SELECT * FROM verify_audit(:'cp'::jsonb - 'block_hash');
SELECT * FROM verify_audit(jsonb_set(:'cp', '{block_hash}', '"zz"'));
SELECT * FROM verify_audit(jsonb_set(:'cp', '{algorithm}', '"md5"'));
SELECT * FROM verify_audit(jsonb_set(:'cp', '{block_no}', '"1"'));
SELECT * FROM verify_audit(jsonb_set(:'cp', '{entries}', '999999'));
SELECT * FROM verify_audit(jsonb_set(:'cp', '{signature}', to_jsonb(repeat('0', 64))));

-- append-only, even for the owner (a superuser here)
SELECT pg_temp.refused('UPDATE healthhub.audit_entries SET outcome = ''ok''');
SELECT pg_temp.refused('DELETE FROM healthhub.audit_entries');
SELECT pg_temp.refused('TRUNCATE healthhub.audit_entries');
SELECT pg_temp.refused('TRUNCATE healthhub.audit_entries_p00000');
SELECT pg_temp.refused('TRUNCATE healthhub.audit_entries_default');
SELECT pg_temp.refused('UPDATE healthhub.audit_blocks SET algorithm = ''sm3''');
SELECT pg_temp.refused('DELETE FROM healthhub.audit_blocks');
SELECT pg_temp.refused('TRUNCATE healthhub.audit_blocks');
SELECT pg_temp.refused('TRUNCATE healthhub.audit_archives');
UPDATE audit_entries SET outcome = 'ok' WHERE entry_id = :base + 3;
DELETE FROM audit_blocks;

-- partitions and archiving
SELECT inhrelid::regclass AS partition, pg_get_expr(c.relpartbound, c.oid) AS bounds
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'healthhub.audit_entries'::regclass ORDER BY 1::text;
SELECT archive_audit_partition('healthhub.audit_blocks');
SELECT archive_audit_partition('healthhub.audit_entries_default');
SELECT archive_audit_partition('healthhub.audit_entries_p00000');

-- the recorded institution follows profile changes at once, though each
-- backend remembers it per role: a changed profile, a group membership
-- granted and revoked, a role made superuser (none, it holds no profile)
CREATE ROLE audit_group;
SELECT grant_profile('audit_group', 'institution_app', 7003);
SET ROLE audit_clin;
SELECT audit_append('read', 'document', 'doc-inst') > 0 AS appended;
RESET ROLE;
SELECT institution_key AS as_granted FROM audit_entries ORDER BY entry_id DESC LIMIT 1;
SELECT revoke_profile('audit_clin', 'clinician');
SELECT grant_profile('audit_clin', 'clinician', 7002);
SET ROLE audit_clin;
SELECT audit_append('read', 'document', 'doc-inst') > 0 AS appended;
RESET ROLE;
SELECT institution_key AS regranted FROM audit_entries ORDER BY entry_id DESC LIMIT 1;
GRANT audit_group TO audit_clin;
SET ROLE audit_clin;
SELECT audit_append('read', 'document', 'doc-inst') > 0 AS appended;
RESET ROLE;
SELECT institution_key AS two_institutions_none FROM audit_entries ORDER BY entry_id DESC LIMIT 1;
REVOKE audit_group FROM audit_clin;
SET ROLE audit_clin;
SELECT audit_append('read', 'document', 'doc-inst') > 0 AS appended;
RESET ROLE;
SELECT institution_key AS group_revoked FROM audit_entries ORDER BY entry_id DESC LIMIT 1;
BEGIN;
SELECT revoke_profile('audit_clin', 'clinician');
SELECT grant_profile('audit_clin', 'clinician', 7009);
SET ROLE audit_clin;
SELECT audit_append('read', 'document', 'doc-inst') > 0 AS appended;
RESET ROLE;
SELECT institution_key AS in_the_granting_transaction FROM audit_entries ORDER BY entry_id DESC LIMIT 1;
ROLLBACK;
SET ROLE audit_clin;
SELECT audit_append('read', 'document', 'doc-inst') > 0 AS appended;
RESET ROLE;
SELECT institution_key AS grant_rolled_back FROM audit_entries ORDER BY entry_id DESC LIMIT 1;
ALTER ROLE audit_clin SUPERUSER;
SET ROLE audit_clin;
SELECT audit_append('read', 'document', 'doc-inst') > 0 AS appended;
RESET ROLE;
SELECT institution_key AS superuser_none FROM audit_entries ORDER BY entry_id DESC LIMIT 1;
ALTER ROLE audit_clin NOSUPERUSER;
SELECT revoke_profile('audit_group', 'institution_app');
DROP ROLE audit_group;

-- audit_append writes straight into the partition the entry id falls in
SELECT setval('healthhub.audit_entry_seq', 9999998);
SELECT audit_append('read', 'document', 'last-of-p0') AS entry_id;
SELECT audit_append('read', 'document', 'first-of-p1') AS entry_id;
SELECT tableoid::regclass AS partition, entry_id, object_id FROM audit_entries
 WHERE object_id IN ('last-of-p0', 'first-of-p1') ORDER BY entry_id;

-- nobody calls seal_audit(): once sealing is due, the next append starts the
-- sealer (a background worker), which seals within about a seal interval
SELECT algorithm, seal_interval, block_max FROM configure_audit('sha256', '100 milliseconds', 10000);
SELECT audit_append('read', 'document', 'for-the-sealer') > 0 AS appended;
SELECT pg_sleep(0.2) IS NOT NULL AS waited;
SELECT audit_append('read', 'document', 'starts-the-sealer') > 0 AS appended;
DO $$
BEGIN
    FOR i IN 1..200 LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM healthhub.audit_queue);
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;
SELECT e.object_id, b.block_no IS NOT NULL AS sealed
  FROM audit_entries e
  LEFT JOIN LATERAL (SELECT block_no FROM audit_blocks WHERE e.entry_id = ANY (entry_ids)) b ON true
 WHERE e.object_id IN ('for-the-sealer', 'starts-the-sealer') ORDER BY e.entry_id;
SELECT count(*) AS still_queued FROM audit_queue;

-- leave the defaults for later tests
SELECT algorithm, seal_interval, block_max FROM configure_audit('sha256', '1 second', 10000);
SELECT revoke_profile('audit_clin', 'clinician');
SELECT revoke_profile('audit_aud', 'auditor');
SELECT revoke_profile('audit_admin', 'hub_admin');
DROP ROLE audit_clin, audit_aud, audit_admin;
