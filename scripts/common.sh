# Shared steps of `make demo`, `make test` and `make bench`: sourced, not run.
# Installs what is missing, builds, and installs the extension only when the
# installed files differ from the build, so a second run is fast.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pg_config_bin=/usr/lib/postgresql/15/bin/pg_config

# Nothing may depend on the caller's locale: a login without LANG (as after
# `su -`) runs in the C locale, where initdb makes SQL_ASCII clusters and psql
# talks SQL_ASCII.  C.UTF-8 exists on every Debian 12.  (scripts/run-suite.sh
# says the same; TAP nodes also initdb with an explicit locale, t/HealthhubNode.pm.)
hub_utf8_locale() {
  unset LC_ALL LC_CTYPE LC_COLLATE LC_NUMERIC LC_TIME LC_MONETARY LC_MESSAGES LANGUAGE
  export LANG=C.UTF-8
}
hub_utf8_locale

hub_step() { printf '\033[1m== %s\033[0m\n' "$*"; }

ensure_deps() {
  bash "$top/scripts/install-deps.sh"
}

# Run a command as root: directly when we are root, through `sudo -n` when
# that works without a password; otherwise say what to run and exit 2.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    echo "healthhub: this step needs root; run it yourself, then run make again:" >&2
    echo "  sudo $*" >&2
    exit 2
  fi
}

# Debug information and the build id record the build directory, so two
# checkouts build different bytes from one source: compare without them.
same_library() {
  local tmp rc=0
  [ -f "$2" ] || return 1
  tmp=$(mktemp -d)
  objcopy --strip-debug --remove-section=.note.gnu.build-id "$1" "$tmp/a" &&
    objcopy --strip-debug --remove-section=.note.gnu.build-id "$2" "$tmp/b" &&
    cmp -s "$tmp/a" "$tmp/b" || rc=1
  rm -rf "$tmp"
  return $rc
}

installed_matches_build() {
  local libdir sharedir f
  libdir=$("$pg_config_bin" --pkglibdir)
  sharedir=$("$pg_config_bin" --sharedir)/extension
  same_library "$top/healthhub.so" "$libdir/healthhub.so" || return 1
  for f in "$top"/healthhub.control "$top"/healthhub--*.control "$top"/healthhub--*.sql "$top"/versions/healthhub--*.sql "$top"/src/upgrade/healthhub--*.sql; do
    cmp -s "$f" "$sharedir/$(basename "$f")" || return 1
  done
}

build_and_install() {
  hub_step "build"
  make -s -C "$top" PG_CONFIG="$pg_config_bin" >/dev/null
  if installed_matches_build; then
    echo "healthhub: installed extension is up to date"
  else
    hub_step "install into $("$pg_config_bin" --pkglibdir)"
    as_root make -s -C "$top" PG_CONFIG="$pg_config_bin" install >/dev/null
  fi
}
