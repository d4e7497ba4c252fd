// Spec sections 2 and 13 (URL): the grouping key as the URL gives it, against the reference.
import { differential, del, put, post, request, type Sequence } from './differential.js'

const M = 'm 1\n'

const sequences: Sequence[] = [
  { name: '13.1 a plain job', steps: [put('/metrics/job/a', M)] },
  { name: '13.2 job@base64 with and without padding', steps: [put('/metrics/job@base64/YS9i', M), put('/metrics/job@base64/YS9i=', 'n 2\n'), post('/metrics/job@base64/YS9i==', 'o 3\n')] },
  { name: '13.3 a label value in base64 with a slash', steps: [put('/metrics/job/a/p@base64/L3Zhci90bXA', M)] },
  { name: '13.4 an empty value in base64 (=) next to another label', steps: [put('/metrics/job/a/e@base64/=/x/y', M)] },
  { name: '13.4 a trailing empty value', steps: [put('/metrics/job/a/e/', M)] },
  { name: '13.5 a repeated label name: the last value wins', steps: [put('/metrics/job/a/x/1/x/2', M)] },
  { name: '13.5 job given again as a label is ignored', steps: [put('/metrics/job/a/job/b', M)] },
  { name: '13.6 improper label name a=b', steps: [put('/metrics/job/a/a=b/1', M)] },
  { name: '13.6 a reserved label name __a', steps: [put('/metrics/job/a/__a/1', M)] },
  { name: '13.6 an odd number of components', steps: [put('/metrics/job/x/a/1/b', M)] },
  { name: '13.6 invalid base64 in a label value', steps: [put('/metrics/job/x/a@base64/foo.bar', M)] },
  { name: '13.6 invalid base64 in the job name', steps: [put('/metrics/job@base64/foo.bar', M)], isolated: true },
  { name: '13.7 GET, OPTIONS and HEAD on a push path', steps: [request('GET', '/metrics/job/x'), request('OPTIONS', '/metrics/job/x'), request('PATCH', '/metrics/job/x')] },
  { name: '13.7 POST to /metrics/job without a job is a 404', steps: [{ ...post('/metrics/job', M), statusOnly: true }, { ...put('/metrics/jobs/a', M), statusOnly: true }, put('/metrics', M)] },
  {
    name: '13.7 a trailing slash after job',
    steps: [post('/metrics/job/', M)],
    differs: {
      readme: 'no redirects on push paths',
      reference: (t, run) => {
        t.equal(run.answers[0]?.status, 307, 'Go\'s ServeMux redirects')
        t.equal(run.answers[0]?.headers.location, '/metrics/job', 'to a path that is itself a 404')
      },
      ours: (t, run) => {
        t.same([run.answers[0]?.status, run.answers[0]?.body], [400, 'job name is required\n'])
      }
    }
  },
  {
    name: '13.7 an empty segment inside the labels',
    steps: [put('/metrics/job/a/x//y/z', M)],
    differs: {
      readme: 'no redirects on push paths',
      reference: (t, run) => {
        t.equal(run.answers[0]?.status, 301, 'Go\'s ServeMux cleans the path and redirects (307 since Go 1.26)')
        t.equal(run.answers[0]?.headers.location, '/metrics/job/a/x/y/z')
        t.same((run.api as { data: unknown[] }).data, [], 'nothing is stored')
      },
      ours: (t, run) => {
        t.equal(run.answers[0]?.status, 200, 'an empty segment is an empty value')
        t.same((run.api as { data: Array<{ labels: unknown }> }).data.map(group => group.labels), [{ job: 'a', x: '', y: 'z' }])
      }
    }
  },
  { name: '13.8 plus and %20 in a value', steps: [put('/metrics/job/a/v/b+c%20d', M)] },
  {
    name: '2.5 percent-encoded slashes, as prom-client sends them',
    steps: [put('/metrics/job/a/v/b%2Fc', M), put('/metrics/job/b/x/p%2Fq%2Fr', M), put('/metrics/job/c%2Fd', M), put('/metrics/job/e/path/%2Fvar%2Ftmp', M)],
    differs: {
      readme: 'a %2F in the grouping path is a slash in that job, name or value',
      reference: (t, run) => {
        t.same(run.answers.map(answer => answer.status), [400, 200, 400, 301], 'Go decodes before it splits: odd components, other labels, or a redirect')
        t.same(run.rawBodies[0], 'odd number of components in label string "/v/b/c"\n')
        t.same((run.api as { data: Array<{ labels: unknown }> }).data.map(group => group.labels), [{ job: 'b', q: 'r', x: 'p' }], 'silently wrong labels')
      },
      ours: (t, run) => {
        t.same(run.answers.map(answer => answer.status), [200, 200, 200, 200])
        t.same((run.api as { data: Array<{ labels: unknown }> }).data.map(group => group.labels), [
          { job: 'a', v: 'b/c' }, { job: 'b', x: 'p/q/r' }, { job: 'c/d' }, { job: 'e', path: '/var/tmp' }
        ], 'what the client meant')
      }
    }
  },
  { name: '2.1 a label value with UTF-8 and quotes', steps: [put('/metrics/job/j%C3%B6b/v/%22q%22%5C', M)] },
  { name: '2.2 base64 URL alphabet with - and _', steps: [put('/metrics/job/a/v@base64/Pz8_fn5-', M)] },
  { name: '2.2 base64 with the standard alphabet is refused in a value', steps: [put('/metrics/job/a/v@base64/Pz8/fn5+', M)] },
  {
    name: '2.2 a base64 value that is not UTF-8',
    steps: [put('/metrics/job/a/v@base64/-_-_', M), put('/metrics/job/b', 'n 2\n')],
    differs: {
      readme: 'a grouping key that is not UTF-8 is refused (400) instead of poisoning /metrics',
      reference: (t, run) => {
        t.equal(run.answers[0]?.status, 400, 'the push is refused')
        t.match(run.rawBodies[0], /has a label named "v" whose value is not utf8/)
        t.same((run.api as { data: unknown[] }).data.length, 2, 'yet the group stays, with its failure time')
        t.match(run.metrics, /^An error has occurred while serving metrics:/, 'and every later scrape fails')
      },
      ours: (t, run) => {
        t.same(run.answers[0], { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'grouping key is not valid UTF-8\n' })
        t.same((run.api as { data: Array<{ labels: unknown }> }).data.map(group => group.labels), [{ job: 'b' }], 'no group is left behind')
        t.match(run.metrics, /^# TYPE n untyped\nn\{instance="",job="b"\} 2\n/, 'the scrape still works')
      }
    }
  },
  { name: '2.4 label order in the URL does not make another group', steps: [put('/metrics/job/a/x/1/y/2', M), post('/metrics/job/a/y/2/x/1', 'n 2\n')] },
  { name: '3.4 DELETE takes only its exact grouping key', steps: [put('/metrics/job/x', M), put('/metrics/job/x/instance/y', 'n 2\n'), del('/metrics/job/x')] },
  { name: '3.4 DELETE with base64 and a missing group', steps: [put('/metrics/job@base64/YS9i/v@base64/Yw', M), del('/metrics/job@base64/YS9i/v@base64/Yw'), del('/metrics/job/none')] }
]

differential(sequences)
