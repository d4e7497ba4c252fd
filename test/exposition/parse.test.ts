import t from 'tap'
import { parseMetrics, parseMetricsSliced, pushFormat, type ParseBudget } from '../../src/exposition/parse.js'
import { encodeDelimited, PROTOBUF_CONTENT_TYPE } from '../../src/exposition/protobuf.js'

t.test('pushFormat picks the parser from the Content-Type', async t => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'text'],
    ['text/plain; version=0.0.4; charset=utf-8', 'text'],
    ['application/x-www-form-urlencoded', 'text'],
    [PROTOBUF_CONTENT_TYPE, 'protobuf'],
    ['application/vnd.google.protobuf; encoding=delimited', 'text'],
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['Application/OpenMetrics-Text', 'openmetrics']
  ]
  for (const [contentType, format] of cases) t.equal(pushFormat(contentType), format, String(contentType))
})

t.test('parseMetrics', async t => {
  const expected = [{ name: 'm', type: 'untyped', metrics: [{ labels: [], value: 1 }] }]
  t.same(parseMetrics('m 1\n'), expected, 'a string body')
  t.same(parseMetrics(Buffer.from('m 1\n'), 'text/plain'), expected, 'a buffer body')
  t.same(parseMetrics('# TYPE m gauge\nm 1\n# EOF\n', 'application/openmetrics-text'), [{ name: 'm', type: 'gauge', metrics: [{ labels: [], value: 1 }] }])
  const pb = encodeDelimited([{ name: 'p', type: 'gauge', metrics: [{ labels: [], value: 2 }] }])
  t.same(parseMetrics(pb, PROTOBUF_CONTENT_TYPE), [{ name: 'p', type: 'gauge', metrics: [{ labels: [], value: 2 }] }])
  t.same(parseMetrics(pb.toString('latin1'), PROTOBUF_CONTENT_TYPE).length, 1, 'a string is turned into bytes for protobuf')
  t.throws(() => parseMetrics(Buffer.from([0x6d, 0x7b, 0x61, 0x3d, 0x22, 0xff, 0x22, 0x7d, 0x20, 0x31, 0x0a])), { name: 'ParseError', statusCode: 400, message: 'the request body is not valid UTF-8' })
  t.throws(() => parseMetrics(Buffer.from([0x6d, 0x20, 0xff, 0x0a])), { name: 'ParseError', message: /^text format parsing error in line 1: expected float as value/ }, 'a syntax error at the bad byte is reported as one')
  t.throws(() => parseMetrics(Buffer.from([0x1d, 0x0a, 0x01, 0x6d, 0x12, 0xff])), { name: 'ParseError', message: 'text format parsing error in line 1: invalid metric name' }, 'a protobuf body sent as text fails as in Go')
  t.throws(() => parseMetrics('x 1'), { name: 'ParseError', message: 'text format parsing error in line 1: unexpected end of input stream' })
})

// A budget that names what it refuses, for the assertions below.
function budget (metrics: number, labels: number): ParseBudget {
  return { metrics, labels, refuse: (bound, family) => new Error(`over ${bound} in ${String(family)}`) }
}

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0'

t.test('parseMetricsSliced parses as parseMetrics does, letting the event loop turn between slices', async t => {
  const lines = Array.from({ length: 40_000 }, (_, i) => `m{i="${i}"} ${i}\n`).join('')
  const bodies: Array<[string, Buffer, string | undefined, Buffer]> = [
    ['text', Buffer.from(lines), undefined, Buffer.from('m 1\n')],
    ['openmetrics', Buffer.from(lines + '# EOF\n'), OPENMETRICS, Buffer.from('m 1\n# EOF\n')],
    ['protobuf', encodeDelimited(Array.from({ length: 2000 }, (_, f) => ({ name: `p${f}`, type: 'gauge' as const, metrics: Array.from({ length: 20 }, (_, i) => ({ labels: [{ name: 'i', value: String(i) }], value: i })) }))), PROTOBUF_CONTENT_TYPE, encodeDelimited([{ name: 'p', type: 'gauge', metrics: [{ labels: [], value: 1 }] }])]
  ]
  for (const [format, body, contentType, smallBody] of bodies) {
    let pauses = 0
    const families = await parseMetricsSliced(body, contentType, budget(Infinity, Infinity), 'legacy', async () => { pauses++ })
    t.same(families, parseMetrics(body, contentType), `${format}: the same families`)
    t.ok(pauses >= Math.floor(body.length / (128 * 1024)), `${format}: ${pauses} pauses for ${body.length} bytes`)
    let small = 0
    t.equal((await parseMetricsSliced(smallBody, contentType, budget(Infinity, Infinity), 'legacy', async () => { small++ })).length, 1)
    t.equal(small, 0, `${format}: a small body parses in one slice`)
  }
  // By default a pause is a turn of the event loop: immediates queued meanwhile run in between.
  let turns = 0
  let parsing = true
  const count = (): void => { if (parsing) { turns++; setImmediate(count) } }
  setImmediate(count)
  await parseMetricsSliced(Buffer.from(lines), undefined, budget(Infinity, Infinity))
  parsing = false
  t.ok(turns >= 4, `the event loop turned ${turns} times during the parse`)
  await t.rejects(parseMetricsSliced(Buffer.from([0x6d, 0x7b, 0x61, 0x3d, 0x22, 0xff, 0x22, 0x7d, 0x20, 0x31, 0x0a]), undefined, budget(Infinity, Infinity)), { name: 'ParseError', message: 'the request body is not valid UTF-8' })
})

t.test('a parse stops at its budget, before the rest of the body is read', async t => {
  // Each body goes over the budget and then turns invalid: only a parse that stops early reports the budget.
  const over = (n: number): string => Array.from({ length: n }, (_, i) => `m{i="${i}"} 1\n`).join('')
  const garbage = '!!! not a metric\n'
  t.throws(() => parseMetrics(over(11) + garbage, undefined, budget(10, 5)), { message: 'over metrics in m' }, 'text: metrics')
  t.throws(() => parseMetrics('# TYPE s summary\n' + Array.from({ length: 11 }, (_, i) => `s_sum{i="${i}"} 1\ns_count{i="${i}"} 1\n`).join('') + garbage, undefined, budget(10, 5)), { message: 'over metrics in s' }, 'text: a summary counts once per metric')
  t.same(parseMetrics('# TYPE s summary\n' + Array.from({ length: 10 }, (_, i) => `s_sum{i="${i}"} 1\ns_count{i="${i}"} 1\n`).join(''), undefined, budget(10, 5)).length, 1, 'text: ten summaries of two lines fit a budget of ten')
  const sixLabels = 'a="1",b="1",c="1",d="1",e="1",f="1"'
  t.throws(() => parseMetrics(`m{${sixLabels}} 1\n` + garbage, undefined, budget(10, 5)), { message: 'over labels in m' }, 'text: labels')
  t.same(parseMetrics('h_bucket{a="1",b="1",c="1",d="1",e="1",le="1"} 1\n'.replace(/^/, '# TYPE h histogram\n'), undefined, budget(10, 5))[0]?.metrics.length, 1, 'text: le is not a label')
  t.throws(() => parseMetrics(over(11) + garbage + '# EOF\n', OPENMETRICS, budget(10, 5)), { message: 'over metrics in m' }, 'openmetrics: metrics')
  t.throws(() => parseMetrics('# TYPE c counter\n' + Array.from({ length: 11 }, (_, i) => `c_total{i="${i}"} 1\n`).join('') + garbage + '# EOF\n', OPENMETRICS, budget(10, 5)), { message: 'over metrics in c' }, 'openmetrics: points')
  t.throws(() => parseMetrics(`m{${sixLabels},g="1"} 1\n` + garbage + '# EOF\n', OPENMETRICS, budget(10, 5)), { message: 'over labels in undefined' }, 'openmetrics: labels (of a family without a TYPE line)')
  t.same(parseMetrics('# TYPE h histogram\nh_bucket{a="1",b="1",c="1",d="1",e="1",le="+Inf"} 1 # {a="1",b="1",c="1",d="1",e="1",f="1"} 1\n# EOF\n', OPENMETRICS, budget(10, 5))[0]?.metrics.length, 1, 'openmetrics: le and exemplar labels are not counted')
  const metric = (labels: number): { labels: Array<{ name: string, value: string }>, value: number } => ({ labels: Array.from({ length: labels }, (_, i) => ({ name: `l${i}`, value: '1' })), value: 1 })
  const cut = Buffer.from([0x05, 0x0a])
  t.throws(() => parseMetrics(Buffer.concat([encodeDelimited([{ name: 'p', type: 'gauge', metrics: Array.from({ length: 11 }, () => metric(1)) }]), cut]), PROTOBUF_CONTENT_TYPE, budget(10, 5)), { message: 'over metrics in p' }, 'protobuf: metrics')
  t.throws(() => parseMetrics(Buffer.concat([encodeDelimited(Array.from({ length: 11 }, (_, i) => ({ name: `e${i}`, type: 'gauge' as const, metrics: [] }))), cut]), PROTOBUF_CONTENT_TYPE, budget(10, 5)), { message: 'over metrics in e10' }, 'protobuf: a family without metrics counts as one')
  t.throws(() => parseMetrics(Buffer.concat([encodeDelimited([{ name: 'p', type: 'gauge', metrics: [metric(6)] }]), cut]), PROTOBUF_CONTENT_TYPE, budget(10, 5)), { message: 'over labels in undefined' }, 'protobuf: labels')
  t.same(parseMetrics(encodeDelimited([{ name: 'p', type: 'gauge', metrics: Array.from({ length: 10 }, () => metric(5)) }]), PROTOBUF_CONTENT_TYPE, budget(10, 5))[0]?.metrics.length, 10, 'protobuf: what fits the budget is parsed')
  t.throws(() => parseMetrics(Buffer.from([0x07, 0x22, 0x00, 0x22, 0x00, 0x0a, 0x01, 0x70]), PROTOBUF_CONTENT_TYPE, budget(1, 5)), { message: 'over metrics in undefined' }, 'protobuf: metrics before the family name')
})
