/** Log levels, least severe first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
/** Log line formats. */
export type LogFormat = 'logfmt' | 'json'

/** Fields of a log line besides the time, level and message. */
export type LogFields = Readonly<Record<string, string | number | boolean | bigint>>

/**
 * Logs one event at one level, in pino's calling convention: `(fields, msg)` or `(msg)`. A pino
 * logger (such as `fastify.log`) is one as it is.
 */
export interface LogFn {
  (fields: LogFields, msg: string): void
  (msg: string): void
}

/** A leveled logger in pino's shape; the gateway calls it with `(fields, msg)`. */
export interface Logger {
  /** Logs at debug level. */
  debug: LogFn
  /** Logs at info level. */
  info: LogFn
  /** Logs at warn level. */
  warn: LogFn
  /** Logs at error level. */
  error: LogFn
}

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** The least severe level written. Default `'info'`. */
  level?: LogLevel | undefined
  /** `'logfmt'` or `'json'`. Default `'logfmt'`. */
  format?: LogFormat | undefined
  /** Receives each line, newline included. Default: writes to `process.stderr`, as the Go binary logs. */
  write?: ((line: string) => void) | undefined
  /** The clock. Default: the system clock. */
  now?: (() => Date) | undefined
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 }

/**
 * Creates a logger that writes one line per event at `level` and above, as the Go binary's
 * logs look: logfmt `ts=2026-11-22T21:50:21.850Z level=info msg="Listening on" address=[::]:9091`
 * or JSON `{"ts":"…","level":"info","msg":"Listening on","address":"[::]:9091"}`.
 */
export function createLogger (options: LoggerOptions = {}): Logger {
  const least = RANK[options.level ?? 'info']
  const format = options.format === 'json' ? formatJson : formatLogfmt
  const write = options.write ?? ((line: string) => { process.stderr.write(line) })
  const now = options.now ?? (() => new Date())
  const at = (level: LogLevel): LogFn => function log (first: LogFields | string, msg?: string): void {
    if (RANK[level] < least) return
    const line = typeof first === 'string' ? format(now().toISOString(), level, first, undefined) : format(now().toISOString(), level, msg ?? '', first)
    write(line + '\n')
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

function formatLogfmt (ts: string, level: LogLevel, msg: string, fields: LogFields | undefined): string {
  let line = `ts=${ts} level=${level} msg=${logfmtValue(msg)}`
  if (fields !== undefined) {
    for (const key of Object.keys(fields)) line += ` ${key}=${logfmtValue(String(fields[key]))}`
  }
  return line
}

function formatJson (ts: string, level: LogLevel, msg: string, fields: LogFields | undefined): string {
  const record: Record<string, string | number | boolean> = { ts, level, msg }
  if (fields !== undefined) {
    for (const key of Object.keys(fields)) {
      const value = fields[key] as string | number | boolean | bigint
      record[key] = typeof value === 'bigint' ? String(value) : value
    }
  }
  return JSON.stringify(record)
}

/**
 * A logfmt value: bare unless it is empty or holds a space, `=`, `"` or a control character;
 * then quoted with `"` and `\` escaped and control characters as `\n`, `\t`, `\u001b`, as
 * go-logfmt does.
 */
export function logfmtValue (value: string): string {
  return value === '' || needsQuotes(value) ? JSON.stringify(value) : value
}

function needsQuotes (value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code <= 0x20 || code === 0x3d || code === 0x22 || code === 0x7f) return true
  }
  return false
}
