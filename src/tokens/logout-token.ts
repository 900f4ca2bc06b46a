import type { KeyCache } from '../crypto/key-cache.ts'
import { encode, type SigningContext } from './encode.ts'

/** OIDC Back-Channel Logout 1.0 §2.4: the one member of `events`. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** How long a logout token is valid; the spec recommends at most two minutes (§2.4). */
export const LOGOUT_TOKEN_TTL_S = 120

export interface LogoutTokenInput {
  issuer: string
  clientId: string
  now: Date
  /** At least one of `sub` and `sid` (§2.4). */
  sub?: string | null
  sid?: string | null
}

/**
 * OIDC Back-Channel Logout 1.0 §2.4 claims (authentik `LogoutToken`): `iss`, `aud`, `iat`, `exp`, `jti`, `events`
 * with exactly the back-channel member, `sub` and/or `sid`, never `nonce`.
 */
export function logoutTokenClaims(input: LogoutTokenInput): Record<string, unknown> {
  if (!input.sub && !input.sid) throw new TypeError('a logout token needs sub or sid')
  const iat = Math.floor(input.now.getTime() / 1000)
  return {
    iss: input.issuer, aud: input.clientId, iat, exp: iat + LOGOUT_TOKEN_TTL_S, jti: crypto.randomUUID(),
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...(input.sub && { sub: input.sub }),
    ...(input.sid && { sid: input.sid }),
  }
}

/** §2.4 with authentik §3.3: signed as the provider signs, header `typ: logout+jwt`, JWE-wrapped when it encrypts. */
export function encodeLogoutToken(signing: SigningContext, input: LogoutTokenInput, keys: KeyCache): Promise<string> {
  return encode(signing, logoutTokenClaims(input), { keys, typ: 'logout+jwt' })
}
