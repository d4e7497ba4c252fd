import type { LogFormat, LogLevel } from './flags.js'

/** Fields of a log line besides the time, level and message. */
export type LogFields = Readonly<Record<string, string | number | boolean>>

/** A leveled logger writing one line per event. */
export interface Logger {
  /** Logs at debug level. */
  debug (msg: string, fields?: LogFields): void
  /** Logs at info level. */
  info (msg: string, fields?: LogFields): void
  /** Logs at warn level. */
  warn (msg: string, fields?: LogFields): void
  /** Logs at error level. */
  error (msg: string, fields?: LogFields): void
}

// eslint-disable-next-line no-control-regex
const NEEDS_QUOTES = /[\s"=\\\u0000-\u001f]/
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

/**
 * Creates a logger that writes lines at `level` and above to `write`, as logfmt
 * (`ts=… level=info msg="Listening on" address=:9091`) or JSON, like the Go binary's logs.
 */
export function createLogger (options: { level: LogLevel, format: LogFormat, write: (line: string) => void, now?: () => Date }): Logger {
  const now = options.now ?? (() => new Date())
  const line = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (RANK[level] < RANK[options.level]) return
    const record: Record<string, string | number | boolean> = { ts: now().toISOString(), level, msg, ...fields }
    options.write((options.format === 'json' ? JSON.stringify(record) : logfmt(record)) + '\n')
  }
  return {
    debug: (msg, fields) => line('debug', msg, fields),
    info: (msg, fields) => line('info', msg, fields),
    warn: (msg, fields) => line('warn', msg, fields),
    error: (msg, fields) => line('error', msg, fields)
  }
}

function logfmt (record: Record<string, string | number | boolean>): string {
  return Object.entries(record).map(([key, value]) => `${key}=${logfmtValue(String(value))}`).join(' ')
}

// Quoted when it would not read back as one value: empty, spaces, quotes, `=`, control characters.
function logfmtValue (value: string): string {
  return value === '' || NEEDS_QUOTES.test(value) ? JSON.stringify(value) : value
}
