import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { CLIENT_GOLANG, GO, requirePeers } from './peers.js'
import { FRONT_ENDS, startFrontEnd, type FrontEndKind } from './front-ends.js'
import { sendText } from './http.js'

/** The Python push client (`/usr/bin/python3 PYTHON_CLIENT_SCRIPT --url … --job … --op push|add|delete`). */
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

let goClient: Promise<string> | undefined

/**
 * Builds the Go push client (test/clients/go/push-client.go) offline against Debian's
 * client_golang, once per process. Undefined when Go or client_golang is missing (then the test
 * file is skipped, or failed under CI).
 */
export async function buildGoClient (t: Test): Promise<string | undefined> {
  if (requirePeers(t, GO, CLIENT_GOLANG) === undefined) return undefined
  goClient ??= (async () => {
    const binary = join(mkdtempSync(join(tmpdir(), 'pushgateway-middleware-go-')), 'push-client')
    const env = { ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOFLAGS: '', GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'pushgateway-middleware-go-cache') }
    const built = await runProgram('go', ['build', '-o', binary, GO_CLIENT_SOURCE], { env })
    if (built.code !== 0) throw new Error(`go build failed:\n${built.stderr}`)
    return binary
  })()
  return await goClient
}

/** A front end as the clients see it: the URL they are given and how to read back what it holds. */
export interface ClientTarget {
  kind: FrontEndKind
  /** The gateway's URL for a client: the base plus the mount. */
  url: string
  /** `GET /metrics` of the gateway. */
  metrics: () => Promise<string>
  /** The grouping labels of every group, from `/api/v1/metrics`, sorted. */
  groups: () => Promise<Array<Record<string, string>>>
}

/**
 * Runs `fn` in a subtest per front end: the Express and Fastify apps with the gateway at
 * `/pushgateway`, the standalone server at its root.
 */
export function forEachFrontEnd (t: Test, fn: (t: Test, target: ClientTarget) => Promise<void>): void {
  for (const kind of FRONT_ENDS) {
    t.test(kind, async t => {
      const frontEnd = await startFrontEnd(kind, { mount: kind === 'standalone' ? '' : '/pushgateway' })
      t.teardown(frontEnd.close)
      const read = async (path: string): Promise<string> => (await sendText(frontEnd.base, { method: 'GET', path: frontEnd.mount + path })).body
      await fn(t, {
        kind,
        url: frontEnd.base + frontEnd.mount,
        metrics: async () => await read('/metrics'),
        groups: async () => {
          const api = JSON.parse(await read('/api/v1/metrics')) as { data: Array<{ labels: Record<string, string> }> }
          return api.data.map(group => group.labels).sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)
        }
      })
    })
  }
}
