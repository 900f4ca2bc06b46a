import { leftHalfHash } from '../crypto/hash.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { StoredFacts } from '../db/token-rows.ts'
import type { ClaimUser } from '../db/user-claims.ts'
import { factsAt } from './id-token.ts'
import {
  newAccessToken, signAccessToken, signIdToken, tokenBase, type IssueContext, type NewAccessToken,
} from './issue.ts'

/** One authorization as the authorization endpoint issues it: who, for which client, with what, since when. */
export interface FrontChannelGrant {
  bundle: ProviderBundle
  user: ClaimUser
  scopes: readonly string[]
  authTime: Date
  amr: readonly string[]
  /** The browser session's `sessionKeyHash`. */
  sid: string | null
  /** RFC 8707: the resources the access token is for (null: the default audience). */
  resources: readonly string[] | null
}

/** What the authorization endpoint returns besides a code (OIDC Core §3.2.2.5, §3.3.2.5). */
export interface FrontChannelRequest {
  nonce: string | null
  /** The hybrid flow's code, whose `c_hash` the ID token carries. */
  code: string | null
  idToken: boolean
  accessToken: boolean
}

/** An access token of the front channel and what its row is stored with. */
export interface FrontChannelAccess extends NewAccessToken {
  jwt: string
  expires: Date
  facts: StoredFacts
  audience: readonly string[] | null
}

export interface FrontChannelTokens {
  /** The access token and its row values, when the response type has `token`. */
  access: FrontChannelAccess | null
  /** The signed (optionally encrypted) ID token, when the response type has `id_token`. */
  idToken: string | null
  expiresIn: number
}

/**
 * authentik `create_implicit_response` (§5.3): the access token (its claims carry `nonce`, like the code flow's)
 * and the ID token with `nonce`, `c_hash` of the hybrid code and `at_hash` of the returned access token, each hash
 * with the signing algorithm's SHA-2 (OIDC Core §3.3.2.11). Safer than authentik: no access token is made when
 * none is returned (`id_token`, `code id_token`).
 */
export async function issueFrontChannelTokens(
  ctx: IssueContext, grant: FrontChannelGrant, request: FrontChannelRequest,
  stored?: { token: NewAccessToken; expires: Date; facts: StoredFacts } | null,
): Promise<FrontChannelTokens> {
  const { provider } = grant.bundle
  const base = await tokenBase(ctx, grant.bundle, grant.user, grant.scopes)
  // The facts of a row already stored (src/db/authorize-speculation.ts), else those it will be stored with.
  const expires = stored?.expires ?? new Date(ctx.now.getTime() + provider.accessTokenValidityMs)
  const facts = stored?.facts ?? factsAt(ctx.now, expires, grant.authTime,
    { amr: [...grant.amr], ...(request.nonce && { nonce: request.nonce }), ...(grant.sid && { sid: grant.sid }) })
  const cHash = request.code !== null && request.idToken ? await leftHalfHash(request.code, base.alg) : null
  let access: FrontChannelAccess | null = null
  if (request.accessToken) {
    const token = stored?.token ?? await newAccessToken()
    const audience = grant.resources && grant.resources.length > 0 ? grant.resources : null
    const jwt = await signAccessToken(ctx, base, { jti: token.jti, facts, audience }, grant.scopes)
    access = { ...token, jwt, expires, facts, audience }
  }
  const idToken = request.idToken
    ? await signIdToken(ctx, base, facts, { cHash, atHash: access ? await leftHalfHash(access.jwt, base.alg) : null })
    : null
  return { access, idToken, expiresIn: Math.trunc(provider.accessTokenValidityMs / 1000) }
}
