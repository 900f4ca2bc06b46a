import type { Handler } from 'hono'
import { findPendingDevice, type PendingDevice } from '../db/device-approval.ts'
import { addressKeys, attemptWindow, secondsLeft, WRONG_USER_CODES } from '../oauth/limits.ts'
import type { ActiveSession } from '../db/sessions.ts'
import type { AppContext, AppEnv } from '../deps.ts'
import { DEVICE_PAGE } from '../oauth/device-authorization.ts'
import { decideDevice, type ConsentAnswer } from '../oauth/device-approval.ts'
import { displayUserCode, normaliseUserCode } from '../oauth/user-code.ts'
import { PermissionDeniedPage } from '../pages/authorize-error.ts'
import { ConsentPage, CONSENT_FIELDS } from '../pages/consent.ts'
import { DEVICE_FIELDS, DeviceDonePage, DeviceEntryPage } from '../pages/device.ts'
import { TooManyAttemptsPage } from '../pages/too-many.ts'
import { clientIp } from './client-ip.ts'
import { CSRF_FIELD, csrfFailed, csrfToken, verifyCsrf } from './csrf.ts'
import { readForm } from './form.ts'
import { protectPage } from './page-headers.ts'
import { currentSession } from './session.ts'

const INVALID = 'Invalid code'

/** `/device` with the code, for the sign-in page to come back to. */
const pageWith = (code: string) => (code ? `${DEVICE_PAGE}?${new URLSearchParams({ code })}` : DEVICE_PAGE)

function signIn(c: AppContext, code: string): Response {
  c.header('Cache-Control', 'no-store')
  return c.redirect(`/login?${new URLSearchParams({ next: pageWith(code) })}`, c.req.method === 'POST' ? 303 : 302)
}

async function entryPage(c: AppContext, session: ActiveSession, code: string, error?: string): Promise<Response> {
  protectPage(c)
  const token = await csrfToken(c, 'device')
  return c.html(DeviceEntryPage({ username: session.user.username, code, csrfToken: token, error }))
}

async function consentPage(c: AppContext, session: ActiveSession, device: PendingDevice, code: string):
  Promise<Response> {
  const permissions = [...new Set(device.mappings.map((m) => m.description).filter(Boolean))]
  const hidden: Array<[string, string]> = [[DEVICE_FIELDS.code, code], [CSRF_FIELD, await csrfToken(c, 'device')],
    [CONSENT_FIELDS.user, session.user.uuid]]
  protectPage(c)
  return c.html(ConsentPage({ application: device.application.name, username: session.user.username, permissions,
    openid: device.scopes.includes('openid'), hidden, action: DEVICE_PAGE, device: { code: displayUserCode(normaliseUserCode(code)) } }))
}

/** RFC 8628 §3.3 verification URI, GET: sign-in required; `?code=` pre-fills the form (authentik §4.6). */
export const devicePage: Handler<AppEnv> = async (c) => {
  const code = c.req.query(DEVICE_FIELDS.code) ?? ''
  const session = await currentSession(c)
  if (!session) return signIn(c, code)
  return entryPage(c, session, code)
}

/**
 * The device page's form, and the device consent page's answer: CSRF and Origin, the session, then the code
 * (case-insensitive, hyphens and spaces ignored; wrong ones limited per address), then the group check and
 * consent (`decideDevice`), then a page saying the device may go on.
 */
export const device: Handler<AppEnv> = async (c) => {
  const form = await readForm(c)
  if (!(await verifyCsrf(c, 'device', form[CSRF_FIELD]))) return csrfFailed(c)
  const field = (name: string) => (typeof form[name] === 'string' ? form[name] : '')
  const code = field(DEVICE_FIELDS.code)
  const action = field(CONSENT_FIELDS.action)
  const session = await currentSession(c)
  if (!session) return signIn(c, code)
  if (action !== '' && field(CONSENT_FIELDS.user) !== session.user.uuid) {
    // Another user signed in since the consent page was shown: start over, so they see their own.
    c.header('Cache-Control', 'no-store')
    return c.redirect(pageWith(code), 303)
  }

  const { db, deps } = c.var
  const now = deps.clock.now()
  const ip = clientIp(c)
  const window = attemptWindow(now)
  const { device: found, allowed } = await findPendingDevice(db, { userCode: normaliseUserCode(code), now,
    attempt: { keys: addressKeys('device-code-ip', ip), window,
      limits: { perAccountAddress: WRONG_USER_CODES, perAddress: WRONG_USER_CODES, perAccount: WRONG_USER_CODES } } })
  if (!allowed) {
    protectPage(c)
    const retryAfter = secondsLeft(window, now)
    c.header('Retry-After', String(retryAfter))
    return c.html(TooManyAttemptsPage({ message: 'Too many wrong codes.', retryAfter, back: DEVICE_PAGE }), 429)
  }
  if (!found) return entryPage(c, session, code, INVALID)

  const answer: ConsentAnswer = action === 'allow' || action === 'deny' ? action : null
  const outcome = await decideDevice(db, { device: found, session, answer, now, clientIp: ip ?? null })
  protectPage(c)
  switch (outcome) {
    case 'forbidden':
      return c.html(PermissionDeniedPage({ application: found.application.name }))
    case 'consent':
      return consentPage(c, session, found, code)
    case 'gone':
      return entryPage(c, session, code, INVALID)
    default:
      return c.html(DeviceDonePage({ application: found.application.name, approved: outcome === 'approved' }))
  }
}
