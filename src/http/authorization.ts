import { AuthorizationError } from '../errors.js'
import type { GroupingKey } from '../groups/grouping-key.js'
import { formatLabels } from '../groups/consistency.js'
import { groupLabelPairs } from '../groups/sanitize.js'

/** What a request asks to do: push or delete a group, wipe the store, read metrics or status, or shut down. */
export type Action = 'push' | 'delete' | 'wipe' | 'read' | 'quit'

/** The request as the `authorize` hook sees it. */
export interface AuthorizationRequest {
  /** The HTTP method. */
  method: string
  /** The path relative to the mount point, still percent-encoded, with any query string. */
  url: string
  /** The request headers, names in lower case. */
  headers: Readonly<Record<string, string | string[] | undefined>>
  /** The framework's own request object (Express `req`, Fastify `request`), when an adapter serves it. */
  native?: unknown
}

/** What the `authorize` hook is asked about. */
export interface AuthorizationContext {
  /** The action the request asks for. */
  action: Action
  /** The grouping key, for `push` and `delete`. */
  key?: Required<GroupingKey>
  /** The request. */
  request: AuthorizationRequest
}

/** A refusal with a chosen status, message and challenge. */
export interface AuthorizationDenial {
  /** 401 (no or bad credentials) or 403 (not allowed). */
  status: 401 | 403
  /** The message sent to the client. Default: one naming the action and the group. */
  message?: string | undefined
  /** The `WWW-Authenticate` header sent with a 401. Default `Bearer realm="pushgateway"`. */
  challenge?: string | undefined
}

/** The hook's answer: `true` allows; `false` refuses (401 without an `Authorization` header, else 403); a denial refuses as it says. */
export type AuthorizationResult = boolean | AuthorizationDenial

/** Decides whether a request may do what it asks; may answer with a promise. */
export type Authorize = (context: AuthorizationContext) => AuthorizationResult | Promise<AuthorizationResult>

const DEFAULT_CHALLENGE = 'Bearer realm="pushgateway"'

/** Asks the hook and throws an `AuthorizationError` (401 or 403) unless it allows the request. */
export async function authorizeRequest (authorize: Authorize, context: AuthorizationContext): Promise<void> {
  const result = await authorize(context)
  if (result === true) return
  if (result === false) {
    const status = context.request.headers['authorization'] === undefined ? 401 : 403
    throw refusal(status, context)
  }
  if (result === null || typeof result !== 'object' || (result.status !== 401 && result.status !== 403)) {
    throw new TypeError(`pushgateway-middleware: the authorize hook must answer true, false or { status: 401 | 403 }, got ${String(result)}`)
  }
  throw refusal(result.status, context, result.message, result.challenge)
}

function refusal (status: 401 | 403, context: AuthorizationContext, message?: string, challenge?: string): AuthorizationError {
  const text = message ?? `${status === 401 ? 'authentication required' : 'not allowed'} ${describe(context)}`
  return new AuthorizationError(status, text, status === 401 ? challenge ?? DEFAULT_CHALLENGE : undefined)
}

function describe ({ action, key }: AuthorizationContext): string {
  switch (action) {
    case 'push':
    case 'delete':
      return `to ${action} the group ${formatLabels(groupLabelPairs({ ...(key as Required<GroupingKey>).labels, job: (key as Required<GroupingKey>).job }))}`
    case 'wipe':
      return 'to wipe the store'
    case 'read':
      return 'to read the metrics'
    case 'quit':
      return 'to shut the gateway down'
  }
}
