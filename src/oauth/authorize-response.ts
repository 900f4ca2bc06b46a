import { OAuthError, type OAuthErrorCode } from './errors.ts'

export type ResponseMode = 'query' | 'fragment' | 'form_post'

/** Where and how the answer goes, once the client and its redirect URI are trusted. */
export interface AuthorizeTarget {
  /** Exactly as the client sent it (and as it matched a registered entry). */
  redirectUri: string
  responseMode: ResponseMode
  /** The client's `state`, echoed when it sent one. */
  state: string | null
  /** RFC 9207 `iss`: the provider's issuer, on every success and error. */
  iss: string
}

/** authentik `AuthorizeError.errors`: the authorization endpoint's fixed descriptions. */
const AUTHORIZE_DESCRIPTIONS: Partial<Record<OAuthErrorCode, string>> = {
  invalid_request: 'The request is otherwise malformed',
  unauthorized_client: 'The client is not authorized to request an authorization code using this method',
  access_denied: 'The resource owner or authorization server denied the request',
  unsupported_response_type:
    'The authorization server does not support obtaining an authorization code using this method',
  invalid_scope: 'The requested scope is invalid, unknown, or malformed',
  server_error: 'The authorization server encountered an error',
  interaction_required: 'The Authorization Server requires End-User interaction of some form to proceed',
  login_required: 'The Authorization Server requires End-User authentication',
  account_selection_required: 'The End-User is required to select a session at the Authorization Server',
  consent_required: 'The Authorization Server requires End-User consent',
  request_not_supported: 'The provider does not support use of the request parameter',
}

/** An authorization error (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6) with authentik's text unless given one. */
export function authorizeError(code: OAuthErrorCode, description?: string): OAuthError {
  return new OAuthError(code, description ?? AUTHORIZE_DESCRIPTIONS[code])
}

/** A redirect to the client, or the fields of a form_post page (OAuth 2.0 Form Post Response Mode §2). */
export type AuthorizeResponse =
  | { kind: 'redirect'; location: string }
  | { kind: 'form_post'; action: string; fields: Array<[string, string]> }

/**
 * RFC 6749 §4.1.2 / OAuth 2.0 Multiple Response Types §2: `values`, then `state` (when sent) and `iss`
 * (RFC 9207 §2), in the target's response mode. The redirect URI keeps its own query parameters; fragment
 * mode appends to an existing fragment.
 */
export function authorizeResponse(target: AuthorizeTarget, values: Array<[string, string]>): AuthorizeResponse {
  const fields: Array<[string, string]> = [...values]
  if (target.state !== null) fields.push(['state', target.state])
  fields.push(['iss', target.iss])
  if (target.responseMode === 'form_post') return { kind: 'form_post', action: target.redirectUri, fields }
  return { kind: 'redirect', location: asciiUri(withParams(target.redirectUri, target.responseMode, fields)) }
}

/** The error response for `error` (RFC 6749 §4.1.2.1). */
export function authorizeErrorResponse(target: AuthorizeTarget, error: OAuthError): AuthorizeResponse {
  return authorizeResponse(target, [['error', error.code], ['error_description', error.description]])
}

/**
 * `uri` with every non-ASCII character percent-encoded as UTF-8 (RFC 3987 §3.1), `%` and the rest left as they
 * are. A `Location` must be ASCII, and hono's `c.redirect` runs `encodeURI` over a whole URI with characters
 * above U+00FF, which would encode the `%` of the parameters again (`iss=http%253A...`).
 */
export function asciiUri(uri: string): string {
  return uri.replace(/[^\x00-\x7F]+/g, (run) =>
    Array.from(new TextEncoder().encode(run), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))
}

/** `uri` with `params` form-encoded into its query or its fragment; nothing else of it is re-encoded. */
export function withParams(uri: string, mode: 'query' | 'fragment', params: Array<[string, string]>): string {
  const hashAt = uri.indexOf('#')
  const base = hashAt < 0 ? uri : uri.slice(0, hashAt)
  const fragment = hashAt < 0 ? null : uri.slice(hashAt + 1)
  const encoded = new URLSearchParams(params).toString()
  const join = (existing: string) => (existing === '' || existing.endsWith('&') ? existing : `${existing}&`)
  if (mode === 'fragment') return `${base}#${join(fragment ?? '')}${encoded}`
  const queryAt = base.indexOf('?')
  const query = queryAt < 0 ? `${base}?` : `${base.slice(0, queryAt)}?${join(base.slice(queryAt + 1))}`
  return `${query}${encoded}${fragment === null ? '' : `#${fragment}`}`
}

/**
 * The CSP source that lets a form post to `uri` (`form-action`): its origin for http(s) URLs with a plain
 * host name, else its scheme (CSP host sources cannot express IP-literal hosts or custom-scheme paths).
 */
export function formActionSource(uri: string): string {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return "'none'"
  }
  if ((url.protocol === 'http:' || url.protocol === 'https:') && /^[A-Za-z0-9.-]+$/.test(url.hostname)) {
    return url.origin
  }
  return url.protocol
}
