import { leftHalfHash, sha256Hex } from '../crypto/hash.ts'
import type { KeyCache } from '../crypto/key-cache.ts'
import { randomId } from '../crypto/random.ts'
import type { Secrets } from '../crypto/secret-box.ts'
import type { ProofJtiRecord } from '../db/proof-jti.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { AccessTokenFormat } from '../db/schema.ts'
import type { ClaimUser } from '../db/user-claims.ts'
import { addDuration, parseDuration } from '../oauth/duration.ts'
import { issuerOf } from '../oauth/issuer.ts'
import type { DPoPProof } from '../oauth/dpop.ts'
import { accessTokenClaims, accessTokenUid } from './access-token.ts'
import { accessBinding, refreshBinding, withConfirmation } from './dpop-binding.ts'
import { scopeClaims, subject } from './claims.ts'
import { encode, signingAlg, type SigningContext, type TokenSigningAlg } from './encode.ts'
import { idTokenClaims, type IdTokenInput } from './id-token.ts'
import { jwtAccessToken } from './jwt-access-token.ts'
import { signingContext } from './signing-context.ts'

/** What every grant needs beyond the database: time, where we are, and the keys. */
export interface IssueContext {
  now: Date
  /** The origin absolute URLs (the issuer) are built from. */
  origin: string
  keys: KeyCache
  secrets: Secrets
  /** RFC 9449 §5: the DPoP proof the token request carried, which the tokens issued for it are bound to. */
  dpop?: DPoPProof | null
}

/** One authorization as a grant sees it: who, for which client, with what, since when. */
export interface GrantSubject {
  bundle: ProviderBundle
  user: ClaimUser
  scopes: readonly string[]
  authTime: Date
  amr: readonly string[]
  /** The browser session's `sessionKeyHash`, when the grant is still bound to one. */
  sid: string | null
  /** RFC 8707: the resources the access token is for, its `aud`; absent or null: the default audience (the client). */
  resources?: readonly string[] | null
}

export interface IssueOptions {
  /** `nonce` of the returned ID token: the code's; a refreshed ID token has none (OIDC Core §12.2). */
  nonce: string | null
  /** Issue a refresh token as well, whose stored ID token keeps `refreshNonce` (authentik copies it). */
  refresh: { nonce: string | null } | null
}

/** A token and the values its row is stored with (never the token itself). */
export interface IssuedAccessToken {
  jwt: string
  hash: string
  jti: string
  expires: Date
  /** The ID token claims, stored on the row for userinfo and introspection. */
  idToken: Record<string, unknown>
  /** RFC 8707: the resources it was issued for (null: the default audience). */
  audience: readonly string[] | null
  /** RFC 9449 §6: the DPoP key it is bound to (null: a bearer token) and its proof's `jti` to record. */
  jkt: string | null
  proofJti: ProofJtiRecord | null
}

export interface IssuedRefreshToken {
  value: string
  hash: string
  expires: Date
  idToken: Record<string, unknown>
  /** RFC 9449 §5: bound to the DPoP key for a public client. */
  jkt: string | null
}

export interface IssuedTokens {
  access: IssuedAccessToken
  /** The signed (optionally encrypted) ID token of the response. */
  idToken: string
  expiresIn: number
  refresh: IssuedRefreshToken | null
}

/** What every token of one grant shares: the keys, the ID token's standard parts, the access token's lifetime. */
export interface TokenBase {
  signing: SigningContext
  alg: TokenSigningAlg
  id: Omit<IdTokenInput, 'expires'>
  accessExpires: Date
  /** `expires_in` (RFC 6749 §5.1): the access token's validity in whole seconds. */
  expiresIn: number
  /** RFC 8707: the access token's resources (null: the default audience), and the provider's token format. */
  audience: readonly string[] | null
  format: AccessTokenFormat
}

/** The keys and the ID token parts of `grant` (authentik §3.4: claims only with `include_claims_in_id_token`). */
export async function tokenBase(ctx: IssueContext, grant: GrantSubject): Promise<TokenBase> {
  const { bundle, user, scopes } = grant
  const { provider } = bundle
  const signing = await signingContext(bundle, ctx.secrets)
  return {
    signing,
    alg: signingAlg(signing),
    id: {
      issuer: issuerOf(bundle, ctx.origin),
      subject: await subject(provider.subMode, user, ctx.secrets.installId),
      clientId: provider.clientId,
      now: ctx.now,
      authTime: grant.authTime,
      amr: grant.amr,
      sid: grant.sid,
      claims: provider.includeClaimsInIdToken ? scopeClaims(bundle, scopes, user) : {},
    },
    accessExpires: addDuration(ctx.now, provider.accessTokenValidity),
    expiresIn: Math.trunc(parseDuration(provider.accessTokenValidity) / 1000),
    audience: grant.resources && grant.resources.length > 0 ? grant.resources : null,
    format: provider.accessTokenFormat,
  }
}

/**
 * authentik §3.5: the access token (`idToken`'s claims plus `azp`, `uid`, `scope`; `aud` the RFC 8707 resources
 * when there are some), or with `access_token_format: rfc9068` the RFC 9068 token; signed, with its row values.
 */
export async function signAccessToken(
  ctx: IssueContext, base: TokenBase, idToken: Record<string, unknown>, scopes: readonly string[],
): Promise<IssuedAccessToken> {
  const { payload, typ } = base.format === 'rfc9068' ? jwtAccessToken(base, idToken, scopes) : {
    payload: accessTokenClaims(idToken, base.id.clientId, scopes, await accessTokenUid(ctx.secrets, String(idToken.jti)),
      base.audience),
    typ: undefined,
  }
  // RFC 9449 §6: `cnf` after the shaping, so that both formats carry it.
  const bound = withConfirmation(payload, ctx.dpop)
  const jwt = await encode(base.signing, bound, { keys: ctx.keys, ...(typ && { typ }) })
  return {
    jwt, hash: await sha256Hex(jwt), jti: String(bound.jti), expires: base.accessExpires, idToken,
    audience: base.audience, ...accessBinding(ctx.dpop),
  }
}

/**
 * authentik `create_code_response` / `create_refresh_response` (§3.4, §3.5): build and sign the ID token and
 * the access token, and the refresh token whose stored ID token carries the access token's `at_hash`.
 */
export async function issueTokens(ctx: IssueContext, grant: GrantSubject, options: IssueOptions): Promise<IssuedTokens> {
  const base = await tokenBase(ctx, grant)
  const idToken = idTokenClaims({ ...base.id, expires: base.accessExpires, nonce: options.nonce })
  const access = await signAccessToken(ctx, base, idToken, grant.scopes)
  let refresh: IssuedRefreshToken | null = null
  if (options.refresh) {
    const value = randomId(128)
    const expires = addDuration(ctx.now, grant.bundle.provider.refreshTokenValidity)
    refresh = {
      value, hash: await sha256Hex(value), expires, ...refreshBinding(grant.bundle, ctx.dpop),
      idToken: idTokenClaims({
        ...base.id, expires, nonce: options.refresh.nonce, atHash: await leftHalfHash(access.jwt, base.alg),
      }),
    }
  }
  return {
    access,
    idToken: await encode(base.signing, idToken, { keys: ctx.keys }),
    expiresIn: base.expiresIn,
    refresh,
  }
}
