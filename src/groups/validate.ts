import type { BucketSpan, Exemplar, Histogram, MetricFamily } from '../exposition/types.js'
import { ParseError } from '../errors.js'
import { isValidLabelName, type NameValidation } from '../exposition/names.js'
import { limitExceeded, type ResolvedLimits } from './limits.js'

/** OpenMetrics allows at most this many characters in an exemplar's label names and values together. */
export const MAX_EXEMPLAR_RUNES = 128
// The native histogram schemas Prometheus reads (exponential buckets).
const MIN_SCHEMA = -4
const MAX_SCHEMA = 8
const UNIT = /^[a-zA-Z0-9_:]*$/

/**
 * Refuses, before anything is stored, what a push may not store: what one of the formats we serve
 * (text, OpenMetrics, protobuf, JSON) could not carry, or what would cost work or memory beyond the
 * limits. Units that are not a suffix of their family's name, exemplars with invalid or repeated
 * label names or over 128 characters, and native histograms whose spans do not match their buckets
 * or whose schema Prometheus does not read are a `ParseError` (400); a metric name, a HELP text or a
 * histogram over its limit a `LimitExceededError` (400). Exemplar label names are checked under
 * `validation` (default `'legacy'`). Costs time in proportion to the push.
 */
export function checkStorable (families: readonly MetricFamily[], limits: ResolvedLimits, validation: NameValidation = 'legacy'): void {
  for (const family of families) {
    const { name } = family
    if (name.length > limits.metricNameLength) {
      throw limitExceeded('metricNameLength', limits.metricNameLength, `the metric name ${JSON.stringify(name.slice(0, 40) + '…')} has ${name.length} characters`)
    }
    if (family.help !== undefined && family.help.length * 3 > limits.helpLength) {
      const bytes = Buffer.byteLength(family.help)
      if (bytes > limits.helpLength) throw limitExceeded('helpLength', limits.helpLength, `the HELP of ${JSON.stringify(name)} has ${bytes} bytes`)
    }
    if (family.unit !== undefined && family.unit !== '') checkUnit(family)
    for (const metric of family.metrics) {
      if (metric.exemplar !== undefined) checkExemplar(name, metric.exemplar, validation)
      if (metric.histogram !== undefined) checkHistogram(name, metric.histogram, limits, validation)
    }
  }
}

function checkUnit ({ name, type, unit }: MetricFamily): void {
  // OpenMetrics names a counter family without its `_total`; the unit is a suffix of that name.
  const familyName = type === 'counter' && name.endsWith('_total') ? name.slice(0, -6) : name
  if (!UNIT.test(unit as string) || !familyName.endsWith('_' + (unit as string))) {
    throw new ParseError(`metric family ${JSON.stringify(name)} has unit ${JSON.stringify(unit)}, which is not a suffix of its name (OpenMetrics requires the name to end in _<unit>)`)
  }
}

function checkExemplar (family: string, exemplar: Exemplar, validation: NameValidation): void {
  let runes = 0
  const seen = new Set<string>()
  for (const { name, value } of exemplar.labels) {
    if (!isValidLabelName(name, validation)) throw new ParseError(`an exemplar of ${JSON.stringify(family)} has an invalid label name ${JSON.stringify(name)}`)
    if (seen.has(name)) throw new ParseError(`an exemplar of ${JSON.stringify(family)} has the label ${JSON.stringify(name)} twice`)
    seen.add(name)
    runes += runeCount(name) + runeCount(value)
  }
  if (runes > MAX_EXEMPLAR_RUNES) {
    throw new ParseError(`an exemplar of ${JSON.stringify(family)} has ${runes} characters in its labels, over the ${MAX_EXEMPLAR_RUNES} OpenMetrics allows`)
  }
}

function checkHistogram (family: string, histogram: Histogram, limits: ResolvedLimits, validation: NameValidation): void {
  for (const bucket of histogram.buckets) if (bucket.exemplar !== undefined) checkExemplar(family, bucket.exemplar, validation)
  for (const exemplar of histogram.exemplars) checkExemplar(family, exemplar, validation)
  let buckets = histogram.buckets.length
  const native = histogram.positiveSpans.length + histogram.negativeSpans.length > 0 ||
    histogram.positiveDeltas.length + histogram.negativeDeltas.length + histogram.positiveCounts.length + histogram.negativeCounts.length > 0
  if (native) {
    const schema = histogram.schema ?? 0
    if (schema < MIN_SCHEMA || schema > MAX_SCHEMA) {
      throw new ParseError(`a native histogram of ${JSON.stringify(family)} has schema ${schema}, outside ${MIN_SCHEMA} to ${MAX_SCHEMA}`)
    }
    if (!((histogram.zeroThreshold ?? 0) >= 0)) throw new ParseError(`a native histogram of ${JSON.stringify(family)} has zero threshold ${histogram.zeroThreshold}`)
    buckets += nativeBuckets(family, 'positive', histogram.positiveSpans, histogram.positiveDeltas.length, histogram.positiveCounts.length)
    buckets += nativeBuckets(family, 'negative', histogram.negativeSpans, histogram.negativeDeltas.length, histogram.negativeCounts.length)
  }
  if (buckets > limits.bucketsPerHistogram) {
    throw limitExceeded('bucketsPerHistogram', limits.bucketsPerHistogram, `a histogram of ${JSON.stringify(family)} has ${buckets} buckets`)
  }
}

// The buckets one side of a native histogram holds, once its spans are known to match its values.
function nativeBuckets (family: string, side: string, spans: readonly BucketSpan[], deltas: number, counts: number): number {
  if (deltas > 0 && counts > 0) throw new ParseError(`a native histogram of ${JSON.stringify(family)} has both ${side} deltas and ${side} counts`)
  let total = 0
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i] as BucketSpan
    // Only the first span's offset is an index; the others are gaps, so a negative one would overlap.
    if (i > 0 && span.offset < 0) throw new ParseError(`a native histogram of ${JSON.stringify(family)} has ${side} span ${i} with offset ${span.offset}`)
    total += span.length
  }
  const values = deltas + counts
  if (total !== values) throw new ParseError(`a native histogram of ${JSON.stringify(family)} has ${side} spans for ${total} buckets and ${values} bucket values`)
  return total
}

function runeCount (text: string): number {
  let runes = text.length
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // The second half of a surrogate pair is not a character of its own.
    if (code >= 0xdc00 && code <= 0xdfff && i > 0) {
      const previous = text.charCodeAt(i - 1)
      if (previous >= 0xd800 && previous <= 0xdbff) runes--
    }
  }
  return runes
}
