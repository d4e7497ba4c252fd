// `pushgateway-middleware/exposition`: the parsers, writers and protobuf codec the gateway uses,
// public for tools that read or write what it serves. The data model is in `./types.js`.
export { parseMetrics, parseMetricsSliced, pushFormat } from './parse.js'
export type { ParseBudget, PushFormat, SlicedParser } from './parse.js'
export { parseText } from './parse-text.js'
export { parseOpenMetrics } from './parse-openmetrics.js'
export { writeText, TEXT_CONTENT_TYPE } from './write-text.js'
export { writeOpenMetrics, OPENMETRICS_CONTENT_TYPE } from './write-openmetrics.js'
export { encodeDelimited, decodeDelimited, PROTOBUF_CONTENT_TYPE } from './protobuf.js'
export { negotiate, negotiateFormat } from './negotiate.js'
export type { ExpositionFormat, Negotiated, NegotiateOptions } from './negotiate.js'
export { escapeFamily } from './escape.js'
export { escapeName, exposedName, unescapeValuesName } from './names.js'
export type { EscapingScheme, NameValidation } from './names.js'
export { emptyHistogram } from './types.js'
export type {
  Bucket, BucketSpan, Exemplar, Histogram, LabelPair, Metric, MetricFamily, MetricType, Quantile, Summary
} from './types.js'
