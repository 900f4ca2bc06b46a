import type { Handler } from 'hono'
import { recordEvent } from '../db/events.ts'
import type { AppEnv } from '../deps.ts'
import { LogoutConfirmPage, SignedOutPage } from '../pages/logout.ts'
import { readForm } from './form.ts'
import { CSRF_FIELD, csrfToken, verifyCsrf } from './csrf.ts'
import { clientIp } from './client-ip.ts'
import { csrfFailed } from './csrf.ts'
import { protectPage } from './page-headers.ts'
import { currentSession, endCurrentSession } from './session.ts'
import { signedOut } from './signed-out.ts'

/** Asks a signed-in user to confirm; a GET never signs anyone out (a link or image could trigger it). */
export const logoutPage: Handler<AppEnv> = async (c) => {
  protectPage(c)
  const session = await currentSession(c)
  if (!session) return c.html(SignedOutPage())
  return c.html(LogoutConfirmPage({ username: session.user.username, csrfToken: await csrfToken(c, 'logout') }))
}

/**
 * Ends the browser session: its row goes, and with it (by cascade) its authorization codes and access
 * tokens; refresh tokens outlive it (authentik §7.3). Writes a `logout` event; the session's applications are told
 * (back-channel after the response, front-channel in iframes of the signed-out page).
 */
export const logout: Handler<AppEnv> = async (c) => {
  const form = await readForm(c)
  if (!(await verifyCsrf(c, 'logout', form[CSRF_FIELD]))) return csrfFailed(c)
  const session = await currentSession(c)
  const ended = await endCurrentSession(c)
  if (session) {
    const user = { pk: session.user.id, username: session.user.username }
    await recordEvent(c.var.db, { action: 'logout', user, clientIp: clientIp(c) }, c.var.deps.clock.now())
  }
  return signedOut(c, ended, null)
}
