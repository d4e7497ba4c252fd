// client_golang's push package (Debian's 1.14) against each front end: protobuf bodies; Push (PUT)
// and Add (POST) accept 200 or 202, Delete requires 202; '/' and empty values go as @base64, other
// values through url.QueryEscape.
import t, { type Test } from 'tap'
import { buildGoClient, familyLines, goClient, pushTime, sampleLines, testOnEachFrontEnd, type ClientTarget } from '../helpers/clients.js'
import { PUSHGATEWAY_1_11, requirePeers } from '../helpers/peers.js'
import { startReference } from '../helpers/reference.js'

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

const binary = await buildGoClient(t)
if (binary !== undefined) {
  const go = async (t: Test, gateway: ClientTarget, op: string, job: string, value: number, labels: string[] = []): Promise<void> => {
    const result = await goClient(binary, ['-url', gateway.url, '-job', job, '-op', op, '-value', String(value), ...labels.flatMap(label => ['-label', label])])
    t.same(result, { code: 0, stdout: '', stderr: '' }, `-op ${op} -job ${job} ${labels.map(label => `-label '${label}'`).join(' ')} exits 0 silently`)
  }
  const key = 'instance="",job="batch",path="/var/tmp"'
  // A family the Go client does not push, added to its group by a text push.
  const pushOther = async (t: Test, gateway: ClientTarget): Promise<void> => {
    const answer = await gateway.send({ method: 'POST', path: '/metrics/job/batch/path@base64/L3Zhci90bXA', body: 'batch_other_info 1\n' })
    t.equal(answer.status, 200, 'a text push adds batch_other_info to the group')
  }

  testOnEachFrontEnd(t, 'Push (PUT) exits 0 and the group serves the three families under its grouping labels', async (t, gateway) => {
    const before = clocks()
    await go(t, gateway, 'push', 'batch', 3, ['path=/var/tmp'])
    const after = clocks()
    t.same(await gateway.groups(), [{ job: 'batch', path: '/var/tmp' }])
    const metrics = await gateway.metrics()
    t.same(familyLines(metrics, 'go_client_items_total'), [
      '# HELP go_client_items_total Items processed by the Go client.',
      '# TYPE go_client_items_total counter',
      `go_client_items_total{${key}} 3`
    ])
    t.same(familyLines(metrics, 'go_client_last_success_seconds'), [
      '# HELP go_client_last_success_seconds Last success of the Go client.',
      '# TYPE go_client_last_success_seconds gauge',
      `go_client_last_success_seconds{${key}} 3`
    ])
    t.same(familyLines(metrics, 'go_client_duration_seconds'), [
      '# HELP go_client_duration_seconds Duration seen by the Go client.',
      '# TYPE go_client_duration_seconds histogram',
      `go_client_duration_seconds_bucket{${key},le="1"} 0`,
      `go_client_duration_seconds_bucket{${key},le="5"} 1`,
      `go_client_duration_seconds_bucket{${key},le="+Inf"} 1`,
      `go_client_duration_seconds_sum{${key}} 3`,
      `go_client_duration_seconds_count{${key}} 1`
    ])
    const pushed = pushTime(metrics, key) ?? NaN
    t.ok(between(pushed, before, after), `push_time_seconds{${key}} is the time of the push (${pushed}, between ${before.join(' or ')} and ${after.join(' or ')})`)
    t.ok(sampleLines(metrics, 'push_failure_time_seconds').includes(`push_failure_time_seconds{${key}} 0`), 'no push failure recorded')
  })

  testOnEachFrontEnd(t, 'grouping values with a slash, a space, an empty value, a % and non-ASCII, and a job with a slash', async (t, gateway) => {
    await go(t, gateway, 'push', 'nightly/db', 1, ['path=/var/tmp', 'host=db 1', 'empty=', 'ratio=50%', 'city=Zürich'])
    // The client sends job@base64/bmlnaHRseS9kYg, path@base64/L3Zhci90bXA and empty@base64/= (its
    // encoding of an empty value), and host/db+1: url.QueryEscape writes a space as '+', which a
    // path keeps as a plus (the reference Pushgateway stores "db+1" too).
    t.same(await gateway.groups(), [{ city: 'Zürich', empty: '', host: 'db+1', job: 'nightly/db', path: '/var/tmp', ratio: '50%' }])
    t.same(await gateway.family('go_client_items_total'), [
      '# HELP go_client_items_total Items processed by the Go client.',
      '# TYPE go_client_items_total counter',
      'go_client_items_total{city="Zürich",empty="",host="db+1",instance="",job="nightly/db",path="/var/tmp",ratio="50%"} 1'
    ])
  })

  testOnEachFrontEnd(t, 'Add (POST) replaces the families it pushes and keeps the group\'s other families', async (t, gateway) => {
    await go(t, gateway, 'push', 'batch', 3, ['path=/var/tmp'])
    await pushOther(t, gateway)
    await go(t, gateway, 'add', 'batch', 7, ['path=/var/tmp'])
    const metrics = await gateway.metrics()
    t.same(sampleLines(metrics, 'go_client_items_total'), [`go_client_items_total{${key}} 7`], 'the counter is the added one, not 3 + 7')
    t.same(sampleLines(metrics, 'go_client_last_success_seconds'), [`go_client_last_success_seconds{${key}} 7`])
    t.same(sampleLines(metrics, 'go_client_duration_seconds'), [
      `go_client_duration_seconds_bucket{${key},le="1"} 0`,
      `go_client_duration_seconds_bucket{${key},le="5"} 0`,
      `go_client_duration_seconds_bucket{${key},le="+Inf"} 1`,
      `go_client_duration_seconds_sum{${key}} 7`,
      `go_client_duration_seconds_count{${key}} 1`
    ], 'the histogram is replaced, not merged')
    t.same(sampleLines(metrics, 'batch_other_info'), [`batch_other_info{${key}} 1`], 'the family Add did not push is kept')
  })

  testOnEachFrontEnd(t, 'Push (PUT) after Add replaces the whole group', async (t, gateway) => {
    await go(t, gateway, 'push', 'batch', 3, ['path=/var/tmp'])
    await pushOther(t, gateway)
    await go(t, gateway, 'add', 'batch', 7, ['path=/var/tmp'])
    await go(t, gateway, 'push', 'batch', 9, ['path=/var/tmp'])
    const metrics = await gateway.metrics()
    t.same(familyLines(metrics, 'batch_other_info'), [], 'the family the Push did not carry is gone')
    t.same(sampleLines(metrics, 'go_client_items_total'), [`go_client_items_total{${key}} 9`])
    t.same(await gateway.groups(), [{ job: 'batch', path: '/var/tmp' }])
  })

  testOnEachFrontEnd(t, 'Delete exits 0 (the client requires 202) and removes only its own group', async (t, gateway) => {
    await go(t, gateway, 'push', 'batch', 3, ['path=/var/tmp'])
    await go(t, gateway, 'push', 'batch', 5, ['path=/var/tmp', 'shard=2'])
    await go(t, gateway, 'push', 'other', 2)
    await go(t, gateway, 'delete', 'batch', 0, ['path=/var/tmp'])
    t.same(await gateway.groups(), [{ job: 'batch', path: '/var/tmp', shard: '2' }, { job: 'other' }], 'the group with an extra label stays')
    const metrics = await gateway.metrics()
    t.same(sampleLines(metrics, 'go_client_items_total'), [
      'go_client_items_total{instance="",job="other"} 2',
      'go_client_items_total{instance="",job="batch",path="/var/tmp",shard="2"} 5'
    ])
    t.equal(pushTime(metrics, key), undefined, 'its push_time_seconds is gone too')
  })

  testOnEachFrontEnd(t, 'Delete of a group that does not exist still exits 0', async (t, gateway) => {
    await go(t, gateway, 'delete', 'never_pushed', 0, ['path=/var/tmp'])
    t.same(await gateway.groups(), [])
  })

  testOnEachFrontEnd(t, 'a grouping label the gateway refuses fails the push with its reason', async (t, gateway) => {
    const result = await goClient(binary, ['-url', gateway.url, '-job', 'batch', '-op', 'push', '-label', '__reserved=1'])
    t.equal(result.code, 1)
    t.equal(result.stderr, `unexpected status code 400 while pushing to ${gateway.url}/metrics/job/batch/__reserved/1: improper label name "__reserved"\n\n`)
    t.same(await gateway.groups(), [])
  })

  testOnEachFrontEnd(t, 'a push that clashes with another group\'s family type fails with the consistency error and records the failure', async (t, gateway) => {
    const gauge = await gateway.send({ method: 'PUT', path: '/metrics/job/other', body: '# TYPE go_client_items_total gauge\ngo_client_items_total 1\n' })
    t.equal(gauge.status, 200)
    const result = await goClient(binary, ['-url', gateway.url, '-job', 'batch', '-op', 'push', '-value', '2'])
    t.equal(result.code, 1)
    t.match(result.stderr, `unexpected status code 400 while pushing to ${gateway.url}/metrics/job/batch: pushed metrics are invalid or inconsistent with existing metrics: `)
    const metrics = await gateway.metrics()
    t.same(sampleLines(metrics, 'go_client_items_total'), ['go_client_items_total{instance="",job="other"} 1'], 'nothing of the refused push is served')
    const failure = sampleLines(metrics, 'push_failure_time_seconds').find(line => line.startsWith('push_failure_time_seconds{instance="",job="batch"} '))
    t.ok(Number(failure?.split(' ')[1]) > 0, `the refused group's push_failure_time_seconds is set, as the reference does (${failure})`)
  })

  // client_golang's native histogram (NativeHistogramBucketFactor), pushed to Pushgateway 1.11.0
  // and to ours: /api/v1/metrics lists the same buckets.
  const reference = requirePeers(t, PUSHGATEWAY_1_11)
  if (reference !== undefined) {
    const nativeOf = async (url: string): Promise<unknown> => {
      const api = await (await fetch(`${url}/api/v1/metrics`)).json() as { data: Array<Record<string, { metrics: unknown[] }>> }
      return api.data[0]?.['go_client_native_seconds']?.metrics
    }
    const gateway = await startReference(reference[0] as string)
    t.teardown(gateway.close)
    t.same(await goClient(binary, ['-url', gateway.base, '-job', 'native', '-op', 'push', '-value', '0.25', '-native']), { code: 0, stdout: '', stderr: '' })
    const expected = await nativeOf(gateway.base)
    t.match(expected, [{ buckets: Array, count: '4', sum: '0.75' }], `1.11.0 lists the native buckets: ${JSON.stringify(expected)}`)
    testOnEachFrontEnd(t, 'a native histogram pushed by client_golang is listed in /api/v1/metrics as 1.11.0 lists it', async (t, target) => {
      t.same(await goClient(binary, ['-url', target.url, '-job', 'native', '-op', 'push', '-value', '0.25', '-native']), { code: 0, stdout: '', stderr: '' })
      t.same(await nativeOf(target.url), expected)
    })
  }
}
