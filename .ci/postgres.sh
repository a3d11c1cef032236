#!/usr/bin/env bash
# Starts a private PostgreSQL server for chianet's tests and prints its DSN
# (for CHIANET_TEST_POSTGRES) on standard output; everything else goes to
# standard error.
#
#   dsn=$(.ci/postgres.sh)          start one in a new temporary directory
#   .ci/postgres.sh stop "$dsn"     stop it and remove its directory
#
# The server listens on a Unix socket only (listen_addresses=''), in the
# temporary directory, so it cannot clash with another server or be
# reached from the network. PostgreSQL refuses to run as root: as root the
# server runs as the postgres user. On a machine without PostgreSQL it is
# installed with apt-get first.
set -euo pipefail

port=54329

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; fi
}

if [ "${1:-}" = stop ]; then
  dsn=${2:?usage: $0 stop DSN}
  dir=$(sed -n 's/.*host=\([^ ]*\).*/\1/p' <<<"$dsn")
  [ -d "$dir/data" ] || { echo "no server data under $dir" >&2; exit 1; }
  as_pg "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  rm -rf "$dir"
  exit 0
fi

bin=$(bindir)
if [ -z "$bin" ]; then
  echo "installing postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq postgresql) >&2
  bin=$(bindir)
  [ -n "$bin" ] || { echo "postgresql installed but no initdb found" >&2; exit 1; }
fi

dir=$(mktemp -d /tmp/chianet-pg.XXXXXX)
chmod 0755 "$dir"
if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >&2
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-k $dir -p $port -c listen_addresses='' -c fsync=on" start >&2
echo "host=$dir port=$port user=postgres dbname=postgres sslmode=disable"
