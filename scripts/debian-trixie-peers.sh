#!/usr/bin/env bash
# Make Debian 13 (trixie) builds of the upstream peers usable on a Debian 12
# (bookworm) machine without installing or upgrading anything system-wide:
#
#   prometheus-pushgateway     -> <cache>/prometheus-pushgateway/usr/bin/prometheus-pushgateway
#   python3-prometheus-client  -> <cache>/python3-prometheus-client/usr/lib/python3/dist-packages/prometheus_client/
#
# apt runs with private sources, lists, cache and status (all under <cache>/apt),
# with the system's apt.conf.d still read (proxies, Check-Valid-Until, ...) but
# its update hooks cleared; the .debs are fetched with `apt-get download` and
# unpacked with `dpkg-deb -x`. Nothing under /etc, /var/lib or /var/cache changes,
# so the script runs as root or as any user who can write <cache>.
#
# Usage: scripts/debian-trixie-peers.sh [CACHE_DIR]
#   CACHE_DIR defaults to <repo root>/.cache/debian-trixie.
# When both unpacked trees are present it exits 0 at once, without network access.
# Environment: TRIXIE_PEERS_FORCE=1 fetches and unpacks again even if present.

set -euo pipefail

SUITE=trixie
COMPONENT=main
FALLBACK_MIRROR=http://deb.debian.org/debian
# package -> expected upstream version (a different one only warns)
PACKAGES=(prometheus-pushgateway python3-prometheus-client)
declare -A EXPECTED=([prometheus-pushgateway]=1.11.0 [python3-prometheus-client]=0.21.1)
# a file in each unpacked tree that proves it is complete
declare -A MARKER=(
  [prometheus-pushgateway]=usr/bin/prometheus-pushgateway
  [python3-prometheus-client]=usr/lib/python3/dist-packages/prometheus_client/__init__.py
)

log() { printf '[debian-trixie-peers] %s\n' "$*"; }
warn() { printf '[debian-trixie-peers] warning: %s\n' "$*" >&2; }
die() { printf '[debian-trixie-peers] error: %s\n' "$*" >&2; exit 1; }

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo_root=$(cd -- "$script_dir/.." && pwd -P)
cache=${1:-$repo_root/.cache/debian-trixie}
[ $# -le 1 ] || die "usage: $0 [CACHE_DIR]"
mkdir -p -- "$cache" || die "cannot create cache folder $cache"
cache=$(cd -- "$cache" && pwd -P)

present() {
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    [ -f "$cache/$pkg/${MARKER[$pkg]}" ] || return 1
  done
  [ -x "$cache/prometheus-pushgateway/${MARKER[prometheus-pushgateway]}" ]
}

if [ "${TRIXIE_PEERS_FORCE:-0}" != 1 ] && present; then
  log "already unpacked in $cache:"
  for pkg in "${PACKAGES[@]}"; do
    log "  $pkg $(cat "$cache/$pkg.version" 2>/dev/null || echo '(version unknown)') -> $cache/$pkg/${MARKER[$pkg]}"
  done
  log "nothing to do (set TRIXIE_PEERS_FORCE=1 to fetch again)"
  exit 0
fi

for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: this script needs a Debian (apt/dpkg) machine"
done
[ -w "$cache" ] || die "cache folder $cache is not writable by $(id -un); pass a writable folder as the first argument"

# --- 1. the mirror this machine's own bookworm sources use ----------------------
mirror_from_deb822() { # file -> first URI of a `deb` stanza whose Suites name bookworm
  awk '
    function flush() {
      if (uri != "" && suites ~ /(^|[ \t])bookworm([ \t]|$)/ && (types == "" || types ~ /(^|[ \t])deb([ \t]|$)/) && enabled !~ /^[ \t]*no/)
        { print uri; found = 1; exit }
      uri = ""; suites = ""; types = ""; enabled = ""
    }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { flush(); next }
    tolower($0) ~ /^uris:/    { sub(/^[^:]*:[ \t]*/, ""); split($0, u, /[ \t]+/); uri = u[1]; next }
    tolower($0) ~ /^suites:/  { sub(/^[^:]*:/, ""); suites = $0; next }
    tolower($0) ~ /^types:/   { sub(/^[^:]*:/, ""); types = $0; next }
    tolower($0) ~ /^enabled:/ { sub(/^[^:]*:/, ""); enabled = tolower($0); next }
    END { if (!found) flush() }
  ' "$1"
}
mirror=
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(mirror_from_deb822 /etc/apt/sources.list.d/debian.sources || true)
  [ -n "$mirror" ] && log "mirror from /etc/apt/sources.list.d/debian.sources: $mirror"
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
  # one-line format: deb [options] URI bookworm components...
  mirror=$(sed -nE 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm([[:space:]].*)?$/\2/p' /etc/apt/sources.list | head -n1)
  [ -n "$mirror" ] && log "mirror from /etc/apt/sources.list: $mirror"
fi
if [ -z "$mirror" ]; then
  mirror=$FALLBACK_MIRROR
  log "no bookworm mirror found in this machine's apt sources; using $mirror"
fi
mirror=${mirror%/}

# --- 2. private apt tree ---------------------------------------------------------
apt_root=$cache/apt
sources_dir=$apt_root/sources.list.d
lists_dir=$apt_root/lists
apt_cache=$apt_root/cache
status_file=$apt_root/status
apt_conf=$apt_root/apt.conf
mkdir -p "$sources_dir" "$lists_dir/partial" "$apt_cache/archives/partial"
: >"$status_file" # empty dpkg status: the machine's installed packages play no part
# Read after the system's apt.conf.d: drop the hooks that `apt-get update`
# would run against system-wide state (AppStream cache, PackageKit).
cat >"$apt_conf" <<'EOF'
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
#clear DPkg::Pre-Invoke;
#clear DPkg::Post-Invoke;
EOF

apt_opts=(
  -c "$apt_conf"
  -o "Dir::Etc::sourcelist=/dev/null"
  -o "Dir::Etc::sourceparts=$sources_dir"
  -o "Dir::Etc::preferences=/dev/null"
  -o "Dir::Etc::preferencesparts=/dev/null"
  -o "Dir::State::Lists=$lists_dir"
  -o "Dir::State::status=$status_file"
  -o "Dir::State::extended_states=$apt_root/extended_states"
  -o "Dir::Cache=$apt_cache"
  -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
  -o "Dir::Log=$apt_root/log"
)
sandboxed=
if [ "$(id -u)" -eq 0 ]; then
  # As root apt downloads as the unprivileged _apt user (it chowns its partial
  # dirs itself). Where _apt cannot reach the cache folder, download as root
  # rather than have apt print a notice for every file.
  if id _apt >/dev/null 2>&1 && command -v su >/dev/null 2>&1 \
    && su -s /bin/sh _apt -c "test -x '$apt_root'" >/dev/null 2>&1; then
    sandboxed=1
  else
    apt_opts+=(-o "APT::Sandbox::User=root")
  fi
fi

# Keyrings on this machine to try, in order: the archive keyring first, then the
# per-release trixie keyrings.
keyring_candidates=()
[ -r /usr/share/keyrings/debian-archive-keyring.gpg ] && keyring_candidates+=(/usr/share/keyrings/debian-archive-keyring.gpg)
trixie_keys=()
for f in /usr/share/keyrings/debian-archive-trixie-automatic.gpg /usr/share/keyrings/debian-archive-trixie-stable.gpg; do
  [ -r "$f" ] && trixie_keys+=("$f")
done
[ ${#trixie_keys[@]} -gt 0 ] && keyring_candidates+=("${trixie_keys[*]}")
[ ${#keyring_candidates[@]} -gt 0 ] || die "no Debian archive keyring under /usr/share/keyrings (package debian-archive-keyring)"

keyring_names_trixie() { # "file [file...]" -> 1 only if gpg lists the keys and none is a 13/trixie key
  command -v gpg >/dev/null 2>&1 || return 0 # cannot tell: let apt decide
  local f uids gpg_home=$apt_root/gnupg
  mkdir -p -m 0700 "$gpg_home"
  for f in $1; do
    uids=$(gpg --homedir "$gpg_home" --batch --no-autostart --show-keys --with-colons "$f" 2>/dev/null) || return 0
    grep -q '^uid:.*(13/trixie)' <<<"$uids" && return 0
  done
  return 1
}

write_sources() {
  cat >"$sources_dir/debian-$SUITE.sources" <<EOF
# Written by scripts/debian-trixie-peers.sh; used only with its private apt directories.
Types: deb
URIs: $mirror
Suites: $SUITE
Components: $COMPONENT
Signed-By: $1
EOF
}

# --- 3. apt-get update with the first keyring that verifies trixie ---------------
update_log=$apt_root/update.log
updated=
for keys in "${keyring_candidates[@]}"; do
  if ! keyring_names_trixie "$keys"; then
    log "keyring $keys has no 13/trixie key; trying the next one"
    continue
  fi
  write_sources "$keys"
  log "apt-get update: $mirror $SUITE/$COMPONENT, Signed-By: $keys (lists in $lists_dir)"
  if apt-get "${apt_opts[@]}" update >"$update_log" 2>&1 \
    && ! grep -qE '^(W|E): .*(NO_PUBKEY|not signed|signature|GPG error)' "$update_log"; then
    updated=1
    break
  fi
  sed 's/^/    /' "$update_log" >&2
  if grep -qE 'NO_PUBKEY|not signed|signature|GPG error|EXPKEYSIG' "$update_log"; then
    warn "keyring $keys cannot verify $SUITE; trying the next one"
    continue
  fi
  die "apt-get update failed for $mirror $SUITE (see above)"
done
[ -n "$updated" ] || die "no keyring on this machine verifies $SUITE (tried: ${keyring_candidates[*]}); a newer debian-archive-keyring is needed"

# --- 4. apt-get download + dpkg-deb -x ---------------------------------------------
download_dir=$apt_root/debs
rm -rf "$download_dir"
mkdir -p "$download_dir"
# `apt-get download` writes into the current directory; as root with the
# sandbox on, _apt must be able to write there.
if [ -n "$sandboxed" ]; then chown _apt "$download_dir"; fi
for pkg in "${PACKAGES[@]}"; do
  version=$(apt-cache "${apt_opts[@]}" policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')
  [ -n "$version" ] && [ "$version" != "(none)" ] || die "$pkg is not in $mirror $SUITE/$COMPONENT"
  upstream=${version#*:}
  upstream=${upstream%%[-+~]*}
  if [ "$upstream" != "${EXPECTED[$pkg]}" ]; then
    warn "$pkg in $SUITE is $version, not the expected ${EXPECTED[$pkg]}"
  fi
  log "apt-get download $pkg=$version"
  (cd "$download_dir" && apt-get "${apt_opts[@]}" download "$pkg=$version") \
    || die "apt-get download $pkg=$version failed"
  deb=$(find "$download_dir" -maxdepth 1 -name "${pkg}_*.deb" -print | head -n1)
  [ -n "$deb" ] || die "apt-get download left no ${pkg}_*.deb in $download_dir"

  staging=$cache/.$pkg.unpacking
  rm -rf "$staging"
  dpkg-deb -x "$deb" "$staging" || die "dpkg-deb -x $deb failed"
  [ -f "$staging/${MARKER[$pkg]}" ] || die "$(basename "$deb") has no ${MARKER[$pkg]}"
  rm -rf "${cache:?}/$pkg"
  mv "$staging" "$cache/$pkg"
  printf '%s\n' "$version" >"$cache/$pkg.version"
  log "unpacked $(basename "$deb") -> $cache/$pkg/${MARKER[$pkg]}"
done
rm -rf "$download_dir" "$apt_cache/archives"/*.deb

present || die "unpacked trees incomplete in $cache"
log "done: $("$cache/prometheus-pushgateway/${MARKER[prometheus-pushgateway]}" --version 2>&1 | head -n1)"
