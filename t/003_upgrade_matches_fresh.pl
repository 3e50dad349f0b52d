# Every upgrade path healthhub--A--B.sql ends in the same schema as a fresh
# install of the default version (compared with pg_dump --schema-only).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $sharedir = `pg_config --sharedir`;
chomp $sharedir;
my @paths = map { m{healthhub--([\d.]+)--([\d.]+)\.sql$} ? [ $1, $2 ] : () }
    glob("$sharedir/extension/healthhub--*--*.sql");
plan skip_all => 'no upgrade scripts yet: 0.1 is the first version' unless @paths;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->start;

sub schema_of
{
    my ($db) = @_;
    my $out = $node->basedir . "/$db.sql";
    system('pg_dump', '--schema-only', '--no-owner', '-f', $out, '-d', $node->connstr($db)) == 0
        or die "pg_dump $db failed";
    # pg_dump 15.14+ brackets a dump with \restrict/\unrestrict and a random key
    return join '', grep { !/^\\(un)?restrict / } split /^/m, slurp_file($out);
}

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION healthhub CASCADE');
my $fresh = schema_of('fresh');

my %from = map { $_->[0] => 1 } @paths;
for my $start (sort keys %from)
{
    my $db = "from_$start" =~ s/\./_/gr;
    $node->safe_psql('postgres', "CREATE DATABASE $db");
    $node->safe_psql($db, "CREATE EXTENSION healthhub VERSION '$start' CASCADE");
    $node->safe_psql($db, 'ALTER EXTENSION healthhub UPDATE');
    is(schema_of($db), $fresh, "upgrade from $start equals a fresh install");
}

$node->stop;
done_testing();
