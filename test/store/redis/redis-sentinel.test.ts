import t from 'tap'
import { createSentinel } from 'redis'
import { RedisStore, redisStore } from '../../../src/store/redis/redis-store.js'
import { eventually } from '../../helpers/clock.js'
import { startRedis, startSentinel } from '../../helpers/redis.js'
import { pushText } from '../../helpers/store.js'
import { testStoreContract, text } from '../contract.js'

// A master and a sentinel watching it: a sentinel client asks the sentinel where the master is
// and sends every command there.
const redis = await startRedis(t)
const sentinel = redis === undefined ? undefined : await startSentinel(t, redis)
if (redis !== undefined && sentinel !== undefined) {
  const admin = await redis.client()
  const newSentinel = () => createSentinel({ name: sentinel.name, sentinelRootNodes: [{ host: '127.0.0.1', port: sentinel.port }] })
  const clients: Array<ReturnType<typeof newSentinel>> = []
  const client = async (): Promise<ReturnType<typeof newSentinel>> => {
    const made = newSentinel()
    made.on('error', () => {})
    await made.connect()
    clients.push(made)
    return made
  }
  t.teardown(async () => { for (const made of clients) await made.destroy() })
  let prefixes = 0
  const newPrefix = (): string => `sentinel${++prefixes}`

  t.test('the store contract, on a sentinel client', async t => {
    const sentinelClient = await client()
    testStoreContract(t, async () => redisStore({ client: sentinelClient, prefix: newPrefix() }))
  })

  t.test('replicas on one prefix share their groups through the master the sentinel names', async t => {
    const prefix = newPrefix()
    const a = new RedisStore({ client: await client(), prefix, compactEvery: 2 })
    const b = new RedisStore({ client: await client(), prefix, compactEvery: 2 })
    await pushText(a, { job: 'x' }, '# TYPE m gauge\nm 1\n', { at: 1 })
    t.equal(await text(b), await text(a), 'a push through one is in the other')
    await t.rejects(pushText(b, { job: 'y' }, '# TYPE m counter\nm 2\n', { at: 2 }), { name: 'InconsistentPushError' })
    await pushText(b, { job: 'y' }, '# TYPE n gauge\nn 3\n', { at: 3 })
    await eventually(async () => (await admin.hGet(`{${prefix}}:snapshot`, 'id')) !== null, 'a snapshot is saved on the master')
    t.equal(await text(redisStore({ client: await client(), prefix })), await text(a), 'a new replica starts from it')
  })
}
