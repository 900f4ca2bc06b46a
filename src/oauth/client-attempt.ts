import type { SQL } from 'drizzle-orm'
import { changesCte, type AttemptChange, type AttemptReservation } from '../db/attempt-reservation.ts'
import { attemptWindow, type AttemptWindow } from '../db/rate-limits.ts'
import { accountKeys, type AccountKeys, type AccountLimits } from './account-limits.ts'

/**
 * The attempt a client-authenticated request holds on the brute-force counters (src/db/attempt-reservation.ts):
 * statement 1 reserves it on the (address, client) and address counters, the outcome settles it. A failure keeps
 * what it counts against (src/oauth/failure-limits.ts); anything else gives the attempt back, inside a write the
 * request makes anyway when it has one (`giveBack`), else after the answer, so that honest use costs nothing.
 */
export interface ClientAttempt {
  window: AttemptWindow
  /** The counters reserved and not given back yet. */
  held: Set<string>
  /** Whether statement 1 found the client. */
  known: boolean
}

export function newClientAttempt(now: Date): ClientAttempt {
  return { window: attemptWindow(now), held: new Set(), known: false }
}

/** The counter keys of a client request (src/oauth/account-limits.ts) and its wrong secrets from the address. */
export interface ClientKeys extends AccountKeys {
  /**
   * `client-failed:<address>|<client_id>`: only wrong secrets (`accountAddress` also holds attempts in flight),
   * so that the per-client limit refuses only addresses that failed, never one that merely has requests running.
   */
  failed: string
}

export function clientKeys(clientId: string, ip: string | undefined): ClientKeys {
  return { ...accountKeys('client', 'token-ip', clientId, ip), failed: `client-failed:${ip ?? ''}|${clientId}` }
}

/** What statement 1 reserves for `keys` under `limits`. */
export function reservationOf(keys: ClientKeys, limits: AccountLimits, window: AttemptWindow): AttemptReservation {
  return {
    window,
    pair: { key: keys.accountAddress, limit: limits.perAccountAddress },
    address: keys.address === null ? null : { key: keys.address, limit: limits.perAddress },
    account: { failedKey: keys.failed, key: keys.account, limit: limits.perAccount },
  }
}

/**
 * The counter moves that leave `keep` counted (reserving what is not held yet, giving back what is held and not
 * kept) and count one more against each of `bump`; the attempt then holds nothing.
 */
export function settle(attempt: ClientAttempt, keep: readonly string[], bump: readonly string[] = []): AttemptChange[] {
  const kept = new Set(keep)
  const changes: AttemptChange[] = []
  for (const key of new Set([...attempt.held, ...kept])) {
    const delta = (kept.has(key) ? 1 : 0) - (attempt.held.has(key) ? 1 : 0)
    if (delta !== 0) changes.push({ key, delta })
  }
  for (const key of bump) changes.push({ key, delta: 1 })
  attempt.held.clear()
  return changes
}

/**
 * For the write statement of a request that has succeeded (a code exchange, a refresh, a revocation): the CTE
 * `given_back` that gives its attempt back in the same statement, or null when it holds none. If the write then
 * finds it lost a race, the failure counts again from nothing held.
 */
export function giveBack(ctx: { attempt: ClientAttempt }): SQL | null {
  const changes = settle(ctx.attempt, [])
  return changes.length === 0 ? null : changesCte('given_back', changes, ctx.attempt.window)
}
