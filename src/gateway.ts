import type { MetricFamily } from './exposition/types.js'
import type { MetricStore, RenderFormat } from './store/store.js'
import type { GroupingKey } from './groups/grouping-key.js'
import type { RequestBody } from './http/body.js'
import type { EscapingScheme } from './exposition/names.js'
import { InvalidOptionError } from './errors.js'
import { parseMetrics } from './exposition/parse.js'
import { MemoryStore } from './store/memory/memory-store.js'
import { SnapshotFile } from './store/memory/persistence.js'
import { GatewayMetrics, registeredType } from './http/own-metrics.js'
import type { PromRegistry } from './prom-client.js'
import { CORE_OPTION_NAMES, resolveOptions, type PushgatewayOptions, type ResolvedOptions } from './options.js'
import { refuseUnknownOptions } from './known-options.js'
import { GroupService, groupingLabels } from './groups/service.js'
import { HttpSurface, type GatewayRequest, type GatewayResponse } from './http/handler.js'

export type { PersistenceOptions, PushgatewayOptions } from './options.js'
export { errorHandlingOf } from './options.js'
export { chunksLength, errorAnswer, isPushPath, withHeaders, writeResponse } from './http/handler.js'
export type { GatewayRequest, GatewayResponse } from './http/handler.js'

const OPENMETRICS_REGISTRY_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/** How a push body is to be read and applied. */
export interface PushOptions {
  /** The body's Content-Type; picks the parser. Default: text format 0.0.4. */
  contentType?: string | undefined
  /** The body's Content-Encoding (`gzip` or none). Default: none. */
  contentEncoding?: string | undefined
  /** `true` replaces the whole group (PUT), `false` only the pushed families (POST). Default `true`. */
  replace?: boolean | undefined
}

/** How an aggregate push body is to be read and added. */
export interface AggregateOptions {
  /** The body's Content-Type; picks the parser. Default: text format 0.0.4. */
  contentType?: string | undefined
  /** The body's Content-Encoding (`gzip` or none). Default: none. */
  contentEncoding?: string | undefined
  /** The writer whose cumulative values the body holds: only their increase since its last push is added. Default: none, the values are increments. */
  writer?: string | undefined
}

/** What `metrics()` renders. */
export interface MetricsOptions {
  /** The exposition format. Default `'text'`. */
  format?: RenderFormat | undefined
  /** Include the registry's metrics too. Default `false`. */
  registry?: boolean | undefined
  /** How names that are not legacy-valid are written (they exist only with `utf8Names`). Default `'underscores'`, what a scraper that names no `escaping=` gets. */
  escaping?: EscapingScheme | undefined
}

/**
 * The gateway an adapter serves: `options.gateway` when given (then no other core option may be),
 * otherwise a new `Pushgateway` built from the core options. `own` names the adapter's own options;
 * any other key is refused.
 */
export function gatewayFromOptions (options: PushgatewayOptions & { gateway?: unknown }, own: readonly string[]): Pushgateway {
  refuseUnknownOptions(options, [...CORE_OPTION_NAMES, 'gateway', ...own])
  const gateway = options.gateway
  if (gateway === undefined) {
    const core: Record<string, unknown> = {}
    for (const name of CORE_OPTION_NAMES) if (options[name] !== undefined) core[name] = options[name]
    return new Pushgateway(core as PushgatewayOptions)
  }
  if (!(gateway instanceof Pushgateway)) throw new InvalidOptionError('gateway', 'a Pushgateway', gateway)
  const conflict = CORE_OPTION_NAMES.find(name => options[name] !== undefined)
  if (conflict !== undefined) {
    throw new InvalidOptionError(conflict, 'left out when "gateway" is given (configure that Pushgateway instead)', options[conflict])
  }
  return gateway
}

/**
 * A Prometheus Pushgateway: the reference's push, delete and scrape semantics and its HTTP
 * surface. It puts together the resolved options, the store, the group service (semantics), the
 * HTTP surface and the gateway's own metrics.
 */
export class Pushgateway {
  /** The store holding the groups. */
  readonly store: MetricStore
  /** The registry holding the gateway's own metrics. */
  readonly registry: PromRegistry
  readonly #options: ResolvedOptions
  readonly #metrics: GatewayMetrics
  readonly #service: GroupService
  readonly #surface: HttpSurface
  readonly #snapshots: SnapshotFile | undefined
  readonly #registryMetrics: () => Promise<string>

  constructor (options: PushgatewayOptions = {}) {
    const resolved = resolveOptions(options)
    this.#options = resolved
    this.registry = resolved.registry
    const memoryStore = resolved.store === undefined ? new MemoryStore({ reserved: name => this.#reservedFamily(name), nameValidation: resolved.nameValidation }) : undefined
    this.store = memoryStore ?? resolved.store as MetricStore
    this.#metrics = new GatewayMetrics(this.registry, this.store, () => this.#service.expire())
    this.#service = new GroupService(this.store, resolved, {
      changed: () => { this.#snapshots?.changed() },
      expired: count => {
        this.#metrics.groupsExpired.inc(count)
        resolved.logger.debug({ count }, 'groups expired')
      }
    })
    this.store.attach?.({
      nameValidation: resolved.nameValidation,
      reserved: name => this.#reservedFamily(name),
      logger: resolved.logger,
      applied: change => { this.#service.observe(change) }
    })
    this.#surface = new HttpSurface({
      options: resolved,
      service: this.#service,
      store: this.store,
      metrics: this.#metrics,
      registryFamilies: async () => this.#registryFamilies(),
      startTimeNs: resolved.now()
    })
    if (resolved.persistence !== undefined && memoryStore !== undefined) {
      const { file, interval } = resolved.persistence
      const snapshots = new SnapshotFile({
        file,
        intervalMs: interval,
        log: resolved.logger,
        onWritten: this.#metrics.persistence(this.registry, () => Number(resolved.now()) / 1e9),
        groups: () => {
          // Expired groups never reach a snapshot: the built-in store deletes them before expire() returns.
          this.#service.expire()
          return memoryStore.snapshot()
        }
      })
      this.#snapshots = snapshots
      const views = snapshots.load()
      const refused = this.#service.restore(memoryStore, views)
      if (refused.length > 0) snapshots.setAside('inconsistent', `${refused.length} of ${views.length} groups refused, the first: ${refused[0] as string}`)
      if (views.length > 0) resolved.logger.info({ file, groups: views.length - refused.length }, 'restored groups from the persistence file')
    }
    // Last, once every option is known to be valid: this changes the caller's registry.
    this.#registryMetrics = this.registry.metrics.bind(this.registry)
    if (resolved.mergeIntoRegistry) {
      const registry = this.registry
      registry.metrics = async () => this.metrics({ registry: true, format: (registry.contentType as string) === OPENMETRICS_REGISTRY_TYPE ? 'openmetrics' : 'text' })
    }
  }

  /**
   * Pushes a body to a group: parses it (text 0.0.4, OpenMetrics or delimited protobuf by
   * `contentType`), checks it against the limits and what is stored, and applies it. Throws a
   * `PushgatewayError` with a 4xx status for bad input; nothing is stored then but, for an
   * inconsistent push, the group's failure time. The `authorize` hook is not asked.
   */
  async push (key: GroupingKey, body: RequestBody, options: PushOptions = {}): Promise<void> {
    const labels = groupingLabels(key, this.#options.nameValidation)
    await this.#service.expire()
    await this.#service.push(labels, body, options, this.#service.pusher(labels, options.replace ?? true))
  }

  /**
   * Adds a body to a group instead of replacing it (the `/aggregate` endpoint): counters, untyped,
   * histograms and summaries' sums and counts are summed, gauges combined by their rule. Throws
   * an `AggregationError` (400) when the values cannot be added, a `PushgatewayError` (404) when
   * aggregation is turned off, and otherwise as `push()`. The `authorize` hook is not asked.
   */
  async aggregate (key: GroupingKey, body: RequestBody, options: AggregateOptions = {}): Promise<void> {
    const labels = groupingLabels(key, this.#options.nameValidation)
    const apply = this.#service.aggregator(labels, options.writer)
    await this.#service.expire()
    await this.#service.push(labels, body, options, apply)
  }

  /** Deletes the group with exactly this grouping key; deleting a missing group is not an error. */
  async delete (key: GroupingKey): Promise<void> {
    const labels = groupingLabels(key, this.#options.nameValidation)
    await this.#service.expire()
    await this.#service.delete(labels)
  }

  /** Deletes every group. */
  async wipe (): Promise<void> {
    await this.#service.wipe()
  }

  /** The exposition of everything pushed, plus the registry's metrics if asked. */
  async metrics (options: MetricsOptions = {}): Promise<string> {
    await this.#service.expire()
    const format = options.format ?? 'text'
    const extra = options.registry === true ? await this.#registryFamilies() : []
    const body = await this.store.render(format, extra, this.#options.nameValidation === 'utf8' ? options.escaping ?? 'underscores' : 'allow-utf-8')
    return format === 'openmetrics' ? body + '# EOF\n' : body
  }

  /**
   * Stops persisting after writing a last snapshot (always, as the reference does on shutdown);
   * resolves when it is on disk, rejects when it could not be written. The gateway keeps serving
   * from memory afterwards.
   */
  async close (): Promise<void> {
    this.#metrics.detach()
    await this.#snapshots?.close()
  }

  /** Whether the aggregation endpoint `/aggregate/job/…` is served (the `aggregation` option is not `false`). */
  get aggregates (): boolean {
    return this.#service.aggregates
  }

  /** Path of the exposition relative to the mount point, or `false` when it is not served. */
  get telemetryPath (): string | false {
    return this.#options.telemetryPath
  }

  /**
   * Whether a URL (relative to the mount point) belongs to the Pushgateway surface: the push
   * paths, the exposition, `/api/v1/…`, `/-/healthy`, `/-/ready`, `/-/quit`, and the status page
   * (`/`, `/status`, `/static/…`) when it is served where the gateway is mounted: `mount` as in
   * `GatewayRequest.mount` (default: unknown, taken as an app's root). Adapters pass other requests
   * on to the application.
   */
  owns (url: string, mount?: string): boolean {
    return this.#surface.owns(url, mount)
  }

  /** Handles one HTTP request of the Pushgateway surface, relative to the mount point; other paths get a 404. */
  async handle (request: GatewayRequest): Promise<GatewayResponse> {
    return this.#surface.handle(request)
  }

  #reservedFamily (name: string): { type: MetricFamily['type'] } | undefined {
    const type = registeredType(this.registry, name)
    return type === undefined ? undefined : { type }
  }

  async #registryFamilies (): Promise<MetricFamily[]> {
    return this.#metrics.ownView(parseMetrics(await this.#registryMetrics(), this.registry.contentType))
  }
}
