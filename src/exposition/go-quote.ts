const PRINTABLE = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u
const SHORT_ESCAPES: Record<string, string> = {
  '\u0007': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\'
}

/**
 * Quotes a string the way Go's `strconv.Quote` (`%q`) does, so error messages read like the
 * reference's: printable characters kept, `"` and `\` escaped, control characters as `\n`, `\x01`
 * and the like, other non-printable characters as `\uNNNN` or `\UNNNNNNNN`.
 */
export function goQuote (s: string): string {
  let out = '"'
  for (const ch of s) {
    const short = SHORT_ESCAPES[ch]
    if (short !== undefined) {
      out += short
      continue
    }
    if (PRINTABLE.test(ch)) {
      out += ch
      continue
    }
    const code = ch.codePointAt(0) as number
    if (code < 0x80) {
      out += '\\x' + hex(code, 2)
    } else if (code < 0x10000) {
      out += '\\u' + hex(code, 4)
    } else {
      out += '\\U' + hex(code, 8)
    }
  }
  return out + '"'
}

function hex (code: number, width: number): string {
  return code.toString(16).padStart(width, '0')
}
