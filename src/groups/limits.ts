import type { MetricFamily } from '../exposition/types.js'
import type { ParseBudget } from '../exposition/parse.js'
import { InvalidOptionError, LimitExceededError } from '../errors.js'
import { refuseUnknownOptions } from '../known-options.js'

/**
 * Limits on what a push may store and on what uploads may hold. Series are counted as the text
 * exposition shows them: a histogram with b buckets counts b + 2 (native buckets like classic
 * ones), a summary with q quantiles q + 2, any other metric 1, a family without metrics 1; the
 * gateway's `push_time_seconds` and `push_failure_time_seconds` are not counted. `Infinity` turns
 * a limit off.
 */
export interface Limits {
  /** Series in one push. Default 100,000. */
  seriesPerPush?: number | undefined
  /** Series in one group once a push is applied. Default 100,000. */
  seriesPerGroup?: number | undefined
  /** Groups in the store. Default 100,000. */
  groups?: number | undefined
  /** Series in the whole store. Default 1,000,000. */
  series?: number | undefined
  /** Characters in a label name, grouping labels included. Default 1,024. */
  labelNameLength?: number | undefined
  /** UTF-8 bytes in a label value, grouping labels included. Default 65,536. */
  labelValueLength?: number | undefined
  /** Labels on one stored series: its own, the grouping labels and `instance`. Default 128. */
  labelsPerSeries?: number | undefined
  /** Writers of cumulative aggregate pushes remembered per group; what each writer pushed last counts toward the series limits. Default 10,000. */
  writersPerGroup?: number | undefined
  /** Groups of one job, so that one tenant cannot take every group. Default `Infinity`. */
  groupsPerJob?: number | undefined
  /** Series in all groups of one job. Default `Infinity`. */
  seriesPerJob?: number | undefined
  /** Characters in a metric name. Default 1,024. */
  metricNameLength?: number | undefined
  /** UTF-8 bytes in a family's HELP text. Default 65,536. */
  helpLength?: number | undefined
  /** Buckets in one histogram, classic and native together. Default 4,096. */
  bucketsPerHistogram?: number | undefined
  /** Bytes of request bodies being received at once, counted after decompression, across all uploads; an upload past it is answered 503 with `Retry-After`. Default 128 MiB. */
  bodyBytesInFlight?: number | undefined
}

/** Every limit, with its value. */
export type ResolvedLimits = { readonly [K in keyof Limits]-?: number }

/** The limits the store enforces, as it needs them. */
export type StoreLimits = Pick<ResolvedLimits, 'groups' | 'series' | 'seriesPerGroup' | 'writersPerGroup' | 'groupsPerJob' | 'seriesPerJob'>

/** The default limits. */
export const DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  seriesPerPush: 100_000,
  seriesPerGroup: 100_000,
  groups: 100_000,
  series: 1_000_000,
  labelNameLength: 1024,
  labelValueLength: 65_536,
  labelsPerSeries: 128,
  writersPerGroup: 10_000,
  groupsPerJob: Infinity,
  seriesPerJob: Infinity,
  metricNameLength: 1024,
  helpLength: 65_536,
  bucketsPerHistogram: 4096,
  bodyBytesInFlight: 128 * 1024 * 1024
})

/** No limits at all: a custom store called without them. */
export const NO_STORE_LIMITS: StoreLimits = Object.freeze({ groups: Infinity, series: Infinity, seriesPerGroup: Infinity, writersPerGroup: Infinity, groupsPerJob: Infinity, seriesPerJob: Infinity })

/** The command-line flag of each limit, named in refusals. */
export const LIMIT_FLAGS: Readonly<Record<keyof Limits, string>> = {
  seriesPerPush: 'limits.series-per-push',
  seriesPerGroup: 'limits.series-per-group',
  groups: 'limits.groups',
  series: 'limits.series',
  labelNameLength: 'limits.label-name-length',
  labelValueLength: 'limits.label-value-length',
  labelsPerSeries: 'limits.labels-per-series',
  writersPerGroup: 'limits.writers-per-group',
  groupsPerJob: 'limits.groups-per-job',
  seriesPerJob: 'limits.series-per-job',
  metricNameLength: 'limits.metric-name-length',
  helpLength: 'limits.help-length',
  bucketsPerHistogram: 'limits.buckets-per-histogram',
  bodyBytesInFlight: 'limits.body-bytes-in-flight'
}

/** Validates the `limits` option: each given limit a positive integer or `Infinity`. */
export function resolveLimits (limits: unknown): ResolvedLimits {
  if (limits === undefined) return DEFAULT_LIMITS
  if (limits === null || typeof limits !== 'object') throw new InvalidOptionError('limits', 'an object', limits)
  refuseUnknownOptions(limits, Object.keys(DEFAULT_LIMITS), 'limits.')
  const resolved: Record<string, number> = { ...DEFAULT_LIMITS }
  for (const [name, value] of Object.entries(limits)) {
    if (value === undefined) continue
    if (value !== Infinity && !(Number.isSafeInteger(value) && value > 0)) {
      throw new InvalidOptionError(`limits.${name}`, 'a positive integer, or Infinity for no limit', value)
    }
    resolved[name] = value
  }
  return Object.freeze(resolved) as ResolvedLimits
}

// Limits of what the store holds in all: a push over one may succeed later, when there is room.
const CAPACITY_LIMITS: ReadonlySet<keyof Limits> = new Set(['groups', 'series', 'groupsPerJob', 'seriesPerJob'])

/** The series a family counts for in the limits: as many as its lines in the text exposition, at least 1. */
export function seriesCost (family: MetricFamily): number {
  let series = 0
  for (const metric of family.metrics) {
    if (family.type === 'summary') {
      series += (metric.summary?.quantiles.length ?? 0) + 2
    } else if (metric.histogram !== undefined && (family.type === 'histogram' || family.type === 'gaugehistogram')) {
      const h = metric.histogram
      series += h.buckets.length + 2 + spanBuckets(h.positiveSpans) + spanBuckets(h.negativeSpans)
    } else {
      series++
    }
  }
  return Math.max(series, 1)
}

function spanBuckets (spans: ReadonlyArray<{ length: number }>): number {
  let buckets = 0
  for (const span of spans) buckets += span.length
  return buckets
}

/** The refusal of a push over a limit, naming the limit, its value and its flag. */
export function limitExceeded (limit: keyof Limits, value: number, what: string): LimitExceededError {
  const status = CAPACITY_LIMITS.has(limit) ? 429 : limit === 'bodyBytesInFlight' ? 503 : 400
  return new LimitExceededError(limit, value, `push refused: ${what}, over the limit of ${value} (limits.${limit}, --${LIMIT_FLAGS[limit]})`, status)
}

/**
 * The bounds a parse stops at: more metrics than `seriesPerPush` (each costs a series at least)
 * or more labels on one than `labelsPerSeries` (each is stored), refused as those limits are.
 */
export function parseBudget (limits: ResolvedLimits): ParseBudget {
  return {
    metrics: limits.seriesPerPush,
    labels: limits.labelsPerSeries,
    refuse (bound, family) {
      if (bound === 'metrics') return limitExceeded('seriesPerPush', limits.seriesPerPush, `the push has more than ${limits.seriesPerPush} series`)
      const series = family === undefined ? 'a series' : `a series of ${JSON.stringify(family)}`
      return limitExceeded('labelsPerSeries', limits.labelsPerSeries, `${series} has more than ${limits.labelsPerSeries} labels`)
    }
  }
}

/**
 * Checks what a push carries by itself against the limits: its series count and the labels each
 * series will have once stored. Throws a `LimitExceededError` for the first limit exceeded.
 */
export function checkPushLimits (families: readonly MetricFamily[], groupLabels: Readonly<Record<string, string>>, limits: ResolvedLimits): void {
  let series = 0
  for (const family of families) series += seriesCost(family)
  if (series > limits.seriesPerPush) throw limitExceeded('seriesPerPush', limits.seriesPerPush, `the push has ${series} series`)
  const groupNames = Object.keys(groupLabels)
  for (const name of groupNames) checkLabel(name, groupLabels[name] as string, limits)
  const groupHasInstance = Object.hasOwn(groupLabels, 'instance')
  for (const family of families) {
    for (const metric of family.metrics) {
      // The labels the series is stored with: its own minus those the group overrides, the group's, and `instance`.
      let count = groupNames.length
      let hasInstance = groupHasInstance
      for (const label of metric.labels) {
        if (groupNames.includes(label.name)) continue
        checkLabel(label.name, label.value, limits)
        count++
        if (label.name === 'instance') hasInstance = true
      }
      if (!hasInstance) count++
      if (count > limits.labelsPerSeries) {
        throw limitExceeded('labelsPerSeries', limits.labelsPerSeries, `a series of ${JSON.stringify(family.name)} would carry ${count} labels`)
      }
    }
  }
}

function checkLabel (name: string, value: string, limits: ResolvedLimits): void {
  if (name.length > limits.labelNameLength) {
    throw limitExceeded('labelNameLength', limits.labelNameLength, `the label name ${JSON.stringify(name.length > 40 ? name.slice(0, 40) + '…' : name)} has ${name.length} characters`)
  }
  // Only a value this long in UTF-16 can be as long in UTF-8 bytes; skip the byte count for the rest.
  if (value.length * 3 > limits.labelValueLength) {
    const bytes = Buffer.byteLength(value)
    if (bytes > limits.labelValueLength) throw limitExceeded('labelValueLength', limits.labelValueLength, `the value of label ${JSON.stringify(name)} has ${bytes} bytes`)
  }
}
