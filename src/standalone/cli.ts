#!/usr/bin/env node
import cluster from 'node:cluster'
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { EventEmitter } from 'node:events'
import { FlagError, manPage, parseArgs, usage } from './flags.js'
import { createLogger } from '../log.js'
import { startServer, type RunningServer } from './server.js'
import { VERSION } from '../version.js'
import { STOP_MESSAGE, runPrimary, withFields, type PoolWorker } from './workers.js'

/** Where the command line writes, and what it listens to for signals. */
export interface CliIo {
  /** Standard output (help, version). */
  stdout: (text: string) => void
  /** Standard error (logs, flag errors). */
  stderr: (text: string) => void
  /** Emits `SIGTERM` and `SIGINT`; `process` in the real binary. */
  signals: EventEmitter
  /** Set in a worker of `--web.workers`: its id, and where its primary's messages arrive (`process`). Default: not a worker. */
  worker?: { id: number, messages: EventEmitter } | undefined
  /** Starts a worker, for `--web.workers` above 1. Default: `cluster.fork()`. */
  fork?: (() => PoolWorker) | undefined
}

/**
 * Runs the standalone server with the Go binary's flags until SIGTERM, SIGINT or `/-/quit`, and
 * resolves with the exit code: 0 after a graceful shutdown (or `--help`, `--version`), 1 for a
 * bad command line (`pushgateway-middleware: error: …, try --help` on stderr), a failed start, or a
 * last snapshot that could not be written. With `--web.workers` above 1 it is the primary of that
 * many workers (see `runPrimary`), each running the server with `worker=<id>` in its logs and
 * stopping when the primary sends `STOP_MESSAGE`, as for SIGTERM.
 */
export async function runCli (argv: readonly string[], io: CliIo): Promise<number> {
  let parsed
  try {
    parsed = parseArgs(argv)
  } catch (err) {
    // parseArgs throws FlagErrors only.
    io.stderr(`pushgateway-middleware: error: ${(err as FlagError).message}, try --help\n`)
    return 1
  }
  if (parsed.command === 'help' || parsed.command === 'man') {
    io.stdout(parsed.command === 'help' ? usage() : manPage())
    return 0
  }
  if (parsed.command === 'version') {
    io.stdout(`pushgateway-middleware, version ${VERSION}\n  node version:     ${process.version}\n  platform:         ${process.platform}/${process.arch}\n`)
    return 0
  }
  const base = createLogger({ level: parsed.flags.logLevel, format: parsed.flags.logFormat, write: io.stderr })
  const worker = io.worker
  if (parsed.flags.localAssets !== '' && worker === undefined) base.warn({ path: parsed.flags.localAssets }, '--web.local-assets is not read: the status page is built in')
  if (parsed.flags.workers > 1 && worker === undefined) return runPrimary(parsed.flags.workers, io.fork ?? (() => cluster.fork()), base, io.signals)
  const logger = worker === undefined ? base : withFields(base, { worker: worker.id })
  let server: RunningServer | undefined
  let stopped = false
  const close = (): void => {
    if (stopped) return
    stopped = true
    // A single process leaves a second SIGINT or SIGTERM to Node's default, an immediate exit. A
    // worker ignores it: the terminal's or systemd's signal reaches it besides the primary's
    // message; a second one kills the primary, and a worker whose primary is gone exits.
    if (worker === undefined) unwire()
    server?.close().catch(() => {}) // reported through `closed`
  }
  const stop = (signal: string): void => {
    if (!stopped) logger.info({ signal }, 'received SIGINT/SIGTERM; exiting gracefully...')
    close()
  }
  const onMessage = (message: unknown): void => {
    if (message !== STOP_MESSAGE || stopped) return
    logger.info('asked by the primary to stop; exiting gracefully...')
    close()
  }
  const wire = (): void => {
    io.signals.on('SIGTERM', stop)
    io.signals.on('SIGINT', stop)
  }
  const unwire = (): void => {
    io.signals.off('SIGTERM', stop)
    io.signals.off('SIGINT', stop)
    worker?.messages.off('message', onMessage)
  }
  // A worker listens from the start: the primary may ask it to stop before it listens.
  if (worker !== undefined) {
    wire()
    worker.messages.on('message', onMessage)
  }
  try {
    server = await startServer(parsed.flags, logger)
  } catch (err) {
    unwire()
    logger.error({ err: (err as Error).message }, 'could not start')
    return 1
  }
  if (worker === undefined) wire()
  else if (stopped) server.close().catch(() => {})
  const failure = await server.closed
  unwire()
  if (failure === undefined) return 0
  logger.error({ err: failure.message }, 'shutdown incomplete')
  return 1
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const worker = cluster.worker
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: text => process.stdout.write(text),
    stderr: text => process.stderr.write(text),
    signals: process,
    worker: worker === undefined ? undefined : { id: worker.id, messages: process }
  })
  // A worker's channel to its primary would keep it running; process.disconnect() would make it exit 0.
  worker?.disconnect()
}
