import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { flatten } from '../src/flatten.js'
import { NODE_22, NODE_24, requirePeers } from './helpers/peers.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/flatten-heap.js', import.meta.url))
const RENDER_FIXTURE = fileURLToPath(new URL('./fixtures/render-cache-heap.js', import.meta.url))

t.test('flatten answers the string it is given, equal and whole', async t => {
  for (const text of ['', 'a', 'x'.repeat(13) + String(Math.random()), 'é😀\n' + 'y'.repeat(20)]) {
    t.equal(flatten(text), text)
  }
})

/**
 * Runs a fixture (test/fixtures) with `args` in this Node.js and in Node 22 and 24, and answers
 * what each printed (JSON); undefined when a release is missing (see `requirePeers`).
 */
function inEveryRelease<T> (t: Test, args: string[]): T[] | undefined {
  const releases = requirePeers(t, NODE_22, NODE_24)
  if (releases === undefined) return undefined
  return [process.execPath, ...releases].map(node => JSON.parse(execFileSync(node, args, { encoding: 'utf8', timeout: 120_000 })) as T)
}

// The heap a kept line takes in each release, with `flatten` compiled by the optimizing compiler:
// Node 22 and 24 drop a character read whose result is unused, and kept lines stayed ropes.
t.test('a line kept through flatten takes under 0.6x the heap of the rope it was built as, in every release', async t => {
  const runs = inEveryRelease<{ version: string, optimized: boolean, rope: number, flattened: number }>(t, ['--allow-natives-syntax', '--expose-gc', FIXTURE])
  for (const { version, optimized, rope, flattened } of runs ?? []) {
    t.ok(optimized, `${version}: flatten ran optimized`)
    t.ok(flattened < 0.6 * rope, `${version}: ${flattened.toFixed(0)} bytes a line flattened, ${rope.toFixed(0)} as a rope`)
  }
})

// The same through the gateway: after the first scrape, the heap each line of the render cache
// holds beyond its characters. Flat, 132 to 148 bytes (the string's header, its slots in the
// cache and in the family's order); with the lines kept as ropes, 303 in Node 24 and 542 in 22.
t.test('the render cache keeps each line in under 220 bytes beyond its characters, in every release', async t => {
  const runs = inEveryRelease<{ version: string, lines: number, overhead: number }>(t, ['--expose-gc', RENDER_FIXTURE])
  for (const { version, lines, overhead } of runs ?? []) {
    t.equal(lines, 28_000, `${version}: 2,000 groups of 12 series and 2 timestamps`)
    t.ok(overhead < 220, `${version}: ${overhead.toFixed(0)} bytes a line beyond its characters`)
  }
})
