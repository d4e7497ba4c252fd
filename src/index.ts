export { Pushgateway } from './gateway.js'
export type { GatewayRequest, GatewayResponse, GroupingKey, MetricsOptions, PushOptions, PushgatewayOptions } from './gateway.js'
export { parseMetrics, pushFormat } from './exposition/parse.js'
export type { PushFormat } from './exposition/parse.js'
export { writeText, TEXT_CONTENT_TYPE } from './exposition/write-text.js'
export { writeOpenMetrics, OPENMETRICS_CONTENT_TYPE } from './exposition/write-openmetrics.js'
export { encodeDelimited, decodeDelimited, PROTOBUF_CONTENT_TYPE } from './exposition/protobuf.js'
export { MemoryStore } from './store/memory-store.js'
export type { MemoryStoreOptions } from './store/memory-store.js'
export type { GroupView, MetricStore, PushWrite, RenderFormat, ReservedFamily, ReservedFamilyLookup, StoreSize, StoredFamily } from './store/store.js'
export { DEFAULT_BODY_LIMIT } from './body.js'
export type { RequestBody } from './body.js'
export {
  PushgatewayError, InvalidGroupingKeyError, ParseError, InconsistentPushError, BodyTooLargeError, InvalidOptionError
} from './errors.js'
export type { ErrorCode } from './errors.js'
export type {
  Bucket, BucketSpan, Exemplar, Histogram, LabelPair, Metric, MetricFamily, MetricType, Quantile, Summary
} from './exposition/types.js'
