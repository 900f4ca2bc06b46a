import { sql } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { executeKept } from './kept-statements.ts'
import { proofJtiParts, type ProofJtiRecord } from './proof-jti.ts'
import { accessTokens, applications, isLive, providers, providerScopeMappings, scopeMappings } from './schema.ts'
import type { RedirectURI, ScopeExpression } from './schema.ts'
import type { StoredFacts } from './token-rows.ts'
import { claimUserJson, type ClaimUser } from './user-claims.ts'

/**
 * A live access token as a bearer-protected endpoint needs it: its grant, its user and what claims read of its
 * provider. `provider`, `application` and `scopeMappings` have the shape `scopeClaims` takes (`ClaimProvider`).
 */
export interface BearerAccessToken {
  id: string
  /** Still returned when revoked: presenting a revoked token is itself worth an event. */
  revoked: boolean
  scopes: string[]
  /** The facts its ID token claims are made of (`nonce`, ...: src/db/token-rows.ts). */
  facts: StoredFacts
  user: ClaimUser | null
  /** When the user joined (ISO 8601), for GitHub's `/user`; null without a user. */
  userJoined: string | null
  provider: { id: number; name: string; clientId: string; subMode: string; redirectUris: RedirectURI[]
    dpopRequireNonce: boolean }
  /** RFC 9449 §6: the DPoP key it is bound to (null: a bearer token). */
  jkt: string | null
  /** RFC 8707: the resources it was issued for (null: the default audience, the client). */
  audience: string[] | null
  /** Whether the statement recorded the presented proof's `jti` (false: a replay); null without a proof. */
  proofFresh: boolean | null
  application: { id: string; name: string; slug: string; metaLaunchUrl: string } | null
  /** Ordered by scope name, then mapping name, as `loadProvider*` orders them. */
  scopeMappings: Array<{ name: string; scopeName: string; expression: ScopeExpression }>
}

type Row = Omit<BearerAccessToken, 'scopes'> & { scope: string }

/**
 * The live access token whose lookup hash is `tokenHash` (src/oauth/presented-jti.ts), revoked or not, with all
 * userinfo reads: one statement,
 * which also records a DPoP proof's `jti` (RFC 9449 §11.1) when one came with the token.
 */
export async function findBearerAccessToken(
  db: Db, tokenHash: string, now: Date, proofJti?: ProofJtiRecord | null,
): Promise<BearerAccessToken | null> {
  const proof = proofJtiParts(proofJti, now)
  const rows = rowsOf<Row>(await executeKept(db, sql`${proof.withClause}
    select ${accessTokens.id} as "id", ${accessTokens.revoked} as "revoked",
      ${accessTokens.jkt} as "jkt", ${accessTokens.audience} as "audience", ${proof.fresh} as "proofFresh",
      ${accessTokens.scope} as "scope", ${accessTokens.idToken} as "facts",
      ${claimUserJson(sql`${accessTokens.userId}`)} as "user",
      (select to_json(u.created) from users u where u.id = ${accessTokens.userId}) as "userJoined",
      json_build_object('id', ${providers.id}, 'name', ${providers.name}, 'clientId', ${providers.clientId},
        'subMode', ${providers.subMode}, 'redirectUris', ${providers.redirectUris},
        'dpopRequireNonce', ${providers.dpopRequireNonce}) as "provider",
      (select json_build_object('id', a.id, 'name', a.name, 'slug', a.slug, 'metaLaunchUrl', a.meta_launch_url)
        from ${applications} a where a.provider_id = ${providers.id}) as "application",
      coalesce((select json_agg(json_build_object('name', m.name, 'scopeName', m.scope_name, 'expression', m.expression)
          order by m.scope_name, m.name)
        from ${providerScopeMappings} l join ${scopeMappings} m on m.id = l.scope_mapping_id
        where l.provider_id = ${providers.id}), '[]'::json) as "scopeMappings"
    from ${accessTokens} join ${providers} on ${providers.id} = ${accessTokens.providerId}
    where ${accessTokens.tokenHash} = ${tokenHash} and ${isLive(accessTokens, now)}`))
  const row = rows[0]
  if (!row) return null
  const { scope, ...token } = row
  // The database's collation may order names differently from JS; claims must merge as in the ID token.
  token.scopeMappings.sort((a, b) => a.scopeName.localeCompare(b.scopeName) || a.name.localeCompare(b.name))
  return { ...token, scopes: scope.split(' ').filter((s) => s !== '') }
}

