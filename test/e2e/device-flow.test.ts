import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { findForm, formFields, type TestAgent } from '../support/browser-forms.ts'
import { httpAgent } from '../support/fetch-agent.ts'
import { PASSWORD } from '../support/fixtures.ts'
import { startHttpServer, unusedPort, type HttpServer } from '../support/http-server.ts'
import { createClient, createUser, issuerOf, SCOPE, type E2EClient, type E2EUser } from './fixtures.ts'
import { redirectTo } from './sign-in.ts'

const INTERVAL_MS = 5000

let t: TestContext
let server: HttpServer
let user: E2EUser
let app: E2EClient
let config: client.Configuration
/** Resolves once the client's first poll was answered; each later poll waits for `release`. */
let gate: { firstPoll: Promise<void>; release(): void }

/**
 * The client's fetch: a poll of the token endpoint moves the provider's fixed clock on by the interval, as that
 * much time passes for a device that waits between polls; later polls wait until the user has answered.
 */
function pollingFetch(): client.CustomFetch {
  let polls = 0
  let answered!: () => void
  let firstPolled!: () => void
  const released = new Promise<void>((resolve) => { answered = resolve })
  gate = { firstPoll: new Promise((resolve) => { firstPolled = resolve }), release: () => answered() }
  return async (url, options) => {
    // oauth4webapi's body types are a superset of what it sends (a string or URLSearchParams).
    const init = options as RequestInit
    if (!url.endsWith('/application/o/token/')) return fetch(url, init)
    if (polls++ > 0) await released
    t.clock.advance(INTERVAL_MS)
    const res = await fetch(url, init)
    firstPolled()
    return res
  }
}

beforeAll(async () => {
  t = await createTestContext()
  // openid-client checks the ID token's exp against the real time: the fixed clock starts there.
  t.clock.set(new Date())
  server = await startHttpServer(t)
  user = await createUser(t, 'device-e2e-alice', 'device-e2e-staff')
  app = await createClient(t, { slug: 'device-e2e', name: 'Living room TV',
    redirectUri: `http://127.0.0.1:${await unusedPort()}/callback` })
  config = await client.discovery(issuerOf(server.base, app.slug), app.clientId, { client_secret: app.clientSecret },
    client.ClientSecretBasic(app.clientSecret), { execute: [client.allowInsecureRequests] })
}, 60_000)

afterAll(async () => {
  await server?.close()
  await t?.close()
})

const pathOf = (url: URL) => `${url.pathname}${url.search}`

/** The user opens the verification URI in a browser, signs in, confirms the pre-filled code and answers. */
async function approveOnPages(agent: TestAgent, verification: string, answer: 'allow' | 'deny'): Promise<string> {
  const toLogin = await redirectTo(await agent.get(pathOf(new URL(verification))), 302, server.base)
  expect(toLogin.pathname).toBe('/login')
  const login = findForm(await (await agent.get(pathOf(toLogin))).text(), '/login')
  const back = await redirectTo(await agent.post(login.action!, { ...formFields(login.body), username: user.username,
    password: PASSWORD }), 303, server.base)
  expect(back.href).toBe(verification)

  const entry = findForm(await (await agent.get(pathOf(back))).text(), '/device')
  const consent = await agent.post(entry.action!, formFields(entry.body))
  const html = await consent.text()
  expect(consent.status, html).toBe(200)
  expect(html).toContain('name="action" value="allow"')
  const form = findForm(html, '/device')
  const done = await agent.post(form.action!, { ...formFields(form.body), action: answer })
  expect(done.status).toBe(200)
  return done.text()
}

describe('openid-client: the device flow against the running server', () => {
  it('polls while the user approves on the real /device pages, then gets tokens', async () => {
    config[client.customFetch] = pollingFetch()
    const started = await client.initiateDeviceAuthorization(config, { scope: SCOPE })
    expect(started).toMatchObject({ verification_uri: `${server.base}/device`, expires_in: 60, interval: 5,
      verification_uri_complete: `${server.base}/device?code=${started.user_code}` })
    // The device's waits are the clock's (see pollingFetch): no real time needs to pass between polls.
    const polling = client.pollDeviceAuthorizationGrant(config, { ...started, interval: 0 })
    await gate.firstPoll

    const agent = httpAgent(t, server.base)
    const loginTime = Math.floor(t.clock.now().getTime() / 1000)
    expect(await approveOnPages(agent, started.verification_uri_complete!, 'allow')).toContain('You may return to your device.')
    gate.release()

    const tokens = await polling
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: SCOPE, refresh_token: expect.any(String) })
    const claims = tokens.claims()!
    expect(claims).toMatchObject({ iss: issuerOf(server.base, app.slug).href, aud: app.clientId, auth_time: loginTime,
      sid: await sha256Hex(agent.cookies.get('edge_oidc_session')!), amr: ['pwd'], preferred_username: user.username })
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
    expect(userinfo).toMatchObject({ sub: claims.sub, email: user.email })
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
    expect(refreshed.claims()).toMatchObject({ sub: claims.sub, auth_time: loginTime })
  })

  it('ends the polling with access_denied when the user refuses', async () => {
    config[client.customFetch] = pollingFetch()
    // A scope not consented to before, so the consent page asks again.
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid entitlements' })
    const polling = client.pollDeviceAuthorizationGrant(config, { ...started, interval: 0 })
    const outcome = expect(polling).rejects.toMatchObject({ error: 'access_denied' })
    await gate.firstPoll
    // A fresh browser: the page says the device was refused.
    expect(await approveOnPages(httpAgent(t, server.base), started.verification_uri_complete!, 'deny'))
      .toContain('You refused access to Living room TV.')
    gate.release()
    await outcome
  })
})
