import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { createClient } from 'redis'
import { eventually } from './clock.js'
import { freePort } from './reference.js'
import { REDIS_SERVER, requirePeers } from './peers.js'
import { stopProcess } from './processes.js'

function newClient (url: string) {
  return createClient({ url })
}

/** A node-redis client as the tests use it. */
export type TestRedisClient = ReturnType<typeof newClient>

/** A `redis-server` a test started, on a loopback port, with its data in a directory of its own. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  url: string
  /** Its port. */
  port: number
  /** A new connected client, closed at the end of the test. */
  client: () => Promise<TestRedisClient>
  /** Starts it again (same port, same data directory) after `stop` or `kill`, and waits until it answers. */
  start: () => Promise<void>
  /** Stops it with SIGTERM and waits for it to exit. */
  stop: () => Promise<void>
  /** Sends it a signal (`SIGKILL`, `SIGSTOP`, `SIGCONT`) without waiting. */
  signal: (signal: NodeJS.Signals) => void
  /** What it logged, for failure messages. */
  log: () => string
}

/**
 * Starts `redis-server` for a test on a free loopback port, with append-only persistence
 * (`appendfsync always`) in a temporary directory, plus `extra` arguments; stops it and removes
 * the directory when the test ends. Returns undefined, having skipped (or failed, under CI) the
 * test, when `redis-server` is missing.
 */
export async function startRedis (t: Test, extra: string[] = []): Promise<RedisServer | undefined> {
  const paths = requirePeers(t, REDIS_SERVER)
  if (paths === undefined) return undefined
  const binary = paths[0] as string
  const dir = mkdtempSync(join(tmpdir(), 'pgw-redis-'))
  const clients: TestRedisClient[] = []
  let port = await freePort()
  let child: ChildProcess | undefined
  let log = ''

  const start = async (): Promise<void> => {
    log = ''
    const args = (port: number): string[] => [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'no', ...extra
    ]
    ;({ child, port } = await startOnPort('redis-server', binary, port, args, 'Ready to accept connections', text => { log += text }))
  }

  await start()
  const server: RedisServer = {
    get url () { return `redis://127.0.0.1:${port}` },
    get port () { return port },
    client: async () => {
      const client = newClient(server.url)
      client.on('error', () => {})
      await client.connect()
      clients.push(client)
      return client
    },
    start,
    stop: async () => { if (child !== undefined) await stopProcess(child) },
    signal: signal => { child?.kill(signal) },
    log: () => log
  }
  t.teardown(async () => {
    for (const client of clients) client.destroy()
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT')
      await stopProcess(child)
    }
    rmSync(dir, { recursive: true, force: true })
  })
  return server
}

/**
 * Starts `redis-server` as `startRedis` does, in cluster mode: a Redis Cluster of one node that
 * serves every slot, so that a cluster client routes each command by its first key and the node
 * refuses a command whose keys are in more than one slot. Waits until the cluster is up.
 */
export async function startRedisCluster (t: Test): Promise<RedisServer | undefined> {
  const redis = await startRedis(t, ['--cluster-enabled', 'yes'])
  if (redis === undefined) return undefined
  // A client of its own, closed before the test counts connections.
  const admin = newClient(redis.url)
  await admin.connect()
  try {
    await admin.sendCommand(['CLUSTER', 'ADDSLOTSRANGE', '0', '16383'])
    await eventually(async () => String(await admin.sendCommand(['CLUSTER', 'INFO'])).includes('cluster_state:ok'), 'the cluster serves every slot')
  } finally {
    admin.destroy()
  }
  return redis
}

/** A Redis Sentinel a test started, on a loopback port, watching one master under the name `primary`. */
export interface RedisSentinel {
  /** The name the sentinel gives the master. */
  name: string
  /** Its port. */
  port: number
}

/**
 * Starts `redis-server --sentinel` on a free loopback port, watching `master` (quorum 1) under the
 * name `primary`, and waits until it does; stops it and removes its directory when the test ends.
 * Returns undefined, having skipped (or failed, under CI) the test, when `redis-server` is missing.
 */
export async function startSentinel (t: Test, master: RedisServer): Promise<RedisSentinel | undefined> {
  const paths = requirePeers(t, REDIS_SERVER)
  if (paths === undefined) return undefined
  const dir = mkdtempSync(join(tmpdir(), 'pgw-sentinel-'))
  // The sentinel rewrites its configuration file: one of its own, in its directory.
  const config = join(dir, 'sentinel.conf')
  const args = (port: number): string[] => {
    writeFileSync(config, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor primary 127.0.0.1 ${master.port} 1\n`)
    return [config, '--sentinel']
  }
  let started: { child: ChildProcess, port: number }
  try {
    started = await startOnPort('redis-server --sentinel', paths[0] as string, await freePort(), args, '+monitor master primary', () => {})
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  t.teardown(async () => {
    await stopProcess(started.child)
    rmSync(dir, { recursive: true, force: true })
  })
  return { name: 'primary', port: started.port }
}

/**
 * Starts `binary` with `args(port)` and waits until it prints `ready`. When another process took
 * the port between freePort() and the bind (the only failure worth another try), tries again on a
 * new port, three times in all. `output` gets all it prints. Throws with its output when it does
 * not get ready within 30 s.
 */
async function startOnPort (what: string, binary: string, port: number, args: (port: number) => string[], ready: string, output: (text: string) => void): Promise<{ child: ChildProcess, port: number }> {
  for (let attempt = 1; ; attempt++) {
    let log = ''
    const child = spawn(binary, args(port), { stdio: ['ignore', 'pipe', 'pipe'] })
    const started = await new Promise<boolean>(resolve => {
      const timer = setTimeout(() => { resolve(false) }, 30_000)
      const seen = (text: string): void => {
        log += text
        output(text)
        if (log.includes(ready)) { clearTimeout(timer); resolve(true) }
      }
      child.stdout.setEncoding('utf8').on('data', seen)
      child.stderr.setEncoding('utf8').on('data', seen)
      child.once('exit', () => { clearTimeout(timer); resolve(false) })
    })
    if (started) return { child, port }
    await stopProcess(child)
    if (!/address already in use/i.test(log) || attempt === 3) throw new Error(`${what} did not start:\n${log}`)
    port = await freePort()
  }
}
