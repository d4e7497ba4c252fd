import type { MetricFamily } from '../exposition/types.js'
import { InvalidOptionError, LimitExceededError } from '../errors.js'

/**
 * Limits on what a push may store. A series is one metric: a histogram or summary counts once,
 * and the gateway's `push_time_seconds` and `push_failure_time_seconds` are not counted.
 * `Infinity` turns a limit off.
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
  /** Writers of cumulative aggregate pushes remembered per group. Default 10,000. */
  writersPerGroup?: number | undefined
}

/** Every limit, with its value. */
export type ResolvedLimits = { readonly [K in keyof Limits]-?: number }

/** The limits the store enforces, as it needs them. */
export type StoreLimits = Pick<ResolvedLimits, 'groups' | 'series' | 'seriesPerGroup' | 'writersPerGroup'>

/** The default limits. */
export const DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  seriesPerPush: 100_000,
  seriesPerGroup: 100_000,
  groups: 100_000,
  series: 1_000_000,
  labelNameLength: 1024,
  labelValueLength: 65_536,
  labelsPerSeries: 128,
  writersPerGroup: 10_000
})

/** No limits at all: a custom store called without them. */
export const NO_STORE_LIMITS: StoreLimits = Object.freeze({ groups: Infinity, series: Infinity, seriesPerGroup: Infinity, writersPerGroup: Infinity })

/** The command-line flag of each limit, named in refusals. */
export const LIMIT_FLAGS: Readonly<Record<keyof Limits, string>> = {
  seriesPerPush: 'limits.series-per-push',
  seriesPerGroup: 'limits.series-per-group',
  groups: 'limits.groups',
  series: 'limits.series',
  labelNameLength: 'limits.label-name-length',
  labelValueLength: 'limits.label-value-length',
  labelsPerSeries: 'limits.labels-per-series',
  writersPerGroup: 'limits.writers-per-group'
}

/** Validates the `limits` option: each given limit a positive integer or `Infinity`. */
export function resolveLimits (limits: unknown): ResolvedLimits {
  if (limits === undefined) return DEFAULT_LIMITS
  if (limits === null || typeof limits !== 'object') throw new InvalidOptionError('limits', 'an object', limits)
  const resolved: Record<string, number> = { ...DEFAULT_LIMITS }
  for (const [name, value] of Object.entries(limits)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, name)) throw new InvalidOptionError(`limits.${name}`, `one of the known limits (${Object.keys(DEFAULT_LIMITS).join(', ')})`, value)
    if (value === undefined) continue
    if (value !== Infinity && !(Number.isSafeInteger(value) && value > 0)) {
      throw new InvalidOptionError(`limits.${name}`, 'a positive integer, or Infinity for no limit', value)
    }
    resolved[name] = value
  }
  return Object.freeze(resolved) as ResolvedLimits
}

/** The refusal of a push over a limit, naming the limit, its value and its flag. */
export function limitExceeded (limit: keyof Limits, value: number, what: string): LimitExceededError {
  const status = limit === 'groups' || limit === 'series' ? 429 : 400
  return new LimitExceededError(limit, value, `push refused: ${what}, over the limit of ${value} (limits.${limit}, --${LIMIT_FLAGS[limit]})`, status)
}

/**
 * Checks what a push carries by itself against the limits: its series count and the labels each
 * series will have once stored. Throws a `LimitExceededError` for the first limit exceeded.
 */
export function checkPushLimits (families: readonly MetricFamily[], groupLabels: Readonly<Record<string, string>>, limits: ResolvedLimits): void {
  let series = 0
  for (const family of families) series += family.metrics.length
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
        if (Object.hasOwn(groupLabels, label.name)) continue
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
