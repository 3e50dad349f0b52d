#!/usr/bin/env perl
# Dev-time: the EU DCC test vectors (a copy of eu-digital-green-certificates/
# dgc-testdata, Apache-2.0; ../shared/reference/dcc-testdata) as one CSV that
# the regress test healthcode_dcc_vectors loads with COPY.  Only what
# verification reads is kept (the QR pictures are left out):
#
#   perl scripts/dcc-vectors-to-csv.pl ../shared/reference/dcc-testdata > data/dcc-testdata/vectors.csv
#
# Columns: vector (folder/file), prefix, certificate (base64 DER), clock,
# the EXPECTED* verdicts (t, f, or NULL when the vector does not test that
# step), json (the certificate's JSON, compact, keys sorted), cbor (hex).
use strict;
use warnings;
use File::Find;
use JSON::PP;

my $dir = shift or die "usage: $0 DCC-TESTDATA-DIR\n";
my @expected = qw(EXPECTEDUNPREFIX EXPECTEDB45DECODE EXPECTEDCOMPRESSION EXPECTEDDECODE EXPECTEDVERIFY
                  EXPECTEDEXPIRATIONCHECK EXPECTEDKEYUSAGE EXPECTEDVALIDJSON);
my @files;
find(sub { push @files, $File::Find::name if /\.json$/ }, $dir);
my $json = JSON::PP->new->utf8->canonical;
# (a missing value is an unquoted empty field: NULL to COPY)
sub csv { my $v = shift; return '' unless defined $v; $v =~ s/"/""/g; return "\"$v\"" }
sub verdict { my $v = shift; return undef unless defined $v; return $v ? 't' : 'f' }

print join(',', 'vector', 'prefix', 'certificate', 'clock', map({ lc } @expected), 'json', 'cbor'), "\n";
for my $f (sort @files) {
    open my $fh, '<:raw', $f or die "$f: $!";
    local $/;
    my $v = JSON::PP->new->utf8->decode(<$fh>);
    (my $name = $f) =~ s{^\Q$dir\E/?}{};
    $name =~ s{/2DCode/raw/}{/};
    my $ctx = $v->{TESTCTX} // {};
    my $res = $v->{EXPECTEDRESULTS} // {};
    print join(',', csv($name), csv($v->{PREFIX}), csv($ctx->{CERTIFICATE}), csv($ctx->{VALIDATIONCLOCK}),
                    (map { csv(verdict($res->{$_})) } @expected),
                    csv(defined $v->{JSON} ? $json->encode($v->{JSON}) : undef), csv($v->{CBOR})), "\n";
}
