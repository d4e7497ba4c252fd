// One of our gateways for the benchmark, in a process of its own so that its memory can be read:
//   node bench/server.js express|fastify <port>
// The gateway is mounted at /pushgateway in an app with a route of its own, as a service mounts it.
// Admin API on (the footprint benchmark wipes), no limit on groups or series stored (it stores 1.2
// million series with BENCH_LARGE=1).
import express from 'express'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { pushgateway } from '../dist/express.js'
import { fastifyPushgateway } from '../dist/fastify.js'

const [kind, port] = process.argv.slice(2)
const options = { registry: new Registry(), adminApi: true, limits: { groups: Infinity, series: Infinity } }
if (kind === 'express') {
  const app = express()
  app.get('/hello', (_req, res) => { res.send('hello\n') })
  app.use('/pushgateway', pushgateway(options))
  app.listen(Number(port), '127.0.0.1', () => { console.log('listening') })
} else if (kind === 'fastify') {
  const app = Fastify()
  app.get('/hello', async () => 'hello\n')
  await app.register(fastifyPushgateway, { ...options, prefix: '/pushgateway' })
  await app.listen({ port: Number(port), host: '127.0.0.1' })
  console.log('listening')
} else {
  throw new Error(`usage: node bench/server.js express|fastify <port>, got ${kind}`)
}
