import type { LabelPair, Metric, MetricFamily, MetricType } from '../exposition/types.js'
import type { StoredFamily } from '../store/store.js'
import { isValidLabelName, isValidMetricName, type NameValidation } from '../exposition/names.js'
import { PUSH_TIME, groupLabelPairs } from './sanitize.js'
import { labelsKey, seriesKey, seriesKeys } from './series-keys.js'

// The consistency check's rules and refusals, independent of where groups are kept: what a push
// alone shows (checkPushed), and the messages of what a store finds against the other groups.

const HISTOGRAM_TYPES = new Set<MetricType>(['histogram', 'gaugehistogram'])
const SUFFIXES = ['_count', '_sum', '_bucket'] as const
const NO_PROBLEMS: FamilyProblems = Object.freeze({ name: undefined, labels: undefined })

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

/** What the consistency check asks a store about the groups other than the one written. */
export interface ConsistencyLookup {
  /** Which metric and label names are valid. */
  validation: NameValidation
  /** The type of the gateway's own family of that name, which a push may not redefine. */
  reserved: (name: string) => MetricType | undefined
  /** The type under which any group but `exceptGroup` holds the family with metrics. */
  typeElsewhere: (name: string, exceptGroup: string) => MetricType | undefined
  /** The group holding each series of the family `name` (see `seriesKey`), for a write by `group` (its id and grouping labels); undefined when no other group could hold one of its series. */
  ownersFor: (name: string, group: { id: string, labels: Readonly<Record<string, string>> }) => ReadonlyMap<string, string> | undefined
  /** A family or label name of the write that would show like another group's, or another of the write's (`written`), after escaping: the refusal, or undefined. */
  escapingClash: (id: string, family: MetricFamily, written: readonly MetricFamily[], typeAfter: (name: string) => MetricType | undefined) => string | undefined
  /** A new group's label names that would show like another group's after escaping: the refusal, or undefined. */
  labelClash: (id: string, exported: readonly LabelPair[]) => string | undefined
}

/** A write as the consistency check sees it. */
export interface CheckedWrite {
  /** The id of the group written (see `groupId`). */
  id: string
  /** Its grouping labels, `job` included. */
  labels: Readonly<Record<string, string>>
  /** The labels every series of the group carries (the grouping labels and `instance`). */
  exported: readonly LabelPair[]
  /** The families the group will hold under their names, prepared (see `prepareFamilies`). */
  families: readonly MetricFamily[]
  /** Whether the write replaces the whole group (PUT) or only the families it names. */
  replace: boolean
}

/**
 * The consistency check of a write: the first reason the reference would refuse it (an invalid
 * name or label, a type that clashes with the gateway's own family or another group's, a
 * summary's or histogram's series names taken, a series another group or the write itself holds
 * already, a new group whose timestamp series another group exports), or undefined. It costs time
 * in proportion to the write: each question about the other groups goes to `lookup`.
 */
export function findInconsistency (write: CheckedWrite, existing: { families: ReadonlyMap<string, StoredFamily> } | undefined, lookup: ConsistencyLookup): string | undefined {
  const { id, families, replace } = write
  const pushedTypes = new Map<string, MetricType>()
  for (const family of families) pushedTypes.set(family.name, family.type)
  // The type under `name` once the write is applied, in this group's kept families or elsewhere.
  const typeAfter = (name: string): MetricType | undefined => {
    const pushedType = pushedTypes.get(name)
    if (pushedType !== undefined) return pushedType
    const kept = replace ? undefined : existing?.families.get(name)
    if (kept !== undefined && kept.family.metrics.length > 0) return kept.family.type
    return lookup.reserved(name) ?? lookup.typeElsewhere(name, id)
  }
  const seen = new Set<string>()
  for (const family of families) {
    const problem = familyProblem(write, existing?.families.get(family.name), family, typeAfter, seen, lookup)
    if (problem !== undefined) return problem
  }
  return existing === undefined ? newGroupProblem(write, lookup) : undefined
}

/**
 * Why a group that does not exist yet could not be created with these exported labels: another
 * group exports its timestamp series already, or its label names would show like another group's
 * after escaping; undefined when it can be.
 */
export function newGroupProblem ({ id, labels, exported }: { id: string, labels: Readonly<Record<string, string>>, exported: readonly LabelPair[] }, lookup: ConsistencyLookup): string | undefined {
  if (lookup.ownersFor(PUSH_TIME, { id, labels })?.has(seriesKey(PUSH_TIME, exported)) === true) return duplicateSeries(PUSH_TIME, exported)
  return lookup.labelClash(id, exported)
}

function familyProblem (write: CheckedWrite, previous: StoredFamily | undefined, family: MetricFamily, typeAfter: (name: string) => MetricType | undefined, seen: Set<string>, lookup: ConsistencyLookup): string | undefined {
  const { id, families: written } = write
  const { name, type, metrics } = family
  // The same series as this group already holds under the name passed every series check then,
  // and with the same type the checks of its name and labels too.
  const again = previous !== undefined && sameLabelSets(previous.family.metrics, metrics)
  const problems = again && previous.family.type === type ? NO_PROBLEMS : familyProblems(family, lookup.validation)
  if (problems.name !== undefined) return problems.name
  if (metrics.length === 0) return undefined
  const reserved = lookup.reserved(name)
  if (reserved !== undefined && reserved !== type) return reservedTypeClash(name, type, reserved)
  const otherType = lookup.typeElsewhere(name, id)
  if (otherType !== undefined && otherType !== type) return typeClash(family, otherType)
  const collision = suffixCollision(name, type, typeAfter)
  if (collision !== undefined) return collision
  if (again) return problems.labels?.message
  const labelsAt = problems.labels?.index ?? metrics.length
  // Kept with the family only if its store looks series up by key (see `FamilyIndex`).
  const keys = seriesKeys(family, false)
  const owners = lookup.ownersFor(name, write)
  for (let i = 0; i < labelsAt; i++) {
    const key = keys[i] as string
    const owner = owners?.get(key)
    if (seen.has(key) || (owner !== undefined && owner !== id)) return duplicateSeries(name, (metrics[i] as Metric).labels)
    seen.add(key)
  }
  return problems.labels?.message ?? lookup.escapingClash(id, family, written, typeAfter)
}

/** Whether two metric lists carry the same label sets in the same order. */
export function sameLabelSets (a: readonly Metric[], b: readonly Metric[]): boolean {
  // A store re-indexing a family it updated in place asks about the very same list.
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as Metric).labels
    const y = (b[i] as Metric).labels
    if (x.length !== y.length) return false
    for (let j = 0; j < x.length; j++) {
      const p = x[j] as LabelPair
      const q = y[j] as LabelPair
      if (p.name !== q.name || p.value !== q.value) return false
    }
  }
  return true
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
export function familyProblems ({ name, type, metrics }: MetricFamily, validation: NameValidation = 'legacy'): FamilyProblems {
  const problems: FamilyProblems = { name: undefined, labels: undefined }
  if (!isValidMetricName(name, validation)) {
    problems.name = `${JSON.stringify(name)} is not a valid metric name`
    return problems
  }
  for (let index = 0; index < metrics.length; index++) {
    const message = labelProblem(name, type, (metrics[index] as Metric).labels, validation)
    if (message !== undefined) {
      problems.labels = { index, message }
      break
    }
  }
  return problems
}

function labelProblem (name: string, type: MetricType, labels: readonly LabelPair[], validation: NameValidation): string | undefined {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as LabelPair
    if (!isValidLabelName(label.name, validation) || label.name.startsWith('__')) {
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
