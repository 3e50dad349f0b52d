# A role granted profiles at an early release keeps its profiles' rights
# through the upgrades, a dump and a restore, once
# refresh_profile_privileges() has run where docs/install.md says: after
# the update, and after restoring a hub updated from 0.5 or earlier (whose
# upgrade scripts recorded the role's grants as the extension's own, which
# pg_dump leaves out; this test shows that they do, so the remedy is needed).
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $start = '0.4';
plan skip_all => "release $start is not in versions/RELEASES" unless grep { $_ eq $start } HealthhubNode::releases();

my $node = hub_node('roles');
$node->start;

# how many of the rights its profiles give it now a role lacks
sub missing
{
    my ($db, $role) = @_;
    my $list = missing_profile_rights($node, $db, $role);
    return $list eq '' ? 0 : scalar(split /, /, $list);
}

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('postgres', 'CREATE ROLE early_auditor');
$node->safe_psql('src', "CREATE EXTENSION healthhub VERSION '$start' CASCADE");
$node->safe_psql('src', "SELECT healthhub.grant_profile('early_auditor', p) FROM unnest(ARRAY['auditor', 'statistician']) p");
is(missing('src', 'early_auditor'), '0', "at $start the role holds its profiles' rights");

my ($ret, $out, $err) = $node->psql('src', 'ALTER EXTENSION healthhub UPDATE');
is($ret, 0, "$start updated to the default version");
like($err, qr/refresh_profile_privileges/, 'the update says to refresh the roles\' rights');
cmp_ok(missing('src', 'early_auditor'), '>', 0, 'before the refresh the role lacks the rights of the new releases');
$node->safe_psql('src', 'SELECT healthhub.refresh_profile_privileges()');
is(missing('src', 'early_auditor'), '0', 'after the refresh it holds them all');

# dump and restore into a new database of the same cluster (the role exists)
my $dump = $node->basedir . '/src.dump';
command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ], 'pg_dump succeeds');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
{
    local $ENV{PGOPTIONS} = '-c healthhub.restoring=on';
    command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('dst'), $dump ], 'pg_restore succeeds');
}
is($node->safe_psql('dst', "SELECT string_agg(profile, ' ' ORDER BY profile) FROM healthhub.role_profiles
                             WHERE role_name = 'early_auditor'"), 'auditor statistician',
   'the restored hub says the role holds its profiles');
cmp_ok(missing('dst', 'early_auditor'), '>', 0,
       'the restore lacks rights the early upgrades recorded as the extension\'s own (why the remedy is needed)');
$node->safe_psql('dst', 'SELECT healthhub.refresh_profile_privileges()');
is(missing('dst', 'early_auditor'), '0', 'after refresh_profile_privileges() the restored role holds them all');

$node->stop;
done_testing();
