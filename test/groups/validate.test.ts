import t from 'tap'
import { checkStorable } from '../../src/groups/validate.js'
import { DEFAULT_LIMITS } from '../../src/groups/limits.js'
import type { MetricFamily } from '../../src/exposition/types.js'

t.test('exemplar label names follow the name validation', async t => {
  const families: MetricFamily[] = [{ name: 'hits_total', type: 'counter', metrics: [{ labels: [], value: 1, exemplar: { labels: [{ name: 'trace.id', value: 'x' }], value: 1 } }] }]
  t.throws(() => { checkStorable(families, DEFAULT_LIMITS) }, { message: 'an exemplar of "hits_total" has an invalid label name "trace.id"' })
  t.doesNotThrow(() => { checkStorable(families, DEFAULT_LIMITS, 'utf8') })
})
