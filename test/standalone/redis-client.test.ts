import t from 'tap'
import { EventEmitter } from 'node:events'
import { connectRedis, type NodeRedisClient, type NodeRedisOptions, type RedisModule } from '../../src/standalone/redis-client.js'
import { createLogger } from '../../src/log.js'
import { eventually } from '../helpers/clock.js'
import { startRedis } from '../helpers/redis.js'

class FakeClient extends EventEmitter implements NodeRedisClient {
  isReady = false
  destroyed = false
  connects = 0
  constructor (readonly options: NodeRedisOptions, readonly connectResult: () => Promise<unknown>) {
    super()
  }

  async sendCommand (): Promise<unknown> {
    return 'OK'
  }

  async connect (): Promise<unknown> {
    this.connects++
    return this.connectResult()
  }

  destroy (): void {
    this.destroyed = true
  }
}

function fakeModule (connectResult: () => Promise<unknown> = async () => new Promise(() => {})) {
  const made: FakeClient[] = []
  const module: RedisModule = {
    createClient: options => {
      const client = new FakeClient(options, connectResult)
      made.push(client)
      return client
    }
  }
  return { made, load: async () => module }
}

function logger () {
  const lines: string[] = []
  return { lines, log: createLogger({ level: 'debug', write: line => { lines.push(line) } }) }
}

t.test('a missing redis package: the error says to install it', async t => {
  const { log } = logger()
  await t.rejects(connectRedis('redis://127.0.0.1:6379', 2000, log, async () => { throw new Error("Cannot find package 'redis' imported from /app/cli.js") }),
    new Error("--store.redis-url needs the redis package, which could not be loaded (Cannot find package 'redis' imported from /app/cli.js): npm install redis"))
})

t.test('creates the client as documented and starts connecting without waiting', async t => {
  const fake = fakeModule()
  const { lines, log } = logger()
  const client = await connectRedis('rediss://pgw:secret@redis.example.com:6380/1', 1500, log, fake.load)
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
  await connectRedis('redis://:secret@127.0.0.1:1/0', 2000, log, fake.load)
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
  await connectRedis('redis://127.0.0.1:1', 2000, log, fake.load)
  // A turn of the event loop, in which an unhandled rejection would fail the test.
  await new Promise(resolve => setImmediate(resolve))
  t.same(lines, [])
})

t.test('with a real Redis: connects, logs one outage while it is down, reconnects when it is back', async t => {
  const redis = await startRedis(t)
  if (redis === undefined) return
  const { lines, log } = logger()
  const client = await connectRedis(redis.url, 2000, log)
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
