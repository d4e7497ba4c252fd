import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import { ParseError } from '../../src/errors.js'
import { parseOpenMetrics } from '../../src/exposition/parse-openmetrics.js'
import { emptyHistogram, type Histogram, type LabelPair, type MetricFamily } from '../../src/exposition/types.js'

// The OpenMetrics project's parser conformance corpus, shared by every checkout.
const CORPUS = new URL('../fixtures/openmetrics-parsers/', import.meta.url)

function histogram (fields: Pick<Histogram, 'sampleCount' | 'sampleSum' | 'buckets'> & Partial<Histogram>): Histogram {
  return { ...emptyHistogram(), ...fields }
}

function labels (...pairs: Array<[string, string]>): LabelPair[] {
  return pairs.map(([name, value]) => ({ name, value }))
}

function parseLines (...lines: string[]): MetricFamily[] {
  return parseOpenMetrics(lines.join('\n') + '\n# EOF\n')
}

function parseError (line: number, message: string): { name: string, code: string, statusCode: number, message: string } {
  return { name: 'ParseError', code: 'ERR_PARSE', statusCode: 400, message: `openmetrics parsing error in line ${line}: ${message}` }
}

t.test('conformance corpus', async t => {
  const cases = readdirSync(CORPUS, { withFileTypes: true }).filter(entry => entry.isDirectory()).map(entry => entry.name).sort()
  t.ok(cases.length >= 200, `found the corpus (${cases.length} cases)`)
  let good = 0
  let bad = 0
  for (const name of cases) {
    const spec = JSON.parse(readFileSync(new URL(`${name}/test.json`, CORPUS), 'utf8')) as { shouldParse: boolean }
    const text = readFileSync(new URL(`${name}/metrics`, CORPUS), 'utf8')
    if (spec.shouldParse) {
      good++
      t.doesNotThrow(() => parseOpenMetrics(text), `${name} is accepted`)
    } else {
      bad++
      t.throws(() => parseOpenMetrics(text), { name: 'ParseError', message: /^openmetrics parsing error in line \d+: / }, `${name} is rejected`)
    }
  }
  t.ok(good > 0 && bad > 0, `${good} valid and ${bad} invalid cases`)
})

t.test('mapping to the model', async t => {
  t.test('counter family foo becomes foo_total with value, created time and exemplar', async t => {
    t.strictSame(parseLines(
      '# TYPE foo counter',
      '# HELP foo Foo help.',
      'foo_total{b="1",a="x"} 5 # {trace_id="abc"} 1.5 1520879607.789',
      'foo_created{b="1",a="x"} 1520430000.123',
      'foo_created{b="2"} 1.5',
      'foo_total{b="2"} 0'
    ), [{
      name: 'foo_total',
      help: 'Foo help.',
      type: 'counter',
      metrics: [
        {
          labels: labels(['b', '1'], ['a', 'x']),
          value: 5,
          exemplar: { labels: labels(['trace_id', 'abc']), value: 1.5, timestampMs: 1520879607789 },
          createdTimestampMs: 1520430000123
        },
        { labels: labels(['b', '2']), value: 0, createdTimestampMs: 1500 }
      ]
    }])
  })

  t.test('gauge, unknown and samples without metadata', async t => {
    t.strictSame(parseLines(
      '# TYPE g gauge',
      'g{a="1"} -1.5',
      'g{a="2"} +Inf',
      '# TYPE u unknown',
      'u 3',
      'plain_total NaN'
    ), [
      { name: 'g', type: 'gauge', metrics: [{ labels: labels(['a', '1']), value: -1.5 }, { labels: labels(['a', '2']), value: Infinity }] },
      { name: 'u', type: 'untyped', metrics: [{ labels: [], value: 3 }] },
      { name: 'plain_total', type: 'untyped', metrics: [{ labels: [], value: NaN }] }
    ])
  })

  t.test('info family foo becomes gauge foo_info with value 1', async t => {
    t.strictSame(parseLines(
      '# TYPE build info',
      'build_info{version="1.2",revision="abc"} 1',
      'build_info{version="1.3",revision="def"} 1.0'
    ), [{
      name: 'build_info',
      type: 'gauge',
      metrics: [
        { labels: labels(['version', '1.2'], ['revision', 'abc']), value: 1 },
        { labels: labels(['version', '1.3'], ['revision', 'def']), value: 1 }
      ]
    }])
  })

  t.test('stateset becomes a gauge with one metric per state', async t => {
    t.strictSame(parseLines(
      '# TYPE state stateset',
      'state{entity="a",state="on"} 1',
      'state{entity="a",state="off"} 0.0',
      'state{state="on",entity="b"} 0'
    ), [{
      name: 'state',
      type: 'gauge',
      metrics: [
        { labels: labels(['entity', 'a'], ['state', 'on']), value: 1 },
        { labels: labels(['entity', 'a'], ['state', 'off']), value: 0 },
        { labels: labels(['state', 'on'], ['entity', 'b']), value: 0 }
      ]
    }])
  })

  t.test('histogram with buckets, count, sum, created time and exemplars', async t => {
    t.strictSame(parseLines(
      '# TYPE rt_seconds histogram',
      '# UNIT rt_seconds seconds',
      '# HELP rt_seconds Response time.',
      'rt_seconds_bucket{path="/",le="0.1"} 1 # {id="a"} 0.05',
      'rt_seconds_bucket{le="1.0",path="/"} 3',
      'rt_seconds_bucket{path="/",le="+Inf"} 4 # {} 7 12',
      'rt_seconds_count{path="/"} 4',
      'rt_seconds_sum{path="/"} 9.5',
      'rt_seconds_created{path="/"} 100',
      'rt_seconds_bucket{path="/x",le="+Inf"} 2'
    ), [{
      name: 'rt_seconds',
      help: 'Response time.',
      type: 'histogram',
      unit: 'seconds',
      metrics: [
        {
          labels: labels(['path', '/']),
          histogram: histogram({
            sampleCount: 4,
            sampleSum: 9.5,
            createdTimestampMs: 100000,
            buckets: [
              { upperBound: 0.1, cumulativeCount: 1, exemplar: { labels: labels(['id', 'a']), value: 0.05 } },
              { upperBound: 1, cumulativeCount: 3 },
              { upperBound: Infinity, cumulativeCount: 4, exemplar: { labels: [], value: 7, timestampMs: 12000 } }
            ]
          })
        },
        {
          labels: labels(['path', '/x']),
          histogram: histogram({ sampleCount: 2, sampleSum: 0, buckets: [{ upperBound: Infinity, cumulativeCount: 2 }] })
        }
      ]
    }])
  })

  t.test('gauge histogram from _bucket, _gcount and _gsum', async t => {
    t.strictSame(parseLines(
      '# TYPE q gaugehistogram',
      'q_bucket{le="-1"} 1',
      'q_bucket{le="+Inf"} 3',
      'q_gcount 3',
      'q_gsum -2'
    ), [{
      name: 'q',
      type: 'gaugehistogram',
      metrics: [{
        labels: [],
        histogram: histogram({
          sampleCount: 3,
          sampleSum: -2,
          buckets: [{ upperBound: -1, cumulativeCount: 1 }, { upperBound: Infinity, cumulativeCount: 3 }]
        })
      }]
    }])
  })

  t.test('summary with quantiles, count, sum and created time', async t => {
    t.strictSame(parseLines(
      '# TYPE s summary',
      's_count{x="1"} 7',
      's{x="1",quantile="0.5"} 0.25',
      's{quantile="0.99",x="1"} NaN',
      's_sum{x="1"} 3.5',
      's_created{x="1"} 1',
      's{x="2",quantile="1"} 4'
    ), [{
      name: 's',
      type: 'summary',
      metrics: [
        {
          labels: labels(['x', '1']),
          summary: { sampleCount: 7, sampleSum: 3.5, createdTimestampMs: 1000, quantiles: [{ quantile: 0.5, value: 0.25 }, { quantile: 0.99, value: NaN }] }
        },
        { labels: labels(['x', '2']), summary: { sampleCount: 0, sampleSum: 0, quantiles: [{ quantile: 1, value: 4 }] } }
      ]
    }])
  })

  t.test('sample timestamps in seconds become milliseconds', async t => {
    t.strictSame(parseLines(
      '# TYPE c counter',
      'c_total 1 1520879607.789',
      'c_created 5 1520879607.789',
      'c_total 2 1520879608',
      'g 1 -1.5',
      'h_bucket{le="+Inf"} 1 0.0005'
    ), [
      {
        name: 'c_total',
        type: 'counter',
        metrics: [
          { labels: [], value: 1, timestampMs: 1520879607789, createdTimestampMs: 5000 },
          { labels: [], value: 2, timestampMs: 1520879608000 }
        ]
      },
      { name: 'g', type: 'untyped', metrics: [{ labels: [], value: 1, timestampMs: -1500 }] },
      { name: 'h_bucket', type: 'untyped', metrics: [{ labels: labels(['le', '+Inf']), value: 1, timestampMs: 1 }] }
    ])
  })

  t.test('a histogram point ends when its timestamp changes', async t => {
    const [family] = parseLines(
      '# TYPE h histogram',
      'h_bucket{le="+Inf"} 1 10',
      'h_bucket{le="+Inf"} 2 20'
    )
    t.strictSame(family?.metrics.map(m => [m.timestampMs, m.histogram?.sampleCount]), [[10000, 1], [20000, 2]])
  })

  t.test('a repeated sample starts a new metric with the same labels', async t => {
    const [counter, summary] = parseLines(
      '# TYPE c counter',
      'c_total{a="1"} 1',
      'c_total{a="1"} 2',
      '# TYPE s summary',
      's_count 1',
      's_count 2'
    )
    t.strictSame(counter?.metrics, [{ labels: labels(['a', '1']), value: 1 }, { labels: labels(['a', '1']), value: 2 }])
    t.strictSame(summary?.metrics.map(m => m.summary?.sampleCount), [1, 2])
  })

  t.test('label sets of the same size with other names are other metrics', async t => {
    const [family] = parseLines('# TYPE c counter', 'c_total{a="1"} 1', 'c_created{b="1"} 1', 'c_total{b="1"} 1')
    t.strictSame(family?.metrics, [{ labels: labels(['a', '1']), value: 1 }, { labels: labels(['b', '1']), value: 1, createdTimestampMs: 1000 }])
  })

  t.test('HELP and label values are unescaped', async t => {
    const [family] = parseLines(
      '# HELP e a\\\\b\\nc\\"d\\z "q" \\',
      'e{v="x\\\\y\\nz\\"w\\q",plain="no escapes"} 1'
    )
    t.equal(family?.help, 'a\\b\nc"d\\z "q" \\')
    t.strictSame(family?.metrics[0]?.labels, labels(['v', 'x\\y\nz"w\\q'], ['plain', 'no escapes']))
  })

  t.test('hash and braces inside label values', async t => {
    const [family] = parseLines('# TYPE a counter', 'a_total{foo="} # {x} # "} 1 # {b="#{}"} 2')
    t.strictSame(family?.metrics[0], { labels: labels(['foo', '} # {x} # ']), value: 1, exemplar: { labels: labels(['b', '#{}']), value: 2 } })
  })

  t.test('empty HELP and UNIT count as absent', async t => {
    const [family] = parseLines('# TYPE a_s gauge', '# UNIT a_s ', '# HELP a_s ', 'a_s 1')
    t.strictSame(family, { name: 'a_s', type: 'gauge', metrics: [{ labels: [], value: 1 }] })
  })

  t.test('families without samples are left out', async t => {
    t.strictSame(parseLines('# TYPE a counter', '# HELP b help', 'c 1', '# UNIT d_s s'), [
      { name: 'c', type: 'untyped', metrics: [{ labels: [], value: 1 }] }
    ])
    t.strictSame(parseOpenMetrics('# EOF'), [])
  })

  t.test('empty braces and labels reused from the previous line', async t => {
    const families = parseLines('a{} 1', 'b{x="1",y="2"} 1', 'c{x="1",z="2"} 1', 'd{x="1"} 1')
    t.strictSame(families.map(f => f.metrics[0]?.labels), [[], labels(['x', '1'], ['y', '2']), labels(['x', '1'], ['z', '2']), labels(['x', '1'])])
  })
})

t.test('numbers', async t => {
  const values: Array<[string, number]> = [
    ['0', 0],
    ['-0', -0],
    ['+1', 1],
    ['1.', 1],
    ['.5', 0.5],
    ['-.5', -0.5],
    ['1.5e3', 1500],
    ['1E-3', 0.001],
    ['2e+2', 200],
    ['000000000000000000000000000000000000001.25', 1.25],
    ['0.1', 0.1],
    ['123.456', 123.456],
    ['9223372036854775808', 9223372036854775808],
    ['0.00000000000000000000001', 1e-23],
    ['1e-400', 0],
    ['Inf', Infinity],
    ['+inf', Infinity],
    ['-INF', -Infinity],
    ['+Infinity', Infinity],
    ['-infinity', -Infinity],
    ['NaN', NaN],
    ['nan', NaN]
  ]
  for (const [text, expected] of values) {
    t.strictSame(parseLines(`a ${text}`)[0]?.metrics[0]?.value, expected, `value ${text}`)
  }
  const invalid = ['', '+', '-', '.', 'e1', '1e', '1e+', '1.2.3', '0x1', '1_000', '1e400', '-1e400', '+nan', 'in', 'infinit', 'infinityy', 'nana', 'n', '1 ']
  for (const text of invalid) {
    t.throws(() => parseLines(`a ${text}`), { name: 'ParseError', message: /: invalid (value|timestamp) / }, `value ${JSON.stringify(text)}`)
  }
  for (const text of ['NaN', 'Inf', '-Inf', '+Infinity']) {
    t.throws(() => parseLines(`a 1 ${text}`), parseError(1, `invalid timestamp "${text}"`), `timestamp ${text}`)
  }
  t.equal(parseLines('a 1 12345678901234567890.1234567890')[0]?.metrics[0]?.timestampMs, 1.2345678901234568e22)
})

t.test('exemplars', async t => {
  t.test('the label limit counts code points, not UTF-16 units or bytes', async t => {
    const astral = '\u{1F600}'
    const exactly = parseLines('# TYPE a counter', `a_total 1 # {a="${astral.repeat(127)}"} 1`)
    t.equal(exactly[0]?.metrics[0]?.exemplar?.labels[0]?.value, astral.repeat(127))
    t.throws(() => parseLines('# TYPE a counter', `a_total 1 # {a="${astral.repeat(128)}"} 1`),
      parseError(2, 'exemplar labels have 129 characters, more than the limit of 128'))
    // A lone surrogate (possible only in a string not decoded from UTF-8) counts as one.
    t.throws(() => parseLines('# TYPE a counter', `a_total 1 # {a="\ud800${'x'.repeat(127)}"} 1`),
      parseError(2, 'exemplar labels have 129 characters, more than the limit of 128'))
    t.throws(() => parseLines('# TYPE a counter', `a_total 1 # {ab="${'x'.repeat(64)}",cd="${'x'.repeat(61)}"} 1`),
      parseError(2, 'exemplar labels have 129 characters, more than the limit of 128'))
  })

  t.test('malformed exemplars', async t => {
    const cases: Array<[string, string]> = [
      ['a_total 1 # {a="b"}', 'expected a space and a value after the exemplar labels'],
      ['a_total 1 # {a="b"}x', 'expected a space and a value after the exemplar labels'],
      ['a_total 1 # {a="b"} 1 2 3', 'unexpected text after the exemplar timestamp'],
      ['a_total 1 # {a="b"} x', 'invalid exemplar value "x"'],
      ['a_total 1 # {a="b",a="c"} 1', 'duplicate label name "a"'],
      ['a_total 1 2 #', 'invalid exemplar, expected " # {" after the value or timestamp'],
      ['a_total 1 2 x', 'invalid exemplar, expected " # {" after the value or timestamp']
    ]
    for (const [line, message] of cases) {
      t.throws(() => parseLines('# TYPE a counter', line), parseError(2, message), line)
    }
  })
})

t.test('rejections name the line and the problem', async t => {
  const cases: Array<[string, number, string]> = [
    ['', 1, 'missing "# EOF" at the end'],
    ['a 1\n', 2, 'missing "# EOF" at the end'],
    ['a 1', 2, 'missing "# EOF" at the end'],
    ['a 1\n\n# EOF\n', 2, 'blank lines are not allowed'],
    ['# EOF\n\n', 2, 'unexpected text after "# EOF"'],
    ['# EOF\na 1\n', 2, 'unexpected text after "# EOF"'],
    ['# EOF \n', 1, 'comments are not allowed, a line starting with "#" must be "# TYPE", "# HELP", "# UNIT" or "# EOF"'],
    ['# a comment\n# EOF\n', 1, 'comments are not allowed, a line starting with "#" must be "# TYPE", "# HELP", "# UNIT" or "# EOF"'],
    ['#TYPE a gauge\n# EOF\n', 1, 'comments are not allowed, a line starting with "#" must be "# TYPE", "# HELP", "# UNIT" or "# EOF"'],
    ['# TYPEa gauge\n# EOF\n', 1, 'expected a space and a metric name after "# TYPE"'],
    ['# TYPE 1a gauge\n# EOF\n', 1, 'invalid metric name in TYPE line'],
    ['# TYPE a.b gauge\n# EOF\n', 1, 'invalid metric name in TYPE line'],
    ['# TYPE a\n# EOF\n', 1, 'missing metric type in TYPE line'],
    ['# HELP a\n# EOF\n', 1, 'missing help text in HELP line'],
    ['# UNIT a\n# EOF\n', 1, 'missing unit in UNIT line'],
    ['# TYPE a untyped\n# EOF\n', 1, 'invalid metric type "untyped"'],
    ['# TYPE a Gauge\n# EOF\n', 1, 'invalid metric type "Gauge"'],
    ['# TYPE a gauge\n# TYPE a gauge\n# EOF\n', 2, 'second TYPE line for metric family "a"'],
    ['# HELP a x\n# HELP a y\n# EOF\n', 2, 'second HELP line for metric family "a"'],
    ['# UNIT a_s s\n# UNIT a_s s\n# EOF\n', 2, 'second UNIT line for metric family "a_s"'],
    ['# UNIT a_s s-\n# EOF\n', 1, 'invalid unit "s-"'],
    ['# UNIT a_bytes seconds\n# EOF\n', 1, 'unit "seconds" is not a suffix of metric family name "a_bytes"'],
    ['# UNIT abytes bytes\n# EOF\n', 1, 'unit "bytes" is not a suffix of metric family name "abytes"'],
    ['# TYPE a_s info\n# UNIT a_s s\n# EOF\n', 2, 'metric family "a_s" of type info must not have a unit'],
    ['# UNIT a_s s\n# TYPE a_s stateset\n# EOF\n', 2, 'metric family "a_s" of type stateset must not have a unit'],
    ['a 1\n# TYPE a gauge\n# EOF\n', 2, 'TYPE line for metric family "a" after its samples'],
    ['# TYPE a gauge\n# TYPE b gauge\n# HELP a x\n# EOF\n', 3, 'metric family "a" appears twice, metric families must not be interleaved'],
    ['a 1\nb 1\na 2\n# EOF\n', 3, 'metric family "a" appears twice, metric families must not be interleaved'],
    ['# TYPE a counter\na 1\n# EOF\n', 2, 'metric family "a" appears twice, metric families must not be interleaved'],
    ['# TYPE a counter\n# TYPE a_created gauge\n# EOF\n', 2, 'metric family "a_created" clashes with a sample name of metric family "a"'],
    ['# TYPE a_gsum gauge\n# TYPE a gaugehistogram\n# EOF\n', 2, 'sample name "a_gsum" of metric family "a" clashes with metric family "a_gsum"'],
    [' a 1\n# EOF\n', 1, 'invalid metric name at the start of the line'],
    ['{a="1"} 1\n# EOF\n', 1, 'invalid metric name at the start of the line'],
    ['a\n# EOF\n', 1, 'missing value'],
    ['a{x="1"}\n# EOF\n', 1, 'missing value'],
    ['a.b 1\n# EOF\n', 1, 'invalid character "." in metric name'],
    ['a{}1\n# EOF\n', 1, 'expected a space and a value after the labels, got "1"'],
    ['a 1 \n# EOF\n', 1, 'invalid timestamp ""'],
    ['a  1\n# EOF\n', 1, 'invalid value ""'],
    ['a 1\r\n# EOF\n', 1, 'invalid value "1\\r"'],
    ['a{1="x"} 1\n# EOF\n', 1, 'invalid label name'],
    ['a{x="1",} 1\n# EOF\n', 1, 'invalid label name'],
    ['a{x:y="1"} 1\n# EOF\n', 1, 'expected "=" after label name "x"'],
    ['a{x=1} 1\n# EOF\n', 1, 'expected a quoted value for label "x"'],
    ['a{x="1} 1\n# EOF\n', 1, 'unterminated label value'],
    ['a{x="1\\"} 1\n# EOF\n', 1, 'unterminated label value'],
    ['a{x="\\', 1, 'unterminated label value'],
    ['a{x="1"', 1, 'expected "," or "}" after the value of label "x"'],
    ['a{x="1";y="2"} 1\n# EOF\n', 1, 'expected "," or "}" after the value of label "x"'],
    ['a{x="1",x="2"} 1\n# EOF\n', 1, 'duplicate label name "x"'],
    ['a{__name__="b"} 1\n# EOF\n', 1, 'label name "__name__" is reserved'],
    ['# TYPE a counter\na_total NaN\n# EOF\n', 2, 'invalid value NaN of counter sample "a_total": must not be NaN'],
    ['# TYPE a counter\na_total -Inf\n# EOF\n', 2, 'invalid value -Inf of counter sample "a_total": must not be negative'],
    ['# TYPE a counter\na_total 1\na_created +Inf\n# EOF\n', 3, 'invalid value +Inf of counter sample "a_created": must be a finite number of seconds'],
    ['# TYPE a counter\na_created 1\n# EOF\n', 2, 'counter "a" has a _created sample without a _total sample'],
    ['# TYPE a counter\na_created{x="1"} 1\na_total{x="2"} 1\n# EOF\n', 2, 'counter "a" has a _created sample without a _total sample'],
    ['# TYPE a histogram\na_bucket{le="+Inf"} +Inf\n# EOF\n', 2, 'invalid value +Inf of histogram sample "a_bucket": must be an integer'],
    ['# TYPE a histogram\na_bucket{le="+Inf"} 1.5\n# EOF\n', 2, 'invalid value 1.5 of histogram sample "a_bucket": must be an integer'],
    ['# TYPE a histogram\na_bucket{le="+Inf"} 1\na_count 1.5\n# EOF\n', 3, 'invalid value 1.5 of histogram sample "a_count": must be an integer'],
    ['# TYPE a gaugehistogram\na_bucket{le="+Inf"} 1\na_gcount 1.5\n# EOF\n', 3, 'invalid value 1.5 of gaugehistogram sample "a_gcount": must be an integer'],
    ['# TYPE a gaugehistogram\na_bucket{le="+Inf"} 1\na_gsum NaN\n# EOF\n', 3, 'invalid value NaN of gaugehistogram sample "a_gsum": must not be NaN'],
    ['# TYPE a summary\na_sum -1\n# EOF\n', 2, 'invalid value -1 of summary sample "a_sum": must not be negative'],
    ['# TYPE a summary\na{quantile="0.5"} -1\n# EOF\n', 2, 'invalid value -1 of summary sample "a": must not be negative'],
    ['# TYPE a info\na_info 0\n# EOF\n', 2, 'invalid value 0 of info sample "a_info": must be 1'],
    ['# TYPE a stateset\na{a="x"} 0.5\n# EOF\n', 2, 'invalid value 0.5 of stateset sample "a": must be 0 or 1'],
    ['# TYPE a stateset\na{b="x"} 1\n# EOF\n', 2, 'stateset sample without the label "a"'],
    ['# TYPE a histogram\na_bucket 1\n# EOF\n', 2, 'histogram bucket without the label "le"'],
    ['# TYPE a summary\na 1\n# EOF\n', 2, 'summary quantile without the label "quantile"'],
    ['# TYPE a histogram\na_bucket{le="x"} 1\n# EOF\n', 2, 'invalid le label value "x"'],
    ['# TYPE a histogram\na_bucket{le="NaN"} 1\n# EOF\n', 2, 'invalid le label value "NaN"'],
    ['# TYPE a histogram\na_bucket{le="inf"} 1\n# EOF\n', 2, 'invalid le label value "inf"'],
    ['# TYPE a summary\na{quantile="1.5"} 1\n# EOF\n', 2, 'invalid quantile label value "1.5"'],
    ['# TYPE a summary\na{quantile="+Inf"} 1\n# EOF\n', 2, 'invalid quantile label value "+Inf"'],
    ['# TYPE a histogram\na_bucket{le="+Inf"} 1\na_count{le="1"} 1\n# EOF\n', 3, 'label "le" is not allowed on this histogram sample'],
    ['# TYPE a gaugehistogram\na_gsum{le="1"} 1\n# EOF\n', 2, 'label "le" is not allowed on this gaugehistogram sample'],
    ['# TYPE a summary\na_count{quantile="1"} 1\n# EOF\n', 2, 'label "quantile" is not allowed on this summary sample'],
    ['# TYPE a gauge\na 1 # {} 1\n# EOF\n', 2, 'exemplars are only allowed on counter _total and histogram _bucket samples'],
    ['# TYPE a summary\na_count 1 # {} 1\n# EOF\n', 2, 'exemplars are only allowed on counter _total and histogram _bucket samples'],
    ['a{x="1"} 1\na{x="2"} 1\na{x="1"} 1\n# EOF\n', 3, 'metric family "a" has interleaved metrics'],
    ['a{z="1",x="1",y="1"} 1\na{x="2"} 1\na{x="1",y="1",z="1"} 1\n# EOF\n', 3, 'metric family "a" has interleaved metrics'],
    ['a 1 2\na 1 1\n# EOF\n', 2, 'timestamps of one metric must not go backwards'],
    ['a 1 2\na 1\n# EOF\n', 2, 'samples of one metric must either all have timestamps or none'],
    ['# TYPE a info\na_info{x="1"} 1 2\na_info{x="2"} 1\n# EOF\n', 3, 'samples of one metric must either all have timestamps or none'],
    ['# TYPE a histogram\na_bucket{le="1"} 1\n# EOF\n', 2, 'histogram "a" has no +Inf bucket'],
    ['# TYPE a histogram\na_count 0\na_sum 0\n# EOF\n', 3, 'histogram "a" has no +Inf bucket'],
    ['# TYPE a histogram\na_bucket{le="+Inf"} 2\na_count 1\na_sum 1\n# EOF\n', 4, 'histogram "a" has a _count of 1 but a +Inf bucket of 2'],
    ['# TYPE a gaugehistogram\na_bucket{le="+Inf"} 2\na_gcount 1\na_gsum 1\n# EOF\n', 4, 'gaugehistogram "a" has a _gcount of 1 but a +Inf bucket of 2'],
    ['# TYPE a histogram\na_bucket{le="+Inf"} 1\na_sum 1\n# EOF\n', 3, 'histogram "a" has _sum without _count'],
    ['# TYPE a histogram\na_bucket{le="+Inf"} 1\na_count 1\n# EOF\n', 3, 'histogram "a" has _count without _sum'],
    ['# TYPE a gaugehistogram\na_bucket{le="+Inf"} 1\na_gsum 1\n# EOF\n', 3, 'gaugehistogram "a" has _gsum without _gcount'],
    ['# TYPE a histogram\na_bucket{le="-1"} 0\na_bucket{le="+Inf"} 1\na_count 1\na_sum 0\n# EOF\n', 5, 'histogram "a" has a _sum but negative buckets'],
    ['# TYPE a gaugehistogram\na_bucket{le="+Inf"} 1\na_gcount 1\na_gsum -1\n# EOF\n', 4, 'gaugehistogram "a" has a negative _gsum but no negative buckets'],
    ['# TYPE a histogram\na_bucket{le="1"} 1\na_bucket{le="1.0"} 1\n# EOF\n', 3, 'histogram buckets must be in increasing order of "le"'],
    ['# TYPE a histogram\na_bucket{le="1"} 2\na_bucket{le="+Inf"} 1\n# EOF\n', 3, 'histogram bucket counts must not decrease'],
    ['# TYPE a histogram\na_bucket{le="1"} 1\n# TYPE b gauge\n# EOF\n', 2, 'histogram "a" has no +Inf bucket']
  ]
  for (const [text, line, message] of cases) {
    t.throws(() => parseOpenMetrics(text), parseError(line, message), JSON.stringify(text))
  }
  t.test('errors are ParseErrors', async t => {
    try {
      parseOpenMetrics('x')
      t.fail('did not throw')
    } catch (error) {
      t.type(error, ParseError)
    }
  })
})
