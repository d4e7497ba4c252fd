// prom-client's Pushgateway class (text bodies, chunked, no Content-Type) against each front end.
import t from 'tap'
import { Counter, Gauge, Pushgateway, Registry } from 'prom-client'
import { forEachFrontEnd } from '../helpers/clients.js'

function jobRegistry (value: number): Registry {
  const registry = new Registry()
  new Counter({ name: 'node_items_total', help: 'Items processed.', labelNames: ['kind'], registers: [registry] }).inc({ kind: 'x' }, value)
  new Gauge({ name: 'node_last_success_seconds', help: 'Last success.', registers: [registry] }).set(value)
  return registry
}

forEachFrontEnd(t, async (t, gateway) => {
  const groupings = { path: '/var/tmp', empty: '' }
  const key = 'empty="",instance="",job="batch",kind="x",path="/var/tmp"'
  const status = async (promise: Promise<{ resp?: unknown }>): Promise<number | undefined> => ((await promise).resp as { statusCode?: number } | undefined)?.statusCode

  t.equal(await status(new Pushgateway(gateway.url, {}, jobRegistry(3)).push({ jobName: 'batch', groupings })), 200, 'push() is a PUT')
  t.match(await gateway.metrics(), `# HELP node_items_total Items processed.\n# TYPE node_items_total counter\nnode_items_total{${key}} 3\n`, 'a value with %2F and a trailing empty value')

  t.equal(await status(new Pushgateway(gateway.url, {}, jobRegistry(4)).pushAdd({ jobName: 'batch', groupings })), 200, 'pushAdd() is a POST')
  t.match(await gateway.metrics(), `node_items_total{${key}} 4\n`)

  const zipped = new Pushgateway(gateway.url, { headers: { 'Content-Encoding': 'gzip' } }, jobRegistry(5))
  t.equal(await status(zipped.push({ jobName: 'zipped' })), 200, 'a gzip body when the Content-Encoding header is set')
  t.match(await gateway.metrics(), 'node_last_success_seconds{instance="",job="zipped"} 5\n')

  t.same(await gateway.groups(), [{ empty: '', job: 'batch', path: '/var/tmp' }, { job: 'zipped' }])
  t.equal(await status(new Pushgateway(gateway.url, {}, jobRegistry(0)).delete({ jobName: 'batch', groupings })), 202, 'delete() answers 202')
  t.equal(await status(zipped.delete({ jobName: 'zipped' })), 202, 'delete() drops the gzip header')
  t.same(await gateway.groups(), [])

  await t.rejects(new Pushgateway(gateway.url, {}, jobRegistry(1)).push({ jobName: 'batch', groupings: { __bad: '1' } }), /improper label name "__bad"/, 'a refused push rejects with the gateway\'s message')
})
