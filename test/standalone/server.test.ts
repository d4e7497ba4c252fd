import t, { type Test } from 'tap'
import { request } from 'node:http'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseListenAddress, startServer, type RunningServer } from '../../src/standalone/server.js'
import { defaultFlags, statusFlags, type ServerFlags } from '../../src/standalone/flags.js'
import { createLogger } from '../../src/log.js'
import { startRedis, startRedisCluster, type TestRedisClient } from '../helpers/redis.js'
import { eventually } from '../helpers/clock.js'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

// A curl-like request: exactly these headers and this body, nothing added by fetch.
async function send (base: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, method, path, headers, agent: false }, res => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => { resolve({ status: res.statusCode as number, headers: res.headers, body: text }) })
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function start (t: Test, flags: Partial<ServerFlags> = {}): Promise<{ server: RunningServer, base: string, lines: string[] }> {
  const lines: string[] = []
  const server = await startServer({ listenAddresses: ['127.0.0.1:0'], ...flags }, createLogger({ level: 'debug', write: line => lines.push(line) }))
  t.teardown(() => server.close())
  return { server, base: `http://${server.addresses[0] as string}`, lines }
}

t.test('serves the reference surface at the root with the default flags', async t => {
  const { server, base, lines } = await start(t)
  t.equal(server.addresses.length, 1)
  t.match(server.addresses[0], /^127\.0\.0\.1:\d+$/)
  t.equal((await send(base, 'PUT', '/metrics/job/a/instance/i', 'm 1\n')).status, 200)
  t.equal((await send(base, 'POST', '/metrics/job/b', 'n{x="y"} 2\n', { 'content-type': 'application/x-www-form-urlencoded' })).status, 200, 'as curl --data-binary sends it')
  const scrape = await send(base, 'GET', '/metrics')
  t.equal(scrape.status, 200)
  t.equal(scrape.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores')
  t.match(scrape.body, 'm{instance="i",job="a"} 1\n')
  t.match(scrape.body, 'n{instance="",job="b",x="y"} 2\n')
  t.match(scrape.body, '# TYPE process_cpu_user_seconds_total counter', 'the Node process metrics, where the Go binary has go_* and process_*')
  t.match(scrape.body, '# TYPE nodejs_heap_size_used_bytes gauge')
  t.match(scrape.body, 'pushgateway_http_requests_total{code="200",handler="push",method="put"} 1')
  t.equal(server.gateway.registry.getSingleMetric('process_cpu_user_seconds_total') !== undefined, true, 'a registry of its own')
  t.equal((await send(base, 'DELETE', '/metrics/job/b')).status, 202)
  t.same(await send(base, 'GET', '/-/healthy').then(a => [a.status, a.body]), [200, 'OK'])
  t.same(await send(base, 'GET', '/-/ready').then(a => [a.status, a.body]), [200, 'OK'])
  t.same(await send(base, 'GET', '/-/quit').then(a => [a.status, a.body]), [405, 'Only POST or PUT requests allowed.'])
  t.same(await send(base, 'PUT', '/-/quit').then(a => [a.status, a.body]), [403, 'Lifecycle API is not enabled.'], 'lifecycle off by default')
  t.same(await send(base, 'PUT', '/api/v1/admin/wipe').then(a => [a.status, a.body]), [404, '404 page not found\n'], 'admin API off by default')
  const status = JSON.parse((await send(base, 'GET', '/api/v1/status')).body) as { status: string, data: { flags: Record<string, string>, start_time: string } }
  t.equal(status.status, 'success')
  t.same(status.data.flags, statusFlags({ ...defaultFlags(), listenAddresses: ['127.0.0.1:0'] }), 'every flag as Go prints it')
  t.equal(status.data.flags['persistence.interval'], '5m0s')
  t.equal(status.data.flags['web.listen-address'], '127.0.0.1:0')
  const log = lines.join('')
  t.match(log, /^ts=\S+ level=info msg="starting pushgateway-middleware" version=\d+\.\d+\.\d+\n/)
  t.match(log, /level=info msg="Build context" build_context="\(node=v\d+\.\d+\.\d+, platform=\w+\/\w+\)"\n/)
  t.match(log, 'level=debug msg="external URL" url=""\n')
  t.match(log, /level=info msg="Listening on" address=127\.0\.0\.1:\d+\n/)
  t.notMatch(log, 'persistence', 'no persistence warning without --persistence.file')
})

t.test('answers outside the surface as the Go binary does', async t => {
  const { base, lines } = await start(t)
  for (const [method, path, headers] of [['GET', '/nope', {}], ['GET', '/statuses', {}], ['POST', '/nope', { 'content-type': 'application/json' }]] as const) {
    const answer = await send(base, method, path, method === 'POST' ? '{' : undefined, headers)
    t.same([answer.status, answer.body, answer.headers['content-type'], answer.headers['x-content-type-options']],
      [404, '404 page not found\n', 'text/plain; charset=utf-8', 'nosniff'], `${method} ${path}`)
  }
  const propfind = await send(base, 'PROPFIND', '/metrics')
  t.same([propfind.status, propfind.body, propfind.headers.allow], [405, 'Method Not Allowed\n', 'GET, OPTIONS'], 'an unknown method on a route is 405, as the reference answers it')
  t.same(await send(base, 'GET', '/metrics/job/%zz').then(a => [a.status, a.body]), [400, '400 Bad Request'], 'a URL that cannot be decoded')
  t.match(lines.join(''), /level=debug msg="request rejected" method=GET url=\/nope source=127\.0\.0\.1:\d+ status=404 err="404 page not found"\n/)
  t.match(lines.join(''), /level=debug msg="request rejected" method=GET url=\/metrics\/job\/%zz source=127\.0\.0\.1:\d+ status=400 err="400 Bad Request"\n/)
})

t.test('client errors are logged at debug, inconsistent pushes at error', async t => {
  const { base, lines } = await start(t)
  const bad = await send(base, 'PUT', '/metrics/job/a', 'x 1')
  t.same([bad.status, bad.body], [400, 'text format parsing error in line 1: unexpected end of input stream\n'])
  t.match(lines.join(''), /level=debug msg="request rejected" method=PUT url=\/metrics\/job\/a source=127\.0\.0\.1:\d+ status=400 err="text format parsing error in line 1: unexpected end of input stream"\n/)
  t.equal((await send(base, 'PUT', '/metrics/job/a', '# TYPE m counter\nm 1\n')).status, 200)
  const clash = await send(base, 'PUT', '/metrics/job/b', '# TYPE m gauge\nm 1\n')
  t.equal(clash.status, 400)
  t.match(clash.body, /^pushed metrics are invalid or inconsistent with existing metrics: /)
  t.match(lines.join(''), /level=error msg="pushed metrics are invalid or inconsistent with existing metrics" method=PUT source=127\.0\.0\.1:\d+ err="\S/)
})

t.test('any Content-Type is read as the reference reads it, inside and outside the surface', async t => {
  const { base } = await start(t)
  for (const contentType of ['', 'text', ';;;', 'application/json']) {
    const outside = await send(base, 'PUT', '/elsewhere', 'm 1\n', { 'content-type': contentType })
    t.same([outside.status, outside.body], [404, '404 page not found\n'], `outside, ${JSON.stringify(contentType)}`)
    const push = await send(base, 'PUT', '/metrics/job/ct', 'm 1\n', { 'content-type': contentType })
    t.equal(push.status, 200, `a push, ${JSON.stringify(contentType)}`)
  }
})

t.test('an unexpected error answers 500 and is logged at error', async t => {
  const { server, base, lines } = await start(t)
  server.gateway.store.render = server.gateway.store.renderChunks = async () => { throw new Error('disk on fire') }
  const answer = await send(base, 'GET', '/metrics')
  t.same([answer.status, answer.body, answer.headers['content-type']], [500, 'Internal Server Error\n', 'text/plain; charset=utf-8'])
  t.match(lines.join(''), /level=error msg="error handling request" method=GET url=\/metrics source=127\.0\.0\.1:\d+ err="disk on fire"\n/)
})

t.test('route prefix /pgw and telemetry path /prom (spec 9 examples)', async t => {
  const { base } = await start(t, { externalUrl: 'http://example.com/pgw/', telemetryPath: '/prom' })
  const cases: Array<[string, string, number]> = [
    ['GET', '/pgw/prom', 200], ['PUT', '/pgw/metrics/job/x', 200], ['GET', '/pgw/api/v1/status', 200], ['GET', '/pgw/-/healthy', 200],
    ['GET', '/pgw/-/ready', 200], ['GET', '/pgw/api/v1/metrics', 200], ['DELETE', '/pgw/metrics/job/x', 202],
    ['GET', '/pgw/', 200], ['GET', '/pgw/status', 200],
    ['GET', '/pgw/metrics', 404], ['GET', '/api/v1/status', 404], ['GET', '/-/healthy', 404], ['GET', '/', 404], ['GET', '/prom', 404],
    ['PUT', '/metrics/job/x', 404], ['GET', '/pgw/-/quit', 405], ['PUT', '/pgw/-/quit', 403], ['PUT', '/pgw/api/v1/admin/wipe', 404]
  ]
  // The Go binary redirects /pgw to /pgw/ (301); ours serves the page there, its links are absolute.
  cases.push(['GET', '/pgw', 200], ['GET', '/pgw?x=1', 200])
  for (const [method, path, status] of cases) t.equal((await send(base, method, path, method === 'PUT' ? 'm 1\n' : undefined)).status, status, `${method} ${path}`)
  t.same(await send(base, 'GET', '/-/quit').then(a => [a.status, a.body]), [405, 'Only POST or PUT requests allowed.'], 'GET /-/quit outside the prefix, a Go quirk')
  t.same(await send(base, 'GET', '/-/quit?now=1').then(a => [a.status, a.body]), [405, 'Only POST or PUT requests allowed.'])
  t.same(await send(base, 'PUT', '/-/quit').then(a => [a.status, a.body]), [404, '404 page not found\n'])
  const status = JSON.parse((await send(base, 'GET', '/pgw/api/v1/status')).body) as { data: { flags: Record<string, string> } }
  t.equal(status.data.flags['web.route-prefix'], '/pgw', 'the computed prefix')
  t.equal(status.data.flags['web.external-url'], 'http://example.com/pgw/')
  t.equal(status.data.flags['web.telemetry-path'], '/prom')
})

t.test('--web.route-prefix wins over the external URL; the telemetry path is cleaned as path.Join does', async t => {
  const { base, lines } = await start(t, { routePrefix: 'a/b/', externalUrl: 'http://example.com/pgw/', telemetryPath: 'prom/' })
  t.equal((await send(base, 'GET', '/a/b/prom')).status, 200)
  t.equal((await send(base, 'PUT', '/a/b/metrics/job/x', 'm 1\n')).status, 200)
  t.equal((await send(base, 'GET', '/pgw/prom')).status, 404)
  t.match(lines.join(''), 'level=debug msg="path prefix used externally" path=/pgw\n')
  t.match(lines.join(''), 'level=debug msg="path prefix for internal routing" path=/a/b\n')
})

t.test('admin API on', async t => {
  const { base } = await start(t, { enableAdminApi: true })
  t.equal((await send(base, 'PUT', '/metrics/job/x', 'm 1\n')).status, 200)
  t.equal((await send(base, 'PUT', '/api/v1/admin/wipe')).status, 202)
  t.equal(JSON.parse((await send(base, 'GET', '/api/v1/metrics')).body).data.length, 0, 'wiped')
  t.equal((await send(base, 'POST', '/api/v1/admin/wipe')).status, 405)
})

t.test('lifecycle on: /-/quit answers, then the server closes', async t => {
  const lines: string[] = []
  const server = await startServer({ listenAddresses: ['127.0.0.1:0'], enableLifecycle: true, routePrefix: '/pgw' }, createLogger({ write: line => lines.push(line) }))
  const base = `http://${server.addresses[0] as string}`
  const answer = await send(base, 'POST', '/pgw/-/quit')
  t.same([answer.status, answer.body], [200, 'Requesting termination... Goodbye!'])
  await server.closed
  t.match(lines.join(''), 'level=warn msg="received termination request via web service, exiting gracefully..."\n')
  t.match(lines.join(''), 'level=info msg="HTTP server stopped"\n')
  await t.rejects(send(base, 'GET', '/pgw/-/healthy'), { code: 'ECONNREFUSED' }, 'no longer listening')
  await server.close()
  t.equal(lines.filter(line => line.includes('HTTP server stopped')).length, 1, 'close() after the quit is a no-op')
})

t.test('close() lets an in-flight push finish', async t => {
  const { server, base } = await start(t)
  const url = new URL(base)
  let closing: Promise<void> | undefined
  const pushed = new Promise<number>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: 'PUT', path: '/metrics/job/slow', agent: false, headers: { expect: '100-continue' } }, res => {
      res.resume()
      resolve(res.statusCode as number)
    })
    req.on('error', reject)
    // The server's 100 Continue says it is handling the request: close() now must let it finish.
    req.on('continue', () => {
      req.write('slow_metric 1\n')
      closing = server.close()
      req.end('other_metric 2\n')
    })
    req.flushHeaders()
  })
  t.equal(await pushed, 200, 'the push that was uploading when close() was called completed')
  await closing
  await server.closed
  t.match(await server.gateway.metrics(), 'other_metric{instance="",job="slow"} 2\n')
})

t.test('several addresses, IPv6, persistence, default logger', async t => {
  const file = join(t.testdir(), 'pg.data')
  const written: string[] = []
  const original = process.stderr.write
  process.stderr.write = ((chunk: string) => { written.push(chunk); return true }) as typeof process.stderr.write
  let server: RunningServer
  try {
    server = await startServer({ listenAddresses: ['127.0.0.1:0', '[::1]:0'], persistenceFile: file, logLevel: 'debug', logFormat: 'json' })
  } finally {
    process.stderr.write = original
  }
  t.equal(server.addresses.length, 2)
  t.match(server.addresses[1], /^\[::1\]:\d+$/)
  const records = written.map(line => JSON.parse(line) as Record<string, string>)
  t.match(records, [{ level: 'info', msg: 'starting pushgateway-middleware' }], 'JSON lines on stderr by default')
  t.same(records.filter(r => r.msg === 'Listening on').map(r => r.address), server.addresses)
  for (const address of server.addresses) {
    const base = `http://${address}`
    t.equal((await send(base, 'PUT', `/metrics/job/${address.startsWith('[') ? 'v6' : 'v4'}`, 'm 1\n')).status, 200, address)
  }
  t.match(await server.gateway.metrics(), /m\{instance="",job="v4"\} 1\nm\{instance="",job="v6"\} 1\n/, 'one gateway behind every address')
  const status = JSON.parse((await send(`http://${server.addresses[1] as string}`, 'GET', '/api/v1/status')).body) as { data: { flags: Record<string, string> } }
  t.equal(status.data.flags['web.listen-address'], '127.0.0.1:0,[::1]:0')
  t.equal(status.data.flags['persistence.file'], file)
  await server.close()
  t.ok(existsSync(file), 'the last snapshot is written on close')
})

t.test('an IPv6 client is logged with its address in brackets', async t => {
  const lines: string[] = []
  const server = await startServer({ listenAddresses: ['[::1]:0'] }, createLogger({ level: 'debug', write: line => lines.push(line) }))
  t.teardown(() => server.close())
  t.equal((await send(`http://${server.addresses[0] as string}`, 'GET', '/nope')).status, 404)
  t.match(lines.join(''), /source=\[::1\]:\d+ status=404/)
})

t.test('an address without a host listens on every interface', async t => {
  const { server } = await start(t, { listenAddresses: [':0'] })
  t.match(server.addresses[0], /^\[::\]:\d+$|^0\.0\.0\.0:\d+$/)
  const port = (server.addresses[0] as string).slice((server.addresses[0] as string).lastIndexOf(':') + 1)
  t.equal((await send(`http://127.0.0.1:${port}`, 'GET', '/-/healthy')).status, 200)
})

t.test('Go listen addresses', async t => {
  const good: Array<[string, boolean, string, number]> = [
    [':9091', true, '::', 9091],
    [':9091', false, '0.0.0.0', 9091],
    ['127.0.0.1:0', true, '127.0.0.1', 0],
    ['[::1]:9100', true, '::1', 9100],
    ['[::]:65535', false, '::', 65535],
    ['localhost:80', true, 'localhost', 80]
  ]
  for (const [address, ipv6, host, port] of good) t.same(parseListenAddress(address, ipv6), { host, port }, address)
  t.match(parseListenAddress(':1'), { host: /^(::|0\.0\.0\.0)$/, port: 1 }, 'looks at the machine\'s interfaces')
  for (const address of ['nope', '', ':', ':abc', ':+80', ':99999', ':123456', '::1:9091', '[::1]', 'vsock://:9100', 'a/b:80', '[::1:80']) {
    t.throws(() => parseListenAddress(address, true), { message: `invalid listen address ${JSON.stringify(address)}: expected host:port, [ipv6-host]:port or :port` }, address)
  }
})

t.test('a start that fails closes what was opened', async t => {
  const lines: string[] = []
  const logger = createLogger({ write: line => lines.push(line) })
  await t.rejects(startServer({ listenAddresses: ['nope'] }, logger), { message: /^invalid listen address "nope"/ })
  await t.rejects(startServer({ listenAddresses: [] }, logger), { message: 'no --web.listen-address given' })
  const first = await startServer({ listenAddresses: ['127.0.0.1:0'] }, logger)
  t.teardown(() => first.close())
  lines.length = 0
  await t.rejects(startServer({ listenAddresses: ['127.0.0.1:0', first.addresses[0] as string] }, logger), { code: 'EADDRINUSE' })
  const opened = /msg="Listening on" address=(\S+)\n/.exec(lines.join(''))?.[1] as string
  t.ok(opened, 'the first address was opened')
  await t.rejects(send(`http://${opened}`, 'GET', '/-/healthy'), { code: 'ECONNREFUSED' }, 'and closed again')
})

t.test('expiry, limits and the read timeout from the flags', async t => {
  let now = 1_700_000_000_000_000_000n
  const server = await startServer({
    listenAddresses: ['127.0.0.1:0'],
    groupTtlNs: 150_000_000n,
    jobTtlsNs: { kept: 0n },
    limits: { ...defaultFlags().limits, groups: 3 },
    bodyLimit: 64,
    readTimeoutNs: 0n
  }, createLogger({ level: 'error', write: () => {} }), () => now)
  t.teardown(() => server.close())
  const base = `http://${server.addresses[0] as string}`
  t.equal((await send(base, 'PUT', '/metrics/job/short', 'm 1\n')).status, 200)
  t.equal((await send(base, 'PUT', '/metrics/job/kept', 'k 1\n')).status, 200)
  t.equal((await send(base, 'PUT', '/metrics/job/other', 'o 1\n')).status, 200)
  const refused = await send(base, 'PUT', '/metrics/job/fourth', 'f 1\n')
  t.equal(refused.status, 429)
  t.match(refused.body, '(limits.groups, --limits.groups)')
  t.equal((await send(base, 'PUT', '/metrics/job/kept', 'k 1\n'.repeat(20))).status, 413, '--limits.body-size')
  now += 149_000_000n
  t.match((await send(base, 'GET', '/metrics')).body, 'job="short"', 'not yet')
  now += 1_000_000n
  const metrics = (await send(base, 'GET', '/metrics')).body
  t.notMatch(metrics, /job="short"|job="other"/, 'the default TTL expired these')
  t.match(metrics, 'k{instance="",job="kept"} 1', '0s keeps this job')
  t.match(metrics, 'pushgateway_groups_expired_total 2')
  const status = JSON.parse((await send(base, 'GET', '/api/v1/status')).body) as { data: { flags: Record<string, string> } }
  t.match(status.data.flags, { 'push.group-ttl': '150ms,kept=0s', 'limits.groups': '3', 'limits.body-size': '64', 'web.read-timeout': '0s' })
})

t.test('serves the status page at / and under the route prefix, like the Go binary', async t => {
  const root = await start(t)
  const page = await send(root.base, 'GET', '/')
  t.equal(page.status, 200)
  t.match(page.body, 'data-base=""')
  t.equal((await send(root.base, 'GET', '/status')).status, 200)
  const prefixed = await start(t, { routePrefix: '/pgw' })
  for (const path of ['/pgw', '/pgw/', '/pgw/status']) {
    const res = await send(prefixed.base, 'GET', path)
    t.equal(res.status, 200, path)
    t.match(res.body, 'src="/pgw/static/status.js?v=')
  }
  t.equal((await send(prefixed.base, 'GET', '/pgw/static/status.css')).status, 200)
  t.equal((await send(prefixed.base, 'GET', '/')).status, 404)
})

// The connections a Redis server has, besides the one asking.
async function otherClients (client: TestRedisClient): Promise<number> {
  const list = await client.sendCommand(['CLIENT', 'LIST']) as string
  return list.split('\n').filter(line => line !== '').length - 1
}

for (const cluster of [false, true]) {
  const what = cluster ? '--store.redis-cluster: two servers share the groups through a Redis Cluster' : '--store.redis-url: two servers share the groups in Redis'
  t.test(`${what}; each closes its client when it closes`, async t => {
    const redis = cluster ? await startRedisCluster(t) : await startRedis(t)
    if (redis === undefined) return
    const probe = await redis.client()
    const flags = { redisUrl: redis.url, redisCluster: cluster, redisPrefix: 'pgw-test', redisTimeoutNs: 1_000_000_000n }
    const one = await start(t, flags)
    const two = await start(t, flags)
    await eventually(async () => (await send(one.base, 'GET', '/-/ready')).status === 200 && (await send(two.base, 'GET', '/-/ready')).status === 200, 'both are ready')
    t.equal((await send(one.base, 'PUT', '/metrics/job/shared', 'm 1\n')).status, 200)
    t.match((await send(two.base, 'GET', '/metrics')).body, 'm{instance="",job="shared"} 1\n', 'pushed through one, scraped from the other')
    t.match(await probe.sendCommand(['EXISTS', '{pgw-test}:log']), 1, 'under the prefix')
    const status = JSON.parse((await send(one.base, 'GET', '/api/v1/status')).body) as { data: { flags: Record<string, string> } }
    t.match(status.data.flags, { 'store.redis-url': redis.url, 'store.redis-cluster': String(cluster), 'store.redis-prefix': 'pgw-test', 'store.redis-timeout': '1s', 'persistence.file': '' })
    t.match(one.lines.join(''), /level=info msg="connected to Redis" url=redis:\/\/127\.0\.0\.1:\d+\n/)
    t.equal(await otherClients(probe), 2)
    await one.server.close()
    await eventually(async () => await otherClients(probe) === 1, 'the closed server\'s client is gone')
    await two.server.close()
    await eventually(async () => await otherClients(probe) === 0, 'both clients are gone')
  })
}

t.test('a server that cannot be built after its Redis client was made destroys the client', async t => {
  const redis = await startRedis(t)
  if (redis === undefined) return
  const probe = await redis.client()
  // parseArgs refuses this pair; startServer called directly leaves it to the core, which refuses it too.
  await t.rejects(startServer({ listenAddresses: ['127.0.0.1:0'], redisUrl: redis.url, persistenceFile: join(t.testdir(), 'pg.data') }, createLogger({ write: () => {} })),
    { code: 'ERR_INVALID_OPTION', option: 'persistence' })
  await eventually(async () => await otherClients(probe) === 0, 'no client left connected')
})
