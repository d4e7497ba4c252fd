import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { pushgateway } from '../../src/express.js'
import { fastifyPushgateway } from '../../src/fastify.js'
import { startServer } from '../../src/standalone/server.js'
import { createLogger } from '../../src/log.js'
import type { ServerFlags } from '../../src/standalone/flags.js'
import type { PushgatewayOptions } from '../../src/gateway.js'

/** The ways this package serves a Pushgateway. */
export type FrontEndKind = 'express' | 'fastify' | 'standalone'

/** Every front end, in the order the tests run them. */
export const FRONT_ENDS: readonly FrontEndKind[] = ['express', 'fastify', 'standalone']

/** One of our gateways, listening on loopback. */
export interface FrontEnd {
  kind: FrontEndKind
  /** `http://127.0.0.1:<port>`, plus the mount path when there is one. */
  base: string
  /** Where the gateway is mounted (`''` at the root); push paths go after it. */
  mount: string
  close: () => Promise<void>
}

/** How to start a front end. */
export interface FrontEndOptions {
  /** Where to mount the gateway in the Express and Fastify apps. Default `''` (the root, like the reference). */
  mount?: string
  /** The core's `consistencyCheck` (`--push.disable-consistency-check` when false). Default `true`. */
  consistencyCheck?: boolean
  /** Extra core options for the Express and Fastify mounts. Default none. */
  options?: PushgatewayOptions
  /** Extra flags for the standalone server. Default none. */
  flags?: Partial<ServerFlags>
}

/**
 * Starts one of our front ends on a free loopback port with the admin API on: an Express 5 app
 * with the middleware, a Fastify app with the plugin (each with a registry of its own and a route
 * of the app's beside the gateway), or the standalone server the CLI runs.
 */
export async function startFrontEnd (kind: FrontEndKind, settings: FrontEndOptions = {}): Promise<FrontEnd> {
  const mount = settings.mount ?? ''
  const options: PushgatewayOptions = { registry: new Registry(), adminApi: true, consistencyCheck: settings.consistencyCheck ?? true, ...settings.options }
  if (kind === 'express') {
    const app = express()
    app.get('/app', (_req, res) => { res.send('app') })
    app.use(mount === '' ? '/' : mount, pushgateway(options))
    const server = await new Promise<Server>(resolve => { const s = app.listen(0, '127.0.0.1', () => { resolve(s) }) })
    const port = (server.address() as AddressInfo).port
    return { kind, mount, base: `http://127.0.0.1:${port}`, close: async () => { await new Promise(resolve => { server.close(resolve); server.closeAllConnections() }) } }
  }
  if (kind === 'fastify') {
    const app = Fastify()
    app.get('/app', async () => 'app')
    await app.register(fastifyPushgateway, mount === '' ? options : { ...options, prefix: mount })
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    return { kind, mount, base: address, close: async () => { await app.close() } }
  }
  const server = await startServer({
    listenAddresses: ['127.0.0.1:0'],
    routePrefix: mount,
    enableAdminApi: true,
    disableConsistencyCheck: settings.consistencyCheck === false,
    ...settings.flags
  }, createLogger({ level: 'error', write: () => {} }))
  return { kind, mount, base: `http://${server.addresses[0] as string}`, close: async () => { await server.close() } }
}
