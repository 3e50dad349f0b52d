# A superuser who tampers with the audit trail is found out by
# healthhub.verify_audit() and a checkpoint kept outside the database: each
# attack runs on a fresh copy of the same trail (one database each) and the
# report names the problem and the first block and entry affected.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = hub_node('audit');
$node->start;

# Entries 1 and 2 record init_hub and configure_audit (hub.insert,
# audit_settings.insert), 3-11 doc-1..9; id 12 is burnt by a rolled-back
# append.  Blocks of five: [1-5] [6-10] [11,13-16] [17-21] [22-26],
# checkpoint at block 5, then doc-25..27 in block 6.
sub build_trail
{
    my ($db) = @_;
    $node->safe_psql('postgres', "CREATE DATABASE $db");
    $node->safe_psql($db, q{
        CREATE EXTENSION healthhub CASCADE;
        SELECT healthhub.init_hub('440300', 1);
        SELECT healthhub.configure_audit('sha256', '1 hour', 5);
        SELECT healthhub.audit_append('read', 'document', 'doc-' || g, g, 'treatment')
          FROM generate_series(1, 9) g;
        BEGIN;
        SELECT healthhub.audit_append('document.update', 'document', 'rolled-back');
        ROLLBACK;
        SELECT healthhub.audit_append('read', 'document', 'doc-' || g, g, 'treatment')
          FROM generate_series(11, 24) g;
    });
    my $cp = $node->safe_psql($db, 'SELECT healthhub.audit_checkpoint()');
    $node->safe_psql($db, q{
        SELECT healthhub.audit_append('read', 'document', 'doc-' || g) FROM generate_series(25, 27) g;
        SELECT healthhub.seal_audit();
    });
    return $cp;
}

sub verify
{
    my ($db, $cp) = @_;
    return $node->safe_psql($db,
        "SELECT ok, problem, block_no, entry_id FROM healthhub.verify_audit('$cp')");
}

my $cp = build_trail('intact');
is($node->safe_psql('intact', q{SELECT string_agg(block_no || ':' || entry_count, ' ' ORDER BY block_no)
                                  FROM healthhub.audit_blocks}),
   '1:5 2:5 3:5 4:5 5:5 6:3', 'the trail has the expected blocks');
like($cp, qr/"block_no": 5/, 'the checkpoint is at block 5');
is(verify('intact', $cp), 't||6|', 'the intact trail verifies');

# (1) UPDATE an entry after disabling the triggers
$cp = build_trail('updated');
$node->safe_psql('updated', q{
    ALTER TABLE healthhub.audit_entries DISABLE TRIGGER ALL;
    ALTER TABLE healthhub.audit_entries_p00000 DISABLE TRIGGER ALL;
    UPDATE healthhub.audit_entries SET outcome = 'denied' WHERE entry_id = 7;
});
is(verify('updated', $cp), 'f|entry altered|2|7', '(1) UPDATE with triggers disabled: entry 7 of block 2 altered');

# (2) cut the tail: the last blocks and their entries
$cp = build_trail('cut');
$node->safe_psql('cut', q{
    SET session_replication_role = replica;
    DELETE FROM healthhub.audit_blocks WHERE block_no >= 4;
    DELETE FROM healthhub.audit_entries WHERE entry_id >= 17;
});
is(verify('cut', $cp), 'f|block removed|4|', '(2) tail cut: block 4 onwards removed');
like($node->safe_psql('cut', "SELECT detail FROM healthhub.verify_audit('$cp')"),
     qr/The trail ends at block 3 but the checkpoint was taken at block 5/, '(2) and says where the trail ends');

# (3) TRUNCATE: the entries alone, then everything
$cp = build_trail('truncated');
$node->safe_psql('truncated', q{
    SET session_replication_role = replica;
    TRUNCATE healthhub.audit_entries;
});
is(verify('truncated', $cp), 'f|entry removed|1|1', '(3) entries truncated: entry 1 of block 1 removed');
$node->safe_psql('truncated', q{
    SET session_replication_role = replica;
    TRUNCATE healthhub.audit_blocks, healthhub.audit_queue;
});
is(verify('truncated', $cp), 'f|block removed|1|', '(3) everything truncated: block 1 removed');

# (4) detach the partition holding the entries
$cp = build_trail('detached');
$node->safe_psql('detached', 'ALTER TABLE healthhub.audit_entries DETACH PARTITION healthhub.audit_entries_p00000');
is(verify('detached', $cp), 'f|entry removed|1|1', '(4) partition detached: entry 1 of block 1 removed');

# (5) a forged entry inserted into the sealed range (the burnt id 12)
$cp = build_trail('forged');
$node->safe_psql('forged', q{
    INSERT INTO healthhub.audit_entries (entry_id, at, role_name, session_role, action, object_kind, object_id, outcome)
    VALUES (12, now() - interval '1 hour', 'clin', 'clin', 'read', 'document', 'doc-12', 'ok');
});
is(verify('forged', $cp), 'f|entry inserted|3|12', '(5) forged entry 12 inserted into block 3');

# (6) rewrite the chain consistently: alter an entry and recompute every
# entry hash, Merkle root and block hash from there on
$cp = build_trail('rewritten');
$node->safe_psql('rewritten', q{
    SET session_replication_role = replica;
    UPDATE healthhub.audit_entries SET outcome = 'denied' WHERE entry_id = 7;
    DO $$
    DECLARE
        b record;
        prev bytea;
        hashes bytea;
        root bytea;
    BEGIN
        FOR b IN SELECT * FROM healthhub.audit_blocks ORDER BY block_no LOOP
            IF b.block_no >= 2 THEN
                SELECT string_agg(healthhub.audit_entry_hash(b.algorithm, e.entry_id, e.at, e.role_name,
                           e.session_role, e.institution_key, e.practitioner_key, e.action, e.object_kind,
                           e.object_id, e.person_key, e.purpose, e.outcome), ''::bytea ORDER BY e.entry_id)
                  INTO hashes FROM healthhub.audit_entries e WHERE e.entry_id = ANY (b.entry_ids);
                root := healthhub.audit_merkle_root(b.algorithm, hashes);
                UPDATE healthhub.audit_blocks
                   SET entry_hashes = hashes, merkle_root = root, prev_hash = prev,
                       block_hash = healthhub.audit_block_hash(b.algorithm, prev, b.block_no, b.entry_count, root, b.sealed_at)
                 WHERE block_no = b.block_no;
            END IF;
            SELECT block_hash INTO prev FROM healthhub.audit_blocks WHERE block_no = b.block_no;
        END LOOP;
    END
    $$;
});
is(verify('rewritten', $cp), 'f|checkpoint mismatch|5|', '(6) consistent rewrite: block 5 no longer matches the checkpoint');
# with no checkpoint to compare, the rewritten chain is internally consistent:
# that is what the checkpoint kept outside the database is for
my $fresh = $node->safe_psql('rewritten', 'SELECT healthhub.audit_checkpoint()');
is(verify('rewritten', $fresh), 't||6|', '(6) a checkpoint taken after the rewrite cannot tell');

# a checkpoint from another hub's trail does not verify here
my ($ret, $out, $err) = $node->psql('intact', "SELECT * FROM healthhub.verify_audit('$cp')");
isnt($ret, 0, 'a checkpoint signed by another database is refused');
like($err, qr/checkpoint signature does not verify/, 'as a bad signature');

$node->stop;
done_testing();
