import t from 'tap'
import { EventEmitter, once } from 'node:events'
import { fork, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { runCli } from '../../src/standalone/cli.js'
import { VERSION } from '../../src/version.js'
import { STOP_MESSAGE, type PoolWorker } from '../../src/standalone/workers.js'
import { eventually } from '../helpers/clock.js'

const CLI = fileURLToPath(new URL('../../src/standalone/cli.ts', import.meta.url))

function io () {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { stdout: (s: string) => { out.push(s) }, stderr: (s: string) => { err.push(s) }, signals: new EventEmitter() } }
}

async function until (check: () => boolean, what: string): Promise<void> {
  await eventually(check, what, 60_000)
}

// A PUT whose body is sent in two parts. The server's `100 Continue` proves it is handling the
// request; then the first part goes out, `between` runs (and is awaited), and the rest follows.
async function slowPush (address: string, between: () => void | Promise<void>): Promise<number> {
  const colon = address.lastIndexOf(':')
  return new Promise<number>((resolve, reject) => {
    const req = request({ host: address.slice(0, colon), port: address.slice(colon + 1), method: 'PUT', path: '/metrics/job/slow', agent: false, headers: { expect: '100-continue' } }, res => {
      res.resume()
      resolve(res.statusCode as number)
    })
    req.on('error', reject)
    req.on('continue', () => {
      req.write('slow_metric 1\n')
      Promise.resolve(between()).then(() => { req.end('other_metric 2\n') }, reject)
    })
    req.flushHeaders()
  })
}

t.test('--help and --version print to stdout and exit 0', async t => {
  const help = io()
  t.equal(await runCli(['--help'], help.io), 0)
  t.match(help.out.join(''), /^usage: pushgateway-middleware \[<flags>\]\n/)
  t.match(help.out.join(''), '--web.listen-address=":9091"')
  t.same(help.err, [])
  const version = io()
  t.equal(await runCli(['-h', '--version'], version.io), 0)
  t.match(version.out.join(''), /^usage:/, 'the first of -h and --version wins')
  const v = io()
  t.equal(await runCli(['--version'], v.io), 0)
  t.match(v.out.join(''), new RegExp(`^pushgateway-middleware, version ${VERSION.replaceAll('.', '\\.')}\n  node version: +v\\d+`))
  t.same(v.err, [])
  const man = io()
  t.equal(await runCli(['--help-man'], man.io), 0)
  t.match(man.out.join(''), /^\.TH pushgateway-middleware 1 /, '--help-man prints the man page')
})

t.test('a bad command line prints an error naming the flag and exits 1', async t => {
  const cases: Array<[string[], string]> = [
    [['--web.nope'], "pushgateway-middleware: error: unknown long flag '--web.nope', try --help\n"],
    [['--log.level=trace'], "pushgateway-middleware: error: invalid value \"trace\" for flag '--log.level': expected one of debug, info, warn, error, try --help\n"],
    [['--push.enable-utf8-names=yes'], "pushgateway-middleware: error: invalid value \"yes\" for flag '--push.enable-utf8-names': expected true or false, try --help\n"],
    [['--store.redis-url=redis://127.0.0.1:6379', '--persistence.file=pg.data'], "pushgateway-middleware: error: flag '--persistence.file' cannot be used with '--store.redis-url': Redis keeps the groups itself (turn on its append-only file), try --help\n"],
    [['--web.workers=2'], "pushgateway-middleware: error: flag '--web.workers=2' needs '--store.redis-url': each worker would keep groups of its own, try --help\n"]
  ]
  for (const [argv, message] of cases) {
    const bad = io()
    t.equal(await runCli(argv, bad.io), 1, argv.join(' '))
    t.equal(bad.err.join(''), message)
    t.same(bad.out, [])
  }
})

t.test('a start that fails logs why and exits 1', async t => {
  const start = io()
  t.equal(await runCli(['--web.listen-address=bad'], start.io), 1)
  t.match(start.err.join(''), 'level=error msg="could not start" err="invalid listen address \\"bad\\": expected host:port, [ipv6-host]:port or :port"\n')
})

t.test('runs until SIGTERM; the push in flight finishes', async t => {
  const run = io()
  const exit = runCli(['--web.listen-address=127.0.0.1:0', '--log.format=json'], run.io)
  await until(() => run.err.join('').includes('Listening on'), 'it listens')
  const address = /"address":"([^"]+)"/.exec(run.err.join(''))?.[1] as string
  const status = slowPush(address, () => { run.io.signals.emit('SIGTERM', 'SIGTERM') })
  t.equal(await status, 200, 'the push that was uploading when SIGTERM came completed')
  t.equal(await exit, 0)
  t.match(run.err.join(''), '"level":"info","msg":"received SIGINT/SIGTERM; exiting gracefully...","signal":"SIGTERM"')
  t.match(run.err.join(''), '"msg":"HTTP server stopped"')
  t.equal(run.io.signals.listenerCount('SIGTERM') + run.io.signals.listenerCount('SIGINT'), 0, 'signal handlers removed')
})

t.test('SIGINT too; a second signal is left to Node\'s default; --web.local-assets is taken with a warning', async t => {
  const run = io()
  const exit = runCli(['--web.listen-address=127.0.0.1:0', '--web.local-assets=/usr/share/prometheus/pushgateway'], run.io)
  await until(() => run.err.join('').includes('Listening on'), 'it listens')
  run.io.signals.emit('SIGINT', 'SIGINT')
  t.equal(run.io.signals.listenerCount('SIGTERM') + run.io.signals.listenerCount('SIGINT'), 0, 'handlers removed at the first signal')
  t.equal(await exit, 0)
  t.match(run.err.join(''), 'msg="received SIGINT/SIGTERM; exiting gracefully..." signal=SIGINT\n')
  t.match(run.err.join(''), 'level=warn msg="--web.local-assets is not read: the status page is built in" path=/usr/share/prometheus/pushgateway\n')
})

t.test('a last snapshot that cannot be written: exit 1, and the log says why', async t => {
  const dir = t.testdir()
  const run = io()
  const exit = runCli(['--web.listen-address=127.0.0.1:0', `--persistence.file=${dir}/pg.data`, '--persistence.interval=1h'], run.io)
  await until(() => run.err.join('').includes('Listening on'), 'it listens')
  rmSync(dir, { recursive: true })
  run.io.signals.emit('SIGTERM', 'SIGTERM')
  t.equal(await exit, 1)
  t.match(run.err.join(''), /level=error msg="shutdown incomplete" err="could not write the last snapshot to the persistence file .*pg\.data: ENOENT/)
})

t.test('/-/quit with --web.enable-lifecycle exits 0', async t => {
  const run = io()
  const exit = runCli(['--web.listen-address=127.0.0.1:0', '--web.enable-lifecycle'], run.io)
  await until(() => run.err.join('').includes('Listening on'), 'it listens')
  const address = /msg="Listening on" address=(\S+)\n/.exec(run.err.join(''))?.[1] as string
  const answer = await fetch(`http://${address}/-/quit`, { method: 'POST' })
  t.same([answer.status, await answer.text()], [200, 'Requesting termination... Goodbye!'])
  t.equal(await exit, 0)
  t.equal(run.io.signals.listenerCount('SIGTERM') + run.io.signals.listenerCount('SIGINT'), 0, 'signal handlers removed')
  t.match(run.err.join(''), 'level=warn msg="received termination request via web service, exiting gracefully..."\n')
})

t.test('--web.workers above 1: the primary forks, passes SIGTERM on as a message, exits with the workers', async t => {
  const run = io()
  const workers: Array<EventEmitter & { id: number, sent: string[], send: (message: string) => boolean }> = []
  const fork = (): PoolWorker => {
    const worker = Object.assign(new EventEmitter(), { id: workers.length + 1, sent: [] as string[], send (message: string) { this.sent.push(message); return true } })
    workers.push(worker)
    return worker
  }
  const exit = runCli(['--web.workers=2', '--store.redis-url=redis://127.0.0.1:1', '--web.local-assets=/assets'], { ...run.io, fork })
  t.equal(workers.length, 2)
  run.io.signals.emit('SIGTERM', 'SIGTERM')
  t.same(workers.map(worker => worker.sent), [[STOP_MESSAGE], [STOP_MESSAGE]])
  for (const worker of workers) worker.emit('exit', 0, null)
  t.equal(await exit, 0)
  t.match(run.err.join(''), 'level=info msg="starting workers" workers=2\n')
  t.match(run.err.join(''), 'level=warn msg="--web.local-assets is not read: the status page is built in" path=/assets\n', 'warned once, by the primary')
  t.notMatch(run.err.join(''), 'Listening on', 'the primary does not listen')
})

t.test('a worker logs its id, stops when its primary asks, and ignores a signal that comes too', async t => {
  const run = io()
  const messages = new EventEmitter()
  const exit = runCli(['--web.listen-address=127.0.0.1:0', '--web.local-assets=/assets'], { ...run.io, worker: { id: 2, messages } })
  await until(() => run.err.join('').includes('Listening on'), 'it listens')
  t.match(run.err.join(''), /level=info msg="Listening on" worker=2 address=127\.0\.0\.1:\d+\n/)
  t.notMatch(run.err.join(''), 'local-assets', 'the primary warns, not each worker')
  messages.emit('message', 'something else')
  messages.emit('message', STOP_MESSAGE)
  run.io.signals.emit('SIGINT', 'SIGINT')
  t.equal(run.io.signals.listenerCount('SIGINT'), 1, 'a worker keeps ignoring signals until it exits')
  t.equal(await exit, 0)
  t.match(run.err.join(''), 'level=info msg="asked by the primary to stop; exiting gracefully..." worker=2\n')
  t.notMatch(run.err.join(''), 'received SIGINT/SIGTERM')
  t.equal(run.io.signals.listenerCount('SIGTERM') + run.io.signals.listenerCount('SIGINT') + messages.listenerCount('message'), 0, 'handlers removed')
})

t.test('a worker: a signal first, then the primary\'s message; a stop asked before it listens', async t => {
  const signalled = io()
  const messages = new EventEmitter()
  const exit = runCli(['--web.listen-address=127.0.0.1:0'], { ...signalled.io, worker: { id: 1, messages } })
  await until(() => signalled.err.join('').includes('Listening on'), 'it listens')
  signalled.io.signals.emit('SIGTERM', 'SIGTERM')
  signalled.io.signals.emit('SIGTERM', 'SIGTERM')
  messages.emit('message', STOP_MESSAGE)
  t.equal(await exit, 0)
  t.equal(signalled.err.join('').split('exiting gracefully').length, 2, 'one stop logged')

  const early = io()
  const earlyMessages = new EventEmitter()
  const earlyExit = runCli(['--web.listen-address=127.0.0.1:0'], { ...early.io, worker: { id: 3, messages: earlyMessages } })
  earlyMessages.emit('message', STOP_MESSAGE)
  t.equal(await earlyExit, 0, 'it starts, then stops')
  t.match(early.err.join(''), /msg="asked by the primary to stop; exiting gracefully\.\.\." worker=3\n.*msg="HTTP server stopped" worker=3\n/s)
})

t.test('a worker that cannot start exits 1 and leaves no handlers behind', async t => {
  const run = io()
  const messages = new EventEmitter()
  t.equal(await runCli(['--web.listen-address=bad'], { ...run.io, worker: { id: 1, messages } }), 1)
  t.match(run.err.join(''), 'level=error msg="could not start" worker=1 err=')
  t.equal(run.io.signals.listenerCount('SIGTERM') + run.io.signals.listenerCount('SIGINT') + messages.listenerCount('message'), 0)
})

// The binary itself, run from source with the test's own loader (process.execArgv), so its coverage counts.
function spawnCli (args: string[]): ChildProcess {
  return fork(CLI, args, { execArgv: process.execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
}

async function output (child: ChildProcess): Promise<{ code: number | null, stdout: string, stderr: string }> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stdout, stderr }
}

// Few runs of the binary: each one compiles the TypeScript sources again (about 3 s); runCli above covers the rest.
t.test('the binary: --version, a bad flag', async t => {
  const version = await output(spawnCli(['--version']))
  t.equal(version.code, 0)
  t.match(version.stdout, `pushgateway-middleware, version ${VERSION}\n`)
  const bad = await output(spawnCli(['--nope']))
  t.equal(bad.code, 1)
  t.equal(bad.stderr, "pushgateway-middleware: error: unknown long flag '--nope', try --help\n")
  t.equal(bad.stdout, '')
})

t.test('the binary starts, serves, and on SIGTERM exits 0 after the push in flight', async t => {
  const child = spawnCli(['--web.listen-address=127.0.0.1:0'])
  t.teardown(() => { child.kill('SIGKILL') })
  const exited = output(child)
  let log = ''
  child.stderr?.on('data', (chunk: Buffer) => { log += chunk.toString() })
  await until(() => /msg="Listening on" address=\S+\n/.test(log) || child.exitCode !== null, 'the binary listens')
  const address = /msg="Listening on" address=(\S+)\n/.exec(log)?.[1] as string
  t.match(address, /^127\.0\.0\.1:\d+$/, 'the bound address is in the log')
  t.equal((await fetch(`http://${address}/metrics/job/bin`, { method: 'PUT', body: 'm 1\n' })).status, 200)
  t.match(await (await fetch(`http://${address}/metrics`)).text(), 'm{instance="",job="bin"} 1\n')
  const status = slowPush(address, async () => {
    child.kill('SIGTERM')
    await until(() => log.includes('received SIGINT/SIGTERM'), 'the binary got SIGTERM')
  })
  t.equal(await status, 200, 'the push that was uploading when SIGTERM came completed')
  const { code, stderr } = await exited
  t.equal(code, 0)
  t.match(stderr, /level=info msg="received SIGINT\/SIGTERM; exiting gracefully..." signal=SIGTERM\n.*level=info msg="HTTP server stopped"\n/s)
})
