import type { LabelPair, Metric, MetricFamily } from '../../exposition/types.js'
import { shareSeriesKeys } from '../../groups/series-keys.js'

// Why the store copies what it keeps: V8 allocates straight in the old generation the objects of a
// place in the code whose objects have tended to survive ("allocation-site pretenuring"). Filling
// the store kept every metric the parsers and prepareFamilies made, so afterwards every push's
// metrics were allocated old, although a push of the same series again (the common case) only
// updates the stored ones: they were then garbage only a full collection frees, 6 KB per
// 12-series push, and the old generation (and RSS) grew under load. Copied here, the parsers'
// objects die young whatever the push. Its strings are copied too: V8 makes a substring of 13
// characters or more a view of its parent, so a name or HELP sliced from a body would keep the
// whole body alive as long as the group.

/**
 * A copy of the family, its metrics, their label arrays and label pairs (pairs the group's
 * metrics share stay shared) and the strings in them (one string per label name), for the store
 * to keep; values, summaries, histograms and exemplars are shared with the original. Series keys
 * kept with the original go with the copy.
 */
export function keptFamily (family: MetricFamily): MetricFamily {
  const copyPair = pairCopier()
  const metrics: Metric[] = new Array<Metric>(family.metrics.length)
  for (let i = 0; i < metrics.length; i++) {
    const metric = family.metrics[i] as Metric
    metrics[i] = { ...metric, labels: metric.labels.map(copyPair) }
  }
  const kept: MetricFamily = { ...family, name: ownString(family.name), metrics }
  if (family.help !== undefined) kept.help = ownString(family.help)
  if (family.unit !== undefined) kept.unit = ownString(family.unit)
  shareSeriesKeys(family, kept)
  return kept
}

// Pairs remembered by a copier: the pairs metrics share are the group's (see prepareFamilies),
// all in the first metric, so a short list found by identity catches them without hashing.
const SHARED_PAIRS = 16

// Copies label pairs, a pair met again getting the same copy if it is among the first
// SHARED_PAIRS met, and label names sharing one string per name.
function pairCopier (): (pair: LabelPair) => LabelPair {
  const originals: LabelPair[] = []
  const copies: LabelPair[] = []
  const names = new Map<string, string>()
  return pair => {
    const at = originals.indexOf(pair)
    if (at !== -1) return copies[at] as LabelPair
    let name = names.get(pair.name)
    if (name === undefined) {
      name = ownString(pair.name)
      names.set(name, name)
    }
    const copy = { name, value: ownString(pair.value) }
    if (originals.length < SHARED_PAIRS) {
      originals.push(pair)
      copies.push(copy)
    }
    return copy
  }
}

/** The string, or a copy of it that is not a view of a longer string (see above). */
export function ownString (text: string): string {
  return text.length < SLICED_MIN_LENGTH ? text : ('\0' + text).slice(1)
}

// V8's shortest sliced string; shorter substrings are copies already.
const SLICED_MIN_LENGTH = 13
