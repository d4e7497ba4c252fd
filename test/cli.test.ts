import t from 'tap'
import { EventEmitter, once } from 'node:events'
import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { runCli } from '../src/cli.js'

function io () {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { stdout: (s: string) => { out.push(s) }, stderr: (s: string) => { err.push(s) }, signals: new EventEmitter() } }
}

t.test('--help and --version print to stdout and exit 0', async t => {
  const help = io()
  t.equal(await runCli(['--help'], help.io), 0)
  t.match(help.out.join(''), /^usage: pushgateway-middleware \[<flags>\]/)
  const version = io()
  t.equal(await runCli(['--version'], version.io), 0)
  t.match(version.out.join(''), /^pushgateway-middleware, version \d+\.\d+\.\d+ \(node v/)
})

t.test('a bad flag prints an error naming it and exits 1', async t => {
  const bad = io()
  t.equal(await runCli(['--web.nope'], bad.io), 1)
  t.equal(bad.err.join(''), "pushgateway-middleware: error: unknown long flag '--web.nope', try --help\n")
  const start = io()
  t.equal(await runCli(['--web.listen-address=bad'], start.io), 1)
  t.match(start.err.join(''), 'level=error msg="could not start" err="invalid listen address \\"bad\\": expected host:port"')
})

t.test('runs until SIGTERM, in-flight pushes finish', async t => {
  const run = io()
  const exit = runCli(['--web.listen-address=127.0.0.1:0', '--log.format=json'], run.io)
  while (!run.err.join('').includes('Listening on')) await new Promise(resolve => setTimeout(resolve, 10))
  const [host, port] = (/"address":"([^"]+)"/.exec(run.err.join(''))?.[1] as string).split(':') as [string, string]
  const status = new Promise<number>((resolve, reject) => {
    const req = request({ host, port, method: 'PUT', path: '/metrics/job/slow' }, res => { res.resume(); resolve(res.statusCode as number) })
    req.on('error', reject)
    req.write('slow_metric 1\n')
    setTimeout(() => {
      run.io.signals.emit('SIGTERM', 'SIGTERM')
      setTimeout(() => req.end('other_metric 2\n'), 50)
    }, 50)
  })
  t.equal(await status, 200, 'the push that was uploading when SIGTERM came completed')
  t.equal(await exit, 0)
  t.match(run.err.join(''), '"msg":"Received signal, exiting gracefully...","signal":"SIGTERM"')
  t.match(run.err.join(''), '"msg":"See you next time!"')
})

t.test('the binary prints its version', async t => {
  const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
  const child = spawn(process.execPath, [...process.execArgv, cli, '--version'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
  t.match(out, /^pushgateway-middleware, version /)
})

t.test('the binary starts, serves and stops on SIGTERM', async t => {
  // The source run with the test's own loader, so its coverage counts; dist/cli.js is the same code.
  const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
  const child = spawn(process.execPath, [...process.execArgv, cli, '--web.listen-address=127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let log = ''
  const address = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString()
      const match = /msg="Listening on" address=(\S+)\n/.exec(log)
      if (match !== null) resolve(match[1] as string)
    })
    child.once('exit', () => reject(new Error(log)))
  })
  t.equal((await fetch(`http://${address}/metrics/job/bin`, { method: 'PUT', body: 'm 1\n' })).status, 200)
  t.match(await (await fetch(`http://${address}/metrics`)).text(), 'm{instance="",job="bin"} 1\n')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
})
