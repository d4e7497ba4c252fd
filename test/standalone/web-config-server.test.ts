import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import { startServer, type RunningServer } from '../../src/standalone/server.js'
import { runCli } from '../../src/standalone/cli.js'
import { WebConfigError } from '../../src/standalone/web-config.js'
import { createLogger } from '../../src/log.js'
import { CURL, OPENSSL, requirePeers } from '../helpers/peers.js'

const peers = requirePeers(t, OPENSSL, CURL)

interface Run {
  code: number
  stdout: string
  stderr: string
}

async function run (program: string, args: string[], cwd?: string): Promise<Run> {
  return new Promise(resolve => {
    execFile(program, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    })
  })
}

interface CurlAnswer {
  /** curl's exit code: 0 when it got an HTTP answer. */
  code: number
  status: number
  headers: Record<string, string>
  body: string
  stderr: string
}

if (peers !== undefined) {
  const [openssl, curl] = peers as [string, string]

  // A CA, a server certificate for 127.0.0.1 signed by it, a client certificate signed by it, and
  // a client certificate signed by a CA the server does not know.
  async function makeCertificates (t: Test): Promise<string> {
    const dir = t.testdir()
    const ssl = async (...args: string[]): Promise<void> => {
      const result = await run(openssl, args, dir)
      if (result.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`)
    }
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    const signed = async (name: string, ca: string, san: string): Promise<void> => {
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`)
      await ssl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`)
      await ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`)
    }
    for (const ca of ['ca', 'other-ca']) await ssl('req', '-x509', ...key, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=${ca}`)
    await signed('server', 'ca', 'IP:127.0.0.1,DNS:localhost')
    await signed('server2', 'other-ca', 'IP:127.0.0.1,DNS:localhost')
    await signed('client', 'ca', 'DNS:client.example')
    await signed('stranger', 'other-ca', 'DNS:client.example')
    return dir
  }

  async function fetchCurl (url: string, ...args: string[]): Promise<CurlAnswer> {
    const result = await run(curl, ['-sS', '-i', '--max-time', '50', ...args, url])
    const answer: CurlAnswer = { code: result.code, status: 0, headers: {}, body: '', stderr: result.stderr }
    if (result.code !== 0) return answer
    const end = result.stdout.indexOf('\r\n\r\n')
    const head = result.stdout.slice(0, end).split('\r\n')
    answer.status = Number((head[0] as string).split(' ')[1])
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':')
      answer.headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    answer.body = result.stdout.slice(end + 4)
    return answer
  }

  async function start (t: Test, webConfigFile: string): Promise<{ server: RunningServer, base: string, lines: string[] }> {
    const lines: string[] = []
    const server = await startServer({ listenAddresses: ['127.0.0.1:0'], webConfigFile }, createLogger({ level: 'debug', write: line => lines.push(line) }))
    t.teardown(() => server.close())
    return { server, base: `https://${server.addresses[0] as string}`, lines }
  }

  const hash = (password: string): string => bcrypt.hashSync(password, 4)

  t.test('HTTPS with basic auth and configured headers', async t => {
    const dir = await makeCertificates(t)
    const file = join(dir, 'web.yml')
    writeFileSync(file, [
      'tls_server_config:',
      '  cert_file: server.crt',
      '  key_file: server.key',
      '  min_version: TLS12',
      '  max_version: TLS13',
      '  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]',
      '  curve_preferences: [CurveP256, X25519]',
      'http_server_config:',
      '  headers:',
      '    X-Frame-Options: deny',
      '    X-Content-Type-Options: nosniff',
      'basic_auth_users:',
      `  alice: ${hash('secret')}`
    ].join('\n'))
    const { base } = await start(t, file)
    const ca = join(dir, 'ca.crt')
    const push = await fetchCurl(`${base}/metrics/job/tls`, '--cacert', ca, '-u', 'alice:secret', '-X', 'PUT', '--data-binary', 'm 1\n')
    t.equal(push.status, 200, push.stderr)
    t.equal(push.headers['x-frame-options'], 'deny', 'configured header on every answer')
    t.equal(push.headers['x-content-type-options'], 'nosniff')
    const scrape = await fetchCurl(`${base}/metrics`, '--cacert', ca, '-u', 'alice:secret')
    t.equal(scrape.status, 200)
    t.match(scrape.body, 'm{instance="",job="tls"} 1\n')
    const tls12 = await fetchCurl(`${base}/metrics`, '--cacert', ca, '-u', 'alice:secret', '--tls-max', '1.2')
    t.equal(tls12.status, 200, 'TLS 1.2 with the configured cipher suite')
    const status = JSON.parse((await fetchCurl(`${base}/api/v1/status`, '--cacert', ca, '-u', 'alice:secret')).body) as { data: { flags: Record<string, string> } }
    t.equal(status.data.flags['web.config.file'], file, 'the flag as given')
    const wrong = await fetchCurl(`${base}/metrics/job/tls`, '--cacert', ca, '-u', 'alice:wrong', '-X', 'DELETE')
    t.equal(wrong.status, 401)
    t.equal(wrong.headers['www-authenticate'], 'Basic')
    t.equal(wrong.headers['x-frame-options'], 'deny', 'headers on a refusal too')
    t.equal(wrong.body, 'Unauthorized\n')
    t.equal((await fetchCurl(`${base}/metrics`, '--cacert', ca)).status, 401, 'no credentials')
    t.equal((await fetchCurl(`${base}/metrics`, '--cacert', ca, '-u', 'bob:secret')).status, 401, 'unknown user')
    const untrusted = await fetchCurl(`${base}/metrics`)
    t.not(untrusted.code, 0, 'curl does not trust the certificate without --cacert')
    t.equal((await fetchCurl(`${base.replace('https', 'http')}/metrics`)).status, 0, 'no plain HTTP')
  })

  t.test('client certificates', async t => {
    const dir = await makeCertificates(t)
    const file = join(dir, 'web.yml')
    const config = (clientAuthType: string, extra: string[] = []): void => {
      writeFileSync(file, ['tls_server_config:', '  cert_file: server.crt', '  key_file: server.key', `  client_auth_type: ${clientAuthType}`, '  client_ca_file: ca.crt', ...extra].join('\n'))
    }
    const ca = ['--cacert', join(dir, 'ca.crt')]
    const client = ['--cert', join(dir, 'client.crt'), '--key', join(dir, 'client.key')]
    const stranger = ['--cert', join(dir, 'stranger.crt'), '--key', join(dir, 'stranger.key')]
    config('RequireAndVerifyClientCert')
    const { base, lines } = await start(t, file)
    const url = `${base}/-/healthy`
    t.equal((await fetchCurl(url, ...ca, ...client)).status, 200, 'a client certificate signed by the CA')
    t.not((await fetchCurl(url, ...ca)).code, 0, 'the handshake is refused without a client certificate')
    t.not((await fetchCurl(url, ...ca, ...stranger)).code, 0, 'and with one the CA did not sign')

    config('RequireAndVerifyClientCert', ['  client_allowed_sans: [other.example]'])
    t.not((await fetchCurl(url, ...ca, ...client)).code, 0, 'a SAN not allowed')
    t.match(lines.join(''), 'client certificate SAN not allowed')
    config('RequireAndVerifyClientCert', ['  client_allowed_sans: [other.example, client.example]'])
    t.equal((await fetchCurl(url, ...ca, ...client)).status, 200, 'an allowed SAN')

    config('RequireAnyClientCert')
    t.equal((await fetchCurl(url, ...ca, ...stranger)).status, 200, 'any certificate, verified or not')
    t.not((await fetchCurl(url, ...ca)).code, 0, 'but one is required')
    t.match(lines.join(''), 'client certificate required')
    config('RequireAnyClientCert', ['  client_allowed_sans: [client.example]'])
    t.equal((await fetchCurl(url, ...ca, ...stranger)).status, 200, 'an unverified certificate with an allowed SAN')
    t.not((await fetchCurl(url, ...ca, '--cert', join(dir, 'other-ca.crt'), '--key', join(dir, 'other-ca.key'))).code, 0, 'one without SANs')

    config('VerifyClientCertIfGiven')
    t.equal((await fetchCurl(url, ...ca)).status, 200, 'none is fine')
    t.equal((await fetchCurl(url, ...ca, ...client)).status, 200, 'a verified one is fine')
    t.not((await fetchCurl(url, ...ca, ...stranger)).code, 0, 'one the CA did not sign is refused')
    t.match(lines.join(''), 'client certificate not verified')

    config('RequestClientCert')
    t.equal((await fetchCurl(url, ...ca, ...stranger)).status, 200, 'asked for, never checked')
    t.equal((await fetchCurl(url, ...ca)).status, 200)
  })

  t.test('a changed file applies to the next connection', async t => {
    const dir = await makeCertificates(t)
    const file = join(dir, 'web.yml')
    const write = (cert: string, password: string, frame: string): void => {
      writeFileSync(file, ['tls_server_config:', `  cert_file: ${cert}.crt`, `  key_file: ${cert}.key`, 'http_server_config:', `  headers: { X-Frame-Options: ${frame} }`, 'basic_auth_users:', `  alice: ${hash(password)}`].join('\n'))
    }
    write('server', 'one', 'deny')
    const { base, lines } = await start(t, file)
    const ca = ['--cacert', join(dir, 'ca.crt')]
    const before = await fetchCurl(`${base}/metrics`, ...ca, '-u', 'alice:one')
    t.same([before.status, before.headers['x-frame-options']], [200, 'deny'])
    write('server2', 'two', 'sameorigin')
    t.equal((await fetchCurl(`${base}/metrics`, ...ca, '-u', 'alice:two')).code, 60, 'the new certificate is not signed by the old CA')
    const after = await fetchCurl(`${base}/metrics`, '--cacert', join(dir, 'other-ca.crt'), '-u', 'alice:two')
    t.same([after.status, after.headers['x-frame-options']], [200, 'sameorigin'], 'new certificate, password and headers')
    t.equal((await fetchCurl(`${base}/metrics`, '--cacert', join(dir, 'other-ca.crt'), '-u', 'alice:one')).status, 401, 'the old password no longer works')

    writeFileSync(file, 'tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n')
    t.equal((await fetchCurl(`${base}/metrics`, '--cacert', join(dir, 'other-ca.crt'))).status, 200, 'unreadable certificates keep the last good ones')
    t.match(lines.join(''), 'could not load the TLS certificates; keeping the last good ones')
    writeFileSync(file, 'basic_auth_users: {}\n')
    t.equal((await fetchCurl(`${base}/metrics`, '--cacert', join(dir, 'other-ca.crt'))).status, 200, 'a file without TLS keeps the TLS in force')
    writeFileSync(file, 'nonsense: 1\n')
    t.equal((await fetchCurl(`${base}/metrics`, '--cacert', join(dir, 'other-ca.crt'))).status, 200, 'an invalid file keeps the last good config')
    t.match(lines.join(''), 'nonsense: unknown field; keeping the last good config')
  })

  t.test('basic auth and headers over plain HTTP', async t => {
    const dir = t.testdir()
    const file = join(dir, 'web.yml')
    writeFileSync(file, `http_server_config:\n  headers:\n    Content-Security-Policy: default-src 'none'\nbasic_auth_users:\n  alice: ${hash('secret')}\n`)
    const { server } = await start(t, file)
    const base = `http://${server.addresses[0] as string}`
    const ok = await fetchCurl(`${base}/-/ready`, '-u', 'alice:secret')
    t.same([ok.status, ok.headers['content-security-policy']], [200, "default-src 'none'"])
    t.equal((await fetchCurl(`${base}/-/ready`)).status, 401)
    writeFileSync(file, 'http_server_config:\n  http2: false\n')
    t.equal((await fetchCurl(`${base}/-/ready`)).status, 200, 'basic auth turned off for the next connection')
  })

  t.test('a bad web config file stops the start, naming the field', async t => {
    const dir = t.testdir()
    const file = join(dir, 'web.yml')
    writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n')
    await t.rejects(startServer({ listenAddresses: ['127.0.0.1:0'], webConfigFile: file }, createLogger({ write: () => {} })), new WebConfigError(`web config file ${file}: tls_server_config.key_file: missing`))
    const err: string[] = []
    const code = await runCli(['--web.listen-address=127.0.0.1:0', `--web.config.file=${file}`], { stdout: () => {}, stderr: text => { err.push(text) }, signals: new EventEmitter() })
    t.equal(code, 1)
    t.match(err.join(''), 'tls_server_config.key_file: missing')
    writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n')
    await t.rejects(startServer({ listenAddresses: ['127.0.0.1:0'], webConfigFile: file }, createLogger({ write: () => {} })), { code: 'ENOENT' }, 'certificate files that cannot be read')
  })
}
