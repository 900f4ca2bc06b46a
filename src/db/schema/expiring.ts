import { sql, type Placeholder, type SQL } from 'drizzle-orm'
import { boolean, index, timestamp, type PgColumn } from 'drizzle-orm/pg-core'

/**
 * authentik's `ExpiringModel`: `expires` (nullable) and `expiring` (default true). A row is live while it
 * is not expiring or its `expires` lies in the future; the purge deletes the others.
 */
export function expiringColumns() {
  return {
    expires: timestamp('expires', { withTimezone: true, mode: 'date' }),
    expiring: boolean('expiring').notNull().default(true),
  }
}

/** The purge scans `(expires) WHERE expiring`, so every expiring table gets this partial index. */
export function expiringIndex(table: string, columns: { expires: PgColumn; expiring: PgColumn }) {
  return index(`${table}_expires_idx`).on(columns.expires).where(sql`${columns.expiring}`)
}

/**
 * The one predicate every read uses: an expired row behaves as absent at once (authentik's default
 * manager hides `expiring AND expires < now`; we also hide `expires = now`, matching the purge's `<=`).
 */
export function isLive(columns: { expires: PgColumn; expiring: PgColumn }, now: Date | Placeholder): SQL {
  return sql`(not ${columns.expiring} or ${columns.expires} > ${instant(now)})`
}

/** `now` as a timestamptz: a placeholder is filled with the ISO text of its time (src/db/prepared.ts). */
export function instant(now: Date | Placeholder): SQL {
  return sql`${now instanceof Date ? now.toISOString() : now}::timestamptz`
}

/** The purge's predicate: expiring rows whose time has come (authentik's `clean_expired_models`). */
export function isExpired(columns: { expires: PgColumn; expiring: PgColumn }, now: Date): SQL {
  return sql`(${columns.expiring} and ${columns.expires} <= ${instant(now)})`
}
