# The test of the upgrade test: t/003's comparison (t/HealthhubCatalog.pm)
# reports a broken upgrade script, and names what it broke.
#
# A scratch installation (t/HealthhubNode.pm, scratch_install) holds the
# installed extension files, except the upgrade from the last release to the
# version being built, which this test writes: first the real delta (the
# comparison finds no difference: the scratch installation is faithful), then
# the real delta with a mistake appended, the kind a hand-written delta makes:
#   - a function whose body differs from src/ (a fix the delta forgot, or
#     got wrong): "+" lines in that function's definition;
#   - a GRANT the delta forgot: the privileges of the object differ;
#   - a REVOKE the delta forgot (EXECUTE left to PUBLIC): the same.
# Each time a database is made at the last release and updated, and compared
# with a fresh install of the version being built, as t/003 does.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use HealthhubCatalog;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my @releases = HealthhubNode::releases();
plan skip_all => 'no upgrade script: only one release' if @releases < 2;
my ($from, $to) = @releases[ -2, -1 ];
my $delta_name = "healthhub--$from--$to.sql";
my $sharedir = `pg_config --sharedir`;
chomp $sharedir;
my $real_delta = slurp_file("$sharedir/extension/$delta_name");

my $scratch = PostgreSQL::Test::Utils::tempdir('scratch_install');
my $inst = scratch_install($scratch, $delta_name => $real_delta);
my $delta_path = "$scratch$sharedir/extension/$delta_name";

my $node = hub_node('scratch', install_path => $inst);
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE hh_fresh');
$node->safe_psql('hh_fresh', 'CREATE EXTENSION healthhub');
is($node->safe_psql('hh_fresh', "SELECT extversion FROM pg_extension WHERE extname = 'healthhub'"),
    $to, "the scratch installation installs $to");
my $fresh = HealthhubCatalog::extract($node, 'hh_fresh');

# Make a database at $from, update it with $delta as the upgrade script, and
# compare it with the fresh install.
my $n = 0;
sub upgraded_with
{
    my ($delta) = @_;
    open my $fh, '>', $delta_path or die "$delta_path: $!";
    print $fh $delta;
    close $fh;
    my $db = 'hh_case_' . ++$n;
    $node->safe_psql('postgres', "CREATE DATABASE $db");
    $node->safe_psql($db, "CREATE EXTENSION healthhub VERSION '$from' CASCADE");
    $node->safe_psql($db, 'ALTER EXTENSION healthhub UPDATE');
    return HealthhubCatalog::compare($fresh, HealthhubCatalog::extract($node, $db));
}

# The comparison reports exactly the object $k, with a "+" line matching $re.
sub caught
{
    my ($what, $k, $re, $objects, $lines) = @_;
    note HealthhubCatalog::report($objects, $lines, "a fresh install of $to", "$from updated with $what");
    ok(scalar(@$lines) > 0, "$what: the comparison reports differing lines");
    is_deeply([ map { s/^  (.*): .*$/$1/r } @$objects ], [$k], "$what: the one object it reports is $k");
    ok(scalar(grep { /^\+ \Q$k\E: / && /$re/ } @$lines), "$what: the differing line is shown")
      or diag(join "\n", @$lines);
}

my ($objects, $lines) = upgraded_with($real_delta);
is(scalar(@$lines), 0, "the real $delta_name: no difference (the scratch installation is faithful)")
  or diag(HealthhubCatalog::report($objects, $lines, "a fresh install of $to", "$from updated to $to"));

# 1. a function body that differs from src/: the first PL/pgSQL function
#    (by name) with one BEGIN, which a statement is added after
my ($sig, $def) = split /\x1f/, $node->safe_psql('hh_fresh', q{
    SELECT p.oid::regprocedure || chr(31) || pg_get_functiondef(p.oid)
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace = 'healthhub'::regnamespace AND l.lanname = 'plpgsql'
       AND p.prosrc ~* '\mbegin\M' AND p.prosrc !~* '\mbegin\M.*\mbegin\M'
     ORDER BY p.proname, 1 LIMIT 1}), 2;
ok(defined $def, "a PL/pgSQL function to alter: $sig");
my $altered = $def =~ s/\bBEGIN\b/BEGIN\n    PERFORM 'altered by a broken upgrade script';/ir;
isnt($altered, $def, "its body is altered");
my $k = $node->safe_psql('hh_fresh', "SELECT pg_describe_object('pg_proc'::regclass, '$sig'::regprocedure, 0)");
caught('a function body altered', $k, qr/\| .*PERFORM 'altered by a broken upgrade script'/,
    upgraded_with("$real_delta\n-- broken: $sig keeps another body\n$altered;\n"));

# 2. a GRANT the delta forgot: the schema's USAGE for PUBLIC
$k = 'schema healthhub';
caught('a GRANT forgotten', $k, qr/acl: /,
    upgraded_with("$real_delta\n-- broken: no USAGE for PUBLIC\nREVOKE USAGE ON SCHEMA healthhub FROM PUBLIC;\n"));

# 3. a REVOKE the delta forgot: EXECUTE left to PUBLIC on a function a fresh
#    install keeps from it (the first by name)
$sig = $node->safe_psql('hh_fresh', q{
    SELECT p.oid::regprocedure
      FROM pg_proc p
     WHERE p.pronamespace = 'healthhub'::regnamespace AND p.proacl IS NOT NULL
       AND NOT EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0)
     ORDER BY p.proname, 1 LIMIT 1});
ok($sig ne '', "a function PUBLIC may not execute: $sig");
$k = $node->safe_psql('hh_fresh', "SELECT pg_describe_object('pg_proc'::regclass, '$sig'::regprocedure, 0)");
caught('a REVOKE forgotten', $k, qr/acl: .*=X\//,
    upgraded_with("$real_delta\n-- broken: EXECUTE left to PUBLIC\nGRANT EXECUTE ON FUNCTION $sig TO PUBLIC;\n"));

$node->stop;
done_testing();
