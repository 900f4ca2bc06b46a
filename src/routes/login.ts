import type { Handler } from 'hono'
import { verifyPassword, verifyPasswordDummy } from '../crypto/password.ts'
import {
  SIGN_IN_LIMITS, beginSignIn, recordSignInFailure, signInWrites, type SignInUser,
} from '../db/login-attempts.ts'
import { attemptWindow, secondsLeft } from '../db/rate-limits.ts'
import { loadProviderByClientId } from '../db/providers.ts'
import type { AppContext, AppEnv } from '../deps.ts'
import { describeError } from '../log.ts'
import { LoginPage } from '../pages/login.ts'
import { accountKeys, checkedKeys, overLimit, SUSPICIOUS_ADDRESSES } from '../oauth/account-limits.ts'
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

/**
 * Sign-in: CSRF, then the attempt is counted and the limit checked, then the constant-time password check;
 * success starts a session and answers 303 to `next`, failure re-renders the form with one generic message.
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
  const name = username.toLowerCase().slice(0, 256)
  const limitKeys = accountKeys('user', 'ip', name, ip)
  const keys = checkedKeys(limitKeys)
  const window = attemptWindow(now)

  const { attempts, user } = await beginSignIn(db, username, keys, window)
  // The counts before this attempt: a parallel burst sees its own numbers, so no more than a limit get through.
  if (overLimit(SIGN_IN_LIMITS, limitKeys, (key) => (attempts[key] ?? 1) - 1)) {
    protectPage(c)
    const retryAfter = secondsLeft(window, now)
    c.header('Retry-After', String(retryAfter))
    const back = next ? `/login?${new URLSearchParams({ next })}` : '/login'
    return c.html(TooManyAttemptsPage({ message: 'Too many sign-in attempts.', retryAfter, back }), 429)
  }
  const verified = await passwordMatches(c, user, password)
  if (!user || !verified || !user.isActive) {
    // The attempt stays counted; the events hold the attempted name, never the password.
    await recordSignInFailure(db, {
      event: { action: 'login_failed', context: { username }, clientIp: ip }, window, now,
      firstFromAddress: attempts[limitKeys.accountAddress] === 1, addressesKey: limitKeys.addresses,
      threshold: SUSPICIOUS_ADDRESSES, suspicious: { action: 'suspicious_request', clientIp: ip,
        context: { reason: 'failed sign-ins from many addresses', username, addresses: SUSPICIOUS_ADDRESSES } },
    })
    return renderForm(c, next, username, INVALID)
  }

  await beginSession(c, user.id, ['pwd'], signInWrites(db, user.id, keys, window, { action: 'login',
    user: { pk: user.id, username: user.username }, context: { auth_method: 'password' }, clientIp: ip }, now))
  protectPage(c)
  return c.redirect(next || '/', 303)
}
