import t from 'tap'
import zlib, { gzipSync, type InputType, type ZlibOptions } from 'node:zlib'
import { syncBuiltinESMExports } from 'node:module'
import { Readable } from 'node:stream'
import { Registry } from 'prom-client'
import { DEFAULT_LIMITS, resolveLimits, seriesCost, type Limits } from '../../src/groups/limits.js'
import { emptyHistogram } from '../../src/exposition/types.js'
import { Pushgateway, type GatewayRequest } from '../../src/gateway.js'
import { MemoryStore } from '../../src/store/memory/memory-store.js'
import { pushPrepared, pushText } from '../helpers/store.js'

function gateway (limits: Limits, bodyLimit?: number): Pushgateway {
  return new Pushgateway({ registry: new Registry(), limits, ...(bodyLimit === undefined ? {} : { bodyLimit }) })
}

function put (url: string, body: string | Buffer, headers: Record<string, string> = {}, method = 'PUT'): GatewayRequest {
  return { method, url, headers, body }
}

function lines (count: number, name = 'm'): string {
  return Array.from({ length: count }, (_, i) => `${name}{i="${i}"} ${i}\n`).join('')
}

t.test('the limits option', async t => {
  t.equal(resolveLimits(undefined), DEFAULT_LIMITS)
  t.same(resolveLimits({ groups: 5, series: Infinity, labelNameLength: undefined }), { ...DEFAULT_LIMITS, groups: 5, series: Infinity })
  t.ok(Object.isFrozen(resolveLimits({ groups: 5 })))
  for (const [limits, message] of [
    [null, /option "limits" must be an object/],
    ['x', /option "limits" must be an object/],
    [{ groups: 0 }, /option "limits\.groups" must be a positive integer, or Infinity for no limit, got 0/],
    [{ series: -1 }, /limits\.series/],
    [{ seriesPerPush: 1.5 }, /limits\.seriesPerPush/],
    [{ labelsPerSeries: '10' }, /limits\.labelsPerSeries/],
    [{ labelValueLength: NaN }, /limits\.labelValueLength/],
    [{ seriesPerGroups: 10 }, /option "limits\.seriesPerGroups" must be left out: it is not an option, got 10/],
    [{ groupsperjob: 10 }, /option "limits\.groupsperjob" must be left out: it is not an option \(did you mean "limits\.groupsPerJob"\?\)/]
  ] as const) {
    t.throws(() => new Pushgateway({ registry: new Registry(), limits: limits as Limits }), { code: 'ERR_INVALID_OPTION', message }, JSON.stringify(limits))
  }
})

t.test('each refusal names the limit, its value and its flag, and stores nothing', async t => {
  const cases: Array<{ name: string, limits: Limits, setup?: Array<[string, string]>, push: GatewayRequest, status: number, message: string }> = [
    {
      name: 'series per push',
      limits: { seriesPerPush: 3 },
      push: put('/metrics/job/a', lines(4)),
      status: 400,
      message: 'push refused: the push has more than 3 series, over the limit of 3 (limits.seriesPerPush, --limits.series-per-push)'
    },
    {
      name: 'series per push, counting a histogram line by line',
      limits: { seriesPerPush: 3 },
      push: put('/metrics/job/a', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'),
      status: 400,
      message: 'push refused: the push has 4 series, over the limit of 3 (limits.seriesPerPush, --limits.series-per-push)'
    },
    {
      name: 'series per group, PUT',
      limits: { seriesPerGroup: 3 },
      push: put('/metrics/job/a', lines(4)),
      status: 400,
      message: 'push refused: the group would hold 4 series, over the limit of 3 (limits.seriesPerGroup, --limits.series-per-group)'
    },
    {
      name: 'series per group, POST adds to what the group keeps',
      limits: { seriesPerGroup: 3 },
      setup: [['/metrics/job/a', lines(2, 'kept')]],
      push: put('/metrics/job/a', lines(2, 'more'), {}, 'POST'),
      status: 400,
      message: 'push refused: the group would hold 4 series, over the limit of 3 (limits.seriesPerGroup, --limits.series-per-group)'
    },
    {
      name: 'groups',
      limits: { groups: 2 },
      setup: [['/metrics/job/a', 'm 1\n'], ['/metrics/job/b', 'm 1\n']],
      push: put('/metrics/job/c', 'm 1\n'),
      status: 429,
      message: 'push refused: the store holds 2 groups, over the limit of 2 (limits.groups, --limits.groups)'
    },
    {
      name: 'series in the store',
      limits: { series: 5 },
      setup: [['/metrics/job/a', lines(3)]],
      push: put('/metrics/job/b', lines(3, 'n')),
      status: 429,
      message: 'push refused: the store would hold 6 series, over the limit of 5 (limits.series, --limits.series)'
    },
    {
      name: 'label name length, in the body',
      limits: { labelNameLength: 8 },
      push: put('/metrics/job/a', 'm{abcdefghi="1"} 1\n'),
      status: 400,
      message: 'push refused: the label name "abcdefghi" has 9 characters, over the limit of 8 (limits.labelNameLength, --limits.label-name-length)'
    },
    {
      name: 'label name length, in the grouping key, a long name cut short',
      limits: { labelNameLength: 8 },
      push: put(`/metrics/job/a/${'n'.repeat(50)}/1`, 'm 1\n'),
      status: 400,
      message: `push refused: the label name "${'n'.repeat(40)}…" has 50 characters, over the limit of 8 (limits.labelNameLength, --limits.label-name-length)`
    },
    {
      name: 'label value length counts UTF-8 bytes',
      limits: { labelValueLength: 5 },
      push: put('/metrics/job/a', 'm{v="ééé"} 1\n'),
      status: 400,
      message: 'push refused: the value of label "v" has 6 bytes, over the limit of 5 (limits.labelValueLength, --limits.label-value-length)'
    },
    {
      name: 'label value length, in the grouping key',
      limits: { labelValueLength: 5 },
      push: put('/metrics/job/abcdef', 'm 1\n'),
      status: 400,
      message: 'push refused: the value of label "job" has 6 bytes, over the limit of 5 (limits.labelValueLength, --limits.label-value-length)'
    },
    {
      name: 'labels per series, counting job and instance',
      limits: { labelsPerSeries: 3 },
      push: put('/metrics/job/a', 'm{x="1",y="2"} 1\n'),
      status: 400,
      message: 'push refused: a series of "m" would carry 4 labels, over the limit of 3 (limits.labelsPerSeries, --limits.labels-per-series)'
    }
  ]
  for (const c of cases) {
    const gw = gateway(c.limits)
    for (const [url, body] of c.setup ?? []) t.equal((await gw.handle(put(url, body))).status, 200, `${c.name}: setup`)
    const before = await gw.metrics()
    const answer = await gw.handle(c.push)
    t.equal(answer.status, c.status, `${c.name}: status`)
    t.equal(answer.body, c.message + '\n', `${c.name}: message`)
    t.match(answer.error, { code: 'ERR_LIMIT_EXCEEDED', name: 'LimitExceededError', statusCode: c.status }, `${c.name}: error`)
    t.equal(await gw.metrics(), before, `${c.name}: nothing stored, not even a failure time`)
  }
})

t.test('what stays within the limits is accepted', async t => {
  const gw = gateway({ seriesPerPush: 3, seriesPerGroup: 3, groups: 2, series: 5, labelNameLength: 9, labelValueLength: 6, labelsPerSeries: 4 })
  t.equal((await gw.handle(put('/metrics/job/a', lines(3)))).status, 200, 'exactly at the limits')
  t.equal((await gw.handle(put('/metrics/job/a', lines(3, 'n')))).status, 200, 'a PUT replaces: the old series do not count')
  t.equal((await gw.handle(put('/metrics/job/a', lines(1, 'n'), {}, 'POST'))).status, 200, 'a POST replaces same-name families')
  t.equal((await gw.handle(put('/metrics/job/b/abcdefghi/éé', 'm{instance="x",job="overridden",y="1"} 1\n'))).status, 200, 'the grouping key overrides, instance counts once')
  t.equal((await gw.handle(put('/metrics/job/b/abcdefghi/éé', lines(1)))).status, 200, 'a push to an existing group at the group limit')
  t.equal((await gw.handle({ method: 'DELETE', url: '/metrics/job/b/abcdefghi/éé', headers: {} })).status, 202)
  t.equal((await gw.handle(put('/metrics/job/c', lines(2)))).status, 200, 'a deleted group frees its place and its series')
  t.equal((await gw.handle(put('/metrics/job/d', 'm 1\n'))).status, 429, 'the group limit again')
  t.equal((await gw.handle(put('/metrics/job/d', 'm 1\n'))).headers['content-type'], 'text/plain; charset=utf-8')
})

t.test('Infinity turns a limit off', async t => {
  const gw = gateway({ seriesPerPush: Infinity, labelsPerSeries: Infinity })
  t.equal((await gw.handle(put('/metrics/job/a', lines(1000) + `x{${Array.from({ length: 200 }, (_, i) => `l${i}="v"`).join(',')}} 1\n`))).status, 200)
})

t.test('the store counts series through every kind of change', async t => {
  const store = new MemoryStore()
  const limits = { groups: 10, series: 4, seriesPerGroup: 10, writersPerGroup: 10, groupsPerJob: Infinity, seriesPerJob: Infinity }
  await pushText(store, { job: 'a' }, lines(2))
  await pushText(store, { job: 'b' }, lines(2))
  await t.rejects(pushPrepared(store, { labels: { job: 'c' }, families: [], replace: true, timeNs: 1n, limits: { ...limits, groups: 2 } }), { code: 'ERR_LIMIT_EXCEEDED' })
  await store.delete({ job: 'a' })
  await t.resolves(pushText(store, { job: 'c' }, lines(2)))
  await t.rejects(pushPrepared(store, { labels: { job: 'd' }, families: [{ name: 'x', type: 'gauge', metrics: [{ labels: [], value: 1 }] }], replace: true, timeNs: 1n, limits }), { code: 'ERR_LIMIT_EXCEEDED', message: /limits\.series,/ })
  await store.wipe()
  await t.resolves(pushPrepared(store, { labels: { job: 'd' }, families: [{ name: 'x', type: 'gauge', metrics: [{ labels: [], value: 1 }] }], replace: true, timeNs: 1n, limits }))
  await store.recordFailure({ job: 'e' }, 2n, { ...limits, groups: 1 })
  t.equal((await store.size()).groups, 1, 'a failure does not create a group past the limit')
  await store.recordFailure({ job: 'e' }, 2n)
  t.equal((await store.size()).groups, 2, 'without limits it does')
})

/** One inflation the gateway asked zlib for, and the most bytes it can have produced. */
interface Inflation {
  how: string
  mostBytes: number
}

/**
 * Runs `fn` while watching zlib's gunzipSync and createGunzip, which the gateway uses to inflate
 * a gzip body, and reports how many bytes each inflation produced at most: a count, unlike the
 * memory the process holds, which depends on when the garbage collector runs.
 */
async function watchingInflation<T> (fn: () => Promise<T>): Promise<{ result: T, inflations: Inflation[] }> {
  const inflations: Inflation[] = []
  const realGunzipSync = zlib.gunzipSync
  const realCreateGunzip = zlib.createGunzip
  zlib.gunzipSync = ((buffer: InputType, options?: ZlibOptions) => {
    const inflation: Inflation = { how: 'gunzipSync', mostBytes: Infinity }
    inflations.push(inflation)
    try {
      const out = realGunzipSync(buffer, options)
      inflation.mostBytes = out.length
      return out
    } catch (err) {
      // zlib checks maxOutputLength after each chunk it writes: it held the limit plus a chunk at most.
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' && options?.maxOutputLength !== undefined) {
        inflation.how = `gunzipSync stopped at maxOutputLength ${options.maxOutputLength}`
        inflation.mostBytes = options.maxOutputLength + (options.chunkSize ?? zlib.constants.Z_DEFAULT_CHUNK)
      }
      throw err
    }
  }) as typeof zlib.gunzipSync
  // createGunzip is a read-only property of node:zlib, but a configurable one.
  const setCreateGunzip = (value: typeof zlib.createGunzip): void => { Object.defineProperty(zlib, 'createGunzip', { value }) }
  setCreateGunzip(((options?: ZlibOptions) => {
    const gunzip = realCreateGunzip(options)
    const inflation: Inflation = { how: 'createGunzip', mostBytes: 0 }
    inflations.push(inflation)
    const push = gunzip.push.bind(gunzip)
    gunzip.push = (chunk: unknown, encoding?: BufferEncoding) => {
      if (Buffer.isBuffer(chunk)) inflation.mostBytes += chunk.length
      return push(chunk, encoding)
    }
    return gunzip
  }) as typeof zlib.createGunzip)
  syncBuiltinESMExports()
  try {
    return { result: await fn(), inflations }
  } finally {
    zlib.gunzipSync = realGunzipSync
    setCreateGunzip(realCreateGunzip)
    syncBuiltinESMExports()
  }
}

t.test('a body over the size limit, plain or a gzip bomb, is a 413 naming the limit', async t => {
  const gw = gateway({}, 1024)
  const plain = await gw.handle(put('/metrics/job/a', lines(200)))
  t.equal(plain.status, 413)
  t.equal(plain.body, 'request body exceeds the body limit of 1024 bytes\n')
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20))
  t.ok(bomb.length < 100_000, `the bomb is ${bomb.length} bytes of gzip`)
  const answer = await watchingInflation(async () => gw.handle(put('/metrics/job/a', bomb, { 'content-encoding': 'gzip' })))
  t.equal(answer.result.status, 413)
  t.equal(answer.result.body, 'request body exceeds the body limit of 1024 bytes\n')
  t.ok(answer.inflations.length > 0, 'the gateway inflated the body')
  const most = answer.inflations.reduce((sum, inflation) => sum + inflation.mostBytes, 0)
  t.ok(most <= 1024 + 64 * 1024, `zlib stopped at the limit, not after inflating 64 MiB: at most ${most} bytes inflated (${JSON.stringify(answer.inflations)})`)
  // The same bomb as a stream, the way a request body arrives.
  const streamed = await watchingInflation(async () => gw.handle({ method: 'PUT', url: '/metrics/job/a', headers: { 'content-encoding': 'gzip' }, body: Readable.from([bomb]) }))
  t.equal(streamed.result.status, 413)
  t.ok(streamed.inflations.length > 0, 'the gateway inflated the streamed body')
  const streamedMost = streamed.inflations.reduce((sum, inflation) => sum + inflation.mostBytes, 0)
  t.ok(streamedMost <= 1024 + 256 * 1024, `streamed, zlib stopped near the limit, not after inflating 64 MiB: ${streamedMost} bytes inflated (${JSON.stringify(streamed.inflations)})`)
  t.equal(await gw.metrics(), '')
})

t.test('series are counted as the text exposition shows them', async t => {
  const histogram = emptyHistogram()
  histogram.buckets = [{ upperBound: 1, cumulativeCount: 1 }, { upperBound: 2, cumulativeCount: 2 }]
  histogram.positiveSpans = [{ offset: 0, length: 3 }, { offset: 2, length: 1 }]
  t.equal(seriesCost({ name: 'h', type: 'histogram', metrics: [{ labels: [], histogram }] }), 2 + 2 + 4, 'classic and native buckets, _sum and _count')
  t.equal(seriesCost({ name: 's', type: 'summary', metrics: [{ labels: [], summary: { sampleCount: 1, sampleSum: 1, quantiles: [{ quantile: 0.5, value: 1 }] } }, { labels: [{ name: 'a', value: 'b' }] }] }), 3 + 2, 'a summary without its summary counts its _sum and _count')
  t.equal(seriesCost({ name: 'g', type: 'gauge', metrics: [{ labels: [], value: 1 }, { labels: [{ name: 'a', value: 'b' }], value: 2 }] }), 2)
  t.equal(seriesCost({ name: 'e', type: 'counter', metrics: [] }), 1, 'an empty family counts 1')
})
