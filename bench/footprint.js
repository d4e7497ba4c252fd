// Footprint benchmark (issue 18): memory and CPU per push, side by side in one run, of the
// reference Pushgateway 1.11.0 with its consistency check off and ours with the check on, as the
// standalone server, the Fastify mount and the Express mount, each in a process of its own on
// loopback. Prints ratios to the reference and the issue's targets met or not; asserts nothing.
//
//   npm run bench:footprint                  (builds first; npm run bench runs it too)
//   BENCH_SECONDS=10 npm run bench:footprint (seconds of wrk load per gateway, default 5)
//   BENCH_LARGE=1 npm run bench:footprint    (also 100,000 groups x 12 series: about 10 minutes more)
//   BENCH_NODE=.cache/node/24/bin/node npm run bench:footprint (ours in another Node.js, as every
//                                            benchmark takes it; scripts/node-peers.sh unpacks 22 and 24)
//
// For each gateway: a warm-up (100 groups pushed and scraped 30 times, then wiped); RSS (VmRSS)
// empty; every group filled with one PUT; one scrape, as a Prometheus would; wrk PUTs of 12-series
// bodies to the groups in turn for BENCH_SECONDS (the load); RSS growth after fill and load; two
// loads more; server CPU (utime + stime of all its threads) per push served, the median over the
// three loads; the same for three loads in which every push is parsed in full (see
// bench/rotate-groups.lua); the duration of GET /metrics, and the server's CPU for it, after
// every group changed and after 1 % changed; then a wipe. Ours run with --expose-gc and
// bench/probe.js, which reports heap and buffers after full collections: empty (after the
// warm-up), stored, and after the wipe. The reference's heap cannot be read from outside after a
// collection, so for it the wipe row compares RSS. Then, for each of
// ours, its framework alone (bench/server.js bare-http, bare-fastify, bare-express: a handler that
// reads the body) under the same warm-up and loads, without the fill: its CPU per request, what is
// left of ours once it is taken away, and its RSS growth; where it costs more than the reference's
// whole push, the benchmark says so. Then once more, holding from its start as much live heap as
// ours stores (bench/ballast.js): its RSS growth under one load is its own garbage collected in a
// heap that size; where its peak alone is over half the reference's growth, the benchmark says so.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { NODE, NODE_VERSION, agent, ask, cpuSeconds, fill, freePort, loadAverage, memory, preciseCpuSeconds, send, start, stop } from './harness.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
export const SERIES = 12
const WARM_ROUNDS = 30
const LOADS = 3
const WRK = '/usr/bin/wrk'
const REFERENCES = [
  ['.cache/debian-trixie/prometheus-pushgateway/usr/bin/prometheus-pushgateway', '1.11.0'],
  ['/usr/bin/prometheus-pushgateway', '1.5.1']
]

/** The gateways measured, the reference first when one is installed; `args` and `base` take the port. */
function targets (groups) {
  const [binary, version] = REFERENCES.find(([path]) => existsSync(path)) ?? []
  // 1.2 million series take more than Node's default old-space limit on some machines.
  const node = ['--expose-gc', '--import', './bench/probe.js', ...(groups > 10_000 ? ['--max-old-space-size=8192'] : [])]
  const listen = port => `--web.listen-address=127.0.0.1:${port}`
  const origin = port => `http://127.0.0.1:${port}`
  const mount = kind => ({
    name: kind,
    command: NODE,
    args: port => [...node, 'bench/server.js', kind, String(port)],
    base: port => `${origin(port)}/pushgateway`
  })
  // What the framework costs by itself under the same load: a handler that reads the body.
  const alone = (target, kind) => ({ ...target, alone: { ...mount(`bare-${kind}`), name: `${kind} alone`, args: port => ['bench/server.js', `bare-${kind}`, String(port)] } })
  const reference = {
    name: `reference ${version}`,
    reference: true,
    command: binary,
    args: port => [listen(port), '--persistence.file=', '--push.disable-consistency-check', '--web.enable-admin-api'],
    base: origin
  }
  const standalone = {
    name: 'standalone',
    command: NODE,
    args: port => [...node, 'dist/standalone/cli.js', listen(port), '--log.level=error', '--web.enable-admin-api', '--limits.groups=0', '--limits.series=0'],
    base: origin
  }
  return [...(binary === undefined ? [] : [reference]), alone(standalone, 'http'), alone(mount('fastify'), 'fastify'), alone(mount('express'), 'express')]
}

/** Heap used plus memory outside the heap (buffers), in bytes, after full collections (ours only). */
async function heap (server) {
  const { heapUsed, external } = await ask(server, 'heap')
  return heapUsed + external
}

/**
 * One GET /metrics: its duration in ms until the last byte of the answer reached the benchmark,
 * and the server's CPU time (user + system, all threads) in ms meanwhile.
 */
async function scrape (server) {
  const cpuBefore = preciseCpuSeconds(server.child.pid)
  const started = performance.now()
  const answer = await send(`${server.base}/metrics`, 'GET')
  const ms = performance.now() - started
  if (answer.status !== 200) throw new Error(`${server.name}: scrape answered ${answer.status}`)
  return { ms, cpuMs: (preciseCpuSeconds(server.child.pid) - cpuBefore) * 1000 }
}

const median = values => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]

/**
 * wrk PUTs to the groups in turn for SECONDS: pushes served and seconds taken. With `full`, no
 * push repeats its group's last body but for the values (see `bench/rotate-groups.lua`).
 */
export function load (server, groups, full = false) {
  const url = new URL(server.base)
  const run = spawnSync(WRK, [
    '-t1', '-c16', `-d${SECONDS}s`, '--timeout', '10s', '-s', 'bench/rotate-groups.lua', url.origin,
    '--', url.pathname === '/' ? '' : url.pathname, String(groups), String(SERIES), ...(full ? ['full'] : [])
  ], { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 })
  const line = /BENCH requests=(\d+) failed=(\d+) microseconds=(\d+)/.exec(run.stdout)
  if (line === null) throw new Error(`${server.name}: wrk failed: ${run.stderr}${run.stdout}`)
  const [requests, failed, microseconds] = line.slice(1).map(Number)
  if (failed > 0) console.error(`  ${server.name}: ${failed} of ${requests} pushes failed`)
  return { pushes: requests - failed, seconds: microseconds / 1e6 }
}

async function wipe (server) {
  const answer = await send(`${server.base}/api/v1/admin/wipe`, 'PUT')
  if (answer.status >= 300) throw new Error(`${server.name}: wipe answered ${answer.status}: ${answer.body}`)
  // The reference applies a wipe asynchronously: wait until it shows, with a deadline.
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (!(await send(`${server.base}/metrics`, 'GET')).body.includes('bench_items_total')) return
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`${server.name}: groups still there 30 s after the wipe`)
}

/** One load (see `load`): the server's CPU per push served, and pushes per second. */
function measuredLoad (server, groups, full = false) {
  const cpuBefore = cpuSeconds(server.child.pid)
  const { pushes, seconds } = load(server, groups, full)
  return { cpuPerPushUs: (cpuSeconds(server.child.pid) - cpuBefore) / pushes * 1e6, pushesPerSecond: pushes / seconds }
}

async function measure (target, groups) {
  const port = await freePort()
  const server = await start(target.name, target.command, target.args(port), target.base(port), { ipc: !target.reference })
  const row = { name: target.name, reference: target.reference === true }
  const step = what => process.stderr.write(`  ${target.name}, ${groups.toLocaleString('en')} groups: ${what}\n`)
  try {
    const pid = server.child.pid
    // Empty, but warm: 100 groups pushed WARM_ROUNDS times and scraped after each round, then
    // wiped, so that code compiled on the first requests does not count as memory held by groups.
    // With one round, the standalone server's heap after the wipe held 1.1 to 1.4 MB more than
    // this: code V8 optimized later (a heap snapshot diff: 480 KB of code, 339 KB of deoptimization
    // data, 147 KB of relocation information), nothing of the groups.
    for (let round = 0; round < WARM_ROUNDS; round++) {
      await fill(server, 0, 100, { round, series: SERIES })
      await scrape(server)
    }
    await wipe(server)
    if (!row.reference) row.heapEmpty = await heap(server)
    const empty = memory(pid).rss
    step('fill')
    row.fillSeconds = await fill(server, 0, groups, { series: SERIES })
    await scrape(server)
    step('load')
    const loads = [measuredLoad(server, groups)]
    row.rssGrowth = memory(pid).rss - empty
    if (!row.reference) row.heapPerSeries = (await heap(server) - row.heapEmpty) / (groups * SERIES)
    // CPU per push moves from load to load with what else runs on the cores: the median of LOADS.
    for (let i = 1; i < LOADS; i++) loads.push(measuredLoad(server, groups))
    row.cpuPerPushUs = median(loads.map(one => one.cpuPerPushUs))
    row.pushesPerSecond = median(loads.map(one => one.pushesPerSecond))
    const fullLoads = []
    for (let i = 0; i < LOADS; i++) fullLoads.push(measuredLoad(server, groups, true))
    row.cpuPerFullPushUs = median(fullLoads.map(one => one.cpuPerPushUs))

    step('scrapes')
    const rounds = groups > 10_000 ? 1 : 3
    const all = []
    for (let round = 1; round <= rounds; round++) {
      await fill(server, 0, groups, { round: 100 + round, series: SERIES })
      all.push(await scrape(server))
    }
    row.scrapeAllMs = median(all.map(one => one.ms))
    row.scrapeAllCpuMs = median(all.map(one => one.cpuMs))
    const some = []
    const changed = groups / 100
    for (let round = 0; round < 5; round++) {
      await fill(server, round * changed, (round + 1) * changed, { round: 200 + round, series: SERIES })
      some.push(await scrape(server))
    }
    row.scrapeSomeMs = median(some.map(one => one.ms))
    row.scrapeSomeCpuMs = median(some.map(one => one.cpuMs))

    step('wipe')
    await wipe(server)
    const end = memory(pid)
    row.rssAfterWipe = end.rss - empty
    row.peakGrowth = end.peak - empty
    row.wipeRatio = row.reference ? memory(pid).rss / empty : await heap(server) / row.heapEmpty
    if (target.alone !== undefined) {
      step(`${target.alone.name}`)
      Object.assign(row, await measureAlone(target.alone, groups, row.heapPerSeries * groups * SERIES))
    }
  } catch (error) {
    error.message += `\n${target.name}'s exit: ${server.child.exitCode ?? server.child.signalCode ?? 'still running'}, stderr: ${server.stderr()}`
    throw error
  } finally {
    if (server.child.connected) server.child.disconnect()
    await stop(server)
  }
  return row
}

const MB = 1e6
const format = value => value === undefined || Number.isNaN(value)
  ? '–'
  : Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(Math.abs(value) >= 10 ? 1 : 2)

/** Prints the issue's table for one store size and returns the targets checked. */
function report (groups, rows) {
  const ref = rows.find(row => row.reference)
  const ours = rows.filter(row => !row.reference)
  const lines = [
    ['RSS growth after fill and load (MB)', row => row.rssGrowth / MB],
    [`server CPU per push, user+sys / pushes, median of ${LOADS} loads (µs)`, row => row.cpuPerPushUs],
    [`pushes/s (wrk, 16 connections), median of ${LOADS} loads`, row => row.pushesPerSecond],
    [`server CPU per push when no push repeats its group's last body but for the values (HELP alternating), median of ${LOADS} loads (µs)`, row => row.cpuPerFullPushUs],
    [`scrape after every group changed, median of ${groups > 10_000 ? 1 : 3} (ms)`, row => row.scrapeAllMs],
    ['scrape after 1 % changed, median of 5 (ms)', row => row.scrapeSomeMs],
    [`server CPU per scrape after every group changed, median of ${groups > 10_000 ? 1 : 3} (ms)`, row => row.scrapeAllCpuMs],
    ['server CPU per scrape after 1 % changed, median of 5 (ms)', row => row.scrapeSomeCpuMs],
    // Not comparable: ours is the heap after collections, the reference's its RSS.
    ['after a wipe vs empty: heap (ours), RSS (reference)', row => row.wipeRatio, 'no ratio'],
    ['RSS over empty after the scrapes and the wipe (MB)', row => row.rssAfterWipe / MB],
    ['peak RSS over empty, whole run (MB)', row => row.peakGrowth / MB],
    ['heap + buffers per stored series (bytes)', row => row.heapPerSeries],
    [`fill ${groups.toLocaleString('en')} groups, 16 connections (s)`, row => row.fillSeconds],
    // The reference has no framework to take away: these compare with its whole push.
    [`the framework alone (node:http, Fastify, Express: a handler that reads the body), CPU per request, median of ${LOADS} loads (µs)`, row => row.aloneCpuPerPushUs, row => row.cpuPerPushUs],
    ['the gateway\'s share: CPU per push minus the framework\'s alone (µs)', row => row.cpuPerPushUs - row.aloneCpuPerPushUs, row => row.cpuPerPushUs],
    ['the framework alone: RSS growth after the warm-up and one load (MB)', row => row.aloneRssGrowth / MB, row => row.rssGrowth / MB],
    ['the framework alone holding as much live heap as the gateway stores (ballast, MB)', row => row.ballastBytes / MB, 'no ratio'],
    ['the framework alone with that ballast: RSS growth after the warm-up and one load, ballast not counted (MB)', row => row.ballastedRssGrowth / MB, row => row.rssGrowth / MB],
    ['the framework alone with that ballast: peak RSS growth (MB)', row => row.ballastedPeakGrowth / MB, row => row.peakGrowth / MB]
  ]
  const head = rows.map(row => row.reference ? row.name : `${row.name} | ratio`)
  console.log(`\n| ${groups.toLocaleString('en')} groups x ${SERIES} series | ${head.join(' | ')} |`)
  console.log(`|---|${head.map(name => name.includes('|') ? '---:|---:' : '---:').join('|')}|`)
  // A line's third element is 'no ratio', or what the reference's cell shows and the ratios divide by.
  for (const [label, value, reference = value] of lines) {
    const cells = rows.map(row => {
      if (row.reference) return typeof reference === 'function' && reference !== value ? '–' : format(value(row))
      const ratio = ref === undefined || typeof reference !== 'function' ? undefined : value(row) / reference(ref)
      return `${format(value(row))} | ${ratio === undefined || !Number.isFinite(ratio) ? '' : `${format(ratio)}x`}`
    })
    console.log(`| ${label} | ${cells.join(' | ')} |`)
  }
  const checks = []
  const size = `${groups.toLocaleString('en')} x ${SERIES}`
  for (const row of ours) {
    const check = (what, met) => checks.push([`${row.name}: ${what}`, met])
    check(`heap after a wipe within 10 % of the empty gateway's (${size})`, row.wipeRatio <= 1.1)
    if (ref === undefined) continue
    check(`RSS growth <= 0.5x the reference's (${size})`, row.rssGrowth <= 0.5 * ref.rssGrowth)
    // The ballast is in the baseline: what grows is the framework's garbage alone, not yet the store.
    // Its peak: where RSS stands at one moment depends on how long ago the heap was last collected.
    if (row.ballastedPeakGrowth > 0.5 * ref.rssGrowth) console.log(`\n${row.name}: the framework alone, with a live heap as large as the gateway's store, peaks at ${format(row.ballastedPeakGrowth / ref.rssGrowth)}x the reference's RSS growth (${size}) before anything is stored; a gateway keeping its store in the heap cannot be sure to meet its RSS target.`)
    if (groups > 10_000) continue
    check('CPU per push <= 1.0x the reference\'s with its check off', row.cpuPerPushUs <= ref.cpuPerPushUs)
    // Where the framework alone costs more than the reference's whole push, no mount in it can meet that target.
    if (row.aloneCpuPerPushUs > ref.cpuPerPushUs) console.log(`\n${row.name}: the framework alone costs ${format(row.aloneCpuPerPushUs / ref.cpuPerPushUs)}x the reference's whole push (CPU per request); its CPU target cannot be met by the gateway.`)
    check('scrapes <= 0.5x the reference\'s, after every group and after 1 % changed', row.scrapeAllMs <= 0.5 * ref.scrapeAllMs && row.scrapeSomeMs <= 0.5 * ref.scrapeSomeMs)
    // The server's CPU, not the duration: that also holds the benchmark's own receiving of the
    // whole exposition (some 9 MB, the same for every gateway), which follows nothing that changed.
    check('server CPU per scrape after 1 % changed <= 0.5x ours after every group changed (cost follows what changed)', row.scrapeSomeCpuMs <= 0.5 * row.scrapeAllCpuMs)
  }
  return checks
}

/**
 * The framework alone (see bench/server.js) under the same warm-up and load as a gateway, without
 * the fill: its RSS growth after the first load, and its CPU per request, the median of LOADS.
 */
async function measureAlone (target, groups, ballastBytes) {
  const alone = await aloneUnderLoad(target, groups, LOADS)
  // The same with a live heap as large as what the gateway stores: the garbage of each request is
  // then collected in a heap that size, as it is beside a store.
  const ballasted = await aloneUnderLoad(target, groups, 1, ballastBytes)
  return { aloneRssGrowth: alone.rssGrowth, aloneCpuPerPushUs: alone.cpuPerPushUs, ballastBytes, ballastedRssGrowth: ballasted.rssGrowth, ballastedPeakGrowth: ballasted.peakGrowth }
}

/**
 * One start of the framework alone: warm-up, then `loads` loads; RSS growth after the first and
 * peak RSS growth, and the median CPU per request. With `ballastBytes`, bench/ballast.js keeps that
 * much live in its heap from the start (before what the growth is measured from).
 */
async function aloneUnderLoad (target, groups, loads, ballastBytes = 0) {
  const port = await freePort()
  const args = ballastBytes === 0 ? target.args(port) : ['--import', './bench/ballast.js', ...target.args(port)]
  const server = await start(target.name, target.command, args, target.base(port), { env: { BENCH_BALLAST_BYTES: String(ballastBytes) } })
  try {
    for (let round = 0; round < WARM_ROUNDS; round++) await fill(server, 0, 100, { round, series: SERIES })
    const empty = memory(server.child.pid).rss
    const measured = [measuredLoad(server, groups)]
    const after = memory(server.child.pid)
    for (let i = 1; i < loads; i++) measured.push(measuredLoad(server, groups))
    return { rssGrowth: after.rss - empty, peakGrowth: after.peak - empty, cpuPerPushUs: median(measured.map(one => one.cpuPerPushUs)) }
  } finally {
    await stop(server)
  }
}

/** Measures each gateway at 10,000 groups (and 100,000 with BENCH_LARGE=1); prints tables and targets. */
export async function footprint () {
  const sizes = process.env.BENCH_LARGE === '1' ? [10_000, 100_000] : [10_000]
  const started = performance.now()
  console.log(`\nFootprint (issue 18): Node ${NODE_VERSION}, ${SERIES}-series PUTs into existing groups, wrk -t1 -c16 for ${SECONDS} s per gateway, loopback, load generator on the same cores. Ours with the consistency check on; the reference with it off, --persistence.file= empty. Ratios: ours / reference.`)
  if (!existsSync(REFERENCES[0][0])) console.log(`${REFERENCES[0][0]} is missing (scripts/debian-trixie-peers.sh fetches it): the reference is ${existsSync(REFERENCES[1][0]) ? 'Pushgateway 1.5.1' : 'not installed, no ratios'}.`)
  const checks = []
  for (const groups of sizes) {
    const sizeStarted = performance.now()
    const rows = []
    const loads = [loadAverage()]
    for (const target of targets(groups)) {
      rows.push(await measure(target, groups))
      loads.push(loadAverage())
    }
    checks.push(...report(groups, rows))
    console.log(`\nLoad average (1, 5, 15 min) before and after each gateway: ${loads.join(' → ')}; ${groups.toLocaleString('en')} groups measured in ${Math.round((performance.now() - sizeStarted) / 1000)} s.`)
  }
  console.log('\nTargets of issue 18:')
  for (const [what, met] of checks) console.log(`  ${met ? 'met    ' : 'NOT MET'}  ${what}`)
  console.log(`\nFootprint measured in ${Math.round((performance.now() - started) / 1000)} s.`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await footprint()
  } finally {
    agent.destroy()
  }
}
