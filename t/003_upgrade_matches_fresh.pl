# Every upgrade path ends where a fresh install of the default version does.
# For each released version A in versions/RELEASES a database is made at A
# and updated with ALTER EXTENSION healthhub UPDATE; then a catalog extract of
# it is compared with one of a database made by a fresh CREATE EXTENSION
# (t/HealthhubCatalog.pm says what the extract covers: every member of the
# extension with its definition, columns, constraints, indexes, triggers,
# policies, comments and privileges, the extensions it requires, and the rows
# of its tables).  On a mismatch the differing lines are printed, "-" fresh,
# "+" upgraded, each with the object it belongs to.  t/010 shows that a
# broken upgrade script is caught.
#
# pg_dump --schema-only is compared too: for an extension it writes only
# CREATE EXTENSION and the ACLs that differ from pg_init_privs.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use HealthhubCatalog;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# every release but the one being built is a start of an upgrade path
my @releases = HealthhubNode::releases();
my $building = pop @releases;
plan skip_all => "no upgrade scripts yet: $building is the first version" unless @releases;

my $node = hub_node('upgrade');
$node->start;

# releases up to 0.5 required pgcrypto, 0.6 does not
my $requires = q{SELECT coalesce(string_agg(r.extname, ' ' ORDER BY r.extname), 'nothing')
                   FROM pg_extension e
                   JOIN pg_depend d ON d.classid = 'pg_extension'::regclass AND d.objid = e.oid
                                   AND d.refclassid = 'pg_extension'::regclass
                   JOIN pg_extension r ON r.oid = d.refobjid
                  WHERE e.extname = 'healthhub'};
my %required_by_release = map { $_ => 'pgcrypto' } qw(0.1 0.2 0.3 0.4 0.5);

$node->safe_psql('postgres', 'CREATE DATABASE hh_fresh');
$node->safe_psql('hh_fresh', 'CREATE EXTENSION healthhub');   # no CASCADE: it requires nothing
my $default = $node->safe_psql('hh_fresh', "SELECT extversion FROM pg_extension WHERE extname = 'healthhub'");
is($default, $building, "the default version is the last of versions/RELEASES, $building");
is($node->safe_psql('hh_fresh', $requires), 'nothing', "a fresh $default requires no other extension");
my $fresh = HealthhubCatalog::extract($node, 'hh_fresh');
my $fresh_schema = HealthhubCatalog::schema_of($node, 'hh_fresh');

# The extract must see what there is to see.
my %count;
for (@$fresh)
{
    $count{members}++ if $_->[2] eq 'member';
    $count{definition_lines}++ if $_->[1] > 0;
    $count{ $1 =~ s/^healthhub\.//r }++ if $_->[2] =~ /^row / && $_->[0] =~ /^table (\S+)$/;
}
note "fresh $default: " . scalar(@$fresh) . ' lines, ' . join ', ', map { "$_ $count{$_}" } sort keys %count;
cmp_ok($count{members} // 0, '>', 100, 'the extract lists the members of the extension');
cmp_ok($count{definition_lines} // 0, '>', 1000, 'the extract has the function and view definitions');
for my $t (qw(profiles profile_privileges masking_policy regions))
{
    my $exists = $node->safe_psql('hh_fresh', "SELECT to_regclass('healthhub.$t') IS NOT NULL");
    next unless $exists eq 't';     # a version without the table
    cmp_ok($count{$t} // 0, '>', 0, "the extract has the shipped rows of healthhub.$t");
}

for my $start (@releases)
{
    my $db = "hh_from_$start" =~ s/\./_/gr;
    $node->safe_psql('postgres', "CREATE DATABASE $db");
    $node->safe_psql($db, "CREATE EXTENSION healthhub VERSION '$start' CASCADE");
    is($node->safe_psql($db, $requires), $required_by_release{$start} // 'nothing',
        "$start as released requires " . ($required_by_release{$start} // 'nothing'));
    $node->safe_psql($db, 'ALTER EXTENSION healthhub UPDATE');
    my ($objects, $lines) = HealthhubCatalog::compare($fresh, HealthhubCatalog::extract($node, $db));
    is(scalar(@$lines), 0, "$start updated to $default has the catalog of a fresh $default (differing lines)")
      or diag(HealthhubCatalog::report($objects, $lines, "a fresh install of $default", "$start updated to $default"));
    # (the extract has the requires lines too; this says it in words)
    is($node->safe_psql($db, $requires), 'nothing', "$start updated to $default no longer requires pgcrypto");
    if ($required_by_release{$start})
    {
        # nothing depends on it any more: it goes without CASCADE (and then
        # pg_dump has no CREATE EXTENSION pgcrypto that a fresh install lacks)
        my ($ret, $out, $err) = $node->psql($db, 'DROP EXTENSION pgcrypto');
        is($ret, 0, "$start updated to $default: pgcrypto can be dropped") or diag($err);
    }
    is(HealthhubCatalog::schema_of($node, $db), $fresh_schema,
        "$start updated to $default: pg_dump --schema-only (extension ACLs) equals a fresh install's");
}

# Roles holding profiles before an upgrade hold the current rights of their
# profiles after it and refresh_profile_privileges(), which the update says
# to run.  (On databases of their own: a GRANT or REVOKE in an upgrade
# script records the ACL it leaves, roles' grants included, as the
# extension's initial privileges, which the comparison above would see.)
for my $start (@releases)
{
    my $db = "hh_roles_from_$start" =~ s/\./_/gr;
    my $role = "hh_up_$db";
    $node->safe_psql('postgres', "CREATE DATABASE $db");
    $node->safe_psql($db, "CREATE EXTENSION healthhub VERSION '$start' CASCADE");
    next unless $node->safe_psql($db, "SELECT to_regclass('healthhub.role_profiles') IS NOT NULL") eq 't';
    my $granted = $node->safe_psql($db, qq{
        CREATE ROLE $role;
        SELECT string_agg(p.profile, ' ' ORDER BY p.profile)
          FROM (SELECT p.profile, healthhub.grant_profile('$role', p.profile) FROM healthhub.profiles p
                 WHERE p.profile IN ('hub_admin', 'insurer', 'resident_service', 'statistician', 'auditor')) p});
    my ($ret, $out, $err) = $node->psql($db, 'ALTER EXTENSION healthhub UPDATE');
    like($err, qr/roles hold healthhub profiles: give them this release's rights/,
         "$start updated to $default with roles holding profiles: the update says to refresh their rights");
    $node->safe_psql($db, 'SELECT healthhub.refresh_profile_privileges()');
    my $missing = missing_profile_rights($node, $db, $role);
    is($missing, '', "$start updated to $default: a role granted $granted before holds its profiles' rights after");
    $node->safe_psql('postgres', "DROP DATABASE $db");
    $node->safe_psql('postgres', "DROP ROLE $role");
}

$node->stop;
done_testing();
