import { revokeFamily } from '../db/grant-store.ts'
import type { ClaimUser } from '../db/user-claims.ts'
import type { GrantAnswer, GrantContext } from './types.ts'

/**
 * RFC 9700 §4.5 and §4.14.2: an artefact presented again (a code redeemed twice, or lost to a parallel redemption;
 * a rotated refresh token) revokes the family it was issued in, with a `suspicious_request` event saying `message`
 * (authentik's words) and what was revoked. `answer` is what the grant's statement read: its `grant_id` and `user`.
 */
export async function revokeOnReplay(ctx: GrantContext, { bundle, row }: GrantAnswer, message: string):
  Promise<void> {
  const { provider } = bundle
  const grantId = row.grant_id as string
  const user = row.user as ClaimUser | null
  await revokeFamily(ctx.db, { providerId: provider.id, grantId }, {
    action: 'suspicious_request', clientId: provider.clientId, ...(ctx.clientIp && { clientIp: ctx.clientIp }),
    ...(user && { user: { pk: user.id, username: user.username } }),
    context: { message, provider: { pk: provider.id, name: provider.name }, grant_id: grantId },
  }, ctx.now)
}
