import { gzip } from 'node:zlib'
import type { ServerResponse } from 'node:http'
import { promisify } from 'node:util'
import type { MetricFamily } from '../exposition/types.js'
import type { GroupView, MetricStore } from '../store/store.js'
import type { ResolvedOptions } from '../options.js'
import type { GroupingKey } from '../groups/grouping-key.js'
import { AuthorizationError, InconsistentPushError, PushgatewayError, ReadTimeoutError, StoreUnavailableError } from '../errors.js'
import { readBody, type RequestBody } from './body.js'
import { PROTOBUF_CONTENT_TYPE, encodeDelimitedSliced } from '../exposition/protobuf.js'
import { OPENMETRICS_CONTENT_TYPE } from '../exposition/write-openmetrics.js'
import { TEXT_CONTENT_TYPE } from '../exposition/write-text.js'
import { acceptsGzip, negotiate, withEscaping } from '../exposition/negotiate.js'
import { escapeFamily } from '../exposition/escape.js'
import { compareUtf8 } from '../exposition/metric-order.js'
import { parseGroupingPath } from '../groups/grouping-key.js'
import { WRITER_HEADER, WRITER_LABEL, writerOf } from '../groups/aggregation.js'
import { authorizeRequest, type Action } from './authorization.js'
import type { GatewayMetrics } from './own-metrics.js'
import { API_HEADERS, groupsApiBody, metricsApiBody, statusApiBody } from './api.js'
import { VERSION } from '../version.js'
import { Pacer } from '../clock.js'
import { groupingKeyOf, type Apply, type BodyFormat, type GroupService } from '../groups/service.js'
import { isForm, selectedGroups, selectorsOf } from './delete-matching.js'
import { isStatusPagePath, servesStatusPage, statusPageHandler, statusPageResponse } from './status-page.js'

// Off the event loop (zlib's thread pool): a large scrape or list compresses while other requests run.
const gzipAsync = promisify(gzip)
// Groups checked or deleted between two turns of the event loop by a delete by matchers.
const DELETE_BATCH = 1024

const PUSH_ALLOW = 'DELETE, OPTIONS, POST, PUT'
const GET_ALLOW = 'GET, OPTIONS'
const AGGREGATE_PREFIX = '/aggregate'
const MANAGEMENT_PATHS = new Set(['/-/healthy', '/-/ready', '/-/quit'])

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
  /** Where the surface is mounted, as the browser sees it (`'/pushgateway'`, `''` at the root of an app): the status page links to its assets and data under it, and is served by default only when it is not `''`. Default: unknown, taken as the root. */
  mount?: string | undefined
}

/** The answer of `handle()`. */
export interface GatewayResponse {
  /** The HTTP status code. */
  status: number
  /** The response headers, names in lower case. */
  headers: Record<string, string>
  /** The response body; for an answer that has `chunks`, their text, joined when first read. */
  body: string | Buffer
  /** The body as chunks to write in order, instead of `body`, when it came so: a scrape in a text format from a store that renders in chunks (see `MetricStore.renderChunks`). Default: none. */
  chunks?: readonly string[]
  /** For an answer to a bad request, the error it reports; adapters may hand it to the framework instead. */
  error?: PushgatewayError
}

/** What the HTTP surface serves from. */
export interface SurfaceParts {
  /** The resolved options. */
  options: ResolvedOptions
  /** The groups' semantics. */
  service: GroupService
  /** Where the groups are. */
  store: MetricStore
  /** The gateway's own metrics. */
  metrics: GatewayMetrics
  /** The registry's families, as the gateway exposes them next to the pushed ones. */
  registryFamilies: () => Promise<MetricFamily[]>
  /** When the gateway started, in nanoseconds since the epoch. */
  startTimeNs: bigint
}

/**
 * The framework-free HTTP surface of the Pushgateway, relative to its mount point: the routes
 * and their answers, authorization, and the gateway's request metrics. The adapters and the
 * standalone server hand it their requests.
 */
export class HttpSurface {
  readonly #options: ResolvedOptions
  readonly #service: GroupService
  readonly #store: MetricStore
  readonly #metrics: GatewayMetrics
  readonly #registryFamilies: () => Promise<MetricFamily[]>
  readonly #startTimeNs: bigint

  constructor (parts: SurfaceParts) {
    this.#options = parts.options
    this.#service = parts.service
    this.#store = parts.store
    this.#metrics = parts.metrics
    this.#registryFamilies = parts.registryFamilies
    this.#startTimeNs = parts.startTimeNs
  }

  /**
   * Whether a URL (relative to the mount point) belongs to the Pushgateway surface: the push
   * paths, the exposition, `/api/v1/…`, `/-/healthy`, `/-/ready`, `/-/quit`, and the status page
   * (`/`, `/status`, `/static/…`) when it is served at `mount` (see `GatewayRequest.mount`).
   * Adapters pass other requests on to the application.
   */
  owns (url: string, mount?: string): boolean {
    const path = pathOf(url)
    return isPushPath(path, this.#service.aggregates) || path === this.#options.telemetryPath || path.startsWith('/api/v1/') || MANAGEMENT_PATHS.has(path) ||
      (isStatusPagePath(path) && servesStatusPage(this.#options.ui, mount))
  }

  /** Handles one HTTP request of the Pushgateway surface, relative to the mount point; other paths get a 404. */
  async handle (request: GatewayRequest): Promise<GatewayResponse> {
    const path = pathOf(request.url)
    const method = request.method.toUpperCase()
    // Answered without the store's groups: a shared store that is down fails readiness, not health.
    if ((path === '/-/healthy' || path === '/-/ready') && path !== this.#options.telemetryPath) return this.#probe(method, path)
    try {
      return await this.#route(method, path, request)
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err
      return errorAnswer(err)
    }
  }

  async #probe (method: string, path: string): Promise<GatewayResponse> {
    if (method !== 'GET') return methodNotAllowed(method, GET_ALLOW)
    const ready = path === '/-/healthy' || (await this.#store.ready?.()) !== false
    this.#count(ready ? 200 : 503, path.slice(3), method)
    const headers = { 'content-type': 'text/plain; charset=utf-8' }
    return ready ? { status: 200, headers, body: 'OK' } : { status: 503, headers: { ...headers, 'retry-after': '1' }, body: 'the store is unavailable\n' }
  }

  async #route (method: string, path: string, request: GatewayRequest): Promise<GatewayResponse> {
    await this.#service.expire()
    if (isPushPath(path, this.#service.aggregates)) return this.#handlePushPath(method, path, request)
    if (path === this.#options.telemetryPath) {
      if (method === 'GET') return this.#scrape(request)
      return methodNotAllowed(method, GET_ALLOW)
    }
    if (path.startsWith('/api/v1/')) return this.#handleApi(method, path, request)
    if (path === '/-/quit') return this.#quit(method, request)
    if (isStatusPagePath(path) && servesStatusPage(this.#options.ui, request.mount)) return this.#statusPage(method, path, request)
    return notFound()
  }

  async #statusPage (method: string, path: string, request: GatewayRequest): Promise<GatewayResponse> {
    if (method !== 'GET') return methodNotAllowed(method, GET_ALLOW)
    const handler = statusPageHandler(path)
    const refusal = await this.#refusal('read', request, handler, method)
    if (refusal !== undefined) return refusal
    const response = statusPageResponse(path, {
      url: request.url,
      mount: request.mount,
      adminApi: this.#options.adminApi,
      ifNoneMatch: header(request, 'if-none-match'),
      gzip: acceptsGzip(header(request, 'accept-encoding'))
    })
    this.#count(response.status, handler, method)
    return response
  }

  async #allow (action: Action, request: GatewayRequest, key?: Required<GroupingKey>): Promise<void> {
    if (this.#options.authorize === undefined) return
    const seen = { method: request.method, url: request.url, headers: request.headers, ...(request.native === undefined ? {} : { native: request.native }) }
    await authorizeRequest(this.#options.authorize, { action, request: seen, ...(key === undefined ? {} : { key }) })
  }

  async #handlePushPath (method: string, path: string, request: GatewayRequest): Promise<GatewayResponse> {
    if (method === 'OPTIONS') return { status: 200, headers: { allow: PUSH_ALLOW }, body: '' }
    if (method !== 'PUT' && method !== 'POST' && method !== 'DELETE') return methodNotAllowed(method, PUSH_ALLOW)
    const started = process.hrtime.bigint()
    const aggregate = path.startsWith(AGGREGATE_PREFIX)
    const handler = method === 'DELETE' ? 'delete' : aggregate && method === 'POST' ? 'aggregate' : 'push'
    let response: GatewayResponse
    try {
      const validation = this.#options.nameValidation
      const parsed = aggregate ? parseGroupingPath(path.slice(AGGREGATE_PREFIX.length), [WRITER_LABEL], validation) : parseGroupingPath(path.slice('/metrics'.length), [], validation)
      const { labels: others, writer } = aggregate ? writerOf(parsed.labels, header(request, WRITER_HEADER)) : { labels: parsed.labels, writer: undefined }
      const key = { job: parsed.job, labels: others }
      // Taken before the hook runs: what it does with the key cannot change the group.
      const labels = { ...others, job: key.job }
      await this.#allow(handler === 'delete' ? 'delete' : 'push', request, key)
      if (method === 'DELETE') {
        await this.#service.delete(labels)
        response = emptyResponse(202)
      } else {
        const options = pushOptionsOf(request)
        const apply = handler === 'aggregate'
          ? this.#service.aggregator(labels, writer)
          : this.#service.pusher(labels, method === 'PUT')
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

  async #pushRequest (labels: Record<string, string>, body: RequestBody, format: BodyFormat, apply: Apply): Promise<GatewayResponse> {
    try {
      await this.#service.push(labels, body, format, apply)
    } catch (err) {
      // Without the check the reference answers 202 before it looks; an inconsistent push is dropped.
      if (!this.#options.consistencyCheck && err instanceof InconsistentPushError) return emptyResponse(202)
      throw err
    }
    return emptyResponse(this.#options.consistencyCheck ? 200 : 202)
  }

  async #scrape (request: GatewayRequest): Promise<GatewayResponse> {
    try {
      await this.#allow('read', request)
    } catch (err) {
      return errorResponse(err)
    }
    const { format, escaping } = negotiate(header(request, 'accept'), { openMetrics: this.#options.openMetrics })
    // Without UTF-8 names every name is legacy-valid, which every scheme keeps: one cached render serves all.
    const names = this.#options.nameValidation === 'utf8' ? escaping : 'allow-utf-8'
    const extra = this.#options.exposeRegistry ? await this.#registryFamilies() : []
    const contentType = format === 'protobuf' ? PROTOBUF_CONTENT_TYPE : format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE
    const headers: Record<string, string> = { 'content-type': withEscaping(contentType, escaping) }
    const compress = acceptsGzip(header(request, 'accept-encoding'))
    if (format !== 'protobuf' && !compress && this.#store.renderChunks !== undefined) {
      const chunks = await this.#store.renderChunks(format, extra, names)
      if (format === 'openmetrics') chunks.push('# EOF\n')
      return chunkedResponse(200, headers, chunks)
    }
    let body: string | Buffer
    if (format === 'protobuf') {
      body = await encodeDelimitedSliced(mergeFamilies(await this.#store.families(), extra).map(family => escapeFamily(family, names)))
    } else {
      body = await this.#store.render(format, extra, names)
      if (format === 'openmetrics') body += '# EOF\n'
    }
    if (compress) {
      body = await gzipAsync(body)
      headers['content-encoding'] = 'gzip'
    }
    return { status: 200, headers, body }
  }

  async #handleApi (method: string, path: string, request: GatewayRequest): Promise<GatewayResponse> {
    if (method === 'OPTIONS') {
      this.#count(200, 'api/v1/options', method)
      return { status: 200, headers: { ...API_HEADERS }, body: '' }
    }
    if (path === '/api/v1/metrics' && method === 'DELETE' && this.#options.adminApi) return this.#deleteMatching(request)
    if (path === '/api/v1/status' || path === '/api/v1/metrics' || path === '/api/v1/groups') {
      if (method !== 'GET') return methodNotAllowed(method, GET_ALLOW)
      const refusal = await this.#refusal('read', request, path.slice(1), method)
      if (refusal !== undefined) return { ...refusal, headers: { ...API_HEADERS, ...refusal.headers } }
      let body: string | Buffer
      try {
        body = await this.#apiBody(path, request.url)
      } catch (err) {
        const response = errorResponse(err)
        this.#count(response.status, path.slice(1), method)
        return { ...response, headers: { ...API_HEADERS, ...response.headers } }
      }
      this.#count(200, path.slice(1), method)
      const headers: Record<string, string> = { ...API_HEADERS, 'content-type': 'application/json' }
      // The summaries of many groups are worth compressing; the reference's own bodies stay as they are.
      if (path === '/api/v1/groups' && acceptsGzip(header(request, 'accept-encoding'))) {
        body = await gzipAsync(body)
        headers['content-encoding'] = 'gzip'
      }
      return { status: 200, headers, body }
    }
    if (path === '/api/v1/admin/wipe' && this.#options.adminApi) {
      if (method !== 'PUT') return methodNotAllowed(method, 'OPTIONS, PUT')
      const refusal = await this.#refusal('wipe', request, 'wipe', method)
      if (refusal !== undefined) return refusal
      await this.#service.wipe()
      this.#count(202, 'wipe', method)
      // The reference registers wipe beside the API, so it carries no CORS headers.
      return { status: 202, headers: {}, body: '' }
    }
    return notFound()
  }

  async #apiBody (path: string, url: string): Promise<string | Buffer> {
    if (path === '/api/v1/status') return statusApiBody({ version: VERSION, flags: this.#options.flags, startTimeNs: this.#startTimeNs })
    if (path === '/api/v1/groups') return groupsApiBody(await this.#store.groups(), this.#options.ttlOf, this.#options.now())
    const groups = await this.#store.groups()
    // With match[] (which the reference ignores), only the groups a selector selects: the status page's details.
    if (!new URLSearchParams(url.slice(url.indexOf('?') + 1)).has('match[]')) return metricsApiBody(groups)
    const selectors = selectorsOf(url)
    return metricsApiBody(selectedGroups(groups, selectors))
  }

  // Deletes every group a match[] selector selects, or none when `authorize` refuses any of them.
  async #deleteMatching (request: GatewayRequest): Promise<GatewayResponse> {
    let selected: GroupView[]
    try {
      // A long list of selectors (the status page deletes what its filter shows) comes as a form body.
      const form = isForm(header(request, 'content-type'))
        ? (await readBody(request.body, header(request, 'content-encoding'), this.#options.bodyLimit, this.#options.readTimeout)).toString()
        : undefined
      selected = selectedGroups(await this.#store.groups(), selectorsOf(request.url, form))
      const checking = new Pacer(DELETE_BATCH)
      for (const { labels } of selected) {
        await this.#allow('delete', request, groupingKeyOf(labels))
        if (checking.spent()) await checking.rest()
      }
    } catch (err) {
      const response = errorResponse(err)
      this.#count(response.status, 'api/v1/metrics', 'DELETE')
      return { ...response, headers: { ...API_HEADERS, ...response.headers } }
    }
    const deleting = new Pacer(DELETE_BATCH)
    for (const { labels } of selected) {
      await this.#service.delete(labels)
      if (deleting.spent()) await deleting.rest()
    }
    this.#count(200, 'api/v1/metrics', 'DELETE')
    const body = JSON.stringify({ status: 'success', data: { deleted: selected.length } })
    return { status: 200, headers: { ...API_HEADERS, 'content-type': 'application/json' }, body }
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
    if (this.#options.onQuit === undefined) return plainResponse(403, 'Lifecycle API is not enabled.')
    const refusal = await this.#refusal('quit', request, 'quit', method)
    if (refusal !== undefined) return refusal
    const onQuit = this.#options.onQuit
    setImmediate(onQuit)
    return plainResponse(200, 'Requesting termination... Goodbye!')
  }

  #count (status: number, handler: string, method: string): void {
    this.#metrics.requests.inc({ code: String(status), handler, method: method.toLowerCase() })
  }
}

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

function pushOptionsOf (request: GatewayRequest): BodyFormat {
  const options: BodyFormat = {}
  const contentType = header(request, 'content-type')
  if (contentType !== undefined) options.contentType = contentType
  const contentEncoding = header(request, 'content-encoding')
  if (contentEncoding !== undefined) options.contentEncoding = contentEncoding
  return options
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
  const headers = request.headers
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    size += name.length + (Array.isArray(value) ? value.join('').length : value.length)
  }
  const length = Number(header(request, 'content-length') ?? 0)
  return Number.isFinite(length) ? size + length : size
}

// An answer whose body comes in chunks; `body` joins them only for a reader that asks for it.
function chunkedResponse (status: number, headers: Record<string, string>, chunks: readonly string[]): GatewayResponse {
  let joined: string | undefined
  return {
    status,
    headers,
    chunks,
    get body () {
      joined ??= chunks.join('')
      return joined
    }
  }
}

/** The answer with `headers` added to its own (replacing those of the same names), its body as it is (in chunks when it has them). */
export function withHeaders (response: GatewayResponse, headers: Record<string, string>): GatewayResponse {
  const merged = { ...response.headers, ...headers }
  if (response.chunks !== undefined) return chunkedResponse(response.status, merged, response.chunks)
  return { ...response, headers: merged }
}

/**
 * Writes an answer to a `node:http` response: status, headers with the body's `Content-Length`
 * (without one Node would answer chunked where the reference does not), then the body; one that
 * comes in chunks goes as their bytes (see `writeChunk`), the next chunk once the socket drained.
 */
export function writeResponse (res: ServerResponse, response: GatewayResponse): void {
  const chunks = response.chunks
  if (chunks === undefined) {
    res.setHeader('content-length', Buffer.byteLength(response.body))
    res.writeHead(response.status, response.headers).end(response.body)
    return
  }
  // Each chunk's length in bytes, for the header and then to pick its buffer: each is counted once.
  const lengths = chunks.map(chunk => Buffer.byteLength(chunk))
  res.setHeader('content-length', lengths.reduce((total, length) => total + length, 0))
  res.writeHead(response.status, response.headers)
  let next = 0
  const writeMore = (): void => {
    while (next < chunks.length) {
      const chunk = chunks[next] as string
      const length = lengths[next++] as number
      if (!writeChunk(res, chunk, length)) {
        res.once('drain', writeMore)
        return
      }
    }
    res.end()
  }
  writeMore()
}

// Buffers that chunks are written from, each back here once the socket has taken its bytes. On
// the VM measured, memory is slow to touch the first time: the strings of a scrape of 8.9 MB, or
// a fresh buffer for each chunk, took 40 to 47 ms of the server's CPU to encode; these, 2 to 4.5.
const spareBuffers: Buffer[] = []
const SPARE_BUFFERS = 8
// A chunk of 64 KiB characters and a line, as bytes when they are ASCII; a larger one gets its own.
const SPARE_BUFFER_LENGTH = 128 * 1024

// Writes a chunk's UTF-8 bytes (`length` of them) from a spare buffer when they fit in one;
// answers what `write` does.
function writeChunk (res: ServerResponse, chunk: string, length: number): boolean {
  if (length > SPARE_BUFFER_LENGTH) return res.write(Buffer.from(chunk))
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafeSlow(SPARE_BUFFER_LENGTH)
  buffer.write(chunk)
  // Only once written: until then the socket may still read it.
  return res.write(buffer.subarray(0, length), error => {
    if (error == null && spareBuffers.length < SPARE_BUFFERS) spareBuffers.push(buffer)
  })
}

/** The length in bytes of the text of `chunks`, as UTF-8. */
export function chunksLength (chunks: readonly string[]): number {
  let length = 0
  for (const chunk of chunks) length += Buffer.byteLength(chunk)
  return length
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
  if (err.retryAfter !== undefined) response.headers['retry-after'] = String(err.retryAfter)
  response.error = err
  return response
}
