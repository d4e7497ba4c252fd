import { goQuote } from '../exposition/go-quote.js'
import { GAUGE_RULES, type GaugeRule } from '../groups/aggregate.js'
import { DEFAULT_LIMITS, LIMIT_FLAGS, type ResolvedLimits } from '../groups/limits.js'
import { DEFAULT_BODY_LIMIT, DEFAULT_READ_TIMEOUT } from '../http/body.js'
import type { LogFormat, LogLevel } from '../log.js'

/** The standalone server's settings, from the Go binary's flags. */
export interface ServerFlags {
  /** `--web.listen-address` (repeatable): where to listen, Go syntax (`:9091`, `127.0.0.1:0`, `[::1]:9100`). Default `[':9091']`. */
  listenAddresses: string[]
  /** `--web.telemetry-path` as given: the exposition path, joined to the route prefix. Default `'/metrics'`. */
  telemetryPath: string
  /** `--web.route-prefix` as given; see `computeRoutePrefix`. Default `''`. */
  routePrefix: string
  /** `--web.external-url`: its path is the default route prefix. Default `''`. */
  externalUrl: string
  /** `--web.enable-admin-api`: serve `PUT /api/v1/admin/wipe`. Default `false`. */
  enableAdminApi: boolean
  /** `--web.enable-lifecycle`: serve `PUT`/`POST /-/quit`. Default `false`. */
  enableLifecycle: boolean
  /** `--persistence.file`: the snapshot file, loaded at start and written after changes and on shutdown; `''` keeps metrics in memory only. Default `''`. */
  persistenceFile: string
  /** `--persistence.interval` in nanoseconds, as Go's `time.Duration`. Default 5 minutes. */
  persistenceIntervalNs: bigint
  /** `--push.disable-consistency-check`: answer pushes with 202 at once. Default `false`. */
  disableConsistencyCheck: boolean
  /** `--push.enable-utf8-names`: accept any UTF-8 metric and label name (the core's `utf8Names`). Default `false`. */
  enableUtf8Names: boolean
  /** `--push.group-ttl=<duration>`: how long a group lives after its last successful push, in nanoseconds; `0n` keeps groups. Default `0n`. */
  groupTtlNs: bigint
  /** `--push.group-ttl=<job>=<duration>` (repeatable): TTLs by job in nanoseconds that override `groupTtlNs`; `0n` keeps that job's groups. Default none. */
  jobTtlsNs: Record<string, bigint>
  /** `--aggregate.gauge-rule=<rule>`: how aggregate pushes combine gauges (`last`, `sum`, `min`, `max`). Default `'last'`. */
  gaugeRule: GaugeRule
  /** `--aggregate.gauge-rule=<family>=<rule>` (repeatable): rules by gauge family that override `gaugeRule`. Default none. */
  gaugeRules: Record<string, GaugeRule>
  /** `--limits.body-size`: largest request body in bytes, after decompression. Default 16 MiB. */
  bodyLimit: number
  /** `--limits.*`: the push and store limits; `Infinity` where the flag is 0. Default `DEFAULT_LIMITS`. */
  limits: ResolvedLimits
  /** `--web.read-timeout`: time allowed to receive a request body, in nanoseconds; `0n` for none. Default 1 minute. */
  readTimeoutNs: bigint
  /** `--web.systemd-socket`: listen on the sockets systemd passes (socket activation) instead of `listenAddresses`. Default `false`. */
  systemdSocket: boolean
  /** `--web.config.file`: an exporter-toolkit web config file enabling TLS, basic auth and headers; `''` for none. Default `''`. */
  webConfigFile: string
  /** `--web.local-assets`: the Go binary's directory of UI templates and assets; taken and not read (the status page is built in). Default `''`. */
  localAssets: string
  /** `--store.redis-url`: keep the groups in the Redis at this `redis://` or `rediss://` URL, shared by every process that uses it, instead of in memory; `''` for memory. Default `''`. */
  redisUrl: string
  /** `--store.redis-cluster`: take `redisUrl` as one node of a Redis Cluster, from which the others are found. Default `false`. */
  redisCluster: boolean
  /** `--store.redis-prefix`: the prefix of the Redis store's keys. Default `'pushgateway'`. */
  redisPrefix: string
  /** `--store.redis-timeout`: how long a request waits for Redis before it is answered 503, in nanoseconds. Default 2 seconds. */
  redisTimeoutNs: bigint
  /** `--web.workers`: how many processes serve the listen addresses together (`node:cluster`); more than 1 needs `redisUrl`. Default `1`. */
  workers: number
  /** `--log.level`. Default `'info'`. */
  logLevel: LogLevel
  /** `--log.format`. Default `'logfmt'`. */
  logFormat: LogFormat
}

/** What the command line asks for: run the server with these flags, or print the help or the version. */
export type ParsedArgs = { command: 'run', flags: ServerFlags } | { command: 'help' } | { command: 'man' } | { command: 'version' }

/** A command line the server cannot run with; the message names the flag, as kingpin's do. */
export class FlagError extends Error {
  override name = 'FlagError'
}

interface FlagSpec {
  name: string
  kind: 'string' | 'bool' | 'duration' | 'enum' | 'url' | 'count' | 'ttl' | 'rule' | 'redis-url'
  help: string
  fallback: string
  values?: readonly string[]
  /** Clears the default before the first of the repeated values is applied. */
  repeatable?: (flags: ServerFlags) => void
  /** What is wrong with a value its kind accepts, or undefined. */
  check?: (value: string) => string | undefined
  apply: (flags: ServerFlags, value: string) => void
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']
const LOG_FORMATS: readonly LogFormat[] = ['logfmt', 'json']
// strconv.ParseBool, which kingpin uses for `--flag=value`.
const BOOLS: Readonly<Record<string, boolean>> = { 1: true, t: true, T: true, true: true, TRUE: true, True: true, 0: false, f: false, F: false, false: false, FALSE: false, False: false }

const SPECS: readonly FlagSpec[] = [
  { name: 'web.listen-address', kind: 'string', repeatable: f => { f.listenAddresses = [] }, fallback: ':9091', help: 'Addresses on which to expose metrics and web interface. Repeatable for multiple addresses. Examples: `:9100` or `[::1]:9100`.', apply: (f, v) => { f.listenAddresses.push(v) } },
  { name: 'web.telemetry-path', kind: 'string', fallback: '/metrics', help: 'Path under which to expose metrics.', apply: (f, v) => { f.telemetryPath = v } },
  { name: 'web.external-url', kind: 'url', fallback: '', help: 'The URL under which the Pushgateway is externally reachable.', apply: (f, v) => { f.externalUrl = v } },
  { name: 'web.route-prefix', kind: 'string', fallback: '', help: 'Prefix for the internal routes of web endpoints. Defaults to the path of --web.external-url.', apply: (f, v) => { f.routePrefix = v } },
  { name: 'web.enable-lifecycle', kind: 'bool', fallback: 'false', help: 'Enable shutdown via HTTP request.', apply: (f, v) => { f.enableLifecycle = BOOLS[v] === true } },
  { name: 'web.enable-admin-api', kind: 'bool', fallback: 'false', help: 'Enable API endpoints for admin control actions.', apply: (f, v) => { f.enableAdminApi = BOOLS[v] === true } },
  { name: 'persistence.file', kind: 'string', fallback: '', help: 'File to persist metrics. If empty, metrics are only kept in memory.', apply: (f, v) => { f.persistenceFile = v } },
  { name: 'persistence.interval', kind: 'duration', fallback: '5m', help: 'The minimum interval at which to write out the persistence file.', apply: (f, v) => { f.persistenceIntervalNs = parseGoDuration(v) } },
  { name: 'push.disable-consistency-check', kind: 'bool', fallback: 'false', help: 'Do not check consistency of pushed metrics. DANGEROUS.', apply: (f, v) => { f.disableConsistencyCheck = BOOLS[v] === true } },
  { name: 'push.enable-utf8-names', kind: 'bool', fallback: 'false', help: 'Allow UTF-8 characters in metric and label names.', apply: (f, v) => { f.enableUtf8Names = BOOLS[v] === true } },
  { name: 'push.group-ttl', kind: 'ttl', fallback: '0s', repeatable: f => { f.groupTtlNs = 0n; f.jobTtlsNs = {} }, help: 'How long a group lives after its last successful push (0s: until deleted). <job>=<duration> sets it for one job. Repeatable.', apply: applyTtl },
  { name: 'aggregate.gauge-rule', kind: 'rule', fallback: 'last', repeatable: f => { f.gaugeRule = 'last'; f.gaugeRules = {} }, help: 'How aggregate pushes combine gauges: last, sum, min or max. <family>=<rule> sets it for one family. Repeatable.', apply: applyGaugeRule },
  { name: 'limits.body-size', kind: 'count', fallback: String(DEFAULT_BODY_LIMIT), help: 'Largest request body in bytes, after decompression.', check: v => Number(v) === 0 ? 'expected a positive number of bytes' : undefined, apply: (f, v) => { f.bodyLimit = Number(v) } },
  ...limitSpecs(),
  { name: 'web.systemd-socket', kind: 'bool', fallback: 'false', help: 'Use systemd socket activation listeners instead of port listeners (Linux only).', apply: (f, v) => { f.systemdSocket = BOOLS[v] === true } },
  { name: 'web.local-assets', kind: 'string', fallback: '', help: 'Path to static assets/templates directory. Taken for compatibility and not read: the status page is built in.', apply: (f, v) => { f.localAssets = v } },
  { name: 'web.config.file', kind: 'string', fallback: '', help: 'Path to configuration file that can enable TLS or authentication. See: https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md', apply: (f, v) => { f.webConfigFile = v } },
  { name: 'web.read-timeout', kind: 'duration', fallback: formatGoDuration(BigInt(DEFAULT_READ_TIMEOUT) * 1_000_000n), help: 'Time allowed to receive a request body (0s: no limit).', apply: (f, v) => { f.readTimeoutNs = parseGoDuration(v) } },
  { name: 'store.redis-url', kind: 'redis-url', fallback: '', help: 'Keep the groups in this Redis (redis://host:port/db or rediss://…), shared by every Pushgateway that uses it, instead of in memory. Redis keeps them across restarts (turn on its append-only file).', apply: (f, v) => { f.redisUrl = v } },
  { name: 'store.redis-cluster', kind: 'bool', fallback: 'false', help: 'Take --store.redis-url as one node of a Redis Cluster, from which the others are found.', apply: (f, v) => { f.redisCluster = BOOLS[v] === true } },
  { name: 'store.redis-prefix', kind: 'string', fallback: 'pushgateway', help: 'Prefix of the keys in Redis, for several Pushgateways sharing one Redis.', check: v => v === '' || /[{}]/.test(v) ? 'expected a non-empty prefix without { or }' : undefined, apply: (f, v) => { f.redisPrefix = v } },
  { name: 'store.redis-timeout', kind: 'duration', fallback: '2s', help: 'How long a request waits for Redis before it is answered 503.', check: redisTimeoutProblem, apply: (f, v) => { f.redisTimeoutNs = parseGoDuration(v) } },
  { name: 'web.workers', kind: 'count', fallback: '1', help: 'Number of processes serving the listen addresses together. More than 1 needs --store.redis-url.', check: v => Number(v) === 0 ? 'expected 1 or more' : undefined, apply: (f, v) => { f.workers = Number(v) } },
  { name: 'log.level', kind: 'enum', values: LOG_LEVELS, fallback: 'info', help: 'Only log messages with the given severity or above. One of: [debug, info, warn, error]', apply: (f, v) => { f.logLevel = v as LogLevel } },
  { name: 'log.format', kind: 'enum', values: LOG_FORMATS, fallback: 'logfmt', help: 'Output format of log messages. One of: [logfmt, json]', apply: (f, v) => { f.logFormat = v as LogFormat } }
]
const BY_NAME = new Map(SPECS.map(spec => [spec.name, spec]))

function limitSpecs (): FlagSpec[] {
  const help: Readonly<Record<keyof ResolvedLimits, string>> = {
    seriesPerPush: 'Most series in one push',
    seriesPerGroup: 'Most series in one group',
    groups: 'Most groups stored',
    series: 'Most series stored',
    labelNameLength: 'Longest label name, in characters',
    labelValueLength: 'Longest label value, in UTF-8 bytes',
    labelsPerSeries: 'Most labels on one series',
    writersPerGroup: 'Most writers of cumulative aggregate pushes remembered per group',
    groupsPerJob: 'Most groups of one job',
    seriesPerJob: 'Most series in all groups of one job',
    metricNameLength: 'Longest metric name, in characters',
    helpLength: 'Longest HELP text, in UTF-8 bytes',
    bucketsPerHistogram: 'Most buckets in one histogram, classic and native',
    bodyBytesInFlight: 'Most bytes of request bodies received at once, decompressed, across all uploads'
  }
  return (Object.keys(LIMIT_FLAGS) as Array<keyof ResolvedLimits>).map(limit => ({
    name: LIMIT_FLAGS[limit],
    kind: 'count',
    fallback: DEFAULT_LIMITS[limit] === Infinity ? '0' : String(DEFAULT_LIMITS[limit]),
    help: `${help[limit]} (0: no limit).`,
    apply: (f, v) => { f.limits = { ...f.limits, [limit]: v === '0' ? Infinity : Number(v) } }
  }))
}

function applyTtl (flags: ServerFlags, value: string): void {
  const eq = value.lastIndexOf('=')
  if (eq === -1) flags.groupTtlNs = parseGoDuration(value)
  else setOwn(flags.jobTtlsNs, value.slice(0, eq), parseGoDuration(value.slice(eq + 1)))
}

function applyGaugeRule (flags: ServerFlags, value: string): void {
  const eq = value.lastIndexOf('=')
  if (eq === -1) flags.gaugeRule = value as GaugeRule
  else setOwn(flags.gaugeRules, value.slice(0, eq), value.slice(eq + 1) as GaugeRule)
}

// A job or family named __proto__ is a key like any other, not the object's prototype.
function setOwn<T> (record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true })
}

/** The flags the Go binary runs with when none are given. */
export function defaultFlags (): ServerFlags {
  return {
    listenAddresses: [':9091'],
    telemetryPath: '/metrics',
    routePrefix: '',
    externalUrl: '',
    enableAdminApi: false,
    enableLifecycle: false,
    persistenceFile: '',
    persistenceIntervalNs: 300_000_000_000n,
    disableConsistencyCheck: false,
    enableUtf8Names: false,
    groupTtlNs: 0n,
    jobTtlsNs: {},
    gaugeRule: 'last',
    gaugeRules: {},
    bodyLimit: DEFAULT_BODY_LIMIT,
    limits: DEFAULT_LIMITS,
    readTimeoutNs: BigInt(DEFAULT_READ_TIMEOUT) * 1_000_000n,
    systemdSocket: false,
    webConfigFile: '',
    localAssets: '',
    redisUrl: '',
    redisCluster: false,
    redisPrefix: 'pushgateway',
    redisTimeoutNs: 2_000_000_000n,
    workers: 1,
    logLevel: 'info',
    logFormat: 'logfmt'
  }
}

/**
 * Parses the Go binary's command line, kingpin style: `--flag=value` or `--flag value`, booleans
 * as `--flag`, `--no-flag` or `--flag=true|false`; `-h`/`--help` (`--help-long`), `--help-man` and
 * `--version` win. Throws a
 * `FlagError` naming the flag for unknown flags, bad values and repeated flags, and naming both
 * flags for flags that cannot go together.
 */
export function parseArgs (argv: readonly string[]): ParsedArgs {
  const flags = defaultFlags()
  const seen = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '-h' || arg === '--help' || arg === '--help-long') return { command: 'help' }
    if (arg === '--help-man') return { command: 'man' }
    if (arg === '--version') return { command: 'version' }
    if (!arg.startsWith('-') || arg === '-') throw new FlagError(`unexpected ${arg}`)
    if (!arg.startsWith('--')) throw new FlagError(`unknown short flag '${arg.slice(0, 2)}'`)
    const eq = arg.indexOf('=')
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    let value = eq === -1 ? undefined : arg.slice(eq + 1)
    if (value === undefined && name.startsWith('no-') && isBoolFlag(name.slice(3))) {
      name = name.slice(3)
      value = 'false'
    }
    const spec = BY_NAME.get(name)
    if (spec === undefined) throw new FlagError(`unknown long flag '--${name}'`)
    if (seen.has(name) && spec.repeatable === undefined) throw new FlagError(`flag '--${name}' cannot be repeated`)
    if (spec.kind === 'bool') {
      value ??= 'true'
    } else if (value === undefined) {
      value = argv[++i]
      if (value === undefined) throw new FlagError(`expected argument for flag '--${name}'`)
    }
    checkValue(spec, value)
    if (!seen.has(name)) spec.repeatable?.(flags)
    seen.add(name)
    spec.apply(flags, value)
  }
  checkCombination(flags)
  return { command: 'run', flags }
}

function checkCombination (flags: ServerFlags): void {
  if (flags.persistenceFile !== '' && flags.redisUrl !== '') {
    throw new FlagError("flag '--persistence.file' cannot be used with '--store.redis-url': Redis keeps the groups itself (turn on its append-only file)")
  }
  if (flags.redisCluster && flags.redisUrl === '') {
    throw new FlagError("flag '--store.redis-cluster' needs '--store.redis-url': the address of one node of the cluster")
  }
  if (flags.redisCluster && !/^\/?0?$/.test(new URL(flags.redisUrl).pathname)) {
    throw new FlagError("flag '--store.redis-cluster' cannot be used with a database in '--store.redis-url': a Redis Cluster has only database 0")
  }
  if (flags.workers > 1 && flags.redisUrl === '') {
    throw new FlagError(`flag '--web.workers=${flags.workers}' needs '--store.redis-url': each worker would keep groups of its own`)
  }
  if (flags.workers > 1 && flags.systemdSocket) {
    // systemd hands its sockets to the process it started, not to the workers that process forks.
    throw new FlagError(`flag '--web.workers=${flags.workers}' cannot be used with '--web.systemd-socket'`)
  }
}

function isBoolFlag (name: string): boolean {
  return BY_NAME.get(name)?.kind === 'bool'
}

function checkValue (spec: FlagSpec, value: string): void {
  let problem: string | undefined
  if (spec.kind === 'bool' && BOOLS[value] === undefined) problem = 'expected true or false'
  if (spec.values !== undefined && !spec.values.includes(value)) problem = `expected one of ${spec.values.join(', ')}`
  if (spec.kind === 'url') problem = urlProblem(value)
  if (spec.kind === 'redis-url') problem = redisUrlProblem(value)
  if (spec.kind === 'duration') problem = durationProblem(value, false)
  if (spec.kind === 'ttl') problem = ttlProblem(value)
  if (spec.kind === 'rule') problem = ruleProblem(value)
  if (spec.kind === 'count' && !/^[0-9]{1,15}$/.test(value)) problem = 'expected a whole number'
  if (problem === undefined) problem = spec.check?.(value)
  if (problem !== undefined) throw new FlagError(`invalid value ${goQuote(value)} for flag '--${spec.name}': ${problem}`)
}

function redisUrlProblem (value: string): string | undefined {
  if (value === '') return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return REDIS_URL_EXPECTED
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '' || !/^(\/[0-9]*)?$/.test(url.pathname) || url.search !== '' || url.hash !== '') return REDIS_URL_EXPECTED
  return undefined
}
const REDIS_URL_EXPECTED = 'expected redis://host:port/db or rediss://host:port/db'

// The store times requests out with setTimeout, which takes whole milliseconds up to 2^31 - 1.
function redisTimeoutProblem (value: string): string | undefined {
  const ns = parseGoDuration(value)
  if (ns < 1_000_000n) return 'expected a duration of 1ms or more'
  return ns > MAX_TIMER_NS ? `expected a duration of ${formatGoDuration(MAX_TIMER_NS)} or less` : undefined
}
const MAX_TIMER_NS = 2_147_483_647n * 1_000_000n

function urlProblem (value: string): string | undefined {
  try {
    urlPath(value)
    return undefined
  } catch {
    return 'not a valid URL'
  }
}

function durationProblem (value: string, negativeAllowed = true): string | undefined {
  try {
    const ns = parseGoDuration(value)
    return negativeAllowed || ns >= 0n ? undefined : 'expected a duration of 0s or more'
  } catch (err) {
    return (err as FlagError).message
  }
}

function ttlProblem (value: string): string | undefined {
  const eq = value.lastIndexOf('=')
  if (eq === 0) return 'expected <duration> or <job>=<duration> with a job name'
  return durationProblem(eq === -1 ? value : value.slice(eq + 1), false)
}

function ruleProblem (value: string): string | undefined {
  const eq = value.lastIndexOf('=')
  if (eq === 0) return 'expected <rule> or <family>=<rule> with a family name'
  return GAUGE_RULES.includes(value.slice(eq + 1) as GaugeRule) ? undefined : `expected ${GAUGE_RULES.join(', ')}, or <family>=<rule>`
}

// The decoded path of a URL as Go's url.Parse reads it; relative URLs such as `/pgw/` are fine.
function urlPath (value: string): string {
  if (value === '') return ''
  return decodeURIComponent(new URL(value, 'http://relative.invalid').pathname)
}

/**
 * The route prefix as the Go binary computes it: `routePrefix`, or when empty the path of
 * `externalUrl`; `"/"` becomes `""`, anything else starts with `/` and never ends with one.
 */
export function computeRoutePrefix (routePrefix: string, externalUrl: string): string {
  let prefix = routePrefix === '' ? urlPath(externalUrl) : routePrefix
  let end = prefix.length
  while (end > 0 && prefix.charCodeAt(end - 1) === 0x2f) end--
  prefix = prefix.slice(0, end)
  if (prefix === '') return ''
  return prefix.startsWith('/') ? prefix : '/' + prefix
}

/** The route prefix of these flags (`computeRoutePrefix` of `--web.route-prefix` and `--web.external-url`). */
export function routePrefixOf (flags: Pick<ServerFlags, 'routePrefix' | 'externalUrl'>): string {
  return computeRoutePrefix(flags.routePrefix, flags.externalUrl)
}

/**
 * The flags as the Go binary's `/api/v1/status` reports them, formatted as Go prints them
 * (`5m0s`, `true`, addresses joined with `,`, the computed route prefix), and ours; the Redis
 * URL without its password (`redactedUrl`).
 */
export function statusFlags (flags: ServerFlags): Record<string, string> {
  return {
    'log.format': flags.logFormat,
    'log.level': flags.logLevel,
    'persistence.file': flags.persistenceFile,
    'persistence.interval': formatGoDuration(flags.persistenceIntervalNs),
    'push.disable-consistency-check': String(flags.disableConsistencyCheck),
    'push.group-ttl': [formatGoDuration(flags.groupTtlNs), ...Object.entries(flags.jobTtlsNs).map(([job, ns]) => `${job}=${formatGoDuration(ns)}`)].join(','),
    'aggregate.gauge-rule': [flags.gaugeRule, ...Object.entries(flags.gaugeRules).map(([family, rule]) => `${family}=${rule}`)].join(','),
    'limits.body-size': String(flags.bodyLimit),
    ...Object.fromEntries((Object.keys(LIMIT_FLAGS) as Array<keyof ResolvedLimits>).map(limit => [LIMIT_FLAGS[limit], String(flags.limits[limit] === Infinity ? 0 : flags.limits[limit])])),
    'web.read-timeout': formatGoDuration(flags.readTimeoutNs),
    'push.enable-utf8-names': String(flags.enableUtf8Names),
    'web.config.file': flags.webConfigFile,
    'web.local-assets': flags.localAssets,
    'web.enable-admin-api': String(flags.enableAdminApi),
    'web.enable-lifecycle': String(flags.enableLifecycle),
    'web.external-url': flags.externalUrl,
    'web.listen-address': flags.listenAddresses.join(','),
    'web.route-prefix': routePrefixOf(flags),
    'web.systemd-socket': String(flags.systemdSocket),
    'web.telemetry-path': flags.telemetryPath,
    'store.redis-url': redactedUrl(flags.redisUrl),
    'store.redis-cluster': String(flags.redisCluster),
    'store.redis-prefix': flags.redisPrefix,
    'store.redis-timeout': formatGoDuration(flags.redisTimeoutNs),
    'web.workers': String(flags.workers)
  }
}

/**
 * A URL with its password, if any, replaced by `xxxxx`, as Go's `url.URL.Redacted()` writes it:
 * the form in which a Redis URL is shown and logged. `''` stays `''`.
 */
export function redactedUrl (url: string): string {
  if (url === '') return ''
  const parsed = new URL(url)
  if (parsed.password === '') return url
  parsed.password = 'xxxxx'
  return parsed.href
}

/** The `--help` text, kingpin style: every flag with its default. */
export function usage (): string {
  let text = 'usage: pushgateway-middleware [<flags>]\n\nThe Pushgateway, in Node.js (a drop-in for the Go binary).\n\nFlags:\n' +
    '  -h, --help                     Show this help.\n' +
    '      --version                  Show application version.\n'
  for (const spec of SPECS) {
    const flag = spec.kind === 'bool' ? `--[no-]${spec.name}` : `--${spec.name}=${goQuote(spec.fallback)}`
    text += `      ${flag}\n          ${spec.help} Default: ${goQuote(spec.fallback)}.\n`
  }
  return text
}

/** The `--help-man` text: a man page in roff, every flag with its default, as kingpin prints one. */
export function manPage (): string {
  const roff = (text: string): string => text.replaceAll('\\', '\\e').replaceAll('-', '\\-')
  const entries: Array<[string, string]> = [['-h, --help', 'Show this help.'], ['--version', 'Show application version.']]
  for (const spec of SPECS) {
    const flag = spec.kind === 'bool' ? `--[no-]${spec.name}` : `--${spec.name}=${goQuote(spec.fallback)}`
    entries.push([flag, `${spec.help} Default: ${goQuote(spec.fallback)}.`])
  }
  return '.TH pushgateway-middleware 1 "" "pushgateway-middleware"\n.SH "NAME"\npushgateway-middleware\n' +
    '.SH "SYNOPSIS"\n.TP\n\\fBpushgateway\\-middleware [<flags>]\\fR\n.SH "DESCRIPTION"\nThe Pushgateway, in Node.js (a drop\\-in for the Go binary).\n.SH "OPTIONS"\n' +
    entries.map(([flag, help]) => `.TP\n\\fB${roff(flag)}\\fR\n${roff(help)}\n`).join('')
}

const NS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n, us: 1_000n, µs: 1_000n, μs: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n
}
const MAX_DURATION = (1n << 63n) - 1n
const DIGIT = /[0-9]/

/**
 * Parses a duration as Go's `time.ParseDuration` does (`5m`, `1h30m`, `1.5s`, `500ms`, `-2h`,
 * `0`) into nanoseconds; throws a `FlagError` with Go's message for anything else.
 */
export function parseGoDuration (text: string): bigint {
  let rest = text
  const negative = rest.startsWith('-')
  if (negative || rest.startsWith('+')) rest = rest.slice(1)
  if (rest === '0') return 0n
  if (rest === '') throw new FlagError(`time: invalid duration ${goQuote(text)}`)
  let total = 0n
  while (rest !== '') {
    const number = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest) as RegExpExecArray
    const whole = number[1] as string
    const fraction = number[2] ?? ''
    if (whole === '' && fraction === '') throw new FlagError(`time: invalid duration ${goQuote(text)}`)
    rest = rest.slice(number[0].length)
    let unitEnd = 0
    while (unitEnd < rest.length && rest[unitEnd] !== '.' && !DIGIT.test(rest[unitEnd] as string)) unitEnd++
    const unitName = rest.slice(0, unitEnd)
    rest = rest.slice(unitEnd)
    if (unitName === '') throw new FlagError(`time: missing unit in duration ${goQuote(text)}`)
    const unit = NS_PER_UNIT[unitName]
    if (unit === undefined) throw new FlagError(`time: unknown unit ${goQuote(unitName)} in duration ${goQuote(text)}`)
    total += BigInt(whole === '' ? 0 : whole) * unit
    if (fraction !== '') total += BigInt(fraction) * unit / 10n ** BigInt(fraction.length)
    if (total > MAX_DURATION + (negative ? 1n : 0n)) throw new FlagError(`time: invalid duration ${goQuote(text)}`)
  }
  return negative ? -total : total
}

/** Formats nanoseconds as Go's `time.Duration.String()` does: `5m0s`, `1h30m0s`, `1.5s`, `500ms`, `1.5µs`, `0s`. */
export function formatGoDuration (ns: bigint): string {
  const sign = ns < 0n ? '-' : ''
  const u = ns < 0n ? -ns : ns
  if (u === 0n) return '0s'
  if (u < 1_000n) return `${sign}${u}ns`
  if (u < 1_000_000n) return `${sign}${withFraction(u, 3)}µs`
  if (u < 1_000_000_000n) return `${sign}${withFraction(u, 6)}ms`
  const seconds = withFraction(u % 60_000_000_000n, 9)
  const minutes = u / 60_000_000_000n
  if (minutes === 0n) return `${sign}${seconds}s`
  if (minutes < 60n) return `${sign}${minutes}m${seconds}s`
  return `${sign}${minutes / 60n}h${minutes % 60n}m${seconds}s`
}

// `value / 10^digits` in decimal, without trailing zeros (Go's fmtFrac and fmtInt).
function withFraction (value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits)
  const fraction = (value % scale).toString().padStart(digits, '0').replace(/0+$/, '')
  return fraction === '' ? `${value / scale}` : `${value / scale}.${fraction}`
}
