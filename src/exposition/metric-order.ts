import type { LabelPair } from './types.js'

/**
 * Orders two label sets the way client_golang's `internal.MetricSorter` orders the metrics of a
 * family: fewer labels first, then the label values position by position in UTF-8 byte order;
 * label names are ignored, so both sets must already be sorted by label name.
 */
export function compareLabelValues (a: readonly LabelPair[], b: readonly LabelPair[]): number {
  if (a.length !== b.length) return a.length - b.length
  for (let i = 0; i < a.length; i++) {
    const order = compareUtf8((a[i] as LabelPair).value, (b[i] as LabelPair).value)
    if (order !== 0) return order
  }
  return 0
}

/**
 * Compares two strings by their UTF-8 bytes (Go's string order), returning a negative number, zero
 * or a positive number; this differs from JavaScript's UTF-16 order when a string holds code points
 * from U+E000 to U+FFFF and the other a supplementary-plane character at the same position.
 */
export function compareUtf8 (a: string, b: string): number {
  if (a === b) return 0
  const shorter = a.length < b.length ? a.length : b.length
  for (let i = 0; i < shorter; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Below the surrogate range UTF-16 units and code points order alike, and anything below it
    // also precedes everything at or above it in UTF-8.
    if (x < 0xd800 || y < 0xd800) return x - y
    return utf8Rank(x) - utf8Rank(y)
  }
  return a.length - b.length
}

/** Ranks a UTF-16 unit at or above U+D800 so that surrogates (supplementary planes) sort last. */
function utf8Rank (unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000
}
