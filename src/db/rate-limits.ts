import { and, eq, inArray, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { eventInsertSql, type NewEvent } from './events.ts'
import { instant as ts, isLive, loginAttempts } from './schema.ts'

/**
 * Brute-force counters (security.md: sign-in and token endpoints are rate limited per account and per client
 * address), shared by sign-in and the token endpoint: one row of `login_attempts` per key and fixed window.
 * Keys name what is counted (src/oauth/account-limits.ts): `user-ip:`/`ip:`/`user:`/`user-addrs:` for sign-in,
 * `client-ip:`/`token-ip:`/`client:`/`client-failed:`/`client-addrs:` for the client-authenticated endpoints (the
 * first two reserved in statement 1, src/db/attempt-reservation.ts), `device-ip:` (hourly)
 * for device authorization requests and `device-code-ip:` for wrong user codes.
 */

/** Attempts are counted per key in fixed windows of this length. */
export const ATTEMPT_WINDOW_MS = 15 * 60_000

export interface AttemptWindow {
  start: Date
  end: Date
}

/** Each key's count in the current window; a key without a row has no attempts. */
export type AttemptCounts = Readonly<Record<string, number>>

/** The fixed window of `lengthMs` that `now` falls in (time floored to the length; 15 minutes unless given). */
export function attemptWindow(now: Date, lengthMs: number = ATTEMPT_WINDOW_MS): AttemptWindow {
  const start = Math.floor(now.getTime() / lengthMs) * lengthMs
  return { start: new Date(start), end: new Date(start + lengthMs) }
}

/** RFC 9110 §10.2.3 `Retry-After`: whole seconds until the window ends. */
export function secondsLeft(window: AttemptWindow, now: Date): number {
  return Math.ceil((window.end.getTime() - now.getTime()) / 1000)
}

/**
 * The upsert that counts one attempt against every key (distinct) in the window, returning each key's count
 * after it; run it alone or as a CTE. Each row expires with its window, for the purge.
 */
export function bumpAttempts(db: Db, keys: readonly string[], window: AttemptWindow) {
  return db.insert(loginAttempts)
    .values(keys.map((key) => ({ key, windowStart: window.start, count: 1, expires: window.end, expiring: true })))
    .onConflictDoUpdate({
      target: [loginAttempts.key, loginAttempts.windowStart],
      set: { count: sql`${loginAttempts.count} + 1` },
    })
    .returning({ key: loginAttempts.key, count: loginAttempts.count })
}

/**
 * A scalar subquery to embed in another statement, so that checking a limit costs no statement of its own: the
 * window's counts of `keys` as a JSON object (`{"key": count}`, null when none has a row).
 */
export function attemptCounts(db: Db, keys: readonly string[], now: Date): SQLWrapper {
  const a = loginAttempts
  return db.select({ counts: sql`json_object_agg(${a.key}, ${a.count})` }).from(a)
    .where(and(inArray(a.key, [...keys]), eq(a.windowStart, attemptWindow(now).start), isLive(a, now)))
}

/**
 * How a failure also counts distinct failing addresses of its account: `pairKey` is the (account, address) key
 * among those bumped; when the bump makes it 1 the address is new (`distinctAddressCtes`).
 */
export interface DistinctAddresses {
  pairKey: string
  addressesKey: string
  threshold: number
  event: NewEvent
  now: Date
}

/** The `bumped` CTE of `keys` and, with `distinct`, its distinct-address CTEs; selects `key, count` of bumped. */
export function countFailureSql(db: Db, keys: readonly string[], window: AttemptWindow, distinct?: DistinctAddresses):
  SQL {
  const bumped = sql`bumped as (${bumpAttempts(db, keys, window).getSQL()})`
  if (!distinct || !keys.includes(distinct.pairKey)) return sql`${bumped} select key, count from bumped`
  const first = sql`exists (select 1 from bumped where key = ${distinct.pairKey}::text and count = 1)`
  return sql`${bumped}, ${distinctAddressCtes({ first, addressesKey: distinct.addressesKey, window,
    threshold: distinct.threshold, event: distinct.event, now: distinct.now })} select key, count from bumped`
}

/** One statement: count one failure against every key (distinct, at least one); the counts after it. */
export async function countFailure(
  db: Db, keys: readonly string[], window: AttemptWindow, distinct?: DistinctAddresses,
): Promise<AttemptCounts> {
  const rows = rowsOf<{ key: string; count: number | string }>(
    await db.execute(sql`with ${countFailureSql(db, keys, window, distinct)}`))
  return Object.fromEntries(rows.map((r) => [r.key, Number(r.count)]))
}

/**
 * CTEs `addrs` and `flagged` for the statement that records a failure: when `first` holds (this is the first
 * failure of its address for the account in the window), one more distinct address is counted against
 * `addressesKey`; the failure that makes it `threshold` also writes `event` (a `suspicious_request`), so the
 * event is written once per account and window however many requests race.
 */
export function distinctAddressCtes(options: {
  first: SQL; addressesKey: string; window: AttemptWindow; threshold: number; event: NewEvent; now: Date
}): SQL {
  const { window } = options
  return sql`addrs as (insert into ${loginAttempts} (key, window_start, count, expires, expiring)
      select ${options.addressesKey}::text, ${ts(window.start)}, 1, ${ts(window.end)}, true where ${options.first}
      on conflict (key, window_start) do update set count = ${loginAttempts.count} + 1 returning count),
    flagged as (${eventInsertSql(options.event, options.now, sql`from addrs where count = ${options.threshold}::int`)})`
}
