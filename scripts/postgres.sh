#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (and the benchmarks), inside the
# clone: `postgres.sh start [NAME]` initialises target/pg/NAME (default: test)
# if need be, starts it on a free loopback port as an unprivileged user when run
# as root, and prints its URL (also written to target/pg/NAME/url);
# `postgres.sh stop [NAME]` stops it. Debian's PostgreSQL is installed if missing.
# Fails loudly, never silently: a test run without its PostgreSQL must not pass.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:?usage: postgres.sh start|stop [NAME]}
name=${2:-test}
root=$PWD/target/pg/$name
data=$root/data
log() { printf '\033[1;34m[postgres]\033[0m %s\n' "$*" >&2; }

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
  log "PostgreSQL is not installed: installing Debian's postgresql"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >&2
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] || { echo "PostgreSQL could not be installed: no initdb found" >&2; exit 1; }
  echo "$d"
}

# PostgreSQL refuses to run as root: then the cluster belongs to `nobody`.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case $action in
  start)
    bin=$(bindir)
    mkdir -p "$root"
    if [ -f "$root/port" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      cat "$root/url"; exit 0
    fi
    [ "$(id -u)" -eq 0 ] && chown nobody "$root"
    # A clone under a private folder (mktemp -d makes one) is closed to `nobody`:
    # say so here rather than as initdb's "permission denied" further down.
    as_owner test -w "$root" \
      || { echo "PostgreSQL runs as nobody, who cannot reach $root: open the folders above it (chmod o+x)" >&2; exit 1; }
    if [ ! -f "$data/PG_VERSION" ]; then
      rm -rf "$data"
      as_owner "$bin/initdb" -D "$data" --username=tiyan --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$root/initdb.log" 2>&1 \
        || { cat "$root/initdb.log" >&2; echo "initdb failed" >&2; exit 1; }
    fi
    port=$(free_port)
    # Durability is the point of the product but not of a throwaway test cluster:
    # fsync off keeps the suite fast. The benchmarks use a cluster with the defaults.
    durability=""
    [ "${TIYAN_PG_DURABLE:-0}" = 1 ] || durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if ! as_owner "$bin/pg_ctl" -D "$data" -l "$root/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$root -c max_connections=300 $durability" >/dev/null; then
      tail -n 30 "$root/server.log" >&2 || true
      echo "PostgreSQL did not start (log: $root/server.log)" >&2; exit 1
    fi
    echo "$port" > "$root/port"
    echo "postgres://tiyan@127.0.0.1:$port/postgres" > "$root/url"
    log "PostgreSQL $(basename "$(dirname "$bin")") running on 127.0.0.1:$port ($data)"
    cat "$root/url"
    ;;
  stop)
    [ -d "$data" ] || exit 0
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$bin" ] || exit 0
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    rm -f "$root/port"
    ;;
  *) echo "usage: postgres.sh start|stop [NAME]" >&2; exit 2 ;;
esac
