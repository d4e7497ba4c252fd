import { ParseError } from '../errors.js'
import { isLegacyLabelName } from '../exposition/names.js'

/** How a label matcher compares a label's value: equal, not equal, regex match, regex non-match. */
export type MatchOperator = '=' | '!=' | '=~' | '!~'

/** One label matcher of a selector, such as `instance=~"db.*"`. */
export interface LabelMatcher {
  /** The label name compared. */
  readonly name: string
  /** The comparison. */
  readonly op: MatchOperator
  /** The value or, for `=~` and `!~`, the regular expression as written. */
  readonly value: string
  /** Whether the matcher accepts a label value (a missing label counts as the empty value). */
  readonly matches: (value: string) => boolean
}

const OPERATORS: readonly MatchOperator[] = ['=~', '!~', '!=', '=']

/**
 * Parses a selector of label matchers over grouping labels, `{job="backup",instance=~"db.*"}`,
 * with Prometheus' operators and anchored regular expressions; throws a ParseError naming the
 * problem. Like Prometheus, a selector must hold a matcher that does not match the empty value,
 * so that no selector silently selects every group (wiping is its own API).
 */
export function parseSelector (selector: string): LabelMatcher[] {
  const p = new SelectorParser(selector)
  const matchers = p.parse()
  if (!matchers.some(m => !m.matches(''))) {
    throw new ParseError(`selector ${JSON.stringify(selector)}: needs at least one matcher that does not match the empty value`)
  }
  return matchers
}

/** Whether the labels of a group satisfy every matcher of a selector. */
export function matchesSelector (labels: Readonly<Record<string, string>>, matchers: readonly LabelMatcher[]): boolean {
  for (const m of matchers) {
    const value = Object.hasOwn(labels, m.name) ? labels[m.name] as string : ''
    if (!m.matches(value)) return false
  }
  return true
}

/** Whether the labels satisfy any of several selectors (several `match[]` select their union). */
export function matchesAnySelector (labels: Readonly<Record<string, string>>, selectors: readonly (readonly LabelMatcher[])[]): boolean {
  return selectors.some(s => matchesSelector(labels, s))
}

class SelectorParser {
  private pos = 0
  constructor (private readonly text: string) {}

  parse (): LabelMatcher[] {
    this.skipSpace()
    this.expect('{')
    const matchers: LabelMatcher[] = []
    this.skipSpace()
    while (this.peek() !== '}') {
      matchers.push(this.matcher())
      this.skipSpace()
      if (this.peek() === ',') {
        this.pos++
        this.skipSpace()
      } else if (this.peek() !== '}') {
        this.fail('expected "," or "}"')
      }
    }
    this.pos++
    this.skipSpace()
    if (this.pos < this.text.length) this.fail('unexpected text after "}"')
    return matchers
  }

  private matcher (): LabelMatcher {
    const start = this.pos
    const name = this.peek() === '"' ? this.quoted() : this.identifier()
    if (name === '') this.fail('empty label name', start)
    this.skipSpace()
    const op = OPERATORS.find(o => this.text.startsWith(o, this.pos))
    if (op === undefined) this.fail('expected one of =, !=, =~, !~')
    this.pos += op.length
    this.skipSpace()
    const quote = this.peek()
    if (quote !== '"' && quote !== "'" && quote !== '`') this.fail('expected a quoted value')
    const value = this.quoted()
    return { name, op, value, matches: compile(op, value, (message) => this.fail(message, start)) }
  }

  private identifier (): string {
    const start = this.pos
    while (this.pos < this.text.length && /[A-Za-z0-9_]/.test(this.text[this.pos] as string)) this.pos++
    const name = this.text.slice(start, this.pos)
    if (!isLegacyLabelName(name)) this.fail('expected a label name', start)
    return name
  }

  // Double and single quotes take Go escapes; backquotes are raw, as in PromQL.
  private quoted (): string {
    const quote = this.text[this.pos] as string
    const start = this.pos++
    let out = ''
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++] as string
      if (c === quote) return out
      if (c === '\\' && quote !== '`') {
        out += this.escape()
      } else if (c === '\n' && quote !== '`') {
        break
      } else {
        out += c
      }
    }
    return this.fail('unterminated string', start)
  }

  private escape (): string {
    const c = this.text[this.pos++]
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" }
    if (c !== undefined && Object.hasOwn(simple, c)) return simple[c] as string
    const digits = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0
    const hex = this.text.slice(this.pos, this.pos + digits)
    if (digits === 0 || !new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) return this.fail('invalid escape', this.pos - 2)
    this.pos += digits
    const code = Number.parseInt(hex, 16)
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return this.fail('invalid escape', this.pos - 2 - digits)
    return String.fromCodePoint(code)
  }

  private skipSpace (): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++
  }

  private peek (): string | undefined {
    return this.text[this.pos]
  }

  private expect (c: string): void {
    if (this.peek() !== c) this.fail(`expected "${c}"`)
    this.pos++
  }

  fail (message: string, at = this.pos): never {
    throw new ParseError(`selector ${JSON.stringify(this.text)}: ${message} at offset ${at}`)
  }
}

// JavaScript syntax that RE2 (and so Prometheus) refuses: lookaround and backreferences.
const NOT_RE2 = /\(\?<?[=!]|\\[1-9]|\\k</

function compile (op: MatchOperator, value: string, fail: (message: string) => never): (v: string) => boolean {
  if (op === '=') return (v) => v === value
  if (op === '!=') return (v) => v !== value
  if (NOT_RE2.test(value)) fail(`regular expression ${JSON.stringify(value)} uses lookaround or backreferences, which RE2 does not have`)
  let re: RegExp
  try {
    // Anchored like Prometheus; "s" because Prometheus' dot matches newlines too.
    re = new RegExp(`^(?:${value})$`, 'su')
  } catch (error) {
    return fail(`invalid regular expression ${JSON.stringify(value)}: ${(error as Error).message}`)
  }
  return op === '=~' ? (v) => re.test(v) : (v) => !re.test(v)
}
