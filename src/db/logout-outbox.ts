import { sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { instant as ts } from './schema.ts'
import { claimUserJson, type ClaimUser } from './user-claims.ts'

/** How long a delivered or finally failed notification stays visible in the admin API before the purge. */
export const LOGOUT_RETENTION_MS = 7 * 24 * 3_600_000
/** OIDC Back-Channel Logout 1.0 §2.8 leaves retries to us: five attempts in all (authentik's task retries). */
export const MAX_LOGOUT_ATTEMPTS = 5
/** A claimed row is not picked again before this: a Worker cut off mid-send leaves it for a later run. */
export const LOGOUT_LEASE_MS = 2 * 60_000

/**
 * The CTE part (starting with `,`) that queues the back-channel logout calls (OIDC Back-Channel Logout 1.0 §2.7) of
 * the sessions the CTE `ended` removes (it exposes `id`, `user_id`, `session_key_hash`, `origin`): one row per provider with
 * `logout_method = backchannel` and a `logout_uri` that issued the session an access or refresh token. It runs in
 * the statement that ends the sessions, so its snapshot still sees the tokens the cascade removes. Exposes `queued`.
 */
export function queueLogouts(ended: string, now: Date): SQL {
  const e = sql.raw(ended)
  return sql`, queued as (
    insert into logout_notifications (provider_id, user_id, sid, origin, next_attempt, created, expires)
    select p.id, s.user_id, s.session_key_hash, s.origin, ${ts(now)}, ${ts(now)}, ${ts(new Date(now.getTime() + LOGOUT_RETENTION_MS))}
    from ${e} s join oauth2_providers p on p.logout_method = 'backchannel' and p.logout_uri <> ''
    where exists (select 1 from access_tokens a where a.session_id = s.id and a.provider_id = p.id)
       or exists (select 1 from refresh_tokens r where r.session_id = s.id and r.provider_id = p.id)
    returning id)`
}

/** The ids `queueLogouts` queued, as one JSON array column `notifications`. */
export const queuedIds = sql`coalesce((select json_agg(id) from queued), '[]'::json) as notifications`

/** A notification claimed for one delivery attempt. */
export interface ClaimedLogout {
  id: string
  providerId: number
  sid: string | null
  /** The origin its session was signed in on (the issuer's, when `PUBLIC_URL` is unset). */
  origin: string | null
  attempts: number
  user: ClaimUser | null
}

/**
 * Claim pending notifications whose time has come (`ids`: only those), in one statement: their next attempt moves
 * `LOGOUT_LEASE_MS` ahead, so a concurrent run skips them and a run that dies leaves them for a later one.
 */
export async function claimLogouts(db: Db, now: Date, options: { ids?: readonly string[]; limit?: number } = {}):
  Promise<ClaimedLogout[]> {
  const only = options.ids ? sql`and id::text in (select value from jsonb_array_elements_text(${JSON.stringify(options.ids)}::jsonb))` : sql``
  const rows = rowsOf<{ id: string; provider_id: number; sid: string | null; origin: string | null; attempts: number
    user: ClaimUser | null }>(
    await db.execute(sql`with due as (
        select id from logout_notifications where status = 'pending' and next_attempt <= ${ts(now)} ${only}
        order by next_attempt limit ${options.limit ?? 100} for update skip locked
      ), claimed as (
        update logout_notifications n set next_attempt = ${ts(new Date(now.getTime() + LOGOUT_LEASE_MS))}
        from due where n.id = due.id returning n.id, n.provider_id, n.user_id, n.sid, n.origin, n.attempts)
      select id, provider_id, sid, origin, attempts, ${claimUserJson(sql`user_id`)} as user from claimed`))
  return rows.map((r) => ({ id: r.id, providerId: r.provider_id, sid: r.sid, origin: r.origin, attempts: r.attempts,
    user: r.user }))
}

/**
 * Record one attempt (one statement): a 2xx marks it delivered; a failure keeps the error and schedules the next
 * attempt after 1, 2, 4, 8 minutes, or marks it failed after `MAX_LOGOUT_ATTEMPTS`. Final rows expire after the retention.
 */
export async function recordLogoutAttempt(db: Db, id: string, now: Date, error: string | null): Promise<void> {
  const keep = ts(new Date(now.getTime() + LOGOUT_RETENTION_MS))
  if (error === null) {
    await db.execute(sql`update logout_notifications set status = 'delivered', attempts = attempts + 1,
      delivered_at = ${ts(now)}, last_error = null, expiring = true, expires = ${keep} where id = ${id}`)
    return
  }
  await db.execute(sql`update logout_notifications set attempts = attempts + 1, last_error = ${error.slice(0, 500)},
      status = case when attempts + 1 >= ${MAX_LOGOUT_ATTEMPTS} then 'failed' else 'pending' end,
      next_attempt = ${ts(now)} + make_interval(secs => 60 * power(2, attempts)),
      expiring = true,
      expires = case when attempts + 1 >= ${MAX_LOGOUT_ATTEMPTS} then ${keep}
        else greatest(expires, ${keep}) end
    where id = ${id}`)
}
