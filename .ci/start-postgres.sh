#!/usr/bin/env bash
# Install (if needed) and start a local PostgreSQL for the store tests; prints the URL to use.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "installing PostgreSQL …" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
dir=${PGTEST_DIR:-/tmp/brand-monitor-pg}
port=${PGTEST_PORT:-55432}
if ! su postgres -s /bin/sh -c "$bin/pg_ctl -D $dir status" >/dev/null 2>&1; then
  rm -rf "$dir"
  mkdir -p "$dir"
  chown postgres "$dir"
  su postgres -s /bin/sh -c "$bin/initdb -D $dir -U postgres --auth=trust -E UTF8" >/dev/null
  su postgres -s /bin/sh -c "$bin/pg_ctl -D $dir -o '-p $port -k /tmp -c listen_addresses=127.0.0.1' -l $dir/log -w start" >/dev/null
fi
echo "postgresql://postgres@127.0.0.1:$port/postgres"
