import { request } from 'node:http'

/** One answer, as the wire carried it. */
export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** What `send` puts on the wire. */
export interface Sent {
  method: string
  path: string
  body?: string | Buffer
  headers?: Record<string, string>
}

/**
 * A curl-like request: these headers and this body (nothing added the way fetch adds them, but a
 * Content-Length for a body unless `transfer-encoding` is given), on a connection of its own, the
 * path sent as written.
 */
export async function send (base: string, sent: Sent): Promise<Answer> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      method: sent.method,
      path: sent.path,
      headers: withLength(sent),
      agent: false
    }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      res.on('end', () => { resolve({ status: res.statusCode as number, headers: res.headers, body: Buffer.concat(chunks) }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(sent.body)
  })
}

/** `send` with the answer's body as text. */
export async function sendText (base: string, sent: Sent): Promise<{ status: number, headers: Answer['headers'], body: string }> {
  const answer = await send(base, sent)
  return { ...answer, body: answer.body.toString('utf8') }
}

// Node sends a DELETE body with neither a length nor chunking unless told; curl sends a length.
function withLength (sent: Sent): Record<string, string> {
  const headers = { ...sent.headers }
  const named = Object.keys(headers).map(name => name.toLowerCase())
  if (sent.body !== undefined && !named.includes('content-length') && !named.includes('transfer-encoding')) {
    headers['content-length'] = String(Buffer.byteLength(sent.body))
  }
  return headers
}
