// Without `--push.enable-utf8-names`, against 1.11.0 run without it: `U__` label names are
// ordinary names, quoted names must still be legacy ones, and a scrape's Content-Type names the
// escaping asked for though no name needs it.
import type { Test } from 'tap'
import { differential, get, put, type Run, type Sequence } from './differential.js'

const PROTOBUF_ACCEPT = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'

const sequences: Sequence[] = [
  {
    name: '2.6 without UTF-8 names a U__ label name is kept as written',
    steps: [put('/metrics/job/a/U__my_2e_label@base64/di94', 'm 1\n'), put('/metrics/job/a/my.label/v', 'm 1\n'), get('/metrics'), get('/api/v1/metrics')]
  },
  {
    name: '2.6 quoted legacy names are read',
    steps: [put('/metrics/job/b', 'm{"a"="1"} 1\n# TYPE "q" gauge\n"q" 2\n{"r"} 3\n'), get('/metrics')]
  },
  {
    name: '13.19 every escaping scheme is named, and changes no legacy name',
    steps: [
      put('/metrics/job/c', '# TYPE a_b:c counter\na_b:c{x_y="1"} 1\n'),
      ...['allow-utf-8', 'underscores', 'dots', 'values', 'bogus'].flatMap(scheme => [
        get('/metrics', { accept: `text/plain;version=0.0.4;escaping=${scheme}` }),
        get('/metrics', { accept: `${PROTOBUF_ACCEPT};escaping=${scheme}` })
      ])
    ]
  },
  {
    name: '2.6 quoted UTF-8 names without UTF-8 names',
    steps: [put('/metrics/job/d', '{"my.metric"} 1\n'), put('/metrics/job/e', 'm{"a.b"="1"} 1\n'), get('/metrics'), get('/api/v1/metrics')],
    differs: {
      readme: 'Without UTF-8 names, quoted UTF-8 names are a parse error',
      reference: (t: Test, run: Run) => {
        t.equal(run.answers[0]?.status, 200, '1.11.0 takes a UTF-8 metric name without the flag')
        t.match(run.rawMetrics, 'my_metric{instance="",job="d"} 1\n')
        t.equal(run.answers[1]?.status, 0, 'but refuses a UTF-8 label name as inconsistent: the connection is dropped')
        t.match(run.rawMetrics, /push_failure_time_seconds\{instance="",job="e"\} [1-9]/, 'and the group records a failed push')
      },
      ours: (t: Test, run: Run) => {
        t.same(run.answers.slice(0, 2).map(a => a.status), [400, 400])
        t.equal(run.rawBodies[0], 'text format parsing error in line 1: invalid metric name "my.metric"\n')
        t.equal(run.rawBodies[1], 'text format parsing error in line 1: invalid label name "a.b"\n')
        t.same((run.api as { data: unknown[] }).data, [], 'nothing is stored')
      }
    }
  }
]

differential(sequences, { utf8Names: false })
