import t from 'tap'
import { createLogger } from '../src/log.js'

const now = (): Date => new Date('2026-11-22T21:50:21.850Z')

t.test('logfmt lines, quoted where needed, filtered by level', async t => {
  const lines: string[] = []
  const logger = createLogger({ level: 'info', format: 'logfmt', write: line => lines.push(line), now })
  logger.debug('hidden')
  logger.info('Listening on', { address: '[::]:9091' })
  logger.warn('odd', { empty: '', quote: 'say "hi"', eq: 'a=b', n: 3, ok: true, nl: 'a\nb' })
  logger.error('bad')
  t.same(lines, [
    'ts=2026-11-22T21:50:21.850Z level=info msg="Listening on" address=[::]:9091\n',
    'ts=2026-11-22T21:50:21.850Z level=warn msg=odd empty="" quote="say \\"hi\\"" eq="a=b" n=3 ok=true nl="a\\nb"\n',
    'ts=2026-11-22T21:50:21.850Z level=error msg=bad\n'
  ])
})

t.test('JSON lines', async t => {
  const lines: string[] = []
  const logger = createLogger({ level: 'debug', format: 'json', write: line => lines.push(line), now })
  logger.debug('Starting', { version: '1.0.0' })
  t.same(lines, ['{"ts":"2026-11-22T21:50:21.850Z","level":"debug","msg":"Starting","version":"1.0.0"}\n'])
  const errors: string[] = []
  createLogger({ level: 'error', format: 'json', write: line => errors.push(line) }).warn('hidden')
  t.same(errors, [])
  createLogger({ level: 'error', format: 'json', write: line => errors.push(line) }).error('shown')
  t.match(errors[0], /^\{"ts":"\d{4}-/)
})
