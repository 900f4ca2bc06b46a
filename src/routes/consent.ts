import type { Handler } from 'hono'
import type { AppEnv } from '../deps.ts'
import { AUTHORIZE_ENDPOINTS } from '../oauth/authorize-endpoints.ts'
import { nextStep } from '../oauth/authorize-flow.ts'
import { authorizeError, authorizeErrorResponse } from '../oauth/authorize-response.ts'
import { ForbiddenFormPage } from '../pages/authorize-error.ts'
import { CONSENT_FIELDS } from '../pages/consent.ts'
import { complete, loadAuthorization, proceed, requestParams, respond } from './authorization.ts'
import { protectPage } from './page-headers.ts'
import { CSRF_FIELD, verifyCsrf } from './csrf.ts'
import { currentSession } from './session.ts'

/**
 * The consent form's answer (authentik's consent stage). The hidden authorization request is validated again
 * like a new one, through the door it came by (authentik's or GitHub's); the CSRF token and the user the page was
 * shown to must match. Allow remembers the consent (explicit flow; it does not expire) and issues; deny answers
 * `access_denied` at the client.
 */
export const consent: Handler<AppEnv> = async (c) => {
  const params = await requestParams(c)
  const answer = params.get(CONSENT_FIELDS.action)
  const token = params.get(CSRF_FIELD)
  const shownTo = params.get(CONSENT_FIELDS.user)
  const endpoint = AUTHORIZE_ENDPOINTS[params.get(CONSENT_FIELDS.endpoint) === 'github' ? 'github' : 'oidc']
  for (const name of [CSRF_FIELD, ...Object.values(CONSENT_FIELDS)]) params.delete(name)
  if (!(await verifyCsrf(c, 'consent', token))) {
    protectPage(c)
    return c.html(ForbiddenFormPage(), 403)
  }

  const authorization = await loadAuthorization(c, params, endpoint)
  if (authorization instanceof Response) return authorization
  const { bundle, request } = authorization
  const session = await currentSession(c)
  if (session && session.user.uuid !== shownTo) {
    // Another user signed in since the page was shown: start over, so they see their own consent page.
    c.header('Cache-Control', 'no-store')
    return c.redirect(`${endpoint.path}?${params}`, 303)
  }
  const step = nextStep(request, session, bundle, c.var.deps.clock.now())
  if (!session || (step.kind !== 'consent' && step.kind !== 'issue')) return proceed(c, authorization, session, step)
  if (answer === 'allow') return complete(c, authorization, session, 'given')
  return respond(c, bundle, authorizeErrorResponse(request, authorizeError('access_denied')))
}
