import type { ClientGrant } from '../db/client-load.ts'
import { attemptWindow, countFailure, secondsLeft, type AttemptCounts, type AttemptWindow } from '../db/rate-limits.ts'
import type { ClientCredentials } from './client-auth.ts'
import type { ClientContext } from './client-request.ts'
import { OAuthError, type OAuthErrorCode } from './errors.ts'

/**
 * Brute-force limits of the client-authenticated endpoints (token, introspection, revocation, device
 * authorization; security.md), per 15-minute window (src/db/rate-limits.ts): failed
 * requests per client (`client:<client_id>`, from any address) and per address (`token-ip:<address>`, for any
 * client; apart from sign-in's `ip:` so that each endpoint keeps its own limit). Once a count reaches its limit,
 * every request of that client or address is refused until the window ends. The client limit is the higher one,
 * so that one address alone cannot lock a client out for all its users.
 */
export const MAX_CLIENT_FAILURES = 100
export const MAX_ADDRESS_FAILURES = 50

/**
 * The answers that count as failures against an address: a wrong client secret or unknown client, and a bad code
 * or refresh token. Against a client only a wrong secret counts: client ids are public, and an honest client
 * meets `invalid_grant` in normal use (an expired refresh token, a code sent twice, two tabs refreshing), so
 * counting those would let anyone, or the client's own users, lock it out.
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

interface Limit { key: string; max: number }

function limitsOf(clientId: string, ip: string | undefined, clientKnown: boolean): Limit[] {
  return [
    ...(clientKnown ? [{ key: `client:${clientId}`, max: MAX_CLIENT_FAILURES }] : []),
    ...(ip ? [{ key: `token-ip:${ip}`, max: MAX_ADDRESS_FAILURES }] : []),
  ]
}

/** Throws {@link TooManyFailures} when a count had reached its limit before this request. */
function refuseOverLimit(limits: readonly Limit[], counts: AttemptCounts, now: Date, countsThisOne: boolean): void {
  const before = (key: string) => (counts[key] ?? 0) - (countsThisOne ? 1 : 0)
  if (limits.some(({ key, max }) => before(key) >= max)) {
    throw new TooManyFailures(secondsLeft(attemptWindow(now), now))
  }
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
  const limits = limitsOf(client.clientId, ctx.clientIp, true)
  const loaded = await load(limits.map((l) => l.key))
  if (!loaded) return null
  ctx.onProvider(loaded.bundle)
  refuseOverLimit(limits, loaded.failures, ctx.now, false)
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
    const limits = limitsOf(client.clientId, ctx.clientIp, known && COUNTED_PER_CLIENT.has(err.code))
    if (limits.length === 0) throw err
    const counts = await countFailure(ctx.db, limits.map((l) => l.key), attemptWindow(ctx.now))
    refuseOverLimit(limits, counts, ctx.now, true)
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
  count: (keys: string[], window: AttemptWindow) => Promise<AttemptCounts>,
): Promise<never> {
  const limits = limitsOf(client.clientId, ctx.clientIp, COUNTED_PER_CLIENT.has(err.code))
  const counts = await count(limits.map((l) => l.key), attemptWindow(ctx.now))
  countedAlready.add(err)
  refuseOverLimit(limits, counts, ctx.now, true)
  throw err
}
