import t from 'tap'
import { MemoryStore, formatLabels, groupId } from '../../../src/store/memory/memory-store.js'
import { InconsistentPushError } from '../../../src/errors.js'
import type { GroupView } from '../../../src/store/store.js'
import { emptyHistogram, type MetricFamily } from '../../../src/exposition/types.js'
import { pushText } from '../../helpers/store.js'

const FAILURE_HEADER = '# HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.\n# TYPE push_failure_time_seconds gauge\n'
const PUSH_HEADER = '# HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.\n# TYPE push_time_seconds gauge\n'
const PREFIX = 'pushed metrics are invalid or inconsistent with existing metrics: '

async function text (store: MemoryStore): Promise<string> {
  return await store.render('text', [])
}

function group (store: MemoryStore, labels: Record<string, string>): GroupView | undefined {
  return [...store.groups()].find(g => groupId(g.labels) === groupId(labels))
}

t.test('semantics of PUT, POST and DELETE', async t => {
  t.test('POST replaces same-name families only, PUT replaces the group', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'a' }, 'm1 1\nm2 2\n', { at: 1 })
    pushText(store, { job: 'a' }, 'm2 20\nm3 30\n', { replace: false, at: 2 })
    t.equal(await text(store),
      '# TYPE m1 untyped\nm1{instance="",job="a"} 1\n' +
      '# TYPE m2 untyped\nm2{instance="",job="a"} 20\n' +
      '# TYPE m3 untyped\nm3{instance="",job="a"} 30\n' +
      FAILURE_HEADER + 'push_failure_time_seconds{instance="",job="a"} 0\n' +
      PUSH_HEADER + 'push_time_seconds{instance="",job="a"} 2\n')
    pushText(store, { job: 'a' }, '', { replace: false, at: 3 })
    t.match(await text(store), /m1\{instance="",job="a"\} 1\n/, 'an empty POST keeps every family')
    t.match(await text(store), /push_time_seconds\{instance="",job="a"\} 3\n/, 'and updates the push time')
    pushText(store, { job: 'a' }, '', { at: 4 })
    t.equal(await text(store),
      FAILURE_HEADER + 'push_failure_time_seconds{instance="",job="a"} 0\n' +
      PUSH_HEADER + 'push_time_seconds{instance="",job="a"} 4\n', 'an empty PUT keeps the group with its timestamps only')
    t.same(store.size(), { groups: 1, series: 2 })
  })

  t.test('a POST drops every old series of a replaced family', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'a' }, 'm{x="1"} 1\nm{x="2"} 2\n')
    pushText(store, { job: 'a' }, 'm{x="3"} 3\n', { replace: false })
    t.match(await text(store), /^# TYPE m untyped\nm\{instance="",job="a",x="3"\} 3\n# HELP/)
  })

  t.test('DELETE removes exactly one group', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'x' }, 'a 1\n')
    pushText(store, { job: 'x', instance: 'y' }, 'a 2\n')
    store.delete({ job: 'x' })
    store.delete({ job: 'missing' })
    t.same([...store.groups()].map(g => g.labels), [{ instance: 'y', job: 'x' }])
    t.match(await text(store), /^# TYPE a untyped\na\{instance="y",job="x"\} 2\n/)
    store.wipe()
    t.equal(await text(store), '')
    t.same(store.size(), { groups: 0, series: 0 })
  })
})

t.test('label sanitizing', async t => {
  const store = new MemoryStore()
  pushText(store, { job: 'L1', zone: 'url_zone' }, 'lab{job="other",instance="body_inst",zone="z"} 1\nlab{job="x",zone="y"} 2\npush_time_seconds 42\n', { at: 5 })
  t.equal(await text(store),
    '# TYPE lab untyped\n' +
    'lab{instance="",job="L1",zone="url_zone"} 2\n' +
    'lab{instance="body_inst",job="L1",zone="url_zone"} 1\n' +
    FAILURE_HEADER + 'push_failure_time_seconds{instance="",job="L1",zone="url_zone"} 0\n' +
    PUSH_HEADER + 'push_time_seconds{instance="",job="L1",zone="url_zone"} 5\n')
  const stored = group(store, { job: 'L1', zone: 'url_zone' })
  t.same(stored?.labels, { job: 'L1', zone: 'url_zone' }, 'group labels do not get the default instance')

  t.test('a pushed push_failure_time_seconds is ignored, on a new or an existing group', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'p' }, '# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 5\n', { at: 1 })
    pushText(store, { job: 'p' }, '# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 5\n', { at: 2 })
    t.match(await text(store), /push_failure_time_seconds\{instance="",job="p"\} 0\n/)
  })
})

t.test('timestamps are refused and recorded as a failure', async t => {
  const store = new MemoryStore()
  t.throws(() => pushText(store, { job: 't' }, 't 1 1000\n', { at: 7 }), {
    name: 'InconsistentPushError',
    statusCode: 400,
    message: PREFIX + 'pushed metrics must not have timestamps'
  })
  t.equal(await text(store),
    FAILURE_HEADER + 'push_failure_time_seconds{instance="",job="t"} 7\n' +
    PUSH_HEADER + 'push_time_seconds{instance="",job="t"} 0\n', 'the group is created with push time 0')
  const g = group(store, { job: 't' })
  t.equal(g?.failureTimeNs, 7_000_000_000n)
  t.equal(g?.pushTimeNs, 0n)
  pushText(store, { job: 't' }, 'ok 1\n', { at: 8 })
  t.match(await text(store), /push_failure_time_seconds\{instance="",job="t"\} 7\n/, 'a later success keeps the failure time')
  t.throws(() => pushText(store, { job: 't' }, 'bad 1 5\n', { at: 9 }), InconsistentPushError)
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
      const store = new MemoryStore()
      const last = pushes.length - 1
      pushes.slice(0, last).forEach(([labels, body]) => pushText(store, labels, body))
      const before = await text(store)
      const [labels, body] = pushes[last] as [Record<string, string>, string]
      t.throws(() => pushText(store, labels, body), { name: 'InconsistentPushError', message: expected })
      t.equal(withoutTimestamps(await text(store)), withoutTimestamps(before), 'nothing but timestamps changed')
    })
  }

  t.test('a refused push to a group that would poison the store leaves nothing behind', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'foo' }, 'a 1\n')
    const before = await text(store)
    t.throws(() => pushText(store, { job: 'foo', instance: '' }, 'x 1 100\n'), InconsistentPushError)
    t.equal(await text(store), before)
    t.equal(store.size().groups, 1)
    pushText(store, { job: 'other' }, 'b 1\n')
    t.equal(store.size().groups, 2, 'later pushes still work')
  })

  t.test('a group may push the same series again, and types may change inside one group', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'g' }, '# TYPE m gauge\nm 1\n')
    pushText(store, { job: 'g' }, '# TYPE m counter\nm 2\n')
    pushText(store, { job: 'g' }, '# TYPE m gauge\nm 3\n', { replace: false })
    t.match(await text(store), /^# TYPE m gauge\nm\{instance="",job="g"\} 3\n/)
  })

  t.test('a POST keeps the group families in the check', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'k' }, '# TYPE y summary\ny_count 1\ny_sum 1\n')
    t.throws(() => pushText(store, { job: 'k' }, 'y_count 1\n', { replace: false }), /collides with previously collected summary/)
    pushText(store, { job: 'k' }, 'y_count 1\n')
    t.match(await text(store), /y_count\{instance="",job="k"\} 1\n/, 'a PUT replaces them, so no collision')
  })

  t.test('the reserved families of the gateway', async t => {
    const store = new MemoryStore({ reserved: name => name === 'go_goroutines' ? { type: 'gauge' } : name === 'own' ? { type: 'summary' } : undefined })
    t.throws(() => pushText(store, { job: 'c6' }, '# TYPE go_goroutines counter\ngo_goroutines 1\n'), {
      message: PREFIX + 'gathered metric family go_goroutines has type COUNTER but should have GAUGE'
    })
    pushText(store, { job: 'c7' }, '# HELP go_goroutines my help\n# TYPE go_goroutines gauge\ngo_goroutines 1\n')
    t.throws(() => pushText(store, { job: 'c8' }, 'own_count 1\n'), /collides with previously collected summary named "own"/)
    const own: MetricFamily = { name: 'go_goroutines', help: 'Number of goroutines that currently exist.', type: 'gauge', metrics: [{ labels: [], value: 10 }] }
    t.equal((await store.render('text', [own])).split('# HELP push_failure')[0],
      '# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines 10\ngo_goroutines{instance="",job="c7"} 1\n',
      'the gateway help wins and the series merge in order')
  })

  t.test('label problems only protobuf can carry', async t => {
    const store = new MemoryStore()
    const push = (family: MetricFamily): void => store.push({ labels: { job: 'pb' }, families: [family], replace: true, timeNs: 1n })
    t.throws(() => push({ name: 'x.y', type: 'gauge', metrics: [{ labels: [], value: 1 }] }), /"x.y" is not a valid metric name/)
    t.throws(() => push({ name: 'x', type: 'gauge', metrics: [{ labels: [{ name: 'a', value: '1' }, { name: 'a', value: '2' }], value: 1 }] }), /has two or more labels with the same name: a/)
    t.throws(() => push({ name: 'x', type: 'gauge', metrics: [{ labels: [{ name: '__a', value: '1' }], value: 1 }] }), /invalid name: "__a"/)
    t.throws(() => push({ name: 'x', type: 'gauge', metrics: [{ labels: [{ name: 'a-b', value: '1' }], value: 1 }] }), /invalid name: "a-b"/)
    t.throws(() => push({ name: 'x', type: 'summary', metrics: [{ labels: [{ name: 'quantile', value: '1' }], summary: { sampleCount: 0, sampleSum: 0, quantiles: [] } }] }), /"quantile" label/)
    t.throws(() => push({ name: 'x', type: 'gaugehistogram', metrics: [{ labels: [{ name: 'le', value: '1' }], histogram: emptyHistogram() }] }), /"le" label/)
    push({ name: 'empty', type: 'counter', metrics: [] })
    t.same([...(group(store, { job: 'pb' })?.families.keys() ?? [])].sort(), ['empty', 'push_failure_time_seconds', 'push_time_seconds'], 'an empty family is stored')
    t.notMatch(await text(store), /empty/, 'but not exposed')
    store.push({ labels: { job: 'other' }, families: [{ name: 'empty', type: 'gauge', metrics: [{ labels: [], value: 1 }] }], replace: true, timeNs: 1n })
    t.match(await text(store), /# TYPE empty gauge\n/, 'and does not fix the type of the family')
  })

  t.test('recordFailure creates the group or updates it', async t => {
    const store = new MemoryStore()
    store.recordFailure({ job: 'r' }, 3_000_000_000n)
    t.equal(group(store, { job: 'r' })?.failureTimeNs, 3_000_000_000n)
    store.recordFailure({ job: 'r' }, 4_000_000_000n)
    t.equal(group(store, { job: 'r' })?.failureTimeNs, 4_000_000_000n)
  })
})

t.test('exposition', async t => {
  t.test('families sorted by name, series by label count and then values', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'Z' }, 'srt 1\n')
    pushText(store, { job: 'Y' }, 'srt{b="1"} 1\n')
    pushText(store, { job: 'X' }, 'srt{a="2"} 1\n')
    pushText(store, { job: 'W' }, 'srt{z="0",zz="0"} 1\n')
    pushText(store, { job: 'A' }, 'aaa 1\n')
    const out = await text(store)
    t.ok(out.startsWith('# TYPE aaa untyped\naaa{instance="",job="A"} 1\n'))
    t.match(out, '# TYPE srt untyped\nsrt{instance="",job="Z"} 1\nsrt{b="1",instance="",job="Y"} 1\nsrt{a="2",instance="",job="X"} 1\nsrt{instance="",job="W",z="0",zz="0"} 1\n')
  })

  t.test('HELP: the group that has held the family longest wins, skipping groups without HELP', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'h3' }, 'hh 1\n')
    pushText(store, { job: 'h1' }, '# HELP hh help one\nhh 1\n')
    pushText(store, { job: 'h2' }, '# HELP hh help two\nhh 2\n')
    t.match(await text(store), /^# HELP hh help one\n# TYPE hh untyped\n/)
    pushText(store, { job: 'h1' }, '# HELP hh help one again\nhh 1\n')
    t.match(await text(store), /^# HELP hh help one again\n/, 'a group keeps its place when it pushes again')
    store.delete({ job: 'h1' })
    t.match(await text(store), /^# HELP hh help two\n/)
    store.delete({ job: 'h2' })
    t.match(await text(store), /^# TYPE hh untyped\n/, 'no HELP line when no group has one')
  })

  t.test('the rendering follows every change', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'a' }, 'm{x="1"} 1\n')
    pushText(store, { job: 'b' }, 'm{x="0"} 1\n')
    const first = await text(store)
    t.equal(await text(store), first, 'a second scrape gives the same')
    pushText(store, { job: 'a' }, 'm{x="1"} 2\n')
    t.match(await text(store), /m\{instance="",job="a",x="1"\} 2\n/, 'a new value is rendered')
    pushText(store, { job: 'a' }, 'm{w="1"} 5\n')
    t.match(await text(store), /m\{instance="",job="a",w="1"\} 5\nm\{instance="",job="b",x="0"\} 1\n/, 'a renamed label sorts the series again')
    pushText(store, { job: 'a' }, 'm{x="1",y="2"} 4\n')
    t.match(await text(store), /m\{instance="",job="b",x="0"\} 1\nm\{instance="",job="a",x="1",y="2"\} 4\n/, 'a series with more labels sorts after')
    pushText(store, { job: 'a' }, 'm{x="-"} 3\n')
    t.match(await text(store), /m\{instance="",job="a",x="-"\} 3\nm\{instance="",job="b",x="0"\} 1\n/, 'new series are sorted in')
    t.equal((await store.render('openmetrics', [])).includes('# TYPE m unknown\n'), true, 'OpenMetrics is rendered from the same store')
  })

  t.test('pushing the same series again updates help, unit, type and values', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'a' }, '# HELP m old help\n# TYPE m gauge\nm{x="1"} 1\n')
    const before = group(store, { job: 'a' })?.families.get('m')
    pushText(store, { job: 'a' }, '# TYPE m summary\nm_sum{x="1"} 3\nm_count{x="1"} 2\n', { at: 2 })
    t.equal(group(store, { job: 'a' })?.families.get('m'), before, 'the stored family is updated in place')
    t.match(await text(store), /^# TYPE m summary\nm_sum\{instance="",job="a",x="1"\} 3\nm_count\{instance="",job="a",x="1"\} 2\n/)
    t.equal(before?.timeNs, 2_000_000_000n)
    store.push({ labels: { job: 'a' }, families: [{ name: 'm', unit: 'seconds', type: 'gauge', metrics: [{ labels: [{ name: 'x', value: '1' }], value: 4, createdTimestampMs: 5 }] }], replace: true, timeNs: 3n })
    t.same(before?.family.metrics[0], { labels: [{ name: 'instance', value: '' }, { name: 'job', value: 'a' }, { name: 'x', value: '1' }], value: 4, createdTimestampMs: 5 })
    t.equal(before?.family.unit, 'seconds')
  })

  t.test('families() merges the groups in exposition order', async t => {
    const store = new MemoryStore()
    pushText(store, { job: 'b' }, '# HELP m help\nm 2\n')
    pushText(store, { job: 'a' }, 'm 1\n')
    store.push({ labels: { job: 'u' }, families: [{ name: 'withunit', unit: 'seconds', type: 'gauge', metrics: [{ labels: [], value: 1 }] }], replace: true, timeNs: 1n })
    const families = store.families()
    t.same(families.map(f => f.name), ['m', 'push_failure_time_seconds', 'push_time_seconds', 'withunit'])
    t.equal(families[0]?.help, 'help')
    t.same(families[0]?.metrics.map(m => m.value), [1, 2])
    t.equal(families[3]?.unit, 'seconds')
    t.equal(families[0]?.unit, undefined)
  })
})

t.test('formatLabels', async t => {
  t.equal(formatLabels([{ name: 'a', value: 'x"y' }, { name: 'b', value: '' }]), '{a="x\\"y",b=""}')
})

function withoutTimestamps (exposition: string): string {
  return exposition.replace(/^(# (HELP|TYPE) )?push_(failure_)?time_seconds.*\n/gm, '')
}

t.test('restore() adds a group as it was saved', async t => {
  const saved = new MemoryStore()
  pushText(saved, { job: 'a' }, '# HELP m Help.\nm 1\n', { at: 5 })
  saved.recordFailure({ job: 'a' }, 7_000_000_000n)
  const view = [...saved.groups()][0] as GroupView
  const store = new MemoryStore()
  store.restore(view)
  t.equal(await store.render('text', []), await saved.render('text', []), 'the same exposition, times included')
  t.throws(() => { store.restore(view) }, { code: 'ERR_INCONSISTENT', message: /the group \{job="a"\} is there already/ })
  const bare: GroupView = { labels: { job: 'b' }, families: new Map([['n', { family: { name: 'n', type: 'gauge', metrics: [{ labels: [{ name: 'instance', value: '' }, { name: 'job', value: 'b' }], value: 2 }] }, timeNs: 3n }]]), pushTimeNs: 3_000_000_000n, failureTimeNs: 0n }
  store.restore(bare)
  t.match(await store.render('text', []), /push_failure_time_seconds\{instance="",job="b"\} 0\n[^]*push_time_seconds\{instance="",job="b"\} 3\n/, 'timestamp families made from the times when the view has none')
  t.same(store.size(), { groups: 2, series: 6 })
  const clash: GroupView = { ...bare, labels: { job: 'c' }, families: new Map([['n', { family: { name: 'n', type: 'counter', metrics: [{ labels: [{ name: 'job', value: 'c' }], value: 1 }] }, timeNs: 3n }]]) }
  t.throws(() => { store.restore(clash) }, { code: 'ERR_INCONSISTENT', message: /is not a GAUGE|another group pushed the family as GAUGE/ })
  t.equal(store.size().groups, 2, 'nothing added')
})

t.test('aggregate() without limits, as a custom caller may call it', async t => {
  const store = new MemoryStore()
  const counter = (value: number): MetricFamily[] => [{ name: 'c_total', type: 'counter', metrics: [{ labels: [], value }] }]
  store.aggregate({ labels: { job: 'a' }, families: counter(2), timeNs: 1n, gaugeRule: () => 'last', writer: 'w' })
  store.aggregate({ labels: { job: 'a' }, families: counter(5), timeNs: 2n, gaugeRule: () => 'last', writer: 'w' })
  t.match(await text(store), 'c_total{instance="",job="a"} 5\n', 'the writer\'s increase is added')
  t.same(store.size(), { groups: 1, series: 4 }, 'the sum, the writer\'s copy and the two timestamps')
})

t.test('a large scrape lets the event loop turn, and shows each series once whatever changes meanwhile', async t => {
  const store = new MemoryStore()
  const series = (name: string, count: number, value: number): string => Array.from({ length: count }, (_, i) => `${name}{i="${i}"} ${value}`).join('\n') + '\n'
  pushText(store, { job: 'a' }, series('big', 3000, 1) + series('shared', 1500, 1))
  pushText(store, { job: 'b' }, series('gone', 3000, 1) + series('shared', 1, 1).replace('i="0"', 'i="b"'))
  pushText(store, { job: 'c' }, series('zzz', 10, 1))
  // Counts the turns of the event loop a render leaves to others; changes the store on the first one.
  let turns = 0
  let rendering = true
  const spin = (): void => {
    if (!rendering) return
    turns++
    if (turns === 1) {
      store.delete({ job: 'b' })
      pushText(store, { job: 'a' }, series('big', 3000, 2) + series('shared', 1500, 2))
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
  pushText(store, { job: 'a' }, 'm 1\n')
  let turned = false
  setImmediate(() => { turned = true })
  await store.render('text', [])
  t.equal(turned, false)
})
