import type { LabelPair, Metric, MetricType } from '../exposition/types.js'
import type { GroupView, StoredFamily } from '../store/store.js'
import { formatGoFloat } from '../exposition/format-float.js'
import { isFloatHistogram, isNativeHistogram, nativeBuckets } from '../exposition/native-histogram.js'
import { formatGoTime, goJson, goStruct } from './go-json.js'
import type { TtlOf } from '../groups/expiry.js'
import { groupingKeyOf } from '../groups/service.js'

/** The headers the reference sets on every `/api/v1` response. */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-headers': 'Accept, Authorization, Content-Type, Origin',
  'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Date',
  'cache-control': 'no-cache, no-store, must-revalidate'
}

const API_TYPES: Record<MetricType, string> = {
  counter: 'COUNTER',
  gauge: 'GAUGE',
  summary: 'SUMMARY',
  untyped: 'UNTYPED',
  histogram: 'HISTOGRAM',
  gaugehistogram: 'GAUGE_HISTOGRAM'
}

/** The `/api/v1/metrics` body: one object per group, with the reference's shape and formatting. */
export function metricsApiBody (groups: Iterable<GroupView>): string {
  const data: unknown[] = []
  for (const group of groups) {
    // No prototype: a family may be named `__proto__` (or `constructor`) and is a key like any other.
    const entry: Record<string, unknown> = Object.create(null) as Record<string, unknown>
    entry['labels'] = group.labels
    entry['last_push_successful'] = group.failureTimeNs <= group.pushTimeNs
    for (const [name, stored] of group.families) entry[name] = familyJson(stored)
    data.push(entry)
  }
  return goJson(goStruct({ status: 'success', data }))
}

/**
 * The `/api/v1/groups` body (ours, for the status page): per group its labels, the times of its
 * last push, last failure and expiry in milliseconds since the epoch (`null` for none), its number
 * of series and its family names; `now` is the gateway's clock, so that a browser can tell ages.
 */
export function groupsApiBody (groups: Iterable<GroupView>, ttlOf: TtlOf | undefined, nowNs: bigint): string {
  const data: unknown[] = []
  for (const group of groups) {
    let series = 0
    for (const { family } of group.families.values()) series += family.metrics.length
    const ttlNs = ttlOf?.(groupingKeyOf(group.labels))
    // From the last push; a group never pushed expires from its first failure, of which only the last is kept (an estimate then).
    const sinceNs = group.pushTimeNs > 0n ? group.pushTimeNs : group.failureTimeNs
    data.push({
      labels: group.labels,
      push_time: millisOrNull(group.pushTimeNs),
      failure_time: millisOrNull(group.failureTimeNs),
      expires: ttlNs === undefined ? null : millisOrNull(sinceNs + ttlNs),
      series,
      families: [...group.families.keys()]
    })
  }
  return JSON.stringify({ status: 'success', data: { now: Number(nowNs / 1000n) / 1000, groups: data } })
}

function millisOrNull (timeNs: bigint): number | null {
  return timeNs === 0n ? null : Number(timeNs / 1000n) / 1000
}

/** The `/api/v1/status` body. */
export function statusApiBody (info: { version: string, flags: Readonly<Record<string, string>>, startTimeNs: bigint }): string {
  return goJson(goStruct({
    status: 'success',
    data: goStruct({
      build_information: goStruct({
        branch: '',
        buildDate: '',
        buildUser: '',
        goVersion: process.version,
        revision: '',
        version: info.version
      }),
      flags: info.flags,
      start_time: formatGoTime(info.startTimeNs, localOffsetMinutes(info.startTimeNs))
    })
  }))
}

function familyJson ({ family, timeNs }: StoredFamily): unknown {
  return goStruct({
    time_stamp: formatGoTime(timeNs, localOffsetMinutes(timeNs)),
    type: API_TYPES[family.type],
    // Go omits an empty help (omitempty).
    help: family.help === '' ? undefined : family.help,
    metrics: family.metrics.map(metric => metricJson(family.type, metric))
  })
}

function metricJson (type: MetricType, metric: Metric): Record<string, unknown> {
  const out: Record<string, unknown> = { labels: labelObject(metric.labels) }
  if (type === 'summary' && metric.summary !== undefined) {
    const quantiles: Record<string, string> = {}
    for (const q of metric.summary.quantiles) quantiles[formatGoFloat(q.quantile)] = formatGoFloat(q.value)
    out['quantiles'] = quantiles
    out['count'] = formatGoFloat(metric.summary.sampleCount)
    out['sum'] = formatGoFloat(metric.summary.sampleSum)
  } else if (type === 'histogram' && metric.histogram !== undefined) {
    const h = metric.histogram
    out['sum'] = formatGoFloat(h.sampleSum)
    if (isNativeHistogram(h)) {
      // Go prints integer counts as integers and float ones as floats (fmt's %v).
      const float = isFloatHistogram(h)
      const count = (n: number): string => float ? formatGoFloat(n) : String(n)
      out['count'] = count(float ? h.sampleCountFloat ?? 0 : h.sampleCount)
      out['buckets'] = nativeBuckets(h).map(b => [b.boundaries, formatGoFloat(b.lower), formatGoFloat(b.upper), count(b.count)])
    } else {
      const buckets: Record<string, string> = {}
      for (const b of h.buckets) {
        const count = b.cumulativeCountFloat !== undefined && b.cumulativeCountFloat > 0 ? b.cumulativeCountFloat : b.cumulativeCount
        buckets[formatGoFloat(b.upperBound)] = formatGoFloat(count)
      }
      out['buckets'] = buckets
      out['count'] = formatGoFloat(h.sampleCountFloat !== undefined && h.sampleCountFloat > 0 ? h.sampleCountFloat : h.sampleCount)
    }
  } else {
    out['value'] = formatGoFloat(type === 'gaugehistogram' ? 0 : metric.value ?? 0)
  }
  return out
}

function labelObject (labels: readonly LabelPair[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const { name, value } of labels) out[name] = value
  return out
}

// Go prints API times in the server's local zone.
function localOffsetMinutes (timeNs: bigint): number {
  return -new Date(Number(timeNs / 1_000_000n)).getTimezoneOffset()
}
