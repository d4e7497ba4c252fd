import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import bcrypt from 'bcryptjs'
import { parse } from 'yaml'

/** How the server asks for and checks client certificates, as exporter-toolkit's `client_auth_type`. */
export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert'

/** The TLS part of a web config file, resolved to what `node:tls` takes. */
export interface WebTlsConfig {
  /** `cert_file`: path of the server certificate (PEM), relative paths resolved from the config file's folder. */
  certFile: string
  /** `key_file`: path of the server key (PEM). */
  keyFile: string
  /** `client_auth_type`. Default `'NoClientCert'`. */
  clientAuthType: ClientAuthType
  /** `client_ca_file`: CA bundle for client certificates; `''` for none. Default `''`. */
  clientCaFile: string
  /** `min_version` as Node names it (`TLSv1.2`). Default `'TLSv1.2'`. */
  minVersion: TlsVersion
  /** `max_version` as Node names it; `undefined` for Node's highest. Default `undefined`. */
  maxVersion: TlsVersion | undefined
  /** `cipher_suites` as OpenSSL names them; empty for Node's defaults. Default `[]`. */
  ciphers: string[]
  /** `curve_preferences` as OpenSSL names them; empty for Node's defaults. Default `[]`. */
  curves: string[]
  /** `prefer_server_cipher_suites` (Node's `honorCipherOrder`). Default `true`. */
  preferServerCipherSuites: boolean
  /** `client_allowed_sans`: a verified client certificate must carry one of these SANs; empty for any. Default `[]`. */
  clientAllowedSans: string[]
}

/** TLS protocol versions as Node names them. */
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'

/** A validated exporter-toolkit web config file. */
export interface WebConfig {
  /** `tls_server_config`; `undefined` serves plain HTTP. Default `undefined`. */
  tls: WebTlsConfig | undefined
  /** `http_server_config.http2`: offer HTTP/2 over TLS. Default `true`. */
  http2: boolean
  /** `http_server_config.headers`: headers added to every answer. Default `{}`. */
  headers: Record<string, string>
  /** `basic_auth_users`: user name to bcrypt hash; empty for no basic auth. Default `{}`. */
  basicAuthUsers: Record<string, string>
}

/** A web config file that cannot be used; the message names the file and the field. */
export class WebConfigError extends Error {
  override name = 'WebConfigError'
}

const CLIENT_AUTH_TYPES: readonly ClientAuthType[] = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert']
const TLS_VERSIONS: Readonly<Record<string, TlsVersion>> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' }
const VERSION_ORDER: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']
// Go's names for the TLS 1.0-1.2 suites OpenSSL also has. Go ignores cipher_suites for TLS 1.3, so its
// TLS 1.3 names are accepted and left out, as Go does.
const CIPHERS: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305'
}
const TLS13_CIPHERS = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'])
const CURVES: Readonly<Record<string, string>> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' }
// The only headers exporter-toolkit lets a web config set, with the values it allows (null: any).
const HEADERS: Readonly<Record<string, readonly string[] | null>> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null
}
const TOP_FIELDS = ['tls_server_config', 'http_server_config', 'basic_auth_users']
// Fields exporter-toolkit knows that this server does not implement yet.
const UNSUPPORTED_FIELDS = new Set(['rate_limit', 'cert', 'key', 'client_ca'])
const TLS_FIELDS = ['cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'cipher_suites', 'curve_preferences', 'min_version', 'max_version', 'prefer_server_cipher_suites', 'client_allowed_sans']
const HTTP_FIELDS = ['http2', 'headers']

type Fields = Record<string, unknown>

/** Reads and validates the web config file at `file`; throws `WebConfigError` naming the file and the field. */
export function loadWebConfig (file: string): WebConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new WebConfigError(`web config file ${file}: ${(error as Error).message}`)
  }
  return parseWebConfig(text, file)
}

/** Validates the text of a web config file; `file` names it in error messages. */
export function parseWebConfig (text: string, file: string): WebConfig {
  const fail = (field: string, problem: string): never => {
    throw new WebConfigError(`web config file ${file}: ${field === '' ? '' : `${field}: `}${problem}`)
  }
  let document: unknown
  try {
    document = parse(text)
  } catch (error) {
    return fail('', `invalid YAML: ${(error as Error).message}`)
  }
  const top = mapping(document ?? {}, '', fail, TOP_FIELDS)
  const config: WebConfig = { tls: undefined, http2: true, headers: {}, basicAuthUsers: {} }
  if (top.tls_server_config != null) config.tls = tlsConfig(mapping(top.tls_server_config, 'tls_server_config', fail, TLS_FIELDS), dirname(file), fail)
  if (top.http_server_config != null) {
    const http = mapping(top.http_server_config, 'http_server_config', fail, HTTP_FIELDS)
    if (http.http2 != null) config.http2 = bool(http.http2, 'http_server_config.http2', fail)
    if (http.headers != null) {
      for (const [name, value] of Object.entries(strings(http.headers, 'http_server_config.headers', fail))) {
        const field = `http_server_config.headers.${name}`
        if (!Object.hasOwn(HEADERS, name)) fail(field, `HTTP header "${name}" can not be configured`)
        const allowed = HEADERS[name]
        if (allowed != null && !allowed.includes(value)) fail(field, `invalid value "${value}", expected one of ${allowed.map(v => `"${v}"`).join(', ')}`)
        config.headers[name] = value
      }
    }
  }
  if (top.basic_auth_users != null) {
    for (const [user, hash] of Object.entries(strings(top.basic_auth_users, 'basic_auth_users', fail))) {
      if (!/^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) fail(`basic_auth_users.${user}`, 'not a bcrypt hash')
      config.basicAuthUsers[user] = hash
    }
  }
  return config
}

function tlsConfig (tls: Fields, dir: string, fail: (field: string, problem: string) => never): WebTlsConfig | undefined {
  const field = (name: string): string => `tls_server_config.${name}`
  const str = (name: string): string => tls[name] == null ? '' : string(tls[name], field(name), fail)
  const certFile = str('cert_file')
  const keyFile = str('key_file')
  const clientCaFile = str('client_ca_file')
  const auth = str('client_auth_type')
  // exporter-toolkit serves plain HTTP when none of these is set.
  if (certFile === '' && keyFile === '' && clientCaFile === '' && auth === '') return undefined
  if (certFile === '') fail(field('cert_file'), 'missing')
  if (keyFile === '') fail(field('key_file'), 'missing')
  let clientAuthType: ClientAuthType = 'NoClientCert'
  if (auth !== '') {
    // RequireClientCert is exporter-toolkit's old name for RequireAnyClientCert.
    const name = auth === 'RequireClientCert' ? 'RequireAnyClientCert' : auth
    if (!(CLIENT_AUTH_TYPES as readonly string[]).includes(name)) fail(field('client_auth_type'), `unknown value "${auth}"`)
    clientAuthType = name as ClientAuthType
  }
  if (clientCaFile !== '' && clientAuthType === 'NoClientCert') fail(field('client_auth_type'), 'required when client_ca_file is set')
  if ((clientAuthType === 'VerifyClientCertIfGiven' || clientAuthType === 'RequireAndVerifyClientCert') && clientCaFile === '') {
    fail(field('client_ca_file'), `required when client_auth_type is ${clientAuthType}`)
  }
  const version = (name: string): TlsVersion | undefined => {
    const value = str(name)
    if (value === '') return undefined
    const node = TLS_VERSIONS[value]
    return node ?? fail(field(name), `unknown value "${value}"`)
  }
  const minVersion = version('min_version') ?? 'TLSv1.2'
  const maxVersion = version('max_version')
  if (maxVersion !== undefined && VERSION_ORDER.indexOf(maxVersion) < VERSION_ORDER.indexOf(minVersion)) fail(field('max_version'), 'lower than min_version')
  const ciphers: string[] = []
  for (const name of list(tls.cipher_suites, field('cipher_suites'), fail)) {
    const openssl = CIPHERS[name]
    if (openssl !== undefined) ciphers.push(openssl)
    else if (!TLS13_CIPHERS.has(name)) fail(field('cipher_suites'), `unknown or unsupported cipher suite "${name}"`)
  }
  const curves = list(tls.curve_preferences, field('curve_preferences'), fail).map(name => CURVES[name] ?? fail(field('curve_preferences'), `unknown or unsupported curve "${name}"`))
  const clientAllowedSans = list(tls.client_allowed_sans, field('client_allowed_sans'), fail)
  if (clientAllowedSans.length > 0 && clientAuthType !== 'RequireAnyClientCert' && clientAuthType !== 'RequireAndVerifyClientCert') {
    fail(field('client_allowed_sans'), 'requires client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert')
  }
  return {
    certFile: resolve(dir, certFile),
    keyFile: resolve(dir, keyFile),
    clientAuthType,
    clientCaFile: clientCaFile === '' ? '' : resolve(dir, clientCaFile),
    minVersion,
    maxVersion,
    ciphers,
    curves,
    preferServerCipherSuites: tls.prefer_server_cipher_suites == null ? true : bool(tls.prefer_server_cipher_suites, field('prefer_server_cipher_suites'), fail),
    clientAllowedSans
  }
}

function mapping (value: unknown, field: string, fail: (field: string, problem: string) => never, known?: readonly string[]): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(field, 'expected a mapping')
  for (const key of Object.keys(value)) {
    if (known !== undefined && !known.includes(key)) fail(field === '' ? key : `${field}.${key}`, UNSUPPORTED_FIELDS.has(key) ? 'not supported by pushgateway-middleware' : 'unknown field')
  }
  return value as Fields
}

function strings (value: unknown, field: string, fail: (field: string, problem: string) => never): Record<string, string> {
  const result: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [key, item] of Object.entries(mapping(value, field, fail))) result[key] = string(item, `${field}.${key}`, fail)
  return result
}

function list (value: unknown, field: string, fail: (field: string, problem: string) => never): string[] {
  if (value == null) return []
  if (!Array.isArray(value)) return fail(field, 'expected a list')
  return value.map((item: unknown) => string(item, field, fail))
}

function string (value: unknown, field: string, fail: (field: string, problem: string) => never): string {
  return typeof value === 'string' ? value : fail(field, 'expected a string')
}

function bool (value: unknown, field: string, fail: (field: string, problem: string) => never): boolean {
  return typeof value === 'boolean' ? value : fail(field, 'expected true or false')
}

/**
 * Checks `Authorization: Basic` headers against `basic_auth_users`. A password bcrypt accepted is
 * remembered for its user and hash, so later requests compare strings instead of paying bcrypt; a
 * refusal is never remembered, so a wrong password always goes through bcrypt and is refused.
 */
export class BasicAuth {
  readonly #users: Readonly<Record<string, string>>
  readonly #verified = new Map<string, Buffer>()

  /** Checks against `users` (user name to bcrypt hash). */
  constructor (users: Readonly<Record<string, string>>) {
    this.#users = users
  }

  /** Whether any user is configured; without one every request is let in. */
  get enabled (): boolean {
    return Object.keys(this.#users).length > 0
  }

  /** Whether the `Authorization` header value lets the request in. */
  async check (header: string | undefined): Promise<boolean> {
    if (!this.enabled) return true
    const match = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header ?? '')
    if (match === null) return false
    const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return false
    const user = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    const hash = Object.hasOwn(this.#users, user) ? this.#users[user] : undefined
    if (hash === undefined) {
      // Pay bcrypt anyway so that an unknown user takes as long as a wrong password.
      await bcrypt.compare(password, DUMMY_HASH)
      return false
    }
    const key = `${user}\u0000${hash}`
    // Only a digest of an accepted password is kept, never the password itself.
    const digest = createHash('sha256').update(password).digest()
    const known = this.#verified.get(key)
    if (known !== undefined && timingSafeEqual(known, digest)) return true
    if (!await bcrypt.compare(password, hash)) return false
    this.#verified.set(key, digest)
    return true
  }
}

const DUMMY_HASH = '$2b$10$CwTycUXWue0Thq9StjUM0uJ8.EOHa3qiuyAZGzdL0a7lsxLzxvGAK'

/**
 * The web config file, re-read when it changed. `current()` is meant to be called once per new
 * connection: it costs one `stat`, and reads and validates the file only when its size, inode or
 * change time moved. A change that makes the file invalid keeps the last good config and reports
 * the error once to `onError`.
 */
export class WebConfigFile {
  readonly #file: string
  readonly #onError: (message: string) => void
  #config: WebConfig
  #stamp: string
  #failedStamp = ''

  /** Reads `file` now; throws `WebConfigError` when it is missing or invalid. */
  constructor (file: string, onError: (message: string) => void) {
    this.#file = file
    this.#onError = onError
    this.#stamp = fileStamp(this.#file)
    this.#config = loadWebConfig(file)
  }

  /** The config in force: the file's, or the last good one when the file is now invalid or gone. */
  current (): WebConfig {
    const stamp = fileStamp(this.#file)
    if (stamp === this.#stamp || stamp === this.#failedStamp) return this.#config
    try {
      this.#config = loadWebConfig(this.#file)
      this.#stamp = stamp
      this.#failedStamp = ''
    } catch (error) {
      this.#failedStamp = stamp
      this.#onError(`${(error as Error).message}; keeping the last good config`)
    }
    return this.#config
  }
}

/** What tells one version of a file from another (inode, size, modification and change times), or `missing`. */
export function fileStamp (file: string): string {
  try {
    const stat = statSync(file, { bigint: true })
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`
  } catch {
    return 'missing'
  }
}
