import { decodeDelimited, encodeDelimited } from '../../exposition/protobuf.js'
import type { MetricFamily } from '../../exposition/types.js'
import type { GroupView, StoredFamily } from '../store.js'

/** The snapshot format version this package writes and the newest it reads. */
export const SNAPSHOT_VERSION = 2

/** Why a snapshot was refused: it is damaged (`'invalid'`) or written by a newer package (`'unsupported-version'`). */
export type SnapshotErrorReason = 'invalid' | 'unsupported-version'

/** A snapshot that cannot be read; the message names what is wrong and where. */
export class SnapshotError extends Error {
  override name = 'SnapshotError'
  /** Why the snapshot was refused. */
  readonly reason: SnapshotErrorReason

  constructor (reason: SnapshotErrorReason, message: string) {
    super(message)
    this.reason = reason
  }
}

const MAGIC = 'pushgateway-middleware snapshot'
const HEADER = new RegExp(`^${MAGIC} ([1-9]\\d*)$`)
const BIGINT = /^-?\d+$/
const NEWLINE = 0x0a
const GROUP_FIELDS = ['labels', 'pushTimeNs', 'failureTimeNs', 'families']
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

interface FamilyLine {
  name: string
  timeNs: string
  protobuf: string
}

/**
 * Encodes groups as a snapshot: the line `pushgateway-middleware snapshot 2`, a JSON line with the
 * write time and the group count, then one JSON line per group in iteration order, its families
 * in map order, each family as base64 of its delimited protobuf encoding, and what each writer of
 * cumulative aggregate pushes pushed last (see docs/snapshot-format.md).
 */
export function encodeSnapshot (groups: Iterable<GroupView>, writtenAt: Date): Buffer {
  return Buffer.from([...snapshotLines([...groups], writtenAt)].join(''), 'utf8')
}

/**
 * The lines of `encodeSnapshot`, each with its end of line, one group at a time: a snapshot of
 * any size is written without ever being one string (V8 strings end at about 512 MiB).
 */
export function * snapshotLines (groups: readonly GroupView[], writtenAt: Date): Generator<string> {
  yield `${MAGIC} ${SNAPSHOT_VERSION}\n`
  yield JSON.stringify({ writtenAt: writtenAt.toISOString(), groups: groups.length }) + '\n'
  for (const group of groups) yield JSON.stringify(encodeGroup(group)) + '\n'
}

/**
 * Whether `data` starts like a snapshot of this package (of any version), or is one cut short
 * within its first line, so that it is ours to set aside.
 */
export function isSnapshot (data: Uint8Array): boolean {
  const start = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, MAGIC.length + 1)).toString('latin1')
  return (MAGIC + ' ').startsWith(start)
}

// `writers` only when there are some, so that groups without look as in version 1.
function encodeGroup (group: GroupView): object {
  const families: FamilyLine[] = []
  for (const [name, stored] of group.families) {
    families.push({ name, timeNs: String(stored.timeNs), protobuf: encodeDelimited([stored.family]).toString('base64') })
  }
  const line: Record<string, unknown> = { labels: group.labels, pushTimeNs: String(group.pushTimeNs), failureTimeNs: String(group.failureTimeNs), families }
  if (group.writers !== undefined && group.writers.size > 0) {
    line.writers = [...group.writers].map(([id, pushed]) => ({ id, protobuf: encodeDelimited([...pushed]).toString('base64') }))
  }
  return line
}

/**
 * Decodes a snapshot written by `encodeSnapshot` of this or an older version. Throws a
 * `SnapshotError`: `'unsupported-version'` for a newer version, `'invalid'` for anything else
 * wrong, a file cut short included.
 */
export function decodeSnapshot (data: Uint8Array): GroupView[] {
  const headerEnd = data.indexOf(NEWLINE)
  const version = checkHeader(Buffer.from(data.buffer, data.byteOffset, headerEnd < 0 ? data.byteLength : headerEnd).toString('latin1'))
  if (headerEnd < 0) throw invalid('the file is cut short: line 1 has no end of line')
  // Line by line, so that a file of any size is read without ever being one string.
  const groups: GroupView[] = []
  let count = -1
  let start = headerEnd + 1
  let number = 2
  while (start < data.byteLength) {
    const end = data.indexOf(NEWLINE, start)
    if (end < 0) throw invalid(`the file is cut short: line ${number} has no end of line`)
    const line = decodeText(data.subarray(start, end))
    if (count < 0) {
      count = decodeMeta(line)
    } else {
      if (groups.length === count) throw invalid(`line ${count + 3}: the header announces ${count} groups, the file holds more`)
      groups.push(decodeGroup(line, groups.length + 1, version))
    }
    start = end + 1
    number++
  }
  if (count < 0) throw invalid('the file is cut short: it has no line 2')
  if (groups.length < count) throw invalid(`the file is cut short: the header announces ${count} groups, it holds ${groups.length}`)
  return groups
}

function checkHeader (line: string): number {
  const version = HEADER.exec(line)?.[1]
  if (version === undefined) throw invalid('line 1 is not a pushgateway-middleware snapshot header')
  if (Number(version) > SNAPSHOT_VERSION) {
    throw new SnapshotError('unsupported-version', `version ${version} is newer than this package reads (${SNAPSHOT_VERSION})`)
  }
  return Number(version)
}

function decodeText (bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw invalid('the file is not valid UTF-8')
  }
}

// Line 2: the write time and the group count.
function decodeMeta (line: string): number {
  const where = 'line 2 (the header)'
  const meta = parseObject(line, where, ['writtenAt', 'groups'])
  if (typeof meta.writtenAt !== 'string' || !isIsoTime(meta.writtenAt)) throw invalid(`${where}: "writtenAt" must be an ISO 8601 time`)
  if (!Number.isSafeInteger(meta.groups) || (meta.groups as number) < 0) throw invalid(`${where}: "groups" must be a non-negative integer`)
  return meta.groups as number
}

function isIsoTime (value: string): boolean {
  const time = new Date(value)
  return !Number.isNaN(time.getTime()) && time.toISOString() === value
}

// Version 1 has no writers.
function decodeGroup (line: string, number: number, version: number): GroupView {
  const where = `group ${number}`
  const group = parseObject(line, `line ${number + 2} (${where})`, GROUP_FIELDS, version === 1 ? [] : ['writers'])
  const labels = decodeLabels(group.labels, where)
  if (!Array.isArray(group.families)) throw invalid(`${where}: "families" must be an array`)
  const families = new Map<string, StoredFamily>()
  group.families.forEach((entry: unknown, i) => {
    const stored = decodeFamily(entry, `${where}: family ${i + 1}`)
    if (families.has(stored.family.name)) throw invalid(`${where}: family ${i + 1} (${stored.family.name}) appears twice`)
    families.set(stored.family.name, stored)
  })
  const view: GroupView = {
    labels,
    families,
    pushTimeNs: decodeBigint(group.pushTimeNs, `${where}: "pushTimeNs"`),
    failureTimeNs: decodeBigint(group.failureTimeNs, `${where}: "failureTimeNs"`)
  }
  if (Object.hasOwn(group, 'writers')) view.writers = decodeWriters(group.writers, where)
  return view
}

function decodeWriters (value: unknown, where: string): Map<string, MetricFamily[]> {
  if (!Array.isArray(value)) throw invalid(`${where}: "writers" must be an array`)
  const writers = new Map<string, MetricFamily[]>()
  value.forEach((entry: unknown, i) => {
    const at = `${where}: writer ${i + 1}`
    if (!isObject(entry)) throw invalid(`${at} must be an object`)
    checkKeys(entry, at, ['id', 'protobuf'])
    if (typeof entry.id !== 'string' || entry.id === '') throw invalid(`${at}: "id" must be a non-empty string`)
    if (writers.has(entry.id)) throw invalid(`${at} (${entry.id}) appears twice`)
    writers.set(entry.id, decodeProtobuf(entry.protobuf, at))
  })
  return writers
}

function decodeLabels (value: unknown, where: string): Record<string, string> {
  if (!isObject(value)) throw invalid(`${where}: "labels" must be an object`)
  for (const name of Object.keys(value)) {
    if (name === '') throw invalid(`${where}: a label has an empty name`)
    if (typeof value[name] !== 'string') throw invalid(`${where}: the value of label "${name}" must be a string`)
  }
  if (typeof value.job !== 'string' || value.job === '') throw invalid(`${where}: the labels have no "job" or an empty one`)
  // JSON.parse made the object: a label named __proto__ is an own property, not the prototype.
  return value as Record<string, string>
}

function decodeFamily (value: unknown, where: string): StoredFamily {
  if (!isObject(value)) throw invalid(`${where} must be an object`)
  checkKeys(value, where, ['name', 'timeNs', 'protobuf'])
  if (typeof value.name !== 'string') throw invalid(`${where}: "name" must be a string`)
  const timeNs = decodeBigint(value.timeNs, `${where}: "timeNs"`)
  const families = decodeProtobuf(value.protobuf, where)
  if (families.length !== 1) throw invalid(`${where}: the protobuf holds ${families.length} families, not 1`)
  const family = families[0] as MetricFamily
  if (family.name !== value.name) throw invalid(`${where}: the protobuf holds family ${family.name}, not ${value.name}`)
  return { family, timeNs }
}

function decodeProtobuf (value: unknown, where: string): MetricFamily[] {
  if (typeof value !== 'string') throw invalid(`${where}: "protobuf" must be a string`)
  const bytes = Buffer.from(value, 'base64')
  // Node skips characters that are not base64; only canonical base64 encodes back to itself.
  if (bytes.toString('base64') !== value) throw invalid(`${where}: "protobuf" is not valid base64`)
  try {
    return decodeDelimited(bytes)
  } catch (err) {
    throw invalid(`${where} is not valid protobuf: ${(err as Error).message}`)
  }
}

function decodeBigint (value: unknown, where: string): bigint {
  if (typeof value !== 'string' || !BIGINT.test(value)) throw invalid(`${where} must be a string of decimal digits`)
  return BigInt(value)
}

function parseObject (line: string, where: string, keys: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (err) {
    throw invalid(`${where} is not valid JSON: ${(err as Error).message}`)
  }
  if (!isObject(value)) throw invalid(`${where} is not a JSON object`)
  checkKeys(value, where, keys, optional)
  return value
}

// Every change to the format increments the version, so an unknown field means damage.
function checkKeys (value: Record<string, unknown>, where: string, keys: readonly string[], optional: readonly string[] = []): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key) && !optional.includes(key)) throw invalid(`${where}: unknown field "${key}"`)
  }
  for (const key of keys) {
    if (!Object.hasOwn(value, key)) throw invalid(`${where}: field "${key}" is missing`)
  }
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalid (message: string): SnapshotError {
  return new SnapshotError('invalid', message)
}
