import { createGunzip, gunzipSync } from 'node:zlib'
import { Readable } from 'node:stream'
import { BodyTooLargeError, ParseError, PushgatewayError, ReadTimeoutError } from '../errors.js'
import { limitExceeded } from '../groups/limits.js'
import { decodeFramed, SnappyDecoder } from './snappy.js'

/** A request body: a stream (an `IncomingMessage`), or a body a framework has already read. */
export type RequestBody = AsyncIterable<Uint8Array> | Uint8Array | string

/** The default limit of a request body, after decompression: 16 MiB. */
export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024

/** The default time allowed to receive a request body: 60 seconds. */
export const DEFAULT_READ_TIMEOUT = 60_000

// Seconds a client refused for the bytes in flight is told to wait: uploads finish in about that time.
const IN_FLIGHT_RETRY_AFTER = 1

/**
 * The bytes of request bodies being received at once, across all uploads of a gateway, counted
 * after decompression; an upload that would take more than `limit` is refused (503, `Retry-After`).
 */
export class InFlightBytes {
  readonly #limit: number
  #held = 0

  constructor (limit: number) {
    this.#limit = limit
  }

  /** Takes `bytes` more, or throws a `LimitExceededError` (503) and takes nothing. */
  take (bytes: number): void {
    if (this.#held + bytes > this.#limit) {
      const refusal = limitExceeded('bodyBytesInFlight', this.#limit, `uploads in progress hold ${this.#held} bytes and this one needs more`)
      refusal.retryAfter = IN_FLIGHT_RETRY_AFTER
      throw refusal
    }
    this.#held += bytes
  }

  /** Takes `bytes` that are in memory already, whatever the limit: new uploads are refused until they are given back. */
  keep (bytes: number): void {
    this.#held += bytes
  }

  /** Gives `bytes` back. */
  release (bytes: number): void {
    this.#held -= bytes
  }
}

/**
 * Reads a request body into a buffer, decoding `Content-Encoding: gzip` (case-insensitive), and
 * refuses it with a `BodyTooLargeError` (413) as soon as it grows past `limit` bytes after
 * decompression, so a gzip bomb is stopped at the limit. A stream that has not ended within
 * `timeout` milliseconds is refused with a `ReadTimeoutError` (408). While a stream is read, its
 * bytes count in `inFlight`, when given, until the read ends either way.
 */
export async function readBody (body: RequestBody | undefined, contentEncoding: string | undefined, limit: number, timeout: number = DEFAULT_READ_TIMEOUT, inFlight?: InFlightBytes): Promise<Buffer> {
  const encoding = encodingOf(contentEncoding)
  if (body === undefined) return Buffer.alloc(0)
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const buf = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
    if (encoding === 'snappy') return decodeFramed(buf, limit, () => new BodyTooLargeError(limit))
    if (encoding !== 'gzip') {
      if (buf.length > limit) throw new BodyTooLargeError(limit)
      return buf
    }
    return gunzipWithLimit(buf, limit)
  }
  const source = body instanceof Readable ? body : Readable.from(body)
  if (encoding === 'identity') return readStream(source, source, limit, timeout, inFlight, false)
  const gunzip = encoding === 'gzip' ? createGunzip() : new SnappyDecoder()
  source.on('error', err => gunzip.destroy(err))
  source.pipe(gunzip)
  try {
    return await readStream(gunzip, source, limit, timeout, inFlight, encoding === 'gzip')
  } finally {
    source.unpipe(gunzip)
    gunzip.destroy()
  }
}

function encodingOf (contentEncoding: string | undefined): 'gzip' | 'snappy' | 'identity' {
  if (contentEncoding === undefined || contentEncoding === '') return 'identity'
  const encoding = contentEncoding.trim().toLowerCase()
  if (encoding === 'gzip' || encoding === 'snappy' || encoding === 'identity') return encoding
  throw new PushgatewayError('ERR_UNSUPPORTED_ENCODING', `unsupported Content-Encoding ${JSON.stringify(contentEncoding)}: send gzip, snappy or an uncompressed body`, 415)
}

function gunzipWithLimit (buf: Buffer, limit: number): Buffer {
  try {
    return gunzipSync(buf, { maxOutputLength: limit })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyTooLargeError(limit)
    throw gzipError(err as Error)
  }
}

/**
 * Collects `stream` (the request, or what gunzip makes of it). On a refusal the request is paused
 * and left as it is: the answer goes out and Node discards the rest, or (after a read timeout,
 * answered with `Connection: close`) the connection ends.
 */
async function readStream (stream: Readable, request: Readable, limit: number, timeout: number, inFlight: InFlightBytes | undefined, gzip: boolean): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let length = 0
    let held = 0
    const timer = timeout === Infinity ? undefined : setTimeout(() => { finish(new ReadTimeoutError(timeout)) }, timeout)
    // Called once: it removes every listener that could call it again, and the timer.
    function finish (err: Error | undefined): void {
      clearTimeout(timer)
      inFlight?.release(held)
      stream.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose)
      request.off('aborted', onAborted)
      if (err === undefined) {
        resolve(Buffer.concat(chunks, length))
        return
      }
      request.pause()
      // The request may still fail later (its connection reset); nobody waits for it any more.
      request.on('error', ignore)
      stream.on('error', ignore)
      reject(err)
    }
    function onData (chunk: Buffer): void {
      length += chunk.length
      if (length > limit) {
        finish(new BodyTooLargeError(limit))
        return
      }
      try {
        inFlight?.take(chunk.length)
      } catch (err) {
        finish(err as Error)
        return
      }
      held += chunk.length
      chunks.push(chunk)
    }
    function onEnd (): void { finish(undefined) }
    function onError (err: Error): void { finish(streamError(err, gzip)) }
    // A request that closes before its end was aborted by the client.
    function onClose (): void { finish(aborted()) }
    function onAborted (): void { finish(aborted()) }
    stream.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose)
    request.on('aborted', onAborted)
  })
}

function ignore (): void {}

function streamError (err: Error, gzip: boolean): PushgatewayError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ECONNRESET' || err.message === 'aborted') return aborted(err)
  // The snappy decoder's own refusals already name the problem.
  if (err instanceof PushgatewayError) return err
  if (gzip) return gzipError(err)
  return new PushgatewayError('ERR_REQUEST_ABORTED', `could not read the request body: ${err.message}`, 400, { cause: err })
}

function aborted (cause?: Error): PushgatewayError {
  return new PushgatewayError('ERR_REQUEST_ABORTED', 'request aborted by the client', 400, cause === undefined ? undefined : { cause })
}

function gzipError (err: Error): ParseError {
  return new ParseError(`invalid gzip body: ${err.message}`, { cause: err })
}
