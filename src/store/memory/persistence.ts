import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Logger } from '../../log.js'
import { SYSTEM_CLOCK, type Clock } from '../../clock.js'
import { SnapshotError, decodeSnapshot, isSnapshot, snapshotLines } from './snapshot.js'
import type { GroupView } from '../store.js'

/** Options of a SnapshotFile. */
export interface SnapshotFileOptions {
  /** Path of the snapshot file; its directory must exist. Required. */
  file: string
  /** Minimum time between two writes after a change, in milliseconds (validated by the caller). Required. */
  intervalMs: number
  /** What to write, called at write time. Required. */
  groups: () => Iterable<GroupView>
  /** Where load failures, write failures and (at debug level) writes are logged. Required. */
  log: Logger
  /** The clock for the snapshot header and the names of files set aside. Default: the system clock. */
  now?: (() => Date) | undefined
  /** The monotonic clock and timers that space the writes. Default: the system's. */
  clock?: Clock | undefined
  /** Told of every write's outcome: `undefined` when the snapshot is on disk, the error otherwise. Default: none. */
  onWritten?: ((error: unknown) => void) | undefined
}

// A write goes to the file in pieces of about this size, so that a large snapshot is never one
// string and the event loop serves requests between the pieces.
const WRITE_BATCH = 1024 * 1024

// A failing disk is retried at most this often, even with a shorter interval.
const MIN_RETRY_MS = 1000
// Directory fsync is not supported everywhere (Windows, some file systems); these say so.
const UNSYNCABLE_DIRECTORY = new Set(['EISDIR', 'EINVAL', 'EPERM', 'ENOTSUP'])
const REASON = /^[a-z][a-z0-9-]*$/

/**
 * The persistence file of a store: loads it at start, writes it atomically at most once per
 * interval after changes and once more on close. A file that cannot be loaded is set aside under
 * a name that says why, never overwritten.
 */
export class SnapshotFile {
  readonly #file: string
  readonly #dir: string
  readonly #tempPrefix: string
  readonly #intervalMs: number
  readonly #groups: () => Iterable<GroupView>
  readonly #log: Logger
  readonly #now: () => Date
  readonly #clock: Clock
  readonly #onWritten: (error: unknown) => void
  // When the last write started, on the monotonic clock; a write counts from construction.
  #lastWriteAt: number
  #lastError: unknown
  #dirty = false
  #cancelTimer: (() => void) | undefined
  #inFlight: Promise<void> | undefined
  #queued: Promise<void> | undefined
  #closing: Promise<void> | undefined

  constructor (options: SnapshotFileOptions) {
    this.#file = options.file
    this.#dir = dirname(options.file)
    this.#tempPrefix = `${basename(options.file)}.tmp-`
    this.#intervalMs = options.intervalMs
    this.#groups = options.groups
    this.#log = options.log
    this.#now = options.now ?? (() => new Date())
    this.#clock = options.clock ?? SYSTEM_CLOCK
    this.#onWritten = options.onWritten ?? (() => {})
    this.#lastWriteAt = this.#clock.now()
  }

  /**
   * Reads the groups of the file, synchronously, after removing temporary files a crash left.
   * A missing file gives no groups; a snapshot of ours that cannot be decoded is set aside,
   * logged at error level, and gives no groups. Throws, touching nothing, for a file that cannot
   * be read or is not a snapshot of ours (the path may name someone else's file), and when a
   * snapshot cannot be set aside.
   */
  load (): GroupView[] {
    this.#removeStaleTemps()
    let data: Buffer
    try {
      data = readFileSync(this.#file)
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return []
      throw new Error(`could not read the persistence file ${this.#file}: ${describe(err)}; it was left as it is`, { cause: err })
    }
    if (!isSnapshot(data)) {
      throw new Error(`the persistence file ${this.#file} is not a pushgateway-middleware snapshot; it was left as it is: move it away or choose another file`)
    }
    try {
      return decodeSnapshot(data)
    } catch (err) {
      /* c8 ignore next */
      if (!(err instanceof SnapshotError)) throw err
      this.#moveAside(err.reason, err.message, 'could not load the persistence file; it was set aside and the gateway starts empty')
      return []
    }
  }

  /**
   * Renames the file aside, synchronously, to `<file>.<reason>-<time>`, and logs at error level
   * with the cause; for a file whose groups were refused after loading. Throws when it cannot.
   */
  setAside (reason: string, cause: string): void {
    if (!REASON.test(reason)) throw new Error(`the reason must be lower-case letters, digits and dashes, got ${JSON.stringify(reason)}`)
    this.#moveAside(reason, cause, 'the persistence file was set aside; the next write starts a new one')
  }

  /** Notes that the groups changed: schedules a write at the earliest one interval after the last one. */
  changed (): void {
    if (this.#closing !== undefined) return
    this.#dirty = true
    this.#schedule()
  }

  /**
   * Writes a snapshot now, atomically; after a write in flight if there is one. Never rejects:
   * a failure is logged at error level and the write is retried after the interval.
   */
  write (): Promise<void> {
    if (this.#queued !== undefined) return this.#queued
    if (this.#inFlight === undefined) return this.#start()
    const queued = this.#inFlight.then(async () => {
      this.#queued = undefined
      await this.#start()
    })
    this.#queued = queued
    return queued
  }

  /**
   * Stops scheduling and writes a last snapshot, after a write in flight; rejects when that
   * snapshot could not be written. A second call returns the same promise.
   */
  close (): Promise<void> {
    this.#closing ??= this.write().then(() => {
      if (this.#lastError !== undefined) throw new Error(`could not write the last snapshot to the persistence file ${this.#file}: ${describe(this.#lastError)}`, { cause: this.#lastError })
    })
    return this.#closing
  }

  /** Resolves once no write is in flight or queued (a scheduled one that has not started does not count). */
  async idle (): Promise<void> {
    while (this.#inFlight !== undefined) await (this.#queued ?? this.#inFlight)
  }

  #start (): Promise<void> {
    const writing = this.#writeSnapshot().then(() => {
      this.#inFlight = undefined
      if (this.#dirty && this.#closing === undefined) this.#schedule()
    })
    this.#inFlight = writing
    return writing
  }

  #schedule (): void {
    if (this.#cancelTimer !== undefined || this.#inFlight !== undefined || this.#queued !== undefined) return
    const spacing = this.#lastError === undefined ? this.#intervalMs : Math.max(this.#intervalMs, MIN_RETRY_MS)
    this.#cancelTimer = this.#clock.after(this.#lastWriteAt + spacing - this.#clock.now(), () => {
      this.#cancelTimer = undefined
      // eslint-disable-next-line no-void -- write() never rejects
      void this.write()
    })
  }

  async #writeSnapshot (): Promise<void> {
    this.#unschedule()
    this.#lastWriteAt = this.#clock.now()
    try {
      const groups = [...this.#groups()]
      // Only now: a change made while the groups were read (an expiry) is in this snapshot; a change
      // made while it is written marks it dirty again.
      this.#unschedule()
      this.#dirty = false
      const bytes = await this.#replaceFile(snapshotLines(groups, this.#now()))
      this.#lastError = undefined
      this.#log.debug({ file: this.#file, groups: groups.length, bytes, ms: Math.round(this.#clock.now() - this.#lastWriteAt) }, 'metrics persisted')
    } catch (err) {
      this.#dirty = true
      this.#lastError = err
      this.#log.error({ file: this.#file, err: describe(err) }, 'error persisting metrics')
    }
    this.#onWritten(this.#lastError)
  }

  #unschedule (): void {
    this.#cancelTimer?.()
    this.#cancelTimer = undefined
  }

  // Write a temporary file, make it durable, rename it over the file, make the rename durable.
  async #replaceFile (lines: Iterable<string>): Promise<number> {
    const temp = join(this.#dir, `${this.#tempPrefix}${process.pid}-${randomBytes(8).toString('hex')}`)
    let bytes
    try {
      bytes = await writeDurably(temp, lines)
      await rename(temp, this.#file)
    } catch (err) {
      await this.#removeTemp(temp)
      throw err
    }
    await syncDirectory(this.#dir)
    return bytes
  }

  async #removeTemp (temp: string): Promise<void> {
    try {
      await rm(temp, { force: true })
    } catch (err) {
      this.#log.error({ file: temp, err: describe(err) }, 'could not remove a temporary persistence file')
    }
  }

  #removeStaleTemps (): void {
    let names: string[]
    try {
      names = readdirSync(this.#dir)
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') this.#log.warn({ dir: this.#dir, err: describe(err) }, 'could not look for stale temporary persistence files')
      return
    }
    for (const name of names.filter(n => n.startsWith(this.#tempPrefix))) {
      const path = join(this.#dir, name)
      try {
        unlinkSync(path)
      } catch (err) {
        this.#log.warn({ file: path, err: describe(err) }, 'could not remove a stale temporary persistence file')
      }
    }
  }

  #moveAside (reason: string, cause: string, msg: string): void {
    const aside = this.#asideName(reason)
    try {
      renameSync(this.#file, aside)
    } catch (err) {
      this.#log.error({ file: this.#file, movedTo: aside, reason, cause, err: describe(err) }, 'could not set the persistence file aside; refusing to go on rather than overwrite it later')
      throw new Error(`could not rename the persistence file ${this.#file} to ${aside}: ${describe(err)}`, { cause: err })
    }
    this.#log.error({ file: this.#file, movedTo: aside, reason, err: cause }, msg)
  }

  // `<file>.<reason>-<ISO time with colons as dashes>`, with a counter if that name is taken.
  #asideName (reason: string): string {
    const base = `${this.#file}.${reason}-${this.#now().toISOString().replaceAll(':', '-')}`
    let name = base
    for (let n = 1; existsSync(name); n++) name = `${base}-${n}`
    return name
  }
}

/**
 * What is wrong with a path for a snapshot file, or `undefined`: its directory must exist, and the
 * path must not be a directory (which a load failure would otherwise set aside, contents and all).
 */
export function snapshotPathProblem (file: string): string | undefined {
  const dir = dirname(file)
  let stats
  try {
    stats = statSync(dir)
  } catch (err) {
    return `its directory ${dir} cannot be used: ${describe(err)}`
  }
  if (!stats.isDirectory()) return `${dir} is not a directory`
  try {
    if (statSync(file).isDirectory()) return `${file} is a directory`
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') return `it cannot be used: ${describe(err)}`
  }
  return undefined
}

// Writes the lines in batches (each write awaited, so requests are served between them) and syncs.
async function writeDurably (path: string, lines: Iterable<string>): Promise<number> {
  const handle = await open(path, 'wx', 0o600)
  let bytes = 0
  try {
    let batch: string[] = []
    let batchLength = 0
    for (const line of lines) {
      batch.push(line)
      batchLength += line.length
      if (batchLength < WRITE_BATCH) continue
      bytes += await writeBatch(handle, batch)
      batch = []
      batchLength = 0
    }
    bytes += await writeBatch(handle, batch)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return bytes
}

async function writeBatch (handle: FileHandle, batch: readonly string[]): Promise<number> {
  const data = Buffer.from(batch.join(''), 'utf8')
  await handle.writeFile(data)
  return data.length
}

async function syncDirectory (dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch (err) {
    if (!UNSYNCABLE_DIRECTORY.has(errorCode(err) ?? '')) throw err
  } finally {
    await handle?.close()
  }
}

function errorCode (err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code
}

function describe (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
