import { sql, type SQL } from 'drizzle-orm'
import {
  presentedTokenColumn, presentedTokenRead, type PresentedToken, type PresentedTokenClaims,
} from '../db/presented-token.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { ClientCredentials } from './client-auth.ts'
import { clientStatement, type ClientContext } from './client-request.ts'
import { OAuthError } from './errors.ts'
import { presentedTokenHash } from './presented-jti.ts'

/**
 * The one statement of introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1): the authenticated caller and
 * the token it presents (`token_type_hint` orders the search), with `writes` when every check passed (a
 * revocation's). `token` is REQUIRED by both (authentik answers 200 without it), checked after authentication so
 * an anonymous caller learns nothing.
 */
export async function presentedTokenOf(ctx: ClientContext, client: ClientCredentials, form: ReadonlyMap<string, string>,
  options: { withClaims?: boolean; writes?: (passed: SQL) => SQL[] } = {}):
  Promise<{ bundle: ProviderBundle; token: (PresentedToken & Partial<PresentedTokenClaims>) | null }> {
  const value = form.get('token')
  const hash = value === undefined ? null : await presentedTokenHash(value)
  const { bundle, row } = await clientStatement<{ token: (PresentedToken & Partial<PresentedTokenClaims>) | null }>(
    ctx, client, {
      secret: 'required',
      reads: [presentedTokenRead(hash, ctx.now, form.get('token_type_hint'), options.withClaims ?? false)],
      checks: [{ name: 'token_missing', passes: sql`${value !== undefined}::boolean`,
        error: () => new OAuthError('invalid_request', 'token is required') }],
      ...(options.writes && { writes: options.writes }),
      columns: [presentedTokenColumn],
    })
  return { bundle, token: row.token }
}
