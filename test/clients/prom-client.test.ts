// prom-client 15's Pushgateway class against each front end: text bodies with no Content-Type,
// sent chunked; push() is a PUT, pushAdd() a POST, delete() a DELETE; grouping names and values go
// through encodeURIComponent (a '/' is %2F, no @base64), and an empty value is an empty segment.
import t, { type Test } from 'tap'
import { Counter, Gauge, Histogram, Pushgateway, Registry } from 'prom-client'
import { familyLines, pushTime, sampleLines, testOnEachFrontEnd, type ClientTarget } from '../helpers/clients.js'

/**
 * Now, in seconds, on each clock a push time can come from: the wall clock, and the gateway's own
 * (performance.timeOrigin + performance.now(); the front ends run in this process). The two can
 * be apart by more than a second, so a push time is checked against the clock it came from,
 * whichever that is, and not against the other with a slack.
 */
function clocks (): [number, number] {
  return [Date.now() / 1000, (performance.timeOrigin + performance.now()) / 1000]
}

/** Whether `pushed` lies between readings of one of the clocks just before and just after the push (1 ms for Date.now()'s rounding down). */
function between (pushed: number, before: [number, number], after: [number, number]): boolean {
  return [0, 1].some(i => pushed >= (before[i] as number) - 0.001 && pushed <= (after[i] as number) + 0.001)
}

/** What a batch job registers: a counter, a gauge and a histogram, all set from `value`. */
function jobRegistry (value: number): Registry {
  const registry = new Registry()
  new Counter({ name: 'node_client_items_total', help: 'Items processed by the Node client.', registers: [registry] }).inc(value)
  new Gauge({ name: 'node_client_last_success_seconds', help: 'Last success of the Node client.', registers: [registry] }).set(value)
  new Histogram({ name: 'node_client_duration_seconds', help: 'Duration seen by the Node client.', buckets: [1, 5], registers: [registry] }).observe(value)
  return registry
}

type Operation = 'push' | 'pushAdd' | 'delete'

/** Runs one operation of a fresh Pushgateway client and returns the status it resolved with. */
async function call (gateway: ClientTarget, operation: Operation, value: number, jobName: string, groupings?: Record<string, string>, options: object = {}): Promise<number | undefined> {
  const client = new Pushgateway(gateway.url, options, jobRegistry(value))
  const { resp } = await client[operation](groupings === undefined ? { jobName } : { jobName, groupings })
  return (resp as { statusCode?: number } | undefined)?.statusCode
}

const key = 'instance="",job="batch",path="/var/tmp"'
const groupings = { path: '/var/tmp' }

// A family the Node client does not push, added to its group by a text push.
async function pushOther (t: Test, gateway: ClientTarget): Promise<void> {
  const answer = await gateway.send({ method: 'POST', path: '/metrics/job/batch/path@base64/L3Zhci90bXA', body: 'batch_other_info 1\n' })
  t.equal(answer.status, 200, 'a text push adds batch_other_info to the group')
}

testOnEachFrontEnd(t, 'push() (PUT) resolves with 200 and the group serves the three families', async (t, gateway) => {
  const before = clocks()
  t.equal(await call(gateway, 'push', 3, 'batch', groupings), 200)
  const after = clocks()
  t.same(await gateway.groups(), [{ job: 'batch', path: '/var/tmp' }], 'the %2F is a slash in the value (a deliberate difference from the Go gateway, see the README)')
  const metrics = await gateway.metrics()
  t.same(familyLines(metrics, 'node_client_items_total'), [
    '# HELP node_client_items_total Items processed by the Node client.',
    '# TYPE node_client_items_total counter',
    `node_client_items_total{${key}} 3`
  ])
  t.same(familyLines(metrics, 'node_client_last_success_seconds'), [
    '# HELP node_client_last_success_seconds Last success of the Node client.',
    '# TYPE node_client_last_success_seconds gauge',
    `node_client_last_success_seconds{${key}} 3`
  ])
  t.same(familyLines(metrics, 'node_client_duration_seconds'), [
    '# HELP node_client_duration_seconds Duration seen by the Node client.',
    '# TYPE node_client_duration_seconds histogram',
    `node_client_duration_seconds_bucket{${key},le="1"} 0`,
    `node_client_duration_seconds_bucket{${key},le="5"} 1`,
    `node_client_duration_seconds_bucket{${key},le="+Inf"} 1`,
    `node_client_duration_seconds_sum{${key}} 3`,
    `node_client_duration_seconds_count{${key}} 1`
  ])
  const pushed = pushTime(metrics, key) ?? NaN
  t.ok(between(pushed, before, after), `push_time_seconds{${key}} is the time of the push (${pushed}, between ${before.join(' or ')} and ${after.join(' or ')})`)
})

testOnEachFrontEnd(t, 'groupings: %2F in a value, a space as %20, % and non-ASCII, an empty value as the last segment, a job with a slash', async (t, gateway) => {
  // The path is /metrics/job/nightly%2Fdb/path/%2Fvar%2Ftmp/host/db%201/ratio/50%25/city/Z%C3%BCrich/empty/
  t.equal(await call(gateway, 'push', 1, 'nightly/db', { path: '/var/tmp', host: 'db 1', ratio: '50%', city: 'Zürich', empty: '' }), 200)
  t.same(await gateway.groups(), [{ city: 'Zürich', empty: '', host: 'db 1', job: 'nightly/db', path: '/var/tmp', ratio: '50%' }])
  t.same(sampleLines(await gateway.metrics(), 'node_client_items_total'), [
    'node_client_items_total{city="Zürich",empty="",host="db 1",instance="",job="nightly/db",path="/var/tmp",ratio="50%"} 1'
  ])
})

testOnEachFrontEnd(t, 'an empty value in the middle of the groupings is an empty segment too', async (t, gateway) => {
  t.equal(await call(gateway, 'push', 1, 'batch', { empty: '', path: '/var/tmp' }), 200)
  t.same(await gateway.groups(), [{ empty: '', job: 'batch', path: '/var/tmp' }])
})

testOnEachFrontEnd(t, 'pushAdd() (POST) replaces the families it pushes and keeps the group\'s other families', async (t, gateway) => {
  t.equal(await call(gateway, 'push', 3, 'batch', groupings), 200)
  await pushOther(t, gateway)
  t.equal(await call(gateway, 'pushAdd', 4, 'batch', groupings), 200)
  const metrics = await gateway.metrics()
  t.same(sampleLines(metrics, 'node_client_items_total'), [`node_client_items_total{${key}} 4`], 'the counter is the added one, not 3 + 4')
  t.same(sampleLines(metrics, 'node_client_duration_seconds'), [
    `node_client_duration_seconds_bucket{${key},le="1"} 0`,
    `node_client_duration_seconds_bucket{${key},le="5"} 1`,
    `node_client_duration_seconds_bucket{${key},le="+Inf"} 1`,
    `node_client_duration_seconds_sum{${key}} 4`,
    `node_client_duration_seconds_count{${key}} 1`
  ], 'the histogram is replaced, not merged')
  t.same(sampleLines(metrics, 'batch_other_info'), [`batch_other_info{${key}} 1`], 'the family pushAdd() did not push is kept')
})

testOnEachFrontEnd(t, 'push() after pushAdd() replaces the whole group', async (t, gateway) => {
  t.equal(await call(gateway, 'push', 3, 'batch', groupings), 200)
  await pushOther(t, gateway)
  t.equal(await call(gateway, 'pushAdd', 4, 'batch', groupings), 200)
  t.equal(await call(gateway, 'push', 9, 'batch', groupings), 200)
  const metrics = await gateway.metrics()
  t.same(familyLines(metrics, 'batch_other_info'), [], 'the family push() did not carry is gone')
  t.same(sampleLines(metrics, 'node_client_items_total'), [`node_client_items_total{${key}} 9`])
})

testOnEachFrontEnd(t, 'delete() resolves with 202 and removes only its own group', async (t, gateway) => {
  t.equal(await call(gateway, 'push', 3, 'batch', groupings), 200)
  t.equal(await call(gateway, 'push', 5, 'batch', { ...groupings, shard: '2' }), 200)
  t.equal(await call(gateway, 'push', 2, 'other'), 200)
  t.equal(await call(gateway, 'delete', 0, 'batch', groupings), 202)
  t.same(await gateway.groups(), [{ job: 'batch', path: '/var/tmp', shard: '2' }, { job: 'other' }], 'the group with an extra label stays')
  const metrics = await gateway.metrics()
  t.same(sampleLines(metrics, 'node_client_items_total'), [
    'node_client_items_total{instance="",job="other"} 2',
    'node_client_items_total{instance="",job="batch",path="/var/tmp",shard="2"} 5'
  ])
  t.equal(pushTime(metrics, key), undefined, 'its push_time_seconds is gone too')
})

testOnEachFrontEnd(t, 'a gzip body: with a Content-Encoding: gzip request header prom-client gzips the body itself', async (t, gateway) => {
  const options = { headers: { 'Content-Encoding': 'gzip' } }
  t.equal(await call(gateway, 'push', 5, 'zipped', { instance: 'i1' }, options), 200)
  t.equal(await call(gateway, 'pushAdd', 6, 'zipped', { instance: 'i1' }, options), 200)
  t.same(sampleLines(await gateway.metrics(), 'node_client_last_success_seconds'), ['node_client_last_success_seconds{instance="i1",job="zipped"} 6'])
  t.equal(await call(gateway, 'delete', 0, 'zipped', { instance: 'i1' }, options), 202, 'delete() drops the header (it has no body)')
  t.same(await gateway.groups(), [])
})

testOnEachFrontEnd(t, 'a push the gateway refuses rejects with its status and reason', async (t, gateway) => {
  await t.rejects(call(gateway, 'push', 1, 'batch', { __reserved: '1' }), new Error('push failed with status 400, improper label name "__reserved"\n'))
  t.same(await gateway.groups(), [])
})
