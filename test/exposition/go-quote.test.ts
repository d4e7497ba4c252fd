import t from 'tap'
import { goQuote } from '../../src/exposition/go-quote.js'

t.test('goQuote quotes like Go strconv.Quote', async t => {
  const cases: Array<[string, string]> = [
    ['', '""'],
    ['a=b', '"a=b"'],
    ['say "hi" \\ bye', '"say \\"hi\\" \\\\ bye"'],
    ['\u0007\b\f\n\r\t\v', '"\\a\\b\\f\\n\\r\\t\\v"'],
    ['\u0001\u007f', '"\\x01\\x7f"'],
    ['Björn ü €', '"Björn ü €"'],
    ['\u00a0\u200b', '"\\u00a0\\u200b"'],
    ['\u{1F600}', '"\u{1F600}"'],
    ['\u{E0001}', '"\\U000e0001"']
  ]
  for (const [input, expected] of cases) t.equal(goQuote(input), expected, JSON.stringify(input))
})
