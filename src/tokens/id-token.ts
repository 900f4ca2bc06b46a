import { DEFAULT_ACR, type StoredFacts } from '../db/token-rows.ts'
import { randomId } from '../crypto/random.ts'

export { DEFAULT_ACR }

/** Who an ID token is about and for, besides its grant's facts. */
export interface IdTokenParties {
  issuer: string
  subject: string
  clientId: string
  /** Scope-mapping claims (§6), merged on top: they override the standard claims. */
  claims?: Record<string, unknown>
}

/** What one ID token adds to its grant's facts. */
export interface IdTokenExtras {
  /** Override the facts' `nonce` (null: none, as in a refreshed ID token). */
  nonce?: string | null
  atHash?: string | null
  cHash?: string | null
  /** Its own `jti` (a fresh one when absent); null leaves it out (claims rebuilt when a token is read). */
  jti?: string | null
}

/**
 * authentik `IDToken.new` / `to_dict` (§3.4, OIDC Core §2): standard claims in authentik's order, from the grant's
 * stored facts (src/db/token-rows.ts), absent ones dropped, then the scope-mapping claims on top (all but `jti`).
 */
export function idTokenClaims(parties: IdTokenParties, facts: StoredFacts, extras: IdTokenExtras = {}):
  Record<string, unknown> {
  const nonce = extras.nonce === undefined ? facts.nonce : extras.nonce
  const jti = extras.jti === undefined ? randomId(40) : extras.jti
  const standard: Record<string, unknown> = {
    iss: parties.issuer,
    sub: parties.subject,
    aud: parties.clientId,
    exp: facts.exp,
    iat: facts.iat,
    auth_time: facts.auth_time,
    acr: facts.acr ?? DEFAULT_ACR,
    amr: facts.amr && facts.amr.length > 0 ? [...facts.amr] : undefined,
    c_hash: extras.cHash ?? undefined,
    nonce: nonce ?? undefined,
    at_hash: extras.atHash ?? undefined,
    sid: facts.sid ?? undefined,
    jti: jti ?? undefined,
  }
  for (const key of Object.keys(standard)) if (standard[key] === undefined) delete standard[key]
  // Mappings override standard claims as in authentik, except `jti`: a mapping that fixed it would make every
  // token alike where RFC 7519 §4.1.7 asks for a unique one.
  const merged: Record<string, unknown> = { ...standard, ...parties.claims }
  if (jti === null) delete merged.jti
  else merged.jti = jti
  return merged
}

/** The facts of a token issued now: what a statement would store, for tokens made without one (front channel). */
export function factsAt(now: Date, expires: Date, authTime: Date, rest: Pick<StoredFacts, 'amr' | 'nonce' | 'sid'> = {}):
  StoredFacts {
  const seconds = (date: Date): number => Math.floor(date.getTime() / 1000)
  const facts: StoredFacts = { iat: seconds(now), exp: seconds(expires), auth_time: seconds(authTime), acr: DEFAULT_ACR }
  if (rest.amr && rest.amr.length > 0) facts.amr = [...rest.amr]
  if (rest.nonce) facts.nonce = rest.nonce
  if (rest.sid) facts.sid = rest.sid
  return facts
}
