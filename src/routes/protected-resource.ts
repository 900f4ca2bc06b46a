import type { Handler } from 'hono'
import { dpopNonces } from '../crypto/dpop-nonce.ts'
import { deriveSecrets } from '../crypto/secret-box.ts'
import { findBearerAccessToken, type BearerAccessToken } from '../db/access-token-lookup.ts'
import { recordEvent } from '../db/events.ts'
import type { ClaimUser } from '../db/user-claims.ts'
import { subject } from '../tokens/claims.ts'
import type { AppContext, AppEnv } from '../deps.ts'
import { bearerErrorResponse, bearerToken } from '../oauth/bearer.ts'
import { checkResourceProof, DPoPChallenge, dpopAccessToken, dpopErrorResponse } from '../oauth/dpop-resource.ts'
import { OAuthError } from '../oauth/errors.ts'
import { presentedTokenHash } from '../oauth/presented-jti.ts'
import { issuedToClient } from '../oauth/token-presentation.ts'
import { clientIp } from './client-ip.ts'
import { corsHeaders, corsPreflight } from './cors.ts'
import { requestProof } from './dpop-proof.ts'

/** Bearer answers carry one user's data: never cached (RFC 6749 §5.1's headers). */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache', Vary: 'Origin' }

/** A bearer-protected resource (authentik `protected_resource_view`): what it requires, how it answers. */
export interface ProtectedResourceSpec {
  /** Every one of these must have been granted to the token (else 403 `insufficient_scope`). */
  scopes: readonly string[]
  /** The methods a CORS preflight names; without it the resource sends no CORS headers (authentik's GitHub views). */
  corsMethods?: string
  /** The JSON body of the 200 answer; `sub`: the user's subject for the token's provider (its `sub_mode`). */
  render(token: BearerAccessToken, user: ClaimUser, sub: string): unknown
}

/**
 * authentik `protected_resource_view(scopes)`: exists, live (the lookup), not revoked, the scopes granted. Safer
 * than authentik, which serves any live token: one issued for other resources (RFC 8707 `aud`) is refused here,
 * since these endpoints are the provider's own resources (src/oauth/token-presentation.ts).
 */
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
  if (!issuedToClient(token)) {
    throw new OAuthError('invalid_token', 'The access token was issued for another resource', 401,
      'token audience is a resource')
  }
  // Deactivating a user revokes their tokens; this also covers a token that slipped past that.
  if (!token.user?.isActive) throw new OAuthError('invalid_token', undefined, 401, 'inactive user')
  if (!scopes.every((s) => token.scopes.includes(s))) throw new OAuthError('insufficient_scope', undefined, 403)
  return token.user
}

/**
 * RFC 6750 / RFC 9449 §7 resource endpoint: the token (`Authorization: DPoP` with its proof, or a bearer token
 * in the header or a POST body), its row and everything `render` reads in one statement (which also records the
 * proof's `jti`), the DPoP binding, the checks, then the answer; errors by `bearerErrorResponse`, or as a
 * `DPoP` challenge for the DPoP scheme and for a DPoP-bound token sent as a bearer token.
 */
export function protectedResource(spec: ProtectedResourceSpec): Handler<AppEnv> {
  return async (c) => {
    if (c.req.method === 'OPTIONS' && spec.corsMethods) return corsPreflight(c, spec.corsMethods)
    const now = c.var.deps.clock.now()
    let cors: Record<string, string> = {}
    let nonce: Record<string, string> = {}
    const dpopToken = dpopAccessToken(c.req.header('Authorization'))
    try {
      const value = dpopToken ?? await bearerToken(c.req)
      const proof = dpopToken === null ? null : await requestProof(c, now, dpopToken)
      if (dpopToken !== null && !proof) throw new DPoPChallenge('invalid_dpop_proof', 'DPoP proof missing', 'no proof')
      const token = await findBearerAccessToken(c.var.db, await presentedTokenHash(value), now, proof?.jti)
      if (!token) throw new OAuthError('invalid_token', undefined, 401, 'unknown or expired access token')
      if (spec.corsMethods) cors = corsHeaders(c, token.provider.redirectUris, 'WWW-Authenticate, DPoP-Nonce')
      const nonces = dpopNonces(await deriveSecrets(c.var.deps.config.secretKey))
      // RFC 9449 §9: every answer to a DPoP request of such a provider hands out the current nonce.
      if (token.provider.dpopRequireNonce && (proof || token.jkt)) nonce = { 'DPoP-Nonce': await nonces.issue(now) }
      await checkResourceProof(token, proof, nonces, now)
      const user = await checkToken(c, token, spec.scopes)
      const sub = await subject(token.provider.subMode, user, (await deriveSecrets(c.var.deps.config.secretKey)).installId)
      return c.json(spec.render(token, user, sub), 200, { ...cors, ...nonce, ...NO_STORE })
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err
      const headers = { ...cors, ...nonce, Vary: 'Origin' }
      return dpopToken !== null || err instanceof DPoPChallenge
        ? dpopErrorResponse(err, headers) : bearerErrorResponse(err, headers)
    }
  }
}
