#!/usr/bin/env bash
# Builds the packages into target/:
#   target/tiyan-server_<version>_<arch>.deb   the server: binary, systemd unit, /etc/tiyan/server.toml (a conffile)
#   target/release/bundle/deb/*.deb            the app, by Tauri's bundler (desktop entry, icons, WebKitGTK dependencies,
#                                              the kiosk session: tiyan-kiosk-session, tiyan-kiosk.service, tiyan-kiosk-setup)
# With --debug, the same packages from debug builds (target/debug/bundle/deb/ for the app): what the
# installation test uses, because the suite has built those already. With --repo, also a signed apt
# repository of both in target/apt (below).
# Tauri's AppImage step downloads its tools while building, which this network does not allow: only the .deb is built.
# The Windows installer (NSIS/MSI) is built on Windows: see the README.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1;34m[package]\033[0m %s\n' "$*"; }

profile=release
make_repo=no
for arg in "$@"; do
  case "$arg" in
    --debug) profile=debug ;;
    --repo) make_repo=yes ;;
    *) echo "usage: scripts/package.sh [--debug] [--repo]" >&2; exit 2 ;;
  esac
done
cargo_profile=(--release)
tauri_profile=()
if [ "$profile" = debug ]; then cargo_profile=(); tauri_profile=(--debug); fi

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
# TIYAN_PACKAGE_VERSION: the packages' version when it is not the workspace's (a hall's
# own rebuild, or the installation test's "newer" release, e.g. 0.1.0+1).
version=${TIYAN_PACKAGE_VERSION:-$version}
arch=$(dpkg --print-architecture)

# What lintian asks of every binary package: the copyright in Debian's machine-readable
# format, a compressed Debian changelog, stripped binaries, libc among the dependencies.
docs() { # package root
  local package=$1 root=$2 doc="$2/usr/share/doc/$1"
  install -d "$doc"
  cat > "$doc/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Tiyan
Source: https://github.com/tiyan-hall/tiyan

Files: *
Copyright: 2026 The Tiyan developers
License: MIT or Apache-2.0
 Licensed under the MIT License or the Apache License 2.0, at your option.
 On Debian systems the Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0.
COPYRIGHT
  # A native package's changelog: this version, built from this commit.
  local commit; commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  local date; date=$(git log -1 --format=%aD 2>/dev/null || date -R)
  printf '%s (%s) stable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s  %s\n' \
    "$package" "$version" "$commit" "$maintainer" "$date" | gzip -9n > "$doc/changelog.gz"
  chmod 0644 "$doc/copyright" "$doc/changelog.gz"
}
md5sums() { # root: dpkg's list of the files' sums, made after the last change to them
  (cd "$1" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort | xargs -r md5sum) \
    > "$1/DEBIAN/md5sums"
  chmod 0644 "$1/DEBIAN/md5sums"
}
strip_binaries() { # root
  local dirs=(); for d in "$1/usr/bin" "$1/usr/sbin"; do [ -d "$d" ] && dirs+=("$d"); done
  find "${dirs[@]}" -type f | while read -r f; do
    if file -b "$f" | grep -q '^ELF'; then strip --strip-unneeded --remove-section=.comment --remove-section=.note "$f"; fi
  done
}
# The Debian packages of the shared libraries a binary links (libc6, libgcc-s1, ...).
# ldd names /lib paths; with /usr merged, dpkg may know a library under /usr/lib only.
owner() { dpkg -S "$1" 2>/dev/null || dpkg -S "/usr$1" 2>/dev/null || dpkg -S "$(readlink -f "$1")"; }
linked_packages() { # binary
  for lib in $(ldd "$1" | awk '$3 ~ /^\// {print $3}'); do owner "$lib"; done | cut -d: -f1 | sort -u
}
maintainer="Tiyan developers <packages@tiyan.example.org>"

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
docs tiyan-server "$root"
# The configuration may name a database password or a token file: readable by the service's group only.
install -d "$root/usr/share/lintian/overrides"
printf 'tiyan-server: non-standard-file-perm 0640 != 0644 [etc/tiyan/server.toml]\n' \
  > "$root/usr/share/lintian/overrides/tiyan-server"
strip_binaries "$root"
# libc6, libgcc-s1, libssl3 (reporting up over HTTPS).
depends=$(linked_packages "$root/usr/bin/tiyan-server" | paste -sd, | sed 's/,/, /g')
cat > "$root/DEBIAN/control" <<CONTROL
Package: tiyan-server
Version: $version
Architecture: $arch
Maintainer: $maintainer
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
md5sums "$root"
rm -f target/tiyan-server_*.deb
dpkg-deb --build --root-owner-group "$root" "target/tiyan-server_${version}_${arch}.deb" >/dev/null
log "target/tiyan-server_${version}_${arch}.deb"

log "building the app with Tauri's bundler ($profile, .deb)"
[ -d ui/node_modules ] || npm --prefix ui ci --no-audit --no-fund
bash scripts/ui-build.sh
# The UI is built above: the configuration's own beforeBuildCommand assumes another working directory.
# Tauri's CLI, the version of the tauri crate, fetched by npx (prebuilt) rather than compiled.
rm -f "target/$profile/bundle/deb/"*.deb
(cd src-tauri && npx --yes @tauri-apps/cli@2.12.5 build "${tauri_profile[@]}" --bundles deb --config '{"build":{"beforeBuildCommand":""}}')
# What Tauri's bundler leaves for lintian is finished here: the package is unpacked,
# given its copyright, changelog, maintainer, section and libc dependency, its binary
# stripped, and packed again in place (under the version asked for).
app_deb=$(ls "target/$profile/bundle/deb/"*.deb | head -1)
app_root=target/package/tiyan
rm -rf "$app_root"
dpkg-deb -R "$app_deb" "$app_root"
docs tiyan "$app_root"
strip_binaries "$app_root"
control="$app_root/DEBIAN/control"
libs=$(linked_packages "$app_root/usr/bin/tiyan-app" | grep -E '^(libc6|libgcc-s1)$' | paste -sd, | sed 's/,/, /g')
sed -i -e "s/^Maintainer:.*/Maintainer: $maintainer/" -e "s/^Version:.*/Version: $version/" \
  -e "s/^Depends: /Depends: $libs, /" "$control"
grep -q '^Section:' "$control" || sed -i '/^Priority:/i Section: utils' "$control"
# The size after stripping, and a description that says what the package is.
size=$(du -sk --exclude=DEBIAN "$app_root" | cut -f1)
sed -i -e "s/^Installed-Size:.*/Installed-Size: $size/" -e '/^ (none)$/d' "$control"
cat >> "$control" <<'DESCRIPTION'
 The on-site evaluation kiosk of a government service hall (a citizen rates
 the window's service attitude and professional competence on the national
 five-level scale) and the experience officers' diary, both offline-first,
 syncing to the Tiyan central server; with the kiosk session that starts it.
DESCRIPTION
grep -q '^Priority:' "$control" || printf 'Priority: optional\n' >> "$control"
grep -q '^Section:' "$control" || printf 'Section: utils\n' >> "$control"
# An upgrade (at night, by unattended-upgrades) restarts a running kiosk session on the
# new binary; ratings waiting in its outbox sync once it is back.
cat > "$app_root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -n "$2" ] && [ -d /run/systemd/system ]; then
    if systemctl is-active --quiet tiyan-kiosk.service; then
        deb-systemd-invoke restart tiyan-kiosk.service >/dev/null || true
    fi
fi
exit 0
POSTINST
chmod 0755 "$app_root/DEBIAN/postinst"
md5sums "$app_root"
rm "$app_deb"
app_deb="target/$profile/bundle/deb/Tiyan_${version}_${arch}.deb"
dpkg-deb --build --root-owner-group "$app_root" "$app_deb" >/dev/null
log "$app_deb"

# --repo: the two packages as a signed apt repository in target/apt, which the hall's
# server (nginx) or any web server can serve; kiosks take it with
# `sudo tiyan-kiosk-setup --updates URL KEY`. The signing key is the hall's own:
# TIYAN_REPO_GNUPGHOME names its GnuPG home; without one, a key is made once in
# target/apt-key (keep it: a kiosk trusts only the key it was given).
if [ "$make_repo" = yes ]; then
  repo=target/apt
  key_home=${TIYAN_REPO_GNUPGHOME:-$PWD/target/apt-key}
  if [ ! -d "$key_home" ] || ! gpg --homedir "$key_home" --list-secret-keys 2>/dev/null | grep -q sec; then
    log "making a signing key in $key_home"
    install -d -m 0700 "$key_home"
    gpg --homedir "$key_home" --batch --passphrase '' --quick-gen-key "Tiyan packages <packages@tiyan.example.org>" ed25519 sign never
  fi
  install -d "$repo/pool/main" "$repo/dists/stable/main/binary-$arch"
  cp "target/tiyan-server_${version}_${arch}.deb" "$app_deb" "$repo/pool/main/"
  (cd "$repo" && apt-ftparchive packages pool > "dists/stable/main/binary-$arch/Packages")
  gzip -9nkf "$repo/dists/stable/main/binary-$arch/Packages"
  apt-ftparchive -o APT::FTPArchive::Release::Origin=Tiyan -o APT::FTPArchive::Release::Label=Tiyan \
    -o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Codename=stable \
    -o APT::FTPArchive::Release::Architectures="$arch" -o APT::FTPArchive::Release::Components=main \
    release "$repo/dists/stable" > "$repo/Release.tmp"
  mv "$repo/Release.tmp" "$repo/dists/stable/Release"
  gpg --homedir "$key_home" --batch --yes --clearsign -o "$repo/dists/stable/InRelease" "$repo/dists/stable/Release"
  gpg --homedir "$key_home" --batch --yes -abs -o "$repo/dists/stable/Release.gpg" "$repo/dists/stable/Release"
  gpg --homedir "$key_home" --batch --yes --export -o "$repo/tiyan-archive-keyring.gpg"
  log "$repo: serve it over HTTP; the key kiosks are given is $repo/tiyan-archive-keyring.gpg"
fi
