import { sql, type SQL } from 'drizzle-orm'
import type { StatementRead } from './client-statement.ts'
import { bundleJson } from './provider-row.ts'
import { accessTokens, instant as at, providerFederationProviders, providers, refreshTokens } from './schema.ts'
import type { StoredFacts } from './token-rows.ts'
import { claimUserJson, type ClaimUser } from './user-claims.ts'

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
  /** The facts its ID token claims are made of (src/db/token-rows.ts). */
  facts: StoredFacts
  /** RFC 8707: an access token's resources (null: the default audience; always null for a refresh token). */
  audience: string[] | null
  /** RFC 9449 §6: the DPoP key thumbprint the token is bound to (null: unbound). */
  jkt: string | null
}

/** What introspection reads besides: the token's user and its provider's bundle (a `BundleRow`), for its claims. */
export interface PresentedTokenClaims {
  user: ClaimUser | null
  bundle: Record<string, unknown>
}

type TokenTable = typeof accessTokens | typeof refreshTokens

function matchIn(table: TokenTable, kind: TokenKind, hash: string, now: Date, withClaims: boolean): SQL {
  const t = sql.raw(table === accessTokens ? 'ta' : 'tr')
  // authentik §4.8/§4.9: the caller's own tokens, and those of a provider whose `jwt_federation_providers`
  // names the caller.
  return sql`(select json_build_object('kind', ${kind}::text, 'id', ${t}.id, 'grantId', ${t}.grant_id,
      'providerId', ${t}.provider_id,
      'clientId', (select tp.client_id from ${providers} tp where tp.id = ${t}.provider_id),
      'scope', ${t}.scope, 'revoked', ${t}.revoked, 'facts', ${t}.id_token,
      'audience', ${table === accessTokens ? sql`${t}.audience` : sql`null::jsonb`}, 'jkt', ${t}.jkt
      ${withClaims ? sql`, 'user', ${claimUserJson(sql`${t}.user_id`)}, 'bundle', ${bundleJson(sql`${t}.provider_id`)}` : sql``})
    from ${table} ${t}
    where ${t}.token_hash = ${hash}::text and (not ${t}.expiring or ${t}.expires > ${at(now)})
      and (${t}.provider_id = (select id from provider) or ${t}.provider_id in (select f.provider_id
        from ${providerFederationProviders} f where f.federated_provider_id = (select id from provider))))`
}

/**
 * RFC 7662 §2.1 / RFC 7009 §2.1: the read `presented` (alias `pt`, its JSON as `token`): the live token whose
 * lookup hash is `hash` (src/oauth/presented-jti.ts). Access tokens are searched first, refresh tokens then,
 * unless `hint` names refresh tokens (the hint orders the search, and the search always extends to the other
 * kind, as both RFCs require). `withClaims`: also its user and its provider's bundle (introspection).
 */
export function presentedTokenRead(hash: string | null, now: Date, hint: string | undefined, withClaims: boolean):
  StatementRead {
  if (hash === null) return { name: 'presented', alias: 'pt', query: sql`select null::json as token` }
  const access = matchIn(accessTokens, 'access_token', hash, now, withClaims)
  const refresh = matchIn(refreshTokens, 'refresh_token', hash, now, withClaims)
  const [first, second] = hint === 'refresh_token' ? [refresh, access] : [access, refresh]
  return { name: 'presented', alias: 'pt', query: sql`select coalesce(${first}, ${second}) as token` }
}

/**
 * RFC 7009 §2.1, when `passed` and `allowed` (an SQL boolean over `pt.token`): delete the token (authentik deletes
 * rather than marks it). Safer than authentik: a refresh token takes the access tokens of its grant with it
 * ("SHOULD also invalidate all access tokens based on the same authorization grant"); the family's rotated-out
 * refresh tokens stay, revoked, so that a replay is still seen.
 */
export function revokePresentedCtes(passed: SQL): SQL[] {
  const token = sql`(select token from presented)`
  return [
    sql`gone_access as (delete from ${accessTokens} where id = (${token} ->> 'id')::uuid
      and ${token} ->> 'kind' = 'access_token' and ${passed})`,
    sql`gone_refresh as (delete from ${refreshTokens} where id = (${token} ->> 'id')::uuid
      and ${token} ->> 'kind' = 'refresh_token' and ${passed} returning provider_id, grant_id)`,
    sql`gone_family as (delete from ${accessTokens} a using gone_refresh g
      where a.provider_id = g.provider_id and a.grant_id = g.grant_id)`,
  ]
}

export const presentedTokenColumn: SQL = sql`(select token from presented) as token`
