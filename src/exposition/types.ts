/**
 * The in-memory model of pushed metrics. It mirrors `io.prometheus.client.MetricFamily` from
 * prometheus/client_model `metrics.proto`, so a protobuf push survives a round trip, and every
 * parser produces and every writer consumes it.
 */

/** A metric type, as in the protobuf `MetricType` enum (lower case). */
export type MetricType = 'counter' | 'gauge' | 'summary' | 'untyped' | 'histogram' | 'gaugehistogram'

/** All metric types, in the order of the protobuf enum (`COUNTER` = 0 … `GAUGE_HISTOGRAM` = 5). */
export const METRIC_TYPES: readonly MetricType[] = ['counter', 'gauge', 'summary', 'untyped', 'histogram', 'gaugehistogram']

/** Whether a metric of this type is one sample, a value (counter, gauge, untyped), rather than a summary or histogram. */
export function isSingleSample (type: MetricType): boolean {
  return type === 'counter' || type === 'gauge' || type === 'untyped'
}

/** One label: name and value. */
export interface LabelPair {
  /** The label name. */
  name: string
  /** The label value; may be empty. */
  value: string
}

/** An exemplar attached to a counter sample or a histogram bucket. */
export interface Exemplar {
  /** The exemplar's labels, for example a trace id. */
  labels: LabelPair[]
  /** The exemplar's value. */
  value: number
  /** The exemplar's timestamp in milliseconds since the epoch, when it has one. */
  timestampMs?: number
}

/** One quantile of a summary. */
export interface Quantile {
  /** The quantile rank, 0 to 1. */
  quantile: number
  /** The value at that rank. */
  value: number
}

/** One classic histogram bucket (cumulative). */
export interface Bucket {
  /** Inclusive upper bound of the bucket. */
  upperBound: number
  /** Cumulative count of observations in the bucket (integer histograms). */
  cumulativeCount: number
  /** Cumulative count for float histograms; when set, it is used instead of `cumulativeCount`. */
  cumulativeCountFloat?: number
  /** An exemplar for the bucket, when it has one. */
  exemplar?: Exemplar
}

/** A span of native histogram buckets. */
export interface BucketSpan {
  /** Gap to the previous span, or the starting index for the first span. */
  offset: number
  /** Number of consecutive buckets. */
  length: number
}

/** A summary sample. */
export interface Summary {
  /** Number of observations. */
  sampleCount: number
  /** Sum of observations. */
  sampleSum: number
  /** The quantiles, in pushed order. */
  quantiles: Quantile[]
  /** Creation time in milliseconds since the epoch, when known. */
  createdTimestampMs?: number
}

/** A histogram sample, classic and/or native. */
export interface Histogram {
  /** Number of observations (integer histograms). */
  sampleCount: number
  /** Number of observations for float histograms; when set, it is used instead of `sampleCount`. */
  sampleCountFloat?: number
  /** Sum of observations. */
  sampleSum: number
  /** Classic buckets, ordered by upper bound. */
  buckets: Bucket[]
  /** Creation time in milliseconds since the epoch, when known. */
  createdTimestampMs?: number
  /** Native histogram schema, when the histogram is native. */
  schema?: number
  /** Native histogram zero bucket threshold. */
  zeroThreshold?: number
  /** Native histogram zero bucket count (integer histograms). */
  zeroCount?: number
  /** Native histogram zero bucket count (float histograms). */
  zeroCountFloat?: number
  /** Native histogram negative spans. */
  negativeSpans: BucketSpan[]
  /** Native histogram negative bucket deltas (integer histograms). */
  negativeDeltas: number[]
  /** Native histogram negative bucket counts (float histograms). */
  negativeCounts: number[]
  /** Native histogram positive spans. */
  positiveSpans: BucketSpan[]
  /** Native histogram positive bucket deltas (integer histograms). */
  positiveDeltas: number[]
  /** Native histogram positive bucket counts (float histograms). */
  positiveCounts: number[]
  /** Native histogram exemplars. */
  exemplars: Exemplar[]
}

/**
 * One series (or one summary/histogram) of a family. Exactly one of `value`, `summary` or
 * `histogram` is meaningful, chosen by the family's type: `value` for counter, gauge and untyped.
 */
export interface Metric {
  /** The labels in the order they were pushed; the store sorts them by name. */
  labels: LabelPair[]
  /** The sample value of a counter, gauge or untyped metric. */
  value?: number
  /** The summary of a summary metric. */
  summary?: Summary
  /** The histogram of a histogram or gauge histogram metric. */
  histogram?: Histogram
  /** The sample's timestamp in milliseconds since the epoch; pushes with one are refused. */
  timestampMs?: number
  /** A counter's exemplar, when it has one. */
  exemplar?: Exemplar
  /** A counter's creation time in milliseconds since the epoch, when known. */
  createdTimestampMs?: number
}

/** A metric family: a name, its type, optional help and unit, and its metrics. */
export interface MetricFamily {
  /** The family name (for counters usually ending in `_total`). */
  name: string
  /** The HELP text; absent when the push had none (no `# HELP` line is written then). */
  help?: string
  /** The metric type. */
  type: MetricType
  /** The OpenMetrics unit, when one was given. */
  unit?: string
  /** The metrics of the family, in pushed order. */
  metrics: Metric[]
}

/** A new histogram with no observations, no buckets and no native fields. */
export function emptyHistogram (): Histogram {
  return {
    sampleCount: 0,
    sampleSum: 0,
    buckets: [],
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: [],
    positiveSpans: [],
    positiveDeltas: [],
    positiveCounts: [],
    exemplars: []
  }
}
