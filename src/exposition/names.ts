import type { LabelPair } from './types.js'

/** Whether a metric name matches the legacy pattern `^[a-zA-Z_:][a-zA-Z0-9_:]*$`. */
export function isLegacyMetricName (name: string): boolean {
  return isLegacyName(name, true)
}

/** Whether a label name matches the legacy pattern `^[a-zA-Z_][a-zA-Z0-9_]*$`. */
export function isLegacyLabelName (name: string): boolean {
  return isLegacyName(name, false)
}

// Char codes instead of a regular expression: this runs for every label of every pushed series.
function isLegacyName (name: string, colon: boolean): boolean {
  if (name === '') return false
  for (let i = 0; i < name.length; i++) {
    if (!isLegacyCodePoint(name.charCodeAt(i), i === 0, colon)) return false
  }
  return true
}

// The characters of a legacy name: letters, `_`, `:` where allowed, digits but first.
function isLegacyCodePoint (c: number, first: boolean, colon: boolean): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (colon && c === 0x3a) || (!first && c >= 0x30 && c <= 0x39)
}

// Beyond this many labels a set of the names seen replaces the scan of the labels before.
const SCAN_LIMIT = 16
const seenNames = new WeakMap<readonly LabelPair[], { count: number, names: Set<string> }>()

/**
 * Whether `name` is among the names of the first `count` labels: a scan for the few labels a
 * series has, a set kept per array beyond that, so that a series with many labels costs time in
 * proportion to its labels, not their square. Call it for each label of a series in turn, with
 * the count growing one by one (an array reused for the next series starts over).
 */
export function isDuplicateName (labels: readonly LabelPair[], count: number, name: string): boolean {
  if (count <= SCAN_LIMIT) {
    for (let i = 0; i < count; i++) if ((labels[i] as LabelPair).name === name) return true
    return false
  }
  let seen = seenNames.get(labels)
  // The first call past the scan limit is the first of a series: start a set for it.
  if (seen === undefined || count === SCAN_LIMIT + 1) {
    seen = { count: 0, names: new Set() }
    seenNames.set(labels, seen)
  }
  for (; seen.count < count; seen.count++) seen.names.add((labels[seen.count] as LabelPair).name)
  return seen.names.has(name)
}

/** How names are validated: `'legacy'` (the classic patterns, the default) or `'utf8'` (any non-empty well-formed UTF-8). */
export type NameValidation = 'legacy' | 'utf8'

/** The `escaping=` schemes of the exposition formats; `'underscores'` is the default when a scrape names none. */
export type EscapingScheme = 'allow-utf-8' | 'underscores' | 'dots' | 'values'

/** Every escaping scheme, in the order `escapedNames` answers them. */
export const ESCAPING_SCHEMES: readonly EscapingScheme[] = ['allow-utf-8', 'underscores', 'dots', 'values']

/** Whether `value` is one of the `escaping=` schemes. */
export function isEscapingScheme (value: string): value is EscapingScheme {
  return (ESCAPING_SCHEMES as readonly string[]).includes(value)
}

/** Whether `name` is a valid metric name under `validation` (default `'legacy'`). */
export function isValidMetricName (name: string, validation: NameValidation = 'legacy'): boolean {
  return validation === 'legacy' ? isLegacyName(name, true) : isUtf8Name(name)
}

/** Whether `name` is a valid label name under `validation` (default `'legacy'`); a leading `__` is checked elsewhere, as today. */
export function isValidLabelName (name: string, validation: NameValidation = 'legacy'): boolean {
  return validation === 'legacy' ? isLegacyName(name, false) : isUtf8Name(name)
}

// A JavaScript string is valid UTF-8 exactly when it holds no lone surrogate.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

function isUtf8Name (name: string): boolean {
  return name !== '' && !LONE_SURROGATE.test(name)
}

// Lone surrogates stand for U+FFFD, as they would after decoding the bytes as UTF-8.
function codePoints (name: string): number[] {
  const out: number[] = []
  for (const ch of name) {
    const c = ch.codePointAt(0) as number
    out.push(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c)
  }
  return out
}

/**
 * The name as written under an escaping scheme, byte for byte as prometheus/common's `EscapeName`:
 * `allow-utf-8` keeps it, `underscores` replaces each other character by `_`, `dots` doubles `_`,
 * writes `.` as `_dot_` and other characters as `__`, `values` prefixes `U__`, doubles `_` and writes
 * other characters as their hexadecimal code point between underscores (`.` is `_2e_`). Legacy-valid
 * names are kept by every scheme except `dots`, which still doubles their underscores.
 */
export function escapeName (name: string, scheme: EscapingScheme): string {
  if (name === '' || scheme === 'allow-utf-8') return name
  if (scheme !== 'dots' && isLegacyName(name, true)) return name
  let out = scheme === 'values' ? 'U__' : ''
  let first = true
  for (const c of codePoints(name)) {
    if (c === 0x5f) out += scheme === 'underscores' ? '_' : '__'
    // The colon is kept in label names too, as upstream does.
    else if (isLegacyCodePoint(c, first, true)) out += String.fromCodePoint(c)
    else if (scheme === 'underscores') out += '_'
    else if (scheme === 'dots') out += c === 0x2e ? '_dot_' : '__'
    else out += `_${c.toString(16)}_`
    first = false
  }
  return out
}

/**
 * The name a `U__`-escaped (`values` scheme) name stands for, as prometheus/common's `UnescapeName`:
 * a name without the prefix, or one that is not a well-formed escape (a lone `_`, a code that is not
 * hexadecimal, longer than six digits, unterminated, or not a Unicode scalar value), is returned as is.
 */
export function unescapeValuesName (name: string): string {
  if (!name.startsWith('U__')) return name
  let out = ''
  let i = 3
  while (i < name.length) {
    const ch = name[i] as string
    i++
    if (ch !== '_') {
      out += ch
      continue
    }
    if (name[i] === '_') {
      out += '_'
      i++
      continue
    }
    const close = name.indexOf('_', i)
    // A lone `_` at the end (close -1 after a failed `__`) or a non-hexadecimal run is no escape.
    const digits = close === -1 ? '' : name.slice(i, close)
    if (digits === '' || digits.length > 6 || !/^[0-9a-fA-F]*$/.test(digits)) return name
    const c = parseInt(digits, 16)
    if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return name
    out += String.fromCodePoint(c)
    i = close + 1
  }
  return out
}

/**
 * The name a scrape that negotiated `scheme` shows, as expfmt's `EscapeMetricFamily` writes family and
 * label names: a name valid as a legacy metric name (colons allowed, for label names too) is kept by
 * every scheme, `dots` included; any other is escaped with {@link escapeName}.
 */
export function exposedName (name: string, scheme: EscapingScheme): string {
  return scheme === 'allow-utf-8' || isLegacyName(name, true) ? name : escapeName(name, scheme)
}

/**
 * A family or label name's exposed form under each escaping scheme ({@link exposedName}), for the
 * push-time question "would this name collide with another one after escaping?": two distinct
 * names collide under a scheme when their entries for it are equal.
 */
export function escapedNames (name: string): Record<EscapingScheme, string> {
  return {
    'allow-utf-8': name,
    underscores: exposedName(name, 'underscores'),
    dots: exposedName(name, 'dots'),
    values: exposedName(name, 'values')
  }
}
