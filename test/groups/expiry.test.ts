import t from 'tap'
import { Registry } from 'prom-client'
import { ExpiryQueue, resolveExpiry } from '../../src/groups/expiry.js'
import { Pushgateway, type GatewayRequest, type PushgatewayOptions } from '../../src/gateway.js'
import { MemoryStore } from '../../src/store/memory/memory-store.js'

const MS = 1_000_000n
const SECOND = 1_000_000_000n

t.test('the queue hands out what is due, oldest first, per TTL', async t => {
  const queue = new ExpiryQueue<string>()
  queue.schedule('a', 'A', 10n, 0n)
  queue.schedule('b', 'B', 10n, 5n)
  queue.schedule('c', 'C', 3n, 6n)
  t.equal(queue.size, 3)
  t.same(queue.expired(9n), ['C'], 'only the short TTL is due')
  t.same(queue.expired(9n), [], 'handed out once')
  queue.schedule('a', 'A2', 10n, 8n)
  t.same(queue.expired(15n), ['B'], 'a rescheduled entry moves to the back of its queue')
  t.ok(queue.has('a'))
  t.notOk(queue.has('b'))
  t.same(queue.expired(18n), ['A2'])
  t.equal(queue.size, 0)
  queue.schedule('x', 'X', 1n, 0n)
  queue.schedule('x', 'X', 2n, 0n)
  t.equal(queue.size, 1, 'a new TTL replaces the old one')
  queue.cancel('x')
  queue.cancel('never')
  t.same(queue.expired(100n), [])
  queue.schedule('y', 'Y', 1n, 0n)
  queue.clear()
  t.same(queue.expired(100n), [], 'cleared')
})

/**
 * Runs `fn` and counts the Map entries iterated meanwhile: the work of ExpiryQueue.expired(),
 * which walks its insertion-ordered maps. A count, not a time, so a loaded machine cannot skew it.
 */
function countMapEntriesVisited (fn: () => void): number {
  const proto = Map.prototype as unknown as { [Symbol.iterator]: () => Iterator<unknown>, entries: () => Iterator<unknown> }
  const realIterator = proto[Symbol.iterator]
  const realEntries = proto.entries
  let visited = 0
  function counting (real: () => Iterator<unknown>) {
    return function (this: Map<unknown, unknown>): IterableIterator<unknown> {
      const inner = real.call(this)
      return {
        next () {
          const step = inner.next()
          if (step.done !== true) visited++
          return step
        },
        [Symbol.iterator] () { return this }
      }
    }
  }
  proto[Symbol.iterator] = counting(realIterator)
  proto.entries = counting(realEntries)
  try {
    fn()
  } finally {
    proto[Symbol.iterator] = realIterator
    proto.entries = realEntries
  }
  return visited
}

t.test('a check costs what has expired, not the number of groups', async t => {
  const visits: number[] = []
  for (const size of [1_000, 100_000]) {
    const queue = new ExpiryQueue<number>()
    for (let i = 0; i < size; i++) queue.schedule(String(i), i, 1000n, BigInt(i))
    // Nothing is due: the scan stops at the first entry that is not, whatever the size.
    let due: number[] = []
    visits.push(countMapEntriesVisited(() => { due = queue.expired(0n) }))
    t.same(due, [], `${size} groups: nothing due`)
    // One entry is due: the scan visits it and the next one.
    let visited = countMapEntriesVisited(() => { due = queue.expired(1000n) })
    t.same(due, [0], `${size} groups: the first one is due`)
    t.ok(visited <= 3, `${size} groups: one due entry costs ${visited} entries visited, not ${size}`)
    t.equal(queue.size, size - 1)
    // Ten due entries cost about ten visits.
    visited = countMapEntriesVisited(() => { due = queue.expired(1010n) })
    t.equal(due.length, 10, `${size} groups: ten more are due`)
    t.ok(visited <= 13, `${size} groups: ten due entries cost ${visited} entries visited`)
  }
  t.ok((visits[0] ?? 0) > 0, 'the count sees the scan')
  t.equal(visits[1], visits[0], 'a check of nothing due costs the same with 1,000 and 100,000 groups')
})

t.test('the expiry option', async t => {
  t.equal(resolveExpiry(undefined), undefined)
  t.equal(resolveExpiry({}), undefined, 'no TTL at all')
  t.equal(resolveExpiry({ ttl: Infinity }), undefined)
  t.equal(resolveExpiry({ ttl: 1500 })?.({ job: 'a', labels: {} }), 1500n * MS)
  const byJob = resolveExpiry({ ttl: 1000, overrides: { backup: 60_000, forever: Infinity } })
  t.equal(byJob?.({ job: 'backup', labels: {} }), 60_000n * MS)
  t.equal(byJob?.({ job: 'forever', labels: {} }), undefined)
  t.equal(byJob?.({ job: 'other', labels: {} }), 1000n * MS)
  const onlyOverrides = resolveExpiry({ overrides: { short: 10 } })
  t.equal(onlyOverrides?.({ job: 'other', labels: {} }), undefined, 'without a default, other jobs never expire')
  const byKey = resolveExpiry({ ttl: 5, overrides: (key: { labels: Readonly<Record<string, string>> }) => key.labels['instance'] === 'ci' ? 1 : undefined })
  t.equal(byKey?.({ job: 'a', labels: { instance: 'ci' } }), 1n * MS)
  t.equal(byKey?.({ job: 'a', labels: {} }), 5n * MS)
  const broken = resolveExpiry({ overrides: () => -1 })
  t.throws(() => broken?.({ job: 'a', labels: {} }), { code: 'ERR_INVALID_OPTION', message: /the TTL answered by expiry\.overrides/ })
  for (const [expiry, name] of [
    [null, 'expiry'], [5, 'expiry'], [{ ttl: 0 }, 'expiry.ttl'], [{ ttl: -1 }, 'expiry.ttl'], [{ ttl: NaN }, 'expiry.ttl'], [{ ttl: '1m' }, 'expiry.ttl'],
    [{ overrides: 'x' }, 'expiry.overrides'], [{ overrides: null }, 'expiry.overrides'], [{ overrides: { a: 0 } }, 'expiry.overrides.a']
  ] as const) {
    t.throws(() => resolveExpiry(expiry), { code: 'ERR_INVALID_OPTION', message: new RegExp(`option "${name.replaceAll('.', '\\.')}"`) }, JSON.stringify(expiry))
  }
})

function expiringGateway (options: PushgatewayOptions): { gateway: Pushgateway, advance: (ns: bigint) => void } {
  let now = 1_000_000n * SECOND
  const gateway = new Pushgateway({ registry: new Registry(), now: () => now, ...options })
  return { gateway, advance: ns => { now += ns } }
}

function request (method: string, url: string, body?: string): GatewayRequest {
  return body === undefined ? { method, url, headers: {} } : { method, url, headers: {}, body }
}

t.test('expired groups vanish from every view and are counted', async t => {
  const { gateway, advance } = expiringGateway({ expiry: { ttl: 60_000, overrides: { backup: 3_600_000 } } })
  await gateway.push({ job: 'short' }, 'm 1\n')
  await gateway.push({ job: 'backup' }, 'b 1\n')
  advance(59n * SECOND)
  await gateway.push({ job: 'renewed' }, 'r 1\n')
  t.match(await gateway.metrics(), /m\{instance="",job="short"\} 1\n/, 'alive before its TTL')
  advance(SECOND)
  t.notMatch(await gateway.metrics(), /job="short"/, 'gone from /metrics at its TTL')
  t.match(await gateway.metrics(), /job="backup"/, 'the job override keeps the backup group')
  const api = await gateway.handle(request('GET', '/api/v1/metrics'))
  t.notMatch(String(api.body), /"short"/, 'gone from the API')
  t.match(String(api.body), /"renewed"/)
  t.match(await gateway.registry.metrics(), /pushgateway_groups_expired_total 1\n/)
  t.match(await gateway.registry.metrics(), /pushgateway_groups 2\n/, 'the group gauge does not count it')
  advance(30n * SECOND)
  await gateway.push({ job: 'renewed' }, 'r 2\n', { replace: false })
  advance(40n * SECOND)
  t.match(await gateway.metrics(), /r\{instance="",job="renewed"\} 2\n/, 'a push starts the TTL again')
  advance(3_600n * SECOND)
  t.equal(await gateway.metrics(), '', 'everything expired')
  t.match(await gateway.registry.metrics(), /pushgateway_groups_expired_total 3\n/)
})

t.test('deletes, wipes and failures', async t => {
  const { gateway, advance } = expiringGateway({ expiry: { ttl: 1000 }, adminApi: true })
  await gateway.push({ job: 'a' }, 'm 1\n')
  await gateway.delete({ job: 'a' })
  await gateway.push({ job: 'a' }, 'm 2\n')
  await gateway.push({ job: 'b' }, 'n 1\n')
  t.equal((await gateway.handle(request('PUT', '/api/v1/admin/wipe'))).status, 202)
  await gateway.push({ job: 'c' }, 'x 1\n')
  t.equal((await gateway.handle(request('PUT', '/metrics/job/d', '# TYPE x counter\nx 1\n'))).status, 400, 'a type clash with group c fails and creates group d')
  t.match(await gateway.metrics(), /push_failure_time_seconds\{instance="",job="d"\}/)
  advance(500n * MS)
  t.equal((await gateway.handle(request('PUT', '/metrics/job/d', '# TYPE x counter\nx 1\n'))).status, 400, 'failing again does not renew the TTL')
  advance(500n * MS)
  t.equal(await gateway.metrics(), '', 'a group that only failed expires too, with group c')
  t.match(await gateway.registry.metrics(), /pushgateway_groups_expired_total 2\n/, 'deleted and wiped groups are not counted as expired')
})

t.test('a TTL function that throws leaves nothing stored', async t => {
  const { gateway } = expiringGateway({ expiry: { overrides: () => { throw new Error('boom') } } })
  await t.rejects(gateway.handle(request('PUT', '/metrics/job/a', 'm 1\n')), /boom/)
  t.equal(await gateway.metrics(), '')
})

t.test('a group pushed again without a TTL stops expiring', async t => {
  const { gateway, advance } = expiringGateway({ expiry: { overrides: key => key.labels['keep'] === undefined ? 1000 : undefined } })
  await gateway.push({ job: 'a', labels: { keep: 'no' } }, 'm 1\n')
  await gateway.push({ job: 'b' }, 'm 2\n')
  advance(SECOND)
  t.match(await gateway.metrics(), /job="a",keep="no"/)
  t.notMatch(await gateway.metrics(), /job="b"/)
})

t.test('a custom store deleting asynchronously', async t => {
  const store = new MemoryStore()
  const deleting: string[] = []
  const asyncStore = Object.assign(Object.create(store) as MemoryStore, {
    async delete (labels: Record<string, string>) {
      deleting.push(labels['job'] as string)
      await store.delete(labels)
    }
  })
  for (const name of ['push', 'repeat', 'recordFailure', 'wipe', 'groups', 'families', 'render', 'renderChunks', 'size'] as const) {
    Object.assign(asyncStore, { [name]: (store[name] as (...args: unknown[]) => unknown).bind(store) })
  }
  const { gateway, advance } = expiringGateway({ store: asyncStore, expiry: { ttl: 1 } })
  await gateway.push({ job: 'a' }, 'm 1\n')
  advance(SECOND)
  t.equal(await gateway.metrics(), '')
  t.same(deleting, ['a'])
})
