import type { Handler } from 'hono'
import type { AppEnv } from '../deps.ts'
import { nextStep } from '../oauth/authorize-flow.ts'
import { loadAuthorization, proceed, requestParams } from './authorization.ts'
import { currentSession } from './session.ts'

/** RFC 6749 §3.1 / OIDC Core §3.1.2: the authorization endpoint, GET and POST. */
export const authorize: Handler<AppEnv> = async (c) => {
  const params = await requestParams(c)
  // authentik: an empty request is a 404, so crawlers do not fill the logs.
  if ([...params.keys()].length === 0) return c.notFound()
  const authorization = await loadAuthorization(c, params)
  if (authorization instanceof Response) return authorization
  const session = await currentSession(c)
  const step = nextStep(authorization.request, session, authorization.bundle, c.var.deps.clock.now())
  return proceed(c, authorization, session, step)
}
