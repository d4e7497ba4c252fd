// Side-by-side benchmark: the reference Pushgateway (Debian's prometheus-pushgateway, when
// installed) and ours as the standalone server, the Fastify mount and the Express mount, each in a
// process of its own on loopback, loaded by autocannon (16 connections, bounded in time). Prints a
// table with ratios to the reference and checks the targets of issue 6. Asserts nothing. Then the
// footprint benchmark of issue 18 (bench/footprint.js: memory and CPU per push, against 1.11.0).
//
//   npm run bench                  (builds first)
//   BENCH_SECONDS=10 npm run bench (seconds per throughput measurement, default 5)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONNECTIONS, NODE, NODE_VERSION, SECONDS, agent, body, fill, freePort, memory, scrapeMs, start, stop, throughput } from './harness.js'
import { footprint } from './footprint.js'
import { redisBench } from './redis.js'
import { eventLoopBench } from './event-loop.js'

const REFERENCE = 'prometheus-pushgateway'
const SERIES_PER_GROUP = 10

/** The measurements common to every gateway, up to 1,000 groups. */
async function smallStore (server, row) {
  row.fill10 = await fill(server, 0, 10)
  row.push10 = await throughput(server, 10)
  row.push1000Series = await throughput(server, 10, body(1, 1000))
  await fill(server, 0, 10)
  row.fill1000 = row.fill10 + await fill(server, 10, 1000)
  row.push1000 = await throughput(server, 1000)
}

async function ours (name, command, args, port, prefix) {
  const server = await start(name, command, args, `http://127.0.0.1:${port}${prefix}`)
  const row = { name }
  try {
    await smallStore(server, row)
    row.fill10000 = row.fill1000 + await fill(server, 1000, 10_000)
    row.push10000 = await throughput(server, 10_000)
    row.scrapeMs = await scrapeMs(server)
    row.scrapeAfterPushMs = await scrapeMs(server, 1)
    const { peak } = memory(server.child.pid)
    row.bytesPerSeries = (peak - server.baseline) / (10_000 * SERIES_PER_GROUP)
  } finally {
    await stop(server)
  }
  return row
}

// The reference at 10,000 groups: filling it with the check on takes about 14 minutes here, so
// it is filled to 10,000 with the check off and restarted with the check on from its own snapshot.
async function reference (dir) {
  const file = join(dir, 'reference.data')
  const args = port => [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${file}`, '--persistence.interval=1h']
  const row = { name: 'reference' }
  const off = { name: 'reference, check off' }
  let port = await freePort()
  let server = await start('reference', REFERENCE, args(port), `http://127.0.0.1:${port}`)
  const baseline = server.baseline
  await smallStore(server, row)
  await stop(server)
  port = await freePort()
  server = await start('reference, check off', REFERENCE, [...args(port), '--push.disable-consistency-check'], `http://127.0.0.1:${port}`)
  off.push1000 = await throughput(server, 1000)
  off.fill10000 = row.fill1000 + await fill(server, 1000, 10_000)
  await stop(server)
  port = await freePort()
  server = await start('reference', REFERENCE, args(port), `http://127.0.0.1:${port}`)
  row.push10000 = await throughput(server, 10_000)
  row.scrapeMs = await scrapeMs(server)
  row.scrapeAfterPushMs = await scrapeMs(server, 1)
  row.bytesPerSeries = (memory(server.child.pid).peak - baseline) / (10_000 * SERIES_PER_GROUP)
  await stop(server)
  return { row, off }
}

const hasReference = spawnSync(REFERENCE, ['--version']).status === 0
const dir = mkdtempSync(join(tmpdir(), 'pushgateway-bench-'))
const rows = []
let off
try {
  if (hasReference) {
    const measured = await reference(dir)
    rows.push(measured.row)
    off = measured.off
  } else {
    console.log(`${REFERENCE} is not installed (Debian package prometheus-pushgateway): no ratios.\n`)
  }
  let port = await freePort()
  rows.push(await ours('standalone', NODE, ['dist/standalone/cli.js', `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'], port, ''))
  port = await freePort()
  rows.push(await ours('fastify', NODE, ['bench/server.js', 'fastify', String(port)], port, '/pushgateway'))
  port = await freePort()
  rows.push(await ours('express', NODE, ['bench/server.js', 'express', String(port)], port, '/pushgateway'))
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const ref = hasReference ? rows[0] : undefined
const lines = [
  ['fill 1,000 groups (s)', 'fill1000', 'lower'],
  ['fill 10,000 groups (s)', 'fill10000', 'lower'],
  ['pushes/s at 10 groups', 'push10', 'higher'],
  ['pushes/s at 1,000 groups', 'push1000', 'higher'],
  ['pushes/s at 10,000 groups', 'push10000', 'higher'],
  ['pushes/s, 1,000-series body', 'push1000Series', 'higher'],
  ['scrape 10,000 x 10, median of 20 (ms)', 'scrapeMs', 'lower'],
  ['same, one group pushed before each (ms)', 'scrapeAfterPushMs', 'lower'],
  ['peak RSS per stored series (bytes)', 'bytesPerSeries', 'lower']
]
const format = value => value === undefined ? '–' : value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(value >= 10 ? 1 : 2)
const ratio = (row, key) => ref?.[key] === undefined || row[key] === undefined ? '' : ` (${format(row[key] / ref[key])}x)`
console.log(`Node ${NODE_VERSION}, ${SECONDS} s per throughput measurement, ${CONNECTIONS} connections, loopback; ratios to the reference with its check on.\n`)
console.log(`| | ${rows.map(r => r.name).join(' | ')} |`)
console.log(`|---|${rows.map(() => '---:').join('|')}|`)
for (const [label, key] of lines) console.log(`| ${label} | ${rows.map(r => format(r[key]) + (r === ref ? '' : ratio(r, key))).join(' | ')} |`)
if (off !== undefined) {
  console.log(`\nreference with --push.disable-consistency-check: ${format(off.push1000)} pushes/s at 1,000 groups; filled to 10,000 groups in ${format(off.fill10000)} s (check on up to 1,000)`)
}

if (ref !== undefined && off !== undefined) {
  const [standalone, , express] = rows.slice(1)
  const checks = [
    ['standalone >= 100x the reference at 1,000 groups', standalone.push1000 / ref.push1000 >= 100],
    ['standalone >= 100x the reference at 10,000 groups', standalone.push10000 / ref.push10000 >= 100],
    ['standalone >= the reference with its check off (1,000 groups)', standalone.push1000 >= off.push1000],
    ['Express mount >= 50x the reference at 1,000 and 10,000 groups', express.push1000 / ref.push1000 >= 50 && express.push10000 / ref.push10000 >= 50],
    ['standalone at 10,000 groups >= 90 % of at 10 groups', standalone.push10000 >= 0.9 * standalone.push10],
    ['scrape of 10,000 x 10 <= 0.5x the reference', standalone.scrapeAfterPushMs <= 0.5 * ref.scrapeMs],
    ['memory per stored series <= 0.5x the reference', standalone.bytesPerSeries <= 0.5 * ref.bytesPerSeries]
  ]
  console.log('\nTargets:')
  for (const [what, met] of checks) console.log(`  ${met ? 'met    ' : 'NOT MET'}  ${what}`)
}

try {
  await footprint()
  await redisBench()
  await eventLoopBench()
} finally {
  agent.destroy()
}
