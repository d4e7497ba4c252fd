// The differential harness: the same request sequences go to the reference Pushgateways (1.5.1 and
// 1.11.0) and to our Express mount, Fastify mount and standalone server, and the answers and the
// stored state are compared.
import { readFileSync } from 'node:fs'
import { gunzipSync, gzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { encodeDelimited, decodeDelimited, PROTOBUF_CONTENT_TYPE } from '../../src/exposition/protobuf.js'
import { parseText } from '../../src/exposition/parse-text.js'
import { send, type Answer, type Sent } from '../helpers/http.js'
import { PUSHGATEWAY, PUSHGATEWAY_1_11, requirePeers } from '../helpers/peers.js'
import { startReference, type ReferenceGateway } from '../helpers/reference.js'
import { FRONT_ENDS, startFrontEnd, type FrontEnd, type FrontEndKind } from '../helpers/front-ends.js'
import { eventually } from '../helpers/clock.js'

/** A request of a sequence; `name` says what it checks when that is not obvious. */
export interface Step extends Sent {
  name?: string
  /** Compares only this view of the comparable body (say, the keys of a JSON object). Default: the whole body. */
  view?: (body: unknown) => unknown
  /** Compares only the status: the path is outside the gateway's surface, where the host app answers. Default `false`. */
  statusOnly?: boolean
}

/** An answer with its body made comparable: own metrics left out, push times replaced. */
export interface ComparableAnswer {
  status: number
  headers: Record<string, string>
  body: unknown
}

/** What a sequence did on one gateway. */
export interface Run {
  answers: ComparableAnswer[]
  /** `GET /metrics` after the last step, text format, comparable. */
  metrics: string
  /** `GET /api/v1/metrics` after the last step, comparable (groups sorted by their labels). */
  api: unknown
  /** The answers' bodies as sent, for assertions on one side. */
  rawBodies: string[]
  /** `GET /metrics` after the last step as sent. */
  rawMetrics: string
}

/** The reference Pushgateways the sequences run against. */
export type ReferenceVersion = '1.5.1' | '1.11.0'

/** Where ours deliberately differs from the references: each side's behaviour is asserted on its own. */
export interface Difference {
  /** The README entry under "Compatibility" that lists this difference. */
  readme: string
  /** Asserts what a reference does (a named bug or a Go quirk), on each version. */
  reference: (t: Test, run: Run, version: ReferenceVersion) => void
  /** Asserts what ours does, on each front end. */
  ours: (t: Test, run: Run) => void
}

/** Where 1.5.1 and 1.11.0 answer differently: ours is compared with one, the other is asserted on its own. */
export interface VersionDifference {
  /** The README entry under "Compatibility" that lists this difference between versions. */
  readme: string
  /** The version ours answers like, compared as any sequence is. */
  follows: ReferenceVersion
  /** Asserts what the other version does. */
  other: (t: Test, run: Run) => void
}

/** One request sequence, named after the spec items it covers. */
export interface Sequence {
  name: string
  steps: Step[]
  /** Set when ours deliberately differs; then nothing is compared between ours and the references. */
  differs?: Difference
  /** Set when 1.5.1 and 1.11.0 differ; then ours is compared with the version it follows only. */
  versions?: VersionDifference
  /** Needs reference processes of their own (it trips a reference bug that outlives the sequence). */
  isolated?: boolean
}

/** The headers compared, besides the status and the body. */
const COMPARED_HEADERS = [
  'content-type', 'content-encoding', 'allow', 'location',
  'access-control-allow-headers', 'access-control-allow-methods', 'access-control-allow-origin',
  'access-control-expose-headers', 'cache-control'
]

// Each side's own metrics: Go runtime and process metrics, Node's, and the gateways' own.
const OWN_FAMILY = /^(?:go|process|nodejs|pushgateway|promhttp)_/
const PUSH_TIME_FAMILY = /^push(?:_failure)?_time_seconds$/
const PROTOBUF = 'application/vnd.google.protobuf'
const INCONSISTENT = 'pushed metrics are invalid or inconsistent with existing metrics: '
/** What `runOn` records for a request whose connection was closed without an answer. */
const DROPPED: ComparableAnswer = { status: 0, headers: {}, body: 'the connection was dropped without an answer' }
// After the common prefix Go prints each problem with the metric's protobuf text (whose form
// changed between Go releases, and whose order follows map iteration); ours names the first
// problem's series in exposition syntax and what it clashed with. Only the prefix is compared.
const CLASH_DETAIL = /^(pushed metrics are invalid or inconsistent with existing metrics: )(?:\d+ error\(s\) occurred:\n)?\*? ?(?:collected|gathered) .*$/s

/**
 * A difference in wording only, for a single push both sides refuse with a 400 and nothing stored:
 * where Go passes on a decoder's terse error, ours says what is wrong with the body. `reference` is
 * the message of both versions, or of each.
 */
export function clearerMessage (reference: string | Record<ReferenceVersion, string | RegExp>, ours: string): Difference {
  const refused = (t: Test, run: Run, message: string | RegExp): void => {
    t.equal(run.answers[0]?.status, 400)
    if (typeof message === 'string') t.equal(run.rawBodies[0], message)
    else t.match(run.rawBodies[0], message)
    t.same((run.api as { data: unknown[] }).data, [], 'nothing is stored')
  }
  return {
    readme: 'clearer messages for bodies that cannot be decoded',
    reference: (t, run, version) => { refused(t, run, typeof reference === 'string' ? reference : reference[version]) },
    ours: (t, run) => { refused(t, run, ours) }
  }
}

/**
 * 1.11.0 names the escaping scheme of metric names in every scrape's Content-Type
 * (`; escaping=underscores`), 1.5.1 names none. Ours is compared with `follows` as it is; with the
 * other version the parameter is left out on both sides, and the other version's is asserted on its own.
 */
const SCRAPE_ESCAPING: { readme: string, follows: ReferenceVersion, scheme: Record<ReferenceVersion, string | undefined> } = {
  readme: 'the escaping scheme in a scrape\'s Content-Type',
  follows: '1.11.0',
  scheme: { '1.5.1': undefined, '1.11.0': 'underscores' }
}

/** A scrape's Content-Type as `version` answers it: with the `escaping=` parameter where it names one. */
export function scrapeType (type: string, version: ReferenceVersion): string {
  const scheme = SCRAPE_ESCAPING.scheme[version]
  return scheme === undefined ? type : `${type}; escaping=${scheme}`
}

/** The `escaping=` parameter of an answer's Content-Type, undefined without one. */
function escapingOf (answer: ComparableAnswer | undefined): string | undefined {
  return /;\s*escaping=([^;\s]*)/.exec(answer?.headers['content-type'] ?? '')?.[1]
}

// The answer without the `escaping=` parameter in its Content-Type.
function withoutEscaping (answer: ComparableAnswer | undefined): ComparableAnswer | undefined {
  const type = answer?.headers['content-type']
  if (answer === undefined || type === undefined) return answer
  return { ...answer, headers: { ...answer.headers, 'content-type': type.replace(/;\s*escaping=[^;]*/, '') } }
}

// The answers to the scrapes (a GET of /metrics answered 200) of a run.
function scrapes (steps: readonly Step[], run: Run): Array<ComparableAnswer | undefined> {
  return steps.flatMap((step, i) => step.method === 'GET' && step.path.replace(/\?.*/, '') === '/metrics' && run.answers[i]?.status === 200 ? [run.answers[i]] : [])
}

/** A PUT of a text body. */
export function put (path: string, body = '', headers: Record<string, string> = {}): Step {
  return { method: 'PUT', path, body, headers }
}

/** A POST of a text body. */
export function post (path: string, body = '', headers: Record<string, string> = {}): Step {
  return { method: 'POST', path, body, headers }
}

/** A DELETE. */
export function del (path: string, headers: Record<string, string> = {}): Step {
  return { method: 'DELETE', path, headers }
}

/** A GET. */
export function get (path: string, headers: Record<string, string> = {}): Step {
  return { method: 'GET', path, headers }
}

/** A request of any method with no body. */
export function request (method: string, path: string, headers: Record<string, string> = {}): Step {
  return { method, path, headers }
}

/** A text body gzipped, with `Content-Encoding: gzip` unless other headers are given. */
export function gzipped (method: 'PUT' | 'POST', path: string, text: string, headers: Record<string, string> = { 'content-encoding': 'gzip' }): Step {
  return { method, path, body: gzipSync(text), headers }
}

/** The protobuf Content-Type as client_golang sends it. */
export { PROTOBUF_CONTENT_TYPE }

/** A text body re-encoded as delimited protobuf MetricFamily messages. */
export function protobuf (method: 'PUT' | 'POST', path: string, text: string, contentType = PROTOBUF_CONTENT_TYPE): Step {
  return { method, path, body: encodeDelimited(parseText(text)), headers: { 'content-type': contentType } }
}

/** Leaves out own families and replaces non-zero push times with `<time>`, in a text exposition. */
export function comparableText (text: string): string {
  return text.split('\n').filter(line => !OWN_FAMILY.test(lineFamily(line))).map(line => {
    const match = /^(push(?:_failure)?_time_seconds)(\{.*\}) (\S+)$/.exec(line)
    return match === null || match[3] === '0' ? line : `${match[1] as string}${match[2] as string} <time>`
  }).join('\n')
}

function lineFamily (line: string): string {
  if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) return line.slice(7).split(' ')[0] as string
  return /^[^{ ]*/.exec(line)?.[0] as string
}

/** The families of a delimited protobuf exposition: own ones left out, push times replaced, the rest as raw bytes. */
export function comparableProtobuf (body: Buffer): unknown[] {
  const out: unknown[] = []
  for (const framed of splitDelimited(body)) {
    const family = decodeDelimited(framed)[0]
    if (family === undefined || OWN_FAMILY.test(family.name)) continue
    if (PUSH_TIME_FAMILY.test(family.name)) {
      out.push({ name: family.name, values: family.metrics.map(m => ({ labels: m.labels, value: m.value === 0 ? 0 : '<time>' })) })
    } else {
      out.push(framed.toString('hex'))
    }
  }
  return out
}

/** Each length-prefixed message of a delimited stream, with its prefix. */
function splitDelimited (body: Buffer): Buffer[] {
  const messages: Buffer[] = []
  let at = 0
  while (at < body.length) {
    const start = at
    let length = 0
    let shift = 0
    let byte: number
    do {
      byte = body[at++] as number
      length += (byte & 0x7f) * 2 ** shift
      shift += 7
    } while (byte >= 0x80)
    at += length
    messages.push(body.subarray(start, at))
  }
  return messages
}

interface ApiGroup { labels: Record<string, string>, [family: string]: unknown }

/** `/api/v1/metrics` JSON with push times and time stamps replaced and groups sorted by their labels. */
export function comparableApi (text: string): unknown {
  const api = JSON.parse(text) as { status: string, data?: ApiGroup[] }
  if (!Array.isArray(api.data)) return api
  const groups = api.data.map(group => {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(group)) {
      if (key === 'labels' || key === 'last_push_successful' || typeof value !== 'object' || value === null) {
        out[key] = value
        continue
      }
      const family: Record<string, unknown> = { ...(value as Record<string, unknown>), time_stamp: '<time>' }
      if (PUSH_TIME_FAMILY.test(key)) {
        family.metrics = (family.metrics as Array<{ value: string }>).map(m => ({ ...m, value: m.value === '0' ? '0' : '<time>' }))
      }
      out[key] = family
    }
    return out
  })
  groups.sort((a, b) => JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1)
  return { ...api, data: groups }
}

/** An answer made comparable according to what was asked. */
export function comparableAnswer (step: Step, answer: Answer): ComparableAnswer {
  if (step.statusOnly === true) return { status: answer.status, headers: {}, body: '' }
  const headers: Record<string, string> = {}
  for (const name of COMPARED_HEADERS) {
    const value = answer.headers[name]
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  const bytes = headers['content-encoding'] === 'gzip' ? gunzipSync(answer.body) : answer.body
  const type = headers['content-type'] ?? ''
  const path = step.path.replace(/\?.*/, '')
  let body: unknown = bytes.toString('utf8')
  if (step.method === 'GET' && answer.status === 200 && path === '/metrics') {
    body = type.startsWith(PROTOBUF) && type.includes('encoding=delimited') ? comparableProtobuf(bytes) : comparableText(bytes.toString('utf8'))
  } else if (step.method === 'GET' && answer.status === 200 && path === '/api/v1/metrics') {
    body = comparableApi(bytes.toString('utf8'))
  }
  if (answer.status === 400 && typeof body === 'string' && body.startsWith(INCONSISTENT)) body = body.replace(CLASH_DETAIL, '$1…')
  return { status: answer.status, headers, body: step.view === undefined ? body : step.view(body) }
}

/** A gateway the sequences run against: the reference or one of our front ends. */
interface Target {
  name: string
  base: string
  mount: string
}

// The group `settle` pushes and deletes again between steps; no step and no comparison sees it.
const SENTINEL_JOB = 'differential_harness_sentinel'
const SENTINEL_FAMILY = 'differential_harness_sentinel_step'

/** The value of the sentinel group in `/api/v1/metrics` (which answers even when `/metrics` fails), undefined while there is none. */
async function sentinelValue (target: Target): Promise<string | undefined> {
  const answer = await send(target.base, { method: 'GET', path: `${target.mount}/api/v1/metrics` })
  if (answer.status !== 200) throw new Error(`${target.name}: /api/v1/metrics answered ${answer.status}: ${answer.body.toString('utf8')}`)
  const api = JSON.parse(answer.body.toString('utf8')) as { data?: ApiGroup[] }
  const group = api.data?.find(g => g.labels['job'] === SENTINEL_JOB)
  if (group === undefined) return undefined
  return (group[SENTINEL_FAMILY] as { metrics?: Array<{ value?: string }> } | undefined)?.metrics?.[0]?.value ?? 'no value'
}

/**
 * Waits until `target` has applied every write sent before. Without the consistency check the
 * reference answers a push with 202 before it applies it, but it applies writes one after the
 * other in the order they came: once a sentinel group pushed after them shows the value `n`, they
 * are applied too. The sentinel is then deleted, and its deletion waited for the same way, so
 * that the next step and the final state are as if it had never been pushed.
 */
async function settle (target: Target, n: number): Promise<void> {
  const path = `${target.mount}/metrics/job/${SENTINEL_JOB}`
  const pushed = await send(target.base, { method: 'PUT', path, body: `${SENTINEL_FAMILY} ${n}\n` })
  if (pushed.status >= 300) throw new Error(`${target.name}: the sentinel push after step ${n} answered ${pushed.status}: ${pushed.body.toString('utf8')}`)
  await eventually(async () => await sentinelValue(target) === String(n), `${target.name} shows the sentinel pushed after step ${n}`)
  const deleted = await send(target.base, { method: 'DELETE', path })
  if (deleted.status >= 300) throw new Error(`${target.name}: deleting the sentinel after step ${n} answered ${deleted.status}: ${deleted.body.toString('utf8')}`)
  await eventually(async () => await sentinelValue(target) === undefined, `${target.name} has deleted the sentinel pushed after step ${n}`)
}

async function runOn (target: Target, steps: readonly Step[], settleWrites: boolean): Promise<Run> {
  const answers: ComparableAnswer[] = []
  const rawBodies: string[] = []
  for (const [i, step] of steps.entries()) {
    const answer = await send(target.base, { ...step, path: target.mount + step.path }).catch((error: unknown) => {
      // Debian's 1.11.0 panics while logging a refused push; Go's server then closes the connection.
      if ((error as { code?: string }).code === 'ECONNRESET') return undefined
      throw error
    })
    answers.push(answer === undefined ? DROPPED : comparableAnswer(step, answer))
    rawBodies.push(answer === undefined ? '' : answer.body.toString('utf8'))
    if (step.method !== 'GET' && settleWrites) await settle(target, i + 1)
  }
  const scrape = await send(target.base, { method: 'GET', path: `${target.mount}/metrics` })
  const metrics = comparableAnswer(get('/metrics'), scrape).body as string
  const api = comparableAnswer(get('/api/v1/metrics'), await send(target.base, { method: 'GET', path: `${target.mount}/api/v1/metrics` })).body
  return { answers, metrics, api, rawBodies, rawMetrics: scrape.body.toString('utf8') }
}

// Wipe is asynchronous in the reference: wait until it reports no groups.
async function wipe (target: Target): Promise<void> {
  await send(target.base, { method: 'PUT', path: `${target.mount}/api/v1/admin/wipe` })
  await eventually(async () => {
    const answer = await send(target.base, { method: 'GET', path: `${target.mount}/api/v1/metrics` })
    return answer.body.toString() === '{"status":"success","data":[]}'
  }, `${target.name} has no groups after a wipe`)
}

/** How the gateways of a suite are configured. */
export interface SuiteOptions {
  /** Runs with `--push.disable-consistency-check` / `consistencyCheck: false`. Default `false`. */
  disableConsistencyCheck?: boolean
  /** Where the Express and Fastify apps mount the gateway. Default `/pushgateway`. */
  mount?: string
  /**
   * Runs with `--push.enable-utf8-names` / `utf8Names: true`, or explicitly without it; either way
   * the sequences are compared with 1.11.0 only (1.5.1 has no such flag), and a sequence with a push
   * 1.11.0 drops must say how ours differs. Default: not set, both versions.
   */
  utf8Names?: boolean
}

// Each reference version and the peer that runs it.
const VERSIONS: readonly ReferenceVersion[] = ['1.5.1', '1.11.0']

/** The steps 1.5.1 refuses with a 400 as invalid or inconsistent: Debian's 1.11.0 drops their connection instead. */
function refusedAsInconsistent (run: Run): number[] {
  return run.answers.flatMap((answer, i) => answer.status === 400 && typeof answer.body === 'string' && answer.body.startsWith(INCONSISTENT) ? [i] : [])
}

/** The steps whose connection was dropped without an answer. */
function droppedSteps (run: Run): number[] {
  return run.answers.flatMap((answer, i) => answer === DROPPED ? [i] : [])
}

async function startReferences (binaries: ReadonlyMap<ReferenceVersion, string>, args: string[]): Promise<Map<ReferenceVersion, ReferenceGateway>> {
  const started = await Promise.all([...binaries].map(async ([version, binary]) => [version, await startReference(binary, args)] as const))
  return new Map(started)
}

async function closeAll (gateways: Iterable<{ close: () => Promise<void> }>): Promise<void> {
  await Promise.all([...gateways].map(async gateway => { await gateway.close() }))
}

/**
 * Runs each sequence on a fresh store of both references (1.5.1 and 1.11.0) and of our three
 * front ends, then compares every answer (status, the headers above, the body made comparable) and
 * the stored state (`/metrics` and `/api/v1/metrics`) with each reference, or asserts each side's
 * behaviour where ours deliberately differs or where the two versions differ. Debian's 1.11.0
 * drops the connection of every push it refuses as invalid or inconsistent: that is asserted, and
 * such a sequence is compared with 1.5.1 only.
 */
export function differential (sequences: readonly Sequence[], options: SuiteOptions = {}): void {
  const paths = requirePeers(t, PUSHGATEWAY, PUSHGATEWAY_1_11)
  if (paths === undefined) return
  // With the UTF-8 setting named, 1.11.0 alone: 1.5.1 has no such flag.
  const compareWith = options.utf8Names === undefined ? VERSIONS : VERSIONS.filter(version => version === '1.11.0')
  const binaries = new Map<ReferenceVersion, string>(compareWith.map(version => [version, paths[VERSIONS.indexOf(version)] as string]))
  const args = options.disableConsistencyCheck === true ? ['--push.disable-consistency-check'] : []
  if (options.utf8Names === true) args.push('--push.enable-utf8-names')
  const mount = options.mount ?? '/pushgateway'
  let references = new Map<ReferenceVersion, ReferenceGateway>()
  const ours = new Map<FrontEndKind, FrontEnd>()
  t.before(async () => {
    references = await startReferences(binaries, args)
    for (const kind of FRONT_ENDS) {
      const utf8Names = options.utf8Names === true
      ours.set(kind, await startFrontEnd(kind, { mount: kind === 'standalone' ? '' : mount, consistencyCheck: options.disableConsistencyCheck !== true, options: { utf8Names }, flags: { enableUtf8Names: utf8Names } }))
    }
  })
  t.teardown(async () => {
    await closeAll(references.values())
    await closeAll(ours.values())
  })
  t.test('the README lists every difference these sequences find', async t => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const compatibility = readme.slice(readme.indexOf('## Compatibility')).replace(/\s+/g, ' ').toLowerCase()
    const entries = [SCRAPE_ESCAPING.readme, ...sequences.flatMap(sequence => [sequence.differs?.readme ?? [], sequence.versions?.readme ?? []].flat())]
    for (const entry of entries) t.ok(compatibility.includes(`**${entry.toLowerCase()}`), entry)
  })
  for (const sequence of sequences) {
    t.test(sequence.name, async t => {
      let gateways = references
      if (sequence.isolated === true) {
        const own = gateways = await startReferences(binaries, args)
        t.teardown(async () => { await closeAll(own.values()) })
      }
      const targets: Target[] = [
        ...compareWith.map(version => ({ name: `reference ${version}`, base: (gateways.get(version) as ReferenceGateway).base, mount: '' })),
        ...[...ours.values()].map(f => ({ name: f.kind, base: f.base, mount: f.mount }))
      ]
      await Promise.all(targets.map(wipe))
      // Without the check the references answer 202 before they write: wait for each write to land.
      const settleWrites = options.disableConsistencyCheck === true
      const runs = await Promise.all(targets.map(async target => await runOn(target, sequence.steps, settleWrites)))
      const referenceRuns = new Map(compareWith.map((version, i) => [version, runs[i] as Run]))
      const ourRuns = runs.slice(compareWith.length).map((run, i) => ({ name: targets[compareWith.length + i]?.name as string, run }))
      const dropped = droppedSteps(referenceRuns.get('1.11.0') as Run)
      const older = referenceRuns.get('1.5.1')
      if (older !== undefined) {
        t.same(dropped, refusedAsInconsistent(older),
          '1.11.0 drops the connection of exactly the pushes 1.5.1 refuses as invalid or inconsistent (Debian\'s build panics while logging them)')
      } else if (dropped.length > 0 && sequence.differs === undefined) {
        t.fail(`1.11.0 dropped steps ${dropped.map(i => i + 1).join(', ')}: with 1.11.0 alone, the sequence must say how ours differs`)
      }
      const compared = dropped.length === 0 ? compareWith : compareWith.filter(version => version !== '1.11.0')
      const differs = sequence.differs
      if (differs !== undefined) {
        // With 1.11.0 alone, its side is asserted even when it dropped a push: there is no other.
        for (const version of older === undefined ? compareWith : compared) {
          t.test(`reference ${version}: ${differs.readme}`, async t => { differs.reference(t, referenceRuns.get(version) as Run, version) })
        }
        for (const { name, run } of ourRuns) t.test(`${name}: ${differs.readme}`, async t => { differs.ours(t, run) })
        return
      }
      const versions = sequence.versions
      if (versions !== undefined && !compared.includes(versions.follows)) t.fail(`ours follows ${versions.follows}, whose answers this sequence cannot compare`)
      for (const version of compared) {
        const expected = referenceRuns.get(version) as Run
        if (versions !== undefined && version !== versions.follows) {
          t.test(`reference ${version}: ${versions.readme}`, async t => { versions.other(t, expected) })
          continue
        }
        const comparable = version === SCRAPE_ESCAPING.follows ? (answer: ComparableAnswer | undefined) => answer : withoutEscaping
        if (version !== SCRAPE_ESCAPING.follows) {
          const answers = scrapes(sequence.steps, expected)
          t.same(answers.map(escapingOf), answers.map(() => SCRAPE_ESCAPING.scheme[version]), `reference ${version}: ${SCRAPE_ESCAPING.readme}`)
        }
        for (const { name, run } of ourRuns) {
          sequence.steps.forEach((step, s) => {
            t.same(comparable(run.answers[s]), comparable(expected.answers[s]), `${name} as ${version}: step ${s + 1}, ${step.name ?? `${step.method} ${step.path}`}`)
          })
          t.equal(run.metrics, expected.metrics, `${name} as ${version}: /metrics after the sequence`)
          t.same(run.api, expected.api, `${name} as ${version}: /api/v1/metrics after the sequence`)
        }
      }
    })
  }
}
