// The Python client against each front end, in two versions: Debian 12's prometheus_client 0.16
// and Debian 13's 0.21.1 (found through PYTHONPATH). Text 0.0.4 bodies with a Content-Type;
// push_to_gateway is a PUT, pushadd_to_gateway a POST, delete_from_gateway a DELETE; '/' and empty
// values go as @base64 (padded), other values through quote_plus.
import t, { type Test } from 'tap'
import { familyLines, pushTime, pythonClient, runProgram, sampleLines, testOnEachFrontEnd, type ClientTarget } from '../helpers/clients.js'
import { PYTHON, PYTHON_CLIENT, PYTHON_CLIENT_0_21, PYTHON_CLIENT_0_21_PATH, requirePeers, type Peer } from '../helpers/peers.js'

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

/** A version of the Python client: the peer that holds it, and the environment that makes Python import it. */
interface PythonClient {
  version: string
  peer: Peer
  env: NodeJS.ProcessEnv
}

const CLIENTS: PythonClient[] = [
  { version: '0.16.0', peer: PYTHON_CLIENT, env: process.env },
  { version: '0.21.1', peer: PYTHON_CLIENT_0_21, env: { ...process.env, PYTHONPATH: PYTHON_CLIENT_0_21_PATH } }
]

for (const client of CLIENTS) {
  t.test(`prometheus_client ${client.version}`, async t => {
    const peers = requirePeers(t, PYTHON, client.peer)
    if (peers !== undefined) clientTests(t, peers[0] as string, client)
  })
}

function clientTests (t: Test, python: string, client: PythonClient): void {
  t.test('Python imports this version of the client', async t => {
    const imported = await runProgram(python, ['-c', 'import importlib.metadata; print(importlib.metadata.version("prometheus_client"))'], { env: client.env })
    t.same(imported, { code: 0, stdout: `${client.version}\n`, stderr: '' })
  })
  const py = async (t: Test, url: string, op: string, job: string, value: number, labels: string[] = [], extra: string[] = []): Promise<void> => {
    const args = ['--url', url, '--job', job, '--op', op, '--value', String(value), ...labels.flatMap(label => ['--label', label]), ...extra]
    t.same(await pythonClient(python, args, client.env), { code: 0, stdout: '', stderr: '' }, `${args.slice(2).join(' ')} exits 0 silently`)
  }
  const key = 'instance="",job="batch",path="/var/tmp"'
  // A family the Python client does not push, added to its group by a text push.
  const pushOther = async (t: Test, gateway: ClientTarget): Promise<void> => {
    const answer = await gateway.send({ method: 'POST', path: '/metrics/job/batch/path@base64/L3Zhci90bXA', body: 'batch_other_info 1\n' })
    t.equal(answer.status, 200, 'a text push adds batch_other_info to the group')
  }

  testOnEachFrontEnd(t, 'push_to_gateway (PUT) stores the families under the grouping key', async (t, gateway) => {
    const before = clocks()
    await py(t, gateway.url, 'push', 'batch', 3, ['path=/var/tmp'])
    const after = clocks()
    t.same(await gateway.groups(), [{ job: 'batch', path: '/var/tmp' }])
    const metrics = await gateway.metrics()
    t.same(familyLines(metrics, 'py_client_items_total'), [
      '# HELP py_client_items_total Items processed by the Python client.',
      '# TYPE py_client_items_total counter',
      `py_client_items_total{${key}} 3`
    ])
    t.same(familyLines(metrics, 'py_client_last_success_seconds'), [
      '# HELP py_client_last_success_seconds Last success of the Python client.',
      '# TYPE py_client_last_success_seconds gauge',
      `py_client_last_success_seconds{${key}} 3`
    ])
    t.same(familyLines(metrics, 'py_client_duration_seconds'), [
      '# HELP py_client_duration_seconds Duration seen by the Python client.',
      '# TYPE py_client_duration_seconds histogram',
      // The client writes le="1.0" and le="5.0"; the gateway serves the parsed bound, as the reference does.
      `py_client_duration_seconds_bucket{${key},le="1"} 0`,
      `py_client_duration_seconds_bucket{${key},le="5"} 1`,
      `py_client_duration_seconds_bucket{${key},le="+Inf"} 1`,
      `py_client_duration_seconds_sum{${key}} 3`,
      `py_client_duration_seconds_count{${key}} 1`
    ])
    const pushed = pushTime(metrics, key) ?? NaN
    t.ok(between(pushed, before, after), `push_time_seconds{${key}} is the time of the push (${pushed}, between ${before.join(' or ')} and ${after.join(' or ')})`)
  })

  testOnEachFrontEnd(t, 'the _created series the client pushes for its counter and histogram are served as gauges', async (t, gateway) => {
    const before = Date.now() / 1000
    await py(t, gateway.url, 'push', 'batch', 3, ['path=/var/tmp'])
    const after = Date.now() / 1000
    const metrics = await gateway.metrics()
    // Text 0.0.4 has no _created: the client writes each as a gauge family of its own, with the
    // parent's HELP, and the reference Pushgateway stores them as such.
    const families: Array<[string, string]> = [['py_client_items_created', 'Items processed by the Python client.'], ['py_client_duration_seconds_created', 'Duration seen by the Python client.']]
    for (const [name, help] of families) {
      const lines = familyLines(metrics, name)
      t.same(lines.slice(0, 2), [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`], `${name} is a gauge family`)
      const created = Number(new RegExp(`^${name}\\{${key}\\} (\\S+)$`).exec(lines[2] ?? '')?.[1])
      t.ok(lines.length === 3 && created >= before - 1 && created <= after + 1, `${lines[2] ?? 'its sample'} is when the client made the metric`)
    }
    t.same(familyLines(metrics, 'py_client_last_success_seconds_created'), [], 'a gauge has none')
  })

  testOnEachFrontEnd(t, 'grouping keys: a slash and an empty value as @base64 with padding, a space as + (quote_plus), % and non-ASCII, a job with a slash', async (t, gateway) => {
    await py(t, gateway.url, 'push', 'nightly/db', 1, ['path=/var/tmp', 'host=db 1', 'empty=', 'ratio=50%', 'city=Zürich'])
    // The client sends job@base64/bmlnaHRseS9kYg==, path@base64/L3Zhci90bXA=, empty@base64/= and
    // host/db+1: quote_plus writes a space as '+', which a path keeps as a plus (the reference
    // Pushgateway stores "db+1" too).
    t.same(await gateway.groups(), [{ city: 'Zürich', empty: '', host: 'db+1', job: 'nightly/db', path: '/var/tmp', ratio: '50%' }])
    t.same(await gateway.family('py_client_items_total'), [
      '# HELP py_client_items_total Items processed by the Python client.',
      '# TYPE py_client_items_total counter',
      'py_client_items_total{city="Zürich",empty="",host="db+1",instance="",job="nightly/db",path="/var/tmp",ratio="50%"} 1'
    ])
  })

  testOnEachFrontEnd(t, 'a gateway address without a scheme, as the README writes it', async (t, gateway) => {
    await py(t, gateway.url.replace(/^http:\/\//, ''), 'push', 'job', 2)
    t.same(await gateway.groups(), [{ job: 'job' }])
    t.same(sampleLines(await gateway.metrics(), 'py_client_items_total'), ['py_client_items_total{instance="",job="job"} 2'])
  })

  testOnEachFrontEnd(t, 'pushadd_to_gateway (POST) replaces the families it pushes and keeps the group\'s other families', async (t, gateway) => {
    await py(t, gateway.url, 'push', 'batch', 3, ['path=/var/tmp'])
    await pushOther(t, gateway)
    await py(t, gateway.url, 'add', 'batch', 8, ['path=/var/tmp'])
    const metrics = await gateway.metrics()
    t.same(sampleLines(metrics, 'py_client_items_total'), [`py_client_items_total{${key}} 8`], 'the counter is the added one, not 3 + 8')
    t.same(sampleLines(metrics, 'py_client_duration_seconds'), [
      `py_client_duration_seconds_bucket{${key},le="1"} 0`,
      `py_client_duration_seconds_bucket{${key},le="5"} 0`,
      `py_client_duration_seconds_bucket{${key},le="+Inf"} 1`,
      `py_client_duration_seconds_sum{${key}} 8`,
      `py_client_duration_seconds_count{${key}} 1`
    ], 'the histogram is replaced, not merged')
    t.same(sampleLines(metrics, 'batch_other_info'), [`batch_other_info{${key}} 1`], 'the family pushadd did not push is kept')
  })

  testOnEachFrontEnd(t, 'push_to_gateway after pushadd_to_gateway replaces the whole group', async (t, gateway) => {
    await py(t, gateway.url, 'push', 'batch', 3, ['path=/var/tmp'])
    await pushOther(t, gateway)
    await py(t, gateway.url, 'add', 'batch', 8, ['path=/var/tmp'])
    await py(t, gateway.url, 'push', 'batch', 9, ['path=/var/tmp'])
    const metrics = await gateway.metrics()
    t.same(familyLines(metrics, 'batch_other_info'), [], 'the family the push did not carry is gone')
    t.same(sampleLines(metrics, 'py_client_items_total'), [`py_client_items_total{${key}} 9`])
  })

  testOnEachFrontEnd(t, 'delete_from_gateway removes only its own group', async (t, gateway) => {
    await py(t, gateway.url, 'push', 'batch', 3, ['path=/var/tmp'])
    await py(t, gateway.url, 'push', 'batch', 5, ['path=/var/tmp', 'shard=2'])
    await py(t, gateway.url, 'push', 'other', 2)
    await py(t, gateway.url, 'delete', 'batch', 0, ['path=/var/tmp'])
    t.same(await gateway.groups(), [{ job: 'batch', path: '/var/tmp', shard: '2' }, { job: 'other' }], 'the group with an extra label stays')
    const metrics = await gateway.metrics()
    t.same(sampleLines(metrics, 'py_client_items_total'), [
      'py_client_items_total{instance="",job="other"} 2',
      'py_client_items_total{instance="",job="batch",path="/var/tmp",shard="2"} 5'
    ])
    t.equal(pushTime(metrics, key), undefined, 'its push_time_seconds is gone too')
  })

  testOnEachFrontEnd(t, 'a gzip body, sent through a custom handler (prometheus_client 0.16 has no compression option)', async (t, gateway) => {
    await py(t, gateway.url, 'push', 'zipped', 5, ['instance=i1'], ['--gzip'])
    await py(t, gateway.url, 'add', 'zipped', 6, ['instance=i1'], ['--gzip'])
    t.same(sampleLines(await gateway.metrics(), 'py_client_last_success_seconds'), ['py_client_last_success_seconds{instance="i1",job="zipped"} 6'])
  })

  testOnEachFrontEnd(t, 'a push the gateway refuses raises HTTPError 400 with the gateway\'s reason', async (t, gateway) => {
    const result = await pythonClient(python, ['--url', gateway.url, '--job', 'batch', '--op', 'push', '--label', '__reserved=1'], client.env)
    t.same(result, { code: 1, stdout: '', stderr: 'HTTP Error 400: Bad Request: improper label name "__reserved"\n' })
    t.same(await gateway.groups(), [])
  })
}
