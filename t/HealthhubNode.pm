# The TAP tests' nodes, independent of the caller's environment.
#
#   my $node = hub_node('name');                 # UTF8, C.UTF-8, healthhub preloaded
#   my $plain = hub_node('plain', preload => 0); # not preloaded
#   my $inst = scratch_install($dir, 'healthhub--0.5--0.6.sql' => $text);
#   my $other = hub_node('scratch', install_path => $inst);
#
# initdb takes its encoding and locale from the environment: a login without
# LANG (as after `su -`) gets the C locale and a SQL_ASCII cluster, where
# CREATE EXTENSION healthhub refuses to run.  Every node is therefore made
# UTF8 in C.UTF-8 (a locale every Debian 12 has), whoever runs the suite.
package HealthhubNode;
use strict;
use warnings;
use Exporter 'import';
use FindBin ();
use File::Copy qw(copy);
use File::Path qw(make_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our @EXPORT = qw(hub_node scratch_install missing_profile_rights);

# A node, initialised but not started.  preload => 0 leaves healthhub out of
# shared_preload_libraries; install_path => DIR uses another installation
# (scratch_install); other options go to init (allows_streaming, ...).
sub hub_node
{
    my ($name, %opt) = @_;
    my $preload = delete $opt{preload} // 1;
    my %new = map { exists $opt{$_} ? ($_ => delete $opt{$_}) : () } qw(install_path port own_host);
    my $node = PostgreSQL::Test::Cluster->new($name, %new);
    $node->init(%opt, extra => [ '--encoding=UTF8', '--locale=C.UTF-8', @{ $opt{extra} // [] } ]);
    $node->append_conf('postgresql.conf', "shared_preload_libraries = 'healthhub'") if $preload;
    return $node;
}

# A scratch PostgreSQL installation in $dir that is the one pg_config names
# (the server finds its share and library directories relative to its own
# binary), with some files of share/extension replaced: name => contents.
# The binaries a node needs are copied (a symbolic link would lead the server
# back to the real installation); every other file is a symbolic link.
# Returns the installation path for hub_node(..., install_path => ...).
sub scratch_install
{
    my ($dir, %replace) = @_;
    my %pg;
    for my $what (qw(bindir pkglibdir sharedir))
    {
        $pg{$what} = `pg_config --$what`;
        die "pg_config --$what failed" if $?;
        chomp $pg{$what};
    }
    my ($bin, $lib, $share) = map { $dir . $pg{$_} } qw(bindir pkglibdir sharedir);
    make_path($bin, $lib, "$share/extension");
    for my $p (qw(postgres initdb pg_ctl psql pg_config))
    {
        copy("$pg{bindir}/$p", "$bin/$p") or die "copy $p: $!";
        chmod 0755, "$bin/$p";
    }
    my $link_all = sub {
        my ($from, $to, $skip) = @_;
        opendir my $dh, $from or die "$from: $!";
        for my $f (grep { !/^\.\.?$/ } readdir $dh)
        {
            next if $skip->($f);
            symlink("$from/$f", "$to/$f") or die "symlink $to/$f: $!";
        }
        closedir $dh;
    };
    $link_all->($pg{pkglibdir}, $lib, sub { 0 });
    $link_all->($pg{sharedir}, $share, sub { $_[0] eq 'extension' });
    $link_all->("$pg{sharedir}/extension", "$share/extension", sub { exists $replace{ $_[0] } });
    while (my ($f, $text) = each %replace)
    {
        open my $fh, '>', "$share/extension/$f" or die "$f: $!";
        print $fh $text;
        close $fh;
    }
    my $inst = $bin =~ s{/bin$}{}r;
    my $check = `$bin/pg_config --sharedir`;
    chomp $check;
    die "the scratch installation's sharedir is $check, not $share" unless $check eq $share;
    return $inst;
}

# The rights a role lacks, in database $db, of those its profiles give it
# now (healthhub.profile_privileges): "profile: object" joined by ", ", or ''.
sub missing_profile_rights
{
    my ($node, $db, $role) = @_;
    return $node->safe_psql($db, qq{
        SELECT coalesce(string_agg(pp.profile || ': ' || pp.object_name, ', ' ORDER BY pp.profile, pp.object_name), '')
          FROM healthhub.profile_privileges pp JOIN healthhub.role_profiles rp ON rp.profile = pp.profile,
               LATERAL (SELECT split_part(split_part(pp.privileges, ',', 1), ' (', 1) AS word) w
         WHERE rp.role_name = '$role'
           AND NOT CASE WHEN pp.object_kind = 'function' THEN has_function_privilege('$role', pp.object_name, 'EXECUTE')
                        WHEN pp.object_kind <> 'table' THEN true
                        WHEN w.word IN ('SELECT', 'INSERT', 'UPDATE') THEN has_any_column_privilege('$role', pp.object_name, w.word)
                        ELSE has_table_privilege('$role', pp.object_name, w.word) END});
}

# The releases in versions/RELEASES, oldest first; the last one is the
# version being built.
sub releases
{
    my $file = "$FindBin::RealBin/../versions/RELEASES";
    open my $fh, '<', $file or die "$file: $!";
    my @r = grep { /\S/ } map { s/#.*//r =~ s/\s+//gr } <$fh>;
    close $fh;
    return @r;
}

1;
