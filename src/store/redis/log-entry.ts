import type { MetricFamily } from '../../exposition/types.js'
import type { GaugeRule } from '../../groups/aggregate.js'
import type { StoreLimits } from '../../groups/limits.js'
import type { AppliedChange } from '../store.js'
import type { MemoryStore } from '../memory/memory-store.js'
import { decodeDelimited, encodeDelimited } from '../../exposition/protobuf.js'
import { InconsistentPushError } from '../../errors.js'

type Labels = Readonly<Record<string, string>>

/**
 * One change to the shared groups, as every replica applies it in the log's order. Its effect
 * depends only on the entry and on what the entries before it did, so that every replica that
 * applies the log ends with the same groups.
 */
export type LogEntry =
  | { kind: 'push', labels: Labels, families: MetricFamily[], replace: boolean, timeNs: bigint, limits: StoreLimits | undefined }
  | { kind: 'aggregate', labels: Labels, families: MetricFamily[], timeNs: bigint, gaugeRules: ReadonlyArray<[string, GaugeRule]>, writer: string | undefined, limits: StoreLimits | undefined }
  | { kind: 'failure', labels: Labels, timeNs: bigint, limits: StoreLimits | undefined }
  | { kind: 'delete', labels: Labels }
  | { kind: 'expire', labels: Labels, timeNs: bigint }
  | { kind: 'wipe' }

const LIMIT_NAMES = ['groups', 'series', 'seriesPerGroup', 'writersPerGroup', 'groupsPerJob', 'seriesPerJob'] as const

/** The JSON text of an entry: families as base64 of their delimited protobuf, times as decimal strings, unlimited limits as null. */
export function encodeEntry (entry: LogEntry): string {
  const wire: Record<string, unknown> = { ...entry }
  if ('families' in entry) wire['families'] = encodeDelimited(entry.families).toString('base64')
  if ('timeNs' in entry) wire['timeNs'] = String(entry.timeNs)
  if ('limits' in entry && entry.limits !== undefined) wire['limits'] = LIMIT_NAMES.map(name => entry.limits?.[name])
  // JSON writes Infinity as null, which decodeEntry reads back as Infinity.
  return JSON.stringify(wire)
}

/** Reads an entry written by `encodeEntry`; throws when it is not one. */
export function decodeEntry (text: string): LogEntry {
  const wire = JSON.parse(text) as Record<string, unknown>
  if (typeof wire['families'] === 'string') wire['families'] = decodeDelimited(Buffer.from(wire['families'], 'base64'))
  if (typeof wire['timeNs'] === 'string') wire['timeNs'] = BigInt(wire['timeNs'])
  if (Array.isArray(wire['limits'])) {
    const values = wire['limits'] as Array<number | null>
    wire['limits'] = Object.fromEntries(LIMIT_NAMES.map((name, i) => [name, values[i] ?? Infinity]))
  }
  const kinds = ['push', 'aggregate', 'failure', 'delete', 'expire', 'wipe']
  if (!kinds.includes(wire['kind'] as string)) throw new Error(`unknown kind of log entry ${JSON.stringify(wire['kind'])}`)
  return wire as LogEntry
}

/** What applying an entry did: the change it made, if any, and the error the store's method would have thrown, if any. */
export interface Outcome {
  /** The change, for the other gateways' expiry deadlines. */
  change?: AppliedChange
  /** Why the write was refused: an inconsistent push (its failure recorded), a limit, an aggregation error. */
  error?: unknown
}

/**
 * Applies an entry to a replica's copy of the groups. A refused write changes the same on every
 * replica (at most the failure time) and answers the error the store's method would have thrown.
 */
export async function applyEntry (groups: MemoryStore, entry: LogEntry): Promise<Outcome> {
  switch (entry.kind) {
    case 'push':
    case 'aggregate':
      try {
        if (entry.kind === 'push') {
          await groups.push({ labels: entry.labels, families: entry.families, replace: entry.replace, timeNs: entry.timeNs, ...optional('limits', entry.limits) })
        } else {
          // Every pushed family has its rule.
          const rules = new Map(entry.gaugeRules)
          await groups.aggregate({ labels: entry.labels, families: entry.families, timeNs: entry.timeNs, gaugeRule: name => rules.get(name) as GaugeRule, ...optional('limits', entry.limits), ...optional('writer', entry.writer) })
        }
      } catch (error) {
        if (!(error instanceof InconsistentPushError)) return { error }
        return { error, change: { kind: 'failure', labels: entry.labels, timeNs: entry.timeNs } }
      }
      return { change: { kind: 'push', labels: entry.labels, timeNs: entry.timeNs } }
    case 'failure':
      await groups.recordFailure(entry.labels, entry.timeNs, entry.limits)
      return { change: { kind: 'failure', labels: entry.labels, timeNs: entry.timeNs } }
    case 'delete':
      await groups.delete(entry.labels)
      return { change: { kind: 'delete', labels: entry.labels } }
    case 'expire': {
      const group = groups.group(entry.labels)
      // Written to after the replica that expires it last saw it: it lives on.
      if (group === undefined || lastWriteNs(group) > entry.timeNs) return {}
      await groups.delete(entry.labels)
      return { change: { kind: 'delete', labels: entry.labels } }
    }
    case 'wipe':
      await groups.wipe()
      return { change: { kind: 'wipe' } }
  }
}

/** When a group was last written: its push time, or its failure time when it never had a successful push. */
export function lastWriteNs (group: { pushTimeNs: bigint, failureTimeNs: bigint }): bigint {
  return group.pushTimeNs > 0n ? group.pushTimeNs : group.failureTimeNs
}

function optional<K extends string, V> (key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
