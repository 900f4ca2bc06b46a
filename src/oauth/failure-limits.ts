import type { SQL } from 'drizzle-orm'
import {
  giveBackAttempts, settleAttempts, settleSql, type AttemptChange, type AttemptReservation, type ReservedAttempts,
} from '../db/attempt-reservation.ts'
import type { ClientGrant } from '../db/client-load.ts'
import type { Db } from '../db/client.ts'
import type { NewEvent } from '../db/events.ts'
import type { ProviderBundle } from '../db/providers.ts'
import { secondsLeft, type AttemptCounts, type DistinctAddresses } from '../db/rate-limits.ts'
import { SUSPICIOUS_ADDRESSES } from './account-limits.ts'
import { clientKeys, reservationOf, settle, type ClientAttempt, type ClientKeys } from './client-attempt.ts'
import type { ClientCredentials } from './client-auth.ts'
import type { ClientContext } from './client-request.ts'
import { OAuthError, type OAuthErrorCode } from './errors.ts'

/**
 * Brute-force limits of the client-authenticated endpoints (token, introspection, revocation, device
 * authorization; security.md), per 15-minute window (src/db/rate-limits.ts), in the shape of
 * src/oauth/account-limits.ts: wrong secrets per client and address (`client-ip:<address>|<client_id>`), failures
 * per address for any client (`token-ip:<address>`; apart from sign-in's `ip:` so that each keeps its own limit),
 * and wrong secrets per client from any address (`client:<client_id>`), which only refuses addresses that sent
 * this client a wrong secret themselves: client ids are public, so failures elsewhere never lock the client out.
 * The first two also count the requests in flight (src/db/attempt-reservation.ts): counted and checked in one
 * step, they hold under a parallel burst; so does the third for an address once its wrong secret is counted.
 */
export const CLIENT_LIMITS = { perAccountAddress: 10, perAddress: 50, perAccount: 100 } as const
export const MAX_ADDRESS_FAILURES = CLIENT_LIMITS.perAddress

/**
 * The answers that count as failures against an address: a wrong client secret or unknown client, and a bad code
 * or refresh token. Against a client (and the client from this address) only a wrong secret counts: an honest
 * client meets `invalid_grant` in normal use (an expired refresh token, a code sent twice, two tabs refreshing),
 * so counting those would let anyone, or the client's own users, lock it out.
 */
const COUNTED: ReadonlySet<OAuthErrorCode> = new Set(['invalid_client', 'invalid_grant'])
const COUNTED_PER_CLIENT: ReadonlySet<OAuthErrorCode> = new Set(['invalid_client'])

/**
 * HTTP 429 (RFC 6585 §4) with `Retry-After` (seconds to the window's end); never cached, like every token error.
 * RFC 6749 §5.2 has no code for throttling (`temporarily_unavailable` belongs to the authorization endpoint and
 * `slow_down` tells a device-flow client to poll more slowly), so the code is the generic `invalid_request`
 * unless the endpoint names its own (device authorization answers `slow_down`, as authentik does).
 */
export class TooManyFailures extends OAuthError {
  constructor(readonly retryAfter: number, code: OAuthErrorCode = 'invalid_request',
    description = 'Too many failed requests; try again later.') {
    super(code, description, 429, 'rate limited')
  }
}


/** The `suspicious_request` of a client that sees wrong secrets from many addresses. */
function distinctOf(ctx: ClientContext, keys: ClientKeys, clientId: string): DistinctAddresses {
  const event: NewEvent = { action: 'suspicious_request', clientId, ...(ctx.clientIp && { clientIp: ctx.clientIp }),
    context: { reason: 'wrong client secrets from many addresses', addresses: SUSPICIOUS_ADDRESSES } }
  return { pairKey: keys.failed, addressesKey: keys.addresses, threshold: SUSPICIOUS_ADDRESSES, event, now: ctx.now }
}

/**
 * Why statement 1 refused, as `Retry-After`: the window's end, or one second when only the client's requests in
 * flight from this address filled its allowance (they end soon, and give it back unless they fail).
 */
function retryAfter(ctx: ClientContext, bundle: ProviderBundle | null, reserved: ReservedAttempts): number | null {
  const { before } = reserved
  const window = ctx.attempt.window
  const hasAddress = Boolean(ctx.clientIp)
  const addressFull = hasAddress && before.address >= CLIENT_LIMITS.perAddress
  const accountFull = before.failed > 0 && before.account >= CLIENT_LIMITS.perAccount
  if (bundle && reserved.pair === null) {
    return addressFull || accountFull || before.failed >= CLIENT_LIMITS.perAccountAddress
      ? secondsLeft(window, ctx.now) : 1
  }
  if (hasAddress && reserved.address === null) return secondsLeft(window, ctx.now)
  return null
}

/** Runs `changes` now; a request already failing for another reason keeps its own error. */
async function settleNow(db: Db, ctx: ClientContext, changes: AttemptChange[], distinct?: DistinctAddresses):
  Promise<AttemptCounts> {
  return changes.length === 0 ? {} : settleAttempts(db, changes, ctx.attempt.window, distinct)
}

/**
 * Statement 1 of a client request: `load` reads the client's provider and artefact and reserves an attempt
 * against the limits (`reservation`); `first` (optional) runs on the result before anything else. A client or
 * address at its limit is refused (429), what was reserved given back, before the secret or the grant is
 * evaluated (a guesser learns nothing). Null for a request naming no client, or an unknown one.
 */
export async function loadForClient<T>(
  ctx: ClientContext, client: ClientCredentials,
  load: (reservation: AttemptReservation) => Promise<ClientGrant<T>>,
  first?: (loaded: ClientGrant<T>) => void,
): Promise<(ClientGrant<T> & { bundle: ProviderBundle }) | null> {
  if (client.clientId === '') return null
  const keys = clientKeys(client.clientId, ctx.clientIp)
  const { attempt } = ctx
  const loaded = await load(reservationOf(keys, CLIENT_LIMITS, attempt.window))
  if (loaded.reserved.pair !== null) attempt.held.add(keys.accountAddress)
  if (loaded.reserved.address !== null && keys.address) attempt.held.add(keys.address)
  const { bundle } = loaded
  if (bundle) {
    attempt.known = true
    ctx.onProvider(bundle)
  }
  first?.(loaded)
  const refused = retryAfter(ctx, bundle, loaded.reserved)
  if (refused !== null) {
    await settleNow(ctx.db, ctx, settle(attempt, []))
    throw new TooManyFailures(refused)
  }
  return bundle ? { ...loaded, bundle } : null
}

/** What an outcome leaves counted: `keep` (reserved counters) and `bump` (counted after), with the distinct check. */
function outcomeOf(ctx: ClientContext, client: ClientCredentials, err: unknown):
  { keep: string[]; bump: string[]; distinct?: DistinctAddresses } {
  if (!(err instanceof OAuthError) || !COUNTED.has(err.code) || client.clientId === '') return { keep: [], bump: [] }
  const keys = clientKeys(client.clientId, ctx.clientIp)
  const address = keys.address ? [keys.address] : []
  if (!ctx.attempt.known || !COUNTED_PER_CLIENT.has(err.code)) return { keep: address, bump: [] }
  return { keep: [keys.accountAddress, ...address], bump: [keys.failed, keys.account],
    distinct: distinctOf(ctx, keys, client.clientId) }
}

/**
 * The 429 of a wrong secret counted while the client's per-account limit was reached (parallel requests of an
 * address whose first wrong secret was not counted yet): it is answered like the requests refused up front.
 */
function refuseOverAccount(ctx: ClientContext, client: ClientCredentials, counts: AttemptCounts): void {
  const keys = clientKeys(client.clientId, ctx.clientIp)
  const failed = (counts[keys.failed] ?? 1) - 1
  const account = (counts[keys.account] ?? 1) - 1
  if (failed > 0 && account >= CLIENT_LIMITS.perAccount) {
    throw new TooManyFailures(secondsLeft(ctx.attempt.window, ctx.now))
  }
}

/**
 * `run`, with its attempt settled by its outcome (statement 1 reserved it): a wrong secret stays counted against
 * the client and address, and counts against the client overall (one statement); an `invalid_grant` or unknown
 * client stays counted against the address only; anything else is given back: by a success inside its write
 * when it has one (`giveBack`), else after the answer (`afterResponse`), never adding a round trip to it; by an
 * error in one statement. A request naming no client presented nothing to guess and costs nothing.
 */
export async function countingFailures<R>(
  ctx: ClientContext, client: ClientCredentials, run: (ctx: ClientContext) => Promise<R>,
): Promise<R> {
  let result: R
  try {
    result = await run(ctx)
  } catch (err) {
    if (countedAlready.has(err as object)) throw err
    const { keep, bump, distinct } = outcomeOf(ctx, client, err)
    const changes = settle(ctx.attempt, keep, bump)
    if (!(err instanceof OAuthError)) {
      // The answer is a 500 whatever happens here; give the attempt back if the database still answers.
      await settleNow(ctx.db, ctx, changes).catch(() => undefined)
      throw err
    }
    const counts = await settleNow(ctx.db, ctx, changes, distinct)
    if (bump.length > 0) refuseOverAccount(ctx, client, counts)
    throw err
  }
  const changes = settle(ctx.attempt, [])
  // Introspection, device authorization and a revocation of an unknown token succeed with their one statement:
  // the give-back follows the answer rather than delaying it (or counting the success against the client).
  if (changes.length > 0) ctx.afterResponse((db) => giveBackAttempts(db, changes, ctx.attempt.window))
  return result
}

const countedAlready = new WeakSet<object>()

/**
 * For an endpoint that counts a failure of a known client inside a statement doing more (device authorization
 * deletes the row it inserted for a client whose secret was wrong): `count` runs that statement with the
 * settling CTEs (`with ${settle}` selects each key's count); a per-client limit reached meanwhile answers the
 * 429, else `err` is thrown as counted, so that `countingFailures` does not count it again.
 */
export async function throwCounted(
  ctx: ClientContext, client: ClientCredentials, err: OAuthError, count: (settle: SQL) => Promise<AttemptCounts>,
): Promise<never> {
  const { keep, bump, distinct } = outcomeOf(ctx, client, err)
  const counts = await count(settleSql(settle(ctx.attempt, keep, bump), ctx.attempt.window, distinct))
  countedAlready.add(err)
  if (bump.length > 0) refuseOverAccount(ctx, client, counts)
  throw err
}
