#!/usr/bin/env bash
# Builds the UI into ui/dist only when its sources changed since the last
# build: an unchanged ui/dist keeps the app from being relinked for nothing.
set -euo pipefail
cd "$(dirname "$0")/../ui"
sources=$( (find src public -type f -print0 | sort -z | xargs -0 sha256sum; \
            sha256sum index.html package-lock.json svelte.config.js tsconfig.json vite.config.ts) | sha256sum | cut -d' ' -f1)
stamp=../target/ui-build.sha256
if [ -f dist/index.html ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sources" ] && [ "${1:-}" != --force ]; then
  echo "[ui] unchanged since the last build"
  exit 0
fi
npm run --silent build
mkdir -p ../target
echo "$sources" > "$stamp"
