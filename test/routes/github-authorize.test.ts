import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import {
  createProviderApp, createUserWithPassword, defaultMappingPks, EXPLICIT_CONSENT, json, PASSWORD, type Provider,
} from '../support/fixtures.ts'
import { TestAgent } from '../support/browser-forms.ts'
import { codesOf, location, signIn } from './authorize/helpers.ts'

let t: TestContext
let agent: TestAgent
let grafana: Provider
let explicit: Provider
const GITHUB = '/login/oauth/authorize'
const REDIRECT = 'https://grafana.example/login/github'

/** A GitHub-style authorization request (no response_type, as GitHub's authorize URL takes none). */
function ask(p: Provider, extra: Record<string, string> = {}, path = GITHUB): string {
  return `${path}?${new URLSearchParams({ client_id: p.client_id, redirect_uri: REDIRECT, state: 'st', ...extra })}`
}

/** The scope stored with the code of a query-mode redirect. */
async function codeScope(p: Provider, res: Response): Promise<string> {
  expect([302, 303], `${res.status} ${res.headers.get('Location')}`).toContain(res.status)
  const code = location(res).searchParams.get('code')
  expect(code).toMatch(/^[A-Za-z0-9]{48}$/)
  const hash = await sha256Hex(code!)
  return (await codesOf(t, p.pk)).find((r) => r.codeHash === hash)!.scope
}

beforeAll(async () => {
  t = await createTestContext()
  const mappings = await defaultMappingPks(t)
  grafana = await createProviderApp(t, 'grafana', { redirect_uris: [{ url: REDIRECT }], property_mappings: mappings })
  explicit = await createProviderApp(t, 'explicit', {
    redirect_uris: [{ url: REDIRECT }], property_mappings: mappings, authorization_flow: EXPLICIT_CONSENT,
  })
  await createUserWithPassword(t, 'alice')
  agent = await signIn(t, 'alice')
}, 60_000)
afterAll(() => t.close())

describe('GitHub\'s /login/oauth/authorize (authentik GitHubAuthorizeView)', () => {
  it('grants GitHub\'s scopes although no mapping names them, and the code carries them to the token', async () => {
    const res = await agent.get(ask(grafana, { scope: 'user read:user user:email read:org email repo' }))
    expect(res.status).toBe(302)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(location(res).origin + location(res).pathname).toBe(REDIRECT)
    expect(Object.keys(Object.fromEntries(location(res).searchParams))).toEqual(['code', 'state', 'iss'])
    expect(await codeScope(grafana, res)).toBe('user read:user user:email read:org email')

    const again = await agent.get(ask(grafana, { scope: 'read:org user:email' }))
    const token = await t.request('/application/o/token/', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: location(again).searchParams.get('code')!, redirect_uri: REDIRECT,
        client_id: grafana.client_id, client_secret: grafana.client_secret,
      }).toString(),
    })
    expect(token.status).toBe(200)
    expect((await json(token)).scope).toBe('read:org user:email')
  })

  it('takes response_type=code as GitHub clients send it', async () => {
    expect(await codeScope(grafana, await agent.get(ask(grafana, { response_type: 'code', scope: 'user' })))).toBe('user')
  })

  it('grants only the mappings\' scopes when none are asked, as the other endpoint does', async () => {
    const scope = await codeScope(grafana, await agent.get(ask(grafana)))
    expect(scope.split(' ').sort()).toEqual(['email', 'entitlements', 'offline_access', 'openid', 'profile'])
  })

  it('does not let /application/o/authorize/ grant GitHub\'s scopes', async () => {
    const res = await agent.get(ask(grafana, { response_type: 'code', scope: 'openid user read:org' },
      '/application/o/authorize/'))
    expect(await codeScope(grafana, res)).toBe('openid')
  })

  it('keeps GitHub\'s scopes through the consent round trip', async () => {
    const page = await agent.get(ask(explicit, { scope: 'user:email read:org' }))
    expect(page.status).toBe(200)
    expect(page.headers.get('X-Frame-Options')).toBe('DENY')
    const fields = agent.formFields(await page.text(), '/consent')
    expect(fields).toMatchObject({ response_type: 'code', scope: 'user:email read:org', consent_endpoint: 'github' })
    const allowed = await agent.post('/consent', { ...fields, action: 'allow' })
    expect(allowed.status).toBe(303)
    expect(await codeScope(explicit, allowed)).toBe('user:email read:org')
  })

  it('does not let a client smuggle the GitHub door into /application/o/authorize/\'s consent form', async () => {
    const page = await agent.get(ask(explicit, { response_type: 'code', scope: 'openid read:org', consent_endpoint: 'github' },
      '/application/o/authorize/'))
    const fields = agent.formFields(await page.text(), '/consent')
    expect(fields).toMatchObject({ scope: 'openid read:org', consent_endpoint: 'oidc' })
    const allowed = await agent.post('/consent', { ...fields, action: 'allow' })
    expect(await codeScope(explicit, allowed)).toBe('openid')
  })

  it('sends a signed-out browser to the login page and back to the GitHub route', async () => {
    const res = await t.request(ask(grafana, { scope: 'user' }))
    expect(res.status).toBe(302)
    const next = new URL(location(res).searchParams.get('next')!, 'http://localhost')
    expect(next.pathname).toBe(GITHUB)
    expect(Object.fromEntries(next.searchParams)).toEqual({
      client_id: grafana.client_id, redirect_uri: REDIRECT, state: 'st', scope: 'user', response_type: 'code',
    })
    const browser = new TestAgent(t)
    await browser.get(`${location(res).pathname}${location(res).search}`)
    const back = await browser.submit(`${location(res).pathname}${location(res).search}`,
      { username: 'alice', password: PASSWORD })
    expect(back.headers.get('Location')).toBe(`${next.pathname}${next.search}`)
    expect(await codeScope(grafana, await browser.get(back.headers.get('Location')!))).toBe('user')
  })

  it('answers 404 to an empty request and stays out of discovery', async () => {
    expect((await t.request(GITHUB)).status).toBe(404)
    const doc = await json(t.request('/application/o/grafana/.well-known/openid-configuration'))
    expect(doc.authorization_endpoint).toBe('http://localhost/application/o/authorize/')
    expect(JSON.stringify(doc)).not.toContain('/login/oauth')
  })

  it('shows the Client ID Error page for an unknown client, never redirecting', async () => {
    const res = await t.request(`${GITHUB}?client_id=nope&redirect_uri=${encodeURIComponent(REDIRECT)}`)
    expect(res.status).toBe(400)
    expect(res.headers.get('Location')).toBeNull()
    expect(await res.text()).toContain('<h1>Client ID Error</h1>')
  })
})
