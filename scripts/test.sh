#!/usr/bin/env bash
# Every test: UI checks and unit tests, the Rust workspace (domain, store, the
# server on both backends, the app's commands over Tauri IPC), the server's
# suites again under libfaketime at awkward moments (scripts/faketime.sh), then the whole
# system: sync stories, races and kills on both backends, two server processes
# behind nginx, and the real app end to end under Xvfb.
#
# PostgreSQL: a throwaway cluster under target/pg/test, started here on a free
# loopback port and stopped at the end, unless TIYAN_TEST_PG_URL already points
# at a server. If it cannot start, the run fails here and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
# A run from cold gains nothing from incremental compilation, and its cache would
# double the size of target/ (about 12 GB instead of 6 GB: a CI machine has run
# out of disk on it).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
step() { printf '\n\033[1;34m[test %4ss]\033[0m %s\n' "$((SECONDS - start))" "$*"; }

step "setup"
bash scripts/setup.sh

step "PostgreSQL for the tests"
if [ -z "${TIYAN_TEST_PG_URL:-}" ]; then
  TIYAN_TEST_PG_URL=$(bash scripts/postgres.sh start test)
  trap 'bash scripts/postgres.sh stop test' EXIT
fi
export TIYAN_TEST_PG_URL
psql_ok=$(python3 - "$TIYAN_TEST_PG_URL" <<'PY'
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
socket.create_connection((u.hostname or "127.0.0.1", u.port or 5432), timeout=5).close()
print("ok")
PY
) || { echo "PostgreSQL at $TIYAN_TEST_PG_URL does not answer: the PostgreSQL suites cannot run" >&2; exit 1; }
echo "PostgreSQL $psql_ok"

step "UI: type check, unit tests, build"
(cd ui && npm run --silent check && npm run --silent test)
bash scripts/ui-build.sh --force

step "Rust: format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "Rust: domain, store, server on SQLite and PostgreSQL, commands"
cargo test --workspace --exclude tiyan-system-tests --exclude tiyan-bench

step "the server's suites under libfaketime at awkward moments (SQLite)"
# Shown as it runs; its last line is kept for the summary. (Not `tee /dev/stderr`:
# where stderr is a file, reopening it truncates the log written so far.)
mkdir -p target
bash scripts/faketime.sh | tee target/faketime.log
faked=$(tail -n 1 target/faketime.log)

step "whole system: sync stories, races and kills on both backends, nginx, the real app under Xvfb"
cargo build -p tiyan-app -p tiyan-server -p tiyan-window
cargo test -p tiyan-system-tests -- --test-threads=1

step "summary"
# Every test above passed (or the run would have stopped): count them by name.
# Listed with the same package selections as above, so that nothing is built again
# (one --workspace build would unify features anew and rebuild for minutes).
listed=$({
  cargo test --workspace --exclude tiyan-system-tests --exclude tiyan-bench -- --list 2>/dev/null
  cargo test -p tiyan-system-tests -- --list 2>/dev/null
} | grep -E ': test$' || true)
all=$(printf '%s\n' "$listed" | grep -c . || true)
on_postgres=$(printf '%s\n' "$listed" | grep -cE '(^|::)(postgres::|on_postgres_|two_server_processes_behind_nginx|the_servers_carry_on_when_the_primary_is_lost)' || true)
echo "tests passed: $all, of which on PostgreSQL: $on_postgres (unit tests of the UI not counted)"
echo "$faked"
[ "$on_postgres" -gt 0 ] || { echo "no PostgreSQL test ran" >&2; exit 1; }
step "done: screenshots are in target/screenshots/"
