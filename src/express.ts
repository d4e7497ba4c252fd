import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import { errorAnswer, errorHandlingOf, gatewayFromOptions, isPushPath, writeResponse, type GatewayRequest, type Pushgateway, type PushgatewayOptions } from './gateway.js'
import { InvalidOptionError, PushgatewayError } from './errors.js'

/** Options of the Express middleware: the `Pushgateway` options (a new gateway is built from them), or `gateway` to share an existing one. */
export type ExpressPushgatewayOptions = PushgatewayOptions & {
  /** An existing `Pushgateway` to serve; no other `Pushgateway` option may be given with it. Default: a new one built from the other options. */
  gateway?: Pushgateway | undefined
  /** `'respond'` answers bad requests itself, in the Go gateway's plain-text form; `'next'` passes them to `next(err)` as status-coded `PushgatewayError`s for the app's error handler. Default `'respond'`. */
  errorHandling?: 'respond' | 'next' | undefined
}

/**
 * What `app.use()` mounts for a Pushgateway in Express 4 or 5: the middleware serving it, then an
 * error handler that answers a push which a body parser mounted before it refused (instead of that
 * parser's HTML error page); it carries the instance it serves as `gateway`.
 */
export type PushgatewayMiddleware = [RequestHandler, ErrorRequestHandler] & {
  /** The Pushgateway this middleware serves. */
  readonly gateway: Pushgateway
}

/** The request as a body parser that ran first may have left it (body-parser sets `body`). */
type ParsedRequest = IncomingMessage & { body?: unknown }

/**
 * Creates the Express middleware serving the Pushgateway endpoints relative to where it is mounted
 * (`app.use('/pushgateway', pushgateway())`); every other request goes on to the application.
 * Options are validated here, once: an invalid one throws an `InvalidOptionError`.
 */
export function pushgateway (options: ExpressPushgatewayOptions = {}): PushgatewayMiddleware {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'an object', options)
  const errorHandling = errorHandlingOf(options)
  // Validated before the gateway is built: building one registers its metrics in the registry.
  const gateway = gatewayFromOptions(options, ['errorHandling'])
  const passErrors = errorHandling === 'next'

  function pushgatewayMiddleware (req: Request, res: Response, next: NextFunction): void {
    // Express makes `req.url` relative to the mount point and leaves it percent-encoded.
    const url = req.url
    // Where the middleware is mounted: `''` at the app's root, where the status page is off by default.
    const mount = req.baseUrl
    if (!gateway.owns(url, mount)) {
      next()
      return
    }
    const request = gatewayRequest(req, url, mount)
    const answering = request instanceof PushgatewayError ? Promise.resolve(errorAnswer(request)) : gateway.handle(request)
    answering.then(answer => {
      if (passErrors && answer.error !== undefined) next(answer.error)
      else writeResponse(res, answer)
    }).catch(next)
  }

  // A body parser mounted before the gateway refused a push (body-parser's errors carry a `type`).
  function pushgatewayBodyParserErrors (err: unknown, req: Request, res: Response, next: NextFunction): void {
    const type = (err as { type?: unknown } | null)?.type
    if (typeof type !== 'string' || !isPush(req.method, req.url) || !gateway.owns(req.url)) {
      next(err)
      return
    }
    const refusal = new BodyConsumedError(err as Error & { status?: number })
    if (passErrors) next(refusal)
    else writeResponse(res, errorAnswer(refusal))
  }
  return Object.assign([pushgatewayMiddleware, pushgatewayBodyParserErrors] as [RequestHandler, ErrorRequestHandler], { gateway })
}

/**
 * The request for the core. The body is the request stream itself unless a body parser that ran
 * first has read it: then what the parser left if it is still the bytes, or a 400 for a push
 * whose body was turned into an object (the bytes are gone).
 */
function gatewayRequest (req: ParsedRequest, url: string, mount: string): GatewayRequest | PushgatewayError {
  const method = req.method as string
  const parsed = req.body
  if (typeof parsed === 'string' || parsed instanceof Uint8Array) {
    // express.raw() and express.text() inflate gzip (also deflate, br) by default, and refuse an
    // encoded body when told not to: the header no longer applies, unless a parser of another
    // kind left the bytes gzipped.
    const headers = req.headers['content-encoding'] === undefined || isGzipped(parsed) ? req.headers : withoutContentEncoding(req.headers)
    return { method, url, headers, body: parsed, native: req, mount }
  }
  // body-parser 2 leaves no other mark of a read body than the ended stream (1 also sets `_body`).
  if (!req.readableEnded) return { method, url, headers: req.headers, body: req, native: req, mount }
  if (isPush(method, url) && carriesBody(req.headers)) return new BodyConsumedError()
  // Nothing the core reads was lost: other requests ignore their body, and this one had none.
  return { method, url, headers: req.headers, native: req, mount }
}

function isGzipped (body: string | Uint8Array): boolean {
  return typeof body !== 'string' && body[0] === 0x1f && body[1] === 0x8b
}

function withoutContentEncoding (headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { 'content-encoding': _, ...rest } = headers
  return rest
}

function isPush (method: string, url: string): boolean {
  // A query string cannot change what the path starts with.
  return (method === 'PUT' || method === 'POST') && isPushPath(url)
}

// As body-parser decides it (type-is `hasBody`), except that an empty body is no body.
function carriesBody (headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length']
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/**
 * The answer to a push whose body a body parser mounted before the gateway has turned into an
 * object, or refused (then with that parser's status and its reason).
 */
class BodyConsumedError extends PushgatewayError {
  override name = 'BodyConsumedError'
  constructor (refused?: Error & { status?: number }) {
    const what = refused === undefined ? 'was consumed by a JSON or urlencoded body parser' : `was refused by a body parser (${refused.message.replace(/\s+/g, ' ')})`
    const status = refused?.status !== undefined && refused.status >= 400 && refused.status < 500 ? refused.status : 400
    super('ERR_BODY_CONSUMED', `the request body ${what} before the pushgateway middleware: mount the pushgateway middleware before every body parser`, status, refused === undefined ? undefined : { cause: refused })
  }
}
