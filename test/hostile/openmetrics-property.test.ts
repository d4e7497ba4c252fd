// Property: random protobuf families, with random units, exemplars and native histogram spans
// (valid or not), are either refused with a 400 or served as OpenMetrics that an independent strict
// parser accepts: the Python client's `prometheus_client.openmetrics.parser`. Meanwhile the
// gateway keeps answering /-/healthy.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import { Registry } from 'prom-client'
import { Pushgateway } from '../../src/index.js'
import { encodeDelimited, emptyHistogram, PROTOBUF_CONTENT_TYPE, type Exemplar, type Histogram, type MetricFamily } from '../../src/exposition/index.js'
import { PYTHON, PYTHON_CLIENT, requirePeers } from '../helpers/peers.js'

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0'
// Parses each exposition (NUL-separated on stdin) strictly; prints one line per exposition: ok, or the error.
const PARSE = `
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for text in sys.stdin.read().split('\\0'):
    try:
        for family in text_string_to_metric_families(text):
            pass
        print('ok')
    except Exception as err:
        print(('error: ' + repr(err)).replace('\\n', ' '))
`

const labelName = fc.constantFrom('trace_id', 'span_id', 'a', 'a-b', '', 'trace id', '0x', '__reserved', 'é', 'x'.repeat(130))
const labelValue = fc.oneof(fc.constantFrom('', 'v', 'x'.repeat(64)), fc.string({ maxLength: 20 }))
const exemplar: fc.Arbitrary<Exemplar> = fc.record({
  labels: fc.array(fc.record({ name: labelName, value: labelValue }), { maxLength: 3 }),
  value: fc.double({ min: 0, max: 1, noNaN: true }),
  timestampMs: fc.option(fc.integer({ min: 0, max: 2e12 }), { nil: undefined })
}).map(e => e.timestampMs === undefined ? { labels: e.labels, value: e.value } : e as Exemplar)
const unit = fc.option(fc.constantFrom('seconds', 'bytes', 'total', 'a b', '', 'requests'), { nil: undefined })

const nativeHistogram: fc.Arbitrary<Histogram> = fc.record({
  spans: fc.array(fc.record({ offset: fc.integer({ min: -3, max: 3 }), length: fc.integer({ min: 0, max: 4 }) }), { maxLength: 3 }),
  extra: fc.integer({ min: -1, max: 1 }),
  schema: fc.integer({ min: -5, max: 9 }),
  exemplars: fc.array(exemplar, { maxLength: 2 })
}).map(({ spans, extra, schema, exemplars }) => {
  const h = emptyHistogram()
  h.schema = schema
  h.zeroThreshold = 1e-128
  h.positiveSpans = spans
  const buckets = Math.max(0, spans.reduce((sum, span) => sum + span.length, 0) + extra)
  h.positiveDeltas = Array.from({ length: buckets }, (_, i) => i === 0 ? 1 : 0)
  h.sampleCount = buckets
  h.sampleSum = buckets
  h.exemplars = exemplars
  // Prometheus's classic view of it: the +Inf bucket only.
  h.buckets = [{ upperBound: Infinity, cumulativeCount: buckets }]
  return h
})

const classicHistogram: fc.Arbitrary<Histogram> = fc.array(fc.option(exemplar, { nil: undefined }), { minLength: 1, maxLength: 4 }).map(exemplars => {
  const h = emptyHistogram()
  h.buckets = exemplars.map((e, i) => ({ upperBound: i + 1, cumulativeCount: i, ...(e === undefined ? {} : { exemplar: { ...e, value: i + 0.5 } }) }))
  h.sampleCount = exemplars.length
  h.sampleSum = exemplars.length
  return h
})

const family: fc.Arbitrary<MetricFamily> = fc.oneof(
  fc.record({ n: fc.integer({ min: 0, max: 5 }), unit, exemplar: fc.option(exemplar, { nil: undefined }) }).map(({ n, unit, exemplar }) => ({
    name: `prop_c${n}_${unit ?? 'x'}_total`,
    type: 'counter' as const,
    ...(unit === undefined ? {} : { unit }),
    metrics: [{ labels: [], value: n, ...(exemplar === undefined ? {} : { exemplar }) }]
  })),
  fc.record({ n: fc.integer({ min: 0, max: 5 }), unit }).map(({ n, unit }) => ({
    name: `prop_g${n}_seconds`,
    type: 'gauge' as const,
    ...(unit === undefined ? {} : { unit }),
    metrics: [{ labels: [], value: n }]
  })),
  fc.record({ n: fc.integer({ min: 0, max: 5 }), histogram: fc.oneof(nativeHistogram, classicHistogram), unit }).map(({ n, histogram, unit }) => ({
    name: `prop_h${n}_bytes`,
    type: 'histogram' as const,
    ...(unit === undefined ? {} : { unit }),
    metrics: [{ labels: [], histogram }]
  }))
)

t.test('random protobuf families are refused or served as valid OpenMetrics', async t => {
  const peers = requirePeers(t, PYTHON, PYTHON_CLIENT)
  if (peers === undefined) return
  const [python] = peers as [string]
  const gateway = new Pushgateway({ registry: new Registry() })
  const expositions: string[] = []
  const statuses = new Map<number, number>()
  let healthy = 0
  let slowestHealth = 0
  let run = 0
  await fc.assert(fc.asyncProperty(fc.array(family, { minLength: 1, maxLength: 4 }), async families => {
    const job = `j${run++ % 20}`
    const asked = performance.now()
    const health = gateway.handle({ method: 'GET', url: '/-/healthy', headers: {} }).then(answer => {
      slowestHealth = Math.max(slowestHealth, performance.now() - asked)
      return answer
    })
    const res = await gateway.handle({ method: 'PUT', url: `/metrics/job/${job}`, headers: { 'content-type': PROTOBUF_CONTENT_TYPE }, body: encodeDelimited(families) })
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    if ((await health).status === 200) healthy++
    if (res.status !== 200 && res.status !== 400) return false
    const scrape = await gateway.handle({ method: 'GET', url: '/metrics', headers: { accept: OPENMETRICS } })
    if (scrape.status !== 200) return false
    expositions.push(String(scrape.body))
    return true
  }), { seed: 1414, numRuns: 400 })
  t.equal(healthy, 400, '/-/healthy answered throughout')
  t.ok((statuses.get(200) ?? 0) > 40, `pushes taken: ${statuses.get(200) ?? 0}`)
  t.ok((statuses.get(400) ?? 0) > 40, `pushes refused: ${statuses.get(400) ?? 0}`)
  t.same([...statuses.keys()].sort(), [200, 400], 'no other answer')
  const parsed = spawnSync(python, ['-c', PARSE], { input: expositions.join('\0'), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  t.equal(parsed.status, 0, parsed.stderr)
  const results = parsed.stdout.trimEnd().split('\n')
  t.equal(results.length, expositions.length, 'one result per scrape')
  const failures = results.flatMap((result, i) => result === 'ok' ? [] : [`scrape ${i}: ${result}\n${expositions[i] as string}`])
  t.same(failures.slice(0, 3), [], 'every OpenMetrics scrape parses with the Python client')
  t.comment(`the slowest /-/healthy answer while pushing: ${slowestHealth.toFixed(1)} ms (reported, not asserted)`)
})
