import t from 'tap'
import {
  BodyTooLargeError, InconsistentPushError, InvalidGroupingKeyError, InvalidOptionError, ParseError, PushgatewayError
} from '../src/errors.js'

t.test('every error carries code, statusCode, status and expose', async t => {
  const cases: Array<[PushgatewayError, string, string, number]> = [
    [new InvalidGroupingKeyError('job name is required'), 'InvalidGroupingKeyError', 'ERR_INVALID_GROUPING_KEY', 400],
    [new ParseError('bad', { cause: new Error('inner') }), 'ParseError', 'ERR_PARSE', 400],
    [new InconsistentPushError('dup'), 'InconsistentPushError', 'ERR_INCONSISTENT', 400],
    [new BodyTooLargeError(10), 'BodyTooLargeError', 'ERR_BODY_TOO_LARGE', 413],
    [new PushgatewayError('ERR_NOT_FOUND', 'gone', 500), 'PushgatewayError', 'ERR_NOT_FOUND', 500]
  ]
  for (const [err, name, code, status] of cases) {
    t.ok(err instanceof PushgatewayError && err instanceof Error, name)
    t.equal(err.name, name)
    t.equal(err.code, code)
    t.equal(err.statusCode, status)
    t.equal(err.status, status)
    t.equal(err.expose, status < 500)
  }
  t.equal(new InconsistentPushError('dup').message, 'pushed metrics are invalid or inconsistent with existing metrics: dup')
  t.equal((new ParseError('bad', { cause: 'x' })).cause, 'x')
})

t.test('InvalidOptionError names the option and the value', async t => {
  const cases: Array<[unknown, string]> = [
    [5, '5'], ['x', '"x"'], [undefined, 'undefined'], [() => {}, 'a function'], [10n, '10n'], [Symbol('s'), 'Symbol(s)']
  ]
  for (const [value, shown] of cases) {
    const err = new InvalidOptionError('limit', 'a number', value)
    t.equal(err.message, `pushgateway-middleware: option "limit" must be a number, got ${shown}`)
    t.equal(err.code, 'ERR_INVALID_OPTION')
    t.ok(err instanceof TypeError)
  }
  const circular: Record<string, unknown> = {}
  circular['self'] = circular
  t.equal(new InvalidOptionError('x', 'y', circular).message, 'pushgateway-middleware: option "x" must be y, got [object Object]')
})
