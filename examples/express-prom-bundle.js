// Express with express-prom-bundle serving /metrics: with mergeIntoRegistry the pushed metrics are
// on that same /metrics. Run: node examples/express-prom-bundle.js (PORT, default 3000)
import express from 'express'
import promBundle from 'express-prom-bundle'
import { pushgateway } from 'pushgateway-middleware/express'

const app = express()
app.use(promBundle({
  includeMethod: true,
  includePath: true,
  // One path label for every push, not one series per grouping key (job, instance, …).
  normalizePath: [[/^\/pushgateway\/(metrics|aggregate)\/job.*$/, '/pushgateway/$1/job/#grouping_key']]
}))
app.use('/pushgateway', pushgateway({ mergeIntoRegistry: true }))
app.get('/hello', (_req, res) => { res.send('hello\n') })

const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  const base = `http://localhost:${server.address().port}`
  console.log(`service on ${base}/hello, metrics on ${base}/metrics`)
  console.log(`pushgateway on ${base}/pushgateway: push to ${base}/pushgateway/metrics/job/<job>`)
})
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close())
