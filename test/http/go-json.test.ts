import t from 'tap'
import { formatGoTime, goJson, GoStruct, goStruct } from '../../src/http/go-json.js'

function nanosAt (isoSeconds: string, fraction: bigint): bigint {
  return BigInt(Date.parse(isoSeconds)) * 1_000_000n + fraction
}

t.test('goJson', async t => {
  t.test('writes the spec 7.3 example byte for byte', async t => {
    const expected = [
      '{"status":"success","data":[{"labels":{"instance":"inst\'a\\"n\\\\ce1","job":"Björn"},"last_push_successful":true,',
      '"mf1":{"time_stamp":"2020-03-10T00:54:08.025744841+05:30","type":"SUMMARY","metrics":[{"count":"0","labels":{"instance":"inst\'a\\"n\\\\ce1","job":"Björn"},"quantiles":{},"sum":"0"}]},',
      '"push_failure_time_seconds":{"time_stamp":"2020-03-10T00:54:08.025744841+05:30","type":"GAUGE","help":"Last Unix time when changing this group in the Pushgateway failed.","metrics":[{"labels":{"instance":"inst\'a\\"n\\\\ce1","job":"Björn"},"value":"0"}]},',
      '"push_time_seconds":{"time_stamp":"2020-03-10T00:54:08.025744841+05:30","type":"GAUGE","help":"Last Unix time when changing this group in the Pushgateway succeeded.","metrics":[{"labels":{"instance":"inst\'a\\"n\\\\ce1","job":"Björn"},"value":"1.583781848025745e+09"}]}}]}'
    ].join('')
    const labels = { job: 'Björn', instance: 'inst\'a"n\\ce1' }
    const timeStamp = formatGoTime(1583781848025744841n, 330)
    const family = (type: string, help: string | undefined, metrics: unknown[]): GoStruct =>
      goStruct({ time_stamp: timeStamp, type, help, metrics })
    const group = {
      push_time_seconds: family('GAUGE', 'Last Unix time when changing this group in the Pushgateway succeeded.', [{ value: '1.583781848025745e+09', labels }]),
      push_failure_time_seconds: family('GAUGE', 'Last Unix time when changing this group in the Pushgateway failed.', [{ value: '0', labels }]),
      mf1: family('SUMMARY', undefined, [{ sum: '0', quantiles: {}, labels, count: '0' }]),
      last_push_successful: true,
      labels
    }
    t.equal(goJson(goStruct({ status: 'success', data: [group] })), expected)
  })

  t.test('writes an empty store like the Go API test', async t => {
    t.equal(goJson(goStruct({ status: 'success', data: [] })), '{"status":"success","data":[]}')
  })

  t.test('escapes like the observed Go output', async t => {
    t.equal(goJson({ help: 'A <summary> & "stuff"' }), '{"help":"A \\u003csummary\\u003e \\u0026 \\"stuff\\""}')
    t.equal(goJson({ q: '<&>' }), '{"q":"\\u003c\\u0026\\u003e"}')
  })

  t.test('escapes strings like Go 1.22+ encoding/json', async t => {
    const CASES: Array<[string, string]> = [
      ['plain', '"plain"'],
      ['', '""'],
      ['<>&\u2028\u2029', '"\\u003c\\u003e\\u0026\\u2028\\u2029"'],
      // Go 1.22 and later write \b and \f (Go 1.19 wrote \u0008 and \u000c).
      ['\b\f\x01\x1f\x7f"\\/é😀\t\n\r', '"\\b\\f\\u0001\\u001f\x7f\\"\\\\/é😀\\t\\n\\r"'],
      ['lone \uD800 high', '"lone \\ufffd high"'],
      ['lone \uDFFF low', '"lone \\ufffd low"'],
      ['\uDC00\uD800', '"\\ufffd\\ufffd"'],
      ['<😀\uD83D', '"\\u003c😀\\ufffd"'],
      ['literal \\ud800 text & more', '"literal \\\\ud800 text \\u0026 more"'],
      ['literal \\\\ud800 \uD800', '"literal \\\\\\\\ud800 \\ufffd"'],
      ['\\u001f<', '"\\\\u001f\\u003c"']
    ]
    for (const [input, expected] of CASES) t.equal(goJson(input), expected, `writes ${expected}`)
  })

  t.test('writes numbers like Go', async t => {
    // The Go 1.19 json.Marshal output for the same array.
    const numbers = [-0, 0, 1e21, 1e-7, 1.5e-7, 1e-6, 123456789, 0.1, 1e20, 5e-324, 1.7976931348623157e308, 1e100, 1e-100, -1.5e-10]
    t.equal(goJson(numbers), '[-0,0,1e+21,1e-7,1.5e-7,0.000001,123456789,0.1,100000000000000000000,5e-324,1.7976931348623157e+308,1e+100,1e-100,-1.5e-10]')
  })

  t.test('writes null, booleans, arrays and nested values', async t => {
    t.equal(goJson(null), 'null')
    t.equal(goJson(true), 'true')
    t.equal(goJson(false), 'false')
    t.equal(goJson([]), '[]')
    t.equal(goJson({}), '{}')
    t.equal(goJson([null, [1, 'x'], { b: [], a: {} }]), '[null,[1,"x"],{"a":{},"b":[]}]')
  })

  t.test('sorts map keys in UTF-8 byte order and escapes them', async t => {
    const map = { é: '1', z: '2', A: '3', '\uffff': '4', '😀': '5', 'a<b': '6' }
    // Go 1.19 json.Marshal of the same map[string]string.
    t.equal(goJson(map), '{"A":"3","a\\u003cb":"6","z":"2","é":"1","\uffff":"4","😀":"5"}')
  })

  t.test('omits undefined-valued keys in maps and structs', async t => {
    t.equal(goJson({ a: undefined, b: 1, c: undefined }), '{"b":1}')
    t.equal(goJson({ a: undefined }), '{}')
    t.equal(goJson(goStruct({ x: undefined, z: 1, y: undefined, a: 2 })), '{"z":1,"a":2}')
  })

  t.test('keeps struct order but sorts maps inside structs', async t => {
    t.equal(goJson(goStruct({ z: { b: 1, a: 2 }, a: goStruct({ y: 1, x: 2 }) })), '{"z":{"a":2,"b":1},"a":{"y":1,"x":2}}')
    t.equal(goJson(new GoStruct({ z: 1, a: 2 })), '{"z":1,"a":2}', 'the class, not only goStruct(), keeps struct order')
    t.equal(goJson(new GoStruct({})), '{}')
  })

  t.test('accepts objects without a prototype', async t => {
    const map: Record<string, number> = Object.create(null)
    map.b = 1
    map.a = 2
    t.equal(goJson(map), '{"a":2,"b":1}')
  })

  t.test('refuses what Go cannot encode or this serializer does not know', async t => {
    const REFUSED: Array<[string, unknown, RegExp]> = [
      ['NaN', NaN, /unsupported value: NaN/],
      ['Infinity', Infinity, /unsupported value: Infinity/],
      ['-Infinity in an array', [-Infinity], /unsupported value: -Infinity/],
      ['undefined', undefined, /unsupported type undefined/],
      ['undefined in an array', [1, undefined], /unsupported type undefined/],
      ['a bigint', 1n, /unsupported type bigint/],
      ['a function', () => 1, /unsupported type function/],
      ['a symbol', Symbol('x'), /unsupported type symbol/],
      ['a Date', new Date(0), /unsupported object \[object Date\]/],
      ['a Map in a map', { m: new Map() }, /unsupported object \[object Map\]/]
    ]
    for (const [name, value, message] of REFUSED) t.throws(() => goJson(value), { name: 'TypeError', message }, name)
  })
})

t.test('formatGoTime', async t => {
  t.test('formats like Go time.Time MarshalJSON', async t => {
    const CASES: Array<[bigint, number | undefined, string]> = [
      // Go 1.19 MarshalJSON output for the same instants.
      [1583781848025744841n, 330, '2020-03-10T00:54:08.025744841+05:30'],
      [1583781848120000000n, undefined, '2020-03-09T19:24:08.12Z'],
      [1583781848000000000n, 0, '2020-03-09T19:24:08Z'],
      [-999999995n, undefined, '1969-12-31T23:59:59.000000005Z'],
      [0n, -90, '1969-12-31T22:30:00-01:30'],
      // The spec 7.1 examples.
      [nanosAt('2026-11-22T21:52:31Z', 94347485n), undefined, '2026-11-22T21:52:31.094347485Z'],
      [nanosAt('2020-03-09T19:24:08Z', 25744841n), 330, '2020-03-10T00:54:08.025744841+05:30'],
      [nanosAt('2020-03-10T00:54:08Z', 120000000n), undefined, '2020-03-10T00:54:08.12Z'],
      // Range edges.
      [nanosAt('+000005-01-02T03:04:05Z', 100n), 0, '0005-01-02T03:04:05.0000001Z'],
      [nanosAt('0000-01-01T00:00:00Z', 0n), 0, '0000-01-01T00:00:00Z'],
      [nanosAt('9999-12-31T23:59:59Z', 999999999n), 0, '9999-12-31T23:59:59.999999999Z'],
      [nanosAt('2020-01-01T00:00:00Z', 1n), 23 * 60 + 59, '2020-01-01T23:59:00.000000001+23:59'],
      [nanosAt('2020-01-01T00:00:00Z', 1n), -(23 * 60 + 59), '2019-12-31T00:01:00.000000001-23:59']
    ]
    for (const [nanos, offset, expected] of CASES) t.equal(formatGoTime(nanos, offset), expected, expected)
  })

  t.test('reuses the seconds part but not the fraction or the zone', async t => {
    const second = nanosAt('2021-06-01T12:00:00Z', 0n)
    t.equal(formatGoTime(second + 5n), '2021-06-01T12:00:00.000000005Z')
    t.equal(formatGoTime(second + 500n), '2021-06-01T12:00:00.0000005Z')
    t.equal(formatGoTime(second, 60), '2021-06-01T13:00:00+01:00')
    t.equal(formatGoTime(second), '2021-06-01T12:00:00Z')
  })

  t.test('refuses what Go refuses', async t => {
    const REFUSED: Array<[string, bigint, number, RegExp]> = [
      ['year 10000', nanosAt('+010000-01-01T00:00:00Z', 0n), 0, /year outside of range \[0,9999\]/],
      ['year -1', nanosAt('-000001-12-31T23:59:59Z', 0n), 0, /year outside of range/],
      ['year 10000 by offset', nanosAt('9999-12-31T23:59:59Z', 0n), 60, /year outside of range/],
      ['beyond Date', 10n ** 30n, 0, /year outside of range/],
      ['an offset of a day', 0n, 24 * 60, /offset must be whole minutes within ±23:59, got 1440/],
      ['a negative offset of a day', 0n, -24 * 60, /got -1440/],
      ['a fractional offset', 0n, 0.5, /got 0.5/],
      ['a NaN offset', 0n, NaN, /got NaN/]
    ]
    for (const [name, nanos, offset, message] of REFUSED) t.throws(() => formatGoTime(nanos, offset), { name: 'RangeError', message }, name)
  })
})

t.test('goJson on large values', async t => {
  t.test('writes output longer than one chunk', async t => {
    const values = Array.from({ length: 20000 }, (_, i) => ({ i, s: `value <${i}>` }))
    const expected = '[' + values.map(v => `{"i":${v.i},"s":"value \\u003c${v.i}\\u003e"}`).join(',') + ']'
    const json = goJson(values)
    t.equal(json.length, expected.length)
    t.ok(json === expected)
    // The chunk state is reset: a following call starts empty.
    t.equal(goJson([1]), '[1]')
  })

  t.test('sorts maps with many keys', async t => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${String(39 - i).padStart(2, '0')}`)
    const map = Object.fromEntries(keys.map(k => [k, 1]))
    t.equal(goJson(map), '{' + [...keys].reverse().map(k => `"${k}":1`).join(',') + '}')
  })

  t.test('sorts integer-like keys as strings, not as JavaScript orders them', async t => {
    t.equal(goJson({ '+Inf': '3', 5: '2', 10: '2', 1: '1', 0.5: '0' }), '{"+Inf":"3","0.5":"0","1":"1","10":"2","5":"2"}')
  })

  t.test('recovers after a refused value', async t => {
    t.throws(() => goJson(['x'.repeat(70000), NaN]), TypeError)
    t.equal(goJson('ok'), '"ok"')
  })
})
