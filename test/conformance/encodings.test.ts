// Spec sections 5 and 13 (encodings): gzip, protobuf and the Content-Type rules, against the reference.
import { gzipSync } from 'node:zlib'
import { clearerMessage, differential, gzipped, protobuf, put, post, PROTOBUF_CONTENT_TYPE, type Sequence, type Step } from './differential.js'

const TEXT = '# HELP c_total Things.\n# TYPE c_total counter\nc_total{k="a"} 1\nc_total{k="b"} 2\n# TYPE g gauge\ng 3.5\n'
const HISTOGRAM = '# HELP h Latency.\n# TYPE h histogram\nh_bucket{le="0.1"} 1\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 4\nh_sum 2.5\nh_count 4\n'
const SUMMARY = '# TYPE s summary\ns{quantile="0.5"} 1\ns{quantile="0.99"} 3\ns_sum 10\ns_count 5\n'
const gzippedStep = (step: Step): Step => ({ ...step, body: gzipSync(step.body as Buffer), headers: { ...step.headers, 'content-encoding': 'gzip' } })
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

const sequences: Sequence[] = [
  { name: '13.16 a gzipped text PUT and POST', steps: [gzipped('PUT', '/metrics/job/a', TEXT), gzipped('POST', '/metrics/job/a', HISTOGRAM)] },
  {
    name: '13.16 Content-Encoding gzip on a body that is not gzip',
    steps: [put('/metrics/job/a', 'm 1\n', { 'content-encoding': 'gzip' })],
    differs: clearerMessage('unexpected EOF\n', 'invalid gzip body: incorrect header check\n')
  },
  {
    name: '5.3 a truncated gzip body',
    steps: [{ method: 'PUT', path: '/metrics/job/a', body: gzipSync(TEXT).subarray(0, 20), headers: { 'content-encoding': 'gzip' } }],
    differs: clearerMessage('unexpected EOF\n', 'invalid gzip body: unexpected end of file\n')
  },
  { name: '5.3 gzip of a body with a parse error', steps: [gzipped('PUT', '/metrics/job/a', 'm{ 1\n')] },
  { name: '5.3 Content-Encoding identity', steps: [put('/metrics/job/a', 'm 1\n', { 'content-encoding': 'identity' })] },
  {
    name: '13.16 Content-Encoding GZIP in capitals',
    steps: [gzipped('PUT', '/metrics/job/a', 'm 1\n', { 'content-encoding': 'GZIP' })],
    versions: {
      readme: 'Content-Encoding names are case-insensitive',
      follows: '1.11.0',
      other: (t, run) => {
        t.equal(run.answers[0]?.status, 400, '1.5.1 takes only "gzip" and reads the gzip bytes as text')
      }
    }
  },
  {
    name: '5.3 an unsupported Content-Encoding',
    steps: [put('/metrics/job/a', 'm 1\n', { 'content-encoding': 'br' }), put('/metrics/job/a', 'm 1\n', { 'content-encoding': 'snappy' })],
    differs: {
      readme: 'a Content-Encoding other than gzip, snappy or identity is a 415',
      reference: (t, run, version) => {
        t.equal(run.answers[0]?.status, 200, 'the Go gateway ignores an encoding it does not know and reads the bytes as they are')
        if (version === '1.5.1') t.equal(run.answers[1]?.status, 200, 'snappy too, before 1.6')
        else t.same([run.answers[1]?.status, run.rawBodies[1]], [400, 'snappy: corrupt input\n'], 'snappy is decoded, and a body that is not snappy is refused')
      },
      ours: (t, run) => {
        t.same(run.answers.map(answer => answer.status), [415, 400])
        t.equal(run.answers[0]?.body, 'unsupported Content-Encoding "br": send gzip, snappy or an uncompressed body\n')
        t.match(run.answers[1]?.body, /^invalid snappy body: /, 'snappy is decoded (as 1.6 and later do), and a body that is not snappy is refused')
        t.same((run.api as { data: unknown[] }).data, [], 'nothing is stored')
      }
    }
  },
  { name: '13.17 a protobuf PUT of counters and gauges', steps: [protobuf('PUT', '/metrics/job/a', TEXT)] },
  { name: '13.17 protobuf histogram and summary', steps: [protobuf('PUT', '/metrics/job/a/instance/i', HISTOGRAM + SUMMARY)] },
  { name: '13.17 a protobuf POST into a text group', steps: [put('/metrics/job/a', TEXT), protobuf('POST', '/metrics/job/a', '# TYPE g gauge\ng 7\n# TYPE u untyped\nu 1\n')] },
  { name: '13.17 Content-Type parameters in another order', steps: [protobuf('PUT', '/metrics/job/a', TEXT, 'application/vnd.google.protobuf; encoding=delimited; proto=io.prometheus.client.MetricFamily')] },
  { name: '13.17 protobuf without encoding=delimited is read as text', steps: [protobuf('PUT', '/metrics/job/a', TEXT, 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily')] },
  { name: '13.17 protobuf with another proto is read as text', steps: [protobuf('PUT', '/metrics/job/a', TEXT, 'application/vnd.google.protobuf; proto=foo.Bar; encoding=delimited')] },
  { name: '13.17 gzipped protobuf', steps: [gzippedStep(protobuf('PUT', '/metrics/job/a', TEXT))] },
  {
    name: '5.1 protobuf bytes that are not a MetricFamily',
    steps: [{ method: 'PUT', path: '/metrics/job/a', body: Buffer.from([0x05, 0xff, 0xff, 0xff, 0xff, 0xff]), headers: { 'content-type': PROTOBUF_CONTENT_TYPE } }],
    differs: clearerMessage({ '1.5.1': 'unexpected EOF\n', '1.11.0': /^proto:\s+cannot parse invalid wire-format data\n$/ }, 'proto: cannot parse invalid wire-format data: truncated varint at byte offset 1\n')
  },
  {
    name: '5.1 a protobuf message longer than the body',
    steps: [{ method: 'PUT', path: '/metrics/job/a', body: Buffer.from([0x20, 0x0a, 0x01, 0x6d]), headers: { 'content-type': PROTOBUF_CONTENT_TYPE } }],
    differs: clearerMessage('unexpected EOF\n', 'unexpected EOF: message at byte offset 0 declares 32 bytes but only 3 remain\n')
  },
  { name: '5.1 an empty protobuf PUT', steps: [put('/metrics/job/a', 'm 1\n'), { method: 'PUT', path: '/metrics/job/a', body: Buffer.alloc(0), headers: { 'content-type': PROTOBUF_CONTENT_TYPE } }] },
  { name: '5.1 a protobuf type clash across groups', steps: [put('/metrics/job/a', '# TYPE g counter\ng 1\n'), protobuf('PUT', '/metrics/job/b', '# TYPE g gauge\ng 2\n')] },
  { name: '5.1 protobuf with labels the text format cannot carry', steps: [protobuf('PUT', '/metrics/job/a', 'm{a="x\\"y\\\\z\\nw",b="\u00fc\u4e2d"} 1\n')] },
  { name: '5.1 Content-Type text/plain with version=0.0.4', steps: [put('/metrics/job/a', TEXT, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })] },
  { name: '5.1 curl\'s application/x-www-form-urlencoded', steps: [post('/metrics/job/a', TEXT, { 'content-type': 'application/x-www-form-urlencoded' })] },
  { name: '5.1 a malformed Content-Type is read as text', steps: [put('/metrics/job/a', TEXT, { 'content-type': ';;;' }), put('/metrics/job/b', 'm 1\n', { 'content-type': 'application/json' })] },
  { name: '5.1 an OpenMetrics body both sides read the same', steps: [put('/metrics/job/a', '# TYPE g gauge\n# HELP g A gauge.\ng 1\n# EOF\n', { 'content-type': OPENMETRICS })] },
  {
    name: '5.1 an OpenMetrics counter',
    steps: [put('/metrics/job/a', '# TYPE c counter\nc_total 3\nc_created 1.7e9\n# EOF\n', { 'content-type': OPENMETRICS })],
    differs: {
      readme: 'OpenMetrics bodies are parsed as OpenMetrics',
      reference: (t, run) => {
        t.equal(run.answers[0]?.status, 200, '1.5.1 reads them as text 0.0.4')
        t.match(run.metrics, '# TYPE c_created untyped\nc_created{instance="",job="a"} 1.7e+09\n# TYPE c_total untyped\nc_total{instance="",job="a"} 3\n', 'so the counter becomes two untyped families')
      },
      ours: (t, run) => {
        t.equal(run.answers[0]?.status, 200)
        t.match(run.metrics, '# TYPE c_total counter\nc_total{instance="",job="a"} 3\n', 'a counter, as the body says')
      }
    }
  },
  { name: '5.2 the text parser on CR LF line ends', steps: [put('/metrics/job/a', 'm 1\r\nn 2\r\n')] },
  { name: '5.2 a body without a final newline', steps: [put('/metrics/job/a', 'm 1')] },
  { name: '5.2 comments, blank lines and spaces', steps: [put('/metrics/job/a', '# a comment\n\n  m   1  \n#TYPE x gauge\n# HELP\n')] },
  { name: '5.2 special values', steps: [put('/metrics/job/a', 'a NaN\nb +Inf\nc -Inf\nd -0\ne 1e300\nf 0.000001\ng 123456789012345678\nh .5\ni 5.\nj +3\nk Inf\n')] },
  { name: '5.2 label value escapes', steps: [put('/metrics/job/a', 'm{a="\\\\",b="\\"",c="\\n",d="x y",e="\u00e9"} 1\n')] },
  { name: '5.2 a histogram without +Inf and a summary without quantiles', steps: [put('/metrics/job/a', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n# TYPE s summary\ns_sum 1\ns_count 2\n')] },
  {
    name: '5.2 a histogram with float counts',
    steps: [put('/metrics/job/a', '# TYPE h histogram\nh_bucket{le="1"} 1.5\nh_bucket{le="+Inf"} 2.5\nh_sum 1\nh_count 2.5\n')],
    differs: {
      readme: 'histogram counts that are not integers are kept',
      reference: (t, run) => {
        t.match(run.metrics, 'h_bucket{instance="",job="a",le="1"} 1\nh_bucket{instance="",job="a",le="+Inf"} 2\n', 'the Go gateway\'s text parser truncates them to integers')
      },
      ours: (t, run) => {
        t.match(run.metrics, 'h_bucket{instance="",job="a",le="1"} 1.5\nh_bucket{instance="",job="a",le="+Inf"} 2.5\n', 'a float histogram, as client_model\'s cumulative_count_float carries it')
      }
    }
  },
  {
    name: '5.2 a body that is not UTF-8',
    steps: [{ method: 'PUT', path: '/metrics/job/a', body: Buffer.from([0x6d, 0x7b, 0x61, 0x3d, 0x22, 0xff, 0x22, 0x7d, 0x20, 0x31, 0x0a]) }],
    differs: clearerMessage('text format parsing error in line 1: invalid label value "\\xff"\n', 'the request body is not valid UTF-8\n')
  },
  { name: '5.4 a body over 1 MiB', steps: [put('/metrics/job/a', Array.from({ length: 40000 }, (_, i) => `series_with_a_long_name{index="${i}"} ${i}\n`).join(''))] }
]

differential(sequences)
