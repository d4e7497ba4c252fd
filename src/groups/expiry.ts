import { InvalidOptionError } from '../errors.js'
import { refuseUnknownOptions } from '../known-options.js'
import type { GroupingKey } from './grouping-key.js'

interface Deadline<T> {
  atNs: bigint
  value: T
}

/**
 * The deadlines of expiring groups. Groups with the same TTL expire in the order of their last
 * push, so one insertion-ordered map per TTL keeps them sorted: scheduling costs O(1) and
 * finding what has expired costs O(expired + distinct TTLs), whatever the number of groups.
 */
export class ExpiryQueue<T> {
  readonly #byTtl = new Map<bigint, Map<string, Deadline<T>>>()
  readonly #ttlOf = new Map<string, bigint>()

  /** Number of scheduled entries. */
  get size (): number {
    return this.#ttlOf.size
  }

  /** Whether `id` has a deadline. */
  has (id: string): boolean {
    return this.#ttlOf.has(id)
  }

  /** Makes `id` expire `ttlNs` after `nowNs`, replacing its previous deadline. */
  schedule (id: string, value: T, ttlNs: bigint, nowNs: bigint): void {
    this.cancel(id)
    let queue = this.#byTtl.get(ttlNs)
    if (queue === undefined) {
      queue = new Map()
      this.#byTtl.set(ttlNs, queue)
    }
    queue.set(id, { atNs: nowNs + ttlNs, value })
    this.#ttlOf.set(id, ttlNs)
  }

  /** Removes the deadline of `id`, if it has one. */
  cancel (id: string): void {
    const ttl = this.#ttlOf.get(id)
    if (ttl === undefined) return
    this.#ttlOf.delete(id)
    const queue = this.#byTtl.get(ttl) as Map<string, Deadline<T>>
    queue.delete(id)
    if (queue.size === 0) this.#byTtl.delete(ttl)
  }

  /** Removes every deadline. */
  clear (): void {
    this.#byTtl.clear()
    this.#ttlOf.clear()
  }

  /** Removes and returns the values whose deadline is at or before `nowNs`. */
  expired (nowNs: bigint): T[] {
    const due: T[] = []
    for (const [ttl, queue] of this.#byTtl) {
      for (const [id, deadline] of queue) {
        // Later entries of this queue were pushed later, so they are due later too.
        if (deadline.atNs > nowNs) break
        due.push(deadline.value)
        queue.delete(id)
        this.#ttlOf.delete(id)
      }
      if (queue.size === 0) this.#byTtl.delete(ttl)
    }
    return due
  }
}

/** When groups expire: a default TTL and overrides by job or by a function of the grouping key. */
export interface ExpiryOptions {
  /** Time to live of a group after its last successful push, in milliseconds; `Infinity` keeps groups until deleted. Default `Infinity`. */
  ttl?: number | undefined
  /** TTLs in milliseconds that override `ttl`: by job name, or a function of the grouping key answering a TTL (`undefined` for `ttl`). Default: none. */
  overrides?: Readonly<Record<string, number>> | ((key: Required<GroupingKey>) => number | undefined) | undefined
}

/** The TTL of a group in nanoseconds, `undefined` when it never expires. */
export type TtlOf = (key: Required<GroupingKey>) => bigint | undefined

/** Validates the `expiry` option once; `undefined` when no group can ever expire. */
export function resolveExpiry (expiry: unknown): TtlOf | undefined {
  if (expiry === undefined) return undefined
  if (expiry === null || typeof expiry !== 'object') throw new InvalidOptionError('expiry', 'an object', expiry)
  refuseUnknownOptions(expiry, ['ttl', 'overrides'], 'expiry.')
  const { ttl = Infinity, overrides } = expiry as ExpiryOptions
  const defaultTtl = ttlNs('expiry.ttl', ttl)
  if (typeof overrides === 'function') {
    return key => {
      const override = overrides(key)
      return override === undefined ? defaultTtl : ttlNs('the TTL answered by expiry.overrides', override)
    }
  }
  if (overrides === undefined) return defaultTtl === undefined ? undefined : () => defaultTtl
  if (overrides === null || typeof overrides !== 'object') throw new InvalidOptionError('expiry.overrides', 'an object of TTLs by job, or a function', overrides)
  const byJob = new Map(Object.entries(overrides).map(([job, value]) => [job, ttlNs(`expiry.overrides.${job}`, value)]))
  return key => byJob.has(key.job) ? byJob.get(key.job) : defaultTtl
}

function ttlNs (name: string, value: unknown): bigint | undefined {
  if (value === Infinity) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidOptionError(name, 'a positive number of milliseconds, or Infinity', value)
  return BigInt(Math.round(value * 1e6))
}
