import { authorizeDevice } from '../oauth/device-authorization.ts'
import { clientEndpoint } from './client-endpoint.ts'

/** RFC 8628 §3.1 device authorization endpoint: POST (see `authorizeDevice`) and the CORS preflight. */
export const deviceAuthorization = clientEndpoint({
  name: 'device authorization',
  handle: ({ form, client, ctx }) => authorizeDevice(ctx, client, form.get('scope')),
})
