# The server killed during a stream of settlements loses no committed
# settlement and leaves no half-written one: after crash recovery every
# settlement a client saw committed is there, each settlement has its funds
# and its ledger lines (summing to zero), every person's year equals the
# sums of their live settlements, every account its opening balance less
# what their settlements took; and the claims the crash interrupted settle
# when sent again.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = hub_node('settle_crash');
# (the test clusters turn it off)
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;
$node->safe_psql('postgres', q{
    CREATE EXTENSION healthhub CASCADE;
    SELECT healthhub.init_hub('440300', 1);
    INSERT INTO healthhub.institutions (name, kind, level, region, source, source_ref, valid)
    VALUES ('crash hospital', 'hospital', '3', '440303', 'crash', 'CH', '[2000-01-01,)');
    INSERT INTO healthhub.settle_policies (insuplc_admdvs, insutype, valid, account_pays, basis)
    VALUES ('440300', '310', '[2000-01-01,)', true, 'crash');
    INSERT INTO healthhub.settle_fund_rules (policy_key, stage, fund_pay_type, dedc_std, bands, annual_cap)
    SELECT policy_key, 'basic', '310100', 500, '[{"upto": 3000, "ratio": 0.8}, {"ratio": 0.9}]', 6000
      FROM healthhub.settle_policies;
    INSERT INTO healthhub.settle_fund_rules (policy_key, stage, fund_pay_type, bands)
    SELECT policy_key, 'tier2', '330100', '[{"ratio": 0.5}]' FROM healthhub.settle_policies;
    INSERT INTO healthhub.settle_catalogues (mdtrtarea_admvs, valid, basis) VALUES ('440000', '[2000-01-01,)', 'crash');
    INSERT INTO healthhub.settle_items (catalogue_key, med_list_codg, name, chrgitm_lv, selfpay_prop)
    SELECT catalogue_key, 'I' || g, 'item ' || g, '0' || (1 + g % 3), CASE WHEN g % 3 = 1 THEN 0.1 ELSE 0 END
      FROM healthhub.settle_catalogues, generate_series(1, 5) g;
    SELECT count(healthhub.link_record('CH', 'p-' || g, '周' || chr(19968 + g), '1', '1970-01-01'::date + g, NULL,
                                       '137' || lpad(g::text, 8, '0'), '440303'))
      FROM generate_series(1, 50) g;
    INSERT INTO healthhub.insured_persons (person_key, insutype, insuplc_admdvs, psn_type, acct_balance)
    SELECT person_key, '310', '440300'::healthhub.region_code, 'in_service', 800 FROM healthhub.source_records;
    CREATE TABLE opening AS SELECT person_key, acct_balance FROM healthhub.insured_persons;
    -- 1,000 claims of five lines, twenty a person, submitted by the hospital's application
    CREATE ROLE crash_app;
    SELECT healthhub.grant_profile('crash_app', 'institution_app', institution_key) FROM healthhub.institutions;
    CREATE TABLE stream (n integer PRIMARY KEY, claim bigint);
    GRANT ALL ON stream TO crash_app;
    SET ROLE crash_app;
    INSERT INTO stream
    SELECT g, healthhub.submit_claim('CH', 'p-' || (1 + g % 50), 'V-' || g, '2026-06-01 09:00',
                                     (SELECT jsonb_agg(jsonb_build_object('med_list_codg', 'I' || k,
                                                                          'det_item_fee_sumamt', 20 + (g * 7 + k * 13) % 300))
                                        FROM generate_series(1, 5) k))
      FROM generate_series(1, 1000) g;
    RESET ROLE;
    -- settle the stream from n on, one commit a settlement
    CREATE PROCEDURE settle_stream(first integer) LANGUAGE plpgsql AS $$
    BEGIN
        FOR i IN first .. 1000 LOOP
            PERFORM healthhub.settle(s.claim, 'S-' || s.n) FROM stream s WHERE s.n = i;
            COMMIT;
        END LOOP;
    END $$;
});

# settlements a client sees committed, one at a time
my @seen;
for my $n (1 .. 100)
{
    push @seen, $node->safe_psql('postgres',
        "SELECT healthhub.settle(claim, 'S-' || n) ->> 'setl_id' FROM stream WHERE n = $n");
}
is(scalar(grep { /^\d+$/ } @seen), 100, 'a client saw 100 settlements committed');

# the rest as a stream, killed in its middle
my $stream = $node->background_psql('postgres', on_error_stop => 0);
$stream->query_until(qr/started/, "\\echo started\nCALL settle_stream(101);\n");
$node->poll_query_until('postgres', 'SELECT count(*) > 300 FROM healthhub.settlements')
  or die 'the stream did not get going';
# a backend killed by SIGKILL: the postmaster ends every backend and
# recovers from the WAL, as after a crash of the server
my $pid = $node->safe_psql('postgres',
    q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'CALL settle_stream%' AND pid <> pg_backend_pid()});
ok($pid =~ /^\d+$/, 'the stream is running');
my $offset = -s $node->logfile;
kill 'KILL', $pid;
eval { $stream->quit };
$node->wait_for_log(qr/database system is ready to accept connections/, $offset);
$node->poll_query_until('postgres', 'SELECT true') or die 'the server did not come back';

my $count = $node->safe_psql('postgres', 'SELECT count(*) FROM healthhub.settlements');
cmp_ok($count, '>', 300, "after the crash: $count settlements");
cmp_ok($count, '<', 1000, '... the stream was interrupted');
is($node->safe_psql('postgres',
    'SELECT count(*) FROM unnest(ARRAY[' . join(',', @seen) . ']::bigint[]) k
      WHERE NOT EXISTS (SELECT FROM healthhub.settlements s WHERE s.setl_key = k)'),
   '0', 'every settlement a client saw committed is there');

my %checks = (
    'a settlement without its funds or ledger lines' => q{
        SELECT count(*) FROM healthhub.settlements s
         WHERE NOT EXISTS (SELECT FROM healthhub.settlement_funds f WHERE f.person_key = s.person_key AND f.setl_key = s.setl_key)
            OR NOT EXISTS (SELECT FROM healthhub.ledger_lines l WHERE l.person_key = s.person_key AND l.setl_key = s.setl_key)},
    'funds that do not add up to their settlement' => q{
        SELECT count(*) FROM healthhub.settlements s
         WHERE s.fund_pay_sumamt <> (SELECT sum(f.fund_payamt) FROM healthhub.settlement_funds f
                                      WHERE f.person_key = s.person_key AND f.setl_key = s.setl_key)},
    'a settlement whose ledger lines do not sum to zero' => q{
        SELECT count(*) FROM (SELECT setl_key FROM healthhub.ledger_lines GROUP BY setl_key HAVING sum(amount) <> 0) x},
    'a year that is not the sum of its settlements' => q{
        SELECT count(*) FROM healthhub.insured_years y
         CROSS JOIN LATERAL (SELECT sum(f.deductible_added) AS d, sum(f.base_added) AS b, sum(f.fund_payamt) AS p
                               FROM healthhub.settlement_funds f JOIN healthhub.settlements s USING (person_key, setl_key)
                              WHERE f.person_key = y.person_key AND f.fund_pay_type = y.fund_pay_type
                                AND s.reversed_at IS NULL) live
         WHERE (y.deductible_met, y.base_done, y.paid) IS DISTINCT FROM (live.d, live.b, live.p)},
    'an account that is not its opening balance less its settlements' => q{
        SELECT count(*) FROM healthhub.insured_persons i JOIN opening o USING (person_key)
         WHERE i.acct_balance <> o.acct_balance - (SELECT coalesce(sum(s.acct_pay), 0) FROM healthhub.settlements s
                                                    WHERE s.person_key = i.person_key AND s.reversed_at IS NULL)},
    'a settlement without its claim' => q{
        SELECT count(*) FROM healthhub.settlements s
         WHERE NOT EXISTS (SELECT FROM healthhub.claims c WHERE c.person_key = s.person_key AND c.claim_key = s.claim_key)},
);
for my $what (sort keys %checks)
{
    is($node->safe_psql('postgres', $checks{$what}), '0', "none: $what");
}

# the interrupted claims settle when sent again; a committed one is replayed, not paid twice
$node->safe_psql('postgres', "CALL settle_stream(1)");
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT claim_key) FROM healthhub.settlements'), '1000|1000',
   'the whole stream settles when sent again, each claim once');
is($node->safe_psql('postgres', $checks{'a year that is not the sum of its settlements'}), '0',
   '... and the years are still the sums of their settlements');
is($node->safe_psql('postgres', $checks{'an account that is not its opening balance less its settlements'}), '0',
   '... and the accounts their opening balances less their settlements');

$node->stop;
done_testing();
