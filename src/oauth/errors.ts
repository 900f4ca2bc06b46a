/** The error codes of RFC 6749 §4.1.2.1/§5.2, RFC 6750 §3.1, RFC 8628 §3.5, RFC 7009, OIDC Core §3.1.2.6, RFC 9449 §7/§8. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'unsupported_token_type'
  | 'interaction_required'
  | 'login_required'
  | 'account_selection_required'
  | 'consent_required'
  | 'invalid_request_uri'
  | 'invalid_request_object'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'registration_not_supported'
  | 'invalid_target' // RFC 8707 §2
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'

/** authentik's fixed descriptions (`TokenError.errors`), used when a throw site gives none. */
export const DEFAULT_DESCRIPTIONS: Partial<Record<OAuthErrorCode, string>> = {
  invalid_request: 'The request is otherwise malformed',
  invalid_client:
    'Client authentication failed (e.g., unknown client, no client authentication included, '
    + 'or unsupported authentication method)',
  invalid_grant:
    'The provided authorization grant or refresh token is invalid, expired, revoked, does not match '
    + 'the redirection URI used in the authorization request, or was issued to another client',
  unauthorized_client: 'The client is not authorized to request an authorization code using this method',
  unsupported_grant_type: 'The authorization grant type is not supported by the authorization server',
  invalid_scope:
    'The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner',
  authorization_pending: 'The authorization request is still pending',
  slow_down: 'The client is polling too quickly',
  access_denied: 'The resource owner or authorization server denied the request',
  expired_token: 'The device code has expired',
  invalid_token: 'The access token is invalid, expired or revoked',
  insufficient_scope: 'The request requires higher privileges than provided by the access token',
  server_error: 'The authorization server encountered an unexpected condition',
  invalid_target: 'The requested resource is invalid, missing, unknown, or malformed',
  invalid_dpop_proof: 'The DPoP proof is invalid',
  use_dpop_nonce: 'The DPoP proof must carry the nonce the server provided',
}

/** The one protocol error type; each endpoint family renders it in one place. */
export class OAuthError extends Error {
  override name = 'OAuthError'
  readonly description: string
  constructor(
    readonly code: OAuthErrorCode,
    description?: string,
    readonly status = 400,
    /** Why, for the logs and events only; never sent to the client. */
    readonly cause_?: string,
  ) {
    const text = description ?? DEFAULT_DESCRIPTIONS[code] ?? code
    super(`${code}: ${text}`)
    this.description = text
  }
}
