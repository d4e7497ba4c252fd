import t from 'tap'
import { escapeFamily, escapeLabels, escapeMetric } from '../../src/exposition/escape.js'
import type { MetricFamily } from '../../src/exposition/types.js'

const family: MetricFamily = {
  name: 'my.metric',
  type: 'gauge',
  help: 'h',
  metrics: [
    { labels: [{ name: 'a.b', value: '1' }, { name: 'job', value: 'j' }], value: 1 },
    { labels: [{ name: 'job', value: 'k' }], value: 2, exemplar: { labels: [{ name: 'x.y', value: 'z' }], value: 1 } }
  ]
}

t.test('escapeFamily writes names as expfmt\'s EscapeMetricFamily does', async t => {
  t.equal(escapeFamily(family, 'allow-utf-8'), family, 'allow-utf-8 keeps the family as it is')
  t.same(escapeFamily(family, 'underscores'), {
    ...family,
    name: 'my_metric',
    metrics: [{ ...family.metrics[0], labels: [{ name: 'a_b', value: '1' }, { name: 'job', value: 'j' }] }, family.metrics[1]]
  })
  const values = escapeFamily(family, 'values')
  t.equal(values.name, 'U__my_2e_metric')
  t.same(values.metrics[0]?.labels.map(l => l.name), ['U__a_2e_b', 'job'])
  t.equal(values.metrics[1], family.metrics[1], 'a metric whose names are legacy is the same object, exemplar labels untouched')
  t.equal(escapeFamily(family, 'dots').name, 'my_dot_metric')
  const legacy: MetricFamily = { name: 'push_time_seconds', type: 'gauge', metrics: [{ labels: [{ name: 'a:b', value: '1' }], value: 1 }] }
  t.equal(escapeFamily(legacy, 'dots'), legacy, 'legacy names, colons included, are kept by dots too')
  const renamedOnly: MetricFamily = { name: 'x.y', type: 'gauge', metrics: [{ labels: [], value: 1 }] }
  t.equal(escapeFamily(renamedOnly, 'underscores').metrics, renamedOnly.metrics, 'metrics are shared when only the name changes')
})

t.test('escapeLabels and escapeMetric keep what does not change', async t => {
  const labels = [{ name: 'job', value: 'j' }, { name: 'é', value: 'v' }]
  t.equal(escapeLabels(labels, 'allow-utf-8'), labels)
  t.same(escapeLabels(labels, 'underscores'), [{ name: 'job', value: 'j' }, { name: '_', value: 'v' }])
  t.equal(escapeLabels(labels, 'underscores')[0], labels[0], 'an unchanged pair is reused')
  const metric = { labels: [{ name: 'job', value: 'j' }], value: 1 }
  t.equal(escapeMetric(metric, 'values'), metric)
})
