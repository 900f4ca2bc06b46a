import { randomId } from '../crypto/random.ts'
import { audienceClaim } from '../oauth/resource.ts'

/**
 * authentik `AccessToken.token` (§3.5): the ID token's claims plus `azp` (the client), `uid` (40 random
 * characters) and `scope` (space-joined granted scopes) unless a scope mapping already set it (`setdefault`).
 * With RFC 8707 resources (`audience`), `aud` is them instead of the client (§2.2: audience-restricted).
 */
export function accessTokenClaims(
  idToken: Record<string, unknown>, clientId: string, scopes: readonly string[],
  audience: readonly string[] | null = null,
): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...idToken, azp: clientId, uid: randomId(40) }
  if (!Object.hasOwn(claims, 'scope')) claims.scope = scopes.join(' ')
  if (audience) claims.aud = audienceClaim(audience)
  return claims
}
