// The core, framework-free. The parsers and writers are public under `pushgateway-middleware/exposition`.
export { Pushgateway } from './gateway.js'
export type {
  AggregateOptions, GatewayRequest, GatewayResponse, MetricsOptions, PersistenceOptions, PushOptions, PushgatewayOptions
} from './gateway.js'
export type { PromRegistry } from './prom-client.js'
export type { GroupingKey } from './groups/grouping-key.js'
export type { RequestBody } from './http/body.js'
export { DEFAULT_BODY_LIMIT, DEFAULT_READ_TIMEOUT } from './http/body.js'
export { DEFAULT_LIMITS } from './groups/limits.js'
export type { Limits } from './groups/limits.js'
export type { ExpiryOptions } from './groups/expiry.js'
export type { AggregationOptions } from './groups/aggregation.js'
export type { GaugeRule } from './groups/aggregate.js'
export type { Action, Authorize, AuthorizationContext, AuthorizationDenial, AuthorizationRequest, AuthorizationResult } from './http/authorization.js'
export { createLogger } from './log.js'
export type { LogFields, LogFn, LogFormat, LogLevel, Logger, LoggerOptions } from './log.js'
export { MemoryStore } from './store/memory/memory-store.js'
export type { MemoryStoreOptions } from './store/memory/memory-store.js'
export { RedisStore, redisStore } from './store/redis/redis-store.js'
export type { RedisClient, RedisClusterClient, RedisSentinelClient, RedisStoreOptions } from './store/redis/redis-store.js'
export type {
  AggregateWrite, AppliedChange, GroupView, MetricStore, PushWrite, RenderFormat, RepeatWrite, ReservedFamily, ReservedFamilyLookup, StoreContext, StoreSize, StoredFamily
} from './store/store.js'
export type { TemplateSource, TextTemplate } from './exposition/text-template.js'
export type { StoreLimits } from './groups/limits.js'
export {
  PushgatewayError, InvalidGroupingKeyError, ParseError, InconsistentPushError, AggregationError, BodyTooLargeError,
  ReadTimeoutError, LimitExceededError, AuthorizationError, StoreUnavailableError, InvalidOptionError
} from './errors.js'
export type { ErrorCode } from './errors.js'
export type {
  Bucket, BucketSpan, Exemplar, Histogram, LabelPair, Metric, MetricFamily, MetricType, Quantile, Summary
} from './exposition/types.js'
export type { EscapingScheme, NameValidation } from './exposition/names.js'
