import t from 'tap'
import { gzipSync } from 'node:zlib'
import { Readable } from 'node:stream'
import { request } from 'node:http'
import type { Socket } from 'node:net'
import { readBody, DEFAULT_BODY_LIMIT, DEFAULT_READ_TIMEOUT } from '../../src/http/body.js'
import { FRONT_ENDS, startFrontEnd } from '../helpers/front-ends.js'
import { sendText } from '../helpers/http.js'
import { eventually } from '../helpers/clock.js'

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
    await t.rejects(readBody(text, 'br', 100), { code: 'ERR_UNSUPPORTED_ENCODING', statusCode: 415, message: /unsupported Content-Encoding "br"/ })
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

/** The kinds of the handles and requests that keep this process alive, e.g. `{ TCPSocketWrap: 2 }`. */
function activeResources (): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const name of process.getActiveResourcesInfo()) if (name !== 'TTYWrap') counts[name] = (counts[name] ?? 0) + 1
  return counts
}

function total (counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0)
}

/** Whether `condition` comes to hold within `timeoutMs`. */
async function comesTrue (condition: () => boolean, what: string, timeoutMs = 30_000): Promise<boolean> {
  return eventually(condition, what, timeoutMs).then(() => true, () => false)
}

t.test('over HTTP, on every front end', async t => {
  for (const kind of FRONT_ENDS) {
    // The patient front end's read timeout (120 s) outlasts every wait below, so a read timer or
    // socket an aborted upload leaves behind cannot go unseen; the other one times out quickly.
    const patient = await startFrontEnd(kind, { options: { readTimeout: 120_000 }, flags: { readTimeoutNs: 120_000_000_000n } })
    t.teardown(patient.close)
    const front = await startFrontEnd(kind, { options: { readTimeout: 300 }, flags: { readTimeoutNs: 300_000_000n } })
    t.teardown(front.close)
    const url = new URL(front.base)

    // An aborted upload: half a body, then the client goes away. It goes first, while nothing
    // else is open.
    const patientUrl = new URL(patient.base)
    const before = activeResources()
    const req = request({ host: patientUrl.hostname, port: patientUrl.port, method: 'PUT', path: '/metrics/job/aborted', headers: { 'content-length': '100' }, agent: false })
    const failed = new Promise<void>(resolve => { req.on('error', () => { resolve() }) })
    req.write('aborted_metric 1\n')
    // The gateway is reading the body once its read timer runs.
    t.ok(await comesTrue(() => (activeResources()['Timeout'] ?? 0) > (before['Timeout'] ?? 0), 'the gateway reads the aborted upload'), `${kind}: the gateway started reading the aborted upload`)
    req.destroy()
    await failed
    t.ok(await comesTrue(() => total(activeResources()) <= total(before), 'every handle of the aborted upload is gone'),
      `${kind}: no socket or timer left behind (before: ${JSON.stringify(before)}, now: ${JSON.stringify(activeResources())})`)

    // A slow upload: half a body, then nothing.
    const slow = await new Promise<{ status: number, connection: string | undefined, body: string, socket: Socket }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'PUT', path: '/metrics/job/slow', headers: { 'content-length': '100' }, agent: false }, res => {
        let body = ''
        res.on('data', (chunk: Buffer) => { body += chunk.toString() })
        res.on('end', () => { resolve({ status: res.statusCode as number, connection: res.headers.connection, body, socket: res.socket }) })
      })
      req.on('error', reject)
      req.write('slow_metric 1\n')
    })
    t.equal(slow.status, 408, `${kind}: a slow upload is a 408`)
    t.equal(slow.body, 'request body not received within the read timeout of 300 ms\n', `${kind}: the message names the timeout`)
    t.equal(slow.connection, 'close', `${kind}: the connection is closed`)
    t.ok(await comesTrue(() => slow.socket.destroyed, 'the socket of the slow upload is closed'), `${kind}: the socket of the slow upload is closed after the 408`)

    for (const base of [front.base, patient.base]) {
      const metrics = await sendText(base, { method: 'GET', path: '/metrics' })
      t.notMatch(metrics.body, /slow_metric|aborted_metric|job="slow"|job="aborted"/, `${kind}: neither stored anything`)
      t.equal((await sendText(base, { method: 'PUT', path: '/metrics/job/fine', body: 'm 1\n' })).status, 200, `${kind}: still serving`)
    }
  }
})

t.test('a stream read without a timeout, and the ways a request ends early', async t => {
  t.equal((await readBody(Readable.from([Buffer.from('m 1\n')]), undefined, 100, Infinity)).toString(), 'm 1\n', 'Infinity: no timer')
  for (const error of [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), new Error('aborted')]) {
    const body = new Readable({ read () { this.destroy(error) } })
    await t.rejects(readBody(body, undefined, 100), { code: 'ERR_REQUEST_ABORTED', message: 'request aborted by the client', cause: error }, error.message)
  }
  const closed = new Readable({ read () {} })
  const reading = readBody(closed, undefined, 100)
  closed.destroy()
  await t.rejects(reading, { code: 'ERR_REQUEST_ABORTED', message: 'request aborted by the client' }, 'closed before its end')
})
