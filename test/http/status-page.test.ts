import t from 'tap'
import { gunzipSync } from 'node:zlib'
import { Registry } from 'prom-client'
import { Pushgateway, type GatewayRequest, type PushgatewayOptions } from '../../src/gateway.js'
import { resolveOptions } from '../../src/options.js'
import { InvalidOptionError } from '../../src/errors.js'
import { isStatusPagePath, servesStatusPage, STATUS_PAGE_CSP, statusPageAssetSizes, statusPageHandler, statusPageResponse } from '../../src/http/status-page.js'
import { STATUS_SCRIPT } from '../../src/http/ui/script.js'
import { STATUS_STYLE } from '../../src/http/ui/style.js'
import type { AuthorizationContext } from '../../src/http/authorization.js'

function gateway (options: PushgatewayOptions = {}): Pushgateway {
  return new Pushgateway({ registry: new Registry(), ...options })
}

function get (url: string, more: Partial<GatewayRequest> = {}): GatewayRequest {
  return { method: 'GET', url, headers: {}, ...more }
}

function versionOf (page: string, path: string): string {
  const found = new RegExp(`${path.replaceAll('.', '\\.')}\\?v=([\\w-]+)`).exec(page)
  if (found === null) throw new Error(`no ${path} in the page`)
  return found[1] as string
}

t.test('where the page is served: the ui option, or by default anywhere but at an app\'s root', async t => {
  t.equal(servesStatusPage(undefined, undefined), false, 'mount unknown: the root')
  t.equal(servesStatusPage(undefined, ''), false)
  t.equal(servesStatusPage(undefined, '/pgw'), true)
  t.equal(servesStatusPage(true, ''), true)
  t.equal(servesStatusPage(true, undefined), true)
  t.equal(servesStatusPage(false, '/pgw'), false)
  for (const path of ['/', '/status', '/static/status.js', '/static/nope']) t.ok(isStatusPagePath(path), path)
  for (const path of ['/statuses', '/static', '/index.html', '']) t.notOk(isStatusPagePath(path), path)
  t.equal(statusPageHandler('/'), 'status')
  t.equal(statusPageHandler('/status'), 'status')
  t.equal(statusPageHandler('/static/status.css'), 'static')
})

t.test('the ui option is a boolean, resolved once', async t => {
  t.equal(resolveOptions({}).ui, undefined)
  const resolved = resolveOptions({ ui: false })
  t.equal(resolved.ui, false)
  t.ok(Object.isFrozen(resolved))
  try {
    resolveOptions({ ui: 'yes' as unknown as boolean })
    t.fail('a string is not a boolean')
  } catch (err) {
    t.ok(err instanceof InvalidOptionError)
  }
  t.throws(() => resolveOptions({ ui: 1 as unknown as boolean }), { code: 'ERR_INVALID_OPTION', option: 'ui', message: /option "ui" must be a boolean/ })
  t.throws(() => new Pushgateway({ registry: new Registry(), ui: null as unknown as boolean }), { code: 'ERR_INVALID_OPTION', message: /option "ui"/ })
})

t.test('the page: links under the mount, a CSP, nothing inline', async t => {
  const answer = statusPageResponse('/', { url: '/', mount: '/a"<b>', adminApi: true, gzip: false })
  t.equal(answer.status, 200)
  t.equal(answer.headers['content-type'], 'text/html; charset=utf-8')
  t.equal(answer.headers['content-security-policy'], STATUS_PAGE_CSP)
  t.match(STATUS_PAGE_CSP, /^default-src 'self'/)
  t.equal(answer.headers['cache-control'], 'no-cache')
  t.equal(answer.headers['x-content-type-options'], 'nosniff')
  const page = String(answer.body)
  t.match(page, 'data-base="/a&#34;&#60;b&#62;"', 'the mount is escaped')
  t.match(page, 'data-admin="true"')
  t.match(page, /<script src="\/a&#34;&#60;b&#62;\/static\/status\.js\?v=[\w-]+" defer><\/script>/)
  t.match(page, /<link rel="stylesheet" href="\/a&#34;&#60;b&#62;\/static\/status\.css\?v=[\w-]+">/)
  t.notMatch(page, /<script>|<style|\sstyle=|\son\w+=/, 'no inline script or style')
  const atRoot = String(statusPageResponse('/status', { url: '/status', adminApi: false, gzip: true }).body)
  t.match(atRoot, 'data-base="" data-admin="false"')
  t.match(atRoot, /src="\/static\/status\.js\?v=/)
})

t.test('the assets: versioned, cached, revalidated, compressed', async t => {
  const page = String(statusPageResponse('/', { url: '/', adminApi: false, gzip: false }).body)
  const v = versionOf(page, '/static/status.js')
  const fresh = statusPageResponse('/static/status.js', { url: `/static/status.js?v=${v}`, adminApi: false, gzip: false })
  t.equal(fresh.status, 200)
  t.equal(String(fresh.body), STATUS_SCRIPT)
  t.equal(fresh.headers['content-type'], 'text/javascript; charset=utf-8')
  t.equal(fresh.headers['cache-control'], 'public, max-age=31536000, immutable')
  t.equal(fresh.headers['etag'], `"${v}"`)
  t.equal(fresh.headers['vary'], 'Accept-Encoding')
  t.equal(statusPageResponse('/static/status.js', { url: '/static/status.js', adminApi: false, gzip: false }).headers['cache-control'], 'no-cache', 'unversioned: revalidate')
  t.equal(statusPageResponse('/static/status.js', { url: '/static/status.js?v=old', adminApi: false, gzip: false }).headers['cache-control'], 'no-cache', 'another version: revalidate')
  const css = statusPageResponse('/static/status.css', { url: '/static/status.css', adminApi: false, gzip: true })
  t.equal(css.headers['content-encoding'], 'gzip')
  t.equal(css.headers['content-type'], 'text/css; charset=utf-8')
  t.equal(gunzipSync(css.body).toString(), STATUS_STYLE)
  const icon = statusPageResponse('/static/favicon.svg', { url: '/static/favicon.svg', adminApi: false, gzip: false })
  t.equal(icon.headers['content-type'], 'image/svg+xml')
  for (const ifNoneMatch of [`"${v}"`, `W/"${v}"`, `"other", "${v}"`]) {
    const unchanged = statusPageResponse('/static/status.js', { url: '/static/status.js', adminApi: false, gzip: true, ifNoneMatch })
    t.equal(unchanged.status, 304, ifNoneMatch)
    t.equal(unchanged.body, '')
    t.equal(unchanged.headers['etag'], `"${v}"`)
    t.equal(unchanged.headers['content-encoding'], undefined)
  }
  t.equal(statusPageResponse('/static/status.js', { url: '/static/status.js', adminApi: false, gzip: false, ifNoneMatch: '"other"' }).status, 200)
  const missing = statusPageResponse('/static/nope.js', { url: '/static/nope.js', adminApi: false, gzip: false })
  t.equal(missing.status, 404)
  t.equal(missing.body, '404 page not found\n')
  const sizes = statusPageAssetSizes()
  t.equal(sizes['/static/status.js']?.bytes, Buffer.byteLength(STATUS_SCRIPT))
  t.ok((sizes['/static/status.js']?.gzipped as number) < (sizes['/static/status.js']?.bytes as number))
  t.same(Object.keys(sizes), ['/static/status.js', '/static/status.css', '/static/favicon.svg'])
})

t.test('the surface serves the page where it should, and claims it only there', async t => {
  const gw = gateway()
  t.equal((await gw.handle(get('/'))).status, 404, 'no mount: the root of an app')
  t.equal((await gw.handle(get('/', { mount: '' }))).status, 404)
  t.notOk(gw.owns('/'))
  t.notOk(gw.owns('/status', ''))
  t.notOk(gw.owns('/static/status.js', ''))
  t.ok(gw.owns('/', '/pgw'))
  t.ok(gw.owns('/status?x=1', '/pgw'))
  t.ok(gw.owns('/static/status.css', '/pgw'))
  const mounted = await gw.handle(get('/status', { mount: '/pgw' }))
  t.equal(mounted.status, 200)
  t.match(String(mounted.body), 'data-base="/pgw"')
  const on = gateway({ ui: true, adminApi: true })
  t.ok(on.owns('/'))
  const root = await on.handle(get('/'))
  t.equal(root.status, 200)
  t.match(String(root.body), 'data-admin="true"')
  t.equal((await on.handle(get('/static/status.js', { headers: { 'accept-encoding': 'gzip' } }))).headers['content-encoding'], 'gzip')
  const off = gateway({ ui: false })
  t.notOk(off.owns('/', '/pgw'))
  t.equal((await off.handle(get('/', { mount: '/pgw' }))).status, 404)
  const post = await on.handle({ method: 'POST', url: '/', headers: {} })
  t.equal(post.status, 405)
  t.equal(post.headers['allow'], 'GET, OPTIONS')
  const metrics = await on.registry.metrics()
  t.match(metrics, 'pushgateway_http_requests_total{code="200",handler="status",method="get"} 1')
  t.match(metrics, 'pushgateway_http_requests_total{code="200",handler="static",method="get"} 1')
})

t.test('authorize sees the page, its assets and its data as read', async t => {
  const seen: string[] = []
  const gw = gateway({
    ui: true,
    authorize: ({ action, request }: AuthorizationContext) => {
      seen.push(`${action} ${request.url}`)
      return request.headers['authorization'] === 'Bearer ok'
    }
  })
  const refused = await gw.handle(get('/'))
  t.equal(refused.status, 401)
  t.equal(refused.headers['www-authenticate'], 'Bearer realm="pushgateway"')
  t.equal((await gw.handle(get('/static/status.js'))).status, 401)
  t.equal((await gw.handle(get('/api/v1/groups'))).status, 401)
  const allowed = { headers: { authorization: 'Bearer ok' } }
  t.equal((await gw.handle(get('/status', allowed))).status, 200)
  t.equal((await gw.handle(get('/static/status.css', allowed))).status, 200)
  t.equal((await gw.handle(get('/api/v1/groups', allowed))).status, 200)
  t.same(seen, ['read /', 'read /static/status.js', 'read /api/v1/groups', 'read /status', 'read /static/status.css', 'read /api/v1/groups'])
  t.match(await gw.registry.metrics(), 'pushgateway_http_requests_total{code="401",handler="status",method="get"} 1')
})

t.test('GET /api/v1/groups: a compact summary per group', async t => {
  let nowNs = 1_700_000_000_000_000_000n
  const gw = gateway({ now: () => nowNs, expiry: { ttl: Infinity, overrides: { backup: 60_000 } } })
  await gw.push({ job: 'backup', labels: { instance: 'db1' } }, '# TYPE a histogram\na_bucket{le="1"} 1\na_bucket{le="+Inf"} 2\na_sum 3\na_count 2\nb 1\nb{x="y"} 2\n')
  nowNs += 2_500_000n
  await gw.push({ job: 'etl' }, 'rows 1\n')
  await t.rejects(gw.push({ job: 'broken' }, '# TYPE a gauge\na 1\n'))
  nowNs += 1_000_000_000n
  const answer = await gw.handle(get('/api/v1/groups'))
  t.equal(answer.status, 200)
  t.equal(answer.headers['content-type'], 'application/json')
  t.equal(answer.headers['access-control-allow-origin'], '*')
  t.equal(answer.headers['content-encoding'], undefined)
  const body = JSON.parse(String(answer.body)) as { status: string, data: { now: number, groups: unknown[] } }
  t.equal(body.status, 'success')
  t.equal(body.data.now, 1_700_000_001_002.5)
  t.same(body.data.groups, [
    { labels: { instance: 'db1', job: 'backup' }, push_time: 1_700_000_000_000, failure_time: null, expires: 1_700_000_060_000, series: 5, families: ['a', 'b', 'push_time_seconds', 'push_failure_time_seconds'] },
    { labels: { job: 'etl' }, push_time: 1_700_000_000_002.5, failure_time: null, expires: null, series: 3, families: ['rows', 'push_time_seconds', 'push_failure_time_seconds'] },
    { labels: { job: 'broken' }, push_time: null, failure_time: 1_700_000_000_002.5, expires: null, series: 2, families: ['push_failure_time_seconds', 'push_time_seconds'] }
  ])
  const zipped = await gw.handle(get('/api/v1/groups', { headers: { 'accept-encoding': 'gzip, br' } }))
  t.equal(zipped.headers['content-encoding'], 'gzip')
  t.same(JSON.parse(gunzipSync(zipped.body).toString()), body)
  t.equal((await gw.handle({ method: 'PUT', url: '/api/v1/groups', headers: {} })).status, 405)
  t.match(await gw.registry.metrics(), 'pushgateway_http_requests_total{code="200",handler="api/v1/groups",method="get"} 2')
})

t.test('a group never pushed expires from its failure', async t => {
  const gw = gateway({ now: () => 5_000_000_000n, expiry: { ttl: 1000 } })
  await gw.push({ job: 'a' }, 'x 1\n')
  await t.rejects(gw.push({ job: 'b' }, '# TYPE x gauge\nx 1\n'))
  const body = JSON.parse(String((await gw.handle(get('/api/v1/groups'))).body)) as { data: { groups: Array<{ expires: number }> } }
  t.same(body.data.groups.map(group => group.expires), [6000, 6000])
})

t.test('GET /api/v1/metrics?match[]= answers only the selected groups', async t => {
  const gw = gateway()
  for (const instance of ['db1', 'db2', 'web1']) await gw.push({ job: 'backup', labels: { instance } }, 'up 1\n')
  const all = JSON.parse(String((await gw.handle(get('/api/v1/metrics'))).body)) as { data: unknown[] }
  t.equal(all.data.length, 3)
  const some = await gw.handle(get(`/api/v1/metrics?match[]=${encodeURIComponent('{instance=~"db.*"}')}&match[]=${encodeURIComponent('{"instance"="web1"}')}`))
  t.equal(some.status, 200)
  const labels = (JSON.parse(String(some.body)) as { data: Array<{ labels: Record<string, string> }> }).data.map(group => group.labels['instance'])
  t.same(labels, ['db1', 'db2', 'web1'])
  const one = JSON.parse(String((await gw.handle(get(`/api/v1/metrics?match[]=${encodeURIComponent('{instance="db2"}')}`))).body)) as { data: Array<{ labels: Record<string, string> }> }
  t.same(one.data.map(group => group.labels), [{ instance: 'db2', job: 'backup' }])
  const bad = await gw.handle(get('/api/v1/metrics?match[]=nope'))
  t.equal(bad.status, 400)
  t.match(String(bad.body), /selector "nope"/)
  t.equal(bad.headers['access-control-allow-origin'], '*')
  t.match(await gw.registry.metrics(), 'pushgateway_http_requests_total{code="400",handler="api/v1/metrics",method="get"} 1')
})
