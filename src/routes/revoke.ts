import { revokePresentedToken } from '../db/presented-token.ts'
import { giveBack } from '../oauth/client-attempt.ts'
import { presentedTokenOf } from '../oauth/presented-token.ts'
import { clientEndpoint } from './client-endpoint.ts'

/**
 * RFC 7009 token revocation (authentik §4.9): a client without credentials, unknown, or confidential with a wrong
 * secret gets 401 `invalid_client`; a public client names itself and may revoke only its own tokens; a
 * confidential client also those of the providers that federate it. A matching token is deleted (a refresh token
 * with the access tokens of its grant, see `revokePresentedToken`); an unknown one is no error (§2.2). At most two
 * statements.
 */
export const revoke = clientEndpoint({
  name: 'revocation',
  invalidClientIs401: true,
  async handle({ form, client, ctx }) {
    const { bundle, token } = await presentedTokenOf(ctx, client, form)
    const own = token?.providerId === bundle.provider.id
    if (token && (own || bundle.provider.clientType === 'confidential')) await revokePresentedToken(ctx.db, token, giveBack(ctx))
    return {}
  },
})
