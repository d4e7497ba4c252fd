// Spec sections 6 and 13 (exposition): order, number formatting and content negotiation of
// GET /metrics, against the reference.
import { differential, get, put, request, scrapeType, type Sequence } from './differential.js'

const PROTOBUF_ACCEPT = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'
const MIXED = '# HELP z_last Last.\n# TYPE z_last gauge\nz_last 1\n# TYPE a_first counter\na_first{b="2"} 1\na_first{b="10"} 2\na_first{a="1",b="1"} 3\na_first 4\n' +
  '# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="1e-05"} 0\nh_bucket{le="+Inf"} 2\nh_sum 0.75\nh_count 2\n' +
  '# TYPE s summary\ns{quantile="0.99"} 9\ns{quantile="0.5"} 5\ns_sum 20\ns_count 3\nm_untyped 7\n'

const sequences: Sequence[] = [
  { name: '13.18 families by name, metrics by label count then values', steps: [put('/metrics/job/b', MIXED), put('/metrics/job/a/instance/x', '# TYPE a_first counter\na_first{b="3"} 9\n# HELP z_last Last.\n# TYPE z_last gauge\nz_last 2\n'), get('/metrics')] },
  { name: '6.2 label values compared by bytes, not numbers', steps: [put('/metrics/job/j', 'm{v="10"} 1\nm{v="9"} 2\nm{v="Z"} 3\nm{v="a"} 4\nm{v="\u00e9"} 5\nm{v=""} 6\n'), get('/metrics')] },
  { name: '6.2 metrics with more labels come later', steps: [put('/metrics/job/j', 'm{a="1",b="2",c="3"} 1\nm{z="1"} 2\nm 3\n'), put('/metrics/job/j/instance/i/x/y', 'm 4\n'), get('/metrics')] },
  { name: '6.2 groups with different label names', steps: [put('/metrics/job/a/zone/eu', 'm 1\n'), put('/metrics/job/a/az/1', 'm 2\n'), put('/metrics/job/b', 'm{zone="eu"} 3\n'), get('/metrics')] },
  { name: 'A float formatting of samples', steps: [put('/metrics/job/f', 'a 0.1\nb 1e21\nc 1e-7\nd -0\ne 123456789\nf 1.5e+300\ng 5e-324\nh 1.7976931348623157e308\ni 0.000123\nj 100000\nk 1e20\nl 12345678901234567890\nm 3.0\nn -2.5e-10\n'), get('/metrics')] },
  { name: 'A NaN and infinities', steps: [put('/metrics/job/f', 'a NaN\nb +Inf\nc -Inf\n# TYPE h histogram\nh_bucket{le="-Inf"} 0\nh_bucket{le="+Inf"} 1\nh_sum NaN\nh_count 1\n'), get('/metrics')] },
  { name: 'A le and quantile values rewritten from the parsed float', steps: [put('/metrics/job/f', '# TYPE h histogram\nh_bucket{le="1.0"} 1\nh_bucket{le="0.10"} 0\nh_bucket{le="1e3"} 2\nh_bucket{le="+inf"} 3\nh_sum 1\nh_count 3\n# TYPE s summary\ns{quantile="0.50"} 1\ns{quantile="9.9e-1"} 2\ns_sum 1\ns_count 1\n'), get('/metrics')] },
  { name: '6.4 HELP and label escaping', steps: [put('/metrics/job/e', '# HELP m Back\\\\slash, new\\nline, "quotes".\nm{v="a\\"b\\\\c\\nd"} 1\n'), get('/metrics')] },
  { name: '6.4 UTF-8 in values and HELP', steps: [put('/metrics/job/%C3%BC', '# HELP m Gr\u00fc\u00dfe \u4e2d\u6587 \ud83d\ude00.\nm{v="\u00e9\ud83d\ude00"} 1\n'), get('/metrics')] },
  { name: '6.4 a summary and a histogram without observations', steps: [put('/metrics/job/e', '# TYPE s summary\ns_sum 0\ns_count 0\n# TYPE h histogram\nh_sum 0\nh_count 0\n'), get('/metrics')] },
  { name: '6.1 a family with no metrics is not shown', steps: [put('/metrics/job/e', '# TYPE lonely gauge\n# HELP lonely Nothing.\nm 1\n'), get('/metrics')] },
  { name: '13.19 Accept: protobuf', steps: [put('/metrics/job/p', MIXED), get('/metrics', { accept: PROTOBUF_ACCEPT })] },
  { name: '13.19 Accept: protobuf with a quality below text', steps: [put('/metrics/job/p', 'm 1\n'), get('/metrics', { accept: `${PROTOBUF_ACCEPT};q=0.5,text/plain;version=0.0.4;q=0.9` })] },
  {
    name: '6.5 Accept: the protobuf text debugging formats',
    steps: [
      put('/metrics/job/p', 'm 1\n'),
      get('/metrics', { accept: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text' }),
      get('/metrics', { accept: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=compact-text' })
    ],
    differs: {
      readme: 'the protobuf text debugging formats are not served',
      reference: (t, run, version) => {
        t.equal(run.answers[1]?.headers['content-type'], scrapeType('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text', version))
        t.equal(run.answers[2]?.headers['content-type'], scrapeType('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=compact-text', version))
      },
      ours: (t, run) => {
        for (const answer of run.answers.slice(1)) {
          t.equal(answer.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores', 'text 0.0.4')
          t.match(answer.body, 'm{instance="",job="p"} 1\n')
        }
      }
    }
  },
  { name: '13.19 Accept-Encoding: gzip', steps: [put('/metrics/job/p', MIXED), get('/metrics', { 'accept-encoding': 'gzip' }), get('/metrics', { 'accept-encoding': 'gzip, deflate, br' }), get('/metrics', { 'accept-encoding': 'identity' })] },
  {
    name: '6.5 Accept-Encoding: gzip;q=0',
    steps: [put('/metrics/job/p', 'm 1\n'), get('/metrics', { 'accept-encoding': 'gzip;q=0' })],
    versions: {
      readme: 'Accept-Encoding weights are honoured',
      follows: '1.11.0',
      other: (t, run) => {
        t.equal(run.answers[1]?.headers['content-encoding'], 'gzip', '1.5.1 gzips what the client refused')
      }
    }
  },
  { name: '13.19 gzip and protobuf together', steps: [put('/metrics/job/p', MIXED), get('/metrics', { accept: PROTOBUF_ACCEPT, 'accept-encoding': 'gzip' })] },
  { name: '6.5 Accept headers that fall back to text', steps: [put('/metrics/job/p', 'm 1\n'), get('/metrics', { accept: '*/*' }), get('/metrics', { accept: 'text/plain' }), get('/metrics', { accept: 'application/json' }), get('/metrics', { accept: 'garbage;;;' })] },
  {
    name: '13.19 Accept: OpenMetrics',
    steps: [put('/metrics/job/p', '# TYPE c_total counter\nc_total 1\n'), get('/metrics', { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' })],
    differs: {
      readme: 'OpenMetrics is served on request',
      reference: (t, run, version) => {
        t.equal(run.answers[1]?.headers['content-type'], scrapeType('text/plain; version=0.0.4; charset=utf-8', version), 'the Go gateway serves text 0.0.4')
      },
      ours: (t, run) => {
        t.equal(run.answers[1]?.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores')
        t.match(run.rawBodies[1], /# TYPE c counter\nc_total\{instance="",job="p"\} 1\.0\n/)
        t.match(run.rawBodies[1], /# EOF\n$/)
      }
    }
  },
  { name: '6.5 HEAD and POST on /metrics', steps: [put('/metrics/job/p', 'm 1\n'), request('HEAD', '/metrics'), { ...request('POST', '/metrics'), statusOnly: true }] }
]

differential(sequences)
