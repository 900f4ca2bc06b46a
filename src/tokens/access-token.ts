import { constantTimeEqual } from '../crypto/hash.ts'
import type { Secrets } from '../crypto/secret-box.ts'
import { audienceClaim } from '../oauth/resource.ts'

const UID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const UID_LENGTH = 40
const UID_PURPOSE = 'access-token-uid'

/**
 * authentik's `uid` of an access token: 40 random [A-Za-z0-9] characters. Ours look the same to anyone else, but
 * are a MAC of the token's `jti` under SECRET_KEY, so that the provider can tell its access tokens from its ID
 * tokens with certainty: an authentik-format access token carries every claim of the ID token it was issued with,
 * the same `jti` included, and a scope mapping may put anything else in an ID token (`azp`, even a `uid`). Each
 * character is a byte of HMAC-SHA-512 modulo 62: slightly uneven, which a mark that only this key can make allows.
 */
export async function accessTokenUid(secrets: Pick<Secrets, 'mac'>, jti: string): Promise<string> {
  const mac = await secrets.mac(UID_PURPOSE, jti)
  let uid = ''
  for (let i = 0; i < UID_LENGTH; i++) uid += UID_ALPHABET.charAt((mac[i] as number) % UID_ALPHABET.length)
  return uid
}

/** Whether `claims` are those of an access token this provider issued in authentik's format (its marked `uid`). */
export async function isMarkedAccessToken(secrets: Pick<Secrets, 'mac'>, claims: Record<string, unknown>):
  Promise<boolean> {
  if (typeof claims.uid !== 'string' || typeof claims.jti !== 'string') return false
  return constantTimeEqual(claims.uid, await accessTokenUid(secrets, claims.jti))
}

/**
 * authentik `AccessToken.token` (§3.5): the ID token's claims plus `azp` (the client), `uid` (see
 * {@link accessTokenUid}) and `scope` (space-joined granted scopes) unless a scope mapping already set it
 * (`setdefault`). With RFC 8707 resources (`audience`), `aud` is them instead of the client (§2.2: audience-restricted).
 */
export function accessTokenClaims(
  idToken: Record<string, unknown>, clientId: string, scopes: readonly string[], uid: string,
  audience: readonly string[] | null = null,
): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...idToken, azp: clientId, uid }
  if (!Object.hasOwn(claims, 'scope')) claims.scope = scopes.join(' ')
  if (audience) claims.aud = audienceClaim(audience)
  return claims
}
