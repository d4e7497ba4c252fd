import t from 'tap'
import { isFloatHistogram, isNativeHistogram, nativeBuckets } from '../../src/exposition/native-histogram.js'
import { EXPONENTIAL_BOUNDS } from '../../src/exposition/native-bounds.js'
import { emptyHistogram, type Histogram } from '../../src/exposition/types.js'

const native = (h: Partial<Histogram>): Histogram => ({ ...emptyHistogram(), ...h })

t.test('which histograms are native, and which carry float counts', async t => {
  t.equal(isNativeHistogram(native({})), false)
  t.equal(isNativeHistogram(native({ negativeSpans: [{ offset: 0, length: 1 }] })), true)
  t.equal(isFloatHistogram(native({})), false)
  t.equal(isFloatHistogram(native({ sampleCountFloat: 0.5 })), true)
  t.equal(isFloatHistogram(native({ zeroCountFloat: 1 })), true)
})

t.test('the bounds table holds 2^s bounds in [0.5, 1) per schema', async t => {
  t.same(EXPONENTIAL_BOUNDS.map(row => row.length), [1, 2, 4, 8, 16, 32, 64, 128, 256])
  t.ok(EXPONENTIAL_BOUNDS.every(row => row[0] === 0.5 && row.every((b, i) => b >= 0.5 && b < 1 && (i === 0 || b > (row[i - 1] as number)))))
  // Go's value, one unit in the last place below the correctly rounded square root of 1/2.
  t.equal(EXPONENTIAL_BOUNDS[1]?.[1], 0.7071067811865475)
})

t.test('integer buckets: spans place them, deltas count them, empty ones are left out', async t => {
  const h = native({ schema: 0, zeroThreshold: 0.25, zeroCount: 2, positiveSpans: [{ offset: 1, length: 2 }, { offset: 1, length: 1 }], positiveDeltas: [3, -3, 4], negativeSpans: [{ offset: 0, length: 2 }], negativeDeltas: [1, 1] })
  t.same(nativeBuckets(h), [
    { boundaries: 1, lower: -2, upper: -1, count: 2 },
    { boundaries: 1, lower: -1, upper: -0.5, count: 1 },
    { boundaries: 3, lower: -0.25, upper: 0.25, count: 2 },
    { boundaries: 0, lower: 1, upper: 2, count: 3 },
    { boundaries: 0, lower: 8, upper: 16, count: 4 }
  ])
  t.same(nativeBuckets(native({ positiveSpans: [{ offset: 0, length: 2 }], positiveDeltas: [1] })), [{ boundaries: 0, lower: 0.5, upper: 1, count: 1 }, { boundaries: 0, lower: 1, upper: 2, count: 1 }], 'a missing delta adds nothing; no schema is schema 0')
})

t.test('float buckets are counts, and the zero bucket is there when its float count is', async t => {
  t.same(nativeBuckets(native({ schema: 1, zeroCountFloat: 0.5, positiveSpans: [{ offset: 0, length: 2 }], positiveCounts: [1.5, 0] })), [
    { boundaries: 3, lower: -0, upper: 0, count: 0.5 },
    { boundaries: 0, lower: 0.7071067811865475, upper: 1, count: 1.5 }
  ])
  t.same(nativeBuckets(native({ sampleCountFloat: 1, positiveSpans: [{ offset: 0, length: 1 }] })), [], 'a missing count is an empty bucket')
})

t.test('bounds at the ends of the float range, as Go computes them', async t => {
  t.same(nativeBuckets(native({ schema: -2, positiveSpans: [{ offset: 256, length: 2 }], positiveDeltas: [1, 0] })), [
    { boundaries: 0, lower: 2 ** 1020, upper: Number.MAX_VALUE, count: 1 },
    { boundaries: 0, lower: Number.MAX_VALUE, upper: Infinity, count: 1 }
  ], 'negative schemas: the last finite bucket ends at the largest float')
  t.same(nativeBuckets(native({ schema: 0, positiveSpans: [{ offset: 1024, length: 2 }], positiveDeltas: [1, 0] })), [
    { boundaries: 0, lower: 2 ** 1023, upper: Number.MAX_VALUE, count: 1 },
    { boundaries: 0, lower: Number.MAX_VALUE, upper: Infinity, count: 1 }
  ], 'schema 0 and above too')
  t.same(nativeBuckets(native({ schema: 3, positiveSpans: [{ offset: -9, length: 1 }], positiveDeltas: [1] }))[0], { boundaries: 0, lower: 2 ** -2 * (EXPONENTIAL_BOUNDS[3]?.[6] as number) * 2, upper: 2 ** -2 * (EXPONENTIAL_BOUNDS[3]?.[7] as number) * 2, count: 1 }, 'a negative index takes its fraction from the right row entry')
})
