import type { LabelPair } from './types.js'

/** Whether a metric name matches the legacy pattern `^[a-zA-Z_:][a-zA-Z0-9_:]*$`. */
export function isLegacyMetricName (name: string): boolean {
  return isLegacyName(name, true)
}

/** Whether a label name matches the legacy pattern `^[a-zA-Z_][a-zA-Z0-9_]*$`. */
export function isLegacyLabelName (name: string): boolean {
  return isLegacyName(name, false)
}

// Char codes instead of a regular expression: this runs for every label of every pushed series.
function isLegacyName (name: string, colon: boolean): boolean {
  if (name === '') return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    const allowed = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (colon && c === 0x3a) || (i > 0 && c >= 0x30 && c <= 0x39)
    if (!allowed) return false
  }
  return true
}

// Beyond this many labels a set of the names seen replaces the scan of the labels before.
const SCAN_LIMIT = 16
const seenNames = new WeakMap<readonly LabelPair[], { count: number, names: Set<string> }>()

/**
 * Whether `name` is among the names of the first `count` labels: a scan for the few labels a
 * series has, a set kept per array beyond that, so that a series with many labels costs time in
 * proportion to its labels, not their square. Call it for each label of a series in turn, with
 * the count growing one by one (an array reused for the next series starts over).
 */
export function isDuplicateName (labels: readonly LabelPair[], count: number, name: string): boolean {
  if (count <= SCAN_LIMIT) {
    for (let i = 0; i < count; i++) if ((labels[i] as LabelPair).name === name) return true
    return false
  }
  let seen = seenNames.get(labels)
  // The first call past the scan limit is the first of a series: start a set for it.
  if (seen === undefined || count === SCAN_LIMIT + 1) {
    seen = { count: 0, names: new Set() }
    seenNames.set(labels, seen)
  }
  for (; seen.count < count; seen.count++) seen.names.add((labels[seen.count] as LabelPair).name)
  return seen.names.has(name)
}
