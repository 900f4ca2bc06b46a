import type { Handler } from 'hono'
import { sha256Hex } from '../crypto/hash.ts'
import { findBearerAccessToken, type BearerAccessToken } from '../db/access-token-lookup.ts'
import { recordEvent } from '../db/events.ts'
import type { ClaimUser } from '../db/user-claims.ts'
import type { AppContext, AppEnv } from '../deps.ts'
import { bearerErrorResponse, bearerToken } from '../oauth/bearer.ts'
import { OAuthError } from '../oauth/errors.ts'
import { scopeClaims } from '../tokens/claims.ts'
import { corsHeaders, corsPreflight } from './cors.ts'
import { clientIp } from './client-ip.ts'

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache', Vary: 'Origin' }



/** authentik `protected_resource_view(["openid"])`: exists, live (the lookup), not revoked, `openid` granted. */
async function checkToken(c: AppContext, token: BearerAccessToken): Promise<ClaimUser> {
  if (token.revoked) {
    await recordEvent(c.var.db, {
      action: 'suspicious_request',
      ...(token.user && { user: { pk: token.user.id, username: token.user.username } }),
      clientId: token.provider.clientId,
      context: {
        message: 'Revoked access token was used',
        token: { pk: token.id }, provider: { pk: token.provider.id, name: token.provider.name },
      },
      ...(clientIp(c) !== undefined && { clientIp: clientIp(c) }),
    }, c.var.deps.clock.now())
    throw new OAuthError('invalid_token', undefined, 401, 'revoked access token')
  }
  // Deactivating a user revokes their tokens; this also covers a token that slipped past that.
  if (!token.user?.isActive) throw new OAuthError('invalid_token', undefined, 401, 'inactive user')
  if (!token.scopes.includes('openid')) throw new OAuthError('insufficient_scope', undefined, 403)
  return token.user
}

/** OIDC Core §5.3 UserInfo (authentik §6), GET and POST; one statement on success. */
export const userinfo: Handler<AppEnv> = async (c) => {
  if (c.req.method === 'OPTIONS') return corsPreflight(c, 'GET, POST, OPTIONS')
  let cors: Record<string, string> = {}
  try {
    const value = await bearerToken(c.req)
    const token = await findBearerAccessToken(c.var.db, await sha256Hex(value), c.var.deps.clock.now())
    if (!token) throw new OAuthError('invalid_token', undefined, 401, 'unknown or expired access token')
    cors = corsHeaders(c, token.provider.redirectUris, 'WWW-Authenticate')
    const user = await checkToken(c, token)
    // authentik: `sub` from the stored ID token, then the mapping claims (which may override it), then `nonce`.
    const claims: Record<string, unknown> = { sub: token.idToken.sub, ...scopeClaims(token, token.scopes, user) }
    const nonce = token.idToken.nonce
    if (typeof nonce === 'string' && nonce !== '') claims.nonce = nonce
    return c.json(claims, 200, { ...cors, ...NO_STORE })
  } catch (err) {
    if (err instanceof OAuthError) return bearerErrorResponse(err, { ...cors, Vary: 'Origin' })
    throw err
  }
}
