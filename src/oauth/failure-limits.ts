import type { ClientGrant } from '../db/client-load.ts'
import type { NewEvent } from '../db/events.ts'
import {
  attemptWindow, countFailure, secondsLeft, type AttemptCounts, type AttemptWindow, type DistinctAddresses,
} from '../db/rate-limits.ts'
import { accountKeys, checkedKeys, overLimit, SUSPICIOUS_ADDRESSES, type AccountKeys } from './account-limits.ts'
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

const keysOf = (clientId: string, ip: string | undefined): AccountKeys =>
  accountKeys('client', 'token-ip', clientId, ip)

/** The keys a failure is counted against: the address's, and the client's when `perClient`. */
function countedKeys(keys: AccountKeys, perClient: boolean): string[] {
  return [...(perClient ? [keys.accountAddress, keys.account] : []), ...(keys.address ? [keys.address] : [])]
}

/** Throws {@link TooManyFailures} when `before` (the counts before this request) were over a limit. */
function refuseOverLimit(keys: AccountKeys, before: (key: string) => number, now: Date): void {
  if (overLimit(CLIENT_LIMITS, keys, before)) throw new TooManyFailures(secondsLeft(attemptWindow(now), now))
}

/** The counts before a failure, from the counts after it of the keys it bumped (others as none). */
const beforeBump = (counts: AttemptCounts) => (key: string) => Math.max((counts[key] ?? 1) - 1, 0)

/** The `suspicious_request` of a client that sees wrong secrets from many addresses. */
function distinctOf(ctx: ClientContext, keys: AccountKeys, clientId: string): DistinctAddresses {
  const event: NewEvent = { action: 'suspicious_request', clientId, ...(ctx.clientIp && { clientIp: ctx.clientIp }),
    context: { reason: 'wrong client secrets from many addresses', addresses: SUSPICIOUS_ADDRESSES } }
  return { pairKey: keys.accountAddress, addressesKey: keys.addresses, threshold: SUSPICIOUS_ADDRESSES, event,
    now: ctx.now }
}

/**
 * Statement 1 of a grant: `load` reads the client's provider and artefact with the failure counts of its keys,
 * then the provider is reported and a client or address over its limit is refused, before the secret or the
 * grant is evaluated (a guesser learns nothing). Null for a request naming no client, or an unknown one.
 */
export async function loadForClient<T>(
  ctx: ClientContext, client: ClientCredentials,
  load: (failureKeys: string[]) => Promise<ClientGrant<T> | null>,
): Promise<ClientGrant<T> | null> {
  if (client.clientId === '') return null
  const keys = keysOf(client.clientId, ctx.clientIp)
  const loaded = await load(checkedKeys(keys))
  if (!loaded) return null
  ctx.onProvider(loaded.bundle)
  refuseOverLimit(keys, (key) => loaded.failures[key] ?? 0, ctx.now)
  return loaded
}

/**
 * `run`, with its failures counted in one statement on the failure path only: a wrong secret against the
 * client when it exists, and every `invalid_client` and `invalid_grant` against the address when known. A request
 * naming no client presented nothing to guess and costs nothing. When the new count shows a limit was already
 * reached (an unknown client, whose statement 1 found no row to read counts from, or a parallel burst) the answer
 * is the 429, so an unknown client_id answers like a known one.
 */
export async function countingFailures<R>(
  ctx: ClientContext, client: ClientCredentials, run: (ctx: ClientContext) => Promise<R>,
): Promise<R> {
  let known = false
  const observed: ClientContext = { ...ctx, onProvider: (bundle) => { known = true; ctx.onProvider(bundle) } }
  try {
    return await run(observed)
  } catch (err) {
    if (!(err instanceof OAuthError) || !COUNTED.has(err.code) || client.clientId === '' || countedAlready.has(err)) {
      throw err
    }
    const keys = keysOf(client.clientId, ctx.clientIp)
    const perClient = known && COUNTED_PER_CLIENT.has(err.code)
    const counted = countedKeys(keys, perClient)
    if (counted.length === 0) throw err
    const counts = await countFailure(ctx.db, counted, attemptWindow(ctx.now),
      perClient ? distinctOf(ctx, keys, client.clientId) : undefined)
    refuseOverLimit(keys, beforeBump(counts), ctx.now)
    throw err
  }
}

const countedAlready = new WeakSet<OAuthError>()

/**
 * For an endpoint that counts a failure of a known client inside a statement doing more (device authorization
 * deletes the row it inserted for a client whose secret was wrong): `count` runs that statement with the keys
 * to bump and answers their counts; a limit already reached answers the 429, else `err` is thrown as counted,
 * so that `countingFailures` does not count it again.
 */
export async function throwCounted(
  ctx: ClientContext, client: ClientCredentials, err: OAuthError,
  count: (keys: string[], window: AttemptWindow, distinct: DistinctAddresses) => Promise<AttemptCounts>,
): Promise<never> {
  const keys = keysOf(client.clientId, ctx.clientIp)
  const counts = await count(countedKeys(keys, COUNTED_PER_CLIENT.has(err.code)), attemptWindow(ctx.now),
    distinctOf(ctx, keys, client.clientId))
  countedAlready.add(err)
  refuseOverLimit(keys, beforeBump(counts), ctx.now)
  throw err
}
