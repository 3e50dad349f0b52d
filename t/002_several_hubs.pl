# Keys minted by different hubs never collide: each embeds its hub's id, and
# so does every person key the master person index makes (the same patient
# linked at two hubs gets two keys that will never be confused when the hubs
# federate).  Inside one hub of several nodes (Citus workers that mint),
# each node mints in its own part of the hub's block: two databases with
# one identity stand for two nodes here.  And a database that is not UTF8 is
# refused at CREATE EXTENSION.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my %hubs = (beijing => [ '110000', 1 ], guangdong => [ '440000', 1 ], shenzhen => [ '440300', 2 ]);
my %keys;
for my $name (sort keys %hubs)
{
    my $node = hub_node($name);
    $node->start;
    my ($region, $instance) = @{ $hubs{$name} };
    $node->safe_psql('postgres', qq{
        CREATE EXTENSION healthhub CASCADE;
        SELECT healthhub.init_hub('$region', $instance);
    });
    my @k = split /\n/, $node->safe_psql('postgres',
        'SELECT healthhub.mint_key() FROM generate_series(1, 1000)');
    is(scalar(@k), 1000, "$name minted 1000 keys");
    my $hub = $node->safe_psql('postgres', 'SELECT healthhub.hub_id()');
    is($hub, sprintf('%s%02d', $region, $instance), "$name has hub id $hub");
    my $foreign = grep { int($_ / 10_000_000_000) != $hub } @k;
    is($foreign, 0, "every key of $name embeds its hub id");
    $keys{$_}++ for @k;
    my $person = $node->safe_psql('postgres', q{
        SELECT person_key FROM healthhub.link_record('H1', 'a-1', '张三', '1', '1980-05-06', '110105198005060010')});
    is(int($person / 10_000_000_000), $hub, "a person linked at $name carries its hub id");
    $keys{$person}++;

    if ($name eq 'beijing')
    {
        $node->safe_psql('postgres',
            q{CREATE DATABASE latin TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'});
        my ($ret, $out, $err) = $node->psql('latin', 'CREATE EXTENSION healthhub CASCADE');
        isnt($ret, 0, 'CREATE EXTENSION fails in a SQL_ASCII database');
        like($err, qr/healthhub requires a UTF8 database/, 'with a clear message');
        like($err, qr/uses encoding SQL_ASCII/, 'naming the encoding');
        is($node->safe_psql('latin',
            q{SELECT count(*) FROM pg_namespace WHERE nspname = 'healthhub'}),
            '0', 'and nothing is left behind');
    }
    $node->stop;
}
is(scalar(keys %keys), 3003, 'no key, person keys included, collides across hubs');

# Two nodes of one hub: the 0.3 check minted 2,001 keys on two workers and
# got 1,001 distinct ones; with node parts every key and record id differs.
my $citus = hub_node('two_nodes');
$citus->start;
my %minted;
for my $n (1, 2)
{
    $citus->safe_psql('postgres', "CREATE DATABASE node$n");
    $citus->safe_psql("node$n", qq{
        CREATE EXTENSION healthhub;
        SELECT healthhub.init_hub('440300', 1);
        SELECT healthhub.set_hub_node($n);
    });
    is($citus->safe_psql("node$n", 'SELECT healthhub.hub_node()'), $n, "node$n knows its node part");
    for my $what ('healthhub.mint_key()', q{nextval('healthhub.record_seq')})
    {
        my @k = split /\n/, $citus->safe_psql("node$n", "SELECT $what FROM generate_series(1, 1001)");
        my $stray = grep { int(($_ % 10_000_000_000) / 1_000_000_000) != $n
                           || int($_ / 10_000_000_000) != 44030001 } @k;
        is($stray, 0, "every $what of node$n carries the hub and node $n");
        $minted{$what}{$_}++ for @k;
    }
}
is(scalar(keys %{ $minted{$_} }), 2002, "$_: 2,002 minted on two nodes of one hub, 2,002 distinct")
  for sort keys %minted;
$citus->stop;

done_testing();
