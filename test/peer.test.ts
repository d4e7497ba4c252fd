import t from 'tap'
import { loadPeer } from '../src/peer.js'

t.test('a peer that loads is returned as it is', async t => {
  const module = { Registry: class {} }
  t.equal(await loadPeer('prom-client', async () => module, 'its metrics'), module)
})

t.test('a missing peer is an error that says what to install', async t => {
  const missing = Object.assign(new Error("Cannot find package 'prom-client' imported from /app/node_modules/pushgateway-middleware/dist/prom-client.js"), { code: 'ERR_MODULE_NOT_FOUND' })
  await t.rejects(loadPeer('prom-client', async () => { throw missing }, 'its own metrics'), {
    message: 'pushgateway-middleware needs the peer dependency prom-client for its own metrics, and it is not installed: npm install prom-client',
    cause: missing
  })
})

t.test('any other failure to load it is rethrown as it is', async t => {
  const broken = new SyntaxError('Unexpected token')
  await t.rejects(loadPeer('prom-client', async () => { throw broken }, 'x'), broken)
  const otherMissing = Object.assign(new Error("Cannot find package 'tdigest' imported from /app/node_modules/prom-client/lib/summary.js"), { code: 'ERR_MODULE_NOT_FOUND' })
  await t.rejects(loadPeer('prom-client', async () => { throw otherMissing }, 'x'), otherMissing, 'a dependency of the peer that is missing is not the peer')
})
