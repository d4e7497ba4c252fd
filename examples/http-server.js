// The core on plain node:http: every Pushgateway endpoint at the root of a server.
// Run with `npm start` (after `npm install`), then push with
//   echo 'some_metric 3.14' | curl --data-binary @- http://localhost:9091/metrics/job/some_job
import { createServer } from 'node:http'
import { Pushgateway } from '../dist/index.js'

// ui: the status page at /, as the Go binary serves it (the whole server is the gateway's).
const gateway = new Pushgateway({ ui: true })
const port = Number(process.env.PORT ?? 9091)

const server = createServer(async (req, res) => {
  try {
    const answer = await gateway.handle({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: req })
    res.writeHead(answer.status, answer.headers).end(answer.body)
  } catch (err) {
    console.error(err)
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal error\n')
  }
})

server.listen(port, () => {
  const { port } = server.address()
  console.log(`pushgateway listening on http://localhost:${port}/`)
  console.log(`push to http://localhost:${port}/metrics/job/<job>, scrape http://localhost:${port}/metrics`)
})

for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close())
