import { expect } from 'vitest'
import { findForm, formFields, type TestAgent } from '../support/browser-forms.ts'

/** The `Location` of a redirect with status `status`, resolved against `base`; else fails with the page's text. */
export async function redirectTo(res: Response, status: number, base: string): Promise<URL> {
  const value = res.headers.get('Location')
  if (res.status !== status || value === null) {
    const main = /<main>([\s\S]*)<\/main>/.exec(await res.text())?.[1] ?? ''
    const text = main.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300)
    expect.fail(`${res.url} answered ${res.status} (expected a ${status} redirect), Location: ${value}: ${text}`)
  }
  return new URL(value, base)
}

const pathOf = (url: URL) => `${url.pathname}${url.search}`

/**
 * A browser with an empty cookie jar following an authorization request through the real pages over HTTP:
 * authorize → 302 to the login page → its form posted with the page's fields → 303 back to authorize → the
 * consent page → its form posted with `action=allow` → 303 to the client's redirect URI, which is returned.
 */
export async function signInAndConsent(agent: TestAgent, base: string, authorizationUrl: URL,
  credentials: { username: string; password: string }): Promise<URL> {
  expect(authorizationUrl.origin).toBe(base)
  const toLogin = await redirectTo(await agent.get(pathOf(authorizationUrl)), 302, base)
  expect(toLogin.origin + toLogin.pathname).toBe(`${base}/login`)
  expect(toLogin.searchParams.get('next')).toBe(pathOf(authorizationUrl))

  const loginPage = await agent.get(pathOf(toLogin))
  expect(loginPage.status).toBe(200)
  expect(loginPage.headers.get('Content-Type')).toMatch(/^text\/html/)
  const login = findForm(await loginPage.text(), '/login')
  const loginFields = formFields(login.body)
  expect(Object.keys(loginFields).sort()).toEqual(['csrf_token', 'next', 'password', 'username'])
  const signedIn = await agent.post(login.action!, { ...loginFields, ...credentials })
  const back = await redirectTo(signedIn, 303, base)
  expect(back.href).toBe(authorizationUrl.href)
  expect([...agent.cookies.keys()]).toContain('edge_oidc_session')

  const consentPage = await agent.get(pathOf(back))
  const html = await consentPage.text()
  expect(consentPage.status, html).toBe(200)
  expect(html).toContain('name="action" value="allow"')
  const consent = findForm(html, '/consent')
  const allowed = await agent.post(consent.action!, { ...formFields(consent.body), action: 'allow' })
  return await redirectTo(allowed, 303, base)
}

/** Authorization parameters of a response at the redirect URI, without the `code` (which is random). */
export function callbackParams(callback: URL): Record<string, string> {
  const { code, ...rest } = Object.fromEntries(callback.searchParams)
  expect(code).toMatch(/^[A-Za-z0-9]{48}$/)
  return rest
}
