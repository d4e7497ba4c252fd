import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { posix } from 'node:path'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { Pushgateway, type PushgatewayOptions } from './gateway.js'
import { fastifyPushgateway } from './fastify.js'
import { computeRoutePrefix, defaultFlags, routePrefixOf, statusFlags, type ServerFlags } from './flags.js'
import { createLogger, type Logger } from './log.js'
import { VERSION } from './version.js'

/** A running standalone server. */
export interface RunningServer {
  /** The addresses it listens on, as bound: `host:port`, IPv6 hosts in brackets (`[::]:9091`). */
  addresses: string[]
  /** The gateway it serves. */
  gateway: Pushgateway
  /** Stops accepting connections, lets the requests in flight finish, then resolves; never rejects. */
  close (): Promise<void>
  /** Resolves once the server has closed, whatever closed it (`close()` or `/-/quit`). */
  closed: Promise<void>
}

/** Where to listen, from a Go listen address. */
export interface ListenAddress {
  /** The host to bind (`::` or `0.0.0.0` for every interface). */
  host: string
  /** The TCP port; 0 picks a free one. */
  port: number
}

const INCONSISTENT = 'pushed metrics are invalid or inconsistent with existing metrics: '
const TEXT_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }

/**
 * Starts the standalone Pushgateway, a drop-in for the Go binary: Fastify with the Pushgateway
 * plugin at the route prefix, on every listen address, the Node process and runtime metrics in
 * the gateway's own registry (where the Go binary has `go_*` and `process_*`). `flags` default to
 * the Go binary's defaults (`defaultFlags()`); `logger` defaults to one built from the log flags,
 * writing to stderr. Rejects when an address cannot be listened on, after closing the others.
 */
export async function startServer (flags: Partial<ServerFlags> = {}, logger?: Logger): Promise<RunningServer> {
  const settings: ServerFlags = { ...defaultFlags(), ...flags }
  const log = logger ?? createLogger({ level: settings.logLevel, format: settings.logFormat })
  const prefix = routePrefixOf(settings)
  log.info('starting pushgateway-middleware', { version: VERSION })
  log.info('Build context', { build_context: `(node=${process.version}, platform=${process.platform}/${process.arch})` })
  log.debug('external URL', { url: settings.externalUrl })
  log.debug('path prefix used externally', { path: computeRoutePrefix('', settings.externalUrl) })
  log.debug('path prefix for internal routing', { path: prefix })

  const apps: FastifyInstance[] = []
  let closing: Promise<void> | undefined
  let resolveClosed!: () => void
  const closed = new Promise<void>(resolve => { resolveClosed = resolve })
  const close = async (): Promise<void> => {
    closing ??= Promise.allSettled(apps.map(async app => app.close())).then(async results => {
      for (const result of results) {
        /* c8 ignore next */
        if (result.status === 'rejected') log.error('error while closing', { err: String(result.reason) })
      }
      log.info('HTTP server stopped')
      // After the last request: the final snapshot holds every push that was answered.
      await gateway.close()
      resolveClosed()
    })
    return closing
  }
  const quit = (): void => {
    log.warn('received termination request via web service, exiting gracefully...')
    // eslint-disable-next-line no-void -- close() never rejects
    void close()
  }

  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const gateway = new Pushgateway({
    registry,
    telemetryPath: cleanPath(settings.telemetryPath),
    adminApi: settings.enableAdminApi,
    consistencyCheck: !settings.disableConsistencyCheck,
    bodyLimit: settings.bodyLimit,
    limits: settings.limits,
    readTimeout: settings.readTimeoutNs === 0n ? Infinity : Number(settings.readTimeoutNs / 1_000_000n),
    flags: statusFlags(settings),
    logger: log,
    ...expiryOf(settings),
    aggregation: { gaugeRule: settings.gaugeRule, gaugeRules: settings.gaugeRules },
    ...(settings.persistenceFile === '' ? {} : { persistence: { file: settings.persistenceFile, interval: Number(settings.persistenceIntervalNs / 1_000_000n) } }),
    ...(settings.enableLifecycle ? { onQuit: quit } : {})
  })

  const addresses: string[] = []
  try {
    if (settings.listenAddresses.length === 0) throw new Error('no --web.listen-address given')
    for (const address of settings.listenAddresses) {
      const listenAddress = parseListenAddress(address)
      const app = Fastify({ frameworkErrors: badRequest(log) })
      apps.push(app)
      configure(app, prefix, log)
      await app.register(fastifyPushgateway, prefix === '' ? { gateway } : { gateway, prefix })
      await app.listen(listenAddress)
      const bound = boundAddress(app)
      addresses.push(bound)
      log.info('Listening on', { address: bound })
    }
  } catch (err) {
    await close()
    throw err
  }
  return { addresses, gateway, close, closed }
}

function expiryOf (flags: ServerFlags): Pick<PushgatewayOptions, 'expiry'> {
  const jobs = Object.entries(flags.jobTtlsNs)
  if (flags.groupTtlNs === 0n && jobs.length === 0) return {}
  const ms = (ns: bigint): number => ns === 0n ? Infinity : Number(ns) / 1e6
  return { expiry: { ttl: ms(flags.groupTtlNs), overrides: Object.fromEntries(jobs.map(([job, ns]) => [job, ms(ns)])) } }
}

/**
 * Reads a Go listen address: `host:port`, `[ipv6]:port`, or `:port` for every interface (`::`,
 * or `0.0.0.0` when the machine has no IPv6). Throws for anything else, such as `vsock://` addresses.
 */
export function parseListenAddress (address: string, ipv6: boolean = hasIpv6()): ListenAddress {
  const colon = address.lastIndexOf(':')
  const portText = address.slice(colon + 1)
  let host = address.slice(0, Math.max(colon, 0))
  const bracketed = host.startsWith('[') && host.endsWith(']')
  if (bracketed) host = host.slice(1, -1)
  if (colon === -1 || (!bracketed && /[:/[\]]/.test(host)) || !/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new Error(`invalid listen address ${JSON.stringify(address)}: expected host:port, [ipv6-host]:port or :port`)
  }
  if (host === '') host = ipv6 ? '::' : '0.0.0.0'
  return { host, port: Number(portText) }
}

function hasIpv6 (): boolean {
  return Object.values(networkInterfaces()).some(list => (list as NetworkInterfaceInfo[]).some(info => info.family === 'IPv6'))
}

function boundAddress (app: FastifyInstance): string {
  const bound = app.server.address()
  /* c8 ignore next */
  if (bound === null || typeof bound === 'string') return String(bound)
  return bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`
}

// Go joins the telemetry path to the prefix with path.Join, which cleans it: `prom/` serves `/prom`.
function cleanPath (path: string): string {
  const joined = posix.join('/', path)
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined
}

// A URL Fastify cannot decode (no route, no hooks yet); Go's net/http answers these itself, in these words.
function badRequest (log: Logger) {
  return function answerBadRequest (_err: Error, request: FastifyRequest, reply: FastifyReply): void {
    log.debug('request rejected', { method: request.method, url: request.url, source: sourceOf(request), status: 400, err: '400 Bad Request' })
    reply.code(400).headers(TEXT_HEADERS).send('400 Bad Request')
  }
}

// Everything outside the plugin answers as the Go binary does: plain-text 404s, no body parsing.
function configure (app: FastifyInstance, prefix: string, log: Logger): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', function leaveBodyUnread (_request, payload, done) {
    done(null, payload)
  })
  app.setNotFoundHandler(async (request, reply) => {
    // The Go binary registers `GET /-/quit` outside the route prefix (a quirk kept for scripts that hit it).
    if (prefix !== '' && request.method === 'GET' && pathOf(request.url) === '/-/quit') {
      return reply.code(405).headers(TEXT_HEADERS).send('Only POST or PUT requests allowed.')
    }
    return reply.code(404).headers(TEXT_HEADERS).send('404 page not found\n')
  })
  app.setErrorHandler(async (err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) log.error('error handling request', { method: request.method, url: request.url, source: sourceOf(request), err: err.message })
    return reply.code(status).headers(TEXT_HEADERS).send(status === 500 ? 'Internal Server Error\n' : `${err.message}\n`)
  })
  app.addHook('onSend', async (request, reply, payload) => {
    logRejected(log, request, reply, payload)
    return payload
  })
}

// Client errors at debug, as the Go binary logs them; pushes refused as inconsistent at error, as it does.
function logRejected (log: Logger, request: FastifyRequest, reply: FastifyReply, payload: unknown): void {
  const status = reply.statusCode
  if (status < 400 || status >= 500) return
  // The plugin's answers are Buffers, this server's own strings; both read back as the text sent.
  const body = String(payload).trimEnd()
  if (body.startsWith(INCONSISTENT)) {
    log.error(INCONSISTENT.slice(0, -2), { method: request.method, source: sourceOf(request), err: body.slice(INCONSISTENT.length) })
  } else {
    log.debug('request rejected', { method: request.method, url: request.url, source: sourceOf(request), status, err: body })
  }
}

function sourceOf (request: FastifyRequest): string {
  const address = String(request.socket.remoteAddress)
  return address.includes(':') ? `[${address}]:${request.socket.remotePort}` : `${address}:${request.socket.remotePort}`
}

function pathOf (url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}
