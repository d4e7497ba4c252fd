import t from 'tap'
import { GAUGE_RULES, addFamilies, increaseSince, type GaugeRule } from '../../src/groups/aggregate.js'
import { keepSeriesKeys, seriesKeys } from '../../src/groups/series-keys.js'
import { emptyHistogram, type Histogram, type Metric, type MetricFamily, type MetricType } from '../../src/exposition/types.js'

const A = [{ name: 'job', value: 'a' }]
const B = [{ name: 'job', value: 'b' }]

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}

function family (name: string, type: MetricType, metrics: Metric[], extra: Partial<MetricFamily> = {}): MetricFamily {
  return deepFreeze({ name, type, metrics, ...extra })
}

function add (stored: MetricFamily[], pushed: MetricFamily[], rule: GaugeRule = 'last'): MetricFamily[] {
  const byName = new Map(stored.map(f => [f.name, f]))
  return addFamilies(name => byName.get(name), pushed, () => rule)
}

function classic (counts: number[], bounds = [0.1, 1, Infinity], sum = 1): Histogram {
  return { ...emptyHistogram(), sampleCount: counts[counts.length - 1] as number, sampleSum: sum, buckets: bounds.map((upperBound, i) => ({ upperBound, cumulativeCount: counts[i] as number })) }
}

function native (positive: Record<number, number>, extra: Partial<Histogram> = {}): Histogram {
  // Integer buckets as spans and deltas, written out from absolute counts.
  const indices = Object.keys(positive).map(Number).sort((x, y) => x - y)
  const positiveSpans: Histogram['positiveSpans'] = []
  const positiveDeltas: number[] = []
  let next: number | undefined
  let previous = 0
  for (const index of indices) {
    const last = positiveSpans[positiveSpans.length - 1]
    if (last !== undefined && index === next) last.length++
    else positiveSpans.push({ offset: next === undefined ? index : index - next, length: 1 })
    positiveDeltas.push((positive[index] as number) - previous)
    previous = positive[index] as number
    next = index + 1
  }
  return { ...emptyHistogram(), sampleCount: 10, sampleSum: 5, schema: 3, zeroThreshold: 0.001, zeroCount: 1, positiveSpans, positiveDeltas, ...extra }
}

t.test('GAUGE_RULES lists every rule, last first', async t => {
  t.strictSame(GAUGE_RULES, ['last', 'sum', 'min', 'max'])
})

t.test('counters and untyped are summed; new series follow the stored ones', async t => {
  const stored = family('c_total', 'counter', [{ labels: A, value: 2, createdTimestampMs: 5 }, { labels: B, value: 1 }], { help: 'old' })
  const pushed = family('c_total', 'counter', [
    { labels: [{ name: 'job', value: 'c' }], value: 7 },
    { labels: A, value: 3, createdTimestampMs: 9, exemplar: { labels: [], value: 1 } }
  ])
  const [result] = add([stored], [pushed])
  t.strictSame(result, {
    name: 'c_total',
    type: 'counter',
    help: 'old',
    metrics: [
      { labels: A, value: 5, exemplar: { labels: [], value: 1 }, createdTimestampMs: 5 },
      { labels: B, value: 1 },
      { labels: [{ name: 'job', value: 'c' }], value: 7 }
    ]
  })
  const [untyped] = add([family('u', 'untyped', [{ labels: A, value: 1, exemplar: { labels: [], value: 2 } }], { unit: 'x' })], [family('u', 'untyped', [{ labels: A, value: 1, createdTimestampMs: 3 }], { help: 'new' })])
  t.strictSame(untyped, { name: 'u', type: 'untyped', help: 'new', unit: 'x', metrics: [{ labels: A, value: 2, exemplar: { labels: [], value: 2 }, createdTimestampMs: 3 }] })
  const [alone] = add([], [pushed])
  t.equal(alone?.metrics.length, 2, 'a family the group lacks is taken as pushed')
  t.notOk(Object.hasOwn(alone ?? {}, 'help'), 'no help when neither has one')
})

t.test('a series pushed twice stays twice, for the consistency check', async t => {
  const [result] = add([family('c', 'counter', [{ labels: A, value: 1 }])], [family('c', 'counter', [{ labels: A, value: 1 }, { labels: A, value: 2 }])])
  t.strictSame(result?.metrics, [{ labels: A, value: 2 }, { labels: A, value: 2 }])
})

t.test('gauges by rule, NaN never winning min or max', async t => {
  const cases: Array<[GaugeRule, number, number, number]> = [
    ['last', 3, 1, 1], ['sum', 3, 1, 4], ['min', 3, 1, 1], ['max', 3, 1, 3],
    ['min', NaN, 1, 1], ['min', 1, NaN, 1], ['max', NaN, 2, 2], ['max', 2, NaN, 2]
  ]
  for (const [rule, stored, pushed, expected] of cases) {
    const [result] = add([family('g', 'gauge', [{ labels: A, value: stored }])], [family('g', 'gauge', [{ labels: A, value: pushed }])], rule)
    t.equal(result?.metrics[0]?.value, expected, `${rule}(${stored}, ${pushed})`)
  }
  const [both] = add([family('g', 'gauge', [{ labels: A, value: NaN }])], [family('g', 'gauge', [{ labels: A, value: NaN }])], 'max')
  t.ok(Number.isNaN(both?.metrics[0]?.value), 'NaN when both are')
  const [missing] = add([family('g', 'gauge', [{ labels: A }])], [family('g', 'gauge', [{ labels: A }])], 'sum')
  t.equal(missing?.metrics[0]?.value, 0, 'a missing value counts as 0')
})

t.test('summaries: count and sum added, quantiles dropped', async t => {
  const summary = (count: number, created?: number): Metric => ({ labels: A, summary: { sampleCount: count, sampleSum: count / 2, quantiles: [{ quantile: 0.5, value: 1 }], ...(created === undefined ? {} : { createdTimestampMs: created }) } })
  const [result] = add([family('s', 'summary', [summary(2)])], [family('s', 'summary', [summary(4, 7), { labels: B, summary: { sampleCount: 1, sampleSum: 1, quantiles: [{ quantile: 0.9, value: 3 }] } }])])
  t.strictSame(result?.metrics, [
    { labels: A, summary: { sampleCount: 6, sampleSum: 3, quantiles: [], createdTimestampMs: 7 } },
    { labels: B, summary: { sampleCount: 1, sampleSum: 1, quantiles: [] } }
  ])
})

t.test('another type than the stored family is refused', async t => {
  t.throws(() => add([family('m', 'gauge', [])], [family('m', 'counter', [])]), { code: 'ERR_AGGREGATION', statusCode: 400, message: 'cannot add the counter family "m" to the gauge family the group holds' })
})

t.test('classic histograms: bucket by bucket with the same bounds, refused otherwise', async t => {
  const stored = family('h', 'histogram', [{ labels: A, histogram: { ...classic([1, 2, 3]), createdTimestampMs: 4, buckets: [{ upperBound: 0.1, cumulativeCount: 1, exemplar: { labels: [], value: 0.05 } }, { upperBound: 1, cumulativeCount: 2 }, { upperBound: Infinity, cumulativeCount: 3 }] } }])
  const [result] = add([stored], [family('h', 'histogram', [{ labels: A, histogram: classic([0, 5, 6], undefined, 2) }])])
  t.strictSame(result?.metrics[0]?.histogram, {
    ...emptyHistogram(),
    sampleCount: 9,
    sampleSum: 3,
    createdTimestampMs: 4,
    buckets: [{ upperBound: 0.1, cumulativeCount: 1, exemplar: { labels: [], value: 0.05 } }, { upperBound: 1, cumulativeCount: 7 }, { upperBound: Infinity, cumulativeCount: 9 }]
  })
  t.throws(() => add([stored], [family('h', 'histogram', [{ labels: A, histogram: classic([1, 2, 3], [0.5, 1, Infinity]) }])]), {
    code: 'ERR_AGGREGATION',
    message: 'histogram h{job="a"} cannot be added: the pushed bucket bounds [0.5, 1, +Inf] differ from the stored [0.1, 1, +Inf]'
  })
  const many = Array.from({ length: 12 }, (_, i) => i + 1)
  t.throws(() => add([stored], [family('h', 'histogram', [{ labels: A, histogram: classic(many, many) }])]), { message: /pushed bucket bounds \[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …\] differ/ })
})

t.test('float histograms: float counts win', async t => {
  const floatHistogram: Histogram = { ...classic([1, 2, 3]), sampleCountFloat: 2.5, buckets: [{ upperBound: 1, cumulativeCount: 0, cumulativeCountFloat: 1.5 }] }
  const [result] = add([family('h', 'histogram', [{ labels: A, histogram: { ...classic([1], [1]), sampleCount: 1 } }])], [family('h', 'histogram', [{ labels: A, histogram: floatHistogram }])])
  t.match(result?.metrics[0]?.histogram, { sampleCount: 0, sampleCountFloat: 3.5, buckets: [{ upperBound: 1, cumulativeCount: 0, cumulativeCountFloat: 2.5 }] })
})

t.test('native histograms: summed index by index into minimal spans', async t => {
  const stored = native({ 1: 2, 2: 3, 3: 1, [-1]: 0 }, { negativeSpans: [{ offset: -2, length: 1 }], negativeDeltas: [4], exemplars: [{ labels: [], value: 1 }] })
  const pushed = native({ 2: 1, 7: 5, 8: 2 }, { zeroCount: 3, createdTimestampMs: 8 })
  const [result] = add([family('n', 'histogram', [{ labels: A, histogram: stored }])], [family('n', 'histogram', [{ labels: A, histogram: pushed }])])
  t.strictSame(result?.metrics[0]?.histogram, {
    ...emptyHistogram(),
    sampleCount: 20,
    sampleSum: 10,
    createdTimestampMs: 8,
    schema: 3,
    zeroThreshold: 0.001,
    zeroCount: 4,
    // Absolute: -1:0 1:2 2:4 3:1 7:5 8:2
    positiveSpans: [{ offset: -1, length: 1 }, { offset: 1, length: 3 }, { offset: 3, length: 2 }],
    positiveDeltas: [0, 2, 2, -3, 4, -3],
    negativeSpans: [{ offset: -2, length: 1 }],
    negativeDeltas: [4],
    exemplars: [{ labels: [], value: 1 }]
  })
  const floats: Histogram = { ...emptyHistogram(), sampleCount: 0, sampleCountFloat: 1.5, sampleSum: 1, schema: 3, zeroCountFloat: 0.5, positiveSpans: [{ offset: 2, length: 1 }], positiveCounts: [1.5], exemplars: [{ labels: [], value: 2 }] }
  const [mixed] = add([family('n', 'histogram', [{ labels: A, histogram: { ...native({ 2: 1 }), zeroThreshold: undefined as unknown as number } }])], [family('n', 'histogram', [{ labels: A, histogram: { ...floats, zeroThreshold: 0 } }])])
  t.match(mixed?.metrics[0]?.histogram, { sampleCount: 0, sampleCountFloat: 11.5, zeroThreshold: 0, zeroCountFloat: 1.5, positiveSpans: [{ offset: 2, length: 1 }], positiveCounts: [2.5], positiveDeltas: [], exemplars: [{ labels: [], value: 2 }] })
  t.throws(() => add([family('n', 'histogram', [{ labels: A, histogram: native({ 1: 1 }) }])], [family('n', 'histogram', [{ labels: A, histogram: native({ 1: 1 }, { schema: 2 }) }])]), {
    code: 'ERR_AGGREGATION',
    message: 'histogram n{job="a"} cannot be added: the pushed native schema 2 and zero threshold 0.001 differ from the stored 3 and 0.001'
  })
  t.throws(() => add([family('n', 'histogram', [{ labels: A, histogram: classic([1, 1, 1]) }])], [family('n', 'histogram', [{ labels: A, histogram: { ...classic([1, 1, 1]), schema: 0 } }])]), {
    message: /native schema 0 and zero threshold 0 differ from the stored none and 0/
  })
  t.throws(() => add([family('n', 'histogram', [{ labels: A, histogram: native({ 1: 1 }) }])], [family('n', 'histogram', [{ labels: A, histogram: { ...emptyHistogram(), sampleCount: 1 } }])]), {
    message: /native schema none and zero threshold 0 differ from the stored 3 and 0.001/
  })
  const bare: Histogram = { ...emptyHistogram(), sampleCount: 1, schema: 0 }
  const [noZero] = add([family('n', 'histogram', [{ labels: A, histogram: bare }])], [family('n', 'histogram', [{ labels: A, histogram: bare }])])
  t.match(noZero?.metrics[0]?.histogram, { sampleCount: 2, schema: 0, zeroCount: 0, positiveSpans: [] }, 'no zero bucket on either side')
})

t.test('gauge histograms are replaced', async t => {
  const pushed: Metric = { labels: A, histogram: classic([1, 1, 1]) }
  const [result] = add([family('gh', 'gaugehistogram', [{ labels: A, histogram: classic([5, 5, 5], [1, 2, 3]) }])], [family('gh', 'gaugehistogram', [pushed])], 'sum')
  t.equal(result?.metrics[0], pushed)
})

t.test('increaseSince: the increase since the writer\'s last push, a decrease being a reset', async t => {
  const previous = [
    family('c', 'counter', [{ labels: A, value: 5 }, { labels: B, value: 5 }]),
    family('u', 'untyped', [{ labels: A, value: NaN }]),
    family('g', 'gauge', [{ labels: A, value: 9 }]),
    family('s', 'summary', [{ labels: A, summary: { sampleCount: 4, sampleSum: 2, quantiles: [] } }, { labels: B, summary: { sampleCount: 4, sampleSum: 2, quantiles: [] } }]),
    family('t', 'gauge', [{ labels: A, value: 1 }])
  ]
  const pushed = [
    family('c', 'counter', [{ labels: A, value: 8 }, { labels: B, value: 2 }, { labels: [{ name: 'job', value: 'new' }], value: 4 }]),
    family('u', 'untyped', [{ labels: A, value: 3 }]),
    family('g', 'gauge', [{ labels: A, value: 1 }]),
    family('s', 'summary', [{ labels: A, summary: { sampleCount: 6, sampleSum: 5, quantiles: [{ quantile: 0.5, value: 1 }] } }, { labels: B, summary: { sampleCount: 1, sampleSum: 1, quantiles: [] } }]),
    family('t', 'counter', [{ labels: A, value: 1 }]),
    family('fresh', 'counter', [{ labels: A, value: 2 }])
  ]
  const result = increaseSince(previous, pushed)
  t.strictSame(result.map(f => f.metrics.map(m => m.value ?? m.summary?.sampleCount)), [[3, 2, 4], [3], [1], [2, 1], [1], [2]])
  t.equal(result[3]?.metrics[0]?.summary?.sampleSum, 3)
  t.equal(result[2], pushed[2], 'gauges as pushed')
  t.equal(result[4], pushed[4], 'a family that changed type starts again')
  t.strictSame(increaseSince(undefined, pushed), pushed, 'a new writer')
  t.strictSame(increaseSince([family('c', 'counter', [{ labels: A }])], [family('c', 'counter', [{ labels: A }])])[0]?.metrics[0]?.value, 0, 'missing values count as 0')
})

t.test('increaseSince for histograms', async t => {
  const before = family('h', 'histogram', [
    { labels: A, histogram: classic([1, 2, 3]) },
    { labels: B, histogram: native({ 1: 2, 2: 3 }) },
    { labels: [{ name: 'job', value: 'c' }], histogram: classic([1, 2, 3]) },
    { labels: [{ name: 'job', value: 'd' }], histogram: native({ 1: 2, 2: 3 }) },
    { labels: [{ name: 'job', value: 'e' }], histogram: classic([1, 2, 3]) }
  ])
  const after = family('h', 'histogram', [
    { labels: A, histogram: classic([1, 4, 6], undefined, 3) },
    { labels: B, histogram: native({ 1: 2, 2: 4, 5: 1 }, { sampleCount: 13, sampleSum: 6, zeroCount: 1 }) },
    { labels: [{ name: 'job', value: 'c' }], histogram: classic([0, 3, 3]) },
    { labels: [{ name: 'job', value: 'd' }], histogram: native({ 2: 9 }, { sampleCount: 20 }) },
    { labels: [{ name: 'job', value: 'e' }], histogram: classic([1, 2, 3], [1, 2, Infinity]) }
  ])
  const [result] = increaseSince([before], [after])
  t.match(result?.metrics[0]?.histogram, { sampleCount: 3, sampleSum: 2, buckets: [{ cumulativeCount: 0 }, { cumulativeCount: 2 }, { cumulativeCount: 3 }] })
  t.match(result?.metrics[1]?.histogram, { sampleCount: 3, sampleSum: 1, zeroCount: 0, positiveSpans: [{ offset: 1, length: 2 }, { offset: 2, length: 1 }], positiveDeltas: [0, 1, 0] })
  t.equal(result?.metrics[2], after.metrics[2], 'a bucket went down: a reset')
  t.equal(result?.metrics[3], after.metrics[3], 'a native bucket disappeared: a reset')
  t.equal(result?.metrics[4], after.metrics[4], 'other bounds: a reset')
  const zeroDown = increaseSince([family('h', 'histogram', [{ labels: A, histogram: native({ 1: 1 }, { zeroCount: 5 }) }])], [family('h', 'histogram', [{ labels: A, histogram: native({ 1: 1 }, { zeroCount: 2, sampleCount: 20 }) }])])
  t.equal(zeroDown[0]?.metrics[0]?.histogram?.zeroCount, 2, 'the zero bucket went down: a reset')
  const floatBuckets = (count: number): Histogram => ({ ...classic([1], [1]), buckets: [{ upperBound: 1, cumulativeCount: 0, cumulativeCountFloat: count }] })
  const floatUp = increaseSince([family('h', 'histogram', [{ labels: A, histogram: floatBuckets(1.5) }])], [family('h', 'histogram', [{ labels: A, histogram: floatBuckets(4) }])])
  t.equal(floatUp[0]?.metrics[0]?.histogram?.buckets[0]?.cumulativeCountFloat, 2.5, 'float buckets')
  const floatNative = (count: number): Histogram => ({ ...emptyHistogram(), sampleCount: 0, sampleCountFloat: count, sampleSum: 1, schema: 1, zeroCountFloat: count / 2, positiveSpans: [{ offset: 0, length: 1 }], positiveCounts: [count] })
  const nativeUp = increaseSince([family('h', 'histogram', [{ labels: A, histogram: floatNative(1) }])], [family('h', 'histogram', [{ labels: A, histogram: floatNative(3) }])])
  t.match(nativeUp[0]?.metrics[0]?.histogram, { sampleCountFloat: 2, zeroCountFloat: 1, positiveCounts: [2] }, 'float native buckets')
  const countDown = increaseSince([family('h', 'histogram', [{ labels: A, histogram: classic([1, 2, 3]) }])], [family('h', 'histogram', [{ labels: A, histogram: { ...classic([1, 2, 3]), sampleCount: 1 } }])])
  t.equal(countDown[0]?.metrics[0]?.histogram?.sampleCount, 1, 'the count went down: a reset')
})

t.test('the same series in the same order are paired by position and keep the pushed keys', async t => {
  const stored = family('c', 'counter', [{ labels: A, value: 1 }, { labels: B, value: 2 }])
  const pushed: MetricFamily = { name: 'c', type: 'counter', metrics: [{ labels: A, value: 10 }, { labels: B, value: 20 }] }
  const keys = ['kept a', 'kept b']
  keepSeriesKeys(pushed, keys)
  const [sum] = add([stored], [pushed])
  t.strictSame(sum?.metrics, [{ labels: A, value: 11 }, { labels: B, value: 22 }])
  t.equal(seriesKeys(sum as MetricFamily, false), keys, 'the sum has the keys made for the push')
  const [alone] = add([], [pushed])
  t.equal(seriesKeys(alone as MetricFamily, false), keys, 'so has a family the group lacked')
  const [swapped] = add([stored], [family('c', 'counter', [{ labels: B, value: 20 }, { labels: A, value: 10 }])])
  t.strictSame(swapped?.metrics, [{ labels: A, value: 11 }, { labels: B, value: 22 }], 'another order is paired by key')
  const [increase] = increaseSince([family('c', 'counter', [{ labels: A, value: 1 }, { labels: B, value: 2 }])], [pushed])
  t.strictSame(increase?.metrics, [{ labels: A, value: 9 }, { labels: B, value: 18 }])
  t.equal(seriesKeys(increase as MetricFamily, false), keys, 'the increase has the keys made for the push')
})
