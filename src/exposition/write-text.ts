import { formatSampleValue } from './format-float.js'
import type { Histogram, LabelPair, Metric, MetricFamily, MetricType, Summary } from './types.js'
import { emptyHistogram, isSingleSample } from './types.js'
import { isLegacyMetricName } from './names.js'

/** The `Content-Type` of a text format 0.0.4 exposition, as the Go Pushgateway 1.5.1 sends it. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const TEXT_TYPE_NAMES: Readonly<Record<MetricType, string>> = {
  counter: 'counter',
  gauge: 'gauge',
  summary: 'summary',
  untyped: 'untyped',
  histogram: 'histogram',
  // The text format has no gauge histograms; expfmt writes them as histograms.
  gaugehistogram: 'histogram'
}

const ESCAPED = /[\\\n]/
const ESCAPED_WITH_QUOTES = /[\\\n"]/

const NO_SUMMARY: Summary = { sampleCount: 0, sampleSum: 0, quantiles: [] }
const NO_HISTOGRAM: Histogram = emptyHistogram()

/**
 * Writes the comment lines of a family in text format 0.0.4: `# HELP` (only when `help` is defined,
 * with `\` and line feeds escaped) and `# TYPE` (a gauge histogram is typed `histogram`).
 */
export function textHeader (name: string, type: MetricType, help: string | undefined): string {
  const quoted = formatMetricName(name)
  const typeLine = '# TYPE ' + quoted + ' ' + TEXT_TYPE_NAMES[type] + '\n'
  if (help === undefined) return typeLine
  return '# HELP ' + quoted + ' ' + escapeString(help, false) + '\n' + typeLine
}

/**
 * Writes every line of one metric in text format 0.0.4, byte for byte as expfmt's
 * `MetricFamilyToText` does, each line ending in a line feed; labels are written in the given order.
 * A missing value, summary or histogram is written as zero or empty.
 */
export function textMetric (name: string, type: MetricType, metric: Metric): string {
  const labels = formatLabelPairs(metric.labels)
  const end = lineEnd(metric)
  switch (type) {
    case 'counter':
    case 'gauge':
    case 'untyped':
      return formatSeries(name, labels, '') + ' ' + formatSampleValue(metric.value ?? 0) + end
    case 'summary':
      return textSummary(name, labels, metric.summary ?? NO_SUMMARY, end)
    default:
      return textHistogram(name, labels, metric.histogram ?? NO_HISTOGRAM, end)
  }
}

/**
 * Writes what {@link textMetric} writes for a counter, gauge or untyped metric, taking its series
 * (name and labels) from `previous`: the line written for a metric of that type, name and labels,
 * whose value or timestamp may differ. Undefined for a summary or histogram: write it in full.
 */
export function textMetricAfter (previous: string, name: string, type: MetricType, metric: Metric): string | undefined {
  if (!isSingleSample(type)) return undefined
  return seriesOfLine(previous, name, metric) + ' ' + formatSampleValue(metric.value ?? 0) + lineEnd(metric)
}

/**
 * The series (name and labels) that starts `line`, one sample's line written for a metric of this
 * name and labels, in the text format or in OpenMetrics without exemplar.
 */
export function seriesOfLine (line: string, name: string, metric: Metric): string {
  // The value and the timestamp hold no brace: the series ends at the last one, when it has any.
  return metric.labels.length === 0 && isLegacyMetricName(name) ? name : line.slice(0, line.lastIndexOf('}') + 1)
}

// What ends a sample's line: its timestamp, if it has one, then a line feed.
function lineEnd (metric: Metric): string {
  return metric.timestampMs === undefined ? '\n' : ' ' + formatInteger(metric.timestampMs) + '\n'
}

/**
 * Writes families in text format 0.0.4, in the given order and with their metrics in the given
 * order; a family without metrics is left out, as the Go gatherer prunes it.
 */
export function writeText (families: readonly MetricFamily[]): string {
  let out = ''
  for (const family of families) {
    if (family.metrics.length === 0) continue
    out += textHeader(family.name, family.type, family.help)
    for (const metric of family.metrics) out += textMetric(family.name, family.type, metric)
  }
  return out
}

function textSummary (name: string, labels: string, summary: Summary, end: string): string {
  let out = ''
  for (const q of summary.quantiles) {
    out += formatSeries(name, labels, 'quantile="' + formatSampleValue(q.quantile) + '"') + ' ' +
      formatSampleValue(q.value) + end
  }
  return out +
    formatSeries(name + '_sum', labels, '') + ' ' + formatSampleValue(summary.sampleSum) + end +
    formatSeries(name + '_count', labels, '') + ' ' + formatSampleValue(summary.sampleCount) + end
}

function textHistogram (name: string, labels: string, histogram: Histogram, end: string): string {
  const bucketName = name + '_bucket'
  const count = preferFloatCount(histogram.sampleCountFloat, histogram.sampleCount)
  let out = ''
  let infSeen = false
  for (const bucket of histogram.buckets) {
    const value = preferFloatCount(bucket.cumulativeCountFloat, bucket.cumulativeCount)
    out += formatSeries(bucketName, labels, 'le="' + formatSampleValue(bucket.upperBound) + '"') + ' ' +
      formatSampleValue(value) + end
    if (bucket.upperBound === Infinity) infSeen = true
  }
  if (!infSeen) out += formatSeries(bucketName, labels, 'le="+Inf"') + ' ' + formatSampleValue(count) + end
  return out +
    formatSeries(name + '_sum', labels, '') + ' ' + formatSampleValue(histogram.sampleSum) + end +
    formatSeries(name + '_count', labels, '') + ' ' + formatSampleValue(count) + end
}

/** Picks the float count when it is set and non-zero, as expfmt does, else the integer count. */
function preferFloatCount (float: number | undefined, integer: number): number {
  return float === undefined || float === 0 ? integer : float
}

/**
 * Writes a series name with its labels: `name{labels,extra}`, or just `name` when there are no
 * labels; a name that is not legacy-valid goes quoted inside the braces, as expfmt does.
 * `labels` comes from {@link formatLabelPairs}, `extra` is one more ready-made pair or empty.
 */
export function formatSeries (name: string, labels: string, extra: string): string {
  const pairs = labels === '' ? extra : extra === '' ? labels : labels + ',' + extra
  if (isLegacyMetricName(name)) return pairs === '' ? name : name + '{' + pairs + '}'
  return '{' + formatMetricName(name) + (pairs === '' ? '' : ',' + pairs) + '}'
}

/** Writes label pairs (of a metric or an exemplar) as `a="1",b="2"`, in order, values escaped. */
export function formatLabelPairs (labels: readonly LabelPair[]): string {
  let out = ''
  for (const label of labels) {
    if (out !== '') out += ','
    out += formatMetricName(label.name) + '="' + escapeString(label.value, true) + '"'
  }
  return out
}

/** Writes a metric or label name as is when legacy-valid, else double-quoted and escaped. */
export function formatMetricName (name: string): string {
  return isLegacyMetricName(name) ? name : '"' + escapeString(name, true) + '"'
}

/**
 * Escapes `\` and line feed as expfmt's writers do, and `"` too when `quotes` is true (label values,
 * quoted names, OpenMetrics HELP and UNIT).
 */
export function escapeString (s: string, quotes: boolean): string {
  // A native scan first: most values need no escaping.
  if (!(quotes ? ESCAPED_WITH_QUOTES : ESCAPED).test(s)) return s
  let out = ''
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    let replacement: string
    if (c === 0x5c) replacement = '\\\\'
    else if (c === 0x0a) replacement = '\\n'
    else if (c === 0x22 && quotes) replacement = '\\"'
    else continue
    out += s.slice(start, i) + replacement
    start = i + 1
  }
  return out + s.slice(start)
}

/** Formats an integer as Go's `strconv.AppendInt` does: all digits, never an exponent. */
export function formatInteger (n: number): string {
  if (Number.isSafeInteger(n)) return String(n)
  return Number.isFinite(n) ? BigInt(Math.trunc(n)).toString() : String(n)
}
