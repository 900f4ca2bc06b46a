import { pushAuthorizationRequest } from '../oauth/pushed-request.ts'
import { clientEndpoint } from './client-endpoint.ts'

/**
 * RFC 9126 §2 pushed authorization request endpoint: POST (see `pushAuthorizationRequest`), answered 201, and the
 * CORS preflight. `invalid_client` answers 401 with a challenge, as introspection and revocation do.
 */
export const pushedAuthorization = clientEndpoint({
  name: 'pushed authorization',
  invalidClientIs401: true,
  status: 201,
  handle: ({ form, repeated, client, ctx }) => pushAuthorizationRequest(ctx, client, form, repeated),
})
