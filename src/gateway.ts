import { gzipSync } from 'node:zlib'
import { register as globalRegistry, type Registry } from 'prom-client'
import type { MetricFamily } from './exposition/types.js'
import type { MetricStore, RenderFormat } from './store/store.js'
import { InconsistentPushError, InvalidGroupingKeyError, InvalidOptionError, PushgatewayError } from './errors.js'
import { DEFAULT_BODY_LIMIT, readBody, type RequestBody } from './body.js'
import { parseMetrics } from './exposition/parse.js'
import { PROTOBUF_CONTENT_TYPE, encodeDelimited } from './exposition/protobuf.js'
import { OPENMETRICS_CONTENT_TYPE } from './exposition/write-openmetrics.js'
import { TEXT_CONTENT_TYPE } from './exposition/write-text.js'
import { acceptsGzip, negotiateFormat } from './exposition/negotiate.js'
import { compareUtf8 } from './exposition/metric-order.js'
import { parseGroupingPath } from './grouping-key.js'
import { MemoryStore } from './store/memory-store.js'
import { GatewayMetrics, registeredType } from './own-metrics.js'
import { API_HEADERS, metricsApiBody, statusApiBody } from './api.js'
import { VERSION } from './version.js'
import { isLegacyLabelName } from './names.js'

const PUSH_ALLOW = 'DELETE, OPTIONS, POST, PUT'
const GET_ALLOW = 'GET, OPTIONS'
const MANAGEMENT_PATHS = new Set(['/-/healthy', '/-/ready', '/-/quit'])
const OPENMETRICS_REGISTRY_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/** Options of a `Pushgateway`. Every option is validated once, in the constructor. */
export interface PushgatewayOptions {
  /** The prom-client registry that receives the gateway's own metrics. Default: prom-client's global registry. */
  registry?: Registry
  /** Where groups are kept. Default: a new in-memory store. */
  store?: MetricStore
  /** Answer pushes once checked (200), as the reference does by default; `false` answers 202 at once and drops an inconsistent push instead of storing it. Default `true`. */
  consistencyCheck?: boolean
  /** Largest accepted request body in bytes, after decompression. Default 16 MiB. */
  bodyLimit?: number
  /** Serve `PUT /api/v1/admin/wipe` (the reference's `--web.enable-admin-api`). Default `false`. */
  adminApi?: boolean
  /** Called by `PUT` or `POST /-/quit`; when absent, that endpoint answers 403 (the reference's `--web.enable-lifecycle`). Default: none. */
  onQuit?: () => void
  /** Path of the exposition, relative to the mount point, or `false` for none. Default `'/metrics'`. */
  telemetryPath?: string | false
  /** Serve OpenMetrics to scrapers that ask for it (the reference never does). Default `true`. */
  openMetrics?: boolean
  /** Include the registry's metrics in the gateway's own exposition, as the reference includes its own. Default `true`. */
  exposeRegistry?: boolean
  /** Merge the pushed metrics into the registry's own `metrics()`, so the service's `/metrics` (plain prom-client, express-prom-bundle, fastify-metrics) shows them: one scrape target. Default `false`. */
  mergeIntoRegistry?: boolean
  /** The flags reported by `/api/v1/status`, merged over the ones derived from these options. Default: none. */
  flags?: Readonly<Record<string, string>>
  /** The clock, in nanoseconds since the epoch. Default: the system clock. */
  now?: () => bigint
}

/** Where a push goes: the job and the other grouping labels. */
export interface GroupingKey {
  /** The job name; required and non-empty. */
  job: string
  /** The other grouping labels. Default: none. */
  labels?: Readonly<Record<string, string>>
}

/** How a push body is to be read and applied. */
export interface PushOptions {
  /** The body's Content-Type; picks the parser. Default: text format 0.0.4. */
  contentType?: string
  /** The body's Content-Encoding (`gzip` or none). Default: none. */
  contentEncoding?: string
  /** `true` replaces the whole group (PUT), `false` only the pushed families (POST). Default `true`. */
  replace?: boolean
}

/** What `metrics()` renders. */
export interface MetricsOptions {
  /** The exposition format. Default `'text'`. */
  format?: RenderFormat
  /** Include the registry's metrics too. Default `false`. */
  registry?: boolean
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

/**
 * The gateway an adapter serves: `options.gateway` when given (then no other core option may be),
 * otherwise a new `Pushgateway` built from the core options; other keys (the adapter's own) are ignored.
 */
export function gatewayFromOptions (options: PushgatewayOptions & { gateway?: unknown }): Pushgateway {
  const gateway = options.gateway
  if (gateway === undefined) return new Pushgateway(options)
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
  readonly registry: Registry
  readonly #metrics: GatewayMetrics
  readonly #check: boolean
  readonly #bodyLimit: number
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
    this.registry = options.registry ?? globalRegistry
    if (typeof this.registry.getSingleMetric !== 'function') throw new InvalidOptionError('registry', 'a prom-client Registry', options.registry)
    this.#now = optionalFunction(options, 'now') ?? systemNowNs
    this.store = options.store ?? new MemoryStore({ reserved: name => this.#reservedFamily(name) })
    if (typeof this.store.push !== 'function') throw new InvalidOptionError('store', 'a MetricStore', options.store)
    this.#check = optionalBoolean(options, 'consistencyCheck') ?? true
    this.#bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
    if (!Number.isSafeInteger(this.#bodyLimit) || this.#bodyLimit <= 0) throw new InvalidOptionError('bodyLimit', 'a positive integer number of bytes', options.bodyLimit)
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
      'persistence.file': '',
      'persistence.interval': '5m0s',
      'push.disable-consistency-check': String(!this.#check),
      'web.enable-admin-api': String(this.#adminApi),
      'web.enable-lifecycle': String(this.#onQuit !== undefined),
      'web.telemetry-path': this.#telemetryPath === false ? '' : this.#telemetryPath,
      ...options.flags
    }
    this.#startTimeNs = this.#now()
    this.#metrics = new GatewayMetrics(this.registry, this.store)
    // Last, once every option is known to be valid: this changes the caller's registry.
    this.#registryMetrics = this.registry.metrics.bind(this.registry)
    if (mergeIntoRegistry) {
      const registry = this.registry
      registry.metrics = async () => this.metrics({ registry: true, format: (registry.contentType as string) === OPENMETRICS_REGISTRY_TYPE ? 'openmetrics' : 'text' })
    }
  }

  /**
   * Pushes a body to a group: parses it (text 0.0.4, OpenMetrics or delimited protobuf by
   * `contentType`), checks it against what is stored and applies it. Throws a `PushgatewayError`
   * with a 4xx status for bad input; nothing is stored then but the group's failure time.
   */
  async push (key: GroupingKey, body: RequestBody, options: PushOptions = {}): Promise<void> {
    const labels = groupingLabels(key)
    await this.#push(labels, body, options, this.#now())
  }

  /** Deletes the group with exactly this grouping key; deleting a missing group is not an error. */
  async delete (key: GroupingKey): Promise<void> {
    await this.store.delete(groupingLabels(key))
  }

  /** Deletes every group. */
  async wipe (): Promise<void> {
    await this.store.wipe()
  }

  /** The exposition of everything pushed, plus the registry's metrics if asked. */
  async metrics (options: MetricsOptions = {}): Promise<string> {
    const format = options.format ?? 'text'
    const extra = options.registry === true ? await this.#registryFamilies() : []
    const body = await this.store.render(format, extra)
    return format === 'openmetrics' ? body + '# EOF\n' : body
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
    return isPushPath(path) || path === this.#telemetryPath || path.startsWith('/api/v1/') || MANAGEMENT_PATHS.has(path)
  }

  /** Handles one HTTP request of the Pushgateway surface, relative to the mount point; other paths get a 404. */
  async handle (request: GatewayRequest): Promise<GatewayResponse> {
    const path = pathOf(request.url)
    const method = request.method.toUpperCase()
    if (isPushPath(path)) return this.#handlePushPath(method, path, request)
    if (path === this.#telemetryPath) {
      if (method === 'GET') return this.#scrape(request)
      return methodNotAllowed(method, GET_ALLOW)
    }
    if (path.startsWith('/api/v1/')) return this.#handleApi(method, path)
    if (path === '/-/healthy' || path === '/-/ready') {
      if (method !== 'GET') return methodNotAllowed(method, GET_ALLOW)
      this.#count(200, path.slice(3), method)
      return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'OK' }
    }
    if (path === '/-/quit') return this.#quit(method)
    return notFound()
  }

  async #push (labels: Record<string, string>, body: RequestBody, options: PushOptions, timeNs: bigint): Promise<void> {
    const replace = options.replace ?? true
    const buf = await readBody(body, options.contentEncoding, this.#bodyLimit)
    let families: MetricFamily[]
    try {
      families = parseMetrics(buf, options.contentType)
    } catch (err) {
      // A protobuf metric that contradicts its family's type fails like an inconsistent push.
      if (err instanceof InconsistentPushError) await this.store.recordFailure(labels, timeNs)
      throw err
    }
    await this.store.push({ labels, families, replace, timeNs })
  }

  async #handlePushPath (method: string, path: string, request: GatewayRequest): Promise<GatewayResponse> {
    if (method === 'OPTIONS') return { status: 200, headers: { allow: PUSH_ALLOW }, body: '' }
    if (method !== 'PUT' && method !== 'POST' && method !== 'DELETE') return methodNotAllowed(method, PUSH_ALLOW)
    const started = process.hrtime.bigint()
    const timeNs = this.#now()
    const handler = method === 'DELETE' ? 'delete' : 'push'
    let response: GatewayResponse
    try {
      const key = parseGroupingPath(path.slice('/metrics'.length))
      const labels = { ...key.labels, job: key.job }
      if (method === 'DELETE') {
        await this.store.delete(labels)
        response = emptyResponse(202)
      } else {
        response = await this.#pushRequest(labels, request, method === 'PUT', timeNs)
      }
    } catch (err) {
      response = errorResponse(err)
    }
    this.#count(response.status, handler, method)
    if (handler === 'push') {
      const m = method.toLowerCase()
      this.#metrics.pushDuration.observe({ method: m }, Number(process.hrtime.bigint() - started) / 1e9)
      this.#metrics.pushSize.observe({ method: m }, approximateRequestSize(request))
    }
    return response
  }

  async #pushRequest (labels: Record<string, string>, request: GatewayRequest, replace: boolean, timeNs: bigint): Promise<GatewayResponse> {
    const options: PushOptions = { replace }
    const contentType = header(request, 'content-type')
    if (contentType !== undefined) options.contentType = contentType
    const contentEncoding = header(request, 'content-encoding')
    if (contentEncoding !== undefined) options.contentEncoding = contentEncoding
    try {
      await this.#push(labels, request.body ?? Buffer.alloc(0), options, timeNs)
    } catch (err) {
      // Without the check the reference answers 202 before it looks; an inconsistent push is dropped.
      if (!this.#check && err instanceof InconsistentPushError) return emptyResponse(202)
      throw err
    }
    return emptyResponse(this.#check ? 200 : 202)
  }

  async #scrape (request: GatewayRequest): Promise<GatewayResponse> {
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

  async #handleApi (method: string, path: string): Promise<GatewayResponse> {
    if (method === 'OPTIONS') {
      this.#count(200, 'api/v1/options', method)
      return { status: 200, headers: { ...API_HEADERS }, body: '' }
    }
    if (path === '/api/v1/status' || path === '/api/v1/metrics') {
      if (method !== 'GET') return methodNotAllowed(method, GET_ALLOW)
      const body = path === '/api/v1/status'
        ? statusApiBody({ version: VERSION, flags: this.#flags, startTimeNs: this.#startTimeNs })
        : metricsApiBody(await this.store.groups())
      this.#count(200, path.slice(1), method)
      return { status: 200, headers: { ...API_HEADERS, 'content-type': 'application/json' }, body }
    }
    if (path === '/api/v1/admin/wipe' && this.#adminApi) {
      if (method !== 'PUT') return methodNotAllowed(method, 'OPTIONS, PUT')
      await this.store.wipe()
      this.#count(202, 'wipe', method)
      // The reference registers wipe beside the API, so it carries no CORS headers.
      return { status: 202, headers: {}, body: '' }
    }
    return notFound()
  }

  #quit (method: string): GatewayResponse {
    if (method !== 'PUT' && method !== 'POST') return plainResponse(405, 'Only POST or PUT requests allowed.')
    if (this.#onQuit === undefined) return plainResponse(403, 'Lifecycle API is not enabled.')
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
    return parseMetrics(await this.#registryMetrics(), this.registry.contentType)
  }
}

function pathOf (url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/** Whether a path (relative to the mount point, without query) is a push path `/metrics/job…`. */
export function isPushPath (path: string): boolean {
  return path.startsWith('/metrics/job/') || path.startsWith('/metrics/job@base64/')
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
