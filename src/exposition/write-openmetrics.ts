import { formatGoFloat } from './format-float.js'
import type { Exemplar, Histogram, Metric, MetricFamily, MetricType, Summary } from './types.js'
import { emptyHistogram, isSingleSample } from './types.js'
import { escapeString, formatInteger, formatLabelPairs, formatMetricName, formatSeries, seriesOfLine } from './write-text.js'

/** The `Content-Type` of an OpenMetrics 1.0.0 exposition. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

const OPENMETRICS_TYPE_NAMES: Readonly<Record<MetricType, string>> = {
  counter: 'counter',
  gauge: 'gauge',
  summary: 'summary',
  untyped: 'unknown',
  histogram: 'histogram',
  gaugehistogram: 'gaugehistogram'
}

const NO_SUMMARY: Summary = { sampleCount: 0, sampleSum: 0, quantiles: [] }
const NO_HISTOGRAM: Histogram = emptyHistogram()

/**
 * Writes the metadata lines of a family in OpenMetrics 1.0 as expfmt's `MetricFamilyToOpenMetrics`
 * does: `# HELP` (when `help` is defined), `# TYPE` and `# UNIT` (when `unit` is defined), named
 * without the `_total` of a counter; a counter whose name lacks `_total` is typed `unknown`, as is
 * an untyped family.
 */
export function openMetricsHeader (name: string, type: MetricType, help: string | undefined, unit: string | undefined): string {
  const total = isTotalCounter(name, type)
  const quoted = formatMetricName(total ? name.slice(0, -6) : name)
  let out = help === undefined ? '' : '# HELP ' + quoted + ' ' + escapeString(help, true) + '\n'
  out += '# TYPE ' + quoted + ' ' + (type === 'counter' && !total ? 'unknown' : OPENMETRICS_TYPE_NAMES[type]) + '\n'
  if (unit !== undefined) out += '# UNIT ' + quoted + ' ' + escapeString(unit, true) + '\n'
  return out
}

/**
 * Writes every line of one metric in OpenMetrics 1.0, each ending in a line feed: values as expfmt
 * writes them (floats always with a `.` or an exponent, counts as integers), timestamps in seconds,
 * exemplars of counters and classic buckets, `_created` lines from created timestamps, and
 * `_gsum`/`_gcount` for gauge histograms. A missing value, summary or histogram is written as zero
 * or empty.
 */
export function openMetricsMetric (name: string, type: MetricType, metric: Metric): string {
  const labels = formatLabelPairs(metric.labels)
  const time = timeOf(metric)
  switch (type) {
    case 'counter':
      return openMetricsCounter(name, labels, time, metric)
    case 'gauge':
    case 'untyped':
      return formatSeries(name, labels, '') + ' ' + formatOpenMetricsFloat(metric.value ?? 0) + time + '\n'
    case 'summary':
      return openMetricsSummary(name, labels, time, metric.summary ?? NO_SUMMARY)
    default:
      return openMetricsHistogram(name, labels, time, metric.histogram ?? NO_HISTOGRAM, type === 'histogram')
  }
}

/**
 * Writes what {@link openMetricsMetric} writes for a gauge or untyped metric, or a counter with
 * neither exemplar nor created timestamp, taking its series (name and labels) from `previous`: the
 * line written for a metric of that type, name and labels, whose value or timestamp may differ.
 * Undefined when either may have more than its one line: write it in full.
 */
export function openMetricsMetricAfter (previous: string, name: string, type: MetricType, metric: Metric): string | undefined {
  if (!isSingleSample(type)) return undefined
  // A counter's exemplar follows its value, and its created timestamp is a line of its own.
  if (type === 'counter' && (metric.exemplar !== undefined || metric.createdTimestampMs !== undefined || previous.indexOf('\n') !== previous.length - 1 || previous.includes(' # {'))) return undefined
  return seriesOfLine(previous, name, metric) + ' ' + formatOpenMetricsFloat(metric.value ?? 0) + timeOf(metric) + '\n'
}

/** Writes families in OpenMetrics 1.0 in the given order, leaving out families without metrics, and ends with `# EOF`. */
export function writeOpenMetrics (families: readonly MetricFamily[]): string {
  let out = ''
  for (const family of families) {
    if (family.metrics.length === 0) continue
    out += openMetricsHeader(family.name, family.type, family.help, family.unit)
    for (const metric of family.metrics) out += openMetricsMetric(family.name, family.type, metric)
  }
  return out + '# EOF\n'
}

// A sample's timestamp, in seconds after a space, or nothing.
function timeOf (metric: Metric): string {
  return metric.timestampMs === undefined ? '' : ' ' + formatOpenMetricsFloat(metric.timestampMs / 1000)
}

function openMetricsCounter (name: string, labels: string, time: string, metric: Metric): string {
  const line = formatSeries(name, labels, '') + ' ' + formatOpenMetricsFloat(metric.value ?? 0) + time
  // A counter without `_total` is typed `unknown`, which allows neither exemplars nor `_created`.
  if (!isTotalCounter(name, 'counter')) return line + '\n'
  return line + formatExemplar(metric.exemplar) + '\n' +
    formatCreated(name.slice(0, -6), labels, time, metric.createdTimestampMs)
}

function openMetricsSummary (name: string, labels: string, time: string, summary: Summary): string {
  let out = ''
  for (const q of summary.quantiles) {
    out += formatSeries(name, labels, 'quantile="' + formatOpenMetricsFloat(q.quantile) + '"') + ' ' +
      formatOpenMetricsFloat(q.value) + time + '\n'
  }
  return out +
    formatSeries(name + '_sum', labels, '') + ' ' + formatOpenMetricsFloat(summary.sampleSum) + time + '\n' +
    formatSeries(name + '_count', labels, '') + ' ' + formatCount(summary.sampleCount) + time + '\n' +
    formatCreated(name, labels, time, summary.createdTimestampMs)
}

function openMetricsHistogram (name: string, labels: string, time: string, histogram: Histogram, classic: boolean): string {
  const bucketName = name + '_bucket'
  const count = preferFloatCount(histogram.sampleCountFloat, histogram.sampleCount)
  let out = ''
  let infSeen = false
  for (const bucket of histogram.buckets) {
    const value = preferFloatCount(bucket.cumulativeCountFloat, bucket.cumulativeCount)
    out += formatSeries(bucketName, labels, 'le="' + formatOpenMetricsFloat(bucket.upperBound) + '"') + ' ' +
      formatCount(value) + time + formatExemplar(bucket.exemplar) + '\n'
    if (bucket.upperBound === Infinity) infSeen = true
  }
  if (!infSeen) out += formatSeries(bucketName, labels, 'le="+Inf"') + ' ' + formatCount(count) + time + '\n'
  // OpenMetrics names the gauge histogram's sum and count `_gsum` and `_gcount` and gives it no
  // `_created`; expfmt writes `_sum` and `_count`, which OpenMetrics parsers refuse.
  const g = classic ? '_' : '_g'
  return out +
    formatSeries(name + g + 'sum', labels, '') + ' ' + formatOpenMetricsFloat(histogram.sampleSum) + time + '\n' +
    formatSeries(name + g + 'count', labels, '') + ' ' + formatCount(count) + time + '\n' +
    (classic ? formatCreated(name, labels, time, histogram.createdTimestampMs) : '')
}

/** Picks the float count when it is set and positive, else the integer count. */
function preferFloatCount (float: number | undefined, integer: number): number {
  return float !== undefined && float > 0 ? float : integer
}

function isTotalCounter (name: string, type: MetricType): boolean {
  return type === 'counter' && name.endsWith('_total')
}

/** Writes ` # {labels} value [timestamp]`, or nothing when there is no exemplar or it has no labels (as expfmt). */
function formatExemplar (exemplar: Exemplar | undefined): string {
  if (exemplar === undefined || exemplar.labels.length === 0) return ''
  const time = exemplar.timestampMs === undefined ? '' : ' ' + formatOpenMetricsFloat(millisToSeconds(exemplar.timestampMs))
  return ' # {' + formatLabelPairs(exemplar.labels) + '} ' + formatOpenMetricsFloat(exemplar.value) + time
}

/**
 * Writes the `_created` line. It carries the metric's timestamp, unlike expfmt's, because
 * OpenMetrics wants all samples of a metric point timestamped or none.
 */
function formatCreated (base: string, labels: string, time: string, createdMs: number | undefined): string {
  if (createdMs === undefined) return ''
  return formatSeries(base + '_created', labels, '') + ' ' + formatOpenMetricsFloat(millisToSeconds(createdMs)) + time + '\n'
}

/**
 * Converts milliseconds to seconds as expfmt converts a protobuf timestamp, `float64(UnixNano())/1e9`:
 * `ms * 1e6` rounds exactly as Go's int64-to-float64 conversion of the nanoseconds does.
 */
function millisToSeconds (ms: number): number {
  return ms * 1e6 / 1e9
}

/** Writes an integer count as expfmt's `writeUint`; a count that is not a non-negative integer is written as a float. */
function formatCount (n: number): string {
  return Number.isInteger(n) && n >= 0 ? formatInteger(n) : formatOpenMetricsFloat(n)
}

/** Formats a float as expfmt's `writeOpenMetricsFloat`: Go's shortest form, with `.0` added when it has neither `.` nor an exponent. */
function formatOpenMetricsFloat (f: number): string {
  if (f === 0) return '0.0'
  const s = formatGoFloat(f)
  const c = s.charCodeAt(s.length - 1)
  // Only a plain integer ends in a digit without containing '.' or 'e'; NaN and Inf end in letters.
  if (c < 0x30 || c > 0x39 || s.includes('.') || s.includes('e')) return s
  return s + '.0'
}
