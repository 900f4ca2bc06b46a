import { sha256Hex } from '../crypto/hash.ts'
import type { KeyCache } from '../crypto/key-cache.ts'
import { randomId } from '../crypto/random.ts'
import type { Secrets } from '../crypto/secret-box.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { StoredFacts, StoredToken } from '../db/token-rows.ts'
import type { ClaimUser } from '../db/user-claims.ts'
import { issuerOf } from '../oauth/issuer.ts'
import type { DPoPProof } from '../oauth/dpop.ts'
import { accessTokenClaims, accessTokenUid } from './access-token.ts'
import { withConfirmation } from './dpop-binding.ts'
import { scopeClaims, subject } from './claims.ts'
import { encode, signingAlg, type SigningContext, type TokenSigningAlg } from './encode.ts'
import { idTokenClaims, type IdTokenExtras, type IdTokenParties } from './id-token.ts'
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

/** A new access token's values chosen before its statement: its `jti` and the SHA-256 its row is kept as. */
export interface NewAccessToken {
  jti: string
  hash: string
}

/** authentik's `generate_id` of an access token's own `jti`, and the hash its row is stored and found by. */
export async function newAccessToken(): Promise<NewAccessToken> {
  const jti = randomId(40)
  return { jti, hash: await sha256Hex(jti) }
}

/** A new refresh token: its value (sent once), its row's id and the SHA-256 it is stored and found by. */
export async function newRefreshToken(): Promise<{ value: string; id: string; hash: string }> {
  const value = randomId(128)
  return { value, id: crypto.randomUUID(), hash: await sha256Hex(value) }
}

/**
 * The new tokens a grant's statement stores and its answer sends, chosen before the statement: the access token
 * (bound to the DPoP key of `proof`, when one was sent) and a refresh token, which the statement stores only when
 * the grant gives one (a value never sent is harmless: nobody holds it). `proofJkt`: the key a public client's
 * refresh token is bound to (RFC 9449 §5).
 */
export interface NewGrantTokens {
  access: { hash: string; jkt: string | null }
  accessJti: string
  refresh: { id: string; hash: string }
  refreshValue: string
  proofJkt: string | null
}

export async function newGrantTokens(proof: { jkt: string } | null | undefined): Promise<NewGrantTokens> {
  const [access, refresh] = await Promise.all([newAccessToken(), newRefreshToken()])
  const jkt = proof?.jkt ?? null
  return { access: { hash: access.hash, jkt }, accessJti: access.jti, refresh: { id: refresh.id, hash: refresh.hash },
    refreshValue: refresh.value, proofJkt: jkt }
}

/** What every token of one provider for one user shares: the keys, who it is about and for, its mapping claims. */
export interface TokenBase {
  signing: SigningContext
  alg: TokenSigningAlg
  /** The ID token's parties; `claims` only with `include_claims_in_id_token` (authentik §3.4). */
  parties: IdTokenParties
  format: ProviderBundle['provider']['accessTokenFormat']
}

/**
 * Who `user`'s ID tokens of `bundle` for `scopes` are about and for: the issuer, the `sub` of the provider's mode,
 * the client, and the scope mappings' claims when the provider puts them in ID tokens (authentik §3.4). Used when
 * a token is signed and when one is read again (userinfo, introspection), from its stored facts.
 */
export async function idTokenParties(ctx: Pick<IssueContext, 'origin' | 'secrets'>, bundle: ProviderBundle,
  user: ClaimUser, scopes: readonly string[]): Promise<IdTokenParties> {
  const { provider } = bundle
  return {
    issuer: issuerOf(bundle, ctx.origin),
    subject: await subject(provider.subMode, user, ctx.secrets.installId),
    clientId: provider.clientId,
    claims: provider.includeClaimsInIdToken ? scopeClaims(bundle, scopes, user) : {},
  }
}

/** The keys and the ID token parties of `user`'s tokens of `bundle` for `scopes`. */
export async function tokenBase(ctx: Pick<IssueContext, 'origin' | 'secrets'>, bundle: ProviderBundle,
  user: ClaimUser, scopes: readonly string[]): Promise<TokenBase> {
  const signing = await signingContext(bundle, ctx.secrets)
  return { signing, alg: signingAlg(signing), parties: await idTokenParties(ctx, bundle, user, scopes),
    format: bundle.provider.accessTokenFormat }
}

/** An access token to sign: its `jti`, the facts of its row, its audience and its DPoP binding. */
export interface AccessToSign {
  jti: string
  facts: StoredFacts
  /** RFC 8707: its resources (null: the default audience). */
  audience: readonly string[] | null
}

/**
 * authentik §3.5: the access token (its ID token claims plus `azp`, `uid`, `scope`; `aud` the RFC 8707 resources
 * when there are some), or with `access_token_format: rfc9068` the RFC 9068 token, with `cnf` when the request
 * carried a DPoP proof; signed.
 */
export async function signAccessToken(ctx: IssueContext, base: TokenBase, access: AccessToSign,
  scopes: readonly string[]): Promise<string> {
  const idToken = idTokenClaims(base.parties, access.facts, { jti: access.jti })
  const { payload, typ } = base.format === 'rfc9068' ? jwtAccessToken(base.parties, access.facts, access, idToken, scopes)
    : {
      payload: accessTokenClaims(idToken, base.parties.clientId, scopes, await accessTokenUid(ctx.secrets, access.jti),
        access.audience),
      typ: undefined,
    }
  // RFC 9449 §6: `cnf` after the shaping, so that both formats carry it.
  return encode(base.signing, withConfirmation(payload, ctx.dpop), { keys: ctx.keys, jti: access.jti, ...(typ && { typ }) })
}

/** The signed (optionally encrypted) ID token of `facts`. */
export function signIdToken(ctx: IssueContext, base: TokenBase, facts: StoredFacts, extras: IdTokenExtras = {}):
  Promise<string> {
  return encode(base.signing, idTokenClaims(base.parties, facts, extras), { keys: ctx.keys })
}

/** A grant's tokens whose rows its one statement stored: what they are signed from. */
export interface StoredGrant {
  bundle: ProviderBundle
  user: ClaimUser
  scopes: readonly string[]
  access: { jti: string; stored: StoredToken; audience: readonly string[] | null }
  /** The refresh token's value, when its row was stored. */
  refresh: string | null
}

/** What the token endpoint answers with. */
export interface IssuedTokens {
  access: { jwt: string; jkt: string | null }
  /** The signed (optionally encrypted) ID token of the response. */
  idToken: string
  /** `expires_in` (RFC 6749 §5.1): the access token's validity in whole seconds. */
  expiresIn: number
  refresh: { value: string } | null
}

/**
 * authentik `create_code_response` / `create_refresh_response` / `create_client_credentials_response` (§3.4,
 * §3.5), after the statement stored the rows: the access token and the ID token, both from the access token's
 * facts (the ID token with the authorization's `nonce` when the facts keep one), signed.
 */
export async function signStoredGrant(ctx: IssueContext, grant: StoredGrant): Promise<IssuedTokens> {
  const base = await tokenBase(ctx, grant.bundle, grant.user, grant.scopes)
  const { facts } = grant.access.stored
  const [jwt, idToken] = await Promise.all([
    signAccessToken(ctx, base, { jti: grant.access.jti, facts, audience: grant.access.audience }, grant.scopes),
    signIdToken(ctx, base, facts),
  ])
  return {
    access: { jwt, jkt: ctx.dpop?.jkt ?? null },
    idToken,
    expiresIn: Math.trunc(grant.bundle.provider.accessTokenValidityMs / 1000),
    refresh: grant.refresh === null ? null : { value: grant.refresh },
  }
}
