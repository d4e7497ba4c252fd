import type { Logger } from '../log.js'
import { redactedUrl } from './flags.js'

/** The part of a node-redis client the standalone server uses; `createClient()`'s client is one. */
export interface NodeRedisClient {
  /** True while the client is connected and can run commands. */
  readonly isReady: boolean
  /** Runs one command. */
  sendCommand (args: readonly string[]): Promise<unknown>
  /** Connects, retrying as the reconnect strategy says; resolves once connected. */
  connect (): Promise<unknown>
  /** Closes the connection at once, failing the commands in flight, and stops reconnecting. */
  destroy (): void
  /** Listens for connection errors, emitted at every failed attempt. */
  on (event: 'error', listener: (err: Error) => void): unknown
  /** Listens for the client becoming ready, after each (re)connection. */
  on (event: 'ready', listener: () => void): unknown
}

/** The options the standalone server creates its node-redis client with. */
export interface NodeRedisOptions {
  /** The `redis://` or `rediss://` URL. */
  url: string
  /** Fail commands while disconnected instead of queueing them. */
  disableOfflineQueue: boolean
  /** How the client connects and reconnects. */
  socket: {
    /** Milliseconds allowed to connect. */
    connectTimeout: number
    /** Milliseconds to wait before the next attempt to reconnect. */
    reconnectStrategy: (retries: number) => number
  }
}

/** The part of the `redis` package the standalone server uses. */
export interface RedisModule {
  /** Creates a client, not yet connected. */
  createClient (options: NodeRedisOptions): NodeRedisClient
}

// The package is an optional peer dependency: loaded only when a Redis store is asked for.
async function loadRedis (): Promise<RedisModule> {
  return await import('redis')
}

/**
 * Creates a node-redis client for `url` and starts connecting without waiting for it (a server
 * started while Redis is down starts all the same; its store answers 503 until Redis is back).
 * Commands fail at once while the client is disconnected; it reconnects after 50 ms, doubling up
 * to 2 s, forever. An outage is logged once with its cause, at warn level (not at each attempt;
 * the store logs what it means for requests), the connection at info. `timeoutMs` bounds each attempt to connect. `load` loads the `redis` package (default:
 * `import('redis')`); rejects with an error saying to install it when it cannot be loaded.
 */
export async function connectRedis (url: string, timeoutMs: number, log: Logger, load: () => Promise<RedisModule> = loadRedis): Promise<NodeRedisClient> {
  let redis: RedisModule
  try {
    redis = await load()
  } catch (err) {
    throw new Error(`--store.redis-url needs the redis package, which could not be loaded (${(err as Error).message}): npm install redis`)
  }
  const shown = redactedUrl(url)
  const client = redis.createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: timeoutMs, reconnectStrategy: retries => Math.min(50 * 2 ** retries, 2000) }
  })
  let down = false
  client.on('error', err => {
    if (down) return
    down = true
    // A connection refused on a host with several addresses is an AggregateError without a message.
    log.warn({ url: shown, err: err.message === '' ? String((err as NodeJS.ErrnoException).code) : err.message }, 'cannot reach Redis; reconnecting')
  })
  client.on('ready', () => {
    log.info({ url: shown }, 'connected to Redis')
    down = false
  })
  client.connect().catch(() => {}) // failures are the 'error' events above; it is only given up by destroy()
  return client
}
