import Fastify, { type FastifyInstance } from 'fastify'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { Pushgateway } from './gateway.js'
import { fastifyPushgateway } from './fastify.js'
import { routePrefixOf, statusFlags, type ServerFlags } from './flags.js'
import type { Logger } from './log.js'
import { VERSION } from './version.js'

/** A running standalone server. */
export interface RunningServer {
  /** The addresses it listens on, as `host:port` (IPv6 hosts in brackets). */
  addresses: string[]
  /** The gateway it serves. */
  gateway: Pushgateway
  /** Stops accepting requests, lets the ones in flight finish, then resolves. */
  close (): Promise<void>
  /** Resolves once the server has closed, whatever closed it (`close()` or `/-/quit`). */
  closed: Promise<void>
}

/**
 * Starts the standalone Pushgateway, a drop-in for the Go binary: Fastify with the plugin at the
 * route prefix, on every listen address, with the Node process and runtime metrics in its own registry.
 */
export async function startServer (flags: ServerFlags, logger: Logger): Promise<RunningServer> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const apps: FastifyInstance[] = []
  let closing: Promise<void> | undefined
  let resolveClosed!: () => void
  const closed = new Promise<void>(resolve => { resolveClosed = resolve })
  // Never rejects, so callers may fire and forget it.
  const close = async (): Promise<void> => {
    closing ??= Promise.allSettled(apps.map(app => app.close())).then(results => {
      for (const result of results) {
        /* c8 ignore next */
        if (result.status === 'rejected') logger.error('error while closing', { err: String(result.reason) })
      }
      logger.info('See you next time!')
      resolveClosed()
    })
    return closing
  }
  const quit = (): void => {
    logger.info('Received termination request via web service, exiting gracefully...')
    // eslint-disable-next-line no-void -- close() never rejects
    void close()
  }
  const gateway = new Pushgateway({
    registry,
    telemetryPath: flags.telemetryPath,
    adminApi: flags.enableAdminApi,
    consistencyCheck: !flags.disableConsistencyCheck,
    flags: statusFlags(flags),
    ...(flags.enableLifecycle ? { onQuit: quit } : {})
  })
  if (flags.persistenceFile !== '') {
    logger.warn('persistence is not implemented yet: nothing will be written to the persistence file', { file: flags.persistenceFile })
  }
  const prefix = routePrefixOf(flags)
  const addresses: string[] = []
  try {
    for (const address of flags.listenAddresses) {
      const app = Fastify()
      apps.push(app)
      app.addHook('onResponse', async (request, reply) => {
        if (reply.statusCode >= 400) logger.debug('request failed', { method: request.method, url: request.url, status: reply.statusCode })
      })
      await app.register(fastifyPushgateway, prefix === '' ? { gateway } : { gateway, prefix })
      addresses.push(await listen(app, address))
    }
  } catch (err) {
    await close()
    throw err
  }
  logger.info('Starting pushgateway-middleware', { version: VERSION })
  for (const address of addresses) logger.info('Listening on', { address })
  return { addresses, gateway, close, closed }
}

// Go's listen address syntax: `:9091` (every interface), `host:port`, `[::1]:9091`.
async function listen (app: FastifyInstance, address: string): Promise<string> {
  const colon = address.lastIndexOf(':')
  const port = Number(address.slice(colon + 1))
  let host = address.slice(0, colon)
  if (colon === -1 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid listen address ${JSON.stringify(address)}: expected host:port`)
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  await app.listen({ port, host: host === '' ? '::' : host })
  const bound = app.server.address()
  /* c8 ignore next */
  if (bound === null || typeof bound === 'string') return address
  return bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`
}
