import { sql } from 'drizzle-orm'
import { importX509, type JWK, type JWTPayload } from 'jose'
import { sha256Hex } from '../crypto/hash.ts'
import type { AssertionSource, AssertionTrust, FederatedToken } from '../db/assertion-trust.ts'
import type { GeneratedAccount } from '../db/credentials-grant.ts'
import type { ApplicationRow, ProviderBundle } from '../db/providers.ts'
import { holdsUnstorableText } from '../db/storable.ts'
import { peekAssertion, verifyAssertion, verifyWith, type PeekedAssertion } from '../oauth/client-assertion.ts'
import { keyAlg } from '../oauth/issuer.ts'
import { inlineKeys, remoteKeys } from '../oauth/remote-jwks.ts'
import { presentationRefusal } from '../oauth/token-presentation.ts'
import { EXPIRES, GENERATED } from './service-subject.ts'
import type { GrantContext } from './types.ts'

/** Whose the tokens of a verified client assertion are, and what its `login` event and replay record hold. */
export interface AssertionSubject {
  account: { kind: 'existing'; userId: number } | { kind: 'generated'; generated: GeneratedAccount }
  methodArgs: Record<string, unknown>
  /** RFC 7523 §3 item 7: its `jti`, remembered until it expires (null: it has none to remember). */
  jti: { key: string; expires: Date } | null
}

/** A source's keys: its inline JWKS, and its JWKS URL's when the inline set lacks the assertion's `kid`. */
async function sourceKeys(ctx: GrantContext, source: AssertionSource, kid: unknown): Promise<JWK[]> {
  const inline = inlineKeys(source.jwks)
  if (source.jwksUrl === '' || inline.some((k) => k.kid === kid)) return inline
  return [...inline, ...(await remoteKeys(ctx.fetch, ctx.remoteJwks, source.jwksUrl, ctx.now) ?? [])]
}

/** authentik `__validate_jwt_from_source`, safer (see `verifyAssertion`): the first source whose key verifies it. */
async function fromSources(ctx: GrantContext, assertion: string, peeked: PeekedAssertion, sources: AssertionSource[]):
  Promise<{ payload: JWTPayload; source: AssertionSource } | null> {
  const keySets = await Promise.all(sources.map((s) => sourceKeys(ctx, s, peeked.header.kid)))
  for (const [i, source] of sources.entries()) {
    const payload = await verifyAssertion(assertion, peeked, keySets[i] ?? [], ctx.now)
    if (payload) return { payload, source }
  }
  return null
}

/**
 * authentik `__validate_jwt_from_provider`: an access token a federated provider issued, still stored and live,
 * verified with that provider's key and algorithm only (HS256 with its secret when it has no key; an encrypted
 * token is not a JWS and was refused before).
 */
async function fromProvider(ctx: GrantContext, assertion: string, peeked: PeekedAssertion, federated: FederatedToken):
  Promise<JWTPayload | null> {
  const { provider } = federated
  // A token signed before the provider's last rotation names the previous key, still valid with its tokens.
  const previous = federated.previousSigningKey
  const signingKey = previous && previous.kid === peeked.header.kid ? previous : federated.signingKey
  const alg = signingKey ? keyAlg(signingKey) : 'HS256'
  let key: CryptoKey
  try {
    key = signingKey ? await importX509(signingKey.certificateData, alg)
      : await ctx.keys.getHmacKey(await ctx.secrets.open(provider.clientSecretSealed))
  } catch {
    return null
  }
  return verifyWith(assertion, key, alg, ctx.now)
}

/**
 * RFC 7523 §3 item 7: a `jti` is remembered until its assertion expires; a second use inside that is a replay. A
 * long one is kept as its SHA-256, so that no client-chosen length reaches the key's index.
 */
async function seenJti(issuer: string, payload: JWTPayload): Promise<AssertionSubject['jti']> {
  if (typeof payload.jti !== 'string' || typeof payload.exp !== 'number') return null
  const jti = payload.jti.length > 128 ? `sha256:${await sha256Hex(payload.jti)}` : payload.jti
  return { key: `assertion:${issuer}:${jti}`, expires: new Date(payload.exp * 1000) }
}

const stringClaim = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
const text = (v: string) => sql`${v}::text`

/**
 * authentik `__post_init_client_credentials_jwt` (§4.5, RFC 7523 §2.2): the assertion (`client_assertion`, else
 * `client_secret`) verified by a federation source, whose subject becomes a generated service account
 * `<provider name>-<sub>`, or else a federated provider's access token, whose user becomes the subject. Null when
 * nothing verifies it, or it is unusable (its claims hold what Postgres cannot store, it has no `sub`, its user is
 * inactive, or a federated token may not be presented here: src/oauth/token-presentation.ts).
 */
export async function verifyAssertionSubject(ctx: GrantContext, assertion: string, trust: AssertionTrust,
  bundle: ProviderBundle, application: ApplicationRow): Promise<AssertionSubject | null> {
  const peeked = peekAssertion(assertion)
  if (!peeked) return null
  const verified = await fromSources(ctx, assertion, peeked, trust.sources)
  if (verified) {
    const { payload, source } = verified
    // Its claims go into the login event (and its name and email into the account): text Postgres cannot hold
    // would fail that statement, so it is refused here as any other unusable assertion is.
    if (holdsUnstorableText(payload)) return null
    // RFC 7523 §3 item 2: the subject is required (authentik would name the user `<provider>-None`).
    const sub = stringClaim(payload.sub)
    if (sub === null) return null
    const email = stringClaim(payload.email)
    return {
      account: { kind: 'generated', generated: {
        // authentik `__create_user_from_jwt`: `<provider name>-<sub>`, at most 150 characters.
        username: text(`${bundle.provider.name}-${sub}`.slice(0, 150)),
        name: text(stringClaim(payload.name) ?? `Autogenerated user from application ${application.name} (client credentials JWT)`),
        email: email === null ? null : text(email),
        path: text(`goauthentik.io/sources/${source.slug}`),
        attributes: { [GENERATED]: true },
        createdAttributes: sql`${JSON.stringify({ [EXPIRES]: payload.exp })}::jsonb`,
      } },
      jti: await seenJti(source.id, payload),
      methodArgs: { jwt: payload, source: { pk: source.id, name: source.name, slug: source.slug } },
    }
  }
  const federated = trust.federated
  const payload = federated ? await fromProvider(ctx, assertion, peeked, federated) : null
  if (!federated || !payload || holdsUnstorableText(payload) || !federated.user?.isActive) return null
  // Safer than authentik, which takes any live token here: a DPoP-bound token only with a proof of its key (else
  // a thief holding the token alone would get an unbound one for its user, RFC 9449 §7), and only a token issued
  // to its client, not one restricted to other resources (RFC 8707 §2); src/oauth/token-presentation.ts.
  if (presentationRefusal(federated, ctx.dpop) !== null) return null
  const { provider } = federated
  return { account: { kind: 'existing', userId: federated.user.id },
    jti: await seenJti(`provider-${provider.id}`, payload),
    methodArgs: { jwt: payload, provider: { pk: provider.id, name: provider.name } } }
}
