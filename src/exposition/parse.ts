import { isUtf8 } from 'node:buffer'
import type { MetricFamily } from './types.js'
import { ParseError } from '../errors.js'
import { nextTurn } from '../clock.js'
import { textParser } from './parse-text.js'
import { openMetricsParser } from './parse-openmetrics.js'
import { isDelimitedProtobuf, protobufParser } from './protobuf.js'
import type { NameValidation } from './names.js'
import type { ValueRecord } from './text-template.js'

/** The body formats a push may use. */
export type PushFormat = 'text' | 'openmetrics' | 'protobuf'

/**
 * What one parse may build. Past a bound the parse stops where it is and throws what `refuse`
 * answers, so that a large body costs no more work and memory than the bounds allow.
 */
export interface ParseBudget {
  /** Metrics the body may hold in all; a protobuf family without metrics counts as one. */
  readonly metrics: number
  /** Labels one metric may carry, not counting a bucket's `le` or a quantile's `quantile`. */
  readonly labels: number
  /** The error thrown once a bound is passed; `family` names the family being parsed when it is known. */
  readonly refuse: (bound: 'metrics' | 'labels', family: string | undefined) => Error
}

/** A parser that works through its input in slices, so that a caller can let others run in between. */
export interface SlicedParser {
  /** Parses on to the first line or message boundary at least `size` characters or bytes further; answers whether the input is used up. */
  parseSlice (size: number): boolean
  /** The families parsed, once the input is used up; throws for what only the whole input shows. */
  result (): MetricFamily[]
}

// Characters or bytes parsed between two turns of the event loop: a few milliseconds of work.
const SLICE_SIZE = 128 * 1024

/**
 * Picks the parser for a Content-Type: delimited protobuf for the exact media type and parameters
 * the Go client sends, OpenMetrics for `application/openmetrics-text`, text 0.0.4 for anything else
 * (no Content-Type included, which is what prom-client sends).
 */
export function pushFormat (contentType: string | undefined): PushFormat {
  if (contentType === undefined) return 'text'
  if (isDelimitedProtobuf(contentType)) return 'protobuf'
  const semicolon = contentType.indexOf(';')
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  return mediaType === 'application/openmetrics-text' ? 'openmetrics' : 'text'
}

/**
 * Parses a pushed body into metric families, choosing the format from the Content-Type as
 * `pushFormat` does. Throws a `ParseError` (400) naming the problem for invalid input. `validation`
 * (default `'legacy'`) decides which quoted names the text format accepts.
 */
export function parseMetrics (body: Buffer | string, contentType?: string, budget?: ParseBudget, validation: NameValidation = 'legacy'): MetricFamily[] {
  const parse = new BodyParse(body, contentType, budget, validation)
  parse.parser.parseSlice(Infinity)
  return parse.result()
}

/**
 * Parses a pushed body as `parseMetrics` does, a slice at a time with a turn of the event loop
 * (`pause`) between slices, so that the host serves other requests while a large body is parsed.
 * A body in the text format notes where its values are in `record`, when given (see `textTemplate`).
 */
export async function parseMetricsSliced (body: Buffer | string, contentType: string | undefined, budget: ParseBudget, validation: NameValidation = 'legacy', pause: () => Promise<void> = nextTurn, record?: ValueRecord): Promise<MetricFamily[]> {
  const parse = new BodyParse(body, contentType, budget, validation, record)
  while (!parse.parser.parseSlice(SLICE_SIZE)) await pause()
  return parse.result()
}

// One body on its way through the parser of its format.
class BodyParse {
  readonly parser: SlicedParser
  readonly #invalidUtf8: boolean

  constructor (body: Buffer | string, contentType: string | undefined, budget: ParseBudget | undefined, validation: NameValidation, record?: ValueRecord) {
    const format = pushFormat(contentType)
    if (format === 'protobuf') {
      this.parser = protobufParser(typeof body === 'string' ? Buffer.from(body) : body, budget)
      this.#invalidUtf8 = false
    } else {
      const text = typeof body === 'string' ? body : body.toString('utf8')
      // OpenMetrics 1.0 has no quoted names: its grammar only reads legacy ones.
      this.parser = format === 'openmetrics' ? openMetricsParser(text, budget) : textParser(text, budget, validation, record)
      this.#invalidUtf8 = typeof body !== 'string' && !isUtf8(body)
    }
  }

  result (): MetricFamily[] {
    const families = this.parser.result()
    // A syntax error before the bad bytes is reported as Go's parser reports it (a protobuf body
    // sent without its Content-Type gets "invalid metric name"); otherwise the encoding is the problem.
    if (this.#invalidUtf8) throw new ParseError('the request body is not valid UTF-8')
    return families
  }
}
