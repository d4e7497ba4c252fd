import type { Test } from 'tap'
import { RedisStore, redisStore, type RedisStoreOptions } from '../../../src/store/redis/redis-store.js'
import { eventually } from '../../helpers/clock.js'
import type { TestRedisClient } from '../../helpers/redis.js'
import { pushText } from '../../helpers/store.js'
import { text } from '../contract.js'

/**
 * Two replicas on `prefix`, each on a connection of its own from `client`: a push through one is
 * in the other, a clash across them is refused, one of them saves a snapshot (read through
 * `admin`) that a new replica starts from, and a delete through one is gone from the other.
 */
export async function checkReplicas (t: Test, client: () => Promise<RedisStoreOptions['client']>, admin: TestRedisClient, prefix: string): Promise<void> {
  const a = new RedisStore({ client: await client(), prefix, compactEvery: 2 })
  const b = new RedisStore({ client: await client(), prefix, compactEvery: 2 })
  await pushText(a, { job: 'x' }, '# TYPE m gauge\nm 1\n', { at: 1 })
  t.equal(await text(b), await text(a), 'a push through one is in the other')
  await t.rejects(pushText(b, { job: 'y' }, '# TYPE m counter\nm 2\n', { at: 2 }), { name: 'InconsistentPushError' })
  await pushText(b, { job: 'y' }, '# TYPE n gauge\nn 3\n', { at: 3 })
  await eventually(async () => (await admin.hGet(`{${prefix}}:snapshot`, 'id')) !== null, 'a snapshot is saved')
  t.equal(await text(redisStore({ client: await client(), prefix })), await text(a), 'a new replica starts from it')
  await a.delete({ job: 'x' })
  t.same(await b.size(), await a.size(), 'a delete through one is gone from the other')
}
