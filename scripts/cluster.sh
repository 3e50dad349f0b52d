#!/usr/bin/env bash
# The embedded temporary PostgreSQL cluster used by `make demo`, `make test`
# and `make bench`.
#
#   scripts/cluster.sh start NAME   start (or reuse) cluster NAME
#   scripts/cluster.sh fresh NAME   start NAME from an empty data directory
#   scripts/cluster.sh stop [NAME]  stop NAME (default: every cluster)
#   scripts/cluster.sh env NAME     print the shell settings to reach NAME
#
# PostgreSQL refuses to run as root, so as root the server runs as the
# `postgres` OS user (via runuser), else as the caller; either way its
# superuser is the database role `postgres` (HUB_DBUSER in the env file).
# Data lives under .hub/NAME/ when that user can write there, else under the
# system temp directory.  The socket lives in a short directory under /tmp
# (108-byte socket path limit) and the port is the first free one from 54329
# up.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bindir=$( (/usr/lib/postgresql/15/bin/pg_config --bindir || pg_config --bindir) 2>/dev/null)
state_root="$top/.hub"

if [ "$(id -u)" -eq 0 ]; then
  osuser=postgres
  as_osuser() { runuser -u "$osuser" -- "$@"; }
else
  osuser=$(id -un)
  as_osuser() { "$@"; }
fi

port_is_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Where the data directory goes: inside the checkout if the server's OS user
# can write there, else a private directory under the system temp directory.
choose_datadir() {
  local name=$1 dir="$state_root/$name"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown "$osuser" "$dir"
  if as_osuser test -w "$dir" -a -x "$dir"; then
    echo "$dir/data"
  else
    local tmp
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/healthhub-$name.XXXXXX")
    chown "$osuser" "$tmp"
    echo "$tmp/data"
  fi
}

stop_one() {
  local envfile=$1
  # shellcheck disable=SC1090
  . "$envfile"
  if [ -f "$HUB_PGDATA/postmaster.pid" ]; then
    as_osuser "$bindir/pg_ctl" -D "$HUB_PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -f "$envfile"
}

start() {
  local name=$1 fresh=$2 envfile="$state_root/$1/env"
  if [ -f "$envfile" ]; then
    # shellcheck disable=SC1090
    . "$envfile"
    if [ "$fresh" = no ] && as_osuser "$bindir/pg_ctl" -D "$HUB_PGDATA" status >/dev/null 2>&1; then
      # (a cluster made before HUB_DBUSER existed has the OS user's name)
      grep -q '^HUB_DBUSER=' "$envfile" || echo "HUB_DBUSER='$HUB_OSUSER'" >>"$envfile"
      return 0
    fi
    stop_one "$envfile"
    rm -rf "$HUB_PGDATA"
  fi

  local datadir sockdir port log
  datadir=$(choose_datadir "$name")
  rm -rf "$datadir"
  sockdir=$(mktemp -d /tmp/hh.XXXXXX)
  chmod 755 "$sockdir"
  [ "$(id -u)" -eq 0 ] && chown "$osuser" "$sockdir"
  port=54329
  while ! port_is_free "$port"; do port=$((port + 1)); done
  log="$(dirname "$datadir")/server.log"

  # the database superuser is `postgres` whichever OS user runs the server,
  # so that nothing run against the cluster depends on who started it
  as_osuser "$bindir/initdb" -D "$datadir" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  cat >>"$datadir/postgresql.conf" <<CONF
# healthhub temporary cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
max_connections = 40
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
fsync = off
synchronous_commit = off
full_page_writes = off
max_prepared_transactions = 10
# a runaway plan fails instead of filling the disk
temp_file_limit = 20GB
# the audit writer (read entries that survive a rollback) needs shared memory
shared_preload_libraries = 'healthhub'
CONF
  as_osuser "$bindir/pg_ctl" -D "$datadir" -l "$log" -w -t 60 start >/dev/null
  cat >"$envfile" <<ENV
HUB_PGDATA='$datadir'
HUB_SOCKDIR='$sockdir'
HUB_PORT='$port'
HUB_OSUSER='$osuser'
HUB_DBUSER='postgres'
HUB_BINDIR='$bindir'
HUB_LOG='$log'
ENV
}

cmd=${1:-}
case "$cmd" in
  start | fresh)
    start "${2:?cluster name}" "$([ "$cmd" = fresh ] && echo yes || echo no)"
    ;;
  stop)
    if [ -n "${2:-}" ]; then
      [ -f "$state_root/$2/env" ] && stop_one "$state_root/$2/env"
    else
      for f in "$state_root"/*/env; do
        [ -f "$f" ] && stop_one "$f"
      done
    fi
    echo "healthhub: stopped"
    ;;
  env)
    cat "$state_root/${2:?cluster name}/env"
    ;;
  *)
    echo "usage: $0 start|fresh|stop|env NAME" >&2
    exit 64
    ;;
esac
