# Keys minted by different hubs never collide: each embeds its hub's id, and
# so does every person key the master person index makes (the same patient
# linked at two hubs gets two keys that will never be confused when the hubs
# federate).  And a database that is not UTF8 is refused at CREATE EXTENSION.
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

done_testing();
