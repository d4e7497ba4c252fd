/** The standalone server's settings, from the Go binary's flags. */
export interface ServerFlags {
  /** `--web.listen-address` (repeatable): where to listen. Default `[':9091']`. */
  listenAddresses: string[]
  /** `--web.telemetry-path`: the exposition path under the route prefix. Default `'/metrics'`. */
  telemetryPath: string
  /** `--web.route-prefix` as given. Default `''`. */
  routePrefix: string
  /** `--web.external-url`: its path is the default route prefix. Default `''`. */
  externalUrl: string
  /** `--web.enable-admin-api`: serve `PUT /api/v1/admin/wipe`. Default `false`. */
  enableAdminApi: boolean
  /** `--web.enable-lifecycle`: serve `PUT`/`POST /-/quit`. Default `false`. */
  enableLifecycle: boolean
  /** `--persistence.file`: not implemented yet; a warning is logged when set. Default `''`. */
  persistenceFile: string
  /** `--persistence.interval` in milliseconds. Default 5 minutes. */
  persistenceIntervalMs: number
  /** `--push.disable-consistency-check`: answer pushes with 202 at once. Default `false`. */
  disableConsistencyCheck: boolean
  /** `--log.level`. Default `'info'`. */
  logLevel: LogLevel
  /** `--log.format`. Default `'logfmt'`. */
  logFormat: LogFormat
}

/** Log levels, least severe first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
/** Log line formats. */
export type LogFormat = 'logfmt' | 'json'

/** What the command line asks for. */
export type ParsedArgs = { command: 'run', flags: ServerFlags } | { command: 'help' } | { command: 'version' }

/** A command line the server cannot run with; the message names the flag. */
export class FlagError extends Error {
  override name = 'FlagError'
}

interface FlagSpec {
  name: string
  kind: 'string' | 'bool' | 'duration' | 'enum'
  help: string
  fallback: string
  values?: readonly string[]
  repeatable?: boolean
  apply: (flags: ServerFlags, value: string) => void
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']
const LOG_FORMATS: readonly LogFormat[] = ['logfmt', 'json']
const UNSUPPORTED = new Set(['web.config.file', 'web.systemd-socket', 'push.enable-utf8-names'])

const SPECS: readonly FlagSpec[] = [
  { name: 'web.listen-address', kind: 'string', repeatable: true, fallback: ':9091', help: 'Address to listen on for the web interface, API, and telemetry. Repeatable.', apply: (f, v) => { f.listenAddresses.push(v) } },
  { name: 'web.telemetry-path', kind: 'string', fallback: '/metrics', help: 'Path under which to expose metrics.', apply: (f, v) => { f.telemetryPath = v } },
  { name: 'web.external-url', kind: 'string', fallback: '', help: 'The URL under which the Pushgateway is externally reachable; its path is the default route prefix.', apply: (f, v) => { f.externalUrl = v } },
  { name: 'web.route-prefix', kind: 'string', fallback: '', help: 'Prefix for the internal routes of web endpoints. Defaults to the path of --web.external-url.', apply: (f, v) => { f.routePrefix = v } },
  { name: 'web.enable-lifecycle', kind: 'bool', fallback: 'false', help: 'Enable shutdown via HTTP request.', apply: (f, v) => { f.enableLifecycle = v === 'true' } },
  { name: 'web.enable-admin-api', kind: 'bool', fallback: 'false', help: 'Enable API endpoints for admin control actions.', apply: (f, v) => { f.enableAdminApi = v === 'true' } },
  { name: 'persistence.file', kind: 'string', fallback: '', help: 'File to persist metrics. If empty, metrics are only kept in memory. (Not implemented yet.)', apply: (f, v) => { f.persistenceFile = v } },
  { name: 'persistence.interval', kind: 'duration', fallback: '5m', help: 'The minimum interval at which to write out the persistence file.', apply: (f, v) => { f.persistenceIntervalMs = parseGoDuration(v) } },
  { name: 'push.disable-consistency-check', kind: 'bool', fallback: 'false', help: 'Answer pushes with 202 before checking them; inconsistent pushes are dropped.', apply: (f, v) => { f.disableConsistencyCheck = v === 'true' } },
  { name: 'log.level', kind: 'enum', values: LOG_LEVELS, fallback: 'info', help: 'Only log messages with the given severity or above. One of: [debug, info, warn, error]', apply: (f, v) => { f.logLevel = v as LogLevel } },
  { name: 'log.format', kind: 'enum', values: LOG_FORMATS, fallback: 'logfmt', help: 'Output format of log messages. One of: [logfmt, json]', apply: (f, v) => { f.logFormat = v as LogFormat } }
]
const BY_NAME = new Map(SPECS.map(spec => [spec.name, spec]))

/** Parses the Go binary's flags (`--flag=value`, `--flag value`, `--flag`/`--no-flag` for booleans). */
export function parseArgs (argv: readonly string[]): ParsedArgs {
  const flags = defaults()
  let listenGiven = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '-h' || arg === '--help') return { command: 'help' }
    if (arg === '--version') return { command: 'version' }
    if (!arg.startsWith('--')) throw new FlagError(`unexpected argument '${arg}'`)
    const eq = arg.indexOf('=')
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1)
    let spec = BY_NAME.get(name)
    if (spec === undefined && name.startsWith('no-') && value === undefined && BY_NAME.get(name.slice(3))?.kind === 'bool') {
      name = name.slice(3)
      spec = BY_NAME.get(name)
      value = 'false'
    }
    if (UNSUPPORTED.has(name)) throw new FlagError(`flag --${name} is not supported by pushgateway-middleware`)
    if (spec === undefined) throw new FlagError(`unknown long flag '--${name}'`)
    if (spec.kind === 'bool') {
      value ??= 'true'
      if (value !== 'true' && value !== 'false') throw new FlagError(`invalid value ${JSON.stringify(value)} for flag --${name}: expected true or false`)
    } else if (value === undefined) {
      value = argv[++i]
      if (value === undefined) throw new FlagError(`expected argument for flag --${name}`)
    }
    if (spec.values !== undefined && !spec.values.includes(value)) {
      throw new FlagError(`invalid value ${JSON.stringify(value)} for flag --${name}: expected one of ${spec.values.join(', ')}`)
    }
    if (spec.repeatable === true && !listenGiven) {
      flags.listenAddresses = []
      listenGiven = true
    }
    spec.apply(flags, value)
  }
  if (!flags.telemetryPath.startsWith('/')) throw new FlagError(`invalid value ${JSON.stringify(flags.telemetryPath)} for flag --web.telemetry-path: it must start with "/"`)
  if (flags.externalUrl !== '') {
    try {
      // eslint-disable-next-line no-new
      new URL(flags.externalUrl)
    } catch {
      throw new FlagError(`invalid value ${JSON.stringify(flags.externalUrl)} for flag --web.external-url: not a URL`)
    }
  }
  return { command: 'run', flags }
}

/** The route prefix as the Go binary computes it: the flag, else the external URL's path; `/x/` becomes `/x`, `/` becomes empty. */
export function routePrefixOf (flags: Pick<ServerFlags, 'routePrefix' | 'externalUrl'>): string {
  let prefix = flags.routePrefix
  if (prefix === '' && flags.externalUrl !== '') prefix = new URL(flags.externalUrl).pathname
  const trimmed = prefix.replace(/^\/+|\/+$/g, '')
  return trimmed === '' ? '' : '/' + trimmed
}

/** The flags as `/api/v1/status` reports them, formatted as Go prints them. */
export function statusFlags (flags: ServerFlags): Record<string, string> {
  return {
    'log.format': flags.logFormat,
    'log.level': flags.logLevel,
    'persistence.file': flags.persistenceFile,
    'persistence.interval': formatGoDuration(flags.persistenceIntervalMs),
    'push.disable-consistency-check': String(flags.disableConsistencyCheck),
    'web.enable-admin-api': String(flags.enableAdminApi),
    'web.enable-lifecycle': String(flags.enableLifecycle),
    'web.external-url': flags.externalUrl,
    'web.listen-address': flags.listenAddresses.join(','),
    'web.route-prefix': routePrefixOf(flags),
    'web.telemetry-path': flags.telemetryPath
  }
}

/** The `--help` text: every flag with its default. */
export function usage (): string {
  let text = 'usage: pushgateway-middleware [<flags>]\n\nThe Pushgateway, in Node.js.\n\nFlags:\n  -h, --help     Show this help.\n      --version  Show the version.\n'
  for (const spec of SPECS) {
    const flag = spec.kind === 'bool' ? `--[no-]${spec.name}` : `--${spec.name}=${spec.kind === 'duration' ? 'DURATION' : 'VALUE'}`
    text += `      ${flag}\n          ${spec.help} Default: ${JSON.stringify(spec.fallback)}.\n`
  }
  return text
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Parses a Go duration (`5m`, `1h30m`, `1.5s`, `500ms`) into milliseconds. */
export function parseGoDuration (text: string): number {
  const parts = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(text) ? text.match(/\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)/g) : null
  if (parts === null) {
    if (text === '0') return 0
    throw new FlagError(`invalid duration ${JSON.stringify(text)}: use Go syntax such as 5m, 1h30m or 500ms`)
  }
  let ms = 0
  for (const part of parts) {
    const unit = /[a-zµ]+$/.exec(part)?.[0] as string
    ms += Number(part.slice(0, -unit.length)) * (UNIT_MS[unit] as number)
  }
  return ms
}

/** Formats milliseconds as Go's `time.Duration.String()` does for whole milliseconds: `5m0s`, `1h30m0s`, `1.5s`, `500ms`. */
export function formatGoDuration (ms: number): string {
  if (ms === 0) return '0s'
  if (ms < 1000) return `${ms}ms`
  const hours = Math.floor(ms / 3_600_000)
  const minutes = Math.floor((ms % 3_600_000) / 60_000)
  const seconds = (ms % 60_000) / 1000
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`
  if (minutes > 0) return `${minutes}m${seconds}s`
  return `${seconds}s`
}

function defaults (): ServerFlags {
  return {
    listenAddresses: [':9091'],
    telemetryPath: '/metrics',
    routePrefix: '',
    externalUrl: '',
    enableAdminApi: false,
    enableLifecycle: false,
    persistenceFile: '',
    persistenceIntervalMs: 300_000,
    disableConsistencyCheck: false,
    logLevel: 'info',
    logFormat: 'logfmt'
  }
}
