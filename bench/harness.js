// What the benchmarks share: free ports, requests on a keep-alive agent, server processes started
// and stopped, their memory and CPU read from /proc (Linux), and the push bodies.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, readdirSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { createServer } from 'node:net'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'

export const CONNECTIONS = 16
/** Seconds per throughput measurement (`BENCH_SECONDS`, default 5). */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
export const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
/** The Node.js that runs our gateways (`BENCH_NODE`, default the one running the benchmark). */
export const NODE = process.env.BENCH_NODE ?? process.execPath
/** That Node.js's version, as `node --version` prints it, and `NODE_OPTIONS` when they are set (ours inherit them). */
export const NODE_VERSION = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim() +
  (process.env.NODE_OPTIONS ? ` (NODE_OPTIONS=${process.env.NODE_OPTIONS})` : '')

/** The push body: `series` series (`series - 2` counters and two gauges), values changing with `round`. */
export function body (round, series = 10) {
  let text = '# HELP bench_items_total Items processed.\n# TYPE bench_items_total counter\n'
  for (let i = 0; i < series - 2; i++) text += `bench_items_total{kind="k${i}"} ${round + i}\n`
  text += `# TYPE bench_last_success_seconds gauge\nbench_last_success_seconds ${1.7e9 + round}\n`
  text += `# TYPE bench_duration_seconds gauge\nbench_duration_seconds ${round / 7}\n`
  return text
}

export async function freePort () {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    }).on('error', reject)
  })
}

export function send (url, method, payload) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent }, res => {
      const chunks = []
      res.on('data', chunk => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', error => {
      // A kept-alive socket the server closed as idle just as it was reused: every request here is
      // idempotent (GET, PUT, DELETE), so it is sent once more on a new socket.
      if (req.reusedSocket && error.code === 'ECONNRESET') send(url, method, payload).then(resolve, reject)
      else reject(error)
    })
    req.end(payload)
  })
}

/**
 * Starts a server process and waits until its health check answers. With `ipc` the child gets an
 * IPC channel (for bench/probe.js); `env` is added to its environment.
 */
export async function start (name, command, args, base, { ipc = false, env = {} } = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe', ...(ipc ? ['ipc'] : [])], env: { ...process.env, ...env } })
  let stderr = ''
  child.stderr.on('data', chunk => { stderr += chunk })
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${stderr}`)
    try {
      if ((await send(`${base}/-/healthy`, 'GET')).status === 200) return { name, child, base, baseline: memory(child.pid).rss, stderr: () => stderr }
    } catch {}
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  child.kill('SIGKILL')
  throw new Error(`${name} did not start: ${stderr}`)
}

/** Asks bench/probe.js in a server started with `ipc` (see there) and resolves with its answer. */
export async function ask (server, message) {
  const answer = once(server.child, 'message')
  server.child.send(message)
  return (await answer)[0]
}

export async function stop (server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return
  const exited = new Promise(resolve => server.child.once('exit', resolve))
  server.child.kill('SIGTERM')
  await exited
}

/** Current and peak resident memory of a process, in bytes (Linux /proc). */
export function memory (pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = name => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { rss: kb('VmRSS'), peak: kb('VmHWM') }
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/** CPU time of a process and all its threads so far, user + system, in seconds (Linux /proc). */
export function cpuSeconds (pid) {
  return statCpuSeconds(statFields(readFileSync(`/proc/${pid}/stat`, 'utf8')))
}

// The fields of /proc/<pid>/stat after the command name (field 2), which may hold spaces.
const statFields = stat => stat.slice(stat.lastIndexOf(')') + 2).split(' ')
// utime and stime are fields 14 and 15.
const statCpuSeconds = fields => (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS

/**
 * CPU time of a process's threads so far, in seconds, to the nanosecond (Linux /proc schedstat):
 * for phases as short as one scrape, which utime and stime count in ticks of 10 ms.
 */
export function preciseCpuSeconds (pid) {
  let nanoseconds = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      continue // the thread exited meanwhile
    }
  }
  return nanoseconds / 1e9
}

/** CPU time of a process and of its children (the workers of a cluster) so far, in seconds (Linux /proc). */
export function treeCpuSeconds (pid) {
  let total = cpuSeconds(pid)
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let fields
    try {
      fields = statFields(readFileSync(`/proc/${entry}/stat`, 'utf8'))
    } catch {
      continue // it exited meanwhile
    }
    // The parent's id is field 4.
    if (Number(fields[1]) === pid) total += statCpuSeconds(fields)
  }
  return total
}

/** The 1, 5 and 15-minute load averages of the machine. */
export function loadAverage () {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
}

export const groupPath = (server, i) => `${server.base}/metrics/job/bench/instance/i${i}`

/** PUTs the body of `round` to groups [from, to), 16 at a time; seconds taken. */
export async function fill (server, from, to, { round = 0, series = 10 } = {}) {
  const started = performance.now()
  const payload = body(round, series)
  let next = from
  const worker = async () => {
    while (next < to) {
      const i = next++
      const answer = await send(groupPath(server, i), 'PUT', payload)
      if (answer.status >= 300) throw new Error(`${server.name}: fill push answered ${answer.status}: ${answer.body}`)
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, worker))
  return (performance.now() - started) / 1000
}

/** Pushes per second: PUTs of `payload` to groups 0 … groups-1 in turn, for SECONDS. */
export async function throughput (server, groups, payload = body(1)) {
  const url = new URL(server.base)
  let next = 0
  const result = await autocannon({
    url: server.base,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [{
      method: 'PUT',
      body: payload,
      setupRequest: req => ({ ...req, path: `${url.pathname === '/' ? '' : url.pathname}/metrics/job/bench/instance/i${next++ % groups}` })
    }]
  })
  const failed = result.non2xx + result.errors + result.timeouts
  if (failed > 0) console.error(`  ${server.name}: ${failed} of ${result.requests.total} pushes failed`)
  return result.requests.total / SECONDS
}

/** Median of 20 scrapes of /metrics, in ms; before each, `changed` groups (default none) are pushed new values. */
export async function scrapeMs (server, changed = 0) {
  const times = []
  for (let i = 0; i < 20; i++) {
    await Promise.all(Array.from({ length: changed }, (_, j) => send(groupPath(server, i * changed + j), 'PUT', body(i + 2))))
    const started = performance.now()
    const answer = await send(`${server.base}/metrics`, 'GET')
    times.push(performance.now() - started)
    if (answer.status !== 200) throw new Error(`${server.name}: scrape answered ${answer.status}`)
  }
  return times.sort((a, b) => a - b)[10]
}
