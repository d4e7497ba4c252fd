// Spec sections 7 and 13 (API and management): /api/v1 shapes, CORS, wipe, health and lifecycle,
// against the reference.
import { differential, del, get, put, request, type Run, type Sequence, type Step } from './differential.js'
import { encodeDelimited, PROTOBUF_CONTENT_TYPE } from '../../src/exposition/protobuf.js'
import { emptyHistogram, type Histogram } from '../../src/exposition/types.js'

/** A PUT of native histograms in delimited protobuf, as the Go client sends them. */
function nativePut (path: string, histograms: Record<string, Partial<Histogram>>): Step {
  const families = Object.entries(histograms).map(([name, h]) => ({ name, type: 'histogram' as const, metrics: [{ labels: [], histogram: { ...emptyHistogram(), ...h } }] }))
  return { method: 'PUT', path, body: encodeDelimited(families), headers: { 'content-type': PROTOBUF_CONTENT_TYPE } }
}

const FLOAT_NATIVE: Partial<Histogram> = { schema: 0, sampleCountFloat: 7.5, zeroCountFloat: 0.5, sampleSum: -3, positiveSpans: [{ offset: 1, length: 2 }], positiveCounts: [2.5, 4.5] }
// What 1.11.0 answers in /api/v1/metrics for FLOAT_NATIVE, and ours too.
const FLOAT_NATIVE_API = { buckets: [[3, '-0', '0', '0.5'], [0, '1', '2', '2.5'], [0, '2', '4', '4.5']], count: '7.5', labels: { instance: '', job: 'native' }, sum: '-3' }

function floatMetric (run: Run): unknown {
  return (run.api as { data: Array<Record<string, { metrics: unknown[] }>> }).data[0]?.['float']?.metrics[0]
}

const NATIVE: Record<string, Partial<Histogram>> = {
  integer: { schema: 3, zeroThreshold: 0.001, zeroCount: 2, sampleCount: 19, sampleSum: 12.5, positiveSpans: [{ offset: -2, length: 3 }, { offset: 2, length: 2 }], positiveDeltas: [1, 2, -3, 4, -1], negativeSpans: [{ offset: 0, length: 2 }], negativeDeltas: [5, -4] },
  coarse: { schema: -2, sampleCount: 3, sampleSum: 300, positiveSpans: [{ offset: -1, length: 3 }], positiveDeltas: [1, 0, 0] },
  wide: { schema: 8, sampleCount: 4000000, sampleSum: 1, positiveSpans: [{ offset: 250, length: 4 }, { offset: 1000, length: 1 }], positiveDeltas: [1000000, 0, 0, 0, 0] }
}

const keys = (body: unknown): unknown => {
  const status = JSON.parse(body as string) as { status: string, data: { build_information: object, flags: object, start_time: string } }
  return { status: status.status, data: Object.keys(status.data).sort(), build_information: Object.keys(status.data.build_information).sort(), startTime: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(status.data.start_time) }
}

const sequences: Sequence[] = [
  { name: '13.20 /api/v1/metrics on an empty store', steps: [get('/api/v1/metrics')] },
  { name: '7.3 every metric type in the API', steps: [put('/metrics/job/a/instance/i', '# HELP c_total Count.\n# TYPE c_total counter\nc_total{k="v"} 3\n# TYPE g gauge\ng -0\nu 1e21\n# TYPE s summary\ns{quantile="0.5"} 1.5\ns{quantile="0.99"} NaN\ns_sum 10\ns_count 7\n# TYPE h histogram\nh_bucket{le="0.25"} 1\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 3\nh_sum 1.75\nh_count 3\n'), get('/api/v1/metrics')] },
  { name: '7.3 JSON escaping of HTML characters and unicode', steps: [put('/metrics/job/%3Ca%26b%3E', '# HELP m A <summary> & "stuff" \u2028.\nm{q="<&>",u="\u00fc\u4e2d"} 1\n'), get('/api/v1/metrics')] },
  { name: '7.3 a summary without quantiles and a histogram without buckets', steps: [put('/metrics/job/a', '# TYPE s summary\ns_sum 0\ns_count 0\n# TYPE h histogram\nh_sum 0\nh_count 0\n'), get('/api/v1/metrics')] },
  { name: '7.3 values as Go prints them', steps: [put('/metrics/job/a', 'a 0.1\nb 123456789\nc 1e-7\nd +Inf\ne -Inf\nf NaN\ng 100000000000000000000\nh 1.5e+300\n'), get('/api/v1/metrics')] },
  { name: '7.3 a failed push shows last_push_successful false', steps: [put('/metrics/job/a', 'm 1\n'), put('/metrics/job/a', 'm 1 1000\n'), put('/metrics/job/b', 't 1 5\n'), get('/api/v1/metrics')] },
  { name: '7.3 POST keeps the other families', steps: [put('/metrics/job/a', 'm 1\nn 2\n'), put('/metrics/job/a', 'n 3\n', {}), get('/api/v1/metrics')] },
  { name: '7.3 groups with several labels', steps: [put('/metrics/job/a/instance/i/zone/eu', 'm 1\n'), put('/metrics/job/b/instance/', 'm 2\n'), put('/metrics/job/c/x@base64/YS9i', 'm 3\n'), get('/api/v1/metrics')] },
  { name: '13.20 /api/v1/status has the reference\'s keys', steps: [{ ...get('/api/v1/status'), view: keys }] },
  { name: '13.20 CORS on /api/v1 and OPTIONS', steps: [request('OPTIONS', '/api/v1/metrics'), request('OPTIONS', '/api/v1/anything'), request('OPTIONS', '/api/v1/status')] },
  { name: '7.1 unknown API paths and methods', steps: [get('/api/v1/nothing'), { ...get('/api/v2/metrics'), statusOnly: true }, request('POST', '/api/v1/metrics'), request('DELETE', '/api/v1/status')] },
  { name: '13.21 wipe answers 202 and empties the store', steps: [put('/metrics/job/a', 'm 1\n'), put('/metrics/job/b', 'm 2\n'), request('PUT', '/api/v1/admin/wipe'), get('/api/v1/metrics'), get('/metrics')] },
  { name: '7.4 wipe only takes PUT', steps: [put('/metrics/job/a', 'm 1\n'), get('/api/v1/admin/wipe'), request('POST', '/api/v1/admin/wipe'), request('DELETE', '/api/v1/admin/wipe')] },
  { name: '7.4 a wipe on an empty store', steps: [request('PUT', '/api/v1/admin/wipe'), put('/metrics/job/a', 'm 1\n')] },
  { name: '13.21 health and readiness', steps: [get('/-/healthy'), get('/-/ready'), request('HEAD', '/-/healthy'), request('POST', '/-/ready')] },
  { name: '13.21 /-/quit without the lifecycle flag', steps: [request('PUT', '/-/quit'), request('POST', '/-/quit'), get('/-/quit')] },
  {
    name: '7.3 native histograms in the API, from the coarsest schema to the finest',
    steps: [nativePut('/metrics/job/native', NATIVE), get('/api/v1/metrics')],
    versions: {
      readme: 'native histograms in `/api/v1/metrics`',
      follows: '1.11.0',
      other: (t, run) => {
        t.equal(run.answers[0]?.status, 200)
        const group = (run.api as { data: Array<Record<string, { metrics: Array<{ buckets: unknown }> }>> }).data[0]
        t.same(group?.['integer']?.metrics[0]?.buckets, {}, '1.5.1 lists no buckets for a native histogram')
      }
    }
  },
  {
    name: '7.3 a native histogram with float counts in the API and the exposition',
    steps: [nativePut('/metrics/job/native', { float: FLOAT_NATIVE }), get('/api/v1/metrics')],
    differs: {
      readme: 'a float histogram\'s counts show in the text exposition',
      reference: (t, run, version) => {
        t.equal(run.answers[0]?.status, 200)
        if (version === '1.11.0') t.same(floatMetric(run), FLOAT_NATIVE_API, 'the API lists the float buckets')
        t.match(run.rawMetrics, 'float_count{instance="",job="native"} 0\n', 'the text exposition shows the integer count, 0')
      },
      ours: (t, run) => {
        t.same(floatMetric(run), FLOAT_NATIVE_API, 'the API lists the float buckets as 1.11.0 does')
        t.match(run.rawMetrics, 'float_count{instance="",job="native"} 7.5\n', 'the text exposition shows the float count')
      }
    }
  },
  { name: '7.3 DELETE removes the group from the API', steps: [put('/metrics/job/a', 'm 1\n'), put('/metrics/job/b', 'm 1\n'), del('/metrics/job/a'), get('/api/v1/metrics')] }
]

differential(sequences)
