# pg_dump + pg_restore into a new database keeps every extension-owned
# configuration row (hub identity, key sequence, local regions) and every
# value of every healthhub type, and shipped rows are not duplicated; the
# registry comes back with the same answers (its derived practice rights are
# rebuilt by its own triggers as the rows are reloaded), nothing reloaded is
# audited again, and the audit trail still verifies against a checkpoint
# taken before the dump.
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
$node->safe_psql('src', q{
    SET search_path = healthhub;
    INSERT INTO institutions (name, kind, level, grade, region, valid) VALUES
        ('甲医院', 'hospital', '3', '甲', '440303', '[2000-01-01,)'),
        ('乙社康', 'primary_care', NULL, NULL, '440304', '[2000-01-01,)');
    INSERT INTO practitioners (name, resident_id) VALUES ('张医生', '11010519491231002X'), ('王医生', NULL);
    INSERT INTO licences (licence_no, practitioner_key, kind, validity)
    SELECT 'D-11000' || row_number() OVER (ORDER BY name), practitioner_key, 'physician', '[2020-01-01,2030-01-01)' FROM practitioners;
    INSERT INTO registrations (licence_key, institution_key, role, period)
    SELECT l.licence_key, i.institution_key, 'primary', '[2020-01-01,)'
      FROM licences l, institutions i WHERE i.name = '甲医院';
    INSERT INTO practice_privileges (practitioner_key, institution_key, privilege, period)
    SELECT p.practitioner_key, i.institution_key, 'narcotic', '[2021-01-01,)'
      FROM practitioners p, institutions i WHERE p.name = '张医生' AND i.name = '甲医院';
    SELECT change_licence_status((SELECT l.licence_no FROM licences l JOIN practitioners p USING (practitioner_key) WHERE p.name = '王医生'), 'suspended', 'under investigation', '2024-01-01');
    SELECT blacklist_subject('institution', institution_key, 'fraud', 'commission', '[2025-01-01,)')
      FROM institutions WHERE name = '乙社康';
    SELECT audit_append('read', 'document', 'doc-' || g) FROM generate_series(1, 5) g;
});
my $checkpoint = $node->safe_psql('src', 'SELECT healthhub.audit_checkpoint()');

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

my $rights = q{SELECT p.name, i.name, r.act, r.privilege, r.valid
                 FROM healthhub.practice_rights r
                 JOIN healthhub.practitioners p USING (practitioner_key)
                 JOIN healthhub.institutions i USING (institution_key) ORDER BY 1, 2, 3, 4};
isnt($node->safe_psql('src', $rights), '', 'the registry derived practice rights');
is($node->safe_psql('dst', $rights), $node->safe_psql('src', $rights),
    'practice rights are the same after the restore');
my $answers = q{SELECT p.name, i.name, healthhub.may_practise(p.practitioner_key, 'physician', i.institution_key,
                                                              t.at, t.priv)
                  FROM healthhub.practitioners p, healthhub.institutions i,
                       (VALUES ('2022-06-01'::timestamptz, NULL), ('2024-06-01', NULL), ('2022-06-01', 'narcotic')) t(at, priv)
                 ORDER BY 1, 2, t.at, t.priv};
is($node->safe_psql('dst', $answers), $node->safe_psql('src', $answers),
    'may_practise gives the same answers after the restore');
my $trail = q{SELECT entry_id, at, role_name, action, object_kind, object_id FROM healthhub.audit_entries ORDER BY 1};
is($node->safe_psql('dst', $trail), $node->safe_psql('src', $trail),
    'reloading the registry appends nothing to the audit trail');
is($node->safe_psql('dst', "SELECT ok, problem FROM healthhub.verify_audit('$checkpoint')"), 't|',
    'the restored trail verifies against the checkpoint taken before the dump');

$node->stop;
done_testing();
