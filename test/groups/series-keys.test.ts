import t from 'tap'
import { dropSeriesKeys, keepSeriesKeys, labelsKey, seriesKey, seriesKeys, shareSeriesKeys } from '../../src/groups/series-keys.js'
import { prepareFamilies } from '../../src/groups/sanitize.js'
import type { MetricFamily } from '../../src/exposition/types.js'

t.test('labelsKey and seriesKey tell any two label sets and names apart', async t => {
  t.equal(labelsKey([]), '')
  t.equal(labelsKey([{ name: 'a', value: 'b:c' }]), '1:a3:b:c')
  t.not(labelsKey([{ name: 'a', value: '1:b' }]), labelsKey([{ name: 'a1', value: 'b' }]))
  t.equal(seriesKey('m', [{ name: 'a', value: '' }]), '1:m1:a0:')
  t.not(seriesKey('m1:a', []), seriesKey('m', [{ name: 'a', value: '' }]))
})

t.test('seriesKeys makes the keys once per family object, or takes those kept', async t => {
  const family: MetricFamily = { name: 'm', type: 'gauge', metrics: [{ labels: [{ name: 'a', value: '1' }], value: 1 }, { labels: [], value: 2 }] }
  const keys = seriesKeys(family)
  t.same(keys, ['1:m1:a1:1', '1:m'])
  t.equal(seriesKeys(family), keys, 'the same array the second time')
  const other: MetricFamily = { ...family }
  keepSeriesKeys(other, ['kept', 'keys'])
  t.same(seriesKeys(other), ['kept', 'keys'])
})

t.test('prepareFamilies keeps the keys of the series it prepares, across slices', async t => {
  const metrics = Array.from({ length: 5000 }, (_, i) => ({ labels: [{ name: 'i', value: String(i) }], value: i }))
  let pauses = 0
  const [prepared] = await prepareFamilies([{ name: 'm', type: 'gauge', metrics }], { job: 'j' }, async () => { pauses++ })
  t.equal(pauses, 1)
  const keys = seriesKeys(prepared as MetricFamily)
  t.equal(keys.length, 5000)
  t.equal(keys[4999], seriesKey('m', [{ name: 'i', value: '4999' }, { name: 'instance', value: '' }, { name: 'job', value: 'j' }]), 'made from the prepared labels')
})

t.test('a push of one slice or less leaves its keys to be made when needed', async t => {
  const [small] = await prepareFamilies([{ name: 'm', type: 'gauge', metrics: [{ labels: [], value: 1 }] }], { job: 'j' })
  const family = small as MetricFamily
  // Made when asked, from the labels the family has then: none were kept while it was prepared.
  family.metrics = [{ labels: [], value: 1 }]
  t.same(seriesKeys(family), ['1:m'])
})

t.test('keys made without keeping them, and kept keys let go', async t => {
  const family: MetricFamily = { name: 'm', type: 'gauge', metrics: [{ labels: [], value: 1 }] }
  const made = seriesKeys(family, false)
  t.not(seriesKeys(family, false), made, 'made again each time')
  keepSeriesKeys(family, ['kept'])
  t.same(seriesKeys(family, false), ['kept'], 'kept ones are used')
  dropSeriesKeys(family)
  t.same(seriesKeys(family), ['1:m'], 'made again once let go')
})

t.test('shareSeriesKeys gives a family with the same series the keys kept with another', async t => {
  const from: MetricFamily = { name: 'm', type: 'gauge', metrics: [{ labels: [], value: 1 }] }
  const to: MetricFamily = { ...from, metrics: [{ labels: [], value: 2 }] }
  shareSeriesKeys(from, to)
  t.not(seriesKeys(to, false), seriesKeys(to, false), 'nothing to share while none are kept')
  keepSeriesKeys(from, ['kept'])
  shareSeriesKeys(from, to)
  t.same(seriesKeys(to, false), ['kept'])
})
