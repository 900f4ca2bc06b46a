import type { SQL } from 'drizzle-orm'
import type { RefreshGrant } from '../db/grant-store.ts'
import type { NewEvent } from '../db/events.ts'
import type { ProviderBundle } from '../db/providers.ts'
import { supersedeSuccessor, type Superseded } from '../db/refresh-retry.ts'
import { parseDuration } from '../oauth/duration.ts'
import { OAuthError } from '../oauth/errors.ts'
import type { IssuedTokens } from '../tokens/issue.ts'
import type { GrantContext } from './types.ts'

/** A retry the window allows: which tokens, and the event that records it. */
export interface RefreshRetry extends Superseded { event: NewEvent }

/** Whether the provider's retry window is on (`refresh_token_reuse_interval` above zero). */
export function retryWindowOn(bundle: ProviderBundle): boolean {
  return parseDuration(bundle.provider.refreshTokenReuseInterval) > 0
}

/**
 * The refresh retry window (`refresh_token_reuse_interval`, a relaxation of RFC 9700 §4.14.2 for clients that
 * lost the answer to a rotation): a revoked refresh token may be presented again when the provider's interval is
 * on, the token was rotated (not revoked by a family revocation: that leaves `rotated` null or revokes the
 * successor too) less than the interval ago, and its successor is still unused. Null otherwise: then the reuse is
 * a replay. The client is already the same: statement 1 only finds the tokens of the client's provider.
 */
export function retryWindow(ctx: GrantContext, bundle: ProviderBundle, token: RefreshGrant): RefreshRetry | null {
  const { provider } = bundle
  const interval = parseDuration(provider.refreshTokenReuseInterval)
  const { rotated, successor } = token.rotation
  if (interval <= 0 || rotated === null || !successor?.unused) return null
  const since = ctx.now.getTime() - new Date(rotated).getTime()
  if (since >= interval) return null
  return {
    tokenId: token.id, successorId: successor.id,
    event: {
      action: 'token_refresh', clientId: provider.clientId, ...(ctx.clientIp && { clientIp: ctx.clientIp }),
      ...(token.user && { user: { pk: token.user.id, username: token.user.username } }),
      context: {
        message: 'Rotated refresh token retried within the reuse interval', refresh_token_retry: true,
        provider: { pk: provider.id, name: provider.name }, grant_id: token.grantId, seconds_since_rotation: since / 1000,
      },
    },
  }
}

/**
 * Store the retry's tokens in place of the successor, which is revoked (one statement). A retry that loses to
 * another retry, or to the successor's own use, is refused and gets nothing; the family is left to the winner.
 */
export async function completeRetry(ctx: GrantContext, retry: RefreshRetry, tokens: IssuedTokens,
  extra: SQL | null = null): Promise<void> {
  if (!tokens.refresh
    || !(await supersedeSuccessor(ctx.db, retry, ctx.now, tokens.access, tokens.refresh, retry.event, extra))) {
    throw new OAuthError('invalid_grant', undefined, 400, 'refresh token retried concurrently')
  }
}
