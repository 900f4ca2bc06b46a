import { and, eq, sql } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { authenticatedSessions, isLive } from './schema.ts'
import { claimUserJson, type ClaimUser } from './user-claims.ts'

export type SessionRow = typeof authenticatedSessions.$inferSelect

/**
 * End one live browser session (authentik: deleting an `AuthenticatedSession`). The foreign keys do the
 * rest in the same statement: its authorization codes and access tokens cascade away, its refresh and
 * device tokens stay with `session_id` set to null (authentik §7.3). Returns the deleted row, or null when
 * there was no live session with that id. The back-channel logout notification (§7.2) hooks in here.
 */
export async function endSession(db: Db, id: string, now: Date): Promise<SessionRow | null> {
  const [row] = await db.delete(authenticatedSessions)
    .where(and(eq(authenticatedSessions.id, id), isLive(authenticatedSessions, now)))
    .returning()
  return row ?? null
}

/** A live browser session with its user, as sign-in, authorization and consent need it. */
export interface ActiveSession {
  id: string
  /** SHA-256 hex of the cookie value; also the OIDC `sid` (authentik: sha256 of the session key). */
  sessionKeyHash: string
  loginTime: Date
  amr: string[]
  user: ClaimUser
}

/** Store a new session (only the hash of its cookie value); its id. */
export async function createSession(db: Db, values: {
  sessionKeyHash: string; userId: number; loginTime: Date; amr: string[]; lastIp: string | null
  lastUserAgent: string; expires: Date
}): Promise<string> {
  const [row] = await db.insert(authenticatedSessions).values({ ...values, created: values.loginTime })
    .returning({ id: authenticatedSessions.id })
  if (!row) throw new Error('insert returned no row')
  return row.id
}

/** The live session whose cookie hashes to `sessionKeyHash`, with its active user; one statement. */
export async function findSession(db: Db, sessionKeyHash: string, now: Date): Promise<ActiveSession | null> {
  const rows = rowsOf<{ id: string; login_time: string | Date; amr: string[]; user: ClaimUser | null }>(
    await db.execute(sql`select ${authenticatedSessions.id} as id, ${authenticatedSessions.loginTime} as login_time,
        ${authenticatedSessions.amr} as amr, ${claimUserJson(sql`${authenticatedSessions.userId}`)} as user
      from ${authenticatedSessions}
      where ${authenticatedSessions.sessionKeyHash} = ${sessionKeyHash} and ${isLive(authenticatedSessions, now)}`))
  const row = rows[0]
  if (!row?.user || !row.user.isActive) return null
  return { id: row.id, sessionKeyHash, loginTime: new Date(row.login_time), amr: row.amr, user: row.user }
}
