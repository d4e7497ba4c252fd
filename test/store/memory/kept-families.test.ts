import t from 'tap'
import { keptFamily, ownString, sharedPair, sharedString } from '../../../src/store/memory/kept-families.js'
import { keepSeriesKeys, seriesKeys } from '../../../src/groups/series-keys.js'
import type { LabelPair, MetricFamily } from '../../../src/exposition/types.js'

t.test('keptFamily copies the family, metrics, label arrays and pairs, keeping shared pairs shared', async t => {
  const job: LabelPair = { name: 'job', value: 'j' }
  const histogram = { sampleCount: 1 }
  const family = {
    name: 'm',
    type: 'gauge',
    help: 'h',
    unit: 'u',
    metrics: [
      { labels: [{ name: 'a', value: '1' }, job], value: 1 },
      { labels: [{ name: 'a', value: '2' }, job], value: 2, histogram }
    ]
  } as unknown as MetricFamily
  const keys = ['k1', 'k2']
  keepSeriesKeys(family, keys)
  const kept = keptFamily(family)
  t.strictSame(kept, family, 'equal')
  t.not(kept, family)
  t.not(kept.metrics, family.metrics)
  t.not(kept.metrics[0], family.metrics[0])
  t.not(kept.metrics[0]?.labels, family.metrics[0]?.labels)
  t.not(kept.metrics[0]?.labels[1], job, 'pairs are copied')
  t.equal(kept.metrics[0]?.labels[1], kept.metrics[1]?.labels[1], 'a pair shared by two metrics stays shared')
  t.equal(kept.metrics[1]?.histogram, family.metrics[1]?.histogram, 'what metrics hold is shared')
  t.equal(seriesKeys(kept, false), keys, 'the series keys go with the copy')
  const plain = keptFamily({ name: 'p', type: 'untyped', metrics: [] })
  t.strictSame(plain, { name: 'p', type: 'untyped', metrics: [] }, 'no help or unit added')
})

t.test('keptFamily copies families of many distinct pairs', async t => {
  const job: LabelPair = { name: 'job', value: 'j' }
  const family: MetricFamily = { name: 'm', type: 'gauge', metrics: Array.from({ length: 40 }, (_, i) => ({ labels: [{ name: 'i', value: String(i) }, job], value: i })) }
  const kept = keptFamily(family)
  t.strictSame(kept, family)
  t.equal(kept.metrics[39]?.labels[1], kept.metrics[0]?.labels[1], 'the group\'s pair, met in the first metric, stays shared')
})

t.test('ownString returns the same text', async t => {
  const body = 'x'.repeat(100) + 'a long enough name' + 'y'.repeat(100)
  const sliced = body.slice(100, 118)
  t.equal(ownString(sliced), 'a long enough name')
  t.equal(ownString('short'), 'short')
  t.equal(ownString(''), '')
})

t.test('sharedString returns the same text, whatever it remembers', async t => {
  const body = 'x'.repeat(100) + 'a long enough name' + 'y'.repeat(100)
  t.equal(sharedString(body.slice(100, 118)), 'a long enough name')
  t.equal(sharedString(body.slice(100, 118)), 'a long enough name', 'met again')
  const long = 'h'.repeat(300)
  t.equal(sharedString(long), long, 'a long text')
  // More texts than it remembers, then more characters: it starts over each time.
  t.ok(Array.from({ length: 5000 }, (_, i) => `v${i}`).every(text => sharedString(text) === text), 'more texts than it keeps')
  const texts = Array.from({ length: 5000 }, (_, i) => `${i}`.padStart(250, 'z'))
  t.ok(texts.every(text => sharedString(text) === text), 'more characters than it keeps')
})

t.test('keptFamily copies metrics of every kind with what they hold', async t => {
  const family = {
    name: 'm',
    type: 'summary',
    metrics: [
      { labels: [], summary: { sampleCount: 1, sampleSum: 2, quantiles: [] } },
      { labels: [], value: 1, timestampMs: 5 },
      { labels: [], value: 1, exemplar: { labels: [], value: 1 } },
      { labels: [], value: 1, createdTimestampMs: 5 }
    ]
  } as unknown as MetricFamily
  t.strictSame(keptFamily(family), family)
})

t.test('keptFamily gives a pair equal to one of the group\'s that one', async t => {
  const groupPairs: LabelPair[] = [{ name: 'instance', value: 'i' }, { name: 'job', value: 'j' }]
  const family: MetricFamily = { name: 'm', type: 'gauge', metrics: [{ labels: [{ name: 'a', value: '1' }, { name: 'instance', value: 'i' }, { name: 'job', value: 'j' }], value: 1 }] }
  const kept = keptFamily(family, groupPairs)
  t.strictSame(kept, family)
  t.equal(kept.metrics[0]?.labels[1], groupPairs[0])
  t.equal(kept.metrics[0]?.labels[2], groupPairs[1])
  t.not(kept.metrics[0]?.labels[0], family.metrics[0]?.labels[0], 'others are copied')
})

t.test('sharedPair hands out one pair for equal pairs met recently', async t => {
  const one = sharedPair({ name: 'kind', value: 'k1' })
  t.strictSame(one, { name: 'kind', value: 'k1' })
  t.equal(sharedPair({ name: 'kind', value: 'k1' }), one, 'the same object')
  t.not(sharedPair({ name: 'kin', value: 'dk1' }), one, 'whatever the name and value put together')
  t.strictSame(sharedPair({ name: 'kin', value: 'dk1' }), { name: 'kin', value: 'dk1' })
  const long = { name: 'l', value: 'v'.repeat(300) }
  t.strictSame(sharedPair(long), long, 'a long one is copied')
  t.not(sharedPair(long), sharedPair(long), 'and not remembered')
})

t.test('keptFamily shares pairs across families and groups', async t => {
  const family = (group: string): MetricFamily => ({ name: 'm', type: 'gauge', metrics: [{ labels: [{ name: 'group', value: group }, { name: 'status', value: 'ok' }], value: 1 }] })
  const a = keptFamily(family('a'))
  const b = keptFamily(family('b'))
  t.equal(a.metrics[0]?.labels[1], b.metrics[0]?.labels[1], 'one status="ok"')
  t.not(a.metrics[0]?.labels[0], b.metrics[0]?.labels[0])
})

t.test('keptFamily gives a family of more than 1,024 metrics pairs of its own', async t => {
  const family = (group: string): MetricFamily => ({ name: 'big', type: 'gauge', metrics: Array.from({ length: 1025 }, (_, i) => ({ labels: [{ name: 'group', value: group }, { name: 'i', value: `${i}` }], value: i })) })
  const a = keptFamily(family('a'))
  const b = keptFamily(family('b'))
  t.strictSame(a, family('a'))
  t.not(a.metrics[7]?.labels[1], b.metrics[7]?.labels[1], 'equal pairs of two groups are two objects')
})
