import t from 'tap'
import { ParseError } from '../../src/errors.js'
import { parseText, textParser } from '../../src/exposition/parse-text.js'
import { emptyHistogram, type Bucket, type Histogram, type LabelPair, type Metric, type MetricFamily, type MetricType } from '../../src/exposition/types.js'

// Expected results were checked against prometheus/common v0.69.0 expfmt.TextParser (legacy names).

type Labels = Record<string, string>

function pairs (labels: Labels = {}): LabelPair[] {
  return Object.entries(labels).map(([name, value]) => ({ name, value }))
}

function family (name: string, type: MetricType, metrics: Metric[], help?: string): MetricFamily {
  return help === undefined ? { name, type, metrics } : { name, help, type, metrics }
}

function sample (value: number, labels?: Labels, timestampMs?: number): Metric {
  const metric: Metric = { labels: pairs(labels), value }
  if (timestampMs !== undefined) metric.timestampMs = timestampMs
  return metric
}

function summary (labels: Labels, sampleCount: number, sampleSum: number, quantiles: Array<[number, number]> = []): Metric {
  return {
    labels: pairs(labels),
    summary: { sampleCount, sampleSum, quantiles: quantiles.map(([quantile, value]) => ({ quantile, value })) }
  }
}

interface HistogramFields {
  count?: number
  countFloat?: number
  sum?: number
  // [upperBound, cumulativeCount] or, for float histograms, [upperBound, 0, cumulativeCountFloat]
  buckets?: Array<[number, number] | [number, number, number]>
}

function histogram (labels: Labels, fields: HistogramFields = {}): Metric {
  const buckets = (fields.buckets ?? []).map(([upperBound, cumulativeCount, cumulativeCountFloat]): Bucket =>
    cumulativeCountFloat === undefined ? { upperBound, cumulativeCount } : { upperBound, cumulativeCount, cumulativeCountFloat })
  const h: Histogram = { ...emptyHistogram(), sampleCount: fields.count ?? 0, sampleSum: fields.sum ?? 0, buckets }
  if (fields.countFloat !== undefined) h.sampleCountFloat = fields.countFloat
  return { labels: pairs(labels), histogram: h }
}

function parseOrMessage (body: string): MetricFamily[] | string {
  try {
    return parseText(body)
  } catch (err) {
    return (err as Error).message
  }
}

// [what, body, line, message]
const REJECTED: Array<[string, string, number, string]> = [
  ['spec: no final newline', 'x 1', 1, 'unexpected end of input stream'],
  ['spec: CRLF', 'x 1\r\n', 1, 'expected float as value, got "1\\r"'],
  ['spec: name without value', 'blablabla\n', 1, 'expected float as value, got ""'],
  ['spec: value not a float', 'bad bad\n', 1, 'expected float as value, got "bad"'],
  ['spec: trailing blanks', '  x   1  \n', 1, 'expected integer as timestamp, got ""'],
  ['spec: duplicate label names', 'x{a="1",a="2"} 1\n', 1, 'duplicate label names for metric "x"'],
  ['spec: reserved __name__', 'x{__name__="y"} 1\n', 1, 'label name "__name__" is reserved'],
  ['spec: invalid escape in label value', 'x{a="\\q"} 1\n', 1, "invalid escape sequence '\\q'"],
  ['spec: unknown type', '# TYPE x foo\n', 1, 'unknown metric type "foo"'],
  ['spec: second TYPE', '# TYPE x gauge\n# TYPE x counter\n', 2, 'second TYPE line for metric name "x", or TYPE reported after samples'],
  ['spec: second HELP', '# HELP x a\n# HELP x b\n', 2, 'second HELP line for metric name "x"'],
  ['spec: second TYPE, no final newline', '# TYPE x gauge\n# TYPE x counter', 2, 'second TYPE line for metric name "x", or TYPE reported after samples'],
  ['spec: second HELP, no final newline', '# HELP x a\n# HELP x b', 2, 'second HELP line for metric name "x"'],
  ['spec: unknown type, no final newline', '# TYPE x foo', 1, 'unexpected end of input stream'],
  ['spec: hex float', 'x4 0x1p3\n', 1, 'expected float as value, got "0x1p3"'],
  ['spec: underscore float', 'x5 1_000\n', 1, 'expected float as value, got "1_000"'],
  ['spec: quoted UTF-8 name in legacy mode', '{"x.y"} 1\n', 1, 'invalid metric name "x.y"'],
  ['bare # at end of input', '#', 1, 'unexpected end of input stream'],
  ['comment keyword at end of input', '# HELP', 1, 'unexpected end of input stream'],
  ['generic comment at end of input', '# just a comment', 1, 'unexpected end of input stream'],
  ['HELP keyword then blanks at end of input', '# HELP ', 1, 'unexpected end of input stream'],
  ['HELP name at end of input', '# HELP x', 1, 'unexpected end of input stream'],
  ['HELP name then blank at end of input', '# HELP x ', 1, 'unexpected end of input stream'],
  ['HELP name followed by a non-blank', '# HELP x.y text\n', 1, 'invalid metric name in comment'],
  ['HELP name starting with a digit', '# HELP 9x text\n', 1, 'invalid metric name in comment'],
  ['HELP with an invalid quoted name', '# HELP "x.y" text\n', 1, 'invalid metric name "x.y"'],
  ['HELP with an empty quoted name', '# HELP "" text\n', 1, 'invalid metric name ""'],
  ['HELP text at end of input', '# HELP x text', 1, 'unexpected end of input stream'],
  ['HELP escapes at end of input', '# HELP x a\\nb', 1, 'unexpected end of input stream'],
  ['HELP backslash at end of input', '# HELP x a\\', 1, 'unexpected end of input stream'],
  ['HELP backslash before newline', '# HELP x a\\\n', 1, "invalid escape sequence '\\\n'"],
  ['HELP invalid escape', '# HELP x a\\tb\n', 1, "invalid escape sequence '\\t'"],
  ['HELP invalid escape of a 2-byte character', '# HELP x \\é\n', 1, "invalid escape sequence '\\Ã'"],
  ['HELP invalid escape of a 3-byte character', '# HELP x \\€\n', 1, "invalid escape sequence '\\â'"],
  ['HELP invalid escape of a 4-byte character', '# HELP x \\😀\n', 1, "invalid escape sequence '\\ð'"],
  ['second HELP through a summary suffix', '# TYPE s summary\n# HELP s doc\n# HELP s_count more\n', 3, 'second HELP line for metric name "s"'],
  ['TYPE at end of input', '# TYPE x counter', 1, 'unexpected end of input stream'],
  ['TYPE with backslash at end of input', '# TYPE x coun\\ter', 1, 'unexpected end of input stream'],
  ['TYPE with a trailing blank', '# TYPE x counter \n', 1, 'unknown metric type "counter "'],
  ['TYPE with a non-ASCII letter', '# TYPE x ßummary\n', 1, 'unknown metric type "ßummary"'],
  ['TYPE ligature is not upper-cased to ASCII', '# TYPE x hiﬅogram\n', 1, 'unknown metric type "hiﬅogram"'],
  ['TYPE after samples', 'x 1\n# TYPE x counter\n', 2, 'second TYPE line for metric name "x", or TYPE reported after samples'],
  ['TYPE through a histogram suffix', '# TYPE h histogram\n# TYPE h_bucket counter\n', 2, 'second TYPE line for metric name "h", or TYPE reported after samples'],
  ['name starting with a digit', '9x 1\n', 1, 'invalid metric name'],
  ['name starting with a dash', '-x 1\n', 1, 'invalid metric name'],
  ['name at end of input', 'x', 1, 'unexpected end of input stream'],
  ['name then blank at end of input', 'x ', 1, 'unexpected end of input stream'],
  ['name with an invalid quoted part', 'x"y.z" 1\n', 1, 'invalid metric name "xy.z"'],
  ['quoted name with a newline', '"x\ny" 1\n', 1, 'metric name "x" contains unescaped new-line'],
  ['quoted name with an invalid escape', '"x\\q" 1\n', 1, "invalid escape sequence '\\q'"],
  ['quoted name at end of input', '"x', 1, 'unexpected end of input stream'],
  ['quoted name closed at end of input', '"x"', 1, 'unexpected end of input stream'],
  ['empty quoted name', '"" 1\n', 1, 'invalid metric name'],
  ['quoted name with an escaped quote', '"x\\"y" 1\n', 1, 'invalid metric name "x\\"y"'],
  ['quoted name with an escaped backslash', '"x\\\\y" 1\n', 1, 'invalid metric name "x\\\\y"'],
  ['quoted name with an escaped newline', '"x\\ny" 1\n', 1, 'invalid metric name "x\\ny"'],
  ['quoted label name with an escaped quote', 'x{"a\\"b"="c"} 1\n', 1, 'invalid label name "a\\"b"'],
  ['label set at end of input', 'x{', 1, 'unexpected end of input stream'],
  ['label name at end of input', 'x{a', 1, 'unexpected end of input stream'],
  ['empty label name', 'x{,} 1\n', 1, 'invalid label name for metric "x"'],
  ['label name starting with a digit', 'x{1a="b"} 1\n', 1, 'invalid label name for metric "x"'],
  ['label name without =', 'x{a} 1\n', 1, "expected '=' after label name, found '}'"],
  ['label name followed by a quote', 'x{"a""b"} 1\n', 1, 'expected \'=\' after label name, found \'"\''],
  ['label name followed by an apostrophe', "x{a'b'} 1\n", 1, "expected '=' after label name, found '\\''"],
  ['label name followed by a control character', 'x{a\u0001="b"} 1\n', 1, "expected '=' after label name, found '\\x01'"],
  ['label name followed by a tab then junk', 'x{a\tb} 1\n', 1, "expected '=' after label name, found 'b'"],
  ['label name followed by a non-ASCII letter', 'x{aé="b"} 1\n', 1, "expected '=' after label name, found 'Ã'"],
  ['label name followed by a CR', 'x{a\r="b"} 1\n', 1, "expected '=' after label name, found '\\r'"],
  ['invalid quoted label name', 'x{"a.b"="c"} 1\n', 1, 'invalid label name "a.b"'],
  ['quoted label name with a newline', 'x{"a\n"="c"} 1\n', 1, 'label name "a" contains unescaped new-line'],
  ['quoted label name with an invalid escape', 'x{"a\\x"="c"} 1\n', 1, "invalid escape sequence '\\x'"],
  ['__name__ as a quoted label name', 'x{"__name__"="y"} 1\n', 1, 'label name "__name__" is reserved'],
  ['duplicate label names after others', 'x{a="1",b="2",a="3"} 1\n', 1, 'duplicate label names for metric "x"'],
  ['duplicate le label outside histograms', 'x{le="1",le="2"} 1\n', 1, 'duplicate label names for metric "x"'],
  ['label value without quotes', 'x{a=b} 1\n', 1, 'expected \'"\' at start of label value, found \'b\''],
  ['label value at end of input', 'x{a=', 1, 'unexpected end of input stream'],
  ['open label value at end of input', 'x{a="b', 1, 'unexpected end of input stream'],
  ['label value with a newline', 'x{a="b\nc"} 1\n', 1, 'label value "b" contains unescaped new-line'],
  ['label value with a newline after an escape', 'x{a="\\\\b\nc"} 1\n', 1, 'label value "\\\\b" contains unescaped new-line'],
  ['label value ending in a backslash at end of input', 'x{a="b\\', 1, 'unexpected end of input stream'],
  ['label value with an escaped quote at end of input', 'x{a="\\"', 1, 'unexpected end of input stream'],
  ['label value invalid escape of a 2-byte character', 'x{a="\\é"} 1\n', 1, "invalid escape sequence '\\Ã'"],
  ['label values not separated by a comma', 'x{a="b" c="d"} 1\n', 1, 'unexpected end of label value "b"'],
  ['label value followed by a quote', 'x{a="b""c"} 1\n', 1, 'unexpected end of label value "b"'],
  ['label set not closed at end of input', 'x{a="b"', 1, 'unexpected end of input stream'],
  ['label set closed at end of input', 'x{a="b"}', 1, 'unexpected end of input stream'],
  ['empty label set at end of input', 'x{}', 1, 'unexpected end of input stream'],
  ['quantile not a float', '# TYPE s summary\ns{quantile="x"} 1\n', 2, 'expected float as value for \'quantile\' label, got "x"'],
  ['quantile with an underscore', '# TYPE s summary\ns{quantile="0_5"} 1\n', 2, 'expected float as value for \'quantile\' label, got "0_5"'],
  ['le not a float', '# TYPE h histogram\nh_bucket{le="one"} 1\n', 2, 'expected float as value for \'le\' label, got "one"'],
  ['le empty', '# TYPE h gauge_histogram\nh_bucket{le=""} 1\n', 2, 'expected float as value for \'le\' label, got ""'],
  ['label set without a name', '{a="b"} 1\n', 1, 'invalid metric name'],
  ['empty label set without a name', '{} 1\n', 1, 'invalid metric name'],
  ['label set without a name after a TYPE line (Go panics)', '# TYPE x counter\n{a="b"} 1\n', 2, 'invalid metric name'],
  ['empty label set without a name after a HELP line (Go panics)', '# HELP x doc\n{} 1\n', 2, 'invalid metric name'],
  ['label name without = at the start of braces', '{,} 1\n', 1, 'invalid label name for metric ""'],
  ['duplicate labels before the name in braces', '{a="1",a="2"} 1\n', 1, 'duplicate label names for metric ""'],
  ['two names in braces', '{x,y} 1\n', 1, 'multiple metric names for metric "x"'],
  ['name in braces followed by junk', '{x y} 1\n', 1, "unexpected end of metric name 'y'"],
  ['name in braces followed by a dot', '{x.y} 1\n', 1, "unexpected end of metric name '.'"],
  ['invalid name after labels in braces', '{a="b","x.y"} 1\n', 1, 'invalid metric name "x.y"'],
  ['value at end of input', 'x 1', 1, 'unexpected end of input stream'],
  ['empty value', 'x{a="b"}\n', 1, 'expected float as value, got ""'],
  ['value with two dots', 'x 1.2.3\n', 1, 'expected float as value, got "1.2.3"'],
  ['value with an exponent and no digits', 'x 1e\n', 1, 'expected float as value, got "1e"'],
  ['value with a signed exponent and no digits', 'x 1e+\n', 1, 'expected float as value, got "1e+"'],
  ['value with junk after the exponent', 'x 1e3x\n', 1, 'expected float as value, got "1e3x"'],
  ['value that overflows', 'x 1e400\n', 1, 'expected float as value, got "1e400"'],
  ['negative value that overflows', 'x -1.8e308\n', 1, 'expected float as value, got "-1.8e308"'],
  ['value with a sign only', 'x -\n', 1, 'expected float as value, got "-"'],
  ['value with a dot only', 'x .\n', 1, 'expected float as value, got "."'],
  ['value +nan', 'x +nan\n', 1, 'expected float as value, got "+nan"'],
  ['value infin', 'x infin\n', 1, 'expected float as value, got "infin"'],
  ['value -infinit', 'x -infinit\n', 1, 'expected float as value, got "-infinit"'],
  ['value hex without p', 'x 0x10\n', 1, 'expected float as value, got "0x10"'],
  ['value binary', 'x 0b1\n', 1, 'expected float as value, got "0b1"'],
  ['value Infinity with a leading blank is a timestamp error', 'x 1  Infinity\n', 1, 'expected integer as timestamp, got "Infinity"'],
  ['exemplar', 'x_total 1 # {a="b"} 1\n', 1, 'expected integer as timestamp, got "#"'],
  ['negative histogram count', '# TYPE h histogram\nh_count -1\n', 2, 'negative count for histogram "h"'],
  ['negative fractional histogram count', '# TYPE h histogram\nh_count -0.5\n', 2, 'negative count for histogram "h"'],
  ['negative bucket population', '# TYPE h histogram\nh_bucket{le="1"} -2\n', 2, 'negative bucket population for histogram "h"'],
  ['negative bucket population in a gauge histogram', '# TYPE h gaugehistogram\nh_bucket{le="1"} -Inf\n', 2, 'negative bucket population for histogram "h"'],
  ['fractional timestamp', 'x 1 1.5\n', 1, 'expected integer as timestamp, got "1.5"'],
  ['timestamp with a sign only', 'x 1 -\n', 1, 'expected integer as timestamp, got "-"'],
  ['timestamp with a plus only', 'x 1 +\n', 1, 'expected integer as timestamp, got "+"'],
  ['timestamp with an exponent', 'x 1 1e3\n', 1, 'expected integer as timestamp, got "1e3"'],
  ['timestamp above int64', 'x 1 9223372036854775808\n', 1, 'expected integer as timestamp, got "9223372036854775808"'],
  ['timestamp below int64', 'x 1 -9223372036854775809\n', 1, 'expected integer as timestamp, got "-9223372036854775809"'],
  ['timestamp with 20 digits', 'x 1 10000000000000000000\n', 1, 'expected integer as timestamp, got "10000000000000000000"'],
  ['timestamp at end of input', 'x 1 2', 1, 'unexpected end of input stream'],
  ['timestamp then blank at end of input', 'x 1 2 ', 1, 'unexpected end of input stream'],
  ['spurious string after timestamp', 'x 1 2 extra\n', 1, 'spurious string after timestamp: " extra"'],
  ['trailing blank after timestamp', 'x 1 2 \n', 1, 'spurious string after timestamp: " "'],
  ['spurious string after timestamp drops backslashes', 'x 1 2\ta\\b\n', 1, 'spurious string after timestamp: "\\tab"'],
  ['CRLF after a timestamp', 'x 1 2\r\n', 1, 'expected integer as timestamp, got "2\\r"'],
  ['error on a later line', '# HELP x doc\n# TYPE x gauge\n\nx 1\n  \nx{a=} 2\n', 6, 'expected \'"\' at start of label value, found \'}\''],
  ['error after blank lines and comments', '\n\n# c\n#\nx 1\ny 2 3 4\n', 6, 'spurious string after timestamp: " 4"'],
]

t.test('rejections carry the line and message of the Go parser', async t => {
  for (const [what, body, line, message] of REJECTED) {
    t.throws(() => parseText(body), { name: 'ParseError', message: `text format parsing error in line ${line}: ${message}` }, what)
  }
})

t.test('a rejection is a ParseError answered with 400', async t => {
  let error: unknown
  try {
    parseText('x{a="1",a="2"} 1\n')
  } catch (err) {
    error = err
  }
  t.ok(error instanceof ParseError)
  t.match(error, { code: 'ERR_PARSE', statusCode: 400, expose: true })
})

// [what, body, expected families]
const ACCEPTED: Array<[string, string, MetricFamily[]]> = [
  ['spec: tab separator', 'x\t1\n', [family('x', 'untyped', [sample(1)])]],
  ['spec: leading blanks, blank lines, comments and a bare #', '\n  \n\t x 1\n\n# any comment\n#\n# \n#\tHELP\n', [family('x', 'untyped', [sample(1)])]],
  ['spec: empty label set', 'x{} 1\n', [family('x', 'untyped', [sample(1)])]],
  ['spec: trailing comma', 'x{a="b",} 1\n', [family('x', 'untyped', [sample(1, { a: 'b' })])]],
  ['spec: NaN, +Inf, -Inf, inf and 1e3', 'x{v="a"} NaN\nx{v="b"} +Inf\nx{v="c"} -Inf\nx{v="d"} inf\nx{v="e"} 1e3\n', [family('x', 'untyped', [
    sample(NaN, { v: 'a' }), sample(Infinity, { v: 'b' }), sample(-Infinity, { v: 'c' }), sample(Infinity, { v: 'd' }), sample(1000, { v: 'e' })
  ])]],
  ['empty body', '', []],
  ['blank input without a final newline', '\n  \t', []],
  ['blanks around labels and the value', 'x  { a = "b" , c="d" }  2\n', [family('x', 'untyped', [sample(2, { a: 'b', c: 'd' })])]],
  ['no blank between the label set and the value', 'x{a="b"}2\n', [family('x', 'untyped', [sample(2, { a: 'b' })])]],
  ['label order is kept', 'x{b="1",a="2",C="3"} 1\n', [family('x', 'untyped', [sample(1, { b: '1', a: '2', C: '3' })])]],
  ['label value escapes', 'x{a="\\\\ \\" \\n é 😀"} 1\n', [family('x', 'untyped', [sample(1, { a: '\\ " \n é 😀' })])]],
  ['label value with an escape then plain text', 'x{a="\\nb€"} 1\n', [family('x', 'untyped', [sample(1, { a: '\nb€' })])]],
  ['empty label value', 'x{a=""} 1\n', [family('x', 'untyped', [sample(1, { a: '' })])]],
  ['colons and digits in names', ':a:b1_ 1\n_x{_1="v"} 2\n', [family(':a:b1_', 'untyped', [sample(1)]), family('_x', 'untyped', [sample(2, { _1: 'v' })])]],
  ['quoted name parts', '"x" 1\nx"y" 2\n', [family('x', 'untyped', [sample(1)]), family('xy', 'untyped', [sample(2)])]],
  ['quoted label names', 'x{"a"="1","b" = "2",ab"c"="3"} 1\n', [family('x', 'untyped', [sample(1, { a: '1', b: '2', abc: '3' })])]],
  ['name inside braces', '{x} 1\n{"y",a="b"} 2\n{a="c",x} 3\n', [
    family('x', 'untyped', [sample(1), sample(3, { a: 'c' })]), family('y', 'untyped', [sample(2, { a: 'b' })])
  ]],
  ['samples of a name seen earlier append to its family', 'a 1\nb 2\na{x="y"} 3\n', [
    family('a', 'untyped', [sample(1), sample(3, { x: 'y' })]), family('b', 'untyped', [sample(2)])
  ]],
  ['duplicate series are kept', 'x 1\nx 2\n', [family('x', 'untyped', [sample(1), sample(2)])]],
  ['families without samples are dropped', '# HELP a doc\n# TYPE b counter\n# HELP c doc\n# TYPE c gauge\nd 1\n', [family('d', 'untyped', [sample(1)])]],
  ['order of first appearance, HELP lines included', '# HELP b doc\na 1\nb 2\n', [family('b', 'untyped', [sample(2)], 'doc'), family('a', 'untyped', [sample(1)])]],
  // HELP and TYPE
  ['HELP and TYPE', '# HELP x A counter.\n# TYPE x counter\nx 1\n', [family('x', 'counter', [sample(1)], 'A counter.')]],
  ['TYPE before HELP, HELP after samples', '# TYPE x gauge\nx 1\n# HELP x Late.\n', [family('x', 'gauge', [sample(1)], 'Late.')]],
  ['HELP escapes and trailing blanks are kept', '# HELP x a\\\\b\\nc\\"d \n x 1\n', [family('x', 'untyped', [sample(1)], 'a\\b\nc"d ')]],
  ['HELP without text gives no help', '# HELP x\nx 1\n', [family('x', 'untyped', [sample(1)])]],
  ['HELP with blanks but no text gives no help', '# HELP x \t\nx 1\n', [family('x', 'untyped', [sample(1)])]],
  ['HELP and TYPE keywords are case-sensitive', '# help x doc\n# type x counter\nx 1\n', [family('x', 'untyped', [sample(1)])]],
  ['HELP right after #', '#HELP x doc\nx 1\n', [family('x', 'untyped', [sample(1)], 'doc')]],
  ['HELP and TYPE without a name', '# HELP\n# TYPE \nx 1\n', [family('x', 'untyped', [sample(1)])]],
  ['TYPE with a quoted name', '# TYPE "x" gauge\nx 1\n', [family('x', 'gauge', [sample(1)])]],
  ['TYPE is case-insensitive', '# TYPE a COUNTER\n# TYPE b Gauge\n# TYPE c UnTyped\na 1\nb 2\nc 3\n', [
    family('a', 'counter', [sample(1)]), family('b', 'gauge', [sample(2)]), family('c', 'untyped', [sample(3)])
  ]],
  ['TYPE upper-cases dotless i and long s as Go does', '# TYPE h hıstogram\n# TYPE s ſummary\nh_count 1\ns_count 2\n', [
    family('h', 'histogram', [histogram({}, { count: 1 })]), family('s', 'summary', [summary({}, 2, 0)])
  ]],
  ['TYPE drops backslashes', '# TYPE x gau\\ge\nx 1\n', [family('x', 'gauge', [sample(1)])]],
  ['gauge_histogram and gaugehistogram', '# TYPE a gauge_histogram\n# TYPE b GaugeHistogram\na_bucket{le="1"} 1\nb_count 2\n', [
    family('a', 'gaugehistogram', [histogram({}, { buckets: [[1, 1]] })]), family('b', 'gaugehistogram', [histogram({}, { count: 2 })])
  ]],
  // values
  ['float syntax of Go ParseFloat', [
    'x{v="a"} .5', 'x{v="b"} 5.', 'x{v="c"} +5', 'x{v="d"} 1E-3', 'x{v="e"} 1e+3', 'x{v="f"} 00012', 'x{v="g"} Infinity',
    'x{v="h"} -infinity', 'x{v="i"} +INF', 'x{v="j"} nAn', 'x{v="k"} 1.7976931348623157e308', 'x{v="l"} 1e-400', 'x{v="m"} 4.9e-324',
    'x{v="n"} 0.1', 'x{v="o"} 123456789012345.6', 'x{v="p"} 1234567890123456789', 'x{v="q"} 0.00000000000000000000001', 'x{v="r"} -1.5',
    'x{v="s"} 3.0', 'x{v="t"} 1.795384319648098e+09', 'x{v="u"} 9007199254740993'
  ].join('\n') + '\n', [family('x', 'untyped', [
    sample(0.5, { v: 'a' }), sample(5, { v: 'b' }), sample(5, { v: 'c' }), sample(0.001, { v: 'd' }), sample(1000, { v: 'e' }), sample(12, { v: 'f' }),
    sample(Infinity, { v: 'g' }), sample(-Infinity, { v: 'h' }), sample(Infinity, { v: 'i' }), sample(NaN, { v: 'j' }),
    sample(1.7976931348623157e308, { v: 'k' }), sample(0, { v: 'l' }), sample(5e-324, { v: 'm' }), sample(0.1, { v: 'n' }),
    sample(123456789012345.6, { v: 'o' }), sample(1.2345678901234568e18, { v: 'p' }), sample(1e-23, { v: 'q' }), sample(-1.5, { v: 'r' }),
    sample(3, { v: 's' }), sample(1795384319.648098, { v: 't' }), sample(9007199254740992, { v: 'u' })
  ])]],
  // timestamps
  ['timestamps', 'x{t="a"} 1 1700000000000\nx{t="b"} 1 -5\nx{t="c"} 1 +7\nx{t="d"} 1 0009223372036854775807\nx{t="e"} 1 -9223372036854775808\nx{t="f"} 1 000\nx{t="g"} 2\t 3\n', [
    family('x', 'untyped', [
      sample(1, { t: 'a' }, 1700000000000), sample(1, { t: 'b' }, -5), sample(1, { t: 'c' }, 7), sample(1, { t: 'd' }, 2 ** 63),
      sample(1, { t: 'e' }, -9223372036854775808), sample(1, { t: 'f' }, 0), sample(2, { t: 'g' }, 3)
    ])
  ]],
  // summaries
  ['summary grouped by label set, quantile dropped from labels', [
    '# TYPE s summary',
    's{a="1",quantile="0.5"} 10',
    's{quantile="0.9",a="1"} 20',
    's_sum{a="1"} 30',
    's_count{a="1"} 4',
    's{a="2",quantile="0.5"} 1',
    's{quantile="0.5"} 5'
  ].join('\n') + '\n', [family('s', 'summary', [
    summary({ a: '1' }, 4, 30, [[0.5, 10], [0.9, 20]]), summary({ a: '2' }, 0, 0, [[0.5, 1]]), summary({}, 0, 0, [[0.5, 5]])
  ])]],
  ['summary _count before _sum, label order ignored for grouping', '# TYPE s summary\ns_count{b="2",a="1"} 3\ns_sum{a="1",b="2"} 1.5\ns{a="1",b="2",quantile="1"} 7\n', [
    family('s', 'summary', [summary({ b: '2', a: '1' }, 3, 1.5, [[1, 7]])])
  ]],
  ['summary samples without a quantile or with quantile NaN add no quantile', '# TYPE s summary\ns 1\ns{quantile="NaN"} 2\n', [family('s', 'summary', [summary({}, 0, 0)])]],
  ['summary count converted as Go uint64()', [
    '# TYPE s summary', 's_count{v="a"} 3.7', 's_count{v="b"} -0.5', 's_count{v="c"} -1', 's_count{v="d"} NaN', 's_count{v="e"} 1e20',
    's_count{v="f"} -Inf', 's_count{v="g"} 9223372036854775808'
  ].join('\n') + '\n', [family('s', 'summary', [
    summary({ v: 'a' }, 3, 0), summary({ v: 'b' }, 0, 0), summary({ v: 'c' }, 2 ** 64, 0), summary({ v: 'd' }, 9223372036854775808, 0),
    summary({ v: 'e' }, 9223372036854775808, 0), summary({ v: 'f' }, 9223372036854775808, 0), summary({ v: 'g' }, 9223372036854775808, 0)
  ])]],
  ['le is an ordinary label of a summary, quantile of a histogram', '# TYPE s summary\n# TYPE h histogram\ns_sum{le="1"} 1\nh_sum{quantile="1"} 2\n', [
    family('s', 'summary', [summary({ le: '1' }, 0, 1)]), family('h', 'histogram', [histogram({ quantile: '1' }, { sum: 2 })])
  ]],
  ['a second quantile label overrides the first', '# TYPE s summary\ns{quantile="0.1",quantile="0.2"} 1\n', [family('s', 'summary', [summary({}, 0, 0, [[0.2, 1]])])]],
  // histograms
  ['histogram grouped by label set, le dropped from labels', [
    '# HELP h Dur.',
    '# TYPE h histogram',
    'h_bucket{p="/a",le="0.5"} 1',
    'h_bucket{le="+Inf",p="/a"} 2',
    'h_sum{p="/a"} 3.5',
    'h_count{p="/a"} 2',
    'h_bucket{p="/b",le="1"} 0'
  ].join('\n') + '\n', [family('h', 'histogram', [
    histogram({ p: '/a' }, { count: 2, sum: 3.5, buckets: [[0.5, 1], [Infinity, 2]] }), histogram({ p: '/b' }, { buckets: [[1, 0]] })
  ], 'Dur.')]],
  ['histogram samples without le or with le NaN add no bucket', '# TYPE h histogram\nh 5\nh_bucket 6\nh_bucket{le="NaN"} 7\n', [family('h', 'histogram', [histogram({})])]],
  ['a float bucket makes the whole histogram float', '# TYPE h histogram\nh_bucket{le="1"} 0.5\nh_bucket{le="2"} 1\nh_bucket{le="3"} 0\nh_count 2\n', [
    family('h', 'histogram', [histogram({}, { countFloat: 2, buckets: [[1, 0, 0.5], [2, 0, 1], [3, 0, 0]] })])
  ]],
  ['a float count makes the whole histogram float', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1.5\n', [
    family('h', 'histogram', [histogram({}, { countFloat: 1.5, buckets: [[1, 0, 1]] })])
  ]],
  ['a float histogram without a count', '# TYPE h histogram\nh_bucket{le="1"} 2.5\n', [family('h', 'histogram', [histogram({}, { countFloat: 0, buckets: [[1, 0, 2.5]] })])]],
  ['an integer count after a float count is kept beside it', '# TYPE h histogram\nh_count 1.5\nh_count 2\n', [family('h', 'histogram', [histogram({}, { count: 2, countFloat: 1.5 })])]],
  ['counts that are not uint64 values are float', '# TYPE h histogram\nh_bucket{le="1"} 1e19\nh_bucket{le="2"} 18446744073709551616\nh_bucket{le="3"} NaN\nh_bucket{le="4"} +Inf\nh_bucket{le="5"} -0\n', [
    family('h', 'histogram', [histogram({}, { countFloat: 0, buckets: [[1, 0, 1e19], [2, 0, 18446744073709551616], [3, 0, NaN], [4, 0, Infinity], [5, 0, 0]] })])
  ]],
  ['gauge histogram', '# TYPE g gaugehistogram\ng_bucket{le="1"} 3\ng_sum 2\ng_count 3\n', [family('g', 'gaugehistogram', [histogram({}, { count: 3, sum: 2, buckets: [[1, 3]] })])]],
  // suffix resolution
  ['suffixes attach only to summaries and histograms of the base name', [
    '# TYPE c counter', '# TYPE s summary', '# TYPE h histogram',
    'c_count 1', 'c_sum 2', 'c_bucket 3', 's_bucket 4', 'x_count 5', '_count 6', '_sum 7', '_bucket 8', 'h_bucket{le="1"} 9', 's_sum 10'
  ].join('\n') + '\n', [
    family('s', 'summary', [summary({}, 0, 10)]), family('h', 'histogram', [histogram({}, { buckets: [[1, 9]] })]),
    family('c_count', 'untyped', [sample(1)]), family('c_sum', 'untyped', [sample(2)]), family('c_bucket', 'untyped', [sample(3)]),
    family('s_bucket', 'untyped', [sample(4)]), family('x_count', 'untyped', [sample(5)]), family('_count', 'untyped', [sample(6)]),
    family('_sum', 'untyped', [sample(7)]), family('_bucket', 'untyped', [sample(8)])
  ]],
  ['a suffixed family seen before the TYPE line keeps its samples', '# HELP s_count doc\n# TYPE s summary\ns_count 1\ns_sum 2\n', [
    family('s_count', 'untyped', [sample(1)], 'doc'), family('s', 'summary', [summary({}, 0, 2)])
  ]],
  ['HELP through a suffix documents the base family', '# TYPE s summary\n# HELP s_sum Doc.\ns_sum 1\n', [family('s', 'summary', [summary({}, 0, 1)], 'Doc.')]],
  ['summary name inside braces', '# TYPE s summary\n{s,quantile="0.5"} 1\n{"s_sum"} 2\n', [family('s', 'summary', [summary({}, 0, 2, [[0.5, 1]])])]],
  // label sets whose hashes collide are still told apart
  ['colliding label sets with different values', '# TYPE s summary\ns_sum{a="v129599"} 1\ns_sum{a="v732382"} 2\ns_count{a="v732382"} 5\n', [
    family('s', 'summary', [summary({ a: 'v129599' }, 0, 1), summary({ a: 'v732382' }, 5, 2)])
  ]],
  ['colliding label sets with different names', '# TYPE s summary\ns_sum{a="v20738"} 1\ns_sum{b="w23100"} 2\n', [
    family('s', 'summary', [summary({ a: 'v20738' }, 0, 1), summary({ b: 'w23100' }, 0, 2)])
  ]],
  ['colliding label sets of different sizes', '# TYPE h histogram\nh_sum{a="v60068"} 1\nh_sum{b="w396009",c="0"} 2\n', [
    family('h', 'histogram', [histogram({ a: 'v60068' }, { sum: 1 }), histogram({ b: 'w396009', c: '0' }, { sum: 2 })])
  ]],
  // state that Go carries from one line to the next
  ['a label set without a name attaches to the previous metric', 'x{c="d"} 1\n{a="b"} 2\n', [
    family('x', 'untyped', [sample(2, { c: 'd', a: 'b' }), sample(2, { c: 'd', a: 'b' })])
  ]],
  ['summary labels of an earlier line are reused inside braces', '# TYPE s summary\ns{a="1"} 1\n# TYPE c counter\nc 1\n{s,a="2"} 2\n{s,b="3"} 3\n', [
    family('s', 'summary', [summary({ a: '1' }, 0, 0), summary({ a: '2' }, 0, 0), summary({ b: '3' }, 0, 0)]), family('c', 'counter', [sample(1)])
  ]],
  // Go keeps the value of y (untyped) and of x (counter) apart in the one shared metric; the model
  // has a single value, so y shows 2 here where Go shows 1.
  ['a label set without a name after a HELP line goes to that family, typed as Go reads an unset type',
    'y 1\n# HELP x doc\n{a="b"} 2\n', [family('y', 'untyped', [sample(2, { a: 'b' })]), family('x', 'counter', [sample(2, { a: 'b' })], 'doc')]],
  ['summary name first seen inside braces (Go panics)', '# TYPE s summary\n# TYPE c counter\n{s,a="b"} 1\n', [family('s', 'summary', [summary({ a: 'b' }, 0, 0)])]]
]

t.test('accepted bodies give the families of the Go parser', async t => {
  for (const [what, body, expected] of ACCEPTED) t.strictSame(parseOrMessage(body), expected, what)
})

t.test('bodies as the clients send them', async t => {
  t.test('prom-client 15.1.3 (blank lines between families, JS number formatting)', async t => {
    const body = '# HELP node_items_total Items processed.\n# TYPE node_items_total counter\nnode_items_total{kind="x"} 3\n\n' +
      '# HELP node_last_success_seconds Last success.\n# TYPE node_last_success_seconds gauge\nnode_last_success_seconds 1234.5\n\n' +
      '# HELP node_dur_seconds Dur.\n# TYPE node_dur_seconds histogram\nnode_dur_seconds_bucket{le="1"} 0\nnode_dur_seconds_bucket{le="5"} 1\n' +
      'node_dur_seconds_bucket{le="+Inf"} 1\nnode_dur_seconds_sum 3.2\nnode_dur_seconds_count 1\n'
    t.strictSame(parseText(body), [
      family('node_items_total', 'counter', [sample(3, { kind: 'x' })], 'Items processed.'),
      family('node_last_success_seconds', 'gauge', [sample(1234.5)], 'Last success.'),
      family('node_dur_seconds', 'histogram', [histogram({}, { count: 1, sum: 3.2, buckets: [[1, 0], [5, 1], [Infinity, 1]] })], 'Dur.')
    ])
  })

  t.test('prom-client with an empty registry', async t => {
    t.strictSame(parseText('\n'), [])
  })

  t.test('client_python 0.25 (_created gauges, 3.0 values, _count before _sum)', async t => {
    const body = [
      '# HELP py_items_total Items processed.',
      '# TYPE py_items_total counter',
      'py_items_total{kind="x"} 3.0',
      '# HELP py_items_created Items processed.',
      '# TYPE py_items_created gauge',
      'py_items_created{kind="x"} 1.795384319648098e+09',
      '# HELP py_last_success_seconds Last success.',
      '# TYPE py_last_success_seconds gauge',
      'py_last_success_seconds 1234.5',
      '# HELP py_dur_seconds Dur.',
      '# TYPE py_dur_seconds histogram',
      'py_dur_seconds_bucket{le="1.0"} 0.0',
      'py_dur_seconds_bucket{le="5.0"} 1.0',
      'py_dur_seconds_bucket{le="+Inf"} 1.0',
      'py_dur_seconds_count 1.0',
      'py_dur_seconds_sum 3.2',
      '# HELP py_dur_seconds_created Dur.',
      '# TYPE py_dur_seconds_created gauge',
      'py_dur_seconds_created 1.7953843196481283e+09'
    ].join('\n') + '\n'
    t.strictSame(parseText(body), [
      family('py_items_total', 'counter', [sample(3, { kind: 'x' })], 'Items processed.'),
      family('py_items_created', 'gauge', [sample(1795384319.648098, { kind: 'x' })], 'Items processed.'),
      family('py_last_success_seconds', 'gauge', [sample(1234.5)], 'Last success.'),
      family('py_dur_seconds', 'histogram', [histogram({}, { count: 1, sum: 3.2, buckets: [[1, 0], [5, 1], [Infinity, 1]] })], 'Dur.'),
      family('py_dur_seconds_created', 'gauge', [sample(1795384319.6481283)], 'Dur.')
    ])
  })

  t.test('OpenMetrics bodies are read as text 0.0.4', async t => {
    const body = '# TYPE foo counter\n# UNIT foo seconds\nfoo_total 1\nfoo_created 2\n# EOF\n'
    t.strictSame(parseText(body), [family('foo_total', 'untyped', [sample(1)]), family('foo_created', 'untyped', [sample(2)])])
  })
})

t.test('a label set without a name re-uses the metric object of the line before, as Go does', async t => {
  const [x] = parseText('x 1\n{a="b"} 2\n')
  t.equal(x?.metrics.length, 2)
  t.equal(x?.metrics[0], x?.metrics[1], 'the same object twice')
})

t.test('negative zero is kept in values', async t => {
  const [x] = parseText('x -0\ny -0 -0\n')
  t.ok(Object.is(x?.metrics[0]?.value, -0))
})

t.test('timestamps are never negative zero', async t => {
  const [, y] = parseText('x 1\ny 1 -0\n')
  t.ok(Object.is(y?.metrics[0]?.timestampMs, 0))
})

t.test('a large body parses completely (80,000 lines)', async t => {
  // No clock here: a parser that is quadratic in the body takes minutes on this body and fails by
  // the file's timeout, while this test only checks what it parsed.
  const lines: string[] = []
  for (let f = 0; f < 10_000; f++) {
    lines.push(`# HELP fam_${f} Help of family ${f}.`, `# TYPE fam_${f} histogram`)
    for (const le of ['0.1', '1', '+Inf']) lines.push(`fam_${f}_bucket{path="/p${f}",le="${le}"} ${f}`)
    lines.push(`fam_${f}_sum{path="/p${f}"} 1.5`, `fam_${f}_count{path="/p${f}"} ${f}`, '')
  }
  const families = parseText(lines.join('\n'))
  t.equal(families.length, 10_000)
  let wrong = 0
  for (let f = 0; f < families.length; f++) {
    const family = families[f]
    const metric = family?.metrics[0]
    const ok = family?.name === `fam_${f}` && family.help === `Help of family ${f}.` && family.type === 'histogram' &&
      family.metrics.length === 1 && metric?.labels.length === 1 && metric.labels[0]?.value === `/p${f}` &&
      metric.histogram?.sampleCount === f && metric.histogram.sampleSum === 1.5 &&
      metric.histogram.buckets.map(bucket => bucket.cumulativeCount).join() === `${f},${f},${f}`
    if (!ok) wrong++
  }
  t.equal(wrong, 0, 'every family as written')
  t.strictSame(families[9_999]?.metrics[0]?.histogram?.buckets.map(bucket => bucket.cumulativeCount), [9_999, 9_999, 9_999])
})

t.test('UTF-8 validation reads quoted names (prometheus/common TestTextParse, UTF-8 cases)', async t => {
  const text = '# HELP "my.metric" The help.\n# TYPE "my.metric" gauge\n{"my.metric","a.b"="c",d="e"} 1\n{"my.metric","a.b"="f"} 2\n"other.metric"{"é"="x"} 3\nplain 4\n'
  t.same(parseText(text, undefined, 'utf8'), [
    { name: 'my.metric', help: 'The help.', type: 'gauge', metrics: [{ labels: [{ name: 'a.b', value: 'c' }, { name: 'd', value: 'e' }], value: 1 }, { labels: [{ name: 'a.b', value: 'f' }], value: 2 }] },
    { name: 'other.metric', type: 'untyped', metrics: [{ labels: [{ name: 'é', value: 'x' }], value: 3 }] },
    { name: 'plain', type: 'untyped', metrics: [{ labels: [], value: 4 }] }
  ])
  t.throws(() => parseText(text), { message: 'text format parsing error in line 1: invalid metric name "my.metric"' }, 'legacy by default')
  t.throws(() => parseText('"" 1\n', undefined, 'utf8'), { message: /invalid metric name/ }, 'an empty name is still invalid')
  t.throws(() => parseText('x{"\ud800"="v"} 1\n', undefined, 'utf8'), { message: /invalid label name/ }, 'a lone surrogate is not UTF-8')
  t.same(textParser('{"a.b"} 1\n', undefined, 'utf8').parseSlice(Infinity), true)
})
