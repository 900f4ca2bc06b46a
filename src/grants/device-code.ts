import { sql, type SQL } from 'drizzle-orm'
import * as z from 'zod'
import { sha256Hex } from '../crypto/hash.ts'
import { deviceChecks, deviceColumns, deviceRead, deviceWrites, type DeviceRedemption } from '../db/device-redemption.ts'
import { storedToken } from '../db/token-rows.ts'
import type { ClaimUser } from '../db/user-claims.ts'
import { OAuthError } from '../oauth/errors.ts'
import { resourceParameter, resourceRefused, resourceRequest } from '../oauth/resource.ts'
import { newGrantTokens, signStoredGrant, type NewGrantTokens } from '../tokens/issue.ts'
import { defineGrant } from './types.ts'

const invalidGrant = (why: string) => new OAuthError('invalid_grant', undefined, 400, why)

interface Prepared extends DeviceRedemption, NewGrantTokens {
  codeSent: boolean
}

/**
 * RFC 8628 §3.4-3.5 / authentik §4.6: the device's poll, in one statement. Pending: `authorization_pending`, or
 * `slow_down` (the interval grows by 5 s) when polled again sooner than the interval; refused: `access_denied`;
 * past its lifetime: `expired_token` until the purge removes it (authentik answers `invalid_grant`); approved:
 * tokens with the device token's scopes (a `scope` sent here is ignored), the device code consumed with them.
 */
export const deviceCodeGrant = defineGrant({
  grantType: 'urn:ietf:params:oauth:grant-type:device_code',
  allowedBy: 'device_code',
  parameters: z.object({ device_code: z.string().optional(), ...resourceParameter }),
  // Post-baseline authentik (`test_code_no_auth`): a confidential client polls with its secret.
  secret: 'required',
  async prepare(ctx, params): Promise<Prepared> {
    return {
      ...await newGrantTokens(ctx.dpop),
      codeSent: params.device_code !== undefined, codeHash: await sha256Hex(params.device_code ?? ''),
      resources: resourceRequest(params.resource), now: ctx.now,
    }
  },
  statement(_ctx, q) {
    const is = deviceChecks(q)
    const error = (code: 'expired_token' | 'access_denied', why: string) => () => new OAuthError(code, undefined, 400, why)
    return {
      reads: [deviceRead(q)],
      checks: [
        { name: 'device_unknown', passes: sql`(${q.codeSent}::boolean and ${is.found})`, counted: true,
          error: () => invalidGrant('unknown or foreign device code') },
        { name: 'expired', passes: is.live, error: error('expired_token', 'device code expired') },
        { name: 'denied', passes: is.undenied, error: error('access_denied', 'the user refused') },
        // A poll is honest use; its statement remembers it and decides whether it came too soon.
        { name: 'pending', passes: is.approved,
          error: (row) => new OAuthError(row.early === true ? 'slow_down' : 'authorization_pending') },
        { name: 'user_inactive', passes: is.active as SQL, counted: true, error: () => invalidGrant('inactive user') },
        { name: 'resource', passes: is.resources, error: resourceRefused },
      ],
      writes: (passed) => deviceWrites(q, passed),
      columns: deviceColumns,
    }
  },
  async answer(ctx, { bundle, row }, q) {
    const access = storedToken(row.access)
    if (!access) throw invalidGrant('device code redeemed concurrently')
    const scopes = String(row.scope).split(' ').filter((s) => s !== '')
    const tokens = await signStoredGrant(ctx, { bundle, user: row.user as ClaimUser, scopes,
      access: { jti: q.accessJti, stored: access, audience: q.resources.asked },
      refresh: storedToken(row.refresh) ? q.refreshValue : null })
    return { tokens, scope: scopes.join(' ') }
  },
})
