import t, { type Test } from 'tap'
import { createServer, request, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { writeResponse, type GatewayResponse } from '../../src/http/handler.js'

// Serves one answer through `writeResponse` on a socket corked until the next turn of the event
// loop: what is written before then waits in the socket's buffer, as on a socket that is busy.
async function served (t: Test, answer: GatewayResponse): Promise<{ status: number, length: string | undefined, body: Buffer, refused: number }> {
  let refused = 0
  const server = createServer((_req, res) => {
    const write = res.write.bind(res) as (chunk: Buffer) => boolean
    res.write = ((chunk: Buffer) => {
      const taken = write(chunk)
      if (!taken) refused++
      return taken
    }) as ServerResponse['write']
    res.socket?.cork()
    setImmediate(() => res.socket?.uncork())
    writeResponse(res, answer)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const { port } = server.address() as AddressInfo
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => { resolve({ status: res.statusCode as number, length: res.headers['content-length'], body: Buffer.concat(chunks), refused }) })
    }).on('error', reject).end()
  })
}

function chunked (chunks: string[]): GatewayResponse {
  return { status: 200, headers: { 'content-type': 'text/plain' }, chunks, body: chunks.join('') }
}

t.test('an answer in chunks is written whole, in order, with its length in bytes, waiting for the socket', async t => {
  // 1 MB of distinct lines, a multi-byte character in each chunk.
  const chunks = Array.from({ length: 16 }, (_, i) => `é${String(i).padStart(4, '0')}\n`.repeat(10_923))
  const answer = await served(t, chunked(chunks))
  const text = chunks.join('')
  t.equal(answer.status, 200)
  t.equal(answer.length, String(Buffer.byteLength(text)))
  t.ok(answer.body.equals(Buffer.from(text)), 'the body is the chunks joined, as UTF-8')
  t.ok(answer.refused > 0, `the socket was busy ${answer.refused} times`)
})

t.test('an answer without chunks, and one of no chunks', async t => {
  const plain = await served(t, { status: 202, headers: {}, body: 'ok é' })
  t.same([plain.status, plain.length, plain.body.toString()], [202, '5', 'ok é'])
  const empty = await served(t, chunked([]))
  t.same([empty.status, empty.length, empty.body.length], [200, '0', 0])
})

// A response that takes every write at once and calls their callbacks only when told to.
function takingResponse (): { res: ServerResponse, written: Buffer[], settle: (error?: Error) => void } {
  const written: Buffer[] = []
  let callbacks: Array<(error?: Error | null) => void> = []
  const res = {
    setHeader: () => res,
    writeHead: () => res,
    write: (chunk: Buffer, callback: (error?: Error | null) => void) => {
      written.push(chunk)
      callbacks.push(callback)
      return true
    },
    end: () => res
  } as unknown as ServerResponse
  const settle = (error?: Error): void => {
    for (const callback of callbacks) callback(error ?? null)
    callbacks = []
  }
  return { res, written, settle }
}

t.test('a chunk\'s buffer is written again only once the socket took it, eight of them kept', async t => {
  const chunks = Array.from({ length: 12 }, (_, i) => String(i).repeat(1000))
  const first = takingResponse()
  writeResponse(first.res, chunked(chunks))
  first.settle()
  const second = takingResponse()
  writeResponse(second.res, chunked(chunks))
  const pooled = new Set(first.written.map(view => view.buffer))
  t.equal(pooled.size, 12, 'twelve chunks in flight at once, twelve buffers')
  t.equal(second.written.filter(view => pooled.has(view.buffer)).length, 8, 'eight kept for the next answer')
  t.same(second.written.map(view => view.toString()), chunks)
  second.settle(new Error('socket closed'))
  const third = takingResponse()
  writeResponse(third.res, chunked(chunks))
  t.equal(third.written.filter(view => pooled.has(view.buffer) || second.written.some(other => other.buffer === view.buffer)).length, 0, 'none whose write failed')
  // Larger than a spare buffer: bytes of its own.
  const large = takingResponse()
  const text = 'é'.repeat(70_000)
  writeResponse(large.res, chunked([text]))
  t.equal(large.written[0]?.toString(), text)
  t.equal(large.written[0]?.length, 140_000)
})
