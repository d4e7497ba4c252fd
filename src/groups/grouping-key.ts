import { isUtf8 } from 'node:buffer'
import { InvalidGroupingKeyError } from '../errors.js'
import { decodeGoBase64Url, encodeBase64Url } from './go-base64.js'
import { goQuote } from '../exposition/go-quote.js'
import { compareUtf8 } from '../exposition/metric-order.js'
import { isValidLabelName, unescapeValuesName, type NameValidation } from '../exposition/names.js'

/**
 * A grouping key: the job and the other grouping labels, which never include `job`. The keys the
 * gateway hands to hooks always carry `labels` (`Required<GroupingKey>`).
 */
export interface GroupingKey {
  /** The job name, never empty. */
  job: string
  /** The grouping labels other than `job`, name to value; values may be empty. Default: none. */
  labels?: Readonly<Record<string, string>>
}

const BASE64_SUFFIX = '@base64'
const JOB_PREFIX = '/job/'
const JOB_BASE64_PREFIX = '/job@base64/'
const NOT_UTF8 = 'grouping key is not valid UTF-8'

interface WellFormedString { isWellFormed (): boolean }

/**
 * Parses the path of a push or delete URL that follows `/metrics` (still percent-encoded, starting at
 * `/job/` or `/job@base64/`) into a grouping key, with the Go gateway's checks and error texts (spec 2).
 * Throws `InvalidGroupingKeyError` (400) for a bad escape, invalid UTF-8, an odd number of components, an
 * improper label name, bad base64 or an empty job. `allowed` names labels that may start with `__`
 * (the aggregation endpoint's `__writer__`); no others may. With `validation` `'utf8'` (default
 * `'legacy'`) a label name is any UTF-8 name, written as it is or `U__`-escaped (`U__my_2e_label` is
 * `my.label`), before an optional `@base64`; the `__` check applies to the name as written, as in
 * the reference.
 */
export function parseGroupingPath (path: string, allowed: readonly string[] = [], validation: NameValidation = 'legacy'): Required<GroupingKey> {
  // Split before decoding, so a %2F is a slash inside a job, name or value (what prom-client means
  // by it); the Go gateway decodes first and silently makes other labels of it (spec 2.5).
  const segments = path.split('/').map(percentDecode)
  const jobSegment = segments[1]
  if (segments.length < 3 || segments[0] !== '' || (jobSegment !== 'job' && jobSegment !== 'job@base64')) {
    throw new InvalidGroupingKeyError('grouping key path must start with /job/')
  }
  let job = segments[2] as string
  if (jobSegment === 'job@base64') job = decodeJob(job)
  const labels = splitLabels(segments.slice(3), allowed, validation)
  if (job === '') throw new InvalidGroupingKeyError('job name is required')
  return { job, labels }
}

function decodeJob (raw: string): string {
  const result = decodeGoBase64Url(raw)
  if (!result.ok) {
    throw new InvalidGroupingKeyError(`invalid base64 encoding in job name ${goQuoteBytes(result.partial)}: ${result.error}`)
  }
  return utf8String(result.value)
}

// Mirrors Go's splitLabels on the decoded components after the job (none, or one empty one for a trailing '/', is no labels).
function splitLabels (components: string[], allowed: readonly string[], validation: NameValidation): Record<string, string> {
  const result: Record<string, string> = {}
  if (components.length === 0 || (components.length === 1 && components[0] === '')) return result
  if (components.length % 2 !== 0) {
    throw new InvalidGroupingKeyError(`odd number of components in label string ${goQuote('/' + components.join('/'))}`)
  }
  for (let i = 0; i < components.length; i += 2) {
    const name = components[i] as string
    const value = components[i + 1] as string
    const isBase64 = name.endsWith(BASE64_SUFFIX)
    const trimmedName = isBase64 ? name.slice(0, -BASE64_SUFFIX.length) : name
    // Without UTF-8 names a `U__` name is an ordinary legacy name, kept as written.
    const labelName = validation === 'utf8' ? unescapeValuesName(trimmedName) : trimmedName
    if (!isValidLabelName(labelName, validation) || (trimmedName.startsWith('__') && !allowed.includes(trimmedName))) {
      throw new InvalidGroupingKeyError(`improper label name ${goQuote(trimmedName)}`)
    }
    const decodedValue = isBase64 ? decodeLabelValue(trimmedName, value) : value
    // The job from the job segment always wins over a `job` label.
    if (labelName !== 'job') result[labelName] = decodedValue
  }
  return result
}

function decodeLabelValue (name: string, raw: string): string {
  const result = decodeGoBase64Url(raw)
  if (!result.ok) {
    throw new InvalidGroupingKeyError(`invalid base64 encoding for label ${name}=${goQuote(raw)}: ${result.error}`)
  }
  return utf8String(result.value)
}

function utf8String (bytes: Buffer): string {
  if (!isUtf8(bytes)) throw new InvalidGroupingKeyError(NOT_UTF8)
  return bytes.toString('utf8')
}

// Like Go's url.PathUnescape: every %XX is decoded (so %2F becomes '/'), '+' stays '+'.
function percentDecode (path: string): string {
  let decoded = path
  const firstPercent = path.indexOf('%')
  if (firstPercent !== -1) {
    checkEscapes(path, firstPercent)
    try {
      decoded = decodeURIComponent(path)
    } catch {
      // Every escape is well-formed, so only the bytes can be at fault.
      throw new InvalidGroupingKeyError(NOT_UTF8)
    }
  }
  // A lone surrogate cannot be encoded as UTF-8 (ES2024 isWellFormed, in Node 20 but not in lib es2023).
  if (!(decoded as unknown as WellFormedString).isWellFormed()) throw new InvalidGroupingKeyError(NOT_UTF8)
  return decoded
}

function checkEscapes (path: string, from: number): void {
  for (let i = from; i !== -1; i = path.indexOf('%', i + 3)) {
    if (!isHex(path.charCodeAt(i + 1)) || !isHex(path.charCodeAt(i + 2))) {
      // Go quotes at most three bytes starting at the '%' (four UTF-16 units hold them all).
      const bad = Buffer.from(path.slice(i, i + 4), 'utf8').subarray(0, 3)
      throw new InvalidGroupingKeyError(`invalid URL escape ${goQuoteBytes(bad)}`)
    }
  }
}

function isHex (code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66)
}

/**
 * Go `%q` of a byte string: valid UTF-8 is quoted like `goQuote`, every byte of an invalid sequence
 * becomes `\xNN` (Go's strconv.Quote decodes one rune at a time and gives up one byte per error).
 */
function goQuoteBytes (bytes: Buffer): string {
  if (isUtf8(bytes)) return goQuote(bytes.toString('utf8'))
  let out = '"'
  let i = 0
  while (i < bytes.length) {
    const length = validSequenceLength(bytes, i)
    if (length === 0) {
      out += '\\x' + (bytes[i] as number).toString(16).padStart(2, '0')
      i++
    } else {
      out += goQuote(bytes.toString('utf8', i, i + length)).slice(1, -1)
      i += length
    }
  }
  return out + '"'
}

// The length of the valid UTF-8 sequence at `i`, or 0 if it is not one (Go's utf8.DecodeRune rules).
function validSequenceLength (bytes: Buffer, i: number): number {
  const b0 = bytes[i] as number
  if (b0 < 0x80) return 1
  let length: number
  let min = 0x80
  let max = 0xbf
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3
    if (b0 === 0xe0) min = 0xa0
    else if (b0 === 0xed) max = 0x9f
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4
    if (b0 === 0xf0) min = 0x90
    else if (b0 === 0xf4) max = 0x8f
  } else {
    return 0
  }
  const b1 = bytes[i + 1]
  if (b1 === undefined || b1 < min || b1 > max) return 0
  for (let k = 2; k < length; k++) {
    const b = bytes[i + k]
    if (b === undefined || b < 0x80 || b > 0xbf) return 0
  }
  return length
}

/**
 * Builds the URL path (after `/metrics`) for a grouping key, the inverse of `parseGroupingPath`:
 * `/job/<job>{/<name>/<value>}` with labels in UTF-8 byte order. A job or value that is empty, contains
 * `/`, or is `.` or `..` (which URL clients would resolve away) is sent as `@base64`; anything else is
 * percent-encoded with `encodeURIComponent`. A `job` entry in `labels` is skipped.
 */
export function groupingKeyToPath (key: GroupingKey): string {
  let path = needsBase64(key.job) ? JOB_BASE64_PREFIX + base64Segment(key.job) : JOB_PREFIX + encodeURIComponent(key.job)
  const labels = key.labels ?? {}
  const names = Object.keys(labels).sort(compareUtf8)
  for (const name of names) {
    if (name === 'job') continue
    const value = labels[name] as string
    path += needsBase64(value)
      ? `/${encodeURIComponent(name)}${BASE64_SUFFIX}/${base64Segment(value)}`
      : `/${encodeURIComponent(name)}/${encodeURIComponent(value)}`
  }
  return path
}

function needsBase64 (value: string): boolean {
  return value === '' || value === '.' || value === '..' || value.includes('/')
}

// An empty value is written as a single '=' so that the segment is not empty (Go README).
function base64Segment (value: string): string {
  return value === '' ? '=' : encodeBase64Url(value)
}
