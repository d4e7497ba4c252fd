// One of our gateways for the benchmark, in a process of its own so that its memory can be read:
//   node bench/server.js express|fastify <port>
// The gateway is mounted at /pushgateway in an app with a route of its own, as a service mounts it.
// Admin API on (the footprint benchmark wipes), no limit on groups or series stored (it stores 1.2
// million series with BENCH_LARGE=1).
//
//   node bench/server.js bare-http|bare-fastify|bare-express <port>
// The framework alone, for comparison: under /pushgateway, a handler that reads the request body
// and answers 200 with an empty body, as a push is answered, and nothing else (`/-/healthy` too).
import { createServer } from 'node:http'
import express from 'express'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import { pushgateway } from '../dist/express.js'
import { fastifyPushgateway } from '../dist/fastify.js'

const [kind, port] = process.argv.slice(2)
const options = { registry: new Registry(), adminApi: true, limits: { groups: Infinity, series: Infinity } }
const listening = () => { console.log('listening') }

/** Reads a request stream to its end; answers its length in bytes. */
async function drain (stream) {
  let bytes = 0
  for await (const chunk of stream) bytes += chunk.length
  return bytes
}

if (kind === 'express' || kind === 'bare-express') {
  const app = express()
  app.get('/hello', (_req, res) => { res.send('hello\n') })
  if (kind === 'express') app.use('/pushgateway', pushgateway(options))
  else app.use('/pushgateway', (req, res, next) => { drain(req).then(() => res.status(200).end(), next) })
  app.listen(Number(port), '127.0.0.1', listening)
} else if (kind === 'fastify' || kind === 'bare-fastify') {
  const app = Fastify()
  app.get('/hello', async () => 'hello\n')
  if (kind === 'fastify') {
    await app.register(fastifyPushgateway, { ...options, prefix: '/pushgateway' })
  } else {
    // As the plugin takes bodies: the stream, unparsed, whatever the Content-Type.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })
    app.all('/pushgateway/*', async (request, reply) => {
      if (request.body !== undefined) await drain(request.body)
      return reply.code(200).send()
    })
  }
  await app.listen({ port: Number(port), host: '127.0.0.1' })
  listening()
} else if (kind === 'bare-http') {
  createServer((req, res) => {
    drain(req).then(() => { res.writeHead(200).end() }, () => { res.destroy() })
  }).listen(Number(port), '127.0.0.1', listening)
} else {
  throw new Error(`usage: node bench/server.js express|fastify|bare-http|bare-fastify|bare-express <port>, got ${kind}`)
}
