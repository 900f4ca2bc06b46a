import { leftHalfHash } from '../crypto/hash.ts'
import { encode } from './encode.ts'
import { idTokenClaims } from './id-token.ts'
import { signAccessToken, tokenBase, type GrantSubject, type IssueContext, type IssuedAccessToken } from './issue.ts'

/** What the authorization endpoint returns besides a code (OIDC Core §3.2.2.5, §3.3.2.5). */
export interface FrontChannelRequest {
  nonce: string | null
  /** The hybrid flow's code, whose `c_hash` the ID token carries. */
  code: string | null
  idToken: boolean
  accessToken: boolean
}

export interface FrontChannelTokens {
  /** The access token and its row values, when the response type has `token`. */
  access: IssuedAccessToken | null
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
  ctx: IssueContext, grant: GrantSubject, request: FrontChannelRequest,
): Promise<FrontChannelTokens> {
  const base = await tokenBase(ctx, grant)
  const expires = base.accessExpires
  const cHash = request.code !== null && request.idToken ? await leftHalfHash(request.code, base.alg) : null
  let access: IssuedAccessToken | null = null
  if (request.accessToken) {
    access = await signAccessToken(ctx, base, idTokenClaims({ ...base.id, expires, nonce: request.nonce }), grant.scopes)
  }
  let idToken: string | null = null
  if (request.idToken) {
    const claims = idTokenClaims({
      ...base.id, expires, nonce: request.nonce, cHash, atHash: access ? await leftHalfHash(access.jwt, base.alg) : null,
    })
    // The stored ID token (userinfo, introspection) is the one the client got.
    if (access) access = { ...access, idToken: claims }
    idToken = await encode(base.signing, claims, { keys: ctx.keys })
  }
  return { access, idToken, expiresIn: base.expiresIn }
}
