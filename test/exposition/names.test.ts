import t from 'tap'
import { isLegacyLabelName, isLegacyMetricName } from '../../src/exposition/names.js'

t.test('legacy names', async t => {
  const cases: Array<[string, boolean, boolean]> = [
    // name, valid metric name, valid label name
    ['a', true, true],
    ['_a1', true, true],
    ['Zz_9', true, true],
    ['a:b', true, false],
    [':a', true, false],
    ['1a', false, false],
    ['', false, false],
    ['a-b', false, false],
    ['a.b', false, false],
    ['é', false, false],
    ['a b', false, false]
  ]
  for (const [name, metric, label] of cases) {
    t.equal(isLegacyMetricName(name), metric, `metric ${JSON.stringify(name)}`)
    t.equal(isLegacyLabelName(name), label, `label ${JSON.stringify(name)}`)
  }
})
