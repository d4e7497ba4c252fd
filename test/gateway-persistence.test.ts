import t from 'tap'
import { pushPrepared } from './helpers/store.js'
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { Pushgateway, type PushgatewayOptions } from '../src/gateway.js'
import { fastifyPushgateway } from '../src/fastify.js'
import { MemoryStore } from '../src/store/memory/memory-store.js'
import { encodeSnapshot } from '../src/store/memory/snapshot.js'
import { createLogger } from '../src/log.js'
import type { GroupView } from '../src/store/store.js'
import { eventually } from './helpers/clock.js'

const SECOND = 1_000_000_000n

function capture (): { lines: string[], logger: ReturnType<typeof createLogger> } {
  const lines: string[] = []
  return { lines, logger: createLogger({ level: 'debug', format: 'json', write: line => { lines.push(line) } }) }
}

function gateway (file: string, options: PushgatewayOptions = {}): Pushgateway {
  return new Pushgateway({ registry: new Registry(), persistence: { file, interval: 60_000 }, logger: capture().logger, ...options })
}

t.test('groups survive a restart: values, times, failures and order', async t => {
  const file = join(t.testdir(), 'pg.data')
  let now = 1_700_000_000n * SECOND
  const first = gateway(file, { now: () => (now += SECOND) })
  await first.push({ job: 'b' }, '# HELP m Help of b.\n# TYPE m gauge\nm 1\n')
  await first.push({ job: 'a', labels: { instance: 'x' } }, '# HELP m Help of a.\n# TYPE m gauge\nm NaN\nc_total -0\n')
  await first.push({ job: 'a', labels: { instance: 'x' } }, '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n', { replace: false })
  await t.rejects(first.push({ job: 'c' }, '# TYPE m counter\nm 1\n'), { code: 'ERR_INCONSISTENT' })
  const before = await first.metrics()
  const api = await first.handle({ method: 'GET', url: '/api/v1/metrics', headers: {} })
  await first.close()
  t.ok(existsSync(file), 'close() wrote the snapshot')

  const { lines, logger } = capture()
  const second = gateway(file, { logger })
  t.equal(await second.metrics(), before, 'the same exposition, push and failure times included')
  t.same(await second.handle({ method: 'GET', url: '/api/v1/metrics', headers: {} }), api, 'the same API answer, in the same group order')
  t.match(lines.join(''), /"msg":"restored groups from the persistence file".*"groups":3/)
  await second.close()
})

t.test('every kind of change is persisted, at most once per interval', async t => {
  const file = join(t.testdir(), 'pg.data')
  const gw = new Pushgateway({ registry: new Registry(), persistence: { file, interval: 0 }, adminApi: true, expiry: { ttl: 1000 }, logger: capture().logger })
  // What the file holds once a write that satisfies `holds` has landed (interval 0: one is under way),
  // read from a copy: a gateway started on the file itself would remove the writer's temporary file.
  const copy = join(t.testdir(), 'copy.data')
  const written = async (holds: (text: string) => boolean, what: string): Promise<string> => {
    let text = ''
    await eventually(async () => {
      if (!existsSync(file)) return false
      copyFileSync(file, copy)
      const reread = new Pushgateway({ registry: new Registry(), persistence: { file: copy, interval: 3_600_000 }, logger: capture().logger })
      text = await reread.metrics()
      return holds(text)
    }, what)
    return text
  }
  await gw.push({ job: 'a' }, 'm 1\n')
  t.match(await written(text => text.includes('job="a"'), 'a push is persisted'), 'm{instance="",job="a"} 1', 'a push')
  await gw.handle({ method: 'PUT', url: '/metrics/job/b', headers: {}, body: '# TYPE m counter\nm 1\n' })
  t.match(await written(text => text.includes('job="b"'), 'a failure is persisted'), /push_failure_time_seconds\{instance="",job="b"\} [1-9]/, 'a failed push records its time')
  await gw.delete({ job: 'b' })
  t.notMatch(await written(text => !text.includes('job="b"'), 'a delete is persisted'), 'job="b"', 'a delete')
  await gw.handle({ method: 'PUT', url: '/api/v1/admin/wipe', headers: {} })
  t.equal(await written(text => text === '', 'a wipe is persisted'), '', 'a wipe')
  await gw.close()
  await gw.close()
})

t.test('close() rejects when the last snapshot cannot be written', async t => {
  const dir = t.testdir()
  const file = join(dir, 'pg.data')
  const gw = gateway(file, { persistence: { file, interval: 3_600_000 } })
  await gw.push({ job: 'a' }, 'm 1\n')
  rmSync(dir, { recursive: true })
  await t.rejects(gw.close(), { message: /^could not write the last snapshot to the persistence file .*pg\.data: ENOENT/ })
})

t.test('expired groups are not restored, and TTLs restart from the saved push time', async t => {
  const file = join(t.testdir(), 'pg.data')
  let now = 1_700_000_000n * SECOND
  const clock = (): bigint => now
  const first = gateway(file, { now: clock, expiry: { ttl: 10_000 } })
  await first.push({ job: 'old' }, 'm 1\n')
  now += 6n * SECOND
  await first.push({ job: 'new' }, 'm 2\n')
  await first.close()
  now += 5n * SECOND
  const second = gateway(file, { now: clock, expiry: { ttl: 10_000 } })
  t.notMatch(await second.metrics(), 'job="old"', 'old was pushed 11 s ago')
  t.match(await second.metrics(), 'm{instance="",job="new"} 2')
  now += 5n * SECOND
  t.notMatch(await second.metrics(), 'job="new"', 'new expires 10 s after its push, not after the restart')
  await second.close()
  const third = gateway(file, { now: clock })
  t.equal(await third.metrics(), '', 'the last snapshot left the expired groups out')
  await third.close()
})

t.test('groups the store refuses are logged and the file is set aside, the others load', async t => {
  const dir = t.testdir()
  const file = join(dir, 'pg.data')
  const store = new MemoryStore()
  await pushPrepared(store, { labels: { job: 'a' }, families: [{ name: 'm', type: 'gauge', metrics: [{ labels: [], value: 1 }] }], replace: true, timeNs: 1n })
  const other = new MemoryStore()
  await pushPrepared(other, { labels: { job: 'b' }, families: [{ name: 'm', type: 'counter', metrics: [{ labels: [], value: 2 }] }], replace: true, timeNs: 2n })
  const groups: GroupView[] = [...store.snapshot(), ...other.snapshot()]
  const { writeFileSync } = await import('node:fs')
  writeFileSync(file, encodeSnapshot(groups, new Date()))
  const original = readFileSync(file)
  const { lines, logger } = capture()
  const gw = gateway(file, { logger })
  t.match(await gw.metrics(), 'm{instance="",job="a"} 1', 'the consistent group loaded')
  t.notMatch(await gw.metrics(), 'job="b"')
  t.match(lines.join(''), /could not restore a group from the persistence file/)
  const aside = readdirSync(dir).filter(name => name.startsWith('pg.data.inconsistent-'))
  t.equal(aside.length, 1, 'the file was set aside')
  t.same(readFileSync(join(dir, aside[0] as string)), original, 'byte for byte')
  await gw.close()
})

t.test('the persistence option', async t => {
  const fixtures = t.testdir({ 'pg.data': { 'kept.txt': 'x' }, 'a-file': 'x', loop: t.fixture('symlink', 'loop') })
  for (const [persistence, message] of [
    [null, /option "persistence" must be an object with a file/],
    ['pg.data', /option "persistence" must be an object with a file/],
    [{}, /option "persistence\.file" must be a non-empty path/],
    [{ file: '' }, /option "persistence\.file" must be a non-empty path/],
    [{ file: 'x', interval: -1 }, /option "persistence\.interval" must be a non-negative integer/],
    [{ file: 'x', interval: 1.5 }, /option "persistence\.interval"/],
    [{ file: join(fixtures, 'missing', 'pg.data') }, /option "persistence\.file" must be a file in an existing directory \(its directory .*missing cannot be used: ENOENT.*\), got ".*pg\.data"/],
    [{ file: join(fixtures, 'pg.data') }, /option "persistence\.file" must be a file in an existing directory \(.*pg\.data is a directory\)/],
    [{ file: join(fixtures, 'a-file', 'pg.data') }, /option "persistence\.file" must be a file in an existing directory \(.*a-file is not a directory\)/],
    [{ file: join(fixtures, 'loop') }, /option "persistence\.file" must be a file in an existing directory \(it cannot be used: ELOOP/]
  ] as const) {
    t.throws(() => new Pushgateway({ registry: new Registry(), persistence: persistence as unknown as { file: string } }), { code: 'ERR_INVALID_OPTION', message }, JSON.stringify(persistence))
  }
  t.throws(() => new Pushgateway({ registry: new Registry(), store: new MemoryStore(), persistence: { file: 'x' } }), { message: /option "persistence" must be left out when a custom store is given/ })
  t.same(readdirSync(fixtures).sort(), ['a-file', 'loop', 'pg.data'], 'a directory in the way is left where it is')
  t.same(readdirSync(join(fixtures, 'pg.data')), ['kept.txt'], 'with its contents')
  t.throws(() => new Pushgateway({ registry: new Registry(), readTimeout: 0 }), { message: /option "readTimeout" must be a positive integer number of milliseconds, or Infinity/ })
  t.throws(() => new Pushgateway({ registry: new Registry(), logger: {} as ReturnType<typeof createLogger> }), { message: /option "logger" must be a logger/ })
  const file = join(fixtures, 'status.data')
  const status = await gateway(file, { persistence: { file, interval: 90_000 } }).handle({ method: 'GET', url: '/api/v1/status', headers: {} })
  t.match(JSON.parse(String(status.body)), { data: { flags: { 'persistence.file': file, 'persistence.interval': '90000ms' } } })
})

t.test('the Fastify plugin closes a gateway it built, and leaves a shared one alone', async t => {
  const dir = t.testdir()
  const app = Fastify()
  await app.register(fastifyPushgateway, { registry: new Registry(), persistence: { file: join(dir, 'own.data'), interval: 3_600_000 }, logger: capture().logger })
  await app.pushgateway.push({ job: 'a' }, 'm 1\n')
  await app.close()
  t.ok(existsSync(join(dir, 'own.data')), 'the last snapshot was written on close')
  const shared = gateway(join(dir, 'shared.data'), { persistence: { file: join(dir, 'shared.data'), interval: 3_600_000 } })
  const other = Fastify()
  await other.register(fastifyPushgateway, { gateway: shared })
  await other.close()
  t.notOk(existsSync(join(dir, 'shared.data')), 'a shared gateway is closed by its owner')
  await shared.close()
  t.ok(existsSync(join(dir, 'shared.data')))
})
