/**
 * Reader and writer of the delimited protobuf exposition: a stream of varint-length-prefixed
 * `io.prometheus.client.MetricFamily` messages (prometheus/client_model `metrics.proto`, proto2).
 * Hand-written on one byte cursor, because it is the hot path of every Go client push.
 */
import { InconsistentPushError, ParseError } from '../errors.js'
import { Pacer, nextTurn } from '../clock.js'
import { goQuote } from './go-quote.js'
import { METRIC_TYPES, emptyHistogram } from './types.js'
import type { ParseBudget, SlicedParser } from './parse.js'
import type {
  BucketSpan,
  Bucket,
  Exemplar,
  Histogram,
  LabelPair,
  Metric,
  MetricFamily,
  MetricType,
  Quantile,
  Summary
} from './types.js'

/** The Content-Type of the delimited protobuf exposition. */
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'

const PROTOBUF_MEDIA_TYPE = 'application/vnd.google.protobuf'
const PROTO_PARAM = 'io.prometheus.client.MetricFamily'
const DELIMITED_PARAM = 'delimited'

const COUNTER = 0
const GAUGE = 1
const SUMMARY = 2
const UNTYPED = 3
const HISTOGRAM = 4
const GAUGE_HISTOGRAM = 5
const GO_TYPE_NAMES = ['COUNTER', 'GAUGE', 'SUMMARY', 'UNTYPED', 'HISTOGRAM', 'GAUGE_HISTOGRAM']
const TYPE_INDEX: Readonly<Record<MetricType, number>> = {
  counter: COUNTER,
  gauge: GAUGE,
  summary: SUMMARY,
  untyped: UNTYPED,
  histogram: HISTOGRAM,
  gaugehistogram: GAUGE_HISTOGRAM
}

const TWO_POW_32 = 4294967296
const TWO_POW_63 = 9223372036854775808
const TWO_POW_64 = 18446744073709551616
const MAX_FIELD_NUMBER = 536870911

// ---------------------------------------------------------------------------------------------
// Content-Type check: Go's mime.ParseMediaType, then the three comparisons of handler/push.go.

/** The exact media type/params the Go gateway requires for protobuf pushes (spec 5.1). */
export function isDelimitedProtobuf (contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  const semicolon = contentType.indexOf(';')
  const base = semicolon === -1 ? contentType : contentType.slice(0, semicolon)
  if (!isProtobufMediaType(base)) return false
  const params = parseMediaParams(contentType, base.length)
  return params !== undefined &&
    params.get('encoding') === DELIMITED_PARAM &&
    params.get('proto') === PROTO_PARAM
}

// Go lower-cases with Unicode simple case mapping (U+0130 becomes a plain "i"; U+212A KELVIN
// SIGN would become "k", which the media type does not contain), trims Unicode white space, then
// requires the result to be exactly the protobuf media type.
function isProtobufMediaType (base: string): boolean {
  let start = 0
  let end = base.length
  while (start < end && isGoSpace(base.charCodeAt(start))) start++
  while (end > start && isGoSpace(base.charCodeAt(end - 1))) end--
  if (end - start !== PROTOBUF_MEDIA_TYPE.length) return false
  for (let i = start; i < end; i++) {
    if (goToLower(base.charCodeAt(i)) !== PROTOBUF_MEDIA_TYPE.charCodeAt(i - start)) return false
  }
  return true
}

function goToLower (code: number): number {
  if (code >= 0x41 && code <= 0x5a) return code + 0x20
  if (code === 0x130) return 0x69
  return code
}

// unicode.IsSpace: the Latin-1 spaces plus the Unicode White_Space characters.
function isGoSpace (code: number): boolean {
  if (code <= 0xff) {
    return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0x85 || code === 0xa0
  }
  return code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 ||
    code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000
}

// RFC 2045: token characters are printable ASCII except the tspecials.
const TSPECIAL = new Uint8Array(128)
for (const special of '()<>@,;:\\"/[]?=') TSPECIAL[special.charCodeAt(0)] = 1

function isTokenChar (code: number): boolean {
  return code > 0x20 && code < 0x7f && TSPECIAL[code] === 0
}

function isTSpecial (code: number): boolean {
  return TSPECIAL[code] === 1
}

/** The parameters of a media type, or undefined where Go's parser reports an error. */
function parseMediaParams (header: string, from: number): Map<string, string> | undefined {
  const params = new Map<string, string>()
  let continuations: Map<string, Map<string, string>> | undefined
  const cursor = { pos: from }
  while (cursor.pos < header.length) {
    skipGoSpace(header, cursor)
    if (cursor.pos === header.length) break
    const start = cursor.pos
    const param = consumeMediaParam(header, cursor)
    if (param === undefined) {
      // A trailing lone ";" is tolerated, anything else is a parse error.
      return isTrailingSemicolon(header, start) ? collectParams(params, continuations) : undefined
    }
    const [key, value] = param
    let target = params
    const star = key.indexOf('*')
    if (star !== -1) {
      continuations ??= new Map()
      const baseName = key.slice(0, star)
      let pieces = continuations.get(baseName)
      if (pieces === undefined) {
        pieces = new Map()
        continuations.set(baseName, pieces)
      }
      target = pieces
    }
    const existing = target.get(key)
    if (existing !== undefined && existing !== value) return undefined
    target.set(key, value)
  }
  return collectParams(params, continuations)
}

// Go trims with unicode.IsSpace, which differs from String#trim; compare on that definition.
function isTrailingSemicolon (header: string, start: number): boolean {
  let seen = false
  for (let i = start; i < header.length; i++) {
    const code = header.charCodeAt(i)
    if (code === 0x3b && !seen) {
      seen = true
    } else if (!isGoSpace(code)) {
      return false
    }
  }
  return seen
}

function skipGoSpace (text: string, cursor: { pos: number }): void {
  while (cursor.pos < text.length && isGoSpace(text.charCodeAt(cursor.pos))) cursor.pos++
}

function consumeToken (text: string, cursor: { pos: number }): string {
  const start = cursor.pos
  while (cursor.pos < text.length && isTokenChar(text.charCodeAt(cursor.pos))) cursor.pos++
  return text.slice(start, cursor.pos)
}

function consumeMediaParam (text: string, cursor: { pos: number }): [string, string] | undefined {
  const start = cursor.pos
  skipGoSpace(text, cursor)
  if (text.charCodeAt(cursor.pos) !== 0x3b) return failParam(cursor, start)
  cursor.pos++
  skipGoSpace(text, cursor)
  const key = consumeToken(text, cursor).toLowerCase()
  if (key === '') return failParam(cursor, start)
  skipGoSpace(text, cursor)
  if (text.charCodeAt(cursor.pos) !== 0x3d) return failParam(cursor, start)
  cursor.pos++
  skipGoSpace(text, cursor)
  const valueStart = cursor.pos
  const value = text.charCodeAt(valueStart) === 0x22 ? consumeQuoted(text, cursor) : consumeToken(text, cursor)
  if (value === undefined || cursor.pos === valueStart) return failParam(cursor, start)
  return [key, value]
}

function failParam (cursor: { pos: number }, start: number): undefined {
  cursor.pos = start
  return undefined
}

function consumeQuoted (text: string, cursor: { pos: number }): string | undefined {
  let value = ''
  for (let i = cursor.pos + 1; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 0x22) {
      cursor.pos = i + 1
      return value
    }
    // Go keeps a backslash literally unless it escapes a tspecial (MSIE file paths).
    if (code === 0x5c && i + 1 < text.length && isTSpecial(text.charCodeAt(i + 1))) {
      value += text[i + 1]
      i++
      continue
    }
    if (code === 0x0d || code === 0x0a) return undefined
    value += text[i]
  }
  return undefined
}

// RFC 2231: "key*" is an encoded value, "key*0", "key*1*"… are continuations; they override "key".
function collectParams (params: Map<string, string>, continuations: Map<string, Map<string, string>> | undefined): Map<string, string> {
  if (continuations === undefined) return params
  for (const [key, pieces] of continuations) {
    const single = pieces.get(key + '*')
    if (single !== undefined) {
      const decoded = decode2231(single)
      if (decoded !== undefined) params.set(key, decoded)
      continue
    }
    let joined = ''
    let valid = false
    for (let n = 0; ; n++) {
      const plain = pieces.get(`${key}*${n}`)
      if (plain !== undefined) {
        valid = true
        joined += plain
        continue
      }
      const encoded = pieces.get(`${key}*${n}*`)
      if (encoded === undefined) break
      valid = true
      joined += (n === 0 ? decode2231(encoded) : percentUnescape(encoded)) ?? ''
    }
    if (valid) params.set(key, joined)
  }
  return params
}

function decode2231 (value: string): string | undefined {
  const first = value.indexOf("'")
  if (first === -1) return undefined
  const second = value.indexOf("'", first + 1)
  if (second === -1) return undefined
  const charset = value.slice(0, first).toLowerCase()
  if (charset !== 'us-ascii' && charset !== 'utf-8') return undefined
  return percentUnescape(value.slice(second + 1))
}

// Bytes become Latin-1 code units: the comparison with an ASCII constant is the same as Go's.
function percentUnescape (value: string): string | undefined {
  let out = ''
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '%') {
      out += value[i]
      continue
    }
    const high = hexValue(value.charCodeAt(i + 1))
    const low = hexValue(value.charCodeAt(i + 2))
    if (high < 0 || low < 0) return undefined
    out += String.fromCharCode(high * 16 + low)
    i += 2
  }
  return out
}

function hexValue (code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  const lower = code | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

// ---------------------------------------------------------------------------------------------
// Decoder. One module-level cursor over the input; every read is bounded by the `end` of the
// message being read, so a length that overruns its parent is caught where it is read.

const EMPTY = Buffer.alloc(0)
const EMPTY_VIEW = new DataView(EMPTY.buffer, EMPTY.byteOffset, 0)
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

let bytes: Buffer = EMPTY
let view: DataView = EMPTY_VIEW
let pos = 0
// The two 32-bit halves of the last 64-bit varint read by readRaw64.
let lo = 0
let hi = 0
let sawInconsistent = false
// The budget of the parse under way: metrics it may still decode, labels per metric.
let budget: ParseBudget | undefined
let metricsLeft = Infinity
let labelsMax = Infinity

/** Decodes varint-length-delimited MetricFamily messages up to the end of the buffer, within `budget` when one is given. */
export function decodeDelimited (buf: Uint8Array, parseBudget?: ParseBudget): MetricFamily[] {
  const parser = new DelimitedParser(buf, parseBudget)
  parser.parseSlice(Infinity)
  return parser.result()
}

/** A parser of delimited MetricFamily messages that decodes them in slices, as `decodeDelimited` decodes them at once. */
export function protobufParser (buf: Uint8Array, parseBudget?: ParseBudget): SlicedParser {
  return new DelimitedParser(buf, parseBudget)
}

// The cursor is module-level for speed; a slice loads this parser's state into it and saves it
// back, so that parses taking turns on the event loop do not mix.
class DelimitedParser implements SlicedParser {
  readonly #bytes: Buffer
  readonly #budget: ParseBudget | undefined
  readonly #families: MetricFamily[] = []
  readonly #positions = new Map<string, number>()
  #pos = 0
  #metricsLeft: number
  #sawInconsistent = false

  constructor (buf: Uint8Array, parseBudget: ParseBudget | undefined) {
    this.#bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
    this.#budget = parseBudget
    this.#metricsLeft = parseBudget?.metrics ?? Infinity
  }

  parseSlice (size: number): boolean {
    bytes = this.#bytes
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    pos = this.#pos
    sawInconsistent = this.#sawInconsistent
    budget = this.#budget
    metricsLeft = this.#metricsLeft
    labelsMax = this.#budget?.labels ?? Infinity
    try {
      const total = bytes.length
      const until = Math.min(pos + size, total)
      // The cursor moves inside decodeMessage.
      for (;;) {
        if (pos >= until) break
        this.#add(decodeMessage(total))
      }
      this.#pos = pos
      this.#sawInconsistent = sawInconsistent
      this.#metricsLeft = metricsLeft
      return pos >= total
    } finally {
      // Do not keep the request body alive after the call.
      bytes = EMPTY
      view = EMPTY_VIEW
      budget = undefined
    }
  }

  result (): MetricFamily[] {
    if (this.#sawInconsistent) checkConsistency(this.#families)
    return this.#families
  }

  #add (family: MetricFamily): void {
    const previous = this.#positions.get(family.name)
    if (previous === undefined) {
      this.#positions.set(family.name, this.#families.length)
      this.#families.push(family)
    } else {
      // Go stores families in a map by name: a repeated name replaces the earlier message.
      this.#families[previous] = family
    }
  }
}

function decodeMessage (total: number): MetricFamily {
  const start = pos
  const end = readMessagePrefix(total)
  const family = decodeFamily(end, start)
  // A family without metrics costs as much as one metric.
  if (family.metrics.length === 0) spendMetric(family.name)
  return family
}

function spendMetric (family: string | undefined): void {
  if (--metricsLeft < 0) throw (budget as ParseBudget).refuse('metrics', family)
}

// protodelim reads the size with its own reader: a cut-off size or body is io.ErrUnexpectedEOF.
function readMessagePrefix (total: number): number {
  const start = pos
  let length = 0
  let factor = 1
  for (let i = 0; ; i++) {
    if (pos >= total) throw new ParseError(`unexpected EOF: length prefix at byte offset ${start} is cut off`)
    const byte = bytes[pos++] as number
    if (i === 9 && byte > 1) throw wireError('variable length integer overflow', start)
    length += (byte & 0x7f) * factor
    if (byte < 0x80) break
    factor *= 128
  }
  if (length > total - pos) {
    throw new ParseError(`unexpected EOF: message at byte offset ${start} declares ${length} bytes but only ${total - pos} remain`)
  }
  return pos + length
}

function wireError (problem: string, offset: number): ParseError {
  return new ParseError(`proto: cannot parse invalid wire-format data: ${problem} at byte offset ${offset}`)
}

// Unsigned varint as a number. uint64 values above 2^53 lose precision in a JS number; the
// counts and timestamps the gateway carries never get there.
function readUnsigned (end: number): number {
  if (pos < end) {
    const byte = bytes[pos] as number
    if (byte < 0x80) {
      pos++
      return byte
    }
  }
  readRaw64(end)
  return hi * TWO_POW_32 + lo
}

// Reads a varint of up to 10 bytes into the unsigned 32-bit halves `lo` and `hi`.
function readRaw64 (end: number): void {
  const start = pos
  let low = 0
  let high = 0
  let byte = 0
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) throw wireError('truncated varint', start)
    byte = bytes[pos++] as number
    low |= (byte & 0x7f) << shift
    if (byte < 0x80) {
      lo = low >>> 0
      hi = 0
      return
    }
  }
  if (pos >= end) throw wireError('truncated varint', start)
  byte = bytes[pos++] as number
  low |= (byte & 0x7f) << 28
  high = (byte & 0x7f) >> 4
  if (byte >= 0x80) {
    for (let shift = 3; ; shift += 7) {
      if (pos >= end) throw wireError('truncated varint', start)
      byte = bytes[pos++] as number
      if (shift === 31 && byte > 1) throw wireError('variable length integer overflow', start)
      high |= (byte & 0x7f) << shift
      if (byte < 0x80) break
    }
  }
  lo = low >>> 0
  hi = high >>> 0
}

function readInt64 (end: number): number {
  readRaw64(end)
  return (hi | 0) * TWO_POW_32 + lo
}

function readSint64 (end: number): number {
  readRaw64(end)
  const mask = -(lo & 1)
  const low = (((lo >>> 1) | (hi << 31)) ^ mask) >>> 0
  const high = (hi >>> 1) ^ mask
  return high * TWO_POW_32 + low
}

// int32 and sint32 fields are the low 32 bits of the varint, as in Go.
function readInt32 (end: number): number {
  readRaw64(end)
  return lo | 0
}

function readSint32 (end: number): number {
  readRaw64(end)
  return (lo >>> 1) ^ -(lo & 1)
}

function readDouble (end: number): number {
  if (end - pos < 8) throw wireError('truncated fixed64', pos)
  const value = view.getFloat64(pos, true)
  pos += 8
  return value
}

/** Reads a length prefix and returns the end offset of the length-delimited field. */
function readLength (end: number): number {
  const start = pos
  const length = readUnsigned(end)
  if (length > end - pos) throw wireError('length-delimited field runs past the end of its message', start)
  return pos + length
}

// Label names and values repeat across metrics and pushes, so short ASCII strings are looked up
// in a small table keyed by a hash of their bytes: a hit costs a compare, not a new string.
const STRING_CACHE_SIZE = 4096
const STRING_CACHE_MAX_LENGTH = 48
const stringCache: string[] = new Array<string>(STRING_CACHE_SIZE).fill('')

function readString (end: number, field: string): string {
  const stop = readLength(end)
  const start = pos
  pos = stop
  const input = bytes
  const length = stop - start
  if (length > STRING_CACHE_MAX_LENGTH) {
    for (let i = start; i < stop; i++) {
      if ((input[i] as number) >= 0x80) return readUtf8(start, stop, field)
    }
    return input.toString('latin1', start, stop)
  }
  let hash = length
  for (let i = start; i < stop; i++) {
    const byte = input[i] as number
    if (byte >= 0x80) return readUtf8(start, stop, field)
    hash = (Math.imul(hash, 31) + byte) | 0
  }
  const slot = hash & (STRING_CACHE_SIZE - 1)
  const cached = stringCache[slot] as string
  if (cached.length === length && sameAscii(cached, input, start)) return cached
  const fresh = input.toString('latin1', start, stop)
  stringCache[slot] = fresh
  return fresh
}

function sameAscii (cached: string, input: Buffer, start: number): boolean {
  for (let i = 0; i < cached.length; i++) {
    if (cached.charCodeAt(i) !== input[start + i]) return false
  }
  return true
}

function readUtf8 (start: number, stop: number, field: string): string {
  try {
    return utf8.decode(bytes.subarray(start, stop))
  } catch {
    throw new ParseError(`proto: field io.prometheus.client.${field} contains invalid UTF-8 at byte offset ${start}`)
  }
}

function skipField (tag: number, start: number, end: number): void {
  const field = Math.floor(tag / 8)
  if (field < 1 || field > MAX_FIELD_NUMBER) throw wireError('invalid field number', start)
  const wireType = tag % 8
  if (wireType === 3) {
    skipGroup(field, end)
  } else {
    skipValue(wireType, start, end)
  }
}

function skipValue (wireType: number, start: number, end: number): void {
  switch (wireType) {
    case 0:
      readRaw64(end)
      return
    case 1:
      skipBytes(8, 'truncated fixed64', end)
      return
    case 2:
      pos = readLength(end)
      return
    case 5:
      skipBytes(4, 'truncated fixed32', end)
      return
    case 4:
      throw wireError('unexpected end-group marker', start)
    default:
      throw wireError(`reserved wire type ${wireType}`, start)
  }
}

function skipBytes (count: number, problem: string, end: number): void {
  if (end - pos < count) throw wireError(problem, pos)
  pos += count
}

// Iterative, so a deeply nested group in an unknown field cannot overflow the stack.
function skipGroup (field: number, end: number): void {
  const open = [field]
  while (open.length > 0) {
    const start = pos
    if (pos >= end) throw wireError('unterminated group', start)
    const tag = readUnsigned(end)
    const number = Math.floor(tag / 8)
    const wireType = tag % 8
    if (number < 1 || number > MAX_FIELD_NUMBER) throw wireError('invalid field number', start)
    if (wireType === 3) {
      open.push(number)
    } else if (wireType === 4) {
      if (open.pop() !== number) throw wireError('mismatching end-group marker', start)
    } else {
      skipValue(wireType, start, end)
    }
  }
}

// The family's type decides which value submessage of a metric is kept, and the type may come
// after the metrics, so it is looked up first (cheap: only top-level fields are stepped over).
function scanFamilyType (end: number): number {
  const start = pos
  let type = COUNTER
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    if ((tag & 7) === 2 && tag < 0x80) {
      // Name, help, metric and unit: step over without looking inside.
      pos = readLength(end)
    } else if (tag === 0x18) {
      type = readInt32(end)
      if (type < COUNTER || type > GAUGE_HISTOGRAM) {
        throw new ParseError(`proto: invalid value ${type} for enum io.prometheus.client.MetricType in field io.prometheus.client.MetricFamily.type at byte offset ${fieldStart}`)
      }
    } else {
      skipField(tag, fieldStart, end)
    }
  }
  pos = start
  return type
}

function decodeFamily (end: number, start: number): MetricFamily {
  const type = scanFamilyType(end)
  let name = ''
  let help: string | undefined
  let unit: string | undefined
  const metrics: Metric[] = []
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    switch (tag) {
      case 0x0a:
        name = readString(end, 'MetricFamily.name')
        break
      case 0x12:
        help = readString(end, 'MetricFamily.help')
        break
      case 0x22:
        spendMetric(name === '' ? undefined : name)
        metrics.push(decodeMetric(readLength(end), type))
        break
      case 0x2a:
        unit = readString(end, 'MetricFamily.unit')
        break
      default:
        skipField(tag, fieldStart, end)
    }
  }
  if (name === '') throw new ParseError(`proto: metric family at byte offset ${start} has no name`)
  const family: MetricFamily = { name, type: METRIC_TYPES[type] as MetricType, metrics }
  if (help !== undefined) family.help = help
  if (unit !== undefined) family.unit = unit
  return family
}

function decodeMetric (end: number, type: number): Metric {
  const metric: Metric = { labels: [] }
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    switch (tag) {
      case 0x0a:
        if (metric.labels.length === labelsMax) throw (budget as ParseBudget).refuse('labels', undefined)
        metric.labels.push(decodeLabelPair(readLength(end)))
        break
      case 0x12:
        decodeSingleValue(readLength(end), type === GAUGE ? metric : { labels: [] })
        break
      case 0x1a:
        decodeCounter(readLength(end), type === COUNTER ? metric : { labels: [] })
        break
      case 0x22:
        decodeSummary(readLength(end), type === SUMMARY ? metric : { labels: [] })
        break
      case 0x2a:
        decodeSingleValue(readLength(end), type === UNTYPED ? metric : { labels: [] })
        break
      case 0x30:
        metric.timestampMs = readInt64(end)
        break
      case 0x3a:
        decodeHistogram(readLength(end), type === HISTOGRAM || type === GAUGE_HISTOGRAM ? metric : { labels: [] })
        break
      default:
        skipField(tag, fieldStart, end)
    }
  }
  if (!hasValueFor(type, metric)) sawInconsistent = true
  return metric
}

function decodeLabelPair (end: number): LabelPair {
  const pair: LabelPair = { name: '', value: '' }
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    if (tag === 0x0a) {
      pair.name = readString(end, 'LabelPair.name')
    } else if (tag === 0x12) {
      pair.value = readString(end, 'LabelPair.value')
    } else {
      skipField(tag, fieldStart, end)
    }
  }
  return pair
}

// Gauge and Untyped. A repeated submessage merges into the earlier one (proto semantics), so
// the value starts from what is already there.
function decodeSingleValue (end: number, target: Metric): void {
  let value = target.value ?? 0
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    if (tag === 0x09) {
      value = readDouble(end)
    } else {
      skipField(tag, fieldStart, end)
    }
  }
  target.value = value
}

function decodeCounter (end: number, target: Metric): void {
  target.value ??= 0
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    switch (tag) {
      case 0x09:
        target.value = readDouble(end)
        break
      case 0x12:
        target.exemplar = decodeExemplar(readLength(end), target.exemplar)
        break
      case 0x1a:
        target.createdTimestampMs = decodeTimestamp(readLength(end), target.createdTimestampMs)
        break
      default:
        skipField(tag, fieldStart, end)
    }
  }
}

function decodeExemplar (end: number, previous: Exemplar | undefined): Exemplar {
  const exemplar: Exemplar = previous ?? { labels: [], value: 0 }
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    switch (tag) {
      case 0x0a:
        exemplar.labels.push(decodeLabelPair(readLength(end)))
        break
      case 0x11:
        exemplar.value = readDouble(end)
        break
      case 0x1a:
        exemplar.timestampMs = decodeTimestamp(readLength(end), exemplar.timestampMs)
        break
      default:
        skipField(tag, fieldStart, end)
    }
  }
  return exemplar
}

/** google.protobuf.Timestamp {seconds, nanos} as milliseconds since the epoch. */
function decodeTimestamp (end: number, previousMs: number | undefined): number {
  let seconds = 0
  let nanos = 0
  if (previousMs !== undefined) {
    seconds = Math.floor(previousMs / 1000)
    nanos = Math.round((previousMs - seconds * 1000) * 1e6)
  }
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    if (tag === 0x08) {
      seconds = readInt64(end)
    } else if (tag === 0x10) {
      nanos = readInt32(end)
    } else {
      skipField(tag, fieldStart, end)
    }
  }
  return seconds * 1000 + nanos / 1e6
}

function decodeSummary (end: number, target: Metric): void {
  const summary: Summary = target.summary ??= { sampleCount: 0, sampleSum: 0, quantiles: [] }
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    switch (tag) {
      case 0x08:
        summary.sampleCount = readUnsigned(end)
        break
      case 0x11:
        summary.sampleSum = readDouble(end)
        break
      case 0x1a:
        summary.quantiles.push(decodeQuantile(readLength(end)))
        break
      case 0x22:
        summary.createdTimestampMs = decodeTimestamp(readLength(end), summary.createdTimestampMs)
        break
      default:
        skipField(tag, fieldStart, end)
    }
  }
}

function decodeQuantile (end: number): Quantile {
  const quantile: Quantile = { quantile: 0, value: 0 }
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    if (tag === 0x09) {
      quantile.quantile = readDouble(end)
    } else if (tag === 0x11) {
      quantile.value = readDouble(end)
    } else {
      skipField(tag, fieldStart, end)
    }
  }
  return quantile
}

function decodeHistogram (end: number, target: Metric): void {
  const h = target.histogram ??= emptyHistogram()
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    switch (tag) {
      case 0x08: h.sampleCount = readUnsigned(end); break
      case 0x11: h.sampleSum = readDouble(end); break
      case 0x1a: h.buckets.push(decodeBucket(readLength(end))); break
      case 0x21: h.sampleCountFloat = readDouble(end); break
      case 0x28: h.schema = readSint32(end); break
      case 0x31: h.zeroThreshold = readDouble(end); break
      case 0x38: h.zeroCount = readUnsigned(end); break
      case 0x41: h.zeroCountFloat = readDouble(end); break
      case 0x4a: h.negativeSpans.push(decodeSpan(readLength(end))); break
      case 0x50: h.negativeDeltas.push(readSint64(end)); break
      case 0x52: readPackedSint64(readLength(end), h.negativeDeltas); break
      case 0x59: h.negativeCounts.push(readDouble(end)); break
      case 0x5a: readPackedDouble(readLength(end), h.negativeCounts); break
      case 0x62: h.positiveSpans.push(decodeSpan(readLength(end))); break
      case 0x68: h.positiveDeltas.push(readSint64(end)); break
      case 0x6a: readPackedSint64(readLength(end), h.positiveDeltas); break
      case 0x71: h.positiveCounts.push(readDouble(end)); break
      case 0x72: readPackedDouble(readLength(end), h.positiveCounts); break
      case 0x7a: h.createdTimestampMs = decodeTimestamp(readLength(end), h.createdTimestampMs); break
      case 0x82: h.exemplars.push(decodeExemplar(readLength(end), undefined)); break
      default: skipField(tag, fieldStart, end)
    }
  }
}

function readPackedSint64 (end: number, into: number[]): void {
  // readSint64 advances the cursor (through readRaw64).
  for (let next = pos; next < end; next = pos) into.push(readSint64(end))
}

function readPackedDouble (end: number, into: number[]): void {
  while (pos < end) into.push(readDouble(end))
}

function decodeBucket (end: number): Bucket {
  const bucket: Bucket = { cumulativeCount: 0, upperBound: 0 }
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    switch (tag) {
      case 0x08:
        bucket.cumulativeCount = readUnsigned(end)
        break
      case 0x11:
        bucket.upperBound = readDouble(end)
        break
      case 0x1a:
        bucket.exemplar = decodeExemplar(readLength(end), bucket.exemplar)
        break
      case 0x21:
        bucket.cumulativeCountFloat = readDouble(end)
        break
      default:
        skipField(tag, fieldStart, end)
    }
  }
  return bucket
}

function decodeSpan (end: number): BucketSpan {
  const span: BucketSpan = { offset: 0, length: 0 }
  while (pos < end) {
    const fieldStart = pos
    const tag = readUnsigned(end)
    if (tag === 0x08) {
      span.offset = readSint32(end)
    } else if (tag === 0x10) {
      span.length = readInt32(end) >>> 0
    } else {
      skipField(tag, fieldStart, end)
    }
  }
  return span
}

// ---------------------------------------------------------------------------------------------
// Consistency: the value field must match the family type (client_golang checkMetricConsistency).

function hasValueFor (type: number, metric: Metric): boolean {
  if (type === SUMMARY) return metric.summary !== undefined
  if (type === HISTOGRAM || type === GAUGE_HISTOGRAM) return metric.histogram !== undefined
  return metric.value !== undefined
}

function checkConsistency (families: readonly MetricFamily[]): void {
  for (const family of families) {
    const type = TYPE_INDEX[family.type]
    for (const metric of family.metrics) {
      if (!hasValueFor(type, metric)) {
        const labels = metric.labels.map(pair => `${pair.name}=${goQuote(pair.value)} `).join('')
        throw new InconsistentPushError(`collected metric ${goQuote(family.name)} { ${labels}} is not a ${GO_TYPE_NAMES[type]}`)
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Encoder. Writes into a reusable scratch buffer; a submessage gets a one-byte length slot that
// is widened (content moved up) only when the submessage turns out to be 128 bytes or longer.

const SCRATCH_SIZE = 64 * 1024
const SCRATCH_KEEP = 4 * 1024 * 1024

let out = Buffer.allocUnsafeSlow(SCRATCH_SIZE)
let outView: DataView = new DataView(out.buffer, out.byteOffset, out.byteLength)
let at = 0

// Metrics encoded between two turns of the event loop by encodeDelimitedSliced.
const ENCODE_BATCH = 16_384

/**
 * Encodes like `encodeDelimited`, the same bytes, awaiting `pause` (default: the next turn of
 * the event loop) whenever `ENCODE_BATCH` metrics were encoded since the last one, within a
 * family too, so that a large scrape lets other requests in.
 */
export async function encodeDelimitedSliced (families: readonly MetricFamily[], pause: () => Promise<void> = nextTurn): Promise<Buffer> {
  const parts: Buffer[] = []
  const pacer = new Pacer(ENCODE_BATCH, pause)
  for (const family of families) {
    const count = family.metrics.length
    if (count <= ENCODE_BATCH) {
      parts.push(encodeDelimited([family]))
      if (pacer.spent(count)) await pacer.rest()
      continue
    }
    // A large family's message in pieces, its metrics a batch at a time; its length goes in front.
    const pieces = [copyWritten(() => { writeFamilyHead(family) })]
    for (let from = 0; from < count; from += ENCODE_BATCH) {
      const to = Math.min(from + ENCODE_BATCH, count)
      pieces.push(copyWritten(() => { writeMetricFields(family, from, to) }))
      if (pacer.spent(to - from)) await pacer.rest()
    }
    pieces.push(copyWritten(() => { writeFamilyTail(family) }))
    let length = 0
    for (const piece of pieces) length += piece.length
    parts.push(copyWritten(() => { writeVarint32(length) }), ...pieces)
  }
  return Buffer.concat(parts)
}

/** Encodes families as varint-length-delimited MetricFamily messages. */
export function encodeDelimited (families: readonly MetricFamily[]): Buffer {
  return copyWritten(() => {
    for (const family of families) {
      ensure(1)
      const mark = at++
      writeFamily(family)
      closeMessage(mark)
    }
  })
}

// Runs `write` on the scratch buffer from its start and answers a copy of what it wrote.
function copyWritten (write: () => void): Buffer {
  at = 0
  try {
    write()
    const result = Buffer.allocUnsafe(at)
    out.copy(result, 0, 0, at)
    return result
  } finally {
    if (out.length > SCRATCH_KEEP) resetScratch(SCRATCH_SIZE)
  }
}

function resetScratch (size: number): void {
  out = Buffer.allocUnsafeSlow(size)
  outView = new DataView(out.buffer, out.byteOffset, out.byteLength)
}

function ensure (count: number): void {
  if (at + count <= out.length) return
  const previous = out
  resetScratch(Math.max(out.length * 2, at + count))
  previous.copy(out, 0, 0, at)
}

function writeByte (byte: number): void {
  ensure(1)
  out[at++] = byte
}

function writeTag (tag: number): void {
  ensure(2)
  if (tag < 0x80) {
    out[at++] = tag
  } else {
    out[at++] = (tag & 0x7f) | 0x80
    out[at++] = tag >>> 7
  }
}

/** Writes an unsigned integer below 2^32 as a varint. */
function writeVarint32 (value: number): void {
  ensure(5)
  while (value > 0x7f) {
    out[at++] = (value & 0x7f) | 0x80
    value >>>= 7
  }
  out[at++] = value
}

function writeVarint64 (low: number, high: number): void {
  ensure(10)
  while (high !== 0 || low > 0x7f) {
    out[at++] = (low & 0x7f) | 0x80
    low = ((low >>> 7) | (high << 25)) >>> 0
    high >>>= 7
  }
  out[at++] = low
}

// Model numbers that are negative, NaN or fractional cannot be uint64: clamp and truncate.
function writeUint64 (value: number): void {
  if (value >= 0 && value < TWO_POW_32) {
    writeVarint32(value >>> 0)
  } else if (value >= TWO_POW_64) {
    writeVarint64(0xffffffff, 0xffffffff)
  } else if (value > 0) {
    const whole = Math.trunc(value)
    writeVarint64(whole % TWO_POW_32, Math.floor(whole / TWO_POW_32))
  } else {
    writeVarint32(0)
  }
}

function writeInt64 (value: number): void {
  if (value >= 0 || Number.isNaN(value)) {
    writeUint64(Math.min(value, TWO_POW_63 - 1024))
    return
  }
  const magnitude = Math.min(Math.trunc(-value), TWO_POW_63)
  // Two's complement of the magnitude, in two halves.
  let low = magnitude % TWO_POW_32
  let high = Math.floor(magnitude / TWO_POW_32)
  low = (~low + 1) >>> 0
  high = (~high + (low === 0 ? 1 : 0)) >>> 0
  writeVarint64(low, high)
}

function writeSint64 (value: number): void {
  writeUint64(value >= 0 ? value * 2 : -value * 2 - 1)
}

function writeSint32 (value: number): void {
  writeVarint32(((value << 1) ^ (value >> 31)) >>> 0)
}

function writeDouble (tag: number, value: number): void {
  ensure(9)
  out[at++] = tag
  outView.setFloat64(at, value, true)
  at += 8
}

function writeString (tag: number, value: string): void {
  writeTag(tag)
  const length = value.length
  ensure(length + 5)
  const prefix = at
  writeVarint32(length)
  // Local copies of the cursor and buffer keep the copy loop in registers.
  const target = out
  let cursor = at
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i)
    if (code >= 0x80) {
      writeUtf8(prefix, value)
      return
    }
    target[cursor++] = code
  }
  at = cursor
}

function writeUtf8 (prefix: number, value: string): void {
  at = prefix
  const length = Buffer.byteLength(value)
  writeVarint32(length)
  ensure(length)
  at += out.write(value, at, length, 'utf8')
}

function openMessage (tag: number): number {
  writeTag(tag)
  ensure(1)
  return at++
}

function closeMessage (mark: number): void {
  const length = at - mark - 1
  if (length < 0x80) {
    out[mark] = length
    return
  }
  const extra = varintSize(length) - 1
  ensure(extra)
  out.copyWithin(mark + 1 + extra, mark + 1, at)
  const end = at + extra
  at = mark
  writeVarint32(length)
  at = end
}

function varintSize (value: number): number {
  let size = 1
  while (value > 0x7f) {
    value >>>= 7
    size++
  }
  return size
}

function writeFamily (family: MetricFamily): void {
  writeFamilyHead(family)
  writeMetricFields(family, 0, family.metrics.length)
  writeFamilyTail(family)
}

// The fields of a MetricFamily before its metrics: name, help, type.
function writeFamilyHead (family: MetricFamily): void {
  writeString(0x0a, family.name)
  if (family.help !== undefined) writeString(0x12, family.help)
  writeByte(0x18)
  writeVarint32(TYPE_INDEX[family.type])
}

// The metric fields of a MetricFamily, for its metrics `from` to `to` (excluded).
function writeMetricFields (family: MetricFamily, from: number, to: number): void {
  const type = TYPE_INDEX[family.type]
  for (let i = from; i < to; i++) {
    const mark = openMessage(0x22)
    writeMetric(family.metrics[i] as Metric, type)
    closeMessage(mark)
  }
}

// The fields of a MetricFamily after its metrics: unit.
function writeFamilyTail (family: MetricFamily): void {
  if (family.unit !== undefined) writeString(0x2a, family.unit)
}

function writeMetric (metric: Metric, type: number): void {
  for (const pair of metric.labels) writeLabelPair(0x0a, pair)
  if (type === GAUGE || type === UNTYPED) {
    const mark = openMessage(type === GAUGE ? 0x12 : 0x2a)
    writeDouble(0x09, metric.value ?? 0)
    closeMessage(mark)
  } else if (type === COUNTER) {
    writeCounter(metric)
  } else if (type === SUMMARY) {
    if (metric.summary !== undefined) writeSummary(metric.summary)
  }
  if (metric.timestampMs !== undefined) {
    writeByte(0x30)
    writeInt64(metric.timestampMs)
  }
  if ((type === HISTOGRAM || type === GAUGE_HISTOGRAM) && metric.histogram !== undefined) writeHistogram(metric.histogram)
}

function writeLabelPair (tag: number, pair: LabelPair): void {
  const mark = openMessage(tag)
  writeString(0x0a, pair.name)
  writeString(0x12, pair.value)
  closeMessage(mark)
}

function writeCounter (metric: Metric): void {
  const mark = openMessage(0x1a)
  writeDouble(0x09, metric.value ?? 0)
  if (metric.exemplar !== undefined) writeExemplar(0x12, metric.exemplar)
  if (metric.createdTimestampMs !== undefined) writeTimestamp(0x1a, metric.createdTimestampMs)
  closeMessage(mark)
}

function writeExemplar (tag: number, exemplar: Exemplar): void {
  const mark = openMessage(tag)
  for (const pair of exemplar.labels) writeLabelPair(0x0a, pair)
  writeDouble(0x11, exemplar.value)
  if (exemplar.timestampMs !== undefined) writeTimestamp(0x1a, exemplar.timestampMs)
  closeMessage(mark)
}

function writeTimestamp (tag: number, ms: number): void {
  let seconds = Math.floor(ms / 1000)
  let nanos = Math.round((ms - seconds * 1000) * 1e6)
  if (nanos >= 1e9) {
    seconds++
    nanos -= 1e9
  }
  const mark = openMessage(tag)
  if (seconds !== 0) {
    writeByte(0x08)
    writeInt64(seconds)
  }
  if (nanos > 0) {
    writeByte(0x10)
    writeVarint32(nanos)
  }
  closeMessage(mark)
}

function writeSummary (summary: Summary): void {
  const mark = openMessage(0x22)
  writeByte(0x08)
  writeUint64(summary.sampleCount)
  writeDouble(0x11, summary.sampleSum)
  for (const quantile of summary.quantiles) {
    const inner = openMessage(0x1a)
    writeDouble(0x09, quantile.quantile)
    writeDouble(0x11, quantile.value)
    closeMessage(inner)
  }
  if (summary.createdTimestampMs !== undefined) writeTimestamp(0x22, summary.createdTimestampMs)
  closeMessage(mark)
}

function writeHistogram (h: Histogram): void {
  const mark = openMessage(0x3a)
  writeByte(0x08)
  writeUint64(h.sampleCount)
  writeDouble(0x11, h.sampleSum)
  for (const bucket of h.buckets) writeBucket(bucket)
  if (h.sampleCountFloat !== undefined) writeDouble(0x21, h.sampleCountFloat)
  if (h.schema !== undefined) {
    writeByte(0x28)
    writeSint32(h.schema)
  }
  if (h.zeroThreshold !== undefined) writeDouble(0x31, h.zeroThreshold)
  if (h.zeroCount !== undefined) {
    writeByte(0x38)
    writeUint64(h.zeroCount)
  }
  if (h.zeroCountFloat !== undefined) writeDouble(0x41, h.zeroCountFloat)
  writeSpans(0x4a, h.negativeSpans)
  writePackedSint64(0x52, h.negativeDeltas)
  writePackedDouble(0x5a, h.negativeCounts)
  writeSpans(0x62, h.positiveSpans)
  writePackedSint64(0x6a, h.positiveDeltas)
  writePackedDouble(0x72, h.positiveCounts)
  if (h.createdTimestampMs !== undefined) writeTimestamp(0x7a, h.createdTimestampMs)
  for (const exemplar of h.exemplars) writeExemplar(0x82, exemplar)
  closeMessage(mark)
}

function writeBucket (bucket: Bucket): void {
  const mark = openMessage(0x1a)
  writeByte(0x08)
  writeUint64(bucket.cumulativeCount)
  writeDouble(0x11, bucket.upperBound)
  if (bucket.exemplar !== undefined) writeExemplar(0x1a, bucket.exemplar)
  if (bucket.cumulativeCountFloat !== undefined) writeDouble(0x21, bucket.cumulativeCountFloat)
  closeMessage(mark)
}

function writeSpans (tag: number, spans: readonly BucketSpan[]): void {
  for (const span of spans) {
    const mark = openMessage(tag)
    writeByte(0x08)
    writeSint32(span.offset)
    writeByte(0x10)
    writeVarint32(span.length >>> 0)
    closeMessage(mark)
  }
}

function writePackedSint64 (tag: number, values: readonly number[]): void {
  if (values.length === 0) return
  const mark = openMessage(tag)
  for (const value of values) writeSint64(value)
  closeMessage(mark)
}

function writePackedDouble (tag: number, values: readonly number[]): void {
  if (values.length === 0) return
  writeTag(tag)
  writeVarint32(values.length * 8)
  ensure(values.length * 8)
  for (const value of values) {
    outView.setFloat64(at, value, true)
    at += 8
  }
}
