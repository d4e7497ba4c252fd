import t from 'tap'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { eventually } from '../helpers/clock.js'
import { sendText } from '../helpers/http.js'
import { startRedis } from '../helpers/redis.js'

// The binary, run from source with the test's own loader (process.execArgv), which its workers
// inherit, so that the coverage of the primary and the workers counts.
const CLI = fileURLToPath(new URL('../../src/standalone/cli.ts', import.meta.url))
// Deadlines for a loaded machine, not measures: three processes compile the sources at start.
const START_MS = 90_000
const CHANGE_MS = 30_000

t.test('two workers on one port share the groups in Redis; Redis down answers 503, back it serves again; /-/quit stops both', async t => {
  const redis = await startRedis(t)
  if (redis === undefined) return
  const child: ChildProcess = fork(CLI, [
    '--web.listen-address=127.0.0.1:0', `--store.redis-url=${redis.url}`, '--store.redis-timeout=500ms',
    '--web.workers=2', '--web.enable-lifecycle', '--log.level=debug'
  ], { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let log = ''
  child.stderr?.setEncoding('utf8').on('data', (text: string) => { log += text })
  // 'close' comes after the exit and the end of stderr: then the log is complete.
  const closed = new Promise<number | null>(resolve => { child.once('close', code => { resolve(code) }) })
  const listening = (): string[] => [...log.matchAll(/msg="Listening on" worker=(\d) address=(\S+)\n/g)].map(match => `${match[1] as string} ${match[2] as string}`)
  await eventually(() => listening().length === 2 || child.exitCode !== null, 'both workers listen', START_MS)
  const [first, second] = listening().sort()
  const address = first?.split(' ')[1] as string
  t.match(first, /^1 127\.0\.0\.1:\d+$/)
  t.equal(second, `2 ${address}`, 'both on the same port')
  const base = `http://${address}`
  const get = async (path: string): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: string }> => sendText(base, { method: 'GET', path })
  const push = async (body: string) => sendText(base, { method: 'PUT', path: '/metrics/job/shared', body })
  // Each worker connects to Redis by itself; connections go to the workers in turn, so that
  // several ready answers in a row come from both.
  const bothReady = async (): Promise<boolean> => {
    for (let i = 0; i < 4; i++) if ((await get('/-/ready')).status !== 200) return false
    return true
  }
  await eventually(bothReady, 'both workers ready', CHANGE_MS)

  t.equal((await push('m 1\n')).status, 200)
  // sendText opens a connection per request, which the primary hands to the workers in turn.
  for (let i = 0; i < 6; i++) t.match((await get('/metrics')).body, 'm{instance="",job="shared"} 1\n', `scrape ${i + 1} has the group`)
  for (let i = 0; i < 6; i++) await get('/nope')
  t.match(log, /level=debug msg="request rejected" worker=1 method=GET url=\/nope /, 'worker 1 served')
  t.match(log, /level=debug msg="request rejected" worker=2 method=GET url=\/nope /, 'worker 2 served')

  await redis.stop()
  await eventually(async () => (await push('m 2\n')).status === 503, 'a push answers 503 while Redis is down', CHANGE_MS)
  const refused = await push('m 2\n')
  t.equal(refused.status, 503)
  t.ok(refused.headers['retry-after'], 'with Retry-After')
  await eventually(async () => (await get('/-/ready')).status === 503, '/-/ready answers 503', CHANGE_MS)
  for (let i = 0; i < 4; i++) t.equal((await get('/-/healthy')).status, 200, '/-/healthy stays 200')
  t.match(log, /level=warn msg="cannot reach Redis; reconnecting" worker=\d url=redis:\/\/127\.0\.0\.1:\d+ err=/)

  await redis.start()
  await eventually(async () => (await push('m 3\n')).status === 200, 'pushes succeed again once Redis is back', CHANGE_MS)
  await eventually(bothReady, 'both workers ready again', CHANGE_MS)
  for (let i = 0; i < 4; i++) t.match((await get('/metrics')).body, 'm{instance="",job="shared"} 3\n', `scrape ${i + 1} after the outage`)

  const quit = await sendText(base, { method: 'PUT', path: '/-/quit' })
  t.same([quit.status, quit.body], [200, 'Requesting termination... Goodbye!'])
  t.equal(await closed, 0, 'the primary exits 0 once both workers stopped')
  t.match(log, /level=info msg="worker exited; stopping the others" worker=\d code=0\n/)
  t.match(log, /level=info msg="asked by the primary to stop; exiting gracefully\.\.\." worker=\d\n/)
  t.match(log, /level=info msg="worker exited" worker=\d code=0\n/)
})
