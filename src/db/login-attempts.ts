import { and, eq, inArray, sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { eventValues, type NewEvent } from './events.ts'
import { bumpAttempts, type AttemptWindow } from './rate-limits.ts'
import { events, loginAttempts, users } from './schema.ts'

/** Failed sign-ins allowed per key and window; the next one is refused before the password is checked. */
export const MAX_FAILED_ATTEMPTS = 10

/** What sign-in needs of a user; `passwordHash` is null for users without a password. */
export interface SignInUser {
  id: number
  username: string
  isActive: boolean
  passwordHash: string | null
}

const ts = (d: Date): SQL => sql`${d.toISOString()}::timestamptz`

/**
 * One statement, before any password is checked: count this attempt against every key in the window (an upsert;
 * the row expires with the window, for the purge) and read the user named exactly `username` (case-sensitive,
 * as authentik's lookup), or null. `attempts` is the highest count after this one, so parallel requests each
 * get their own number and a burst cannot slip past the limit.
 */
export async function beginSignIn(
  db: Db, username: string, keys: readonly string[], window: AttemptWindow,
): Promise<{ attempts: number; user: SignInUser | null }> {
  const bump = bumpAttempts(db, keys, window)
  const rows = rowsOf<{ attempts: number | string; id: number | null; username: string; is_active: boolean;
    password_hash: string | null }>(await db.execute(sql`with bumped as (${bump.getSQL()})
    select (select max(count) from bumped) as attempts, u.id, u.username, u.is_active, u.password_hash
    from (select 1) as one left join ${users} u on u.username = ${username}`))
  const row = rows[0]
  const attempts = Number(row?.attempts ?? 0)
  if (!row || row.id === null) return { attempts, user: null }
  return { attempts, user: { id: row.id, username: row.username, isActive: row.is_active,
    passwordHash: row.password_hash } }
}

/** The insert of one audit-log row, to run inside another statement (a data-modifying CTE). */
function eventInsert(event: NewEvent, now: Date): SQL {
  const v = eventValues(event, now)
  return sql`insert into ${events} (action, "user", client_id, context, client_ip, created, expires)
    values (${v.action}, ${JSON.stringify(v.user)}::jsonb, ${v.clientId ?? null}, ${JSON.stringify(v.context)}::jsonb,
      ${v.clientIp ?? null}, ${ts(now)}, ${ts(v.expires as Date)})`
}

/**
 * The writes of a successful sign-in, as CTEs for the statement that creates its session (so sign-in is two
 * statements): give back the attempt {@link beginSignIn} counted (only failures stay counted; earlier failures are
 * not reset), set the user's `last_login` and write the `login` event.
 */
export function signInWrites(
  db: Db, userId: number, keys: readonly string[], window: AttemptWindow, event: NewEvent, now: Date,
): SQL {
  const refund = db.update(loginAttempts).set({ count: sql`greatest(${loginAttempts.count} - 1, 0)` })
    .where(and(inArray(loginAttempts.key, [...keys]), eq(loginAttempts.windowStart, window.start)))
  const touch = db.update(users).set({ lastLogin: now }).where(eq(users.id, userId))
  return sql`refunded as (${refund.getSQL()}), touched as (${touch.getSQL()}),
    signed_in as (${eventInsert(event, now)})`
}
