import { sql } from 'drizzle-orm'
import type { MiddlewareHandler } from 'hono'
import { constantTimeEqual } from '../crypto/hash.ts'
import { rowsOf } from '../db/client.ts'
import { attemptStatement } from '../db/failure-counters.ts'
import { addressKeys, attemptWindow, secondsLeft, WRONG_ADMIN_TOKENS } from '../oauth/limits.ts'
import type { AppEnv } from '../deps.ts'
import { AdminError } from './http.ts'

/** DRF's throttled answer (`Throttled`), with RFC 9110 §10.2.3 `Retry-After` in seconds. */
function throttled(now: Date): AdminError {
  const wait = secondsLeft(attemptWindow(now), now)
  return new AdminError(429, { detail: `Request was throttled. Expected available in ${wait} seconds.` },
    { 'Retry-After': String(wait), 'Cache-Control': 'no-store' })
}

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. Wrong tokens are limited per client address
 * (src/oauth/limits.ts `WRONG_ADMIN_TOKENS`, key `admin-ip:<address>`): one statement checks and, for a wrong one,
 * counts (a parallel burst cannot slip past); once reached, every admin request from that address is refused
 * until the window ends, the right token too, so that a guesser cannot tell a right guess from a refused one.
 * Other addresses are never refused for it. A request without credentials presents nothing to guess and is not
 * counted.
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = c.var.deps.config.adminToken
    const header = c.req.header('Authorization') ?? ''
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!match) throw new AdminError(401, { detail: 'Authentication credentials were not provided.' })
    // No ADMIN_TOKEN configured means nothing authenticates; the comparison still runs for even timing.
    const ok = constantTimeEqual(match[1] ?? '', expected ?? '') && expected !== undefined
    const address = c.var.deps.clientAddress(c)
    const now = c.var.deps.clock.now()
    if (address !== undefined) {
      const limit = { perAccountAddress: WRONG_ADMIN_TOKENS, perAddress: WRONG_ADMIN_TOKENS, perAccount: WRONG_ADMIN_TOKENS }
      const [row] = rowsOf<{ allowed: boolean }>(await c.var.db.execute(attemptStatement(
        { keys: addressKeys('admin-ip', address), limits: limit, window: attemptWindow(now) },
        ok ? sql`'pass'` : sql`'address'`)))
      if (row?.allowed !== true) throw throttled(now)
    }
    if (!ok) throw new AdminError(401, { detail: 'Invalid token.' })
    c.header('Cache-Control', 'no-store')
    await next()
  }
}
