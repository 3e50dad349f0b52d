# Hub A publishes its registry to hub B over logical replication; B derives
# the practice rights of what it receives and answers may_practise and
# why_not_practise as A does, at the initial copy and after A changes
# something (docs/scale-out.md).  Also: a replication role without BYPASSRLS
# copies only the rows row level security shows it, silently.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;

my $node_a = hub_node('hub_a', allows_streaming => 'logical');
$node_a->append_conf('postgresql.conf', "wal_level = logical\ntimezone = 'UTC'");
$node_a->start;
my $node_b = hub_node('hub_b');
$node_b->append_conf('postgresql.conf', "timezone = 'UTC'");
$node_b->start;

my $hub_a = $node_a->safe_psql('postgres', q{
    CREATE EXTENSION healthhub CASCADE;
    SELECT healthhub.init_hub('440300', 1);
});
my $hub_b = $node_b->safe_psql('postgres', q{
    CREATE EXTENSION healthhub CASCADE;
    SELECT healthhub.init_hub('110000', 1);
});

# A's registry: three institutions, two practitioners, their licences,
# sites and privileges, and a blacklisted institution.
$node_a->safe_psql('postgres', q{
    SET search_path = healthhub, public;
    INSERT INTO institutions (name, kind, level, grade, region, valid) VALUES
        ('甲医院', 'hospital', '3', '甲', '440303', '[2000-01-01,)'),
        ('乙社康', 'primary_care', NULL, NULL, '440304', '[2000-01-01,)'),
        ('丙药房', 'retail_pharmacy', NULL, NULL, '440305', '[2000-01-01,)');
    INSERT INTO practitioners (name, resident_id) VALUES ('张医生', '11010519491231002X'), ('李药师', NULL);
    INSERT INTO licences (licence_no, practitioner_key, kind, scope, validity)
    SELECT 'D-110001', p.practitioner_key, 'physician', '内科', '[2020-01-01,2030-01-01)'::tstzrange
      FROM practitioners p WHERE p.name = '张医生'
    UNION ALL
    SELECT 'F-220001', p.practitioner_key, 'pharmacist', NULL, '[2021-01-01,)'::tstzrange
      FROM practitioners p WHERE p.name = '李药师';
    INSERT INTO registrations (licence_key, institution_key, role, period)
    SELECT l.licence_key, i.institution_key, v.role, v.period::tstzrange
      FROM (VALUES ('D-110001', '甲医院', 'primary', '[2020-01-01,)'),
                   ('D-110001', '乙社康', 'additional', '[2022-01-01,2023-01-01)'),
                   ('F-220001', '丙药房', 'primary', '[2021-01-01,)')) v(lic, inst, role, period)
      JOIN licences l ON l.licence_no = v.lic JOIN institutions i ON i.name = v.inst;
    INSERT INTO practice_privileges (practitioner_key, institution_key, privilege, period)
    SELECT p.practitioner_key, i.institution_key, 'antimicrobial_special', '[2021-01-01,)'
      FROM practitioners p, institutions i WHERE p.name = '张医生' AND i.name = '甲医院';
    SELECT blacklist_institution(i.institution_key, 'forged prescriptions', 'health commission',
                                 '[2022-01-01,2022-07-01)')
      FROM institutions i WHERE i.name = '丙药房';
});
# B has a registry of its own; A's rows will sit beside it (keys of two hubs)
$node_b->safe_psql('postgres', q{
    INSERT INTO healthhub.institutions (name, kind, region, valid)
    VALUES ('北京医院', 'hospital', '110101', '[2000-01-01,)');
});

# The same questions on both hubs, by names (the keys are the same: A's)
my $questions = q{
    SELECT string_agg(format('%s %s at %s on %s%s: %s / %s', q.who, q.act, q.inst, q.at,
                             coalesce(' with ' || q.priv, ''),
                             healthhub.may_practise(p.practitioner_key, q.act, i.institution_key, q.at::timestamptz, q.priv),
                             coalesce(healthhub.why_not_practise(p.practitioner_key, q.act, i.institution_key,
                                                                 q.at::timestamptz, q.priv), 'allowed')),
                      E'\n' ORDER BY q.n)
      FROM (VALUES (1, '张医生', 'physician', '甲医院', '2022-06-01', NULL),
                   (2, '张医生', 'physician', '乙社康', '2022-06-01', NULL),
                   (3, '张医生', 'physician', '乙社康', '2023-06-01', NULL),
                   (4, '张医生', 'physician', '甲医院', '2024-06-01', NULL),
                   (5, '张医生', 'physician', '甲医院', '2024-06-01', 'antimicrobial_restricted'),
                   (6, '张医生', 'physician', '甲医院', '2031-06-01', NULL),
                   (7, '李药师', 'pharmacist', '丙药房', '2022-03-01', NULL),
                   (8, '李药师', 'pharmacist', '丙药房', '2022-09-01', NULL),
                   (9, '李药师', 'pharmacist', '乙社康', '2024-06-01', NULL)) q(n, who, act, inst, at, priv)
      JOIN healthhub.practitioners p ON p.name = q.who
      JOIN healthhub.institutions i ON i.name = q.inst};
my $rights = q{
    SELECT string_agg(format('%s %s %s %s %s', r.practitioner_key, r.institution_key, r.act, r.privilege, r.valid),
                      E'\n' ORDER BY r.practitioner_key, r.institution_key, r.act, r.privilege)
      FROM healthhub.practice_rights r};

# Replication roles on A: both may read the published tables; only "repl"
# bypasses row level security.
$node_a->safe_psql('postgres', q{
    CREATE ROLE repl LOGIN REPLICATION BYPASSRLS;
    CREATE ROLE repl_plain LOGIN REPLICATION;
    GRANT USAGE ON SCHEMA healthhub TO repl, repl_plain;
    GRANT SELECT ON healthhub.institutions, healthhub.practitioners, healthhub.licences,
                    healthhub.licence_status_history, healthhub.registrations, healthhub.practice_privileges,
                    healthhub.blacklist, healthhub.source_records TO repl, repl_plain;
});
# A publishes the rows it owns (hub_id filters; the replica identities of
# those tables have hub_id, so updates and deletes are published too), and
# no practitioner's resident ID number (a column list)
$node_a->safe_psql('postgres', qq{
    CREATE PUBLICATION registry FOR TABLE
        healthhub.institutions WHERE (hub_id = $hub_a),
        healthhub.practitioners (practitioner_key, hub_id, name, rights_version, source, source_ref)
            WHERE (hub_id = $hub_a),
        healthhub.licences WHERE (hub_id = $hub_a),
        healthhub.licence_status_history, healthhub.registrations, healthhub.practice_privileges,
        healthhub.blacklist WHERE (hub_id = $hub_a);
});

sub wait_for_sync
{
    my ($sub) = @_;
    $node_b->poll_query_until('postgres',
        "SELECT count(*) = 0 FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid
          WHERE s.subname = '$sub' AND sr.srsubstate NOT IN ('r', 's')")
      or die "timed out waiting for the initial copy of $sub";
    $node_a->wait_for_catchup($sub);
}

my $a_conn = 'host=' . $node_a->host . ' port=' . $node_a->port . ' dbname=postgres';
$node_b->safe_psql('postgres',
    "CREATE SUBSCRIPTION registry_sub CONNECTION '$a_conn user=repl' PUBLICATION registry");
wait_for_sync('registry_sub');

is($node_b->safe_psql('postgres', 'SELECT count(*) FROM healthhub.institutions'), '4',
    "B holds A's three institutions beside its own");
is($node_b->safe_psql('postgres', q{SELECT count(*) FROM healthhub.practitioners WHERE resident_id IS NOT NULL}), '0',
    'no resident ID number left A');
# The tables arrive each in its own transaction, two at a time: a row whose
# rights depend on a table not yet copied is derived again once, after the
# initial copy (docs/scale-out.md); from then on the triggers keep up.
$node_b->safe_psql('postgres', 'SELECT healthhub.recompute_practice_rights()');
my $answers_a = $node_a->safe_psql('postgres', $questions);
like($answers_a, qr/张医生 physician at 甲医院 on 2022-06-01: t /, 'A answers the questions');
is($node_b->safe_psql('postgres', $questions), $answers_a, 'B answers as A after the initial copy');
is($node_b->safe_psql('postgres', $rights), $node_a->safe_psql('postgres', $rights),
    'B has derived the practice rights A has');

# A changes its registry: a new site, a suspension, a blacklisting lifted
$node_a->safe_psql('postgres', q{
    SET search_path = healthhub, public;
    INSERT INTO registrations (licence_key, institution_key, role, period)
    SELECT l.licence_key, i.institution_key, 'additional', '[2024-01-01,)'
      FROM licences l, institutions i WHERE l.licence_no = 'F-220001' AND i.name = '乙社康';
    SELECT change_licence_status('D-110001', 'suspended', 'under investigation', '2024-03-01');
    SELECT lift_blacklist(b.entry_key, '2022-05-01') FROM blacklist b;
});
$node_a->wait_for_catchup('registry_sub');
my $answers_a2 = $node_a->safe_psql('postgres', $questions);
isnt($answers_a2, $answers_a, 'the answers on A changed');
like($answers_a2, qr/张医生 physician at 甲医院 on 2024-06-01: f /, 'the suspended physician may not practise on A');
like($answers_a2, qr/李药师 pharmacist at 乙社康 on 2024-06-01: t /, 'the new site counts on A');
is($node_b->safe_psql('postgres', $questions), $answers_a2, 'B answers as A after catching up, with no recompute');
is($node_b->safe_psql('postgres', $rights), $node_a->safe_psql('postgres', $rights),
    'B derived the changed rights from the rows it received');
is($node_b->safe_psql('postgres', q{SELECT status FROM healthhub.licences WHERE licence_no = 'D-110001'}),
    'suspended', "B holds the licence's status as A wrote it");
is($node_b->safe_psql('postgres', q{SELECT count(*) FROM healthhub.audit_entries WHERE action LIKE 'licence.%'}),
    '0', "the suspension is in A's trail, not written again in B's");

# B's own keys never meet A's
$node_b->safe_psql('postgres', q{
    INSERT INTO healthhub.institutions (name, kind, region, valid)
    VALUES ('北京社康', 'primary_care', '110101', '[2000-01-01,)');
});
is($node_b->safe_psql('postgres',
    'SELECT string_agg(DISTINCT healthhub.key_hub(institution_key)::text, \' \' ORDER BY healthhub.key_hub(institution_key)::text) FROM healthhub.institutions'),
    "$hub_b $hub_a", "B's institutions carry B's hub and A's carry A's");

# Without BYPASSRLS the initial copy is what row level security shows the
# replication role: of the person index's records, nothing, and no error.
$node_a->safe_psql('postgres', q{
    SELECT healthhub.link_record('H1', 'r-1', '王五', '1', '1980-05-06', '110105198005060010');
    SELECT healthhub.link_record('H1', 'r-2', '赵六', '2', '1985-01-02', NULL);
    CREATE PUBLICATION records FOR TABLE healthhub.source_records;
});
$node_b->safe_psql('postgres', q{
    CREATE DATABASE plain;
    CREATE DATABASE bypass;
});
for my $db ('plain', 'bypass')
{
    $node_b->safe_psql($db, q{CREATE EXTENSION healthhub CASCADE});
    my $role = $db eq 'plain' ? 'repl_plain' : 'repl';
    $node_b->safe_psql($db, "CREATE SUBSCRIPTION ${db}_sub CONNECTION '$a_conn user=$role' PUBLICATION records");
}
for my $db ('plain', 'bypass')
{
    $node_b->poll_query_until($db,
        "SELECT count(*) = 0 FROM pg_subscription_rel WHERE srsubstate NOT IN ('r', 's')")
      or die "timed out waiting for the initial copy of ${db}_sub";
    $node_a->wait_for_catchup("${db}_sub");
}
is($node_a->safe_psql('postgres', 'SELECT count(*) FROM healthhub.source_records'), '2', 'A has two records');
is($node_b->safe_psql('bypass', 'SELECT count(*) FROM healthhub.source_records'), '2',
    'a role with BYPASSRLS copies both');
is($node_b->safe_psql('plain', 'SELECT count(*) FROM healthhub.source_records'), '0',
    'a role without it copies none');
is($node_b->safe_psql('plain', "SELECT srsubstate FROM pg_subscription_rel"), 'r',
    'and the copy counts as done');

$node_b->stop;
$node_a->stop;
done_testing();
