import { sha256Hex } from '../crypto/hash.ts'
import { presentedToken, type PresentedToken } from '../db/presented-token.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { ClientCredentials } from './client-auth.ts'
import { authenticatedClient, type ClientContext } from './client-request.ts'
import { OAuthError } from './errors.ts'

/**
 * The shared opening of introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1), in one statement: the
 * authenticated caller and the token it presents (`token_type_hint` orders the search). `token` is REQUIRED by
 * both (authentik answers 200 without it), checked after authentication so an anonymous caller learns nothing.
 */
export async function presentedTokenOf(ctx: ClientContext, client: ClientCredentials,
  form: ReadonlyMap<string, string>): Promise<{ bundle: ProviderBundle; token: PresentedToken | null }> {
  const value = form.get('token')
  const { bundle, artefact } = await authenticatedClient(ctx, client, {
    secret: 'required',
    ...(value !== undefined
      && { artefact: presentedToken(ctx.db, await sha256Hex(value), ctx.now, form.get('token_type_hint')) }),
  })
  if (value === undefined) throw new OAuthError('invalid_request', 'token is required')
  return { bundle, token: artefact }
}
