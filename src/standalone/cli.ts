#!/usr/bin/env node
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { EventEmitter } from 'node:events'
import { FlagError, manPage, parseArgs, usage } from './flags.js'
import { createLogger } from '../log.js'
import { startServer } from './server.js'
import { VERSION } from '../version.js'

/** Where the command line writes, and what it listens to for signals. */
export interface CliIo {
  /** Standard output (help, version). */
  stdout: (text: string) => void
  /** Standard error (logs, flag errors). */
  stderr: (text: string) => void
  /** Emits `SIGTERM` and `SIGINT`; `process` in the real binary. */
  signals: EventEmitter
}

/**
 * Runs the standalone server with the Go binary's flags until SIGTERM, SIGINT or `/-/quit`, and
 * resolves with the exit code: 0 after a graceful shutdown (or `--help`, `--version`), 1 for a
 * bad command line (`pushgateway-middleware: error: …, try --help` on stderr), a failed start, or a
 * last snapshot that could not be written.
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
  const logger = createLogger({ level: parsed.flags.logLevel, format: parsed.flags.logFormat, write: io.stderr })
  if (parsed.flags.localAssets !== '') logger.warn({ path: parsed.flags.localAssets }, '--web.local-assets is not read: the status page is built in')
  let server
  try {
    server = await startServer(parsed.flags, logger)
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'could not start')
    return 1
  }
  // Only the first signal: a second SIGINT or SIGTERM gets Node's default, an immediate exit.
  const stop = (signal: string): void => {
    unwire()
    logger.info({ signal }, 'received SIGINT/SIGTERM; exiting gracefully...')
    server.close().catch(() => {}) // reported through `closed`
  }
  const unwire = (): void => {
    io.signals.off('SIGTERM', stop)
    io.signals.off('SIGINT', stop)
  }
  io.signals.on('SIGTERM', stop)
  io.signals.on('SIGINT', stop)
  const failure = await server.closed
  unwire()
  if (failure === undefined) return 0
  logger.error({ err: failure.message }, 'shutdown incomplete')
  return 1
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: text => process.stdout.write(text),
    stderr: text => process.stderr.write(text),
    signals: process
  })
}
