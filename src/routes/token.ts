import { grantFor } from '../grants/index.ts'
import { runGrant } from '../grants/run.ts'
import type { GrantResult } from '../grants/types.ts'
import { OAuthError } from '../oauth/errors.ts'
import { clientEndpoint } from './client-endpoint.ts'

/** authentik §4.2 step 5: the answer's members, in authentik's order. */
function tokenBody({ tokens, scope }: GrantResult): Record<string, unknown> {
  return {
    access_token: tokens.access.jwt,
    // RFC 9449 §5: a token bound to the request's DPoP key.
    token_type: tokens.access.jkt ? 'DPoP' : 'Bearer',
    scope,
    expires_in: tokens.expiresIn,
    id_token: tokens.idToken,
    ...(tokens.refresh && { refresh_token: tokens.refresh.value }),
  }
}

/** RFC 6749 §3.2 token endpoint: POST (grants by `grant_type`, see src/grants/index.ts) and the CORS preflight. */
export const token = clientEndpoint({
  name: 'token',
  dpop: true,
  async handle({ form, repeated, client, ctx }) {
    const grantType = form.get('grant_type')
    if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required')
    const grant = grantFor(grantType)
    if (!grant) throw new OAuthError('unsupported_grant_type')
    return tokenBody(await runGrant(grant, ctx, form, client, repeated))
  },
})
