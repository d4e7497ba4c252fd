import type { BucketSpan, Histogram } from './types.js'
import { EXPONENTIAL_BOUNDS } from './native-bounds.js'

/** One populated bucket of a native histogram, as Prometheus's HTTP API lists it. */
export interface NativeBucket {
  /** Which ends are inclusive: 0 `(lower, upper]`, 1 `[lower, upper)`, 2 `(lower, upper)`, 3 `[lower, upper]`. */
  boundaries: 0 | 1 | 2 | 3
  /** The lower bound. */
  lower: number
  /** The upper bound. */
  upper: number
  /** Observations in the bucket. */
  count: number
}

/** Whether a histogram is native: it has bucket spans on either side. */
export function isNativeHistogram (h: Histogram): boolean {
  return h.positiveSpans.length + h.negativeSpans.length > 0
}

/** Whether a native histogram carries float counts (its sample or zero count is a float), as Go decides. */
export function isFloatHistogram (h: Histogram): boolean {
  return (h.sampleCountFloat ?? 0) > 0 || (h.zeroCountFloat ?? 0) > 0
}

/**
 * The populated buckets of a native histogram in order, as Prometheus lists them: the negative
 * ones from the lowest bound up, then the zero bucket, then the positive ones; empty buckets are
 * left out.
 */
export function nativeBuckets (h: Histogram): NativeBucket[] {
  const float = isFloatHistogram(h)
  const schema = h.schema ?? 0
  const negative = sideBuckets(h.negativeSpans, float ? h.negativeCounts : h.negativeDeltas, float, schema, false)
  const buckets = negative.reverse()
  const zeroCount = (float ? h.zeroCountFloat : h.zeroCount) ?? 0
  if (zeroCount !== 0) {
    const threshold = h.zeroThreshold ?? 0
    buckets.push({ boundaries: 3, lower: -threshold, upper: threshold, count: zeroCount })
  }
  buckets.push(...sideBuckets(h.positiveSpans, float ? h.positiveCounts : h.positiveDeltas, float, schema, true))
  return buckets
}

// The buckets of one side: spans give each run of buckets its index, values are counts (float)
// or deltas from the previous bucket's count (integer).
function sideBuckets (spans: readonly BucketSpan[], values: readonly number[], float: boolean, schema: number, positive: boolean): NativeBucket[] {
  const buckets: NativeBucket[] = []
  let index = 0
  let position = 0
  let count = 0
  for (let s = 0; s < spans.length; s++) {
    const span = spans[s] as BucketSpan
    index += span.offset
    for (let i = 0; i < span.length; i++, index++, position++) {
      const value = values[position] ?? 0
      count = float ? value : count + value
      if (count === 0) continue
      const upper = bound(index, schema)
      const lower = bound(index - 1, schema)
      // Bounds are positive, so a positive bucket is (lower, upper] and a negative one [lower, upper).
      buckets.push(positive ? { boundaries: 0, lower, upper, count } : { boundaries: 1, lower: -upper, upper: -lower, count })
    }
  }
  return buckets
}

// The upper bound of bucket `index` in `schema`, as Go computes it (model/histogram getBound).
function bound (index: number, schema: number): number {
  if (schema < 0) {
    const exp = index * 2 ** -schema
    return exp === 1024 ? Number.MAX_VALUE : 2 ** exp
  }
  const perPower = 2 ** schema
  const frac = (EXPONENTIAL_BOUNDS[schema] as readonly number[])[((index % perPower) + perPower) % perPower] as number
  const exp = Math.floor(index / perPower) + 1
  // Go's Ldexp: 2 ** 1024 alone would overflow where frac * 2 ** 1024 does not.
  return frac === 0.5 && exp === 1025 ? Number.MAX_VALUE : frac * 2 * 2 ** (exp - 1)
}
