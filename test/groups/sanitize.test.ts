import t from 'tap'
import { prepareFamilies } from '../../src/groups/sanitize.js'
import type { MetricFamily } from '../../src/exposition/types.js'

t.test('prepareFamilies forces the group labels, adds instance, sorts, and leaves out the timestamp families', async t => {
  const families: MetricFamily[] = [
    { name: 'm', type: 'gauge', metrics: [{ labels: [{ name: 'z', value: '1' }, { name: 'job', value: 'body' }], value: 1 }, { labels: [{ name: 'instance', value: 'i' }], value: 2 }] },
    { name: 'push_time_seconds', type: 'gauge', metrics: [{ labels: [], value: 3 }] },
    { name: 'push_failure_time_seconds', type: 'gauge', metrics: [{ labels: [], value: 4 }] }
  ]
  const prepared = await prepareFamilies(families, { job: 'j', a: 'x' })
  t.same(prepared, [{
    name: 'm',
    type: 'gauge',
    metrics: [
      { labels: [{ name: 'a', value: 'x' }, { name: 'instance', value: '' }, { name: 'job', value: 'j' }, { name: 'z', value: '1' }], value: 1 },
      { labels: [{ name: 'a', value: 'x' }, { name: 'instance', value: 'i' }, { name: 'job', value: 'j' }], value: 2 }
    ]
  }])
  t.same(families[0]?.metrics[0]?.labels, [{ name: 'z', value: '1' }, { name: 'job', value: 'body' }], 'the input is left as it was')
  t.same((await prepareFamilies([{ name: 'n', type: 'gauge', metrics: [{ labels: [], value: 1 }] }], { job: 'j', instance: 'g' }))[0]?.metrics[0]?.labels, [{ name: 'instance', value: 'g' }, { name: 'job', value: 'j' }], 'a grouping instance is the instance')
})

t.test('prepareFamilies lets the event loop turn every 4,096 metrics of a large push, and never for a small one', async t => {
  const big: MetricFamily[] = Array.from({ length: 5 }, (_, f) => ({ name: `m${f}`, type: 'gauge' as const, metrics: Array.from({ length: 2000 }, (_, i) => ({ labels: [{ name: 'i', value: String(i) }], value: i })) }))
  let pauses = 0
  const prepared = await prepareFamilies(big, { job: 'j' }, async () => { pauses++ })
  t.equal(pauses, 2, '10,000 metrics, 2 pauses')
  t.equal(prepared.reduce((n, f) => n + f.metrics.length, 0), 10_000, 'every metric prepared')
  let small = 0
  await prepareFamilies(big.slice(0, 2), { job: 'j' }, async () => { small++ })
  t.equal(small, 0)
  // By default a pause is a turn of the event loop.
  let turned = false
  setImmediate(() => { turned = true })
  await prepareFamilies(big, { job: 'j' })
  t.equal(turned, true)
})
