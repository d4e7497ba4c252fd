// UTF-8 metric and label names (`--push.enable-utf8-names`, Pushgateway 1.11): quoted names in the
// text format, `U__` and plain label names in the push path, and the `escaping=` a scrape asks for,
// against 1.11.0 run with the flag (1.5.1 has no such flag).
import type { Test } from 'tap'
import { decodeDelimited, encodeDelimited, PROTOBUF_CONTENT_TYPE } from '../../src/exposition/protobuf.js'
import { parseText } from '../../src/exposition/parse-text.js'
import { del, differential, get, post, put, type Run, type Sequence, type Step } from './differential.js'

const PROTOBUF_ACCEPT = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'
const UTF8_BODY = '# HELP "my.metric" The help.\n# TYPE "my.metric" gauge\n{"my.metric","a.b"="c"} 1\n{"my.metric","a.b"="d"} 2\n' +
  '# TYPE "other.total" counter\n{"other.total","é"="x"} 3\nplain_m{"x.y"="z",b="1"} 4\n' +
  '# TYPE "my.hist" histogram\n{"my.hist_bucket",le="1"} 1\n{"my.hist_bucket",le="+Inf"} 2\n{"my.hist_sum"} 3\n{"my.hist_count"} 2\n' +
  '# TYPE "my.sum" summary\n{"my.sum","q.x"="1",quantile="0.5"} 1\n{"my.sum_sum","q.x"="1"} 2\n{"my.sum_count","q.x"="1"} 3\n'
const ESCAPINGS = ['allow-utf-8', 'underscores', 'dots', 'values', 'bogus']

/** A text body with UTF-8 names re-encoded as delimited protobuf, as client_golang pushes it. */
function utf8Protobuf (method: 'PUT' | 'POST', path: string, text: string): Step {
  return { method, path, body: encodeDelimited(parseText(text, undefined, 'utf8')), headers: { 'content-type': PROTOBUF_CONTENT_TYPE } }
}

/** The family names of a comparable protobuf scrape (`comparableProtobuf`: own families left out). */
function familyNames (body: unknown): string[] {
  return (body as unknown[]).map(family => typeof family === 'string' ? decodeDelimited(Buffer.from(family, 'hex'))[0]?.name ?? '' : (family as { name: string }).name)
}

/** The lines of a scrape's raw body that start a family of that name. */
function typeLines (run: Run, name: string): number {
  return run.rawMetrics.split('\n').filter(line => line.startsWith(`# TYPE ${name} `)).length
}

const sequences: Sequence[] = [
  {
    name: '2.6 quoted names in the text format, scraped with every escaping',
    steps: [
      put('/metrics/job/j', UTF8_BODY),
      get('/metrics'),
      ...ESCAPINGS.map(scheme => get('/metrics', { accept: `text/plain;version=0.0.4;escaping=${scheme}` })),
      get('/metrics', { accept: `${PROTOBUF_ACCEPT};escaping=allow-utf-8` })
    ]
  },
  {
    name: '2.6 protobuf scrapes with every escaping',
    steps: [put('/metrics/job/j', UTF8_BODY), ...ESCAPINGS.map(scheme => get('/metrics', { accept: `${PROTOBUF_ACCEPT};escaping=${scheme}` }))],
    differs: {
      readme: 'protobuf scrapes are escaped as their Content-Type says',
      reference: (t: Test, run: Run) => {
        ESCAPINGS.forEach((scheme, i) => {
          t.equal(run.answers[i + 1]?.headers['content-type'], `${PROTOBUF_CONTENT_TYPE}; escaping=${scheme === 'bogus' ? 'underscores' : scheme}`)
          t.ok(familyNames(run.answers[i + 1]?.body).includes('my.metric'), `1.11.0 sends the names as they are under escaping=${scheme}`)
        })
      },
      ours: (t: Test, run: Run) => {
        const shown = { 'allow-utf-8': 'my.metric', underscores: 'my_metric', dots: 'my_dot_metric', values: 'U__my_2e_metric', bogus: 'my_metric' } as const
        ESCAPINGS.forEach((scheme, i) => {
          t.equal(run.answers[i + 1]?.headers['content-type'], `${PROTOBUF_CONTENT_TYPE}; escaping=${scheme === 'bogus' ? 'underscores' : scheme}`)
          t.ok(familyNames(run.answers[i + 1]?.body).includes(shown[scheme as keyof typeof shown]), `escaping=${scheme} shows ${shown[scheme as keyof typeof shown]}`)
        })
      }
    }
  },
  {
    name: '2.6 U__ and plain UTF-8 label names in the push path, with @base64',
    steps: [
      put('/metrics/job/j/U__my_2e_label/v', 'm 1\n'),
      put('/metrics/job/k/U__my_2e_label@base64/di94/other.label/w', 'm 2\n'),
      put('/metrics/job/l/%C3%A9t%C3%A9/x/U__a__b/y', 'm 3\n'),
      get('/metrics'),
      get('/metrics', { accept: 'text/plain;version=0.0.4;escaping=allow-utf-8' }),
      del('/metrics/job/j/U__my_2e_label/v'),
      get('/metrics', { accept: 'text/plain;version=0.0.4;escaping=values' }),
      get('/api/v1/metrics')
    ]
  },
  {
    name: '2.6 a U__ name that is no escape, and the __ check on the name as written',
    steps: [put('/metrics/job/j/U__a_zz_/v', 'm 1\n'), put('/metrics/job/j/__x/v', 'm 1\n'), put('/metrics/job/k/U____x/v', 'm 2\n'), put('/metrics/job/l/U__/v', 'm 3\n'), get('/metrics')]
  },
  {
    name: '2.6 a protobuf push with UTF-8 names, and a POST that adds to it',
    steps: [
      utf8Protobuf('PUT', '/metrics/job/p', UTF8_BODY),
      post('/metrics/job/p', '# TYPE "late.one" gauge\n{"late.one"} 5\n'),
      get('/metrics'),
      get('/metrics', { accept: `${PROTOBUF_ACCEPT};escaping=allow-utf-8` }),
      get('/api/v1/metrics')
    ]
  },
  {
    name: '13.19 the escaping of names picked across Accept clauses',
    steps: [
      put('/metrics/job/n', '{"a.b","c.d"="e"} 1\n'),
      get('/metrics', { accept: `application/json;escaping=allow-utf-8,${PROTOBUF_ACCEPT}` }),
      get('/metrics', { accept: `text/plain;escaping=dots,${PROTOBUF_ACCEPT}` }),
      get('/metrics', { accept: `text/plain;version=0.0.4;q=0.5;escaping=allow-utf-8,${PROTOBUF_ACCEPT};escaping=values;q=0.1` }),
      get('/metrics', { accept: 'application/json;escaping=values,*/*;escaping=dots' }),
      get('/metrics', { accept: 'text/plain;escaping=' }),
      get('/metrics', { accept: `${PROTOBUF_ACCEPT};escaping=allow-utf-8`, 'accept-encoding': 'gzip' })
    ]
  },
  {
    name: '2.6 names that would show alike after escaping',
    steps: [
      put('/metrics/job/a', '{"a.b"} 1\nm{"x.y"="1"} 1\n'),
      put('/metrics/job/b', 'a_b 2\n'),
      put('/metrics/job/c', 'm{x_y="1"} 3\n'),
      put('/metrics/job/d', '{"p.q"} 4\np_q 5\n'),
      get('/metrics'),
      get('/metrics', { accept: 'text/plain;version=0.0.4;escaping=allow-utf-8' })
    ],
    differs: {
      readme: 'UTF-8 names that would show alike after escaping are refused',
      reference: (t: Test, run: Run) => {
        t.same(run.answers.slice(0, 4).map(a => a.status), [200, 200, 200, 200], 'the Go gateway takes them all')
        t.equal(typeLines(run, 'a_b'), 2, 'a scrape with the default escaping shows the family a_b twice')
        t.equal(run.rawMetrics.split('\n').filter(line => line === 'p_q{instance="",job="d"} 5' || line === 'p_q{instance="",job="d"} 4').length, 2, 'and the series p_q{instance="",job="d"} twice')
      },
      ours: (t: Test, run: Run) => {
        t.equal(run.answers[0]?.status, 200)
        for (const [i, shown] of [[1, '"a_b"'], [2, '"x_y"'], [3, '"p_q"']] as const) {
          t.equal(run.answers[i]?.status, 400, `step ${i + 1} is refused`)
          t.match(run.rawBodies[i], 'pushed metrics are invalid or inconsistent with existing metrics: ')
          t.match(run.rawBodies[i], `would be exposed as ${shown}`)
        }
        t.equal(typeLines(run, 'a_b'), 1, 'one family a_b')
        t.notMatch(run.rawMetrics, 'p_q{', 'nothing of the refused push')
        t.match(run.answers[5]?.body, '{"a.b",instance="",job="a"} 1\n')
      }
    }
  }
]

differential(sequences, { utf8Names: true })
