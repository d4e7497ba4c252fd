import t from 'tap'
import { MemoryStore } from '../../../src/store/memory/memory-store.js'
import type { GroupView, ReservedFamily } from '../../../src/store/store.js'
import type { MetricFamily } from '../../../src/exposition/types.js'
import { aggregatePrepared, pushPrepared, pushText, repeatText } from '../../helpers/store.js'
import { parseText } from '../../../src/exposition/parse-text.js'
import { group, testStoreContract } from '../contract.js'

const PREFIX = 'pushed metrics are invalid or inconsistent with existing metrics: '

t.test('the store contract', async t => {
  testStoreContract(t, async () => new MemoryStore())
})

t.test('pushing the same series again updates the stored objects in place', async t => {
  const store = new MemoryStore()
  await pushText(store, { job: 'a' }, '# TYPE m gauge\nm{x="1"} 1\n')
  const before = (await group(store, { job: 'a' }))?.families.get('m')
  await pushText(store, { job: 'a' }, '# TYPE m counter\nm{x="1"} 2\n', { at: 2 })
  t.equal((await group(store, { job: 'a' }))?.families.get('m'), before)
  t.equal(before?.family.metrics[0]?.value, 2)
  // Every field in turn: set, changed, and gone again, on the same stored objects.
  const x = [{ name: 'x', value: '1' }]
  const push = async (family: MetricFamily, at: number): Promise<void> => { await pushPrepared(store, { labels: { job: 'a' }, families: [family], replace: false, timeNs: BigInt(at) * 1_000_000_000n }) }
  await push({ name: 'c', type: 'counter', help: 'Help.', unit: 'u', metrics: [{ labels: x, value: 3, exemplar: { labels: [], value: 1 }, createdTimestampMs: 5 }] }, 3)
  const counter = (await group(store, { job: 'a' }))?.families.get('c')
  await push({ name: 'c', type: 'counter', metrics: [{ labels: x, value: 4 }] }, 4)
  t.equal((await group(store, { job: 'a' }))?.families.get('c'), counter, 'the same stored family')
  t.strictSame(counter?.family, { name: 'c', type: 'counter', metrics: [{ labels: [{ name: 'instance', value: '' }, { name: 'job', value: 'a' }, { name: 'x', value: '1' }], value: 4 }] }, 'exemplar, created time, HELP and unit gone')
  const summary = (value: number): MetricFamily => ({ name: 's', type: 'summary', metrics: [{ labels: x, summary: { sampleCount: value, sampleSum: value, quantiles: [] } }] })
  await push(summary(1), 5)
  const stored = (await group(store, { job: 'a' }))?.families.get('s')
  await push(summary(6), 6)
  t.equal(stored?.family.metrics[0]?.summary?.sampleCount, 6, 'a summary replaced')
  await push({ name: 's', type: 'untyped', metrics: [{ labels: x, value: 7 }] }, 7)
  t.strictSame([stored?.family.type, stored?.family.metrics[0]?.value, Object.hasOwn(stored?.family.metrics[0] ?? {}, 'summary')], ['untyped', 7, false], 'one type for another, in place')
  await push({ name: 's', type: 'untyped', metrics: [{ labels: x, value: 7 }] }, 8)
  t.equal(stored?.family.metrics[0]?.value, 7, 'the same value again')
})

t.test('repeat() changes only the values of a group pushed with a template, as a full push of the body would', async t => {
  const reserved = new Map<string, ReservedFamily>()
  const store = new MemoryStore({ reserved: name => reserved.get(name) })
  const full = new MemoryStore()
  const a = { job: 'a' }
  const body = (x: number): string => `# TYPE m counter\nm{k="1"} ${x}\nm{k="2"} ${x + 1}\n# TYPE g gauge\ng ${x / 2}\nu 1\nm{k="3"} ${-x}\n`
  // Both stores as a full push leaves them, for the same body at the same time.
  const same = async (text: string, at: number, replace = true): Promise<void> => {
    await pushText(full, a, text, { at, replace })
    t.equal(await store.render('text', []), await full.render('text', []))
    t.strictSame(await views(store), await views(full))
    t.strictSame(await store.size(), await full.size())
  }
  const views = async (of: MemoryStore): Promise<GroupView[]> => [...await of.groups()].map(({ labels, families, pushTimeNs, failureTimeNs, writers }) => ({ labels, families, pushTimeNs, failureTimeNs, writers }))
  t.equal(await repeatText(store, a, body(1)), false, 'no group')
  await pushText(store, a, body(1))
  await pushText(full, a, body(1))
  t.equal(await repeatText(store, a, body(2)), false, 'a group pushed without a template')
  await pushText(store, a, body(1), { template: true, at: 2 })
  await pushText(full, a, body(1), { at: 2 })
  t.equal(await repeatText(store, a, body(5), { at: 3 }), false, 'a template is made for a body that comes twice in a row')
  await pushText(store, a, body(1).replace('counter', 'gauge'), { template: true, at: 2 })
  await pushText(store, a, body(1), { template: true, at: 2 })
  t.equal(await repeatText(store, a, body(5), { at: 3 }), false, 'not with another between')
  await pushText(store, a, body(1), { template: true, at: 2 })
  t.equal(await repeatText(store, a, body(5), { at: 3 }), true)
  await same(body(5), 3)
  t.equal(await repeatText(store, a, body(6), { at: 4, replace: false }), true, 'a POST repeats a PUT')
  await same(body(6), 4, false)
  t.equal(await repeatText(store, a, body(6).replace('k="1"', 'k="9"'), { at: 5 }), false, 'another body')
  await store.recordFailure(a, 6_000_000_000n)
  await full.recordFailure(a, 6_000_000_000n)
  t.equal(await repeatText(store, a, body(7), { at: 7 }), true, 'a failure changes no family')
  await same(body(7), 7)
  reserved.set('g', { type: 'gauge' })
  t.equal(await repeatText(store, a, body(8), { at: 8 }), true, 'a family of the gateway\'s own of the same type')
  await same(body(8), 8)
  reserved.set('g', { type: 'counter' })
  t.equal(await repeatText(store, a, body(9), { at: 9 }), false, 'a family of the gateway\'s own of another type, registered since')
  reserved.clear()

  const b = { job: 'b' }
  await pushText(store, b, body(1), { template: true, replace: false })
  await pushText(store, b, body(1), { template: true, replace: false })
  t.equal(await repeatText(store, b, body(2)), false, 'a PUT does not repeat a POST: the group may hold more')
  t.equal(await repeatText(store, b, body(2), { replace: false }), true)
  await aggregatePrepared(store, { labels: b, families: parseText('u 1\n'), timeNs: 10n, gaugeRule: () => 'last' })
  t.equal(await repeatText(store, b, body(3), { replace: false }), false, 'after an aggregate push')
  await pushText(store, b, body(1), { template: true })
  t.equal(await repeatText(store, b, body(3)), false, 'nor after the next push: the aggregate push came between')
  await pushText(store, b, body(1), { template: true })
  await store.delete(b)
  t.equal(await repeatText(store, b, body(3)), false, 'after a delete')
})

t.test('the reserved families of the gateway', async t => {
  const store = new MemoryStore({ reserved: name => name === 'go_goroutines' ? { type: 'gauge' } : name === 'own' ? { type: 'summary' } : undefined })
  await t.rejects(pushText(store, { job: 'c6' }, '# TYPE go_goroutines counter\ngo_goroutines 1\n'), {
    message: PREFIX + 'gathered metric family go_goroutines has type COUNTER but should have GAUGE'
  })
  await pushText(store, { job: 'c7' }, '# HELP go_goroutines my help\n# TYPE go_goroutines gauge\ngo_goroutines 1\n')
  await t.rejects(pushText(store, { job: 'c8' }, 'own_count 1\n'), /collides with previously collected summary named "own"/)
  const own: MetricFamily = { name: 'go_goroutines', help: 'Number of goroutines that currently exist.', type: 'gauge', metrics: [{ labels: [], value: 10 }] }
  t.equal((await store.render('text', [own])).split('# HELP push_failure')[0],
    '# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines 10\ngo_goroutines{instance="",job="c7"} 1\n',
    'the gateway help wins and the series merge in order')
})
t.test('restore() adds a group as it was saved', async t => {
  const saved = new MemoryStore()
  await pushText(saved, { job: 'a' }, '# HELP m Help.\nm 1\n', { at: 5 })
  await saved.recordFailure({ job: 'a' }, 7_000_000_000n)
  const view = [...saved.snapshot()][0] as GroupView
  const store = new MemoryStore()
  store.restore(view)
  t.equal(await store.render('text', []), await saved.render('text', []), 'the same exposition, times included')
  t.throws(() => { store.restore(view) }, { code: 'ERR_INCONSISTENT', message: /the group \{job="a"\} is there already/ })
  const bare: GroupView = { labels: { job: 'b' }, families: new Map([['n', { family: { name: 'n', type: 'gauge', metrics: [{ labels: [{ name: 'instance', value: '' }, { name: 'job', value: 'b' }], value: 2 }] }, timeNs: 3n }]]), pushTimeNs: 3_000_000_000n, failureTimeNs: 0n }
  store.restore(bare)
  t.match(await store.render('text', []), /push_failure_time_seconds\{instance="",job="b"\} 0\n[^]*push_time_seconds\{instance="",job="b"\} 3\n/, 'timestamp families made from the times when the view has none')
  t.same(await store.size(), { groups: 2, series: 6 })
  const clash: GroupView = { ...bare, labels: { job: 'c' }, families: new Map([['n', { family: { name: 'n', type: 'counter', metrics: [{ labels: [{ name: 'job', value: 'c' }], value: 1 }] }, timeNs: 3n }]]) }
  t.throws(() => { store.restore(clash) }, { code: 'ERR_INCONSISTENT', message: /is not a GAUGE|another group pushed the family as GAUGE/ })
  t.equal((await store.size()).groups, 2, 'nothing added')
})

t.test('a large scrape lets the event loop turn, and shows each series once whatever changes meanwhile', async t => {
  const store = new MemoryStore()
  const series = (name: string, count: number, value: number): string => Array.from({ length: count }, (_, i) => `${name}{i="${i}"} ${value}`).join('\n') + '\n'
  await pushText(store, { job: 'a' }, series('big', 3000, 1) + series('shared', 1500, 1))
  await pushText(store, { job: 'b' }, series('gone', 3000, 1) + series('shared', 1, 1).replace('i="0"', 'i="b"'))
  await pushText(store, { job: 'c' }, series('zzz', 10, 1))
  // Counts the turns of the event loop a render leaves to others; changes the store on the first one.
  let turns = 0
  let rendering = true
  const spin = (): void => {
    if (!rendering) return
    turns++
    if (turns === 1) {
      // The memory store changes before a call returns: no need to wait.
      store.delete({ job: 'b' }).catch(t.threw)
      pushText(store, { job: 'a' }, series('big', 3000, 2) + series('shared', 1500, 2)).catch(t.threw)
    }
    setImmediate(spin)
  }
  setImmediate(spin)
  const out = await store.render('text', [])
  rendering = false
  t.ok(turns >= 2, `the render yielded (${turns} turns)`)
  const lines = out.split('\n').filter(line => line !== '' && !line.startsWith('#'))
  t.equal(new Set(lines.map(line => line.split(' ')[0])).size, lines.length, 'no series twice')
  t.notMatch(out, /^gone\{/m, 'a family deleted during the scrape is left out')
  t.match(out, /^zzz\{i="0",instance="",job="c"\} 1$/m, 'families after the change are there')
  t.equal(await store.render('text', []), (await store.render('text', [])), 'the next scrapes agree')
  t.match(await store.render('text', []), /^big\{i="2999",instance="",job="a"\} 2$/m, 'and show the change')
})

t.test('a small scrape renders without waiting for the event loop', async t => {
  const store = new MemoryStore()
  await pushText(store, { job: 'a' }, 'm 1\n')
  let turned = false
  setImmediate(() => { turned = true })
  await store.render('text', [])
  t.equal(turned, false)
})
