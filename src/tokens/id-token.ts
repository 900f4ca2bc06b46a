import { randomId } from '../crypto/random.ts'

/** authentik's one `acr` value (§3.4). */
export const DEFAULT_ACR = 'goauthentik.io/providers/oauth2/default'

/** What an ID token is made of; optional members are left out of the token when absent. */
export interface IdTokenInput {
  issuer: string
  subject: string
  clientId: string
  /** The owning token's expiry: the access token's for the returned ID token, the refresh token's for its copy. */
  expires: Date
  now: Date
  authTime: Date
  /** Authentication methods (RFC 8176) of the browser session; left out when empty. */
  amr?: readonly string[] | null
  cHash?: string | null
  nonce?: string | null
  atHash?: string | null
  /** The browser session's `sessionKeyHash` (authentik: sha256 of the session key). */
  sid?: string | null
  /** Scope-mapping claims (§6), merged on top: they override the standard claims. */
  claims?: Record<string, unknown>
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000)

/**
 * authentik `IDToken.new` / `to_dict` (§3.4, OIDC Core §2): standard claims in authentik's order, absent ones
 * dropped, then the scope-mapping claims on top (all but `jti`).
 */
export function idTokenClaims(input: IdTokenInput): Record<string, unknown> {
  const standard: Record<string, unknown> = {
    iss: input.issuer,
    sub: input.subject,
    aud: input.clientId,
    exp: seconds(input.expires),
    iat: seconds(input.now),
    auth_time: seconds(input.authTime),
    acr: DEFAULT_ACR,
    amr: input.amr && input.amr.length > 0 ? [...input.amr] : undefined,
    c_hash: input.cHash ?? undefined,
    nonce: input.nonce ?? undefined,
    at_hash: input.atHash ?? undefined,
    sid: input.sid ?? undefined,
    jti: randomId(40),
  }
  for (const key of Object.keys(standard)) if (standard[key] === undefined) delete standard[key]
  // Mappings override standard claims as in authentik, except `jti`: it identifies the stored access token
  // (a unique column), so a mapping that fixed it would make every second token fail.
  return { ...standard, ...input.claims, jti: standard.jti }
}
