import type { IncomingMessage, ServerResponse } from 'node:http'
import { errorAnswer, gatewayFromOptions, type Pushgateway, type PushgatewayOptions } from './gateway.js'
import { InvalidOptionError, PushgatewayError } from './errors.js'
import type { RequestBody } from './body.js'

/** Options of the Express middleware: the core's options, or an existing gateway to share. */
export interface ExpressPushgatewayOptions extends PushgatewayOptions {
  /** An existing `Pushgateway` to serve (then no core option may be given). Default: a new one. */
  gateway?: Pushgateway
  /** `'respond'` answers bad requests in the Go gateway's plain-text form; `'next'` passes them to the app's error handler as status-coded errors. Default `'respond'`. */
  errorHandling?: 'respond' | 'next'
}

/** The request as the middleware reads it: Express's, with the body a body parser may have left. */
type ExpressRequest = IncomingMessage & { body?: unknown, _body?: boolean }

/** An Express (4 or 5) middleware serving the Pushgateway surface, with the instance it serves. */
export type PushgatewayMiddleware = ((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void) & {
  /** The Pushgateway this middleware serves. */
  readonly gateway: Pushgateway
}

const ERROR_HANDLING = ['respond', 'next']

/**
 * Creates an Express middleware that serves the Pushgateway endpoints relative to where it is
 * mounted (`app.use('/pushgateway', pushgateway())`) and passes every other request on.
 */
export function pushgateway (options: ExpressPushgatewayOptions = {}): PushgatewayMiddleware {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'an object', options)
  const { errorHandling = 'respond' } = options
  if (!ERROR_HANDLING.includes(errorHandling)) throw new InvalidOptionError('errorHandling', '"respond" or "next"', errorHandling)
  const gateway = gatewayFromOptions(options)

  function pushgatewayMiddleware (req: ExpressRequest, res: ServerResponse, next: (err?: unknown) => void): void {
    // A server always sets both; the types allow undefined for client-side messages.
    const url = req.url as string
    if (!gateway.owns(url)) {
      next()
      return
    }
    const input = requestBody(req)
    const answering = input instanceof PushgatewayError
      ? Promise.resolve(errorAnswer(input))
      : gateway.handle({ method: req.method as string, url, headers: input.headers, body: input.body })
    answering.then(answer => {
      if (errorHandling === 'next' && answer.error !== undefined) {
        next(answer.error)
      } else {
        res.writeHead(answer.status, answer.headers).end(answer.body)
      }
    }, next)
  }
  return Object.assign(pushgatewayMiddleware, { gateway })
}

// A body parser that ran first has consumed the stream (body-parser 1 marks it with `_body`, 2
// leaves it ended): use what the parser left, if it is still the bytes.
function requestBody (req: ExpressRequest): { body: RequestBody, headers: IncomingMessage['headers'] } | PushgatewayError {
  if (req._body !== true && !req.readableEnded) return { body: req, headers: req.headers }
  const parsed = req.body
  if (typeof parsed === 'string' || Buffer.isBuffer(parsed)) {
    // express.raw() and express.text() inflate gzip bodies themselves.
    const { 'content-encoding': _, ...headers } = req.headers
    return { body: parsed, headers }
  }
  return new PushgatewayError('ERR_PARSE', 'the request body was consumed by a body parser (JSON or urlencoded) before the pushgateway middleware: mount the middleware before that parser', 400)
}
