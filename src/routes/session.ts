import type { SQL } from 'drizzle-orm'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { sha256Hex } from '../crypto/hash.ts'
import { base64urlEncode } from '../crypto/encoding.ts'
import { createSession, endSession, findSession, type ActiveSession, type EndedSession } from '../db/sessions.ts'
import { sendLogoutsAfterResponse } from '../oauth/logout-dispatch.ts'
import { origin, type AppContext } from '../deps.ts'
import { clientIp } from './client-ip.ts'

/** How long a browser session lives after sign-in (authentik's default session duration). */
export const SESSION_TTL_MS = 24 * 3_600_000

/** `__Host-` prefixed (Secure, path /, no Domain) whenever the provider is served over https. */
export function secureCookies(c: AppContext): boolean {
  return origin(c).startsWith('https:')
}

export function sessionCookieName(c: AppContext): string {
  return secureCookies(c) ? '__Host-edge_oidc_session' : 'edge_oidc_session'
}

/**
 * The hash of the session cookie, when the request's session has not been read yet and a cookie was sent: for a
 * statement that reads the session together with something else (then hand it to `rememberSession`).
 */
export async function unreadSessionCookie(c: AppContext): Promise<string | null> {
  if (c.var.session !== undefined) return null
  const value = getCookie(c, sessionCookieName(c))
  return value ? sha256Hex(value) : null
}

/** The request's session as another statement read it (see `unreadSessionCookie`). */
export function rememberSession(c: AppContext, session: ActiveSession | null): void {
  c.set('session', session)
}

/** The request's live session, read once per request (one statement) and remembered on the context. */
export async function currentSession(c: AppContext): Promise<ActiveSession | null> {
  const cached = c.var.session
  if (cached !== undefined) return cached
  const value = getCookie(c, sessionCookieName(c))
  const session = value ? await findSession(c.var.db, await sha256Hex(value), c.var.deps.clock.now()) : null
  c.set('session', session)
  return session
}

/**
 * Start a session for `userId` after a successful sign-in: a new random cookie, only its hash stored; `also` runs
 * in the same statement (see `createSession`). False when its condition did not hold (no session, no cookie).
 */
export async function beginSession(c: AppContext, userId: number, amr: string[],
  also?: { first?: SQL; when?: SQL; writes?: SQL }): Promise<boolean> {
  const now = c.var.deps.clock.now()
  const value = base64urlEncode(crypto.getRandomValues(new Uint8Array(32)))
  const previous = getCookie(c, sessionCookieName(c))
  const created = await createSession(c.var.db, {
    sessionKeyHash: await sha256Hex(value), userId, loginTime: now, amr,
    lastIp: clientIp(c) ?? null, lastUserAgent: c.req.header('User-Agent') ?? '',
    expires: new Date(now.getTime() + SESSION_TTL_MS), origin: origin(c),
    // Another user's session in this browser ends here (authentik / Django `login()` flushes it).
    replaces: previous ? await sha256Hex(previous) : null,
  }, also)
  if (!created) return false
  sendLogoutsAfterResponse(c, created.notifications)
  setCookie(c, sessionCookieName(c), value, {
    httpOnly: true, sameSite: 'Lax', path: '/', secure: secureCookies(c), maxAge: SESSION_TTL_MS / 1000,
  })
  c.set('session', undefined)
  return true
}

/** End the request's session, if any, clear its cookie and send its logout notifications after the response. */
export async function endCurrentSession(c: AppContext): Promise<EndedSession | null> {
  const session = await currentSession(c)
  const ended = session ? await endSession(c.var.db, session.id, c.var.deps.clock.now()) : null
  if (ended) sendLogoutsAfterResponse(c, ended.notifications)
  deleteCookie(c, sessionCookieName(c), { path: '/', secure: secureCookies(c) })
  c.set('session', null)
  return ended
}
