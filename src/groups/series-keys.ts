import type { LabelPair, MetricFamily } from '../exposition/types.js'

/**
 * A key identifying a sorted label set, unambiguous for any names and values: each string is
 * prefixed with its length, so no separator character has to be reserved (and ASCII keys stay
 * one byte per character in memory).
 */
export function labelsKey (labels: readonly LabelPair[]): string {
  let key = ''
  for (const { name, value } of labels) key += name.length + ':' + name + value.length + ':' + value
  return key
}

/** The key of one series: family name and sorted labels. */
export function seriesKey (name: string, labels: readonly LabelPair[]): string {
  return name.length + ':' + name + labelsKey(labels)
}

// The keys of a family's metrics, by family object: a large push's are made while it is
// prepared, a slice at a time; an index of series by key keeps them until it forgets the family.
const KEYS = new WeakMap<MetricFamily, readonly string[]>()

/**
 * The keys (see `seriesKey`) of the family's metrics, in their order: those kept with the family,
 * or made now, and kept with it unless `keep` is false. A family's series must not change once
 * it is stored (values may).
 */
export function seriesKeys (family: MetricFamily, keep = true): readonly string[] {
  let keys = KEYS.get(family)
  if (keys === undefined) {
    keys = family.metrics.map(metric => seriesKey(family.name, metric.labels))
    if (keep) KEYS.set(family, keys)
  }
  return keys
}

/** Keeps the keys of the family's metrics (see `seriesKeys`), made by the caller. */
export function keepSeriesKeys (family: MetricFamily, keys: readonly string[]): void {
  KEYS.set(family, keys)
}

/** Gives `to`, which has the same series as `from` in the same order, the keys kept with `from`, if any. */
export function shareSeriesKeys (from: MetricFamily, to: MetricFamily): void {
  const keys = KEYS.get(from)
  if (keys !== undefined) KEYS.set(to, keys)
}

/** Lets go of the keys kept with the family, when nothing will look its series up by key. */
export function dropSeriesKeys (family: MetricFamily): void {
  KEYS.delete(family)
}
