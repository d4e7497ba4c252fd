// The differential harness: the same request sequences go to the reference Pushgateway and to our
// Express mount, Fastify mount and standalone server, and the answers and the stored state are compared.
import { readFileSync } from 'node:fs'
import { gunzipSync, gzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import { encodeDelimited, decodeDelimited, PROTOBUF_CONTENT_TYPE } from '../../src/exposition/protobuf.js'
import { parseText } from '../../src/exposition/parse-text.js'
import { send, type Answer, type Sent } from '../helpers/http.js'
import { PUSHGATEWAY, requirePeers } from '../helpers/peers.js'
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

/** Where ours deliberately differs from the reference: each side's behaviour is asserted on its own. */
export interface Difference {
  /** The README entry under "Compatibility" that lists this difference. */
  readme: string
  /** Asserts what the reference does (a named bug or a 1.5.1 quirk). */
  reference: (t: Test, run: Run) => void
  /** Asserts what ours does, on each front end. */
  ours: (t: Test, run: Run) => void
}

/** One request sequence, named after the spec items it covers. */
export interface Sequence {
  name: string
  steps: Step[]
  /** Set when ours deliberately differs; then nothing is compared between the two. */
  differs?: Difference
  /** Needs a reference process of its own (it trips a reference bug that outlives the sequence). */
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
// After the common prefix Go prints each problem with the metric's protobuf text (whose form
// changed between Go releases, and whose order follows map iteration); ours names the first
// problem's series in exposition syntax and what it clashed with. Only the prefix is compared.
const CLASH_DETAIL = /^(pushed metrics are invalid or inconsistent with existing metrics: )(?:\d+ error\(s\) occurred:\n)?\*? ?(?:collected|gathered) .*$/s

/**
 * A difference in wording only, for a single push both sides refuse with a 400 and nothing stored:
 * where Go passes on a decoder's terse error, ours says what is wrong with the body.
 */
export function clearerMessage (reference: string, ours: string): Difference {
  const refused = (t: Test, run: Run, message: string): void => {
    t.same([run.answers[0]?.status, run.rawBodies[0]], [400, message])
    t.same((run.api as { data: unknown[] }).data, [], 'nothing is stored')
  }
  return {
    readme: 'clearer messages for bodies that cannot be decoded',
    reference: (t, run) => { refused(t, run, reference) },
    ours: (t, run) => { refused(t, run, ours) }
  }
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
    const answer = await send(target.base, { ...step, path: target.mount + step.path })
    answers.push(comparableAnswer(step, answer))
    rawBodies.push(answer.body.toString('utf8'))
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
}

/**
 * Runs each sequence on a fresh store of the reference and of our three front ends, then compares
 * every answer (status, the headers above, the body made comparable) and the stored state
 * (`/metrics` and `/api/v1/metrics`), or asserts both sides' behaviour when ours deliberately differs.
 */
export function differential (sequences: readonly Sequence[], options: SuiteOptions = {}): void {
  const paths = requirePeers(t, PUSHGATEWAY)
  if (paths === undefined) return
  const binary = paths[0] as string
  const args = options.disableConsistencyCheck === true ? ['--push.disable-consistency-check'] : []
  const mount = options.mount ?? '/pushgateway'
  let reference: ReferenceGateway
  const ours = new Map<FrontEndKind, FrontEnd>()
  t.before(async () => {
    reference = await startReference(binary, args)
    for (const kind of FRONT_ENDS) {
      ours.set(kind, await startFrontEnd(kind, { mount: kind === 'standalone' ? '' : mount, consistencyCheck: options.disableConsistencyCheck !== true }))
    }
  })
  t.teardown(async () => {
    await reference.close()
    for (const frontEnd of ours.values()) await frontEnd.close()
  })
  t.test('the README lists every difference these sequences find', async t => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const compatibility = readme.slice(readme.indexOf('## Compatibility')).replace(/\s+/g, ' ').toLowerCase()
    for (const sequence of sequences) {
      if (sequence.differs !== undefined) t.ok(compatibility.includes(`**${sequence.differs.readme.toLowerCase()}`), sequence.differs.readme)
    }
  })
  for (const sequence of sequences) {
    t.test(sequence.name, async t => {
      let own: ReferenceGateway | undefined
      if (sequence.isolated === true) {
        own = await startReference(binary, args)
        t.teardown(async () => { await own?.close() })
      }
      const referenceTarget: Target = { name: 'reference', base: (own ?? reference).base, mount: '' }
      const targets: Target[] = [referenceTarget, ...[...ours.values()].map(f => ({ name: f.kind, base: f.base, mount: f.mount }))]
      await Promise.all(targets.map(wipe))
      // Without the check the reference answers 202 before it writes: wait for each write to land.
      const settleWrites = options.disableConsistencyCheck === true
      const runs = await Promise.all(targets.map(async target => await runOn(target, sequence.steps, settleWrites)))
      const [expected, ...actual] = runs as [Run, ...Run[]]
      if (sequence.differs !== undefined) {
        const differs = sequence.differs
        t.test(`reference: ${differs.readme}`, async t => { differs.reference(t, expected) })
        actual.forEach((run, i) => {
          t.test(`${targets[i + 1]?.name as string}: ${differs.readme}`, async t => { differs.ours(t, run) })
        })
        return
      }
      actual.forEach((run, i) => {
        const name = targets[i + 1]?.name as string
        sequence.steps.forEach((step, s) => {
          t.same(run.answers[s], expected.answers[s], `${name}: step ${s + 1}, ${step.name ?? `${step.method} ${step.path}`}`)
        })
        t.equal(run.metrics, expected.metrics, `${name}: /metrics after the sequence`)
        t.same(run.api, expected.api, `${name}: /api/v1/metrics after the sequence`)
      })
    })
  }
}
