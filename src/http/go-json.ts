import { compareUtf8 } from '../exposition/metric-order.js'
import { flatten } from '../flatten.js'
import { sortInPlace } from '../sort.js'

/**
 * A JSON object whose fields are written in insertion order, like a Go struct (maps, that is plain
 * objects, are written with sorted keys). Fields whose value is `undefined` are left out, which is how
 * a caller expresses Go's `omitempty`.
 */
export class GoStruct {
  /** The fields, in the order they are written. */
  readonly fields: Readonly<Record<string, unknown>>
  constructor (fields: Readonly<Record<string, unknown>>) {
    this.fields = fields
  }
}

/** JSON text that `goJson` writes as it is, for a part serialized beforehand (see `goRaw`). */
export class GoRaw {
  /** The JSON text. */
  readonly json: string
  constructor (json: string) {
    this.json = json
  }
}

/** Wraps JSON text (from `goJson`) so that `goJson` writes it as it is, where a value goes. */
export function goRaw (json: string): GoRaw {
  return new GoRaw(json)
}

/** Wraps `fields` so that `goJson` writes them in insertion order, like a Go struct, instead of sorting them. */
export function goStruct (fields: Readonly<Record<string, unknown>>): GoStruct {
  return new GoStruct(fields)
}

/**
 * Serializes like Go's `encoding/json` `Marshal`: plain-object keys sorted in UTF-8 byte order (use
 * `goStruct` for struct order), no whitespace, `<` `>` `&` as `\u003c` `\u003e` `\u0026`, U+2028/U+2029
 * escaped, lone surrogates (JavaScript's invalid UTF-8) as `\ufffd`, `-0` kept. Supports null, booleans,
 * finite numbers, strings, arrays, plain objects (`undefined`-valued keys omitted), `GoStruct` and `GoRaw`; throws
 * a `TypeError` for anything else, including NaN and infinities (Go refuses them too).
 */
export function goJson (value: unknown): string {
  try {
    writeValue(value)
    if (chunks.length === 0) return out
    chunks.push(out)
    return chunks.join('')
  } finally {
    out = ''
    chunks = []
  }
}

// The output is grown with += in `out`, and moved to `chunks` every CHUNK_LENGTH characters.
let out = ''
let chunks: string[] = []
const CHUNK_LENGTH = 65536

function flushChunk (): void {
  if (out.length < CHUNK_LENGTH) return
  // Flat now, so that the rope's many small parts die young; with one rope for the whole output,
  // garbage collection took three quarters of the time.
  chunks.push(flatten(out))
  out = ''
}

function writeValue (value: unknown): void {
  switch (typeof value) {
    case 'string':
      writeString(value)
      return
    case 'number':
      writeNumber(value)
      return
    case 'boolean':
      out += value ? 'true' : 'false'
      return
    case 'object':
      if (value === null) {
        out += 'null'
      } else if (Array.isArray(value)) {
        writeArray(value)
      } else if (value instanceof GoRaw) {
        out += value.json
      } else if (value instanceof GoStruct) {
        writeObject(value.fields, Object.keys(value.fields))
      } else {
        writeMap(value)
      }
      return
  }
  throw new TypeError(`goJson: unsupported type ${typeof value}`)
}

// Everything JSON.stringify or Go would escape; most strings have none of it and are copied as they are.
// eslint-disable-next-line no-control-regex -- control characters are what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\uD800-\uDFFF]/
// Characters that JSON.stringify leaves alone but Go escapes, plus surrogates (lone ones need fixing).
const NEEDS_GO_ESCAPE = /[<>&\u2028\u2029\uD800-\uDFFF]/
// Matched in JSON.stringify's output; an escaped backslash is matched so that `\\ud800` stays literal text.
const GO_ESCAPES = /[<>&\u2028\u2029]|\\(?:\\|ud[89a-f][0-9a-f]{2})/g

function writeString (s: string): void {
  if (!NEEDS_ESCAPE.test(s)) {
    out += '"' + s + '"'
    return
  }
  const json = JSON.stringify(s)
  out += NEEDS_GO_ESCAPE.test(s) ? json.replace(GO_ESCAPES, goEscape) : json
}

function goEscape (match: string): string {
  switch (match) {
    case '<': return '\\u003c'
    case '>': return '\\u003e'
    case '&': return '\\u0026'
    case '\u2028': return '\\u2028'
    case '\u2029': return '\\u2029'
    case '\\\\': return match
    default: return '\\ufffd'
  }
}

function writeNumber (n: number): void {
  if (!Number.isFinite(n)) throw new TypeError(`goJson: unsupported value: ${n}`)
  // Go switches to exponent form at the same thresholds as JavaScript (< 1e-6, >= 1e21), but keeps the sign of -0.
  out += n === 0 && 1 / n < 0 ? '-0' : String(n)
}

function writeArray (array: readonly unknown[]): void {
  out += '['
  for (let i = 0; i < array.length; i++) {
    if (i > 0) out += ','
    writeValue(array[i])
    flushChunk()
  }
  out += ']'
}

function writeMap (map: object): void {
  const prototype: unknown = Object.getPrototypeOf(map)
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError(`goJson: unsupported object ${Object.prototype.toString.call(map)}`)
  }
  writeObject(map as Record<string, unknown>, sortInPlace(Object.keys(map), compareUtf8))
}

function writeObject (object: Readonly<Record<string, unknown>>, keys: readonly string[]): void {
  out += '{'
  let first = true
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    const value = object[key]
    if (value === undefined) continue
    if (!first) out += ','
    writeString(key)
    out += ':'
    writeValue(value)
    flushChunk()
    first = false
  }
  out += '}'
}

const NANOS_PER_SECOND = 1_000_000_000n
const MAX_OFFSET_MINUTES = 24 * 60

let cachedSecond: bigint | undefined
let cachedOffset = 0
let cachedPrefix = ''

/**
 * Formats a time like Go's `time.Time.MarshalJSON` (RFC 3339 with nanoseconds, trailing zeros and an
 * all-zero fraction dropped), without the quotes: `2020-03-10T00:54:08.12Z`. `offsetMinutes` is the zone
 * offset east of UTC, default 0, written as `Z`; otherwise as `+05:30`. Throws a `RangeError` for a year
 * outside 0–9999 or an offset that is not a whole number of minutes within ±23:59, as Go does.
 */
export function formatGoTime (epochNanos: bigint, offsetMinutes = 0): string {
  let seconds = epochNanos / NANOS_PER_SECOND
  let nanos = Number(epochNanos % NANOS_PER_SECOND)
  if (nanos < 0) {
    nanos += 1e9
    seconds -= 1n
  }
  if (seconds !== cachedSecond || offsetMinutes !== cachedOffset) {
    cachedPrefix = formatSecond(seconds, offsetMinutes)
    cachedSecond = seconds
    cachedOffset = offsetMinutes
  }
  return cachedPrefix + formatFraction(nanos) + formatZone(offsetMinutes)
}

function formatSecond (seconds: bigint, offsetMinutes: number): string {
  if (!Number.isInteger(offsetMinutes) || Math.abs(offsetMinutes) >= MAX_OFFSET_MINUTES) {
    throw new RangeError(`formatGoTime: offset must be whole minutes within ±23:59, got ${offsetMinutes}`)
  }
  const date = new Date(Number(seconds) * 1000 + offsetMinutes * 60_000)
  const year = date.getUTCFullYear()
  // An invalid Date gives NaN, which fails this test too.
  if (!(year >= 0 && year <= 9999)) throw new RangeError('formatGoTime: year outside of range [0,9999]')
  return `${pad(year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}T` +
    `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`
}

function formatFraction (nanos: number): string {
  if (nanos === 0) return ''
  const digits = String(nanos).padStart(9, '0')
  let end = digits.length
  while (digits.charCodeAt(end - 1) === 0x30) end--
  return '.' + digits.slice(0, end)
}

function formatZone (offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'Z'
  const sign = offsetMinutes < 0 ? '-' : '+'
  const abs = Math.abs(offsetMinutes)
  return `${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`
}

function pad (n: number, width: number): string {
  return String(n).padStart(width, '0')
}
