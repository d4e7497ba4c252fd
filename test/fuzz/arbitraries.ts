import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { encodeDelimited, PROTOBUF_CONTENT_TYPE } from '../../src/exposition/protobuf.js'
import { emptyHistogram, type Metric, type MetricFamily, type MetricType } from '../../src/exposition/types.js'

/** A push body with the headers it travels with. */
export interface Body {
  contentType?: string
  contentEncoding?: string
  bytes: Buffer
  what: string
}

const TEXT_TYPE = 'text/plain; version=0.0.4'
const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

// Few names, so that pushes to different groups clash in types, series and suffixes.
const metricName = fc.constantFrom('m', 'm_total', 'm_count', 'm_sum', 'm_bucket', 'h', 'h_bucket', 's', 'up', 'job', 'a:b', 'push_time_seconds', '0bad', 'é')
const labelName = fc.constantFrom('a', 'b', 'le', 'quantile', 'job', 'instance', '__x', 'x-y', '')
const labelValue = fc.oneof(fc.constantFrom('', 'v', 'a"b', 'back\\slash', 'new\nline', 'ünï', '🙂', '\u0000'), fc.string({ maxLength: 8 }))
const value = fc.oneof(fc.constantFrom(0, -0, 1, -1.5, 1e21, 5e-324, NaN, Infinity, -Infinity), fc.double())
const sampleValue = fc.oneof(fc.constantFrom('0', '-0', '1', '1e3', 'NaN', '+Inf', '-Inf', 'Inf', '0x10', '1_000', ''), value.map(String))
const typeName = fc.constantFrom('counter', 'gauge', 'summary', 'histogram', 'untyped', 'gaugehistogram', 'info', 'stateset', 'unknown', 'bogus')

const labelSet = fc.array(fc.tuple(labelName, labelValue), { maxLength: 3 })
  .map(pairs => pairs.length === 0 ? '' : `{${pairs.map(([n, v]) => `${n}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`).join(',')}}`)

const textLine = fc.oneof(
  fc.tuple(metricName, labelSet, sampleValue, fc.option(fc.constantFrom('1700000000000', '-1', 'x'), { nil: undefined }))
    .map(([name, labels, v, ts]) => `${name}${labels} ${v}${ts === undefined ? '' : ' ' + ts}`),
  fc.tuple(metricName, typeName).map(([name, type]) => `# TYPE ${name} ${type}`),
  fc.tuple(metricName, fc.string({ maxLength: 12 })).map(([name, help]) => `# HELP ${name} ${help.replaceAll('\n', ' ')}`),
  fc.constantFrom('# just a comment', '', '# EOF', '# UNIT m seconds')
)

/** Text-format bodies, often invalid somewhere: lines of samples, TYPE, HELP and comments. */
export const textBody: fc.Arbitrary<string> = fc.array(textLine, { maxLength: 12 }).map(lines => lines.join('\n') + '\n')

const validName = fc.constantFrom('fuzz_total', 'fuzz_gauge', 'fuzz_info', 'fuzz_seconds', 'other_value', 'x')
const validLabels = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'code', 'instance'), labelValue), { maxLength: 2 })
  .map(pairs => new Map(pairs))
  .map(labels => labels.size === 0 ? '' : `{${[...labels].map(([n, v]) => `${n}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`).join(',')}}`)

/** Text-format bodies that are valid (they may still clash with what other groups hold). */
export const validTextBody: fc.Arbitrary<string> = fc.array(
  fc.tuple(validName, fc.constantFrom('counter', 'gauge', 'untyped'), fc.string({ maxLength: 10 }), fc.array(fc.tuple(validLabels, value), { minLength: 1, maxLength: 3 })),
  { maxLength: 4 }
).map(families => {
  const seen = new Set<string>()
  let text = ''
  for (const [name, type, help, samples] of families) {
    if (seen.has(name)) continue
    seen.add(name)
    text += `# HELP ${name} ${help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}\n# TYPE ${name} ${type}\n`
    const series = new Set<string>()
    for (const [labels, v] of samples) {
      if (series.has(labels)) continue
      series.add(labels)
      text += `${name}${labels} ${String(v).replace('Infinity', 'Inf')}\n`
    }
  }
  return text
})

function metricOf (type: MetricType, labels: Metric['labels'], v: number): Metric {
  if (type === 'summary') return { labels, summary: { sampleCount: 2, sampleSum: v, quantiles: [{ quantile: 0.5, value: v }] } }
  if (type === 'histogram' || type === 'gaugehistogram') {
    return { labels, histogram: { ...emptyHistogram(), sampleCount: 3, sampleSum: v, buckets: [{ upperBound: 1, cumulativeCount: 1 }, { upperBound: Infinity, cumulativeCount: 3 }] } }
  }
  return { labels, value: v }
}

/** Families as a protobuf push carries them, names and labels not always valid. */
export const families: fc.Arbitrary<MetricFamily[]> = fc.array(
  fc.record({
    name: metricName,
    help: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    type: fc.constantFrom<MetricType>('counter', 'gauge', 'summary', 'untyped', 'histogram', 'gaugehistogram'),
    metrics: fc.array(fc.tuple(fc.array(fc.record({ name: labelName, value: labelValue }), { maxLength: 2 }), value), { maxLength: 3 })
  }).map(({ name, help, type, metrics }): MetricFamily => ({
    name,
    type,
    ...(help === undefined ? {} : { help }),
    metrics: metrics.map(([labels, v]) => metricOf(type, labels, v))
  })),
  { maxLength: 4 }
)

/** Random edits of a byte string: flips, insertions, deletions and a cut. */
export function mutated (bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  const edit = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('flip', 'insert', 'delete', 'cut') })
  return fc.tuple(bytes, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([original, edits]) => {
    let buf = Buffer.from(original)
    for (const { at, byte, kind } of edits) {
      const i = buf.length === 0 ? 0 : at % buf.length
      if (kind === 'flip' && buf.length > 0) buf[i] = byte
      if (kind === 'insert') buf = Buffer.concat([buf.subarray(0, i), Buffer.from([byte]), buf.subarray(i)])
      if (kind === 'delete') buf = Buffer.concat([buf.subarray(0, i), buf.subarray(i + 1)])
      if (kind === 'cut') buf = buf.subarray(0, i)
    }
    return buf
  })
}

const textBytes = textBody.map(text => Buffer.from(text))
const protobufBytes = families.map(f => encodeDelimited(f))

/** Every kind of push body: valid-ish and mutated text, OpenMetrics, protobuf, gzip, random bytes. */
export const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 4, arbitrary: validTextBody.map(text => ({ bytes: Buffer.from(text), what: 'valid text' })) },
  textBytes.map(bytes => ({ bytes, what: 'text' })),
  fc.tuple(textBytes, fc.constantFrom(TEXT_TYPE, 'text/plain', '', 'application/json')).map(([bytes, contentType]) => ({ bytes, contentType, what: `text as ${contentType}` })),
  mutated(textBytes).map(bytes => ({ bytes, what: 'mutated text' })),
  fc.tuple(textBytes, fc.boolean()).map(([bytes, eof]) => ({ bytes: eof ? Buffer.concat([bytes, Buffer.from('# EOF\n')]) : bytes, contentType: OPENMETRICS_TYPE, what: 'OpenMetrics' })),
  protobufBytes.map(bytes => ({ bytes, contentType: PROTOBUF_CONTENT_TYPE, what: 'protobuf' })),
  mutated(protobufBytes).map(bytes => ({ bytes, contentType: PROTOBUF_CONTENT_TYPE, what: 'mutated protobuf' })),
  textBytes.map(bytes => ({ bytes: gzipSync(bytes), contentEncoding: 'gzip', what: 'gzip' })),
  mutated(textBytes.map(bytes => gzipSync(bytes))).map(bytes => ({ bytes, contentEncoding: 'gzip', what: 'mutated gzip' })),
  fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(undefined, TEXT_TYPE, OPENMETRICS_TYPE, PROTOBUF_CONTENT_TYPE))
    .map(([bytes, contentType]) => ({ bytes: Buffer.from(bytes), ...(contentType === undefined ? {} : { contentType }), what: 'random bytes' }))
)

const segment = fc.oneof(
  fc.constantFrom('a', 'b', 'job', 'instance', '', '%zz', '%C0%80', '%2F', '%00', '%FF', 'é', '%C3%A9', '__x', 'x-y', '=', 'YS9i', '~', '..', '.'),
  fc.string({ maxLength: 6 }).map(s => encodeURIComponent(s)),
  fc.string({ maxLength: 6 })
)

/** URL paths, mostly under /metrics/job…, with odd segments, escapes and base64 markers. */
export const path: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('/metrics/job/', '/metrics/job@base64/'), fc.array(fc.tuple(segment, fc.boolean()), { maxLength: 5 }))
    .map(([start, segments]) => start + segments.map(([s, base64]) => base64 ? `${s}@base64` : s).join('/')),
  fc.constantFrom('/metrics', '/metrics/', '/metrics/job', '/api/v1/metrics', '/api/v1/status', '/api/v1/admin/wipe', '/-/healthy', '/-/ready', '/-/quit', '/', '/nothing', '/metrics/job//'),
  fc.string({ maxLength: 20 }).map(s => '/' + s)
).chain(p => fc.constantFrom(p, p + '?x=1', p + '#f', 'x'.repeat(3000) + p))

/** Methods, known and not. */
export const method = fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'put', 'PROPFIND')

/** Content-Type header values, valid and garbage. */
export const contentType = fc.oneof(
  fc.constantFrom(TEXT_TYPE, OPENMETRICS_TYPE, PROTOBUF_CONTENT_TYPE, '', ';;;', 'text', 'application/vnd.google.protobuf', 'text/plain; charset=latin1', 'application/json', 'x'.repeat(2000)),
  fc.string({ maxLength: 30 }).filter(s => /^[\x20-\x7e]*$/.test(s))
)

/** Content-Encoding header values. */
export const contentEncoding = fc.constantFrom('gzip', 'GZIP', 'identity', 'br', 'x', '', 'gzip, gzip', 'deflate', ' gzip ')

/** Accept and Accept-Encoding header values for scrapes. */
export const accept = fc.oneof(
  fc.constantFrom('*/*', 'text/plain', OPENMETRICS_TYPE, PROTOBUF_CONTENT_TYPE, 'application/openmetrics-text; version=0.0.1', 'text/plain;q=0', ';;', 'x/y; q=abc'),
  fc.string({ maxLength: 30 }).filter(s => /^[\x20-\x7e]*$/.test(s))
)
export const acceptEncoding = fc.constantFrom('gzip', 'gzip;q=0', '*', 'identity', 'br', '', 'gzip, deflate', ';q=')
