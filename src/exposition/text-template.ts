import { isSingleSample, type MetricFamily, type MetricType } from './types.js'
import { parseGoFloat } from './parse-text.js'

// A job usually pushes the same families and series again with new values. A text body that
// repeats the group's last one byte for byte, but for the values of its samples, parses to the
// same families, passes the same checks and changes nothing but those values: the values alone
// are read then, in place of a parse, and the store writes them where the last push put them.

/** Text bodies longer than this (in bytes) get no template: a large push is rare and pays for its parse anyway. */
export const TEMPLATE_MAX_LENGTH = 16 * 1024

const TAB = 9
const LF = 10
const SPACE = 32

// Templates made lately, by a hash of their parts: the groups of a job that push alike share one.
const REMEMBERED = 256
let remembered = new Map<number, TextTemplate[]>()
let rememberedCount = 0
// Hashes a part boundary as no character code can be.
const BOUNDARY = 0x10000

/**
 * What a text body is once its sample values are taken out, and where each value goes. Only
 * bodies of counters, gauges and untyped samples have one: a summary's or histogram's values
 * are not copied as read.
 */
export interface TextTemplate {
  /** The text between the values: one more part than there are values. */
  readonly parts: readonly string[]
  /** The name of the family of each value. */
  readonly families: readonly string[]
  /** The position of each value's metric in its family's metrics. */
  readonly metrics: readonly number[]
}

/** Where the text parser found each sample value of a body (see `textParser`), to make its template. */
export class ValueRecord {
  /** Whether every sample was of a counter, gauge or untyped family. */
  plain = true
  readonly starts: number[] = []
  readonly ends: number[] = []
  readonly families: string[] = []
  readonly metrics: number[] = []
  readonly values: number[] = []

  /** Notes the value read from `start` to before `end` for the metric at `metric` of the family `family`, of `type`. */
  add (type: MetricType, family: string, metric: number, start: number, end: number, value: number): void {
    if (!isSingleSample(type)) {
      this.plain = false
      return
    }
    this.starts.push(start)
    this.ends.push(end)
    this.families.push(family)
    this.metrics.push(metric)
    this.values.push(value)
  }
}

/**
 * A body's template, to be made only when a store asks for it: most full pushes are followed by
 * one that is no repeat of them either, and a store makes a group's template only when its body
 * comes twice in a row (see `MemoryStore`), so the text between the values is only hashed here.
 */
export interface TemplateSource {
  /** A hash of the text between the values: two bodies of the same template have the same. */
  readonly hash: number
  /** The template; undefined when the body has none. */
  make: () => TextTemplate | undefined
}

/**
 * The template source of the body `text`, parsed with `record`, whose families became `families`
 * (the prepared ones a store keeps, metrics in the same order); undefined when the body can have
 * no template. Each recorded value must be that of the metric it names there, which proves where
 * values go; the template is made then, or found among those made lately.
 */
export function textTemplate (text: string, record: ValueRecord, families: readonly MetricFamily[]): TemplateSource | undefined {
  if (!record.plain) return undefined
  const { starts, ends } = record
  let hash = 0x811c9dc5
  let from = 0
  for (let k = 0; k <= starts.length; k++) {
    const end = starts[k] ?? text.length
    for (let i = from; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
    hash = Math.imul(hash ^ BOUNDARY, 0x01000193)
    from = ends[k] ?? text.length
  }
  return { hash, make: () => madeTemplate(text, record, families, hash) }
}

function madeTemplate (text: string, record: ValueRecord, families: readonly MetricFamily[], hash: number): TextTemplate | undefined {
  const { starts, ends, values } = record
  let family: MetricFamily | undefined
  for (let k = 0; k < values.length; k++) {
    const name = record.families[k] as string
    if (family?.name !== name) family = families.find(one => one.name === name)
    const metric = family?.metrics[record.metrics[k] as number]
    if (metric === undefined || !Object.is(metric.value, values[k])) return undefined
  }
  const known = remembered.get(hash)
  for (const template of known ?? []) if (sameParts(template, text, starts, ends)) return template
  const parts: string[] = []
  let from = 0
  for (let k = 0; k <= starts.length; k++) {
    // Copied, so that a template kept by many groups does not keep alive the body it came from.
    parts.push((' ' + text.slice(from, starts[k] ?? text.length)).slice(1))
    from = ends[k] ?? text.length
  }
  const template: TextTemplate = { parts, families: record.families.slice(), metrics: record.metrics.slice() }
  if (rememberedCount >= REMEMBERED) {
    remembered = new Map()
    rememberedCount = 0
  }
  remembered.set(hash, [...known ?? [], template])
  rememberedCount++
  return template
}

// Whether the template's parts are the text between the values at `starts` and `ends`.
function sameParts ({ parts }: TextTemplate, text: string, starts: readonly number[], ends: readonly number[]): boolean {
  if (parts.length !== starts.length + 1) return false
  let from = 0
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k] as string
    const end = starts[k] ?? text.length
    if (part.length !== end - from || !text.startsWith(part, from)) return false
    from = ends[k] ?? text.length
  }
  return true
}

/**
 * The values of `text` if it repeats the template's body but for its sample values, in the
 * template's order; undefined when it does not, or when one of its values is not one the parser
 * reads (the body must then be parsed, which refuses it or makes another template).
 */
export function repeatedValues (text: string, template: TextTemplate): Float64Array | undefined {
  const { parts } = template
  const values = new Float64Array(parts.length - 1)
  let at = 0
  for (let k = 0; k < values.length; k++) {
    const part = parts[k] as string
    if (!text.startsWith(part, at)) return undefined
    at += part.length
    // What the parser reads as the value: up to a blank or a line feed, which must come.
    const start = at
    let c = text.charCodeAt(at)
    while (at < text.length && c !== SPACE && c !== TAB && c !== LF) c = text.charCodeAt(++at)
    const value = at === start || at === text.length ? undefined : parseGoFloat(text, start, at)
    if (value === undefined) return undefined
    values[k] = value
  }
  const last = parts[values.length] as string
  return text.length - at === last.length && text.startsWith(last, at) ? values : undefined
}
