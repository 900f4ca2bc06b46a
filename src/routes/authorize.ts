import type { Handler } from 'hono'
import type { AppEnv } from '../deps.ts'
import { AUTHORIZE_ENDPOINTS } from '../oauth/authorize-endpoints.ts'
import { authorizeThrough, requestParams } from './authorization.ts'

/** RFC 6749 §3.1 / OIDC Core §3.1.2: the authorization endpoint, GET and POST. */
export const authorize: Handler<AppEnv> = async (c) => {
  const params = await requestParams(c)
  // authentik: an empty request is a 404, so crawlers do not fill the logs.
  if ([...params.keys()].length === 0) return c.notFound()
  return authorizeThrough(c, params, AUTHORIZE_ENDPOINTS.oidc)
}
