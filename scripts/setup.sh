#!/usr/bin/env bash
# Installs what building, running and testing Tiyan needs on Debian/Ubuntu,
# skipping whatever is already there. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------
# Tauri's Linux prerequisites, plus what the end-to-end tests drive the app with
# (Xvfb, WebKitWebDriver) and the CJK font the screens need; PostgreSQL and nginx
# for the server's tests (they start their own throwaway instances on loopback);
# python3 finds the tests a free port; Chromium and ChromeDriver drive the admin web;
# adduser, which the server package's scripts use, for the installation test;
# faketime, under which the test command runs the server's suites at awkward moments;
# patroni and etcd-server for the test in which a province's database loses its primary.
# lintian, apt-utils (apt-ftparchive), gpg and unattended-upgrades for the packages, their signed apt
# repository and the fleet-update part of the installation test.
packages=(
  build-essential pkg-config curl wget file python3 adduser
  libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  xvfb xauth webkit2gtk-driver fonts-noto-cjk
  postgresql nginx chromium chromium-driver faketime patroni etcd-server
  lintian apt-utils gpg unattended-upgrades
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian starts etcd as a service when it installs it; the tests start their
  # own on free ports, so one we just installed is stopped and left disabled.
  if [[ " ${missing[*]} " == *" etcd-server "* ]] && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now etcd >/dev/null 2>&1 || true
  fi
fi

# --- Rust, Node -------------------------------------------------------------
command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup (https://rustup.rs)"; exit 1; }
if ! command -v npm >/dev/null; then
  log "installing Node.js and npm"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "Node.js $(node --version) is too old for Vite 8: install Node 20.19 or newer"; exit 1
fi

# --- npm packages, only when the lock file changed ---------------------------
stamp=ui/node_modules/.tiyan-lock.sha256
want=$(sha256sum ui/package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing npm packages (npm ci)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi

# --- tauri-driver, kept inside the clone -----------------------------------
driver_version=2.1.0
if ! [ -x target/tools/bin/tauri-driver ] || ! target/tools/bin/tauri-driver --help 2>&1 | grep -q .; then
  log "installing tauri-driver $driver_version into target/tools"
  cargo install --quiet --locked tauri-driver --version "$driver_version" --root target/tools
fi
