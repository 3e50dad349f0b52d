# Health codes between two hubs (issue 12): hub A issues codes and exports
# its trust list; hub B, having trusted one key of A beforehand, imports the
# list and verifies A's codes offline, with A stopped.  A then rotates: it
# publishes a new key before it is valid, retires the old one, and exports
# again; B imports the newer lists in order, refuses the older ones, refuses
# codes of the retired key and accepts the new key's.  A code of a key
# neither hub was told about (hub C's) and a code with one flipped bit (or
# one changed character) are refused by both hubs, never with an error.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Compress::Zlib qw(compress);
use Test::More;

my $node_a = hub_node('hub_a');
my $node_b = hub_node('hub_b');
my $node_c = hub_node('hub_c');
$_->start for $node_a, $node_b, $node_c;

my %hub;
for ([ $node_a, 'a', '440300' ], [ $node_b, 'b', '110000' ], [ $node_c, 'c', '310000' ])
{
    my ($node, $name, $region) = @$_;
    $node->safe_psql('postgres', qq{
        CREATE EXTENSION healthhub;
        SELECT healthhub.init_hub('$region', 1);
    });
    $hub{$name} = $node->safe_psql('postgres', 'SELECT healthhub.hub_id()');
}
is_deeply([ @hub{qw(a b c)} ], [ '44030001', '11000001', '31000001' ], 'three hubs, three identities');

# Verify a code on a node at a time (default now); never dies, so that an
# error is an assertion's failure and not the end of the test.
sub verify
{
    my ($node, $code, $at) = @_;
    my $when = defined $at ? "'$at'::timestamptz" : 'now()';
    my ($ret, $out, $err) = $node->psql('postgres', qq{
        SELECT valid, coalesce(reason, '-'), coalesce(issuer, '-'), coalesce(encode(kid, 'hex'), '-'),
               coalesce(algorithm, '-'), coalesce(subject, '-'), coalesce(kind, '-'), coalesce(status, '-')
          FROM healthhub.verify_health_code('$code', $when)});
    my %v = (ret => $ret, err => $err);
    @v{qw(valid reason issuer kid algorithm subject kind status)} = split /\|/, $out, -1 if $ret == 0;
    return \%v;
}

# Base45 (RFC 9285), to build a code around COSE bytes changed here.
sub base45
{
    my @b = unpack 'C*', shift;
    my $alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
    my $text = '';
    for (my $i = 0; $i < @b; $i += 2)
    {
        my ($v, $digits) = $i + 1 < @b ? ($b[$i] * 256 + $b[ $i + 1 ], 3) : ($b[$i], 2);
        for (1 .. $digits)
        {
            $text .= substr($alphabet, $v % 45, 1);
            $v = int($v / 45);
        }
    }
    return $text;
}

sub is_down
{
    my ($node, $what) = @_;
    my ($ret) = $node->psql('postgres', 'SELECT 1');
    isnt($ret, 0, "$what: hub A is not running");
}

# ---------------------------------------------------------------------------
# Hub A: an Ed25519 key (every kind), then an ES256 key for epidemic status
# codes only; a health card and a green epidemic status code.
my $kid_ed = $node_a->safe_psql('postgres', q{SELECT encode(healthhub.create_signing_key(), 'hex')});
my $kid_es = $node_a->safe_psql('postgres',
    q{SELECT encode(healthhub.create_signing_key('ES256', ARRAY['epidemic_status']), 'hex')});
my $card = $node_a->safe_psql('postgres',
    q{SELECT healthhub.issue_health_code('440300010000000123', 'health_card')});
my $green = $node_a->safe_psql('postgres',
    q{SELECT healthhub.issue_health_code('440300010000000123', 'epidemic_status', 'green')});
my ($card_issued) = $node_a->safe_psql('postgres',
    qq{SELECT issued_at FROM healthhub.verify_health_code('$card')});
like($card, qr/^HH1:/, 'A issued a health card');

my $v = verify($node_a, $card);
is("$v->{valid} $v->{kid} $v->{algorithm}", "t $kid_ed EdDSA", 'A verifies its card, signed with its Ed25519 key');
$v = verify($node_a, $green);
is("$v->{valid} $v->{kid} $v->{algorithm} $v->{status}", "t $kid_es ES256 green",
    'A verifies its green code, signed with its ES256 key');

# Hub C: a stranger to both A and B.
$node_c->safe_psql('postgres', 'SELECT healthhub.create_signing_key()');
my $stranger = $node_c->safe_psql('postgres',
    q{SELECT healthhub.issue_health_code('310000010000000001', 'health_card')});
is(verify($node_c, $stranger)->{valid}, 't', 'C verifies its own code');
$node_c->stop;

# Tampered codes: one character of the QR text changed (after the prefix),
# and one bit of the signature flipped inside the COSE bytes, compressed and
# Base45-encoded again (with the untouched bytes, encoded the same way, as
# the control).
my $pos = int(length($card) * 2 / 3);
my $one_char = $card;
substr($one_char, $pos, 1) = substr($card, $pos, 1) eq 'A' ? 'B' : 'A';
my $cose = pack 'H*', $node_a->safe_psql('postgres',
    qq{SELECT encode('$card'::healthhub.health_code::bytea, 'hex')});
my $flipped = $cose;
substr($flipped, -1, 1) = chr(ord(substr($flipped, -1, 1)) ^ 0x01);
my $one_bit = 'HH1:' . base45(compress($flipped));
my $control = 'HH1:' . base45(compress($cose));
isnt($one_bit, $control, 'the flipped bit changes the code');

my %tampered = ('a code of an unknown key' => $stranger, 'a code with one character changed' => $one_char,
                'a code with one flipped bit' => $one_bit);

# Refused by A, where they were made or received.
sub refused_by
{
    my ($node, $who, $control_reason) = @_;
    for my $what (sort keys %tampered)
    {
        my $r = verify($node, $tampered{$what});
        is($r->{ret}, 0, "$who: $what raises no error") or diag($r->{err});
        is($r->{valid}, 'f', "$who: $what is not valid");
        isnt($r->{reason}, '-', "$who: $what is refused with a reason ($r->{reason})");
    }
    is(verify($node, $stranger)->{reason}, 'unknown key', "$who: C's code: unknown key");
    is(verify($node, $one_bit)->{reason}, 'bad signature', "$who: the flipped bit: bad signature");
    if (defined $control_reason)
    {
        is(verify($node, $control)->{reason}, $control_reason, "$who: the same bytes unflipped: $control_reason");
    }
    else
    {
        is(verify($node, $control)->{valid}, 't', "$who: the same bytes unflipped verify");
    }
}
refused_by($node_a, 'A');

# A's trust list: signed with its newest key valid now (the ES256 key).
my $list1 = $node_a->safe_psql('postgres', q{SELECT encode(healthhub.export_trust_list(), 'hex')});
is($node_a->safe_psql('postgres', qq{SELECT encode((healthhub.code_document_open('\\x$list1')).kid, 'hex')}),
    $kid_es, 'list 1 is signed with the ES256 key');
# What B is told beforehand, by other means: that key and its validity.
my ($pub_es, $valid_es) = split /\|/, $node_a->safe_psql('postgres',
    qq{SELECT encode(public_key, 'hex'), valid FROM healthhub.signing_keys WHERE kid = '\\x$kid_es'});

$node_a->stop;

# ---------------------------------------------------------------------------
# Hub B, A stopped.
is_down($node_a, 'first import');
my ($ret, $out, $err) = $node_b->psql('postgres', qq{SELECT healthhub.import_trust_list('\\x$list1')});
isnt($ret, 0, 'B refuses the list before it trusts a key of A');
like($err, qr/trust list refused.*\n.*No key trusted now signed it/, '... no key trusted signed it');

is($node_b->safe_psql('postgres', qq{
    SELECT encode(healthhub.trust_public_key('$hub{a}', '\\x$pub_es', '$valid_es'), 'hex')}),
    $kid_es, "B trusts A's ES256 key beforehand");
is($node_b->safe_psql('postgres', qq{SELECT healthhub.import_trust_list('\\x$list1')}),
    '2', "B imports A's list: two keys of A trusted");
is($node_b->safe_psql('postgres', qq{
    SELECT string_agg(encode(kid, 'hex') || ':' || origin || ':' || (retired_at IS NULL), ',' ORDER BY alg <> 'EdDSA')
      FROM healthhub.trusted_keys WHERE issuer = '$hub{a}'}),
    "$kid_ed:trust_list:true,$kid_es:trust_list:true", '... both from the list, neither retired');

is_down($node_a, 'first verifications');
$v = verify($node_b, $card);
is("$v->{valid} $v->{reason} $v->{issuer} $v->{kid} $v->{algorithm} $v->{subject} $v->{kind} $v->{status}",
    "t - $hub{a} $kid_ed EdDSA 440300010000000123 health_card -", "B verifies A's card offline");
$v = verify($node_b, $green);
is("$v->{valid} $v->{reason} $v->{issuer} $v->{kid} $v->{algorithm} $v->{kind} $v->{status}",
    "t - $hub{a} $kid_es ES256 epidemic_status green", "B verifies A's green code offline");
refused_by($node_b, 'B');
($ret, $out, $err) = $node_b->psql('postgres', qq{SELECT healthhub.import_trust_list('\\x$list1')});
isnt($ret, 0, 'B refuses the same list twice');
like($err, qr/as new or newer was imported already/, '... by its sequence number');

# ---------------------------------------------------------------------------
# Rotation on A: a new Ed25519 key valid from three seconds on, published in
# list 2 (signed by the ES256 key B trusts, since the new one is not valid
# yet); once it is valid, the old Ed25519 key is retired and list 3 is signed
# with the new key.
$node_a->start;
my ($kid_new, $list2) = split /\n/, $node_a->safe_psql('postgres', q{
    BEGIN;
    SELECT encode(healthhub.create_signing_key('EdDSA', NULL,
                      tstzrange(date_trunc('second', clock_timestamp()) + interval '3 seconds', NULL)), 'hex');
    SELECT encode(healthhub.export_trust_list(), 'hex');
    COMMIT;
});
is($node_a->safe_psql('postgres', qq{SELECT encode((healthhub.code_document_open('\\x$list2')).kid, 'hex')}),
    $kid_es, 'list 2, publishing the new key, is signed with the ES256 key');
$node_a->poll_query_until('postgres', qq{
    SELECT date_trunc('second', clock_timestamp()) >= lower(valid) FROM healthhub.signing_keys WHERE kid = '\\x$kid_new'})
  or die 'the new key never became valid';
is($node_a->safe_psql('postgres', qq{SELECT healthhub.retire_key('\\x$kid_ed', 'key compromised')}),
    '1', 'A retires its old Ed25519 key');
my $card2 = $node_a->safe_psql('postgres',
    q{SELECT healthhub.issue_health_code('440300010000000456', 'health_card')});
$v = verify($node_a, $card2);
is("$v->{valid} $v->{kid}", "t $kid_new", 'A signs a new card with the new key');
is(verify($node_a, $card)->{reason}, 'retired key', "A refuses its old key's card");
my $list3 = $node_a->safe_psql('postgres', q{SELECT encode(healthhub.export_trust_list(), 'hex')});
is($node_a->safe_psql('postgres', qq{SELECT encode((healthhub.code_document_open('\\x$list3')).kid, 'hex')}),
    $kid_new, 'list 3 is signed with the new key');
$node_a->stop;

# ---------------------------------------------------------------------------
# Hub B again, A stopped.
is_down($node_a, 'second imports');
($ret, $out, $err) = $node_b->psql('postgres', qq{SELECT healthhub.import_trust_list('\\x$list3')});
isnt($ret, 0, 'B refuses list 3 before list 2 told it of the new key');
like($err, qr/No key trusted now signed it/, '... no key trusted signed it');
is($node_b->safe_psql('postgres', qq{SELECT healthhub.import_trust_list('\\x$list2')}),
    '3', 'B imports list 2: three keys of A, the new one among them');
is($node_b->safe_psql('postgres', qq{SELECT healthhub.import_trust_list('\\x$list3')}),
    '2', 'B imports list 3: two keys of A trusted, the old one retired');
for ([ $list1, 'list 1' ], [ $list2, 'list 2' ], [ $list3, 'list 3' ])
{
    ($ret, $out, $err) = $node_b->psql('postgres', qq{SELECT healthhub.import_trust_list('\\x$_->[0]')});
    isnt($ret, 0, "B refuses $_->[1] again, after list 3");
    like($err, qr/as new or newer was imported already/, '... by its sequence number');
}
is($node_b->safe_psql('postgres', qq{
    SELECT retired_reason FROM healthhub.trusted_keys WHERE issuer = '$hub{a}' AND kid = '\\x$kid_ed'}),
    'key compromised', "B holds the old key retired, with A's reason");

is_down($node_a, 'second verifications');
$v = verify($node_b, $card);
is("$v->{valid} $v->{reason}", 'f retired key', "B refuses A's card of the retired key");
is(verify($node_b, $card, $card_issued)->{valid}, 't', '... which was valid before its retirement');
$v = verify($node_b, $card2);
is("$v->{valid} $v->{issuer} $v->{kid} $v->{subject}", "t $hub{a} $kid_new 440300010000000456",
    "B verifies A's card of the new key");
$v = verify($node_b, $green);
is("$v->{valid} $v->{kid} $v->{status}", "t $kid_es green", "B still verifies the code of A's ES256 key");
refused_by($node_b, 'B after rotation', 'retired key');

$node_b->stop;
done_testing();
