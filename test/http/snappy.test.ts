import t from 'tap'
import { Readable } from 'node:stream'
import { crc32c, maskedCrc32c, decodeBlock, decodeFramed, SnappyDecoder } from '../../src/http/snappy.js'
import { readBody } from '../../src/http/body.js'
import { FRONT_ENDS, startFrontEnd } from '../helpers/front-ends.js'
import { sendText } from '../helpers/http.js'

// Vectors built by hand from the framing and block format descriptions.
const STREAM_ID = Buffer.from([0xff, 6, 0, 0, ...Buffer.from('sNaPpY')])

function chunk (type: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([type, body.length & 0xff, (body.length >> 8) & 0xff, body.length >> 16]), body])
}
function checksum (data: Uint8Array): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(maskedCrc32c(data))
  return b
}
function uncompressed (data: Buffer): Buffer { return chunk(0x01, Buffer.concat([checksum(data), data])) }
function compressed (data: Buffer, block: Buffer): Buffer { return chunk(0x00, Buffer.concat([checksum(data), block])) }

// "abcabcabcabc": length 12, literal "abc", copy of 9 bytes at offset 3 (1-byte offset form).
const ABC = Buffer.from('abcabcabcabc')
const ABC_BLOCK = Buffer.from([12, 0x08, 0x61, 0x62, 0x63, 0x15, 3])

t.test('CRC-32C', async t => {
  t.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
  t.equal(crc32c(Buffer.alloc(0)), 0)
})

t.test('raw blocks', async t => {
  t.same(decodeBlock(ABC_BLOCK), ABC)
  // 2-byte and 4-byte offset copies, and a literal with a 1-byte length (tag 60).
  t.same(decodeBlock(Buffer.from([6, 0x08, 0x61, 0x62, 0x63, 0x0a, 3, 0])), Buffer.from('abcabc'))
  t.same(decodeBlock(Buffer.from([6, 0x08, 0x61, 0x62, 0x63, 0x0b, 3, 0, 0, 0])), Buffer.from('abcabc'))
  const long = Buffer.alloc(70, 0x7a)
  t.same(decodeBlock(Buffer.concat([Buffer.from([70, 60 << 2, 69]), long])), long)
  t.throws(() => decodeBlock(Buffer.from([])), /bad block length/)
  t.throws(() => decodeBlock(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 1])), /bad block length/)
  t.throws(() => decodeBlock(Buffer.from([0x80, 0x80, 0x08])), /exceeds 65536/)
  t.throws(() => decodeBlock(Buffer.from([3, 60 << 2])), /truncated literal/)
  t.throws(() => decodeBlock(Buffer.from([3, 0x08, 0x61])), /truncated literal/)
  t.throws(() => decodeBlock(Buffer.from([1, 0x04, 0x61, 0x62])), /literal past the block length/)
  t.throws(() => decodeBlock(Buffer.from([12, 0x08, 0x61, 0x62, 0x63, 0x15])), /truncated copy/)
  t.throws(() => decodeBlock(Buffer.from([12, 0x08, 0x61, 0x62, 0x63, 0x0a, 3])), /truncated copy/)
  t.throws(() => decodeBlock(Buffer.from([12, 0x08, 0x61, 0x62, 0x63, 0x0b, 3])), /truncated copy/)
  t.throws(() => decodeBlock(Buffer.from([12, 0x08, 0x61, 0x62, 0x63, 0x15, 4])), /offset out of range/)
  t.throws(() => decodeBlock(Buffer.from([12, 0x08, 0x61, 0x62, 0x63, 0x15, 0])), /offset out of range/)
  t.throws(() => decodeBlock(Buffer.from([5, 0x08, 0x61, 0x62, 0x63, 0x15, 3])), /copy past the block length/)
  t.throws(() => decodeBlock(Buffer.from([12, 0x08, 0x61, 0x62, 0x63])), /decodes to 3 bytes, not the 12/)
})

const framed = Buffer.concat([STREAM_ID, compressed(ABC, ABC_BLOCK), chunk(0xfe, Buffer.from([0, 0])), chunk(0x80, Buffer.alloc(0)), STREAM_ID, uncompressed(Buffer.from('m 1\n'))])
const expected = Buffer.from('abcabcabcabcm 1\n')

t.test('whole bodies', async t => {
  t.same(decodeFramed(framed, 100, () => new Error('big')), expected)
  t.same(decodeFramed(Buffer.alloc(0), 100, () => new Error('big')), Buffer.alloc(0))
  t.throws(() => decodeFramed(framed, 15, () => new Error('too big')), /too big/)
  t.throws(() => decodeFramed(uncompressed(ABC), 100, () => new Error('big')), /stream identifier chunk must come first/)
  t.throws(() => decodeFramed(Buffer.concat([STREAM_ID, chunk(0x02, Buffer.alloc(1))]), 100, () => new Error('big')), /reserved unskippable chunk type 0x02/)
  t.throws(() => decodeFramed(chunk(0xff, Buffer.from('sNaPpX')), 100, () => new Error('big')), /bad stream identifier/)
  const bad = uncompressed(ABC)
  bad[4] = 0xff - (bad[4] ?? 0)
  t.throws(() => decodeFramed(Buffer.concat([STREAM_ID, bad]), 100, () => new Error('big')), /bad checksum/)
  t.throws(() => decodeFramed(Buffer.concat([STREAM_ID, chunk(0x01, Buffer.alloc(3))]), 100, () => new Error('big')), /too short for its checksum/)
  t.throws(() => decodeFramed(Buffer.concat([STREAM_ID, Buffer.from([0x01, 0xff, 0xff, 0xff])]), 100, () => new Error('big')), /too large/)
  t.throws(() => decodeFramed(Buffer.concat([STREAM_ID, chunk(0x01, Buffer.alloc(65541))]), 1e6, () => new Error('big')), /exceeds 65536/)
  t.throws(() => decodeFramed(framed.subarray(0, framed.length - 1), 100, () => new Error('big')), /truncated chunk/)
})

t.test('the streaming decoder, byte by byte', async t => {
  const parts: Buffer[] = []
  const decoder = new SnappyDecoder()
  decoder.on('data', (b: Buffer) => parts.push(b))
  const done = new Promise(resolve => decoder.on('end', resolve))
  for (const b of framed) decoder.write(Buffer.from([b]))
  decoder.end()
  await done
  t.same(Buffer.concat(parts), expected)
  const truncated = new SnappyDecoder()
  truncated.resume()
  const failed = new Promise<Error>(resolve => truncated.on('error', resolve))
  truncated.end(framed.subarray(0, 5))
  t.match(await failed, /truncated chunk/)
})

t.test('readBody with Content-Encoding: snappy', async t => {
  t.same(await readBody(framed, 'snappy', 100), expected)
  t.same(await readBody(framed, ' Snappy ', 100), expected)
  t.same(await readBody(Readable.from([framed.subarray(0, 9), framed.subarray(9)]), 'snappy', 100), expected)
  await t.rejects(readBody(framed, 'snappy', 15), { code: 'ERR_BODY_TOO_LARGE', statusCode: 413, message: /body limit/ })
  await t.rejects(readBody(Readable.from([framed]), 'snappy', 15), { code: 'ERR_BODY_TOO_LARGE', statusCode: 413, message: /body limit/ })
  const bad = Buffer.concat([STREAM_ID, chunk(0x03, Buffer.alloc(1))])
  await t.rejects(readBody(Readable.from([bad]), 'snappy', 100), { code: 'ERR_PARSE', statusCode: 400, message: /reserved unskippable chunk type 0x03/ })
  await t.rejects(readBody(bad, 'snappy', 100), { code: 'ERR_PARSE', statusCode: 400, message: /reserved unskippable/ })
  // A bomb: many chunks of 64 KiB each, stopped at the limit.
  const block = Buffer.alloc(65536)
  const bomb = Buffer.concat([STREAM_ID, ...Array.from({ length: 64 }, () => uncompressed(block))])
  await t.rejects(readBody(Readable.from([bomb]), 'snappy', 100_000), { code: 'ERR_BODY_TOO_LARGE', statusCode: 413, message: /body limit/ })
})

t.test('over HTTP, on every front end', async t => {
  for (const kind of FRONT_ENDS) {
    const front = await startFrontEnd(kind, {})
    t.teardown(front.close)
    const body = Buffer.concat([STREAM_ID, uncompressed(Buffer.from('pushed_total 7\n'))])
    const pushed = await sendText(front.base, { method: 'PUT', path: '/metrics/job/s', body, headers: { 'content-encoding': 'snappy' } })
    t.equal(pushed.status, 200, `${kind}: pushed`)
    const metrics = await sendText(front.base, { method: 'GET', path: '/metrics' })
    t.match(metrics.body, /^pushed_total\{instance="",job="s"\} 7$/m, `${kind}: scraped`)
    const refused = await sendText(front.base, { method: 'PUT', path: '/metrics/job/s', body: Buffer.concat([STREAM_ID, chunk(0x05, Buffer.alloc(1))]), headers: { 'content-encoding': 'snappy' } })
    t.equal(refused.status, 400, `${kind}: corrupt body refused`)
    t.match(refused.body, /reserved unskippable chunk type 0x05/, `${kind}: the problem named`)
  }
})
