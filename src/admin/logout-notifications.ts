import { and, desc, eq } from 'drizzle-orm'
import * as z from 'zod'
import { isLive, logoutNotifications, providers } from '../db/schema.ts'
import { pageOf, pkFilter, whereEquals, windowTotal } from './list.ts'
import { uuidLookup } from './lookups.ts'
import type { ResourceSpec } from './resource.ts'

const n = logoutNotifications

/** One queued back-channel logout call (OIDC Back-Channel Logout 1.0 §2.7): never the logout token itself. */
const Output = z.object({
  pk: z.uuid(),
  provider: z.object({ pk: z.number().int(), name: z.string(), client_id: z.string() }),
  user: z.number().int().nullable(),
  sid: z.string().nullable(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  next_attempt: z.iso.datetime().nullable(),
  last_error: z.string().nullable(),
  delivered_at: z.iso.datetime().nullable(),
  created: z.iso.datetime(),
  expires: z.iso.datetime().nullable(),
})
type Out = z.output<typeof Output>

const Filters = z.object({ status: z.enum(['pending', 'delivered', 'failed']).optional(), provider: pkFilter.optional() })
const NoInput = z.object({})

const columns = {
  id: n.id, userId: n.userId, sid: n.sid, status: n.status, attempts: n.attempts, nextAttempt: n.nextAttempt,
  lastError: n.lastError, deliveredAt: n.deliveredAt, created: n.created, expires: n.expires,
  provider: { pk: providers.id, name: providers.name, client_id: providers.clientId }, total: windowTotal(),
}
type Row = Omit<Out, 'pk' | 'user' | 'next_attempt' | 'last_error' | 'delivered_at' | 'created' | 'expires'> & {
  id: string; userId: number | null; nextAttempt: Date; lastError: string | null; deliveredAt: Date | null
  created: Date; expires: Date | null
}

function toApi(r: Row): Out {
  return {
    pk: r.id, provider: r.provider, user: r.userId, sid: r.sid, status: r.status, attempts: r.attempts,
    next_attempt: r.status === 'pending' ? r.nextAttempt.toISOString() : null, last_error: r.lastError,
    delivered_at: r.deliveredAt?.toISOString() ?? null, created: r.created.toISOString(),
    expires: r.expires?.toISOString() ?? null,
  }
}

/** `/api/v3/oauth2/logout_notifications/`: the back-channel logout outbox, read-only, newest first. */
export const logoutNotificationResource: ResourceSpec<string, typeof NoInput, typeof Filters, Out> = {
  path: '/oauth2/logout_notifications/',
  tag: 'oauth2_logout_notifications',
  lookup: uuidLookup('id'),
  input: NoInput,
  output: Output,
  filters: Filters,
  async list(c, f, page) {
    const where = and(isLive(n, c.var.deps.clock.now()), whereEquals(f, { status: n.status, provider: n.providerId }))
    const joined = c.var.db.select(columns).from(n).innerJoin(providers, eq(providers.id, n.providerId))
    return pageOf(c.var.db, n, where, page, (range) => joined.where(where)
      .orderBy(desc(n.created), desc(n.id)).limit(range.limit).offset(range.offset), (r) => toApi(r as Row))
  },
  async get(c, id) {
    const [row] = await c.var.db.select(columns).from(n).innerJoin(providers, eq(providers.id, n.providerId))
      .where(and(eq(n.id, id), isLive(n, c.var.deps.clock.now())))
    return row ? toApi(row as Row) : null
  },
}
