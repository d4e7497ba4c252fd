// A Fastify service with the Pushgateway mounted under /pushgateway and one /metrics for the
// service's prom-client metrics and the pushed ones. Run: node examples/fastify-app.js (PORT, default 3000)
import Fastify from 'fastify'
import { collectDefaultMetrics, register } from 'prom-client'
import fastifyPushgateway from 'pushgateway-middleware/fastify'

collectDefaultMetrics()
const app = Fastify()
await app.register(fastifyPushgateway, { prefix: '/pushgateway', telemetryPath: false, mergeIntoRegistry: true })
app.get('/hello', async () => 'hello\n')
app.get('/metrics', async (_request, reply) => reply.type(register.contentType).send(await register.metrics()))

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
const base = address.replace('127.0.0.1', 'localhost')
console.log(`service on ${base}/hello, metrics on ${base}/metrics`)
console.log(`pushgateway on ${base}/pushgateway: push to ${base}/pushgateway/metrics/job/<job>`)
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => app.close())
