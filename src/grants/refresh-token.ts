import * as z from 'zod'
import { sha256Hex } from '../crypto/hash.ts'
import {
  issueFromRefreshToken, refreshArtefact, revokeFamily, rotateRefreshToken, type RefreshGrant,
} from '../db/grant-store.ts'
import type { NewEvent } from '../db/events.ts'
import type { ProviderBundle } from '../db/providers.ts'
import { checkRefreshBinding } from '../oauth/dpop-policy.ts'
import { parseDuration } from '../oauth/duration.ts'
import { giveBack } from '../oauth/client-attempt.ts'
import { OAuthError } from '../oauth/errors.ts'
import { grantedAudience, resourceParameter } from '../oauth/resource.ts'
import { issueTokens } from '../tokens/issue.ts'
import { completeRetry, retryWindow, retryWindowOn } from './refresh-retry.ts'
import { defineGrant, type GrantContext } from './types.ts'

const invalidGrant = (why: string) => new OAuthError('invalid_grant', undefined, 400, why)
const split = (scope: string | undefined): string[] => (scope ?? '').split(/\s+/).filter((s) => s !== '')

/**
 * authentik §4.3 steps 2-3: the requested scopes (those the provider knows; none: the token's) must lie within
 * the refresh token's and include `offline_access`.
 */
function checkScopes(bundle: ProviderBundle, token: RefreshGrant, requested: string | undefined): void {
  const known = new Set(bundle.scopeMappings.map((m) => m.scopeName))
  const granted = split(token.scope)
  const asked = split(requested).filter((s) => known.has(s))
  const scopes = asked.length > 0 ? asked : granted
  if (!scopes.every((s) => granted.includes(s))) throw new OAuthError('invalid_scope', undefined, 400, 'not granted')
  if (!scopes.includes('offline_access')) throw new OAuthError('invalid_scope', undefined, 400, 'no offline_access')
}

function replayEvent(ctx: GrantContext, bundle: ProviderBundle, token: RefreshGrant): NewEvent {
  const { provider } = bundle
  return {
    action: 'suspicious_request', clientId: provider.clientId, ...(ctx.clientIp && { clientIp: ctx.clientIp }),
    ...(token.user && { user: { pk: token.user.id, username: token.user.username } }),
    context: {
      message: 'Revoked refresh token was used', provider: { pk: provider.id, name: provider.name },
      grant_id: token.grantId,
    },
  }
}

const stringOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null)
const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [])

/**
 * RFC 6749 §6 / authentik §4.3 with rotation (RFC 9700 §4.14.2): bound to its client, and a rotated token
 * presented again revokes its whole family, unless the retry window (src/grants/refresh-retry.ts) allows it.
 * Two statements on success.
 */
export const refreshTokenGrant = defineGrant({
  grantType: 'refresh_token',
  allowedBy: 'refresh_token',
  parameters: z.object({ refresh_token: z.string().optional(), scope: z.string().optional(), ...resourceParameter }),
  secret: 'required',
  artefact: async (ctx, params) => refreshArtefact(ctx.db, await sha256Hex(params.refresh_token ?? ''), ctx.now),
  async handle(ctx, { params, bundle, artefact }) {
    const token = params.refresh_token ? artefact : null
    if (!token) throw invalidGrant('unknown, expired or foreign refresh token')
    const family = { providerId: bundle.provider.id, grantId: token.grantId }
    const retry = token.revoked ? retryWindow(ctx, bundle, token) : null
    if (token.revoked && !retry) {
      await revokeFamily(ctx.db, family, replayEvent(ctx, bundle, token), ctx.now)
      throw invalidGrant('revoked refresh token')
    }
    checkRefreshBinding(token.jkt, ctx.dpop)
    checkScopes(bundle, token, params.scope)
    if (!token.user?.isActive) throw invalidGrant('inactive user')
    // RFC 8707 §2.2: a subset of the grant's resources for this access token; the successor keeps them all.
    const resources = grantedAudience(params.resource, token.resources, bundle.provider.allowedResources)

    // authentik #21537: rotate always at threshold 0, else once less than the threshold is left.
    const threshold = parseDuration(bundle.provider.refreshTokenThreshold)
    const rotate = retry !== null || threshold === 0 || token.expires.getTime() - ctx.now.getTime() < threshold
    // The new tokens keep the refresh token's scopes: a narrower request does not narrow them (authentik §4.3 step 4).
    const scopes = split(token.scope)
    const tokens = await issueTokens(ctx, {
      bundle, user: token.user, scopes, authTime: token.authTime,
      amr: stringList(token.idToken.amr), sid: token.sid, resources,
    }, { nonce: null, refresh: rotate ? { nonce: stringOrNull(token.idToken.nonce) } : null })
    if (retry) await completeRetry(ctx, retry, tokens, giveBack(ctx))
    else if (tokens.refresh) {
      if (!(await rotateRefreshToken(ctx.db, token.id, ctx.now, tokens.access, tokens.refresh, giveBack(ctx)))) {
        // Another request rotated it between our two statements: this one is a replay, or within a retry window a
        // duplicate, refused without revoking (presented again, the window answers it).
        if (!retryWindowOn(bundle)) await revokeFamily(ctx.db, family, replayEvent(ctx, bundle, token), ctx.now)
        throw invalidGrant('refresh token rotated concurrently')
      }
    } else if (!(await issueFromRefreshToken(ctx.db, token.id, ctx.now, tokens.access, giveBack(ctx)))) {
      throw invalidGrant('refresh token revoked concurrently')
    }
    return { tokens, scope: scopes.join(' ') }
  },
})
