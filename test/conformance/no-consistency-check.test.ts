// Spec sections 3.8 and 13.15: --push.disable-consistency-check, against the reference with that flag.
import { differential, del, get, post, put, type Sequence } from './differential.js'

const sequences: Sequence[] = [
  { name: '13.15 a valid push answers 202', steps: [put('/metrics/job/a', 'm 1\n'), post('/metrics/job/a', 'n 2\n'), get('/metrics')] },
  { name: '13.15 a push with a timestamp answers 202 and records a failure', steps: [put('/metrics/job/a', 'm 1\n'), put('/metrics/job/a', 'm 2 1000\n'), get('/api/v1/metrics')] },
  { name: '3.8 a parse error is still a 400', steps: [put('/metrics/job/a', 'm{ 1\n')] },
  { name: '3.8 a bad grouping key is still a 400', steps: [put('/metrics/job/a/__x/1', 'm 1\n')] },
  { name: '3.8 DELETE and empty pushes', steps: [put('/metrics/job/a', 'm 1\n'), put('/metrics/job/b', ''), del('/metrics/job/a')] },
  {
    name: '13.15 an inconsistent push',
    steps: [put('/metrics/job/a', '# TYPE m gauge\nm 1\n'), put('/metrics/job/b', '# TYPE m counter\nm 2\n'), get('/metrics')],
    differs: {
      readme: 'consistencyCheck: false drops an inconsistent push instead of breaking every scrape',
      reference: (t, run) => {
        t.same(run.answers.map(answer => answer.status), [202, 202, 500])
        t.match(run.rawBodies[2], /^An error has occurred while serving metrics:\n\n/, 'the store is poisoned until the group is deleted')
      },
      ours: (t, run) => {
        t.same(run.answers.map(answer => answer.status), [202, 202, 200])
        t.match(run.answers[2]?.body, /^# TYPE m gauge\nm\{instance="",job="a"\} 1\n/, 'the second push was dropped')
        t.notMatch(run.rawMetrics, 'job="b"} 2', 'nothing of it is served')
      }
    }
  },
  {
    name: '3.8 a duplicate series from two groups',
    steps: [put('/metrics/job/a', 'm{x="1"} 1\n'), put('/metrics/job/a/x/1', 'm 2\n'), get('/metrics')],
    differs: {
      readme: 'consistencyCheck: false drops an inconsistent push instead of breaking every scrape',
      reference: (t, run) => {
        t.same(run.answers.map(answer => answer.status), [202, 202, 500])
      },
      ours: (t, run) => {
        t.same(run.answers.map(answer => answer.status), [202, 202, 200])
        t.match(run.answers[2]?.body, /^# TYPE m untyped\nm\{instance="",job="a",x="1"\} 1\n/)
      }
    }
  }
]

differential(sequences, { disableConsistencyCheck: true })
