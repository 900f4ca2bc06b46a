import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consents } from '../../src/db/schema.ts'
import { OPENID_MEANS } from '../../src/pages/consent.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { createUserWithPassword, defaultMappingPks, EXPLICIT_CONSENT } from '../support/fixtures.ts'
import { TestAgent } from '../support/browser-forms.ts'
import {
  authorizePath, codesOf, createClient, eventsOf, expectErrorRedirect, location, signIn, type Client,
} from './authorize/helpers.ts'

let t: TestContext
let client: Client
let alice: { pk: number; uuid: string }
let agent: TestAgent
let appId: string

const ask = (extra: Record<string, string> = {}, c: Client = client) =>
  authorizePath({ client_id: c.clientId, redirect_uri: 'foo://localhost', response_type: 'code', state: 'st', ...extra })

async function consentPage(browser: TestAgent, path: string): Promise<string> {
  const res = await browser.get(path)
  expect(res.status, `${res.status} ${res.headers.get('Location')}`).toBe(200)
  return res.text()
}

/** Show the consent page for `path`, then press `action` (the page's own hidden fields, as a browser sends them). */
async function answer(browser: TestAgent, path: string, action: 'allow' | 'deny', overrides: Record<string, string> = {}) {
  const fields = browser.formFields(await consentPage(browser, path), '/consent')
  return browser.post('/consent', { ...fields, action, ...overrides })
}

const consentRows = () => t.db.select().from(consents)
  .where(and(eq(consents.userId, alice.pk), eq(consents.applicationId, appId)))

beforeAll(async () => {
  t = await createTestContext()
  client = await createClient(t, 'explicit', {
    authorization_flow: EXPLICIT_CONSENT, property_mappings: await defaultMappingPks(t),
  })
  appId = ((await (await t.admin('GET', '/core/applications/explicit/')).json()) as { pk: string }).pk
  alice = await createUserWithPassword(t, 'alice')
  await createUserWithPassword(t, 'bob')
  agent = await signIn(t, 'alice')
}, 60_000)
afterAll(() => t.close())

describe('explicit consent', () => {
  it('shows the application and the requested scopes\' descriptions', async () => {
    const res = await agent.get(ask({ scope: 'openid email profile' }))
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'")
    expect(res.headers.get('X-Frame-Options')).toBe('DENY')
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const html = await res.text()
    expect(html).toContain('App explicit')
    expect(html).toContain(`<ul><li>${OPENID_MEANS}</li><li>Email address</li><li>General Profile Information</li></ul>`)
    expect(html).toContain('<button type="submit" name="action" value="allow">')
    expect(html).toContain('<button type="submit" name="action" value="deny" class="secondary">')
    const fields = agent.formFields(html, '/consent')
    expect(fields).toEqual({
      client_id: client.clientId, redirect_uri: 'foo://localhost', response_type: 'code', state: 'st',
      scope: 'openid email profile', csrf_token: expect.any(String), consent_user: alice.uuid, consent_endpoint: 'oidc',
    })
    expect(await consentRows()).toEqual([])
  })

  it('issues the code and remembers the consent on allow', async () => {
    t.counter.reset()
    const fields = agent.formFields(await consentPage(agent, ask({ scope: 'openid email' })), '/consent')
    t.counter.reset()
    const res = await agent.post('/consent', { ...fields, action: 'allow' })
    expect(t.counter.count).toBe(2)
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toMatch(/^foo:\/\/localhost\?code=[A-Za-z0-9]{48}&state=st&iss=/)
    expect(location(res).searchParams.get('iss')).toBe(client.iss)
    expect(await consentRows()).toMatchObject([{ permissions: 'email openid', expiring: false, expires: null }])
    expect((await eventsOf(t, 'authorize_application', client.clientId)).at(-1)?.context).toMatchObject({ scopes: 'openid email' })
  })

  it('asks nothing for scopes already consented to', async () => {
    for (const scope of ['openid email', 'email']) {
      t.counter.reset()
      const res = await agent.get(ask({ scope }))
      expect(t.counter.count).toBe(1)
      expect(res.status).toBe(302)
      expect(location(res).searchParams.get('code')).toMatch(/^[A-Za-z0-9]{48}$/)
    }
  })

  it('asks again for a new scope and remembers the union', async () => {
    const res = await answer(agent, ask({ scope: 'openid profile' }), 'allow')
    expect(res.status).toBe(303)
    expect(await consentRows()).toMatchObject([{ permissions: 'email openid profile' }])
    expect((await agent.get(ask({ scope: 'email profile' }))).status).toBe(302)
  })

  it('asks under prompt=consent even when consented', async () => {
    await consentPage(agent, ask({ scope: 'openid', prompt: 'consent' }))
  })

  it('answers consent_required under prompt=none when consent is needed', async () => {
    const res = await agent.get(ask({ scope: 'openid offline_access', prompt: 'none' }))
    expectErrorRedirect(res, 302, {
      error: 'consent_required', error_description: 'The Authorization Server requires End-User consent',
      state: 'st', iss: client.iss,
    })
  })

  it('answers access_denied on deny, without a code or a consent', async () => {
    const before = (await codesOf(t, client.pk)).length
    const res = await answer(agent, ask({ scope: 'entitlements' }), 'deny')
    expectErrorRedirect(res, 303, {
      error: 'access_denied', error_description: 'The resource owner or authorization server denied the request',
      state: 'st', iss: client.iss,
    })
    expect(await codesOf(t, client.pk)).toHaveLength(before)
    expect(await consentRows()).toMatchObject([{ permissions: 'email openid profile' }])
  })

  it('answers in form_post mode after the consent', async () => {
    const res = await answer(agent, ask({ scope: 'offline_access', redirect_uri: 'http://localhost', response_mode: 'form_post' }), 'allow')
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<form method="post" action="http://localhost">')
    expect(agent.formFields(html)).toEqual({ code: expect.stringMatching(/^[A-Za-z0-9]{48}$/), state: 'st', iss: client.iss })
  })
})

describe('remembered consents', () => {
  it('asks again once a remembered consent has expired', async () => {
    const carol = await createUserWithPassword(t, 'carol')
    const browser = await signIn(t, 'carol')
    await t.db.insert(consents).values({ userId: carol.pk, applicationId: appId, permissions: 'openid',
      expiring: true, expires: new Date(t.clock.now().getTime() + 1000) })
    expect((await browser.get(ask({ scope: 'openid' }))).status).toBe(302)
    t.clock.advance(1000)
    try {
      await consentPage(browser, ask({ scope: 'openid' }))
    } finally {
      t.clock.advance(-1000)
    }
  })

  it('never asks under the implicit-consent flow, and remembers nothing after prompt=consent', async () => {
    const implicit = await createClient(t, 'implicit', { property_mappings: await defaultMappingPks(t) })
    expect((await agent.get(ask({ scope: 'openid email' }, implicit))).status).toBe(302)
    const res = await answer(agent, ask({ scope: 'openid email', prompt: 'consent' }, implicit), 'allow')
    expect(res.status).toBe(303)
    expect(location(res).searchParams.get('code')).toMatch(/^[A-Za-z0-9]{48}$/)
    expect(await t.db.select().from(consents).where(eq(consents.userId, alice.pk))).toHaveLength(1)
  })
})

describe('the consent form is checked again', () => {
  it('refuses a bad CSRF token or a foreign origin with 403', async () => {
    const before = (await codesOf(t, client.pk)).length
    const bad = await answer(agent, ask({ scope: 'entitlements' }), 'allow', { csrf_token: 'forged' })
    expect(bad.status).toBe(403)
    const fields = agent.formFields(await consentPage(agent, ask({ scope: 'entitlements' })), '/consent')
    const foreign = await agent.post('/consent', { ...fields, action: 'allow' }, { Origin: 'https://evil.example' })
    expect(foreign.status).toBe(403)
    expect(await codesOf(t, client.pk)).toHaveLength(before)
  })

  it('validates the hidden request again', async () => {
    const tampered = await answer(agent, ask({ scope: 'entitlements' }), 'allow', { redirect_uri: 'https://evil.example/' })
    expect(tampered.status).toBe(400)
    expect(tampered.headers.get('Location')).toBeNull()
    expect(await tampered.text()).toContain('Redirect URI Error')
    const badType = await answer(agent, ask({ scope: 'entitlements' }), 'allow', { response_type: 'token' })
    expect(badType.status).toBe(303)
    expect(location(badType).searchParams.get('error')).toBe('unsupported_response_type')
  })

  it('starts over when another user signed in since the page was shown', async () => {
    const browser = await signIn(t, 'alice')
    const fields = browser.formFields(await consentPage(browser, ask({ scope: 'entitlements' })), '/consent')
    await signIn(t, 'bob', browser)
    const res = await browser.post('/consent', { ...fields, action: 'allow' })
    expect(res.status).toBe(303)
    const again = location(res)
    expect(again.pathname).toBe('/application/o/authorize/')
    expect(again.searchParams.get('scope')).toBe('entitlements')
    expect(again.searchParams.has('csrf_token')).toBe(false)
    expect(await consentRows()).toMatchObject([{ permissions: 'email offline_access openid profile' }])
  })

  it('sends a browser without a session to the login page', async () => {
    const fields = agent.formFields(await consentPage(agent, ask({ scope: 'entitlements' })), '/consent')
    const anonymous = new TestAgent(t)
    for (const [k, v] of agent.cookies) if (k !== 'edge_oidc_session') anonymous.cookies.set(k, v)
    const res = await anonymous.post('/consent', { ...fields, action: 'allow' })
    expect(res.status).toBe(303)
    expect(location(res).pathname).toBe('/login')
  })
})
