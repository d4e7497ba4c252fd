import t from 'tap'
import { MemoryStore } from '../../../src/store/memory/memory-store.js'
import { FamilyIndex } from '../../../src/store/memory/family-index.js'
import { NameClaims } from '../../../src/store/memory/name-claims.js'
import { parseText } from '../../../src/exposition/parse-text.js'
import { prepareFamilies } from '../../../src/groups/sanitize.js'
import type { StoredFamily } from '../../../src/store/store.js'
import { emptyHistogram, type LabelPair, type Metric, type MetricType } from '../../../src/exposition/types.js'

const PREFIX = 'pushed metrics are invalid or inconsistent with existing metrics: '

// Pushes a text body with quoted UTF-8 names allowed.
async function push (store: MemoryStore, labels: Record<string, string>, text: string, replace = true): Promise<void> {
  await store.push({ labels, families: await prepareFamilies(parseText(text, undefined, 'utf8'), labels), replace, timeNs: 1_000_000_000n })
}

function utf8Store (): MemoryStore {
  return new MemoryStore({ nameValidation: 'utf8' })
}

// A small deterministic generator: the same sequence on every run from a seed, an integer below
// `n` at each call, taken from the high bits (the low bits repeat with a short period).
function generator (seed: number): (n: number) => number {
  return n => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return Math.floor(seed / 2147483648 * n)
  }
}

t.test('names are valid under the store\'s validation', async t => {
  const legacy = new MemoryStore()
  await t.rejects(push(legacy, { job: 'a' }, '{"my.metric"} 1\n'), { message: PREFIX + '"my.metric" is not a valid metric name' })
  await t.rejects(push(legacy, { job: 'a' }, 'm{"a.b"="1"} 1\n'), { message: /has a label with an invalid name: "a\.b"/ })
  const store = utf8Store()
  await push(store, { job: 'a' }, '{"my.metric","a.b"="1"} 1\n')
  await t.rejects(push(store, { job: 'b' }, 'm{"__x"="1"} 1\n'), { message: /has a label with an invalid name: "__x"/ }, 'a leading __ is still reserved')
})

t.test('a render per escaping scheme, each cached on its own', async t => {
  const store = utf8Store()
  await push(store, { job: 'a', 'my.label': 'v' }, '# HELP "my.metric" Help.\n# TYPE "my.metric" gauge\n{"my.metric","a.b"="1"} 1\nplain_m{x="y"} 2\n')
  const metrics = (text: string): string => text.split('\n').filter(line => !line.includes('push_')).join('\n')
  t.equal(metrics(await store.render('text', [])), '# HELP "my.metric" Help.\n# TYPE "my.metric" gauge\n{"my.metric","a.b"="1",instance="",job="a","my.label"="v"} 1\n# TYPE plain_m untyped\nplain_m{instance="",job="a","my.label"="v",x="y"} 2\n')
  t.equal(metrics(await store.render('text', [], 'underscores')), '# HELP my_metric Help.\n# TYPE my_metric gauge\nmy_metric{a_b="1",instance="",job="a",my_label="v"} 1\n# TYPE plain_m untyped\nplain_m{instance="",job="a",my_label="v",x="y"} 2\n')
  t.match(await store.render('text', [], 'dots'), 'my_dot_metric{a_dot_b="1",instance="",job="a",my_dot_label="v"} 1\n')
  t.match(await store.render('text', [], 'dots'), 'push_time_seconds{instance="",job="a",my_dot_label="v"}', 'legacy names are kept under dots')
  t.match(await store.render('openmetrics', [], 'values'), 'U__my_2e_metric{U__a_2e_b="1",instance="",job="a",U__my_2e_label="v"} 1.0\n')
  t.equal(metrics(await store.render('text', [], 'allow-utf-8')), metrics(await store.render('text', [])), 'allow-utf-8 is the names as stored')
  const own = { name: 'own.family', type: 'gauge' as const, metrics: [{ labels: [{ name: 'o.k', value: '1' }], value: 3 }] }
  t.match(await store.render('text', [own], 'underscores'), '# TYPE own_family gauge\nown_family{o_k="1"} 3\n', 'the gateway\'s own families are escaped too')
  const legacy = utf8Store()
  await push(legacy, { job: 'a' }, 'm{x="1"} 1\n')
  const plain = await legacy.render('text', [])
  t.equal(await legacy.render('text', [], 'values'), plain, 'legacy names only: every scheme writes the same')
  await push(legacy, { job: 'b' }, '{"u.v"} 1\n')
  t.match(await legacy.render('text', [], 'values'), 'U__u_2e_v{instance="",job="b"} 1\n', 'a family with a UTF-8 name is escaped, its cache apart')
  t.match(await legacy.render('text', [], 'values'), 'm{instance="",job="a",x="1"} 1\n')
})

t.test('a name that would show like another under some scheme is refused', async t => {
  const cases: Array<[string, string, string, string]> = [
    // first push, second push, what the second is refused for
    ['{"a.b"} 1\n', 'a_b 1\n', 'the metric name "a_b" would be exposed as "a_b", as "a.b" is, to a scrape asking for escaping=underscores', 'family names under underscores'],
    ['a_b 1\n', '{"a.b"} 1\n', 'the metric name "a.b" would be exposed as "a_b", as "a_b" is, to a scrape asking for escaping=underscores', 'in either order'],
    ['a_dot_b 1\n', '{"a.b"} 1\n', 'the metric name "a.b" would be exposed as "a_dot_b", as "a_dot_b" is, to a scrape asking for escaping=dots', 'under dots'],
    ['U__a_2e_b 1\n', '{"a.b"} 1\n', 'the metric name "a.b" would be exposed as "U__a_2e_b", as "U__a_2e_b" is, to a scrape asking for escaping=values', 'under values'],
    ['# TYPE "a.b" summary\n{"a.b_sum"} 1\n{"a.b_count"} 1\n', 'a_b_sum 1\n', 'the metric name "a_b_sum" would be exposed as "a_b_sum", a series of "a.b", to a scrape asking for escaping=underscores', 'the series of a summary'],
    ['a_b_count 1\n', '# TYPE "a.b" histogram\n{"a.b_count"} 1\n', 'the _count series of "a.b" would be exposed as "a_b_count", as "a_b_count" is, to a scrape asking for escaping=underscores', 'a histogram after a name of its series'],
    ['# TYPE x histogram\nx_count 1\n', '{"x.bucket"} 1\n', 'the metric name "x.bucket" would be exposed as "x_bucket", a series of "x", to a scrape asking for escaping=underscores', 'a legacy histogram\'s series'],
    ['m{"a.b"="1"} 1\n', 'm{a_b="1"} 1\n', 'in "m" the label name "a_b" would be exposed as "a_b", as "a.b" is, to a scrape asking for escaping=underscores', 'label names of one family']
  ]
  for (const [first, second, problem, name] of cases) {
    const store = utf8Store()
    await push(store, { job: 'a' }, first)
    await t.rejects(push(store, { job: 'b' }, second), { code: 'ERR_INCONSISTENT', message: PREFIX + problem }, name)
    const stored = (await store.render('text', [])).split('\n').filter(line => line.includes('job="b"') && !line.startsWith('push_'))
    t.same(stored, [], `${name}: nothing of the refused push is stored but its failure time`)
  }
})

t.test('what the escaping check lets through', async t => {
  const store = utf8Store()
  await push(store, { job: 'a' }, '# TYPE x histogram\nx_count 1\nx_bucket{le="+Inf"} 1\n', true)
  await push(store, { job: 'b' }, '# TYPE x_bucket gauge\nx_bucket 1\n').catch((err: Error) => { t.match(err.message, 'collides with previously collected histogram named "x"', 'two legacy names: the reference\'s own check') })
  await push(store, { job: 'c' }, 'm{"a.b"="1"} 1\nn{a_b="1"} 1\n')
  t.pass('one label name in two families')
  await push(store, { job: 'c' }, 'm{a_b="1"} 1\n')
  t.pass('a group may replace its own label name')
  await push(store, { job: 'd' }, '{"k.l"} 1\n')
  await push(store, { job: 'd' }, 'k_l 1\n')
  t.pass('a PUT may rename its own family')
  await t.rejects(push(store, { job: 'd' }, '{"k.l"} 1\n', false), { message: /the metric name "k\.l" would be exposed as "k_l", as "k_l" is/ }, 'a POST keeps the other name')
  await push(store, { job: 'f' }, '# TYPE y summary\ny_count 1\n')
  await push(store, { job: 'g' }, '{"y.bucket"} 1\n')
  t.pass('a summary has no _bucket series')
  await push(store, { job: 'f' }, '{"y.count"} 1\n')
  t.pass('a PUT that drops the summary may take the name of its series')
  await t.rejects(push(store, { job: 'e' }, '{"p.q"} 1\np_q 2\n'), { message: /the metric name "p\.q" would be exposed as "p_q", as "p_q" is/ }, 'two names of one push')
  await t.rejects(push(store, { job: 'e' }, 'm{"r.s"="1"} 1\nm{r_s="2"} 2\n'), { message: /in "m" the label name "r\.s" would be exposed as "r_s", as "r_s" is/ }, 'two label names of one push')
})

t.test('a claim lasts as long as a group holds the name', async t => {
  const store = utf8Store()
  await push(store, { job: 'a' }, '{"a.b"} 1\nm{"c.d"="1"} 1\n')
  await push(store, { job: 'b' }, '{"a.b"} 1\nm{"c.d"="2"} 1\n')
  await store.delete({ job: 'a' })
  await t.rejects(push(store, { job: 'c' }, 'a_b 1\n'), { message: /as "a\.b" is/ }, 'another group still holds the name')
  await t.rejects(push(store, { job: 'c' }, 'm{c_d="3"} 1\n'), { message: /as "c\.d" is/ }, 'and the label name')
  await store.delete({ job: 'b' })
  await push(store, { job: 'c' }, 'a_b 1\nm{c_d="3"} 1\n')
  await t.rejects(push(store, { job: 'd' }, '{"a.b"} 1\n'), { message: /as "a_b" is/ })
  await store.wipe()
  await push(store, { job: 'd' }, '{"a.b"} 1\n')
  t.pass('a wipe forgets every name')
})

t.test('group labels that would show alike', async t => {
  const store = utf8Store()
  await push(store, { job: 'j', 'my.label': 'v' }, 'm 1\n')
  await t.rejects(push(store, { job: 'j', my_label: 'w' }, 'n 1\n'), { message: PREFIX + 'in "push_time_seconds" the label name "my_label" would be exposed as "my_label", as "my.label" is, to a scrape asking for escaping=underscores' })
  await store.recordFailure({ job: 'j', my_label: 'w' }, 2_000_000_000n)
  t.notMatch(await store.render('text', []), /my_label="w"/, 'no failure group is created for it either')
  await store.recordFailure({ job: 'k', 'my.label': 'w' }, 2_000_000_000n)
  t.match(await store.render('text', [], 'underscores'), 'push_failure_time_seconds{instance="",job="k",my_label="w"} 2\n', 'a failure group that clashes with nothing is')
})

t.test('an index that does not claim names finds no clash', async t => {
  const index = new FamilyIndex()
  t.equal(index.escapingClash('g', { name: 'a.b', type: 'gauge', metrics: [] }, new NameClaims(), () => undefined), undefined)
  t.equal(index.labelClash('g', 'm', ['a.b', 'a_b']), undefined)
  t.equal(new FamilyIndex({ claimNames: true }).labelClash('g', 'm', ['a.b', 'a_b']), 'in "m" the label name "a.b" would be exposed as "a_b", as "a_b" is, to a scrape asking for escaping=underscores', 'labels of one push clash among themselves')
})

t.test('NameClaims counts holders', async t => {
  const claims = new NameClaims()
  claims.add('a.b')
  claims.add('a.b')
  t.same(claims.rival('a_b'), { name: 'a.b', scheme: 'underscores', exposed: 'a_b' })
  t.equal(claims.rival('a_b', '', (_other, holders) => holders > 2), undefined, 'the filter sees the holder count')
  claims.remove('a.b')
  t.equal(claims.shownAs('underscores', 'a_b')?.get('a.b'), 1)
  claims.remove('a.b')
  t.equal(claims.shownAs('underscores', 'a_b'), undefined)
  t.equal(claims.rival('a.b'), undefined, 'a name is no rival of itself')
  t.equal(claims.changing, 0)
  claims.add('x')
  claims.add('x.y')
  t.equal(claims.changing, 1, 'only names some scheme changes')
  claims.clear()
  t.equal(claims.changing, 0)
  t.equal(claims.shownAs('dots', 'x'), undefined)
})

t.test('after any sequence of changes the exposition order is the one a fresh sort gives', async t => {
  const random = generator(42)
  const family = (group: number, series: number[]): StoredFamily => ({
    timeNs: 1n,
    family: { name: 'm', type: 'gauge', metrics: series.map(s => ({ labels: [{ name: 'g', value: String(group % 3) }, { name: 's', value: String(s) }], value: group * 100 + s })) }
  })
  const index = new FamilyIndex()
  const held = new Map<number, StoredFamily>()
  const order = async (of: FamilyIndex): Promise<string[]> => ((await of.families())[0]?.metrics ?? []).map(m => `${m.labels.map(l => l.value).join(',')}=${String(m.value)}`)
  let mismatches = 0
  for (let step = 0; step < 400; step++) {
    const group = random(90)
    if (random(5) === 0) {
      index.remove(String(group), 'm')
      held.delete(group)
    } else {
      // Series may repeat across groups: the index orders them as the groups first pushed them.
      const stored = family(group, Array.from({ length: 1 + random(6) }, () => random(20)))
      index.set({ id: String(group), labels: { job: 'j', instance: String(group) } }, stored)
      // A group that holds the family keeps its place among the holders.
      held.set(group, stored)
    }
    // Now and then, and never for a while: then more than a quarter of the holders change before a scrape.
    if (random(4) !== 0 || (step > 200 && step < 300)) continue
    const fresh = new FamilyIndex()
    for (const [g, stored] of held) fresh.set({ id: String(g), labels: { job: 'j', instance: String(g) } }, stored)
    if ((await order(index)).join(' ') !== (await order(fresh)).join(' ')) mismatches++
  }
  t.equal(mismatches, 0)
  t.ok(held.size > 10, `${held.size} groups hold the family at the end`)
})

t.test('after any sequence of changes a render is the one a fresh index renders, whatever lines it kept', async t => {
  const random = generator(7)
  const pick = <T>(values: readonly T[]): T => values[random(values.length)] as T
  // Label values with what a line's value and timestamp never hold, and what must be escaped.
  const labelValue = (): string => pick(['1', 'x}y', 'sp ace', 'q"u\\o\nte', '} 9'])
  const metric = (type: MetricType, labels: LabelPair[]): Metric => {
    const value = pick([1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21, 7])
    const made: Metric = { labels }
    if (type === 'summary') made.summary = { sampleCount: 3, sampleSum: value, quantiles: [{ quantile: 0.5, value }] }
    else if (type === 'histogram') made.histogram = { ...emptyHistogram(), sampleCount: 2, sampleSum: value, buckets: [{ upperBound: 1, cumulativeCount: 2 }] }
    else made.value = value
    if (random(3) === 0) made.timestampMs = 1_700_000_000_000 + random(1000)
    // What OpenMetrics writes of a counter after its value, or on a line of its own.
    if (type === 'counter' && random(4) === 0) made.exemplar = { labels: [{ name: 'trace', value: labelValue() }], value }
    if (type === 'counter' && random(4) === 0) made.createdTimestampMs = 1_600_000_000_000
    return made
  }
  const seriesOf = (): LabelPair[][] => {
    const all = [[], [{ name: 'a', value: labelValue() }], [{ name: 'a', value: labelValue() }, { name: 'b', value: labelValue() }]]
    const kept = all.filter(() => random(2) === 0)
    const unique = new Map(kept.map(labels => [JSON.stringify(labels), labels]))
    return unique.size === 0 ? [[]] : [...unique.values()]
  }
  const labelsOf = (group: number): { id: string, labels: Record<string, string> } => ({ id: String(group), labels: { job: 'j', instance: String(group) } })
  // Family `m` and `my.metric` are gauges every group may hold; `own<group>_total` is one group's, whose type changes.
  const names = ['m', 'my.metric', 'own']
  const index = new FamilyIndex()
  const held = new Map<string, { group: number, stored: StoredFamily }>()
  let renders = 0
  let reused = 0
  for (let step = 0; step < 600; step++) {
    const group = random(12)
    const base = pick(names)
    const name = base === 'own' ? `own${group}_total` : base
    const key = `${group} ${name}`
    const current = held.get(key)
    const change = random(6)
    if (change === 0) {
      index.remove(String(group), name)
      held.delete(key)
    } else if (current !== undefined && change < 4) {
      // New values for the same series: in place, as a repeated push writes them, or in new metrics.
      const { family } = current.stored
      if (change === 1) {
        for (const m of family.metrics) Object.assign(m, metric(family.type, m.labels))
        index.set(labelsOf(group), current.stored)
      } else {
        const stored = { timeNs: 1n, family: { ...family, metrics: family.metrics.map(m => metric(family.type, m.labels)) } }
        index.set(labelsOf(group), stored)
        held.set(key, { group, stored })
      }
      reused++
    } else {
      const type: MetricType = base === 'own' ? pick(['gauge', 'counter', 'untyped', 'summary', 'histogram']) : 'gauge'
      const stored = { timeNs: 1n, family: { name, type, metrics: seriesOf().map(labels => metric(type, labels)) } }
      index.set(labelsOf(group), stored)
      held.set(key, { group, stored })
    }
    if (random(3) !== 0) continue
    const fresh = new FamilyIndex()
    for (const { group: g, stored } of held.values()) fresh.set(labelsOf(g), stored)
    const format = pick(['text', 'openmetrics'] as const)
    t.equal(await index.render(format, []), await fresh.render(format, []), `render ${++renders} (${format}) after step ${step}`)
  }
  t.ok(renders > 100 && reused > 100, `${renders} renders, ${reused} changes of values only`)
})

t.test('a family whose only group changes its type, not its series, renders its lines afresh', async t => {
  const index = new FamilyIndex()
  const group = { id: 'g', labels: { job: 'j' } }
  const labels = [{ name: 'a', value: '1' }]
  index.set(group, { timeNs: 1n, family: { name: 'm', type: 'summary', metrics: [{ labels, summary: { sampleCount: 2, sampleSum: 3, quantiles: [] } }] } })
  t.equal(await index.render('text', []), '# TYPE m summary\nm_sum{a="1"} 3\nm_count{a="1"} 2\n')
  index.set(group, { timeNs: 1n, family: { name: 'm', type: 'gauge', metrics: [{ labels, value: 4 }] } })
  t.equal(await index.render('text', []), '# TYPE m gauge\nm{a="1"} 4\n')
})

t.test('a series is looked up only among groups that could hold it: same job, same instance or none', async t => {
  const store = new MemoryStore()
  const refused = /was collected before with the same name and label values/
  await push(store, { job: 'a', instance: 'x' }, 'm{k="1"} 1\n')
  await push(store, { job: 'a', instance: 'y' }, 'm{k="1"} 1\n')
  await push(store, { job: 'b' }, 'm{instance="x",k="1"} 1\n')
  t.pass('other instances and other jobs hold other series')
  await t.rejects(push(store, { job: 'a' }, 'm{instance="x",k="1"} 1\n'), refused, 'a group without an instance may show one with an instance')
  await t.rejects(push(store, { job: 'a', instance: 'z' }, 'm{k="1"} 1\n\n').then(async () => push(store, { job: 'a' }, 'm{instance="z",k="1"} 1\n')), refused, 'also one that was not compared before')
  await push(store, { job: 'a' }, 'm{instance="w",k="1"} 1\n')
  await t.rejects(push(store, { job: 'a', instance: 'w' }, 'm{k="1"} 1\n'), refused, 'and the other way round')
  await store.delete({ job: 'a' })
  await push(store, { job: 'a', instance: 'w' }, 'm{k="1"} 1\n')
  t.pass('a deleted group holds nothing any more')
  await t.rejects(push(store, { job: 'c', foo: '1' }, 'm 1\n').then(async () => push(store, { job: 'c' }, 'm{foo="1"} 1\n')), refused, 'other grouping labels are compared series by series')
  await t.rejects(push(store, { job: 'a', instance: 'x' }, 'm{k="1"} 1\nm{k="1"} 2\n'), /collected metric "m" \{instance="x",job="a",k="1"\} was collected before/, 'within a push too')
  await push(store, { job: 'a', instance: 'x' }, 'm{k="2"} 1\n')
  await push(store, { job: 'a' }, 'm{instance="x",k="1"} 1\n')
  t.pass('once a group no longer holds a series, another may')
})

t.test('a family of more than 16,384 metrics is sorted a run at a time, to the order of a sort at once', async t => {
  const stored = (group: number, count: number): StoredFamily => ({
    timeNs: 1n,
    // Labels repeat within and across groups (only a gateway without the consistency check stores that): equal ones keep the groups' order.
    family: { name: 'm', type: 'gauge', metrics: Array.from({ length: count }, (_, i) => ({ labels: [{ name: 'k', value: String((i * 7919 + group) % 5000) }], value: group * 1e6 + i })) }
  })
  const build = (groups: number): FamilyIndex => {
    const index = new FamilyIndex()
    for (let g = 0; g < groups; g++) index.set({ id: String(g), labels: { job: 'j', instance: String(g) } }, stored(g, 15_000))
    return index
  }
  const expected = (groups: number): number[] => {
    const all = Array.from({ length: groups }, (_, g) => stored(g, 15_000).family.metrics).flat()
    return all.sort((a, b) => (a.labels[0]?.value as string) < (b.labels[0]?.value as string) ? -1 : (a.labels[0]?.value as string) > (b.labels[0]?.value as string) ? 1 : 0).map(m => m.value as number)
  }

  let pauses = 0
  const [family] = await build(3).families(async () => { pauses++ })
  t.same(family?.metrics.map(m => m.value), expected(3))
  t.equal(pauses, 6, 'three runs of at most 16,384, then two merges and the last')

  const rendered = build(3)
  const text = await rendered.render('text', [], 'allow-utf-8', async () => {})
  t.equal(text.split('\n').slice(1, -1).map(line => Number(line.split(' ')[1])).join(','), expected(3).join(','), 'a scrape renders in the same order')

  // Written to while it is sorted: that sort is dropped, and the family sorted at once afterwards.
  const changing = build(2)
  let added = false
  const [after] = await changing.families(async () => {
    if (added) return
    added = true
    changing.set({ id: '2', labels: { job: 'j', instance: '2' } }, stored(2, 15_000))
  })
  t.same(after?.metrics.map(m => m.value), expected(3), 'the group added meanwhile is in its place')
})
