#!/usr/bin/env bash
# Every test: UI checks and unit tests, the Rust workspace (domain, store, the
# app's commands over Tauri IPC), then the real app end to end under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
step() { printf '\n\033[1;34m[test %4ss]\033[0m %s\n' "$((SECONDS - start))" "$*"; }

step "setup"
bash scripts/setup.sh

step "UI: type check, unit tests, build"
(cd ui && npm run --silent check && npm run --silent test && npm run --silent build)

step "Rust: format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "Rust: domain, store, commands"
cargo test --workspace --exclude tiyan-system-tests --exclude tiyan-bench

step "whole system: the real app under Xvfb over WebDriver, crash and kill tests, sync through a faulty network"
cargo build -p tiyan-app -p tiyan-server
cargo test -p tiyan-system-tests -- --test-threads=1

step "done: screenshots are in target/screenshots/"
