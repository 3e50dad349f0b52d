#!/usr/bin/env perl
# Generate a synthetic population and the records institutions would send
# about it, with the noise of real extracts (docs/linkage.md, "The generated
# data").  Seeded: the same arguments give the same file, byte for byte.
#
#   perl scripts/gen-population.pl --records 1000000 --seed 42 > records.csv
#
# CSV, with a header, in the staging shape (healthhub.stage_person_records)
# plus the truth: institution, local_id, name, sex, birth_date, identifier,
# phone, address_region, other_identifiers, true_person.
#
# What it models: realistic surname frequencies (王 李 张 刘 陈 ... and a tail
# of rare and compound surnames); one- and two-character given names from
# the common name characters; several records per person at different
# institutions; twins (same surname, birth date, address and phone, given
# names one character apart, numbers a few sequence digits apart, both
# valid); children recorded under a parent's number;
# newborns and the elderly without numbers.  Noise per record: traditional
# characters, a homophone in the given name, spaces typed between
# characters, fullwidth digits, day/month swaps, a day or a year off,
# 15-digit legacy numbers, a mistyped digit, a lowercase x, missing
# numbers, phones and dates, a new phone, a move to another county.  The
# records come out in arrival order: shuffled, not person by person.
use strict;
use warnings;
use utf8;
use Getopt::Long;

my ($records, $seed) = (100000, 42);
GetOptions('records=i' => \$records, 'seed=i' => \$seed)
  or die "usage: $0 [--records N] [--seed S]\n";
srand($seed);
binmode STDOUT, ':encoding(UTF-8)';

# Surnames with their share of the population (per mille, approximate).
my @surnames = (
  [王=>71],[李=>70],[张=>67],[刘=>54],[陈=>45],[杨=>31],[黄=>22],[赵=>20],[吴=>19],[周=>18],
  [徐=>16],[孙=>15],[马=>15],[朱=>13],[胡=>13],[郭=>11],[何=>11],[高=>10],[林=>10],[罗=>9],
  [郑=>8],[梁=>8],[谢=>7],[宋=>6],[唐=>6],[许=>6],[韩=>6],[冯=>5],[邓=>5],[曹=>5],
  [彭=>5],[曾=>5],[肖=>5],[田=>4],[董=>4],[袁=>4],[潘=>4],[于=>4],[蒋=>4],[蔡=>4],
  [余=>4],[杜=>4],[叶=>4],[程=>3],[苏=>3],[魏=>3],[吕=>3],[丁=>3],[任=>3],[沈=>3],
  [姚=>3],[卢=>3],[姜=>3],[崔=>3],[钟=>3],[谭=>3],[陆=>3],[汪=>2],[范=>2],[金=>2],
  [石=>2],[廖=>2],[贾=>2],[夏=>2],[韦=>2],[付=>2],[方=>2],[白=>2],[邹=>2],[孟=>2],
  [熊=>2],[秦=>2],[邱=>2],[江=>2],[尹=>2],[薛=>2],[闫=>2],[段=>2],[雷=>2],[侯=>1],
  [龙=>1],[史=>1],[陶=>1],[黎=>1],[贺=>1],[顾=>1],[毛=>1],[郝=>1],[龚=>1],[邵=>1],
  [万=>1],[钱=>1],[严=>1],[覃=>1],[武=>1],[戴=>1],[莫=>1],[孔=>1],[向=>1],[汤=>1],
  [欧阳=>0.5],[司马=>0.2],[上官=>0.2],[诸葛=>0.2],[单=>0.3],[解=>0.3],[仇=>0.2],[查=>0.2],
  [尉迟=>0.05],[宇文=>0.05],
);
my @given_m = split //, '伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘';
my @given_f = split //, '秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽';

# Traditional forms of the characters above that have one.
my %traditional;
{
  my $pairs = '张張刘劉陈陳杨楊黄黃赵趙吴吳孙孫马馬郑鄭谢謝罗羅许許韩韓冯馮邓鄧肖蕭叶葉苏蘇吕呂卢盧钟鍾谭譚陆陸'
    . '贾賈韦韋邹鄒闫閆龙龍贺賀顾顧龚龔钱錢严嚴汤湯欧歐阳陽诸諸葛葛单單伟偉华華丽麗军軍杰傑强強东東国國红紅'
    . '兰蘭凤鳳宁寧庆慶云雲涛濤刚剛辉輝义義兴興贵貴发發胜勝学學飞飛顺順达達进進坚堅诚誠乐樂绍紹谦謙鸣鳴栋棟'
    . '维維伦倫鹏鵬泽澤树樹钧鈞腾騰风風艳艷洁潔莲蓮环環荣榮爱愛莺鶯琼瓊贞貞锦錦颖穎瑶瑤婵嬋仪儀梦夢岚嵐韵韻'
    . '艺藝聪聰澜瀾纯純悦悅飘飄滢瀅晓曉欢歡枫楓亚亞惠惠翠翠淑淑珠珠巧巧';
  my @c = split //, $pairs;
  for (my $i = 0; $i + 1 < @c; $i += 2) { $traditional{$c[$i]} = $c[$i + 1] if $c[$i] ne $c[$i + 1]; }
}
# Characters read alike (toneless pinyin), for homophone slips.
my %homophone;
for my $group (qw(伟玮炜 丽莉立 静晶敬 明鸣铭 军君钧 红宏鸿虹 华桦 杰洁 强蔷 磊蕾 涛韬 芳方 娜纳 敏闵 燕艳雁
                  玲铃 霞夏 刚钢 平萍 波博 辉晖 健建 林琳霖 峰锋枫 婷庭 颖影 龙隆 鹏朋 晨辰 翔祥 飞菲 宁凝 思斯
                  慧惠 秀绣 梅玫 春纯 雪薛 兰岚 云芸 文雯 海 玉钰 佳嘉 琪琦 欣馨 瑶遥 怡宜 俊峻 浩皓)) {
  my @g = split //, $group;
  next if @g < 2;
  for my $c (@g) { $homophone{$c} = [grep { $_ ne $c } @g]; }
}
my @counties = qw(110101 110102 110105 110106 110108 310101 310104 310105 310106 310107 310109 310110
                  440103 440104 440105 440106 440111 440303 440304 440305 440306 440307 440308
                  320102 320104 320105 320106 330102 330105 330106 330108 420102 420103 420104 420105
                  420106 510104 510105 510106 510107 510108 500101 500102 500103 500104 370102 370103);
my @institutions = map { sprintf 'H%03d', $_ } 1 .. 60;

my $total_weight = 0;
$total_weight += $_->[1] for @surnames;
sub pick_surname {
  my $r = rand($total_weight);
  for (@surnames) { return $_->[0] if ($r -= $_->[1]) < 0; }
  return $surnames[0][0];
}
sub pick { my $a = shift; return $a->[int(rand(@$a))]; }
sub chance { return rand() < $_[0]; }

sub check_char {
  my ($body) = @_;
  my @w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2);
  my $sum = 0;
  $sum += substr($body, $_, 1) * $w[$_] for 0 .. 16;
  return substr('10X98765432', $sum % 11, 1);
}
my %used_id;
sub make_id {
  my ($region, $y, $m, $d, $sex, $near) = @_;
  for my $try (1 .. 1000) {
    # a twin's number: the sibling's sequence a step or two on
    my $seq = defined $near && $try <= 20 ? $near + 2 * $try - ($sex == ($near % 2 ? 1 : 2) ? 0 : 1)
            : int(rand(500)) * 2 + ($sex == 1 ? 1 : 0);
    next if $seq < 1 || $seq > 999;
    $seq = 1 if $seq == 0;
    my $body = sprintf('%s%04d%02d%02d%03d', $region, $y, $m, $d, $seq);
    next if $used_id{$body}++;
    return $body . check_char($body);
  }
  die "no free ID number\n";
}
sub days_in { my ($y, $m) = @_; return (31, ($y % 4 == 0 && ($y % 100 || $y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[$m - 1]; }

# --- the population ------------------------------------------------------
my @persons;
sub new_person {
  my (%p) = @_;
  $p{sex} //= chance(0.5) ? 1 : 2;
  $p{surname} //= pick_surname();
  my $pool = $p{sex} == 1 ? \@given_m : \@given_f;
  $p{given} //= chance(0.15) ? pick($pool) : pick($pool) . pick($pool);
  unless (defined $p{year}) {
    my $age = int(rand(96));
    $p{year} = 2025 - $age;
    $p{month} = 1 + int(rand(12));
    $p{day} = 1 + int(rand(days_in($p{year}, $p{month})));
  }
  $p{region} //= pick(\@counties);
  my $age = 2025 - $p{year};
  # newborns and the very old often have no number on file
  $p{has_id} //= !($age == 0 && chance(0.5)) && !($age > 85 && chance(0.3));
  $p{id} = make_id($p{region}, $p{year}, $p{month}, $p{day}, $p{sex}, $p{near_seq}) if $p{has_id};
  $p{phone} //= chance(0.85) ? sprintf('1%d%d%08d', 3 + int(rand(7)), int(rand(10)), int(rand(1e8))) : undef;
  $p{card} = chance(0.5) ? sprintf('medical_insurance:%s:%s%08d', $p{region}, ('A'..'Z')[int(rand(26))], int(rand(1e8))) : undef;
  $p{key} = scalar(@persons) + 1;
  push @persons, \%p;
  return \%p;
}

my @per_person = ((1) x 35, (2) x 30, (3) x 20, (4) x 10, (5) x 5);
my $mean = 0;
$mean += $_ for @per_person;
$mean /= @per_person;
my $target_persons = int($records / $mean) + 1;
while (@persons < $target_persons) {
  my $p = new_person();
  if (chance(0.015)) {          # a twin: family details shared; the name one character apart
    my $sex = chance(0.5) ? 1 : 2;
    my $pool = $sex == 1 ? \@given_m : \@given_f;
    my @c = split //, $p->{given};
    my $i = int(rand(@c));
    my $given = $p->{given};
    while ($given eq $p->{given}) { $c[$i] = pick($pool); $given = join '', @c; }
    new_person(surname => $p->{surname}, year => $p->{year}, month => $p->{month}, day => $p->{day},
               region => $p->{region}, phone => $p->{phone}, given => $given, sex => $sex,
               has_id => $p->{has_id}, near_seq => defined $p->{id} ? substr($p->{id}, 14, 3) + 0 : undef);
  }
}
# children: some are recorded under a parent's number
my @adults = grep { 2025 - $_->{year} >= 22 && 2025 - $_->{year} <= 50 && $_->{has_id} } @persons;
for my $p (@persons) {
  next unless 2025 - $p->{year} < 10 && chance(0.3) && @adults;
  my $parent = pick(\@adults);
  $p->{parent_id} = $parent->{id};
  $p->{surname} = $parent->{surname} if chance(0.8);
}

# --- the records ---------------------------------------------------------
sub fullwidth { my $s = shift; $s =~ tr/0-9X/０-９Ｘ/; return $s; }
sub noisy_name {
  my ($p) = @_;
  my $given = $p->{given};
  if (chance(0.04)) {            # a homophone typed for one character
    my @c = split //, $given;
    my $i = int(rand(@c));
    $c[$i] = pick($homophone{$c[$i]}) if $homophone{$c[$i]};
    $given = join '', @c;
  }
  my $name = $p->{surname} . $given;
  $name = join '', map { $traditional{$_} // $_ } split //, $name if chance(0.08);
  if (chance(0.05)) {            # spaces typed between characters
    $name = chance(0.5) ? join(' ', split //, $name) : substr($name, 0, length $p->{surname}) . ' ' . substr($name, length $p->{surname});
  }
  return $name;
}
sub noisy_date {
  my ($p) = @_;
  return '' if chance(0.03);
  my ($y, $m, $d) = ($p->{year}, $p->{month}, $p->{day});
  if ($d <= 12 && $d != $m && chance(0.03)) { ($m, $d) = ($d, $m); }
  elsif (chance(0.02)) { $d = $d > 1 ? $d - 1 : $d + 1; }
  elsif (chance(0.01)) { $y += chance(0.5) ? 1 : -1; $y = 2025 if $y > 2025; }
  return sprintf('%04d-%02d-%02d', $y, $m, $d);
}
sub noisy_id {
  my ($p) = @_;
  my $id = $p->{parent_id} // $p->{id};
  return '' unless defined $id && !chance(0.2);
  if (chance(0.02)) {                                       # one digit mistyped
    my $i = int(rand(17));
    my $c = substr($id, $i, 1);
    substr($id, $i, 1) = ($c + 1 + int(rand(9))) % 10;
  }
  elsif (substr($id, 6, 2) eq '19' && chance(0.05)) {       # the 15-digit legacy form
    $id = substr($id, 0, 6) . substr($id, 8, 9);
  }
  $id = lc $id if chance(0.5) && $id =~ /X$/;
  $id = fullwidth($id) if chance(0.05);
  return $id;
}
my %next_local;
print "institution,local_id,name,sex,birth_date,identifier,phone,address_region,other_identifiers,true_person\n";
my $written = 0;
my @lines;
PERSON: for my $p (@persons) {
  my $n = pick(\@per_person);
  for (1 .. $n) {
    last PERSON if $written >= $records;
    my $inst = pick(\@institutions);
    my $sex = chance(0.05) ? '' : (['1', '2'], ['M', 'F'], ['男', '女'])[int(rand(3))][$p->{sex} - 1];
    my $phone = !defined $p->{phone} || chance(0.3) ? '' :
                chance(0.05) ? sprintf('1%d%d%08d', 3 + int(rand(7)), int(rand(10)), int(rand(1e8))) : $p->{phone};
    $phone = fullwidth($phone) if $phone ne '' && chance(0.02);
    my $region = chance(0.1) ? pick(\@counties) : $p->{region};
    my $other = defined $p->{card} && chance(0.4) ? $p->{card} : '';
    push @lines, join(',', $inst, noisy_name($p), $sex, noisy_date($p), noisy_id($p), $phone, $region, $other,
                      $p->{key});
    $written++;
  }
}
# arrival order: records of one person come at different times; local ids
# are numbered per institution as records arrive
for (my $i = $#lines; $i > 0; $i--) {
  my $j = int(rand($i + 1));
  @lines[$i, $j] = @lines[$j, $i];
}
for my $line (@lines) {
  my ($inst, $rest) = split /,/, $line, 2;
  printf "%s,%s-%07d,%s\n", $inst, $inst, ++$next_local{$inst}, $rest;
}
