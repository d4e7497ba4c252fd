// The package as a user installs it: `npm pack`, then `npm install <tarball>` into an empty
// project in a temporary folder (outside the repository, so nothing resolves from our own
// node_modules), then the bin, the core, both adapters and a strict TypeScript consumer.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually } from '../helpers/clock.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

interface Run { code: number | null, stdout: string, stderr: string }

// npm passes its own settings to scripts as npm_* variables; the child npm and node must not inherit them.
function cleanEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('npm_') && name !== 'NODE_OPTIONS' && name !== 'NODE_V8_COVERAGE' && !name.startsWith('TAP')) env[name] = value
  }
  return env
}

async function run (command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('error', reject)
    child.on('close', code => { resolve({ code, stdout, stderr }) })
  })
}

function versionOf (name: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

const CONSUMER = `import { Pushgateway, MemoryStore, LimitExceededError, AggregationError, AuthorizationError, ReadTimeoutError,
  PushgatewayError, InvalidOptionError, DEFAULT_LIMITS, createLogger,
  type Authorize, type GroupingKey, type Limits, type ExpiryOptions, type PersistenceOptions, type AggregationOptions,
  type Logger, type PushgatewayOptions, type MetricStore } from 'pushgateway-middleware'
import { parseMetrics, writeText, type MetricFamily } from 'pushgateway-middleware/exposition'
import { pushgateway, type ExpressPushgatewayOptions } from 'pushgateway-middleware/express'
import fastifyPushgateway from 'pushgateway-middleware/fastify'
import express from 'express'
import Fastify from 'fastify'
import { Registry, type OpenMetricsContentType } from 'prom-client'

const authorize: Authorize = ({ action, key }) => action !== 'push' || key?.job === 'allowed'
const limits: Limits = { series: 10, groups: undefined }
const expiry: ExpiryOptions = { ttl: 60_000, overrides: (key: Required<GroupingKey>) => key.labels['instance'] === 'x' ? 1000 : undefined }
const aggregation: AggregationOptions = { gaugeRule: 'max' }
const logger: Logger = createLogger({ level: 'warn' })
const registry = new Registry<OpenMetricsContentType>()
registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
const options: PushgatewayOptions = { registry, limits, expiry, aggregation, authorize, logger, persistence: undefined }
const gateway = new Pushgateway(options)
const store: MetricStore = gateway.store
const key: GroupingKey = { job: 'allowed', labels: { instance: 'x' } }
await gateway.push(key, 'm 1\\n', { replace: true, contentType: undefined })
const families: MetricFamily[] = parseMetrics(await gateway.metrics())
const text: string = writeText(families)
const persistence: PersistenceOptions | undefined = undefined
const errors: Array<new (...args: never[]) => PushgatewayError> = [LimitExceededError, AggregationError, AuthorizationError, ReadTimeoutError]
const invalid: TypeError = new InvalidOptionError('x', 'y', 1)
const expressOptions: ExpressPushgatewayOptions = { gateway, errorHandling: 'next' }
express().use('/pgw', pushgateway(expressOptions))
const app = Fastify()
await app.register(fastifyPushgateway, { prefix: '/pgw', registry: new Registry(), errorHandling: undefined })
const served: Pushgateway = app.pushgateway
console.log(store === gateway.store, text.length > 0, persistence, errors.length, invalid.message.length > 0, DEFAULT_LIMITS.series, served !== gateway)
`

const TSCONFIG = {
  compilerOptions: {
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node']
  },
  files: ['consumer.ts']
}

t.test('pack, install into an empty project, run the bin, import everything, typecheck a strict consumer', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'pushgateway-middleware-pack-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

  // `npm test` has built dist/ (pretest); packing without the prepack build leaves it alone for
  // the test files that run it at the same time.
  const packed = await run(NPM, ['pack', '--pack-destination', dir, '--json', '--ignore-scripts'], root)
  t.equal(packed.code, 0, `npm pack: ${packed.stderr}`)
  const tarball = readdirSync(dir).find(name => name.endsWith('.tgz'))
  t.ok(tarball, 'a tarball')
  const files = (JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map(file => file.path) ?? []
  t.ok(files.includes('dist/standalone/cli.js') && files.includes('dist/index.d.ts') && files.includes('dist/exposition/index.js'), 'the build is in it')
  t.ok(files.includes('dist/http/ui/script.js') && files.includes('dist/http/status-page.js'), 'the status page ships, its assets compiled as modules')
  t.same(files.filter(path => path.endsWith('.map')), [], 'no source maps (their sources would not ship)')
  t.same(files.filter(path => path.startsWith('src/') || path.startsWith('test/')), [], 'no sources or tests')

  const project = join(dir, 'project')
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  const installed = await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball as string)], project)
  t.equal(installed.code, 0, `npm install <tarball>: ${installed.stderr}`)
  t.notMatch(installed.stderr, /prepare|install script/i, 'no install scripts run')
  const modules = readdirSync(join(project, 'node_modules'))
  t.notOk(modules.includes('fastify') || modules.includes('express'), 'neither framework is installed')
  t.ok(modules.includes('prom-client'), 'the peer dependency prom-client is installed with it')

  t.test('the bin, with nothing else installed', async t => {
    const bin = join(project, 'node_modules', '.bin', 'pushgateway-middleware')
    const version = await run(bin, ['--version'], project)
    t.equal(version.code, 0, version.stderr)
    t.match(version.stdout, /^pushgateway-middleware, version \d+\.\d+\.\d+/)
    const child = spawn(bin, ['--web.listen-address=127.0.0.1:0'], { cwd: project, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] })
    let log = ''
    child.stderr.on('data', (chunk: Buffer) => { log += chunk.toString() })
    t.teardown(() => { child.kill('SIGKILL') })
    await eventually(() => /msg="Listening on" address=\S+/.test(log) || child.exitCode !== null, 'the installed bin listens', 60_000)
    const address = /msg="Listening on" address=(\S+)/.exec(log)?.[1]
    t.ok(address, `it listens: ${log}`)
    const push = await fetch(`http://${address as string}/metrics/job/installed`, { method: 'PUT', body: 'installed_metric 42\n' })
    t.equal(push.status, 200)
    t.match(await (await fetch(`http://${address as string}/metrics`)).text(), 'installed_metric{instance="",job="installed"} 42\n')
    const exited = new Promise<number | null>(resolve => { child.once('exit', resolve) })
    child.kill('SIGTERM')
    t.equal(await exited, 0, 'SIGTERM stops it with exit code 0')
  })

  t.test('the core imports without a framework', async t => {
    const core = await run(process.execPath, ['--input-type=module', '-e', "const { Pushgateway } = await import('pushgateway-middleware'); const g = new Pushgateway(); await g.push({ job: 'a' }, 'm 1\\n'); process.stdout.write(await g.metrics())"], project)
    t.equal(core.code, 0, core.stderr)
    t.match(core.stdout, 'm{instance="",job="a"} 1\n')
    const express = await run(process.execPath, ['--input-type=module', '-e', "await import('pushgateway-middleware/express')"], project)
    t.equal(express.code, 0, 'the Express adapter needs nothing from Express at run time')
  })

  t.test('both adapters and a strict TypeScript consumer, with the frameworks installed', async t => {
    const frameworks = ['express', 'fastify', '@types/express', '@types/node'].map(name => `${name}@${versionOf(name)}`)
    const added = await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', ...frameworks], project)
    t.equal(added.code, 0, `npm install ${frameworks.join(' ')}: ${added.stderr}`)
    const adapters = await run(process.execPath, ['--input-type=module', '-e', `
      const { pushgateway } = await import('pushgateway-middleware/express')
      const { default: fastifyPushgateway } = await import('pushgateway-middleware/fastify')
      const { default: Fastify } = await import('fastify')
      const { Registry } = await import('prom-client')
      const app = Fastify()
      await app.register(fastifyPushgateway, { prefix: '/pgw', registry: new Registry() })
      const res = await app.inject({ method: 'PUT', url: '/pgw/metrics/job/f', payload: 'm 1\\n' })
      process.stdout.write(String(res.statusCode) + ' ' + typeof pushgateway)`], project)
    t.equal(adapters.code, 0, adapters.stderr)
    t.equal(adapters.stdout, '200 function')
    writeFileSync(join(project, 'consumer.ts'), CONSUMER)
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG))
    const tsc = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], project)
    t.equal(tsc.code, 0, `tsc on the consumer:\n${tsc.stdout}${tsc.stderr}`)
    t.equal(tsc.stdout, '', 'no type errors')
  })
})

t.test('without prom-client, the package says what to install', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'pushgateway-middleware-nopeer-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const packed = await run(NPM, ['pack', '--pack-destination', dir, '--ignore-scripts'], root)
  t.equal(packed.code, 0, packed.stderr)
  const tarball = readdirSync(dir).find(name => name.endsWith('.tgz')) as string
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  const installed = await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--legacy-peer-deps', join(dir, tarball)], dir)
  t.equal(installed.code, 0, installed.stderr)
  const imported = await run(process.execPath, ['--input-type=module', '-e', "await import('pushgateway-middleware')"], dir)
  t.equal(imported.code, 1)
  t.match(imported.stderr, 'pushgateway-middleware needs the peer dependency prom-client for its own metrics and the registry it merges into, and it is not installed: npm install prom-client')
})
