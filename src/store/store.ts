import type { LabelPair, MetricFamily, MetricType } from '../exposition/types.js'
import type { EscapingScheme } from '../exposition/names.js'
import type { StoreLimits } from '../groups/limits.js'
import type { GaugeRule } from '../groups/aggregate.js'
import type { TemplateSource } from '../exposition/text-template.js'
import type { NameValidation } from '../exposition/names.js'
import type { Logger } from '../log.js'

/** A family as a group stores it: labels sanitized and sorted, with the time of the write. */
export interface StoredFamily {
  /** The family; every metric carries the group's labels and `instance`. */
  family: MetricFamily
  /** When the write that stored it was received, in nanoseconds since the epoch. */
  timeNs: bigint
}

/** A read-only view of one group, for `/api/v1/metrics` and persistence. */
export interface GroupView {
  /** The grouping labels, `job` included, sorted by name. */
  labels: Readonly<Record<string, string>>
  /** The stored families by name, in the group's order, the two timestamp families included. */
  families: ReadonlyMap<string, StoredFamily>
  /** Time of the last successful write in nanoseconds since the epoch, `0n` if none. */
  pushTimeNs: bigint
  /** Time of the last failed write in nanoseconds since the epoch, `0n` if none. */
  failureTimeNs: bigint
  /** What each writer of cumulative aggregate pushes pushed last (sanitized), by writer. Default: none. */
  writers?: ReadonlyMap<string, readonly MetricFamily[]> | undefined
}

/** A push as the store receives it: parsed and prepared (see `prepareFamilies`), not yet checked against the other groups. */
export interface PushWrite {
  /** The grouping labels, `job` included. */
  labels: Readonly<Record<string, string>>
  /** The pushed families, prepared: without the timestamp families, the group's labels and `instance` on every metric, labels sorted. */
  families: MetricFamily[]
  /** True for PUT (replace the group), false for POST (replace same-name families). */
  replace: boolean
  /** When the request was received, in nanoseconds since the epoch. */
  timeNs: bigint
  /** The capacity limits to enforce; a push over one is refused with a `LimitExceededError` and records nothing. Default: none. */
  limits?: StoreLimits
  /** Where the template of the pushed text body comes from (see `textTemplate`), for a store with `repeat` to keep with the group. Default: none. */
  template?: TemplateSource | undefined
}

/** A push whose body may repeat the group's last one but for its values (see `MetricStore.repeat`). */
export interface RepeatWrite {
  /** The grouping labels, `job` included. */
  labels: Readonly<Record<string, string>>
  /** The body, in the text format. */
  text: string
  /** True for PUT (replace the group), false for POST (replace same-name families). */
  replace: boolean
  /** When the request was received, in nanoseconds since the epoch. */
  timeNs: bigint
}

/** An aggregate push as the store receives it: parsed and prepared (see `prepareFamilies`), to be added to the group's families. */
export interface AggregateWrite {
  /** The grouping labels, `job` included (the writer label removed). */
  labels: Readonly<Record<string, string>>
  /** The pushed families, prepared as for a push: increments, or cumulative values when `writer` is set. */
  families: MetricFamily[]
  /** When the request was received, in nanoseconds since the epoch. */
  timeNs: bigint
  /** How each gauge family is combined. */
  gaugeRule: (name: string) => GaugeRule
  /** The writer whose cumulative values these are; only their increase since its last push is added. Default: none, the values are increments. */
  writer?: string
  /** The capacity limits to enforce, as for `push`. Default: none. */
  limits?: StoreLimits
}

/** A family that is not pushed but exposed next to the pushed ones (the gateway's own metrics). */
export interface ReservedFamily {
  /** Its type; a pushed family of the same name must have the same type. */
  type: MetricType
}

/** Looks up a family that a push may not redefine, by name. */
export type ReservedFamilyLookup = (name: string) => ReservedFamily | undefined

/** The exposition formats a store renders. */
export type RenderFormat = 'text' | 'openmetrics'

/**
 * Where groups live. The in-memory store implements it; a shared backend can replace it without
 * touching the gateway or the adapters. Every method answers with a promise, so that a store in
 * another process or on another machine fits the same contract; `test/store/contract.ts` is the
 * suite every store passes.
 */
export interface MetricStore {
  /** Checks and applies a push; rejects with a `LimitExceededError`, or an `InconsistentPushError` after recording the failure time. */
  push (write: PushWrite): Promise<void>
  /**
   * Applies a push whose text body repeats, but for its sample values, the body of the group's
   * last push (see `PushWrite.template`) when nothing but failures and such repeats changed the
   * group since: the values alone change, as a full push of the body would change them. Answers
   * false, having changed nothing, for any other push, which is then made in full. Optional:
   * without it every push is made in full.
   */
  repeat? (write: RepeatWrite): Promise<boolean>
  /**
   * Adds an aggregate push to the group (see `addFamilies`), then checks and applies the result as
   * a POST; rejects with an `AggregationError` when the values cannot be added, with nothing recorded.
   */
  aggregate (write: AggregateWrite): Promise<void>
  /** Records a failed write to a group (its failure time), creating the group if it is missing and `limits.groups` allows. */
  recordFailure (labels: Readonly<Record<string, string>>, timeNs: bigint, limits?: StoreLimits): Promise<void>
  /** Removes the group with exactly these labels; a missing group is not an error. */
  delete (labels: Readonly<Record<string, string>>): Promise<void>
  /** Removes every group. */
  wipe (): Promise<void>
  /** The groups, in the order they were created. */
  groups (): Promise<Iterable<GroupView>>
  /** The merged families of all groups, sorted by name, their metrics in exposition order. */
  families (): Promise<MetricFamily[]>
  /**
   * The exposition of all groups in one format, merged with `extra` families (the gateway's own),
   * names written as a scrape that negotiated `escaping` shows them (`exposedName`). Default
   * `'allow-utf-8'`: names as they are stored.
   */
  render (format: RenderFormat, extra: readonly MetricFamily[], escaping?: EscapingScheme): Promise<string>
  /**
   * What `render` renders, as chunks to be written in order (none when it is empty), so that a
   * large scrape is never one string, nor one buffer on its way to the socket. Optional: a store
   * without it is rendered whole.
   */
  renderChunks? (format: RenderFormat, extra: readonly MetricFamily[], escaping?: EscapingScheme): Promise<string[]>
  /** Counts of stored groups and series. */
  size (): Promise<StoreSize>
  /**
   * Called once by the gateway that uses the store, before any other method, with what the
   * gateway knows that the store needs. Optional: the built-in store is given it when created.
   */
  attach? (context: StoreContext): void
  /** Whether the store can serve requests now (`/-/ready`). Optional: a store without it is always ready. */
  ready? (): Promise<boolean>
  /**
   * Deletes the group with these labels if nothing was written to it after `lastWriteNs` (its
   * TTL passed); answers whether this call deleted it. Optional: a store that is not shared by
   * several gateways is asked to `delete` instead.
   */
  expire? (labels: Readonly<Record<string, string>>, lastWriteNs: bigint): Promise<boolean>
  /** Learns the changes other gateways sharing the store made (see `StoreContext.applied`). Optional, with `expire`. */
  refresh? (): Promise<void>
}

/** What a gateway tells the store it uses (see `MetricStore.attach`). */
export interface StoreContext {
  /** Which metric and label names are valid. */
  nameValidation: NameValidation
  /** Families a push may not redefine with another type (the gateway's own). */
  reserved: ReservedFamilyLookup
  /** Where the store logs. */
  logger: Logger
  /** Called for every change that another gateway sharing the store made, once this gateway's view holds it. */
  applied: (change: AppliedChange) => void
}

/** A change made through another gateway sharing the store, as this gateway learns of it. */
export type AppliedChange =
  | { kind: 'push' | 'failure', labels: Readonly<Record<string, string>>, timeNs: bigint }
  | { kind: 'delete', labels: Readonly<Record<string, string>> }
  | { kind: 'wipe' }

/** Counts of what a store holds. */
export interface StoreSize {
  /** Number of groups. */
  groups: number
  /** Number of series (metrics) across all groups, the timestamp families included. */
  series: number
}

/** Label pairs sorted by name; the shape every stored metric carries. */
export type SortedLabels = readonly LabelPair[]
