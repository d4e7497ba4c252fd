import type { LabelPair, Metric, MetricFamily } from '../../exposition/types.js'
import { shareSeriesKeys } from '../../groups/series-keys.js'
import { withLabels } from '../../groups/sanitize.js'

// Why the store copies what it keeps: V8 allocates straight in the old generation the objects of a
// place in the code whose objects have tended to survive ("allocation-site pretenuring"). Filling
// the store kept every metric the parsers and prepareFamilies made, so afterwards every push's
// metrics were allocated old, although a push of the same series again (the common case) only
// updates the stored ones: they were then garbage only a full collection frees, 6 KB per
// 12-series push, and the old generation (and RSS) grew under load. Copied here, the parsers'
// objects die young whatever the push. Its strings are copied too: V8 makes a substring of 13
// characters or more a view of its parent, so a name or HELP sliced from a body would keep the
// whole body alive as long as the group. Names, HELP texts, units and label pairs met recently
// are kept once (see `sharedString`, `sharedPair`): 10,000 groups of one job then hold one copy
// of its family's name and of each label pair they have in common.

/**
 * A copy of the family, its metrics, their label arrays and label pairs (pairs the group's
 * metrics share stay shared) and the strings in them (see `sharedString`), for the store to keep;
 * values, summaries, histograms and exemplars are shared with the original. A pair equal to one
 * of `kept` (the group's own, default none) is that one. Series keys kept with the original go
 * with the copy.
 */
export function keptFamily (family: MetricFamily, kept: readonly LabelPair[] = []): MetricFamily {
  const copyPair = pairCopier(kept, family.metrics.length <= SHARED_FAMILY_SIZE)
  const metrics: Metric[] = new Array<Metric>(family.metrics.length)
  for (let i = 0; i < metrics.length; i++) {
    const metric = family.metrics[i] as Metric
    metrics[i] = withLabels(metric, metric.labels.map(copyPair))
  }
  const copy: MetricFamily = { ...family, name: sharedString(family.name), metrics }
  if (family.help !== undefined) copy.help = sharedString(family.help)
  if (family.unit !== undefined) copy.unit = sharedString(family.unit)
  shareSeriesKeys(family, copy)
  return copy
}

// Pairs remembered by a copier: the pairs metrics share are the group's (see prepareFamilies),
// all in the first metric, so a short list found by identity catches them without hashing.
const REMEMBERED_PAIRS = 16

// Families of more metrics have their own pairs: their pairs are mostly unique, and looking
// each up made a new 100,000-series group take a quarter longer.
const SHARED_FAMILY_SIZE = 1024

// Copies label pairs, a pair met again getting the same copy if it is among the first
// REMEMBERED_PAIRS met, a pair equal to one of `kept` getting that one, and the others shared (see
// `sharedPair`) when `share` is true.
function pairCopier (kept: readonly LabelPair[], share: boolean): (pair: LabelPair) => LabelPair {
  const originals: LabelPair[] = []
  const copies: LabelPair[] = []
  return pair => {
    const at = originals.indexOf(pair)
    if (at !== -1) return copies[at] as LabelPair
    const copy = equalPair(kept, pair) ?? (share ? sharedPair(pair) : { name: sharedString(pair.name), value: ownString(pair.value) })
    if (originals.length < REMEMBERED_PAIRS) {
      originals.push(pair)
      copies.push(copy)
    }
    return copy
  }
}

function equalPair (pairs: readonly LabelPair[], pair: LabelPair): LabelPair | undefined {
  for (const other of pairs) if (other.name === pair.name && other.value === pair.value) return other
  return undefined
}

// What was handed out recently, by key. It forgets everything when it holds more than
// MAX_ENTRIES or keys of more than MAX_CHARACTERS in all, so that it keeps little alive once the
// groups that used it are gone; a long key (a HELP, a label value) is rarely met again and would
// crowd the others out, so it is not remembered.
class Recent<T> {
  readonly #kept = new Map<string, T>()
  #characters = 0

  get (key: string): T | undefined {
    return this.#kept.get(key)
  }

  remember (key: string, value: T): T {
    if (key.length > MAX_KEY_LENGTH) return value
    if (this.#kept.size >= MAX_ENTRIES || this.#characters + key.length > MAX_CHARACTERS) {
      this.#kept.clear()
      this.#characters = 0
    }
    this.#kept.set(key, value)
    this.#characters += key.length
    return value
  }
}

const MAX_ENTRIES = 4096
const MAX_CHARACTERS = 1 << 20
const MAX_KEY_LENGTH = 256
const strings = new Recent<string>()
const pairs = new Recent<LabelPair>()

/**
 * The string as the store keeps it: the copy handed out before for the same text, when it is still
 * remembered, else a copy that is not a view of a longer string (see above).
 */
export function sharedString (text: string): string {
  const met = strings.get(text)
  if (met !== undefined) return met
  const kept = ownString(text)
  return strings.remember(kept, kept)
}

/**
 * A pair equal to `pair` for the store to keep: the one handed out before, when it is still
 * remembered, else a copy (see `sharedString`). The store never changes a pair it keeps.
 */
export function sharedPair (pair: LabelPair): LabelPair {
  // Prefixed with the name's length, the key of one pair cannot be that of another.
  const key = pair.name.length + ':' + pair.name + pair.value
  return pairs.get(key) ?? pairs.remember(ownString(key), { name: sharedString(pair.name), value: sharedString(pair.value) })
}

/** The string, or a copy of it that is not a view of a longer string (see above). */
export function ownString (text: string): string {
  return text.length < SLICED_MIN_LENGTH ? text : ('\0' + text).slice(1)
}

// V8's shortest sliced string; shorter substrings are copies already.
const SLICED_MIN_LENGTH = 13
