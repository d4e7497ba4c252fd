import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { SecureContextOptions, TLSSocket } from 'node:tls'
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { posix } from 'node:path'
import { Registry, collectDefaultMetrics } from '../prom-client.js'
import { Pushgateway, withHeaders, writeResponse, type GatewayResponse, type PushgatewayOptions } from '../gateway.js'
import { InconsistentPushError } from '../errors.js'
import { computeRoutePrefix, defaultFlags, routePrefixOf, statusFlags, type ServerFlags } from './flags.js'
import { createLogger, type Logger } from '../log.js'
import { VERSION } from '../version.js'
import { BasicAuth, WebConfigFile, fileStamp, type WebConfig, type WebTlsConfig } from './web-config.js'
import { redisStore } from '../store/redis/redis-store.js'
import { connectRedis } from './redis-client.js'

/** A running standalone server. */
export interface RunningServer {
  /** The addresses it listens on, as bound: `host:port`, IPv6 hosts in brackets (`[::]:9091`). */
  addresses: string[]
  /** The gateway it serves. */
  gateway: Pushgateway
  /** Stops accepting connections, lets the requests in flight finish, writes the last snapshot, then resolves; rejects only when that snapshot could not be written. */
  close (): Promise<void>
  /** Resolves once the server has closed, whatever closed it (`close()` or `/-/quit`): with the error of the last snapshot if it could not be written, otherwise `undefined`. Never rejects. */
  closed: Promise<Error | undefined>
}

/** Where to listen, from a Go listen address. */
export interface ListenAddress {
  /** The host to bind (`::` or `0.0.0.0` for every interface). */
  host: string
  /** The TCP port; 0 picks a free one. */
  port: number
}

const TEXT_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }
const NOT_FOUND: GatewayResponse = { status: 404, headers: TEXT_HEADERS, body: '404 page not found\n' }
// Go's net/http answers a request URI it cannot parse itself, in these words and without a newline.
const BAD_REQUEST: GatewayResponse = { status: 400, headers: TEXT_HEADERS, body: '400 Bad Request' }
// The Go binary registers `GET /-/quit` outside the route prefix (a quirk kept for scripts that hit it).
const QUIT_OUTSIDE_PREFIX: GatewayResponse = { status: 405, headers: TEXT_HEADERS, body: 'Only POST or PUT requests allowed.' }
const INTERNAL_ERROR: GatewayResponse = { status: 500, headers: TEXT_HEADERS, body: 'Internal Server Error\n' }
// exporter-toolkit's answer to a request without the right basic auth credentials.
const UNAUTHORIZED: GatewayResponse = { status: 401, headers: { ...TEXT_HEADERS, 'www-authenticate': 'Basic' }, body: 'Unauthorized\n' }
// Node drops TLS 1.3 when `ciphers` names no TLS 1.3 suite; Go ignores cipher_suites for TLS 1.3 and keeps all of them.
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256'
const BAD_ESCAPE = /%(?![0-9a-fA-F]{2})/

/**
 * Starts the standalone Pushgateway, a drop-in for the Go binary: `node:http` servers on every
 * listen address, each handing the requests under the route prefix to one gateway's `handle()`,
 * and the Node process and runtime metrics in the gateway's own registry (where the Go binary has
 * `go_*` and `process_*`). `flags` default to the Go binary's defaults (`defaultFlags()`);
 * `logger` defaults to one built from the log flags, writing to stderr; `now` is the gateway's clock
 * in nanoseconds since the epoch (default: the system clock). Rejects when an address cannot be
 * listened on, after closing the others. With `webConfigFile`, the exporter-toolkit web config
 * file is read at start (rejecting with a `WebConfigError` naming the field when it is invalid) and
 * again when it changed, once per new connection: basic auth and headers apply per connection, TLS
 * settings and certificates per handshake; whether the server speaks TLS at all is decided at start.
 * With `redisUrl`, the groups are kept in that Redis (`redisStore`) through a node-redis client
 * that the server creates without waiting for it to connect (see `connectRedis`) and destroys
 * once it has closed.
 */
export async function startServer (flags: Partial<ServerFlags> = {}, logger?: Logger, now?: () => bigint): Promise<RunningServer> {
  const settings: ServerFlags = { ...defaultFlags(), ...flags }
  const log = logger ?? createLogger({ level: settings.logLevel, format: settings.logFormat })
  const prefix = routePrefixOf(settings)
  log.info({ version: VERSION }, 'starting pushgateway-middleware')
  log.info({ build_context: `(node=${process.version}, platform=${process.platform}/${process.arch})` }, 'Build context')
  log.debug({ url: settings.externalUrl }, 'external URL')
  log.debug({ path: computeRoutePrefix('', settings.externalUrl) }, 'path prefix used externally')
  log.debug({ path: prefix }, 'path prefix for internal routing')
  const webConfig = settings.webConfigFile === '' ? undefined : new WebConfigFile(settings.webConfigFile, message => { log.error({ err: message }, 'web config file') })
  const initialTls = webConfig?.current().tls
  // Built now so that unreadable certificate files stop the start, as they stop the Go binary.
  const initialContext = initialTls === undefined ? undefined : secureContextOptions(initialTls)

  const servers: Array<Server | HttpsServer> = []
  let stopping = false
  let closing: Promise<void> | undefined
  let resolveClosed!: (failure: Error | undefined) => void
  const closed = new Promise<Error | undefined>(resolve => { resolveClosed = resolve })
  const close = async (): Promise<void> => {
    closing ??= (async () => {
      stopping = true
      await Promise.all(servers.map(async server => stopListening(server)))
      log.info('HTTP server stopped')
      try {
        // After the last request: the final snapshot holds every push that was answered.
        await gateway.close()
        resolveClosed(undefined)
      } catch (err) {
        resolveClosed(err as Error)
        throw err
      } finally {
        // Every request is answered by now: nothing waits for Redis any more.
        redis?.destroy()
      }
    })()
    return closing
  }
  const quit = (): void => {
    log.warn('received termination request via web service, exiting gracefully...')
    close().catch(() => {}) // reported through `closed`
  }

  const redisTimeout = Number(settings.redisTimeoutNs / 1_000_000n)
  const redis = settings.redisUrl === '' ? undefined : await connectRedis(settings.redisUrl, redisTimeout, log, { cluster: settings.redisCluster })
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const options: PushgatewayOptions = {
    registry,
    telemetryPath: cleanPath(settings.telemetryPath),
    adminApi: settings.enableAdminApi,
    consistencyCheck: !settings.disableConsistencyCheck,
    utf8Names: settings.enableUtf8Names,
    bodyLimit: settings.bodyLimit,
    limits: settings.limits,
    readTimeout: settings.readTimeoutNs === 0n ? Infinity : Number(settings.readTimeoutNs / 1_000_000n),
    flags: statusFlags(settings),
    // The Go binary always serves its status page.
    ui: true,
    logger: log,
    now,
    ...expiryOf(settings),
    aggregation: { gaugeRule: settings.gaugeRule, gaugeRules: settings.gaugeRules },
    ...(settings.persistenceFile === '' ? {} : { persistence: { file: settings.persistenceFile, interval: Number(settings.persistenceIntervalNs / 1_000_000n) } }),
    ...(settings.enableLifecycle ? { onQuit: quit } : {})
  }
  let gateway: Pushgateway
  try {
    gateway = new Pushgateway(redis === undefined ? options : { ...options, store: redisStore({ client: redis, prefix: settings.redisPrefix, timeout: redisTimeout }) })
  } catch (err) {
    redis?.destroy()
    throw err
  }

  // The web config in force on each connection, fixed when the connection was accepted.
  const configs = new WeakMap<Socket, WebConfig>()
  let auth: { users: Readonly<Record<string, string>>, check: BasicAuth } | undefined
  const authorized = async (config: WebConfig, req: IncomingMessage): Promise<boolean> => {
    // One BasicAuth per users mapping, so that its memory of accepted passwords lasts until the users change.
    if (auth?.users !== config.basicAuthUsers) auth = { users: config.basicAuthUsers, check: new BasicAuth(config.basicAuthUsers) }
    return auth.check.check(req.headers.authorization)
  }

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url as string
    const method = req.method as string
    const config = configs.get(req.socket)
    let answer: GatewayResponse
    try {
      answer = config !== undefined && !await authorized(config, req) ? UNAUTHORIZED : await respond(gateway, prefix, method, url, req)
      // Lower-cased like the gateway's own, so that a configured header replaces one the gateway set.
      if (config !== undefined) answer = withHeaders(answer, Object.fromEntries(Object.entries(config.headers).map(([name, value]) => [name.toLowerCase(), value])))
    } catch (err) {
      log.error({ method, url, source: sourceOf(req), err: (err as Error).message }, 'error handling request')
      answer = INTERNAL_ERROR
    }
    logRejected(log, req, answer)
    // While closing, no connection is kept for another request.
    if (stopping) answer = withHeaders(answer, { connection: 'close' })
    writeResponse(res, answer)
  }

  const addresses: string[] = []
  try {
    const targets: Array<ListenAddress | { fd: number }> = settings.systemdSocket ? systemdListeners(process.env) : settings.listenAddresses.map(address => parseListenAddress(address))
    if (targets.length === 0) throw new Error('no --web.listen-address given')
    for (const target of targets) {
      const handler = (req: IncomingMessage, res: ServerResponse): void => { serve(req, res).catch(() => {}) }
      const server = initialContext === undefined ? createServer(handler) : createHttpsServer({ ...initialContext, ...clientCertOptions(initialTls as WebTlsConfig) }, handler)
      if (webConfig !== undefined) watchConnections(server, webConfig, configs, initialTls, log)
      servers.push(server)
      await listen(server, target)
      const bound = boundAddress(server)
      addresses.push(bound)
      log.info({ address: bound }, 'Listening on')
    }
  } catch (err) {
    await close()
    throw err
  }
  return { addresses, gateway, close, closed }
}

// Reads the web config once per new connection. On a TLS server, before the handshake starts (the
// listener runs before Node's own): a changed TLS config or certificate file becomes the server's
// secure context through setSecureContext, and the client certificate mode its requestCert and
// rejectUnauthorized, which Node reads for every new connection. What Node cannot check during the
// handshake is checked once it is done, closing the connection before any request is read.
function watchConnections (server: Server | HttpsServer, file: WebConfigFile, configs: WeakMap<Socket, WebConfig>, initialTls: WebTlsConfig | undefined, log: Logger): void {
  if (initialTls === undefined) {
    server.on('connection', (socket: Socket) => { configs.set(socket, file.current()) })
    return
  }
  const https = server as HttpsServer
  let applied = tlsStamp(initialTls)
  let tls = initialTls
  https.prependListener('connection', () => {
    // A file that drops TLS keeps the last TLS settings: the server cannot stop speaking TLS.
    const next = file.current().tls ?? tls
    const stamp = tlsStamp(next)
    if (stamp === applied) return
    try {
      https.setSecureContext(secureContextOptions(next))
      Object.assign(https, clientCertOptions(next))
      tls = next
    } catch (err) {
      log.error({ err: (err as Error).message }, 'web config file: could not load the TLS certificates; keeping the last good ones')
    }
    applied = stamp
  })
  https.prependListener('secureConnection', (socket: TLSSocket) => {
    const problem = clientCertProblem(tls, socket)
    if (problem !== undefined) {
      log.debug({ source: `${String(socket.remoteAddress)}:${String(socket.remotePort)}`, err: problem }, 'TLS client refused')
      socket.destroy()
      return
    }
    configs.set(socket, file.current())
  })
}

// What decides the secure context: the TLS settings and the certificate files as they are on disk.
function tlsStamp (tls: WebTlsConfig): string {
  const files = [tls.certFile, tls.keyFile, tls.clientCaFile].filter(file => file !== '').map(fileStamp)
  return JSON.stringify([tls, files])
}

function secureContextOptions (tls: WebTlsConfig): SecureContextOptions {
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ...(tls.clientCaFile === '' ? {} : { ca: readFileSync(tls.clientCaFile) }),
    minVersion: tls.minVersion,
    ...(tls.maxVersion === undefined ? {} : { maxVersion: tls.maxVersion }),
    ...(tls.ciphers.length === 0 ? {} : { ciphers: `${TLS13_SUITES}:${tls.ciphers.join(':')}` }),
    ...(tls.curves.length === 0 ? {} : { ecdhCurve: tls.curves.join(':') }),
    honorCipherOrder: tls.preferServerCipherSuites
  }
}

// Only RequireAndVerifyClientCert maps to Node exactly (a handshake without a valid certificate
// fails); the other modes that ask for a certificate let the handshake finish and are checked by
// clientCertProblem.
function clientCertOptions (tls: WebTlsConfig): { requestCert: boolean, rejectUnauthorized: boolean } {
  return { requestCert: tls.clientAuthType !== 'NoClientCert', rejectUnauthorized: tls.clientAuthType === 'RequireAndVerifyClientCert' }
}

function clientCertProblem (tls: WebTlsConfig, socket: TLSSocket): string | undefined {
  const cert = socket.getPeerCertificate()
  const given = Object.keys(cert).length > 0
  const type = tls.clientAuthType
  if (!given) return type === 'RequireAnyClientCert' ? 'client certificate required' : undefined
  if (type === 'VerifyClientCertIfGiven' && !socket.authorized) return `client certificate not verified: ${String(socket.authorizationError)}`
  if (tls.clientAllowedSans.length === 0) return undefined
  const sans = (cert.subjectaltname ?? '').split(', ').map(entry => entry.slice(entry.indexOf(':') + 1))
  return sans.some(san => tls.clientAllowedSans.includes(san)) ? undefined : 'client certificate SAN not allowed'
}

/** The answer to one request: the gateway's under the route prefix, Go's own outside it. */
async function respond (gateway: Pushgateway, prefix: string, method: string, url: string, req: IncomingMessage): Promise<GatewayResponse> {
  const path = pathOf(url)
  if (BAD_ESCAPE.test(path)) return BAD_REQUEST
  let relative = url
  if (prefix !== '') {
    if (path !== prefix && !path.startsWith(prefix + '/')) return method === 'GET' && path === '/-/quit' ? QUIT_OUTSIDE_PREFIX : NOT_FOUND
    relative = url.slice(prefix.length)
    if (!relative.startsWith('/')) relative = '/' + relative
  }
  return gateway.handle({ method, url: relative, headers: req.headers, body: req, native: req, mount: prefix })
}

async function listen (server: Server | HttpsServer, target: ListenAddress | { fd: number }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen('fd' in target ? { fd: target.fd } : { port: target.port, host: target.host }, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

// Resolves once the requests in flight are answered (with `Connection: close`, which ends their
// connections); idle keep-alive connections are closed at once.
async function stopListening (server: Server | HttpsServer): Promise<void> {
  if (!server.listening) return
  const stopped = new Promise<void>(resolve => { server.close(() => { resolve() }) })
  server.closeIdleConnections()
  await stopped
}

function expiryOf (flags: ServerFlags): Pick<PushgatewayOptions, 'expiry'> {
  const jobs = Object.entries(flags.jobTtlsNs)
  if (flags.groupTtlNs === 0n && jobs.length === 0) return {}
  const ms = (ns: bigint): number => ns === 0n ? Infinity : Number(ns) / 1e6
  return { expiry: { ttl: ms(flags.groupTtlNs), overrides: Object.fromEntries(jobs.map(([job, ns]) => [job, ms(ns)])) } }
}

/**
 * The sockets systemd passes to this process for socket activation (`LISTEN_PID`, `LISTEN_FDS`,
 * first descriptor 3), as go-systemd's `activation.Listeners` finds them; throws when there are none.
 */
export function systemdListeners (env: NodeJS.ProcessEnv, pid: number = process.pid): Array<{ fd: number }> {
  const count = env.LISTEN_PID === String(pid) ? Number(env.LISTEN_FDS) : 0
  if (!(count > 0)) throw new Error('no socket activation file descriptors found (--web.systemd-socket needs LISTEN_PID and LISTEN_FDS from systemd)')
  return Array.from({ length: count }, (_, i) => ({ fd: 3 + i }))
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

function boundAddress (server: Server | HttpsServer): string {
  const bound = server.address()
  /* c8 ignore next */
  if (bound === null || typeof bound === 'string') return String(bound)
  return bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`
}

// Go joins the telemetry path to the prefix with path.Join, which cleans it: `prom/` serves `/prom`.
function cleanPath (path: string): string {
  const joined = posix.join('/', path)
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined
}

// Client errors at debug, as the Go binary logs them; pushes refused as inconsistent at error, as it does.
function logRejected (log: Logger, req: IncomingMessage, answer: GatewayResponse): void {
  if (answer.status < 400 || answer.status >= 500) return
  const method = req.method as string
  const source = sourceOf(req)
  if (answer.error instanceof InconsistentPushError) {
    log.error({ method, source, err: answer.error.detail }, 'pushed metrics are invalid or inconsistent with existing metrics')
  } else {
    log.debug({ method, url: req.url as string, source, status: answer.status, err: String(answer.body).trimEnd() }, 'request rejected')
  }
}

function sourceOf (req: IncomingMessage): string {
  const address = String(req.socket.remoteAddress)
  return address.includes(':') ? `[${address}]:${req.socket.remotePort}` : `${address}:${req.socket.remotePort}`
}

function pathOf (url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}
