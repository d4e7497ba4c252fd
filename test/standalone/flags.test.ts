import t from 'tap'
import {
  FlagError, computeRoutePrefix, defaultFlags, formatGoDuration, manPage, parseArgs, parseGoDuration, redactedUrl, routePrefixOf, statusFlags, usage,
  type ServerFlags
} from '../../src/standalone/flags.js'

function run (argv: string[]): ServerFlags {
  const parsed = parseArgs(argv)
  if (parsed.command !== 'run') throw new Error('expected run')
  return parsed.flags
}

t.test('defaults are the Go binary\'s', async t => {
  const expected: ServerFlags = {
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
    bodyLimit: 16 * 1024 * 1024,
    limits: {
      seriesPerPush: 100_000,
      seriesPerGroup: 100_000,
      groups: 100_000,
      series: 1_000_000,
      labelNameLength: 1024,
      labelValueLength: 65_536,
      labelsPerSeries: 128,
      writersPerGroup: 10_000,
      groupsPerJob: Infinity,
      seriesPerJob: Infinity,
      metricNameLength: 1024,
      helpLength: 65_536,
      bucketsPerHistogram: 4096,
      bodyBytesInFlight: 128 * 1024 * 1024
    },
    readTimeoutNs: 60_000_000_000n,
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
  t.same(run([]), expected)
  t.same(defaultFlags(), expected)
  t.not(defaultFlags().listenAddresses, defaultFlags().listenAddresses, 'a fresh object each time')
})

t.test('every flag, with = and with a separate argument', async t => {
  const cases: Array<[string, string, Partial<ServerFlags>]> = [
    ['web.listen-address', '127.0.0.1:0', { listenAddresses: ['127.0.0.1:0'] }],
    ['web.telemetry-path', '/prom', { telemetryPath: '/prom' }],
    ['web.route-prefix', '/x/', { routePrefix: '/x/' }],
    ['web.external-url', 'http://example.com/pgw/', { externalUrl: 'http://example.com/pgw/' }],
    ['persistence.file', 'pg.data', { persistenceFile: 'pg.data' }],
    ['persistence.interval', '1h30m', { persistenceIntervalNs: 5_400_000_000_000n }],
    ['log.level', 'debug', { logLevel: 'debug' }],
    ['log.level', 'warn', { logLevel: 'warn' }],
    ['log.level', 'error', { logLevel: 'error' }],
    ['log.format', 'json', { logFormat: 'json' }],
    ['log.format', 'logfmt', { logFormat: 'logfmt' }],
    ['push.group-ttl', '10m', { groupTtlNs: 600_000_000_000n }],
    ['push.group-ttl', 'backup=1h', { jobTtlsNs: { backup: 3_600_000_000_000n } }],
    ['push.group-ttl', 'a=b=0s', { jobTtlsNs: { 'a=b': 0n } }],
    ['aggregate.gauge-rule', 'max', { gaugeRule: 'max' }],
    ['aggregate.gauge-rule', 'queue_depth=sum', { gaugeRules: { queue_depth: 'sum' } }],
    ['limits.writers-per-group', '0', { limits: { ...defaultFlags().limits, writersPerGroup: Infinity } }],
    ['limits.body-size', '1024', { bodyLimit: 1024 }],
    ['limits.series-per-push', '10', { limits: { ...defaultFlags().limits, seriesPerPush: 10 } }],
    ['limits.series-per-group', '0', { limits: { ...defaultFlags().limits, seriesPerGroup: Infinity } }],
    ['limits.groups', '5', { limits: { ...defaultFlags().limits, groups: 5 } }],
    ['limits.series', '50', { limits: { ...defaultFlags().limits, series: 50 } }],
    ['limits.label-name-length', '64', { limits: { ...defaultFlags().limits, labelNameLength: 64 } }],
    ['limits.label-value-length', '256', { limits: { ...defaultFlags().limits, labelValueLength: 256 } }],
    ['limits.labels-per-series', '0', { limits: { ...defaultFlags().limits, labelsPerSeries: Infinity } }],
    ['web.read-timeout', '5s', { readTimeoutNs: 5_000_000_000n }],
    ['web.read-timeout', '0s', { readTimeoutNs: 0n }],
    ['web.config.file', 'web.yml', { webConfigFile: 'web.yml' }],
    ['store.redis-url', 'redis://127.0.0.1:6379/2', { redisUrl: 'redis://127.0.0.1:6379/2' }],
    ['store.redis-url', 'rediss://user:secret@redis.example.com', { redisUrl: 'rediss://user:secret@redis.example.com' }],
    ['store.redis-url', 'redis://[::1]:6380/', { redisUrl: 'redis://[::1]:6380/' }],
    ['store.redis-url', '', { redisUrl: '' }],
    ['store.redis-prefix', 'pgw-eu', { redisPrefix: 'pgw-eu' }],
    ['store.redis-timeout', '500ms', { redisTimeoutNs: 500_000_000n }],
    ['store.redis-timeout', '1m', { redisTimeoutNs: 60_000_000_000n }],
    ['web.workers', '1', { workers: 1 }],
    ['web.workers', '4', { workers: 4, redisUrl: 'redis://r' }]
  ]
  for (const [name, value, expected] of cases) {
    // Workers need a Redis store, which the case gives too.
    const more = expected.workers === 4 ? ['--store.redis-url=redis://r'] : []
    t.same(run([`--${name}=${value}`, ...more]), { ...defaultFlags(), ...expected }, `--${name}=${value}`)
    t.same(run([`--${name}`, value, ...more]), { ...defaultFlags(), ...expected }, `--${name} ${value}`)
  }
  t.equal(run(['--web.telemetry-path=']).telemetryPath, '', 'an empty value')
  t.same([run(['--web.systemd-socket']).systemdSocket, run(['--no-web.systemd-socket']).systemdSocket], [true, false])
  t.same(['redis://r:7000', 'redis://r:7000/', 'redis://r:7000/0'].map(url => run(['--store.redis-cluster', `--store.redis-url=${url}`]).redisCluster), [true, true, true], 'a cluster node, with database 0 or none')
  const ttls = run(['--push.group-ttl=5m', '--push.group-ttl=backup=1h', '--push.group-ttl=ci=0s'])
  t.same([ttls.groupTtlNs, ttls.jobTtlsNs], [300_000_000_000n, { backup: 3_600_000_000_000n, ci: 0n }], 'the TTL flag repeats')
  t.same(statusFlags(ttls)['push.group-ttl'], '5m0s,backup=1h0m0s,ci=0s')
  t.same(run(['--push.group-ttl=backup=1h']).groupTtlNs, 0n, 'a job TTL alone leaves the default')
  const rules = run(['--aggregate.gauge-rule=queue=max', '--aggregate.gauge-rule=sum', '--aggregate.gauge-rule=__proto__=min'])
  t.equal(rules.gaugeRule, 'sum')
  t.strictSame(Object.entries(rules.gaugeRules), [['queue', 'max'], ['__proto__', 'min']], 'a family named __proto__ is a family')
  t.equal(statusFlags(rules)['aggregate.gauge-rule'], 'sum,queue=max,__proto__=min')
  t.strictSame(Object.entries(run(['--push.group-ttl=__proto__=1s']).jobTtlsNs), [['__proto__', 1_000_000_000n]], 'a job named __proto__ is a job')
  t.equal(statusFlags(run(['--limits.groups=0']))['limits.groups'], '0', 'no limit is reported as 0, as given')
  t.equal(statusFlags(run(['--push.enable-utf8-names']))['push.enable-utf8-names'], 'true')
  t.equal(run(['--web.route-prefix', '--x']).routePrefix, '--x', 'the next argument is the value, whatever it looks like')
})

t.test('booleans: --flag, --no-flag, --flag=true|false and strconv.ParseBool spellings', async t => {
  const names: Array<[string, keyof ServerFlags]> = [
    ['web.enable-admin-api', 'enableAdminApi'],
    ['web.enable-lifecycle', 'enableLifecycle'],
    ['push.disable-consistency-check', 'disableConsistencyCheck'],
    ['push.enable-utf8-names', 'enableUtf8Names']
  ]
  for (const [name, key] of names) {
    t.equal(run([`--${name}`])[key], true, `--${name}`)
    t.equal(run([`--no-${name}`])[key], false, `--no-${name}`)
    for (const value of ['true', 'TRUE', 'True', 't', 'T', '1']) t.equal(run([`--${name}=${value}`])[key], true, `--${name}=${value}`)
    for (const value of ['false', 'FALSE', 'False', 'f', 'F', '0']) t.equal(run([`--${name}=${value}`])[key], false, `--${name}=${value}`)
  }
  t.same(run(['--web.enable-lifecycle', '--log.level=debug']).logLevel, 'debug', 'a boolean takes no separate argument')
})

t.test('--web.listen-address is repeatable and replaces the default', async t => {
  t.same(run(['--web.listen-address=127.0.0.1:0', '--web.listen-address', '[::1]:9100', '--web.listen-address=:9200']).listenAddresses,
    ['127.0.0.1:0', '[::1]:9100', ':9200'])
})

t.test('help and version win', async t => {
  t.same(parseArgs(['--log.level=debug', '-h']), { command: 'help' })
  t.same(parseArgs(['--help', '--nope']), { command: 'help' })
  t.same(parseArgs(['--version']), { command: 'version' })
  t.same(parseArgs(['--help-long']), { command: 'help' }, 'kingpin\'s long help is the help')
  t.same(parseArgs(['--help-man']), { command: 'man' })
})

t.test('the man page lists every flag with its default, in roff', async t => {
  const text = manPage()
  t.match(text, /^\.TH pushgateway-middleware 1 /)
  for (const line of ['\\fB\\-h, \\-\\-help\\fR', '\\fB\\-\\-web.listen\\-address=":9091"\\fR', '\\fB\\-\\-[no\\-]web.enable\\-admin\\-api\\fR', 'Default: "false".', '\\fB\\-\\-web.local\\-assets=""\\fR']) t.ok(text.includes(line), line)
  t.equal(text.split('\n.TP\n').length, 3 + usage().split('\n      --').length - 1, 'one entry per flag of the usage')
})

t.test('--web.local-assets is taken and reported', async t => {
  const flags = run(['--web.local-assets=/usr/share/prometheus/pushgateway'])
  t.equal(flags.localAssets, '/usr/share/prometheus/pushgateway')
  t.equal(statusFlags(flags)['web.local-assets'], '/usr/share/prometheus/pushgateway')
})

t.test('the usage lists every flag with its default', async t => {
  const text = usage()
  t.match(text, /^usage: pushgateway-middleware \[<flags>\]\n/)
  for (const line of [
    '-h, --help', '--version',
    '--web.listen-address=":9091"', '--web.telemetry-path="/metrics"', '--web.external-url=""', '--web.route-prefix=""',
    '--[no-]web.enable-lifecycle', '--[no-]web.enable-admin-api', '--persistence.file=""', '--persistence.interval="5m"',
    '--[no-]push.disable-consistency-check', '--log.level="info"', '--log.format="logfmt"',
    'Default: "false".', '--push.group-ttl="0s"', '--limits.body-size="16777216"', '--limits.series-per-push="100000"',
    '--limits.series-per-group="100000"', '--limits.groups="100000"', '--limits.series="1000000"', '--limits.label-name-length="1024"',
    '--limits.label-value-length="65536"', '--limits.labels-per-series="128"', '--limits.writers-per-group="10000"', '--aggregate.gauge-rule="last"', '--web.read-timeout="1m0s"',
    '--web.config.file=""', 'Path to configuration file that can enable TLS or authentication. See: https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md',
    '--[no-]web.systemd-socket', 'Use systemd socket activation listeners instead of port listeners (Linux only).',
    '--[no-]push.enable-utf8-names', 'Allow UTF-8 characters in metric and label names.', '--web.local-assets=""',
    '--store.redis-url=""', '--[no-]store.redis-cluster', 'Take --store.redis-url as one node of a Redis Cluster, from which the others are found.', '--store.redis-prefix="pushgateway"', '--store.redis-timeout="2s"', '--web.workers="1"',
    'How long a request waits for Redis before it is answered 503. Default: "2s".',
    'Number of processes serving the listen addresses together. More than 1 needs --store.redis-url. Default: "1".'
  ]) t.ok(text.includes(line), line)
  t.notOk(text.includes('Not supported'), 'every flag of the Go binary is supported')
})

t.test('bad command lines name the flag', async t => {
  const cases: Array<[string[], string]> = [
    [['--nope'], "unknown long flag '--nope'"],
    [['--no-web.telemetry-path'], "unknown long flag '--no-web.telemetry-path'"],
    [['--no-web.enable-lifecycle=true'], "unknown long flag '--no-web.enable-lifecycle'"],
    [['-x'], "unknown short flag '-x'"],
    [['-vv'], "unknown short flag '-v'"],
    [['serve'], 'unexpected serve'],
    [['-'], 'unexpected -'],
    [['--web.telemetry-path'], "expected argument for flag '--web.telemetry-path'"],
    [['--web.telemetry-path=/a', '--web.telemetry-path=/b'], "flag '--web.telemetry-path' cannot be repeated"],
    [['--web.enable-lifecycle', '--no-web.enable-lifecycle'], "flag '--web.enable-lifecycle' cannot be repeated"],
    [['--web.enable-admin-api=yes'], 'invalid value "yes" for flag \'--web.enable-admin-api\': expected true or false'],
    [['--log.level=trace'], 'invalid value "trace" for flag \'--log.level\': expected one of debug, info, warn, error'],
    [['--log.level', 'INFO'], 'invalid value "INFO" for flag \'--log.level\': expected one of debug, info, warn, error'],
    [['--log.format=text'], 'invalid value "text" for flag \'--log.format\': expected one of logfmt, json'],
    [['--persistence.interval=5 minutes'], 'invalid value "5 minutes" for flag \'--persistence.interval\': time: unknown unit " minutes" in duration "5 minutes"'],
    [['--persistence.interval', '10'], 'invalid value "10" for flag \'--persistence.interval\': time: missing unit in duration "10"'],
    [['--web.external-url=http://exa mple.com/'], 'invalid value "http://exa mple.com/" for flag \'--web.external-url\': not a valid URL'],
    [['--web.external-url=http://example.com/%zz'], 'invalid value "http://example.com/%zz" for flag \'--web.external-url\': not a valid URL'],
    [['--push.enable-utf8-names=yes'], 'invalid value "yes" for flag \'--push.enable-utf8-names\': expected true or false'],
    [['--push.group-ttl=-1m'], 'invalid value "-1m" for flag \'--push.group-ttl\': expected a duration of 0s or more'],
    [['--aggregate.gauge-rule=avg'], 'invalid value "avg" for flag \'--aggregate.gauge-rule\': expected last, sum, min, max, or <family>=<rule>'],
    [['--aggregate.gauge-rule==max'], 'invalid value "=max" for flag \'--aggregate.gauge-rule\': expected <rule> or <family>=<rule> with a family name'],
    [['--push.group-ttl==1m'], 'invalid value "=1m" for flag \'--push.group-ttl\': expected <duration> or <job>=<duration> with a job name'],
    [['--push.group-ttl=backup=soon'], 'invalid value "backup=soon" for flag \'--push.group-ttl\': time: invalid duration "soon"'],
    [['--limits.groups=-1'], 'invalid value "-1" for flag \'--limits.groups\': expected a whole number'],
    [['--limits.series=1e6'], 'invalid value "1e6" for flag \'--limits.series\': expected a whole number'],
    [['--limits.body-size=0'], 'invalid value "0" for flag \'--limits.body-size\': expected a positive number of bytes'],
    [['--limits.body-size=16MiB'], 'invalid value "16MiB" for flag \'--limits.body-size\': expected a whole number'],
    [['--limits.groups=1', '--limits.groups=2'], "flag '--limits.groups' cannot be repeated"],
    [['--web.read-timeout=-1s'], 'invalid value "-1s" for flag \'--web.read-timeout\': expected a duration of 0s or more'],
    [['--persistence.interval=-5m'], 'invalid value "-5m" for flag \'--persistence.interval\': expected a duration of 0s or more'],
    [['--store.redis-url=localhost:6379'], 'invalid value "localhost:6379" for flag \'--store.redis-url\': expected redis://host:port/db or rediss://host:port/db'],
    [['--store.redis-url=http://localhost:6379'], 'invalid value "http://localhost:6379" for flag \'--store.redis-url\': expected redis://host:port/db or rediss://host:port/db'],
    [['--store.redis-url=redis://'], 'invalid value "redis://" for flag \'--store.redis-url\': expected redis://host:port/db or rediss://host:port/db'],
    [['--store.redis-url=redis://h/db1'], 'invalid value "redis://h/db1" for flag \'--store.redis-url\': expected redis://host:port/db or rediss://host:port/db'],
    [['--store.redis-url=redis://h/1?x=y'], 'invalid value "redis://h/1?x=y" for flag \'--store.redis-url\': expected redis://host:port/db or rediss://host:port/db'],
    [['--store.redis-url=redis://h#1'], 'invalid value "redis://h#1" for flag \'--store.redis-url\': expected redis://host:port/db or rediss://host:port/db'],
    [['--store.redis-url=redis://h:99999'], 'invalid value "redis://h:99999" for flag \'--store.redis-url\': expected redis://host:port/db or rediss://host:port/db'],
    [['--store.redis-prefix='], 'invalid value "" for flag \'--store.redis-prefix\': expected a non-empty prefix without { or }'],
    [['--store.redis-prefix={pgw}'], 'invalid value "{pgw}" for flag \'--store.redis-prefix\': expected a non-empty prefix without { or }'],
    [['--store.redis-timeout=2'], 'invalid value "2" for flag \'--store.redis-timeout\': time: missing unit in duration "2"'],
    [['--store.redis-timeout=0s'], 'invalid value "0s" for flag \'--store.redis-timeout\': expected a duration of 1ms or more'],
    [['--store.redis-timeout=999us'], 'invalid value "999us" for flag \'--store.redis-timeout\': expected a duration of 1ms or more'],
    [['--store.redis-timeout=-1s'], 'invalid value "-1s" for flag \'--store.redis-timeout\': expected a duration of 0s or more'],
    [['--store.redis-timeout=600h'], 'invalid value "600h" for flag \'--store.redis-timeout\': expected a duration of 596h31m23.647s or less'],
    [['--web.workers=0'], 'invalid value "0" for flag \'--web.workers\': expected 1 or more'],
    [['--web.workers=two'], 'invalid value "two" for flag \'--web.workers\': expected a whole number'],
    [['--store.redis-url=redis://r', '--persistence.file=pg.data'], "flag '--persistence.file' cannot be used with '--store.redis-url': Redis keeps the groups itself (turn on its append-only file)"],
    [['--store.redis-cluster'], "flag '--store.redis-cluster' needs '--store.redis-url': the address of one node of the cluster"],
    [['--store.redis-cluster', '--store.redis-url=redis://r:7000/1'], "flag '--store.redis-cluster' cannot be used with a database in '--store.redis-url': a Redis Cluster has only database 0"],
    [['--web.workers=2'], "flag '--web.workers=2' needs '--store.redis-url': each worker would keep groups of its own"],
    [['--web.workers', '3', '--store.redis-url='], "flag '--web.workers=3' needs '--store.redis-url': each worker would keep groups of its own"],
    [['--web.workers=2', '--store.redis-url=redis://r', '--web.systemd-socket'], "flag '--web.workers=2' cannot be used with '--web.systemd-socket'"]
  ]
  for (const [argv, message] of cases) t.throws(() => parseArgs(argv), new FlagError(message), argv.join(' '))
  t.throws(() => parseArgs(['--nope']), { name: 'FlagError' })
})

t.test('route prefix as the Go binary computes it (spec 9)', async t => {
  const cases: Array<[string, string, string]> = [
    ['', '', ''],
    ['/', '', ''],
    ['//', '', ''],
    ['', 'http://example.com/pgw/', '/pgw'],
    ['', 'http://example.com/pgw', '/pgw'],
    ['', 'http://example.com/', ''],
    ['', 'http://example.com', ''],
    ['', '/pgw/', '/pgw'],
    ['', 'pgw', '/pgw'],
    ['', 'http://example.com/a%20b/', '/a b'],
    ['pgw', '', '/pgw'],
    ['pgw/', '', '/pgw'],
    ['/pgw', '', '/pgw'],
    ['/a/b/', 'http://example.com/ignored', '/a/b'],
    ['/', 'http://example.com/ignored/', '']
  ]
  for (const [routePrefix, externalUrl, expected] of cases) {
    t.equal(computeRoutePrefix(routePrefix, externalUrl), expected, `prefix ${JSON.stringify(routePrefix)}, external URL ${JSON.stringify(externalUrl)}`)
    t.equal(routePrefixOf({ routePrefix, externalUrl }), expected)
  }
})

t.test('Go durations, parsed and printed as Go does', async t => {
  const cases: Array<[string, bigint, string]> = [
    ['5m', 300_000_000_000n, '5m0s'],
    ['1h30m', 5_400_000_000_000n, '1h30m0s'],
    ['1.5s', 1_500_000_000n, '1.5s'],
    ['500ms', 500_000_000n, '500ms'],
    ['0', 0n, '0s'],
    ['-0', 0n, '0s'],
    ['+5m', 300_000_000_000n, '5m0s'],
    ['-2h', -7_200_000_000_000n, '-2h0m0s'],
    ['2h', 7_200_000_000_000n, '2h0m0s'],
    ['1m30s', 90_000_000_000n, '1m30s'],
    ['90s', 90_000_000_000n, '1m30s'],
    ['1000us', 1_000_000n, '1ms'],
    ['1500µs', 1_500_000n, '1.5ms'],
    ['1500μs', 1_500_000n, '1.5ms'],
    ['1.5us', 1_500n, '1.5µs'],
    ['999ns', 999n, '999ns'],
    ['.5s', 500_000_000n, '500ms'],
    ['5.s', 5_000_000_000n, '5s'],
    ['1h1m1.000000001s', 3_661_000_000_001n, '1h1m1.000000001s'],
    ['1.0000000001s', 1_000_000_000n, '1s'],
    ['100h', 360_000_000_000_000n, '100h0m0s'],
    ['2562047h47m16.854775807s', 9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
    ['-2562047h47m16.854775808s', -9_223_372_036_854_775_808n, '-2562047h47m16.854775808s']
  ]
  for (const [text, ns, formatted] of cases) {
    t.equal(parseGoDuration(text), ns, text)
    t.equal(formatGoDuration(ns), formatted, `format ${text}`)
  }
  const bad: Array<[string, string]> = [
    ['', 'time: invalid duration ""'],
    ['-', 'time: invalid duration "-"'],
    ['ms', 'time: invalid duration "ms"'],
    ['.s', 'time: invalid duration ".s"'],
    ['5m.', 'time: invalid duration "5m."'],
    ['1', 'time: missing unit in duration "1"'],
    ['1.5.5s', 'time: missing unit in duration "1.5.5s"'],
    ['3d', 'time: unknown unit "d" in duration "3d"'],
    ['2562047h47m16.854775808s', 'time: invalid duration "2562047h47m16.854775808s"'],
    ['9999999999h', 'time: invalid duration "9999999999h"']
  ]
  for (const [text, message] of bad) t.throws(() => parseGoDuration(text), new FlagError(message), JSON.stringify(text))
})

t.test('status flags are formatted as Go prints them', async t => {
  t.same(statusFlags(run([])), {
    'log.format': 'logfmt',
    'log.level': 'info',
    'persistence.file': '',
    'persistence.interval': '5m0s',
    'push.disable-consistency-check': 'false',
    'push.enable-utf8-names': 'false',
    'web.config.file': '',
    'web.local-assets': '',
    'web.enable-admin-api': 'false',
    'web.enable-lifecycle': 'false',
    'web.external-url': '',
    'web.listen-address': ':9091',
    'web.route-prefix': '',
    'web.systemd-socket': 'false',
    'web.telemetry-path': '/metrics',
    'push.group-ttl': '0s',
    'aggregate.gauge-rule': 'last',
    'limits.body-size': '16777216',
    'limits.series-per-push': '100000',
    'limits.series-per-group': '100000',
    'limits.groups': '100000',
    'limits.series': '1000000',
    'limits.label-name-length': '1024',
    'limits.label-value-length': '65536',
    'limits.labels-per-series': '128',
    'limits.writers-per-group': '10000',
    'limits.groups-per-job': '0',
    'limits.series-per-job': '0',
    'limits.metric-name-length': '1024',
    'limits.help-length': '65536',
    'limits.buckets-per-histogram': '4096',
    'limits.body-bytes-in-flight': '134217728',
    'web.read-timeout': '1m0s',
    'store.redis-url': '',
    'store.redis-cluster': 'false',
    'store.redis-prefix': 'pushgateway',
    'store.redis-timeout': '2s',
    'web.workers': '1'
  }, 'the Go binary\'s defaults (spec 7.2) and ours')
  t.match(statusFlags(run([
    '--web.external-url=http://x/pgw/', '--web.listen-address=:1', '--web.listen-address=:2', '--persistence.interval=90s',
    '--web.enable-admin-api', '--web.enable-lifecycle=1', '--push.disable-consistency-check', '--log.level=debug', '--log.format=json',
    '--persistence.file=pg.data', '--web.telemetry-path=/prom', '--web.config.file', 'conf/web.yml', '--web.systemd-socket'
  ])), {
    'web.systemd-socket': 'true',
    'web.config.file': 'conf/web.yml',
    'log.format': 'json',
    'log.level': 'debug',
    'persistence.file': 'pg.data',
    'persistence.interval': '1m30s',
    'push.disable-consistency-check': 'true',
    'web.enable-admin-api': 'true',
    'web.enable-lifecycle': 'true',
    'web.external-url': 'http://x/pgw/',
    'web.listen-address': ':1,:2',
    'web.route-prefix': '/pgw',
    'web.telemetry-path': '/prom'
  })
})

t.test('the Redis flags in the status, the URL without its password', async t => {
  t.match(statusFlags(run(['--store.redis-url=rediss://pgw:s3cr%40t@redis.example.com:6380/1', '--store.redis-prefix=eu', '--store.redis-timeout=1500ms', '--web.workers=3'])), {
    'store.redis-url': 'rediss://pgw:xxxxx@redis.example.com:6380/1',
    'store.redis-prefix': 'eu',
    'store.redis-timeout': '1.5s',
    'web.workers': '3'
  })
  t.equal(redactedUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379', 'nothing to hide')
  t.equal(redactedUrl('redis://user@h'), 'redis://user@h', 'a user name is shown')
  t.equal(redactedUrl('redis://:pw@h/0'), 'redis://:xxxxx@h/0')
  t.equal(redactedUrl(''), '')
})
