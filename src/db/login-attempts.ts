import { and, eq, inArray, sql, type SQL } from 'drizzle-orm'
import { COUNTERS_ONLY_COMMIT } from './async-commit.ts'
import { rowsOf, type Db } from './client.ts'
import { executeKept } from './kept-statements.ts'
import { eventInsertSql, type NewEvent } from './events.ts'
import { bumpAttempts, distinctAddressCtes, type AttemptCounts, type AttemptWindow } from './rate-limits.ts'
import { loginAttempts, users } from './schema.ts'

/**
 * Sign-in's limits per 15-minute window (src/oauth/account-limits.ts): 10 failures per user and address, 50 per
 * address over all users (an office behind one NAT shares it), and 20 per user from any address, which only
 * refuses addresses that have failed for that user.
 */
export const SIGN_IN_LIMITS = { perAccountAddress: 10, perAddress: 50, perAccount: 20 } as const

/** What sign-in needs of a user; `passwordHash` is null for users without a password. */
export interface SignInUser {
  id: number
  username: string
  isActive: boolean
  passwordHash: string | null
}

/**
 * One statement, before any password is checked: count this attempt against every key in the window (an upsert;
 * the row expires with the window, for the purge) and read the user named exactly `username` (case-sensitive,
 * as authentik's lookup), or null. `attempts` holds each key's count after this one, so parallel requests each
 * get their own numbers and a burst cannot slip past a limit. Its only write is the count, so it commits without
 * waiting for the WAL (src/db/async-commit.ts).
 */
export async function beginSignIn(
  db: Db, username: string, keys: readonly string[], window: AttemptWindow,
): Promise<{ attempts: AttemptCounts; user: SignInUser | null }> {
  const bump = bumpAttempts(db, keys, window)
  const rows = rowsOf<{ attempts: Record<string, number | string> | null; id: number | null; username: string
    is_active: boolean; password_hash: string | null }>(await executeKept(db, sql`with bumped as (${bump.getSQL()})
    select (select json_object_agg(key, count) from bumped) as attempts, u.id, u.username, u.is_active,
      u.password_hash, ${COUNTERS_ONLY_COMMIT}
    from (select 1) as one left join ${users} u on u.username = ${username}`))
  const row = rows[0]
  const attempts = Object.fromEntries(Object.entries(row?.attempts ?? {}).map(([k, n]) => [k, Number(n)]))
  if (!row || row.id === null) return { attempts, user: null }
  return { attempts, user: { id: row.id, username: row.username, isActive: row.is_active,
    passwordHash: row.password_hash } }
}

/**
 * The one statement of a failed sign-in (its attempt stays counted): the `login_failed` event and, when
 * `firstFromAddress`, one more distinct failing address for the user, with `suspicious` written when that makes
 * `threshold` (src/db/rate-limits.ts `distinctAddressCtes`).
 */
export async function recordSignInFailure(db: Db, options: {
  event: NewEvent; firstFromAddress: boolean; addressesKey: string; window: AttemptWindow; threshold: number
  suspicious: NewEvent; now: Date
}): Promise<void> {
  const { now } = options
  await db.execute(sql`with failed as (${eventInsertSql(options.event, now)}),
    ${distinctAddressCtes({ first: options.firstFromAddress ? sql`true` : sql`false`,
      addressesKey: options.addressesKey, window: options.window, threshold: options.threshold,
      event: options.suspicious, now })}
    select 1`)
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
    signed_in as (${eventInsertSql(event, now)})`
}
