# When sealing is due but cannot succeed (here: an entry queued for sealing
# was deleted behind the trail's back), the sealer backs off and gives up
# instead of retrying at full speed: 0.4 logged a WARNING and ran two
# transactions per loop, without a pause, for as long as the cause stayed.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = hub_node('sealer');
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION healthhub CASCADE;
    SELECT healthhub.init_hub('440300', 1);
    SELECT healthhub.configure_audit('sha256', '100 milliseconds', 5);
    SELECT healthhub.audit_append('read', 'document', 'doc-' || g) FROM generate_series(1, 3) g;
});
# the tampering: an entry gone, its id still queued
$node->safe_psql('postgres', q{
    SET session_replication_role = replica;
    DELETE FROM healthhub.audit_entries WHERE object_id = 'doc-2';
});

my $log_start = -s $node->logfile;
usleep(200_000);
# a writer finds sealing due and starts the sealer
$node->safe_psql('postgres', q{SELECT healthhub.audit_append('read', 'document', 'doc-4')});
sleep 4;
my $log = slurp_file($node->logfile, $log_start);
my $warnings = () = $log =~ /audit sealing failed/g;
cmp_ok($warnings, '>=', 1, 'the failing sealer says so');
cmp_ok($warnings, '<=', 12, "and backs off ($warnings warnings in 4 s)");

my $sealers = $node->safe_psql('postgres',
    q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'healthhub audit sealer'});
ok($sealers <= 1, 'at most one sealer runs');

$node->stop;
done_testing();
