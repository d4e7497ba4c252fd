// Pushes whose text body repeats the group's last one but for its values skip the parse (see
// `textTemplate`): through the whole gateway, every answer and everything shown afterwards must be
// what the same requests give when every push is made in full.
import t from 'tap'
import { gzipSync } from 'node:zlib'
import { Registry } from 'prom-client'
import { Pushgateway, type GatewayRequest, type GatewayResponse } from '../../src/gateway.js'
import { createLogger } from '../../src/log.js'
import type { MemoryStore } from '../../src/store/memory/memory-store.js'
import type { RepeatWrite } from '../../src/store/store.js'
import { TEMPLATE_MAX_LENGTH } from '../../src/exposition/text-template.js'
import { encodeDelimited, PROTOBUF_CONTENT_TYPE } from '../../src/exposition/protobuf.js'
import { parseText } from '../../src/exposition/parse-text.js'

const quiet = createLogger({ level: 'error', write: () => {} })

// A gateway on a clock of its own, and whether each push its store was handed as a repeat was one.
function gatewayOf (repeats: boolean): { gateway: Pushgateway, registry: Registry, tick: () => void, repeated: boolean[] } {
  let now = 1_700_000_000_000_000_000n
  const registry = new Registry()
  const gateway = new Pushgateway({ registry, logger: quiet, now: () => now })
  const store = gateway.store as MemoryStore
  const repeated: boolean[] = []
  const repeat = store.repeat.bind(store)
  // An own property shadows the method: `undefined` makes the store one without repeats.
  Object.defineProperty(store, 'repeat', {
    value: repeats
      ? async (write: RepeatWrite) => {
        const answer = await repeat(write)
        repeated.push(answer)
        return answer
      }
      : undefined
  })
  return { gateway, registry, tick: () => { now += 1_000_000_000n }, repeated }
}

// What the gateway shows: its exposition in both formats and the API's groups, the request counter aside.
async function shown (gateway: Pushgateway): Promise<string[]> {
  const api = await gateway.handle({ method: 'GET', url: '/api/v1/metrics', headers: {} })
  const text = await gateway.handle({ method: 'GET', url: '/metrics', headers: {} })
  const openMetrics = await gateway.handle({ method: 'GET', url: '/metrics', headers: { accept: 'application/openmetrics-text; version=1.0.0' } })
  const pushed = (answer: GatewayResponse): string => String(answer.body).split('\n').filter(line => !line.includes('pushgateway_http_')).join('\n')
  return [String(api.body), pushed(text), pushed(openMetrics)]
}

t.test('a repeat answers and shows exactly what a full push does', async t => {
  const fast = gatewayOf(true)
  const full = gatewayOf(false)
  const random = seeded(7)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
  const VALUES = ['0', '1', '2.5', '-1', 'NaN', '+Inf', '1e3', '3.25']
  const NOT_VALUES = ['x', '', '0x1', '1_000']
  const value = (): string => random() < 0.05 ? pick(NOT_VALUES) : pick(VALUES)
  const BODIES = [
    () => `# TYPE jobs_total counter\njobs_total{kind="a"} ${value()}\njobs_total{kind="b"} ${value()}\n# TYPE last gauge\nlast ${value()}\n`,
    () => `# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total{kind="a"} ${value()}\n`,
    () => `# TYPE last gauge\nlast ${value()}\nother{x="1"} ${value()}\n`,
    // A type clash with the other bodies: refused wherever the others are.
    () => `# TYPE last counter\nlast ${value()}\n`,
    () => `# TYPE jobs_total counter\njobs_total{kind="a"} ${value()} 1000\n`,
    () => `# TYPE s summary\ns_sum ${value()}\ns_count 1\n`,
    () => `push_time_seconds ${value()}\n`
  ]
  const PATHS = ['/metrics/job/a', '/metrics/job/a/instance/i1', '/metrics/job/b']
  // Mostly the body last pushed to the path, with other values.
  const last = new Map<string, () => string>()
  const bodyFor = (url: string): () => string => {
    const body = random() < 0.8 ? last.get(url) ?? pick(BODIES) : pick(BODIES)
    last.set(url, body)
    return body
  }
  let steps = 0
  for (let step = 0; step < 600; step++) {
    const roll = random()
    const url = pick(PATHS)
    const request: GatewayRequest = roll < 0.05
      ? { method: 'DELETE', url, headers: {} }
      : roll < 0.1
        ? { method: 'POST', url: url.replace('/metrics/', '/aggregate/'), headers: {}, body: `agg_total ${pick(VALUES.slice(0, 4))}\n` }
        : { method: roll < 0.55 ? 'PUT' : 'POST', url, headers: {}, body: bodyFor(url)() }
    const answers = [await fast.gateway.handle({ ...request }), await full.gateway.handle({ ...request })]
    t.strictSame([answers[0]?.status, answers[0]?.body], [answers[1]?.status, answers[1]?.body], `${request.method} ${request.url} ${String(request.body)}`)
    t.strictSame(await shown(fast.gateway), await shown(full.gateway))
    fast.tick()
    full.tick()
    steps++
  }
  const repeats = fast.repeated.filter(Boolean).length
  t.ok(repeats > 75 && repeats < fast.repeated.length, `${repeats} of ${fast.repeated.length} pushes of ${steps} steps were repeats`)
})

t.test('a family of the gateway\'s own registered with another type since the last push is refused as in full', async t => {
  const { gateway, registry, repeated } = gatewayOf(true)
  const push = async (value: number): Promise<GatewayResponse> => await gateway.handle({ method: 'PUT', url: '/metrics/job/a', headers: {}, body: `# TYPE mine gauge\nmine ${value}\n` })
  for (const value of [1, 2, 3]) t.equal((await push(value)).status, 200)
  registry.registerMetric(new (await import('prom-client')).Counter({ name: 'mine', help: 'Mine.', registers: [] }))
  const refused = await push(4)
  t.equal(refused.status, 400)
  t.match(refused.body, /mine has type GAUGE but should have COUNTER/)
  t.same(repeated, [false, false, true, false])
})

t.test('only short text bodies in valid UTF-8 are handed to the store as repeats', async t => {
  const { gateway, repeated } = gatewayOf(true)
  const body = '# TYPE m gauge\nm 1\n'
  const push = async (headers: GatewayRequest['headers'], sent: string | Buffer): Promise<number> => (await gateway.handle({ method: 'PUT', url: '/metrics/job/a', headers, body: sent })).status
  t.equal(await push({}, body), 200)
  t.equal(await push({}, body), 200)
  t.equal(await push({ 'content-encoding': 'gzip' }, gzipSync(body)), 200, 'decoded first')
  t.equal(await push({ 'content-type': 'application/openmetrics-text; version=1.0.0' }, body + '# EOF\n'), 200)
  t.equal(await push({ 'content-type': PROTOBUF_CONTENT_TYPE }, encodeDelimited(parseText(body))), 200)
  t.equal(await push({}, Buffer.from([...Buffer.from('m{x="'), 0xff, ...Buffer.from('"} 1\n')])), 400, 'not UTF-8')
  t.equal(await push({}, body + '#' + ' '.repeat(TEMPLATE_MAX_LENGTH) + '\n'), 200, 'too long to have a template')
  t.equal(await push({}, body), 200)
  t.same(repeated, [false, false, true, false], 'the first push, the second (which makes the template), the gzipped one, then the body after the one too long')
})

// A small deterministic generator, so that a failure repeats.
function seeded (seed: number): () => number {
  let state = seed
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}
