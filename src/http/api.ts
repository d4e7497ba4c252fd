import type { LabelPair, Metric, MetricFamily, MetricType } from '../exposition/types.js'
import type { GroupView } from '../store/store.js'
import { formatGoFloat } from '../exposition/format-float.js'
import { isFloatHistogram, isNativeHistogram, nativeBuckets } from '../exposition/native-histogram.js'
import { formatGoTime, goJson, goRaw, goStruct, type GoRaw } from './go-json.js'
import { Pacer, nextTurn } from '../clock.js'
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

// Metrics serialized between two turns of the event loop by metricsApiBody.
const API_BATCH = 4096
// Attempts at a large group written to while it was serialized; the last one does not pause.
const API_ATTEMPTS = 3

/**
 * The `/api/v1/metrics` body: one object per group, with the reference's shape and formatting.
 * It awaits `pause` (default: the next turn of the event loop) after every `API_BATCH` metrics,
 * so that a large store's body is built while other requests run; a group of more metrics than
 * that, written to meanwhile, is serialized again, so each shows as one write left it.
 */
export async function metricsApiBody (groups: Iterable<GroupView>, pause: () => Promise<void> = nextTurn): Promise<Buffer> {
  // The entries of small groups are taken whole, each in one turn, and serialized together
  // before each pause: one string per batch rather than one per group, which kept the garbage
  // collector busy.
  const list = new JsonList()
  let pending: unknown[] = []
  const flush = (): void => {
    if (pending.length > 0) list.add(goJson(pending).slice(1, -1))
    pending = []
  }
  const pacer = new Pacer(API_BATCH, pause)
  for (const group of groups) {
    const size = metricCount(group)
    if (size > API_BATCH) {
      flush()
      list.add(await largeGroupJson(group, pacer))
      continue
    }
    pending.push(groupEntry(group, family => family.metrics.map(metric => metricJson(family.type, metric))))
    if (!pacer.spent(size)) continue
    flush()
    await pacer.rest()
  }
  flush()
  return await list.bytes('{"status":"success","data":[', ']}', pause)
}

// A group of more than API_BATCH metrics, serialized a batch of metrics at a time, counted by
// `pacer`; again while it is written to meanwhile, the last attempt without pausing.
async function largeGroupJson (group: GroupView, pacer: Pacer): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const { pushTimeNs, failureTimeNs } = group
    const pausing = attempt < API_ATTEMPTS
    const serialized = new Map<MetricFamily, GoRaw>()
    for (const { family } of group.families.values()) {
      const batches: string[] = []
      for (let start = 0; start < family.metrics.length; start += API_BATCH) {
        const batch = family.metrics.slice(start, start + API_BATCH)
        batches.push(goJson(batch.map(metric => metricJson(family.type, metric))).slice(1, -1))
        if (pacer.spent(batch.length) && pausing) await pacer.rest()
      }
      serialized.set(family, goRaw('[' + batches.join(',') + ']'))
    }
    // Every write to a group sets one of its two times.
    if (pausing && (group.pushTimeNs !== pushTimeNs || group.failureTimeNs !== failureTimeNs)) continue
    return goJson(groupEntry(group, family => serialized.get(family)))
  }
}

// The metrics a group holds, its two timestamps included.
function metricCount (group: GroupView): number {
  let count = 0
  for (const { family } of group.families.values()) count += family.metrics.length
  return count
}

// One group's entry, with each family's metrics as `metricsOf` gives them.
function groupEntry (group: GroupView, metricsOf: (family: MetricFamily) => unknown): Record<string, unknown> {
  // No prototype: a family may be named `__proto__` (or `constructor`) and is a key like any other.
  const entry: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  entry['labels'] = group.labels
  entry['last_push_successful'] = group.failureTimeNs <= group.pushTimeNs
  for (const [name, { family, timeNs }] of group.families) {
    entry[name] = goStruct({
      time_stamp: formatGoTime(timeNs, localOffsetMinutes(timeNs)),
      type: API_TYPES[family.type],
      // Go omits an empty help (omitempty).
      help: family.help === '' ? undefined : family.help,
      metrics: metricsOf(family)
    })
  }
  return entry
}

// Groups summarized between two turns of the event loop by groupsApiBody.
const GROUPS_BATCH = 4096

/**
 * The `/api/v1/groups` body (ours, for the status page): per group its labels, the times of its
 * last push, last failure and expiry in milliseconds since the epoch (`null` for none), its number
 * of series and its family names; `now` is the gateway's clock, so that a browser can tell ages.
 * It awaits `pause` (default: the next turn of the event loop) after every `GROUPS_BATCH` groups.
 */
export async function groupsApiBody (groups: Iterable<GroupView>, ttlOf: TtlOf | undefined, nowNs: bigint, pause: () => Promise<void> = nextTurn): Promise<Buffer> {
  const list = new JsonList()
  let batch: string[] = []
  const pacer = new Pacer(GROUPS_BATCH, pause)
  for (const group of groups) {
    const ttlNs = ttlOf?.(groupingKeyOf(group.labels))
    // From the last push; a group never pushed expires from its first failure, of which only the last is kept (an estimate then).
    const sinceNs = group.pushTimeNs > 0n ? group.pushTimeNs : group.failureTimeNs
    batch.push(JSON.stringify({
      labels: group.labels,
      push_time: millisOrNull(group.pushTimeNs),
      failure_time: millisOrNull(group.failureTimeNs),
      expires: ttlNs === undefined ? null : millisOrNull(sinceNs + ttlNs),
      series: metricCount(group),
      families: [...group.families.keys()]
    }))
    if (!pacer.spent()) continue
    list.add(batch.join(','))
    batch = []
    await pacer.rest()
  }
  list.add(batch.join(','))
  return await list.bytes(`{"status":"success","data":{"now":${JSON.stringify(Number(nowNs / 1000n) / 1000)},"groups":[`, ']}}', pause)
}

// Bytes of a body copied together between two turns of the event loop: writing to fresh memory
// costs a page fault per page, about 60 ms for 70 MB on the development VM.
const COPY_BATCH = 4 * 1024 * 1024

/**
 * The elements of a JSON array, added a serialized run at a time and kept as bytes: no long
 * string has to be encoded at the end, and the body is put together a few megabytes at a time.
 */
class JsonList {
  readonly #parts: Buffer[] = []

  /** Adds serialized elements (comma-separated, without brackets); an empty string adds none. */
  add (elements: string): void {
    if (elements === '') return
    this.#parts.push(Buffer.from(this.#parts.length === 0 ? elements : ',' + elements))
  }

  /** The array between `head` and `tail`, awaiting `pause` after every `COPY_BATCH` bytes copied. */
  async bytes (head: string, tail: string, pause: () => Promise<void>): Promise<Buffer> {
    const parts = [Buffer.from(head), ...this.#parts, Buffer.from(tail)]
    let length = 0
    for (const part of parts) length += part.length
    const body = Buffer.allocUnsafe(length)
    const pacer = new Pacer(COPY_BATCH, pause)
    let offset = 0
    for (const part of parts) {
      offset += part.copy(body, offset)
      if (pacer.spent(part.length)) await pacer.rest()
    }
    return body
  }
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
