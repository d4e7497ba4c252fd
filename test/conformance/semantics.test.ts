// Spec sections 3, 4 and 13 (semantics): PUT, POST, DELETE, label sanitizing, timestamps, the
// consistency check and HELP/TYPE handling, against the reference.
import { differential, del, get, put, post, request, type Sequence } from './differential.js'

const sequences: Sequence[] = [
  {
    name: '13.9 PUT, POST, empty POST, empty PUT',
    steps: [
      put('/metrics/job/a', 'm1 1\nm2 2\n'), get('/metrics'),
      post('/metrics/job/a', 'm2 20\nm3 30\n'), get('/metrics'),
      post('/metrics/job/a', ''), get('/metrics'),
      put('/metrics/job/a', ''), get('/metrics'), get('/api/v1/metrics')
    ]
  },
  { name: '3.2 PUT replaces the whole group', steps: [put('/metrics/job/a/instance/i', 'a 1\nb 2\n'), put('/metrics/job/a/instance/i', 'c 3\n')] },
  { name: '3.3 POST replaces every metric of a pushed family', steps: [put('/metrics/job/a', 'm{x="1"} 1\nm{x="2"} 2\nn 5\n'), post('/metrics/job/a', 'm{x="3"} 3\n')] },
  { name: '3.3 POST creates a group', steps: [post('/metrics/job/a/instance/i', '# TYPE c counter\nc 1\n')] },
  { name: '3.2 PUT to one group leaves the others alone', steps: [put('/metrics/job/a', 'm 1\n'), put('/metrics/job/b', 'm 2\n'), put('/metrics/job/a', 'n 3\n')] },
  { name: '13.10 a body label that contradicts the grouping key is overwritten', steps: [put('/metrics/job/a/instance/i', 'm{job="other",instance="x",k="v"} 1\n')] },
  { name: '13.10 a body instance is kept when the grouping key has none', steps: [put('/metrics/job/a', 'm{instance="x"} 1\nm{instance="y"} 2\n')] },
  { name: '3.5 an empty instance label in the body', steps: [put('/metrics/job/a', 'm{instance=""} 1\n')] },
  { name: '3.5 empty label values in the body', steps: [put('/metrics/job/a', 'm{x="",y="1"} 1\n')] },
  { name: '3.5 grouping labels besides job are added to every metric', steps: [put('/metrics/job/a/zone/eu/rack/r1', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\nm 1\n')] },
  { name: '13.11 a pushed timestamp is refused and leaves a failed group', steps: [put('/metrics/job/a', 't 1 1000\n'), get('/api/v1/metrics')] },
  { name: '3.6 a timestamp in a POST to an existing group keeps its metrics', steps: [put('/metrics/job/a', 'm 1\n'), post('/metrics/job/a', 'm 2\nt 1 1000\n')] },
  { name: '3.6 a later success clears last_push_successful', steps: [put('/metrics/job/a', 't 1 1000\n'), put('/metrics/job/a', 't 1\n')] },
  { name: '13.12 gauge against counter across groups', steps: [put('/metrics/job/a', '# TYPE m gauge\nm 1\n'), put('/metrics/job/b', '# TYPE m counter\nm 1\n')] },
  { name: '13.12 gauge against untyped across groups', steps: [put('/metrics/job/a', '# TYPE m gauge\nm 1\n'), put('/metrics/job/b', 'm 1\n')] },
  { name: '3.7 untyped against histogram across groups', steps: [put('/metrics/job/a', 'm 1\n'), put('/metrics/job/b', '# TYPE m histogram\nm_bucket{le="+Inf"} 1\nm_sum 1\nm_count 1\n')] },
  { name: '3.7 a type clash with a family of the same group is no clash for PUT', steps: [put('/metrics/job/a', '# TYPE m gauge\nm 1\n'), put('/metrics/job/a', '# TYPE m counter\nm 1\n')] },
  { name: '3.7 a type clash in POST with a family it replaces', steps: [put('/metrics/job/a', '# TYPE m gauge\nm 1\n'), post('/metrics/job/a', '# TYPE m counter\nm 2\n')] },
  { name: '13.12 a duplicate series within one push', steps: [put('/metrics/job/a', 'm{x="1"} 1\nm{x="1"} 2\n')] },
  { name: '13.12 the same series from two groups', steps: [put('/metrics/job/a', 'm{x="1"} 1\n'), put('/metrics/job/a/x/1', 'm 2\n')] },
  { name: '3.7 a histogram whose _count clashes with another group\'s gauge', steps: [put('/metrics/job/a', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'), put('/metrics/job/b', '# TYPE h_count gauge\nh_count 1\n')] },
  { name: '3.7 a gauge whose name is another group\'s summary _sum', steps: [put('/metrics/job/a', '# TYPE s_sum gauge\ns_sum 1\n'), put('/metrics/job/b', '# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 1\ns_count 1\n')] },
  { name: '3.7 a failed push leaves the group as it was', steps: [put('/metrics/job/a', '# TYPE m gauge\nm 1\n'), put('/metrics/job/b', 'n 1\n'), post('/metrics/job/b', '# TYPE m counter\nm 1\n'), get('/api/v1/metrics')] },
  { name: '13.13 a parse error creates no group', steps: [put('/metrics/job/a', 'm{ 1\n'), put('/metrics/job/b', 'm 1 2 3\n'), put('/metrics/job/c', '# TYPE m gauge\n# TYPE m gauge\n')] },
  { name: '5.2 parse errors name the line', steps: [put('/metrics/job/a', 'a 1\nb 2\n\nc{x="\\q"} 3\n'), put('/metrics/job/a', '# TYPE x histogram\nx_bucket{le="a"} 1\n'), put('/metrics/job/a', 'x{a="1",a="2"} 1\n'), put('/metrics/job/a', '1x 1\n')] },
  { name: '5.2 a value that is not a number', steps: [put('/metrics/job/a', 'm one\n'), put('/metrics/job/a', 'm 0x10\n'), put('/metrics/job/a', 'm 1_000\n')] },
  { name: '13.14 DELETE answers 202 whether or not the group exists', steps: [put('/metrics/job/a', 'm 1\n'), del('/metrics/job/a'), del('/metrics/job/a'), del('/metrics/job/never/x/y')] },
  { name: '13.14 DELETE of a group leaves its neighbours', steps: [put('/metrics/job/x', 'm 1\n'), put('/metrics/job/x/instance/y', 'm 2\n'), put('/metrics/job/y', 'm 3\n'), del('/metrics/job/x')] },
  { name: '3.4 DELETE then PUT recreates the group', steps: [put('/metrics/job/a', 'm 1\n'), del('/metrics/job/a'), put('/metrics/job/a', 'n 2\n')] },
  { name: '3.4 a DELETE body is ignored', steps: [put('/metrics/job/a', 'm 1\n'), { method: 'DELETE', path: '/metrics/job/a', body: 'garbage{\n' }] },
  { name: '3.9 TYPE without samples', steps: [put('/metrics/job/a', '# TYPE m gauge\n# HELP m Help.\nn 1\n')] },
  { name: '3.9 HELP with escapes', steps: [put('/metrics/job/a', '# HELP m A \\\\ backslash and\\na newline.\n# TYPE m counter\nm 1\n')] },
  { name: '3.9 HELP without TYPE', steps: [put('/metrics/job/a', '# HELP m Only help.\nm 1\n')] },
  { name: '3.9 the same HELP from two groups', steps: [put('/metrics/job/a', '# HELP m Same.\nm 1\n'), put('/metrics/job/b', '# HELP m Same.\nm 2\n')] },
  {
    name: '6.3 one group with HELP, one without',
    steps: [put('/metrics/job/a', 'm 1\n'), put('/metrics/job/b', '# HELP m Some help.\nm 2\n'), get('/metrics'), get('/metrics'), get('/metrics'), get('/metrics')],
    differs: {
      readme: 'HELP disagreements: the oldest group wins',
      reference: (t, run) => {
        for (const answer of run.answers.slice(2)) t.match(answer.body, /^(# HELP m Some help\.\n)?# TYPE m untyped\n/, 'the help of a group chosen at random, perhaps none')
      },
      ours: (t, run) => {
        for (const answer of run.answers.slice(2)) t.match(answer.body, /^# HELP m Some help\.\n# TYPE m untyped\n/, 'groups without HELP are passed over')
      }
    }
  },
  {
    name: '6.3 two groups with different HELP',
    steps: [put('/metrics/job/a', '# HELP m First.\nm 1\n'), put('/metrics/job/b', '# HELP m Second.\nm 2\n'), get('/metrics'), get('/metrics'), get('/metrics'), get('/metrics')],
    differs: {
      readme: 'HELP disagreements: the oldest group wins',
      reference: (t, run) => {
        t.same(run.answers.slice(0, 2).map(answer => answer.status), [200, 200])
        for (const answer of run.answers.slice(2)) t.match(answer.body, /^# HELP m (First|Second)\.\n/, 'one of the two, chosen at random by map order')
      },
      ours: (t, run) => {
        t.same(run.answers.slice(0, 2).map(answer => answer.status), [200, 200])
        for (const answer of run.answers.slice(2)) t.match(answer.body, /^# HELP m First\.\n# TYPE m untyped\nm\{instance="",job="a"\} 1\nm\{instance="",job="b"\} 2\n/)
      }
    }
  },
  { name: '13.12 go_goroutines pushed as a gauge with its own HELP', steps: [put('/metrics/job/a', '# HELP go_goroutines Mine.\n# TYPE go_goroutines gauge\ngo_goroutines 5\n')] },
  {
    name: '13.12 go_goroutines pushed as a counter',
    steps: [put('/metrics/job/a', '# TYPE go_goroutines counter\ngo_goroutines 5\n')],
    differs: {
      readme: 'the gateway\'s own families are its registry\'s, not Go\'s',
      reference: (t, run) => {
        t.same([run.answers[0]?.status, run.rawBodies[0]], [400, 'pushed metrics are invalid or inconsistent with existing metrics: gathered metric family go_goroutines has type COUNTER but should have GAUGE\n'])
      },
      ours: (t, run) => {
        t.equal(run.answers[0]?.status, 200, 'a Node gateway has no go_goroutines of its own')
      }
    }
  },
  {
    name: '4 a pushed push_time_seconds is replaced by the push time',
    steps: [put('/metrics/job/a', 'push_time_seconds 5\nm 1\n'), post('/metrics/job/a', 'push_time_seconds{x="1"} 5\n')]
  },
  {
    name: '4 a pushed push_failure_time_seconds on a new group',
    steps: [put('/metrics/job/a', 'push_failure_time_seconds 5\nm 1\n')]
  },
  {
    name: '4 a pushed push_failure_time_seconds on an existing group',
    steps: [
      put('/metrics/job/a', 'm 1\n'), put('/metrics/job/a', '# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 5\nm 2\n'),
      put('/metrics/job/b', 'm 1\n'), put('/metrics/job/b', 'push_failure_time_seconds 5\nm 2\n')
    ],
    differs: {
      readme: 'pushed push_time_seconds and push_failure_time_seconds are always ignored',
      reference: (t, run) => {
        t.same(run.answers.map(answer => answer.status), [200, 200, 200, 400])
        t.match(run.rawMetrics, 'push_failure_time_seconds{instance="",job="a"} 5\n', 'Go keeps a pushed gauge value on an existing group')
        t.match(run.rawBodies[3], /^pushed metrics are invalid or inconsistent with existing metrics: collected metric "push_failure_time_seconds" .* is not a(?:n)? (?:GAUGE|UNTYPED)\n$/, 'and refuses an untyped one (naming either side: map order)')
      },
      ours: (t, run) => {
        t.same(run.answers.map(answer => answer.status), [200, 200, 200, 200])
        t.match(run.metrics, 'push_failure_time_seconds{instance="",job="a"} 0\n', 'the failure time is the gateway\'s own')
        t.match(run.metrics, 'm{instance="",job="b"} 2\n')
      }
    }
  },
  { name: '3.1 a request with an unknown method on a push path', steps: [request('PATCH', '/metrics/job/a'), request('HEAD', '/metrics/job/a')] },
  { name: '3.5 a body metric named like a grouping label value', steps: [put('/metrics/job/job', 'job 1\n'), put('/metrics/job/instance/instance/instance', 'instance 2\n')] },
  { name: '3.2 many groups and families', steps: Array.from({ length: 12 }, (_, i) => put(`/metrics/job/j${i % 4}/instance/i${i}`, `# TYPE c_total counter\nc_total{k="${i}"} ${i}\n# TYPE g gauge\ng ${i / 3}\n`)) }
]

differential(sequences)
