#!/usr/bin/env bash
# A throw-away PostgreSQL 16 + pgvector server for the store tests, from the PyPI package `pgserver`
# (Debian bookworm has PostgreSQL but not pgvector). Installed into .venv-pg when missing; started in a
# temporary folder as a non-root user (PostgreSQL refuses root), on a free loopback port, trust auth.
#
#   bash Scripts/pg-test-server.sh start   # prints `export ALTCLIP_TEST_POSTGRES_URL=... ALTCLIP_TEST_POSTGRES_DIR=...`
#   bash Scripts/pg-test-server.sh stop DIR
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${PG_VENV:-$here/.venv-pg}
pgserver_version=0.1.4

install() {
  if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv" >&2; fi
  if ! "$venv/bin/python" -c "import pgserver" 2>/dev/null; then
    "$venv/bin/pip" install -q "pgserver==$pgserver_version" >&2
  fi
  "$venv/bin/python" -W ignore -c "import pgserver, pathlib; print(pathlib.Path(pgserver.__file__).parent / 'pginstall' / 'bin')" 2>/dev/null
}

case "${1:-}" in
start)
  bin=$(install)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/altclip-pg.XXXXXX")
  run=()
  if [ "$(id -u)" = 0 ]; then
    id altclip-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin altclip-pg
    chown altclip-pg "$dir"
    chmod 755 "$dir"
    run=(setpriv --reuid=altclip-pg --regid="$(id -g altclip-pg)" --clear-groups --)
  fi
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  echo "export ALTCLIP_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/postgres ALTCLIP_TEST_POSTGRES_DIR=$dir"
  ;;
stop)
  dir=${2:?usage: pg-test-server.sh stop DIR}
  bin=$(install)
  run=()
  if [ "$(id -u)" = 0 ]; then run=(setpriv --reuid=altclip-pg --regid="$(id -g altclip-pg)" --clear-groups --); fi
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start | stop DIR" >&2
  exit 64
  ;;
esac
