// Three replicas (Express, Fastify, the standalone server), each with its own Redis client and
// redis store on one real redis-server, serve one set of groups: what any of them acknowledged is
// on every other's next scrape, byte for byte, and the checks across groups hold across replicas.
import t, { type Test } from 'tap'
import type { FrontEndKind } from '../helpers/front-ends.js'
import { sendText } from '../helpers/http.js'
import { startRedis, type RedisServer } from '../helpers/redis.js'
import { apiGroups, pathOn, startReplicas, storeBody, type Replica } from '../helpers/replicas.js'

/** Every replica's store exposition and group list, checked to be the same; returns the first's. */
async function agreed (t: Test, replicas: readonly Replica[], what: string): Promise<{ body: string, groups: Array<Record<string, string>> }> {
  const bodies = await Promise.all(replicas.map(storeBody))
  const lists = await Promise.all(replicas.map(apiGroups))
  const first = replicas[0] as Replica
  for (let i = 1; i < replicas.length; i++) {
    const replica = replicas[i] as Replica
    t.equal(bodies[i], bodies[0], `${what}: ${replica.kind} scrapes the same bytes as ${first.kind}`)
    t.same(lists[i], lists[0], `${what}: ${replica.kind} lists the same groups as ${first.kind} in /api/v1/metrics`)
  }
  return { body: bodies[0] as string, groups: (lists[0] ?? []).map(group => group.labels) }
}

/** The value of one series in a text exposition, `undefined` when it is not there. */
function valueOf (body: string, series: string): string | undefined {
  const line = body.split('\n').find(line => line.startsWith(series + ' '))
  return line?.slice(series.length + 1)
}

async function push (replica: Replica, method: string, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number, body: string }> {
  return sendText(replica.base, { method, path: pathOn(replica, path), body, headers })
}

const redisServer = await startRedis(t)
if (redisServer !== undefined) {
  const redis: RedisServer = redisServer
  let prefixes = 0
  // Each test has replicas of its own, on a key prefix of its own: they share nothing with the others.
  const replicasFor = async (t: Test, kinds?: readonly FrontEndKind[]): Promise<Replica[]> => startReplicas(t, redis, kinds, { prefix: `replicas-${++prefixes}` })

  t.test('a push to any replica is on every other\'s next scrape, with the same bytes', async t => {
    const replicas = await replicasFor(t)
    t.equal((await agreed(t, replicas, 'before any push')).body, '', 'nothing stored yet')
    for (const [i, replica] of replicas.entries()) {
      const answer = await push(replica, 'PUT', `/metrics/job/shared/instance/${replica.kind}`, [
        '# HELP requests_total Requests served.',
        '# TYPE requests_total counter',
        `requests_total{code="200"} ${10 + i}`,
        `requests_total{code="500"} ${i}`,
        '# TYPE temperature gauge',
        `temperature ${20.5 + i}`,
        ''
      ].join('\n'))
      t.equal(answer.status, 200, `PUT through ${replica.kind}`, { body: answer.body })
      // The next scrape, with no wait: an acknowledged push is in Redis, and a scrape reads what changed first.
      const { body, groups } = await agreed(t, replicas, `after the PUT through ${replica.kind}`)
      t.equal(valueOf(body, `requests_total{code="200",instance="${replica.kind}",job="shared"}`), String(10 + i), 'the pushed value')
      t.equal(valueOf(body, `temperature{instance="${replica.kind}",job="shared"}`), String(20.5 + i), 'the pushed gauge')
      t.same(groups, replicas.slice(0, i + 1).map(r => ({ instance: r.kind, job: 'shared' })), 'one group per PUT so far, in the order they were pushed')
    }
    // A POST through another replica replaces only the family it carries.
    const [first, second] = replicas as [Replica, Replica]
    t.equal((await push(second, 'POST', `/metrics/job/shared/instance/${first.kind}`, '# TYPE temperature gauge\ntemperature 99\n')).status, 200, `POST through ${second.kind} to ${first.kind}'s group`)
    const { body } = await agreed(t, replicas, 'after a POST through another replica')
    t.equal(valueOf(body, `temperature{instance="${first.kind}",job="shared"}`), '99', 'the posted family replaced')
    t.equal(valueOf(body, `requests_total{code="200",instance="${first.kind}",job="shared"}`), '10', 'the other family kept')
  })

  t.test('a DELETE through one replica is gone from all; so is a wipe', async t => {
    const replicas = await replicasFor(t)
    for (const replica of replicas) {
      t.equal((await push(replica, 'PUT', `/metrics/job/del/instance/${replica.kind}`, `kept{by="${replica.kind}"} 1\n`)).status, 200, `PUT through ${replica.kind}`)
    }
    const [first, second] = replicas as [Replica, Replica]
    const last = replicas[replicas.length - 1] as Replica
    const deleted = await push(second, 'DELETE', `/metrics/job/del/instance/${first.kind}`, '')
    t.equal(deleted.status, 202, `DELETE through ${second.kind} of the group pushed through ${first.kind}`, { body: deleted.body })
    const { body, groups } = await agreed(t, replicas, 'after the DELETE')
    t.same(groups, replicas.slice(1).map(replica => ({ instance: replica.kind, job: 'del' })), 'the group is gone, the others stay')
    t.notMatch(body, `instance="${first.kind}"`, 'no series of the deleted group anywhere')

    const wiped = await sendText(last.base, { method: 'PUT', path: pathOn(last, '/api/v1/admin/wipe') })
    t.equal(wiped.status, 202, 'wipe answered', { body: wiped.body })
    const after = await agreed(t, replicas, 'after the wipe')
    t.equal(after.body, '', 'nothing left to scrape')
    t.same(after.groups, [], 'no group left')
  })

  t.test('the consistency checks hold across replicas', async t => {
    const replicas = await replicasFor(t)
    const [first, second] = replicas as [Replica, Replica]

    t.test('a family pushed as another type through another replica is refused, naming the clash', async t => {
      t.equal((await push(first, 'PUT', '/metrics/job/types/instance/a', '# TYPE x gauge\nx 1\n')).status, 200, `a gauge through ${first.kind}`)
      const clash = await push(second, 'PUT', '/metrics/job/types/instance/b', '# TYPE x counter\nx 2\n')
      t.equal(clash.status, 400, `a counter of the same name through ${second.kind} is refused`)
      t.match(clash.body, /collected metric "x" \{instance="b",job="types"\} is not a GAUGE/, 'the body names the family and the type it has')
      const { body } = await agreed(t, replicas, 'after the refused push')
      t.match(body, '# TYPE x gauge\n', 'still a gauge')
      t.equal(valueOf(body, 'x{instance="a",job="types"}'), '1', 'the gauge kept')
      t.equal(valueOf(body, 'x{instance="b",job="types"}'), undefined, 'nothing of the refused push')
    })

    t.test('a series another group holds through another replica is refused', async t => {
      t.equal((await push(second, 'PUT', '/metrics/job/dup', 'dd{instance="x"} 1\n')).status, 200, `dd{instance="x"} in group {job="dup"} through ${second.kind}`)
      const duplicate = await push(first, 'PUT', '/metrics/job/dup/instance/x', 'dd 2\n')
      t.equal(duplicate.status, 400, `the same series in group {instance="x",job="dup"} through ${first.kind} is refused`)
      t.match(duplicate.body, /collected metric "dd" \{instance="x",job="dup"\} was collected before with the same name and label values/)
      const { body } = await agreed(t, replicas, 'after the refused duplicate')
      t.equal(valueOf(body, 'dd{instance="x",job="dup"}'), '1', 'the first push\'s value, alone')
    })
  })

  t.test('aggregation adds up exactly across replicas', async t => {
    const replicas = await replicasFor(t)

    t.test('20 concurrent pushers × 25 increments of 1, round-robin over the replicas, make 500', async t => {
      const pushers = 20
      const each = 25
      const statuses = new Map<number, number>()
      await Promise.all(Array.from({ length: pushers }, async (_, pusher) => {
        for (let k = 0; k < each; k++) {
          const replica = replicas[(pusher * each + k) % replicas.length] as Replica
          const answer = await push(replica, 'POST', '/aggregate/job/agg', '# TYPE c_total counter\nc_total 1\n')
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
        }
      }))
      t.same(Object.fromEntries(statuses), { 200: pushers * each }, 'every increment acknowledged')
      const { body } = await agreed(t, replicas, 'after the increments')
      t.equal(valueOf(body, 'c_total{instance="",job="agg"}'), String(pushers * each), 'the sum of every increment')
    })

    t.test('a cumulative writer moving between replicas is counted once', async t => {
      const values = [3, 5, 9]
      for (const [i, value] of values.entries()) {
        const replica = replicas[i % replicas.length] as Replica
        const body = `# TYPE w_total counter\nw_total ${value}\n`
        const byHeader = await push(replica, 'POST', '/aggregate/job/writers/via/header', body, { 'pushgateway-writer': 'pod-7' })
        t.equal(byHeader.status, 200, `${value} through ${replica.kind}, writer named by header`, { body: byHeader.body })
        const byLabel = await push(replica, 'POST', '/aggregate/job/writers/via/label/__writer__/pod-7', body)
        t.equal(byLabel.status, 200, `${value} through ${replica.kind}, writer named by label`, { body: byLabel.body })
      }
      const { body } = await agreed(t, replicas, 'after the cumulative pushes')
      t.equal(valueOf(body, 'w_total{instance="",job="writers",via="header"}'), '9', '3, then 5 - 3, then 9 - 5: not 3 + 5 + 9 as replicas that each remember the writer alone would add')
      t.equal(valueOf(body, 'w_total{instance="",job="writers",via="label"}'), '9', 'the same with the writer named in the path')
    })
  })

  t.test('replicas on another key prefix share nothing with these', async t => {
    const [one] = await replicasFor(t, ['express'])
    const [other] = await replicasFor(t, ['fastify'])
    t.equal((await push(one as Replica, 'PUT', '/metrics/job/isolated', 'only_here 1\n')).status, 200, 'a PUT on one prefix')
    t.match(await storeBody(one as Replica), 'only_here{instance="",job="isolated"} 1\n')
    t.equal(await storeBody(other as Replica), '', 'not on the other prefix')
  })
}
