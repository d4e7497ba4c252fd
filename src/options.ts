import { register as globalRegistry, type PromRegistry } from './prom-client.js'
import type { MetricStore } from './store/store.js'
import type { NameValidation } from './exposition/names.js'
import { InvalidOptionError } from './errors.js'
import { DEFAULT_BODY_LIMIT, DEFAULT_READ_TIMEOUT } from './http/body.js'
import { resolveExpiry, type ExpiryOptions, type TtlOf } from './groups/expiry.js'
import { resolveLimits, type Limits, type ResolvedLimits } from './groups/limits.js'
import { snapshotPathProblem } from './store/memory/persistence.js'
import { resolveAggregation, type AggregationOptions, type GaugeRulesOf } from './groups/aggregation.js'
import type { Authorize } from './http/authorization.js'
import { createLogger, type Logger } from './log.js'
import { refuseUnknownOptions } from './known-options.js'

/** Options of a `Pushgateway`. Every option is validated once, in the constructor; an unknown one is refused. */
export interface PushgatewayOptions {
  /** The prom-client registry that receives the gateway's own metrics. Default: prom-client's global registry. */
  registry?: PromRegistry | undefined
  /** Where groups are kept. Default: a new in-memory store. */
  store?: MetricStore | undefined
  /** Answer pushes once checked (200), as the reference does by default; `false` answers 202 at once and drops an inconsistent push instead of storing it. Default `true`. */
  consistencyCheck?: boolean | undefined
  /** Accept any UTF-8 metric and label name (quoted in the text format, `U__`-escaped or as is in the push path), as the reference's `--push.enable-utf8-names`; off, names must match the legacy patterns. Default `false`. */
  utf8Names?: boolean | undefined
  /** Largest accepted request body in bytes, after decompression (a larger one is answered 413). Default 16 MiB. */
  bodyLimit?: number | undefined
  /** Limits on what a push may store (series, groups, labels); `Infinity` turns one off. Default: `DEFAULT_LIMITS`. */
  limits?: Limits | undefined
  /** Milliseconds allowed to receive a request body; a slower upload is answered 408 and stores nothing. `Infinity` for none. Default 60,000. */
  readTimeout?: number | undefined
  /** Expiry of groups after their last successful push, by default and per job. Default: groups are kept until deleted. */
  expiry?: ExpiryOptions | undefined
  /** A snapshot file that keeps the groups across restarts (built-in store only). Default: none, groups live in memory only. */
  persistence?: PersistenceOptions | undefined
  /** Decides whether a request may push, delete, wipe, read or quit; refusals are answered 401 or 403. Default: every request is allowed. */
  authorize?: Authorize | undefined
  /** Where the gateway logs persistence and expiry events. Default: logfmt lines on stderr at info level and above. */
  logger?: Logger | undefined
  /** The aggregation endpoint `/aggregate/job/…` (pushes added to the group), with its gauge rules, or `false` to leave it out. Default: served, gauges by `last`. */
  aggregation?: AggregationOptions | false | undefined
  /** Serve `PUT /api/v1/admin/wipe` (the reference's `--web.enable-admin-api`). Default `false`. */
  adminApi?: boolean | undefined
  /** Called by `PUT` or `POST /-/quit`; when absent, that endpoint answers 403 (the reference's `--web.enable-lifecycle`). Default: none. */
  onQuit?: (() => void) | undefined
  /** Path of the exposition, relative to the mount point, or `false` for none. Default `'/metrics'`. */
  telemetryPath?: string | false | undefined
  /** Serve OpenMetrics to scrapers that ask for it (the reference never does). Default `true`. */
  openMetrics?: boolean | undefined
  /** Include the registry's metrics in the gateway's own exposition, as the reference includes its own. Default `true`. */
  exposeRegistry?: boolean | undefined
  /** Merge the pushed metrics into the registry's own `metrics()`, so the service's `/metrics` (plain prom-client, express-prom-bundle, fastify-metrics) shows them: one scrape target. Default `false`. */
  mergeIntoRegistry?: boolean | undefined
  /** Serve the status page at `/` and `/status` of the mount point; when left out it is served except at the root of an app (Express mounted at `'/'`, Fastify without a prefix, `handle()` without a `mount`), so that it never shadows the app's own `/`. Default: on except at an app's root. */
  ui?: boolean | undefined
  /** The flags reported by `/api/v1/status`, merged over the ones derived from these options. Default: none. */
  flags?: Readonly<Record<string, string>> | undefined
  /** The clock, in nanoseconds since the epoch. Default: the system clock. */
  now?: (() => bigint) | undefined
}

/** Where the groups are saved, and how often. */
export interface PersistenceOptions {
  /** Path of the snapshot file; its directory must exist. Required. */
  file: string
  /** Least time between two writes after a change, in milliseconds; a final write always happens on `close()`. Default 300,000 (5 minutes, as the reference). */
  interval?: number | undefined
}

/** The options of a `Pushgateway` once validated, with every default applied; frozen. */
export interface ResolvedOptions {
  readonly registry: PromRegistry
  /** The store given as an option; `undefined` for the built-in one. */
  readonly store: MetricStore | undefined
  readonly consistencyCheck: boolean
  /** The `utf8Names` option as the name checks take it: `'utf8'` when on, `'legacy'` when off. */
  readonly nameValidation: NameValidation
  readonly bodyLimit: number
  readonly limits: ResolvedLimits
  readonly readTimeout: number
  /** The TTL of a group, `undefined` when no group ever expires. */
  readonly ttlOf: TtlOf | undefined
  readonly persistence: { readonly file: string, readonly interval: number } | undefined
  readonly authorize: Authorize | undefined
  readonly logger: Logger
  /** The gauge rules of the aggregation endpoint, `undefined` when it is turned off. */
  readonly gaugeRules: GaugeRulesOf | undefined
  readonly adminApi: boolean
  readonly onQuit: (() => void) | undefined
  readonly telemetryPath: string | false
  readonly openMetrics: boolean
  readonly exposeRegistry: boolean
  readonly mergeIntoRegistry: boolean
  /** The `ui` option: `undefined` serves the status page except at the root of an app. */
  readonly ui: boolean | undefined
  /** The flags `/api/v1/status` reports: those derived from the options, then the `flags` option over them. */
  readonly flags: Readonly<Record<string, string>>
  readonly now: () => bigint
}

// Every core option, so that `gateway` plus one of them is refused; a new core option fails to compile here.
const CORE_OPTIONS: Readonly<Record<keyof PushgatewayOptions, true>> = {
  registry: true,
  store: true,
  consistencyCheck: true,
  utf8Names: true,
  bodyLimit: true,
  limits: true,
  readTimeout: true,
  expiry: true,
  persistence: true,
  authorize: true,
  logger: true,
  aggregation: true,
  adminApi: true,
  onQuit: true,
  telemetryPath: true,
  openMetrics: true,
  exposeRegistry: true,
  mergeIntoRegistry: true,
  ui: true,
  flags: true,
  now: true
}
/** The names of every core option. */
export const CORE_OPTION_NAMES = Object.keys(CORE_OPTIONS) as Array<keyof PushgatewayOptions>

/**
 * Validates the options of a `Pushgateway` once and applies the defaults: an invalid or unknown
 * option throws an `InvalidOptionError` naming it. Nothing is changed outside (the registry is
 * left as it is).
 */
export function resolveOptions (options: PushgatewayOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'an object', options)
  refuseUnknownOptions(options, CORE_OPTION_NAMES)
  const registry = options.registry ?? globalRegistry
  if (typeof registry.getSingleMetric !== 'function') throw new InvalidOptionError('registry', 'a prom-client Registry', options.registry)
  const now = optionalFunction<() => bigint, 'now'>(options, 'now') ?? systemNowNs
  if (options.store !== undefined && options.persistence !== undefined) {
    throw new InvalidOptionError('persistence', 'left out when a custom store is given (that store keeps its own data)', options.persistence)
  }
  if (options.store !== undefined && (options.store === null || typeof options.store.push !== 'function')) throw new InvalidOptionError('store', 'a MetricStore', options.store)
  const consistencyCheck = optionalBoolean(options, 'consistencyCheck') ?? true
  const utf8Names = optionalBoolean(options, 'utf8Names') ?? false
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit <= 0) throw new InvalidOptionError('bodyLimit', 'a positive integer number of bytes', options.bodyLimit)
  const limits = resolveLimits(options.limits)
  const readTimeout = options.readTimeout ?? DEFAULT_READ_TIMEOUT
  if (readTimeout !== Infinity && !(Number.isSafeInteger(readTimeout) && readTimeout > 0)) {
    throw new InvalidOptionError('readTimeout', 'a positive integer number of milliseconds, or Infinity', options.readTimeout)
  }
  const ttlOf = resolveExpiry(options.expiry)
  const authorize = optionalFunction<Authorize, 'authorize'>(options, 'authorize')
  const gaugeRules = resolveAggregation(options.aggregation)
  const logger = options.logger ?? createLogger()
  if (typeof logger.error !== 'function') throw new InvalidOptionError('logger', 'a logger with debug, info, warn and error methods', options.logger)
  const persistence = resolvePersistence(options.persistence)
  const adminApi = optionalBoolean(options, 'adminApi') ?? false
  const onQuit = optionalFunction<() => void, 'onQuit'>(options, 'onQuit')
  const telemetryPath = options.telemetryPath ?? '/metrics'
  if (telemetryPath !== false && (typeof telemetryPath !== 'string' || !telemetryPath.startsWith('/'))) {
    throw new InvalidOptionError('telemetryPath', 'a path starting with "/" or false', options.telemetryPath)
  }
  const openMetrics = optionalBoolean(options, 'openMetrics') ?? true
  const exposeRegistry = optionalBoolean(options, 'exposeRegistry') ?? true
  const mergeIntoRegistry = optionalBoolean(options, 'mergeIntoRegistry') ?? false
  const ui = optionalBoolean(options, 'ui')
  if (options.flags !== undefined && (options.flags === null || typeof options.flags !== 'object')) throw new InvalidOptionError('flags', 'an object of strings', options.flags)
  const flags = Object.freeze({
    'persistence.file': persistence?.file ?? '',
    // In milliseconds: the standalone server passes the Go binary's formatting in `flags`.
    'persistence.interval': `${persistence?.interval ?? 300_000}ms`,
    'push.disable-consistency-check': String(!consistencyCheck),
    'push.enable-utf8-names': String(utf8Names),
    'web.enable-admin-api': String(adminApi),
    'web.enable-lifecycle': String(onQuit !== undefined),
    'web.telemetry-path': telemetryPath === false ? '' : telemetryPath,
    ...options.flags
  })
  return Object.freeze({
    registry,
    store: options.store,
    consistencyCheck,
    nameValidation: utf8Names ? 'utf8' : 'legacy',
    bodyLimit,
    limits,
    readTimeout,
    ttlOf,
    persistence,
    authorize,
    logger,
    gaugeRules,
    adminApi,
    onQuit,
    telemetryPath,
    openMetrics,
    exposeRegistry,
    mergeIntoRegistry,
    ui,
    flags,
    now
  })
}

/** How an adapter answers bad requests: itself (`'respond'`, the default) or through the framework's error handling (`'next'`). */
export function errorHandlingOf (options: { errorHandling?: unknown }): 'respond' | 'next' {
  const { errorHandling = 'respond' } = options
  if (errorHandling === 'respond' || errorHandling === 'next') return errorHandling
  throw new InvalidOptionError('errorHandling', '"respond" or "next"', errorHandling)
}

function resolvePersistence (persistence: unknown): { readonly file: string, readonly interval: number } | undefined {
  if (persistence === undefined) return undefined
  if (persistence === null || typeof persistence !== 'object') throw new InvalidOptionError('persistence', 'an object with a file', persistence)
  refuseUnknownOptions(persistence, ['file', 'interval'], 'persistence.')
  const { file, interval = 300_000 } = persistence as PersistenceOptions
  if (typeof file !== 'string' || file === '') throw new InvalidOptionError('persistence.file', 'a non-empty path', file)
  if (!Number.isSafeInteger(interval) || interval < 0) throw new InvalidOptionError('persistence.interval', 'a non-negative integer number of milliseconds', interval)
  const problem = snapshotPathProblem(file)
  if (problem !== undefined) throw new InvalidOptionError('persistence.file', `a file in an existing directory (${problem})`, file)
  return Object.freeze({ file, interval })
}

function systemNowNs (): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6))
}

function optionalBoolean<K extends string> (options: Partial<Record<K, unknown>>, name: K): boolean | undefined {
  const value: unknown = options[name]
  if (value === undefined || typeof value === 'boolean') return value
  throw new InvalidOptionError(name, 'a boolean', value)
}

function optionalFunction<T extends (...args: never[]) => unknown, K extends string> (options: Partial<Record<K, unknown>>, name: K): T | undefined {
  const value = options[name]
  if (value === undefined || typeof value === 'function') return value as T | undefined
  throw new InvalidOptionError(name, 'a function', value)
}
