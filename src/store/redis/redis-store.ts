import { randomUUID } from 'node:crypto'
import type { MetricFamily } from '../../exposition/types.js'
import type { EscapingScheme } from '../../exposition/names.js'
import type { GaugeRule } from '../../groups/aggregate.js'
import type { StoreLimits } from '../../groups/limits.js'
import type { AggregateWrite, AppliedChange, GroupView, MetricStore, PushWrite, RenderFormat, StoreContext, StoreSize } from '../store.js'
import { InconsistentPushError, InvalidOptionError, StoreUnavailableError } from '../../errors.js'
import { refuseUnknownOptions } from '../../known-options.js'
import { createLogger } from '../../log.js'
import { reservedTypeClash } from '../../groups/consistency.js'
import { MemoryStore } from '../memory/memory-store.js'
import { decodeSnapshot, snapshotLines } from '../memory/snapshot.js'
import { Pacer } from '../../clock.js'
import { applyEntry, decodeEntry, encodeEntry, lastWriteNs, type LogEntry, type Outcome } from './log-entry.js'
import { COMPACT, READ, type Script } from './scripts.js'

/** The part of a Redis client the store uses: node-redis's `createClient()` gives one. */
export interface RedisClient {
  /** Sends one command and answers its reply; rejects with Redis's error reply or when the connection fails. */
  sendCommand: (args: readonly string[]) => Promise<unknown>
  /** Whether the client is connected now; when false the store answers 503 at once instead of waiting. Default: taken as connected. */
  readonly isReady?: boolean
}

/** The part of a Redis Cluster client the store uses: node-redis's `createCluster()` gives one. */
export interface RedisClusterClient {
  /** Sends one command to the node that serves `firstKey`'s slot, following redirections; rejects as `RedisClient.sendCommand` does. */
  sendCommand: (firstKey: string, isReadonly: boolean, args: string[]) => Promise<unknown>
  /** The cluster's masters: what tells the store that the client is a cluster's. */
  readonly masters: readonly unknown[]
  /** Whether the client is connected now; when false the store answers 503 at once instead of waiting. Default: taken as connected. */
  readonly isReady?: boolean
}

/** The part of a Redis Sentinel client the store uses: node-redis's `createSentinel()` gives one. */
export interface RedisSentinelClient {
  /** Sends one command to the master the sentinels name (`isReadonly` false); rejects as `RedisClient.sendCommand` does. */
  sendCommand: (isReadonly: boolean, args: string[]) => Promise<unknown>
  /** The master's address: what tells the store that the client is a sentinel client. */
  getMasterNode: () => unknown
  /** Whether the client is connected now; when false the store answers 503 at once instead of waiting. Default: taken as connected. */
  readonly isReady?: boolean
}

/** Options of `redisStore()`. */
export interface RedisStoreOptions {
  /** The connected client (node-redis `createClient()`, `createSentinel()` or `createCluster()`), which the application creates, configures (TLS, auth) and closes. Required. */
  client: RedisClient | RedisSentinelClient | RedisClusterClient
  /** The start of every key; replicas that share groups use the same prefix. Keys are `{prefix}:log`, `{prefix}:snapshot` and `{prefix}:compacting`, one hash slot. Default `'pushgateway'`. */
  prefix?: string | undefined
  /** Milliseconds a request waits for Redis before it is answered 503. Default 2,000. */
  timeout?: number | undefined
  /** Entries in the log after which a replica saves a snapshot and trims what is older than 5 seconds. Default: once there are 10,000 and they take as many bytes as the last snapshot, so that snapshots cost a push the same however many groups there are. */
  compactEvery?: number | undefined
}

/** Entries read from the log in one round trip, at most. */
const READ_COUNT = 10_000
/** Entries younger than this are kept after a compaction, so that a replica a little behind catches up without the snapshot. */
const KEEP_MS = 5000
/** Entries since the last snapshot before a replica saves the next one, at least, when `compactEvery` is not given. */
const COMPACT_ENTRIES = 10_000
/** Groups encoded into a snapshot between two turns of the event loop: some 20 milliseconds of work. */
const SNAPSHOT_BATCH = 1000
/** How long the replica that saves a snapshot holds the others off, at most: a snapshot of 100,000 groups takes some 5 seconds. */
const COMPACT_LOCK_MS = 60_000

/**
 * A store that replicas of a service share through Redis. Every change is an entry appended to
 * one Redis stream; every replica applies the stream in order to its own copy of the groups (a
 * `MemoryStore`), so they all hold the same groups, and the consistency check, the limits and
 * aggregation hold across them. A write is answered once its entry is applied, with what applying
 * it did; a read first applies what other replicas appended (one round trip when nothing did).
 * A snapshot now and then (see `compactEvery`) keeps the stream short.
 */
export class RedisStore implements MetricStore {
  readonly #client: RedisClient | RedisSentinelClient | RedisClusterClient
  readonly #send: (args: string[]) => Promise<unknown>
  readonly #log: string
  readonly #snapshot: string
  readonly #compactLock: string
  readonly #timeout: number
  readonly #compactEvery: number | undefined
  readonly #replica = randomUUID()
  #context: StoreContext
  #groups: MemoryStore
  #lastId = '0-0'
  #epoch: string | undefined
  #snapshotId = ''
  // Entries applied since the snapshot, their encoded size, and the size of the last snapshot this replica saved or loaded.
  #sinceSnapshot = 0
  #sinceSnapshotBytes = 0
  #snapshotBytes = 0
  #compacting = false
  #seq = 0
  // This replica's writes whose entries are not applied yet, by sequence number.
  readonly #own = new Map<number, { entry: LogEntry, settle: (outcome: Outcome) => void }>()
  // Their sequence numbers and encoded entries, flat, until the next read appends them.
  #appends: string[] = []
  #reading: Promise<void> | undefined
  #queued: Promise<void> | undefined
  #down = false

  constructor (options: RedisStoreOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'an object', options)
    refuseUnknownOptions(options, ['client', 'prefix', 'timeout', 'compactEvery'])
    const { client, prefix = 'pushgateway', timeout = 2000, compactEvery } = options
    if (client === null || typeof client !== 'object' || typeof client.sendCommand !== 'function') throw new InvalidOptionError('client', 'a node-redis client, sentinel or cluster (with sendCommand)', client)
    if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix)) throw new InvalidOptionError('prefix', 'a non-empty string without braces', prefix)
    if (!Number.isSafeInteger(timeout) || timeout <= 0) throw new InvalidOptionError('timeout', 'a positive integer number of milliseconds', timeout)
    if (compactEvery !== undefined && (!Number.isSafeInteger(compactEvery) || compactEvery <= 0)) throw new InvalidOptionError('compactEvery', 'a positive integer number of entries', compactEvery)
    this.#client = client
    // One hash tag: the scripts touch several keys, which Redis Cluster allows only in one slot.
    this.#log = `{${prefix}}:log`
    this.#send = sender(client, this.#log)
    this.#snapshot = `{${prefix}}:snapshot`
    this.#compactLock = `{${prefix}}:compacting`
    this.#timeout = timeout
    this.#compactEvery = compactEvery
    this.#context = { nameValidation: 'legacy', reserved: () => undefined, logger: createLogger(), applied: () => {} }
    this.#groups = new MemoryStore()
  }

  attach (context: StoreContext): void {
    this.#context = context
    this.#groups = new MemoryStore({ nameValidation: context.nameValidation })
  }

  async ready (): Promise<boolean> {
    if (this.#client.isReady === false) return false
    try {
      await this.#pull()
      return true
    } catch {
      return false
    }
  }

  async push (write: PushWrite): Promise<void> {
    await this.#refuseReserved(write.labels, write.families, write.timeNs, write.limits)
    await this.#write({ kind: 'push', labels: write.labels, families: write.families, replace: write.replace, timeNs: write.timeNs, limits: write.limits })
  }

  async aggregate (write: AggregateWrite): Promise<void> {
    await this.#refuseReserved(write.labels, write.families, write.timeNs, write.limits)
    // The rules travel with the entry: a replica applying it does not know this one's options.
    const gaugeRules = write.families.map((family): [string, GaugeRule] => [family.name, write.gaugeRule(family.name)])
    await this.#write({ kind: 'aggregate', labels: write.labels, families: write.families, timeNs: write.timeNs, gaugeRules, writer: write.writer, limits: write.limits })
  }

  async recordFailure (labels: Readonly<Record<string, string>>, timeNs: bigint, limits?: StoreLimits): Promise<void> {
    await this.#write({ kind: 'failure', labels, timeNs, limits })
  }

  async delete (labels: Readonly<Record<string, string>>): Promise<void> {
    await this.#write({ kind: 'delete', labels })
  }

  async wipe (): Promise<void> {
    await this.#write({ kind: 'wipe' })
  }

  async expire (labels: Readonly<Record<string, string>>, lastWrite: bigint): Promise<boolean> {
    return (await this.#write({ kind: 'expire', labels, timeNs: lastWrite })) !== undefined
  }

  async refresh (): Promise<void> {
    await this.#pull()
  }

  async groups (): Promise<Iterable<GroupView>> {
    await this.#pull()
    return [...this.#groups.snapshot()]
  }

  async families (): Promise<MetricFamily[]> {
    await this.#pull()
    return await this.#groups.families()
  }

  async render (format: RenderFormat, extra: readonly MetricFamily[], escaping?: EscapingScheme): Promise<string> {
    await this.#pull()
    return await this.#groups.render(format, extra, escaping)
  }

  async renderChunks (format: RenderFormat, extra: readonly MetricFamily[], escaping?: EscapingScheme): Promise<string[]> {
    await this.#pull()
    return await this.#groups.renderChunks(format, extra, escaping)
  }

  async size (): Promise<StoreSize> {
    await this.#pull()
    return await this.#groups.size()
  }

  // The gateway's own families are this replica's: another replica's may differ, so the log
  // never holds a push that clashes with them; the refusal is recorded as a failure.
  async #refuseReserved (labels: Readonly<Record<string, string>>, families: readonly MetricFamily[], timeNs: bigint, limits: StoreLimits | undefined): Promise<void> {
    for (const family of families) {
      const reserved = family.metrics.length > 0 ? this.#context.reserved(family.name) : undefined
      if (reserved === undefined || reserved.type === family.type) continue
      await this.#write({ kind: 'failure', labels, timeNs, limits })
      throw new InconsistentPushError(reservedTypeClash(family.name, family.type, reserved.type))
    }
  }

  // Appends an entry with the next read, which applies the log up to it: answers the change
  // applying it made, or rejects as the memory store would have. Writes that come while a read
  // is under way are appended together by the next one: one round trip for all of them.
  async #write (entry: LogEntry): Promise<AppliedChange | undefined> {
    const seq = ++this.#seq
    const applied = new Promise<Outcome>(resolve => { this.#own.set(seq, { entry, settle: resolve }) })
    this.#appends.push(String(seq), encodeEntry(entry))
    try {
      await this.#pull()
      // The read appended the entry and read it back, unless the log was lost in between.
      if (this.#own.has(seq)) throw this.#unavailable('the Redis log was lost before the write was read back')
    } finally {
      this.#own.delete(seq)
    }
    const { change, error } = await applied
    if (error !== undefined) throw error
    return change
  }

  // Reads and applies what is new in the log. Calls that come while a read is under way share
  // the next read, which starts when that one ends: it sees everything appended before the call.
  async #pull (): Promise<void> {
    this.#queued ??= this.#readAfterCurrent()
    return await this.#queued
  }

  async #readAfterCurrent (): Promise<void> {
    await this.#reading?.then(() => {}, () => {})
    const reading = this.#readAll()
    this.#reading = reading
    this.#queued = undefined
    await reading
  }

  async #readAll (): Promise<void> {
    let appends = this.#appends
    this.#appends = []
    for (;;) {
      // A new epoch each time: Redis records it only when the log is new, which tells every replica that it was lost.
      const [epoch, snapshotId, data, entries] = await this.#eval(READ, [this.#log, this.#snapshot], [this.#lastId, String(READ_COUNT), randomUUID(), this.#replica, ...appends]) as [string, string, string | null, Array<[string, string[]]>]
      appends = []
      if (this.#epoch !== undefined && epoch !== this.#epoch) {
        // Redis lost the log (flushed, or restarted without its append-only file): start over from what it holds.
        this.#context.logger.error({ prefix: this.#log }, 'the Redis log was lost; this replica starts over from what Redis holds')
        this.#epoch = epoch
        this.#load('0-0', undefined)
        continue
      }
      this.#epoch = epoch
      if (snapshotId !== this.#snapshotId) {
        this.#snapshotId = snapshotId
        this.#sinceSnapshot = 0
        this.#sinceSnapshotBytes = 0
      }
      if (data !== null) this.#load(snapshotId, data)
      for (const [id, fields] of entries) await this.#apply(id, fields)
      if (entries.length < READ_COUNT) return
    }
  }

  // Replaces this replica's groups with a snapshot's (or none), as of the entry `id`.
  #load (id: string, data: string | undefined): void {
    this.#groups = new MemoryStore({ nameValidation: this.#context.nameValidation })
    this.#lastId = id
    this.#context.applied({ kind: 'wipe' })
    if (data === undefined) return
    this.#snapshotBytes = data.length
    let views: GroupView[]
    try {
      views = decodeSnapshot(Buffer.from(data))
    } catch (err) {
      throw this.#unavailable(`the snapshot in Redis cannot be read (${(err as Error).message})`)
    }
    for (const view of views) {
      this.#groups.restore(view)
      this.#context.applied({ kind: view.pushTimeNs > 0n ? 'push' : 'failure', labels: view.labels, timeNs: lastWriteNs(view) })
    }
  }

  async #apply (id: string, fields: string[]): Promise<void> {
    const field = (name: string): string | undefined => {
      for (let i = 0; i < fields.length - 1; i += 2) if (fields[i] === name) return fields[i + 1]
      return undefined
    }
    const own = field('r') === this.#replica ? this.#own.get(Number(field('s'))) : undefined
    const text = field('e') ?? ''
    this.#lastId = id
    this.#sinceSnapshot++
    this.#sinceSnapshotBytes += text.length
    let entry: LogEntry
    try {
      entry = own?.entry ?? decodeEntry(text)
    } catch (err) {
      // Every replica skips it alike: the groups stay the same everywhere.
      this.#context.logger.error({ id, err: (err as Error).message }, 'skipped an entry of the Redis log that is not one of ours')
      return
    }
    const outcome = await applyEntry(this.#groups, entry)
    if (own !== undefined) {
      this.#own.delete(Number(field('s')))
      own.settle(outcome)
      if (this.#compactDue()) await this.#compact()
    } else if (outcome.change !== undefined) {
      this.#context.applied(outcome.change)
    }
  }

  // A snapshot costs time in proportion to the groups: by default the log grows to the size of
  // the last snapshot before the next is saved, which makes their cost per push the same whatever
  // the number of groups.
  #compactDue (): boolean {
    if (this.#compactEvery !== undefined) return this.#sinceSnapshot >= this.#compactEvery
    return this.#sinceSnapshot >= COMPACT_ENTRIES && this.#sinceSnapshotBytes >= this.#snapshotBytes
  }

  // The read that applied the entry waits while the snapshot is encoded, so that no other entry
  // changes the groups meanwhile; saving it is not waited for. Every replica counts the same
  // entries, so they all find a compaction due at about the same time: the lock lets one of them
  // do it, and the others count again from there.
  async #compact (): Promise<void> {
    if (this.#compacting) return
    this.#compacting = true
    this.#sinceSnapshot = 0
    this.#sinceSnapshotBytes = 0
    const id = this.#lastId
    let data: string
    try {
      if (await this.#command(['SET', this.#compactLock, this.#replica, 'NX', 'PX', String(COMPACT_LOCK_MS)]) === null) {
        this.#compacting = false
        return
      }
      // Throws past V8's longest string, about 512 MB: the log is not trimmed, and the lock expires.
      data = await this.#snapshotText()
    } catch (err) {
      this.#compactFailed(err)
      return
    }
    this.#snapshotBytes = data.length
    this.#eval(COMPACT, [this.#log, this.#snapshot, this.#compactLock], [id, data, this.#epoch as string, String(KEEP_MS), this.#replica]).then(
      () => { this.#compacting = false },
      (err: unknown) => { this.#compactFailed(err) })
  }

  #compactFailed (err: unknown): void {
    this.#compacting = false
    this.#context.logger.warn({ err: (err as Error).message }, 'could not compact the Redis log; it grows until a later compaction succeeds')
  }

  // The snapshot of the groups, a batch of them at a time with turns of the event loop in between:
  // it takes time in proportion to the groups (0.2 s for 10,000 groups of 12 series).
  async #snapshotText (): Promise<string> {
    const lines: string[] = []
    const pacer = new Pacer(SNAPSHOT_BATCH)
    for (const line of snapshotLines([...this.#groups.snapshot()], new Date())) {
      lines.push(line)
      if (pacer.spent()) await pacer.rest()
    }
    return lines.join('')
  }

  async #eval (script: Script, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.#command(['EVALSHA', script.sha, String(keys.length), ...keys, ...args])
    } catch (err) {
      if (!(err instanceof StoreUnavailableError && /^NOSCRIPT/.test((err.cause as Error | undefined)?.message ?? ''))) throw err
      return await this.#command(['EVAL', script.text, String(keys.length), ...keys, ...args])
    }
  }

  // One command, answered within the timeout; a connection that is down, a timeout and an error
  // reply all reject with a `StoreUnavailableError`.
  async #command (args: string[]): Promise<unknown> {
    if (this.#client.isReady === false) throw this.#unavailable('Redis is not connected')
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(this.#unavailable(`Redis did not answer within ${this.#timeout} ms`)) }, this.#timeout)
    })
    let reply: unknown
    try {
      reply = await Promise.race([this.#send(args), timedOut])
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err
      throw this.#unavailable(`Redis answered ${(err as Error).message}`, err)
    } finally {
      clearTimeout(timer)
    }
    if (this.#down) {
      this.#down = false
      this.#context.logger.info({ prefix: this.#log }, 'the Redis store answers again')
    }
    return reply
  }

  #unavailable (reason: string, cause?: unknown): StoreUnavailableError {
    // Once per outage: a replica under load would otherwise log every request.
    if (!this.#down && !/^Redis answered NOSCRIPT/.test(reason)) {
      this.#down = true
      this.#context.logger.error({ prefix: this.#log, reason }, 'the Redis store is unavailable')
    }
    return new StoreUnavailableError(`the store is unavailable: ${reason}`, cause === undefined ? undefined : { cause })
  }
}

// How each kind of node-redis client takes a command: a sentinel client sends it to the master
// and a cluster client to the node of its first key, and every key is in the log's slot.
function sender (client: RedisClient | RedisSentinelClient | RedisClusterClient, log: string): (args: string[]) => Promise<unknown> {
  if ('masters' in client) return async args => await client.sendCommand(log, false, args)
  if ('getMasterNode' in client) return async args => await client.sendCommand(false, args)
  return async args => await client.sendCommand(args)
}

/** A store shared through Redis by every replica given the same `prefix` (see `RedisStore`). */
export function redisStore (options: RedisStoreOptions): RedisStore {
  return new RedisStore(options)
}
