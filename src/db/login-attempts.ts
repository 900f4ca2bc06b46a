import { sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { eventInsertSql, type NewEvent } from './events.ts'
import { attemptCte, limitReached, type Attempt } from './failure-counters.ts'
import { executeKept } from './kept-statements.ts'
import { instant as at, users } from './schema.ts'

/** What sign-in needs of a user; `passwordHash` is null for users without a password. */
export interface SignInUser {
  id: number
  username: string
  isActive: boolean
  passwordHash: string | null
}

/**
 * Sign-in's first statement, before any password is checked: the user named exactly `username` (case-sensitive, as
 * authentik's lookup), or null, and whether the limits are already reached (then no password is checked at all).
 * It writes nothing.
 */
export async function beginSignIn(db: Db, username: string, attempt: Attempt):
  Promise<{ limited: boolean; user: SignInUser | null }> {
  const [row] = rowsOf<{ limited: boolean; id: number | null; username: string; is_active: boolean
    password_hash: string | null }>(await executeKept(db, sql`select
      ${limitReached(attempt.keys, attempt.limits, attempt.window)} as limited, u.id, u.username, u.is_active,
      u.password_hash
    from (select 1) as one left join ${users} u on u.username = ${username}`))
  if (!row || row.id === null) return { limited: row?.limited === true, user: null }
  return { limited: row.limited === true, user: { id: row.id, username: row.username, isActive: row.is_active,
    passwordHash: row.password_hash } }
}

/**
 * The one statement of a failed sign-in: the wrong password counted (src/db/failure-counters.ts, which also writes
 * the suspicious event when the user sees failures from many addresses) and, when the limits allowed it an
 * answer, the `login_failed` event. False: the limits refused it (a burst reached them meanwhile).
 */
export async function recordSignInFailure(db: Db, attempt: Attempt, event: NewEvent, now: Date): Promise<boolean> {
  const [row] = rowsOf<{ allowed: boolean }>(await db.execute(sql`with ${attemptCte(attempt, sql`'secret'`)},
    failed as (${eventInsertSql(event, now, sql`from attempt where allowed`)})
    select (select allowed from attempt) as allowed`))
  return row?.allowed === true
}

/**
 * The first CTEs of a successful sign-in's statement (the one that creates its session, src/db/sessions.ts): the
 * limits checked, nothing counted (a right password from an address at its limit is refused like a wrong one).
 */
export const signInAttempt = (attempt: Attempt): SQL => attemptCte(attempt, sql`'pass'`)

/** Whether the sign-in's statement was allowed (for `createSession`'s `when`). */
export const signInAllowed: SQL = sql`(select allowed from attempt)`

/** The other writes of a successful sign-in, for the same statement: the user's `last_login` and the `login` event. */
export function signInWrites(userId: number, event: NewEvent, now: Date): SQL {
  return sql`touched as (update ${users} set last_login = ${at(now)} where id = ${userId}::int and ${signInAllowed}),
    signed_in as (${eventInsertSql(event, now, sql`where ${signInAllowed}`)})`
}
