import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { send } from './http.js'

/** A running reference Pushgateway. */
export interface ReferenceGateway {
  /** `http://127.0.0.1:<port>`. */
  base: string
  /** What it logged, for failure messages. */
  log: () => string
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
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
    const base = `http://127.0.0.1:${port}`
    if (await ready(child, base)) return { base, log: () => log, close: async () => { await stop(child) } }
    await stop(child)
    // Another process may have taken the port between freePort() and the bind.
    if (attempt === 3) throw new Error(`the reference Pushgateway did not start:\n${log}`)
  }
}

async function ready (child: ChildProcess, base: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) return false
    try {
      if ((await send(base, { method: 'GET', path: '/-/ready' })).status === 200) return true
    } catch {}
    await sleep(25)
  }
  return false
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  child.kill('SIGTERM')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 5000)
  await exited
  clearTimeout(timer)
}
