import { sql, type SQL } from 'drizzle-orm'
import { COUNTERS_ONLY_COMMIT } from './async-commit.ts'
import { rowsOf, type Db } from './client.ts'
import { distinctAddressCtes, type AttemptCounts, type AttemptWindow, type DistinctAddresses } from './rate-limits.ts'
import { instant as ts, loginAttempts } from './schema.ts'

/**
 * Count and check in one step (issue 9 §3: limits hold under concurrency). The first statement of a
 * client-authenticated request reserves an attempt on its (address, client) and address counters by an upsert
 * that only counts while a counter is under its limit: the upsert takes the row's lock, so parallel requests get
 * their numbers one after another and a burst gets no more than the limit evaluated. An attempt that turns out
 * not to count (a success, an error that is no failure) is given back later ({@link settleSql}); a refused
 * request counts nothing.
 */
export interface AttemptReservation {
  window: AttemptWindow
  /** Reserved only when the statement's `provider` CTE found the client. */
  pair: { key: string; limit: number }
  /** Null when the address is unknown. */
  address: { key: string; limit: number } | null
  /**
   * The per-account limit, read (not reserved: in-flight requests of clean addresses must never count against
   * them): the pair is refused when `failedKey` (wrong secrets from this address) > 0 and `key` >= `limit`.
   */
  account: { failedKey: string; key: string; limit: number }
}

/** What the reservation got: the counts after it (null: not reserved) and the counts it read before. */
export interface ReservedAttempts {
  pair: number | null
  address: number | null
  before: { failed: number; account: number; address: number }
}

const countOf = (key: string, window: AttemptWindow): SQL => sql`coalesce((select l.count from ${loginAttempts} l
  where l.key = ${key}::text and l.window_start = ${ts(window.start)}), 0)`

function reserveOne(name: string, key: string, limit: number, window: AttemptWindow, when: SQL): SQL {
  return sql`${sql.raw(name)} as (insert into ${loginAttempts} (key, window_start, count, expires, expiring)
      select ${key}::text, ${ts(window.start)}, 1, ${ts(window.end)}, true from attempt_before where ${when}
      on conflict (key, window_start) do update set count = ${loginAttempts.count} + 1
        where ${loginAttempts.count} < ${limit}::int
      returning count)`
}

/**
 * The CTEs `attempt_before`, `attempt_pair` and `attempt_address` of {@link AttemptReservation}, for a statement
 * with a `provider` CTE. The address is reserved after the pair (for an unknown client, alone), so every
 * statement locks the two rows in the same order; the pair is not reserved when the address was already full.
 */
export function reservationCtes(r: AttemptReservation): SQL {
  const { window } = r
  const before = sql`attempt_before as (select ${countOf(r.account.failedKey, window)} as failed,
      ${countOf(r.account.key, window)} as account,
      ${r.address ? countOf(r.address.key, window) : sql`0`} as address)`
  const pairWhen = sql`exists (select 1 from provider) and not (failed > 0 and account >= ${r.account.limit}::int)
    and ${r.address ? sql`address < ${r.address.limit}::int` : sql`true`}`
  const pair = reserveOne('attempt_pair', r.pair.key, r.pair.limit, window, pairWhen)
  const address = r.address
    ? reserveOne('attempt_address', r.address.key, r.address.limit, window,
      sql`exists (select 1 from attempt_pair) or not exists (select 1 from provider)`)
    : sql`attempt_address as (select null::int as count where false)`
  return sql`${before}, ${pair}, ${address}`
}

/** The select list entries that {@link reservedOf} reads. */
export const reservationColumns: SQL = sql`(select count from attempt_pair) as attempt_pair,
  (select count from attempt_address) as attempt_address,
  (select row_to_json(attempt_before) from attempt_before) as attempt_before`

export interface ReservationRow {
  attempt_pair: number | string | null
  attempt_address: number | string | null
  attempt_before: { failed: number | string; account: number | string; address: number | string } | null
}

const num = (v: number | string | null | undefined): number | null => (v === null || v === undefined ? null : Number(v))

export function reservedOf(row: ReservationRow | undefined): ReservedAttempts {
  const b = row?.attempt_before
  return { pair: num(row?.attempt_pair), address: num(row?.attempt_address),
    before: { failed: num(b?.failed) ?? 0, account: num(b?.account) ?? 0, address: num(b?.address) ?? 0 } }
}

/** One counter move: +1 counts an attempt, -1 gives a reserved one back. */
export interface AttemptChange {
  key: string
  delta: number
}

/**
 * The CTE `name`: moves each key's count in the window by its delta in one upsert (a count never drops below
 * zero), in key order so that concurrent statements lock rows alike and cannot deadlock; returns `key, count`.
 */
export function changesCte(name: string, changes: readonly AttemptChange[], window: AttemptWindow): SQL {
  const sorted = [...changes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const values = sql.join(sorted.map((c) => sql`(${c.key}::text, ${c.delta}::int)`), sql`, `)
  const delta = sql.join(sorted.map((c) => sql`when ${c.key}::text then ${c.delta}::int`), sql` `)
  return sql`${sql.raw(name)} as (insert into ${loginAttempts} (key, window_start, count, expires, expiring)
      select v.key, ${ts(window.start)}, greatest(v.delta, 0), ${ts(window.end)}, true
      from (values ${values}) as v(key, delta) order by v.key
      on conflict (key, window_start) do update
        set count = greatest(${loginAttempts.count} + case excluded.key ${delta} end, 0)
      returning key, count)`
}

/**
 * The CTE `bumped` of `changes` and, with `distinct`, its distinct-address CTEs (the failure that makes
 * `distinct.pairKey` 1 is its address's first); selects `key, count` of bumped. For `with`.
 */
export function settleSql(changes: readonly AttemptChange[], window: AttemptWindow,
  distinct?: DistinctAddresses): SQL {
  const bumped = changesCte('bumped', changes, window)
  if (!distinct || !changes.some((c) => c.key === distinct.pairKey && c.delta > 0)) {
    return sql`${bumped} select key, count from bumped`
  }
  const first = sql`exists (select 1 from bumped where key = ${distinct.pairKey}::text and count = 1)`
  return sql`${bumped}, ${distinctAddressCtes({ first, addressesKey: distinct.addressesKey, window,
    threshold: distinct.threshold, event: distinct.event, now: distinct.now })} select key, count from bumped`
}

/**
 * One statement of its own that gives reserved attempts back (`changes`, at least one), named `given_back`; a
 * counter is its only write (src/db/async-commit.ts).
 */
export async function giveBackAttempts(db: Db, changes: readonly AttemptChange[], window: AttemptWindow):
  Promise<void> {
  await db.execute(sql`with ${changesCte('given_back', changes, window)} select count(*), ${COUNTERS_ONLY_COMMIT}
    from given_back`)
}

/** One statement: apply `changes` (at least one); each key's count after it. */
export async function settleAttempts(db: Db, changes: readonly AttemptChange[], window: AttemptWindow,
  distinct?: DistinctAddresses): Promise<AttemptCounts> {
  const rows = rowsOf<{ key: string; count: number | string }>(
    await db.execute(sql`with ${settleSql(changes, window, distinct)}`))
  return Object.fromEntries(rows.map((r) => [r.key, Number(r.count)]))
}
