# pg_dump + pg_restore into a new database keeps every extension-owned
# configuration row (hub identity, key sequence, local regions) and every
# value of every healthhub type, and shipped rows are not duplicated.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('hub');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
    CREATE EXTENSION healthhub CASCADE;
    SELECT healthhub.init_hub('440300', 7);
    SELECT healthhub.mint_key() FROM generate_series(1, 3);
    INSERT INTO healthhub.regions (code, name, level, parent, kind)
        VALUES ('440399', '测试区', 'county', '440300', 'division');
    CREATE TABLE people (
        id      healthhub.resident_id PRIMARY KEY,
        org     healthhub.uscc,
        place   healthhub.region_code,
        card    healthhub.health_identifier UNIQUE
    );
    INSERT INTO people VALUES
        ('11010519491231002X', '91110000600037341L', '110105', 'passport:CHN:E12345678'),
        ('440524188001010014', healthhub.ingest_uscc('91350203M0001QAY9B'), '429004',
         'newborn::11010519491231002X-1'),
        ('911840198001010013', '121200004013590816', '830000',
         'visit_card:121200004013590816:00012345');
});

my $dump = $node->basedir . '/src.dump';
command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ], 'pg_dump succeeds');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('dst'), $dump ],
    'pg_restore succeeds without errors');

my $people = q{SELECT id, org, place, card FROM people ORDER BY id};
is($node->safe_psql('dst', $people), $node->safe_psql('src', $people),
    'every value of every type survives');

is($node->safe_psql('dst', 'SELECT region, instance, hub_id FROM healthhub.hub'),
    '440300|7|44030007', 'hub identity survives');

my $shipped = q{SELECT count(*) FROM healthhub.regions WHERE origin = 'shipped'};
is($node->safe_psql('dst', $shipped), $node->safe_psql('src', $shipped),
    'shipped regions are not duplicated');
is($node->safe_psql('dst', q{SELECT healthhub.region_name('440399')}), '测试区',
    'a locally added region survives');

my $last_src = $node->safe_psql('src', 'SELECT last_value FROM healthhub.key_seq');
my $next_dst = $node->safe_psql('dst', 'SELECT healthhub.mint_key() % 10000000000');
cmp_ok($next_dst, '>', $last_src, 'key sequence continues after the restore');

my ($ret, $out, $err) = $node->psql('dst', q{SELECT healthhub.init_hub('110000', 1)});
like($err, qr/hub identity cannot change after keys were minted/,
    'restored hub keeps its identity fixed');

is($node->safe_psql('dst', q{SELECT count(*) FROM people WHERE place OPERATOR(healthhub.=) '429004'}),
    '1', 'restored indexes and operators work');

$node->stop;
done_testing();
