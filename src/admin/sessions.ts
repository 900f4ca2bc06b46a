import { and, desc, eq, sql } from 'drizzle-orm'
import * as z from 'zod'
import type { Db } from '../db/client.ts'
import { endSession } from '../db/sessions.ts'
import { sendLogoutsAfterResponse } from '../oauth/logout-dispatch.ts'
import { authenticatedSessions, isLive, users } from '../db/schema.ts'
import { pageOf, pkFilter, searchAny, whereEquals, windowTotal } from './list.ts'
import { uuidLookup } from './lookups.ts'
import type { ResourceSpec } from './resource.ts'

const s = authenticatedSessions

/** authentik `AuthenticatedSessionSerializer`, without the session key or its hash. */
const Output = z.object({
  pk: z.uuid(),
  uuid: z.uuid(),
  user: z.object({ pk: z.number().int(), username: z.string() }),
  last_ip: z.string().nullable(),
  last_user_agent: z.string(),
  last_used: z.iso.datetime(),
  login_time: z.iso.datetime(),
  amr: z.array(z.string()),
  expires: z.iso.datetime().nullable(),
})
type Out = z.output<typeof Output>

const Filters = z.object({ user: pkFilter.optional(), user__username: z.string().optional() })
const NoInput = z.object({})

const columns = {
  id: s.id, lastIp: s.lastIp, lastUserAgent: s.lastUserAgent, created: s.created, loginTime: s.loginTime,
  amr: s.amr, expires: s.expires, user: { pk: users.id, username: users.username },
  total: windowTotal(),
}

/** Every session read is one statement: the session joined with its user. */
const joined = (db: Db) => db.select(columns).from(s).innerJoin(users, eq(users.id, s.userId))
/** The same join, for the count of a page past the end. */
const joinedSql = sql`${s} inner join ${users} on ${users.id} = ${s.userId}`

function toApi(row: {
  id: string; lastIp: string | null; lastUserAgent: string; created: Date; loginTime: Date; amr: string[]
  expires: Date | null; user: { pk: number; username: string }
}): Out {
  return {
    pk: row.id, uuid: row.id, user: row.user, last_ip: row.lastIp, last_user_agent: row.lastUserAgent,
    // We do not track use per request (that would be a write on every request); `created` stands in.
    last_used: row.created.toISOString(), login_time: row.loginTime.toISOString(), amr: row.amr,
    expires: row.expires?.toISOString() ?? null,
  }
}

/** `/api/v3/core/authenticated_sessions/`: list, retrieve and end browser sessions. */
export const sessionResource: ResourceSpec<string, typeof NoInput, typeof Filters, Out> = {
  path: '/core/authenticated_sessions/',
  tag: 'core_authenticated_sessions',
  noun: 'authenticated session',
  lookup: uuidLookup('uuid'),
  input: NoInput,
  output: Output,
  filters: Filters,
  async list(c, f, page) {
    const where = and(
      isLive(s, c.var.deps.clock.now()),
      whereEquals(f, { user: s.userId, user__username: users.username }),
      searchAny(page.search, users.username, s.lastIp, s.lastUserAgent),
    )
    return pageOf(c.var.db, joinedSql, where, page, (range) => joined(c.var.db).where(where)
      .orderBy(desc(s.created), desc(s.id)).limit(range.limit).offset(range.offset), (r) => toApi(r))
  },
  async get(c, id) {
    const [row] = await joined(c.var.db).where(and(eq(s.id, id), isLive(s, c.var.deps.clock.now())))
    return row ? toApi(row) : null
  },
  async remove(c, id) {
    const ended = await endSession(c.var.db, id, c.var.deps.clock.now())
    if (ended) sendLogoutsAfterResponse(c, ended.notifications)
    return ended !== null
  },
}
