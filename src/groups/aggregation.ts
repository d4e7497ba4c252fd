import { AggregationError, InvalidOptionError } from '../errors.js'
import { GAUGE_RULES, type GaugeRule } from './aggregate.js'
import type { GroupingKey } from './grouping-key.js'
import { refuseUnknownOptions } from '../known-options.js'

/** Options of the aggregation endpoint, `<mount>/aggregate/job/<job>{/<label>/<value>}`. */
export interface AggregationOptions {
  /** The rule for gauge families that `gaugeRules` does not name: `last`, `sum`, `min` or `max`. Default `'last'`. */
  gaugeRule?: GaugeRule | undefined
  /** Rules by gauge family name, or a function of the family name and the grouping key (`undefined`: `gaugeRule`). Default: none. */
  gaugeRules?: Readonly<Record<string, GaugeRule>> | ((family: string, key: Required<GroupingKey>) => GaugeRule | undefined) | undefined
}

/** The gauge rule of each family of one aggregate push. */
export type GaugeRulesOf = (key: Required<GroupingKey>) => (family: string) => GaugeRule

/** The request header naming the writer of a cumulative aggregate push. */
export const WRITER_HEADER = 'pushgateway-writer'
/** The grouping label naming the writer of a cumulative aggregate push; it is removed from the grouping key. */
export const WRITER_LABEL = '__writer__'
/** The longest writer name, in characters. */
export const MAX_WRITER_LENGTH = 1024

/** Validates the `aggregation` option; `undefined` when aggregation is turned off. */
export function resolveAggregation (aggregation: unknown): GaugeRulesOf | undefined {
  if (aggregation === false) return undefined
  if (aggregation === undefined) return () => () => 'last'
  if (aggregation === null || typeof aggregation !== 'object') throw new InvalidOptionError('aggregation', 'an object or false', aggregation)
  refuseUnknownOptions(aggregation, ['gaugeRule', 'gaugeRules'], 'aggregation.')
  const { gaugeRule = 'last', gaugeRules } = aggregation as AggregationOptions
  const fallback = checkRule('aggregation.gaugeRule', gaugeRule)
  if (typeof gaugeRules === 'function') {
    return key => family => {
      const rule = gaugeRules(family, key)
      return rule === undefined ? fallback : checkRule('the rule answered by aggregation.gaugeRules', rule)
    }
  }
  if (gaugeRules === undefined) return () => () => fallback
  if (gaugeRules === null || typeof gaugeRules !== 'object') throw new InvalidOptionError('aggregation.gaugeRules', 'an object of rules by family, or a function', gaugeRules)
  const byFamily = new Map(Object.entries(gaugeRules).map(([family, rule]) => [family, checkRule(`aggregation.gaugeRules.${family}`, rule)]))
  return () => family => byFamily.get(family) ?? fallback
}

function checkRule (name: string, rule: unknown): GaugeRule {
  if (GAUGE_RULES.includes(rule as GaugeRule)) return rule as GaugeRule
  throw new InvalidOptionError(name, `one of ${GAUGE_RULES.map(r => `"${r}"`).join(', ')}`, rule)
}

/**
 * The writer of an aggregate push, from the `Pushgateway-Writer` header or the `__writer__`
 * grouping label (removed from the labels it returns); `undefined` when the push names none.
 * Throws an `AggregationError` for an empty or overlong name, or two different ones.
 */
export function writerOf (labels: Readonly<Record<string, string>>, headerValue: string | undefined): { labels: Record<string, string>, writer: string | undefined } {
  const { [WRITER_LABEL]: fromLabel, ...rest } = labels
  if (fromLabel !== undefined && headerValue !== undefined && fromLabel !== headerValue) {
    throw new AggregationError(`the ${WRITER_LABEL} label (${JSON.stringify(fromLabel)}) and the Pushgateway-Writer header (${JSON.stringify(headerValue)}) name different writers`)
  }
  const writer = fromLabel ?? headerValue
  if (writer !== undefined && (writer === '' || writer.length > MAX_WRITER_LENGTH)) {
    throw new AggregationError(`a writer name must have 1 to ${MAX_WRITER_LENGTH} characters, this one has ${writer.length}`)
  }
  return { labels: rest, writer }
}
