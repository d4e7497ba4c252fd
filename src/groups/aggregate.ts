import { emptyHistogram, type Bucket, type BucketSpan, type Histogram, type LabelPair, type Metric, type MetricFamily, type MetricType, type Summary } from '../exposition/types.js'
import { AggregationError } from '../errors.js'
import { sameLabelSets } from './consistency.js'
import { seriesKeys, shareSeriesKeys } from './series-keys.js'

/** How the values of a gauge family are combined across aggregate pushes. */
export type GaugeRule = 'last' | 'sum' | 'min' | 'max'
/** Every gauge rule, `last` (the default) first. */
export const GAUGE_RULES: readonly GaugeRule[] = ['last', 'sum', 'min', 'max']

/** Combines a stored (or previous) count with a pushed one. */
type Operation = (stored: number, pushed: number) => number

const add: Operation = (stored, pushed) => stored + pushed
const increase: Operation = (previous, pushed) => pushed - previous
const GAUGE_RULE_OPERATIONS: Readonly<Record<GaugeRule, Operation>> = {
  last: (_stored, pushed) => pushed,
  sum: add,
  // NaN never wins over a number.
  min: (stored, pushed) => Number.isNaN(stored) ? pushed : Number.isNaN(pushed) ? stored : Math.min(stored, pushed),
  max: (stored, pushed) => Number.isNaN(stored) ? pushed : Number.isNaN(pushed) ? stored : Math.max(stored, pushed)
}

/**
 * The families of an aggregate push added to the same-name families the group holds: counters
 * and untyped summed, gauges by their rule, histograms bucket by bucket (same bounds, same native
 * schema and zero threshold, else an `AggregationError`), summaries' sums and counts summed and
 * their quantiles dropped, gauge histograms replaced. Labels must be sanitized and sorted. A
 * family's stored series keep their order, new ones follow in pushed order; a series pushed twice
 * is left twice, for the consistency check to refuse. Neither input is modified.
 */
export function addFamilies (
  current: (name: string) => MetricFamily | undefined,
  increments: readonly MetricFamily[],
  gaugeRule: (name: string) => GaugeRule
): MetricFamily[] {
  return increments.map(pushed => addFamily(current(pushed.name), pushed, gaugeRule(pushed.name)))
}

function addFamily (stored: MetricFamily | undefined, pushed: MetricFamily, rule: GaugeRule): MetricFamily {
  if (stored !== undefined && stored.type !== pushed.type) {
    throw new AggregationError(`cannot add the ${pushed.type} family ${JSON.stringify(pushed.name)} to the ${stored.type} family the group holds`)
  }
  const family: MetricFamily = { name: pushed.name, type: pushed.type, metrics: [] }
  setDefined(family, 'help', pushed.help ?? stored?.help)
  setDefined(family, 'unit', pushed.unit ?? stored?.unit)
  const added = (metric: Metric): Metric => pushed.type === 'summary' ? withoutQuantiles(metric) : metric
  const storedMetrics = stored?.metrics ?? []
  if (storedMetrics.length === 0 || sameLabelSets(storedMetrics, pushed.metrics)) {
    // Nothing stored, or the same series in the same order (the common case): paired by position,
    // without a key per series, and the family has the pushed one's series keys.
    family.metrics = storedMetrics.length === 0
      ? pushed.metrics.map(added)
      : storedMetrics.map((metric, i) => addMetric(pushed.name, pushed.type, metric, pushed.metrics[i] as Metric, rule))
    shareSeriesKeys(pushed, family)
    return family
  }
  const pushedKeys = seriesKeys(pushed, false)
  const byKey = new Map<string, Metric>()
  const repeated: Metric[] = []
  pushed.metrics.forEach((metric, i) => {
    const key = pushedKeys[i] as string
    if (byKey.has(key)) repeated.push(metric)
    else byKey.set(key, metric)
  })
  const storedKeys = seriesKeys(stored as MetricFamily, false)
  storedMetrics.forEach((metric, i) => {
    const key = storedKeys[i] as string
    const increment = byKey.get(key)
    if (increment === undefined) {
      family.metrics.push(metric)
    } else {
      family.metrics.push(addMetric(pushed.name, pushed.type, metric, increment, rule))
      byKey.delete(key)
    }
  })
  for (const metric of [...byKey.values(), ...repeated]) family.metrics.push(added(metric))
  return family
}

function addMetric (name: string, type: MetricType, stored: Metric, pushed: Metric, rule: GaugeRule): Metric {
  if (type === 'gaugehistogram') return pushed
  const metric: Metric = { labels: stored.labels }
  // The parsers give every metric of a summary or histogram family its summary or histogram.
  if (type === 'summary') {
    const a = stored.summary as Summary
    const b = pushed.summary as Summary
    metric.summary = { sampleCount: a.sampleCount + b.sampleCount, sampleSum: a.sampleSum + b.sampleSum, quantiles: [] }
    setDefined(metric.summary, 'createdTimestampMs', a.createdTimestampMs ?? b.createdTimestampMs)
    return metric
  }
  if (type === 'histogram') {
    const a = stored.histogram as Histogram
    const b = pushed.histogram as Histogram
    const mismatch = layoutMismatch(a, b)
    if (mismatch !== undefined) throw new AggregationError(`histogram ${describe(name, stored.labels)} cannot be added: ${mismatch}`)
    metric.histogram = combineHistograms(a, b, add)
    return metric
  }
  metric.value = (type === 'gauge' ? GAUGE_RULE_OPERATIONS[rule] : add)(stored.value ?? 0, pushed.value ?? 0)
  setDefined(metric, 'exemplar', pushed.exemplar ?? stored.exemplar)
  setDefined(metric, 'createdTimestampMs', stored.createdTimestampMs ?? pushed.createdTimestampMs)
  return metric
}

/**
 * What a writer's cumulative push adds since its previous one: for each series of a counter,
 * untyped, summary or histogram, the pushed values minus the previous ones, or the pushed values
 * themselves when the series is new, a count went down (the writer restarted) or a histogram's
 * layout changed. Gauges and gauge histograms are returned as pushed. Neither input is modified.
 */
export function increaseSince (previous: readonly MetricFamily[] | undefined, pushed: readonly MetricFamily[]): MetricFamily[] {
  const previousByName = new Map((previous ?? []).map(family => [family.name, family]))
  return pushed.map(family => {
    const before = previousByName.get(family.name)
    if (family.type === 'gauge' || family.type === 'gaugehistogram' || before?.type !== family.type) return family
    let earlierOf: (metric: Metric, i: number) => Metric | undefined
    if (sameLabelSets(before.metrics, family.metrics)) {
      // The same series as last time, in the same order (the common case): paired by position.
      earlierOf = (_metric, i) => before.metrics[i]
    } else {
      const beforeKeys = seriesKeys(before, false)
      const beforeByKey = new Map(before.metrics.map((metric, i) => [beforeKeys[i] as string, metric]))
      const keys = seriesKeys(family, false)
      earlierOf = (_metric, i) => beforeByKey.get(keys[i] as string)
    }
    const increase: MetricFamily = {
      ...family,
      metrics: family.metrics.map((metric, i) => {
        const earlier = earlierOf(metric, i)
        return earlier === undefined ? metric : increaseOf(family.type, earlier, metric)
      })
    }
    shareSeriesKeys(family, increase)
    return increase
  })
}

function increaseOf (type: MetricType, earlier: Metric, pushed: Metric): Metric {
  if (type === 'summary') {
    const a = earlier.summary as Summary
    const b = pushed.summary as Summary
    if (b.sampleCount < a.sampleCount) return pushed
    return { ...pushed, summary: { ...b, sampleCount: b.sampleCount - a.sampleCount, sampleSum: b.sampleSum - a.sampleSum } }
  }
  if (type === 'histogram') {
    const a = earlier.histogram as Histogram
    const b = pushed.histogram as Histogram
    if (layoutMismatch(a, b) !== undefined) return pushed
    const histogram = combineHistograms(a, b, increase)
    return hasNegativeCount(histogram) ? pushed : { ...pushed, histogram }
  }
  const a = earlier.value ?? 0
  const b = pushed.value ?? 0
  // NaN compares false: a NaN on either side counts as a reset too.
  return b >= a ? { ...pushed, value: b - a } : pushed
}

// Why two histograms cannot be combined bucket by bucket, if they cannot.
function layoutMismatch (a: Histogram, b: Histogram): string | undefined {
  const boundsA = a.buckets.map(bucket => bucket.upperBound)
  const boundsB = b.buckets.map(bucket => bucket.upperBound)
  if (boundsA.length !== boundsB.length || boundsA.some((bound, i) => bound !== boundsB[i])) {
    return `the pushed bucket bounds ${formatBounds(boundsB)} differ from the stored ${formatBounds(boundsA)}`
  }
  if (a.schema !== b.schema || (a.zeroThreshold ?? 0) !== (b.zeroThreshold ?? 0)) {
    return `the pushed native schema ${String(b.schema ?? 'none')} and zero threshold ${b.zeroThreshold ?? 0} differ from the stored ${String(a.schema ?? 'none')} and ${a.zeroThreshold ?? 0}`
  }
  return undefined
}

// Two histograms of the same layout, count by count; float counts win over integer ones.
function combineHistograms (a: Histogram, b: Histogram, operation: Operation): Histogram {
  const float = isFloat(a) || isFloat(b)
  const histogram: Histogram = {
    ...emptyHistogram(),
    sampleSum: operation(a.sampleSum, b.sampleSum),
    buckets: a.buckets.map((bucket, i) => combineBuckets(bucket, b.buckets[i] as Bucket, operation)),
    exemplars: b.exemplars.length > 0 ? b.exemplars : a.exemplars
  }
  const count = operation(a.sampleCountFloat ?? a.sampleCount, b.sampleCountFloat ?? b.sampleCount)
  if (float) histogram.sampleCountFloat = count
  else histogram.sampleCount = count
  setDefined(histogram, 'createdTimestampMs', a.createdTimestampMs ?? b.createdTimestampMs)
  if (a.schema === undefined) return histogram
  histogram.schema = a.schema
  setDefined(histogram, 'zeroThreshold', a.zeroThreshold ?? b.zeroThreshold)
  const zero = operation(a.zeroCountFloat ?? a.zeroCount ?? 0, b.zeroCountFloat ?? b.zeroCount ?? 0)
  if (float) histogram.zeroCountFloat = zero
  else histogram.zeroCount = zero
  const negative = encodeBuckets(combineCounts(nativeCounts(a, 'negative'), nativeCounts(b, 'negative'), operation), float)
  const positive = encodeBuckets(combineCounts(nativeCounts(a, 'positive'), nativeCounts(b, 'positive'), operation), float)
  histogram.negativeSpans = negative.spans
  histogram.positiveSpans = positive.spans
  if (float) {
    histogram.negativeCounts = negative.values
    histogram.positiveCounts = positive.values
  } else {
    histogram.negativeDeltas = negative.values
    histogram.positiveDeltas = positive.values
  }
  return histogram
}

function combineBuckets (a: Bucket, b: Bucket, operation: Operation): Bucket {
  const bucket: Bucket = { upperBound: a.upperBound, cumulativeCount: 0 }
  const count = operation(a.cumulativeCountFloat ?? a.cumulativeCount, b.cumulativeCountFloat ?? b.cumulativeCount)
  if (a.cumulativeCountFloat !== undefined || b.cumulativeCountFloat !== undefined) bucket.cumulativeCountFloat = count
  else bucket.cumulativeCount = count
  setDefined(bucket, 'exemplar', b.exemplar ?? a.exemplar)
  return bucket
}

function isFloat (histogram: Histogram): boolean {
  return histogram.sampleCountFloat !== undefined || histogram.zeroCountFloat !== undefined ||
    histogram.positiveCounts.length > 0 || histogram.negativeCounts.length > 0 ||
    histogram.buckets.some(bucket => bucket.cumulativeCountFloat !== undefined)
}

// The absolute count of each native bucket by index; integer histograms store deltas.
function nativeCounts (histogram: Histogram, side: 'negative' | 'positive'): Map<number, number> {
  const spans = side === 'negative' ? histogram.negativeSpans : histogram.positiveSpans
  const floats = side === 'negative' ? histogram.negativeCounts : histogram.positiveCounts
  const deltas = side === 'negative' ? histogram.negativeDeltas : histogram.positiveDeltas
  const counts = new Map<number, number>()
  let index = 0
  let position = 0
  let running = 0
  for (const span of spans) {
    index += span.offset
    for (let i = 0; i < span.length; i++, index++, position++) {
      if (floats.length > 0) {
        counts.set(index, floats[position] as number)
      } else {
        running += deltas[position] as number
        counts.set(index, running)
      }
    }
  }
  return counts
}

function combineCounts (a: Map<number, number>, b: Map<number, number>, operation: Operation): Map<number, number> {
  const combined = new Map<number, number>()
  for (const index of new Set([...a.keys(), ...b.keys()])) combined.set(index, operation(a.get(index) ?? 0, b.get(index) ?? 0))
  return combined
}

// Spans of consecutive indices, and counts (float) or deltas from the previous bucket (integer).
function encodeBuckets (counts: Map<number, number>, float: boolean): { spans: BucketSpan[], values: number[] } {
  const spans: BucketSpan[] = []
  const values: number[] = []
  let next: number | undefined
  let previous = 0
  for (const index of [...counts.keys()].sort((x, y) => x - y)) {
    const last = spans[spans.length - 1]
    if (last !== undefined && index === next) last.length++
    else spans.push({ offset: next === undefined ? index : index - next, length: 1 })
    const count = counts.get(index) as number
    values.push(float ? count : count - previous)
    previous = count
    next = index + 1
  }
  return { spans, values }
}

function hasNegativeCount (histogram: Histogram): boolean {
  const negative = (value: number | undefined): boolean => value !== undefined && value < 0
  if (negative(histogram.sampleCountFloat ?? histogram.sampleCount) || negative(histogram.zeroCountFloat ?? histogram.zeroCount)) return true
  if (histogram.buckets.some(bucket => negative(bucket.cumulativeCountFloat ?? bucket.cumulativeCount))) return true
  return [...nativeCounts(histogram, 'negative').values(), ...nativeCounts(histogram, 'positive').values()].some(negative)
}

function withoutQuantiles (metric: Metric): Metric {
  return { ...metric, summary: { ...metric.summary as Summary, quantiles: [] } }
}

function formatBounds (bounds: readonly number[]): string {
  const shown = bounds.slice(0, 10).map(bound => bound === Infinity ? '+Inf' : String(bound))
  return `[${shown.join(', ')}${bounds.length > 10 ? ', …' : ''}]`
}

function describe (name: string, labels: readonly LabelPair[]): string {
  return `${name}{${labels.map(label => `${label.name}=${JSON.stringify(label.value)}`).join(',')}}`
}

function setDefined<T extends object, K extends keyof T> (target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value
}
