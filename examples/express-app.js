// An Express service with its own routes and prom-client metrics, the Pushgateway mounted at
// /pushgateway, and one /metrics for both (one scrape target for Prometheus).
// Run with `npm start` (after `npm install`); PORT picks the port (default 3000).
import express from 'express'
import { Counter, collectDefaultMetrics, register } from 'prom-client'
import { pushgateway } from 'pushgateway-middleware/express'

collectDefaultMetrics()
const hellos = new Counter({ name: 'app_hello_requests_total', help: 'Requests to /hello.' })

const app = express()
app.get('/hello', (_req, res) => {
  hellos.inc()
  res.send('hello\n')
})
app.use('/pushgateway', pushgateway({ mergeIntoRegistry: true }))
app.get('/metrics', async (_req, res) => {
  res.type(register.contentType).send(await register.metrics())
})

const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  const base = `http://localhost:${server.address().port}`
  console.log(`service on ${base}/hello, metrics on ${base}/metrics`)
  console.log(`pushgateway on ${base}/pushgateway: push to ${base}/pushgateway/metrics/job/<job>`)
})
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close())
