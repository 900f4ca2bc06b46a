import type { OAuthError } from './errors.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { ActiveSession } from '../db/sessions.ts'
import type { AuthorizeRequest } from './authorize-request.ts'
import { authorizeError } from './authorize-response.ts'

/** authentik's default flow slugs (DESIGN.md); any other slug is treated as asking for consent. */
export const IMPLICIT_CONSENT = 'default-provider-authorization-implicit-consent'

/** What the authorization endpoint does next for a valid request (authentik §5.2). */
export type NextStep =
  /** Sign in (again): redirect to the login page. */
  | { kind: 'login' }
  | { kind: 'error'; error: OAuthError }
  /** The application is bound to a group the user is not in: a "Permission denied" page. */
  | { kind: 'denied' }
  /** Show the consent page. */
  | { kind: 'consent' }
  /** Issue the code; with `consent: 'required'` only when a remembered consent covers the scopes. */
  | { kind: 'issue'; consent: 'required' | 'none' }

/** May the session's user use the application? (authentik: the application's group binding.) */
export function mayUse(session: ActiveSession, bundle: ProviderBundle): boolean {
  const groupId = bundle.application?.groupId ?? null
  return groupId === null || session.user.groups.some((g) => g.id === groupId)
}

/**
 * authentik §5.2 and OIDC Core §3.1.2.1: no session → sign in (`login_required` under `prompt=none`); a group the
 * user is not in → denied (`access_denied` under `prompt=none`, which never shows a page); `max_age` exceeded or
 * `prompt=login` → sign in again; then consent per the provider's authorization flow and `prompt=consent`.
 */
export function nextStep(
  request: AuthorizeRequest, session: ActiveSession | null, bundle: ProviderBundle, now: Date,
): NextStep {
  const silent = request.prompt.has('none')
  const fail = (code: 'login_required' | 'access_denied'): NextStep => ({ kind: 'error', error: authorizeError(code) })
  const signIn = (): NextStep => (silent ? fail('login_required') : { kind: 'login' })
  if (!session) return signIn()
  if (!mayUse(session, bundle)) return silent ? fail('access_denied') : { kind: 'denied' }
  if (request.maxAge !== null && now.getTime() - session.loginTime.getTime() > request.maxAge * 1000) return signIn()
  if (request.prompt.has('login')) return signIn()
  if (request.prompt.has('consent')) return { kind: 'consent' }
  return { kind: 'issue', consent: bundle.provider.authorizationFlow === IMPLICIT_CONSENT ? 'none' : 'required' }
}

/**
 * The request as it comes back from sign-in: every parameter minus what the fresh sign-in satisfies (`login` in
 * `prompt`, `max_age`), so coming back does not loop.
 */
export function paramsAfterSignIn(params: URLSearchParams): URLSearchParams {
  const again = new URLSearchParams(params)
  const prompt = (again.get('prompt') ?? '').split(/\s+/).filter((p) => p !== '' && p !== 'login')
  if (prompt.length) again.set('prompt', prompt.join(' '))
  else again.delete('prompt')
  again.delete('max_age')
  return again
}

/**
 * The login page's URL for this request: `next` is the authorization request as a GET to the endpoint it came
 * through, with `paramsAfterSignIn(params)`; `hint` pre-fills the username.
 */
export function loginUrl(params: URLSearchParams, endpointPath: string, hint = params.get('login_hint')): string {
  const again = paramsAfterSignIn(params)
  const query = new URLSearchParams({ next: `${endpointPath}?${again}` })
  if (hint) query.set('login_hint', hint)
  return `/login?${query}`
}
