import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

// The examples run from the build (dist/), as a user runs them after `npm install`.
const root = fileURLToPath(new URL('..', import.meta.url))

function childEnv (extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  // Keep tap's coverage to the test process: the examples are not part of the package.
  delete env['NODE_V8_COVERAGE']
  delete env['NODE_OPTIONS']
  return env
}

/** How long an example may take to print its URL: generous, for a cold start on a loaded machine. */
const START_MS = 60_000

async function start (t: Test, script: string): Promise<{ child: ChildProcess, base: string }> {
  const child = spawn(process.execPath, [script], { cwd: root, env: childEnv({ PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGTERM') })
  // Keep reading both pipes for the child's whole life: a closed pipe would kill it on its next line.
  let output = ''
  let errors = ''
  child.stderr?.on('data', (chunk: Buffer) => { errors += chunk.toString() })
  let timer: NodeJS.Timeout | undefined
  const base = await new Promise<string>((resolve, reject) => {
    const said = (): string => `stdout: ${JSON.stringify(output)}, stderr: ${JSON.stringify(errors)}`
    timer = setTimeout(() => { reject(new Error(`${script} did not print its URL within ${START_MS} ms; ${said()}`)) }, START_MS)
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /http:\/\/localhost:(\d+)[^\n]*\n/.exec(output)
      if (match !== null) resolve(`http://127.0.0.1:${match[1] as string}`)
    })
    child.once('exit', () => { reject(new Error(`${script} exited before printing its URL; ${said()}`)) })
  }).finally(() => { clearTimeout(timer) })
  return { child, base }
}

t.test('npm start: the Express app serves its routes, takes pushes and has one /metrics', async t => {
  const { base } = await start(t, 'examples/express-app.js')
  t.equal(await (await fetch(`${base}/hello`)).text(), 'hello\n')
  const push = await fetch(`${base}/pushgateway/metrics/job/some_job`, { method: 'PUT', body: 'some_metric 3.14\n' })
  t.equal(push.status, 200)
  const job = spawn(process.execPath, ['examples/batch-job.js', `${base}/pushgateway`], { cwd: root, env: childEnv({}), stdio: 'ignore' })
  const [code] = await once(job, 'exit')
  t.equal(code, 0, 'the prom-client batch job pushed')
  const metrics = await (await fetch(`${base}/metrics`)).text()
  t.match(metrics, 'some_metric{instance="",job="some_job"} 3.14\n', 'curl-style push on the app /metrics')
  t.match(metrics, /backup_duration_seconds\{instance="db1",job="backup"\} \d/, 'prom-client push on the app /metrics')
  t.match(metrics, 'app_hello_requests_total 1\n', 'the app\'s own metrics on the same /metrics')
})

t.test('the Fastify app', async t => {
  const { child, base } = await start(t, 'examples/fastify-app.js')
  t.equal(await (await fetch(`${base}/hello`)).text(), 'hello\n')
  t.equal((await fetch(`${base}/pushgateway/metrics/job/f`, { method: 'PUT', body: 'fm 2\n' })).status, 200)
  t.match(await (await fetch(`${base}/metrics`)).text(), 'fm{instance="",job="f"} 2\n')
  t.equal((await fetch(`${base}/pushgateway/metrics`)).status, 404, 'telemetryPath: false leaves /metrics to the app')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'SIGTERM shuts it down')
})

for (const script of ['examples/express-prom-bundle.js', 'examples/fastify-metrics.js']) {
  t.test(`${script}: pushed metrics on the /metrics the metrics package serves`, async t => {
    const { child, base } = await start(t, script)
    t.equal(await (await fetch(`${base}/hello`)).text(), 'hello\n')
    t.equal((await fetch(`${base}/pushgateway/metrics/job/ex`, { method: 'PUT', body: 'pm 7\n' })).status, 200)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    t.match(metrics, 'pm{instance="",job="ex"} 7\n')
    t.match(metrics, /http_request_duration_seconds_bucket\{[^}]*"\/hello"/, 'next to the package\'s own request metrics')
    child.kill('SIGTERM')
    await once(child, 'exit')
  })
}

t.test('the node:http example', async t => {
  const { child, base } = await start(t, 'examples/http-server.js')
  const push = await fetch(`${base}/metrics/job/x`, { method: 'POST', body: 'm 1\n' })
  t.equal(push.status, 200)
  t.match(await (await fetch(`${base}/metrics`)).text(), 'm{instance="",job="x"} 1\n')
  t.equal((await fetch(`${base}/unknown`)).status, 404)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'SIGTERM shuts it down')
})
