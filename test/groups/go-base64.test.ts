import t from 'tap'
import { decodeGoBase64Url, encodeBase64Url } from '../../src/groups/go-base64.js'

// [input, decoded bytes (hex; on error the partial prefix), error offset or undefined], all taken from
// Go 1.19's base64.RawURLEncoding.DecodeString(strings.TrimRight(input, "=")).
const GO_CASES: Array<[string, string, number | undefined]> = [
  ['', '', undefined],
  ['=', '', undefined],
  ['==', '', undefined],
  ['YS9i', '612f62', undefined],
  ['YS9i=', '612f62', undefined],
  ['YS9i==', '612f62', undefined],
  ['foo.bar', '', 3],
  ['QUJDRA.x', '414243', 6],
  ['QUJDR', '414243', 4],
  ['QUJD\nR', '414243', 5],
  ['QUJDR\n', '414243', 5],
  ['QU\nJD', '414243', undefined],
  ['QR', '41', undefined],
  ['QUI', '4142', undefined],
  ['a=b', '', 1],
  ['+', '', 0],
  ['/', '', 0],
  ['L3Zhci90bXA', '2f7661722f746d70', undefined],
  ['bGFiZWwvdmFsdWUy==', '6c6162656c2f76616c756532', undefined],
  ['QUJDREVGR0hJ.', '414243444546474849', 12],
  ['QUJDREVGR0hJSktM+', '4142434445464748494a4b4c', 16],
  ['QUJDREVGR0hJSktMTU5P', '4142434445464748494a4b4c4d4e4f', undefined],
  ['\r\nQQ', '41', undefined],
  ['Q\r', '', 1],
  ['é', '', 0],
  ['abcdé', '69b71d', 4],
  ['_____.', 'ffffff', 5],
  ['____', 'ffffff', undefined],
  ['dGVzdC9qb2I=', '746573742f6a6f62', undefined],
  ['QUJD=QUJD', '414243', 4],
  ['Q===', '', 0],
  ['QUJDREVGR0hJSktMTU5PUFFS\nU1RV', '4142434445464748494a4b4c4d4e4f505152535455', undefined],
  ['QUJDREVGR0hJSktMTU5PUFFSU', '4142434445464748494a4b4c4d4e4f505152', 24],
  ['A', '', 0],
  ['\n\n\n\n\n\n\nQUJD', '414243', undefined]
]

t.test('decodeGoBase64Url', async t => {
  for (const [input, hex, offset] of GO_CASES) {
    t.test(`decodes ${JSON.stringify(input)} like Go`, async t => {
      const result = decodeGoBase64Url(input)
      if (offset === undefined) {
        t.ok(result.ok)
        if (result.ok) t.equal(result.value.toString('hex'), hex)
      } else {
        t.notOk(result.ok)
        if (!result.ok) {
          t.equal(result.error, `illegal base64 data at input byte ${offset}`)
          t.equal(result.partial.toString('hex'), hex)
        }
      }
    })
  }

  t.test('rejects the standard alphabet characters that Node would accept', async t => {
    t.strictSame(decodeGoBase64Url('ab+c'), { ok: false, partial: Buffer.alloc(0), error: 'illegal base64 data at input byte 2' })
    t.match(decodeGoBase64Url('abc/'), { ok: false, error: 'illegal base64 data at input byte 3' })
  })

  t.test('decodes every byte value', async t => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    const result = decodeGoBase64Url(all.toString('base64url'))
    t.ok(result.ok && result.value.equals(all))
  })
})

t.test('encodeBase64Url', async t => {
  t.test('encodes UTF-8 without padding in the URL-safe alphabet', async t => {
    t.equal(encodeBase64Url('a/b'), 'YS9i')
    t.equal(encodeBase64Url('/var/tmp'), 'L3Zhci90bXA')
    t.equal(encodeBase64Url(''), '')
    t.equal(encodeBase64Url('\u00ff\u00fe?'), 'w7_Dvj8')
  })

  t.test('round-trips through decodeGoBase64Url', async t => {
    for (const value of ['x', 'xy', 'xyz', 'Björn 😀', 'test/job']) {
      const result = decodeGoBase64Url(encodeBase64Url(value))
      t.ok(result.ok && result.value.toString('utf8') === value, value)
    }
  })
})
