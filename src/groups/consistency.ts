import type { LabelPair, Metric, MetricFamily, MetricType } from '../exposition/types.js'
import { isLegacyLabelName, isLegacyMetricName } from '../exposition/names.js'
import { groupLabelPairs, labelsKey } from './sanitize.js'

// The consistency check's rules and refusals, independent of where groups are kept: what a push
// alone shows (checkPushed), and the messages of what a store finds against the other groups.

const HISTOGRAM_TYPES = new Set<MetricType>(['histogram', 'gaugehistogram'])
const SUFFIXES = ['_count', '_sum', '_bucket'] as const

/** What a push alone shows is wrong with one of its families, found before a store looks at the others. */
export interface FamilyProblems {
  /** The family's name is invalid: this refusal comes before anything else about the family. */
  name: string | undefined
  /** The first of its series whose labels are invalid, and the refusal; the series before it are checked against the store first. */
  labels: { index: number, message: string } | undefined
}

/** The id of a group: its labels (job included) sorted by name, unambiguously joined. */
export function groupId (labels: Readonly<Record<string, string>>): string {
  return labelsKey(groupLabelPairs(labels))
}

/** The refusal of a push whose metrics carry timestamps, or undefined. */
export function timestampProblem (families: readonly MetricFamily[]): string | undefined {
  for (const family of families) {
    for (const metric of family.metrics) {
      if (metric.timestampMs !== undefined) return 'pushed metrics must not have timestamps'
    }
  }
  return undefined
}

/** What a sanitized family shows by itself: an invalid name, or the first series with invalid labels. */
export function familyProblems ({ name, type, metrics }: MetricFamily): FamilyProblems {
  const problems: FamilyProblems = { name: undefined, labels: undefined }
  if (!isLegacyMetricName(name)) {
    problems.name = `${JSON.stringify(name)} is not a valid metric name`
    return problems
  }
  for (let index = 0; index < metrics.length; index++) {
    const message = labelProblem(name, type, (metrics[index] as Metric).labels)
    if (message !== undefined) {
      problems.labels = { index, message }
      break
    }
  }
  return problems
}

function labelProblem (name: string, type: MetricType, labels: readonly LabelPair[]): string | undefined {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as LabelPair
    if (!isLegacyLabelName(label.name) || label.name.startsWith('__')) {
      return `collected metric ${JSON.stringify(name)} ${formatLabels(labels)} has a label with an invalid name: ${JSON.stringify(label.name)}`
    }
    if (i > 0 && (labels[i - 1] as LabelPair).name === label.name) {
      return `collected metric ${JSON.stringify(name)} ${formatLabels(labels)} has two or more labels with the same name: ${label.name}`
    }
    if (type === 'summary' && label.name === 'quantile') {
      return `collected metric ${JSON.stringify(name)} ${formatLabels(labels)} has a "quantile" label, which summaries reserve`
    }
    if (HISTOGRAM_TYPES.has(type) && label.name === 'le') {
      return `collected metric ${JSON.stringify(name)} ${formatLabels(labels)} has an "le" label, which histograms reserve`
    }
  }
  return undefined
}

/** The refusal of a family whose type differs from the gateway's own family of that name. */
export function reservedTypeClash (name: string, type: MetricType, reserved: MetricType): string {
  return `gathered metric family ${name} has type ${upper(type)} but should have ${upper(reserved)}`
}

/** The refusal of a family another group holds with another type. */
export function typeClash ({ name, type, metrics }: MetricFamily, otherType: MetricType): string {
  return `collected metric ${JSON.stringify(name)} ${formatLabels((metrics[0] as Metric).labels)} is not a ${upper(otherType)}: another group pushed the family as ${upper(otherType)}, this push as ${upper(type)}`
}

/** The refusal of a series another group, or the push itself, holds already. */
export function duplicateSeries (name: string, labels: readonly LabelPair[]): string {
  return `collected metric ${JSON.stringify(name)} ${formatLabels(labels)} was collected before with the same name and label values`
}

/**
 * The refusal of a family whose name is a summary's or histogram's `_count`, `_sum` or `_bucket`
 * series, or of a summary or histogram one of whose series names another family takes, given the
 * type each name will have once the push is applied (`typeAfter`); undefined when none clashes.
 */
export function suffixCollision (name: string, type: MetricType, typeAfter: (name: string) => MetricType | undefined): string | undefined {
  for (const suffix of SUFFIXES) {
    if (!name.endsWith(suffix)) continue
    const base = name.slice(0, -suffix.length)
    const baseType = typeAfter(base)
    if (baseType === 'summary' && suffix !== '_bucket') {
      return `collected metric named ${JSON.stringify(name)} collides with previously collected summary named ${JSON.stringify(base)}`
    }
    if (baseType !== undefined && HISTOGRAM_TYPES.has(baseType)) {
      return `collected metric named ${JSON.stringify(name)} collides with previously collected histogram named ${JSON.stringify(base)}`
    }
  }
  if (type !== 'summary' && !HISTOGRAM_TYPES.has(type)) return undefined
  for (const suffix of SUFFIXES) {
    if (suffix === '_bucket' && type === 'summary') continue
    if (typeAfter(name + suffix) !== undefined) {
      return `collected histogram or summary named ${JSON.stringify(name)} collides with previously collected metric named ${JSON.stringify(name + suffix)}`
    }
  }
  return undefined
}

/** Labels in exposition syntax, for messages: `{a="1",b="2"}`. */
export function formatLabels (labels: readonly LabelPair[]): string {
  return '{' + labels.map(l => `${l.name}=${JSON.stringify(l.value)}`).join(',') + '}'
}

function upper (type: MetricType): string {
  return type === 'gaugehistogram' ? 'GAUGE_HISTOGRAM' : type.toUpperCase()
}
