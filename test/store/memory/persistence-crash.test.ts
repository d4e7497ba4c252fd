import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { decodeSnapshot } from '../../../src/store/memory/snapshot.js'
import { freePort } from '../../helpers/reference.js'
import { untilReady } from '../../helpers/processes.js'
import { sendText } from '../../helpers/http.js'

// The standalone server from the build (dist/), as `pushgateway-middleware` runs it.
const CLI = fileURLToPath(new URL('../../../dist/standalone/cli.js', import.meta.url))
const OWN_FAMILIES = /^(# (HELP|TYPE) )?(nodejs_|process_|pushgateway_)/

interface Gateway {
  child: ChildProcess
  base: string
  /** What it logged on stderr so far. */
  log: () => string
  /** Sends a signal and waits for the process to exit. */
  stop: (signal: NodeJS.Signals) => Promise<void>
}

function childEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  // Keep tap's coverage and loader to the test process: the child runs the build.
  delete env['NODE_V8_COVERAGE']
  delete env['NODE_OPTIONS']
  return env
}

/** How long the gateway may take to answer /-/ready: generous, for a cold start on a loaded machine. */
const START_MS = 30_000

/** Starts the built CLI on a free port with this persistence file and interval, and waits until it is ready. */
async function startGateway (t: Test, file: string, interval: string, extraArgs: string[] = []): Promise<Gateway> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const args = [CLI, `--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${file}`, `--persistence.interval=${interval}`, ...extraArgs]
    const child = spawn(process.execPath, args, { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] })
    t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
    let log = ''
    child.stderr?.setEncoding('utf8').on('data', (text: string) => { log += text })
    // 'close' comes after the exit and the end of stderr: then the log is complete.
    const exited = new Promise<void>(resolve => { child.once('close', () => { resolve() }) })
    const stop = async (signal: NodeJS.Signals): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    }
    const base = `http://127.0.0.1:${port}`
    if (await untilReady(child, base, START_MS)) return { child, base, log: () => log, stop }
    await stop('SIGKILL')
    // Another process may have taken the port between freePort() and the bind.
    if (attempt === 3 || !log.includes('EADDRINUSE')) throw new Error(`the gateway did not start:\n${log}`)
  }
}

/** GET /metrics without the process's own families: what was pushed, timestamps included. */
async function pushedMetrics (gateway: Gateway): Promise<string> {
  const answer = await sendText(gateway.base, { method: 'GET', path: '/metrics' })
  return answer.body.split('\n').filter(line => !OWN_FAMILIES.test(line)).join('\n')
}

async function put (gateway: Gateway, path: string, body: string): Promise<number> {
  return (await sendText(gateway.base, { method: 'PUT', path, body })).status
}

/** The groups of the snapshot file, or undefined while there is none. */
function snapshotGroups (file: string): ReturnType<typeof decodeSnapshot> | undefined {
  return existsSync(file) ? decodeSnapshot(readFileSync(file)) : undefined
}

/** The value of the first series of the first group of the snapshot file, 0 while there is none. */
function persistedValue (file: string): number {
  return snapshotGroups(file)?.[0]?.families.get('m')?.family.metrics[0]?.value ?? 0
}

/** Whether `condition` comes to hold within `timeoutMs` (a deadline for a loaded machine, not a measure). */
async function until (condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) return false
    await sleep(10)
  }
  return true
}

function errorLines (log: string): string[] {
  return log.split('\n').filter(line => line.includes('level=error'))
}

// Each subtest's timeout covers the deadlines inside it (up to START_MS per start, 30 s per wait).
t.test('SIGKILL after a write: the restarted gateway shows exactly what it showed', { timeout: 120_000 }, async t => {
  const file = join(t.testdir(), 'snapshot')
  const first = await startGateway(t, file, '50ms')
  const bodies = [
    '# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total{kind="a"} 3\njobs_total{kind="b"} 4.5\n',
    '# TYPE temperature gauge\n# HELP temperature Line one\\nline two with a \\\\ backslash.\ntemperature{room="Küche"} -0\ntemperature{room="attic"} NaN\ntemperature{room="sun"} +Inf\n',
    '# TYPE latency_seconds histogram\nlatency_seconds_bucket{le="0.1"} 1\nlatency_seconds_bucket{le="1"} 3\nlatency_seconds_bucket{le="+Inf"} 4\nlatency_seconds_sum 2.5\nlatency_seconds_count 4\n',
    '# TYPE rpc_seconds summary\nrpc_seconds{quantile="0.5"} 0.2\nrpc_seconds_sum 7\nrpc_seconds_count 30\nlast_run 1795428930\n'
  ]
  for (const [i, body] of bodies.entries()) {
    t.equal(await put(first, `/metrics/job/batch${i}/instance/host-${i}`, body), 200, `push ${i}`)
  }
  t.equal(await put(first, '/metrics/job/batch1/instance/host-1', '# TYPE jobs_total gauge\njobs_total 1\n'), 400, 'an inconsistent push records a failure time')
  t.ok(await until(() => snapshotGroups(file)?.length === bodies.length, 30_000), 'the snapshot holds every group')
  // The failed push came last; wait for a snapshot with its failure time.
  t.ok(await until(() => snapshotGroups(file)?.some(g => g.failureTimeNs > 0n) === true, 30_000), 'and the failure time')
  const before = await pushedMetrics(first)
  await first.stop('SIGKILL')

  const second = await startGateway(t, file, '50ms')
  t.equal(await pushedMetrics(second), before, 'the same groups, families, values, order and push times')
  t.match(before, /push_failure_time_seconds\{instance="host-1",job="batch1"\} [1-9]/)
  t.match(before, 'temperature{instance="host-1",job="batch1",room="sun"} +Inf\n')
  t.strictSame(errorLines(second.log()), [], 'no error logged')
  await second.stop('SIGTERM')
})

t.test('SIGKILL during writes never leaves a torn or unreadable snapshot', { timeout: 240_000 }, async t => {
  const dir = t.testdir()
  const file = join(dir, 'snapshot')
  const series = 2000
  const body = (i: number): string => Array.from({ length: series }, (_, s) => `m{s="${s}"} ${i}\n`).join('')
  // A fixed number of rounds, however long they take: a count, not a throughput.
  const rounds = 6
  let sequence = 0
  let gateway = await startGateway(t, file, '10ms')
  const kills = { total: 0, warm: 0, duringWrite: 0 }
  // Rounds that had a snapshot to check: all but the first ones, before anything was written.
  let checked = 0
  for (let round = 1; round <= rounds; round++) {
    const firstOfRound = sequence + 1
    let acknowledged = 0
    let sent = 0
    const pushing = new AbortController()
    const pusher = (async () => {
      while (!pushing.signal.aborted) {
        const i = ++sequence
        sent = i
        try {
          if (await put(gateway, '/metrics/job/torn', body(i)) === 200) acknowledged = i
        } catch {
          return
        }
      }
    })()
    // Odd rounds count from the first push, so most kills hit the new process's first (slow, cold)
    // write; even rounds from its first finished write, so kills hit the warm writes that follow.
    const warm = round % 2 === 0
    if (warm) t.ok(await until(() => persistedValue(file) >= firstOfRound, 30_000), `round ${round}: a first write of this process`)
    // A random moment to kill, not a wait for something: the kills spread over the writes.
    const killAfterMs = 5 + Math.floor(Math.random() * 146)
    await sleep(killAfterMs)
    // Whatever snapshot is on disk now, a later one can only be newer.
    const persistedBefore = persistedValue(file)
    const oldPid = gateway.child.pid as number
    await gateway.stop('SIGKILL')
    pushing.abort()
    await pusher
    kills.total++
    if (readdirSync(dir).some(name => name.startsWith(`snapshot.tmp-${oldPid}-`))) kills.duringWrite++

    gateway = await startGateway(t, file, '10ms')
    const where = `round ${round}, killed ${killAfterMs} ms after the ${warm ? 'first write' : 'first push'}, last sent ${sent}, last acknowledged ${acknowledged}, persisted before the kill ${persistedBefore}`
    const text = (await sendText(gateway.base, { method: 'GET', path: '/metrics' })).body
    const values = [...text.matchAll(/^m\{instance="",job="torn",s="\d+"\} (\S+)$/gm)].map(match => Number(match[1]))
    const value = values[0] ?? 0
    if (warm) kills.warm++
    if (persistedBefore > 0 || values.length > 0) {
      checked++
      t.equal(values.length, series, `every series is there (${where})`)
      t.ok(values.every(v => v === value), `all of one push (${where}): ${value}`)
      // A push in flight may be persisted before its answer reaches the pusher.
      t.ok(value >= persistedBefore && value <= sent, `between the last snapshot seen and the last push sent (${where}): ${value}`)
    }
    t.strictSame(readdirSync(dir).filter(name => name !== 'snapshot'), [], `no temporary file left, nothing set aside (${where})`)
    t.strictSame(errorLines(gateway.log()), [], `no error logged at start (${where})`)
  }
  t.equal(kills.total, rounds, `killed ${kills.total} times (${kills.warm} after a first write), ${kills.duringWrite} times with a temporary file on disk`)
  // The even rounds wait for a write, so every round from the third on has a snapshot to check.
  t.ok(checked >= 3, `${checked} of ${rounds} rounds checked a snapshot`)
  await gateway.stop('SIGTERM')
})

t.test('SIGTERM writes a last snapshot, whatever the interval', { timeout: 120_000 }, async t => {
  const dir = t.testdir()
  const file = join(dir, 'snapshot')
  // At debug level the gateway logs each snapshot it writes: 'metrics persisted'.
  const first = await startGateway(t, file, '1h', ['--log.level=debug'])
  t.equal(await put(first, '/metrics/job/shutdown', 'pushed_before_sigterm 42\n'), 200)
  // A second request answered: the push and whatever it scheduled have run.
  t.match(await pushedMetrics(first), 'pushed_before_sigterm{instance="",job="shutdown"} 42\n')
  t.strictSame(readdirSync(dir), [], 'nothing written, nor being written, before the interval')
  await first.stop('SIGTERM')
  t.equal(first.child.exitCode, 0, 'a graceful exit')
  t.ok(existsSync(file), 'the last snapshot is written')
  // Any write started before the SIGTERM is logged too, even one still in flight then: the
  // gateway finishes it before the last one. The log is complete once the process has exited.
  const writes = first.log().split('\n').filter(line => line.includes('msg="metrics persisted"'))
  t.equal(writes.length, 1, `one write, at SIGTERM, none after the push:\n${writes.join('\n')}`)

  const second = await startGateway(t, file, '1h')
  t.match(await pushedMetrics(second), 'pushed_before_sigterm{instance="",job="shutdown"} 42\n')
  await second.stop('SIGTERM')
})
