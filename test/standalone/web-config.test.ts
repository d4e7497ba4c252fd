import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import tap, { type Test } from 'tap'
import { BasicAuth, WebConfigError, WebConfigFile, loadWebConfig, parseWebConfig } from '../../src/standalone/web-config.js'

const HASH = bcrypt.hashSync('secret', 4)

function refused (t: Test, yaml: string, message: string): void {
  t.throws(() => parseWebConfig(yaml, 'x.yml'), new WebConfigError(`web config file x.yml: ${message}`), message)
}

tap.test('an empty file serves plain HTTP with HTTP/2, no headers, no users', async t => {
  t.same(parseWebConfig('', 'x.yml'), { tls: undefined, http2: true, headers: {}, basicAuthUsers: {} })
  t.same(parseWebConfig('tls_server_config: null\n', 'x.yml').tls, undefined)
})

tap.test('every field is read, Go names mapped to Node and OpenSSL ones', async t => {
  const config = parseWebConfig(`
tls_server_config:
  cert_file: s.crt
  key_file: k/s.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS11
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
  client_allowed_sans: [client.example]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  alice: "${HASH}"
`, '/etc/pgw/x.yml')
  t.same(config, {
    tls: {
      certFile: '/etc/pgw/s.crt',
      keyFile: '/etc/pgw/k/s.key',
      clientAuthType: 'RequireAndVerifyClientCert',
      clientCaFile: '/etc/pgw/ca.crt',
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.3',
      ciphers: ['ECDHE-RSA-AES128-GCM-SHA256'],
      curves: ['X25519', 'P-256'],
      preferServerCipherSuites: false,
      clientAllowedSans: ['client.example']
    },
    http2: false,
    headers: { 'X-Frame-Options': 'deny', 'Strict-Transport-Security': 'max-age=31536000' },
    basicAuthUsers: { alice: HASH }
  })
})

tap.test('TLS defaults: TLS 1.2 minimum, server order, client auth from the CA file', async t => {
  const plain = parseWebConfig('tls_server_config: {cert_file: a, key_file: b}', 'x.yml').tls
  t.match(plain, { clientAuthType: 'NoClientCert', clientCaFile: '', minVersion: 'TLSv1.2', maxVersion: undefined, ciphers: [], curves: [], preferServerCipherSuites: true, clientAllowedSans: [] })
  t.equal(parseWebConfig('tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireClientCert}', 'x.yml').tls?.clientAuthType, 'RequireAnyClientCert', 'the old name')
  t.equal(parseWebConfig('tls_server_config: {prefer_server_cipher_suites: true}', 'x.yml').tls, undefined, 'no file or client auth: plain HTTP')
})

tap.test('every bad field is refused, naming the file and the field', async t => {
  const tls = (extra: string): string => `tls_server_config: {cert_file: a, key_file: b${extra}}`
  t.throws(() => parseWebConfig('a: [', 'x.yml'), { name: 'WebConfigError', message: /^web config file x\.yml: invalid YAML: / })
  refused(t, '- 1', 'expected a mapping')
  refused(t, 'rate_limit: {}', 'rate_limit: not supported by pushgateway-middleware')
  refused(t, 'limits: {}', 'limits: unknown field')
  refused(t, 'tls_server_config: {cert_file: a, key_file: b, cert: x}', 'tls_server_config.cert: not supported by pushgateway-middleware')
  refused(t, 'tls_server_config: {cert_file: a, key_file: b, client_ca_file: c}', 'tls_server_config.client_auth_type: required when client_ca_file is set')
  refused(t, tls(', client_auth_type: RequestClientCert, client_allowed_sans: [x]'), 'tls_server_config.client_allowed_sans: requires client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert')
  refused(t, 'tls_server_config: {key_file: b}', 'tls_server_config.cert_file: missing')
  refused(t, 'tls_server_config: {cert_file: a}', 'tls_server_config.key_file: missing')
  refused(t, 'tls_server_config: {cert_file: 1, key_file: b}', 'tls_server_config.cert_file: expected a string')
  refused(t, tls(', client_auth_type: Foo'), 'tls_server_config.client_auth_type: unknown value "Foo"')
  refused(t, tls(', client_auth_type: RequireAndVerifyClientCert'), 'tls_server_config.client_ca_file: required when client_auth_type is RequireAndVerifyClientCert')
  refused(t, tls(', client_auth_type: VerifyClientCertIfGiven'), 'tls_server_config.client_ca_file: required when client_auth_type is VerifyClientCertIfGiven')
  refused(t, tls(', min_version: SSL3'), 'tls_server_config.min_version: unknown value "SSL3"')
  refused(t, tls(', min_version: TLS13, max_version: TLS12'), 'tls_server_config.max_version: lower than min_version')
  refused(t, tls(', cipher_suites: [TLS_FOO]'), 'tls_server_config.cipher_suites: unknown or unsupported cipher suite "TLS_FOO"')
  refused(t, tls(', cipher_suites: x'), 'tls_server_config.cipher_suites: expected a list')
  refused(t, tls(', curve_preferences: [X448]'), 'tls_server_config.curve_preferences: unknown or unsupported curve "X448"')
  refused(t, tls(', prefer_server_cipher_suites: yes'), 'tls_server_config.prefer_server_cipher_suites: expected true or false')
  refused(t, tls(', client_auth_type: RequireAnyClientCert, client_allowed_sans: [1]'), 'tls_server_config.client_allowed_sans: expected a string')
  refused(t, 'http_server_config: {http3: true}', 'http_server_config.http3: unknown field')
  refused(t, 'http_server_config: {http2: 1}', 'http_server_config.http2: expected true or false')
  refused(t, 'http_server_config: {headers: [a]}', 'http_server_config.headers: expected a mapping')
  refused(t, 'http_server_config: {headers: {Server: x}}', 'http_server_config.headers.Server: HTTP header "Server" can not be configured')
  refused(t, 'http_server_config: {headers: {X-Content-Type-Options: sniff}}', 'http_server_config.headers.X-Content-Type-Options: invalid value "sniff", expected one of "nosniff"')
  refused(t, 'http_server_config: {headers: {X-Frame-Options: allow}}', 'http_server_config.headers.X-Frame-Options: invalid value "allow", expected one of "deny", "sameorigin"')
  refused(t, 'basic_auth_users: {alice: secret}', 'basic_auth_users.alice: not a bcrypt hash')
  refused(t, 'basic_auth_users: {alice: 1}', 'basic_auth_users.alice: expected a string')
})

tap.test('loadWebConfig reads the file, and names a missing one', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'web-config-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const file = join(dir, 'web.yml')
  writeFileSync(file, 'http_server_config: {http2: false}\n')
  t.equal(loadWebConfig(file).http2, false)
  t.throws(() => loadWebConfig(join(dir, 'none.yml')), { name: 'WebConfigError', message: new RegExp(`^web config file ${join(dir, 'none.yml')}: ENOENT`) })
})

tap.test('basic auth: right password in, wrong ones out, also after a success', async t => {
  const header = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  t.equal(await new BasicAuth({}).check(undefined), true, 'no users: everyone in')
  const auth = new BasicAuth({ alice: HASH })
  t.equal(auth.enabled, true)
  t.equal(await auth.check(undefined), false, 'no header')
  t.equal(await auth.check('Bearer x'), false, 'not basic')
  t.equal(await auth.check(`Basic ${Buffer.from('alice').toString('base64')}`), false, 'no colon')
  t.equal(await auth.check(header('bob', 'secret')), false, 'unknown user')
  t.equal(await auth.check(header('alice', 'wrong')), false, 'wrong password')
  t.equal(await auth.check(header('alice', 'secret')), true, 'right password')
  t.equal(await auth.check(header('alice', 'secret')), true, 'right password again (cached)')
  t.equal(await auth.check(header('alice', 'wrong')), false, 'wrong password after a cached success')
  t.equal(await auth.check(header('alice', 'secre')), false, 'a prefix of the right password')
  t.equal(await auth.check(header('__proto__', 'secret')), false, 'a user named __proto__')
})

tap.test('WebConfigFile re-reads a changed file and keeps the last good config when it turns bad', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'web-config-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const file = join(dir, 'web.yml')
  const errors: string[] = []
  t.throws(() => new WebConfigFile(file, m => errors.push(m)), { name: 'WebConfigError' }, 'missing at start')
  writeFileSync(file, 'http_server_config: {http2: false}\n')
  const source = new WebConfigFile(file, m => errors.push(m))
  t.equal(source.current().http2, false)
  writeFileSync(file, 'http_server_config: {http2: true, headers: {X-Frame-Options: deny}}\n')
  t.same(source.current().headers, { 'X-Frame-Options': 'deny' }, 'change picked up')
  writeFileSync(file, 'http_server_config: {http3: true}\n')
  t.same(source.current().headers, { 'X-Frame-Options': 'deny' }, 'bad change: last good config kept')
  t.same(source.current().headers, { 'X-Frame-Options': 'deny' })
  t.same(errors, [`web config file ${file}: http_server_config.http3: unknown field; keeping the last good config`], 'one error line per bad change')
  rmSync(file)
  t.equal(source.current().http2, true, 'file removed: last good config kept')
  t.equal(errors.length, 2)
  t.match(errors[1], /ENOENT.*keeping the last good config$/)
  writeFileSync(file, 'http_server_config: {http2: false}\n')
  t.equal(source.current().http2, false, 'valid again')
})
