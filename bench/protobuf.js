// Throughput of the delimited protobuf codec (src/exposition/protobuf.ts) on a push of
// 1,000 families / 10,000 metrics (counters, gauges, untyped, classic histograms, summaries).
//
//   npx tsc -p tsconfig.build.json && node bench/protobuf.js [seconds per case, default 2]
import { decodeDelimited, encodeDelimited } from '../dist/exposition/protobuf.js'
import { emptyHistogram } from '../dist/exposition/types.js'

const FAMILIES = 1000
const METRICS_PER_FAMILY = 10
const TYPES = ['counter', 'counter', 'counter', 'counter', 'gauge', 'gauge', 'gauge', 'untyped', 'histogram', 'summary']
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

/** The benchmark body as model objects; deterministic. */
export function buildFamilies () {
  const families = []
  for (let f = 0; f < FAMILIES; f++) {
    const type = TYPES[f % TYPES.length]
    const metrics = []
    for (let m = 0; m < METRICS_PER_FAMILY; m++) {
      const labels = [
        { name: 'instance', value: `host-${m}.example.org:9100` },
        { name: 'path', value: `/api/v1/resource/${m % 4}` },
        { name: 'status', value: m % 3 === 0 ? '500' : '200' }
      ]
      metrics.push({ labels, ...sample(type, f * METRICS_PER_FAMILY + m) })
    }
    families.push({ name: `app_metric_${f}${type === 'counter' ? '_total' : ''}`, help: `Help text of metric ${f}.`, type, metrics })
  }
  return families
}

function sample (type, seed) {
  const x = (seed * 7919) % 10007
  if (type === 'histogram') {
    let cumulative = 0
    const buckets = BOUNDS.map((upperBound, i) => {
      cumulative += (x + i) % 17
      return { upperBound, cumulativeCount: cumulative }
    })
    return {
      histogram: { ...emptyHistogram(), sampleCount: cumulative + 3, sampleSum: x / 100, buckets }
    }
  }
  if (type === 'summary') {
    return {
      summary: {
        sampleCount: x,
        sampleSum: x * 0.37,
        quantiles: [0.5, 0.9, 0.99].map(quantile => ({ quantile, value: x * quantile / 1000 }))
      }
    }
  }
  return { value: type === 'gauge' ? x / 3 : x }
}

function measure (name, seconds, fn, bytes) {
  for (let i = 0; i < 20; i++) fn()
  let runs = 0
  const start = process.hrtime.bigint()
  const budget = BigInt(Math.round(seconds * 1e9))
  let elapsed = 0n
  while (elapsed < budget) {
    fn()
    runs++
    elapsed = process.hrtime.bigint() - start
  }
  const perSecond = runs / (Number(elapsed) / 1e9)
  const mbPerSecond = perSecond * bytes / 1e6
  console.log(`${name.padEnd(8)} ${perSecond.toFixed(1).padStart(8)} ops/s  ${mbPerSecond.toFixed(1).padStart(7)} MB/s  ${(1e6 / perSecond).toFixed(0).padStart(7)} µs/op`)
}

const isMain = import.meta.url === new URL(`file://${process.argv[1]}`).href
if (isMain) {
  const seconds = Number(process.argv[2] ?? 2)
  const families = buildFamilies()
  const body = encodeDelimited(families)
  console.log(`body: ${FAMILIES} families, ${FAMILIES * METRICS_PER_FAMILY} metrics, ${body.length} bytes; node ${process.version}`)
  measure('decode', seconds, () => decodeDelimited(body), body.length)
  measure('encode', seconds, () => encodeDelimited(families), body.length)
}
