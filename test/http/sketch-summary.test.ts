import t from 'tap'
import { Registry } from 'prom-client'
import { Sketch, SketchSummary } from '../../src/http/sketch-summary.js'

// The value of rank q·(n-1) among the observations, as the sketch defines its quantiles.
function exact (sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] as number
}

t.test('quantiles within 1 % of the exact ones', async t => {
  const spreads: Record<string, number[]> = {
    'uniform 1..10,000': Array.from({ length: 10_000 }, (_, i) => i + 1),
    // Durations from a microsecond to 1,000 seconds, as a push may take.
    'nine decades': Array.from({ length: 9001 }, (_, i) => 1e-6 * 10 ** (i / 1000)),
    'a few values': [0.5, 0.5, 0.5, 7, 7, 300]
  }
  for (const [name, values] of Object.entries(spreads)) {
    const sketch = new Sketch()
    // Observed out of order: the buckets are sorted when a quantile is asked.
    for (const value of [...values].reverse()) sketch.add(value)
    const sorted = [...values].sort((a, b) => a - b)
    for (const q of [0, 0.1, 0.5, 0.9, 0.99, 1]) {
      const error = Math.abs(sketch.quantile(q) - exact(sorted, q)) / exact(sorted, q)
      t.ok(error <= 0.01, `${name}, quantile ${q}: error ${error}`)
    }
    t.equal(sketch.count, values.length, `${name}: count`)
    t.equal(sketch.sum, [...values].reverse().reduce((a, b) => a + b, 0), `${name}: sum`)
  }
})

t.test('one value observed again and again is that value', async t => {
  const sketch = new Sketch()
  for (let i = 0; i < 5; i++) sketch.add(25)
  t.same([0.1, 0.5, 0.9].map(q => sketch.quantile(q)), [25, 25, 25])
})

t.test('zero, values too small to tell from it, and no observations', async t => {
  const sketch = new Sketch()
  t.equal(sketch.quantile(0.5), 0, 'nothing observed')
  sketch.add(0)
  sketch.add(1e-12)
  sketch.add(4)
  t.equal(sketch.quantile(0.5), 0, 'a value too small counts as zero')
  t.equal(sketch.quantile(1), 4)
})

t.test('SketchSummary in a prom-client registry: exposed as its Summary is, reset, one per name', async t => {
  const registry = new Registry()
  const summary = new SketchSummary({ name: 's_seconds', help: 'Some durations.', labelName: 'method', quantiles: [0.1, 0.5, 0.9], registry })
  t.equal(registry.getSingleMetric('s_seconds'), summary as unknown)
  t.equal((registry.getSingleMetric('s_seconds') as { type?: string } | undefined)?.type, 'summary')
  t.equal(await registry.metrics(), '# HELP s_seconds Some durations.\n# TYPE s_seconds summary\n', 'no line before an observation')
  summary.observe({ method: 'put' }, 2)
  summary.observe({ method: 'put' }, 2)
  summary.observe({ method: 'post' }, 3)
  summary.observe({}, 5)
  t.equal(await registry.metrics(), [
    '# HELP s_seconds Some durations.',
    '# TYPE s_seconds summary',
    's_seconds{quantile="0.1",method="put"} 2',
    's_seconds{quantile="0.5",method="put"} 2',
    's_seconds{quantile="0.9",method="put"} 2',
    's_seconds_sum{method="put"} 4',
    's_seconds_count{method="put"} 2',
    's_seconds{quantile="0.1",method="post"} 3',
    's_seconds{quantile="0.5",method="post"} 3',
    's_seconds{quantile="0.9",method="post"} 3',
    's_seconds_sum{method="post"} 3',
    's_seconds_count{method="post"} 1',
    's_seconds{quantile="0.1",method=""} 5',
    's_seconds{quantile="0.5",method=""} 5',
    's_seconds{quantile="0.9",method=""} 5',
    's_seconds_sum{method=""} 5',
    's_seconds_count{method=""} 1',
    ''
  ].join('\n'))
  t.match(await registry.getMetricsAsJSON(), [{ name: 's_seconds', type: 'summary', aggregator: 'sum', values: [{ labels: { quantile: 0.1, method: 'put' }, value: 2 }] }])
  registry.resetMetrics()
  t.equal(await registry.metrics(), '# HELP s_seconds Some durations.\n# TYPE s_seconds summary\n', 'reset')
  t.throws(() => new SketchSummary({ name: 's_seconds', help: 'Again.', labelName: 'method', quantiles: [0.5], registry }), /already been registered/)
})
