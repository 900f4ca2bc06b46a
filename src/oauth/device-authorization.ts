import { sha256Hex } from '../crypto/hash.ts'
import { randomId } from '../crypto/random.ts'
import {
  beginDeviceAuthorization, discardDeviceToken, storeDeviceToken, type DeviceAuthorizationResult,
} from '../db/device-authorization.ts'
import type { ProviderBundle } from '../db/providers.ts'
import { attemptWindow, secondsLeft } from '../db/rate-limits.ts'
import { authenticateClient, type ClientCredentials } from './client-auth.ts'
import type { ClientContext } from './client-request.ts'
import { addDuration, parseDuration } from './duration.ts'
import { OAuthError } from './errors.ts'
import { loadForClient, throwCounted, TooManyFailures } from './failure-limits.ts'
import { displayUserCode, newUserCode } from './user-code.ts'

/** authentik's `throttle.providers.oauth2.device` default: 20 requests per hour per client address. */
export const MAX_DEVICE_REQUESTS = 20
const HOUR_MS = 3_600_000
/** RFC 8628 §3.2 `interval`: the seconds a client waits between polls (authentik's 5). */
export const POLL_INTERVAL = 5
/** The page a user enters the code on (DESIGN.md: `/device`). */
export const DEVICE_PAGE = '/device'

const invalidClient = (client: ClientCredentials, why: string) =>
  new OAuthError('invalid_client', undefined, client.viaBasic ? 401 : 400, why)
const split = (scope: string | undefined) => [...new Set((scope ?? '').split(/\s+/).filter((s) => s !== ''))]

/** The first statement could not store the token: store it here, with a fresh user code should one be taken. */
async function storeLate(ctx: ClientContext, bundle: ProviderBundle, deviceCodeHash: string, scopes: string[]):
  Promise<string> {
  const known = new Set(bundle.scopeMappings.map((m) => m.scopeName))
  const scope = scopes.filter((s) => known.has(s)).join(' ')
  const expires = addDuration(ctx.now, bundle.provider.accessCodeValidity)
  for (let attempt = 0; attempt < 3; attempt++) {
    const userCode = newUserCode()
    if (await storeDeviceToken(ctx.db, { deviceCodeHash, userCode, providerId: bundle.provider.id, scope, expires,
      now: ctx.now })) return userCode
  }
  throw new Error('no free user code after three attempts')
}

/**
 * RFC 8628 §3.1-3.2 (authentik §4.6 with the post-baseline rules): the client by Basic or the form, rate limited
 * per address (429 `slow_down`, as authentik); unknown, or without an application: `invalid_client`; a
 * confidential client must authenticate; a provider without `device_code` answers `unauthorized_client`
 * (RFC 6749 §5.2 names it for an authenticated client using a grant it may not; authentik 2026.5 says
 * `invalid_client`, which tells an honest client its credentials are wrong when they are not). One statement;
 * the attempt it reserved is given back after the answer (src/oauth/failure-limits.ts).
 */
export async function authorizeDevice(ctx: ClientContext, client: ClientCredentials, scope: string | undefined):
  Promise<Record<string, unknown>> {
  if (client.clientId === '') throw invalidClient(client, 'no client_id')
  const deviceCode = randomId(128)
  const deviceCodeHash = await sha256Hex(deviceCode)
  const scopes = split(scope)
  let userCode = newUserCode()
  const window = attemptWindow(ctx.now, HOUR_MS)
  let result: DeviceAuthorizationResult | undefined
  const loaded = await loadForClient(ctx, client, async (reservation) => {
    result = await beginDeviceAuthorization(ctx.db, {
      clientId: client.clientId, token: { deviceCodeHash, userCode, scopes }, reservation, window, now: ctx.now,
      rateKey: ctx.clientIp ? `device-ip:${ctx.clientIp}` : null, maxRequests: MAX_DEVICE_REQUESTS,
    })
    return { bundle: result.bundle, grant: null, reserved: result.reserved }
  }, () => {
    if (result?.requests !== null && result?.requests !== undefined && result.requests > MAX_DEVICE_REQUESTS) {
      throw new TooManyFailures(secondsLeft(window, ctx.now), 'slow_down',
        'Too many device authorization requests; try again later.')
    }
  })
  if (!loaded || !result) throw invalidClient(client, 'unknown client')
  const { bundle } = loaded
  const stored = result.token
  if (!bundle.application) throw invalidClient(client, 'provider without application')
  try {
    await authenticateClient(bundle, client, { secret: 'required', allows: 'device_code' }, ctx.secrets)
  } catch (err) {
    if (stored && err instanceof OAuthError && err.code === 'invalid_client') {
      await throwCounted(ctx, client, err, (settle) => discardDeviceToken(ctx.db, stored.id, settle))
    }
    throw err
  }
  if (!stored) userCode = await storeLate(ctx, bundle, deviceCodeHash, scopes)
  const shown = displayUserCode(userCode)
  return {
    device_code: deviceCode,
    verification_uri: `${ctx.origin}${DEVICE_PAGE}`,
    verification_uri_complete: `${ctx.origin}${DEVICE_PAGE}?code=${encodeURIComponent(shown)}`,
    user_code: shown,
    expires_in: Math.trunc(parseDuration(bundle.provider.accessCodeValidity) / 1000),
    interval: POLL_INTERVAL,
  }
}
