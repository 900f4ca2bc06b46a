import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { users } from './core.ts'
import { expiringColumns, expiringIndex } from './expiring.ts'
import { providers } from './providers.ts'

/** Where a back-channel logout notification stands (OIDC Back-Channel Logout 1.0 §2.5). */
export type LogoutNotificationStatus = 'pending' | 'delivered' | 'failed'

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

/**
 * The outbox of back-channel logout calls: written in the statement that ends a session, sent after the response
 * (`waitUntil`) and retried by the scheduled handler with backoff. Pending rows do not expire; a delivered or
 * finally failed one expires after the retention period and the purge deletes it.
 */
export const logoutNotifications = pgTable('logout_notifications', {
  id: uuid('id').primaryKey().defaultRandom(),
  providerId: integer('provider_id').notNull().references(() => providers.id, { onDelete: 'cascade' }),
  /** The session's user, for `sub` (computed by the provider's sub_mode when sent). */
  userId: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
  /** The ended session's `sid` (the hash of its key). */
  sid: text('sid'),
  /** The ended session's origin, for the issuer when `PUBLIC_URL` is unset (the scheduled run has no request). */
  origin: text('origin'),
  status: text('status').$type<LogoutNotificationStatus>().notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  nextAttempt: at('next_attempt').notNull().defaultNow(),
  lastError: text('last_error'),
  deliveredAt: at('delivered_at'),
  created: at('created').notNull().defaultNow(),
  ...expiringColumns(),
}, (t) => [expiringIndex('logout_notifications', t),
  index('logout_notifications_pending_idx').on(t.nextAttempt).where(sql`${t.status} = 'pending'`),
  check('logout_notifications_expires_set', sql`not ${t.expiring} or ${t.expires} is not null`)])
