import t from 'tap'
import { createCluster } from 'redis'
import { redisStore } from '../../../src/store/redis/redis-store.js'
import { startRedisCluster } from '../../helpers/redis.js'
import { testStoreContract } from '../contract.js'
import { checkReplicas } from './replicas.js'

const redis = await startRedisCluster(t)
if (redis !== undefined) {
  const admin = await redis.client()

  const newCluster = (url: string) => createCluster({ rootNodes: [{ url }] })
  const clusters: Array<ReturnType<typeof newCluster>> = []
  const cluster = async (): Promise<ReturnType<typeof newCluster>> => {
    const client = newCluster(redis.url)
    client.on('error', () => {})
    await client.connect()
    clusters.push(client)
    return client
  }
  t.teardown(async () => { for (const client of clusters) client.destroy() })
  let prefixes = 0
  const newPrefix = (): string => `cluster${++prefixes}`

  t.test('keys in two slots are refused by the cluster, keys under the store\'s hash tag are not', async t => {
    const client = await cluster()
    await t.rejects(admin.sendCommand(['EVAL', "return redis.call('GET', KEYS[1]) or redis.call('GET', KEYS[2])", '2', 'a', 'b']), /CROSSSLOT/, 'keys in two slots are refused')
    t.equal(await client.sendCommand('{p}:log', false, ['SET', '{p}:compacting', 'x']), 'OK', 'keys sharing a hash tag are not')
  })

  t.test('the store contract, on a cluster client', async t => {
    const client = await cluster()
    testStoreContract(t, async () => redisStore({ client, prefix: newPrefix() }))
  })

  t.test('replicas on one prefix share their groups through the cluster, and one of them compacts', async t => {
    await checkReplicas(t, cluster, admin, newPrefix())
  })
}
