import { sql } from 'drizzle-orm'
import type { MiddlewareHandler } from 'hono'
import { constantTimeEqual } from '../crypto/hash.ts'
import { rowsOf, type Db } from '../db/client.ts'
import { attemptCounts, attemptWindow, countFailure, secondsLeft } from '../db/rate-limits.ts'
import type { AppEnv } from '../deps.ts'
import { AdminError } from './http.ts'

/**
 * Wrong admin tokens allowed per client address and 15-minute window (src/db/rate-limits.ts, key
 * `admin-ip:<address>`); once reached, every admin request from that address is refused until the window ends,
 * the right token too, so that a guesser cannot tell a right guess from a refused one. Other addresses are never
 * refused for it.
 */
export const MAX_ADMIN_TOKEN_FAILURES = 20

/** DRF's throttled answer (`Throttled`), with RFC 9110 §10.2.3 `Retry-After` in seconds. */
function throttled(now: Date): AdminError {
  const wait = secondsLeft(attemptWindow(now), now)
  return new AdminError(429, { detail: `Request was throttled. Expected available in ${wait} seconds.` },
    { 'Retry-After': String(wait), 'Cache-Control': 'no-store' })
}

/** One statement: this window's count of wrong tokens from `key`. */
async function failuresOf(db: Db, key: string, now: Date): Promise<number> {
  const [row] = rowsOf<{ counts: Record<string, number> | null }>(
    await db.execute(sql`select (${attemptCounts(db, [key], now)}) as counts`))
  return Number(row?.counts?.[key] ?? 0)
}

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. A wrong token is counted in one statement
 * that also answers the count after it (a parallel burst cannot slip past); a right one costs one read of the
 * count. A request without credentials presents nothing to guess and is not counted.
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = c.var.deps.config.adminToken
    const header = c.req.header('Authorization') ?? ''
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!match) throw new AdminError(401, { detail: 'Authentication credentials were not provided.' })
    // No ADMIN_TOKEN configured means nothing authenticates; the comparison still runs for even timing.
    const ok = (await constantTimeEqual(match[1] ?? '', expected ?? '')) && expected !== undefined
    const address = c.var.deps.clientAddress(c)
    const now = c.var.deps.clock.now()
    if (address !== undefined) {
      const key = `admin-ip:${address}`
      const before = ok ? await failuresOf(c.var.db, key, now)
        : ((await countFailure(c.var.db, [key], attemptWindow(now)))[key] ?? 1) - 1
      if (before >= MAX_ADMIN_TOKEN_FAILURES) throw throttled(now)
    }
    if (!ok) throw new AdminError(401, { detail: 'Invalid token.' })
    c.header('Cache-Control', 'no-store')
    await next()
  }
}
