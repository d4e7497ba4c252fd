import type { LabelPair, Metric, MetricFamily } from '../../exposition/types.js'
import type { AggregateWrite, GroupView, MetricStore, PushWrite, RenderFormat, RepeatWrite, ReservedFamilyLookup, StoreSize, StoredFamily } from '../store.js'
import { repeatedValues, type TextTemplate } from '../../exposition/text-template.js'
import { InconsistentPushError } from '../../errors.js'
import { NO_STORE_LIMITS, limitExceeded, seriesCost, type StoreLimits } from '../../groups/limits.js'
import { addFamilies, increaseSince } from '../../groups/aggregate.js'
import { keptFamily, sharedString } from './kept-families.js'
import { FamilyIndex } from './family-index.js'
import { flatten } from '../../flatten.js'
import { NameClaims } from './name-claims.js'
import type { EscapingScheme, NameValidation } from '../../exposition/names.js'
import { findInconsistency, formatLabels, groupId, newGroupProblem, sameLabelSets, timestampProblem, type ConsistencyLookup } from '../../groups/consistency.js'
import {
  PUSH_FAILURE_TIME, PUSH_FAILURE_TIME_HELP, PUSH_TIME, PUSH_TIME_HELP,
  TIMESTAMP_FAMILIES, exportedGroupLabels, groupLabelPairs
} from '../../groups/sanitize.js'

interface Group {
  id: string
  labels: Readonly<Record<string, string>>
  exported: LabelPair[]
  families: Map<string, StoredFamily>
  pushTimeNs: bigint
  failureTimeNs: bigint
  // Series of the pushed families and of what the writers pushed last (`seriesCost`), the timestamp families not counted.
  series: number
  // What each writer of cumulative aggregate pushes pushed last, sanitized; made for the first writer.
  writers: Map<string, MetricFamily[]> | undefined
  // The part of `series` that `writers` holds.
  writerSeries: number
  // The template of the last full push, while nothing else changed the group's families (see `repeat`).
  template: TextTemplate | undefined
  // The hash of the last full push's template (see `TemplateSource`): its template is made when the next comes with the same.
  templateHash: number | undefined
  // Whether that push was a PUT: only then may a PUT repeat it, the group holding nothing else.
  templateReplaces: boolean
}

/** What one job holds, for the per-job quotas. */
interface JobUsage {
  groups: number
  series: number
}

/** Options of the in-memory store. */
export interface MemoryStoreOptions {
  /** Families a push may not redefine with another type (the gateway's own). Default: none. */
  reserved?: ReservedFamilyLookup | undefined
  /** Which metric and label names are valid; with `'utf8'` a name that would show like another after escaping is refused too. Default `'legacy'`. */
  nameValidation?: NameValidation | undefined
}

/**
 * The in-memory store with the reference's semantics. The consistency check costs time in
 * proportion to the push, not to the store, thanks to the family and series index.
 */
export class MemoryStore implements MetricStore {
  readonly #groups = new Map<string, Group>()
  readonly #index: FamilyIndex
  readonly #validation: NameValidation
  readonly #reserved: ReservedFamilyLookup
  // Series of the pushed families and writers in all groups, the timestamp families not counted.
  #series = 0
  readonly #jobs = new Map<string, JobUsage>()

  // What the consistency check asks of the other groups, answered from the index.
  readonly #lookup: ConsistencyLookup

  // The names of the write being checked, by their escaped forms (UTF-8 names only), built once per write.
  #written: readonly MetricFamily[] = []
  #writtenNames = new NameClaims()

  constructor (options: MemoryStoreOptions = {}) {
    this.#reserved = options.reserved ?? (() => undefined)
    this.#validation = options.nameValidation ?? 'legacy'
    this.#index = new FamilyIndex({ claimNames: this.#validation === 'utf8' })
    this.#lookup = {
      validation: this.#validation,
      reserved: name => this.#reserved(name)?.type,
      typeElsewhere: (name, id) => this.#index.typeElsewhere(name, id),
      ownersFor: (name, group) => this.#index.ownersFor(name, group),
      // Only UTF-8 names can be written alike: without them the escaping check has nothing to do.
      escapingClash: (id, family, written, typeAfter) => this.#validation === 'utf8' ? this.#index.escapingClash(id, family, this.#namesOf(written), typeAfter) : undefined,
      // A new group's labels against those of the groups there: every group exports its timestamp series.
      labelClash: (id, exported) => this.#index.labelClash(id, PUSH_TIME, exported.map(label => label.name))
    }
  }

  #namesOf (written: readonly MetricFamily[]): NameClaims {
    if (written !== this.#written) {
      this.#written = written
      this.#writtenNames = new NameClaims()
      for (const family of written) this.#writtenNames.add(family.name)
    }
    return this.#writtenNames
  }

  // The contract's methods do their work before their first await (they have none): a change is
  // made by the time the call returns, and the gateway's snapshot relies on that.
  async push (write: PushWrite): Promise<void> {
    this.#write(write, write.replace)
  }

  async repeat (write: RepeatWrite): Promise<boolean> {
    const group = this.#groups.get(groupId(write.labels))
    const template = group?.template
    if (group === undefined || template === undefined || (write.replace && !group.templateReplaces)) return false
    const values = repeatedValues(write.text, template)
    if (values === undefined) return false
    const { families, metrics } = template
    // The one check whose answer can change while the group does not: the gateway's own families.
    for (let k = 0; k < families.length; k++) {
      const name = families[k] as string
      if (name === families[k - 1]) continue
      const reserved = this.#reserved(name)?.type
      if (reserved !== undefined && reserved !== (group.families.get(name) as StoredFamily).family.type) return false
    }
    let stored: StoredFamily | undefined
    for (let k = 0; k < values.length; k++) {
      const name = families[k] as string
      if (name !== stored?.family.name) {
        stored = group.families.get(name) as StoredFamily
        stored.timeNs = write.timeNs
        this.#index.set(group, stored)
      }
      (stored.family.metrics[metrics[k] as number] as Metric).value = values[k] as number
    }
    this.#setTimestamp(group, PUSH_TIME, write.timeNs, write.timeNs)
    return true
  }

  async aggregate (write: AggregateWrite): Promise<void> {
    const { writer, gaugeRule } = write
    const limits = write.limits ?? NO_STORE_LIMITS
    let cumulative: MetricFamily[] = []
    let writerSeries = 0
    const group = this.#write(write, false, (families, existing) => {
      let increments = families
      let writerChange = 0
      if (writer !== undefined) {
        const writers = existing?.writers
        if (writers !== undefined && !writers.has(writer) && writers.size >= limits.writersPerGroup) {
          throw limitExceeded('writersPerGroup', limits.writersPerGroup, `the group has ${writers.size} writers`)
        }
        // A copy: the store updates the objects it keeps in place.
        cumulative = families.map(family => keptFamily(family))
        increments = increaseSince(writers?.get(writer), families)
        writerSeries = totalCost(cumulative)
        writerChange = writerSeries - totalCost(writers?.get(writer) ?? [])
      }
      return { families: addFamilies(name => existing?.families.get(name)?.family, increments, gaugeRule), writerChange }
    })
    if (writer !== undefined) {
      const previous = totalCost(group.writers?.get(writer) ?? [])
      group.writers ??= new Map()
      group.writers.set(writer, cumulative)
      group.writerSeries += writerSeries - previous
      this.#countSeries(group, writerSeries - previous)
    }
  }

  // `combine` turns the sanitized families into what is stored, and says by how much what the
  // group's writers hold changes; it may refuse them by throwing.
  #write (write: PushWrite | AggregateWrite, replace: boolean, combine?: (families: MetricFamily[], existing: Group | undefined) => { families: MetricFamily[], writerChange: number }): Group {
    const id = groupId(write.labels)
    const existing = this.#groups.get(id)
    const exported = existing?.exported ?? exportedGroupLabels(groupLabelPairs(write.labels))
    let problem = timestampProblem(write.families)
    let families = write.families
    let writerChange = 0
    if (problem === undefined && combine !== undefined) ({ families, writerChange } = combine(families, existing))
    this.#checkLimits(existing, write.labels, families, replace, writerChange, write.limits ?? NO_STORE_LIMITS)
    if (problem === undefined) problem = findInconsistency({ id, labels: write.labels, exported, families, replace }, existing, this.#lookup)
    if (problem !== undefined) {
      this.#recordFailure(id, existing, write.labels, exported, write.timeNs)
      throw new InconsistentPushError(problem)
    }
    const group = existing ?? this.#createGroup(id, write.labels, exported)
    if (replace) {
      this.#countSeries(group, -group.writerSeries)
      group.writerSeries = 0
      group.writers = undefined
      const pushedNames = new Set(families.map(f => f.name))
      for (const name of group.families.keys()) {
        // Families pushed again are replaced in place, which keeps their order and HELP rank.
        if (!TIMESTAMP_FAMILIES.has(name) && !pushedNames.has(name)) this.#removeFamily(group, name)
      }
    }
    for (const family of families) this.#setFamily(group, { family, timeNs: write.timeNs })
    // A body's template is made when it comes twice in a row: most full pushes are of a body whose
    // values are not all that changes from push to push, and a template would cost them time.
    const source = combine === undefined ? (write as PushWrite).template : undefined
    group.template = source !== undefined && source.hash === group.templateHash ? source.make() : undefined
    group.templateHash = source?.hash
    group.templateReplaces = replace
    group.pushTimeNs = write.timeNs
    this.#setTimestamp(group, PUSH_TIME, write.timeNs, write.timeNs)
    if (!group.families.has(PUSH_FAILURE_TIME)) this.#setTimestamp(group, PUSH_FAILURE_TIME, 0n, write.timeNs)
    return group
  }

  async recordFailure (labels: Readonly<Record<string, string>>, timeNs: bigint, limits: StoreLimits = NO_STORE_LIMITS): Promise<void> {
    const id = groupId(labels)
    const existing = this.#groups.get(id)
    if (existing === undefined && (this.#groups.size >= limits.groups || this.#jobUsage(labels).groups >= limits.groupsPerJob)) return
    this.#recordFailure(id, existing, labels, existing?.exported ?? exportedGroupLabels(groupLabelPairs(labels)), timeNs)
  }

  async delete (labels: Readonly<Record<string, string>>): Promise<void> {
    const group = this.#groups.get(groupId(labels))
    if (group === undefined) return
    for (const name of group.families.keys()) this.#index.remove(group.id, name)
    this.#groups.delete(group.id)
    this.#countSeries(group, -group.series)
    this.#changeGroups(group.labels, -1)
  }

  async wipe (): Promise<void> {
    this.#groups.clear()
    this.#index.clear()
    this.#jobs.clear()
    this.#series = 0
  }

  /**
   * Adds a group as it was saved (by persistence): its families, their times and the group's
   * push and failure times. Throws an `InconsistentPushError` and adds nothing when the group
   * exists already or would be inconsistent with the groups restored before it.
   */
  restore (view: GroupView): void {
    const id = groupId(view.labels)
    if (this.#groups.has(id)) throw new InconsistentPushError(`the group ${formatLabels(groupLabelPairs(view.labels))} is there already`)
    const exported = exportedGroupLabels(groupLabelPairs(view.labels))
    const stored = [...view.families.values()].filter(s => !TIMESTAMP_FAMILIES.has(s.family.name))
    const problem = findInconsistency({ id, labels: view.labels, exported, families: stored.map(s => s.family), replace: true }, undefined, this.#lookup)
    if (problem !== undefined) throw new InconsistentPushError(problem)
    const group = this.#createGroup(id, view.labels, exported)
    for (const { family, timeNs } of view.families.values()) {
      if (family.name === PUSH_TIME) this.#setTimestamp(group, PUSH_TIME, view.pushTimeNs, timeNs)
      else if (family.name === PUSH_FAILURE_TIME) this.#setTimestamp(group, PUSH_FAILURE_TIME, view.failureTimeNs, timeNs)
      else this.#setFamily(group, { family, timeNs })
    }
    if (!group.families.has(PUSH_TIME)) this.#setTimestamp(group, PUSH_TIME, view.pushTimeNs, view.pushTimeNs)
    if (!group.families.has(PUSH_FAILURE_TIME)) this.#setTimestamp(group, PUSH_FAILURE_TIME, view.failureTimeNs, view.failureTimeNs)
    for (const [writer, families] of view.writers ?? []) {
      group.writers ??= new Map()
      group.writers.set(writer, [...families])
      group.writerSeries += totalCost(families)
      this.#countSeries(group, totalCost(families))
    }
  }

  /** The group with exactly these labels, if there is one. */
  group (labels: Readonly<Record<string, string>>): GroupView | undefined {
    return this.#groups.get(groupId(labels))
  }

  async groups (): Promise<Iterable<GroupView>> {
    return this.snapshot()
  }

  /** The groups as they are at the call, in the order they were created: what a snapshot file saves. */
  snapshot (): Iterable<GroupView> {
    return this.#groups.values()
  }

  async families (): Promise<MetricFamily[]> {
    return await this.#index.families()
  }

  async render (format: RenderFormat, extra: readonly MetricFamily[], escaping?: EscapingScheme): Promise<string> {
    return await this.#index.render(format, extra, escaping)
  }

  async renderChunks (format: RenderFormat, extra: readonly MetricFamily[], escaping?: EscapingScheme): Promise<string[]> {
    return await this.#index.renderChunks(format, extra, escaping)
  }

  /** Counts of groups and series as the limits count them, the two timestamp series of each group included. */
  async size (): Promise<StoreSize> {
    return { groups: this.#groups.size, series: this.#series + 2 * this.#groups.size }
  }

  #createGroup (id: string, labels: Readonly<Record<string, string>>, exported: LabelPair[]): Group {
    // Kept as long as the group, and flat: a two-label id took 155 bytes as it was built, 42 to 52 flat.
    const group: Group = { id: flatten(id), labels: { ...labels }, exported, families: new Map(), pushTimeNs: 0n, failureTimeNs: 0n, series: 0, writers: undefined, writerSeries: 0, template: undefined, templateHash: undefined, templateReplaces: false }
    this.#groups.set(id, group)
    this.#changeGroups(labels, 1)
    return group
  }

  #jobUsage (labels: Readonly<Record<string, string>>): JobUsage {
    const job = labels['job'] as string
    let usage = this.#jobs.get(job)
    if (usage === undefined) {
      usage = { groups: 0, series: 0 }
      this.#jobs.set(job, usage)
    }
    return usage
  }

  #changeGroups (labels: Readonly<Record<string, string>>, change: number): void {
    const usage = this.#jobUsage(labels)
    usage.groups += change
    if (usage.groups === 0) this.#jobs.delete(labels['job'] as string)
  }

  // `owned`: the family is the store's own making (a timestamp), not to be copied.
  #setFamily (group: Group, stored: StoredFamily, owned = false): void {
    const previous = group.families.get(stored.family.name)
    if (!TIMESTAMP_FAMILIES.has(stored.family.name)) this.#countSeries(group, seriesCost(stored.family) - (previous === undefined ? 0 : seriesCost(previous.family)))
    if (previous !== undefined && previous.family.metrics.length > 0 && sameLabelSets(previous.family.metrics, stored.family.metrics)) {
      // A push of the same series again (the common case) updates the stored objects in place:
      // the new ones then die young instead of filling the old generation of the heap.
      updateInPlace(previous, stored)
      stored = previous
    } else if (!owned) {
      // The group's labels are the pairs its timestamps carry: one object each for all its families.
      stored = { family: keptFamily(stored.family, group.exported), timeNs: stored.timeNs }
    }
    group.families.set(stored.family.name, stored)
    this.#index.set(group, stored)
  }

  #removeFamily (group: Group, name: string): void {
    this.#countSeries(group, -seriesCost((group.families.get(name) as StoredFamily).family))
    group.families.delete(name)
    this.#index.remove(group.id, name)
  }

  #countSeries (group: Group, change: number): void {
    group.series += change
    this.#series += change
    // A group is counted in its job from its creation to its deletion.
    const usage = this.#jobs.get(group.labels['job'] as string) as JobUsage
    usage.series += change
  }

  // Checked before anything else: a push over a limit records nothing, not even a failure time.
  #checkLimits (existing: Group | undefined, labels: Readonly<Record<string, string>>, pushed: readonly MetricFamily[], replace: boolean, writerChange: number, limits: StoreLimits): void {
    const job = this.#jobs.get(labels['job'] as string) ?? { groups: 0, series: 0 }
    if (existing === undefined && this.#groups.size >= limits.groups) {
      throw limitExceeded('groups', limits.groups, `the store holds ${this.#groups.size} groups`)
    }
    if (existing === undefined && job.groups >= limits.groupsPerJob) {
      throw limitExceeded('groupsPerJob', limits.groupsPerJob, `the job ${JSON.stringify(labels['job'])} has ${job.groups} groups`)
    }
    // A PUT replaces the families and forgets the writers; a POST or an aggregate push keeps the rest.
    let after = existing === undefined ? 0 : replace ? 0 : existing.series
    for (const family of pushed) {
      after += seriesCost(family)
      const kept = replace ? undefined : existing?.families.get(family.name)
      if (kept !== undefined) after -= seriesCost(kept.family)
    }
    after += writerChange
    if (after > limits.seriesPerGroup) throw limitExceeded('seriesPerGroup', limits.seriesPerGroup, `the group would hold ${after} series`)
    const change = after - (existing?.series ?? 0)
    if (this.#series + change > limits.series) throw limitExceeded('series', limits.series, `the store would hold ${this.#series + change} series`)
    if (job.series + change > limits.seriesPerJob) {
      throw limitExceeded('seriesPerJob', limits.seriesPerJob, `the job ${JSON.stringify(labels['job'])} would hold ${job.series + change} series`)
    }
  }

  #setTimestamp (group: Group, name: typeof PUSH_TIME | typeof PUSH_FAILURE_TIME, valueNs: bigint, timeNs: bigint): void {
    if (name === PUSH_TIME) group.pushTimeNs = valueNs
    else group.failureTimeNs = valueNs
    const value = Number(valueNs) / 1e9
    const stored = group.families.get(name)
    if (stored !== undefined) {
      // Set where it is: nothing allocated for the two timestamps of every write.
      (stored.family.metrics[0] as Metric).value = value
      stored.timeNs = timeNs
      this.#index.set(group, stored)
      return
    }
    this.#setFamily(group, {
      family: { name, help: name === PUSH_TIME ? PUSH_TIME_HELP : PUSH_FAILURE_TIME_HELP, type: 'gauge', metrics: [{ labels: group.exported, value }] },
      timeNs
    }, true)
  }

  #recordFailure (id: string, existing: Group | undefined, labels: Readonly<Record<string, string>>, exported: LabelPair[], timeNs: bigint): void {
    // A new group whose timestamp series another group already exports would make every later
    // scrape and push fail (the reference's poisoning bug): record nothing then.
    if (existing === undefined && newGroupProblem({ id, labels, exported }, this.#lookup) !== undefined) return
    const group = existing ?? this.#createGroup(id, labels, exported)
    this.#setTimestamp(group, PUSH_FAILURE_TIME, timeNs, timeNs)
    if (!group.families.has(PUSH_TIME)) this.#setTimestamp(group, PUSH_TIME, 0n, timeNs)
  }
}

function totalCost (families: readonly MetricFamily[]): number {
  let series = 0
  for (const family of families) series += seriesCost(family)
  return series
}

function updateInPlace (target: StoredFamily, source: StoredFamily): void {
  const { family } = source
  target.timeNs = source.timeNs
  target.family.type = family.type
  // Kept unless they changed: a HELP from the body would keep the body alive (see `keptFamily`).
  if (target.family.help !== family.help) setOptional(target.family, 'help', family.help === undefined ? undefined : sharedString(family.help))
  if (target.family.unit !== family.unit) setOptional(target.family, 'unit', family.unit === undefined ? undefined : sharedString(family.unit))
  for (let i = 0; i < family.metrics.length; i++) {
    const from = family.metrics[i] as Metric
    const to = target.family.metrics[i] as Metric
    // Only what changed is written: most pushes change values alone.
    if (to.value !== from.value) setOptional(to, 'value', from.value)
    if (to.summary !== from.summary) setOptional(to, 'summary', from.summary)
    if (to.histogram !== from.histogram) setOptional(to, 'histogram', from.histogram)
    if (to.exemplar !== from.exemplar) setOptional(to, 'exemplar', from.exemplar)
    if (to.createdTimestampMs !== from.createdTimestampMs) setOptional(to, 'createdTimestampMs', from.createdTimestampMs)
  }
}

function setOptional<T extends object, K extends keyof T> (target: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) {
    delete target[key]
  } else {
    target[key] = value
  }
}
