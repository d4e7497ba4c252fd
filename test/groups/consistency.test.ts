import t from 'tap'
import { familyProblems, formatLabels, groupId, timestampProblem } from '../../src/groups/consistency.js'

t.test('formatLabels', async t => {
  t.equal(formatLabels([{ name: 'a', value: 'x"y' }, { name: 'b', value: '' }]), '{a="x\\"y",b=""}')
})

t.test('groupId is the same for the same labels in any order, and tells different ones apart', async t => {
  t.equal(groupId({ job: 'a', instance: 'b' }), groupId({ instance: 'b', job: 'a' }))
  t.not(groupId({ job: 'a', x: 'b' }), groupId({ job: 'a', xb: '' }))
})

t.test('what a push alone shows', async t => {
  t.equal(timestampProblem([{ name: 'm', type: 'gauge', metrics: [{ labels: [], value: 1 }] }]), undefined)
  t.equal(timestampProblem([{ name: 'm', type: 'gauge', metrics: [{ labels: [], value: 1, timestampMs: 5 }] }]), 'pushed metrics must not have timestamps')
  t.same(familyProblems({ name: 'a-b', type: 'gauge', metrics: [{ labels: [{ name: '1', value: '' }], value: 1 }] }), { name: '"a-b" is not a valid metric name', labels: undefined }, 'the name first, and only it')
  t.same(familyProblems({ name: 'm', type: 'gauge', metrics: [{ labels: [], value: 1 }, { labels: [{ name: 'a-b', value: '' }], value: 1 }, { labels: [{ name: '__x', value: '' }], value: 1 }] }),
    { name: undefined, labels: { index: 1, message: 'collected metric "m" {a-b=""} has a label with an invalid name: "a-b"' } }, 'the first series with invalid labels')
})
