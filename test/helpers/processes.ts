import type { ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { send } from './http.js'

/**
 * Polls `GET <base>/-/ready` until it answers 200 (true), the process exits or the time is up
 * (false). The default deadline is generous: a cold start on a loaded machine is slow.
 */
export async function untilReady (child: ChildProcess, base: string, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await send(base, { method: 'GET', path: '/-/ready' })).status === 200) return true
    } catch {}
    await sleep(25)
  }
  return false
}

/** Stops a process this test started (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
export async function stopProcess (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  child.kill('SIGTERM')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 5000)
  await exited
  clearTimeout(timer)
}
