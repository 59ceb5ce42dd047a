#!/usr/bin/env bash
# Install (when missing) and start a throwaway PostgreSQL server on loopback for the runtime tests.
# Prints the server's data folder, then the DATABASE_URL to use, on its last two lines.
set -euo pipefail
# A free port on loopback, so that a server left over from an earlier run never blocks this one.
PORT="${PGPORT_CI:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
PGBIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"
DATA="$(mktemp -d /tmp/orm-analyzer-pg.XXXXXX)"
chown postgres:postgres "$DATA"
runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c fsync=off -c synchronous_commit=off" start >&2
"$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -c "CREATE DATABASE bookshop" >/dev/null
echo "$DATA"
echo "postgres://postgres@127.0.0.1:$PORT/bookshop"
