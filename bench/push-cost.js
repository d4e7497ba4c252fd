// Push cost against store size: PUT of a 10-series body into existing groups, with the
// consistency check on, at 10, 1,000 and 10,000 stored groups; then scrape time at 10,000 x 10.
// Run with `npm run bench` (builds first). Prints a table; asserts nothing.
import { performance } from 'node:perf_hooks'
import { Registry } from 'prom-client'
import { Pushgateway } from '../dist/index.js'

const SIZES = [10, 1_000, 10_000]
const PUSHES = 20_000

function body (round) {
  let text = '# HELP bench_items_total Items processed.\n# TYPE bench_items_total counter\n'
  for (let i = 0; i < 8; i++) text += `bench_items_total{kind="k${i}"} ${round + i}\n`
  text += '# TYPE bench_last_success_seconds gauge\nbench_last_success_seconds ' + (1.7e9 + round) + '\n'
  text += '# TYPE bench_duration_seconds gauge\nbench_duration_seconds ' + (round / 7) + '\n'
  return text
}

async function measure (groups) {
  const gateway = new Pushgateway({ registry: new Registry() })
  for (let g = 0; g < groups; g++) await gateway.push({ job: 'bench', labels: { instance: `i${g}` } }, body(0))
  await gateway.metrics()
  const started = performance.now()
  for (let i = 0; i < PUSHES; i++) {
    await gateway.push({ job: 'bench', labels: { instance: `i${i % groups}` } }, body(i))
  }
  const seconds = (performance.now() - started) / 1000
  return { gateway, pushesPerSecond: PUSHES / seconds }
}

async function scrapeMs (gateway, pushFirst) {
  const times = []
  for (let i = 0; i < 20; i++) {
    if (pushFirst) await gateway.push({ job: 'bench', labels: { instance: `i${i}` } }, body(i + 1))
    const started = performance.now()
    await gateway.metrics()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return times[10]
}

const rows = []
let largest
for (const groups of SIZES) {
  const { gateway, pushesPerSecond } = await measure(groups)
  rows.push({ groups, series: groups * 10, pushesPerSecond })
  largest = gateway
}
const base = rows[0].pushesPerSecond
console.log('| stored groups | stored series | pushes/s (core, check on) | vs 10 groups |')
console.log('|---:|---:|---:|---:|')
for (const row of rows) {
  console.log(`| ${row.groups.toLocaleString('en')} | ${row.series.toLocaleString('en')} | ${Math.round(row.pushesPerSecond).toLocaleString('en')} | ${(row.pushesPerSecond / base * 100).toFixed(0)} % |`)
}
console.log()
console.log(`scrape of 10,000 x 10, median of 20, nothing changed: ${(await scrapeMs(largest, false)).toFixed(2)} ms`)
console.log(`scrape of 10,000 x 10, median of 20, one group pushed before each: ${(await scrapeMs(largest, true)).toFixed(2)} ms`)
console.log(`heap used with 10,000 x 10 stored: ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(1)} MiB`)
