# pg_dump + pg_restore into a new database keeps every extension-owned
# configuration row (hub identity, key sequence, local regions, shipped rows
# and prescription rules changed here) and every value of every healthhub
# type (a prescription's content among them), and shipped rows are not
# duplicated; the
# registry comes back with the same answers (its derived practice rights are
# rebuilt by its own triggers as the rows are reloaded), nothing reloaded is
# audited again, and the audit trail still verifies against a checkpoint
# taken before the dump.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = hub_node('hub');
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
    CREATE EXTENSION healthhub CASCADE;
    SELECT healthhub.init_hub('440300', 7);
    SELECT healthhub.mint_key() FROM generate_series(1, 3);
    INSERT INTO healthhub.regions (code, name, level, parent, kind)
        VALUES ('440399', '测试区', 'county', '440300', 'division');
    -- shipped rows a DBA changed: kept by the dump, not duplicated
    UPDATE healthhub.regions SET name = '朝阳区(测试)' WHERE code::text = '110105';
    UPDATE healthhub.place_categories SET must_check_at = '{low,medium,high}' WHERE category = 'government_body';
    UPDATE healthhub.health_code_kinds SET lifetime = '5 minutes' WHERE kind = 'epidemic_status';
    UPDATE healthhub.rx_kind_rules SET max_days_supply = 14 WHERE kind = 'ordinary';
    UPDATE healthhub.rx_controlled_rules SET max_days_supply = 5 WHERE controlled_class = 'psychotropic_2';
    UPDATE healthhub.rx_rules SET value = '180' WHERE rule = 'online_diagnosis_within_days';
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
    -- the master person index: two records of one person, a merge, a model
    SELECT link_record('H1', 'a-1', '张三', '1', '1980-05-06', '110105198005060010', '13800138000', '110105');
    SELECT link_record('H2', 'b-1', '張 三', 'M', '1980-05-06', NULL, '138-0013-8000', '110105');
    SELECT link_record('H3', 'c-1', '李四', '2', '1990-01-01', NULL, NULL, '440303',
                       ARRAY['medical_insurance:440303:A1234567']);
    SELECT link_record('H3', 'c-2', '李四', '2', '1990-01-01', NULL, '13900000000', '440303');
    SELECT link_manually('H3', 'c-2', NULL, 'front desk');
    SELECT merge_persons((SELECT person_key FROM source_records WHERE local_id = 'c-2'),
                         (SELECT person_key FROM source_records WHERE local_id = 'c-1'), 'one patient');
    -- a prescription, as the lifecycle leaves it once dispensed: its content, events and dispense
    INSERT INTO drugs (drug_code, generic_name, dosage_form, source) VALUES ('XA10BAE001A001010100001', '二甲双胍', '片剂', 't');
    INSERT INTO prescriptions (person_key, record_id, institution_key, rxno, prescriber_key, content, state, issued_at,
                               valid_until, signature, dispenses_done)
    SELECT s.person_key, s.record_id, i.institution_key, 'RX-1', p.practitioner_key,
           '{"hosp_rxno": "RX-1", "rx_type_code": "3", "prsc_time": "2026-11-30 09:00:00", "valid_days": 3,
             "biz_type_code": "02", "fstdiag_flag": "0", "max_rept_cnt": 2, "min_inrv_days": 14,
             "diseinfo": [{"diag_code": "E11.900"}], "rxdrugdetail": [{"med_list_codg": "XA10BAE001A001010100001",
             "sin_doscnt": 0.5, "sin_dosunt": "g", "used_frqu_codg": "tid", "medc_days": 14, "drug_totlnt": 21}]}',
           'circulated', '2026-11-30 09:00+08', '2026-12-03 09:00+08', 'SM2:x', 1
      FROM source_records s, institutions i, practitioners p
     WHERE s.local_id = 'a-1' AND i.name = '甲医院' AND p.name = '张医生';
    INSERT INTO prescription_events (person_key, prescription_key, event_no, action, institution_key, acting_role)
    SELECT person_key, prescription_key, 1, 'issue', institution_key, 'someone' FROM prescriptions;
    INSERT INTO dispenses (person_key, prescription_key, dispense_no, pharmacy_key, pharmacist_key)
    SELECT person_key, prescription_key, 1, institution_key, prescriber_key FROM prescriptions;
});
my $checkpoint = $node->safe_psql('src', 'SELECT healthhub.audit_checkpoint()');

my $dump = $node->basedir . '/src.dump';
command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ], 'pg_dump succeeds');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
{
    # the restore says it is one (docs/install.md): superuser-only setting
    local $ENV{PGOPTIONS} = '-c healthhub.restoring=on';
    command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('dst'), $dump ],
        'pg_restore succeeds without errors');
}

# restore mode is that setting, not "a superuser": a non-superuser cannot
# claim it, even by setting the placeholder before the library is loaded
$node->safe_psql('postgres', 'CREATE ROLE not_a_restore LOGIN');
{
    local $ENV{PGOPTIONS} = '-c healthhub.restoring=on';
    my ($rc, $stdout, $stderr) = $node->psql('dst', 'SELECT healthhub.is_restoring()',
        extra_params => [ '-U', 'not_a_restore' ]);
    # preloaded, the setting exists at connection time and the connection
    # is refused; loaded later, the placeholder's value is refused
    ok($stdout eq 'f' || $stderr =~ /permission denied to set parameter "healthhub.restoring"/,
        'a non-superuser cannot switch restore mode on');
}
is($node->safe_psql('dst', 'SELECT healthhub.is_restoring()'), 'f',
    'a superuser session is not a restore unless it says so');

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
my $changed = q{SELECT (SELECT name || ':' || origin FROM healthhub.regions WHERE code::text = '110105'),
                       (SELECT must_check_at::text || ':' || origin FROM healthhub.place_categories WHERE category = 'government_body'),
                       (SELECT lifetime::text || ':' || origin FROM healthhub.health_code_kinds WHERE kind = 'epidemic_status'),
                       (SELECT count(*) FROM healthhub.regions), (SELECT count(*) FROM healthhub.place_categories),
                       (SELECT count(*) FROM healthhub.health_code_kinds)};
is($node->safe_psql('dst', $changed), $node->safe_psql('src', $changed),
    'shipped rows changed here (a region, a place category, a kind of code) survive, once each');
like($node->safe_psql('dst', $changed), qr/^朝阳区\(测试\):changed\|\{low,medium,high\}:changed\|00:05:00:changed\|/,
    '... with their changes');
my $rx_policy = q{SELECT (SELECT max_days_supply || ':' || origin FROM healthhub.rx_kind_rules WHERE kind = 'ordinary'),
                         (SELECT max_days_supply || ':' || origin FROM healthhub.rx_controlled_rules WHERE controlled_class = 'psychotropic_2'),
                         (SELECT value || ':' || origin FROM healthhub.rx_rules WHERE rule = 'online_diagnosis_within_days'),
                         (SELECT count(*) FROM healthhub.rx_kind_rules), (SELECT count(*) FROM healthhub.rx_controlled_rules),
                         (SELECT count(*) FROM healthhub.rx_rules)};
is($node->safe_psql('dst', $rx_policy), $node->safe_psql('src', $rx_policy),
    'prescription rules changed here (a kind, a controlled class, an online rule) survive, once each');
like($node->safe_psql('dst', $rx_policy), qr/^14:changed\|5:changed\|180:changed\|/, '... with their changes');
my $rx = q{SELECT p.prescription_key, p.person_key, p.rxno, p.content::text, p.state, p.issued_at, p.dispenses_done,
                  (healthhub.prescription_header(p.content)).*, e.event_no, e.action, d.dispense_no, d.dispense_key,
                  (SELECT string_agg(drug_code::text || ':' || generic_name, ',') FROM healthhub.drugs),
                  healthhub.to_fhir(p.content, 'Patient/1')
             FROM healthhub.prescriptions p JOIN healthhub.prescription_events e USING (person_key, prescription_key)
             JOIN healthhub.dispenses d USING (person_key, prescription_key)};
isnt($node->safe_psql('src', $rx), '', 'the source hub has a prescription');
is($node->safe_psql('dst', $rx), $node->safe_psql('src', $rx),
    'a prescription (its binary content, events, dispense) and the drug catalogue survive');

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

my $index = q{SELECT s.source, s.local_id, s.person_key, p.state, p.redirected_to, p.name, l.state, l.origin
                FROM healthhub.source_records s JOIN healthhub.persons p USING (person_key)
                JOIN healthhub.links l ON l.source = s.source AND l.local_id = s.local_id AND l.state = 'match'
               ORDER BY 1, 2};
is($node->safe_psql('dst', $index), $node->safe_psql('src', $index),
    'the person index (records, persons, links, a merge) survives');
my $found = q{SELECT healthhub.resolve('110105198005060010'), healthhub.resolve('medical_insurance:440303:A1234567'),
                     (SELECT count(*) FROM healthhub.record_block_keys), (SELECT count(*) FROM healthhub.link_events)};
is($node->safe_psql('dst', $found), $node->safe_psql('src', $found),
    'identifiers, blocking keys and the link history survive');
is($node->safe_psql('dst', q{SELECT decision FROM healthhub.link_record('H4', 'd-1', '张三', '1', '1980-05-06',
                                                                      NULL, '13800138000', '110105')}),
   'matched', 'the restored index links a new record to its person');
is($node->safe_psql('dst', q{SELECT icu_version = healthhub.icu_version() FROM healthhub.name_keys_made_with}),
   't', 'the ICU version of the name keys survives');
# the rule that two valid numbers are two people holds on the restored hub
is($node->safe_psql('dst', q{SELECT decision FROM healthhub.link_record('H4', 'd-2', '张三', '1', '1980-05-06',
                                                                      '110105198005060037', '13800138000', '110105')}),
   'possible_match', 'the restored index does not give its person a second number');

$node->stop;
done_testing();
