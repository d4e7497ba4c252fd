import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import * as fsPromises from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { SnapshotFile, type SnapshotFileOptions } from '../../../src/store/memory/persistence.js'
import { decodeSnapshot, encodeSnapshot } from '../../../src/store/memory/snapshot.js'
import type { LogFields, LogFn, Logger } from '../../../src/log.js'
import { SYSTEM_CLOCK } from '../../../src/clock.js'
import { FakeClock } from '../../helpers/clock.js'
import type { GroupView, StoredFamily } from '../../../src/store/store.js'
import type { MetricFamily } from '../../../src/exposition/types.js'

const NOW = new Date('2026-11-23T10:15:30.123Z')
const STAMP = '2026-11-23T10-15-30.123Z'
const LOAD_FAILED = 'could not load the persistence file; it was set aside and the gateway starts empty'

interface Line { level: keyof Logger, msg: string, fields: LogFields }

/** A logger that keeps its lines. */
function recorder (): Logger & { lines: Line[] } {
  const lines: Line[] = []
  const at = (level: keyof Logger): LogFn => (first: LogFields | string, msg?: string) => {
    lines.push(typeof first === 'string' ? { level, msg: first, fields: {} } : { level, msg: msg as string, fields: first })
  }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

function gauge (name: string, value: number): MetricFamily {
  return { name, type: 'gauge', metrics: [{ labels: [{ name: 'instance', value: '' }, { name: 'job', value: 'j' }], value }] }
}

function group (job: string, value = 1): GroupView {
  const family = gauge('m', value)
  return { labels: { job }, families: new Map([['m', { family, timeNs: 5n }]]), pushTimeNs: 5n, failureTimeNs: 0n }
}

/** A SnapshotFile over `groups`, counting the calls of its groups callback. */
function snapshotFile (options: Partial<SnapshotFileOptions> & { file: string }, groups: GroupView[] = [group('a')]) {
  const log = recorder()
  const calls = { count: 0 }
  const file = new SnapshotFile({
    intervalMs: 0,
    log,
    now: () => NOW,
    groups: () => {
      calls.count++
      return groups
    },
    ...options
  })
  return { snapshots: file, log, calls, groups }
}

function names (dir: string): string[] {
  return readdirSync(dir).sort()
}

function errorLines (log: { lines: Line[] }): Line[] {
  return log.lines.filter(line => line.level === 'error')
}

/** The value of `m` in the first group of the file, read without touching the directory. */
function firstValue (file: string): number | undefined {
  if (!existsSync(file)) return undefined
  return decodeSnapshot(readFileSync(file))[0]?.families.get('m')?.family.metrics[0]?.value
}

/** Asserts that load() set the file aside as `<file>.<reason>-<stamp>` with its bytes intact. */
function assertSetAside (t: Test, dir: string, reason: string, bytes?: Buffer): void {
  const file = join(dir, 'snap')
  const { snapshots, log } = snapshotFile({ file })
  t.strictSame(snapshots.load(), [], 'no groups')
  const aside = `${file}.${reason}-${STAMP}`
  t.notOk(existsSync(file), 'the file is gone from its place')
  t.ok(existsSync(aside), `renamed to ${aside}`)
  if (bytes !== undefined) t.strictSame(readFileSync(aside), bytes, 'with its bytes intact')
  t.match(errorLines(log), [{ msg: LOAD_FAILED, fields: { file, movedTo: aside, reason, err: String } }], 'one error line naming both paths and the cause')
  t.equal(log.lines.length, 1)
}

t.test('load', async t => {
  t.test('a missing file gives no groups, silently', async t => {
    const dir = t.testdir()
    const { snapshots, log } = snapshotFile({ file: join(dir, 'snap') })
    t.strictSame(snapshots.load(), [])
    t.strictSame(log.lines, [])
    t.strictSame(names(dir), [])
  })

  t.test('a missing directory too', async t => {
    const dir = t.testdir()
    const { snapshots, log } = snapshotFile({ file: join(dir, 'missing', 'snap') })
    t.strictSame(snapshots.load(), [])
    t.strictSame(log.lines, [])
  })

  t.test('reads what write wrote', async t => {
    const dir = t.testdir()
    const file = join(dir, 'snap')
    const groups = [group('b', 2), group('a', NaN)]
    const { snapshots, log } = snapshotFile({ file }, groups)
    await snapshots.write()
    t.strictSame(snapshotFile({ file }).snapshots.load(), groups)
    t.equal(statSync(file).mode & 0o777, 0o600, 'mode 0600')
    t.match(readFileSync(file, 'utf8'), /^pushgateway-middleware snapshot 2\n\{"writtenAt":"2026-11-23T10:15:30.123Z","groups":2\}\n/)
    t.match(log.lines, [{ level: 'debug', msg: 'metrics persisted', fields: { file, groups: 2, bytes: statSync(file).size, ms: Number } }])
    t.equal(log.lines.length, 1)
    t.strictSame(names(dir), ['snap'], 'no temporary file is left')
  })

  t.test('uses the system clock by default', async t => {
    const dir = t.testdir()
    const file = join(dir, 'snap')
    const snapshots = new SnapshotFile({ file, intervalMs: 0, log: recorder(), groups: () => [] })
    const before = Date.now()
    await snapshots.write()
    const writtenAt = Date.parse((/"writtenAt":"([^"]+)"/.exec(readFileSync(file, 'utf8')))?.[1] ?? '')
    t.ok(writtenAt >= before && writtenAt <= Date.now(), 'the header has the time of the write')
  })

  t.test('removes the temporary files of this snapshot a crash left, only those', async t => {
    const dir = t.testdir({
      'snap.tmp-123-abcdef': 'partial',
      'snap.tmp-': '',
      'snap.tmp-dir': { inside: 'x' },
      'snap.tmp': 'not a temporary file of ours',
      'snapshot.tmp-1-ab': 'another file\'s',
      'other.tmp-1-ab': 'another file\'s',
      'snap.invalid-2026-01-01T00-00-00.000Z': 'set aside before'
    })
    const { snapshots, log } = snapshotFile({ file: join(dir, 'snap') })
    t.strictSame(snapshots.load(), [])
    t.strictSame(names(dir), ['other.tmp-1-ab', 'snap.invalid-2026-01-01T00-00-00.000Z', 'snap.tmp', 'snap.tmp-dir', 'snapshot.tmp-1-ab'])
    t.match(log.lines, [{ level: 'warn', msg: 'could not remove a stale temporary persistence file', fields: { file: join(dir, 'snap.tmp-dir'), err: /EISDIR|EPERM/ } }],
      'a directory by that name is left, with a warning')
    t.equal(log.lines.length, 1)
  })

  t.test('refuses, touching nothing, a file that is not a snapshot of ours', async t => {
    for (const bytes of [Buffer.from('\u0000garbage\nmore'), Buffer.from('pushgateway-middleware snapshots are elsewhere\n'), Buffer.from('#!/bin/sh\nrm -rf /\n')]) {
      const dir = t.testdir({ snap: bytes })
      const file = join(dir, 'snap')
      const { snapshots } = snapshotFile({ file })
      t.throws(() => snapshots.load(), { message: `the persistence file ${file} is not a pushgateway-middleware snapshot; it was left as it is: move it away or choose another file` })
      t.strictSame(names(dir), ['snap'], 'nothing moved')
      t.same(readFileSync(file), bytes, 'nothing changed')
    }
  })

  t.test('sets aside a snapshot cut short, wherever it was cut', async t => {
    const whole = encodeSnapshot([group('a'), group('b')], NOW)
    const header = whole.indexOf('\n') + 1
    const cuts = [0, 10, 32, header, header + 5, whole.indexOf('\n', header) + 1, whole.length - 20, whole.length - 1]
    for (const cut of cuts) {
      t.test(`at byte ${cut} of ${whole.length}`, async t => {
        assertSetAside(t, t.testdir({ snap: whole.subarray(0, cut) }), 'invalid', whole.subarray(0, cut))
      })
    }
  })

  t.test('sets aside a snapshot of a newer version', async t => {
    const bytes = Buffer.from('pushgateway-middleware snapshot 3\n{"anything":"new"}\n')
    assertSetAside(t, t.testdir({ snap: bytes }), 'unsupported-version', bytes)
  })

  t.test('refuses, touching nothing, a directory in place of the file', async t => {
    const dir = t.testdir({ snap: { kept: 'x' } })
    const { snapshots } = snapshotFile({ file: join(dir, 'snap') })
    t.throws(() => snapshots.load(), { message: new RegExp(`^could not read the persistence file ${join(dir, 'snap')}: EISDIR.*; it was left as it is$`) })
    t.strictSame(names(dir), ['snap'])
    t.equal(readFileSync(join(dir, 'snap', 'kept'), 'utf8'), 'x', 'with its content')
  })

  // Simulated: a chmod 000 file does not stop root, and the tests may run as root.
  t.test('refuses, touching nothing, a file it may not read', async t => {
    const dir = t.testdir({ snap: 'secret' })
    const file = join(dir, 'snap')
    const denied = (path: unknown, ...rest: unknown[]): unknown => {
      if (path === file) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' })
      return (fs.readFileSync as (...args: unknown[]) => unknown)(path, ...rest)
    }
    const { SnapshotFile: Mocked } = await t.mockImport<typeof import('../../../src/store/memory/persistence.js')>('../../../src/store/memory/persistence.js', { 'node:fs': { ...fs, readFileSync: denied } })
    const log = recorder()
    t.throws(() => new Mocked({ file, intervalMs: 0, log, now: () => NOW, groups: () => [] }).load(), { message: /EACCES: permission denied.*; it was left as it is$/, cause: { code: 'EACCES' } })
    t.equal(readFileSync(file, 'utf8'), 'secret', 'left in its place')
    t.strictSame(names(dir), ['snap'])
  })

  t.test('never overwrites a file set aside before at the same time', async t => {
    const dir = t.testdir({ snap: 'pushgateway-middleware snapshot 2\ngarbage 3', [`snap.invalid-${STAMP}`]: 'garbage 1', [`snap.invalid-${STAMP}-1`]: 'garbage 2' })
    const { snapshots, log } = snapshotFile({ file: join(dir, 'snap') })
    t.strictSame(snapshots.load(), [])
    t.equal(readFileSync(join(dir, `snap.invalid-${STAMP}`), 'utf8'), 'garbage 1')
    t.equal(readFileSync(join(dir, `snap.invalid-${STAMP}-1`), 'utf8'), 'garbage 2')
    t.equal(readFileSync(join(dir, `snap.invalid-${STAMP}-2`), 'utf8'), 'pushgateway-middleware snapshot 2\ngarbage 3')
    t.match(log.lines, [{ fields: { movedTo: join(dir, `snap.invalid-${STAMP}-2`) } }])
  })

  t.test('throws when it cannot set the file aside', async t => {
    const dir = t.testdir({ snap: 'pushgateway-middleware snapshot 2\ncut' })
    const file = join(dir, 'snap')
    const failing = (): never => { throw Object.assign(new Error(`EBUSY: resource busy or locked, rename '${file}'`), { code: 'EBUSY' }) }
    const { SnapshotFile: Mocked } = await t.mockImport<typeof import('../../../src/store/memory/persistence.js')>('../../../src/store/memory/persistence.js', { 'node:fs': { ...fs, renameSync: failing } })
    const log = recorder()
    const snapshots = new Mocked({ file, intervalMs: 0, log, now: () => NOW, groups: () => [] })
    t.throws(() => snapshots.load(), { message: `could not rename the persistence file ${file} to ${file}.invalid-${STAMP}: EBUSY: resource busy or locked, rename '${file}'` })
    t.match(log.lines, [
      { level: 'error', msg: 'could not set the persistence file aside; refusing to go on rather than overwrite it later', fields: { file, movedTo: `${file}.invalid-${STAMP}`, reason: 'invalid', cause: /cut short/, err: /EBUSY/ } }
    ])
    t.strictSame(names(dir), ['snap'])
  })

  t.test('a file in a path that is not a directory is an error too', async t => {
    const dir = t.testdir({ 'not-a-dir': 'x' })
    const file = join(dir, 'not-a-dir', 'snap')
    const { snapshots, log } = snapshotFile({ file })
    t.throws(() => snapshots.load(), { message: /^could not read the persistence file .*: ENOTDIR/ })
    t.match(log.lines, [{ level: 'warn', msg: 'could not look for stale temporary persistence files', fields: { dir: join(dir, 'not-a-dir'), err: /ENOTDIR/ } }])
    t.equal(readFileSync(join(dir, 'not-a-dir'), 'utf8'), 'x')
  })
})

t.test('setAside', async t => {
  t.test('renames the file aside and logs why', async t => {
    const dir = t.testdir({ snap: 'kept' })
    const file = join(dir, 'snap')
    const { snapshots, log } = snapshotFile({ file })
    snapshots.setAside('inconsistent', '1 of 2 groups refused')
    t.strictSame(names(dir), [`snap.inconsistent-${STAMP}`])
    t.equal(readFileSync(join(dir, `snap.inconsistent-${STAMP}`), 'utf8'), 'kept')
    t.strictSame(log.lines, [{
      level: 'error',
      msg: 'the persistence file was set aside; the next write starts a new one',
      fields: { file, movedTo: `${file}.inconsistent-${STAMP}`, reason: 'inconsistent', err: '1 of 2 groups refused' }
    }])
  })

  t.test('throws when it cannot', async t => {
    const { snapshots, log } = snapshotFile({ file: join(t.testdir(), 'snap') })
    t.throws(() => { snapshots.setAside('inconsistent', 'x') }, { message: /^could not rename the persistence file .*: ENOENT/ })
    t.match(errorLines(log), [{ msg: /^could not set the persistence file aside/ }])
  })

  t.test('refuses a reason that does not fit in a file name', async t => {
    const dir = t.testdir({ snap: 'kept' })
    const { snapshots } = snapshotFile({ file: join(dir, 'snap') })
    for (const reason of ['', 'Bad', '../x', 'a b', '-x']) {
      t.throws(() => { snapshots.setAside(reason, 'x') }, { message: `the reason must be lower-case letters, digits and dashes, got ${JSON.stringify(reason)}` })
    }
    t.strictSame(names(dir), ['snap'])
  })
})

t.test('changed', async t => {
  t.test('coalesces changes into one write per interval', async t => {
    const clock = new FakeClock()
    const file = join(t.testdir(), 'snap')
    const groups = [group('a', 0)]
    const { snapshots, calls } = snapshotFile({ file, intervalMs: 50, clock }, groups)
    for (let i = 1; i <= 40; i++) {
      groups[0] = group('a', i)
      snapshots.changed()
      clock.advance(5)
      await snapshots.idle()
    }
    t.equal(calls.count, 4, 'changes every 5 ms from 0 to 195 ms: one write per 50 ms, at 50, 100, 150 and 200 ms')
    t.equal(firstValue(file), 40, 'the last change is written')
    t.equal(clock.pending, 0, 'no write is scheduled without a change')
    snapshots.changed()
    t.equal(clock.nextAt, 250, 'the next change is written one interval after the last write')
  })

  t.test('writes one interval after construction at the earliest, at once after a quiet interval', async t => {
    const clock = new FakeClock()
    const writes: number[] = []
    clock.advance(1000)
    const snapshots = new SnapshotFile({ file: join(t.testdir(), 'snap'), intervalMs: 200, log: recorder(), clock, groups: () => { writes.push(clock.now()); return [] } })
    clock.advance(50)
    snapshots.changed()
    t.equal(clock.nextAt, 1200, 'one interval after construction')
    clock.advance(150)
    await snapshots.idle()
    t.same(writes, [1200])
    clock.advance(250)
    snapshots.changed()
    t.equal(clock.nextAt, 1450, 'at once when the interval has passed')
    clock.advance(0)
    await snapshots.idle()
    t.same(writes, [1200, 1450])
  })

  t.test('a change during a write is written after it', async t => {
    const clock = new FakeClock()
    const file = join(t.testdir(), 'snap')
    const groups = [group('a', 1)]
    const { snapshots, calls } = snapshotFile({ file, clock }, groups)
    const writing = snapshots.write()
    groups[0] = group('a', 2)
    snapshots.changed()
    await writing
    t.equal(clock.pending, 1, 'scheduled once the write is done')
    clock.advance(0)
    await snapshots.idle()
    t.equal(firstValue(file), 2)
    t.equal(calls.count, 2)
  })

  t.test('a change made while the groups are read is in that write, no other', async t => {
    const clock = new FakeClock()
    let calls = 0
    const snapshots: SnapshotFile = new SnapshotFile({
      file: join(t.testdir(), 'snap'),
      intervalMs: 20,
      log: recorder(),
      clock,
      groups: () => {
        calls++
        snapshots.changed()
        return []
      }
    })
    await snapshots.write()
    t.equal(clock.pending, 0, 'nothing scheduled')
    clock.advance(60)
    t.equal(calls, 1)
  })

  t.test('a write cancels a pending one', async t => {
    const clock = new FakeClock()
    const { snapshots, calls } = snapshotFile({ file: join(t.testdir(), 'snap'), intervalMs: 30, clock })
    snapshots.changed()
    t.equal(clock.pending, 1)
    await snapshots.write()
    t.equal(clock.pending, 0, 'cancelled')
    clock.advance(60)
    t.equal(calls.count, 1)
  })

  t.test('the system clock does not keep the process alive, even with a very long interval', async t => {
    const timers = (): number => process.getActiveResourcesInfo().filter(name => name === 'Timeout').length
    const { snapshots, calls } = snapshotFile({ file: join(t.testdir(), 'snap'), intervalMs: 1e12 })
    const before = timers()
    snapshots.changed()
    t.equal(timers(), before, 'the timer is unref()ed')
    await new Promise(resolve => setImmediate(resolve))
    t.equal(calls.count, 0, 'and not fired at once, though the delay is past what setTimeout takes')
    await snapshots.close()
    t.equal(calls.count, 1)
  })

  t.test('the system clock calls back once the time has passed, or never once cancelled', async t => {
    const order: string[] = []
    const cancel = SYSTEM_CLOCK.after(1e12, () => { order.push('never') })
    cancel()
    // The clock's timers are unref()ed: this one keeps the process alive while the test waits.
    const alive = setInterval(() => {}, 1000)
    await new Promise<void>(resolve => { SYSTEM_CLOCK.after(-5, () => { order.push('due'); resolve() }) })
    clearInterval(alive)
    t.same(order, ['due'])
    t.type(SYSTEM_CLOCK.now(), 'number')
  })
})

t.test('write failures', async t => {
  t.test('a groups callback that throws: logged, retried on the next change', async t => {
    const dir = t.testdir()
    const file = join(dir, 'snap')
    const log = recorder()
    let fail: unknown = new Error('store broken')
    let calls = 0
    const clock = new FakeClock()
    const snapshots = new SnapshotFile({
      file,
      intervalMs: 0,
      log,
      clock,
      groups: () => {
        calls++
        if (fail !== undefined) throw fail
        return [group('a')]
      }
    })
    await snapshots.write()
    t.strictSame(errorLines(log), [{ level: 'error', msg: 'error persisting metrics', fields: { file, err: 'store broken' } }])
    t.strictSame(names(dir), [], 'nothing written')
    fail = 'a string'
    await snapshots.write()
    t.match(errorLines(log)[1], { fields: { err: 'a string' } }, 'a thrown value that is not an Error')
    fail = undefined
    snapshots.changed()
    t.equal(clock.nextAt, 1000, 'a failing write is retried at most once a second, though the interval is 0')
    clock.advance(999)
    t.equal(calls, 2)
    clock.advance(1)
    await snapshots.idle()
    t.strictSame(snapshotFile({ file }).snapshots.load(), [group('a')])
    t.equal(calls, 3)
  })

  t.test('is retried after the interval without another change', async t => {
    const dir = t.testdir()
    const file = join(dir, 'snap')
    const clock = new FakeClock()
    const { snapshots, calls, log } = snapshotFile({ file, intervalMs: 20, clock })
    rmSync(dir, { recursive: true })
    await snapshots.write()
    t.match(errorLines(log), [{ msg: 'error persisting metrics', fields: { file, err: /ENOENT/ } }], 'a missing directory')
    mkdirSync(dir)
    t.equal(clock.nextAt, 1000, 'retried a second later')
    clock.advance(1000)
    await snapshots.idle()
    t.equal(calls.count, 2)
    t.strictSame(names(dir), ['snap'], 'the retry wrote the file')
    await snapshots.close()
  })

  t.test('the temporary file is removed when the rename fails', async t => {
    const dir = t.testdir({ snap: { 'in-the-way': 'x' } })
    const file = join(dir, 'snap')
    const { snapshots, log } = snapshotFile({ file })
    await snapshots.write()
    t.match(errorLines(log), [{ msg: 'error persisting metrics', fields: { file, err: /EISDIR|ENOTEMPTY|EEXIST/ } }])
    t.strictSame(names(dir), ['snap'], 'no temporary file is left')
    t.strictSame(names(file), ['in-the-way'])
  })

  // Simulated, as above: root writes into a read-only directory.
  t.test('a read-only directory', async t => {
    const denied = async (): Promise<never> => { throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }) }
    const { SnapshotFile: Mocked } = await t.mockImport<typeof import('../../../src/store/memory/persistence.js')>('../../../src/store/memory/persistence.js', { 'node:fs/promises': { ...fsPromises, open: denied } })
    const dir = t.testdir()
    const log = recorder()
    await new Mocked({ file: join(dir, 'snap'), intervalMs: 0, log, now: () => NOW, groups: () => [group('a')] }).write()
    t.match(errorLines(log), [{ msg: 'error persisting metrics', fields: { err: /EACCES/ } }])
    t.strictSame(names(dir), [], 'nothing written')
  })

  t.test('a failed last write on close rejects and is not retried', async t => {
    const clock = new FakeClock()
    const file = join(t.testdir(), 'missing', 'snap')
    const { snapshots, calls, log } = snapshotFile({ file, clock })
    await t.rejects(snapshots.close(), { message: new RegExp(`^could not write the last snapshot to the persistence file ${file}: ENOENT`), cause: { code: 'ENOENT' } })
    t.equal(clock.pending, 0, 'nothing scheduled')
    clock.advance(2000)
    t.equal(calls.count, 1)
    t.equal(errorLines(log).length, 1)
  })

  t.test('close resolves when the last write succeeds after earlier ones failed', async t => {
    const dir = t.testdir()
    const file = join(dir, 'snap')
    const clock = new FakeClock()
    const { snapshots } = snapshotFile({ file, clock })
    rmSync(dir, { recursive: true })
    await snapshots.write()
    mkdirSync(dir)
    await snapshots.close()
    t.strictSame(names(dir), ['snap'])
  })
})

t.test('a large snapshot is written in pieces of about 1 MiB, never as one string', async t => {
  const writes: number[] = []
  const recording = async (path: string, flags: string, mode?: number) => {
    const handle = await fsPromises.open(path, flags, mode)
    const writeFile = handle.writeFile.bind(handle)
    return Object.assign(handle, { writeFile: async (data: Buffer) => { writes.push(data.length); await writeFile(data) } })
  }
  const { SnapshotFile: Mocked } = await t.mockImport<typeof import('../../../src/store/memory/persistence.js')>('../../../src/store/memory/persistence.js', { 'node:fs/promises': { ...fsPromises, open: recording } })
  const file = join(t.testdir(), 'snap')
  // About 4 MiB of groups: each line holds a HELP of 10,000 characters.
  const groups = Array.from({ length: 300 }, (_, i) => {
    const view = group(`g${i}`, i)
    const stored = view.families.get('m') as StoredFamily
    stored.family.help = 'h'.repeat(10_000)
    return view
  })
  await new Mocked({ file, intervalMs: 0, log: recorder(), now: () => NOW, groups: () => groups }).write()
  const lines = (await fsPromises.readFile(file, 'utf8')).split('\n')
  const longest = Math.max(...lines.map(line => Buffer.byteLength(line) + 1))
  t.ok(writes.length >= 4, `${writes.length} writes`)
  t.ok(writes.every(bytes => bytes < 1024 * 1024 + longest), 'none much over 1 MiB')
  t.equal(writes.reduce((sum, bytes) => sum + bytes, 0), (await fsPromises.stat(file)).size, 'together, the file')
  t.equal(decodeSnapshot(readFileSync(file)).length, 300, 'which reads back')
})

t.test('writes never overlap', async t => {
  const fs = slowRenames()
  const { SnapshotFile } = await t.mockImport<typeof import('../../../src/store/memory/persistence.js')>('../../../src/store/memory/persistence.js', { 'node:fs/promises': fs.module })
  const dir = t.testdir()
  const groups = [group('a', 1)]
  let calls = 0
  const snapshots = new SnapshotFile({ file: join(dir, 'snap'), intervalMs: 0, log: recorder(), groups: () => { calls++; return groups } })
  const first = snapshots.write()
  groups[0] = group('a', 2)
  const second = snapshots.write()
  const third = snapshots.write()
  t.equal(second, third, 'calls during a write share the next one')
  await Promise.all([first, second, third])
  t.equal(calls, 2, 'one write, then one more')
  t.equal(fs.maxConcurrent, 1, 'one at a time')
  t.equal(firstValue(join(dir, 'snap')), 2)
})

t.test('close', async t => {
  t.test('writes even without a change, once however often called', async t => {
    const file = join(t.testdir(), 'snap')
    const clock = new FakeClock()
    const { snapshots, calls } = snapshotFile({ file, intervalMs: 0, clock })
    const closing = snapshots.close()
    t.equal(snapshots.close(), closing, 'the same promise')
    await closing
    t.equal(calls.count, 1)
    t.strictSame(snapshotFile({ file }).snapshots.load(), [group('a')])
    snapshots.changed()
    t.equal(clock.pending, 0, 'changed() after close schedules nothing')
    clock.advance(3_600_000)
    t.equal(calls.count, 1, 'and writes nothing')
  })

  t.test('cancels a pending write and writes at once', async t => {
    const { snapshots, calls } = snapshotFile({ file: join(t.testdir(), 'snap'), intervalMs: 3_600_000 })
    snapshots.changed()
    await snapshots.close()
    t.equal(calls.count, 1)
  })

  t.test('waits for a write in flight, then writes once more', async t => {
    const fs = slowRenames()
    const { SnapshotFile } = await t.mockImport<typeof import('../../../src/store/memory/persistence.js')>('../../../src/store/memory/persistence.js', { 'node:fs/promises': fs.module })
    const file = join(t.testdir(), 'snap')
    const groups = [group('a', 1)]
    const snapshots = new SnapshotFile({ file, intervalMs: 0, log: recorder(), groups: () => groups })
    const writing = snapshots.write()
    snapshots.changed()
    groups[0] = group('a', 2)
    await snapshots.close()
    t.equal(fs.renames, 2)
    t.equal(fs.maxConcurrent, 1)
    await writing
    t.equal(firstValue(file), 2, 'the last write holds the last change')
  })
})

t.test('directory fsync', async t => {
  const cases: Array<[string, Partial<Record<'open' | 'sync', Error>>, RegExp | undefined]> = [
    ['open refused with EISDIR (Windows)', { open: errno('EISDIR') }, undefined],
    ['fsync refused with EINVAL', { sync: errno('EINVAL') }, undefined],
    ['fsync refused with EPERM', { sync: errno('EPERM') }, undefined],
    ['fsync refused with ENOTSUP', { sync: errno('ENOTSUP') }, undefined],
    ['fsync failing with EIO', { sync: errno('EIO') }, /EIO/],
    ['fsync failing without a code', { sync: new Error('odd') }, /^odd$/],
    ['open failing with EMFILE', { open: errno('EMFILE') }, /EMFILE/]
  ]
  for (const [name, failures, logged] of cases) {
    t.test(name, async t => {
      const { SnapshotFile } = await t.mockImport<typeof import('../../../src/store/memory/persistence.js')>('../../../src/store/memory/persistence.js', {
        'node:fs/promises': { ...fsPromises, open: failingDirectoryOpen(failures) }
      })
      const file = join(t.testdir(), 'snap')
      const log = recorder()
      await new SnapshotFile({ file, intervalMs: 3_600_000, log, groups: () => [group('a')] }).write()
      t.strictSame(snapshotFile({ file }).snapshots.load(), [group('a')], 'the file is in place')
      if (logged === undefined) t.strictSame(errorLines(log), [], 'ignored: the platform cannot')
      else t.match(errorLines(log), [{ msg: 'error persisting metrics', fields: { err: logged } }], 'logged')
    })
  }
})

t.test('a temporary file that cannot be removed is logged too', async t => {
  const { SnapshotFile } = await t.mockImport<typeof import('../../../src/store/memory/persistence.js')>('../../../src/store/memory/persistence.js', {
    'node:fs/promises': {
      ...fsPromises,
      rename: async () => { throw errno('EXDEV') },
      rm: async () => { throw errno('EBUSY') }
    }
  })
  const dir = t.testdir()
  const log = recorder()
  await new SnapshotFile({ file: join(dir, 'snap'), intervalMs: 0, log, groups: () => [] }).write()
  t.match(errorLines(log), [
    { msg: 'could not remove a temporary persistence file', fields: { file: new RegExp(`^${join(dir, 'snap')}\\.tmp-${process.pid}-[0-9a-f]{16}$`), err: /EBUSY/ } },
    { msg: 'error persisting metrics', fields: { err: /EXDEV/ } }
  ])
})

function errno (code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code })
}

/** `fs/promises` whose rename takes 30 ms and counts renames at the same time. */
function slowRenames () {
  const state = { renames: 0, active: 0, maxConcurrent: 0, module: {} }
  state.module = {
    ...fsPromises,
    rename: async (from: string, to: string) => {
      state.renames++
      state.maxConcurrent = Math.max(state.maxConcurrent, ++state.active)
      await sleep(30)
      await fsPromises.rename(from, to)
      state.active--
    }
  }
  return state
}

/** `fs/promises.open` failing for directories as told: at open, or at fsync. */
function failingDirectoryOpen (failures: Partial<Record<'open' | 'sync', Error>>) {
  return async (path: string, flags: string, mode?: number) => {
    const handle = await fsPromises.open(path, flags, mode)
    if (!(await handle.stat()).isDirectory()) return handle
    if (failures.open !== undefined) {
      await handle.close()
      throw failures.open
    }
    if (failures.sync !== undefined) {
      const error = failures.sync
      return { sync: async () => { throw error }, close: async () => { await handle.close() } }
    }
    return handle
  }
}
