import t from 'tap'
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync, gzipSync } from 'node:zlib'
import express, { type ErrorRequestHandler } from 'express'
import express4 from 'express4'
import { Registry } from 'prom-client'
import { pushgateway } from '../src/express.js'
import { Pushgateway } from '../src/gateway.js'
import { MemoryStore } from '../src/store/memory-store.js'

interface Answer {
  statusCode: number
  headers: IncomingHttpHeaders
  body: string
  rawPayload: Buffer
}

const servers = new WeakMap<express.Express, Promise<Server>>()

// Sends a request to the app over a real loopback socket (one server per app, closed at the end).
async function inject (application: express.Express, options: { method: string, url: string, payload?: string | Buffer, headers?: Record<string, string> }): Promise<Answer> {
  let starting = servers.get(application)
  if (starting === undefined) {
    starting = listen(application)
    servers.set(application, starting)
    const server = await starting
    t.teardown(() => { server.close() })
  }
  const { port } = (await starting).address() as AddressInfo
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: options.method, path: options.url, headers: options.headers ?? {} }, res => {
      const chunks: Buffer[] = []
      res.on('data', chunk => chunks.push(chunk))
      res.on('end', () => {
        const rawPayload = Buffer.concat(chunks)
        resolve({ statusCode: res.statusCode as number, headers: res.headers, body: rawPayload.toString(), rawPayload })
      })
    })
    req.on('error', reject)
    req.end(options.payload)
  })
}

function app (mount: string, options: Parameters<typeof pushgateway>[0] = {}, framework = express): express.Express {
  const application = framework()
  application.get('/own', (_req, res) => { res.send('own route') })
  application.use(mount, pushgateway({ registry: new Registry(), ...options }))
  application.get('/after', (_req, res) => { res.send('after') })
  return application
}

for (const [version, framework] of [['5', express], ['4', express4]] as const) {
  for (const mount of ['/', '/pgw']) {
    const base = mount === '/' ? '' : mount
    t.test(`Express ${version}, mounted at ${mount}`, async t => {
      const application = app(mount, { adminApi: true }, framework as unknown as typeof express)
      let res = await inject(application, { method: 'PUT', url: `${base}/metrics/job/a/p@base64/L3Zhci90bXA/v/b+c%20e`, payload: 'm 1\n' })
      t.same([res.statusCode, res.body], [200, ''])
      res = await inject(application, { method: 'POST', url: `${base}/metrics/job/a/p@base64/L3Zhci90bXA/v/b+c%2Fd%20e`, payload: 'n 2\n' })
      t.equal(res.statusCode, 400, '%2F is decoded before the path is split, as the reference does')
      res = await inject(application, { method: 'POST', url: `${base}/metrics/job/a/p@base64/L3Zhci90bXA`, payload: gzipSync('n 2\n'), headers: { 'content-encoding': 'gzip' } })
      t.equal(res.statusCode, 200)
      res = await inject(application, { method: 'GET', url: `${base}/metrics`, headers: { 'accept-encoding': 'gzip' } })
      t.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8')
      const text = gunzipSync(res.rawPayload).toString()
      t.match(text, 'm{instance="",job="a",p="/var/tmp",v="b+c e"} 1\n')
      t.match(text, 'n{instance="",job="a",p="/var/tmp"} 2\n')
      res = await inject(application, { method: 'GET', url: `${base}/metrics`, headers: { accept: 'application/openmetrics-text; version=1.0.0' } })
      t.match(res.body, /# EOF\n$/)
      res = await inject(application, { method: 'GET', url: `${base}/api/v1/metrics` })
      t.equal(JSON.parse(res.body).data.length, 2)
      res = await inject(application, { method: 'GET', url: `${base}/api/v1/status` })
      t.equal(JSON.parse(res.body).status, 'success')
      t.equal((await inject(application, { method: 'GET', url: `${base}/-/healthy` })).body, 'OK')
      t.equal((await inject(application, { method: 'GET', url: `${base}/-/ready` })).statusCode, 200)
      t.equal((await inject(application, { method: 'PUT', url: `${base}/-/quit` })).statusCode, 403)
      t.equal((await inject(application, { method: 'DELETE', url: `${base}/metrics/job/a` })).statusCode, 202)
      t.equal((await inject(application, { method: 'PUT', url: `${base}/api/v1/admin/wipe` })).statusCode, 202)
      res = await inject(application, { method: 'GET', url: `${base}/metrics` })
      t.notMatch(res.body, 'job="a"')
      res = await inject(application, { method: 'PUT', url: `${base}/metrics/job/j/a/1/b`, payload: 'm 1\n' })
      t.same([res.statusCode, res.body], [400, 'odd number of components in label string "/a/1/b"\n'])
      t.equal((await inject(application, { method: 'GET', url: '/own' })).body, 'own route', 'the app keeps its routes')
      t.equal((await inject(application, { method: 'GET', url: '/after' })).body, 'after', 'requests it does not own fall through')
      t.equal((await inject(application, { method: 'GET', url: `${base}/unknown` })).statusCode, 404)
    })
  }
}

t.test('a chunked push with no Content-Type, as prom-client sends it, over a real socket', async t => {
  const application = app('/pgw')
  const server = await listen(application)
  t.teardown(() => { server.close() })
  const { port } = server.address() as AddressInfo
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path: '/pgw/metrics/job/node%2Fbatch/instance/host%201/x/' }, res => {
      res.resume()
      resolve(res.statusCode as number)
    })
    req.on('error', reject)
    req.write('# HELP node_items_total Items.\n# TYPE node_items_total counter\n')
    req.write('node_items_total{kind="x"} 3\n\n')
    req.end()
  })
  t.equal(status, 400, 'a job with %2F is split as the reference does')
  const ok = await new Promise<number>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path: '/pgw/metrics/job/nodejob/instance/host%201/x/' }, res => {
      res.resume()
      resolve(res.statusCode as number)
    })
    req.on('error', reject)
    req.write('node_items_total{kind="x"} 3\n')
    req.end('\n')
  })
  t.equal(ok, 200)
  const res = await inject(application, { method: 'GET', url: '/pgw/metrics' })
  t.match(res.body, 'node_items_total{instance="host 1",job="nodejob",kind="x",x=""} 3\n')
})

t.test('after an app-wide body parser', async t => {
  t.test('express.raw() and express.text() leave the bytes, gzip already inflated', async t => {
    for (const [framework, parser] of [[express, express.raw({ type: '*/*' })], [express, express.text({ type: '*/*' })], [express4, express4.raw({ type: '*/*' })], [express4, express4.text({ type: '*/*' })]] as const) {
      const application = (framework as unknown as typeof express)()
      application.use(parser)
      application.use(pushgateway({ registry: new Registry() }))
      t.equal((await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'm 1\n', headers: { 'content-type': 'text/plain' } })).statusCode, 200)
      const res = await inject(application, { method: 'PUT', url: '/metrics/job/b', payload: gzipSync('m 2\n'), headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' } })
      t.equal(res.statusCode, 200)
      t.match((await inject(application, { method: 'GET', url: '/metrics' })).body, 'm{instance="",job="b"} 2\n')
    }
  })

  t.test('express.json() before it: a clear 400', async t => {
    const application = express()
    application.use(express.json({ type: '*/*' }))
    application.use(pushgateway({ registry: new Registry() }))
    const res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: '{"a":1}', headers: { 'content-type': 'application/json' } })
    t.equal(res.statusCode, 400)
    t.match(res.body, /consumed by a body parser \(JSON or urlencoded\) before the pushgateway middleware: mount the middleware before that parser/)
  })

  t.test('a parser whose type did not match leaves the stream', async t => {
    const application = express()
    application.use(express.json())
    application.use(pushgateway({ registry: new Registry() }))
    t.equal((await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'm 1\n' })).statusCode, 200)
  })
})

t.test('error handling', async t => {
  t.test('errorHandling "next" hands client errors to the app', async t => {
    const seen: unknown[] = []
    const handler: ErrorRequestHandler = (err, _req, res, _next) => {
      seen.push(err)
      res.status(err.status).send(`app: ${err.message}`)
    }
    const application = express()
    application.use(express.json({ type: 'application/json' }))
    application.use(pushgateway({ registry: new Registry(), errorHandling: 'next' }))
    application.use(handler)
    let res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'x 1' })
    t.same([res.statusCode, res.body], [400, 'app: text format parsing error in line 1: unexpected end of input stream'])
    t.match(seen[0], { status: 400, statusCode: 400, expose: true, code: 'ERR_PARSE' })
    res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: '{}', headers: { 'content-type': 'application/json' } })
    t.equal(res.statusCode, 400)
    t.match(seen[1], { code: 'ERR_PARSE', message: /consumed by a body parser/ })
  })

  t.test('unexpected errors reach the app\'s error handler', async t => {
    const store = new MemoryStore()
    store.push = () => { throw new Error('disk on fire') }
    const gateway = new Pushgateway({ registry: new Registry(), store })
    const application = express()
    application.use(pushgateway({ gateway }))
    application.use(((err, _req, res, _next) => { res.status(500).send(`caught ${err.message}`) }) as ErrorRequestHandler)
    const res = await inject(application, { method: 'PUT', url: '/metrics/job/a', payload: 'm 1\n' })
    t.same([res.statusCode, res.body], [500, 'caught disk on fire'])
  })
})

t.test('one gateway shared by two mounts', async t => {
  const gateway = new Pushgateway({ registry: new Registry() })
  const middleware = pushgateway({ gateway })
  t.equal(middleware.gateway, gateway)
  const application = express()
  application.use('/one', middleware)
  application.use('/two', pushgateway({ gateway }))
  await inject(application, { method: 'PUT', url: '/one/metrics/job/a', payload: 'm 1\n' })
  t.match((await inject(application, { method: 'GET', url: '/two/metrics' })).body, 'm{instance="",job="a"} 1\n')
  t.ok(pushgateway().gateway instanceof Pushgateway, 'the defaults make a new gateway')
})

t.test('options are validated once', async t => {
  const cases: Array<[unknown, RegExp]> = [
    [7, /option "options" must be an object, got 7/],
    [{ errorHandling: 'throw' }, /option "errorHandling" must be "respond" or "next", got "throw"/],
    [{ gateway: {} }, /option "gateway" must be a Pushgateway, got \{\}/],
    [{ gateway: new Pushgateway({ registry: new Registry() }), adminApi: true }, /option "adminApi" must be left out when "gateway" is given \(configure that Pushgateway instead\), got true/],
    [{ bodyLimit: 0 }, /option "bodyLimit"/]
  ]
  for (const [options, message] of cases) {
    t.throws(() => pushgateway(options as never), { name: 'TypeError', code: 'ERR_INVALID_OPTION', message })
  }
})

function listen (application: express.Express): Promise<Server> {
  return new Promise(resolve => {
    const server = application.listen(0, '127.0.0.1', () => resolve(server))
  })
}
