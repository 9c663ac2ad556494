#!/usr/bin/env bash
# Builds what changed and starts a local central server with the demo hall's
# reference data, then the kiosk, enrolled with that server at window 2 on its
# first start, so that each rating reaches the server within seconds
# (`tiyan-server devices` counts them, `tiyan-server export` lists them).
# `run.sh officer` starts an officer laptop instead (its own data folder).
# The kiosk's data lives in the platform's application-data folder unless
# TIYAN_DATA_DIR is set; the server's data is TIYAN_SERVER_DB: a file (default
# beside it) or a postgres:// URL.
set -euo pipefail
cd "$(dirname "$0")/.."
role=kiosk
if [ "${1:-}" = officer ]; then role=officer; shift; fi
bash scripts/setup.sh
echo "[run] building what changed: the UI, the app and the server (release)"
bash scripts/ui-build.sh
cargo build --release -p tiyan-app -p tiyan-server -p tiyan-window

data_home=${XDG_DATA_HOME:-$HOME/.local/share}
# A file path (SQLite, the default) or a postgres:// URL.
export TIYAN_SERVER_DB=${TIYAN_SERVER_DB:-$data_home/tiyan-server/tiyan-server.db}
listen=${TIYAN_LISTEN:-127.0.0.1:8787}
case $TIYAN_SERVER_DB in
  postgres://*|postgresql://*) ;;
  *) mkdir -p "$(dirname "$TIYAN_SERVER_DB")" ;;
esac
server=./target/release/tiyan-server

echo "[run] server data: $(printf '%s' "$TIYAN_SERVER_DB" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#')"
$server import demo/reference.json
# The demo's hall office: a supervisor made once (a real server makes its
# first one with `tiyan-server user add --role supervisor --name NAME`).
demo_password=tiyan-demo-2026
printf '%s\n%s\n' "$demo_password" "$demo_password" \
  | $server user add --role supervisor --name 演示督导 --login demo 2>/dev/null || true
$server serve --listen "$listen" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null' EXIT
# The health answer comes only once the database answers too.
healthy=""
for _ in $(seq 100); do
  if curl -fsS "http://$listen/api/v1/health" >/dev/null 2>&1; then healthy=1; break; fi
  kill -0 $server_pid 2>/dev/null || { echo "[run] the server did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$healthy" ] || { echo "[run] the server did not answer its health check within 10 s" >&2; exit 1; }

# A fresh code each start; the device uses it only while it is not enrolled yet.
if [ "$role" = officer ]; then
  code=$($server enroll --hall jianghai --role officer --valid-hours 1)
  export TIYAN_DATA_DIR=${TIYAN_DATA_DIR:-$data_home/tiyan-officer-laptop}
  echo "[run] officer laptop: sign in as gz-2026-07 with the password tiyan-2026 (or gz-2026-12 / guanyu-2026)"
else
  code=$($server enroll --hall jianghai --window jianghai-w02 --valid-hours 1)
  echo "[run] starting the kiosk: leave it through the gear icon, the admin PIN, then 退出评价器 / Exit"
  # The window link on loopback, with a token kept in a file, so that
  # tiyan-window can play the window's queue and case system at once (a hall
  # turns it on at the admin screen instead and gets its token there).
  link_token=${TIYAN_WINDOW_LINK_TOKEN_FILE:-$data_home/tiyan-window/token}
  set -- --window-link "${TIYAN_WINDOW_LINK:-127.0.0.1:8790}" --window-link-token-file "$link_token" "$@"
  window="TIYAN_WINDOW_TOKEN=\$(cat $link_token) ./target/release/tiyan-window --kiosk http://${TIYAN_WINDOW_LINK:-127.0.0.1:8790}"
  echo "[run] the window's system, from another terminal once the kiosk is past its setup (the first time: the admin"
  echo "[run] PIN twice) and shows its window (it takes no request while setup or the admin screen is open, 503 link_busy):"
  echo "[run]   $window sign-in 100102"
  echo "[run]   $window rate B20261204-0001 --ticket A012 --matter 营业执照变更   (the kiosk asks the citizen at once)"
  echo "[run]   $window status | pause | resume | sign-out"
  echo "[run] the rating rate by window: http://$listen/admin/figures (after a rating, once the kiosk has synced)"
fi
echo "[run] hall office: http://$listen/admin  (sign in as demo / $demo_password)"
echo "[run] monthly figures: http://$listen/admin/figures  ·  published (closed months, no sign-in): http://$listen/public"
echo "[run] a real server's first account: $server user add --role supervisor --name NAME --login LOGIN"
echo "[run] server: http://$listen/  (health: /api/v1/health; export: $server export --format csv, or --diaries --photos DIR)"
export WEBKIT_DISABLE_COMPOSITING_MODE=${WEBKIT_DISABLE_COMPOSITING_MODE:-1}
./target/release/tiyan-app --server "http://$listen" --enrolment-code "$code" "$@"
