import { sql, type SQL } from 'drizzle-orm'
import { eventInsertSql, type NewEvent } from './events.ts'
import { instant as ts, loginAttempts } from './schema.ts'

/**
 * The brute-force counters' mechanism (the limits themselves are src/oauth/limits.ts): one row of `login_attempts`
 * per key and fixed window, checked and counted by the database function `edge_attempt` (drizzle/0009), which the
 * statement of the request it limits calls once, as its CTE `attempt`. See that function for why a burst cannot
 * get more failures answered than a limit allows, while requests that are no failure write nothing.
 */

/** Attempts are counted per key in fixed windows of this length. */
export const ATTEMPT_WINDOW_MS = 15 * 60_000

export interface AttemptWindow {
  start: Date
  end: Date
}

/** The fixed window of `lengthMs` that `now` falls in (time floored to the length; 15 minutes unless given). */
export function attemptWindow(now: Date, lengthMs: number = ATTEMPT_WINDOW_MS): AttemptWindow {
  const start = Math.floor(now.getTime() / lengthMs) * lengthMs
  return { start: new Date(start), end: new Date(start + lengthMs) }
}

/** RFC 9110 §10.2.3 `Retry-After`: whole seconds until the window ends. */
export function secondsLeft(window: AttemptWindow, now: Date): number {
  return Math.ceil((window.end.getTime() - now.getTime()) / 1000)
}

/** The limits of one kind of account (src/oauth/limits.ts). */
export interface AccountLimits {
  perAccountAddress: number
  perAddress: number
  perAccount: number
}

/** The counter keys of one request: the account's name and the address's are prefixed by their kind. */
export interface AccountKeys {
  /** `<kind>-ip:<address>|<account>`: the account's failures from the address. Null without an account. */
  accountAddress: string | null
  /** Null without a known address. */
  address: string | null
  /** Null without an account (an unknown client). */
  account: string | null
  /** The account's distinct failing addresses, for the `suspicious_request` event. */
  addresses: string | null
}

/**
 * What a request is to the counters, as an SQL text expression its statement decides: `'secret'`, a wrong secret
 * or password (counted against the pair, the address and the account); `'address'`, an unknown client or a bad
 * artefact (against the address); anything else (`'pass'`) counts nothing but is refused like the rest once a
 * limit is reached.
 */
export type AttemptKind = SQL

/** The parts of {@link attemptCte}: the keys, their limits and the window. */
export interface Attempt {
  keys: AccountKeys
  limits: AccountLimits
  window: AttemptWindow
  /** The `suspicious_request` written when the account's distinct failing addresses reach `threshold`. */
  suspicious?: { event: NewEvent; threshold: number; now: Date }
}

/**
 * The CTE `attempt` (`allowed`: the request may be answered; `addresses`, see `edge_attempt`) of a request whose
 * kind `kind` decides, and the CTE `flagged` that writes the suspicious event once per account and window. A
 * statement calls it once, and gates its own writes on `(select allowed from attempt)`.
 */
export function attemptCte(attempt: Attempt, kind: AttemptKind): SQL {
  const { keys, limits, window } = attempt
  const text = (v: string | null) => sql`${v}::text`
  const cte = sql`attempt as materialized (select allowed, addresses from edge_attempt(${kind}, ${text(keys.accountAddress)},
    ${text(keys.address)}, ${text(keys.account)}, ${text(keys.addresses)}, ${limits.perAccountAddress}::int,
    ${limits.perAddress}::int, ${limits.perAccount}::int, ${ts(window.start)}, ${ts(window.end)}))`
  const s = attempt.suspicious
  if (!s) return cte
  return sql`${cte}, flagged as (${eventInsertSql(s.event, s.now,
    sql`from attempt where addresses = ${s.threshold}::int`)})`
}

/**
 * Whether `keys` have reached their limits, as the statement's snapshot sees them: an early refusal that spares
 * the work of checking a password (the exact decision is `attemptCte`'s, in the statement that counts).
 */
export function limitReached(keys: AccountKeys, limits: AccountLimits, window: AttemptWindow): SQL {
  const count = (key: string | null) => key === null ? sql`0` : sql`coalesce((select l.count from ${loginAttempts} l
    where l.key = ${key}::text and l.window_start = ${ts(window.start)}), 0)`
  const pair = count(keys.accountAddress)
  return sql`(${pair} >= ${limits.perAccountAddress}::int or ${count(keys.address)} >= ${limits.perAddress}::int
    or (${pair} > 0 and ${count(keys.account)} >= ${limits.perAccount}::int))`
}

/** `attemptCte` as a statement of its own; whether the request may be answered. */
export const attemptStatement = (attempt: Attempt, kind: AttemptKind): SQL =>
  sql`with ${attemptCte(attempt, kind)} select (select allowed from attempt) as allowed`
