import type { Handler } from 'hono'
import { verifyPassword, verifyPasswordDummy } from '../crypto/password.ts'
import type { Attempt } from '../db/failure-counters.ts'
import {
  beginSignIn, recordSignInFailure, signInAllowed, signInAttempt, signInWrites, type SignInUser,
} from '../db/login-attempts.ts'
import { loadProviderByClientId } from '../db/providers.ts'
import type { AppContext, AppEnv } from '../deps.ts'
import { describeError } from '../log.ts'
import { LoginPage } from '../pages/login.ts'
import { attemptWindow, secondsLeft, SIGN_IN_LIMITS, signInKeys, SUSPICIOUS_ADDRESSES } from '../oauth/limits.ts'
import { TooManyAttemptsPage } from '../pages/too-many.ts'
import { readForm } from './form.ts'
import { clientIp } from './client-ip.ts'
import { CSRF_FIELD, csrfFailed, csrfToken, verifyCsrf } from './csrf.ts'
import { protectPage } from './page-headers.ts'
import { beginSession } from './session.ts'

const INVALID = 'Invalid username or password.'
const AUTHORIZE_PATH = '/application/o/authorize/'

/**
 * `next` when it is a relative path on this origin (starts with one `/`, no `//` or `/\`, no scheme, no
 * whitespace or control characters that browsers strip), else '' (an open redirect otherwise).
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || /^\/[/\\]/.test(next)) return ''
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(next)) return ''
  const base = 'http://next.invalid'
  try {
    return new URL(next, base).origin === base ? next : ''
  } catch {
    return ''
  }
}

/** "Sign in to <app>" when `next` continues an authorization request (one statement), else null. */
async function appNameFor(c: AppContext, next: string): Promise<string | null> {
  if (!next) return null
  const url = new URL(next, 'http://next.invalid')
  const clientId = url.searchParams.get('client_id')
  if (url.pathname !== AUTHORIZE_PATH || !clientId) return null
  const bundle = await loadProviderByClientId(c.var.db, clientId)
  return bundle?.application?.name ?? null
}

async function renderForm(c: AppContext, next: string, username: string, error?: string): Promise<Response> {
  protectPage(c)
  const [appName, token] = await Promise.all([appNameFor(c, next), csrfToken(c, 'login')])
  return c.html(LoginPage({ appName, username, next, csrfToken: token, error }))
}

/** The sign-in page; `login_hint` pre-fills the username (OIDC Core §3.1.2.1). */
export const loginPage: Handler<AppEnv> = (c) =>
  renderForm(c, safeNext(c.req.query('next')), c.req.query('login_hint') ?? '')

/** Constant-time PBKDF2 check; unknown users and users without a password spend the same work. */
async function passwordMatches(c: AppContext, user: SignInUser | null, password: string): Promise<boolean> {
  const { config, log } = c.var.deps
  if (!user?.passwordHash) return verifyPasswordDummy(password, config.passwordIterations)
  try {
    return await verifyPassword(password, user.passwordHash)
  } catch (err) {
    // Cloudflare refuses PBKDF2 above 100000 iterations (NotSupportedError): a failed sign-in, not a 500.
    const { error, error_message } = describeError(err)
    log.log('warn', 'password hash could not be verified', { request_id: c.var.requestId, user_id: user.id,
      error, error_message })
    return false
  }
}

/** The 429 page of a sign-in the limits refused, saying when to try again. */
function tooMany(c: AppContext, next: string, retryAfter: number): Response | Promise<Response> {
  protectPage(c)
  c.header('Retry-After', String(retryAfter))
  const back = next ? `/login?${new URLSearchParams({ next })}` : '/login'
  return c.html(TooManyAttemptsPage({ message: 'Too many sign-in attempts.', retryAfter, back }), 429)
}

/**
 * Sign-in, in two statements with the constant-time password check between them (src/oauth/limits.ts): CSRF;
 * the user read, and a request whose address or account is at its limits refused before any password is checked;
 * then either the failure counted (and answered only while the limits allow: a burst cannot get more answered
 * than they do) or, for a right password the limits still allow, the session started; it answers 303 to `next`.
 * A right password writes nothing to the counters.
 */
export const login: Handler<AppEnv> = async (c) => {
  const form = await readForm(c)
  if (!(await verifyCsrf(c, 'login', form[CSRF_FIELD]))) return csrfFailed(c)
  const field = (name: string) => (typeof form[name] === 'string' ? form[name] : '')
  const username = field('username')
  const password = field('password')
  const next = safeNext(form.next)
  const { db, deps } = c.var
  const now = deps.clock.now()
  const ip = clientIp(c)
  const window = attemptWindow(now)
  const attempt: Attempt = { keys: signInKeys(username, ip), limits: SIGN_IN_LIMITS, window,
    suspicious: { event: { action: 'suspicious_request', clientIp: ip,
      context: { reason: 'failed sign-ins from many addresses', username, addresses: SUSPICIOUS_ADDRESSES } },
    threshold: SUSPICIOUS_ADDRESSES, now } }

  const { limited, user } = await beginSignIn(db, username, attempt)
  if (limited) return tooMany(c, next, secondsLeft(window, now))
  const verified = await passwordMatches(c, user, password)
  if (!user || !verified || !user.isActive) {
    // The events hold the attempted name, never the password.
    const answered = await recordSignInFailure(db, attempt,
      { action: 'login_failed', context: { username }, clientIp: ip }, now)
    if (!answered) return tooMany(c, next, secondsLeft(window, now))
    return renderForm(c, next, username, INVALID)
  }

  const started = await beginSession(c, user.id, ['pwd'], { first: signInAttempt(attempt), when: signInAllowed,
    writes: signInWrites(user.id, { action: 'login', user: { pk: user.id, username: user.username },
      context: { auth_method: 'password' }, clientIp: ip }, now) })
  if (!started) return tooMany(c, next, secondsLeft(window, now))
  protectPage(c)
  return c.redirect(next || '/', 303)
}
