import t from 'tap'
import { gzipSync } from 'node:zlib'
import { Readable } from 'node:stream'
import { request } from 'node:http'
import { readBody, DEFAULT_BODY_LIMIT, DEFAULT_READ_TIMEOUT } from '../src/body.js'
import { FRONT_ENDS, startFrontEnd } from './helpers/front-ends.js'
import { sendText } from './helpers/http.js'

const text = 'm 1\n'

t.test('readBody', async t => {
  t.equal(DEFAULT_BODY_LIMIT, 16 * 1024 * 1024)

  t.test('reads strings, buffers, streams and nothing', async t => {
    t.equal((await readBody(text, undefined, 100)).toString(), text)
    t.equal((await readBody(new Uint8Array(Buffer.from(text)), '', 100)).toString(), text)
    t.equal((await readBody(Readable.from([Buffer.from('m '), Buffer.from('1\n')]), 'identity', 100)).toString(), text)
    t.equal((await readBody((async function * () { yield Buffer.from(text) })(), undefined, 100)).toString(), text, 'any async iterable')
    t.equal((await readBody(undefined, undefined, 100)).length, 0)
  })

  t.test('decodes gzip, case-insensitively, from buffers and streams', async t => {
    const zipped = gzipSync(text)
    t.equal((await readBody(zipped, 'gzip', 100)).toString(), text)
    t.equal((await readBody(Readable.from([zipped]), 'GZIP', 100)).toString(), text)
  })

  t.test('refuses bodies over the limit with 413, gzip bombs at the limit', async t => {
    const big = Buffer.alloc(101, 'a')
    await t.rejects(readBody(big, undefined, 100), { name: 'BodyTooLargeError', statusCode: 413, limit: 100, message: 'request body exceeds the body limit of 100 bytes' })
    await t.rejects(readBody(Readable.from([big]), undefined, 100), { name: 'BodyTooLargeError', statusCode: 413 })
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024))
    t.ok(bomb.length < 100 * 1024, 'the bomb is small')
    await t.rejects(readBody(bomb, 'gzip', 1024), { name: 'BodyTooLargeError', statusCode: 413 })
    await t.rejects(readBody(Readable.from([bomb]), 'gzip', 1024), { name: 'BodyTooLargeError', statusCode: 413 })
  })

  t.test('refuses bad gzip with 400', async t => {
    await t.rejects(readBody(Buffer.from('not gzip'), 'gzip', 100), { name: 'ParseError', statusCode: 400, message: /^invalid gzip body: / })
    await t.rejects(readBody(Readable.from([Buffer.from('not gzip')]), 'gzip', 100), { name: 'ParseError', statusCode: 400 })
  })

  t.test('refuses other encodings with 415', async t => {
    await t.rejects(readBody(text, 'snappy', 100), { code: 'ERR_UNSUPPORTED_ENCODING', statusCode: 415, message: /unsupported Content-Encoding "snappy"/ })
    await t.rejects(readBody(text, 'deflate', 100), { code: 'ERR_UNSUPPORTED_ENCODING', statusCode: 415 })
  })

  t.test('an aborted or failing upload is a 400', async t => {
    const aborted = new Readable({ read () {} })
    const reading = readBody(aborted, undefined, 100)
    aborted.emit('aborted')
    await t.rejects(reading, { code: 'ERR_REQUEST_ABORTED', statusCode: 400, message: 'request aborted by the client' })
    const failing = new Readable({ read () { this.destroy(new Error('socket hang up')) } })
    await t.rejects(readBody(failing, undefined, 100), { code: 'ERR_REQUEST_ABORTED', message: 'could not read the request body: socket hang up' })
    const failingZip = new Readable({ read () { this.destroy(new Error('socket hang up')) } })
    await t.rejects(readBody(failingZip, 'gzip', 100), { name: 'ParseError', statusCode: 400 })
  })
})

t.test('a body that does not arrive within the read timeout is a 408', async t => {
  t.equal(DEFAULT_READ_TIMEOUT, 60_000)
  const stalled = new Readable({ read () {} })
  stalled.push('m 1\n')
  await t.rejects(readBody(stalled, undefined, 100, 20), { name: 'ReadTimeoutError', code: 'ERR_READ_TIMEOUT', statusCode: 408, timeout: 20, message: 'request body not received within the read timeout of 20 ms' })
  stalled.destroy(new Error('closed later'))
  const stalledGzip = new Readable({ read () {} })
  stalledGzip.push(gzipSync(text).subarray(0, 5))
  await t.rejects(readBody(stalledGzip, 'gzip', 100, 20), { code: 'ERR_READ_TIMEOUT' })
  t.equal((await readBody(Readable.from([Buffer.from(text)]), undefined, 100, Infinity)).toString(), text, 'Infinity: no timeout')
})

t.test('over HTTP, on every front end', async t => {
  for (const kind of FRONT_ENDS) {
    const front = await startFrontEnd(kind, { options: { readTimeout: 300 }, flags: { readTimeoutNs: 300_000_000n } })
    t.teardown(front.close)
    const url = new URL(front.base)

    // A slow upload: half a body, then nothing.
    const slow = await new Promise<{ status: number, connection: string | undefined, body: string, closed: boolean }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'PUT', path: '/metrics/job/slow', headers: { 'content-length': '100' }, agent: false }, res => {
        let body = ''
        res.on('data', (chunk: Buffer) => { body += chunk.toString() })
        res.on('end', () => { req.socket?.once('close', () => { resolve({ status: res.statusCode as number, connection: res.headers.connection, body, closed: true }) }) })
      })
      req.on('error', reject)
      req.write('slow_metric 1\n')
    })
    t.equal(slow.status, 408, `${kind}: a slow upload is a 408`)
    t.equal(slow.body, 'request body not received within the read timeout of 300 ms\n', `${kind}: the message names the timeout`)
    t.equal(slow.connection, 'close', `${kind}: the connection is closed`)
    t.ok(slow.closed)

    // An aborted upload: half a body, then the client goes away.
    const handlesBefore = process.getActiveResourcesInfo().filter(name => name !== 'TTYWrap').length
    await new Promise<void>(resolve => {
      const req = request({ host: url.hostname, port: url.port, method: 'PUT', path: '/metrics/job/aborted', headers: { 'content-length': '100' }, agent: false })
      req.on('error', () => { resolve() })
      req.write('aborted_metric 1\n', () => { setTimeout(() => { req.destroy() }, 50) })
    })
    await new Promise(resolve => setTimeout(resolve, 400))
    const handlesAfter = process.getActiveResourcesInfo().filter(name => name !== 'TTYWrap').length
    t.ok(handlesAfter <= handlesBefore, `${kind}: no socket or timer left behind (${handlesBefore} handles before, ${handlesAfter} after)`)

    const metrics = await sendText(front.base, { method: 'GET', path: '/metrics' })
    t.notMatch(metrics.body, /slow_metric|aborted_metric|job="slow"|job="aborted"/, `${kind}: neither stored anything`)
    t.equal((await sendText(front.base, { method: 'PUT', path: '/metrics/job/fine', body: 'm 1\n' })).status, 200, `${kind}: still serving`)
  }
})
