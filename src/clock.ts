/** Monotonic time and timers, injectable so that tests move time instead of waiting for it. */
export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now (): number
  /** Calls `fn` once after `ms` milliseconds without keeping the process alive; returns a function that cancels the call. */
  after (ms: number, fn: () => void): () => void
}

// setTimeout fires at once for longer delays; firing after 24.8 days instead of later is harmless.
const MAX_TIMER_MS = 2 ** 31 - 1

/** The system's monotonic clock (`performance.now()`) and unref'ed timers. */
export const SYSTEM_CLOCK: Clock = Object.freeze({
  now: () => performance.now(),
  after (ms: number, fn: () => void): () => void {
    const timer = setTimeout(fn, Math.min(Math.max(ms, 0), MAX_TIMER_MS))
    timer.unref()
    return () => { clearTimeout(timer) }
  }
})

/** Resolves on a later turn of the event loop, after pending I/O: long work awaits it between slices so that other requests run. */
export async function nextTurn (): Promise<void> {
  await new Promise<void>(resolve => setImmediate(resolve))
}

/**
 * Paces long work in batches: `spent()` counts units of work and says when a batch of them was
 * done since the last `rest()`, which awaits `pause` (default: the next turn of the event loop)
 * and starts the next batch.
 */
export class Pacer {
  readonly #batch: number
  readonly #pause: () => Promise<void>
  #left: number

  constructor (batch: number, pause: () => Promise<void> = nextTurn) {
    this.#batch = batch
    this.#pause = pause
    this.#left = batch
  }

  /** Counts `units` of work (default 1); true once the batch is done, when the caller should `rest()`. */
  spent (units = 1): boolean {
    this.#left -= units
    return this.#left <= 0
  }

  /** Awaits the pause and starts the next batch. */
  async rest (): Promise<void> {
    await this.#pause()
    this.#left = this.#batch
  }
}
