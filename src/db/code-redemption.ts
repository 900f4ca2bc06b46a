import { sql, type SQL } from 'drizzle-orm'
import type { StatementRead } from './client-statement.ts'
import { grantedAudience, resourcesGrantable, type ResourceRequest } from './resource-audience.ts'
import { authenticatedSessions, authorizationCodes, instant as at, isLive } from './schema.ts'
import { insertAccess, insertRefresh, NO_REFRESH, storedTokenColumns, type GrantTokenRows } from './token-rows.ts'
import { claimUserJson } from './user-claims.ts'

/**
 * RFC 6749 §4.1.3 in one statement (src/db/client-statement.ts): the client's live code (`c`) with its user and
 * browser session, the checks on it, and its redemption: the code consumed (only if still unconsumed, so of
 * parallel redemptions one wins) and the tokens stored from it.
 */

/** What the token request presents and chose, computed before the statement. */
export interface CodeRedemption extends GrantTokenRows {
  codeHash: string
  redirectUri: string
  /** RFC 7636: the verifier sent (null: none), whether it has the RFC's form, and its S256 (null when not). */
  verifier: string | null
  verifierValid: boolean
  s256: string | null
  resources: ResourceRequest
  now: Date
}

/** The read `code` (alias `c`): the client's live code hashing to `codeHash`, consumed or not. */
export function codeRead(r: CodeRedemption): StatementRead {
  const c = authorizationCodes
  return { name: 'code', alias: 'c', query: sql`select ${c.id} as id, ${c.grantId} as grant_id, ${c.scope} as scope,
      ${c.redirectUri} as redirect_uri, ${c.codeChallenge} as code_challenge,
      ${c.codeChallengeMethod} as code_challenge_method, ${c.consumed} as consumed, ${c.resources} as resources,
      ${claimUserJson(sql`${c.userId}`)} as "user"
    from ${c} where ${c.codeHash} = ${r.codeHash}::text and ${c.providerId} = (select id from provider)
      and ${isLive(c, r.now)} limit 1` }
}

/** The checks on the code, each an SQL boolean over `c` and `p`, in authentik's order (§4.2). */
export function codeChecks(r: CodeRedemption): Record<'found' | 'unconsumed' | 'redirect' | 'pkce' | 'active'
  | 'resources', SQL> {
  return {
    found: sql`c.id is not null`,
    unconsumed: sql`c.consumed is null`,
    // RFC 6749 §4.1.3: the exact redirect URI the code was issued to (authentik does not check this).
    redirect: sql`c.redirect_uri = ${r.redirectUri}::text`,
    // RFC 7636 §4.6: a challenge needs its verifier; a verifier without a challenge is a downgrade; a public
    // client's code must have a challenge (RFC 9700 §2.1.1). A wrong verifier and one of the wrong form alike.
    pkce: sql`case when c.code_challenge is null then ${r.verifier}::text is null and p.client_type <> 'public'
      else ${r.verifierValid}::boolean and case c.code_challenge_method
        when 'S256' then c.code_challenge = ${r.s256}::text else c.code_challenge = ${r.verifier}::text end end`,
    active: sql`coalesce((c."user"->>'isActive')::boolean, false)`,
    resources: resourcesGrantable(r.resources, sql`c.resources`),
  }
}

/**
 * The redemption, when `passed`: the code consumed (if nobody consumed it meanwhile), the access token and, for
 * `offline_access`, the refresh token stored from it (the refresh token keeps the code's whole set of resources,
 * the access token the ones granted now).
 */
export function codeWrites(r: CodeRedemption, passed: SQL): SQL[] {
  const c = authorizationCodes
  const refreshJkt = sql`case when (select client_type from provider) = 'public' then ${r.proofJkt}::text end`
  return [
    sql`audience as (select ${grantedAudience(r.resources, sql`c.resources`)} as value
      from provider p cross join code c)`,
    sql`consumed as (update ${c} set consumed = ${at(r.now)}
      where ${c.id} = (select id from code) and ${c.consumed} is null and ${isLive(c, r.now)} and ${passed}
      returning provider_id, user_id, grant_id, scope, auth_time, session_id, resources, nonce,
        (select s.amr from ${authenticatedSessions} s where s.id = session_id) as amr,
        (select s.session_key_hash from ${authenticatedSessions} s where s.id = session_id) as sid)`,
    sql`access as (${insertAccess('consumed', { ...r.access, audience: sql`(select value from audience)` }, r.now, true)})`,
    sql`refresh_source as (select * from consumed where 'offline_access' = any(string_to_array(scope, ' ')))`,
    sql`refresh as (${insertRefresh('refresh_source', { ...r.refresh, jkt: refreshJkt }, r.now)})`,
  ]
}

/** What the statement answers: the stored tokens, the code's user, scope and family, and the granted audience. */
export const codeColumns: SQL[] = [storedTokenColumns, sql`(select "user" from code) as "user"`,
  sql`(select scope from code) as scope`, sql`(select grant_id from code) as grant_id`,
  sql`(select value from audience) as audience`]

export { NO_REFRESH }
