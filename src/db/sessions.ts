import { and, eq } from 'drizzle-orm'
import type { Db } from './client.ts'
import { authenticatedSessions, isLive } from './schema.ts'

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
