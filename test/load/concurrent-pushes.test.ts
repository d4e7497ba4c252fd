// A bounded load test on loopback, on every front end: 32 pushers (PUT/POST to groups of their
// own, POST into one shared group, PUT/DELETE on a group that comes and goes), each running its
// operations one after the other on one keep-alive connection while all run at once, and 3
// scrapers reading /metrics and /api/v1/metrics meanwhile. Every scrape must show each pusher's
// state after one of the operations in flight (none lost, none mixed with another push), and
// the final state must be exactly what the last acknowledged operations left.
// Every value says which pusher sent it in which operation for which series, so a scrape is read
// back against a model of each pusher. Client, checks and gateway share this process's event
// loop: the figures it reports are for that, not for a gateway alone.
// The load is a count, not a time: every pusher makes at least LOAD_TEST_OPS operations (default
// 100) and the pushers go on until the scrapers have made their scrapes, however long that takes on
// a busy machine; a generous cap on the time only turns a hang into a clear failure.
import t from 'tap'
import { Agent, request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { FRONT_ENDS, startFrontEnd } from '../helpers/front-ends.js'
import { sendText } from '../helpers/http.js'
import { parseMetrics } from '../../src/exposition/parse.js'

const OPS_PER_PUSHER = Number(process.env['LOAD_TEST_OPS'] ?? 100)
// Scrapes the scrapers make, all together, while the pushers push.
const TEXT_SCRAPES = 30
const JSON_SCRAPES = 10
// A cap for a hang, not a measure: far above what the load takes even on a loaded machine. The
// three front ends' caps together stay within tap's timeout for the file.
const LOAD_CAP_MS = 80_000
// The figures leave out the first second of load (the JIT warming up, which the first front end
// pays most), but every operation is checked. The figures are reported, never asserted.
const WARMUP_MS = 1000
const PUSHERS: ReadonlyArray<[PusherKind, number]> = [['own', 16], ['shared', 10], ['flaky', 6]]
const SCRAPERS = 3
// Every fourth scrape of each scraper reads the JSON API instead of the exposition.
const JSON_EVERY = 4
const TEXT_ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1'
const TEXT_TYPE = 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores'
const JSON_TYPE = 'application/json'
const MAX_LISTED = 25
// push_time_seconds comes from the gateway's clock (performance.timeOrigin + now), not Date.now().
const CLOCK_SLACK_S = 60

/** One answer, timed. */
interface Timed {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  ms: number
}

/** A request on the given keep-alive agent (one socket per pusher), timed from send to the last byte. */
async function call (agent: Agent, base: URL, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Timed> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = request({
      host: base.hostname,
      port: base.port,
      method,
      path,
      agent,
      headers: body === undefined ? headers : { ...headers, 'content-length': String(body.length) }
    }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      res.on('end', () => {
        resolve({ status: res.statusCode as number, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** A small seeded PRNG (mulberry32), so that each pusher's choices repeat from run to run. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** The value at a quantile of the samples (nearest rank), 0 for none. */
function quantile (samples: readonly number[], q: number): number {
  if (samples.length === 0) return 0
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
}

// Values: (pusher * 1e6 + seq) * 100 + sub, sub the series' index (50 for the unlabelled counter):
// every value says who pushed it, in which push, for which series. Exact in a double.
const SEQ_SPAN = 1_000_000
const SUB_SPAN = 100
const COUNTER_SUB = 50

/** The value a pusher's push `seq` gives the series `sub`. */
function encodeValue (pusher: number, seq: number, sub: number): number {
  return (pusher * SEQ_SPAN + seq) * SUB_SPAN + sub
}

/** Who pushed a value, in which push, for which series; `undefined` when it is no such value. */
function decodeValue (value: number): { pusher: number, seq: number, sub: number } | undefined {
  if (!Number.isSafeInteger(value) || value < 0) return undefined
  const sub = value % SUB_SPAN
  const code = (value - sub) / SUB_SPAN
  return { pusher: Math.floor(code / SEQ_SPAN), seq: code % SEQ_SPAN, sub }
}

/** A family a pusher pushes: its type and its series, each with its label set (key) and index. */
interface FamilySpec {
  name: string
  type: 'gauge' | 'counter'
  help: string
  series: ReadonlyArray<{ key: string, labels: string, sub: number }>
}

function gaugeSeries (count: number): FamilySpec['series'] {
  return Array.from({ length: count }, (_, s) => ({ key: `s=${s}`, labels: `{s="${s}"}`, sub: s }))
}

const LOAD_GAUGE: FamilySpec = { name: 'load_gauge', type: 'gauge', help: 'Load test gauge, one series per s.', series: gaugeSeries(10) }
const LOAD_COUNTER: FamilySpec = { name: 'load_ops_total', type: 'counter', help: 'Load test counter.', series: [{ key: '', labels: '', sub: COUNTER_SUB }] }
const FLAKY_GAUGE: FamilySpec = { name: 'flaky_gauge', type: 'gauge', help: 'Load test gauge of a group that comes and goes.', series: gaugeSeries(4) }

/** The jobs the load test pushes to; every group of these jobs is checked. */
const LOAD_JOBS: ReadonlySet<string> = new Set(['load', 'shared', 'flaky'])

/** The kinds of pusher. */
type PusherKind = 'own' | 'shared' | 'flaky'

/** One operation of a pusher; `seq` is its 1-based index among the pusher's operations. */
interface Op {
  method: 'PUT' | 'POST' | 'DELETE'
  families: readonly string[]
  seq: number
}

/** What a unit holds: family name to type and series key to value. */
type UnitState = ReadonlyMap<string, { type: string, series: ReadonlyMap<string, number> }>

/** Canonical text of a unit's state; `undefined` is a missing group. */
function canonical (state: UnitState | undefined): string {
  if (state === undefined) return 'absent'
  const families = [...state].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
  return JSON.stringify(families.map(([name, f]) => [name, f.type, [...f.series].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)]))
}

/**
 * A client that runs its operations one after the other on one connection, and the model of
 * what the gateway holds for it after each of them: `states[k]` after its operation k (`states[0]`
 * before any). Its unit is its whole group (own, flaky) or its own family in the shared group.
 */
class Pusher {
  readonly id: number
  readonly kind: PusherKind
  readonly path: string
  /** `job/instance` of its group, as the checks name groups. */
  readonly group: string
  readonly families: readonly FamilySpec[]
  readonly ops: Op[] = []
  readonly states: string[] = []
  /** Operations sent, and the last acknowledged one (both counts, or `seq`s). */
  sent = 0
  acked = 0
  /** Set when an operation was refused or failed: its model is no longer known. */
  tainted = false
  readonly #random: () => number
  #state: UnitState | undefined

  constructor (id: number, kind: PusherKind, seed: number) {
    this.id = id
    this.kind = kind
    this.#random = prng(seed)
    if (kind === 'own') {
      this.path = `/metrics/job/load/instance/p${id}`
      this.group = `load/p${id}`
      this.families = [LOAD_GAUGE, LOAD_COUNTER]
    } else if (kind === 'shared') {
      this.path = '/metrics/job/shared'
      this.group = 'shared/'
      this.families = [{ name: `shared_p${id}_value`, type: 'gauge', help: `Pusher ${id}'s family in the shared group.`, series: gaugeSeries(3) }]
    } else {
      this.path = `/metrics/job/flaky/instance/d${id}`
      this.group = `flaky/d${id}`
      this.families = [FLAKY_GAUGE]
    }
    // A whole group is missing at first; a family in the shared group is just not there.
    this.#state = kind === 'shared' ? new Map() : undefined
    this.states.push(canonical(this.#state))
  }

  /** Whether the unit is the pusher's whole group (else one family of a group shared with others). */
  get ownsGroup (): boolean {
    return this.kind !== 'shared'
  }

  /**
   * The next operation, recorded with the state after it. `last` picks a fixed last operation
   * (by the pusher's id) so that the final state covers every case whatever the timing.
   */
  next (last: boolean): Op {
    const seq = this.ops.length + 1
    const all = this.families.map(f => f.name)
    let op: Op
    if (this.kind === 'shared') {
      op = { method: 'POST', families: all, seq }
    } else if (this.kind === 'flaky') {
      const put = seq === 1 || (last ? this.id % 2 === 0 : this.#random() < 0.5)
      op = put ? { method: 'PUT', families: all, seq } : { method: 'DELETE', families: [], seq }
    } else {
      // PUT both families, PUT the gauge only (the counter goes), POST one family (the other stays).
      const r = last ? [0.1, 0.6, 0.9][this.id % 3] as number : seq === 1 ? 0 : this.#random()
      if (r < 0.55) op = { method: 'PUT', families: all, seq }
      else if (r < 0.65) op = { method: 'PUT', families: [LOAD_GAUGE.name], seq }
      else if (r < 0.85) op = { method: 'POST', families: [LOAD_GAUGE.name], seq }
      else op = { method: 'POST', families: [LOAD_COUNTER.name], seq }
    }
    this.ops.push(op)
    this.#state = this.#apply(this.#state, op)
    this.states.push(canonical(this.#state))
    return op
  }

  /**
   * Milliseconds to wait before the next operation: a deleter holds each state a while (0-30 ms)
   * so that scrapes see its group both there and gone; the others push again at once.
   */
  pause (): number {
    return this.kind === 'flaky' ? Math.floor(this.#random() * 30) : 0
  }

  /** The text body (0.0.4) of a push. */
  body (op: Op): Buffer {
    let text = ''
    for (const spec of this.families) {
      if (!op.families.includes(spec.name)) continue
      text += `# HELP ${spec.name} ${spec.help}\n# TYPE ${spec.name} ${spec.type}\n`
      for (const s of spec.series) text += `${spec.name}${s.labels} ${encodeValue(this.id, op.seq, s.sub)}\n`
    }
    return Buffer.from(text)
  }

  /** The series index a value of this series must carry, `undefined` for a series it never pushes. */
  subOf (family: string, seriesKey: string): number | undefined {
    return this.families.find(f => f.name === family)?.series.find(s => s.key === seriesKey)?.sub
  }

  #apply (state: UnitState | undefined, op: Op): UnitState | undefined {
    if (op.method === 'DELETE') return undefined
    const next = new Map(op.method === 'PUT' ? [] : state ?? [])
    for (const spec of this.families) {
      if (!op.families.includes(spec.name)) continue
      next.set(spec.name, { type: spec.type, series: new Map(spec.series.map(s => [s.key, encodeValue(this.id, op.seq, s.sub)])) })
    }
    return next
  }
}

/** One group of a scrape: its families (timestamps apart) and its push and failure times. */
interface ObservedGroup {
  families: Map<string, { type: string, series: Map<string, number> }>
  pushTime?: number
  failureTime?: number
  lastPushSuccessful?: boolean
}

/** The groups of the load test's jobs in one scrape, by `job/instance`. */
type Observation = Map<string, ObservedGroup>

const TIMESTAMPS = new Set(['push_time_seconds', 'push_failure_time_seconds'])

function observedGroup (observation: Observation, key: string): ObservedGroup {
  let group = observation.get(key)
  if (group === undefined) observation.set(key, group = { families: new Map() })
  return group
}

function addSample (observation: Observation, problems: string[], key: string, family: string, type: string, labels: Record<string, string>, value: number): void {
  const group = observedGroup(observation, key)
  if (family === 'push_time_seconds') {
    group.pushTime = value
    return
  }
  if (family === 'push_failure_time_seconds') {
    group.failureTime = value
    return
  }
  const seriesKey = Object.entries(labels).filter(([name]) => name !== 'job' && name !== 'instance')
    .sort(([a], [b]) => a < b ? -1 : 1).map(([name, v]) => `${name}=${v}`).join(',')
  let stored = group.families.get(family)
  if (stored === undefined) group.families.set(family, stored = { type, series: new Map() })
  if (stored.series.has(seriesKey)) problems.push(`${key} ${family}{${seriesKey}} appears twice`)
  stored.series.set(seriesKey, value)
}

/** The load test's groups in a text (0.0.4) exposition, read back with the package's own parser. */
function observeText (body: string, problems: string[]): Observation {
  const observation: Observation = new Map()
  for (const family of parseMetrics(body)) {
    for (const metric of family.metrics) {
      const labels: Record<string, string> = {}
      for (const { name, value } of metric.labels) labels[name] = value
      const job = labels['job']
      if (job === undefined || !LOAD_JOBS.has(job)) continue
      if (TIMESTAMPS.has(family.name) || family.name.startsWith('load_') || family.name.startsWith('shared_') || family.name.startsWith('flaky_')) {
        addSample(observation, problems, `${job}/${labels['instance'] ?? ''}`, family.name, family.type, labels, metric.value ?? NaN)
      } else {
        problems.push(`unexpected family ${family.name} with job="${job}"`)
      }
    }
  }
  return observation
}

interface ApiFamily {
  type: string
  metrics: Array<{ labels: Record<string, string>, value?: string }>
}

/** The load test's groups in a `/api/v1/metrics` answer. */
function observeJson (body: string, problems: string[]): Observation {
  const observation: Observation = new Map()
  const parsed = JSON.parse(body) as { status: string, data: Array<Record<string, unknown> & { labels: Record<string, string>, last_push_successful: boolean }> }
  if (parsed.status !== 'success') problems.push(`status ${parsed.status}`)
  for (const entry of parsed.data) {
    const job = entry.labels['job']
    if (job === undefined || !LOAD_JOBS.has(job)) continue
    const key = `${job}/${entry.labels['instance'] ?? ''}`
    observedGroup(observation, key).lastPushSuccessful = entry.last_push_successful
    for (const [name, value] of Object.entries(entry)) {
      if (name === 'labels' || name === 'last_push_successful') continue
      const family = value as ApiFamily
      for (const metric of family.metrics) {
        if (metric.labels['job'] !== job || (metric.labels['instance'] ?? '') !== (entry.labels['instance'] ?? '')) {
          problems.push(`${key} ${name}: a series labelled ${JSON.stringify(metric.labels)}`)
        }
        addSample(observation, problems, key, name, family.type.toLowerCase(), metric.labels, Number(metric.value))
      }
    }
  }
  return observation
}

/** The state of a pusher's unit in an observation, canonical. */
function observedUnit (pusher: Pusher, observation: Observation): { text: string, families: Array<[string, Map<string, number>]> } {
  const group = observation.get(pusher.group)
  if (group === undefined) return { text: pusher.ownsGroup ? 'absent' : canonical(new Map()), families: [] }
  const mine = pusher.ownsGroup ? [...group.families] : [...group.families].filter(([name]) => pusher.families.some(f => f.name === name))
  return { text: canonical(new Map(mine)), families: mine.map(([name, f]) => [name, f.series]) }
}

/** The bounds of a check: operations acknowledged before the scrape was sent, and sent before its answer ended. */
interface Window {
  acked: readonly number[]
  sent: readonly number[]
}

/**
 * Checks one scrape against every pusher's model; appends a line per problem. A pusher's unit must
 * hold exactly its state after one of its operations `acked..sent` (each push applied whole, none
 * lost, none seen before it was sent); each value must be one that pusher sent for that series in
 * a push of that family; all series of a family must come from one push; every group must carry
 * its push time (within `pushTimeRange`, seconds) and no failure time; nothing else may be in
 * the load test's jobs.
 */
function checkObservation (observation: Observation, pushers: readonly Pusher[], window: Window, pushTimeRange: readonly [number, number], problems: string[]): void {
  const claimed = new Map<string, Set<string>>()
  pushers.forEach((pusher, i) => {
    const acked = window.acked[i] as number
    const sent = window.sent[i] as number
    const owned = claimed.get(pusher.group) ?? new Set()
    claimed.set(pusher.group, owned)
    for (const f of pusher.families) owned.add(f.name)
    if (pusher.tainted) return
    const seen = observedUnit(pusher, observation)
    for (const [family, series] of seen.families) {
      const seqs = new Set<number>()
      for (const [key, value] of series) {
        const decoded = decodeValue(value)
        const sub = pusher.subOf(family, key)
        if (decoded === undefined || decoded.pusher !== pusher.id || sub === undefined || decoded.sub !== sub) {
          problems.push(`${pusher.group} ${family}{${key}} = ${value}: not a value pusher ${pusher.id} sends for that series`)
          continue
        }
        seqs.add(decoded.seq)
        const op = pusher.ops[decoded.seq - 1]
        if (op === undefined || decoded.seq > sent || op.method === 'DELETE' || !op.families.includes(family)) {
          problems.push(`${pusher.group} ${family}{${key}} = ${value}: push ${decoded.seq} of pusher ${pusher.id} did not send it (${sent} sent)`)
        }
      }
      if (seqs.size > 1) problems.push(`${pusher.group} ${family} mixes pushes ${[...seqs].sort((a, b) => a - b).join(', ')}`)
    }
    const allowed = pusher.states.slice(acked, sent + 1)
    if (!allowed.includes(seen.text)) {
      const pushes = seen.families.map(([family, series]) => `${family} from push ${[...new Set([...series.values()].map(v => decodeValue(v)?.seq))].join('+')}`)
      problems.push(`${pusher.group} (pusher ${pusher.id}) holds ${pushes.length === 0 ? 'nothing' : pushes.join(', ')}, expected its state after one of operations ${acked}..${sent} ` +
        `(${pusher.ops.slice(Math.max(0, acked - 1), sent).map(op => `${op.seq} ${op.method} ${op.families.join('+')}`).join('; ')}): ${seen.text} not in ${allowed.join(' | ')}`)
    }
  })
  for (const [key, group] of observation) {
    const owned = claimed.get(key)
    if (owned === undefined) {
      problems.push(`unexpected group ${key}`)
      continue
    }
    for (const name of group.families.keys()) if (!owned.has(name)) problems.push(`unexpected family ${name} in ${key}`)
    if (group.pushTime === undefined || !(group.pushTime >= pushTimeRange[0] && group.pushTime <= pushTimeRange[1])) {
      problems.push(`${key}: push_time_seconds ${String(group.pushTime)} is not within ${pushTimeRange.join('..')}`)
    }
    if (group.failureTime !== 0) problems.push(`${key}: push_failure_time_seconds ${String(group.failureTime)}`)
    if (group.lastPushSuccessful === false) problems.push(`${key}: last_push_successful false`)
  }
}

interface Run {
  operations: number
  byMethod: Record<'PUT' | 'POST' | 'DELETE', number>
  /** Latencies of the operations and scrapes sent after the warm-up and before the pushers' last operations. */
  pushLatency: number[]
  scrapeLatency: number[]
  /** PUTs and POSTs among them. */
  measuredPushes: number
  textScrapes: number
  jsonScrapes: number
  refusals: string[]
  errors: string[]
  problems: string[]
  problemCount: number
  seconds: number
  /** Milliseconds the scrapers spent reading and checking answers, on the event loop the gateway shares. */
  checkMs: number
}

for (const [index, kind] of FRONT_ENDS.entries()) {
  t.test(kind, async t => {
    const frontEnd = await startFrontEnd(kind)
    const agents: Agent[] = []
    t.teardown(async () => {
      for (const agent of agents) agent.destroy()
      await frontEnd.close()
    })
    const base = new URL(frontEnd.base)
    const agent = (): Agent => {
      const a = new Agent({ keepAlive: true, maxSockets: 1 })
      agents.push(a)
      return a
    }

    let id = 0
    const pushers = PUSHERS.flatMap(([pusherKind, count]) => Array.from({ length: count }, () => {
      id += 1
      return new Pusher(id, pusherKind, id * 7919 + index)
    }))
    const run: Run = {
      operations: 0,
      byMethod: { PUT: 0, POST: 0, DELETE: 0 },
      pushLatency: [],
      scrapeLatency: [],
      measuredPushes: 0,
      textScrapes: 0,
      jsonScrapes: 0,
      refusals: [],
      errors: [],
      problems: [],
      problemCount: 0,
      seconds: 0,
      checkMs: 0
    }
    const report = (found: string[], where: string): void => {
      run.problemCount += found.length
      for (const problem of found) if (run.problems.length < MAX_LISTED) run.problems.push(`${where}: ${problem}`)
    }
    const startedS = Date.now() / 1000
    const started = performance.now()
    // Set when the pushers start their last operations: the load is done, or the cap is reached.
    const ending = { at: Infinity, capped: false }
    const measured = (sentAt: number): boolean => sentAt >= started + WARMUP_MS && sentAt < ending.at
    const scrapesDone = (): boolean => run.textScrapes >= TEXT_SCRAPES && run.jsonScrapes >= JSON_SCRAPES
    const cap = setTimeout(() => { ending.capped = true }, LOAD_CAP_MS)
    t.teardown(() => { clearTimeout(cap) })

    const push = async (pusher: Pusher): Promise<void> => {
      const connection = agent()
      let last = false
      while (!last) {
        // The next operation is the last once this pusher has made its count and the scrapers
        // theirs; the others keep pushing meanwhile, so every scrape runs under load.
        last = ending.capped || (pusher.ops.length + 1 >= OPS_PER_PUSHER && scrapesDone())
        if (last) ending.at = Math.min(ending.at, performance.now())
        const op = pusher.next(last)
        pusher.sent = op.seq
        const headers = op.method === 'DELETE' ? {} : { 'content-type': 'text/plain; version=0.0.4' }
        let answer: Timed
        const sentAt = performance.now()
        try {
          answer = await call(connection, base, op.method, pusher.path, op.method === 'DELETE' ? undefined : pusher.body(op), headers)
        } catch (err) {
          pusher.tainted = true
          run.errors.push(`pusher ${pusher.id} ${op.method} #${op.seq}: ${String(err)}`)
          continue
        }
        run.operations += 1
        run.byMethod[op.method] += 1
        if (measured(sentAt)) {
          run.pushLatency.push(answer.ms)
          if (op.method !== 'DELETE') run.measuredPushes += 1
        }
        if (answer.status >= 200 && answer.status < 300) {
          pusher.acked = op.seq
        } else {
          pusher.tainted = true
          run.refusals.push(`pusher ${pusher.id} ${op.method} #${op.seq}: ${answer.status} ${answer.body.trim()}`)
        }
        const pause = pusher.pause()
        if (pause > 0 && !last) await sleep(pause)
      }
    }

    const load = { pushing: true }
    const scrape = async (scraper: number): Promise<void> => {
      const connection = agent()
      for (let n = 0; load.pushing; n++) {
        const json = n % JSON_EVERY === JSON_EVERY - 1
        const acked = pushers.map(p => p.acked)
        let answer: Timed
        const sentAt = performance.now()
        try {
          answer = await call(connection, base, 'GET', json ? '/api/v1/metrics' : '/metrics', undefined, json ? {} : { accept: TEXT_ACCEPT })
        } catch (err) {
          run.errors.push(`scraper ${scraper} #${n}: ${String(err)}`)
          continue
        }
        const sent = pushers.map(p => p.sent)
        if (measured(sentAt)) run.scrapeLatency.push(answer.ms)
        if (json) run.jsonScrapes += 1
        else run.textScrapes += 1
        const found: string[] = []
        const checking = performance.now()
        if (answer.status !== 200) found.push(`status ${answer.status}`)
        else if (answer.headers['content-type'] !== (json ? JSON_TYPE : TEXT_TYPE)) found.push(`content-type ${String(answer.headers['content-type'])}`)
        else {
          try {
            const observation = json ? observeJson(answer.body, found) : observeText(answer.body, found)
            checkObservation(observation, pushers, { acked, sent }, [startedS - CLOCK_SLACK_S, Date.now() / 1000 + CLOCK_SLACK_S], found)
          } catch (err) {
            found.push(`unreadable: ${String(err)}`)
          }
        }
        run.checkMs += performance.now() - checking
        report(found, `scraper ${scraper} ${json ? 'JSON' : 'text'} scrape #${n}`)
      }
    }

    const scrapers = Array.from({ length: SCRAPERS }, async (_, i) => scrape(i))
    await Promise.all(pushers.map(push))
    run.seconds = (performance.now() - started) / 1000
    load.pushing = false
    await Promise.all(scrapers)
    clearTimeout(cap)

    // The final state: exactly what each pusher's last acknowledged operation left.
    const final = pushers.map(p => p.acked)
    const text = await sendText(frontEnd.base, { method: 'GET', path: '/metrics', headers: { accept: TEXT_ACCEPT } })
    const json = await sendText(frontEnd.base, { method: 'GET', path: '/api/v1/metrics' })
    const textProblems: string[] = text.status === 200 ? [] : [`status ${text.status}`]
    const jsonProblems: string[] = json.status === 200 ? [] : [`status ${json.status}`]
    const range = [startedS - CLOCK_SLACK_S, Date.now() / 1000 + CLOCK_SLACK_S] as const
    checkObservation(observeText(text.body, textProblems), pushers, { acked: final, sent: final }, range, textProblems)
    checkObservation(observeJson(json.body, jsonProblems), pushers, { acked: final, sent: final }, range, jsonProblems)

    // The gateway's own request counter saw every operation, each answered as expected.
    const counted: Record<string, number> = {}
    for (const family of parseMetrics(text.body)) {
      if (family.name !== 'pushgateway_http_requests_total') continue
      for (const metric of family.metrics) {
        const labels = Object.fromEntries(metric.labels.map(l => [l.name, l.value]))
        if (labels['handler'] === 'push' || labels['handler'] === 'delete') counted[`${labels['method'] ?? ''} ${labels['code'] ?? ''}`] = metric.value ?? NaN
      }
    }
    const expectedCounts: Record<string, number> = {}
    if (run.byMethod.PUT > 0) expectedCounts['put 200'] = run.byMethod.PUT
    if (run.byMethod.POST > 0) expectedCounts['post 200'] = run.byMethod.POST
    if (run.byMethod.DELETE > 0) expectedCounts['delete 202'] = run.byMethod.DELETE

    const finalGroups = { own: 0, flakyPresent: 0, flakyDeleted: 0 }
    for (const p of pushers) {
      if (p.kind === 'own') finalGroups.own += 1
      if (p.kind === 'flaky') finalGroups[p.ops.at(-1)?.method === 'DELETE' ? 'flakyDeleted' : 'flakyPresent'] += 1
    }
    const fewest = Math.min(...pushers.map(p => p.ops.length))
    const scrapes = run.textScrapes + run.jsonScrapes
    const ms = (x: number): string => x.toFixed(2)
    const steadyS = Math.max(0.001, (ending.at - started - WARMUP_MS) / 1000)
    t.comment(`${kind}: ${run.operations} operations (PUT ${run.byMethod.PUT}, POST ${run.byMethod.POST}, DELETE ${run.byMethod.DELETE}) by ${pushers.length} pushers in ${run.seconds.toFixed(2)} s; ` +
      `after the ${WARMUP_MS} ms warm-up ${Math.round(run.pushLatency.length / steadyS)} operations/s (${Math.round(run.measuredPushes / steadyS)} pushes/s), ` +
      `operation latency p50 ${ms(quantile(run.pushLatency, 0.5))} ms, p99 ${ms(quantile(run.pushLatency, 0.99))} ms, max ${ms(quantile(run.pushLatency, 1))} ms; ` +
      `${scrapes} scrapes (${run.textScrapes} text, ${run.jsonScrapes} JSON) by ${SCRAPERS} scrapers, after the warm-up p50 ${ms(quantile(run.scrapeLatency, 0.5))} ms, p99 ${ms(quantile(run.scrapeLatency, 0.99))} ms, checking them took ${Math.round(run.checkMs)} ms of the loop; ` +
      `fewest operations of a pusher ${fewest}; final: ${finalGroups.own} own groups, ${finalGroups.flakyPresent} flaky groups present, ${finalGroups.flakyDeleted} deleted`)

    t.same(run.errors.slice(0, MAX_LISTED), [], 'no request failed on the wire')
    t.same(run.refusals.slice(0, MAX_LISTED), [], 'every push and delete was accepted (2xx)')
    t.same({ count: run.problemCount, first: run.problems }, { count: 0, first: [] }, 'every scrape during the load showed whole pushes, none lost, none mixed')
    t.notOk(ending.capped, `the load was done within ${LOAD_CAP_MS / 1000} s (a cap for a hang, not a measure): ` +
      `fewest operations of a pusher ${fewest} of ${OPS_PER_PUSHER}, ${run.textScrapes} of ${TEXT_SCRAPES} text and ${run.jsonScrapes} of ${JSON_SCRAPES} JSON scrapes`)
    t.ok(fewest >= OPS_PER_PUSHER && run.textScrapes >= TEXT_SCRAPES && run.jsonScrapes >= JSON_SCRAPES,
      `the load ran: every pusher made ${OPS_PER_PUSHER} operations or more (fewest ${fewest}), ${run.textScrapes} text and ${run.jsonScrapes} JSON scrapes happened meanwhile`)
    t.same(textProblems, [], 'the final /metrics holds exactly the last acknowledged operation of every pusher')
    t.same(jsonProblems, [], 'the final /api/v1/metrics holds exactly the last acknowledged operation of every pusher')
    t.same(counted, expectedCounts, 'pushgateway_http_requests_total counted every push and delete')
  })
}
