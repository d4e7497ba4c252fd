import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { SNAPSHOT_VERSION, SnapshotError, decodeSnapshot, encodeSnapshot } from '../../../src/store/memory/snapshot.js'
import { encodeDelimited } from '../../../src/exposition/protobuf.js'
import { emptyHistogram, type MetricFamily } from '../../../src/exposition/types.js'
import type { GroupView, StoredFamily } from '../../../src/store/store.js'

const WRITTEN_AT = new Date('2026-11-23T10:15:30.123Z')
const HEADER = 'pushgateway-middleware snapshot 2\n'

const NATIVE: MetricFamily = {
  name: 'latency_seconds',
  help: 'Latency.\nSecond line with a backslash \\ and "quotes".',
  type: 'histogram',
  unit: 'seconds',
  metrics: [{
    labels: [{ name: 'instance', value: 'ü-1' }, { name: 'job', value: 'batch' }],
    histogram: {
      ...emptyHistogram(),
      sampleCount: 7,
      sampleSum: -0,
      createdTimestampMs: 1700000000123.5,
      schema: 3,
      zeroThreshold: 1e-128,
      zeroCount: 2,
      negativeSpans: [{ offset: -2, length: 1 }],
      negativeDeltas: [1],
      positiveSpans: [{ offset: 0, length: 2 }, { offset: 3, length: 1 }],
      positiveDeltas: [2, -1, 1],
      buckets: [{ upperBound: 0.5, cumulativeCount: 3, exemplar: { labels: [{ name: 'trace_id', value: 'abc' }], value: 0.25, timestampMs: 1700000000000.25 } }, { upperBound: Infinity, cumulativeCount: 7 }],
      exemplars: [{ labels: [{ name: 'trace_id', value: 'def' }], value: 1.5 }]
    }
  }]
}

const FLOAT_HISTOGRAM: MetricFamily = {
  name: 'float_h',
  type: 'gaugehistogram',
  metrics: [{
    labels: [],
    histogram: { ...emptyHistogram(), sampleCount: 0, sampleCountFloat: 2.5, sampleSum: NaN, zeroCountFloat: 0.5, positiveSpans: [{ offset: 1, length: 1 }], positiveCounts: [2] }
  }]
}

const VALUES: MetricFamily = {
  name: 'odd_values',
  type: 'gauge',
  metrics: [NaN, Infinity, -Infinity, -0, 5e-324].map((value, i) => ({ labels: [{ name: 'i', value: String(i) }, { name: 'é', value: '日本語 "q" \\ \n' }], value }))
}

const COUNTER: MetricFamily = {
  name: 'requests_total',
  help: '',
  type: 'counter',
  metrics: [{ labels: [], value: 12, createdTimestampMs: 1700000000000, exemplar: { labels: [{ name: 'span', value: 's' }], value: 1, timestampMs: 5 } }]
}

const SUMMARY: MetricFamily = {
  name: 'rpc_seconds',
  type: 'summary',
  metrics: [{ labels: [], summary: { sampleCount: 3, sampleSum: 1.5, quantiles: [{ quantile: 0.5, value: NaN }, { quantile: 0.99, value: 1 }], createdTimestampMs: 3 } }]
}

const EMPTY_FAMILY: MetricFamily = { name: 'no_series', type: 'untyped', metrics: [] }

function stored (family: MetricFamily, timeNs: bigint): StoredFamily {
  return { family, timeNs }
}

function view (labels: Record<string, string>, families: StoredFamily[], pushTimeNs = 1n, failureTimeNs = 0n): GroupView {
  return { labels, families: new Map(families.map(s => [s.family.name, s])), pushTimeNs, failureTimeNs }
}

// The families in an order that is not sorted by name: map order must survive.
const GROUPS: GroupView[] = [
  view({ job: 'zeta' }, [stored(VALUES, 3n), stored(NATIVE, 1700000000123456789n), stored(COUNTER, 0n)], 1700000000123456789n, 1700000000000000001n),
  view({ instance: 'ü-1', job: 'batch', 'path-like': 'a/b=c' }, [stored(SUMMARY, -5n), stored(FLOAT_HISTOGRAM, 2n), stored(EMPTY_FAMILY, 9n)], 0n, 99999999999999999999n),
  view({ job: 'empty' }, [])
]

function encodeLines (lines: readonly unknown[]): Buffer {
  return Buffer.from(HEADER + lines.map(line => (typeof line === 'string' ? line : JSON.stringify(line)) + '\n').join(''))
}

function meta (groups: number): object {
  return { writtenAt: WRITTEN_AT.toISOString(), groups }
}

function familyEntry (family: MetricFamily, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: family.name, timeNs: '1', protobuf: encodeDelimited([family]).toString('base64'), ...fields }
}

function groupLine (fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { labels: { job: 'j' }, pushTimeNs: '1', failureTimeNs: '0', families: [familyEntry(COUNTER)], ...fields }
}

function oneGroup (fields: Record<string, unknown>): Buffer {
  return encodeLines([meta(1), groupLine(fields)])
}

function refused (t: Test, data: Uint8Array, reason: SnapshotError['reason'], message: RegExp | string, name?: string): void {
  t.throws(() => decodeSnapshot(data), { name: 'SnapshotError', reason, message }, name ?? String(message))
}

t.test('encodeSnapshot and decodeSnapshot', async t => {
  t.test('round trip of every field, order included', async t => {
    const decoded = decodeSnapshot(encodeSnapshot(GROUPS, WRITTEN_AT))
    t.strictSame(decoded, GROUPS)
    t.strictSame(decoded.map(g => [...g.families.keys()]), GROUPS.map(g => [...g.families.keys()]), 'family order')
    t.strictSame(decoded.map(g => g.labels), GROUPS.map(g => g.labels), 'group order')
    const values = decoded[0]?.families.get('odd_values')?.family.metrics.map(m => m.value)
    t.ok(Object.is(values?.[3], -0), '-0 stays negative')
    t.ok(Number.isNaN(values?.[0]), 'NaN stays NaN')
    t.ok(Object.is(decoded[0]?.families.get('latency_seconds')?.family.metrics[0]?.histogram?.sampleSum, -0), '-0 in a histogram sum')
    t.equal(decoded[1]?.failureTimeNs, 99999999999999999999n, 'times beyond 2^64')
    t.equal(decoded[1]?.families.get('rpc_seconds')?.timeNs, -5n, 'negative times')
  })

  t.test('an empty store', async t => {
    const data = encodeSnapshot([], WRITTEN_AT)
    t.equal(data.toString(), HEADER + '{"writtenAt":"2026-11-23T10:15:30.123Z","groups":0}\n')
    t.strictSame(decodeSnapshot(data), [])
  })

  t.test('the layout: a header line, a meta line, one line per group', async t => {
    const data = encodeSnapshot([view({ job: 'j', instance: 'i' }, [stored({ name: 'm', type: 'gauge', metrics: [{ labels: [], value: 1 }] }, 7n)], 5n, 0n)], WRITTEN_AT)
    const protobuf = encodeDelimited([{ name: 'm', type: 'gauge', metrics: [{ labels: [], value: 1 }] }]).toString('base64')
    t.equal(data.toString(), HEADER +
      '{"writtenAt":"2026-11-23T10:15:30.123Z","groups":1}\n' +
      `{"labels":{"job":"j","instance":"i"},"pushTimeNs":"5","failureTimeNs":"0","families":[{"name":"m","timeNs":"7","protobuf":"${protobuf}"}]}\n`)
    t.equal(SNAPSHOT_VERSION, 2)
  })

  t.test('accepts any iterable and a Uint8Array that is not a Buffer', async t => {
    function * generate (): Generator<GroupView> { yield * GROUPS }
    const data = encodeSnapshot(generate(), WRITTEN_AT)
    const copy = new Uint8Array(data.length + 8).subarray(4, 4 + data.length)
    copy.set(data)
    t.strictSame(decodeSnapshot(copy), GROUPS)
  })

  t.test('keeps what each writer of cumulative aggregate pushes pushed last', async t => {
    const writers = new Map([['pod-1', [COUNTER, SUMMARY]], ['__proto__', [VALUES]]])
    const group: GroupView = { ...view({ job: 'agg' }, [stored(COUNTER, 4n)]), writers }
    const data = encodeSnapshot([group, view({ job: 'plain' }, [])], WRITTEN_AT)
    t.match(data.toString(), /"writers":\[\{"id":"pod-1","protobuf":"/)
    t.notMatch(data.toString().split('\n')[3], /writers/, 'a group without writers has no "writers" field')
    const [decoded, plain] = decodeSnapshot(data)
    t.strictSame([...decoded?.writers ?? []], [...writers])
    t.equal(plain?.writers, undefined)
  })

  t.test('reads version 1, which has no writers', async t => {
    const data = encodeLines([meta(1), groupLine()])
    const [group] = decodeSnapshot(Buffer.from(data.toString().replace('snapshot 2', 'snapshot 1')))
    t.strictSame(group?.labels, { job: 'j' })
    refused(t, Buffer.from(oneGroup({ writers: [] }).toString().replace('snapshot 2', 'snapshot 1')), 'invalid', 'line 3 (group 1): unknown field "writers"')
  })

  t.test('keeps a label named __proto__ as a label', async t => {
    const groups = [view(JSON.parse('{"__proto__":"x","job":"j"}') as Record<string, string>, [])]
    const [decoded] = decodeSnapshot(encodeSnapshot(groups, WRITTEN_AT))
    t.strictSame(Object.keys(decoded?.labels ?? {}), ['__proto__', 'job'])
    t.equal(Object.getPrototypeOf(decoded?.labels), Object.prototype)
  })
})

t.test('the example of docs/snapshot-format.md decodes and encodes back to itself', async t => {
  const doc = readFileSync(new URL('../../../docs/snapshot-format.md', import.meta.url), 'utf8')
  const example = /## Example\n[\s\S]*?```\n([\s\S]*?)```/.exec(doc)?.[1] ?? ''
  const groups = decodeSnapshot(Buffer.from(example))
  t.strictSame(groups.map(g => [g.labels, [...g.families.keys()]]), [[{ job: 'backup', instance: 'db1' }, ['backup_last_success_seconds', 'push_time_seconds', 'push_failure_time_seconds']]])
  t.equal(encodeSnapshot(groups, WRITTEN_AT).toString(), example)
})

t.test('a file cut short anywhere is refused as invalid', async t => {
  const data = encodeSnapshot(GROUPS, WRITTEN_AT)
  for (let end = 0; end < data.length; end++) {
    const error = (() => {
      try {
        decodeSnapshot(data.subarray(0, end))
      } catch (err) {
        return err
      }
      return undefined
    })()
    if (!(error instanceof SnapshotError) || error.reason !== 'invalid') {
      t.fail(`cut at byte ${end} of ${data.length}: ${String(error)}`)
      return
    }
  }
  t.pass(`refused at every one of ${data.length} cuts`)
})

t.test('refuses with a message that says what is wrong', async t => {
  t.test('the header line', async t => {
    refused(t, Buffer.from(''), 'invalid', 'line 1 is not a pushgateway-middleware snapshot header', 'an empty file')
    refused(t, Buffer.from('\u0000\u0001garbage\n{}\n'), 'invalid', 'line 1 is not a pushgateway-middleware snapshot header', 'garbage')
    refused(t, Buffer.from('pushgateway-middleware snapshot 0\n'), 'invalid', /^line 1 is not/, 'version 0')
    refused(t, Buffer.from('pushgateway-middleware snapshot 01\n'), 'invalid', /^line 1 is not/, 'a leading zero')
    refused(t, Buffer.from('pushgateway-middleware snapshot 1\r\n'), 'invalid', /^line 1 is not/, 'a carriage return')
    refused(t, Buffer.from('pushgateway-middleware snapshot 1'), 'invalid', 'the file is cut short: line 1 has no end of line')
  })

  t.test('a newer version, whatever follows', async t => {
    refused(t, Buffer.from('pushgateway-middleware snapshot 3\n\u0000not json'), 'unsupported-version', 'version 3 is newer than this package reads (2)')
    refused(t, Buffer.from('pushgateway-middleware snapshot 123456789012345678901'), 'unsupported-version', 'version 123456789012345678901 is newer than this package reads (2)')
  })

  t.test('the lines after the header', async t => {
    refused(t, Buffer.from(HEADER), 'invalid', 'the file is cut short: it has no line 2')
    refused(t, Buffer.concat([Buffer.from(HEADER), Buffer.from([0xff, 0x0a])]), 'invalid', 'the file is not valid UTF-8')
    refused(t, encodeLines(['{"writtenAt"']), 'invalid', /^line 2 \(the header\) is not valid JSON: /)
    refused(t, encodeLines(['[]']), 'invalid', 'line 2 (the header) is not a JSON object')
    refused(t, encodeLines(['null']), 'invalid', 'line 2 (the header) is not a JSON object')
    refused(t, encodeLines([{ ...meta(0), extra: 1 }]), 'invalid', 'line 2 (the header): unknown field "extra"')
    refused(t, encodeLines([{ groups: 0 }]), 'invalid', 'line 2 (the header): field "writtenAt" is missing')
    refused(t, encodeLines([{ writtenAt: 5, groups: 0 }]), 'invalid', 'line 2 (the header): "writtenAt" must be an ISO 8601 time')
    refused(t, encodeLines([{ writtenAt: 'yesterday', groups: 0 }]), 'invalid', /"writtenAt" must be/, 'a time that is not one')
    refused(t, encodeLines([{ writtenAt: '2026-11-23', groups: 0 }]), 'invalid', /"writtenAt" must be/, 'a time that is not ISO')
    for (const groups of [-1, 1.5, '1', null]) {
      refused(t, encodeLines([{ writtenAt: WRITTEN_AT.toISOString(), groups }]), 'invalid', 'line 2 (the header): "groups" must be a non-negative integer', JSON.stringify(groups))
    }
    refused(t, encodeLines([meta(2), groupLine()]), 'invalid', 'the file is cut short: the header announces 2 groups, it holds 1')
    refused(t, encodeLines([meta(1), groupLine(), groupLine()]), 'invalid', 'line 4: the header announces 1 groups, the file holds more')
    refused(t, encodeLines([meta(1), '']), 'invalid', /^line 3 \(group 1\) is not valid JSON: /, 'an empty line')
    refused(t, Buffer.concat([encodeLines([meta(1)]), Buffer.from(JSON.stringify(groupLine()))]), 'invalid', 'the file is cut short: line 3 has no end of line')
  })

  t.test('a group', async t => {
    refused(t, encodeLines([meta(1), '"group"']), 'invalid', 'line 3 (group 1) is not a JSON object')
    refused(t, oneGroup({ families: undefined }), 'invalid', 'line 3 (group 1): field "families" is missing')
    refused(t, oneGroup({ color: 'red' }), 'invalid', 'line 3 (group 1): unknown field "color"')
    refused(t, oneGroup({ labels: ['job'] }), 'invalid', 'group 1: "labels" must be an object')
    refused(t, oneGroup({ labels: { job: 'j', n: 1 } }), 'invalid', 'group 1: the value of label "n" must be a string')
    refused(t, oneGroup({ labels: { job: 'j', '': 'x' } }), 'invalid', 'group 1: a label has an empty name')
    refused(t, oneGroup({ labels: { instance: 'i' } }), 'invalid', 'group 1: the labels have no "job" or an empty one')
    refused(t, oneGroup({ labels: { job: '' } }), 'invalid', 'group 1: the labels have no "job" or an empty one')
    refused(t, oneGroup({ families: {} }), 'invalid', 'group 1: "families" must be an array')
    for (const [time, value] of [['pushTimeNs', 1], ['pushTimeNs', '1.5'], ['failureTimeNs', ''], ['failureTimeNs', '0x10'], ['pushTimeNs', ' 1']]) {
      refused(t, oneGroup({ [time as string]: value }), 'invalid', `group 1: "${time as string}" must be a string of decimal digits`, `${time as string} ${JSON.stringify(value)}`)
    }
  })

  t.test('a family', async t => {
    const refusedFamily = (entry: unknown, message: string): void => {
      refused(t, oneGroup({ families: [familyEntry(SUMMARY), entry] }), 'invalid', message)
    }
    refusedFamily('m', 'group 1: family 2 must be an object')
    refusedFamily([], 'group 1: family 2 must be an object')
    refusedFamily(familyEntry(COUNTER, { help: 'x' }), 'group 1: family 2: unknown field "help"')
    refusedFamily(familyEntry(COUNTER, { timeNs: undefined }), 'group 1: family 2: field "timeNs" is missing')
    refusedFamily(familyEntry(COUNTER, { name: 5 }), 'group 1: family 2: "name" must be a string')
    refusedFamily(familyEntry(COUNTER, { timeNs: 1 }), 'group 1: family 2: "timeNs" must be a string of decimal digits')
    refusedFamily(familyEntry(COUNTER, { protobuf: null }), 'group 1: family 2: "protobuf" must be a string')
    refusedFamily(familyEntry(COUNTER, { protobuf: 'not base64!' }), 'group 1: family 2: "protobuf" is not valid base64')
    refusedFamily(familyEntry(COUNTER, { name: 'other' }), 'group 1: family 2: the protobuf holds family requests_total, not other')
    refusedFamily(familyEntry(COUNTER, { protobuf: '' }), 'group 1: family 2: the protobuf holds 0 families, not 1')
    refusedFamily(familyEntry(COUNTER, { protobuf: encodeDelimited([COUNTER, SUMMARY]).toString('base64') }), 'group 1: family 2: the protobuf holds 2 families, not 1')
    refusedFamily(familyEntry(SUMMARY), 'group 1: family 2 (rpc_seconds) appears twice')
    const cut = encodeDelimited([COUNTER]).subarray(0, 6).toString('base64')
    refused(t, oneGroup({ families: [familyEntry(SUMMARY), familyEntry(COUNTER, { protobuf: cut })] }), 'invalid', /^group 1: family 2 is not valid protobuf: \S/, 'protobuf cut short')
  })

  t.test('the writers of a group', async t => {
    const entry = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({ id: 'w', protobuf: encodeDelimited([COUNTER]).toString('base64'), ...fields })
    refused(t, oneGroup({ writers: {} }), 'invalid', 'group 1: "writers" must be an array')
    refused(t, oneGroup({ writers: ['w'] }), 'invalid', 'group 1: writer 1 must be an object')
    refused(t, oneGroup({ writers: [entry({ at: 1 })] }), 'invalid', 'group 1: writer 1: unknown field "at"')
    refused(t, oneGroup({ writers: [entry({ id: '' })] }), 'invalid', 'group 1: writer 1: "id" must be a non-empty string')
    refused(t, oneGroup({ writers: [entry({ id: 5 })] }), 'invalid', 'group 1: writer 1: "id" must be a non-empty string')
    refused(t, oneGroup({ writers: [entry(), entry()] }), 'invalid', 'group 1: writer 2 (w) appears twice')
    refused(t, oneGroup({ writers: [entry({ protobuf: '!' })] }), 'invalid', 'group 1: writer 1: "protobuf" is not valid base64')
    t.strictSame(decodeSnapshot(oneGroup({ writers: [entry({ protobuf: '' })] }))[0]?.writers, new Map([['w', []]]), 'a writer with no families')
  })
})

t.test('SnapshotError', async t => {
  const err = new SnapshotError('unsupported-version', 'version 2 is newer')
  t.ok(err instanceof Error)
  t.equal(err.name, 'SnapshotError')
  t.equal(err.reason, 'unsupported-version')
  t.equal(err.message, 'version 2 is newer')
})
