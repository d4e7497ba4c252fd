// Real Prometheus scrapes an Express service that mounts the gateway and serves one merged
// /metrics, with honor_labels: true, while the Go and Python clients push and delete.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import express from 'express'
import { Counter, Registry } from 'prom-client'
import { pushgateway } from '../../src/express.js'
import { buildGoClient, PYTHON_CLIENT_SCRIPT, runProgram } from '../helpers/clients.js'
import { sendText } from '../helpers/http.js'
import { CLIENT_GOLANG, GO, PROMETHEUS, PYTHON, PYTHON_CLIENT, requirePeers } from '../helpers/peers.js'
import { freePort } from '../helpers/reference.js'
import { stopProcess, untilReady } from '../helpers/processes.js'

const SCRAPE_JOB = 'service'
// Appearing takes a scrape (1 s) plus the clients' start; going stale takes the next scrape. The
// deadline is for a loaded machine, not a measure: the waits end as soon as Prometheus shows it.
const WAIT_MS = 60_000
const POLL_MS = 250

/** One sample of an instant vector, as the query API answers it. */
interface Sample {
  metric: Record<string, string>
  value: [number, string]
}

/** The Express service: its own registry and counter, the gateway merged into its /metrics. */
interface Service {
  base: string
  port: number
  /** The last /metrics answer Prometheus got, with the Accept it sent, for failure messages. */
  lastScrape: () => string
  close: () => Promise<void>
}

async function startService (): Promise<Service> {
  const registry = new Registry()
  const requests = new Counter({ name: 'app_requests_total', help: 'Requests the service answered.', labelNames: ['route'], registers: [registry] })
  let lastScrape = '(no scrape yet)'
  const app = express()
  app.use('/pushgateway', pushgateway({ registry, mergeIntoRegistry: true }))
  app.get('/metrics', async (req, res) => {
    requests.inc({ route: '/metrics' })
    const body = await registry.metrics()
    lastScrape = `Accept: ${req.headers.accept ?? ''}\n${body}`
    res.type(registry.contentType).send(body)
  })
  const server = await new Promise<Server>(resolve => { const s = app.listen(0, '127.0.0.1', () => { resolve(s) }) })
  const port = (server.address() as AddressInfo).port
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    lastScrape: () => lastScrape,
    close: async () => { await new Promise(resolve => { server.close(resolve); server.closeAllConnections() }) }
  }
}

/** Prometheus, started by this test. */
interface RunningPrometheus {
  base: string
  /** Its last log lines, for failure messages. */
  log: () => string
  close: () => Promise<void>
}

async function startPrometheus (binary: string, dir: string, target: string): Promise<RunningPrometheus> {
  const config = join(dir, 'prometheus.yml')
  await writeFile(config, [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    `  - job_name: ${SCRAPE_JOB}`,
    '    honor_labels: true',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: ['${target}']`,
    ''
  ].join('\n'))
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const child = spawn(binary, [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn'
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: string[] = []
    const keep = (text: string): void => { lines.push(...text.split('\n').filter(line => line !== '')); lines.splice(0, lines.length - 40) }
    child.stdout.setEncoding('utf8').on('data', keep)
    child.stderr.setEncoding('utf8').on('data', keep)
    const base = `http://127.0.0.1:${port}`
    const log = (): string => lines.length === 0 ? '(nothing logged at --log.level=warn)' : lines.join('\n')
    // 'close' comes after the exit and the end of both pipes: then the log is complete.
    const closed = new Promise<void>(resolve => { child.once('close', () => { resolve() }) })
    if (await untilReady(child, base, WAIT_MS)) return { base, log, close: async () => { await stopProcess(child) } }
    await stopProcess(child)
    await closed
    // Another process may have taken the port between freePort() and the bind: only that is worth
    // another try; a Prometheus that is slow or broken fails here, with what it logged.
    if (attempt === 3 || !/address already in use|EADDRINUSE/i.test(log())) throw new Error(`Prometheus did not become ready:\n${log()}`)
  }
}

async function query (prometheus: RunningPrometheus, promql: string): Promise<Sample[]> {
  const answer = await sendText(prometheus.base, { method: 'GET', path: `/api/v1/query?query=${encodeURIComponent(promql)}` })
  const parsed = JSON.parse(answer.body) as { status: string, data?: { resultType: string, result: Sample[] }, error?: string }
  if (answer.status !== 200 || parsed.status !== 'success' || parsed.data?.resultType !== 'vector') {
    throw new Error(`query ${promql} answered ${answer.status}: ${answer.body}`)
  }
  return parsed.data.result
}

/** The labels and value of each sample, sorted, for exact comparisons. */
function samples (result: Sample[]): Array<{ labels: Record<string, string>, value: string }> {
  return result.map(sample => ({ labels: sample.metric, value: sample.value[1] }))
    .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)))
}

const paths = requirePeers(t, PROMETHEUS, GO, CLIENT_GOLANG, PYTHON, PYTHON_CLIENT)
if (paths !== undefined) {
  const [prometheusBinary, , , python] = paths as [string, string, string, string, string]
  // Above every wait the file allows: a cold Go build of the client (~15 s alone on two cores, much
  // more on a loaded machine) beside Prometheus's start (up to WAIT_MS a try), then four waits
  // of up to WAIT_MS each for what Prometheus scraped.
  t.setTimeout(360_000)

  t.test('Prometheus scrapes the service\'s one merged /metrics with honor_labels while the Go and Python clients push and delete', async t => {
    const dir = await mkdtemp(join(tmpdir(), 'pushgateway-e2e-'))
    const service = await startService()
    const starting = startPrometheus(prometheusBinary, dir, `127.0.0.1:${service.port}`)
    t.teardown(async () => {
      await (await starting.catch(() => undefined))?.close()
      await service.close()
      await rm(dir, { recursive: true, force: true })
    })
    const [goClient, running] = await Promise.all([buildGoClient(t), starting])
    if (goClient === undefined) return
    const gateway = `${service.base}/pushgateway`
    const instance = `127.0.0.1:${service.port}`

    const context = (): Record<string, string> => ({ prometheusLog: running.log(), lastScrape: service.lastScrape() })
    // Polls the query API until `done` accepts the result; fails with what Prometheus and the service said.
    async function until (t: Test, promql: string, what: string, done: (result: Sample[]) => boolean): Promise<Sample[]> {
      const deadline = Date.now() + WAIT_MS
      for (;;) {
        const result = await query(running, promql)
        if (done(result)) return result
        if (Date.now() > deadline) {
          t.fail(`${what}: still not so after ${WAIT_MS} ms`, { query: promql, result: JSON.stringify(result), ...context() })
          return result
        }
        await sleep(POLL_MS)
      }
    }
    async function run (t: Test, command: string, args: string[]): Promise<void> {
      const result = await runProgram(command, args)
      t.equal(result.code, 0, `${args.join(' ')} exits 0`, { stdout: result.stdout, stderr: result.stderr })
    }

    t.test('a Go client push shows up in Prometheus with the pushed job and instance, not the scrape job\'s', async t => {
      await run(t, goClient, ['-url', gateway, '-job', 'e2e_go', '-op', 'push', '-value', '7', '-label', 'instance=gohost'])
      const result = await until(t, 'go_client_items_total', 'the Go counter in Prometheus', result => result.length > 0)
      t.same(samples(result), [{ labels: { __name__: 'go_client_items_total', job: 'e2e_go', instance: 'gohost' }, value: '7' }])
      const buckets = await query(running, 'go_client_duration_seconds_bucket')
      t.same(buckets.map(sample => sample.metric['le']).sort(), ['+Inf', '1', '5'], 'the histogram\'s buckets, from the same scrape')
      t.ok(buckets.every(sample => sample.metric['job'] === 'e2e_go' && sample.metric['instance'] === 'gohost'), 'with the pushed labels')
      t.same((await query(running, 'push_time_seconds{job="e2e_go"}')).map(sample => sample.metric['instance']), ['gohost'], 'the gateway\'s push time for the group')
    })

    t.test('a Python client push shows up in Prometheus with the pushed job and instance', async t => {
      await run(t, python, [PYTHON_CLIENT_SCRIPT, '--url', gateway, '--job', 'e2e_py', '--op', 'push', '--value', '5', '--label', 'instance=pyhost'])
      const result = await until(t, 'py_client_items_total', 'the Python counter in Prometheus', result => result.length > 0)
      t.same(samples(result), [{ labels: { __name__: 'py_client_items_total', job: 'e2e_py', instance: 'pyhost' }, value: '5' }])
    })

    t.test('the service\'s own counter comes from the same target, with the scrape job\'s labels', async t => {
      const result = await query(running, 'app_requests_total')
      t.same(result.map(sample => sample.metric), [{ __name__: 'app_requests_total', job: SCRAPE_JOB, instance, route: '/metrics' }])
      t.ok(Number(result[0]?.value[1]) >= 1, 'counting the scrapes')
    })

    t.test('a Python push of a new value replaces the one Prometheus sees', async t => {
      await run(t, python, [PYTHON_CLIENT_SCRIPT, '--url', gateway, '--job', 'e2e_py', '--op', 'add', '--value', '11', '--label', 'instance=pyhost'])
      const result = await until(t, 'py_client_items_total', 'the new Python value in Prometheus', result => result[0]?.value[1] === '11')
      t.same(samples(result), [{ labels: { __name__: 'py_client_items_total', job: 'e2e_py', instance: 'pyhost' }, value: '11' }])
    })

    t.test('deleting the Go group makes its series stale at the next scrape; the Python series stays', async t => {
      await run(t, goClient, ['-url', gateway, '-job', 'e2e_go', '-op', 'delete', '-label', 'instance=gohost'])
      const result = await until(t, 'go_client_items_total', 'the Go counter gone stale', result => result.length === 0)
      t.same(result, [], 'no Go counter at the current time')
      t.same(await query(running, 'go_client_duration_seconds_bucket'), [], 'nor the Go histogram')
      t.same(await query(running, 'push_time_seconds{job="e2e_go"}'), [], 'nor the group\'s push time')
      t.same(samples(await query(running, 'py_client_items_total')), [{ labels: { __name__: 'py_client_items_total', job: 'e2e_py', instance: 'pyhost' }, value: '11' }])
      t.equal((await query(running, 'count_over_time(go_client_items_total[1m])'))[0]?.metric['job'], 'e2e_go', 'the series was stored before it went stale')
    })

    t.test('the target stayed up with no scrape error', async t => {
      t.same(samples(await query(running, 'up')), [{ labels: { __name__: 'up', job: SCRAPE_JOB, instance }, value: '1' }])
      t.same(samples(await query(running, `min_over_time(up{job="${SCRAPE_JOB}"}[1m])`)), [{ labels: { job: SCRAPE_JOB, instance }, value: '1' }], 'in every scrape so far')
      const answer = await sendText(running.base, { method: 'GET', path: '/api/v1/targets?state=active' })
      const targets = (JSON.parse(answer.body) as { data: { activeTargets: Array<{ scrapePool: string, scrapeUrl: string, health: string, lastError: string }> } }).data.activeTargets
      t.same(targets.map(target => ({ scrapePool: target.scrapePool, scrapeUrl: target.scrapeUrl, health: target.health, lastError: target.lastError })), [
        { scrapePool: SCRAPE_JOB, scrapeUrl: `http://${instance}/metrics`, health: 'up', lastError: '' }
      ], 'one target, up, no scrape error', context())
      // Samples Prometheus dropped while ingesting (a duplicate series in the merged page, say) count here.
      const own = (await sendText(running.base, { method: 'GET', path: '/metrics' })).body
      for (const name of ['prometheus_target_scrapes_sample_duplicate_timestamp_total', 'prometheus_target_scrapes_sample_out_of_order_total', 'prometheus_target_scrapes_sample_out_of_bounds_total']) {
        t.match(own, `\n${name} 0\n`, `${name} stays 0`)
      }
      t.notMatch(running.log(), 'scrape', 'Prometheus logged no scrape warning')
    })
  })
}
