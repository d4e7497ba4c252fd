import type { EventEmitter } from 'node:events'
import type { LogFields, LogFn, Logger } from '../log.js'

/**
 * The message the primary sends a worker to stop it gracefully. A message rather than a signal:
 * SIGINT from a terminal, or SIGTERM from systemd, reaches the workers as well as the primary, and
 * a worker's second signal would stop it at once.
 */
export const STOP_MESSAGE = 'pushgateway-middleware:stop'

/** A worker process as the primary sees it; a `node:cluster` `Worker` is one. */
export interface PoolWorker {
  /** The worker's id, 1 for the first. */
  readonly id: number
  /** Sends the worker a message over its IPC channel. */
  send (message: string): boolean
  /** Listens for the worker's exit: its exit code, or the signal that ended it. */
  on (event: 'exit', listener: (code: number | null, signal: string | null) => void): unknown
  /** Listens for errors of its IPC channel, such as a message sent as it exits. */
  on (event: 'error', listener: (err: Error) => void): unknown
}

/**
 * Runs the primary of `count` workers, each made by `fork` (`cluster.fork` in the binary), which
 * share the listening sockets. SIGTERM or SIGINT on `signals` (the first one; a second one gets
 * Node's default, an immediate exit) is passed on to every worker as `STOP_MESSAGE`. A worker
 * that exits while the primary is not stopping stops the others: one that exited 0 (`/-/quit`,
 * a signal of its own) is logged at info, one that crashed or exited non-zero at error; none is
 * restarted, so that a service manager sees the failure as it would see a single process's.
 * Resolves once every worker has exited, with 0 if each exited 0, otherwise 1.
 */
export async function runPrimary (count: number, fork: () => PoolWorker, log: Logger, signals: EventEmitter): Promise<number> {
  log.info({ workers: count }, 'starting workers')
  const alive = new Set<PoolWorker>()
  let stopping = false
  let failed = false
  const stopAll = (): void => {
    stopping = true
    for (const worker of alive) worker.send(STOP_MESSAGE)
  }
  const stop = (signal: string): void => {
    unwire()
    log.info({ signal }, 'received SIGINT/SIGTERM; stopping the workers...')
    stopAll()
  }
  const unwire = (): void => {
    signals.off('SIGTERM', stop)
    signals.off('SIGINT', stop)
  }
  signals.on('SIGTERM', stop)
  signals.on('SIGINT', stop)
  return new Promise(resolve => {
    for (let i = 0; i < count; i++) {
      const worker = fork()
      alive.add(worker)
      worker.on('error', err => { log.debug({ worker: worker.id, err: err.message }, 'worker channel error') })
      worker.on('exit', (code, signal) => {
        alive.delete(worker)
        const how: LogFields = signal === null ? { worker: worker.id, code: code as number } : { worker: worker.id, signal }
        if (code !== 0) failed = true
        if (stopping) {
          log.info(how, 'worker exited')
        } else {
          if (code === 0) log.info(how, 'worker exited; stopping the others')
          else log.error(how, 'worker exited unexpectedly; stopping the others')
          stopAll()
        }
        if (alive.size > 0) return
        unwire()
        resolve(failed ? 1 : 0)
      })
    }
  })
}

/** `log` with `fields` (such as `{ worker: 2 }`) on every line, before the line's own. */
export function withFields (log: Logger, fields: LogFields): Logger {
  // Called as methods, for loggers such as pino's that need their `this`.
  const at = (level: keyof Logger): LogFn => function logWith (first: LogFields | string, msg?: string): void {
    if (typeof first === 'string') log[level](fields, first)
    else log[level]({ ...fields, ...first }, msg as string)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
