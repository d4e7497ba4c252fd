import t from 'tap'
import { parseMetrics, pushFormat } from '../../src/exposition/parse.js'
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
