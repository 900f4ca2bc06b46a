import { sql } from 'drizzle-orm'
import { revokePresentedCtes } from '../db/presented-token.ts'
import { presentedTokenOf } from '../oauth/presented-token.ts'
import { clientEndpoint } from './client-endpoint.ts'

/**
 * RFC 7009 token revocation (authentik §4.9), in one statement: a client without credentials, unknown, or
 * confidential with a wrong secret gets 401 `invalid_client`; a public client names itself and may revoke only
 * its own tokens; a confidential client also those of the providers that federate it. A matching token is
 * deleted (a refresh token with the access tokens of its grant, see `revokePresentedCtes`); an unknown one is no
 * error (§2.2).
 */
export const revoke = clientEndpoint({
  name: 'revocation',
  invalidClientIs401: true,
  async handle({ form, client, ctx }) {
    await presentedTokenOf(ctx, client, form, {
      writes: (passed) => revokePresentedCtes(sql`(${passed} and (((select token from presented) ->> 'providerId')::int
        = (select id from provider) or (select client_type from provider) = 'confidential'))`),
    })
    return {}
  },
})
