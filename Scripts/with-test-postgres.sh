#!/usr/bin/env bash
# Runs a command (the test suite) with a throw-away PostgreSQL + pgvector server: starts it with
# Scripts/pg-test-server.sh, exports ALTCLIP_TEST_POSTGRES_URL, runs "$@", stops the server whatever
# happens. If the server cannot be had (no PyPI, no setpriv), the command still runs, the PostgreSQL
# tests skip themselves, and this says so loudly.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if started=$(bash "$here/pg-test-server.sh" start 2>/tmp/altclip-pg-start.log); then
  eval "$started"
  trap 'bash "$here/pg-test-server.sh" stop "$ALTCLIP_TEST_POSTGRES_DIR"' EXIT
  echo "PostgreSQL + pgvector for the store tests: $ALTCLIP_TEST_POSTGRES_URL"
else
  echo "################################################################################"
  echo "# PostgreSQL + pgvector could not be started: the PostgreSQL store tests are SKIPPED"
  sed 's/^/#   /' /tmp/altclip-pg-start.log | tail -5
  echo "################################################################################"
fi
"$@"
