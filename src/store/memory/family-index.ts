import type { LabelPair, Metric, MetricFamily, MetricType } from '../../exposition/types.js'
import type { RenderFormat, StoredFamily } from '../store.js'
import { compareLabelValues } from '../../exposition/metric-order.js'
import { textHeader, textMetric } from '../../exposition/write-text.js'
import { openMetricsHeader, openMetricsMetric } from '../../exposition/write-openmetrics.js'
import { sameLabelSets, seriesKey } from '../../groups/consistency.js'
import { nextTurn } from '../../clock.js'

// Metrics rendered afresh (or families copied) between two turns of the event loop during a scrape.
const RENDER_BATCH = 2048

/** One group's share of an indexed family, with its rendered lines cached per format. */
interface Member {
  stored: StoredFamily
  rendered: Partial<Record<RenderFormat, string[]>>
}

/** A metric in exposition order: which member holds it and at which position. */
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
  sorted: Entry[] | undefined
  /** The rendered family per format; cleared on any change. */
  cache: Partial<Record<RenderFormat, string>>
}

const RENDERERS: Record<RenderFormat, {
  header: (name: string, type: MetricType, help: string | undefined, unit: string | undefined) => string
  metric: (name: string, type: MetricType, metric: Metric) => string
}> = {
  text: { header: (name, type, help) => textHeader(name, type, help), metric: textMetric },
  openmetrics: { header: openMetricsHeader, metric: openMetricsMetric }
}

/**
 * The index of every stored family by name and every stored series by identity. It answers the
 * consistency check in time proportional to the push, and renders the exposition from per-metric
 * text cached until the metric changes.
 */
export class FamilyIndex {
  readonly #families = new Map<string, IndexedFamily>()
  readonly #owners = new Map<string, string>()
  #sortedNames: string[] | undefined

  /** The type of the family stored under `name`, ignoring what the group `exceptGroup` holds. */
  typeElsewhere (name: string, exceptGroup: string): MetricType | undefined {
    const family = this.#families.get(name)
    if (family === undefined) return undefined
    if (family.members.size === 1 && family.members.has(exceptGroup)) return undefined
    return family.type
  }

  /** The id of the group that exports the series, if any. */
  ownerOf (key: string): string | undefined {
    return this.#owners.get(key)
  }

  /** Stores a group's family, replacing what the group had under that name. */
  set (groupId: string, stored: StoredFamily): void {
    const { name, metrics } = stored.family
    if (metrics.length === 0) {
      this.remove(groupId, name)
      return
    }
    let family = this.#families.get(name)
    if (family === undefined) {
      family = { name, type: stored.family.type, members: new Map(), sorted: undefined, cache: {} }
      this.#families.set(name, family)
      this.#sortedNames = undefined
    }
    // The consistency check lets only the sole holder of a family change its type.
    family.type = stored.family.type
    family.cache = {}
    const member = family.members.get(groupId)
    if (member !== undefined && sameLabelSets(member.stored.family.metrics, metrics)) {
      // Values changed but the series did not: keep the order, re-render lazily.
      member.stored = stored
      member.rendered = {}
      return
    }
    if (member !== undefined) this.#forgetSeries(name, member.stored.family.metrics)
    for (const metric of metrics) this.#owners.set(seriesKey(name, metric.labels), groupId)
    if (member === undefined) {
      family.members.set(groupId, { stored, rendered: {} })
    } else {
      member.stored = stored
      member.rendered = {}
    }
    family.sorted = undefined
  }

  /** Removes a group's family of that name, if it has one. */
  remove (groupId: string, name: string): void {
    const family = this.#families.get(name)
    const member = family?.members.get(groupId)
    if (family === undefined || member === undefined) return
    this.#forgetSeries(name, member.stored.family.metrics)
    family.members.delete(groupId)
    family.sorted = undefined
    family.cache = {}
    if (family.members.size === 0) {
      this.#families.delete(name)
      this.#sortedNames = undefined
    }
  }

  /** Removes everything. */
  clear (): void {
    this.#families.clear()
    this.#owners.clear()
    this.#sortedNames = undefined
  }

  /** The merged families, sorted by name, metrics in exposition order. */
  families (): MetricFamily[] {
    return this.#names().map(name => {
      const family = this.#families.get(name) as IndexedFamily
      const merged: MetricFamily = { name, type: family.type, metrics: this.#entries(family).map(e => e.member.stored.family.metrics[e.index] as Metric) }
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
  async render (format: RenderFormat, extra: readonly MetricFamily[], pause: () => Promise<void> = nextTurn): Promise<string> {
    const renderer = RENDERERS[format]
    const names = this.#names()
    const extraByName = new Map(extra.map(f => [f.name, f]))
    const allNames = extra.length === 0 ? names : [...new Set([...names, ...extraByName.keys()])].sort()
    let budget = RENDER_BATCH
    let out = ''
    for (const name of allNames) {
      // Lines are rendered ahead in batches, then the family is put together at once from them.
      for (let family = this.#families.get(name); family !== undefined && family.cache[format] === undefined;) {
        budget = this.#renderAhead(family, format, budget)
        if (budget > 0) break
        await pause()
        budget = RENDER_BATCH
        family = this.#families.get(name)
      }
      const family = this.#families.get(name)
      const own = extraByName.get(name)
      if (own !== undefined) {
        const pushed = family === undefined ? [] : this.#entries(family).map(e => ({ labels: e.labels, line: this.#line(e, name, family.type, format) }))
        out += renderMerged(own, pushed, renderer)
      } else if (family !== undefined) {
        // Taken from the cache, a family costs one concatenation however many metrics it has.
        const cached = family.cache[format] !== undefined
        out += this.#renderFamily(family, format)
        budget -= cached ? 1 : this.#entries(family).length
      }
      if (budget <= 0) {
        await pause()
        budget = RENDER_BATCH
      }
    }
    return out
  }

  // Renders up to `budget` of the family's missing lines; answers what is left of the budget.
  #renderAhead (family: IndexedFamily, format: RenderFormat, budget: number): number {
    for (const entry of this.#entries(family)) {
      if (budget <= 0) return 0
      const lines = entry.member.rendered[format]
      if (lines === undefined || lines[entry.index] === undefined) {
        this.#line(entry, family.name, family.type, format)
        budget--
      }
    }
    return Math.max(budget, 1)
  }

  #names (): string[] {
    this.#sortedNames ??= [...this.#families.keys()].sort()
    return this.#sortedNames
  }

  #forgetSeries (name: string, metrics: readonly Metric[]): void {
    for (const metric of metrics) this.#owners.delete(seriesKey(name, metric.labels))
  }

  #entries (family: IndexedFamily): Entry[] {
    if (family.sorted !== undefined) return family.sorted
    const entries: Entry[] = []
    for (const member of family.members.values()) {
      const metrics = member.stored.family.metrics
      for (let index = 0; index < metrics.length; index++) {
        entries.push({ member, index, labels: (metrics[index] as Metric).labels })
      }
    }
    entries.sort((a, b) => compareLabelValues(a.labels, b.labels))
    family.sorted = entries
    return entries
  }

  #line (entry: Entry, name: string, type: MetricType, format: RenderFormat): string {
    const member = entry.member
    let lines = member.rendered[format]
    if (lines === undefined) {
      lines = new Array<string>(member.stored.family.metrics.length)
      member.rendered[format] = lines
    }
    let line = lines[entry.index]
    if (line === undefined) {
      line = RENDERERS[format].metric(name, type, member.stored.family.metrics[entry.index] as Metric)
      lines[entry.index] = line
    }
    return line
  }

  #renderFamily (family: IndexedFamily, format: RenderFormat): string {
    const cached = family.cache[format]
    if (cached !== undefined) return cached
    let out = RENDERERS[format].header(family.name, family.type, helpOf(family), unitOf(family))
    for (const entry of this.#entries(family)) out += this.#line(entry, family.name, family.type, format)
    family.cache[format] = out
    return out
  }
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
