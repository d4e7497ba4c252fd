import t from 'tap'
import { compareLabelValues, compareUtf8 } from '../../src/exposition/metric-order.js'
import type { LabelPair } from '../../src/exposition/types.js'

function labels (pairs: Record<string, string>): LabelPair[] {
  return Object.entries(pairs).map(([name, value]) => ({ name, value }))
}

function sign (n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0
}

function makeRandom (seed: number): () => number {
  let state = seed
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

t.test('compareUtf8', async t => {
  t.test('orders strings by their UTF-8 bytes', async t => {
    const cases: ReadonlyArray<readonly [string, string, number]> = [
      ['', '', 0],
      ['a', 'a', 0],
      ['a', 'b', -1],
      ['b', 'a', 1],
      ['', 'a', -1],
      ['abc', 'ab', 1],
      ['Z', 'a', -1],
      ['1', '2', -1],
      ['é', 'z', 1],
      ['\u00ff', '\u0100', -1],
      ['\ud7ff', '\ue000', -1],
      // JavaScript puts U+FFFF after U+1F600 (its first unit is 0xD83D); UTF-8 puts it before.
      ['\uffff', '😀', -1],
      ['😀', '\uffff', 1],
      ['\ue000', '𐀀', -1],
      ['😀', '😁', -1],
      ['😁', '😀', 1],
      ['a😀', 'a\uffff', 1],
      ['\uf8ff', '\uffff', -1],
      ['\ud83d\ude00', '\ud83d\ude00x', -1]
    ]
    for (const [a, b, expected] of cases) t.equal(sign(compareUtf8(a, b)), expected, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`)
  })

  t.test('agrees with Buffer.compare on random strings', async t => {
    const random = makeRandom(42)
    const alphabet = ['a', 'b', 'z', 'A', '0', 'é', 'ß', '\u4e2d', '\ue000', '\uffee', '\uffff', '😀', '𝄞', '𐀀', ' ', '_']
    const word = (): string => Array.from({ length: Math.floor(random() * 5) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')
    let mismatches = 0
    for (let i = 0; i < 3000; i++) {
      const a = word()
      const b = random() < 0.2 ? a + word() : word()
      if (sign(compareUtf8(a, b)) !== Buffer.compare(Buffer.from(a), Buffer.from(b))) mismatches++
    }
    t.equal(mismatches, 0)
  })
})

t.test('compareLabelValues', async t => {
  t.test('sorts the example of spec 6.2', async t => {
    const series = [
      labels({ instance: '', job: 'W', z: '0', zz: '0' }),
      labels({ a: '2', instance: '', job: 'X' }),
      labels({ instance: '', job: 'Z' }),
      labels({ b: '1', instance: '', job: 'Y' })
    ]
    const sorted = [...series].sort(compareLabelValues)
    t.strictSame(sorted, [
      labels({ instance: '', job: 'Z' }),
      labels({ b: '1', instance: '', job: 'Y' }),
      labels({ a: '2', instance: '', job: 'X' }),
      labels({ instance: '', job: 'W', z: '0', zz: '0' })
    ])
  })

  t.test('puts fewer labels first', async t => {
    t.ok(compareLabelValues([], labels({ instance: '', job: 'c7' })) < 0)
    t.ok(compareLabelValues(labels({ a: 'z' }), labels({ a: 'a', b: 'a' })) < 0)
    t.ok(compareLabelValues(labels({ a: 'a', b: 'a' }), labels({ a: 'z' })) > 0)
  })

  t.test('ignores label names', async t => {
    t.equal(compareLabelValues(labels({ a: 'x' }), labels({ b: 'x' })), 0)
    t.ok(compareLabelValues(labels({ z: '1' }), labels({ a: '2' })) < 0)
  })

  t.test('compares values position by position in UTF-8 order', async t => {
    t.ok(compareLabelValues(labels({ a: 'x', b: '1' }), labels({ a: 'x', b: '2' })) < 0)
    t.ok(compareLabelValues(labels({ a: 'y', b: '1' }), labels({ a: 'x', b: '2' })) > 0)
    t.ok(compareLabelValues(labels({ a: '\uffff' }), labels({ a: '😀' })) < 0)
    t.equal(compareLabelValues([], []), 0)
  })
})
