import t from 'tap'
import { gzipSync } from 'node:zlib'
import { Readable } from 'node:stream'
import { readBody, DEFAULT_BODY_LIMIT } from '../src/body.js'

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
