import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import express from 'express'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { createClient } from 'redis'
import { pushgateway } from '../../src/express.js'
import { fastifyPushgateway } from '../../src/fastify.js'
import { startServer } from '../../src/standalone/server.js'
import type { ServerFlags } from '../../src/standalone/flags.js'
import { createLogger } from '../../src/log.js'
import { redisStore } from '../../src/store/redis/redis-store.js'
import type { PushgatewayOptions } from '../../src/gateway.js'
import { FRONT_ENDS, type FrontEndKind } from './front-ends.js'
import { sendText } from './http.js'
import type { RedisServer } from './redis.js'

/** Where the Express and Fastify replicas mount the gateway. */
export const MOUNT = '/pg'

/**
 * A node-redis client as a replica should have one: commands fail at once while Redis is down
 * instead of queueing, and it reconnects by itself (backing off from 50 ms to 500 ms).
 */
export function replicaClient (url: string) {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500) }
  })
  // Without a listener an error event (Redis gone) would crash the test process.
  client.on('error', () => {})
  return client
}

/** One gateway of several sharing a Redis, listening on loopback. */
export interface Replica {
  kind: FrontEndKind
  /** `http://127.0.0.1:<port>` plus the mount path; push paths go after it. */
  base: string
  /** Names of the families it exposes of its own (its registry's: none but the standalone's), which `storeBody` leaves out. */
  own: ReadonlySet<string>
  /** What it logged at warn level and above, for failure messages. */
  log: () => string
  /** Stops serving and closes its Redis client; also done when the test ends. */
  close: () => Promise<void>
}

/** How to start replicas. */
export interface ReplicaSettings {
  /** The store's key prefix; replicas with the same one share their groups. Default: the store's default. */
  prefix?: string
  /** The store's timeout in milliseconds. Default: the store's default. */
  timeout?: number
  /** Extra core options for the Express and Fastify mounts. Default none. */
  options?: PushgatewayOptions
}

/**
 * Starts one replica of each kind given (by default Express, Fastify and the standalone server),
 * each with a Redis client and a redis store of its own on `redis` (the standalone server makes its
 * own from its Redis flags), the admin API on, and none of its own metrics in `/metrics` where that
 * can be turned off; each answers 200 on `/-/ready` when this resolves, and all are closed when
 * the test ends.
 */
export async function startReplicas (t: Test, redis: RedisServer, kinds: readonly FrontEndKind[] = FRONT_ENDS, settings: ReplicaSettings = {}): Promise<Replica[]> {
  const replicas: Replica[] = []
  t.teardown(async () => { await Promise.all(replicas.map(async replica => replica.close())) })
  for (const kind of kinds) {
    const replica = await startReplica(kind, redis, settings)
    replicas.push(replica)
    await untilReady(replica)
  }
  return replicas
}

// The standalone server connects to Redis without waiting; a replica counts from its first 200 on /-/ready.
async function untilReady (replica: Replica, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const answer = await sendText(replica.base, { method: 'GET', path: pathOn(replica, '/-/ready') })
    if (answer.status === 200) return
    if (Date.now() > deadline) throw new Error(`${replica.kind} replica not ready after ${timeoutMs} ms: ${answer.status} ${answer.body}\n${replica.log()}`)
    await sleep(25)
  }
}

async function startReplica (kind: FrontEndKind, redis: RedisServer, settings: ReplicaSettings): Promise<Replica> {
  const lines: string[] = []
  const logger = createLogger({ level: 'warn', write: line => { lines.push(line) } })
  const log = (): string => lines.join('')
  if (kind === 'standalone') {
    const flags: Partial<ServerFlags> = {
      listenAddresses: ['127.0.0.1:0'],
      enableAdminApi: true,
      redisUrl: redis.url,
      ...(settings.prefix === undefined ? {} : { redisPrefix: settings.prefix }),
      ...(settings.timeout === undefined ? {} : { redisTimeoutNs: BigInt(settings.timeout) * 1_000_000n })
    }
    const server = await startServer(flags, logger)
    // Its registry's families (the Node process metrics and the gateway's own), served beside the groups.
    const own = new Set(server.gateway.registry.getMetricsAsArray().map(metric => metric.name))
    return { kind, base: `http://${server.addresses[0] as string}`, own, log, close: once(async () => { await server.close() }) }
  }
  const client = replicaClient(redis.url)
  await client.connect()
  const store = redisStore({
    client,
    ...(settings.prefix === undefined ? {} : { prefix: settings.prefix }),
    ...(settings.timeout === undefined ? {} : { timeout: settings.timeout })
  })
  const options: PushgatewayOptions = { registry: new Registry(), store, adminApi: true, exposeRegistry: false, logger, ...settings.options }
  let stop: () => Promise<void>
  let base: string
  if (kind === 'express') {
    const app = express()
    app.use(MOUNT, pushgateway(options))
    const server = await new Promise<Server>(resolve => { const s = app.listen(0, '127.0.0.1', () => { resolve(s) }) })
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${MOUNT}`
    stop = async () => { await new Promise(resolve => { server.close(resolve); server.closeAllConnections() }) }
  } else {
    const app = Fastify()
    await app.register(fastifyPushgateway, { ...options, prefix: MOUNT })
    base = `${await app.listen({ port: 0, host: '127.0.0.1' })}${MOUNT}`
    stop = async () => { await app.close() }
  }
  return { kind, base, own: new Set(), log, close: once(async () => { await stop(); client.destroy() }) }
}

// `fn` run on the first call only; every call resolves when that run has.
function once (fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined
  return async () => { running ??= fn(); await running }
}

async function scrapeBody (base: string): Promise<string> {
  const answer = await sendText(base, { method: 'GET', path: `${new URL(base).pathname.replace(/\/$/, '')}/metrics` })
  if (answer.status !== 200) throw new Error(`GET ${base}/metrics answered ${answer.status}: ${answer.body}`)
  return answer.body
}

// A sample line belongs to the family named in the comments before it when its name starts with
// that family's name (`_bucket`, `_sum`, `_count`, `_total`, …); otherwise it is a family of its own.
function familyOfLine (line: string, current: string | undefined): string {
  const comment = /^# (?:HELP|TYPE|UNIT) (\S+)/.exec(line)
  if (comment !== null) return comment[1] as string
  const name = /^[^{\s]+/.exec(line)?.[0] ?? line
  return current !== undefined && name.startsWith(current) ? current : name
}

/**
 * The text exposition of a replica without its own families: what its store renders, byte for
 * byte, for every kind of replica.
 */
export async function storeBody (replica: Replica): Promise<string> {
  const body = await scrapeBody(replica.base)
  if (replica.own.size === 0) return body
  let current: string | undefined
  const kept: string[] = []
  for (const line of body.split('\n')) {
    if (line === '') continue
    current = familyOfLine(line, current)
    if (!replica.own.has(current)) kept.push(line)
  }
  return kept.length === 0 ? '' : kept.join('\n') + '\n'
}

/** One group as `GET /api/v1/metrics` lists it. */
export interface ApiGroup {
  labels: Record<string, string>
  [family: string]: unknown
}

/** The groups a replica lists in `GET /api/v1/metrics`. */
export async function apiGroups (replica: Replica): Promise<ApiGroup[]> {
  const answer = await sendText(replica.base, { method: 'GET', path: `${new URL(replica.base).pathname.replace(/\/$/, '')}/api/v1/metrics` })
  if (answer.status !== 200) throw new Error(`GET ${replica.base}/api/v1/metrics answered ${answer.status}: ${answer.body}`)
  return (JSON.parse(answer.body) as { data: ApiGroup[] }).data
}

/** The path of `suffix` on a replica: its mount path, then `suffix`. */
export function pathOn (replica: Replica | string, suffix: string): string {
  const base = typeof replica === 'string' ? replica : replica.base
  return `${new URL(base).pathname.replace(/\/$/, '')}${suffix}`
}

/**
 * Runs `count` tasks (`task(0)` … `task(count - 1)`) with at most `concurrency` at a time and
 * resolves with their results in order once all have settled; a task that throws gives its error.
 */
export async function runPool<T> (count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<Array<T | Error>> {
  const results: Array<T | Error> = new Array(count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++
      try {
        results[index] = await task(index)
      } catch (err) {
        results[index] = err instanceof Error ? err : new Error(String(err))
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return results
}
