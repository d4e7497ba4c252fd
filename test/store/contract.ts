// The contract every store passes (see `MetricStore` in src/store/store.ts): the Pushgateway's
// semantics as a store sees them, through the contract's promises only. Each store's own test
// file runs it with a factory of empty stores.
import type { Test } from 'tap'
import { InconsistentPushError } from '../../src/errors.js'
import type { GroupView, MetricStore } from '../../src/store/store.js'
import { groupId } from '../../src/groups/consistency.js'
import { emptyHistogram, type MetricFamily } from '../../src/exposition/types.js'
import { aggregatePrepared, pushPrepared, pushText } from '../helpers/store.js'

/** The exposition headers of the two timestamp families, as every store renders them. */
export const FAILURE_HEADER = '# HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.\n# TYPE push_failure_time_seconds gauge\n'
export const PUSH_HEADER = '# HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.\n# TYPE push_time_seconds gauge\n'
const PREFIX = 'pushed metrics are invalid or inconsistent with existing metrics: '

/** The text exposition of a store, without extra families. */
export async function text (store: MetricStore): Promise<string> {
  return await store.render('text', [])
}

/** One group of a store, by its labels. */
export async function group (store: MetricStore, labels: Record<string, string>): Promise<GroupView | undefined> {
  return [...await store.groups()].find(g => groupId(g.labels) === groupId(labels))
}

function withoutTimestamps (exposition: string): string {
  return exposition.replace(/^(# (HELP|TYPE) )?push_(failure_)?time_seconds.*\n/gm, '')
}

/** Runs the contract suite against the stores `create` makes, each empty. */
export function testStoreContract (t: Test, create: () => Promise<MetricStore>): void {
  t.test('semantics of PUT, POST and DELETE', async t => {
    t.test('POST replaces same-name families only, PUT replaces the group', async t => {
      const store = await create()
      await pushText(store, { job: 'a' }, 'm1 1\nm2 2\n', { at: 1 })
      await pushText(store, { job: 'a' }, 'm2 20\nm3 30\n', { replace: false, at: 2 })
      t.equal(await text(store),
        '# TYPE m1 untyped\nm1{instance="",job="a"} 1\n' +
        '# TYPE m2 untyped\nm2{instance="",job="a"} 20\n' +
        '# TYPE m3 untyped\nm3{instance="",job="a"} 30\n' +
        FAILURE_HEADER + 'push_failure_time_seconds{instance="",job="a"} 0\n' +
        PUSH_HEADER + 'push_time_seconds{instance="",job="a"} 2\n')
      await pushText(store, { job: 'a' }, '', { replace: false, at: 3 })
      t.match(await text(store), /m1\{instance="",job="a"\} 1\n/, 'an empty POST keeps every family')
      t.match(await text(store), /push_time_seconds\{instance="",job="a"\} 3\n/, 'and updates the push time')
      await pushText(store, { job: 'a' }, '', { at: 4 })
      t.equal(await text(store),
        FAILURE_HEADER + 'push_failure_time_seconds{instance="",job="a"} 0\n' +
        PUSH_HEADER + 'push_time_seconds{instance="",job="a"} 4\n', 'an empty PUT keeps the group with its timestamps only')
      t.same((await store.size()), { groups: 1, series: 2 })
    })

    t.test('a POST drops every old series of a replaced family', async t => {
      const store = await create()
      await pushText(store, { job: 'a' }, 'm{x="1"} 1\nm{x="2"} 2\n')
      await pushText(store, { job: 'a' }, 'm{x="3"} 3\n', { replace: false })
      t.match(await text(store), /^# TYPE m untyped\nm\{instance="",job="a",x="3"\} 3\n# HELP/)
    })

    t.test('DELETE removes exactly one group', async t => {
      const store = await create()
      await pushText(store, { job: 'x' }, 'a 1\n')
      await pushText(store, { job: 'x', instance: 'y' }, 'a 2\n')
      await store.delete({ job: 'x' })
      await store.delete({ job: 'missing' })
      t.same([...await store.groups()].map(g => g.labels), [{ instance: 'y', job: 'x' }])
      t.match(await text(store), /^# TYPE a untyped\na\{instance="y",job="x"\} 2\n/)
      await store.wipe()
      t.equal(await text(store), '')
      t.same((await store.size()), { groups: 0, series: 0 })
    })
  })

  t.test('label sanitizing', async t => {
    const store = await create()
    await pushText(store, { job: 'L1', zone: 'url_zone' }, 'lab{job="other",instance="body_inst",zone="z"} 1\nlab{job="x",zone="y"} 2\npush_time_seconds 42\n', { at: 5 })
    t.equal(await text(store),
      '# TYPE lab untyped\n' +
      'lab{instance="",job="L1",zone="url_zone"} 2\n' +
      'lab{instance="body_inst",job="L1",zone="url_zone"} 1\n' +
      FAILURE_HEADER + 'push_failure_time_seconds{instance="",job="L1",zone="url_zone"} 0\n' +
      PUSH_HEADER + 'push_time_seconds{instance="",job="L1",zone="url_zone"} 5\n')
    const stored = (await group(store, { job: 'L1', zone: 'url_zone' }))
    t.same(stored?.labels, { job: 'L1', zone: 'url_zone' }, 'group labels do not get the default instance')

    t.test('a pushed push_failure_time_seconds is ignored, on a new or an existing group', async t => {
      const store = await create()
      await pushText(store, { job: 'p' }, '# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 5\n', { at: 1 })
      await pushText(store, { job: 'p' }, '# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 5\n', { at: 2 })
      t.match(await text(store), /push_failure_time_seconds\{instance="",job="p"\} 0\n/)
    })
  })

  t.test('timestamps are refused and recorded as a failure', async t => {
    const store = await create()
    await t.rejects(pushText(store, { job: 't' }, 't 1 1000\n', { at: 7 }), {
      name: 'InconsistentPushError',
      statusCode: 400,
      message: PREFIX + 'pushed metrics must not have timestamps'
    })
    t.equal(await text(store),
      FAILURE_HEADER + 'push_failure_time_seconds{instance="",job="t"} 7\n' +
      PUSH_HEADER + 'push_time_seconds{instance="",job="t"} 0\n', 'the group is created with push time 0')
    const g = (await group(store, { job: 't' }))
    t.equal(g?.failureTimeNs, 7_000_000_000n)
    t.equal(g?.pushTimeNs, 0n)
    await pushText(store, { job: 't' }, 'ok 1\n', { at: 8 })
    t.match(await text(store), /push_failure_time_seconds\{instance="",job="t"\} 7\n/, 'a later success keeps the failure time')
    await t.rejects(pushText(store, { job: 't' }, 'bad 1 5\n', { at: 9 }), InconsistentPushError)
    t.match(await text(store), /ok\{instance="",job="t"\} 1\n/, 'a refused push changes nothing but the failure time')
    t.match(await text(store), /push_failure_time_seconds\{instance="",job="t"\} 9\n/)
  })

  t.test('consistency check', async t => {
    const cases: Array<[string, Array<[Record<string, string>, string]>, RegExp]> = [
      ['type clash across groups', [[{ job: 'c1' }, '# TYPE tm gauge\ntm 1\n'], [{ job: 'c2' }, '# TYPE tm counter\ntm 1\n']], /collected metric "tm" \{instance="",job="c2"\} is not a GAUGE/],
      ['gauge histogram against histogram', [[{ job: 'g1' }, '# TYPE gh histogram\ngh_bucket{le="+Inf"} 1\ngh_sum 1\ngh_count 1\n'], [{ job: 'g2' }, '# TYPE gh gaugehistogram\ngh_bucket{le="+Inf"} 1\ngh_sum 1\ngh_count 1\n']], /is not a HISTOGRAM: another group pushed the family as HISTOGRAM, this push as GAUGE_HISTOGRAM/],
      ['untyped against gauge', [[{ job: 'c1' }, '# TYPE tm gauge\ntm 1\n'], [{ job: 'c3' }, 'tm 1\n']], /is not a GAUGE/],
      ['duplicate series within a push', [[{ job: 'c4' }, 'dup 1\ndup 2\n']], /collected metric "dup" \{instance="",job="c4"\} was collected before with the same name and label values/],
      ['duplicate series across groups', [[{ job: 'c5' }, 'dd{instance="x"} 1\n'], [{ job: 'c5', instance: 'x' }, 'dd 1\n']], /collected metric "dd" \{instance="x",job="c5"\} was collected before/],
      ['metric suffix against a stored summary', [[{ job: 's1' }, '# TYPE y summary\ny_sum 1\ny_count 1\n'], [{ job: 's2' }, 'y_count 1\n']], /collected metric named "y_count" collides with previously collected summary named "y"/],
      ['metric suffix against a stored histogram', [[{ job: 'h1' }, '# TYPE y histogram\ny_bucket{le="+Inf"} 1\ny_sum 1\ny_count 1\n'], [{ job: 'h2' }, 'y_bucket 1\n']], /collides with previously collected histogram named "y"/],
      ['summary against a stored metric', [[{ job: 's3' }, 'y_sum 1\n'], [{ job: 's4' }, '# TYPE y summary\ny_count 1\n']], /collected histogram or summary named "y" collides with previously collected metric named "y_sum"/],
      ['histogram against a stored _bucket metric', [[{ job: 'h3' }, 'y_bucket 1\n'], [{ job: 'h4' }, '# TYPE y histogram\ny_count 1\n']], /collides with previously collected metric named "y_bucket"/],
      ['summary and its suffix within one push', [[{ job: 'c9' }, '# TYPE y_count counter\ny_count 1\n# TYPE y summary\ny_sum 1\ny_count 1\n']], /collides/],
      ['two groups exporting the same timestamp series', [[{ job: 'foo' }, 'a 1\n'], [{ job: 'foo', instance: '' }, 'b 1\n']], /collected metric "push_time_seconds" \{instance="",job="foo"\} was collected before/]
    ]
    for (const [name, pushes, expected] of cases) {
      t.test(name, async t => {
        const store = await create()
        const last = pushes.length - 1
        for (const [labels, body] of pushes.slice(0, last)) await pushText(store, labels, body)
        const before = await text(store)
        const [labels, body] = pushes[last] as [Record<string, string>, string]
        await t.rejects(pushText(store, labels, body), { name: 'InconsistentPushError', message: expected })
        t.equal(withoutTimestamps(await text(store)), withoutTimestamps(before), 'nothing but timestamps changed')
      })
    }

    t.test('a refused push to a group that would poison the store leaves nothing behind', async t => {
      const store = await create()
      await pushText(store, { job: 'foo' }, 'a 1\n')
      const before = await text(store)
      await t.rejects(pushText(store, { job: 'foo', instance: '' }, 'x 1 100\n'), InconsistentPushError)
      t.equal(await text(store), before)
      t.equal((await store.size()).groups, 1)
      await pushText(store, { job: 'other' }, 'b 1\n')
      t.equal((await store.size()).groups, 2, 'later pushes still work')
    })

    t.test('a group may push the same series again, and types may change inside one group', async t => {
      const store = await create()
      await pushText(store, { job: 'g' }, '# TYPE m gauge\nm 1\n')
      await pushText(store, { job: 'g' }, '# TYPE m counter\nm 2\n')
      await pushText(store, { job: 'g' }, '# TYPE m gauge\nm 3\n', { replace: false })
      t.match(await text(store), /^# TYPE m gauge\nm\{instance="",job="g"\} 3\n/)
    })

    t.test('a POST keeps the group families in the check', async t => {
      const store = await create()
      await pushText(store, { job: 'k' }, '# TYPE y summary\ny_count 1\ny_sum 1\n')
      await t.rejects(pushText(store, { job: 'k' }, 'y_count 1\n', { replace: false }), /collides with previously collected summary/)
      await pushText(store, { job: 'k' }, 'y_count 1\n')
      t.match(await text(store), /y_count\{instance="",job="k"\} 1\n/, 'a PUT replaces them, so no collision')
    })

    t.test('label problems only protobuf can carry', async t => {
      const store = await create()
      const push = async (family: MetricFamily): Promise<void> => { await pushPrepared(store, { labels: { job: 'pb' }, families: [family], replace: true, timeNs: 1n }) }
      await t.rejects(push({ name: 'x.y', type: 'gauge', metrics: [{ labels: [], value: 1 }] }), /"x.y" is not a valid metric name/)
      await t.rejects(push({ name: 'x', type: 'gauge', metrics: [{ labels: [{ name: 'a', value: '1' }, { name: 'a', value: '2' }], value: 1 }] }), /has two or more labels with the same name: a/)
      await t.rejects(push({ name: 'x', type: 'gauge', metrics: [{ labels: [{ name: '__a', value: '1' }], value: 1 }] }), /invalid name: "__a"/)
      await t.rejects(push({ name: 'x', type: 'gauge', metrics: [{ labels: [{ name: 'a-b', value: '1' }], value: 1 }] }), /invalid name: "a-b"/)
      await t.rejects(push({ name: 'x', type: 'summary', metrics: [{ labels: [{ name: 'quantile', value: '1' }], summary: { sampleCount: 0, sampleSum: 0, quantiles: [] } }] }), /"quantile" label/)
      await t.rejects(push({ name: 'x', type: 'gaugehistogram', metrics: [{ labels: [{ name: 'le', value: '1' }], histogram: emptyHistogram() }] }), /"le" label/)
      await push({ name: 'empty', type: 'counter', metrics: [] })
      t.same([...((await group(store, { job: 'pb' }))?.families.keys() ?? [])].sort(), ['empty', 'push_failure_time_seconds', 'push_time_seconds'], 'an empty family is stored')
      t.notMatch(await text(store), /empty/, 'but not exposed')
      await pushPrepared(store, { labels: { job: 'other' }, families: [{ name: 'empty', type: 'gauge', metrics: [{ labels: [], value: 1 }] }], replace: true, timeNs: 1n })
      t.match(await text(store), /# TYPE empty gauge\n/, 'and does not fix the type of the family')
    })

    t.test('recordFailure creates the group or updates it', async t => {
      const store = await create()
      await store.recordFailure({ job: 'r' }, 3_000_000_000n)
      t.equal((await group(store, { job: 'r' }))?.failureTimeNs, 3_000_000_000n)
      await store.recordFailure({ job: 'r' }, 4_000_000_000n)
      t.equal((await group(store, { job: 'r' }))?.failureTimeNs, 4_000_000_000n)
    })
  })

  t.test('exposition', async t => {
    t.test('families sorted by name, series by label count and then values', async t => {
      const store = await create()
      await pushText(store, { job: 'Z' }, 'srt 1\n')
      await pushText(store, { job: 'Y' }, 'srt{b="1"} 1\n')
      await pushText(store, { job: 'X' }, 'srt{a="2"} 1\n')
      await pushText(store, { job: 'W' }, 'srt{z="0",zz="0"} 1\n')
      await pushText(store, { job: 'A' }, 'aaa 1\n')
      const out = await text(store)
      t.ok(out.startsWith('# TYPE aaa untyped\naaa{instance="",job="A"} 1\n'))
      t.match(out, '# TYPE srt untyped\nsrt{instance="",job="Z"} 1\nsrt{b="1",instance="",job="Y"} 1\nsrt{a="2",instance="",job="X"} 1\nsrt{instance="",job="W",z="0",zz="0"} 1\n')
    })

    t.test('HELP: the group that has held the family longest wins, skipping groups without HELP', async t => {
      const store = await create()
      await pushText(store, { job: 'h3' }, 'hh 1\n')
      await pushText(store, { job: 'h1' }, '# HELP hh help one\nhh 1\n')
      await pushText(store, { job: 'h2' }, '# HELP hh help two\nhh 2\n')
      t.match(await text(store), /^# HELP hh help one\n# TYPE hh untyped\n/)
      await pushText(store, { job: 'h1' }, '# HELP hh help one again\nhh 1\n')
      t.match(await text(store), /^# HELP hh help one again\n/, 'a group keeps its place when it pushes again')
      await store.delete({ job: 'h1' })
      t.match(await text(store), /^# HELP hh help two\n/)
      await store.delete({ job: 'h2' })
      t.match(await text(store), /^# TYPE hh untyped\n/, 'no HELP line when no group has one')
    })

    t.test('the rendering follows every change', async t => {
      const store = await create()
      await pushText(store, { job: 'a' }, 'm{x="1"} 1\n')
      await pushText(store, { job: 'b' }, 'm{x="0"} 1\n')
      const first = await text(store)
      t.equal(await text(store), first, 'a second scrape gives the same')
      await pushText(store, { job: 'a' }, 'm{x="1"} 2\n')
      t.match(await text(store), /m\{instance="",job="a",x="1"\} 2\n/, 'a new value is rendered')
      await pushText(store, { job: 'a' }, 'm{w="1"} 5\n')
      t.match(await text(store), /m\{instance="",job="a",w="1"\} 5\nm\{instance="",job="b",x="0"\} 1\n/, 'a renamed label sorts the series again')
      await pushText(store, { job: 'a' }, 'm{x="1",y="2"} 4\n')
      t.match(await text(store), /m\{instance="",job="b",x="0"\} 1\nm\{instance="",job="a",x="1",y="2"\} 4\n/, 'a series with more labels sorts after')
      await pushText(store, { job: 'a' }, 'm{x="-"} 3\n')
      t.match(await text(store), /m\{instance="",job="a",x="-"\} 3\nm\{instance="",job="b",x="0"\} 1\n/, 'new series are sorted in')
      t.equal((await store.render('openmetrics', [])).includes('# TYPE m unknown\n'), true, 'OpenMetrics is rendered from the same store')
    })

    t.test('a store that renders in chunks renders the same text, in pieces of 64 KiB or more but the last', async t => {
      const store = await create()
      if (store.renderChunks === undefined) {
        t.pass('this store renders whole')
        return
      }
      t.same(await store.renderChunks('text', []), [], 'nothing stored: no chunk')
      const body = Array.from({ length: 100 }, (_, i) => `m{series="${'s'.repeat(40)}${i}"} ${i}\n`).join('')
      for (let g = 0; g < 100; g++) await pushText(store, { job: 'a', instance: `i${g}` }, body)
      const extra: MetricFamily[] = [{ name: 'own', type: 'gauge', help: 'Own.', metrics: [{ labels: [], value: 1 }] }]
      for (const [format, escaping] of [['text', undefined], ['openmetrics', 'underscores']] as const) {
        const chunks = await store.renderChunks(format, extra, escaping)
        t.equal(chunks.join(''), await store.render(format, extra, escaping), `${format}: the chunks joined are the render`)
        t.ok(chunks.length > 5, `${format}: ${chunks.length} chunks`)
        t.ok(chunks.slice(0, -1).every(chunk => chunk.length >= 64 * 1024 && chunk.length < 64 * 1024 + 200), `${format}: each but the last 64 KiB and a line at most`)
      }
    })

    t.test('pushing the same series again updates help, unit, type and values', async t => {
      const store = await create()
      await pushText(store, { job: 'a' }, '# HELP m old help\n# TYPE m gauge\nm{x="1"} 1\n')
      await pushText(store, { job: 'a' }, '# TYPE m summary\nm_sum{x="1"} 3\nm_count{x="1"} 2\n', { at: 2 })
      t.match(await text(store), /^# TYPE m summary\nm_sum\{instance="",job="a",x="1"\} 3\nm_count\{instance="",job="a",x="1"\} 2\n/)
      t.equal((await group(store, { job: 'a' }))?.families.get('m')?.timeNs, 2_000_000_000n)
      await pushPrepared(store, { labels: { job: 'a' }, families: [{ name: 'm', unit: 'seconds', type: 'counter', metrics: [{ labels: [{ name: 'x', value: '1' }], value: 4, createdTimestampMs: 5 }] }], replace: true, timeNs: 3n })
      const after = (await group(store, { job: 'a' }))?.families.get('m')
      t.same(after?.family.metrics[0], { labels: [{ name: 'instance', value: '' }, { name: 'job', value: 'a' }, { name: 'x', value: '1' }], value: 4, createdTimestampMs: 5 })
      t.equal(after?.family.unit, 'seconds')
      t.equal(after?.family.help, undefined, 'a push without HELP drops it')
    })

    t.test('families() merges the groups in exposition order', async t => {
      const store = await create()
      await pushText(store, { job: 'b' }, '# HELP m help\nm 2\n')
      await pushText(store, { job: 'a' }, 'm 1\n')
      await pushPrepared(store, { labels: { job: 'u' }, families: [{ name: 'withunit', unit: 'seconds', type: 'gauge', metrics: [{ labels: [], value: 1 }] }], replace: true, timeNs: 1n })
      const families = await store.families()
      t.same(families.map(f => f.name), ['m', 'push_failure_time_seconds', 'push_time_seconds', 'withunit'])
      t.equal(families[0]?.help, 'help')
      t.same(families[0]?.metrics.map(m => m.value), [1, 2])
      t.equal(families[3]?.unit, 'seconds')
      t.equal(families[0]?.unit, undefined)
    })
  })

  t.test('aggregate() adds a writer\'s increase, without limits as a custom caller may call it', async t => {
    const store = await create()
    const counter = (value: number): MetricFamily[] => [{ name: 'c_total', type: 'counter', metrics: [{ labels: [], value }] }]
    await aggregatePrepared(store, { labels: { job: 'a' }, families: counter(2), timeNs: 1n, gaugeRule: () => 'last', writer: 'w' })
    await aggregatePrepared(store, { labels: { job: 'a' }, families: counter(5), timeNs: 2n, gaugeRule: () => 'last', writer: 'w' })
    t.match(await text(store), 'c_total{instance="",job="a"} 5\n', 'the writer\'s increase is added')
    t.same(await store.size(), { groups: 1, series: 4 }, 'the sum, the writer\'s copy and the two timestamps')
    await aggregatePrepared(store, { labels: { job: 'a' }, families: counter(1), timeNs: 3n, gaugeRule: () => 'last' })
    t.match(await text(store), 'c_total{instance="",job="a"} 6\n', 'an increment without a writer is added as it is')
  })
}
