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

/** The part of a node-redis Redis Cluster client the standalone server uses; `createCluster()`'s client is one. */
export interface NodeRedisCluster {
  /** True once the cluster's nodes were found and until it is destroyed. */
  readonly isReady: boolean
  /** The cluster's masters. */
  readonly masters: readonly unknown[]
  /** Runs one command on the node that serves `firstKey`'s slot. */
  sendCommand (firstKey: string, isReadonly: boolean, args: string[]): Promise<unknown>
  /** Finds the cluster's nodes from the root nodes and connects to them; rejects when no root node answers. */
  connect (): Promise<unknown>
  /** Closes every connection at once, failing the commands in flight; emits `disconnect`. */
  destroy (): void
  /** Listens for errors of the cluster (`error`) and of each node's connection (`node-error`). */
  on (event: 'error' | 'node-error', listener: (err: Error) => void): unknown
  /** Listens for the cluster found (`connect`), a node's connection ready (`node-ready`) and the cluster destroyed (`disconnect`). */
  on (event: 'connect' | 'node-ready' | 'disconnect', listener: () => void): unknown
}

/** The options the standalone server creates its node-redis cluster client with. */
export interface NodeRedisClusterOptions {
  /** The node given by the URL, from which the others are found. */
  rootNodes: Array<{ url: string }>
  /** What every node's connection takes: the URL's credentials and TLS, and the client's options. */
  defaults: {
    /** The URL's user name, if any. */
    username?: string
    /** The URL's password, if any. */
    password?: string
    /** Fail commands while disconnected instead of queueing them. */
    disableOfflineQueue: boolean
    /** How each node's connection connects and reconnects. */
    socket: NodeRedisOptions['socket'] & {
      /** TLS, for a `rediss://` URL. */
      tls: boolean
    }
  }
}

/** The part of the `redis` package the standalone server uses. */
export interface RedisModule {
  /** Creates a client, not yet connected. */
  createClient (options: NodeRedisOptions): NodeRedisClient
  /** Creates a Redis Cluster client, not yet connected. */
  createCluster (options: NodeRedisClusterOptions): NodeRedisCluster
}

/** How `connectRedis` connects. */
export interface ConnectRedisOptions {
  /** Take the URL as one node of a Redis Cluster (`--store.redis-cluster`). Default `false`. */
  cluster?: boolean
  /** Loads the `redis` package. Default: `import('redis')`. */
  load?: () => Promise<RedisModule>
}

// The package is an optional peer dependency: loaded only when a Redis store is asked for.
async function loadRedis (): Promise<RedisModule> {
  return await import('redis')
}

/**
 * Creates a node-redis client for `url` and starts connecting without waiting for it (a server
 * started while Redis is down starts all the same; its store answers 503 until Redis is up).
 * Commands fail at once while the client is disconnected; it reconnects after 50 ms, doubling up
 * to 2 s, forever. An outage is logged once with its cause, at warn level (not at each attempt;
 * the store logs what it means for requests), the connection at info. `timeoutMs` bounds each
 * attempt to connect. With `cluster`, the client is a Redis Cluster client that finds the other
 * nodes from the URL's, with the URL's credentials and TLS for every node, and tries to find them
 * again on the same schedule until it does. Rejects with an error saying to install `redis` when
 * it cannot be loaded.
 */
export async function connectRedis (url: string, timeoutMs: number, log: Logger, { cluster = false, load = loadRedis }: ConnectRedisOptions = {}): Promise<NodeRedisClient | NodeRedisCluster> {
  let redis: RedisModule
  try {
    redis = await load()
  } catch (err) {
    throw new Error(`--store.redis-url needs the redis package, which could not be loaded (${(err as Error).message}): npm install redis`)
  }
  const shown = redactedUrl(url)
  const socket = { connectTimeout: timeoutMs, reconnectStrategy: retryDelay }
  let down = false
  const lost = (err: Error): void => {
    if (down) return
    down = true
    // A connection refused on a host with several addresses is an AggregateError without a message.
    log.warn({ url: shown, err: err.message === '' ? String((err as NodeJS.ErrnoException).code) : err.message }, 'cannot reach Redis; reconnecting')
  }
  const connected = (): void => {
    log.info({ url: shown }, 'connected to Redis')
    down = false
  }
  if (!cluster) {
    const client = redis.createClient({ url, disableOfflineQueue: true, socket })
    client.on('error', lost)
    client.on('ready', connected)
    client.connect().catch(() => {}) // failures are the 'error' events above; it is only given up by destroy()
    return client
  }
  const { username, password, protocol } = new URL(url)
  const client = redis.createCluster({
    rootNodes: [{ url }],
    defaults: {
      ...(username === '' ? {} : { username: decodeURIComponent(username) }),
      ...(password === '' ? {} : { password: decodeURIComponent(password) }),
      disableOfflineQueue: true,
      socket: { ...socket, tls: protocol === 'rediss:' }
    }
  })
  client.on('error', lost)
  client.on('node-error', lost)
  client.on('connect', connected)
  // After an outage, a node's connection back is the cluster's; while the cluster is being found, 'connect' tells.
  client.on('node-ready', () => { if (down && client.isReady) connected() })
  // The cluster client gives up when no root node answers: it is asked again until destroy().
  let retries = 0
  let retry: NodeJS.Timeout | undefined
  let destroyed = false
  client.on('disconnect', () => {
    destroyed = true
    clearTimeout(retry)
  })
  const attempt = (): void => {
    client.connect().catch((err: unknown) => {
      if (destroyed) return
      lost(err as Error)
      retry = setTimeout(attempt, retryDelay(retries++))
    })
  }
  attempt()
  return client
}

// From 50 ms, doubling, up to 2 s.
function retryDelay (retries: number): number {
  return Math.min(50 * 2 ** retries, 2000)
}
