#!/usr/bin/perl
# gen-resident-ids.pl COUNT [SEED]
#
# Prints COUNT distinct, valid GB 11643 resident ID numbers, one per line, in
# the canonical 18-character form (upper-case X as check character), in a
# pseudo-random order.  The output depends only on COUNT and SEED (default 1):
# the same arguments give the same bytes on every machine (integer arithmetic
# only, no perl rand()).
#
# Each number is  PP CC DD YYYYMMDD SSS K  where
#   PP        one of the 31 mainland province-level codes (11..65),
#   CC DD     city and county digits 00..99,
#   YYYYMMDD  a calendar date from 1940-01-01 to 2019-12-31,
#   SSS       sequence 000..999,
#   K         the ISO 7064 MOD 11-2 check character (0-9 or X).
# That is M = 31 * 100 * 100 * 29220 * 1000 (about 9.06e12) possible
# numbers.  The i-th output is field-decoded from P(i), where P is a keyed
# 4-round Feistel permutation of [0, 2^44) with cycle walking into [0, M):
# distinct by construction, spread over the whole space, unsorted.
use strict;
use warnings;
use integer;    # every product below stays under 2^63

my $count = shift // die "usage: $0 COUNT [SEED]\n";
my $seed  = shift // 1;
die "COUNT must be a positive integer\n" unless $count =~ /^[0-9]+$/ && $count > 0;
die "SEED must be a non-negative integer\n" unless $seed =~ /^[0-9]+$/;

my @prov = (11 .. 15, 21 .. 23, 31 .. 37, 41 .. 46, 50 .. 54, 61 .. 65);
my @w    = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2);
my @chk  = split //, '10X98765432';    # indexed by (weighted sum) mod 11

# digit-sum contribution of each field, so a number costs three lookups
sub wsum { my ($s, $from) = @_; my $t = 0; $t += substr($s, $_, 1) * $w[$from + $_] for 0 .. length($s) - 1; $t }

my (@dates, @date_sum);
for my $y (1940 .. 2019) {
    my $leap = ($y % 4 == 0 && $y % 100 != 0) || $y % 400 == 0;
    my @md = (31, $leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31);
    for my $m (1 .. 12) {
        for my $d (1 .. $md[$m - 1]) {
            my $s = sprintf '%04d%02d%02d', $y, $m, $d;
            push @dates, $s;
            push @date_sum, wsum($s, 6);
        }
    }
}
my $ndays = @dates;    # 29220
my @prov_s = map { sprintf '%02d', $_ } @prov;
my @prov_sum = map { wsum($_, 0) } @prov_s;
my @two = map { sprintf '%02d', $_ } 0 .. 99;
my @city_sum   = map { wsum($_, 2) } @two;
my @county_sum = map { wsum($_, 4) } @two;
my @seq_s = map { sprintf '%03d', $_ } 0 .. 999;
my @seq_sum = map { wsum($_, 14) } @seq_s;

my $space = scalar(@prov) * 100 * 100 * $ndays * 1000;
die "COUNT exceeds the number space ($space)\n" if $count > $space;

# round keys from the seed (splitmix-style mixing kept under 2^63)
my $half_bits = 22;
my $mask      = (1 << $half_bits) - 1;
my @key;
{
    my $x = ($seed * 2654435761 + 12345) & 0xFFFFFFFF;
    for (1 .. 4) {
        $x = ($x * 1103515245 + 12345) & 0x7FFFFFFF;
        push @key, ($x >> 4) & $mask;
    }
}

sub feistel {
    my $v = shift;
    my ($l, $r) = ($v >> $half_bits, $v & $mask);
    for my $k (@key) {
        my $f = $r ^ $k;
        $f = ($f * 0x9E3779B1) & ((1 << 40) - 1);
        $f = (($f >> 17) ^ $f ^ ($f >> 9)) & $mask;
        ($l, $r) = ($r, $l ^ $f);
    }
    return ($l << $half_bits) | $r;
}

my $buf = '';
for my $i (0 .. $count - 1) {
    my $j = feistel($i);
    $j = feistel($j) while $j >= $space;    # cycle walking: stays a permutation
    my $seq = $j % 1000;  $j /= 1000;
    my $day = $j % $ndays; $j /= $ndays;
    my $cty = $j % 100;   $j /= 100;
    my $cit = $j % 100;   $j /= 100;
    my $sum = $prov_sum[$j] + $city_sum[$cit] + $county_sum[$cty] + $date_sum[$day] + $seq_sum[$seq];
    $buf .= $prov_s[$j] . $two[$cit] . $two[$cty] . $dates[$day] . $seq_s[$seq] . $chk[$sum % 11] . "\n";
    if (length($buf) > 1 << 16) { print $buf; $buf = ''; }
}
print $buf;
