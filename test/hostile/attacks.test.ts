// One regression test per defect an attack run on 0.1 found (issue 14): each sends what the
// attack sent and asserts the answer and what is stored, so that none can pass without its fix.
import t from 'tap'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { Registry } from 'prom-client'
import { Pushgateway, type GatewayRequest, type PushgatewayOptions } from '../../src/index.js'
import { encodeDelimited, PROTOBUF_CONTENT_TYPE, parseOpenMetrics, emptyHistogram, type MetricFamily } from '../../src/exposition/index.js'
import { isDuplicateName } from '../../src/exposition/names.js'
import type { LabelPair } from '../../src/exposition/types.js'

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0'

function gateway (options: PushgatewayOptions = {}): Pushgateway {
  return new Pushgateway({ registry: new Registry(), ...options })
}

function protobuf (method: string, url: string, families: MetricFamily[], headers: Record<string, string> = {}): GatewayRequest {
  return { method, url, headers: { 'content-type': PROTOBUF_CONTENT_TYPE, ...headers }, body: encodeDelimited(families) }
}

async function scrape (gw: Pushgateway, accept = 'text/plain'): Promise<string> {
  return String((await gw.handle({ method: 'GET', url: '/metrics', headers: { accept } })).body)
}

t.test('1. native histogram spans that do not match their buckets are refused, at the door', async t => {
  const gw = gateway()
  // The attack's 53 bytes: one positive span of 2^32-1 buckets and no bucket values.
  const attack = Buffer.from('340a026e681804222c0a060a01611201623a22080111000000000000f03f280031000000000000000038006208080010ffffffff0f', 'hex')
  for (const round of [1, 2]) {
    const res = await gw.handle({ method: 'POST', url: '/aggregate/job/nh', headers: { 'content-type': PROTOBUF_CONTENT_TYPE }, body: attack })
    t.same([res.status, String(res.body)], [400, 'a native histogram of "nh" has positive spans for 4294967295 buckets and 0 bucket values\n'], `round ${round}`)
  }
  const overlapping = emptyHistogram()
  overlapping.schema = 0
  overlapping.positiveSpans = Array.from({ length: 30 }, (_, i) => ({ offset: i === 0 ? 0 : -1_000_000, length: 1_000_000 }))
  overlapping.positiveDeltas = [1]
  const res = await gw.handle(protobuf('POST', '/aggregate/job/nh', [{ name: 'nh', type: 'histogram', metrics: [{ labels: [], histogram: overlapping }] }]))
  t.same([res.status, String(res.body)], [400, 'a native histogram of "nh" has positive span 1 with offset -1000000\n'], '30 overlapping spans of 10^6 buckets')
  t.equal(await gw.metrics(), '', 'nothing stored')
  const noSchema = emptyHistogram()
  noSchema.positiveSpans = [{ offset: 0, length: 1 }]
  noSchema.positiveDeltas = [1]
  t.equal((await gw.handle(protobuf('PUT', '/metrics/job/ok', [{ name: 'ok', type: 'histogram', metrics: [{ labels: [], histogram: noSchema }] }]))).status, 200, 'a native histogram without a schema has schema 0')
  const tooMany = emptyHistogram()
  tooMany.schema = 0
  tooMany.positiveSpans = [{ offset: 0, length: 5000 }]
  tooMany.positiveDeltas = Array.from({ length: 5000 }, () => 0)
  const limited = await gw.handle(protobuf('PUT', '/metrics/job/nh', [{ name: 'nh', type: 'histogram', metrics: [{ labels: [], histogram: tooMany }] }]))
  t.same([limited.status, String(limited.body)], [400, 'push refused: a histogram of "nh" has 5000 buckets, over the limit of 4096 (limits.bucketsPerHistogram, --limits.buckets-per-histogram)\n'])
  for (const [name, change, message] of [
    ['a schema Prometheus does not read', (h: ReturnType<typeof emptyHistogram>) => { h.schema = 9 }, 'has schema 9, outside -4 to 8'],
    ['a negative zero threshold', (h: ReturnType<typeof emptyHistogram>) => { h.zeroThreshold = -1 }, 'has zero threshold -1'],
    ['deltas and counts', (h: ReturnType<typeof emptyHistogram>) => { h.positiveCounts = [1] }, 'has both positive deltas and positive counts']
  ] as const) {
    const h = emptyHistogram()
    h.schema = 0
    h.positiveSpans = [{ offset: -3, length: 1 }]
    h.positiveDeltas = [1]
    change(h)
    const refused = await gw.handle(protobuf('PUT', '/metrics/job/nh', [{ name: 'nh', type: 'histogram', metrics: [{ labels: [], histogram: h }] }]))
    t.match([refused.status, String(refused.body)], [400, message], name)
  }
})

t.test('2. the duplicate label check costs time in proportion to the labels, not their square', async t => {
  // Count the reads of the labels array: a check that scans every earlier label reads n²/2 of them.
  for (const n of [100, 2000]) {
    let reads = 0
    const store: LabelPair[] = []
    const labels = new Proxy(store, { get (target, key, receiver) { if (typeof key === 'string' && /^\d+$/.test(key)) reads++; return Reflect.get(target, key, receiver) } })
    for (let i = 0; i < n; i++) {
      t.equal(isDuplicateName(labels, i, `l${i}`), false)
      store.push({ name: `l${i}`, value: '' })
    }
    t.equal(isDuplicateName(labels, n, 'l7'), true, 'a duplicate is found')
    t.ok(reads <= 16 * 17 / 2 + 2 * n, `${reads} reads for ${n} labels`)
  }
  const gw = gateway()
  const labels = Array.from({ length: 40_000 }, (_, i) => `l${i}="v"`).join(',')
  // The parse stops at the limit, before the rest of the line.
  for (const [contentType, body, series] of [['text/plain', `m{${labels}} 1\n`, 'a series of "m"'], [OPENMETRICS, `# TYPE m gauge\nm{${labels}} 1\n# EOF\n`, 'a series of "m"'], [OPENMETRICS, `m{${labels}} 1\n# EOF\n`, 'a series']] as const) {
    const res = await gw.handle({ method: 'PUT', url: '/metrics/job/many', headers: { 'content-type': contentType }, body })
    t.same([res.status, String(res.body)], [400, `push refused: ${series} has more than 128 labels, over the limit of 128 (limits.labelsPerSeries, --limits.labels-per-series)\n`], contentType)
  }
})

t.test('3. units and exemplars from protobuf that OpenMetrics cannot carry are refused', async t => {
  const gw = gateway()
  const cases: Array<[string, MetricFamily, string]> = [
    ['a unit that is not a suffix', { name: 'req_latency', type: 'gauge', unit: 'bytes', metrics: [{ labels: [], value: 1 }] }, 'metric family "req_latency" has unit "bytes", which is not a suffix of its name'],
    ['a unit with a space', { name: 'size_a b', type: 'gauge', unit: 'a b', metrics: [{ labels: [], value: 1 }] }, 'has unit "a b", which is not a suffix'],
    ['an exemplar label with a space', { name: 'hits_total', type: 'counter', metrics: [{ labels: [], value: 1, exemplar: { labels: [{ name: 'trace id', value: 'x' }], value: 1 } }] }, 'an exemplar of "hits_total" has an invalid label name "trace id"'],
    ['an empty exemplar label name', { name: 'hits_total', type: 'counter', metrics: [{ labels: [], value: 1, exemplar: { labels: [{ name: '', value: 'x' }], value: 1 } }] }, 'an invalid label name ""'],
    ['an exemplar label a-b', { name: 'hits_total', type: 'counter', metrics: [{ labels: [], value: 1, exemplar: { labels: [{ name: 'a-b', value: 'x' }], value: 1 } }] }, 'an invalid label name "a-b"'],
    ['an exemplar label twice', { name: 'hits_total', type: 'counter', metrics: [{ labels: [], value: 1, exemplar: { labels: [{ name: 'a', value: 'x' }, { name: 'a', value: 'y' }], value: 1 } }] }, 'has the label "a" twice'],
    ['an exemplar over 128 characters, surrogate pairs counted once', { name: 'hits_total', type: 'counter', metrics: [{ labels: [], value: 1, exemplar: { labels: [{ name: 'e', value: '😀'.repeat(128) }], value: 1 } }] }, 'has 129 characters in its labels'],
    ['an exemplar over 128 characters', { name: 'hits_total', type: 'counter', metrics: [{ labels: [], value: 1, exemplar: { labels: [{ name: 'trace_id', value: 'x'.repeat(121) }], value: 1 } }] }, 'has 129 characters in its labels, over the 128 OpenMetrics allows']
  ]
  for (const [name, family, message] of cases) {
    const res = await gw.handle(protobuf('PUT', '/metrics/job/p', [family]))
    t.match([res.status, String(res.body)], [400, message], name)
  }
  const bucket = emptyHistogram()
  bucket.buckets = [{ upperBound: 1, cumulativeCount: 1, exemplar: { labels: [{ name: 'bad name', value: '' }], value: 0.5 } }]
  t.equal((await gw.handle(protobuf('PUT', '/metrics/job/p', [{ name: 'h', type: 'histogram', metrics: [{ labels: [], histogram: bucket }] }]))).status, 400, 'a bucket exemplar too')
  const native = emptyHistogram()
  native.exemplars = [{ labels: [{ name: '0x', value: '' }], value: 0.5, timestampMs: 1 }]
  t.equal((await gw.handle(protobuf('PUT', '/metrics/job/p', [{ name: 'h', type: 'histogram', metrics: [{ labels: [], histogram: native }] }]))).status, 400, 'a native exemplar too')
  const fine: MetricFamily[] = [
    { name: 'req_latency_seconds', type: 'gauge', unit: 'seconds', metrics: [{ labels: [], value: 1 }] },
    { name: 'sent_bytes_total', type: 'counter', unit: 'bytes', metrics: [{ labels: [], value: 1, exemplar: { labels: [{ name: 'trace_id', value: 'x'.repeat(120) }], value: 1 } }] },
    { name: 'emoji_total', type: 'counter', metrics: [{ labels: [], value: 1, exemplar: { labels: [{ name: 'e', value: '😀'.repeat(127) }], value: 1 } }] }
  ]
  t.equal((await gw.handle(protobuf('PUT', '/metrics/job/p', fine))).status, 200, 'valid units and exemplars are taken')
  const om = await scrape(gw, OPENMETRICS)
  t.match(om, '# UNIT sent_bytes bytes\n')
  t.ok(parseOpenMetrics(om).length > 0, 'and the OpenMetrics scrape parses')
})

t.test('4. a family named __proto__ is a family like any other in /api/v1/metrics', async t => {
  const gw = gateway()
  t.equal((await gw.handle({ method: 'PUT', url: '/metrics/job/p', headers: {}, body: '__proto__ 1\nother 2\n' })).status, 200)
  const api = JSON.parse(String((await gw.handle({ method: 'GET', url: '/api/v1/metrics', headers: {} })).body)) as { data: Array<Record<string, unknown>> }
  const group = api.data[0] as Record<string, unknown>
  t.same(Object.keys(group).sort(), ['__proto__', 'labels', 'last_push_successful', 'other', 'push_failure_time_seconds', 'push_time_seconds'])
  t.same(group['labels'], { job: 'p' })
  t.match(Object.getOwnPropertyDescriptor(group, '__proto__')?.value, { type: 'UNTYPED', metrics: [{ value: '1' }] })
})

t.test('5. empty families and writer state count toward the series limits', async t => {
  const gw = gateway({ limits: { seriesPerPush: 1000, series: 2500 } })
  const empty = (count: number, prefix = 'e'): MetricFamily[] => Array.from({ length: count }, (_, i) => ({ name: `${prefix}${i}`, type: 'counter', metrics: [] }))
  const refused = await gw.handle(protobuf('PUT', '/metrics/job/empty', empty(2000)))
  t.same([refused.status, String(refused.body)], [400, 'push refused: the push has more than 1000 series, over the limit of 1000 (limits.seriesPerPush, --limits.series-per-push)\n'])
  t.equal((await gw.handle(protobuf('PUT', '/metrics/job/empty1', empty(1000)))).status, 200, 'an empty family is stored, as the reference stores it')
  t.equal((await gw.handle(protobuf('PUT', '/metrics/job/empty2', empty(1000, 'f')))).status, 200)
  const full = await gw.handle(protobuf('PUT', '/metrics/job/empty3', empty(1000, 'g')))
  t.same([full.status, String(full.body)], [429, 'push refused: the store would hold 3000 series, over the limit of 2500 (limits.series, --limits.series)\n'], 'the store fills up with empty families too')
  t.match(await scrape(gw), 'pushgateway_series 2004\n', 'the gauge counts them: 2,000 and the 2 timestamps of each group')

  const agg = gateway({ limits: { seriesPerGroup: 700 } })
  const counters = (n: number): string => Array.from({ length: n }, (_, i) => `c_total{i="${i}"} 1\n`).join('')
  for (let writer = 0; writer < 2; writer++) {
    const res = await agg.handle({ method: 'POST', url: '/aggregate/job/a', headers: { 'pushgateway-writer': `w${writer}` }, body: counters(200) })
    t.equal(res.status, 200, `writer ${writer}: 200 summed and 200 remembered`)
  }
  const third = await agg.handle({ method: 'POST', url: '/aggregate/job/a', headers: { 'pushgateway-writer': 'w2' }, body: counters(200) })
  t.same([third.status, String(third.body)], [400, 'push refused: the group would hold 800 series, over the limit of 700 (limits.seriesPerGroup, --limits.series-per-group)\n'], 'what a writer pushed last counts')
  t.equal((await agg.handle({ method: 'PUT', url: '/aggregate/job/a', headers: {}, body: counters(200) })).status, 200, 'a PUT forgets the writers and their series')
  t.match(await scrape(agg), 'pushgateway_series 202\n')
})

t.test('7. the TTL counts from when the push was applied, not from when the request began', async t => {
  let now = 1_700_000_000_000_000_000n
  const gw = gateway({ now: () => now, expiry: { ttl: 2000 } })
  const body = new Readable({ read () {} })
  const pushing = gw.handle({ method: 'PUT', url: '/metrics/job/slow', headers: {}, body })
  body.push('m 1\n')
  now += 3_000_000_000n
  body.push(null)
  t.equal((await pushing).status, 200)
  now += 1_900_000_000n
  t.match(await gw.metrics(), 'm{instance="",job="slow"} 1\n', 'alive 1.9 s after the upload ended, though 4.9 s after it began')
  t.match(await gw.metrics(), 'push_time_seconds{instance="",job="slow"} 1.700000003e+09\n')
  now += 200_000_000n
  t.notMatch(await gw.metrics(), 'job="slow"', 'gone 2 s after')
})

t.test('stalled uploads hold no more than the bytes in flight', async t => {
  const gw = gateway({ limits: { bodyBytesInFlight: 1024 * 1024 } })
  const stalled: Readable[] = []
  const answers: Array<Promise<unknown>> = []
  for (let i = 0; i < 2; i++) {
    let pulled!: () => void
    const consumed = new Promise<void>(resolve => { pulled = resolve })
    // Asked for more once the gateway has taken what was pushed: then its bytes count.
    const body = new Readable({ read () { pulled() } })
    body.push(Buffer.alloc(448 * 1024, 'x'))
    stalled.push(body)
    answers.push(gw.handle({ method: 'PUT', url: `/metrics/job/stalled${i}`, headers: {}, body }))
    await consumed
  }
  // 3 KB gzipped, 256 KiB once inflated: the bytes in flight are counted after decompression.
  const refused = await gw.handle({ method: 'PUT', url: '/metrics/job/third', headers: { 'content-encoding': 'gzip' }, body: Readable.from([gzipSync(Buffer.alloc(256 * 1024, 'y'))]) })
  t.same([refused.status, refused.headers['retry-after']], [503, '1'])
  t.match(String(refused.body), /^push refused: uploads in progress hold \d+ bytes and this one needs more, over the limit of 1048576 \(limits\.bodyBytesInFlight, --limits\.body-bytes-in-flight\)\n$/)
  for (const body of stalled) body.destroy()
  for (const answer of await Promise.all(answers)) t.match(answer, { status: 400 }, 'the stalled ones end as aborted')
  const after = await gw.handle({ method: 'PUT', url: '/metrics/job/after', headers: { 'content-encoding': 'gzip' }, body: Readable.from([gzipSync('# a comment line\n'.repeat(40_000) + 'm 1\n')]) })
  t.equal(after.status, 200, 'their bytes are given back')
})

t.test('names and HELP texts have limits', async t => {
  const gw = gateway()
  const longName = await gw.handle({ method: 'PUT', url: '/metrics/job/n', headers: {}, body: `${'m'.repeat(1025)} 1\n` })
  t.same([longName.status, String(longName.body)], [400, `push refused: the metric name "${'m'.repeat(40)}…" has 1025 characters, over the limit of 1024 (limits.metricNameLength, --limits.metric-name-length)\n`])
  const longHelp = await gw.handle({ method: 'PUT', url: '/metrics/job/n', headers: {}, body: `# HELP m ${'h'.repeat(65_537)}\nm 1\n` })
  t.same([longHelp.status, String(longHelp.body)], [400, 'push refused: the HELP of "m" has 65537 bytes, over the limit of 65536 (limits.helpLength, --limits.help-length)\n'])
  t.equal(await gw.metrics(), '')
})

t.test('per-job quotas keep one tenant from taking every group and series', async t => {
  const gw = gateway({ limits: { groupsPerJob: 2, seriesPerJob: 3 } })
  t.equal((await gw.handle({ method: 'PUT', url: '/metrics/job/a/i/1', headers: {}, body: 'm 1\n' })).status, 200)
  t.equal((await gw.handle({ method: 'PUT', url: '/metrics/job/a/i/2', headers: {}, body: 'm 1\n' })).status, 200)
  const third = await gw.handle({ method: 'PUT', url: '/metrics/job/a/i/3', headers: {}, body: 'm 1\n' })
  t.same([third.status, String(third.body)], [429, 'push refused: the job "a" has 2 groups, over the limit of 2 (limits.groupsPerJob, --limits.groups-per-job)\n'])
  const more = await gw.handle({ method: 'PUT', url: '/metrics/job/a/i/2', headers: {}, body: 'm 1\nn 1\nn2 1\n' })
  t.same([more.status, String(more.body)], [429, 'push refused: the job "a" would hold 4 series, over the limit of 3 (limits.seriesPerJob, --limits.series-per-job)\n'])
  t.equal((await gw.handle({ method: 'PUT', url: '/metrics/job/b/i/3', headers: {}, body: 'm 1\nn 1\n' })).status, 200, 'other jobs have their own quota')
  await gw.delete({ job: 'a', labels: { i: '1' } })
  t.equal((await gw.handle({ method: 'PUT', url: '/metrics/job/a/i/3', headers: {}, body: 'm 1\n' })).status, 200, 'a delete gives its share back')
  const failed = await gw.handle({ method: 'PUT', url: '/metrics/job/a/i/4', headers: {}, body: '# TYPE m counter\nm 1\n' })
  t.equal(failed.status, 429, 'a push over the quota records no failure either')
  t.notMatch(await gw.metrics(), 'i="4"')
})

t.test('a large body is parsed in slices, stops at the series limit and counts in flight until it is applied', async t => {
  const gw = gateway({ limits: { bodyBytesInFlight: 6 * 1024 * 1024 } })
  const lines = (count: number): string => Array.from({ length: count }, (_, i) => `m{i="${i}",pad="${'x'.repeat(20)}"} 1\n`).join('')
  // One series over the limit, then a syntax error: a parse that reads the whole body first reports the error.
  const over = await gw.handle({ method: 'PUT', url: '/metrics/job/big', headers: {}, body: lines(100_001) + '!!! not a metric\n' })
  t.same([over.status, String(over.body)], [400, 'push refused: the push has more than 100000 series, over the limit of 100000 (limits.seriesPerPush, --limits.series-per-push)\n'])
  const body = lines(90_000)
  t.ok(body.length > 3.5 * 1024 * 1024, `a body of ${body.length} bytes`)
  let turns = 0
  let parsing = true
  const count = (): void => { if (parsing) { turns++; setImmediate(count) } }
  const pushed = gw.handle({ method: 'PUT', url: '/metrics/job/big', headers: {}, body })
  await new Promise(resolve => setImmediate(resolve))
  setImmediate(count)
  // The body being parsed holds its bytes: another upload that needs more than what is left waits.
  const meanwhile = await gw.handle({ method: 'PUT', url: '/metrics/job/other', headers: {}, body: Readable.from([Buffer.from(lines(1) + ' '.repeat(3 * 1024 * 1024))]) })
  t.equal(meanwhile.status, 503, 'an upload during the parse finds the bytes in flight taken')
  t.equal(meanwhile.headers['retry-after'], '1')
  t.equal((await pushed).status, 200)
  parsing = false
  t.ok(turns >= 8, `the event loop turned ${turns} times while the body was parsed`)
  t.equal((await gw.handle({ method: 'PUT', url: '/metrics/job/other', headers: {}, body: Readable.from([Buffer.from(lines(1) + ' '.repeat(3 * 1024 * 1024))]) })).status, 200, 'the bytes are given back once the push is applied')
})
