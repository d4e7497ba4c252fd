import t from 'tap'
import { EventEmitter } from 'node:events'
import { connectRedis, type NodeRedisClient, type NodeRedisCluster, type NodeRedisClusterOptions, type NodeRedisOptions, type RedisModule } from '../../src/standalone/redis-client.js'
import { createLogger } from '../../src/log.js'
import { eventually } from '../helpers/clock.js'
import { startRedis, startRedisCluster } from '../helpers/redis.js'

// What the fake client and the fake cluster share: options kept, connect() counted.
class FakeConnection<Options> extends EventEmitter {
  isReady = false
  connects = 0
  constructor (readonly options: Options, readonly connectResult: () => Promise<unknown>) {
    super()
  }

  async sendCommand (): Promise<unknown> {
    return 'OK'
  }

  async connect (): Promise<unknown> {
    this.connects++
    return this.connectResult()
  }
}

class FakeClient extends FakeConnection<NodeRedisOptions> implements NodeRedisClient {
  destroyed = false
  destroy (): void {
    this.destroyed = true
  }
}

class FakeCluster extends FakeConnection<NodeRedisClusterOptions> implements NodeRedisCluster {
  masters = []
  destroy (): void {
    this.emit('disconnect')
  }
}

function fakeModule (connectResult: () => Promise<unknown> = async () => new Promise(() => {})) {
  const made: FakeClient[] = []
  const clusters: FakeCluster[] = []
  const module: RedisModule = {
    createClient: options => {
      const client = new FakeClient(options, connectResult)
      made.push(client)
      return client
    },
    createCluster: options => {
      const cluster = new FakeCluster(options, connectResult)
      clusters.push(cluster)
      return cluster
    }
  }
  return { made, clusters, load: async () => module }
}

function logger () {
  const lines: string[] = []
  return { lines, log: createLogger({ level: 'debug', write: line => { lines.push(line) } }) }
}

t.test('a missing redis package: the error says to install it', async t => {
  const { log } = logger()
  await t.rejects(connectRedis('redis://127.0.0.1:6379', 2000, log, { load: async () => { throw new Error("Cannot find package 'redis' imported from /app/cli.js") } }),
    new Error("--store.redis-url needs the redis package, which could not be loaded (Cannot find package 'redis' imported from /app/cli.js): npm install redis"))
})

t.test('creates the client as documented and starts connecting without waiting', async t => {
  const fake = fakeModule()
  const { lines, log } = logger()
  const client = await connectRedis('rediss://pgw:secret@redis.example.com:6380/1', 1500, log, { load: fake.load })
  const made = fake.made[0] as FakeClient
  t.equal(client, made)
  t.equal(made.connects, 1, 'connect() called, not awaited: it never settles here')
  t.match(made.options, { url: 'rediss://pgw:secret@redis.example.com:6380/1', disableOfflineQueue: true, socket: { connectTimeout: 1500 } })
  t.same([0, 1, 2, 5, 6, 100].map(retries => made.options.socket.reconnectStrategy(retries)), [50, 100, 200, 1600, 2000, 2000], 'from 50 ms, doubling, up to 2 s')
  t.same(lines, [], 'nothing logged before an event')
})

t.test('an outage is logged once, not at every attempt; each connection at info', async t => {
  const fake = fakeModule()
  const { lines, log } = logger()
  await connectRedis('redis://:secret@127.0.0.1:1/0', 2000, log, { load: fake.load })
  const made = fake.made[0] as FakeClient
  made.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:1'))
  made.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:1'))
  made.emit('error', Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }))
  t.equal(lines.length, 1)
  t.match(lines[0], 'level=warn msg="cannot reach Redis; reconnecting" url=redis://:xxxxx@127.0.0.1:1/0 err="connect ECONNREFUSED 127.0.0.1:1"\n')
  made.emit('ready')
  t.match(lines[1], 'level=info msg="connected to Redis" url=redis://:xxxxx@127.0.0.1:1/0\n')
  made.emit('error', Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }))
  made.emit('error', new Error('Socket closed unexpectedly'))
  t.equal(lines.length, 3, 'the next outage is logged, once')
  t.match(lines[2], 'level=warn msg="cannot reach Redis; reconnecting" url=redis://:xxxxx@127.0.0.1:1/0 err=ECONNREFUSED\n', 'an error without a message shows its code')
})

t.test('a connect() that rejects (the client destroyed while connecting) is not an unhandled rejection', async t => {
  const fake = fakeModule(async () => { throw new Error('The client is closed') })
  const { lines, log } = logger()
  await connectRedis('redis://127.0.0.1:1', 2000, log, { load: fake.load })
  // A turn of the event loop, in which an unhandled rejection would fail the test.
  await new Promise(resolve => setImmediate(resolve))
  t.same(lines, [])
})

t.test('with a real Redis: connects, logs one outage while it is down, reconnects when it is back', async t => {
  const redis = await startRedis(t)
  if (redis === undefined) return
  const { lines, log } = logger()
  const client = await connectRedis(redis.url, 2000, log) as NodeRedisClient
  t.teardown(() => { client.destroy() })
  await eventually(() => client.isReady, 'the client is ready')
  t.equal(await client.sendCommand(['PING']), 'PONG')
  await eventually(() => lines.some(line => line.includes('msg="connected to Redis"')), 'the connection is logged')
  await redis.stop()
  await eventually(() => !client.isReady, 'the client sees Redis gone')
  await t.rejects(client.sendCommand(['PING']), 'commands fail at once while disconnected (no offline queue)')
  await eventually(() => lines.some(line => line.includes('msg="cannot reach Redis')), 'the outage is logged')
  await redis.start()
  await eventually(() => client.isReady, 'the client reconnects')
  t.equal(await client.sendCommand(['PING']), 'PONG')
  t.equal(lines.filter(line => line.includes('msg="cannot reach Redis')).length, 1, 'one line for the whole outage, whatever the attempts')
  t.equal(lines.filter(line => line.includes('msg="connected to Redis"')).length, 2)
})

t.test('a cluster client takes the URL as its root node, and its credentials and TLS for every node', async t => {
  const fake = fakeModule()
  const { log } = logger()
  const client = await connectRedis('rediss://pgw%40eu:s%3Acret@redis.example.com:7000', 1500, log, { cluster: true, load: fake.load })
  const made = fake.clusters[0] as FakeCluster
  t.equal(client, made)
  t.equal(fake.made.length, 0, 'no plain client')
  t.equal(made.connects, 1, 'connect() called, not awaited')
  t.match(made.options, { rootNodes: [{ url: 'rediss://pgw%40eu:s%3Acret@redis.example.com:7000' }], defaults: { username: 'pgw@eu', password: 's:cret', disableOfflineQueue: true, socket: { tls: true, connectTimeout: 1500 } } })
  t.same([0, 3, 100].map(retries => made.options.defaults.socket.reconnectStrategy(retries)), [50, 400, 2000])
  await connectRedis('redis://127.0.0.1:7000', 1500, log, { cluster: true, load: fake.load })
  const plain = (fake.clusters[1] as FakeCluster).options.defaults
  t.same([plain.username, plain.password, plain.socket.tls], [undefined, undefined, false], 'no credentials, no TLS')
})

t.test('a cluster whose root node does not answer is asked again until it does; the outage is logged once', async t => {
  let failures = 3
  const fake = fakeModule(async () => {
    if (failures-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:7000')
    // As node-redis does: each node's connection is ready before the cluster is.
    const cluster = fake.clusters[0] as FakeCluster
    cluster.emit('node-ready')
    cluster.isReady = true
    cluster.emit('connect')
  })
  const { lines, log } = logger()
  await connectRedis('redis://127.0.0.1:7000', 2000, log, { cluster: true, load: fake.load })
  const made = fake.clusters[0] as FakeCluster
  await eventually(() => made.connects === 4, 'asked four times')
  t.equal(lines.length, 2, 'the outage and the connection, once each')
  t.match(lines[0], 'level=warn msg="cannot reach Redis; reconnecting" url=redis://127.0.0.1:7000 err="connect ECONNREFUSED 127.0.0.1:7000"\n')
  t.match(lines[1], 'level=info msg="connected to Redis" url=redis://127.0.0.1:7000\n')
  made.emit('node-ready')
  t.equal(lines.length, 2, 'a node ready while nothing was down is not logged')
  made.emit('node-error', new Error('Socket closed unexpectedly'))
  made.emit('error', new Error('Socket closed unexpectedly'))
  made.emit('node-ready')
  t.same(lines.slice(2).map(line => /msg="([^"]+)"/.exec(line)?.[1]), ['cannot reach Redis; reconnecting', 'connected to Redis'], 'a node\'s outage, once, and its return')
})

t.test('a cluster destroyed while it is being found is not asked again', async t => {
  let fail = (): void => {}
  const fake = fakeModule(async () => { await new Promise<void>(resolve => { fail = resolve }); throw new Error('Cluster closed') })
  const { lines, log } = logger()
  const client = await connectRedis('redis://127.0.0.1:7000', 2000, log, { cluster: true, load: fake.load })
  client.destroy()
  fail()
  // Turns of the event loop, in which a retry or an unhandled rejection would show.
  for (let i = 0; i < 3; i++) await new Promise(resolve => setImmediate(resolve))
  t.equal((fake.clusters[0] as FakeCluster).connects, 1)
  t.same(lines, [], 'nothing logged')
})

t.test('with a real Redis Cluster: found once it is up, commands on the node of their key', async t => {
  const redis = await startRedisCluster(t)
  if (redis === undefined) return
  await redis.stop()
  const { lines, log } = logger()
  const client = await connectRedis(redis.url, 2000, log, { cluster: true }) as NodeRedisCluster
  t.teardown(() => { client.destroy() })
  await eventually(() => lines.some(line => line.includes('msg="cannot reach Redis')), 'the outage is logged')
  t.notOk(client.isReady)
  await redis.start()
  await eventually(() => client.isReady, 'the cluster is found once its node is up')
  // The restarted node answers CLUSTERDOWN until it has taken its slots back.
  await eventually(async () => await client.sendCommand('{p}:log', false, ['SET', '{p}:compacting', 'x']).catch(() => undefined) === 'OK', 'a command on the node of its key')
  t.equal(lines.filter(line => line.includes('msg="connected to Redis"')).length, 1)
})
