import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
import fp from 'fastify-plugin'
import { Readable } from 'node:stream'
import { chunksLength, errorHandlingOf, gatewayFromOptions, isPushPath, type Pushgateway, type GatewayRequest, type GatewayResponse, type PushgatewayOptions } from './gateway.js'
import type { RequestBody } from './http/body.js'
import { InvalidOptionError } from './errors.js'
import type { Logger } from './log.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The Pushgateway served by the `pushgateway-middleware/fastify` plugin. */
    pushgateway: Pushgateway
  }
}

/**
 * Options of the Fastify plugin: the `Pushgateway` options (a new gateway is built from them), or
 * `gateway` to serve an existing one, plus Fastify's `prefix`. Default: a new gateway at the root.
 */
export interface FastifyPushgatewayOptions extends PushgatewayOptions {
  /** A Pushgateway to serve instead of building one; no other Pushgateway option may be given with it. Default: none. */
  gateway?: Pushgateway | undefined
  /** Where the Pushgateway surface is mounted. Default: the registering context's own prefix. */
  prefix?: string
  /** `'respond'` answers bad requests itself, in the Go gateway's plain-text form; `'next'` throws them as status-coded `PushgatewayError`s to the app's error handler (`setErrorHandler`). Default `'respond'`. */
  errorHandling?: 'respond' | 'next' | undefined
}

// The surface besides the exposition; `gateway.handle()` tells methods and unknown API paths apart.
const SURFACE_ROUTES = ['/metrics/job/*', '/metrics/job@base64/*', '/api/v1/*', '/-/healthy', '/-/ready', '/-/quit']
const AGGREGATE_ROUTES = ['/aggregate/job/*', '/aggregate/job@base64/*']
const STATUS_PAGE_ROUTES = ['/', '/status', '/static/*']
const SLASH = 0x2f
const QUESTION_MARK = 0x3f
// The plugin's own options and the ones Fastify's `register()` takes for every plugin.
const FASTIFY_OPTIONS = ['prefix', 'errorHandling', 'logLevel', 'logSerializers']

const plugin: FastifyPluginAsync<FastifyPushgatewayOptions> = async function pushgatewayPlugin (fastify, options) {
  if (fastify.hasDecorator('pushgateway')) {
    throw new Error('pushgateway-middleware: this Fastify scope has a `pushgateway` decorator already (the plugin is registered in it or in a parent scope); to serve several gateways in one app, register each in an encapsulated child of its own: `app.register(async child => { await child.register(fastifyPushgateway, { prefix: \'/one\' }) })`')
  }
  const prefix = prefixOf(options)
  const passErrors = errorHandlingOf(options) === 'next'
  const gateway = gatewayFromOptions(withLogger(options, fastify.log), FASTIFY_OPTIONS)
  const telemetryPath = gateway.telemetryPath
  fastify.decorate('pushgateway', gateway)
  // A gateway built here is closed here (its last snapshot written); a shared one by its owner.
  if (options.gateway === undefined) fastify.addHook('onClose', async () => { await gateway.close() })
  // fastify-plugin skips encapsulation, so Fastify ignores `prefix` here: the routes go in a child that takes it.
  fastify.register(async function pushgatewayRoutes (routes) {
    passBodiesThrough(routes)
    const mount = mountOf(routes.prefix)
    const handler = handlerFor(gateway, mount, passErrors)
    const method = routes.supportedMethods
    for (const url of routePaths(telemetryPath, gateway.aggregates)) routes.route({ method, url, handler })
    // The status page only where the gateway serves it: never over the app's own `/` unless asked for.
    if (gateway.owns('/static/', mount)) {
      for (const url of STATUS_PAGE_ROUTES) if (url !== telemetryPath) routes.route({ method, url, handler })
    }
  }, prefix === undefined ? {} : { prefix })
}

/** The Fastify plugin serving a Pushgateway; it decorates the instance with `pushgateway`. */
export const fastifyPushgateway = fp(plugin, { fastify: '5.x', name: 'pushgateway-middleware' })
export default fastifyPushgateway

function prefixOf (options: FastifyPushgatewayOptions): string | undefined {
  const prefix: unknown = options.prefix
  if (prefix === undefined || typeof prefix === 'string') return prefix
  throw new InvalidOptionError('prefix', 'a string', prefix)
}

function routePaths (telemetryPath: string | false, aggregates: boolean): string[] {
  const surface = aggregates ? [...SURFACE_ROUTES, ...AGGREGATE_ROUTES] : SURFACE_ROUTES
  if (telemetryPath === false || isSurfacePath(telemetryPath, aggregates)) return surface
  // A `:` would start a route parameter; `::` is find-my-way's literal colon.
  return [...surface, telemetryPath.replaceAll(':', '::')]
}

// The telemetry path inside a routed prefix is served by that route already.
function isSurfacePath (path: string, aggregates: boolean): boolean {
  return isPushPath(path, aggregates) || path.startsWith('/api/v1/') || path === '/-/healthy' || path === '/-/ready' || path === '/-/quit'
}

// Hands the request stream to the core untouched (it decodes gzip and applies `bodyLimit` itself);
// a parser that returns the stream is one Fastify neither buffers nor size-limits. Fastify refuses a
// Content-Type it cannot parse (``, `text`, `;;;`) with 415 before any parser runs, where the
// reference reads the body as text: the header is set aside for Fastify and given back to the core.
function passBodiesThrough (routes: FastifyInstance): void {
  routes.removeAllContentTypeParsers()
  routes.addContentTypeParser('*', function rawStream (_request, payload, done) {
    done(null, payload)
  })
  // A hook that calls back rather than an async one, and the header kept on the request itself
  // rather than in a WeakMap: no promise and no weak entry per push.
  routes.addHook('onRequest', function setContentTypeAside (request, _reply, done) {
    const contentType = request.headers['content-type']
    if (contentType !== undefined) {
      (request as AsideRequest)[CONTENT_TYPE] = contentType
      request.headers['content-type'] = 'application/octet-stream'
    }
    done()
  })
}

const CONTENT_TYPE = Symbol('pushgateway-middleware content type')
type AsideRequest = FastifyRequest & { [CONTENT_TYPE]?: string }

// The headers as the client sent them: Fastify has parsed the body by now, so the Content-Type
// set aside goes back in place.
function headersFor (request: FastifyRequest): FastifyRequest['headers'] {
  const contentType = (request as AsideRequest)[CONTENT_TYPE]
  if (contentType !== undefined) request.headers['content-type'] = contentType
  return request.headers
}

function mountOf (prefix: string): string {
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
}

// The gateway logs through `fastify.log` unless the options name a logger or a gateway.
function withLogger (options: FastifyPushgatewayOptions, log: Logger): FastifyPushgatewayOptions {
  return options.logger !== undefined || options.gateway !== undefined ? options : { ...options, logger: log }
}

function handlerFor (gateway: Pushgateway, mount: string, passErrors: boolean): RouteHandlerMethod {
  const segments = mount.split('/').filter(segment => segment !== '').length
  return async function pushgatewayHandler (request: FastifyRequest, reply: FastifyReply) {
    // `request.url` is the raw request URL (after `rewriteUrl`), still percent-encoded.
    const gatewayRequest: GatewayRequest = { method: request.method, url: relativeUrl(request.url, mount, segments), headers: headersFor(request), native: request, mount }
    if (request.body !== undefined) gatewayRequest.body = request.body as RequestBody
    const response = await gateway.handle(gatewayRequest)
    if (passErrors && response.error !== undefined) throw response.error
    reply.code(response.status).headers(response.headers)
    // A scrape in chunks goes as a stream of them, with its length: no string of the whole text is made.
    if (response.chunks !== undefined) return reply.header('content-length', chunksLength(response.chunks)).send(Readable.from(response.chunks))
    if (response.body.length === 0) return reply.send()
    return reply.send(serializes(response) ? Buffer.from(response.body) : response.body)
  }
}

// Fastify serializes a string it sends as JSON (and adds a charset) when its Content-Type is JSON
// or missing: those go as a Buffer, kept as they are. Any other text (a scrape: megabytes) goes as
// it is, without a copy.
function serializes (response: GatewayResponse): response is GatewayResponse & { body: string } {
  const contentType = response.headers['content-type']
  return typeof response.body === 'string' && (contentType === undefined || contentType.includes('json'))
}

/**
 * The URL relative to the mount point. Usually the URL starts with the mount itself; otherwise
 * (a parametric prefix, `caseSensitive: false`, duplicate slashes) the mount's segments are skipped.
 */
function relativeUrl (url: string, mount: string, segments: number): string {
  const end = mount.length
  // The mount itself (`/pgw`, `/pgw?x`) is the status page's `/`.
  if (url.startsWith(mount) && (url.length === end || url.charCodeAt(end) === QUESTION_MARK)) return '/' + url.slice(end)
  if (url.startsWith(mount) && url.charCodeAt(end) === SLASH && url.charCodeAt(end + 1) !== SLASH) return url.slice(end)
  let index = 0
  for (let segment = 0; segment < segments; segment++) {
    while (url.charCodeAt(index) === SLASH) index++
    // The route matched, so another slash follows every segment of the mount.
    index = url.indexOf('/', index)
  }
  while (url.charCodeAt(index + 1) === SLASH) index++
  return url.slice(index)
}
