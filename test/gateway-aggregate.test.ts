// The aggregation endpoint through the core (`handle()`, `aggregate()`) and over HTTP on every
// front end: sums, rules, writers, refusals that leave the group as it was, and the features that
// apply to aggregated groups as to any other (expiry, limits, authorization, persistence).
import t from 'tap'
import { join } from 'node:path'
import express from 'express'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { Pushgateway, type GatewayRequest, type PushgatewayOptions } from '../src/gateway.js'
import { pushgateway } from '../src/express.js'
import { fastifyPushgateway } from '../src/fastify.js'
import { createLogger } from '../src/log.js'
import { FRONT_ENDS, startFrontEnd } from './helpers/front-ends.js'
import { sendText } from './helpers/http.js'

const SECOND = 1_000_000_000n
const quiet = createLogger({ level: 'error', write: () => {} })

function gateway (options: PushgatewayOptions = {}): Pushgateway {
  return new Pushgateway({ registry: new Registry(), logger: quiet, ...options })
}

function post (url: string, body: string, headers: GatewayRequest['headers'] = {}): GatewayRequest {
  return { method: 'POST', url, headers, body }
}

/** The exposition lines of pushed series, without the timestamp families. */
async function series (gw: Pushgateway): Promise<string[]> {
  return (await gw.metrics()).split('\n').filter(line => line !== '' && !line.startsWith('#') && !line.startsWith('push_'))
}

t.test('counters and untyped are summed, and the group shows up like any other', async t => {
  const gw = gateway()
  for (const value of [1, 2, 3.5]) {
    const answer = await gw.handle(post('/aggregate/job/batch', `# TYPE jobs_total counter\njobs_total{kind="a"} ${value}\nitems ${value * 10}\n`))
    t.equal(answer.status, 200)
  }
  await gw.handle(post('/aggregate/job/batch', '# TYPE jobs_total counter\njobs_total{kind="b"} 4\n'))
  t.strictSame(await series(gw), [
    'items{instance="",job="batch"} 65',
    'jobs_total{instance="",job="batch",kind="a"} 6.5',
    'jobs_total{instance="",job="batch",kind="b"} 4'
  ])
  const text = await gw.metrics()
  t.match(text, /push_time_seconds\{instance="",job="batch"\} \d/)
  const api = JSON.parse((await gw.handle({ method: 'GET', url: '/api/v1/metrics', headers: {} })).body as string)
  t.same(api.data[0].labels, { job: 'batch' })
  t.match(api.data[0].jobs_total.metrics, [{ labels: { kind: 'a' }, value: '6.5' }, { labels: { kind: 'b' }, value: '4' }])
})

t.test('the grouping key grammar is the push path\'s, base64 included', async t => {
  const gw = gateway()
  await gw.handle(post('/aggregate/job@base64/YS9i/path@base64/L3Zhci90bXA', 'n 1\n'))
  await gw.handle(post('/aggregate/job/a%2Fb/path/%2Fvar%2Ftmp', 'n 2\n'))
  t.strictSame(await series(gw), ['n{instance="",job="a/b",path="/var/tmp"} 3'])
  t.equal((await gw.handle(post('/aggregate/job/', 'n 1\n'))).status, 400, 'a job is required')
  t.equal((await gw.handle({ method: 'GET', url: '/aggregate/job/a', headers: {} })).status, 405)
  t.equal((await gw.handle({ method: 'OPTIONS', url: '/aggregate/job/a', headers: {} })).headers.allow, 'DELETE, OPTIONS, POST, PUT')
})

t.test('PUT on the aggregate path replaces the group, DELETE removes it', async t => {
  const gw = gateway()
  await gw.handle(post('/aggregate/job/j', 'a_total 5\nb_total 1\n'))
  t.equal((await gw.handle({ method: 'PUT', url: '/aggregate/job/j', headers: {}, body: 'a_total 2\n' })).status, 200)
  t.strictSame(await series(gw), ['a_total{instance="",job="j"} 2'])
  await gw.handle(post('/aggregate/job/j', 'a_total 3\n'))
  t.strictSame(await series(gw), ['a_total{instance="",job="j"} 5'], 'and sums start again from it')
  t.equal((await gw.handle({ method: 'DELETE', url: '/aggregate/job/j', headers: {} })).status, 202)
  t.strictSame(await series(gw), [])
})

t.test('ordinary pushes and aggregate pushes address the same groups', async t => {
  const gw = gateway()
  await gw.handle({ method: 'PUT', url: '/metrics/job/j', headers: {}, body: 'c_total 10\n' })
  await gw.handle(post('/aggregate/job/j', 'c_total 1\n'))
  t.strictSame(await series(gw), ['c_total{instance="",job="j"} 11'])
  await gw.handle({ method: 'DELETE', url: '/metrics/job/j', headers: {} })
  t.strictSame(await series(gw), [])
})

t.test('gauges follow their family\'s rule', async t => {
  const gw = gateway({ aggregation: { gaugeRules: { peak: 'max', low: 'min', total_size: 'sum' } } })
  for (const value of [3, 7, 5]) {
    await gw.handle(post('/aggregate/job/g', `# TYPE peak gauge\npeak ${value}\n# TYPE low gauge\nlow ${value}\n# TYPE total_size gauge\ntotal_size ${value}\n# TYPE latest gauge\nlatest ${value}\n`))
  }
  t.strictSame(await series(gw), ['latest{instance="",job="g"} 5', 'low{instance="",job="g"} 3', 'peak{instance="",job="g"} 7', 'total_size{instance="",job="g"} 15'])

  const byKey = gateway({ aggregation: { gaugeRule: 'sum', gaugeRules: (family, key) => key.job === 'keep' || family === 'x' ? 'last' : undefined } })
  for (const job of ['keep', 'add']) {
    for (const value of [1, 2]) await byKey.handle(post(`/aggregate/job/${job}`, `# TYPE q gauge\nq ${value}\n# TYPE x gauge\nx ${value}\n`))
  }
  t.strictSame(await series(byKey), ['q{instance="",job="add"} 3', 'q{instance="",job="keep"} 2', 'x{instance="",job="add"} 2', 'x{instance="",job="keep"} 2'])
})

t.test('a rules function answering an unknown rule is an error of the app that stores nothing', async t => {
  const gw = gateway({ aggregation: { gaugeRules: () => 'median' as 'sum' } })
  await t.rejects(gw.handle(post('/aggregate/job/g', '# TYPE q gauge\nq 1\n')), { code: 'ERR_INVALID_OPTION' }, 'handle() rejects: the framework answers 500')
  t.strictSame(await series(gw), [])
})

t.test('histograms are summed bucket by bucket; other bounds are refused and change nothing', async t => {
  const gw = gateway()
  const histogram = (bounds: number[], counts: number[], sum: number): string =>
    '# TYPE h histogram\n' + bounds.map((le, i) => `h_bucket{le="${le}"} ${counts[i] as number}\n`).join('') +
    `h_bucket{le="+Inf"} ${counts[counts.length - 1] as number}\nh_sum ${sum}\nh_count ${counts[counts.length - 1] as number}\n`
  await gw.handle(post('/aggregate/job/h', histogram([0.1, 1], [1, 3], 1.5)))
  await gw.handle(post('/aggregate/job/h', histogram([0.1, 1], [2, 2], 0.3)))
  const before = await gw.metrics()
  t.match(before, 'h_bucket{instance="",job="h",le="0.1"} 3\nh_bucket{instance="",job="h",le="1"} 5\nh_bucket{instance="",job="h",le="+Inf"} 5\nh_sum{instance="",job="h"} 1.8\nh_count{instance="",job="h"} 5\n')
  const refused = await gw.handle(post('/aggregate/job/h', histogram([0.5, 1], [1, 1], 1)))
  t.equal(refused.status, 400)
  t.match(refused.error, { code: 'ERR_AGGREGATION' })
  t.match(refused.body, /bounds/)
  t.equal(await gw.metrics(), before, 'the group is unchanged, its failure time included')
})

t.test('summaries: sum and count are summed, quantiles dropped', async t => {
  const gw = gateway()
  for (const n of [2, 3]) await gw.handle(post('/aggregate/job/s', `# TYPE rpc summary\nrpc{quantile="0.5"} 0.2\nrpc_sum ${n / 10}\nrpc_count ${n}\n`))
  t.strictSame(await series(gw), ['rpc_sum{instance="",job="s"} 0.5', 'rpc_count{instance="",job="s"} 5'])
})

t.test('a family pushed with another type than the group holds is refused, the group unchanged', async t => {
  const gw = gateway()
  await gw.handle(post('/aggregate/job/t', '# TYPE m counter\nm 1\n'))
  const before = await gw.metrics()
  const answer = await gw.handle(post('/aggregate/job/t', '# TYPE m gauge\nm 1\n'))
  t.equal(answer.status, 400)
  t.match(answer.error, { code: 'ERR_AGGREGATION' })
  t.equal(await gw.metrics(), before)
})

t.test('the consistency check applies as to any push: the failure time is recorded', async t => {
  let now = 1_700_000_000n * SECOND
  const gw = gateway({ now: () => (now += SECOND) })
  await gw.handle({ method: 'PUT', url: '/metrics/job/other', headers: {}, body: '# TYPE m counter\nm 1\n' })
  await gw.handle(post('/aggregate/job/t', 'n 1\n'))
  const answer = await gw.handle(post('/aggregate/job/t', '# TYPE m gauge\nm 1\n'))
  t.equal(answer.status, 400)
  t.match(answer.error, { code: 'ERR_INCONSISTENT' })
  t.match(await gw.metrics(), /push_failure_time_seconds\{instance="",job="t"\} 1\.70000000\de\+09/)
  t.strictSame(await series(gw), ['m{instance="",job="other"} 1', 'n{instance="",job="t"} 1'])
  t.equal((await gw.handle(post('/aggregate/job/t', 'x 1 1000\n'))).status, 400, 'timestamps are refused')

  const unchecked = gateway({ consistencyCheck: false })
  await unchecked.handle({ method: 'PUT', url: '/metrics/job/other', headers: {}, body: '# TYPE m counter\nm 1\n' })
  t.equal((await unchecked.handle(post('/aggregate/job/t', '# TYPE m gauge\nm 1\n'))).status, 202, 'without the check an inconsistent push is dropped')
  t.equal((await unchecked.handle(post('/aggregate/job/t', 'n 1\n'))).status, 202)
  t.strictSame(await series(unchecked), ['m{instance="",job="other"} 1', 'n{instance="",job="t"} 1'])
})

t.test('writers of cumulative values: only the increase is added, a decrease is a reset', async t => {
  const gw = gateway()
  const push = async (writer: string, value: number): Promise<number> =>
    (await gw.handle(post('/aggregate/job/w', `# TYPE done_total counter\ndone_total ${value}\n`, { 'pushgateway-writer': writer }))).status
  t.equal(await push('pod-1', 5), 200)
  await push('pod-1', 8)
  await push('pod-2', 4)
  await push('pod-1', 8)
  await push('pod-1', 2)
  t.strictSame(await series(gw), ['done_total{instance="",job="w"} 14'], '5 + 3 + 4 + 0 + 2 (the restarted pod-1)')
  await gw.handle(post('/aggregate/job/w/__writer__/pod-2', '# TYPE done_total counter\ndone_total 10\n'))
  t.strictSame(await series(gw), ['done_total{instance="",job="w"} 20'], 'the __writer__ label names the same writer and is not a grouping label')
  await gw.handle(post('/aggregate/job/w', '# TYPE done_total counter\ndone_total 1\n'))
  t.strictSame(await series(gw), ['done_total{instance="",job="w"} 21'], 'without a writer the values are increments')
  await gw.handle({ method: 'PUT', url: '/aggregate/job/w', headers: {}, body: '# TYPE done_total counter\ndone_total 0\n' })
  await push('pod-1', 3)
  t.strictSame(await series(gw), ['done_total{instance="",job="w"} 3'], 'a PUT forgets the writers')
  await gw.aggregate({ job: 'w' }, '# TYPE done_total counter\ndone_total 7\n', { writer: 'pod-1' })
  t.strictSame(await series(gw), ['done_total{instance="",job="w"} 7'], 'aggregate() takes a writer too')
})

t.test('writer names that cannot be used are refused', async t => {
  const gw = gateway()
  const status = async (url: string, headers: Record<string, string>): Promise<string> => {
    const answer = await gw.handle(post(url, 'c_total 1\n', headers))
    return `${answer.status} ${answer.body as string}`
  }
  t.match(await status('/aggregate/job/w/__writer__/a', { 'pushgateway-writer': 'b' }), /^400 .*name different writers/)
  t.match(await status('/aggregate/job/w', { 'pushgateway-writer': '' }), /^400 a writer name must have 1 to 1024 characters, this one has 0/)
  t.match(await status('/aggregate/job/w', { 'pushgateway-writer': 'x'.repeat(1025) }), /^400 .*this one has 1025/)
  t.match(await status('/metrics/job/w/__writer__/a', {}), /^400 improper label name "__writer__"/, 'on ordinary pushes __writer__ is an improper label name, as for the reference')
  t.match(await status('/aggregate/job/w/__other__/a', {}), /^400 improper label name "__other__"/, 'and other names starting with __ on aggregate pushes')
  t.strictSame(await series(gw), [])
})

t.test('limits apply, writers per group included', async t => {
  const gw = gateway({ limits: { writersPerGroup: 2, seriesPerGroup: 3 } })
  const push = async (writer: string, body = 'c_total 1\n'): Promise<number> => (await gw.handle(post('/aggregate/job/l', body, { 'pushgateway-writer': writer }))).status
  t.equal(await push('a'), 200)
  t.equal(await push('b'), 200)
  t.equal(await push('a'), 200, 'a known writer is not counted again')
  const refused = await gw.handle(post('/aggregate/job/l', 'c_total 1\n', { 'pushgateway-writer': 'c' }))
  t.equal(refused.status, 400)
  t.match(refused.body, 'push refused: the group has 2 writers, over the limit of 2 (limits.writersPerGroup, --limits.writers-per-group)')
  t.equal(await push('a', 'c_total 2\nd_total 1\ne_total 1\nf_total 1\n'), 400, 'series per group')
  t.strictSame(await series(gw), ['c_total{instance="",job="l"} 2'])
})

t.test('expiry applies to aggregated groups', async t => {
  let now = 1_700_000_000n * SECOND
  const gw = gateway({ expiry: { ttl: 10_000 }, now: () => now })
  await gw.handle(post('/aggregate/job/e', 'c_total 1\n'))
  now += 5n * SECOND
  await gw.handle(post('/aggregate/job/e', 'c_total 1\n'))
  now += 9n * SECOND
  t.strictSame(await series(gw), ['c_total{instance="",job="e"} 2'], 'the TTL counts from the last push')
  now += 2n * SECOND
  t.strictSame(await series(gw), [])
})

t.test('the authorize hook is asked to push, with the key the group has', async t => {
  const asked: unknown[] = []
  const gw = gateway({ authorize: ({ action, key }) => { asked.push([action, key]); return key?.job !== 'denied' } })
  await gw.handle(post('/aggregate/job/ok/__writer__/w1/instance/i', 'c_total 1\n'))
  const denied = await gw.handle(post('/aggregate/job/denied', 'c_total 1\n'))
  await gw.handle({ method: 'DELETE', url: '/aggregate/job/ok/instance/i', headers: {} })
  t.strictSame(asked, [['push', { job: 'ok', labels: { instance: 'i' } }], ['push', { job: 'denied', labels: {} }], ['delete', { job: 'ok', labels: { instance: 'i' } }]])
  t.equal(denied.status, 401)
})

t.test('writers survive a restart with persistence', async t => {
  const file = join(t.testdir(), 'snapshot')
  const first = gateway({ persistence: { file } })
  await first.aggregate({ job: 'p' }, 'c_total 5\n', { writer: 'pod' })
  await first.close()
  const second = gateway({ persistence: { file } })
  await second.aggregate({ job: 'p' }, 'c_total 8\n', { writer: 'pod' })
  t.strictSame(await series(second), ['c_total{instance="",job="p"} 8'], '5, then the increase of 3: nothing counted twice')
  await second.close()
})

t.test('aggregation: false leaves the endpoint out', async t => {
  const gw = gateway({ aggregation: false })
  t.equal(gw.aggregates, false)
  t.equal(gw.owns('/aggregate/job/a'), false)
  t.equal((await gw.handle(post('/aggregate/job/a', 'c 1\n'))).status, 404)
  await t.rejects(gw.aggregate({ job: 'a' }, 'c 1\n'), { code: 'ERR_NOT_FOUND', statusCode: 404, message: 'aggregation is turned off (the option aggregation is false)' })
  t.equal(gateway().aggregates, true)

  const app = express()
  app.use(pushgateway({ registry: new Registry(), aggregation: false }))
  app.use((_req, res) => { res.status(404).send('app 404') })
  const server = app.listen(0, '127.0.0.1')
  await new Promise(resolve => server.once('listening', resolve))
  const address = server.address() as { port: number }
  const answer = await sendText(`http://127.0.0.1:${address.port}`, { method: 'POST', path: '/aggregate/job/a', body: 'c 1\n' })
  t.equal(answer.body, 'app 404', 'a mounted gateway leaves the path to the app')
  server.close()
})

t.test('aggregation: false in the Fastify plugin', async t => {
  const app = Fastify()
  await app.register(fastifyPushgateway, { registry: new Registry(), aggregation: false, telemetryPath: '/aggregate/job/stats' })
  t.teardown(async () => { await app.close() })
  t.equal((await app.inject({ method: 'POST', url: '/aggregate/job/a', payload: 'c 1\n' })).statusCode, 404, 'no aggregate route')
  await app.inject({ method: 'PUT', url: '/metrics/job/a', payload: 'c 1\n' })
  const scrape = await app.inject({ method: 'GET', url: '/aggregate/job/stats' })
  t.equal(scrape.statusCode, 200, 'a telemetry path there is served')
  t.match(scrape.body, 'c{instance="",job="a"} 1')
})

t.test('the aggregation option is validated at setup', async t => {
  t.throws(() => gateway({ aggregation: 'sum' as unknown as false }), { code: 'ERR_INVALID_OPTION', message: /aggregation/ })
  t.throws(() => gateway({ aggregation: { gaugeRule: 'avg' as 'sum' } }), { message: /option "aggregation\.gaugeRule" must be one of "last", "sum", "min", "max"/ })
  t.throws(() => gateway({ aggregation: { gaugeRules: { q: 'avg' as 'sum' } } }), { message: /aggregation\.gaugeRules\.q/ })
  t.throws(() => gateway({ aggregation: { gaugeRules: 5 as unknown as Record<string, 'sum'> } }), { message: /aggregation\.gaugeRules/ })
})

for (const kind of FRONT_ENDS) {
  t.test(`${kind}: concurrent aggregate pushes add up exactly`, async t => {
    const frontEnd = await startFrontEnd(kind, { mount: kind === 'standalone' ? '' : '/pg', flags: { gaugeRules: { peak: 'max' } }, options: { aggregation: { gaugeRules: { peak: 'max' } } } })
    t.teardown(frontEnd.close)
    const base = frontEnd.base
    const path = `${frontEnd.mount}/aggregate/job/fleet`
    const pushers = 20
    const each = 25
    const statuses = await Promise.all(Array.from({ length: pushers }, async (_, p) => {
      const seen: number[] = []
      for (let i = 0; i < each; i++) {
        const body = `# TYPE work_total counter\nwork_total 1\n# TYPE bytes_total counter\nbytes_total ${p + 0.5}\n# TYPE peak gauge\npeak ${p * each + i}\n`
        seen.push((await sendText(base, { method: 'POST', path, body })).status)
      }
      return seen
    }))
    t.strictSame(new Set(statuses.flat()), new Set([200]))
    const scrape = await sendText(base, { method: 'GET', path: `${frontEnd.mount}/metrics` })
    t.match(scrape.body, `work_total{instance="",job="fleet"} ${pushers * each}\n`)
    t.match(scrape.body, `bytes_total{instance="",job="fleet"} ${each * (pushers * pushers / 2)}\n`)
    t.match(scrape.body, `peak{instance="",job="fleet"} ${pushers * each - 1}\n`)
    const refused = await sendText(base, { method: 'POST', path, body: '# TYPE work_total gauge\nwork_total 1\n' })
    t.equal(refused.status, 400)
    t.match((await sendText(base, { method: 'GET', path: `${frontEnd.mount}/metrics` })).body, `work_total{instance="",job="fleet"} ${pushers * each}\n`)
  })
}
