import { randomId } from '../crypto/random.ts'

/**
 * authentik `AccessToken.token` (§3.5): the ID token's claims plus `azp` (the client), `uid` (40 random
 * characters) and `scope` (space-joined granted scopes) unless a scope mapping already set it (`setdefault`).
 */
export function accessTokenClaims(
  idToken: Record<string, unknown>, clientId: string, scopes: readonly string[],
): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...idToken, azp: clientId, uid: randomId(40) }
  if (!Object.hasOwn(claims, 'scope')) claims.scope = scopes.join(' ')
  return claims
}
