import t from 'tap'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync, gzipSync } from 'node:zlib'
import { Readable } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyServerOptions, type LightMyRequestResponse } from 'fastify'
import { Registry } from 'prom-client'
import fastifyPushgateway, { fastifyPushgateway as named, type FastifyPushgatewayOptions } from '../src/fastify.js'
import { Pushgateway } from '../src/gateway.js'
import { MemoryStore } from '../src/store/memory/memory-store.js'
import { decodeDelimited, encodeDelimited, PROTOBUF_CONTENT_TYPE } from '../src/exposition/protobuf.js'
import type { MetricFamily } from '../src/exposition/types.js'

const TEXT_EXPOSITION = 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores'
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores'
const PLAIN = 'text/plain; charset=utf-8'

interface Teardown {
  teardown (fn: () => unknown): void
}

/** A fresh Fastify app with the plugin registered and ready; closed when the test ends. */
async function build (t: Teardown, options: FastifyPushgatewayOptions = {}, server: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(server)
  t.teardown(() => app.close())
  await app.register(fastifyPushgateway, { registry: new Registry(), ...options })
  await app.ready()
  return app
}

/** Whether Fastify's own 404 handler answered. */
function isAppNotFound (res: LightMyRequestResponse): boolean {
  return res.statusCode === 404 && /^Route [A-Z]+:\/\S* not found$/.test(res.json().message)
}

/** The exposition of everything pushed to the app's gateway. */
async function stored (app: FastifyInstance): Promise<string> {
  return app.pushgateway.metrics()
}

t.test('the plugin', async t => {
  t.test('default and named export are one fastify-plugin for Fastify 5', async t => {
    t.equal(fastifyPushgateway, named)
    const meta = fastifyPushgateway as unknown as Record<symbol, unknown>
    t.match(meta[Symbol.for('plugin-meta')], { fastify: '5.x', name: 'pushgateway-middleware' })
    t.equal(meta[Symbol.for('skip-override')], true)
  })

  t.test('decorates the app with its Pushgateway, also under a prefix', async t => {
    const app = await build(t, { prefix: '/pgw' })
    t.ok(app.pushgateway instanceof Pushgateway)
    t.ok(app.hasDecorator('pushgateway'))
  })

  t.test('a shared gateway is served as is, by several apps', async t => {
    const gateway = new Pushgateway({ registry: new Registry() })
    const one = Fastify()
    const two = Fastify()
    t.teardown(() => one.close())
    t.teardown(() => two.close())
    await one.register(fastifyPushgateway, { gateway })
    await two.register(fastifyPushgateway, { gateway, prefix: '/pgw' })
    t.equal(one.pushgateway, gateway)
    t.equal(two.pushgateway, gateway)
    t.equal((await one.inject({ method: 'PUT', url: '/metrics/job/shared', payload: 'm 1\n' })).statusCode, 200)
    const res = await two.inject('/pgw/metrics')
    t.equal(res.statusCode, 200)
    t.match(res.body, 'm{instance="",job="shared"} 1\n')
  })

  t.test('a shared gateway without an exposition gets no /metrics route', async t => {
    const gateway = new Pushgateway({ registry: new Registry(), telemetryPath: false })
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyPushgateway, { gateway })
    t.ok(isAppNotFound(await app.inject('/metrics')))
    t.equal((await app.inject('/-/healthy')).statusCode, 200)
  })
})

t.test('every endpoint, at the root and under a prefix', async t => {
  for (const prefix of ['', '/pgw']) {
    t.test(prefix === '' ? 'at the root' : `under ${prefix}`, async t => {
      let quits = 0
      const options: FastifyPushgatewayOptions = { adminApi: true, onQuit: () => { quits++ } }
      if (prefix !== '') options.prefix = prefix
      const app = await build(t, options)
      const inject = async (method: string, url: string, payload?: string, headers: Record<string, string> = {}) =>
        app.inject({ method: method as 'GET', url: prefix + url, headers, ...(payload === undefined ? {} : { payload }) })

      let res = await inject('PUT', '/metrics/job/a/instance/i1', 'm1 1\nm2 2\n')
      t.equal(res.statusCode, 200)
      t.equal(res.body, '')
      t.equal(res.headers['content-type'], undefined, 'an accepted push has no Content-Type, as the reference')
      t.equal(res.headers['content-length'], '0')
      res = await inject('POST', '/metrics/job/a/instance/i1', 'm2 20\n')
      t.equal(res.statusCode, 200)
      t.match(await stored(app), /m1\{instance="i1",job="a"\} 1\n[^]*m2\{instance="i1",job="a"\} 20\n/)

      res = await inject('PUT', '/metrics/job@base64/YS9i/path@base64/L3Zhci90bXA/v/b+c%20d/p/x%2Fy%2Fz', 'b 1\n')
      t.equal(res.statusCode, 200)
      t.match(await stored(app), 'b{instance="",job="a/b",p="x/y/z",path="/var/tmp",v="b+c d"} 1\n', '@base64, + kept, %20 and %2F decoded by the core')
      res = await inject('PUT', '/metrics/job/j/a/x%2Fy/b', 'c 1\n')
      t.same([res.statusCode, res.body], [400, 'odd number of components in label string "/a/x/y/b"\n'])
      t.equal(res.headers['content-type'], PLAIN)
      t.equal(res.headers['x-content-type-options'], 'nosniff')
      const long = Buffer.from('v'.repeat(300)).toString('base64url')
      t.equal((await inject('PUT', `/metrics/job/long/l@base64/${long}`, 'l 1\n')).statusCode, 200, 'segments longer than maxParamLength')
      res = await inject('POST', '/metrics/job/', 'm 1\n')
      t.same([res.statusCode, res.body], [400, 'job name is required\n'])
      res = await inject('PUT', '/metrics/job/p', 'x 1')
      t.same([res.statusCode, res.body], [400, 'text format parsing error in line 1: unexpected end of input stream\n'])

      res = await inject('OPTIONS', '/metrics/job/a')
      t.same([res.statusCode, res.headers['allow'], res.body], [200, 'DELETE, OPTIONS, POST, PUT', ''])
      for (const method of ['GET', 'HEAD', 'PATCH', 'TRACE']) {
        res = await inject(method, '/metrics/job/a')
        t.same([res.statusCode, res.headers['allow']], [405, 'DELETE, OPTIONS, POST, PUT'], `${method} on a push path`)
      }
      res = await inject('HEAD', '/metrics')
      t.equal(res.statusCode, 405, 'HEAD is not derived from GET, as in the reference')

      res = await inject('GET', '/metrics')
      t.equal(res.statusCode, 200)
      t.equal(res.headers['content-type'], TEXT_EXPOSITION)
      t.match(res.body, 'm1{instance="i1",job="a"} 1\n')
      t.match(res.body, 'pushgateway_http_requests_total{', 'the own metrics of the registry')
      t.equal((await inject('PUT', '/metrics')).statusCode, 405)

      res = await inject('GET', '/api/v1/status')
      t.equal(res.statusCode, 200)
      t.equal(res.headers['content-type'], 'application/json', 'no charset added by Fastify')
      t.equal(res.headers['access-control-allow-origin'], '*')
      t.equal(res.json().data.flags['web.enable-admin-api'], 'true')
      res = await inject('GET', '/api/v1/metrics')
      t.same(res.json().data.map((group: { labels: unknown }) => group.labels).slice(0, 1), [{ job: 'a', instance: 'i1' }])
      res = await inject('OPTIONS', '/api/v1/metrics')
      t.same([res.statusCode, res.headers['access-control-allow-methods']], [200, 'GET, POST, DELETE, OPTIONS'])
      res = await inject('GET', '/api/v1/nothing')
      t.same([res.statusCode, res.body], [404, '404 page not found\n'], 'the core answers inside /api/v1/')

      res = await inject('GET', '/-/healthy')
      t.same([res.statusCode, res.body, res.headers['content-type']], [200, 'OK', PLAIN])
      t.equal((await inject('GET', '/-/ready')).statusCode, 200)
      t.equal((await inject('POST', '/-/ready')).statusCode, 405)
      res = await inject('GET', '/-/quit')
      t.same([res.statusCode, res.body], [405, 'Only POST or PUT requests allowed.'])
      res = await inject('PUT', '/-/quit')
      t.same([res.statusCode, res.body], [200, 'Requesting termination... Goodbye!'])
      await new Promise(resolve => setImmediate(resolve))
      t.equal(quits, 1)

      res = await inject('DELETE', '/metrics/job/a/instance/i1')
      t.same([res.statusCode, res.body], [202, ''])
      t.notMatch(await stored(app), /job="a"[,}]/)
      res = await inject('PUT', '/api/v1/admin/wipe')
      t.same([res.statusCode, res.body], [202, ''])
      t.equal(await stored(app), '')

      for (const url of ['/nothing', '/metrics/job', '/metrics/other', '/api/v1', '/-/other']) {
        t.ok(isAppNotFound(await inject('GET', url)), `${url} is the application's`)
      }
      if (prefix !== '') t.ok(isAppNotFound(await app.inject('/metrics')), 'nothing outside the prefix')
    })
  }
})

t.test('request bodies reach the core untouched', async t => {
  t.test('gzip, protobuf, OpenMetrics, JSON-labelled and no Content-Type', async t => {
    const app = await build(t, { prefix: '/pgw' })
    let res = await app.inject({ method: 'PUT', url: '/pgw/metrics/job/gz', payload: gzipSync('gz 1\n'), headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain' } })
    t.equal(res.statusCode, 200)
    res = await app.inject({ method: 'PUT', url: '/pgw/metrics/job/bad-gz', payload: 'not gzip', headers: { 'content-encoding': 'gzip' } })
    t.match([res.statusCode, res.body], [400, /^invalid gzip body: /])
    res = await app.inject({ method: 'PUT', url: '/pgw/metrics/job/br', payload: 'x', headers: { 'content-encoding': 'br' } })
    t.equal(res.statusCode, 415, 'the core refuses other encodings')
    const family: MetricFamily = { name: 'pb_total', help: 'From protobuf.', type: 'counter', metrics: [{ labels: [{ name: 'kind', value: 'x' }], value: 3 }] }
    res = await app.inject({ method: 'POST', url: '/pgw/metrics/job/pb', payload: encodeDelimited([family]), headers: { 'content-type': PROTOBUF_CONTENT_TYPE } })
    t.equal(res.statusCode, 200)
    res = await app.inject({ method: 'PUT', url: '/pgw/metrics/job/om', payload: '# TYPE om counter\nom_total 2\n# EOF\n', headers: { 'content-type': 'application/openmetrics-text; version=1.0.0' } })
    t.equal(res.statusCode, 200)
    res = await app.inject({ method: 'PUT', url: '/pgw/metrics/job/json', payload: 'js 4\n', headers: { 'content-type': 'application/json' } })
    t.equal(res.statusCode, 200, 'Fastify\'s JSON parser is not used on the gateway routes')
    res = await app.inject({ method: 'PUT', url: '/pgw/metrics/job/none', payload: 'none 5\n' })
    t.equal(res.statusCode, 200)
    res = await app.inject({ method: 'PUT', url: '/pgw/metrics/job/empty' })
    t.equal(res.statusCode, 200, 'no body at all')
    const out = await stored(app)
    for (const line of ['gz{instance="",job="gz"} 1\n', 'pb_total{instance="",job="pb",kind="x"} 3\n', 'om_total{instance="",job="om"} 2\n', 'js{instance="",job="json"} 4\n', 'none{instance="",job="none"} 5\n', 'push_time_seconds{instance="",job="empty"} ']) {
      t.match(out, line)
    }
    t.notMatch(out, 'job="bad-gz"', 'a refused push leaves no group behind')
  })

  t.test('the Content-Type set aside for Fastify is in place again for the gateway and after it', async t => {
    const app = Fastify()
    t.teardown(() => app.close())
    const seen: unknown[] = []
    app.addHook('onResponse', async request => { seen.push(request.headers['content-type']) })
    await app.register(fastifyPushgateway, { registry: new Registry(), prefix: '/pgw' })
    const res = await app.inject({ method: 'PUT', url: '/pgw/metrics/job/om', payload: '# TYPE om counter\nom_total 2\n# EOF\n', headers: { 'content-type': 'application/openmetrics-text; version=1.0.0' } })
    t.equal(res.statusCode, 200, 'the gateway parsed OpenMetrics')
    t.same(seen, ['application/openmetrics-text; version=1.0.0'])
  })

  t.test('the core\'s bodyLimit applies, Fastify\'s does not', async t => {
    const app = await build(t, { bodyLimit: 64 * 1024 }, { bodyLimit: 1024 })
    const big = Array.from({ length: 2000 }, (_, i) => `big_${i} ${i}\n`).join('')
    t.ok(big.length > 1024 && big.length < 64 * 1024)
    t.equal((await app.inject({ method: 'PUT', url: '/metrics/job/big', payload: big })).statusCode, 200, 'over Fastify\'s bodyLimit')
    const huge = 'x'.repeat(64 * 1024 + 1)
    let res = await app.inject({ method: 'PUT', url: '/metrics/job/huge', payload: huge, headers: { 'content-type': 'text/plain' } })
    t.same([res.statusCode, res.body], [413, 'request body exceeds the body limit of 65536 bytes\n'])
    res = await app.inject({ method: 'PUT', url: '/metrics/job/bomb', payload: gzipSync(Buffer.alloc(1024 * 1024, 'a')), headers: { 'content-encoding': 'gzip' } })
    t.equal(res.statusCode, 413, 'counted after decompression')
  })

  t.test('a malformed Content-Type is read as text, as the reference does, not refused by Fastify', async t => {
    const app = await build(t)
    for (const [job, contentType] of [['a', 'text'], ['b', ''], ['c', ';;;'], ['d', 'text/plain;;;']]) {
      const res = await app.inject({ method: 'PUT', url: `/metrics/job/${job as string}`, payload: 'm 1\n', headers: { 'content-type': contentType as string } })
      t.equal(res.statusCode, 200, JSON.stringify(contentType))
    }
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
    t.match(text, 'm{instance="",job="c"} 1\n')
  })

  t.test('the application keeps its own parsers, routes and hooks', async t => {
    const app = Fastify()
    t.teardown(() => app.close())
    app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => { done(null, String(body).split(',')) })
    app.post('/json', async request => ({ got: request.body }))
    await app.register(fastifyPushgateway, { registry: new Registry() })
    app.post('/csv', async request => ({ got: request.body }))
    app.post('/metrics/other', async request => ({ got: request.body }))
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers['x-deny'] !== undefined) await reply.code(401).send('denied')
    })
    let res = await app.inject({ method: 'POST', url: '/json', payload: { a: 1 } })
    t.same(res.json(), { got: { a: 1 } })
    res = await app.inject({ method: 'POST', url: '/csv', payload: 'a,b', headers: { 'content-type': 'text/csv' } })
    t.same(res.json(), { got: ['a', 'b'] })
    res = await app.inject({ method: 'POST', url: '/metrics/other', payload: { b: 2 } })
    t.same(res.json(), { got: { b: 2 } }, 'a route next to the surface')
    res = await app.inject({ method: 'POST', url: '/json', payload: 'a,b', headers: { 'content-type': 'application/x-unknown' } })
    t.equal(res.statusCode, 415, 'the catch-all parser stays inside the plugin')
    res = await app.inject({ method: 'PUT', url: '/metrics/job/a', payload: 'm 1\n', headers: { 'x-deny': '1' } })
    t.same([res.statusCode, res.body], [401, 'denied'], 'the application\'s hooks run on the gateway routes')
    t.equal(await stored(app), '')
  })
})

t.test('scrape', async t => {
  t.test('content negotiation and gzip', async t => {
    const app = await build(t)
    await app.pushgateway.push({ job: 'a' }, '# TYPE c counter\nc 1\n')
    let res = await app.inject({ url: '/metrics', headers: { accept: 'application/openmetrics-text; version=1.0.0' } })
    t.equal(res.headers['content-type'], OPENMETRICS)
    t.match(res.body, /^# TYPE c [^]*job="a"[^]*\n# EOF\n$/)
    res = await app.inject({ url: '/metrics', headers: { accept: PROTOBUF_CONTENT_TYPE } })
    t.equal(res.headers['content-type'], PROTOBUF_CONTENT_TYPE + '; escaping=underscores')
    t.ok(decodeDelimited(res.rawPayload).some(f => f.name === 'c' && f.metrics[0]?.value === 1))
    res = await app.inject({ url: '/metrics', headers: { 'accept-encoding': 'gzip' } })
    t.equal(res.headers['content-encoding'], 'gzip')
    t.equal(res.headers['content-type'], TEXT_EXPOSITION)
    t.match(gunzipSync(res.rawPayload).toString(), 'c{instance="",job="a"} 1\n')
    t.equal(res.headers['content-length'], String(res.rawPayload.length))
  })

  t.test('a scrape goes to Fastify as a stream of the core\'s chunks with its length, other text as the core\'s string, JSON as bytes that keep their Content-Type', async t => {
    const app = Fastify()
    t.teardown(() => app.close())
    const payloads: Array<[string, string, string]> = []
    app.addHook('onSend', async (request, reply, payload) => {
      const kind = typeof payload === 'string' ? 'string' : Buffer.isBuffer(payload) ? 'buffer' : payload instanceof Readable ? 'stream' : typeof payload
      payloads.push([request.url, kind, String(reply.getHeader('content-type'))])
      return payload
    })
    await app.register(fastifyPushgateway, { registry: new Registry() })
    await app.pushgateway.push({ job: 'a' }, '# TYPE c counter\nc 1\n')
    const scrape = await app.inject({ url: '/metrics' })
    const healthy = await app.inject({ url: '/-/healthy' })
    const status = await app.inject({ url: '/api/v1/status' })
    t.match(scrape.body, /^# TYPE c counter\nc\{instance="",job="a"\} 1\n[^]*\npushgateway_series 3\n$/)
    t.equal(scrape.headers['content-length'], String(Buffer.byteLength(scrape.body)))
    t.equal(healthy.body, 'OK')
    t.equal(status.json().status, 'success')
    t.same(payloads, [['/metrics', 'stream', TEXT_EXPOSITION], ['/-/healthy', 'string', PLAIN], ['/api/v1/status', 'buffer', 'application/json']])
  })

  t.test('telemetryPath is honoured', async t => {
    const cases: Array<[string, string | false, string[], string[]]> = [
      ['another path', '/prom', ['/prom'], ['/metrics']],
      ['no exposition', false, [], ['/metrics']],
      ['a path with a colon', '/a:b', ['/a:b'], ['/a', '/metrics']],
      ['a path inside the API routes', '/api/v1/prom', ['/api/v1/prom'], ['/metrics']],
      ['a management path', '/-/ready', ['/-/ready'], ['/metrics']]
    ]
    for (const [name, telemetryPath, served, notServed] of cases) {
      t.test(name, async t => {
        const app = await build(t, { telemetryPath })
        for (const url of served) t.equal((await app.inject(url)).headers['content-type'], TEXT_EXPOSITION, url)
        for (const url of notServed) t.equal((await app.inject(url)).statusCode, 404, url)
      })
    }
  })

  t.test('an application route on the telemetry path clashes; telemetryPath: false leaves it to the application', async t => {
    const clash = Fastify()
    t.teardown(() => clash.close())
    clash.get('/metrics', async () => 'app metrics')
    await t.rejects(async () => {
      await clash.register(fastifyPushgateway, { registry: new Registry() })
      await clash.ready()
    }, { code: 'FST_ERR_DUPLICATED_ROUTE' })
    const app = Fastify()
    t.teardown(() => app.close())
    app.get('/metrics', async () => 'app metrics')
    await app.register(fastifyPushgateway, { registry: new Registry(), telemetryPath: false })
    t.equal((await app.inject('/metrics')).body, 'app metrics')
  })
})

t.test('prefixes', async t => {
  const cases: Array<[string, string, string, FastifyServerOptions?]> = [
    ['a trailing slash', '/pgw/', '/pgw'],
    ['no leading slash', 'pgw', '/pgw'],
    ['two levels', '/a/b', '/a/b'],
    ['a parametric prefix', '/:tenant', '/acme'],
    ['caseSensitive: false', '/pgw', '/PGW', { routerOptions: { caseSensitive: false } }],
    ['ignoreDuplicateSlashes', '/pgw', '//pgw//', { routerOptions: { ignoreDuplicateSlashes: true } }],
    ['ignoreDuplicateSlashes at the root', '', '//', { routerOptions: { ignoreDuplicateSlashes: true } }]
  ]
  for (const [name, prefix, mount, server] of cases) {
    t.test(name, async t => {
      const app = await build(t, prefix === '' ? {} : { prefix }, server)
      const res = await app.inject({ method: 'PUT', url: `${mount}/metrics/job/a/l/v?x=/y`, payload: 'm 1\n' })
      t.equal(res.statusCode, 200)
      t.match(await stored(app), 'm{instance="",job="a",l="v"} 1\n')
      t.equal((await app.inject(`${mount}/-/healthy`)).body, 'OK')
    })
  }

  t.test('the prefix of an enclosing context comes first', async t => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(async child => {
      await child.register(fastifyPushgateway, { prefix: '/pgw', registry: new Registry() })
    }, { prefix: '/api' })
    t.equal((await app.inject({ method: 'PUT', url: '/api/pgw/metrics/job/a', payload: 'm 1\n' })).statusCode, 200)
    t.equal((await app.inject('/api/pgw/metrics')).headers['content-type'], TEXT_EXPOSITION)
    t.equal(app.hasDecorator('pushgateway'), false, 'decorated in the enclosing context only')
  })

  t.test('unknown paths under the prefix go to the application\'s 404 handler', async t => {
    const app = Fastify()
    t.teardown(() => app.close())
    app.setNotFoundHandler(async (_request, reply) => reply.code(404).send('app 404'))
    await app.register(fastifyPushgateway, { prefix: '/pgw', registry: new Registry() })
    t.same([(await app.inject('/pgw/nothing')).body, (await app.inject('/pgw/statuses')).body, (await app.inject('/other')).body], ['app 404', 'app 404', 'app 404'])
  })

  t.test('two gateways in one app need two contexts: the decorator is per context', async t => {
    const app = Fastify()
    t.teardown(() => app.close())
    for (const prefix of ['/one', '/two']) {
      await app.register(async child => {
        await child.register(fastifyPushgateway, { prefix, registry: new Registry() })
      })
    }
    t.equal((await app.inject({ method: 'PUT', url: '/one/metrics/job/a', payload: 'm 1\n' })).statusCode, 200)
    t.match((await app.inject('/one/metrics')).body, 'job="a"')
    t.notMatch((await app.inject('/two/metrics')).body, 'job="a"')
  })
})

t.test('options are validated when the plugin loads', async t => {
  const gateway = new Pushgateway({ registry: new Registry() })
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['gateway must be a Pushgateway', { gateway: {} }, /option "gateway" must be a Pushgateway, got \{\}/],
    ['gateway must not be null', { gateway: null }, /option "gateway" must be a Pushgateway, got null/],
    ['gateway plus a core option', { gateway, bodyLimit: 10 }, /option "bodyLimit" must be left out when "gateway" is given \(configure that Pushgateway instead\), got 10/],
    ['core options are checked by the core', { bodyLimit: -1 }, /option "bodyLimit" must be a positive integer number of bytes, got -1/],
    ['prefix must be a string', { prefix: 5 }, /option "prefix" must be a string, got 5/],
    ['errorHandling is respond or next', { errorHandling: 'throw' }, /option "errorHandling" must be "respond" or "next", got "throw"/],
    ['an unknown option is refused, with the one it most likely meant', { bodylimit: 1024 }, /option "bodylimit" must be left out: it is not an option \(did you mean "bodyLimit"\?\), got 1024/],
    ['an unknown option with a gateway too', { gateway, adminapi: true }, /option "adminapi" must be left out: it is not an option \(did you mean "adminApi"\?\)/]
  ]
  for (const [name, options, message] of cases) {
    t.test(name, async t => {
      const app = Fastify()
      t.teardown(() => app.close())
      await t.rejects(async () => {
        await app.register(fastifyPushgateway, { ...(options['gateway'] === undefined ? { registry: new Registry() } : {}), ...options } as FastifyPushgatewayOptions)
        await app.ready()
      }, { name: 'TypeError', code: 'ERR_INVALID_OPTION', message })
    })
  }

  t.test('a gateway with only Fastify\'s register options is fine', async t => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyPushgateway, { gateway, prefix: '/pgw', logLevel: 'warn' })
    t.equal(app.pushgateway, gateway)
  })
})

t.test('registered twice in one scope: an error that says how to do it', async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => {
    await app.register(fastifyPushgateway, { registry: new Registry(), prefix: '/one' })
    await app.register(fastifyPushgateway, { registry: new Registry(), prefix: '/two' })
  }, { message: /has a `pushgateway` decorator already.*register each in an encapsulated child of its own/ })
  const nested = Fastify()
  t.teardown(() => nested.close())
  await t.rejects(async () => {
    await nested.register(fastifyPushgateway, { registry: new Registry(), prefix: '/one' })
    await nested.register(async child => { await child.register(fastifyPushgateway, { registry: new Registry(), prefix: '/two' }) })
  }, { message: /has a `pushgateway` decorator already/ }, 'a child of a scope that has one')
})

t.test('errorHandling next: bad requests go to the app\'s error handler', async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  const seen: Error[] = []
  app.setErrorHandler(async (error: Error & { statusCode?: number }, _request, reply) => {
    seen.push(error)
    return reply.code(error.statusCode ?? 500).send(`app: ${error.message}`)
  })
  await app.register(fastifyPushgateway, { registry: new Registry(), errorHandling: 'next', bodyLimit: 8 })
  let res = await app.inject({ method: 'PUT', url: '/metrics/job/a', payload: 'x' })
  t.same([res.statusCode, res.body], [400, 'app: text format parsing error in line 1: unexpected end of input stream'])
  t.match(seen[0], { name: 'ParseError', code: 'ERR_PARSE', statusCode: 400, expose: true })
  res = await app.inject({ method: 'PUT', url: '/metrics/job/a', payload: 'm 1 # too long\n' })
  t.same([res.statusCode, res.body], [413, 'app: request body exceeds the body limit of 8 bytes'])
  t.equal((await app.inject({ method: 'PUT', url: '/metrics/job/a', payload: 'm 1\n' })).statusCode, 200, 'successes are answered')
  res = await app.inject({ method: 'PUT', url: '/metrics' })
  t.same([res.statusCode, res.body], [405, 'Method Not Allowed\n'], 'answers that are not errors of a request are the gateway\'s')
  t.equal(seen.length, 2)
})

t.test('the gateway logs through fastify.log unless told otherwise', async t => {
  const dir = t.testdir({ 'pg.data': 'pushgateway-middleware snapshot 2\ncut short' })
  const lines: string[] = []
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } })
  await app.register(fastifyPushgateway, { registry: new Registry(), persistence: { file: `${dir}/pg.data`, interval: 3_600_000 } })
  await app.close()
  const record = lines.map(line => JSON.parse(line) as Record<string, unknown>).find(r => r['msg'] === 'could not load the persistence file; it was set aside and the gateway starts empty')
  t.match(record, { level: 50, file: `${dir}/pg.data`, reason: 'invalid', movedTo: /pg\.data\.invalid-/ }, 'with every field, at error level')
})

t.test('an unexpected error reaches Fastify\'s error handler', async t => {
  const store = new MemoryStore()
  store.push = () => { throw new Error('disk on fire') }
  const app = Fastify()
  t.teardown(() => app.close())
  const seen: Error[] = []
  app.setErrorHandler(async (error: Error, _request, reply) => {
    seen.push(error)
    return reply.code(500).send('handled')
  })
  await app.register(fastifyPushgateway, { registry: new Registry(), store })
  const res = await app.inject({ method: 'PUT', url: '/metrics/job/a', payload: 'm 1\n' })
  t.same([res.statusCode, res.body], [500, 'handled'])
  t.equal(seen[0]?.message, 'disk on fire')

  const plain = await build(t, { store })
  const fallback = await plain.inject({ method: 'PUT', url: '/metrics/job/a', payload: 'm 1\n' })
  t.same([fallback.statusCode, fallback.json().message], [500, 'disk on fire'], 'Fastify\'s default error handler')
})

t.test('a real server takes a chunked push with no Content-Type, as prom-client sends it', async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  const seen: Array<Record<string, unknown>> = []
  app.addHook('onRequest', async request => { seen.push({ ...request.headers }) })
  await app.register(fastifyPushgateway, { prefix: '/pgw', registry: new Registry() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const put = async (path: string) => new Promise<{ status: number | undefined, body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.write('# TYPE node_items_total counter\n')
    setImmediate(() => req.end('node_items_total{kind="x"} 3\n'))
  })
  t.same(await put('/pgw/metrics/job/node/instance/host%201/plus/a%2Bb'), { status: 200, body: '' })
  t.match(seen[0], { 'transfer-encoding': 'chunked', 'content-type': undefined, 'content-length': undefined })
  t.match(await stored(app), 'node_items_total{instance="host 1",job="node",kind="x",plus="a+b"} 3\n')
  t.same(await put('/pgw/metrics/job/node%2Fbatch/instance/x'), { status: 200, body: '' })
  t.match(await stored(app), 'node_items_total{instance="x",job="node/batch",kind="x"} 3\n', 'a job with %2F keeps its slash (the reference splits it)')
})

t.test('the status page', async t => {
  t.test('without a prefix it is off, so the app keeps its own /', async t => {
    const app = Fastify()
    t.teardown(() => app.close())
    app.get('/', async () => 'home')
    await app.register(fastifyPushgateway, { registry: new Registry() })
    t.equal((await app.inject({ method: 'GET', url: '/' })).body, 'home')
    t.ok(isAppNotFound(await app.inject({ method: 'GET', url: '/static/status.js' })))
    t.ok(isAppNotFound(await app.inject({ method: 'GET', url: '/status' })))
  })

  t.test('without a prefix, ui: true serves it', async t => {
    const app = await build(t, { ui: true })
    const res = await app.inject({ method: 'GET', url: '/' })
    t.equal(res.statusCode, 200)
    t.match(res.body, 'data-base=""')
  })

  t.test('under a prefix: at the prefix, / and /status, with its assets under the prefix', async t => {
    const app = await build(t, { prefix: '/pgw', adminApi: true })
    for (const url of ['/pgw', '/pgw/', '/pgw/status', '/pgw?tab=status']) {
      const res = await app.inject({ method: 'GET', url })
      t.equal(res.statusCode, 200, url)
      t.equal(res.headers['content-type'], 'text/html; charset=utf-8')
      t.match(res.headers['content-security-policy'], /^default-src 'self'/)
      t.match(res.body, 'data-base="/pgw" data-admin="true"')
    }
    const css = await app.inject({ method: 'GET', url: '/pgw/static/status.css', headers: { 'accept-encoding': 'gzip' } })
    t.same([css.statusCode, css.headers['content-encoding'], css.headers['content-type']], [200, 'gzip', 'text/css; charset=utf-8'])
    t.equal(gunzipSync(css.rawPayload).toString().includes('prefers-color-scheme: dark'), true)
    t.equal((await app.inject({ method: 'GET', url: '/pgw/static/nope.js' })).statusCode, 404)
    t.equal((await app.inject({ method: 'POST', url: '/pgw/status' })).statusCode, 405)
  })

  t.test('ui: false under a prefix registers no route for it', async t => {
    const app = await build(t, { prefix: '/pgw', ui: false })
    t.ok(isAppNotFound(await app.inject({ method: 'GET', url: '/pgw/' })))
  })

  t.test('a telemetry path at / keeps its route', async t => {
    const app = await build(t, { prefix: '/pgw', telemetryPath: '/' })
    const res = await app.inject({ method: 'GET', url: '/pgw/' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
    t.equal((await app.inject({ method: 'GET', url: '/pgw/status' })).headers['content-type'], 'text/html; charset=utf-8')
  })
})
