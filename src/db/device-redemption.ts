import { sql, type SQL } from 'drizzle-orm'
import type { StatementRead } from './client-statement.ts'
import { resourcesGrantable, type ResourceRequest } from './resource-audience.ts'
import { authenticatedSessions, deviceTokens, instant as at, isLive } from './schema.ts'
import { insertAccess, insertRefresh, storedTokenColumns, type GrantTokenRows } from './token-rows.ts'
import { claimUserJson } from './user-claims.ts'

/**
 * RFC 8628 §3.4-3.5 in one statement (src/db/client-statement.ts): the client's device token (`d`, expired or
 * not: §3.5 tells the two apart until the purge), the checks on it, and either the poll remembered (pending: and
 * whether it came too soon) or the device code redeemed (approved: deleted, the tokens stored from it).
 */

/** What the poll presents and chose, computed before the statement. */
export interface DeviceRedemption extends GrantTokenRows {
  codeHash: string
  resources: ResourceRequest
  now: Date
}

/** The read `device` (alias `d`): the client's device token hashing to `codeHash`, with its user. */
export function deviceRead(q: DeviceRedemption): StatementRead {
  const d = deviceTokens
  return { name: 'device', alias: 'd', query: sql`select ${d.id} as id, ${d.status} as status, ${d.scope} as scope,
      not ${isLive(d, q.now)} as expired, ${d.authTime} as auth_time, ${claimUserJson(sql`${d.userId}`)} as "user"
    from ${d} where ${d.deviceCodeHash} = ${q.codeHash}::text and ${d.providerId} = (select id from provider) limit 1` }
}

/** The checks on the device token, each an SQL boolean over `d` and `p`, in RFC 8628 §3.5's order. */
export function deviceChecks(q: DeviceRedemption): Record<'found' | 'live' | 'undenied' | 'approved' | 'active'
  | 'resources', SQL> {
  return {
    found: sql`d.id is not null`,
    live: sql`not d.expired`,
    undenied: sql`d.status <> 'denied'`,
    approved: sql`d.status <> 'pending'`,
    active: sql`(coalesce((d."user"->>'isActive')::boolean, false) and d.auth_time is not null)`,
    // RFC 8707 §2.2 at the poll (the device authorization request's are not kept): the provider's resources.
    resources: resourcesGrantable(q.resources, null),
  }
}

/**
 * The writes: while pending (the outcome `pending`, which the limits allowed), the poll remembered and whether it
 * came sooner than the interval after the one before (then the interval grows by 5 seconds for this and every
 * later poll: `slow_down`), decided on the row it locks, so that of two polls at once the second sees the first's
 * time; when `passed`, the approved token deleted (once: of two redemptions one wins) and the tokens stored.
 */
export function deviceWrites(q: DeviceRedemption, passed: SQL): SQL[] {
  const d = deviceTokens
  const pending = sql`((select outcome from gate) = 'pending' and (select allowed from attempt))`
  const refreshJkt = sql`case when (select client_type from provider) = 'public' then ${q.proofJkt}::text end`
  return [
    sql`previous_poll as (select ${d.id} as id, ${d.lastPolled} is not null
        and ${d.lastPolled} > ${at(q.now)} - ${d.interval} * interval '1 second' as early
      from ${d} where ${d.id} = (select id from device) and ${pending} for update)`,
    sql`polled as (update ${d} set last_polled = ${at(q.now)},
        interval = case when previous_poll.early then ${d.interval} + 5 else ${d.interval} end
      from previous_poll where ${d.id} = previous_poll.id returning previous_poll.early as early)`,
    sql`consumed as (delete from ${d} where ${d.id} = (select id from device) and ${d.status} = 'approved'
        and ${d.userId} is not null and ${d.authTime} is not null and ${isLive(d, q.now)} and ${passed}
      returning provider_id, user_id, grant_id, scope, auth_time, session_id, null::jsonb as resources,
        null::text as nonce, (select s.amr from ${authenticatedSessions} s where s.id = session_id) as amr,
        (select s.session_key_hash from ${authenticatedSessions} s where s.id = session_id) as sid)`,
    sql`access as (${insertAccess('consumed', { ...q.access,
      audience: q.resources.asked ? sql`${JSON.stringify(q.resources.asked)}::jsonb` : sql`null::jsonb` }, q.now, false)})`,
    sql`refresh_source as (select * from consumed where 'offline_access' = any(string_to_array(scope, ' ')))`,
    sql`refresh as (${insertRefresh('refresh_source', { ...q.refresh, jkt: refreshJkt }, q.now)})`,
  ]
}

/** What the statement answers: the stored tokens, the device token's user and scope, and whether a poll was early. */
export const deviceColumns: SQL[] = [storedTokenColumns, sql`(select "user" from device) as "user"`,
  sql`(select scope from device) as scope`, sql`(select early from polled) as early`]
