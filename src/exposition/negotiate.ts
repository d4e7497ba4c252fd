import { isEscapingScheme, type EscapingScheme } from './names.js'

/** An exposition format the gateway serves. */
export type ExpositionFormat = 'text' | 'openmetrics' | 'protobuf'

/** What a scrape negotiated: the format and the escaping of names. */
export interface Negotiated {
  format: ExpositionFormat
  /** The `escaping=` scheme names are written in; `'underscores'` when the `Accept` header names none. */
  escaping: EscapingScheme
}

/** Options of {@link negotiateFormat}. */
export interface NegotiateOptions {
  /** Whether OpenMetrics may be chosen; the Go gateway never serves it. Default `false`. */
  openMetrics?: boolean
}

interface AcceptClause {
  type: string
  subType: string
  q: number
  params: Map<string, string>
}

const PROTOBUF_TYPE = 'application/vnd.google.protobuf'
const PROTOBUF_PROTO = 'io.prometheus.client.MetricFamily'
const OPENMETRICS_TYPE = 'application/openmetrics-text'

/**
 * Picks the exposition format for an `Accept` header as expfmt's `Negotiate` does (v0.69; with
 * `openMetrics`, as `NegotiateIncludingOpenMetrics`): the clauses are walked by descending `q`,
 * header order kept on ties, and the first that names a served format wins. Protobuf needs
 * `proto=io.prometheus.client.MetricFamily;encoding=delimited` (the `text` and `compact-text`
 * encodings are not served); text needs `version=0.0.4` or no version; OpenMetrics needs version
 * `1.0.0`, `0.0.1` or none. Anything else, wildcards included, falls back to text.
 */
export function negotiateFormat (accept: string | undefined, options?: NegotiateOptions): ExpositionFormat {
  return negotiate(accept, options).format
}

/**
 * Picks the format as {@link negotiateFormat} and the escaping of names as expfmt does: each
 * clause walked, up to and including the one that wins (all of them when none does), that carries
 * a known `escaping=` scheme replaces the one before; an unknown scheme is ignored. The default is
 * `'underscores'`.
 */
export function negotiate (accept: string | undefined, options?: NegotiateOptions): Negotiated {
  let escaping: EscapingScheme = 'underscores'
  if (accept === undefined || accept === '') return { format: 'text', escaping }
  const openMetrics = options?.openMetrics ?? false
  for (const clause of parseAccept(accept)) {
    const scheme = clause.params.get('escaping')
    if (scheme !== undefined && isEscapingScheme(scheme)) escaping = scheme
    const format = clauseFormat(clause, openMetrics)
    if (format !== undefined) return { format, escaping }
  }
  return { format: 'text', escaping }
}

/** The `Content-Type` of a scrape answer: the format's type followed by the escaping scheme, as expfmt writes it. */
export function withEscaping (contentType: string, escaping: EscapingScheme): string {
  return `${contentType}; escaping=${escaping}`
}

function clauseFormat (clause: AcceptClause, openMetrics: boolean): ExpositionFormat | undefined {
  const mediaType = clause.type + '/' + clause.subType
  const version = clause.params.get('version') ?? ''
  if (mediaType === PROTOBUF_TYPE) {
    if (clause.params.get('proto') === PROTOBUF_PROTO && clause.params.get('encoding') === 'delimited') return 'protobuf'
  } else if (mediaType === 'text/plain') {
    if (version === '0.0.4' || version === '') return 'text'
  } else if (openMetrics && mediaType === OPENMETRICS_TYPE) {
    if (version === '1.0.0' || version === '0.0.1' || version === '') return 'openmetrics'
  }
  return undefined
}

/**
 * Parses an `Accept` header as goautoneg's `ParseAccept` does: comma-separated clauses, spaces
 * trimmed, malformed media types and parameters skipped, case kept, `q` read as a float32 (0 when
 * unreadable), and the clauses sorted by descending `q` with ties in header order.
 */
function parseAccept (header: string): AcceptClause[] {
  const clauses: AcceptClause[] = []
  for (const rawPart of header.split(',')) {
    const part = trimSpaces(rawPart)
    const semicolon = part.indexOf(';')
    const mediaRange = semicolon === -1 ? part : part.slice(0, semicolon)
    const slash = mediaRange.indexOf('/')
    let type: string
    let subType: string
    if (slash === -1 || slash === mediaRange.length - 1) {
      type = trimSpaces(slash === -1 ? mediaRange : mediaRange.slice(0, slash))
      if (type !== '*') continue
      subType = '*'
    } else {
      type = trimSpaces(mediaRange.slice(0, slash))
      const rest = mediaRange.slice(slash + 1)
      const second = rest.indexOf('/')
      if (second !== -1 && second !== rest.length - 1) continue
      subType = trimSpaces(second === -1 ? rest : rest.slice(0, second))
    }
    const clause: AcceptClause = { type, subType, q: 1, params: new Map() }
    if (semicolon !== -1) readParams(part.slice(semicolon + 1), clause)
    clauses.push(clause)
  }
  // A stable sort by descending q gives goautoneg's order for every clause that can match: its
  // insertion sort only lets wildcards, which never match, jump over equal-q clauses.
  return clauses.sort((a, b) => b.q - a.q)
}

function readParams (params: string, clause: AcceptClause): void {
  for (const param of params.split(';')) {
    const eq = param.indexOf('=')
    if (eq === -1 || eq === param.length - 1) continue
    const rest = param.slice(eq + 1)
    const second = rest.indexOf('=')
    if (second !== -1 && second !== rest.length - 1) continue
    const value = second === -1 ? rest : rest.slice(0, second)
    const token = trimSpaces(param.slice(0, eq))
    if (token === 'q') clause.q = parseQuality(value)
    else clause.params.set(token, trimSpaces(value))
  }
}

/** Reads a `q` value like Go's `strconv.ParseFloat(s, 32)` (untrimmed), giving 0 for what Go refuses. */
function parseQuality (s: string): number {
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return 0
  return Math.fround(Number(s))
}

/** Trims leading and trailing spaces (only U+0020, as goautoneg does). */
function trimSpaces (s: string): string {
  let start = 0
  let end = s.length
  while (start < end && s.charCodeAt(start) === 0x20) start++
  while (end > start && s.charCodeAt(end - 1) === 0x20) end--
  return start === 0 && end === s.length ? s : s.slice(start, end)
}

/**
 * Tells whether an `Accept-Encoding` header allows a gzip response: true when `gzip` (any case) has a
 * `q` above 0, or, when `gzip` is not listed, `*` has; false for no header.
 */
export function acceptsGzip (acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false
  let gzip = -1
  let wildcard = -1
  for (const entry of acceptEncoding.split(',')) {
    const semicolon = entry.indexOf(';')
    const coding = (semicolon === -1 ? entry : entry.slice(0, semicolon)).trim().toLowerCase()
    if (coding !== 'gzip' && coding !== '*') continue
    const q = semicolon === -1 ? 1 : readQ(entry.slice(semicolon + 1))
    if (coding === 'gzip') gzip = Math.max(gzip, q)
    else wildcard = Math.max(wildcard, q)
  }
  return (gzip === -1 ? wildcard : gzip) > 0
}

/** Reads the `q` parameter of an `Accept-Encoding` entry: 1 when absent, 0 when unreadable. */
function readQ (params: string): number {
  for (const param of params.split(';')) {
    const eq = param.indexOf('=')
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue
    const q = Number(param.slice(eq + 1).trim())
    return Number.isNaN(q) ? 0 : q
  }
  return 1
}
