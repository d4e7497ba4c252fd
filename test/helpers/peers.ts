import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

/** True under CI (`CI=true`), where a missing peer fails the suite instead of skipping it. */
export const IN_CI = process.env.CI === 'true'

/** A program another project ships, which the tests run as a peer. */
export interface Peer {
  /** What it is, for messages. */
  what: string
  /** The Debian package `.ci/run` installs it from; none for a peer from elsewhere, which names `install`. */
  debianPackage?: string
  /** Its executable, absolute or looked up on PATH, or (with `readOnly`) a file that must exist. */
  path: string
  /** The path is a file to read, not a program to run. Default `false`. */
  readOnly?: boolean
  /** How to get it when it is missing. Default `apt-get install -y <debianPackage>`. */
  install?: string
}

// Debian 13's builds of the peers, unpacked by scripts/debian-trixie-peers.sh (which .ci/run runs).
const TRIXIE = fileURLToPath(new URL('../../.cache/debian-trixie/', import.meta.url))
const TRIXIE_INSTALL = 'bash scripts/debian-trixie-peers.sh'

/** The reference Pushgateway. */
export const PUSHGATEWAY: Peer = { what: 'the reference Pushgateway', debianPackage: 'prometheus-pushgateway', path: 'prometheus-pushgateway' }
/** The reference Pushgateway 1.11.0, Debian 13's build, unpacked into the repository's `.cache`. */
export const PUSHGATEWAY_1_11: Peer = { what: 'the reference Pushgateway 1.11.0', debianPackage: 'prometheus-pushgateway (trixie)', path: join(TRIXIE, 'prometheus-pushgateway/usr/bin/prometheus-pushgateway'), install: TRIXIE_INSTALL }
/** Prometheus itself. */
export const PROMETHEUS: Peer = { what: 'Prometheus', debianPackage: 'prometheus', path: 'prometheus' }
/** promtool, from the Prometheus package. */
export const PROMTOOL: Peer = { what: 'promtool', debianPackage: 'prometheus', path: 'promtool' }
/** The Go toolchain. */
export const GO: Peer = { what: 'the Go toolchain', debianPackage: 'golang-go', path: 'go' }
/** client_golang's sources, which a Go program builds against offline. */
export const CLIENT_GOLANG: Peer = { what: 'client_golang', debianPackage: 'golang-github-prometheus-client-golang-dev', path: '/usr/share/gocode/src/github.com/prometheus/client_golang/prometheus/push/push.go', readOnly: true }
/** Debian's Python, which has Debian's Python packages. */
export const PYTHON: Peer = { what: 'Debian\'s python3', debianPackage: 'python3', path: '/usr/bin/python3' }
/** The Python client, as Debian ships it. */
export const PYTHON_CLIENT: Peer = { what: 'the Python client', debianPackage: 'python3-prometheus-client', path: '/usr/lib/python3/dist-packages/prometheus_client/exposition.py', readOnly: true }
/** Where the Python client 0.21.1 (Debian 13's) is unpacked: a `PYTHONPATH` for Debian's python3. */
export const PYTHON_CLIENT_0_21_PATH = join(TRIXIE, 'python3-prometheus-client/usr/lib/python3/dist-packages')
/** The Python client 0.21.1, Debian 13's build, unpacked into the repository's `.cache`. */
export const PYTHON_CLIENT_0_21: Peer = { what: 'the Python client 0.21.1', debianPackage: 'python3-prometheus-client (trixie)', path: join(PYTHON_CLIENT_0_21_PATH, 'prometheus_client/exposition.py'), readOnly: true, install: TRIXIE_INSTALL }
/** curl. */
export const CURL: Peer = { what: 'curl', debianPackage: 'curl', path: 'curl' }
/** systemd's socket activation tool, which passes a listening socket as systemd does. */
export const SYSTEMD_SOCKET_ACTIVATE: Peer = { what: 'systemd-socket-activate', debianPackage: 'systemd', path: 'systemd-socket-activate' }
/** The openssl command line tool. */
export const OPENSSL: Peer = { what: 'openssl', debianPackage: 'openssl', path: 'openssl' }

// Node.js releases beside the machine's own, unpacked by scripts/node-peers.sh (which .ci/run runs).
const NODE = fileURLToPath(new URL('../../.cache/node/', import.meta.url))
const NODE_INSTALL = 'bash scripts/node-peers.sh'

/** Node.js 22, the npm registry's official build, unpacked into the repository's `.cache`. */
export const NODE_22: Peer = { what: 'Node.js 22', path: join(NODE, '22/bin/node'), install: NODE_INSTALL }
/** Node.js 24, as `NODE_22`. */
export const NODE_24: Peer = { what: 'Node.js 24', path: join(NODE, '24/bin/node'), install: NODE_INSTALL }

/** The Redis server the Redis store's tests run against. */
export const REDIS_SERVER: Peer = { what: 'redis-server', debianPackage: 'redis-server', path: 'redis-server' }

/** Debian's headless-capable Chromium, which playwright-core drives for the status page tests. */
export const CHROMIUM: Peer = { what: 'Chromium', debianPackage: 'chromium', path: '/usr/bin/chromium' }

/** The absolute path of a peer, or undefined when this machine does not have it. */
export function locate (peer: Peer): string | undefined {
  const candidates = peer.path.includes('/')
    ? [peer.path]
    : (process.env.PATH ?? '').split(delimiter).filter(dir => dir !== '').map(dir => join(dir, peer.path))
  for (const candidate of candidates) {
    try {
      accessSync(candidate, peer.readOnly === true ? constants.R_OK : constants.X_OK)
      return candidate
    } catch {}
  }
  return undefined
}

/**
 * Locates the peers a test file needs. When one is missing the file ends there: skipped on a
 * developer's machine, failed under CI, where a skipped conformance suite is not a pass.
 * Returns their paths in order, or undefined when one is missing.
 */
export function requirePeers (t: Test, ...peers: Peer[]): string[] | undefined {
  const paths: string[] = []
  const missing: Peer[] = []
  for (const peer of peers) {
    const path = locate(peer)
    if (path === undefined) missing.push(peer)
    else paths.push(path)
  }
  if (missing.length === 0) return paths
  const reason = missing.map(peer => `${peer.what} (${peer.path}) is missing: ${peer.install ?? `apt-get install -y ${String(peer.debianPackage)}`}`).join('; ')
  if (IN_CI) t.fail(`${reason}; .ci/run installs it and CI must not skip this suite`)
  else t.plan(0, reason)
  return undefined
}
