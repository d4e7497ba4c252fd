import t from 'tap'
import { Registry } from 'prom-client'
import { Pushgateway, type GatewayRequest, type PushgatewayOptions } from '../../src/gateway.js'
import type { AuthorizationContext } from '../../src/http/authorization.js'

function request (method: string, url: string, body?: string): GatewayRequest {
  return body === undefined ? { method, url, headers: {} } : { method, url, headers: {}, body }
}

async function filled (options: PushgatewayOptions = {}): Promise<Pushgateway> {
  const gw = new Pushgateway({ registry: new Registry(), adminApi: true, ...options })
  for (const path of ['/metrics/job/backup/instance/db1', '/metrics/job/backup/instance/db2', '/metrics/job/backup/instance/web1', '/metrics/job/etl']) {
    t.equal((await gw.handle(request('PUT', path, 'done 1\n'))).status, 200)
  }
  return gw
}

function del (selectors: string[]): GatewayRequest {
  return request('DELETE', `/api/v1/metrics?${selectors.map(s => `match[]=${encodeURIComponent(s)}`).join('&')}`)
}

t.test('deletes the selected groups and says how many', async t => {
  const gw = await filled()
  const answer = await gw.handle(del(['{job="backup",instance=~"db.*"}']))
  t.equal(answer.status, 200)
  t.same(JSON.parse(String(answer.body)), { status: 'success', data: { deleted: 2 } })
  t.equal(answer.headers['content-type'], 'application/json')
  const left = await gw.metrics()
  t.notMatch(left, /instance="db/)
  t.match(left, 'done{instance="web1",job="backup"} 1')
  t.match(left, 'done{instance="",job="etl"} 1')
  t.ok((await gw.registry.metrics()).includes('pushgateway_http_requests_total{code="200",handler="api/v1/metrics",method="delete"} 1\n'), 'counted under its own handler')
})

t.test('several match[] delete their union; none matching deletes none', async t => {
  const gw = await filled()
  const none = await gw.handle(del(['{job="nope"}']))
  t.same(JSON.parse(String(none.body)), { status: 'success', data: { deleted: 0 } })
  const answer = await gw.handle(del(['{job="etl"}', '{instance!~"db.*",job="backup"}', '{job="etl"}']))
  t.same(JSON.parse(String(answer.body)), { status: 'success', data: { deleted: 2 } })
  const left = await gw.metrics()
  t.notMatch(left, /job="etl"/)
  t.notMatch(left, /web1/)
  t.match(left, /db1/)
})

t.test('refusals: no selector, a bad selector, admin API off', async t => {
  const gw = await filled()
  const missing = await gw.handle(request('DELETE', '/api/v1/metrics'))
  t.equal(missing.status, 400)
  t.match(String(missing.body), /no match\[\] parameter/)
  t.equal(missing.headers['access-control-allow-origin'], '*')
  const bad = await gw.handle(del(['{job=~"("}']))
  t.equal(bad.status, 400)
  t.match(String(bad.body), /invalid regular expression/)
  const all = await gw.handle(del(['{job=~".*"}']))
  t.equal(all.status, 400, 'a selector that would select everything is refused')
  t.match(await gw.metrics(), /db1[\s\S]*db2[\s\S]*web1[\s\S]*etl/, 'nothing deleted')
  const closed = await filled({ adminApi: false })
  t.equal((await closed.handle(del(['{job="etl"}']))).status, 405)
  t.match(await closed.metrics(), /job="etl"/)
})

t.test('each group is asked of authorize as a delete; one refusal deletes nothing', async t => {
  const seen: AuthorizationContext[] = []
  const gw = await filled({
    authorize: (context) => {
      seen.push(context)
      return context.action !== 'delete' || context.key?.labels['instance'] !== 'db2'
    }
  })
  seen.length = 0
  const refused = await gw.handle(del(['{job="backup"}']))
  t.equal(refused.status, 401, 'a request without credentials is refused as unauthenticated')
  t.equal(refused.body, 'authentication required to delete the group {instance="db2",job="backup"}\n')
  t.match(await gw.metrics(), /db1[\s\S]*db2[\s\S]*web1/, 'nothing deleted')
  t.same(seen.map(c => [c.action, c.key]), [
    ['delete', { job: 'backup', labels: { instance: 'db1' } }],
    ['delete', { job: 'backup', labels: { instance: 'db2' } }]
  ])
  const allowed = await gw.handle(del(['{instance=~"db1|web1"}']))
  t.same(JSON.parse(String(allowed.body)), { status: 'success', data: { deleted: 2 } })
})

t.test('selectors may come in a form body too, all of them deleted at once or none', async t => {
  const form = (selectors: string[], contentType = 'application/x-www-form-urlencoded; charset=UTF-8'): GatewayRequest =>
    ({ method: 'DELETE', url: '/api/v1/metrics?match[]=' + encodeURIComponent('{job="etl"}'), headers: { 'content-type': contentType }, body: selectors.map(s => `match[]=${encodeURIComponent(s)}`).join('&') })
  const gw = await filled()
  const answer = await gw.handle(form(['{instance="db1",job="backup"}', '{instance="db2",job="backup"}']))
  t.same(JSON.parse(String(answer.body)), { status: 'success', data: { deleted: 3 } }, 'the query\'s and the body\'s')
  t.same([...(await gw.store.groups())].map(g => g.labels), [{ instance: 'web1', job: 'backup' }])
  const other = await filled()
  const ignored = await other.handle(form(['{job="backup"}'], 'text/plain'))
  t.same(JSON.parse(String(ignored.body)), { status: 'success', data: { deleted: 1 } }, 'a body that is not a form is not read')
  const guarded = await filled({ authorize: ({ action, key }) => action !== 'delete' || key?.labels['instance'] !== 'web1' })
  const refused = await guarded.handle(form(['{instance="db1",job="backup"}', '{instance="web1",job="backup"}']))
  t.equal(refused.status, 401, 'false from authorize is a 401')
  t.equal([...(await guarded.store.groups())].length, 4, 'one refusal among them deletes none')
  const tooLarge = await (await filled({ bodyLimit: 10 })).handle(form(['{job="backup"}']))
  t.equal(tooLarge.status, 413, 'the body limit applies')
})

t.test('a delete of thousands of groups lets other requests in while it checks and deletes them', async t => {
  const gw = new Pushgateway({ registry: new Registry(), adminApi: true })
  for (let i = 0; i < 2100; i++) await gw.push({ job: 'many', labels: { instance: String(i) } }, 'm 1\n')
  await gw.push({ job: 'kept' }, 'm 1\n')
  // A timer set before the delete fires before it answers: the delete gave the event loop turns.
  let fired = false
  setImmediate(() => { fired = true })
  const answer = await gw.handle(del(['{job="many"}']))
  t.same(JSON.parse(String(answer.body)), { status: 'success', data: { deleted: 2100 } })
  t.equal(fired, true, 'other work ran meanwhile')
  const left = await gw.metrics()
  t.match(left, 'm{instance="",job="kept"} 1\n', 'the other group stays')
  t.notMatch(left, 'job="many"', 'all of them gone')
})
