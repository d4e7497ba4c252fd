import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { startServer, systemdListeners } from '../../src/standalone/server.js'
import { createLogger } from '../../src/log.js'
import { eventually } from '../helpers/clock.js'
import { SYSTEMD_SOCKET_ACTIVATE, requirePeers } from '../helpers/peers.js'
import { freePort } from '../helpers/reference.js'

const CLI = fileURLToPath(new URL('../../src/standalone/cli.ts', import.meta.url))

t.test('the sockets systemd passes, as go-systemd finds them', async t => {
  t.same(systemdListeners({ LISTEN_PID: '42', LISTEN_FDS: '2' }, 42), [{ fd: 3 }, { fd: 4 }])
  const none = /^no socket activation file descriptors found/
  t.throws(() => systemdListeners({ LISTEN_PID: '41', LISTEN_FDS: '2' }, 42), { message: none }, 'meant for another process')
  t.throws(() => systemdListeners({ LISTEN_PID: '42', LISTEN_FDS: '0' }, 42), { message: none })
  t.throws(() => systemdListeners({ LISTEN_PID: '42' }, 42), { message: none })
  t.throws(() => systemdListeners({}), { message: none })
  await t.rejects(startServer({ systemdSocket: true }, createLogger({ write: () => {} })), { message: none }, 'a start without them fails')
})

t.test('--web.systemd-socket serves on the socket systemd-socket-activate passes', async t => {
  const peers = requirePeers(t, SYSTEMD_SOCKET_ACTIVATE)
  if (peers === undefined) return
  const port = await freePort()
  let stderr = ''
  const child = spawn(peers[0] as string, ['-l', `127.0.0.1:${port}`, process.execPath, ...process.execArgv, CLI, '--web.systemd-socket', '--web.listen-address=127.0.0.1:1'], { stdio: ['ignore', 'ignore', 'pipe'] })
  const exited = once(child, 'exit')
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => { stderr += chunk })
  // systemd-socket-activate listens first and starts the server at the first connection, which then waits for it.
  await eventually(() => stderr.includes(`Listening on 127.0.0.1:${port}`), 'systemd-socket-activate listens', 60_000)
  const push = await fetch(`http://127.0.0.1:${port}/metrics/job/activated`, { method: 'PUT', body: 'm 1\n' })
  t.equal(push.status, 200)
  t.match(stderr, `msg="Listening on" address=127.0.0.1:${port}`, 'the passed socket, not --web.listen-address')
  t.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), 'm{instance="",job="activated"} 1')
  const status = await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json() as { data: { flags: Record<string, string> } }
  t.equal(status.data.flags['web.systemd-socket'], 'true')
  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0, stderr)
})
