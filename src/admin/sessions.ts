import { and, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm'
import * as z from 'zod'
import { endSession } from '../db/sessions.ts'
import { authenticatedSessions, isLive, users } from '../db/schema.ts'
import { pkFilter } from './issued-tokens.ts'
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
  total: sql<number>`count(*) over ()`.mapWith(Number),
}

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
  lookup: uuidLookup('uuid'),
  input: NoInput,
  output: Output,
  filters: Filters,
  async list(c, f, page) {
    const where: SQL[] = [isLive(s, c.var.deps.clock.now())]
    if (f.user !== undefined) where.push(eq(s.userId, f.user))
    if (f.user__username !== undefined) where.push(eq(users.username, f.user__username))
    if (page.search) {
      const like = `%${page.search}%`
      where.push(or(ilike(users.username, like), ilike(s.lastIp, like), ilike(s.lastUserAgent, like))!)
    }
    const cond = and(...where)
    const rows = await c.var.db.select(columns).from(s).innerJoin(users, eq(users.id, s.userId)).where(cond)
      .orderBy(desc(s.created), desc(s.id)).limit(page.pageSize).offset((page.page - 1) * page.pageSize)
    const count = rows[0]?.total ?? (page.page > 1
      ? (await c.var.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(s)
          .innerJoin(users, eq(users.id, s.userId)).where(cond))[0]?.n ?? 0
      : 0)
    return { count, results: rows.map(toApi) }
  },
  async get(c, id) {
    const [row] = await c.var.db.select(columns).from(s).innerJoin(users, eq(users.id, s.userId))
      .where(and(eq(s.id, id), isLive(s, c.var.deps.clock.now())))
    return row ? toApi(row) : null
  },
  async remove(c, id) {
    return (await endSession(c.var.db, id, c.var.deps.clock.now())) !== null
  },
}
