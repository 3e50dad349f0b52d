# Archiving takes old entries out of the trail on purpose, and
# healthhub.verify_audit() accepts their absence only when the archiving is
# proven by the trail itself: a whole partition, an archive entry written by
# healthhub.archive_audit_partition(), entries sealed six months before it.
# A superuser who detaches a recent partition and forges the archive record
# (with or without a forged archive entry) is found out.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = hub_node('archive');
$node->start;

# Entries 1-9 (init_hub, configure_audit, doc-1..7) in blocks of five
# (sealed), then, if $age is given, the trail
# is moved that far into the past (entries, block times and the chain
# recomputed, as if the hub had run then); then entries 10000000-10000001 in
# the next partition, sealed, and a checkpoint.
sub build_trail
{
    my ($db, $age) = @_;
    $node->safe_psql('postgres', "CREATE DATABASE $db");
    $node->safe_psql($db, q{
        CREATE EXTENSION healthhub CASCADE;
        SELECT healthhub.init_hub('440300', 1);
        SELECT healthhub.configure_audit('sha256', '1 hour', 5);
        SELECT healthhub.audit_append('read', 'document', 'doc-' || g, g, 'treatment')
          FROM generate_series(1, 7) g;
        SELECT healthhub.seal_audit();
    });
    $node->safe_psql($db, qq{
        SET session_replication_role = replica;
        UPDATE healthhub.audit_entries SET at = at - interval '$age';
        DO \$\$
        DECLARE
            b       record;
            prev    bytea := '\\x' || repeat('00', 32);
            hashes  bytea;
            root    bytea;
            bh      bytea;
        BEGIN
            FOR b IN SELECT * FROM healthhub.audit_blocks ORDER BY block_no LOOP
                SELECT string_agg(healthhub.audit_entry_hash(b.algorithm, e.entry_id, e.at, e.role_name,
                                      e.session_role, e.institution_key, e.practitioner_key, e.action,
                                      e.object_kind, e.object_id, e.person_key, e.purpose, e.outcome),
                                  ''::bytea ORDER BY e.entry_id)
                  INTO hashes FROM healthhub.audit_entries e WHERE e.entry_id = ANY (b.entry_ids);
                root := healthhub.audit_merkle_root(b.algorithm, hashes);
                bh := healthhub.audit_block_hash(b.algorithm, prev, b.block_no, b.entry_count, root,
                                                 b.sealed_at - interval '$age');
                UPDATE healthhub.audit_blocks
                   SET entry_hashes = hashes, merkle_root = root, prev_hash = prev, block_hash = bh,
                       sealed_at = b.sealed_at - interval '$age'
                 WHERE block_no = b.block_no;
                prev := bh;
            END LOOP;
        END
        \$\$;
    }) if $age;
    $node->safe_psql($db, q{
        SELECT setval('healthhub.audit_entry_seq', 9999999);
        SELECT healthhub.audit_append('read', 'document', 'doc-new-' || g) FROM generate_series(1, 2) g;
        SELECT healthhub.seal_audit();
    });
    return $node->safe_psql($db, 'SELECT healthhub.audit_checkpoint()');
}

sub verify
{
    my ($db, $cp) = @_;
    return $node->safe_psql($db,
        "SELECT ok, problem, block_no, entry_id FROM healthhub.verify_audit('$cp')");
}

sub verify_detail
{
    my ($db, $cp) = @_;
    return $node->safe_psql($db, "SELECT detail FROM healthhub.verify_audit('$cp')");
}

# (1) a trail seven months old: its first partition is archived and dropped
my $cp = build_trail('aged', '7 months');
is(verify('aged', $cp), 't||3|', 'the aged trail verifies');
is($node->safe_psql('aged', q{
        SELECT partition_name, first_entry_id, end_entry_id, entries, last_block_no
          FROM healthhub.archive_audit_partition('healthhub.audit_entries_p00000')}),
   'healthhub.audit_entries_p00000|0|10000000|9|2', '(1) the old partition is archived');
$node->safe_psql('aged', 'DROP TABLE healthhub.audit_entries_p00000');
$cp = $node->safe_psql('aged', 'SELECT healthhub.audit_checkpoint()');
is(verify('aged', $cp), 't||4|', '(1) the trail still verifies without the archived entries');
is($node->safe_psql('aged', q{SELECT action || ' ' || object_id || ' ' || purpose FROM healthhub.audit_entries
                                WHERE action = 'archive'}),
   'archive 0-10000000 retention', '(1) the archiving is itself on the trail');

# (2) the archive function refuses what is younger than six months
$cp = build_trail('young', '5 months');
my ($ret, $stdout, $stderr) = $node->psql('young',
    q{SELECT healthhub.archive_audit_partition('healthhub.audit_entries_p00000')});
like($stderr, qr/holds entries younger than six months/, '(2) five-month-old entries are not archived');

# (3) a recent partition detached and dropped, and an archive record forged
# without an archive entry
$cp = build_trail('forged_row');
$node->safe_psql('forged_row', q{
    ALTER TABLE healthhub.audit_entries DETACH PARTITION healthhub.audit_entries_p00000;
    ALTER EXTENSION healthhub DROP TABLE healthhub.audit_entries_p00000;
    DROP TABLE healthhub.audit_entries_p00000;
    INSERT INTO healthhub.audit_archives (partition_name, first_entry_id, end_entry_id, entries,
                                          archive_entry_id)
    VALUES ('healthhub.audit_entries_p00000', 0, 10000000, 7, 10000001);
});
is(verify('forged_row', $cp), "f|entry removed|1|1\nf|archive unrecorded||0",
   '(3) forged archive record: entry 1 removed, and the record has no archive entry');
like(verify_detail('forged_row', $cp), qr/no archive entry on the trail/, '(3) and the record is unproven');

# (4) the same with a forged archive entry: the entries were sealed too recently
$cp = build_trail('forged_entry');
$node->safe_psql('forged_entry', q{
    ALTER TABLE healthhub.audit_entries DETACH PARTITION healthhub.audit_entries_p00000;
    ALTER EXTENSION healthhub DROP TABLE healthhub.audit_entries_p00000;
    DROP TABLE healthhub.audit_entries_p00000;
    INSERT INTO healthhub.audit_archives (partition_name, first_entry_id, end_entry_id, entries,
                                          archive_entry_id)
    VALUES ('healthhub.audit_entries_p00000', 0, 10000000, 7,
            healthhub.audit_append('archive', 'audit_entries', '0-10000000', NULL, 'retention'));
    SELECT healthhub.seal_audit();
});
is(verify('forged_entry', $cp), 'f|entry removed|1|1', '(4) forged archive entry: entry 1 removed');
like(verify_detail('forged_entry', $cp), qr/less than six months before the archiving/,
     '(4) and the entries were sealed too recently to be archived');

# (5) a true archive record widened past its partition proves nothing
$cp = build_trail('widened', '7 months');
$node->safe_psql('widened', q{
    SELECT healthhub.archive_audit_partition('healthhub.audit_entries_p00000');
    DROP TABLE healthhub.audit_entries_p00000;
    SET session_replication_role = replica;
    UPDATE healthhub.audit_archives SET end_entry_id = 20000000;
});
is(verify('widened', $cp), "f|entry removed|1|1\nf|archive unrecorded|2|0",
   '(5) widened archive record: entry 1 removed, and the record no longer matches its entry');
like(verify_detail('widened', $cp), qr/no archive entry on the trail/, '(5) and the record is unproven');

done_testing();
