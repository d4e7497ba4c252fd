import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { CLIENT_GOLANG, GO, requirePeers } from './peers.js'
import { FRONT_ENDS, startFrontEnd, type FrontEndKind } from './front-ends.js'
import { sendText, type Sent } from './http.js'

/** The Python push client: `/usr/bin/python3 PYTHON_CLIENT_SCRIPT --url … --job … --op push|add|delete`. */
export const PYTHON_CLIENT_SCRIPT = fileURLToPath(new URL('../clients/python/push_client.py', import.meta.url))

const GO_CLIENT_SOURCE = fileURLToPath(new URL('../clients/go/push-client.go', import.meta.url))

/** What a program printed and how it ended. */
export interface ProgramResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a program without a shell and collects its output. */
export async function runProgram (command: string, args: string[], options: { env?: NodeJS.ProcessEnv, input?: string } = {}): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text })
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text })
    child.on('error', reject)
    child.on('close', code => { resolve({ code, stdout, stderr }) })
    child.stdin.end(options.input)
  })
}

let goBuild: Promise<string> | undefined

/**
 * Builds the Go push client (test/clients/go/push-client.go) offline against Debian's
 * client_golang, once per process. Undefined when Go or client_golang is missing (then the test
 * file is skipped, or failed under CI).
 */
export async function buildGoClient (t: Test): Promise<string | undefined> {
  if (requirePeers(t, GO, CLIENT_GOLANG) === undefined) return undefined
  goBuild ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushgateway-middleware-go-'))
    process.once('exit', () => { rmSync(dir, { recursive: true, force: true }) })
    const binary = join(dir, 'push-client')
    // GOPATH mode: Debian installs client_golang and its dependencies under /usr/share/gocode, and
    // there is no module proxy to ask. A fixed GOCACHE keeps repeated runs fast.
    const env = { ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOFLAGS: '', GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'pushgateway-middleware-go-cache') }
    const built = await runProgram('go', ['build', '-o', binary, GO_CLIENT_SOURCE], { env })
    if (built.code !== 0) throw new Error(`go build failed:\n${built.stderr}`)
    return binary
  })()
  return await goBuild
}

/** Runs the Go push client: `-url URL -job JOB -op push|add|delete [-value N] [-label name=value]...`. */
export async function goClient (binary: string, args: string[]): Promise<ProgramResult> {
  return await runProgram(binary, args)
}

/**
 * Runs the Python push client: `--url URL --job JOB --op push|add|delete [--value N] [--label name=value]... [--gzip]`,
 * with the `prometheus_client` Python finds in `env` (default: this process's environment, so Debian's).
 */
export async function pythonClient (python: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ProgramResult> {
  return await runProgram(python, [PYTHON_CLIENT_SCRIPT, ...args], { env })
}

/** One of our front ends as a client sees it, and ways to read back what it holds. */
export interface ClientTarget {
  kind: FrontEndKind
  /** `http://127.0.0.1:<port>`. */
  base: string
  /** Where the gateway is mounted: `/pushgateway`, or `''` for the standalone server. */
  mount: string
  /** The gateway's URL for a client: base plus mount. */
  url: string
  /** A raw request to a path under the mount. */
  send: (sent: Sent) => Promise<{ status: number, body: string }>
  /** The gateway's `GET /metrics`. */
  metrics: () => Promise<string>
  /** The lines of one family in `GET /metrics` (HELP, TYPE, samples); empty when it is absent. */
  family: (name: string) => Promise<string[]>
  /** The grouping labels of every group, from `/api/v1/metrics`, sorted. */
  groups: () => Promise<Array<Record<string, string>>>
}

/** `express at /pushgateway`, `standalone at /`. */
export function describeFrontEnd (kind: FrontEndKind): string {
  return `${kind} at ${mountFor(kind) === '' ? '/' : mountFor(kind)}`
}

// The Express and Fastify apps mount the gateway beside their own routes, as a service embeds it;
// the standalone server serves it at its root, as the CLI does by default.
function mountFor (kind: FrontEndKind): string {
  return kind === 'standalone' ? '' : '/pushgateway'
}

/** Starts a fresh front end for one test and closes it when the test ends. */
export async function startTarget (t: Test, kind: FrontEndKind): Promise<ClientTarget> {
  const frontEnd = await startFrontEnd(kind, { mount: mountFor(kind) })
  t.teardown(frontEnd.close)
  const send = async (sent: Sent): Promise<{ status: number, body: string }> => await sendText(frontEnd.base, { ...sent, path: frontEnd.mount + sent.path })
  const metrics = async (): Promise<string> => (await send({ method: 'GET', path: '/metrics' })).body
  return {
    kind,
    base: frontEnd.base,
    mount: frontEnd.mount,
    url: frontEnd.base + frontEnd.mount,
    send,
    metrics,
    family: async name => familyLines(await metrics(), name),
    groups: async () => {
      const api = JSON.parse((await send({ method: 'GET', path: '/api/v1/metrics' })).body) as { data: Array<{ labels: Record<string, string> }> }
      return api.data.map(group => group.labels).sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)
    }
  }
}

/** Runs `fn` as a subtest per front end, each with a fresh gateway. */
export function testOnEachFrontEnd (t: Test, name: string, fn: (t: Test, target: ClientTarget) => Promise<void>): void {
  t.test(name, async t => {
    for (const kind of FRONT_ENDS) {
      await t.test(describeFrontEnd(kind), async t => { await fn(t, await startTarget(t, kind)) })
    }
  })
}

/** The lines of family `name` in a text exposition: its HELP and TYPE lines and its samples. */
export function familyLines (exposition: string, name: string): string[] {
  const lines: string[] = []
  let current: string | undefined
  for (const line of exposition.split('\n')) {
    const header = /^# (?:HELP|TYPE) (\S+)/.exec(line)
    if (header !== null) current = header[1]
    else if (line.startsWith('#') || line === '') continue
    if (current === name) lines.push(line)
  }
  return lines
}

/** The sample lines of family `name` in a text exposition, without its HELP and TYPE. */
export function sampleLines (exposition: string, name: string): string[] {
  return familyLines(exposition, name).filter(line => !line.startsWith('#'))
}

/** The value of `push_time_seconds` for the group with exactly these labels (sorted as served). */
export function pushTime (exposition: string, labels: string): number | undefined {
  const line = sampleLines(exposition, 'push_time_seconds').find(line => line.startsWith(`push_time_seconds{${labels}} `))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}
