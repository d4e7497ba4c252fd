/** Machine-readable codes of the errors this package throws or answers with. */
export type ErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_GROUPING_KEY'
  | 'ERR_PARSE'
  | 'ERR_BODY_CONSUMED'
  | 'ERR_UNSUPPORTED_ENCODING'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_REQUEST_ABORTED'
  | 'ERR_READ_TIMEOUT'
  | 'ERR_LIMIT_EXCEEDED'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_INCONSISTENT'
  | 'ERR_AGGREGATION'
  | 'ERR_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_FORBIDDEN'
  | 'ERR_STORE_UNAVAILABLE'

/**
 * The base class of every error of this package. It carries the HTTP status in `statusCode` and
 * `status` (read by Fastify and Express) and `expose`, true when the message is safe to send.
 */
export class PushgatewayError extends Error {
  override name = 'PushgatewayError'
  /** The machine-readable error code. */
  readonly code: ErrorCode
  /** The HTTP status the error maps to. */
  readonly statusCode: number
  /** Seconds after which a retry may succeed, sent as `Retry-After`; set for refusals that pass by themselves. Default: none. */
  retryAfter: number | undefined = undefined

  /** The HTTP status, for Express and http-errors conventions. */
  get status (): number {
    return this.statusCode
  }

  /** Whether the message may be sent to the client: true for 4xx. */
  get expose (): boolean {
    return this.statusCode < 500
  }

  constructor (code: ErrorCode, message: string, statusCode: number, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.statusCode = statusCode
  }
}

/** A grouping key in the URL is invalid (bad label name, odd components, bad base64, no job). */
export class InvalidGroupingKeyError extends PushgatewayError {
  override name = 'InvalidGroupingKeyError'
  constructor (message: string) {
    super('ERR_INVALID_GROUPING_KEY', message, 400)
  }
}

/** A pushed body could not be parsed; the message names the line or byte where it failed. */
export class ParseError extends PushgatewayError {
  override name = 'ParseError'
  constructor (message: string, options?: ErrorOptions) {
    super('ERR_PARSE', message, 400, options)
  }
}

/** A push was refused because it is invalid or inconsistent with what is stored. */
export class InconsistentPushError extends PushgatewayError {
  override name = 'InconsistentPushError'
  /** What is wrong, without the reference's prefix `pushed metrics are invalid or inconsistent with existing metrics: `. */
  readonly detail: string
  constructor (detail: string) {
    super('ERR_INCONSISTENT', `pushed metrics are invalid or inconsistent with existing metrics: ${detail}`, 400)
    this.detail = detail
  }
}

/** An aggregate push cannot be added to what its group holds, for example histograms with other bucket bounds. */
export class AggregationError extends PushgatewayError {
  override name = 'AggregationError'
  constructor (message: string) {
    super('ERR_AGGREGATION', message, 400)
  }
}

/** A request body was larger than the configured limit (after decompression). */
export class BodyTooLargeError extends PushgatewayError {
  override name = 'BodyTooLargeError'
  /** The limit that was exceeded, in bytes. */
  readonly limit: number
  constructor (limit: number) {
    super('ERR_BODY_TOO_LARGE', `request body exceeds the body limit of ${limit} bytes`, 413)
    this.limit = limit
  }
}

/** A request body did not arrive in full within the read timeout. */
export class ReadTimeoutError extends PushgatewayError {
  override name = 'ReadTimeoutError'
  /** The timeout that passed, in milliseconds. */
  readonly timeout: number
  constructor (timeout: number) {
    super('ERR_READ_TIMEOUT', `request body not received within the read timeout of ${timeout} ms`, 408)
    this.timeout = timeout
  }
}

/**
 * A push was refused because it would exceed a limit: 429 for the store's capacity (groups,
 * series, per job), 503 for the bytes of uploads in flight, 400 for the push itself. The message
 * names the limit, its value and its CLI flag.
 */
export class LimitExceededError extends PushgatewayError {
  override name = 'LimitExceededError'
  /** The option name of the limit in `limits`, e.g. `seriesPerGroup`. */
  readonly limit: string
  /** The configured value of the limit. */
  readonly value: number

  /** Always true: the message names a limit and a number, even for the 503 of the bytes in flight. */
  override get expose (): boolean {
    return true
  }

  constructor (limit: string, value: number, message: string, statusCode: 400 | 429 | 503) {
    super('ERR_LIMIT_EXCEEDED', message, statusCode)
    this.limit = limit
    this.value = value
  }
}

/** The `authorize` hook refused a request: 401 without credentials (or when it says so), 403 otherwise. */
export class AuthorizationError extends PushgatewayError {
  override name = 'AuthorizationError'
  /** The `WWW-Authenticate` challenge sent with a 401. */
  readonly challenge: string | undefined
  constructor (statusCode: 401 | 403, message: string, challenge?: string) {
    super(statusCode === 401 ? 'ERR_UNAUTHORIZED' : 'ERR_FORBIDDEN', message, statusCode)
    this.challenge = challenge
  }
}

/**
 * The store could not be reached or did not answer in time (a shared store such as Redis): 503
 * with `Retry-After: 1`. Nothing was changed by the request, or, when the store stopped answering
 * after the change reached it, the change is whole.
 */
export class StoreUnavailableError extends PushgatewayError {
  override name = 'StoreUnavailableError'

  /** Always true: the message says what is unavailable, nothing more. */
  override get expose (): boolean {
    return true
  }

  constructor (message: string, options?: ErrorOptions) {
    super('ERR_STORE_UNAVAILABLE', message, 503, options)
    this.retryAfter = 1
  }
}

/** An option passed to a factory or constructor is invalid. */
export class InvalidOptionError extends TypeError {
  override name = 'TypeError'
  /** Always `ERR_INVALID_OPTION`. */
  readonly code = 'ERR_INVALID_OPTION'
  /** The option's name, nested options with dots (`limits.series`). */
  readonly option: string
  constructor (option: string, expectation: string, value: unknown) {
    super(`pushgateway-middleware: option "${option}" must be ${expectation}, got ${describe(value)}`)
    this.option = option
  }
}

function describe (value: unknown): string {
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}
