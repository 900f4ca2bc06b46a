import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestContext } from '../support/app.ts'
import { findForm, formFields } from '../support/browser-forms.ts'
import { httpAgent } from '../support/fetch-agent.ts'
import type { HttpServer } from '../support/http-server.ts'
import { PASSWORD } from '../support/fixtures.ts'
import { createClient, issuerOf, SCOPE, startE2E, stopE2E, type E2EClient, type E2EUser } from './fixtures.ts'
import { callbackParams, redirectTo } from './sign-in.ts'

let t: TestContext
let server: HttpServer
let user: E2EUser
let redirectUri: string

beforeAll(async () => {
  ({ t, server, user, redirectUri } = await startE2E('e2e-par-alice', 'e2e-par-staff'))
})
afterAll(() => stopE2E({ t, server }))

const pathOf = (url: URL) => `${url.pathname}${url.search}`

async function configure(c: E2EClient, auth: 'basic' | 'post'): Promise<client.Configuration> {
  const method = auth === 'basic' ? client.ClientSecretBasic(c.clientSecret) : client.ClientSecretPost(c.clientSecret)
  return client.discovery(issuerOf(server.base, c.slug), c.clientId, { client_secret: c.clientSecret }, method,
    { execute: [client.allowInsecureRequests] })
}

/** A pushed authorization request as openid-client makes it: PKCE S256, nonce, state. */
async function pushedRequest(config: client.Configuration) {
  const checks = { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedNonce: client.randomNonce(),
    expectedState: client.randomState() }
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: redirectUri, scope: SCOPE, code_challenge_method: 'S256',
    code_challenge: await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier),
    nonce: checks.expectedNonce, state: checks.expectedState,
  })
  return { url, checks }
}

describe.each(['basic', 'post'] as const)('openid-client pushes its authorization requests (client_secret_%s)', (auth) => {
  it('pushes, signs in, consents and exchanges the code; the request_uri is then used up', async () => {
    t.clock.set(new Date())
    const c = await createClient(t, { slug: `e2e-par-${auth}`, redirectUri })
    const config = await configure(c, auth)
    expect(config.serverMetadata()).toMatchObject({
      pushed_authorization_request_endpoint: `${server.base}/application/o/par/`,
      require_pushed_authorization_requests: false,
    })
    const { url, checks } = await pushedRequest(config)
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9]{48}$/)

    // The browser: authorize → the login page, whose next carries a new reference of the same request.
    const agent = httpAgent(t, server.base)
    const toLogin = await redirectTo(await agent.get(pathOf(url)), 302, server.base)
    expect(toLogin.pathname).toBe('/login')
    const next = new URL(toLogin.searchParams.get('next')!, server.base)
    expect(next.searchParams.get('client_id')).toBe(c.clientId)
    expect(next.searchParams.get('request_uri')).not.toBe(url.searchParams.get('request_uri'))

    const loginPage = await agent.get(pathOf(toLogin))
    const login = findForm(await loginPage.text(), '/login')
    const back = await redirectTo(await agent.post(login.action!,
      { ...formFields(login.body), username: user.username, password: PASSWORD }), 303, server.base)
    expect(back.href).toBe(next.href)
    const consentPage = await agent.get(pathOf(back))
    expect(consentPage.status).toBe(200)
    const consent = findForm(await consentPage.text(), '/consent')
    const callback = await redirectTo(await agent.post(consent.action!,
      { ...formFields(consent.body), action: 'allow' }), 303, server.base)
    expect(callback.origin + callback.pathname).toBe(redirectUri)
    const issuer = issuerOf(server.base, c.slug)
    expect(callbackParams(callback)).toEqual({ state: checks.expectedState, iss: issuer.href })

    const tokens = await client.authorizationCodeGrant(config, callback, checks)
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: SCOPE })
    expect(tokens.claims()).toMatchObject({ iss: issuer.href, aud: c.clientId, nonce: checks.expectedNonce,
      preferred_username: user.username })

    // The client's reference is single use: the same browser (signed in, consented) is refused with it.
    const again = await agent.get(pathOf(url))
    expect(again.status).toBe(400)
    expect(await again.text()).toContain('Request URI Error')
    // A new push goes straight through for the signed-in browser with a remembered consent.
    const second = await pushedRequest(config)
    const silent = await redirectTo(await agent.get(pathOf(second.url)), 302, server.base)
    expect(callbackParams(silent)).toEqual({ state: second.checks.expectedState, iss: issuer.href })
    expect((await client.authorizationCodeGrant(config, silent, second.checks)).claims())
      .toMatchObject({ nonce: second.checks.expectedNonce })
  })
})

describe('a provider that requires pushed authorization requests', () => {
  it('is served through PAR, and a plain authorization request is refused at the redirect URI', async () => {
    t.clock.set(new Date())
    const c = await createClient(t, { slug: 'e2e-par-required', redirectUri })
    const updated = await t.admin('PATCH', `/providers/oauth2/${await providerPk(c.clientId)}/`,
      { require_pushed_authorization_requests: true })
    expect(updated.status).toBe(200)
    const config = await configure(c, 'basic')
    expect(config.serverMetadata().require_pushed_authorization_requests).toBe(true)

    const agent = httpAgent(t, server.base)
    const plain = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: SCOPE, state: 'plain-st',
      code_challenge_method: 'S256', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()) })
    const refused = await redirectTo(await agent.get(pathOf(plain)), 302, server.base)
    expect(Object.fromEntries(refused.searchParams)).toMatchObject({ error: 'invalid_request',
      error_description: 'pushed authorization request required', state: 'plain-st' })

    const { url } = await pushedRequest(config)
    const toLogin = await redirectTo(await agent.get(pathOf(url)), 302, server.base)
    expect(toLogin.pathname).toBe('/login')
  })
})

async function providerPk(clientId: string): Promise<number> {
  const res = await t.admin('GET', '/providers/oauth2/?page_size=100')
  const page = await res.json() as { results: Array<{ pk: number; client_id: string }> }
  return page.results.find((p) => p.client_id === clientId)!.pk
}
