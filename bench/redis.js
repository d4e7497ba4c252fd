// The Redis store (issue 15), side by side with the reference in one run: Pushgateway 1.11.0
// (1.5.1 when Debian 13's build is missing) with its consistency check off, and our standalone
// server on a redis-server started here (appendonly yes, appendfsync everysec), with one and with
// two workers (--web.workers). At 10,000 groups of 10 series: pushes/s (autocannon, 16
// connections, PUTs into existing groups), the median scrape with nothing changed and after 1 %
// of the groups (100) were pushed. Prints a table with ratios to the reference and the target.
// Asserts nothing. Needs redis-server (Debian package redis-server).
//
//   npm run bench:redis            (builds first; also the last part of npm run bench)
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { get } from 'node:http'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONNECTIONS, NODE, NODE_VERSION, SECONDS, agent, cpuSeconds, fill, freePort, loadAverage, scrapeMs, start, stop, throughput, treeCpuSeconds } from './harness.js'

const GROUPS = 10_000
const REFERENCES = [
  ['.cache/debian-trixie/prometheus-pushgateway/usr/bin/prometheus-pushgateway', '1.11.0'],
  ['/usr/bin/prometheus-pushgateway', '1.5.1']
]

async function startRedis (dir) {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', chunk => {
      out += chunk
      if (out.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', () => reject(new Error(`redis-server exited: ${out}`)))
  })
  return { child, url: `redis://127.0.0.1:${port}` }
}

// Ready answers in a row before the load starts: every worker must have connected to Redis (a
// worker that has not answers 503), and the connections spread over the workers.
const READY_IN_A_ROW = 20

// A new connection each time, so that the workers take turns answering.
function readyStatus (url) {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, res => {
      res.resume()
      res.once('end', () => resolve(res.statusCode))
    }).once('error', reject)
  })
}

async function ready (server) {
  const deadline = Date.now() + 20_000
  for (let inARow = 0; inARow < READY_IN_A_ROW;) {
    if (Date.now() > deadline) throw new Error(`${server.name} did not get ready: ${server.stderr()}`)
    inARow = (await readyStatus(`${server.base}/-/ready`)) === 200 ? inARow + 1 : 0
    if (inARow === 0) await new Promise(resolve => setTimeout(resolve, 50))
  }
}

// CPU per push of the gateway (all its processes), of redis-server and of this process (the load
// generator) during the throughput load: the machine's cores divided by their sum bound pushes/s.
async function measure (name, command, args, base, redisPid) {
  const server = await start(name, command, args, base)
  try {
    await ready(server)
    const row = { name }
    row.fill = await fill(server, 0, GROUPS)
    const gatewayBefore = treeCpuSeconds(server.child.pid)
    const redisBefore = redisPid === undefined ? 0 : cpuSeconds(redisPid)
    const loadBefore = process.cpuUsage()
    row.pushes = await throughput(server, GROUPS)
    const perPush = seconds => seconds / (row.pushes * SECONDS) * 1e6
    row.gatewayCpu = perPush(treeCpuSeconds(server.child.pid) - gatewayBefore)
    if (redisPid !== undefined) row.redisCpu = perPush(cpuSeconds(redisPid) - redisBefore)
    const load = process.cpuUsage(loadBefore)
    row.loadCpu = perPush((load.user + load.system) / 1e6)
    row.totalCpu = row.gatewayCpu + (row.redisCpu ?? 0) + row.loadCpu
    row.scrapeMs = await scrapeMs(server)
    row.scrapeChangedMs = await scrapeMs(server, GROUPS / 100)
    return row
  } finally {
    await stop(server)
  }
}

/** Runs the Redis store benchmark and prints its table; skips with a line when redis-server is missing. */
export async function redisBench () {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    console.log('\nredis-server is not installed (Debian package redis-server): no Redis store benchmark.')
    return
  }
  const [binary, version] = REFERENCES.find(([path]) => existsSync(path)) ?? []
  const dir = mkdtempSync(join(tmpdir(), 'pushgateway-bench-redis-'))
  const rows = []
  const loads = [loadAverage()]
  let redis
  try {
    if (binary !== undefined) {
      const port = await freePort()
      rows.push(await measure(`reference ${version}, check off`, binary, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--push.disable-consistency-check'], `http://127.0.0.1:${port}`))
      loads.push(loadAverage())
    }
    for (const workers of [1, 2]) {
      redis = await startRedis(dir)
      const port = await freePort()
      const args = ['dist/standalone/cli.js', `--web.listen-address=127.0.0.1:${port}`, '--log.level=error', `--store.redis-url=${redis.url}`, `--web.workers=${workers}`]
      rows.push(await measure(`Redis store, ${workers} worker${workers > 1 ? 's' : ''}`, NODE, args, `http://127.0.0.1:${port}`, redis.child.pid))
      redis.child.kill('SIGTERM')
      await new Promise(resolve => redis.child.once('exit', resolve))
      redis = undefined
      loads.push(loadAverage())
    }
  } finally {
    redis?.child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  const ref = binary === undefined ? undefined : rows[0]
  const format = value => value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(value >= 10 ? 1 : 2)
  const cell = (row, key) => row[key] === undefined ? '—' : format(row[key]) + (ref?.[key] === undefined || row === ref ? '' : ` (${format(row[key] / ref[key])}x)`)
  console.log(`\nRedis store (issue 15): Node ${NODE_VERSION}, ${GROUPS.toLocaleString('en')} groups x 10 series, ${CONNECTIONS} connections for ${SECONDS} s, loopback, redis-server and the load generator on the same cores (appendfsync everysec). Ratios: ours / reference.\n`)
  console.log(`| | ${rows.map(r => r.name).join(' | ')} |`)
  console.log(`|---|${rows.map(() => '---:').join('|')}|`)
  for (const [label, key] of [['fill 10,000 groups (s)', 'fill'], ['pushes/s at 10,000 groups', 'pushes'], ['scrape, nothing changed, median of 20 (ms)', 'scrapeMs'], ['scrape after 1 % of groups changed, median of 20 (ms)', 'scrapeChangedMs'],
    ['CPU per push during the load: the gateway, all its processes (µs)', 'gatewayCpu'], ['… redis-server (µs)', 'redisCpu'],
    ['… the load generator (µs)', 'loadCpu'], ['… all three (µs)', 'totalCpu']]) {
    console.log(`| ${label} | ${rows.map(row => cell(row, key)).join(' | ')} |`)
  }
  const cores = availableParallelism()
  console.log(`\nThe ${cores} cores bound pushes/s at ${cores} s of CPU / all three: ${rows.map(row => `${row.name} ${format(cores / row.totalCpu * 1e6)}`).join(', ')}.`)
  console.log(`\nLoad average (1, 5, 15 min) before and after each gateway: ${loads.join(' → ')}`)
  if (ref !== undefined) {
    const two = rows[rows.length - 1]
    console.log(`\nTarget of issue 15:\n  ${two.pushes >= ref.pushes ? 'met    ' : 'NOT MET'}  two workers on the Redis store >= the reference's pushes/s with its check off`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await redisBench()
  } finally {
    agent.destroy()
  }
}
