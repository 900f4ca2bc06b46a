import { sql, type SQL } from 'drizzle-orm'
import type { Db } from './client.ts'
import { events, instant as ts } from './schema.ts'

/** authentik's default event retention (`event_retention`, days=365). */
const RETENTION_MS = 365 * 86_400_000

export type EventAction =
  | 'login' | 'login_failed' | 'logout' | 'authorize_application' | 'suspicious_request' | 'configuration_error'
  | 'model_created' | 'model_updated' | 'model_deleted' | 'secret_rotate' | 'token_refresh' | 'password_set'

export interface NewEvent {
  action: EventAction
  user?: { pk: number; username: string }
  clientId?: string
  context?: Record<string, unknown>
  clientIp?: string
}

/** The values of one audit-log row, for callers that batch it with other writes. */
export function eventValues(event: NewEvent, now: Date): typeof events.$inferInsert {
  return {
    action: event.action,
    user: event.user ?? {},
    clientId: event.clientId ?? null,
    context: event.context ?? {},
    clientIp: event.clientIp ?? null,
    created: now,
    expires: new Date(now.getTime() + RETENTION_MS),
  }
}

/** Write one audit-log row. Context must never hold a secret or a token. */
export async function recordEvent(db: Db, event: NewEvent, now: Date): Promise<void> {
  await db.insert(events).values(eventValues(event, now))
}

/**
 * The insert of one audit-log row as SQL, to run inside another statement (a data-modifying CTE); `from` (e.g.
 * `from counted where count = 10`) writes it once per row of that query instead of once.
 */
export function eventInsertSql(event: NewEvent, now: Date, from: SQL = sql``): SQL {
  const v = eventValues(event, now)
  return sql`insert into ${events} (action, "user", client_id, context, client_ip, created, expires)
    select ${v.action}::text, ${JSON.stringify(v.user)}::jsonb, ${v.clientId ?? null}::text,
      ${JSON.stringify(v.context)}::jsonb, ${v.clientIp ?? null}::text, ${ts(now)}, ${ts(v.expires as Date)} ${from}`
}
