# The generated blocks of docs/*.md (<!-- generated: NAME --> ... <!-- end
# generated: NAME -->) equal what docs/generated/NAME.sql gives on a fresh
# install: the lists of who may do what and of what is recorded cannot drift
# from the catalog.  scripts/gen-docs.sh rewrites them.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use HealthhubNode;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Basename qw(dirname);
use Cwd qw(abs_path);

my $top = abs_path(dirname(__FILE__) . '/..');
my $node = hub_node('docs');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION healthhub CASCADE');

my $blocks = 0;
for my $doc (glob "$top/docs/*.md")
{
    my $text = slurp_file($doc);
    while ($text =~ /<!-- generated: ([a-z_]+) -->\n(.*?)<!-- end generated: \1 -->/sg)
    {
        my ($name, $body) = ($1, $2);
        my $want = $node->safe_psql('postgres', slurp_file("$top/docs/generated/$name.sql"));
        $body =~ s/\n\z//;
        is($body, $want, "docs/" . (split m{/}, $doc)[-1] . ": the block $name is what its query gives"
            . " (run scripts/gen-docs.sh)");
        $blocks++;
    }
}
cmp_ok($blocks, '>=', 2, 'the docs have the generated blocks');
done_testing();
