import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { stopProcess, untilReady } from './processes.js'

/** A running reference Pushgateway. */
export interface ReferenceGateway {
  /** `http://127.0.0.1:<port>`. */
  base: string
  /** What it logged, for failure messages. */
  log: () => string
  /** Stops it and waits for it to exit. */
  close: () => Promise<void>
}

/** A loopback port nothing listens on right now. */
export async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
    })
  })
}

/**
 * Starts `prometheus-pushgateway` on a free loopback port with no persistence file (Debian's
 * build has one by default) and the admin API on, plus `args`, and waits until it is ready.
 */
export async function startReference (binary: string, args: string[] = []): Promise<ReferenceGateway> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const child = spawn(binary, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--web.enable-admin-api', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => { log += text })
    child.stderr.setEncoding('utf8').on('data', (text: string) => { log += text })
    // 'close' comes after the exit and the end of both pipes: then the log is complete.
    const closed = new Promise<void>(resolve => { child.once('close', () => { resolve() }) })
    const base = `http://127.0.0.1:${port}`
    if (await untilReady(child, base)) return { base, log: () => log, close: async () => { await stopProcess(child) } }
    await stopProcess(child)
    await closed
    // Another process may have taken the port between freePort() and the bind: only that is
    // worth another try. A gateway that is slow or broken fails here, with what it logged.
    const clash = /address already in use|EADDRINUSE/i.test(log)
    if (!clash || attempt === 3) {
      throw new Error(`the reference Pushgateway did not start${clash ? ` (port clash ${attempt} times)` : ''}:\n${log}`)
    }
  }
}
