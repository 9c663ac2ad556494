#!/usr/bin/env bash
# Builds the packages into target/:
#   target/tiyan-server_<version>_<arch>.deb   the server: binary, systemd unit, /etc/tiyan/server.toml (a conffile)
#   target/release/bundle/deb/*.deb            the app, by Tauri's bundler (desktop entry, icons, WebKitGTK dependencies,
#                                              the kiosk session: tiyan-kiosk-session, tiyan-kiosk.service, tiyan-kiosk-setup)
# With --debug, the same packages from debug builds (target/debug/bundle/deb/ for the app): what the
# installation test uses, because the suite has built those already.
# Tauri's AppImage step downloads its tools while building, which this network does not allow: only the .deb is built.
# The Windows installer (NSIS/MSI) is built on Windows: see the README.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1;34m[package]\033[0m %s\n' "$*"; }

profile=release
[ "${1:-}" = "--debug" ] && profile=debug
cargo_profile=(--release)
tauri_profile=()
if [ "$profile" = debug ]; then cargo_profile=(); tauri_profile=(--debug); fi

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)

log "building the server ($profile)"
cargo build "${cargo_profile[@]}" --locked -p tiyan-server
root=target/package/tiyan-server
rm -rf "$root"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/tiyan" \
    "$root/usr/share/doc/tiyan-server"
install -m 0755 "target/$profile/tiyan-server" "$root/usr/bin/tiyan-server"
install -m 0644 packaging/server/tiyan-server.service "$root/lib/systemd/system/tiyan-server.service"
install -m 0644 packaging/server/tiyan-server-backup.service packaging/server/tiyan-server-backup.timer \
    "$root/lib/systemd/system/"
install -m 0640 packaging/server/server.toml "$root/etc/tiyan/server.toml"
install -m 0755 packaging/server/postinst packaging/server/prerm packaging/server/postrm "$root/DEBIAN/"
printf '/etc/tiyan/server.toml\n' > "$root/DEBIAN/conffiles"
cat > "$root/usr/share/doc/tiyan-server/copyright" <<'COPYRIGHT'
Tiyan (体验). Licensed under the MIT License or the Apache License 2.0, at your option.
COPYRIGHT
# The Debian packages of the shared libraries the binary links (libc6, libgcc-s1,
# libssl3 for reporting up over HTTPS). ldd names /lib paths; with /usr merged,
# dpkg may know a library under /usr/lib only.
owner() { dpkg -S "$1" 2>/dev/null || dpkg -S "/usr$1" 2>/dev/null || dpkg -S "$(readlink -f "$1")"; }
depends=$(for lib in $(ldd "target/$profile/tiyan-server" | awk '$3 ~ /^\// {print $3}'); do owner "$lib"; done \
    | cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')
cat > "$root/DEBIAN/control" <<CONTROL
Package: tiyan-server
Version: $version
Architecture: $arch
Maintainer: Tiyan developers <tiyan@example.invalid>
Section: web
Priority: optional
Depends: adduser, ${depends:-libc6}
Recommends: nginx, postgresql-client
Description: Tiyan central server for government service halls
 Takes the evaluation kiosks' ratings and the experience officers' diaries,
 keeps them in SQLite or PostgreSQL, and serves the hall office (/admin):
 the ledger of bad reviews and problems, monthly figures and rankings,
 devices and the published figures (/public).
CONTROL
dpkg-deb --build --root-owner-group "$root" "target/tiyan-server_${version}_${arch}.deb" >/dev/null
log "target/tiyan-server_${version}_${arch}.deb"

log "building the app with Tauri's bundler ($profile, .deb)"
[ -d ui/node_modules ] || npm --prefix ui ci --no-audit --no-fund
bash scripts/ui-build.sh
# The UI is built above: the configuration's own beforeBuildCommand assumes another working directory.
# Tauri's CLI, the version of the tauri crate, fetched by npx (prebuilt) rather than compiled.
(cd src-tauri && npx --yes @tauri-apps/cli@2.12.5 build "${tauri_profile[@]}" --bundles deb --config '{"build":{"beforeBuildCommand":""}}')
ls "target/$profile/bundle/deb/"*.deb | while read -r f; do log "$f"; done
