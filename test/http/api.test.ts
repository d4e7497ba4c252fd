import t from 'tap'
import { API_HEADERS, groupsApiBody, metricsApiBody, statusApiBody } from '../../src/http/api.js'
import type { GroupView, StoredFamily } from '../../src/store/store.js'
import { emptyHistogram, type Histogram, type MetricFamily } from '../../src/exposition/types.js'

const TIME = 1583781848025744841n
// Go prints API times in the server's zone; the tests pin it.
process.env['TZ'] = 'UTC'

// The bodies are bytes; as text they read better in assertions.
async function metricsText (...args: Parameters<typeof metricsApiBody>): Promise<string> {
  return (await metricsApiBody(...args)).toString()
}

async function groupsText (...args: Parameters<typeof groupsApiBody>): Promise<string> {
  return (await groupsApiBody(...args)).toString()
}

function stored (family: MetricFamily): StoredFamily {
  return { family, timeNs: TIME }
}

function histogram (fields: Partial<Histogram>): Histogram {
  return { ...emptyHistogram(), ...fields }
}

t.test('metricsApiBody', async t => {
  t.equal(await metricsText([]), '{"status":"success","data":[]}')
  const labels = [{ name: 'instance', value: '' }, { name: 'job', value: 'Björn' }]
  const group: GroupView = {
    labels: { job: 'Björn' },
    pushTimeNs: 2n,
    failureTimeNs: 3n,
    families: new Map([
      ['c', stored({ name: 'c', help: '', type: 'counter', metrics: [{ labels, value: 1e21 }] })],
      ['s', stored({ name: 's', help: 'A <summary> & "stuff"', type: 'summary', metrics: [{ labels, summary: { sampleCount: 2, sampleSum: 1.5, quantiles: [{ quantile: 0.5, value: 1.5 }] } }] })],
      ['h', stored({ name: 'h', type: 'histogram', metrics: [{ labels, histogram: histogram({ sampleCount: 3, sampleSum: 3.2, buckets: [{ upperBound: 1, cumulativeCount: 1 }, { upperBound: Infinity, cumulativeCount: 3 }] }) }] })],
      ['f', stored({ name: 'f', type: 'histogram', metrics: [{ labels, histogram: histogram({ sampleCount: 0, sampleCountFloat: 2.5, sampleSum: 1, buckets: [{ upperBound: 1, cumulativeCount: 0, cumulativeCountFloat: 2.5 }] }) }] })],
      ['gh', stored({ name: 'gh', type: 'gaugehistogram', metrics: [{ labels, histogram: histogram({ sampleCount: 1 }) }] })],
      ['u', stored({ name: 'u', type: 'untyped', metrics: [{ labels }] })],
      ['g', stored({ name: 'g', type: 'gauge', metrics: [{ labels, value: -0 }] })]
    ])
  }
  const body = await metricsText([group])
  const data = JSON.parse(body).data[0]
  t.equal(data.last_push_successful, false, 'failure after success')
  t.same(data.c, { time_stamp: '2020-03-09T19:24:08.025744841Z', type: 'COUNTER', metrics: [{ labels: { instance: '', job: 'Björn' }, value: '1e+21' }] }, 'an empty help is left out')
  t.match(body, '"s":{"time_stamp":"2020-03-09T19:24:08.025744841Z","type":"SUMMARY","help":"A \\u003csummary\\u003e \\u0026 \\"stuff\\"","metrics":[{"count":"2","labels":{"instance":"","job":"Björn"},"quantiles":{"0.5":"1.5"},"sum":"1.5"}]}')
  t.same(data.h.metrics[0], { buckets: { 1: '1', '+Inf': '3' }, count: '3', labels: { instance: '', job: 'Björn' }, sum: '3.2' })
  t.same(data.f.metrics[0], { buckets: { 1: '2.5' }, count: '2.5', labels: { instance: '', job: 'Björn' }, sum: '1' }, 'float counts are used when set')
  t.same(data.gh, { time_stamp: '2020-03-09T19:24:08.025744841Z', type: 'GAUGE_HISTOGRAM', metrics: [{ labels: { instance: '', job: 'Björn' }, value: '0' }] })
  t.equal(data.u.metrics[0].value, '0')
  t.equal(data.g.metrics[0].value, '-0')
  t.equal((await metricsText([{ ...group, failureTimeNs: 2n }])).includes('"last_push_successful":true'), true)
})

t.test('metricsApiBody lets other work in every 4096 metrics, and shows each group as one write left it', async t => {
  const labels = (i: number): Array<{ name: string, value: string }> => [{ name: 'i', value: String(i) }, { name: 'job', value: 'big' }]
  const family = (name: string, count: number, value: number): MetricFamily => ({ name, type: 'gauge', metrics: Array.from({ length: count }, (_, i) => ({ labels: labels(i), value })) })
  const big: GroupView & { pushTimeNs: bigint } = { labels: { job: 'big' }, pushTimeNs: 1n, failureTimeNs: 0n, families: new Map([['a', stored(family('a', 5000, 1))], ['b', stored(family('b', 4000, 1))]]) }
  const expected = JSON.stringify({ status: 'success', data: [{ a: { metrics: family('a', 5000, 1).metrics.map(m => ({ labels: { i: m.labels[0]?.value, job: 'big' }, value: '1' })), time_stamp: '2020-03-09T19:24:08.025744841Z', type: 'GAUGE' } }] })
  let pauses = 0
  const body = await metricsText([big], async () => { pauses++ })
  t.equal(pauses, 2, 'after 4096 metrics, then after 4096 more (9000 in all)')
  const parsed = JSON.parse(body)
  t.equal(parsed.data[0].a.metrics.length, 5000)
  t.equal(parsed.data[0].b.metrics.length, 4000)
  t.same(parsed.data[0].a, JSON.parse(expected).data[0].a, 'a family split into batches is whole, in order')
  t.ok(body.includes('{"labels":{"i":"4095","job":"big"},"value":"1"},{"labels":{"i":"4096","job":"big"}'), 'batches are joined with a comma')

  // A write to the group during a pause: its entry is serialized again.
  let writes = 0
  const writing = async (): Promise<void> => {
    if (writes === 1) return
    writes++
    big.families = new Map([['a', stored(family('a', 5000, 2))], ['b', stored(family('b', 4000, 2))]])
    big.pushTimeNs = 2n
  }
  const again = JSON.parse(await metricsText([big], writing))
  t.same([again.data[0].a.metrics[0].value, again.data[0].b.metrics[3999].value], ['2', '2'], 'all from the second write')

  // Written during every pause: the last attempt serializes without pausing.
  let calls = 0
  const always = async (): Promise<void> => {
    calls++
    big.pushTimeNs++
  }
  const last = JSON.parse(await metricsText([big], always))
  t.equal(last.data[0].b.metrics.length, 4000)
  t.equal(calls, 4, 'two attempts with pauses, then one without')
})

t.test('native histograms list their populated buckets, with integer or float counts', async t => {
  const labels = [{ name: 'job', value: 'n' }]
  const native = (h: Partial<Histogram>): GroupView => ({
    labels: { job: 'n' },
    pushTimeNs: 1n,
    failureTimeNs: 0n,
    families: new Map([['n', stored({ name: 'n', type: 'histogram', metrics: [{ labels, histogram: histogram(h) }] })]])
  })
  const metric = async (h: Partial<Histogram>): Promise<unknown> => JSON.parse(await metricsText([native(h)])).data[0].n.metrics[0]
  t.same(await metric({ sampleCount: 1000000, sampleSum: 2, positiveSpans: [{ offset: 0, length: 1 }], positiveDeltas: [1000000] }),
    { buckets: [[0, '0.5', '1', '1000000']], count: '1000000', labels: { job: 'n' }, sum: '2' }, 'integer counts as integers, not as Go prints floats')
  t.same(await metric({ zeroCountFloat: 0.5, zeroThreshold: 0.25, sampleSum: 0, positiveSpans: [{ offset: 0, length: 1 }], positiveCounts: [0] }),
    { buckets: [[3, '-0.25', '0.25', '0.5']], count: '0', labels: { job: 'n' }, sum: '0' }, 'a float zero count makes it a float histogram, without a float sample count')
})

t.test('statusApiBody', async t => {
  const body = statusApiBody({ version: '1.2.3', flags: { 'web.telemetry-path': '/metrics', 'a.flag': 'x' }, startTimeNs: TIME })
  t.equal(body, `{"status":"success","data":{"build_information":{"branch":"","buildDate":"","buildUser":"","goVersion":"${process.version}","revision":"","version":"1.2.3"},"flags":{"a.flag":"x","web.telemetry-path":"/metrics"},"start_time":"2020-03-09T19:24:08.025744841Z"}}`)
})

t.test('times are in the local zone', async t => {
  process.env['TZ'] = 'Asia/Kolkata'
  t.teardown(() => { process.env['TZ'] = 'UTC' })
  t.match(statusApiBody({ version: '1', flags: {}, startTimeNs: TIME }), '"start_time":"2020-03-10T00:54:08.025744841+05:30"')
})

t.test('API_HEADERS are the reference CORS headers', async t => {
  t.same(Object.keys(API_HEADERS).sort(), ['access-control-allow-headers', 'access-control-allow-methods', 'access-control-allow-origin', 'access-control-expose-headers', 'cache-control'])
})

t.test('groupsApiBody summarizes each group, letting other work in every 4096 groups', async t => {
  const group = (i: number): GroupView => ({
    labels: { instance: String(i), job: 'j' },
    pushTimeNs: 2_000_000_000n,
    failureTimeNs: i === 0 ? 3_500_000_000n : 0n,
    families: new Map([['m', stored({ name: 'm', type: 'gauge', metrics: [{ labels: [], value: 1 }, { labels: [], value: 2 }] })]])
  })
  const ttlOf = (key: { labels: Record<string, string> }): bigint | undefined => key.labels['instance'] === '0' ? undefined : 10_000_000_000n
  const failed: GroupView = { ...group(2), pushTimeNs: 0n, failureTimeNs: 1_000_000_000n }
  t.equal(await groupsText([group(0), group(1), failed], ttlOf, 5_000_123_000n),
    '{"status":"success","data":{"now":5000.123,"groups":[' +
    '{"labels":{"instance":"0","job":"j"},"push_time":2000,"failure_time":3500,"expires":null,"series":2,"families":["m"]},' +
    '{"labels":{"instance":"1","job":"j"},"push_time":2000,"failure_time":null,"expires":12000,"series":2,"families":["m"]},' +
    '{"labels":{"instance":"2","job":"j"},"push_time":null,"failure_time":1000,"expires":11000,"series":2,"families":["m"]}]}}', 'a group never pushed expires from its failure')
  let pauses = 0
  const body = JSON.parse(await groupsText(Array.from({ length: 9000 }, (_, i) => group(i)), undefined, 0n, async () => { pauses++ }))
  t.equal(body.data.groups.length, 9000)
  t.equal(pauses, 2, 'after 4096 and 8192 groups')
  t.equal(await groupsText([], undefined, 0n), '{"status":"success","data":{"now":0,"groups":[]}}', 'no groups')
})

t.test('metricsApiBody puts thousands of groups together in order', async t => {
  const group = (i: number): GroupView => ({
    labels: { instance: String(i), job: 'j' },
    pushTimeNs: 1n,
    failureTimeNs: 0n,
    families: new Map([['m', stored({ name: 'm', type: 'gauge', metrics: [{ labels: [{ name: 'instance', value: String(i) }], value: i }] })]])
  })
  const groups = Array.from({ length: 4100 }, (_, i) => group(i))
  const body = await metricsText(groups, async () => {})
  const data = JSON.parse(body).data
  t.equal(data.length, 4100)
  t.same(data.map((entry: { labels: { instance: string } }) => Number(entry.labels.instance)), groups.map((_, i) => i), 'in the order of the groups')
  t.equal(data[4099].m.metrics[0].value, '4099')
  t.equal(body, `{"status":"success","data":[${groups.map(g => JSON.stringify(JSON.parse(body).data[Number(g.labels['instance'])])).join(',')}]}`, 'entries joined by commas, nothing else')
})

t.test('a body of more than 4 MiB is put together 4 MiB at a time', async t => {
  const long = 'x'.repeat(2 * 1024 * 1024)
  const group = (i: number): GroupView => ({ labels: { job: 'j', long: long + String(i) }, pushTimeNs: 1n, failureTimeNs: 0n, families: new Map() })
  let pauses = 0
  const body = JSON.parse(await groupsText([group(0), group(1), group(2)], undefined, 0n, async () => { pauses++ }))
  t.equal(pauses, 1, 'once, after the 6 MiB of the three groups')
  t.same(body.data.groups.map((g: { labels: { long: string } }) => g.labels.long.slice(-1)), ['0', '1', '2'])
})
