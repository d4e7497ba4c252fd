// Fastify with fastify-metrics serving /metrics (on prom-client's registry): with
// mergeIntoRegistry the pushed metrics are on that same /metrics.
// Run: node examples/fastify-metrics.js (PORT, default 3000)
import Fastify from 'fastify'
import fastifyMetricsModule from 'fastify-metrics'
import promClient from 'prom-client'
import fastifyPushgateway from 'pushgateway-middleware/fastify'

// fastify-metrics is CommonJS with an ES-style default export.
const fastifyMetrics = fastifyMetricsModule.default ?? fastifyMetricsModule
const app = Fastify()
await app.register(fastifyMetrics, { endpoint: '/metrics', promClient })
await app.register(fastifyPushgateway, { prefix: '/pushgateway', mergeIntoRegistry: true })
app.get('/hello', async () => 'hello\n')

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
const base = address.replace('127.0.0.1', 'localhost')
console.log(`service on ${base}/hello, metrics on ${base}/metrics`)
console.log(`pushgateway on ${base}/pushgateway: push to ${base}/pushgateway/metrics/job/<job>`)
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => app.close())
