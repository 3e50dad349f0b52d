# A server that crashes while link_batch() writes a province's records loses
# the batch as a whole, never half of it: after crash recovery the index is
# exactly as it was before the batch (persons, records, link decisions, keys,
# identifiers, history, the load), the audit trail verifies, and the same
# file links completely when it is sent again.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = hub_node('crash');
# the batch's NOTICE lines in the server log tell when writing begins
$node->append_conf('postgresql.conf', "log_min_messages = notice\nrestart_after_crash = on\n");
$node->start;

my $csv = "${PostgreSQL::Test::Utils::tmp_check}/records.csv";
system_or_bail('sh', '-c', "perl scripts/gen-population.pl --records 60000 --seed 11 | cut -d, -f1-9 > $csv");

$node->safe_psql('postgres', q{
    CREATE EXTENSION healthhub CASCADE;
    SELECT healthhub.init_hub('440300', 1);
});
sub stage
{
    my ($where) = @_;
    $node->safe_psql('postgres', qq{
        TRUNCATE healthhub.stage_person_records;
        CREATE TEMP TABLE lines (institution text, local_id text, name text, sex text, birth_date text,
                                 identifier text, phone text, address_region text, other_identifiers text);
        COPY lines FROM '$csv' CSV HEADER;
        INSERT INTO healthhub.stage_person_records (institution, local_id, name, sex, birth_date, identifier,
                                                    phone, address_region, other_identifiers)
        SELECT * FROM lines WHERE $where;
    });
}
my $state_query = q{
    SELECT (SELECT count(*) FROM healthhub.persons) || ' ' || (SELECT count(*) FROM healthhub.source_records)
        || ' ' || (SELECT count(*) FROM healthhub.links) || ' ' || (SELECT count(*) FROM healthhub.record_block_keys)
        || ' ' || (SELECT count(*) FROM healthhub.person_identifiers) || ' ' || (SELECT count(*) FROM healthhub.link_events)
        || ' ' || (SELECT count(*) FROM healthhub.loads) || ' ' || (SELECT count(*) FROM healthhub.audit_entries)
};

# an index to start from: one institution's records
stage("institution = 'H001'");
$node->safe_psql('postgres', q{SELECT count(*) FROM healthhub.link_batch('first', 'sha256:' || md5('first') || md5('first'))});
my $cp = $node->safe_psql('postgres', 'SELECT healthhub.audit_checkpoint()');
my $before = $node->safe_psql('postgres', $state_query);
like($before, qr/^[1-9]\d* [1-9]\d* /, 'the first batch made persons and records');

# the rest: crash the server once the batch has begun writing
stage("institution <> 'H001'");
my $offset = -s $node->logfile;
my $batch = $node->background_psql('postgres', on_error_stop => 0);
$batch->query_until(qr/started/, q{
    \echo started
    SELECT count(*) FROM healthhub.link_batch('rest', 'sha256:' || md5('rest') || md5('rest'));
});
$node->wait_for_log(qr/link_batch: \d+ records in \d+ new persons/, $offset);
my $pid = $node->safe_psql('postgres',
    q{SELECT pid FROM pg_stat_activity WHERE query LIKE '%link_batch(''rest''%' AND pid <> pg_backend_pid()});
ok($pid =~ /^\d+$/, 'the batch is running');
kill 'KILL', $pid;
$batch->quit;
$node->poll_query_until('postgres', 'SELECT true') or die 'the server did not come back';
$node->wait_for_log(qr/database system is ready to accept connections/, $offset);

is($node->safe_psql('postgres', $state_query), $before, 'after the crash the index is as it was before the batch');
is($node->safe_psql('postgres', q{SELECT count(*) FROM healthhub.loads WHERE source = 'rest'}), '0',
   'the crashed batch left no load behind');
is($node->safe_psql('postgres', qq{SELECT bool_and(ok) FROM healthhub.verify_audit('$cp')}), 't',
   'the audit trail verifies after the crash');

# the same file again links completely
my $staged = $node->safe_psql('postgres', 'SELECT count(*) FROM healthhub.stage_person_records');
$node->safe_psql('postgres', q{SELECT count(*) FROM healthhub.link_batch('rest', 'sha256:' || md5('rest') || md5('rest'))});
my $records_before = (split / /, $before)[1];
is($node->safe_psql('postgres', 'SELECT count(*) FROM healthhub.source_records'),
   $records_before + $staged - $node->safe_psql('postgres',
       q{SELECT count(DISTINCT line_no) FROM healthhub.load_errors e JOIN healthhub.loads l USING (load_id) WHERE l.source = 'rest'}),
   'sent again, the batch links every good record');
# (the batch writes its rows without per-row foreign-key checks)
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM healthhub.source_records s LEFT JOIN healthhub.persons p USING (person_key)
     WHERE p.person_key IS NULL OR p.state <> 'active'}), '0',
   'every record belongs to an active person of the index');
is($node->safe_psql('postgres', qq{SELECT bool_and(ok) FROM healthhub.verify_audit('$cp')}), 't',
   'the audit trail verifies after the second batch');

$node->stop;
done_testing();
