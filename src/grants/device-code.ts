import * as z from 'zod'
import { sha256Hex } from '../crypto/hash.ts'
import { deviceArtefact, recordPoll, redeemDeviceCode } from '../db/device-poll.ts'
import { giveBack } from '../oauth/client-attempt.ts'
import { OAuthError } from '../oauth/errors.ts'
import { requestedResources, resourceParameter } from '../oauth/resource.ts'
import { issueTokens } from '../tokens/issue.ts'
import { defineGrant } from './types.ts'

const invalidGrant = (why: string) => new OAuthError('invalid_grant', undefined, 400, why)

/**
 * RFC 8628 §3.4-3.5 / authentik §4.6: the device's poll. Pending: `authorization_pending`, or `slow_down` (the
 * interval grows by 5 s) when polled again sooner than the interval; refused: `access_denied`; past its lifetime:
 * `expired_token` until the purge removes it (authentik answers `invalid_grant`); approved: tokens with the
 * device token's scopes (a `scope` sent here is ignored), the device code consumed with them. Two statements.
 */
export const deviceCodeGrant = defineGrant({
  grantType: 'urn:ietf:params:oauth:grant-type:device_code',
  allowedBy: 'device_code',
  parameters: z.object({ device_code: z.string().optional(), ...resourceParameter }),
  // Post-baseline authentik (`test_code_no_auth`): a confidential client polls with its secret.
  secret: 'required',
  artefact: async (ctx, params) => deviceArtefact(ctx.db, await sha256Hex(params.device_code ?? ''), ctx.now),
  async handle(ctx, { params, bundle, artefact: token }) {
    if (!params.device_code || !token) throw invalidGrant('unknown or foreign device code')
    if (token.expired) throw new OAuthError('expired_token', undefined, 400, 'device code expired')
    if (token.status === 'denied') throw new OAuthError('access_denied', undefined, 400, 'the user refused')
    if (token.status === 'pending') {
      // A poll is honest use: its attempt is given back in the same statement, which also decides whether it
      // came too soon (on the row it locks, so that polls at once are told apart).
      const early = await recordPoll(ctx.db, token.id, ctx.now, giveBack(ctx))
      throw new OAuthError(early ? 'slow_down' : 'authorization_pending')
    }
    if (!token.user?.isActive || token.authTime === null) throw invalidGrant('inactive user')
    // RFC 8707 §2.2 at the poll (the device authorization request's are not kept): the provider's resources.
    const resources = requestedResources(params.resource, bundle.provider.allowedResources)

    const scopes = token.scope.split(' ').filter((s) => s !== '')
    const tokens = await issueTokens(ctx, {
      bundle, user: token.user, scopes, authTime: token.authTime,
      amr: token.session?.amr ?? [], sid: token.session?.sid ?? null, resources,
    }, { nonce: null, refresh: scopes.includes('offline_access') ? { nonce: null } : null })
    if (!(await redeemDeviceCode(ctx.db, token.id, ctx.now, tokens.access, tokens.refresh, giveBack(ctx)))) {
      throw invalidGrant('device code redeemed concurrently')
    }
    return { tokens, scope: scopes.join(' ') }
  },
})
