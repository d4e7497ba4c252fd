import type { MetricFamily } from '../exposition/types.js'
import type { AppliedChange, GroupView, MetricStore } from '../store/store.js'
import type { ResolvedOptions } from '../options.js'
import type { GroupingKey } from './grouping-key.js'
import { InconsistentPushError, InvalidGroupingKeyError, PushgatewayError } from '../errors.js'
import { InFlightBytes, readBody, type RequestBody } from '../http/body.js'
import { isUtf8 } from 'node:buffer'
import { parseMetricsSliced, pushFormat, type ParseBudget } from '../exposition/parse.js'
import { TEMPLATE_MAX_LENGTH, ValueRecord, textTemplate, type TemplateSource } from '../exposition/text-template.js'
import { nextTurn } from '../clock.js'
import type { MemoryStore } from '../store/memory/memory-store.js'
import { groupId } from './consistency.js'
import { ExpiryQueue } from './expiry.js'
import { checkPushLimits, parseBudget } from './limits.js'
import { checkStorable } from './validate.js'
import { prepareFamilies } from './sanitize.js'
import { isValidLabelName, type NameValidation } from '../exposition/names.js'

/** How a push body is read: its Content-Type and Content-Encoding. */
export interface BodyFormat {
  /** The body's Content-Type; picks the parser. Default: text format 0.0.4. */
  contentType?: string | undefined
  /** The body's Content-Encoding (`gzip` or none). Default: none. */
  contentEncoding?: string | undefined
}

/** Hands prepared families (see `prepareFamilies`) to the store (a push or an aggregate push), received at `timeNs`, with the text body's template if it has one. */
export interface Apply {
  (families: MetricFamily[], timeNs: bigint, template?: TemplateSource): unknown
  /** Hands the store a text body that may repeat the group's last push but for its values (see `MetricStore.repeat`); answers whether it did. Only a push to a store that can has it. */
  repeat?: ((text: string, timeNs: bigint) => Promise<boolean>) | undefined
}

/** A group with an expiry deadline, and when it was last written (what its deadline counts from). */
interface ExpiringGroup {
  labels: Readonly<Record<string, string>>
  timeNs: bigint
}

/** What the group service tells its owner. */
export interface GroupServiceEvents {
  /** The groups changed (a push, a failure, a delete, a wipe, an expiry). */
  changed: () => void
  /** `count` groups expired. */
  expired: (count: number) => void
}

/**
 * The Pushgateway's semantics over a store: reads, parses and checks a push, hands it to the store
 * as a replacement or an aggregate, records failures, deletes and wipes, and keeps each group's
 * expiry deadline. It knows nothing of HTTP.
 */
export class GroupService {
  readonly #store: MetricStore
  readonly #options: ResolvedOptions
  readonly #events: GroupServiceEvents
  readonly #expiry = new ExpiryQueue<ExpiringGroup>()
  readonly #inFlight: InFlightBytes
  readonly #budget: ParseBudget

  constructor (store: MetricStore, options: ResolvedOptions, events: GroupServiceEvents) {
    this.#store = store
    this.#options = options
    this.#events = events
    this.#inFlight = new InFlightBytes(options.limits.bodyBytesInFlight)
    this.#budget = parseBudget(options.limits)
  }

  /** Whether aggregate pushes are taken (the `aggregation` option is not `false`). */
  get aggregates (): boolean {
    return this.#options.gaugeRules !== undefined
  }

  /** Replaces the group (`replace`, a PUT) or its pushed families (a POST). */
  pusher (labels: Record<string, string>, replace: boolean): Apply {
    const store = this.#store
    const apply: Apply = (families, timeNs, template) => store.push({ labels, families, replace, timeNs, limits: this.#options.limits, template })
    if (store.repeat !== undefined) apply.repeat = async (text, timeNs) => await (store.repeat as NonNullable<MetricStore['repeat']>)({ labels, text, replace, timeNs })
    return apply
  }

  /** Adds to the group; throws a 404 `PushgatewayError` when aggregation is turned off. */
  aggregator (labels: Record<string, string>, writer: string | undefined): Apply {
    const gaugeRules = this.#options.gaugeRules
    if (gaugeRules === undefined) throw new PushgatewayError('ERR_NOT_FOUND', 'aggregation is turned off (the option aggregation is false)', 404)
    const gaugeRule = gaugeRules(groupingKeyOf(labels))
    return (families, timeNs) => this.#store.aggregate({ labels, families, timeNs, gaugeRule, limits: this.#options.limits, ...(writer === undefined ? {} : { writer }) })
  }

  /**
   * Reads, parses and checks a body, then `apply`s it. Throws a `PushgatewayError` for bad input;
   * nothing is stored then but, for an inconsistent push, the group's failure time.
   */
  async push (labels: Record<string, string>, body: RequestBody, format: BodyFormat, apply: Apply): Promise<void> {
    const options = this.#options
    // Asked first, so that an overrides function that throws leaves nothing stored.
    const ttlNs = options.ttlOf?.(groupingKeyOf(labels))
    const buf = await readBody(body, format.contentEncoding, options.bodyLimit, options.readTimeout, this.#inFlight)
    // The push happens now, once its body is in: a slow upload does not shorten its TTL.
    const timeNs = options.now()
    // The body still counts while it is parsed, a slice at a time, and applied.
    this.#inFlight.keep(buf.length)
    try {
      const text = apply.repeat === undefined ? undefined : repeatableText(buf, format.contentType)
      if (text === undefined || !await (apply.repeat as NonNullable<Apply['repeat']>)(text, timeNs)) await this.#pushInFull(labels, text ?? buf, format.contentType, timeNs, apply)
    } finally {
      this.#inFlight.release(buf.length)
    }
    // Without deadlines (no TTL, the common case) there is none to cancel, nor the group's id to make.
    if (ttlNs !== undefined) this.#expiry.schedule(groupId(labels), { labels, timeNs }, ttlNs, timeNs)
    else if (this.#expiry.size > 0) this.#expiry.cancel(groupId(labels))
    this.#events.changed()
  }

  // Parses, checks and applies a body; a text one (`text`, when the store may be handed its repeats) is given its template.
  async #pushInFull (labels: Record<string, string>, body: Buffer | string, contentType: string | undefined, timeNs: bigint, apply: Apply): Promise<void> {
    const options = this.#options
    const record = typeof body === 'string' ? new ValueRecord() : undefined
    let families: MetricFamily[]
    try {
      families = await parseMetricsSliced(body, contentType, this.#budget, options.nameValidation, nextTurn, record)
    } catch (err) {
      // A protobuf metric that contradicts its family's type fails like an inconsistent push.
      if (err instanceof InconsistentPushError) await this.#failed(labels, timeNs, false)
      throw err
    }
    checkStorable(families, options.limits, options.nameValidation)
    checkPushLimits(families, labels, options.limits)
    const prepared = await prepareFamilies(families, labels)
    try {
      await apply(prepared, timeNs, record === undefined ? undefined : textTemplate(body as string, record, prepared))
    } catch (err) {
      if (err instanceof InconsistentPushError) await this.#failed(labels, timeNs, true)
      throw err
    }
  }

  /** Deletes the group with exactly these labels; a missing group is not an error. */
  async delete (labels: Record<string, string>): Promise<void> {
    await this.#store.delete(labels)
    this.#expiry.cancel(groupId(labels))
    this.#events.changed()
  }

  /** Deletes every group. */
  async wipe (): Promise<void> {
    await this.#store.wipe()
    this.#expiry.clear()
    this.#events.changed()
  }

  /**
   * Deletes the groups whose TTL has passed. The built-in store deletes them before this returns,
   * so that a snapshot never holds an expired group; the promise settles when every store has.
   * A store shared by several gateways (with `expire`) deletes a group only if no gateway wrote
   * to it since, and only the gateway that deleted it counts it.
   */
  expire (): undefined | Promise<unknown> {
    const store = this.#store
    if (store.expire !== undefined) return this.#options.ttlOf === undefined ? undefined : this.#expireShared(store)
    if (this.#expiry.size === 0) return undefined
    const expired = this.#expiry.expired(this.#options.now())
    if (expired.length === 0) return undefined
    this.#expired(expired.length)
    return Promise.all(expired.map(({ labels }) => store.delete(labels)))
  }

  // First learns what the other gateways pushed (their groups' deadlines), then expires what is due.
  async #expireShared (store: MetricStore): Promise<void> {
    await store.refresh?.()
    let count = 0
    for (const { labels, timeNs } of this.#expiry.expired(this.#options.now())) {
      if (await (store.expire as NonNullable<MetricStore['expire']>)(labels, timeNs)) count++
    }
    if (count > 0) this.#expired(count)
  }

  #expired (count: number): void {
    this.#events.expired(count)
    this.#events.changed()
  }

  // Makes a group expire its TTL after `timeNs`, or never.
  #schedule (labels: Readonly<Record<string, string>>, timeNs: bigint): void {
    const ttlNs = this.#options.ttlOf?.(groupingKeyOf(labels))
    if (ttlNs === undefined) this.#expiry.cancel(groupId(labels))
    else this.#expiry.schedule(groupId(labels), { labels, timeNs }, ttlNs, timeNs)
  }

  /** Keeps the expiry deadlines of groups that another gateway sharing the store changed. */
  observe (change: AppliedChange): void {
    if (this.#options.ttlOf === undefined) return
    if (change.kind === 'wipe') {
      this.#expiry.clear()
    } else if (change.kind === 'delete') {
      this.#expiry.cancel(groupId(change.labels))
    } else if (change.kind === 'push' || !this.#expiry.has(groupId(change.labels))) {
      this.#schedule(change.labels, change.timeNs)
    }
  }

  /**
   * Adds saved groups to the built-in store, with their expiry deadlines from their saved push
   * times; answers the messages of the groups it refused (inconsistent with those before them).
   */
  restore (store: MemoryStore, views: readonly GroupView[]): string[] {
    const refused: string[] = []
    for (const view of views) {
      try {
        store.restore(view)
      } catch (err) {
        // Only an inconsistency is possible here: the snapshot decoded, so the group is well formed.
        const message = (err as Error).message
        refused.push(message)
        this.#options.logger.error({ group: JSON.stringify(view.labels), err: message }, 'could not restore a group from the persistence file')
      }
    }
    // Oldest first: the expiry queue keeps each TTL's groups in push order.
    const byTime = views.map(view => ({ labels: view.labels, timeNs: view.pushTimeNs > 0n ? view.pushTimeNs : view.failureTimeNs }))
    byTime.sort((a, b) => Number(a.timeNs - b.timeNs))
    for (const { labels, timeNs } of byTime) {
      this.#schedule(labels, timeNs)
    }
    return refused
  }

  async #failed (labels: Record<string, string>, timeNs: bigint, recorded: boolean): Promise<void> {
    if (!recorded) await this.#store.recordFailure(labels, timeNs, this.#options.limits)
    const id = groupId(labels)
    // A group that only ever failed expires like one pushed then.
    if (!this.#expiry.has(id)) this.#schedule(labels, timeNs)
    this.#events.changed()
  }
}

// The body as text when a store could take it as a repeat: a short body in the text format, valid UTF-8.
function repeatableText (body: Buffer, contentType: string | undefined): string | undefined {
  return body.length <= TEMPLATE_MAX_LENGTH && pushFormat(contentType) === 'text' && isUtf8(body) ? body.toString('utf8') : undefined
}

/** The grouping key of a group's labels. */
export function groupingKeyOf (labels: Readonly<Record<string, string>>): Required<GroupingKey> {
  const { job, ...others } = labels
  return { job: job as string, labels: others }
}

/**
 * The labels of a grouping key given to the core API, `job` included, label names checked under
 * `validation` (default `'legacy'`); throws an `InvalidGroupingKeyError` for a bad one.
 */
export function groupingLabels (key: GroupingKey, validation: NameValidation = 'legacy'): Record<string, string> {
  if (key === null || typeof key !== 'object') throw new InvalidGroupingKeyError('grouping key must be an object with a job')
  if (typeof key.job !== 'string' || key.job === '') throw new InvalidGroupingKeyError('job name is required')
  const labels: Record<string, string> = {}
  for (const [name, value] of Object.entries(key.labels ?? {})) {
    if (!isValidLabelName(name, validation) || name.startsWith('__') || name === 'job') throw new InvalidGroupingKeyError(`improper label name ${JSON.stringify(name)}`)
    if (typeof value !== 'string') throw new InvalidGroupingKeyError(`label ${name} must have a string value`)
    labels[name] = value
  }
  labels['job'] = key.job
  return labels
}
