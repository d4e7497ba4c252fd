import { isUtf8 } from 'node:buffer'
import type { MetricFamily } from './types.js'
import { ParseError } from '../errors.js'
import { parseText } from './parse-text.js'
import { parseOpenMetrics } from './parse-openmetrics.js'
import { decodeDelimited, isDelimitedProtobuf } from './protobuf.js'

/** The body formats a push may use. */
export type PushFormat = 'text' | 'openmetrics' | 'protobuf'

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
 * `pushFormat` does. Throws a `ParseError` (400) naming the problem for invalid input.
 */
export function parseMetrics (body: Buffer | string, contentType?: string): MetricFamily[] {
  const format = pushFormat(contentType)
  if (format === 'protobuf') return decodeDelimited(typeof body === 'string' ? Buffer.from(body) : body)
  const parse = format === 'openmetrics' ? parseOpenMetrics : parseText
  if (typeof body === 'string') return parse(body)
  const text = body.toString('utf8')
  if (!isUtf8(body)) {
    // A syntax error before the bad bytes is reported as Go's parser reports it (a protobuf body
    // sent without its Content-Type gets "invalid metric name"); otherwise the encoding is the problem.
    parse(text)
    throw new ParseError('the request body is not valid UTF-8')
  }
  return parse(text)
}
