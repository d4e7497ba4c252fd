import t from 'tap'
import { Pacer } from '../src/clock.js'

t.test('a Pacer says when a batch of work is done, and rests between batches', async t => {
  let pauses = 0
  const pacer = new Pacer(3, async () => { pauses++ })
  t.same([pacer.spent(), pacer.spent(), pacer.spent()], [false, false, true], 'the third unit of a batch of 3 ends it')
  t.equal(pacer.spent(5), true, 'until it rests, it stays due')
  await pacer.rest()
  t.equal(pauses, 1)
  t.same([pacer.spent(2), pacer.spent(1)], [false, true], 'a new batch after the rest')
  let turned = false
  setImmediate(() => { turned = true })
  await new Pacer(1).rest()
  t.equal(turned, true, 'by default it rests for a turn of the event loop')
})
