import { createGunzip, gunzipSync } from 'node:zlib'
import { Readable } from 'node:stream'
import getRawBody from 'raw-body'
import { BodyTooLargeError, ParseError, PushgatewayError, ReadTimeoutError } from './errors.js'

/** A request body: a stream (an `IncomingMessage`), or a body a framework has already read. */
export type RequestBody = AsyncIterable<Uint8Array> | Uint8Array | string

/** The default limit of a request body, after decompression: 16 MiB. */
export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024

/** The default time allowed to receive a request body: 60 seconds. */
export const DEFAULT_READ_TIMEOUT = 60_000

/**
 * Reads a request body into a buffer, decoding `Content-Encoding: gzip` (case-insensitive), and
 * refuses it with a `BodyTooLargeError` (413) as soon as it grows past `limit` bytes after
 * decompression, so a gzip bomb is stopped at the limit. A stream that has not ended within
 * `timeout` milliseconds is refused with a `ReadTimeoutError` (408).
 */
export async function readBody (body: RequestBody | undefined, contentEncoding: string | undefined, limit: number, timeout: number = DEFAULT_READ_TIMEOUT): Promise<Buffer> {
  const gzip = isGzip(contentEncoding)
  if (body === undefined) return Buffer.alloc(0)
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const buf = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
    if (!gzip) {
      if (buf.length > limit) throw new BodyTooLargeError(limit)
      return buf
    }
    return gunzipWithLimit(buf, limit)
  }
  const source = body instanceof Readable ? body : Readable.from(body)
  if (!gzip) return withTimeout(readStream(source, limit, false), timeout)
  const gunzip = createGunzip()
  source.on('error', err => gunzip.destroy(err))
  source.pipe(gunzip)
  try {
    return await withTimeout(readStream(gunzip, limit, true), timeout)
  } finally {
    source.unpipe(gunzip)
    gunzip.destroy()
  }
}

// The stream is left as it is: the 408 goes out with `Connection: close`, which ends the upload.
async function withTimeout (reading: Promise<Buffer>, timeout: number): Promise<Buffer> {
  if (timeout === Infinity) return reading
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new ReadTimeoutError(timeout)) }, timeout)
  })
  // The read settles later, when the connection closes; nobody waits for it then.
  reading.catch(() => {})
  try {
    return await Promise.race([reading, expired])
  } finally {
    clearTimeout(timer)
  }
}

function isGzip (contentEncoding: string | undefined): boolean {
  if (contentEncoding === undefined || contentEncoding === '') return false
  const encoding = contentEncoding.trim().toLowerCase()
  if (encoding === 'gzip') return true
  if (encoding === 'identity') return false
  throw new PushgatewayError('ERR_UNSUPPORTED_ENCODING', `unsupported Content-Encoding ${JSON.stringify(contentEncoding)}: send gzip or an uncompressed body`, 415)
}

function gunzipWithLimit (buf: Buffer, limit: number): Buffer {
  try {
    return gunzipSync(buf, { maxOutputLength: limit })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyTooLargeError(limit)
    throw gzipError(err as Error)
  }
}

async function readStream (stream: Readable, limit: number, gzip: boolean): Promise<Buffer> {
  try {
    return await getRawBody(stream, { limit })
  } catch (err) {
    const type = (err as { type?: string }).type
    if (type === 'entity.too.large') throw new BodyTooLargeError(limit)
    if (type === 'request.aborted') throw new PushgatewayError('ERR_REQUEST_ABORTED', 'request aborted by the client', 400, { cause: err })
    if (gzip) throw gzipError(err as Error)
    throw new PushgatewayError('ERR_REQUEST_ABORTED', `could not read the request body: ${(err as Error).message}`, 400, { cause: err })
  }
}

function gzipError (err: Error): ParseError {
  return new ParseError(`invalid gzip body: ${err.message}`, { cause: err })
}
