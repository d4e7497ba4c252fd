import type { LabelPair, Metric, MetricFamily } from '../exposition/types.js'
import { nextTurn } from '../clock.js'
import { sortInPlace } from '../sort.js'
import { keepSeriesKeys, seriesKey } from './series-keys.js'

/** Name of the gauge holding each group's last successful write time. */
export const PUSH_TIME = 'push_time_seconds'
/** Name of the gauge holding each group's last failed write time. */
export const PUSH_FAILURE_TIME = 'push_failure_time_seconds'
/** HELP of `push_time_seconds`, byte-exact with the reference. */
export const PUSH_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway succeeded.'
/** HELP of `push_failure_time_seconds`, byte-exact with the reference. */
export const PUSH_FAILURE_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway failed.'

const EMPTY_INSTANCE: LabelPair = Object.freeze({ name: 'instance', value: '' })

/** Sorts label pairs by name; names are ASCII, so code unit order is byte order. */
export function sortLabels (labels: LabelPair[]): LabelPair[] {
  return sortInPlace(labels, byName)
}

function byName (a: LabelPair, b: LabelPair): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

/** The grouping labels as sorted pairs. */
export function groupLabelPairs (labels: Readonly<Record<string, string>>): LabelPair[] {
  return sortLabels(Object.keys(labels).map(name => ({ name, value: labels[name] as string })))
}

/** The labels every series of a group carries: the grouping labels plus `instance=""` if absent. */
export function exportedGroupLabels (groupPairs: readonly LabelPair[]): LabelPair[] {
  if (groupPairs.some(l => l.name === 'instance')) return groupPairs.slice()
  return sortLabels([...groupPairs, EMPTY_INSTANCE])
}

// Metrics sanitized between two turns of the event loop.
const PREPARE_SLICE = 4096

/** The two families the gateway keeps for each group, never taken from a push. */
export const TIMESTAMP_FAMILIES: ReadonlySet<string> = new Set([PUSH_TIME, PUSH_FAILURE_TIME])

/**
 * The families a write hands to a store: the pushed ones but the two timestamp families (the
 * gateway keeps those), with the grouping labels forced onto every metric (they override the
 * body's), `instance=""` where no instance is set, and the labels sorted by name, as the
 * reference does. New families and metrics; the values are shared with the input. A large push
 * is done a slice of metrics at a time, with a turn of the event loop (`pause`) in between, and
 * the keys of its series are made then too (see `seriesKeys`).
 */
export async function prepareFamilies (
  families: readonly MetricFamily[],
  groupLabels: Readonly<Record<string, string>>,
  pause: () => Promise<void> = nextTurn
): Promise<MetricFamily[]> {
  const groupPairs = groupLabelPairs(groupLabels)
  const groupHasInstance = Object.hasOwn(groupLabels, 'instance')
  const prepared: MetricFamily[] = []
  // A push of one slice or less leaves its keys to the store, which needs none to update series in place.
  let total = 0
  for (const family of families) total += family.metrics.length
  const hashed = total > PREPARE_SLICE ? new Set<string>() : undefined
  let budget = PREPARE_SLICE
  for (const family of families) {
    if (TIMESTAMP_FAMILIES.has(family.name)) continue
    const metrics = new Array<Metric>(family.metrics.length)
    // Made only with the keys: a push of one slice, the common case, allocates no list for them.
    const keys = hashed === undefined ? undefined : new Array<string>()
    for (let i = 0; i < metrics.length; i++) {
      if (--budget < 0) {
        hashed?.clear()
        await pause()
        budget = PREPARE_SLICE - 1
      }
      const sanitized = sanitizeMetric(family.metrics[i] as Metric, groupPairs, groupHasInstance)
      metrics[i] = sanitized
      if (hashed === undefined || keys === undefined) continue
      const key = seriesKey(family.name, sanitized.labels)
      // Hashed here, a slice at a time: the store's check and index then look the key up at once.
      hashed.add(key)
      keys.push(key)
    }
    const done: MetricFamily = { ...family, metrics }
    if (keys !== undefined) keepSeriesKeys(done, keys)
    prepared.push(done)
  }
  hashed?.clear()
  return prepared
}

function sanitizeMetric (metric: Metric, groupPairs: readonly LabelPair[], groupHasInstance: boolean): Metric {
  const labels: LabelPair[] = []
  let hasInstance = groupHasInstance
  for (const label of metric.labels) {
    if (hasName(groupPairs, label.name)) continue
    if (label.name === 'instance') hasInstance = true
    labels.push(label)
  }
  for (let i = 0; i < groupPairs.length; i++) labels.push(groupPairs[i] as LabelPair)
  if (!hasInstance) labels.push(EMPTY_INSTANCE)
  return withLabels(metric, sortLabels(labels))
}

// A group has few labels: comparing their names costs less than hashing a name fresh from a body.
function hasName (pairs: readonly LabelPair[], name: string): boolean {
  for (let i = 0; i < pairs.length; i++) if ((pairs[i] as LabelPair).name === name) return true
  return false
}

/**
 * The metric with other labels. A sample, the common case, is written as a literal: a spread copy
 * takes the parser's object layout, whose properties, added one by one, live in a separate array
 * (40 bytes more per metric).
 */
export function withLabels (metric: Metric, labels: LabelPair[]): Metric {
  const { value } = metric
  if (value !== undefined && metric.summary === undefined && metric.histogram === undefined && metric.timestampMs === undefined && metric.exemplar === undefined && metric.createdTimestampMs === undefined) {
    return { labels, value }
  }
  return { ...metric, labels }
}
