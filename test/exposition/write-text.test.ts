import t from 'tap'
import type { Histogram, LabelPair, Metric, MetricFamily } from '../../src/exposition/types.js'
import { emptyHistogram } from '../../src/exposition/types.js'
import {
  TEXT_CONTENT_TYPE,
  escapeString,
  formatInteger,
  formatLabelPairs,
  formatMetricName,
  formatSeries,
  textHeader,
  textMetric,
  textMetricAfter,
  writeText
} from '../../src/exposition/write-text.js'

function labels (pairs: Record<string, string>): LabelPair[] {
  return Object.entries(pairs).map(([name, value]) => ({ name, value }))
}

function histogram (fields: Partial<Histogram>): Histogram {
  return { ...emptyHistogram(), ...fields }
}

function render (family: MetricFamily): string {
  return writeText([family])
}

// Each expected text below was produced by expfmt.MetricFamilyToText (prometheus/common v0.69.0)
// from the same family.
const GO_CASES: ReadonlyArray<readonly [string, MetricFamily, string]> = [
  [
    'the histogram of spec 6.4',
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
    'go_dur_seconds_bucket{empty="",instance="host+1",job="go/batch",path="/var/tmp",le="1"} 0\n' +
    'go_dur_seconds_bucket{empty="",instance="host+1",job="go/batch",path="/var/tmp",le="5"} 1\n' +
    'go_dur_seconds_bucket{empty="",instance="host+1",job="go/batch",path="/var/tmp",le="+Inf"} 1\n' +
    'go_dur_seconds_sum{empty="",instance="host+1",job="go/batch",path="/var/tmp"} 3.2\n' +
    'go_dur_seconds_count{empty="",instance="host+1",job="go/batch",path="/var/tmp"} 1\n'
  ],
  [
    'a counter with escapes and a timestamp',
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
    '# HELP http_requests_total Requests with "quotes", back\\\\slash\\nand newline.\n' +
    '# TYPE http_requests_total counter\n' +
    'http_requests_total{code="200",path="a\\"b\\\\c\\nd"} 1027\n' +
    'http_requests_total{code="500",path="/"} 3 1395066363000\n'
  ],
  [
    'a summary with odd quantiles and a count written as a float',
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
    'rpc_duration_seconds{service="x",quantile="0.01"} 3102\n' +
    'rpc_duration_seconds{service="x",quantile="0.5"} 4773\n' +
    'rpc_duration_seconds{service="x",quantile="0.99"} 76656\n' +
    'rpc_duration_seconds{service="x",quantile="0"} 0\n' +
    'rpc_duration_seconds{service="x",quantile="1"} 1e-05\n' +
    'rpc_duration_seconds_sum{service="x"} 1.7560473e+07\n' +
    'rpc_duration_seconds_count{service="x"} 1e+07\n'
  ],
  [
    'a gauge without help, with -0 and non-ASCII values',
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
    'temperature_celsius 0\n' +
    'temperature_celsius{room="ü😀"} 123456.7\n' +
    'temperature_celsius{room="z"} 1.234567e+06\n'
  ],
  [
    'an untyped family with empty help and non-finite values',
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
    '# TYPE queue_depth untyped\n' +
    'queue_depth NaN\n' +
    'queue_depth{q="a"} +Inf\n' +
    'queue_depth{q="b"} -Inf\n'
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
    '{"weird name","label.with.dots"="v",ok="w"} 2\n' +
    '{"weird name"} 3\n'
  ],
  [
    'a float histogram',
    {
      name: 'float_hist',
      type: 'histogram',
      metrics: [{
        labels: [],
        histogram: histogram({
          sampleCountFloat: 2.5,
          sampleSum: 1,
          buckets: [
            { upperBound: 0.1, cumulativeCount: 0, cumulativeCountFloat: 1.5 },
            { upperBound: Infinity, cumulativeCount: 3, cumulativeCountFloat: 0 }
          ]
        })
      }]
    },
    '# TYPE float_hist histogram\n' +
    'float_hist_bucket{le="0.1"} 1.5\n' +
    'float_hist_bucket{le="+Inf"} 3\n' +
    'float_hist_sum 1\n' +
    'float_hist_count 2.5\n'
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
    'native_only_bucket{job="n",le="+Inf"} 7 1700000000999\n' +
    'native_only_sum{job="n"} 12.5 1700000000999\n' +
    'native_only_count{job="n"} 7 1700000000999\n'
  ],
  [
    'a gauge histogram, typed histogram',
    {
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
    },
    '# HELP gauge_hist A gauge histogram.\n' +
    '# TYPE gauge_hist histogram\n' +
    'gauge_hist_bucket{a="b",le="0.01"} 20\n' +
    'gauge_hist_bucket{a="b",le="10"} 34\n' +
    'gauge_hist_bucket{a="b",le="+Inf"} 42\n' +
    'gauge_hist_sum{a="b"} 3289.3\n' +
    'gauge_hist_count{a="b"} 42\n'
  ]
]

t.test('TEXT_CONTENT_TYPE', async t => {
  t.equal(TEXT_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8')
})

t.test('writeText', async t => {
  t.test('matches expfmt byte for byte', async t => {
    for (const [name, family, expected] of GO_CASES) t.equal(render(family), expected, name)
  })

  t.test('writes families and metrics in the given order without blank lines', async t => {
    const families: MetricFamily[] = [
      { name: 'b', type: 'gauge', metrics: [{ labels: labels({ x: '2' }), value: 2 }, { labels: labels({ x: '1' }), value: 1 }] },
      { name: 'a', help: 'A.', type: 'counter', metrics: [{ labels: [], value: 5 }] }
    ]
    t.equal(writeText(families),
      '# TYPE b gauge\nb{x="2"} 2\nb{x="1"} 1\n# HELP a A.\n# TYPE a counter\na 5\n')
  })

  t.test('leaves out families without metrics', async t => {
    const families: MetricFamily[] = [
      { name: 'empty', help: 'Nothing.', type: 'gauge', metrics: [] },
      { name: 'full', type: 'gauge', metrics: [{ labels: [], value: 1 }] }
    ]
    t.equal(writeText(families), '# TYPE full gauge\nfull 1\n')
    t.equal(writeText([]), '')
  })

  t.test('equals the header followed by the metrics', async t => {
    for (const [name, family] of GO_CASES) {
      const parts = textHeader(family.name, family.type, family.help) +
        family.metrics.map(metric => textMetric(family.name, family.type, metric)).join('')
      t.equal(parts, render(family), name)
    }
  })
})

t.test('textHeader', async t => {
  t.test('writes HELP only when help is defined', async t => {
    t.equal(textHeader('up', 'gauge', undefined), '# TYPE up gauge\n')
    t.equal(textHeader('up', 'gauge', ''), '# HELP up \n# TYPE up gauge\n')
  })

  t.test('escapes backslash and line feed but not quotes in HELP', async t => {
    t.equal(textHeader('x', 'untyped', 'a\\b\nc"d'), '# HELP x a\\\\b\\nc"d\n# TYPE x untyped\n')
  })

  t.test('names every type as the text format does', async t => {
    const cases = [
      ['counter', 'counter'],
      ['gauge', 'gauge'],
      ['summary', 'summary'],
      ['untyped', 'untyped'],
      ['histogram', 'histogram'],
      ['gaugehistogram', 'histogram']
    ] as const
    for (const [type, written] of cases) t.equal(textHeader('m', type, undefined), `# TYPE m ${written}\n`, type)
  })

  t.test('quotes a name that is not legacy-valid', async t => {
    t.equal(textHeader('a.b', 'gauge', 'h'), '# HELP "a.b" h\n# TYPE "a.b" gauge\n')
  })
})

t.test('textMetric', async t => {
  t.test('writes one line for counters, gauges and untyped metrics', async t => {
    const metric: Metric = { labels: labels({ a: '1' }), value: 0.005 }
    for (const type of ['counter', 'gauge', 'untyped'] as const) t.equal(textMetric('m', type, metric), 'm{a="1"} 0.005\n', type)
  })

  t.test('writes a missing value as 0', async t => {
    t.equal(textMetric('m', 'gauge', { labels: [] }), 'm 0\n')
  })

  t.test('writes a missing summary as an empty one', async t => {
    t.equal(textMetric('s', 'summary', { labels: labels({ a: 'b' }) }), 's_sum{a="b"} 0\ns_count{a="b"} 0\n')
  })

  t.test('writes a missing histogram as an empty one', async t => {
    t.equal(textMetric('h', 'histogram', { labels: [] }), 'h_bucket{le="+Inf"} 0\nh_sum 0\nh_count 0\n')
  })

  t.test('adds no second +Inf bucket when one is present', async t => {
    const metric: Metric = {
      labels: [],
      histogram: histogram({ sampleCount: 4, sampleSum: 2, buckets: [{ upperBound: 0.005, cumulativeCount: 1 }, { upperBound: Infinity, cumulativeCount: 4 }] })
    }
    t.equal(textMetric('h', 'histogram', metric), 'h_bucket{le="0.005"} 1\nh_bucket{le="+Inf"} 4\nh_sum 2\nh_count 4\n')
  })

  t.test('writes a float count of zero as the integer count, as expfmt does', async t => {
    const metric: Metric = {
      labels: [],
      histogram: histogram({ sampleCount: 2, sampleCountFloat: 0, sampleSum: 1, buckets: [{ upperBound: -0, cumulativeCount: 1, cumulativeCountFloat: 0 }] })
    }
    t.equal(textMetric('h', 'histogram', metric), 'h_bucket{le="0"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n')
  })

  t.test('uses the float +Inf count when the bucket is missing', async t => {
    const metric: Metric = { labels: [], histogram: histogram({ sampleCount: 0, sampleCountFloat: 3.5, sampleSum: 1 }) }
    t.equal(textMetric('h', 'histogram', metric), 'h_bucket{le="+Inf"} 3.5\nh_sum 1\nh_count 3.5\n')
  })

  t.test('writes le and quantile values with Go formatting', async t => {
    const metric: Metric = {
      labels: [],
      histogram: histogram({
        sampleCount: 1,
        sampleSum: 1,
        buckets: [1e-5, 0.005, 1, 2.5, 1e6, 1234567].map(upperBound => ({ upperBound, cumulativeCount: 1 }))
      })
    }
    t.match(textMetric('h', 'histogram', metric),
      /le="1e-05".*le="0\.005".*le="1"}.*le="2\.5".*le="1e\+06".*le="1\.234567e\+06".*le="\+Inf"/s)
  })

  t.test('appends the timestamp to every line of a summary', async t => {
    const metric: Metric = {
      labels: [],
      timestampMs: -1500,
      summary: { sampleCount: 2, sampleSum: 0.5, quantiles: [{ quantile: 0.9, value: 0.25 }] }
    }
    t.equal(textMetric('s', 'summary', metric), 's{quantile="0.9"} 0.25 -1500\ns_sum 0.5 -1500\ns_count 2 -1500\n')
  })

  t.test('quotes a metric name that is not legacy-valid, with its suffix', async t => {
    const metric: Metric = { labels: labels({ a: '1' }), summary: { sampleCount: 1, sampleSum: 2, quantiles: [{ quantile: 0.5, value: 3 }] } }
    t.equal(textMetric('my.summary', 'summary', metric),
      '{"my.summary",a="1",quantile="0.5"} 3\n{"my.summary_sum",a="1"} 2\n{"my.summary_count",a="1"} 1\n')
  })
})

t.test('textMetricAfter writes what textMetric writes, the series taken from the line before', async t => {
  const cases: Array<[string, LabelPair[]]> = [
    ['m', []],
    ['m', [{ name: 'a', value: 'x} 1' }, { name: 'b', value: 'q"\\\n' }]],
    ['my.metric', []],
    ['my.metric', [{ name: 'a.b', value: '}' }]]
  ]
  for (const [name, labels] of cases) {
    for (const type of ['counter', 'gauge', 'untyped'] as const) {
      const before = textMetric(name, type, { labels, value: 1, timestampMs: 5 })
      for (const metric of [{ labels, value: 2.5 }, { labels, value: Number.NaN, timestampMs: -7 }, { labels }]) {
        t.equal(textMetricAfter(before, name, type, metric), textMetric(name, type, metric), `${name} ${JSON.stringify(metric)}`)
      }
    }
  }
  t.equal(textMetricAfter('m_count 1\n', 'm', 'summary', { labels: [] }), undefined, 'a summary is written in full')
})

t.test('helpers', async t => {
  t.test('escapeString escapes backslash, line feed and, with quotes, double quote', async t => {
    t.equal(escapeString('plain', true), 'plain')
    t.equal(escapeString('', true), '')
    t.equal(escapeString('a\\b"c\nd\re', true), 'a\\\\b\\"c\\nd\re')
    t.equal(escapeString('a\\b"c\nd', false), 'a\\\\b"c\\nd')
    t.equal(escapeString('\n', false), '\\n')
    t.equal(escapeString('"', false), '"')
  })

  t.test('formatMetricName quotes names outside [a-zA-Z_:][a-zA-Z0-9_:]*', async t => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['abc', 'abc'],
      ['a_b:c9', 'a_b:c9'],
      [':x', ':x'],
      ['_', '_'],
      ['ZZ', 'ZZ'],
      ['', '""'],
      ['9a', '"9a"'],
      ['a-b', '"a-b"'],
      ['é', '"é"'],
      ['a"b', '"a\\"b"'],
      ['a[', '"a["'],
      ['a`', '"a`"'],
      ['a@', '"a@"'],
      ['a{', '"a{"'],
      ['a/', '"a/"']
    ]
    for (const [name, expected] of cases) t.equal(formatMetricName(name), expected, JSON.stringify(name))
  })

  t.test('formatLabelPairs joins escaped pairs in order', async t => {
    t.equal(formatLabelPairs([]), '')
    t.equal(formatLabelPairs(labels({ z: '1', a: 'x"y' })), 'z="1",a="x\\"y"')
    t.equal(formatLabelPairs(labels({ 'a.b': '' })), '"a.b"=""')
  })

  t.test('formatSeries places name, labels and the extra pair', async t => {
    t.equal(formatSeries('m', '', ''), 'm')
    t.equal(formatSeries('m', 'a="1"', ''), 'm{a="1"}')
    t.equal(formatSeries('m', '', 'le="1"'), 'm{le="1"}')
    t.equal(formatSeries('m', 'a="1"', 'le="1"'), 'm{a="1",le="1"}')
    t.equal(formatSeries('m.x', '', ''), '{"m.x"}')
    t.equal(formatSeries('m.x', 'a="1"', 'le="1"'), '{"m.x",a="1",le="1"}')
  })

  t.test('formatInteger writes every digit', async t => {
    t.equal(formatInteger(0), '0')
    t.equal(formatInteger(-1500), '-1500')
    t.equal(formatInteger(Number.MAX_SAFE_INTEGER), '9007199254740991')
    t.equal(formatInteger(2 ** 60), '1152921504606846976')
    t.equal(formatInteger(-(2 ** 63)), '-9223372036854775808')
    t.equal(formatInteger(1e21), '1000000000000000000000')
    t.equal(formatInteger(NaN), 'NaN')
  })
})
