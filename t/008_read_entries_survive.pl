# A read's audit entry is committed before the data is returned: it
# survives the reader's crash as it survives a rollback.  Without the
# preloaded library (no shared memory for the audit writer) reads are
# refused, never returned without their entry.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = hub_node('reads');
# as durable as a production hub
$node->append_conf('postgresql.conf', "fsync = on\nsynchronous_commit = off");
$node->start;
$node->safe_psql('postgres', q{
    CREATE EXTENSION healthhub CASCADE;
    SELECT healthhub.init_hub('440300', 1);
});

# a reader inside an open transaction: the entry id comes back, then the
# server dies before the reader's transaction ends
my $reader = $node->background_psql('postgres');
$reader->query_safe('BEGIN');
my $read_id = $reader->query_safe(
    q{SELECT healthhub.audit_append('read', 'document', 'emr:crash-test', NULL, 'treatment')});
my $change_id = $reader->query_safe(
    q{SELECT healthhub.audit_append('document.update', 'document', 'emr:crash-test', NULL, 'treatment')});
$node->stop('immediate');
$reader->{run}->kill_kill;
$node->start;

is($node->safe_psql('postgres',
        "SELECT action || ' ' || object_id FROM healthhub.audit_entries WHERE entry_id = $read_id"),
    'read emr:crash-test', 'the read entry survives a crash of the server mid-transaction');
is($node->safe_psql('postgres',
        "SELECT count(*) FROM healthhub.audit_entries WHERE entry_id = $change_id"),
    '0', 'the uncommitted change entry is gone with its transaction');
is($node->safe_psql('postgres', q{
    SELECT healthhub.audit_append('read', 'document', 'emr:sync-test') > 0}), 't',
    'reads are recorded after the restart');

# no preloaded library: reads are refused, changes are recorded as before
my $plain = hub_node('plain', preload => 0);
$plain->start;
$plain->safe_psql('postgres', q{
    CREATE EXTENSION healthhub CASCADE;
    SELECT healthhub.init_hub('440300', 2);
});
my ($ret, $out, $err) = $plain->psql('postgres', q{
    \set VERBOSITY verbose
    SELECT healthhub.audit_append('read', 'document', 'emr:plain')});
like($err, qr/55000: healthhub cannot record reads: it is not in shared_preload_libraries/,
    'without shared_preload_libraries a read is refused (55000)');
is($plain->safe_psql('postgres', q{
    SELECT healthhub.audit_append('document.update', 'document', 'emr:plain') > 0}), 't',
    'a change is still recorded in its transaction');
is($plain->safe_psql('postgres', q{
    SELECT count(*) FROM healthhub.audit_entries WHERE action = 'read'}), '0',
    'and no read entry was written');

done_testing();
