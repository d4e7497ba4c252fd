import t from 'tap'
import {
  PROTOBUF_CONTENT_TYPE,
  decodeDelimited,
  encodeDelimited,
  encodeDelimitedSliced,
  isDelimitedProtobuf
} from '../../src/exposition/protobuf.js'
import { InconsistentPushError, ParseError } from '../../src/errors.js'
import type { Histogram, Metric, MetricFamily } from '../../src/exposition/types.js'
import { emptyHistogram } from '../../src/exposition/types.js'

// A tiny, independent protobuf wire builder, so the vectors below follow metrics.proto field
// numbers rather than the codec under test.
type Bytes = number[]

function varint (value: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(value))
  const out: Bytes = []
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return out
}
const zigzag = (value: number): bigint => value >= 0 ? BigInt(value) * 2n : BigInt(-value) * 2n - 1n
const key = (field: number, wire: number): Bytes => varint(field * 8 + wire)
const vint = (field: number, value: number | bigint): Bytes => [...key(field, 0), ...varint(value)]
const sint = (field: number, value: number): Bytes => vint(field, zigzag(value))
function f64 (field: number, value: number): Bytes {
  const b = Buffer.alloc(8)
  b.writeDoubleLE(value)
  return [...key(field, 1), ...b]
}
const f32 = (field: number): Bytes => [...key(field, 5), 1, 2, 3, 4]
const lenField = (field: number, content: Bytes): Bytes => [...key(field, 2), ...varint(content.length), ...content]
const str = (field: number, s: string): Bytes => lenField(field, [...Buffer.from(s)])
const msg = (field: number, ...parts: Bytes[]): Bytes => lenField(field, parts.flat())
const group = (field: number, ...parts: Bytes[]): Bytes => [...key(field, 3), ...parts.flat(), ...key(field, 4)]
function packedDoubles (field: number, values: number[]): Bytes {
  const b = Buffer.alloc(values.length * 8)
  values.forEach((v, i) => b.writeDoubleLE(v, i * 8))
  return lenField(field, [...b])
}
const packedSints = (field: number, values: number[]): Bytes => lenField(field, values.flatMap(v => varint(zigzag(v))))
/** A delimited body: each family is a list of fields. */
function delimited (...families: Bytes[][]): Buffer {
  return Buffer.from(families.flatMap(fields => {
    const body = fields.flat()
    return [...varint(body.length), ...body]
  }))
}
// Unknown fields of every wire type, including a nested group; a reader must step over them.
const UNKNOWN: Bytes = [
  ...vint(100, 5),
  ...f64(101, 1),
  ...str(102, 'x'),
  ...f32(103),
  ...group(104, vint(1, 1), group(2, f32(3)), str(4, 'y'))
]

function histogram (fields: Partial<Histogram> = {}): Histogram {
  return { ...emptyHistogram(), ...fields }
}

t.test('PROTOBUF_CONTENT_TYPE', async t => {
  t.equal(PROTOBUF_CONTENT_TYPE, 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited')
  t.equal(isDelimitedProtobuf(PROTOBUF_CONTENT_TYPE), true)
})

t.test('isDelimitedProtobuf', async t => {
  const MT = 'application/vnd.google.protobuf'
  const P = 'proto=io.prometheus.client.MetricFamily'
  const E = 'encoding=delimited'
  const cases: Array<[string | undefined, boolean, string]> = [
    [undefined, false, 'no header'],
    ['', false, 'empty header'],
    [MT, false, 'no parameters'],
    ['text/plain; version=0.0.4', false, 'text format'],
    ['application/x-www-form-urlencoded', false, "curl's default"],
    [`${MT}; ${P}`, false, 'encoding missing'],
    [`${MT}; ${E}`, false, 'proto missing'],
    [`${MT}; ${P}; encoding=text`, false, 'text encoding'],
    [`${MT}; ${P}; encoding=compact-text`, false, 'compact-text encoding'],
    [`${MT}x; ${P}; ${E}`, false, 'longer media type'],
    [`application/vnd.google.protobug; ${P}; ${E}`, false, 'misspelt media type'],
    [`${MT};${E};${P}`, true, 'any order, no spaces'],
    ['APPLICATION/Vnd.Google.Protobuf; PROTO=io.prometheus.client.MetricFamily; Encoding=delimited', true, 'type and names are case-insensitive'],
    [`${MT}; ${P}; encoding=Delimited`, false, 'values are case-sensitive (encoding)'],
    [`${MT}; proto=io.prometheus.client.metricfamily; ${E}`, false, 'values are case-sensitive (proto)'],
    [`${MT}; proto="io.prometheus.client.MetricFamily"; encoding="delimited"`, true, 'quoted values'],
    [`${MT}; ${P}; encoding="delim\\ited"`, false, 'a backslash before a non-special stays literal'],
    [`${MT}; ${P}; encoding="delimited\\"`, false, 'a trailing backslash is literal and the quote unterminated'],
    [`${MT}; ${P}; encoding="\\"delimited"`, false, 'an escaped quote is part of the value'],
    [`${MT}; ${P}; encoding="delimited`, false, 'unterminated quote'],
    [`${MT}; ${P}; encoding="deli\rmited"`, false, 'CR in a quoted value'],
    [`${MT}; ${P}; encoding="deli\nmited"`, false, 'LF in a quoted value'],
    [`${MT}; ${P}; ${E}; escaping=underscores`, true, 'extra parameters are fine'],
    [`${MT}; charset="a\\;b"; ${P}; ${E}`, true, 'an escaped tspecial in another parameter'],
    [`${MT}; empty=""; ${P}; ${E}`, true, 'an empty quoted value is a value'],
    [`${MT}; ${P}; ${E};`, true, 'a trailing semicolon is ignored'],
    [`${MT}; ${P}; ${E}; \t`, true, 'a trailing semicolon and white space are ignored'],
    [`${MT}; ${P}; ${E}; ;`, false, 'two trailing semicolons are an error'],
    [`${MT}; ${P}; ${E};x`, false, 'a parameter without "=" is an error'],
    [`${MT}; ${P}; ${E}; x=`, false, 'a parameter without a value is an error'],
    [`${MT}; ${P}; ${E}; =x`, false, 'a parameter without a name is an error'],
    [`${MT}; ${P}; ${E} x`, false, 'garbage after a value is an error'],
    [`${MT}; ${P}; ${E}; x=@`, false, 'a value that is not a token is an error'],
    [`  ${MT}  ;  proto = io.prometheus.client.MetricFamily ;encoding=  delimited  `, true, 'white space around everything'],
    [`\u00a0${MT}\u0085; ${P};\u3000${E}`, true, 'Unicode white space is trimmed like Go does'],
    [`\u2000\u200a\u2028\u2029\u202f\u205f\u1680${MT}; ${P}; ${E}`, true, 'more Unicode white space'],
    [`\ufeff${MT}; ${P}; ${E}`, false, 'a BOM is not white space in Go'],
    [`${MT}\u2001; ${P}; ${E}`, true, 'trailing Unicode white space'],
    [`${MT}; ${P}; ${E};\u2009`, true, 'Unicode white space after a trailing semicolon'],
    [`${MT}; ${P}; ${E}; \u2009;`, false, 'two trailing semicolons with white space between'],
    [`${MT}; ${P}; ${E}; \u00a0;\u00a0x`, false, 'text after a trailing semicolon'],
    [`${MT}; ${P}; ${P}; ${E}`, true, 'a repeated parameter with the same value'],
    [`${MT}; ${P}; proto=other; ${E}`, false, 'a repeated parameter with another value'],
    [`appl\u0130cation/vnd.google.protobuf; ${P}; ${E}`, true, 'U+0130 lower-cases to "i" in Go'],
    [`applİcation/vnd.google.protobu\u212a; ${P}; ${E}`, false, 'the Kelvin sign is not an f'],
    [`${MT}; proto*=utf-8''io.prometheus.client.MetricFamily; ${E}`, true, 'RFC 2231 encoded value'],
    [`${MT}; proto*=UTF-8'en'io%2Eprometheus%2eclient.MetricFamily; ${E}`, true, 'RFC 2231 percent escapes and language'],
    [`${MT}; proto*=us-ascii''io.prometheus.client.MetricFamily; ${E}`, true, 'RFC 2231 us-ascii'],
    [`${MT}; proto*=latin1''io.prometheus.client.MetricFamily; ${E}`, false, 'RFC 2231 unsupported charset'],
    [`${MT}; proto*=io.prometheus.client.MetricFamily; ${E}`, false, 'RFC 2231 value without charset quotes'],
    [`${MT}; proto*=utf-8'io.prometheus.client.MetricFamily; ${E}`, false, 'RFC 2231 value with one quote'],
    [`${MT}; proto*=utf-8''io%2prometheus.client.MetricFamily; ${E}`, false, 'RFC 2231 bad percent escape'],
    [`${MT}; proto*=utf-8''io.prometheus.client.MetricFamily%; ${E}`, false, 'RFC 2231 cut-off percent escape'],
    [`${MT}; ${P}; proto*=utf-8''other; ${E}`, false, 'an RFC 2231 value overrides the plain one'],
    [`${MT}; ${P}; proto*=bad; ${E}`, true, 'an undecodable RFC 2231 value leaves the plain one'],
    [`${MT}; proto*0=io.prometheus.; proto*1=client.MetricFamily; ${E}`, true, 'RFC 2231 continuations'],
    [`${MT}; proto*1=client.MetricFamily; proto*0=io.prometheus.; ${E}`, true, 'RFC 2231 continuations in any order'],
    [`${MT}; proto*0*=utf-8''io.prometheus.; proto*1*=client%2EMetricFamily; ${E}`, true, 'RFC 2231 encoded continuations'],
    [`${MT}; proto*0*=bad; proto*1=io.prometheus.client.MetricFamily; ${E}`, true, 'an undecodable first part is dropped'],
    [`${MT}; proto*0=io.prometheus.client.; proto*1*=%ZZ; proto*2=MetricFamily; ${E}`, true, 'a bad later part is dropped'],
    [`${MT}; ${P}; proto*1=x; ${E}`, true, 'continuations without part 0 are ignored'],
    [`${MT}; ${P}; ${E}; a*0=1; a*0=2`, false, 'a repeated continuation part with another value'],
    [`${MT}; proto*0=io.; Proto*1=prometheus.client.MetricFamily; ${E}`, true, 'continuation names are case-insensitive']
  ]
  for (const [header, expected, why] of cases) {
    // Escaped, because U+2028 and friends would break the TAP output lines.
    const shown = JSON.stringify(header)?.replace(/[^\x20-\x7e]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    t.equal(isDelimitedProtobuf(header), expected, `${why}: ${shown}`)
  }
})

// spec 10.1: what client_golang sends for go_dur_seconds, go_items_total and go_last_success_seconds.
// Only "Dur." is known of the help strings; the other two are chosen so the body is 183 bytes,
// the Content-Length of the captured request.
const GO_CLIENT_PUSH = delimited(
  [
    str(1, 'go_dur_seconds'), str(2, 'Dur.'), vint(3, 4),
    msg(4, msg(7,
      vint(1, 1), f64(2, 3.2),
      msg(3, vint(1, 0), f64(2, 1)),
      msg(3, vint(1, 1), f64(2, 5))
    ))
  ],
  [
    str(1, 'go_items_total'), str(2, 'Items processed.'), vint(3, 0),
    msg(4, msg(1, str(1, 'kind'), str(2, 'x')), msg(3, f64(1, 3)))
  ],
  [
    str(1, 'go_last_success_seconds'), str(2, 'Last success.'), vint(3, 1),
    msg(4, msg(2, f64(1, 1234.5)))
  ]
)
const GO_CLIENT_FAMILIES: MetricFamily[] = [
  {
    name: 'go_dur_seconds',
    help: 'Dur.',
    type: 'histogram',
    metrics: [{
      labels: [],
      histogram: histogram({
        sampleCount: 1,
        sampleSum: 3.2,
        buckets: [{ cumulativeCount: 0, upperBound: 1 }, { cumulativeCount: 1, upperBound: 5 }]
      })
    }]
  },
  {
    name: 'go_items_total',
    help: 'Items processed.',
    type: 'counter',
    metrics: [{ labels: [{ name: 'kind', value: 'x' }], value: 3 }]
  },
  {
    name: 'go_last_success_seconds',
    help: 'Last success.',
    type: 'gauge',
    metrics: [{ labels: [], value: 1234.5 }]
  }
]

t.test('decodeDelimited: known vectors', async t => {
  t.test('the Go client push of spec 10.1', async t => {
    t.equal(GO_CLIENT_PUSH.length, 183)
    t.strictSame(decodeDelimited(GO_CLIENT_PUSH), GO_CLIENT_FAMILIES)
  })

  t.test('a hand-assembled gauge', async t => {
    // name "a", type GAUGE, one metric {label x="y", gauge {value 1}}
    const body = Buffer.from([
      0x1a,
      0x0a, 0x01, 0x61,
      0x18, 0x01,
      0x22, 0x13,
      0x0a, 0x06, 0x0a, 0x01, 0x78, 0x12, 0x01, 0x79,
      0x12, 0x09, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f
    ])
    t.strictSame(decodeDelimited(body), [
      { name: 'a', type: 'gauge', metrics: [{ labels: [{ name: 'x', value: 'y' }], value: 1 }] }
    ])
  })

  t.test('empty input and a Uint8Array that is not a Buffer', async t => {
    t.strictSame(decodeDelimited(new Uint8Array(0)), [])
    const inner = new Uint8Array([0xff, ...GO_CLIENT_PUSH, 0xff]).subarray(1, GO_CLIENT_PUSH.length + 1)
    t.strictSame(decodeDelimited(inner), GO_CLIENT_FAMILIES)
  })
})

t.test('decodeDelimited: proto2 presence and defaults', async t => {
  const cases: Array<[string, Bytes[], MetricFamily]> = [
    ['absent help stays absent', [str(1, 'm'), vint(3, 1)], { name: 'm', type: 'gauge', metrics: [] }],
    ['empty help is kept', [str(1, 'm'), str(2, ''), vint(3, 1)], { name: 'm', help: '', type: 'gauge', metrics: [] }],
    ['unit', [str(1, 'm'), vint(3, 1), str(5, 'seconds')], { name: 'm', type: 'gauge', unit: 'seconds', metrics: [] }],
    ['absent type is COUNTER', [str(1, 'c'), msg(4, msg(3, f64(1, 2)))], { name: 'c', type: 'counter', metrics: [{ labels: [], value: 2 }] }],
    ['type after the metrics', [str(1, 'g'), msg(4, msg(2, f64(1, 2))), vint(3, 1)], { name: 'g', type: 'gauge', metrics: [{ labels: [], value: 2 }] }],
    ['the last type wins', [str(1, 'g'), vint(3, 3), vint(3, 1), msg(4, msg(2, f64(1, 2)))], { name: 'g', type: 'gauge', metrics: [{ labels: [], value: 2 }] }],
    ['a value submessage without value is 0', [str(1, 'u'), vint(3, 3), msg(4, msg(5))], { name: 'u', type: 'untyped', metrics: [{ labels: [], value: 0 }] }],
    ['a counter without value is 0', [str(1, 'c'), vint(3, 0), msg(4, msg(3))], { name: 'c', type: 'counter', metrics: [{ labels: [], value: 0 }] }],
    ['an empty label pair', [str(1, 'g'), vint(3, 1), msg(4, msg(1), msg(2, f64(1, 1)))], { name: 'g', type: 'gauge', metrics: [{ labels: [{ name: '', value: '' }], value: 1 }] }],
    ['an empty summary', [str(1, 's'), vint(3, 2), msg(4, msg(4))], { name: 's', type: 'summary', metrics: [{ labels: [], summary: { sampleCount: 0, sampleSum: 0, quantiles: [] } }] }],
    ['an empty histogram', [str(1, 'h'), vint(3, 4), msg(4, msg(7))], { name: 'h', type: 'histogram', metrics: [{ labels: [], histogram: histogram() }] }],
    ['a metric timestamp', [str(1, 'g'), vint(3, 1), msg(4, msg(2, f64(1, 1)), vint(6, 1700000000123))], { name: 'g', type: 'gauge', metrics: [{ labels: [], value: 1, timestampMs: 1700000000123 }] }],
    ['a negative metric timestamp (10-byte varint)', [str(1, 'g'), vint(3, 1), msg(4, msg(2, f64(1, 1)), vint(6, -1))], { name: 'g', type: 'gauge', metrics: [{ labels: [], value: 1, timestampMs: -1 }] }],
    ['an empty family is kept', [str(1, 'e'), str(2, 'h'), vint(3, 2)], { name: 'e', help: 'h', type: 'summary', metrics: [] }]
  ]
  for (const [why, fields, expected] of cases) {
    t.strictSame(decodeDelimited(delimited(fields)), [expected], why)
  }
})

t.test('decodeDelimited: value fields of other types are read and ignored', async t => {
  const others = [msg(2, f64(1, 7)), msg(3, f64(1, 7), msg(2, f64(2, 1))), msg(4, vint(1, 1)), msg(5, f64(1, 7)), msg(7, vint(1, 1))]
  const cases: Array<[number, Bytes, Metric]> = [
    [0, msg(3, f64(1, 1)), { labels: [], value: 1 }],
    [1, msg(2, f64(1, 1)), { labels: [], value: 1 }],
    [2, msg(4, vint(1, 1)), { labels: [], summary: { sampleCount: 1, sampleSum: 0, quantiles: [] } }],
    [3, msg(5, f64(1, 1)), { labels: [], value: 1 }],
    [4, msg(7, vint(1, 1)), { labels: [], histogram: histogram({ sampleCount: 1 }) }],
    [5, msg(7, vint(1, 1)), { labels: [], histogram: histogram({ sampleCount: 1 }) }]
  ]
  for (const [type, own, expected] of cases) {
    const fields = [str(1, 'x'), vint(3, type), msg(4, ...others.filter(o => o[0] !== own[0]), own)]
    const [family] = decodeDelimited(delimited(fields))
    t.strictSame(family?.metrics, [expected], `type ${type}`)
  }
})

t.test('decodeDelimited: repeated submessages merge (proto semantics)', async t => {
  const fields = [
    str(1, 'c'), vint(3, 0),
    msg(4,
      msg(3, f64(1, 1), msg(2, msg(1, str(1, 'a'), str(2, '1')), msg(3, vint(1, 5))), msg(3, vint(1, 10))),
      msg(3, msg(2, msg(1, str(1, 'b'), str(2, '2')), f64(2, 9), msg(3, vint(2, 500000000))), msg(3, vint(2, 1000000)))
    )
  ]
  t.strictSame(decodeDelimited(delimited(fields)), [{
    name: 'c',
    type: 'counter',
    metrics: [{
      labels: [],
      value: 1,
      exemplar: { labels: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }], value: 9, timestampMs: 5500 },
      createdTimestampMs: 10001
    }]
  }])

  const gauge = [str(1, 'g'), vint(3, 1), msg(4, msg(2, f64(1, 4)), msg(2))]
  t.strictSame(decodeDelimited(delimited(gauge))[0]?.metrics, [{ labels: [], value: 4 }], 'an empty second gauge keeps the value')

  const summary = [str(1, 's'), vint(3, 2), msg(4,
    msg(4, vint(1, 3), msg(3, f64(1, 0.5), f64(2, 1)), msg(4, vint(1, 7))),
    msg(4, f64(2, 2.5), msg(3, f64(1, 0.9), f64(2, 2)), msg(4, vint(2, 2000000)))
  )]
  t.strictSame(decodeDelimited(delimited(summary))[0]?.metrics, [{
    labels: [],
    summary: { sampleCount: 3, sampleSum: 2.5, quantiles: [{ quantile: 0.5, value: 1 }, { quantile: 0.9, value: 2 }], createdTimestampMs: 7002 }
  }])

  const hist = [str(1, 'h'), vint(3, 4), msg(4,
    msg(7, vint(1, 2), msg(3, vint(1, 1), f64(2, 1), msg(3, f64(2, 0.5))), msg(15, vint(1, 1))),
    msg(7, msg(3, vint(1, 2), f64(2, 2)), msg(15, vint(2, 3000000)))
  )]
  t.strictSame(decodeDelimited(delimited(hist))[0]?.metrics, [{
    labels: [],
    histogram: histogram({
      sampleCount: 2,
      buckets: [{ cumulativeCount: 1, upperBound: 1, exemplar: { labels: [], value: 0.5 } }, { cumulativeCount: 2, upperBound: 2 }],
      createdTimestampMs: 1003
    })
  }])

  const bucketExemplars = [str(1, 'h'), vint(3, 4), msg(4, msg(7, msg(3, msg(3, f64(2, 1)), msg(3, msg(1, str(1, 'k'), str(2, 'v'))))))]
  t.strictSame(decodeDelimited(delimited(bucketExemplars))[0]?.metrics[0]?.histogram?.buckets, [
    { cumulativeCount: 0, upperBound: 0, exemplar: { labels: [{ name: 'k', value: 'v' }], value: 1 } }
  ])
})

t.test('decodeDelimited: native histograms and numbers', async t => {
  const fields = [
    str(1, 'nh'), vint(3, 4),
    msg(4, msg(7,
      vint(1, 12), f64(2, -3.5), f64(4, 12.5),
      sint(5, -4), f64(6, 1e-128), vint(7, 2), f64(8, 2.5),
      msg(9, sint(1, -3), vint(2, 2)), msg(9, sint(1, 1), vint(2, 1)),
      packedSints(10, [1, -1]), sint(10, 2),
      packedDoubles(11, [1.5]), f64(11, 2.5),
      msg(12, sint(1, 0), vint(2, 0)),
      sint(13, -7), packedSints(13, [2 ** 40, -(2 ** 40)]),
      f64(14, Infinity), packedDoubles(14, [NaN, -Infinity]),
      msg(15, vint(1, -1), vint(2, 999000000)),
      msg(16, msg(1, str(1, 'trace_id'), str(2, 'abc')), f64(2, 0.25), msg(3, vint(1, 1700000000), vint(2, 1000000))),
      msg(16, f64(2, 3))
    ))
  ]
  t.strictSame(decodeDelimited(delimited(fields)), [{
    name: 'nh',
    type: 'histogram',
    metrics: [{
      labels: [],
      histogram: {
        sampleCount: 12,
        sampleCountFloat: 12.5,
        sampleSum: -3.5,
        schema: -4,
        zeroThreshold: 1e-128,
        zeroCount: 2,
        zeroCountFloat: 2.5,
        buckets: [],
        negativeSpans: [{ offset: -3, length: 2 }, { offset: 1, length: 1 }],
        negativeDeltas: [1, -1, 2],
        negativeCounts: [1.5, 2.5],
        positiveSpans: [{ offset: 0, length: 0 }],
        positiveDeltas: [-7, 2 ** 40, -(2 ** 40)],
        positiveCounts: [Infinity, NaN, -Infinity],
        createdTimestampMs: -1,
        exemplars: [
          { labels: [{ name: 'trace_id', value: 'abc' }], value: 0.25, timestampMs: 1700000000001 },
          { labels: [], value: 3 }
        ]
      }
    }]
  }])

  t.test('64-bit integers', async t => {
    const one = (value: Bytes): number | undefined => decodeDelimited(delimited([str(1, 's'), vint(3, 2), msg(4, msg(4, value))]))[0]?.metrics[0]?.summary?.sampleCount
    t.equal(one(vint(1, 2 ** 28 + 1)), 2 ** 28 + 1, '5-byte varint')
    t.equal(one(vint(1, 2 ** 35 + 3)), 2 ** 35 + 3, '6-byte varint')
    t.equal(one(vint(1, 2n ** 53n - 1n)), 2 ** 53 - 1, 'largest exact integer')
    t.equal(one(vint(1, 2n ** 64n - 1n)), 2 ** 64, 'uint64 max loses precision')
    const span = (value: Bytes): unknown => decodeDelimited(delimited([str(1, 'h'), vint(3, 4), msg(4, msg(7, msg(12, value)))]))[0]?.metrics[0]?.histogram?.positiveSpans
    t.strictSame(span(vint(2, 2n ** 32n + 5n)), [{ offset: 0, length: 5 }], 'uint32 keeps the low 32 bits')
    t.strictSame(span(vint(1, 2n ** 32n + 3n)), [{ offset: -2, length: 0 }], 'sint32 keeps the low 32 bits')
    const ts = (value: Bytes): number | undefined => decodeDelimited(delimited([str(1, 'g'), vint(3, 1), msg(4, msg(2), value)]))[0]?.metrics[0]?.timestampMs
    t.equal(ts(vint(6, -(2n ** 63n))), -(2 ** 63), 'int64 min')
    t.equal(ts(vint(6, 2n ** 63n - 1n)), 2 ** 63, 'int64 max loses precision')
  })
})

t.test('decodeDelimited: strings', async t => {
  const unicode = [str(1, 'm_ü'), str(2, 'Höhe 🚀 \u0000'), vint(3, 1), str(5, 'µs'),
    msg(4, msg(1, str(1, 'ort'), str(2, '日本語')), msg(1, str(1, 'bom'), str(2, '\ufeffx')), msg(2, f64(1, 1)))]
  t.strictSame(decodeDelimited(delimited(unicode)), [{
    name: 'm_ü',
    help: 'Höhe 🚀 \u0000',
    type: 'gauge',
    unit: 'µs',
    metrics: [{ labels: [{ name: 'ort', value: '日本語' }, { name: 'bom', value: '\ufeffx' }], value: 1 }]
  }])

  const long = 'v'.repeat(300)
  const labels = ['ab', 'bC', 'ab', 'job', long, long, '', 'bC']
  const fields = [str(1, 'g'), vint(3, 1), msg(4, ...labels.map(l => msg(1, str(1, 'l'), str(2, l))), msg(2))]
  t.strictSame(decodeDelimited(delimited(fields))[0]?.metrics[0]?.labels.map(l => l.value), labels,
    'repeated, long, empty and colliding strings decode to themselves')
})

t.test('decodeDelimited: unknown fields are skipped at every level', async t => {
  const U = UNKNOWN
  const fields = [
    U, str(1, 'all'), U, vint(3, 0), U, str(2, 'h'), [...key(1, 0), 5], [...key(3, 2), 0],
    msg(4, U, msg(1, U, str(1, 'a'), U, str(2, 'b'), U), U,
      msg(3, U, f64(1, 2), msg(2, U, f64(2, 1), msg(3, U, vint(1, 2), U, vint(2, 3)), msg(1, str(1, 'e'), str(2, 'f'))), msg(3, U, vint(1, 1))),
      msg(2, U, f64(1, 9), U), msg(5, U), msg(4, U, msg(3, U)), msg(7, U, msg(3, U), msg(9, U), msg(12, U), msg(16, U)))
  ]
  t.strictSame(decodeDelimited(delimited(fields)), [{
    name: 'all',
    help: 'h',
    type: 'counter',
    metrics: [{
      labels: [{ name: 'a', value: 'b' }],
      value: 2,
      exemplar: { labels: [{ name: 'e', value: 'f' }], value: 1, timestampMs: 2000.000003 },
      createdTimestampMs: 1000
    }]
  }])

  const summary = [str(1, 's'), vint(3, 2), msg(4, msg(4, U, vint(1, 1), msg(3, U, f64(1, 0.5), U, f64(2, 3)), U))]
  t.strictSame(decodeDelimited(delimited(summary))[0]?.metrics[0]?.summary, { sampleCount: 1, sampleSum: 0, quantiles: [{ quantile: 0.5, value: 3 }] })
})

t.test('decodeDelimited: a repeated family name keeps the later message in the first position', async t => {
  const body = delimited(
    [str(1, 'a'), vint(3, 1), msg(4, msg(2, f64(1, 1)))],
    [str(1, 'b'), vint(3, 1), msg(4, msg(2, f64(1, 2)))],
    [str(1, 'a'), str(2, 'second'), vint(3, 0), msg(4, msg(3, f64(1, 3)))],
    [str(1, 'c'), vint(3, 1)],
    [str(1, 'a'), str(2, 'third'), vint(3, 3)]
  )
  t.strictSame(decodeDelimited(body), [
    { name: 'a', help: 'third', type: 'untyped', metrics: [] },
    { name: 'b', type: 'gauge', metrics: [{ labels: [], value: 2 }] },
    { name: 'c', type: 'gauge', metrics: [] }
  ])
})

t.test('decodeDelimited: parse errors', async t => {
  const good = [str(1, 'g'), vint(3, 1), msg(4, msg(2, f64(1, 1)))]
  const raw = (...b: number[]): Buffer => Buffer.from(b)
  // Family bodies, each wrapped in a correct length prefix.
  const inFamily = (...fields: Bytes[]): Buffer => delimited(fields)
  const cases: Array<[string, Buffer, RegExp]> = [
    ['length prefix cut off', raw(0x80), /^unexpected EOF: length prefix at byte offset 0 is cut off$/],
    ['second length prefix cut off', Buffer.concat([delimited(good), raw(0xff, 0xff)]), /^unexpected EOF: length prefix at byte offset 19 is cut off$/],
    ['message cut off', delimited(good).subarray(0, 10), /^unexpected EOF: message at byte offset 0 declares 18 bytes but only 9 remain$/],
    ['length prefix overflow', raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02), /variable length integer overflow at byte offset 0$/],
    ['length prefix too long', raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81), /variable length integer overflow at byte offset 0$/],
    ['huge length prefix', raw(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), /^unexpected EOF: message at byte offset 0 declares 18446744073709552000 bytes/],
    ['field number 0', inFamily(str(1, 'g'), [0x00]), /^proto: cannot parse invalid wire-format data: invalid field number at byte offset 4$/],
    ['field number too large', inFamily(str(1, 'g'), vint(2 ** 29, 0)), /invalid field number at byte offset 4$/],
    ['end-group marker without group', inFamily(str(1, 'g'), key(9, 4)), /unexpected end-group marker at byte offset 4$/],
    ['reserved wire type 6', inFamily(str(1, 'g'), key(9, 6)), /reserved wire type 6 at byte offset 4$/],
    ['reserved wire type 7', inFamily(str(1, 'g'), key(9, 7)), /reserved wire type 7 at byte offset 4$/],
    ['unterminated group', inFamily(str(1, 'g'), key(9, 3), vint(1, 1)), /unterminated group at byte offset 7$/],
    ['mismatching end group', inFamily(str(1, 'g'), key(9, 3), key(8, 4)), /mismatching end-group marker at byte offset 5$/],
    ['invalid field number in a group', inFamily(str(1, 'g'), key(9, 3), [0x00], key(9, 4)), /invalid field number at byte offset 5$/],
    ['reserved wire type in a group', inFamily(str(1, 'g'), key(9, 3), key(1, 7), key(9, 4)), /reserved wire type 7 at byte offset 5$/],
    ['truncated varint at the end of a message', inFamily(str(1, 'g'), key(9, 0)), /truncated varint at byte offset 5$/],
    ['truncated varint', inFamily(str(1, 'g'), key(9, 0), [0x80, 0x80]), /truncated varint at byte offset 5$/],
    ['truncated 5th varint byte', inFamily(str(1, 'g'), key(9, 0), [0x80, 0x80, 0x80, 0x80]), /truncated varint at byte offset 5$/],
    ['truncated high varint bytes', inFamily(str(1, 'g'), key(9, 0), [0x80, 0x80, 0x80, 0x80, 0x80, 0x80]), /truncated varint at byte offset 5$/],
    ['varint overflow', inFamily(str(1, 'g'), key(9, 0), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]), /variable length integer overflow at byte offset 5$/],
    ['truncated fixed64', inFamily(str(1, 'g'), key(9, 1), [1, 2, 3]), /truncated fixed64 at byte offset 5$/],
    ['truncated fixed32', inFamily(str(1, 'g'), key(9, 5), [1, 2, 3]), /truncated fixed32 at byte offset 5$/],
    ['truncated double', inFamily(str(1, 'g'), vint(3, 1), msg(4, msg(2, key(1, 1), [0, 0]))), /truncated fixed64 at byte offset 11$/],
    ['length past the message', inFamily(str(1, 'g'), key(2, 2), [5, 0x61]), /length-delimited field runs past the end of its message at byte offset 5$/],
    ['submessage past its parent', inFamily(str(1, 'g'), vint(3, 1), msg(4, key(2, 2), [10], f64(1, 1))), /length-delimited field runs past the end of its message at byte offset 9$/],
    ['packed doubles not a multiple of 8', inFamily(str(1, 'h'), vint(3, 4), msg(4, msg(7, lenField(14, [1, 2, 3])))), /truncated fixed64 at byte offset 12$/],
    ['truncated packed varints', inFamily(str(1, 'h'), vint(3, 4), msg(4, msg(7, lenField(13, [0x80])))), /truncated varint at byte offset 12$/],
    ['missing name', inFamily(vint(3, 1)), /^proto: metric family at byte offset 0 has no name$/],
    ['empty name', delimited(good, [str(1, ''), vint(3, 1)]), /^proto: metric family at byte offset 19 has no name$/],
    ['empty message', raw(0x00), /^proto: metric family at byte offset 0 has no name$/],
    ['type 6', inFamily(str(1, 'g'), vint(3, 6)), /^proto: invalid value 6 for enum io\.prometheus\.client\.MetricType in field io\.prometheus\.client\.MetricFamily\.type at byte offset 4$/],
    ['type -1', inFamily(str(1, 'g'), vint(3, -1)), /invalid value -1 for enum/],
    ['invalid UTF-8 in a family name', inFamily(str(1, 'g'), [...key(1, 2), 2, 0xc3, 0x28]), /^proto: field io\.prometheus\.client\.MetricFamily\.name contains invalid UTF-8 at byte offset 6$/],
    ['invalid UTF-8 in help', inFamily(str(1, 'g'), [...key(2, 2), 1, 0xff]), /MetricFamily\.help contains invalid UTF-8/],
    ['invalid UTF-8 in unit', inFamily(str(1, 'g'), [...key(5, 2), 1, 0x80]), /MetricFamily\.unit contains invalid UTF-8/],
    ['invalid UTF-8 in a label name', inFamily(str(1, 'g'), vint(3, 1), msg(4, msg(1, [...key(1, 2), 1, 0xfe]), msg(2))), /LabelPair\.name contains invalid UTF-8/],
    ['invalid UTF-8 in a label value', inFamily(str(1, 'g'), vint(3, 1), msg(4, msg(1, str(1, 'a'), [...key(2, 2), 3, 0xed, 0xa0, 0x80]), msg(2))), /LabelPair\.value contains invalid UTF-8/],
    ['parse errors win over inconsistency', Buffer.concat([delimited([str(1, 'g'), vint(3, 1), msg(4)]), raw(0x80)]), /unexpected EOF/]
  ]
  for (const [why, body, message] of cases) {
    t.throws(() => decodeDelimited(body), message, why)
  }
  const error = t.throws(() => decodeDelimited(raw(0x80))) as ParseError
  t.ok(error instanceof ParseError)
  t.equal(error.code, 'ERR_PARSE')
  t.equal(error.statusCode, 400)
  t.equal(error.status, 400)
  t.equal(error.expose, true, 'the message is safe to send back')
  t.strictSame(decodeDelimited(delimited(good)), [{ name: 'g', type: 'gauge', metrics: [{ labels: [], value: 1 }] }], 'state is reset after an error')
})

t.test('decodeDelimited: value fields must match the family type', async t => {
  const prefix = 'pushed metrics are invalid or inconsistent with existing metrics: '
  const cases: Array<[number, Bytes, string]> = [
    [1, msg(4, msg(1, str(1, 'job'), str(2, 'c3')), msg(1, str(1, 'q'), str(2, 'a"b')), msg(5, f64(1, 1))), 'collected metric "tm" { job="c3" q="a\\"b" } is not a GAUGE'],
    [1, msg(4), 'collected metric "tm" { } is not a GAUGE'],
    [1, msg(4, msg(1, str(1, 'v'), str(2, 'a\u0001\u00ad\u{e0001}\n'))), 'collected metric "tm" { v="a\\x01\\u00ad\\U000e0001\\n" } is not a GAUGE'],
    [0, msg(4, msg(2, f64(1, 1))), 'collected metric "tm" { } is not a COUNTER'],
    [3, msg(4, msg(2, f64(1, 1))), 'collected metric "tm" { } is not a UNTYPED'],
    [2, msg(4, msg(7)), 'collected metric "tm" { } is not a SUMMARY'],
    [4, msg(4, msg(4)), 'collected metric "tm" { } is not a HISTOGRAM'],
    [5, msg(4, msg(3)), 'collected metric "tm" { } is not a GAUGE_HISTOGRAM']
  ]
  for (const [type, metric, message] of cases) {
    const body = delimited([str(1, 'tm'), vint(3, type), msg(4, msg(2, f64(1, 1))), metric])
    const error = t.throws(() => decodeDelimited(body), `type ${type}`) as Error
    t.ok(error instanceof InconsistentPushError)
    t.equal(error.message, prefix + message)
  }
  const replaced = delimited(
    [str(1, 'tm'), vint(3, 1), msg(4, msg(5, f64(1, 1)))],
    [str(1, 'tm'), vint(3, 3), msg(4, msg(5, f64(1, 1)))]
  )
  t.strictSame(decodeDelimited(replaced), [{ name: 'tm', type: 'untyped', metrics: [{ labels: [], value: 1 }] }],
    'an inconsistent family replaced by a later one is no error')
  const second = delimited(
    [str(1, 'ok'), vint(3, 1), msg(4, msg(2, f64(1, 1)))],
    [str(1, 'bad'), vint(3, 0), msg(4, msg(2, f64(1, 1)))],
    [str(1, 'bad2'), vint(3, 1), msg(4)]
  )
  t.throws(() => decodeDelimited(second), { message: prefix + 'collected metric "bad" { } is not a COUNTER' }, 'the first one is reported')
})

// Every type, native histograms, float histograms, exemplars with timestamps, created
// timestamps, NaN and infinities, and Unicode.
const ALL_FAMILIES: MetricFamily[] = [
  {
    name: 'requests_total',
    help: 'Requests.',
    type: 'counter',
    metrics: [
      {
        labels: [{ name: 'method', value: 'GET' }, { name: 'path', value: '/a/b' }],
        value: 1027,
        exemplar: { labels: [{ name: 'trace_id', value: 'abc123' }], value: 1, timestampMs: 1700000000123.5 },
        createdTimestampMs: 1600000000000
      },
      { labels: [{ name: 'method', value: 'POST' }], value: -Infinity, exemplar: { labels: [], value: NaN } }
    ]
  },
  { name: 'temperature', help: '', type: 'gauge', unit: 'celsius', metrics: [{ labels: [], value: NaN }, { labels: [{ name: 'x', value: '' }], value: -0.5, timestampMs: -1500 }] },
  { name: 'empty_family', type: 'gauge', metrics: [] },
  {
    name: 'rpc_seconds',
    help: 'RPC latency.',
    type: 'summary',
    metrics: [{
      labels: [{ name: 'service', value: 'ü-service' }],
      summary: {
        sampleCount: 2 ** 53,
        sampleSum: 1.5e300,
        quantiles: [{ quantile: 0.5, value: NaN }, { quantile: 0.99, value: Infinity }],
        createdTimestampMs: -86400000.25
      }
    }, {
      labels: [],
      summary: { sampleCount: 0, sampleSum: 0, quantiles: [] }
    }]
  },
  { name: 'misc', type: 'untyped', metrics: [{ labels: [{ name: 'emoji', value: '🚀🚀' }], value: Infinity, timestampMs: 1700000000000 }] },
  {
    name: 'latency_seconds',
    help: 'Classic and native.',
    type: 'histogram',
    metrics: [{
      labels: [{ name: 'le_not', value: '日本語' }],
      histogram: histogram({
        sampleCount: 17,
        sampleSum: 4.25,
        buckets: [
          { upperBound: 0.1, cumulativeCount: 3, exemplar: { labels: [{ name: 'trace_id', value: 'x' }], value: 0.05, timestampMs: 1700000000000 } },
          { upperBound: 1, cumulativeCount: 15 },
          { upperBound: Infinity, cumulativeCount: 17 }
        ],
        createdTimestampMs: 1690000000000,
        schema: -2,
        zeroThreshold: 2.938735877055719e-39,
        zeroCount: 1,
        negativeSpans: [{ offset: -3, length: 2 }, { offset: 4, length: 1 }],
        negativeDeltas: [2, -1, 3],
        positiveSpans: [{ offset: 0, length: 3 }],
        positiveDeltas: [5, -2, 0],
        exemplars: [
          { labels: [{ name: 'trace_id', value: 'n1' }], value: 0.7, timestampMs: 1700000000999 },
          { labels: [], value: -0.3 }
        ]
      })
    }]
  },
  {
    name: 'queue_size',
    type: 'gaugehistogram',
    metrics: [{
      labels: [],
      histogram: histogram({
        sampleCount: 0,
        sampleCountFloat: 10.5,
        sampleSum: 21,
        buckets: [{ upperBound: 8, cumulativeCount: 0, cumulativeCountFloat: 10.5 }],
        schema: 8,
        zeroThreshold: 0,
        zeroCount: 0,
        zeroCountFloat: 0.5,
        negativeSpans: [{ offset: 1, length: 1 }],
        negativeCounts: [1.25],
        positiveSpans: [{ offset: -2, length: 2 }],
        positiveCounts: [NaN, 8.75]
      })
    }]
  },
  { name: 'größe_bytes', help: 'Größe in µs 🚀 "quoted" \\ \n.', type: 'gauge', metrics: [{ labels: [{ name: 'ключ', value: 'значение' }], value: 5e-324 }] }
]

t.test('encodeDelimited', async t => {
  t.test('round trip of every type and field', async t => {
    t.strictSame(decodeDelimited(encodeDelimited(ALL_FAMILIES)), ALL_FAMILIES)
  })

  t.test('the Go client push encodes to the same bytes as client_golang', async t => {
    t.strictSame([...encodeDelimited(GO_CLIENT_FAMILIES)], [...GO_CLIENT_PUSH])
  })

  t.test('known bytes for presence rules', async t => {
    const bytes = encodeDelimited([
      { name: 'c', type: 'counter', metrics: [{ labels: [{ name: 'a', value: '' }] }] },
      { name: 's', help: '', type: 'summary', unit: 'u', metrics: [{ labels: [] }] },
      { name: 'h', type: 'histogram', metrics: [{ labels: [], timestampMs: 5 }] }
    ])
    t.strictSame([...bytes], [...delimited(
      [str(1, 'c'), vint(3, 0), msg(4, msg(1, str(1, 'a'), str(2, '')), msg(3, f64(1, 0)))],
      [str(1, 's'), str(2, ''), vint(3, 2), msg(4), str(5, 'u')],
      [str(1, 'h'), vint(3, 4), msg(4, vint(6, 5))]
    )])
  })

  t.test('empty input', async t => {
    t.equal(encodeDelimited([]).length, 0)
  })

  t.test('integers that are not uint64 are clamped and truncated', async t => {
    const counts = [-1, NaN, 1.9, 2 ** 32 + 7.5, 2 ** 64, 1e30, 2 ** 53 + 2]
    const families: MetricFamily[] = counts.map((sampleCount, i) => ({
      name: `s${i}`, type: 'summary', metrics: [{ labels: [], summary: { sampleCount, sampleSum: 0, quantiles: [] } }]
    }))
    t.strictSame(decodeDelimited(encodeDelimited(families)).map(f => f.metrics[0]?.summary?.sampleCount),
      [0, 0, 1, 2 ** 32 + 7, 2 ** 64, 2 ** 64, 2 ** 53 + 2])
  })

  t.test('int64 and sint64 values', async t => {
    const stamps = [-1, -(2 ** 32), -(2 ** 32) - 1, -1e30, 1e30, NaN, 2 ** 40 + 1, -0.9]
    const families: MetricFamily[] = stamps.map((timestampMs, i) => ({ name: `g${i}`, type: 'gauge', metrics: [{ labels: [], value: 1, timestampMs }] }))
    t.strictSame(decodeDelimited(encodeDelimited(families)).map(f => f.metrics[0]?.timestampMs),
      [-1, -(2 ** 32), -(2 ** 32) - 1, -(2 ** 63), 2 ** 63 - 1024, 0, 2 ** 40 + 1, -0])
    const deltas = [0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 52, -(2 ** 52)]
    const h = histogram({ positiveSpans: [{ offset: -(2 ** 31), length: 2 ** 32 - 1 }], positiveDeltas: deltas })
    const [decoded] = decodeDelimited(encodeDelimited([{ name: 'h', type: 'histogram', metrics: [{ labels: [], histogram: h }] }]))
    t.strictSame(decoded?.metrics[0]?.histogram, h)
  })

  t.test('timestamps', async t => {
    const cases: Array<[number, number]> = [[0, 0], [1.5, 1.5], [-1.5, -1.5], [1999.9999999, 2000], [-0.0000001, 0], [1700000000123.456, 1700000000123.456]]
    for (const [input, expected] of cases) {
      const [family] = decodeDelimited(encodeDelimited([{ name: 'c', type: 'counter', metrics: [{ labels: [], value: 1, createdTimestampMs: input }] }]))
      t.equal(family?.metrics[0]?.createdTimestampMs, expected, String(input))
    }
  })

  t.test('long messages get multi-byte length prefixes', async t => {
    const families: MetricFamily[] = [
      { name: 'long_value', type: 'gauge', metrics: [{ labels: [{ name: 'v', value: 'x'.repeat(20000) }], value: 1 }] },
      { name: 'many', help: 'h'.repeat(200), type: 'gauge', metrics: Array.from({ length: 300 }, (_, i) => ({ labels: [{ name: 'i', value: String(i) }], value: i })) },
      { name: 'unicode_long', type: 'gauge', metrics: [{ labels: [{ name: 'v', value: 'é'.repeat(100) }, { name: 'w', value: '€'.repeat(50000) }], value: 2 }] }
    ]
    const bytes = encodeDelimited(families)
    t.equal((bytes[0] as number) & 0x80, 0x80, 'the first family has a multi-byte length prefix')
    t.equal((bytes[2] as number) & 0x80, 0, 'of three bytes')
    t.strictSame(decodeDelimited(bytes), families)
  })

  t.test('a body larger than the scratch buffer, twice', async t => {
    const big: MetricFamily[] = [{ name: 'big', type: 'gauge', metrics: [{ labels: [{ name: 'v', value: 'z'.repeat(5 * 1024 * 1024) }], value: 1 }] }]
    t.strictSame(decodeDelimited(encodeDelimited(big)), big)
    t.strictSame(decodeDelimited(encodeDelimited(big)), big)
    t.strictSame(decodeDelimited(encodeDelimited(GO_CLIENT_FAMILIES)), GO_CLIENT_FAMILIES, 'and a small one after')
  })

  t.test('a missing value is written as 0, a missing summary or histogram is not written', async t => {
    const families: MetricFamily[] = [
      { name: 'g', type: 'gauge', metrics: [{ labels: [] }] },
      { name: 'u', type: 'untyped', metrics: [{ labels: [] }] }
    ]
    t.strictSame(decodeDelimited(encodeDelimited(families)), [
      { name: 'g', type: 'gauge', metrics: [{ labels: [], value: 0 }] },
      { name: 'u', type: 'untyped', metrics: [{ labels: [], value: 0 }] }
    ])
    t.throws(() => decodeDelimited(encodeDelimited([{ name: 's', type: 'summary', metrics: [{ labels: [] }] }])), InconsistentPushError)
    t.throws(() => decodeDelimited(encodeDelimited([{ name: 'h', type: 'gaugehistogram', metrics: [{ labels: [] }] }])), InconsistentPushError)
  })

  t.test('values of other types are not written', async t => {
    const [family] = decodeDelimited(encodeDelimited([{
      name: 'g', type: 'gauge', metrics: [{ labels: [], value: 3, summary: { sampleCount: 1, sampleSum: 1, quantiles: [] }, histogram: histogram(), exemplar: { labels: [], value: 1 } }]
    }]))
    t.strictSame(family?.metrics, [{ labels: [], value: 3 }])
  })
})

t.test('encodeDelimitedSliced encodes as encodeDelimited, letting other work in every 16,384 metrics', async t => {
  const family = (name: string, count: number): MetricFamily => ({ name, type: 'gauge', metrics: Array.from({ length: count }, (_, i) => ({ labels: [{ name: 'i', value: String(i) }], value: i })) })
  const families = [family('a', 10_000), family('b', 10_000), family('c', 1), family('d', 16_384)]
  let pauses = 0
  const sliced = await encodeDelimitedSliced(families, async () => { pauses++ })
  t.same(sliced, encodeDelimited(families))
  t.equal(pauses, 2, 'after b (20,000 metrics), then after d (16,385 more)')
  t.same(await encodeDelimitedSliced([]), Buffer.alloc(0))
})

t.test('a family of more than 16,384 metrics is encoded in pieces, to the same bytes', async t => {
  const metrics = Array.from({ length: 40_000 }, (_, i) => ({ labels: [{ name: 'i', value: String(i) }], value: i }))
  const families: MetricFamily[] = [
    { name: 'small', type: 'counter', metrics: [{ labels: [], value: 1 }] },
    { name: 'big_bytes', help: 'A large family.', unit: 'bytes', type: 'gauge', metrics },
    { name: 'big_plain', type: 'untyped', metrics: metrics.slice(0, 20_000) }
  ]
  let pauses = 0
  const sliced = await encodeDelimitedSliced(families, async () => { pauses++ })
  t.same(sliced, encodeDelimited(families))
  t.same(decodeDelimited(sliced).map(f => [f.name, f.metrics.length, f.unit]), [['small', 1, undefined], ['big_bytes', 40_000, 'bytes'], ['big_plain', 20_000, undefined]])
  t.equal(pauses, 3, 'after each of the first two batches of big_bytes, then after the first batch of big_plain')
})
