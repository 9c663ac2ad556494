#!/usr/bin/env bash
# Builds and starts the kiosk with the demo hall's reference data.
# The data lives in the platform's application-data folder unless TIYAN_DATA_DIR is set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[run] building the UI and the app (release)"
(cd ui && npm run --silent build)
cargo build --release -p tiyan-app
export WEBKIT_DISABLE_COMPOSITING_MODE=${WEBKIT_DISABLE_COMPOSITING_MODE:-1}
echo "[run] starting the kiosk: leave it through the gear icon, the admin PIN, then 退出评价器 / Exit"
exec ./target/release/tiyan-app --reference demo/reference.json "$@"
