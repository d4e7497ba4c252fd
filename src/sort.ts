// Arrays this short are sorted by insertion: Array.prototype.sort allocates a work area of about
// a kilobyte per call, which made up a third of what a 12-series push allocated.
const INSERTION_SORT_MAX = 16

/**
 * Sorts `items` in place by `compare` and returns them, as `Array.prototype.sort` does (stable),
 * without allocating for arrays of up to 16 items (label sets, mostly sorted already).
 */
export function sortInPlace<T> (items: T[], compare: (a: T, b: T) => number): T[] {
  if (items.length > INSERTION_SORT_MAX) return items.sort(compare)
  for (let i = 1; i < items.length; i++) {
    const item = items[i] as T
    let j = i - 1
    while (j >= 0 && compare(items[j] as T, item) > 0) {
      items[j + 1] = items[j] as T
      j--
    }
    items[j + 1] = item
  }
  return items
}
