import t from 'tap'
import { createSentinel } from 'redis'
import { redisStore } from '../../../src/store/redis/redis-store.js'
import { startRedis, startSentinel } from '../../helpers/redis.js'
import { testStoreContract } from '../contract.js'
import { checkReplicas } from './replicas.js'

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
    await checkReplicas(t, client, admin, newPrefix())
  })
}
