import t, { type Test } from 'tap'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { Registry } from 'prom-client'
import { CHROMIUM, requirePeers } from '../helpers/peers.js'
import { startFrontEnd, type FrontEndKind, type FrontEndOptions } from '../helpers/front-ends.js'
import { Pushgateway } from '../../src/gateway.js'
import { statusPageAssetSizes } from '../../src/http/status-page.js'
import { encodeDelimited, PROTOBUF_CONTENT_TYPE } from '../../src/exposition/protobuf.js'
import { emptyHistogram } from '../../src/exposition/types.js'

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
// The README's screenshot, rewritten only when asked (UPDATE_SCREENSHOT=1): a test run leaves the tree as it was.
const SCREENSHOT = process.env['UPDATE_SCREENSHOT'] === '1' ? fileURLToPath(new URL('../../docs/status-page.png', import.meta.url)) : undefined
// Deadline of each wait for the page; generous, the machine is shared.
const WAIT = { timeout: 20_000 }

const DB1 = `# HELP request_duration_seconds How long requests took.
# TYPE request_duration_seconds histogram
request_duration_seconds_bucket{le="0.1"} 3
request_duration_seconds_bucket{le="1"} 7
request_duration_seconds_bucket{le="+Inf"} 9
request_duration_seconds_sum 4.2
request_duration_seconds_count 9
# HELP rpc_latency_seconds RPC latency.
# TYPE rpc_latency_seconds summary
rpc_latency_seconds{quantile="0.5"} 0.05
rpc_latency_seconds{quantile="0.99"} 0.3
rpc_latency_seconds_sum 12
rpc_latency_seconds_count 100
# HELP backup_last_success_timestamp_seconds When the last backup succeeded.
# TYPE backup_last_success_timestamp_seconds gauge
backup_last_success_timestamp_seconds 1.7e+09
`

async function send (method: string, url: string, body?: string): Promise<Response> {
  return fetch(url, body === undefined ? { method } : { method, body })
}

/** Four groups, one of them with a failed (inconsistent) push only. */
async function fill (t: Test, api: string): Promise<void> {
  t.equal((await send('PUT', `${api}/metrics/job/backup/instance/db1`, DB1)).status, 200)
  t.equal((await send('PUT', `${api}/metrics/job/backup/instance/db2`, 'backup_duration_seconds 12\n')).status, 200)
  t.equal((await send('PUT', `${api}/metrics/job/etl`, 'etl_rows_total 1200\n')).status, 200)
  // The same family as db1's, with another type: refused, and remembered as the group's failure.
  t.equal((await send('PUT', `${api}/metrics/job/broken`, '# TYPE request_duration_seconds gauge\nrequest_duration_seconds 1\n')).status, 400)
}

async function groupJobs (api: string): Promise<string[]> {
  const body = await (await send('GET', `${api}/api/v1/metrics`)).json() as { data: Array<{ labels: Record<string, string> }> }
  return body.data.map(group => Object.entries(group.labels).map(([name, value]) => `${name}=${value}`).join(',')).sort()
}

/** Watches a page: every request URL and every console error or uncaught exception. */
function watch (page: Page): { requests: string[], errors: string[] } {
  const seen = { requests: [] as string[], errors: [] as string[] }
  page.on('request', request => { seen.requests.push(request.url()) })
  page.on('console', message => { if (message.type() === 'error') seen.errors.push(message.text()) })
  page.on('pageerror', error => { seen.errors.push(error.message) })
  return seen
}

/** The bits of the page's globals the predicates below use (the tests compile without the DOM types). */
interface PageGlobals {
  document: {
    querySelectorAll: (selector: string) => { length: number }
    getElementById: (id: string) => { textContent: string | null } | null
  }
}

// Predicates are functions, not strings: Playwright evaluates a string with eval, which the page's CSP forbids.
async function groupCount (page: Page, count: number): Promise<void> {
  await page.waitForFunction(n => (globalThis as unknown as PageGlobals).document.querySelectorAll('li.group').length === n, count, WAIT)
}

const paths = requirePeers(t, CHROMIUM)
if (paths !== undefined) {
  const browser: Browser = await chromium.launch({ executablePath: paths[0] as string, args: CHROMIUM_ARGS })
  t.teardown(async () => { await browser.close() })

  const cases: Array<[string, FrontEndKind, FrontEndOptions]> = [
    ['standalone at /', 'standalone', {}],
    ['standalone under --web.route-prefix', 'standalone', { mount: '/pgw' }],
    ['Express mount', 'express', { mount: '/pushgateway', options: { expiry: { ttl: 3_600_000 } } }],
    ['Fastify plugin under a prefix', 'fastify', { mount: '/pushgateway' }]
  ]
  for (const [name, kind, settings] of cases) {
    t.test(name, async t => {
      const front = await startFrontEnd(kind, settings)
      t.teardown(front.close)
      const origin = new URL(front.base).origin
      const api = origin + front.mount
      await fill(t, api)
      const page = await browser.newPage()
      t.teardown(async () => { await page.close() })
      const seen = watch(page)

      const response = await page.goto(`${api}/`)
      t.equal(response?.status(), 200)
      t.equal(response?.headers()['content-security-policy']?.startsWith("default-src 'self'"), true, 'the page carries its CSP')
      await groupCount(page, 4)
      t.equal(await page.textContent('#count'), '4 groups')
      const broken = page.locator('li.group', { hasText: 'job="broken"' })
      t.equal(await broken.locator('.pill').textContent(), 'Last push failed!')
      t.match(await broken.locator('.times').textContent(), /last failure/)
      t.equal(await page.locator('li.group', { hasText: 'instance="db2"' }).locator('.pill').count(), 0)
      t.match(await page.locator('li.group', { hasText: 'instance="db1"' }).locator('.counts').textContent(), '5 families, 5 series')

      // Expand db1 and read its histogram.
      const db1 = page.locator('li.group', { hasText: 'instance="db1"' })
      await db1.locator('button.toggle').click()
      const histogram = db1.locator('section.family[data-family="request_duration_seconds"]')
      await histogram.locator('table.buckets').waitFor(WAIT)
      t.equal(await histogram.locator('dd.type').textContent(), 'histogram')
      t.equal(await histogram.locator('dd.help').textContent(), 'How long requests took.')
      const buckets = await histogram.locator('table.buckets tr').evaluateAll(rows => rows.slice(1).map(row => [...row.querySelectorAll('td')].map(cell => cell.textContent)))
      t.same(buckets, [['0.1', '3'], ['1', '7'], ['+Inf', '9']])
      const quantiles = await db1.locator('section.family[data-family="rpc_latency_seconds"] table.quantiles tr').evaluateAll(rows => rows.slice(1).map(row => [...row.querySelectorAll('td')].map(cell => cell.textContent)))
      t.same(quantiles, [['0.5', '0.05'], ['0.99', '0.3']])
      if (kind === 'express') {
        t.match(await db1.locator('.times').textContent(), /expires in (59 min|60 min|1 h) /)
        const png = await page.screenshot({ ...(SCREENSHOT === undefined ? {} : { path: SCREENSHOT }), fullPage: true })
        t.same([...png.subarray(1, 4)], [...Buffer.from('PNG')], 'the page renders to a PNG')
      }

      // The Status tab.
      await page.click('#tab-status')
      await page.waitForSelector('table.flags', WAIT)
      t.match(await page.textContent('table.flags'), 'web.enable-admin-api')
      t.match(await page.textContent('table.build'), 'version')
      await page.click('#tab-metrics')

      // Filter as one types: by label value, then by metric name.
      await page.fill('#filter', 'db')
      await groupCount(page, 2)
      t.equal(await page.textContent('#count'), '2 of 4 groups')
      await page.fill('#filter', 'etl_rows')
      await groupCount(page, 1)
      t.match(await page.textContent('li.group'), 'job="etl"')
      t.equal(await db1.locator('table.buckets').count(), 0, 'db1 is filtered out')
      await page.fill('#filter', '')
      await groupCount(page, 4)
      t.equal(await db1.locator('table.buckets').count(), 1, 'db1 stays expanded across filtering')

      // Delete one group, confirmed.
      let confirmed = ''
      page.on('dialog', dialog => { confirmed = dialog.message(); dialog.accept().catch(() => {}) })
      await page.locator('li.group', { hasText: 'job="etl"' }).locator('button.delete').click()
      await groupCount(page, 3)
      t.match(confirmed, 'Delete the group {"job"="etl"}?')
      t.same(await groupJobs(api), ['instance=db1,job=backup', 'instance=db2,job=backup', 'job=broken'])

      // Delete the filtered set through the matcher API.
      await page.fill('#filter', 'instance="db')
      await groupCount(page, 2)
      t.equal(await page.textContent('#delete-matching'), 'Delete the 2 matching groups')
      await page.click('#delete-matching')
      await page.fill('#filter', '')
      await groupCount(page, 1)
      t.same(await groupJobs(api), ['job=broken'])

      // Wipe.
      t.equal(await page.textContent('#wipe'), 'Delete All 1 Groups')
      await page.click('#wipe')
      await page.waitForSelector('li.empty', WAIT)
      t.same(await groupJobs(api), [])

      t.same(seen.requests.filter(url => !url.startsWith(origin + '/')), [], 'no request leaves the origin')
      t.ok(seen.requests.some(url => url.startsWith(`${api}/static/status.js`)), 'the script is served under the mount')
      t.same(seen.errors, [], 'no console errors')
    })
  }

  t.test('auto-refresh and the keyboard: expansion and filter survive a refresh', async t => {
    const front = await startFrontEnd('fastify', { mount: '/pushgateway' })
    t.teardown(front.close)
    const api = front.base + front.mount
    await fill(t, api)
    const page = await browser.newPage()
    t.teardown(async () => { await page.close() })
    const seen = watch(page)
    await page.clock.install()
    await page.goto(`${api}/`)
    await groupCount(page, 4)
    await page.fill('#filter', 'backup')
    await groupCount(page, 2)
    const db1 = page.locator('li.group', { hasText: 'instance="db1"' })
    await db1.locator('button.toggle').focus()
    await page.keyboard.press('Enter')
    await db1.locator('table.buckets').waitFor(WAIT)
    t.equal(await db1.locator('button.toggle').getAttribute('aria-expanded'), 'true')
    t.equal((await send('PUT', `${api}/metrics/job/backup/instance/db3`, 'backup_duration_seconds 3\n')).status, 200)
    await page.clock.runFor(10_000)
    await groupCount(page, 3)
    t.equal(await page.inputValue('#filter'), 'backup', 'the filter is kept')
    t.equal(await page.textContent('#count'), '3 of 5 groups')
    t.equal(await db1.locator('table.buckets').count(), 1, 'db1 is still expanded')
    t.equal(await page.evaluate('document.activeElement.dataset.focus'), 'toggle {"instance":"db1","job":"backup"}', 'focus stays on the toggle')
    await page.uncheck('#auto-refresh')
    t.equal((await send('PUT', `${api}/metrics/job/backup/instance/db4`, 'backup_duration_seconds 4\n')).status, 200)
    await page.clock.runFor(30_000)
    t.equal(await page.locator('li.group').count(), 3, 'no refresh once turned off')
    await page.click('#refresh')
    await groupCount(page, 4)
    // Tabs by keyboard.
    await page.focus('#tab-metrics')
    await page.keyboard.press('ArrowRight')
    await page.waitForSelector('table.flags', WAIT)
    t.equal(await page.getAttribute('#tab-status', 'aria-selected'), 'true')
    t.equal(await page.isHidden('#metrics-tab'), true)
    t.same(seen.errors, [], 'no console errors')
  })

  t.test('a refused bulk delete shows the gateway\'s message and deletes nothing', async t => {
    const front = await startFrontEnd('express', { mount: '/pushgateway', options: { authorize: ({ action, key }) => action !== 'delete' || key?.labels['instance'] !== 'db2' ? true : { status: 403, message: 'db2 is protected' } } })
    t.teardown(front.close)
    const api = front.base + front.mount
    await fill(t, api)
    const page = await browser.newPage()
    t.teardown(async () => { await page.close() })
    const seen = watch(page)
    page.on('dialog', dialog => { dialog.accept().catch(() => {}) })
    await page.goto(`${api}/status`)
    await groupCount(page, 4)
    await page.fill('#filter', 'backup')
    await groupCount(page, 2)
    await page.click('#delete-matching')
    await page.waitForSelector('#message.bad', WAIT)
    t.equal(await page.textContent('#message'), 'db2 is protected')
    t.equal((await groupJobs(api)).length, 4, 'nothing deleted')
    t.same(seen.errors.filter(text => !text.includes('403')), [], 'no console errors but the refused request')
  })

  t.test('10,000 groups', async t => {
    const gateway = new Pushgateway({ registry: new Registry(), ui: true, adminApi: true })
    for (let i = 0; i < 10_000; i++) {
      await gateway.push({ job: `job-${i % 100}`, labels: { instance: `host-${i}` } }, `batch_rows_total ${i}\nbatch_duration_seconds 1.5\n`)
    }
    const server: Server = createServer((req, res) => {
      gateway.handle({ method: req.method as string, url: req.url as string, headers: req.headers, body: req, mount: '' }).then(answer => {
        res.writeHead(answer.status, answer.headers).end(answer.body)
      }).catch(err => { res.writeHead(500).end(String(err)) })
    })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
    t.teardown(async () => { await new Promise(resolve => { server.close(resolve); server.closeAllConnections() }) })
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const page = await browser.newPage()
    t.teardown(async () => { await page.close() })
    const seen = watch(page)
    const started = Date.now()
    await page.goto(`${origin}/`)
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.getElementById('count')?.textContent === '10000 groups', undefined, WAIT)
    const loadMs = Date.now() - started
    t.equal(await page.locator('li.group').count(), 100, 'one page of cards is rendered')
    // Each keystroke filters and renders synchronously; the forced layout is counted too.
    const filterMs = await page.evaluate(`(() => {
      const input = document.getElementById('filter')
      const times = []
      for (const text of ['h', 'host-99', 'host-9999', 'job-7 host-1', '']) {
        const begin = performance.now()
        input.value = text
        input.dispatchEvent(new Event('input'))
        void document.body.offsetHeight
        times.push(performance.now() - begin)
      }
      return Math.max(...times)
    })()`) as number
    await page.fill('#filter', 'host-9999')
    await groupCount(page, 1)
    t.comment(`10,000 groups: page usable (summaries loaded, first 100 cards shown) in ${loadMs} ms; slowest filter keystroke ${filterMs.toFixed(1)} ms`)
    t.comment(`assets: ${JSON.stringify(statusPageAssetSizes())}`)
    const plain = await gateway.handle({ method: 'GET', url: '/api/v1/groups', headers: {} })
    const zipped = await gateway.handle({ method: 'GET', url: '/api/v1/groups', headers: { 'accept-encoding': 'gzip' } })
    t.comment(`GET /api/v1/groups with 10,000 groups: ${plain.body.length} bytes, ${zipped.body.length} gzipped`)
    t.ok(zipped.body.length < plain.body.length, 'the summaries travel gzipped')
    t.same(seen.errors, [], 'no console errors')
  })

  t.test('a native histogram\'s buckets, with which ends are inclusive', async t => {
    const front = await startFrontEnd('standalone', {})
    t.teardown(front.close)
    const histogram = { ...emptyHistogram(), schema: 0, zeroThreshold: 0.5, zeroCount: 1, sampleCount: 6, sampleSum: 3, positiveSpans: [{ offset: 1, length: 2 }], positiveDeltas: [2, 1], negativeSpans: [{ offset: 0, length: 1 }], negativeDeltas: [1] }
    const pushed = await fetch(`${front.base}/metrics/job/native`, { method: 'PUT', headers: { 'content-type': PROTOBUF_CONTENT_TYPE }, body: encodeDelimited([{ name: 'latency_seconds', type: 'histogram', metrics: [{ labels: [], histogram }] }]) })
    t.equal(pushed.status, 200)
    const page = await browser.newPage()
    t.teardown(async () => { await page.close() })
    const seen = watch(page)
    await page.goto(`${front.base}/`)
    await groupCount(page, 1)
    await page.locator('li.group button.toggle').click()
    const table = page.locator('section.family[data-family="latency_seconds"] table.buckets.native')
    await table.waitFor(WAIT)
    const rows = await table.locator('tr').evaluateAll(rows => rows.slice(1).map(row => [...row.querySelectorAll('td')].map(cell => cell.textContent)))
    t.same(rows, [['[-1, -0.5)', '1'], ['[-0.5, 0.5]', '1'], ['(1, 2]', '2'], ['(2, 4]', '3']])
    t.same(seen.errors, [], 'no console errors')
  })
}
