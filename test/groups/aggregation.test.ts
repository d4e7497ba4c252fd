import t from 'tap'
import { MAX_WRITER_LENGTH, WRITER_LABEL, resolveAggregation, writerOf } from '../../src/groups/aggregation.js'

const key = { job: 'j', labels: { instance: 'i' } }

t.test('resolveAggregation', async t => {
  t.equal(resolveAggregation(false), undefined, 'false turns aggregation off')
  t.equal(resolveAggregation(undefined)?.(key)('any'), 'last', 'gauges take the last value by default')
  t.equal(resolveAggregation({})?.(key)('any'), 'last')
  t.equal(resolveAggregation({ gaugeRule: 'max' })?.(key)('any'), 'max')
  const byFamily = resolveAggregation({ gaugeRule: 'sum', gaugeRules: { low: 'min' } })
  t.equal(byFamily?.(key)('low'), 'min')
  t.equal(byFamily?.(key)('other'), 'sum')
  const asked: unknown[] = []
  const byFunction = resolveAggregation({ gaugeRules: (family: string, k: unknown) => { asked.push([family, k]); return family === 'x' ? 'max' : undefined } })
  t.equal(byFunction?.(key)('x'), 'max')
  t.equal(byFunction?.(key)('y'), 'last')
  t.strictSame(asked, [['x', key], ['y', key]])
  t.throws(() => resolveAggregation({ gaugeRules: () => 'avg' as 'max' })?.(key)('x'), { code: 'ERR_INVALID_OPTION', message: /the rule answered by aggregation\.gaugeRules.*"avg"/ })
  for (const [value, message] of [
    [null, /option "aggregation" must be an object or false/],
    [true, /option "aggregation" must be an object or false/],
    [{ gaugeRule: 'avg' }, /option "aggregation\.gaugeRule" must be one of "last", "sum", "min", "max"/],
    [{ gaugeRules: { q: 3 } }, /aggregation\.gaugeRules\.q/],
    [{ gaugeRules: null }, /option "aggregation\.gaugeRules" must be an object of rules by family, or a function/]
  ] as const) {
    t.throws(() => resolveAggregation(value), { code: 'ERR_INVALID_OPTION', message }, JSON.stringify(value))
  }
})

t.test('writerOf', async t => {
  t.strictSame(writerOf({ instance: 'i' }, undefined), { labels: { instance: 'i' }, writer: undefined })
  t.strictSame(writerOf({ instance: 'i' }, 'pod-1'), { labels: { instance: 'i' }, writer: 'pod-1' })
  t.strictSame(writerOf({ instance: 'i', [WRITER_LABEL]: 'pod-2' }, undefined), { labels: { instance: 'i' }, writer: 'pod-2' })
  t.strictSame(writerOf({ [WRITER_LABEL]: 'same' }, 'same'), { labels: {}, writer: 'same' })
  t.throws(() => writerOf({ [WRITER_LABEL]: 'a' }, 'b'), { code: 'ERR_AGGREGATION', statusCode: 400, message: 'the __writer__ label ("a") and the Pushgateway-Writer header ("b") name different writers' })
  t.throws(() => writerOf({}, ''), { code: 'ERR_AGGREGATION', message: `a writer name must have 1 to ${MAX_WRITER_LENGTH} characters, this one has 0` })
  t.doesNotThrow(() => writerOf({}, 'x'.repeat(MAX_WRITER_LENGTH)))
  t.throws(() => writerOf({ [WRITER_LABEL]: 'x'.repeat(MAX_WRITER_LENGTH + 1) }, undefined), { code: 'ERR_AGGREGATION' })
})
