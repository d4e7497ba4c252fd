// `promtool check metrics` (Prometheus' own linter, with its own text parser) on our exposition
// after a varied set of pushes, on every front end and on an Express service's merged /metrics.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import express from 'express'
import { Counter, Registry, collectDefaultMetrics } from 'prom-client'
import { pushgateway } from '../../src/express.js'
import { parseMetrics } from '../../src/exposition/parse.js'
import { encodeDelimited, PROTOBUF_CONTENT_TYPE } from '../../src/exposition/protobuf.js'
import { FRONT_ENDS, startFrontEnd } from '../helpers/front-ends.js'
import { sendText, type Sent } from '../helpers/http.js'
import { PROMTOOL, requirePeers } from '../helpers/peers.js'

const COUNTER = [
  '# HELP batch_items_processed_total Items processed.\\nCounted once per item, path separator \\\\.',
  '# TYPE batch_items_processed_total counter',
  'batch_items_processed_total{queue="say \\"hi\\"",path="C:\\\\temp\\\\in",note="line one\\nline two",city="Zürich ☃ 東京"} 42',
  'batch_items_processed_total{queue="plain",path="",note="",city=""} 1e+21',
  ''
].join('\n')

const GAUGES = [
  '# HELP batch_queue_depth_items Items waiting in the queue.',
  '# TYPE batch_queue_depth_items gauge',
  'batch_queue_depth_items{queue="a"} -3.5',
  'batch_queue_depth_items{queue="b"} 1.5e-07',
  'batch_queue_depth_items{queue="c"} +Inf',
  'batch_queue_depth_items{queue="d"} NaN',
  '# HELP batch_last_success_timestamp_seconds When the batch last succeeded.',
  '# TYPE batch_last_success_timestamp_seconds gauge',
  'batch_last_success_timestamp_seconds 1.7e+09',
  '# HELP batch_temperature_celsius Temperature of the machine room, type unknown.',
  'batch_temperature_celsius{room="a \\"b\\" \\\\ c"} 21.5',
  ''
].join('\n')

const HISTOGRAM = [
  '# HELP batch_duration_seconds How long a batch took.',
  '# TYPE batch_duration_seconds histogram',
  'batch_duration_seconds_bucket{stage="load",le="0.1"} 1',
  'batch_duration_seconds_bucket{stage="load",le="0.5"} 2',
  'batch_duration_seconds_bucket{stage="load",le="1"} 3',
  'batch_duration_seconds_bucket{stage="load",le="5"} 5',
  'batch_duration_seconds_bucket{stage="load",le="10"} 5',
  'batch_duration_seconds_bucket{stage="load",le="+Inf"} 6',
  'batch_duration_seconds_sum{stage="load"} 17.25',
  'batch_duration_seconds_count{stage="load"} 6',
  ''
].join('\n')

const SUMMARY = [
  '# HELP batch_request_size_bytes Size of the requests the batch made.',
  '# TYPE batch_request_size_bytes summary',
  'batch_request_size_bytes{quantile="0.5"} 120',
  'batch_request_size_bytes{quantile="0.9"} 480',
  'batch_request_size_bytes{quantile="0.99"} 1000',
  'batch_request_size_bytes_sum 9000',
  'batch_request_size_bytes_count 50',
  ''
].join('\n')

const OPENMETRICS = [
  '# HELP batch_retries Retries made.',
  '# TYPE batch_retries counter',
  'batch_retries_total{reason="timeout"} 4',
  '# EOF',
  ''
].join('\n')

const base64url = (text: string): string => Buffer.from(text).toString('base64url')

// The same families in several groups, every body format, grouping-key values that need escaping.
const PUSHES: Array<Sent & { status: number }> = [
  { method: 'PUT', path: '/metrics/job/batch/instance/db1', body: COUNTER + GAUGES + HISTOGRAM + SUMMARY, status: 200 },
  { method: 'PUT', path: '/metrics/job/batch/instance/db2', body: gzipSync(COUNTER + HISTOGRAM), headers: { 'content-encoding': 'gzip' }, status: 200 },
  { method: 'POST', path: '/metrics/job/batch/instance/db2', body: SUMMARY, status: 200 },
  {
    method: 'PUT',
    path: `/metrics/job@base64/${base64url('nightly/report')}/site@base64/${base64url('Zürich "HQ" \\ 1')}`,
    body: encodeDelimited(parseMetrics(GAUGES + HISTOGRAM)),
    headers: { 'content-type': PROTOBUF_CONTENT_TYPE },
    status: 200
  },
  { method: 'PUT', path: '/metrics/job/openmetrics/instance/om1', body: OPENMETRICS, headers: { 'content-type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' }, status: 200 },
  { method: 'PUT', path: '/metrics/job/empty', body: '', status: 200 },
  { method: 'PUT', path: '/metrics/job/gone', body: GAUGES, status: 200 },
  { method: 'DELETE', path: '/metrics/job/gone', status: 202 }
]

/** What promtool said: its exit code, the lint findings (one per line) and any other output. */
interface Verdict {
  code: number | null
  findings: string[]
  output: string
}

async function checkMetrics (promtool: string, exposition: string): Promise<Verdict> {
  const child = spawn(promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => { output += text })
  child.stderr.setEncoding('utf8').on('data', (text: string) => { output += text })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', resolve)
    child.stdin.end(exposition)
  })
  return { code, findings: output.split('\n').filter(line => line !== ''), output }
}

/**
 * Asserts promtool's verdict: exit 1 with "error while linting" is a parse error (never
 * acceptable); exit 3 lists lint findings, which must all be in `known`; no finding is exit 0.
 */
function assertClean (t: Test, verdict: Verdict, known: readonly string[], exposition: string): void {
  t.not(verdict.code, 1, 'promtool parses the exposition', { output: verdict.output, exposition })
  t.notMatch(verdict.output, 'error while linting', 'no parse error')
  const unknown = verdict.findings.filter(finding => !known.includes(finding))
  t.same(unknown, [], 'no lint findings beyond the known ones', { exposition })
  t.equal(verdict.code, verdict.findings.length === 0 ? 0 : 3, 'exit code 0 when clean, 3 for the known lint findings')
}

async function pushAll (t: Test, base: string, mount: string): Promise<void> {
  for (const push of PUSHES) {
    const answer = await sendText(base, { ...push, path: mount + push.path })
    t.equal(answer.status, push.status, `${push.method} ${push.path}`, { body: answer.body })
  }
}

// What the exposition must hold, so a clean verdict is not the verdict on an empty page.
function assertPushed (t: Test, exposition: string): void {
  t.match(exposition, 'batch_items_processed_total{city="Zürich ☃ 東京",instance="db1",job="batch",note="line one\\nline two",path="C:\\\\temp\\\\in",queue="say \\"hi\\""} 42\n')
  t.match(exposition, 'batch_duration_seconds_bucket{instance="db2",job="batch",stage="load",le="5"} 5\n')
  t.match(exposition, 'batch_request_size_bytes{instance="db2",job="batch",quantile="0.99"} 1000\n')
  t.match(exposition, 'batch_queue_depth_items{instance="",job="nightly/report",queue="c",site="Zürich \\"HQ\\" \\\\ 1"} +Inf\n')
  t.match(exposition, 'batch_retries_total{instance="om1",job="openmetrics",reason="timeout"} 4\n')
  t.match(exposition, 'push_time_seconds{instance="",job="empty"} ')
  t.notMatch(exposition, 'job="gone"')
}

// prom-client's default metrics (the standalone server collects them, as the Go binary
// collects go_* and process_*) name three gauges with a _total suffix; not ours to rename.
const PROM_CLIENT_DEFAULTS = [
  'nodejs_active_handles_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total non-counter metrics should not have "_total" suffix',
  'nodejs_active_resources_total non-counter metrics should not have "_total" suffix'
]

const paths = requirePeers(t, PROMTOOL)
if (paths !== undefined) {
  const [promtool] = paths as [string]

  for (const kind of FRONT_ENDS) {
    t.test(`${kind}: promtool check metrics finds no error and no unknown lint problem in /metrics after varied pushes`, async t => {
      const frontEnd = await startFrontEnd(kind)
      t.teardown(frontEnd.close)
      await pushAll(t, frontEnd.base, frontEnd.mount)
      const scrape = await sendText(frontEnd.base, { method: 'GET', path: `${frontEnd.mount}/metrics` })
      t.equal(scrape.status, 200)
      t.match(scrape.headers['content-type'], 'text/plain; version=0.0.4')
      assertPushed(t, scrape.body)
      t.match(scrape.body, '# HELP batch_items_processed_total Items processed.\\nCounted once per item, path separator \\\\.\n')
      const known = kind === 'standalone' ? PROM_CLIENT_DEFAULTS : []
      const verdict = await checkMetrics(promtool, scrape.body)
      assertClean(t, verdict, known, scrape.body)
      if (kind !== 'standalone') t.same(verdict, { code: 0, findings: [], output: '' }, 'nothing at all to say about a registry without default metrics')
    })
  }

  t.test('an Express service\'s merged /metrics (mergeIntoRegistry, default metrics, a family shared with a push) passes promtool', async t => {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    const processed = new Counter({ name: 'batch_items_processed_total', help: 'Items the service processed itself.', labelNames: ['queue'], registers: [registry] })
    processed.inc({ queue: 'service' }, 5)
    const app = express()
    app.use('/pushgateway', pushgateway({ registry, mergeIntoRegistry: true }))
    app.get('/metrics', async (_req, res) => { res.type(registry.contentType).send(await registry.metrics()) })
    const server = await new Promise<Server>(resolve => { const s = app.listen(0, '127.0.0.1', () => { resolve(s) }) })
    t.teardown(async () => { await new Promise(resolve => { server.close(resolve); server.closeAllConnections() }) })
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    await pushAll(t, base, '/pushgateway')
    const scrape = await sendText(base, { method: 'GET', path: '/metrics' })
    t.equal(scrape.status, 200)
    assertPushed(t, scrape.body)
    t.equal(scrape.body.split('# TYPE batch_items_processed_total ').length, 2, 'the service\'s family and the pushed one under one header')
    t.match(scrape.body, '# HELP batch_items_processed_total Items the service processed itself.\n', 'the service\'s HELP wins')
    t.match(scrape.body, 'batch_items_processed_total{queue="service"} 5\n')
    t.match(scrape.body, 'nodejs_active_handles_total ', 'the default metrics are on the merged page too')
    assertClean(t, await checkMetrics(promtool, scrape.body), PROM_CLIENT_DEFAULTS, scrape.body)
  })
}
