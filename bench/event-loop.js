// How long the largest requests the default limits allow hold the event loop (issue 14): a push
// of 100,000 series (limits.seriesPerPush) into a new group, again with new values, and its
// delete; scrapes (text gzipped, as Prometheus asks, OpenMetrics, protobuf) and /api/v1/metrics
// of 300,000 series; aggregate pushes of 100,000 series, and a writer's of 50,000 (what it
// pushed counts toward limits.seriesPerGroup too); and with 100,000 groups of one series each,
// /api/v1/metrics, /api/v1/groups, a scrape and the delete of them all by a selector. In
// process, through gateway.handle(), each operation three times. Prints
// the time each took and the longest turn of the event loop meanwhile (a timer that should fire
// every millisecond, so garbage-collection pauses count too); asserts nothing.
//
//   npm run bench:loop            (builds first; also part of npm run bench)
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadAverage } from './harness.js'

const SERIES = 100_000
const GROUPS = 3
const PROTOBUF = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'

function body (round, series = SERIES) {
  let text = '# TYPE big counter\n'
  for (let i = 0; i < series; i++) text += `big{i="${i}",k="v${i % 7}"} ${i + round}\n`
  return Buffer.from(text)
}

// Runs `operation` while a 1 ms timer notes the longest gap between its calls.
async function measure (operation) {
  let last = performance.now()
  let longest = 0
  const timer = setInterval(() => {
    const now = performance.now()
    longest = Math.max(longest, now - last)
    last = now
  }, 1)
  const started = performance.now()
  const answer = await operation()
  const took = performance.now() - started
  // The turn that ends with the operation is noted by the timer's next call.
  await sleep(20)
  clearInterval(timer)
  if (answer.status >= 300) throw new Error(`answered ${answer.status}: ${answer.body}`)
  return { took, longest }
}

/** Runs the event-loop benchmark and prints its table. */
export async function eventLoopBench () {
  const { Pushgateway } = await import('../dist/index.js')
  const gateway = new Pushgateway({ adminApi: true })
  const rows = new Map()
  const note = (label, { took, longest }) => {
    const row = rows.get(label) ?? { took: [], longest: [] }
    row.took.push(took)
    row.longest.push(longest)
    rows.set(label, row)
  }
  const get = (url, headers = {}) => () => gateway.handle({ method: 'GET', url, headers })
  const load = [loadAverage()]
  // The bodies are made before each measurement: only the gateway's work counts.
  const [first, second] = [body(0), body(1)]
  for (let group = 0; group < GROUPS; group++) {
    const url = `/metrics/job/big/instance/${group}`
    note(`PUT ${SERIES.toLocaleString('en')} series into a new group`, await measure(() => gateway.handle({ method: 'PUT', url, headers: {}, body: first })))
    note('PUT them again with new values', await measure(() => gateway.handle({ method: 'PUT', url, headers: {}, body: second })))
  }
  const total = (GROUPS * SERIES).toLocaleString('en')
  for (let round = 0; round < 3; round++) {
    // A changed value makes each scrape render afresh the group it changed.
    await gateway.handle({ method: 'PUT', url: '/metrics/job/big/instance/0', headers: {}, body: body(round + 2) })
    note(`GET /metrics, text, gzip, ${total} series`, await measure(get('/metrics', { 'accept-encoding': 'gzip' })))
    note(`GET /metrics, OpenMetrics, ${total} series`, await measure(get('/metrics', { accept: 'application/openmetrics-text;version=1.0.0' })))
    note(`GET /metrics, protobuf, ${total} series`, await measure(get('/metrics', { accept: PROTOBUF })))
    note(`GET /api/v1/metrics, ${total} series`, await measure(get('/api/v1/metrics')))
  }
  for (let group = 0; group < GROUPS; group++) {
    note(`DELETE a group of ${SERIES.toLocaleString('en')} series`, await measure(() => gateway.handle({ method: 'DELETE', url: `/metrics/job/big/instance/${group}`, headers: {} })))
  }
  const writer = [body(0, SERIES / 2), body(1, SERIES / 2)]
  for (let group = 0; group < GROUPS; group++) {
    const url = `/aggregate/job/sum/instance/${group}`
    note(`POST ${SERIES.toLocaleString('en')} series to /aggregate, a new group`, await measure(() => gateway.handle({ method: 'POST', url, headers: {}, body: first })))
    note('POST them again, added to the stored ones', await measure(() => gateway.handle({ method: 'POST', url, headers: {}, body: second })))
    const headers = { 'pushgateway-writer': 'w' }
    const writerUrl = `/aggregate/job/writer/instance/${group}`
    note(`a writer's cumulative POST of ${(SERIES / 2).toLocaleString('en')} series, then its next`, await measure(async () => {
      await gateway.handle({ method: 'POST', url: writerUrl, headers, body: writer[0] })
      return await gateway.handle({ method: 'POST', url: writerUrl, headers, body: writer[1] })
    }))
  }
  await gateway.handle({ method: 'PUT', url: '/api/v1/admin/wipe', headers: {} })
  const small = Buffer.from('# TYPE one gauge\none 1\n')
  for (let group = 0; group < SERIES; group++) await gateway.handle({ method: 'PUT', url: `/metrics/job/many/instance/${group}`, headers: {}, body: small })
  const groups = SERIES.toLocaleString('en')
  for (let round = 0; round < 3; round++) {
    await gateway.handle({ method: 'PUT', url: `/metrics/job/many/instance/${round}`, headers: {}, body: Buffer.from(`one ${round + 2}\n`) })
    note(`GET /metrics, text, gzip, ${groups} groups of one series`, await measure(get('/metrics', { 'accept-encoding': 'gzip' })))
    note(`GET /api/v1/metrics, ${groups} groups`, await measure(get('/api/v1/metrics')))
    note(`GET /api/v1/groups, ${groups} groups`, await measure(get('/api/v1/groups')))
  }
  const selector = encodeURIComponent('{job="many"}')
  note(`DELETE ${groups} groups by a selector`, await measure(() => gateway.handle({ method: 'DELETE', url: `/api/v1/metrics?match[]=${selector}`, headers: {} })))
  load.push(loadAverage())
  await gateway.close()
  const range = values => {
    const low = Math.round(Math.min(...values))
    const high = Math.round(Math.max(...values))
    return low === high ? String(low) : `${low}–${high}`
  }
  console.log(`\nThe event loop under the largest requests the default limits allow (issue 14): Node ${process.version}, in process, ${GROUPS} runs each. Load average ${load.join(' → ')}.\n`)
  console.log('| operation | took (ms) | longest turn of the event loop (ms) |')
  console.log('|---|---:|---:|')
  for (const [label, { took, longest }] of rows) console.log(`| ${label} | ${range(took)} | ${range(longest)} |`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await eventLoopBench()
