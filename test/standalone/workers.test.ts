import t from 'tap'
import { EventEmitter } from 'node:events'
import { STOP_MESSAGE, runPrimary, withFields, type PoolWorker } from '../../src/standalone/workers.js'
import { createLogger, type LogFields, type Logger } from '../../src/log.js'

class FakeWorker extends EventEmitter implements PoolWorker {
  readonly sent: string[] = []
  constructor (readonly id: number) {
    super()
  }

  send (message: string): boolean {
    this.sent.push(message)
    return true
  }

  exit (code: number | null, signal: string | null = null): void {
    this.emit('exit', code, signal)
  }
}

function primary (count: number) {
  const workers: FakeWorker[] = []
  const lines: string[] = []
  const signals = new EventEmitter()
  const log = createLogger({ level: 'debug', write: line => { lines.push(line) } })
  const exit = runPrimary(count, () => {
    const worker = new FakeWorker(workers.length + 1)
    workers.push(worker)
    return worker
  }, log, signals)
  return { workers, lines, signals, exit, log: () => lines.join('') }
}

t.test('forks the workers; SIGTERM stops each with a message; exits 0 when all exited 0', async t => {
  const run = primary(3)
  t.equal(run.workers.length, 3)
  t.match(run.log(), 'level=info msg="starting workers" workers=3\n')
  t.same(run.workers.map(worker => worker.sent), [[], [], []], 'nothing sent before a signal')
  run.signals.emit('SIGTERM', 'SIGTERM')
  t.equal(run.signals.listenerCount('SIGTERM') + run.signals.listenerCount('SIGINT'), 0, 'a second signal is left to Node')
  t.same(run.workers.map(worker => worker.sent), [[STOP_MESSAGE], [STOP_MESSAGE], [STOP_MESSAGE]])
  for (const worker of run.workers) worker.exit(0)
  t.equal(await run.exit, 0)
  t.match(run.log(), 'level=info msg="received SIGINT/SIGTERM; stopping the workers..." signal=SIGTERM\n')
  t.match(run.log(), 'level=info msg="worker exited" worker=3 code=0\n')
})

t.test('SIGINT too; a worker that fails to stop cleanly makes the exit code 1', async t => {
  const run = primary(2)
  run.signals.emit('SIGINT', 'SIGINT')
  run.workers[0]?.exit(1)
  run.workers[1]?.exit(null, 'SIGKILL')
  t.equal(await run.exit, 1)
  t.match(run.log(), 'level=info msg="worker exited" worker=1 code=1\n')
  t.match(run.log(), 'level=info msg="worker exited" worker=2 signal=SIGKILL\n')
})

t.test('a worker that exits 0 by itself (/-/quit) stops the others; exit 0', async t => {
  const run = primary(3)
  run.workers[1]?.exit(0)
  t.match(run.log(), 'level=info msg="worker exited; stopping the others" worker=2 code=0\n')
  t.same(run.workers.map(worker => worker.sent), [[STOP_MESSAGE], [], [STOP_MESSAGE]], 'only to the workers still running')
  run.workers[0]?.exit(0)
  run.workers[2]?.exit(0)
  t.equal(await run.exit, 0)
  t.equal(run.signals.listenerCount('SIGTERM') + run.signals.listenerCount('SIGINT'), 0, 'signal handlers removed')
})

t.test('a worker that crashes stops the others and the primary exits 1; it is not restarted', async t => {
  const run = primary(2)
  run.workers[0]?.emit('error', new Error('channel closed'))
  t.match(run.log(), 'level=debug msg="worker channel error" worker=1 err="channel closed"\n')
  run.workers[0]?.exit(null, 'SIGSEGV')
  t.match(run.log(), 'level=error msg="worker exited unexpectedly; stopping the others" worker=1 signal=SIGSEGV\n')
  t.same(run.workers[1]?.sent, [STOP_MESSAGE])
  run.workers[1]?.exit(0)
  t.equal(await run.exit, 1)
  t.equal(run.workers.length, 2, 'no worker forked again')

  const failed = primary(2)
  failed.workers[1]?.exit(1)
  t.match(failed.log(), 'level=error msg="worker exited unexpectedly; stopping the others" worker=2 code=1\n')
  failed.workers[0]?.exit(0)
  t.equal(await failed.exit, 1)
})

t.test('withFields puts fields on every line and calls the logger\'s methods as methods', async t => {
  const lines: string[] = []
  const log = withFields(createLogger({ level: 'debug', format: 'json', write: line => { lines.push(line) }, now: () => new Date(0) }), { worker: 2 })
  log.debug('plain')
  log.info({ address: ':9091' }, 'Listening on')
  log.warn({ worker: 3 }, 'its own fields win')
  log.error('bad')
  t.same(lines.map(line => JSON.parse(line) as unknown), [
    { ts: '1970-01-01T00:00:00.000Z', level: 'debug', msg: 'plain', worker: 2 },
    { ts: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'Listening on', worker: 2, address: ':9091' },
    { ts: '1970-01-01T00:00:00.000Z', level: 'warn', msg: 'its own fields win', worker: 3 },
    { ts: '1970-01-01T00:00:00.000Z', level: 'error', msg: 'bad', worker: 2 }
  ])
  const calls: Array<[string, LogFields, string]> = []
  // Like pino: the methods need their object.
  const pinoLike = {
    calls,
    debug (this: { calls: typeof calls }, fields: LogFields, msg: string) { this.calls.push(['debug', fields, msg]) },
    info (this: { calls: typeof calls }, fields: LogFields, msg: string) { this.calls.push(['info', fields, msg]) },
    warn (this: { calls: typeof calls }, fields: LogFields, msg: string) { this.calls.push(['warn', fields, msg]) },
    error (this: { calls: typeof calls }, fields: LogFields, msg: string) { this.calls.push(['error', fields, msg]) }
  }
  withFields(pinoLike as unknown as Logger, { worker: 1 }).info('hello')
  t.same(calls, [['info', { worker: 1 }, 'hello']])
})
