import { sql, type SQL } from 'drizzle-orm'
import * as z from 'zod'
import { sha256Hex } from '../crypto/hash.ts'
import {
  refreshChecks, refreshColumns, refreshRead, refreshWrites, type RefreshRedemption,
} from '../db/refresh-redemption.ts'
import { storedToken } from '../db/token-rows.ts'
import type { ClaimUser } from '../db/user-claims.ts'
import { OAuthError } from '../oauth/errors.ts'
import { resourceParameter, resourceRefused, resourceRequest } from '../oauth/resource.ts'
import { newGrantTokens, signStoredGrant, type NewGrantTokens } from '../tokens/issue.ts'
import { revokeOnReplay } from './replay.ts'
import { defineGrant } from './types.ts'

const invalidGrant = (why: string) => new OAuthError('invalid_grant', undefined, 400, why)
const split = (scope: string | undefined): string[] => (scope ?? '').split(/\s+/).filter((s) => s !== '')

interface Prepared extends RefreshRedemption, NewGrantTokens {
  tokenSent: boolean
}

const REPLAYED = 'Revoked refresh token was used'

/**
 * RFC 6749 §6 / authentik §4.3 with rotation (RFC 9700 §4.14.2): bound to its client, and a rotated token
 * presented again revokes its whole family, unless the retry window allows it (src/db/refresh-redemption.ts). The
 * new tokens keep the refresh token's scopes (a narrower request does not narrow them, authentik §4.3 step 4); the
 * access token's audience is a subset of the grant's resources (RFC 8707 §2.2), the refresh token keeps them all.
 * One statement.
 */
export const refreshTokenGrant = defineGrant({
  grantType: 'refresh_token',
  allowedBy: 'refresh_token',
  parameters: z.object({ refresh_token: z.string().optional(), scope: z.string().optional(), ...resourceParameter }),
  secret: 'required',
  async prepare(ctx, params): Promise<Prepared> {
    return {
      ...await newGrantTokens(ctx.dpop),
      tokenSent: params.refresh_token !== undefined, tokenHash: await sha256Hex(params.refresh_token ?? ''),
      scopes: split(params.scope), resources: resourceRequest(params.resource), clientIp: ctx.clientIp ?? null,
      now: ctx.now,
    }
  },
  statement(_ctx, q) {
    const is = refreshChecks(q)
    const check = (name: string, passes: SQL, why: string) =>
      ({ name, passes, counted: true, error: () => invalidGrant(why) })
    return {
      reads: [refreshRead(q)],
      checks: [
        check('token_unknown', sql`(${q.tokenSent}::boolean and ${is.found})`, 'unknown, expired or foreign refresh token'),
        check('token_replayed', is.unreplayed, 'revoked refresh token'),
        check('token_unbound', is.bound, 'a bound refresh token without a proof of its key'),
        { name: 'scope', passes: is.scope, error: () => new OAuthError('invalid_scope', undefined, 400, 'not granted') },
        check('user_inactive', is.active, 'inactive user'),
        { name: 'resource', passes: is.resources, error: resourceRefused },
      ],
      writes: (passed) => refreshWrites(q, passed),
      columns: refreshColumns,
    }
  },
  async failed(ctx, failure) {
    if (failure.outcome === 'token_replayed') await revokeOnReplay(ctx, failure.answer, REPLAYED)
  },
  async answer(ctx, answer, q) {
    const { bundle, row } = answer
    const access = storedToken(row.access)
    if (!access) {
      // Another request rotated or revoked it between this statement's read and its write: a replay, or within a
      // retry window a duplicate, refused without revoking (presented again, the window answers it).
      const windowOn = bundle.provider.refreshTokenReuseIntervalMs > 0
      if (row.mode === 'rotate' && !windowOn) await revokeOnReplay(ctx, answer, REPLAYED)
      throw invalidGrant(`refresh token ${row.mode === 'retry' ? 'retried' : 'rotated'} concurrently`)
    }
    const scopes = split(String(row.scope))
    const tokens = await signStoredGrant(ctx, {
      bundle, user: row.user as ClaimUser, scopes,
      access: { jti: q.accessJti, stored: access, audience: row.audience as string[] | null },
      refresh: storedToken(row.refresh) ? q.refreshValue : null,
    })
    return { tokens, scope: scopes.join(' ') }
  },
})
