import t from 'tap'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import basicAuth from 'express-basic-auth'
import Fastify from 'fastify'
import fastifyBasicAuth from '@fastify/basic-auth'
import { Registry } from 'prom-client'
import { Pushgateway, type GatewayRequest, type PushgatewayOptions } from '../../src/gateway.js'
import type { AuthorizationContext, Authorize } from '../../src/http/authorization.js'
import { pushgateway } from '../../src/express.js'
import { fastifyPushgateway } from '../../src/fastify.js'
import { startFrontEnd } from '../helpers/front-ends.js'
import { sendText } from '../helpers/http.js'

function gateway (authorize: Authorize, options: PushgatewayOptions = {}): Pushgateway {
  return new Pushgateway({ registry: new Registry(), authorize, adminApi: true, ...options })
}

function request (method: string, url: string, headers: Record<string, string> = {}, body?: string): GatewayRequest {
  return body === undefined ? { method, url, headers } : { method, url, headers, body }
}

// The README's example: each job has a token of its own, and one token may read.
const TOKENS: Readonly<Record<string, string>> = { 'backup-secret': 'backup', 'etl-secret': 'etl' }
const READ_TOKEN = 'reader-secret'
const perJobTokens: Authorize = ({ action, key, request }) => {
  const token = String(request.headers['authorization'] ?? '').replace(/^Bearer /, '')
  if (action === 'read') return token === READ_TOKEN
  return key !== undefined && TOKENS[token] === key.job
}

t.test('the hook sees the action, the grouping key and the request', async t => {
  const seen: AuthorizationContext[] = []
  const gw = gateway(context => { seen.push(context); return true }, { onQuit: () => {} })
  const native = { framework: 'request' }
  await gw.handle({ ...request('PUT', '/metrics/job/backup/instance/db1', { authorization: 'Bearer x' }, 'm 1\n'), native })
  await gw.handle(request('DELETE', '/metrics/job@base64/YS9i'))
  await gw.handle(request('GET', '/metrics'))
  await gw.handle(request('GET', '/api/v1/metrics'))
  await gw.handle(request('GET', '/api/v1/status'))
  await gw.handle(request('PUT', '/api/v1/admin/wipe'))
  await gw.handle(request('POST', '/-/quit'))
  t.same(seen.map(c => [c.action, c.key]), [
    ['push', { job: 'backup', labels: { instance: 'db1' } }],
    ['delete', { job: 'a/b', labels: {} }],
    ['read', undefined], ['read', undefined], ['read', undefined],
    ['wipe', undefined],
    ['quit', undefined]
  ])
  t.same(seen[0]?.request, { method: 'PUT', url: '/metrics/job/backup/instance/db1', headers: { authorization: 'Bearer x' }, native })
  t.notOk('body' in (seen[0]?.request ?? {}), 'the hook does not get the body')
  await gw.handle(request('GET', '/-/healthy'))
  await gw.handle(request('GET', '/-/ready'))
  await gw.handle(request('OPTIONS', '/metrics/job/a'))
  await gw.handle(request('OPTIONS', '/api/v1/metrics'))
  t.equal(seen.length, 7, 'health checks and OPTIONS are not asked about')
})

t.test('per-job bearer tokens: the backup job pushes only to job="backup"', async t => {
  const gw = gateway(perJobTokens)
  const backup = { authorization: 'Bearer backup-secret' }
  t.equal((await gw.handle(request('PUT', '/metrics/job/backup/instance/db1', backup, 'done 1\n'))).status, 200)
  const other = await gw.handle(request('PUT', '/metrics/job/etl', backup, 'done 1\n'))
  t.equal(other.status, 403)
  t.equal(other.body, 'not allowed to push the group {job="etl"}\n')
  t.match(other.error, { code: 'ERR_FORBIDDEN', statusCode: 403, name: 'AuthorizationError' })
  t.equal(other.headers['www-authenticate'], undefined, 'no challenge with a 403')
  const anonymous = await gw.handle(request('DELETE', '/metrics/job/backup/instance/db1'))
  t.equal(anonymous.status, 401)
  t.equal(anonymous.body, 'authentication required to delete the group {instance="db1",job="backup"}\n')
  t.equal(anonymous.headers['www-authenticate'], 'Bearer realm="pushgateway"')
  t.match(anonymous.error, { code: 'ERR_UNAUTHORIZED', statusCode: 401 })
  t.equal((await gw.handle(request('GET', '/metrics'))).status, 401, 'reading needs the read token')
  const read = await gw.handle(request('GET', '/metrics', { authorization: `Bearer ${READ_TOKEN}` }))
  t.equal(read.status, 200)
  t.match(String(read.body), 'done{instance="db1",job="backup"} 1\n', 'the refused pushes and delete changed nothing')
  t.notMatch(String(read.body), /job="etl"/)
  const api = await gw.handle(request('GET', '/api/v1/metrics', { authorization: 'Bearer backup-secret' }))
  t.equal(api.status, 403)
  t.equal(api.body, 'not allowed to read the metrics\n')
  t.equal(api.headers['access-control-allow-origin'], '*', 'a refused API request keeps the API headers')
  t.equal((await gw.handle(request('PUT', '/api/v1/admin/wipe', { authorization: 'Bearer backup-secret' }))).body, 'not allowed to wipe the store\n')
  t.match(await gw.metrics(), 'done{instance="db1",job="backup"} 1\n', 'wipe refused')
  t.match(await gw.registry.metrics(), /pushgateway_http_requests_total\{code="403",handler="push",method="put"\} 1/)
  t.match(await gw.registry.metrics(), /pushgateway_http_requests_total\{code="401",handler="delete",method="delete"\} 1/)
  t.match(await gw.registry.metrics(), /pushgateway_http_requests_total\{code="403",handler="wipe",method="put"\} 1/)
})

t.test('a refused push is answered before its body is read', async t => {
  const gw = gateway(() => false)
  let read = false
  const body = (async function * () { read = true; yield Buffer.from('m 1\n') })()
  const answer = await gw.handle({ method: 'PUT', url: '/metrics/job/a', headers: {}, body })
  t.equal(answer.status, 401)
  t.notOk(read, 'the body was not read')
})

t.test('denials, async hooks and bad answers', async t => {
  const custom = gateway(async () => ({ status: 401, message: 'token expired', challenge: 'Bearer error="invalid_token"' }))
  const refused = await custom.handle(request('PUT', '/metrics/job/a', { authorization: 'Bearer old' }, 'm 1\n'))
  t.equal(refused.status, 401)
  t.equal(refused.body, 'token expired\n')
  t.equal(refused.headers['www-authenticate'], 'Bearer error="invalid_token"')
  const forbidden = gateway(() => ({ status: 403 }), { onQuit: () => { t.fail('quit was refused') } })
  const quit = await forbidden.handle(request('PUT', '/-/quit'))
  t.equal(quit.status, 403)
  t.equal(quit.body, 'not allowed to shut the gateway down\n')
  t.equal((await forbidden.handle(request('GET', '/api/v1/status'))).status, 403)
  t.equal((await forbidden.handle(request('GET', '/metrics'))).status, 403)
  const defaultChallenge = gateway(() => ({ status: 401 }))
  t.equal((await defaultChallenge.handle(request('GET', '/metrics'))).headers['www-authenticate'], 'Bearer realm="pushgateway"')
  for (const answer of [undefined, 'yes', 1, null, { status: 500 }]) {
    const broken = gateway(() => answer as unknown as boolean)
    await t.rejects(broken.handle(request('PUT', '/metrics/job/a', {}, 'm 1\n')), /the authorize hook must answer true, false or \{ status: 401 \| 403 \}/, String(answer))
    t.equal(await broken.metrics(), '')
  }
  const throwing = gateway(() => { throw new Error('auth backend down') })
  await t.rejects(throwing.handle(request('GET', '/metrics')), /auth backend down/, 'a failing hook is an error for the app, not a 4xx')
  t.throws(() => new Pushgateway({ registry: new Registry(), authorize: 'yes' as unknown as Authorize }), { code: 'ERR_INVALID_OPTION', message: /option "authorize" must be a function/ })
  t.equal((await gateway(() => false).handle(request('PUT', '/-/quit'))).body, 'Lifecycle API is not enabled.', 'a disabled endpoint stays disabled')
  t.equal((await gateway(() => false).handle(request('GET', '/-/quit'))).status, 405)
})

t.test('over HTTP, each adapter hands the hook its native request', async t => {
  for (const kind of ['express', 'fastify'] as const) {
    const natives: unknown[] = []
    const front = await startFrontEnd(kind, { options: { authorize: context => { natives.push(context.request.native); return perJobTokens(context) } } })
    t.teardown(front.close)
    const pushed = await sendText(front.base, { method: 'PUT', path: '/metrics/job/backup', body: 'm 1\n', headers: { authorization: 'Bearer backup-secret' } })
    t.equal(pushed.status, 200, `${kind}: allowed`)
    const refused = await sendText(front.base, { method: 'PUT', path: '/metrics/job/etl', body: 'm 1\n' })
    t.equal(refused.status, 401, `${kind}: refused`)
    t.equal(refused.headers['www-authenticate'], 'Bearer realm="pushgateway"', `${kind}: challenge`)
    t.equal(refused.body, 'authentication required to push the group {job="etl"}\n', `${kind}: message`)
    t.ok(natives.length === 2 && natives.every(native => typeof native === 'object' && native !== null && 'headers' in native), `${kind}: the framework's request`)
  }
})

t.test('the README\'s framework-native alternatives in front of the mount', async t => {
  const credentials = 'Basic ' + Buffer.from('ci:secret').toString('base64')

  const app = express()
  app.use('/pushgateway', basicAuth({ users: { ci: 'secret' }, challenge: true }), pushgateway({ registry: new Registry() }))
  const server = await new Promise<Server>(resolve => { const s = app.listen(0, '127.0.0.1', () => { resolve(s) }) })
  t.teardown(() => { server.close(); server.closeAllConnections() })
  const express5 = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const fastify = Fastify()
  await fastify.register(fastifyBasicAuth, { validate: async (user: string, password: string) => { if (user !== 'ci' || password !== 'secret') throw new Error('no') }, authenticate: true })
  await fastify.register(async child => {
    child.addHook('onRequest', child.basicAuth)
    await child.register(fastifyPushgateway, { registry: new Registry() })
  }, { prefix: '/pushgateway' })
  const fastifyBase = await fastify.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => fastify.close())

  for (const [name, base] of [['express-basic-auth', express5], ['@fastify/basic-auth', fastifyBase]] as const) {
    const refused = await sendText(base, { method: 'PUT', path: '/pushgateway/metrics/job/a', body: 'm 1\n' })
    t.equal(refused.status, 401, `${name}: no credentials`)
    t.match(refused.headers['www-authenticate'], /^Basic/, `${name}: a Basic challenge`)
    t.equal((await sendText(base, { method: 'PUT', path: '/pushgateway/metrics/job/a', body: 'm 1\n', headers: { authorization: credentials } })).status, 200, `${name}: with credentials`)
    const read = await sendText(base, { method: 'GET', path: '/pushgateway/metrics', headers: { authorization: credentials } })
    t.match(read.body, 'm{instance="",job="a"} 1', `${name}: the push is there`)
  }
})
