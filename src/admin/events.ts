import { and, asc, desc, eq, sql } from 'drizzle-orm'
import * as z from 'zod'
import { events, isLive } from '../db/schema.ts'
import { pkFilter, searchAny, tablePage, whereEquals } from './list.ts'
import { uuidLookup } from './lookups.ts'
import type { ResourceSpec } from './resource.ts'

type Row = typeof events.$inferSelect

/** authentik `EventSerializer` (without `brand`); `user` is the snapshot taken when the event happened. */
const Output = z.object({
  pk: z.uuid(),
  user: z.union([z.object({ pk: z.number().int(), username: z.string() }), z.object({})]),
  action: z.string(),
  app: z.string(),
  context: z.record(z.string(), z.unknown()),
  client_ip: z.string().nullable(),
  created: z.iso.datetime(),
  expires: z.iso.datetime().nullable(),
})
type Out = z.output<typeof Output>

const Filters = z.object({
  action: z.string().optional(),
  client_id: z.string().optional(),
  /** The snapshot's pk: it outlives the user, so this is no foreign key. */
  user: pkFilter.optional(),
  username: z.string().optional(),
})
const NoInput = z.object({})

function toApi(row: Row): Out {
  return {
    pk: row.id, user: row.user, action: row.action, app: row.app, context: row.context, client_ip: row.clientIp,
    created: row.created.toISOString(), expires: row.expires?.toISOString() ?? null,
  }
}

/** `/api/v3/events/events/`: the audit log, read-only, newest first unless `ordering=created`. */
export const eventResource: ResourceSpec<string, typeof NoInput, typeof Filters, Out> = {
  path: '/events/events/',
  tag: 'events_events',
  noun: 'event',
  lookup: uuidLookup('event_uuid'),
  input: NoInput,
  output: Output,
  filters: Filters,
  async list(c, f, page) {
    const where = and(
      isLive(events, c.var.deps.clock.now()),
      whereEquals(f, { action: events.action, client_id: events.clientId }),
      f.user === undefined ? undefined : sql`${events.user}->>'pk' = ${String(f.user)}`,
      f.username === undefined ? undefined : sql`${events.user}->>'username' = ${f.username}`,
      searchAny(page.search, events.action),
    )
    // Unknown ordering fields are ignored, as DRF's OrderingFilter does.
    const order = page.ordering === 'created' ? asc : desc
    return tablePage(c.var.db, events, where, [order(events.created), order(events.id)], page, toApi)
  },
  async get(c, id) {
    const [row] = await c.var.db.select().from(events)
      .where(and(eq(events.id, id), isLive(events, c.var.deps.clock.now())))
    return row ? toApi(row) : null
  },
}
