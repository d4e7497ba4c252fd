import t from 'tap'
import { startServer } from '../src/server.js'
import { parseArgs, type ServerFlags } from '../src/flags.js'
import { createLogger } from '../src/log.js'

function flags (...argv: string[]): ServerFlags {
  const parsed = parseArgs(['--web.listen-address=127.0.0.1:0', ...argv])
  if (parsed.command !== 'run') throw new Error('expected run')
  return parsed.flags
}

function logger (lines: string[] = []) {
  return createLogger({ level: 'debug', format: 'logfmt', write: line => lines.push(line) })
}

t.test('serves the reference surface at the root', async t => {
  const lines: string[] = []
  const server = await startServer(flags(), logger(lines))
  t.teardown(() => server.close())
  const base = `http://${server.addresses[0] as string}`
  t.equal((await fetch(`${base}/metrics/job/a`, { method: 'PUT', body: 'm 1\n' })).status, 200)
  const text = await (await fetch(`${base}/metrics`)).text()
  t.match(text, 'm{instance="",job="a"} 1\n')
  t.match(text, '# TYPE process_cpu_user_seconds_total counter', 'the process metrics, as the Go binary has go_* and process_*')
  t.equal((await fetch(`${base}/metrics/job/a`, { method: 'PUT', body: 'x 1' })).status, 400)
  t.equal((await fetch(`${base}/api/v1/admin/wipe`, { method: 'PUT' })).status, 404, 'admin API off by default')
  t.equal((await fetch(`${base}/-/quit`, { method: 'PUT' })).status, 403, 'lifecycle off by default')
  const status = await (await fetch(`${base}/api/v1/status`)).json() as { data: { flags: Record<string, string> } }
  t.equal(status.data.flags['web.listen-address'], '127.0.0.1:0')
  t.equal(status.data.flags['persistence.interval'], '5m0s')
  t.match(lines.join(''), /level=info msg="Starting pushgateway-middleware" version=\S+\n/)
  t.match(lines.join(''), /level=info msg="Listening on" address=127\.0\.0\.1:\d+\n/)
  t.match(lines.join(''), /level=debug msg="request failed" method=PUT url=\/metrics\/job\/a status=400\n/)
})

t.test('route prefix and telemetry path (spec 9 examples)', async t => {
  const server = await startServer(flags('--web.external-url=http://example.com/pgw/', '--web.telemetry-path=/prom', '--web.enable-admin-api'), logger())
  t.teardown(() => server.close())
  const base = `http://${server.addresses[0] as string}`
  for (const [method, path, status] of [
    ['GET', '/pgw/prom', 200], ['PUT', '/pgw/metrics/job/x', 200], ['GET', '/pgw/api/v1/status', 200], ['GET', '/pgw/-/healthy', 200],
    ['GET', '/pgw/metrics', 404], ['GET', '/api/v1/status', 404], ['GET', '/-/healthy', 404], ['PUT', '/pgw/api/v1/admin/wipe', 202]
  ] as const) {
    const res = await fetch(`${base}${path}`, method === 'PUT' ? { method, body: 'm 1\n' } : { method })
    t.equal(res.status, status, `${method} ${path}`)
  }
})

t.test('lifecycle quit, IPv6 and several addresses, persistence warning', async t => {
  const lines: string[] = []
  const server = await startServer(flags('--web.listen-address=[::1]:0', '--web.enable-lifecycle', '--persistence.file=pg.data'), logger(lines))
  t.equal(server.addresses.length, 2)
  t.match(server.addresses[1], /^\[::1\]:\d+$/)
  t.match(lines.join(''), 'level=warn msg="persistence is not implemented yet: nothing will be written to the persistence file" file=pg.data')
  const res = await fetch(`http://${server.addresses[1] as string}/-/quit`, { method: 'POST' })
  t.same([res.status, await res.text()], [200, 'Requesting termination... Goodbye!'])
  await server.closed
  t.match(lines.join(''), 'msg="See you next time!"')
  await server.close()
})

t.test('an address without a host listens on every interface', async t => {
  const parsed = parseArgs(['--web.listen-address=:0'])
  if (parsed.command !== 'run') throw new Error('expected run')
  const server = await startServer(parsed.flags, logger())
  t.match(server.addresses[0], /^\[::\]:\d+$|^0\.0\.0\.0:\d+$/)
  await server.close()
})

t.test('a bad listen address fails the start and closes what was opened', async t => {
  await t.rejects(startServer(flags('--web.listen-address=nope'), logger()), { message: 'invalid listen address "nope": expected host:port' })
  await t.rejects(startServer(flags('--web.listen-address=:99999'), logger()), { message: /invalid listen address/ })
})
