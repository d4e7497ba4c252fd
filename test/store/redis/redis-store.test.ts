import t from 'tap'
import { InconsistentPushError, StoreUnavailableError } from '../../../src/errors.js'
import { RedisStore, redisStore, type RedisClient } from '../../../src/store/redis/redis-store.js'
import { COMPACT, READ } from '../../../src/store/redis/scripts.js'
import { decodeSnapshot, encodeSnapshot } from '../../../src/store/memory/snapshot.js'
import type { AppliedChange, StoreContext } from '../../../src/store/store.js'
import { Pushgateway } from '../../../src/gateway.js'
import { createLogger } from '../../../src/log.js'
import { Registry } from 'prom-client'
import { pushPrepared, pushText } from '../../helpers/store.js'
import { NO_STORE_LIMITS } from '../../../src/groups/limits.js'
import { eventually } from '../../helpers/clock.js'
import { startRedis, type TestRedisClient } from '../../helpers/redis.js'
import { group, testStoreContract, text } from '../contract.js'

const redis = await startRedis(t)
if (redis !== undefined) {
  const client = await redis.client()
  let prefixes = 0
  const newPrefix = (): string => `test${++prefixes}`

  // A context that records what the store logs and reports.
  const context = (changes: AppliedChange[] = [], lines: string[] = []): StoreContext => ({
    nameValidation: 'legacy',
    reserved: name => name === 'own_total' ? { type: 'counter' } : undefined,
    logger: createLogger({ level: 'debug', write: line => { lines.push(line) } }),
    applied: change => { changes.push(change) }
  })

  // A client that passes commands to the real one, unless `intercept` answers them first.
  const wrapped = (real: TestRedisClient, intercept: (args: readonly string[]) => Promise<unknown> | undefined): RedisClient => ({
    sendCommand: async args => await (intercept(args) ?? real.sendCommand([...args])),
    get isReady () { return real.isReady }
  })

  t.test('the store contract', async t => {
    testStoreContract(t, async () => redisStore({ client, prefix: newPrefix() }))
  })

  t.test('replicas on one prefix hold the same groups', async t => {
    const prefix = newPrefix()
    const changes: AppliedChange[] = []
    const a = redisStore({ client, prefix })
    const b = redisStore({ client: await redis.client(), prefix })
    b.attach(context(changes))
    await pushText(a, { job: 'x' }, '# TYPE m gauge\nm 1\n', { at: 1 })
    t.equal(await text(b), await text(a), 'a push through one is in the other')
    t.same(changes, [{ kind: 'push', labels: { job: 'x' }, timeNs: 1_000_000_000n }], 'and reported to its gateway')
    await t.rejects(pushText(b, { job: 'y' }, '# TYPE m counter\nm 2\n', { at: 2 }), { name: 'InconsistentPushError', message: /is not a GAUGE/ })
    t.equal((await group(a, { job: 'y' }))?.failureTimeNs, 2_000_000_000n, 'a clash refused by one replica is recorded for all')
    await a.delete({ job: 'x' })
    t.equal((await b.size()).groups, 1, 'a delete through one is gone from the other')
    await b.wipe()
    t.same(await a.size(), { groups: 0, series: 0 })
    t.same(changes.slice(1).map(c => c.kind), ['delete'], 'the other\'s delete is reported, not its own wipe')
    t.same(await a.groups(), [])
    await t.rejects(pushPrepared(b, { labels: { job: 'z' }, families: [], replace: true, timeNs: 1n, limits: { ...NO_STORE_LIMITS, groups: 0 } }), { name: 'LimitExceededError' })
    t.same(await a.size(), { groups: 0, series: 0 }, 'a push over a limit is refused everywhere, with nothing recorded')
  })

  t.test('aggregate pushes add up across replicas, with each writer counted once', async t => {
    const prefix = newPrefix()
    const replicas = [redisStore({ client, prefix }), redisStore({ client: await redis.client(), prefix })]
    const counter = (value: number): string => `# TYPE c_total counter\nc_total ${value}\n`
    await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const replica = replicas[i % 2] as RedisStore
      const families = (await import('../../../src/exposition/parse-text.js')).parseText(counter(1))
      const { prepareFamilies } = await import('../../../src/groups/sanitize.js')
      await replica.aggregate({ labels: { job: 'agg' }, families: await prepareFamilies(families, { job: 'agg' }), timeNs: 1n, gaugeRule: () => 'last' })
    }))
    for (const replica of replicas) t.match(await text(replica), 'c_total{instance="",job="agg"} 40\n')
  })

  t.test('a push that redefines a family of the gateway is refused by the replica that takes it', async t => {
    const store = redisStore({ client, prefix: newPrefix() })
    store.attach(context())
    await t.rejects(pushText(store, { job: 'o' }, '# TYPE own_total gauge\nown_total 1\n', { at: 3 }), InconsistentPushError)
    t.equal((await group(store, { job: 'o' }))?.failureTimeNs, 3_000_000_000n, 'the failure is recorded')
    await pushText(store, { job: 'o' }, '# TYPE own_total counter\nown_total 1\n')
    t.match(await text(store), 'own_total{instance="",job="o"} 1\n', 'the same type is taken')
  })

  t.test('expire deletes a group only when nothing was written to it since', async t => {
    const prefix = newPrefix()
    const a = redisStore({ client, prefix })
    const b = redisStore({ client, prefix })
    await pushText(a, { job: 'e' }, 'm 1\n', { at: 5 })
    t.equal(await b.expire({ job: 'e' }, 4_000_000_000n), false, 'pushed after the time the expiring replica knew')
    t.equal(await b.expire({ job: 'e' }, 5_000_000_000n), true)
    t.equal(await a.expire({ job: 'e' }, 5_000_000_000n), false, 'it expires once')
    await a.recordFailure({ job: 'f' }, 6_000_000_000n)
    t.equal(await b.expire({ job: 'f' }, 6_000_000_000n), true, 'a group that only failed counts from its failure')
    t.same(await a.size(), { groups: 0, series: 0 })
  })

  t.test('a compaction saves a snapshot that a new replica starts from', async t => {
    const prefix = newPrefix()
    const a = new RedisStore({ client, prefix, compactEvery: 1 })
    const behind = redisStore({ client, prefix })
    await pushText(behind, { job: 'first' }, 'f 1\n')
    for (let i = 0; i < 12; i++) await pushText(a, { job: `j${i % 3}` }, `m{i="${i}"} ${i}\n`, { at: i + 1 })
    await a.aggregate({ labels: { job: 'w' }, families: [{ name: 'c_total', type: 'counter', metrics: [{ labels: [{ name: 'instance', value: '' }, { name: 'job', value: 'w' }], value: 2 }] }], timeNs: 20n, gaugeRule: () => 'last', writer: 'w1' })
    await a.recordFailure({ job: 'failed' }, 30n)
    const last = (await client.xRevRange(`{${prefix}}:log`, '+', '-', { COUNT: 1 }))?.[0]
    await eventually(async () => (await client.hGet(`{${prefix}}:snapshot`, 'id')) === last?.id, 'a snapshot of every group is saved')
    const fresh = redisStore({ client, prefix })
    const changes: AppliedChange[] = []
    fresh.attach(context(changes))
    t.equal(await text(fresh), await text(a), 'a new replica shows the same groups')
    t.equal((await group(fresh, { job: 'w' }))?.writers?.size, 1, 'writers included')
    t.same(changes.filter(c => c.kind !== 'push'), [{ kind: 'wipe' }, { kind: 'failure', labels: { job: 'failed' }, timeNs: 30n }], 'its gateway learns every group, one that only failed as a failure')
    // As if the entries `behind` has not read yet had been trimmed.
    await client.hSet(`{${prefix}}:snapshot`, 'floor', '99999999999999-0')
    t.equal(await text(behind), await text(a), 'a replica whose next entries are gone starts from the snapshot')
  })

  t.test('by default a snapshot is saved once the log has 10,000 entries and as many bytes as the last snapshot', async t => {
    const prefix = newPrefix()
    const log = `{${prefix}}:log`
    const labels = [{ name: 'instance', value: '' }, { name: 'job', value: 'big' }]
    // One group whose HELP makes the snapshot about 1.3 MB.
    const big = { name: 'm', help: 'h'.repeat(1_000_000), type: 'gauge' as const, metrics: [{ labels, value: 1 }] }
    const data = encodeSnapshot([{ labels: { job: 'big' }, families: new Map([['m', { family: big, timeNs: 1n }]]), pushTimeNs: 1n, failureTimeNs: 0n }], new Date()).toString('utf8')
    await client.hSet(`{${prefix}}:snapshot`, { id: '1-0', floor: '1-0', data })
    const multi = client.multi()
    for (let i = 0; i < 10_000; i++) multi.xAdd(log, '*', { e: JSON.stringify({ kind: 'delete', labels: { job: 'none' } }) })
    await multi.exec()
    let compactions = 0
    const store = new RedisStore({ client: wrapped(client, args => { if (args[1] === COMPACT.sha) compactions++; return undefined }), prefix })
    await pushText(store, { job: 'x' }, 'n 1\n')
    t.equal(compactions, 0, '10,001 entries of about 500 KB in all are not enough')
    await client.xAdd(log, '*', { e: JSON.stringify({ kind: 'delete', labels: { job: 'y'.repeat(1_000_000) } }) })
    await pushText(store, { job: 'x' }, 'n 2\n')
    t.equal(compactions, 1, 'an entry of 1 MB more is')
    const last = (await client.xRevRange(log, '+', '-', { COUNT: 1 }))?.[0]
    await eventually(async () => (await client.hGet(`{${prefix}}:snapshot`, 'id')) === last?.id, 'the snapshot is saved')
    const fresh = redisStore({ client, prefix })
    t.equal(await text(fresh), await text(store), 'and a new replica starts from it')
  })

  t.test('a snapshot is encoded a batch of groups at a time, with turns of the event loop in between', async t => {
    const prefix = newPrefix()
    const groups = Array.from({ length: 2500 }, (_, i) => ({ labels: { job: `g${i}` }, families: new Map(), pushTimeNs: 1n, failureTimeNs: 0n }))
    await client.hSet(`{${prefix}}:snapshot`, { id: '1-0', floor: '1-0', data: encodeSnapshot(groups, new Date()).toString('utf8') })
    let turns = 0
    let ticking = true
    const tick = (): void => { turns++; if (ticking) setImmediate(tick) }
    let atRead = -1
    let atCompact = -1
    const store = new RedisStore({
      client: wrapped(client, args => {
        if (args[1] === COMPACT.sha) atCompact = turns
        if (args[1] !== READ.sha || args.length <= 9) return undefined
        return client.sendCommand([...args]).then(reply => { atRead = turns; return reply })
      }),
      prefix,
      compactEvery: 1
    })
    await store.size()
    tick()
    await pushText(store, { job: 'x' }, 'm 1\n')
    ticking = false
    t.ok(atRead >= 0 && atCompact - atRead >= 2, `turns of the event loop while 2,501 groups were encoded: ${atCompact - atRead}`)
    await eventually(async () => (await client.hGet(`{${prefix}}:snapshot`, 'id')) !== '1-0', 'the snapshot is saved')
    t.equal((await redisStore({ client, prefix }).size()).groups, 2501)
  })

  t.test('a compaction that fails or comes late changes nothing and is logged', async t => {
    const prefix = newPrefix()
    const lines: string[] = []
    const store = new RedisStore({ client: wrapped(client, args => args[1] === COMPACT.sha ? Promise.reject(new Error('READONLY')) : undefined), prefix, compactEvery: 2 })
    store.attach(context([], lines))
    for (let i = 0; i < 3; i++) await pushText(store, { job: 'c' }, `m ${i}\n`)
    await eventually(() => lines.some(line => line.includes('could not compact')), 'the failure is logged')
    t.equal(await client.hGet(`{${prefix}}:snapshot`, 'id'), null, 'no snapshot')
    t.equal(await client.xLen(`{${prefix}}:log`), 3, 'the log as it was')
    t.equal(await client.sendCommand(['EVALSHA', COMPACT.sha, '3', `{${prefix}}:log`, `{${prefix}}:snapshot`, `{${prefix}}:compacting`, '0-1', 'x', 'another epoch', '0', 'r']), 0, 'a snapshot of a lost log is not saved')
  })

  t.test('one replica saves each snapshot; the others count again from there', async t => {
    const prefix = newPrefix()
    const lock = `{${prefix}}:compacting`
    let release = (): void => {}
    const held = new Promise<void>(resolve => { release = resolve })
    const compactions: string[] = []
    const counted = (name: string, hold: Promise<void>): RedisClient => wrapped(client, args => args[1] === COMPACT.sha ? (compactions.push(name), hold.then(async () => await client.sendCommand([...args]))) : undefined)
    const a = new RedisStore({ client: counted('a', held), prefix, compactEvery: 2 })
    const b = new RedisStore({ client: counted('b', Promise.resolve()), prefix, compactEvery: 2 })
    await pushText(a, { job: 'a' }, 'm 1\n')
    await pushText(a, { job: 'a' }, 'm 2\n')
    t.same(compactions, ['a'], 'the first replica that finds it due saves it')
    await pushText(b, { job: 'b' }, 'm 3\n')
    t.same(compactions, ['a'], 'the other, due as well, does not while the first holds the lock')
    release()
    await eventually(async () => (await client.exists(lock)) === 0, 'saving it releases the lock')
    await pushText(b, { job: 'b' }, 'm 4\n')
    t.same(compactions, ['a'], 'the other counts from the snapshot saved')
    await pushText(b, { job: 'b' }, 'm 5\n')
    t.same(compactions, ['a', 'b'], 'and saves the next one')
    await eventually(async () => (await redisStore({ client, prefix }).size()).groups === 2, 'which a new replica starts from')
  })

  t.test('a lock left by a replica that stopped holds the others off until it expires', async t => {
    const prefix = newPrefix()
    const lock = `{${prefix}}:compacting`
    await client.set(lock, 'a replica that stopped', { PX: 300 })
    let compactions = 0
    const store = new RedisStore({ client: wrapped(client, args => { if (args[1] === COMPACT.sha) compactions++; return undefined }), prefix, compactEvery: 1 })
    await pushText(store, { job: 'a' }, 'm 1\n')
    t.equal(compactions, 0, 'held off')
    await eventually(async () => (await client.exists(lock)) === 0, 'the lock expires')
    await pushText(store, { job: 'a' }, 'm 2\n')
    t.equal(compactions, 1, 'then it compacts')
  })

  t.test('a compaction whose lock cannot be taken is logged, and the push answered', async t => {
    const prefix = newPrefix()
    const lines: string[] = []
    const store = new RedisStore({ client: wrapped(client, args => args[0] === 'SET' ? Promise.reject(new Error('READONLY')) : undefined), prefix, compactEvery: 1 })
    store.attach(context([], lines))
    await pushText(store, { job: 'a' }, 'm 1\n')
    t.ok(lines.some(line => line.includes('could not compact') && line.includes('READONLY')), 'logged')
    t.equal(await client.hGet(`{${prefix}}:snapshot`, 'id'), null, 'no snapshot')
    await pushText(store, { job: 'a' }, 'm 2\n')
    t.match(await text(store), 'm{instance="",job="a"} 2\n', 'the store goes on')
  })

  t.test('a snapshot that cannot be made (over V8\'s longest string) is logged, the push answered, and a later compaction tries again', async t => {
    let made = 0
    const { RedisStore: Mocked } = await t.mockImport<typeof import('../../../src/store/redis/redis-store.js')>('../../../src/store/redis/redis-store.js', {
      '../../../src/store/memory/snapshot.js': {
        decodeSnapshot,
        snapshotLines: function * () {
          made++
          yield 'pushgateway-middleware snapshot 2\n'
          throw new RangeError('Invalid string length')
        }
      }
    })
    const prefix = newPrefix()
    const lines: string[] = []
    const store = new Mocked({ client, prefix, compactEvery: 1 })
    store.attach(context([], lines))
    await pushText(store, { job: 'a' }, 'm 1\n')
    t.ok(lines.some(line => line.includes('could not compact') && line.includes('Invalid string length')), 'logged')
    t.equal(await client.hGet(`{${prefix}}:snapshot`, 'id'), null, 'no snapshot')
    // As when its lock expires.
    await client.del(`{${prefix}}:compacting`)
    await pushText(store, { job: 'a' }, 'm 2\n')
    t.equal(made, 2, 'a later compaction tries again')
    t.match(await text(store), 'm{instance="",job="a"} 2\n')
  })

  t.test('a snapshot that cannot be read is a 503 naming it', async t => {
    const prefix = newPrefix()
    await client.hSet(`{${prefix}}:snapshot`, { id: '1-0', floor: '1-0', data: 'not a snapshot' })
    await t.rejects(redisStore({ client, prefix }).size(), { name: 'StoreUnavailableError', message: /the snapshot in Redis cannot be read \(line 1 is not a pushgateway-middleware snapshot header\)/ })
  })

  t.test('one compaction at a time', async t => {
    const prefix = newPrefix()
    let release = (): void => {}
    let compactions = 0
    const held = new Promise<void>(resolve => { release = resolve })
    const store = new RedisStore({ client: wrapped(client, args => args[1] === COMPACT.sha ? (compactions++, held.then(async () => await client.sendCommand([...args]))) : undefined), prefix, compactEvery: 1 })
    await pushText(store, { job: 'a' }, 'm 1\n')
    await pushText(store, { job: 'b' }, 'm 2\n')
    t.equal(compactions, 1, 'the second waits for the first')
    release()
    await eventually(async () => (await client.hGet(`{${prefix}}:snapshot`, 'id')) !== null, 'the snapshot is saved')
    await pushText(store, { job: 'c' }, 'm 3\n')
    await eventually(() => compactions === 2, 'a later entry compacts again')
  })

  t.test('scripts Redis forgot are sent again', async t => {
    const store = redisStore({ client, prefix: newPrefix() })
    await pushText(store, { job: 's' }, 'm 1\n')
    await client.scriptFlush()
    await pushText(store, { job: 's' }, 'm 2\n')
    t.match(await text(store), 'm{instance="",job="s"} 2\n')
  })

  t.test('more entries than one read takes are read in several', async t => {
    const prefix = newPrefix()
    const multi = client.multi()
    for (let i = 0; i < 10_001; i++) multi.xAdd(`{${prefix}}:log`, '*', { e: JSON.stringify({ kind: 'delete', labels: { job: 'none' } }) })
    await multi.exec()
    const store = redisStore({ client, prefix })
    await pushText(store, { job: 'after' }, 'm 1\n')
    t.equal((await store.size()).groups, 1)
  })

  t.test('an entry that is not ours is skipped by every replica alike', async t => {
    const prefix = newPrefix()
    const lines: string[] = []
    const store = redisStore({ client, prefix })
    store.attach(context([], lines))
    await client.xAdd(`{${prefix}}:log`, '*', { e: 'not json' })
    await client.xAdd(`{${prefix}}:log`, '*', { e: '{"kind":"unknown"}' })
    await client.xAdd(`{${prefix}}:log`, '*', { x: '1' })
    await pushText(store, { job: 'k' }, 'm 1\n')
    t.equal((await store.size()).groups, 1)
    t.equal(lines.filter(line => line.includes('skipped an entry')).length, 3)
  })

  t.test('a replica whose log Redis lost starts over from what Redis holds', async t => {
    const prefix = newPrefix()
    const lines: string[] = []
    const changes: AppliedChange[] = []
    const store = redisStore({ client, prefix })
    store.attach(context(changes, lines))
    await pushText(store, { job: 'gone' }, 'm 1\n')
    await client.del([`{${prefix}}:log`, `{${prefix}}:snapshot`])
    await pushText(redisStore({ client, prefix }), { job: 'new' }, 'n 1\n')
    t.same([...await store.groups()].map(g => g.labels), [{ job: 'new' }])
    t.ok(lines.some(line => line.includes('the Redis log was lost')), 'logged')
    t.same(changes.map(c => c.kind), ['wipe', 'push'], 'its gateway forgets the old deadlines')

    t.test('the replica that reads first after the loss notices it too, and so do the others', async t => {
      const prefix = newPrefix()
      const first = redisStore({ client, prefix })
      const other = redisStore({ client, prefix })
      await pushText(first, { job: 'gone' }, 'm 1\n')
      t.same([...await other.groups()].map(g => g.labels), [{ job: 'gone' }])
      await client.del([`{${prefix}}:log`, `{${prefix}}:snapshot`])
      await pushText(first, { job: 'new' }, 'n 1\n')
      t.same([...await first.groups()].map(g => g.labels), [{ job: 'new' }], 'the first')
      t.same([...await other.groups()].map(g => g.labels), [{ job: 'new' }], 'another')
    })

    t.test('a write whose entry is lost with the log is answered 503', async t => {
      const prefix = newPrefix()
      const store = redisStore({
        // The read that appends the entry answers, then the log is lost before the replica reads on from its start.
        client: wrapped(client, args => args[1] === READ.sha && args.length > 9
          ? client.sendCommand([...args]).then(async reply => {
            await client.del([`{${prefix}}:log`, `{${prefix}}:snapshot`])
            return ['another epoch', ...(reply as unknown as unknown[]).slice(1)]
          })
          : undefined),
        prefix
      })
      await store.size()
      await t.rejects(pushText(store, { job: 'lost' }, 'm 1\n'), { name: 'StoreUnavailableError', statusCode: 503, message: /the Redis log was lost/ })
    })
  })

  t.test('Redis unavailable: 503 at once, within the timeout, or for an error reply, logged once', async t => {
    const lines: string[] = []
    let ready = false
    const offline = new RedisStore({ client: { sendCommand: async () => await Promise.reject(new Error('unreachable')), get isReady () { return ready } }, prefix: newPrefix() })
    offline.attach(context([], lines))
    t.equal(await offline.ready(), false)
    const err = await pushText(offline, { job: 'x' }, 'm 1\n').catch((e: unknown) => e)
    t.ok(err instanceof StoreUnavailableError)
    t.match(err, { statusCode: 503, retryAfter: 1, expose: true, code: 'ERR_STORE_UNAVAILABLE', message: 'the store is unavailable: Redis is not connected' })
    ready = true
    await t.rejects(offline.render('text', []), { message: 'the store is unavailable: Redis answered unreachable' })
    t.equal(await offline.ready(), false, 'not ready while Redis answers with errors')
    t.equal(lines.filter(line => line.includes('the Redis store is unavailable')).length, 1, 'logged once per outage')

    const silent = new RedisStore({ client: { sendCommand: async () => await new Promise(() => {}) }, prefix: newPrefix(), timeout: 20 })
    await t.rejects(silent.size(), { name: 'StoreUnavailableError', message: 'the store is unavailable: Redis did not answer within 20 ms' })

    let failing = true
    const flaky = new RedisStore({ client: wrapped(client, () => failing ? Promise.reject(new Error('LOADING')) : undefined), prefix: newPrefix() })
    flaky.attach(context([], lines))
    await t.rejects(flaky.size(), StoreUnavailableError)
    failing = false
    t.equal(await flaky.ready(), true)
    t.ok(lines.some(line => line.includes('the Redis store answers again')), 'the recovery is logged')
    await t.rejects(new RedisStore({ client: { sendCommand: async () => { throw new Error('ERR boom') } } }).render('text', []), StoreUnavailableError)
  })

  t.test('options are checked once, by name', async t => {
    t.throws(() => redisStore(null as never), { name: 'TypeError', message: /option "options" must be an object/ })
    t.throws(() => redisStore({} as never), { code: 'ERR_INVALID_OPTION', option: 'client' })
    t.throws(() => redisStore({ client: {} as never }), { message: /option "client" must be a node-redis client, sentinel or cluster/ })
    t.throws(() => redisStore({ client, prefix: '' }), { message: /option "prefix"/ })
    t.throws(() => redisStore({ client, prefix: 'a{b}' }), { message: /option "prefix" must be a non-empty string without braces/ })
    t.throws(() => redisStore({ client, timeout: 0 }), { message: /option "timeout"/ })
    t.throws(() => redisStore({ client, compactEvery: 1.5 }), { message: /option "compactEvery"/ })
    t.throws(() => redisStore({ client, prefx: 'x' } as never), { message: /option "prefx" must be left out/ })
  })

  t.test('a gateway on the Redis store', async t => {
    let connected = true
    const prefix = newPrefix()
    const store = redisStore({ client: { sendCommand: async (args: readonly string[]) => await client.sendCommand([...args]), get isReady () { return connected } }, prefix })
    const gateway = new Pushgateway({ store, registry: new Registry(), logger: createLogger({ write: () => {} }) })
    const get = async (url: string): Promise<{ status: number, headers: Record<string, string>, body: string }> => {
      const response = await gateway.handle({ method: 'GET', url, headers: {} })
      return { ...response, body: response.body.toString() }
    }
    t.equal((await get('/-/ready')).status, 200)
    t.equal((await gateway.handle({ method: 'PUT', url: '/metrics/job/g', headers: {}, body: 'm 1\n' })).status, 200)
    t.match((await get('/metrics')).body, 'm{instance="",job="g"} 1\n')
    connected = false
    t.match(await get('/-/ready'), { status: 503, headers: { 'retry-after': '1' }, body: 'the store is unavailable\n' })
    t.equal((await get('/-/healthy')).status, 200, 'healthy all the same')
    t.match(await gateway.handle({ method: 'PUT', url: '/metrics/job/g', headers: {}, body: 'm 2\n' }), { status: 503, headers: { 'retry-after': '1' } })
    t.match(await get('/metrics'), { status: 503, body: 'the store is unavailable: Redis is not connected\n' })
    t.equal((await gateway.handle({ method: 'POST', url: '/-/ready', headers: {} })).status, 405)
    connected = true
    t.match((await get('/metrics')).body, 'm{instance="",job="g"} 1\n', 'nothing of the refused push')
    const failing = new Pushgateway({ store, registry: new Registry(), authorize: () => { throw new Error('not a store error') } })
    await t.rejects(failing.handle({ method: 'GET', url: '/metrics', headers: {} }), /not a store error/, 'other errors pass through')
  })

  t.test('groups expire once across gateways, counted by the one that deleted them', async t => {
    const prefix = newPrefix()
    let now = 1_000_000_000n
    const gateway = async (): Promise<Pushgateway> => new Pushgateway({
      store: redisStore({ client: await redis.client(), prefix }),
      registry: new Registry(),
      expiry: { ttl: 1000 },
      now: () => now,
      logger: createLogger({ write: () => {} })
    })
    const a = await gateway()
    const b = await gateway()
    await a.push({ job: 'ttl' }, 'm 1\n')
    t.match(await b.metrics(), 'm{instance="",job="ttl"} 1\n', 'b learns the group and its deadline')
    now += 999_000_000n
    await b.push({ job: 'ttl' }, 'm 2\n')
    await b.push({ job: 'fails' }, 'x 1 1000\n').catch(() => {})
    now += 500_000_000n
    await b.push({ job: 'ttl' }, 'x 1 1000\n').catch(() => {})
    t.match(await a.metrics(), 'm{instance="",job="ttl"} 2\n', 'a push through b keeps it past a\'s first deadline')
    await b.delete({ job: 'other' })
    now += 600_000_000n
    t.equal(await a.metrics(), '', 'gone once the deadline of the last successful push passed, a later failure notwithstanding')
    t.equal(await b.metrics(), '')
    const expired = async (g: Pushgateway): Promise<number> => (await g.registry.getSingleMetric('pushgateway_groups_expired_total')?.get())?.values[0]?.value ?? 0
    t.equal(await expired(a) + await expired(b), 2, 'each group counted once across the gateways')
    await a.push({ job: 'deleted' }, 'm 1\n')
    await a.push({ job: 'wiped' }, 'm 1\n')
    t.match(await b.metrics(), 'job="deleted"', 'b learns both deadlines')
    await a.delete({ job: 'deleted' })
    t.notMatch(await b.metrics(), 'job="deleted"', 'b drops a group another gateway deleted, and its deadline')
    await a.wipe()
    t.equal(await b.metrics(), '', 'and every group after a wipe')
    now += 2_000_000_000n
    t.equal(await b.metrics(), '')
    t.equal(await expired(a) + await expired(b), 2, 'nothing deleted or wiped counts as expired')
  })
}
