import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import type { GatewayResponse } from './handler.js'
import { pageHtml } from './ui/page.js'
import { STATUS_SCRIPT } from './ui/script.js'
import { STATUS_ICON, STATUS_STYLE } from './ui/style.js'

/** The Content-Security-Policy the page is served with: everything from the gateway's own origin, nothing inline. */
export const STATUS_PAGE_CSP = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const PAGE_PATHS = new Set(['/', '/status'])
const STATIC_PREFIX = '/static/'
// Versioned URLs may be cached for a year: a new release changes the version in the page.
const IMMUTABLE = 'public, max-age=31536000, immutable'

interface Asset {
  type: string
  body: Buffer
  gzipped: Buffer
  etag: string
  version: string
}

function asset (text: string, type: string): Asset {
  const body = Buffer.from(text)
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 16)
  return { type, body, gzipped: gzipSync(body, { level: 9 }), etag: `"${version}"`, version }
}

// Hashed and compressed on first use, not when the core is imported: most hosts never serve the page.
let builtAssets: ReadonlyMap<string, Asset> | undefined

function assets (): ReadonlyMap<string, Asset> {
  builtAssets ??= new Map([
    ['/static/status.js', asset(STATUS_SCRIPT, 'text/javascript; charset=utf-8')],
    ['/static/status.css', asset(STATUS_STYLE, 'text/css; charset=utf-8')],
    ['/static/favicon.svg', asset(STATUS_ICON, 'image/svg+xml')]
  ])
  return builtAssets
}

function versioned (path: string): string {
  return `${path}?v=${(assets().get(path) as Asset).version}`
}

/**
 * Whether the status page is served at a mount point: as the `ui` option says or, when it is left
 * out, everywhere except at the root of an app (`mount` `''` or unknown), so that it never shadows
 * the app's own `/`.
 */
export function servesStatusPage (ui: boolean | undefined, mount: string | undefined): boolean {
  return ui ?? (mount !== undefined && mount !== '')
}

/** Whether a path (relative to the mount point, without query) is the status page (`/`, `/status`) or one of its assets (`/static/…`). */
export function isStatusPagePath (path: string): boolean {
  return PAGE_PATHS.has(path) || path.startsWith(STATIC_PREFIX)
}

/** The handler name a status page path is counted under in `pushgateway_http_requests_total`, as the reference names it. */
export function statusPageHandler (path: string): 'status' | 'static' {
  return PAGE_PATHS.has(path) ? 'status' : 'static'
}

/** What the answer to a status page request depends on besides its path. */
export interface StatusPageRequest {
  /** The request URL relative to the mount point, with its query. */
  url: string
  /** Where the gateway is mounted, as the browser sees it. Default `''`. */
  mount?: string | undefined
  /** Whether the admin API is served. */
  adminApi: boolean
  /** The `If-None-Match` header, if any. */
  ifNoneMatch?: string | undefined
  /** Whether the client accepts a gzip body. */
  gzip: boolean
}

/** The answer to a GET of the status page or one of its assets; an unknown asset is a 404. */
export function statusPageResponse (path: string, request: StatusPageRequest): GatewayResponse {
  if (PAGE_PATHS.has(path)) {
    const body = pageHtml({ mount: request.mount ?? '', adminApi: request.adminApi, script: versioned('/static/status.js'), style: versioned('/static/status.css'), icon: versioned('/static/favicon.svg') })
    return {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': STATUS_PAGE_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'same-origin'
      },
      body
    }
  }
  const found = assets().get(path)
  if (found === undefined) return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }, body: '404 page not found\n' }
  const query = request.url.indexOf('?')
  const version = query === -1 ? null : new URLSearchParams(request.url.slice(query + 1)).get('v')
  const headers: Record<string, string> = {
    etag: found.etag,
    'cache-control': version === found.version ? IMMUTABLE : 'no-cache',
    vary: 'Accept-Encoding',
    'x-content-type-options': 'nosniff'
  }
  if (request.ifNoneMatch !== undefined && request.ifNoneMatch.split(',').some(tag => tag.trim().replace(/^W\//, '') === found.etag)) {
    return { status: 304, headers, body: '' }
  }
  headers['content-type'] = found.type
  if (request.gzip) headers['content-encoding'] = 'gzip'
  return { status: 200, headers, body: request.gzip ? found.gzipped : found.body }
}

/** The size of the script and the stylesheet, plain and gzipped, in bytes. */
export function statusPageAssetSizes (): Record<string, { bytes: number, gzipped: number }> {
  const sizes: Record<string, { bytes: number, gzipped: number }> = {}
  for (const [path, { body, gzipped }] of assets()) sizes[path] = { bytes: body.length, gzipped: gzipped.length }
  return sizes
}
