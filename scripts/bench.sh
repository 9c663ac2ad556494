#!/usr/bin/env bash
# Benchmarks, with the references they are compared with, in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The references the photo pipeline is measured against.
need=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
installed imagemagick || need+=(imagemagick)
installed libvips-tools || need+=(libvips-tools)
if ((${#need[@]})); then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
bash scripts/ui-build.sh
cargo build --release -p tiyan-app -p tiyan-bench -p tiyan-minimal-tauri
echo
./target/release/tiyan-bench rating
echo
# A PostgreSQL cluster of its own, with PostgreSQL's durable defaults (fsync on).
pg_url=$(TIYAN_PG_DURABLE=1 bash scripts/postgres.sh start bench)
trap 'bash scripts/postgres.sh stop bench' EXIT
./target/release/tiyan-bench sync --postgres "$pg_url"
echo
./target/release/tiyan-bench office --postgres "$pg_url"
echo
./target/release/tiyan-bench figures --postgres "$pg_url"
echo
./target/release/tiyan-bench province --postgres "$pg_url"
echo
./target/release/tiyan-bench upward --postgres "$pg_url"
echo
./target/release/tiyan-bench photo
echo
./target/release/tiyan-bench footprint
echo
./target/release/tiyan-bench window
echo
size=$(stat -c %s target/release/tiyan-app)
awk -v b="$size" 'BEGIN { printf "release binary target/release/tiyan-app: %d bytes (%.1f MB)\n", b, b / 1048576 }'
total=0
for f in $(find ui/dist -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' \)); do
  total=$((total + $(gzip -9 -c "$f" | wc -c)))
done
awk -v b="$total" 'BEGIN { printf "UI bundle (ui/dist, html+js+css) gzipped: %d bytes (%.1f KB)\n", b, b / 1024 }'
