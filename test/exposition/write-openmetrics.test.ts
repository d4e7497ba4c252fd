import t from 'tap'
import { parseOpenMetrics } from '../../src/exposition/parse-openmetrics.js'
import type { Histogram, LabelPair, Metric, MetricFamily, MetricType } from '../../src/exposition/types.js'
import { emptyHistogram } from '../../src/exposition/types.js'
import {
  OPENMETRICS_CONTENT_TYPE,
  openMetricsHeader,
  openMetricsMetric,
  openMetricsMetricAfter,
  writeOpenMetrics
} from '../../src/exposition/write-openmetrics.js'

function labels (pairs: Record<string, string>): LabelPair[] {
  return Object.entries(pairs).map(([name, value]) => ({ name, value }))
}

function histogram (fields: Partial<Histogram>): Histogram {
  return { ...emptyHistogram(), ...fields }
}

function render (family: MetricFamily): string {
  return openMetricsHeader(family.name, family.type, family.help, family.unit) +
    family.metrics.map(metric => openMetricsMetric(family.name, family.type, metric)).join('')
}

function makeRandom (seed: number): () => number {
  let state = seed
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

// Each expected text below was produced by expfmt.MetricFamilyToOpenMetrics (prometheus/common
// v0.69.0, with WithCreatedLines) from the same family.
const GO_CASES: ReadonlyArray<readonly [string, MetricFamily, string]> = [
  [
    'a histogram with a created timestamp',
    {
      name: 'go_dur_seconds',
      help: 'Dur.',
      type: 'histogram',
      metrics: [{
        labels: labels({ empty: '', instance: 'host+1', job: 'go/batch', path: '/var/tmp' }),
        histogram: histogram({
          sampleCount: 1,
          sampleSum: 3.2,
          buckets: [{ upperBound: 1, cumulativeCount: 0 }, { upperBound: 5, cumulativeCount: 1 }],
          createdTimestampMs: 1700000000123
        })
      }]
    },
    '# HELP go_dur_seconds Dur.\n' +
    '# TYPE go_dur_seconds histogram\n' +
    'go_dur_seconds_bucket{empty="",instance="host+1",job="go/batch",path="/var/tmp",le="1.0"} 0\n' +
    'go_dur_seconds_bucket{empty="",instance="host+1",job="go/batch",path="/var/tmp",le="5.0"} 1\n' +
    'go_dur_seconds_bucket{empty="",instance="host+1",job="go/batch",path="/var/tmp",le="+Inf"} 1\n' +
    'go_dur_seconds_sum{empty="",instance="host+1",job="go/batch",path="/var/tmp"} 3.2\n' +
    'go_dur_seconds_count{empty="",instance="host+1",job="go/batch",path="/var/tmp"} 1\n' +
    'go_dur_seconds_created{empty="",instance="host+1",job="go/batch",path="/var/tmp"} 1.7000000001230001e+09\n'
  ],
  [
    'a counter with escapes, an exemplar, created and a timestamp',
    {
      name: 'http_requests_total',
      help: 'Requests with "quotes", back\\slash\nand newline.',
      type: 'counter',
      metrics: [
        {
          labels: labels({ code: '200', path: 'a"b\\c\nd' }),
          value: 1027,
          createdTimestampMs: 1700000000000,
          exemplar: { labels: labels({ trace_id: 'abc123' }), value: 0.67, timestampMs: 1700000000456 }
        },
        { labels: labels({ code: '500', path: '/' }), value: 3, timestampMs: 1395066363000 }
      ]
    },
    '# HELP http_requests Requests with \\"quotes\\", back\\\\slash\\nand newline.\n' +
    '# TYPE http_requests counter\n' +
    'http_requests_total{code="200",path="a\\"b\\\\c\\nd"} 1027.0 # {trace_id="abc123"} 0.67 1.700000000456e+09\n' +
    'http_requests_created{code="200",path="a\\"b\\\\c\\nd"} 1.7e+09\n' +
    'http_requests_total{code="500",path="/"} 3.0 1.395066363e+09\n'
  ],
  [
    'a summary with odd quantiles and an integer count',
    {
      name: 'rpc_duration_seconds',
      help: 'RPC latency.',
      type: 'summary',
      metrics: [{
        labels: labels({ service: 'x' }),
        summary: {
          sampleCount: 10000000,
          sampleSum: 1.7560473e+07,
          quantiles: [
            { quantile: 0.01, value: 3102 },
            { quantile: 0.5, value: 4773 },
            { quantile: 0.99, value: 76656 },
            { quantile: 0, value: -0 },
            { quantile: 1, value: 1e-5 }
          ],
          createdTimestampMs: 1234
        }
      }]
    },
    '# HELP rpc_duration_seconds RPC latency.\n' +
    '# TYPE rpc_duration_seconds summary\n' +
    'rpc_duration_seconds{service="x",quantile="0.01"} 3102.0\n' +
    'rpc_duration_seconds{service="x",quantile="0.5"} 4773.0\n' +
    'rpc_duration_seconds{service="x",quantile="0.99"} 76656.0\n' +
    'rpc_duration_seconds{service="x",quantile="0.0"} 0.0\n' +
    'rpc_duration_seconds{service="x",quantile="1.0"} 1e-05\n' +
    'rpc_duration_seconds_sum{service="x"} 1.7560473e+07\n' +
    'rpc_duration_seconds_count{service="x"} 10000000\n' +
    'rpc_duration_seconds_created{service="x"} 1.234\n'
  ],
  [
    'a gauge with a unit',
    {
      name: 'temperature_celsius',
      type: 'gauge',
      unit: 'celsius',
      metrics: [
        { labels: [], value: -0 },
        { labels: labels({ room: 'ü😀' }), value: 123456.7 },
        { labels: labels({ room: 'z' }), value: 1234567 }
      ]
    },
    '# TYPE temperature_celsius gauge\n' +
    '# UNIT temperature_celsius celsius\n' +
    'temperature_celsius 0.0\n' +
    'temperature_celsius{room="ü😀"} 123456.7\n' +
    'temperature_celsius{room="z"} 1.234567e+06\n'
  ],
  [
    'an untyped family, typed unknown',
    {
      name: 'queue_depth',
      help: '',
      type: 'untyped',
      metrics: [
        { labels: [], value: NaN },
        { labels: labels({ q: 'a' }), value: Infinity },
        { labels: labels({ q: 'b' }), value: -Infinity }
      ]
    },
    '# HELP queue_depth \n' +
    '# TYPE queue_depth unknown\n' +
    'queue_depth NaN\n' +
    'queue_depth{q="a"} +Inf\n' +
    'queue_depth{q="b"} -Inf\n'
  ],
  [
    'a counter without _total, typed unknown',
    { name: 'legacy_counter', help: 'No total suffix.', type: 'counter', metrics: [{ labels: [], value: 1 }] },
    '# HELP legacy_counter No total suffix.\n' +
    '# TYPE legacy_counter unknown\n' +
    'legacy_counter 1.0\n'
  ],
  [
    'names that are not legacy-valid',
    {
      name: 'weird name',
      help: 'Needs quoting.',
      type: 'gauge',
      metrics: [
        { labels: labels({ 'label.with.dots': 'v', ok: 'w' }), value: 2 },
        { labels: [], value: 3 }
      ]
    },
    '# HELP "weird name" Needs quoting.\n' +
    '# TYPE "weird name" gauge\n' +
    '{"weird name","label.with.dots"="v",ok="w"} 2.0\n' +
    '{"weird name"} 3.0\n'
  ],
  [
    'a native-only histogram with a timestamp',
    {
      name: 'native_only',
      type: 'histogram',
      metrics: [{
        labels: labels({ job: 'n' }),
        histogram: histogram({
          sampleCount: 7,
          sampleSum: 12.5,
          schema: 3,
          zeroThreshold: 1e-128,
          zeroCount: 1,
          positiveSpans: [{ offset: 0, length: 2 }],
          positiveDeltas: [3, 0]
        }),
        timestampMs: 1700000000999
      }]
    },
    '# TYPE native_only histogram\n' +
    'native_only_bucket{job="n",le="+Inf"} 7 1.700000000999e+09\n' +
    'native_only_sum{job="n"} 12.5 1.700000000999e+09\n' +
    'native_only_count{job="n"} 7 1.700000000999e+09\n'
  ]
]

const GAUGE_HISTOGRAM: MetricFamily = {
  name: 'gauge_hist',
  help: 'A gauge histogram.',
  type: 'gaugehistogram',
  metrics: [{
    labels: labels({ a: 'b' }),
    histogram: histogram({
      sampleCount: 42,
      sampleSum: 3289.3,
      buckets: [
        { upperBound: 0.01, cumulativeCount: 20 },
        { upperBound: 10, cumulativeCount: 34, exemplar: { labels: labels({ id: 'x' }), value: 9 } },
        { upperBound: Infinity, cumulativeCount: 42 }
      ],
      createdTimestampMs: 5
    })
  }]
}

t.test('OPENMETRICS_CONTENT_TYPE', async t => {
  t.equal(OPENMETRICS_CONTENT_TYPE, 'application/openmetrics-text; version=1.0.0; charset=utf-8')
})

t.test('openMetricsMetric and openMetricsHeader', async t => {
  t.test('match expfmt byte for byte', async t => {
    for (const [name, family, expected] of GO_CASES) t.equal(render(family), expected, name)
  })

  t.test('write a gauge histogram with _gsum and _gcount and no _created', async t => {
    // expfmt writes _sum, _count and _created here, which OpenMetrics does not allow.
    t.equal(render(GAUGE_HISTOGRAM),
      '# HELP gauge_hist A gauge histogram.\n' +
      '# TYPE gauge_hist gaugehistogram\n' +
      'gauge_hist_bucket{a="b",le="0.01"} 20\n' +
      'gauge_hist_bucket{a="b",le="10.0"} 34 # {id="x"} 9.0\n' +
      'gauge_hist_bucket{a="b",le="+Inf"} 42\n' +
      'gauge_hist_gsum{a="b"} 3289.3\n' +
      'gauge_hist_gcount{a="b"} 42\n')
  })

  t.test('write float histogram counts instead of failing as expfmt does', async t => {
    const metric: Metric = {
      labels: [],
      histogram: histogram({
        sampleCountFloat: 2.5,
        sampleSum: 1,
        buckets: [
          { upperBound: 0.1, cumulativeCount: 0, cumulativeCountFloat: 1.5 },
          { upperBound: 1, cumulativeCount: 0, cumulativeCountFloat: 2 },
          { upperBound: Infinity, cumulativeCount: 3, cumulativeCountFloat: 0 }
        ]
      })
    }
    t.equal(openMetricsMetric('f', 'histogram', metric),
      'f_bucket{le="0.1"} 1.5\nf_bucket{le="1.0"} 2\nf_bucket{le="+Inf"} 3\nf_sum 1.0\nf_count 2.5\n')
  })

  t.test('add the +Inf bucket from the float count', async t => {
    const metric: Metric = { labels: [], histogram: histogram({ sampleCount: 0, sampleCountFloat: 4, sampleSum: 2 }) }
    t.equal(openMetricsMetric('f', 'histogram', metric), 'f_bucket{le="+Inf"} 4\nf_sum 2.0\nf_count 4\n')
  })

  t.test('write counts that are not non-negative integers as floats', async t => {
    const summary = (sampleCount: number): Metric => ({ labels: [], summary: { sampleCount, sampleSum: 0, quantiles: [] } })
    t.equal(openMetricsMetric('s', 'summary', summary(-1)), 's_sum 0.0\ns_count -1.0\n')
    t.equal(openMetricsMetric('s', 'summary', summary(NaN)), 's_sum 0.0\ns_count NaN\n')
    t.equal(openMetricsMetric('s', 'summary', summary(2 ** 64)), 's_sum 0.0\ns_count 18446744073709551616\n')
  })

  t.test('leave out exemplars and _created of a counter without _total', async t => {
    const metric: Metric = {
      labels: [],
      value: 2,
      createdTimestampMs: 1000,
      exemplar: { labels: labels({ id: 'x' }), value: 1 }
    }
    t.equal(openMetricsMetric('requests', 'counter', metric), 'requests 2.0\n')
    t.equal(openMetricsMetric('requests_total', 'counter', metric),
      'requests_total 2.0 # {id="x"} 1.0\nrequests_created 1.0\n')
  })

  t.test('timestamp _created lines like the other samples of the metric', async t => {
    const counter: Metric = { labels: [], value: 2, timestampMs: 2500, createdTimestampMs: 1000 }
    t.equal(openMetricsMetric('c_total', 'counter', counter), 'c_total 2.0 2.5\nc_created 1.0 2.5\n')
    const summary: Metric = { labels: [], timestampMs: 2500, summary: { sampleCount: 1, sampleSum: 2, quantiles: [], createdTimestampMs: 1000 } }
    t.equal(openMetricsMetric('s', 'summary', summary), 's_sum 2.0 2.5\ns_count 1 2.5\ns_created 1.0 2.5\n')
  })

  t.test('leave out an exemplar without labels, as expfmt does', async t => {
    const metric: Metric = { labels: [], value: 2, exemplar: { labels: [], value: 1 } }
    t.equal(openMetricsMetric('c_total', 'counter', metric), 'c_total 2.0\n')
  })

  t.test('write exemplars on classic buckets with their timestamps', async t => {
    const metric: Metric = {
      labels: labels({ job: 'j' }),
      timestampMs: 1500,
      histogram: histogram({
        sampleCount: 3,
        sampleSum: 0.25,
        buckets: [{ upperBound: 0.5, cumulativeCount: 3, exemplar: { labels: labels({ trace_id: 'a"b' }), value: 0.125, timestampMs: 1700000000000 } }],
        exemplars: [{ labels: labels({ native: 'ignored' }), value: 1 }]
      })
    }
    t.equal(openMetricsMetric('h', 'histogram', metric),
      'h_bucket{job="j",le="0.5"} 3 1.5 # {trace_id="a\\"b"} 0.125 1.7e+09\n' +
      'h_bucket{job="j",le="+Inf"} 3 1.5\n' +
      'h_sum{job="j"} 0.25 1.5\n' +
      'h_count{job="j"} 3 1.5\n')
  })

  t.test('write a missing value, summary or histogram as empty', async t => {
    t.equal(openMetricsMetric('c_total', 'counter', { labels: [] }), 'c_total 0.0\n')
    t.equal(openMetricsMetric('g', 'gauge', { labels: [] }), 'g 0.0\n')
    t.equal(openMetricsMetric('s', 'summary', { labels: [] }), 's_sum 0.0\ns_count 0\n')
    t.equal(openMetricsMetric('h', 'histogram', { labels: [] }), 'h_bucket{le="+Inf"} 0\nh_sum 0.0\nh_count 0\n')
    t.equal(openMetricsMetric('h', 'gaugehistogram', { labels: [] }), 'h_bucket{le="+Inf"} 0\nh_gsum 0.0\nh_gcount 0\n')
  })

  t.test('format floats with a dot or an exponent', async t => {
    const cases: ReadonlyArray<readonly [number, string]> = [
      [0, '0.0'], [-0, '0.0'], [1, '1.0'], [-1, '-1.0'], [42, '42.0'], [-7, '-7.0'], [0.5, '0.5'],
      [1e6, '1e+06'], [1e-5, '1e-05'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'], [123456, '123456.0']
    ]
    for (const [value, expected] of cases) t.equal(openMetricsMetric('g', 'gauge', { labels: [], value }), `g ${expected}\n`, String(value))
  })

  t.test('header types and names', async t => {
    const cases: ReadonlyArray<readonly [string, MetricType, string]> = [
      ['a_total', 'counter', '# TYPE a counter\n'],
      ['a', 'counter', '# TYPE a unknown\n'],
      ['a', 'gauge', '# TYPE a gauge\n'],
      ['a', 'summary', '# TYPE a summary\n'],
      ['a', 'untyped', '# TYPE a unknown\n'],
      ['a', 'histogram', '# TYPE a histogram\n'],
      ['a', 'gaugehistogram', '# TYPE a gaugehistogram\n'],
      ['a_total', 'gauge', '# TYPE a_total gauge\n']
    ]
    for (const [name, type, expected] of cases) t.equal(openMetricsHeader(name, type, undefined, undefined), expected, `${name} ${type}`)
    t.equal(openMetricsHeader('a_seconds_total', 'counter', 'H"elp', 'seconds'),
      '# HELP a_seconds H\\"elp\n# TYPE a_seconds counter\n# UNIT a_seconds seconds\n')
  })
})

t.test('openMetricsMetricAfter writes what openMetricsMetric writes, the series taken from the line before, where that is all it takes', async t => {
  const cases: Array<[string, LabelPair[]]> = [
    ['m_total', []],
    ['m_total', [{ name: 'a', value: 'x} # {1' }]],
    ['my.metric', []],
    ['my.metric', [{ name: 'a.b', value: '}' }]]
  ]
  for (const [name, labels] of cases) {
    for (const type of ['counter', 'gauge', 'untyped'] as const) {
      const before = openMetricsMetric(name, type, { labels, value: 1, timestampMs: 5 })
      for (const metric of [{ labels, value: 2.5 }, { labels, value: Number.NaN, timestampMs: 1_700_000_000_123 }, { labels }]) {
        const after = openMetricsMetricAfter(before, name, type, metric)
        // A label value that looks like an exemplar makes a counter's line written in full.
        if (type === 'counter' && before.includes(' # {')) t.equal(after, undefined)
        else t.equal(after, openMetricsMetric(name, type, metric), `${type} ${name} ${JSON.stringify(metric)}`)
      }
    }
  }
  const labels = [{ name: 'a', value: '1' }]
  const exemplar = { labels: [{ name: 'trace', value: 'x' }], value: 1 }
  const withExemplar = openMetricsMetric('c_total', 'counter', { labels, value: 1, exemplar })
  const withCreated = openMetricsMetric('c_total', 'counter', { labels, value: 1, createdTimestampMs: 5 })
  t.match(withExemplar, / # \{trace="x"\} 1\.0\n$/)
  t.match(withCreated, /\nc_created\{a="1"\} 0\.005\n$/)
  t.equal(openMetricsMetricAfter(withExemplar, 'c_total', 'counter', { labels, value: 2 }), undefined, 'after an exemplar')
  t.equal(openMetricsMetricAfter(withCreated, 'c_total', 'counter', { labels, value: 2 }), undefined, 'after a created line')
  const plain = openMetricsMetric('c_total', 'counter', { labels, value: 1 })
  t.equal(openMetricsMetricAfter(plain, 'c_total', 'counter', { labels, value: 2, exemplar }), undefined, 'with an exemplar')
  t.equal(openMetricsMetricAfter(plain, 'c_total', 'counter', { labels, value: 2, createdTimestampMs: 5 }), undefined, 'with a created timestamp')
  t.equal(openMetricsMetricAfter(plain, 'c', 'summary', { labels }), undefined, 'a summary is written in full')
})

t.test('writeOpenMetrics', async t => {
  t.test('ends with exactly one # EOF', async t => {
    t.equal(writeOpenMetrics([]), '# EOF\n')
    const out = writeOpenMetrics(GO_CASES.map(([, family]) => family))
    t.ok(out.endsWith('\n# EOF\n'))
    t.equal(out.split('# EOF').length, 2)
  })

  t.test('writes the families in order and leaves out empty ones', async t => {
    const families: MetricFamily[] = [
      { name: 'b', type: 'gauge', metrics: [{ labels: [], value: 1 }] },
      { name: 'empty', type: 'gauge', metrics: [] },
      { name: 'a_total', type: 'counter', metrics: [{ labels: [], value: 2 }] }
    ]
    t.equal(writeOpenMetrics(families), '# TYPE b gauge\nb 1.0\n# TYPE a counter\na_total 2.0\n# EOF\n')
  })

  t.test('is accepted by the OpenMetrics parser, which reads the families back', async t => {
    const families: MetricFamily[] = [
      GO_CASES[0]![1], GO_CASES[1]![1], GO_CASES[2]![1], GO_CASES[3]![1], GO_CASES[5]![1], GAUGE_HISTOGRAM,
      { name: 'up', type: 'untyped', metrics: [{ labels: labels({ job: 'a' }), value: 1 }] }
    ]
    const parsed = parseOpenMetrics(writeOpenMetrics(families))
    t.strictSame(parsed.map(f => [f.name, f.type, f.help, f.unit, f.metrics.length]), [
      ['go_dur_seconds', 'histogram', 'Dur.', undefined, 1],
      ['http_requests_total', 'counter', 'Requests with "quotes", back\\slash\nand newline.', undefined, 2],
      ['rpc_duration_seconds', 'summary', 'RPC latency.', undefined, 1],
      ['temperature_celsius', 'gauge', undefined, 'celsius', 3],
      ['legacy_counter', 'untyped', 'No total suffix.', undefined, 1],
      ['gauge_hist', 'gaugehistogram', 'A gauge histogram.', undefined, 1],
      ['up', 'untyped', undefined, undefined, 1]
    ])
    const counter = parsed[1]!.metrics[0]!
    t.strictSame(counter.labels, labels({ code: '200', path: 'a"b\\c\nd' }))
    t.equal(counter.value, 1027)
    t.equal(counter.createdTimestampMs, 1700000000000)
    t.strictSame(counter.exemplar?.labels, labels({ trace_id: 'abc123' }))
    t.equal(counter.exemplar?.value, 0.67)
    const summary = parsed[2]!.metrics[0]!.summary!
    t.strictSame(summary.quantiles, GO_CASES[2]![1].metrics[0]!.summary!.quantiles.map(q => ({ quantile: q.quantile, value: q.value === 0 ? 0 : q.value })))
    t.equal(summary.sampleCount, 10000000)
    const gauge = parsed[5]!.metrics[0]!.histogram!
    t.equal(gauge.sampleCount, 42)
    t.equal(gauge.sampleSum, 3289.3)
    t.strictSame(gauge.buckets.map(b => [b.upperBound, b.cumulativeCount]), [[0.01, 20], [10, 34], [Infinity, 42]])
  })

  t.test('writes random valid families the OpenMetrics parser accepts', async t => {
    const random = makeRandom(99)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
    const values = [0, 1, 0.5, 1e-5, 123456.7, 1e21, 3.2, 1e6, 42]
    const strings = ['', 'a', 'x y', 'back\\slash', 'quo"te', 'new\nline', 'ünï', '😀', '# hash', '{brace}']
    const someLabels = (): LabelPair[] => {
      const names = ['instance', 'job', 'path'].filter(() => random() < 0.5)
      return names.map(name => ({ name, value: pick(strings) }))
    }
    const types: readonly MetricType[] = ['counter', 'gauge', 'summary', 'untyped', 'histogram', 'gaugehistogram']
    let accepted = 0
    for (let round = 0; round < 200; round++) {
      const families: MetricFamily[] = types.map((type, i) => {
        const metrics: Metric[] = []
        const seen = new Set<string>()
        for (let m = 0; m < 3; m++) {
          const metricLabels = someLabels()
          const key = JSON.stringify(metricLabels)
          if (seen.has(key)) continue
          seen.add(key)
          const metric: Metric = { labels: metricLabels }
          if (random() < 0.2) metric.timestampMs = Math.floor(random() * 2e12)
          if (type === 'counter' || type === 'gauge' || type === 'untyped') {
            metric.value = pick(values)
            if (type === 'counter' && random() < 0.5) metric.createdTimestampMs = Math.floor(random() * 2e12)
            if (type === 'counter' && random() < 0.5) metric.exemplar = { labels: labels({ trace_id: pick(strings) }), value: pick(values), timestampMs: 1700000000000 }
          } else if (type === 'summary') {
            metric.summary = { sampleCount: Math.floor(random() * 1e6), sampleSum: pick(values), quantiles: [{ quantile: 0.5, value: pick(values) }, { quantile: 0.99, value: pick(values) }] }
          } else {
            const bounds = [0.1, 1, 10].filter(() => random() < 0.6)
            let count = 0
            metric.histogram = histogram({
              sampleSum: pick(values),
              buckets: bounds.map(upperBound => {
                count += Math.floor(random() * 4)
                return random() < 0.3
                  ? { upperBound, cumulativeCount: count, exemplar: { labels: labels({ id: pick(strings) }), value: upperBound / 2 } }
                  : { upperBound, cumulativeCount: count }
              }),
              sampleCount: count + Math.floor(random() * 3)
            })
            if (type === 'histogram' && random() < 0.5) metric.histogram.createdTimestampMs = Math.floor(random() * 2e12)
          }
          metrics.push(metric)
        }
        const name = 'family_' + String(i) + (type === 'counter' && random() < 0.8 ? '_total' : '')
        const family: MetricFamily = { name, type, metrics }
        if (random() < 0.5) family.help = pick(strings)
        return family
      })
      const text = writeOpenMetrics(families)
      try {
        parseOpenMetrics(text)
        accepted++
      } catch (err) {
        t.fail(`${String(err)}\n${text}`)
      }
    }
    t.equal(accepted, 200)
  })
})
