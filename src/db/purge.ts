import { sql } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import { getTableConfig } from 'drizzle-orm/pg-core'
import type { Db } from './client.ts'
import { rowsOf } from './client.ts'
import { queueLogouts } from './logout-outbox.ts'
import {
  accessTokens, appTokens, authenticatedSessions, authorizationCodes, consents, deviceTokens, events,
  loginAttempts, logoutNotifications, pushedAuthorizationRequests, refreshTokens, seenJtis,
} from './schema.ts'

/** Every table with `expires` and `expiring` (authentik's `ExpiringModel`s). Sessions go last: they cascade. */
export const EXPIRING_TABLES: PgTable[] = [
  authorizationCodes, accessTokens, refreshTokens, deviceTokens, pushedAuthorizationRequests, consents, appTokens,
  loginAttempts, seenJtis, logoutNotifications, events, authenticatedSessions,
]

export interface PurgeOptions {
  /** Rows per DELETE statement. */
  batchSize?: number
  /** Stop starting new batches after this long (a Worker's scheduled handler has limited time). */
  budgetMs?: number
}

export interface PurgeResult {
  deleted: Record<string, number>
  complete: boolean
}

/**
 * authentik `clean_expired_models`: delete rows with `expiring AND expires <= now` in bounded batches until
 * none are left or the budget is spent. Live rows are never touched; running it twice is harmless.
 */
export async function purgeExpired(db: Db, now: Date, options: PurgeOptions = {}): Promise<PurgeResult> {
  const batchSize = options.batchSize ?? 5000
  const budgetMs = options.budgetMs ?? 20_000
  const started = Date.now()
  // The budget is wall time spent here; the cut-off `now` stays fixed for the whole run.
  const elapsed = () => Date.now() - started
  const deleted: Record<string, number> = {}
  const cutoff = now.toISOString()
  for (const table of EXPIRING_TABLES) {
    const name = getTableConfig(table).name
    deleted[name] = 0
    for (;;) {
      if (elapsed() >= budgetMs) return { deleted, complete: false }
      // An expired session ends like any other: the same statement queues its back-channel logout calls.
      const sessions = table === authenticatedSessions
      const result = await db.execute(sql`
        with gone as (
          delete from ${table} where ctid in (
            select ctid from ${table}
            where expiring and expires <= ${cutoff}::timestamptz
            limit ${batchSize}
          ) returning ${sessions ? sql`id, user_id, session_key_hash, origin` : sql`1`}
        ) ${sessions ? queueLogouts('gone', now) : sql``} select count(*)::int as n from gone`)
      const n = rowsOf<{ n: number }>(result)[0]?.n ?? 0
      deleted[name] += n
      if (n < batchSize) break
    }
  }
  return { deleted, complete: true }
}
