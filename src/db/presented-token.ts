import { and, eq, or, sql, type SQL } from 'drizzle-orm'
import type { Db } from './client.ts'
import type { ArtefactQuery } from './client-load.ts'
import { also } from './grant-store.ts'
import { accessTokens, isLive, providerFederationProviders, providers, refreshTokens } from './schema.ts'

/** Which table a presented token was found in (RFC 7009 §2.1 / RFC 7662 §2.1 `token_type_hint` values). */
export type TokenKind = 'access_token' | 'refresh_token'

/**
 * A live access or refresh token that a client presented to introspection or revocation, found among its own
 * tokens and those of the providers that federate it.
 */
export interface PresentedToken {
  kind: TokenKind
  id: string
  /** The family the token belongs to (every artefact of one authorization). */
  grantId: string
  /** The provider the token was issued to, and its client_id: the caller's, or one that federates the caller. */
  providerId: number
  clientId: string
  scope: string
  revoked: boolean
  /** The ID token claims stored with the token. */
  idToken: Record<string, unknown>
  /** RFC 8707: an access token's resources (null: the default audience; always null for a refresh token). */
  audience: string[] | null
  /** RFC 9449 §6: the DPoP key thumbprint the token is bound to (null: unbound). */
  jkt: string | null
}

type TokenTable = typeof accessTokens | typeof refreshTokens

function matchIn(db: Db, table: TokenTable, kind: TokenKind, tokenHash: string, now: Date, callerId: SQL) {
  // authentik §4.8/§4.9: the caller's own tokens, and those of a provider whose `jwt_federation_providers`
  // names the caller. Raw aliases only: drizzle would rewrite a schema column to the root alias of statement 1.
  const federating: SQL = sql`${table.providerId} in (select f.provider_id from ${providerFederationProviders} f
    where f.federated_provider_id = ${callerId})`
  return db.select({ found: sql`json_build_object('kind', ${kind}::text, 'id', ${table.id},
      'grantId', ${table.grantId}, 'providerId', ${table.providerId},
      'clientId', (select tp.client_id from ${providers} tp where tp.id = ${table.providerId}),
      'scope', ${table.scope}, 'revoked', ${table.revoked}, 'idToken', ${table.idToken},
      'audience', ${table === accessTokens ? accessTokens.audience : sql`null::jsonb`},
      'jkt', ${table.jkt})` })
    .from(table)
    .where(and(eq(table.tokenHash, tokenHash), isLive(table, now), or(eq(table.providerId, callerId), federating)))
}

/**
 * RFC 7662 §2.1 / RFC 7009 §2.1: the live token hashing to `tokenHash`, as statement 1's artefact. Access tokens
 * are searched first, refresh tokens then, unless `hint` names refresh tokens (the hint orders the search, and
 * the search always extends to the other kind, as both RFCs require). Null when neither matches.
 */
export function presentedToken(db: Db, tokenHash: string, now: Date, hint: string | undefined): ArtefactQuery<PresentedToken> {
  return {
    query: (callerId) => {
      const access = matchIn(db, accessTokens, 'access_token', tokenHash, now, callerId)
      const refresh = matchIn(db, refreshTokens, 'refresh_token', tokenHash, now, callerId)
      const [first, second] = hint === 'refresh_token' ? [refresh, access] : [access, refresh]
      return sql`coalesce(${first}, ${second})`
    },
    decode: (json) => json as PresentedToken,
  }
}

/**
 * RFC 7009 §2.1: delete the token (authentik deletes rather than marks it). Safer than authentik: a refresh token
 * takes the access tokens of its grant with it ("SHOULD also invalidate all access tokens based on the same
 * authorization grant"); the family's rotated-out refresh tokens stay, revoked, so that a replay is still seen.
 * One statement (with `extra`, a CTE of the caller's).
 */
export async function revokePresentedToken(
  db: Db, token: Pick<PresentedToken, 'kind' | 'id'>, extra: SQL | null = null,
): Promise<void> {
  // The statement's own work comes first: a statement that begins with the give-back is the one run after an
  // answer (test/support/neon-http.ts tells them apart by that).
  if (token.kind === 'access_token') {
    await db.execute(sql`with gone as (delete from ${accessTokens} where ${accessTokens.id} = ${token.id}::uuid
      returning id)${also(extra)} select count(*) from gone`)
    return
  }
  await db.execute(sql`with gone as (
      delete from ${refreshTokens} where ${refreshTokens.id} = ${token.id}::uuid returning provider_id, grant_id)${also(extra)}
    delete from ${accessTokens} a using gone where a.provider_id = gone.provider_id and a.grant_id = gone.grant_id`)
}
