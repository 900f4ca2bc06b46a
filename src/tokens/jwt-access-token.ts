import type { StoredFacts } from '../db/token-rows.ts'
import { audienceClaim } from '../oauth/resource.ts'
import type { IdTokenParties } from './id-token.ts'

/** RFC 9068 §2.1: the JOSE `typ` of a JWT access token (media type `application/at+jwt`). */
export const AT_JWT = 'at+jwt'

/**
 * Names the scope mappings may not set in an RFC 9068 token: the claims §2.2 requires (which the server alone
 * decides), and what authentik's access token carries but this profile has no use for, or which would make it
 * pass for an ID token (`azp`, `uid`, `nonce`, `at_hash`, `c_hash`, `sid`; §5 asks the two not to be mixed up).
 */
const RESERVED = new Set([
  'iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti', 'nbf', 'scope', 'auth_time', 'acr', 'amr', 'cnf',
  'azp', 'uid', 'nonce', 'at_hash', 'c_hash', 'sid',
])

/** The shape `signAccessToken` signs: the claims and the header's `typ`. */
export interface AccessTokenShape {
  payload: Record<string, unknown>
  typ: string
}

/**
 * RFC 9068 §2 (`access_token_format: rfc9068`): header `typ: at+jwt`; the required claims `iss`, `exp`, `aud`,
 * `sub`, `client_id`, `iat`, `jti` (the access token's own) and `scope` (§2.2.3); the authentication claims
 * `auth_time`, `acr` and `amr` (§2.2.1, those the ID token has); then the identity and authorization claims of the
 * scope mappings (§2.2.2, §2.2.3: `email`, `groups`, `entitlements`...), present only where authentik puts them
 * in the ID token (`include_claims_in_id_token`), never overriding the claims above. `sub` is the ID token's (the
 * resource owner's, §2.2; for client_credentials the service account the server uses for the client).
 *
 * `aud` (§3): the RFC 8707 resources asked for or granted; when none was asked, the default resource indicator
 * §3 requires is the client's id, the audience authentik's access tokens have always carried. That keeps one
 * meaning of "no resource" across both formats and in introspection's answer, and a resource server that knows
 * the application (as authentik's proxies do) checks `aud` against its client id. The issuer was the other
 * candidate, but it names the authorization server, not a resource it serves (userinfo takes either format).
 */
export function jwtAccessToken(
  parties: IdTokenParties, facts: StoredFacts, access: { jti: string; audience: readonly string[] | null },
  idToken: Record<string, unknown>, scopes: readonly string[],
): AccessTokenShape {
  const identity = Object.fromEntries(Object.entries(parties.claims ?? {}).filter(([name]) => !RESERVED.has(name)))
  const payload: Record<string, unknown> = {
    iss: parties.issuer,
    exp: facts.exp,
    aud: access.audience ? audienceClaim(access.audience) : parties.clientId,
    sub: idToken.sub,
    client_id: parties.clientId,
    iat: facts.iat,
    jti: access.jti,
    scope: scopes.join(' '),
    auth_time: idToken.auth_time,
    acr: idToken.acr,
    ...(Array.isArray(idToken.amr) && { amr: idToken.amr }),
    ...identity,
  }
  for (const key of ['auth_time', 'acr']) if (payload[key] === undefined) delete payload[key]
  return { payload, typ: AT_JWT }
}
