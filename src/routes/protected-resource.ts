import type { Handler } from 'hono'
import { sha256Hex } from '../crypto/hash.ts'
import { findBearerAccessToken, type BearerAccessToken } from '../db/access-token-lookup.ts'
import { recordEvent } from '../db/events.ts'
import type { ClaimUser } from '../db/user-claims.ts'
import type { AppContext, AppEnv } from '../deps.ts'
import { bearerErrorResponse, bearerToken } from '../oauth/bearer.ts'
import { OAuthError } from '../oauth/errors.ts'
import { clientIp } from './client-ip.ts'
import { corsHeaders, corsPreflight } from './cors.ts'

/** Bearer answers carry one user's data: never cached (RFC 6749 §5.1's headers). */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache', Vary: 'Origin' }

/** A bearer-protected resource (authentik `protected_resource_view`): what it requires, how it answers. */
export interface ProtectedResourceSpec {
  /** Every one of these must have been granted to the token (else 403 `insufficient_scope`). */
  scopes: readonly string[]
  /** The methods a CORS preflight names; without it the resource sends no CORS headers (authentik's GitHub views). */
  corsMethods?: string
  /** The JSON body of the 200 answer. */
  render(token: BearerAccessToken, user: ClaimUser): unknown
}

/** authentik `protected_resource_view(scopes)`: exists, live (the lookup), not revoked, the scopes granted. */
async function checkToken(c: AppContext, token: BearerAccessToken, scopes: readonly string[]): Promise<ClaimUser> {
  if (token.revoked) {
    const ip = clientIp(c)
    await recordEvent(c.var.db, {
      action: 'suspicious_request',
      ...(token.user && { user: { pk: token.user.id, username: token.user.username } }),
      clientId: token.provider.clientId,
      context: {
        message: 'Revoked access token was used',
        token: { pk: token.id }, provider: { pk: token.provider.id, name: token.provider.name },
      },
      ...(ip !== undefined && { clientIp: ip }),
    }, c.var.deps.clock.now())
    throw new OAuthError('invalid_token', undefined, 401, 'revoked access token')
  }
  // Deactivating a user revokes their tokens; this also covers a token that slipped past that.
  if (!token.user?.isActive) throw new OAuthError('invalid_token', undefined, 401, 'inactive user')
  if (!scopes.every((s) => token.scopes.includes(s))) throw new OAuthError('insufficient_scope', undefined, 403)
  return token.user
}

/**
 * RFC 6750 resource endpoint: the bearer token (header, or a POST body), its row and everything `render` reads
 * in one statement, the checks, then the answer; errors by `bearerErrorResponse`.
 */
export function protectedResource(spec: ProtectedResourceSpec): Handler<AppEnv> {
  return async (c) => {
    if (c.req.method === 'OPTIONS' && spec.corsMethods) return corsPreflight(c, spec.corsMethods)
    let cors: Record<string, string> = {}
    try {
      const value = await bearerToken(c.req)
      const token = await findBearerAccessToken(c.var.db, await sha256Hex(value), c.var.deps.clock.now())
      if (!token) throw new OAuthError('invalid_token', undefined, 401, 'unknown or expired access token')
      if (spec.corsMethods) cors = corsHeaders(c, token.provider.redirectUris, 'WWW-Authenticate')
      const user = await checkToken(c, token, spec.scopes)
      return c.json(spec.render(token, user), 200, { ...cors, ...NO_STORE })
    } catch (err) {
      if (err instanceof OAuthError) return bearerErrorResponse(err, { ...cors, Vary: 'Origin' })
      throw err
    }
  }
}
