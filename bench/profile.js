// Where memory and CPU per push go in ours, at 10,000 groups x 12 series (issue 18). Asserts nothing.
//
//   npm run bench:profile                   (builds first; BENCH_SECONDS of load over HTTP, default 5)
//
// In process (the core, no HTTP): heap and buffers after full collections, empty, filled, and
// filled and scraped once (the render cache), as bytes per stored series; a heap snapshot of the
// filled gateway against one of the empty gateway, by constructor; V8's CPU profile (the profiler
// behind --cpu-prof) of 20,000 pushes into existing groups. Over HTTP: the standalone server's CPU
// profile during a wrk load, taken by bench/probe.js. Profiles: top functions by self time per
// push, and the share of the garbage collector.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { writeHeapSnapshot } from 'node:v8'
import { Registry } from 'prom-client'
import { Pushgateway } from '../dist/index.js'
import { SERIES, load } from './footprint.js'
import { NODE, NODE_VERSION, agent, ask, body, fill, freePort, send, start, stop } from './harness.js'

const GROUPS = 10_000
const PUSHES = 20_000
const TOP = 12

if (typeof globalThis.gc !== 'function') {
  throw new Error('run with node --expose-gc bench/profile.js (npm run bench:profile does)')
}

function heap () {
  globalThis.gc()
  globalThis.gc()
  const { heapUsed, external } = process.memoryUsage()
  return heapUsed + external
}

const key = i => ({ job: 'bench', labels: { instance: `i${i}` } })

/**
 * Self size and count of a heap snapshot's nodes, by constructor for objects and by kind for the
 * rest. Reads the nodes and the strings of the file only (the edges of a snapshot this large do
 * not fit in one JavaScript string).
 */
function snapshotTotals (file) {
  const bytes = readFileSync(file)
  const nodesAt = bytes.indexOf('"nodes":[')
  const head = bytes.subarray(0, nodesAt).toString()
  const { meta } = JSON.parse(head.slice(head.indexOf('{', 1), head.lastIndexOf('}') + 1))
  const stringsAt = bytes.lastIndexOf('"strings":[')
  const strings = JSON.parse(bytes.subarray(stringsAt + 10, bytes.lastIndexOf(']') + 1).toString())
  const fields = meta.node_fields.length
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map(name => meta.node_fields.indexOf(name))
  const types = meta.node_types[0]
  const totals = new Map()
  const node = []
  let number = 0
  let inNumber = false
  for (let i = nodesAt + 9; bytes[i] !== 0x5d; i++) {
    const c = bytes[i]
    if (c >= 0x30 && c <= 0x39) {
      number = number * 10 + c - 0x30
      inNumber = true
    } else if (inNumber) {
      node.push(number)
      number = 0
      inNumber = false
      if (node.length === fields) {
        const type = types[node[typeAt]]
        const name = type === 'object' || type === 'native' ? strings[node[nameAt]] : `(${type})`
        const total = totals.get(name) ?? { size: 0, count: 0 }
        total.size += node[sizeAt]
        total.count++
        totals.set(name, total)
        node.length = 0
      }
    }
  }
  if (inNumber) node.push(number)
  return totals
}

/** Self time by function and the garbage collector's share, from a V8 CPU profile. */
function summarize (profile, pushes, title) {
  const self = new Map(profile.nodes.map(node => [node.id, 0]))
  profile.samples.forEach((id, i) => self.set(id, self.get(id) + profile.timeDeltas[i]))
  const parents = new Map(profile.nodes.flatMap(node => (node.children ?? []).map(child => [child, node])))
  const place = ({ url, lineNumber }) => `${url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '')}:${lineNumber + 1}`
  const byFunction = new Map()
  let busy = 0
  let gc = 0
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame
    const time = self.get(node.id)
    const caller = parents.get(node.id)?.callFrame
    if (functionName === '(idle)' || functionName === '(root)') continue
    // The profiler's own work when it is stopped (it builds the profile while still sampling).
    if (functionName === 'dispatch' && caller?.url === 'node:inspector') continue
    busy += time
    if (functionName === '(garbage collector)') gc += time
    // A built-in has no place of its own: its caller's tells what it serves.
    const where = url !== '' ? ` ${place({ url, lineNumber })}` : functionName.startsWith('(') || caller === undefined ? '' : ` (built-in, from ${caller.functionName || '(anonymous)'} ${place(caller)})`
    const name = `${functionName || '(anonymous)'}${where}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + time)
  }
  console.log(`\n${title}: ${(busy / pushes).toFixed(1)} µs of busy CPU per push (main thread), garbage collector ${(gc / busy * 100).toFixed(1)} % of it`)
  console.log('| function (self time) | µs per push | share |')
  console.log('|---|---:|---:|')
  for (const [name, time] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`| ${name} | ${(time / pushes).toFixed(1)} | ${(time / busy * 100).toFixed(1)} % |`)
  }
}

async function inProcess (dir) {
  const gateway = new Pushgateway({ registry: new Registry() })
  for (let g = 0; g < 100; g++) await gateway.push(key(g), body(0, SERIES))
  await gateway.metrics()
  await gateway.wipe()
  const empty = heap()
  const emptySnapshot = writeHeapSnapshot(join(dir, 'empty.heapsnapshot'))
  for (let g = 0; g < GROUPS; g++) await gateway.push(key(g), body(0, SERIES))
  const filled = heap()
  await gateway.metrics()
  const scraped = heap()
  const series = GROUPS * SERIES
  console.log(`In process, ${GROUPS.toLocaleString('en')} groups x ${SERIES} series, heap and buffers after full collections:`)
  console.log(`  stored data ${Math.round((filled - empty) / series)} B per series; render cache after one scrape ${Math.round((scraped - filled) / series)} B more; total ${Math.round((scraped - empty) / series)} B (${((scraped - empty) / 1e6).toFixed(1)} MB)`)

  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 100 })
  await session.post('Profiler.start')
  const started = performance.now()
  for (let i = 0; i < PUSHES; i++) await gateway.push(key(i % GROUPS), body(i + 1, SERIES))
  const seconds = (performance.now() - started) / 1000
  const { profile } = await session.post('Profiler.stop')
  session.disconnect()
  console.log(`\nIn process: ${PUSHES.toLocaleString('en')} pushes into existing groups, ${Math.round(PUSHES / seconds).toLocaleString('en')} pushes/s (profiler on)`)
  summarize(profile, PUSHES, 'In-process push profile')

  // Scraped again after the pushes, so that the render cache is whole in the snapshot.
  await gateway.metrics()
  const filledSnapshot = writeHeapSnapshot(join(dir, 'filled.heapsnapshot'))
  const before = snapshotTotals(emptySnapshot)
  const after = snapshotTotals(filledSnapshot)
  const growth = [...after].map(([name, { size, count }]) => [name, size - (before.get(name)?.size ?? 0), count - (before.get(name)?.count ?? 0)])
  console.log('\nHeap snapshot, filled and scraped minus empty, by constructor or kind (self sizes):')
  console.log('| constructor or kind | bytes per series | objects per series |')
  console.log('|---|---:|---:|')
  for (const [name, size, count] of growth.sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`| ${name} | ${(size / series).toFixed(1)} | ${(count / series).toFixed(2)} |`)
  }
}

async function overHttp () {
  const port = await freePort()
  const server = await start('standalone', NODE, [
    '--expose-gc', '--import', './bench/probe.js', 'dist/standalone/cli.js', `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'
  ], `http://127.0.0.1:${port}`, { ipc: true })
  try {
    await fill(server, 0, GROUPS, { series: SERIES })
    await send(`${server.base}/metrics`, 'GET')
    await ask(server, 'cpu-start')
    const { pushes, seconds } = load(server, GROUPS)
    const { profile } = await ask(server, 'cpu-stop')
    console.log(`\nOver HTTP (standalone, wrk -t1 -c16): ${pushes.toLocaleString('en')} pushes in ${seconds.toFixed(1)} s, ${Math.round(pushes / seconds).toLocaleString('en')} pushes/s (profiler on)`)
    summarize(profile, pushes, 'Standalone push profile over HTTP')
  } finally {
    server.child.disconnect()
    await stop(server)
  }
}

const dir = mkdtempSync(join(tmpdir(), 'pushgateway-profile-'))
try {
  console.log(`Node ${NODE_VERSION}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`)
  await inProcess(dir)
  await overHttp()
} finally {
  rmSync(dir, { recursive: true, force: true })
  agent.destroy()
}
