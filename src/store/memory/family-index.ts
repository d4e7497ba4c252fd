import type { LabelPair, Metric, MetricFamily, MetricType } from '../../exposition/types.js'
import type { RenderFormat, StoredFamily } from '../store.js'
import { compareLabelValues } from '../../exposition/metric-order.js'
import { textHeader, textMetric, textMetricAfter } from '../../exposition/write-text.js'
import { openMetricsHeader, openMetricsMetric, openMetricsMetricAfter } from '../../exposition/write-openmetrics.js'
import { sameLabelSets } from '../../groups/consistency.js'
import { dropSeriesKeys, seriesKeys } from '../../groups/series-keys.js'
import { nextTurn } from '../../clock.js'
import { flatten } from '../../flatten.js'
import { exposedName, isLegacyMetricName, type EscapingScheme } from '../../exposition/names.js'
import { escapeFamily, escapeMetric } from '../../exposition/escape.js'
import { CHANGING_SCHEMES, NameClaims, type Rival } from './name-claims.js'

// Metrics rendered afresh (or families copied) between two turns of the event loop during a scrape.
const RENDER_BATCH = 2048
// The length of a chunk of a render (see `renderChunks`), at least, but for the last.
const CHUNK_LENGTH = 64 * 1024

// What a render is cached under: the format, and the escaping when it changes names.
type RenderKey = RenderFormat | `${RenderFormat}:${EscapingScheme}`

/** A member's lines from before its values changed, each gone once its line was rendered again. */
type Previous = Array<string | undefined>

/** One group's share of an indexed family, with its rendered lines cached per format and escaping. */
interface Member {
  /** The id of its group. */
  group: string
  /** Its group's job. */
  job: string
  /** Its group's instance when that is a grouping label, else undefined: its series may then have any. */
  instance: string | undefined
  stored: StoredFamily
  /** Its lines in the text format, names as stored; undefined until rendered, and after a change. */
  text: string[] | undefined
  /** Its lines in OpenMetrics, names as stored; as `text`. */
  openmetrics: string[] | undefined
  /**
   * Its text lines from before its values last changed, while its series did not: a line rendered
   * afresh takes its series from there (most of a line, and most of the work of rendering it).
   */
  previousText: Previous | undefined
  /** Its OpenMetrics lines from before its values last changed; as `previousText`. */
  previousOpenMetrics: Previous | undefined
  /** Its lines with names escaped, by format and scheme; as `text`. */
  escaped: Map<RenderKey, string[]> | undefined
  /** The distinct label names of its metrics, when the index claims names. */
  labelNames?: string[]
}

/**
 * A family's metrics in exposition order: the member holding each, and its position there. Two
 * flat arrays take 16 bytes per metric, where an object per metric took 56.
 */
interface Sorted {
  members: Member[]
  indexes: number[]
}

/** A metric while a family is sorted: which member holds it, at which position, with what labels. */
interface Entry {
  member: Member
  index: number
  labels: readonly LabelPair[]
}

/** Everything stored under one family name, across all groups. */
interface IndexedFamily {
  name: string
  type: MetricType
  /** Members by group id, in the order the groups first pushed the family. */
  members: Map<string, Member>
  /** Metrics in exposition order; undefined when it must be sorted again. */
  sorted: Sorted | undefined
  /** Counts the changes that made `sorted` undefined, for a sort that spans turns of the event loop. */
  layout: number
  /** The label names of its members, when the index claims names. */
  labelClaims: NameClaims | undefined
  /** How many members each job has, to tell when another group could hold a series of a group. */
  jobs: Map<string, JobMembers>
  /** The group holding each series, by series key; made the first time a write needs it, then kept up to date. */
  owners: Map<string, string> | undefined
}

/** The members of one job in a family. */
interface JobMembers {
  /** All of them. */
  total: number
  /** Those without an instance grouping label, whose series may have any instance. */
  anyInstance: number
  /** Those with an instance grouping label, by its value. */
  byInstance: Map<string, number>
}

const RENDERERS: Record<RenderFormat, {
  header: (name: string, type: MetricType, help: string | undefined, unit: string | undefined) => string
  metric: (name: string, type: MetricType, metric: Metric) => string
  /** The metric's lines from its series in the line before its values changed, where that is all it takes. */
  after: (previous: string, name: string, type: MetricType, metric: Metric) => string | undefined
}> = {
  text: { header: (name, type, help) => textHeader(name, type, help), metric: textMetric, after: textMetricAfter },
  openmetrics: { header: openMetricsHeader, metric: openMetricsMetric, after: openMetricsMetricAfter }
}

/** Options of a {@link FamilyIndex}. */
export interface FamilyIndexOptions {
  /** Keep the family and label names by their escaped forms, for `escapingClash`. Default `false`. */
  claimNames?: boolean
}

/**
 * The index of every stored family by name, and of its series by identity where two groups could
 * hold the same one. It answers the consistency check in time proportional to the push, and
 * renders the exposition from per-metric text cached until the metric changes.
 */
export class FamilyIndex {
  readonly #families = new Map<string, IndexedFamily>()
  #sortedNames: string[] | undefined
  readonly #claims: NameClaims | undefined

  constructor (options: FamilyIndexOptions = {}) {
    this.#claims = options.claimNames === true ? new NameClaims() : undefined
  }

  /** The type of the family stored under `name`, ignoring what the group `exceptGroup` holds. */
  typeElsewhere (name: string, exceptGroup: string): MetricType | undefined {
    const family = this.#families.get(name)
    if (family === undefined) return undefined
    if (family.members.size === 1 && family.members.has(exceptGroup)) return undefined
    return family.type
  }

  /**
   * The group holding each series of the family `name`, by series key (see `seriesKey`), for a
   * write by `group` (its id and grouping labels); undefined when no other group could
   * hold any series of that group. A series carries its group's job, and its instance when that
   * is a grouping label: only groups of the same job, and of the same instance or none, could.
   */
  ownersFor (name: string, group: { id: string, labels: Readonly<Record<string, string>> }): ReadonlyMap<string, string> | undefined {
    const family = this.#families.get(name)
    const members = family?.jobs.get(group.labels['job'] as string)
    if (family === undefined || members === undefined) return undefined
    const instance = group.labels['instance']
    const own = family.members.has(group.id) ? 1 : 0
    const others = instance === undefined ? members.total - own : members.anyInstance + (members.byInstance.get(instance) ?? 0) - own
    if (others === 0) return undefined
    if (family.owners === undefined) {
      family.owners = new Map()
      for (const member of family.members.values()) this.#claimSeries(family, member)
    }
    return family.owners
  }

  /** Stores a group's family, replacing what the group had under that name. */
  set (group: { id: string, labels: Readonly<Record<string, string>> }, stored: StoredFamily): void {
    const groupId = group.id
    const { name, metrics } = stored.family
    if (metrics.length === 0) {
      this.remove(groupId, name)
      return
    }
    let family = this.#families.get(name)
    if (family === undefined) {
      family = { name, type: stored.family.type, members: new Map(), sorted: undefined, layout: 0, labelClaims: this.#claims === undefined ? undefined : new NameClaims(), jobs: new Map(), owners: undefined }
      this.#families.set(name, family)
      this.#sortedNames = undefined
      this.#claims?.add(name)
    }
    // The consistency check lets only the sole holder of a family change its type.
    const sameType = family.type === stored.family.type
    family.type = stored.family.type
    const member = family.members.get(groupId)
    if (member !== undefined && sameLabelSets(member.stored.family.metrics, metrics)) {
      // Values changed but the series did not: keep the order, re-render lazily.
      member.stored = stored
      clearLines(member, sameType)
      return
    }
    if (member !== undefined) this.#forgetSeries(family, member)
    const labelNames = family.labelClaims === undefined ? undefined : distinctLabelNames(metrics)
    if (member === undefined) {
      const added: Member = { group: groupId, job: group.labels['job'] as string, instance: group.labels['instance'], stored, text: undefined, openmetrics: undefined, previousText: undefined, previousOpenMetrics: undefined, escaped: undefined }
      if (labelNames !== undefined) added.labelNames = labelNames
      family.members.set(groupId, added)
      countMember(family, added, 1)
      this.#claimSeries(family, added)
    } else {
      member.stored = stored
      this.#claimSeries(family, member)
      clearLines(member, false)
      for (const label of member.labelNames ?? []) family.labelClaims?.remove(label)
      if (labelNames !== undefined) member.labelNames = labelNames
    }
    for (const label of labelNames ?? []) family.labelClaims?.add(label)
    family.sorted = undefined
    family.layout++
  }

  /** Removes a group's family of that name, if it has one. */
  remove (groupId: string, name: string): void {
    const family = this.#families.get(name)
    const member = family?.members.get(groupId)
    if (family === undefined || member === undefined) return
    this.#forgetSeries(family, member)
    countMember(family, member, -1)
    for (const label of member.labelNames ?? []) family.labelClaims?.remove(label)
    family.members.delete(groupId)
    family.sorted = undefined
    family.layout++
    if (family.members.size === 0) {
      this.#families.delete(name)
      this.#sortedNames = undefined
      this.#claims?.remove(name)
    }
  }

  /** Removes everything. */
  clear (): void {
    this.#families.clear()
    this.#sortedNames = undefined
    this.#claims?.clear()
  }

  /**
   * Why the family `family`, pushed by the group `groupId`, would show like another family or its
   * series like others under some escaping scheme a scrape may ask for; undefined when nothing
   * would (always, unless the index claims names). Family names clash with the names `typeAfter`
   * says exist once the push is applied (`pushed` claims those of the push itself), a summary's or
   * histogram's with the names of its `_sum`, `_count` and `_bucket` series; label names clash with
   * the other label names the family holds in the other groups or in this push.
   */
  escapingClash (groupId: string, family: MetricFamily, pushed: NameClaims, typeAfter: (name: string) => MetricType | undefined): string | undefined {
    if (this.#claims === undefined) return undefined
    const { name, type } = family
    const exists = (other: string): boolean => typeAfter(other) !== undefined
    const same = this.#claims.rival(name, '', exists) ?? pushed.rival(name, '', exists)
    if (same !== undefined) return shownAlike('the metric name', name, same)
    const legacy = isLegacyMetricName(name)
    // Between two legacy names (kept by every scheme) a suffix clash is the reference's own check.
    const stays = (other: string): boolean => !(legacy && isLegacyMetricName(other)) && exists(other)
    for (const suffix of SUFFIXES_OF[type]) {
      const clash = this.#claims.rival(name, suffix, stays) ?? pushed.rival(name, suffix, stays)
      if (clash !== undefined) return shownAlike(`the ${suffix} series of`, name, clash)
    }
    for (const scheme of CHANGING_SCHEMES) {
      const exposed = exposedName(name, scheme)
      for (const suffix of ['_sum', '_count', '_bucket']) {
        if (!exposed.endsWith(suffix)) continue
        const base = exposed.slice(0, -suffix.length)
        for (const claims of [this.#claims, pushed]) {
          for (const other of claims.shownAs(scheme, base)?.keys() ?? []) {
            if (!stays(other) || !SUFFIXES_OF[typeAfter(other) as MetricType].includes(suffix)) continue
            return `the metric name ${JSON.stringify(name)} would be exposed as ${JSON.stringify(exposed)}, a series of ${JSON.stringify(other)}, to a scrape asking for escaping=${scheme}`
          }
        }
      }
    }
    return this.labelClash(groupId, name, distinctLabelNames(family.metrics))
  }

  /**
   * Why the label names `labels`, of the family `name` pushed by the group `groupId`, would show
   * like another label name of that family (held by another group, or among `labels`) under some
   * escaping scheme; undefined when none would, or when the index does not claim names.
   */
  labelClash (groupId: string, name: string, labels: readonly string[]): string | undefined {
    if (this.#claims === undefined) return undefined
    const family = this.#families.get(name)
    const own = family?.members.get(groupId)?.labelNames
    const others = family?.labelClaims
    const pushed = new NameClaims()
    for (const label of labels) pushed.add(label)
    // A label name the group holds now is replaced by this push: only other holders count.
    const held = (other: string, holders: number): boolean => holders > (own?.includes(other) === true ? 1 : 0)
    for (const label of labels) {
      const clash = others?.rival(label, '', held) ?? pushed.rival(label)
      if (clash !== undefined) return shownAlike(`in ${JSON.stringify(name)} the label name`, label, clash)
    }
    return undefined
  }

  /**
   * The merged families, sorted by name, metrics in exposition order. Large families are sorted
   * first with turns of the event loop (`pause`) in between; the list is then made at once.
   */
  async families (pause: () => Promise<void> = nextTurn): Promise<MetricFamily[]> {
    for (const name of this.#names()) await this.#sortSliced(this.#families.get(name), pause)
    return this.#names().map(name => {
      const family = this.#families.get(name) as IndexedFamily
      const { members, indexes } = this.#sorted(family)
      const merged: MetricFamily = { name, type: family.type, metrics: members.map((member, i) => member.stored.family.metrics[indexes[i] as number] as Metric) }
      const help = helpOf(family)
      if (help !== undefined) merged.help = help
      const unit = unitOf(family)
      if (unit !== undefined) merged.unit = unit
      return merged
    })
  }

  /**
   * Renders the stored families in one format, merged with `extra` families (sorted by name; an
   * extra family's HELP and TYPE win over the pushed ones of the same name). It awaits `pause`
   * after every `RENDER_BATCH` metrics it renders afresh or copies, so that a large scrape lets
   * other requests in; what changes meanwhile shows in this scrape or the next, never twice.
   */
  async render (format: RenderFormat, extra: readonly MetricFamily[], escaping: EscapingScheme = 'allow-utf-8', pause: () => Promise<void> = nextTurn): Promise<string> {
    return (await this.renderChunks(format, extra, escaping, pause)).join('')
  }

  /** What `render` renders, in chunks of about `CHUNK_LENGTH` characters (none when there is nothing). */
  async renderChunks (format: RenderFormat, extra: readonly MetricFamily[], escaping: EscapingScheme = 'allow-utf-8', pause: () => Promise<void> = nextTurn): Promise<string[]> {
    const plain: View = { format, key: format, escaping: 'allow-utf-8' }
    const escaped: View = escaping === 'allow-utf-8' ? plain : { format, key: `${format}:${escaping}`, escaping }
    // A family whose names every scheme keeps shares the plain render: no copy per scheme.
    const viewOf = (family: IndexedFamily): View => escaped === plain || (family.labelClaims?.changing === 0 && isLegacyMetricName(family.name)) ? plain : escaped
    const names = this.#names()
    const extraByName = new Map(extra.map(f => [f.name, f]))
    const allNames = extra.length === 0 ? names : [...new Set([...names, ...extraByName.keys()])].sort()
    let budget = RENDER_BATCH
    // Every family's header and lines, joined at the end into chunks of flat strings: each is
    // copied out as it is, and none is as large as the whole exposition (see `chunksOf`).
    const parts: string[] = []
    for (const name of allNames) {
      await this.#sortSliced(this.#families.get(name), pause)
      // Lines are rendered ahead in batches, then the family is put together at once from them.
      const ahead: Ahead = { sorted: undefined, next: 0 }
      for (let family = this.#families.get(name); family !== undefined;) {
        budget = this.#renderAhead(family, viewOf(family), budget, ahead)
        if (budget > 0) break
        await pause()
        budget = RENDER_BATCH
        family = this.#families.get(name)
      }
      const family = this.#families.get(name)
      const own = extraByName.get(name)
      if (own !== undefined) {
        const pushed: Array<{ labels: readonly LabelPair[], line: string }> = []
        if (family !== undefined) {
          const { members, indexes } = this.#sorted(family)
          members.forEach((member, i) => {
            const index = indexes[i] as number
            pushed.push({ labels: (member.stored.family.metrics[index] as Metric).labels, line: this.#line(member, index, name, family.type, viewOf(family)) })
          })
        }
        parts.push(renderMerged(escapeFamily(own, escaping), pushed, RENDERERS[format]))
      } else if (family !== undefined) {
        this.#renderFamily(family, viewOf(family), parts)
        budget -= this.#sorted(family).members.length
      }
      if (budget <= 0) {
        await pause()
        budget = RENDER_BATCH
      }
    }
    return chunksOf(parts)
  }

  // Renders up to `budget` of the family's missing lines from where `ahead` stopped, or from the
  // start if the family's order changed since; answers what is left of the budget. (Scanning
  // from the start at each batch was quadratic in the family's size.) A line that changes behind
  // the cursor is rendered when the family is put together.
  #renderAhead (family: IndexedFamily, view: View, budget: number, ahead: Ahead): number {
    const sorted = this.#sorted(family)
    if (ahead.sorted !== sorted) {
      ahead.sorted = sorted
      ahead.next = 0
    }
    const { members, indexes } = sorted
    for (; ahead.next < members.length; ahead.next++) {
      if (budget <= 0) return 0
      const member = members[ahead.next] as Member
      const index = indexes[ahead.next] as number
      const lines = cachedLines(member, view.key)
      if (lines === undefined || lines[index] === undefined) {
        this.#line(member, index, family.name, family.type, view)
        budget--
      }
    }
    return Math.max(budget, 1)
  }

  #names (): string[] {
    this.#sortedNames ??= [...this.#families.keys()].sort()
    return this.#sortedNames
  }

  // Keys are kept with a stored family only while its owners are indexed, to be forgotten later.
  #claimSeries (family: IndexedFamily, member: Member): void {
    if (family.owners === undefined) {
      dropSeriesKeys(member.stored.family)
      return
    }
    for (const key of seriesKeys(member.stored.family)) family.owners.set(key, member.group)
  }

  #forgetSeries (family: IndexedFamily, member: Member): void {
    if (family.owners === undefined) return
    for (const key of seriesKeys(member.stored.family)) family.owners.delete(key)
  }

  #sorted (family: IndexedFamily): Sorted {
    family.sorted ??= compact(unsortedEntries(family).sort(compareEntries))
    return family.sorted
  }

  // Sorts a family of more than SORT_RUN metrics a run at a time, then merges the runs, with a
  // turn of the event loop after each step. If its series change meanwhile, the sort is dropped
  // and `#sorted` sorts the family at once when it is next needed.
  async #sortSliced (family: IndexedFamily | undefined, pause: () => Promise<void>): Promise<void> {
    if (family === undefined || family.sorted !== undefined) return
    let size = 0
    for (const member of family.members.values()) size += member.stored.family.metrics.length
    if (size <= SORT_RUN) return
    const layout = family.layout
    const entries = unsortedEntries(family)
    let runs: Entry[][] = []
    for (let start = 0; start < entries.length; start += SORT_RUN) {
      runs.push(entries.slice(start, start + SORT_RUN).sort(compareEntries))
      await pause()
    }
    while (runs.length > 1) {
      const merged: Entry[][] = []
      for (let i = 0; i < runs.length; i += 2) {
        const right = runs[i + 1]
        merged.push(right === undefined ? runs[i] as Entry[] : mergeRuns(runs[i] as Entry[], right))
        await pause()
      }
      runs = merged
    }
    if (family.layout === layout) family.sorted = compact(runs[0] as Entry[])
  }

  #line (member: Member, index: number, name: string, type: MetricType, view: View): string {
    let lines = cachedLines(member, view.key)
    if (lines === undefined) {
      lines = new Array<string>(member.stored.family.metrics.length)
      cacheLines(member, view.key, lines)
    }
    let line = lines[index]
    if (line === undefined) {
      const metric = member.stored.family.metrics[index] as Metric
      const renderer = RENDERERS[view.format]
      const previous = takePrevious(member, view.key, index)
      // Flat now, in a render's slice: a family put together from flat lines is written out
      // (Buffer.from, gzip) in a third of the time, in one piece, and a rope kept takes twice the heap.
      line = flatten((previous === undefined ? undefined : renderer.after(previous, name, type, metric)) ??
        renderer.metric(exposedName(name, view.escaping), type, escapeMetric(metric, view.escaping)))
      lines[index] = line
    }
    return line
  }

  // Adds the family's header and lines to `parts`, from the cached lines: keeping each family's
  // text as well took a tenth of the heap, for scrapes in which nothing changed.
  #renderFamily (family: IndexedFamily, view: View, parts: string[]): void {
    parts.push(RENDERERS[view.format].header(exposedName(family.name, view.escaping), family.type, helpOf(family), unitOf(family)))
    const { members, indexes } = this.#sorted(family)
    for (let i = 0; i < members.length; i++) parts.push(this.#line(members[i] as Member, indexes[i] as number, family.name, family.type, view))
  }
}

// Metrics sorted at once between two turns of the event loop by a family's sliced sort.
const SORT_RUN = 16_384

// Exposition order: by label values. The sorts are stable, so metrics with the same labels
// (possible only without the consistency check) stay in the order their groups pushed them.
function compareEntries (a: Entry, b: Entry): number {
  return compareLabelValues(a.labels, b.labels)
}

// A family's metrics in the order of its members, then of each member's metrics.
function unsortedEntries (family: IndexedFamily): Entry[] {
  const entries: Entry[] = []
  for (const member of family.members.values()) {
    const metrics = member.stored.family.metrics
    for (let index = 0; index < metrics.length; index++) {
      entries.push({ member, index, labels: (metrics[index] as Metric).labels })
    }
  }
  return entries
}

// The sorted entries as a family keeps them.
function compact (entries: readonly Entry[]): Sorted {
  return { members: entries.map(entry => entry.member), indexes: entries.map(entry => entry.index) }
}

// Merges two sorted runs, the left one first among equals, as a stable sort of both would order them.
function mergeRuns (left: readonly Entry[], right: readonly Entry[]): Entry[] {
  const merged: Entry[] = []
  let i = 0
  let j = 0
  while (i < left.length && j < right.length) {
    if (compareEntries(right[j] as Entry, left[i] as Entry) < 0) merged.push(right[j++] as Entry)
    else merged.push(left[i++] as Entry)
  }
  while (i < left.length) merged.push(left[i++] as Entry)
  while (j < right.length) merged.push(right[j++] as Entry)
  return merged
}

// Counts a member in (`change` 1) or out (-1) of its family's members by job and instance.
function countMember (family: IndexedFamily, member: Member, change: 1 | -1): void {
  let members = family.jobs.get(member.job)
  if (members === undefined) {
    members = { total: 0, anyInstance: 0, byInstance: new Map() }
    family.jobs.set(member.job, members)
  }
  members.total += change
  if (member.instance === undefined) {
    members.anyInstance += change
  } else {
    const count = (members.byInstance.get(member.instance) ?? 0) + change
    if (count === 0) members.byInstance.delete(member.instance)
    else members.byInstance.set(member.instance, count)
  }
  if (members.total === 0) family.jobs.delete(member.job)
}

// Where rendering ahead stopped in a family's sorted metrics, during one render.
interface Ahead {
  sorted: Sorted | undefined
  next: number
}

// What one render writes: the format, the escaping of names, and the cache key of the two.
interface View {
  format: RenderFormat
  key: RenderKey
  escaping: EscapingScheme
}

// The series a family of each type adds to its name, which other names must not show as.
const SUFFIXES_OF: Readonly<Record<MetricType, readonly string[]>> = {
  counter: [],
  gauge: [],
  untyped: [],
  summary: ['_sum', '_count'],
  histogram: ['_bucket', '_sum', '_count'],
  gaugehistogram: ['_bucket', '_sum', '_count']
}

function shownAlike (what: string, name: string, rival: Rival): string {
  return `${what} ${JSON.stringify(name)} would be exposed as ${JSON.stringify(rival.exposed)}, as ${JSON.stringify(rival.name)} is, to a scrape asking for escaping=${rival.scheme}`
}

/** The distinct label names of some metrics, in order of first appearance. */
export function distinctLabelNames (metrics: readonly Metric[]): string[] {
  const names = new Set<string>()
  for (const metric of metrics) for (const label of metric.labels) names.add(label.name)
  return [...names]
}

// A family that is both the gateway's own and pushed: one header (the own one), all series in order.
function renderMerged (own: MetricFamily, pushed: Array<{ labels: readonly LabelPair[], line: string }>, renderer: typeof RENDERERS[RenderFormat]): string {
  const lines: Array<{ labels: readonly LabelPair[], line: string }> = own.metrics.map(metric => ({ labels: metric.labels, line: renderer.metric(own.name, own.type, metric) }))
  lines.push(...pushed)
  lines.sort((a, b) => compareLabelValues(a.labels, b.labels))
  let out = renderer.header(own.name, own.type, own.help, own.unit)
  for (const { line } of lines) out += line
  return out
}

// The HELP of the group that has held the family longest, skipping groups that pushed none.
function helpOf (family: IndexedFamily): string | undefined {
  for (const member of family.members.values()) {
    if (member.stored.family.help !== undefined) return member.stored.family.help
  }
  return undefined
}

function unitOf (family: IndexedFamily): string | undefined {
  for (const member of family.members.values()) {
    if (member.stored.family.unit !== undefined) return member.stored.family.unit
  }
  return undefined
}

// A member's cached lines are fields of its own rather than an object by render key, which took
// 56 bytes per member; clearing them leaves nothing for the collector.
function cachedLines (member: Member, key: RenderKey): string[] | undefined {
  return key === 'text' ? member.text : key === 'openmetrics' ? member.openmetrics : member.escaped?.get(key)
}

function cacheLines (member: Member, key: RenderKey, lines: string[]): void {
  if (key === 'text') member.text = lines
  else if (key === 'openmetrics') member.openmetrics = lines
  else (member.escaped ??= new Map()).set(key, lines)
}

/**
 * `parts` joined into chunks of at least `CHUNK_LENGTH` characters each but the last: a scrape
 * of 10,000 groups is some 9 MB, and a string or buffer that large takes fresh memory each time,
 * where chunks reuse the heap's (on a VM where a page is slow to touch the first time, a fresh
 * 7.7 MB took 21 ms to write, a reused one 0.5 ms).
 */
function chunksOf (parts: readonly string[]): string[] {
  const chunks: string[] = []
  let from = 0
  let length = 0
  for (let i = 0; i < parts.length; i++) {
    length += (parts[i] as string).length
    if (length < CHUNK_LENGTH) continue
    chunks.push(parts.slice(from, i + 1).join(''))
    from = i + 1
    length = 0
  }
  if (from < parts.length) chunks.push(parts.slice(from).join(''))
  return chunks
}

// Drops a member's rendered lines. With `sameSeries` (its type and series are as they were, only
// values changed) its lines in the formats that keep them are kept as previous lines, or the older
// ones if none were rendered since.
function clearLines (member: Member, sameSeries: boolean): void {
  member.previousText = sameSeries ? member.text ?? member.previousText : undefined
  member.previousOpenMetrics = sameSeries ? member.openmetrics ?? member.previousOpenMetrics : undefined
  member.text = undefined
  member.openmetrics = undefined
  member.escaped = undefined
}

// The previous line at `index` in the format of `key` (names as stored only), taken: it goes, and
// the whole list with the member's last line, the end of a render of the member in the usual
// order (any lines left are then rendered in full).
function takePrevious (member: Member, key: RenderKey, index: number): string | undefined {
  const previous = key === 'text' ? member.previousText : key === 'openmetrics' ? member.previousOpenMetrics : undefined
  if (previous === undefined) return undefined
  const line = previous[index]
  if (index < previous.length - 1) previous[index] = undefined
  else if (key === 'text') member.previousText = undefined
  else member.previousOpenMetrics = undefined
  return line
}
