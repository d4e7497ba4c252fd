import { Transform, type TransformCallback } from 'node:stream'
import { ParseError } from '../errors.js'

// Facts from the snappy framing format (framing_format.txt): chunk header of a type byte and a
// 3-byte little-endian length; 0xff stream identifier "sNaPpY"; 0x00 compressed and 0x01
// uncompressed chunks carry a masked CRC-32C of the uncompressed data and at most 65536 bytes of
// it; 0x02-0x7f are reserved unskippable, 0x80-0xfe skippable.
const MAX_BLOCK = 65536
const STREAM_ID = Buffer.from('sNaPpY', 'latin1')
// A compressed block of MAX_BLOCK bytes is at most 32 + n + n / 6 long, plus the checksum.
const MAX_CHUNK = 4 + 32 + MAX_BLOCK + Math.floor(MAX_BLOCK / 6)

const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** The CRC-32C (Castagnoli) of `data`. */
export function crc32c (data: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < data.length; i++) c = (CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)) >>> 0
  return (c ^ 0xffffffff) >>> 0
}

/** The checksum a snappy frame carries for `data`: its CRC-32C, masked. */
export function maskedCrc32c (data: Uint8Array): number {
  const c = crc32c(data)
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0
}

function corrupt (problem: string): ParseError {
  return new ParseError(`invalid snappy body: ${problem}`)
}

/** Decompresses one raw snappy block (the block format, without framing); throws a `ParseError` if it is corrupt. */
export function decodeBlock (src: Uint8Array, maxLength: number = MAX_BLOCK): Buffer {
  let pos = 0
  let length = 0
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) throw corrupt('bad block length')
    const b = src[pos++]!
    length += (b & 0x7f) * 2 ** shift
    if (b < 0x80) break
  }
  if (length > maxLength) throw corrupt(`block of ${length} bytes exceeds ${maxLength}`)
  const out = Buffer.allocUnsafe(length)
  let d = 0
  while (pos < src.length) {
    const tag = src[pos++]!
    let n: number
    let offset: number
    switch (tag & 3) {
      case 0: {
        n = tag >>> 2
        if (n >= 60) {
          const bytes = n - 59
          if (pos + bytes > src.length) throw corrupt('truncated literal')
          n = 0
          for (let i = 0; i < bytes; i++) n += src[pos + i]! * 2 ** (8 * i)
          pos += bytes
        }
        n += 1
        if (pos + n > src.length) throw corrupt('truncated literal')
        if (d + n > length) throw corrupt('literal past the block length')
        out.set(src.subarray(pos, pos + n), d)
        pos += n
        d += n
        continue
      }
      case 1:
        if (pos >= src.length) throw corrupt('truncated copy')
        n = 4 + ((tag >>> 2) & 7)
        offset = ((tag & 0xe0) << 3) | src[pos++]!
        break
      case 2:
        if (pos + 2 > src.length) throw corrupt('truncated copy')
        n = 1 + (tag >>> 2)
        offset = src[pos]! | (src[pos + 1]! << 8)
        pos += 2
        break
      default:
        if (pos + 4 > src.length) throw corrupt('truncated copy')
        n = 1 + (tag >>> 2)
        offset = (src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16) | (src[pos + 3]! << 24)) >>> 0
        pos += 4
    }
    if (offset === 0 || offset > d) throw corrupt('copy offset out of range')
    if (d + n > length) throw corrupt('copy past the block length')
    // Byte by byte: a copy may overlap what it writes (offset < length repeats a pattern).
    for (let i = 0; i < n; i++, d++) out[d] = out[d - offset]!
  }
  if (d !== length) throw corrupt(`block decodes to ${d} bytes, not the ${length} it declares`)
  return out
}

/**
 * A stream that decodes the snappy framing format (what Go's `snappy.NewReader` reads, sent as
 * `Content-Encoding: snappy`) chunk by chunk; corrupt input fails it with a `ParseError` naming
 * the problem.
 */
export class SnappyDecoder extends Transform {
  #pending: Buffer = Buffer.alloc(0)
  #started = false

  override _transform (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
    try {
      this.#pending = decodeFrames(this.#pending, this.#started, out => { this.#started = true; if (out !== undefined) this.push(out) })
    } catch (err) {
      callback(err as Error)
      return
    }
    callback()
  }

  override _flush (callback: TransformCallback): void {
    callback(this.#pending.length === 0 ? null : corrupt('truncated chunk at the end of the body'))
  }
}

/** Decodes a whole snappy-framed body, refusing it with `tooLarge()` as soon as it decodes past `limit` bytes. */
export function decodeFramed (src: Uint8Array, limit: number, tooLarge: () => Error): Buffer {
  const parts: Buffer[] = []
  let length = 0
  const rest = decodeFrames(Buffer.from(src.buffer, src.byteOffset, src.byteLength), false, out => {
    if (out === undefined) return
    length += out.length
    if (length > limit) throw tooLarge()
    parts.push(out)
  })
  if (rest.length !== 0) throw corrupt('truncated chunk at the end of the body')
  return Buffer.concat(parts, length)
}

// Decodes the whole chunks at the start of `buf`, giving each chunk's data to `emit` (undefined
// for chunks without data), and returns what is left: the start of an incomplete chunk.
function decodeFrames (buf: Buffer, started: boolean, emit: (out: Buffer | undefined) => void): Buffer {
  let pos = 0
  while (buf.length - pos >= 4) {
    const type = buf[pos]!
    const size = buf[pos + 1]! | (buf[pos + 2]! << 8) | (buf[pos + 3]! << 16)
    if (!started && type !== 0xff) throw corrupt('the stream identifier chunk must come first')
    if ((type === 0x00 || type === 0x01) && size > MAX_CHUNK) throw corrupt(`chunk of ${size} bytes is too large`)
    if (type >= 0x02 && type <= 0x7f) throw corrupt(`reserved unskippable chunk type 0x${type.toString(16).padStart(2, '0')}`)
    if (buf.length - pos - 4 < size) break
    const body = buf.subarray(pos + 4, pos + 4 + size)
    pos += 4 + size
    if (type === 0xff) {
      if (size !== STREAM_ID.length || !body.equals(STREAM_ID)) throw corrupt('bad stream identifier')
      started = true
      emit(undefined)
      continue
    }
    if (type >= 0x80) continue
    if (size < 4) throw corrupt('chunk too short for its checksum')
    const data = type === 0x00 ? decodeBlock(body.subarray(4)) : Buffer.from(body.subarray(4))
    if (data.length > MAX_BLOCK) throw corrupt(`chunk of ${data.length} bytes exceeds ${MAX_BLOCK}`)
    if (maskedCrc32c(data) !== body.readUInt32LE(0)) throw corrupt('bad checksum')
    emit(data)
  }
  return pos === 0 ? buf : buf.subarray(pos)
}
