import type { Clock } from '../../src/clock.js'

/** A clock that stands still until a test moves it; due callbacks run in time order as it moves. */
export class FakeClock implements Clock {
  #now = 0
  #timers: Array<{ at: number, fn: () => void, id: number }> = []
  #ids = 0

  now (): number {
    return this.#now
  }

  after (ms: number, fn: () => void): () => void {
    const id = ++this.#ids
    this.#timers.push({ at: this.#now + Math.max(ms, 0), fn, id })
    return () => { this.#timers = this.#timers.filter(timer => timer.id !== id) }
  }

  /** How many callbacks wait. */
  get pending (): number {
    return this.#timers.length
  }

  /** When the next callback is due, or undefined. */
  get nextAt (): number | undefined {
    return this.#timers.reduce<number | undefined>((min, timer) => min === undefined || timer.at < min ? timer.at : min, undefined)
  }

  /** Moves time forward by `ms`, running each callback that falls due, earliest first. */
  advance (ms: number): void {
    const end = this.#now + ms
    for (;;) {
      const due = this.#timers.filter(timer => timer.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (due === undefined) break
      this.#timers = this.#timers.filter(timer => timer !== due)
      this.#now = due.at
      due.fn()
    }
    this.#now = end
  }
}

/**
 * Waits until `condition` holds, checking after each turn of the event loop, and fails with
 * `what` when it has not held within `timeoutMs` (a deadline for a loaded machine, not a measure).
 */
export async function eventually (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}
