import t from 'tap'
import { gunzipSync, gzipSync } from 'node:zlib'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Registry, Gauge, register } from 'prom-client'
import { Pushgateway, type GatewayRequest, type PushgatewayOptions } from '../src/gateway.js'
import { MemoryStore } from '../src/store/memory/memory-store.js'
import { decodeDelimited, encodeDelimited, PROTOBUF_CONTENT_TYPE } from '../src/exposition/protobuf.js'
import type { MetricFamily } from '../src/exposition/types.js'

const SECOND = 1_000_000_000n
const PREFIX = 'pushed metrics are invalid or inconsistent with existing metrics: '

function gateway (options: PushgatewayOptions = {}): Pushgateway {
  let now = 1_000_000_000n * SECOND
  return new Pushgateway({ registry: new Registry(), now: () => (now += SECOND), ...options })
}

function request (method: string, url: string, body?: string | Buffer, headers: Record<string, string> = {}): GatewayRequest {
  const req: GatewayRequest = { method, url, headers }
  if (body !== undefined) req.body = body
  return req
}

function doubleLE (value: number): Buffer {
  const buf = Buffer.alloc(8)
  buf.writeDoubleLE(value)
  return buf
}

async function pushed (gw: Pushgateway): Promise<string> {
  return gw.metrics()
}

t.test('push endpoints', async t => {
  t.test('PUT, POST and DELETE through handle()', async t => {
    const gw = gateway()
    let res = await gw.handle(request('PUT', '/metrics/job/a', 'm1 1\nm2 2\n'))
    t.same(res, { status: 200, headers: {}, body: '' })
    res = await gw.handle(request('POST', '/metrics/job/a?ignored=1', 'm2 20\nm3 30\n'))
    t.equal(res.status, 200)
    t.match(await pushed(gw), /m1\{instance="",job="a"\} 1\n[^]*m2\{instance="",job="a"\} 20\n[^]*m3\{instance="",job="a"\} 30\n/)
    res = await gw.handle(request('DELETE', '/metrics/job/a'))
    t.same(res, { status: 202, headers: {}, body: '' })
    t.equal(await pushed(gw), '')
    res = await gw.handle(request('delete', '/metrics/job/never'))
    t.equal(res.status, 202, 'deleting a missing group is a 202, methods are case-insensitive')
  })

  t.test('grouping keys from the URL', async t => {
    const gw = gateway()
    t.equal((await gw.handle(request('PUT', '/metrics/job@base64/YS9i/p@base64/L3Zhci90bXA/v/b+c%20d', 'm 1\n'))).status, 200)
    t.match(await pushed(gw), 'm{instance="",job="a/b",p="/var/tmp",v="b+c d"} 1\n')
    const bad = await gw.handle(request('PUT', '/metrics/job/j/a/1/b', 'm 1\n'))
    t.equal(bad.status, 400)
    t.equal(bad.body, 'odd number of components in label string "/a/1/b"\n')
    t.equal(bad.headers['content-type'], 'text/plain; charset=utf-8')
    t.equal(bad.headers['x-content-type-options'], 'nosniff')
    t.match(bad.error, { name: 'InvalidGroupingKeyError', statusCode: 400, expose: true }, 'the error travels with the answer')
    t.equal((await gw.handle(request('PUT', '/metrics/job@base64/=', ''))).body, 'job name is required\n')
    t.equal((await gw.handle(request('DELETE', '/metrics/job/j/__a/1'))).status, 400, 'DELETE checks the key too')
    t.equal((await gw.handle(request('POST', '/metrics/job', 'm 1\n'))).status, 404, 'no job segment: 404 as the reference')
    t.same([(await gw.handle(request('POST', '/metrics/job/', 'm 1\n'))).body], ['job name is required\n'], 'an empty job is a 400, not a redirect')
    t.same([(await gw.handle(request('PUT', '/metrics/job/a//b', 'm 1\n'))).body], ['improper label name ""\n'], 'an empty segment is not redirected')
    t.equal((await gw.handle(request('PUT', '/metrics/job/j/a//b/c', 'm 1\n'))).status, 200)
    t.match(await pushed(gw), 'm{a="",b="c",instance="",job="j"} 1\n', 'an empty value in the middle, as prom-client sends it')
  })

  t.test('bodies: parse errors, gzip, protobuf, OpenMetrics, limits', async t => {
    const gw = gateway({ bodyLimit: 1024 })
    let res = await gw.handle(request('PUT', '/metrics/job/p', 'x 1'))
    t.same([res.status, res.body], [400, 'text format parsing error in line 1: unexpected end of input stream\n'])
    t.equal(await pushed(gw), '', 'a parse error creates no group')
    res = await gw.handle(request('PUT', '/metrics/job/z', gzipSync('gz 1\n'), { 'content-encoding': 'GZIP' }))
    t.equal(res.status, 200)
    res = await gw.handle(request('PUT', '/metrics/job/z2', Buffer.from('not gzip'), { 'content-encoding': 'gzip' }))
    t.equal(res.status, 400)
    const family: MetricFamily = { name: 'pb_total', help: 'From protobuf.', type: 'counter', metrics: [{ labels: [{ name: 'kind', value: 'x' }], value: 3 }] }
    res = await gw.handle(request('PUT', '/metrics/job/pb', encodeDelimited([family]), { 'content-type': PROTOBUF_CONTENT_TYPE }))
    t.equal(res.status, 200)
    res = await gw.handle(request('PUT', '/metrics/job/om', '# TYPE om counter\nom_total 2\n# EOF\n', { 'content-type': 'application/openmetrics-text; version=1.0.0' }))
    t.equal(res.status, 200)
    const out = await pushed(gw)
    t.match(out, 'gz{instance="",job="z"} 1\n')
    t.match(out, '# HELP pb_total From protobuf.\n# TYPE pb_total counter\npb_total{instance="",job="pb",kind="x"} 3\n')
    t.match(out, '# TYPE om_total counter\nom_total{instance="",job="om"} 2\n')
    res = await gw.handle(request('PUT', '/metrics/job/pb2', encodeDelimited([family]), { 'content-type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily' }))
    t.equal(res.status, 400, 'protobuf without encoding=delimited is parsed as text')
    res = await gw.handle(request('PUT', '/metrics/job/big', Buffer.alloc(2000, 'a')))
    t.same([res.status, res.body], [413, 'request body exceeds the body limit of 1024 bytes\n'])
    res = await gw.handle(request('PUT', '/metrics/job/nobody'))
    t.equal(res.status, 200, 'a push without a body empties the group')
  })

  t.test('a family pushed again with the same series is checked again when its type changes', async t => {
    const gw = gateway()
    let res = await gw.handle(request('PUT', '/metrics/job/q', 'x{quantile="0.5"} 1\n'))
    t.equal(res.status, 200, 'an untyped series may carry a quantile label')
    const summary: MetricFamily = { name: 'x', type: 'summary', metrics: [{ labels: [{ name: 'quantile', value: '0.5' }], summary: { sampleCount: 1, sampleSum: 1, quantiles: [] } }] }
    res = await gw.handle(request('PUT', '/metrics/job/q', encodeDelimited([summary]), { 'content-type': PROTOBUF_CONTENT_TYPE }))
    t.same([res.status, res.body], [400, 'pushed metrics are invalid or inconsistent with existing metrics: collected metric "x" {instance="",job="q",quantile="0.5"} has a "quantile" label, which summaries reserve\n'])
    t.match(await pushed(gw), 'x{instance="",job="q",quantile="0.5"} 1\n', 'the untyped series stays')
    res = await gw.handle(request('PUT', '/metrics/job/q', 'x{quantile="0.5"} 2\n'))
    t.equal(res.status, 200, 'the same type and series again')
  })

  t.test('a protobuf metric contradicting its family type records a failure', async t => {
    const gw = gateway()
    // A GAUGE family (name "g") whose one metric carries only an untyped value of 1.
    const metric = Buffer.concat([Buffer.from([0x2a, 0x09, 0x09]), doubleLE(1)])
    const family = Buffer.concat([Buffer.from([0x0a, 0x01, 0x67, 0x18, 0x01, 0x22, metric.length]), metric])
    const body = Buffer.concat([Buffer.from([family.length]), family])
    const res = await gw.handle(request('PUT', '/metrics/job/pbbad', body, { 'content-type': PROTOBUF_CONTENT_TYPE }))
    t.equal(res.status, 400)
    t.match(res.body, PREFIX)
    t.match(await pushed(gw), /push_failure_time_seconds\{instance="",job="pbbad"\} 1\.\d+e\+09\n/)
  })

  t.test('consistency failures', async t => {
    const gw = gateway()
    await gw.handle(request('PUT', '/metrics/job/c1', '# TYPE tm gauge\ntm 1\n'))
    const res = await gw.handle(request('PUT', '/metrics/job/c2', '# TYPE tm counter\ntm 1\n'))
    t.equal(res.status, 400)
    t.ok(res.body.toString().startsWith(PREFIX))
    const timestamp = await gw.handle(request('PUT', '/metrics/job/t', 't 1 1000\n'))
    t.equal(timestamp.body, PREFIX + 'pushed metrics must not have timestamps\n')
    const api = JSON.parse((await gw.handle(request('GET', '/api/v1/metrics'))).body.toString())
    const group = api.data.find((g: { labels: { job: string } }) => g.labels.job === 't')
    t.equal(group.last_push_successful, false)
    t.equal(group.push_time_seconds.metrics[0].value, '0')
  })

  t.test('without the consistency check pushes answer 202 and inconsistent ones are dropped', async t => {
    const gw = gateway({ consistencyCheck: false })
    t.equal((await gw.handle(request('PUT', '/metrics/job/u1', '# TYPE u counter\nu 1\n'))).status, 202)
    t.equal((await gw.handle(request('PUT', '/metrics/job/u2', '# TYPE u gauge\nu 1\n'))).status, 202)
    t.equal((await gw.handle(request('PUT', '/metrics/job/u3', 'x 1'))).status, 400, 'parse errors are still 400')
    const out = await pushed(gw)
    t.match(out, 'u{instance="",job="u1"} 1\n')
    t.notMatch(out, /^u\{[^}]*job="u2"/m, 'the inconsistent push is not stored')
    t.equal(out.match(/^u\{/gm)?.length, 1, 'only u1 holds u')
    t.match(out, /push_failure_time_seconds\{instance="",job="u2"\} [1-9]/, 'its failure time is recorded')
  })

  t.test('OPTIONS and wrong methods', async t => {
    const gw = gateway()
    t.same(await gw.handle(request('OPTIONS', '/metrics/job/x')), { status: 200, headers: { allow: 'DELETE, OPTIONS, POST, PUT' }, body: '' })
    const res = await gw.handle(request('GET', '/metrics/job/x'))
    t.same([res.status, res.headers['allow'], res.body], [405, 'DELETE, OPTIONS, POST, PUT', 'Method Not Allowed\n'])
  })
})

t.test('programmatic API', async t => {
  const gw = gateway()
  await gw.push({ job: 'backup', labels: { instance: 'db1' } }, 'm 1\n', { contentType: 'text/plain' })
  await gw.push({ job: 'backup', labels: { instance: 'db1' } }, 'n 2\n', { replace: false })
  t.match(await gw.metrics(), /m\{instance="db1",job="backup"\} 1\n[^]*n\{instance="db1",job="backup"\} 2\n/)
  t.match(await gw.metrics({ format: 'openmetrics' }), /# TYPE m unknown\n[^]*# EOF\n$/)
  t.match(await gw.metrics({ registry: true }), /pushgateway_groups 1\n/)
  await gw.delete({ job: 'backup', labels: { instance: 'db1' } })
  t.equal(await gw.metrics(), '')
  await gw.push({ job: 'a' }, 'm 1\n')
  await gw.wipe()
  t.equal(await gw.metrics(), '')
  await t.rejects(gw.push({ job: '' }, ''), { name: 'InvalidGroupingKeyError', statusCode: 400, message: 'job name is required' })
  await t.rejects(gw.push(null as never, ''), { statusCode: 400, message: /must be an object/ })
  await t.rejects(gw.push({ job: 'a', labels: { job: 'b' } }, ''), { message: 'improper label name "job"' })
  await t.rejects(gw.push({ job: 'a', labels: { '1a': 'b' } }, ''), { message: 'improper label name "1a"' })
  await t.rejects(gw.push({ job: 'a', labels: { a: 1 as never } }, ''), { message: 'label a must have a string value' })
  await t.rejects(gw.delete({ job: 'a', labels: { __x: 'b' } }), { name: 'InvalidGroupingKeyError', statusCode: 400 })
})

t.test('scrape', async t => {
  t.test('content negotiation and gzip', async t => {
    const gw = gateway({ registry: new Registry() })
    await gw.push({ job: 'a' }, '# TYPE c counter\nc 1\n')
    let res = await gw.handle(request('GET', '/metrics'))
    t.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores')
    t.match(res.body, 'c{instance="",job="a"} 1\n')
    t.match(res.body, '# TYPE pushgateway_groups gauge\npushgateway_groups 1\n', 'the gateway exposes its own metrics')
    res = await gw.handle(request('GET', '/metrics', undefined, { accept: 'application/openmetrics-text; version=1.0.0' }))
    t.equal(res.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores')
    t.match(res.body, /# EOF\n$/)
    t.equal(res.body.toString().split('# EOF').length, 2, 'exactly one EOF')
    res = await gw.handle(request('GET', '/metrics', undefined, { accept: PROTOBUF_CONTENT_TYPE }))
    t.equal(res.headers['content-type'], PROTOBUF_CONTENT_TYPE + '; escaping=underscores')
    const families = decodeDelimited(res.body as Buffer)
    t.ok(families.some(f => f.name === 'c' && f.metrics[0]?.value === 1))
    res = await gw.handle(request('GET', '/metrics', undefined, { 'accept-encoding': 'gzip' }))
    t.equal(res.headers['content-encoding'], 'gzip')
    t.match(gunzipSync(res.body as Buffer).toString(), 'c{instance="",job="a"} 1\n')
    t.equal((await gw.handle(request('PUT', '/metrics'))).status, 405)
  })

  t.test('a family of the registry and a pushed one of the same name merge; protobuf too', async t => {
    const registry = new Registry()
    const own = new Gauge({ name: 'shared', help: 'The service help.', registers: [registry] })
    own.set(5)
    const gw = gateway({ registry })
    const refused = await gw.handle(request('PUT', '/metrics/job/x', '# TYPE shared counter\nshared 1\n'))
    t.same([refused.status, refused.body], [400, PREFIX + 'gathered metric family shared has type COUNTER but should have GAUGE\n'])
    await gw.push({ job: 'x' }, '# HELP shared Pushed help.\n# TYPE shared gauge\nshared 1\n')
    const res = await gw.handle(request('GET', '/metrics'))
    t.match(res.body, '# HELP shared The service help.\n# TYPE shared gauge\nshared 5\nshared{instance="",job="x"} 1\n')
    const pb = decodeDelimited((await gw.handle(request('GET', '/metrics', undefined, { accept: PROTOBUF_CONTENT_TYPE }))).body as Buffer)
    t.same(pb.find(f => f.name === 'shared')?.metrics.map(m => m.value), [5, 1])
  })

  t.test('options that shape the exposition', async t => {
    const gw = gateway({ telemetryPath: '/prom', openMetrics: false, exposeRegistry: false })
    await gw.push({ job: 'a' }, 'm 1\n')
    t.equal((await gw.handle(request('GET', '/metrics'))).status, 404)
    const res = await gw.handle(request('GET', '/prom', undefined, { accept: 'application/openmetrics-text; version=1.0.0' }))
    t.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores')
    t.notMatch(res.body, 'pushgateway_http_requests_total')
    const pb = await gw.handle(request('GET', '/prom', undefined, { accept: PROTOBUF_CONTENT_TYPE, 'accept-encoding': ['gzip', 'br'] as never, 'x-absent': undefined as never }))
    t.same(decodeDelimited(gunzipSync(pb.body as Buffer)).map(f => f.name), ['m', 'push_failure_time_seconds', 'push_time_seconds'], 'protobuf without the registry; list headers')
    t.same(await gw.handle(request('OPTIONS', '/prom')), { status: 200, headers: { allow: 'GET, OPTIONS' }, body: '' })
    const none = gateway({ telemetryPath: false })
    t.equal((await none.handle(request('GET', '/metrics'))).status, 404)
  })
})

t.test('API and management endpoints', async t => {
  const gw = gateway({ adminApi: true, flags: { 'web.listen-address': ':9091' } })
  let res = await gw.handle(request('GET', '/api/v1/metrics'))
  t.equal(res.body.toString(), '{"status":"success","data":[]}')
  t.equal(res.headers['content-type'], 'application/json')
  t.equal(res.headers['access-control-allow-origin'], '*')
  await gw.push({ job: 'a' }, '# HELP m A <b> & "c"\n# TYPE m gauge\nm 1.5\n')
  res = await gw.handle(request('GET', '/api/v1/metrics'))
  const data = JSON.parse(res.body.toString()).data
  t.same(data[0].labels, { job: 'a' })
  t.equal(data[0].last_push_successful, true)
  t.same(data[0].m.metrics, [{ labels: { instance: '', job: 'a' }, value: '1.5' }])
  t.match(res.body.toString(), '"help":"A \\u003cb\\u003e \\u0026 \\"c\\""')
  res = await gw.handle(request('GET', '/api/v1/status'))
  const status = JSON.parse(res.body.toString())
  t.equal(status.status, 'success')
  t.same(Object.keys(status.data), ['build_information', 'flags', 'start_time'])
  t.equal(status.data.flags['web.enable-admin-api'], 'true')
  t.equal(status.data.flags['web.listen-address'], ':9091')
  t.equal(status.data.build_information.version, JSON.parse((await import('node:fs')).readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version)
  t.match(status.data.start_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/)
  t.equal((await gw.handle(request('POST', '/api/v1/status'))).status, 405)
  res = await gw.handle(request('OPTIONS', '/api/v1/anything'))
  t.same([res.status, res.headers['access-control-allow-methods']], [200, 'GET, POST, DELETE, OPTIONS'])
  t.equal((await gw.handle(request('GET', '/api/v1/nothing'))).status, 404)
  t.equal((await gw.handle(request('GET', '/api/v1/admin/wipe'))).status, 405)
  res = await gw.handle(request('PUT', '/api/v1/admin/wipe'))
  t.same([res.status, res.body, res.headers], [202, '', {}], 'no CORS headers on wipe, as the reference')
  t.equal(await gw.metrics(), '')
  t.equal((await gateway().handle(request('PUT', '/api/v1/admin/wipe'))).status, 404, 'wipe is opt-in')

  res = await gw.handle(request('GET', '/-/healthy'))
  t.same([res.status, res.body], [200, 'OK'])
  t.equal((await gw.handle(request('GET', '/-/ready'))).status, 200)
  t.equal((await gw.handle(request('POST', '/-/ready'))).status, 405)
  res = await gw.handle(request('PUT', '/-/quit'))
  t.same([res.status, res.body], [403, 'Lifecycle API is not enabled.'])
  res = await gw.handle(request('GET', '/-/quit'))
  t.same([res.status, res.body], [405, 'Only POST or PUT requests allowed.'])
  t.same([(await gw.handle(request('GET', '/nothing'))).body], ['404 page not found\n'])

  let quit = 0
  const lifecycle = gateway({ onQuit: () => { quit++ } })
  res = await lifecycle.handle(request('POST', '/-/quit'))
  t.same([res.status, res.body], [200, 'Requesting termination... Goodbye!'])
  await new Promise(resolve => setImmediate(resolve))
  t.equal(quit, 1, 'onQuit runs after the answer')
})

t.test('own metrics', async t => {
  const registry = new Registry()
  const gw = gateway({ registry })
  await gw.handle(request('PUT', '/metrics/job/a', 'm 1\n', { 'content-length': '4', 'x-list': ['a', 'b'] as never, 'x-absent': undefined as never }))
  await gw.handle(request('PUT', '/metrics/job/a', 'x 1'))
  await gw.handle(request('DELETE', '/metrics/job/a'))
  await gw.handle(request('GET', '/api/v1/status'))
  await gw.handle(request('PUT', '/metrics/job/a', 'm 1\n', { 'content-length': 'nope' }))
  const out = await registry.metrics()
  t.match(out, 'pushgateway_http_requests_total{code="200",handler="push",method="put"} 2\n')
  t.match(out, 'pushgateway_http_requests_total{code="400",handler="push",method="put"} 1\n')
  t.match(out, 'pushgateway_http_requests_total{code="202",handler="delete",method="delete"} 1\n')
  t.match(out, 'pushgateway_http_requests_total{code="200",handler="api/v1/status",method="get"} 1\n')
  t.match(out, 'pushgateway_http_push_duration_seconds_count{method="put"} 3\n')
  t.match(out, 'pushgateway_http_push_size_bytes_count{method="put"} 3\n')
  t.match(out, 'pushgateway_groups 1\n')
  t.match(out, 'pushgateway_series 3\n')
  const second = new Pushgateway({ registry })
  await second.handle(request('PUT', '/metrics/job/b', 'm 1\n'))
  t.match(await registry.metrics(), 'pushgateway_http_requests_total{code="200",handler="push",method="put"} 3\n', 'a second gateway on the same registry counts its requests in the same counter')
})

t.test('two gateways on one registry each report their own store; the registry reports the sum', async t => {
  const registry = new Registry()
  registry.setDefaultLabels({ service: 'api' })
  const one = gateway({ registry })
  const two = gateway({ registry })
  await one.push({ job: 'a' }, 'm 1\n')
  await two.push({ job: 'b' }, 'm 1\nn 1\n')
  await two.push({ job: 'c' }, 'm 1\n')
  const own = async (gw: Pushgateway): Promise<string> => (await gw.handle(request('GET', '/metrics'))).body.toString()
  t.match(await own(one), 'pushgateway_groups{service="api"} 1\n')
  t.match(await own(one), 'pushgateway_series{service="api"} 3\n', 'one series and the two timestamps')
  t.match(await own(two), 'pushgateway_groups{service="api"} 2\n')
  t.match(await own(two), 'pushgateway_series{service="api"} 7\n')
  t.match(await one.metrics({ registry: true }), 'pushgateway_groups{service="api"} 1\n', 'metrics() too')
  t.match(await registry.metrics(), 'pushgateway_groups{service="api"} 3\n')
  t.match(await registry.metrics(), 'pushgateway_series{service="api"} 10\n')
  await one.close()
  t.match(await registry.metrics(), 'pushgateway_groups{service="api"} 2\n', 'a closed gateway leaves the sum')
})

t.test('a gateway dropped without close() is not kept alive by the registry', async t => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const registry = new Registry()
  const kept = gateway({ registry })
  await kept.push({ job: 'kept' }, 'm 1\n')
  let dropped: WeakRef<Pushgateway> | undefined
  await (async () => {
    const gw = gateway({ registry })
    await gw.push({ job: 'dropped' }, 'm 1\n')
    t.match(await registry.metrics(), 'pushgateway_groups 2\n')
    dropped = new WeakRef(gw)
  })()
  for (let i = 0; i < 10 && dropped?.deref() !== undefined; i++) {
    await new Promise(resolve => setImmediate(resolve))
    gc()
  }
  t.equal(dropped?.deref(), undefined, 'collected')
  t.match(await registry.metrics(), 'pushgateway_groups 1\n', 'and no longer counted')
})

t.test('mergeIntoRegistry: one /metrics for the service', async t => {
  const registry = new Registry()
  const own = new Gauge({ name: 'service_up', help: 'The service is up.', registers: [registry] })
  own.set(1)
  const gw = gateway({ registry, mergeIntoRegistry: true })
  await gw.push({ job: 'batch' }, '# TYPE batch_done gauge\nbatch_done 1\n')
  const text = await registry.metrics()
  t.match(text, '# TYPE batch_done gauge\nbatch_done{instance="",job="batch"} 1\n')
  t.match(text, '# HELP service_up The service is up.\n# TYPE service_up gauge\nservice_up 1\n')
  t.match(text, 'pushgateway_groups 1\n')

  const om = new Registry()
  om.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never)
  new Gauge({ name: 'service_up', help: 'The service is up.', registers: [om] }).set(1)
  const omGateway = gateway({ registry: om, mergeIntoRegistry: true })
  await omGateway.push({ job: 'batch' }, 'batch_done 1\n')
  const omText = await om.metrics()
  t.match(omText, '# TYPE batch_done unknown\nbatch_done{instance="",job="batch"} 1.0\n')
  t.equal(omText.split('# EOF\n').length, 2, 'exactly one EOF')
  t.ok(omText.endsWith('# EOF\n'))

  const untouched = new Registry()
  const original = untouched.metrics
  t.throws(() => gateway({ registry: untouched, mergeIntoRegistry: true, bodyLimit: 0 }), { code: 'ERR_INVALID_OPTION' })
  t.equal(untouched.metrics, original, 'an invalid option leaves the registry as it was')
})

t.test('owns() tells the surface from the application\'s paths', async t => {
  const gw = gateway({ telemetryPath: '/prom' })
  for (const url of ['/metrics/job/a', '/metrics/job@base64/YQ?x=1', '/prom', '/api/v1/status', '/api/v1/other', '/-/healthy', '/-/ready', '/-/quit']) t.ok(gw.owns(url), url)
  for (const url of ['/', '/metrics', '/metrics/job', '/status', '/-/other', '/api/v1', '/prom/x']) t.notOk(gw.owns(url), url)
})

t.test('errors that are not the client\'s reach the caller of handle()', async t => {
  const store = new MemoryStore()
  store.push = () => { throw new Error('disk on fire') }
  const gw = gateway({ store })
  await t.rejects(gw.handle(request('PUT', '/metrics/job/a', 'm 1\n')), { message: 'disk on fire' })
})

t.test('options are validated once', async t => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['options', 5, /option "options" must be an object, got 5/],
    ['registry', { registry: {} }, /option "registry" must be a prom-client Registry, got \{\}/],
    ['store', { store: {} }, /option "store" must be a MetricStore/],
    ['consistencyCheck', { consistencyCheck: 'no' }, /option "consistencyCheck" must be a boolean, got "no"/],
    ['utf8Names', { utf8Names: 1 }, /option "utf8Names" must be a boolean, got 1/],
    ['bodyLimit', { bodyLimit: -1 }, /option "bodyLimit" must be a positive integer number of bytes, got -1/],
    ['bodyLimit NaN', { bodyLimit: Number.NaN }, /option "bodyLimit"/],
    ['telemetryPath', { telemetryPath: 'metrics' }, /option "telemetryPath" must be a path starting with "\/" or false/],
    ['telemetryPath true', { telemetryPath: true }, /option "telemetryPath"/],
    ['onQuit', { onQuit: 1 }, /option "onQuit" must be a function, got 1/],
    ['now', { now: 'x' }, /option "now" must be a function/],
    ['flags', { flags: 'x' }, /option "flags" must be an object of strings/],
    ['flags null', { flags: null }, /option "flags"/],
    ['mergeIntoRegistry', { mergeIntoRegistry: 1 }, /option "mergeIntoRegistry" must be a boolean/],
    ['an unknown option', { bodylimit: 1024 }, /option "bodylimit" must be left out: it is not an option \(did you mean "bodyLimit"\?\), got 1024/],
    ['an unknown option with no near name', { colour: 'red' }, /option "colour" must be left out: it is not an option, got "red"/],
    ['an adapter\'s option given to the core', { errorHandling: 'next' }, /option "errorHandling" must be left out: it is not an option/],
    ['an unknown nested option', { expiry: { tll: 5 } }, /option "expiry.tll" must be left out: it is not an option, got 5/],
    ['an unknown persistence option', { persistence: { file: 'x', Interval: 5 } }, /option "persistence.Interval" must be left out: it is not an option \(did you mean "persistence.interval"\?\)/],
    ['an unknown aggregation option', { aggregation: { rules: {} } }, /option "aggregation.rules" must be left out/]
  ]
  for (const [name, options, message] of cases) {
    t.throws(() => new Pushgateway(options as PushgatewayOptions), { name: 'TypeError', code: 'ERR_INVALID_OPTION', message }, name)
  }
  const store = new MemoryStore()
  t.equal(new Pushgateway({ store, registry: new Registry() }).store, store, 'a store can be passed in')
  t.equal(new Pushgateway().registry, register, 'the global registry is the default')
  const everyOptionUndefined = new Pushgateway({
    registry: new Registry(),
    store: undefined,
    consistencyCheck: undefined,
    utf8Names: undefined,
    bodyLimit: undefined,
    limits: { series: undefined },
    readTimeout: undefined,
    expiry: undefined,
    persistence: undefined,
    authorize: undefined,
    logger: undefined,
    aggregation: undefined,
    adminApi: undefined,
    onQuit: undefined,
    telemetryPath: undefined,
    openMetrics: undefined,
    exposeRegistry: undefined,
    mergeIntoRegistry: undefined,
    flags: undefined,
    now: undefined
  })
  t.equal(everyOptionUndefined.telemetryPath, '/metrics', 'an option given as undefined takes its default')
  await everyOptionUndefined.push({ job: 'a', labels: undefined } as never, 'm 1\n')
  t.match(await everyOptionUndefined.metrics(), 'm{instance="",job="a"} 1\n')
})

t.test('UTF-8 names', async t => {
  const TEXT = 'text/plain; version=0.0.4; charset=utf-8'
  const body = '# TYPE "my.metric" gauge\n{"my.metric","a.b"="c"} 1\n'
  const scrape = async (gw: Pushgateway, accept?: string): Promise<{ type: unknown, body: string }> => {
    const res = await gw.handle(request('GET', '/metrics', undefined, accept === undefined ? {} : { accept }))
    return { type: res.headers['content-type'], body: String(res.body) }
  }

  t.test('off by default: quoted names must still be legacy, U__ is an ordinary name', async t => {
    const gw = gateway({ exposeRegistry: false })
    const res = await gw.handle(request('PUT', '/metrics/job/a', body))
    t.equal(res.status, 400)
    t.match(res.body, 'invalid metric name "my.metric"')
    t.equal((await gw.handle(request('PUT', '/metrics/job/a/U__my_2e_label/v', 'm 1\n'))).status, 200)
    t.match(await pushed(gw), 'm{U__my_2e_label="v",instance="",job="a"} 1\n')
    await t.rejects(gw.push({ job: 'a', labels: { 'my.label': 'v' } }, 'm 1\n'), { message: 'improper label name "my.label"' })
    const allow = await scrape(gw, 'text/plain;version=0.0.4;escaping=allow-utf-8')
    t.same(allow.type, `${TEXT}; escaping=allow-utf-8`, 'the scheme asked for is named, though no name needs it')
    t.equal(allow.body, (await scrape(gw)).body)
  })

  t.test('on: quoted names, U__ and @base64 in the path, escaping on scrape', async t => {
    const gw = gateway({ utf8Names: true, exposeRegistry: false })
    t.equal((await gw.handle(request('PUT', '/metrics/job/a/U__my_2e_label@base64/di94', body))).status, 200)
    t.equal((await gw.handle(request('PUT', '/metrics/job/b/other.label/w', 'plain 2\n'))).status, 200, 'a label name as it is')
    await gw.push({ job: 'c', labels: { 'x.y': 'z' } }, 'plain 3\n')
    const text = await scrape(gw)
    t.same(text.type, `${TEXT}; escaping=underscores`)
    t.match(text.body, 'my_metric{a_b="c",instance="",job="a",my_label="v/x"} 1\n')
    t.match(text.body, 'plain{instance="",job="b",other_label="w"} 2\n')
    t.match(text.body, 'plain{instance="",job="c",x_y="z"} 3\n')
    const utf8 = await scrape(gw, 'text/plain;version=0.0.4;escaping=allow-utf-8')
    t.same(utf8.type, `${TEXT}; escaping=allow-utf-8`)
    t.match(utf8.body, '{"my.metric","a.b"="c",instance="",job="a","my.label"="v/x"} 1\n')
    t.match((await scrape(gw, 'text/plain;escaping=values')).body, 'U__my_2e_metric{U__a_2e_b="c",instance="",job="a",U__my_2e_label="v/x"} 1\n')
    const om = await scrape(gw, 'application/openmetrics-text;version=1.0.0;escaping=dots')
    t.same(om.type, 'application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=dots')
    t.match(om.body, 'my_dot_metric{a_dot_b="c",instance="",job="a",my_dot_label="v/x"} 1.0\n')
    const res = await gw.handle(request('GET', '/metrics', undefined, { accept: `${PROTOBUF_CONTENT_TYPE};escaping=values` }))
    t.equal(res.headers['content-type'], `${PROTOBUF_CONTENT_TYPE}; escaping=values`)
    const family = decodeDelimited(res.body as Buffer).find(f => f.name === 'U__my_2e_metric')
    t.same(family?.metrics[0]?.labels.map(l => l.name), ['U__a_2e_b', 'instance', 'job', 'U__my_2e_label'])
    t.match(await gw.metrics(), 'my_metric{a_b="c"', 'metrics() escapes with underscores by default')
    t.match(await gw.metrics({ escaping: 'allow-utf-8' }), '{"my.metric","a.b"="c"')
    t.equal((await gw.handle(request('DELETE', '/metrics/job/a/U__my_2e_label@base64/di94'))).status, 202)
    t.notMatch(await gw.metrics(), 'my_metric', 'the U__ path names the same group')
    const refused = await gw.handle(request('PUT', '/metrics/job/d', 'a_b 1\n{"a.b"} 2\n'))
    t.equal(refused.status, 400)
    t.match(refused.body, PREFIX + 'the metric name "a_b" would be exposed as "a_b", as "a.b" is, to a scrape asking for escaping=underscores')
    t.equal((await gw.handle(request('PUT', '/metrics/job/d/__x/1', 'm 1\n'))).status, 400, 'a leading __ is still refused')
    t.equal((await gw.handle(request('PUT', '/metrics/job/d/U____x/1', 'm 1\n'))).status, 200, 'U____x is _x, as in the reference')
    t.match(await gw.metrics(), 'm{_x="1",instance="",job="d"} 1\n')
  })
})
