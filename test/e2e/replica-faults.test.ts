// Replicas sharing a real redis-server, under faults: a replica killed mid-load, Redis stopped
// and restarted mid-load, Redis frozen (SIGSTOP), and two replicas racing conflicting types.
import t, { type Test } from 'tap'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { sendText } from '../helpers/http.js'
import { stopProcess, untilReady } from '../helpers/processes.js'
import { startRedis, type RedisServer } from '../helpers/redis.js'
import { freePort } from '../helpers/reference.js'
import { apiGroups, pathOn, runPool, startReplicas, storeBody, type Replica } from '../helpers/replicas.js'

// The binary, run from source with the test's own loader (process.execArgv).
const CLI = fileURLToPath(new URL('../../src/standalone/cli.ts', import.meta.url))
// Long enough for a loaded machine; every wait ends as soon as what it waits for happens.
const WAIT_MS = 30_000

/** An answer, with its Retry-After header. */
interface Reply { status: number, retryAfter: string | undefined, body: string }

/** What one request of a load got: an answer, or the error that stopped it. */
type Outcome = Reply | Error

/** The value of one series in a text exposition, `undefined` when it is not there. */
function valueOf (body: string, series: string): string | undefined {
  const line = body.split('\n').find(line => line.startsWith(series + ' '))
  return line?.slice(series.length + 1)
}

/** The answers of a load, counted by status (`error` for those that got none). */
function tally (outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const outcome of outcomes) {
    const key = outcome instanceof Error ? 'error' : String(outcome.status)
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

function acknowledged (outcome: Outcome | undefined): boolean {
  return outcome !== undefined && !(outcome instanceof Error) && outcome.status >= 200 && outcome.status < 300
}

async function request (base: string, method: string, path: string, body?: string): Promise<Reply> {
  const answer = await sendText(base, { method, path: pathOn(base, path), ...(body === undefined ? {} : { body }) })
  const retryAfter = answer.headers['retry-after']
  return { status: answer.status, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined, body: answer.body }
}

/** Resolves with what `promise` gives, or fails the test (and resolves undefined) when it takes longer than `ms`: a request that hangs. */
async function within<T> (t: Test, ms: number, what: string, promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>(resolve => { timer = setTimeout(() => { t.fail(`${what}: no answer after ${ms} ms`); resolve(undefined) }, ms) })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Polls `check` until it is true or the deadline passes; returns whether it became true. */
async function until (check: () => Promise<boolean>, ms = WAIT_MS): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      if (await check()) return true
    } catch {}
    if (Date.now() > deadline) return false
    await sleep(25)
  }
}

/** The body of a push of group `n`: three families of two series each, every value derived from `n`. */
function groupBody (n: number): string {
  return [
    '# TYPE load_a counter', `load_a{s="1"} ${n}`, `load_a{s="2"} ${n + 1}`,
    '# TYPE load_b gauge', `load_b{s="1"} ${n + 2}`, `load_b{s="2"} ${n + 3}`,
    '# TYPE load_c untyped', `load_c{s="1"} ${n + 4}`, `load_c{s="2"} ${n + 5}`,
    ''
  ].join('\n')
}

/** The series a push of `groupBody(n)` to `/metrics/job/<job>/instance/<n>` stores, with their values. */
function groupSeries (job: string, n: number): Array<[string, string]> {
  const series: Array<[string, string]> = []
  for (const [i, family] of ['load_a', 'load_b', 'load_c'].entries()) {
    for (const s of [1, 2]) series.push([`${family}{instance="${n}",job="${job}",s="${s}"}`, String(n + 2 * i + s - 1)])
  }
  return series
}

/** The instances of `job` that have at least one series in a scrape. */
function instancesIn (body: string, job: string): Set<number> {
  const found = new Set<number>()
  for (const match of body.matchAll(new RegExp(`^load_[abc]\\{instance="(\\d+)",job="${job}"`, 'gm'))) found.add(Number(match[1]))
  return found
}

/** Checks that every group of `job` in `body` has all its series with the pushed values, and that every acknowledged one is there. */
function checkGroups (t: Test, body: string, job: string, outcomes: readonly Outcome[]): void {
  const present = instancesIn(body, job)
  const partial = [...present].filter(n => groupSeries(job, n).some(([series, value]) => valueOf(body, series) !== value))
  t.same(partial, [], 'no group is there in part: each has its six series with the pushed values')
  const missing = outcomes.flatMap((outcome, n) => acknowledged(outcome) && !present.has(n) ? [n] : [])
  t.same(missing, [], `every acknowledged push is there (${outcomes.filter(acknowledged).length} acknowledged, ${present.size} groups stored)`)
}

/** A replica in a process of its own: the standalone binary on `redis`. */
async function startReplicaProcess (t: Test, redis: RedisServer): Promise<{ child: ChildProcess, base: string, log: () => string } | undefined> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const args = [`--store.redis-url=${redis.url}`, `--web.listen-address=127.0.0.1:${port}`]
    const child = fork(CLI, args, { execArgv: process.execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    let log = ''
    child.stdout?.setEncoding('utf8').on('data', (text: string) => { log += text })
    child.stderr?.setEncoding('utf8').on('data', (text: string) => { log += text })
    const base = `http://127.0.0.1:${port}`
    // It compiles the sources at start: a deadline for a loaded machine.
    if (await untilReady(child, base, 90_000)) {
      t.teardown(async () => { await stopProcess(child) })
      return { child, base, log: () => log }
    }
    await stopProcess(child)
    // Another process may have taken the port between freePort() and the bind: only that is worth another try.
    if (attempt === 3 || !/EADDRINUSE/.test(log)) {
      t.fail('the replica process did not become ready', { log })
      return undefined
    }
  }
}

const redisServer = await startRedis(t)
if (redisServer !== undefined) {
  const redis: RedisServer = redisServer

  t.test('a replica killed with SIGKILL mid-load loses no acknowledged push', async t => {
    const [survivor] = await startReplicas(t, redis, ['express'])
    const started = await startReplicaProcess(t, redis)
    if (started === undefined || survivor === undefined) return
    const { child, base } = started
    const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
    const total = 150
    let acked = 0
    const outcomes = await runPool(total, 6, async n => {
      const outcome = await request(base, 'PUT', `/metrics/job/killed/instance/${n}`, groupBody(n))
      // Killed while other pushes are in flight: those may or may not have reached Redis, and are not acknowledged.
      if (acknowledged(outcome) && ++acked === 40) child.kill('SIGKILL')
      return outcome
    })
    await exited
    t.equal(child.signalCode, 'SIGKILL', 'the replica was killed')
    const counts = tally(outcomes)
    t.ok((counts['200'] ?? 0) >= 40, 'pushes were acknowledged before the kill', { counts: { ...counts } })
    t.ok((counts['error'] ?? 0) > 0, 'and pushes failed after it', { counts: { ...counts } })
    t.same(Object.keys(counts).filter(key => key !== '200' && key !== 'error'), [], 'no answer but 200', { counts: { ...counts } })
    checkGroups(t, await storeBody(survivor), 'killed', outcomes)
  })

  t.test('Redis stopped mid-load: 503 with Retry-After, no partial group, and every acknowledged push there after the restart', async t => {
    const replicas = await startReplicas(t, redis, undefined, { prefix: 'stopped' })
    let acked = 0
    let stopping: Promise<void> | undefined
    const outcomes = await runPool(150, 6, async n => {
      // Once Redis is being stopped, the next pushes go out after it is down.
      if (stopping !== undefined) await stopping
      const replica = replicas[n % replicas.length] as Replica
      const outcome = await request(replica.base, 'PUT', `/metrics/job/stopped/instance/${n}`, groupBody(n))
      if (acknowledged(outcome) && ++acked === 30) stopping = redis.stop()
      return outcome
    })
    await stopping
    const counts = tally(outcomes)
    t.ok((counts['200'] ?? 0) >= 30, 'pushes acknowledged before the stop', { counts: { ...counts } })
    t.ok((counts['503'] ?? 0) > 0, 'pushes answered 503 while Redis was down', { counts: { ...counts } })
    t.same(Object.keys(counts).filter(key => key !== '200' && key !== '503'), [], 'no answer but 200 and 503', { counts: { ...counts } })
    const unavailable = outcomes.filter((outcome): outcome is Reply => !(outcome instanceof Error) && outcome.status === 503)
    t.same(unavailable.filter(outcome => outcome.retryAfter === undefined || !/^\d+$/.test(outcome.retryAfter)), [], 'every 503 has a Retry-After in seconds')

    for (const replica of replicas) {
      t.equal((await request(replica.base, 'GET', '/-/ready')).status, 503, `${replica.kind}: not ready while Redis is down`)
      t.equal((await request(replica.base, 'GET', '/-/healthy')).status, 200, `${replica.kind}: healthy all the same`)
      t.equal((await request(replica.base, 'GET', '/metrics')).status, 503, `${replica.kind}: a scrape answers 503 rather than something stale or empty`)
    }

    await redis.start()
    for (const replica of replicas) {
      t.ok(await until(async () => (await sendText(replica.base, { method: 'GET', path: pathOn(replica, '/-/ready') })).status === 200), `${replica.kind}: ready again once Redis is back`, { log: replica.log() })
    }
    const bodies = await Promise.all(replicas.map(storeBody))
    for (const [i, replica] of replicas.entries()) t.equal(bodies[i], bodies[0], `${replica.kind} agrees with ${replicas[0]?.kind ?? ''}`)
    checkGroups(t, bodies[0] as string, 'stopped', outcomes)
    for (const replica of replicas) {
      const after = await request(replica.base, 'PUT', `/metrics/job/after/instance/${replica.kind}`, 'back 1\n')
      t.equal(after.status, 200, `${replica.kind}: pushes are acknowledged again`)
    }
  })

  t.test('Redis frozen with SIGSTOP: a push answers 503 within the timeout instead of hanging, and works again after SIGCONT', async t => {
    const replicas = await startReplicas(t, redis, undefined, { prefix: 'frozen', timeout: 300 })
    const [first] = replicas as [Replica]
    t.equal((await request(first.base, 'PUT', '/metrics/job/frozen', 'before 1\n')).status, 200, 'a push before the freeze')
    redis.signal('SIGSTOP')
    let thawed = false
    t.teardown(() => { if (!thawed) redis.signal('SIGCONT') })
    for (const replica of replicas) {
      // The deadline is many times the store's timeout: it tells a hang from an answer, it measures nothing.
      const pushed = await within(t, 10_000, `${replica.kind}: PUT while Redis is frozen`, request(replica.base, 'PUT', `/metrics/job/frozen/instance/${replica.kind}`, 'during 1\n'))
      if (pushed === undefined) continue
      t.equal(pushed.status, 503, `${replica.kind}: the push answers 503`)
      t.match(pushed.retryAfter, /^\d+$/, `${replica.kind}: with a Retry-After`)
      // A 503 does not say the write was not applied: Redis may run it once thawed. So the DELETE
      // names a group nobody pushed, and the group pushed before the freeze must still be there.
      const deleted = await within(t, 10_000, `${replica.kind}: DELETE while Redis is frozen`, request(replica.base, 'DELETE', '/metrics/job/elsewhere'))
      t.equal(deleted?.status, 503, `${replica.kind}: a DELETE answers 503`)
      const scraped = await within(t, 10_000, `${replica.kind}: scrape while Redis is frozen`, request(replica.base, 'GET', '/metrics'))
      t.equal(scraped?.status, 503, `${replica.kind}: a scrape answers 503`)
      const ready = await within(t, 10_000, `${replica.kind}: /-/ready while Redis is frozen`, request(replica.base, 'GET', '/-/ready'))
      t.equal(ready?.status, 503, `${replica.kind}: not ready`)
      const healthy = await within(t, 10_000, `${replica.kind}: /-/healthy while Redis is frozen`, request(replica.base, 'GET', '/-/healthy'))
      t.equal(healthy?.status, 200, `${replica.kind}: healthy`)
    }
    redis.signal('SIGCONT')
    thawed = true
    for (const replica of replicas) {
      t.ok(await until(async () => {
        return (await request(replica.base, 'PUT', `/metrics/job/thawed/instance/${replica.kind}`, 'after 2\n')).status === 200
      }), `${replica.kind}: pushes are acknowledged again after SIGCONT`, { log: replica.log() })
    }
    const bodies = await Promise.all(replicas.map(storeBody))
    for (const [i, replica] of replicas.entries()) {
      t.equal(bodies[i], bodies[0], `${replica.kind} agrees with ${first.kind}`)
      t.equal(valueOf(bodies[i] as string, `after{instance="${replica.kind}",job="thawed"}`), '2', `${replica.kind}'s push after the thaw is there`)
    }
    t.equal(valueOf(bodies[0] as string, 'before{instance="",job="frozen"}'), '1', 'the push before the freeze is kept')
  })

  t.test('two replicas racing conflicting types end with one type, on every replica', async t => {
    const replicas = await startReplicas(t, redis, ['express', 'fastify'], { prefix: 'race' })
    const [gauges, counters] = replicas as [Replica, Replica]
    const each = 60
    const [asGauge, asCounter] = await Promise.all([
      runPool(each, 5, async n => request(gauges.base, 'PUT', `/metrics/job/race/instance/g${n}`, `# TYPE r gauge\nr ${n}\n`)),
      runPool(each, 5, async n => request(counters.base, 'PUT', `/metrics/job/race/instance/c${n}`, `# TYPE r counter\nr ${n}\n`))
    ])
    const gaugeCounts = tally(asGauge)
    const counterCounts = tally(asCounter)
    const winner = (gaugeCounts['200'] ?? 0) > 0 ? 'gauge' : 'counter'
    const [won, lost] = winner === 'gauge' ? [gaugeCounts, counterCounts] : [counterCounts, gaugeCounts]
    t.same(won, { 200: each }, `every push of the first type stored (${winner}) is acknowledged`)
    t.same(lost, { 400: each }, 'every push of the other type is refused')
    const bodies = await Promise.all(replicas.map(storeBody))
    t.equal(bodies[1], bodies[0], 'both replicas scrape the same bytes')
    t.same(await apiGroups(counters), await apiGroups(gauges), 'and list the same groups')
    const body = bodies[0] as string
    t.same([...body.matchAll(/^# TYPE r (\S+)$/gm)].map(match => match[1]), [winner], 'one TYPE line for r, the winner\'s')
    const stored = [...body.matchAll(/^r\{instance="([gc])\d+",job="race"\} /gm)].map(match => match[1])
    t.equal(stored.length, each, 'one series per acknowledged push')
    t.same([...new Set(stored)], [winner === 'gauge' ? 'g' : 'c'], 'all from the winning replica\'s pushes')
  })
}
