import t from 'tap'
import { createLogger, logfmtValue, type Logger } from '../src/log.js'
import type { LogLevel } from '../src/log.js'

const now = (): Date => new Date('2026-11-22T21:50:21.850Z')

t.test('logfmt lines: ts, level, msg, then the fields in order', async t => {
  const lines: string[] = []
  const logger = createLogger({ level: 'debug', format: 'logfmt', write: line => lines.push(line), now })
  logger.info({ address: '[::]:9091' }, 'Listening on')
  logger.warn({ n: 3, ok: true, big: 5n }, 'odd')
  logger.debug('plain')
  logger.error({ err: 'text format parsing error in line 1: invalid metric name' }, 'bad')
  t.same(lines, [
    'ts=2026-11-22T21:50:21.850Z level=info msg="Listening on" address=[::]:9091\n',
    'ts=2026-11-22T21:50:21.850Z level=warn msg=odd n=3 ok=true big=5\n',
    'ts=2026-11-22T21:50:21.850Z level=debug msg=plain\n',
    'ts=2026-11-22T21:50:21.850Z level=error msg=bad err="text format parsing error in line 1: invalid metric name"\n'
  ])
})

t.test('logfmt values are quoted and escaped where a reader needs it', async t => {
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ['', '""'],
    ['two words', '"two words"'],
    ['a=b', '"a=b"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['a\nb', '"a\\nb"'],
    ['tab\there', '"tab\\there"'],
    ['bell\u0007', '"bell\\u0007"'],
    ['del\u007f', '"del\u007f"'],
    ['back\\slash', 'back\\slash'],
    ['quote"and\\', '"quote\\"and\\\\"'],
    ['/metrics/job/a', '/metrics/job/a'],
    ['Björn', 'Björn'],
    ['[::1]:9091', '[::1]:9091']
  ]
  for (const [value, expected] of cases) t.equal(logfmtValue(value), expected, JSON.stringify(value))
})

t.test('JSON lines', async t => {
  const lines: string[] = []
  const logger = createLogger({ level: 'debug', format: 'json', write: line => lines.push(line), now })
  logger.debug({ version: '1.0.0', n: 1, ok: false, big: 7n }, 'Starting')
  logger.info('no fields')
  t.same(lines, [
    '{"ts":"2026-11-22T21:50:21.850Z","level":"debug","msg":"Starting","version":"1.0.0","n":1,"ok":false,"big":"7"}\n',
    '{"ts":"2026-11-22T21:50:21.850Z","level":"info","msg":"no fields"}\n'
  ])
  t.same(JSON.parse(lines[0] as string), { ts: '2026-11-22T21:50:21.850Z', level: 'debug', msg: 'Starting', version: '1.0.0', n: 1, ok: false, big: '7' })
})

t.test('levels: only the given level and above are written', async t => {
  const levels: LogLevel[] = ['debug', 'info', 'warn', 'error']
  for (const [rank, level] of levels.entries()) {
    const written: string[] = []
    const logger = createLogger({ level, write: line => written.push(/level=(\w+)/.exec(line)?.[1] as string), now })
    for (const each of levels) logger[each]('x')
    t.same(written, levels.slice(rank), `--log.level=${level}`)
  }
})

t.test('defaults: info, logfmt, stderr, the system clock', async t => {
  const written: string[] = []
  const original = process.stderr.write
  process.stderr.write = ((chunk: string) => { written.push(chunk); return true }) as typeof process.stderr.write
  try {
    const logger = createLogger()
    logger.debug('hidden')
    logger.info('shown')
  } finally {
    process.stderr.write = original
  }
  t.equal(written.length, 1)
  t.match(written[0], /^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info msg=shown\n$/)
})

t.test('a pino logger is a Logger as it is, and gets every field', async t => {
  const { default: pino } = await import('pino')
  const lines: string[] = []
  const logger: Logger = pino({ level: 'debug' }, { write: (line: string) => { lines.push(line) } })
  logger.info({ file: 'pg.data', groups: 3 }, 'restored groups from the persistence file')
  logger.debug('plain')
  t.match(JSON.parse(lines[0] as string), { level: 30, msg: 'restored groups from the persistence file', file: 'pg.data', groups: 3 })
  t.match(JSON.parse(lines[1] as string), { level: 20, msg: 'plain' })
})

t.test('our logger takes fields without a message too, as pino does', async t => {
  const lines: string[] = []
  const logger = createLogger({ write: line => lines.push(line), now })
  const info = logger.info as unknown as (fields: object) => void
  info({ n: 1 })
  t.same(lines, ['ts=2026-11-22T21:50:21.850Z level=info msg="" n=1\n'])
})
