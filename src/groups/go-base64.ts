const INVALID = 0xff
const EQUALS = 0x3d
const LF = 0x0a
const CR = 0x0d

const DECODE_MAP = buildDecodeMap('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')

function buildDecodeMap (alphabet: string): Uint8Array {
  const map = new Uint8Array(128).fill(INVALID)
  for (let i = 0; i < alphabet.length; i++) map[alphabet.charCodeAt(i)] = i
  return map
}

/** The result of `decodeGoBase64Url`: the bytes, or Go's error text plus the bytes Go decoded before failing. */
export type GoBase64Result =
  | { ok: true, value: Buffer }
  | { ok: false, partial: Buffer, error: string }

/**
 * Decodes like Go's `base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))` (spec 2.2): any
 * number of trailing `=` is dropped, only the URL-safe alphabet is accepted, `\r` and `\n` are skipped,
 * non-zero trailing bits are tolerated, and errors read `illegal base64 data at input byte N`.
 */
export function decodeGoBase64Url (s: string): GoBase64Result {
  let end = s.length
  while (end > 0 && s.charCodeAt(end - 1) === EQUALS) end--
  // Go sizes its buffer the same way (DecodedLen for unpadded input).
  const out = Buffer.allocUnsafe(((end >> 2) * 3) + (((end & 3) * 6) >> 3))
  let written = 0
  let quantum = 0
  let digits = 0
  for (let i = 0; i < end; i++) {
    const code = s.charCodeAt(i)
    const digit = code < 128 ? DECODE_MAP[code] as number : INVALID
    if (digit === INVALID) {
      if (code === LF || code === CR) continue
      return failure(out, written, i)
    }
    quantum = (quantum << 6) | digit
    if (++digits === 4) {
      out[written++] = quantum >> 16
      out[written++] = (quantum >> 8) & 0xff
      out[written++] = quantum & 0xff
      quantum = 0
      digits = 0
    }
  }
  if (digits === 1) return failure(out, written, end - 1)
  if (digits === 2) {
    out[written++] = quantum >> 4
  } else if (digits === 3) {
    out[written++] = quantum >> 10
    out[written++] = (quantum >> 2) & 0xff
  }
  return { ok: true, value: out.subarray(0, written) }
}

function failure (out: Buffer, written: number, offset: number): GoBase64Result {
  return { ok: false, partial: out.subarray(0, written), error: `illegal base64 data at input byte ${offset}` }
}

/** Encodes the UTF-8 bytes of `value` in the URL-safe alphabet without padding (Go's `RawURLEncoding`), for building `@base64` URL segments. */
export function encodeBase64Url (value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url')
}
