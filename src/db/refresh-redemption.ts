import { sql, type SQL } from 'drizzle-orm'
import type { StatementRead } from './client-statement.ts'
import { grantedAudience, resourcesGrantable, type ResourceRequest } from './resource-audience.ts'
import {
  accessTokens, authenticatedSessions, events, instant as at, isLive, providerScopeMappings, refreshTokens,
  scopeMappings,
} from './schema.ts'
import { insertAccess, insertRefresh, storedTokenColumns, type GrantTokenRows } from './token-rows.ts'
import { claimUserJson } from './user-claims.ts'

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2) and the retry window, in one statement (src/db/client-statement.ts):
 * the client's live refresh token (`r`) with its user and the state of its successor, the checks on it, and what
 * the request does, per `mode`: `rotate` (the token revoked, its successor and an access token stored; by default
 * every refresh, `refresh_token_threshold` 0), `keep` (only an access token, while more than the threshold is left)
 * or `retry` (a rotated token presented again within `refresh_token_reuse_interval` while its successor is
 * unused: the successor and the access tokens issued from it revoked, a new one stored in its place).
 */

/** What the token request presents and chose, computed before the statement. */
export interface RefreshRedemption extends GrantTokenRows {
  tokenHash: string
  /** `scope` as asked (split), of which those the provider knows count. */
  scopes: readonly string[]
  resources: ResourceRequest
  clientIp: string | null
  now: Date
}

/**
 * The read `token` (alias `r`): the client's live refresh token hashing to `tokenHash`, revoked or not, with its
 * user, and `retry`: whether the retry window allows it again (rotated, less than the interval ago, and its
 * successor not revoked, not rotated, and without an access token issued from it after it was issued itself).
 */
export function refreshRead(q: RefreshRedemption): StatementRead {
  const t = refreshTokens
  return { name: 'token', alias: 'r', query: sql`select ${t.id} as id, ${t.grantId} as grant_id, ${t.scope} as scope,
      ${t.expires} as expires, ${t.revoked} as revoked, ${t.jkt} as jkt, ${t.idToken} as facts,
      ${t.resources} as resources, ${t.rotated} as rotated, ${t.successorId} as successor_id,
      ${claimUserJson(sql`${t.userId}`)} as "user",
      ${t.rotated} is not null and ${at(q.now)} - ${t.rotated} < (select refresh_token_reuse_interval_ms from provider)
        * interval '1 millisecond' and exists (select 1 from ${t} s where s.id = ${t.successorId}
          and s.provider_id = ${t.providerId} and s.grant_id = ${t.grantId} and not s.revoked and s.rotated is null
          and not exists (select 1 from ${accessTokens} a where a.grant_id = s.grant_id
            and a.provider_id = s.provider_id and a.created > s.created)) as retry
    from ${t} where ${t.tokenHash} = ${q.tokenHash}::text and ${t.providerId} = (select id from provider)
      and ${isLive(t, q.now)} limit 1` }
}

/** authentik §4.3 steps 2-3: the asked scopes the provider knows (none: the token's) within the token's, with `offline_access`. */
function scopeCheck(asked: readonly string[]): SQL {
  const known = sql`array(select m.scope_name from ${providerScopeMappings} pm
    join ${scopeMappings} m on m.id = pm.scope_mapping_id where pm.provider_id = p.id)`
  const list = asked.length === 0 ? sql`array[]::text[]`
    : sql`array[${sql.join(asked.map((s) => sql`${s}::text`), sql`, `)}]`
  return sql`(select e <@ g and 'offline_access' = any(e) from (select case when cardinality(k) > 0 then k else g end
      as e, g from (select array(select a from unnest(${list}) a where a = any(${known})) as k,
        string_to_array(r.scope, ' ') as g) x) y)`
}

/** The checks on the token, each an SQL boolean over `r` and `p`, in authentik's order (§4.3). */
export function refreshChecks(q: RefreshRedemption): Record<'found' | 'unreplayed' | 'bound' | 'scope' | 'active'
  | 'resources', SQL> {
  return {
    found: sql`r.id is not null`,
    unreplayed: sql`(not r.revoked or r.retry)`,
    // RFC 9449 §5: a public client's bound token only with a proof of that key.
    bound: sql`(r.jkt is null or r.jkt = ${q.proofJkt}::text)`,
    scope: scopeCheck(q.scopes),
    active: sql`coalesce((r."user"->>'isActive')::boolean, false)`,
    resources: resourcesGrantable(q.resources, sql`r.resources`),
  }
}

/** The grant's columns a new token copies, and its facts' sources from the presented token. */
const SOURCE = sql`provider_id, user_id, grant_id, scope, auth_time, session_id, resources,
  (select facts -> 'amr' from token) as amr, (select facts ->> 'nonce' from token) as nonce,
  (select s.session_key_hash from ${authenticatedSessions} s where s.id = session_id) as sid`

/** What the request does, per the token's state and the provider's threshold (authentik #21537). */
export function refreshWrites(q: RefreshRedemption, passed: SQL): SQL[] {
  const t = refreshTokens
  const refreshJkt = sql`case when (select client_type from provider) = 'public' then ${q.proofJkt}::text end`
  const mode = sql`(select value from mode)`
  return [
    sql`mode as (select case when r.revoked then 'retry' when p.refresh_token_threshold_ms = 0
        or r.expires - ${at(q.now)} < p.refresh_token_threshold_ms * interval '1 millisecond' then 'rotate'
        else 'keep' end as value from token r cross join provider p)`,
    sql`audience as (select ${grantedAudience(q.resources, sql`r.resources`)} as value
      from provider p cross join token r)`,
    // The retry window: the successor revoked unless it was used meanwhile, a new one stored in its place.
    sql`superseded as (update ${t} set revoked = true
      where ${t.id} = (select successor_id from token) and not ${t.revoked} and ${t.rotated} is null
        and ${mode} = 'retry' and ${passed}
      returning ${SOURCE}, created)`,
    sql`rotated as (update ${t} set revoked = true, rotated = ${at(q.now)}, successor_id = ${q.refresh.id}::uuid
      where ${t.id} = (select id from token) and not ${t.revoked} and ${mode} = 'rotate' and ${passed}
      returning ${SOURCE})`,
    sql`kept as (select ${SOURCE} from ${t}
      where ${t.id} = (select id from token) and not ${t.revoked} and ${mode} = 'keep' and ${passed})`,
    sql`source as (select provider_id, user_id, grant_id, scope, auth_time, session_id, resources, amr, nonce, sid
      from superseded union all select * from rotated union all select * from kept)`,
    sql`access as (${insertAccess('source', { ...q.access, audience: sql`(select value from audience)` }, q.now, false)})`,
    sql`refresh_source as (select * from source where ${mode} <> 'keep')`,
    sql`refresh as (${insertRefresh('refresh_source', { ...q.refresh, jkt: refreshJkt }, q.now)})`,
    sql`relinked as (update ${t} set successor_id = ${q.refresh.id}::uuid
      where ${t.id} = (select id from token) and exists (select 1 from superseded))`,
    sql`gone as (delete from ${accessTokens} a using superseded s
      where a.grant_id = s.grant_id and a.provider_id = s.provider_id and a.created >= s.created)`,
    sql`retried as (insert into ${events} (action, "user", client_id, context, client_ip, created, expires)
      select 'token_refresh', jsonb_build_object('pk', (r."user"->>'id')::int, 'username', r."user"->>'username'),
        p.client_id, jsonb_build_object('message', 'Rotated refresh token retried within the reuse interval',
          'refresh_token_retry', true, 'provider', jsonb_build_object('pk', p.id, 'name', p.name),
          'grant_id', r.grant_id, 'seconds_since_rotation', extract(epoch from ${at(q.now)} - r.rotated)),
        ${q.clientIp}::text, ${at(q.now)}, ${at(q.now)} + interval '365 days'
      from token r cross join provider p where exists (select 1 from superseded))`,
  ]
}

/** What the statement answers: the stored tokens, the mode, and the token's user, scope, family and audience. */
export const refreshColumns: SQL[] = [storedTokenColumns, sql`(select value from mode) as mode`,
  sql`(select "user" from token) as "user"`, sql`(select scope from token) as scope`,
  sql`(select grant_id from token) as grant_id`, sql`(select value from audience) as audience`]
