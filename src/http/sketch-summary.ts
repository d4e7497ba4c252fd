import type { Metric as PromMetric } from 'prom-client'
import type { PromRegistry } from '../prom-client.js'

/** What `SketchSummary.observe` is given, as prom-client's `Summary.observe` is. */
export type SummaryObserver = Pick<SketchSummary, 'observe'>

/** Options of a {@link SketchSummary}. */
export interface SketchSummaryOptions {
  /** The metric name. Required. */
  name: string
  /** The HELP text. Required. */
  help: string
  /** The one label every observation carries. Required. */
  labelName: string
  /** The quantiles exposed, each between 0 and 1. Required. */
  quantiles: readonly number[]
  /** Where it is registered. Required. */
  registry: PromRegistry
}

/**
 * A summary metric in a prom-client registry, exposed as prom-client's `Summary` is (quantiles,
 * `_sum` and `_count` per label value, over every observation), whose quantiles come from a
 * sketch with one counter per logarithmic bucket, within 1 % of the exact value. An observation
 * is a logarithm and a counter, where prom-client's summary inserts into a t-digest tree: the
 * gateway observes two per push, and the tree took 5 % of the CPU of a push.
 */
export class SketchSummary {
  /** The metric name. */
  readonly name: string
  /** The HELP text. */
  readonly help: string
  /** Its type, as the registry exposes it. */
  readonly type = 'summary'
  /** How prom-client's cluster registry merges it across workers, as it merges its summaries. */
  readonly aggregator = 'sum'
  /** The names of its labels, as prom-client's metrics list them. */
  readonly labelNames: readonly string[]
  readonly #quantiles: readonly number[]
  readonly #sketches = new Map<string, Sketch>()

  constructor (options: SketchSummaryOptions) {
    this.name = options.name
    this.help = options.help
    this.labelNames = [options.labelName]
    this.#quantiles = options.quantiles
    options.registry.registerMetric(this as unknown as PromMetric)
  }

  /** Counts one observation; `labels` holds the value of the one label. */
  observe (labels: Readonly<Record<string, string>>, value: number): void {
    const key = labels[this.labelNames[0] as string] ?? ''
    let sketch = this.#sketches.get(key)
    if (sketch === undefined) {
      sketch = new Sketch()
      this.#sketches.set(key, sketch)
    }
    sketch.add(value)
  }

  /** The metric as prom-client's registry reads it. */
  async get (): Promise<{ name: string, help: string, type: 'summary', aggregator: 'sum', values: SummaryValue[] }> {
    const values: SummaryValue[] = []
    const labelName = this.labelNames[0] as string
    for (const [key, sketch] of this.#sketches) {
      const labels = { [labelName]: key }
      for (const quantile of this.#quantiles) values.push({ labels: { quantile, ...labels }, value: sketch.quantile(quantile) })
      values.push({ metricName: `${this.name}_sum`, labels, value: sketch.sum })
      values.push({ metricName: `${this.name}_count`, labels, value: sketch.count })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  /** Forgets every observation, as `registry.resetMetrics()` asks. */
  reset (): void {
    this.#sketches.clear()
  }
}

interface SummaryValue {
  metricName?: string
  labels: Record<string, string | number>
  value: number
}

// Buckets (GAMMA^(i-1), GAMMA^i]: a value estimated by the bucket's 2 GAMMA^i / (GAMMA + 1) is
// within ACCURACY of the exact one (the DDSketch construction).
const ACCURACY = 0.01
const GAMMA = (1 + ACCURACY) / (1 - ACCURACY)
const PER_LOG = 1 / Math.log(GAMMA)
// Smaller values (and zero) are counted as zero.
const SMALLEST = 1e-9

/** Counts of observations by logarithmic bucket, their sum and their number. */
export class Sketch {
  /** Number of observations. */
  count = 0
  /** Sum of the observations. */
  sum = 0
  readonly #buckets = new Map<number, number>()
  #zeros = 0
  #min = Infinity
  #max = -Infinity

  /** Counts one observation. */
  add (value: number): void {
    this.count++
    this.sum += value
    if (value < this.#min) this.#min = value
    if (value > this.#max) this.#max = value
    if (!(value > SMALLEST)) {
      this.#zeros++
      return
    }
    const bucket = Math.ceil(Math.log(value) * PER_LOG)
    this.#buckets.set(bucket, (this.#buckets.get(bucket) ?? 0) + 1)
  }

  /**
   * The value below which `q` of the observations fall, within 1 % and between the smallest and
   * the largest (so that observations of one value give that value); 0 when there are none.
   */
  quantile (q: number): number {
    if (this.count === 0) return 0
    const rank = q * (this.count - 1)
    let seen = this.#zeros
    let estimate = 0
    for (const bucket of [...this.#buckets.keys()].sort((a, b) => a - b)) {
      if (rank < seen) break
      seen += this.#buckets.get(bucket) as number
      estimate = 2 * GAMMA ** bucket / (GAMMA + 1)
    }
    return Math.min(Math.max(estimate, this.#min), this.#max)
  }
}
