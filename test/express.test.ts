import t from 'tap'
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync, gzipSync } from 'node:zlib'
import express, { type ErrorRequestHandler, type RequestHandler } from 'express'
import express4 from 'express4'
import getRawBody from 'raw-body'
import { Registry } from 'prom-client'
import { pushgateway, type ExpressPushgatewayOptions, type PushgatewayMiddleware } from '../src/express.js'
import { Pushgateway } from '../src/gateway.js'
import { MemoryStore } from '../src/store/memory/memory-store.js'
import { PushgatewayError } from '../src/errors.js'

interface Answer {
  statusCode: number
  headers: IncomingHttpHeaders
  body: string
  raw: Buffer
}

interface Injection {
  method: string
  url: string
  payload?: string | Buffer
  headers?: OutgoingHttpHeaders
  /** Chunks written one by one, for a streamed upload. */
  chunks?: Array<string | Buffer>
}

type Framework = typeof express
// Both majors behind one type: the middleware uses only the node request/response API.
const FRAMEWORKS = [['5', express], ['4', express4 as unknown as Framework]] as const

const servers = new WeakMap<express.Express, Promise<Server>>()

// Sends a request to the app over a real loopback socket (one server per app, closed at the end).
async function inject (application: express.Express, options: Injection): Promise<Answer> {
  let starting = servers.get(application)
  if (starting === undefined) {
    starting = listen(application)
    servers.set(application, starting)
    const server = await starting
    t.teardown(() => { server.close() })
  }
  const { port } = (await starting).address() as AddressInfo
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers }
    // Node sends no length for the body of a DELETE on its own.
    if (options.payload !== undefined) headers['content-length'] ??= Buffer.byteLength(options.payload)
    const req = httpRequest({ host: '127.0.0.1', port, method: options.method, path: options.url, headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', chunk => chunks.push(chunk))
      res.on('end', () => {
        const raw = Buffer.concat(chunks)
        resolve({ statusCode: res.statusCode as number, headers: res.headers, body: raw.toString(), raw })
      })
    })
    req.on('error', reject)
    for (const chunk of options.chunks ?? []) req.write(chunk)
    req.end(options.payload)
  })
}

async function listen (application: express.Express): Promise<Server> {
  return new Promise(resolve => {
    const server = application.listen(0, '127.0.0.1', () => resolve(server))
  })
}

function middleware (options: ExpressPushgatewayOptions = {}): PushgatewayMiddleware {
  return pushgateway(options.gateway === undefined ? { registry: new Registry(), ...options } : options)
}

// An app with routes of its own around the gateway, as a service has.
function appWith (framework: Framework, mount: string, options: ExpressPushgatewayOptions = {}): express.Express {
  const application = framework()
  application.get('/', (_req, res) => { res.send('home') })
  application.get('/metrics-of-my-own', (_req, res) => { res.send('my own metrics') })
  application.use(mount, middleware(options))
  application.get('/after', (_req, res) => { res.send('after') })
  return application
}

const TEXT = 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores'

for (const [version, framework] of FRAMEWORKS) {
  for (const mount of ['/', '/pgw']) {
    const base = mount === '/' ? '' : mount
    t.test(`Express ${version}, mounted at ${mount}`, async t => {
      const application = appWith(framework, mount, { adminApi: true })
      const send = async (method: string, path: string, more: Omit<Injection, 'method' | 'url'> = {}): Promise<Answer> =>
        inject(application, { method, url: base + path, ...more })

      t.test('push paths', async t => {
        let res = await send('PUT', '/metrics/job/a/p@base64/L3Zhci90bXA/v/b+c%20e', { payload: 'm 1\n' })
        t.same([res.statusCode, res.body, res.headers['content-length'], res.headers['content-type']], [200, '', '0', undefined])
        res = await send('POST', '/metrics/job@base64/YQ/p@base64/L3Zhci90bXA', { payload: gzipSync('n 2\n'), headers: { 'content-encoding': 'gzip' } })
        t.equal(res.statusCode, 200, 'a gzip push')
        res = await send('POST', '/metrics/job/a/p/b+c%2Fd%20e/q', { payload: 'n 2\n' })
        t.same([res.statusCode, res.body], [400, 'odd number of components in label string "/p/b+c/d e/q"\n'], '%2F stays inside its component, decoded by the core')
        res = await send('PUT', '/metrics/job/j/a/1/b', { payload: 'm 1\n' })
        t.same([res.statusCode, res.body, res.headers['content-type']], [400, 'odd number of components in label string "/a/1/b"\n', 'text/plain; charset=utf-8'])
        res = await send('PUT', '/metrics/job/j', { payload: 'x 1' })
        t.same([res.statusCode, res.body], [400, 'text format parsing error in line 1: unexpected end of input stream\n'])
        res = await send('GET', '/metrics/job/a')
        t.same([res.statusCode, res.headers.allow], [405, 'DELETE, OPTIONS, POST, PUT'])
      })

      t.test('the exposition', async t => {
        let res = await send('GET', '/metrics', { headers: { 'accept-encoding': 'gzip' } })
        t.same([res.statusCode, res.headers['content-type'], res.headers['content-encoding']], [200, TEXT, 'gzip'])
        t.equal(res.headers['content-length'], String(res.raw.length), 'the length is sent, not chunks')
        const text = gunzipSync(res.raw).toString()
        t.match(text, 'm{instance="",job="a",p="/var/tmp",v="b+c e"} 1\n', '+ stays +, %20 is a space')
        t.match(text, 'n{instance="",job="a",p="/var/tmp"} 2\n')
        res = await send('GET', '/metrics?debug=1')
        t.same([res.headers['content-type'], res.headers['content-encoding']], [TEXT, undefined])
        t.match(res.body, 'pushgateway_http_requests_total{', 'the registry is exposed too')
        res = await send('GET', '/metrics', { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })
        t.match(res.headers['content-type'], /^application\/openmetrics-text; version=1\.0\.0/)
        t.match(res.body, /# EOF\n$/)
        res = await send('GET', '/metrics', { headers: { accept: 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' } })
        t.match(res.headers['content-type'], /^application\/vnd\.google\.protobuf; proto=io\.prometheus\.client\.MetricFamily; encoding=delimited/)
        t.ok(res.raw.includes('/var/tmp'))
        res = await send('PUT', '/metrics')
        t.same([res.statusCode, res.headers.allow], [405, 'GET, OPTIONS'])
      })

      t.test('the API and the management paths', async t => {
        let res = await send('GET', '/api/v1/metrics')
        t.same([res.statusCode, res.headers['content-type']], [200, 'application/json'])
        t.match(JSON.parse(res.body).data, [{ labels: { job: 'a', p: '/var/tmp', v: 'b+c e' } }, { labels: { job: 'a', p: '/var/tmp' } }])
        res = await send('GET', '/api/v1/status')
        t.same([JSON.parse(res.body).status, JSON.parse(res.body).data.flags['web.enable-admin-api']], ['success', 'true'])
        res = await send('GET', '/api/v1/nothing')
        t.same([res.statusCode, res.body], [404, '404 page not found\n'], 'the gateway owns /api/v1/')
        res = await send('GET', '/-/healthy')
        t.same([res.statusCode, res.body, res.headers['content-length']], [200, 'OK', '2'])
        t.same((await send('GET', '/-/ready')).statusCode, 200)
        res = await send('PUT', '/-/quit')
        t.same([res.statusCode, res.body], [403, 'Lifecycle API is not enabled.'])
      })

      t.test('delete and wipe', async t => {
        await send('PUT', '/metrics/job/b', { payload: 'o 3\n' })
        t.equal((await send('DELETE', '/metrics/job@base64/YQ/p@base64/L3Zhci90bXA')).statusCode, 202)
        let res = await send('GET', '/metrics')
        t.notMatch(res.body, 'n{instance="",job="a"')
        t.match(res.body, 'o{instance="",job="b"} 3\n')
        t.equal((await send('PUT', '/api/v1/admin/wipe')).statusCode, 202)
        res = await send('GET', '/metrics')
        t.notMatch(res.body, /job="[ab]"/)
      })

      t.test('requests it does not own go on to the app', async t => {
        t.equal((await inject(application, { method: 'GET', url: '/' })).body, 'home')
        t.equal((await inject(application, { method: 'GET', url: '/metrics-of-my-own' })).body, 'my own metrics')
        t.equal((await inject(application, { method: 'GET', url: '/after' })).body, 'after', 'a route added after the middleware')
        for (const url of [`${base}/unknown`, `${base}/metrics/job`, `${base}/metrics/jobs/a`]) {
          const res = await inject(application, { method: 'GET', url })
          t.same([res.statusCode, res.body.includes(`Cannot GET ${url}`)], [404, true], `${url} gets the app's 404`)
        }
        if (base !== '') {
          const res = await inject(application, { method: 'GET', url: '/metrics' })
          t.same([res.statusCode, res.body.includes('Cannot GET /metrics')], [404, true], 'nothing is served outside the mount point')
        }
      })
    })
  }

  t.test(`Express ${version}: a chunked push with no Content-Type, as prom-client sends it`, async t => {
    const application = appWith(framework, '/pgw')
    const chunks = ['# HELP node_items_total Items.\n# TYPE node_items_total counter\n', 'node_items_total{kind="x"} 3\n']
    const headers = { 'transfer-encoding': 'chunked' }
    let res = await inject(application, { method: 'PUT', url: '/pgw/metrics/job/nodejob/instance/host%201', headers, chunks })
    t.equal(res.statusCode, 200)
    res = await inject(application, { method: 'POST', url: '/pgw/metrics/job/gz', headers: { ...headers, 'content-encoding': 'gzip' }, chunks: [gzipSync(chunks.join('')).subarray(0, 10), gzipSync(chunks.join('')).subarray(10)] })
    t.equal(res.statusCode, 200, 'a chunked gzip push')
    res = await inject(application, { method: 'GET', url: '/pgw/metrics' })
    t.match(res.body, 'node_items_total{instance="host 1",job="nodejob",kind="x"} 3\n')
    t.match(res.body, 'node_items_total{instance="",job="gz",kind="x"} 3\n')
  })
}

t.test('mounted in a router', async t => {
  const application = express()
  const router = express.Router()
  router.use('/pgw', middleware())
  application.use('/api', router)
  t.equal((await inject(application, { method: 'PUT', url: '/api/pgw/metrics/job/a', payload: 'm 1\n' })).statusCode, 200)
  t.match((await inject(application, { method: 'GET', url: '/api/pgw/metrics' })).body, 'm{instance="",job="a"} 1\n')
})

t.test('after an app-wide body parser', async t => {
  for (const [version, framework] of FRAMEWORKS) {
    const parsers: Array<[string, RequestHandler]> = [['raw', framework.raw({ type: '*/*' })], ['text', framework.text({ type: '*/*' })]]
    for (const [name, parser] of parsers) {
      t.test(`Express ${version}, express.${name}() leaves the bytes, gzip already inflated`, async t => {
        const application = framework()
        application.use(parser)
        application.use(middleware())
        let res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'm 1\n', headers: { 'content-type': 'text/plain' } })
        t.equal(res.statusCode, 200)
        res = await inject(application, { method: 'PUT', url: '/metrics/job/b', payload: gzipSync('m 2\n'), headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' } })
        t.equal(res.statusCode, 200)
        res = await inject(application, { method: 'PUT', url: '/metrics/job/c', payload: 'm 3', headers: { 'content-type': 'text/plain' } })
        t.same([res.statusCode, res.body], [400, 'text format parsing error in line 1: unexpected end of input stream\n'], 'the core still parses')
        res = await inject(application, { method: 'GET', url: '/metrics' })
        t.match(res.body, 'm{instance="",job="a"} 1\n')
        t.match(res.body, 'm{instance="",job="b"} 2\n')
      })
    }

    t.test(`Express ${version}, express.json() before it`, async t => {
      const application = framework()
      application.use(framework.json({ type: '*/*' }))
      application.use(middleware())
      let res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: '{"a":1}', headers: { 'content-type': 'application/json' } })
      t.equal(res.statusCode, 400)
      t.equal(res.body, 'the request body was consumed by a JSON or urlencoded body parser before the pushgateway middleware: mount the pushgateway middleware before every body parser\n')
      res = await inject(application, { method: 'POST', url: '/metrics/job/a', chunks: ['{', '}'], headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } })
      t.match([res.statusCode, res.body], [400, /^the request body was consumed/], 'a chunked body too')
      res = await inject(application, { method: 'PUT', url: '/metrics/job/a', headers: { 'content-length': '0' } })
      t.equal(res.statusCode, 200, 'an empty body lost nothing')
      res = await inject(application, { method: 'DELETE', url: '/metrics/job/a', payload: '{"a":1}', headers: { 'content-type': 'application/json' } })
      t.same([res.statusCode, res.body], [202, ''], 'a request whose body the core ignores goes through')
      res = await inject(application, { method: 'POST', url: '/-/quit', payload: '{"a":1}', headers: { 'content-type': 'application/json' } })
      t.equal(res.statusCode, 403)
    })

    t.test(`Express ${version}: a push that a body parser before it refused gets the gateway's answer, not the parser's HTML page`, async t => {
      const seen: unknown[] = []
      const application = framework()
      application.use(framework.json())
      application.use(framework.text({ limit: 10 }))
      application.use('/pgw', middleware())
      application.use('/next', middleware({ errorHandling: 'next' }))
      application.use(((err, _req, res, _next) => { seen.push(err); res.status(err.status ?? 500).type('text').send(`app: ${err.message as string}`) }) as ErrorRequestHandler)
      let res = await inject(application, { method: 'PUT', url: '/pgw/metrics/job/a', payload: 'm 1\n', headers: { 'content-type': 'application/json' } })
      t.equal(res.statusCode, 400)
      t.match(res.body, /^the request body was refused by a body parser \(Unexpected token .*\) before the pushgateway middleware: mount the pushgateway middleware before every body parser\n$/)
      t.equal(res.headers['content-type'], 'text/plain; charset=utf-8')
      res = await inject(application, { method: 'PUT', url: '/pgw/metrics/job/a', payload: 'long_metric_name 1\n', headers: { 'content-type': 'text/plain' } })
      t.same([res.statusCode, res.body], [413, 'the request body was refused by a body parser (request entity too large) before the pushgateway middleware: mount the pushgateway middleware before every body parser\n'], 'express.text()\'s limit')
      t.equal(seen.length, 0, 'answered by the gateway')
      res = await inject(application, { method: 'PUT', url: '/next/metrics/job/a', payload: '{', headers: { 'content-type': 'application/json' } })
      t.match([res.statusCode, res.body], [400, /^app: the request body was refused by a body parser/], 'errorHandling next')
      t.match(seen, [{ name: 'BodyConsumedError', code: 'ERR_BODY_CONSUMED', status: 400, cause: { type: 'entity.parse.failed' } }])
      res = await inject(application, { method: 'POST', url: '/elsewhere', payload: '{', headers: { 'content-type': 'application/json' } })
      t.match([res.statusCode, res.body], [400, /^app: Unexpected token|^app: Expected property name/], 'elsewhere the app\'s error handler gets the parser\'s error')
      res = await inject(application, { method: 'GET', url: '/pgw/metrics', payload: '{', headers: { 'content-type': 'application/json' } })
      t.match([res.statusCode, res.body], [400, /^app: /], 'and on the gateway\'s paths that are not pushes')
      t.match(seen[2], { type: 'entity.parse.failed' })
    })

    t.test(`Express ${version}, express.json() for JSON only and urlencoded()`, async t => {
      const application = framework()
      application.use(framework.json())
      application.use(framework.urlencoded({ extended: false }))
      application.use(middleware())
      let res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'm 1\n' })
      t.equal(res.statusCode, 200, 'a parser whose type did not match leaves the stream')
      res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'm=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      t.match([res.statusCode, res.body], [400, /consumed by a JSON or urlencoded body parser/])
    })
  }

  t.test('a parser that leaves the bytes still gzipped', async t => {
    const application = express()
    application.use((req, _res, next) => {
      getRawBody(req).then(body => { req.body = body; next() }, next)
    })
    application.use(middleware())
    const res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: gzipSync('m 1\n'), headers: { 'content-encoding': 'gzip' } })
    t.equal(res.statusCode, 200)
    t.match((await inject(application, { method: 'GET', url: '/metrics' })).body, 'm{instance="",job="a"} 1\n')
  })

  t.test('a request stream read by something else, without a body', async t => {
    const application = express()
    application.use((req, _res, next) => { req.on('end', () => { next() }).resume() })
    application.use(middleware())
    t.equal((await inject(application, { method: 'GET', url: '/-/healthy' })).body, 'OK')
    t.equal((await inject(application, { method: 'PUT', url: '/metrics/job/a' })).statusCode, 200, 'a push with no body lost nothing')
  })
})

t.test('errorHandling "next"', async t => {
  for (const [version, framework] of FRAMEWORKS) {
    t.test(`Express ${version}: client errors go to the app's error handler`, async t => {
      const seen: unknown[] = []
      const handler: ErrorRequestHandler = (err, _req, res, _next) => {
        seen.push(err)
        res.status(err.status).send(`app: ${err.message}`)
      }
      const application = framework()
      application.use(framework.json())
      application.use(middleware({ errorHandling: 'next', bodyLimit: 8 }))
      application.use(handler)
      let res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'x 1' })
      t.same([res.statusCode, res.body], [400, 'app: text format parsing error in line 1: unexpected end of input stream'])
      t.ok(seen[0] instanceof PushgatewayError)
      t.match(seen[0], { status: 400, statusCode: 400, expose: true, code: 'ERR_PARSE' })
      res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: '{"a":1}', headers: { 'content-type': 'application/json' } })
      t.match([res.statusCode, res.body], [400, /^app: the request body was consumed/])
      t.match(seen[1], { status: 400, expose: true, name: 'BodyConsumedError' })
      res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'm 1 # too long\n' })
      t.same([res.statusCode, res.body], [413, 'app: request body exceeds the body limit of 8 bytes'])
      t.match(seen[2], { status: 413, expose: true, code: 'ERR_BODY_TOO_LARGE' })
      t.equal((await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'm 1\n' })).statusCode, 200, 'successes are answered')
      res = await inject(application, { method: 'PUT', url: '/metrics' })
      t.same([res.statusCode, res.body], [405, 'Method Not Allowed\n'], 'answers that are not errors of a request are the gateway\'s')
      t.equal(seen.length, 3)
    })
  }
})

t.test('unexpected errors', async t => {
  for (const [version, framework] of FRAMEWORKS) {
    t.test(`Express ${version}: a failing store reaches the app's error handler`, async t => {
      const store = new MemoryStore()
      store.push = () => { throw new Error('disk on fire') }
      const gateway = new Pushgateway({ registry: new Registry(), store })
      for (const errorHandling of ['respond', 'next'] as const) {
        const seen: unknown[] = []
        const application = framework()
        application.use(pushgateway({ gateway, errorHandling }))
        application.use(((err, _req, res, _next) => { seen.push(err); res.status(500).send(`caught ${err.message}`) }) as ErrorRequestHandler)
        const res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'm 1\n' })
        t.same([res.statusCode, res.body], [500, 'caught disk on fire'], errorHandling)
        t.notOk(seen[0] instanceof PushgatewayError)
      }
    })
  }

  t.test('an answer that cannot be written goes to next()', async t => {
    const seen: Array<{ code?: string }> = []
    const application = express()
    application.use((_req, res, next) => { res.writeHead(299); next() })
    application.use(middleware())
    application.use(((err, _req, res, _next) => { seen.push(err); res.end('already answered') }) as ErrorRequestHandler)
    const res = await inject(application, { method: 'GET', url: '/-/healthy' })
    t.same([res.statusCode, res.body], [299, 'already answered'])
    t.match(seen, [{ code: 'ERR_HTTP_HEADERS_SENT' }])
  })
})

t.test('one gateway shared by two mounts', async t => {
  const gateway = new Pushgateway({ registry: new Registry() })
  const one = pushgateway({ gateway })
  const two = pushgateway({ gateway, errorHandling: 'next' })
  t.equal(one.gateway, gateway)
  t.equal(two.gateway, gateway)
  t.same(one.map(handler => handler.name), ['pushgatewayMiddleware', 'pushgatewayBodyParserErrors'])
  const application = express()
  application.use('/one', one)
  application.use('/two', two)
  await inject(application, { method: 'PUT', url: '/one/metrics/job/a', payload: 'm 1\n' })
  t.match((await inject(application, { method: 'GET', url: '/two/metrics' })).body, 'm{instance="",job="a"} 1\n')
  await gateway.push({ job: 'b' }, 'm 2\n')
  t.match((await inject(application, { method: 'GET', url: '/one/metrics' })).body, 'm{instance="",job="b"} 2\n', 'the instance is the one served')
})

t.test('the defaults build a new gateway', async t => {
  const registry = new Registry()
  const mw = pushgateway({ registry })
  t.ok(mw.gateway instanceof Pushgateway)
  t.equal(mw.gateway.registry, registry)
  t.equal(mw.gateway.telemetryPath, '/metrics')
  const application = express()
  application.use(mw)
  const res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'x' })
  t.same([res.statusCode, res.body], [400, 'text format parsing error in line 1: unexpected end of input stream\n'], 'errors are answered by default')
})

t.test('options are validated once, in the factory', async t => {
  const shared = new Pushgateway({ registry: new Registry() })
  const cases: Array<[unknown, RegExp]> = [
    [null, /option "options" must be an object, got null/],
    [7, /option "options" must be an object, got 7/],
    [{ errorHandling: 'throw' }, /option "errorHandling" must be "respond" or "next", got "throw"/],
    [{ errorHandling: null }, /option "errorHandling" must be "respond" or "next", got null/],
    [{ gateway: {} }, /option "gateway" must be a Pushgateway, got \{\}/],
    [{ gateway: shared, adminApi: true }, /option "adminApi" must be left out when "gateway" is given \(configure that Pushgateway instead\), got true/],
    [{ gateway: shared, registry: new Registry() }, /option "registry" must be left out when "gateway" is given/],
    [{ bodyLimit: 0 }, /option "bodyLimit" must be a positive integer number of bytes, got 0/]
  ]
  for (const [options, message] of cases) {
    t.throws(() => pushgateway(options as never), { name: 'TypeError', code: 'ERR_INVALID_OPTION', message }, String(message))
  }
  const registry = new Registry()
  t.throws(() => pushgateway({ registry, errorHandling: 'later' as never }), { code: 'ERR_INVALID_OPTION' })
  t.same(registry.getMetricsAsArray(), [], 'an invalid option leaves the registry as it was')
})

t.test('the status page', async t => {
  t.test('mounted at the app\'s root it is off, so the app keeps its own /', async t => {
    const application = appWith(express, '/')
    t.equal((await inject(application, { method: 'GET', url: '/' })).body, 'home')
    const res = await inject(application, { method: 'GET', url: '/static/status.js' })
    t.same([res.statusCode, res.body.includes('Cannot GET /static/status.js')], [404, true], 'the app\'s 404')
  })

  t.test('mounted at the app\'s root with ui: true it is served', async t => {
    const application = express()
    application.use('/', middleware({ ui: true }))
    const res = await inject(application, { method: 'GET', url: '/' })
    t.equal(res.statusCode, 200)
    t.match(res.body, 'data-base=""')
  })

  t.test('under a mount point, at the mount, / and /status, with its assets under the mount', async t => {
    for (const [version, framework] of FRAMEWORKS) {
      const application = appWith(framework, '/pgw')
      for (const url of ['/pgw', '/pgw/', '/pgw/status']) {
        const res = await inject(application, { method: 'GET', url })
        t.equal(res.statusCode, 200, `Express ${version} ${url}`)
        t.match(res.headers['content-security-policy'], /^default-src 'self'/)
        t.match(res.body, 'data-base="/pgw"')
        t.match(res.body, 'src="/pgw/static/status.js?v=')
      }
      const script = await inject(application, { method: 'GET', url: '/pgw/static/status.js' })
      t.same([script.statusCode, script.headers['content-type']], [200, 'text/javascript; charset=utf-8'])
      t.equal((await inject(application, { method: 'GET', url: '/' })).body, 'home')
    }
  })

  t.test('ui: false leaves it out under a mount point too', async t => {
    const application = appWith(express, '/pgw', { ui: false })
    const res = await inject(application, { method: 'GET', url: '/pgw/' })
    t.same([res.statusCode, res.body.includes('Cannot GET /pgw/')], [404, true])
  })
})
