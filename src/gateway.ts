import { gzipSync } from 'node:zlib'
import { register as globalRegistry, type PromRegistry } from './prom-client.js'
import type { MetricFamily } from './exposition/types.js'
import type { MetricStore, RenderFormat } from './store/store.js'
import { AuthorizationError, InconsistentPushError, InvalidGroupingKeyError, InvalidOptionError, LimitExceededError, PushgatewayError, ReadTimeoutError } from './errors.js'
import { DEFAULT_BODY_LIMIT, DEFAULT_READ_TIMEOUT, InFlightBytes, readBody, type RequestBody } from './body.js'
import { parseMetrics } from './exposition/parse.js'
import { PROTOBUF_CONTENT_TYPE, encodeDelimited } from './exposition/protobuf.js'
import { OPENMETRICS_CONTENT_TYPE } from './exposition/write-openmetrics.js'
import { TEXT_CONTENT_TYPE } from './exposition/write-text.js'
import { acceptsGzip, negotiateFormat } from './exposition/negotiate.js'
import { compareUtf8 } from './exposition/metric-order.js'
import { parseGroupingPath, type GroupingKey } from './grouping-key.js'
import { MemoryStore, groupId } from './store/memory-store.js'
import { ExpiryQueue, resolveExpiry, type ExpiryOptions, type TtlOf } from './store/expiry.js'
import { checkPushLimits, resolveLimits, type Limits, type ResolvedLimits } from './store/limits.js'
import { checkStorable } from './store/validate.js'
import { SnapshotFile, snapshotPathProblem } from './store/persistence.js'
import { WRITER_HEADER, WRITER_LABEL, resolveAggregation, writerOf, type AggregationOptions, type GaugeRulesOf } from './aggregation.js'
import { authorizeRequest, type Action, type Authorize } from './authorization.js'
import { createLogger, type Logger } from './log.js'
import { GatewayMetrics, registeredType } from './own-metrics.js'
import { API_HEADERS, metricsApiBody, statusApiBody } from './api.js'
import { VERSION } from './version.js'
import { formatGoDuration } from './flags.js'
import { isLegacyLabelName } from './names.js'
import { refuseUnknownOptions } from './options.js'

const PUSH_ALLOW = 'DELETE, OPTIONS, POST, PUT'
const GET_ALLOW = 'GET, OPTIONS'
const AGGREGATE_PREFIX = '/aggregate'
const MANAGEMENT_PATHS = new Set(['/-/healthy', '/-/ready', '/-/quit'])
const OPENMETRICS_REGISTRY_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/** Options of a `Pushgateway`. Every option is validated once, in the constructor; an unknown one is refused. */
export interface PushgatewayOptions {
  /** The prom-client registry that receives the gateway's own metrics. Default: prom-client's global registry. */
  registry?: PromRegistry | undefined
  /** Where groups are kept. Default: a new in-memory store. */
  store?: MetricStore | undefined
  /** Answer pushes once checked (200), as the reference does by default; `false` answers 202 at once and drops an inconsistent push instead of storing it. Default `true`. */
  consistencyCheck?: boolean | undefined
  /** Largest accepted request body in bytes, after decompression (a larger one is answered 413). Default 16 MiB. */
  bodyLimit?: number | undefined
  /** Limits on what a push may store (series, groups, labels); `Infinity` turns one off. Default: `DEFAULT_LIMITS`. */
  limits?: Limits | undefined
  /** Milliseconds allowed to receive a request body; a slower upload is answered 408 and stores nothing. `Infinity` for none. Default 60,000. */
  readTimeout?: number | undefined
  /** Expiry of groups after their last successful push, by default and per job. Default: groups are kept until deleted. */
  expiry?: ExpiryOptions | undefined
  /** A snapshot file that keeps the groups across restarts (built-in store only). Default: none, groups live in memory only. */
  persistence?: PersistenceOptions | undefined
  /** Decides whether a request may push, delete, wipe, read or quit; refusals are answered 401 or 403. Default: every request is allowed. */
  authorize?: Authorize | undefined
  /** Where the gateway logs persistence and expiry events. Default: logfmt lines on stderr at info level and above. */
  logger?: Logger | undefined
  /** The aggregation endpoint `/aggregate/job/…` (pushes added to the group), with its gauge rules, or `false` to leave it out. Default: served, gauges by `last`. */
  aggregation?: AggregationOptions | false | undefined
  /** Serve `PUT /api/v1/admin/wipe` (the reference's `--web.enable-admin-api`). Default `false`. */
  adminApi?: boolean | undefined
  /** Called by `PUT` or `POST /-/quit`; when absent, that endpoint answers 403 (the reference's `--web.enable-lifecycle`). Default: none. */
  onQuit?: (() => void) | undefined
  /** Path of the exposition, relative to the mount point, or `false` for none. Default `'/metrics'`. */
  telemetryPath?: string | false | undefined
  /** Serve OpenMetrics to scrapers that ask for it (the reference never does). Default `true`. */
  openMetrics?: boolean | undefined
  /** Include the registry's metrics in the gateway's own exposition, as the reference includes its own. Default `true`. */
  exposeRegistry?: boolean | undefined
  /** Merge the pushed metrics into the registry's own `metrics()`, so the service's `/metrics` (plain prom-client, express-prom-bundle, fastify-metrics) shows them: one scrape target. Default `false`. */
  mergeIntoRegistry?: boolean | undefined
  /** The flags reported by `/api/v1/status`, merged over the ones derived from these options. Default: none. */
  flags?: Readonly<Record<string, string>> | undefined
  /** The clock, in nanoseconds since the epoch. Default: the system clock. */
  now?: (() => bigint) | undefined
}

/** Where the groups are saved, and how often. */
export interface PersistenceOptions {
  /** Path of the snapshot file; its directory must exist. Required. */
  file: string
  /** Least time between two writes after a change, in milliseconds; a final write always happens on `close()`. Default 300,000 (5 minutes, as the reference). */
  interval?: number | undefined
}

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
}

/** A request for `handle()`, framework-free. */
export interface GatewayRequest {
  /** The HTTP method. */
  method: string
  /** The path relative to the mount point, still percent-encoded, optionally with a query string. */
  url: string
  /** The request headers, names in lower case. */
  headers: Readonly<Record<string, string | string[] | undefined>>
  /** The body: the request stream, or a body already read by a framework. */
  body?: RequestBody
  /** The framework's own request object, passed on to the `authorize` hook. */
  native?: unknown
}

/** The answer of `handle()`. */
export interface GatewayResponse {
  /** The HTTP status code. */
  status: number
  /** The response headers, names in lower case. */
  headers: Record<string, string>
  /** The response body. */
  body: string | Buffer
  /** For an answer to a bad request, the error it reports; adapters may hand it to the framework instead. */
  error?: PushgatewayError
}

// Every core option, so that `gateway` plus one of them is refused; a new core option fails to compile here.
const CORE_OPTIONS: Readonly<Record<keyof PushgatewayOptions, true>> = {
  registry: true,
  store: true,
  consistencyCheck: true,
  bodyLimit: true,
  limits: true,
  readTimeout: true,
  expiry: true,
  persistence: true,
  authorize: true,
  logger: true,
  aggregation: true,
  adminApi: true,
  onQuit: true,
  telemetryPath: true,
  openMetrics: true,
  exposeRegistry: true,
  mergeIntoRegistry: true,
  flags: true,
  now: true
}
const CORE_OPTION_NAMES = Object.keys(CORE_OPTIONS) as Array<keyof PushgatewayOptions>

/** How an adapter answers bad requests: itself (`'respond'`, the default) or through the framework's error handling (`'next'`). */
export function errorHandlingOf (options: { errorHandling?: unknown }): 'respond' | 'next' {
  const { errorHandling = 'respond' } = options
  if (errorHandling === 'respond' || errorHandling === 'next') return errorHandling
  throw new InvalidOptionError('errorHandling', '"respond" or "next"', errorHandling)
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

/** A Prometheus Pushgateway: push, delete and scrape semantics of the reference, and its HTTP surface. */
export class Pushgateway {
  /** The store holding the groups. */
  readonly store: MetricStore
  /** The registry holding the gateway's own metrics. */
  readonly registry: PromRegistry
  readonly #metrics: GatewayMetrics
  readonly #check: boolean
  readonly #bodyLimit: number
  readonly #limits: ResolvedLimits
  readonly #inFlight: InFlightBytes
  readonly #readTimeout: number
  readonly #ttlOf: TtlOf | undefined
  readonly #expiry = new ExpiryQueue<Readonly<Record<string, string>>>()
  readonly #authorize: Authorize | undefined
  readonly #gaugeRules: GaugeRulesOf | undefined
  readonly #log: Logger
  readonly #snapshots: SnapshotFile | undefined
  readonly #adminApi: boolean
  readonly #onQuit: (() => void) | undefined
  readonly #telemetryPath: string | false
  readonly #openMetrics: boolean
  readonly #exposeRegistry: boolean
  readonly #registryMetrics: () => Promise<string>
  readonly #flags: Readonly<Record<string, string>>
  readonly #now: () => bigint
  readonly #startTimeNs: bigint

  constructor (options: PushgatewayOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'an object', options)
    refuseUnknownOptions(options, CORE_OPTION_NAMES)
    this.registry = options.registry ?? globalRegistry
    if (typeof this.registry.getSingleMetric !== 'function') throw new InvalidOptionError('registry', 'a prom-client Registry', options.registry)
    this.#now = optionalFunction(options, 'now') ?? systemNowNs
    if (options.store !== undefined && options.persistence !== undefined) {
      throw new InvalidOptionError('persistence', 'left out when a custom store is given (that store keeps its own data)', options.persistence)
    }
    const memoryStore = options.store === undefined ? new MemoryStore({ reserved: name => this.#reservedFamily(name) }) : undefined
    this.store = memoryStore ?? options.store as MetricStore
    if (typeof this.store.push !== 'function') throw new InvalidOptionError('store', 'a MetricStore', options.store)
    this.#check = optionalBoolean(options, 'consistencyCheck') ?? true
    this.#bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
    if (!Number.isSafeInteger(this.#bodyLimit) || this.#bodyLimit <= 0) throw new InvalidOptionError('bodyLimit', 'a positive integer number of bytes', options.bodyLimit)
    this.#limits = resolveLimits(options.limits)
    this.#inFlight = new InFlightBytes(this.#limits.bodyBytesInFlight)
    this.#readTimeout = options.readTimeout ?? DEFAULT_READ_TIMEOUT
    if (this.#readTimeout !== Infinity && !(Number.isSafeInteger(this.#readTimeout) && this.#readTimeout > 0)) {
      throw new InvalidOptionError('readTimeout', 'a positive integer number of milliseconds, or Infinity', options.readTimeout)
    }
    this.#ttlOf = resolveExpiry(options.expiry)
    this.#authorize = optionalFunction(options, 'authorize')
    this.#gaugeRules = resolveAggregation(options.aggregation)
    this.#log = options.logger ?? createLogger()
    if (typeof this.#log.error !== 'function') throw new InvalidOptionError('logger', 'a logger with debug, info, warn and error methods', options.logger)
    const persistence = resolvePersistence(options.persistence)
    this.#adminApi = optionalBoolean(options, 'adminApi') ?? false
    this.#onQuit = optionalFunction(options, 'onQuit')
    this.#telemetryPath = options.telemetryPath ?? '/metrics'
    if (this.#telemetryPath !== false && (typeof this.#telemetryPath !== 'string' || !this.#telemetryPath.startsWith('/'))) {
      throw new InvalidOptionError('telemetryPath', 'a path starting with "/" or false', options.telemetryPath)
    }
    this.#openMetrics = optionalBoolean(options, 'openMetrics') ?? true
    this.#exposeRegistry = optionalBoolean(options, 'exposeRegistry') ?? true
    const mergeIntoRegistry = optionalBoolean(options, 'mergeIntoRegistry') ?? false
    if (options.flags !== undefined && (options.flags === null || typeof options.flags !== 'object')) throw new InvalidOptionError('flags', 'an object of strings', options.flags)
    this.#flags = {
      'persistence.file': persistence?.file ?? '',
      'persistence.interval': formatGoDuration(BigInt(persistence?.interval ?? 300_000) * 1_000_000n),
      'push.disable-consistency-check': String(!this.#check),
      'web.enable-admin-api': String(this.#adminApi),
      'web.enable-lifecycle': String(this.#onQuit !== undefined),
      'web.telemetry-path': this.#telemetryPath === false ? '' : this.#telemetryPath,
      ...options.flags
    }
    this.#startTimeNs = this.#now()
    this.#metrics = new GatewayMetrics(this.registry, this.store, () => this.#expire())
    if (persistence !== undefined && memoryStore !== undefined) {
      this.#snapshots = new SnapshotFile({
        file: persistence.file,
        intervalMs: persistence.interval,
        log: this.#log,
        onWritten: this.#metrics.persistence(this.registry, () => Number(this.#now()) / 1e9),
        groups: () => {
          // Expired groups never reach a snapshot; the built-in store deletes synchronously.
          this.#expire()
          return memoryStore.groups()
        }
      })
      this.#restore(memoryStore, this.#snapshots, persistence.file)
    }
    // Last, once every option is known to be valid: this changes the caller's registry.
    this.#registryMetrics = this.registry.metrics.bind(this.registry)
    if (mergeIntoRegistry) {
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
    const labels = groupingLabels(key)
    await this.#expire()
    await this.#push(labels, body, options, this.#pusher(labels, options.replace ?? true))
  }

  /**
   * Adds a body to a group instead of replacing it (the `/aggregate` endpoint): counters, untyped,
   * histograms and summaries' sums and counts are summed, gauges combined by their rule. Throws
   * an `AggregationError` (400) when the values cannot be added, a `PushgatewayError` (404) when
   * aggregation is turned off, and otherwise as `push()`. The `authorize` hook is not asked.
   */
  async aggregate (key: GroupingKey, body: RequestBody, options: AggregateOptions = {}): Promise<void> {
    const gaugeRules = this.#aggregation()
    const labels = groupingLabels(key)
    await this.#expire()
    await this.#push(labels, body, options, this.#aggregator(gaugeRules, labels, options.writer))
  }

  /** Deletes the group with exactly this grouping key; deleting a missing group is not an error. */
  async delete (key: GroupingKey): Promise<void> {
    const labels = groupingLabels(key)
    await this.#expire()
    await this.#delete(labels)
  }

  /** Deletes every group. */
  async wipe (): Promise<void> {
    await this.store.wipe()
    this.#expiry.clear()
    this.#snapshots?.changed()
  }

  /** The exposition of everything pushed, plus the registry's metrics if asked. */
  async metrics (options: MetricsOptions = {}): Promise<string> {
    await this.#expire()
    const format = options.format ?? 'text'
    const extra = options.registry === true ? await this.#registryFamilies() : []
    const body = await this.store.render(format, extra)
    return format === 'openmetrics' ? body + '# EOF\n' : body
  }

  /**
   * Stops persisting after writing a last snapshot (always, as the reference does on shutdown);
   * resolves when it is on disk. The gateway keeps serving from memory afterwards.
   */
  async close (): Promise<void> {
    this.#metrics.detach()
    await this.#snapshots?.close()
  }

  /** Whether the aggregation endpoint `/aggregate/job/…` is served (the `aggregation` option is not `false`). */
  get aggregates (): boolean {
    return this.#gaugeRules !== undefined
  }

  /** Path of the exposition relative to the mount point, or `false` when it is not served. */
  get telemetryPath (): string | false {
    return this.#telemetryPath
  }

  /**
   * Whether a URL (relative to the mount point) belongs to the Pushgateway surface: the push
   * paths, the exposition, `/api/v1/…` and `/-/healthy`, `/-/ready`, `/-/quit`. Adapters pass
   * other requests on to the application.
   */
  owns (url: string): boolean {
    const path = pathOf(url)
    return isPushPath(path, this.aggregates) || path === this.#telemetryPath || path.startsWith('/api/v1/') || MANAGEMENT_PATHS.has(path)
  }

  /** Handles one HTTP request of the Pushgateway surface, relative to the mount point; other paths get a 404. */
  async handle (request: GatewayRequest): Promise<GatewayResponse> {
    await this.#expire()
    const path = pathOf(request.url)
    const method = request.method.toUpperCase()
    if (isPushPath(path, this.aggregates)) return this.#handlePushPath(method, path, request)
    if (path === this.#telemetryPath) {
      if (method === 'GET') return this.#scrape(request)
      return methodNotAllowed(method, GET_ALLOW)
    }
    if (path.startsWith('/api/v1/')) return this.#handleApi(method, path, request)
    if (path === '/-/healthy' || path === '/-/ready') {
      if (method !== 'GET') return methodNotAllowed(method, GET_ALLOW)
      this.#count(200, path.slice(3), method)
      return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'OK' }
    }
    if (path === '/-/quit') return this.#quit(method, request)
    return notFound()
  }

  #aggregation (): GaugeRulesOf {
    if (this.#gaugeRules === undefined) throw new PushgatewayError('ERR_NOT_FOUND', 'aggregation is turned off (the option aggregation is false)', 404)
    return this.#gaugeRules
  }

  #pusher (labels: Record<string, string>, replace: boolean): Apply {
    return (families, timeNs) => this.store.push({ labels, families, replace, timeNs, limits: this.#limits })
  }

  #aggregator (gaugeRules: GaugeRulesOf, labels: Record<string, string>, writer: string | undefined): Apply {
    const gaugeRule = gaugeRules(groupingKeyOf(labels))
    return (families, timeNs) => this.store.aggregate({ labels, families, timeNs, gaugeRule, limits: this.#limits, ...(writer === undefined ? {} : { writer }) })
  }

  // `apply` hands the parsed families to the store (push or aggregate).
  async #push (labels: Record<string, string>, body: RequestBody, options: PushOptions, apply: Apply): Promise<void> {
    // Asked first, so that an overrides function that throws leaves nothing stored.
    const ttlNs = this.#ttlOf?.(groupingKeyOf(labels))
    const buf = await readBody(body, options.contentEncoding, this.#bodyLimit, this.#readTimeout, this.#inFlight)
    // The push happens now, once its body is in: a slow upload does not shorten its TTL.
    const timeNs = this.#now()
    let families: MetricFamily[]
    try {
      families = parseMetrics(buf, options.contentType)
    } catch (err) {
      // A protobuf metric that contradicts its family's type fails like an inconsistent push.
      if (err instanceof InconsistentPushError) await this.#failed(labels, timeNs, false)
      throw err
    }
    checkStorable(families, this.#limits)
    checkPushLimits(families, labels, this.#limits)
    try {
      await apply(families, timeNs)
    } catch (err) {
      if (err instanceof InconsistentPushError) await this.#failed(labels, timeNs, true)
      throw err
    }
    const id = groupId(labels)
    if (ttlNs === undefined) this.#expiry.cancel(id)
    else this.#expiry.schedule(id, labels, ttlNs, timeNs)
    this.#snapshots?.changed()
  }

  async #failed (labels: Record<string, string>, timeNs: bigint, recorded: boolean): Promise<void> {
    if (!recorded) await this.store.recordFailure(labels, timeNs, this.#limits)
    const id = groupId(labels)
    // A group that only ever failed expires like one pushed then.
    const ttlNs = this.#expiry.has(id) ? undefined : this.#ttlOf?.(groupingKeyOf(labels))
    if (ttlNs !== undefined) this.#expiry.schedule(id, labels, ttlNs, timeNs)
    this.#snapshots?.changed()
  }

  async #delete (labels: Record<string, string>): Promise<void> {
    await this.store.delete(labels)
    this.#expiry.cancel(groupId(labels))
    this.#snapshots?.changed()
  }

  // Synchronous unless the store deletes asynchronously, so that a snapshot never holds an expired group.
  #expire (): undefined | Promise<unknown> {
    if (this.#expiry.size === 0) return undefined
    const expired = this.#expiry.expired(this.#now())
    if (expired.length === 0) return undefined
    this.#metrics.groupsExpired.inc(expired.length)
    this.#log.debug({ count: expired.length }, 'groups expired')
    this.#snapshots?.changed()
    const deleting = expired.map(labels => this.store.delete(labels)).filter(result => result instanceof Promise)
    return deleting.length === 0 ? undefined : Promise.all(deleting)
  }

  #restore (store: MemoryStore, snapshots: SnapshotFile, file: string): void {
    const views = snapshots.load()
    const refused: string[] = []
    for (const view of views) {
      try {
        store.restore(view)
      } catch (err) {
        // Only an inconsistency is possible here: the snapshot decoded, so the group is well formed.
        const message = (err as Error).message
        refused.push(message)
        this.#log.error({ group: JSON.stringify(view.labels), err: message }, 'could not restore a group from the persistence file')
      }
    }
    if (refused.length > 0) snapshots.setAside('inconsistent', `${refused.length} of ${views.length} groups refused, the first: ${refused[0] as string}`)
    // Oldest first: the expiry queue keeps each TTL's groups in push order.
    const byTime = views.map(view => ({ labels: view.labels, timeNs: view.pushTimeNs > 0n ? view.pushTimeNs : view.failureTimeNs }))
    byTime.sort((a, b) => Number(a.timeNs - b.timeNs))
    for (const { labels, timeNs } of byTime) {
      const ttlNs = this.#ttlOf?.(groupingKeyOf(labels))
      if (ttlNs !== undefined) this.#expiry.schedule(groupId(labels), labels, ttlNs, timeNs)
    }
    if (views.length > 0) this.#log.info({ file, groups: views.length - refused.length }, 'restored groups from the persistence file')
  }

  async #allow (action: Action, request: GatewayRequest, key?: Required<GroupingKey>): Promise<void> {
    if (this.#authorize === undefined) return
    const seen = { method: request.method, url: request.url, headers: request.headers, ...(request.native === undefined ? {} : { native: request.native }) }
    await authorizeRequest(this.#authorize, { action, request: seen, ...(key === undefined ? {} : { key }) })
  }

  async #handlePushPath (method: string, path: string, request: GatewayRequest): Promise<GatewayResponse> {
    if (method === 'OPTIONS') return { status: 200, headers: { allow: PUSH_ALLOW }, body: '' }
    if (method !== 'PUT' && method !== 'POST' && method !== 'DELETE') return methodNotAllowed(method, PUSH_ALLOW)
    const started = process.hrtime.bigint()
    const aggregate = path.startsWith(AGGREGATE_PREFIX)
    const handler = method === 'DELETE' ? 'delete' : aggregate && method === 'POST' ? 'aggregate' : 'push'
    let response: GatewayResponse
    try {
      const parsed = aggregate ? parseGroupingPath(path.slice(AGGREGATE_PREFIX.length), [WRITER_LABEL]) : parseGroupingPath(path.slice('/metrics'.length))
      const { labels: others, writer } = aggregate ? writerOf(parsed.labels, header(request, WRITER_HEADER)) : { labels: parsed.labels, writer: undefined }
      const key = { job: parsed.job, labels: others }
      // Taken before the hook runs: what it does with the key cannot change the group.
      const labels = { ...others, job: key.job }
      await this.#allow(handler === 'delete' ? 'delete' : 'push', request, key)
      if (method === 'DELETE') {
        await this.#delete(labels)
        response = emptyResponse(202)
      } else {
        const options = pushOptionsOf(request)
        const apply = handler === 'aggregate'
          ? this.#aggregator(this.#aggregation(), labels, writer)
          : this.#pusher(labels, method === 'PUT')
        response = await this.#pushRequest(labels, request.body ?? Buffer.alloc(0), options, apply)
      }
    } catch (err) {
      response = errorResponse(err)
    }
    this.#count(response.status, handler, method)
    if (handler !== 'delete') {
      const m = method.toLowerCase()
      this.#metrics.pushDuration.observe({ method: m }, Number(process.hrtime.bigint() - started) / 1e9)
      this.#metrics.pushSize.observe({ method: m }, approximateRequestSize(request))
    }
    return response
  }

  async #pushRequest (labels: Record<string, string>, body: RequestBody, options: PushOptions, apply: Apply): Promise<GatewayResponse> {
    try {
      await this.#push(labels, body, options, apply)
    } catch (err) {
      // Without the check the reference answers 202 before it looks; an inconsistent push is dropped.
      if (!this.#check && err instanceof InconsistentPushError) return emptyResponse(202)
      throw err
    }
    return emptyResponse(this.#check ? 200 : 202)
  }

  async #scrape (request: GatewayRequest): Promise<GatewayResponse> {
    try {
      await this.#allow('read', request)
    } catch (err) {
      return errorResponse(err)
    }
    const format = negotiateFormat(header(request, 'accept'), { openMetrics: this.#openMetrics })
    const extra = this.#exposeRegistry ? await this.#registryFamilies() : []
    let body: string | Buffer
    let contentType: string
    if (format === 'protobuf') {
      body = encodeDelimited(mergeFamilies(await this.store.families(), extra))
      contentType = PROTOBUF_CONTENT_TYPE
    } else {
      body = await this.store.render(format, extra)
      if (format === 'openmetrics') body += '# EOF\n'
      contentType = format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE
    }
    const headers: Record<string, string> = { 'content-type': contentType }
    if (acceptsGzip(header(request, 'accept-encoding'))) {
      body = gzipSync(body)
      headers['content-encoding'] = 'gzip'
    }
    return { status: 200, headers, body }
  }

  async #handleApi (method: string, path: string, request: GatewayRequest): Promise<GatewayResponse> {
    if (method === 'OPTIONS') {
      this.#count(200, 'api/v1/options', method)
      return { status: 200, headers: { ...API_HEADERS }, body: '' }
    }
    if (path === '/api/v1/status' || path === '/api/v1/metrics') {
      if (method !== 'GET') return methodNotAllowed(method, GET_ALLOW)
      const refusal = await this.#refusal('read', request, path.slice(1), method)
      if (refusal !== undefined) return { ...refusal, headers: { ...API_HEADERS, ...refusal.headers } }
      const body = path === '/api/v1/status'
        ? statusApiBody({ version: VERSION, flags: this.#flags, startTimeNs: this.#startTimeNs })
        : metricsApiBody(await this.store.groups())
      this.#count(200, path.slice(1), method)
      return { status: 200, headers: { ...API_HEADERS, 'content-type': 'application/json' }, body }
    }
    if (path === '/api/v1/admin/wipe' && this.#adminApi) {
      if (method !== 'PUT') return methodNotAllowed(method, 'OPTIONS, PUT')
      const refusal = await this.#refusal('wipe', request, 'wipe', method)
      if (refusal !== undefined) return refusal
      await this.wipe()
      this.#count(202, 'wipe', method)
      // The reference registers wipe beside the API, so it carries no CORS headers.
      return { status: 202, headers: {}, body: '' }
    }
    return notFound()
  }

  // The answer to a request the `authorize` hook refuses, counted; `undefined` when it is allowed.
  async #refusal (action: Action, request: GatewayRequest, handler: string, method: string): Promise<GatewayResponse | undefined> {
    try {
      await this.#allow(action, request)
      return undefined
    } catch (err) {
      const response = errorResponse(err)
      this.#count(response.status, handler, method)
      return response
    }
  }

  async #quit (method: string, request: GatewayRequest): Promise<GatewayResponse> {
    if (method !== 'PUT' && method !== 'POST') return plainResponse(405, 'Only POST or PUT requests allowed.')
    if (this.#onQuit === undefined) return plainResponse(403, 'Lifecycle API is not enabled.')
    const refusal = await this.#refusal('quit', request, 'quit', method)
    if (refusal !== undefined) return refusal
    const onQuit = this.#onQuit
    setImmediate(onQuit)
    return plainResponse(200, 'Requesting termination... Goodbye!')
  }

  #count (status: number, handler: string, method: string): void {
    this.#metrics.requests.inc({ code: String(status), handler, method: method.toLowerCase() })
  }

  #reservedFamily (name: string): { type: MetricFamily['type'] } | undefined {
    const type = registeredType(this.registry, name)
    return type === undefined ? undefined : { type }
  }

  async #registryFamilies (): Promise<MetricFamily[]> {
    return this.#metrics.ownView(parseMetrics(await this.#registryMetrics(), this.registry.contentType))
  }
}

/** Hands parsed families to the store (a push or an aggregate push), received at `timeNs`. */
type Apply = (families: MetricFamily[], timeNs: bigint) => unknown

function pathOf (url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/**
 * Whether a path (relative to the mount point, without query) is a push path, `/metrics/job…`, or
 * when `aggregates` (default `true`) `/aggregate/job…`.
 */
export function isPushPath (path: string, aggregates = true): boolean {
  return path.startsWith('/metrics/job/') || path.startsWith('/metrics/job@base64/') ||
    (aggregates && (path.startsWith('/aggregate/job/') || path.startsWith('/aggregate/job@base64/')))
}

function pushOptionsOf (request: GatewayRequest): PushOptions {
  const options: PushOptions = {}
  const contentType = header(request, 'content-type')
  if (contentType !== undefined) options.contentType = contentType
  const contentEncoding = header(request, 'content-encoding')
  if (contentEncoding !== undefined) options.contentEncoding = contentEncoding
  return options
}

function groupingKeyOf (labels: Readonly<Record<string, string>>): { job: string, labels: Record<string, string> } {
  const { job, ...others } = labels
  return { job: job as string, labels: others }
}

function resolvePersistence (persistence: unknown): { file: string, interval: number } | undefined {
  if (persistence === undefined) return undefined
  if (persistence === null || typeof persistence !== 'object') throw new InvalidOptionError('persistence', 'an object with a file', persistence)
  refuseUnknownOptions(persistence, ['file', 'interval'], 'persistence.')
  const { file, interval = 300_000 } = persistence as PersistenceOptions
  if (typeof file !== 'string' || file === '') throw new InvalidOptionError('persistence.file', 'a non-empty path', file)
  if (!Number.isSafeInteger(interval) || interval < 0) throw new InvalidOptionError('persistence.interval', 'a non-negative integer number of milliseconds', interval)
  const problem = snapshotPathProblem(file)
  if (problem !== undefined) throw new InvalidOptionError('persistence.file', `a file in an existing directory (${problem})`, file)
  return { file, interval }
}

function groupingLabels (key: GroupingKey): Record<string, string> {
  if (key === null || typeof key !== 'object') throw new InvalidGroupingKeyError('grouping key must be an object with a job')
  if (typeof key.job !== 'string' || key.job === '') throw new InvalidGroupingKeyError('job name is required')
  const labels: Record<string, string> = {}
  for (const [name, value] of Object.entries(key.labels ?? {})) {
    if (!isLegacyLabelName(name) || name.startsWith('__') || name === 'job') throw new InvalidGroupingKeyError(`improper label name ${JSON.stringify(name)}`)
    if (typeof value !== 'string') throw new InvalidGroupingKeyError(`label ${name} must have a string value`)
    labels[name] = value
  }
  labels['job'] = key.job
  return labels
}

function mergeFamilies (pushed: MetricFamily[], extra: readonly MetricFamily[]): MetricFamily[] {
  if (extra.length === 0) return pushed
  const byName = new Map(pushed.map(f => [f.name, f]))
  for (const own of extra) {
    const mine = byName.get(own.name)
    byName.set(own.name, mine === undefined ? own : { ...own, metrics: [...own.metrics, ...mine.metrics] })
  }
  return [...byName.values()].sort((a, b) => compareUtf8(a.name, b.name))
}

function header (request: GatewayRequest, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

function approximateRequestSize (request: GatewayRequest): number {
  let size = request.url.length + request.method.length + 'HTTP/1.1'.length
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue
    size += name.length + (Array.isArray(value) ? value.join('').length : value.length)
  }
  const length = Number(header(request, 'content-length') ?? 0)
  return Number.isFinite(length) ? size + length : size
}

function emptyResponse (status: number): GatewayResponse {
  return { status, headers: {}, body: '' }
}

function plainResponse (status: number, body: string): GatewayResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }, body }
}

function notFound (): GatewayResponse {
  return plainResponse(404, '404 page not found\n')
}

function methodNotAllowed (method: string, allow: string): GatewayResponse {
  if (method === 'OPTIONS') return { status: 200, headers: { allow }, body: '' }
  const response = plainResponse(405, 'Method Not Allowed\n')
  response.headers['allow'] = allow
  return response
}

function errorResponse (err: unknown): GatewayResponse {
  if (!(err instanceof PushgatewayError && err.expose)) throw err
  return errorAnswer(err)
}

/** The plain-text answer to a bad request, in the Go gateway's form, carrying the error. */
export function errorAnswer (err: PushgatewayError): GatewayResponse {
  const response = plainResponse(err.statusCode, err.message + '\n')
  if (err instanceof AuthorizationError && err.challenge !== undefined) response.headers['www-authenticate'] = err.challenge
  // The rest of a late upload is not worth reading: closing the connection ends it.
  if (err instanceof ReadTimeoutError) response.headers['connection'] = 'close'
  if (err instanceof LimitExceededError && err.retryAfter !== undefined) response.headers['retry-after'] = String(err.retryAfter)
  response.error = err
  return response
}

function systemNowNs (): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6))
}

function optionalBoolean<K extends string> (options: Partial<Record<K, unknown>>, name: K): boolean | undefined {
  const value: unknown = options[name]
  if (value === undefined || typeof value === 'boolean') return value
  throw new InvalidOptionError(name, 'a boolean', value)
}

function optionalFunction<T extends (...args: never[]) => unknown, K extends string> (options: Partial<Record<K, unknown>>, name: K): T | undefined {
  const value = options[name]
  if (value === undefined || typeof value === 'function') return value as T | undefined
  throw new InvalidOptionError(name, 'a function', value)
}
