import { sql } from 'drizzle-orm'
import { sha256Hex } from '../crypto/hash.ts'
import { randomId } from '../crypto/random.ts'
import { deviceTokenColumn, requestsRead, storeDeviceCte, storeDeviceToken } from '../db/device-authorization.ts'
import type { ProviderBundle } from '../db/providers.ts'
import { invalidClient, type ClientCredentials } from './client-auth.ts'
import { clientStatement, TooManyFailures, type ClientContext } from './client-request.ts'
import { OAuthError } from './errors.ts'
import { attemptWindow, DEVICE_REQUESTS_PER_HOUR, secondsLeft } from './limits.ts'
import { displayUserCode, newUserCode } from './user-code.ts'

const HOUR_MS = 3_600_000
/** RFC 8628 §3.2 `interval`: the seconds a client waits between polls (authentik's 5). */
export const POLL_INTERVAL = 5
/** The page a user enters the code on (DESIGN.md: `/device`). */
export const DEVICE_PAGE = '/device'

const split = (scope: string | undefined) => [...new Set((scope ?? '').split(/\s+/).filter((s) => s !== ''))]

/** The statement could not store the token (its user code was taken): store it here with a fresh one. */
async function storeLate(ctx: ClientContext, bundle: ProviderBundle, deviceCodeHash: string, scopes: string[]):
  Promise<string> {
  const known = new Set(bundle.scopeMappings.map((m) => m.scopeName))
  const scope = scopes.filter((s) => known.has(s)).join(' ')
  const expires = new Date(ctx.now.getTime() + bundle.provider.accessCodeValidityMs)
  for (let attempt = 0; attempt < 3; attempt++) {
    const userCode = newUserCode()
    if (await storeDeviceToken(ctx.db, { deviceCodeHash, userCode, providerId: bundle.provider.id, scope, expires,
      now: ctx.now })) return userCode
  }
  throw new Error('no free user code after three attempts')
}

/**
 * RFC 8628 §3.1-3.2 (authentik §4.6 with the post-baseline rules), in one statement: requests limited per address
 * (429 `slow_down`, as authentik); the client by Basic or the form; unknown, or without an application:
 * `invalid_client`; a confidential client must authenticate; a provider without `device_code` answers
 * `unauthorized_client` (RFC 6749 §5.2 names it for an authenticated client using a grant it may not; authentik
 * 2026.5 says `invalid_client`, which tells an honest client its credentials are wrong when they are not).
 */
export async function authorizeDevice(ctx: ClientContext, client: ClientCredentials, scope: string | undefined):
  Promise<Record<string, unknown>> {
  const deviceCode = randomId(128)
  const deviceCodeHash = await sha256Hex(deviceCode)
  const scopes = split(scope)
  let userCode = newUserCode()
  const window = attemptWindow(ctx.now, HOUR_MS)
  const { bundle, row } = await clientStatement<{ token: { id: string } | null }>(ctx, client, {
    secret: 'required',
    reads: [requestsRead(ctx.clientIp ? `device-ip:${ctx.clientIp}` : null, window)],
    preChecks: [{ name: 'too_many_requests', passes: sql`coalesce(rq.count, 0) <= ${DEVICE_REQUESTS_PER_HOUR}::int`,
      error: () => new TooManyFailures(secondsLeft(window, ctx.now), 'slow_down',
        'Too many device authorization requests; try again later.') }],
    checks: [
      { name: 'no_application', passes: sql`exists (select 1 from applications a where a.provider_id = p.id)`,
        error: () => invalidClient(client, 'provider without application') },
      { name: 'grant_not_allowed', passes: sql`p.grant_types @> '["device_code"]'::jsonb`,
        error: () => new OAuthError('unauthorized_client', 'The client is not authorized to use this grant type', 400,
          'grant_type_not_configured') },
    ],
    writes: (passed) => [storeDeviceCte({ deviceCodeHash, userCode, scopes, now: ctx.now }, passed)],
    columns: [deviceTokenColumn],
  })
  if (!row.token) userCode = await storeLate(ctx, bundle, deviceCodeHash, scopes)
  const shown = displayUserCode(userCode)
  return {
    device_code: deviceCode,
    verification_uri: `${ctx.origin}${DEVICE_PAGE}`,
    verification_uri_complete: `${ctx.origin}${DEVICE_PAGE}?code=${encodeURIComponent(shown)}`,
    user_code: shown,
    expires_in: Math.trunc(bundle.provider.accessCodeValidityMs / 1000),
    interval: POLL_INTERVAL,
  }
}
