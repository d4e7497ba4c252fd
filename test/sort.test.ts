import t from 'tap'
import { sortInPlace } from '../src/sort.js'

const byKey = (a: { key: number }, b: { key: number }): number => a.key - b.key

t.test('sortInPlace sorts short and long arrays in place, stably', async t => {
  for (const length of [0, 1, 2, 5, 16, 17, 100]) {
    const items = Array.from({ length }, (_, i) => ({ key: (i * 7) % 5, at: i }))
    const expected = [...items].sort(byKey)
    const sorted = sortInPlace(items, byKey)
    t.equal(sorted, items, `${length} items: the same array`)
    t.same(sorted, expected, `${length} items: in order, equal keys in their first order`)
  }
})
