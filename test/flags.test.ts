import t from 'tap'
import { FlagError, formatGoDuration, parseArgs, parseGoDuration, routePrefixOf, statusFlags, usage, type ServerFlags } from '../src/flags.js'

function run (argv: string[]): ServerFlags {
  const parsed = parseArgs(argv)
  if (parsed.command !== 'run') throw new Error('expected run')
  return parsed.flags
}

t.test('defaults are the Go binary\'s', async t => {
  t.same(run([]), {
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
  })
})

t.test('both syntaxes, booleans, repeatable addresses', async t => {
  const flags = run([
    '--web.listen-address=127.0.0.1:0', '--web.listen-address', '[::1]:9100',
    '--web.telemetry-path', '/prom', '--web.external-url=http://example.com/pgw/',
    '--web.enable-admin-api', '--web.enable-lifecycle=true', '--no-push.disable-consistency-check',
    '--persistence.file=pg.data', '--persistence.interval', '1h30m',
    '--log.level=debug', '--log.format', 'json'
  ])
  t.same(flags.listenAddresses, ['127.0.0.1:0', '[::1]:9100'], 'a given address replaces the default')
  t.equal(flags.telemetryPath, '/prom')
  t.equal(flags.enableAdminApi, true)
  t.equal(flags.enableLifecycle, true)
  t.equal(flags.disableConsistencyCheck, false)
  t.equal(flags.persistenceFile, 'pg.data')
  t.equal(flags.persistenceIntervalMs, 5_400_000)
  t.equal(flags.logLevel, 'debug')
  t.equal(flags.logFormat, 'json')
  t.equal(run(['--push.disable-consistency-check']).disableConsistencyCheck, true)
  t.equal(run(['--web.enable-admin-api=false']).enableAdminApi, false)
  t.equal(run(['--web.route-prefix', '/x/']).routePrefix, '/x/')
})

t.test('help and version', async t => {
  t.same(parseArgs(['--log.level=debug', '-h']), { command: 'help' })
  t.same(parseArgs(['--help']), { command: 'help' })
  t.same(parseArgs(['--version']), { command: 'version' })
  const text = usage()
  for (const flag of ['--web.listen-address=VALUE', '--[no-]web.enable-admin-api', '--persistence.interval=DURATION', 'Default: "5m"', 'Default: ":9091"']) t.match(text, flag)
})

t.test('bad command lines name the flag', async t => {
  const cases: Array<[string[], string]> = [
    [['--nope'], "unknown long flag '--nope'"],
    [['--no-web.telemetry-path'], "unknown long flag '--no-web.telemetry-path'"],
    [['serve'], "unexpected argument 'serve'"],
    [['--web.telemetry-path'], 'expected argument for flag --web.telemetry-path'],
    [['--web.enable-admin-api=yes'], 'invalid value "yes" for flag --web.enable-admin-api: expected true or false'],
    [['--log.level=trace'], 'invalid value "trace" for flag --log.level: expected one of debug, info, warn, error'],
    [['--log.format=text'], 'invalid value "text" for flag --log.format: expected one of logfmt, json'],
    [['--persistence.interval=5 minutes'], 'invalid duration "5 minutes": use Go syntax such as 5m, 1h30m or 500ms'],
    [['--web.telemetry-path=metrics'], 'invalid value "metrics" for flag --web.telemetry-path: it must start with "/"'],
    [['--web.external-url=not a url'], 'invalid value "not a url" for flag --web.external-url: not a URL'],
    [['--web.config.file=web.yml'], 'flag --web.config.file is not supported by pushgateway-middleware'],
    [['--push.enable-utf8-names'], 'flag --push.enable-utf8-names is not supported by pushgateway-middleware']
  ]
  for (const [argv, message] of cases) t.throws(() => parseArgs(argv), new FlagError(message), argv.join(' '))
})

t.test('route prefix as the Go binary computes it', async t => {
  const cases: Array<[string, string, string]> = [
    ['', '', ''],
    ['/', '', ''],
    ['', 'http://example.com/pgw/', '/pgw'],
    ['', 'http://example.com/', ''],
    ['pgw', '', '/pgw'],
    ['/a/b/', 'http://example.com/ignored', '/a/b']
  ]
  for (const [routePrefix, externalUrl, expected] of cases) t.equal(routePrefixOf({ routePrefix, externalUrl }), expected, `${routePrefix} ${externalUrl}`)
})

t.test('Go durations', async t => {
  const cases: Array<[string, number, string]> = [['5m', 300_000, '5m0s'], ['1h30m', 5_400_000, '1h30m0s'], ['1.5s', 1500, '1.5s'], ['500ms', 500, '500ms'], ['0', 0, '0s'], ['2h', 7_200_000, '2h0m0s'], ['1m30s', 90_000, '1m30s'], ['1000us', 1, '1ms'], ['2000000ns', 2, '2ms'], ['1000µs', 1, '1ms']]
  for (const [text, ms, formatted] of cases) {
    t.equal(parseGoDuration(text), ms, text)
    t.equal(formatGoDuration(ms), formatted, text)
  }
})

t.test('status flags are formatted as Go prints them', async t => {
  t.same(statusFlags(run(['--web.external-url=http://x/pgw/'])), {
    'log.format': 'logfmt',
    'log.level': 'info',
    'persistence.file': '',
    'persistence.interval': '5m0s',
    'push.disable-consistency-check': 'false',
    'web.enable-admin-api': 'false',
    'web.enable-lifecycle': 'false',
    'web.external-url': 'http://x/pgw/',
    'web.listen-address': ':9091',
    'web.route-prefix': '/pgw',
    'web.telemetry-path': '/metrics'
  })
})
