import t from 'tap'
import { createCluster } from 'redis'
import { RedisStore, redisStore } from '../../../src/store/redis/redis-store.js'
import { eventually } from '../../helpers/clock.js'
import { startRedisCluster } from '../../helpers/redis.js'
import { pushText } from '../../helpers/store.js'
import { testStoreContract, text } from '../contract.js'

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

  t.test('a keyless command on the cluster client is refused, which the store does not send', async t => {
    const client = await cluster()
    await t.rejects(admin.sendCommand(['EVAL', "return redis.call('GET', KEYS[1]) or redis.call('GET', KEYS[2])", '2', 'a', 'b']), /CROSSSLOT/, 'keys in two slots are refused')
    t.equal(await client.sendCommand('{p}:log', false, ['SET', '{p}:compacting', 'x']), 'OK', 'keys sharing a hash tag are not')
  })

  t.test('the store contract, on a cluster client', async t => {
    const client = await cluster()
    testStoreContract(t, async () => redisStore({ client, prefix: newPrefix() }))
  })

  t.test('replicas on one prefix share their groups through the cluster, and one of them compacts', async t => {
    const prefix = newPrefix()
    const a = new RedisStore({ client: await cluster(), prefix, compactEvery: 2 })
    const b = new RedisStore({ client: await cluster(), prefix, compactEvery: 2 })
    await pushText(a, { job: 'x' }, '# TYPE m gauge\nm 1\n', { at: 1 })
    t.equal(await text(b), await text(a), 'a push through one is in the other')
    await t.rejects(pushText(b, { job: 'y' }, '# TYPE m counter\nm 2\n', { at: 2 }), { name: 'InconsistentPushError' })
    await pushText(b, { job: 'y' }, '# TYPE n gauge\nn 3\n', { at: 3 })
    await eventually(async () => (await admin.hGet(`{${prefix}}:snapshot`, 'id')) !== null, 'a snapshot is saved')
    const fresh = redisStore({ client: await cluster(), prefix })
    t.equal(await text(fresh), await text(a), 'a new replica starts from it')
    await a.delete({ job: 'x' })
    t.same(await b.size(), await a.size(), 'a delete through one is gone from the other')
  })
}
