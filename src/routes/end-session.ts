import type { Handler } from 'hono'
import { deriveSecrets } from '../crypto/secret-box.ts'
import { recordEvent } from '../db/events.ts'
import { origin, type AppEnv } from '../deps.ts'
import { decideEndSession, type EndSessionParams } from '../oauth/end-session.ts'
import { cachedProviderBySlug } from '../oauth/provider-cache.ts'
import { MessagePage } from '../pages/layout.ts'
import { LogoutConfirmPage } from '../pages/logout.ts'
import { clientIp } from './client-ip.ts'
import { CSRF_FIELD, csrfFailed, csrfToken, verifyCsrf } from './csrf.ts'
import { readForm } from './form.ts'
import { protectPage } from './page-headers.ts'
import { currentSession, endCurrentSession } from './session.ts'
import { signedOut } from './signed-out.ts'

const PARAMS = { idTokenHint: 'id_token_hint', postLogoutRedirectUri: 'post_logout_redirect_uri', state: 'state',
  clientId: 'client_id' } as const

function readParams(raw: Record<string, string | string[] | undefined>): EndSessionParams {
  const one = (name: string) => {
    const v = raw[name]
    return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined
  }
  return Object.fromEntries(Object.entries(PARAMS).map(([key, name]) => [key, one(name)])) as EndSessionParams
}

/**
 * `/application/o/<slug>/end-session/` (GET and POST), OIDC RP-Initiated Logout 1.0 §2-§3 with edge-oidc's safer
 * rules (see `decideEndSession`). Without a valid hint for the current session the user confirms first (a
 * CSRF-protected form), so a third-party page cannot sign anyone out.
 */
export const endSession: Handler<AppEnv> = async (c) => {
  const { deps, db } = c.var
  const bundle = await cachedProviderBySlug(deps, db, c.req.param('slug') ?? '')
  if (!bundle?.application) {
    protectPage(c)
    return c.html(MessagePage({ title: 'Not found', message: 'There is no such application.' }), 404)
  }
  const raw = c.req.method === 'POST' ? await readForm(c) : c.req.query()
  const confirming = c.req.method === 'POST' && raw.action === 'logout'
  if (confirming && !(await verifyCsrf(c, 'logout', raw[CSRF_FIELD]))) return csrfFailed(c)
  const params = readParams(raw)
  const decision = await decideEndSession(params, bundle, origin(c), await deriveSecrets(deps.config.secretKey), deps.keys)
  if (!decision.ok) {
    protectPage(c)
    return c.html(MessagePage({ title: 'Sign-out request refused', message: decision.message }), 400)
  }
  const session = await currentSession(c)
  if (!session) return signedOut(c, null, decision.redirect)
  if (!confirming && decision.hint?.sid !== session.sessionKeyHash) {
    protectPage(c)
    const fields = Object.fromEntries(Object.entries(PARAMS).flatMap(([key, name]) => {
      const v = params[key as keyof EndSessionParams]
      return v === undefined ? [] : [[name, v]]
    }))
    return c.html(LogoutConfirmPage({ username: session.user.username, csrfToken: await csrfToken(c, 'logout'),
      action: c.req.path, appName: bundle.application.name, fields }))
  }
  const ended = await endCurrentSession(c)
  await recordEvent(db, { action: 'logout', user: { pk: session.user.id, username: session.user.username },
    clientId: bundle.provider.clientId, clientIp: clientIp(c) }, deps.clock.now())
  return signedOut(c, ended, decision.redirect)
}
